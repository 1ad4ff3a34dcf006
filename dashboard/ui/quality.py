"""The 目标质量 page's door to the metrics (cached like dashboard.ui.data), its Chinese column headers and its charts:
TQ flags, 成本指标 and unit costs by peer group, the distance-from-target histogram, and the 成本指标 share on 资金覆盖."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.core import quality as Q
from dashboard.metrics import costs, target_flags
from dashboard.metrics import indicators as metric_indicators
from dashboard.present import fmt
from dashboard.present.labels import excel_label
from dashboard.present.labels import label as base_label
from dashboard.present.palette import GRADE_COLORS, GRID, LIGHT_COLORS, MUTED, PRIMARY
from dashboard.ui import charts, data, export, tables, text

RULE_IDS = Q.RULE_IDS
RULE_TITLES = Q.RULE_TITLES
FAMILIES = Q.FAMILIES
EXCLUSION_LABELS = Q.EXCLUSION_LABELS
MIN_PEERS, BAND_LOW, BAND_HIGH = Q.MIN_PEERS, Q.BAND_LOW, Q.BAND_HIGH
CONFIG = charts.CONFIG
explain = Q.rule_explanation  # what a rule checks, in words, with the session's thresholds

# headers of the columns these sections add (the others are dashboard.present.labels')
LABELS = {
    "rule": "规则", "rule_title": "问题", "reason": "原因", "unit_of_flag": "标记对象", "flags": "标记数",
    "projects_flagged": "被标记项目数", "flagged_share": "被标记项目占比", "explanation": "规则说明",
    "rules": "涉及规则", "indicator_projects": "有指标的项目数", "cost_projects": "有成本指标的项目数",
    "cost_share": "成本指标覆盖率", "cost_kind": "成本类别", "cost_type": "成本类型", "peer_group": "同类项目分组",
    "group_projects": "组内有单位成本的项目", "cost_unit": "计量单位", "group_median": "组内中位数",
    "band_low": "合理区间下限", "band_high": "合理区间上限", "scope_projects": "范围内项目数", "above": "偏高",
    "below": "偏低", "unit_cost": "单位成本", "ratio_to_median": "为中位数的倍数", "position": "判断",
    "shown": "图中指标数", "below_target": "未达目标", "reached_target": "达到或超过目标", "below_share": "未达目标占比",
    "indicator_count": "指标数",
}
FRACTIONS = {"flagged_share", "cost_share", "below_share"}
TWO_DECIMALS = {"unit_cost", "group_median", "band_low", "band_high", "ratio_to_median"}


def header(column: str, percent: bool = True) -> str:
    if column in LABELS:
        return LABELS[column] + ("（%）" if percent and column in FRACTIONS else "")
    return base_label(column)


def zh(df: pd.DataFrame, columns: list[str], percent: bool = True) -> pd.DataFrame:
    """The columns given, under Chinese headers: fractions as percent numbers on screen (62.3) or kept for Excel."""
    base = tables.zh_frame(df[[c for c in columns if c not in LABELS]], percent_numbers=percent)
    out = pd.DataFrame(index=df.index)
    for c in columns:
        if c in LABELS:
            v = df[c]
            if c in FRACTIONS and percent:
                v = (pd.to_numeric(v, errors="coerce") * 100).round(1)
            out[header(c, percent)] = v
        else:
            name = base_label(c) if percent else excel_label(c)
            out[name] = base[name]
    return out


def table(df: pd.DataFrame, file_stem: str, key: str, columns: list[str], empty: str = "没有符合条件的记录。"):
    """A small frame with the headers above and its .xlsx download (title rows, percent and money formats)."""
    if df is None or df.empty:
        st.caption(empty)
        return
    cols = [c for c in columns if c in df.columns]
    config = tables.column_config([c for c in cols if c not in LABELS])
    for c in cols:
        if c in FRACTIONS:
            config[header(c)] = st.column_config.NumberColumn(header(c), format="%.1f")
        elif c in TWO_DECIMALS:
            config[header(c)] = st.column_config.NumberColumn(header(c), format="%.2f")
    formats = tables.excel_formats([c for c in cols if c not in LABELS])
    formats.update({header(c, False): export.PERCENT_FORMAT for c in cols if c in FRACTIONS})
    tables.shown(zh(df, cols), f"{key}_table", file_stem, xlsx_key=f"{key}_xlsx", download=zh(df, cols, False),
                 formats=formats, column_config=config)


# ---- cached metrics ---------------------------------------------------------------------------------------

def summary(ctx) -> dict:
    return data._metric(target_flags.target_quality_summary, ctx)


def by_rule(ctx) -> pd.DataFrame:
    return data._metric(target_flags.quality_by_rule, ctx)


def by_department(ctx) -> pd.DataFrame:
    return data._metric(target_flags.quality_by_department, ctx)


_FLAG_RENAME = {"rule": LABELS["rule"], "rule_title": LABELS["rule_title"], "reason": LABELS["reason"]}
FLAG_COLUMNS = [LABELS["rule"], LABELS["rule_title"], "department", "code", "project", "budget", "indicator",
                "target_text", LABELS["reason"]]
_PROJECT_RENAME = {"flags": LABELS["flags"], "rules": LABELS["rules"]}
PROJECT_COLUMNS = ["department", "code", "project", "budget", LABELS["flags"], LABELS["rules"]]
_OUTLIER_RENAME = {c: LABELS[c] for c in ("peer_group", "unit_cost", "cost_unit", "group_median", "ratio_to_median",
                                          "position")}
OUTLIER_COLUMNS = [LABELS["peer_group"], "department", "project", "budget", "indicator", LABELS["unit_cost"],
                   LABELS["cost_unit"], LABELS["group_median"], LABELS["ratio_to_median"], LABELS["position"]]


def _flag_rows(q, limit=None, offset=0, rule=None):
    return target_flags.quality_flags(q, rule=rule, limit=limit, offset=offset).rename(columns=_FLAG_RENAME)


def _project_rows(q, limit=None, offset=0):
    return target_flags.quality_projects(q, limit=limit, offset=offset).rename(columns=_PROJECT_RENAME)


def _outlier_rows(q, limit=None, offset=0):
    df = costs.unit_cost_outliers(q, limit=limit, offset=offset)
    return df.assign(unit_cost=df["unit_cost"].round(2), group_median=df["group_median"].round(2),
                     ratio_to_median=df["ratio_to_median"].round(2)).rename(columns=_OUTLIER_RENAME)


def flags(ctx, rule: str | None = None) -> data.Listing:
    """Every flag of one rule (or all), by rule and largest budget first."""
    return data._listing(ctx, _flag_rows, target_flags.quality_flags_count, rule=rule)


def flagged_projects(ctx) -> data.Listing:
    return data._listing(ctx, _project_rows, target_flags.quality_projects_count)


def cost_share_by_department(ctx) -> pd.DataFrame:
    return data._metric(costs.cost_share_by_department, ctx)


def cost_mix(ctx) -> pd.DataFrame:
    return data._metric(costs.cost_indicator_mix, ctx)


def peer_groups(ctx) -> pd.DataFrame:
    return data._metric(costs.peer_groups, ctx)


def unit_costs(ctx) -> pd.DataFrame:
    return data._metric(costs.unit_costs, ctx)


def unit_cost_outliers(ctx) -> data.Listing:
    return data._listing(ctx, _outlier_rows, costs.unit_cost_outliers_count)


def distance_histogram(ctx, department_id: int | None = None, family: str | None = None) -> dict:
    return data._metric(metric_indicators.distance_histogram, ctx, department_id=department_id, family=family)


def distance_by_department(ctx, family: str | None = None) -> pd.DataFrame:
    return data._metric(metric_indicators.distance_by_department, ctx, family=family)


def shown_caption(hist: dict) -> str:
    """「共 Y 个指标，图中 X 个」 and why the others are not in the chart."""
    head = f"共 {hist['total']:,} 个指标，图中 {hist['shown']:,} 个。"
    if not hist["excluded"]:
        return head
    why = "；".join(f"{EXCLUSION_LABELS[k]} {n:,} 个" for k, n in hist["excluded"].items())
    return head + "未显示的：" + why + "。"


# ---- charts ----------------------------------------------------------------------------------------------

def rule_bars(df: pd.DataFrame) -> go.Figure:
    """Flags per rule, TQ1 at the top."""
    labels = [f"{r} {RULE_TITLES[r]}" for r in df["rule"]]
    fig = go.Figure(go.Bar(y=labels, x=df["flags"], orientation="h", marker_color=PRIMARY, text=df["flags"],
                           textposition="outside", cliponaxis=False,
                           customdata=df["projects_flagged"],
                           hovertemplate="%{y}<br>标记 %{x:,} 个，涉及项目 %{customdata:,} 个<extra></extra>"))
    return charts._layout(fig, charts._bar_height(len(df), per_row=30), x_title="标记数", legend=False, extra={
        "yaxis": {"autorange": "reversed", "type": "category"}, "margin": {"r": 40}})


def distance_chart(hist: dict) -> go.Figure:
    """The 20 bins from −100% to +100% on a percent axis: below the target in red, at or above it in green."""
    bins = hist["bins"]
    colors = [LIGHT_COLORS["red"] if k < 0 else GRADE_COLORS["优"] for k, _l, _n in bins]
    fig = go.Figure(go.Bar(x=[k * 10 + 5 for k, _l, _n in bins], y=[n for _k, _l, n in bins], width=9.2,
                           marker_color=colors, customdata=[label for _k, label, _n in bins],
                           hovertemplate="偏离 %{customdata}：%{y:,} 个指标<extra></extra>"))
    fig.add_vline(x=0, line_color=MUTED, line_width=1, line_dash="dot")
    return charts._layout(fig, 300, x_title="偏离目标（±100% 以外计入两端）", y_title="指标数", legend=False,
                          extra={"xaxis": {"range": [-101, 101], "tickvals": list(range(-100, 101, 20)),
                                           "ticktext": [f"{v:+d}%" if v else "0" for v in range(-100, 101, 20)]},
                                 "yaxis": {"showgrid": True, "gridcolor": GRID}})


def unit_cost_chart(df: pd.DataFrame) -> go.Figure:
    """Each project's unit cost as a multiple of its group's median, one row per group; the band shaded."""
    df = df[df["ratio_to_median"].notna()]
    fig = go.Figure()
    fig.add_vrect(x0=Q.BAND_LOW, x1=Q.BAND_HIGH, fillcolor=GRADE_COLORS["优"], opacity=0.08, line_width=0)
    for position, color in (("正常", PRIMARY), ("偏高", LIGHT_COLORS["red"]), ("偏低", GRADE_COLORS["中"])):
        part = df[df["position"] == position]
        if part.empty:
            continue
        custom = list(zip(text.chart_all(part["project"]), text.chart_all(part["department"]),
                          [f"{v:,.2f}" for v in part["unit_cost"]], text.chart_all(part["cost_unit"]),
                          [f"{v:,.2f}" for v in part["group_median"]]))
        fig.add_scatter(x=part["ratio_to_median"].astype(float).round(2), y=text.chart_all(part["peer_group"]),
                        mode="markers", name=position, customdata=custom,
                        marker={"color": color, "size": 9, "opacity": 0.75},
                        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>单位成本 %{customdata[2]} "
                                      "%{customdata[3]}（中位数 %{customdata[4]}）<br>为中位数的 %{x:.2f} 倍"
                                      "<extra></extra>")
    fig.add_vline(x=1.0, line_color=MUTED, line_width=1, line_dash="dot")
    groups = df["peer_group"].nunique() if len(df) else 1
    # the x axis has no grid (_layout); only its colour is set
    return charts._layout(fig, charts._bar_height(groups, per_row=44), x_title="为组内中位数的倍数（阴影为合理区间）",
                          extra={"yaxis": {"type": "category", "autorange": "reversed"},
                                 "xaxis": {"gridcolor": GRID, "rangemode": "tozero"}})


def cost_share_chart(df: pd.DataFrame) -> go.Figure:
    return charts.coverage_bars(df, "department", [("cost_share", "有成本指标的项目占比", PRIMARY)])


def pct(x) -> str:
    return fmt.pct(x)
