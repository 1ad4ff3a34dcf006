"""Generated files in each layout that carries performance indicators (issue 12), with what each must yield.

Each builder writes one file into a directory and returns (path, expected): the stored indicators by name
with their status (已完成 rule by hand), and the `summary --json` "indicators" figures. A fixture module:
tests import from here.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from dashboard.core.vocab import MET, NOT_MET, UNKNOWN
from data_loaders import schema


def _xlsx(path: Path, sheets: dict[str, tuple[list[list], list[str]]]) -> Path:
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
    wb.save(path)
    return path


def _pad(width: int):
    return lambda *cells: list(cells) + [None] * (width - len(cells))


def template_sheet(d: Path) -> tuple[Path, dict]:
    """The template's 绩效指标 sheet filled in: a project at 申报 and 自评, another at 监控."""
    header = [f.label for f in schema.INDICATORS.fields]

    def row(**cells):
        labels = {f.name: f.label for f in schema.INDICATORS.fields}
        by_label = {labels[k]: v for k, v in cells.items()}
        return [by_label.get(h) for h in header]

    base = {"year": 2024, "department": "青山区教育局", "unit": "青山区第一中学"}
    p1 = {**base, "project_code": "P1", "project_name": "校舍维修"}
    p2 = {**base, "project_code": "P2", "project_name": "教师培训"}
    rows = [
        header,
        row(**p1, stage="自评", level1="产出指标", level2="数量指标", name="维修面积", target="≥1.2万平方米",
            actual="1.25万平方米", weight=20, score=20),
        row(**p1, stage="自评", level1="产出指标", level2="质量指标", name="验收合格率", target="100%", actual="98%",
            weight=20, score=15, deviation_reason="个别项目返工"),
        row(**p1, stage="自评", level1="满意度指标", level2="服务对象满意度指标", name="师生满意度", comparator="≥",
            target="90", measure_unit="%", actual="93", weight=10, score=10),
        row(**p1, stage="自评", level1="效益指标", level2="社会效益指标", name="改善办学条件", target="明显改善",
            actual="有所改善", weight=20, score=15),
        row(**p1, stage="申报", level1="产出指标", level2="数量指标", name="维修面积", target="≥1.2万平方米"),
        row(**p2, stage="监控", level1="产出指标", level2="数量指标", name="培训人次", target="≥500人次",
            current="200人次", expected="450人次", likelihood="有可能", deviation_reason="疫情推迟"),
    ]
    path = _xlsx(d / "绩效指标.xlsx", {"绩效指标": (rows, [])})
    return path, {
        "year": 2024, "stored": 6,
        "status": {("自评", "维修面积"): MET, ("自评", "验收合格率"): NOT_MET, ("自评", "师生满意度"): MET,
                   ("自评", "改善办学条件"): UNKNOWN, ("申报", "维修面积"): UNKNOWN, ("监控", "培训人次"): NOT_MET},
        # P1 counts at 自评 (4), P2 at 监控 (1); P1's 申报 row is not counted again
        "summary": {"count": 5, "met": 2, "not_met": 2, "unknown": 1},
    }


def declaration_form(d: Path) -> tuple[Path, dict]:
    """《项目支出绩效目标申报表》 (the local general layout, docs/data-formats.md §9.4): basic lines,
    项目资金申请 block, a 长期 and a 年度 indicator table (only the 年度 one is the year's targets), signatures."""
    pad = _pad(8)
    rows = [
        pad("附件2"),
        pad("项目支出绩效目标申报表"),
        pad("（2024年度）"),
        pad("填报单位（盖章）：青山区第一中学"),
        pad("项目名称", "校舍维修改造", None, None, "项目属性", "☑延续 □新增"),
        pad("主管部门", "青山区教育局", None, None, "主管部门编码", "101"),
        pad("项目实施单位", "青山区第一中学", None, None, "项目负责人", "张三"),
        pad("项目资金申请（万元）", "资金总额", 150),
        pad(None, "财政拨款", 150),
        pad(None, "其他资金", 0),
        pad("项目绩效目标", "长期目标", "改善全区校舍安全状况", None, "年度目标", "完成1.2万平方米校舍维修"),
        pad("长期绩效指标", "一级指标", "二级指标", "指标内容", "指标值", "备注"),
        pad(None, "产出指标", "数量指标", "维修面积", "≥5万平方米"),
        pad("年度绩效指标", "一级指标", "二级指标", "指标内容", "指标值", "备注"),
        pad(None, "产出指标", "数量指标", "维修面积", "≥1.2万平方米"),
        pad(None, "产出指标", "质量指标", "验收合格率", "100%"),
        pad(None, "效益指标", "社会效益指标", "改善办学条件", "明显改善"),
        pad(None, "满意度指标", "服务对象满意度指标", "师生满意度", "≥90%"),
        pad(None, "产出指标", "时效指标", "……"),
        pad("填报人：李四", None, None, "填报日期：2023-10-20"),
    ]
    merges = ["A2:H2", "A3:H3", "A8:A10", "A12:A13", "A14:A19"]
    path = _xlsx(d / "绩效目标申报表.xlsx", {"申报表": (rows, merges)})
    return path, {
        "year": 2024, "project": "校舍维修改造", "department": "青山区教育局", "department_code": "101",
        "unit": "青山区第一中学", "initial_budget": 150.0,
        "targets": {"维修面积": "≥1.2万平方米", "验收合格率": "100%", "改善办学条件": "明显改善", "师生满意度": "≥90%"},
        "summary": {"count": 4, "met": 0, "not_met": 0, "unknown": 4},  # declared targets have no actual value yet
        # 改善办学条件 is a text target: the project's targets are not all quantified
        "quality": {"has_output": 1, "has_outcome": 1, "has_satisfaction": 1, "unquantified": 1, "complete": False},
    }


def self_evaluation_central(d: Path) -> tuple[Path, dict]:
    """《项目支出绩效自评表》 in the 中央/河北 layout (§2.1) with its indicator block: merged 一级指标 with the
    score note, numbered names, a placeholder row, 年初预算数 / 全年预算数 / 全年执行数."""
    pad = _pad(10)
    rows = [
        pad("附件1"),
        pad("项目支出绩效自评表"),
        pad("（2023年度）"),
        pad("项目名称", "村道养护"),
        pad("主管部门", "青山区交通局", None, None, None, "实施单位", "青山区公路站"),
        pad("项目资金（万元）", None, None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
        pad(None, "年度资金总额", None, 30, 35, 33.6, 10, "96%", 10),
        pad(None, "其中：当年财政拨款", None, 30, 35, 33.6),
        pad(None, "上年结转资金", None, 0, 0, 0),
        pad("年度总体目标", "预期目标", None, None, None, "实际完成情况"),
        pad(None, "完成120公里村道养护", None, None, None, "完成125公里"),
        pad("绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"),
        pad(None, "产出指标(50分)", "数量指标", "指标1：养护里程", "≥120公里", "125公里", 20, 20),
        pad(None, None, "质量指标", "指标2：路面完好率", "≥95%", "92%", 15, 10, "资金到位晚，下年提前拨付"),
        pad(None, None, "时效指标", "指标3", None, None, 15, 15),
        pad(None, "效益指标(30分)", "社会效益指标", "指标1：通行条件", "明显改善", "明显改善", 30, 30),
        pad(None, "满意度指标(10分)", "服务对象满意度指标", "指标1：群众满意度", "≥90%", "95", 10, 3),
        pad("总分", None, None, None, None, None, 100, 88),
    ]
    merges = ["A2:J2", "A3:J3", "B4:J4", "A6:A9", "A12:A17", "B13:B15"]
    path = _xlsx(d / "项目支出绩效自评表.xlsx", {"自评表": (rows, merges)})
    return path, {
        "year": 2023, "project": "村道养护", "initial_budget": 30.0, "adjusted_budget": 35.0, "executed": 33.6,
        "fund_amount": 35.0, "score": 88.0,
        "status": {"养护里程": MET, "路面完好率": NOT_MET, "通行条件": MET, "群众满意度": UNKNOWN},
        "level1": {"养护里程": "产出指标", "路面完好率": "产出指标", "通行条件": "效益指标", "群众满意度": "满意度指标"},
        "summary": {"count": 4, "met": 2, "not_met": 1, "unknown": 1},
    }


def self_evaluation_sichuan(d: Path) -> tuple[Path, dict]:
    """四川《部门预算项目支出绩效自评表》 (§2.2): 报表编号 line, code and name run together, the 预算执行情况 block,
    the indicator block with 指标性质 and 度量单位 in their own columns, "/" for not applicable, 合计."""
    pad = _pad(11)
    rows = [
        pad("报表编号：510000_0013zp"),
        pad("部门预算项目支出绩效自评表（2023年度）"),
        pad("项目名称", "51092324T000010263357-2023年全县安可替代补助资金项目"),
        pad("主管部门", "青神县发展和改革局本级", None, None, "实施单位（盖章）", "青神县发展和改革局"),
        pad("预算执行情况(10分)", "年度预算数(万元)", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"),
        pad(None, "总额", 100.0, 110.0, 99.0, "90%", 10.0, 9.0),
        pad(None, "其中：财政资金", 100.0, 110.0, 99.0, "/", "/", "/"),
        pad(None, "单位资金", 0, 0, 0, "/", "/", "/"),
        pad("绩效指标(90分)", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分",
            "未完成原因分析"),
        pad(None, "产出指标", "数量指标", "采购台数", "≥", 100, "台", 100, 30, 30),
        pad(None, "产出指标", "时效指标", "采购完成时间", "≤", 12, "月", 12, 20, 20),
        pad(None, "效益指标", "经济效益指标", "节约运维成本", "≥", 10, "万元", 8, 20, 15, "设备到货延迟"),
        pad(None, "满意度指标", "服务对象满意度指标", "使用人员满意度", "≥", 90, "%", "/", 10, 0),
        pad("合计", None, None, None, None, None, None, None, 100, 83),
        pad("评价结论", "基本完成年度目标"),
    ]
    path = _xlsx(d / "四川自评表.xlsx", {"自评表": (rows, ["A9:A13"])})
    return path, {
        "year": 2023, "project": "2023年全县安可替代补助资金项目", "code": "51092324T000010263357",
        "initial_budget": 100.0, "adjusted_budget": 110.0, "executed": 99.0, "score": 83.0,
        "status": {"采购台数": MET, "采购完成时间": MET, "节约运维成本": NOT_MET, "使用人员满意度": UNKNOWN},
        "units": {"采购台数": "台", "节约运维成本": "万元", "使用人员满意度": "%"},
        "summary": {"count": 4, "met": 2, "not_met": 1, "unknown": 1},
    }


def national_monitoring_indicators(d: Path) -> tuple[Path, dict]:
    """The 预算管理一体化 monitoring export with several indicators per project: project columns merged down,
    完成目标可能性 (1/2/3) and 偏差原因分析 per indicator, 指标完成情况 and 全年预计完成情况 columns, and the
    money forecast 全年预计执行 (not an indicator value). No date: --as-of gives it."""
    header = ["预算年度", "部门", "单位", "项目编码", "项目名称", "调整后预算数", "项目预算执行情况", "全年预计执行",
              "一级指标", "二级指标", "三级指标", "指标值", "指标完成情况", "全年预计完成情况", "偏差原因分析",
              "完成目标可能性", "是否需要整改", "整改要求和建议"]
    a = [2023, "101-青山区教育局", "101001-青山区教育局本级", "A001", "安可替代补助", 300, 120, 300]
    b = [2023, "101-青山区教育局", "101002-青山区第一中学", "A002", "校舍维修", 100, 90, 100]
    rows = [
        header,
        [*a, "产出指标", "数量指标", "采购台数", "≥100台", "40台", "100台", "采购流程未完成", 2, "否", None],
        [None] * 8 + ["产出指标", "质量指标", "验收合格率", "100%", "100%", "100%", None, 1, "否", None],
        [None] * 8 + ["效益指标", "社会效益指标", "服务人次", "≥5000人次", "1000人次", "3000人次", "疫情影响", 3, "是",
                      "调整实施计划"],
        [*b, "满意度指标", "服务对象满意度指标", "师生满意度", "≥90%", None, "95%", None, 1, "否", None],
    ]
    merges = [f"{col}2:{col}4" for col in "ABCDEFGH"]
    path = _xlsx(d / "监控信息导出.xlsx", {"监控信息": (rows, merges)})
    return path, {
        "year": 2023, "records": 2,
        "likelihood": {"安可替代补助": "完全不可能", "校舍维修": "确定能"},
        "deviation": {"安可替代补助": "采购流程未完成；疫情影响", "校舍维修": None},
        "needs_rectification": {"安可替代补助": True, "校舍维修": False},
        "executed": {"安可替代补助": 120.0, "校舍维修": 90.0},
        "status": {"采购台数": MET, "验收合格率": MET, "服务人次": NOT_MET, "师生满意度": MET},
        "summary": {"count": 4, "met": 3, "not_met": 1, "unknown": 0},
        "at_risk": ["服务人次", "采购台数"],  # 完全不可能 first, then 有可能
    }
