"""The 版式 step on the upload page (issue 22 item 7): a sheet whose header the reader does not know is mapped
column by column, saved as a 版式 (staff or admin, audited), imported with the right figures, and a later file
with the same header is read by the 版式 without asking; saved 版式 are listed, exported and deleted."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from dashboard.core import audit, db, layouts
from dashboard.core.accounts import Actor, Forbidden
from data_loaders import mapping
from tests.pages.apptest import make_app, metrics, upload

HEADER = ["序", "归口科室", "承办单位", "支出事项", "今年安排", "花掉的钱"]


def workbook(rows, title="2024年专项资金明细") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append([title])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FIRST = workbook([[1, "区教育局", "区第一中学", "校舍维修", 120.5, 60], [2, "区教育局", "区教育局本级", "食堂改造", 80, 80]])
SECOND = workbook([[1, "区卫健委", "区卫健委本级", "疫苗冷链", 45.25, 10]])
CHOICES = {"归口科室": "主管部门", "承办单位": "预算单位", "支出事项": "项目名称", "今年安排": "调整后预算"}


def budget(at) -> float:
    at.switch_page("../pages/overview.py")
    at.run()
    return float(metrics(at)["预算（亿元）"][0])


def test_an_unknown_sheet_is_mapped_saved_imported_and_the_next_file_needs_no_mapping(fresh_db):
    at = make_app("overview")
    before = float(metrics(at)["预算（亿元）"][0])
    at.switch_page("../pages/upload.py")
    at.run()
    upload(at, "专项台账.xlsx", FIRST)
    assert not at.exception
    assert at.button(key="do_import").disabled  # nothing recognised: an error until mapped
    row = at.number_input(key="map_row_0")
    assert row.value == 2  # the header is Excel row 2, under the title
    assert at.selectbox(key="map_kind_0").value == "projects"
    boxes = {h: at.selectbox(key=f"map_col_0_projects_2_{c}") for c, h in enumerate(HEADER)}
    assert boxes["承办单位"].value == "预算单位"  # suggested: close to 单位
    assert boxes["花掉的钱"].value == "不导入" and boxes["序"].value == "不导入"
    assert "例如：区第一中学、区教育局本级" in boxes["承办单位"].label
    for header, label in CHOICES.items():
        boxes[header].set_value(label)
    at.text_input(key="map_name_0").set_value("区专项资金台账")
    at.button(key="FormSubmitter:map_form_0_projects_2-保存版式并按版式读取").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已保存版式“区专项资金台账”（项目表，读取 4 列）" in s.value.replace("\\", "") for s in at.success)
    assert not [n for n in at.number_input if n.key == "map_row_0"]  # mapped: no mapping step any more
    assert not at.button(key="do_import").disabled
    at.button(key="do_import").click().run()
    assert any("已导入" in s.value for s in at.success), [s.value for s in at.success]
    assert before == 1.98  # the fixture's 19,800 万元
    assert budget(at) == 2.0  # 19,800 + 120.5 + 80 = 20,000.5 万元
    assert _stored(fresh_db, "校舍维修") == (2024, 120.5) and _stored(fresh_db, "食堂改造") == (2024, 80.0)

    # the same header again: read by the 版式 at once, no mapping step
    at.switch_page("../pages/upload.py")
    at.run()
    upload(at, "卫健委台账.xlsx", SECOND)
    assert not at.exception
    assert not [n for n in at.number_input if n.key == "map_row_0"]
    assert any("按版式“区专项资金台账”读取" in c.value.replace("\\", "") for c in at.caption)
    at.button(key="do_import").click().run()
    assert _stored(fresh_db, "疫苗冷链") == (2024, 45.25)

    # listed, exported as the file import --layout takes, audited, deleted
    listed = [df.value for df in at.dataframe if "版式" in df.value.columns]
    assert listed and listed[0]["版式"].tolist() == ["区专项资金台账"]
    assert listed[0]["读取的列"].tolist() == ["归口科室、承办单位、支出事项、今年安排"]
    saved = mapping.saved(fresh_db)[0]
    assert json.loads(mapping.to_json(saved))["columns"][3] == {"header": "支出事项", "field": "project_name",
                                                                "label": "项目名称"}
    entries = [e for e in audit.entries(fresh_db) if e["action"] == "settings"]
    assert entries and entries[0]["detail"]["op"] == "layout_save" and entries[0]["detail"]["name"] == "区专项资金台账"
    at.button(key="layout_delete").click().run()
    assert mapping.saved(fresh_db) == []
    assert any("已删除版式“区专项资金台账”" in s.value.replace("\\", "") for s in at.success)


def _stored(url: str, name: str) -> tuple[int, float] | None:
    from sqlalchemy import select

    from dashboard.core.models import Project
    with db.get_engine(url).connect() as conn:
        row = conn.execute(select(Project.year, Project.adjusted_budget).where(Project.name == name)).first()
    return (row[0], row[1]) if row else None


def test_a_leader_or_a_deputy_cannot_save_or_delete_a_layout(fresh_db):
    with pytest.raises(Forbidden):
        layouts.save_layout(fresh_db, Actor("王领导", "leader"), "x", "projects", [["a", "project_name"]])
    with pytest.raises(Forbidden):
        layouts.delete_layout(fresh_db, Actor("李代表", "deputy"), "x")
