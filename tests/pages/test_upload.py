"""The upload page end to end: preview, dry run, import (figures change), bad file (errors, nothing written), undo."""

from __future__ import annotations

import io

import openpyxl
import streamlit as st

from dashboard.core import db
from tests.pages.apptest import make_app, metrics, table, upload

HEADERS = ["年度", "主管部门", "预算单位", "项目编码", "项目名称", "资金来源", "年初预算", "调整后预算", "是否设定绩效目标"]


def workbook(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = workbook([[2024, "区教育局", "区教育局本级", "JY-09", "智慧校园建设", "一般公共预算", 300, 300, "是"]])
BAD = workbook([[2024, "区教育局", "区教育局本级", "JY-10", "图书购置", "一般公共预算", -5, "abc", "是"]])






def test_good_file_preview_import_and_figures_change(fresh_db):
    at = make_app("upload")
    upload(at, "好.xlsx", GOOD)
    assert not at.exception
    # preview: table kind and column mapping
    mapping = table(at, "表格中的列", "对应字段")
    assert "项目名称" in mapping["表格中的列"].tolist()
    assert any("识别出 1 张表，0 个错误" in e.proto.label for e in at.expander)
    version = db.data_version(fresh_db)
    at.button(key="dry_run").click().run()
    assert any("检查通过" in s.value for s in at.success)
    assert db.data_version(fresh_db) == version  # a dry run writes nothing
    at.button(key="do_import").click().run()
    assert any("已导入，批次 #2" in s.value for s in at.success), [s.value for s in at.success]
    counts = table(at, "表", "新增")
    assert counts.set_index("表").loc["项目", "新增"] == 1
    assert db.data_version(fresh_db) > version
    at.switch_page("../pages/overview.py")
    at.run()
    assert metrics(at)["预算（亿元）"][0] == "2.01"  # 19,800 + 300 万元
    history_at = make_app("upload")
    history = table(history_at, "批次", "状态")
    assert history["批次"].tolist()[:2] == [2, 1] and history["文件"].tolist()[0] == "好.xlsx"


def test_bad_file_lists_every_error_and_writes_nothing(fresh_db):
    at = make_app("upload")
    upload(at, "坏.xlsx", BAD)
    version = db.data_version(fresh_db)
    assert at.button(key="do_import").disabled  # issue 9: no import while the preview shows errors
    at.button(key="dry_run").click().run()  # the check still runs and lists every error
    assert not at.exception
    assert any("本次没有写入任何数据" in e.value for e in at.error)
    problems = table(at, "文件", "工作表", "行", "列", "说明")
    assert set(problems["列"]) == {"年初预算（G列）", "调整后预算（H列）"}
    assert problems["行"].tolist() == [2, 2] and set(problems["文件"]) == {"坏.xlsx"}
    assert db.data_version(fresh_db) == version
    at.switch_page("../pages/overview.py")
    at.run()
    assert metrics(at)["预算（亿元）"][0] == "1.98"


def test_undo_behind_a_confirmation(fresh_db):
    at = make_app("upload")
    upload(at, "好.xlsx", GOOD)
    at.button(key="do_import").click().run()
    at = make_app("upload")
    at.selectbox(key="undo_pick").set_value(2)
    at.button(key="undo_open").click().run()
    assert any("确定吗" in md.value for md in at.markdown)  # the dialog asks first
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert any("已撤销批次 #2" in s.value for s in at.success)
    history = table(at, "批次", "状态")
    assert history.set_index("批次").loc[2, "状态"] == "已撤销"
    at.switch_page("../pages/overview.py")
    at.run()
    assert metrics(at)["预算（亿元）"][0] == "1.98"


def test_empty_database_offers_demo_andupload(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app()
    assert any("还没有任何项目数据" in i.value for i in at.info)
    assert at.button(key="load_demo").label == "加载演示数据"
    assert [p.proto.page for p in at.get("page_link")] == ["upload"]
    at = make_app("upload")  # the upload page works on an empty database
    assert at.title[0].value == "数据上传"


def test_each_file_is_read_once_and_the_preview_is_what_is_imported(fresh_db, monkeypatch):
    from data_loaders import isolated

    calls = []
    real = isolated.read_file_isolated

    def counting(data, name, **kwargs):
        calls.append(name)
        return real(data, name, **kwargs)

    monkeypatch.setattr(isolated, "read_file_isolated", counting)
    at = make_app("upload")
    upload(at, "好.xlsx", GOOD)
    at.button(key="dry_run").click().run()
    assert any("检查通过" in s.value for s in at.success)
    at.button(key="do_import").click().run()
    assert any("已导入，批次 #2" in s.value for s in at.success)
    assert calls == ["好.xlsx"]  # preview, dry run and import all used the one parse
    history = table(make_app("upload"), "批次", "来源")
    assert history.set_index("批次").loc[2, "来源"] == "上传导入" and history.set_index("批次").loc[1, "来源"] == "上传导入"
