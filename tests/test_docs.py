"""Docs that tests keep honest: every command and option, setting, rule, environment variable and canonical
column is documented, and every module says in its docstring what it owns."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import re
from pathlib import Path

import pytest

from dashboard.cli import build_parser
from dashboard.core.settings import Limits, Rules, Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SOURCE_DIRS = ("dashboard", "data_loaders", "pages", "bench", "tests")  # where environment variables are read
DOCSTRING_DIRS = ("dashboard", "data_loaders", "pages")


def _docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [README, *sorted((ROOT / "docs").glob("*.md"))])


def _python_files(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py"))


# ------------------------------------------------------------------------------------------------ README


def test_readme_shows_the_two_commands_first():
    text = README.read_text(encoding="utf-8")
    assert text.index("make run") < text.index("make test") < text.index("## ")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _words(action: argparse.Action) -> list[str]:
    """How the README must spell an argument: its long option, or the metavar of a positional."""
    if action.option_strings:
        return [max(action.option_strings, key=len)]
    return [action.metavar or action.dest.upper()]


def _readme_usage(command: str) -> str:
    """The README's usage lines of one command: `python -m dashboard COMMAND ...` (continuations included)."""
    text = README.read_text(encoding="utf-8")
    return "\n".join(m.group(0) for m in re.finditer(rf"(?m)^python -m dashboard (--db URL )?{command}\b.*$", text))


@pytest.mark.parametrize("command", list(_commands()))
def test_every_command_and_option_is_in_the_readme(command):
    usage = _readme_usage(command)
    assert usage, f"README.md has no line `python -m dashboard {command} ...`"
    wanted = [w for a in _commands()[command]._actions if not isinstance(a, argparse._HelpAction) for w in _words(a)]
    missing = [w for w in wanted if w not in usage]
    assert not missing, f"README.md's `python -m dashboard {command}` line lacks {missing}"


def test_global_options_are_in_the_readme():
    text = README.read_text(encoding="utf-8")
    for action in build_parser()._actions:
        if action.option_strings and not isinstance(action, argparse._HelpAction):
            assert f"`{_words(action)[0]}" in text, _words(action)


# ------------------------------------------------------------------------------------------------ settings


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Rules)])
def test_every_rule_setting_is_documented(name):
    assert f"`{name}`" in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Limits)])
def test_every_file_limit_is_documented(name):
    assert f"`{name}`" in (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_documented(name):
    assert f"`{name}`" in _docs_text(), f"Settings.{name} is not in README.md or docs/*.md"


def _env_reads(path: Path) -> list[str]:
    """Names of the environment variables a module reads: os.environ.get / os.environ[...] / os.getenv.

    A name held in a loop variable counts when the loop runs over literal strings; any other non-literal
    read fails, so that every read stays findable."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    loops = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.For) and isinstance(node.target, ast.Name)
                and isinstance(node.iter, (ast.Tuple, ast.List))
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.iter.elts)):
            loops[node.target.id] = [e.value for e in node.iter.elts]

    def is_environ(n) -> bool:
        return isinstance(n, ast.Attribute) and n.attr == "environ" and getattr(n.value, "id", None) == "os"

    found = []
    for node in ast.walk(tree):
        arg = None
        if isinstance(node, ast.Call) and node.args:
            f = node.func
            if isinstance(f, ast.Attribute) and ((f.attr == "get" and is_environ(f.value))
                                                 or (f.attr == "getenv" and getattr(f.value, "id", None) == "os")):
                arg = node.args[0]
        elif isinstance(node, ast.Subscript) and is_environ(node.value) and isinstance(node.ctx, ast.Load):
            arg = node.slice
        if arg is None:
            continue
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.append(arg.value)
        elif isinstance(arg, ast.Name) and arg.id in loops:
            found.extend(loops[arg.id])
        else:
            pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno}: environment read with a computed name")
    return found


def _env_vars() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in _python_files(*SOURCE_DIRS):
        for name in _env_reads(path):
            out.setdefault(name, str(path.relative_to(ROOT)))
    return out


def test_the_env_scan_finds_the_known_reads():
    assert {"DATABASE_URL", "DASHBOARD_SETTINGS", "DASHBOARD_TODAY", "DASHBOARD_USER", "CHROMIUM"} <= set(_env_vars())


@pytest.mark.parametrize("name,where", sorted(_env_vars().items()))
def test_every_environment_variable_is_documented(name, where):
    assert f"`{name}" in _docs_text(), f"{name} (read in {where}) is not in README.md or docs/*.md"


def test_app_reads_the_environment_only_through_settings():
    """Outside settings (and the bench/test harness) no module of the app reads os.environ."""
    readers = {str(p.relative_to(ROOT)): _env_reads(p) for p in _python_files(*DOCSTRING_DIRS)}
    others = {k: v for k, v in readers.items() if v and k != "dashboard/core/settings.py"}
    assert not others, others


# ------------------------------------------------------------------------------------------------ data and modules


def test_every_canonical_column_is_documented():
    from data_loaders.schema import TABLES

    doc = ROOT / "docs" / "data-formats.md"
    if not doc.exists():
        pytest.fail("docs/data-formats.md is missing")
    text = doc.read_text(encoding="utf-8")
    missing = [f.label for t in TABLES.values() for f in t.fields if f.label not in text]
    assert not missing


@pytest.mark.parametrize("path", [str(p.relative_to(ROOT)) for p in _python_files(*DOCSTRING_DIRS)])
def test_every_module_has_a_docstring(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    if not tree.body and Path(path).name == "__init__.py":
        return  # an empty package marker owns nothing
    assert ast.get_docstring(tree), f"{path} has no module docstring saying what it owns"
