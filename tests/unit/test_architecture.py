"""The package's shape: no import cycle, and each domain's `store` the only writer of its key prefixes."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "panelist"
WRITES = {"put_op", "update_op", "delete_op", "counter_op", "check_op"}  # storage's write operations
TABLE_WRITES = {"put", "update", "transact", "next_number"}  # Table methods that write
KEY_PREFIX = re.compile(r"^[A-Z][A-Z_]*#")  # `SESSION#`, `ORG#`, `RATE#`: the first part of a key
CORE = "panelist.core.storage"  # the table itself: ORG#, COUNTER#, SEQ#


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(), str(path))
    return found


MODULES = _modules()


def _is_store(module: str) -> bool:
    """A domain's `store`, or a store of its own for one kind of item (`compliance.self_id_store`)."""
    return module.endswith((".store", "_store")) or module == CORE


def _imports(module: str, tree: ast.Module) -> set[str]:
    """Every panelist module `module` imports, at the top or inside a function (a lazy import still cycles)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    return {name for name in found if name in MODULES and name != module}


def _cycle() -> list[str] | None:
    graph = {module: _imports(module, tree) for module, tree in MODULES.items()}
    # A package's __init__ is imported with each of its modules: only real edges count.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_module_of_the_package_imports_itself_back():
    assert _cycle() is None, " -> ".join(_cycle() or [])


def _writes(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in WRITES:
            found.append((node.lineno, func.id))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in TABLE_WRITES
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "table"
        ):
            found.append((node.lineno, f"table().{func.attr}"))
    return found


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _is_store(m)))
def test_only_store_modules_write_to_the_table(module):
    assert _writes(MODULES[module]) == [], f"{module} writes to the table itself: move it to its domain's store"


def _key_prefixes(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and (m := KEY_PREFIX.match(node.value))) or (
            isinstance(node, ast.JoinedStr)
            and node.values
            and isinstance(node.values[0], ast.Constant)
            and (m := KEY_PREFIX.match(str(node.values[0].value)))
        ):
            found.add(m.group(0))
    return found


def test_each_key_prefix_is_spelled_in_one_store_only():
    owners: dict[str, set[str]] = defaultdict(set)
    for module, tree in MODULES.items():
        for prefix in _key_prefixes(tree):
            owners[prefix].add(module)
    assert owners, "no key prefix found: the scan is broken"
    outside = {prefix: sorted(mods) for prefix, mods in owners.items() if any(not _is_store(m) for m in mods)}
    shared = {prefix: sorted(mods) for prefix, mods in owners.items() if len(mods) > 1}
    assert outside == {}, "key prefixes spelled outside a store"
    assert shared == {}, "key prefixes spelled by more than one store"


def test_the_checks_see_a_write_and_a_prefix():
    sample = ast.parse('table().put({"PK": f"SESSION#{x}"})\nput_op(item)\n')
    assert [what for _, what in _writes(sample)] == ["table().put", "put_op"]
    assert _key_prefixes(sample) == {"SESSION#"}
