"""目标质量 (issue 25 item 3): the TQ1–TQ8 flags on a scope's performance targets, each from a rule of
dashboard.core.quality, with its reason; counted per rule, per 主管部门 and per project, and the summary's
`target_quality` key.

TQ1–TQ6 and TQ8 are found in SQL (dashboard.core.quality_sql); TQ7 compares project names in Python, bounded by
prefix filtering within one year (quality.duplicate_pairs). The flags of a query are computed once and cached
on the query (scalars only: url, data version, scope, rules), as a tuple of plain rows; lists page through it.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.orm import aliased

from dashboard.core import quality as Q
from dashboard.core import quality_sql as QS
from dashboard.core import rules_sql as RS
from dashboard.core.models import Indicator as I
from dashboard.core.models import Project as P
from dashboard.core.rules import EPS
from dashboard.core.settings import Rules
from dashboard.core.vocab import STAGE_DECLARED, STAGE_EVALUATION, STAGE_RANK, STAGE_SELF
from dashboard.metrics.query import Query, cached, department_names, rows, scope_where

BUDGET = RS.budget_base(P.adjusted_budget, P.initial_budget)
RANK = case(*[(I.stage == s, literal(r)) for s, r in STAGE_RANK.items()], else_=literal(-1))
FLAG_COLUMNS = ["rule", "rule_title", "department", "code", "project", "budget", "indicator", "target_text",
                "reason", "project_id", "department_id"]


def _stage_pick(years: tuple[int, ...], pick=func.min):
    """(project_id, rank) of every project with indicators in `years`: its least (or most) advanced stage."""
    return (select(I.project_id.label("project_id"), pick(RANK).label("rank"))
            .where(I.year.in_(years)).group_by(I.project_id).subquery())


def _first_stage(alias, years: tuple[int, ...]):
    """The join condition keeping `alias` (an Indicator alias) at its project's first stage (targets as first stated)."""
    first = _stage_pick(years)
    rank = case(*[(alias.stage == s, literal(r)) for s, r in STAGE_RANK.items()], else_=literal(-1))
    return first, and_(first.c.project_id == alias.project_id, rank == first.c.rank)


def _tq1_tq2(q: Query, condition) -> list:
    first, on = _first_stage(I, (q.scope.year,))
    stmt = (select(P.id, I.id, I.name, I.target_text).select_from(I).join(first, on).join(P, P.id == I.project_id)
            .where(*scope_where(P, q.scope), condition).order_by(P.id, I.id))
    return rows(q.url, stmt)


def _previous_project(q: Query):
    """P0: the same project code's project of the year before (aliased), for TQ3 and TQ6."""
    p0 = aliased(P, name="prev_project")
    return p0, and_(p0.code == P.code, p0.year == P.year - 1)


def _tq3(q: Query) -> list:
    """(project_id, previous year, indicators, copied) of projects whose every first-stated target is last year's."""
    y = q.scope.year
    i0 = aliased(I, name="prev_indicator")
    first, on = _first_stage(I, (y,))
    first0, on0 = _first_stage(i0, (y - 1,))
    p0, link = _previous_project(q)
    same = exists(select(i0.id).select_from(i0).join(first0, on0)
                  .where(i0.project_id == p0.id, i0.name == I.name, i0.target_text == I.target_text))
    stmt = (select(P.id, p0.year, func.count().label("n"),
                   func.sum(case((and_(I.target_text.is_not(None), same), 1), else_=0)).label("copied"))
            .select_from(I).join(first, on).join(P, P.id == I.project_id).join(p0, link)
            .where(*scope_where(P, q.scope)).group_by(P.id, p0.year))
    sub = stmt.subquery()
    return rows(q.url, select(sub).where(sub.c.copied > 0, sub.c.copied >= sub.c.n * Q.COPY_SHARE - EPS)
                .order_by(sub.c.id))


def _tq4(q: Query) -> list:
    best = _stage_pick((q.scope.year,), func.max)
    stmt = (select(P.id, I.id, I.name, I.target_text, I.actual_text, I.target_value, I.actual_value)
            .select_from(I).join(best, and_(best.c.project_id == I.project_id, RANK == best.c.rank))
            .join(P, P.id == I.project_id)
            .where(*scope_where(P, q.scope), I.stage.in_((STAGE_SELF, STAGE_EVALUATION)),
                   QS.overshoot(I.comparator, I.target_value, I.target_unit, I.actual_value, I.actual_unit, q.rules))
            .order_by(P.id, I.id))
    return rows(q.url, stmt)


def _tq5(q: Query) -> list:
    j = aliased(I, name="self_indicator")
    has_self = exists(select(j.id).where(j.project_id == I.project_id, j.stage == STAGE_SELF))
    same_name = exists(select(j.id).where(j.project_id == I.project_id, j.stage == STAGE_SELF, j.name == I.name))
    stmt = (select(P.id, I.id, I.name, I.target_text).select_from(I).join(P, P.id == I.project_id)
            .where(*scope_where(P, q.scope), I.stage == STAGE_DECLARED, has_self, ~same_name)
            .order_by(P.id, I.id))
    return rows(q.url, stmt)


def _tq6(q: Query) -> list:
    """(project_id, budget, previous budget, outputs) of projects up by more than the share with flat outputs."""
    y = q.scope.year
    i0 = aliased(I, name="prev_indicator")
    first, on = _first_stage(I, (y,))
    first0, on0 = _first_stage(i0, (y - 1,))
    p0, link = _previous_project(q)
    budget0 = RS.budget_base(p0.adjusted_budget, p0.initial_budget)
    flat = exists(select(i0.id).select_from(i0).join(first0, on0)
                  .where(i0.project_id == p0.id, i0.name == I.name, i0.target_value == I.target_value,
                         func.coalesce(i0.target_unit, "") == func.coalesce(I.target_unit, "")))
    output = QS.family(I.level1) == Q.FAMILIES[0]
    stmt = (select(P.id, BUDGET.label("budget"), budget0.label("previous"),
                   func.sum(case((output, 1), else_=0)).label("outputs"),
                   func.sum(case((and_(output, I.target_value.is_not(None), flat), 1), else_=0)).label("flat"))
            .select_from(I).join(first, on).join(P, P.id == I.project_id).join(p0, link)
            .where(*scope_where(P, q.scope), QS.budget_up(BUDGET, budget0, q.rules))
            .group_by(P.id, BUDGET, budget0))
    sub = stmt.subquery()
    return rows(q.url, select(sub.c.id, sub.c.budget, sub.c.previous, sub.c.outputs)
                .where(sub.c.outputs > 0, sub.c.flat == sub.c.outputs).order_by(sub.c.id))


def _tq8(q: Query) -> list:
    j = aliased(I, name="cost_indicator")
    has_any = exists(select(j.id).where(j.project_id == P.id))
    has_cost = exists(select(j.id).where(j.project_id == P.id, QS.is_cost_indicator(j.level1)))
    stmt = (select(P.id, BUDGET).where(*scope_where(P, q.scope), has_any,
                                       QS.needs_cost_indicator(BUDGET, has_cost, q.rules)).order_by(P.id))
    return rows(q.url, stmt)


@cached(maxsize=16)
def _year_projects(url: str, version: int, year: int) -> tuple:
    """(id, name, budget, department_id) of every project of the year (TQ7 compares across all departments)."""
    return tuple(tuple(r) for r in rows(url, select(P.id, P.name, BUDGET, P.department_id).where(P.year == year)))


@cached(maxsize=16)
def duplicate_pairs(url: str, version: int, year: int, similarity: float, amount_share: float) -> tuple:
    """Q.duplicate_pairs of one year's projects: (id a, id b, similarity), keyed on scalars only."""
    rules = Rules(duplicate_similarity=similarity, duplicate_amount_share=amount_share)
    return tuple(Q.duplicate_pairs(_year_projects(url, version, year), rules))


def _scope_projects(q: Query) -> dict[int, tuple]:
    """id → (department_id, code, name, budget) of the scope's projects."""
    stmt = select(P.id, P.department_id, P.code, P.name, BUDGET).where(*scope_where(P, q.scope))
    return {r[0]: tuple(r[1:]) for r in rows(q.url, stmt)}


def _wan(x) -> str:
    return "—" if x is None else f"{float(x):,.2f} 万元"


@cached(maxsize=32)
def flag_rows(q: Query) -> tuple:
    """Every flag of the scope as plain rows (rule, project_id, indicator, target_text, reason), by rule then project."""
    out: list[tuple] = []
    r = q.rules
    for pid, _iid, name, target in _tq1_tq2(q, QS.is_vague(I.target_text)):
        out.append(("TQ1", pid, name, target, Q.vague_reason(target)))
    for pid, _iid, name, target in _tq1_tq2(q, QS.is_placeholder(I.target_text)):
        out.append(("TQ2", pid, name, target, f"指标值为“{target}”，没有设定可衡量的目标"))
    for pid, prev_year, n, copied in _tq3(q):
        out.append(("TQ3", pid, None, None,
                    f"{int(copied)} 个指标的名称和指标值与 {prev_year} 年同一项目编码的申报完全相同（共 {int(n)} 个指标）"))
    for pid, _iid, name, target, actual, tv, av in _tq4(q):
        out.append(("TQ4", pid, name, target,
                    (f"实际完成“{actual}”，是指标值的 {float(av) / float(tv):.2f} 倍（≥ {r.overshoot_factor:g} 倍），"
                     "目标可能定得过低")))
    for pid, _iid, name, target in _tq5(q):
        out.append(("TQ5", pid, name, target, "申报时有这个指标，单位自评时没有"))
    for pid, budget, previous, outputs in _tq6(q):
        up = float(budget) / float(previous) - 1
        out.append(("TQ6", pid, None, None,
                    (f"预算 {_wan(budget)}，比上年 {_wan(previous)}增长 {up:.1%}（超过 {r.budget_up_share:.0%}），"
                     f"而 {int(outputs)} 个产出指标的指标值与上年相同")))
    scope_projects = _scope_projects(q)
    everyone = {p[0]: p for p in _year_projects(q.url, q.version, q.scope.year)}
    names = department_names(q.url, q.version)
    visible = set(q.scope.limit)
    for a, b, sim in duplicate_pairs(q.url, q.version, q.scope.year, r.duplicate_similarity,
                                     r.duplicate_amount_share):
        for me, other in ((a, b), (b, a)):
            if me not in scope_projects:
                continue
            _id, oname, obudget, odept = everyone[other]
            who = (f"{names.get(odept, '')}的“{oname}”" if not visible or odept in visible else "另一部门的项目")
            out.append(("TQ7", me, None, None, f"与{who}名称相似度 {sim:.0%}，预算 {_wan(obudget)}，疑似重复申报"))
    for pid, budget in _tq8(q):
        need = f"（≥ {r.cost_indicator_min_wan:g} 万元的项目须设）" if r.cost_indicator_min_wan > 0 else ""
        out.append(("TQ8", pid, None, None, f"预算 {_wan(budget)}，没有成本指标{need}"))
    order = {rule: i for i, rule in enumerate(Q.RULE_IDS)}
    out.sort(key=lambda t: (order[t[0]], -(scope_projects.get(t[1], (0, 0, 0, 0))[3] or 0), t[1], t[2] or ""))
    return tuple(out)


def _frame(q: Query, flags: tuple) -> pd.DataFrame:
    projects = _scope_projects(q)
    names = department_names(q.url, q.version)
    data = []
    for rule, pid, indicator, target, reason in flags:
        dept, code, name, budget = projects.get(pid, (None, None, None, None))
        data.append((rule, Q.RULE_TITLES[rule], names.get(dept), code, name, budget, indicator, target, reason, pid,
                     dept))
    return pd.DataFrame(data, columns=FLAG_COLUMNS)


def _selected(q: Query, rule: str | None) -> tuple:
    flags = flag_rows(q)
    return flags if not rule else tuple(f for f in flags if f[0] == rule)


def quality_flags(q: Query, rule: str | None = None, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """The flags (of one rule, or all), by rule, then largest budget first: rule, its title, department, project,
    the indicator and target for indicator rules, the reason."""
    flags = _selected(q, rule)
    end = None if limit is None else offset + int(limit)
    return _frame(q, flags[offset:end])


def quality_flags_count(q: Query, rule: str | None = None) -> int:
    return len(_selected(q, rule))


def target_quality_summary(q: Query) -> dict:
    """`summary --json`'s `target_quality`: {"flags": N, "projects_flagged": N, "by_rule": {"TQ1": N, …}} — every
    flag of the scope counted once (an indicator for TQ1, TQ2, TQ4, TQ5; a project for TQ3, TQ6, TQ7, TQ8)."""
    flags = flag_rows(q)
    by_rule = {rule: 0 for rule in Q.RULE_IDS}
    for f in flags:
        by_rule[f[0]] += 1
    return {"flags": len(flags), "projects_flagged": len({f[1] for f in flags}), "by_rule": by_rule}


def quality_by_rule(q: Query) -> pd.DataFrame:
    """One row per rule: id, title, what it flags (指标 / 项目), flags, projects flagged, and the rule in words."""
    flags = flag_rows(q)
    data = []
    for rule in Q.RULE_IDS:
        mine = [f for f in flags if f[0] == rule]
        data.append((rule, Q.RULE_TITLES[rule], "指标" if rule in Q.INDICATOR_RULES else "项目", len(mine),
                     len({f[1] for f in mine}), Q.rule_explanation(rule, q.rules)))
    return pd.DataFrame(data, columns=["rule", "rule_title", "unit_of_flag", "flags", "projects_flagged",
                                       "explanation"])


def quality_by_department(q: Query) -> pd.DataFrame:
    """Per 主管部门 of the scope: projects, projects flagged and their share, flags, and flags per rule."""
    stmt = (select(P.department_id, func.count()).where(*scope_where(P, q.scope)).group_by(P.department_id))
    projects = dict(rows(q.url, stmt))
    by_project = _scope_projects(q)
    counts: dict[int, dict] = {d: {rule: 0 for rule in Q.RULE_IDS} for d in projects}
    flagged: dict[int, set] = {d: set() for d in projects}
    for rule, pid, *_rest in flag_rows(q):
        dept = by_project[pid][0]
        counts[dept][rule] += 1
        flagged[dept].add(pid)
    names = department_names(q.url, q.version)
    data = [{"department_id": d, "department": names.get(d), "projects": int(n),
             "projects_flagged": len(flagged[d]), "flagged_share": len(flagged[d]) / n if n else None,
             "flags": sum(counts[d].values()), **counts[d]} for d, n in projects.items()]
    cols = ["department_id", "department", "projects", "projects_flagged", "flagged_share", "flags", *Q.RULE_IDS]
    df = pd.DataFrame(data, columns=cols)
    return df.sort_values(["flagged_share", "department"], ascending=[False, True]).reset_index(drop=True)


def quality_projects(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Projects with at least one flag: department, project, budget, how many flags and which rules, most first."""
    flags = flag_rows(q)
    by_pid: dict[int, list[str]] = {}
    for rule, pid, *_rest in flags:
        by_pid.setdefault(pid, []).append(rule)
    projects = _scope_projects(q)
    names = department_names(q.url, q.version)
    data = []
    for pid, rules_hit in by_pid.items():
        dept, code, name, budget = projects[pid]
        distinct = sorted(set(rules_hit), key=Q.RULE_IDS.index)
        data.append((pid, names.get(dept), code, name, budget, len(rules_hit), "、".join(distinct)))
    df = pd.DataFrame(data, columns=["project_id", "department", "code", "project", "budget", "flags", "rules"])
    df = df.sort_values(["flags", "budget", "project_id"], ascending=[False, False, True], na_position="last")
    end = None if limit is None else offset + int(limit)
    return df.iloc[offset:end].reset_index(drop=True)


def quality_projects_count(q: Query) -> int:
    return len({f[1] for f in flag_rows(q)})

