"""Generated files in the layouts of issue 12's importer seams (month columns, a child header under a merged parent,
hidden and drop-down list sheets, evaluation kind and year from title or file name, forms not supported yet), each
with the figures it must yield, worked out by hand in the docstrings.

A fixture module like corpus.py: the tests import from here. Every builder writes one file into `d` and returns
(path, expected).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.datavalidation import DataValidation

Rows = list[list[Any]]


def _book(sheets: dict[str, tuple[Rows, list[str]]]) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (rows, merges) in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for rng in merges:
            ws.merge_cells(rng)
    return wb


def _xlsx(path: Path, sheets: dict[str, tuple[Rows, list[str]]]) -> Path:
    _book(sheets).save(path)
    return path


# --- 3. month columns ------------------------------------------------------------------------------------

# five projects of 100 万元 each, spending by month (None: nothing that month)
MONTHS = {
    "校舍维修": [5, 5, 10, 10, 10, 10, 10, 10],  # 70   → 70%: lag 66.58 − 70 < 10 → green
    "教师培训": [0, 10, 10, 10, 10, 10, 5, 5],  # 60   → 60%: lag 6.58 → green
    "营养餐补助": [None, None, 10, 10, 10, 10, 5, 5],  # 50 → lag 16.58 → yellow
    "设备购置": [6, 6, 6, 6, 6, 6, 6, 6.1],  # 48.1 → lag 18.48 → yellow
    "疫苗冷链": [5, 5, 5, 5, 5, 5, 5, 5],  # 40   → lag 26.58 → red
}
# 2023-08-31 is day 243 of 365: 序时进度 T = 66.575%. Σ executed 268.1 of Σ budget 500 → 53.62%.
# Reading only 1月执行数 (what the importer did before) gives 5+0+0+6+5 = 16 → 3.2%, every project red.


def monitoring_month_columns(d: Path) -> tuple[Path, dict]:
    """1月执行数 … 8月执行数 as eight columns; the title gives the year (2023) but no date: the executed figure
    is the sum of the months, the as-of date the end of the latest month (2023-08-31)."""
    header = ["序号", "主管部门", "项目名称", "调整后预算"] + [f"{m}月执行数" for m in range(1, 9)]
    rows: Rows = [["青山区2023年项目支出执行情况表"], [None] * 11 + ["单位：万元"], header]
    for i, (name, months) in enumerate(MONTHS.items(), start=1):
        rows.append([i, "青山区教育局", name, 100, *months])
    rows.append(["合计", None, None, 500, *[sum(m[k] or 0 for m in MONTHS.values()) for k in range(8)]])
    path = _xlsx(d / "monitoring_month_columns.xlsx", {"执行情况": (rows, ["A1:L1"])})
    return path, {
        "as_of": dt.date(2023, 8, 31), "year": 2023, "sum_budget": 500.0, "sum_executed": 268.1,
        "executed": {"校舍维修": 70.0, "教师培训": 60.0, "营养餐补助": 50.0, "设备购置": 48.1, "疫苗冷链": 40.0},
        "execution_rate": 0.5362, "green": 2, "yellow": 2, "red": 1, "grey": 0, "reported": 5,
    }


def monitoring_running_total_under_parent(d: Path) -> tuple[Path, dict]:
    """执行数（万元） merged over 1-6月累计 | 7月 | 8月, a 年度 column and no title: executed = 1-6月累计 + 7月 + 8月,
    as of 2023-08-31 (each row's year, the latest month). Same projects as the month columns:
    1-6月累计 = Σ months 1–6 of MONTHS."""
    rows: Rows = [
        ["年度", "主管部门", "项目名称", "调整后预算", "执行数（万元）", None, None],
        [None, None, None, None, "1-6月累计", "7月", "8月"],
    ]
    for name, months in MONTHS.items():
        rows.append([2023, "青山区教育局", name, 100, round(sum(m or 0 for m in months[:6]), 2), months[6], months[7]])
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:G1"]
    path = _xlsx(d / "monitoring_running_total.xlsx", {"监控": (rows, merges)})
    return path, {"as_of": dt.date(2023, 8, 31), "year": 2023, "sum_budget": 500.0, "sum_executed": 268.1,
                  "execution_rate": 0.5362, "green": 2, "yellow": 2, "red": 1, "grey": 0, "reported": 5}


# columns of one field that cannot be told apart: (headers after 年度/截止日期/主管部门/项目名称/调整后预算, what
# the error names)
AMBIGUOUS = {
    "no_month": (["执行数", "支出数"], "表头没有写明月份"),
    "same_month": (["8月执行数", "8月支出数"], "表示同一时期"),
    "gap": (["1月执行数", "2月执行数", "4月执行数"], "缺少3月"),
}


def monitoring_ambiguous(d: Path, case: str) -> tuple[Path, dict]:
    headers, message = AMBIGUOUS[case]
    rows: Rows = [["年度", "监控截止日期", "主管部门", "项目名称", "调整后预算", *headers],
                  [2023, "2023-08-31", "青山区教育局", "校舍维修", 100, *[10] * len(headers)]]
    path = _xlsx(d / f"ambiguous_{case}.xlsx", {"监控": (rows, [])})
    letters = "FGH"[: len(headers)]
    return path, {"message": message, "columns": [f"{h}（{x}列）" for h, x in zip(headers, letters)]}


# --- 4. a child header under a merged parent -------------------------------------------------------------

# (project, 年初预算, 调整后预算, 是否设定, 审核等级): four of five with targets, 924 of 1000 万元
TARGETS = [
    ("校舍维修", 300, 300, "是", "优"),
    ("教师培训", 250, 250, "是", "良"),
    ("营养餐补助", 200, 224, "是", "良"),
    ("设备购置", 150, 150, "是", "中"),
    ("疫苗冷链", 80, 76, "否", None),
]


def projects_merged_target_header(d: Path) -> tuple[Path, dict]:
    """项目资金（万元） merged over 年初预算数 | 调整后预算数 and 绩效目标 merged over 是否设定 | 审核等级; other
    headers merged down; an extra column 重点项目标识 that looks like 是否重点项目 but is not read (a warning).
    Coverage: by count 4/5 = 80%; by money (300+250+224+150)/1000 = 92.4%; grey = the 4 projects with targets
    and no monitoring record."""
    rows: Rows = [
        ["2023年度项目绩效目标情况表"],
        ["序号", "主管部门", "项目名称", "项目资金（万元）", None, "绩效目标", None, "重点项目标识"],
        [None, None, None, "年初预算数", "调整后预算数", "是否设定", "审核等级", None],
    ]
    for i, (name, initial, adjusted, has, grade) in enumerate(TARGETS, start=1):
        rows.append([i, "青山区教育局", name, initial, adjusted, has, grade, "是" if i == 1 else None])
    merges = ["A1:H1", "A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:G2", "H2:H3"]
    path = _xlsx(d / "projects_merged_target_header.xlsx", {"项目": (rows, merges)})
    return path, {
        "year": 2023, "projects": 5, "budget_total": 1000.0, "by_count": 0.8, "by_funds": 0.924, "grey": 4,
        "has_target": {"校舍维修": True, "教师培训": True, "营养餐补助": True, "设备购置": True, "疫苗冷链": False},
        "target_grade": {"校舍维修": "优", "教师培训": "良", "营养餐补助": "良", "设备购置": "中", "疫苗冷链": None},
        "warning_column": "重点项目标识（H列）", "resembles": "是否重点项目",
    }


# --- 5. hidden sheets and drop-down lists ---------------------------------------------------------------

def workbook_with_list_sheets(d: Path) -> tuple[Path, dict]:
    """A 项目 sheet whose 是否设定绩效目标 and 资金来源 cells are drop-downs fed by the visible sheet 下拉选项 (every
    filled column of it is a list source), a hidden sheet 隐藏选项 and a very hidden one 系统 whose lists would
    read as an evaluation list with errors, and a visible 部门单位 sheet whose 主管部门 column also feeds a
    drop-down but which has other columns: it is data and is read.
    Projects: 2, budget 120 + 50 = 170, one with targets (120 of 170)."""
    projects: Rows = [
        ["年度", "主管部门", "项目名称", "资金来源", "调整后预算", "是否设定绩效目标"],
        [2023, "青山区教育局", "校舍维修", "一般公共预算", 120, "是"],
        [2023, "青山区教育局", "教师培训", "政府性基金预算", 50, "否"],
    ]
    options: Rows = [["是否", "资金来源"], ["是", "一般公共预算"], ["否", "政府性基金预算"]]
    hidden: Rows = [["评价类型", "等级", "整改状态"], ["单位自评", "优", "未整改"], ["部门评价", "良", "整改中"],
                    ["某某", "特优", "搁置"]]
    units: Rows = [["主管部门", "单位名称", "单位类型"], ["青山区教育局", "青山区第一中学", "部门"]]
    wb = _book({"项目": (projects, []), "下拉选项": (options, []), "隐藏选项": (hidden, []), "系统": (hidden, []),
                   "部门单位": (units, [])})
    ws = wb["项目"]
    for formula, cells in (("'下拉选项'!$A$2:$A$3", "F2:F100"), ("'下拉选项'!$B$2:$B$3", "D2:D100"),
                           ("'部门单位'!$A$2:$A$2", "B2:B100")):
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.add(cells)
        ws.add_data_validation(dv)
    wb["隐藏选项"].sheet_state = "hidden"
    wb["系统"].sheet_state = "veryHidden"
    path = d / "workbook_with_lists.xlsx"
    wb.save(path)
    return path, {
        "skipped": {"下拉选项": "下拉列表", "隐藏选项": "隐藏的工作表", "系统": "深度隐藏"},
        "projects": 2, "budget_total": 170.0, "by_count": 0.5, "by_funds": round(120 / 170, 4), "units": 1,
    }


# --- 6. evaluation kind from the title ------------------------------------------------------------------

KIND_TITLES = {
    "重点绩效评价": "财政重点评价", "财政重点绩效评价": "财政重点评价", "第三方绩效评价": "财政重点评价",
    "财政绩效评价": "财政重点评价", "部门绩效评价": "部门评价", "绩效自评": "单位自评", "抽查复核": "抽查复核",
    "复评": "抽查复核",
}


def evaluations_titled(d: Path, words: str | None, name: str = "evaluations_titled.xlsx") -> tuple[Path, dict]:
    """An evaluation list without a 评价类型 column, titled "青山区2023年度{words}结果汇总表" (no title when None):
    two projects, scores 92 and 75 (优, 中)."""
    rows: Rows = [["序号", "主管部门", "项目名称", "评价金额(万元)", "得分"],
                  [1, "青山区教育局", "校舍维修", 120, 92], [2, "青山区卫健委", "设备购置", 30, 75]]
    if words is not None:
        rows.insert(0, [f"青山区2023年度{words}结果汇总表"])
    path = _xlsx(d / name, {"结果": (rows, ["A1:E1"] if words else [])})
    return path, {"count": 2, "avg_score": 83.5, "grades": {"优": 1, "良": 0, "中": 1, "差": 0}, "fund": 150.0}


# --- 7. the year in the file name --------------------------------------------------------------------------

def projects_year_in_file_name(d: Path, name: str = "2023年项目清单.xlsx") -> tuple[Path, dict]:
    """A project list with no 年度 column and no title: only the file name says 2023."""
    rows: Rows = [["主管部门", "项目名称", "调整后预算", "是否设定绩效目标"],
                  ["青山区教育局", "校舍维修", 100, "是"], ["青山区教育局", "教师培训", 60, "否"]]
    path = _xlsx(d / name, {"Sheet1": (rows, [])})
    return path, {"year": 2023, "projects": 2, "budget_total": 160.0, "by_count": 0.5, "by_funds": 0.625}


# --- 8. forms not supported yet --------------------------------------------------------------------------

def unsupported_form(d: Path, title: str = "项目事前绩效评估表", name: str = "form.xlsx") -> tuple[Path, dict]:
    """A one-project "key | value" form under `title` (a registered form not read yet, or no known type at all):
    refused with one sentence naming the title, none of its cell values quoted as headers."""
    w = 6
    pad = lambda *cells: list(cells) + [None] * (w - len(cells))
    rows: Rows = [
        pad(title),
        pad("（2023年度）"),
        pad("项目名称", "校舍维修改造工程"),
        pad("主管部门及代码", "101-青山区教育局", None, "实施单位", "青山区第一中学"),
        pad("项目资金（万元）", "年度资金总额", 120, "其中：财政拨款", 100),
        pad("一级指标", "二级指标", "三级指标", "指标值", "评估意见"),
        pad("产出指标", "数量指标", "维修面积", "≥1200平方米", "合理"),
    ]
    path = _xlsx(d / name, {"评估表": (rows, ["A1:F1", "A2:F2", "B3:F3"])})
    return path, {"title": title, "values": ["校舍维修改造工程", "101-青山区教育局", "青山区第一中学", "维修面积"]}
