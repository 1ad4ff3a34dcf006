"""Plotly figure builders with 万元/亿元 hovers, in the dashboard's one palette (dashboard.present.palette: grades,
lights, statuses — the documents' charts use the same colours).

Axis numbers are written out with thousands separators (10,000, never plotly's SI "10k").
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.core.rules import checkpoint_threshold
from dashboard.core.vocab import FINDING_STATUSES, GREEN, LIGHT_LABELS, LIGHTS, RED, YELLOW
from dashboard.present import fmt

# the pages read the palette from here too (charts.GRADE_COLORS, charts.PRIMARY)
from dashboard.present.palette import (
    AGE_SHADES,
    GRADE_COLORS,
    GRADE_PATTERNS,
    GRID,
    LIGHT_COLORS,
    LIGHT_PATTERNS,
    LIGHT_SYMBOLS,
    MUTED,
    PATTERN_INK,
    PRIMARY,
    STATUS_COLORS,
    STATUS_PATTERNS,
)
from dashboard.ui import text

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
          "locale": "zh-CN"}


# plain numbers on every axis: "10,000" instead of "10k" (a log axis with its own ticktext keeps it)
NUMBERS = {"exponentformat": "none", "separatethousands": True}


def _layout(fig: go.Figure, height: int = 320, x_title: str | None = None, y_title: str | None = None,
            legend: bool = True) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 36 if legend else 12, "b": 8},
        font={"family": FONT, "size": 13},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0, "title_text": "",
                    "traceorder": "normal"},
        showlegend=legend,
        hoverlabel={"font_family": FONT},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        separators=".,",
    )
    fig.update_xaxes(title_text=x_title, automargin=True, showgrid=False, **NUMBERS)
    fig.update_layout(yaxis_title_text=y_title)  # the first y axis only: a second axis keeps its own title
    fig.update_yaxes(automargin=True, **NUMBERS)
    return fig


def count_axis(largest: float) -> dict:
    """Axis settings for a count: whole numbers only, from 0 (never ticks 0, 0, 1, 1, 2 or 0.5 of a project); a step
    of 1 up to 10, else Plotly's own (whole) steps."""
    spec = {"tickformat": ",d", "rangemode": "tozero"}
    if largest <= 10:
        spec.update(tick0=0, dtick=1, range=[0, max(1.0, float(largest)) * 1.08])
    return spec


def _bar_height(n: int, per_row: int = 22, cap: int = 2400) -> int:
    """Tall enough that every category label shows (plotly skips labels that would overlap)."""
    return max(240, min(cap, per_row * n + 100))


def _pattern(shape: str) -> dict:
    """A white pattern over the bar's own colour (fillmode overlay): the series tell apart without colour."""
    return {"shape": shape, "fillmode": "overlay", "fgcolor": PATTERN_INK, "fgopacity": 0.75, "size": 7,
            "solidity": 0.25}


def stacked_by_category(df: pd.DataFrame, category: str, series: list[tuple[str, str, str]],
                        x_title: str = "项目数", percent: bool = False,
                        extra: list[str] | None = None, patterns: dict[str, str] | None = None) -> go.Figure:
    """Horizontal stacked bars, one row per category (department or kind); series = (column, label, color);
    `patterns` (column → Plotly pattern shape) marks each series by pattern as well as colour.

    With percent=True each bar shows shares of its row total (the hover still gives counts).
    """
    df = df.copy()
    # a row whose series are all empty (e.g. evaluations without 等级 or 得分) has no shares: NaN, drawn as 0
    total = df[[c for c, _, _ in series]].fillna(0).astype(float).sum(axis=1)
    total = total.where(total > 0)
    fig = go.Figure()
    notes = list(extra) if extra is not None else [""] * len(df)
    for col, label, color in series:
        counts = df[col].fillna(0).astype(int)
        values = (counts / total * 100).astype(float).fillna(0).round(1) if percent else counts
        shape = (patterns or {}).get(col, "")
        fig.add_bar(
            y=text.chart_all(df[category]), x=values, name=label, orientation="h", marker_color=color,
            marker_pattern=_pattern(shape) if shape else None,
            customdata=list(zip(counts, notes)),
            hovertemplate="%{y}<br>" + label + "：%{customdata[0]:,} 个" + ("（%{x:.1f}%）" if percent else "")
                          + "%{customdata[1]}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", type="category")
    fig = _layout(fig, _bar_height(len(df)), x_title="占比（%）" if percent else x_title)
    if percent:
        fig.update_xaxes(range=[0, 100])
    else:
        fig.update_xaxes(**count_axis(float(total.max()) if total.notna().any() else 0.0))
    return fig


def lights_by_department(df: pd.DataFrame) -> go.Figure:
    series = [(light, LIGHT_LABELS[light], LIGHT_COLORS[light]) for light in LIGHTS]
    extra = None
    if {"execution_rate", "budget"} <= set(df.columns):
        extra = [f"<br>执行率 {fmt.pct(r)}（执行 {fmt.wan(e)} / 预算 {fmt.wan(b)}）"
                 for r, e, b in zip(df["execution_rate"], df.get("executed", [None] * len(df)), df["budget"])]
    return stacked_by_category(df, "department", series, extra=extra, patterns=LIGHT_PATTERNS)


def grade_mix(df: pd.DataFrame, category: str = "department", percent: bool = False) -> go.Figure:
    series = [(g, g, c) for g, c in GRADE_COLORS.items()]
    return stacked_by_category(df, category, series, x_title="评价数", percent=percent, patterns=GRADE_PATTERNS)


def findings_by_department(df: pd.DataFrame) -> go.Figure:
    series = [(status, status, STATUS_COLORS[status]) for status in FINDING_STATUSES]
    return stacked_by_category(df, "department", series, x_title="问题数", patterns=STATUS_PATTERNS)


def grade_counts(grades: dict) -> go.Figure:
    """Overview: one bar per grade."""
    labels = list(GRADE_COLORS)
    values = [int(grades.get(g) or 0) for g in labels]
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=[GRADE_COLORS[g] for g in labels],
                           marker_pattern={**_pattern(""), "shape": [GRADE_PATTERNS[g] for g in labels]},
                           text=values, textposition="outside",
                           hovertemplate="%{x}：%{y:,} 个<extra></extra>"))
    fig.update_yaxes(visible=False)
    return _layout(fig, 220, legend=False)


def execution_scatter(df: pd.DataFrame, rules, as_of=None) -> go.Figure:
    """Each project: budget (log x) against execution rate (y, %), coloured by light; dashed line = 序时进度."""
    fig = go.Figure()
    for light in (RED, YELLOW, GREEN):  # grey projects have no execution to plot
        label = LIGHT_LABELS[light]
        part = df[df["light"] == light]
        if part.empty:
            continue
        custom = list(zip(text.chart_all(part["name"]), text.chart_all(part["department"]), fmt_series_wan(part["budget"]),
                          [fmt.pct(v) for v in part["time_progress"]]))
        fig.add_scatter(
            x=part["budget"].astype(float), y=(part["execution_rate"].astype(float) * 100).round(1),
            mode="markers", name=label,
            marker={"color": LIGHT_COLORS[light], "size": 8, "opacity": 0.75, "symbol": LIGHT_SYMBOLS[light]},
            customdata=custom,
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>预算：%{customdata[2]}"
                          "<br>执行率：%{y:.1f}%<br>序时进度：%{customdata[3]}<extra></extra>",
        )
    tp = df["time_progress"].dropna()
    if not tp.empty:
        t = float(tp.max()) * 100
        fig.add_hline(y=t, line_dash="dash", line_color=PRIMARY,
                      annotation_text=f"序时进度 {t:.1f}%", annotation_position="top left")
        if rules.warning_preset == "checkpoints" and as_of is not None:
            line = checkpoint_threshold(as_of, rules)
            if line is not None:
                fig.add_hline(y=line, line_dash="dot", line_color=LIGHT_COLORS[RED], line_width=1,
                              annotation_text=f"节点要求 {line:g}%", annotation_position="bottom left",
                              annotation_font_size=11)
        if rules.warning_preset == "lag":
            for lag, color in ((rules.yellow_lag, LIGHT_COLORS[YELLOW]), (rules.red_lag, LIGHT_COLORS[RED])):
                fig.add_hline(y=t - lag, line_dash="dot", line_color=color, line_width=1,
                              annotation_text=f"滞后 {lag:g} 个百分点", annotation_position="bottom left",
                              annotation_font_size=11)
    ticks = [1, 10, 100, 1000, 10000, 100000, 1000000]
    fig.update_xaxes(type="log", tickvals=ticks, ticktext=["1", "10", "100", "1,000", "1 亿", "10 亿", "100 亿"])
    return _layout(fig, 380, x_title="调整后预算（万元，对数刻度）", y_title="执行率（%）")


def ranking_bars(df: pd.DataFrame, highlight: tuple[int, ...] = ()) -> go.Figure:
    """Composite score per department, best first; too few projects in grey, filtered departments in amber."""
    df = df.sort_values("rank")
    colors = [GRADE_COLORS["中"] if int(d) in highlight else (MUTED if bool(s) else PRIMARY)
              for d, s in zip(df["department_id"], df["small_sample"].fillna(False))]
    labels = [f"{text.chart(r.department)}{'（样本少）' if bool(r.small_sample) else ''}" for r in df.itertuples()]
    fig = go.Figure(go.Bar(
        y=labels, x=df["composite"].astype(float).round(1), orientation="h", marker_color=colors,
        customdata=list(zip(df["department_id"], df["projects"], df["rank"])),
        texttemplate="%{x:.1f}", textposition="outside", cliponaxis=False,  # 94.0, not 94, beside 97.3
        hovertemplate="%{y}<br>综合得分：%{x:.1f}<br>第 %{customdata[2]} 名 · 项目 %{customdata[1]} 个"
                      "<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(range=[0, 105])
    fig = _layout(fig, _bar_height(len(df)), x_title="综合得分（0–100）", legend=False)
    return fig.update_layout(margin={"r": 40})  # room for "97.3" beside the longest bar, also on a phone


def coverage_bars(df: pd.DataFrame, category: str, columns: list[tuple[str, str, str]]) -> go.Figure:
    """Coverage ratios (fractions → %) per category: bars for one measure, a dot plot for several."""
    fig = go.Figure()
    symbols = ["circle", "diamond", "square"]
    for i, (col, label, color) in enumerate(columns):
        x = (df[col].astype(float) * 100).round(1)
        y = text.chart_all(df[category])
        hover = "%{y}<br>" + label + "：%{x:.1f}%<extra></extra>"
        if len(columns) == 1:
            fig.add_bar(y=y, x=x, name=label, orientation="h", marker_color=color, hovertemplate=hover)
        else:
            fig.add_scatter(y=y, x=x, name=label, mode="markers", hovertemplate=hover,
                            marker={"color": color, "size": 9, "symbol": symbols[i % 3], "opacity": 0.85})
    fig.update_yaxes(autorange="reversed", type="category", showgrid=len(columns) > 1, gridcolor=GRID)
    fig.update_xaxes(range=[0, 105] if df[[c for c, _, _ in columns]].max().max() <= 1.05 else None,
                     showgrid=True, gridcolor=GRID)
    return _layout(fig, _bar_height(len(df), per_row=20 if len(columns) > 1 else 30), x_title="覆盖率（%）",
                   legend=len(columns) > 1)


def trend(df: pd.DataFrame, column: str, label: str, kind: str = "number", color: str = PRIMARY) -> go.Figure:
    """A small year-on-year line for the department profile; kind = number | money | ratio | score."""
    years = df["year"].astype(int).astype(str)
    values = df[column].astype(float)
    if kind == "ratio":
        y = (values * 100).round(1)
        text = [fmt.pct(v) for v in values]
    elif kind == "money":
        y = values.round(2)
        text = fmt_series_wan(values)
    elif kind == "score":
        y = values.round(1)
        text = [fmt.score(v) for v in values]
    else:
        y = values
        text = [fmt.count(v) for v in values]
    fig = go.Figure(go.Scatter(x=years, y=y, mode="lines+markers+text", line_color=color, text=text,
                               textposition="top center", cliponaxis=False,
                               hovertemplate="%{x}年：%{text}<extra></extra>"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(visible=False, rangemode="tozero")
    fig.update_layout(title={"text": label, "font_size": 14, "x": 0, "y": 0.97})
    return _layout(fig, 190, legend=False).update_layout(margin={"t": 40, "l": 24, "r": 24, "b": 8})


def closure_trend(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df["month"], y=df["closed"], name="当月销号", marker_color=GRADE_COLORS["优"],
                hovertemplate="%{x}：当月销号 %{y:,} 个<extra></extra>")
    fig.add_scatter(x=df["month"], y=df["cumulative_closed"], name="累计销号", mode="lines+markers",
                    line_color=PRIMARY, yaxis="y2", hovertemplate="%{x}：累计 %{y:,} 个<extra></extra>")
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title_text": "累计销号数",
                              "tickformat": ",.0f", "rangemode": "tozero"})
    fig.update_xaxes(type="category")
    fig = _layout(fig, 300, y_title="当月销号数")
    largest = float(df["closed"].max()) if len(df) else 0.0
    return fig.update_yaxes(**count_axis(largest), selector={"anchor": "x"})


def age_buckets(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(x=df["bucket"], y=df["count"], marker_color=list(AGE_SHADES[: len(df)]),
                           text=df["count"], textposition="outside",
                           hovertemplate="逾期 %{x}：%{y:,} 个<extra></extra>"))
    fig.update_traces(cliponaxis=False)
    fig.update_xaxes(type="category")
    fig.update_yaxes(visible=False, range=[0, max(1, float(df["count"].max())) * 1.2])
    return _layout(fig, 260, x_title="逾期天数", legend=False)


def result_application(df: pd.DataFrame) -> go.Figure:
    grades = [g for g in GRADE_COLORS if g in set(df["grade"])]
    df = df.set_index("grade").loc[grades].reset_index()
    fig = go.Figure(go.Bar(
        x=df["grade"], y=df["budget_change_total"].astype(float),
        marker_color=[GRADE_COLORS[g] for g in df["grade"]],
        customdata=list(zip(fmt_series_wan(df["budget_change_total"], signed=True), df["evaluations"])),
        hovertemplate="%{x}：%{customdata[1]} 个评价<br>下年预算调整合计 %{customdata[0]}<extra></extra>",
    ))
    fig.add_hline(y=0, line_color=MUTED, line_width=1)
    return _layout(fig, 280, y_title="下年预算调整（万元）", legend=False)


def fmt_series_wan(values, signed: bool = False) -> list[str]:
    if signed:
        return [fmt.wan_delta(v) or fmt.DASH for v in values]
    return [fmt.wan(v) for v in values]
