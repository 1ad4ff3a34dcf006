"""Rectification figures: findings per 主管部门, the open and overdue lists, age buckets and the closure trend,
and the verified rectification of issue 25 (已核验, extensions, 直接落实率 / 综合整改率, 屡审屡犯, 满意度测评)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import case, exists, func, null, or_, select

from dashboard.core import rules as R
from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import Finding as F
from dashboard.core.models import FindingExtension as FX
from dashboard.core.models import Project as P
from dashboard.core.models import SatisfactionVote as SV
from dashboard.core.models import Unit as U
from dashboard.core.settings import Rules
from dashboard.core.vocab import FINDING_STATUSES, RECTIFIED
from dashboard.metrics.query import (
    Query,
    Scope,
    cached,
    count_rows,
    frame,
    many,
    paged,
    rows,
    scope_where,
    sums_by,
    whole,
    with_names,
)

# the per-department sums of _dept_rectification, beside department_id and status
SUM_COLUMNS = ["n", "overdue", "overdue_original", "verified", "counted", "excluded", "verified_kept", "extended"]


def _has_extension():
    return exists().where(FX.finding_id == F.id)


@cached()
def _dept_rectification(url: str, version: int, scope: Scope, today: dt.date, rules: Rules) -> pd.DataFrame:
    """Per department and status, one grouped scan: findings, overdue (current and original deadline), 已核验, what
    整改率 counts under the rules' basis, excluded (R.is_excluded), 已核验 and not excluded, extended."""
    verified = RS.is_verified(F.status, F.verified_on)
    excluded = RS.is_excluded(F.exclusion, F.exclusion_reason)

    def count(when):
        return func.coalesce(func.sum(case((when, 1), else_=0)), 0)

    stmt = (
        select(F.department_id, F.status, func.count().label("n"),
               count(RS.is_overdue(F.status, F.deadline, today)).label("overdue"),
               count(RS.is_overdue_original(F.status, F.original_deadline, F.deadline, today)).label("overdue_original"),
               count(verified).label("verified"),
               count(RS.counts_as_rectified(F.status, F.verified_on, rules)).label("counted"),
               count(excluded).label("excluded"),
               count(verified & ~excluded).label("verified_kept"),
               count(_has_extension()).label("extended"))
        .where(*scope_where(F, scope))
        .group_by(F.department_id, F.status)
    )
    return frame(url, stmt)


def dept_rectification(q: Query) -> pd.DataFrame:
    """_dept_rectification of the scope's departments (cached over every department, then filtered)."""
    df = _dept_rectification(q.url, q.version, whole(q.scope), q.today, q.rules)
    if q.scope.departments:
        df = df[df["department_id"].isin(q.scope.departments)]
    return df.copy()


def rectification_counts(df: pd.DataFrame, rules: Rules) -> dict:
    """The figures of rows of dept_rectification summed: counts by status, the R.* rates."""
    by_status = sums_by(df, "status", "n", FINDING_STATUSES)
    total = sum(by_status.values())
    sums = {c: int(df[c].sum()) for c in SUM_COLUMNS[1:]}
    reported = by_status[RECTIFIED]
    return {
        "total": total, "by_status": by_status, "reported": reported, **sums,
        "reported_unverified": reported - sums["verified"],
        "rate": R.rectification_rate(reported, sums["verified"], total, rules),
        "direct_rate": R.direct_rate(sums["verified"], total),
        "overall_rate": R.overall_rate(sums["verified_kept"], total, sums["excluded"]),
    }


DEPARTMENT_COLUMNS = ["department_id", "department", *FINDING_STATUSES, "total", "overdue", "rate", "verified",
                      "reported_unverified", "overdue_original", "extended", "excluded", "direct_rate", "overall_rate"]


def findings_by_department(q: Query) -> pd.DataFrame:
    """Per 主管部门: findings by status, overdue on q.today (current and original deadline), 整改率
    (R.rectification_rate under q.rules' basis), 已核验, reported but not verified, extended, 直接落实率, 综合整改率."""
    df = dept_rectification(q)
    if df.empty:
        return pd.DataFrame(columns=DEPARTMENT_COLUMNS)
    out = []
    for dept, part in df.groupby("department_id"):
        c = rectification_counts(part, q.rules)
        out.append({"department_id": int(dept), **c["by_status"], "total": c["total"], "overdue": c["overdue"],
                    "rate": c["rate"], "verified": c["verified"], "reported_unverified": c["reported_unverified"],
                    "overdue_original": c["overdue_original"], "extended": c["extended"], "excluded": c["excluded"],
                    "direct_rate": c["direct_rate"], "overall_rate": c["overall_rate"]})
    res = with_names(q, pd.DataFrame(out))
    for c in ("rate", "direct_rate", "overall_rate"):
        res[c] = res[c].astype(float)
    return res[DEPARTMENT_COLUMNS].sort_values("department").reset_index(drop=True)


FINDING_COLUMNS = ["finding_id", "department", "unit", "project", "code", "description", "requirement",
                   "original_deadline", "deadline", "extensions", "status", "days_overdue", "age_bucket", "source",
                   "project_id", "measures", "verified_on", "verified_by", "verification_method"]


def _age_bucket(q: Query):
    """The age bucket of an overdue finding (RS.age_bucket), NULL for one that is not overdue."""
    overdue = RS.is_overdue(F.status, F.deadline, q.today)
    return case((overdue, RS.age_bucket(F.deadline, q.today, q.rules)), else_=null())


def _extensions():
    """How many finding_extensions rows a finding has (a correlated count)."""
    return select(func.count()).where(FX.finding_id == F.id).correlate(F).scalar_subquery()


def _findings(q: Query, statuses=(), overdue: bool | None = None, buckets=(), open_only: bool = False,
              unverified: bool = False, extended: bool = False):
    is_overdue = RS.is_overdue(F.status, F.deadline, q.today)
    bucket = _age_bucket(q)
    conds = list(scope_where(F, q.scope))
    if open_only:
        conds.append(F.status != RECTIFIED)
    if unverified:  # 单位报称已整改, not (yet) 已核验
        conds.append(F.status == RECTIFIED)
        conds.append(~RS.is_verified(F.status, F.verified_on))
    if extended:
        conds.append(_has_extension())
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
            P.name.label("project"), P.code, F.description, F.requirement,
            func.coalesce(F.original_deadline, F.deadline).label("original_deadline"), F.deadline,
            _extensions().label("extensions"), F.status,
            bucket.label("age_bucket"), F.source, F.project_id, F.measures, F.verified_on, F.verified_by,
            F.verification_method,
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


# -- rectification you can verify (issue 25) -------------------------------------------------------------------

def unverified_findings(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Findings the unit reports 已整改 that nobody has verified (no 核验日期), earliest deadline first."""
    return _finding_frame(q, paged(_findings(q, unverified=True), limit, offset))


def unverified_count(q: Query) -> int:
    return count_rows(q.url, _findings(q, unverified=True))


EXTENSION_COLUMNS = ["finding_id", "department", "unit", "description", "original_deadline", "old_deadline",
                     "new_deadline", "reason", "approved_by", "recorded_at", "recorded_by", "status"]


def _extension_rows(q: Query):
    return (
        select(F.id.label("finding_id"), D.name.label("department"), U.name.label("unit"), F.description,
               func.coalesce(F.original_deadline, F.deadline).label("original_deadline"), FX.old_deadline,
               FX.new_deadline, FX.reason, FX.approved_by, FX.recorded_at, FX.recorded_by, F.status)
        .join(F, F.id == FX.finding_id)
        .join(D, D.id == F.department_id)
        .outerjoin(U, U.id == F.unit_id)
        .where(*scope_where(F, q.scope))
        .order_by(F.id, FX.recorded_at, FX.id)
    )


def extension_list(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Every recorded change of a finding's 整改时限 in scope (finding_extensions), by finding, oldest change first."""
    return frame(q.url, paged(_extension_rows(q), limit, offset))[EXTENSION_COLUMNS]


def extension_count(q: Query) -> int:
    return count_rows(q.url, _extension_rows(q))


def _refs(url: str, stmt) -> list[R.FindingRef]:
    return [R.FindingRef(int(i), int(y), int(d), None if u is None else int(u), c or None, cat, desc)
            for i, y, d, u, c, cat, desc in rows(url, stmt)]


def _ref_select(*conds):
    return (select(F.id, F.year, F.department_id, F.unit_id, P.code, F.category, F.description)
            .outerjoin(P, P.id == F.project_id).where(*conds))


@cached()
def _repeat_links(url: str, version: int, scope: Scope, rules: Rules) -> dict[int, R.FindingRef]:
    """R.repeat_links of the scope year's findings (every department) against every finding of an earlier year.

    Computed, not stored: the similarity threshold is a rule setting (changeable per session), and an import of an
    earlier year's findings must make later ones repeats without touching them. Text similarity cannot be written
    in portable SQL; SQL selects the two sets (a few columns), Python compares only findings of the same unit,
    department or project (R.repeat_links)."""
    current = _refs(url, _ref_select(*scope_where(F, scope)))
    if not current:
        return {}
    earlier = _refs(url, _ref_select(F.year < scope.year))
    return R.repeat_links(current, earlier, rules)


REPEAT_COLUMNS = ["finding_id", "department", "unit", "project", "code", "problem_category", "description", "status",
                  "earlier_year", "earlier_description", "earlier_finding_id"]


def _repeat_frame(q: Query) -> pd.DataFrame:
    links = _repeat_links(q.url, q.version, whole(q.scope), q.rules)
    if not links:
        return pd.DataFrame(columns=REPEAT_COLUMNS)
    conds = [*scope_where(F, q.scope), F.id.in_(sorted(links))]
    stmt = (select(F.id.label("finding_id"), D.name.label("department"), U.name.label("unit"), P.name.label("project"),
                   P.code, F.category.label("problem_category"), F.description, F.status)
            .join(D, D.id == F.department_id).outerjoin(U, U.id == F.unit_id).outerjoin(P, P.id == F.project_id)
            .where(*conds).order_by(D.name, F.id))
    df = frame(q.url, stmt)
    df["earlier_year"] = [links[i].year for i in df["finding_id"]]
    df["earlier_description"] = [links[i].description for i in df["finding_id"]]
    df["earlier_finding_id"] = [links[i].id for i in df["finding_id"]]
    return df[REPEAT_COLUMNS]


def repeat_findings(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """屡审屡犯 (R.repeat_links): findings of the scope whose unit / department / project had a finding of the same
    kind in an earlier year, with that earlier finding's year and text; by department, then id."""
    df = _repeat_frame(q)
    end = None if limit is None else offset + int(limit)
    return df.iloc[offset:end].reset_index(drop=True)


def repeat_count(q: Query) -> int:
    return len(_repeat_frame(q))


def rectification_summary(q: Query) -> dict:
    """The `rectification` key of `summary --json`: 已核验, reported but not verified, 直接落实率, 综合整改率 (fractions
    rounded to 4 decimals, None without findings), findings with at least one extension, 屡审屡犯."""
    c = rectification_counts(dept_rectification(q), q.rules)

    def four(x):
        return None if x is None else round(float(x), 4)

    return {"verified": c["verified"], "reported_unverified": c["reported_unverified"],
            "direct_rate": four(c["direct_rate"]), "overall_rate": four(c["overall_rate"]),
            "extended": c["extended"], "repeat": repeat_count(q)}


SATISFACTION_COLUMNS = ["department", "unit", "subject", "satisfied", "basically", "unsatisfied", "votes",
                        "satisfied_share", "positive_share"]


def satisfaction_votes(q: Query) -> pd.DataFrame:
    """The 人大 满意度测评 of the scope's year and departments, one row per unit (or department) voted on, with the
    votes in all, the 满意 share and the 满意 + 基本满意 share. Votes belong to no project: the fund-source filter does
    not apply."""
    conds = [SV.year == q.scope.year]
    if q.scope.departments:
        conds.append(SV.department_id.in_(q.scope.departments))
    stmt = (select(D.name.label("department"), U.name.label("unit"), SV.subject, SV.satisfied, SV.basically,
                   SV.unsatisfied)
            .join(D, D.id == SV.department_id).outerjoin(U, U.id == SV.unit_id)
            .where(*conds).order_by(D.name, U.name.nulls_first(), SV.id))
    df = frame(q.url, stmt)
    df["votes"] = (df["satisfied"] + df["basically"] + df["unsatisfied"]).astype(int) if len(df) else []
    df["satisfied_share"] = [R.vote_share(s, n) for s, n in zip(df["satisfied"], df["votes"])]
    df["positive_share"] = [R.vote_share(s + b, n) for s, b, n in zip(df["satisfied"], df["basically"], df["votes"])]
    return df[SATISFACTION_COLUMNS]
