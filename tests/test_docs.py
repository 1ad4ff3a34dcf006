"""Docs that cannot drift: README.md's command reference is the real `--help` of every command; every path,
module and .md file the docs or the code name exists; every rule the code quotes from a doc is in that doc; the
code layout names exactly the folders tests/test_layers.py gives a layer; and every setting, rule, environment
variable and canonical column is documented, and every module says in its docstring what it owns.

README's command reference is generated from `build_parser()` with help wrapped at COLUMNS=100 (what a
100-column terminal prints). Regenerate it after changing a command or option:

    UPDATE_DOCS=1 .venv/bin/python -m pytest -q -p no:xdist tests/test_docs.py -k help

Without UPDATE_DOCS the test fails on any difference and prints this command.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from dashboard.cli import build_parser
from dashboard.core.settings import Limits, Rules, Settings
from tests.test_layers import FOLDERS, LEVEL

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
SOURCE_DIRS = ("dashboard", "data_loaders", "pages", "bench", "tests")  # where environment variables are read
DOCSTRING_DIRS = ("dashboard", "data_loaders", "pages")
HELP_COLUMNS = "100"
REGENERATE = "UPDATE_DOCS=1 .venv/bin/python -m pytest -q -p no:xdist tests/test_docs.py -k help"


def _docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in DOCS)


def _python_files(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ------------------------------------------------------------------------------------------------ README


def test_readme_shows_the_two_commands_first():
    text = README.read_text(encoding="utf-8")
    assert text.index("make run") < text.index("make test") < text.index("## ")


# -------------------------------------------------------------------------------------------- command reference

_REFERENCE = re.compile(r"(?s)(<!-- commands:[^\n]*-->\n)(?P<body>.*?)(<!-- /commands -->)")
_HELP_BLOCK = re.compile(r"(?s)<!-- help: (?P<command>[^\n]*?) -->\n```text\n(?P<help>.*?)\n```\n<!-- /help -->")


def _parsers(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()):
    """(words after `python -m dashboard`, parser) of the program and of every command, nested ones included,
    in the order build_parser adds them."""
    yield words, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*words, name))


def _help(parser: argparse.ArgumentParser) -> str:
    """What `--help` prints, wrapped as in a COLUMNS-wide terminal (argparse reads the width from COLUMNS)."""
    with mock.patch.dict(os.environ, {"COLUMNS": HELP_COLUMNS}):
        text = parser.format_help()
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def _reference() -> str:
    """README's command reference: one fenced block per command, between `<!-- help: … -->` markers."""
    blocks = []
    for words, parser in _parsers(build_parser()):
        command = " ".join(["python -m dashboard", *words, "--help"])
        blocks.append(f"<!-- help: {command} -->\n```text\n{_help(parser)}\n```\n<!-- /help -->\n")
    return "".join(blocks)


def test_the_walk_finds_the_program_every_command_and_the_nested_ones():
    commands = [" ".join(w) for w, _ in _parsers(build_parser())]
    assert {"", "init", "import", "sync", "brief", "users", "users add", "users list", "users enable", "audit"} \
        <= set(commands), commands
    assert len(commands) == len(set(commands))


def test_readme_command_reference_is_the_help_output():
    """README.md's reference equals today's --help of every command; UPDATE_DOCS=1 rewrites it instead."""
    text = README.read_text(encoding="utf-8")
    region = _REFERENCE.search(text)
    assert region, "README.md has no <!-- commands: … --> … <!-- /commands --> region for the command reference"
    want = _reference()
    have = region.group("body")
    if have == want:
        return
    if os.environ.get("UPDATE_DOCS"):
        README.write_text(text[: region.start("body")] + want + text[region.end("body"):], encoding="utf-8")
        return
    have_blocks = {m.group("command"): m.group("help") for m in _HELP_BLOCK.finditer(have)}
    want_blocks = {m.group("command"): m.group("help") for m in _HELP_BLOCK.finditer(want)}
    changed = [c for c in want_blocks if have_blocks.get(c) != want_blocks[c]]
    gone = [c for c in have_blocks if c not in want_blocks]
    diff = "\n".join(difflib.unified_diff(have.splitlines(), want.splitlines(), "README.md", "--help", lineterm="",
                                          n=1))
    pytest.fail(f"README.md's command reference is not the --help of today's commands (differs: {changed}, "
                f"no longer a command: {gone}). Regenerate it with\n    {REGENERATE}\n{diff}")


def test_the_reference_is_what_the_command_line_prints():
    """The in-process help used above is what `python -m dashboard … --help` prints in a 100-column terminal."""
    env = {**os.environ, "COLUMNS": HELP_COLUMNS}
    words = ("users", "add")
    done = subprocess.run([sys.executable, "-m", "dashboard", *words, "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    parser = dict(_parsers(build_parser()))[words]
    assert "\n".join(line.rstrip() for line in done.stdout.rstrip().splitlines()) == _help(parser)


# ------------------------------------------------------------------------------------------ names the docs give

# a path of the repository: dashboard/…, data_loaders/…, pages/…, tests/…, bench/…, docs/…
_PATH = re.compile(r"(?<![\w/.@-])((?:dashboard|data_loaders|pages|tests|bench|docs)/[\w./-]*)")
# a dotted name of a project module, or of something in one: dashboard.x.y, data_loaders.x.f
_DOTTED = re.compile(r"(?<![\w/.@-])((?:dashboard|data_loaders)(?:\.\w+)+)")
# file names that start like a module: dashboard.toml is the settings file in the working directory
_FILE_SUFFIXES = {"toml", "py", "md", "json", "yaml", "yml", "db", "xlsx", "docx", "pdf", "png", "csv"}


def _ignored_dirs() -> list[str]:
    """Folders .gitignore names with a path (bench/out/): output written by a command, not part of the source."""
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().strip("/") for line in lines if "/" in line.strip().strip("/")]


def _named(pattern: re.Pattern) -> list[tuple[str, int, str]]:
    """(doc, line, name) of every match in README.md and docs/*.md."""
    out = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            out += [(_rel(doc), n, m.group(1).rstrip(".-/") or m.group(1)) for m in pattern.finditer(line)]
    return out


def test_the_scans_find_paths_and_modules():
    assert _PATH.findall("see `dashboard/core/settings.py`, tests/browser/ and https://x.cn/docs/a") == [
        "dashboard/core/settings.py", "tests/browser/"]
    assert _DOTTED.findall("`dashboard.core.settings.Settings`, `dashboard.toml`, my_dashboard.x") == [
        "dashboard.core.settings.Settings", "dashboard.toml"]
    assert _resolves("dashboard.metrics.clear_caches") and _resolves("dashboard.core.settings.Settings")
    assert not _resolves("dashboard.settings") and not _resolves("dashboard.core.settings.Nothing")


@pytest.mark.parametrize("doc,line,path", _named(_PATH))
def test_every_path_in_the_docs_exists(doc, line, path):
    path = path.split("#")[0].split("::")[0]
    if any(path == d or path.startswith(d + "/") for d in _ignored_dirs()):
        return  # written by a command (bench/out/ by make bench)
    assert (ROOT / path).exists(), f"{doc}:{line}: `{path}` is not a file or folder of the repository"


def _defines(source: Path, names: list[str]) -> bool:
    """Whether the module at `source` defines names[0] at top level (a def, class, assignment or import), and,
    when that is a class, names[1] in its body; deeper attributes are taken on trust."""
    body = ast.parse(source.read_text(encoding="utf-8")).body
    for name in names:
        found = None
        stack = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.If, ast.Try)):
                stack += node.body + node.orelse + getattr(node, "finalbody", [])
                continue
            defined = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined = [node.name]
            elif isinstance(node, ast.Assign):
                defined = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                defined = [node.target.id]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                defined = [(a.asname or a.name).split(".")[0] for a in node.names]
            if name in defined:
                found = node
                break
        if found is None:
            return False
        if not isinstance(found, ast.ClassDef):
            return True
        body = found.body
    return True


def _resolves(name: str) -> bool:
    """`name` is a module of the project (importlib.util.find_spec), or a module and something defined in it."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            spec = importlib.util.find_spec(".".join(parts[:i]))
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            return i == len(parts) or (spec.origin is not None and _defines(Path(spec.origin), parts[i:]))
    return False


@pytest.mark.parametrize("doc,line,name", _named(_DOTTED))
def test_every_module_in_the_docs_exists(doc, line, name):
    if name.rpartition(".")[2] in _FILE_SUFFIXES:
        return  # a file name such as dashboard.toml, not a module
    assert _resolves(name), f"{doc}:{line}: `{name}` is neither a module of the project nor defined in one"


# a cited Markdown file: README.md, docs/rules.md — not text.md(…) or text.md-escaped
_MD_FILE = re.compile(r"(?<![\w./-])([\w./-]*\w\.md)(?![\w(-])")


def _md_files() -> set[str]:
    return {_rel(p) for p in [*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md")]}


def _cited_md() -> list[tuple[str, int, str]]:
    out = []
    for path in _python_files(*SOURCE_DIRS):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            out += [(_rel(path), n, m.group(1)) for m in _MD_FILE.finditer(line)]
    return out


def test_the_md_scan_finds_citations_only():
    assert _MD_FILE.findall("see docs/rules.md, README.md; text.md(name) is text.md-escaped") == [
        "docs/rules.md", "README.md"]


@pytest.mark.parametrize("where,line,name", _cited_md())
def test_every_md_file_the_code_cites_exists(where, line, name):
    known = _md_files()
    assert name in known or any(k.endswith("/" + name) for k in known), (
        f"{where}:{line} cites {name}, which is not in the repository ({', '.join(sorted(known))})")


def test_every_link_between_the_docs_resolves():
    """A link such as [text](docs/deployment.md#7-sign-in-and-roles) and a reference such as
    `docs/deployment.md §6` point at a file that exists and a heading it has."""
    problems = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            if not file.exists():
                problems.append(f"{_rel(doc)}: link to {target}: no such file")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                problems.append(f"{_rel(doc)}: link to {target}: no such heading")
        for path, section in re.findall(r"(docs/[\w-]+\.md) §(\d+(?:\.\d+)*)", text):
            if not any(re.match(rf"{re.escape(section)}[.\s]", h) for h in _headings(ROOT / path)):
                problems.append(f"{_rel(doc)}: {path} §{section}: no such numbered section")
    assert not problems, "\n".join(problems)


def _headings(doc: Path) -> list[str]:
    # a `# comment` inside a fenced block is no heading
    text = re.sub(r"(?ms)^```.*?^```", "", doc.read_text(encoding="utf-8"))
    return [m.group(1).strip() for m in re.finditer(r"(?m)^#{1,6} (.+)$", text)]


def _anchors(doc: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation other than - and _ dropped, spaces to -."""
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in _headings(doc)}


# ------------------------------------------------------------------------------------------------ quoted rules

_QUOTE = re.compile(r'(docs/[\w-]+\.md): "')


def _quote_at(text: str, start: int) -> str:
    """The quotation opening at text[start - 1]: up to its closing mark, quotes inside it kept (a mark after a
    space or '(' and before a non-space opens a nested quote; any other closes one)."""
    depth, i = 1, start
    while i < len(text):
        if text[i] == '"':
            opens = text[i - 1] in " (\n" and i + 1 < len(text) and not text[i + 1].isspace()
            depth += 1 if opens else -1
            if depth == 0:
                return text[start:i]
        i += 1
    raise AssertionError(f"unclosed quotation: {text[start - 20:start + 60]!r}")


def _quotes() -> list[tuple[str, str, str]]:
    """(source file, doc, quoted text) of every quotation of a doc in the code: the doc's path, a colon and the
    quoted words in double quotes."""
    out = []
    for path in _python_files(*SOURCE_DIRS):
        text = path.read_text(encoding="utf-8")
        out += [(_rel(path), m.group(1), _quote_at(text, m.end())) for m in _QUOTE.finditer(text)]
    return out


def _plain(text: str) -> str:
    """Text as read, for comparing a quotation with its doc: no Markdown emphasis or code marks, one space for any
    run of white space, case ignored (a quotation may start a sentence)."""
    return " ".join(text.replace("**", "").replace("`", "").split()).casefold()


def _fragments(quote: str) -> list[str]:
    """The quoted words, split where the quotation leaves some out ("..." or "…")."""
    return [f for f in (_plain(p) for p in re.split(r"\.\.\.|…", quote.rstrip(".,; "))) if f]


def test_the_quote_reader_keeps_nested_quotes():
    text = "docs/rules.md" + ': "a ≥90 优 (bands "90（含）以上为优…")." Lower'  # split: not a quotation of this file
    m = _QUOTE.search(text)
    assert _quote_at(text, m.end()) == 'a ≥90 优 (bands "90（含）以上为优…").'
    assert _fragments('Rate = 已整改 ... of all.') == ["rate = 已整改", "of all"]


def test_the_code_quotes_the_rules():
    assert len([q for q in _quotes() if q[1] == "docs/rules.md"]) >= 12


@pytest.mark.parametrize("where,doc,quote", _quotes())
def test_every_quote_of_a_doc_is_in_it(where, doc, quote):
    """A docstring quoting a doc (its path, a colon, the words in double quotes) says the doc says them: the
    words, in order, are in the doc ("..." or "…" where the quotation leaves some out)."""
    text = _plain((ROOT / doc).read_text(encoding="utf-8"))
    at = 0
    for fragment in _fragments(quote):
        found = text.find(fragment, at)
        assert found >= 0, f"{where} quotes {doc}: {fragment!r} — not in {doc} (after the part before it)"
        at = found + len(fragment)


# ------------------------------------------------------------------------------------------------ code layout


def _layout_rows() -> list[tuple[list[str], str, str]]:
    """(backticked paths of the first cell, layer, what it owns) of each row of the table under
    docs/architecture.md's "## Code layout"."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Code layout", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and "`" in cells[0]:
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1], cells[2]))
    return rows


def test_the_code_layout_names_every_layer_folder():
    """Every folder tests/test_layers.py gives a layer has its line, with that layer and level."""
    rows = _layout_rows()
    for folder, layer in FOLDERS.items():
        lines = [r for r in rows if f"{folder}/" in r[0]]
        assert len(lines) == 1, f"docs/architecture.md's code layout has {len(lines)} lines for {folder}/"
        assert lines[0][1] == f"{layer} ({LEVEL[layer]})", (folder, lines[0][1], layer)


def test_every_folder_of_the_code_layout_exists():
    """Every folder a line names exists, and so does every module it names by file name (`reader.py`) in it."""
    for paths, _, owns in _layout_rows():
        for path in paths:
            assert (ROOT / path).exists(), f"docs/architecture.md names {path}, which does not exist"
        for name in re.findall(r"`(\w+\.py)`", owns):
            assert len(paths) == 1 and (ROOT / paths[0] / name).is_file(), (
                f"docs/architecture.md: {name} is not a file of {paths[0]}")


def test_the_readme_links_the_code_layout():
    assert "(docs/architecture.md" in README.read_text(encoding="utf-8")


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
