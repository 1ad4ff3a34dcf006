"""Every figure the pages, the CLI summary and the exports show, aggregated in SQL (SQLite and PostgreSQL alike).

Functions take the database URL first and return small DataFrames or dicts; none loads a whole table
into pandas. Rules (grades, lights, inflation, overdue, composite) come from dashboard.rules with the
thresholds in a `Rules`; where a rule has to run inside SQL it is built from the same thresholds
(`_grade_sql`, `_light_sql`) and tests check the two agree.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, case, distinct, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from dashboard import rules as R
from dashboard.db import data_version, get_engine
from dashboard.facts import ensure_facts
from dashboard.models import (
    EVALUATION_KINDS,
    FINDING_STATUSES,
    GRADES,
    Department,
    Evaluation,
    Finding,
    ImportBatch,
    MonitoringRecord,
    Project,
    ProjectFacts,
    Unit,
)
from dashboard.settings import Rules

P, M, E, F, D, U, PF = Project, MonitoringRecord, Evaluation, Finding, Department, Unit, ProjectFacts
INDEPENDENT_KINDS = ("抽查复核", "财政重点评价")  # in order of preference for the inflation check


@dataclass(frozen=True)
class Scope:
    """What the global filters select: a year, optionally some 主管部门 (ids) and a fund source."""

    year: int
    departments: tuple[int, ...] = ()
    fund_source: str | None = None


# ---------------------------------------------------------------- helpers


def _rows(url: str, stmt) -> list:
    with get_engine(url).connect() as conn:
        return conn.execute(stmt).all()


def _frame(url: str, stmt, columns: list[str] | None = None) -> pd.DataFrame:
    with get_engine(url).connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.all(), columns=columns or list(result.keys()))


def _ratio(part, whole) -> float | None:
    return float(part) / float(whole) if whole else None


BUDGET = func.coalesce(P.adjusted_budget, P.initial_budget)


def _scope_where(t, scope: Scope) -> list:
    """The scope's conditions on projects or project_facts (both carry year, department and fund source)."""
    conds = [t.year == scope.year]
    if scope.departments:
        conds.append(t.department_id.in_(scope.departments))
    if scope.fund_source:
        conds.append(t.fund_source == scope.fund_source)
    return conds


def _project_where(scope: Scope) -> list:
    return _scope_where(P, scope)


def _record_where(table, scope: Scope) -> list:
    """Scope for evaluations/findings: their own year and department; a fund source filter keeps
    only rows linked to a project of that fund source."""
    conds = [table.year == scope.year]
    if scope.departments:
        conds.append(table.department_id.in_(scope.departments))
    if scope.fund_source:
        conds.append(
            exists().where(and_(P.id == table.project_id, P.fund_source == scope.fund_source))
        )
    return conds


def _grade_from(score, grade, rules: Rules):
    """Grade from a score by the current bands (R.grade_for_score), else the stored grade."""
    return case(
        (score.is_(None), grade),
        (score >= rules.grade_excellent, literal("优")),
        (score >= rules.grade_good, literal("良")),
        (score >= rules.grade_pass, literal("中")),
        else_=literal("差"),
    )


def _grade_rank_from(score, grade, rules: Rules):
    """R.GRADE_RANK of `_grade_from` (lower is better), computed straight from the score."""
    stored = case(*[(grade == g, literal(n)) for g, n in R.GRADE_RANK.items()], else_=None)
    return case(
        (score.is_(None), stored),
        (score >= rules.grade_excellent, literal(R.GRADE_RANK["优"])),
        (score >= rules.grade_good, literal(R.GRADE_RANK["良"])),
        (score >= rules.grade_pass, literal(R.GRADE_RANK["中"])),
        else_=literal(R.GRADE_RANK["差"]),
    )


def _grade_sql(rules: Rules, t=E):
    """Grade of an evaluation record (table or alias `t`)."""
    return _grade_from(t.score, t.grade, rules)


def _rate_pct(base=None, executed=None):
    """Execution rate in percent from facts (default) or from a joined record."""
    base = PF.base if base is None else base
    executed = PF.executed if executed is None else executed
    return case((base > 0, executed * 100.0 / base), else_=None)


def _per_date(dates: list[dt.date], value, as_of=None) -> object:
    """A SQL CASE giving each record's value of a per-date rule (computed in Python, bound as parameters)."""
    as_of = PF.as_of if as_of is None else as_of
    pairs = [(d, value(d)) for d in dates]
    pairs = [(d, v) for d, v in pairs if v is not None]
    if not pairs:
        return literal(None)
    return case(*[(as_of == d, literal(v)) for d, v in pairs], else_=None)


def _time_progress_sql(dates: list[dt.date]):
    return _per_date(dates, lambda d: R.time_progress(d) * 100)


def _light_sql(dates: list[dt.date], rules: Rules):
    """R.warning_light in SQL over project_facts (no latest record → grey); lags are stored per project."""
    rate = _rate_pct()
    # lag is NULL without a record or an execution rate, target_lag without a record or target progress
    no_data = and_(PF.lag.is_(None), PF.target_lag.is_(None))
    if rules.warning_preset == "checkpoints":
        threshold = _per_date(dates, lambda d: R.checkpoint_threshold(d, rules))
        return case(
            (no_data, literal(R.GREY)),
            (and_(rate.is_not(None), threshold.is_not(None), rate < threshold - R.EPS), literal(R.RED)),
            else_=literal(R.GREEN),
        )
    return case(
        (no_data, literal(R.GREY)),
        (or_(PF.lag >= rules.red_lag - R.EPS, PF.target_lag >= rules.red_lag - R.EPS), literal(R.RED)),
        (or_(PF.lag >= rules.yellow_lag - R.EPS, PF.target_lag >= rules.yellow_lag - R.EPS), literal(R.YELLOW)),
        else_=literal(R.GREEN),
    )


def _facts_where(scope: Scope) -> list:
    return _scope_where(PF, scope)


def _version(url: str) -> int:
    """The data version, with project_facts brought up to it."""
    version = data_version(url)
    ensure_facts(url, version)
    return version


@functools.lru_cache(maxsize=64)
def _latest_dates_v(url: str, version: int, year: int, fund_source: str | None) -> tuple[dt.date, ...]:
    stmt = select(PF.as_of).distinct().where(*_facts_where(Scope(year, (), fund_source)), PF.as_of.is_not(None))
    return tuple(sorted(r[0] for r in _rows(url, stmt)))


def _latest_dates(url: str, scope: Scope) -> list[dt.date]:
    return list(_latest_dates_v(url, _version(url), scope.year, scope.fund_source))


# ---------------------------------------------------------------- per-department base aggregates
# Every scope-level figure is a sum over these small per-department frames, computed once per
# (data version, year, fund source, rules) and kept in a bounded in-process cache; a department
# filter only selects rows. Callers get copies.

_DEPT_COLUMNS = ["projects", "units", "budget", "target_projects", "target_budget", "monitored_projects",
                 "monitored_target_projects", "evaluated_budget", R.GREEN, R.YELLOW, R.RED, R.GREY, "executed", "base", "as_of"]


@functools.lru_cache(maxsize=64)
def _dept_projects_v(url: str, version: int, year: int, fund_source: str | None, departments: tuple[int, ...],
                     rules: Rules) -> pd.DataFrame:
    dates = list(_latest_dates_v(url, version, year, fund_source))
    light = _light_sql(dates, rules)
    rate_ok = and_(PF.executed.is_not(None), PF.base > 0)
    stmt = (
        select(
            PF.department_id, light.label("light"),
            func.count().label("n"),
            func.sum(case((PF.has_target.is_(True), 1), else_=0)).label("target_projects"),
            func.coalesce(func.sum(PF.budget), 0.0).label("budget"),
            func.coalesce(func.sum(case((PF.has_target.is_(True), PF.budget), else_=0.0)), 0.0).label("target_budget"),
            func.sum(case((PF.as_of.is_not(None), 1), else_=0)).label("monitored_projects"),
            func.sum(case((and_(PF.as_of.is_not(None), PF.has_target.is_(True)), 1), else_=0))
            .label("monitored_target_projects"),
            func.coalesce(func.sum(case((PF.evaluated.is_(True), PF.budget), else_=0.0)), 0.0)
            .label("evaluated_budget"),
            func.coalesce(func.sum(case((rate_ok, PF.executed), else_=0.0)), 0.0).label("executed"),
            func.coalesce(func.sum(case((rate_ok, PF.base), else_=0.0)), 0.0).label("base"),
            func.max(PF.as_of).label("as_of"),
        )
        .where(*_facts_where(Scope(year, departments, fund_source)))
        .group_by(PF.department_id, light)
    )
    raw = _frame(url, stmt)
    units = dict(_rows(url, select(PF.department_id, func.count(distinct(PF.unit_id)))
                       .where(*_facts_where(Scope(year, departments, fund_source))).group_by(PF.department_id)))
    if raw.empty:
        return pd.DataFrame(columns=_DEPT_COLUMNS, index=pd.Index([], name="department_id"))
    # lights: grey counts only projects that should have reported (with targets)
    raw["lit"] = raw["n"].where(raw["light"] != R.GREY, raw["target_projects"])
    lights = raw.pivot_table(index="department_id", columns="light", values="lit", aggfunc="sum", fill_value=0)
    for name in (R.GREEN, R.YELLOW, R.RED, R.GREY):
        if name not in lights.columns:
            lights[name] = 0
    sums = raw.groupby("department_id").agg(
        projects=("n", "sum"), budget=("budget", "sum"),
        target_projects=("target_projects", "sum"), target_budget=("target_budget", "sum"),
        monitored_projects=("monitored_projects", "sum"),
        monitored_target_projects=("monitored_target_projects", "sum"), evaluated_budget=("evaluated_budget", "sum"),
        executed=("executed", "sum"), base=("base", "sum"), as_of=("as_of", "max"))
    out = sums.join(lights[[R.GREEN, R.YELLOW, R.RED, R.GREY]].astype(int))
    out["units"] = out.index.map(units).fillna(0).astype(int)
    return out[_DEPT_COLUMNS]


def _dept_projects(url: str, scope: Scope, rules: Rules) -> pd.DataFrame:
    # filtered in SQL: one department is a short range of the clustered facts table
    return _dept_projects_v(url, _version(url), scope.year, scope.fund_source, scope.departments, rules).copy()


def clear_caches() -> None:
    """Forget every in-process aggregate (the benchmark's cold runs; tests)."""
    for fn in (_latest_dates_v, _dept_projects_v, _dept_evaluations_v, _dept_inflation_v, _dept_findings_v,
               _department_names_v):
        fn.cache_clear()


def _eval_where(year: int, fund_source: str | None, table=E) -> list:
    conds = [table.year == year]
    if fund_source:
        conds.append(exists().where(and_(P.id == table.project_id, P.fund_source == fund_source)))
    return conds


@functools.lru_cache(maxsize=64)
def _dept_evaluations_v(url: str, version: int, year: int, fund_source: str | None, rules: Rules) -> pd.DataFrame:
    """Per department, kind and grade: number of evaluations, score sum and number scored."""
    grade = func.coalesce(_grade_sql(rules), literal("未评级"))
    stmt = (
        select(E.department_id, E.kind, grade.label("grade"), func.count().label("n"),
               func.coalesce(func.sum(E.score), 0.0).label("score_sum"), func.count(E.score).label("scored"))
        .where(*_eval_where(year, fund_source))
        .group_by(E.department_id, E.kind, grade)
    )
    return _frame(url, stmt)


@functools.lru_cache(maxsize=64)
def _dept_inflation_v(url: str, version: int, year: int, fund_source: str | None, rules: Rules) -> pd.Series:
    _, _, _, flagged, has_pair = _inflation_sql(rules)
    stmt = (select(PF.department_id, func.count())
            .where(*_facts_where(Scope(year, (), fund_source)), has_pair, flagged)
            .group_by(PF.department_id))
    return pd.Series(dict(_rows(url, stmt)), dtype="int64")


def _dept_evaluations(url: str, scope: Scope, rules: Rules) -> pd.DataFrame:
    df = _dept_evaluations_v(url, _version(url), scope.year, scope.fund_source, rules)
    if scope.departments:
        df = df[df["department_id"].isin(scope.departments)]
    return df.copy()


@functools.lru_cache(maxsize=64)
def _dept_findings_v(url: str, version: int, year: int, fund_source: str | None, today: dt.date) -> pd.DataFrame:
    """Per department and status: number of findings and how many are overdue on `today` (R.is_overdue)."""
    overdue = and_(F.status != "已整改", F.deadline < today)
    stmt = (
        select(F.department_id, F.status, func.count().label("n"),
               func.sum(case((overdue, 1), else_=0)).label("overdue"))
        .where(*_eval_where(year, fund_source, F))
        .group_by(F.department_id, F.status)
    )
    return _frame(url, stmt)


def _dept_findings(url: str, scope: Scope, today: dt.date) -> pd.DataFrame:
    df = _dept_findings_v(url, _version(url), scope.year, scope.fund_source, today)
    if scope.departments:
        df = df[df["department_id"].isin(scope.departments)]
    return df.copy()


@functools.lru_cache(maxsize=16)
def _department_names_v(url: str, version: int) -> dict[int, str]:
    return dict(_rows(url, select(D.id, D.name)))


def _with_names(url: str, df: pd.DataFrame) -> pd.DataFrame:
    names = _department_names_v(url, _version(url))
    df.insert(1, "department", df["department_id"].map(names))
    return df


# ---------------------------------------------------------------- options


def available_years(url: str) -> list[int]:
    return [r[0] for r in _rows(url, select(P.year).distinct().order_by(P.year.desc()))]


def department_options(url: str) -> pd.DataFrame:
    stmt = select(D.id, D.code, D.name, D.kind).order_by(D.code.is_(None), D.code, D.name)
    return _frame(url, stmt)


def fund_source_options(url: str) -> list[str]:
    _version(url)  # read from the narrow facts table
    stmt = select(PF.fund_source).distinct().where(PF.fund_source.is_not(None)).order_by(PF.fund_source)
    return [r[0] for r in _rows(url, stmt)]


def resolve_department(url: str, code_or_name: str) -> int | None:
    """A 主管部门 by code or by name (exact, after trimming)."""
    key = code_or_name.strip()
    row = _rows(url, select(D.id).where(or_(D.code == key, D.name == key)).limit(1))
    return row[0][0] if row else None


# ---------------------------------------------------------------- headline figures


def project_totals(url: str, scope: Scope) -> dict:
    """Counts and money of the projects in scope, and target coverage (R.coverage) by count and by funds."""
    d = _dept_projects(url, scope, Rules())
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


def monitoring_totals(url: str, scope: Scope, rules: Rules) -> dict:
    """Lights of each project's latest record of the year; grey = projects with targets and no usable record.

    `reported`, the light counts and the money-weighted execution rate cover every project with a record.
    """
    d = _dept_projects(url, scope, rules)
    counts = {k: int(d[k].sum()) for k in (R.GREEN, R.YELLOW, R.RED, R.GREY)}
    as_of = d["as_of"].dropna().max() if d["as_of"].notna().any() else None
    return {
        "as_of": as_of,
        "reported": counts[R.GREEN] + counts[R.YELLOW] + counts[R.RED],
        **counts,
        "execution_rate": _ratio(d["executed"].sum(), d["base"].sum()),
        "time_progress": R.time_progress(as_of) if as_of else None,
    }


def _inflation_sql(rules: Rules):
    """R.self_evaluation_inflation over project_facts: (gap, self grade, independent grade, flagged, has pair).

    The independent evaluation is 抽查复核 where there is one, else 财政重点评价.
    """
    gap = PF.self_score - PF.independent_score
    self_rank = _grade_rank_from(PF.self_score, PF.self_grade, rules)
    ind_rank = _grade_rank_from(PF.independent_score, PF.independent_grade, rules)
    flagged = or_(
        and_(gap.is_not(None), gap >= rules.inflation_gap - R.EPS),
        and_(self_rank.is_not(None), ind_rank.is_not(None), self_rank < ind_rank),
    )
    has_pair = and_(PF.independent_kind.is_not(None),
                    or_(PF.self_score.is_not(None), PF.self_grade.is_not(None)))
    return (gap, _grade_from(PF.self_score, PF.self_grade, rules),
            _grade_from(PF.independent_score, PF.independent_grade, rules), flagged, has_pair)


def evaluation_totals(url: str, scope: Scope, rules: Rules) -> dict:
    """Every evaluation record of the year (department-wide ones included): count, mean score, grades, kinds."""
    df = _dept_evaluations(url, scope, rules)
    grades = {g: int(df.loc[df["grade"] == g, "n"].sum()) for g in GRADES}
    by_kind = {k: int(df.loc[df["kind"] == k, "n"].sum()) for k in EVALUATION_KINDS}
    scored = int(df["scored"].sum())
    flags = _dept_inflation_v(url, _version(url), scope.year, scope.fund_source, rules)
    if scope.departments:
        flags = flags[flags.index.isin(scope.departments)]
    return {
        "count": int(df["n"].sum()),
        "avg_score": float(df["score_sum"].sum()) / scored if scored else None,
        "grades": grades,
        "by_kind": by_kind,
        "inflation_flags": int(flags.sum()),
    }


def finding_totals(url: str, scope: Scope, today: dt.date) -> dict:
    """Findings by status; overdue = not 已整改 and today past the deadline (R.is_overdue); rate = 已整改 ÷ all."""
    df = _dept_findings(url, scope, today)
    by_status = {s: int(df.loc[df["status"] == s, "n"].sum()) for s in FINDING_STATUSES}
    total = sum(by_status.values())
    return {
        "total": total,
        "rectified": by_status["已整改"],
        "in_progress": by_status["整改中"],
        "not_started": by_status["未整改"],
        "overdue": int(df["overdue"].sum()),
        "rate": R.rectification_rate(by_status["已整改"], total),
    }


def kpis(url: str, scope: Scope, rules: Rules, today: dt.date) -> dict:
    """All headline figures of a scope: what the overview cards and `summary --json` show."""
    return {
        "projects": project_totals(url, scope),
        "monitoring": monitoring_totals(url, scope, rules),
        "evaluations": evaluation_totals(url, scope, rules),
        "findings": finding_totals(url, scope, today),
    }


# ---------------------------------------------------------------- coverage


def coverage_by_department(url: str, scope: Scope) -> pd.DataFrame:
    """Target, monitoring and evaluation coverage per 主管部门 (by count and by money)."""
    d = _dept_projects(url, scope, Rules()).reset_index()
    df = _with_names(url, d[["department_id", "projects", "budget", "target_projects", "target_budget",
                             "monitored_projects", "monitored_target_projects", "evaluated_budget"]])
    df["coverage_count"] = (df["target_projects"] / df["projects"]).where(df["projects"] > 0)
    df["coverage_funds"] = (df["target_budget"] / df["budget"]).where(df["budget"] > 0)
    # of the projects that must report (those with targets), the share that did
    df["monitoring_coverage"] = (df["monitored_target_projects"] / df["target_projects"]).where(
        df["target_projects"] > 0)
    df["evaluation_coverage"] = (df["evaluated_budget"] / df["budget"]).where(df["budget"] > 0)
    return df.sort_values("department").reset_index(drop=True)


def coverage_by_fund_source(url: str, scope: Scope) -> pd.DataFrame:
    has_target = P.has_target.is_(True)
    source = func.coalesce(P.fund_source, literal("未填资金来源"))
    stmt = (
        select(
            source.label("fund_source"),
            func.count(P.id).label("projects"),
            func.coalesce(func.sum(BUDGET), 0.0).label("budget"),
            func.sum(case((has_target, 1), else_=0)).label("target_projects"),
            func.coalesce(func.sum(case((has_target, BUDGET), else_=0.0)), 0.0).label("target_budget"),
        )
        .where(*_project_where(scope))
        .group_by(source)
        .order_by(func.sum(BUDGET).desc())
    )
    df = _frame(url, stmt)
    df["coverage_count"] = (df["target_projects"] / df["projects"]).where(df["projects"] > 0)
    df["coverage_funds"] = (df["target_budget"] / df["budget"]).where(df["budget"] > 0)
    return df


def evaluation_coverage_by_kind(url: str, scope: Scope) -> pd.DataFrame:
    """Money evaluated ÷ total budget, by evaluation kind (project evaluations only)."""
    total = project_totals(url, scope)["budget_total"]
    stmt = (
        select(E.kind, func.count(distinct(P.id)), func.coalesce(func.sum(BUDGET), 0.0))
        .join(P, P.id == E.project_id)
        .where(*_project_where(scope), E.year == scope.year)
        .group_by(E.kind)
    )
    got = {k: (n, b) for k, n, b in _rows(url, stmt)}
    rows = [
        {
            "kind": k,
            "evaluated_projects": int(got.get(k, (0, 0.0))[0]),
            "evaluated_budget": float(got.get(k, (0, 0.0))[1]),
            "coverage_funds": _ratio(got.get(k, (0, 0.0))[1], total),
        }
        for k in EVALUATION_KINDS
    ]
    return pd.DataFrame(rows)


def projects_without_targets(url: str, scope: Scope, limit: int = 500) -> pd.DataFrame:
    """Money without performance targets: projects whose 是否设定绩效目标 is 否 or blank, largest first."""
    stmt = (
        select(
            P.id.label("project_id"), P.code, P.name, D.name.label("department"), U.name.label("unit"),
            P.fund_source, BUDGET.label("budget"),
        )
        .join(D, D.id == P.department_id)
        .outerjoin(U, U.id == P.unit_id)
        .where(*_project_where(scope), or_(P.has_target.is_(False), P.has_target.is_(None)))
        .order_by(BUDGET.desc().nulls_last(), P.id)
        .limit(limit)
    )
    return _frame(url, stmt)


# ---------------------------------------------------------------- monitoring


def lights_by_department(url: str, scope: Scope, rules: Rules) -> pd.DataFrame:
    """Per 主管部门: light counts (grey = with targets, not reported), money-weighted execution rate."""
    cols = ["department_id", "department", "green", "yellow", "red", "grey", "reported", "budget", "executed",
            "execution_rate", "as_of", "time_progress"]
    d = _dept_projects(url, scope, rules).reset_index()
    if d.empty:
        return pd.DataFrame(columns=cols)
    df = _with_names(url, d[["department_id", R.GREEN, R.YELLOW, R.RED, R.GREY, "executed", "base", "as_of"]])
    df = df.rename(columns={"base": "budget"})
    df["reported"] = df[R.GREEN] + df[R.YELLOW] + df[R.RED]
    df["execution_rate"] = (df["executed"] / df["budget"]).where(df["budget"] > 0)
    df["time_progress"] = df["as_of"].map(lambda d: R.time_progress(d) if pd.notna(d) and d else None)
    return df[cols].sort_values(["red", "grey", "department"], ascending=[False, False, True]).reset_index(drop=True)


def warning_list(url: str, scope: Scope, rules: Rules, lights: tuple[str, ...] = (R.RED,),
                 limit: int = 500) -> pd.DataFrame:
    """Projects with the given lights, worst lag first; grey rows are projects with targets and no record."""
    dates = _latest_dates(url, scope)
    light = _light_sql(dates, rules)
    t = _time_progress_sql(dates)
    rate = _rate_pct()
    cond = [light.in_(lights)]
    if R.GREY in lights:
        cond = [or_(light.in_([x for x in lights if x != R.GREY]), and_(light == R.GREY, PF.has_target.is_(True)))]
    stmt = (
        select(
            PF.project_id, P.code, P.name, D.name.label("department"), U.name.label("unit"),
            PF.as_of, case((PF.as_of.is_(None), PF.budget), else_=PF.base).label("budget"), PF.executed,
            (rate / 100).label("execution_rate"), (t / 100).label("time_progress"),
            PF.lag, PF.target_progress, light.label("light"),
            M.deviation_reason, M.likelihood,
        )
        .join(P, P.id == PF.project_id)
        .join(D, D.id == PF.department_id)
        .outerjoin(U, U.id == PF.unit_id)
        .outerjoin(M, and_(M.project_id == PF.project_id, M.is_latest.is_(True)))
        .where(*_facts_where(scope), *cond)
        .order_by(PF.lag.desc().nulls_last(), PF.budget.desc(), PF.project_id)
        .limit(limit)
    )
    return _frame(url, stmt)


def execution_scatter(url: str, scope: Scope, rules: Rules, limit: int = 2000) -> pd.DataFrame:
    """Execution rate against time progress for the largest reported projects (for the scatter chart)."""
    dates = _latest_dates(url, scope)
    light = _light_sql(dates, rules)
    stmt = (
        select(
            PF.project_id, P.name, D.name.label("department"),
            PF.base.label("budget"), (_rate_pct() / 100).label("execution_rate"),
            (_time_progress_sql(dates) / 100).label("time_progress"), light.label("light"),
        )
        .join(P, P.id == PF.project_id)
        .join(D, D.id == PF.department_id)
        .where(*_facts_where(scope), _rate_pct().is_not(None))
        .order_by(PF.base.desc(), PF.project_id)
        .limit(limit)
    )
    return _frame(url, stmt)


# ---------------------------------------------------------------- evaluations


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


def grade_mix_by_department(url: str, scope: Scope, rules: Rules) -> pd.DataFrame:
    df = _dept_evaluations(url, scope, rules)
    out = _grade_pivot(df, ["department_id"])
    return _with_names(url, out).sort_values("department").reset_index(drop=True)


def grade_mix_by_kind(url: str, scope: Scope, rules: Rules) -> pd.DataFrame:
    out = _grade_pivot(_dept_evaluations(url, scope, rules), ["kind"])
    order = {k: i for i, k in enumerate(EVALUATION_KINDS)}
    return out.sort_values("kind", key=lambda s: s.map(order)).reset_index(drop=True)


def evaluation_list(url: str, scope: Scope, rules: Rules, kind: str | None = None,
                    limit: int = 1000) -> pd.DataFrame:
    """Evaluation records, lowest score first (what deputies look at)."""
    conds = _record_where(E, scope)
    if kind:
        conds.append(E.kind == kind)
    stmt = (
        select(
            E.id.label("evaluation_id"), E.project_id, E.kind, E.object_type,
            func.coalesce(P.name, E.object_name).label("object_name"), D.name.label("department"),
            U.name.label("unit"), P.code, E.fund_amount, E.score, _grade_sql(rules).label("grade"),
            E.evaluator, E.deputies_participated, E.main_problems, E.result_application,
            E.next_year_budget_change,
        )
        .join(D, D.id == E.department_id)
        .outerjoin(P, P.id == E.project_id)
        .outerjoin(U, U.id == E.unit_id)
        .where(*conds)
        .order_by(E.score.asc().nulls_last(), E.id)
        .limit(limit)
    )
    return _frame(url, stmt)


def inflation_list(url: str, scope: Scope, rules: Rules, limit: int = 2000) -> pd.DataFrame:
    """Self-evaluation vs independent score for projects that have both (R.self_evaluation_inflation),
    flagged ones first, then by gap."""
    _version(url)  # brings project_facts up to date
    gap, self_grade, ind_grade, flagged, has_pair = _inflation_sql(rules)
    stmt = (
        select(
            PF.project_id, P.code, P.name, D.name.label("department"), PF.self_score.label("self_score"),
            PF.independent_score, PF.independent_kind, gap.label("gap"),
            self_grade.label("self_grade"), ind_grade.label("independent_grade"), flagged.label("flagged"),
        )
        .join(P, P.id == PF.project_id)
        .join(D, D.id == PF.department_id)
        .where(*_facts_where(scope), has_pair)
        .order_by(case((flagged, 0), else_=1), gap.desc().nulls_last(), PF.project_id)
        .limit(limit)
    )
    df = _frame(url, stmt)
    df["flagged"] = df["flagged"].astype(bool)
    return df


def result_application(url: str, scope: Scope, rules: Rules) -> pd.DataFrame:
    """结果应用: per grade, how many evaluations and the next year's budget change (万元) they led to."""
    grade = _grade_sql(rules)
    change = E.next_year_budget_change
    stmt = (
        select(
            grade.label("grade"), func.count().label("evaluations"),
            func.coalesce(func.sum(change), 0.0).label("budget_change_total"),
            func.sum(case((change < 0, 1), else_=0)).label("cut"),
            func.sum(case((change > 0, 1), else_=0)).label("increased"),
        )
        .where(*_record_where(E, scope), grade.is_not(None))
        .group_by(grade)
    )
    df = _frame(url, stmt)
    order = {g: i for i, g in enumerate(GRADES)}
    return df.sort_values("grade", key=lambda s: s.map(order)).reset_index(drop=True)


# ---------------------------------------------------------------- rectification


def findings_by_department(url: str, scope: Scope, today: dt.date) -> pd.DataFrame:
    cols = ["department_id", "department", *FINDING_STATUSES, "total", "overdue", "rate"]
    df = _dept_findings(url, scope, today)
    if df.empty:
        return pd.DataFrame(columns=cols)
    wide = df.pivot_table(index="department_id", columns="status", values="n", aggfunc="sum", fill_value=0)
    for s in FINDING_STATUSES:
        if s not in wide.columns:
            wide[s] = 0
    out = wide[list(FINDING_STATUSES)].astype(int)
    out["total"] = out.sum(axis=1)
    out["overdue"] = df.groupby("department_id")["overdue"].sum().astype(int)
    out = _with_names(url, out.reset_index())
    out.columns.name = None
    out["rate"] = (out["已整改"] / out["total"]).where(out["total"] > 0)
    return out[cols].sort_values("department").reset_index(drop=True)


def _finding_list(url: str, scope: Scope, today: dt.date, rules: Rules, overdue_only: bool,
                  limit: int) -> pd.DataFrame:
    conds = [*_record_where(F, scope), F.status != "已整改"]
    if overdue_only:
        conds.append(F.deadline < today)
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
    df = _frame(url, stmt)
    df["days_overdue"] = [R.days_overdue(s, d, today) for s, d in zip(df["status"], df["deadline"])]
    df["age_bucket"] = [R.age_bucket(n, rules) if n else None for n in df["days_overdue"]]
    return df[["finding_id", "department", "unit", "project", "code", "description", "requirement", "deadline",
               "status", "days_overdue", "age_bucket", "source"]]


def overdue_findings(url: str, scope: Scope, today: dt.date, rules: Rules, limit: int = 1000) -> pd.DataFrame:
    """Open findings past their deadline, longest overdue first, with days overdue and age bucket."""
    return _finding_list(url, scope, today, rules, True, limit)


def open_findings(url: str, scope: Scope, today: dt.date, rules: Rules, limit: int = 1000) -> pd.DataFrame:
    """Every finding not yet 已整改 (overdue or not), earliest deadline first."""
    return _finding_list(url, scope, today, rules, False, limit)


def age_buckets(url: str, scope: Scope, today: dt.date, rules: Rules) -> pd.DataFrame:
    """Open overdue findings by days overdue, in the buckets of R.age_bucket (counted in SQL)."""
    labels = R.age_bucket_labels(rules)
    cutoffs = [today - dt.timedelta(days=b) for b in rules.age_buckets]
    # days overdue ≤ b  ⇔  deadline ≥ today − b
    bucket = case(*[(F.deadline >= c, literal(lbl)) for c, lbl in zip(cutoffs, labels)], else_=literal(labels[-1]))
    stmt = (
        select(bucket, func.count())
        .where(*_record_where(F, scope), F.status != "已整改", F.deadline < today)
        .group_by(bucket)
    )
    got = dict(_rows(url, stmt))
    return pd.DataFrame({"bucket": labels, "count": [int(got.get(lbl, 0)) for lbl in labels]})


def closure_trend(url: str, scope: Scope) -> pd.DataFrame:
    """Findings of the year closed (已整改) per month of their completion date, and the running total."""
    stmt = (
        select(F.completed_on)
        .where(*_record_where(F, scope), F.status == "已整改", F.completed_on.is_not(None))
    )
    # group by month in pandas over the closed findings' dates only (a dialect-neutral month key)
    with get_engine(url).connect() as conn:
        months = pd.Series([d.strftime("%Y-%m") for (d,) in conn.execute(stmt)], dtype="object")
    if months.empty:
        return pd.DataFrame(columns=["month", "closed", "cumulative_closed"])
    df = months.value_counts().sort_index().rename_axis("month").reset_index(name="closed")
    df["cumulative_closed"] = df["closed"].cumsum()
    return df


# ---------------------------------------------------------------- rankings and profiles


def _department_subscores(url: str, year: int, fund_source: str | None, rules: Rules,
                          today: dt.date, departments: tuple[int, ...] = ()) -> pd.DataFrame:
    scope = Scope(year=year, departments=departments, fund_source=fund_source)
    cov = coverage_by_department(url, scope)[["department_id", "department", "projects", "coverage_funds"]]
    lights = lights_by_department(url, scope, rules)[
        ["department_id", "red", "reported", "execution_rate", "as_of"]]
    grades = grade_mix_by_department(url, scope, rules)[["department_id", "avg_score", "count"]]
    finds = findings_by_department(url, scope, today)[["department_id", "rate", "total"]]
    df = cov.merge(lights, on="department_id", how="left").merge(grades, on="department_id", how="left") \
        .merge(finds, on="department_id", how="left")
    df["coverage"] = df["coverage_funds"] * 100
    df["execution"] = [R.execution_subscore(r, d, rules) if pd.notna(r) else None
                       for r, d in zip(df["execution_rate"], df["as_of"])]
    df["evaluation"] = df["avg_score"]
    df["rectification"] = df["rate"] * 100
    df["not_red"] = ((df["reported"] - df["red"]) / df["reported"] * 100).where(df["reported"] > 0)
    subs = ["coverage", "execution", "evaluation", "rectification", "not_red"]
    df[subs] = df[subs].astype(float)
    df["composite"] = [
        R.composite_score({k: (None if pd.isna(row[k]) else float(row[k])) for k in subs}, rules)
        for _, row in df[subs].iterrows()
    ]
    return df.rename(columns={"count": "evaluations", "total": "findings"})


RANKING_COLUMNS = ["department_id", "department", "projects", "coverage", "execution", "evaluation",
                   "rectification", "not_red", "composite", "rank", "prev_rank", "rank_change", "small_sample",
                   "evaluations", "findings"]


def _ranked(url: str, year: int, fund_source: str | None, rules: Rules, today: dt.date) -> pd.DataFrame:
    df = _department_subscores(url, year, fund_source, rules, today)
    df["rank"] = df["composite"].rank(ascending=False, method="min")
    return df


def department_ranking(url: str, year: int, fund_source: str | None, rules: Rules,
                       today: dt.date) -> pd.DataFrame:
    """Composite ranking of 主管部门 (R.composite_score), with rank change vs the previous year."""
    df = _ranked(url, year, fund_source, rules, today)
    if df.empty:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    prev = _ranked(url, year - 1, fund_source, rules, today)
    df = df.merge(prev[["department_id", "rank"]].rename(columns={"rank": "prev_rank"}), on="department_id",
                  how="left")
    df["rank_change"] = df["prev_rank"] - df["rank"]
    df["small_sample"] = df["projects"] < rules.min_projects
    for c in ("rank", "prev_rank", "rank_change", "evaluations", "findings"):
        df[c] = df[c].astype("Int64")
    return df.sort_values(["rank", "department"], na_position="last")[RANKING_COLUMNS].reset_index(drop=True)


def department_trend(url: str, department_id: int, rules: Rules, today: dt.date) -> pd.DataFrame:
    """One 主管部门's figures for every year with data (oldest first): composite every year, rank in the latest."""
    rows = []
    years = sorted(available_years(url))
    latest = years[-1] if years else None
    for year in years:
        scope = Scope(year=year, departments=(department_id,))
        k = kpis(url, scope, rules, today)
        if not k["projects"]["projects"] and not k["evaluations"]["count"] and not k["findings"]["total"]:
            continue
        mine = _department_subscores(url, year, None, rules, today, (department_id,))
        composite = mine["composite"].iloc[0] if len(mine) else None
        rank = None
        if year == latest:  # the rank needs every department: only for the latest year
            ranked = _ranked(url, year, None, rules, today)
            rank = ranked.loc[ranked["department_id"] == department_id, "rank"]
            rank = rank.iloc[0] if len(rank) else None
        rows.append({
            "year": year,
            "projects": k["projects"]["projects"],
            "budget": k["projects"]["budget_total"],
            "coverage_funds": k["projects"]["coverage_funds"],
            "execution_rate": k["monitoring"]["execution_rate"],
            "red": k["monitoring"]["red"],
            "grey": k["monitoring"]["grey"],
            "avg_score": k["evaluations"]["avg_score"],
            "rectification_rate": k["findings"]["rate"],
            "composite": None if composite is None or pd.isna(composite) else float(composite),
            "rank": None if rank is None or pd.isna(rank) else int(rank),
        })
    return pd.DataFrame(rows, columns=["year", "projects", "budget", "coverage_funds", "execution_rate", "red",
                                       "grey", "avg_score", "rectification_rate", "composite", "rank"])


# ---------------------------------------------------------------- projects


_KIND_PRIORITY = case(
    (E.kind == "抽查复核", 1), (E.kind == "财政重点评价", 2), (E.kind == "部门评价", 3), else_=4
)


def search_projects(url: str, scope: Scope, rules: Rules, text: str = "", grade: str | None = None,
                    light: str | None = None, status: str | None = None, limit: int = 50,
                    offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Projects matching a name/code/department search and filters, largest budget first, one page at a time.

    `grade` matches any evaluation of the project; `status` any of its findings; the grade and score shown
    are the most independent evaluation's (抽查复核 > 财政重点评价 > 部门评价 > 单位自评).
    """
    dates = _latest_dates(url, scope)
    light_expr = _light_sql(dates, rules)
    conds = list(_facts_where(scope))
    text = " ".join((text or "").split())
    if text:
        pattern = f"%{text}%"
        conds.append(or_(P.name.like(pattern), P.code.like(pattern), D.name.like(pattern)))
    if grade:
        conds.append(exists().where(and_(E.project_id == PF.project_id, _grade_sql(rules) == grade)))
    if light:
        conds.append(light_expr == light)
    if status:
        conds.append(exists().where(and_(F.project_id == PF.project_id, F.status == status)))

    def joined(stmt):
        return stmt.join(P, P.id == PF.project_id).join(D, D.id == PF.department_id)

    counting = select(func.count()).select_from(PF)
    total = _rows(url, (joined(counting) if text else counting).where(*conds))[0][0]
    best = (select(E.id).where(E.project_id == PF.project_id).order_by(_KIND_PRIORITY, E.id).limit(1)
            .correlate(PF).scalar_subquery())
    E2 = aliased(E)
    open_findings = (select(func.count()).where(F.project_id == PF.project_id, F.status != "已整改")
                     .correlate(PF).scalar_subquery())
    stmt = (
        joined(select(
            PF.project_id, P.year, P.code, P.name, D.name.label("department"), U.name.label("unit"),
            PF.budget, PF.has_target, light_expr.label("light"), (_rate_pct() / 100).label("execution_rate"),
            _grade_sql(rules, E2).label("grade"), E2.score.label("score"), open_findings.label("open_findings"),
        ))
        .outerjoin(U, U.id == PF.unit_id)
        .outerjoin(E2, E2.id == best)
        .where(*conds)
        .order_by(PF.budget.desc().nulls_last(), PF.project_id)
        .limit(limit)
        .offset(offset)
    )
    df = _frame(url, stmt)
    # grey means "should have reported": a project without targets and without a record has no light
    without_target = ~df["has_target"].astype("boolean").fillna(False)
    df.loc[(df["light"] == R.GREY) & without_target, "light"] = None
    return df, int(total)


def project_card(url: str, project_id: int, rules: Rules, today: dt.date) -> dict | None:
    """One project's whole lifecycle: target → monitoring → evaluations → findings → next year's budget."""
    head = _rows(url, select(
        P.id, P.year, P.code, P.name, D.name, U.name, P.category, P.fund_source, P.initial_budget,
        P.adjusted_budget, P.has_target, P.target_grade, P.ex_ante_result, P.is_key, P.department_id,
    ).join(D, D.id == P.department_id).outerjoin(U, U.id == P.unit_id).where(P.id == project_id))
    if not head:
        return None
    keys = ["id", "year", "code", "name", "department", "unit", "category", "fund_source", "initial_budget",
            "adjusted_budget", "has_target", "target_grade", "ex_ante_result", "is_key", "department_id"]
    project = dict(zip(keys, head[0]))
    budget = R.budget_base(project["adjusted_budget"], project["initial_budget"])

    mon = _frame(url, select(M.as_of, M.adjusted_budget, M.executed, M.target_progress, M.deviation_reason,
                             M.likelihood, M.needs_rectification, M.rectification_requirement)
                 .where(M.project_id == project_id).order_by(M.as_of))
    mon["execution_rate"] = [R.execution_rate(ex, adj, budget) for ex, adj in zip(mon["executed"],
                                                                                  mon["adjusted_budget"])]
    mon["time_progress"] = [R.time_progress(d) for d in mon["as_of"]]
    mon["light"] = [R.warning_light(d, r, None if pd.isna(tp) else tp, rules)
                    for d, r, tp in zip(mon["as_of"], mon["execution_rate"], mon["target_progress"])]

    evals = _frame(url, select(E.kind, E.score, _grade_sql(rules).label("grade"), E.evaluator,
                               E.deputies_participated, E.main_problems, E.result_application,
                               E.next_year_budget_change)
                   .where(E.project_id == project_id).order_by(_KIND_PRIORITY.desc(), E.id))
    finds = _frame(url, select(F.source, F.description, F.requirement, F.deadline, F.status, F.completed_on,
                               F.measures, F.amount)
                   .where(F.project_id == project_id).order_by(F.deadline.nulls_last(), F.id))
    finds["days_overdue"] = [R.days_overdue(s, d, today) for s, d in zip(finds["status"], finds["deadline"])]

    next_year = None
    if project["code"]:
        nxt = _rows(url, select(P.id, P.year, BUDGET).where(P.year == project["year"] + 1,
                                                            P.code == project["code"]))
        if nxt:
            nid, nyear, nbudget = nxt[0]
            next_year = {"project_id": nid, "year": nyear, "budget": nbudget,
                         "change": (nbudget - budget) if nbudget is not None and budget is not None else None}
    return {"project": project, "monitoring": mon, "evaluations": evals, "findings": finds,
            "next_year": next_year}


def provenance(url: str, year: int | None = None) -> dict:
    """Where the figures come from: the latest committed batch, and the year's monitoring as-of date."""
    batch = _rows(url, select(ImportBatch.id, ImportBatch.created_at, ImportBatch.files, ImportBatch.source)
                  .where(ImportBatch.status == "committed").order_by(ImportBatch.id.desc()).limit(1))
    out = {"batch_id": None, "created_at": None, "files": [], "source": None, "monitoring_as_of": None}
    if batch:
        out.update(zip(("batch_id", "created_at", "files", "source"), batch[0]))
    if year is not None:
        dates = _latest_dates_v(url, _version(url), year, None)
        out["monitoring_as_of"] = dates[-1] if dates else None
    return out
