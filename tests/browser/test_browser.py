"""End-to-end tests in headless Chromium against a real server on the county demo.

Every page renders without an exception and with its charts (screenshots: see the shots_dir fixture); a sidebar
filter changes a KPI to the figure dashboard.metrics gives; a deep link restores the filters, also as the very
first request of a fresh server (through the app shell); upload → preview → import changes the database, a bad
file shows its errors and writes nothing; a table downloads as a real .xlsx.

Run: `pytest tests/browser` (or `make test`: one shared server under `-n 2 --dist loadgroup`);
`make screenshots` refreshes docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import urllib.parse

import openpyxl
import pytest

from bench import server as srv
from dashboard.registry import BY_KEY, PAGES
from tests.browser import waits

_problem = srv.chromium_problem()
if _problem and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {_problem}", allow_module_level=True)

from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

APP_TITLE = "预算绩效监督驾驶舱"
DEPT_LABEL = "部门（主管部门）"
BUDGET_LABEL = re.compile(r"^\s*预算(总额)?\s*(（[^）]*）)?\s*$")  # 预算（亿元） / 预算总额


# ------------------------------------------------------------------------------------------------ helpers


def _metrics():
    from dashboard import metrics

    return metrics


def _rules():
    from dashboard.core.settings import rules_from_mapping

    return rules_from_mapping({})


def _q(url: str, year: int, departments: tuple[int, ...] = ()):
    """The metrics Query of a year at the database's current data version."""
    m = _metrics()
    return m.Query(url, m.prepare(url), m.Scope(year=year, departments=departments), _rules())


def _assert_clean(pg) -> None:
    assert pg.locator("[data-testid='stException']").count() == 0, "a page shows an exception"
    body = pg.locator("body").inner_text()
    assert "Traceback" not in body, body[:2000]
    assert "Page not found" not in body, "the URL does not match a page of the navigation"


def _metric(pg, label):
    """The first st.metric whose label starts with this text (the label may carry the unit: 预算总额（亿元）)."""
    return pg.locator("[data-testid='stMetric']").filter(
        has=pg.locator("[data-testid='stMetricLabel']", has_text=label)).first


def _expect_money_kpi(pg, label, wan: float, timeout: float = 30_000) -> None:
    """The money card shows `wan` (万元) as the UI formats it: 亿元 from 10,000 万元 up, two decimals;
    the unit may sit in the label or after the number."""
    number, unit = (f"{wan / 10000:,.2f}", "亿元") if abs(wan) >= 10000 else (f"{wan:,.2f}", "万元")
    card = _metric(pg, label)
    expect(card.locator("[data-testid='stMetricValue']")).to_have_text(
        re.compile(rf"^\s*{re.escape(number)}\s*({unit})?\s*$"), timeout=timeout)
    expect(card).to_contain_text(unit)


def _goto(pg, base: str, key: str, query: str = "") -> None:
    page = BY_KEY[key]
    pg.goto(srv.page_url(base, page, query))
    waits.wait_ready(pg, page.title)


def _biggest_department(url: str, year: int) -> tuple[int, str]:
    """A department with projects in the year (the one with most budget): (id, name)."""
    m = _metrics()
    cov = m.coverage_by_department(_q(url, year))
    cov = cov[cov["projects"] > 0].sort_values(["budget", "department"], ascending=[False, True])
    row = cov.iloc[0]
    return int(row["department_id"]), str(row["department"])


def _budget(url: str, year: int, dept_id: int | None = None) -> float:
    m = _metrics()
    return m.project_totals(_q(url, year, (dept_id,) if dept_id is not None else ()))["budget_total"]


# ------------------------------------------------------------------------------------------------ (a) pages


@pytest.mark.parametrize("key", [p.key for p in PAGES])
def test_page_renders_with_charts(app_server, page, key, shots_dir):
    """Every page of the navigation: no exception, no traceback, its charts drawn; a 1366×768 screenshot."""
    info = BY_KEY[key]
    _goto(page, app_server, key)
    if srv.has_charts(info):
        srv.wait_charts(page, 1)
        assert srv.chart_count(page) >= 1
    if key == "overview":
        expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
        srv.wait_charts(page, 2)
    _assert_clean(page)
    srv.screenshot_full(page, shots_dir / f"{key}.png")
    if key == "overview":
        page.set_viewport_size(srv.PHONE)
        waits.wait_ready(page)
        srv.wait_charts(page, 2)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        _assert_clean(page)
        srv.screenshot_full(page, shots_dir / "overview-phone.png")


# ------------------------------------------------------------------------------------------------ (b) filter


def test_department_filter_updates_kpi(app_server, db_url, page):
    year = _metrics().available_years(db_url)[0]
    dept_id, dept_name = _biggest_department(db_url, year)
    _goto(page, app_server, "overview")
    _expect_money_kpi(page, BUDGET_LABEL, _budget(db_url, year))

    box = page.get_by_role("combobox", name=DEPT_LABEL)
    box.click()
    box.fill(dept_name)
    page.get_by_role("option", name=dept_name, exact=True).click()
    page.keyboard.press("Escape")

    expected = _budget(db_url, year, dept_id)
    assert abs(expected - _budget(db_url, year)) > 1
    _expect_money_kpi(page, BUDGET_LABEL, expected)
    waits.wait_ready(page)
    expect(page).to_have_url(re.compile(r"[?&]departments="))
    _assert_clean(page)


# ------------------------------------------------------------------------------------------------ (c) deep link


def _deep_link_query(db_url: str) -> tuple[int, int, str, str]:
    years = sorted(_metrics().available_years(db_url))
    year = years[-2] if len(years) > 1 else years[-1]  # not the default (latest) year
    dept_id, dept_name = _biggest_department(db_url, year)
    query = urllib.parse.urlencode({"year": year, "departments": dept_name})
    return year, dept_id, dept_name, query


def _assert_filters_restored(pg, db_url, year, dept_id, dept_name) -> None:
    expect(pg.get_by_role("combobox", name="年度")).to_have_value(str(year))
    tags = pg.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']")
    expect(tags).to_contain_text(dept_name)
    _expect_money_kpi(pg, BUDGET_LABEL, _budget(db_url, year, dept_id))


def test_deep_link_restores_filters(app_server, db_url, page):
    year, dept_id, dept_name, query = _deep_link_query(db_url)
    _goto(page, app_server, "coverage", query)
    _assert_filters_restored(page, db_url, year, dept_id, dept_name)
    expect(page.locator("[data-testid='stMain']")).to_contain_text(dept_name)  # 当前范围 caption
    _assert_clean(page)


# ------------------------------------------------------------------------------------------------ (d) first hit


def test_first_hit_deep_link_goes_through_shell(fresh_server, db_url, page):
    """The very first request of a fresh server is a deep link: the shell runs (navigation titles, filters,
    page title), not a legacy pages/ script served directly."""
    year, dept_id, dept_name, query = _deep_link_query(db_url)
    _goto(page, fresh_server, "coverage", query)
    nav = page.locator("[data-testid='stTopNav'], [data-testid='stSidebarNav']").first
    expect(nav).to_contain_text(BY_KEY["overview"].title)  # the shell's navigation, with its Chinese titles
    legacy = page.locator("[data-testid='stSidebarNav']")
    nav_text = legacy.inner_text() if legacy.count() else ""
    for p in PAGES:  # legacy MPA v1 would list the files' names (coverage, upload, ...)
        assert not re.search(rf"(?m)^\s*{re.escape(p.file[:-3])}\s*$", nav_text), nav_text
    assert page.title() == APP_TITLE, page.title()  # the shell's st.set_page_config ran
    _assert_filters_restored(page, db_url, year, dept_id, dept_name)
    _assert_clean(page)


# ------------------------------------------------------------------------------------------------ (f) download


def test_table_downloads_as_xlsx(app_server, db_url, page, tmp_path):
    from dashboard.present import labels

    year = _metrics().available_years(db_url)[0]
    _goto(page, app_server, "coverage")
    # the 各部门覆盖率 table's own button, by its key (a stress run once clicked the first "下载 Excel" on the
    # page and got the 资金来源 table's file): wait for that element itself to be on screen
    button = page.locator(".st-key-coverage_dept_xlsx [data-testid='stDownloadButton']")
    expect(button).to_be_visible()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    # three title rows (what, scope, 判断日期 / 数据截至 / batch), then the header (issue 9: exports staff can forward)
    assert str(rows[1][0]).startswith("范围") and "判断日期" in str(rows[2][0]), rows[:3]
    header = list(rows[3])
    # seen failing under heavy load only (passes alone): show what the file held instead of a bare ValueError
    assert labels.LABELS["department"] in header, (download.suggested_filename, rows[:6])
    dept_col, n_col = header.index(labels.LABELS["department"]), header.index(labels.LABELS["projects"])
    got = {r[dept_col]: r[n_col] for r in rows[4:]}
    m = _metrics()
    want = m.coverage_by_department(_q(db_url, year))
    assert len(got) == len(want)
    top = want.sort_values("budget", ascending=False).iloc[0]
    assert got[top["department"]] == int(top["projects"])


# ------------------------------------------------------------------------------------------------ (e) upload


def _monitoring_workbook(db_url: str, year: int, as_of: dt.date, n: int = 20, bad: bool = False) -> bytes:
    """A messy 绩效监控 workbook: a merged title row, a unit line, canonical headers, a 合计 row.

    Rows name existing projects of the year by code (so they link); with bad=True some cells are wrong.
    """
    from sqlalchemy import select

    from dashboard.core.db import get_engine
    from dashboard.core.models import Department, Project, Unit

    with get_engine(db_url).connect() as conn:
        rows = conn.execute(
            select(Project.code, Project.name, Department.name, Unit.name, Project.adjusted_budget)
            .join(Department, Department.id == Project.department_id).outerjoin(Unit, Unit.id == Project.unit_id)
            .where(Project.year == year, Project.code.is_not(None)).order_by(Project.id).limit(n)).all()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效监控"
    ws.append([f"{year}年项目绩效运行监控情况表"])
    ws.merge_cells("A1:K1")
    ws.append(["填报单位：财政局", None, None, None, None, None, None, None, None, None, "单位：万元"])
    ws.append(["年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "执行数",
               "目标完成进度", "偏差原因", "完成目标可能性"])
    total = 0.0
    for i, (code, name, dept, unit, budget) in enumerate(rows):
        budget = float(budget or 100.0)
        executed = round(budget * 0.72, 2)
        total += budget
        ws.append([year, as_of, dept, unit, code, name, budget, executed, 0.7, "", "确定能"])
        if bad and i == 1:
            ws.cell(ws.max_row, 8).value = "七十万"  # 执行数 not a number
        if bad and i == 3:
            ws.cell(ws.max_row, 2).value = "2024-13-45"  # impossible date
    ws.append(["合计", None, None, None, None, None, round(total, 2), None, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(pg, name: str, data: bytes) -> None:
    pg.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": data}])
    pg.locator("[data-testid='stExpander']", has_text=name).first.wait_for(state="visible")
    waits.wait_ready(pg)


def test_upload_import_and_bad_file(app_server, db_url, page, tmp_path):
    from dashboard.core.db import data_version

    m = _metrics()
    year = m.available_years(db_url)[0]
    as_of = dt.date(year, 9, 30)
    before = m.provenance(_q(db_url, year))
    assert before["monitoring_as_of"] != as_of
    version0 = data_version(db_url)

    _goto(page, app_server, "upload")
    # ---- a good messy workbook: preview, import, the database changes
    _upload(page, "九月监控.xlsx", _monitoring_workbook(db_url, year, as_of))
    expander = page.locator("[data-testid='stExpander']", has_text="九月监控.xlsx").first
    expect(expander).to_contain_text("识别出 1 张表，0 个错误")
    expect(page.locator("[data-testid='stMain']")).to_contain_text("绩效监控")
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator("[data-testid='stAlert']", has_text="已导入")).to_be_visible(timeout=60_000)
    waits.wait_ready(page)
    _assert_clean(page)
    after = m.provenance(_q(db_url, year))
    assert after["monitoring_as_of"] == as_of
    assert after["batch_id"] != before["batch_id"]
    assert data_version(db_url) > version0
    assert m.monitoring_totals(_q(db_url, year))["as_of"] == as_of

    # ---- a bad workbook: errors with file / row / column, nothing written
    version1 = data_version(db_url)
    # a fresh visit: after an import the page renews its uploader only on the next run (see upload.py)
    _goto(page, app_server, "upload")
    _upload(page, "坏表.xlsx", _monitoring_workbook(db_url, year, dt.date(year, 10, 31), bad=True))
    expander = page.locator("[data-testid='stExpander']", has_text="坏表.xlsx").first
    expect(expander).to_contain_text(re.compile(r"[1-9]\d* 个错误"))
    expect(page.get_by_role("button", name="导入", exact=True)).to_be_disabled()  # errors: import is off
    page.get_by_role("button", name="试导入（只检查，不写入）").click()
    expect(page.locator("[data-testid='stAlert']", has_text="没有写入任何数据")).to_be_visible(timeout=60_000)
    waits.wait_ready(page)
    _assert_clean(page)
    with page.expect_download() as info:
        page.locator("[data-testid='stDownloadButton']").filter(has_text="下载错误清单").click()
    path = tmp_path / "errors.xlsx"
    info.value.save_as(path)
    rows = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    header = list(rows[0])
    errors = [dict(zip(header, r)) for r in rows[1:] if r[header.index("级别")] == "错误"]
    assert errors, rows
    assert all(e["文件"] == "坏表.xlsx" for e in errors), errors
    # Excel row numbers: title (1), unit line (2), header (3), data from 4 — the 2nd and 4th data rows are bad
    assert {e["行"] for e in errors} >= {5, 7}, errors
    assert any(e["列"] and "执行数" in str(e["列"]) for e in errors), errors
    assert data_version(db_url) == version1
    assert m.provenance(_q(db_url, year))["batch_id"] == after["batch_id"]
