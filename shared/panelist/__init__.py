"""Panelist: the shared layer of the Panelist Lambda functions (models, storage, signing, auth, API)."""

import gc

# A cold start imports tens of thousands of long-lived objects (modules, pydantic models and their validators):
# the collector's default pace (every 700 allocations) runs full passes over them for nothing. Slowed down for
# the imports, then set back by `startup_complete()` once a handler is built (panelist.api.resolver).
STARTUP_GC_THRESHOLD = (50_000, 20, 20)
_RUNTIME_GC_THRESHOLD = gc.get_threshold()
gc.set_threshold(*STARTUP_GC_THRESHOLD)


def startup_complete() -> None:
    """The imports are done: keep what they made out of every later collection, and collect at the usual pace."""
    gc.freeze()
    gc.set_threshold(*_RUNTIME_GC_THRESHOLD)
