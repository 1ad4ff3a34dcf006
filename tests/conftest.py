"""Shared fixtures: a fresh SQLite file per test, a fresh PostgreSQL database per test session/worker.

`db_url` runs a test on both engines. PostgreSQL is at 127.0.0.1:5432 (override with TEST_PG_URL);
where it is unreachable the PostgreSQL cases skip with the reason, except under CI=true where they fail.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _xdist_groups(item) -> str | None:
    names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")})
    return "_".join(names) or None


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
def _fresh_pg_database(pg_server: str):
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        from dashboard.db import get_engine

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
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")
