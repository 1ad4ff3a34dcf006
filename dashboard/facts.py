"""The derived `project_facts` table: each project with its latest monitoring figures, rebuilt when data changes.

Page aggregates scan this one narrow table instead of joining projects, monitoring and evaluations on
every request. It is a materialised view keyed on the data version: the first read after an import,
undo or demo load rebuilds it (one INSERT … SELECT), every later read uses it as it is.
"""

from __future__ import annotations

from sqlalchemy import and_, case, delete, exists, false, func, insert, literal, select
from sqlalchemy.orm import aliased

from dashboard.db import get_engine, session_scope
from dashboard.models import Evaluation, Meta, MonitoringRecord, Project, ProjectFacts
from dashboard.rules import time_progress

FACTS_KEY = "facts_version"


def _time_progress_case(dates, as_of):
    """序时进度 (percent) of each record, from rules.time_progress per distinct date, as a SQL CASE."""
    if not dates:
        return literal(None)
    return case(*[(as_of == d, literal(time_progress(d) * 100)) for d in dates], else_=None)


def _rebuild_statement(dates):
    p, m, e = Project, MonitoringRecord, Evaluation
    evaluated = exists().where(and_(e.project_id == p.id, e.year == p.year))

    def of_kind(kind):  # a project has at most one evaluation of each kind a year (uq_evaluations_key)
        a = aliased(Evaluation)
        return a, and_(a.project_id == p.id, a.year == p.year, a.kind == kind)

    s_, s_on = of_kind("单位自评")
    r_, r_on = of_kind("抽查复核")
    k_, k_on = of_kind("财政重点评价")
    has_recheck = r_.id.is_not(None)
    base = func.coalesce(m.adjusted_budget, p.adjusted_budget, p.initial_budget)
    t = _time_progress_case(dates, m.as_of)
    rate = case((base > 0, m.executed * 100.0 / base), else_=None)
    return insert(ProjectFacts).from_select(
        ["project_id", "year", "department_id", "unit_id", "fund_source", "budget", "has_target", "evaluated",
         "as_of", "executed", "base", "target_progress", "lag", "target_lag", "self_score", "self_grade", "independent_kind",
         "independent_score", "independent_grade"],
        select(
            p.id, p.year, p.department_id, p.unit_id, p.fund_source,
            func.coalesce(p.adjusted_budget, p.initial_budget),
            func.coalesce(p.has_target, false()),
            evaluated,
            m.as_of, m.executed,
            # the execution-rate denominator of the record (rules.budget_base): its own budget, else the project's
            base.label("base"),
            m.target_progress,
            t - rate,
            t - m.target_progress * 100,
            s_.score, s_.grade,
            case((has_recheck, literal("抽查复核")), (k_.id.is_not(None), literal("财政重点评价")), else_=None),
            case((has_recheck, r_.score), else_=k_.score),
            case((has_recheck, r_.grade), else_=k_.grade),
        )
        .outerjoin(m, and_(m.project_id == p.id, m.is_latest.is_(True)))
        .outerjoin(s_, s_on).outerjoin(r_, r_on).outerjoin(k_, k_on),
    )


def ensure_facts(url: str, version: int) -> None:
    """Make project_facts match data version `version` (no-op when it already does)."""
    with get_engine(url).connect() as conn:
        current = conn.execute(select(Meta.value).where(Meta.key == FACTS_KEY)).scalar()
    if current == str(version):
        return
    with session_scope(url) as s:
        row = s.execute(select(Meta).where(Meta.key == FACTS_KEY).with_for_update()).scalar_one_or_none()
        if row is not None and row.value == str(version):
            return  # another session rebuilt it meanwhile
        s.execute(delete(ProjectFacts))
        dates = s.execute(select(MonitoringRecord.as_of).distinct().where(MonitoringRecord.is_latest.is_(True)))
        s.execute(_rebuild_statement([d for (d,) in dates]))
        if row is None:
            s.add(Meta(key=FACTS_KEY, value=str(version)))
        else:
            row.value = str(version)
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        # data changed: let SQLite refresh the statistics its planner needs (cheap when nothing is stale)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
