"""The audit trail: one append-only table (audit_log) of who did what and when.

Actions (dashboard.core.vocab.AUDIT_ACTIONS): login, login_failed, logout, import, import_refused, undo, sync,
settings, user, export. `record_in` writes inside a caller's transaction (an import and its entry commit or
roll back together); `record` opens its own. There is no function that changes or deletes an entry, and the
database refuses UPDATE and DELETE on the table (triggers of revision 0004_accounts). Details never hold a
password, a token or the secret.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, insert, or_, select, union

from dashboard.core import db
from dashboard.core.models import (
    AuditEntry,
    ChangeLog,
    Department,
    DepartmentIndicator,
    DepartmentTask,
    DepartmentWide,
    Evaluation,
    Finding,
    Indicator,
    MonitoringRecord,
    Project,
    Unit,
)
from dashboard.core.vocab import AUDIT_ACTIONS

T = AuditEntry.__table__
MAX_DETAIL_CHARS = 20_000  # a refused import of thousands of errors keeps its first ones


def _clean(detail: dict | None) -> dict:
    detail = dict(detail or {})
    text = json.dumps(detail, ensure_ascii=False, default=str)
    if len(text) > MAX_DETAIL_CHARS:
        return {"truncated": True, "text": text[:MAX_DETAIL_CHARS]}
    return json.loads(text)


def record_in(conn: Connection, user: str | None, role: str | None, action: str, detail: dict | None = None) -> None:
    """Append one entry in the caller's transaction."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(insert(T).values(time=dt.datetime.now().replace(microsecond=0), user=user, role=role,
                                  action=action, detail=_clean(detail)))


def record(url: str, user: str | None, role: str | None, action: str, detail: dict | None = None) -> None:
    """Append one entry in a transaction of its own."""
    with db.get_engine(url).begin() as conn:
        record_in(conn, user, role, action, detail)


def entries(url: str, since: dt.date | None = None, until: dt.date | None = None, user: str | None = None,
            actions: tuple[str, ...] | list[str] = (), limit: int | None = None) -> list[dict]:
    """Entries newest first: from `since` (a day, inclusive) up to `until` (inclusive), of one user, of some actions."""
    stmt = select(T)
    if since:
        stmt = stmt.where(T.c.time >= dt.datetime.combine(since, dt.time()))
    if until:
        stmt = stmt.where(T.c.time < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    if user:
        stmt = stmt.where(T.c.user == user)
    if actions:
        stmt = stmt.where(T.c.action.in_(tuple(actions)))
    stmt = stmt.order_by(T.c.id.desc())
    if limit:
        stmt = stmt.limit(int(limit))
    with db.get_engine(url).connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [{"id": r["id"], "time": r["time"].isoformat(sep=" "), "user": r["user"], "role": r["role"],
             "action": r["action"], "detail": r["detail"] or {}} for r in rows]


# ------------------------------------------------------------------------------------------ department limits

# entries that name files, batches or what was downloaded: what a department-limited reader may not see of
# other departments (issue 23: a limited admin read other departments' file names on 操作日志)
DATA_ACTIONS = frozenset({"import", "import_refused", "sync", "undo", "export"})
HIDDEN = {"hidden": "other_departments"}  # the detail a limited reader gets instead


def _department_rows():
    """(table, department id column) of every tracked table, the departments table being its own."""
    for model in (Unit, Project, Evaluation, Finding, DepartmentWide, DepartmentTask, DepartmentIndicator):
        yield model.__table__, model.__table__.c.department_id
    yield Department.__table__, Department.__table__.c.id


def batch_departments(url: str, batch_ids) -> dict[int, set[int]]:
    """The departments whose rows each batch created or changed (rows it created or last changed, rows it
    updated as the change log holds them; monitoring records and indicators through their project). A batch
    whose rows are all gone (undone) maps to no department."""
    ids = sorted({int(b) for b in batch_ids if b is not None})
    found: dict[int, set[int]] = {b: set() for b in ids}
    if not ids:
        return found
    cl = ChangeLog.__table__
    parts = []
    for table, dept in _department_rows():
        for col in (table.c.created_batch_id, table.c.batch_id):
            parts.append(select(col.label("b"), dept.label("d")).where(col.in_(ids)))
        parts.append(select(cl.c.batch_id.label("b"), dept.label("d")).join(table, table.c.id == cl.c.row_id)
                     .where(cl.c.batch_id.in_(ids), cl.c.table_name == table.name))
    p = Project.__table__
    for model in (MonitoringRecord, Indicator):
        t = model.__table__
        parts.append(select(t.c.created_batch_id.label("b"), p.c.department_id.label("d"))
                     .join(p, p.c.id == t.c.project_id)
                     .where(or_(t.c.created_batch_id.in_(ids), t.c.batch_id.in_(ids))))
        parts.append(select(cl.c.batch_id.label("b"), p.c.department_id.label("d"))
                     .join(t, t.c.id == cl.c.row_id).join(p, p.c.id == t.c.project_id)
                     .where(cl.c.batch_id.in_(ids), cl.c.table_name == t.name))
        parts.append(select(t.c.batch_id.label("b"), p.c.department_id.label("d"))
                     .join(p, p.c.id == t.c.project_id).where(t.c.batch_id.in_(ids)))
    with db.get_engine(url).connect() as conn:
        for b, d in conn.execute(union(*parts)).all():
            if b in found and d is not None:
                found[int(b)].add(int(d))
    return found


def within_departments(url: str, rows: list[dict], department_ids, viewer: str | None) -> list[dict]:
    """`rows` (from entries) as a department-limited reader may see them: every entry stays (who did what
    when), but an entry that names files, a batch or a download keeps its detail only when it provably
    concerns the reader's departments alone — an import, sync or undo whose batch touched only them, or the
    reader's own entry — and otherwise gets HIDDEN. A refused import wrote nothing, so nothing shows whose
    files it held: hidden unless the reader's own. `department_ids` () = no limit: rows unchanged."""
    allowed = {int(d) for d in department_ids or ()}
    if not allowed:
        return rows
    batches = batch_departments(url, [r["detail"].get("batch") for r in rows
                                      if r["action"] in ("import", "sync", "undo") and isinstance(r["detail"], dict)
                                      and isinstance(r["detail"].get("batch"), int)])
    out = []
    for r in rows:
        if r["action"] not in DATA_ACTIONS or (viewer is not None and r["user"] == viewer):
            out.append(r)
            continue
        touched = batches.get(r["detail"].get("batch")) if r["action"] in ("import", "sync", "undo") else None
        keep = bool(touched) and touched <= allowed
        out.append(r if keep else {**r, "detail": dict(HIDDEN)})
    return out
