"""What a database error means, in one Chinese sentence that names the real cause (and the cell, where it can).

A write that the database refuses or cannot do — an import, a sync, an undo — used to end in one generic
sentence ("请核对重复或互相矛盾的行"), even when the disk was full (issue 23). `explain` sorts the error into a
cause from what the driver reports (SQLite's extended result names such as SQLITE_FULL, PostgreSQL's SQLSTATE and
its diagnostics, an OSError's errno) and falls back on the driver's words only to classify, never to show:

    disk_full    SQLite "database or disk is full" (SQLITE_FULL); PostgreSQL 53100 disk_full, "could not extend
                 file", 53200 out of memory, 53300 too many connections is `busy`; OSError ENOSPC / EDQUOT / EFBIG
    busy         SQLite "database is locked" / SQLITE_BUSY / SQLITE_LOCKED; PostgreSQL 55P03 lock_not_available,
                 40P01 deadlock, 40001 serialization failure, 57014 statement timeout, 53300 too many connections
    connection   the connection was lost or never made: PostgreSQL class 08, 57P01–57P03 (server shut down),
                 SQLAlchemy's `connection_invalidated`, "server closed the connection", "connection refused"
    read_only    SQLite "attempt to write a readonly database" / SQLITE_READONLY / SQLITE_CANTOPEN / SQLITE_PERM;
                 PostgreSQL 25006 read-only transaction, 42501 insufficient privilege; OSError EACCES / EPERM / EROFS
    unique, foreign_key, check, not_null
                 a constraint: the table (Chinese, from dashboard.core.vocab.TABLE_LABELS) and its columns, and with
                 the read tables the first row that breaks it where that can be found
    too_long     PostgreSQL 22001 "value too long for type character varying(n)": the first longer text cell
    nul          a NUL character (0x00) in text, which PostgreSQL refuses: the first cell holding one
    other        anything else: a reference number; the database's own words go to the log with it

Every message says that nothing was written (`outcome`, default "未写入任何数据") and carries a reference
number (参考编号 xxxxxxxx) that the log entry repeats with the database's words.
"""

from __future__ import annotations

import errno
import logging
import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from dashboard.core import models
from dashboard.core.vocab import TABLE_LABELS
from data_loaders import schema
from data_loaders.problems import ERROR, Problem

log = logging.getLogger(__name__)

DISK_FULL, BUSY, CONNECTION, READ_ONLY = "disk_full", "busy", "connection", "read_only"
UNIQUE, FOREIGN_KEY, CHECK, NOT_NULL, TOO_LONG, NUL, OTHER = (
    "unique", "foreign_key", "check", "not_null", "too_long", "nul", "other")

# tables the data tables' labels do not cover
_MORE_TABLES = {
    "import_batches": "导入批次", "change_log": "变更记录", "audit_log": "操作日志", "meta": "系统信息",
    "users": "账号", "auth_sessions": "登录会话", "project_facts": "项目汇总", "import_layouts": "导入版式",
}
# database columns whose Chinese name is not a schema field's label
_MORE_COLUMNS = {
    "code": "编码", "name": "名称", "project_id": "项目", "department_id": "主管部门", "unit_id": "预算单位",
    "object_key": "评价对象", "object_name": "评价对象名称", "finding_key": "问题（部门、项目和问题描述）",
    "indicator_key": "指标", "task_key": "重点工作任务", "batch_id": "导入批次", "created_batch_id": "导入批次",
    "as_of": "监控截止日期", "stage": "阶段",
}
# the table's database name → the read tables' kind (schema.TABLES) whose rows went into it
_KIND_OF_TABLE = {"projects": "projects", "monitoring": "monitoring", "evaluations": "evaluations",
                  "findings": "findings", "indicators": "indicators", "departments": "units", "units": "units",
                  "finding_extensions": "findings", "satisfaction_votes": "satisfaction",
                  "inquiries": "inquiries"}
# a database column → the read table's field holding its value, where the names differ
_FIELD_OF_COLUMN = {("projects", "code"): "project_code", ("projects", "name"): "project_name",
                    ("departments", "name"): "department", ("departments", "code"): "department_code",
                    ("units", "name"): "unit", ("units", "code"): "unit_code",
                    ("evaluations", "object_name"): "project_name", ("findings", "category"): "problem_category"}

_SQLITE_NAMES = {
    "SQLITE_FULL": DISK_FULL, "SQLITE_IOERR_WRITE": DISK_FULL,
    "SQLITE_BUSY": BUSY, "SQLITE_LOCKED": BUSY, "SQLITE_BUSY_TIMEOUT": BUSY, "SQLITE_BUSY_SNAPSHOT": BUSY,
    "SQLITE_LOCKED_SHAREDCACHE": BUSY,
    "SQLITE_READONLY": READ_ONLY, "SQLITE_READONLY_DIRECTORY": READ_ONLY, "SQLITE_READONLY_DBMOVED": READ_ONLY,
    "SQLITE_READONLY_CANTLOCK": READ_ONLY, "SQLITE_READONLY_RECOVERY": READ_ONLY, "SQLITE_PERM": READ_ONLY,
    "SQLITE_AUTH": READ_ONLY, "SQLITE_CANTOPEN": READ_ONLY,
    "SQLITE_CONSTRAINT_UNIQUE": UNIQUE, "SQLITE_CONSTRAINT_PRIMARYKEY": UNIQUE,
    "SQLITE_CONSTRAINT_FOREIGNKEY": FOREIGN_KEY, "SQLITE_CONSTRAINT_CHECK": CHECK,
    "SQLITE_CONSTRAINT_NOTNULL": NOT_NULL,
}
_PG_STATES = {
    "53100": DISK_FULL, "53200": DISK_FULL, "53000": DISK_FULL, "53400": DISK_FULL,
    "53300": BUSY, "55P03": BUSY, "40P01": BUSY, "40001": BUSY, "57014": BUSY, "55006": BUSY,
    "57P01": CONNECTION, "57P02": CONNECTION, "57P03": CONNECTION,
    "25006": READ_ONLY, "42501": READ_ONLY,
    "23505": UNIQUE, "23503": FOREIGN_KEY, "23514": CHECK, "23502": NOT_NULL, "22001": TOO_LONG,
    "22021": NUL, "22P05": NUL,
}
_ERRNOS = {errno.ENOSPC: DISK_FULL, getattr(errno, "EDQUOT", -1): DISK_FULL, errno.EFBIG: DISK_FULL,
           errno.EACCES: READ_ONLY, errno.EPERM: READ_ONLY, errno.EROFS: READ_ONLY,
           errno.EAGAIN: BUSY, errno.ENOLCK: BUSY}
# the drivers' words, for errors that carry no code (checked in order, lower-cased)
_WORDS = (
    ("database or disk is full", DISK_FULL), ("disk is full", DISK_FULL), ("could not extend file", DISK_FULL),
    ("no space left on device", DISK_FULL), ("disk quota exceeded", DISK_FULL),
    ("database is locked", BUSY), ("database table is locked", BUSY), ("lock timeout", BUSY),
    ("deadlock detected", BUSY), ("could not serialize", BUSY), ("too many clients", BUSY),
    ("readonly database", READ_ONLY), ("read-only", READ_ONLY), ("permission denied", READ_ONLY),
    ("unable to open database file", READ_ONLY),
    ("nul (0x00)", NUL), ("0x00", NUL),
    ("server closed the connection", CONNECTION), ("connection refused", CONNECTION),
    ("connection failed", CONNECTION), ("terminating connection", CONNECTION), ("connection is closed", CONNECTION),
    ("connection timed out", CONNECTION), ("could not connect", CONNECTION), ("ssl syscall", CONNECTION),
    ("unique constraint", UNIQUE), ("duplicate key", UNIQUE), ("foreign key", FOREIGN_KEY),
    ("check constraint", CHECK), ("not null constraint", NOT_NULL), ("not-null constraint", NOT_NULL),
    ("value too long", TOO_LONG),
)


@dataclass(frozen=True)
class Cause:
    """What went wrong: `kind` (one of the names above), and for constraints the database's table, columns and
    constraint name where the driver says them; `detail` is PostgreSQL's DETAIL line (the key's values)."""

    kind: str
    table: str | None = None
    columns: tuple[str, ...] = ()
    constraint: str | None = None
    detail: str | None = None
    limit: int | None = None  # too_long: the column's length


def _original(exc: BaseException) -> BaseException:
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def classify(exc: BaseException) -> Cause:
    """The cause of a database or file-system error (a DBAPIError, a driver's own error, or an OSError)."""
    orig = _original(exc)
    text = str(orig).lower()
    kind = None
    if isinstance(orig, OSError) and orig.errno in _ERRNOS:
        kind = _ERRNOS[orig.errno]
    name = getattr(orig, "sqlite_errorname", None)
    if kind is None and name:
        kind = _SQLITE_NAMES.get(name) or (DISK_FULL if name.startswith("SQLITE_IOERR") and "full" in text else None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if kind is None and state:
        kind = _PG_STATES.get(state) or (CONNECTION if state.startswith("08") else None)
    if kind is None and isinstance(exc, DBAPIError) and exc.connection_invalidated:
        kind = CONNECTION
    if kind is None:
        kind = next((k for words, k in _WORDS if words in text), OTHER)
    diag = getattr(orig, "diag", None)
    table = getattr(diag, "table_name", None)
    constraint = getattr(diag, "constraint_name", None)
    column = getattr(diag, "column_name", None)
    detail = getattr(diag, "message_detail", None)
    columns: tuple[str, ...] = (column,) if column else ()
    first = str(orig).splitlines()[0] if str(orig) else ""
    if kind in (UNIQUE, NOT_NULL) and not table:
        # SQLite: "UNIQUE constraint failed: projects.year, projects.code"
        m = re.search(r"constraint failed: (.+)$", first)
        if m:
            parts = [p.strip() for p in m.group(1).split(",")]
            table = parts[0].split(".")[0] if "." in parts[0] else None
            columns = tuple(p.split(".", 1)[1] for p in parts if "." in p)
    if kind == CHECK and not constraint:
        m = re.search(r"CHECK constraint failed: (\w+)", first)
        constraint = m.group(1) if m else None
    if kind == UNIQUE and detail and not columns:
        m = re.match(r"Key \(([^)]*)\)=", detail)
        if m:
            columns = tuple(c.strip().strip('"') for c in m.group(1).split(","))
    if kind == FOREIGN_KEY and detail and not columns:
        m = re.match(r"Key \(([^)]*)\)=", detail)
        if m:
            columns = tuple(c.strip().strip('"') for c in m.group(1).split(","))
    if constraint and not table:
        table = _table_of_constraint(constraint)
    if kind == CHECK and constraint and not columns:
        columns = _check_columns(constraint)
    limit = None
    if kind == TOO_LONG:
        m = re.search(r"varying\((\d+)\)|character\((\d+)\)", text)
        limit = int(next(g for g in m.groups() if g)) if m else None
    return Cause(kind, table, columns, constraint, detail, limit)


def _models():
    return models.Base.metadata


def _table_of_constraint(constraint: str) -> str | None:
    """The table a named constraint belongs to (uq_projects_year_code → projects), read off the models."""
    for table in _models().tables.values():
        for c in table.constraints:
            if c.name == constraint:
                return table.name
    return None


def _check_columns(constraint: str) -> tuple[str, ...]:
    """The columns a named CHECK constraint tests, in the order its expression names them."""
    for table in _models().tables.values():
        for c in table.constraints:
            if c.name == constraint and hasattr(c, "sqltext"):
                words = re.findall(r"[a-z_]+", str(c.sqltext))
                return tuple(dict.fromkeys(w for w in words if w in table.c))
    return ()


def _check_bounds(constraint: str) -> tuple[float | None, float | None]:
    """The lower and upper bound a named CHECK constraint sets on its column (≥ a, ≤ b, BETWEEN a AND b)."""
    for table in _models().tables.values():
        for c in table.constraints:
            if c.name == constraint and hasattr(c, "sqltext"):
                sql = str(c.sqltext)
                m = re.search(r"BETWEEN\s+(-?[\d.]+)\s+AND\s+(-?[\d.]+)", sql, re.IGNORECASE)
                if m:
                    return float(m.group(1)), float(m.group(2))
                low = re.search(r">=?\s*(-?[\d.]+)", sql)
                high = re.search(r"<=?\s*(-?[\d.]+)", sql)
                return (float(low.group(1)) if low else None, float(high.group(1)) if high else None)
    return None, None


def table_label(table: str | None) -> str:
    if not table:
        return "数据"
    return TABLE_LABELS.get(table) or _MORE_TABLES.get(table) or "数据"


def column_label(table: str | None, column: str) -> str:
    kind = _KIND_OF_TABLE.get(table or "")
    name = _FIELD_OF_COLUMN.get((table, column), column)
    if kind and kind in schema.TABLES:
        for f in schema.TABLES[kind].fields:
            if f.name == name:
                return f.label
    for spec in schema.TABLES.values():
        for f in spec.fields:
            if f.name == name:
                return f.label
    return _MORE_COLUMNS.get(column, "某一列")


def _columns_words(cause: Cause) -> str:
    labels = list(dict.fromkeys(column_label(cause.table, c) for c in cause.columns))
    return "、".join(labels)


# ------------------------------------------------------------------------------------------ finding the cell


@dataclass(frozen=True)
class Cell:
    file: str
    sheet: str | None
    row: int | None
    column: str | None


def _cells(tables: Iterable, kinds: set[str] | None = None):
    """(table, field, row number, value) of every cell of the read tables (ParsedTable), kinds first if given."""
    tables = list(tables or ())
    if kinds:
        tables = [t for t in tables if t.kind in kinds] + [t for t in tables if t.kind not in kinds]
    for t in tables:
        frame = t.frame
        rows = frame["_row"].tolist() if "_row" in frame.columns else [None] * len(frame)
        for name in frame.columns:
            if str(name).startswith("_"):
                continue
            for r, v in zip(rows, frame[name].tolist()):
                yield t, name, r, v


def _cell(t, name: str, row) -> Cell:
    try:
        column = t.label(name)
    except (StopIteration, KeyError):
        column = str(name)
    return Cell(t.file, t.sheet, int(row) if row is not None else None, column)


def locate(cause: Cause, tables: Iterable) -> Cell | None:
    """The first cell of the read tables that the cause points at, where that can be told; else None."""
    kind = _KIND_OF_TABLE.get(cause.table or "")
    kinds = {kind} if kind else None
    if cause.kind == NUL:
        for t, name, row, v in _cells(tables, kinds):
            if isinstance(v, str) and "\x00" in v:
                return _cell(t, name, row)
    elif cause.kind == TOO_LONG and cause.limit:
        for t, name, row, v in _cells(tables, kinds):
            if isinstance(v, str) and len(v) > cause.limit:
                return _cell(t, name, row)
    elif cause.kind == CHECK and cause.constraint and cause.columns:
        low, high = _check_bounds(cause.constraint)
        fields = {_FIELD_OF_COLUMN.get((cause.table, c), c) for c in cause.columns}
        for t, name, row, v in _cells(tables, kinds):
            if t.kind != kind or name not in fields or not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            if math.isnan(v):
                continue
            if (low is not None and v < low) or (high is not None and v > high):
                return _cell(t, name, row)
    elif cause.kind == NOT_NULL and cause.columns and kind:
        field = _FIELD_OF_COLUMN.get((cause.table, cause.columns[0]), cause.columns[0])
        for t in tables or ():
            if t.kind == kind and field in t.frame.columns:
                empty = t.frame[field].isna()
                if empty.any():
                    row = t.frame.loc[empty, "_row"].iloc[0] if "_row" in t.frame.columns else None
                    return _cell(t, field, row)
    elif cause.kind == UNIQUE and cause.detail and kind:
        m = re.match(r"Key \([^)]*\)=\((.*)\) already exists", cause.detail)
        values = [v.strip() for v in m.group(1).split(",")] if m else []
        field_names = [_FIELD_OF_COLUMN.get((cause.table, c), c) for c in cause.columns]
        pairs = [(f, v) for f, v in zip(field_names, values) if not f.endswith("_id")]
        if pairs:
            for t in tables or ():
                if t.kind != kind or not all(f in t.frame.columns for f, _ in pairs):
                    continue
                hit = None
                for f, v in pairs:
                    same = t.frame[f].astype(str) == v
                    hit = same if hit is None else hit & same
                if hit is not None and hit.any():
                    row = t.frame.loc[hit, "_row"].iloc[-1] if "_row" in t.frame.columns else None
                    return _cell(t, pairs[-1][0], row)
    elif cause.kind == UNIQUE and cause.columns and kind:
        # SQLite names the columns, not the values: the second row of the read tables repeating them
        fields = [_FIELD_OF_COLUMN.get((cause.table, c), c) for c in cause.columns]
        fields = [f for f in fields if not f.endswith("_id")]
        seen: set[tuple] = set()
        for t in tables or ():
            if t.kind != kind or not fields or not all(f in t.frame.columns for f in fields):
                continue
            rows = t.frame["_row"].tolist() if "_row" in t.frame.columns else [None] * len(t.frame)
            for row, key in zip(rows, zip(*(t.frame[f].tolist() for f in fields))):
                if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in key):
                    continue
                if key in seen:
                    return _cell(t, fields[-1], row)
                seen.add(key)
    return None


# ------------------------------------------------------------------------------------------ the sentence


def sentence(cause: Cause, ref: str, outcome: str = "未写入任何数据", cell: Cell | None = None) -> str:
    """The Chinese sentence for a cause; `outcome` says what became of the data (未写入任何数据, 数据没有改动)."""
    where = table_label(cause.table)
    cols = _columns_words(cause)
    tail = f"参考编号 {ref}"
    k = cause.kind
    if k == DISK_FULL:
        return (f"数据库所在的磁盘已满（或数据库已到容量上限），{outcome}。请管理员清理磁盘空间或扩容后重试；"
                f"{tail}。")
    if k == BUSY:
        return (f"数据库正被另一项操作占用（例如另一次导入、撤销或同步正在写入），等待超时，{outcome}。"
                f"请稍后重试；如果一直出现，请把{tail}告诉管理员。")
    if k == CONNECTION:
        return (f"与数据库的连接中断或无法建立（数据库服务停止、重启或网络断开），{outcome}。"
                f"请确认数据库服务正常后重试；{tail}。")
    if k == READ_ONLY:
        return (f"数据库不允许写入：数据库文件或目录只读，或所用的数据库账号没有写权限，{outcome}。"
                f"请管理员检查数据库的权限设置；{tail}。")
    if k == UNIQUE:
        what = f"“{where}”中{('“' + cols + '”') if cols else '某些关键列'}相同的记录出现了两次"
        return (f"数据库拒绝了这批数据：{what}，{outcome}。请核对文件中这些列是否重复，"
                f"或是否与已导入的数据冲突；如仍不行，请把文件和{tail}交给管理员。")
    if k == FOREIGN_KEY:
        return (f"数据库拒绝了这批数据：“{where}”中的记录引用了不存在的"
                f"{('“' + cols + '”') if cols else '主管部门、预算单位或项目'}，{outcome}。"
                f"请把文件和{tail}交给管理员。")
    if k == CHECK:
        return (f"数据库拒绝了这批数据：“{where}”的{('“' + cols + '”') if cols else '某个数值'}超出允许的范围，"
                f"{outcome}。请核对该列的数值；如仍不行，请把文件和{tail}交给管理员。")
    if k == NOT_NULL:
        return (f"数据库拒绝了这批数据：“{where}”的{('“' + cols + '”') if cols else '某个必填列'}为空，"
                f"{outcome}。请填写后重试；如仍不行，请把文件和{tail}交给管理员。")
    if k == TOO_LONG:
        limit = f"（最多 {cause.limit} 个字）" if cause.limit else ""
        return (f"数据库拒绝了这批数据：有一个文字内容超过了该列允许的长度{limit}，{outcome}。"
                f"请缩短后重试；{tail}。")
    if k == NUL:
        return (f"数据库拒绝了这批数据：有单元格含有不可见的空字符（NUL，编码 0x00），{outcome}。"
                f"请删除该字符（例如重新输入该单元格）后重试；{tail}。")
    return f"数据库未能完成这次写入，{outcome}。请稍后重试；如果一直出现，请把文件和{tail}交给管理员。"


def explain(exc: BaseException, files: Iterable[str] = (), tables: Iterable = (), *,
            outcome: str = "未写入任何数据", what: str = "import") -> str:
    """The one sentence for a database error during a write; logs the database's words with a reference."""
    return problem(exc, files, tables, outcome=outcome, what=what).message


def problem(exc: BaseException, files: Iterable[str] = (), tables: Iterable = (), *,
            outcome: str = "未写入任何数据", what: str = "import") -> Problem:
    """`explain` as an import problem: at the cell the error points at where it can be found (NUL, too long,
    a CHECK bound, an empty NOT NULL column, PostgreSQL's duplicate key), else on the files. Logs the error
    (traceback and the database's words) under the reference number the sentence gives."""
    tables = list(tables or ())
    cause = classify(exc)
    ref = uuid.uuid4().hex[:8]
    log.error("%s refused by the database (%s) [ref %s]: %s", what, cause.kind, ref,
              str(_original(exc)).strip(), exc_info=exc)
    try:
        cell = locate(cause, tables)
    except Exception:
        log.exception("locating the cell of a database error failed [ref %s]", ref)
        cell = None
    message = sentence(cause, ref, outcome, cell)
    if cell is not None:
        return Problem(cell.file, cell.sheet, cell.row, cell.column, message, ERROR)
    return Problem(", ".join(files) or "-", None, None, None, message, ERROR)
