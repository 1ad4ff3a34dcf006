"""结果应用台账: every evaluated project with its grades by year and next year's budget, the flags RA1–RA3, policies
with their evaluation due year (RA4) and result class (RA5), the result classes counted, and the summary's
`result_application` figures. The rules are dashboard.core.applications (docs/rules.md 结果应用台账).

Years are linked by project code, as the project card's 下年预算 is: the same code in year − 1 and year + 1, among
the projects the viewer may see (Scope.limit), whatever department or fund source they have then.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import BigInteger, and_, case, cast, func, literal, select
from sqlalchemy.orm import aliased

from dashboard.core import applications as A
from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import Evaluation as E
from dashboard.core.models import Project as P
from dashboard.core.models import Unit as U
from dashboard.core.vocab import EVALUATION_OBJECTS, RESULT_CLASSES
from dashboard.metrics.query import Query, count_rows, frame, paged, rows, scope_where

APPLICATION_FLAGS = A.FLAGS  # rule id → what it flags, in words (RA1 … RA5)
LEDGER_FLAGS = A.PROJECT_FLAGS  # the flags a ledger row can carry; the list filter takes one of them or "any"
NO_CLASS = "未填写"  # the result-class count of objects without one


# ---- the counted grade and the application of a project-year ----------------------------------------------

def _counted_grade(q: Query, project_id):
    """The project's counted grade (A.counted: its most independent evaluation, re-graded from its score by the
    rules' bands), as a scalar subquery correlated on `project_id` (NULL without an evaluation)."""
    e2 = aliased(E, name="counted_evaluation")
    return (select(RS.grade(e2.score, e2.grade, q.rules)).where(e2.project_id == project_id)
            .order_by(A.kind_priority_sql(e2.kind), e2.id).limit(1).scalar_subquery())


# (kind priority, evaluation id) as one number, so that MIN finds the most independent evaluation in one pass
_KEY = 10**12  # evaluation ids stay far below it


def _applied(year: int, name: str):
    """Subquery, per project evaluated in `year`: the id of its counted evaluation (A.counted) and of the most
    independent evaluation filling in each of 结果应用, 下年预算调整 and 结果应用类别 (A.application); NULL where none."""
    big = literal(_KEY, BigInteger)  # a 64-bit literal: PostgreSQL would otherwise type it as a 32-bit integer
    key = cast(A.kind_priority_sql(E.kind), BigInteger) * big + E.id

    def first(filled):
        return func.min(case((filled, key), else_=None)) % big

    return (select(E.project_id, (func.min(key) % big).label("counted_id"),
                   first(A.text_filled_sql(E.result_application)).label("text_id"),
                   first(E.next_year_budget_change.is_not(None)).label("change_id"),
                   first(E.result_class.is_not(None)).label("class_id"))
            .where(E.year == year, E.project_id.is_not(None)).group_by(E.project_id).subquery(name))


def _linked(year: int, code, q: Query):
    """The project with `code` in `year`, among the projects the viewer may see (an alias, outer-joined)."""
    other = aliased(P, name=f"linked_{'next' if year > q.scope.year else 'prev'}")
    on = and_(other.code == code, other.year == year)
    if q.scope.limit:
        on = and_(on, other.department_id.in_(q.scope.limit))
    return other, on


def _ledger_columns(q: Query):
    """(select of every evaluated project of the scope with its figures and flags, the flag expressions as 0/1, the
    number of flags, the size of the budget change, the inner query's columns). Each project's figures come from an
    inner query joining the projects to their evaluations of the year (and the year before) once; the flags read it."""
    y = q.scope.year
    prev, prev_on = _linked(y - 1, P.code, q)
    nxt, next_on = _linked(y + 1, P.code, q)
    budget = RS.budget_base(P.adjusted_budget, P.initial_budget)
    next_budget = RS.budget_base(nxt.adjusted_budget, nxt.initial_budget)
    now, before = _applied(y, "applied_now"), _applied(y - 1, "applied_before")
    counted, counted_before = aliased(E, name="counted_now"), aliased(E, name="counted_before")
    text_of, change_of, class_of = (aliased(E, name=n) for n in ("text_of", "change_of", "class_of"))
    base = (
        select(
            P.id.label("project_id"), P.year, P.code, P.name, P.department_id, D.name.label("department"),
            U.name.label("unit"), RS.grade(counted_before.score, counted_before.grade, q.rules).label("previous_grade"),
            RS.grade(counted.score, counted.grade, q.rules).label("grade"), budget.label("budget"),
            next_budget.label("next_budget"), change_of.next_year_budget_change,
            text_of.result_application, class_of.result_class,
        )
        .join(now, now.c.project_id == P.id)  # evaluated in the year
        .join(counted, counted.id == now.c.counted_id)
        .outerjoin(text_of, text_of.id == now.c.text_id)
        .outerjoin(change_of, change_of.id == now.c.change_id)
        .outerjoin(class_of, class_of.id == now.c.class_id)
        .join(D, D.id == P.department_id)
        .outerjoin(U, U.id == P.unit_id)
        .outerjoin(prev, prev_on)
        .outerjoin(before, before.c.project_id == prev.id)
        .outerjoin(counted_before, counted_before.id == before.c.counted_id)
        .outerjoin(nxt, next_on)
        .where(*scope_where(P, q.scope))
        .subquery("ledger_base")
    )
    c = base.c
    flags = {
        "RA1": A.consecutive_poor_sql(c.grade, c.previous_grade),
        "RA2": A.poor_budget_up_sql(c.grade, c.budget, c.next_budget, c.next_year_budget_change),
        "RA3": A.no_application_sql(c.result_application, c.next_year_budget_change, c.result_class),
    }
    flag_ints = {k: case((v, 1), else_=0) for k, v in flags.items()}
    n_flags = flag_ints["RA1"] + flag_ints["RA2"] + flag_ints["RA3"]
    budget_change = c.next_budget - c.budget
    stmt = select(
        c.project_id, c.year, c.code, c.name, c.department_id, c.department, c.unit, c.previous_grade, c.grade,
        c.budget, c.next_budget, budget_change.label("budget_change"), c.next_year_budget_change,
        c.result_application, c.result_class, *(v.label(k.lower()) for k, v in flag_ints.items()),
        n_flags.label("flag_count"),
    )
    size = func.abs(func.coalesce(budget_change, c.next_year_budget_change, literal(0.0)))
    return stmt, flag_ints, n_flags, size, c


def _ledger(q: Query, flag: str | None):
    stmt, flag_ints, n_flags, size, c = _ledger_columns(q)
    if flag == "any":
        stmt = stmt.where(n_flags > 0)
    elif flag in flag_ints:
        stmt = stmt.where(flag_ints[flag] == 1)
    elif flag:
        raise ValueError(f"unknown flag {flag!r}: one of {', '.join(LEDGER_FLAGS)} or 'any'")
    return stmt.order_by(n_flags.desc(), size.desc(), c.project_id)


def _history(q: Query, codes: list[str]) -> dict[str, list[tuple[int, str | None]]]:
    """code → [(year, counted grade or None), …] of every year the code has a project the viewer may see."""
    if not codes:
        return {}
    limit = (P.department_id.in_(q.scope.limit),) if q.scope.limit else ()
    out: dict[str, list] = {}
    for i in range(0, len(codes), 5000):
        part = codes[i:i + 5000]
        for code, year, grade in rows(q.url, select(P.code, P.year, _counted_grade(q, P.id))
                                      .where(P.code.in_(part), *limit).order_by(P.code, P.year)):
            out.setdefault(code, []).append((int(year), grade))
    return out


def grade_history_text(history: list[tuple[int, str | None]]) -> str:
    """"2022 良 → 2023 中 → 2024 差": each year's counted grade, — for a year without an evaluation."""
    return " → ".join(f"{y} {g or '—'}" for y, g in history)


def flag_text(row) -> str:
    """The flags of a ledger row in words: "RA1 连续两年中或差；RA3 …", "" without one."""
    return "；".join(f"{k} {A.FLAGS[k]}" for k in LEDGER_FLAGS if int(row[k.lower()] or 0))


def application_ledger(q: Query, flag: str | None = None, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """结果应用台账: every evaluated project of the scope (or only those with `flag`: "RA1", "RA2", "RA3", or "any"),
    most flags first, then the largest budget change (next year's budget − this year's, else 下年预算调整).

    Columns: project_id, year, code, name, department, unit, grade_history ("2023 中 → 2024 差"), previous_grade,
    grade, budget, next_budget, budget_change, next_year_budget_change, result_application, result_class,
    ra1/ra2/ra3 (0/1), flag_count, flags (in words). Every row when limit is None, else one page."""
    df = frame(q.url, paged(_ledger(q, flag), limit, offset))
    history = _history(q, sorted({c for c in df["code"] if isinstance(c, str)}))
    df = df.drop(columns=["department_id"])
    df.insert(6, "grade_history", [
        grade_history_text(history.get(code) or [(year, grade)]) if isinstance(code, str) else
        grade_history_text([(year, grade)]) for code, year, grade in zip(df["code"], df["year"], df["grade"])])
    for k in ("ra1", "ra2", "ra3", "flag_count"):
        df[k] = df[k].astype(int)
    df["flags"] = [flag_text(r) for _, r in df.iterrows()] if len(df) else pd.Series(dtype=str)
    return df


def application_ledger_count(q: Query, flag: str | None = None) -> int:
    """How many rows application_ledger(q, flag) has in all."""
    return count_rows(q.url, _ledger(q, flag))


def ledger_totals(q: Query) -> dict:
    """{"evaluated": projects in the ledger, "flagged": with any flag, "RA1": N, "RA2": N, "RA3": N}."""
    sub = _ledger_columns(q)[0].subquery()
    total, flagged, *per = rows(q.url, select(
        func.count(), func.coalesce(func.sum(case((sub.c.flag_count > 0, 1), else_=0)), 0),
        *(func.coalesce(func.sum(sub.c[k.lower()]), 0) for k in LEDGER_FLAGS)))[0]
    return {"evaluated": int(total), "flagged": int(flagged), **{k: int(v) for k, v in zip(LEDGER_FLAGS, per)}}


# ---- policies ----------------------------------------------------------------------------------------------

def _policy_conditions(q: Query) -> list:
    """Policy evaluations of the scope's departments (and fund source) in the scope's year or before: the year
    condition of scope_where (its first) widened to every earlier year, to find each policy's last evaluation."""
    conds = scope_where(E, q.scope)
    conds[0] = E.year <= q.scope.year
    return [*conds, E.object_type == A.POLICY]


def _policies(q: Query):
    y = q.scope.year
    last = (select(E.object_key, func.max(E.year).label("last_evaluated"),
                   func.max(E.policy_since).label("policy_since"), func.max(E.object_name).label("object_name"),
                   func.max(E.department_id).label("department_id"), func.count(func.distinct(E.year)).label("times"))
            .where(*_policy_conditions(q)).group_by(E.object_key).subquery("policies"))
    e2 = aliased(E, name="policy_evaluation")
    at_last = [e2.object_key == last.c.object_key, e2.year == last.c.last_evaluated, e2.object_type == A.POLICY]
    order = (A.kind_priority_sql(e2.kind), e2.id)
    grade = (select(RS.grade(e2.score, e2.grade, q.rules)).where(*at_last).order_by(*order).limit(1)
             .scalar_subquery())
    klass = (select(e2.result_class).where(*at_last, e2.result_class.is_not(None)).order_by(*order).limit(1)
             .scalar_subquery())
    due = A.policy_due_year_sql(last.c.policy_since, last.c.last_evaluated, q.rules)
    ra4 = A.policy_due_sql(y, last.c.policy_since, last.c.last_evaluated, q.rules)
    ra5 = and_(last.c.last_evaluated == y, A.policy_without_class_sql(literal(A.POLICY), klass))
    overdue = and_(due.is_not(None), due < y)
    stmt = (
        select(
            last.c.object_key, last.c.object_name, last.c.department_id, D.name.label("department"), last.c.policy_since,
            last.c.last_evaluated, last.c.times, grade.label("grade"), klass.label("result_class"),
            due.label("due_year"), case((ra4, 1), else_=0).label("ra4"), case((ra5, 1), else_=0).label("ra5"),
            case((overdue, 1), else_=0).label("overdue"),
        )
        .join(D, D.id == last.c.department_id)
    )
    return stmt, ra4, ra5, overdue, due


def policy_status(row, year: int) -> str:
    """A policy's state in words: 已逾期 / 本年应评价 / 本年已评价 / 未到期 / 缺政策出台年度."""
    if pd.isna(row["policy_since"]):
        return "缺政策出台年度"
    if int(row["overdue"]):
        return "已逾期"
    if int(row["ra4"]):
        return "本年应评价"
    if int(row["last_evaluated"]) == year:
        return "本年已评价"
    return "未到期"


def policy_list(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Every policy (evaluation object 政策) evaluated in the scope's year or before, by its department: policy
    since, last evaluation (year, grade, result class), due year (RA4, A.policy_due_year), policy_status, flags;
    overdue first, then due this year, then RA5, then by due year. Every row when limit is None, else one page."""
    stmt, ra4, ra5, overdue, due = _policies(q)
    stmt = stmt.order_by(case((overdue, 0), (ra4, 1), (ra5, 2), else_=3), due.asc().nulls_last(),
                         stmt.selected_columns.object_name, stmt.selected_columns.object_key)
    df = frame(q.url, paged(stmt, limit, offset))
    for k in ("ra4", "ra5", "overdue", "times"):
        df[k] = df[k].astype(int)
    for k in ("policy_since", "last_evaluated", "due_year"):  # years, blank where unknown (never 2022.0)
        df[k] = pd.Series([None if pd.isna(v) else int(v) for v in df[k]], index=df.index, dtype=object)
    df["policy_status"] = [policy_status(r, q.scope.year) for _, r in df.iterrows()] if len(df) else pd.Series(dtype=str)
    df["flags"] = ["；".join(f"{k} {A.FLAGS[k]}" for k in ("RA4", "RA5") if int(r[k.lower()]))
                   for _, r in df.iterrows()] if len(df) else pd.Series(dtype=str)
    return df


def policy_count(q: Query) -> int:
    return count_rows(q.url, _policies(q)[0])


def policy_totals(q: Query) -> dict:
    """{"policies": N, "due": N (RA4: due this year or overdue), "overdue": N, "no_class": N (RA5)}."""
    sub = _policies(q)[0].subquery()
    n, due, overdue, no_class = rows(q.url, select(func.count(), *(func.coalesce(func.sum(sub.c[k]), 0)
                                                                    for k in ("ra4", "overdue", "ra5"))))[0]
    return {"policies": int(n), "due": int(due), "overdue": int(overdue), "no_class": int(no_class)}


# ---- result classes -------------------------------------------------------------------------------------------

def result_classes(q: Query) -> pd.DataFrame:
    """The four result classes counted per evaluation object type: each object evaluated in the scope's year
    (a project, a department's whole spending, a policy) once, with the class of its most independent
    evaluation that gives one (NO_CLASS where none does). Columns: object_type, 整体退出 … 继续实施, 未填写, objects."""
    big = literal(_KEY, BigInteger)
    key = cast(A.kind_priority_sql(E.kind), BigInteger) * big + E.id
    objects = (select(E.object_type, (func.min(case((E.result_class.is_not(None), key), else_=None)) % big)
                      .label("class_id"))
               .where(*scope_where(E, q.scope)).group_by(E.object_type, E.object_key).subquery("evaluated_objects"))
    with_class = aliased(E, name="class_of")
    counts = frame(q.url, select(objects.c.object_type, with_class.result_class, func.count().label("n"))
                   .outerjoin(with_class, with_class.id == objects.c.class_id)
                   .group_by(objects.c.object_type, with_class.result_class))
    cols = ["object_type", *RESULT_CLASSES, NO_CLASS, "objects"]
    out = []
    for otype in EVALUATION_OBJECTS:
        mine = counts[counts["object_type"] == otype]
        if mine.empty:
            continue
        by = {(NO_CLASS if pd.isna(c) else c): int(n) for c, n in zip(mine["result_class"], mine["n"])}
        out.append({"object_type": otype, **{c: by.get(c, 0) for c in (*RESULT_CLASSES, NO_CLASS)},
                    "objects": sum(by.values())})
    return pd.DataFrame(out, columns=cols)


# ---- the summary and the brief -------------------------------------------------------------------------------

def result_application_summary(q: Query) -> dict:
    """`summary --json` "result_application": {"consecutive_poor": RA1 projects, "poor_budget_up": RA2 projects,
    "no_application": RA3 projects, "policies_due": RA4 policies (due this year or overdue)}."""
    t = ledger_totals(q)
    return {"consecutive_poor": t["RA1"], "poor_budget_up": t["RA2"], "no_application": t["RA3"],
            "policies_due": policy_totals(q)["due"]}


def application_flags_by_department(q: Query, names: int = 3) -> pd.DataFrame:
    """Per department and flag (RA1–RA5) of the scope: how many projects (RA1–RA3) or policies (RA4, RA5) carry it
    and the names of the first `names` of them in the ledger's order (most concern first) — what the brief asks
    about. Columns: department_id, department, rule, label, count, names (list of str). Departments and rules
    without a flag have no row."""
    ledger = frame(q.url, _ledger(q, "any"))
    policies = policy_list(q)
    out = []
    for rule in LEDGER_FLAGS:
        hit = ledger[ledger[rule.lower()] == 1]
        for dept_id, g in hit.groupby("department_id", sort=False):
            out.append({"department_id": int(dept_id), "department": g["department"].iloc[0], "rule": rule,
                        "label": A.FLAGS[rule], "count": len(g), "names": g["name"].head(names).tolist()})
    for rule in ("RA4", "RA5"):
        hit = policies[policies[rule.lower()] == 1]
        for dept_id, g in hit.groupby("department_id", sort=False):
            out.append({"department_id": int(dept_id), "department": g["department"].iloc[0], "rule": rule,
                        "label": A.FLAGS[rule], "count": len(g), "names": g["object_name"].head(names).tolist()})
    df = pd.DataFrame(out, columns=["department_id", "department", "rule", "label", "count", "names"])
    return df.sort_values(["department", "rule"], kind="stable").reset_index(drop=True)


__all__ = ["APPLICATION_FLAGS", "application_flags_by_department", "application_ledger", "application_ledger_count",
           "ledger_totals", "policy_count", "policy_list", "policy_totals", "result_application_summary",
           "result_classes"]
