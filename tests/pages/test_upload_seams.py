"""The upload page's share of issue 12's importer seams: the 年度 pre-filled from the file name, the 评价类型 selector
(import --kind), and the notices above the preview (look-alike headers not read, month columns added up, sheets
skipped and why)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dashboard.core import models as m
from tests.data_loaders.corpus_seams import (
    evaluations_titled,
    monitoring_month_columns,
    projects_merged_target_header,
    projects_year_in_file_name,
    workbook_with_list_sheets,
)
from tests.pages.apptest import make_app, table
from tests.sessions import session_scope


def _upload(at, path: Path):
    at.get("file_uploader")[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _evaluations(url: str) -> list:
    with session_scope(url) as s:
        return [(e.object_name, e.kind) for e in s.scalars(select(m.Evaluation).where(m.Evaluation.year == 2023))]


def test_year_is_prefilled_from_the_file_name(fresh_db, tmp_path):
    path, _expected = projects_year_in_file_name(tmp_path)
    at = _upload(make_app("upload"), path)
    assert at.number_input(key="up_year").value == 2023
    assert any("已按文件名" in c.value and "2023" in c.value for c in at.caption)
    assert not at.error and not at.button(key="do_import").disabled  # read with the proposed year


def test_kind_selector_gives_the_kind_the_list_does_not_say(fresh_db, tmp_path):
    path, _expected = evaluations_titled(tmp_path, None, "2023年评价结果.xlsx")
    at = _upload(make_app("upload"), path)
    problems = table(at, "级别", "说明")
    assert any("请在上传页选择评价类型" in p for p in problems["说明"]), problems
    assert at.button(key="do_import").disabled
    at.selectbox(key="up_kind").set_value("财政重点评价").run()
    assert not at.button(key="do_import").disabled
    before = set(_evaluations(fresh_db))
    at.button(key="do_import").click().run()
    assert set(_evaluations(fresh_db)) - before == {("校舍维修", "财政重点评价"), ("设备购置", "财政重点评价")}


def test_notices_above_the_preview(fresh_db, tmp_path):
    path, _expected = projects_merged_target_header(tmp_path)
    at = _upload(make_app("upload"), path)
    [notice] = [w.value for w in at.warning if "请先核对" in w.value]
    assert "重点项目标识" in notice and "是否重点项目" in notice
    # drawn above the first file's expander: the first warning on the page
    assert at.warning[0].value == notice


def test_notices_name_skipped_sheets_and_month_columns(fresh_db, tmp_path):
    lists, expected = workbook_with_list_sheets(tmp_path)
    months, _e = monitoring_month_columns(tmp_path)
    at = make_app("upload")
    mime = "application/octet-stream"
    at.get("file_uploader")[0].set_value([(lists.name, lists.read_bytes(), mime),
                                           (months.name, months.read_bytes(), mime)]).run()
    [notice] = [w.value for w in at.warning if "请先核对" in w.value]
    for sheet, why in expected["skipped"].items():
        assert sheet in notice and why in notice
    assert "按表头的月份读取" in notice
