"""The headline figures of a scope (the overview cards, `summary --json`): projects, monitoring, evaluations, findings."""

from __future__ import annotations

import copy

from dashboard.core import rules as R
from dashboard.core.vocab import EVALUATION_KINDS, FINDING_STATUSES, GRADES, GREEN, GREY, RED, YELLOW
from dashboard.metrics.aggregates import dept_evaluations, dept_inflation, dept_projects
from dashboard.metrics.findings import dept_rectification, rectification_counts
from dashboard.metrics.query import Query, cached, ratio, sums_by


def project_totals(q: Query) -> dict:
    """Counts and money of the projects in scope, and target coverage (R.coverage) by count and by funds."""
    d = dept_projects(q)
    projects, budget = int(d["projects"].sum()), float(d["budget"].sum())
    target_n, target_budget = int(d["target_projects"].sum()), float(d["target_budget"].sum())
    return {
        "departments": int((d["projects"] > 0).sum()),
        "units": int(d["units"].sum()),
        "projects": projects,
        "budget_total": budget,
        "target_projects": target_n,
        "target_budget": target_budget,
        "coverage_count": R.coverage(target_n, projects),
        "coverage_funds": R.coverage(target_budget, budget),
    }


def monitoring_totals(q: Query) -> dict:
    """Lights of each project's latest record of the year; grey = projects with targets and no usable record.

    `reported`, the light counts and the money-weighted execution rate cover every project with a record.
    """
    d = dept_projects(q)
    counts = {k: int(d[k].sum()) for k in (GREEN, YELLOW, RED, GREY)}
    as_of = d["as_of"].dropna().max() if d["as_of"].notna().any() else None
    return {
        "as_of": as_of,
        "reported": counts[GREEN] + counts[YELLOW] + counts[RED],
        **counts,
        "execution_rate": ratio(d["executed"].sum(), d["base"].sum()),
        "time_progress": R.time_progress(as_of) if as_of else None,
    }


def evaluation_totals(q: Query) -> dict:
    """Every evaluation record of the year (department-wide ones included): count, mean score, grades, kinds."""
    df = dept_evaluations(q)
    scored = int(df["scored"].sum())
    return {
        "count": int(df["n"].sum()),
        "avg_score": float(df["score_sum"].sum()) / scored if scored else None,
        "grades": sums_by(df, "grade", "n", GRADES),
        "by_kind": sums_by(df, "kind", "n", EVALUATION_KINDS),
        "inflation_flags": int(dept_inflation(q).sum()),
    }


def finding_totals(q: Query) -> dict:
    """Findings by status; overdue = not 已整改 and today past the current deadline (R.is_overdue), overdue_original on
    the original one (R.is_overdue_original); rate = 整改率 (R.rectification_rate: 已核验 ÷ all under the default
    basis); verified, reported_unverified, extended, excluded, direct_rate (直接落实率), overall_rate (综合整改率)."""
    c = rectification_counts(dept_rectification(q), q.rules)
    not_started, in_progress, rectified = (c["by_status"][s] for s in FINDING_STATUSES)
    return {
        "total": c["total"],
        "rectified": rectified,
        "in_progress": in_progress,
        "not_started": not_started,
        "overdue": c["overdue"],
        "rate": c["rate"],
        "verified": c["verified"],
        "reported_unverified": c["reported_unverified"],
        "overdue_original": c["overdue_original"],
        "extended": c["extended"],
        "excluded": c["excluded"],
        "direct_rate": c["direct_rate"],
        "overall_rate": c["overall_rate"],
    }


def kpis(q: Query) -> dict:
    """All headline figures of a scope: what the overview cards and `summary --json` show (a copy: callers may
    change it)."""
    return copy.deepcopy(_kpis(q))


@cached(maxsize=512)
def _kpis(q: Query) -> dict:
    """kpis, once per query in this process (issue 28: a department's trend asks again for the years its overview
    and its profile already asked for; 60 departments × a few years fit)."""
    return {
        "projects": project_totals(q),
        "monitoring": monitoring_totals(q),
        "evaluations": evaluation_totals(q),
        "findings": finding_totals(q),
    }
