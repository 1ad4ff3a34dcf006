"""Rectification figures: findings per 主管部门, the open and overdue lists, age buckets and the closure trend."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from dashboard import rules as R
from dashboard import rules_sql as RS
from dashboard.metrics.aggregates import dept_findings
from dashboard.metrics.query import Query, frame, rows, scope_where, with_names
from dashboard.models import Department as D
from dashboard.models import Finding as F
from dashboard.models import Project as P
from dashboard.models import Unit as U
from dashboard.vocab import FINDING_STATUSES, RECTIFIED


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


def _finding_list(q: Query, overdue_only: bool, limit: int) -> pd.DataFrame:
    conds = [*scope_where(F, q.scope), F.status != RECTIFIED]
    if overdue_only:
        conds.append(RS.is_overdue(F.status, F.deadline, q.today))
    stmt = (
        select(
            F.id.label("finding_id"), D.name.label("department"), U.name.label("unit"),
            P.name.label("project"), P.code, F.description, F.requirement, F.deadline, F.status, F.source,
        )
        .join(D, D.id == F.department_id)
        .outerjoin(U, U.id == F.unit_id)
        .outerjoin(P, P.id == F.project_id)
        .where(*conds)
        .order_by(F.deadline.nulls_last(), F.id)
        .limit(limit)
    )
    df = frame(q.url, stmt)
    df["days_overdue"] = [R.days_overdue(s, d, q.today) for s, d in zip(df["status"], df["deadline"])]
    df["age_bucket"] = [R.age_bucket(n, q.rules) if n else None for n in df["days_overdue"]]
    return df[["finding_id", "department", "unit", "project", "code", "description", "requirement", "deadline",
               "status", "days_overdue", "age_bucket", "source"]]


def overdue_findings(q: Query, limit: int = 1000) -> pd.DataFrame:
    """Open findings past their deadline, longest overdue first, with days overdue and age bucket."""
    return _finding_list(q, True, limit)


def open_findings(q: Query, limit: int = 1000) -> pd.DataFrame:
    """Every finding not yet 已整改 (overdue or not), earliest deadline first."""
    return _finding_list(q, False, limit)


def age_buckets(q: Query) -> pd.DataFrame:
    """Open overdue findings by days overdue, in the buckets of R.age_bucket (counted in SQL)."""
    bucket = RS.age_bucket(F.deadline, q.today, q.rules)
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
