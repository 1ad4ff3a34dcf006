"""金额单位 on the upload page (issue 22): 元 under 万元 headers is named in one sentence before 导入 is enabled,
and the 金额单位 selector sets the unit of the whole file."""

from __future__ import annotations

import io

import openpyxl

from dashboard.core import db
from tests.pages.apptest import make_app, metrics, upload

HEADERS = ["年度", "主管部门", "预算单位", "项目编码", "项目名称", "资金来源", "年初预算（万元）", "调整后预算（万元）"]


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


# 150 万元 and 230 万元 written in 元 under the 万元 headers; 区教育局's projects are 200–1,000 万元
YUAN = workbook([[2024, "区教育局", "区教育局本级", "JY-21", "课后服务", "一般公共预算", 1_500_000, 1_500_000],
                 [2024, "区教育局", "区第一中学", "JY-22", "实验室改造", "一般公共预算", 2_300_000, 2_300_000]])






def test_yuan_under_wan_headers_is_named_before_import_and_the_selector_confirms_it(fresh_db):
    at = make_app("upload")
    upload(at, "教育局.xlsx", YUAN)
    assert not at.exception
    sentences = [e.value.replace("\\", "") for e in at.error if "金额单位待确认" in e.value]  # Markdown-escaped
    assert len(sentences) == 1, [e.value for e in at.error]
    assert "“元”" in sentences[0] and "按表头“万元”合计 3,800,000.00 万元；如为“元”则合计 380.00 万元" in sentences[0]
    assert at.button(key="do_import").disabled  # no import until the unit is confirmed
    version = db.data_version(fresh_db)
    at.selectbox(key="up_unit").set_value("元").run()
    assert not at.exception
    assert not [e.value for e in at.error if "金额单位待确认" in e.value]
    assert not at.button(key="do_import").disabled
    at.button(key="do_import").click().run()
    assert any("已导入" in s.value for s in at.success), [s.value for s in at.success]
    assert db.data_version(fresh_db) > version
    at.switch_page("../pages/overview.py")
    at.run()
    assert metrics(at)["预算（亿元）"][0] == "2.02"  # 19,800 + 380 万元, not 400 亿元 more
