import sys

from panelist_local.cli import main

sys.exit(main())
