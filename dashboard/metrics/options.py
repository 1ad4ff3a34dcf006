"""Lookups for the filters and the page footers: years, departments, fund sources, provenance.

Lookups need no scope and take the database URL; fund sources are read from project_facts, so call
`prepare(url)` first, as for every metric. `provenance` speaks of a year's figures and takes a Query.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import or_, select

from dashboard.core.models import Department as D
from dashboard.core.models import ImportBatch
from dashboard.core.models import Project as P
from dashboard.core.models import ProjectFacts as PF
from dashboard.core.vocab import BATCH_COMMITTED
from dashboard.metrics.query import Query, frame, latest_dates, rows, whole


def available_years(url: str) -> list[int]:
    """Years with projects, latest first."""
    return [r[0] for r in rows(url, select(P.year).distinct().order_by(P.year.desc()))]


def department_options(url: str) -> pd.DataFrame:
    """Every 主管部门 (id, code, name, kind), by code, departments without a code last."""
    return frame(url, select(D.id, D.code, D.name, D.kind).order_by(D.code.is_(None), D.code, D.name))


def department_sectors(url: str) -> dict[int, str | None]:
    """Each 主管部门's 所属领域 (sector) by id, None where not given (the brief's comparable departments)."""
    return dict(rows(url, select(D.id, D.sector)))


def fund_source_options(url: str) -> list[str]:
    """The fund sources projects carry (read from the narrow facts table)."""
    stmt = select(PF.fund_source).distinct().where(PF.fund_source.is_not(None)).order_by(PF.fund_source)
    return [r[0] for r in rows(url, stmt)]


def resolve_department(url: str, code_or_name: str) -> int | None:
    """A 主管部门 by code or by name (exact, after trimming)."""
    key = code_or_name.strip()
    row = rows(url, select(D.id).where(or_(D.code == key, D.name == key)).limit(1))
    return row[0][0] if row else None


def resolve_project(url: str, code: str, year: int) -> int | None:
    """A project by its 项目编码 (exact, after trimming): the one of `year`, else the latest year that has the code
    (the ?project= link staff copy from a table, where the code is what they see)."""
    key = code.strip()
    if not key:
        return None
    found = rows(url, select(P.id, P.year).where(P.code == key).order_by((P.year == year).desc(), P.year.desc()).limit(1))
    return found[0][0] if found else None


def provenance(q: Query) -> dict:
    """Where the figures come from: the latest committed batch, and the monitoring as-of date of q's year
    (over every department and fund source)."""
    batch = rows(q.url, select(ImportBatch.id, ImportBatch.created_at, ImportBatch.files, ImportBatch.source)
                 .where(ImportBatch.status == BATCH_COMMITTED).order_by(ImportBatch.id.desc()).limit(1))
    out = {"batch_id": None, "created_at": None, "files": [], "source": None, "monitoring_as_of": None}
    if batch:
        out.update(zip(("batch_id", "created_at", "files", "source"), batch[0]))
    dates = latest_dates(q.url, q.version, whole(q.scoped(fund_source=None).scope))
    out["monitoring_as_of"] = dates[-1] if dates else None
    return out
