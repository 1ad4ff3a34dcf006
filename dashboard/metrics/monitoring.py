"""Monitoring figures: lights per 主管部门, the warning lists and the execution scatter (R.warning_light in SQL)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, or_, select

from dashboard.core import rules as R
from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import MonitoringRecord as M
from dashboard.core.models import Project as P
from dashboard.core.models import ProjectFacts as PF
from dashboard.core.models import Unit as U
from dashboard.core.vocab import GREEN, GREY, RED, YELLOW
from dashboard.metrics.aggregates import dept_projects, light, rate_pct
from dashboard.metrics.query import Query, count_rows, dates_of, frame, many, paged, scope_where, with_names


def lights_by_department(q: Query) -> pd.DataFrame:
    """Per 主管部门: light counts (grey = with targets, not reported), money-weighted execution rate."""
    cols = ["department_id", "department", "green", "yellow", "red", "grey", "reported", "budget", "executed",
            "execution_rate", "as_of", "time_progress"]
    d = dept_projects(q).reset_index()
    if d.empty:
        return pd.DataFrame(columns=cols)
    df = with_names(q, d[["department_id", GREEN, YELLOW, RED, GREY, "executed", "base", "as_of"]])
    df = df.rename(columns={"base": "budget"})
    df["reported"] = df[GREEN] + df[YELLOW] + df[RED]
    df["execution_rate"] = (df["executed"] / df["budget"]).where(df["budget"] > 0)
    df["time_progress"] = df["as_of"].map(lambda d: R.time_progress(d) if pd.notna(d) and d else None)
    return df[cols].sort_values(["red", "grey", "department"], ascending=[False, False, True]).reset_index(drop=True)


def _warnings(q: Query, lights: tuple[str, ...]):
    lit = light(q)
    lights = many(lights)
    cond = lit.in_(lights)
    if GREY in lights:
        cond = or_(lit.in_([x for x in lights if x != GREY]), and_(lit == GREY, PF.has_target.is_(True)))
    return (
        select(
            PF.project_id, P.code, P.name, D.name.label("department"), U.name.label("unit"),
            PF.as_of, case((PF.as_of.is_(None), PF.budget), else_=PF.base).label("budget"), PF.executed,
            (rate_pct() / 100).label("execution_rate"),
            (RS.time_progress_pct(PF.as_of, dates_of(q)) / 100).label("time_progress"),
            PF.lag, PF.target_progress, PF.target_lag, lit.label("light"),
            M.deviation_reason, M.likelihood,
        )
        .join(P, P.id == PF.project_id)
        .join(D, D.id == PF.department_id)
        .outerjoin(U, U.id == PF.unit_id)
        .outerjoin(M, and_(M.project_id == PF.project_id, M.is_latest.is_(True)))
        .where(*scope_where(PF, q.scope), cond)
        .order_by(PF.lag.desc().nulls_last(), PF.budget.desc(), PF.project_id)
    )


def warning_list(q: Query, lights: tuple[str, ...] = (RED,), limit: int | None = None,
                 offset: int = 0) -> pd.DataFrame:
    """Projects with the given lights, worst lag first; grey rows are projects with targets and no record.
    Every one when limit is None, else one page."""
    return frame(q.url, paged(_warnings(q, lights), limit, offset))


def warning_count(q: Query, lights: tuple[str, ...] = (RED,)) -> int:
    """How many rows warning_list(q, lights) has in all."""
    return count_rows(q.url, _warnings(q, lights))


def execution_scatter(q: Query, limit: int = 2000) -> pd.DataFrame:
    """Execution rate against time progress for the largest reported projects (for the scatter chart)."""
    stmt = (
        select(
            PF.project_id, P.name, D.name.label("department"),
            PF.base.label("budget"), (rate_pct() / 100).label("execution_rate"),
            (RS.time_progress_pct(PF.as_of, dates_of(q)) / 100).label("time_progress"), light(q).label("light"),
        )
        .join(P, P.id == PF.project_id)
        .join(D, D.id == PF.department_id)
        .where(*scope_where(PF, q.scope), rate_pct().is_not(None))
        .order_by(PF.base.desc(), PF.project_id)
        .limit(limit)
    )
    return frame(q.url, stmt)
