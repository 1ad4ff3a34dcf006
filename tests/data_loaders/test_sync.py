"""Sync from a real MariaDB and PostgreSQL source (scratch tables, dropped afterwards) through the same pipeline as files."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from import_set import dump, one, project, rows
from sqlalchemy import create_engine, text

from dashboard.core import models as m
from data_loaders.importer import list_batches, undo_batch
from data_loaders.sync import SyncError, load_mapping, sync

MARIADB_ADMIN = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")

MAPPING = """
# 项目 from a table, 绩效监控 from a query with a bound parameter, 绩效评价 via the Chinese sheet name
[projects]
table = "src_xm"
[projects.columns]
nd = "年度"
bmmc = "主管部门"
dwmc = "预算单位"
xmbm = "project_code"
xmmc = "项目名称"
ncys = "年初预算"
tzhys = "调整后预算"
sfmb = "是否设定绩效目标"

[monitoring]
query = "SELECT j.nd, j.jzrq, x.bmmc, j.xmbm, j.zxs, j.zxl FROM src_jk j JOIN src_xm x ON x.xmbm = j.xmbm WHERE j.nd = :nd ORDER BY j.xmbm"
params = { nd = 2022 }
[monitoring.columns]
nd = "年度"
jzrq = "监控截止日期"
bmmc = "主管部门"
xmbm = "项目编码"
zxs = "执行数"
zxl = "执行率"

["绩效评价"]
query = "SELECT nd AS 年度, pjlx AS 评价类型, bmmc AS 主管部门, xmbm AS 项目编码, df AS 得分 FROM src_pj"
"""

DDL = [
    ("CREATE TABLE src_xm (nd INTEGER, bmmc VARCHAR(100), dwmc VARCHAR(100), xmbm VARCHAR(40), xmmc VARCHAR(200), "
    "ncys DECIMAL(18,4), tzhys DECIMAL(18,4), sfmb BOOLEAN)"),
    "CREATE TABLE src_jk (nd INTEGER, jzrq DATE, xmbm VARCHAR(40), zxs DECIMAL(18,4), zxl DECIMAL(9,4))",
    "CREATE TABLE src_pj (nd INTEGER, pjlx VARCHAR(20), bmmc VARCHAR(100), xmbm VARCHAR(40), df DECIMAL(5,2))",
]
DATA = [
    ("INSERT INTO src_xm VALUES (:nd, :bm, :dw, :bmm, :mc, :nc, :tz, :mb)", [
        {"nd": 2022, "bm": "区教育局", "dw": "区第一中学", "bmm": "S001", "mc": "校舍维修", "nc": 100, "tz": 120.5, "mb": True},
        {"nd": 2022, "bm": "区教育局", "dw": None, "bmm": "S002", "mc": "教师培训", "nc": 50, "tz": None, "mb": False},
        {"nd": 2022, "bm": "区卫健委", "dw": "区医院", "bmm": "S003", "mc": "设备购置", "nc": 300, "tz": 300, "mb": True},
    ]),
    ("INSERT INTO src_jk VALUES (:nd, :d, :bmm, :zx, :zl)", [
        {"nd": 2022, "d": dt.date(2022, 8, 31), "bmm": "S001", "zx": 60.25, "zl": None},
        {"nd": 2022, "d": dt.date(2022, 8, 31), "bmm": "S002", "zx": None, "zl": 0.4},  # 0.4 × 50 = 20
        {"nd": 2022, "d": dt.date(2022, 8, 31), "bmm": "S003", "zx": 150, "zl": 0.5},
    ]),
    ("INSERT INTO src_pj VALUES (:nd, :k, :bm, :bmm, :df)", [
        {"nd": 2022, "k": "财政重点评价", "bm": "区教育局", "bmm": "S001", "df": 91.5},
        {"nd": 2022, "k": "单位自评", "bm": "区卫健委", "bmm": "S003", "df": 78},
    ]),
]


def _reachable(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{url.split('@')[-1]} not reachable: {exc.__class__.__name__}"


def _skip(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: sync tests must run)")
    pytest.skip(reason)


@pytest.fixture
def mariadb_source():
    reason = _reachable(MARIADB_ADMIN)
    if reason:
        _skip(reason)
    name = f"sync_{uuid.uuid4().hex[:10]}"
    admin = create_engine(MARIADB_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = MARIADB_ADMIN.rsplit("/", 1)[0] + "/" + name + "?charset=utf8mb4"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture(params=["mariadb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def source_url(request):
    """A scratch source database filled with a foreign schema (pinyin table and column names)."""
    url = request.getfixturevalue("mariadb_source" if request.param == "mariadb" else "pg_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        for ddl in DDL:
            conn.execute(text(ddl))
        for sql, params in DATA:
            conn.execute(text(sql), params)
    engine.dispose()
    return url


@pytest.fixture
def mapping_file(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_sync_imports_like_files(source_url, mapping_file, sqlite_url):
    result = sync(sqlite_url, source_url, mapping_file)
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts["projects"] == {"inserted": 3, "updated": 0, "unchanged": 0}
    assert result.counts["monitoring"] == {"inserted": 3, "updated": 0, "unchanged": 0}
    assert result.counts["evaluations"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    p1 = project(sqlite_url, "校舍维修")
    assert p1.code == "S001" and p1.adjusted_budget == 120.5 and p1.has_target is True
    assert project(sqlite_url, "教师培训").has_target is False
    assert one(sqlite_url, m.Unit, name="区医院").department_id == one(sqlite_url, m.Department, name="区卫健委").id
    executed = {r.project_id: r.executed for r in rows(sqlite_url, m.MonitoringRecord)}
    assert executed[p1.id] == pytest.approx(60.25)
    assert executed[project(sqlite_url, "教师培训").id] == pytest.approx(20.0)  # from 执行率 × 年初预算
    assert executed[project(sqlite_url, "设备购置").id] == pytest.approx(150.0)  # amount wins over the rate
    grades = {e.object_name: e.grade for e in rows(sqlite_url, m.Evaluation)}
    assert grades == {"校舍维修": "优", "设备购置": "中"}
    batch = list_batches(sqlite_url)[0]
    assert batch["source"] == "sync" and len(batch["files"]) == 3
    assert all("#" in f["name"] for f in batch["files"])
    # syncing again changes nothing; undo removes everything
    before = dump(sqlite_url)
    again = sync(sqlite_url, source_url, mapping_file)
    assert again.ok and all(c["inserted"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert dump(sqlite_url) == before
    undo_batch(sqlite_url, batch["id"])
    assert dump(sqlite_url) == {t.__tablename__: [] for t in m.DATA_TABLES}


def test_sync_into_postgresql_dry_run(source_url, mapping_file, pg_url):
    result = sync(pg_url, source_url, mapping_file, dry_run=True)
    assert result.ok and result.counts["projects"]["inserted"] == 3
    assert list_batches(pg_url) == []
    assert dump(pg_url) == {t.__tablename__: [] for t in m.DATA_TABLES}


def test_sync_refuses_bad_source_rows(source_url, mapping_file, sqlite_url):
    engine = create_engine(source_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO src_pj VALUES (2022, '财政重点评价', '区教育局', 'S002', 105)"))
    engine.dispose()
    result = sync(sqlite_url, source_url, mapping_file)
    assert not result.ok and result.batch_id is None
    bad = [p for p in result.errors if "得分" in (p.column or "")]
    assert bad and bad[0].file.endswith("#绩效评价") and bad[0].row == 4
    assert dump(sqlite_url) == {t.__tablename__: [] for t in m.DATA_TABLES}


def test_mapping_errors(tmp_path, sqlite_url):
    bad = tmp_path / "bad.toml"
    bad.write_text("[projects]\n", encoding="utf-8")
    with pytest.raises(SyncError, match="table 或 query"):
        load_mapping(bad)
    bad.write_text("[projects\n", encoding="utf-8")
    with pytest.raises(SyncError, match="格式错误"):
        load_mapping(bad)
    with pytest.raises(SyncError, match="无法读取"):
        load_mapping(tmp_path / "missing.toml")
    ok = tmp_path / "ok.toml"
    ok.write_text('[projects]\ntable = "no_such_table"\n', encoding="utf-8")
    with pytest.raises(SyncError, match="无法从源数据库读取"):
        sync(sqlite_url, sqlite_url, ok)
