"""The importer's writing half on SQLite and PostgreSQL: linking, figures, atomicity, idempotence, file order, refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from corpus import bad_file_names, build_corpus, write_bad_files

from dashboard.core import db
from dashboard.core import models as m
from data_loaders.importer import import_files, list_batches

BAD_CASES = bad_file_names()

from import_set import (
    EXPECTED_COUNTS,
    FILES,
    all_sources,
    assert_no_errors,
    dump,
    one,
    project,
    rows,
    src,
)

# --- the set -------------------------------------------------------------------------------------


def _import_the_set(url: str) -> None:
    result = import_files(url, all_sources())
    assert_no_errors(result)
    assert result.batch_id == 1


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def imported_url(request, tmp_path, templates):
    """A new database holding the set imported as batch 1 (imported once per worker, then copied)."""
    return templates.copy(request.param, "import_set", _import_the_set, tmp_path, request.addfinalizer)


def test_import_set_links_and_figures(db_url):
    result = import_files(db_url, all_sources())
    assert_no_errors(result)
    assert result.counts == EXPECTED_COUNTS
    assert result.batch_id == 1
    assert [t["kind"] for f in result.files for t in f["tables"]] == [
        "units", "projects", "monitoring", "evaluations", "findings"]
    mapping = result.files[1]["tables"][0]["mapping"]
    assert mapping["项目编码"] == "project_code"

    edu = one(db_url, m.Department, name="区教育局")
    assert edu.code == "101" and edu.kind == "部门"
    town = one(db_url, m.Department, name="城关镇")
    assert town.kind == "乡镇街道"  # its own unit row says 乡镇街道
    health = one(db_url, m.Department, name="区卫健委")  # created from a monitoring row
    assert health.created_batch_id == 1

    # a row with only 预算单位 takes the department from the units table
    p2 = project(db_url, "教师培训")
    assert p2.department_id == edu.id and p2.code == "P002"
    # a monitoring row's budget goes to the monitoring record, not the project
    p1 = project(db_url, "校舍维修")
    assert p1.adjusted_budget == 120.0 and p1.initial_budget == 100.0 and p1.is_key is True
    mon1 = one(db_url, m.MonitoringRecord, project_id=p1.id)
    assert mon1.adjusted_budget == 130.0 and mon1.executed == 52.0 and mon1.target_progress == pytest.approx(0.4)
    assert mon1.as_of == dt.date(2022, 6, 30) and mon1.is_latest is True
    # 执行数 from 执行率 × budget (project's 年初预算 where no adjusted budget): 0.30 × 50
    assert one(db_url, m.MonitoringRecord, project_id=p2.id).executed == pytest.approx(15.0)
    # a project linked by (年度, 部门, 名称) without a code
    road = project(db_url, "道路养护")
    assert one(db_url, m.MonitoringRecord, project_id=road.id).executed == 20.0
    # an unknown project is created from the monitoring row: 0.45 × 200 = 90
    vac = project(db_url, "疫苗接种")
    assert vac.code == "P009" and vac.department_id == health.id and vac.adjusted_budget == 200.0
    assert one(db_url, m.MonitoringRecord, project_id=vac.id).executed == pytest.approx(90.0)
    assert one(db_url, m.Unit, name="区卫健委本级").department_id == health.id

    evals = {e.object_name: e for e in rows(db_url, m.Evaluation)}
    assert evals["校舍维修"].project_id == p1.id and evals["校舍维修"].object_key == f"p:{p1.id}"
    assert evals["教师培训"].grade == "优"  # from the score 95
    # department-wide and policy evaluations never link or create a project, whatever the name says
    assert evals["区教育局部门整体支出"].project_id is None
    assert evals["区教育局部门整体支出"].object_key == f"d:{edu.id}:区教育局部门整体支出"
    assert evals["道路养护"].project_id is None and evals["道路养护"].object_type == "政策"
    assert len(rows(db_url, m.Project)) == 5

    findings = {f.description: f for f in rows(db_url, m.Finding)}
    assert findings["绩效目标不细化"].project_id == p1.id
    assert findings["资金拨付慢"].status == "已整改" and findings["资金拨付慢"].project_id is None
    assert findings["资金拨付慢"].completed_on == dt.date(2022, 10, 20)
    assert findings["冷库未验收"].project_id == project(db_url, "新冷库建设").id
    assert findings["冷库未验收"].finding_key == m.finding_key(health.id, findings["冷库未验收"].project_id, "冷库未验收")

    # every inserted row records the batch
    for name, table_rows in dump(db_url).items():
        # the set has no indicator columns and no 部门整体 form
        assert table_rows or name in ("indicators", "department_wide", "department_tasks", "department_indicators",
                                      "finding_extensions", "satisfaction_votes", "inquiries")
    for model in m.DATA_TABLES:
        for r in rows(db_url, model):
            assert r.created_batch_id == 1 and r.batch_id == 1
    assert db.data_version(db_url) == 1
    batch = list_batches(db_url)[0]
    assert batch["status"] == "committed" and batch["source"] == "import"
    assert [f["name"] for f in batch["files"]] == list(FILES)
    assert all(len(f["sha256"]) == 64 for f in batch["files"])
    assert batch["counts"]["projects"]["inserted"] == 5


def test_same_files_twice_change_nothing(db_url):
    assert_no_errors(import_files(db_url, all_sources()))
    before = dump(db_url)
    again = import_files(db_url, all_sources())
    assert_no_errors(again)
    assert dump(db_url) == before  # batch_id of unchanged rows kept too
    assert all(c["inserted"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert again.counts["monitoring"]["unchanged"] == 4
    assert again.counts["projects"]["unchanged"] == 3
    assert rows(db_url, m.ChangeLog) == []


def test_corrected_file_updates_in_place(db_url):
    assert_no_errors(import_files(db_url, all_sources()))
    corrected = FILES["monitoring.csv"].replace("130,52,,40%", "130,65,,40%")
    result = import_files(db_url, [src("monitoring.csv", corrected)])
    assert_no_errors(result)
    assert result.counts["monitoring"] == {"inserted": 0, "updated": 1, "unchanged": 3}
    p1 = project(db_url, "校舍维修")
    rec = one(db_url, m.MonitoringRecord, project_id=p1.id)
    assert rec.executed == 65.0 and rec.batch_id == result.batch_id and rec.created_batch_id == 1
    log = one(db_url, m.ChangeLog, batch_id=result.batch_id)
    assert log.table_name == "monitoring" and log.row_id == rec.id
    assert log.old_values["executed"] == 52.0 and log.old_values["batch_id"] == 1
    assert log.old_values["as_of"] == "2022-06-30"
    # the other rows keep the batch that wrote them
    assert {r.batch_id for r in rows(db_url, m.MonitoringRecord) if r.id != rec.id} == {1}
    # a corrected projects file: the budget changes, a blank code never erases the stored one
    fixed = FILES["projects.csv"].replace("P001,校舍维修,项目支出,一般公共预算,100,120", "P001,校舍维修,项目支出,一般公共预算,100,150")
    result = import_files(db_url, [src("projects.csv", fixed)])
    assert result.counts["projects"] == {"inserted": 0, "updated": 1, "unchanged": 2}
    assert project(db_url, "校舍维修").adjusted_budget == 150.0


def test_file_order_does_not_matter(db_url, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    names = list(FILES)
    assert_no_errors(import_files(db_url, [src(n) for n in names]))
    assert_no_errors(import_files(other, [src(n) for n in reversed(names)]))
    assert dump(db_url) == dump(other)
    # and a monitoring file naming a project that the projects file of the same set creates
    a = f"sqlite:///{tmp_path / 'a.db'}"
    b = f"sqlite:///{tmp_path / 'b.db'}"
    mon = "年度,监控截止日期,主管部门,项目名称,调整后预算,执行数\n2022,2022-08-31,区水利局,河道治理,10,5\n"
    proj = "年度,主管部门,项目编码,项目名称,年初预算\n2022,区水利局,W001,河道治理,9\n"
    assert_no_errors(import_files(a, [("m.csv", mon.encode()), ("p.csv", proj.encode())]))
    assert_no_errors(import_files(b, [("p.csv", proj.encode()), ("m.csv", mon.encode())]))
    assert dump(a) == dump(b)
    assert len(dump(a)["projects"]) == 1  # the code-less monitoring row linked to the coded project
    assert project(a, "河道治理").initial_budget == 9.0


def test_dry_run_leaves_no_trace(db_url):
    db.init_db(db_url)
    result = import_files(db_url, all_sources(), dry_run=True)
    assert_no_errors(result)
    assert result.batch_id is None and result.dry_run
    assert result.counts == EXPECTED_COUNTS  # what would be written
    assert dump(db_url) == {t.__tablename__: [] for t in m.DATA_TABLES}
    assert list_batches(db_url) == []
    assert db.data_version(db_url) == 0


def test_is_latest_follows_the_newest_report(db_url):
    assert_no_errors(import_files(db_url, all_sources()))
    later = "年度,监控截止日期,主管部门,项目编码,项目名称,调整后预算,执行数\n2022,2022-08-31,区教育局,P001,校舍维修,130,90\n"
    assert_no_errors(import_files(db_url, [("aug.csv", later.encode())]))
    p1 = project(db_url, "校舍维修")
    flags = {r.as_of: r.is_latest for r in rows(db_url, m.MonitoringRecord, project_id=p1.id)}
    assert flags == {dt.date(2022, 6, 30): False, dt.date(2022, 8, 31): True}
    # other projects untouched
    assert all(r.is_latest for r in rows(db_url, m.MonitoringRecord) if r.project_id != p1.id)


def test_identical_duplicates_are_fine(db_url):
    text = FILES["projects.csv"] + "2022,区教育局,区教育局本级,P001,校舍维修,项目支出,一般公共预算,100,120,是,是\n"
    result = import_files(db_url, [src("units.csv"), ("projects.csv", text.encode())])
    assert_no_errors(result)
    assert result.counts["projects"]["inserted"] == 3


# --- refusals: every one names file / sheet / row / column, and nothing is written ---------------

BASE = "年度,主管部门,项目编码,项目名称,年初预算\n2022,区教育局,P001,校舍维修,100\n"
MON = "年度,监控截止日期,主管部门,项目编码,项目名称,调整后预算,执行数\n"
EVAL = "年度,评价类型,评价对象类型,主管部门,项目编码,项目名称,得分\n"
FIND = "年度,主管部门,项目名称,问题描述,整改状态\n"
UNITS = "主管部门编码,主管部门,单位编码,单位名称\n"

# name: (files {name: text}, (file, row, column substring, message substring))
CROSS_ROW_BAD = {
    "dup_project_code": ({"p.csv": BASE + "2022,区教育局,P001,校舍维修,90\n"}, ("p.csv", 3, "年初预算", "第2行")),
    "dup_project_name": ({"p.csv": "年度,主管部门,项目名称,年初预算\n2022,区教育局,校舍维修,100\n2022,区教育局,校舍维修,80\n"},
                         ("p.csv", 3, "年初预算", "同一项目")),
    "dup_across_files": ({"a.csv": BASE, "b.csv": BASE.replace(",100", ",101")}, ("b.csv", 2, "年初预算", "a.csv")),
    "dup_monitoring": ({"m.csv": MON + "2022,2022-08-31,区教育局,P001,校舍维修,10,5\n2022,2022-08-31,区教育局,P001,校舍维修,10,6\n"},
                       ("m.csv", 3, "执行数", "同一项目同一截止日期")),
    "dup_evaluation": ({"e.csv": EVAL + "2022,单位自评,项目支出,区教育局,P001,校舍维修,90\n2022,单位自评,项目支出,区教育局,P001,校舍维修,80\n"},
                       ("e.csv", 3, "得分", "同一评价记录")),
    "dup_finding": ({"f.csv": FIND + "2022,区教育局,,进度慢,未整改\n2022,区教育局,,进度慢,已整改\n"},
                    ("f.csv", 3, "整改状态", "同一问题")),
    "unit_without_department": ({"p.csv": "年度,预算单位,项目名称,年初预算\n2022,不存在的单位,校舍维修,10\n"},
                                ("p.csv", 2, "预算单位", "无法确定其主管部门")),
    "unit_of_other_department": ({"u.csv": UNITS + "1,区教育局,11,区第一中学\n",
                                  "p.csv": "年度,主管部门,预算单位,项目名称,年初预算\n2022,区卫健委,区第一中学,校舍维修,10\n"},
                                 ("p.csv", 2, "预算单位", "属于主管部门「区教育局」")),
    "unknown_code_without_name": ({"m.csv": MON + "2022,2022-08-31,区教育局,X999,,10,5\n"},
                                  ("m.csv", 2, "项目编码", "无法新建项目")),
    "department_two_codes": ({"u.csv": UNITS + "1,区教育局,11,区第一中学\n2,区教育局,12,区第二中学\n"},
                             ("u.csv", 3, "主管部门编码", "不同的编码")),
    "unit_two_departments": ({"u.csv": UNITS + "1,区教育局,11,区第一中学\n2,区卫健委,11,区第一中学\n"},
                             ("u.csv", 3, "主管部门", "同一单位")),
    "code_for_two_departments": ({"u.csv": UNITS + "1,区教育局,11,区第一中学\n1,区卫健委,12,区医院\n"},
                                 ("u.csv", 3, "主管部门编码", "不同的名称")),
    "project_evaluation_without_project": ({"e.csv": EVAL + "2022,单位自评,项目支出,区教育局,,,90\n"},
                                           ("e.csv", 2, "项目名称", "项目编码和项目名称")),
}


def _problem_matches(p, file, row, column, message) -> bool:
    return p.file == file and p.row == row and column in (p.column or "") and message in p.message


@pytest.mark.parametrize("case", sorted(CROSS_ROW_BAD))
def test_cross_row_refusals_write_nothing(imported_url, case):
    db_url = imported_url
    before = dump(db_url)
    version = db.data_version(db_url)
    files, (file, row, column, message) = CROSS_ROW_BAD[case]
    result = import_files(db_url, [(n, t.encode()) for n, t in files.items()])
    assert not result.ok
    assert any(_problem_matches(p, file, row, column, message) for p in result.errors), \
        "\n".join(str(p) for p in result.errors)
    # the CLI prints str(problem): "file / sheet / 第N行 / column: message"
    assert any(str(p).startswith(f"{file} / ") and f"/ 第{row}行 / " in str(p) for p in result.errors)
    assert result.batch_id is None
    assert dump(db_url) == before
    assert db.data_version(db_url) == version
    assert len(list_batches(db_url)) == 1


def test_good_and_bad_files_together_write_nothing(db_url):
    db.init_db(db_url)
    bad = ("bad.csv", "年度,主管部门,项目名称,年初预算\n2022,区教育局,校舍维修,-5\n".encode())
    result = import_files(db_url, all_sources() + [bad])
    assert not result.ok and result.batch_id is None
    assert [p.file for p in result.errors] == ["bad.csv"]
    assert result.errors[0].row == 2 and "年初预算" in result.errors[0].column
    assert dump(db_url) == {t.__tablename__: [] for t in m.DATA_TABLES}
    assert list_batches(db_url) == []


def test_warnings_do_not_block(db_url):
    over = MON + "2022,2022-08-31,区教育局,P001,校舍维修,10,12\n"
    result = import_files(db_url, [("m.csv", over.encode())])
    assert result.ok and result.batch_id == 1
    assert any(p.row == 2 and "执行数" in (p.column or "") for p in result.warnings)
    assert one(db_url, m.MonitoringRecord).executed == 12.0


def test_problems_sorted_by_file_sheet_row(db_url):
    files = {"b.csv": "年度,主管部门,项目名称,年初预算\n2022,区教育局,甲,-1\n2022,区教育局,乙,-2\n",
             "a.csv": "年度,主管部门,项目名称,年初预算\n2022,区教育局,丙,-3\n"}
    result = import_files(db_url, [(n, t.encode()) for n, t in files.items()])
    assert [(p.file, p.row) for p in result.errors] == [("a.csv", 2), ("b.csv", 2), ("b.csv", 3)]


# --- the shared corpus of bad files (the reader's half) still writes nothing through the importer --


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return write_bad_files(tmp_path_factory.mktemp("bad"))


def test_corpus_has_enough_bad_files():
    assert len(BAD_CASES) >= 20


@pytest.mark.parametrize("case", BAD_CASES)
def test_corpus_bad_file_writes_nothing(imported_url, bad_files, case):
    db_url = imported_url
    before = dump(db_url)
    path, (file, _sheet, row, column, message) = bad_files[case]
    result = import_files(db_url, [path], year=None)
    assert not result.ok
    hit = [p for p in result.errors if p.file == file and (row is None or p.row == row)
           and (column is None or column in (p.column or "")) and message in p.message]
    assert hit, [str(p) for p in result.errors]
    # mixed with good files: still nothing
    assert not import_files(db_url, [path] + all_sources()).ok
    assert dump(db_url) == before
    assert len(list_batches(db_url)) == 1


def test_corpus_good_files_import_with_their_figures(sqlite_url, tmp_path):
    built = build_corpus(tmp_path / "good")
    for name, (path, expected) in built.items():
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        result = import_files(url, [path], year=expected.get("year") or 2022,
                              as_of=expected.get("as_of") or dt.date(2022, 8, 31))
        assert_no_errors(result)
        if expected.get("kind") == "monitoring" and "sum_budget" in expected:
            recs = rows(url, m.MonitoringRecord)
            assert len(recs) == expected["rows"], name
            assert sum(r.adjusted_budget or 0 for r in recs) == pytest.approx(expected["sum_budget"]), name
            assert sum(r.executed or 0 for r in recs) == pytest.approx(expected["sum_executed"]), name
        if expected.get("kind") == "findings" and "sum_amount" in expected:
            recs = rows(url, m.Finding)
            assert len(recs) == expected["rows"]
            assert sum(r.amount or 0 for r in recs) == pytest.approx(expected["sum_amount"])
            assert sum(r.status == "已整改" for r in recs) == expected["rectified"]
        if expected.get("kind") == "evaluations" and "sum_fund_amount" in expected:
            recs = rows(url, m.Evaluation)
            assert len(recs) == expected["rows"]
            assert sum(r.fund_amount or 0 for r in recs) == pytest.approx(expected["sum_fund_amount"])
        # and a second time: nothing changes
        before = dump(url)
        assert_no_errors(import_files(url, [path], year=expected.get("year") or 2022,
                                      as_of=expected.get("as_of") or dt.date(2022, 8, 31)))
        assert dump(url) == before, name


def test_paths_and_progress(sqlite_url, tmp_path):
    paths = []
    for name, text in FILES.items():
        p = Path(tmp_path / name)
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    seen = []
    result = import_files(sqlite_url, paths, progress=lambda f, msg: seen.append((f, msg)))
    assert_no_errors(result)
    assert result.counts == EXPECTED_COUNTS
    assert seen[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in seen)
    assert "导入完成" in result.summary()


def test_amounts_win_over_a_rounded_rate_and_unnamed_department_evaluation(db_url):
    mon = MON.replace("执行数", "执行数,执行率") + "2022,2022-08-31,区教育局,P001,校舍维修,300,100,33%\n"
    ev = "年度,评价类型,评价对象类型,主管部门,得分\n2022,部门评价,部门整体支出,区教育局,88\n"
    result = import_files(db_url, [("m.csv", mon.encode()), ("e.csv", ev.encode())])
    assert_no_errors(result)
    assert one(db_url, m.MonitoringRecord).executed == 100.0  # not 0.33 × 300 = 99
    e = one(db_url, m.Evaluation)
    assert e.project_id is None and e.object_name == "区教育局" and e.grade == "良"
    assert len(rows(db_url, m.Project)) == 1


def test_codes_run_together_with_names_give_new_departments_and_units_their_codes(db_url):
    text = ("年度,监控截止日期,主管部门,预算单位,项目名称,调整后预算,执行数\n"
            "2022,2022-08-31,219-池州市贵池区棠溪镇人民政府,219001-棠溪镇本级,村道养护,10,5\n"
            "2022,2022-08-31,219-池州市贵池区棠溪镇人民政府,219001-棠溪镇本级,垃圾清运,20,5\n")
    assert_no_errors(import_files(db_url, [("m.csv", text.encode())]))
    dept = one(db_url, m.Department, name="池州市贵池区棠溪镇人民政府")
    assert dept.code == "219"
    unit = one(db_url, m.Unit, name="棠溪镇本级")
    assert unit.code == "219001" and unit.department_id == dept.id


@pytest.mark.parametrize("failure", ["database", "bug"])
def test_an_unforeseen_failure_is_a_sentence_with_a_reference(sqlite_url, monkeypatch, caplog, failure):
    import re

    from sqlalchemy.exc import IntegrityError

    from data_loaders import write

    def broken(self):
        if failure == "database":
            raise IntegrityError("INSERT …", {}, Exception("UNIQUE constraint failed: projects.code"))
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(write.Writer, "run", broken)
    result = import_files(sqlite_url, [src("projects.csv")])
    [error] = result.errors
    ref = re.search(r"参考编号 ([0-9a-f]{8})", error.message).group(1)
    assert "未写入任何数据" in error.message
    assert not re.search(r"[A-Za-z]{5,}", error.message.replace(ref, "")), error.message  # no English internals
    assert ref in caplog.text and ("UNIQUE constraint" in caplog.text or "ZeroDivisionError" in caplog.text)
    assert dump(sqlite_url)["projects"] == []
