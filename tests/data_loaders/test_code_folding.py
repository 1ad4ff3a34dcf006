"""Codes compared as people mean them (issue 23, item 4): project, 主管部门 and 单位 codes that differ only by letter
case or by a hyphen or space look-alike are one code when rows are matched, with a warning naming both spellings.
Every input is built here, on SQLite and PostgreSQL (`db_url`)."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
from import_set import rows

from dashboard.cli import main
from dashboard.core import models as m
from data_loaders.importer import import_files
from data_loaders.link import fold_code

LINE = re.compile(r"^(?P<file>[^/]+) / (?P<sheet>[^/]+) / 第(?P<row>\d+)行 / (?P<column>[^:]+): (?P<message>.+)$")
HEAD = ["年度", "主管部门", "单位名称", "项目编码", "项目名称", "调整后预算（万元）"]
NB_HYPHEN, EN_DASH, FULL_HYPHEN, NBSP, IDEO_SPACE = "\u2011", "\u2013", "\uff0d", "\xa0", "\u3000"


def xlsx(path, header, *data, sheet="项目"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in data:
        ws.append(row)
    wb.save(path)
    return str(path)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def warnings(text: str) -> list[tuple[str, str, str]]:
    out = []
    for line in text.splitlines():
        got = LINE.match(line)
        if got and got["message"].startswith("【警告】"):
            out.append((got["row"], got["column"], got["message"].removeprefix("【警告】")))
    return out


def said(what: str, raw: str, used: str) -> str:
    return (f"{what}「{raw}」与「{used}」只是大小写或连字符、空格的写法不同，按同一{what}处理（使用「{used}」）；"
            "如果它们确是不同的编码，请改用不同的字母或数字")


def projects(url) -> list[tuple]:
    return sorted((p.year, p.code, p.name, p.adjusted_budget) for p in rows(url, m.Project))


def test_case_and_dash_spellings_of_one_code_in_one_file(db_url, tmp_path, capsys):
    path = xlsx(tmp_path / "codes.xlsx", HEAD,
                [2022, "区教育局", "区一中", "dup-001", "甲项目", 100],
                [2022, "区教育局", "区一中", "DUP-001", "甲项目", 100],          # case
                [2022, "区教育局", "区一中", f"P{NB_HYPHEN}002", "乙项目", 50],   # non-breaking hyphen
                [2022, "区教育局", "区一中", f"P{EN_DASH}002", "乙项目", 50],     # en dash
                [2022, "区教育局", "区一中", "P-002", "乙项目", 50],              # the plain spelling
                [2022, "区教育局", "区一中", f"q{FULL_HYPHEN}003", "丙项目", 30],  # full-width: NFKC makes it "-"
                [2022, "区教育局", "区一中", f"Q-003{IDEO_SPACE}", "丙项目", 30])  # trailing ideographic space
    code, out, err = run(capsys, "--db", db_url, "import", path)
    assert code == 0, err
    column = "项目编码（D列）"
    assert warnings(out) == [
        ("3", column, said("项目编码", "DUP-001", "dup-001")),
        # NFKC reads U+2011 as U+2010 (hyphen); the plain ASCII spelling of a later row is the one kept
        ("4", column, said("项目编码", "P\u2010002", "P-002")),
        ("5", column, said("项目编码", f"P{EN_DASH}002", "P-002")),
        ("8", column, said("项目编码", "Q-003", "q-003")),
    ]
    assert "项目 新增3 更新0 未变0" in out
    assert projects(db_url) == [(2022, "P-002", "乙项目", 50.0), (2022, "dup-001", "甲项目", 100.0),
                                (2022, "q-003", "丙项目", 30.0)]


def test_a_later_file_links_to_the_stored_spelling(db_url, tmp_path, capsys):
    first = xlsx(tmp_path / "p.xlsx", HEAD, [2022, "区教育局", "区一中", "DUP-001", "甲项目", 100])
    assert run(capsys, "--db", db_url, "import", first)[0] == 0
    stored = rows(db_url, m.Project)[0].id
    mon = xlsx(tmp_path / "mon.xlsx", ["年度", "主管部门", "项目编码", "执行数（万元）", "监控截止日期"],
               [2022, "区教育局", f"dup{NB_HYPHEN}001", 40, dt.date(2022, 8, 31)], sheet="监控")
    code, out, err = run(capsys, "--db", db_url, "import", mon)
    assert code == 0, err
    assert warnings(out) == [("2", "项目编码（C列）", said("项目编码", "dup\u2010001", "DUP-001"))]
    assert [(r.project_id, r.executed) for r in rows(db_url, m.MonitoringRecord)] == [(stored, 40.0)]
    assert projects(db_url) == [(2022, "DUP-001", "甲项目", 100.0)]
    # next year's project keeps last year's spelling, so the two years meet by code
    nxt = xlsx(tmp_path / "p2023.xlsx", HEAD, [2023, "区教育局", "区一中", "Dup-001", "甲项目", 110])
    code, out, err = run(capsys, "--db", db_url, "import", nxt)
    assert code == 0, err
    assert warnings(out) == [("2", "项目编码（D列）", said("项目编码", "Dup-001", "DUP-001"))]
    assert projects(db_url) == [(2022, "DUP-001", "甲项目", 100.0), (2023, "DUP-001", "甲项目", 110.0)]


def test_department_and_unit_codes_fold_too(db_url, tmp_path):
    path = xlsx(tmp_path / "units.xlsx", ["主管部门编码", "主管部门", "单位编码", "单位名称"],
                ["JY-01", "区教育局", "JY-01-001", "区一中"],
                [f"jy{NB_HYPHEN}01", "区教育局", "JY-01-002", "区二中"], sheet="部门单位")
    result = import_files(db_url, [path])
    assert result.ok, result.problems
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (3, "主管部门编码（A列）", said("主管部门编码", "jy\u201001", "JY-01"))]
    assert [(d.code, d.name) for d in rows(db_url, m.Department)] == [("JY-01", "区教育局")]
    # a later file naming the unit by another spelling of its code links to it
    again = xlsx(tmp_path / "again.xlsx", ["主管部门编码", "主管部门", "单位编码", "单位名称"],
                 ["JY-01", "区教育局", f"jy-01-001{NBSP}", "区一中"], sheet="部门单位")
    result = import_files(db_url, [again])
    assert result.ok, result.problems
    assert [(p.row, p.message) for p in result.problems] == [(2, said("单位编码", "jy-01-001", "JY-01-001"))]
    assert sorted((u.code, u.name) for u in rows(db_url, m.Unit)) == [("JY-01-001", "区一中"), ("JY-01-002", "区二中")]


def test_codes_that_differ_otherwise_stay_apart(sqlite_url, tmp_path):
    path = xlsx(tmp_path / "apart.xlsx", HEAD, [2022, "区教育局", "区一中", "A-1", "甲", 1],
                [2022, "区教育局", "区一中", "A-2", "乙", 2], [2022, "区教育局", "区一中", "A_1", "丙", 3])
    result = import_files(sqlite_url, [path])
    assert result.ok and not result.problems
    assert [c for _y, c, _n, _b in projects(sqlite_url)] == ["A-1", "A-2", "A_1"]


@pytest.mark.parametrize("raw", ["dup-001", "DUP-001", f"DUP{NB_HYPHEN}001", f"DUP{EN_DASH}001", "DUP\u2014001",
                                 f"DUP{FULL_HYPHEN}001", "DUP\u2212001", f"DUP-{NBSP}001", f"{IDEO_SPACE}Dup - 001",
                                 "DUP\u200b-001"])
def test_fold_code(raw):
    assert fold_code(raw) == "DUP-001"
