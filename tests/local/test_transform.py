"""The SAM transform the IAM roles come from, and its cache."""

from __future__ import annotations

from panelist_local.transform import transformed
from tests.local.support import write_app


def test_the_transform_is_cached_per_template_and_parameters(tmp_path):
    root = write_app(tmp_path)
    cache = tmp_path / ".cache"
    first = transformed(root / "template.yaml", {"Stage": "a"}, cache_dir=cache)
    assert first["Resources"]["EchoFunctionRole"]["Type"] == "AWS::IAM::Role"
    assert len(list(cache.iterdir())) == 1
    assert transformed(root / "template.yaml", {"Stage": "a"}, cache_dir=cache) == first
    transformed(root / "template.yaml", {"Stage": "b"}, cache_dir=cache)
    assert len(list(cache.iterdir())) == 2  # other parameters: another entry
    (root / "template.yaml").write_text(
        (root / "template.yaml").read_text().replace("MemorySize: 256", "MemorySize: 512")
    )
    changed = transformed(root / "template.yaml", {"Stage": "a"}, cache_dir=cache)
    assert changed["Resources"]["EchoFunction"]["Properties"]["MemorySize"] == 512  # an edit is never served stale
