"""大屏 mode for meetings (issue 26, item 3): one 1920×1080 screen with the headline figures, the lights by
department, the ranking and the departments to watch — the same figures as 总览 and 部门排名, from the same
cached metric calls and the sidebar's filters — in large type with no sidebar, and an optional rotation between
views on a timer.

`?mode=screen` on any page's URL (or the 大屏模式 link in the sidebar) opens it; `&rotate=N` (seconds, at least
ROTATE_MIN) turns the lower half through VIEWS. 退出大屏 at its foot goes back to 总览.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.ui import charts, common, data, fmt, headline, kpi, ranking, text

MODE_PARAM, MODE_SCREEN, ROTATE_PARAM = "mode", "screen", "rotate"
ROTATE_MIN = 10  # seconds: a view must stay long enough to be read
VIEWS = ("全景", "各部门预警灯", "部门排名")
ROWS = 12  # departments in each chart of the 全景 view; 25 in a view of its own

# our own stylesheet (no data in it): no sidebar or header, large type, cards and charts sized for 1920×1080
CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 1.2rem 2.4rem 0.8rem 2.4rem; max-width: 100%; }
[data-testid="stMain"] h1 { font-size: 2.6rem; padding: 0 0 0.2rem 0; }
[data-testid="stMain"] h3 { font-size: 1.7rem; }
[data-testid="stMain"] p, [data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
[data-testid="stMetricLabel"] p { font-size: clamp(0.95rem, 1.1vw, 1.3rem) !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: clamp(1.7rem, 2.4vw, 2.9rem) !important;
  line-height: 1.2; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { font-size: clamp(0.85rem, 0.9vw, 1.15rem) !important; }
</style>"""


def wanted() -> bool:
    """Whether this run asks for the screen: ?mode=screen."""
    return st.query_params.get(MODE_PARAM) == MODE_SCREEN


def rotation() -> int | None:
    """Seconds between views (?rotate=N, N ≥ ROTATE_MIN, at most an hour), or None for no rotation."""
    raw = str(st.query_params.get(ROTATE_PARAM) or "")[:6]
    if not raw.isdigit():
        return None
    return min(max(int(raw), ROTATE_MIN), 3600)


def style() -> None:
    st.html(CSS)


CARDS = ("budget", "coverage", "execution", "red", "yellow", "avg_score", "rectification", "overdue")


def headline_row(ctx) -> dict | None:
    """Eight of 总览's cards (dashboard/ui/headline.py: the same figures) in one row; the kpis, or None."""
    h = headline.figures(ctx)
    if h is None:
        return None
    with st.container(horizontal=True, gap="small"):  # one row of eight on a 1366-px projector too
        for key in CARDS:
            kpi.card(width="stretch", **{**h.cards[key], "help": None})
    m = h.kpis["monitoring"]
    st.caption((f"箭头为与 {h.prev_year} 年同口径相比的变化。" if h.prev else "")
               + f"监控数据截至 {fmt.date(m['as_of'])}，序时进度 {fmt.pct(m['time_progress'])}；"
               f"逾期按 {fmt.date(ctx.today)} 判断。")
    return h.kpis


def _big(fig, height: int):
    """A chart of the pages in meeting-room type: 16–17 px labels, ticks and legend."""
    fig.update_layout(height=height, font={"size": 17}, legend={"font": {"size": 17}})
    fig.update_xaxes(tickfont={"size": 15}, title_font={"size": 16})
    fig.update_yaxes(tickfont={"size": 16})
    return fig.update_traces(textfont={"size": 16}, selector={"type": "bar"})


def lights(ctx, rows: int, height: int, key: str) -> None:
    st.subheader("各部门预警灯")
    df = data.lights_by_department(ctx)
    if df.empty:
        st.caption("本年还没有监控数据。")
        return
    st.plotly_chart(_big(charts.lights_by_department(df.head(rows)), height), key=key, config=charts.CONFIG)
    more = f"按红灯数排序，前 {min(rows, len(df))} 个部门，共 {fmt.count(len(df))} 个。"
    st.caption(more)


def ranked(ctx, rows: int, height: int, key: str) -> None:
    st.subheader("部门综合得分")
    df = data.department_ranking(ctx)
    shown, _ = ranking.without_small(df[df["composite"].notna()], False)
    if shown.empty:
        st.caption("没有可排名的部门。")
        return
    top = shown.sort_values("rank").head(rows)
    st.plotly_chart(_big(charts.ranking_bars(top), height), key=key, config=charts.CONFIG)
    st.caption(f"综合得分前 {len(top)} 名，共 {fmt.count(len(shown))} 个部门参与排名（样本少的部门不列入）。")


def watch(ctx) -> None:
    st.subheader("需要关注的部门")
    worst = ranking.to_watch(data.department_ranking(ctx), ctx.scope.departments, n=5, show_small=False)
    if worst.empty:
        st.caption("没有可排名的部门。")
        return
    for r in worst.itertuples():
        weakest = ranking.weakest_component(r)
        with st.container(border=True):
            st.markdown(f"**{text.md(r.department)}**　综合得分 **{r.composite:.1f}**")
            note = f"最弱：{weakest[0]} {weakest[1]:.1f} 分" if weakest else ""
            st.caption(f"第 {r.rank} 名 · 项目 {r.projects} 个 · {note}")


def view(ctx, name: str) -> None:
    """One view of the lower half: 全景 (lights, ranking, to watch side by side) or one of them large."""
    if name == "各部门预警灯":
        lights(ctx, 25, 720, "screen_lights_big")
    elif name == "部门排名":
        ranked(ctx, 25, 720, "screen_ranking_big")
    else:
        a, b, c = st.columns([5, 5, 3], gap="large")
        with a, common.guard("各部门预警灯"):
            lights(ctx, ROWS, 600, "screen_lights")
        with b, common.guard("部门排名"):
            ranked(ctx, ROWS, 600, "screen_ranking")
        with c, common.guard("需要关注的部门"):
            watch(ctx)


def rotating(ctx, seconds: int) -> None:
    """The lower half, turning through VIEWS every `seconds` (a fragment: the KPI row is not redrawn)."""

    @st.fragment(run_every=dt.timedelta(seconds=seconds))
    def turn():
        i = st.session_state.get("_screen_view", -1) + 1
        st.session_state["_screen_view"] = i
        name = VIEWS[i % len(VIEWS)]
        st.caption(f"轮播：{name}（每 {seconds} 秒切换，共 {len(VIEWS)} 屏）")
        view(ctx, name)

    turn()
