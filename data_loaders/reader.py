"""Reading one spreadsheet or CSV file into typed canonical tables plus every problem found.

Contract (the importer codes against it; fields may be added, never renamed):
    read_file(source, filename=None, *, year=None, as_of=None) -> FileResult
    FileResult(file, tables: list[ParsedTable], problems: list[Problem], skipped_sheets) .errors .warnings .ok
    ParsedTable(file, sheet, kind, frame, mapping, columns, meta) .records() .label(field)
Layout detection lives in layout.py, header words in headers.py, cell parsing in cells.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import python_calamine

from dashboard.rules import grade_for_score
from data_loaders import cells as C
from data_loaders import headers as H
from data_loaders import layout as L
from data_loaders import schema
from data_loaders.problems import ERROR, WARNING, Problem, ProblemList, column_label


@dataclass
class ParsedTable:
    file: str
    sheet: str | None
    kind: str  # a schema.TABLES key: units | projects | monitoring | evaluations | findings
    # one row per data row; columns = canonical field names present or derived, values parsed
    # (float 万元, fraction for percent, datetime.date, bool, str, None), plus "_row" = Excel row
    frame: pd.DataFrame
    mapping: dict[str, str] = field(default_factory=dict)  # source header text -> canonical field
    columns: dict[str, str] = field(default_factory=dict)  # canonical field -> "得分（D列）"
    # {"year": int|None, "as_of": date|None, "unit": "万元"|"元", "title": str|None, "header_rows": [...]}
    meta: dict = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts with None (never NaN) for empty cells, "_row" included."""
        frame = self.frame.astype(object)
        return frame.where(frame.notna(), None).to_dict("records")

    def label(self, field_name: str) -> str:
        """How to name a field's column in a message: "得分（D列）", else the canonical header."""
        return self.columns.get(field_name) or schema.TABLES[self.kind].field(field_name).label


@dataclass
class FileResult(ProblemList):
    file: str
    tables: list[ParsedTable]
    problems: list[Problem]  # errors and warnings
    skipped_sheets: list[str] = field(default_factory=list)  # sheets not recognised (e.g. 说明), skipped

    @property
    def ok(self) -> bool:
        return not self.errors


MONEY_SCALE = {"万元": 1.0, "元": 0.0001, "亿元": 10000.0}
NUMERIC = {schema.MONEY, schema.SIGNED_MONEY, schema.PERCENT, schema.SCORE}
XLSX_MAGIC, XLS_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


class _Unreadable(Exception):
    """The file cannot be opened at all (the message is for the user)."""


def read_file(
    source: bytes | str | os.PathLike | BinaryIO,
    filename: str | None = None,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
) -> FileResult:
    """Read a .xlsx/.xls/.csv file (bytes, a path or a file object) into canonical tables and problems.

    `year` / `as_of` are fallbacks (command line, upload page) used only where neither a column
    nor the title says it. Never raises for bad input: everything wrong is a Problem.
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
        return _read_file(source, filename, year=year, as_of=as_of)
    finally:
        if was_enabled:
            gc.enable()


def _read_file(source, filename, *, year, as_of) -> FileResult:
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
            data = path.read_bytes()
        except OSError as exc:
            return FileResult(name, [], [Problem(name, None, None, None, f"无法读取文件：{exc.strerror or exc}")])
    problems: list[Problem] = []
    try:
        sheets = _open(data, name, problems)
    except _Unreadable as exc:
        return FileResult(name, [], problems + [Problem(name, None, None, None, str(exc))])
    tables: list[ParsedTable] = []
    unrecognised: list[tuple[str | None, list[str]]] = []
    for sheet_name, grid, merged in sheets:
        try:
            table, sheet_problems, seen = read_grid(grid, merged, name, sheet_name, year=year, as_of=as_of)
        except Exception as exc:  # noqa: BLE001 - a reader bug must not crash the upload page
            problems.append(Problem(name, sheet_name, None, None,
                                    f"读取这张工作表时程序出错（{type(exc).__name__}: {exc}），请把文件发给管理员"))
            continue
        if table is None:
            unrecognised.append((sheet_name, seen))
            continue
        tables.append(table)
        problems.extend(sheet_problems)
    if not tables and not any(p.level == ERROR for p in problems):
        problems.append(Problem(name, None, None, None, _nothing_recognised(unrecognised)))
    skipped = [s for s, _ in unrecognised if s is not None] if tables else []
    return FileResult(name, tables, problems, skipped)


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
) -> tuple[ParsedTable | None, list[Problem], list[str]]:
    """One sheet (or CSV) → (table or None when unrecognised, problems, header texts seen)."""
    L.fill_merged(grid, merged)
    forms = L.find_forms(grid)
    if forms:
        table, problems = _read_forms(forms, file, sheet, year)
        return table, problems, []
    layout = L.find_layout(grid, merged)
    if layout is None:
        return None, [], _headers_seen(grid)
    found = {f for fs in layout.fields for f in fs}
    kind = H.kind_from_fields(found)
    if kind is None:
        return None, [], [t for t in layout.labels if t]
    reader = _SheetReader(grid, layout, kind, file, sheet, year, as_of)
    reader.merged = merged
    table, problems = reader.read()
    return table, problems, []


def _read_forms(forms: list[L.Form], file: str, sheet: str | None, year: int | None) -> tuple[ParsedTable, list[Problem]]:
    """Self-evaluation forms (one project, or one department, per form) → one evaluation row each.

    Only what the evaluation list needs is read: name, 主管部门, 实施单位, 年度资金总额 (全年预算数;
    the sum of the rows under it when the total is left 0, as some units do), 总分 and 等级.
    """
    problems: list[Problem] = []
    records = []
    columns: dict[str, str] = {}
    grade_parse = C.enum_parser("grade", schema.EVALUATIONS.field("grade").enum)

    def where(f: L.FormField, label: str, name: str) -> str:
        text = column_label(label, f.col)
        columns.setdefault(name, text)
        return text

    for form in forms:
        row = form.start + 1
        rec: dict[str, Any] = {"year": form.year or year, "kind": "单位自评", "object_type": form.object_type,
                               "_row": row}
        if rec["year"] is None:
            problems.append(Problem(file, sheet, row, None, "自评表的标题里没有年度（如“（2022年度）”）。"
                                    "请在上传页填写年度（命令行用 --year）"))
        fields = form.fields
        name = C.clean_text(fields["name"].value)
        code, name = C.split_code_name(name)
        if form.object_type == "项目支出":
            rec["project_name"], rec["project_code"] = name, code
        else:
            rec["department"], rec["department_code"] = name, code
        for key, code_key in (("department", "department_code"), ("unit", "unit_code")):
            if key in fields:
                c, n = C.split_code_name(C.clean_text(fields[key].value))
                rec[key], rec[code_key] = n, c
        if not rec.get("department") and not rec.get("unit"):
            problems.append(Problem(file, sheet, row, None, "自评表没有填写“主管部门”或“实施单位”"))
        if "fund_total" in fields:
            f = fields["fund_total"]
            amount, error = C.parse_money(f.value)
            if error:
                problems.append(Problem(file, sheet, f.row + 1, where(f, "年度资金总额", "fund_amount"), error))
            if not amount:
                parts = [C.parse_money(p.value)[0] for p in fields["fund_parts"].value]
                amount = sum(p for p in parts if p) or amount
            rec["fund_amount"] = amount
        if "score" in fields:
            f = fields["score"]
            score, error = C.parse_score(f.value)
            if error:
                problems.append(Problem(file, sheet, f.row + 1, where(f, "总分", "score"), error))
            rec["score"] = score
        if "grade" in fields:
            f = fields["grade"]
            grade, error = grade_parse(f.value)
            if error:
                problems.append(Problem(file, sheet, f.row + 1, where(f, "等级", "grade"), error))
            rec["grade"] = grade
        expected = grade_for_score(rec.get("score"))
        if rec.get("grade") and expected and rec["grade"] != expected:
            f = fields["grade"]
            problems.append(Problem(file, sheet, f.row + 1, where(f, "等级", "grade"),
                                    f"等级“{rec['grade']}”与得分 {_num(rec['score'])} 不符（按得分应为“{expected}”）"))
        elif not rec.get("grade"):
            rec["grade"] = expected
        if "main_problems" in fields:
            rec["main_problems"] = C.clean_long_text(fields["main_problems"].value)
        records.append(rec)
    order = [f.name for f in schema.EVALUATIONS.fields] + ["department_code", "unit_code", "_row"]
    present = [k for k in order if any(k in r for r in records)]
    data = {}
    for k in present:
        items = [r.get(k) for r in records]
        if k in ("fund_amount", "score"):
            data[k] = pd.Series([np.nan if v is None else v for v in items], dtype=float)
        elif k == "_row":
            data[k] = pd.Series(items, dtype=np.int64)
        else:
            data[k] = pd.Series(items, dtype=object)
    first = forms[0]
    meta = {"year": first.year or year, "as_of": None, "unit": "万元", "title": first.title,
            "header_rows": [], "layout": "form", "forms": len(forms), "evaluation_kind": "单位自评"}
    table = ParsedTable(file, sheet, "evaluations", pd.DataFrame(data), {}, columns, meta)
    return table, problems


def _headers_seen(grid: Grid) -> list[str]:
    """The most header-like row's texts, for the "nothing recognised" message."""
    best: list[str] = []
    for row in grid[: L.HEADER_SEARCH_ROWS]:
        texts = [L._text(v) for v in row if isinstance(v, str) and L._text(v)]
        if len(texts) > len(best):
            best = texts
    return best


@dataclass
class _Column:
    """One column's cells plus what the skip checks and parsers need to know about them once."""

    values: list
    kinds: set
    distinct: set | None = None  # only for columns holding text
    texts: list | None = None  # the distinct strings
    joined: str = ""  # the distinct strings joined by NUL, for fast substring / NFKC checks

    @classmethod
    def of(cls, values: list) -> _Column:
        if values and values[0].__class__ is str:
            # a text column: its distinct values are needed anyway, and their types are the
            # column's types, except a bool hiding behind an equal 1.0 / 0.0 in the set
            distinct = set(values)
            kinds = set(map(type, distinct))
            if (1 in distinct or 0 in distinct) and bool not in kinds:
                kinds = set(map(type, values))
        else:
            kinds = set(map(type, values))
            distinct = set(values) if str in kinds else None
        col = cls(values, kinds)
        if distinct is not None:
            col.distinct = distinct
            col.texts = list(col.distinct) if kinds == {str} else [v for v in col.distinct if v.__class__ is str]
            col.joined = "\x00".join(col.texts)
        return col


class _SheetReader:
    def __init__(self, grid, layout: L.Layout, kind, file, sheet, year, as_of):
        self.grid, self.layout, self.kind = grid, layout, kind
        self.file, self.sheet = file, sheet
        self.spec = schema.TABLES[kind]
        self.arg_year, self.arg_as_of = year, as_of
        self.problems: list[Problem] = []
        self.header_row = layout.header_rows[-1] + 1  # Excel row of the (lower) header row
        self.merged: L.Merged | None = None

    def problem(self, row, column, message, level=ERROR):
        self.problems.append(Problem(self.file, self.sheet, row, column, message, level))

    # -- mapping --
    def map_columns(self) -> dict[str, int]:
        names = {f.name for f in self.spec.fields} | H.EXTRA_FIELDS[self.kind]
        by_field: dict[str, int] = {}
        self.mapping: dict[str, str] = {}
        self.columns: dict[str, str] = {}
        for c, cands in enumerate(self.layout.fields):
            name = next((f for f in cands if f in names), None)
            if name is None:
                continue
            label = self.layout.labels[c]
            if name in by_field:
                first = self.columns[name]
                self.problem(self.header_row, column_label(label, c),
                             f"这一列与“{first}”都表示“{self._label(name)}”，只读取前一列", WARNING)
                continue
            by_field[name] = c
            self.mapping[label] = name
            self.columns[name] = column_label(label, c)
        return by_field

    def _label(self, name: str) -> str:
        try:
            return self.spec.field(name).label
        except StopIteration:
            return {"department_code": "主管部门编码", "unit_code": "单位编码"}.get(name, name)

    def col_label(self, name: str) -> str:
        return self.columns.get(name) or self._label(name)

    def money_scale(self, c: int) -> tuple[float, str]:
        unit = (H.header_unit(self.layout.labels[c]) or H.header_unit(self.layout.parents[c])
                or self.layout.unit)
        return MONEY_SCALE[unit], unit

    # -- rows --
    def data_block(self) -> tuple[np.ndarray, list[_Column]]:
        """Grid indexes of the data rows left after skipping totals, sub-rows, notes and repeated
        headers, and each column of those rows with its types and distinct values."""
        start = self.layout.data_start
        rows = self.grid[start:]
        if rows and L.is_column_number_row(rows[0]):
            start += 1
            rows = rows[1:]
        width = len(self.layout.labels)
        if not rows:
            return np.zeros(0, dtype=np.int64), [_Column.of([]) for _ in range(width)]
        block = np.empty((len(rows), width), dtype=object)
        try:
            block[:, :] = rows  # one C-level copy; columns are then cheap .tolist() slices
        except ValueError:  # ragged rows (calamine and the CSV reader give rectangular grids)
            block[:, :] = [list(r[:width]) + [""] * (width - len(r)) for r in rows]
        index = np.arange(start, start + len(rows))
        columns = [_Column.of(block[:, c].tolist()) for c in range(width)]
        skip = np.zeros(len(rows), dtype=bool)
        self._mark_section_titles(start, block, skip)
        for c, col in enumerate(columns):
            if col.texts:
                self._mark_skipped(c, col, columns, skip)
        if skip.any():
            keep = np.flatnonzero(~skip)
            index = index[keep]
            # the distinct values keep those of the skipped rows: a superset is harmless to the
            # parsers and saves profiling every column twice
            columns = [_Column(block[keep, c].tolist(), col.kinds, col.distinct, col.texts, col.joined)
                       for c, col in enumerate(columns)]
        return index, columns

    def _mark_section_titles(self, start: int, block: np.ndarray, skip: np.ndarray) -> None:
        """Group titles inside a list ("一、一般公共预算项目") merged across the row from its first
        column: the whole row is that one title, so it is not a data row."""
        width = block.shape[1]
        for (r0, c0), (r1, c1) in self.merged or ():
            i = r0 - start
            if r0 != r1 or not 0 <= i < len(block) or c0 != 0 or min(c1, width - 1) + 1 < max(3, (width + 1) // 2):
                continue
            rest = block[i, min(c1, width - 1) + 1:]
            if all(L.is_blank_text(v) for v in rest.tolist()):
                skip[i] = True

    def _mark_skipped(self, c: int, col: _Column, columns: list[_Column], skip: np.ndarray) -> None:
        """Totals (合计/总计/小计), 其中 sub-rows, footnotes, repeated header rows in column c.

        A total may sit in any short text cell (DOMAIN.md), except in long-text columns where a
        sentence may end in 合计; 其中 and footnotes count only as the row's first filled cell, so
        a 偏差原因 that starts with "其中" does not drop its row.
        """
        joined = col.joined
        # plain substring tests first: in a clean 100k-row column none hits and nothing else runs
        if any(w in joined for w in _SKIP_WORDS) and _SKIP_HINT.search(joined):
            reasons = {v: L.skip_reason(unicodedata.normalize("NFKC", v).strip()) for v in col.texts}
            reasons = {v: r for v, r in reasons.items() if r}
            fields = self.layout.fields[c] if c < len(self.layout.fields) else []
            long_text = bool(fields) and fields[0] in C.LONG_TEXT_FIELDS
            for i in np.flatnonzero(pd.Series(col.values, dtype=object).isin(list(reasons)).to_numpy()).tolist():
                reason = reasons[col.values[i]]
                first = all(L.is_blank_text(columns[cc].values[i]) for cc in range(c))
                if (reason == "total" and not long_text) or first:
                    skip[i] = True
        if any(w in joined for w in ("、", "(", "（")) and _SECTION_IN_JOINED.search(joined):
            # "一、教育局" / "（二）政府性基金" alone on its row: a group title, not a data row
            titles = {v for v in col.texts if _SECTION.match(v.strip())}
            if titles:
                for i in np.flatnonzero(pd.Series(col.values, dtype=object).isin(list(titles)).to_numpy()).tolist():
                    if sum(not L.is_blank_text(other.values[i]) for other in columns) == 1:
                        skip[i] = True
        labels = self.layout.labels
        header = labels[c] if c < len(labels) else ""
        if header and self.layout.fields[c] and header in col.distinct:
            # a repeated header row (printed page breaks): ≥2 mapped cells equal their header
            for i in [i for i, v in enumerate(col.values) if v == header]:
                same = sum(1 for cc, label in enumerate(labels)
                           if label and self.layout.fields[cc] and columns[cc].values[i] == label)
                if same >= 2:
                    skip[i] = True

    # -- main --
    def read(self) -> tuple[ParsedTable, list[Problem]]:
        layout = self.layout
        by_field = self.map_columns()
        index, columns = self.data_block()
        excel_rows = index + 1
        n = len(excel_rows)
        values: dict[str, np.ndarray] = {}
        bad: dict[str, dict[int, str]] = {}
        units_used: dict[str, str] = {}
        for name, c in by_field.items():
            spec_field = self._field(name)
            scale = 1.0
            if spec_field.type in (schema.MONEY, schema.SIGNED_MONEY):
                scale, units_used[name] = self.money_scale(c)
            col = columns[c]
            parsed, errors = C.parse_column(col.values, spec_field, scale, col.distinct, col.kinds,
                                            texts=col.texts, joined=col.joined)
            values[name] = parsed
            if errors:
                bad[name] = errors
        # blank rows: nothing in any mapped column and no unreadable cell
        keep = self._non_blank(values, bad, n)
        if keep is not None:
            position = {int(old): new for new, old in enumerate(keep.tolist())}
            values = {k: v[keep] for k, v in values.items()}
            bad = {k: {position[i]: msg for i, msg in e.items() if i in position} for k, e in bad.items()}
            bad = {k: e for k, e in bad.items() if e}
            excel_rows = excel_rows[keep]
            n = len(excel_rows)
        self.excel_rows = excel_rows.tolist()
        for name, errors in bad.items():
            label = self.col_label(name)
            for i, message in sorted(errors.items()):
                self.problem(self.excel_rows[i], label, message)
        meta = {
            "year": None, "as_of": None, "unit": layout.unit, "title": layout.title,
            "header_rows": [r + 1 for r in layout.header_rows], "notes": layout.notes,
            "column_units": units_used, "ignored_headers": [
                t for c, t in enumerate(layout.labels) if t and c not in by_field.values() and not H.is_ignored(t)
            ],
        }
        self.split_codes(values, {name: columns[c].joined for name, c in by_field.items()})
        self.fill_year_and_date(values, meta, n)
        if self.kind == "evaluations":
            self.fill_evaluation_kind(values, meta, n)
            self.check_score_grade(values)
        self.check_required(values, bad, by_field, n)
        if self.kind == "monitoring":
            self.warn_over_budget(values)
        self.problems.sort(key=lambda p: (p.row or 0, p.level != ERROR))
        frame = self.frame(values)
        table = ParsedTable(self.file, self.sheet, self.kind, frame, dict(self.mapping), dict(self.columns), meta)
        return table, self.problems

    def _field(self, name: str) -> schema.Field:
        try:
            return self.spec.field(name)
        except StopIteration:
            return schema.Field(name, self._label(name), schema.CODE)

    @staticmethod
    def _non_blank(values: dict[str, np.ndarray], bad: dict[str, dict[int, str]], n: int) -> np.ndarray | None:
        if not values or n == 0:
            return None
        filled = np.zeros(n, dtype=bool)
        for v in values.values():
            filled |= ~pd.isna(v)
            if filled.all():
                return None
        for errors in bad.values():
            filled[list(errors)] = True
        if filled.all():
            return None
        return np.flatnonzero(filled)

    def split_codes(self, values: dict[str, np.ndarray], raw_text: dict[str, str]) -> None:
        """"CODE-名称" cells: the name stays in the name column, the code fills the code column.

        `raw_text` holds each column's distinct texts joined: a column without any dash is skipped
        without looking at its values.
        """
        allowed = {f.name for f in self.spec.fields} | H.EXTRA_FIELDS[self.kind]
        for name_field, code_field in (("project_name", "project_code"), ("department", "department_code"),
                                       ("unit", "unit_code")):
            names = values.get(name_field)
            if names is None or code_field not in allowed:
                continue
            if not any(sep in raw_text.get(name_field, "") for sep in "-－—–"):
                continue
            distinct = [v for v in set(names.tolist()) if v]
            if not any(sep in "\x00".join(distinct) for sep in "-－—–"):
                continue
            splits = {v: C.split_code_name(v) for v in distinct}
            splits = {v: cn for v, cn in splits.items() if cn[0]}
            if not splits:
                continue
            names_list = names.tolist()
            values[name_field] = _objects([splits[v][1] if v in splits else v for v in names_list])
            derived = [splits[v][0] if v in splits else None for v in names_list]
            codes = values.get(code_field)
            if codes is None:
                values[code_field] = _objects(derived)
                self.columns.setdefault(code_field, self.col_label(name_field))
            else:
                values[code_field] = _objects([c if c else d for c, d in zip(codes.tolist(), derived)])

    def fill_year_and_date(self, values, meta, n) -> None:
        layout, names = self.layout, {f.name for f in self.spec.fields}
        if "as_of" in names:
            fallback = layout.as_of or self.arg_as_of
            meta["as_of"] = fallback
            col = values.get("as_of")
            if col is None:
                if fallback is None and n:
                    self.problem(self.header_row, None,
                                 "不知道这张监控表的监控截止日期：表中没有“监控截止日期”列，标题里也没有"
                                 "（如“2022年1-8月”“截至2022年6月30日”）。请在上传页填写监控截止日期"
                                 "（命令行用 --as-of YYYY-MM-DD）")
                values["as_of"] = _objects([fallback] * n)
            elif fallback is not None:
                values["as_of"] = _objects([v if v is not None else fallback for v in col.tolist()])
            if meta["as_of"] is None:
                present = [v for v in set(values["as_of"].tolist()) if v is not None]
                meta["as_of"] = max(present) if present else None
        if "year" in names:
            fallback = layout.year or self.arg_year
            if fallback is None and layout.as_of:
                fallback = layout.as_of.year
            col = values.get("year")
            if col is None:
                if fallback is None and "as_of" in values:
                    derived = [d.year if d else None for d in values["as_of"].tolist()]
                    if all(derived):
                        values["year"] = _objects(derived)
                        col = values["year"]
                if col is None:
                    if fallback is None and n:
                        self.problem(self.header_row, None,
                                     "不知道这张表的年度：表中没有“年度”列，标题里也没有年份（如“（2022年度）”）。"
                                     "请在上传页填写年度（命令行用 --year）")
                    values["year"] = _objects([fallback] * n)
            elif fallback is not None:
                values["year"] = _objects([v if v is not None else fallback for v in col.tolist()])
            elif "as_of" in values:
                values["year"] = _objects([v if v is not None else (d.year if d else None)
                                           for v, d in zip(col.tolist(), values["as_of"].tolist())])
            meta["year"] = fallback
            if meta["year"] is None:
                present = [v for v in set(values["year"].tolist()) if v is not None]
                meta["year"] = min(present) if present else None

    def fill_evaluation_kind(self, values, meta, n) -> None:
        from_title = L.evaluation_kind_from_notes(self.layout.notes)
        meta["evaluation_kind"] = from_title
        if from_title is None:
            return
        col = values.get("kind")
        if col is None:
            values["kind"] = _objects([from_title] * n)
        else:
            values["kind"] = _objects([v if v is not None else from_title for v in col.tolist()])

    def check_score_grade(self, values) -> None:
        scores, grades = values.get("score"), values.get("grade")
        if scores is None:
            return
        score_list = [None if math.isnan(s) else s for s in scores.tolist()]
        by_score = {s: grade_for_score(s) for s in set(score_list) if s is not None}
        if grades is None:
            values["grade"] = _objects([by_score.get(s) for s in score_list])
            return
        label = self.col_label("grade")
        filled = []
        for row, s, g in zip(self.excel_rows, score_list, grades.tolist()):
            expected = by_score.get(s)
            if g is None:
                filled.append(expected)
                continue
            if expected is not None and expected != g:
                self.problem(row, label, f"等级“{g}”与得分 {_num(s)} 不符（按得分应为“{expected}”："
                                         "≥90 优，≥80 良，≥60 中，其余为差）")
            filled.append(g)
        values["grade"] = _objects(filled)

    def check_required(self, values, bad, by_field, n) -> None:
        if not n:
            return
        rows = self.excel_rows

        def empty(name: str) -> np.ndarray:
            mask = pd.isna(values[name])
            for i in bad.get(name, ()):
                mask[i] = False  # already reported as unreadable
            return mask

        table_errors = []
        for f in self.spec.fields:
            if not f.required or f.name in ("year", "as_of"):
                continue
            if f.name not in values:
                table_errors.append(f"缺少必填列“{f.label}”")
                continue
            for i in np.flatnonzero(empty(f.name)).tolist():
                self.problem(rows[i], self.col_label(f.name), f"必填项“{f.label}”为空")
        for name in ("year", "as_of"):
            if name in by_field and name in values:
                for i in np.flatnonzero(empty(name)).tolist():
                    self.problem(rows[i], self.col_label(name),
                                 f"“{self._label(name)}”为空，标题和上传参数里也没有")
        for group in schema.ONE_OF.get(self.kind, ()):
            present = [g for g in group if g in values]
            words = "”或“".join(self._label(g) for g in group)
            if not present:
                table_errors.append(f"缺少“{words}”列（至少要有一列）")
                continue
            missing = np.ones(n, dtype=bool)
            for g in present:
                missing &= pd.isna(values[g])
                for i in bad.get(g, ()):
                    missing[i] = False
            for i in np.flatnonzero(missing).tolist():
                self.problem(rows[i], self.col_label(present[0]), f"“{words}”至少要填一项")
        for message in table_errors:
            found = "、".join(t for t in self.layout.labels if t)
            self.problem(self.header_row, None, f"{self.spec.label}表{message}（找到的列：{found}）")

    def warn_over_budget(self, values) -> None:
        executed, budget, rate = values.get("executed"), values.get("adjusted_budget"), values.get("execution_rate")
        n = len(self.excel_rows)
        computed = np.zeros(n, dtype=bool)
        if executed is not None and budget is not None:
            e, b = executed, budget
            with np.errstate(invalid="ignore"):
                # 0.005 万元 (50 元): amounts rounded to cents of 万元 must not trip the warning
                over = np.flatnonzero((e > b + 0.005) & (b >= 0))
            for i in over.tolist():
                pct = f"，执行率 {e[i] / b[i] * 100:.1f}%" if b[i] > 0 else ""
                self.problem(self.excel_rows[i], self.col_label("executed"),
                             f"执行数 {_num(e[i])} 万元超过调整后预算 {_num(b[i])} 万元{pct}", WARNING)
            computed = ~np.isnan(e) & ~np.isnan(b)
        if rate is not None:
            with np.errstate(invalid="ignore"):
                over = np.flatnonzero((rate > 1 + 1e-9) & ~computed)
            for i in over.tolist():
                self.problem(self.excel_rows[i], self.col_label("execution_rate"),
                             f"执行率 {rate[i] * 100:.1f}% 超过 100%", WARNING)

    def frame(self, values: dict[str, np.ndarray]) -> pd.DataFrame:
        data: dict[str, Any] = {}
        order = [f.name for f in self.spec.fields] + sorted(H.EXTRA_FIELDS[self.kind])
        for name in order:
            if name in values:
                # dtype=object kept explicitly: pandas 3 would turn str columns into its string
                # dtype, where None becomes NaN
                v = values[name]
                data[name] = pd.Series(v, dtype=float if v.dtype.kind == "f" else object, copy=False)
        data["_row"] = pd.Series(self.excel_rows, dtype=np.int64)
        return pd.DataFrame(data, copy=False)


def _objects(items: list) -> np.ndarray:
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


_SECTION = re.compile(r"(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十]+\s*[)）])")
_SECTION_IN_JOINED = re.compile(
    r"(?:^|\x00)\s*(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十]+\s*[)）])")
_SKIP_WORDS = ("计", "其", "注", "说明", "备注", "填", "审核", "制表", "负责人", "联系", "分管")
_SKIP_HINT = re.compile(r"(?:^|\x00)\s*(?:合\s*计|总\s*计|小\s*计|其\s*中|注|说明|备注|填表|填报|审核|制表|负责人|单位负责人|"
                        r"财务负责人|联系|分管)|(?:合\s*计|总\s*计|小\s*计)\s*(?:\x00|$)")


def _num(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:,.2f}".rstrip("0").rstrip(".")
