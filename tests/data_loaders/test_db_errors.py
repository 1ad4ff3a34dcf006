"""Database errors name their real cause (issue 23, item 7; data_loaders/db_errors.py).

Each cause is produced for real where that is cheap: SQLite's "database or disk is full" through
`PRAGMA max_page_count`, a read-only database through `mode=ro`, a lock held by another connection, the
schema's own UNIQUE / CHECK / NOT NULL / FOREIGN KEY constraints on both engines, PostgreSQL's "value too long",
NUL byte, read-only transaction, lock timeout and a terminated connection. What cannot be produced here without
root tools (PostgreSQL's disk_full 53100, an OSError ENOSPC) is built as the driver would raise it.

The end-to-end tests at the bottom import a file into a full (and a read-only) SQLite database through
import_files, and undo on a read-only database from the command line: the importer and the command line report
the database's refusal through db_errors.
"""

from __future__ import annotations

import errno
import logging
import re

import psycopg
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from dashboard.core import db
from data_loaders import db_errors as E
from data_loaders.importer import import_files
from data_loaders.reader import read_file

ENGLISH = re.compile(r"[A-Za-z]{5,}")


def _raise(url: str, *statements: str, params: dict | None = None, engine=None) -> DBAPIError:
    engine = engine or db.get_engine(url)
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        for s in statements:
            conn.execute(text(s), params or {})
    return info.value


def _plain(message: str) -> None:
    """One Chinese sentence: a reference, nothing of the database's English."""
    ref = re.search(r"参考编号 ([0-9a-f]{8})", message)
    assert ref, message
    assert not ENGLISH.search(message.replace(ref.group(1), "")), message


DEPT = "INSERT INTO departments (id, name, kind) VALUES (1, '区教育局', '部门')"
PROJECT = ("INSERT INTO projects (year, code, name, department_id, category, fund_source, is_key) "
           "VALUES (:y, :c, :n, 1, '项目支出', '一般公共预算', false)")


# ------------------------------------------------------------------------------------------ SQLite, for real


def test_sqlite_disk_full(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    db.init_db(url)
    engine = create_engine(url)  # its own connections: the page limit is per connection
    try:
        with engine.connect() as conn:
            pages = conn.execute(text("PRAGMA page_count")).scalar()
        exc = _raise(url, f"PRAGMA max_page_count = {pages}", DEPT,
                     *[f"INSERT INTO audit_log (time, action, detail) VALUES ('2024-01-01', 'import', '{'x' * 3000}')"
                       for _ in range(50)], engine=engine)
    finally:
        engine.dispose()
    assert "database or disk is full" in str(exc)
    assert E.classify(exc).kind == E.DISK_FULL
    message = E.explain(exc, ["a.xlsx"])
    assert "磁盘已满" in message and "未写入任何数据" in message
    _plain(message)


def test_sqlite_read_only(tmp_path):
    path = tmp_path / "ro.db"
    db.init_db(f"sqlite:///{path}")
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        exc = _raise("", DEPT, engine=engine)
    finally:
        engine.dispose()
    assert E.classify(exc).kind == E.READ_ONLY
    message = E.explain(exc, ["a.xlsx"])
    assert "只读" in message and "权限" in message
    _plain(message)


def test_sqlite_locked(tmp_path):
    path = tmp_path / "lock.db"
    url = f"sqlite:///{path}"
    db.init_db(url)
    holder = create_engine(url)
    waiter = create_engine(url, connect_args={"timeout": 0})
    raw = holder.raw_connection()
    try:
        raw.driver_connection.isolation_level = None
        raw.driver_connection.execute("BEGIN IMMEDIATE")
        exc = _raise("", DEPT, engine=waiter)
    finally:
        raw.driver_connection.execute("ROLLBACK")
        raw.close()
        holder.dispose()
        waiter.dispose()
    assert E.classify(exc).kind == E.BUSY
    assert "占用" in E.explain(exc)


@pytest.fixture
def schema_url(db_url):
    """A database at the newest schema with one department, on both engines."""
    with db.get_engine(db_url).begin() as conn:
        conn.execute(text(DEPT))
    return db_url


def test_unique_constraint_names_the_table_and_columns(schema_url):
    p = {"y": 2024, "c": "JY-01", "n": "营养改善"}
    with db.get_engine(schema_url).begin() as conn:
        conn.execute(text(PROJECT), p)
    exc = _raise(schema_url, PROJECT, params=p)
    cause = E.classify(exc)
    assert cause.kind == E.UNIQUE and cause.table == "projects"
    assert set(cause.columns) == {"year", "code"}
    message = E.explain(exc, ["p.xlsx"])
    assert "“项目”" in message and "年度" in message and "项目编码" in message
    _plain(message)


def test_check_constraint_names_the_column(schema_url):
    exc = _raise(schema_url, "INSERT INTO projects (year, code, name, department_id, category, is_key, adjusted_budget) "
                             "VALUES (2024, 'X', 'x', 1, '项目支出', false, -5)")
    cause = E.classify(exc)
    assert cause.kind == E.CHECK and cause.constraint == "ck_projects_adjusted_nonneg"
    message = E.explain(exc)
    assert "“项目”的“调整后预算”超出允许的范围" in message
    _plain(message)


def test_not_null_and_foreign_key(schema_url):
    exc = _raise(schema_url, "INSERT INTO projects (year, code, department_id, category) VALUES (2024, 'X', 1, '项目支出')")
    cause = E.classify(exc)
    assert cause.kind == E.NOT_NULL and cause.table == "projects" and cause.columns == ("name",)
    assert "“项目”的“项目名称”为空" in E.explain(exc)
    exc = _raise(schema_url, "INSERT INTO units (name, department_id, kind) VALUES ('本级', 99, '部门')")
    assert E.classify(exc).kind == E.FOREIGN_KEY
    message = E.explain(exc)
    assert "引用了不存在的" in message
    _plain(message)


# ------------------------------------------------------------------------------------------ PostgreSQL, for real


@pytest.mark.postgres
def test_postgresql_text_too_long_and_nul_name_the_cell(pg_url):
    db.init_db(pg_url)
    with db.get_engine(pg_url).begin() as conn:
        conn.execute(text(DEPT))
    long_code = "A" * 61  # projects.code is varchar(60)
    exc = _raise(pg_url, PROJECT, params={"y": 2024, "c": long_code, "n": "x"})
    cause = E.classify(exc)
    assert cause.kind == E.TOO_LONG and cause.limit == 60
    csv = f"年度,主管部门,项目编码,项目名称\n2024,区教育局,{long_code},营养改善\n".encode()
    tables = read_file(csv, "p.csv").tables
    p = E.problem(exc, ["p.csv"], tables)
    assert (p.file, p.row) == ("p.csv", 2) and "项目编码" in p.column, p
    assert "最多 60 个字" in p.message

    exc = _raise(pg_url, PROJECT, params={"y": 2024, "c": "B", "n": "营养\x00改善"})
    assert E.classify(exc).kind == E.NUL
    csv = "年度,主管部门,项目编码,项目名称\n2024,区教育局,B,营养\x00改善\n".encode()
    fr = read_file(csv, "p.csv")
    p = E.problem(exc, ["p.csv"], fr.tables)
    assert "空字符" in p.message
    if any("\x00" in str(v) for t in fr.tables for v in t.frame.get("project_name", [])):
        assert (p.file, p.row) == ("p.csv", 2) and "项目名称" in p.column, p


@pytest.mark.postgres
def test_postgresql_duplicate_key_names_the_row(pg_url):
    db.init_db(pg_url)
    with db.get_engine(pg_url).begin() as conn:
        conn.execute(text(DEPT))
        conn.execute(text(PROJECT), {"y": 2024, "c": "JY-02", "n": "x"})
    exc = _raise(pg_url, PROJECT, params={"y": 2024, "c": "JY-02", "n": "x"})
    assert E.classify(exc).constraint == "uq_projects_year_code"
    csv = "年度,主管部门,项目编码,项目名称\n2024,区教育局,JY-01,甲\n2024,区教育局,JY-02,乙\n".encode()
    p = E.problem(exc, ["p.csv"], read_file(csv, "p.csv").tables)
    assert (p.file, p.row) == ("p.csv", 3), p
    assert "“项目”中“年度、项目编码”相同的记录出现了两次" in p.message


@pytest.mark.postgres
def test_postgresql_read_only_lock_and_lost_connection(pg_url):
    db.init_db(pg_url)
    engine = db.get_engine(pg_url)
    exc = _raise(pg_url, "SET TRANSACTION READ ONLY", DEPT)
    assert E.classify(exc).kind == E.READ_ONLY
    assert "没有写权限" in E.explain(exc)

    holder = engine.connect()
    tx = holder.begin()
    holder.execute(text("LOCK TABLE departments IN EXCLUSIVE MODE"))
    try:
        exc = _raise(pg_url, "SET LOCAL lock_timeout = '100ms'", DEPT)
    finally:
        tx.rollback()
        holder.close()
    assert E.classify(exc).kind == E.BUSY

    victim = engine.connect()
    pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    with pytest.raises(DBAPIError) as info:
        victim.execute(text("SELECT 1"))
    victim.close()
    assert E.classify(info.value).kind == E.CONNECTION
    assert "连接中断" in E.explain(info.value)


# ------------------------------------------------------------------------------------------ built as raised


def test_postgresql_disk_full_and_os_errors():
    full = OperationalError("INSERT …", {}, psycopg.errors.DiskFull(
        'could not extend file "base/16384/16397": No space left on device'))
    assert E.classify(full).kind == E.DISK_FULL
    assert "磁盘已满" in E.explain(full)
    assert E.classify(OperationalError("COPY …", {}, Exception("could not extend file"))).kind == E.DISK_FULL
    assert E.classify(OSError(errno.ENOSPC, "No space left on device")).kind == E.DISK_FULL
    assert E.classify(OSError(errno.EROFS, "Read-only file system")).kind == E.READ_ONLY
    refused = OperationalError("connect", {}, psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5999 failed: Connection refused'))
    assert E.classify(refused).kind == E.CONNECTION


def test_anything_else_has_a_reference_in_the_log(caplog):
    exc = OperationalError("SELECT …", {}, Exception("something nobody foresaw"))
    with caplog.at_level(logging.ERROR, logger="data_loaders.db_errors"):
        message = E.explain(exc, ["a.xlsx"])
    ref = re.search(r"参考编号 ([0-9a-f]{8})", message).group(1)
    assert "未写入任何数据" in message
    _plain(message)
    assert ref in caplog.text and "something nobody foresaw" in caplog.text


def test_outcome_words_for_undo():
    exc = OperationalError("DELETE …", {}, Exception("database or disk is full"))
    assert "数据没有改动" in E.explain(exc, outcome="数据没有改动", what="undo")


# ------------------------------------------------------------------------------------------ end to end
# These pass once importer.import_results reports DBAPIError through db_errors.problem (see the module doc).

CSV = ("年度,主管部门,项目编码,项目名称,调整后预算\n"
       + "".join(f"2024,区教育局,P{i:04d},项目{i}{'说明' * 200},100\n" for i in range(400))).encode()


def test_import_into_a_full_database_says_the_disk_is_full(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    db.init_db(url)
    engine = db.get_engine(url)
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar()

    @event.listens_for(engine, "connect")
    def _limit(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    engine.dispose()
    result = import_files(url, [("p.csv", CSV)])
    [error] = result.errors
    assert "磁盘已满" in error.message and "请核对重复" not in error.message
    _plain(error.message)


def test_import_into_a_read_only_database_says_so(tmp_path):
    path = tmp_path / "ro.db"
    db.init_db(f"sqlite:///{path}")
    result = import_files(f"sqlite:///file:{path}?mode=ro&uri=true", [("p.csv", CSV[:2000].rsplit(b"\n", 1)[0])])
    [error] = result.errors
    assert "只读" in error.message and "请核对重复" not in error.message


@pytest.mark.postgres
def test_import_of_a_nul_byte_on_postgresql_names_the_cell(pg_url):
    """SQLite stores a NUL character; PostgreSQL refuses it: the refusal names the cell. (A CSV holding one is
    taken for a binary file by the reader, so the character is put into the read table, as a workbook's cell
    would bring it.)"""
    from data_loaders.importer import import_results

    db.init_db(pg_url)
    csv = "年度,主管部门,项目编码,项目名称\n2024,区教育局,A1,甲\n2024,区教育局,A2,营养改善\n".encode()
    fr = read_file(csv, "p.csv")
    [table] = fr.tables
    table.frame.loc[table.frame["_row"] == 3, "project_name"] = "营养\x00改善"
    result = import_results(pg_url, [("p.csv", "0" * 64, fr)])
    [error] = result.errors
    assert (error.file, error.row) == ("p.csv", 3) and "项目名称" in (error.column or ""), error
    assert "空字符" in error.message and "请核对重复" not in error.message


def test_a_page_section_says_when_the_database_could_not_answer():
    from dashboard.ui.common import _database_cause

    lost = OperationalError("SELECT …", {}, psycopg.errors.AdminShutdown("terminating connection"))
    assert "连接中断" in _database_cause(lost)
    assert _database_cause(ZeroDivisionError()) == ""


def test_command_line_undo_on_a_read_only_database_is_one_sentence(tmp_path, capsys):
    from dashboard.__main__ import main

    path = tmp_path / "u.db"
    url = f"sqlite:///{path}"
    db.init_db(url)
    result = import_files(url, [("p.csv", "年度,主管部门,项目编码,项目名称\n2024,区教育局,A1,甲\n".encode())])
    assert result.ok
    code = main(["--db", f"sqlite:///file:{path}?mode=ro&uri=true", "undo", str(result.batch_id)])
    err = capsys.readouterr().err
    assert code == 2 and "只读" in err and "数据没有改动" in err and "Traceback" not in err, err
    _plain(err.strip())


def test_sqlite_duplicate_names_the_second_row(tmp_path):
    """SQLite names the columns only: the second read row repeating them is the cell."""
    url = f"sqlite:///{tmp_path / 'dup.db'}"
    db.init_db(url)
    with db.get_engine(url).begin() as conn:
        conn.execute(text(DEPT))
    p = {"y": 2024, "c": "JY-02", "n": "x"}
    with db.get_engine(url).begin() as conn:
        conn.execute(text(PROJECT), p)
    exc = _raise(url, PROJECT, params=p)
    csv = "年度,主管部门,项目编码,项目名称\n2024,区教育局,JY-01,甲\n2024,区教育局,JY-02,乙\n2024,区教育局,JY-02,丙\n"
    problem = E.problem(exc, ["p.csv"], read_file(csv.encode(), "p.csv").tables)
    assert (problem.file, problem.row) == ("p.csv", 4) and "项目编码" in problem.column, problem
