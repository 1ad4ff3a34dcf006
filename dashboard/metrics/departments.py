"""Department rankings and profiles: sub-scores, the composite (R.composite_score), rank change and trend."""

from __future__ import annotations

import dataclasses

import pandas as pd

from dashboard.core import rules as R
from dashboard.metrics.coverage import coverage_by_department
from dashboard.metrics.evaluation import grade_mix_by_department
from dashboard.metrics.findings import findings_by_department
from dashboard.metrics.monitoring import lights_by_department
from dashboard.metrics.options import available_years
from dashboard.metrics.query import Query, cached, whole
from dashboard.metrics.totals import kpis

SUBSCORES = ["coverage", "execution", "evaluation", "rectification", "not_red"]
RANKING_COLUMNS = ["department_id", "department", "projects", "coverage", "execution", "evaluation",
                   "rectification", "not_red", "composite", "rank", "prev_rank", "rank_change", "small_sample",
                   "evaluations", "findings"]
TREND_COLUMNS = ["year", "projects", "budget", "coverage_funds", "execution_rate", "red", "grey", "avg_score",
                 "rectification_rate", "composite", "rank"]


def _subscores(q: Query) -> pd.DataFrame:
    """Per 主管部门 of the scope: the composite's sub-scores on 0–100 and the composite itself."""
    rules = q.rules
    cov = coverage_by_department(q)[["department_id", "department", "projects", "coverage_funds"]]
    lights = lights_by_department(q)[["department_id", "red", "reported", "execution_rate", "as_of"]]
    grades = grade_mix_by_department(q)[["department_id", "avg_score", "count"]]
    finds = findings_by_department(q)[["department_id", "rate", "total"]]
    df = cov.merge(lights, on="department_id", how="left").merge(grades, on="department_id", how="left") \
        .merge(finds, on="department_id", how="left")
    df["coverage"] = df["coverage_funds"] * 100
    df["execution"] = [R.execution_subscore(r, d, rules) if pd.notna(r) else None
                       for r, d in zip(df["execution_rate"], df["as_of"])]
    df["evaluation"] = df["avg_score"]
    df["rectification"] = df["rate"] * 100
    df["not_red"] = ((df["reported"] - df["red"]) / df["reported"] * 100).where(df["reported"] > 0)
    df[SUBSCORES] = df[SUBSCORES].astype(float)
    df["composite"] = [
        R.composite_score({k: (None if pd.isna(row[k]) else float(row[k])) for k in SUBSCORES}, rules)
        for _, row in df[SUBSCORES].iterrows()
    ]
    return df.rename(columns={"count": "evaluations", "total": "findings"})


def _ranked(q: Query) -> pd.DataFrame:
    """Every 主管部门 of the scope's year and fund source with its composite and rank (ties share the best),
    past any limit: a limited viewer's rank is its position among all departments."""
    return _ranked_whole(dataclasses.replace(q, scope=whole(q.scope))).copy()


@cached()
def _ranked_whole(q: Query) -> pd.DataFrame:
    """_ranked over the whole scope, once per query (a brief batch and each department's trend ask it again)."""
    df = _subscores(q)
    df["rank"] = df["composite"].rank(ascending=False, method="min")
    return df


def department_ranking(q: Query) -> pd.DataFrame:
    """Composite ranking of every 主管部门 of the scope's year and fund source, with rank change vs the year before.

    Under a scope limit only the limited departments' rows are returned, ranked among all departments; the
    frame's attrs["ranked"] says how many departments were ranked (no other department's name or score)."""
    df = _ranked(q)
    ranked = int(df["composite"].notna().sum()) if not df.empty else 0
    if q.scope.limit:
        df = df[df["department_id"].isin(q.scope.limit)]
    if df.empty:
        out = pd.DataFrame(columns=RANKING_COLUMNS)
        out.attrs["ranked"] = ranked
        return out
    prev = _ranked(q.scoped(year=q.scope.year - 1))
    df = df.merge(prev[["department_id", "rank"]].rename(columns={"rank": "prev_rank"}), on="department_id",
                  how="left")
    df["rank_change"] = df["prev_rank"] - df["rank"]
    df["small_sample"] = df["projects"] < q.rules.min_projects
    for c in ("rank", "prev_rank", "rank_change", "evaluations", "findings"):
        df[c] = df[c].astype("Int64")
    out = df.sort_values(["rank", "department"], na_position="last")[RANKING_COLUMNS].reset_index(drop=True)
    out.attrs["ranked"] = ranked
    return out


def _scalar(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def rank_of(q: Query, department_id: int) -> int | None:
    """A 主管部门's rank in q's year and fund source among every department: THE rank of the 部门排名 page
    (department_ranking) and of its export, also each year's rank in the department's trend."""
    ranked = _ranked(q)
    rank = ranked.loc[ranked["department_id"] == department_id, "rank"]
    return None if rank.empty or pd.isna(rank.iloc[0]) else int(rank.iloc[0])


def _composite_rank(mine: Query, department_id: int) -> tuple[float | None, int | None]:
    """(composite, rank) of one department in `mine`'s year and fund source: its row of the cached ranking of
    every department (_ranked_whole), which holds the same sub-scores _subscores computes for the department alone
    (one row per department either way), without computing them again for each department's trend (issue 28)."""
    if tuple(mine.scope.departments) != (department_id,):  # a limit clamped the department away: as before
        sub = _subscores(mine)
        return _scalar(sub["composite"].iloc[0] if len(sub) else None), rank_of(mine, department_id)
    ranked = _ranked_whole(dataclasses.replace(mine, scope=whole(mine.scope)))  # read only: not copied
    row = ranked.loc[ranked["department_id"] == department_id]
    if row.empty:
        return None, None
    rank = row["rank"].iloc[0]
    return _scalar(row["composite"].iloc[0]), (None if pd.isna(rank) else int(rank))


def department_trend(q: Query, department_id: int) -> pd.DataFrame:
    """One 主管部门's figures for every year with data (oldest first) under q's fund source, like the page's
    other figures (q's year and departments are not used): composite and rank (rank_of, as 部门排名) every year."""
    out = []
    for year in sorted(available_years(q.url)):
        mine = q.scoped(year=year, departments=(department_id,))
        k = kpis(mine)
        if not k["projects"]["projects"] and not k["evaluations"]["count"] and not k["findings"]["total"]:
            continue
        composite, rank = _composite_rank(mine, department_id)
        out.append({
            "year": year,
            "projects": k["projects"]["projects"],
            "budget": k["projects"]["budget_total"],
            "coverage_funds": k["projects"]["coverage_funds"],
            "execution_rate": k["monitoring"]["execution_rate"],
            "red": k["monitoring"]["red"],
            "grey": k["monitoring"]["grey"],
            "avg_score": k["evaluations"]["avg_score"],
            "rectification_rate": k["findings"]["rate"],
            "composite": composite,
            "rank": rank,
        })
    return pd.DataFrame(out, columns=TREND_COLUMNS)
