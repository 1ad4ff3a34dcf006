"""The UI helpers every page relies on: money and percent formatting, safe Excel export."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from dashboard.ui import export, fmt


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
    out = fmt.zh_frame(df)
    assert list(out.columns) == ["项目编码", "预警", "执行率（%）", "设定目标"]
    assert out.iloc[0].tolist() == ["A", "红灯", 45.67, "是"]


def test_xlsx_export_escapes_formulas():
    df = pd.DataFrame({"问题描述": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "正常文本"],
                       "金额": [1.5, 2, 3, 4, 5]})
    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(df, "问题")))
    ws = wb["问题"]
    assert [c.value for c in ws[1]] == ["问题描述", "金额"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 7)] == [
        "'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "正常文本"]
    assert ws.cell(row=2, column=2).value == 1.5  # numbers stay numbers
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(2, 7))
