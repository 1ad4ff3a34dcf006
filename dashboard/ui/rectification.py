"""The verified-rectification parts of 整改进度 and 部门画像 (issue 25): cached figures and lists of
dashboard.metrics.findings, their column headers, and the form where staff enter an extension or a verification
(written by dashboard.core.writes.record_rectification, which checks the role and audits)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import metrics
from dashboard.core import writes
from dashboard.core.accounts import Forbidden
from dashboard.ui import auth, data


def summary(ctx, scope=None) -> dict:
    """metrics.rectification_summary of the page's scope (or the given one)."""
    return data._metric(metrics.rectification_summary, ctx, scope=scope)


def unverified(ctx, scope=None) -> data.Listing:
    """Findings reported 已整改 and not verified."""
    return data._listing(ctx, metrics.unverified_findings, metrics.unverified_count, scope=scope)


def repeats(ctx, scope=None) -> data.Listing:
    """屡审屡犯 findings with the earlier finding each repeats."""
    return data._listing(ctx, metrics.repeat_findings, metrics.repeat_count, scope=scope)


def extensions(ctx, scope=None) -> data.Listing:
    """Every recorded change of a finding's 整改时限."""
    return data._listing(ctx, metrics.extension_list, metrics.extension_count, scope=scope)


def votes(ctx, scope=None):
    """The 人大 满意度测评 rows of the scope."""
    return data._metric(metrics.satisfaction_votes, ctx, scope=scope)


def can_enter() -> bool:
    """Whether the signed-in account may enter extensions and verifications (the import permission)."""
    actor = auth.current()
    return actor is not None and actor.may("import")


def entry_form(ctx) -> None:
    """录入延期或核验: by 问题编号, one entry per save; the result (or the refusal) is shown above the form."""
    actor = auth.current()
    st.caption("按问题编号（见上面各清单第一列）录入。每次录入记入导入记录，可在「数据上传」页撤销，并写入操作日志。")
    done = st.session_state.pop("rect_entry_done", None)
    if done:
        st.success(done)
    with st.form("rect_entry", clear_on_submit=True):
        fid = st.number_input("问题编号", min_value=1, step=1, value=None, placeholder="如 123")
        kind = st.radio("录入内容", ["延期", "核验"], horizontal=True)
        a, b = st.columns(2)
        new_deadline = a.date_input("新的整改时限（延期）", value=None)
        reason = a.text_input("延期原因")
        approver = a.text_input("延期批准人")
        verified_on = b.date_input("核验日期", value=None, max_value=ctx.today)
        verifier = b.text_input("核验人", value=actor.name if actor else "")
        method = b.text_input("核验方式", placeholder="如 现场核查、查阅凭证")
        if not st.form_submit_button("保存", type="primary"):
            return
    try:
        if fid is None:
            raise writes.EntryRefused("请填写问题编号")
        if kind == "延期":
            out = writes.record_rectification(ctx.url, actor, int(fid), new_deadline=new_deadline, reason=reason,
                                              approved_by=approver, today=ctx.today)
        else:
            out = writes.record_rectification(ctx.url, actor, int(fid), verified_on=verified_on, verified_by=verifier,
                                              verification_method=method, today=ctx.today)
    except (writes.EntryRefused, Forbidden) as exc:
        st.error(str(exc))
        return
    st.session_state["rect_entry_done"] = (f"已保存：问题 {out['finding_id']} 的{out['entry']}"
                                           f"（导入批次 {out['batch_id']}，{dt.datetime.now():%H:%M}）。")
    st.rerun()
