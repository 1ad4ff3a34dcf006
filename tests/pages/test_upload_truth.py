"""The upload page tells the whole truth before the import (issue 22 items 9 and 6): the preview lists exactly the
dry run's errors, the undo selector points at the batch just written, and a file naming no 主管部门 gets one for the
whole file, with the new 预算单位 it creates said in the preview."""

from __future__ import annotations

from data_loaders.importer import import_results, list_batches
from data_loaders.reader import read_file
from tests.pages.apptest import make_app, table
from tests.pages.apptest import upload as _upload
from tests.pages.test_upload import GOOD, workbook

# what the reader alone accepts and only linking refuses: a 预算单位 the database does not know with no 主管部门
# (第2行), and a project code nobody knows on a row without a project name (第3行: no project can be created)
HIDDEN = workbook([[2024, None, "区新单位", "XD-01", "新项目", "一般公共预算", 100, 100, "是"],
                   [2024, "区教育局", "区教育局本级", "QQ-404", None, "一般公共预算", 100, 100, "是"],
                   [2024, "区教育局", "区教育局本级", "JY-31", "心理健康教育", "一般公共预算", 80, 80, "是"]])

# no 主管部门 column at all: one known 预算单位 and one the database does not know yet
NO_DEPT = workbook([[2024, None, "区教育局本级", "JY-41", "校园安全", "一般公共预算", 120, 120, "是"],
                    [2024, None, "区实验幼儿园", "JY-42", "普惠托育", "一般公共预算", 60, 60, "是"]])


def _rows(problems) -> list[tuple]:
    return sorted((p["工作表"], int(p["行"]), p["列"], p["说明"]) for _i, p in problems.iterrows()
                  if p["级别"] == "错误")


def test_preview_lists_exactly_the_dry_runs_errors(fresh_db):
    name = "隐藏错误.xlsx"
    # today's reader alone sees none of them: the preview used to say 0 errors where 试导入 found 2
    assert not read_file(HIDDEN, name).errors
    dry = import_results(fresh_db, [(name, "x", read_file(HIDDEN, name))], dry_run=True)
    expected = sorted((p.sheet, p.row, p.column, p.message) for p in dry.errors)
    assert len(expected) == 2
    at = make_app("upload")
    _upload(at, name, HIDDEN)
    assert not at.exception
    assert any(f"{name}：识别出 1 张表，2 个错误" in e.proto.label.replace("\\", "") for e in at.expander)
    assert _rows(table(at, "级别", "说明")) == expected
    assert at.button(key="do_import").disabled  # the preview's errors block the import, as the dry run's do
    at.button(key="dry_run").click().run()
    assert _rows(table(at, "级别", "说明", nth=1)) == expected  # 试导入's list below: the same errors


def test_after_an_import_the_undo_selector_points_at_the_new_batch(fresh_db):
    at = make_app("upload")
    assert at.selectbox(key="undo_pick").value == 1
    at.selectbox(key="undo_pick").set_value(1).run()  # the base batch chosen before the upload
    _upload(at, "好.xlsx", GOOD)
    at.button(key="do_import").click().run()
    assert not at.exception
    new = list_batches(fresh_db)[0]["id"]
    assert new == 2 and any(f"已导入，批次 #{new}" in s.value for s in at.success)
    assert at.selectbox(key="undo_pick").value == new
    at.button(key="undo_open").click().run()
    assert any(f"撤销批次 #{new} 会" in md.value for md in at.markdown)  # the dialog offers the batch just written


def test_a_file_without_department_asks_for_it_once(fresh_db):
    at = make_app("upload")
    assert not [s for s in at.selectbox if s.key == "up_dept"]
    _upload(at, "无主管部门.xlsx", NO_DEPT)
    assert not at.exception
    assert any("无法确定其主管部门" in str(v) for v in table(at, "级别", "说明")["说明"])
    assert at.button(key="do_import").disabled
    pick = at.selectbox(key="up_dept")
    assert "区教育局" in pick.options
    pick.set_value("区教育局").run()
    assert not at.exception
    said = [i.value for i in at.info if "区教育局" in i.value]
    assert said and "新建 1 个预算单位" in said[0], [i.value for i in at.info]
    assert any("识别出 1 张表，0 个错误" in e.proto.label for e in at.expander)
    assert not at.button(key="do_import").disabled
    at.button(key="do_import").click().run()
    assert any("已导入" in s.value for s in at.success), [s.value for s in at.success]
    assert list_batches(fresh_db)[0]["counts"]["units"]["inserted"] == 1
