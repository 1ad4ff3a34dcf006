"""Where the table sits on a sheet: title rows, the (one- or two-row) header, the unit, year and
monitoring date the title gives, and which data rows are totals, sub-rows, notes or blank.

Works on the raw grid calamine or the csv module gives (list of rows, 0-based), plus the
sheet's merged ranges; it knows nothing about cell types beyond "text or not".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from data_loaders import headers as H
from data_loaders.cells import BLANK_TOKENS, month_end

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


def _text(value: Any) -> str:
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
        c = H.candidates(child)
        if c:
            return child, c
        c = H.candidates(parent + child)
        if c:
            return f"{parent}/{child}", c
        return f"{parent}/{child}", []
    text = child or parent
    return text, H.candidates(text) if text else []


def find_layout(grid: list[list[Any]], merged: Merged | None = None) -> Layout | None:
    """The header and everything above it, or None when no row names ≥2 known columns."""
    limit = min(len(grid), HEADER_SEARCH_ROWS)
    texts = [[_text(v) for v in grid[r]] for r in range(limit)]
    fields = [_row_fields(t) for t in texts]
    best: tuple[int, int, list[int]] | None = None  # (score, pair-bonus, rows)
    for r in range(limit):
        single = _distinct(fields[r])
        if single and (best is None or (single, 0) > best[:2]):
            best = (single, 0, [r])
        if r + 1 < limit and single:
            # a two-row header: the lower row names columns the upper one does not
            below = fields[r + 1]
            adds = any(below[c] and not (c < len(fields[r]) and fields[r][c]) for c in range(len(below)))
            if adds:
                width = max(len(texts[r]), len(texts[r + 1]))
                combined = [
                    _combine(_at(texts[r], c), _at(texts[r + 1], c))[1] for c in range(width)
                ]
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


_KIND_IN_TITLE = (
    ("抽查复核", ("抽查", "复核")),
    ("财政重点评价", ("重点评价", "财政评价", "第三方评价")),
    ("部门评价", ("部门评价",)),
    ("单位自评", ("自评",)),
)


def evaluation_kind_from_notes(notes: list[str]) -> str | None:
    """The evaluation kind a title names ("财政重点评价结果汇总表" → 财政重点评价), or None."""
    for note in notes:
        for kind, words in _KIND_IN_TITLE:
            if any(w in note for w in words):
                return kind
    return None


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
    values = [_text(v) for v in row if _text(v)]
    if len(values) < 3:
        return False
    if values[0] in ("栏次", "甲", "行次"):
        return True
    try:
        numbers = [int(float(v)) for v in values]
    except ValueError:
        return False
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def is_blank_text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and unicodedata.normalize("NFKC", value).strip() in BLANK_TOKENS)


# --- one-project-per-form sheets (《项目支出绩效自评表》, 《部门整体支出绩效自评表》) ---------------

_FORM_TITLE = re.compile(r"自评表|自评报告表")
_FORM_NAME_KEYS = {"项目名称": "项目支出", "部门(单位)名称": "部门整体支出", "部门名称": "部门整体支出",
                   "单位名称": "部门整体支出"}
_FORM_KEYS = {
    "department": ("主管部门", "主管部门及代码", "主管部门(盖章)"),
    "unit": ("实施单位", "实施单位(盖章)", "项目实施单位", "预算单位"),
    "grade": ("自评等级", "评价等级", "等级", "自评结果"),
    "main_problems": ("存在问题", "存在的问题", "主要问题"),
}
_FORM_TOTAL_ROW = ("年度资金总额", "总额", "资金总额", "年度资金总额:")
_FORM_SCORE_ROW = ("总分", "合计", "总计", "自评总分")


@dataclass
class FormField:
    value: Any
    row: int  # 0-based grid row
    col: int


@dataclass
class Form:
    """One filled-in form found on a sheet: the values it gives and where each one stands."""

    start: int  # 0-based grid row of its 项目名称 / 部门名称 line
    object_type: str
    title: str | None
    year: int | None
    fields: dict[str, FormField] = field(default_factory=dict)


def _key(value: Any) -> str:
    return re.sub(r"[\s:：*]", "", _text(value))


def _value_right(row: list[Any], c: int) -> tuple[Any, int] | None:
    for cc in range(c + 1, len(row)):
        if not is_blank_text(row[cc]) and _text(row[cc]):
            return row[cc], cc
    return None


def find_forms(grid: list[list[Any]]) -> list[Form]:
    """The self-evaluation forms on a sheet (several may be stacked), or [] when it is not one.

    A form is recognised by a title with 自评表 and a "项目名称 | <name>" (or 部门（单位）名称)
    line; it ends where the next one starts. Indicator rows are not read: the list of
    evaluations needs the name, department, unit, money (年度资金总额) and the total score.
    """
    head = " ".join(_text(v) for r in grid[:12] for v in r if isinstance(v, str))
    if not _FORM_TITLE.search(head):
        return []
    starts: list[tuple[int, int, str]] = []
    for r, row in enumerate(grid):
        for c, v in enumerate(row[:4]):
            k = _key(v)
            if k in _FORM_NAME_KEYS and _value_right(row, c) is not None:
                if not H.candidates(_value_right(row, c)[0]):  # a value, not another header
                    starts.append((r, c, _FORM_NAME_KEYS[k]))
                break
    forms = []
    for i, (r0, c0, object_type) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(grid)
        above = [" ".join(dict.fromkeys(_text(v) for v in grid[r] if _text(v))) for r in range(max(0, r0 - 5), r0)]
        above = [a for a in above if a]
        form = Form(r0, object_type, pick_title(above), year_from_notes(above))
        value, c = _value_right(grid[r0], c0)
        form.fields["name"] = FormField(value, r0, c)
        _read_form_block(grid, r0, end, form)
        forms.append(form)
    return forms


def _read_form_block(grid: list[list[Any]], r0: int, end: int, form: Form) -> None:
    money_cols: dict[str, int] = {}
    for r in range(r0, end):
        row = grid[r]
        keys = [_key(v) for v in row]
        for c, k in enumerate(keys):
            for name, words in _FORM_KEYS.items():
                if k in words and name not in form.fields:
                    hit = _value_right(row, c)
                    if hit is not None and not H.candidates(hit[0]):
                        form.fields[name] = FormField(hit[0], r, hit[1])
        if not money_cols:
            found: dict[str, int] = {}
            for c, v in enumerate(row):
                cands = H.candidates(v) if isinstance(v, str) else []
                if cands and cands[0] in ("initial_budget", "adjusted_budget", "executed"):
                    # the last one wins: in the 四川 layout the row-label column is headed
                    # 年度预算数(万元) and the real 调整后预算数 column comes after it
                    found[cands[0]] = c
            if len(found) >= 2:
                money_cols = found
                continue
        elif "fund_total" not in form.fields and any(k in _FORM_TOTAL_ROW for k in keys):
            c = money_cols.get("adjusted_budget", money_cols.get("initial_budget"))
            if c is not None and c < len(row):
                form.fields["fund_total"] = FormField(row[c], r, c)
                parts = []
                for rr in range(r + 1, min(end, r + 6)):
                    cell = grid[rr][c] if c < len(grid[rr]) else ""
                    label = " ".join(_text(v) for v in grid[rr][:c] if _text(v))
                    if not label or H.candidates(label):
                        break
                    parts.append(FormField(cell, rr, c))
                form.fields["fund_parts"] = FormField(parts, r, c)
        if any(k in _FORM_SCORE_ROW for k in keys) and "score" not in form.fields:
            numbers = [(c, v) for c, v in enumerate(row) if isinstance(v, (int, float)) and not isinstance(v, bool)
                       or (isinstance(v, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*分?\s*", v))]
            if len(numbers) >= 2 or (len(numbers) == 1 and _text(numbers[0][1]) not in ("100", "100.0")):
                c, v = numbers[-1]
                form.fields["score"] = FormField(v, r, c)
