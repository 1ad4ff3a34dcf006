"""金额单位 (issue 22): amounts in 元 under a 万元 header are converted on clear evidence or refused, never silent."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import text

from dashboard import demo
from dashboard.core import db
from dashboard.core.rules import UNIT_CONVERT, UNIT_OK, UNIT_REFUSE, amount_unit_verdict
from dashboard.core.settings import Rules, SettingsError, check_rules
from data_loaders.importer import import_files
from data_loaders.reader import read_file
from data_loaders.sheet import TAG_AMOUNT_UNIT, text_amounts

HEADERS = ["年度", "主管部门", "预算单位", "项目编码", "项目名称", "年初预算（万元）", "调整后预算（万元）", "测算依据"]


def workbook(rows, headers=HEADERS, sheet="项目") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(code, amount, basis="", dept="区城管局", unit=None, year=2025):
    unit = unit or ("区环卫所" if dept == "区城管局" else f"{dept}本级")
    return [year, dept, unit, code, f"项目{code}", amount, amount, basis]


def unit_problems(problems):
    return [p for p in problems if p.tag == TAG_AMOUNT_UNIT]


# -- the rule ------------------------------------------------------------------------------------------------


def test_rule_verdicts():
    assert amount_unit_verdict([119_403_680, 5000], [11940.368]).verdict == UNIT_CONVERT
    assert amount_unit_verdict([300, 5000], [300]).verdict == UNIT_OK  # a text amount agrees as it stands
    assert amount_unit_verdict([119_403_680], [], [(119_403_680, 12_000)]).verdict == UNIT_REFUSE
    agree = amount_unit_verdict([600_000], [], [(600_000, 550_000)])  # big, but its history agrees
    assert agree.verdict == UNIT_OK and agree.reason
    assert amount_unit_verdict([300_000]).verdict == UNIT_OK  # 30 亿元: big but plausible
    too_big = amount_unit_verdict([3_000_000])
    assert too_big.verdict == UNIT_REFUSE and "50 亿元" in too_big.reason
    assert amount_unit_verdict([3_000_000], rules=Rules(unit_project_max_wan=5_000_000)).verdict == UNIT_OK
    assert amount_unit_verdict([]).verdict == UNIT_OK


def test_rule_settings_are_checked():
    for bad in (Rules(unit_project_max_wan=0), Rules(unit_history_factor=1)):
        with pytest.raises(SettingsError):
            check_rules(bad)
    check_rules(Rules(unit_project_max_wan=100, unit_history_factor=50))


def test_text_amounts():
    assert text_amounts(["清扫保洁经费11940.368万元", "合计119,403,680元；另1.2亿元", "无金额"]) == pytest.approx(
        [11940.368, 11940.368, 12000.0])


# -- the reader and the importer -----------------------------------------------------------------------------


def test_yuan_under_wan_with_a_text_amount_is_converted_with_a_warning(sqlite_url):
    data = workbook([row("CG-01", 119_403_680, "清扫保洁经费11940.368万元"), row("CG-02", 5_000_000, "人工费")])
    result = read_file(data, "环卫所.xlsx")
    [p] = unit_problems(result.problems)
    assert p.level == "warning" and p.sheet == "项目" and p.column == "年初预算（万元）（F列）"
    assert "已按“元”换算为万元" in p.message and "11,940.368万元" in p.message
    assert "按表头“万元”合计 124,403,680.00 万元；如为“元”则合计 12,440.37 万元" in p.message
    assert result.tables[0].frame["initial_budget"].tolist() == pytest.approx([11940.368, 500.0])
    imported = import_files(sqlite_url, [("环卫所.xlsx", data)])
    assert imported.ok, [str(p) for p in imported.errors]
    with db.get_engine(sqlite_url).connect() as conn:
        assert conn.execute(text("SELECT SUM(initial_budget) FROM projects")).scalar() == pytest.approx(12440.368)


def test_yuan_under_wan_without_proof_but_a_history_jump_is_refused_naming_the_unit(sqlite_url):
    last_year = workbook([row("CG-01", 1200, year=2024), row("CG-02", 480, year=2024)])
    assert import_files(sqlite_url, [("2024.xlsx", last_year)]).ok
    this_year = workbook([row("CG-01", 12_300_000), row("CG-02", 4_900_000)])  # 元, each below 50 亿 as 万元
    refused = import_files(sqlite_url, [("2025.xlsx", this_year)])
    assert not refused.ok and refused.batch_id is None
    [p] = unit_problems(refused.problems)
    assert p.level == "error" and (p.file, p.sheet, p.column) == ("2025.xlsx", "项目", "年初预算（万元）（F列）")
    assert "金额单位待确认" in p.message and "“元”" in p.message and "--unit" in p.message
    assert "按表头“万元”合计 17,200,000.00 万元；如为“元”则合计 1,720.00 万元" in p.message
    with db.get_engine(sqlite_url).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM projects WHERE year = 2025")).scalar() == 0
    confirmed = import_files(sqlite_url, [("2025.xlsx", this_year)], unit="元")
    assert confirmed.ok and not unit_problems(confirmed.problems)
    with db.get_engine(sqlite_url).connect() as conn:
        assert conn.execute(text("SELECT SUM(initial_budget) FROM projects WHERE year = 2025")).scalar() == (
            pytest.approx(1720.0))


def test_a_true_wan_file_with_a_big_project_is_not_flagged(sqlite_url):
    big = workbook([row("JT-01", 380_000, "项目总投资380000万元，分年安排"), row("JT-02", 1500)], sheet="交通")
    result = import_files(sqlite_url, [("交通.xlsx", big)])
    assert result.ok and not unit_problems(result.problems)
    plain = workbook([row("JT-03", 420_000, dept="区交通局"), row("JT-04", 900, dept="区交通局")])
    assert import_files(sqlite_url, [("交通2.xlsx", plain)]).ok  # 42 亿元, no text: under the bound
    # above the bound, but the same projects' own history agrees: kept
    history = workbook([row("JT-05", 600_000, year=2024, dept="区交通局")])
    assert import_files(sqlite_url, [("2024.xlsx", history)], unit="万元").ok
    again = import_files(sqlite_url, [("2025.xlsx", workbook([row("JT-05", 650_000, dept="区交通局")]))])
    assert again.ok and not unit_problems(again.problems)
    alone = import_files(sqlite_url, [("新.xlsx", workbook([row("ZZ-01", 650_000, dept="区新部门")]))])
    assert not alone.ok and "50 亿元" in unit_problems(alone.problems)[0].message


def test_explicit_unit_converts_every_amount_without_a_question(sqlite_url):
    data = workbook([row("CG-01", 12_300_000), row("CG-02", 4_900_000)])
    result = read_file(data, "a.xlsx", unit="元")
    assert not unit_problems(result.problems)
    assert result.tables[0].meta["unit"] == "元"
    assert result.tables[0].frame["adjusted_budget"].tolist() == pytest.approx([1230.0, 490.0])
    imported = import_files(sqlite_url, [("a.xlsx", data)], unit="元")
    assert imported.ok and not unit_problems(imported.problems)
    assert imported.files[0]["tables"][0]["unit"] == "元"


def test_sheets_without_evidence_follow_the_rest_of_the_file():
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "1"
    first.append(HEADERS)
    first.append(row("CG-01", 119_403_680, "清扫保洁经费11940.368万元"))
    second = wb.create_sheet("2")
    second.append(HEADERS)
    second.append(row("CG-02", 330_000))
    buf = io.BytesIO()
    wb.save(buf)
    result = read_file(buf.getvalue(), "申报.xlsx")
    assert [t.frame["initial_budget"].tolist() for t in result.tables] == [pytest.approx([11940.368]), [33.0]]
    notes = unit_problems(result.problems)
    assert [p.sheet for p in notes] == ["1", "2"] and all(p.level == "warning" for p in notes)
    assert "同一文件另有 1 张工作表" in notes[1].message


def test_county_demo_budget_never_jumps_silently(tmp_path):
    url = f"sqlite:///{tmp_path / 'county.db'}"
    db.init_db(url)
    demo.load_demo(url, "county")

    def budget_2024() -> float:
        with db.get_engine(url).connect() as conn:
            return conn.execute(text("SELECT SUM(initial_budget) FROM projects WHERE year = 2024")).scalar()

    before = budget_2024()
    # 亿元: the demo county's 年初预算 of 2024 (37.23 since the demo plants near-duplicate projects across departments
    # for 目标质量 TQ7, dashboard/demo/projects.py); the figure only anchors that the whole demo loaded
    assert round(before / 10_000, 2) == 37.23
    # a unit fills its projects in 元 under the template's 万元 headers, no text amounts to check against
    amounts = [150_000, 80_000, 260_000, 120_000, 95_000, 300_000, 175_000, 60_000, 210_000, 140_000]
    rows = [row(f"WX-{i:02d}", a, dept="青山区教育局", unit="青山区教育局本级", year=2024)
            for i, a in enumerate(amounts)]
    data = workbook(rows)
    refused = import_files(url, [("教育局本级.xlsx", data)])
    assert not refused.ok
    [p] = unit_problems(refused.problems)
    assert p.level == "error" and "“元”" in p.message and "教育局本级.xlsx" == p.file
    assert "按表头“万元”合计 1,590,000.00 万元；如为“元”则合计 159.00 万元" in p.message
    assert budget_2024() == pytest.approx(before)
    assert import_files(url, [("教育局本级.xlsx", data)], unit="元").ok
    assert budget_2024() == pytest.approx(before + 159.0)


# -- the command line: --unit, and --department for files that name no 主管部门 (issue 22 item 6) ----------------


def test_command_line_unit_and_department(sqlite_url, tmp_path, capsys):
    from dashboard.cli import main

    path = tmp_path / "环卫所.xlsx"
    path.write_bytes(workbook([[2025, "CG-31", "道路保洁", 12_300_000]], headers=["年度", "项目编码", "项目名称",
                                                                                "年初预算（万元）"]))
    code = main(["--db", sqlite_url, "import", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "缺少“主管部门”或“预算单位”列" in err
    code = main(["--db", sqlite_url, "import", str(path), "--department", "区城管局"])
    err = capsys.readouterr().err
    assert code == 2 and "金额单位待确认" in err and "50 亿元" in err  # 12,300,000 万元 for one project
    code = main(["--db", sqlite_url, "import", str(path), "--department", "区城管局", "--unit", "元"])
    assert code == 0, capsys.readouterr().err
    with db.get_engine(sqlite_url).connect() as conn:
        assert conn.execute(text("SELECT d.name, p.initial_budget FROM projects p JOIN departments d "
                                 "ON d.id = p.department_id")).one() == ("区城管局", pytest.approx(1230.0))
