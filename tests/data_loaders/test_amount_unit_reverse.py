"""金额单位 the other way round (issue 22): amounts filled in 万元 under a 元 header would go in 10,000× too small.
A text amount in the sheet equal to a number as written converts (with a warning); the same projects' amounts in
the database about 10,000× larger refuse the import naming both totals; a true 元 file goes in as it is."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from dashboard.core import db
from dashboard.core.models import Project
from dashboard.core.rules import UNIT_CONVERT, UNIT_OK, UNIT_REFUSE, yuan_header_verdict
from data_loaders.importer import import_files
from data_loaders.reader import read_file
from data_loaders.sheet import TAG_AMOUNT_UNIT

HEADERS = ["年度", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算（元）", "测算依据"]


def workbook(rows, headers=HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_rule_verdicts():
    assert yuan_header_verdict([0.012, 0.008], [120.0]).verdict == UNIT_CONVERT  # "120万元" beside 120 under 元
    assert yuan_header_verdict([120.0], [120.0]).verdict == UNIT_OK  # 1,200,000 元 written as 120万元 in the text
    assert yuan_header_verdict([0.012], [], [(0.012, 118.0)]).verdict == UNIT_REFUSE
    assert yuan_header_verdict([118.0], [], [(118.0, 120.0)]).verdict == UNIT_OK
    assert yuan_header_verdict([0.012]).verdict == UNIT_OK  # no evidence: the header stands


def test_text_evidence_converts_with_a_warning():
    data = workbook([[2025, "区教育局", "区一中", "R-1", "校舍维修", 120, "项目资金120万元"],
                     [2025, "区教育局", "区二中", "R-2", "食堂改造", 80.5, "按80.5万元测算"]])
    result = read_file(data, "一中.xlsx")
    assert not result.errors, result.errors
    assert result.tables[0].frame["adjusted_budget"].tolist() == [120.0, 80.5]
    (warning,) = [p for p in result.warnings if p.tag == TAG_AMOUNT_UNIT]
    assert warning.message.startswith("已按“万元”读取：工作表“项目”的“调整后预算（元）（F列）”的表头写的是“元”")
    assert "按表头“元”合计 0.02 万元；如为“万元”则合计 200.50 万元" in warning.message


def test_history_refuses_until_the_unit_is_given_and_a_true_yuan_file_goes_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    db.init_db(url)
    base = workbook([[2024, "区教育局", "区一中", "R-1", "校舍维修", 1_200_000, ""],
                     [2024, "区教育局", "区二中", "R-2", "食堂改造", 800_000, ""]])
    assert import_files(url, [("2024.xlsx", base)]).ok  # 120 and 80 万元, written in 元 under 元
    wrong = workbook([[2025, "区教育局", "区一中", "R-1", "校舍维修", 125, ""],
                      [2025, "区教育局", "区二中", "R-2", "食堂改造", 82, ""]])  # 万元 under the 元 header
    refused = import_files(url, [("2025.xlsx", wrong)])
    assert not refused.ok
    (error,) = [p for p in refused.errors if p.tag == TAG_AMOUNT_UNIT]
    assert "表头写的是“元”，但按“元”读，数额只有同一项目或部门已有金额的约 1/9,600，像是按“万元”填写的" in error.message
    assert "按表头“元”合计 0.02 万元；如为“万元”则合计 207.00 万元" in error.message
    assert import_files(url, [("2025.xlsx", wrong)], unit="万元").ok
    right = workbook([[2026, "区教育局", "区一中", "R-1", "校舍维修", 1_300_000, ""]])
    assert import_files(url, [("2026.xlsx", right)]).ok
    with db.get_engine(url).connect() as conn:
        got = dict(conn.execute(select(Project.year, Project.adjusted_budget).where(Project.code == "R-1")).all())
    assert got == {2024: 120.0, 2025: 125.0, 2026: 130.0}
