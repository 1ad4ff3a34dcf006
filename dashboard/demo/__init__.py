"""Loading the demo into a database: all data replaced by the generated demo (dashboard.demo.data) in one writer transaction.

Rows go in through dashboard.core.writes (its bulk transaction, batch and bulk insert). What stays here are
the two bulk-load tactics only a whole-database replacement may use: clearing every data table, and on
PostgreSQL dropping indexes and constraints for the load and restoring them after it.
"""

from __future__ import annotations

import time

import numpy as np
from sqlalchemy import Boolean, Double, Integer, delete, text

from dashboard.core import accounts, db, writes
from dashboard.core.models import (
    ChangeLog,
    CollectionRound,
    Department,
    DepartmentIndicator,
    DepartmentTask,
    DepartmentWide,
    Evaluation,
    Finding,
    FindingExtension,
    ImportBatch,
    Indicator,
    Inquiry,
    MonitoringRecord,
    Project,
    SatisfactionVote,
    Unit,
)
from dashboard.core.settings import Rules
from dashboard.core.vocab import SOURCE_DEMO
from dashboard.demo.data import generate
from dashboard.demo.org import SCALES

_DATA_TABLES = ("import_batches", "change_log", "departments", "units", "projects", "monitoring", "evaluations",
                "findings", "indicators", "finding_extensions", "satisfaction_votes", "inquiries",
                "collection_rounds")


def _clear(conn, is_pg: bool) -> None:
    """Remove every data row, the change log and the import history (children first)."""
    tables = [t.__table__ for t in (Inquiry, FindingExtension, SatisfactionVote, DepartmentIndicator, DepartmentTask,
                                    DepartmentWide, Indicator, Finding, Evaluation, MonitoringRecord, Project, Unit,
                                    Department)]
    tables += [CollectionRound.__table__, ChangeLog.__table__, ImportBatch.__table__]
    if is_pg:
        # TRUNCATE is far faster than DELETE at province scale and is transactional in PostgreSQL;
        # if another table references these (a later migration), fall back to DELETE.
        savepoint = conn.begin_nested()
        try:
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)))
            savepoint.commit()
            return
        except Exception:  # noqa: BLE001 - any refusal means "use DELETE"
            savepoint.rollback()
    for t in tables:
        conn.execute(delete(t))


def _pg_suspend_constraints(conn) -> list[str]:
    """Drop the data tables' secondary indexes, unique and foreign-key constraints; return the SQL that restores them.

    PostgreSQL maintains each index and checks each foreign key row by row during COPY, which made
    the province load take minutes; building indexes afterwards and validating each foreign key
    with one join is the bulk-load recipe of the PostgreSQL manual ("Populating a Database").
    The definitions are read from the catalogue, so whatever the migrations created is restored
    exactly, and it all happens inside the load's transaction: nobody sees the tables without them.
    """
    names = [m.__tablename__ for m in (Department, Unit, Project, MonitoringRecord, Evaluation, Finding, Indicator)]
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    constraints = conn.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = ANY(:names)"
        " AND t.relnamespace = current_schema()::regnamespace AND c.contype IN ('f', 'u')"
        " ORDER BY c.contype, c.conname"), {"names": names}).all()
    indexes = conn.execute(text(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(:names)"
        " AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        " ORDER BY i.relname"), {"names": names}).all()
    quote = conn.dialect.identifier_preparer.quote
    # foreign keys ('f') sort before unique constraints ('u'): drop them first, restore them last
    for table, name, _kind, _definition in constraints:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    restore = [definition for _name, definition in indexes]
    restore += [f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
                for table, name, _kind, definition in reversed(constraints)]
    return restore


def _typed(table, cols: dict[str, list]) -> dict[str, np.ndarray]:
    """Each column list as one numpy array of its column's type, which bulk_insert converts at C speed.

    Handing it the plain lists would make it infer a type for every chunk of every column again; at
    province scale (1.9 million rows) that is a quarter of the load. Numbers and flags with NULLs, text
    and dates stay object arrays.
    """
    out = {}
    for name, values in cols.items():
        kind = table.c[name].type
        if isinstance(kind, Double):
            out[name] = np.array(values, dtype=float)  # None becomes NaN, written as NULL
        elif isinstance(kind, (Integer, Boolean)) and None not in values:
            out[name] = np.array(values, dtype=bool if isinstance(kind, Boolean) else np.int64)
        else:
            out[name] = np.array(values, dtype=object)
    return out


def load_demo(url: str, scale: str = "county", seed: int = 1, rules: Rules | None = None, actor=None) -> dict:
    """Replace all data with the demo for `scale`, in one transaction. Returns counts and seconds.

    `rules` (default: docs/rules.md's, `Rules()`) decide the stored grades and the lights the generated
    monitoring follows; pass the configured `Settings.rules` so the demo agrees with the pages. `actor`
    (dashboard.core.accounts.Actor, from the web page) must be allowed to import; None is the command line.
    """
    if actor is not None:
        accounts.require(actor, "import")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    started = time.perf_counter()
    db.init_db(url)
    data = generate(scale, seed, rules or Rules())
    batch_id = 1
    counts = {k: {"inserted": v, "updated": 0} for k, v in data.counts.items()}
    with writes.write_transaction(url, bulk=True) as conn:
        is_pg = conn.dialect.name == "postgresql"
        _clear(conn, is_pg)
        writes.open_batch(conn, source=SOURCE_DEMO, user=None, files=[], counts=counts,
                          note=f"演示数据 scale={scale} seed={seed}", batch_id=batch_id)
        restore = _pg_suspend_constraints(conn) if is_pg else []
        for model, cols in data.tables:
            table = model.__table__
            writes.bulk_insert(conn, table, _typed(table, cols), constants={"created_batch_id": batch_id,
                                                                            "batch_id": batch_id})
        for statement in restore:
            conn.exec_driver_sql(statement)
        for statement in data.after_load:  # 报送情况: the demo's monitoring round and its back-dated uploads
            conn.execute(statement)
        if is_pg:
            # ids were given explicitly: move the sequences past them for later imports
            for t in _DATA_TABLES:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {t}"))
    return {"scale": scale, "seed": seed, **data.counts, "seconds": round(time.perf_counter() - started, 2)}
