"""Pulling canonical tables from another database (PostgreSQL, MariaDB/MySQL, SQLite) into the same read → validate → import pipeline as spreadsheets.

A mapping file names, per canonical table kind, a source table or SQL query and how its columns map
to the canonical headers. Each query result becomes an in-memory CSV with canonical Chinese headers
and goes through reader.read_file, so a synced row is parsed and checked exactly like an uploaded one.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import os
import tomllib
from pathlib import Path

from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.engine import make_url

from dashboard.core import accounts, audit, db
from dashboard.core.accounts import Actor, Forbidden
from dashboard.core.settings import Limits, Rules
from dashboard.core.vocab import SOURCE_SYNC
from data_loaders import schema
from data_loaders.importer import KIND_ORDER, ImportResult, import_results
from data_loaders.isolated import read_file_isolated
from data_loaders.limits import MAX_CELL_CHARS
from data_loaders.problems import ERROR, Problem

ALIASES = {t.label: k for k, t in schema.TABLES.items()}  # [项目] works as well as [projects]
# a server-side cursor (psycopg and pymysql otherwise load the whole result at execute), a hundred rows at most
# held at a time: SQLAlchemy's buffer starts at one row and grows, so a huge first row is seen at once
STREAM = {"stream_results": True, "max_row_buffer": 100}


class SyncError(Exception):
    """The mapping or the source cannot be used at all (message in Chinese)."""


def load_mapping(path: str | os.PathLike) -> dict[str, dict]:
    """Read a TOML (or YAML) mapping file: {kind: {"table"|"query", "columns", "year", "as_of"}}."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SyncError(f"无法读取映射文件 {p}：{exc.strerror or exc}") from None
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # lazy: PyYAML is optional (TOML needs nothing beyond the standard library)
        except ImportError:
            raise SyncError("读取 YAML 映射文件需要安装 PyYAML；或改用 TOML 格式") from None
        data = yaml.safe_load(raw.decode("utf-8"))
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SyncError(f"映射文件 {p.name} 格式错误：{exc}") from None
    mapping: dict[str, dict] = {}
    for key, section in (data or {}).items():
        kind = ALIASES.get(key, key)
        if kind not in schema.TABLES:
            raise SyncError(f"映射文件 {p.name}：未知的表“{key}”，可用：{'、'.join(schema.TABLES)}")
        if not isinstance(section, dict) or bool(section.get("table")) == bool(section.get("query")):
            raise SyncError(f"映射文件 {p.name}：[{key}] 须给出 table 或 query 之一")
        mapping[kind] = section
    if not mapping:
        raise SyncError(f"映射文件 {p.name} 没有任何表")
    return mapping


def _header(kind: str, target: str) -> str:
    """A mapping target may be a canonical field name (project_code) or a header (项目编码 or a synonym)."""
    spec = schema.TABLES[kind]
    for f in spec.fields:
        if target == f.name:
            return f.label
    if target == "execution_rate":
        return "执行率"
    return target


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or value.time() == dt.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    # a NUL means nothing in text (the reader refuses it in a CSV file); dropped as the sheet reader drops it
    return str(value).replace("\x00", "")


def fetch(source_url: str, kind: str, section: dict, limits: Limits | None = None) -> bytes:
    """Run one section's query and return it as UTF-8 CSV bytes with canonical headers.

    The source is opened like every database, by dashboard.core.db (one pooled engine per URL), and only read.
    The rows come one at a time from a server-side cursor (STREAM) and are written as they come, bounded like a
    file after each row (`limits`: the rows of one sheet and the size of one file; one cell at most
    MAX_CELL_CHARS characters), so a huge source table or a huge value is refused with a sentence, not read whole.
    """
    limits = limits if limits is not None else Limits()
    label = schema.TABLES[kind].label
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    with db.get_engine(source_url).connect() as conn:
        if section.get("query"):
            result = conn.execute(text(section["query"]), section.get("params") or {}, execution_options=STREAM)
        else:
            name = section["table"]
            schema_name, _, table_name = name.rpartition(".")
            # reflect the table so its name is quoted by SQLAlchemy, never formatted into SQL
            table = Table(table_name, MetaData(), schema=schema_name or None, autoload_with=conn)
            result = conn.execute(select(table), execution_options=STREAM)
        columns = list(result.keys())
        colmap = section.get("columns") or {}
        if colmap:
            missing = [c for c in colmap if c not in columns]
            if missing:
                raise SyncError(f"[{kind}] 源数据中没有这些列：{'、'.join(missing)}（实际列：{'、'.join(columns)}）")
            keep = [columns.index(c) for c in colmap]
            headers = [_header(kind, colmap[c]) for c in colmap]
        else:
            keep = list(range(len(columns)))
            headers = [_header(kind, c) for c in columns]
        # MariaDB/MySQL booleans arrive as 0/1: written as 是/否 so the reader sees yes/no words
        bools = {f.label for f in schema.TABLES[kind].fields if f.type == schema.BOOL}
        as_bool = [h in bools for h in headers]
        writer.writerow(headers)
        for count, row in enumerate(result, 1):
            cells = [_cell(bool(row[i]) if b and isinstance(row[i], int) and row[i] in (0, 1) else row[i])
                     for i, b in zip(keep, as_bool)]
            for j, cell in enumerate(cells):
                if len(cell) > MAX_CELL_CHARS:  # numbered as the reader numbers the CSV's rows: the headers are row 1
                    raise SyncError(f"[{label}] 源数据第 {count + 1:,} 行第 {j + 1} 列（{headers[j][:40]}）的单元格有 "
                                    f"{len(cell):,} 个字符，超过一个单元格 {MAX_CELL_CHARS:,} 个字符的上限（与 Excel 相同），"
                                    "未导入任何数据；请改短源数据中的这个值，或在映射的 query 中截短这一列后重试。")
            writer.writerow(cells)
            if count > limits.max_rows:
                raise SyncError(f"[{label}] 源数据超过 {limits.max_rows:,} 行的上限（与一张工作表相同），未导入任何数据；"
                                "请在映射的 query 中按年度或部门分批同步（或请管理员调整 [limits] 设置）。")
            if out.tell() > limits.file_bytes():
                raise SyncError(f"[{label}] 源数据超过 {limits.max_file_mb:g} MB 的上限（与一个文件相同），未导入任何数据；"
                                "请在映射的 query 中按年度或部门分批同步（或请管理员调整 [limits] 设置）。")
    return out.getvalue().encode("utf-8")


def sync(
    url: str,
    source_url: str,
    mapping: str | os.PathLike | dict,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    user: str | None = None,
    actor: Actor | None = None,
    rules: Rules | None = None,
    limits: Limits | None = None,
) -> ImportResult:
    """Import every mapped table of a source database as one batch (source "sync"); `actor` must be allowed
    to sync, checked before the source is read (None: the command-line operator, see import_results).
    `rules` and `limits` as for import_files (the entry point's settings; default the documented ones)."""
    if actor is not None:
        try:
            accounts.require(actor, "sync")
        except Forbidden as exc:
            audit.record(url, actor.name, actor.role, "import_refused",
                         {"source": SOURCE_SYNC, "reason": "forbidden", "errors": [str(exc)]})
            raise SyncError(str(exc)) from None
    sections = mapping if isinstance(mapping, dict) else load_mapping(mapping)
    source_url = db.normalise_url(source_url)
    shown = make_url(source_url).render_as_string(hide_password=True)
    results = []
    for kind in KIND_ORDER:
        if kind not in sections:
            continue
        section = sections[kind]
        name = f"{shown}#{schema.TABLES[kind].label}"
        try:
            data = fetch(source_url, kind, section, limits)
        except SyncError:
            raise
        except Exception as exc:  # noqa: BLE001 - a source that cannot be read is reported, not a crash
            raise SyncError(f"无法从源数据库读取 [{kind}]：{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None
        s_year = section.get("year", year)
        s_as_of = section.get("as_of", as_of)
        if isinstance(s_as_of, str):
            s_as_of = dt.date.fromisoformat(s_as_of)
        # read like an uploaded file: in a child process with a memory and a time limit (data_loaders.isolated)
        fr = read_file_isolated(data, name + ".csv", year=s_year, as_of=s_as_of, rules=rules, limits=limits)
        for t in fr.tables:
            t.file = name
            if t.kind != kind:
                fr.problems.append(Problem(name, None, None, None,
                                           f"映射为“{schema.TABLES[kind].label}”，但按列名识别为“{schema.TABLES[t.kind].label}”：请检查 columns 映射",
                                           ERROR))
        # the reader's sentences name what it read as a file (name + ".csv", a file that does not exist)
        fr.problems[:] = [Problem(name, p.sheet, p.row, p.column, p.message.replace(f"文件“{name}.csv”", f"源数据“{name}”"),
                                  p.level) for p in fr.problems]
        results.append((name, hashlib.sha256(data).hexdigest(), fr))
    return import_results(url, results, dry_run=dry_run, user=user,
                          source=SOURCE_SYNC, actor=actor, rules=rules)
