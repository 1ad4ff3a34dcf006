"""The derived `project_facts` table: each project with its latest monitoring figures, rebuilt when data changes.

Page aggregates scan this one narrow table instead of joining projects, monitoring and evaluations on
every request. It is a materialised view keyed on the data version: `ensure_facts`, called once per
version by dashboard.metrics.prepare, rebuilds it after an import, undo or demo load (one INSERT … SELECT);
every later read uses it as it is. The rules it applies in SQL come from dashboard.core.rules_sql.
"""

from __future__ import annotations

from sqlalchemy import and_, case, delete, exists, false, func, insert, literal, select, update
from sqlalchemy.orm import aliased

from dashboard.core import rules_sql as RS
from dashboard.core.db import get_engine
from dashboard.core.models import Evaluation, Meta, MonitoringRecord, Project, ProjectFacts
from dashboard.core.vocab import INDEPENDENT_KINDS, SELF_KIND
from dashboard.core.writes import lock_writers

FACTS_KEY = "facts_version"


def _rebuild_statement(dates):
    p, m, e = Project, MonitoringRecord, Evaluation
    evaluated = exists().where(and_(e.project_id == p.id, e.year == p.year))

    def of_kind(kind):  # a project has at most one evaluation of each kind a year (uq_evaluations_key)
        a = aliased(Evaluation)
        return a, and_(a.project_id == p.id, a.year == p.year, a.kind == kind)

    s_, s_on = of_kind(SELF_KIND)
    # the independent evaluation of the inflation check: the first of INDEPENDENT_KINDS the project has
    independents = [of_kind(kind) for kind in INDEPENDENT_KINDS]

    def independent(value):
        return case(*[(a.id.is_not(None), value(a, kind)) for (a, _), kind in zip(independents, INDEPENDENT_KINDS)],
                    else_=None)

    # the execution-rate denominator of the record (rules.budget_base): its own budget, else the project's
    base = RS.budget_base(m.adjusted_budget, RS.budget_base(p.adjusted_budget, p.initial_budget))
    rate = RS.execution_rate_pct(m.executed, base)
    stmt = (
        select(
            p.id, p.year, p.department_id, p.unit_id, p.fund_source,
            RS.budget_base(p.adjusted_budget, p.initial_budget),
            func.coalesce(p.has_target, false()),
            evaluated,
            m.as_of, m.executed,
            base.label("base"),
            m.target_progress,
            RS.lag_points(m.as_of, dates, rate),
            RS.lag_points(m.as_of, dates, m.target_progress * 100),
            s_.score, s_.grade,
            independent(lambda a, kind: literal(kind)),
            independent(lambda a, kind: a.score),
            independent(lambda a, kind: a.grade),
        )
        .outerjoin(m, and_(m.project_id == p.id, m.is_latest.is_(True)))
        .outerjoin(s_, s_on)
    )
    for a, on in independents:
        stmt = stmt.outerjoin(a, on)
    columns = ["project_id", "year", "department_id", "unit_id", "fund_source", "budget", "has_target",
               "evaluated", "as_of", "executed", "base", "target_progress", "lag", "target_lag", "self_score",
               "self_grade", "independent_kind", "independent_score", "independent_grade"]
    return insert(ProjectFacts).from_select(columns, stmt)


def ensure_facts(url: str, version: int) -> None:
    """Make project_facts match data version `version` (no-op when it already does).

    Safe when several app processes (replicas) rebuild at once: the rebuild holds the database's writer
    lock (PostgreSQL; on SQLite its first statement, the DELETE, takes the write lock) and checks the
    version again under it, so a second process finds the work done and rolls its DELETE back.
    """
    engine = get_engine(url)
    with engine.connect() as conn:
        current = conn.execute(select(Meta.value).where(Meta.key == FACTS_KEY)).scalar()
    if current == str(version):
        return
    meta = Meta.__table__
    with engine.connect() as conn, conn.begin() as tx:
        lock_writers(conn)
        conn.execute(delete(ProjectFacts))
        current = conn.execute(select(meta.c.value).where(meta.c.key == FACTS_KEY)).scalar()
        if current == str(version):
            tx.rollback()  # another process rebuilt it meanwhile: keep its rows
            return
        dates = conn.execute(select(MonitoringRecord.as_of).distinct().where(MonitoringRecord.is_latest.is_(True)))
        conn.execute(_rebuild_statement([d for (d,) in dates]))
        if current is None:
            conn.execute(insert(meta), {"key": FACTS_KEY, "value": str(version)})
        else:
            conn.execute(update(meta).where(meta.c.key == FACTS_KEY).values(value=str(version)))
    if engine.dialect.name == "sqlite":
        # data changed: let SQLite refresh the statistics its planner needs (cheap when nothing is stale)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
