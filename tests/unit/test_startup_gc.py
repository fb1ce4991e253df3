"""The collector is slowed only while a function's modules load (panelist.startup_complete)."""

import subprocess
import sys

CHECK = """
import gc
default = gc.get_threshold()
import panelist
assert gc.get_threshold() == panelist.STARTUP_GC_THRESHOLD, gc.get_threshold()
panelist.startup_complete()
assert gc.get_threshold() == default, (gc.get_threshold(), default)
assert gc.get_freeze_count() > 1000  # the imports' objects are out of every later collection
"""


def test_the_collector_is_back_to_its_pace_once_the_handler_is_built():
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
