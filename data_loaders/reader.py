"""Reading one spreadsheet or CSV file: bytes → sheets (grids) → one table per recognised sheet, plus every problem found.

Contract (the importer codes against it; fields may be added, never renamed):
    read_file(source, filename=None, *, year=None, as_of=None, rules=None) -> FileResult
    FileResult(file, tables: list[ParsedTable], problems: list[Problem], skipped_sheets) .errors .warnings .ok
    ParsedTable(file, sheet, kind, frame, mapping, columns, meta) .records() .label(field)
This module opens files and dispatches each sheet: to declaration.py (target declaration forms), forms.py
(self-evaluation forms) or, once
layout.py has found the header, to sheet.py (column mapping, parsing, year/as-of, checks).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import logging
import os
import uuid
from pathlib import Path
from typing import Any, BinaryIO

import python_calamine

from dashboard.settings import Limits, Rules, load_settings
from data_loaders import declaration as D
from data_loaders import forms as F
from data_loaders import headers as H
from data_loaders import indicators as I
from data_loaders import layout as L
from data_loaders.limits import TooLarge, size_message
from data_loaders.limits import check as check_limits
from data_loaders.problems import ERROR, WARNING, Problem
from data_loaders.sheet import SheetReader
from data_loaders.tables import FileResult, ParsedTable

__all__ = ["FileResult", "ParsedTable", "read_file", "read_grid"]


XLSX_MAGIC, XLS_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
log = logging.getLogger(__name__)


class _Unreadable(Exception):
    """The file cannot be opened at all (the message is for the user)."""


def read_file(
    source: bytes | str | os.PathLike | BinaryIO,
    filename: str | None = None,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
    rules: Rules | None = None,
    limits: Limits | None = None,
) -> FileResult:
    """Read a .xlsx/.xls/.csv file (bytes, a path or a file object) into canonical tables and problems.

    `year` / `as_of` are fallbacks (command line, upload page) used only where neither a column
    nor the title says it. `rules` gives the grade bands of the score/grade check (default: the
    configured ones, `load_settings().rules`); `limits` what the file may hold, checked before any cell is
    parsed (default: the configured `[limits]`). Never raises for bad input: everything wrong is a Problem.
    Numeric columns (money in 万元, percent as fraction, score) are float64 with NaN for empty;
    the others are object columns holding str / datetime.date / bool / int or None.
    `ParsedTable.records()` gives plain dicts with None for empty.
    """
    # The cyclic garbage collector would walk the 100k row lists again and again while the
    # parsers allocate; nothing built here forms cycles, so it is paused for the read (about a
    # third of the parsing time of a 100k-row sheet) and restored after.
    was_enabled = gc.isenabled()
    gc.disable()
    settings = load_settings() if rules is None or limits is None else None
    try:
        return _read_file(source, filename, year=year, as_of=as_of,
                          rules=rules if rules is not None else settings.rules,
                          limits=limits if limits is not None else settings.limits)
    finally:
        if was_enabled:
            gc.enable()


def _read_file(source, filename, *, year, as_of, rules: Rules, limits: Limits) -> FileResult:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), filename or "上传文件"
    elif hasattr(source, "getvalue") or hasattr(source, "read"):
        # an uploaded file object (Streamlit's UploadedFile, BytesIO): its bytes and its name
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
        name = filename or Path(str(getattr(source, "name", "") or "上传文件")).name
    else:
        path = Path(source)
        name = filename or path.name
        try:
            if path.stat().st_size > limits.file_bytes():  # refused before a byte is read
                return FileResult(name, [], [Problem(name, None, None, None, size_message(name, path.stat().st_size,
                                                                                        limits))])
            data = path.read_bytes()
        except OSError as exc:
            return FileResult(name, [], [Problem(name, None, None, None, f"无法读取文件：{exc.strerror or exc}")])
    try:
        check_limits(data, name, limits)
    except TooLarge as exc:
        return FileResult(name, [], [Problem(name, None, None, None, str(exc))])
    problems: list[Problem] = []
    try:
        sheets = _open(data, name, problems)
    except _Unreadable as exc:
        return FileResult(name, [], problems + [Problem(name, None, None, None, str(exc))])
    tables: list[ParsedTable] = []
    unrecognised: list[tuple[str | None, list[str]]] = []
    for sheet_name, grid, merged in sheets:
        try:
            table, sheet_problems, seen = read_grid(grid, merged, name, sheet_name, year=year, as_of=as_of, rules=rules)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("reading sheet %r of %r failed [ref %s]", sheet_name, name, ref)
            problems.append(Problem(name, sheet_name, None, None,
                                    f"读取这张工作表时程序出错，请把文件和参考编号 {ref} 发给管理员"))
            continue
        if table is None:
            unrecognised.append((sheet_name, seen))
            continue
        tables.extend(_tables_of(table))
        problems.extend(sheet_problems)
    if not tables and not any(p.level == ERROR for p in problems):
        problems.append(Problem(name, None, None, None, _nothing_recognised(unrecognised)))
    skipped = [s for s, _ in unrecognised if s is not None] if tables else []
    return FileResult(name, tables, problems, skipped)


def _tables_of(table: ParsedTable) -> list[ParsedTable]:
    """The tables one sheet yields: a monitoring export with indicator rows splits into monitoring and
    indicators (data_loaders.indicators); a form may carry companion tables (its project, its indicators)."""
    companions = table.meta.pop("companions", [])
    return [*I.split_monitoring(table), *companions]


def _nothing_recognised(sheets: list[tuple[str | None, list[str]]]) -> str:
    seen = [h for _, hs in sheets for h in hs]
    if not seen:
        return "未识别出任何数据表：文件里没有内容（空表）。请使用模板（python -m dashboard template）或包含表头的 Excel/CSV 文件。"
    shown = "、".join(dict.fromkeys(seen[:15]))
    hints = []
    for h in dict.fromkeys(seen):
        near = H.nearest_known(h, 1)
        if near and len(hints) < 6:
            hints.append(f"“{h}”→“{near[0]}”")
    msg = f"未识别出任何数据表：找到的表头是 {shown}"
    msg += f"；最接近的已知列：{'，'.join(hints)}" if hints else "；其中没有一个是已知的列名"
    return msg + "。支持的表：部门单位、项目、绩效监控、绩效评价、问题整改（列名见 docs/data-formats.md）。"


# --- opening files ---------------------------------------------------------------------------

Grid = list[list[Any]]


def _open(data: bytes, name: str, problems: list[Problem]) -> list[tuple[str | None, Grid, L.Merged | None]]:
    suffix = Path(name).suffix.lower()
    if not data.strip():
        raise _Unreadable("未识别出任何数据表：文件是空的。")
    if data.startswith((XLSX_MAGIC, XLS_MAGIC)):
        return _open_workbook(data, name)
    if suffix in (".xlsx", ".xlsm", ".xls", ".et"):
        text = _decode(data)
        if text is None or "\x00" in text[:2000]:
            raise _Unreadable(f"未识别出任何数据表：“{name}”不是有效的 Excel 文件（可能已损坏，或扩展名不对）。")
        problems.append(Problem(name, None, None, None,
                                f"文件扩展名是 {suffix}，但内容是文本（按 CSV 读取）", WARNING))
        return [(None, _csv_grid(text), None)]
    text = _decode(data)
    if text is None:
        raise _Unreadable(f"未识别出任何数据表：“{name}”既不是 Excel 文件，也不是 UTF-8 或 GBK 编码的 CSV 文本。")
    return [(None, _csv_grid(text), None)]


def _open_workbook(data: bytes, name: str) -> list[tuple[str | None, Grid, L.Merged | None]]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise _Unreadable(f"未识别出任何数据表：无法打开 Excel 文件“{name}”（文件已损坏或加密：{exc}）") from exc
    out = []
    for meta in book.sheets_metadata:
        if "WorkSheet" not in str(meta.typ):
            continue  # chart sheets hold no cells
        try:
            sheet = book.get_sheet_by_name(meta.name)
            grid = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges
        except Exception as exc:
            raise _Unreadable(f"无法读取工作表“{meta.name}”：{exc}") from exc
        out.append((meta.name, grid, merged))
    return out


def _decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), then GB18030 (a superset of GBK/GB2312); None if neither.

    Excel's "Unicode 文本" export is UTF-16 with a BOM, recognised by the BOM.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv_grid(text: str) -> Grid:
    sample = text[:4096]
    first = sample.splitlines()[0] if sample else ""
    delimiter = max((",", "\t", ";", "，"), key=first.count) if first else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


# --- one sheet -------------------------------------------------------------------------------

def read_grid(
    grid: Grid,
    merged: L.Merged | None,
    file: str,
    sheet: str | None,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
    rules: Rules,
) -> tuple[ParsedTable | None, list[Problem], list[str]]:
    """One sheet (or CSV) → (table or None when unrecognised, problems, header texts seen)."""
    L.fill_merged(grid, merged)
    declarations = D.find_declarations(grid)  # 《项目支出绩效目标申报表》: a project and its indicators
    if declarations:
        table, problems = D.read_declarations(declarations, file, sheet, year)
        return table, problems, []
    forms = F.find_forms(grid)
    if forms:
        table, problems = F.read_forms(forms, file, sheet, year, rules)
        return table, problems, []
    layout = L.find_layout(grid, merged)
    if layout is None:
        return None, [], _headers_seen(grid)
    found = {f for fs in layout.fields for f in fs}
    kind = H.kind_from_fields(found)
    if kind is None:
        return None, [], [t for t in layout.labels if t]
    table, problems = SheetReader(grid, layout, kind, file, sheet, year, as_of, rules, merged).read()
    return table, problems, []


def _headers_seen(grid: Grid) -> list[str]:
    """The most header-like row's texts, for the "nothing recognised" message."""
    best: list[str] = []
    for row in grid[: L.HEADER_SEARCH_ROWS]:
        texts = [L.cell_text(v) for v in row if isinstance(v, str) and L.cell_text(v)]
        if len(texts) > len(best):
            best = texts
    return best
