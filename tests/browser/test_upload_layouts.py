"""The 版式 step in Chromium at 1366 px (issue 22 item 7): a sheet whose header the reader does not know is mapped
column by column, saved, imported with the right figures; the same header uploaded again imports without asking.
It writes, so it runs on a server of its own over a copy of the county demo."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bench import server as srv
from dashboard.core import db
from dashboard.core.models import Project
from dashboard.registry import BY_KEY
from tests.browser import waits
from tests.browser.conftest import _server_env, copy_db

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["序", "归口科室", "承办单位", "支出事项", "今年安排", "备注说明"]
CHOICES = {"B": "主管部门", "C": "预算单位", "D": "项目名称", "E": "调整后预算"}


def _workbook(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "专项台账"
    ws.append(["2024年专项资金安排明细"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FIRST = [[1, "青山区教育局", "青山区教育局本级", "版式测试校舍维修", 120.5, "无"],
         [2, "青山区教育局", "青山区教育局本级", "版式测试食堂改造", 80.25, ""]]
SECOND = [[1, "青山区教育局", "青山区教育局本级", "版式测试操场翻新", 45.75, "第二份"]]


@pytest.fixture
def own_server(db_url, tmp_path):
    url = copy_db(db_url, tmp_path / "layouts.db")
    server = srv.start_server(url, tmp_path / "layouts.log", extra_env=_server_env())
    try:
        yield server.base_url, url
    finally:
        server.stop()


def _budgets(url: str) -> dict[str, float]:
    with db.get_engine(url).connect() as conn:
        rows = conn.execute(select(Project.name, Project.adjusted_budget, Project.year)
                            .where(Project.name.like("版式测试%"))).all()
    return {name: (budget, year) for name, budget, year in rows}


def _upload(page, base_url, name, data) -> None:
    upload_page = BY_KEY["upload"]
    page.goto(srv.page_url(base_url, upload_page))
    waits.wait_ready(page, upload_page.title)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    page.locator("[data-testid='stExpander']", has_text=name).first.wait_for(state="visible", timeout=waits.TIMEOUT)
    waits.wait_idle(page)


def _import(page) -> None:
    button = page.get_by_role("button", name="导入", exact=True)
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator("[data-testid='stAlert']", has_text="已导入").first).to_be_visible()
    waits.wait_idle(page)


def test_an_unknown_layout_is_mapped_imported_and_recognised_next_time(own_server, page, shots_dir):
    base_url, url = own_server
    _upload(page, base_url, "专项台账.xlsx", _workbook(FIRST))
    expect(page.get_by_text("没有识别出的工作表：逐列对应字段，保存为版式")).to_be_visible()
    expect(page.get_by_role("button", name="导入", exact=True)).to_be_disabled()
    for letter, label in CHOICES.items():
        box = page.get_by_role("combobox", name=f"{letter}列“")
        box.click()
        page.keyboard.type(label)
        page.get_by_role("option", name=label, exact=True).click()
    name = page.get_by_role("textbox", name="版式名称")
    name.fill("青山区专项台账")
    shots_dir.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots_dir / "upload_layout_1366.png"), full_page=True, animations="disabled")
    page.get_by_role("button", name="保存版式并按版式读取").click()
    expect(page.locator("[data-testid='stAlert']", has_text="已保存版式").first).to_be_visible()
    waits.wait_idle(page)
    expect(page.get_by_text("没有识别出的工作表：逐列对应字段，保存为版式")).to_have_count(0)
    _import(page)
    assert _budgets(url) == {"版式测试校舍维修": (120.5, 2024), "版式测试食堂改造": (80.25, 2024)}

    # the same header in another file: read by the 版式, imported without a mapping step
    _upload(page, base_url, "第二份台账.xlsx", _workbook(SECOND))
    expect(page.get_by_text("没有识别出的工作表：逐列对应字段，保存为版式")).to_have_count(0)
    expect(page.get_by_text("按版式“青山区专项台账”读取").first).to_be_visible()
    _import(page)
    assert _budgets(url)["版式测试操场翻新"] == (45.75, 2024)
    assert len(_budgets(url)) == 3
