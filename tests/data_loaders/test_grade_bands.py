"""The configured grade bands (dashboard.toml [rules]) decide the score/grade check and the filled-in grade,
in the reader, the self-evaluation form reader, the importer and the command line, not the defaults."""

from __future__ import annotations

import io

import openpyxl
from import_set import rows

from dashboard.__main__ import main
from dashboard.core import models as m
from dashboard.core.settings import Rules
from data_loaders.importer import import_files, list_batches
from data_loaders.reader import read_file

LOCAL = Rules(grade_excellent=85)
# row 2: 87 with 优 (优 from 85 on under LOCAL, 良 by default); row 3: 88 with no grade
EVAL = ("年度,评价类型,评价对象类型,主管部门,项目编码,项目名称,得分,等级\n"
        "2022,单位自评,项目支出,区教育局,P001,校舍维修,87,优\n"
        "2022,单位自评,项目支出,区教育局,P002,教师培训,88,\n")
DEFAULT_MESSAGE = "等级“优”与得分 87 不符（按得分应为“良”：≥90 优，≥80 良，≥60 中，其余为差）"


def _problem(p) -> tuple:
    return p.file, p.sheet, p.row, p.column, p.message


def test_reader_uses_the_given_bands():
    result = read_file(EVAL.encode(), "e.csv", rules=LOCAL)
    assert result.errors == []
    assert result.tables[0].frame["grade"].tolist() == ["优", "优"]
    refused = read_file(EVAL.encode(), "e.csv", rules=Rules())
    assert [_problem(p) for p in refused.errors] == [("e.csv", None, 2, "等级（H列）", DEFAULT_MESSAGE)]


def test_reader_message_states_the_configured_bands():
    text = EVAL.replace("87,优", "80,优")
    [error] = read_file(text.encode(), "e.csv", rules=Rules(grade_excellent=85, grade_good=75.5)).errors
    assert error.message == "等级“优”与得分 80 不符（按得分应为“良”：≥85 优，≥75.5 良，≥60 中，其余为差）"


def _form(score, grade) -> bytes:
    wb = openpyxl.Workbook()
    for row in (["项目支出绩效自评表"], ["（2022年度）"], ["项目名称", "校舍维修"], ["主管部门", "青山区教育局"],
                ["总分", None, 100, score], ["自评等级", grade]):
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_form_reader_uses_the_given_bands():
    result = read_file(_form(87, "优"), "自评.xlsx", rules=LOCAL)
    assert result.errors == [] and result.tables[0].frame["grade"].tolist() == ["优"]
    assert read_file(_form(87, None), "自评.xlsx", rules=LOCAL).tables[0].frame["grade"].tolist() == ["优"]
    [error] = read_file(_form(87, "优"), "自评.xlsx", rules=Rules()).errors
    assert _problem(error) == ("自评.xlsx", "Sheet", 6, "等级（B列）", "等级“优”与得分 87 不符（按得分应为“良”）")


def test_import_stores_and_counts_the_configured_grade(db_url):
    result = import_files(db_url, [("e.csv", EVAL.encode())], rules=LOCAL)
    assert result.ok, [str(p) for p in result.errors]
    assert result.counts["evaluations"]["inserted"] == 2
    grades = {e.object_name: e.grade for e in rows(db_url, m.Evaluation)}
    assert grades == {"校舍维修": "优", "教师培训": "优"}


def test_import_with_default_bands_refuses_the_row(db_url):
    result = import_files(db_url, [("e.csv", EVAL.encode())], rules=Rules())
    assert not result.ok and result.batch_id is None
    assert [_problem(p) for p in result.errors] == [("e.csv", None, 2, "等级（H列）", DEFAULT_MESSAGE)]
    assert rows(db_url, m.Evaluation) == [] and list_batches(db_url) == []


def test_the_library_reads_no_settings_file_of_its_own(db_url, tmp_path, monkeypatch):
    """Settings are read once at the entry points (cli, app, bench) and passed down: import_files without
    `rules` judges by the documented defaults even when a settings file says otherwise."""
    settings = tmp_path / "local.toml"
    settings.write_text("[rules]\ngrade_excellent = 85\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(settings))
    result = import_files(db_url, [("e.csv", EVAL.encode())])
    assert not result.ok and [_problem(p) for p in result.errors] == [("e.csv", None, 2, "等级（H列）", DEFAULT_MESSAGE)]


def test_cli_import_uses_dashboard_toml(sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dashboard.toml").write_text("[rules]\ngrade_excellent = 85\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "dashboard.toml"))
    (tmp_path / "e.csv").write_text(EVAL, encoding="utf-8")
    code = main(["--db", sqlite_url, "import", "e.csv"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert {e.grade for e in rows(sqlite_url, m.Evaluation)} == {"优"}
    # the same file under the default bands is refused, the row named as the CLI prints it
    (tmp_path / "dashboard.toml").write_text("[rules]\n", encoding="utf-8")
    code = main(["--db", f"sqlite:///{tmp_path / 'other.db'}", "import", "e.csv"])
    captured = capsys.readouterr()
    assert code == 2
    assert f"e.csv / - / 第2行 / 等级（H列）: {DEFAULT_MESSAGE}" in captured.err.splitlines()
