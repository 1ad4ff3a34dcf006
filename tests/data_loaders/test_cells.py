"""Cell parsers: every spelling docs/data-formats.md lists, the refusals, and hypothesis round-trips."""

from __future__ import annotations

import datetime as dt
import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_loaders import cells as C
from data_loaders import schema
from data_loaders.columns import parse_column

FULL_WIDTH = str.maketrans("0123456789.,%-", "０１２３４５６７８９．，％－")


# --- numbers and money ---

@pytest.mark.parametrize("raw, expected", [
    ("1,234.50", 1234.5), ("１２３．４５", 123.45), (" 10606.7522 ", 10606.7522), (42.0, 42.0), (7, 7.0),
    ("(12.5)", -12.5), ("¥300", 300.0), ("1，000", 1000.0),
])
def test_numbers(raw, expected):
    assert C.parse_number(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["", "/", "—", "——", "-", "无", "  ", None, float("nan"), "－"])
def test_blank_tokens_are_empty(raw):
    assert C.parse_number(raw) == (None, None)
    assert C.parse_date(raw) == (None, None)
    assert C.parse_text(raw) == (None, None)


@pytest.mark.parametrize("raw", ["8５.x", "abc", "12元5", "inf", "1.2.3"])
def test_not_a_number_is_an_error_never_blank(raw):
    value, error = C.parse_number(raw)
    assert value is None and "不是数字" in error


def test_money_scale_and_sign():
    assert C.parse_money("1,200,000.00", 0.0001) == (120.0, None)
    assert C.parse_money(-5, 1.0)[1] == "金额不能为负数（“-5”）"
    assert C.parse_money(-5, 1.0, signed=True) == (-5.0, None)


# --- percent ---

@pytest.mark.parametrize("raw, expected", [
    ("86%", 0.86), ("100.00%", 1.0), ("８６％", 0.86), (0.86, 0.86), (86, 0.86), ("86", 0.86), (1.5, 1.5),
    (1.51, 0.0151), (120, 1.2), ("0%", 0.0), (0, 0.0),
])
def test_percent_rule(raw, expected):
    value, error = C.parse_percent(raw)
    assert error is None and value == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["八成", "-5%", "%"])
def test_percent_refused(raw):
    assert C.parse_percent(raw)[1]


# --- scores and years ---

def test_scores():
    assert C.parse_score(93.4) == (93.4, None)
    assert C.parse_score("85分") == (85.0, None)
    assert C.parse_score(100) == (100.0, None)
    assert C.parse_score(100.01)[1] == "得分 100.01 不在 0–100 之间"
    assert C.parse_score(-1)[1]


@pytest.mark.parametrize("raw, expected", [(2022, 2022), (2022.0, 2022), ("2022", 2022), ("2022年", 2022),
                                           ("2022年度", 2022), ("２０２２", 2022)])
def test_years(raw, expected):
    assert C.parse_year(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["二〇二二", 22, 2022.5, "1999", "今年"])
def test_bad_years(raw):
    assert "不是年度" in C.parse_year(raw)[1]


# --- dates ---

@pytest.mark.parametrize("raw", [
    "2022-08-31", "2022/8/31", "2022年8月31日", "2022.8.31", "2022.08", "2022-08", "2022年8月", "2022年8月底",
    "20220831", 44804, 44804.0, "44804", dt.date(2022, 8, 31), dt.datetime(2022, 8, 31, 0, 0),
    "2022-08-31 00:00:00", "２０２２年８月３１日",
])
def test_dates_all_spellings(raw):
    assert C.parse_date(raw) == (dt.date(2022, 8, 31), None)


@pytest.mark.parametrize("raw, fragment", [
    ("2022-06-31", "6月只有30天"), ("2022年13月5日", "没有13月"), ("2023-02-29", "2月只有28天"), ("明天", "不是日期"),
    ("2022.13", "没有13月"), (-3, "不是日期"), (True, "不是日期"),
])
def test_impossible_dates(raw, fragment):
    value, error = C.parse_date(raw)
    assert value is None and fragment in error


def test_leap_day():
    assert C.parse_date("2024-02-29") == (dt.date(2024, 2, 29), None)
    assert C.parse_date("2024.02") == (dt.date(2024, 2, 29), None)


# --- yes/no and enumerations ---

@pytest.mark.parametrize("raw, expected", [
    ("是", True), ("否", False), ("√", True), ("×", False), ("Y", True), ("n", False), ("有", True), ("无", False),
    (True, True), (False, False), ("TRUE", True), (1.0, True), (0.0, False), ("", None), ("/", None),
])
def test_bools(raw, expected):
    assert C.parse_bool(raw) == (expected, None)


def test_bool_refused():
    assert "不是“是/否”" in C.parse_bool("也许")[1]
    assert C.parse_bool(2.0)[1]


@pytest.mark.parametrize("field, raw, expected", [
    ("grade", "优秀", "优"), ("grade", "良好", "良"), ("grade", "合格", "中"), ("grade", "一般", "中"),
    ("grade", "不合格", "差"), ("grade", "较差", "差"),
    ("status", "已完成", "已整改"), ("status", "已销号", "已整改"), ("status", "完成", "已整改"),
    ("status", "正在整改", "整改中"), ("status", "推进中", "整改中"), ("status", "部分整改", "整改中"),
    ("status", "未启动", "未整改"), ("status", "未开始", "未整改"),
    ("likelihood", "确定能", "确定能"), ("likelihood", 1.0, "确定能"), ("likelihood", "2", "有可能"),
    ("likelihood", 3, "完全不可能"),
    ("kind", "自评", "单位自评"), ("kind", "重点评价", "财政重点评价"), ("kind", "财政评价", "财政重点评价"),
    ("kind", "第三方评价", "财政重点评价"), ("kind", "复核", "抽查复核"), ("kind", "抽查", "抽查复核"),
    ("object_type", "项目", "项目支出"), ("object_type", "部门整体", "部门整体支出"), ("object_type", "政策", "政策"),
    ("fund_source", "一般公共", "一般公共预算"), ("fund_source", "政府性基金", "政府性基金预算"),
    ("fund_source", "国有资本经营", "国有资本经营预算"), ("fund_source", "社保基金", "社会保险基金预算"),
    ("unit_kind", "乡镇", "乡镇街道"), ("unit_kind", "街道", "乡镇街道"), ("ex_ante_result", "不支持", "不予支持"),
])
def test_enum_synonyms(field, raw, expected):
    spec = next(f for t in schema.TABLES.values() for f in t.fields if f.name == field)
    assert C.enum_parser(field, spec.enum)(raw) == (expected, None)


def test_enum_unknown_lists_accepted_words():
    parse = C.enum_parser("status", ("未整改", "整改中", "已整改"))
    assert parse("搁置") == (None, "“搁置” 不是可接受的整改状态，可填：未整改、整改中、已整改")


# --- codes and names ---

@pytest.mark.parametrize("raw, expected", [
    ("51000021R000000019951-工资性支出", ("51000021R000000019951", "工资性支出")),
    ("219-池州市贵池区棠溪镇人民政府", ("219", "池州市贵池区棠溪镇人民政府")),
    ("51092324T000010263357-2023年全县安可替代补助资金项目", ("51092324T000010263357", "2023年全县安可替代补助资金项目")),
    ("P2022006－高标准农田建设-二期", ("P2022006", "高标准农田建设-二期")),
    ("101001—青山区教育局本级", ("101001", "青山区教育局本级")),
    ("高标准农田建设-二期", (None, "高标准农田建设-二期")),
    ("2022-2023年项目", (None, "2022-2023年项目")),
    ("2022-城乡环境整治", (None, "2022-城乡环境整治")),
    ("5G-基站建设", (None, "5G-基站建设")),
    ("ABC-项目", (None, "ABC-项目")),
])
def test_split_code_name(raw, expected):
    assert C.split_code_name(raw) == expected


def test_names_normalised():
    assert C.clean_text("（一期） 校舍  维修 ") == "(一期) 校舍 维修"
    assert C.clean_text("(一期)") == C.clean_text("（一期）")
    assert C.parse_code(219.0) == ("219", None)
    assert C.parse_code(" P 2022 ") == ("P2022", None)


# --- whole columns ---

def test_parse_column_fast_paths_and_errors():
    executed = schema.MONITORING.field("executed")
    values, errors = parse_column([1.0, "", 3.0, 2.5], executed, 0.0001)
    assert np.allclose(values, [0.0001, np.nan, 0.0003, 0.00025], equal_nan=True) and errors == {}
    values, errors = parse_column([1.0, "1,234.5", "x", -3.0, True], executed)
    assert values[1] == 1234.5 and math.isnan(values[2]) and math.isnan(values[3])
    assert errors == {2: "“x” 不是数字", 3: "金额不能为负数（“-3”）", 4: "“True” 不是数字"}


def test_parse_column_text_clean_and_messy():
    unit = schema.MONITORING.field("unit")
    clean = [f"单位{i}" for i in range(1500)] + ["/", ""]
    values, errors = parse_column(clean, unit)
    assert values[0] == "单位0" and values[-1] is None and values[-2] is None and not errors
    messy = [f" 单位{i}" for i in range(1500)]
    values, _ = parse_column(messy, unit)
    assert values[3] == "单位3"


def test_parse_column_percent_bulk():
    rate = schema.MONITORING.field("execution_rate")
    texts = [f"{i / 100:.2f}%" for i in range(2000)]
    values, errors = parse_column(texts + ["八成"], rate)
    assert values[1500] == pytest.approx(0.15) and errors == {2000: "“八成” 不是百分数"}


# --- properties ---

@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False), st.booleans(), st.booleans())
def test_numbers_round_trip_through_thousands_and_full_width(x, full_width, separators):
    text = f"{x:,.4f}" if separators else f"{x:.4f}"
    if full_width:
        text = text.translate(FULL_WIDTH)
    value, error = C.parse_number(text)
    assert error is None and value == pytest.approx(round(x, 4), rel=1e-12, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}.{m}.{d}", "{y}{m:02d}{d:02d}",
                        "serial", "date", "datetime"]))
def test_any_date_in_any_format_parses_to_itself(day, fmt):
    if fmt == "serial":
        raw = float((day - dt.date(1899, 12, 30)).days)
    elif fmt == "date":
        raw = day
    elif fmt == "datetime":
        raw = dt.datetime.combine(day, dt.time(13, 5))
    else:
        raw = fmt.format(y=day.year, m=day.month, d=day.day)
    assert C.parse_date(raw) == (day, None)


@settings(max_examples=200, deadline=None)
@given(st.integers(2000, 2100), st.integers(1, 12))
def test_month_only_means_month_end(y, m):
    value, _ = C.parse_date(f"{y}.{m:02d}")
    assert value.month == m and (value + dt.timedelta(days=1)).day == 1


_ANY_CELL = st.one_of(st.none(), st.text(max_size=12), st.floats(), st.integers(-10**6, 10**6), st.booleans(),
                      st.dates(), st.datetimes())


@settings(max_examples=400, deadline=None)
@given(_ANY_CELL)
def test_parsers_never_raise(value):
    parsers = [C.parse_number, C.parse_percent, C.parse_score, C.parse_year, C.parse_date, C.parse_bool,
               C.parse_text, C.parse_code, lambda v: C.parse_money(v, 0.0001)]
    parsers += [C.enum_parser(f.name, f.enum) for t in schema.TABLES.values() for f in t.fields if f.enum]
    for parse in parsers:
        result, error = parse(value)
        assert (result is None) or (error is None)
        assert error is None or isinstance(error, str)


@settings(max_examples=100, deadline=None)
@given(st.lists(_ANY_CELL, max_size=30))
def test_parse_column_never_raises_and_keeps_length(values):
    for spec_field in schema.MONITORING.fields + schema.FINDINGS.fields:
        parsed, errors = parse_column(values, spec_field, 0.0001)
        assert len(parsed) == len(values)
        assert all(0 <= i < len(values) for i in errors)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e7, allow_nan=False).map(lambda x: f"{x:.3f}"),
                          st.integers(-100, 300).map(str), st.integers(0, 300).map(lambda i: f"{i}%"),
                          st.sampled_from(["", "/", "-", "—", "x", "1e5", "1.2.3", "0.5", "1.5", "1.51", "1,2,3",
                                           ",", "1,000.5%", "-1,000"])),
                max_size=40), st.booleans())
def test_bulk_text_numbers_agree_with_the_cell_parser(extra, repeated):
    """The numpy paths for many numbers typed as text (by distinct value when they repeat, by
    whole column when they do not) give exactly the per-cell results."""
    texts = [f"{i * 1000:,}.25" for i in range(1001)] + extra  # >1000 distinct texts: a bulk path is taken
    if repeated:
        texts = texts * 5
    for field in _BULK_FIELDS:
        values, errors = parse_column(texts, field, 0.0001)
        for i, text in enumerate(texts):
            expected, message = _cell_result(field.name, text)
            assert errors.get(i) == message, (field.name, text)
            if expected is None:
                assert math.isnan(values[i]), (field.name, text)
            else:
                assert math.isclose(values[i], expected, rel_tol=1e-12), (field.name, text, values[i], expected)


_BULK_FIELDS = (schema.MONITORING.field("executed"), schema.MONITORING.field("execution_rate"),
                schema.EVALUATIONS.field("score"), schema.EVALUATIONS.field("next_year_budget_change"))
_BY_NAME = {f.name: f for f in _BULK_FIELDS}


@functools.cache
def _cell_result(field_name: str, text: str):
    """The per-cell parser's answer (the same 1,001 texts come back in every example: parsed once)."""
    return C.parser_for(_BY_NAME[field_name], 0.0001)(text)


def test_zero_width_marks_dropped():
    assert C.clean_text("校舍\u200b维修\ufeff") == "校舍维修"
    assert C.parse_number("\ufeff12.5") == (12.5, None)


def test_money_with_its_own_unit():
    assert C.parse_money("12.5万元", 0.0001) == (12.5, None)
    assert C.parse_money("3,000元") == (0.3, None)
    assert C.parse_money("1.2亿元") == (12000.0, None)
    assert C.parse_money("-5万元")[1] == "金额不能为负数（“-5万元”）"
    assert "不是数字" in C.parse_money("万元")[1]


def test_yuan_to_wanyuan_is_exact_division():
    assert C.parse_money("1,200,000.00", 0.0001) == (120.0, None)
    values, _ = parse_column([1200000.0, 300000.0, ""], schema.MONITORING.field("executed"), 0.0001)
    assert values[:2].tolist() == [120.0, 30.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab （）()１２ \u3000\t\n-—/无\u200b项目编码", max_size=8), max_size=40),
       st.booleans())
def test_bulk_text_cleaning_agrees_with_the_cell_cleaner(extra, full_width):
    """Columns of ≥1000 distinct texts are cleaned as one joined string: same result as per cell."""
    base = [f"项目{i}（一期）" if full_width else f"项目{i}" for i in range(1000)]
    texts = base + extra
    for field in (schema.MONITORING.field("project_name"), schema.MONITORING.field("project_code")):
        values, errors = parse_column(texts, field)
        parse = C.parser_for(field)
        assert not errors
        assert values.tolist() == [parse(t)[0] for t in texts]


@pytest.mark.parametrize("text", ["P 2022-名称", "219 - 池州市", "A1-B2-名称", "ＡＢＣ１２３-名称", "12345678901234567890123-x"])
def test_split_code_name_edge_cases(text):
    code, name = C.split_code_name(text)
    assert (code, name) in {(None, text), ("219", "池州市"), ("12345678901234567890123", "x")}


def test_every_invisible_format_and_control_character_is_removed():
    import sys
    import unicodedata

    from data_loaders.cells import FORMAT_CHARS

    wanted = [chr(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) == "Cf"
              or (unicodedata.category(chr(c)) == "Cc" and chr(c) not in "\t\n\r\x00")]
    assert [hex(ord(ch)) for ch in wanted if not FORMAT_CHARS.match(ch)] == []
    assert C.clean_text("区\u202e局育教\u202c本级\u200b") == "区局育教本级"


def test_spoofing_characters_are_removed_at_import_with_a_warning_naming_the_cell():
    from data_loaders.reader import read_file

    data = "年度,主管部门,项目名称,调整后预算\n2024,区教育局,校舍\u202e修维\u202c工程,10\n2024,区卫健委,疫苗,5\n"
    result = read_file(data.encode("utf-8"), "spoof.csv")
    assert result.tables[0].frame["project_name"].tolist() == ["校舍修维工程", "疫苗"]
    [warning] = result.warnings
    assert (warning.file, warning.row, warning.column) == ("spoof.csv", 2, "项目名称（C列）")
    assert "U+202C、U+202E" in warning.message
