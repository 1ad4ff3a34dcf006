"""The self-evaluation form reader: 《项目支出绩效自评表》 / 《部门整体支出绩效自评表》 sheets (one project or one
department per form, several may be stacked) → one evaluation row per form.

Which form a sheet is comes from one registry (`FORM_TYPES`, `register`, `identify`): each type has a title
pattern and a reader, or no reader yet, in which case the sheet is named by its title in one sentence
(`unsupported_message`) rather than read as a list. Other readers register their forms here (the target
declaration form's reader is data_loaders.declaration).

What the evaluation list needs is read: name, 主管部门, 实施单位, 年度资金总额 (全年预算数; the sum of
the rows under it when the total is left 0, as some units do), 全年执行数, 总分 and 等级; a project form's
年初预算数 / 全年预算数 go with the row for the project (kept when the project is not otherwise known), and
its indicator block (中央/河北 and 四川 layouts) becomes a companion indicators table of stage 自评
(data_loaders.indicators reads the block).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.rules import grade_for_score
from dashboard.core.settings import Rules
from dashboard.core.vocab import SELF_KIND, STAGE_SELF
from data_loaders import cells as C
from data_loaders import declaration as D
from data_loaders import department_form as DW
from data_loaders import headers as H
from data_loaders import indicators as I
from data_loaders import keyvalue as KV
from data_loaders import monitoring_form as MF
from data_loaders import schema, validate
from data_loaders.layout import cell_text, is_blank_text, pick_title, year_from_notes
from data_loaders.problems import Problem, column_label
from data_loaders.tables import ParsedTable

_FORM_TITLE = re.compile(r"自评表|自评报告表")
_FORM_NAME_KEYS = {"项目名称": "项目支出", "部门(单位)名称": "部门整体支出", "部门名称": "部门整体支出",
                   "单位名称": "部门整体支出"}
_FORM_KEYS = ("department", "unit", "grade", "main_problems")  # labels: data_loaders.keyvalue.LABELS
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
    return re.sub(r"[\s:：*]", "", cell_text(value))


def _value_right(row: list[Any], c: int) -> tuple[Any, int] | None:
    for cc in range(c + 1, len(row)):
        if not is_blank_text(row[cc]) and cell_text(row[cc]):
            return row[cc], cc
    return None


def find_forms(grid: list[list[Any]]) -> list[Form]:
    """The self-evaluation forms on a sheet (several may be stacked), or [] when it is not one.

    A form is recognised by a title with 自评表 and a "项目名称 | <name>" (or 部门（单位）名称)
    line; it ends where the next one starts. Indicator rows are not read: the list of
    evaluations needs the name, department, unit, money (年度资金总额) and the total score.
    """
    head = " ".join(cell_text(v) for r in grid[:12] for v in r if isinstance(v, str) and len(v) <= KV.TITLE_CHARS)
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
    if any(t == "项目支出" for _r, _c, t in starts):
        # a project form may name its 主管部门 "部门名称": only 项目名称 lines start project forms
        starts = [s for s in starts if s[2] == "项目支出"]
    forms = []
    for i, (r0, c0, object_type) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(grid)
        above = [" ".join(dict.fromkeys(cell_text(v) for v in grid[r] if cell_text(v))) for r in range(max(0, r0 - 5), r0)]
        above = [a for a in above if a]
        form = Form(r0, object_type, pick_title(above), year_from_notes(above))
        value, c = _value_right(grid[r0], c0)
        form.fields["name"] = FormField(value, r0, c)
        _read_form_block(grid, r0, end, form)
        forms.append(form)
    return forms


def _read_form_block(grid: list[list[Any]], r0: int, end: int, form: Form) -> None:
    money_cols: dict[str, int] = {}
    money_row = -1
    for r in range(r0, end):
        row = grid[r]
        keys = [_key(v) for v in row]
        if "indicators" not in form.fields:
            ind_cols = I.indicator_header(row)
            if ind_cols is not None:
                skipped: dict[str, int] = {}
                form.fields["indicators"] = FormField(I.indicator_rows(grid, r, end, ind_cols, skipped), r, 0)
                form.fields["skipped"] = FormField(skipped, r, 0)
                continue
        for c, v in enumerate(row):
            name = KV.label_field(v, _FORM_KEYS)
            if name is not None and name not in form.fields:
                hit = KV.value_near(grid, r, c)
                if hit is not None:
                    form.fields[name] = FormField(*hit)
        if not money_cols:
            found: dict[str, int] = {}
            for c, v in enumerate(row):
                cands = H.candidates(v) if isinstance(v, str) else []
                if cands and cands[0] in ("initial_budget", "adjusted_budget", "executed"):
                    # the last one wins: in the 四川 layout the row-label column is headed
                    # 年度预算数(万元) and the real 调整后预算数 column comes after it
                    found[cands[0]] = c
            if len(found) >= 2:
                money_cols, money_row = found, r
                continue
        elif "fund_total" not in form.fields and (any(k in _FORM_TOTAL_ROW for k in keys)
                                                  or (r == money_row + 1 and _amounts_below(row, money_cols, grid[r - 1]))):
            c = money_cols.get("adjusted_budget", money_cols.get("initial_budget"))
            if c is not None and c < len(row):
                form.fields["fund_total"] = FormField(row[c], r, c)
                form.fields["fund_parts"] = FormField(_parts(grid, r, end, c), r, c)
            # every money column of the total row (年初预算数, 全年预算数, 全年执行数) with the rows under it
            form.fields["money"] = FormField({name: (FormField(row[mc] if mc < len(row) else None, r, mc),
                                                     _parts(grid, r, end, mc))
                                              for name, mc in money_cols.items()}, r, 0)
        if any(k in _FORM_SCORE_ROW for k in keys) and "score" not in form.fields:
            numbers = [(c, v) for c, v in enumerate(row) if isinstance(v, (int, float)) and not isinstance(v, bool)
                       or (isinstance(v, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*分?\s*", v))]
            if len(numbers) >= 2 or (len(numbers) == 1 and cell_text(numbers[0][1]) not in ("100", "100.0")):
                c, v = numbers[-1]
                form.fields["score"] = FormField(v, r, c)


def _amounts_below(row: list[Any], money_cols: dict[str, int], above: list[Any]) -> bool:
    """Whether a row right under the money header holds its amounts (全年预算数 | 全年执行数 with the values on
    the next line, no 年度资金总额 label): a number in a money column and no label left of them."""
    first = min(money_cols.values())
    if any(cell_text(v) and cell_text(v) != cell_text(above[c] if c < len(above) else None)
           for c, v in enumerate(row[:first]) if isinstance(v, str)):
        return False
    return any(c < len(row) and C.parse_money(row[c])[0] is not None for c in money_cols.values())


def _parts(grid: list[list[Any]], r: int, end: int, c: int) -> list[FormField]:
    """The cells of column c in the labelled rows under a total row (其中：当年财政拨款, 上年结转资金, …)."""
    parts = []
    for rr in range(r + 1, min(end, r + 6)):
        cell = grid[rr][c] if c < len(grid[rr]) else ""
        label = " ".join(cell_text(v) for v in grid[rr][:c] if cell_text(v))
        if not label or H.candidates(label):
            break
        parts.append(FormField(cell, rr, c))
    return parts


# --- forms → evaluation rows ---------------------------------------------------------------------

def read_forms(forms: list[Form], file: str, sheet: str | None, year: int | None,
               rules: Rules) -> tuple[ParsedTable, list[Problem]]:
    """Forms → one evaluation row each (`year` where a form's title gives none; grade bands from `rules`)."""
    problems: list[Problem] = []
    columns: dict[str, str] = {}
    grade_parse = C.enum_parser("grade", schema.EVALUATIONS.field("grade").enum)
    records = [_form_record(form, file, sheet, year, rules, grade_parse, problems, columns) for form in forms]
    for form in forms:
        if "skipped" in form.fields:
            I.skipped_warning(form.fields["skipped"].value, file, sheet, form.fields["skipped"].row + 1, problems)
    order = [f.name for f in schema.EVALUATIONS.fields] + ["department_code", "unit_code", "initial_budget",
                                                          "adjusted_budget", "_row"]
    present = [k for k in order if any(k in r for r in records)]
    data = {}
    for k in present:
        items = [r.get(k) for r in records]
        if k in ("fund_amount", "score", "executed", "initial_budget", "adjusted_budget"):
            data[k] = pd.Series([np.nan if v is None else v for v in items], dtype=float)
        elif k == "_row":
            data[k] = pd.Series(items, dtype=np.int64)
        else:
            data[k] = pd.Series(items, dtype=object)
    first = forms[0]
    meta = {"year": first.year or year, "as_of": None, "unit": "万元", "title": first.title,
            "header_rows": [], "layout": "form", "forms": len(forms), "evaluation_kind": SELF_KIND}
    table = ParsedTable(file, sheet, "evaluations", pd.DataFrame(data), {}, columns, meta)
    indicators = _form_indicators(forms, records, file, sheet, meta, problems)
    if indicators is not None:
        table.meta["companions"] = [indicators]
    return table, problems


_PROJECT_COLUMNS = ("year", "department", "department_code", "unit", "unit_code", "project_code", "project_name")


def _form_indicators(forms: list[Form], records: list[dict], file, sheet, meta, problems) -> ParsedTable | None:
    """Every indicator row of the project forms (stage 自评) as one indicators table; a department-wide
    form's indicators have no project to belong to and are not read."""
    items = [({k: rec.get(k) for k in _PROJECT_COLUMNS}, form.fields["indicators"].value)
             for form, rec in zip(forms, records)
             if form.object_type == "项目支出" and "indicators" in form.fields and rec.get("year") is not None]
    return I.form_indicator_table(file, sheet, STAGE_SELF, items, {**meta, "evaluation_kind": None}, problems)


def _form_record(form: Form, file, sheet, year, rules: Rules, grade_parse, problems: list[Problem],
                 columns: dict[str, str]) -> dict[str, Any]:
    row = form.start + 1
    fields = form.fields

    def report(f: FormField, label: str, name: str, message: str) -> None:
        text = column_label(label, f.col)
        columns.setdefault(name, text)
        problems.append(Problem(file, sheet, f.row + 1, text, message))

    rec: dict[str, Any] = {"year": form.year or year, "kind": SELF_KIND, "object_type": form.object_type, "_row": row}
    if rec["year"] is None:
        problems.append(Problem(file, sheet, row, None, "自评表的标题里没有年度（如“（2022年度）”）。"
                                "请在上传页填写年度（命令行用 --year）"))
    code, name = C.split_code_name(C.clean_text(fields["name"].value))
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
            report(f, "年度资金总额", "fund_amount", error)
        if not amount:
            parts = [C.parse_money(p.value)[0] for p in fields["fund_parts"].value]
            amount = sum(p for p in parts if p) or amount
        rec["fund_amount"] = amount
    for key, label, parse in (("score", "总分", C.parse_score), ("grade", "等级", grade_parse)):
        if key in fields:
            rec[key], error = parse(fields[key].value)
            if error:
                report(fields[key], label, key, error)
    mismatch = validate.form_grade_mismatch(rec.get("score"), rec.get("grade"), rules)
    if mismatch:
        report(fields["grade"], "等级", "grade", mismatch)
    elif not rec.get("grade"):
        rec["grade"] = grade_for_score(rec.get("score"), rules)
    if "main_problems" in fields:
        rec["main_problems"] = C.clean_long_text(fields["main_problems"].value)
    if "money" in fields:
        _form_money(fields["money"].value, form.object_type, rec, report)
    return rec


def _form_money(money: dict, object_type: str, rec: dict, report) -> None:
    """年初预算数 / 全年预算数 of a project form (kept on the project when it is not otherwise known) and
    全年执行数 (kept on the evaluation); a total left 0 is the sum of the rows under it, as for 年度资金总额."""
    targets = {"executed": "executed"}
    if object_type == "项目支出":
        targets.update({"initial_budget": "initial_budget", "adjusted_budget": "adjusted_budget"})
    labels = {"initial_budget": "年初预算数", "adjusted_budget": "全年预算数", "executed": "全年执行数"}
    for name, key in targets.items():
        if name not in money:
            continue
        total, parts = money[name]
        amount, error = C.parse_money(total.value)
        if error:
            report(total, labels[name], key, error)
            continue
        if not amount:
            values = [C.parse_money(p.value)[0] for p in parts]
            amount = sum(v for v in values if v) or amount
        rec[key] = amount


# --- which form a sheet is: one registry, for the forms read and those not supported yet ----------------

FormReader = Callable[[list, str, "str | None", "int | None", Rules], "tuple[ParsedTable, list[Problem]] | None"]


@dataclass(frozen=True)
class FormType:
    """One kind of one-object-per-sheet form, recognised by its title and its "key | value" lines.

    `read(grid, file, sheet, year, rules)` gives (table, problems), or None when the sheet turns out not
    to be this form after all; a type without `read` is known but not supported yet: the sheet is named
    by its title in one sentence, never read as a list.
    """

    name: str  # as messages name it, without the book-title marks: 项目支出绩效目标申报表
    title: re.Pattern
    read: FormReader | None = None
    takes_as_of: bool = False  # `read` takes the caller's 监控截止日期 as a sixth argument (monitoring forms)


FORM_TYPES: list[FormType] = []


def register(form_type: FormType) -> FormType:
    """Add a form type (a later registration of the same name replaces the earlier one, in its place)."""
    for i, known in enumerate(FORM_TYPES):
        if known.name == form_type.name:
            FORM_TYPES[i] = form_type
            return form_type
    FORM_TYPES.append(form_type)
    return form_type


def _read_self_evaluation(grid, file, sheet, year, rules):
    forms = find_forms(grid)
    return read_forms(forms, file, sheet, year, rules) if forms else None


def _read_monitoring(grid, file, sheet, year, rules, as_of=None):
    forms = MF.find_forms(grid)  # 《项目支出绩效目标执行监控表》: a monitoring row and its indicators
    return MF.read_monitoring_forms(forms, file, sheet, year, as_of) if forms else None


def _read_declaration(grid, file, sheet, year, rules):
    declarations = D.find_declarations(grid)  # 《项目支出绩效目标申报表》: a project and its indicators
    return D.read_declarations(declarations, file, sheet, year) if declarations else None


# 部门整体 目标表 / 自评表 before the project self-evaluation (a 自评表 keeps its evaluation row: the fallback)
register(FormType("部门整体绩效目标表/自评表", DW.TITLE, DW.reader(_read_self_evaluation)))
register(FormType("项目支出绩效自评表", _FORM_TITLE, _read_self_evaluation))
# (部门整体支出绩效目标申报表 / 批复表 are the 部门整体 reader's above: its title pattern matches them first)
register(FormType("项目支出绩效目标申报表", re.compile(r"项目(?:支出)?绩效目标(?:申报|批复)?表|绩效目标申报表"),
                  _read_declaration))
register(FormType("项目支出绩效目标执行监控表", MF.TITLE, _read_monitoring, takes_as_of=True))
register(FormType("事前绩效评估表", re.compile(r"事前绩效评估(?:报告|意见)?表")))

_HEAD_ROWS = 12
_OTHER_KEYS = frozenset({"主管部门", "主管部门及代码", "实施单位", "预算单位", "项目负责人", "联系电话", "项目属性",
                         "项目类型", "项目期限", "资金总额", "年度资金总额", "单位名称", "部门名称", "项目编码"})


def _head(grid: list[list[Any]]) -> list[str]:
    """The text lines of the first rows (each row's distinct texts joined)."""
    lines = [" ".join(dict.fromkeys(cell_text(v) for v in row if isinstance(v, str) and cell_text(v)
                                    and len(v) <= KV.TITLE_CHARS))
             for row in grid[:_HEAD_ROWS]]
    return [line for line in lines if line]


def looks_like_form(grid: list[list[Any]]) -> bool:
    """A "key | value" sheet: a 项目名称 (or 部门名称) line with a value, and another key line with a value."""
    names = others = 0
    for row in grid[:15]:
        for c, v in enumerate(row[:4]):
            k = _key(v)
            hit = _value_right(row, c) if k else None
            if hit is None or H.candidates(hit[0]):
                continue
            if k in _FORM_NAME_KEYS:
                names += 1
            elif k in _OTHER_KEYS:
                others += 1
    return names >= 1 and others >= 1


def identify(grid: list[list[Any]]) -> tuple[FormType, str] | None:
    """The registered form type a sheet is and the title line naming it, or None. A type read by a reader is
    taken on its title alone (its reader decides); one not supported yet needs the form's key lines too."""
    head = _head(grid)
    text = " ".join(head)
    for form_type in FORM_TYPES:
        if not form_type.title.search(text):
            continue
        if form_type.read is None and not looks_like_form(grid):
            continue
        title = next((line for line in head if form_type.title.search(line)), form_type.name)
        return form_type, title
    return None


def untitled_form(grid: list[list[Any]]) -> str | None:
    """The title of a form no type is registered for (a "key | value" sheet under a title ending in 表), or None."""
    if not looks_like_form(grid):
        return None
    title = pick_title(_head(grid)[:4])
    return title if title and re.search(r"表\s*$|表[(（]", title) else None


def unsupported_message(title: str, sheet: str | None, name: str | None = None) -> str:
    """The one sentence that names a form not supported yet by its title."""
    title = re.sub(r"\s+", "", title)[:40].strip("《》")
    where = f"工作表“{sheet}”" if sheet else "这个文件"
    known = f"（{name}）" if name and name not in title else ""
    return (f"{where}是《{title}》{known}，这种一个项目一张的表单目前还不能导入，没有读取；"
            "请改用清单格式（每行一个项目，可下载标准模板）或导出清单后再上传")
