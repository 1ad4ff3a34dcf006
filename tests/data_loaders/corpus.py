"""A corpus of realistic messy input files (the docs/data-formats.md cases) with the figures each must yield.

`build_corpus(dir)` writes the good files and returns {name: (path, expected)}; `expected` states
what reading (and importing) the file must give: table kind, data rows, sums in 万元, year, as_of,
and for evaluations/findings the counts by grade/status. `write_bad_files(dir)` writes files that
must be refused and returns, for each, the first error (file, sheet, row, column part, message
part). Used by tests/data_loaders and by the importer's end-to-end tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

import openpyxl

Rows = list[list[Any]]


def _xlsx(path: Path, sheets: dict[str, tuple[Rows, list[str]]]) -> Path:
    """Write sheets {name: (rows, merged ranges like "A1:F1")} with openpyxl."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (rows, merges) in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    cell = ws.cell(r, c, value)
                    if isinstance(value, float) and False:
                        cell.number_format = "0%"
        for rng in merges:
            ws.merge_cells(rng)
    wb.save(path)
    return path


def _csv(path: Path, rows: Rows, encoding: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# --- good files ------------------------------------------------------------------------------

def monitoring_title_yuan(d: Path) -> tuple[Path, dict]:
    """附件1 / 报表编号 / title with 2022年1-8月 / 填报单位 + 金额单位：元 in the rightmost cell;
    department merged down; 小计 rows, a 合计 row, a blank row, 注 and 填表人 footnotes;
    money in 元 (÷10,000), rates as "86%" text, one executed above budget (a warning)."""
    rows: Rows = [
        ["附件1"],
        ["报表编号：510000_0013zp"],
        ["2022年1-8月项目支出绩效监控情况表"],
        ["填报单位（盖章）：青山区财政局", None, None, None, None, None, None, None, "金额单位：元"],
        ["序号", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算数", "截至8月底执行数", "预算执行率",
         "完成目标可能性"],
        [1, "青山区教育局", "青山区第一中学", "P2022001", "校舍维修（一期）", "1,200,000.00", 600000, "50%", "确定能"],
        [2, None, "青山区第二中学", "P2022002", "教师培训", 800000, "200,000", "25.00%", "有可能"],
        [3, None, "青山区教育局本级", "P2022003", "营养餐补助", 2000000, 2100000, "105%", "确定能"],
        [None, "青山区教育局小计", None, None, None, 4000000, 2900000, None, None],
        [4, "青山区卫健委", "青山区人民医院", "P2022004", "设备购置", "３０００００", "１５００００", "５０％", "1"],
        [5, None, "青山区疾控中心", "P2022005", "疫苗冷链", 500000, 0, "0%", "完全不可能"],
        [None, None, None, None, None, None, None, None, None],
        [6, "青山区农业农村局", "青山区农技站", "P2022006", "高标准农田建设-二期", 1000000, 700000, "70%", "有可能"],
        ["合计", None, None, None, None, 5800000, 3750000, None, None],
        ["注：执行率=执行数/调整后预算数。"],
        ["填表人：张三", None, None, "审核人：李四"],
    ]
    merges = ["B6:B8", "B10:B11", "A3:I3"]
    path = _xlsx(d / "monitoring_title_yuan.xlsx", {"监控情况": (rows, merges)})
    return path, {
        "kind": "monitoring", "sheet": "监控情况", "rows": 6, "year": 2022, "as_of": dt.date(2022, 8, 31),
        "unit": "元", "sum_budget": 580.0, "sum_executed": 375.0, "header_rows": [5],
        "excel_rows": [6, 7, 8, 10, 11, 13],
        "departments": {"青山区教育局": 3, "青山区卫健委": 2, "青山区农业农村局": 1},
        "warnings": 1,  # row 8: 210 万元 executed of 200 万元
        "errors": 0,
        "project_names": ["校舍维修(一期)", "教师培训", "营养餐补助", "设备购置", "疫苗冷链", "高标准农田建设-二期"],
    }


def projects_two_row_header(d: Path) -> tuple[Path, dict]:
    """Title with （2022年度）, 单位：万元, a two-row header: 项目资金（万元） merged over
    年初预算数 | 全年预算数, other headers merged down over both rows; codes run together
    with names ("51000021R000000019951-工资性支出"); yes/no as √/×/有/无."""
    rows: Rows = [
        ["2022年度部门项目支出预算表"],
        ["（2022年度）", None, None, None, None, None, "单位：万元"],
        ["序号", "主管部门", "项目名称", "项目资金（万元）", None, "是否设定绩效目标", "资金来源"],
        [None, None, None, "年初预算数", "全年预算数", None, None],
        [1, "219-池州市贵池区棠溪镇人民政府", "51000021R000000019951-工资性支出", 10606.7522, 10606.7522, "√",
         "一般公共"],
        [2, None, "51000021R000000019952-村道养护-2022", 120.5, 130.5, "×", "政府性基金"],
        [3, "青山区教育局", "营养餐（一期）", "1,000.00", None, "有", "一般公共预算"],
        [4, None, "校园安保", 50, 45, "无", "/"],
        ["其中：财政拨款", None, None, 40, 40, None, None],
        ["合  计", None, None, 11777.2522, 10782.2522, None, None],
    ]
    merges = ["A1:G1", "A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:F4", "G3:G4", "B5:B6", "B7:B8"]
    path = _xlsx(d / "projects_two_row_header.xlsx", {"项目": (rows, merges)})
    return path, {
        "kind": "projects", "sheet": "项目", "rows": 4, "year": 2022, "header_rows": [3, 4],
        "sum_initial": 11777.2522, "sum_adjusted": 10782.2522,
        # budget_total = Σ adjusted, initial where no adjusted: 10606.7522 + 130.5 + 1000 + 45
        "budget_total": 11782.2522,
        "project_codes": ["51000021R000000019951", "51000021R000000019952", None, None],
        "project_names": ["工资性支出", "村道养护-2022", "营养餐(一期)", "校园安保"],
        "departments": ["池州市贵池区棠溪镇人民政府", "池州市贵池区棠溪镇人民政府", "青山区教育局", "青山区教育局"],
        "department_codes": ["219", "219", None, None],
        "has_target": [True, False, True, False],
        "fund_sources": ["一般公共预算", "政府性基金预算", "一般公共预算", None],
        "errors": 0,
    }


def monitoring_header_unit_override(d: Path) -> tuple[Path, dict]:
    """金额单位：元 for the file, but the amount headers say （万元）: they stay 万元.
    Title "截至2022年6月30日" gives as_of; full-width digits and blank tokens (/, —, 无)."""
    rows: Rows = [
        ["青山区项目绩效运行监控表（截至2022年6月30日）"],
        [None, None, None, None, None, None, "金额单位：元"],
        ["主管部门", "预算单位", "项目名称", "调整后预算数（万元）", "1-6月执行数(万元)", "目标完成进度", "偏差原因"],
        ["青山区教育局", "青山区第一中学", "校舍维修", "１２３．４５", "61.725", "50%", "—"],
        ["青山区教育局", "青山区第一中学", "图书购置", 20, "/", "——", "无"],
        ["青山区教育局", "青山区第二中学", "教师培训", "1,000", 400, 0.4, "资金未到位"],
    ]
    path = _xlsx(d / "monitoring_header_unit.xlsx", {"Sheet1": (rows, ["A1:G1"])})
    return path, {
        "kind": "monitoring", "rows": 3, "year": 2022, "as_of": dt.date(2022, 6, 30),
        "sum_budget": 1143.45, "sum_executed": 461.725, "errors": 0, "warnings": 0,
        "target_progress": [0.5, None, 0.4], "deviation_reasons": [None, None, "资金未到位"],
    }


def evaluations_key(d: Path) -> tuple[Path, dict]:
    """财政重点评价 results: kind only in the title, 评价对象 mixes 项目 and 部门整体, grades as
    优秀/良好/合格, one row with a score only (grade filled from it), scores with decimals."""
    rows: Rows = [
        ["附件2"],
        ["青山区2022年度财政重点评价结果汇总表"],
        ["序号", "评价对象", "部门名称", "项目名称", "评价金额(万元)", "综合得分", "评价等级", "评价机构", "主要问题"],
        [1, "项目", "青山区教育局", "营养餐补助", 2000, 93.4, "优秀", "某会计师事务所", "绩效目标不够细化"],
        [2, "项目", "青山区卫健委", "设备购置", 30, 81.5, "良好", "某会计师事务所", "无"],
        [3, "部门整体", "青山区农业农村局", "青山区农业农村局部门整体支出", 5000, 78, "合格", "某咨询公司", None],
        [4, "项目支出", "青山区教育局", "教师培训", 80, 59.9, None, None, "培训覆盖面不足"],
    ]
    path = _xlsx(d / "evaluations_key.xlsx", {"重点评价": (rows, ["B2:I2"])})
    return path, {
        "kind": "evaluations", "rows": 4, "year": 2022, "evaluation_kind": "财政重点评价",
        "grades": ["优", "良", "中", "差"], "scores": [93.4, 81.5, 78.0, 59.9],
        "object_types": ["项目支出", "项目支出", "部门整体支出", "项目支出"],
        "avg_score": round((93.4 + 81.5 + 78 + 59.9) / 4, 2), "sum_fund_amount": 7110.0, "errors": 0,
    }


def findings_gbk_csv(d: Path) -> tuple[Path, dict]:
    """A GBK CSV 整改台账: status synonyms, dates in five spellings, amounts as text."""
    rows: Rows = [
        ["序号", "年度", "问题来源", "主管部门", "项目名称", "问题描述", "整改要求", "整改期限", "整改情况", "销号日期",
         "涉及金额（万元）"],
        ["1", "2022", "财政重点评价", "青山区教育局", "营养餐补助", "绩效目标不够细化", "细化目标", "2022/9/30", "已销号",
         "2022年9月15日", "12.5"],
        ["2", "2022", "绩效监控", "青山区卫健委", "设备购置", "执行进度滞后", "加快执行", "2022年10月31日", "正在整改", "",
         "1,000"],
        ["3", "2022", "审计", "青山区农业农村局", "", "资金闲置", "盘活资金", "2022.12", "未启动", "/", "—"],
        ["4", "2022", "人大", "青山区教育局", "教师培训", "培训覆盖面不足", "扩大覆盖", "2022-11-30", "已完成",
         "2022.11.20", "0"],
        ["5", "2022", "单位自评", "青山区卫健委", "疫苗冷链", "自评不实", "重新自评", "20221231", "部分整改", "", ""],
    ]
    path = _csv(d / "findings_gbk.csv", rows, "gbk")
    return path, {
        "kind": "findings", "rows": 5, "year": 2022,
        "statuses": ["已整改", "整改中", "未整改", "已整改", "整改中"],
        "deadlines": [dt.date(2022, 9, 30), dt.date(2022, 10, 31), dt.date(2022, 12, 31), dt.date(2022, 11, 30),
                      dt.date(2022, 12, 31)],
        "completed": [dt.date(2022, 9, 15), None, None, dt.date(2022, 11, 20), None],
        "sum_amount": 1012.5, "rectified": 2, "in_progress": 2, "not_started": 1, "errors": 0,
    }


def units_bom_csv(d: Path) -> tuple[Path, dict]:
    """A UTF-8-with-BOM CSV of 部门单位; unit kinds as 乡镇 / 街道 / 开发区 shorthand."""
    rows: Rows = [
        ["主管部门编码", "主管部门", "单位编码", "单位名称", "单位类型", "所属领域"],
        ["101", "青山区教育局", "101001", "青山区教育局本级", "部门", "教育"],
        ["101", "青山区教育局", "101002", "青山区第一中学", "部门", "教育"],
        ["219", "池州市贵池区棠溪镇人民政府", "219001", "棠溪镇本级", "乡镇", "综合"],
        ["230", "青山区开发区管委会", "230001", "开发区管委会本级", "开发区", "经济"],
    ]
    path = _csv(d / "units_bom.csv", rows, "utf-8-sig")
    return path, {
        "kind": "units", "rows": 4, "unit_kinds": ["部门", "部门", "乡镇街道", "园区"],
        "department_codes": ["101", "101", "219", "230"], "errors": 0,
    }


def national_monitoring_export(d: Path) -> tuple[Path, dict]:
    """The 预算管理一体化 monitoring export: 预算年度/部门/单位, 项目预算执行情况, 全年预计执行
    (a forecast, ignored), indicator columns (ignored), 完成目标可能性 as 1/2/3, no date anywhere:
    as_of must come from the caller (--as-of)."""
    rows: Rows = [
        ["预算年度", "部门", "单位", "项目编码", "项目名称", "调整后预算数", "项目预算执行情况", "全年预计执行",
         "一级指标", "二级指标", "三级指标", "指标值", "偏差原因分析", "完成目标可能性", "是否需要整改", "整改要求和建议"],
        [2023, "101-青山区教育局", "101001-青山区教育局本级", "51092324T000010263357",
         "51092324T000010263357-2023年全县安可替代补助资金项目", 300, 120, 300, "产出指标", "数量指标", "采购台数",
         "≥100台", "采购流程未完成", 2, "是", "加快采购"],
        [2023, "101-青山区教育局", "101002-青山区第一中学", "51092324T000010263358", "校舍维修", 100, 90, 100,
         "产出指标", "质量指标", "验收合格率", "100%", None, 1, "否", None],
        [2023, "102-青山区卫健委", "102001-青山区人民医院", "51092324T000010263359", "设备购置", 50, 5, 40,
         "效益指标", "社会效益", "服务人次", "≥5000", "疫情影响", 3, "是", "调整预算"],
    ]
    path = _xlsx(d / "national_monitoring_export.xlsx", {"监控信息": (rows, [])})
    return path, {
        "kind": "monitoring", "rows": 3, "year": 2023, "as_of": None, "needs_as_of": True,
        "sum_budget": 450.0, "sum_executed": 215.0, "likelihoods": ["有可能", "确定能", "完全不可能"],
        "department_codes": ["101", "101", "102"], "unit_codes": ["101001", "101002", "102001"],
        "project_names": ["2023年全县安可替代补助资金项目", "校舍维修", "设备购置"],
    }


def template_like_workbook(d: Path) -> tuple[Path, dict]:
    """The canonical template shape: an 说明 sheet (skipped silently) plus 项目 and 绩效评价."""
    sheets = {
        "说明": ([["填表说明"], ["1. 金额单位为万元"], ["2. 每个工作表一张表"]], []),
        "项目": ([
            ["年度", "主管部门", "预算单位", "项目编码", "项目名称", "项目类别", "资金来源", "年初预算", "调整后预算",
             "是否设定绩效目标", "目标审核等级", "事前评估结论", "是否重点项目"],
            [2022, "青山区教育局", "青山区第一中学", "P1", "校舍维修", "项目支出", "一般公共预算", 100, 120, "是", "优", "支持", "是"],
            [2022, "青山区教育局", "青山区第二中学", "P2", "教师培训", "项目支出", "一般公共预算", 50, None, "否", None, None, "否"],
        ], []),
        "绩效评价": ([
            ["年度", "评价类型", "评价对象类型", "主管部门", "预算单位", "项目编码", "项目名称", "资金规模", "得分", "等级",
             "评价机构", "人大代表参与", "主要问题", "结果应用", "下年预算调整"],
            [2022, "单位自评", "项目支出", "青山区教育局", "青山区第一中学", "P1", "校舍维修", 120, 95, "优", None, "否",
             None, "优先保障", 10],
            [2022, "抽查复核", "项目支出", "青山区教育局", "青山区第一中学", "P1", "校舍维修", 120, 82, "良", "财政局", "是",
             "目标偏低", "保障", -20],
        ], []),
    }
    path = _xlsx(d / "template_like.xlsx", sheets)
    return path, {
        "kinds": ["projects", "evaluations"], "rows": {"projects": 2, "evaluations": 2},
        "budget_total": 170.0, "next_year_budget_change": [10.0, -20.0], "errors": 0,
    }


def monitoring_xls(d: Path) -> tuple[Path, dict] | None:
    """The same kind of monitoring sheet as a legacy .xls (needs xlwt; skipped without it)."""
    try:
        import xlwt
    except ImportError:
        return None
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("监控")
    ws.write_merge(0, 0, 0, 4, "2022年1-7月绩效监控表")
    ws.write(1, 4, "单位：万元")
    for c, h in enumerate(["主管部门", "项目名称", "调整后预算", "执行数", "监控截止日期"]):
        ws.write(2, c, h)
    ws.write_merge(3, 4, 0, 0, "青山区教育局")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    data = [("校舍维修", 100.0, 40.0), ("教师培训", 50.0, "30")]
    for i, (name, budget, executed) in enumerate(data):
        ws.write(3 + i, 1, name)
        ws.write(3 + i, 2, budget)
        ws.write(3 + i, 3, executed)
        ws.write(3 + i, 4, dt.datetime(2022, 7, 31), date_style)
    path = d / "monitoring_legacy.xls"
    wb.save(str(path))
    return path, {
        "kind": "monitoring", "rows": 2, "year": 2022, "as_of": dt.date(2022, 7, 31), "sum_budget": 150.0,
        "sum_executed": 70.0, "departments": ["青山区教育局", "青山区教育局"], "errors": 0,
    }


def evaluations_self_variants(d: Path) -> tuple[Path, dict]:
    """A self-evaluation list with other header words: 评价层级, 预算部门, 实施单位, 项目代码, 项目,
    项目金额, 自评得分, 评价结果; kinds as 自评/复核; a score with a grade that agrees; a 部门整体 row."""
    rows: Rows = [
        ["2021年度绩效自评结果", None, None, None, None, None, None, None, None, None],
        ["序号", "评价层级", "评价对象类型", "预算部门", "实施单位", "项目代码", "项目", "项目金额", "自评得分", "评价结果"],
        [1, "自评", "项目", "青山区教育局", "青山区第一中学", "P1", "校舍维修", "120.00", "95.5", "优秀"],
        [2, "复核", "项目", "青山区教育局", "青山区第一中学", "P1", "校舍维修", 120, 84, "良"],
        [3, "自评", "部门整体", "青山区卫健委", None, None, None, 900, 88, None],
        [4, "部门评价", "政策", "青山区农业农村局", None, None, "种粮补贴政策", 300, "61", "合格"],
    ]
    path = _xlsx(d / "evaluations_self_variants.xlsx", {"自评": (rows, ["A1:J1"])})
    return path, {
        "kind": "evaluations", "rows": 4, "year": 2021,
        "kinds": ["单位自评", "抽查复核", "单位自评", "部门评价"],
        "object_types": ["项目支出", "项目支出", "部门整体支出", "政策"],
        "grades": ["优", "良", "良", "中"], "scores": [95.5, 84.0, 88.0, 61.0], "sum_fund_amount": 1440.0,
        "errors": 0,
    }


def findings_excel_dates(d: Path) -> tuple[Path, dict]:
    """整改台账 in xlsx: deadlines as real Excel dates and as serial numbers, 状态 words, 完成时间,
    整改措施 with line breaks, a 其中 row and a total row to skip, a deviation text starting with 其中."""
    rows: Rows = [
        ["问题整改清单（2022年度）"],
        ["序号", "主管部门", "预算单位", "问题", "完成时限", "状态", "完成时间", "整改措施", "问题金额"],
        [1, "青山区教育局", "青山区第一中学", "其中部分资金未及时拨付", dt.datetime(2022, 9, 30), "完成",
         dt.date(2022, 9, 1), "加快拨付\n建立台账", 5],
        [2, "青山区教育局", "青山区第二中学", "目标值偏低", 44895, "推进中", None, None, 0],
        ["其中：青山区第二中学", None, None, None, None, None, None, None, 0],
        [3, "青山区卫健委", None, "资金闲置", "2022/12/31", "未开始", "", "", "2.5"],
        ["小计", None, None, None, None, None, None, None, 7.5],
    ]
    path = _xlsx(d / "findings_excel_dates.xlsx", {"整改": (rows, [])})
    return path, {
        "kind": "findings", "rows": 3, "year": 2022,
        "deadlines": [dt.date(2022, 9, 30), dt.date(2022, 11, 30), dt.date(2022, 12, 31)],
        "completed": [dt.date(2022, 9, 1), None, None], "statuses": ["已整改", "整改中", "未整改"],
        "descriptions": ["其中部分资金未及时拨付", "目标值偏低", "资金闲置"], "sum_amount": 7.5,
        "rectified": 1, "in_progress": 1, "not_started": 1, "errors": 0,
    }


def self_evaluation_forms(d: Path) -> tuple[Path, dict]:
    """Two 《项目支出绩效自评表》 forms stacked on one sheet (the central/Hebei layout,
    docs/data-formats.md §7): code and name run together, 主管部门 with a region code, the money
    block with 项目资金（万元） merged down, the second form's 年度资金总额 left 0 with the money in
    the rows under it (池州), 总分 | 100 | score at the end, a 自评等级 line on the second."""
    w = 10
    pad = lambda *cells: list(cells) + [None] * (w - len(cells))
    rows: Rows = [
        pad("附件1"),
        pad("项目支出绩效自评表"),
        pad("（2022年度）"),
        pad("项目名称", "51000021R000000019951-工资性支出"),
        pad("主管部门", "219-池州市贵池区棠溪镇人民政府", None, None, None, "实施单位", "池州市贵池区棠溪镇财政所"),
        pad("项目资金（万元）", None, None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
        pad(None, "年度资金总额", None, 100, 120, 108, 10, "90%", 9),
        pad(None, "其中：当年财政拨款", None, 100, 120, 108),
        pad(None, "上年结转资金", None, 0, 0, 0),
        pad(None, "其他资金", None, 0, 0, 0),
        pad("年度总体目标", "预期目标", None, None, None, "实际完成情况"),
        pad("绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"),
        pad(None, "产出指标(50分)", "数量指标", "指标1：发放人数", "≥100人", "100人", 50, 50),
        pad("总分", None, None, None, None, None, 100, 92.5),
        pad(),
        pad("项目支出绩效自评表"),
        pad("(2022年度)"),
        pad("项目名称", "村道养护"),
        pad("主管部门", "青山区交通局", None, None, None, "实施单位", "青山区公路站"),
        pad("项目资金（万元）", None, None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
        pad(None, "年度资金总额", None, 0, 0, 0, 10),
        pad(None, "其中：当年财政拨款", None, 30, 35, 20),
        pad(None, "上年结转资金", None, 5, 5, 5),
        pad("总分", None, None, None, None, None, 100, 78),
        pad("自评等级", "中"),
    ]
    merges = ["A2:J2", "A3:J3", "B4:J4", "A6:A10", "A16:J16", "A17:J17", "B18:J18", "A20:A23"]
    path = _xlsx(d / "self_evaluation_forms.xlsx", {"自评表": (rows, merges)})
    return path, {
        "kind": "evaluations", "rows": 2, "year": 2022, "evaluation_kind": "单位自评",
        "project_names": ["工资性支出", "村道养护"], "project_codes": ["51000021R000000019951", None],
        "departments": ["池州市贵池区棠溪镇人民政府", "青山区交通局"], "department_codes": ["219", None],
        "units": ["池州市贵池区棠溪镇财政所", "青山区公路站"], "fund_amounts": [120.0, 40.0], "sum_fund_amount": 160.0,
        "scores": [92.5, 78.0], "grades": ["优", "中"], "excel_rows": [4, 18], "errors": 0,
    }


def build_corpus(directory: str | Path) -> dict[str, tuple[Path, dict]]:
    """Write every good file into `directory`; {name: (path, expected figures)}."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    builders = (monitoring_title_yuan, projects_two_row_header, monitoring_header_unit_override, evaluations_key,
                findings_gbk_csv, units_bom_csv, national_monitoring_export, template_like_workbook, monitoring_xls,
                evaluations_self_variants, findings_excel_dates, self_evaluation_forms)
    out = {}
    for build in builders:
        result = build(d)
        if result is not None:
            out[build.__name__] = result
    return out


# --- bad files -------------------------------------------------------------------------------

# (file name, sheet, Excel row, column substring, message substring) of the first error
BadCase = tuple[str, str | None, int | None, str | None, str]

_MON_HDR = ["年度", "监控截止日期", "主管部门", "项目名称", "调整后预算", "执行数", "执行率", "完成目标可能性"]
_EVAL_HDR = ["年度", "评价类型", "主管部门", "项目名称", "得分", "等级"]
_FIND_HDR = ["年度", "主管部门", "问题描述", "整改时限", "整改状态"]


def write_bad_files(directory: str | Path) -> dict[str, tuple[Path, BadCase]]:
    """Write ≥20 inputs that must be refused; {name: (path, expected first error)}."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, BadCase]] = {}

    def sheet(name: str, rows: Rows, expect: tuple, sheet_name: str = "数据", merges=()) -> None:
        path = _xlsx(d / name, {sheet_name: (rows, list(merges))})
        cases[name.rsplit(".", 1)[0]] = (path, (name, sheet_name) + expect)

    def raw(name: str, data: bytes, message: str) -> None:
        path = d / name
        path.write_bytes(data)
        cases[name.rsplit(".", 1)[0]] = (path, (name, None, None, None, message))

    raw("text_named.xlsx", "这不是Excel文件\n只是一段文字\n".encode(), "未识别出任何数据表")
    raw("corrupt_zip.xlsx", b"PK\x03\x04" + b"\x00garbage" * 20, "未识别出任何数据表")
    raw("empty_text.csv", b"", "未识别出任何数据表")
    empty = d / "empty_workbook.xlsx"
    wb = openpyxl.Workbook()
    wb.save(empty)
    cases["empty_workbook"] = (empty, ("empty_workbook.xlsx", None, None, None, "未识别出任何数据表"))
    unrelated = _xlsx(d / "unrelated.xlsx", {"通讯录": ([["姓名", "年龄", "电话"], ["张三", 30, "123"]], [])})
    cases["unrelated"] = (unrelated, ("unrelated.xlsx", None, None, None, "姓名"))

    mon = lambda *row: [2022, "2022-08-31", "青山区教育局", *row]
    sheet("bad_number.xlsx", [_MON_HDR, mon("校舍维修", 100, 50, None, "确定能"), mon("教师培训", 100, "8５.x", None, "有可能")],
          (3, "执行数（F列）", "“8５.x” 不是数字"))
    sheet("negative_money.xlsx", [_MON_HDR, mon("校舍维修", -5, 1, None, None)], (2, "调整后预算（E列）", "不能为负数"))
    sheet("bad_percent.xlsx", [_MON_HDR, mon("校舍维修", None, None, "八成", None)], (2, "执行率（G列）", "不是百分数"))
    sheet("bad_likelihood.xlsx", [_MON_HDR, mon("校舍维修", 1, 1, None, "大概吧")], (2, "完成目标可能性", "确定能、有可能、完全不可能"))
    sheet("impossible_date.xlsx", [_MON_HDR, [2022, "2022-06-31", "青山区教育局", "校舍维修", 1, 1, None, None]],
          (2, "监控截止日期（B列）", "不是有效日期"))
    sheet("no_as_of.xlsx", [["年度", "主管部门", "项目名称", "调整后预算", "执行数"], [2022, "青山区教育局", "校舍维修", 10, 5]],
          (1, None, "监控截止日期"))
    sheet("no_year.xlsx", [["主管部门", "项目名称", "年初预算"], ["青山区教育局", "校舍维修", 10]], (1, None, "--year"))
    sheet("bad_year.xlsx", [["年度", "主管部门", "项目名称", "年初预算"], ["二〇二二", "青山区教育局", "校舍维修", 10]],
          (2, "年度（A列）", "不是年度"))
    sheet("amounts_without_project.xlsx", [["年度", "主管部门", "年初预算", "调整后预算"], [2022, "青山区教育局", 10, 12]],
          (1, None, "缺少“项目编码”或“项目名称”列"))
    sheet("no_department_columns.xlsx", [["年度", "项目名称", "年初预算"], [2022, "校舍维修", 10]],
          (1, None, "缺少“主管部门”或“预算单位”列"))
    sheet("blank_department_cell.xlsx", [["年度", "主管部门", "预算单位", "项目名称", "年初预算"],
                                         [2022, "青山区教育局", None, "校舍维修", 10], [2022, None, "/", "教师培训", 5]],
          (3, "主管部门（B列）", "至少要填一项"))

    ev = lambda *row: [2022, "单位自评", "青山区教育局", *row]
    sheet("score_out_of_range.xlsx", [_EVAL_HDR, ev("校舍维修", 105, None)], (2, "得分（E列）", "不在 0–100 之间"))
    sheet("score_grade_mismatch.xlsx", [_EVAL_HDR, ev("校舍维修", 95, "优"), ev("教师培训", 85, "优秀")],
          (3, "等级（F列）", "与得分 85 不符"))
    sheet("unknown_grade.xlsx", [_EVAL_HDR, ev("校舍维修", None, "特优")], (2, "等级（F列）", "可填：优、良、中、差"))
    sheet("missing_kind.xlsx", [["年度", "主管部门", "项目名称", "得分"], [2022, "青山区教育局", "校舍维修", 90]],
          (1, None, "缺少必填列“评价类型”"))
    sheet("unknown_kind.xlsx", [_EVAL_HDR, [2022, "内部评价", "青山区教育局", "校舍维修", 90, "优"]],
          (2, "评价类型（B列）", "不是可接受的评价类型"))

    fi = lambda *row: [2022, "青山区教育局", *row]
    sheet("unknown_status.xlsx", [_FIND_HDR, fi("目标不细化", "2022-09-30", "已整改"), fi("进度滞后", "2022-09-30", "搁置")],
          (3, "整改状态（E列）", "未整改、整改中、已整改"))
    sheet("impossible_month.xlsx", [_FIND_HDR, fi("目标不细化", "2022年13月5日", "已整改")], (2, "整改时限（D列）", "没有13月"))
    sheet("blank_status.xlsx", [_FIND_HDR, fi("目标不细化", "2022-09-30", None)], (2, "整改状态（E列）", "必填项“整改状态”为空"))
    sheet("missing_description.xlsx", [["年度", "主管部门", "整改状态"], [2022, "青山区教育局", "已整改"]],
          (1, None, "缺少必填列“问题描述”"))
    sheet("bad_bool.xlsx", [["年度", "主管部门", "项目名称", "年初预算", "是否设定绩效目标"],
                            [2022, "青山区教育局", "校舍维修", 10, "也许"]], (2, "是否设定绩效目标（E列）", "不是“是/否”"))
    sheet("bad_unit_kind.xlsx", [["主管部门", "单位名称", "单位类型"], ["青山区教育局", "第一中学", "学校"]],
          (2, "单位类型（C列）", "部门、乡镇街道、园区"))
    # a title row, then the header on row 3: rows are counted as Excel shows them
    sheet("title_rows_error.xlsx", [["2022年度项目表"], ["单位：万元"], ["主管部门", "项目名称", "年初预算"],
                                    ["青山区教育局", "校舍维修", "abc"]], (4, "年初预算（C列）", "“abc” 不是数字"))
    return cases


def bad_file_names() -> list[str]:
    """The names of write_bad_files' cases (for parametrising at collection time; writes them to a scratch dir)."""
    with tempfile.TemporaryDirectory() as scratch:
        return sorted(write_bad_files(scratch))
