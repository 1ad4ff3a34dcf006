"""The ingestion commands: import (exit 0 / 2, every error printed), --dry-run, batches --json, undo, template, sync errors."""

from __future__ import annotations

import json
import re

import pytest
from import_set import EXPECTED_COUNTS, FILES, dump

from dashboard.cli import main
from dashboard.core import models as m


def moved(before, after):
    return {"before": before, "after": after, "delta": after - before}


NONE = {"count": 0, "items": [], "truncated": False}
# the import set's 变更 summary, by hand (reports of 2022-06-30: 序时进度 49.59 %, red from a lag of 20 points,
# yellow from 10): budgets 120 + 50 + 80 + 200 (P009's report) = 450 万元; executed 52 (P001, 40 %: green) + 15
# (P002, 30 % of 50: yellow) + 20 (道路养护, 25 %: red) + 90 (P009, 45 %: green) = 177; no project with targets
# unreported; grades 优 91.5 and 95, 良 85, 中 72; three findings, one 已整改 (已完成)
IMPORT_SET_CHANGES = {
    "projects": {
        "added": {"count": 5, "truncated": False, "items": [
            {"year": 2022, "code": "P001", "name": "校舍维修"}, {"year": 2022, "code": "P002", "name": "教师培训"},
            {"year": 2022, "code": "P009", "name": "疫苗接种"}, {"year": 2022, "code": None, "name": "新冷库建设"},
            {"year": 2022, "code": None, "name": "道路养护"}]},
        "changed": NONE, "removed": NONE},
    "years": {"2022": {
        "projects": moved(0, 5), "budget": moved(0.0, 450.0), "executed": moved(0.0, 177.0),
        "lights": {"red": moved(0, 1), "yellow": moved(0, 1), "green": moved(0, 2)},
        "grades": {"优": moved(0, 2), "良": moved(0, 1), "中": moved(0, 1)},
        "findings": {"total": moved(0, 3), "rectified": moved(0, 1)}}},
}
# undoing it removes the five projects and every figure returns to nothing
UNDO_CHANGES = {
    "projects": {"added": NONE, "changed": NONE,
                 "removed": IMPORT_SET_CHANGES["projects"]["added"]},
    "years": {"2022": {
        "projects": moved(5, 0), "budget": moved(450.0, 0.0), "executed": moved(177.0, 0.0),
        "lights": {"red": moved(1, 0), "yellow": moved(1, 0), "green": moved(2, 0)},
        "grades": {"优": moved(2, 0), "良": moved(1, 0), "中": moved(1, 0)},
        "findings": {"total": moved(3, 0), "rectified": moved(1, 0)}}},
}
LINE = re.compile(r"^(?P<file>[^/]+) / (?P<sheet>[^/]+) / 第(?P<row>\d+)行 / (?P<column>[^:]+): (?P<message>.+)$")


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, text in FILES.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out[name] = str(path)
    return out


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_then_batches_then_undo(db_url, files, capsys):
    code, out, err = run(capsys, "--db", db_url, "import", *files.values())
    assert code == 0, err
    assert "导入完成（批次 1）" in out and "项目 新增5" in out
    assert "  新增项目 5 个、修改 0 个、删除 0 个\n" in out
    assert "预算合计 0.00 → 450.00 万元（+450.00）" in out
    code, out, _ = run(capsys, "--db", db_url, "batches", "--json")
    batches = json.loads(out)
    assert code == 0 and len(batches) == 1
    b = batches[0]
    assert {"id", "created_at", "files", "status"} <= set(b)
    assert b["id"] == 1 and b["status"] == "committed" and [f["name"] for f in b["files"]] == list(FILES)
    assert b["counts"] == EXPECTED_COUNTS
    assert b["changes"] == IMPORT_SET_CHANGES
    code, out, _ = run(capsys, "--db", db_url, "batches")
    assert code == 0 and "已导入" in out and "projects.csv" in out
    assert "变更：新增项目 5 个、修改 0 个、删除 0 个；2022年：项目数 0 → 5（+5）；预算合计" in out
    code, out, _ = run(capsys, "--db", db_url, "undo", "1")
    assert code == 0 and "已撤销批次 1" in out
    assert "  新增项目 0 个、修改 0 个、删除 5 个\n" in out and "预算合计 450.00 → 0.00 万元（-450.00）" in out
    assert dump(db_url) == {t.__tablename__: [] for t in m.DATA_TABLES}
    undone = json.loads(run(capsys, "--db", db_url, "batches", "--json")[1])[0]
    assert undone["status"] == "undone"
    assert undone["changes"] == {**IMPORT_SET_CHANGES, "undo": UNDO_CHANGES}  # keeps its own, adds the undo's
    assert "撤销时：新增项目 0 个、修改 0 个、删除 5 个" in run(capsys, "--db", db_url, "batches")[1]
    code, _, err = run(capsys, "--db", db_url, "undo", "1")
    assert code == 2 and "撤销过" in err


def test_invalid_import_exits_2_and_prints_every_error(sqlite_url, files, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("年度,主管部门,项目名称,年初预算,调整后预算\n2022,区教育局,甲,-5,abc\n2022,区教育局,乙,1,\n"
                   "2022,区教育局,乙,2,\n", encoding="utf-8")
    code, _, err = run(capsys, "--db", sqlite_url, "import", *files.values(), str(bad))
    assert code == 2
    lines = [LINE.match(x) for x in err.splitlines() if x.startswith("bad.csv")]
    assert all(lines) and len(lines) == 3
    found = {(x["row"], x["column"].split("（")[0]) for x in lines}
    assert found == {("2", "年初预算"), ("2", "调整后预算"), ("4", "年初预算")}
    assert "未写入任何数据" in err
    assert dump(sqlite_url) == {t.__tablename__: [] for t in m.DATA_TABLES}
    assert json.loads(run(capsys, "--db", sqlite_url, "batches", "--json")[1]) == []


def test_dry_run_and_missing_file(sqlite_url, files, capsys):
    code, out, _ = run(capsys, "--db", sqlite_url, "import", "--dry-run", *files.values())
    assert code == 0 and "试导入" in out
    assert "变更（试导入，未写入）：\n  新增项目 5 个、修改 0 个、删除 0 个" in out  # what it would change
    assert json.loads(run(capsys, "--db", sqlite_url, "batches", "--json")[1]) == []
    code, _, err = run(capsys, "--db", sqlite_url, "import", "nope.xlsx")
    assert code == 2 and "nope.xlsx" in err


def test_year_and_as_of_options(sqlite_url, tmp_path, capsys):
    path = tmp_path / "mon.csv"
    path.write_text("主管部门,项目名称,调整后预算,执行数\n区教育局,校舍维修,100,40\n", encoding="utf-8")
    code, _, err = run(capsys, "--db", sqlite_url, "import", str(path))
    assert code == 2 and "--year" in err and "--as-of" in err  # both missing: both named
    code, _, err = run(capsys, "--db", sqlite_url, "import", str(path), "--year", "2022", "--as-of", "2022-08-31")
    assert code == 0, err
    from import_set import one

    rec = one(sqlite_url, m.MonitoringRecord)
    assert str(rec.as_of) == "2022-08-31" and rec.executed == 40.0


def test_warnings_are_printed_but_not_fatal(sqlite_url, tmp_path, capsys):
    path = tmp_path / "over.csv"
    path.write_text("年度,监控截止日期,主管部门,项目名称,调整后预算,执行数\n2022,2022-08-31,区教育局,甲,10,12\n", encoding="utf-8")
    code, out, _ = run(capsys, "--db", sqlite_url, "import", str(path))
    assert code == 0 and "警告" in out


def test_template_command(tmp_path, sqlite_url, capsys):
    out_path = tmp_path / "t.xlsx"
    code, out, _ = run(capsys, "--db", sqlite_url, "template", str(out_path))
    assert code == 0 and out_path.exists() and "模板已写入" in out
    # the untouched template holds only its marked example rows: nothing to import, said plainly (issue 9)
    code, _, err = run(capsys, "--db", sqlite_url, "import", str(out_path))
    assert code == 2 and "模板中只有示例行，没有数据可导入" in err, err


def test_sync_with_bad_mapping(sqlite_url, tmp_path, capsys):
    mapping = tmp_path / "map.toml"
    mapping.write_text('[nonsense]\ntable = "x"\n', encoding="utf-8")
    code, _, err = run(capsys, "--db", sqlite_url, "sync", "--source", sqlite_url, "--mapping", str(mapping))
    assert code == 2 and "未知的表" in err
