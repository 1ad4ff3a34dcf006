"""Performance-indicator figures (绩效指标), in SQL: how many of a scope's indicators are 已完成 / 未完成 / 无法判断
(each project counted once, at its most advanced stage), the unmet and at-risk lists, met shares and target
quality by 主管部门, one project's indicators stage by stage, and how far indicators landed from their targets (偏离度,
issue 25: dashboard.core.quality.distance_from_target in SQL as dashboard.core.quality_sql, binned per department
and 一级指标 family).

The 已完成 rule is dashboard.core.rules.indicator_status, run in SQL as dashboard.core.rules_sql.indicator_status_row.
Which stage counts: vocab.STAGE_RANK (评价 over 自评 over 监控 over 申报). Target quality looks at the targets
as first stated (the project's least advanced stage, normally 申报).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, select

from dashboard.core import quality as Qy
from dashboard.core import quality_sql as QS
from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import Indicator as I
from dashboard.core.models import Project as P
from dashboard.core.vocab import (
    LEVEL1_OUTCOME,
    LEVEL1_OUTPUT,
    LEVEL1_SATISFACTION,
    LIKELIHOODS,
    MET,
    NOT_MET,
    STAGE_MONITORING,
    STAGE_RANK,
    STAGES,
    UNKNOWN,
)
from dashboard.metrics.query import Query, count_rows, frame, paged, rows, scope_where, with_names

IT = I.__table__
STATUS = RS.indicator_status_row(IT.c)
RANK = case(*[(I.stage == s, literal(r)) for s, r in STAGE_RANK.items()], else_=literal(-1))
# the reported value the rule judges: 全年预计完成 at 监控, 实际完成值 otherwise
ACTUAL = RS.indicator_actual(I.stage, I.actual_text, I.expected_text)


def _stage_of_projects(q: Query, pick=func.max):
    """(project_id, rank) of each project in scope with indicators: its most advanced stage (or least, with min)."""
    return (select(I.project_id.label("project_id"), pick(RANK).label("rank"))
            .join(P, P.id == I.project_id)
            .where(*scope_where(P, q.scope))
            .group_by(I.project_id)
            .subquery())


def _counted(q: Query, pick=func.max):
    """The join that keeps, for each project in scope, only its indicators of the chosen stage."""
    best = _stage_of_projects(q, pick)
    return best, and_(best.c.project_id == I.project_id, RANK == best.c.rank)


def indicator_totals(q: Query) -> dict:
    """{"count", "met", "not_met", "unknown"} of the scope's indicators, each project's at its most advanced stage."""
    best, on = _counted(q)
    stmt = select(STATUS.label("status"), func.count()).select_from(IT).join(best, on).group_by(STATUS)
    got = {s: int(n) for s, n in rows(q.url, stmt)}
    return {"count": sum(got.values()), "met": got.get(MET, 0), "not_met": got.get(NOT_MET, 0),
            "unknown": got.get(UNKNOWN, 0)}


def _listed(q: Query, where, order):
    best, on = _counted(q)
    return (select(P.id.label("project_id"), D.name.label("department"), P.name.label("project"),
                   I.stage, I.level1, I.level2, I.name.label("indicator"), I.target_text, I.current_text,
                   ACTUAL.label("actual_text"), STATUS.label("indicator_status"), I.deviation_reason, I.likelihood)
            .select_from(IT).join(best, on).join(P, P.id == I.project_id).join(D, D.id == P.department_id)
            .where(where).order_by(*order, I.id))


def _unmet(q: Query):
    return _listed(q, STATUS == NOT_MET, (D.name, P.name))


def unmet_indicators(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Indicators judged 未完成 (at each project's most advanced stage), by department and project."""
    return frame(q.url, paged(_unmet(q), limit, offset))


def unmet_indicators_count(q: Query) -> int:
    return count_rows(q.url, _unmet(q))


_RISK = {v: i for i, v in enumerate(reversed(LIKELIHOODS))}  # 完全不可能 first


def _at_risk(q: Query):
    risky = (LIKELIHOODS[2], LIKELIHOODS[1])  # 完全不可能, 有可能
    order = case(*[(I.likelihood == v, literal(i)) for v, i in _RISK.items()], else_=literal(9))
    return (select(P.id.label("project_id"), D.name.label("department"), P.name.label("project"), I.as_of,
                   I.level1, I.name.label("indicator"), I.target_text, I.current_text, I.expected_text, I.likelihood,
                   I.deviation_reason)
            .join(P, P.id == I.project_id).join(D, D.id == P.department_id)
            .where(*scope_where(P, q.scope), I.stage == STAGE_MONITORING, I.likelihood.in_(risky))
            .order_by(order, D.name, P.name, I.id))


def risky_indicators(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Monitoring indicators reported 完全不可能 or 有可能 (完全不可能 first)."""
    return frame(q.url, paged(_at_risk(q), limit, offset))


def risky_indicators_count(q: Query) -> int:
    return count_rows(q.url, _at_risk(q))


def indicators_by_department(q: Query) -> pd.DataFrame:
    """Per 主管部门: projects with indicators, indicators counted, 已完成 / 未完成 / 无法判断 and the share met."""
    best, on = _counted(q)
    stmt = (select(P.department_id, func.count(func.distinct(I.project_id)).label("projects"),
                   func.count().label("indicator_count"),
                   func.sum(case((STATUS == MET, 1), else_=0)).label("met"),
                   func.sum(case((STATUS == NOT_MET, 1), else_=0)).label("not_met"),
                   func.sum(case((STATUS == UNKNOWN, 1), else_=0)).label("unknown"))
            .select_from(IT).join(best, on).join(P, P.id == I.project_id)
            .group_by(P.department_id))
    df = frame(q.url, stmt, ["department_id", "projects", "indicator_count", "met", "not_met", "unknown"])
    df["met_share"] = (df["met"] / df["indicator_count"]).where(df["indicator_count"] > 0)
    return with_names(q, df).sort_values(["met_share", "department"], na_position="last").reset_index(drop=True)


def project_indicators(q: Query, project_id: int) -> pd.DataFrame:
    """One project's indicators stage by stage (申报, 监控, 自评, 评价), in the order they were written; none for a
    project outside the viewer's department limit (q.scope.limit), as for its card."""
    stage_order = case(*[(I.stage == s, literal(i)) for i, s in enumerate(STAGES)], else_=literal(9))
    limit = ((I.project_id.in_(select(P.id).where(P.department_id.in_(q.scope.limit))),)
             if q.scope.limit else ())
    stmt = (select(I.stage, I.as_of, I.level1, I.level2, I.name.label("indicator"), I.target_text, I.current_text,
                   ACTUAL.label("actual_text"), STATUS.label("indicator_status"), I.weight, I.score,
                   I.deviation_reason, I.likelihood)
            .where(I.project_id == int(project_id), *limit).order_by(stage_order, I.id))
    return frame(q.url, stmt)


# --- target quality (the completeness part of 绩效目标复审) ---------------------------------------------

def _like(col, word: str):
    return col.like(f"%{word.replace('指标', '')}%")


def _quality(q: Query):
    """Per project with indicators: its targets as first stated, checked for 产出 and 效益 indicators, 满意度,
    and each target quantified (a number with a unit; the comparator written, or "=" for a bare number)."""
    first, on = _counted(q, func.min)
    quantified = and_(I.target_value.is_not(None), I.target_unit.is_not(None))
    satisfaction = or_(_like(I.level1, LEVEL1_SATISFACTION), _like(I.level2, LEVEL1_SATISFACTION))
    has = lambda cond: func.max(case((cond, 1), else_=0))
    sub = (select(I.project_id.label("project_id"), func.count().label("indicators"),
                  has(_like(I.level1, LEVEL1_OUTPUT)).label("has_output"),
                  has(_like(I.level1, LEVEL1_OUTCOME)).label("has_outcome"),
                  has(satisfaction).label("has_satisfaction"),
                  func.sum(case((quantified, 0), else_=1)).label("unquantified"))
           .select_from(IT).join(first, on).group_by(I.project_id).subquery())
    complete = and_(sub.c.has_output == 1, sub.c.has_outcome == 1, sub.c.has_satisfaction == 1,
                    sub.c.unquantified == 0)
    return sub, complete


def target_quality(q: Query, limit: int | None = None, offset: int = 0, incomplete_only: bool = True) -> pd.DataFrame:
    """Projects whose targets miss 产出 / 效益 / 满意度 indicators or have unquantified targets (all with
    incomplete_only=False), largest budget first."""
    return frame(q.url, paged(_quality_list(q, incomplete_only), limit, offset))


def _quality_list(q: Query, incomplete_only: bool = True):
    sub, complete = _quality(q)
    budget = RS.budget_base(P.adjusted_budget, P.initial_budget)
    stmt = (select(P.id.label("project_id"), D.name.label("department"), P.name.label("project"),
                   budget.label("budget"), sub.c.indicators, sub.c.has_output, sub.c.has_outcome,
                   sub.c.has_satisfaction, sub.c.unquantified,
                   case((complete, True), else_=False).label("complete"))
            .join(P, P.id == sub.c.project_id).join(D, D.id == P.department_id))
    if incomplete_only:
        stmt = stmt.where(~complete)
    return stmt.order_by(budget.desc().nulls_last(), P.id)


def target_quality_count(q: Query, incomplete_only: bool = True) -> int:
    return count_rows(q.url, _quality_list(q, incomplete_only))


def target_quality_by_department(q: Query) -> pd.DataFrame:
    """Per 主管部门: projects with indicators, how many have complete targets (and the share), and how many
    lack 产出, 效益 or 满意度 indicators (no_output, no_outcome, no_satisfaction) or have an unquantified target
    (unquantified_projects)."""
    sub, complete = _quality(q)
    stmt = (select(P.department_id, func.count().label("projects"),
                   func.sum(case((complete, 1), else_=0)).label("complete_projects"),
                   func.sum(case((sub.c.has_output == 0, 1), else_=0)).label("no_output"),
                   func.sum(case((sub.c.has_outcome == 0, 1), else_=0)).label("no_outcome"),
                   func.sum(case((sub.c.has_satisfaction == 0, 1), else_=0)).label("no_satisfaction"),
                   func.sum(case((sub.c.unquantified > 0, 1), else_=0)).label("unquantified_projects"))
            .join(P, P.id == sub.c.project_id).group_by(P.department_id))
    df = frame(q.url, stmt, ["department_id", "projects", "complete_projects", "no_output", "no_outcome",
                             "no_satisfaction", "unquantified_projects"])
    df["complete_share"] = (df["complete_projects"] / df["projects"]).where(df["projects"] > 0)
    return with_names(q, df).sort_values("department").reset_index(drop=True)


# --- distance from target (issue 25 item 5) -------------------------------------------------------------

def _distance_parts():
    """(family, exclusion, bin) of each indicator at its project's most advanced stage (quality_sql mirrors of
    dashboard.core.quality.family / distance_from_target / distance_bin)."""
    excl = QS.distance_exclusion(I.stage, I.comparator, I.target_value, I.target_unit, I.actual_value, I.actual_unit,
                                 I.actual_text)
    d = QS.distance(I.comparator, I.target_value, I.actual_value)
    return QS.family(I.level1), excl, case((excl.is_(None), QS.distance_bin(d)), else_=None)


def distance_counts(q: Query) -> pd.DataFrame:
    """Indicators counted per 主管部门, 一级指标 family, reason left out (None: shown) and 10-point bin, in SQL."""
    best, on = _counted(q)
    fam, excl, bin_ = _distance_parts()
    stmt = (select(P.department_id, fam.label("family"), excl.label("exclusion"), bin_.label("bin"),
                   func.count().label("indicators"))
            .select_from(IT).join(best, on).join(P, P.id == I.project_id)
            .group_by(P.department_id, fam, excl, bin_))
    return frame(q.url, stmt, ["department_id", "family", "exclusion", "bin", "indicators"])


def distance_histogram(q: Query, department_id: int | None = None, family: str | None = None) -> dict:
    """How far the scope's indicators (of one department and 一级指标 family, or all) landed from their targets:
    {"bins": [(bin, label, indicators) × 20], "total": Y, "shown": X, "excluded": {reason: N}} (docs/rules.md
    偏离度; each project's indicators at its most advanced stage)."""
    df = distance_counts(q)
    if department_id is not None:
        df = df[df["department_id"] == int(department_id)]
    if family:
        df = df[df["family"] == family]
    shown = df[df["exclusion"].isna()]
    per_bin = shown.groupby("bin")["indicators"].sum() if len(shown) else pd.Series(dtype=int)
    bins = [(k, Qy.bin_label(k), int(per_bin.get(k, 0))) for k in Qy.BINS]
    excluded = {e: int(df.loc[df["exclusion"] == e, "indicators"].sum()) for e in Qy.EXCLUSIONS}
    return {"bins": bins, "total": int(df["indicators"].sum()), "shown": int(shown["indicators"].sum()),
            "excluded": {e: n for e, n in excluded.items() if n}}


def distance_by_department(q: Query, family: str | None = None) -> pd.DataFrame:
    """Per 主管部门: indicators, those in the histogram, how many landed below target (distance < 0) and how many at
    or above it, and the share below."""
    df = distance_counts(q)
    if family:
        df = df[df["family"] == family]
    shown = df[df["exclusion"].isna()]
    out = pd.DataFrame({
        "indicator_count": df.groupby("department_id")["indicators"].sum(),
        "shown": shown.groupby("department_id")["indicators"].sum(),
        "below_target": shown[shown["bin"] < 0].groupby("department_id")["indicators"].sum(),
        "reached_target": shown[shown["bin"] >= 0].groupby("department_id")["indicators"].sum(),
    }).fillna(0).astype(int).reset_index().rename(columns={"index": "department_id"})
    out["below_share"] = (out["below_target"] / out["shown"]).where(out["shown"] > 0)
    return with_names(q, out).sort_values(["below_share", "department"], ascending=[False, True],
                                          na_position="last").reset_index(drop=True)
