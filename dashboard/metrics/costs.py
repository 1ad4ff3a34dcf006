"""成本绩效 (issue 25 item 4): 成本指标 by kind and type, the share of projects carrying one per 主管部门, and unit
costs compared within peer groups (projects.peer_group, 同类项目分组) with the median and band of
dashboard.core.quality.unit_cost_band.

Counts are aggregated in SQL. A peer group's median and band are computed over the group's projects of the whole
year (every department, the scope's fund source), so the band does not move with the department filter; the
lists show the scope's projects only. Cached on scalars (url, data version, year, fund source).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.orm import aliased

from dashboard.core import quality as Q
from dashboard.core import quality_sql as QS
from dashboard.core import rules_sql as RS
from dashboard.core.models import Indicator as I
from dashboard.core.models import Project as P
from dashboard.core.vocab import STAGE_RANK
from dashboard.metrics.query import (
    Query,
    Scope,
    cached,
    department_names,
    frame,
    rows,
    scope_where,
    whole,
    with_names,
)

BUDGET = RS.budget_base(P.adjusted_budget, P.initial_budget)
RANK = case(*[(I.stage == s, literal(r)) for s, r in STAGE_RANK.items()], else_=literal(-1))
UNIT_COST_COLUMNS = ["peer_group", "department", "code", "project", "budget", "indicator", "unit_cost", "cost_unit",
                     "group_median", "band_low", "band_high", "ratio_to_median", "position", "project_id",
                     "department_id"]
_RAW = ["peer_group", "department_id", "code", "project", "budget", "indicator", "unit_cost", "cost_unit", "group_median",
        "band_low", "band_high", "ratio_to_median", "position", "project_id"]  # the tuples of _unit_costs
NOT_COMPARED_UNIT = "单位与同组不同，未比较"
TOO_FEW = f"同组少于 {Q.MIN_PEERS} 个，未比较"


def cost_share_by_department(q: Query) -> pd.DataFrame:
    """Per 主管部门: projects with indicators (any stage), those with a 成本指标 among them, and the share."""
    j = aliased(I, name="any_indicator")
    has_any = exists(select(j.id).where(j.project_id == P.id))
    has_cost = exists(select(j.id).where(j.project_id == P.id, QS.is_cost_indicator(j.level1)))
    stmt = (select(P.department_id, func.count().label("indicator_projects"),
                   func.sum(case((has_cost, 1), else_=0)).label("cost_projects"))
            .where(*scope_where(P, q.scope), has_any).group_by(P.department_id))
    df = frame(q.url, stmt, ["department_id", "indicator_projects", "cost_projects"])
    df["cost_share"] = (df["cost_projects"] / df["indicator_projects"]).where(df["indicator_projects"] > 0)
    return with_names(q, df).sort_values("department").reset_index(drop=True)


def _first_stage_costs(scope: Scope):
    """The cost indicators at each project's first stage (targets as first stated), of the scope's projects."""
    first = (select(I.project_id.label("project_id"), func.min(RANK).label("rank"))
             .where(I.year == scope.year).group_by(I.project_id).subquery())
    return (select(I, P.department_id, P.peer_group, P.code, P.name.label("project"), BUDGET.label("budget"))
            .select_from(I).join(first, and_(first.c.project_id == I.project_id, RANK == first.c.rank))
            .join(P, P.id == I.project_id)
            .where(*scope_where(P, scope), QS.is_cost_indicator(I.level1)))


def cost_indicator_mix(q: Query) -> pd.DataFrame:
    """Cost indicators as first stated, counted by kind (经济 / 社会 / 生态环境成本, 未分类) and type (单位 / 总 / 分项成本)."""
    sub = _first_stage_costs(q.scope).subquery()
    kind, kind_type = QS.cost_kind(sub.c.level2), QS.cost_type(sub.c.name, sub.c.target_unit)
    stmt = (select(kind.label("cost_kind"), kind_type.label("cost_type"), func.count().label("indicators"),
                   func.count(func.distinct(sub.c.project_id)).label("projects"))
            .group_by(kind, kind_type))
    df = frame(q.url, stmt, ["cost_kind", "cost_type", "indicators", "projects"])
    order = {k: i for i, k in enumerate((*Q.COST_KINDS, Q.UNCLASSIFIED))}
    types = {t: i for i, t in enumerate(Q.COST_TYPES)}
    return (df.assign(_k=df["cost_kind"].map(order), _t=df["cost_type"].map(types))
            .sort_values(["_k", "_t"]).drop(columns=["_k", "_t"]).reset_index(drop=True))


@cached(maxsize=16)
def _unit_costs(url: str, version: int, year: int, fund_source: str | None) -> tuple:
    """Every project of the year (every department) in a peer group with a 单位成本 target: one row per project
    (its first such indicator) with the group's median, band and the project's position, as plain tuples."""
    scope = Scope(year=year, fund_source=fund_source)
    sub = _first_stage_costs(scope).subquery()
    stmt = (select(sub.c.project_id, sub.c.department_id, sub.c.peer_group, sub.c.code, sub.c.project, sub.c.budget,
                   sub.c.name, sub.c.target_value, sub.c.target_unit)
            .where(sub.c.peer_group.is_not(None), sub.c.peer_group != "", sub.c.target_value.is_not(None),
                   QS.cost_type(sub.c.name, sub.c.target_unit) == Q.COST_TYPES[0])
            .order_by(sub.c.peer_group, sub.c.project_id, sub.c.id))
    seen: set[int] = set()
    picked = []
    for r in rows(url, stmt):
        if r[0] not in seen:
            seen.add(r[0])
            picked.append(tuple(r))
    by_group: dict[str, list] = {}
    for r in picked:
        by_group.setdefault(r[2], []).append(r)
    out = []
    for group, members in by_group.items():
        units = Counter(m[8] or "" for m in members)
        unit = min(units.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        band = Q.unit_cost_band([m[7] for m in members if (m[8] or "") == unit])
        for pid, dept, _g, code, name, budget, indicator, value, u in members:
            if (u or "") != unit:
                position, median, low, high = NOT_COMPARED_UNIT, None, None, None
            elif band is None:
                position, median, low, high = TOO_FEW, None, None, None
            else:
                median, low, high = band
                position = Q.band_position(value, band)
            ratio = value / median if median else None
            out.append((group, dept, code, name, budget, indicator, value, u, median, low, high, ratio, position,
                        pid))
    return tuple(out)


def _scoped_unit_costs(q: Query) -> pd.DataFrame:
    scope = whole(q.scope)
    data = _unit_costs(q.url, q.version, scope.year, scope.fund_source)
    keep = set(q.scope.departments)
    df = pd.DataFrame([r for r in data if not keep or r[1] in keep], columns=_RAW)
    df["department"] = df["department_id"].map(department_names(q.url, q.version))
    return df[UNIT_COST_COLUMNS]


def unit_costs(q: Query) -> pd.DataFrame:
    """The scope's projects in peer groups with a 单位成本 target: value, unit, the group's median and band, and its
    position (偏高 / 偏低 / 正常, or why it is not compared), by group and value."""
    return _scoped_unit_costs(q).sort_values(["peer_group", "unit_cost", "project_id"]).reset_index(drop=True)


def _outliers(q: Query) -> pd.DataFrame:
    df = _scoped_unit_costs(q)
    df = df[df["position"].isin(["偏高", "偏低"])]
    far = (df["ratio_to_median"] - 1).abs()
    return df.assign(_far=far).sort_values(["_far", "project_id"], ascending=[False, True]).drop(columns="_far")


def unit_cost_outliers(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Projects whose unit cost lies outside their group's band, farthest from the median first."""
    end = None if limit is None else offset + int(limit)
    return _outliers(q).iloc[offset:end].reset_index(drop=True)


def unit_cost_outliers_count(q: Query) -> int:
    return len(_outliers(q))


def peer_groups(q: Query) -> pd.DataFrame:
    """Per peer group with a project in scope: projects in the group with a unit cost (whole year), the unit
    compared, median, band, and how many of the scope's projects lie above / below it."""
    scope = whole(q.scope)
    data = pd.DataFrame(list(_unit_costs(q.url, q.version, scope.year, scope.fund_source)), columns=_RAW)
    if data.empty:
        return pd.DataFrame(columns=["peer_group", "group_projects", "cost_unit", "group_median", "band_low",
                                     "band_high", "scope_projects", "above", "below"])
    mine = _scoped_unit_costs(q)
    out = []
    for group, g in data.groupby("peer_group", sort=True):
        compared = g[g["group_median"].notna()]
        s = mine[mine["peer_group"] == group]
        if s.empty:
            continue
        row = compared.iloc[0] if len(compared) else None
        out.append({"peer_group": group, "group_projects": len(g),
                    "cost_unit": row["cost_unit"] if row is not None else g["cost_unit"].mode().iloc[0],
                    "group_median": row["group_median"] if row is not None else None,
                    "band_low": row["band_low"] if row is not None else None,
                    "band_high": row["band_high"] if row is not None else None,
                    "scope_projects": len(s), "above": int((s["position"] == "偏高").sum()),
                    "below": int((s["position"] == "偏低").sum())})
    return pd.DataFrame(out)
