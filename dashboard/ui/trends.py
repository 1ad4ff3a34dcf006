"""The department profile's small multiples: one little year-on-year line per figure, four to a row."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui import charts

# column of metrics.department_trend, title, kind of value (charts.trend)
DEPARTMENT_TRENDS = [
    ("budget", "预算总额", "money"), ("coverage_funds", "目标覆盖率（按资金）", "ratio"),
    ("execution_rate", "预算执行率", "ratio"), ("red", "红灯项目数", "number"),
    ("avg_score", "评价平均分", "score"), ("rectification_rate", "整改率", "ratio"),
    ("grey", "未报送项目数", "number"), ("composite", "综合得分", "score"),
]
TABLE_COLUMNS = ["year", "projects", "budget", "coverage_funds", "execution_rate", "red", "grey", "avg_score",
                 "rectification_rate", "composite", "rank"]


@st.cache_resource(max_entries=64, show_spinner=False)
def _template(column: str, label: str, kind: str) -> tuple[dict, dict]:
    """(trace properties but x, y and text; layout) of charts.trend's figure for this line, built once per process.

    charts.trend's layout does not depend on the values (a title, fixed margins and axes; tests/ui/test_trends.py
    checks every line of DEPARTMENT_TRENDS): only the trace's x, y and text change from one department to another."""
    fig = charts.trend(pd.DataFrame({"year": [2000], column: [1.0]}), column, label, kind)
    plain = fig.to_plotly_json()
    trace = {k: v for k, v in plain["data"][0].items() if k not in ("x", "y", "text", "type")}
    return trace, plain["layout"]


@st.cache_resource(max_entries=4096, show_spinner=False)  # about 7 lines per pre-visited department and year
def _figure(years: tuple, values: tuple, column: str, label: str, kind: str) -> go.Figure:
    """One small trend line, built once per distinct series and shared by every session (issue 28: building the
    eight Plotly figures was 42% of a 部门画像 run under load). Keyed on scalars; nothing mutates a shown figure.

    The same figure as charts.trend (tests/ui/test_trends.py compares them), built without its layout updates:
    the layout of the line comes once from `_template` and is taken as it is (`_validate=False`, it was validated
    when charts.trend built it); only the trace, three points, is validated. A department's first visit drew
    each line in about 21 ms, now in about 2 ms (bench/cpu_steps.py)."""
    trace, layout = _template(column, label, kind)
    x, y, text = charts.trend_series(pd.DataFrame({"year": list(years), column: list(values)}), column, kind)
    fig = go.Figure({"data": [go.Scatter(trace, x=x, y=y, text=text)], "layout": layout}, _validate=False)
    return charts.describe_trend(fig, label, x, text)


def small_multiples(trend: pd.DataFrame, specs=DEPARTMENT_TRENDS, per_row: int = 4) -> None:
    """A grid of trend lines (chart key 'trend_<column>'); a figure with no value in any year says so instead."""
    for start in range(0, len(specs), per_row):
        for col, (column, label, kind) in zip(st.columns(per_row), specs[start:start + per_row]):
            with col:
                if trend[column].notna().any():  # its sentence under it; the numbers are in the trend table
                    series = (tuple(int(y) for y in trend["year"]),
                              tuple(None if pd.isna(v) else float(v) for v in trend[column]))
                    charts.show(_figure(*series, column, label, kind), key=f"trend_{column}", table=False,
                                chart_config={**charts.CONFIG, "displayModeBar": False})
                else:
                    st.caption(f"{label}：无数据")
