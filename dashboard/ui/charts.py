"""Plotly figure builders with 万元/亿元 hovers, in the dashboard's one palette (dashboard.present.palette: grades,
lights, statuses — the documents' charts use the same colours).

Axis numbers are written out with thousands separators (10,000, never plotly's SI "10k"). Every builder also
describes its figure (`describe`): one sentence computed from the data and the data as a table; `show` draws the
chart with that sentence under it and the table in an expander 「图表数据」 (a text alternative for readers who
cannot see the chart), with the toolbar on hover only and none on a phone (legends sit below the plot).
"""

from __future__ import annotations

import html
import numbers

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

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
DATA_LABEL = "图表数据"
_PHONE_AGENTS = ("Mobi", "Android", "iPhone", "iPad", "HarmonyOS")
_BIG_TABLE = 60  # rows: above this the chart's data is a scrolling st.dataframe, not a page-long st.table
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
          "locale": "zh-CN"}


# plain numbers on every axis: "10,000" instead of "10k" (a log axis with its own ticktext keeps it)
NUMBERS = {"exponentformat": "none", "separatethousands": True}


def _merged(base: dict, over: dict) -> dict:
    """`base` with `over` laid on top, dict into dict (as Plotly's update_layout merges)."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _layout(fig: go.Figure, height: int = 320, x_title: str | None = None, y_title: str | None = None,
            legend: bool = True, extra: dict | None = None) -> go.Figure:
    """The dashboard's look on `fig`: size, margins, font, legend below, plain axis numbers; `extra` (nested
    layout keys, e.g. {"xaxis": {"range": [0, 100]}}) goes on last. One Layout is built and set: Plotly's
    update_layout/update_xaxes on a figure cost 15–30 ms each (every key runs through its relayout machinery),
    which every chart page paid on every run; this takes about 2 ms."""
    ours = {
        "height": height,
        # the top stays free for the toolbar (shown on hover only, never on a phone: config()); legends go below
        "margin": {"l": 8, "r": 8, "t": 28, "b": 8},
        "font": {"family": FONT, "size": 13},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 0, "yref": "container", "xanchor": "left", "x": 0,
                   "title": {"text": ""}, "traceorder": "normal"},
        "showlegend": legend,
        "hoverlabel": {"font": {"family": FONT}},
        "plot_bgcolor": "rgba(0,0,0,0)",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "separators": ".,",
    }
    extra = extra or {}
    # the template (Plotly's default, which Streamlit sets) is left out: Plotly puts the default back when the
    # layout is set, and validating its copy again was most of the cost (1.6 ms a chart without, 20 ms with)
    current = {k: v for k, v in fig.layout.to_plotly_json().items() if k != "template"}
    layout = _merged(current, ours)
    layout["xaxis"] = _merged(layout.get("xaxis", {}), {"automargin": True, "showgrid": False, **NUMBERS})
    # the first y axis only takes the title: a second axis keeps its own
    for axis in {"yaxis", *(k for k in (*layout, *extra) if k.startswith("yaxis"))}:
        layout[axis] = _merged(layout.get(axis, {}), {"automargin": True, **NUMBERS})
    for axis, title in (("xaxis", x_title), ("yaxis", y_title)):
        if title is not None:
            layout[axis] = _merged(layout.get(axis, {}), {"title": {"text": title}})
    fig.layout = go.Layout(_merged(layout, extra))
    return fig


# ---- text alternatives: one sentence and the data of every chart --------------------------------------------

def describe(fig: go.Figure, summary: str, data: pd.DataFrame | None) -> go.Figure:
    """Attach the chart's one-sentence summary and its data (labelled, as shown) to the figure for `show`."""
    fig._a11y = (summary, data)
    return fig


def described(fig: go.Figure) -> tuple[str, pd.DataFrame]:
    """(summary, data) of a figure: what its builder attached, else read from its traces (traces_table)."""
    found = getattr(fig, "_a11y", None)
    if found is not None:
        return found
    data = traces_table(fig)
    return _largest_sentence(data, "项") if not data.empty else "图中没有数据。", data


def _numeric(values) -> bool:
    return all(fmt.missing(v) or isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)


def _horizontal(trace) -> bool:
    """Categories on the y axis: horizontal bars, or points whose y are names and x numbers (a dot plot such as
    目标质量's unit costs, whose scatter has no orientation)."""
    if getattr(trace, "orientation", None) == "h":
        return True
    return not _numeric(trace.y) and _numeric(trace.x)


def traces_table(fig: go.Figure) -> pd.DataFrame:
    """A figure's bars/points as a table: its categories, one column per trace (categories on the y axis read
    y → x)."""
    columns: dict[str, list] = {}
    categories: list = []
    for i, trace in enumerate(fig.data):
        x, y = getattr(trace, "x", None), getattr(trace, "y", None)
        if x is None or y is None:
            continue
        horizontal = _horizontal(trace)
        cats, vals = (y, x) if horizontal else (x, y)
        if not categories:
            categories = [str(c) for c in cats]
        axis = fig.layout.xaxis if horizontal else fig.layout.yaxis
        name = getattr(trace, "name", None) or (axis.title.text if i == 0 and axis.title.text else f"数值{i + 1}")
        if len(vals) == len(categories):
            columns[name] = [_number(v) for v in vals]
    if not categories:
        return pd.DataFrame()
    return pd.DataFrame({"类别": categories, **columns})


def _number(value) -> str:
    if fmt.missing(value):
        return fmt.DASH
    if isinstance(value, str):  # a label where a number was expected: shown as it is, never a failed section
        return value
    value = float(value)
    return fmt.count(value) if value.is_integer() else f"{value:,.1f}"


def _largest_sentence(data: pd.DataFrame, noun: str) -> str:
    """"<first series>最大的是 X（v），共 N 项。" over a traces_table; "…都为 0" when nothing is above 0."""
    if len(data.columns) < 2:
        return f"共 {len(data):,} {noun}。"
    column = data.columns[1]
    numbers = pd.to_numeric(data[column].astype(str).str.replace(",", ""), errors="coerce")
    if numbers.notna().any() and numbers.max() > 0:
        i = int(numbers.idxmax())
        return f"{column}最大的是{data.iloc[i, 0]}（{data[column].iloc[i]}），共 {len(data):,} {noun}。"
    return f"共 {len(data):,} {noun}，{column}都为 0。" if numbers.notna().any() else f"共 {len(data):,} {noun}。"


def _most(names, counts, unit: str = "个") -> str:
    """"X（12 个）", or with a tie "X、Y（各 12 个）" (at most three named, then 等)."""
    counts = pd.Series(list(counts)).astype(float)
    top = [str(n) for n, c in zip(names, counts) if c == counts.max()]
    shown = "、".join(top[:3]) + ("等" if len(top) > 3 else "")
    return f"{shown}（{'各 ' if len(top) > 1 else ''}{fmt.count(counts.max())} {unit}）"


def config(base: dict | None = None) -> dict:
    """Plotly config: the toolbar only while the pointer is over the chart, and none on a phone (a tap would put it
    over the legend and the values); the phone is told by the browser's User-Agent."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except Exception:  # noqa: BLE001 - outside a running app (tests, bare mode) there are no headers
        agent = ""
    phone = any(word in agent for word in _PHONE_AGENTS)
    base = base or CONFIG
    return {**base, "displayModeBar": False if phone else base.get("displayModeBar", "hover")}


def show(fig: go.Figure, key: str, *, summary: str | None = None, data: pd.DataFrame | None = None,
         table: bool = True, chart_config: dict | None = None, **plotly_kwargs):
    """THE way a page draws a chart: st.plotly_chart (key=`key`, config()), its one-sentence summary as a caption,
    and (`table`) its data in an expander 「图表数据」 (st.table, key-free; a long one as st.dataframe). `summary`
    and `data` replace what the builder described. Returns st.plotly_chart's value (the selection with on_select)."""
    said, shown = described(fig)
    # the builders' labels are Plotly-escaped (text.chart): back to the plain name
    sentence = html.unescape(summary or said)
    # the sentence is also the chart's accessible name (Streamlit's `alt`: what a screen reader announces)
    if _holding() and "on_select" not in plotly_kwargs:  # a tab's first charts: once the page is on screen (below)
        _hold(fig, key, config(chart_config), sentence, plotly_kwargs)
        event = None
    else:
        event = st.plotly_chart(fig, key=key, config=config(chart_config), alt=sentence, **plotly_kwargs)
    st.caption(text.md(sentence))
    shown = data if data is not None else shown
    if table and shown is not None and not shown.empty:
        # the table is drawn only while its expander is open (opening it runs the page again): a chart page's
        # closed 图表数据 tables, up to 60 rows each with every cell rendered as Markdown, were a large part of
        # what the browser drew on every visit (docs/deployment.md, "Where a chart page's time goes")
        box = st.expander(DATA_LABEL, icon=":material/table_view:", key=data_key(key), on_change="rerun")
        if box.open:
            with box:
                if len(shown) > _BIG_TABLE:
                    st.dataframe(shown, hide_index=True, width="stretch", key=f"{key}_data")
                else:
                    # st.table renders Markdown in its cells: names shown as text (tests/browser/test_injection.py)
                    plain = shown.map(lambda v: text.md(html.unescape(v)) if isinstance(v, str) else v)
                    plain.columns = [text.md(html.unescape(str(c))) for c in plain.columns]
                    st.table(plain.set_index(plain.columns[0]))
    return event


# --- the first paint: a tab's first charts follow its cards ---------------------------------------------------
# Streamlit's browser code loads each kind of element on first use, and a page's new elements are revealed in one
# React commit: on a tab's first page with charts, the cards waited (grey) for Plotly's code, about 1 s of work in
# the browser, and for the charts' drawing (docs/deployment.md, "First paint"). So that run keeps each chart's place
# (an st.empty holding HELD_TEXT, key HELD_PREFIX + chart key) and ends with one fragment holding a small script
# (PAINTED_COMPONENT): once the browser has painted the page, the script asks for that fragment alone, which draws
# every kept chart into its place. Nothing else of the page runs again. Only on a real server (AppTest sessions
# draw at once), once a tab; a chart whose selection the page reads (on_select) is drawn at once.
_PAINT, _KEPT = "_charts_first_paint", "_charts_kept"
_HOLDING, _HELD, _DONE = "holding", "held", "done"
HELD_PREFIX = "held_"  # the key of a kept place: class st-key-held_<chart key> (tests and bench wait for none)
HELD_TEXT = "图表加载中……"
PAINTED_COMPONENT = "dashboard_painted"  # the script's name (bench/loadclient.py finds its fragment by it)
# mounted with the page's elements (one React commit): the next animation frame comes before the browser paints
# that commit, a task queued from it after the paint; then the trigger reruns the fragment holding the script
# Frame by frame until no element of the main block is still Streamlit's grey skeleton (its code not yet loaded: on
# a slow CPU the first paint can show the cards so), for at most PAINT_WAIT_MS; then, after that frame's paint, the
# trigger. The cleanup stops the wait should the component go before it asks.
PAINT_WAIT_MS = 5000
# an element of the page (not the sidebar) still Streamlit's grey skeleton (also what the bench and the browser
# tests wait on)
GREY_IN_MAIN = "[data-testid='stMainBlockContainer'] [data-testid='stSkeleton']"
_PAINTED_JS = (
    """
export default function (component) {
    const { setTriggerValue } = component;
    const started = performance.now();
    let frame = 0, timer = 0;
    const check = () => {
        const waiting = document.querySelector("GREY_IN_MAIN");
        if (waiting && performance.now() - started < WAIT_MS) { frame = requestAnimationFrame(check); return; }
        timer = setTimeout(() => setTriggerValue("painted", true), 0);
    };
    frame = requestAnimationFrame(check);
    return () => { cancelAnimationFrame(frame); clearTimeout(timer); };
}
"""
).replace("WAIT_MS", str(PAINT_WAIT_MS)).replace("GREY_IN_MAIN", GREY_IN_MAIN)
_painted = None


def hold_first_paint(real_server: bool) -> None:
    """At the start of every run. Until a run of this session has kept charts, each run on a real server keeps
    them (the first pages may have none: the sign-in page, a list); every run after that draws them at once."""
    state = st.session_state.get(_PAINT)
    if state in (None, _HOLDING) and real_server:
        st.session_state[_PAINT] = _HOLDING
    elif state == _HELD:
        st.session_state[_PAINT] = _DONE
    st.session_state[_KEPT] = []


def _holding() -> bool:
    return st.session_state.get(_PAINT) == _HOLDING


def _hold(fig: go.Figure, key: str, chart_config: dict, alt: str, plotly_kwargs: dict) -> None:
    # the place only: what it shows is written by _release (a fragment may fill later only what it wrote at first)
    st.session_state[_KEPT].append((st.empty(), fig, key, chart_config, alt, plotly_kwargs))


def _ask_after_paint() -> None:
    """The script that asks for its fragment once the page is painted (in the fragment: its trigger reruns the
    fragment alone). Zero height: nothing is seen."""
    global _painted
    if _painted is None:
        _painted = st.components.v2.component(PAINTED_COMPONENT, js=_PAINTED_JS)
    _painted(key="_charts_painted", height=0, width=1, on_painted_change=_noop)


def _noop() -> None:
    """The trigger's callback: the rerun of the fragment is all it asks for."""


@st.fragment
def _release(kept: tuple) -> None:
    if _holding():  # in the page's own run: every place kept, a note of the chart's height in each
        for place, fig, key, *_rest in kept:
            with place.container(height=int(fig.layout.height or 450), border=False, key=HELD_PREFIX + key):
                st.caption(HELD_TEXT)
        _ask_after_paint()
        return
    # a run of this fragment alone, asked for by the script once the page was painted: every kept chart into its
    # place (should it be asked for again, the same charts are drawn again)
    st.session_state[_PAINT] = _DONE
    for place, fig, key, chart_config, alt, plotly_kwargs in kept:
        place.plotly_chart(fig, key=key, config=chart_config, alt=alt, **plotly_kwargs)


def release_after_paint() -> None:
    """At the end of every run: a run that kept charts registers the fragment that draws them (and is HELD)."""
    if not _holding():
        return
    kept = tuple(st.session_state.pop(_KEPT, None) or ())
    if kept:
        _release(kept)
        st.session_state[_PAINT] = _HELD
    else:
        st.session_state[_PAINT] = None  # nothing kept: the next page with charts keeps them


def data_key(key: str) -> str:
    """The key of the 图表数据 expander under the chart drawn with `key` (st.session_state[data_key(key)] is
    whether it is open)."""
    return f"{key}_data_open"


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
                        extra: list[str] | None = None, patterns: dict[str, str] | None = None,
                        lead: str | None = None, noun: str = "部门", unit: str = "个",
                        lead_words: str | None = None) -> go.Figure:
    """Horizontal stacked bars, one row per category (department or kind); series = (column, label, color);
    `patterns` (column → Plotly pattern shape) marks each series by pattern as well as colour.

    With percent=True each bar shows shares of its row total (the hover still gives counts). The summary names
    the category with most of the `lead` series (default the first; `lead_words` names it in the sentence); the
    data table has every series' count (and share, with percent).
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
    fig = _layout(fig, _bar_height(len(df)), x_title="占比（%）" if percent else x_title, extra={
        "barmode": "stack", "yaxis": {"autorange": "reversed", "type": "category"},
        "xaxis": {"range": [0, 100]} if percent else count_axis(float(total.max()) if total.notna().any() else 0.0)})
    table = pd.DataFrame({noun: [str(v) for v in df[category]]})
    for col, label, _ in series:
        counts = df[col].fillna(0).astype(int)
        table[label] = [fmt.count(v) for v in counts]
        if percent:
            table[f"{label}占比（%）"] = [fmt.DASH if pd.isna(v) else f"{v:.1f}"
                                        for v in (counts / total * 100).astype(float)]
    lead_col, lead_label = next(((c, lb) for c, lb, _ in series if c == lead), (series[0][0], series[0][1]))
    lead_label = lead_words or lead_label
    counts = df[lead_col].fillna(0).astype(int).reset_index(drop=True)
    if len(df) and counts.max() > 0:
        summary = f"{lead_label}最多的是{_most(df[category], counts, unit)}，图中共 {len(df):,} 个{noun}。"
    else:
        summary = f"共 {len(df):,} 个{noun}，都没有{lead_label}。"
    return describe(fig, summary, table)


def lights_by_department(df: pd.DataFrame) -> go.Figure:
    series = [(light, LIGHT_LABELS[light], LIGHT_COLORS[light]) for light in LIGHTS]
    extra = None
    if {"execution_rate", "budget"} <= set(df.columns):
        extra = [f"<br>执行率 {fmt.pct(r)}（执行 {fmt.wan(e)} / 预算 {fmt.wan(b)}）"
                 for r, e, b in zip(df["execution_rate"], df.get("executed", [None] * len(df)), df["budget"])]
    return stacked_by_category(df, "department", series, extra=extra, patterns=LIGHT_PATTERNS, lead=RED)


def grade_mix(df: pd.DataFrame, category: str = "department", percent: bool = False) -> go.Figure:
    series = [(g, g, c) for g, c in GRADE_COLORS.items()]
    return stacked_by_category(df, category, series, x_title="评价数", percent=percent, patterns=GRADE_PATTERNS,
                               lead="差", lead_words="评价为“差”的", noun="部门" if category == "department" else "评价类型")


def findings_by_department(df: pd.DataFrame) -> go.Figure:
    series = [(status, status, STATUS_COLORS[status]) for status in FINDING_STATUSES]
    return stacked_by_category(df, "department", series, x_title="问题数", patterns=STATUS_PATTERNS,
                               lead=FINDING_STATUSES[0], lead_words="未整改问题")


def grade_counts(grades: dict) -> go.Figure:
    """Overview: one bar per grade."""
    labels = list(GRADE_COLORS)
    values = [int(grades.get(g) or 0) for g in labels]
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=[GRADE_COLORS[g] for g in labels],
                           marker_pattern={**_pattern(""), "shape": [GRADE_PATTERNS[g] for g in labels]},
                           text=values, textposition="outside",
                           hovertemplate="%{x}：%{y:,} 个<extra></extra>"))
    parts = "、".join(f"{g} {fmt.count(v)} 个" for g, v in zip(labels, values))
    return describe(_layout(fig, 220, legend=False, extra={"yaxis": {"visible": False}}), f"评价等级：{parts}，共 {fmt.count(sum(values))} 个。",
                    pd.DataFrame({"等级": labels, "评价数": [fmt.count(v) for v in values]}))


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
    # every tick in the axis' own unit (万元): 10,000, never "1 亿" on a 万元 axis
    drawn = df[df["light"].isin([RED, YELLOW, GREEN])]
    counts = "、".join(f"{LIGHT_LABELS[x]} {fmt.count((drawn['light'] == x).sum())} 个" for x in (RED, YELLOW, GREEN))
    line = f"；虚线为序时进度 {fmt.pct(tp.max())}" if not tp.empty else ""
    table = pd.DataFrame({"项目": [str(v) for v in drawn["name"]], "部门": [str(v) for v in drawn["department"]],
                          "预警": [LIGHT_LABELS[x] for x in drawn["light"]],
                          "调整后预算（万元）": [fmt.money(v) for v in drawn["budget"]],
                          "执行率（%）": [fmt.DASH if pd.isna(v) else f"{float(v) * 100:.1f}"
                                        for v in drawn["execution_rate"]]})
    fig = _layout(fig, 380, x_title="调整后预算（万元，对数刻度）", y_title="执行率（%）",
                  extra={"xaxis": {"type": "log", "tickvals": ticks, "ticktext": [f"{t:,}" for t in ticks]}})
    return describe(fig, f"图中 {fmt.count(len(drawn))} 个已报送项目：{counts}{line}。", table)


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
    fig = _layout(fig, _bar_height(len(df)), x_title="综合得分（0–100）", legend=False, extra={
        "yaxis": {"autorange": "reversed", "type": "category"}, "xaxis": {"range": [0, 105]},
        "margin": {"r": 40}})  # room for "97.3" beside the longest bar, also on a phone
    table = pd.DataFrame({"部门": [str(v) for v in df["department"]], "排名": [fmt.count(v) for v in df["rank"]],
                          "综合得分": [fmt.score(v, unit=False) for v in df["composite"]],
                          "项目数": [fmt.count(v) for v in df["projects"]],
                          "样本少": ["是" if bool(v) else "否" for v in df["small_sample"].fillna(False)]})
    if df.empty:
        return describe(fig, "图中没有部门。", table)
    best, worst = df.iloc[0], df.iloc[-1]
    summary = (f"综合得分最高的是{best['department']}（{fmt.score(best['composite'], unit=False)}），最低的是"
               f"{worst['department']}（{fmt.score(worst['composite'], unit=False)}），图中共 {len(df):,} 个部门。")
    return describe(fig, summary, table)


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
    # the x axis has no grid (_layout); only its colour is set
    xaxis = {"gridcolor": GRID}
    if df[[c for c, _, _ in columns]].max().max() <= 1.05:
        xaxis["range"] = [0, 105]
    fig = _layout(fig, _bar_height(len(df), per_row=20 if len(columns) > 1 else 30), x_title="覆盖率（%）",
                  legend=len(columns) > 1, extra={
                      "yaxis": {"autorange": "reversed", "type": "category", "showgrid": len(columns) > 1,
                                "gridcolor": GRID}, "xaxis": xaxis})
    noun = {"department": "部门", "fund_source": "资金来源", "kind": "评价类型"}.get(category, "类")
    table = pd.DataFrame({noun: [str(v) for v in df[category]]})
    for col, label, _ in columns:
        table[f"{label}（%）"] = [fmt.DASH if pd.isna(v) else f"{float(v) * 100:.1f}" for v in df[col]]
    first, label = columns[0][0], columns[0][1]
    values = pd.to_numeric(df[first], errors="coerce").reset_index(drop=True)
    if values.notna().any():
        hi, lo = int(values.idxmax()), int(values.idxmin())
        summary = (f"{label}最高的是{df[category].iloc[hi]}（{fmt.pct(values[hi])}），最低的是"
                   f"{df[category].iloc[lo]}（{fmt.pct(values[lo])}），图中共 {len(df):,} 个{noun}。")
    else:
        summary = f"共 {len(df):,} 个{noun}，没有{label}。"
    return describe(fig, summary, table)


def trend_series(df: pd.DataFrame, column: str, kind: str = "number") -> tuple[pd.Series, pd.Series, list[str]]:
    """x (years as text), y and the shown labels of a trend line; kind = number | money | ratio | score."""
    years = df["year"].astype(int).astype(str)
    values = df[column].astype(float)
    if kind == "ratio":
        return years, (values * 100).round(1), [fmt.pct(v) for v in values]
    if kind == "money":
        return years, values.round(2), fmt_series_wan(values)
    if kind == "score":
        return years, values.round(1), [fmt.score(v) for v in values]
    return years, values, [fmt.count(v) for v in values]


def describe_trend(fig: go.Figure, label: str, years, text) -> go.Figure:
    """A trend line's sentence and data table (describe): each year with its shown label."""
    said = "，".join(f"{y} 年 {t}" for y, t in zip(years, text))
    return describe(fig, f"{label}：{said}。", pd.DataFrame({"年度": list(years), label: text}))


def trend(df: pd.DataFrame, column: str, label: str, kind: str = "number", color: str = PRIMARY) -> go.Figure:
    """A small year-on-year line for the department profile; kind = number | money | ratio | score."""
    years, y, text = trend_series(df, column, kind)
    fig = go.Figure(go.Scatter(x=years, y=y, mode="lines+markers+text", line_color=color, text=text,
                               textposition="top center", cliponaxis=False,
                               hovertemplate="%{x}年：%{text}<extra></extra>"))
    fig = _layout(fig, 190, legend=False, extra={
        "xaxis": {"type": "category"}, "yaxis": {"visible": False, "rangemode": "tozero"},
        "title": {"text": label, "font": {"size": 14}, "x": 0, "y": 0.97},
        "margin": {"t": 40, "l": 24, "r": 24, "b": 8}})
    return describe_trend(fig, label, years, text)


def closure_trend(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df["month"], y=df["closed"], name="当月销号", marker_color=GRADE_COLORS["优"],
                hovertemplate="%{x}：当月销号 %{y:,} 个<extra></extra>")
    fig.add_scatter(x=df["month"], y=df["cumulative_closed"], name="累计销号", mode="lines+markers",
                    line_color=PRIMARY, yaxis="y2", hovertemplate="%{x}：累计 %{y:,} 个<extra></extra>")
    largest = float(df["closed"].max()) if len(df) else 0.0
    fig = _layout(fig, 300, y_title="当月销号数", extra={
        "xaxis": {"type": "category"},
        "yaxis": count_axis(largest),  # both axes count: whole numbers only
        "yaxis2": {"overlaying": "y", "side": "right", "showgrid": False, "title": {"text": "累计销号数"},
                   "tickformat": ",.0f",
                   **count_axis(float(df["cumulative_closed"].max()) if len(df) else 0.0)}})
    table = pd.DataFrame({"月份": [str(m) for m in df["month"]], "当月销号": [fmt.count(v) for v in df["closed"]],
                          "累计销号": [fmt.count(v) for v in df["cumulative_closed"]]})
    if not len(df):
        return describe(fig, "还没有销号的问题。", table)
    summary = (f"{len(df):,} 个月共销号 {fmt.count(df['closed'].sum())} 个，最多的是 {_most(df['month'], df['closed'])}，"
               f"累计 {fmt.count(df['cumulative_closed'].iloc[-1])} 个。")
    return describe(fig, summary, table)


def age_buckets(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(x=df["bucket"], y=df["count"], marker_color=list(AGE_SHADES[: len(df)]),
                           text=df["count"], textposition="outside", cliponaxis=False,
                           hovertemplate="逾期 %{x}：%{y:,} 个<extra></extra>"))
    fig = _layout(fig, 260, x_title="逾期天数", legend=False, extra={
        "xaxis": {"type": "category"}, "yaxis": {"visible": False, "range": [0, max(1, float(df["count"].max())) * 1.2]}})
    table = pd.DataFrame({"逾期天数": [str(b) for b in df["bucket"]], "问题数": [fmt.count(v) for v in df["count"]]})
    total = int(df["count"].fillna(0).sum())
    if not total:
        return describe(fig, "没有逾期的问题。", table)
    parts = "、".join(f"{b} {fmt.count(c)} 个" for b, c in zip(df["bucket"], df["count"].fillna(0)))
    summary = f"共 {fmt.count(total)} 个逾期问题，逾期 {parts}。"
    return describe(fig, summary, table)


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
    fig = _layout(fig, 280, y_title="下年预算调整（万元）", legend=False)
    changes = fmt_series_wan(df["budget_change_total"], signed=True)
    table = pd.DataFrame({"等级": list(df["grade"]), "评价数": [fmt.count(v) for v in df["evaluations"]],
                          "下年预算调整合计": changes})
    said = "、".join(f"{g} {c}" for g, c in zip(df["grade"], changes))
    return describe(fig, f"按评价等级的下年预算调整合计：{said}。" if said else "没有评价结果。", table)


def fmt_series_wan(values, signed: bool = False) -> list[str]:
    if signed:
        return [fmt.wan_delta(v) or fmt.DASH for v in values]
    return [fmt.wan(v) for v in values]
