"""The one place that opens databases: engines, sessions, schema upgrades (Alembic) and the data version."""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, select, text

from dashboard.core.models import Meta, Project

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept the common spellings: postgresql:// and postgres:// mean psycopg 3, mysql:// PyMySQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("mysql://"):
        return "mysql+pymysql://" + url[len("mysql://"):]
    return url


@functools.lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One pooled engine per URL for the life of the process."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-200000")
            cur.execute("PRAGMA temp_store=MEMORY")
            # read pages through the OS page cache instead of copying them: large scans stay cheap
            cur.execute("PRAGMA mmap_size=4294967296")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _alembic_config(url: str):
    from alembic.config import Config  # lazy: alembic loads only to create or upgrade the schema

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision of dashboard/core/migrations (read once per process)."""
    from alembic.script import ScriptDirectory  # lazy: alembic, as above

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision a database is at (None: no schema yet)."""
    engine = get_engine(url)
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def init_db(url: str) -> str:
    """Create the schema, or upgrade it to the latest revision keeping every row. Returns the revision.

    A database already at the newest revision is left alone without starting Alembic (the upgrade would do
    nothing; reading the migration scripts is what costs)."""
    from alembic import command  # lazy: alembic, as above

    head = head_revision()
    if current_revision(url) == head:
        return head
    engine = get_engine(url)
    cfg = _alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def is_initialised(url: str) -> bool:
    return inspect(get_engine(url)).has_table("projects")


def data_version(url: str) -> int:
    """A number that changes whenever data changes (imports, undo, demo): the key for page caches."""
    with get_engine(url).connect() as conn:
        value = conn.execute(select(Meta.value).where(Meta.key == "data_version")).scalar()
    return int(value or 0)


def has_projects(url: str) -> bool:
    with get_engine(url).connect() as conn:
        return conn.execute(select(Project.id).limit(1)).first() is not None
