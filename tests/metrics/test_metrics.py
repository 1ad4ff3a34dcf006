"""Metrics on the hand-built fixture (tests/small_fixture.py), on SQLite and PostgreSQL; figures by hand."""

import datetime as dt

import pytest

from dashboard import metrics as mx
from dashboard.core import rules as R
from dashboard.core import writes
from dashboard.core.settings import Rules
from tests import small_fixture as fx
from tests.sessions import session_scope

RULES = Rules()
T = 243 / 365 * 100  # time progress at 2022-08-31, percent


def Q(url, scope=None, rules=RULES, today=fx.TODAY):
    """The metrics Query at the current data version (prepared: project_facts up to date)."""
    return mx.Query(url, mx.prepare(url), scope or mx.Scope(2022), rules, today)


@pytest.fixture
def fixture_db(db_url):
    ids = fx.build(db_url)
    return db_url, ids


def test_project_totals(fixture_db):
    url, ids = fixture_db
    p = mx.project_totals(Q(url, mx.Scope(2022)))
    assert p["departments"] == 3 and p["units"] == 4 and p["projects"] == 7
    assert p["budget_total"] == pytest.approx(1000.0)        # 100 + 50 (initial) + 200 + 300 + 150 + 100 + 100
    assert p["coverage_count"] == pytest.approx(5 / 7)
    assert p["coverage_funds"] == pytest.approx(0.7)          # 700 / 1000
    d1 = mx.project_totals(Q(url, mx.Scope(2022, (ids["D1"],))))
    assert (d1["projects"], d1["units"], d1["budget_total"]) == (3, 2, 350.0)
    fund = mx.project_totals(Q(url, mx.Scope(2022, fund_source="政府性基金预算")))
    assert (fund["projects"], fund["budget_total"], fund["coverage_funds"]) == (1, 200.0, 0.0)


def test_monitoring_lights(fixture_db):
    url, ids = fixture_db
    m = mx.monitoring_totals(Q(url, mx.Scope(2022)))
    assert m["as_of"] == dt.date(2022, 8, 31)
    assert (m["reported"], m["green"], m["yellow"], m["red"], m["grey"]) == (5, 2, 1, 2, 1)
    assert m["execution_rate"] == pytest.approx(438 / 700)   # (60+28+80+150+120) / (100+50+200+250+100)
    d2 = mx.monitoring_totals(Q(url, mx.Scope(2022, (ids["D2"],))))
    assert (d2["reported"], d2["red"], d2["grey"]) == (1, 1, 1)
    # a wider yellow band turns P2 (lag 10.6) green and P3 (lag 26.6) yellow; P4's target lag 26.6 too
    wide = mx.monitoring_totals(Q(url, mx.Scope(2022), Rules(yellow_lag=15, red_lag=30)))
    assert (wide["green"], wide["yellow"], wide["red"]) == (3, 2, 0)


def test_monitoring_checkpoint_preset(fixture_db):
    url, _ = fixture_db
    m = mx.monitoring_totals(Q(url, mx.Scope(2022), Rules(warning_preset="checkpoints")))
    # end of August: red below 60% → P2 (56%) and P3 (40%); P1 60% and P4 60% are not below
    assert (m["green"], m["yellow"], m["red"], m["grey"]) == (3, 0, 2, 1)


def test_sql_lights_agree_with_python_rule(fixture_db):
    url, _ = fixture_db
    df = mx.warning_list(Q(url, mx.Scope(2022)), lights=("green", "yellow", "red", "grey"))
    got = dict(zip(df["code"], df["light"]))
    assert got == {"A1": "green", "A2": "yellow", "A3": "red", "B1": "red", "B2": "grey", "C1": "green"}
    for row in df.itertuples():
        if row.light != "grey":
            tp = None if row.target_progress != row.target_progress else row.target_progress
            assert R.warning_light(row.as_of, row.execution_rate, tp) == row.light
    b1 = df[df["code"] == "B1"].iloc[0]
    assert b1["budget"] == 250.0 and b1["execution_rate"] == pytest.approx(0.6)
    assert b1["lag"] == pytest.approx(T - 60)


def test_red_and_grey_list(fixture_db):
    url, _ = fixture_db
    df = mx.warning_list(Q(url, mx.Scope(2022)), lights=("red", "grey"))
    assert list(df["code"]) == ["A3", "B1", "B2"]             # lag 26.6, lag 6.6 (target lag decides), grey
    assert df.iloc[0]["deviation_reason"] == "工程进度滞后"


def test_lights_by_department(fixture_db):
    url, _ = fixture_db
    df = mx.lights_by_department(Q(url, mx.Scope(2022))).set_index("department")
    assert df.loc["青山区教育局", ["green", "yellow", "red", "grey", "reported"]].tolist() == [1, 1, 1, 0, 3]
    assert df.loc["青山区卫生健康委员会", ["green", "red", "grey"]].tolist() == [0, 1, 1]
    assert df.loc["青山区青山镇人民政府", ["green", "grey"]].tolist() == [1, 0]   # P7 has no target: not grey
    assert df.loc["青山区教育局", "execution_rate"] == pytest.approx(168 / 350)


def test_evaluation_totals(fixture_db):
    url, ids = fixture_db
    e = mx.evaluation_totals(Q(url, mx.Scope(2022)))
    assert e["count"] == 10
    assert e["grades"] == {"优": 4, "良": 4, "中": 1, "差": 1}
    assert e["by_kind"] == {"单位自评": 4, "部门评价": 1, "财政重点评价": 4, "抽查复核": 1}
    assert e["avg_score"] == pytest.approx((95 + 84 + 94 + 92 + 88 + 89.99 + 90 + 78 + 56) / 9)
    assert e["inflation_flags"] == 2                          # P1 (gap 11 vs 抽查复核), P4 (优 vs 良)
    d1 = mx.evaluation_totals(Q(url, mx.Scope(2022, (ids["D1"],))))
    assert d1["count"] == 5 and d1["avg_score"] == pytest.approx(82.25) and d1["inflation_flags"] == 1
    # a fund-source filter keeps project evaluations of that source only (P3's self-evaluation)
    assert mx.evaluation_totals(Q(url, mx.Scope(2022, fund_source="政府性基金预算")))["count"] == 1


def test_inflation_list(fixture_db):
    url, _ = fixture_db
    df = mx.inflation_list(Q(url, mx.Scope(2022))).set_index("code")
    assert df.loc["A1", "independent_kind"] == "抽查复核" and df.loc["A1", "gap"] == pytest.approx(11)
    assert bool(df.loc["A1", "flagged"]) and bool(df.loc["B1", "flagged"]) and not bool(df.loc["C1", "flagged"])


def test_grade_mix(fixture_db):
    url, _ = fixture_db
    by_dept = mx.grade_mix_by_department(Q(url, mx.Scope(2022))).set_index("department")
    assert by_dept.loc["青山区教育局", ["优", "良", "中", "差", "count"]].tolist() == [2, 2, 0, 1, 5]
    assert by_dept.loc["青山区卫生健康委员会", ["优", "良", "中"]].tolist() == [1, 1, 1]
    by_kind = mx.grade_mix_by_kind(Q(url, mx.Scope(2022))).set_index("kind")
    assert by_kind.loc["财政重点评价", ["优", "良", "中", "差"]].tolist() == [2, 1, 1, 0]
    ra = mx.result_application(Q(url, mx.Scope(2022))).set_index("grade")
    assert ra.loc["差", "budget_change_total"] == -20.0 and ra.loc["差", "cut"] == 1


def test_findings(fixture_db):
    url, _ = fixture_db
    f = mx.finding_totals(Q(url, mx.Scope(2022)))
    # F1 and F5 are 已整改 and verified; no finding has an extension, an exclusion or an original deadline of its own
    assert f == {"total": 7, "rectified": 2, "in_progress": 2, "not_started": 3, "overdue": 3,
                 "rate": pytest.approx(2 / 7), "verified": 2, "reported_unverified": 0, "overdue_original": 3,
                 "extended": 0, "excluded": 0, "direct_rate": pytest.approx(2 / 7), "overall_rate": pytest.approx(2 / 7)}
    over = mx.overdue_findings(Q(url, mx.Scope(2022)))
    assert list(over["days_overdue"]) == [211, 120, 1]
    assert list(over["age_bucket"]) == [">180天", "91–180天", "≤30天"]
    buckets = mx.age_buckets(Q(url, mx.Scope(2022)))
    assert list(buckets["count"]) == [1, 0, 1, 1]
    by_dept = mx.findings_by_department(Q(url, mx.Scope(2022))).set_index("department")
    assert by_dept.loc["青山区卫生健康委员会", ["已整改", "整改中", "total", "overdue"]].tolist() == [1, 1, 2, 1]
    trend = mx.closure_trend(Q(url, mx.Scope(2022)))
    assert trend.to_dict("list") == {"month": ["2022-11", "2022-12"], "closed": [1, 1], "cumulative_closed": [1, 2]}


def test_coverage(fixture_db):
    url, _ = fixture_db
    df = mx.coverage_by_department(Q(url, mx.Scope(2022))).set_index("department")
    assert df.loc["青山区教育局", "coverage_funds"] == pytest.approx(150 / 350)
    assert df.loc["青山区卫生健康委员会", "monitoring_coverage"] == pytest.approx(0.5)   # P4 of P4, P5
    # P1 (100) and P2 (50) and P3 (200) are evaluated: all of 教育局's money
    assert df.loc["青山区教育局", "evaluation_coverage"] == pytest.approx(1.0)
    fs = mx.coverage_by_fund_source(Q(url, mx.Scope(2022))).set_index("fund_source")
    assert fs.loc["一般公共预算", "budget"] == 800.0 and fs.loc["一般公共预算", "coverage_funds"] == pytest.approx(700 / 800)
    kinds = mx.evaluation_coverage_by_kind(Q(url, mx.Scope(2022))).set_index("kind")
    assert kinds.loc["单位自评", "evaluated_budget"] == 700.0    # P1 100 + P3 200 + P4 300 + P6 100
    missing = mx.projects_without_targets(Q(url, mx.Scope(2022)))
    assert list(missing["code"]) == ["A3", "C2"]


def test_department_ranking(fixture_db):
    url, _ = fixture_db
    df = mx.department_ranking(Q(url, mx.Scope(2022))).set_index("department")
    d1 = (20 * 150 / 350 * 100 + 20 * (100 - 2 * (T - 48)) + 30 * 82.25 + 20 * 100 / 3 + 10 * 200 / 3) / 100
    d2 = (20 * 100 + 20 * (100 - 2 * (T - 60)) + 30 * 86 + 20 * 50 + 10 * 0) / 100
    d3 = (20 * 50 + 20 * 100 + 30 * 89.995 + 20 * 0 + 10 * 100) / 100
    assert df.loc["青山区教育局", "composite"] == pytest.approx(d1)
    assert df.loc["青山区卫生健康委员会", "composite"] == pytest.approx(d2)
    assert df.loc["青山区青山镇人民政府", "composite"] == pytest.approx(d3)
    assert round(d1, 2) == 59.15 and round(d2, 2) == 73.17 and round(d3, 2) == 67.0
    assert df["rank"].to_dict() == {"青山区卫生健康委员会": 1, "青山区青山镇人民政府": 2, "青山区教育局": 3}
    # 2021: both departments score 100 on coverage alone and share rank 1
    assert df.loc["青山区教育局", "rank_change"] == -2 and df.loc["青山区卫生健康委员会", "rank_change"] == 0
    assert df["small_sample"].all()


def test_department_trend_and_search(fixture_db):
    url, ids = fixture_db
    trend = mx.department_trend(Q(url), ids["D1"])
    assert list(trend["year"]) == [2021, 2022] and list(trend["budget"]) == [90.0, 350.0]
    df, total = mx.search_projects(Q(url, mx.Scope(2022)), text="学校")
    assert total == 1 and df.iloc[0]["code"] == "A3"
    df, total = mx.search_projects(Q(url, mx.Scope(2022)), light="red")
    assert total == 2 and set(df["code"]) == {"A3", "B1"}
    df, total = mx.search_projects(Q(url, mx.Scope(2022)), grade="差")
    assert list(df["code"]) == ["A2"]
    row = mx.search_projects(Q(url, mx.Scope(2022)), text="A1")[0].iloc[0]
    assert row["grade"] == "良" and row["score"] == 84.0 and row["open_findings"] == 0   # 抽查复核 shown
    df, total = mx.search_projects(Q(url, mx.Scope(2022)), status="未整改")
    assert set(df["code"]) == {"A3", "C1"}


def test_project_card(fixture_db):
    url, ids = fixture_db
    card = mx.project_card(Q(url), ids["Q1"])
    assert card["next_year"] == {"project_id": ids["P1"], "year": 2022, "budget": 100.0, "change": 10.0}
    card = mx.project_card(Q(url), ids["P1"])
    assert list(card["monitoring"]["light"]) == ["red", "green"]   # June: 10% vs 49.6%
    assert list(card["monitoring"]["execution_rate"]) == [0.1, 0.6]
    assert card["evaluations"]["kind"].iloc[0] == "单位自评" and len(card["evaluations"]) == 3
    assert card["findings"].iloc[0]["status"] == "已整改"
    assert mx.project_card(Q(url), 999999) is None


def test_options_and_provenance(fixture_db):
    url, ids = fixture_db
    mx.prepare(url)  # fund sources are read from project_facts
    assert mx.available_years(url) == [2022, 2021]
    assert mx.resolve_department(url, "101") == ids["D1"]
    assert mx.resolve_department(url, "青山区教育局") == ids["D1"]
    assert mx.resolve_department(url, "不存在") is None
    assert mx.fund_source_options(url) == sorted(["一般公共预算", "政府性基金预算"])
    prov = mx.provenance(Q(url, mx.Scope(2022)))
    assert prov["monitoring_as_of"] == dt.date(2022, 8, 31) and prov["files"][0]["name"] == "fixture.xlsx"


def test_figures_follow_the_data_version(fixture_db):
    """project_facts and the in-process caches are keyed on the data version: a write shows at the next prepare,
    and metrics themselves only read the facts of the version they are given (they never rebuild them)."""
    url, ids = fixture_db
    from dashboard.core.models import MonitoringRecord

    before = Q(url, mx.Scope(2022))
    assert mx.monitoring_totals(before)["grey"] == 1
    with session_scope(url) as s:
        s.add(MonitoringRecord(project_id=ids["P5"], as_of=fx.AUG, executed=100.0, is_latest=True))
        writes.bump_data_version(s.connection())
    mx.clear_caches()
    assert mx.monitoring_totals(before)["grey"] == 1            # read path: facts still at the old version
    m = mx.monitoring_totals(Q(url, mx.Scope(2022)))
    assert (m["grey"], m["reported"], m["green"]) == (0, 6, 3)    # P5: 100 / 150 = 66.7% → green


def test_open_findings_lists_every_unclosed_finding(fixture_db):
    url, _ = fixture_db
    df = mx.open_findings(Q(url, mx.Scope(2022)))
    # F7 (2022-09-01), F4 (2022-12-01), F3 (2023-03-30), F2 (due today), F6 (no deadline) — not F1/F5 (closed)
    assert list(df["days_overdue"]) == [211, 120, 1, 0, 0]
    assert list(df["status"]) == ["未整改", "整改中", "未整改", "整改中", "未整改"]


def test_monitoring_coverage_counts_only_projects_that_must_report(fixture_db):
    url, _ = fixture_db
    df = mx.coverage_by_department(Q(url, mx.Scope(2022))).set_index("department")
    # 教育局: P1, P2 have targets and reported; P3 reported without a target (not counted) → 2 / 2
    assert df.loc["青山区教育局", "monitoring_coverage"] == 1.0
    assert df.loc["青山区教育局", "monitored_projects"] == 3


def test_every_list_is_whole_by_default_and_counted(fixture_db):
    """No list metric cuts silently: limit=None returns every row, *_count agrees, pages tile the list."""
    url, _ = fixture_db
    q = Q(url, mx.Scope(2022))
    lists = [
        (lambda **kw: mx.warning_list(q, lights=("red", "grey"), **kw), mx.warning_count(q, lights=("red", "grey"))),
        (lambda **kw: mx.evaluation_list(q, **kw), mx.evaluation_count(q)),
        (lambda **kw: mx.evaluation_list(q, kind=("单位自评", "抽查复核"), **kw),
         mx.evaluation_count(q, kind=("单位自评", "抽查复核"))),
        (lambda **kw: mx.findings_list(q, **kw), mx.findings_count(q)),
        (lambda **kw: mx.overdue_findings(q, **kw), mx.overdue_count(q)),
        (lambda **kw: mx.open_findings(q, **kw), mx.open_count(q)),
        (lambda **kw: mx.projects_without_targets(q, **kw), mx.projects_without_targets_count(q)),
        (lambda **kw: mx.inflation_list(q, **kw), mx.inflation_total(q)),
        (lambda **kw: mx.search_projects(q, limit=kw.get("limit"), offset=kw.get("offset", 0))[0],
         mx.count_projects(q)),
    ]
    for fetch, total in lists:
        whole = fetch()
        assert len(whole) == total > 0
        first_col = whole.columns[0]
        tiled = [v for off in range(0, total, 2) for v in fetch(limit=2, offset=off)[first_col]]
        assert tiled == whole[first_col].tolist()
    assert mx.inflation_count(q) == (mx.inflation_total(q), int(mx.inflation_list(q)["flagged"].sum()))
    n, money = mx.projects_without_targets_total(q)
    assert n == mx.projects_without_targets_count(q)
    assert money == pytest.approx(mx.projects_without_targets(q)["budget"].sum())


def test_search_filters_take_several_values_and_match_the_columns(fixture_db):
    url, _ = fixture_db
    q = Q(url, mx.Scope(2022))
    every = mx.search_projects(q, limit=None)[0]
    for grades in (("差",), ("良", "差"), ("优", "良", "中", "差")):
        got = mx.search_projects(q, grade=grades, limit=None)[0]
        assert got["code"].tolist() == every[every["grade"].isin(grades)]["code"].tolist()
    for lights in (("red",), ("red", "grey"), ("green", "yellow")):
        got = mx.search_projects(q, light=lights, limit=None)[0]
        assert got["code"].tolist() == every[every["light"].isin(lights)]["code"].tolist()
    both = mx.search_projects(q, status=("未整改", "整改中"), limit=None)[0]
    assert set(both["code"]) >= set(mx.search_projects(q, status="未整改", limit=None)[0]["code"])
