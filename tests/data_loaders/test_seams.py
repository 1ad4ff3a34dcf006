"""Issue 12's importer seams, each from a generated file in its layout (corpus_seams.py), through the command line:
month columns, a child header under a merged parent, hidden and drop-down list sheets, the evaluation kind from the
title or --kind, the year in the file name, forms not supported yet; the stored rows and `summary --json`."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from corpus_seams import (
    AMBIGUOUS,
    KIND_TITLES,
    evaluations_titled,
    monitoring_ambiguous,
    monitoring_month_columns,
    monitoring_running_total_under_parent,
    projects_merged_target_header,
    projects_year_in_file_name,
    unsupported_form,
    workbook_with_list_sheets,
)
from import_set import dump, one, project, rows

from dashboard.cli import main
from dashboard.core import models as m
from data_loaders import forms as F
from data_loaders import headers as H
from data_loaders import layout as L
from data_loaders.importer import import_files
from data_loaders.reader import read_file
from data_loaders.sheet import period_plan
from data_loaders.tables import ParsedTable


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def summary(capsys, url: str, year: int) -> dict:
    code, out, err = cli(capsys, "--db", url, "summary", "--year", year, "--json", "--today", "2024-03-31")
    assert code == 0, err
    return json.loads(out)


# --- 3. month columns --------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [monitoring_month_columns, monitoring_running_total_under_parent])
def test_month_columns_become_one_executed_figure_to_the_latest_month(db_url, tmp_path, capsys, build):
    path, expected = build(tmp_path)
    code, out, err = cli(capsys, "--db", db_url, "import", path)  # no --as-of: the months give it
    assert code == 0, err
    assert "按表头的月份读取：截至8月的执行数" in out  # said, never silent
    assert "只读取前一列" not in out + err
    recs = rows(db_url, m.MonitoringRecord)
    assert len(recs) == 5 and {r.as_of for r in recs} == {dt.date(2023, 8, 31)}
    assert sum(r.executed for r in recs) == pytest.approx(expected["sum_executed"])
    assert sum(r.adjusted_budget for r in recs) == pytest.approx(expected["sum_budget"])
    s = summary(capsys, db_url, 2023)["monitoring"]
    assert s["as_of"] == "2023-08-31"
    assert s["execution_rate"] == expected["execution_rate"]  # 268.1 / 500, not 16 / 500 from 1月 alone
    assert (s["green"], s["yellow"], s["red"], s["reported"]) == (2, 2, 1, 5)


def test_month_columns_executed_per_project(db_url, tmp_path):
    path, expected = monitoring_month_columns(tmp_path)
    result = import_files(db_url, [path])
    assert result.ok, [str(p) for p in result.errors]
    for name, executed in expected["executed"].items():
        rec = one(db_url, m.MonitoringRecord, project_id=project(db_url, name).id)
        assert rec.executed == pytest.approx(executed) and rec.adjusted_budget == 100.0


@pytest.mark.parametrize("case", sorted(AMBIGUOUS))
def test_month_columns_that_cannot_be_told_apart_are_refused(db_url, tmp_path, case):
    path, expected = monitoring_ambiguous(tmp_path, case)
    result = import_files(db_url, [path])
    assert not result.ok and result.batch_id is None
    [error] = [p for p in result.errors if "都表示“执行数”" in p.message]
    assert error.file == path.name and error.sheet == "监控" and error.row == 1
    assert error.column == "、".join(expected["columns"])
    assert expected["message"] in error.message and "不能只取一列" in error.message
    assert rows(db_url, m.MonitoringRecord) == []


@pytest.mark.parametrize("header,period", [
    ("1月执行数", (1, 1, True)), ("8月执行数", (8, 8, False)), ("1-6月累计执行数", (1, 6, True)),
    ("1-3月累计", (1, 3, True)), ("截至8月底执行数", (1, 8, True)), ("6月累计执行数", (1, 6, True)),
    ("7-8月执行数", (7, 8, False)), ("二季度执行数", (4, 6, False)), ("十二月执行数", (12, 12, False)),
    ("执行数", None), ("项目预算执行情况", None),
])
def test_header_period(header, period):
    assert H.header_period(header) == period


@pytest.mark.parametrize("headers,plan", [
    (["1月执行数", "2月执行数", "3月执行数"], ([0, 1, 2], 3)),
    (["1-6月累计执行数", "7月执行数", "8月执行数"], ([0, 1, 2], 8)),
    (["1-3月累计", "1-6月累计"], ([1], 6)),  # the latest running total
    (["1-6月累计", "3月执行数", "7月执行数"], ([0, 2], 7)),  # 3月 is inside 1-6月
    (["累计执行数", "7月执行数", "8月执行数"], ([0], 8)),  # the running total, its months a breakdown
    (["执行数", "支出数"], "表头没有写明月份"),
    (["1月执行数", "3月执行数"], "缺少2月"),
    (["1-6月累计", "5-7月执行数"], "重叠"),
])
def test_period_plan(headers, plan):
    got = period_plan(list(enumerate(headers)))
    if isinstance(plan, str):
        assert isinstance(got, str) and plan in got
    else:
        assert got == plan


# --- 4. a child header under a merged parent ------------------------------------------------------------------


def test_child_header_under_a_merged_parent_maps_by_the_pair(db_url, tmp_path, capsys):
    path, expected = projects_merged_target_header(tmp_path)
    code, out, err = cli(capsys, "--db", db_url, "import", path)
    assert code == 0, err
    # the unused look-alike column is named on the command line
    assert f"{expected['warning_column']}: 【警告】表头“重点项目标识”像是“是否重点项目”，但没有读取这一列" in out
    for name, has in expected["has_target"].items():
        p = project(db_url, name)
        assert p.has_target is has and p.target_grade == expected["target_grade"][name]
    s = summary(capsys, db_url, 2023)
    assert s["projects"] == 5 and s["budget_total"] == 1000.0
    assert s["target_coverage"] == {"by_count": 0.8, "by_funds": 0.924}  # not 0 %
    assert s["monitoring"]["grey"] == 4  # the four projects with targets that have not reported


def test_pair_table():
    assert H.pair_field("绩效目标", "是否设定") == "has_target"
    assert H.pair_field("绩效目标", "审核等级") == "target_grade"
    assert H.pair_field("绩效目标", "等级") == "target_grade"  # not an evaluation's 等级
    assert H.period_child("执行数（万元）", "7月") == ["executed"]
    assert H.period_child("偏差原因", "8月才拨付") == []


def test_header_that_resembles_a_field_of_another_table_is_named():
    # (执行数 itself is read on an evaluation list: the evaluated project's 全年执行数)
    headers = ["年度", "评价类型", "主管部门", "项目名称", "得分", "执行率"]
    result = read_file("\n".join([",".join(headers), "2023,单位自评,青山区教育局,校舍维修,90,50"]).encode(), "e.csv")
    [warning] = result.warnings
    assert warning.column == "执行率（F列）" and "绩效监控表的“执行率”列" in warning.message


# --- 5. hidden sheets and drop-down lists ---------------------------------------------------------------------


def test_hidden_and_drop_down_list_sheets_are_skipped_and_said(db_url, tmp_path, capsys):
    path, expected = workbook_with_list_sheets(tmp_path)
    code, out, err = cli(capsys, "--db", db_url, "import", path)
    assert code == 0, err
    for sheet, why in expected["skipped"].items():
        assert any(line.startswith(f"{path.name} / {sheet} / ") and f"已跳过工作表“{sheet}”" in line and why in line
                   for line in out.splitlines()), out
    s = summary(capsys, db_url, 2023)
    assert s["projects"] == expected["projects"] and s["budget_total"] == expected["budget_total"]
    assert s["target_coverage"] == {"by_count": expected["by_count"], "by_funds": expected["by_funds"]}
    # the 部门单位 sheet also feeds a drop-down, but has other columns: it is data
    one(db_url, m.Unit, name="青山区第一中学")
    result = read_file(path)
    assert set(result.skip_reasons) == set(expected["skipped"])
    assert [t.sheet for t in result.tables] == ["项目", "部门单位"]


def test_a_workbook_of_only_hidden_sheets_says_so(tmp_path):
    path, _expected = workbook_with_list_sheets(tmp_path)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for name in ("项目", "部门单位"):
        del wb[name]
    wb.save(path)
    [error] = read_file(path).errors
    assert error.message.startswith("未识别出任何数据表：") and "隐藏的工作表" in error.message
    assert "评价类型" not in error.message  # the hidden lists are not quoted as headers


# --- 6. evaluation kind ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("words", sorted(KIND_TITLES))
def test_evaluation_kind_from_title_variants(db_url, tmp_path, capsys, words):
    path, expected = evaluations_titled(tmp_path, words)
    code, _out, err = cli(capsys, "--db", db_url, "import", path)
    assert code == 0, err
    kind = KIND_TITLES[words]
    assert {e.kind for e in rows(db_url, m.Evaluation)} == {kind}
    e = summary(capsys, db_url, 2023)["evaluations"]
    assert e["count"] == expected["count"] and e["avg_score"] == expected["avg_score"]
    assert e["by_kind"] == {k: (2 if k == kind else 0) for k in e["by_kind"]}


def test_kind_refusal_tells_about_the_option_then_the_option_imports(db_url, tmp_path, capsys):
    path, _expected = evaluations_titled(tmp_path, None, "2023年评价结果.xlsx")
    code, _out, err = cli(capsys, "--db", db_url, "import", path)
    assert code == 2
    assert "缺少必填列“评价类型”" in err and "请在上传页选择评价类型（命令行加 --kind 财政重点评价" in err
    assert rows(db_url, m.Evaluation) == []
    code, _out, err = cli(capsys, "--db", db_url, "import", path, "--kind", "第三方评价", "--year", "2023")
    assert code == 0, err
    assert {e.kind for e in rows(db_url, m.Evaluation)} == {"财政重点评价"}
    e = summary(capsys, db_url, 2023)["evaluations"]
    assert e["count"] == 2 and e["grades"]["优"] == 1 and e["grades"]["中"] == 1 and e["by_kind"]["财政重点评价"] == 2


def test_kind_option_refuses_an_unknown_word(sqlite_url, tmp_path, capsys):
    path, _expected = evaluations_titled(tmp_path, None)
    with pytest.raises(SystemExit):
        main(["--db", sqlite_url, "import", str(path), "--kind", "内部评价"])
    assert "评价类型应为" in capsys.readouterr().err


@pytest.mark.parametrize("title,kind", [
    ("财政重点评价结果汇总表", "财政重点评价"), ("2021年度绩效自评结果", "单位自评"), ("自评抽查复核结果", "抽查复核"),
    ("部门自评结果", "部门评价"), ("项目支出绩效目标申报表", None),
])
def test_kind_words(title, kind):
    assert L.evaluation_kind_from_notes([title]) == kind


# --- 7. the year in the file name ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["2023年项目清单.xlsx", "2023-项目.xlsx"])
def test_year_in_the_file_name_is_proposed(db_url, tmp_path, capsys, name):
    path, expected = projects_year_in_file_name(tmp_path, name)
    code, _out, err = cli(capsys, "--db", db_url, "import", path)
    assert code == 2 and "命令行加 --year 2023" in err and f"文件名“{name}”里有 2023" in err
    assert rows(db_url, m.Project) == []
    code, _out, err = cli(capsys, "--db", db_url, "import", path, "--year", 2023)
    assert code == 0, err
    s = summary(capsys, db_url, 2023)
    assert s["projects"] == 2 and s["budget_total"] == 160.0
    assert s["target_coverage"] == {"by_count": expected["by_count"], "by_funds": expected["by_funds"]}


@pytest.mark.parametrize("name,year", [("2023年项目清单.xlsx", 2023), ("项目_2024.csv", 2024),
                                       ("2022-2023年项目.xlsx", None), ("P20231.xlsx", None), ("项目.xlsx", None)])
def test_year_from_file_name(name, year):
    assert L.year_from_filename(name) == year


# --- 8. forms not supported yet ----------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["项目事前绩效评估表", "项目绩效跟踪情况表"])  # a registered type, and none at all
def test_form_not_supported_is_named_by_its_title(db_url, tmp_path, title):
    path, expected = unsupported_form(tmp_path, title)
    result = import_files(db_url, [path])
    assert not result.ok
    [error] = result.errors
    assert error.message.startswith(f"工作表“评估表”是《{title}》") and "目前还不能导入" in error.message
    assert error.message.count("。") == 0  # one sentence
    assert not any(v in error.message for v in expected["values"])  # no cell values listed as headers
    assert "找到的表头" not in error.message
    assert dump(db_url)["projects"] == []


def test_form_beside_a_list_is_skipped_with_a_warning(db_url, tmp_path):
    form, _e = unsupported_form(tmp_path, "项目事前绩效评估表")
    import openpyxl

    wb = openpyxl.load_workbook(form)
    ws = wb.create_sheet("项目")
    for row in (["年度", "主管部门", "项目名称", "调整后预算"], [2023, "青山区教育局", "校舍维修", 100]):
        ws.append(row)
    wb.save(form)
    result = import_files(db_url, [form])
    assert result.ok, [str(p) for p in result.errors]
    [warning] = [p for p in result.warnings if p.sheet == "评估表"]
    assert "《项目事前绩效评估表》" in warning.message
    assert project(db_url, "校舍维修").adjusted_budget == 100.0


def test_a_registered_reader_replaces_the_unsupported_type(tmp_path, monkeypatch):
    """The one mechanism other readers plug into: registering a reader under the form's name."""
    monkeypatch.setattr(F, "FORM_TYPES", list(F.FORM_TYPES))
    path, _expected = unsupported_form(tmp_path, "项目事前绩效评估表")
    seen = []

    def reader(grid, file, sheet, year, rules):
        seen.append((file, sheet))
        frame = pd.DataFrame({"year": [2023], "project_name": [grid[2][1]], "_row": [3]})
        return ParsedTable(file, sheet, "projects", frame, {}, {}, {"year": 2023}), []

    before = [t.name for t in F.FORM_TYPES]
    F.register(F.FormType("事前绩效评估表", F.FORM_TYPES[before.index("事前绩效评估表")].title, reader))
    assert [t.name for t in F.FORM_TYPES] == before  # replaced in its place
    result = read_file(path)
    assert seen == [("form.xlsx", "评估表")]
    assert result.ok and [t.frame["project_name"].tolist() for t in result.tables] == [["校舍维修改造工程"]]


# --- docs -----------------------------------------------------------------------------------------------------------


def test_docs_describe_every_pair_and_form():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "data-formats.md").read_text(encoding="utf-8")
    missing = [f"{p}/{c}" for p, c in H.PAIRS if f"`{p}`" not in text or f"`{c}`" not in text]
    missing += [t.name for t in F.FORM_TYPES if t.name not in text]
    missing += [w for w in KIND_TITLES if w not in text]
    assert not missing


def test_drop_down_sources_by_defined_name_and_xlsxwriter(tmp_path):
    """A list sheet named through a defined name (xlsxwriter writes the validation as Excel does), and a list sheet
    two of whose three columns feed drop-downs: the first is skipped, the second is data."""
    import xlsxwriter

    path = tmp_path / "names.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("项目")
    for c, h in enumerate(["年度", "主管部门", "项目名称", "调整后预算", "资金来源"]):
        ws.write(0, c, h)
    for c, v in enumerate([2023, "青山区教育局", "校舍维修", 100, "一般公共预算"]):
        ws.write(1, c, v)
    lists = wb.add_worksheet("选项 表")
    for r, v in enumerate(["一般公共预算", "政府性基金预算"]):
        lists.write(r, 0, v)
    units = wb.add_worksheet("部门单位")
    for r, row in enumerate([["主管部门", "单位名称", "单位类型"], ["青山区教育局", "青山区第一中学", "部门"]]):
        units.write_row(r, 0, row)
    wb.define_name("资金来源列表", "='选项 表'!$A$1:$A$2")
    ws.data_validation(1, 4, 50, 4, {"validate": "list", "source": "=资金来源列表"})
    ws.data_validation(1, 1, 50, 1, {"validate": "list", "source": "='部门单位'!$A$2:$A$2"})
    wb.close()
    result = read_file(path)
    assert result.ok, [str(p) for p in result.errors]
    assert list(result.skip_reasons) == ["选项 表"] and "下拉列表" in result.skip_reasons["选项 表"]
    assert [t.sheet for t in result.tables] == ["项目", "部门单位"]
