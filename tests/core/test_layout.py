"""The package layout: imports in `core` run one way (no cycles) and never reach the UI.

Parses every module under core/ with `ast` (nothing is imported or run). An import inside a
function or under `if TYPE_CHECKING:` counts: a circle of type-only imports is still a circle a
reader has to untangle, and a lazy import only hides one.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
UI_ROOTS = ("streamlit", "ui", "app_pages", "app")


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under `root` (a package's name is its folder's)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_names(tree: ast.AST) -> list[str]:
    """Every absolute module name an import statement in `tree` names, `from X import y` as X.y."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the core modules it imports (a submodule import also runs its packages' __init__)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target in imported_names(ast.parse(path.read_text(encoding="utf-8"))):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            while target:
                if target != name and not name.startswith(target + "."):
                    graph[name].add(target)
                target = target.rpartition(".")[0]
    return graph


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_core_has_no_import_cycles():
    cycles = find_cycles(import_graph(module_files(CORE)))
    assert not cycles, "import cycles in core: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_core_never_imports_the_ui():
    offenders = [
        f"{name} imports {target}"
        for name, path in module_files(CORE).items()
        for target in imported_names(ast.parse(path.read_text(encoding="utf-8")))
        if target.split(".")[0] in UI_ROOTS
    ]
    assert not offenders, offenders


def test_every_stage_package_says_what_it_does():
    for stage in ("ingest", "embed", "segment", "explain", "recommend", "export"):
        init = CORE / stage / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "Public entry points" in doc, f"core/{stage}/__init__.py needs a docstring"


def _package(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "core"


@pytest.mark.parametrize(
    "files",
    [
        {  # a direct circle at module level
            "core/__init__.py": "",
            "core/a.py": "from core.b import x\n",
            "core/b.py": "from core.a import y\n",
        },
        {  # a longer circle hidden in a function and under TYPE_CHECKING
            "core/__init__.py": "",
            "core/s/__init__.py": "",
            "core/s/a.py": "def f():\n    from core.s.b import x\n",
            "core/s/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core.c import y\n",
            "core/c.py": "import core.s.a\n",
        },
        {  # a package __init__ that imports a module which imports the package's sibling
            "core/__init__.py": "",
            "core/p/__init__.py": "from core.p.m import x\n",
            "core/p/m.py": "from core.q import y\n",
            "core/q.py": "from core.p import z\n",
        },
    ],
)
def test_the_cycle_check_finds_planted_cycles(tmp_path, files):
    assert find_cycles(import_graph(module_files(_package(tmp_path, files))))


def test_the_cycle_check_accepts_a_layered_tree(tmp_path):
    core = _package(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/s/__init__.py": '"""doc"""\n',
            "core/s/a.py": "from core.s.b import x\nfrom core import errors\n",
            "core/s/b.py": "from core.errors import E\n",
            "core/errors.py": "import json\n",
        },
    )
    assert find_cycles(import_graph(module_files(core))) == []
