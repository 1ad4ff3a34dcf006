"""The layers, read off the folders: a module's layer is the folder it lives in, and imports point down.

    core (0)       dashboard/core/        settings, vocabulary, schema, database, the write path, rules, accounts, audit
    loaders (1)    data_loaders/          reading and importing files (imports dashboard.core only)
    demo (1)       dashboard/demo/        the demo generator
    metrics (1)    dashboard/metrics/     every figure, in SQL, and `summary`
    present (2)    dashboard/present/     formats, labels and the palette: how a figure is shown, on screen and paper
    documents (3)  dashboard/documents/   the brief and the annual report
    ui (4)         dashboard/ui/          Streamlit components; the one door the pages use
    pages (5)      pages/                 the pages: they only draw, through dashboard.ui
    app (6)        dashboard/*.py         the app shell (app.py), the page registry (registry.py), the pre-visits
                                          (previsit.py: the page runs the server makes itself)
    cli (7)        dashboard/cli.py, dashboard/__main__.py, bench/

Layers of the same level never import each other; core, loaders, demo, metrics, present and documents never
import Streamlit; pages import nothing of the project but dashboard.ui. No import cycle anywhere, inside a layer
too. Imports inside functions count as well, and are kept for heavy optional libraries only (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIRS = ("dashboard", "data_loaders", "pages", "bench")

# folder (relative to the repository) → layer; the longest matching folder wins
FOLDERS = {
    "dashboard/core": "core",
    "data_loaders": "loaders",
    "dashboard/demo": "demo",
    "dashboard/metrics": "metrics",
    "dashboard/present": "present",
    "dashboard/documents": "documents",
    "dashboard/ui": "ui",
    "pages": "pages",
    "dashboard": "app",
    "bench": "cli",
}
LEVEL = {"core": 0, "loaders": 1, "demo": 1, "metrics": 1, "present": 2, "documents": 3, "ui": 4, "pages": 5,
         "app": 6, "cli": 7}
NO_STREAMLIT = {"core", "loaders", "demo", "metrics", "present", "documents"}
ONLY_FROM = {"pages": {"ui"}}  # pages only draw: every figure and word reaches them through dashboard.ui
# the command line is the entry point beside the app shell: dashboard/cli.py and dashboard/__main__.py
CLI_FILES = {"dashboard/cli.py", "dashboard/__main__.py"}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def layer_of_path(path: Path) -> str:
    rel = _rel(path)
    if rel in CLI_FILES:
        return "cli"
    if rel == "dashboard/__init__.py":
        return "core"  # the empty package every module's name starts with
    folder = rel.rpartition("/")[0]
    while folder:
        if folder in FOLDERS:
            return FOLDERS[folder]
        folder = folder.rpartition("/")[0]
    raise AssertionError(f"{rel} is in no layer's folder: move it into one (tests/test_layers.py lists them)")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for d in DIRS for p in sorted((ROOT / d).rglob("*.py"))}
LAYER = {m: layer_of_path(p) for m, p in MODULES.items()}


def layer(module: str) -> str | None:
    """The layer of a project module (or of the project module it is inside), None outside the project."""
    while module:
        if module in LAYER:
            return LAYER[module]
        module = module.rpartition(".")[0]
    return None


def _imports(module: str, path: Path, source: str) -> list[tuple[int, str, bool]]:
    """(line, imported module, inside a function) for every import statement, at any depth; `from a import b`
    gives a.b when a.b is a module of the project, else a."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(source)
    nested = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested |= {id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))}
    out = []
    for node in ast.walk(tree):
        inner = id(node) in nested
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, inner) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((node.lineno, full if full in MODULES else base, inner))
    return out


def _violations(module: str, path: Path, source: str | None = None) -> list[str]:
    own = layer(module) if module in LAYER else layer_of_path(path)
    found = []
    source = path.read_text(encoding="utf-8") if source is None else source
    for line, target, _ in _imports(module, path, source):
        where = f"{_rel(path)}:{line}: {module} ({own}) imports {target}"
        if target.split(".")[0] == "streamlit":
            if own in NO_STREAMLIT:
                found.append(f"{where} — {own} must not import streamlit")
            continue
        theirs = layer(target)
        if theirs is None or target == module:
            continue
        if own in ONLY_FROM and theirs not in ONLY_FROM[own]:
            found.append(f"{where} ({theirs}) — {own} may import only {', '.join(sorted(ONLY_FROM[own]))}")
        elif LEVEL[theirs] > LEVEL[own]:
            found.append(f"{where} ({theirs}) — an upward import")
        elif LEVEL[theirs] == LEVEL[own] and theirs != own:
            found.append(f"{where} ({theirs}) — {own} and {theirs} are one level and must not import each other")
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, p in MODULES.items():
        for _, target, _ in _imports(m, p, p.read_text(encoding="utf-8")):
            t = target
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != m:
                graph[m].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_every_project_module_has_a_layer_from_its_folder():
    assert LAYER["dashboard.core.settings"] == "core" and LAYER["data_loaders.importer"] == "loaders"
    assert LAYER["dashboard.metrics.summary"] == "metrics" and LAYER["dashboard.demo.data"] == "demo"
    assert LAYER["pages.overview"] == "pages" and LAYER["dashboard.app"] == "app"
    assert LAYER["dashboard.cli"] == "cli" and LAYER["bench.server"] == "cli" and layer("pandas") is None
    assert set(LAYER.values()) == set(LEVEL)


def test_only_the_entry_points_live_directly_in_dashboard():
    direct = sorted(p.name for p in (ROOT / "dashboard").glob("*.py"))
    assert direct == ["__init__.py", "__main__.py", "app.py", "cli.py", "previsit.py", "registry.py"], direct


def test_the_walk_finds_lazy_upward_and_streamlit_imports():
    source = "def f():\n    from dashboard.ui import tables\n    import streamlit as st\nfrom . import query\n"
    path = ROOT / "dashboard" / "metrics" / "summary.py"
    found = _violations("dashboard.metrics.summary", path, source)
    assert len(found) == 2, found
    assert "dashboard/metrics/summary.py:2: dashboard.metrics.summary (metrics) imports dashboard.ui.tables (ui)" \
        in found[0]
    assert "must not import streamlit" in found[1]
    assert _violations("data_loaders.x", ROOT / "data_loaders" / "x.py", "from dashboard import metrics\n")
    assert _violations("data_loaders.x", ROOT / "data_loaders" / "x.py", "from dashboard.demo import data\n")
    assert _violations("pages.x", ROOT / "pages" / "x.py", "import data_loaders.importer\n")
    assert _violations("pages.x", ROOT / "pages" / "x.py", "from dashboard.present import fmt\n")
    assert not _violations("pages.x", ROOT / "pages" / "x.py", "from dashboard.ui import fmt\n")
    assert not _violations("dashboard.ui.x", ROOT / "dashboard" / "ui" / "x.py", "from dashboard import demo\n")


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_import_cycles():
    found = cycles(_graph())
    assert not found, "import cycles:\n" + "\n".join(" → ".join(c) for c in found)


LAZY_DIRS = ("dashboard", "data_loaders", "pages")


def test_imports_inside_functions_are_only_heavy_libraries_said_so():
    """An import inside a function hides a cycle or a cost: allowed only for a heavy optional library, with a
    `# lazy:` comment on the line saying which and why."""
    found = []
    for module, path in MODULES.items():
        if not module.startswith(LAZY_DIRS):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, _target, inner in _imports(module, path, "\n".join(lines)):
            if inner and "# lazy:" not in lines[line - 1]:
                found.append(f"{_rel(path)}:{line}: {lines[line - 1].strip()}")
    assert not found, "imports inside functions without a `# lazy:` reason:\n" + "\n".join(found)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    problems = _violations(module, MODULES[module])
    assert not problems, "\n".join(problems)
