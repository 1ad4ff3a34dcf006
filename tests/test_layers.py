"""The layers of COMMON.md's target layout, enforced: imports point down (or sideways within a layer), and core,
loaders and metrics never import streamlit.

    core (0)     dashboard.settings, vocab, models, db, writes, rules, rules_sql, registry, migrations,
                 accounts, audit
    loaders (1)  data_loaders.*, dashboard.demo*          metrics (1)  dashboard.facts, dashboard.metrics*, summary,
                                                                       dashboard.documents
    ui (2)       dashboard.ui.*                           pages (3)    pages/*.py, dashboard.app
    cli (4)      dashboard.cli, dashboard.__main__, bench.*
loaders and metrics are one level but must not import each other; pages reach loaders and metrics only through
dashboard.ui. Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIRS = ("dashboard", "data_loaders", "pages", "bench")

CORE = {"dashboard", "dashboard.settings", "dashboard.vocab", "dashboard.models", "dashboard.db",
        "dashboard.writes", "dashboard.rules", "dashboard.rules_sql", "dashboard.registry",
        "dashboard.accounts", "dashboard.audit"}
LEVEL = {"core": 0, "loaders": 1, "metrics": 1, "ui": 2, "pages": 3, "cli": 4}
NO_STREAMLIT = {"core", "loaders", "metrics"}
# pages only draw: they reach data through dashboard.ui, never loaders or metrics directly
NOT_FROM = {"pages": {"loaders", "metrics"}}


def _starts(module: str, *prefixes: str) -> bool:
    """module is one of the prefixes, or a submodule of one; a prefix ending in * matches by name too."""
    for p in prefixes:
        if p.endswith("*") and module.startswith(p[:-1]):
            return True
        if module == p or module.startswith(p + "."):
            return True
    return False


def layer(module: str) -> str | None:
    """The layer of a project module, None for modules outside the project (the standard library, packages)."""
    if module in CORE or _starts(module, "dashboard.migrations"):
        return "core"
    if _starts(module, "data_loaders", "dashboard.demo*"):
        return "loaders"
    if _starts(module, "dashboard.facts", "dashboard.metrics*", "dashboard.summary", "dashboard.documents"):
        return "metrics"
    if _starts(module, "dashboard.ui"):
        return "ui"
    if _starts(module, "pages", "dashboard.app"):
        return "pages"
    if _starts(module, "dashboard.cli", "dashboard.__main__", "bench"):
        return "cli"
    if _starts(module, "dashboard"):
        raise AssertionError(f"{module} has no layer: add it to tests/test_layers.py (and COMMON.md)")
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for d in DIRS for p in sorted((ROOT / d).rglob("*.py"))}


def _imports(module: str, path: Path, source: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement, at any depth; `from a import b` gives a.b when
    a.b is a module of the project, else a."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((node.lineno, full if full in MODULES else base))
    return out


def _violations(module: str, path: Path, source: str | None = None) -> list[str]:
    own = layer(module)
    found = []
    source = path.read_text(encoding="utf-8") if source is None else source
    for line, target in _imports(module, path, source):
        where = f"{path.relative_to(ROOT)}:{line}: {module} ({own}) imports {target}"
        if target.split(".")[0] == "streamlit":
            if own in NO_STREAMLIT:
                found.append(f"{where} — {own} must not import streamlit")
            continue
        theirs = layer(target)
        if theirs is None or target == module:
            continue
        if LEVEL[theirs] > LEVEL[own]:
            found.append(f"{where} ({theirs}) — an upward import")
        elif theirs in NOT_FROM.get(own, ()):
            found.append(f"{where} ({theirs}) — {own} must go through dashboard.ui")
        elif {own, theirs} == {"loaders", "metrics"}:
            found.append(f"{where} ({theirs}) — loaders and metrics must not import each other")
    return found


def test_every_project_module_has_a_layer():
    assert all(layer(m) for m in MODULES), [m for m in MODULES if not layer(m)]


def test_layer_map_examples():
    assert layer("dashboard.metrics_scope") == "metrics" and layer("dashboard.demo_data") == "loaders"
    assert layer("pages.overview") == "pages" and layer("bench.server") == "cli" and layer("pandas") is None



def test_the_walk_finds_lazy_upward_and_streamlit_imports():
    source = "def f():\n    from dashboard.ui import fmt\n    import streamlit as st\nfrom . import metrics\n"
    found = _violations("dashboard.summary", ROOT / "dashboard" / "summary.py", source)
    assert len(found) == 2, found
    assert "dashboard/summary.py:2: dashboard.summary (metrics) imports dashboard.ui.fmt (ui)" in found[0]
    assert "must not import streamlit" in found[1]
    assert _violations("data_loaders.x", ROOT / "data_loaders" / "x.py", "from dashboard import metrics\n")
    assert _violations("pages.x", ROOT / "pages" / "x.py", "import data_loaders.importer\n")
    assert not _violations("dashboard.ui.x", ROOT / "dashboard" / "ui" / "x.py", "from dashboard import demo\n")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    problems = _violations(module, MODULES[module])
    assert not problems, "\n".join(problems)
