"""No import cycle among the modules of engine/, bot/ and adapters/.

Every `import` and `from … import` counts, relative ones and those placed inside functions too: an
import moved into a function to dodge a loop is still a loop. Imports under `if TYPE_CHECKING:` are
left out, since they never run. An edge goes to the module named (`from a.b import c` goes to
`a.b.c` when that is a module, else to `a.b`), not to the packages above it, which Python has
already initialised by then.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "bot", "adapters")

Graph = dict[str, set[str]]


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of PACKAGES (a package is its __init__.py)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that module `name` (at `path`) imports, wherever in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:  # `from a import b`: the module a.b when b is one
                targets.append(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
    edges: set[str] = set()
    for target in targets:
        while target not in known and "." in target:  # `import a.b.C`-style names: their module
            target = target.rpartition(".")[0]
        if target in known and target != name:
            edges.add(target)
    return edges


def import_graph() -> Graph:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
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
    return found


def test_no_import_cycles() -> None:
    graph = import_graph()
    loops = {
        " <-> ".join(component): {m: sorted(graph[m] & set(component)) for m in component}
        for component in cycles(graph)
    }
    assert loops == {}


def test_the_checker_sees_a_loop_inside_a_function(tmp_path: Path) -> None:
    """The check itself: a loop closed by a function-level (and a relative) import is found, and one
    closed only under TYPE_CHECKING is not."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg import b\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from . import a\n")
    (tmp_path / "pkg" / "c.py").write_text("from pkg.a import x\n")
    (tmp_path / "pkg" / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
    )
    known = {f"pkg.{m}": tmp_path / "pkg" / f"{m}.py" for m in "abcd"}
    known["pkg"] = tmp_path / "pkg" / "__init__.py"
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert graph["pkg.b"] == {"pkg.a"} and graph["pkg.c"] == {"pkg.a"} and graph["pkg.d"] == set()
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
