"""Budgets in a sane range (issue 23, item 2): amounts, scores and dates have plausible ranges ([rules] amount_max_wan,
date_min_year, date_max_year); a cell outside is refused naming file, sheet, row and column, and nothing is written;
non-finite numbers never get in. Every input is built here, on SQLite and PostgreSQL (`db_url`)."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sqlite3

import openpyxl
import pytest
from import_set import dump, rows

from dashboard.cli import main
from dashboard.core import models as m
from dashboard.core.settings import Rules, SettingsError, check_rules, load_settings
from data_loaders import cells as C
from data_loaders.importer import import_files
from data_loaders.sync import sync

HEAD = ["年度", "主管部门", "单位名称", "项目编码", "项目名称", "调整后预算（万元）"]
EMPTY = {t.__tablename__: [] for t in m.DATA_TABLES}
LINE = re.compile(r"^(?P<file>[^/]+) / (?P<sheet>[^/]+) / 第(?P<row>\d+)行 / (?P<column>[^:]+): (?P<message>.+)$")
AMOUNT_MESSAGE = ("金额 {} 万元超出合理范围：单个金额不应超过 100,000,000 万元（1 万亿元，设置 [rules] amount_max_wan）。"
                  "请核对这一格（是否多写了位数或写错了金额单位）")


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


def errors(err: str, name: str) -> list[tuple[str, str, str]]:
    """(row, column, message) of the error lines naming file `name`."""
    out = []
    for line in err.splitlines():
        got = LINE.match(line)
        if got and got["file"] == name and not got["message"].startswith("【警告】"):
            out.append((got["row"], got["column"], got["message"]))
    return out


def budgets(url) -> dict[str, float | None]:
    return {p.code: p.adjusted_budget for p in rows(url, m.Project)}


# --- the probe: two projects of 1e308 万元 ------------------------------------------------------------------------------

def test_two_projects_of_1e308_are_refused_naming_each_cell(db_url, tmp_path, capsys):
    path = xlsx(tmp_path / "big.xlsx", HEAD, [2022, "区教育局", "区一中", "P-001", "甲项目", 1e308],
                [2022, "区教育局", "区一中", "P-002", "乙项目", 1e308])
    # --unit 万元: the 金额单位 rule is not asked, only the range stands between the file and the database
    code, _out, err = run(capsys, "--db", db_url, "import", "--unit", "万元", path)
    assert code == 2
    assert errors(err, "big.xlsx") == [("2", "调整后预算（万元）（F列）", AMOUNT_MESSAGE.format("1e+308")),
                                       ("3", "调整后预算（万元）（F列）", AMOUNT_MESSAGE.format("1e+308"))]
    assert "导入失败：2 个错误，未写入任何数据。" in err
    assert dump(db_url) == EMPTY
    code, out, _err = run(capsys, "--db", db_url, "summary", "--year", "2022", "--json")
    assert code == 0 and "Infinity" not in out and "NaN" not in out
    assert json.loads(out)["budget_total"] == 0.0


def test_the_bound_is_inclusive_and_judged_after_the_unit(db_url, tmp_path, capsys):
    # 100,000,000 万元 (the bound) is kept; 100,000,000.5 万元 is refused. In 元, 1,000,000,000,000 元 is the bound
    # itself (÷ 10,000) and 1,000,000,010,000 元 = 100,000,001 万元 is refused.
    wan = xlsx(tmp_path / "wan.xlsx", HEAD, [2022, "区教育局", "区一中", "W-1", "甲", 100_000_000],
               [2022, "区教育局", "区一中", "W-2", "乙", 100_000_000.5])
    yuan = xlsx(tmp_path / "yuan.xlsx", HEAD[:5] + ["调整后预算（元）"],
                [2022, "区教育局", "区一中", "Y-1", "丙", 1_000_000_000_000],
                [2022, "区教育局", "区一中", "Y-2", "丁", 1_000_000_010_000])
    code, _out, err = run(capsys, "--db", db_url, "import", "--dry-run", "--unit", "万元", wan)
    assert code == 2
    assert errors(err, "wan.xlsx") == [("3", "调整后预算（万元）（F列）", AMOUNT_MESSAGE.format("100,000,000.5"))]
    code, _out, err = run(capsys, "--db", db_url, "import", yuan)
    assert code == 2
    assert errors(err, "yuan.xlsx") == [("3", "调整后预算（元）（F列）", AMOUNT_MESSAGE.format("100,000,001"))]
    # the rows within the range import once the others are gone
    ok = xlsx(tmp_path / "ok.xlsx", HEAD[:5] + ["调整后预算（元）"], [2022, "区教育局", "区一中", "Y-1", "丙", 1_000_000_000_000])
    code, _out, err = run(capsys, "--db", db_url, "import", ok)
    assert code == 0, err
    assert budgets(db_url) == {"Y-1": 100_000_000.0}


def test_a_configured_bound_and_signed_amounts(db_url, tmp_path):
    # [rules] amount_max_wan = 600000 (≥ unit_project_max_wan 500000): 600,000 kept, 600,001 refused; a 下年预算调整
    # of −700,000 (signed money) is refused by its absolute value
    rules = Rules(amount_max_wan=600_000)
    path = xlsx(tmp_path / "cfg.xlsx", HEAD, [2022, "区教育局", "区一中", "C-1", "甲", 600_000],
                [2022, "区教育局", "区一中", "C-2", "乙", 600_001])
    result = import_files(db_url, [path], rules=rules, unit="万元")
    assert not result.ok
    assert [(p.row, p.column, p.message) for p in result.problems if p.level == "error"] == [
        (3, "调整后预算（万元）（F列）", ("金额 600,001 万元超出合理范围：单个金额不应超过 600,000 万元（60 亿元，设置 [rules] "
                                     "amount_max_wan）。请核对这一格（是否多写了位数或写错了金额单位）"))]
    ev = xlsx(tmp_path / "ev.xlsx", ["年度", "评价类型", "主管部门", "项目编码", "项目名称", "得分", "下年预算调整（万元）"],
              [2022, "财政重点评价", "区教育局", "E-1", "甲", 85, -700_000], sheet="评价")
    result = import_files(db_url, [ev], rules=rules, unit="万元")
    assert [(p.row, p.message.split("：")[0]) for p in result.problems if p.level == "error"] == [
        (2, "金额 -700,000 万元超出合理范围")]
    assert dump(db_url) == EMPTY


# --- text amounts: inf, nan, 1e400, 400 digits ---------------------------------------------------------------------

def test_text_amounts_that_are_no_finite_number(db_url, tmp_path, capsys):
    path = tmp_path / "text.csv"
    lines = [",".join(HEAD)]
    for i, amount in enumerate(["inf", "1e400", "1" + "0" * 400, "-inf", "Infinity", "nan", "1.5E+3"], start=1):
        lines.append(f"2022,区教育局,区一中,T-{i},项目{i},{amount}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _out, err = run(capsys, "--db", db_url, "import", str(path))
    assert code == 2
    column = "调整后预算（万元）（F列）"
    assert errors(err, "text.csv") == [
        ("2", column, "“inf” 不是数字"),
        ("3", column, "“1e400” 太大，不是有限的数字"),
        ("4", column, "“1000000000000000000000000000…” 太大，不是有限的数字"),
        ("5", column, "“-inf” 不是数字"),
        ("6", column, "“Infinity” 不是数字"),
    ]
    # without the refused rows: "nan" is an empty cell (as pandas writes one), 1.5E+3 is 1,500 万元
    path.write_text("\n".join(lines[:1] + lines[6:]) + "\n", encoding="utf-8")
    code, _out, err = run(capsys, "--db", db_url, "import", str(path))
    assert code == 0, err
    assert budgets(db_url) == {"T-6": None, "T-7": 1500.0}


def test_a_400_digit_amount_among_many_numbers_typed_as_text(sqlite_url, tmp_path):
    # 1,500 distinct amounts as text take the bulk numpy path (columns.py), where 400 digits become inf
    path = tmp_path / "bulk.csv"
    lines = [",".join(HEAD)] + [f"2022,区教育局,区一中,B-{i},项目{i},{i}.25" for i in range(1, 1501)]
    lines[700] = f"2022,区教育局,区一中,B-700,项目700,{'9' * 400}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_files(sqlite_url, [str(path)], dry_run=True)
    assert [(p.row, p.message) for p in result.problems if p.level == "error"] == [
        (701, "“9999999999999999999999999999…” 太大，不是有限的数字")]


def test_float_cells_of_inf_are_refused_by_the_parser():
    assert C.parse_number(float("inf")) == (None, "“inf” 不是有限的数字")
    assert C.parse_number(float("-inf")) == (None, "“-inf” 不是有限的数字")
    assert C.parse_money(float("inf")) == (None, "“inf” 不是有限的数字")
    assert C.parse_number(float("nan")) == (None, None)
    assert C.parse_number("1.2E+11") == (120_000_000_000.0, None)


# --- dates ----------------------------------------------------------------------------------------------------------

MON = ["年度", "主管部门", "项目编码", "项目名称", "调整后预算（万元）", "执行数（万元）", "监控截止日期"]


def test_dates_outside_1990_to_2100_and_excel_serial_60(db_url, tmp_path, capsys):
    path = xlsx(tmp_path / "mon.xlsx", MON,
                [2022, "区教育局", "M-1", "甲", 100, 40, 60],                       # 1900-02-29, which never was
                [2022, "区教育局", "M-2", "乙", 100, 40, dt.date(9999, 12, 31)],     # a placeholder date
                [2022, "区教育局", "M-3", "丙", 100, 40, dt.date(1989, 12, 31)],     # one day too early
                [2022, "区教育局", "M-4", "丁", 100, 40, dt.date(1990, 1, 1)],       # the first plausible day
                [2022, "区教育局", "M-5", "戊", 100, 40, dt.date(2100, 12, 31)],     # the last plausible day
                [2022, "区教育局", "M-6", "己", 100, 40, "2101-01-01"], sheet="监控")
    code, _out, err = run(capsys, "--db", db_url, "import", path)
    assert code == 2
    hint = "（应在 1990-01-01 至 2100-12-31 之间，设置 [rules] date_min_year / date_max_year），请核对这一格"
    assert errors(err, "mon.xlsx") == [
        ("2", "监控截止日期（G列）", ("“60” 不是日期（Excel 的日期序号 60 是不存在的 1900年2月29日）"
                                  "（可写作 2022-08-31、2022/8/31、2022年8月31日 或 2022.08）")),
        ("3", "监控截止日期（G列）", "日期 9999-12-31 不在合理范围内" + hint),
        ("4", "监控截止日期（G列）", "日期 1989-12-31 不在合理范围内" + hint),
        ("7", "监控截止日期（G列）", "日期 2101-01-01 不在合理范围内" + hint),
    ]
    assert dump(db_url) == EMPTY


def test_date_bounds_from_the_settings(sqlite_url, tmp_path):
    path = xlsx(tmp_path / "mon.xlsx", MON, [2022, "区教育局", "M-1", "甲", 100, 40, dt.date(2022, 8, 31)],
                [2022, "区教育局", "M-2", "乙", 100, 40, dt.date(2019, 12, 31)], sheet="监控")
    result = import_files(sqlite_url, [path], rules=Rules(date_min_year=2020, date_max_year=2030))
    assert [(p.row, p.message) for p in result.problems if p.level == "error"] == [
        (3, ("日期 2019-12-31 不在合理范围内（应在 2020-01-01 至 2030-12-31 之间，设置 [rules] date_min_year / "
            "date_max_year），请核对这一格"))]
    result = import_files(sqlite_url, [path])  # the defaults: 1990–2100
    assert result.ok, result.problems
    assert sorted((r.as_of, r.executed) for r in rows(sqlite_url, m.MonitoringRecord)) == [
        (dt.date(2019, 12, 31), 40.0), (dt.date(2022, 8, 31), 40.0)]


def test_excel_serials_around_the_phantom_leap_day():
    assert C.parse_date(59) == (dt.date(1900, 2, 28), None)
    assert C.parse_date(61) == (dt.date(1900, 3, 1), None)
    assert C.parse_date(1) == (dt.date(1900, 1, 1), None)
    assert C.parse_date(44804) == (dt.date(2022, 8, 31), None)
    assert C.parse_date(60)[0] is None


# --- sync: a source database's values go through the same parsers and the same check -------------------------------

def test_sync_refuses_a_huge_or_infinite_source_amount(db_url, tmp_path):
    src = tmp_path / "src.db"
    with sqlite3.connect(src) as conn:
        conn.execute("CREATE TABLE xm (nd INTEGER, bm TEXT, bmm TEXT, mc TEXT, tz REAL)")
        conn.executemany("INSERT INTO xm VALUES (?, ?, ?, ?, ?)", [
            (2022, "区教育局", "S-1", "甲", 120.5), (2022, "区教育局", "S-2", "乙", 1e308),
            (2022, "区教育局", "S-3", "丙", math.inf)])
    mapping = {"projects": {"table": "xm", "columns": {"nd": "年度", "bm": "主管部门", "bmm": "项目编码", "mc": "项目名称",
                                                       "tz": "调整后预算"}}}
    result = sync(db_url, f"sqlite:///{src}", mapping)
    assert not result.ok
    # the 金额单位 rule asks about the table (no --unit in sync), and the range check names the cell
    assert [(p.row, p.column, p.message) for p in result.problems if p.level == "error"] == [
        (None, "调整后预算（E列）", ("金额单位待确认：这张表的“调整后预算（E列）”的表头写的是“万元”，但单个项目的数额 1e+308 万元"
                                "超过 500,000 万元（50 亿元），不像一个项目的金额，像是按“元”填写的。按表头“万元”合计 1e+308 万元；"
                                "如为“元”则合计 1e+304 万元。请确认金额单位后再导入：上传页选择“金额单位”，命令行用 --unit 元 或 "
                                "--unit 万元")),
        (3, "调整后预算（E列）", AMOUNT_MESSAGE.format("1e+308")),
        (4, "调整后预算（E列）", "“inf” 不是数字")]
    assert dump(db_url) == EMPTY


# --- the settings ---------------------------------------------------------------------------------------------------

def test_the_range_settings_are_read_and_checked(tmp_path):
    path = tmp_path / "dashboard.toml"
    path.write_text("[rules]\namount_max_wan = 2000000\ndate_min_year = 2000\ndate_max_year = 2050\n", encoding="utf-8")
    rules = load_settings(path).rules
    assert (rules.amount_max_wan, rules.date_min_year, rules.date_max_year) == (2_000_000, 2000, 2050)
    assert (Rules().amount_max_wan, Rules().date_min_year, Rules().date_max_year) == (100_000_000.0, 1990, 2100)
    for bad, message in (
        (Rules(amount_max_wan=400_000), "[rules] amount_max_wan（400000）应不小于 unit_project_max_wan（500000）"),
        (Rules(amount_max_wan=2e12), "[rules] amount_max_wan（2e+12）应在 0 到 1e+12 之间"),
        (Rules(amount_max_wan=math.inf), "[rules] amount_max_wan（inf）应为有限的数字"),
        (Rules(date_min_year=2100), "[rules] date_min_year（2100）应小于 date_max_year（2100）"),
        (Rules(date_max_year=99999), "[rules] date_max_year（99999）应在 1900 到 9999 之间"),
        (Rules(date_min_year=1990.5), "[rules] date_min_year（1990.5）应为整数（不带小数点）"),
    ):
        with pytest.raises(SettingsError) as got:
            check_rules(bad)
        assert str(got.value) == message


# --- NUL (U+0000) in a cell: dropped from text with a warning naming the cell, refused in a number ------------------
# In .xlsx a NUL is stored as the escape _x0000_ (openpyxl refuses the character itself; calamine reads it back as NUL).
# A CSV holding a NUL is refused as a whole by the reader, as no text file (tests/data_loaders/test_reader.py).

NUL_WARNING = "已删除这一格中的 {} 个空字符（U+0000，常见于系统导出的损坏文本），数据库不能保存它；请核对原表"


def test_a_nul_in_a_text_cell_is_dropped_alike_on_both_engines(db_url, tmp_path, capsys):
    # SQLite stored the NUL and PostgreSQL refused the whole batch naming no cell; now both store the text without it
    book = xlsx(tmp_path / "nul.xlsx", HEAD, [2022, "区教育局", "区一中", "N-1", "丁_x0000_项目", 20],
                [2022, "区教育局", "区一中", "N-2", "戊_x0000_项目_x0000_", 30])
    code, out, err = run(capsys, "--db", db_url, "import", book)
    assert code == 0, err
    assert [line for line in out.splitlines() if "空字符" in line] == [
        f"nul.xlsx / 项目 / 第2行 / 项目名称（E列）: 【警告】{NUL_WARNING.format(1)}",
        f"nul.xlsx / 项目 / 第3行 / 项目名称（E列）: 【警告】{NUL_WARNING.format(2)}",
    ]
    assert sorted((p.code, p.name, p.adjusted_budget) for p in rows(db_url, m.Project)) == [
        ("N-1", "丁项目", 20.0), ("N-2", "戊项目", 30.0)]


def test_a_nul_in_a_number_or_a_choice_is_refused_naming_the_cell(db_url, tmp_path, capsys):
    book = xlsx(tmp_path / "nul.xlsx", HEAD + ["项目类别"], [2022, "区教育局", "区一中", "N-1", "丁项目", "2_x0000_0", "项目支出"],
                [2022, "区教育局", "区一中", "N-2", "戊项目", 3, "项目_x0000_支出"])
    code, _out, err = run(capsys, "--db", db_url, "import", book)
    assert code == 2
    assert errors(err, "nul.xlsx") == [
        ("2", "调整后预算（万元）（F列）", "“2␀0” 不是数字"),
        ("3", "项目类别（G列）", "“项目␀支出” 不是可接受的项目类别，可填：项目支出、部门整体支出、政策、新增债券")]
    assert dump(db_url) == EMPTY
