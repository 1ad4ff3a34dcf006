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


@st.cache_resource(max_entries=1024, show_spinner=False)
def _figure(years: tuple, values: tuple, column: str, label: str, kind: str) -> go.Figure:
    """One small trend line, built once per distinct series and shared by every session (issue 28: building the
    eight Plotly figures was 42% of a 部门画像 run under load). Keyed on scalars; nothing mutates a shown figure."""
    return charts.trend(pd.DataFrame({"year": list(years), column: list(values)}), column, label, kind)


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
