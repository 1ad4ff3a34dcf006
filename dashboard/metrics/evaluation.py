"""Evaluation figures: grade mixes and the 优良率, the evaluation list, self-evaluation inflation and result application."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, func, select

from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import Evaluation as E
from dashboard.core.models import Project as P
from dashboard.core.models import ProjectFacts as PF
from dashboard.core.models import Unit as U
from dashboard.core.vocab import EVALUATION_KINDS, GRADES
from dashboard.metrics.aggregates import dept_evaluations, has_inflation_pair, inflation_flagged
from dashboard.metrics.query import Query, count_rows, frame, many, paged, rows, scope_where, with_names

GOOD_GRADES = GRADES[:2]  # 优 良: the grades the 优良率 counts


def _grade_pivot(df: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    cols = index + list(GRADES) + ["count", "avg_score"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    wide = df.pivot_table(index=index, columns="grade", values="n", aggfunc="sum", fill_value=0)
    for g in GRADES:
        if g not in wide.columns:
            wide[g] = 0
    agg = df.groupby(index).agg(count=("n", "sum"), score_sum=("score_sum", "sum"), scored=("scored", "sum"))
    out = wide[list(GRADES)].join(agg).reset_index()
    out.columns.name = None
    out["avg_score"] = (out["score_sum"] / out["scored"]).where(out["scored"] > 0)
    return out[cols]


def grade_mix_by_department(q: Query) -> pd.DataFrame:
    out = _grade_pivot(dept_evaluations(q), ["department_id"])
    return with_names(q, out).sort_values("department").reset_index(drop=True)


def good_share(evaluations: dict) -> float | None:
    """优良率: evaluations graded 优 or 良 ÷ every evaluation record, from a grade mix such as
    `kpis(q)["evaluations"]` or summary's "evaluations" (keys "grades" and "count"); None without a record."""
    n = int(evaluations["count"] or 0)
    if not n:
        return None
    return sum(int(evaluations["grades"].get(g) or 0) for g in GOOD_GRADES) / n


def grade_mix_by_kind(q: Query) -> pd.DataFrame:
    out = _grade_pivot(dept_evaluations(q), ["kind"])
    order = {k: i for i, k in enumerate(EVALUATION_KINDS)}
    return out.sort_values("kind", key=lambda s: s.map(order)).reset_index(drop=True)


def _evaluations(q: Query, kinds) -> object:
    conds = scope_where(E, q.scope)
    if many(kinds):
        conds.append(E.kind.in_(many(kinds)))
    return (
        select(
            E.id.label("evaluation_id"), E.project_id, E.kind, E.object_type,
            func.coalesce(P.name, E.object_name).label("object_name"), D.name.label("department"),
            U.name.label("unit"), P.code, E.fund_amount, E.score, RS.grade(E.score, E.grade, q.rules).label("grade"),
            E.evaluator, E.deputies_participated, E.main_problems, E.result_application,
            E.next_year_budget_change,
        )
        .join(D, D.id == E.department_id)
        .outerjoin(P, P.id == E.project_id)
        .outerjoin(U, U.id == E.unit_id)
        .where(*conds)
        .order_by(E.score.asc().nulls_last(), E.id)
    )


def evaluation_list(q: Query, kind=None, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Evaluation records (of one kind or several), lowest score first (what deputies look at).
    Every one when limit is None, else one page."""
    return frame(q.url, paged(_evaluations(q, kind), limit, offset))


def evaluation_count(q: Query, kind=None) -> int:
    """How many records evaluation_list(q, kind) has in all."""
    return count_rows(q.url, _evaluations(q, kind))


def _inflation(q: Query):
    gap = RS.inflation_gap(PF.self_score, PF.independent_score)
    flagged = inflation_flagged(q.rules)
    return (
        select(
            PF.project_id, P.code, P.name, D.name.label("department"), PF.self_score.label("self_score"),
            PF.independent_score, PF.independent_kind, gap.label("gap"),
            RS.grade(PF.self_score, PF.self_grade, q.rules).label("self_grade"),
            RS.grade(PF.independent_score, PF.independent_grade, q.rules).label("independent_grade"),
            flagged.label("flagged"),
        )
        .join(P, P.id == PF.project_id)
        .join(D, D.id == PF.department_id)
        .where(*scope_where(PF, q.scope), has_inflation_pair())
        .order_by(case((flagged, 0), else_=1), gap.desc().nulls_last(), PF.project_id)
    )


def inflation_list(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Self-evaluation vs independent score for projects that have both (R.self_evaluation_inflation),
    flagged ones first, then by gap. The independent one is 抽查复核 where there is one, else 财政重点评价.
    Every one when limit is None, else one page."""
    df = frame(q.url, paged(_inflation(q), limit, offset))
    df["flagged"] = df["flagged"].astype(bool)
    return df


def inflation_count(q: Query) -> tuple[int, int]:
    """(projects with both a self and an independent evaluation, how many of them are flagged)."""
    sub = _inflation(q).order_by(None).subquery()
    n, flagged = rows(q.url, select(func.count(), func.coalesce(func.sum(case((sub.c.flagged, 1), else_=0)), 0))
                      .select_from(sub))[0]
    return int(n), int(flagged)


def inflation_total(q: Query) -> int:
    return count_rows(q.url, _inflation(q))


def result_application(q: Query) -> pd.DataFrame:
    """结果应用: per grade, how many evaluations and the next year's budget change (万元) they led to."""
    grade = RS.grade(E.score, E.grade, q.rules)
    change = E.next_year_budget_change
    stmt = (
        select(
            grade.label("grade"), func.count().label("evaluations"),
            func.coalesce(func.sum(change), 0.0).label("budget_change_total"),
            func.sum(case((change < 0, 1), else_=0)).label("cut"),
            func.sum(case((change > 0, 1), else_=0)).label("increased"),
        )
        .where(*scope_where(E, q.scope), grade.is_not(None))
        .group_by(grade)
    )
    df = frame(q.url, stmt)
    order = {g: i for i, g in enumerate(GRADES)}
    return df.sort_values("grade", key=lambda s: s.map(order)).reset_index(drop=True)
