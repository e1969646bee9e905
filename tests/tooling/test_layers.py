"""The tooling's layout holds: imports between subpackages only go downwards, no module-level
import cycles, and no optional imports of the project's own modules."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import pytest

import tooling
from tooling.core import paths

if TYPE_CHECKING:
    from pathlib import Path

PACKAGE = paths.REPO_ROOT / "tooling"

TOP_LAYER = "commands"  # the invoke tasks may import anything; nothing imports them


def declared_layers() -> dict[str, frozenset[str]]:
    """subpackage -> the subpackages it may import, read from the table in tooling/__init__.py's
    docstring (``name  what it does  -> a, b``): the one place the layering is written down."""
    table: dict[str, frozenset[str]] = {}
    for line in (tooling.__doc__ or "").splitlines():
        head, arrow, allowed = line.partition("->")
        words = head.split()
        if not arrow or not words or not (PACKAGE / words[0]).is_dir():
            continue
        names = {name.strip() for name in allowed.split(",")} - {"(nothing)", ""}
        table[words[0]] = frozenset(names)
    return table


ALLOWED: dict[str, frozenset[str]] = {
    name: allowed for name, allowed in declared_layers().items() if name != TOP_LAYER
}


def test_the_layer_table_names_real_subpackages_and_goes_one_way():
    # GIVEN the table in tooling/__init__.py THEN every name in it is a subpackage, the top layer
    # is declared, and following the arrows never comes back (the table itself has no cycle)
    assert TOP_LAYER in declared_layers()
    for name, allowed in ALLOWED.items():
        assert allowed <= set(ALLOWED), f"{name} -> {sorted(allowed - set(ALLOWED))}"
    reached: dict[str, set[str]] = {}

    def below(name: str, seen: tuple[str, ...] = ()) -> set[str]:
        assert name not in seen, f"the layer table loops: {' -> '.join((*seen, name))}"
        if name not in reached:
            reached[name] = set().union(
                *({lower, *below(lower, (*seen, name))} for lower in ALLOWED[name])
            )
        return reached[name]

    for name in ALLOWED:
        assert name not in below(name)


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(paths.REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, importer: str) -> list[tuple[str, int]]:
    """Every `tooling.*` module a file imports (at any depth, TYPE_CHECKING included)."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative import: resolve against the importer's package
                base = ".".join([*importer.split(".")[: -node.level], node.module])
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return [(name, line) for name, line in found if name.split(".")[0] == "tooling"]


def subpackage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else None


def test_every_module_lives_in_a_known_subpackage():
    # GIVEN the tooling package THEN every module sits in a subpackage with declared imports
    loose = [
        module_name(path)
        for path in modules()
        if path.parent == PACKAGE and path.name != "__init__.py"
    ]
    unknown = {
        sub
        for path in modules()
        if (sub := subpackage(module_name(path))) not in {*ALLOWED, TOP_LAYER, None}
    }
    assert not loose, f"modules outside a subpackage: {loose}"
    assert not unknown, f"subpackages missing from the layer table: {unknown}"


@pytest.mark.parametrize("path", modules(), ids=lambda path: module_name(path))
def test_imports_only_go_downwards(path: Path):
    # GIVEN one module of the tooling
    importer = module_name(path)
    layer = subpackage(importer)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # WHEN its imports of the project's own modules are listed
    wrong = []
    for imported, line in imported_modules(tree, importer):
        target = subpackage(imported)
        if target is None or target == layer:
            continue
        if target == TOP_LAYER or (layer != TOP_LAYER and target not in ALLOWED.get(layer, ())):
            wrong.append(f"line {line}: {imported}")
    # THEN every one goes to a layer below it
    assert not wrong, f"{importer} ({layer}) imports upwards or sideways: {wrong}"


@pytest.mark.parametrize("path", modules(), ids=lambda path: module_name(path))
def test_no_optional_imports_of_the_project(path: Path):
    # GIVEN one module THEN no import of the project's own code sits in a try/except ImportError
    # or goes through importlib (a broken module must fail loudly, not be skipped)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    optional = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(handler.type, ast.Name)
            and handler.type.id in {"ImportError", "ModuleNotFoundError"}
            for handler in node.handlers
        ):
            optional += [
                f"line {line}: {name}"
                for statement in node.body
                for name, line in imported_modules(statement, module_name(path))
            ]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("tooling")
        ):
            optional.append(f"line {node.lineno}: importlib {node.args[0].value}")
    assert not optional, f"optional imports of project modules: {optional}"


def test_no_import_cycles_between_modules():
    # GIVEN the module-level import graph of the tooling (TYPE_CHECKING imports excluded: they
    # never run) WHEN it is searched for cycles THEN there are none
    graph: dict[str, set[str]] = {}
    known = {module_name(path) for path in modules()}
    for path in modules():
        importer = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        runtime = [
            node
            for node in tree.body
            if not (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
        ]
        graph[importer] = {
            name
            for node in runtime
            for name, _ in imported_modules(node, importer)
            if name in known and name != importer
        }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, f"import cycles: {cycles}"
