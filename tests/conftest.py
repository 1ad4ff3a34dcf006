"""Shared fixtures: a fresh SQLite file per test, a fresh PostgreSQL database per test session/worker.

`db_url` runs a test on both engines. PostgreSQL is at 127.0.0.1:5432 (override with TEST_PG_URL);
where it is unreachable the PostgreSQL cases skip with the reason, except under CI=true where they fail.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _xdist_groups(item) -> str | None:
    names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")})
    return "_".join(names) or None


def drives_chromium_unmarked(item) -> bool:
    """A test that uses Chromium without the `browser` mark: `make test` would run it among the parallel tests.
    (tests/browser/test_cold_start.py was one: Playwright's driver watcher thread then stayed in that worker, and
    later tests there that rely on a single-threaded process took the threaded reading path.)"""
    # `browser` (tests/browser/conftest.py: Chromium) is in the fixture closure of every test using `page` or
    # `phone`; those two names are not asked for, since "page" is also a parameter's name (tests/pages)
    return "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None


def pytest_itemcollected(item):
    """A test that drives Chromium is a browser test, marked or not: it joins `make test`'s browser step."""
    if drives_chromium_unmarked(item):
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Make `--dist loadgroup` keep each xdist_group on one worker (the browser tests share one server).

    pytest-xdist 3.8 marks a group by appending "@group" to `item._nodeid`, which pytest 9.2 no longer
    reads (the id lives in `item._id`): every browser test went to whichever worker was free, each worker
    started its own server and browser, and the two fought over the two cores. Here the suffix is set where
    this pytest reads it; where xdist already managed (older pytest), nothing changes.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        group = _xdist_groups(item)
        if group is None or item.nodeid.endswith("@" + group):
            continue
        if hasattr(item, "_id"):
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(f"{item.nodeid}@{group}")
        else:  # pragma: no cover - older pytest: xdist's own suffix applies
            item._nodeid = f"{item.nodeid}@{group}"


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def pg_server():
    reason = _pg_available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    return PG_ADMIN_URL


@contextmanager
def _fresh_pg_database(pg_server: str, template: str | None = None):
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        from dashboard.core.db import get_engine

        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_server):
    """A brand-new PostgreSQL database, dropped after the test."""
    with _fresh_pg_database(pg_server) as url:
        yield url


@pytest.fixture
def pg_url_2(pg_server):
    """A second brand-new PostgreSQL database, for tests that compare two."""
    with _fresh_pg_database(pg_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path):
    """A path for a SQLite file that does not exist yet (no schema)."""
    return f"sqlite:///{tmp_path / 'test.db'}"


# `db_url` hands every test a database already at the newest schema revision, copied from one migrated
# template per worker: running the migrations costs 0.1–0.9 s a database, copying a few milliseconds. The
# schema is the migrations' own (tests/core/test_db.py compares it with the models); a test that needs a database
# without a schema asks for `sqlite_url` or `pg_url`.

@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    from dashboard.core import db

    path = tmp_path_factory.mktemp("template") / "schema.db"
    url = f"sqlite:///{path}"
    db.init_db(url)
    db.get_engine(url).dispose()
    con = sqlite3.connect(path)  # one self-contained file: the WAL folded in, so a plain copy is whole
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return path


@pytest.fixture(scope="session")
def _pg_template(pg_server):
    """A migrated PostgreSQL database per worker, the TEMPLATE of each test's database (dropped at the end)."""
    from dashboard.core import db

    name = f"tpl_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    db.init_db(url)
    db.get_engine(url).dispose()  # CREATE DATABASE … TEMPLATE needs the template without connections
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Templates:
    """Databases built once per worker by a test module's own function, handed to each test as a new copy.

    `copy(engine, key, build, tmp_path, finalizer)`: the first call for a key creates a database of that engine,
    runs `build(url)` on it and keeps it as the template; every call returns a new database with the same rows
    (a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL, dropped by `finalizer`)."""

    def __init__(self, directory: Path, request):
        self.directory = directory
        self.request = request
        self.built: dict[tuple[str, str], str] = {}
        self.pg: str | None = None  # the server's admin URL, kept for the drop at the end of the session

    def _template(self, engine: str, key: str, build) -> str:
        from dashboard.core import db

        if (engine, key) in self.built:
            return self.built[(engine, key)]
        if engine == "sqlite":
            path = self.directory / f"{key}.db"
            url = f"sqlite:///{path}"
            shutil.copyfile(self.request.getfixturevalue("_sqlite_template"), path)
            build(url)
            db.get_engine(url).dispose()
            con = sqlite3.connect(path)
            con.execute("PRAGMA journal_mode=DELETE")
            con.close()
            self.built[(engine, key)] = str(path)
        else:
            pg = self.pg = self.request.getfixturevalue("pg_server")
            name = f"tpl_{uuid.uuid4().hex[:12]}"
            admin = create_engine(pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.request.getfixturevalue("_pg_template")}"'))
            admin.dispose()
            url = pg.rsplit("/", 1)[0] + "/" + name
            build(url)
            db.get_engine(url).dispose()
            self.built[(engine, key)] = name
        return self.built[(engine, key)]

    def copy(self, engine: str, key: str, build, tmp_path: Path, finalizer) -> str:
        template = self._template(engine, key, build)
        if engine == "sqlite":
            target = tmp_path / f"{key}.db"
            shutil.copyfile(template, target)
            return f"sqlite:///{target}"
        context = _fresh_pg_database(self.request.getfixturevalue("pg_server"), template)
        url = context.__enter__()
        finalizer(lambda: context.__exit__(None, None, None))
        return url

    def drop(self) -> None:
        names = [name for (engine, _), name in self.built.items() if engine != "sqlite"]
        if not names or self.pg is None:
            return
        admin = create_engine(self.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory, request):
    store = Templates(tmp_path_factory.mktemp("templates"), request)
    try:
        yield store
    finally:
        store.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The same test on SQLite and on PostgreSQL, each database new and at the newest schema revision."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    with _fresh_pg_database(request.getfixturevalue("pg_server"), request.getfixturevalue("_pg_template")) as url:
        yield url
