"""The UI helpers every page relies on: formatting, changes against last year, table labels, ranking rows, safe Excel export."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from dashboard.present import fmt, labels
from dashboard.ui import deltas, export, ranking, tables


def test_money_in_wan_and_yi():
    assert fmt.wan(1234.5) == "1,234.50 万元"
    assert fmt.wan(9999.994) == "9,999.99 万元"
    assert fmt.wan(10000) == "1.00 亿元"
    assert fmt.wan(344800) == "34.48 亿元"
    assert fmt.wan(None) == "—" and fmt.wan(float("nan")) == "—"
    assert fmt.wan_unit(137436.41) == ("13.74", "亿元")
    assert fmt.wan_delta(-2000) == "-2,000.00 万元" and fmt.wan_delta(6400) == "+6,400.00 万元"


def test_percent_and_points():
    assert fmt.pct(0.666) == "66.6%" and fmt.pct(None) == "—"
    assert fmt.pct(1.234) == "123.4%"  # over 100% is shown, not clipped
    assert fmt.pp_delta(0.975, 1.0) == "-2.5 个百分点"
    assert fmt.pp_delta(0.5, None) is None


def test_zh_frame_labels_lights_and_percent_columns():
    df = pd.DataFrame({"code": ["A"], "light": ["red"], "execution_rate": [0.4567], "has_target": [True]})
    out = tables.zh_frame(df)
    assert list(out.columns) == ["项目编码", "预警", "执行率（%）", "设定目标"]
    assert out.iloc[0].tolist() == ["A", "红灯", 45.67, "是"]


def test_xlsx_export_escapes_formulas():
    df = pd.DataFrame({"问题描述": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "正常文本"],
                       "金额": [1.5, 2, 3, 4, 5]})
    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(df, "问题")))
    ws = wb["问题"]
    assert [c.value for c in ws[1]] == ["问题描述", "金额"]
    # the text exactly as it was, as text cells (no visible apostrophe); formula-like ones quote-prefixed
    assert [ws.cell(row=r, column=1).value for r in range(2, 7)] == [
        "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "正常文本"]
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(2, 7))
    assert [ws.cell(row=r, column=1).quotePrefix for r in range(2, 7)] == [True, True, True, True, False]
    assert ws.cell(row=2, column=2).value == 1.5  # numbers stay numbers


def test_changes_against_last_year():
    assert deltas.money(750.47, 700.00) == "+50.47 万元"
    assert deltas.money(19800, 13400) == "+6,400.00 万元"
    assert deltas.money(700.0, 700.0) == deltas.FLAT == "持平"
    assert deltas.money(700.001, 700.0) == "持平"  # zero at the two decimals shown
    assert deltas.money(None, 700.0) is None and deltas.money(700.0, float("nan")) is None
    assert deltas.points(0.975, 1.0) == "-2.5 个百分点"
    assert deltas.points(0.5, 0.50004) == "持平"
    assert deltas.score(83.125, 79.0) == "+4.1 分" and deltas.score(80.0, 80.0) == "持平"
    assert deltas.count(3, 1) == "+2" and deltas.count(0, 2) == "-2" and deltas.count(4, 4) == "持平"
    assert deltas.money_change(100.0) == "+100.00 万元" and deltas.money_change(0) == "持平"
    assert deltas.money_change(None) is None
    assert deltas.is_flat("+0.0 个百分点") and deltas.is_flat("持平") and not deltas.is_flat("+0.1 分")
    assert not deltas.is_flat(None)


def _kpis(budget, coverage, execution, red, score, rate, overdue):
    return {"projects": {"budget_total": budget, "coverage_funds": coverage},
            "monitoring": {"execution_rate": execution, "red": red, "yellow": 0, "grey": 1},
            "evaluations": {"avg_score": score, "inflation_flags": 2},
            "findings": {"rate": rate, "overdue": overdue}}


def test_year_on_year_of_the_overview_cards():
    now = _kpis(750.47, 0.975, 0.473, 3, 83.1, 1 / 3, 3)
    before = _kpis(700.00, 1.0, 0.604, 1, 79.0, 1.0, 0)
    assert deltas.year_on_year(now, before) == {
        "budget": "+50.47 万元", "coverage": "-2.5 个百分点", "execution": "-13.1 个百分点", "avg_score": "+4.1 分",
        "rectification": "-66.7 个百分点", "red": "+2", "yellow": "持平", "grey": "持平", "overdue": "+3",
        "inflation": "持平"}
    assert set(deltas.year_on_year(now, None).values()) == {None}  # no last year: no arrows


def test_rank_change_text():
    assert [deltas.rank_change(v) for v in (1, 1.0, -2, 0, None, float("nan"))] == [
        "↑1", "↑1", "↓2", "持平", "—", "—"]


RANKING = pd.DataFrame({
    "department_id": [1, 2, 3], "department": ["区教育局", "区卫健委", "区农业农村局"], "rank": [1, 2, 3],
    "composite": [76.55, 70.89, 62.09], "coverage": [88.2, 100.0, 97.8], "execution": [90.0, 66.7, 46.7],
    "evaluation": [86.0, 86.2, 71.5], "rectification": [50.0, 0.0, 33.3], "not_red": [66.7, 100.0, None],
    "projects": [3, 3, 4], "prev_rank": [2, 3, 1], "rank_change": [1, 1, -2], "small_sample": [True, True, False],
})


def test_ranking_table_and_the_departments_to_watch():
    shown = ranking.table_frame(RANKING)
    assert list(shown.columns[:4]) == ["排名", "主管部门", "名次变化", "综合得分"]
    assert shown["名次变化"].tolist() == ["↑1", "↑1", "↓2"]
    assert shown["样本少"].tolist() == ["是", "是", "否"]
    watch = ranking.to_watch(RANKING, n=2)
    assert watch["department"].tolist() == ["区农业农村局", "区卫健委"]
    assert ranking.to_watch(RANKING, departments=(1,))["department"].tolist() == ["区教育局"]
    rows = list(RANKING.itertuples())
    assert ranking.weakest_component(rows[1]) == ("整改", 0.0)
    assert ranking.weakest_component(rows[2]) == ("整改", 33.3)  # a missing part is not the weakest


def test_clicks_on_the_ranking_open_a_department():
    from types import SimpleNamespace

    table = SimpleNamespace(selection=SimpleNamespace(rows=[2]))  # shaped like st.dataframe's selection state

    bar = {"selection": {"points": [{"customdata": [2, 3, 2]}]}}
    assert ranking.clicked_department(bar, None, RANKING) == 2
    assert ranking.clicked_department(bar, table, RANKING) == 3  # a table row wins over a bar
    assert ranking.clicked_department({"selection": {"points": []}}, None, RANKING) is None
    assert ranking.clicked_department(None, None, RANKING) is None


def test_column_headers_come_from_labels_and_vocab():
    assert labels.label("coverage_funds") == "目标覆盖率（按资金）（%）"
    assert labels.label("budget") == "预算（万元）"
    assert [labels.label(c) for c in ("red", "yellow", "green", "grey")] == ["红灯", "黄灯", "绿灯", "未报送"]
    assert labels.label("no_such_column") == "no_such_column"


def test_listing_xlsx_title_rows_formats_and_formula_text():
    df = pd.DataFrame({"问题描述": ["=1+1", "正常"], "预算（万元）": [-3354.084, 12000.0], "执行率（%）": [0.62345, None]})
    xlsx = export.listing_xlsx([df.iloc[:1], df.iloc[1:]], ["红灯项目", "范围：2024年"],
                               {"预算（万元）": export.MONEY_FORMAT, "执行率（%）": export.PERCENT_FORMAT}, sheet="红灯")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx))["红灯"]
    assert [ws.cell(r, 1).value for r in (1, 2)] == ["红灯项目", "范围：2024年"]
    assert [c.value for c in ws[3]] == ["问题描述", "预算（万元）", "执行率（%）"] and ws.freeze_panes == "A4"
    assert ws.cell(4, 1).value == "=1+1" and ws.cell(4, 1).data_type == "s" and ws.cell(4, 1).quotePrefix
    assert ws.cell(4, 2).value == -3354.08 and ws.cell(4, 2).number_format == "#,##0.00"   # minus, no parentheses
    assert ws.cell(4, 3).value == 0.623 and ws.cell(4, 3).number_format == "0.0%"
    assert ws.cell(5, 3).value is None and ws.max_row == 5


def test_table_money_format_has_no_accounting_parentheses():
    cfg = tables.column_config(["budget", "execution_rate", "score"])
    assert cfg["预算（万元）"]["type_config"]["format"] == "%,.2f"
    assert tables.excel_formats(["budget", "execution_rate", "score"]) == {
        "预算（万元）": "#,##0.00", "执行率": "0.0%", "得分": "0.0"}
    assert tables.range_caption(1, 50, 1248) == "第 1–50 条，共 1,248 条"
