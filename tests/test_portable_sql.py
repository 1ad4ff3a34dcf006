"""Every piece of dialect-specific SQL in the app, and whether a dialect check guards it (issue 27, item 4).

The app is tested live on SQLite and PostgreSQL only; for any other database (DM, openGauss, KingbaseES, MySQL)
the SQL it runs must be what SQLAlchemy compiles for that dialect, or plain portable SQL. This test reads the
source of dashboard/, data_loaders/ and pages/ (migrations included) with `ast` and finds

* SQL text that only some databases accept (PRAGMA, COPY … FROM STDIN, PostgreSQL catalogues and casts,
  TRUNCATE, bare ANALYZE, CREATE TEMP TABLE, UPDATE … FROM, ON CONFLICT, triggers, boolean literals …) in any
  string literal that is not a docstring;
* dialect-only SQLAlchemy constructs: `sqlalchemy.dialects.*` imports, `on_conflict_do_*`, `cursor.copy`,
  and dialect-scoped keywords such as `postgresql_where=`;

and decides for each whether it is *guarded*: inside an `if`/conditional expression whose test reads the
dialect (`dialect.name`, `dialect.driver`, a `sqlite`/`is_pg` flag, `_use_copy(…)`, `url.startswith("sqlite")`),
or in a function every call of which is so guarded. Dialect-scoped keywords count as guarded (SQLAlchemy
ignores them elsewhere).

ALLOWED lists each finding as (file, function, what) with whether it is guarded and why it is there. The test
fails on a finding not in the list, on an entry nothing matches any more, and on an entry whose guard verdict
is no longer true — so the list stays the inventory docs/install-offline.md (国产数据库) refers to.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("dashboard", "data_loaders", "pages")

# what: regex over a string literal's text (f-strings: their constant parts joined with a placeholder)
SQL_PATTERNS = {
    "PRAGMA": r"^\s*PRAGMA\b",
    "COPY FROM STDIN": r"\bCOPY\b.*\bFROM STDIN\b",
    "PostgreSQL catalogue/function": r"\b(pg_[a-z_]+|current_schema\(\)|regnamespace|regclass)\b",
    "PostgreSQL cast ::": r"::[a-z]",
    "= ANY(array)": r"=\s*ANY\s*\(",
    "setval/nextval": r"\b(setval|nextval|currval)\s*\(",
    "SET LOCAL": r"^\s*SET LOCAL\b",
    "TRUNCATE": r"^\s*TRUNCATE\b",
    "bare ANALYZE": r"^\s*ANALYZE\s*$",
    "CREATE TEMP TABLE": r"\bCREATE TEMP(ORARY)? TABLE\b",
    "WITH NO DATA": r"\bWITH NO DATA\b",
    "UPDATE … FROM": r"^\s*UPDATE\b[^()]*\bSET\b[^()]*\bFROM\b",
    "ON CONFLICT / INSERT OR": r"\bON CONFLICT\b|\bINSERT OR (REPLACE|IGNORE)\b",
    "trigger/function DDL": r"\b(CREATE|DROP) (OR REPLACE )?(TRIGGER|FUNCTION)\b|\bplpgsql\b|\bRAISE\(",
    "boolean literal": r"\b(SET|WHERE|AND|OR)\s+\w+\s*=\s*(true|false)\b",
    "ILIKE / DISTINCT ON / RETURNING": r"\bILIKE\b|\bDISTINCT ON\b|\bRETURNING\b",
    "dialect-only function": r"\b(string_agg|group_concat|date_trunc|julianday|strftime|to_char|"
                             r"regexp_replace)\s*\(",
}
SQL_RE = {k: re.compile(v, re.IGNORECASE | re.MULTILINE) for k, v in SQL_PATTERNS.items()}
DIALECT_PREFIXES = ("postgresql_", "sqlite_", "mysql_", "mariadb_", "oracle_", "mssql_", "opengauss_", "dm_")

GUARD_NAMES = {"sqlite", "is_pg", "is_postgres", "pg", "_use_copy", "dialect", "dialect_name"}


@dataclass(frozen=True)
class Allowed:
    guarded: bool
    why: str


# (file, innermost function or <module>, what) -> verdict and reason
ALLOWED = {
    # -- SQLite connection and write settings (db.get_engine, writes.write_transaction, facts) ------------
    ("dashboard/core/db.py", "_sqlite_pragmas", "PRAGMA"): Allowed(
        True, "the SQLite engine's connect hook, defined inside `if url.startswith('sqlite')`"),
    ("dashboard/core/writes.py", "write_transaction", "PRAGMA"): Allowed(
        True, "synchronous=OFF/NORMAL around a bulk load, under `if bulk and sqlite`"),
    ("dashboard/metrics/facts.py", "ensure_facts", "PRAGMA"): Allowed(
        True, "PRAGMA optimize after a rebuild, under `if engine.dialect.name == 'sqlite'`"),
    ("dashboard/core/writes.py", "write_transaction", "bare ANALYZE"): Allowed(
        False, "statistics after a bulk load on every database; PostgreSQL, SQLite and openGauss accept a bare "
               "ANALYZE, MySQL needs ANALYZE TABLE t, DM has no ANALYZE statement (DBMS_STATS): a demo load on "
               "those would fail at its last step. Fix: guard by dialect name"),
    # -- PostgreSQL fast paths (COPY, advisory lock, sequences, bulk-load catalogue work) -------------------
    ("dashboard/core/writes.py", "lock_writers", "PostgreSQL catalogue/function"): Allowed(
        True, "pg_advisory_xact_lock, under `if conn.dialect.name == 'postgresql'` (other databases other "
              "than SQLite get no writer lock: see docs/install-offline.md)"),
    ("dashboard/core/writes.py", "_copy_rows", "COPY FROM STDIN"): Allowed(
        True, "psycopg's COPY; called only under `if _use_copy(conn)` (postgresql + psycopg)"),
    ("dashboard/core/writes.py", "_copy_rows", "cursor.copy"): Allowed(
        True, "psycopg's COPY; called only under `if _use_copy(conn)`"),
    ("dashboard/core/writes.py", "bulk_update", "CREATE TEMP TABLE"): Allowed(
        True, "scratch table for COPY + UPDATE … FROM, under `if _use_copy(conn) and n > 100`"),
    ("dashboard/core/writes.py", "bulk_update", "WITH NO DATA"): Allowed(True, "as above"),
    ("dashboard/core/writes.py", "bulk_update", "UPDATE … FROM"): Allowed(True, "as above"),
    ("dashboard/core/writes.py", "refresh_latest", "CREATE TEMP TABLE"): Allowed(
        False, "scratch table of project ids when more than 1000 projects changed, on every database; "
               "CREATE TEMP TABLE is SQLite/PostgreSQL/openGauss/MySQL syntax, DM writes CREATE GLOBAL "
               "TEMPORARY TABLE. Fix: a dialect branch, or a Core Table with prefixes per dialect"),
    ("dashboard/core/writes.py", "reserve_ids", "setval/nextval"): Allowed(
        True, "a block of the table's sequence, under `if conn.dialect.name == 'postgresql'`; elsewhere MAX(id)"),
    ("dashboard/core/writes.py", "reserve_ids", "PostgreSQL catalogue/function"): Allowed(True, "as above"),
    ("dashboard/demo/__init__.py", "_clear", "TRUNCATE"): Allowed(
        True, "under `if is_pg`; other databases DELETE"),
    ("dashboard/demo/__init__.py", "_pg_suspend_constraints", "SET LOCAL"): Allowed(
        True, "bulk-load recipe; called only under `if is_pg` in load_demo"),
    ("dashboard/demo/__init__.py", "_pg_suspend_constraints", "PostgreSQL catalogue/function"): Allowed(
        True, "as above"),
    ("dashboard/demo/__init__.py", "_pg_suspend_constraints", "PostgreSQL cast ::"): Allowed(True, "as above"),
    ("dashboard/demo/__init__.py", "_pg_suspend_constraints", "= ANY(array)"): Allowed(True, "as above"),
    ("dashboard/demo/__init__.py", "load_demo", "setval/nextval"): Allowed(
        True, "sequences moved past the demo's explicit ids, under `if is_pg`"),
    ("dashboard/demo/__init__.py", "load_demo", "PostgreSQL catalogue/function"): Allowed(True, "as above"),
    # -- schema ------------------------------------------------------------------------------------------
    ("dashboard/core/models.py", "MonitoringRecord", "sqlite_where="): Allowed(
        True, "partial unique index uq_monitoring_one_latest; other dialects get a full unique index "
              "(tests/core/test_dialect_ddl.py, xfail GAP_PARTIAL_INDEX)"),
    ("dashboard/core/models.py", "MonitoringRecord", "postgresql_where="): Allowed(True, "as above"),
    ("dashboard/core/models.py", "ProjectFacts", "sqlite_with_rowid="): Allowed(
        True, "a SQLite storage option, ignored elsewhere"),
    # -- migrations --------------------------------------------------------------------------------------
    ("dashboard/core/migrations/versions/0002_project_facts_and_covering_evaluation_.py", "upgrade",
     "sqlite_with_rowid="): Allowed(True, "as in models.py"),
    ("dashboard/core/migrations/versions/0003_one_latest_monitoring_record.py", "upgrade", "sqlite_where="):
        Allowed(True, "as in models.py"),
    ("dashboard/core/migrations/versions/0003_one_latest_monitoring_record.py", "upgrade",
     "postgresql_where="): Allowed(True, "as in models.py"),
    ("dashboard/core/migrations/versions/0003_one_latest_monitoring_record.py", "upgrade", "boolean literal"):
        Allowed(False, "`SET is_latest = false/true` on every database: fine for SQLite, PostgreSQL, openGauss "
                       "and MySQL; DM stores Boolean as SMALLINT (compiled DDL) and is not proven to accept "
                       "the literals. On a new database the table is empty but the statement must still parse"),
    ("dashboard/core/migrations/versions/0004_accounts.py", "upgrade", "trigger/function DDL"): Allowed(
        True, "append-only audit_log triggers under `if dialect == 'sqlite'` / `elif dialect == 'postgresql'` "
              "(none elsewhere: xfail GAP_AUDIT_TRIGGER in tests/core/test_dialect_ddl.py)"),
    ("dashboard/core/migrations/versions/0004_accounts.py", "downgrade", "trigger/function DDL"): Allowed(
        True, "under `if dialect == 'postgresql'`"),
    ("dashboard/core/migrations/versions/0009_audit_chain.py", "_chain_existing", "trigger/function DDL"): Allowed(
        True, "lifts and restores 0004's append-only trigger to chain the existing entries, under `if dialect == "
              "'sqlite'` / `elif dialect == 'postgresql'` (the only dialects that have it); skipped in offline mode"),
}


@dataclass(frozen=True)
class Finding:
    file: str
    function: str
    what: str
    line: int
    guarded: bool


def _files() -> list[Path]:
    return sorted(p for top in SCANNED for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts)


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    return None


def _reads_dialect(test: ast.AST) -> bool:
    for n in ast.walk(test):
        if isinstance(n, ast.Name) and n.id in GUARD_NAMES:
            return True
        if isinstance(n, ast.Attribute) and (n.attr in ("dialect", "driver") or
                                             (n.attr == "name" and "dialect" in ast.unparse(n.value))):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "startswith" \
                and any(isinstance(a, ast.Constant) and a.value in ("sqlite", "postgresql") for a in n.args):
            return True
        if isinstance(n, ast.Constant) and n.value in ("sqlite", "postgresql"):
            return True
    return False


class _Scan(ast.NodeVisitor):
    def __init__(self, rel: str):
        self.rel = rel
        self.stack: list[ast.AST] = []  # enclosing defs, classes and guarding tests
        self.hits: list[tuple[str, str, int, list[ast.AST]]] = []
        self.calls: list[tuple[str, bool]] = []  # (called function name, guarded at that call)
        self.docstrings: set[int] = set()

    def _function(self) -> str:
        for n in reversed(self.stack):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                return n.name
        return "<module>"

    def _guarded_here(self) -> bool:
        return any(isinstance(n, ast.expr) and _reads_dialect(n) for n in self.stack)

    def _hit(self, what: str, node: ast.AST) -> None:
        self.hits.append((what, self._function(), node.lineno, list(self.stack)))

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and _text(body[0].value) is not None:
                self.docstrings.add(id(body[0].value))
        if isinstance(node, (ast.If, ast.IfExp, ast.While)):
            self.visit(node.test)
            self.stack.append(node.test)
            for child in ([*node.body, *node.orelse] if isinstance(node, (ast.If, ast.While))
                          else [node.body, node.orelse]):
                self.visit(child)
            self.stack.pop()
            return
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):  # `a and b`: b runs only when a holds
            first, *rest = node.values
            self.visit(first)
            self.stack.append(first)
            for v in rest:
                self.visit(v)
            self.stack.pop()
            return
        scoped = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if scoped:
            self.stack.append(node)
        self._look(node)
        super().generic_visit(node)
        if scoped:
            self.stack.pop()

    def _look(self, node: ast.AST) -> None:
        text = _text(node)
        if text is not None and id(node) not in self.docstrings:
            for what, rx in SQL_RE.items():
                if rx.search(text):
                    self._hit(what, node)
        if isinstance(node, ast.JoinedStr):
            for v in node.values:  # the f-string's parts were read as a whole above
                if isinstance(v, ast.Constant):
                    self.docstrings.add(id(v))
        if isinstance(node, ast.keyword) and node.arg and node.arg.startswith(DIALECT_PREFIXES):
            self._hit(node.arg + "=", node.value)
        if isinstance(node, ast.Dict):
            for k in node.keys:
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.startswith(DIALECT_PREFIXES):
                    self._hit(k.value + "=", k)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy.dialects"):
            self._hit("sqlalchemy.dialects import", node)
        if isinstance(node, ast.Attribute) and node.attr.startswith("on_conflict_do_"):
            self._hit("on_conflict_do_*", node)
        if isinstance(node, ast.Attribute) and node.attr == "copy" and "cursor" in ast.unparse(node.value):
            self._hit("cursor.copy", node)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else None)
            if name:
                self.calls.append((name, self._guarded_here()))


def scan() -> list[Finding]:
    scans = []
    for path in _files():
        rel = path.relative_to(ROOT).as_posix()
        s = _Scan(rel)
        s.visit(ast.parse(path.read_text(encoding="utf-8"), filename=rel))
        scans.append(s)
    calls: dict[str, list[bool]] = defaultdict(list)
    for s in scans:
        for name, guarded in s.calls:
            calls[name].append(guarded)
    out = []
    for s in scans:
        for what, function, line, stack in s.hits:
            guarded = what.endswith("=") or any(isinstance(n, ast.expr) and _reads_dialect(n) for n in stack)
            if not guarded and function in calls:  # a helper every call of which is guarded
                guarded = all(calls[function])
            out.append(Finding(s.rel, function, what, line, guarded))
    return out


def test_the_scan_finds_what_it_looks_for():
    """The scanner itself: planted snippets are found and judged, docstrings are not read as SQL."""
    code = '''
"""PRAGMA in a docstring is prose."""
def helper(conn):
    conn.exec_driver_sql("PRAGMA x")
def caller(conn):
    if conn.dialect.name == "sqlite":
        helper(conn)
    conn.execute(text("TRUNCATE t"))
    x = f"UPDATE {t} SET a = s.a FROM {s} AS s"
    ok = conn.dialect.name == "postgresql" and conn.execute(text("SELECT setval('s', 1)"))
'''
    s = _Scan("planted.py")
    s.visit(ast.parse(code))
    got = {(what, fn, any(isinstance(n, ast.expr) and _reads_dialect(n) for n in st)) for what, fn, _l, st in s.hits}
    assert got == {("PRAGMA", "helper", False), ("TRUNCATE", "caller", False), ("UPDATE … FROM", "caller", False),
                   ("setval/nextval", "caller", True)}
    assert ("helper", True) in s.calls


def test_every_dialect_specific_sql_is_listed_with_its_guard():
    found = scan()
    by_key: dict[tuple, list[Finding]] = defaultdict(list)
    for f in found:
        by_key[(f.file, f.function, f.what)].append(f)
    unlisted = {k: [f.line for f in v] for k, v in by_key.items() if k not in ALLOWED}
    assert not unlisted, ("dialect-specific SQL not in ALLOWED (guard it by dialect, or list it with the reason): "
                          f"{unlisted}")
    stale = sorted(k for k in ALLOWED if k not in by_key)
    assert not stale, f"ALLOWED entries nothing matches any more (remove them): {stale}"
    wrong = {k: (f"listed guarded={ALLOWED[k].guarded}", [(f.line, f.guarded) for f in v])
             for k, v in by_key.items() if any(f.guarded != ALLOWED[k].guarded for f in v)}
    assert not wrong, f"guard verdicts changed (update ALLOWED and docs/install-offline.md): {wrong}"
