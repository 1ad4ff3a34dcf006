"""The one table of labels for forms (申报表, 自评表, monitoring forms, the 部门整体 目标表 / 自评表) and the one
key/value reader.

A form states its facts as "label | value" pairs wherever they stand: the value is the next filled cell to the
right of the label (across merged or empty cells), or, when nothing stands to the right, the cell below it.
Every form reader (data_loaders.forms, data_loaders.declaration, data_loaders.department_form) looks labels up
here, so a new way of writing 主管部门 or 财政供养人员数 is added once, in `LABELS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from data_loaders import cells as C
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
    # the 部门整体 form (data_loaders.department_form): its department is `department` or `organisation`
    "organisation": ("部门(单位)名称", "单位名称", "部门"),
    "staff_count": ("财政供养人员数", "财政供养人数", "编制人数", "实有人数", "人员编制数"),
    "sub_unit_count": ("下属二级单位数", "下属单位数", "二级单位数", "所属单位数", "下属二级预算单位数"),
    "basic_budget": ("基本支出",),
    "project_budget": ("项目支出",),
    # its 合计 (also 年度资金总额, a `budget` label above: the 部门整体 reader asks for both fields)
    "total_budget": ("合计", "总计", "部门预算支出合计", "预算支出合计"),
    "fiscal_funds": ("财政拨款", "一般公共预算财政拨款"),
    "other_funds": ("其他资金",),
    "overall_target": ("总体绩效目标", "年度总体绩效目标", "总体目标", "年度总体目标", "部门总体绩效目标",
                       "整体绩效目标"),
    "task_section": ("年度重点工作任务", "重点工作任务", "年度主要任务", "主要任务"),
    # the names of a form's parts and column heads: labels without a value of their own (never a value)
    "section": ("基本信息", "预算整体情况", "部门预算支出", "收入来源", "绩效指标", "预算情况", "部门基本信息",
                "预期目标", "实际完成情况", "年初预算数", "全年预算数", "全年执行数"),
}

# a cell longer than this is a text (政策依据, 年度目标), never a title or a label
TITLE_CHARS = 60

_STRIP = re.compile(r"[\s:：*（）()]")
_UNIT_NOTE = re.compile(r"[(（]\s*(?:万元|元|人|个)\s*[)）]\s*$")
_OF_WHICH = re.compile(r"^其中[,，、]?")
# a column head of a money block (预算金额（万元）): never a label's value
_MONEY_HEAD = re.compile(r"预算金额|[(（]万元[)）]")


def label_key(value: Any) -> str:
    """A label as compared: NFKC, no whitespace, colons, stars or brackets (their text kept), a closing unit
    note such as （人） and 万元 dropped, and a leading 其中 (其中：财政拨款 is 财政拨款)."""
    if not isinstance(value, str):
        return ""
    text = _STRIP.sub("", _UNIT_NOTE.sub("", cell_text(value)))
    return _OF_WHICH.sub("", text).replace("万元", "")


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
    if isinstance(v, float) and math.isnan(v):
        return False
    return not is_blank_text(v) and bool(cell_text(v))


def _not_value(v: Any) -> bool:
    """Another label, a column header or a money block's column head: the value looked for is not here."""
    return is_label(v) or (isinstance(v, str) and (bool(H.candidates(v)) or bool(_MONEY_HEAD.search(cell_text(v)))))


def value_near(grid: list[list[Any]], r: int, c: int, accept: Callable[[Any], bool] | None = None,
               below: int = 1) -> tuple[Any, int, int] | None:
    """The value of the label at (r, c): the next filled cell to its right that is not itself a label or a
    header, or when the rest of the row is empty (or the next cell is another label), the first filled cell
    below it within `below` rows. A merged label repeated into the cells it covers
    (data_loaders.layout.fill_merged) is stepped over. `accept` (a number, say) refuses other values: a refused
    cell on the right sends the look below, a refused cell below gives None."""
    row = grid[r]
    own = label_key(row[c]) or cell_text(row[c])
    for cc in range(c + 1, len(row)):
        v = row[cc]
        if not _filled(v) or (label_key(v) or cell_text(v)) == own:
            continue
        if _not_value(v) or (accept is not None and not accept(v)):
            break  # the next label: this one's value, if any, stands below
        return v, r, cc
    for rr in range(r + 1, min(r + 1 + below, len(grid))):
        v = grid[rr][c] if c < len(grid[rr]) else None
        if not _filled(v) or (label_key(v) or cell_text(v)) == own:
            continue
        if _not_value(v) or (accept is not None and not accept(v)):
            return None
        return v, rr, c
    return None


def find_labels(grid: list[list[Any]], fields: tuple[str, ...], start: int = 0, end: int | None = None
                ) -> list[tuple[int, int]]:
    """Where the labels of `fields` stand in rows start..end-1, in reading order: [(row, col)]."""
    out = []
    for r in range(start, min(len(grid) if end is None else end, len(grid))):
        for c, v in enumerate(grid[r]):
            if isinstance(v, str) and label_field(v, fields) is not None:
                out.append((r, c))
    return out


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


def project_identity(form: dict[str, tuple[Any, int, int]], rec: dict[str, Any]) -> None:
    """A single-project form's 项目名称 / 项目编码, 主管部门 and 实施单位 (codes split off "101-区教育局") into `rec`,
    from its labelled values ({field: (value, row, col)}, read_labels)."""
    code, name = C.split_code_name(C.clean_text(form["project_name"][0]))
    rec["project_name"] = name
    rec["project_code"] = C.clean_text(form["project_code"][0]) if "project_code" in form else code
    for key, code_key in (("department", "department_code"), ("unit", "unit_code")):
        if key in form:
            c, n = C.split_code_name(C.clean_text(form[key][0]))
            rec[key], rec[code_key] = n, c
    if "department_code" in form:
        rec["department_code"] = C.clean_text(form["department_code"][0])
