"""The layout of ltrr: no import circle among its modules.

Two modules that import each other, directly or through others, cannot be
understood, tested or changed one at a time. Every import of an ``ltrr``
module counts, wherever it sits: at module level, inside a function (a lazy
import is still a dependency), under ``if TYPE_CHECKING`` (a type is part of
the contract), and in a package's ``__init__`` (its re-exports are imports
of the package). ``from ltrr.a import b`` is an edge to the module
``ltrr.a.b`` when that is a module, and to ``ltrr.a`` otherwise. Importing
``ltrr.a.b`` also runs ``ltrr/a/__init__.py``, but that is not counted as an
edge to ``ltrr.a``: a package that re-exports its own submodules would
otherwise be a circle with each of them.
"""
from __future__ import annotations

import ast
from pathlib import Path

LTRR = Path(__file__).resolve().parents[1] / "ltrr"


def _module_names(root: Path) -> dict[str, Path]:
    """Every module under `root` (a package directory), by dotted name."""
    out: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
        # A folder without __init__.py is still importable (a namespace package): name it, so an
        # import of it is not mistaken for an import of its parent.
        for end in range(1, len(parts)):
            out.setdefault(".".join(parts[:end]), path.parents[len(parts) - 1 - end] / "__init__.py")
    return out


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The known modules one import statement of `module` depends on."""
    def deepest(name: str) -> str | None:
        # "ltrr.a.b.name" -> the longest prefix that is a module.
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in known:
                return ".".join(parts[:end])
        return None

    if isinstance(node, ast.Import):
        return {m for m in (deepest(a.name) for a in node.names) if m}
    if node.level:
        # A relative import: level 1 is this module's package (the module itself for an __init__).
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = package[:len(package) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    out = set()
    for alias in node.names:
        full = f"{source}.{alias.name}"
        target = full if full in known else deepest(source)
        if target:
            out.add(target)
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package tree it imports (anywhere in its source)."""
    modules = _module_names(root)
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        if not path.is_file():
            graph[name] = set()   # a namespace package: no code of its own
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _imported(node, name, path.name == "__init__.py", known)
        graph[name] = edges - {name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest circle through the component's first module: ``[a, b, ..., a]``."""
    start, members = component[0], set(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{component} is not strongly connected")


def describe_cycles(graph: dict[str, set[str]]) -> list[str]:
    """One line per import circle: ``a -> b -> a (component: a, b)``."""
    return [f"{' -> '.join(one_cycle(graph, c))}   (all modules of the circle: {', '.join(c)})"
            for c in strongly_connected(graph)]


def test_no_import_cycle_among_ltrr_modules():
    graph = import_graph(LTRR)
    assert len(graph) > 50, "the walk found ltrr's modules"
    cycles = describe_cycles(graph)
    assert not cycles, "import circles in ltrr:\n" + "\n".join(cycles)


# --------------------------------------------------------------------------- the checker itself


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_finds_a_circle_through_lazy_relative_and_type_only_imports(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "from pkg.a import run\n",
        "a.py": "def run():\n    from .sub import b\n    return b\n",
        "sub/__init__.py": "",
        "sub/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..c import thing\n",
        "c.py": "import pkg.a\nthing = 1\n",
        "d.py": "from pkg import c\n",
        "ns/e.py": "",
        "h.py": "from pkg.ns import e, name\n",
    })
    graph = import_graph(root)
    assert graph["pkg"] == {"pkg.a"}
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.d"] == {"pkg.c"}
    # A folder without __init__.py is a module of its own, not its parent.
    assert graph["pkg.h"] == {"pkg.ns.e", "pkg.ns"}
    assert strongly_connected(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    assert describe_cycles(graph)[0].startswith("pkg.a -> pkg.sub.b -> pkg.c -> pkg.a")


def test_a_package_reexporting_its_modules_is_no_circle(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "from pkg.a import f\nfrom pkg.b import g\n",
        "a.py": "def f():\n    return 1\n",
        "b.py": "from pkg.a import f\ng = f\n",
    })
    graph = import_graph(root)
    assert graph == {"pkg": {"pkg.a", "pkg.b"}, "pkg.a": set(), "pkg.b": {"pkg.a"}}
    assert strongly_connected(graph) == []
    # A module importing the package (which imports it back) is one.
    (root / "a.py").write_text("import pkg\n")
    assert strongly_connected(import_graph(root)) == [["pkg", "pkg.a", "pkg.b"]]
