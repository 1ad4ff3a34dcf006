"""Import batches after the fact: the history (list_batches) and undo (undo_batch, UndoRefused).

Undo restores exactly the state before a batch from its ChangeLog, in one writer transaction, and
refuses when a later batch changed or points at what the batch wrote. The batch keeps its own 变更 summary and
the undo adds what it changed in turn, measured around the restore, under `changes["undo"]` (data_loaders.changes).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Boolean, Date, DateTime, delete, select, update

from dashboard.core import accounts, audit, db
from dashboard.core import models as m
from dashboard.core import writes as w
from dashboard.core.accounts import Actor
from dashboard.core.settings import Rules
from dashboard.core.vocab import BATCH_COMMITTED, BATCH_UNDONE
from data_loaders import changes as batch_changes

TABLE_NAMES = tuple(t.__tablename__ for t in m.DATA_TABLES)
T = {t.__tablename__: t.__table__ for t in m.DATA_TABLES}


def _iso(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def list_batches(url: str) -> list[dict]:
    """Committed and undone batches, newest first. `changes` is the batch's 变更 summary (data_loaders.changes;
    None for a batch made before revision 0010), with `changes["undo"]` once it was undone."""
    if not db.is_initialised(url):
        return []
    b = m.ImportBatch.__table__
    with db.get_engine(url).connect() as conn:
        rows = conn.execute(select(b).order_by(b.c.id.desc())).mappings().all()
    return [{
        "id": r["id"], "created_at": _iso(r["created_at"]), "user": r["user"], "source": r["source"],
        "files": r["files"] or [], "counts": r["counts"] or {}, "status": r["status"],
        "undone_at": _iso(r["undone_at"]), "changes": r["changes"],
    } for r in rows]


class UndoRefused(Exception):
    """The batch cannot be undone as asked; the message is for the user (Chinese)."""


# which columns point at which tables: undo checks nobody outside the batch points at its rows
_REFERENCES = (
    ("units", "department_id", "departments"),
    ("projects", "department_id", "departments"), ("projects", "unit_id", "units"),
    ("monitoring", "project_id", "projects"),
    ("evaluations", "project_id", "projects"), ("evaluations", "department_id", "departments"),
    ("evaluations", "unit_id", "units"),
    ("findings", "project_id", "projects"), ("findings", "department_id", "departments"),
    ("findings", "unit_id", "units"),
    ("indicators", "project_id", "projects"),
    ("department_wide", "department_id", "departments"), ("department_tasks", "department_id", "departments"),
    ("department_indicators", "department_id", "departments"),
    ("finding_extensions", "finding_id", "findings"),
    ("satisfaction_votes", "department_id", "departments"), ("satisfaction_votes", "unit_id", "units"),
    ("inquiries", "department_id", "departments"), ("inquiries", "unit_id", "units"),
    ("inquiries", "project_id", "projects"),
)


def _restore_value(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(column.type, Boolean):
        return bool(value)
    return value


def undo_batch(url: str, batch_id: int, actor: Actor | None = None, rules: Rules | None = None) -> dict:
    """Restore exactly the state before a batch, in one transaction; raises UndoRefused with the reason.

    What the undo changed (projects removed and restored, the figures that moved, under `rules`: the configured
    ones, as for the import; default `Rules()`) is kept beside the batch's own summary, under changes["undo"],
    and returned as "changes": measured then, since later batches or other rules may make the figures differ from
    the import's own before.

    `actor` must be allowed to undo (accounts.Forbidden otherwise); None means the command-line operator
    (accounts.operator; the command line passes its configured or login name). The undo and its audit entry commit together.
    """
    if actor is None:
        actor = accounts.operator(None)
    accounts.require(actor, "undo")
    b = m.ImportBatch.__table__
    cl = m.ChangeLog.__table__
    with w.write_transaction(url) as conn:
        batch = conn.execute(select(b).where(b.c.id == batch_id)).mappings().first()
        if batch is None:
            raise UndoRefused(f"没有编号为 {batch_id} 的导入批次")
        if batch["status"] != BATCH_COMMITTED:
            raise UndoRefused(f"批次 {batch_id} 已于 {_iso(batch['undone_at'])} 撤销过")
        later: set[int] = set()
        for name in TABLE_NAMES:
            t = T[name]
            rows = conn.execute(select(t.c.batch_id).distinct().where(
                t.c.created_batch_id == batch_id, t.c.batch_id != batch_id)).scalars().all()
            later.update(r for r in rows if r is not None)
            changed = select(cl.c.row_id).where(cl.c.batch_id == batch_id, cl.c.table_name == name)
            rows = conn.execute(select(t.c.batch_id).distinct().where(
                t.c.id.in_(changed), (t.c.batch_id != batch_id) | t.c.batch_id.is_(None))).scalars().all()
            later.update(r if r is not None else -1 for r in rows)
        for child, col, parent in _REFERENCES:
            c, p = T[child], T[parent]
            created = select(p.c.id).where(p.c.created_batch_id == batch_id)
            not_ours = ((c.c.created_batch_id != batch_id) | c.c.created_batch_id.is_(None)) & \
                       ((c.c.batch_id != batch_id) | c.c.batch_id.is_(None))
            rows = conn.execute(select(c.c.batch_id).distinct().where(c.c[col].in_(created), not_ours)).scalars().all()
            later.update(r if r is not None else -1 for r in rows)
        later.discard(batch_id)
        if later:
            named = sorted(x for x in later if x > 0)
            which = "、".join(str(x) for x in named) if named else "其他来源"
            raise UndoRefused(
                f"无法撤销批次 {batch_id}：之后的批次 {which} 修改或引用了它写入的数据，请先撤销批次 {which}")
        # the 变更 summary's before: the years and projects the batch wrote, before they are restored
        years = batch_changes.touched_years(conn, batch_id)
        projects = batch_changes.undo_projects(conn, batch_id)
        rules = rules if rules is not None else Rules()
        before = batch_changes.snapshot(conn, years, rules)
        # projects whose latest monitoring report may change
        mt = T["monitoring"]
        affected = set(conn.execute(select(mt.c.project_id).where(mt.c.created_batch_id == batch_id)).scalars())
        logs = conn.execute(select(cl.c.table_name, cl.c.row_id, cl.c.old_values)
                            .where(cl.c.batch_id == batch_id).order_by(cl.c.id)).all()
        by_table: dict[str, list[dict]] = {}
        for name, row_id, old in logs:
            t = T[name]
            rec = {"_id": row_id}
            for col in t.columns:
                if col.name != "id":
                    rec[col.name] = _restore_value(col, old.get(col.name))
            by_table.setdefault(name, []).append(rec)
            if name == "monitoring":
                affected.add(old.get("project_id"))
        # restore first (rows may point at rows the batch created), then delete children before parents
        for name in TABLE_NAMES:
            recs = by_table.get(name)
            if recs:
                # is_latest is derived: refresh_latest below recomputes it rather than restoring old flags
                cols = [c.name for c in T[name].columns if c.name not in ("id", "is_latest")]
                w.bulk_update(conn, T[name], pd.DataFrame(recs, columns=["_id"] + cols), cols)
        deleted = {}
        for name in reversed(TABLE_NAMES):
            t = T[name]
            deleted[name] = conn.execute(delete(t).where(t.c.created_batch_id == batch_id)).rowcount
        w.refresh_latest(conn, affected)
        undone = {"projects": projects,
                  "years": batch_changes.compare(before, batch_changes.snapshot(conn, years, rules), years)}
        conn.execute(update(b).where(b.c.id == batch_id).values(
            status=BATCH_UNDONE, undone_at=dt.datetime.now().replace(microsecond=0),
            changes={**(batch["changes"] or {}), "undo": undone}))
        restored = {k: len(v_) for k, v_ in by_table.items()}
        audit.record_in(conn, actor.name, actor.role, "undo",
                        {"batch": batch_id, "deleted": {k: n for k, n in deleted.items() if n}, "restored": restored})
    return {"batch_id": batch_id, "deleted": deleted, "restored": restored, "changes": undone}
