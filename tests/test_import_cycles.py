"""The project's modules import each other in one direction only.

A module-level import cycle makes import order matter: which module of the cycle is imported
first decides which one sees the other half-initialised. Hiding a cycle behind an import
inside a function only defers that to the first call. So:

- no cycle among the module-level imports of ``scanner/`` and ``adoption/`` (imports inside
  ``if TYPE_CHECKING:`` and class bodies count: they are module-level statements);
- no ``import`` inside a function in ``adoption/``, except where Django itself requires a late
  import (an ``AppConfig.ready()`` hook, say). Such an import carries the marker
  :data:`EXEMPT_MARKER` in a comment on its first line or on the line just above, followed by
  the reason.

This walks the source with :mod:`ast`; nothing is imported.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scanner", "adoption")
SKIPPED_DIRS = frozenset({"migrations", "__pycache__"})
EXEMPT_MARKER = "Django requires"

Graph = dict[str, set[str]]


def module_files(package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` (migrations excluded)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        if SKIPPED_DIRS & set(relative.parts):
            continue
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(
    module: str, path: Path, node: ast.Import | ast.ImportFrom
) -> set[str]:
    """Every dotted name the statement may load (``from a import b`` may load ``a.b``)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        package = module.split(".")
        if path.name != "__init__.py":
            package.pop()
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    return {base} | {f"{base}.{alias.name}" for alias in node.names}


def module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements run when the module is imported: not those inside functions."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        else:
            pending.extend(ast.iter_child_nodes(node))


def function_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements inside a function (or a method) body, at any depth."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in function.body:
                for node in ast.walk(statement):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        yield node


def import_graph() -> Graph:
    """Module -> the project modules it imports at module level."""
    files = {
        name: path
        for package in PACKAGES
        for name, path in module_files(package).items()
    }
    graph: Graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets: set[str] = set()
        for node in module_level_imports(tree):
            targets |= imported_names(module, path, node)
        graph[module] = {name for name in targets if name in files and name != module}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def comments_by_line(source: str) -> dict[int, tuple[str, bool]]:
    """Line number -> (the comment on that line, whether the line holds nothing else)."""
    lines = source.splitlines()
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {
        tok.start[0]: (tok.string, lines[tok.start[0] - 1].lstrip().startswith("#"))
        for tok in tokens
        if tok.type == tokenize.COMMENT
    }


def exempt(node: ast.stmt, comments: dict[int, tuple[str, bool]]) -> bool:
    """The marker is in a comment on the import's first line, or on a comment line above it."""
    own, _ = comments.get(node.lineno, ("", False))
    above, alone = comments.get(node.lineno - 1, ("", False))
    return EXEMPT_MARKER in own or (alone and EXEMPT_MARKER in above)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_level_import_cycle(package: str) -> None:
    found = [
        c for c in cycles(import_graph()) if any(m.split(".")[0] == package for m in c)
    ]
    assert found == [], f"module-level import cycles in {package}/: {found}"


def test_no_function_level_import_in_adoption() -> None:
    offenders = []
    for path in module_files("adoption").values():
        source = path.read_text(encoding="utf-8")
        comments = comments_by_line(source)
        for node in function_level_imports(ast.parse(source, str(path))):
            if not exempt(node, comments):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], (
        f"imports inside functions (mark a necessary one with '# {EXEMPT_MARKER}: why'): "
        f"{offenders}"
    )


def test_the_walk_finds_a_cycle_and_ignores_function_imports() -> None:
    # The checker itself: a cycle through a TYPE_CHECKING import is found; one through an
    # import inside a function is not a module-level cycle (the other test reports it).
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}}
    assert cycles(graph) == [["p.a", "p.b", "p.c"]]
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from . import b\n"
        "def f():\n    from . import c\n"
        "class K:\n    from . import d\n"
    )
    names = {
        n.names[0].name
        for n in module_level_imports(tree)
        if isinstance(n, ast.ImportFrom)
    }
    assert names == {"TYPE_CHECKING", "b", "d"}
    assert [n.lineno for n in function_level_imports(tree)] == [5]


def test_the_exemption_marker_is_read_from_comments_only() -> None:
    source = (
        "def ready(self):\n"
        "    # Django requires signal handlers to be connected once the app registry is ready\n"
        "    from . import signals\n"
        "    from . import other  # Django requires it\n"
        '    x = "Django requires"; from . import third\n'
    )
    comments = comments_by_line(source)
    flagged = [
        n.lineno
        for n in function_level_imports(ast.parse(source))
        if not exempt(n, comments)
    ]
    assert flagged == [5]
