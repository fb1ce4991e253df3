"""The shared layer as `sam build` makes it (shared/Makefile): Lambda-platform wheels and .pyc that stay valid."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def layer(tmp_path_factory) -> Path:
    artifacts = tmp_path_factory.mktemp("layer")
    subprocess.run(
        # As `sam build` runs it: with the python3.11 on PATH (the project's venv has no pip).
        ["make", "-s", "-C", str(ROOT / "shared"), "build-SharedLayer", f"ARTIFACTS_DIR={artifacts}"],
        check=True,
        capture_output=True,
    )
    return artifacts / "python"


def test_every_module_ships_compiled_with_unchecked_hash_bytecode(layer):
    sources = sorted((layer / "panelist").rglob("*.py"))
    assert sources
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-311.pyc"
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{compiled} is not an unchecked-hash .pyc"  # hash-based, source not checked


def test_dependencies_are_the_lambda_platform_builds(layer):
    assert list(layer.glob("pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so"))
    assert not list(layer.glob("moto*")), "dev dependencies must not ship"


def test_the_layer_alone_is_enough_to_import_a_handler(layer):
    app = ROOT / "functions" / "create_project" / "app.py"
    code = (
        f"import sys; sys.path[:0] = [{str(layer)!r}];"
        f"import runpy; assert callable(runpy.run_path({str(app)!r})['handler'])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PANELIST_STAGE": "x",
        "PANELIST_TABLE": "tbl",
        "PANELIST_BUCKET": "bkt",
        "PANELIST_SECRET_ID": "s",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
