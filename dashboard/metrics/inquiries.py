"""询问台账 figures (issue 26): the questions deputies and committees put to departments, their answers and ratings —
the list, per department the reply rate and the overdue questions, and the totals.

Definitions (docs/rules.md 询问台账), judged on `q.today`:
- 已答复: the question has an answer (答复内容) or an answer date (答复日期);
- 逾期未答复: not answered and its 答复期限 is before the judging date (the due day itself is not late);
- 逾期答复: answered on a date after its 答复期限;
- 逾期 = 逾期未答复 + 逾期答复; 待答复 = not answered and not overdue (no due date, or not yet due);
- 答复率 = 已答复 ÷ 询问数; 满意率 = 满意 ÷ 已测评, 满意及基本满意率 = (满意 + 基本满意) ÷ 已测评 (已测评 = rated).

A question belongs to a department (and maybe a unit or project), not to a fund source: the year and department
filters and the account's department limit apply, the fund-source filter does not.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, select

from dashboard.core import rules as R
from dashboard.core.models import Department as D
from dashboard.core.models import Inquiry as IQ
from dashboard.core.models import Project as P
from dashboard.core.models import Unit as U
from dashboard.core.vocab import VOTES
from dashboard.metrics.query import Query, count_rows, frame, paged

ANSWERED, LATE, OVERDUE, PENDING = "已答复", "逾期答复", "逾期未答复", "待答复"
STATES = (OVERDUE, LATE, PENDING, ANSWERED)  # the list's status filter, worst first
SATISFIED, BASICALLY, UNSATISFIED = VOTES

LIST_COLUMNS = ["inquiry_id", "department", "unit", "project", "asker", "question", "asked_on", "due_on", "state",
                "days_overdue", "answer", "answered_on", "rating"]
COUNT_COLUMNS = ["asked", "answered", "unanswered", "overdue_unanswered", "late_answered", "overdue", "pending",
                 "rated", "satisfied", "basically", "unsatisfied"]
DEPARTMENT_COLUMNS = ["department_id", "department", *COUNT_COLUMNS, "reply_rate", "satisfied_share",
                      "positive_share"]


def _answered(q: Query):
    return or_(IQ.answered_on.is_not(None), IQ.answer.is_not(None))


def _late(q: Query):
    return and_(IQ.answered_on.is_not(None), IQ.due_on.is_not(None), IQ.answered_on > IQ.due_on)


def _overdue_unanswered(q: Query):
    return and_(IQ.answered_on.is_(None), IQ.answer.is_(None), IQ.due_on.is_not(None), IQ.due_on < q.today)


def _state(q: Query):
    return case((_late(q), literal(LATE)), (_answered(q), literal(ANSWERED)),
                (_overdue_unanswered(q), literal(OVERDUE)), else_=literal(PENDING))


def _where(q: Query) -> list:
    conds = [IQ.year == q.scope.year]
    if q.scope.departments:  # clamped into the account's limit by Scope
        conds.append(IQ.department_id.in_(q.scope.departments))
    return conds


def _inquiries(q: Query, states=(), department_id: int | None = None):
    state = _state(q).label("state")
    conds = _where(q)
    if states:
        conds.append(_state(q).in_(list(states)))
    if department_id is not None:
        conds.append(IQ.department_id == int(department_id))
    return (select(IQ.id.label("inquiry_id"), D.name.label("department"), U.name.label("unit"),
                   P.name.label("project"), IQ.asker, IQ.question, IQ.asked_on, IQ.due_on, state, IQ.answer,
                   IQ.answered_on, IQ.rating)
            .join(D, D.id == IQ.department_id).outerjoin(U, U.id == IQ.unit_id).outerjoin(P, P.id == IQ.project_id)
            .where(*conds)
            .order_by(case((IQ.asked_on.is_(None), 1), else_=0), IQ.asked_on.desc(), IQ.id.desc()))


def _days_overdue(row, today) -> int | None:
    """Days past the 答复期限: until the judging date when unanswered, until the answer when answered late."""
    if row["state"] == OVERDUE:
        return (today - row["due_on"]).days
    if row["state"] == LATE:
        return (row["answered_on"] - row["due_on"]).days
    return None


def inquiry_list(q: Query, states=(), department_id: int | None = None, limit: int | None = None,
                 offset: int = 0) -> pd.DataFrame:
    """The questions of the scope (newest asked first), with their state (已答复 / 逾期答复 / 逾期未答复 / 待答复) and
    the days past the due date; `states` keeps some states, `department_id` one department (within the scope)."""
    df = frame(q.url, paged(_inquiries(q, tuple(states), department_id), limit, offset))
    days = [_days_overdue(r, q.today) for _, r in df.iterrows()]
    df["days_overdue"] = pd.array(days, dtype="Int64")
    return df[LIST_COLUMNS]


def inquiry_count(q: Query, states=(), department_id: int | None = None) -> int:
    return count_rows(q.url, _inquiries(q, tuple(states), department_id))


def _counts(q: Query) -> list:
    def n(when):
        return func.coalesce(func.sum(case((when, 1), else_=0)), 0)

    answered = _answered(q)
    return [func.count().label("asked"), n(answered).label("answered"), n(~answered).label("unanswered"),
            n(_overdue_unanswered(q)).label("overdue_unanswered"), n(_late(q)).label("late_answered"),
            n(IQ.rating.is_not(None)).label("rated"), n(IQ.rating == SATISFIED).label("satisfied"),
            n(IQ.rating == BASICALLY).label("basically"), n(IQ.rating == UNSATISFIED).label("unsatisfied")]


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("asked", "answered", "unanswered", "overdue_unanswered", "late_answered", "rated", "satisfied",
              "basically", "unsatisfied"):
        df[c] = df[c].astype(int)
    df["overdue"] = df["overdue_unanswered"] + df["late_answered"]
    df["pending"] = df["unanswered"] - df["overdue_unanswered"]
    df["reply_rate"] = [R.vote_share(a, n) for a, n in zip(df["answered"], df["asked"])]
    df["satisfied_share"] = [R.vote_share(s, n) for s, n in zip(df["satisfied"], df["rated"])]
    df["positive_share"] = [R.vote_share(s + b, n) for s, b, n in zip(df["satisfied"], df["basically"], df["rated"])]
    return df


def inquiries_by_department(q: Query) -> pd.DataFrame:
    """Per department with questions in the scope: asked, answered, unanswered, 逾期未答复, 逾期答复, overdue in all,
    待答复, rated and the three ratings, 答复率, 满意率 and 满意及基本满意率; most overdue first."""
    stmt = (select(IQ.department_id, D.name.label("department"), *_counts(q))
            .join(D, D.id == IQ.department_id).where(*_where(q)).group_by(IQ.department_id, D.name))
    df = _rates(frame(q.url, stmt))
    if df.empty:
        return pd.DataFrame(columns=DEPARTMENT_COLUMNS)
    df = df.sort_values(["overdue", "unanswered", "department"], ascending=[False, False, True], kind="stable")
    return df[DEPARTMENT_COLUMNS].reset_index(drop=True)


def inquiry_summary(q: Query) -> dict:
    """The scope's totals: every count of inquiries_by_department summed, with the rates of the sums (None when
    there is nothing to divide by)."""
    df = _rates(frame(q.url, select(*_counts(q)).where(*_where(q))))
    row = df.iloc[0]
    out = {c: int(row[c]) for c in COUNT_COLUMNS}
    for c in ("reply_rate", "satisfied_share", "positive_share"):
        out[c] = None if row[c] is None or pd.isna(row[c]) else round(float(row[c]), 4)
    return out


def inquiry_choices(q: Query, department_id: int) -> dict:
    """What a new question of one department may name: its units (id, name) and the year's projects (id, code,
    name), by name — the entry form's choices."""
    units = frame(q.url, select(U.id, U.name).where(U.department_id == int(department_id)).order_by(U.name, U.id))
    projects = frame(q.url, select(P.id, P.code, P.name)
                     .where(P.department_id == int(department_id), P.year == q.scope.year).order_by(P.name, P.id))
    return {"units": list(zip(units["id"].astype(int), units["name"])),
            "projects": [(int(i), c, n) for i, c, n in zip(projects["id"], projects["code"], projects["name"])]}
