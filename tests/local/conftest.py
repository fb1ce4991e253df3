"""Fixtures: the synthetic app written to a temporary folder, and a LocalRuntime serving it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from panelist_local.runtime import LocalRuntime
from tests.local.support import write_app


@pytest.fixture(scope="session")
def app_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_app(tmp_path_factory.mktemp("app"))


@pytest.fixture(scope="module")
def runtime(app_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """The synthetic app served on a free port for the tests of one module (os.environ restored after)."""
    state_file = tmp_path_factory.mktemp("state") / "local.json"
    local = LocalRuntime(app_root, port=0, state_file=state_file, out=io.StringIO())
    local.start()
    yield local
    local.stop()
