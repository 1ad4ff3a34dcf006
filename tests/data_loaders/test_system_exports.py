"""Issue 22 (item 5, "System exports"; item 3): a year that differs between the sheets of one workbook is
reported with the year each sheet's rows were stored under; tick marks across the 完成目标可能性 option
columns (确定能 | 有可能 | 完全不可能) are read as that option, two ticks in a row are an error naming the row;
projects of a long-format table that have indicators count as having performance targets."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from import_set import rows

from dashboard.cli import main
from dashboard.core import models as m
from data_loaders.importer import import_files
from data_loaders.reader import read_file


def _book(path: Path, sheets: dict[str, tuple[list[list], list[str]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (cells, merges) in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(cells, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for rng in merges:
            ws.merge_cells(rng)
    wb.save(path)
    return path


# --- tick marks across option columns -----------------------------------------------------------------------

_HEAD = ["主管部门", "项目名称", "调整后预算", "执行数"]


def _monitoring(marks: list[tuple], merged: bool) -> tuple[list[list], list[str]]:
    rows_ = [["2024年1-6月项目绩效监控情况表"]]
    if merged:
        rows_ += [[*_HEAD, "完成目标可能性", None, None], [None] * 4 + ["确定能", "有可能", "完全不可能"]]
        merges = ["E2:G2", "A2:A3", "B2:B3", "C2:C3", "D2:D3"]
    else:
        rows_ += [[*_HEAD, "确定能", "有可能", "完全不可能"]]
        merges = []
    for i, mark in enumerate(marks, start=1):
        rows_.append(["青山区教育局", f"项目{i}", 100.0, 40.0, *mark])
    return rows_, merges


_MARKS = [("✔", None, None), (None, "√", None), (None, None, "✓"), ("☑", None, None), (None, "是", None),
          (None, None, None)]


@pytest.mark.parametrize("merged", [False, True], ids=["flat", "merged"])
def test_ticks_across_option_columns_are_read(db_url, tmp_path, merged):
    path = _book(tmp_path / "监控.xlsx", {"监控": _monitoring(_MARKS, merged)})
    read = read_file(path)
    assert read.errors == [], [str(p) for p in read.errors]
    assert not [p for p in read.warnings if "完成目标可能性" in p.message or "确定能" in p.message]
    result = import_files(db_url, [path])
    assert result.ok, [str(p) for p in result.problems]
    stored = {r.project_id: r.likelihood for r in rows(db_url, m.MonitoringRecord)}
    names = {p.id: p.name for p in rows(db_url, m.Project)}
    assert {names[k]: v for k, v in stored.items()} == {
        "项目1": "确定能", "项目2": "有可能", "项目3": "完全不可能", "项目4": "确定能", "项目5": "有可能", "项目6": None}


def test_two_ticks_in_a_row_are_an_error_naming_the_row(tmp_path):
    path = _book(tmp_path / "监控.xlsx", {"监控": _monitoring([("✔", None, None), ("√", "√", None), (None, 1, None)],
                                                              False)})
    read = read_file(path)
    assert [(p.row, p.column) for p in read.errors] == [(4, "完成目标可能性（E列）"), (5, "完成目标可能性（E列）")]
    assert "勾选了2项（确定能、有可能），只能勾选一项" in read.errors[0].message
    assert read.errors[1].message.startswith("“有可能”一栏的“1”不是勾选标记")


def test_a_likelihood_column_of_its_own_wins_over_option_headers(tmp_path):
    """One 完成目标可能性 column: read as before (the option words are its values)."""
    cells = [["年度", *_HEAD, "完成目标可能性", "监控截止日期"],
             [2024, "青山区教育局", "项目1", 100.0, 40.0, "有可能", "2024-06-30"]]
    read = read_file(_book(tmp_path / "监控.xlsx", {"监控": (cells, [])}))
    assert read.errors == []
    assert read.tables[0].frame["likelihood"].tolist() == ["有可能"]


# --- a year that differs between sheets -------------------------------------------------------------------

def test_sheets_with_different_years_are_reported(db_url, tmp_path):
    projects = [["2023年项目表"], ["主管部门", "项目编码", "项目名称", "年初预算"], ["青山区教育局", "P1", "校舍维修", 100.0]]
    monitoring = [["主管部门", "项目编码", "项目名称", "调整后预算", "执行数", "年度", "监控截止日期"],
                  ["青山区教育局", "P1", "校舍维修", 100.0, 40.0, 2024, "2024-06-30"]]
    path = _book(tmp_path / "两年.xlsx", {"项目": (projects, []), "监控": (monitoring, [])})
    read = read_file(path)
    assert read.errors == []
    (warning,) = [p for p in read.warnings if "年度不同" in p.message]
    assert warning.message.startswith(
        "同一工作簿里各工作表的年度不同：工作表“项目”为 2023 年（标题），工作表“监控”为 2024 年（“年度”列）。"
        "各表的行按自己的年度导入：“项目”的行记在 2023 年，“监控”的行记在 2024 年；")
    assert "“监控”的行只对应 2024 年的项目，而“项目”的项目记在 2023 年" in warning.message
    result = import_files(db_url, [path])
    assert result.ok, [str(p) for p in result.problems]
    years = {p.id: p.year for p in rows(db_url, m.Project)}
    assert sorted(years.values()) == [2023, 2024]  # the same project twice: what the warning says
    assert [years[r.project_id] for r in rows(db_url, m.MonitoringRecord)] == [2024]


def test_sheets_of_one_year_say_nothing(tmp_path):
    projects = [["2024年项目表"], ["主管部门", "项目编码", "项目名称", "年初预算"], ["青山区教育局", "P1", "校舍维修", 100.0]]
    monitoring = [["主管部门", "项目编码", "项目名称", "调整后预算", "执行数", "年度", "监控截止日期"],
                  ["青山区教育局", "P1", "校舍维修", 100.0, 40.0, 2024, "2024-06-30"]]
    read = read_file(_book(tmp_path / "一年.xlsx", {"项目": (projects, []), "监控": (monitoring, [])}))
    assert not [p for p in read.problems if "年度不同" in p.message]


# --- long format: projects with indicators have targets ---------------------------------------------------

def test_long_format_projects_with_indicators_count_as_targeted(db_url, tmp_path, capsys):
    cells = [["项目编码", "项目名称", "申请单位", "一级预算单位", "本年金额", "一级指标", "二级指标", "三级指标", "指标值"],
             ["P1", "社区经费", "东方社区", "松岗街道办", 30.0, "产出", "数量", "服务人次", "≥100人次"],
             ["P1", "社区经费", "东方社区", "松岗街道办", 30.0, "效益", "社会效益", "居民满意", "≥90%"],
             ["P2", "路灯维护", "东方社区", "松岗街道办", 10.0, "产出", "质量", "不适用", "不适用"]]
    path = _book(tmp_path / "长格式.xlsx", {"data": (cells, [])})
    result = import_files(db_url, [path], year=2023)
    assert result.ok, [str(p) for p in result.problems]
    assert {p.code: p.has_target for p in rows(db_url, m.Project)} == {"P1": True, "P2": None}
    capsys.readouterr()
    assert main(["--db", db_url, "summary", "--year", "2023", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["target_coverage"]["by_count"] == pytest.approx(0.5)
    assert s["target_coverage"]["by_funds"] == pytest.approx(0.75)
