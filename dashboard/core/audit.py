"""The audit trail: one append-only table (audit_log) of who did what and when.

Actions (dashboard.core.vocab.AUDIT_ACTIONS): login, login_failed, logout, import, import_refused, undo, sync,
settings, user, export. `record_in` writes inside a caller's transaction (an import and its entry commit or
roll back together); `record` opens its own. There is no function that changes or deletes an entry, and the
database refuses UPDATE and DELETE on the table (triggers of revision 0004_accounts). Details never hold a
password, a token or the secret.

The entries form a hash chain (revision 0009_audit_chain): each carries `chain` = hash(the previous entry's chain,
this entry's time, user, role, action and detail), SHA-256 or SM3 ([auth] audit_hash), and meta 'audit_chain' the
newest one. Someone who changes, removes or inserts a row directly in the database — past the triggers, as the
database's owner can — breaks the chain from that row on; `verify` (`python -m dashboard audit --verify`) finds the
first broken link. Writers take their turn on the meta row, so two entries written at once never share a parent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, insert, or_, select, union, update

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
    Meta,
    MonitoringRecord,
    Project,
    Unit,
)
from dashboard.core.settings import AUDIT_HASHES
from dashboard.core.vocab import AUDIT_ACTIONS

T = AuditEntry.__table__
MAX_DETAIL_CHARS = 20_000  # a refused import of thousands of errors keeps its first ones
HASHES = AUDIT_HASHES  # [auth] audit_hash: SM3 (GB/T 32905) where a bureau requires the national algorithm
CHAIN_KEY = "audit_chain"  # the meta row holding the newest entry's chain
_algorithm = "sha256"


def configure(algorithm: str) -> None:
    """The hash new entries are chained with (settings [auth] audit_hash; the app and the command line call this
    once at start). Entries keep the algorithm they were written with, so a change never breaks the chain."""
    global _algorithm
    if algorithm not in HASHES:
        raise ValueError(f"unknown audit hash {algorithm!r}")
    hashlib.new(algorithm)  # this machine's OpenSSL must have it (SM3: OpenSSL 1.1.1 and later)
    _algorithm = algorithm


def chain_hash(previous: str, entry, algorithm: str) -> str:
    """"<algorithm>:<hex>" of the previous entry's chain ("" for the first) and this entry's content: time, user,
    role, action and detail as canonical JSON (keys sorted, no spaces), so the same row always hashes the same."""
    when = entry["time"]
    content = json.dumps([previous, when.isoformat(sep=" ") if isinstance(when, dt.datetime) else str(when),
                          entry["user"], entry["role"], entry["action"], entry["detail"] or {}],
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return f"{algorithm}:{hashlib.new(algorithm, content.encode('utf-8')).hexdigest()}"


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
    meta = Meta.__table__
    # take the turn: the row lock (PostgreSQL) or the write lock (SQLite) this UPDATE holds until the caller's
    # commit makes the next writer wait, so it reads this entry's chain as its parent
    conn.execute(update(meta).where(meta.c.key == CHAIN_KEY).values(value=meta.c.value))
    previous = conn.execute(select(meta.c.value).where(meta.c.key == CHAIN_KEY)).scalar()
    entry = {"time": dt.datetime.now().replace(microsecond=0), "user": user, "role": role, "action": action,
             "detail": _clean(detail)}
    entry["chain"] = chain_hash(previous or "", entry, _algorithm)
    conn.execute(insert(T).values(**entry))
    if previous is None:
        conn.execute(insert(meta).values(key=CHAIN_KEY, value=entry["chain"]))
    else:
        conn.execute(update(meta).where(meta.c.key == CHAIN_KEY).values(value=entry["chain"]))


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


# ------------------------------------------------------------------------------------------ verifying the chain

@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int  # entries checked
    head: str  # the newest entry's chain (write it down: a later verify must end on it or after it)
    broken_id: int | None = None  # the first entry whose link does not hold
    broken_time: str | None = None
    reason: str = ""


def verify(url: str, chunk: int = 5000) -> Verdict:
    """Recompute the chain in id order, `chunk` entries at a time; the first entry whose stored chain differs from
    the recomputed one is where the trail was altered (that row changed, or one before it removed or inserted).
    The newest entry's chain must equal meta 'audit_chain' (else entries were removed at the end)."""
    meta = Meta.__table__
    previous, count, last_id = "", 0, None
    with db.get_engine(url).connect() as conn:
        head = conn.execute(select(meta.c.value).where(meta.c.key == CHAIN_KEY)).scalar()
        while True:
            stmt = select(T).order_by(T.c.id).limit(chunk)
            if last_id is not None:
                stmt = stmt.where(T.c.id > last_id)
            rows = conn.execute(stmt).mappings().all()
            if not rows:
                break
            for r in rows:
                stored = r["chain"] or ""
                algorithm = stored.split(":", 1)[0] if ":" in stored else "sha256"
                if algorithm not in HASHES:
                    algorithm = "sha256"
                expected = chain_hash(previous, r, algorithm)
                if stored != expected:
                    reason = ("这条记录没有链值（在数据库中直接插入）" if not stored else
                              "这条记录的内容被改过，或它之前的记录被删除、插入过")
                    return Verdict(False, count, head or "", r["id"], r["time"].isoformat(sep=" "), reason)
                previous, count, last_id = stored, count + 1, r["id"]
    if (head or "") != previous:
        return Verdict(False, count, head or "", last_id, None,
                       "最新一条记录与链尾登记（meta audit_chain）不符：末尾的记录被删除过，或链尾被改过")
    return Verdict(True, count, previous)


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
