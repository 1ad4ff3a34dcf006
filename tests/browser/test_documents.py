"""The document downloads in a real browser: 下载部门简报 (Word and PDF) on 部门画像 and 下载年度报告 on 总览 each
deliver a file that opens (python-docx / pdftotext) and carries the figures dashboard.metrics.summary gives."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess

import docx
import pytest

from bench import server as srv
from dashboard.registry import BY_KEY

_problem = srv.chromium_problem()
if _problem and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {_problem}", allow_module_level=True)

from tests.browser.conftest import DEMO_TODAY

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TIMEOUT = 120_000  # ms: a document is made when its button is clicked (the PDF starts LibreOffice)


def _goto(pg, base: str, key: str, query: str = "") -> None:
    page = BY_KEY[key]
    pg.goto(srv.page_url(base, page, query))
    srv.wait_ready(pg, page.title)


def _download(pg, label: str, tmp_path):
    button = pg.locator("[data-testid='stDownloadButton']").filter(has_text=label).first
    button.wait_for(state="visible", timeout=TIMEOUT)
    with pg.expect_download(timeout=TIMEOUT) as info:
        button.click()
    d = info.value
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    return path


def _department(url: str) -> tuple[int, str, str | None, int]:
    from dashboard import metrics

    year = metrics.available_years(url)[0]
    q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year), today=dt.date.fromisoformat(DEMO_TODAY))
    lights = metrics.lights_by_department(q).sort_values(["red", "department"], ascending=[False, True])
    dept_id = int(lights.iloc[0]["department_id"])
    options = metrics.department_options(url).set_index("id")
    return dept_id, str(options.loc[dept_id, "name"]), options.loc[dept_id, "code"], year


def test_brief_downloads_as_word_and_pdf(app_server, db_url, page, tmp_path):
    from dashboard.core.rules import DEFAULT_RULES
    from dashboard.metrics import summary

    dept_id, name, code, year = _department(db_url)
    _goto(page, app_server, "department", f"dept={dept_id}")
    assert "浏览器菜单" not in page.locator("body").inner_text()
    path = _download(page, "下载部门简报（Word）", tmp_path)
    assert path.suffix == ".docx" and name in path.name
    d = docx.Document(str(path))
    # the title is broken into balanced lines (docx_kit.title_lines)
    assert d.paragraphs[0].text.replace("\n", "") == f"{name}{year}年度预算绩效情况简报"
    s = summary.summary(db_url, year, code or name, dt.date.fromisoformat(DEMO_TODAY), DEFAULT_RULES)
    headline = {re.sub(r"〔\d+〕", "", r.cells[0].text): r.cells[1].text for r in d.tables[1].rows[1:]}
    assert headline["预算（万元）"] == f"{s['budget_total']:,.2f}"
    assert headline["红灯项目（个）"] == f"{s['monitoring']['red']:,}"
    assert headline["逾期未整改（个）"] == f"{s['findings']['overdue']:,}"
    from dashboard.core import audit

    exports = [e for e in audit.entries(db_url) if e["action"] == "export"]
    assert exports and exports[0]["detail"]["what"] == "下载部门简报（Word）"
    assert exports[0]["detail"]["file"] == path.name

    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or pdftotext missing: the PDF button is disabled")
    pdf = _download(page, "下载部门简报（PDF）", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    assert f"{name}{year}年度预算绩效情况简报" in text and f"{s['budget_total']:,.2f}" in text


def test_annual_report_downloads_from_overview(app_server, db_url, page, tmp_path):
    from dashboard import metrics
    from dashboard.core.rules import DEFAULT_RULES
    from dashboard.metrics import summary

    year = metrics.available_years(db_url)[0]
    _goto(page, app_server, "overview")
    path = _download(page, "下载年度报告", tmp_path)
    d = docx.Document(str(path))
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、主要工作及成效", "二、存在的问题", f"三、{year + 1}年工作安排"]
    s = summary.summary(db_url, year, None, dt.date.fromisoformat(DEMO_TODAY), DEFAULT_RULES)
    text = "\n".join(p.text for p in d.paragraphs)
    # the register of the bureaus' reports: counts without separators, totals of 1 亿元 and more in 亿元
    assert f"的{s['projects']}个项目纳入预算绩效管理" in text
    assert f"涉及预算资金{s['budget_total'] / 10_000:.2f}亿元" in text
