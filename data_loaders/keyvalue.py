"""The one table of labels for single-project forms (申报表, 自评表, monitoring forms) and the key/value reader.

A form states its facts as "label | value" pairs wherever they stand: the value is the next filled cell to the
right of the label (across merged or empty cells), or, when nothing stands to the right, the cell below it.
Every form reader (data_loaders.forms, data_loaders.declaration) looks labels up here, so a new way of
writing 主管部门 or 实施单位 is added once, in `LABELS`.
"""

from __future__ import annotations

import re
from typing import Any

from data_loaders import headers as H
from data_loaders.layout import cell_text, is_blank_text

# field -> the labels that name it on a form (compared by `label_key`: NFKC, no spaces, colons, brackets or 万元)
LABELS: dict[str, tuple[str, ...]] = {
    "project_name": ("项目名称", "项目(政策)名称", "二级项目名称"),
    "project_code": ("项目编码", "项目代码", "项目编号", "二级项目编码"),
    "department": ("主管部门", "一级预算单位", "项目主管部门", "部门名称", "主管部门及代码", "主管部门名称",
                   "主管部门(盖章)", "主管单位"),
    "department_code": ("主管部门编码", "主管部门代码", "一级预算单位编码"),
    "unit": ("申请单位", "项目实施单位", "项目执行单位", "实施单位", "预算单位", "实施单位(盖章)", "项目单位",
             "执行单位", "申报单位"),
    # the year's money of a declaration (the multi-year 项目总金额 / 中期规划 is not the year's budget)
    "budget": ("本年度项目金额", "本年金额", "本年度金额", "年度资金总额", "资金总额", "项目资金总额",
               "本年度资金总额", "年度项目金额"),
    "grade": ("自评等级", "评价等级", "等级", "自评结果"),
    "main_problems": ("存在问题", "存在的问题", "主要问题"),
}

# a cell longer than this is a text (政策依据, 年度目标), never a title or a label
TITLE_CHARS = 60

_STRIP = re.compile(r"[\s:：*（）()]")


def label_key(value: Any) -> str:
    """A label as compared: NFKC, no whitespace, colons, stars or brackets (their text kept), 万元 dropped."""
    if not isinstance(value, str):
        return ""
    return _STRIP.sub("", cell_text(value)).replace("万元", "")


_LOOKUP: dict[str, str] = {}
for _field, _words in LABELS.items():
    for _w in _words:
        _LOOKUP.setdefault(label_key(_w), _field)


def label_field(value: Any, fields: tuple[str, ...] | None = None) -> str | None:
    """The field a label cell names (among `fields` when given), or None."""
    name = _LOOKUP.get(label_key(value))
    if name is None or (fields is not None and name not in fields):
        return None
    return name


def is_label(value: Any) -> bool:
    return label_key(value) in _LOOKUP


def _filled(v: Any) -> bool:
    return not is_blank_text(v) and bool(cell_text(v))


def value_near(grid: list[list[Any]], r: int, c: int) -> tuple[Any, int, int] | None:
    """The value of the label at (r, c): the next filled cell to its right that is not itself a label or a
    header, or when the rest of the row is empty (or the next cell is another label), the cell below it.
    A merged label repeated into the cells it covers (data_loaders.layout.fill_merged) is stepped over."""
    row = grid[r]
    own = cell_text(row[c])
    for cc in range(c + 1, len(row)):
        v = row[cc]
        if not _filled(v) or cell_text(v) == own:
            continue
        if is_label(v) or (isinstance(v, str) and H.candidates(v)):
            break  # the next label: this one's value, if any, stands below
        return v, r, cc
    if r + 1 < len(grid):
        below = grid[r + 1]
        if c < len(below) and _filled(below[c]) and not is_label(below[c]) \
                and not (isinstance(below[c], str) and H.candidates(below[c])):
            return below[c], r + 1, c
    return None


def read_labels(grid: list[list[Any]], start: int, end: int, fields: tuple[str, ...] | None = None
                ) -> dict[str, tuple[Any, int, int]]:
    """Every labelled value in rows start..end-1: {field: (value, row, col)}, the first one of each field."""
    found: dict[str, tuple[Any, int, int]] = {}
    for r in range(start, min(end, len(grid))):
        row = grid[r]
        for c, v in enumerate(row):
            name = label_field(v, fields)
            if name is None or name in found:
                continue
            hit = value_near(grid, r, c)
            if hit is not None:
                found[name] = hit
    return found
