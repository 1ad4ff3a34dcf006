"""How the department ranking is shown: its table with rank changes, the chart's rows, clicks, the five to watch,
and keeping 样本少 departments (fewer projects than rules.min_projects) out of the chart and the watch list.

Works on the frame metrics.department_ranking returns (one row per 主管部门, composite and sub-scores).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.present import fmt, labels
from dashboard.ui import common, deltas, tables

TABLE_COLUMNS = ["rank", "department", "composite", "coverage", "execution", "evaluation", "rectification",
                 "not_red", "projects", "prev_rank", "small_sample"]
SCORE_COLUMNS = ["composite", *labels.COMPONENT_LABELS]
ENDS = 15  # with many departments the chart shows the best and the worst this many
MANY = 40


def table_frame(ranking: pd.DataFrame) -> pd.DataFrame:
    """The ranking as shown and downloaded: Chinese headers, 名次变化 ('↑1', '↓2', '持平') third."""
    shown = tables.zh_frame(ranking, TABLE_COLUMNS)
    shown.insert(2, labels.label("rank_change"), [deltas.rank_change(v) for v in ranking["rank_change"]])
    return shown


def chart_rows(ranked: pd.DataFrame) -> pd.DataFrame:
    """Ranked departments best first; above MANY the reader picks both ends (the default) or all."""
    rows = ranked.sort_values("rank")
    if len(rows) <= MANY:  # a province has 150 departments: by default the chart shows both ends
        return rows
    view = st.segmented_control("图中显示", [f"前后各 {ENDS} 名", "全部"], default=f"前后各 {ENDS} 名",
                                key="ranking_view")
    if view == "全部":
        return rows
    st.caption(f"图中为前 {ENDS} 名和后 {ENDS} 名，中间 {fmt.count(len(rows) - 2 * ENDS)} 个部门见下表。")
    return pd.concat([rows.head(ENDS), rows.tail(ENDS)])


def clicked_department(chart_event, table_event, ranking: pd.DataFrame) -> int | None:
    """The department id picked by a click on a bar (its customdata) or a table row, else None."""
    rows = table_event.selection.rows if table_event else []
    if rows:
        return int(ranking.iloc[rows[0]]["department_id"])
    points = (chart_event or {}).get("selection", {}).get("points", []) if chart_event else []
    custom = points[0].get("customdata") if points else None
    return int(custom[0]) if custom else None


def weakest_component(row) -> tuple[str, float] | None:
    """(label, score) of a department's lowest sub-score among those it has, None when it has none."""
    scores = [(name, getattr(row, col)) for col, name in labels.COMPONENT_LABELS.items()]
    scores = [(name, float(v)) for name, v in scores if not fmt.missing(v)]
    return min(scores, key=lambda t: t[1], default=None)


def without_small(ranking: pd.DataFrame, show_small: bool = False) -> tuple[pd.DataFrame, int]:
    """(rows to show, how many 样本少 departments were left out).

    By default 样本少 departments are left out; when every department is 样本少 none is (there would be
    nothing to compare), and the caller says so (small_note).
    """
    small = ranking["small_sample"].fillna(False).astype(bool)
    if show_small or small.all():
        return ranking, 0
    return ranking[~small], int(small.sum())


def small_note(ranking: pd.DataFrame, excluded: int, min_projects: int, show_small: bool) -> str:
    """The caption saying what happened to the 样本少 departments."""
    small = int(ranking["small_sample"].fillna(False).astype(bool).sum())
    if excluded:
        return f"已排除 {fmt.count(excluded)} 个样本少的部门（项目少于 {min_projects} 个）。"
    if small and small == len(ranking) and not show_small:
        return f"所有部门的项目都少于 {min_projects} 个（样本少），仍全部列出，仅供参考。"
    if small:
        return f"含 {fmt.count(small)} 个样本少的部门（项目少于 {min_projects} 个），仅供参考。"
    return ""


def small_toggle(ranking: pd.DataFrame, key: str, min_projects: int) -> bool:
    """A toggle 「显示样本少的部门」 (off by default), drawn only when there are 样本少 departments."""
    if not ranking["small_sample"].fillna(False).astype(bool).any():
        return False
    return st.toggle("显示样本少的部门", value=False, key=key,
                     help=f"项目少于 {min_projects} 个的部门得分波动大，默认不参与比较（阈值见侧栏「规则设置」）。")


def to_watch(ranking: pd.DataFrame, departments: tuple[int, ...] = (), n: int = 5,
             show_small: bool = True) -> pd.DataFrame:
    """The `n` departments with the lowest composite (ties by name), among those filtered when any are;
    show_small=False leaves 样本少 departments out (see without_small)."""
    ranked = ranking[ranking["composite"].notna()]
    if departments:
        ranked = ranked[ranked["department_id"].isin(departments)]
    ranked, _ = without_small(ranked, show_small)
    return ranked.sort_values(["composite", "department"], ascending=[True, True]).head(n)


def watch_card(row) -> None:
    """One department to watch: a link to its profile, rank, projects, weakest part, and its composite."""
    weakest = weakest_component(row)
    with st.container(border=True):
        c1, c2 = st.columns([3, 2])
        with c1:
            common.link("department", f"{row.department}", query_params={"dept": str(row.department_id)},
                        icon=":material/apartment:")
            note = f"最弱：{weakest[0]} {weakest[1]:.1f} 分" if weakest else ""
            small = " · 样本少，仅供参考" if bool(row.small_sample) else ""
            st.caption(f"第 {fmt.count(row.rank)} 名 · 项目 {fmt.count(row.projects)} 个 · {note}{small}")
        with c2:
            st.metric("综合得分", f"{row.composite:.1f}", label_visibility="collapsed")
