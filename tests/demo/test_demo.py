"""Demo data (county scale): deterministic, replaces what was there, and shaped like a real county's year."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dashboard import demo
from dashboard.core import db, rules
from dashboard.core.models import (
    DATA_TABLES,
    Department,
    ImportBatch,
    Meta,
    evaluation_object_key,
    finding_key,
)
from dashboard.core.vocab import EVALUATION_KINDS, FINDING_STATUSES, FUND_SOURCES
from dashboard.demo.data import LATE_BATCH, ON_TIME_BATCH

TODAY = dt.date(2025, 6, 30)


def dump(url: str) -> dict[str, list[tuple]]:
    """Every data table's rows in id order: what "identical table contents" means."""
    out = {}
    with db.get_engine(url).connect() as conn:
        for model in DATA_TABLES:
            table = model.__table__
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]
    return out


def rows(url: str, sql: str) -> list:
    with db.get_engine(url).connect() as conn:
        return list(conn.execute(text(sql)))


_LOADED: dict = {}  # what load_demo returned for the county template (its counts are the generator's)


def _load_county(url: str) -> None:
    _LOADED.update(demo.load_demo(url, scale="county", seed=1))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def county(request, tmp_path_factory, templates):
    """The county demo (seed 1) once per engine for the read-only checks (db_url's engines, module-wide)."""
    url = templates.copy(request.param, "county_demo", _load_county, tmp_path_factory.mktemp("demo"),
                         request.addfinalizer)
    yield url, dict(_LOADED)
    db.get_engine(url).dispose()


def test_same_seed_gives_identical_tables_in_two_databases(county, tmp_path):
    """A second load of the module's seed into a new SQLite file equals it, row for row, on either engine."""
    url, _stats = county
    again = f"sqlite:///{tmp_path / 'again.db'}"
    demo.load_demo(again, scale="county", seed=1)
    assert dump(again) == dump(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def county_copy(request, tmp_path, templates):
    """A new database holding the county demo with seed 1 (loaded once per worker, then copied)."""
    return templates.copy(request.param, "county_demo", _load_county, tmp_path, request.addfinalizer)


def test_reload_replaces_data_and_other_seed_differs(county_copy):
    url = county_copy
    first = dump(url)
    version = db.data_version(url)
    demo.load_demo(url, scale="county", seed=2)
    assert dump(url) != first
    assert db.data_version(url) > version
    demo.load_demo(url, scale="county", seed=1)
    assert dump(url) == first  # everything from seed 2 was removed, nothing left over
    with db.get_engine(url).connect() as conn:
        batches = list(conn.execute(select(ImportBatch.source, ImportBatch.files).order_by(ImportBatch.id)))
        assert batches == [("demo", [])] * 3  # the demo's batch and its round's two uploads (data.round_writes)
        assert conn.execute(text("SELECT COUNT(*) FROM change_log")).scalar() == 0
        assert conn.execute(select(Meta.value).where(Meta.key == "data_version")).scalar()
    # ids were explicit: rows added later without one must not collide (PostgreSQL sequences moved on)
    with Session(db.get_engine(url)) as session, session.begin():
        batch = ImportBatch(created_at=dt.datetime(2025, 7, 1), source="import", files=[], counts={})
        session.add(batch)
        session.flush()
        department = Department(name="青山区新设部门", created_batch_id=batch.id, batch_id=batch.id)
        session.add(department)
        session.flush()
        assert batch.id > 1 and department.id > len(first["departments"])


def test_stats_and_counts(county):
    url, stats = county
    assert list(stats) == ["scale", "seed", "departments", "units", "projects", "monitoring", "evaluations",
                           "findings", "indicators", "finding_extensions", "satisfaction_votes", "inquiries",
                           "seconds"]
    assert (stats["scale"], stats["seed"]) == ("county", 1)
    for table, key in (("departments", "departments"), ("units", "units"), ("projects", "projects"),
                       ("monitoring", "monitoring"), ("evaluations", "evaluations"), ("findings", "findings"),
                       ("indicators", "indicators"), ("finding_extensions", "finding_extensions"),
                       ("satisfaction_votes", "satisfaction_votes"), ("inquiries", "inquiries")):
        assert rows(url, f"SELECT COUNT(*) FROM {table}")[0][0] == stats[key]
    assert 50 <= stats["departments"] <= 75
    assert 170 <= stats["units"] <= 240
    kinds = Counter(k for (k,) in rows(url, "SELECT kind FROM departments"))
    assert kinds["部门"] >= 40 and 5 <= kinds["乡镇街道"] <= 15 and 1 <= kinds["园区"] <= 2
    # every department has its own 本级 unit
    assert rows(url, "SELECT COUNT(*) FROM units WHERE name LIKE '%本级'")[0][0] == stats["departments"]
    batch = rows(url, "SELECT MIN(id) FROM import_batches")[0][0]
    for model in DATA_TABLES:
        t = model.__tablename__
        # the latest checkpoint's monitoring records come from the round's back-dated uploads (data.round_writes)
        ours = f"({batch}, {ON_TIME_BATCH}, {LATE_BATCH})" if t == "monitoring" else f"({batch})"
        assert rows(url, f"SELECT COUNT(*) FROM {t} WHERE created_batch_id NOT IN {ours}"
                    " OR batch_id <> created_batch_id OR created_batch_id IS NULL")[0][0] == 0


def test_projects_per_year_look_like_a_county(county):
    url, _ = county
    by_year = rows(url, "SELECT year, COUNT(*), SUM(adjusted_budget), AVG(CASE WHEN has_target THEN 1.0 ELSE 0 END)"
                        " FROM projects GROUP BY year ORDER BY year")
    assert [r[0] for r in by_year] == [2022, 2023, 2024]
    for _year, n, budget, target_share in by_year:
        assert 1000 <= n <= 1400
        assert 300_000 <= budget <= 400_000  # 30–40 亿元 in 万元
        assert 0.94 <= target_share <= 0.99
    projects = rows(url, "SELECT year, code, category, fund_source, initial_budget, target_grade, ex_ante_result,"
                         " is_key, has_target FROM projects")
    assert all(15 <= len(p.code) <= 21 for p in projects)
    assert all(p.initial_budget == round(p.initial_budget, 4) for p in projects)
    cats = Counter(p.category for p in projects)
    assert cats.most_common(1)[0][0] == "项目支出" and {"新增债券", "政策", "部门整体支出"} <= set(cats)
    funds = Counter(p.fund_source for p in projects)
    assert set(funds) == set(FUND_SOURCES) and funds["一般公共预算"] > 0.75 * len(projects)
    assert {p.target_grade for p in projects if p.has_target} >= {"优", "良", "中"}
    assert {p.ex_ante_result for p in projects} >= {"支持", "调整后支持"}
    assert 0.02 * len(projects) < sum(bool(p.is_key) for p in projects) < 0.2 * len(projects)
    # recurring projects keep their code: the next year's budget of an evaluated project can be seen
    codes = defaultdict(set)
    for p in projects:
        codes[p.code].add(p.year)
    assert sum(1 for years in codes.values() if years == {2022, 2023, 2024}) > 400
    names = rows(url, "SELECT year, department_id, name, COUNT(*) FROM projects GROUP BY year, department_id, name"
                      " HAVING COUNT(*) > 1")
    assert names == []  # (year, department, name) identifies a project too, as the importer links by it
    assert any(p.startswith("2023年") for (p,) in rows(url, "SELECT name FROM projects WHERE year = 2023"))


def test_foreign_keys_are_valid(county):
    url, _ = county
    checks = [
        ("units", "department_id", "departments", False),
        ("projects", "department_id", "departments", False),
        ("projects", "unit_id", "units", False),
        ("monitoring", "project_id", "projects", False),
        ("evaluations", "project_id", "projects", True),
        ("evaluations", "department_id", "departments", False),
        ("evaluations", "unit_id", "units", True),
        ("findings", "project_id", "projects", True),
        ("findings", "department_id", "departments", False),
        ("findings", "unit_id", "units", True),
    ]
    for child, col, parent, nullable in checks:
        orphans = rows(url, f"SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{col}"
                            f" WHERE p.id IS NULL{' AND c.' + col + ' IS NOT NULL' if nullable else ''}")
        assert orphans[0][0] == 0, (child, col)
    # a project's unit belongs to the project's department; so do linked evaluations and findings
    for sql in (
        "SELECT COUNT(*) FROM projects p JOIN units u ON u.id = p.unit_id WHERE u.department_id <> p.department_id",
        ("SELECT COUNT(*) FROM evaluations e JOIN projects p ON p.id = e.project_id"
        " WHERE p.department_id <> e.department_id OR p.year <> e.year"),
        ("SELECT COUNT(*) FROM findings f JOIN projects p ON p.id = f.project_id"
        " WHERE p.department_id <> f.department_id OR p.year <> f.year"),
        ("SELECT COUNT(*) FROM monitoring m JOIN projects p ON p.id = m.project_id"
        " WHERE m.adjusted_budget <> p.adjusted_budget"),
    ):
        assert rows(url, sql)[0][0] == 0, sql


def test_latest_monitoring_record_is_the_last_as_of(county):
    url, _ = county
    records = rows(url, "SELECT m.project_id, m.as_of, m.is_latest, p.year FROM monitoring m"
                        " JOIN projects p ON p.id = m.project_id")
    by_project = defaultdict(list)
    for r in records:
        by_project[r.project_id].append(r)
        as_of = r.as_of if isinstance(r.as_of, dt.date) else dt.date.fromisoformat(r.as_of)
        assert as_of.year == r.year and (as_of.month, as_of.day) in ((6, 30), (8, 31))
    for recs in by_project.values():
        latest = [r for r in recs if r.is_latest]
        assert len(latest) == 1
        assert latest[0].as_of == max(r.as_of for r in recs)
    # a few projects reported in June and then stopped
    assert any(len(recs) == 1 for recs in by_project.values())


def test_light_shares_at_end_of_august(county):
    url, _ = county
    records = rows(url, "SELECT p.year, m.as_of, m.executed, m.adjusted_budget, m.target_progress FROM monitoring m"
                        " JOIN projects p ON p.id = m.project_id")
    for year in (2022, 2023, 2024):
        lights = Counter()
        for r in records:
            as_of = r.as_of if isinstance(r.as_of, dt.date) else dt.date.fromisoformat(r.as_of)
            if r.year == year and as_of == dt.date(year, 8, 31):
                rate = rules.execution_rate(r.executed, r.adjusted_budget)
                lights[rules.warning_light(as_of, rate, r.target_progress)] += 1
        total = sum(lights.values())
        assert 0.62 <= lights["green"] / total <= 0.78, (year, lights)
        assert 0.10 <= lights["yellow"] / total <= 0.20, (year, lights)
        assert 0.09 <= lights["red"] / total <= 0.18, (year, lights)
    # money and targets: some target progress, reasons on lagging projects, and a little bad data
    assert any(r.target_progress is not None for r in records)
    assert any(r.executed > r.adjusted_budget for r in records)
    reasons = {r for (r,) in rows(url, "SELECT deviation_reason FROM monitoring WHERE deviation_reason IS NOT NULL")}
    assert {"资金未及时拨付", "项目前期手续未完成", "政府采购流程延迟", "工程进度滞后"} <= reasons
    assert {r for (r,) in rows(url, "SELECT likelihood FROM monitoring")} == {"确定能", "有可能", "完全不可能"}
    # grey: some projects with targets never reported
    grey = rows(url, "SELECT COUNT(*) FROM projects p WHERE p.has_target AND NOT EXISTS"
                     " (SELECT 1 FROM monitoring m WHERE m.project_id = p.id)")[0][0]
    assert grey > 50


def test_evaluations_every_kind_every_year_with_inflation(county):
    url, _ = county
    evals = rows(url, "SELECT year, kind, object_type, object_key, object_name, project_id, department_id, score,"
                      " grade, evaluator, deputies_participated, result_application, next_year_budget_change"
                      " FROM evaluations")
    for year in (2022, 2023, 2024):
        mine = [e for e in evals if e.year == year]
        kinds = Counter(e.kind for e in mine)
        assert set(kinds) == set(EVALUATION_KINDS)
        projects = rows(url, f"SELECT COUNT(*) FROM projects WHERE year = {year}")[0][0]
        assert kinds["单位自评"] > 0.8 * projects
        key_projects = sum(1 for e in mine if e.kind == "财政重点评价" and e.object_type == "项目支出")
        assert 50 <= key_projects <= 70
        whole = [e for e in mine if e.object_type == "部门整体支出"]
        assert 5 <= len(whole) <= 9
        assert 1 <= sum(1 for e in mine if e.object_type == "政策") <= 2
        self_evals = [e for e in mine if e.kind == "单位自评"]
        assert 0.15 * len(self_evals) <= kinds["抽查复核"] <= 0.25 * len(self_evals)
    for e in evals:
        assert rules.grade_for_score(e.score) == e.grade
        assert e.object_key == evaluation_object_key(e.project_id, e.department_id, e.object_name)
        assert (e.project_id is None) == (e.object_type != "项目支出")
    self_scores = [e.score for e in evals if e.kind == "单位自评"]
    assert 85 <= sorted(self_scores)[len(self_scores) // 10]  # 90% of self-scores at 85 or above
    assert Counter(rules.grade_for_score(s) for s in self_scores).most_common(1)[0][0] == "优"
    assert {e.grade for e in evals} == {"优", "良", "中", "差"}
    key = [e for e in evals if e.kind == "财政重点评价"]
    assert any("会计师事务所" in (e.evaluator or "") for e in key)
    assert any(e.deputies_participated for e in key) and not all(e.deputies_participated for e in key)
    # 自评虚高: some, not most, self-evaluations disagree with the independent score
    self_by = {(e.year, e.project_id): e for e in evals if e.kind == "单位自评"}
    pairs = [(self_by[(e.year, e.project_id)], e) for e in evals
             if e.kind in ("抽查复核", "财政重点评价") and (e.year, e.project_id) in self_by]
    flags = [rules.self_evaluation_inflation(s.score, i.score, s.grade, i.grade).flagged for s, i in pairs]
    assert 0.03 * len(flags) <= sum(flags) <= 0.5 * len(flags)
    # result application follows the grade, and cuts are negative
    # (a few project evaluations record none: the demo's RA3 cases, dashboard/demo/applications.py)
    assert 0 < sum(e.result_application is None for e in evals) < 0.05 * len(evals)
    for e in evals:
        if e.result_application is None:
            continue
        word = {"优": "优先保障", "良": "保障", "中": "压减", "差": "预算"}[e.grade]
        assert word in e.result_application
        if e.next_year_budget_change is not None and e.grade in ("中", "差"):
            assert e.next_year_budget_change < 0


def test_next_year_budget_follows_the_evaluation(county):
    url, _ = county
    projects = {(p.year, p.code): p for p in rows(url, "SELECT id, year, code, initial_budget, adjusted_budget"
                                                       " FROM projects")}
    by_id = {p.id: p for p in projects.values()}
    changes = rows(url, "SELECT project_id, grade, next_year_budget_change FROM evaluations"
                        " WHERE next_year_budget_change IS NOT NULL AND project_id IS NOT NULL")
    checked = Counter()
    for project_id, grade, change in changes:
        p = by_id[project_id]
        following = projects.get((p.year + 1, p.code))
        if following is not None:
            assert following.initial_budget == pytest.approx(p.adjusted_budget + change, abs=1e-3)
            checked[grade] += 1
        elif grade == "差":
            assert change == pytest.approx(-p.adjusted_budget)
    assert checked["优"] > 100 and checked["中"] > 5
    # at most one evaluation per project states the change, so the figure is not counted twice
    per_project = Counter(project_id for project_id, _, _ in changes)
    assert max(per_project.values()) == 1


def test_findings_states_and_overdue(county):
    url, _ = county
    findings = rows(url, "SELECT year, source, department_id, project_id, unit_id, finding_key, description,"
                         " requirement, deadline, status, completed_on, amount FROM findings")
    by_year = Counter(f.year for f in findings)
    assert 250 <= by_year[2024] < by_year[2023] < by_year[2022] <= 700
    assert {f.status for f in findings} == set(FINDING_STATUSES)
    assert {f.source for f in findings} >= {"绩效监控", "财政重点评价", "抽查复核", "审计", "人大"}

    def day(v):
        return v if isinstance(v, dt.date) or v is None else dt.date.fromisoformat(v)

    overdue = Counter()
    rectified = Counter()
    for f in findings:
        assert f.finding_key == finding_key(f.department_id, f.project_id, f.description)
        assert f.requirement and f.deadline is not None
        done = day(f.completed_on)
        assert (done is not None) == (f.status == "已整改")
        if done is not None:
            assert done <= TODAY
        overdue[f.year] += rules.is_overdue(f.status, day(f.deadline), TODAY)
        rectified[f.year] += f.status == "已整改"
    assert overdue[2024] > 0 and overdue[2022] > 0
    # older years are mostly closed, the latest year is mixed
    assert rectified[2022] / by_year[2022] > 0.85
    assert 0.3 < rectified[2024] / by_year[2024] < 0.7
    assert any(f.project_id is None for f in findings) and any(f.amount for f in findings)
    # a project's finding names the project before the problem (校舍维修改造：绩效目标设置不够细化量化)
    assert any(f.description.endswith("：绩效目标设置不够细化量化") for f in findings)


def test_enumerated_values_come_from_the_vocabulary():
    from dashboard.core import vocab
    from dashboard.demo.data import generate

    tables = {model.__tablename__: cols for model, cols in generate("county", 1).tables}
    allowed = {
        ("departments", "kind"): vocab.DEPARTMENT_KINDS, ("units", "kind"): vocab.DEPARTMENT_KINDS,
        ("projects", "category"): vocab.PROJECT_CATEGORIES, ("projects", "fund_source"): vocab.FUND_SOURCES,
        ("projects", "target_grade"): vocab.GRADES, ("projects", "ex_ante_result"): vocab.EX_ANTE_RESULTS,
        ("monitoring", "likelihood"): vocab.LIKELIHOODS, ("evaluations", "kind"): vocab.EVALUATION_KINDS,
        ("evaluations", "object_type"): vocab.EVALUATION_OBJECTS, ("evaluations", "grade"): vocab.GRADES,
        ("findings", "source"): vocab.FINDING_SOURCES, ("findings", "status"): vocab.FINDING_STATUSES,
    }
    for (table, column), values in allowed.items():
        assert set(tables[table][column]) - {None} <= set(values), (table, column)


def test_configured_rules_decide_the_stored_grades():
    from dashboard.core.settings import Rules
    from dashboard.demo.data import generate

    strict = Rules(grade_excellent=95, grade_good=85, grade_pass=70)
    default_ev = {model.__tablename__: cols for model, cols in generate("county", 1).tables}["evaluations"]
    strict_ev = {model.__tablename__: cols for model, cols in generate("county", 1, strict).tables}["evaluations"]
    assert all(g == rules.grade_for_score(s, strict) for s, g in zip(strict_ev["score"], strict_ev["grade"]))
    assert all(g == rules.grade_for_score(s) for s, g in zip(default_ev["score"], default_ev["grade"]))
    assert strict_ev["grade"] != default_ev["grade"]


def test_indicators_follow_the_projects_and_the_rule(county):
    """Issue 12: projects with targets declare indicators; monitoring and self-evaluation report on them; the
    stored columns are the rule's parse of the texts, and the stages follow the project's records."""
    from dashboard.core import rules as R

    url, stats = county
    assert stats["indicators"] > 0
    # every indicator's project has targets; 监控 only where the project has a monitoring record, 自评 only where
    # it has a 单位自评
    assert rows(url, "SELECT COUNT(*) FROM indicators i JOIN projects p ON p.id = i.project_id"
                     " WHERE p.has_target IS NOT TRUE")[0][0] == 0
    assert rows(url, "SELECT COUNT(*) FROM indicators i WHERE i.stage = '监控' AND NOT EXISTS"
                     " (SELECT 1 FROM monitoring m WHERE m.project_id = i.project_id AND m.as_of = i.as_of)")[0][0] == 0
    assert rows(url, "SELECT COUNT(*) FROM indicators i WHERE i.stage = '自评' AND NOT EXISTS"
                     " (SELECT 1 FROM evaluations e WHERE e.project_id = i.project_id AND e.kind = '单位自评')")[0][0] == 0
    sample = rows(url, "SELECT stage, target_text, actual_text, expected_text, comparator, target_value, target_unit,"
                       " actual_value, actual_unit, expected_value, expected_unit FROM indicators ORDER BY id LIMIT 400")
    for stage, target, actual, expected, *stored in sample:
        parsed = R.indicator_columns(target=target, actual=actual, expected=expected)
        assert stored == [parsed[k] for k in ("comparator", "target_value", "target_unit", "actual_value",
                                              "actual_unit", "expected_value", "expected_unit")]
    statuses = Counter(R.indicator_status_of(stage, R.indicator_columns(target=t, actual=a, expected=e))
                       for stage, t, a, e, *_ in sample)
    assert len(statuses) == 3  # the demo shows met, not met and cannot-be-judged indicators


def test_verified_rectification_in_realistic_amounts(county):
    """Issue 25 in the demo: most 已整改 verified, a few percent extended or excepted with a reason, a few percent
    repeats, votes for most units with findings — so every figure of 整改进度 shows something."""
    from dashboard import metrics as mx
    from dashboard.core.settings import Rules

    url, _ = county
    done = rows(url, "SELECT COUNT(*), SUM(CASE WHEN verified_on IS NOT NULL THEN 1 ELSE 0 END) FROM findings"
                     " WHERE status = '已整改'")[0]
    assert 0.8 <= done[1] / done[0] <= 0.9
    total = rows(url, "SELECT COUNT(*) FROM findings")[0][0]
    extended = rows(url, "SELECT COUNT(DISTINCT finding_id) FROM finding_extensions")[0][0]
    assert 0.02 * total <= extended <= 0.08 * total
    assert rows(url, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM finding_extensions GROUP BY finding_id) t")[0][0] == 2
    # the stored deadline is the last extension's new date; the first one's old date is the original deadline
    assert rows(url, "SELECT COUNT(*) FROM finding_extensions x JOIN findings f ON f.id = x.finding_id"
                     " WHERE x.old_deadline = f.original_deadline")[0][0] == extended
    excepted = rows(url, "SELECT COUNT(*) FROM findings WHERE exclusion IS NOT NULL AND exclusion_reason IS NOT NULL")
    assert 0 < excepted[0][0] <= 0.05 * total
    units = rows(url, "SELECT COUNT(DISTINCT year * 100000 + unit_id) FROM findings WHERE unit_id IS NOT NULL")[0][0]
    votes = rows(url, "SELECT COUNT(*) FROM satisfaction_votes")[0][0]
    assert 0.75 * units <= votes <= 0.95 * units
    q = mx.Query(url, mx.prepare(url), mx.Scope(2024), Rules(), TODAY)
    s = mx.rectification_summary(q)
    n2024 = mx.finding_totals(q)["total"]
    assert 0.01 * n2024 <= s["repeat"] <= 0.08 * n2024
    assert s["reported_unverified"] > 0 and s["extended"] > 0 and s["direct_rate"] < s["overall_rate"]
