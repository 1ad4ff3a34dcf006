"""Rectification figures: findings per 主管部门, the open and overdue lists, age buckets and the closure trend."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, func, null, or_, select

from dashboard.core import rules as R
from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import Finding as F
from dashboard.core.models import Project as P
from dashboard.core.models import Unit as U
from dashboard.core.vocab import FINDING_STATUSES, RECTIFIED
from dashboard.metrics.aggregates import dept_findings
from dashboard.metrics.query import Query, count_rows, frame, many, paged, rows, scope_where, with_names


def findings_by_department(q: Query) -> pd.DataFrame:
    """Per 主管部门: findings by status, overdue on q.today, rectification rate (R.rectification_rate)."""
    cols = ["department_id", "department", *FINDING_STATUSES, "total", "overdue", "rate"]
    df = dept_findings(q)
    if df.empty:
        return pd.DataFrame(columns=cols)
    wide = df.pivot_table(index="department_id", columns="status", values="n", aggfunc="sum", fill_value=0)
    for s in FINDING_STATUSES:
        if s not in wide.columns:
            wide[s] = 0
    out = wide[list(FINDING_STATUSES)].astype(int)
    out["total"] = out.sum(axis=1)
    out["overdue"] = df.groupby("department_id")["overdue"].sum().astype(int)
    out = with_names(q, out.reset_index())
    out.columns.name = None
    out["rate"] = (out[RECTIFIED] / out["total"]).where(out["total"] > 0)
    return out[cols].sort_values("department").reset_index(drop=True)


FINDING_COLUMNS = ["finding_id", "department", "unit", "project", "code", "description", "requirement", "deadline",
                   "status", "days_overdue", "age_bucket", "source", "project_id", "measures"]


def _age_bucket(q: Query):
    """The age bucket of an overdue finding (RS.age_bucket), NULL for one that is not overdue."""
    overdue = RS.is_overdue(F.status, F.deadline, q.today)
    return case((overdue, RS.age_bucket(F.deadline, q.today, q.rules)), else_=null())


def _findings(q: Query, statuses=(), overdue: bool | None = None, buckets=(), open_only: bool = False):
    is_overdue = RS.is_overdue(F.status, F.deadline, q.today)
    bucket = _age_bucket(q)
    conds = list(scope_where(F, q.scope))
    if open_only:
        conds.append(F.status != RECTIFIED)
    if many(statuses):
        conds.append(F.status.in_(many(statuses)))
    if overdue is True:
        conds.append(is_overdue)
    elif overdue is False:
        # the complement of is_overdue, NULL deadlines included (NOT of a NULL comparison would drop them)
        conds.append(or_(F.status == RECTIFIED, F.deadline.is_(None), F.deadline >= q.today))
    if many(buckets):
        conds.append(bucket.in_(many(buckets)))
    order = (F.deadline.nulls_last(), F.id)
    return (
        select(
            F.id.label("finding_id"), D.name.label("department"), U.name.label("unit"),
            P.name.label("project"), P.code, F.description, F.requirement, F.deadline, F.status,
            bucket.label("age_bucket"), F.source, F.project_id, F.measures,
        )
        .join(D, D.id == F.department_id)
        .outerjoin(U, U.id == F.unit_id)
        .outerjoin(P, P.id == F.project_id)
        .where(*conds)
        .order_by(*order)
    )


def _finding_frame(q: Query, stmt) -> pd.DataFrame:
    df = frame(q.url, stmt)
    df["days_overdue"] = [R.days_overdue(s, d, q.today) for s, d in zip(df["status"], df["deadline"])]
    return df[FINDING_COLUMNS]


def findings_list(q: Query, statuses=(), overdue: bool | None = None, buckets=(), limit: int | None = None,
                  offset: int = 0) -> pd.DataFrame:
    """Findings of the scope with any of `statuses` (all when empty), overdue or not (both when None), in any
    of the age `buckets` (R.age_bucket labels; only overdue findings have one), earliest deadline first.
    Every one when limit is None, else one page. Filters and the age-bucket column are one SQL expression."""
    return _finding_frame(q, paged(_findings(q, statuses, overdue, buckets), limit, offset))


def findings_count(q: Query, statuses=(), overdue: bool | None = None, buckets=()) -> int:
    """How many rows findings_list(q, …) has in all."""
    return count_rows(q.url, _findings(q, statuses, overdue, buckets))


def overdue_findings(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Open findings past their deadline, earliest deadline (longest overdue) first, with days overdue and age bucket."""
    return findings_list(q, overdue=True, limit=limit, offset=offset)


def overdue_count(q: Query) -> int:
    return findings_count(q, overdue=True)


def open_findings(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Every finding not yet 已整改 (overdue or not), earliest deadline first."""
    return _finding_frame(q, paged(_findings(q, open_only=True), limit, offset))


def open_count(q: Query) -> int:
    return count_rows(q.url, _findings(q, open_only=True))


def age_buckets(q: Query) -> pd.DataFrame:
    """Open overdue findings by days overdue, in the buckets of R.age_bucket (counted in SQL)."""
    bucket = _age_bucket(q)
    stmt = (
        select(bucket, func.count())
        .where(*scope_where(F, q.scope), RS.is_overdue(F.status, F.deadline, q.today))
        .group_by(bucket)
    )
    got = dict(rows(q.url, stmt))
    labels = R.age_bucket_labels(q.rules)
    return pd.DataFrame({"bucket": labels, "count": [int(got.get(lbl, 0)) for lbl in labels]})


def closure_trend(q: Query) -> pd.DataFrame:
    """Findings of the year closed (已整改) per month of their completion date, and the running total."""
    stmt = select(F.completed_on).where(*scope_where(F, q.scope), F.status == RECTIFIED, F.completed_on.is_not(None))
    # group by month in pandas over the closed findings' dates only (a dialect-neutral month key)
    months = pd.Series([d.strftime("%Y-%m") for (d,) in rows(q.url, stmt)], dtype="object")
    if months.empty:
        return pd.DataFrame(columns=["month", "closed", "cumulative_closed"])
    df = months.value_counts().sort_index().rename_axis("month").reset_index(name="closed")
    df["cumulative_closed"] = df["closed"].cumsum()
    return df
