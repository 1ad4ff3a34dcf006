"""询问台账 (issue 26) for the pages: cached figures and lists of dashboard.metrics.inquiries, the KPI cards, the
per-department table, the question list with its download, the 部门画像 section, and the forms where staff enter a
question or its answer (written by dashboard.core.writes.record_inquiry / answer_inquiry, which check the
"inquire" permission and audit). Questions and answers are users' text: shown in tables (never as Markdown)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from dashboard import metrics
from dashboard.core import writes
from dashboard.core.accounts import Forbidden
from dashboard.core.vocab import VOTES
from dashboard.metrics.inquiries import ANSWERED, LATE, OVERDUE, PENDING, STATES
from dashboard.present import fmt
from dashboard.ui import auth, data, kpi, tables, text

LIST_COLUMNS = ["inquiry_id", "department", "asker", "question", "asked_on", "due_on", "state", "days_overdue",
                "answer", "answered_on", "rating", "unit", "project"]
DEPARTMENT_COLUMNS = ["department", "asked", "answered", "reply_rate", "overdue_unanswered", "late_answered",
                      "pending", "rated", "satisfied", "basically", "unsatisfied", "satisfied_share", "positive_share"]
PICK_ROWS = 500  # questions offered in the answer form's list (newest first)
RULES_TEXT = ("答复率 = 已答复 ÷ 询问数（有答复内容或答复日期即为已答复）；逾期未答复 = 未答复且 {today} 已过答复期限"
              "（期限当天不算逾期）；逾期答复 = 答复日期晚于答复期限；满意率 = 满意 ÷ 已测评。")


def rules_text(ctx) -> str:
    return RULES_TEXT.format(today=fmt.date(ctx.today))


def summary(ctx, scope=None) -> dict:
    """metrics.inquiry_summary of the page's scope (or the given one)."""
    return data._metric(metrics.inquiry_summary, ctx, scope=scope)


def by_department(ctx, scope=None):
    return data._metric(metrics.inquiries_by_department, ctx, scope=scope)


def questions(ctx, states=(), scope=None) -> data.Listing:
    """The questions of the scope, newest first, optionally of some states (逾期未答复, 逾期答复, 待答复, 已答复)."""
    return data._listing(ctx, metrics.inquiry_list, metrics.inquiry_count, scope=scope, states=tuple(states))


def can_enter() -> bool:
    """Whether the signed-in account may enter questions and answers (the "inquire" permission)."""
    actor = auth.current()
    return actor is not None and actor.may("inquire")


def cards(ctx, s: dict) -> None:
    kpi.row([
        {"label": "询问数", "value": fmt.count(s["asked"]), "help": "本年登记的询问（侧栏范围内的主管部门）。"},
        {"label": "已答复", "value": fmt.count(s["answered"]), "help": "有答复内容或答复日期的询问。"},
        {"label": "答复率", "value": fmt.pct(s["reply_rate"]), "help": "已答复 ÷ 询问数。"},
        {"label": "逾期未答复", "value": fmt.count(s["overdue_unanswered"]),
         "help": f"尚未答复，且 {fmt.date(ctx.today)} 已过答复期限（期限当天不算逾期）。"},
        {"label": "逾期答复", "value": fmt.count(s["late_answered"]), "help": "已答复，但答复日期晚于答复期限。"},
        {"label": "待答复", "value": fmt.count(s["pending"]), "help": "尚未答复、也未逾期（未到期限或没有期限）。"},
        {"label": "满意率", "value": fmt.pct(s["satisfied_share"]),
         "help": (f"满意 ÷ 已测评（{s['rated']} 个询问有满意度：满意 {s['satisfied']}、基本满意 {s['basically']}、"
                  f"不满意 {s['unsatisfied']}）；满意及基本满意率 {fmt.pct(s['positive_share'])}。")},
    ])


def question_list(ctx, key: str, title: str, scope=None, file_stem: str | None = None) -> None:
    """The question list with a state filter, paging and the download of every row."""
    chosen = st.multiselect("答复情况", list(STATES), key=f"{key}_states", placeholder="全部")
    tables.listing(questions(ctx, chosen, scope=scope), ctx, title, key, LIST_COLUMNS, page_key=f"{key}_p",
                   file_stem=file_stem, note="按询问日期从新到旧", filters="、".join(chosen),
                   empty="没有符合条件的询问。")


def department_section(ctx, department: int) -> None:
    """部门画像's 询问答复: the department's cards and questions (nothing when it has none this year)."""
    dctx = dataclasses.replace(ctx, scope=data.scope_for(ctx, departments=(int(department),)))
    s = summary(dctx)
    if not s["asked"]:
        return
    name = ctx.department_name(department)
    st.subheader("人大询问与答复", help=rules_text(ctx))
    cards(ctx, s)
    question_list(dctx, "dept_inq", f"{name} 询问台账", file_stem=f"{name}_询问台账_{ctx.scope.year}")


# ---- entry ------------------------------------------------------------------------------------------------

def _saved(message: str) -> None:
    st.session_state["inq_entry_done"] = f"{message}（{dt.datetime.now():%H:%M}）。"
    st.rerun()


def entry_forms(ctx) -> None:
    """登记询问 and 录入答复: one entry per save, each a batch of its own (undone on 数据上传), audited."""
    st.caption("每次保存记入导入记录，可在「数据上传」页撤销，并写入操作日志。")
    done = st.session_state.pop("inq_entry_done", None)
    if done:
        st.success(done)
    new, answer = st.tabs(["登记新的询问", "录入答复和满意度"])
    with new:
        _new_form(ctx)
    with answer:
        _answer_form(ctx)


def _new_form(ctx) -> None:
    names = dict(ctx.departments)
    if not names:
        st.caption("还没有主管部门：请先导入部门单位表或项目表。")
        return
    dept = st.selectbox("主管部门", list(names), format_func=names.get, key="inq_dept")
    choices = data._metric(metrics.inquiry_choices, ctx, int(dept))
    units = dict(choices["units"])
    projects = {i: f"{n}（{c}）" if c else n for i, c, n in choices["projects"]}
    with st.form("inq_new", clear_on_submit=True):
        a, b = st.columns(2)
        unit = a.selectbox("预算单位（可不选）", [None, *units], format_func=lambda u: "—" if u is None else units[u],
                            key="inq_unit")
        project = b.selectbox(f"项目（{ctx.scope.year} 年，可不选）", [None, *projects],
                              format_func=lambda p: "—" if p is None else projects[p], key="inq_project")
        asker = a.text_input("询问人", placeholder="代表姓名或委员会", key="inq_asker")
        asked_on = b.date_input("询问日期", value=ctx.today, max_value=ctx.today, key="inq_asked_on")
        question = st.text_area("询问内容", key="inq_question")
        due_on = a.date_input("答复期限", value=None, key="inq_due_on")
        if not st.form_submit_button("登记询问", type="primary"):
            return
    try:
        out = writes.record_inquiry(ctx.url, auth.current(), year=ctx.scope.year, department_id=int(dept),
                                    unit_id=unit, project_id=project, asker=asker, question=question,
                                    asked_on=asked_on, due_on=due_on, today=ctx.today)
    except (writes.EntryRefused, Forbidden) as exc:
        st.error(text.md(exc))
        return
    _saved(f"已登记：询问 {out['inquiry_id']}（导入批次 {out['batch_id']}）")


def _answer_form(ctx) -> None:
    open_ = data._metric(metrics.inquiry_list, ctx, states=(OVERDUE, PENDING), limit=PICK_ROWS)
    rated_missing = data._metric(metrics.inquiry_list, ctx, states=(LATE, ANSWERED), limit=PICK_ROWS)
    rated_missing = rated_missing[rated_missing["rating"].isna()]
    pick = {int(r["inquiry_id"]): f"{int(r['inquiry_id'])} · {r['department']} · {str(r['question'])[:30]}"
            for df in (open_, rated_missing) for _, r in df.iterrows()}
    if not pick:
        st.caption("本年没有待答复或待测评的询问。")
        return
    with st.form("inq_answer", clear_on_submit=True):
        which = st.selectbox("询问（编号 · 主管部门 · 内容）", list(pick), format_func=pick.get, key="inq_pick",
                             help="列出尚未答复、或已答复还没有满意度的询问。")
        answer = st.text_area("答复内容", key="inq_answer")
        a, b = st.columns(2)
        answered_on = a.date_input("答复日期", value=None, max_value=ctx.today, key="inq_answered_on")
        rating = b.selectbox("满意度", [None, *VOTES], format_func=lambda v: "—" if v is None else v, key="inq_rating")
        if not st.form_submit_button("保存答复", type="primary"):
            return
    try:
        out = writes.answer_inquiry(ctx.url, auth.current(), int(which), answer=answer, answered_on=answered_on,
                                    rating=rating, today=ctx.today)
    except (writes.EntryRefused, Forbidden) as exc:
        st.error(text.md(exc))
        return
    _saved(f"已保存：询问 {out['inquiry_id']} 的{out['entry']}（导入批次 {out['batch_id']}）")

