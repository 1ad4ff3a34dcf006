"""Schema: migrations create exactly the models' schema, re-running init keeps data, constraints hold."""

import datetime as dt

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from dashboard.core import db, writes
from dashboard.core.models import Base, Department, Evaluation, Project
from tests import small_fixture as fx
from tests.sessions import session_scope


def test_migrations_match_models(db_url):
    db.init_db(db_url)
    with db.get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


def _head() -> str:
    """The newest revision of dashboard/core/migrations (one head)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(db.MIGRATIONS)).get_current_head()


def test_init_again_keeps_every_row(db_url):
    fx.build(db_url)
    with db.get_engine(db_url).connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM projects")).scalar_one()
    assert db.init_db(db_url) == _head()
    with db.get_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM projects")).scalar_one() == before == 9


@pytest.mark.parametrize("row,constraint", [
    ({"year": 2022, "code": "A1", "name": "重复编码", "adjusted_budget": 1.0}, "unique"),
    ({"year": 2022, "code": "Z9", "name": "负数预算", "adjusted_budget": -1.0}, "check"),
    ({"year": 2022, "code": "Z8", "name": "类别错误", "category": "其他"}, "check"),
])
def test_database_constraints(db_url, row, constraint):
    ids = fx.build(db_url)
    with pytest.raises(IntegrityError), session_scope(db_url) as s:
        s.add(Project(department_id=ids["D1"], **row))


def test_score_range_and_version(db_url):
    ids = fx.build(db_url)
    v = db.data_version(db_url)
    with pytest.raises(IntegrityError), session_scope(db_url) as s:
        s.add(Evaluation(year=2022, kind="单位自评", object_type="项目支出", object_key="x",
                         department_id=ids["D1"], score=100.5))
    assert db.data_version(db_url) == v            # a failed write changes nothing
    with session_scope(db_url) as s:
        s.add(Department(name="新部门", kind="部门"))
        writes.bump_data_version(s.connection())
    assert db.data_version(db_url) == v + 1
    assert db.has_projects(db_url)


def test_normalise_url():
    assert db.normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalise_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalise_url("mysql://root@h/d") == "mysql+pymysql://root@h/d"
    assert db.normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_fixture_dates_roundtrip(db_url):
    ids = fx.build(db_url)
    from dashboard.core.models import MonitoringRecord

    with session_scope(db_url) as s:
        rec = s.get(MonitoringRecord, ids["M1"])
        assert rec.as_of == dt.date(2022, 8, 31)


def test_reserved_ids_follow_the_stored_ones_and_the_database_continues_after_them(db_url):
    db.init_db(db_url)
    dept = Department.__table__
    with writes.write_transaction(db_url) as conn:
        conn.execute(dept.insert(), [{"name": "甲"}, {"name": "乙"}])  # ids 1, 2 from the database
    with writes.write_transaction(db_url) as conn:
        ids = writes.insert_with_ids(conn, dept, pd.DataFrame({"name": ["丙", "丁", "戊"], "kind": "部门"}),
                                     ["name", "kind"])
    assert ids == [3, 4, 5]
    with writes.write_transaction(db_url) as conn:  # an ordinary insert afterwards gets the next free id
        conn.execute(dept.insert(), {"name": "己"})
    with db.get_engine(db_url).connect() as conn:
        got = conn.execute(text("SELECT id, name FROM departments ORDER BY id")).all()
    assert [tuple(r) for r in got] == [(1, "甲"), (2, "乙"), (3, "丙"), (4, "丁"), (5, "戊"), (6, "己")]


def test_reserving_ids_outside_the_writers_transaction_is_refused(sqlite_url):
    db.init_db(sqlite_url)
    with db.get_engine(sqlite_url).connect() as conn, pytest.raises(RuntimeError, match="write_transaction"):
        writes.reserve_ids(conn, Department.__table__, 2)


def test_latest_flags_mark_each_projects_newest_row():
    days = [dt.date(2024, 6, 30), dt.date(2024, 8, 31), dt.date(2024, 6, 30), dt.date(2024, 3, 31)]
    flags = writes.latest_flags([7, 7, 9, 9], days)
    assert flags.tolist() == [False, True, True, False]


def test_a_database_one_revision_behind_is_upgraded_keeping_its_rows(sqlite_url):
    """init_db leaves a database at the newest revision alone; one behind it still gets the migration."""
    from alembic import command

    engine = db.get_engine(sqlite_url)
    cfg = db._alembic_config(sqlite_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004_accounts")
    assert db.current_revision(sqlite_url) == "0004_accounts"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (name, kind) VALUES ('教育局', '部门')"))
    assert not db.inspect(engine).has_table("indicators")
    assert db.init_db(sqlite_url) == _head() == db.current_revision(sqlite_url)
    assert db.inspect(engine).has_table("indicators")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM departments")).scalars().all() == ["教育局"]
