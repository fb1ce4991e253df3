"""Writes shared/panelist/reports/locales/pages/pages.pot: every msgid of the candidate pages.

Sources: every templates/pages/*.j2 (Jinja2's Babel extractor: `_`, `gettext`, `ngettext`) and the Python modules
that pass page strings (`N_`, `page_text`). `make generate` runs it; tests/unit/test_page_languages.py checks it.
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent / "panelist"
POT = ROOT / "reports" / "locales" / "pages" / "pages.pot"
PYTHON = ("sessions/page_language.py", "sessions/candidate_pages.py", "sessions/pages.py", "api/pages.py")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "page_text": (2,)}


def catalog() -> Catalog:
    found = Catalog(project="Panelist candidate pages", fuzzy=False)
    method_map = [("templates/pages/**.j2", "jinja2.ext:babel_extract")] + [(path, "python") for path in PYTHON]
    options = {"templates/pages/**.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map=options, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if isinstance(message, tuple) and message[-1] == "":
            message = message[:-1]
        found.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return found


def render() -> bytes:
    out = BytesIO()
    write_po(out, catalog(), omit_header=True, sort_output=True, no_location=True, width=0)
    return out.getvalue()


if __name__ == "__main__":
    POT.write_bytes(render())
    sys.stdout.write(f"{POT}: {len(catalog())} messages\n")
