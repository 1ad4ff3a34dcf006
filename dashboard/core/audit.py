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

from sqlalchemy import Connection, insert, select

from dashboard.core import db
from dashboard.core.models import AuditEntry
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
