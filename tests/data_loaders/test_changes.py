"""Each batch's 变更 summary (data_loaders.changes), by hand on a small fixture, on SQLite and PostgreSQL.

Year 2022, reports as of 2022-06-30: 序时进度 T = 181 / 365 = 49.59 %, lag = T − execution rate; red from a lag of
20 points, yellow from 10 (the default rules). The first batch writes three projects:

    P001 甲项目 budget 100, executed 60 (60 %: green)   财政重点评价 92 → 优   finding 整改中
    P002 乙项目 budget 200, executed 70 (35 %: yellow)  单位自评 85 → 良
    P003 丙项目 budget  50, no report (targets: grey)                         finding 已整改

The second adds P004 丁项目 (budget 30, no targets: not grey), raises P003's budget to 80, lowers P001's
executed to 20 (20 %: lag 29.59, red) and P002's self-evaluation to 75 (中).
"""

from __future__ import annotations

import datetime as dt

import pytest
from import_set import assert_no_errors
from sqlalchemy import create_engine, text

from dashboard.core import db
from dashboard.core.settings import Rules
from dashboard.metrics import summary
from data_loaders import changes
from data_loaders.importer import import_files, list_batches, undo_batch
from data_loaders.sync import sync

PROJECTS = """年度,主管部门,预算单位,项目编码,项目名称,年初预算,调整后预算,是否设定绩效目标
2022,区教育局,区教育局本级,P001,甲项目,100,100,是
2022,区教育局,区教育局本级,P002,乙项目,200,,是
2022,城关镇,城关镇,P003,丙项目,50,50,是
"""
MONITORING = """年度,监控截止日期,主管部门,预算单位,项目编码,项目名称,执行数
2022,2022-06-30,区教育局,区教育局本级,P001,甲项目,60
2022,2022-06-30,区教育局,区教育局本级,P002,乙项目,70
"""
EVALUATIONS = """年度,评价类型,评价对象类型,主管部门,预算单位,项目编码,项目名称,得分
2022,财政重点评价,项目支出,区教育局,区教育局本级,P001,甲项目,92
2022,单位自评,项目支出,区教育局,区教育局本级,P002,乙项目,85
"""
FINDINGS = """年度,问题来源,主管部门,预算单位,项目编码,项目名称,问题描述,整改时限,整改状态,完成日期
2022,财政重点评价,区教育局,区教育局本级,P001,甲项目,目标不细化,2022-12-31,整改中,
2022,绩效监控,城关镇,城关镇,P003,丙项目,拨付慢,2022-10-31,已整改,2022-10-20
"""
SECOND = [
    ("projects.csv", """年度,主管部门,预算单位,项目编码,项目名称,年初预算,调整后预算,是否设定绩效目标
2022,区教育局,区教育局本级,P004,丁项目,30,30,否
2022,城关镇,城关镇,P003,丙项目,50,80,是
"""),
    ("monitoring.csv", """年度,监控截止日期,主管部门,预算单位,项目编码,项目名称,执行数
2022,2022-06-30,区教育局,区教育局本级,P001,甲项目,20
"""),
    ("evaluations.csv", """年度,评价类型,评价对象类型,主管部门,预算单位,项目编码,项目名称,得分
2022,单位自评,项目支出,区教育局,区教育局本级,P002,乙项目,75
"""),
]


def first_sources():
    return [(n, t.encode("utf-8")) for n, t in (("projects.csv", PROJECTS), ("monitoring.csv", MONITORING),
                                                 ("evaluations.csv", EVALUATIONS), ("findings.csv", FINDINGS))]


def second_sources():
    return [(n, t.encode("utf-8")) for n, t in SECOND]


def moved(before, after):
    return {"before": before, "after": after, "delta": after - before}


def item(code, name):
    return {"year": 2022, "code": code, "name": name}


def listed(*items):
    return {"count": len(items), "items": list(items), "truncated": False}


NONE = listed()

FIRST_CHANGES = {
    "projects": {"added": listed(item("P001", "甲项目"), item("P002", "乙项目"), item("P003", "丙项目")),
                 "changed": NONE, "removed": NONE},
    "years": {"2022": {
        "projects": moved(0, 3), "budget": moved(0.0, 350.0), "executed": moved(0.0, 130.0),
        "lights": {"yellow": moved(0, 1), "green": moved(0, 1), "grey": moved(0, 1)},
        "grades": {"优": moved(0, 1), "良": moved(0, 1)},
        "findings": {"total": moved(0, 2), "rectified": moved(0, 1)},
    }},
}
SECOND_CHANGES = {
    "projects": {"added": listed(item("P004", "丁项目")),
                 "changed": listed(item("P001", "甲项目"), item("P002", "乙项目"), item("P003", "丙项目")),
                 "removed": NONE},
    "years": {"2022": {
        "projects": moved(3, 4), "budget": moved(350.0, 410.0), "executed": moved(130.0, 90.0),
        "lights": {"red": moved(0, 1), "green": moved(1, 0)},
        "grades": {"良": moved(1, 0), "中": moved(0, 1)},
    }},
}
UNDO_CHANGES = {
    "projects": {"added": NONE,
                 "changed": listed(item("P001", "甲项目"), item("P002", "乙项目"), item("P003", "丙项目")),
                 "removed": listed(item("P004", "丁项目"))},
    "years": {"2022": {
        "projects": moved(4, 3), "budget": moved(410.0, 350.0), "executed": moved(90.0, 130.0),
        "lights": {"red": moved(1, 0), "green": moved(0, 1)},
        "grades": {"良": moved(0, 1), "中": moved(1, 0)},
    }},
}


def figures(url):
    with db.get_engine(url).connect() as conn:
        return changes.snapshot(conn, [2022], Rules())[2022]


def test_changes_of_an_import_and_of_its_undo(db_url):
    first = import_files(db_url, first_sources())
    assert_no_errors(first)
    assert first.changes == FIRST_CHANGES
    after_first = figures(db_url)
    second = import_files(db_url, second_sources())
    assert_no_errors(second)
    assert second.changes == SECOND_CHANGES
    stored = {b["id"]: b["changes"] for b in list_batches(db_url)}
    assert stored == {first.batch_id: FIRST_CHANGES, second.batch_id: SECOND_CHANGES}

    info = undo_batch(db_url, second.batch_id)
    assert info["changes"] == UNDO_CHANGES
    assert figures(db_url) == after_first  # the figures are back where the first batch left them
    batch = next(b for b in list_batches(db_url) if b["id"] == second.batch_id)
    assert batch["status"] == "undone"
    assert batch["changes"] == {**SECOND_CHANGES, "undo": UNDO_CHANGES}  # it keeps its own summary


def test_dry_run_says_what_would_change_and_stores_nothing(db_url):
    assert_no_errors(import_files(db_url, first_sources()))
    dry = import_files(db_url, second_sources(), dry_run=True)
    assert dry.ok and dry.batch_id is None and dry.changes == SECOND_CHANGES
    assert [b["changes"] for b in list_batches(db_url)] == [FIRST_CHANGES]


def test_unchanged_reimport_names_no_project_and_no_figure(db_url):
    assert_no_errors(import_files(db_url, first_sources()))
    again = import_files(db_url, first_sources())
    assert again.changes == {"projects": {"added": NONE, "changed": NONE, "removed": NONE}, "years": {}}
    assert changes.describe(again.changes) == ["新增项目 0 个、修改 0 个、删除 0 个"]


def test_the_lists_are_cut_at_the_limit(db_url, monkeypatch):
    monkeypatch.setattr(changes, "LIST_LIMIT", 2)
    result = import_files(db_url, first_sources())
    added = result.changes["projects"]["added"]
    assert added == {"count": 3, "items": [item("P001", "甲项目"), item("P002", "乙项目")], "truncated": True}
    lines = changes.describe(result.changes)
    assert lines[-1] == "新增项目：甲项目（P001，2022年）、乙项目（P002，2022年） 等 3 个（只列出前 2 个）"


@pytest.mark.parametrize("preset", ["lag", "checkpoints"])
def test_lights_equal_the_pages(db_url, preset):
    """The summary's lights are those of the overview (dashboard.metrics over project_facts) under either preset."""
    rules = Rules(warning_preset=preset)
    assert_no_errors(import_files(db_url, first_sources(), rules=rules))
    assert_no_errors(import_files(db_url, second_sources(), rules=rules))
    with db.get_engine(db_url).connect() as conn:
        ours = changes.snapshot(conn, [2022], rules)[2022]
    page = summary.summary(db_url, 2022, None, dt.date(2022, 12, 31), rules)
    mon = page["monitoring"]
    assert ours["lights"] == {k: mon[k] for k in ("red", "yellow", "green", "grey")}
    assert ours["projects"] == page["projects"] and ours["budget"] == pytest.approx(page["budget_total"])
    assert ours["grades"] == page["evaluations"]["grades"]
    assert ours["findings"] == {"total": page["findings"]["total"], "rectified": page["findings"]["rectified"]}


def test_describe_in_chinese():
    lines = changes.describe(SECOND_CHANGES)
    assert lines[0] == "新增项目 1 个、修改 3 个、删除 0 个"
    assert lines[1] == ("2022年：项目数 3 → 4（+1）；预算合计 350.00 → 410.00 万元（+60.00）；"
                        "执行数 130.00 → 90.00 万元（-40.00）；红灯 0 → 1（+1）；绿灯 1 → 0（-1）；"
                        "评价等级“良” 1 → 0（-1）；评价等级“中” 0 → 1（+1）")
    assert lines[2] == "新增项目：丁项目（P004，2022年）"
    assert lines[3] == "修改项目：甲项目（P001，2022年）、乙项目（P002，2022年）、丙项目（P003，2022年）"
    assert changes.describe(None) == []


def test_a_sync_batch_records_its_changes(db_url, tmp_path):
    """sync goes through the same import (import_results): its batch carries the summary too."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    engine = create_engine(source)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE xm (nd INTEGER, bm TEXT, dw TEXT, bmm TEXT, mc TEXT, ys REAL)"))
        conn.execute(text("INSERT INTO xm VALUES (2022, '区教育局', '区教育局本级', 'S001', '校舍维修', 120.5)"))
    engine.dispose()
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[projects]\ntable = "xm"\n[projects.columns]\nnd = "年度"\nbm = "主管部门"\n'
                       'dw = "预算单位"\nbmm = "项目编码"\nmc = "项目名称"\nys = "调整后预算"\n', encoding="utf-8")
    result = sync(db_url, source, mapping)
    assert_no_errors(result)
    expected = {"projects": {"added": listed(item("S001", "校舍维修")), "changed": NONE, "removed": NONE},
                "years": {"2022": {"projects": moved(0, 1), "budget": moved(0.0, 120.5)}}}
    assert result.changes == expected
    assert list_batches(db_url)[0]["source"] == "sync" and list_batches(db_url)[0]["changes"] == expected
