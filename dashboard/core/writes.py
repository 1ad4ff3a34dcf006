"""The one write path into the data tables: the writer's transaction and lock, bulk insert/update (COPY on
PostgreSQL), import batches, the data version and the latest-monitoring-record flag.

The importer, undo, sync and the demo load all write through these functions, so each of those
mechanisms has exactly one implementation. Values are always bound parameters; the only names put into
SQL text are our own tables' and columns'.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Double,
    Integer,
    and_,
    column,
    func,
    insert,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError

from dashboard.core import accounts, audit, db
from dashboard.core import models as m
from dashboard.core.vocab import BATCH_COMMITTED, SOURCE_ENTRY, VOTES

CHUNK = 5000  # rows per executemany / per COPY slice: bounds the memory of one statement's parameters
# pg_advisory_xact_lock key shared by every writer of one database ("dashboard" as a number)
WRITER_LOCK_KEY = 0x64617368


# -- the writer's transaction ---------------------------------------------------------------------------

@contextmanager
def write_transaction(url: str, *, bulk: bool = False) -> Iterator[Connection]:
    """One connection in one transaction that holds the database's writer lock; commit on success.

    Writers (imports, undo, sync, demo) are serialised per database: on PostgreSQL by a
    transaction-scoped advisory lock, on SQLite by the write lock the first statement takes. The data
    version is bumped first, so readers see the new version together with the new rows, and a rolled-back
    transaction leaves it as it was. `bulk` (demo loads) skips SQLite's fsyncs for the load and refreshes
    the planner's statistics afterwards. Raise inside the block to roll everything back.
    """
    engine = db.get_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if bulk and sqlite:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.commit()
        try:
            with conn.begin():
                lock_writers(conn)
                bump_data_version(conn)
                yield conn
            if bulk:
                # fresh statistics for the pages' aggregates (without them SQLite picks poor indexes)
                conn.execute(text("ANALYZE"))
                conn.commit()
        finally:
            if bulk and sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                conn.commit()


def lock_writers(conn: Connection) -> None:
    """Wait until no other writer holds this database; held until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})


def bump_data_version(conn: Connection) -> int:
    """Increase `data_version` inside the writing transaction (the key of every page cache); returns it."""
    meta = m.Meta.__table__
    current = conn.execute(select(meta.c.value).where(meta.c.key == "data_version")).scalar()
    if current is None:
        conn.execute(insert(meta), {"key": "data_version", "value": "1"})
        return 1
    new = int(current) + 1
    conn.execute(update(meta).where(meta.c.key == "data_version").values(value=str(new)))
    return new


# -- import batches ---------------------------------------------------------------------------------------

def open_batch(conn: Connection, *, source: str, user: str | None, files: list[dict], counts: dict | None = None,
               note: str | None = None, batch_id: int | None = None) -> int:
    """Record a new committed batch (its counts may be filled in later by `set_batch_counts`); returns its id."""
    values = {"created_at": dt.datetime.now().replace(microsecond=0), "user": user, "source": source,
              "status": BATCH_COMMITTED, "files": files, "counts": counts or {}, "note": note}
    if batch_id is not None:
        values["id"] = batch_id
    table = m.ImportBatch.__table__
    return conn.execute(insert(table).returning(table.c.id), values).scalar_one()


def set_batch_counts(conn: Connection, batch_id: int, counts: dict) -> None:
    conn.execute(update(m.ImportBatch.__table__).where(m.ImportBatch.id == batch_id).values(counts=counts))


# -- the latest monitoring record of each project --------------------------------------------------------

def refresh_latest(conn: Connection, project_ids=None) -> None:
    """`is_latest` true exactly on each project's latest monitoring record (of the given projects, or all).

    Two set-based statements, clearing before setting, so at no moment does a project have two latest
    records (the unique index uq_monitoring_one_latest enforces that). Ties cannot occur: (project, as_of)
    is unique. Many projects go through a scratch table, so each statement is compiled and run once.
    """
    mt = m.MonitoringRecord.__table__
    other = mt.alias("later")
    newest = select(func.max(other.c.as_of)).where(other.c.project_id == mt.c.project_id).scalar_subquery()
    scratch = None
    if project_ids is None:
        scope = []
    else:
        ids = sorted({int(x) for x in project_ids if x is not None})
        if not ids:
            return
        if len(ids) <= 1000:
            scope = [mt.c.project_id.in_(ids)]
        else:
            scratch = f"_touched_{uuid.uuid4().hex[:12]}"
            conn.exec_driver_sql(f"CREATE TEMP TABLE {scratch} (id BIGINT PRIMARY KEY)")
            bulk_insert(conn, table(scratch, column("id", Integer)), {"id": np.asarray(ids, dtype="int64")})
            scope = [mt.c.project_id.in_(select(column("id")).select_from(table(scratch)))]
    conn.execute(update(mt).where(and_(*scope, mt.c.is_latest.is_(True), mt.c.as_of != newest))
                 .values(is_latest=False))
    conn.execute(update(mt).where(and_(*scope, mt.c.is_latest.is_not(True), mt.c.as_of == newest))
                 .values(is_latest=True))
    if scratch:
        conn.exec_driver_sql(f"DROP TABLE {scratch}")


def latest_flags(project_ids, as_of) -> np.ndarray:
    """refresh_latest's rule for rows of projects that have no stored monitoring records yet (created by the
    same import): True exactly on each project's row with the newest as-of date. Inserting the rows with
    their flags spares refresh_latest's two statements over every new project (~0.5 s per 100,000).
    `(project, as_of)` is unique among the rows, as the database requires."""
    codes, days = pd.factorize(pd.Series(as_of, dtype=object))
    ordinal = np.array([d.toordinal() for d in days], dtype="int64")[codes]
    newest = pd.Series(ordinal).groupby(np.asarray(project_ids, dtype="int64")).transform("max").to_numpy()
    return ordinal == newest


# -- bulk rows --------------------------------------------------------------------------------------------

def read_frame(conn: Connection, stmt) -> pd.DataFrame:
    """A query result as a frame: integers int64 (object where NULL), doubles float64, the rest objects.

    Reads the driver's rows directly and converts the few typed columns itself, column by column:
    SQLAlchemy's per-row processing and handing Row objects to pandas cost ~10× more at 100,000 rows.
    """
    result = conn.execute(stmt)
    keys = list(result.keys())
    types = {c.key: c.type for c in getattr(stmt, "selected_columns", [])}
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    columns = list(zip(*rows)) if rows else [()] * len(keys)
    return pd.DataFrame({key: _typed_series(types.get(key), col) for key, col in zip(keys, columns)}, columns=keys)


def _typed_series(typ, col) -> pd.Series:
    if isinstance(typ, Double):
        return pd.Series(np.array([np.nan if x is None else x for x in col], dtype=float))
    if isinstance(typ, Integer) and not isinstance(typ, Boolean):
        if len(col) and None not in col:
            return pd.Series(np.array(col, dtype="int64"))
        return pd.Series(np.array(col, dtype=object), dtype=object)
    if isinstance(typ, DateTime):
        values = [dt.datetime.fromisoformat(x) if isinstance(x, str) else x for x in col]
    elif isinstance(typ, Date):  # SQLite hands dates back as ISO text; PostgreSQL as dates
        values = [dt.date.fromisoformat(x) if isinstance(x, str) else x for x in col]
    elif isinstance(typ, Boolean):
        values = [None if x is None else bool(x) for x in col]
    else:
        values = col
    return pd.Series(np.array(values, dtype=object), dtype=object)


def column_values(series, column=None, sqlite: bool = False) -> list:
    """One column (Series, array or list) as plain Python values the database driver accepts (None for missing)."""
    if not isinstance(series, pd.Series):
        series = pd.Series(series)
    typ = column.type if column is not None else None
    if series.dtype.kind == "M":  # pandas turned datetimes into Timestamps, which the drivers do not bind
        series = pd.Series([None if pd.isna(x) else pd.Timestamp(x).to_pydatetime() for x in series], dtype=object)
    kind = series.dtype.kind
    if kind == "f":
        arr = series.to_numpy()
        obj = arr.astype(object)
        obj[np.isnan(arr)] = None
        vals = obj.tolist()
        if isinstance(typ, Integer) and not isinstance(typ, Boolean):
            return [None if x is None else int(x) for x in vals]
        return vals
    if kind in "iub":
        return series.tolist()
    obj = series.astype(object)
    vals = obj.where(obj.notna(), None).tolist()
    if isinstance(typ, Boolean):
        return [None if x is None else bool(x) for x in vals]
    if isinstance(typ, Integer):
        return [None if x is None else int(x) for x in vals]
    if isinstance(typ, Double):
        return [None if x is None else float(x) for x in vals]
    if isinstance(typ, Date):
        if sqlite:  # the text form SQLAlchemy's SQLite Date type stores and reads back
            # a column holds few distinct dates: format each once
            as_text = {x: x.strftime("%Y-%m-%d") for x in set(vals) if isinstance(x, dt.date)}
            return [as_text.get(x, x) for x in vals]
        return [x.date() if isinstance(x, dt.datetime) else x for x in vals]
    if typ is None:  # JSON columns: numpy scalars are not serialisable
        return [x.item() if isinstance(x, np.generic) else x for x in vals]
    return vals


def _length(columns: Mapping) -> int:
    return len(next(iter(columns.values()))) if len(columns) else 0


def _driver_rows(conn: Connection, table, columns: Mapping, cols: list[str], start: int, stop: int,
                 constants: Mapping) -> list[tuple]:
    sqlite = conn.dialect.name == "sqlite"
    lists = []
    for c in cols:
        values = columns[c]
        part = values.iloc[start:stop] if isinstance(values, pd.Series) else values[start:stop]
        lists.append(column_values(part, table.c.get(c), sqlite))
    n = len(lists[0]) if lists else stop - start
    lists += [[v] * n for v in constants.values()]
    return list(zip(*lists))


def _sql_names(conn: Connection, table, cols: list[str]) -> tuple[str, list[str], str]:
    q = conn.dialect.identifier_preparer
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return q.format_table(table), [q.quote(c) for c in cols], ph


def _use_copy(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _copy_rows(conn: Connection, target: str, quoted: list[str], chunks) -> None:
    """PostgreSQL COPY … FROM STDIN on the transaction's own connection; `chunks` yields lists of row tuples."""
    cursor = conn.connection.driver_connection.cursor()
    statement = f"COPY {target} ({', '.join(quoted)}) FROM STDIN"
    try:
        with cursor.copy(statement) as copy:
            for rows in chunks:
                for row in rows:
                    copy.write_row(row)
    except conn.dialect.dbapi.Error as exc:  # reported like any other refused write
        raise DBAPIError(statement, None, exc) from exc
    finally:
        cursor.close()


def bulk_insert(conn: Connection, table, columns: Mapping, cols: list[str] | None = None,
                constants: Mapping | None = None) -> int:
    """INSERT many rows: COPY on PostgreSQL, else one DB-API executemany per chunk; values always bound.

    `columns` maps column names to equal-length Series, arrays or lists (a DataFrame will do); `cols`
    picks and orders them (default: all); `constants` are columns with one value for every row.
    Going below SQLAlchemy's Core insert() saves its per-row parameter processing (~3 s per 100,000
    rows), the bulk of an import or a demo load. Returns the number of rows.
    """
    cols = list(columns.keys()) if cols is None else list(cols)
    constants = dict(constants or {})
    n = _length({c: columns[c] for c in cols}) if cols else 0
    if not n:
        return 0
    name, quoted, ph = _sql_names(conn, table, cols + list(constants))
    chunks = (_driver_rows(conn, table, columns, cols, i, i + CHUNK, constants) for i in range(0, n, CHUNK))
    if _use_copy(conn):
        _copy_rows(conn, name, quoted, chunks)
        return n
    sql = f"INSERT INTO {name} ({', '.join(quoted)}) VALUES ({', '.join([ph] * len(quoted))})"
    for rows in chunks:
        conn.exec_driver_sql(sql, rows)
    return n


def bulk_update(conn: Connection, table, df: pd.DataFrame, cols: list[str], id_col: str = "_id") -> None:
    """UPDATE … WHERE id = ? for many rows; on PostgreSQL COPY into a scratch table and one UPDATE … FROM."""
    if df.empty:
        return
    frame = df.rename(columns={id_col: "id"})
    all_cols = cols + ["id"]
    name, quoted, ph = _sql_names(conn, table, all_cols)
    n = len(frame)
    chunks = (_driver_rows(conn, table, frame, all_cols, i, i + CHUNK, {}) for i in range(0, n, CHUNK))
    if _use_copy(conn) and n > 100:
        scratch = f"_upd_{uuid.uuid4().hex[:12]}"
        conn.exec_driver_sql(f"CREATE TEMP TABLE {scratch} AS SELECT {', '.join(quoted)} FROM {name} WITH NO DATA")
        _copy_rows(conn, scratch, quoted, chunks)
        sets = ", ".join(f"{c} = s.{c}" for c in quoted[:-1])
        conn.exec_driver_sql(f"UPDATE {name} AS t SET {sets} FROM {scratch} AS s WHERE t.{quoted[-1]} = s.{quoted[-1]}")
        conn.exec_driver_sql(f"DROP TABLE {scratch}")
        return
    sets = ", ".join(f"{c} = {ph}" for c in quoted[:-1])
    sql = f"UPDATE {name} SET {sets} WHERE {quoted[-1]} = {ph}"
    for rows in chunks:
        conn.exec_driver_sql(sql, rows)


def reserve_ids(conn: Connection, table, n: int) -> list[int]:
    """n new primary keys of `table`, for rows the caller then inserts with explicit ids in one bulk write.

    An INSERT … RETURNING that must give the ids back in parameter order runs one statement per row on
    SQLite (~7 s per 100,000 projects); reserving the ids first lets the rows go through bulk_insert.
    Call it only inside write_transaction: its first statements took the writer lock (lock_writers on
    PostgreSQL; on SQLite bump_data_version's UPDATE took the database's write lock), so no other writer
    inserts until we commit. PostgreSQL takes a block of the table's own sequence; SQLite counts on from MAX(id).
    """
    if n <= 0:
        return []
    if not conn.in_transaction():
        raise RuntimeError("reserve_ids needs the writer's transaction (write_transaction)")
    if conn.dialect.name == "postgresql":
        # one block of the table's sequence: nextval takes its first number and setval moves the sequence
        # past the block in the same statement. Sequences are not transactional, so a session that does not
        # hold the writer lock could draw a number between the two; no such writer exists (every insert
        # goes through write_transaction, whose first statement waits for the lock), and a collision would
        # be refused by the primary key, rolling the import back, never writing a wrong row.
        last = conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                                 "nextval(pg_get_serial_sequence(:t, 'id')) + :n - 1)"),
                            {"t": table.name, "n": int(n)}).scalar_one()
        return list(range(int(last) - int(n) + 1, int(last) + 1))
    start = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + int(n)))


def insert_with_ids(conn: Connection, table, frame: pd.DataFrame, cols: list[str]) -> list[int]:
    """INSERT the frame's rows under newly reserved ids (reserve_ids) through bulk_insert; returns the ids
    in row order (departments, units and projects: the rows that follow link to them)."""
    ids = reserve_ids(conn, table, len(frame))
    if ids:
        columns = {c: frame[c] for c in cols if c != "id"}
        columns["id"] = np.asarray(ids, dtype="int64")
        bulk_insert(conn, table, columns, ["id", *[c for c in cols if c != "id"]])
    return ids


def records(df: pd.DataFrame, cols: list[str]) -> list[dict]:
    """Rows as dicts of plain Python values (built column-wise: DataFrame.to_dict is ~10× slower)."""
    if df.empty:
        return []
    columns = [column_values(df[c]) for c in cols]
    return [dict(zip(cols, row)) for row in zip(*columns)]


# -- rectification entered in the app (issue 25): a deadline extension or a verification of one finding ----------



class EntryRefused(ValueError):
    """A rectification entry that cannot be written as given; the message is for the user (Chinese)."""


def _old_values(row: Mapping) -> dict:
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in row.items()}


def _text(value) -> str | None:
    text_ = None if value is None else str(value).strip()
    return text_ or None


def _entry_batch(conn: Connection, actor, counts: dict, note: str, changed: tuple | None = None) -> int:
    """The batch of one in-app entry (source "entry"): `changed` = (table name, row id, the row before) puts the
    row's prior values in the ChangeLog, so undo (data_loaders.batches.undo_batch) restores them."""
    batch = open_batch(conn, source=SOURCE_ENTRY, user=actor.name, files=[], counts=counts, note=note)
    if changed is not None:
        table, row_id, row = changed
        conn.execute(insert(m.ChangeLog.__table__), {"batch_id": batch, "table_name": table, "row_id": int(row_id),
                                                     "old_values": _old_values(row)})
    return batch


def _entry_audit(conn: Connection, actor, batch: int, entry: str, **ids) -> None:
    """The audit entry of an in-app entry, committed with it: action "import", detail {"batch", "entry", ids}."""
    audit.record_in(conn, actor.name, actor.role, "import", {"batch": batch, "entry": entry, **ids})


def record_rectification(url: str, actor, finding_id: int, *, new_deadline: dt.date | None = None,
                         reason: str | None = None, approved_by: str | None = None,
                         verified_on: dt.date | None = None, verified_by: str | None = None,
                         verification_method: str | None = None, today: dt.date | None = None) -> dict:
    """Record, for one finding, a change of its 整改时限 (a finding_extensions row: old → new date, 延期原因, 延期批准人,
    recorded by the actor) and/or its verification (核验日期, 核验人, 核验方式), as a batch of its own (source "entry").

    Only an actor with the import permission may (accounts.Forbidden otherwise, nothing written). The finding's
    prior values go to the ChangeLog, so the entry can be undone like an import (data_loaders.batches.undo_batch);
    the entry and its audit entry ("import", detail {"batch", "entry", "finding"}) commit together. EntryRefused
    when the values do not make an entry: no change given, a new deadline equal to the current one or without a
    reason or approver, a verification of a finding not 已整改, without a verifier or method, or dated after `today`.
    """
    accounts.require(actor, "import")
    today = today or dt.date.today()
    reason, approved_by = _text(reason), _text(approved_by)
    verified_by, verification_method = _text(verified_by), _text(verification_method)
    if new_deadline is None and verified_on is None:
        raise EntryRefused("请填写新的整改时限或核验日期")
    if new_deadline is not None and (reason is None or approved_by is None):
        raise EntryRefused("延期须写明延期原因和延期批准人")
    if verified_on is not None:
        if verified_by is None or verification_method is None:
            raise EntryRefused("核验须写明核验人和核验方式")
        if verified_on > today:
            raise EntryRefused(f"核验日期 {verified_on.isoformat()} 晚于今天 {today.isoformat()}")
    ft, xt = m.Finding.__table__, m.FindingExtension.__table__
    with write_transaction(url) as conn:
        row = conn.execute(select(ft).where(ft.c.id == int(finding_id))).mappings().first()
        if row is None:
            raise EntryRefused(f"没有编号为 {finding_id} 的问题")
        if verified_on is not None and row["status"] != "已整改":
            raise EntryRefused(f"该问题的整改状态是“{row['status']}”：单位报称已整改后才能核验")
        current = row["deadline"]
        if new_deadline is not None and new_deadline == current:
            raise EntryRefused(f"新的整改时限与当前时限 {current.isoformat()} 相同")
        what = "、".join(w for w, given in (("延期", new_deadline), ("核验", verified_on)) if given is not None)
        counts = {"findings": {"inserted": 0, "updated": 1, "unchanged": 0},
                  "finding_extensions": {"inserted": int(new_deadline is not None), "updated": 0, "unchanged": 0}}
        batch = _entry_batch(conn, actor, counts, f"整改{what}录入：问题 {int(finding_id)}",
                             ("findings", finding_id, row))
        values: dict = {"batch_id": batch}
        if new_deadline is not None:
            values["deadline"] = new_deadline
            values["original_deadline"] = row["original_deadline"] or current or new_deadline
            conn.execute(insert(xt), {
                "finding_id": int(finding_id), "old_deadline": current, "new_deadline": new_deadline,
                "reason": reason, "approved_by": approved_by, "recorded_by": actor.name,
                "recorded_at": dt.datetime.now().replace(microsecond=0),
                "created_batch_id": batch, "batch_id": batch})
        if verified_on is not None:
            values.update(verified_on=verified_on, verified_by=verified_by, verification_method=verification_method)
        conn.execute(update(ft).where(ft.c.id == int(finding_id)).values(**values))
        _entry_audit(conn, actor, batch, what, finding=int(finding_id))
    return {"batch_id": batch, "finding_id": int(finding_id), "entry": what}


# -- collection rounds (报送轮次, issue 26): opened by staff on 报送情况 or by the first import of a kind and cut-off -----

ROUND_MONITORING, ROUND_SELF_EVALUATION = ROUND_KINDS = ("monitoring", "self_evaluation")
ROUND_KIND_LABELS = {ROUND_MONITORING: "绩效监控", ROUND_SELF_EVALUATION: "单位自评"}


def round_key(kind: str, year: int, as_of: dt.date | None) -> str:
    """The round's natural key "<kind>:<year>:<as_of or ->" (self-evaluation rounds have no as_of)."""
    return f"{kind}:{int(year)}:{as_of.isoformat() if as_of is not None else '-'}"


def _round_values(kind: str, year: int, as_of: dt.date | None) -> tuple[int, dt.date | None]:
    if kind not in ROUND_KINDS:
        raise EntryRefused(f"未知的报送轮次类型“{kind}”：应为 {'、'.join(ROUND_KIND_LABELS.values())}")
    year = int(year)
    if not 2000 <= year <= 2100:
        raise EntryRefused(f"年度 {year} 不在 2000–2100 之间")
    if kind == ROUND_SELF_EVALUATION:
        return year, None
    if as_of is None:
        raise EntryRefused("绩效监控轮次须写明监控截止日期")
    return year, as_of


def ensure_round(conn: Connection, kind: str, year: int, as_of: dt.date | None, user: str | None) -> int:
    """The id of the round of `kind`, `year` and cut-off `as_of` (None for self-evaluation), opened (no due date)
    when there is none yet. Idempotent; the importer calls it inside its transaction, so the round opens with the
    first import of that kind and cut-off and disappears with nothing else (an undo leaves it, without reports)."""
    year, as_of = _round_values(kind, year, as_of)
    rt = m.CollectionRound.__table__
    key = round_key(kind, year, as_of)
    found = conn.execute(select(rt.c.id).where(rt.c.round_key == key)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(rt).returning(rt.c.id), {
        "kind": kind, "year": year, "as_of": as_of, "round_key": key, "due_on": None,
        "opened_at": dt.datetime.now().replace(microsecond=0), "opened_by": user}).scalar_one())


def open_round(url: str, actor, kind: str, year: int, as_of: dt.date | None = None, due_on: dt.date | None = None,
               title: str | None = None) -> dict:
    """Open a round (or, when it exists — opened by an import, or closed — set its due date and title and reopen it).

    Only an actor with the "open_round" permission may (accounts.Forbidden otherwise, nothing written); the round
    and its audit entry ("settings", detail {"round": "open", "key", "due_on"}) commit together. EntryRefused for
    an unknown kind, a monitoring round without 监控截止日期, or a 报送截止日期 before the 监控截止日期."""
    accounts.require(actor, "open_round")
    year, as_of = _round_values(kind, year, as_of)
    if due_on is not None and as_of is not None and due_on < as_of:
        raise EntryRefused(f"报送截止日期 {due_on.isoformat()} 早于监控截止日期 {as_of.isoformat()}")
    title = _text(title)
    rt = m.CollectionRound.__table__
    key = round_key(kind, year, as_of)
    with write_transaction(url) as conn:
        round_id = ensure_round(conn, kind, year, as_of, actor.name)
        values: dict = {"due_on": due_on, "closed_at": None}
        if title is not None:
            values["title"] = title
        conn.execute(update(rt).where(rt.c.id == round_id).values(**values))
        audit.record_in(conn, actor.name, actor.role, "settings",
                        {"round": "open", "key": key, "due_on": due_on.isoformat() if due_on else None})
    return {"round_id": round_id, "key": key}


def close_round(url: str, actor, round_id: int) -> dict:
    """Close a round (closed_at = now): it stays on 报送情况 but is no longer the current one. Permission
    "open_round"; audited ("settings", detail {"round": "close", "key"}). EntryRefused for an unknown round."""
    accounts.require(actor, "open_round")
    rt = m.CollectionRound.__table__
    with write_transaction(url) as conn:
        key = conn.execute(select(rt.c.round_key).where(rt.c.id == int(round_id))).scalar()
        if key is None:
            raise EntryRefused(f"没有编号为 {round_id} 的报送轮次")
        conn.execute(update(rt).where(rt.c.id == int(round_id))
                     .values(closed_at=dt.datetime.now().replace(microsecond=0)))
        audit.record_in(conn, actor.name, actor.role, "settings", {"round": "close", "key": key})
    return {"round_id": int(round_id), "key": key}


# -- the 询问台账 entered in the app (issue 26): a question to a department, and its answer -------------------------

def _rating(rating) -> str | None:
    rating = _text(rating)
    if rating is not None and rating not in VOTES:
        raise EntryRefused(f"满意度“{rating}”不可用，可填：{'、'.join(VOTES)}")
    return rating


def _answer_checks(answer, answered_on, asked_on, today: dt.date, rating=None) -> None:
    if answered_on is not None and answer is None:
        raise EntryRefused("请填写答复内容")
    if rating is not None and answer is None and answered_on is None:
        raise EntryRefused("尚未答复：答复后才能登记询问人的满意度")
    if answered_on is not None and answered_on > today:
        raise EntryRefused(f"答复日期 {answered_on.isoformat()} 晚于今天 {today.isoformat()}")
    if answered_on is not None and asked_on is not None and answered_on < asked_on:
        raise EntryRefused(f"答复日期 {answered_on.isoformat()} 早于询问日期 {asked_on.isoformat()}")


def record_inquiry(url: str, actor, *, year: int, department_id: int, question: str, asker: str | None = None,
                   asked_on: dt.date | None = None, due_on: dt.date | None = None, unit_id: int | None = None,
                   project_id: int | None = None, answer: str | None = None, answered_on: dt.date | None = None,
                   rating: str | None = None, today: dt.date | None = None) -> dict:
    """Record one question of the 询问台账 (and, when already known, its answer and rating) as a batch of its own
    (source "entry"), so it can be undone like an import (data_loaders.batches.undo_batch) and shows in the import
    history. Only an actor with the "inquire" permission may (accounts.Forbidden otherwise, nothing written); the
    row and its audit entry ("import", detail {"batch", "entry": "询问", "inquiry"}) commit together. EntryRefused
    when the values do not make a question: no question or asker, asked after `today`, a due date before the asking
    day, an answer date without an answer, a rating not 满意/基本满意/不满意 or without an answer, a unit or project of
    another department (or year), or the same asker, day and question already recorded that year."""
    accounts.require(actor, "inquire")
    today = today or dt.date.today()
    question, asker, answer = _text(question), _text(asker), _text(answer)
    rating = _rating(rating)
    if question is None:
        raise EntryRefused("请填写询问内容")
    if asker is None:
        raise EntryRefused("请填写询问人（代表姓名或委员会）")
    if asked_on is not None and asked_on > today:
        raise EntryRefused(f"询问日期 {asked_on.isoformat()} 晚于今天 {today.isoformat()}")
    if due_on is not None and asked_on is not None and due_on < asked_on:
        raise EntryRefused(f"答复期限 {due_on.isoformat()} 早于询问日期 {asked_on.isoformat()}")
    _answer_checks(answer, answered_on, asked_on, today, rating)
    it = m.Inquiry.__table__
    key = m.inquiry_key(asker, asked_on, question)
    with write_transaction(url) as conn:
        dept = conn.execute(select(m.Department.name).where(m.Department.id == int(department_id))).scalar()
        if dept is None:
            raise EntryRefused(f"没有编号为 {department_id} 的主管部门")
        if unit_id is not None:
            owner = conn.execute(select(m.Unit.department_id).where(m.Unit.id == int(unit_id))).scalar()
            if owner != int(department_id):
                raise EntryRefused(f"所选预算单位不属于{dept}")
        if project_id is not None:
            p = conn.execute(select(m.Project.department_id, m.Project.year)
                             .where(m.Project.id == int(project_id))).first()
            if p is None or p[0] != int(department_id) or p[1] != int(year):
                raise EntryRefused(f"所选项目不是{dept} {int(year)} 年度的项目")
        same = conn.execute(select(it.c.id).where(it.c.year == int(year), it.c.inquiry_key == key)).scalar()
        if same is not None:
            raise EntryRefused(f"同一询问人、同一天的这个问题已经登记过（询问编号 {same}）")
        batch = _entry_batch(conn, actor, {"inquiries": {"inserted": 1, "updated": 0, "unchanged": 0}},
                             f"询问录入：{dept}")
        new_id = conn.execute(insert(it).returning(it.c.id), {
            "year": int(year), "department_id": int(department_id),
            "unit_id": None if unit_id is None else int(unit_id),
            "project_id": None if project_id is None else int(project_id), "inquiry_key": key, "asker": asker,
            "question": question, "asked_on": asked_on, "due_on": due_on, "answer": answer,
            "answered_on": answered_on, "rating": rating, "created_batch_id": batch, "batch_id": batch}).scalar_one()
        _entry_audit(conn, actor, batch, "询问", inquiry=new_id)
    return {"batch_id": batch, "inquiry_id": new_id, "entry": "询问"}


def answer_inquiry(url: str, actor, inquiry_id: int, *, answer: str | None = None,
                   answered_on: dt.date | None = None, rating: str | None = None,
                   today: dt.date | None = None) -> dict:
    """Record the answer (答复内容 and 答复日期) and/or the asker's rating of one question, as a batch of its own
    (source "entry"): the question's prior values go to the ChangeLog, so the entry can be undone like an import;
    it and its audit entry ("import", detail {"batch", "entry", "inquiry"}) commit together. Only an actor with
    the "inquire" permission may. EntryRefused when nothing is given, an answer date without an answer (given now
    or stored), an answer dated after `today` or before the question, a rating not 满意/基本满意/不满意, or a rating
    of a question not answered."""
    accounts.require(actor, "inquire")
    today = today or dt.date.today()
    answer, rating = _text(answer), _rating(rating)
    if answer is None and answered_on is None and rating is None:
        raise EntryRefused("请填写答复内容、答复日期或满意度")
    it = m.Inquiry.__table__
    with write_transaction(url) as conn:
        row = conn.execute(select(it).where(it.c.id == int(inquiry_id))).mappings().first()
        if row is None:
            raise EntryRefused(f"没有编号为 {inquiry_id} 的询问")
        _answer_checks(answer or row["answer"], answered_on or row["answered_on"], row["asked_on"], today, rating)
        values = {k: v for k, v in (("answer", answer), ("answered_on", answered_on), ("rating", rating))
                  if v is not None}
        if all(row[k] == v for k, v in values.items()):
            raise EntryRefused("与已登记的答复相同，没有需要保存的改动")
        what = "、".join(w for w, k in (("答复", "answer"), ("答复日期", "answered_on"), ("满意度", "rating"))
                        if k in values)
        batch = _entry_batch(conn, actor, {"inquiries": {"inserted": 0, "updated": 1, "unchanged": 0}},
                             f"询问答复录入：询问 {int(inquiry_id)}", ("inquiries", inquiry_id, row))
        conn.execute(update(it).where(it.c.id == int(inquiry_id)).values(batch_id=batch, **values))
        _entry_audit(conn, actor, batch, what, inquiry=int(inquiry_id))
    return {"batch_id": batch, "inquiry_id": int(inquiry_id), "entry": what}
