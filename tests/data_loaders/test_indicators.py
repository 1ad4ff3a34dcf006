"""Issue 12: every layout that carries performance indicators, imported from a generated file: the stored rows
(indicators with their 已完成 status, projects, monitoring records, evaluations) and the `summary --json`
figures, "indicators" included; undo removes the indicators with the rest of the batch."""

from __future__ import annotations

import datetime as dt
import json

import indicator_corpus as IC
import pytest
from import_set import dump, one, rows

from dashboard import metrics
from dashboard.cli import main
from dashboard.core import models as m
from dashboard.core import rules as R
from dashboard.core.settings import Rules
from data_loaders.importer import import_files, undo_batch
from data_loaders.reader import read_file


def _summary(url: str, year: int, capsys) -> dict:
    capsys.readouterr()
    assert main(["--db", url, "summary", "--year", str(year), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _statuses(url: str) -> dict:
    """{(stage, name): status} of the stored indicators, by the Python rule on the stored columns."""
    names = [c.name for c in m.Indicator.__table__.columns]
    return {(i.stage, i.name): R.indicator_status_of(i.stage, {c: getattr(i, c) for c in names})
            for i in rows(url, m.Indicator)}


def _q(url: str, year: int):
    return metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year), Rules(), dt.date(2024, 12, 31))


def test_template_sheet(db_url, tmp_path, capsys):
    path, exp = IC.template_sheet(tmp_path)
    result = import_files(db_url, [path])
    assert result.ok and result.problems == [], [str(p) for p in result.problems]
    assert [t["kind"] for t in result.files[0]["tables"]] == ["indicators"]
    assert result.counts["indicators"]["inserted"] == exp["stored"]
    assert _statuses(db_url) == exp["status"]
    sat = one(db_url, m.Indicator, name="师生满意度")
    assert (sat.comparator, sat.target_value, sat.target_unit, sat.actual_value, sat.actual_unit) == ("≥", 90.0, "%",
                                                                                                      93.0, "%")
    train = one(db_url, m.Indicator, name="培训人次")
    assert (train.current_text, train.expected_text, train.likelihood) == ("200人次", "450人次", "有可能")
    s = _summary(db_url, exp["year"], capsys)
    assert s["indicators"] == exp["summary"]
    # the SQL twin agrees with the rule row by row (counted stage only: P1 at 自评, P2 at 监控)
    assert metrics.indicator_totals(_q(db_url, exp["year"])) == exp["summary"]
    unmet = metrics.unmet_indicators(_q(db_url, exp["year"]))
    assert sorted(unmet["indicator"]) == ["培训人次", "验收合格率"] and metrics.unmet_indicators_count(_q(db_url, 2024)) == 2
    # re-importing changes nothing; undo removes every indicator of the batch
    again = import_files(db_url, [path])
    assert again.counts["indicators"] == {"inserted": 0, "updated": 0, "unchanged": exp["stored"]}
    undo_batch(db_url, again.batch_id)
    undo_batch(db_url, result.batch_id)
    assert dump(db_url)["indicators"] == [] and dump(db_url)["projects"] == []


def test_declaration_form(db_url, tmp_path, capsys):
    path, exp = IC.declaration_form(tmp_path)
    read = read_file(path)
    assert read.problems == [], [str(p) for p in read.problems]
    assert [t.kind for t in read.tables] == ["projects", "indicators"]
    result = import_files(db_url, [path])
    assert result.ok, [str(p) for p in result.errors]
    p = one(db_url, m.Project, name=exp["project"])
    assert (p.year, p.initial_budget, p.has_target) == (exp["year"], exp["initial_budget"], True)
    d = one(db_url, m.Department, id=p.department_id)
    assert (d.name, d.code) == (exp["department"], exp["department_code"])
    assert one(db_url, m.Unit, id=p.unit_id).name == exp["unit"]
    stored = {i.name: i for i in rows(db_url, m.Indicator)}
    assert {n: i.target_text for n, i in stored.items()} == exp["targets"]  # the 年度 block, not the 长期 one
    assert {i.stage for i in stored.values()} == {"申报"}
    assert stored["维修面积"].level2 == "数量指标" and stored["维修面积"].target_value == 1.2
    s = _summary(db_url, exp["year"], capsys)
    assert s["indicators"] == exp["summary"]
    assert s["projects"] == 1 and s["target_coverage"]["by_count"] == 1.0 and s["budget_total"] == 150.0
    [quality] = metrics.target_quality(_q(db_url, exp["year"]), incomplete_only=False).to_dict("records")
    assert {k: quality[k] for k in exp["quality"]} == exp["quality"]
    [dept] = metrics.target_quality_by_department(_q(db_url, exp["year"])).to_dict("records")
    assert (dept["projects"], dept["complete_projects"], dept["unquantified_projects"]) == (1, 0, 1)


def test_self_evaluation_central_layout(db_url, tmp_path, capsys):
    path, exp = IC.self_evaluation_central(tmp_path)
    result = import_files(db_url, [path])
    assert result.ok and result.problems == [], [str(p) for p in result.problems]
    p = one(db_url, m.Project, name=exp["project"])
    # the project was not otherwise known: the form's budgets are kept
    assert (p.initial_budget, p.adjusted_budget) == (exp["initial_budget"], exp["adjusted_budget"])
    e = one(db_url, m.Evaluation, project_id=p.id)
    assert (e.executed, e.fund_amount, e.score, e.kind) == (exp["executed"], exp["fund_amount"], exp["score"], "单位自评")
    stored = {i.name: i for i in rows(db_url, m.Indicator)}
    assert {n: i.level1 for n, i in stored.items()} == exp["level1"]  # "(50分)" dropped, merged cells repeated
    assert {n for (_, n) in _statuses(db_url)} == set(exp["status"])  # the placeholder 指标3 is not stored
    assert {n: st for (_, n), st in _statuses(db_url).items()} == exp["status"]
    assert stored["路面完好率"].deviation_reason == "资金到位晚,下年提前拨付"  # NFKC, as every text cell
    assert (stored["养护里程"].weight, stored["路面完好率"].score) == (20.0, 10.0)
    s = _summary(db_url, exp["year"], capsys)
    assert s["indicators"] == exp["summary"]
    assert s["evaluations"]["count"] == 1 and s["budget_total"] == exp["adjusted_budget"]


def test_self_evaluation_of_a_known_project_warns_on_a_different_budget(db_url, tmp_path):
    path, exp = IC.self_evaluation_central(tmp_path)
    projects = tmp_path / "项目.csv"
    projects.write_text("年度,主管部门,预算单位,项目名称,年初预算,调整后预算\n2023,青山区交通局,青山区公路站,村道养护,30,40\n",
                        encoding="utf-8")
    assert import_files(db_url, [projects]).ok
    result = import_files(db_url, [path])
    assert result.ok
    [warning] = result.warnings
    assert (warning.row, warning.column) == (4, "全年预算数") and "35" in warning.message and "40" in warning.message
    p = one(db_url, m.Project, name=exp["project"])
    assert (p.initial_budget, p.adjusted_budget) == (30.0, 40.0)  # the known figures are kept
    assert one(db_url, m.Evaluation, project_id=p.id).executed == exp["executed"]


def test_self_evaluation_sichuan_layout(db_url, tmp_path, capsys):
    path, exp = IC.self_evaluation_sichuan(tmp_path)
    result = import_files(db_url, [path])
    assert result.ok and result.problems == [], [str(p) for p in result.problems]
    p = one(db_url, m.Project, code=exp["code"])
    assert (p.name, p.initial_budget, p.adjusted_budget) == (exp["project"], exp["initial_budget"], exp["adjusted_budget"])
    e = one(db_url, m.Evaluation, project_id=p.id)
    assert (e.executed, e.score) == (exp["executed"], exp["score"])
    stored = {i.name: i for i in rows(db_url, m.Indicator)}
    assert {n: st for (_, n), st in _statuses(db_url).items()} == exp["status"]
    assert {n: stored[n].target_unit for n in exp["units"]} == exp["units"]
    assert stored["采购完成时间"].comparator == "≤" and stored["节约运维成本"].actual_value == 8.0
    assert stored["节约运维成本"].deviation_reason == "设备到货延迟"
    s = _summary(db_url, exp["year"], capsys)
    assert s["indicators"] == exp["summary"]


def test_national_monitoring_export_with_several_indicators_per_project(db_url, tmp_path, capsys):
    path, exp = IC.national_monitoring_indicators(tmp_path)
    result = import_files(db_url, [path], as_of=dt.date(2023, 8, 31))
    assert result.ok and result.problems == [], [str(p) for p in result.problems]
    assert result.counts["monitoring"]["inserted"] == exp["records"]
    for name in exp["likelihood"]:
        rec = one(db_url, m.MonitoringRecord, project_id=one(db_url, m.Project, name=name).id)
        assert rec.likelihood == exp["likelihood"][name]  # the worst of its indicators
        assert rec.deviation_reason == exp["deviation"][name]  # joined
        assert rec.needs_rectification is exp["needs_rectification"][name]
        assert rec.executed == exp["executed"][name]
    assert {n: st for (_, n), st in _statuses(db_url).items()} == exp["status"]
    buy = one(db_url, m.Indicator, name="采购台数")
    assert (buy.stage, buy.as_of, buy.current_text, buy.expected_text) == ("监控", dt.date(2023, 8, 31), "40台", "100台")
    s = _summary(db_url, exp["year"], capsys)
    assert s["indicators"] == exp["summary"]
    assert s["monitoring"]["reported"] == exp["records"]
    q = _q(db_url, exp["year"])
    assert metrics.risky_indicators(q)["indicator"].tolist() == exp["at_risk"] and metrics.risky_indicators_count(q) == 2


@pytest.mark.parametrize("build", [IC.self_evaluation_central, IC.self_evaluation_sichuan])
def test_form_indicators_read_without_a_database(build, tmp_path):
    path, exp = build(tmp_path)
    result = read_file(path)
    assert result.problems == []
    assert [t.kind for t in result.tables] == ["evaluations", "indicators"]
    assert len(result.tables[1].frame) == len(exp["status"])
