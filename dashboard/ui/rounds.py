"""报送情况 (issue 26): the rounds of the page's year, a round's figures (cached through dashboard.ui.data), its units
with Chinese headers, the 催报清单 workbook, and the forms that open or close a round (dashboard.core.writes
open_round / close_round, which check the "open_round" permission and audit)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import metrics
from dashboard.core import writes
from dashboard.core.accounts import Forbidden
from dashboard.metrics.rounds import LATE, NOT_REPORTED, REPORTED
from dashboard.present import fmt
from dashboard.ui import auth, data, export, tables

STATUSES = (NOT_REPORTED, LATE, REPORTED)
ROUND_KEY = "round"  # the page's round select box
SHOWN = 500  # units drawn on screen at most; the download has them all
KIND_LABELS = writes.ROUND_KIND_LABELS
UNIT_HEADERS = {"unit": "预算单位", "status": "报送状态", "department": "主管部门", "contact": "联系人", "phone": "联系电话",
                "first_upload": "首次报送时间", "last_upload": "最近报送时间", "batch_id": "最近报送批次",
                "unit_code": "单位编码"}
CHASE_HEADERS = {"department": "主管部门", "unit": "预算单位", "unit_code": "单位编码", "contact": "联系人",
                 "phone": "联系电话"}
DEPARTMENT_HEADERS = {"department": "主管部门", "units": "应报单位", "reported": "已报送", "on_time": "按时报送",
                      "late": "逾期报送", "not_reported": "未报送", "rate": "报送率"}


def rounds(ctx) -> pd.DataFrame:
    """The rounds of the page's year, the current one first."""
    return data._metric(metrics.round_list, ctx)


def counts(ctx, round_id: int) -> dict:
    return data._metric(metrics.round_counts, ctx, int(round_id))


def by_department(ctx, round_id: int) -> pd.DataFrame:
    return data._metric(metrics.round_by_department, ctx, int(round_id))


def units(ctx, round_id: int, statuses: tuple[str, ...] = ()) -> data.Listing:
    """The round's units (未报送 first), `statuses` only when given."""
    return data._listing(ctx, metrics.round_units, metrics.round_units_count, round_id=int(round_id),
                         statuses=tuple(statuses))


def describe(rnd: dict) -> str:
    """One line on the round: kind, cut-off, due date, opened when and by whom, open or closed (plain text)."""
    parts = [f"{rnd['year']}年{KIND_LABELS.get(rnd['kind'], rnd['kind'])}"]
    if not fmt.missing(rnd["as_of"]):
        parts.append(f"监控截止日期 {fmt.date(rnd['as_of'])}")
    parts.append(f"报送截止日期 {fmt.date(rnd['due_on'])}" if not fmt.missing(rnd["due_on"])
                 else "未定报送截止日期（不判逾期）")
    opened = f"{fmt.timestamp(rnd['opened_at'])} 开启"
    if rnd.get("opened_by"):
        opened += f"（{rnd['opened_by']}）"
    parts.append(opened)
    parts.append("进行中" if rnd["is_open"] else f"已于 {fmt.timestamp(rnd['closed_at'])} 关闭")
    return "；".join(parts)


def _labelled(df: pd.DataFrame, headers: dict) -> pd.DataFrame:
    out = df[[c for c in headers if c in df.columns]].copy()
    for c in ("first_upload", "last_upload"):
        if c in out:
            out[c] = out[c].map(lambda v: None if fmt.missing(v) else fmt.timestamp(v))
    if "batch_id" in out:
        out["batch_id"] = out["batch_id"].map(lambda v: None if fmt.missing(v) else f"#{int(v)}")
    return out.rename(columns=headers)


def department_table(ctx, rnd: dict) -> None:
    """Counts per department, with its download (报送率 as a percent)."""
    df = by_department(ctx, int(rnd["round_id"]))
    if df.empty:
        st.caption("范围内没有应报单位。")
        return
    screen = _labelled(df, DEPARTMENT_HEADERS)
    screen["报送率"] = (pd.to_numeric(df["rate"], errors="coerce") * 100).round(1)
    screen = screen.rename(columns={"报送率": "报送率（%）"})
    tables.shown(screen, "round_dept_table", f"各部门报送情况_{rnd['year']}", xlsx_key="round_dept_xlsx",
                 download=_labelled(df, DEPARTMENT_HEADERS), formats={"报送率": export.PERCENT_FORMAT},
                 column_config={"报送率（%）": st.column_config.NumberColumn("报送率（%）", format="%.1f")})


def _all_rows(listing: data.Listing, headers: dict):
    for df in listing.chunks():
        yield _labelled(df, headers)


def unit_table(ctx, rnd: dict, statuses: tuple[str, ...], chosen: str = "") -> None:
    """The round's units (at most SHOWN on screen, saying so) and the download of all of them."""
    listing = units(ctx, int(rnd["round_id"]), statuses)
    total = listing.total()
    if not total:
        st.caption("没有符合条件的单位。")
        return
    rows = listing.page(SHOWN, 0)
    note = f"共 {total:,} 个单位" + (f"，只显示前 {SHOWN:,} 个，下载的文件含全部 {total:,} 个" if total > SHOWN else "")
    st.caption(note + "。未报送的排在前面，其次是逾期报送的。")
    tables.shown(_labelled(rows, UNIT_HEADERS), "round_units_table")
    title = f"{rnd['year']}年报送情况"
    head = tables.heading(ctx, title, f"{_round_text(rnd)}{'；' + chosen if chosen else ''}")
    head[0] += f"（共 {total:,} 个单位）"
    export.download("下载 Excel", lambda: export.listing_xlsx(_all_rows(listing, UNIT_HEADERS), head,
                                                             sheet="报送情况", columns=list(UNIT_HEADERS.values())),
                    f"报送情况_{_stem(rnd)}.xlsx", "round_units_xlsx", what=f"报送情况（全部 {total:,} 个单位）")


def _round_text(rnd: dict) -> str:
    out = f"轮次 {rnd['year']}年{KIND_LABELS.get(rnd['kind'], rnd['kind'])}"
    if not fmt.missing(rnd["as_of"]):
        out += f"（截至 {fmt.date(rnd['as_of'])}）"
    if not fmt.missing(rnd["due_on"]):
        out += f"，报送截止 {fmt.date(rnd['due_on'])}"
    return out


def _stem(rnd: dict) -> str:
    return f"{rnd['year']}_{'自评' if fmt.missing(rnd['as_of']) else fmt.date(rnd['as_of'])}"


def chase_list(ctx, rnd: dict) -> None:
    """催报清单: the units that have not reported, with department, contact and phone, as .xlsx."""
    listing = units(ctx, int(rnd["round_id"]), (NOT_REPORTED,))
    total = listing.total()
    head = tables.heading(ctx, f"催报清单（共 {total:,} 个未报送单位）", _round_text(rnd))
    export.download("下载催报清单", lambda: export.listing_xlsx(_all_rows(listing, CHASE_HEADERS), head,
                                                                sheet="催报清单", columns=list(CHASE_HEADERS.values())),
                    f"催报清单_{_stem(rnd)}.xlsx", "round_chase_xlsx", what=f"催报清单（{total:,} 个单位）",
                    disabled=not total, type="primary",
                    help="未报送单位的主管部门、单位、联系人和联系电话（联系人、电话来自导入的“部门单位”表）。")


def can_open() -> bool:
    """Whether the signed-in account may open or close a round (department-limited accounts may not)."""
    actor = auth.current()
    return actor is not None and actor.may("open_round")


def _done(message: str) -> None:
    """Say what was done on the next run, which shows the (new) current round."""
    st.session_state["round_done"] = message
    st.session_state.pop(ROUND_KEY, None)
    st.rerun()


def show_done() -> None:
    done = st.session_state.pop("round_done", None)
    if done:
        st.success(done)


def open_form(ctx) -> None:
    """开启报送轮次: kind, year, 监控截止日期 (monitoring), 报送截止日期, a title. An existing round gets the new due date
    and title and is reopened. Refusals shown above the form."""
    actor = auth.current()
    with st.form("round_open", clear_on_submit=False):
        a, b = st.columns(2)
        kind = a.radio("表格类型", list(KIND_LABELS), format_func=KIND_LABELS.get, horizontal=True)
        year = b.number_input("年度", min_value=2000, max_value=2100, step=1, value=int(ctx.scope.year))
        as_of = a.date_input("监控截止日期（绩效监控轮次）", value=None, help="如 1—6月监控填 6月30日；单位自评轮次不填。")
        due_on = b.date_input("报送截止日期", value=None, help="此日之后才首次报送的单位记为逾期报送；不填则不判逾期。")
        title = st.text_input("轮次名称（可不填）", placeholder="如 2025年1—6月绩效运行监控")
        if not st.form_submit_button("开启轮次", type="primary"):
            return
    try:
        out = writes.open_round(ctx.url, actor, kind, int(year), as_of if kind == writes.ROUND_MONITORING else None,
                                due_on, title)
    except (writes.EntryRefused, Forbidden) as exc:
        st.error(str(exc))
        return
    _done(f"已开启报送轮次 {out['key']}（{dt.datetime.now():%H:%M}），已记入操作日志。")


def close_button(ctx, rnd: dict) -> None:
    """关闭本轮次 for an open round: it stays listed but is no longer the current one."""
    if not rnd["is_open"]:
        return
    if st.button("关闭本轮次", key="round_close", icon=":material/lock:",
                 help="关闭后本轮次仍可查看，但不再是当前轮次（summary 与总览取最新开启且未关闭的轮次）。"):
        try:
            writes.close_round(ctx.url, auth.current(), int(rnd["round_id"]))
        except (writes.EntryRefused, Forbidden) as exc:
            st.error(str(exc))
            return
        _done("已关闭本轮次，已记入操作日志。")
