"""Header mapping: every docs/data-formats.md variant, normalisation, table-kind detection, layout from titles."""

from __future__ import annotations

import datetime as dt

import pytest

from data_loaders import headers as H
from data_loaders import layout as L
from data_loaders import schema
from data_loaders.forms import find_forms


def field_for(header: object, kind: str) -> str | None:
    """The field of table `kind` that a header names, or None (what the reader's header matching decides)."""
    names = {f.name for f in schema.TABLES[kind].fields} | H.EXTRA_FIELDS.get(kind, set())
    return next((name for name in H.candidates(header) if name in names), None)


def detect_kind(headers: list[object]) -> str | None:
    """The table a header row belongs to (H.kind_from_fields of every candidate), or None."""
    return H.kind_from_fields({c for h in headers for c in H.candidates(h)})



@pytest.mark.parametrize("kind, header, field", [
    ("projects", "主管部门", "department"), ("projects", "部门名称", "department"), ("projects", "预算部门", "department"),
    ("monitoring", "部门", "department"),
    ("projects", "预算单位", "unit"), ("projects", "单位名称", "unit"), ("projects", "实施单位", "unit"),
    ("monitoring", "单位", "unit"), ("units", "单位名称", "unit"),
    ("projects", "项目", "project_name"), ("projects", "项目代码", "project_code"), ("projects", "项目编号", "project_code"),
    ("projects", "年初预算数", "initial_budget"), ("projects", "全年预算数", "adjusted_budget"),
    ("projects", "调整后预算数", "adjusted_budget"), ("projects", "预算数", "adjusted_budget"),
    ("monitoring", "全年执行数", "executed"), ("monitoring", "预算执行数", "executed"),
    ("monitoring", "截至目前执行数", "executed"), ("monitoring", "截至8月底执行数", "executed"),
    ("monitoring", "截至10月底执行数", "executed"), ("monitoring", "1-8月执行数", "executed"),
    ("monitoring", "支出数", "executed"), ("monitoring", "预算执行率", "execution_rate"),
    ("monitoring", "执行率(%)", "execution_rate"), ("monitoring", "项目预算执行情况", "executed"),
    ("monitoring", "预算年度", "year"), ("monitoring", "偏差原因分析", "deviation_reason"),
    ("monitoring", "完成目标可能性", "likelihood"), ("monitoring", "是否需要整改", "needs_rectification"),
    ("monitoring", "整改要求和建议", "rectification_requirement"), ("findings", "整改要求和建议", "requirement"),
    ("evaluations", "评价得分", "score"), ("evaluations", "自评得分", "score"), ("evaluations", "综合得分", "score"),
    ("evaluations", "总分", "score"), ("evaluations", "评价等级", "grade"), ("evaluations", "评价结果", "grade"),
    ("findings", "整改情况", "status"), ("findings", "状态", "status"), ("findings", "完成时限", "deadline"),
    ("findings", "整改期限", "deadline"), ("findings", "完成时间", "completed_on"), ("findings", "销号日期", "completed_on"),
    ("evaluations", "评价金额", "fund_amount"), ("evaluations", "项目金额", "fund_amount"),
    ("evaluations", "评价方式", "kind"), ("evaluations", "评价层级", "kind"),
    ("projects", "绩效目标", "has_target"), ("projects", "是否有绩效目标", "has_target"),
    ("evaluations", "评价对象", "object_type"), ("evaluations", "评价对象类型", "object_type"),
    ("evaluations", "主要问题", "main_problems"), ("findings", "问题描述", "description"),
    ("findings", "存在问题", "description"),
    # normalisation: full width, spaces, units and marks inside headers
    ("projects", "调整后预算数（万元）", "adjusted_budget"), ("projects", "调整后预算数(万元)", "adjusted_budget"),
    ("projects", " 年初 预算数 ", "initial_budget"), ("projects", "*项目名称", "project_name"),
    ("projects", "项目名称：", "project_name"), ("monitoring", "执行数\n（元）", "executed"),
    ("projects", "ＰＲＯＪＥＣＴ", None),
])
def test_header_variants(kind, header, field):
    assert field_for(header, kind) == field


@pytest.mark.parametrize("header", ["序号", "全年预计执行", "全年预计执行数", "备注"])
def test_headers_ignored(header):
    assert field_for(header, "monitoring") is None


@pytest.mark.parametrize("header,field", [("一级指标", "level1"), ("三级指标", "name"), ("指标值", "target"),
                                          ("全年预计完成情况", "expected"), ("指标完成情况", "current"),
                                          ("指标性质", "comparator"), ("度量单位", "measure_unit")])
def test_indicator_columns_of_a_monitoring_export_are_read(header, field):
    """Issue 12: the indicator columns of the national export are read (as indicators), not ignored."""
    assert field_for(header, "monitoring") == field
    assert field_for(header, "indicators") == field


def test_indicator_list_kind():
    assert detect_kind(["年度", "阶段", "项目名称", "三级指标", "指标值", "实际完成值", "得分"]) == "indicators"
    # the national export is a monitoring table (it has the money) with indicator columns
    assert detect_kind(["项目名称", "调整后预算数", "项目预算执行情况", "三级指标", "指标值"]) == "monitoring"


def test_every_schema_label_maps_to_its_field():
    for table in schema.TABLES.values():
        for f in table.fields:
            assert field_for(f.label, table.kind) == f.name, (table.kind, f.label)


@pytest.mark.parametrize("headers, kind", [
    (["年度", "主管部门", "项目名称", "得分", "等级"], "evaluations"),
    (["部门", "项目名称", "执行数", "执行率", "评价得分"], "evaluations"),  # a result list carrying 执行数
    (["主管部门", "问题描述", "整改状态"], "findings"),
    (["主管部门", "问题", "整改要求", "整改期限"], "findings"),
    (["预算年度", "部门", "单位", "项目名称", "项目预算执行情况", "是否需要整改", "整改要求和建议"], "monitoring"),
    (["主管部门", "项目名称", "截至8月底执行数"], "monitoring"),
    (["主管部门", "项目名称", "年初预算数", "全年预算数"], "projects"),
    (["主管部门", "年初预算", "调整后预算"], "projects"),  # amounts without a project column: an incomplete 项目 table
    (["主管部门", "单位名称", "单位类型"], "units"),
    (["单位编码", "单位名称"], "units"),
    (["姓名", "年龄", "电话"], None),
    (["主管部门", "单位名称"], None),
])
def test_detect_kind(headers, kind):
    assert detect_kind(headers) == kind


def test_header_units():
    assert H.header_unit("项目资金（万元）") == "万元"
    assert H.header_unit("金额(元)") == "元"
    assert H.header_unit("调整后预算数") is None


def test_nearest_known_suggests():
    # both near words are offered, the closest first
    assert H.nearest_known("执行金额数", 3)[:2] == ["执行金额", "执行数"]


@pytest.mark.parametrize("notes, year, as_of", [
    (["2022年1-8月项目支出绩效监控情况表"], 2022, dt.date(2022, 8, 31)),
    (["项目绩效运行监控表（截至2022年6月30日）"], 2022, dt.date(2022, 6, 30)),
    (["截止到2023-03-31的监控数据"], None, dt.date(2023, 3, 31)),
    (["部门项目支出绩效自评表", "（2022年度）"], 2022, None),
    (["2024年1—2月监控表"], 2024, dt.date(2024, 2, 29)),
    (["截至2022年9月底执行情况"], 2022, dt.date(2022, 9, 30)),
    (["报表编号：510000_0013zp"], None, None),
])
def test_year_and_as_of_from_title(notes, year, as_of):
    assert L.year_from_notes(notes) == year
    assert L.as_of_from_notes(notes) == as_of


@pytest.mark.parametrize("lines, unit", [
    (["单位：万元"], "万元"), (["金额单位：元"], "元"), (["填报单位：某局", "单位:元"], "元"), (["填报单位：元宝山区"], None),
    (["单位： 亿元"], "亿元"), ([], None),
])
def test_unit_lines(lines, unit):
    assert L.unit_from_notes(lines) == unit


def test_title_skips_attachment_and_report_number():
    assert L.pick_title(["附件1", "报表编号：510000_0013zp", "2022年度项目支出绩效自评表", "（2022年度）"]) == \
        "2022年度项目支出绩效自评表"


@pytest.mark.parametrize("text, reason", [
    ("合计", "total"), ("合  计", "total"), ("总计", "total"), ("青山区教育局小计", "total"), ("小计：", "total"),
    ("其中：财政拨款", "subrow"), ("注：执行率=执行数/预算数", "footnote"), ("填表人：张三", "footnote"),
    ("审核人", "footnote"), ("合计数核对说明很长的一段文字" * 5, None), ("校舍维修", None), ("注册登记补助", None),
])
def test_skip_reasons(text, reason):
    assert L.skip_reason(text) == reason


def test_two_row_header_layout():
    grid = [
        ["2022年度项目表", "", "", "", ""],
        ["序号", "项目名称", "项目资金（万元）", "", "是否设定绩效目标"],
        ["", "", "年初预算数", "全年预算数", ""],
        [1, "校舍维修", 10.0, 12.0, "是"],
    ]
    merged = [((1, 0), (2, 0)), ((1, 1), (2, 1)), ((1, 2), (1, 3)), ((1, 4), (2, 4)), ((0, 0), (0, 4))]
    L.fill_merged(grid, merged)
    layout = L.find_layout(grid, merged)
    assert layout.header_rows == [1, 2] and layout.data_start == 3
    assert [f[0] if f else None for f in layout.fields] == [None, "project_name", "initial_budget", "adjusted_budget",
                                                            "has_target"]
    assert layout.parents[2] == "项目资金（万元）" and layout.year == 2022


def test_two_row_header_without_merges():
    grid = [
        ["主管部门", "项目名称", "项目资金（万元）", "", ""],
        ["", "", "年初预算数", "全年预算数", "全年执行数"],
        ["教育局", "校舍维修", 10.0, 12.0, 6.0],
    ]
    layout = L.find_layout(grid, None)
    assert layout.header_rows == [0, 1]
    assert [f[0] for f in layout.fields] == ["department", "project_name", "initial_budget", "adjusted_budget",
                                             "executed"]


def test_column_number_row():
    assert L.is_column_number_row(["1", "2", "3", "4"])
    assert L.is_column_number_row([1.0, 2.0, 3.0])
    assert L.is_column_number_row(["栏次", "1", "2"])
    assert not L.is_column_number_row([1.0, "校舍维修", 3.0])


def test_docs_list_every_accepted_header_and_word():
    from pathlib import Path

    from data_loaders.cells import ENUM_SYNONYMS

    text = (Path(__file__).resolve().parents[2] / "docs" / "data-formats.md").read_text(encoding="utf-8")
    missing = [w for name, words in H.SYNONYMS.items() for w in words
               if any(field_for(w, k) == name for k in schema.TABLES) and w not in text]
    missing += [w for words in ENUM_SYNONYMS.values() for ws in words.values() for w in ws if w not in text]
    assert not missing


def test_unit_split_over_two_cells():
    assert L.unit_from_notes(["单位 万元".replace(" ", "")]) == "万元"
    assert L.unit_from_notes(["本单位万元以上项目"]) is None


def test_sichuan_form_layout():
    grid = [
        ["报表编号：510000_0013zp", "", "", "", "", "", "", ""],
        ["部门预算项目支出绩效自评表（2023年度）", "", "", "", "", "", "", ""],
        ["项目名称", "51092324T000010263357-2023年全县安可替代补助资金项目", "", "", "", "", "", ""],
        ["主管部门", "青神县发展和改革局本级", "", "", "实施单位（盖章）", "青神县发展和改革局", "", ""],
        ["预算执行情况(10分)", "年度预算数(万元)", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分"],
        ["", "总额", 100.0, 110.0, 99.0, "90%", 10.0, 9.0],
        ["", "其中：财政资金", 100.0, 110.0, 99.0, "/", "/", "/"],
        ["合计", "", "", "", "", "", 100.0, 88.5],
    ]
    [form] = find_forms(grid)
    assert form.year == 2023 and form.object_type == "项目支出"
    assert form.fields["fund_total"].value == 110.0 and form.fields["score"].value == 88.5
    assert form.fields["unit"].value == "青神县发展和改革局"


@pytest.mark.parametrize("headers, kind", [
    (["主管部门", "问题描述"], "findings"),
    (["主管部门", "存在问题"], None),
    (["主管部门", "存在问题", "整改要求"], "findings"),
])
def test_findings_signals(headers, kind):
    assert detect_kind(headers) == kind
