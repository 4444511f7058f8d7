"""The house rules of `ops/` (STYLE.md): the root holds only the CLI shell and what every room uses,
and no module imports, even lazily or for typing, a module that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

OPS = Path(__file__).resolve().parent.parent / "ops"

# The hallway: the CLI shell and the cross-cutting modules every package uses.
ROOT_MODULES = {
    "__init__",
    "__main__",
    "atomic",
    "cli",
    "clients",
    "cloud_errors",
    "errors",
    "ledger",
    "output",
    "settings",
    "walkthrough",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(OPS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every ops module `path` imports anywhere (top level, in functions, under TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(name for name in names if name in modules)
    return found


def test_the_ops_root_holds_only_the_shell_and_cross_cutting_modules() -> None:
    at_root = {path.stem for path in OPS.glob("*.py")}
    stray = at_root - ROOT_MODULES
    assert not stray, f"move these into the package of their data flow: {stray}"


def test_no_module_in_ops_imports_a_module_that_imports_it_back() -> None:
    files = {_module_name(path): path for path in OPS.rglob("*.py")}
    graph = {name: _imports(path, set(files)) - {name} for name, path in files.items()}
    packages = {name for name, path in files.items() if path.name == "__init__.py"}
    cycles = sorted(
        f"{a} <-> {b}"
        for a, targets in graph.items()
        for b in targets
        if a < b and a in graph.get(b, set()) and not {a, b} & packages
    )
    assert not cycles, f"import cycles (the arrow must run from the orchestrator to its parts): {cycles}"
