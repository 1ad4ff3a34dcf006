"""read_file end to end on the corpus of messy files: figures, locations of problems, refusals."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_loaders.problems import Problem
from data_loaders.reader import FileResult, ParsedTable, read_file
from tests.data_loaders.corpus import bad_file_names, build_corpus, write_bad_files


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def _one(result: FileResult) -> ParsedTable:
    assert len(result.tables) == 1, result.problems
    return result.tables[0]


def test_monitoring_with_title_rows_yuan_merges_totals_and_notes(corpus):
    path, exp = corpus["monitoring_title_yuan"]
    result = read_file(path)
    assert result.errors == []
    t = _one(result)
    assert t.kind == "monitoring" and t.sheet == "监控情况"
    assert len(t.frame) == exp["rows"] == 6
    assert t.frame["_row"].tolist() == exp["excel_rows"]
    assert t.frame["adjusted_budget"].sum() == pytest.approx(580.0)
    assert t.frame["executed"].sum() == pytest.approx(375.0)
    assert t.meta["year"] == 2022 and t.meta["as_of"] == dt.date(2022, 8, 31) and t.meta["unit"] == "元"
    assert t.meta["header_rows"] == [5] and t.meta["title"] == "2022年1-8月项目支出绩效监控情况表"
    assert set(t.frame["as_of"]) == {dt.date(2022, 8, 31)} and set(t.frame["year"]) == {2022}
    assert t.frame["department"].value_counts().to_dict() == exp["departments"]  # merged cells filled down
    assert t.frame["project_name"].tolist() == exp["project_names"]
    assert t.frame["execution_rate"].tolist() == pytest.approx([0.5, 0.25, 1.05, 0.5, 0.0, 0.7])
    assert t.frame["likelihood"].tolist() == ["确定能", "有可能", "确定能", "确定能", "完全不可能", "有可能"]
    assert t.mapping["截至8月底执行数"] == "executed" and t.columns["executed"] == "截至8月底执行数（G列）"
    [warning] = result.warnings
    assert (warning.row, warning.column, warning.level) == (8, "截至8月底执行数（G列）", "warning")
    assert "超过调整后预算" in warning.message


def test_two_row_header_codes_and_yes_no(corpus):
    path, exp = corpus["projects_two_row_header"]
    result = read_file(path)
    assert result.errors == []
    t = _one(result)
    assert t.kind == "projects" and t.meta["header_rows"] == [3, 4] and t.meta["year"] == 2022
    f = t.frame
    assert len(f) == 4 and f["_row"].tolist() == [5, 6, 7, 8]
    assert f["initial_budget"].sum() == pytest.approx(exp["sum_initial"])
    assert f["adjusted_budget"].sum() == pytest.approx(exp["sum_adjusted"])
    assert np.isnan(f["adjusted_budget"][2])
    assert f["project_code"].tolist() == exp["project_codes"]
    assert f["project_name"].tolist() == exp["project_names"]
    assert f["department"].tolist() == exp["departments"]
    assert f["department_code"].tolist() == exp["department_codes"]
    assert f["has_target"].tolist() == exp["has_target"]
    assert f["fund_source"].tolist() == exp["fund_sources"]
    assert t.columns["initial_budget"] == "年初预算数（D列）"
    assert t.meta["column_units"] == {"initial_budget": "万元", "adjusted_budget": "万元"}


def test_header_unit_wins_over_file_unit_and_blank_tokens(corpus):
    path, _exp = corpus["monitoring_header_unit_override"]
    result = read_file(path)
    assert result.problems == []
    t = _one(result)
    assert t.meta["unit"] == "元" and t.meta["as_of"] == dt.date(2022, 6, 30)
    assert t.frame["adjusted_budget"].sum() == pytest.approx(1143.45)
    assert t.frame["executed"].sum() == pytest.approx(461.725)
    assert t.frame["deviation_reason"].tolist() == [None, None, "资金未到位"]
    assert t.records()[1]["executed"] is None and t.records()[1]["target_progress"] is None


def test_evaluations_kind_from_title_grades_and_objects(corpus):
    path, exp = corpus["evaluations_key"]
    result = read_file(path)
    assert result.problems == []
    t = _one(result)
    assert t.kind == "evaluations" and t.meta["evaluation_kind"] == "财政重点评价"
    assert t.frame["kind"].tolist() == ["财政重点评价"] * 4
    assert t.frame["grade"].tolist() == exp["grades"]  # 优秀/良好/合格 normalised, the last filled from 59.9
    assert t.frame["object_type"].tolist() == exp["object_types"]
    assert t.frame["score"].mean() == pytest.approx(78.2)
    assert t.frame["fund_amount"].sum() == pytest.approx(7110.0)
    assert t.frame["main_problems"].tolist() == ["绩效目标不够细化", None, None, "培训覆盖面不足"]


def test_findings_gbk_csv(corpus):
    path, exp = corpus["findings_gbk_csv"]
    result = read_file(path.read_bytes(), "整改台账.csv")
    assert result.problems == [] and result.file == "整改台账.csv"
    t = _one(result)
    assert t.kind == "findings" and t.sheet is None
    assert t.frame["status"].tolist() == exp["statuses"]
    assert t.frame["deadline"].tolist() == exp["deadlines"]
    assert t.frame["completed_on"].tolist() == exp["completed"]
    assert t.frame["amount"].sum() == pytest.approx(1012.5)
    assert t.frame["_row"].tolist() == [2, 3, 4, 5, 6]


def test_units_utf8_bom_csv(corpus):
    path, exp = corpus["units_bom_csv"]
    t = _one(read_file(path))
    assert t.kind == "units" and "year" not in t.frame
    assert t.frame["unit_kind"].tolist() == exp["unit_kinds"]
    assert t.frame["department_code"].tolist() == exp["department_codes"]
    assert t.frame["unit"].tolist()[0] == "青山区教育局本级"


def test_national_export_needs_as_of_then_reads(corpus):
    path, exp = corpus["national_monitoring_export"]
    refused = read_file(path)
    [error] = refused.errors
    assert (error.sheet, error.row, error.column) == ("监控信息", 1, None)
    assert "监控截止日期" in error.message and "--as-of" in error.message
    result = read_file(path, as_of=dt.date(2023, 8, 31), year=2000)
    assert result.problems == []
    assert [t.kind for t in result.tables] == ["monitoring", "indicators"]  # one indicator per project here
    t, ind = result.tables
    assert ind.frame["name"].tolist() == ["采购台数", "验收合格率", "服务人次"]
    assert ind.frame["target"].tolist() == ["≥100台", "100%", "≥5000"]
    assert t.meta["as_of"] == dt.date(2023, 8, 31)
    assert set(t.frame["year"]) == {2023}  # the 预算年度 column wins over the argument
    assert t.frame["adjusted_budget"].sum() == pytest.approx(450.0)
    assert t.frame["executed"].sum() == pytest.approx(215.0)
    assert t.frame["likelihood"].tolist() == exp["likelihoods"]
    assert t.frame["needs_rectification"].tolist() == [True, False, True]
    assert t.frame["department_code"].tolist() == exp["department_codes"]
    assert t.frame["unit_code"].tolist() == exp["unit_codes"]
    assert t.frame["project_name"].tolist() == exp["project_names"]
    assert "全年预计执行" in t.meta["ignored_headers"] and "executed" not in [t.mapping.get("全年预计执行")]


def test_instructions_sheet_skipped_when_another_is_recognised(corpus):
    path, _exp = corpus["template_like_workbook"]
    result = read_file(path)
    assert result.problems == []
    assert [t.kind for t in result.tables] == ["projects", "evaluations"]
    assert result.skipped_sheets == ["说明"]
    projects, evaluations = result.tables
    assert projects.frame["is_key"].tolist() == [True, False]
    assert evaluations.frame["next_year_budget_change"].tolist() == [10.0, -20.0]
    assert evaluations.frame["deputies_participated"].tolist() == [False, True]


def test_legacy_xls(corpus):
    if "monitoring_xls" not in corpus:
        pytest.skip("xlwt is not installed: no way to write an .xls here")
    path, exp = corpus["monitoring_xls"]
    result = read_file(path)
    assert result.problems == []
    t = _one(result)
    assert t.frame["department"].tolist() == exp["departments"]  # merged in the .xls
    assert t.frame["executed"].sum() == pytest.approx(70.0)
    assert set(t.frame["as_of"]) == {dt.date(2022, 7, 31)}


def test_fallback_year_and_as_of_only_where_nothing_else_says(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("主管部门,项目名称,调整后预算,执行数\n教育局,校舍维修,10,5\n", encoding="utf-8")
    t = _one(read_file(path, year=2021, as_of=dt.date(2021, 7, 31)))
    assert t.meta["year"] == 2021 and t.frame["year"].tolist() == [2021]
    assert t.frame["as_of"].tolist() == [dt.date(2021, 7, 31)]
    titled = tmp_path / "titled.csv"
    titled.write_text("2022年1-8月监控表\n主管部门,项目名称,调整后预算,执行数\n教育局,校舍维修,10,5\n", encoding="utf-8")
    t = _one(read_file(titled, year=2021, as_of=dt.date(2021, 7, 31)))
    assert t.frame["year"].tolist() == [2022] and t.frame["as_of"].tolist() == [dt.date(2022, 8, 31)]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return write_bad_files(tmp_path_factory.mktemp("bad"))


def test_enough_bad_files():
    assert len(bad_file_names()) >= 20


@pytest.mark.parametrize("name", bad_file_names())
def test_bad_file_gives_its_first_error(bad_files, name):
    path, (file, sheet, row, column, message) = bad_files[name]
    result = read_file(path)
    assert result.errors, name
    first = result.errors[0]
    assert (first.file, first.sheet, first.row) == (file, sheet, row), (name, first)
    if column is None:
        assert first.column is None, (name, first)
    else:
        assert column in (first.column or ""), (name, first)
    assert message in first.message, (name, first)


def test_all_errors_collected_not_just_the_first(tmp_path):
    rows = [["年度", "评价类型", "主管部门", "项目名称", "得分", "等级", "资金规模"]]
    rows += [[2022, "自评", "教育局", f"项目{i}", 200 + i, None, -i - 1] for i in range(5)]
    rows += [[2022, "自评", "教育局", "好项目", 85, "良", 10]]
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    result = read_file(buf.getvalue(), "评价.xlsx")
    assert len(result.errors) == 10
    assert [p.row for p in result.errors] == [2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert {p.column for p in result.errors} == {"得分（E列）", "资金规模（G列）"}
    assert len(result.tables[0].frame) == 6  # rows with errors are kept (the importer refuses the file)


def test_problem_str_shape():
    p = Problem("a.xlsx", "监控", 7, "得分（D列）", "“8５.x” 不是数字")
    assert str(p) == "a.xlsx / 监控 / 第7行 / 得分（D列）: “8５.x” 不是数字"
    assert str(Problem("a.csv", None, None, None, "未识别出任何数据表")) == "a.csv / - / - / -: 未识别出任何数据表"
    assert str(Problem("a.csv", None, 3, "x", "超过", "warning")).endswith("【警告】超过")


def test_repeated_header_and_column_number_rows_skipped(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "主管部门,项目名称,年初预算,年度\n1,2,3,4\n教育局,校舍维修,10,2022\n主管部门,项目名称,年初预算,年度\n卫健委,设备,5,2022\n",
        encoding="utf-8")
    t = _one(read_file(path))
    assert t.frame["_row"].tolist() == [3, 5] and t.frame["initial_budget"].sum() == 15


def test_text_file_named_xlsx_with_csv_content_is_read_with_a_warning(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_text("年度,主管部门,项目名称,年初预算\n2022,教育局,校舍维修,10\n", encoding="utf-8")
    result = read_file(path)
    assert result.errors == [] and len(result.warnings) == 1 and "内容是文本" in result.warnings[0].message
    assert _one(result).frame["initial_budget"].tolist() == [10.0]


def test_unrecognised_file_lists_headers_and_nearest(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("名称,预算金额数,执行金额数\n甲,1,2\n", encoding="gbk")
    [error] = read_file(path).errors
    assert error.message.startswith("未识别出任何数据表：找到的表头是 名称、预算金额数、执行金额数")
    assert "最接近的已知列" in error.message


def test_gbk_and_gb18030_csv(tmp_path):
    text = "年度,主管部门,项目名称,年初预算\n2022,青山区教育局,校舍维修（一期）,10\n"
    for encoding in ("gbk", "gb18030", "utf-8", "utf-8-sig"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        t = _one(read_file(path))
        assert t.frame["project_name"].tolist() == ["校舍维修(一期)"], encoding


def _big_monitoring(path, n):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("绩效监控")
    ws.write_row(0, 0, ["2022年1-8月项目支出绩效监控情况表"])
    ws.write_row(1, 0, ["单位：万元"])
    ws.write_row(2, 0, ["序号", "年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "执行数",
                        "执行率", "目标完成进度", "偏差原因", "完成目标可能性", "是否需要整改"])
    rng = np.random.default_rng(1)
    budgets = np.round(rng.uniform(1, 5000, n), 4)
    executed = np.round(budgets * rng.random(n), 2)
    for i in range(n):
        d = f"部门{i % 60:02d}"
        ws.write_row(3 + i, 0, [i + 1, 2022, "2022-08-31", d, f"{d}单位{i % 5}", f"51000022R{i:012d}", f"项目{i}号",
                                budgets[i], min(executed[i], budgets[i]), f"{executed[i] / budgets[i] * 100:.2f}%",
                                ("50%", 0.6, "70%")[i % 3], ("", "资金未拨付", "进度滞后")[i % 3],
                                ("确定能", "有可能", "完全不可能")[i % 3], ("是", "否")[i % 2]])
    wb.close()
    return float(budgets.sum()), float(np.minimum(executed, budgets).sum())


def test_large_file_is_read_exactly(tmp_path):
    """20k rows read with the exact sums (speed is measured in `make bench`, never in a unit test)."""
    path = tmp_path / "big.xlsx"
    budget, executed = _big_monitoring(path, 20_000)
    result = read_file(path)
    t = _one(result)
    assert result.problems == []
    assert len(t.frame) == 20_000
    assert t.frame["adjusted_budget"].sum() == pytest.approx(budget)
    assert t.frame["executed"].sum() == pytest.approx(executed)
    assert t.frame["likelihood"].value_counts().to_dict() == {"确定能": 6667, "有可能": 6667, "完全不可能": 6666}


def test_evaluation_header_variants_and_kinds(corpus):
    path, exp = corpus["evaluations_self_variants"]
    result = read_file(path)
    assert result.problems == []
    t = _one(result)
    assert t.meta["year"] == 2021 and t.meta["evaluation_kind"] == "单位自评"  # the column still wins
    assert t.frame["kind"].tolist() == exp["kinds"]
    assert t.frame["object_type"].tolist() == exp["object_types"]
    assert t.frame["grade"].tolist() == exp["grades"]
    assert t.frame["score"].tolist() == exp["scores"]
    assert t.frame["fund_amount"].sum() == pytest.approx(1440.0)
    assert t.mapping == {"评价层级": "kind", "评价对象类型": "object_type", "预算部门": "department", "实施单位": "unit",
                         "项目代码": "project_code", "项目": "project_name", "项目金额": "fund_amount",
                         "自评得分": "score", "评价结果": "grade"}


def test_excel_dates_and_sub_rows_versus_text_starting_with_qizhong(corpus):
    path, exp = corpus["findings_excel_dates"]
    result = read_file(path)
    assert result.problems == []
    t = _one(result)
    assert t.frame["_row"].tolist() == [3, 4, 6]  # the 其中 row (5) and the 小计 row (7) are skipped
    assert t.frame["description"].tolist() == exp["descriptions"]  # ...but not a text starting with 其中
    assert t.frame["deadline"].tolist() == exp["deadlines"]
    assert t.frame["completed_on"].tolist() == exp["completed"]
    assert t.frame["status"].tolist() == exp["statuses"]
    assert t.frame["measures"].tolist()[0] == "加快拨付\n建立台账"
    assert t.frame["amount"].sum() == pytest.approx(7.5)


def test_total_words_inside_long_text_do_not_drop_the_row(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("年度,监控截止日期,主管部门,项目名称,调整后预算,执行数,偏差原因\n"
                    "2022,2022-08-31,教育局,校舍维修,10,5,各校资金合计\n"
                    "2022,2022-08-31,教育局小计,,10,5,\n", encoding="utf-8")
    t = _one(read_file(path))
    assert t.frame["_row"].tolist() == [2] and t.frame["deviation_reason"].tolist() == ["各校资金合计"]


def test_rate_only_above_100_percent_is_a_warning(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("年度,监控截止日期,主管部门,项目名称,执行率\n2022,2022-08-31,教育局,校舍维修,120%\n"
                    "2022,2022-08-31,教育局,教师培训,99.5%\n", encoding="utf-8")
    result = read_file(path)
    assert result.errors == []
    [warning] = result.warnings
    assert (warning.row, warning.column, warning.message) == (2, "执行率（E列）", "执行率 120.0% 超过 100%")
    assert _one(result).frame["execution_rate"].tolist() == pytest.approx([1.2, 0.995])


def test_two_columns_for_one_field_warn_and_read_the_first(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("年度,主管部门,项目名称,项目,年初预算\n2022,教育局,校舍维修,别的名字,10\n", encoding="utf-8")
    result = read_file(path)
    assert result.errors == []
    [warning] = result.warnings
    assert warning.column == "项目（D列）" and "项目名称（C列）" in warning.message
    assert _one(result).frame["project_name"].tolist() == ["校舍维修"]


def test_utf16_tab_separated_export(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("年度\t主管部门\t项目名称\t年初预算\n2022\t教育局\t校舍维修\t1,000.5\n".encode("utf-16"))
    t = _one(read_file(path))
    assert t.frame["initial_budget"].tolist() == [1000.5]


def test_missing_path_is_a_problem_not_an_exception(tmp_path):
    result = read_file(tmp_path / "nope.xlsx")
    assert result.tables == [] and "无法读取文件" in result.errors[0].message


def test_stacked_self_evaluation_forms(corpus):
    path, exp = corpus["self_evaluation_forms"]
    result = read_file(path)
    assert result.problems == []
    # issue 12: the first form's indicator row comes as a companion indicators table
    assert [x.kind for x in result.tables] == ["evaluations", "indicators"]
    assert result.tables[1].frame["name"].tolist() == ["指标1:发放人数"]
    t = result.tables[0]
    assert t.kind == "evaluations" and t.meta["layout"] == "form" and t.meta["forms"] == 2
    assert t.meta["title"] == "项目支出绩效自评表"
    f = t.frame
    assert f["_row"].tolist() == exp["excel_rows"]
    assert f["project_name"].tolist() == exp["project_names"]
    assert f["project_code"].tolist() == exp["project_codes"]
    assert f["department"].tolist() == exp["departments"]
    assert f["department_code"].tolist() == exp["department_codes"]
    assert f["unit"].tolist() == exp["units"]
    assert f["fund_amount"].tolist() == exp["fund_amounts"]  # the second: 35 + 5 under a total left 0
    assert f["score"].tolist() == exp["scores"] and f["grade"].tolist() == exp["grades"]
    assert set(f["kind"]) == {"单位自评"} and set(f["year"]) == {2022}


def test_form_with_bad_score_names_the_cell(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["项目支出绩效自评表"], ["（2022年度）"], ["项目名称", "校舍维修"], ["主管部门", "青山区教育局"],
                ["总分", None, 100, "九十"], ["自评等级", "优"]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    result = read_file(buf.getvalue(), "自评.xlsx")
    assert [str(p) for p in result.errors] == []  # "九十" is not a score-like cell: no score read
    ws["D5"] = 105
    buf = io.BytesIO()
    wb.save(buf)
    [error] = read_file(buf.getvalue(), "自评.xlsx").errors
    assert (error.row, error.column) == (5, "总分（D列）") and "不在 0–100 之间" in error.message


def test_a_reader_bug_becomes_a_problem_not_a_crash(tmp_path, monkeypatch, caplog):
    from data_loaders import reader

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(reader, "read_grid", broken)
    path = tmp_path / "x.csv"
    path.write_text("年度,主管部门,项目名称,年初预算\n2022,教育局,校舍维修,10\n", encoding="utf-8")
    [error] = read_file(path).errors
    # a sentence and a reference number for the user; the exception itself only in the server log
    ref = re.search(r"参考编号 ([0-9a-f]{8})", error.message).group(1)
    assert "程序出错" in error.message and "ZeroDivisionError" not in error.message
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    assert "ZeroDivisionError: boom" in caplog.text and record.exc_info is not None


def test_file_objects_are_read_with_their_name(corpus):
    path, _ = corpus["findings_gbk_csv"]
    buf = io.BytesIO(path.read_bytes())
    buf.name = "uploads/台账.csv"
    result = read_file(buf)
    assert result.file == "台账.csv" and len(result.tables[0].frame) == 5


_WORDS = ["年度", "主管部门", "预算单位", "项目名称", "项目编码", "调整后预算", "执行数", "执行率", "得分", "等级",
          "评价类型", "问题描述", "整改状态", "整改时限", "单位类型", "单位名称", "合计", "其中：", "注：", "单位：元",
          "2022年1-8月", "（2022年度）", "自评表", "总分", "", "/", "项目资金（万元）", "是否设定绩效目标"]
_CELL = st.one_of(st.sampled_from(_WORDS), st.text(max_size=6), st.floats(allow_nan=True), st.integers(-5, 10**6),
                  st.booleans(), st.dates(), st.none())


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6).flatmap(lambda w: st.lists(st.lists(_CELL, min_size=w, max_size=w), max_size=12)),
       st.lists(st.tuples(st.integers(0, 11), st.integers(0, 5), st.integers(0, 3), st.integers(0, 2)), max_size=3))
def test_any_grid_reads_without_raising(grid, merges):
    from dashboard.core.settings import Rules
    from data_loaders.reader import read_grid

    grid = [[("" if v is None else v) for v in row] for row in grid]
    merged = [((r, c), (r + dr, c + dc)) for r, c, dr, dc in merges]
    table, problems, _seen = read_grid(grid, merged, "f.xlsx", "s", rules=Rules())
    assert table is None or "_row" in table.frame
    for p in problems:
        assert p.file == "f.xlsx" and isinstance(p.message, str) and p.level in ("error", "warning")


def test_group_title_rows_inside_a_list_are_skipped(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["年度", "主管部门", "项目名称", "年初预算", "资金来源"],
                ["一、一般公共预算项目"],
                [2022, "教育局", "校舍维修", 10, "一般公共"],
                [None, None, "（二）政府性基金项目"],
                [2022, "教育局", "一、校园绿化", 5, "政府性基金"],
                [2022, "教育局", "（一期）操场", 7, "政府性基金"]):
        ws.append(row)
    ws.merge_cells("A2:E2")
    path = tmp_path / "grouped.xlsx"
    wb.save(path)
    result = read_file(path)
    assert result.problems == []
    t = _one(result)
    assert t.frame["_row"].tolist() == [3, 5, 6]
    assert t.frame["project_name"].tolist() == ["校舍维修", "一、校园绿化", "(一期)操场"]
    assert t.frame["initial_budget"].sum() == 22


def test_a_wide_merge_inside_a_data_row_keeps_the_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["年度", "主管部门", "问题描述", "", "", "整改状态"])
    ws.append([2022, "教育局", "目标不细化，指标不可衡量", None, None, "已整改"])
    ws.merge_cells("C1:E1")
    ws.merge_cells("C2:E2")
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    t = _one(read_file(path))
    # NFKC everywhere: the full-width comma becomes ","
    assert t.frame["description"].tolist() == ["目标不细化,指标不可衡量"] and t.frame["_row"].tolist() == [2]
