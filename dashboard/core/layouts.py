"""Saved 导入版式 in the database: list, save (replacing one of the same name) and delete, each write checked
against the actor's role ("layouts": staff and admin) and recorded in the audit trail in the same transaction.

What a 版式 means and whether it is valid is data_loaders.mapping's: this module stores what it is given.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select

from dashboard.core import audit, db
from dashboard.core.accounts import Actor, require
from dashboard.core.models import ImportLayout

T = ImportLayout.__table__
MAX_LAYOUTS = 200  # far more than a bureau meets; bounds what every import tries


def list_layouts(url: str) -> list[dict]:
    """Every saved 版式, oldest first: {"name", "kind", "columns": [[header, field or None], …], "created_by",
    "created_at"}; [] before the database is initialised."""
    if not db.is_initialised(url):
        return []
    with db.get_engine(url).connect() as conn:
        rows = conn.execute(select(T).order_by(T.c.id).limit(MAX_LAYOUTS)).mappings().all()
    return [{"name": r["name"], "kind": r["kind"], "columns": [list(c) for c in r["columns"] or []],
             "created_by": r["created_by"], "created_at": r["created_at"]} for r in rows]


def save_layout(url: str, actor: Actor, name: str, kind: str, columns: list) -> bool:
    """Save a 版式 (replaces one of the same name); True when it replaced one. Audited as `settings`."""
    require(actor, "layouts")
    columns = [[str(h), f] for h, f in columns]
    with db.get_engine(url).begin() as conn:
        replaced = conn.execute(delete(T).where(T.c.name == name)).rowcount > 0
        if not replaced and conn.execute(select(func.count()).select_from(T)).scalar_one() >= MAX_LAYOUTS:
            raise ValueError(f"已保存 {MAX_LAYOUTS} 个版式，请先删除不再用的")
        conn.execute(insert(T).values(name=name, kind=kind, columns=columns, created_by=actor.name,
                                      created_at=dt.datetime.now().replace(microsecond=0)))
        audit.record_in(conn, actor.name, actor.role, "settings",
                        {"op": "layout_save", "name": name, "kind": kind, "replaced": replaced, "columns": columns})
    return replaced


def delete_layout(url: str, actor: Actor, name: str) -> bool:
    """Delete a saved 版式 by name; False when there was none. Audited as `settings`."""
    require(actor, "layouts")
    with db.get_engine(url).begin() as conn:
        gone = conn.execute(delete(T).where(T.c.name == name)).rowcount > 0
        if gone:
            audit.record_in(conn, actor.name, actor.role, "settings", {"op": "layout_delete", "name": name})
    return gone
