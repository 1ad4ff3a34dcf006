"""金额单位 on the upload page in Chromium at 1366 px (issue 22): amounts in 元 under the template's 万元 headers are
named in one sentence and 导入 stays disabled until 金额单位 = 元 is chosen. Nothing is imported (the preview's dry
run rolls back), so the shared county server serves."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from bench import server as srv
from dashboard.registry import BY_KEY
from tests.browser import waits

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["年度", "主管部门", "预算单位", "项目编码", "项目名称", "年初预算（万元）", "调整后预算（万元）"]
# 15 万 … 30 万 written in 元 under 万元 headers for 青山区教育局 (the county demo's projects: hundreds of 万元)
AMOUNTS = [150_000, 80_000, 260_000, 120_000, 95_000, 300_000, 175_000, 60_000, 210_000, 140_000]


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(HEADERS)
    for i, a in enumerate(AMOUNTS):
        ws.append([2024, "青山区教育局", "青山区教育局本级", f"WX-{i:02d}", f"项目WX-{i:02d}", a, a])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_yuan_under_wan_headers_blocks_import_until_the_unit_is_chosen(app_server, page, shots_dir):
    name = "教育局本级元.xlsx"
    upload_page = BY_KEY["upload"]
    page.goto(srv.page_url(app_server, upload_page))
    waits.wait_ready(page, upload_page.title)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": _workbook()}])
    page.locator("[data-testid='stExpander']", has_text=name).first.wait_for(state="visible",
                                                                                timeout=waits.TIMEOUT)
    waits.wait_idle(page)
    sentence = page.locator("[data-testid='stAlert']", has_text="金额单位待确认").first
    expect(sentence).to_be_visible()
    expect(sentence).to_contain_text("“元”")
    do_import = page.get_by_role("button", name="导入", exact=True)
    expect(do_import).to_be_disabled()
    box = sentence.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366  # no overflow at 1366 px
    sentence.scroll_into_view_if_needed()
    shots_dir.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots_dir / "upload_unit_1366.png"), animations="disabled")

    page.get_by_role("combobox", name="金额单位（整份文件）").click()
    page.get_by_role("option", name="元", exact=True).click()
    waits.wait_idle(page)
    expect(page.locator("[data-testid='stAlert']", has_text="金额单位待确认")).to_have_count(0)
    expect(do_import).to_be_enabled()


def test_a_file_without_department_asks_for_it_and_says_what_it_creates(app_server, page, shots_dir):
    name = "无主管部门.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["年度", "预算单位", "项目编码", "项目名称", "年初预算（万元）"])
    ws.append([2024, "青山区教育局本级", "ND-01", "校园安全", 120])
    ws.append([2024, "青山区新建幼儿园", "ND-02", "普惠托育", 60])
    buf = io.BytesIO()
    wb.save(buf)
    upload_page = BY_KEY["upload"]
    page.goto(srv.page_url(app_server, upload_page))
    waits.wait_ready(page, upload_page.title)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": buf.getvalue()}])
    page.locator("[data-testid='stExpander']", has_text=name).first.wait_for(state="visible",
                                                                                timeout=waits.TIMEOUT)
    waits.wait_idle(page)
    expect(page.get_by_role("button", name="导入", exact=True)).to_be_disabled()
    box = page.get_by_role("combobox", name="主管部门（表格里没有写明时使用）")
    box.click()
    box.fill("青山区教育局")
    page.get_by_role("option", name="青山区教育局", exact=True).click()
    waits.wait_idle(page)
    said = page.locator("[data-testid='stAlert']", has_text="按主管部门“青山区教育局”导入").first
    expect(said).to_contain_text("新建 1 个预算单位")
    expect(page.get_by_role("button", name="导入", exact=True)).to_be_enabled()
    said.scroll_into_view_if_needed()
    shots_dir.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots_dir / "upload_department_1366.png"), animations="disabled")
