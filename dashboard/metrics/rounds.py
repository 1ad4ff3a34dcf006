"""报送情况 (issue 26): which units have reported a collection round (报送轮次), which reported late, which not.

A round is a table kind and a cut-off (dashboard.core.models.CollectionRound): a monitoring round (the year and its
监控截止日期 `as_of`) or the 单位自评 of a year, with an optional 报送截止日期 `due_on`. Its units (应报单位) are the units
with projects of the round's year in the scope (主管部门, 资金来源, the account's department limit). A unit has
reported (已报送) a monitoring round when one of those projects has a monitoring record of the round's as_of, a
self-evaluation round when it has a 单位自评 of the year (its own unit, or the evaluated project's). It reported late
(逾期报送) when its first upload for the round — the earliest created_at of the import batches that created those
rows — falls after due_on (a day after it or later); 未报送 = not reported. Its last upload is the newest batch
that created or changed them. The rounds listed are those of the scope's year; the current round is the newest
open one (latest opened_at), else the newest one. Everything is counted in SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from sqlalchemy import and_, case, func, literal, select

from dashboard.core.models import CollectionRound as CR
from dashboard.core.models import Department as D
from dashboard.core.models import Evaluation as E
from dashboard.core.models import ImportBatch as B
from dashboard.core.models import MonitoringRecord as M
from dashboard.core.models import Project as P
from dashboard.core.models import Unit as U
from dashboard.core.vocab import EVALUATION_KINDS
from dashboard.core.writes import ROUND_KIND_LABELS, ROUND_MONITORING
from dashboard.metrics.query import Query, Scope, cached, count_rows, frame, paged, scope_where

SELF_EVALUATION = EVALUATION_KINDS[0]  # 单位自评
REPORTED, LATE, NOT_REPORTED = "已报送", "逾期报送", "未报送"
STATUSES = (NOT_REPORTED, LATE, REPORTED)  # the order of the unit list: whom to chase first
ROUND_COLUMNS = ["round_id", "kind", "kind_label", "year", "as_of", "due_on", "title", "opened_at", "opened_by",
                 "closed_at", "is_open", "label"]
UNIT_COLUMNS = ["unit_id", "unit_code", "unit", "department_id", "department", "status", "contact", "phone",
                "first_upload", "last_upload", "batch_id"]


def _label(kind: str, year: int, as_of, title) -> str:
    """'2024年1—8月绩效运行监控（绩效监控，截至 2024-08-31）', or without a title '2024年绩效监控（截至 2024-08-31）'."""
    kind_label = ROUND_KIND_LABELS.get(kind, kind)
    cut_off = f"截至 {as_of:%Y-%m-%d}" if as_of is not None and not pd.isna(as_of) else ""
    if title:
        return f"{title}（{kind_label}{'，' + cut_off if cut_off else ''}）"
    return f"{year}年{kind_label}" + (f"（{cut_off}）" if cut_off else "")


@cached()
def _rounds(url: str, version: int, year: int) -> pd.DataFrame:
    is_open = case((CR.closed_at.is_(None), 1), else_=0)
    stmt = (select(CR.id.label("round_id"), CR.kind, CR.year, CR.as_of, CR.due_on, CR.title, CR.opened_at,
                   CR.opened_by, CR.closed_at, is_open.label("is_open"))
            .where(CR.year == int(year))
            .order_by(is_open.desc(), CR.opened_at.desc(), CR.id.desc()))
    df = frame(url, stmt)
    df["is_open"] = df["is_open"].astype(bool)
    df["kind_label"] = df["kind"].map(lambda k: ROUND_KIND_LABELS.get(k, k))
    df["label"] = [_label(k, y, a, t) for k, y, a, t in zip(df["kind"], df["year"], df["as_of"], df["title"])]
    return df[ROUND_COLUMNS]


def round_list(q: Query) -> pd.DataFrame:
    """The rounds of the scope's year, the current one first (open before closed, then newest opened first)."""
    return _rounds(q.url, q.version, q.scope.year).copy()


def current_round(q: Query) -> dict | None:
    """The current round of the scope's year (the newest open one, else the newest) as a dict, or None."""
    df = _rounds(q.url, q.version, q.scope.year)
    return None if df.empty else df.iloc[0].to_dict()


def get_round(q: Query, round_id: int) -> dict | None:
    """One round of the scope's year by id, or None."""
    df = _rounds(q.url, q.version, q.scope.year)
    found = df[df["round_id"] == int(round_id)]
    return None if found.empty else found.iloc[0].to_dict()


def _unit_status_select(scope: Scope, rnd: dict):
    """One row per unit of the round: its department, contact, status, first and last upload and last batch."""
    in_scope = scope_where(P, dataclasses.replace(scope, year=int(rnd["year"])))
    population = (select(P.unit_id.label("unit_id")).distinct()
                  .where(*in_scope, P.unit_id.is_not(None)).subquery("population"))
    if rnd["kind"] == ROUND_MONITORING:
        evidence = (select(P.unit_id.label("unit_id"), M.created_batch_id.label("first_b"),
                           func.coalesce(M.batch_id, M.created_batch_id).label("last_b"))
                    .select_from(M).join(P, P.id == M.project_id)
                    .where(*in_scope, P.unit_id.is_not(None), M.as_of == rnd["as_of"]))
    else:
        linked = P.__table__.alias("evaluated_project")
        evidence = (select(func.coalesce(E.unit_id, linked.c.unit_id).label("unit_id"),
                           E.created_batch_id.label("first_b"),
                           func.coalesce(E.batch_id, E.created_batch_id).label("last_b"))
                    .select_from(E).outerjoin(linked, linked.c.id == E.project_id)
                    .where(E.year == int(rnd["year"]), E.kind == SELF_EVALUATION))
    ev = evidence.subquery("evidence")
    first_batch = B.__table__.alias("first_batch")
    reports = (select(ev.c.unit_id, func.min(first_batch.c.created_at).label("first_upload"),
                      func.max(ev.c.last_b).label("last_b"), func.count().label("n"))
               .select_from(ev).outerjoin(first_batch, first_batch.c.id == ev.c.first_b)
               .where(ev.c.unit_id.is_not(None))
               .group_by(ev.c.unit_id).subquery("reports"))
    last_batch = B.__table__.alias("last_batch")
    due_on = rnd.get("due_on")
    if due_on is not None and not pd.isna(due_on):
        after_due = dt.datetime.combine(pd.Timestamp(due_on).date() + dt.timedelta(days=1), dt.time())
        late = and_(reports.c.first_upload.is_not(None), reports.c.first_upload >= after_due)
    else:
        late = literal(False)
    status = case((reports.c.unit_id.is_(None), NOT_REPORTED), (late, LATE), else_=REPORTED)
    rank = case((reports.c.unit_id.is_(None), 0), (late, 1), else_=2)
    stmt = (select(U.id.label("unit_id"), U.code.label("unit_code"), U.name.label("unit"), U.department_id,
                   D.name.label("department"), status.label("status"), U.contact, U.phone,
                   reports.c.first_upload, last_batch.c.created_at.label("last_upload"),
                   reports.c.last_b.label("batch_id"), rank.label("rank"))
            .select_from(population)
            .join(U, U.id == population.c.unit_id)
            .join(D, D.id == U.department_id)
            .outerjoin(reports, reports.c.unit_id == population.c.unit_id)
            .outerjoin(last_batch, last_batch.c.id == reports.c.last_b))
    return stmt, rank, status


def _unit_select(scope: Scope, rnd: dict, statuses: tuple[str, ...] = ()):
    stmt, rank, status = _unit_status_select(scope, rnd)
    if statuses:
        stmt = stmt.where(status.in_(statuses))
    return stmt.order_by(rank, D.name, U.name, U.id)


def _round_or_none(q: Query, round_id: int | None) -> dict | None:
    return current_round(q) if round_id is None else get_round(q, round_id)


def round_units(q: Query, round_id: int | None = None, statuses: tuple[str, ...] = (), limit: int | None = None,
                offset: int = 0) -> pd.DataFrame:
    """The round's units (the current round when round_id is None): 未报送 first, then 逾期报送, then 已报送, each by
    department and unit name; `statuses` keeps only those. Columns UNIT_COLUMNS."""
    rnd = _round_or_none(q, round_id)
    if rnd is None:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    df = frame(q.url, paged(_unit_select(q.scope, rnd, tuple(statuses)), limit, offset))
    return df[UNIT_COLUMNS]


def round_units_count(q: Query, round_id: int | None = None, statuses: tuple[str, ...] = ()) -> int:
    rnd = _round_or_none(q, round_id)
    return 0 if rnd is None else count_rows(q.url, _unit_select(q.scope, rnd, tuple(statuses)))


@cached()
def _by_department(url: str, version: int, scope: Scope, rnd_items: tuple) -> pd.DataFrame:
    rnd = dict(rnd_items)
    units = _unit_status_select(scope, rnd)[0].subquery("round_units")

    def count(status):
        return func.coalesce(func.sum(case((units.c.status == status, 1), else_=0)), 0)

    stmt = (select(units.c.department_id, units.c.department, func.count().label("units"),
                   count(REPORTED).label("on_time"), count(LATE).label("late"),
                   count(NOT_REPORTED).label("not_reported"))
            .group_by(units.c.department_id, units.c.department)
            .order_by(count(NOT_REPORTED).desc(), count(LATE).desc(), units.c.department, units.c.department_id))
    df = frame(url, stmt)
    for c in ("units", "on_time", "late", "not_reported"):
        df[c] = df[c].astype(int)
    df["reported"] = df["on_time"] + df["late"]
    df["rate"] = [r / n if n else None for r, n in zip(df["reported"], df["units"])]
    return df[["department_id", "department", "units", "reported", "on_time", "late", "not_reported", "rate"]]


def _key(rnd: dict) -> tuple:
    return tuple((k, rnd[k]) for k in ("round_id", "kind", "year", "as_of", "due_on"))


def round_by_department(q: Query, round_id: int | None = None) -> pd.DataFrame:
    """Per department of the round's units: units (应报), reported (已报送, late ones included), on_time, late,
    not_reported and rate (reported ÷ units); most 未报送 first, then most 逾期, then by name."""
    rnd = _round_or_none(q, round_id)
    if rnd is None:
        return pd.DataFrame(columns=["department_id", "department", "units", "reported", "on_time", "late",
                                     "not_reported", "rate"])
    return _by_department(q.url, q.version, q.scope, _key(rnd)).copy()


def round_counts(q: Query, round_id: int | None = None) -> dict | None:
    """units, reported (late included), on_time, late, not_reported and rate of a round (the current one by
    default); None when there is no such round."""
    rnd = _round_or_none(q, round_id)
    if rnd is None:
        return None
    df = _by_department(q.url, q.version, q.scope, _key(rnd))
    units, reported, late = (int(df[c].sum()) for c in ("units", "reported", "late"))
    return {"units": units, "reported": reported, "on_time": reported - late, "late": late,
            "not_reported": units - reported, "rate": reported / units if units else None}


def rounds_summary(q: Query) -> dict:
    """`summary --json`'s `rounds`: {"current": {"kind", "as_of", "units", "reported", "late"}} of the current
    round of the year (as_of null for a self-evaluation round), or {"current": None} when the year has none."""
    rnd = current_round(q)
    if rnd is None:
        return {"current": None}
    c = round_counts(q, int(rnd["round_id"]))
    as_of = rnd["as_of"]
    return {"current": {"kind": rnd["kind"],
                        "as_of": None if as_of is None or pd.isna(as_of) else pd.Timestamp(as_of).date().isoformat(),
                        "units": c["units"], "reported": c["reported"], "late": c["late"]}}
