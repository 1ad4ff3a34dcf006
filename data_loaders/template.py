"""The canonical import workbook: an instructions sheet, then one sheet per canonical table with drop-down
lists and one example row.

The example rows are marked so that they never reach the data: every name cell (主管部门, 预算单位,
项目名称) starts with validate.EXAMPLE_MARK 「【示例】」, and the row is shaded grey. The reader skips a
marked row with a warning naming it (sheet.SheetReader.skip_examples), and a file of nothing but
example rows is refused (validate.template_only). Without the mark the examples import cleanly as one
consistent set (a project through its whole lifecycle).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import xlsxwriter

from dashboard.core.vocab import (
    BOOL,
    CODE,
    DATE,
    DEPARTMENT_KINDS,
    EVALUATION_OBJECTS,
    EX_ANTE_RESULTS,
    FINDING_STATUSES,
    FUND_SOURCES,
    GRADES,
    INDEPENDENT_KINDS,
    LIKELIHOODS,
    MONEY,
    NUMBER,
    PERCENT,
    PROJECT_CATEGORIES,
    SCORE,
    SIGNED_MONEY,
    STAGES,
    TEXT,
    VOTES,
    YEAR,
)
from data_loaders import schema
from data_loaders.validate import EXAMPLE_MARK

INSTRUCTIONS = "填表说明"
VALIDATED_ROWS = 2000  # drop-down lists cover this many data rows

BOOL_WORDS = ("是", "否")  # the drop-down of yes/no columns (the reader accepts more spellings)
KEY_EVALUATION = INDEPENDENT_KINDS[1]  # 财政重点评价: the example evaluation and the finding's source

# One example per sheet; together they describe one project through its whole lifecycle,
# so without their mark the template imports as a consistent set (and re-importing it changes nothing).
EXAMPLE_YEAR = 2025
MARKED_FIELDS = ("department", "unit", "project_name")  # the cells of an example row that carry the mark
EXAMPLE_FILL = "#EDEDED"
EXAMPLES: dict[str, dict[str, object]] = {
    "units": {
        "department_code": "101", "department": "区教育局", "unit_code": "101001", "unit": "区教育局本级",
        "unit_kind": DEPARTMENT_KINDS[0], "sector": "教育", "contact": "张敏", "phone": "0731-84561234",
    },
    "projects": {
        "year": EXAMPLE_YEAR, "department": "区教育局", "unit": "区教育局本级", "project_code": "P2025101001",
        "project_name": "校舍维修改造", "category": PROJECT_CATEGORIES[0], "fund_source": FUND_SOURCES[0], "initial_budget": 120.0,
        "adjusted_budget": 150.0, "has_target": "是", "target_grade": GRADES[0], "ex_ante_result": EX_ANTE_RESULTS[0], "is_key": "是",
    },
    "monitoring": {
        "year": EXAMPLE_YEAR, "as_of": dt.date(EXAMPLE_YEAR, 8, 31), "department": "区教育局", "unit": "区教育局本级",
        "project_code": "P2025101001", "project_name": "校舍维修改造", "adjusted_budget": 150.0, "executed": 90.0,
        "execution_rate": 0.6, "target_progress": 0.7, "deviation_reason": "部分工程款待验收后支付",
        "likelihood": LIKELIHOODS[0], "needs_rectification": "否", "rectification_requirement": None,
    },
    "evaluations": {
        "year": EXAMPLE_YEAR, "kind": KEY_EVALUATION, "object_type": EVALUATION_OBJECTS[0], "department": "区教育局",
        "unit": "区教育局本级", "project_code": "P2025101001", "project_name": "校舍维修改造", "fund_amount": 150.0,
        "score": 91.5, "grade": GRADES[0], "evaluator": "某会计师事务所", "deputies_participated": "是",
        "main_problems": "绩效指标不够细化", "result_application": "优先保障", "next_year_budget_change": 10.0,
    },
    "findings": {
        "year": EXAMPLE_YEAR, "source": KEY_EVALUATION, "department": "区教育局", "unit": "区教育局本级",
        "project_code": "P2025101001", "project_name": "校舍维修改造", "description": "绩效指标不够细化",
        "requirement": "细化量化产出和效益指标", "deadline": dt.date(EXAMPLE_YEAR + 1, 3, 31), "status": FINDING_STATUSES[1],
        "completed_on": None, "measures": "已修订绩效目标表", "amount": 0.0, "problem_category": "绩效目标不完整",
        "original_deadline": dt.date(EXAMPLE_YEAR, 12, 31), "extension_reason": "需随下年预算一并调整",
        "extension_approver": "区财政局", "verified_on": None, "verified_by": None, "verification_method": None,
        "exclusion": None, "exclusion_reason": None,
    },
    "satisfaction": {
        "year": EXAMPLE_YEAR, "department": "区教育局", "unit": "区教育局本级", "subject": "绩效评价发现问题整改情况",
        "satisfied": 12, "basically": 3, "unsatisfied": 1,
    },
    "inquiries": {
        "year": EXAMPLE_YEAR, "department": "区教育局", "unit": "区教育局本级", "project_code": "P2025101001",
        "project_name": "校舍维修改造", "asker": "区人大教科文卫工委", "question": "校舍维修改造资金为什么执行偏慢，年底前能否完成？",
        "asked_on": dt.date(EXAMPLE_YEAR, 9, 10), "due_on": dt.date(EXAMPLE_YEAR, 10, 10),
        "answer": "工程已完工，待验收后支付尾款，预计11月底前支付完毕", "answered_on": dt.date(EXAMPLE_YEAR, 9, 28),
        "rating": VOTES[0],
    },
    "indicators": {
        "year": EXAMPLE_YEAR, "stage": STAGES[2], "department": "区教育局", "unit": "区教育局本级",
        "project_code": "P2025101001", "project_name": "校舍维修改造", "level1": "产出指标", "level2": "数量指标",
        "name": "维修校舍面积", "comparator": "≥", "target": "1.2", "measure_unit": "万平方米", "actual": "1.25",
        "current": None, "expected": None, "weight": 20.0, "score": 20.0, "deviation_reason": None, "likelihood": None,
    },
}

EXAMPLE_COUNTS = {"departments": 1, "units": 1, "projects": 1, "monitoring": 1, "evaluations": 1, "findings": 1,
                  "indicators": 1, "department_wide": 0, "department_tasks": 0, "department_indicators": 0,
                  "finding_extensions": 1, "satisfaction_votes": 1, "inquiries": 1}

SHEET_NOTES = {
    "units": "主管部门（一级预算单位）及其下属预算单位。一行一个单位；主管部门本级也是一个单位（如“区教育局本级”）。",
    "projects": "当年的项目支出清单及预算、绩效目标情况。项目编码在同一年度内唯一；没有编码时按“主管部门/预算单位 + 项目名称”识别。",
    "monitoring": "绩效运行监控（“双监控”）：截至监控截止日期的执行数与目标完成进度。同一项目每个截止日期一行。",
    "evaluations": "绩效评价结果：单位自评、部门评价、财政重点评价、抽查复核。评价对象类型为“部门整体支出”或“政策”的行不关联项目。",
    "findings": ("评价、监控、审计等发现的问题及整改情况。整改状态：未整改 / 整改中 / 已整改。整改时限写当前的时限；"
                 "延期过的问题在“原定整改时限”写最初的时限，并写延期原因和延期批准人。财政或人大核验过“已整改”的问题填"
                 "核验日期、核验人和核验方式。确属历史遗留或客观原因的，在“特殊情形”中选择并写明说明（不写说明的不予扣除）。"),
    "satisfaction": ("人大对单位（或主管部门）整改情况报告的满意度测评：一个年度、一个单位一行，填满意、基本满意、"
                     "不满意的票数。不填预算单位的行算作主管部门的测评。"),
    "inquiries": ("人大代表或专门委员会向部门（单位）提出的询问及答复，一个问题一行：询问人、询问日期、询问内容、答复期限；"
                  "答复后补填答复内容、答复日期和询问人的满意度（满意 / 基本满意 / 不满意）。同一询问人同一天的同一问题只记一次，"
                  "补填答复后再次导入会更新原记录。项目编码或名称可不填；填了的关联本年度已有的项目。"),
    "indicators": ("项目的绩效指标，一个指标一行：阶段为 申报（绩效目标申报表）、监控（填截至目前完成值和全年预计完成值）、"
                   "自评或评价（填实际完成值）。指标值可写成“≥95%”“≥120万平方米”，也可把 ≥、=、≤ 写在“指标性质”、"
                   "单位写在“度量单位”。实际值满足指标值的算“已完成”（规则见 docs/rules.md）。"),
}

TYPE_NOTES = {
    TEXT: "文字", CODE: "编码（文字）", MONEY: "金额，万元，不能为负", SIGNED_MONEY: "金额，万元，减少填负数",
    PERCENT: "百分比（如 66.5% 或 0.665）", SCORE: "0–100 分，可带小数", DATE: "日期（如 2025-08-31）",
    BOOL: " / ".join(BOOL_WORDS), YEAR: "四位年份（如 2025）", NUMBER: "数字",
}
# 绩效指标 value cells kept as text, so that a typed "≥95%" or "100%" is not turned into a number by Excel; and the
# units' 联系电话 (a number typed there would lose its leading 0)
TEXT_CELLS = frozenset({"comparator", "target", "measure_unit", "actual", "current", "expected", "phone"})


def _choices(f: schema.Field) -> tuple[str, ...] | None:
    if f.enum:
        return f.enum
    if f.type == BOOL:
        return BOOL_WORDS
    return None


def _required_note(kind: str, f: schema.Field) -> str:
    if f.required:
        return "必填"
    for group in schema.ONE_OF.get(kind, ()):
        if f.name in group:
            others = "、".join(schema.TABLES[kind].field(n).label for n in group if n != f.name)
            return f"与{others}至少填一项"
    return ""


def build_template() -> bytes:
    """The workbook as bytes (the upload page offers it for download)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    title = wb.add_format({"bold": True, "font_size": 14})
    money, pct, date, text_fmt = ({"num_format": n} for n in ("#,##0.00", "0.0%", "yyyy-mm-dd", "@"))
    # each number format plain (the column's) and shaded (the example row's cells)
    column_fmt = {k: wb.add_format(v) for k, v in (("money", money), ("pct", pct), ("date", date), ("text", text_fmt))}
    example_fmt = {k: wb.add_format({**v, "bg_color": EXAMPLE_FILL, "font_color": "#595959"})
                   for k, v in (("money", money), ("pct", pct), ("date", date), ("text", text_fmt), (None, {}))}

    ws = wb.add_worksheet(INSTRUCTIONS)
    ws.set_column(0, 0, 110)
    ws.write(0, 0, "预算绩效数据导入模板 填表说明", title)
    lines = [
        "1. 金额单位一律为万元（如表中写明“单位：元”，导入时自动换算为万元）。",
        "2. 每张表第一行是表头，请勿修改列名；可以删去不用的列，必填列不能删。",
        (f"   第二行是灰色的示例行，名称以“{EXAMPLE_MARK}”开头：导入时自动跳过（并给出提示），不会写入数据。"
         f"可以删除示例行；照它填写时请删去“{EXAMPLE_MARK}”，否则这一行也会被跳过。"),
        "3. 同一次导入的多个文件作为一个整体校验：任何一处错误都不会写入数据，错误信息会指出文件、工作表、行号和列。",
        "4. 再次导入同一文件不会产生重复数据；修改后的文件会更新已有记录。每次导入都可以在“导入记录”中撤销。",
        "5. 是/否 也可填 √/×、Y/N、有/无；整改状态也接受 已完成、已销号、正在整改、未启动 等常见说法。",
    ]
    for i, line in enumerate(lines, start=2):
        ws.write(i, 0, line)
    # one sentence per row in column A only: a row of short header-like cells would look like a data
    # table to the reader, and the instructions sheet must never be imported
    row = len(lines) + 3
    section = wb.add_format({"bold": True})
    for spec in schema.TABLES.values():
        ws.write(row, 0, f"【{spec.label}】工作表：{SHEET_NOTES[spec.kind]}", section)
        row += 1
        for f in spec.fields:
            choices = _choices(f)
            note = "可选：" + "、".join(choices) if choices else TYPE_NOTES.get(f.type, "")
            need = _required_note(spec.kind, f)
            ws.write(row, 0, f"    · {f.label}{'（' + need + '）' if need else ''}：{note}")
            row += 1
        row += 1

    for spec in schema.TABLES.values():
        ws = wb.add_worksheet(spec.label)
        ws.freeze_panes(1, 0)
        example = EXAMPLES[spec.kind]
        for col, f in enumerate(spec.fields):
            ws.write(0, col, f.label, bold)
            width = max(len(f.label) * 2 + 2, 10)
            fmt = None
            if f.type in (MONEY, SIGNED_MONEY):
                fmt = "money"
            elif f.type == PERCENT:
                fmt = "pct"
            elif f.type == DATE:
                fmt, width = "date", max(width, 12)
            elif f.type == CODE:
                fmt, width = "text", max(width, 16)
            elif f.name in TEXT_CELLS:
                fmt = "text"
            elif f.type == TEXT and f.name in ("project_name", "department", "unit", "description",
                                                       "deviation_reason", "main_problems", "requirement",
                                                       "rectification_requirement", "measures", "result_application",
                                                       "question", "answer"):
                width = max(width, 22)
            ws.set_column(col, col, width, column_fmt.get(fmt))
            _write_example(ws, col, f.name, example.get(f.name), example_fmt[fmt])
            choices = _choices(f)
            if choices:
                ws.data_validation(1, col, VALIDATED_ROWS, col, {
                    "validate": "list", "source": list(choices),
                    "error_title": "请从列表中选择", "error_message": "可选值：" + "、".join(choices),
                    "error_type": "warning",  # synonyms (√, 已销号 …) are accepted on import, so only warn
                })
        ws.set_row(0, 30)
    wb.close()
    return buffer.getvalue()


def _write_example(ws, col: int, name: str, value, fmt) -> None:
    """One cell of the example row (row 2): shaded, and a name cell starting with the example mark."""
    if value is None:
        ws.write_blank(1, col, None, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(1, col, dt.datetime.combine(value, dt.time()), fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(1, col, value, fmt)
    else:
        ws.write_string(1, col, (EXAMPLE_MARK if name in MARKED_FIELDS else "") + str(value), fmt)


def write_template(out: str | os.PathLike) -> Path:
    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_template())
    return path
