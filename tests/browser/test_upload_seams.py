"""The upload preview of issue 12's seams in Chromium at 1366 px: the notices box (a look-alike header not read,
month columns added up, sheets skipped) sits above the files, and a year in the file name fills the 年度 field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bench import server as srv
from dashboard.registry import BY_KEY
from tests.data_loaders.corpus_seams import (
    monitoring_month_columns,
    projects_merged_target_header,
    projects_year_in_file_name,
    workbook_with_list_sheets,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _goto_upload(pg, base: str) -> None:
    page = BY_KEY["upload"]
    pg.goto(srv.page_url(base, page))
    srv.wait_ready(pg, page.title)


def _upload(pg, paths) -> None:
    pg.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": p.name, "mimeType": XLSX, "buffer": p.read_bytes()} for p in paths])
    for p in paths:
        pg.locator("[data-testid='stExpander']", has_text=p.name).first.wait_for(state="visible")
    srv.wait_ready(pg)


def test_preview_notices_above_the_files_at_1366(app_server, page, tmp_path, shots_dir):
    files = [projects_merged_target_header(tmp_path)[0], monitoring_month_columns(tmp_path)[0],
             workbook_with_list_sheets(tmp_path)[0]]
    _goto_upload(page, app_server)
    _upload(page, files)
    notice = page.locator("[data-testid='stAlert']", has_text="请先核对").first
    expect(notice).to_contain_text("重点项目标识")
    expect(notice).to_contain_text("按表头的月份读取")
    expect(notice).to_contain_text("下拉选项")
    first_file = page.locator("[data-testid='stExpander']", has_text=files[0].name).first
    assert notice.bounding_box()["y"] < first_file.bounding_box()["y"]  # above the files
    box = notice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366  # no overflow at 1366 px
    # the files' expanders are closed (several files, none with errors): their tables never draw, so a
    # viewport shot of the notice rather than screenshot_full, which waits for every table
    notice.scroll_into_view_if_needed()
    shots_dir.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots_dir / "upload_preview_notices_1366.png"), animations="disabled")


def test_year_in_the_file_name_fills_the_year(app_server, page, tmp_path):
    path, _expected = projects_year_in_file_name(tmp_path)
    _goto_upload(page, app_server)
    _upload(page, [path])
    expect(page.get_by_label("年度（表格里没有写明时使用）")).to_have_value("2023")
    expander = page.locator("[data-testid='stExpander']", has_text=path.name).first
    expect(expander).to_contain_text("识别出 1 张表，0 个错误")
