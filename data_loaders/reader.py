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
import io
import logging
import math
import os
import re
import threading
import uuid
from pathlib import Path
from typing import Any, BinaryIO

import python_calamine

from dashboard.core.settings import Limits, Rules
from data_loaders import error_cells as E
from data_loaders import forms as F
from data_loaders import headers as H
from data_loaders import indicators as I
from data_loaders import layout as L
from data_loaders import mapping as M
from data_loaders import validate
from data_loaders.aside import InspectionAside
from data_loaders.limits import MAX_CELL_CHARS, MAX_LINE_CHARS, Inspection, Refused, TooLarge, size_message
from data_loaders.limits import inspect as inspect_file
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
    layouts: tuple = (),
    parse_ahead: bool = False,
) -> FileResult:
    """Read a .xlsx/.xls/.csv file (bytes, a path or a file object) into canonical tables and problems.

    `year` / `as_of` / `evaluation_kind` (评价类型) are fallbacks (command line, upload page) used only
    where neither a column nor the title says it; `unit` (元 / 万元 / 亿元, --unit) is the money unit of the whole
    file, set explicitly: it wins over notes and headers, and the 金额单位 rule is not applied; `department`
    (--department) is the 主管部门 of rows that name none. `layouts` are the saved 版式 (mapping.SavedLayout)
    tried on every sheet first: a sheet whose header row is exactly a 版式's is read as the 版式 says. `rules` gives the grade bands of the score/grade check and `limits` what
    the file may hold, checked before any cell is parsed: both passed down from the entry point's settings
    (default: the documented defaults, `Rules()` and `Limits()`). Never raises for bad input: everything wrong is a Problem.
    `parse_ahead` (only in the isolated child, data_loaders.isolated, whose memory is capped and whose parent
    repeats the inspection when the child dies): calamine parses an .xlsx's sheets on a second thread while
    the inspection runs in a process of its own (data_loaders.aside) and the tables are built meanwhile; the
    inspection's verdict still decides (a refusal is the result; tables built without error cells or list
    sheets it found are built again with it), and a MemoryError ends the read (raised) so that the parent can
    say which limit the file broke.
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
                          unit=unit, department=department, layouts=tuple(layouts or ()), parse_ahead=parse_ahead)
    except MemoryError:
        if parse_ahead:
            raise
        name = _display_name(source, filename)
        return FileResult(name, [], [Problem(name, None, None, None, f"读取文件“{name}”需要的内存超过可用内存，已停止。"
                                                                    "请把文件拆成几个较小的文件后重试。")])
    except Exception as exc:  # noqa: BLE001 - a reader bug on odd input is one sentence, the traceback in the log
        return _crashed(source, filename, exc)
    except BaseException as exc:
        if not is_parser_panic(exc):
            raise
        return _crashed(source, filename, exc)
    finally:
        if was_enabled:
            gc.enable()


def is_parser_panic(exc: BaseException) -> bool:
    """The Rust parser's panic (pyo3's PanicException): a BaseException, so `except Exception` misses it; caught by
    name, never by a bare `except BaseException` that would swallow KeyboardInterrupt and SystemExit."""
    return type(exc).__name__ == "PanicException"


def _display_name(source, filename) -> str:
    if filename:
        return str(filename)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return Path(str(getattr(source, "name", "") or "上传文件")).name


def _crashed(source, filename, exc: BaseException) -> FileResult:
    name = _display_name(source, filename)
    ref = uuid.uuid4().hex[:8]
    log.error("reading %r failed [ref %s]", name, ref, exc_info=exc)
    return FileResult(name, [], [Problem(name, None, None, None,
                                         f"读取文件“{name}”时解析程序出错，文件可能已损坏或结构异常。请用 Excel 打开后另存为 .xlsx "
                                         f"再试；仍不行请把文件和参考编号 {ref} 发给管理员。")])


def _read_file(source, filename, *, year, as_of, rules: Rules, limits: Limits, evaluation_kind=None,
               unit=None, department=None, layouts=(), parse_ahead=False) -> FileResult:
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
    opts = {"year": year, "as_of": as_of, "rules": rules, "evaluation_kind": evaluation_kind, "unit": unit,
            "department": department, "layouts": layouts}
    aside = ahead = None
    if parse_ahead and data.startswith(XLSX_MAGIC) and len(data) <= limits.file_bytes():
        aside = InspectionAside.start(data, name, limits)  # forked before the parse's thread starts
        ahead = _Ahead(data)
    if aside is None:  # the plain order, or the inspection beside the parse on this process's main thread
        try:
            inspection = inspect_file(data, name, limits)
        except Refused as exc:
            return _refused(name, exc)
        return _read_sheets(data, name, limits, inspection, ahead, **opts)
    try:
        while not ahead.done() and not aside.ready(0.02):
            pass
        if not ahead.done():  # the verdict came first (a refusal comes at once): the sheets are read with it
            verdict = _verdict(aside, data, name, limits)
            if isinstance(verdict, Refused):
                return _refused(name, verdict)
            return _read_sheets(data, name, limits, verdict, ahead, **opts)
        # the parse came first: the tables are built as if the inspection had found nothing for the reader
        # while it finishes beside (data_loaders.aside), and kept when it did find nothing
        guess = _read_sheets(data, name, limits, Inspection(), ahead, **opts)
        verdict = _verdict(aside, data, name, limits)
    except BaseException:
        aside.cancel()
        raise
    if isinstance(verdict, Refused):
        return _refused(name, verdict)
    if _nothing_for_the_reader(verdict, ahead):
        return guess
    return _read_sheets(data, name, limits, verdict, None, **opts)  # calamine's grids again, unmarked


def _refused(name: str, exc: Refused) -> FileResult:
    return FileResult(name, [], [Problem(name, None, None, None, str(exc))])


def _verdict(aside: InspectionAside, data: bytes, name: str, limits: Limits) -> Inspection | Refused:
    verdict = aside.verdict()
    if verdict is None:  # the inspecting process failed: inspected here
        try:
            verdict = inspect_file(data, name, limits)
        except Refused as exc:
            verdict = exc
    return verdict


def _nothing_for_the_reader(inspection: Inspection, ahead: _Ahead) -> bool:
    """Whether the sheets read without the inspection are the sheets read with it: no Excel error cell to put
    back, and no sheet that the drop-downs' lists would have skipped (reader._open_workbook)."""
    if any(inspection.errors.values()):
        return False
    book = ahead.book
    if not inspection.validations or book is None:  # no workbook: no sheet was read either way
        return True
    return not _lists_of(inspection, _worksheets(book), book)


def _read_sheets(data: bytes, name: str, limits: Limits, inspection: Inspection, ahead: _Ahead | None, *,
                 year, as_of, rules: Rules, evaluation_kind, unit, department, layouts) -> FileResult:
    """The file's sheets, read into tables and problems once the inspection has passed it."""
    problems: list[Problem] = []
    try:
        sheets = _open(data, name, problems, limits, inspection, ahead)
    except (_Unreadable, Refused) as exc:
        return FileResult(name, [], problems + [Problem(name, None, None, None, str(exc))])
    tables: list[ParsedTable] = []
    unrecognised: list[tuple[str | None, list[str]]] = []
    skipped: dict[str, str] = {}  # sheet → why it was not read (hidden, a drop-down list, a form not supported)
    notices: list[Problem] = []  # one warning per such sheet
    samples: dict[str, list[list[str]]] = {}  # sheet → its first rows, where no header was found (the 版式 step)
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
                                                    department=department, layouts=layouts)
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
                if seen:
                    samples[sheet_name or name] = M.sample(grid)
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
    return FileResult(name, tables, problems, skipped_names, skipped if tables else {}, samples)


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


def _open(data: bytes, name: str, problems: list[Problem], limits: Limits | None = None,
          inspection: Inspection | None = None, ahead: _Ahead | None = None) -> list[Sheet]:
    suffix = Path(name).suffix.lower()
    limits = limits if limits is not None else Limits()
    if not data.strip():
        raise _Unreadable("未识别出任何数据表：文件是空的。")
    if data.startswith((XLSX_MAGIC, XLS_MAGIC)):
        try:
            return _open_workbook(data, name, inspection or Inspection(), ahead)
        except (_Unreadable, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the parser raises is one sentence naming the file
            raise _unreadable_workbook(name, exc) from None
        except BaseException as exc:
            if not is_parser_panic(exc):
                raise
            raise _unreadable_workbook(name, exc) from None
    if suffix in (".xlsx", ".xlsm", ".xls", ".et"):
        text = _decode(data)
        if text is None or "\x00" in text[:2000]:
            raise _Unreadable(f"未识别出任何数据表：“{name}”不是有效的 Excel 文件（可能已损坏，或扩展名不对）。")
        problems.append(Problem(name, None, None, None,
                                f"文件扩展名是 {suffix}，但内容是文本（按 CSV 读取）", WARNING))
        return [(None, _csv_grid(text, name, limits), None, None)]
    text = _decode(data)
    if text is None:
        raise _Unreadable(f"未识别出任何数据表：“{name}”既不是 Excel 文件，也不是 UTF-8 或 GBK 编码的 CSV 文本"
                          "（UTF-16 文本请带 BOM，或在 Excel 中另存为“CSV UTF-8”）。")
    if "\x00" in text:
        raise _Unreadable(f"未识别出任何数据表：“{name}”含有空字符（NUL），不是正常的 CSV 文本；"
                          "请在 Excel 中另存为“CSV UTF-8”后再试。")
    return [(None, _csv_grid(text, name, limits), None, None)]


def _unreadable_workbook(name: str, exc: BaseException) -> _Unreadable:
    ref = uuid.uuid4().hex[:8]
    log.warning("the parser refused %r [ref %s]: %s: %s", name, ref, exc.__class__.__name__, str(exc)[:500])
    detail = " ".join(str(exc).split())[:120]
    return _Unreadable(f"未识别出任何数据表：无法打开 Excel 文件“{name}”（文件已损坏、加密或结构异常：{detail}；参考编号 {ref}）。")


class _Ahead:
    """calamine's parse of every visible worksheet of an .xlsx, started on a daemon thread (read_file's
    `parse_ahead`); what it raised is kept and raised again where the sheet is used, as if parsed there."""

    def __init__(self, data: bytes) -> None:
        self.book = None
        self.failed: BaseException | None = None  # opening the workbook
        self.sheets: dict[str, tuple[list, list] | BaseException] = {}  # name → (grid, merged ranges) or raised
        self._done = threading.Event()
        threading.Thread(target=self._parse, args=(data,), name="calamine-ahead", daemon=True).start()

    def _parse(self, data: bytes) -> None:
        try:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            for meta in book.sheets_metadata:
                if "WorkSheet" in str(meta.typ) and "Hidden" not in str(meta.visible):
                    try:
                        sheet = book.get_sheet_by_name(meta.name)
                        self.sheets[meta.name] = (sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges)
                    except BaseException as exc:  # noqa: BLE001 - raised again by sheet()
                        self.sheets[meta.name] = exc
            self.book = book
        except BaseException as exc:  # noqa: BLE001 - raised again by open()
            self.failed = exc
        finally:
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def open(self):
        self._done.wait()
        if self.failed is not None:
            raise self.failed
        return self.book

    def sheet(self, name: str) -> tuple[list, list]:
        got = self.sheets[name]
        if isinstance(got, BaseException):
            raise got
        return got


def _worksheets(book) -> list:
    """The workbook's worksheets (chart sheets hold no cells), in order."""
    return [meta for meta in book.sheets_metadata if "WorkSheet" in str(meta.typ)]


def _lists_of(inspection: Inspection, worksheets: list, book) -> dict[str, str]:
    """The sheets skipped as the lists feeding drop-downs (_list_sheets); a workbook of one sheet has none."""
    return _list_sheets(inspection, [m.name for m in worksheets], book) if len(worksheets) > 1 else {}


def _open_workbook(data: bytes, name: str, inspection: Inspection, ahead: _Ahead | None = None) -> list[Sheet]:
    try:
        book = ahead.open() if ahead is not None else python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise _Unreadable(f"未识别出任何数据表：无法打开 Excel 文件“{name}”（文件已损坏或加密：{exc}）") from exc
    worksheets = _worksheets(book)
    lists = _lists_of(inspection, worksheets, book)
    errors = inspection.errors  # Excel error values, found by the inspection's parse of each sheet
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
            if ahead is not None:
                grid, merged = ahead.sheet(meta.name)
            else:
                sheet = book.get_sheet_by_name(meta.name)
                grid = sheet.to_python(skip_empty_area=False)
                merged = sheet.merged_cell_ranges
            if merged:
                merged = list(dict.fromkeys(merged))  # identical ranges repeated are filled once
        except MemoryError:
            raise  # read_file's own sentence (or, in the isolated child, the limit the file broke)
        except Exception as exc:
            raise _Unreadable(f"无法读取工作表“{meta.name}”：{exc}") from exc
        E.mark(grid, errors.get(meta.name))  # Excel error values, which calamine reads as ""
        out.append((meta.name, grid, merged, None))
    return out


# --- the lists that feed drop-downs ------------------------------------------------------------------------

_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!'\s]+))!\$?([A-Z]{1,3})\$?\d*(?::\$?([A-Z]{1,3})\$?\d*)?$")
_MAX_FORMULA = 500  # a list source is a short reference; longer text is not one (and is never matched)


def _letters(col: str) -> int:
    n = 0
    for ch in col:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _list_sheets(inspection: Inspection, names: list[str], book) -> dict[str, str]:
    """Sheets whose every filled column is the source of a drop-down list (a data validation of type list) on
    another sheet: {list sheet: the sheet whose drop-downs it feeds}. A sheet of which only some columns
    feed drop-downs (a 部门单位 list whose names are offered in the 项目 sheet) is data and is not listed.
    The validations and defined names come from the inspection's XML parse (limits.inspect): nothing for .xls."""
    parts = set(inspection.parts) | set(names)
    defined = inspection.defined
    fed: dict[str, set[int]] = {}
    feeds: dict[str, str] = {}
    for sheet, formulas in inspection.validations.items():
        for formula in formulas[:1000]:
            ref = formula.strip()
            ref = defined.get(ref.lstrip("="), ref)
            if len(ref) > _MAX_FORMULA:
                continue
            m = _REF.match(ref.strip())
            if not m:
                continue
            source = (m.group(1) or "").replace("''", "'") or m.group(2)
            if source == sheet or source not in parts:
                continue
            first = _letters(m.group(3))
            last = _letters(m.group(4)) if m.group(4) else first
            fed.setdefault(source, set()).update(range(first, min(last, first + 16_384) + 1))
            feeds.setdefault(source, sheet)
    return {s: feeds[s] for s in fed if s in names and _all_filled_columns_fed(book, s, fed[s])}


def _all_filled_columns_fed(book, sheet: str, columns: set[int]) -> bool:
    """Whether every column of `sheet` holding a value is among `columns`."""
    try:
        grid = book.get_sheet_by_name(sheet).to_python()
    except Exception:  # noqa: BLE001 - an unreadable list sheet is then read (and reported) as any sheet
        return False
    except BaseException as exc:
        if not is_parser_panic(exc):
            raise
        return False
    filled = {c for row in grid for c, v in enumerate(row) if v not in (None, "")}
    return bool(filled) and filled <= columns


def _decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), then GB18030 (a superset of GBK/GB2312); None if neither.

    Excel's "Unicode 文本" export is UTF-16 with a BOM, recognised by the BOM; UTF-16 without a BOM is recognised
    by its zero bytes (every other byte of the ASCII characters: commas, digits, line ends).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    head = data[:4096]
    if b"\x00" in head and len(data) % 2 == 0:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        enough = max(4, len(head) // 20)  # commas, digits and line ends: a zero byte each, on one side only
        encoding = ("utf-16-le" if odd >= enough and even * 8 <= odd else
                    "utf-16-be" if even >= enough and odd * 8 <= even else None)
        if encoding is not None:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                text = None
            if text is not None and "\x00" not in text:
                return text
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


class _Lines:
    """The lines of `text` with their endings (CRLF, LF or CR alone), one at a time, for the csv module: what
    io.StringIO(text, newline="") gives it, without its copy of the whole text at four bytes a character.

    It also bounds one row before the csv module splits it: `row_chars` counts the characters handed over since
    the caller's last `row_done()`, however many lines the row's quoted fields span, and a row past one line's
    limit (MAX_LINE_CHARS) is refused (TooLarge) before its line is copied out of the text or split into fields.
    Checked only after the split, a 49 MB line of commas would first be a list of 49 million fields (600 MB and
    more). `line` counts the lines handed over, as the csv reader's line_num does."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self.pos = self.line = self.row_chars = 0
        self.row_start = 1  # the first line of the row being read
        self._lf, self._cr = text.find("\n"), text.find("\r")

    def __iter__(self):
        return self

    def row_done(self) -> None:
        """The csv module has handed back a row: the next one counts afresh."""
        self.row_chars, self.row_start = 0, self.line + 1

    def __next__(self) -> str:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise StopIteration
        if 0 <= self._lf < pos:
            self._lf = text.find("\n", pos)
        if 0 <= self._cr < pos:
            self._cr = text.find("\r", pos)
        lf, cr = self._lf, self._cr
        if lf < 0 and cr < 0:
            stop = end = len(text)
        else:
            stop = lf if cr < 0 or 0 <= lf < cr else cr
            end = stop + (2 if text.startswith("\r\n", stop) else 1)
        self.line += 1
        # the line's own ending does not count; the endings inside a quoted field (earlier lines of the row) do
        self.row_chars += end - pos
        if self.row_chars - (end - stop) > MAX_LINE_CHARS:
            where = (f"第 {self.line:,} 行" if self.row_start == self.line else
                     f"第 {self.row_start:,}–{self.line:,} 行（引号内的换行把它们连成了一行）")
            raise TooLarge(f"文件“{self.name}”{where}超过一行 {MAX_LINE_CHARS:,} 个字符的上限。"
                           "请把文件拆成几个较小的文件，或改正这一行后重试。")
        self.pos = end
        return text[pos:end]


def _csv_grid(text: str, name: str = "上传文件", limits: Limits | None = None) -> Grid:
    """Split CSV text into rows, bounded while splitting: the characters of one row are bounded before the csv
    module splits them (_Lines), then the rows, the width, the cells (rows × width) and the length of one cell
    are checked row by row, so a hostile text is refused (TooLarge, naming the line) before its grid is built.
    Any line ending (CRLF, LF, CR alone) ends a row."""
    limits = limits if limits is not None else Limits()
    sample = text[:4096]
    first = sample.splitlines()[0] if sample else ""
    delimiter = max((",", "\t", ";", "，"), key=first.count) if first else ","
    rows: list[list[str]] = []
    width = 0
    if csv.field_size_limit() <= MAX_LINE_CHARS:  # the cell and line limits below are the bound, with a sentence
        csv.field_size_limit(MAX_LINE_CHARS + 1)
    source = _Lines(text, name)  # bounds each row's characters before the csv module splits them
    lines = csv.reader(source, delimiter=delimiter)
    split = "请把文件拆成几个较小的文件，或改正这一行后重试。"
    try:
        for row in lines:
            source.row_done()
            if len(row) > width:
                width = len(row)
                if width > limits.max_columns:
                    raise TooLarge(f"文件“{name}”第 {lines.line_num:,} 行有 {width:,} 列，超过 {limits.max_columns:,} 列的上限。"
                                   + split)
            lengths = list(map(len, row))
            longest = max(lengths, default=0)
            if longest > MAX_CELL_CHARS:
                column = lengths.index(longest)
                header = rows[0][column].strip() if rows and column < len(rows[0]) else ""
                label = f"第 {column + 1} 列" + (f"（{header[:40]}）" if header else "")
                raise TooLarge(f"文件“{name}”第 {lines.line_num:,} 行{label}的单元格有 {longest:,} 个字符，超过一个单元格 "
                               f"{MAX_CELL_CHARS:,} 个字符的上限（Excel 也不允许更长）；请改短后重试。")
            if sum(lengths) > MAX_LINE_CHARS:
                raise TooLarge(f"文件“{name}”第 {lines.line_num:,} 行有 {sum(lengths):,} 个字符，超过一行 "
                               f"{MAX_LINE_CHARS:,} 个字符的上限。" + split)
            rows.append(row)
            if len(rows) > limits.max_rows:
                raise TooLarge(f"文件“{name}”超过单张表 {limits.max_rows:,} 行的上限。" + split)
            if len(rows) * width > limits.max_cells:
                raise TooLarge(f"文件“{name}”到第 {lines.line_num:,} 行已有 {len(rows):,} 行 × {width:,} 列，超过 "
                               f"{limits.max_cells:,} 个单元格的上限。" + split)
    except csv.Error as exc:
        reason = str(exc)
        if "field larger than field limit" in reason:
            what = f"有一个单元格超过 {csv.field_size_limit():,} 个字符（一个单元格最多 {MAX_CELL_CHARS:,} 个字符）"
        elif "NUL" in reason:
            what = "含有空字符（NUL）"
        else:
            what = f"格式错误（{reason}）"
        raise _Unreadable(f"未识别出任何数据表：文件“{name}”第 {max(lines.line_num, 1):,} 行附近{what}，请改正后重试。") from None
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
    layouts: tuple = (),
) -> tuple[ParsedTable | None, list[Problem], list[str]]:
    """One sheet (or CSV) → (table or None when unrecognised, problems, header texts seen).

    A form not supported yet gives (None, [the warning naming it by its title], []). A saved 版式 whose header
    row the sheet carries (mapping.match) decides before the reader's own recognition."""
    L.fill_merged(grid, merged)
    if (saved := M.match(grid, layouts)) is not None:
        layout, chosen = saved
        table, problems = SheetReader(grid, layout, chosen.kind, file, sheet, year, as_of, rules, merged,
                                      evaluation_kind=evaluation_kind, unit=unit, department=department).read()
        table.meta["saved_layout"] = chosen.name
        return table, problems, []
    known = F.identify(grid)
    if known is not None:
        form_type, title = known
        if form_type.read is None:
            return None, [_unsupported(file, sheet, title, form_type.name)], []
        got = (form_type.read(grid, file, sheet, year, rules, as_of) if form_type.takes_as_of
               else form_type.read(grid, file, sheet, year, rules))
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
