"""The ingestion commands: import (exit 0 / 2, every error printed), --dry-run, batches --json, undo, template, sync errors."""

from __future__ import annotations

import json
import re

import pytest
from import_set import EXPECTED_COUNTS, FILES, dump

from dashboard.cli import main
from dashboard.core import models as m

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
    code, out, _ = run(capsys, "--db", db_url, "batches", "--json")
    batches = json.loads(out)
    assert code == 0 and len(batches) == 1
    b = batches[0]
    assert {"id", "created_at", "files", "status"} <= set(b)
    assert b["id"] == 1 and b["status"] == "committed" and [f["name"] for f in b["files"]] == list(FILES)
    assert b["counts"] == EXPECTED_COUNTS
    code, out, _ = run(capsys, "--db", db_url, "batches")
    assert code == 0 and "已导入" in out and "projects.csv" in out
    code, out, _ = run(capsys, "--db", db_url, "undo", "1")
    assert code == 0 and "已撤销批次 1" in out
    assert dump(db_url) == {t.__tablename__: [] for t in m.DATA_TABLES}
    assert json.loads(run(capsys, "--db", db_url, "batches", "--json")[1])[0]["status"] == "undone"
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
