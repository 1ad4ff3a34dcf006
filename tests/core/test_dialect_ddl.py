"""The schema and every migration compiled for the domestic databases, without a server (issue 27, item 4).

No DM8, openGauss or KingbaseES server runs here: what can be proven is that SQLAlchemy with each database's own
dialect (installed from PyPI by the `dev` extra) turns our schema into DDL, and that Alembic in offline mode
(`alembic upgrade head --sql`, through the project's own migrations/env.py handed a mock connection) turns every
migration into a script — and what that DDL says. Where it says something wrong for the app, the check is
marked xfail(strict=True) with the reason and the fix: it fails as soon as the fix lands, so the marker is then
removed. SQLite and PostgreSQL are the databases tested live (the rest of the suite); MySQL/MariaDB is only a
source of `sync`. PostgreSQL is compiled here too, as the reference each check passes for.

Dialects: DM through dmSQLAlchemy (`dm+dmPython://`, needs SQLAlchemy < 2.1: tested below); openGauss through
opengauss-sqlalchemy (`opengauss+psycopg2://`); KingbaseES has no SQLAlchemy dialect on PyPI (its driver
ksycopg2 is there), so its cases skip unless a `kingbase` dialect is installed.
"""

from __future__ import annotations

import io
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import sqlalchemy
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from sqlalchemy import create_mock_engine
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.schema import CreateIndex, CreateTable

from dashboard.core import db
from dashboard.core.models import Base

ROOT = Path(__file__).resolve().parents[2]
URLS = {
    "postgresql": "postgresql+psycopg://u:x@127.0.0.1:5432/db",  # the reference: the same checks pass for it
    "dm": "dm+dmPython://SYSDBA:x@127.0.0.1:5236",
    "opengauss": "opengauss+psycopg2://u:x@127.0.0.1:5432/db",
    "kingbase": "kingbase://u:x@127.0.0.1:54321/db",
}
IN_DEV_EXTRA = {"dm": "dmSQLAlchemy", "opengauss": "opengauss-sqlalchemy"}  # must be installed (make install)
AUTONUMBER = {"postgresql": "SERIAL", "dm": "IDENTITY", "opengauss": "SERIAL", "kingbase": "SERIAL"}  # what a generated key compiles to

GAP_DM_ALEMBIC = ("Alembic has no implementation for the dialect 'dm': `python -m dashboard init` on DM stops "
                  "with KeyError: 'dm'. Fix: register one where the migrations run, e.g. in "
                  "dashboard/core/migrations/env.py `class DMImpl(alembic.ddl.impl.DefaultImpl): "
                  "__dialect__ = 'dm'; transactional_ddl = False` (DM commits DDL itself)")
GAP_DM_IDENTITY = ("dmSQLAlchemy makes a key IDENTITY only for autoincrement=True; our integer keys use the "
                   "default 'auto', so on DM `id INTEGER NOT NULL` has no generator and every INSERT without an id "
                   "(import_batches, audit_log, users, …) fails. Fix: autoincrement=True on those columns in "
                   "models.py and the migrations (or sa.Identity())")
GAP_PARTIAL_INDEX = ("uq_monitoring_one_latest is partial only through sqlite_where/postgresql_where; every other "
                     "dialect gets a plain UNIQUE index on monitoring(project_id), which allows one monitoring "
                     "record per project. Fix: opengauss_where for openGauss; on DM (no partial indexes) skip "
                     "the index or index a CASE expression")
GAP_DM_PLACEHOLDER = ("dashboard.core.writes._sql_names writes '?' only when the dialect's paramstyle is qmark, else "
                      "'%s'; the DM dialect's paramstyle is 'named' while dmPython takes qmark, so bulk_insert and "
                      "bulk_update (every import and the demo) hand DM `VALUES (%s, …)`. Fix: take the placeholder "
                      "from the DB-API module's paramstyle (conn.dialect.dbapi.paramstyle)")
GAP_AUDIT_TRIGGER = ("migration 0004 makes audit_log append-only by trigger only on sqlite and postgresql "
                     "(dialect name 'opengauss' and 'dm' get none). Fix: a trigger per dialect in a migration")


def _gap(reason: str, *names: str):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=reason)) if n in names else n
            for n in URLS]


def _dialect(name: str):
    try:
        return create_mock_engine(URLS[name], lambda *a, **k: None).dialect
    except (NoSuchModuleError, ImportError) as exc:
        if name in IN_DEV_EXTRA:
            pytest.fail(f"{IN_DEV_EXTRA[name]} is in the dev extra but does not load ({exc!r}): run `make install`")
        pytest.skip(f"no SQLAlchemy dialect named {name!r} is installed ({exc!r}): none is published on PyPI "
                    "for KingbaseES (only its driver ksycopg2); install the vendor's dialect to compile for it")


def _schema_ddl(dialect) -> dict[str, str]:
    """{table name: CREATE TABLE and CREATE INDEX statements} of Base.metadata."""
    out = {}
    for table in Base.metadata.sorted_tables:
        parts = [str(CreateTable(table).compile(dialect=dialect))]
        parts += [str(CreateIndex(ix).compile(dialect=dialect)) for ix in sorted(table.indexes, key=lambda i: i.name)]
        out[table.name] = ";\n".join(p.strip() for p in parts)
    return out


class _TestOnly:
    """Marks an Alembic implementation registered by this module (not by the app or the dialect package)."""


@pytest.fixture
def alembic_impl():
    """Lets Alembic compile for a dialect it has no implementation for (DM): a DefaultImpl registered for the
    test only, removed afterwards so test_alembic_runs_the_migrations_itself sees the app's own state."""
    from alembic.ddl import impl

    def ensure(dialect_name: str) -> None:
        if dialect_name not in impl._impls:
            type(f"{dialect_name}_test_impl", (impl.DefaultImpl, _TestOnly),
                 {"__dialect__": dialect_name, "transactional_ddl": False})

    yield ensure
    # only this module's own registrations go (a dialect package may have registered its own meanwhile)
    for name, cls in list(impl._impls.items()):
        if issubclass(cls, _TestOnly):
            del impl._impls[name]


def _offline_upgrade(dialect_url: str) -> str:
    """`alembic upgrade head --sql` through the app's migrations/env.py, given a mock connection of the dialect."""
    from alembic import command
    from alembic.config import Config

    buf = io.StringIO()
    cfg = Config(output_buffer=buf)
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    cfg.attributes["connection"] = create_mock_engine(dialect_url, lambda *a, **k: None)
    command.upgrade(cfg, "head", sql=True)
    return buf.getvalue()


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    return [s.revision for s in reversed(list(ScriptDirectory(str(db.MIGRATIONS)).walk_revisions()))]


# -- the pin that lets the DM dialect load ---------------------------------------------------------------------

def test_sqlalchemy_pin_keeps_the_dm_dialect_loadable():
    """dmSQLAlchemy 2.0.17 imports `await_fallback` from sqlalchemy.util, which SQLAlchemy 2.1 removed
    (ImportError at `import dmSQLAlchemy`); 2.0.x has it. The pin must exclude 2.1 until a DM release says
    otherwise, and the installed SQLAlchemy must be the 2.0 line."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    (spec,) = [d for d in deps if re.match(r"sqlalchemy\b", d, re.IGNORECASE)]
    allowed = SpecifierSet(spec.split(";")[0][len("sqlalchemy"):].split("#")[0].strip())
    assert not allowed.contains("2.1.0") and allowed.contains("2.0.58"), spec
    assert Version(sqlalchemy.__version__) < Version("2.1"), sqlalchemy.__version__
    import dmSQLAlchemy  # noqa: F401  (fails under SQLAlchemy 2.1)

    assert metadata.version("dmSQLAlchemy").startswith("2.0.")


# -- the schema -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(URLS))
def test_schema_compiles(name):
    dialect = _dialect(name)
    ddl = _schema_ddl(dialect)
    assert set(ddl) == set(Base.metadata.tables) and len(ddl) >= 15
    quote = dialect.identifier_preparer.quote
    for table_name, text in ddl.items():
        assert re.search(rf"CREATE TABLE {re.escape(quote(table_name))} \(", text), text[:200]
        table = Base.metadata.tables[table_name]
        for column in table.columns:  # every column in its table's statement, quoted as the dialect quotes
            assert re.search(rf"^\s*{re.escape(quote(column.name))} ", text, re.MULTILINE), (table_name, column.name)
    # the Chinese vocabularies of the CHECK constraints come through as literals
    assert "'项目支出'" in ddl["projects"] and "'乡镇街道'" in ddl["departments"]


@pytest.mark.parametrize("name", _gap(GAP_DM_IDENTITY, "dm"))
def test_integer_keys_are_generated_by_the_database(name, alembic_impl):
    dialect = _dialect(name)
    alembic_impl(dialect.name)
    ddl = _schema_ddl(dialect)
    migrated = _offline_upgrade(URLS[name])
    word = AUTONUMBER[name]
    keyed = [t for t in Base.metadata.sorted_tables
             if [c.name for c in t.primary_key.columns] == ["id"] and isinstance(t.c.id.type, sqlalchemy.Integer)
             and t.c.id.autoincrement in (True, "auto")]
    assert len(keyed) >= 10
    quote = dialect.identifier_preparer.quote
    for table in keyed:
        line = re.search(rf"^\s*{re.escape(quote('id'))} [^\n]*", ddl[table.name], re.MULTILINE).group(0)
        assert word in line, (table.name, "schema", line)
        created = re.search(rf"CREATE TABLE {re.escape(quote(table.name))} \((.*?)\n\)", migrated, re.DOTALL)
        assert created, (table.name, "no CREATE TABLE in the migrations")
        line = re.search(rf"^\s*{re.escape(quote('id'))} [^\n]*", created.group(1), re.MULTILINE).group(0)
        assert word in line, (table.name, "migrations", line)


@pytest.mark.parametrize("name", _gap(GAP_PARTIAL_INDEX, "dm", "opengauss", "kingbase"))
def test_one_latest_monitoring_record_index_is_partial(name, alembic_impl):
    dialect = _dialect(name)
    alembic_impl(dialect.name)
    statements = [s for s in _schema_ddl(dialect)["monitoring"].split(";\n") if "uq_monitoring_one_latest" in s]
    statements += [s for s in _offline_upgrade(URLS[name]).split(";") if "INDEX uq_monitoring_one_latest" in s]
    assert len(statements) == 2, statements
    for s in statements:
        assert re.search(r"\bWHERE\b", s), s.strip()


# -- the migrations -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(URLS))
def test_every_migration_compiles_offline(name, alembic_impl):
    dialect = _dialect(name)
    alembic_impl(dialect.name)
    script = _offline_upgrade(URLS[name])
    revisions = _revisions()
    assert len(revisions) >= 7 and revisions[0] == "0001"
    ran = re.findall(r"^-- Running upgrade (\S*) -> (\S+)", script, re.MULTILINE)
    assert [b for _a, b in ran] == revisions, ran
    created = set(re.findall(r"CREATE TABLE (\S+) \(", script))
    quote = dialect.identifier_preparer.quote
    assert {quote(t) for t in Base.metadata.tables} <= created, set(map(quote, Base.metadata.tables)) - created
    assert re.search(rf"alembic_version SET version_num='{revisions[-1]}'", script), script[-500:]
    assert "'项目支出'" in script


@pytest.mark.parametrize("name", _gap(GAP_DM_ALEMBIC, "dm"))
def test_alembic_runs_the_migrations_itself(name):
    """What `python -m dashboard init` needs first: Alembic knowing the dialect, with no help from the test."""
    from alembic.ddl import impl

    dialect = _dialect(name)
    assert not isinstance(impl._impls.get(dialect.name), type) or not issubclass(impl._impls[dialect.name], _TestOnly)
    assert "CREATE TABLE" in _offline_upgrade(URLS[name])


@pytest.mark.parametrize("name", _gap(GAP_AUDIT_TRIGGER, "dm", "opengauss", "kingbase"))
def test_audit_log_is_append_only_after_the_migrations(name, alembic_impl):
    dialect = _dialect(name)
    alembic_impl(dialect.name)
    script = _offline_upgrade(URLS[name])
    assert re.search(r"CREATE (OR REPLACE )?TRIGGER \S+\s+BEFORE[^;]*ON audit_log", script), "no trigger on audit_log"


@pytest.mark.parametrize("name", _gap(GAP_DM_PLACEHOLDER, "dm"))
def test_bulk_writes_use_the_drivers_placeholder(name):
    """bulk_insert/bulk_update hand their SQL to the driver itself (exec_driver_sql), so its placeholders must be
    the DB-API module's paramstyle, not SQLAlchemy's."""
    from dashboard.core import writes

    dialect = _dialect(name)
    try:
        dbapi = type(dialect).import_dbapi()
    except ImportError as exc:
        pytest.skip(f"the {name} driver is not installed here ({exc!r}; it is in the {name} extra)")
    conn = create_mock_engine(URLS[name], lambda *a, **k: None)
    _table, _quoted, placeholder = writes._sql_names(conn, Base.metadata.tables["projects"], ["id", "name"])
    expected = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dbapi.paramstyle)
    assert placeholder == expected, (dbapi.__name__, dbapi.paramstyle, placeholder)
