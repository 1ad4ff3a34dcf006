"""Where the table sits on a sheet: title rows, the (one- or two-row) header, the unit, year and
monitoring date the title gives, and every row classification below it (column-number rows, group
titles, totals, sub-rows, footnotes, repeated headers are not data rows).

Works on the raw grid calamine or the csv module gives (list of rows, 0-based), plus the
sheet's merged ranges; it knows nothing about cell types beyond "text or not".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from data_loaders import headers as H
from data_loaders.cells import BLANK_TOKENS, LONG_TEXT_FIELDS, month_end

HEADER_SEARCH_ROWS = 30  # real files have 1–4 title rows; forms pasted above a list have more
MIN_HEADER_FIELDS = 2

Merged = list[tuple[tuple[int, int], tuple[int, int]]]  # ((first_row, first_col), (last_row, last_col))


@dataclass
class Layout:
    header_rows: list[int]  # 0-based grid rows of the header (one or two)
    labels: list[str]  # per column: header text as the file shows it ("" for none)
    parents: list[str]  # per column: the upper header row's text in a two-row header, else ""
    data_start: int  # 0-based grid row of the first data row
    title: str | None
    notes: list[str]  # every text line above the header (for year / as_of / unit / kind)
    unit: str = "万元"  # the file's money unit: 万元, 元 or 亿元
    year: int | None = None
    as_of: dt.date | None = None
    score: int = 0
    fields: list[list[str]] = field(default_factory=list)  # per column: candidate canonical fields
    extra: dict[str, Any] = field(default_factory=dict)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _raw(value: Any) -> str:
    """A header as the file shows it (for messages): trimmed, line breaks as one space."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value)).strip()


def fill_merged(grid: list[list[Any]], merged: Merged | None, first_row: int = 0) -> None:
    """Copy each merged range's top-left value into all its cells (rows ≥ first_row), in place.

    Excel keeps the value only in the top-left cell; a department merged down over five projects
    belongs to all five, and a header merged across belongs to every column under it.
    """
    if not merged:
        return
    for (r0, c0), (r1, c1) in merged:
        if r1 < first_row or r0 >= len(grid):
            continue
        top = grid[r0]
        value = top[c0] if c0 < len(top) else ""
        if value is None or value == "":
            continue
        for r in range(max(r0, first_row), min(r1, len(grid) - 1) + 1):
            row = grid[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if r == r0 and c == c0:
                    continue
                if row[c] is None or row[c] == "":
                    row[c] = value


def _row_fields(texts: list[str]) -> list[list[str]]:
    return [H.candidates(t) if t else [] for t in texts]


def _distinct(fields: list[list[str]]) -> int:
    return len({c[0] for c in fields if c})


def _combine(parent: str, child: str) -> tuple[str, list[str]]:
    """Header of one column in a two-row header: the child, else parent+child, else the parent."""
    if child and parent and parent != child:
        paired = H.pair_field(parent, child)  # 绩效目标 / 是否设定 → 是否设定绩效目标
        if paired:
            return f"{parent}/{child}", [paired]
        c = H.candidates(child)
        if c:
            return child, c
        c = H.candidates(parent + child) or H.period_child(parent, child)  # 执行数 / 1月
        if c:
            return f"{parent}/{child}", c
        return f"{parent}/{child}", []
    text = child or parent
    return text, H.candidates(text) if text else []


def find_layout(grid: list[list[Any]], merged: Merged | None = None) -> Layout | None:
    """The header and everything above it, or None when no row names ≥2 known columns."""
    limit = min(len(grid), HEADER_SEARCH_ROWS)
    texts = [[cell_text(v) for v in grid[r]] for r in range(limit)]
    fields = [_row_fields(t) for t in texts]
    best: tuple[int, int, list[int]] | None = None  # (score, pair-bonus, rows)
    for r in range(limit):
        single = _distinct(fields[r])
        if single and (best is None or (single, 0) > best[:2]):
            best = (single, 0, [r])
        if r + 1 < limit and single:
            # a two-row header: the lower row names columns the upper one does not, alone or as a pair
            # with its merged parent (绩效目标 / 是否设定, 执行数 / 1月)
            width = max(len(texts[r]), len(texts[r + 1]))
            combined = [_combine(_at(texts[r], c), _at(texts[r + 1], c))[1] for c in range(width)]
            upper = fields[r]
            lower = texts[r + 1]
            adds = any(combined[c] and _at(lower, c) != _at(texts[r], c)
                       and (combined[c][:1] != (upper[c][:1] if c < len(upper) else [])
                            or H.header_period(_at(lower, c)) is not None)
                       for c in range(width))
            if adds:
                score = _distinct(combined)
                if best is None or (score, 1) > best[:2]:
                    best = (score, 1, [r, r + 1])
    if best is None or best[0] < MIN_HEADER_FIELDS:
        return None
    rows = best[2]
    width = max(len(texts[r]) for r in rows)
    raw = {r: [_raw(v) for v in grid[r]] for r in rows}
    if len(rows) == 2:
        pairs = [_combine(_at(texts[rows[0]], c), _at(texts[rows[1]], c)) for c in range(width)]
        col_fields = [p[1] for p in pairs]
        parents = [_at(raw[rows[0]], c) if _at(texts[rows[0]], c) != _at(texts[rows[1]], c) else ""
                   for c in range(width)]
        # the label shows the child as typed, with its parent when only the pair names the field
        labels = [
            _at(raw[rows[1]], c) or _at(raw[rows[0]], c) if "/" not in p[0] or not _at(texts[rows[0]], c)
            else f"{_at(raw[rows[0]], c)}/{_at(raw[rows[1]], c)}"
            for c, p in enumerate(pairs)
        ]
    else:
        labels = [_at(raw[rows[0]], c) for c in range(width)]
        col_fields = [H.candidates(t) if t else [] for t in texts[rows[0]]] + [[]] * (width - len(texts[rows[0]]))
        parents = [""] * width
    # dict.fromkeys: a title merged across six columns was copied into all six by fill_merged
    notes = [" ".join(dict.fromkeys(t for t in texts[r] if t)) for r in range(rows[0])]
    notes = [n for n in notes if n]
    layout = Layout(header_rows=rows, labels=labels, parents=parents, data_start=rows[-1] + 1,
                    title=pick_title(notes), notes=notes, score=best[0], fields=col_fields)
    above = [t for r in range(rows[0]) for t in texts[r] if t]
    # a unit note may also sit in an unmapped cell of the header row itself, often the rightmost
    above += [unicodedata.normalize("NFKC", t) for t, f in zip(labels, col_fields) if t and not f]
    layout.unit = unit_from_notes(above) or "万元"
    layout.year = year_from_notes(notes)
    layout.as_of = as_of_from_notes(notes)
    return layout


def _at(row: list[str], c: int) -> str:
    return row[c] if c < len(row) else ""


_NOT_TITLE = re.compile(r"^(附件|附表|报表编号|表号|编制单位|填报单位|单位[:：]|金额单位|制表|填表|单位名称[:：])")


def pick_title(notes: list[str]) -> str | None:
    """The title line: the first line above the header that is not 附件/报表编号/填报单位/unit."""
    for note in notes:
        line = note.strip()
        if _NOT_TITLE.match(line) or re.fullmatch(r"[(（]?\d{4}年度?[)）]?", line):
            continue
        return line
    return notes[0] if notes else None


_UNIT_NOTE = re.compile(r"(?:金额)?单位[:：]?\s*(亿元|万元|元)(?![\u4e00-\u9fff])")


def unit_from_notes(lines: list[str]) -> str | None:
    for line in lines:
        match = _UNIT_NOTE.search(line.replace(" ", ""))
        if match:
            return match.group(1)
    return None


def year_from_notes(notes: list[str]) -> int | None:
    """"（2022年度）", "2022年1-8月…" → 2022: the first four-digit year followed by 年."""
    for note in notes:
        match = re.search(r"(20\d{2})\s*年", note)
        if match:
            return int(match.group(1))
    return None


_AS_OF_PATTERNS = (
    # 截至2022年6月30日 / 截止到2022-06-30
    re.compile(r"截[至止](?:到|至)?\s*(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?"),
    # 截至2022年8月底 / 截至2022年8月末 / 截至2022年8月
    re.compile(r"截[至止](?:到|至)?\s*(\d{4})\s*年\s*(\d{1,2})\s*月(?:底|末)?()"),
    # 2022年1-8月 / 2022年1至8月 / 2022年度1—8月
    re.compile(r"(\d{4})\s*年度?\s*1\s*[-—–~～至到]\s*(\d{1,2})\s*月()"),
)


def as_of_from_notes(notes: list[str]) -> dt.date | None:
    """The monitoring date a title gives, or None. A month alone means its last day."""
    for note in notes:
        text = unicodedata.normalize("NFKC", note)
        for pattern in _AS_OF_PATTERNS:
            match = pattern.search(text)
            if not match:
                continue
            y, mo = int(match.group(1)), int(match.group(2))
            try:
                if match.group(3):
                    return dt.date(y, mo, int(match.group(3)))
                return month_end(y, mo)
            except ValueError:
                return None
    return None


# The evaluation kind a title names, first match wins (the words of dashboard.core.vocab.EVALUATION_KINDS and
# their variants): 抽查复核 / 复评 of self-evaluations before 自评; 部门自评 is a 部门评价 (cells.ENUM_SYNONYMS).
_KIND_IN_TITLE = (
    ("抽查复核", re.compile(r"抽查|复核|复评")),
    ("部门评价", re.compile(r"部门(?:绩效)?自评")),
    ("财政重点评价", re.compile(r"(?:财政|重点|第三方|财政部门)(?:重点)?(?:绩效)?评价|第三方机构评价")),
    ("部门评价", re.compile(r"部门(?:重点)?(?:绩效)?评价")),
    ("单位自评", re.compile(r"自评")),
)


def evaluation_kind_from_notes(notes: list[str]) -> str | None:
    """The evaluation kind a title names ("财政重点绩效评价结果汇总表" → 财政重点评价, "第三方绩效评价" →
    财政重点评价, "绩效自评结果" → 单位自评), or None. The lines are tried in order, each against every kind."""
    for note in notes:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", note or ""))
        for kind, pattern in _KIND_IN_TITLE:
            if pattern.search(text):
                return kind
    return None


def year_from_filename(name: str | None) -> int | None:
    """The one year a file name gives ("2023年项目清单.xlsx", "2023-项目.xlsx", "项目_2023.csv" → 2023), or None
    (no year, or two different ones as in "2022-2023年项目.xlsx")."""
    stem = unicodedata.normalize("NFKC", str(name or "")).rsplit(".", 1)[0]
    years = {int(y) for y in re.findall(r"(?<!\d)(20\d{2})(?!\d)", stem)}
    return years.pop() if len(years) == 1 else None


def year_hint(file: str | None) -> str:
    """The end of a "year missing" message: how to give it, proposing the file name's year when it has one."""
    year = year_from_filename(file)
    if year is None:
        return "请在上传页填写年度（命令行用 --year）"
    return f"文件名“{file}”里有 {year}：如果是 {year} 年的数据，请在上传页填写年度 {year}（命令行加 --year {year}）"


# --- rows to skip --------------------------------------------------------------------------

_TOTAL_WORDS = ("合计", "总计", "小计")
_FOOTNOTE = re.compile(
    r"^(?:注|说明|备注|填表说明)\s*[:：\d]|^(?:填表人|填报人|审核人|制表人|负责人|单位负责人|财务负责人|"
    r"联系人|联系电话|填表日期|填报日期|制表日期|分管领导)\s*(?:[:：]|$)"
)


def skip_reason(text: str) -> str | None:
    """Why a row holding this text cell is not a data row: total, sub-row or footnote."""
    if not text or len(text) > 40:
        return None
    t = text.replace(" ", "")
    if t.startswith(_TOTAL_WORDS) or t.endswith(_TOTAL_WORDS):
        return "total"
    if t.startswith("其中"):
        return "subrow"
    if _FOOTNOTE.match(t):
        return "footnote"
    return None


def is_column_number_row(row: list[Any]) -> bool:
    """A row of column numbers under the header (1 | 2 | 3 … or 栏次/甲/乙) in official forms."""
    values = [cell_text(v) for v in row if cell_text(v)]
    if len(values) < 3:
        return False
    if values[0] in ("栏次", "甲", "行次"):
        return True
    try:
        numbers = [int(float(v)) for v in values]
    except (ValueError, OverflowError):  # "inf", "nan" are not column numbers
        return False
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def is_blank_text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and unicodedata.normalize("NFKC", value).strip() in BLANK_TOKENS)


# --- which rows below the header are data rows --------------------------------------------------

_SECTION = re.compile(r"(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十]+\s*[)）])")
_SECTION_IN_JOINED = re.compile(
    r"(?:^|\x00)\s*(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十]+\s*[)）])")
_SKIP_WORDS = ("计", "其", "注", "说明", "备注", "填", "审核", "制表", "负责人", "联系", "分管")
_SKIP_HINT = re.compile(r"(?:^|\x00)\s*(?:合\s*计|总\s*计|小\s*计|其\s*中|注|说明|备注|填表|填报|审核|制表|负责人|单位负责人|"
                        r"财务负责人|联系|分管)|(?:合\s*计|总\s*计|小\s*计)\s*(?:\x00|$)")


@dataclass
class Column:
    """One column's cells plus what the row checks and parsers need to know about them once."""

    values: list
    kinds: set
    distinct: set | None = None  # only for columns holding text
    texts: list | None = None  # the distinct strings
    joined: str = ""  # the distinct strings joined by NUL, for fast substring / NFKC checks

    @classmethod
    def of(cls, values: list) -> Column:
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


def data_rows(grid: list[list[Any]], layout: Layout, merged: Merged | None) -> tuple[np.ndarray, list[Column]]:
    """Grid indexes of the data rows left after skipping column numbers, group titles, totals, sub-rows,
    notes and repeated headers, and each column of those rows with its types and distinct values."""
    start = layout.data_start
    rows = grid[start:]
    if rows and is_column_number_row(rows[0]):
        start += 1
        rows = rows[1:]
    width = len(layout.labels)
    if not rows:
        return np.zeros(0, dtype=np.int64), [Column.of([]) for _ in range(width)]
    block = np.empty((len(rows), width), dtype=object)
    try:
        block[:, :] = rows  # one C-level copy; columns are then cheap .tolist() slices
    except ValueError:  # ragged rows (calamine and the CSV reader give rectangular grids)
        block[:, :] = [list(r[:width]) + [""] * (width - len(r)) for r in rows]
    index = np.arange(start, start + len(rows))
    columns = [Column.of(block[:, c].tolist()) for c in range(width)]
    skip = np.zeros(len(rows), dtype=bool)
    _mark_section_titles(merged, start, block, skip)
    for c, col in enumerate(columns):
        if col.texts:
            _mark_skipped(layout, c, col, columns, skip)
    if skip.any():
        keep = np.flatnonzero(~skip)
        index = index[keep]
        # the distinct values keep those of the skipped rows: a superset is harmless to the
        # parsers and saves profiling every column twice
        columns = [Column(block[keep, c].tolist(), col.kinds, col.distinct, col.texts, col.joined)
                   for c, col in enumerate(columns)]
    return index, columns


def _mark_section_titles(merged: Merged | None, start: int, block: np.ndarray, skip: np.ndarray) -> None:
    """Group titles inside a list ("一、一般公共预算项目") merged across the row from its first
    column: the whole row is that one title, so it is not a data row."""
    width = block.shape[1]
    for (r0, c0), (r1, c1) in merged or ():
        i = r0 - start
        if r0 != r1 or not 0 <= i < len(block) or c0 != 0 or min(c1, width - 1) + 1 < max(3, (width + 1) // 2):
            continue
        rest = block[i, min(c1, width - 1) + 1:]
        if all(is_blank_text(v) for v in rest.tolist()):
            skip[i] = True


def _rows_with(col: Column, texts) -> list[int]:
    return np.flatnonzero(pd.Series(col.values, dtype=object).isin(list(texts)).to_numpy()).tolist()


def _mark_skipped(layout: Layout, c: int, col: Column, columns: list[Column], skip: np.ndarray) -> None:
    """Totals (合计/总计/小计), 其中 sub-rows, footnotes, group titles, repeated header rows in column c.

    A total may sit in any short text cell (docs/data-formats.md), except in long-text columns where a
    sentence may end in 合计; 其中 and footnotes count only as the row's first filled cell, so
    a 偏差原因 that starts with "其中" does not drop its row.
    """
    joined = col.joined
    # plain substring tests first: in a clean 100k-row column none hits and nothing else runs
    if any(w in joined for w in _SKIP_WORDS) and _SKIP_HINT.search(joined):
        reasons = {v: skip_reason(unicodedata.normalize("NFKC", v).strip()) for v in col.texts}
        reasons = {v: r for v, r in reasons.items() if r}
        fields = layout.fields[c] if c < len(layout.fields) else []
        long_text = bool(fields) and fields[0] in LONG_TEXT_FIELDS
        for i in _rows_with(col, reasons):
            reason = reasons[col.values[i]]
            first = all(is_blank_text(columns[cc].values[i]) for cc in range(c))
            if (reason == "total" and not long_text) or first:
                skip[i] = True
    if any(w in joined for w in ("、", "(", "（")) and _SECTION_IN_JOINED.search(joined):
        # "一、教育局" / "（二）政府性基金" alone on its row: a group title, not a data row
        titles = {v for v in col.texts if _SECTION.match(v.strip())}
        if titles:
            for i in _rows_with(col, titles):
                if sum(not is_blank_text(other.values[i]) for other in columns) == 1:
                    skip[i] = True
    labels = layout.labels
    header = labels[c] if c < len(labels) else ""
    if header and layout.fields[c] and header in col.distinct:
        # a repeated header row (printed page breaks): ≥2 mapped cells equal their header
        for i in [i for i, v in enumerate(col.values) if v == header]:
            same = sum(1 for cc, label in enumerate(labels)
                       if label and layout.fields[cc] and columns[cc].values[i] == label)
            if same >= 2:
                skip[i] = True
