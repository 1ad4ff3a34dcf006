"""Undo restores exactly the state before a batch (every column of every data table), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from import_set import FILES, all_sources, assert_no_errors, dump, one, project, rows, src

from dashboard.core import db
from dashboard.core import models as m
from data_loaders.importer import UndoRefused, import_files, list_batches, undo_batch

EMPTY = {t.__tablename__: [] for t in m.DATA_TABLES}


def test_undo_first_import_empties_everything(db_url):
    result = import_files(db_url, all_sources())
    assert_no_errors(result)
    version = db.data_version(db_url)
    info = undo_batch(db_url, result.batch_id)
    assert dump(db_url) == EMPTY
    assert info["deleted"]["projects"] == 5 and info["deleted"]["departments"] == 3
    assert db.data_version(db_url) == version + 1
    batch = list_batches(db_url)[0]
    assert batch["status"] == "undone" and batch["undone_at"]


def test_undo_corrections_restores_exact_prior_dump(db_url):
    assert_no_errors(import_files(db_url, all_sources()))
    before = dump(db_url)
    # a second batch that updates rows (values and links), inserts rows and flips is_latest
    corrected_mon = FILES["monitoring.csv"].replace("130,52,,40%", "130,65,,45%") + \
        "2022,2022-08-31,区教育局,,P001,校舍维修,130,90,,70%,确定能\n" + \
        "2022,2022-06-30,区财政局,,F001,新项目,10,1,,,有可能\n"
    corrected_proj = FILES["projects.csv"].replace("100,120,是,是", "100,150,是,否").replace(
        "2022,,区第一中学,P002,教师培训", "2022,区教育局,区教育局本级,P002,教师培训")
    corrected_find = FILES["findings.csv"].replace("整改中,,0", "已整改,2022-11-30,0")
    result = import_files(db_url, [src("monitoring.csv", corrected_mon), src("projects.csv", corrected_proj),
                                   src("findings.csv", corrected_find)])
    assert_no_errors(result)
    assert result.counts["monitoring"] == {"inserted": 2, "updated": 1, "unchanged": 3}
    assert result.counts["projects"] == {"inserted": 1, "updated": 2, "unchanged": 1}
    assert result.counts["findings"] == {"inserted": 0, "updated": 1, "unchanged": 2}
    p1 = project(db_url, "校舍维修")
    assert p1.adjusted_budget == 150.0 and p1.is_key is False
    assert project(db_url, "教师培训").unit_id == one(db_url, m.Unit, name="区教育局本级").id
    latest = {r.as_of: r.is_latest for r in rows(db_url, m.MonitoringRecord, project_id=p1.id)}
    assert latest == {dt.date(2022, 6, 30): False, dt.date(2022, 8, 31): True}
    assert dump(db_url) != before

    undo_batch(db_url, result.batch_id)
    assert dump(db_url) == before  # every column, is_latest and batch ids included
    assert [b["status"] for b in list_batches(db_url)] == ["undone", "committed"]


def test_undo_refused_while_a_later_batch_depends_on_it(db_url):
    first = import_files(db_url, [src("units.csv"), src("projects.csv")])
    assert_no_errors(first)
    after_first = dump(db_url)
    second = import_files(db_url, [src("monitoring.csv")])  # references the first batch's projects
    assert_no_errors(second)
    with pytest.raises(UndoRefused) as refused:
        undo_batch(db_url, first.batch_id)
    assert f"批次 {second.batch_id}" in str(refused.value) and "先撤销" in str(refused.value)
    assert list_batches(db_url)[1]["status"] == "committed"
    # undo the later one first, then the earlier one
    undo_batch(db_url, second.batch_id)
    assert dump(db_url) == after_first
    undo_batch(db_url, first.batch_id)
    assert dump(db_url) == EMPTY


def test_undo_refused_when_a_later_batch_changed_the_same_rows(db_url):
    first = import_files(db_url, all_sources())
    second = import_files(db_url, [src("projects.csv", FILES["projects.csv"].replace("100,120", "100,121"))])
    assert_no_errors(second)
    assert second.counts["projects"]["updated"] == 1
    with pytest.raises(UndoRefused):
        undo_batch(db_url, first.batch_id)
    undo_batch(db_url, second.batch_id)
    assert project(db_url, "校舍维修").adjusted_budget == 120.0


def test_undo_twice_or_unknown_is_refused(db_url):
    result = import_files(db_url, all_sources())
    undo_batch(db_url, result.batch_id)
    with pytest.raises(UndoRefused, match="已于"):
        undo_batch(db_url, result.batch_id)
    with pytest.raises(UndoRefused, match="没有编号为 99"):
        undo_batch(db_url, 99)


def test_reimport_after_undo(db_url):
    first = import_files(db_url, all_sources())
    undo_batch(db_url, first.batch_id)
    again = import_files(db_url, all_sources())
    assert_no_errors(again)
    assert again.counts["projects"]["inserted"] == 5
    assert len(rows(db_url, m.Project)) == 5


def test_bulk_paths_update_and_undo_many_rows(db_url):
    """Above 100 changed rows PostgreSQL updates through COPY into a scratch table: same results."""
    head = "年度,监控截止日期,主管部门,项目编码,项目名称,调整后预算,执行数,偏差原因,是否需要整改\n"
    first = head + "".join(f"2022,2022-08-31,区教育局,B{i:04d},项目{i},100,{i % 90},原因{i},是\n" for i in range(300))
    assert_no_errors(import_files(db_url, [("m.csv", first.encode())]))
    before = dump(db_url)
    second = head + "".join(f"2022,2022-08-31,区教育局,B{i:04d},项目{i},100,{(i % 90) + 1},,否\n" for i in range(300))
    result = import_files(db_url, [("m.csv", second.encode())])
    assert_no_errors(result)
    assert result.counts["monitoring"] == {"inserted": 0, "updated": 300, "unchanged": 0}
    recs = rows(db_url, m.MonitoringRecord)
    assert sum(r.executed for r in recs) == sum((i % 90) + 1 for i in range(300))
    assert all(r.deviation_reason is None and r.needs_rectification is False for r in recs)
    assert len(rows(db_url, m.ChangeLog)) == 300
    undo_batch(db_url, result.batch_id)
    assert dump(db_url) == before
