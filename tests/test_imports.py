"""The code's shape: packages are used through their public surface, and no import cycles.

Every ``import``/``from ... import`` in the package (at any depth, including
those inside functions) is read with ``ast``, so the rules hold whatever runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tryredis.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "tryredis"
SEALED = ("tryredis.repl", "tryredis.settings", "tryredis.wire")
"""Packages whose modules only their own package (and its unit tests) may import."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import of a tryredis module in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tryredis"):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("tryredis"):
                continue
            yield node.module, node.lineno
            for alias in node.names:  # `from tryredis.repl import table` imports a module
                if f"{node.module}.{alias.name}" in known:
                    yield f"{node.module}.{alias.name}", node.lineno


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_sealed_packages_are_used_through_their_public_surface() -> None:
    known = modules()
    offences = []
    sources = [*known.items()]
    sources += [(module_name(p), p) for p in sorted((PROJECT_ROOT / "tests").rglob("*.py"))]
    sources += [(module_name(p), p) for p in sorted((PROJECT_ROOT / "bench").rglob("*.py"))]
    for name, path in sources:
        for target, line in imports(path, known):
            for package in SEALED:
                own_tests = "tests." + package.split(".")[-1]  # tests/repl tests the engine's parts
                if (
                    inside(target, package)
                    and target != package
                    and not inside(name, package)
                    and not inside(name, own_tests)
                ):
                    offences.append(f"{path.relative_to(PROJECT_ROOT)}:{line} imports {target}")
    assert offences == [], "import from the package root instead:\n" + "\n".join(offences)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    cycles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycles() -> None:
    known = modules()
    graph = {
        name: {target for target, _ in imports(path, known) if target in known and target != name}
        for name, path in known.items()
    }
    assert find_cycles(graph) == [], "import cycles"


def test_the_checkers_can_fail(tmp_path: Path) -> None:
    # Known-bad inputs trip both rules: internal imports are seen, cycles are found.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f():\n    from tryredis.repl.engine import Sandbox\nimport tryredis.wire.pool\n"
    )
    found = [target for target, _ in imports(bad, modules())]
    assert "tryredis.repl.engine" in found and "tryredis.wire.pool" in found
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
