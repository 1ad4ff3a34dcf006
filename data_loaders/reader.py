"""Reading one spreadsheet or CSV file: bytes → sheets (grids) → one table per recognised sheet, plus every problem found.

Contract (the importer codes against it; fields may be added, never renamed):
    read_file(source, filename=None, *, year=None, as_of=None, rules=None, evaluation_kind=None, unit=None,
              department=None) -> FileResult
    FileResult(file, tables: list[ParsedTable], problems: list[Problem], skipped_sheets, skip_reasons)
        .errors .warnings .ok
    ParsedTable(file, sheet, kind, frame, mapping, columns, meta) .records() .label(field)
This module opens files and dispatches each sheet: hidden sheets and the lists that feed drop-downs are
skipped (with the reason, as a warning); a form (forms.FORM_TYPES: the target declaration form read by
declaration.py, the self-evaluation forms by forms.py) goes to its reader or is named by its title when
not supported yet; a list, once layout.py has found the header, goes to sheet.py (column mapping,
parsing, year/as-of, checks).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import html
import io
import logging
import math
import os
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import python_calamine

from dashboard.core.settings import Limits, Rules
from data_loaders import error_cells as E
from data_loaders import forms as F
from data_loaders import headers as H
from data_loaders import indicators as I
from data_loaders import layout as L
from data_loaders import validate
from data_loaders.limits import TooLarge, size_message
from data_loaders.limits import check as check_limits
from data_loaders.problems import ERROR, TAG_SKIPPED_SHEET, WARNING, Problem
from data_loaders.sheet import SheetReader, file_units, form_department, form_units
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
    evaluation_kind: str | None = None,
    unit: str | None = None,
    department: str | None = None,
) -> FileResult:
    """Read a .xlsx/.xls/.csv file (bytes, a path or a file object) into canonical tables and problems.

    `year` / `as_of` / `evaluation_kind` (评价类型) are fallbacks (command line, upload page) used only
    where neither a column nor the title says it; `unit` (元 / 万元 / 亿元, --unit) is the money unit of the whole
    file, set explicitly: it wins over notes and headers, and the 金额单位 rule is not applied; `department`
    (--department) is the 主管部门 of rows that name none. `rules` gives the grade bands of the score/grade check and `limits` what
    the file may hold, checked before any cell is parsed: both passed down from the entry point's settings
    (default: the documented defaults, `Rules()` and `Limits()`). Never raises for bad input: everything wrong is a Problem.
    Numeric columns (money in 万元, percent as fraction, score) are float64 with NaN for empty;
    the others are object columns holding str / datetime.date / bool / int or None.
    `ParsedTable.records()` gives plain dicts with None for empty.
    """
    # The cyclic garbage collector would walk the 100k row lists again and again while the
    # parsers allocate; nothing built here forms cycles, so it is paused for the read (about a
    # third of the parsing time of a 100k-row sheet) and restored after.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_file(source, filename, year=year, as_of=as_of, rules=rules if rules is not None else Rules(),
                          limits=limits if limits is not None else Limits(), evaluation_kind=evaluation_kind,
                          unit=unit, department=department)
    finally:
        if was_enabled:
            gc.enable()


def _read_file(source, filename, *, year, as_of, rules: Rules, limits: Limits, evaluation_kind=None,
               unit=None, department=None) -> FileResult:
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
    skipped: dict[str, str] = {}  # sheet → why it was not read (hidden, a drop-down list, a form not supported)
    notices: list[Problem] = []  # one warning per such sheet
    forms: list[Problem] = []  # the sentences naming forms not supported yet
    for sheet_name, grid, merged, why in sheets:
        if why:
            skipped[sheet_name] = why
            notices.append(Problem(name, sheet_name, None, None, f"已跳过工作表“{sheet_name}”：{why}", WARNING,
                                   TAG_SKIPPED_SHEET))
            continue
        try:
            table, sheet_problems, seen = read_grid(grid, merged, name, sheet_name, year=year, as_of=as_of, rules=rules,
                                                    evaluation_kind=evaluation_kind, unit=unit,
                                                    department=department)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("reading sheet %r of %r failed [ref %s]", sheet_name, name, ref)
            problems.append(Problem(name, sheet_name, None, None,
                                    f"读取这张工作表时程序出错，请把文件和参考编号 {ref} 发给管理员"))
            continue
        if table is None:
            if sheet_problems:  # a form not supported yet: named by its title
                forms.extend(sheet_problems)
                if sheet_name is not None:
                    skipped[sheet_name] = sheet_problems[0].message
            else:
                unrecognised.append((sheet_name, seen))
            continue
        tables.extend(_tables_of(table))
        problems.extend(sheet_problems)
    problems.extend(file_units(tables))  # sheets without evidence follow the file's other sheets (金额单位)
    problems.extend(year_conflict(name, tables))
    if tables:
        problems.extend(notices)
        problems.extend(forms)
        for sheet_name, _seen in unrecognised:
            if sheet_name is not None:
                skipped.setdefault(sheet_name, "没有识别出表头（如说明页），不是数据表")
    elif not any(p.level == ERROR for p in problems):
        if forms:
            problems.extend(Problem(p.file, p.sheet, p.row, p.column, p.message, ERROR, p.tag) for p in forms)
        elif skipped and not any(seen for _s, seen in unrecognised):
            message = "未识别出任何数据表：" + "；".join(f"工作表“{s}”{why}" for s, why in skipped.items())
            problems.append(Problem(name, None, None, None, message))
        else:
            message = _nothing_recognised(unrecognised)
            if skipped:
                message += "（另有已跳过的工作表：" + "；".join(f"“{s}”{why}" for s, why in skipped.items()) + "）"
            problems.append(Problem(name, None, None, None, message))
    skipped_names = [s for s in skipped if s is not None] if tables else []
    return FileResult(name, tables, problems, skipped_names, skipped if tables else {})


def _year_source(table: ParsedTable, year: int) -> str:
    if "year" in table.mapping.values():
        return "“年度”列"
    notes = [*(table.meta.get("notes") or []), table.meta.get("title") or ""]
    return "标题" if L.year_from_notes([x for x in notes if x]) == year else "上传时填写的年度"


def year_conflict(name: str, tables: list[ParsedTable]) -> list[Problem]:
    """Sheets of one workbook giving different years (each sheet one year, from its title or its 年度 column):
    one warning naming the sheets, their years and where each came from, and under which year each sheet's rows
    are stored (their own); rows of other sheets that match projects by year are said not to meet them."""
    years: dict[str | None, tuple[int, str, set[str]]] = {}
    for t in tables:
        if "year" not in t.frame.columns:
            continue
        got = {int(y) for y in t.frame["year"].tolist() if y is not None and not (isinstance(y, float) and math.isnan(y))}
        if len(got) != 1:
            continue
        (year,) = got
        if t.sheet in years:
            known = years[t.sheet]
            if known[0] == year:
                known[2].add(t.kind)
            continue
        years[t.sheet] = (year, _year_source(t, year), {t.kind})
    if len({y for y, _s, _k in years.values()}) < 2:
        return []
    said = "，".join(f"工作表“{s}”为 {y} 年（{src}）" for s, (y, src, _k) in years.items())
    stored = "，".join(f"“{s}”的行记在 {y} 年" for s, (y, _src, _k) in years.items())
    message = f"同一工作簿里各工作表的年度不同：{said}。各表的行按自己的年度导入：{stored}"
    projects = [(s, y) for s, (y, _src, kinds) in years.items() if "projects" in kinds]
    others = [(s, y) for s, (y, _src, kinds) in years.items()
              if kinds & {"indicators", "monitoring", "evaluations"} and not kinds & {"projects"}]
    clash = [(s, y, ps, py) for s, y in others for ps, py in projects if y != py]
    if clash:
        s, y, ps, py = clash[0]
        message += (f"；这样会混在一起对不上：“{s}”的行只对应 {y} 年的项目，而“{ps}”的项目记在 {py} 年，"
                    f"同一个项目会成为两年的两个项目")
    message += "。请核对年度是否填错（可在上传页填写年度，命令行用 --year，或改正标题和“年度”列）"
    return [Problem(name, None, None, None, message, WARNING)]


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


Sheet = tuple[str | None, Grid, L.Merged | None, str | None]  # name, cells, merged ranges, why it is skipped


def _open(data: bytes, name: str, problems: list[Problem]) -> list[Sheet]:
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
        return [(None, _csv_grid(text), None, None)]
    text = _decode(data)
    if text is None:
        raise _Unreadable(f"未识别出任何数据表：“{name}”既不是 Excel 文件，也不是 UTF-8 或 GBK 编码的 CSV 文本。")
    return [(None, _csv_grid(text), None, None)]


def _open_workbook(data: bytes, name: str) -> list[Sheet]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise _Unreadable(f"未识别出任何数据表：无法打开 Excel 文件“{name}”（文件已损坏或加密：{exc}）") from exc
    worksheets = [meta for meta in book.sheets_metadata if "WorkSheet" in str(meta.typ)]  # chart sheets hold no cells
    lists = _list_sheets(data, [m.name for m in worksheets], book) if len(worksheets) > 1 else {}
    errors = E.xlsx_errors(data)
    out = []
    for meta in worksheets:
        visible = str(meta.visible)
        if "VeryHidden" in visible:
            out.append((meta.name, [], None, "这是深度隐藏的工作表（在 Excel 里看不到，通常是系统或模板用的），不导入"))
            continue
        if "Hidden" in visible:
            out.append((meta.name, [], None, ("这是隐藏的工作表（多为下拉列表的选项或辅助数据），不导入；"
                                             "如果它是要导入的数据，请在 Excel 中取消隐藏后重新上传")))
            continue
        if meta.name in lists:
            out.append((meta.name, [], None, (f"它是工作表“{lists[meta.name]}”中下拉列表（数据验证）的选项来源，"
                                             "不是数据表，不导入")))
            continue
        try:
            sheet = book.get_sheet_by_name(meta.name)
            grid = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges
        except Exception as exc:
            raise _Unreadable(f"无法读取工作表“{meta.name}”：{exc}") from exc
        E.mark(grid, errors.get(meta.name))  # Excel error values, which calamine reads as ""
        out.append((meta.name, grid, merged, None))
    return out


# --- the lists that feed drop-downs ------------------------------------------------------------------------

_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"|<sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_DEFINED = re.compile(rb'<definedName\b[^>]*?\bname="([^"]*)"[^>]*>([^<]*)</definedName>')
_VALIDATION = re.compile(rb"<(?:x14:)?dataValidation\b([^>]*)>(.*?)</(?:x14:)?dataValidation>", re.DOTALL)
_FORMULA = re.compile(rb"<(?:formula1|xm:f)>([^<]*)</(?:formula1|xm:f)>")
_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!'\s]+))!\$?([A-Z]{1,3})\$?\d*(?::\$?([A-Z]{1,3})\$?\d*)?$")
_CHUNK = 1 << 20


def _unxml(raw: bytes) -> str:
    """XML text to str: entities and character references (&#19979;) resolved."""
    return html.unescape(raw.decode("utf-8", "replace"))


def _letters(col: str) -> int:
    n = 0
    for ch in col:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _validation_part(zf: zipfile.ZipFile, member: str) -> bytes:
    """The part of a worksheet's XML after its cells (where the data validations are), read in chunks so that a
    large sheet is never held whole."""
    tail = b""
    found = False
    keep = b""
    with zf.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            if found:
                tail += chunk
                continue
            window = keep + chunk
            i = window.find(b"</sheetData>")
            if i < 0:
                i = window.find(b"<sheetData/>")  # a sheet without cells may still have drop-downs
            if i >= 0:
                found, tail = True, window[i:]
            else:
                keep = window[-16:]
    return tail if found else keep


def _list_sheets(data: bytes, names: list[str], book) -> dict[str, str]:
    """Sheets whose every filled column is the source of a drop-down list (a data validation of type list) on
    another sheet: {list sheet: the sheet whose drop-downs it feeds}. A sheet of which only some columns
    feed drop-downs (a 部门单位 list whose names are offered in the 项目 sheet) is data and is not listed.
    Only .xlsx parts are read (nothing for .xls); anything unreadable gives {}."""
    if not data.startswith(b"PK"):
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = set(zf.namelist())
            workbook = zf.read("xl/workbook.xml")
            rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in members else b""
            targets = {}
            for m in _REL.finditer(rels):
                rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                target = _unxml(target).lstrip("/")
                targets[_unxml(rid)] = target if target.startswith("xl/") else "xl/" + target
            parts = {}
            for m in _SHEET_ENTRY.finditer(workbook):
                sheet, rid = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(4), m.group(3))
                parts[_unxml(sheet)] = targets.get(_unxml(rid))
            defined = {_unxml(m.group(1)): _unxml(m.group(2)) for m in _DEFINED.finditer(workbook)}
            fed: dict[str, set[int]] = {}
            feeds: dict[str, str] = {}
            for sheet, member in parts.items():
                if not member or member not in members:
                    continue
                xml = _validation_part(zf, member)
                if b"dataValidation" not in xml:
                    continue
                for attrs, body in _VALIDATION.findall(xml):
                    if b'type="list"' not in attrs:
                        continue
                    for formula in _FORMULA.findall(body):
                        ref = _unxml(formula).strip()
                        ref = defined.get(ref.lstrip("="), ref)
                        m = _REF.match(ref.strip())
                        if not m:
                            continue
                        source = (m.group(1) or "").replace("''", "'") or m.group(2)
                        if source == sheet or source not in parts:
                            continue
                        first = _letters(m.group(3))
                        last = _letters(m.group(4)) if m.group(4) else first
                        fed.setdefault(source, set()).update(range(first, last + 1))
                        feeds.setdefault(source, sheet)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return {}
    return {s: feeds[s] for s in fed if s in names and _all_filled_columns_fed(book, s, fed[s])}


def _all_filled_columns_fed(book, sheet: str, columns: set[int]) -> bool:
    """Whether every column of `sheet` holding a value is among `columns`."""
    try:
        grid = book.get_sheet_by_name(sheet).to_python()
    except Exception:  # noqa: BLE001 - an unreadable list sheet is then read (and reported) as any sheet
        return False
    filled = {c for row in grid for c, v in enumerate(row) if v not in (None, "")}
    return bool(filled) and filled <= columns


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
    evaluation_kind: str | None = None,
    unit: str | None = None,
    department: str | None = None,
) -> tuple[ParsedTable | None, list[Problem], list[str]]:
    """One sheet (or CSV) → (table or None when unrecognised, problems, header texts seen).

    A form not supported yet gives (None, [the warning naming it by its title], [])."""
    L.fill_merged(grid, merged)
    known = F.identify(grid)
    if known is not None:
        form_type, title = known
        if form_type.read is None:
            return None, [_unsupported(file, sheet, title, form_type.name)], []
        got = form_type.read(grid, file, sheet, year, rules)
        if got is not None:
            table, problems = got
            form_department(table, department)
            return table, problems + form_units(table, grid, rules, unit), []
    layout = L.find_layout(grid, merged)
    kind = H.kind_from_fields({f for fs in layout.fields for f in fs}) if layout is not None else None
    if kind is None or kind == "indicators":  # a form's indicator block alone does not make an indicator list
        title = F.untitled_form(grid)
        if title:
            return None, [_unsupported(file, sheet, title, None)], []
    if kind is None:
        return None, [], _headers_seen(grid) if layout is None else [t for t in layout.labels if t]
    if (blank := validate.empty_template(grid, layout.data_start, layout.labels)) is not None:
        return None, [Problem(file, sheet, None, None, blank, WARNING, TAG_SKIPPED_SHEET)], []
    table, problems = SheetReader(grid, layout, kind, file, sheet, year, as_of, rules, merged,
                                  evaluation_kind=evaluation_kind, unit=unit, department=department).read()
    return table, problems, []


def _unsupported(file: str, sheet: str | None, title: str, name: str | None) -> Problem:
    return Problem(file, sheet, None, None, F.unsupported_message(title, sheet, name), WARNING, TAG_SKIPPED_SHEET)


def _headers_seen(grid: Grid) -> list[str]:
    """The most header-like row's texts, for the "nothing recognised" message."""
    best: list[str] = []
    for row in grid[: L.HEADER_SEARCH_ROWS]:
        texts = [L.cell_text(v) for v in row if isinstance(v, str) and L.cell_text(v)]
        if len(texts) > len(best):
            best = texts
    return best
