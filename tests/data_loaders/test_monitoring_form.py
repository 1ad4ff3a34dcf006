"""《项目支出绩效目标执行监控表》 (issue 22 item 2: monitoring forms read by their labels): a monitoring row (全年预算数,
1-7月执行数 → 监控截止日期 7月31日, 执行率, 偏差原因, 完成目标可能性) and its indicators (stage 监控) with tick-mark option
columns; stacked forms; the figures stored."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlalchemy import select

from dashboard.core import db
from dashboard.core import models as m
from data_loaders.importer import import_files
from data_loaders.reader import read_file

HEAD = ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "1-7月执行情况", "全年预计完成情况",
        "偏差原因分析", None, None, None, None, "完成目标可能性", None, None, "备注"]
SUB = [None] * 7 + ["经费保障", "制度保障", "人员保障", "硬件条件保障", "其他", "确定能", "有可能", "完全不可能", None]


def form(ws, top: int, name: str, amounts, indicators, title=True) -> int:
    """One form from row `top` (1-based); returns the next free row."""
    r = top
    if title:
        ws.cell(r, 1, "项目支出绩效目标执行监控表")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=16)
        ws.cell(r + 1, 1, "（2024年度）")
        r += 2
    ws.cell(r, 1, "项目名称")
    ws.cell(r, 2, name)
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=16)
    ws.cell(r + 1, 1, "主管部门及代码")
    ws.cell(r + 1, 2, "101-区教育局")
    ws.merge_cells(start_row=r + 1, start_column=2, end_row=r + 1, end_column=5)
    ws.cell(r + 1, 6, "实施单位")
    ws.cell(r + 1, 7, "区第一中学")
    r += 2
    ws.cell(r, 1, "项目资金（万元）")
    ws.merge_cells(start_row=r, start_column=1, end_row=r + 3, end_column=1)
    for c, h in enumerate(["年初预算数", "全年预算数", "1-7月执行数", "1-7月执行率", "偏差原因分析", "完成目标可能性", "备注"], 3):
        ws.cell(r, c, h)
    initial, adjusted, executed, rate, reason, likely = amounts
    for c, v in enumerate(["年度资金总额", initial, adjusted, executed, rate, reason, likely], 2):
        ws.cell(r + 1, c, v)
    for c, v in enumerate(["其中：财政拨款", initial, adjusted, executed], 2):
        ws.cell(r + 2, c, v)
    for c, v in enumerate(["其他资金", 0, 0, 0], 2):
        ws.cell(r + 3, c, v)
    r += 4
    ws.cell(r, 1, "年度总体目标")
    ws.cell(r, 2, "全年预期目标")
    ws.cell(r, 5, "1-7月执行情况")
    ws.cell(r + 1, 2, "建成智慧教室")
    ws.cell(r + 1, 5, "已完成招标")
    r += 2
    for c, v in enumerate(HEAD, 1):
        ws.cell(r, c, v)
    ws.merge_cells(start_row=r, start_column=8, end_row=r, end_column=12)
    ws.merge_cells(start_row=r, start_column=13, end_row=r, end_column=15)
    for c in (2, 3, 4, 5, 6, 7, 16):
        ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
    for c, v in enumerate(SUB, 1):
        if v:
            ws.cell(r + 1, c, v)
    ws.merge_cells(start_row=r, start_column=1, end_row=r + 1 + len(indicators), end_column=1)
    r += 2
    for row in indicators:
        for c, v in enumerate(row, 2):
            ws.cell(r, c, v)
        r += 1
    ws.cell(r, 1, "填报人：张三")
    return r + 2


INDICATORS = [
    ["产出指标", "数量指标", "智慧教室数量", "≥20间", "8间", "20间", "✔", None, None, None, None, None, "√", None],
    [None, "质量指标", "验收合格率", "100%", "100%", "100%", None, None, None, None, None, "✔", None, None],
    ["效益指标", "社会效益指标", "不适用", None, None, None] + [None] * 8,
    ["满意度指标", "服务对象满意度指标", "师生满意度", "≥90%", "/", "92%", None, None, None, None, "问卷未开展",
     None, "✔", None],
]


def workbook(stacked: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "监控表"
    nxt = form(ws, 1, "智慧课堂建设", (200, 220, 88, "40%", "设备招标推迟", "有可能"), INDICATORS)
    if stacked:
        form(ws, nxt, "课后服务", (50, 50, 30, 0.6, None, "确定能"), INDICATORS[:1])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_monitoring_form_gives_its_monitoring_row_and_indicators():
    result = read_file(workbook(), "监控表.xlsx")
    assert not result.errors, result.problems
    mon = next(t for t in result.tables if t.kind == "monitoring")
    rec = mon.records()[0]
    assert rec["year"] == 2024 and rec["as_of"] == dt.date(2024, 7, 31)
    assert (rec["department"], rec["department_code"], rec["unit"]) == ("区教育局", "101", "区第一中学")
    assert rec["project_name"] == "智慧课堂建设"
    assert (rec["adjusted_budget"], rec["executed"], rec["execution_rate"]) == (220.0, 88.0, 0.4)
    assert (rec["deviation_reason"], rec["likelihood"]) == ("设备招标推迟", "有可能")
    ind = next(t for t in result.tables if t.kind == "indicators")
    rows = ind.records()
    assert [r["name"] for r in rows] == ["智慧教室数量", "验收合格率", "师生满意度"]
    assert {r["stage"] for r in rows} == {"监控"}
    assert [r["level1"] for r in rows] == ["产出指标", "产出指标", "满意度指标"]
    assert [(r["target"], r["current"], r["expected"]) for r in rows] == [
        ("≥20间", "8间", "20间"), ("100%", "100%", "100%"), ("≥90%", None, "92%")]  # "/" is a blank
    assert [r["deviation_reason"] for r in rows] == ["经费保障", None, "其他:问卷未开展"]  # NFKC, as every text
    assert [r["likelihood"] for r in rows] == ["有可能", "确定能", "有可能"]
    assert any("1 行三级指标为“不适用”" in p.message for p in result.warnings)


def test_stacked_monitoring_forms_import_with_their_figures(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db.init_db(url)
    result = import_files(url, [("监控表.xlsx", workbook(stacked=True))])
    assert result.ok, [str(p) for p in result.errors]
    with db.get_engine(url).connect() as conn:
        got = conn.execute(select(m.Project.name, m.MonitoringRecord.executed, m.MonitoringRecord.as_of)
                           .join(m.Project, m.Project.id == m.MonitoringRecord.project_id)
                           .order_by(m.Project.name)).all()
        n_ind = conn.execute(select(m.Indicator.id)).all()
    assert [tuple(r) for r in got] == [("智慧课堂建设", 88.0, dt.date(2024, 7, 31)), ("课后服务", 30.0, dt.date(2024, 7, 31))]
    assert len(n_ind) == 4


def test_a_form_without_a_month_takes_the_date_given_once():
    wb = openpyxl.load_workbook(io.BytesIO(workbook()))
    ws = wb.active
    for row in ws.iter_rows():
        for cell in row:
            if cell.value in ("1-7月执行数", "1-7月执行率"):
                cell.value = cell.value.replace("1-7月", "")
    buf = io.BytesIO()
    wb.save(buf)
    refused = read_file(buf.getvalue(), "监控表.xlsx")
    assert any("监控表没有写明监控到哪个月" in p.message and "--as-of" in p.message for p in refused.errors)
    given = read_file(buf.getvalue(), "监控表.xlsx", as_of=dt.date(2024, 6, 30))
    assert not given.errors, given.errors
    assert next(t for t in given.tables if t.kind == "monitoring").records()[0]["as_of"] == dt.date(2024, 6, 30)
