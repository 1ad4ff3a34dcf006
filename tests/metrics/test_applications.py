"""结果应用台账 (dashboard.metrics.applications) on a hand-built database, on SQLite and PostgreSQL: the ledger's
flags RA1–RA3, its order, grade history and next-year budget; policies due (RA4) and without a class (RA5); the result
classes; the summary's `result_application`; the scope (departments, fund source) and an account's department limit;
and every ledger row agreeing with the Python rules of dashboard.core.applications.

The database, judged for 2023 (default rules: a policy older than 5 years is due every 3 years):

  code  dept  2022                  2023 evaluations (counted *)             2023 budget → 2024   flags
  A1    教育  单位自评 70 中          单位自评 85 良, 抽查复核 55 差 *         100 → 100 (equal)     RA1
  B1    教育  财政重点评价 85 良      部门评价 50 差 *, blank text             120 → 120.5           RA2 RA3
  C1    卫健  单位自评 50 差          单位自评 65 中 *, 下年 −10, 局部优化     80 → —                RA1
  D1    卫健  —                       财政重点评价 40 差 *, 下年 +5, 系统调整   200 → —               RA2
  E1    卫健  自评 65 中, 重点 90 优 * 单位自评 62 中 *, 下年 0 (基金预算)     50 → —                — (优 then 中)
  F1    教育  —                       not evaluated                           70                    not in the ledger
  (none) 教育 —                       单位自评 50 差, nothing applied          30                    RA3
  H1    教育  (卫健 in 2022) 自评 55 差 单位自评 70 中                          60                    RA1 (not under a 教育 limit)

  → evaluated 7; RA1 3 (A1 C1 H1), RA2 2 (B1 D1), RA3 2 (B1, no code); flagged 6.
  Order: B1 (2 flags); then by |budget change| (else |下年预算调整|): C1 10, D1 5, A1 0, G 0, H1 0 (by id); E1.

  policies (财政重点评价 of 政策), by 2023:
  教育资助政策 教育 since 2010, evaluated 2019 → due 2022: overdue (RA4)
  义务教育补助政策 教育 since 2012, evaluated 2020 → due 2023: due this year (RA4)
  医疗救助政策 卫健 since 2015, evaluated 2020 and 2023 (two kinds, no class) → due 2026; RA5
  公卫补助政策 卫健 since 2018, evaluated 2021 → due max(2024, 2024) = 2024: not yet
  新政策 卫健 no since, evaluated 2022 → cannot judge; 未来政策 evaluated 2024 only: not listed for 2023
  → policies 5, due 2, overdue 1, no class 1.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import metrics
from dashboard.core import applications as A
from dashboard.core import db, writes
from dashboard.core.models import Department, Evaluation, ImportBatch, Project, Unit, evaluation_object_key
from dashboard.core.settings import Rules
from dashboard.metrics import applications as MA
from tests.sessions import session_scope

TODAY = dt.date(2024, 6, 30)


def build(url: str) -> dict[str, int]:
    """The database of the module docstring; returns ids by key."""
    db.init_db(url)
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        batch = ImportBatch(created_at=dt.datetime(2024, 3, 1, 9, 0), user="tester", source="import",
                            files=[{"name": "结果应用.xlsx", "sha256": "0" * 64}], counts={})
        s.add(batch)
        s.flush()

        def add(obj, key=None):
            obj.created_batch_id = obj.batch_id = batch.id
            s.add(obj)
            s.flush()
            if key:
                ids[key] = obj.id
            return obj

        add(Department(code="101", name="区教育局", kind="部门"), "D1")
        add(Department(code="102", name="区卫健委", kind="部门"), "D2")
        add(Unit(department_id=ids["D1"], code="101001", name="区教育局本级"), "U1")
        add(Unit(department_id=ids["D2"], code="102001", name="区卫健委本级"), "U2")

        def project(key, year, code, name, dept, budget=None, initial=None, fund="一般公共预算"):
            unit = "U1" if dept == "D1" else "U2"
            add(Project(year=year, code=code, name=name, department_id=ids[dept], unit_id=ids[unit],
                        category="项目支出", fund_source=fund, initial_budget=initial, adjusted_budget=budget,
                        has_target=True, is_key=False), key)

        def ev(year, kind, project_key, score, text=None, change=None, klass=None):
            pid = ids[project_key]
            with s.no_autoflush:
                dept = s.get(Project, pid).department_id
            add(Evaluation(year=year, kind=kind, object_type="项目支出", object_key=evaluation_object_key(pid, None, None),
                           project_id=pid, department_id=dept, score=score, result_application=text,
                           next_year_budget_change=change, result_class=klass))

        def policy(year, kind, name, dept, score, since, klass=None):
            add(Evaluation(year=year, kind=kind, object_type="政策", object_name=name, project_id=None,
                           object_key=evaluation_object_key(None, ids[dept], name), department_id=ids[dept],
                           score=score, result_application="继续实施", policy_since=since, result_class=klass))

        project("A22", 2022, "A1", "学生资助", "D1", 100.0)
        project("A23", 2023, "A1", "学生资助", "D1", 100.0)
        project("A24", 2024, "A1", "学生资助", "D1", 100.0)
        project("B22", 2022, "B1", "校舍维修", "D1", 110.0)
        project("B23", 2023, "B1", "校舍维修", "D1", 120.0)
        project("B24", 2024, "B1", "校舍维修", "D1", None, initial=120.5)  # next year's budget: the initial one
        project("C22", 2022, "C1", "疾病防控", "D2", 90.0)
        project("C23", 2023, "C1", "疾病防控", "D2", 80.0)
        project("D23", 2023, "D1", "医疗设备购置", "D2", 200.0)
        project("E22", 2022, "E1", "卫生应急", "D2", 50.0, fund="政府性基金预算")
        project("E23", 2023, "E1", "卫生应急", "D2", 50.0, fund="政府性基金预算")
        project("F23", 2023, "F1", "教师培训", "D1", 70.0)
        project("G23", 2023, None, "课后服务", "D1", 30.0)
        project("H22", 2022, "H1", "健康教育", "D2", 40.0)
        project("H23", 2023, "H1", "健康教育", "D1", 60.0)

        ev(2022, "单位自评", "A22", 70.0, "压减10%")
        ev(2023, "单位自评", "A23", 85.0, "予以保障")
        ev(2023, "抽查复核", "A23", 55.0)
        ev(2022, "财政重点评价", "B22", 85.0, "予以保障")
        ev(2023, "部门评价", "B23", 50.0, "   ")
        ev(2022, "单位自评", "C22", 50.0, "暂停")
        ev(2023, "单位自评", "C23", 65.0, None, -10.0, "局部优化")
        ev(2023, "财政重点评价", "D23", 40.0, "核减", 5.0, "系统调整")
        ev(2022, "单位自评", "E22", 65.0, "压减")
        ev(2022, "财政重点评价", "E22", 90.0, "保障")
        ev(2023, "单位自评", "E23", 62.0, None, 0.0)
        ev(2023, "单位自评", "G23", 50.0)
        ev(2022, "单位自评", "H22", 55.0, "暂停")
        ev(2023, "单位自评", "H23", 70.0, "压减")

        policy(2019, "财政重点评价", "教育资助政策", "D1", 85.0, 2010, "继续实施")
        policy(2020, "财政重点评价", "义务教育补助政策", "D1", 88.0, 2012, "局部优化")
        policy(2020, "财政重点评价", "医疗救助政策", "D2", 80.0, 2015, "继续实施")
        policy(2023, "财政重点评价", "医疗救助政策", "D2", 75.0, 2015)
        policy(2023, "部门评价", "医疗救助政策", "D2", 82.0, 2015)
        policy(2021, "财政重点评价", "公卫补助政策", "D2", 90.0, 2018, "继续实施")
        policy(2022, "财政重点评价", "新政策", "D2", 70.0, None, "系统调整")
        policy(2024, "财政重点评价", "未来政策", "D2", 70.0, 2000)
        writes.bump_data_version(s.connection())
    return ids


@pytest.fixture
def fixture(db_url):
    return db_url, build(db_url)


def _q(url, year=2023, rules=None, **scope):
    return metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year, **scope), rules or Rules(), TODAY)


def test_ledger_flags_order_history_and_budgets(fixture):
    url, ids = fixture
    df = MA.application_ledger(_q(url))
    assert list(df["name"]) == ["校舍维修", "疾病防控", "医疗设备购置", "学生资助", "课后服务", "健康教育", "卫生应急"]
    by = df.set_index("name")
    assert [(n, int(r["ra1"]), int(r["ra2"]), int(r["ra3"])) for n, r in by.iterrows()] == [
        ("校舍维修", 0, 1, 1), ("疾病防控", 1, 0, 0), ("医疗设备购置", 0, 1, 0), ("学生资助", 1, 0, 0),
        ("课后服务", 0, 0, 1), ("健康教育", 1, 0, 0), ("卫生应急", 0, 0, 0)]
    assert by.loc["校舍维修", "flags"] == "RA2 评价为差但下年预算增加；RA3 评价后未登记结果应用"
    assert by.loc["卫生应急", "flags"] == ""
    # the counted grade: 抽查复核 55 over 单位自评 85; 2022's 财政重点评价 90 over 单位自评 65 (so E1 is not RA1)
    assert by.loc["学生资助", "grade_history"] == "2022 中 → 2023 差 → 2024 —"
    assert by.loc["卫生应急", "grade_history"] == "2022 优 → 2023 中"
    assert by.loc["课后服务", "grade_history"] == "2023 差"  # no code: its own year only
    assert by.loc["健康教育", "grade_history"] == "2022 差 → 2023 中"  # linked by code across departments
    assert by.loc["学生资助", "previous_grade"] == "中" and by.loc["学生资助", "grade"] == "差"
    assert by.loc["校舍维修", "next_budget"] == pytest.approx(120.5)
    assert by.loc["校舍维修", "budget_change"] == pytest.approx(0.5)
    assert by.loc["学生资助", "budget_change"] == pytest.approx(0.0)  # equal: not up, so A1 is not RA2
    assert pd_missing(by.loc["疾病防控", "next_budget"])
    assert by.loc["疾病防控", "next_year_budget_change"] == pytest.approx(-10.0)
    assert by.loc["疾病防控", "result_class"] == "局部优化"
    assert by.loc["学生资助", "result_application"] == "予以保障"  # the 抽查复核 gives none: the self-evaluation's
    assert pd_missing(by.loc["校舍维修", "result_application"])  # blanks are no text
    assert ids["F23"] not in set(df["project_id"])


def pd_missing(v) -> bool:
    return v is None or bool(pd.isna(v))


def test_ledger_agrees_with_the_python_rules(fixture):
    """Every row's flags recomputed from its own columns by dashboard.core.applications."""
    url, _ = fixture
    for rules in (Rules(), Rules(grade_pass=50)):  # with 差 below 50: B1 (50), A1's 55, C1's and H1's 2022 are 中
        df = MA.application_ledger(_q(url, rules=rules))
        for _, r in df.iterrows():
            val = {k: (None if pd_missing(r[k]) else r[k]) for k in r.index}
            assert bool(r["ra1"]) == A.consecutive_poor(val["grade"], val["previous_grade"]), r["name"]
            assert bool(r["ra2"]) == A.poor_budget_up(val["grade"], val["budget"], val["next_budget"],
                                                      val["next_year_budget_change"]), r["name"]
            assert bool(r["ra3"]) == A.no_application(val["result_application"], val["next_year_budget_change"],
                                                      val["result_class"]), r["name"]
    low = MA.ledger_totals(_q(url, rules=Rules(grade_pass=50)))
    # 差 only below 50: B1 (50) is 中 → not RA2; D1 (40) still 差 → RA2; C1 2022 (50) 中 then 中 → RA1 still
    assert (low["RA1"], low["RA2"], low["RA3"]) == (3, 1, 2)


def test_ledger_filters_and_counts(fixture):
    url, _ = fixture
    q = _q(url)
    assert MA.ledger_totals(q) == {"evaluated": 7, "flagged": 6, "RA1": 3, "RA2": 2, "RA3": 2}
    assert list(MA.application_ledger(q, flag="RA1")["name"]) == ["疾病防控", "学生资助", "健康教育"]
    assert list(MA.application_ledger(q, flag="RA2")["name"]) == ["校舍维修", "医疗设备购置"]
    assert list(MA.application_ledger(q, flag="RA3")["name"]) == ["校舍维修", "课后服务"]
    assert MA.application_ledger_count(q, "any") == 6 and MA.application_ledger_count(q) == 7
    page = MA.application_ledger(q, limit=2, offset=2)
    assert list(page["name"]) == ["医疗设备购置", "学生资助"]
    with pytest.raises(ValueError):
        MA.application_ledger(q, flag="RA9")


def test_scope_and_department_limit(fixture):
    url, ids = fixture
    d1, d2 = ids["D1"], ids["D2"]
    assert MA.ledger_totals(_q(url, departments=(d2,))) == {"evaluated": 3, "flagged": 2, "RA1": 1, "RA2": 1, "RA3": 0}
    assert MA.ledger_totals(_q(url, fund_source="政府性基金预算"))["evaluated"] == 1
    # under a 教育局 limit, H1's 2022 project (卫健委) is not its previous year: no RA1, history of 2023 only
    limited = _q(url, limit=(d1,))
    assert MA.ledger_totals(limited) == {"evaluated": 4, "flagged": 3, "RA1": 1, "RA2": 1, "RA3": 2}
    df = MA.application_ledger(limited).set_index("name")
    assert df.loc["健康教育", "grade_history"] == "2023 中"
    # a limited account's next-year project outside the limit is not its next year
    assert MA.ledger_totals(_q(url, limit=(d2,)))["RA1"] == 1


def test_policies_due_and_without_class(fixture):
    url, _ = fixture
    q = _q(url)
    df = MA.policy_list(q)
    assert list(df["object_name"]) == ["教育资助政策", "义务教育补助政策", "医疗救助政策", "公卫补助政策", "新政策"]
    by = df.set_index("object_name")
    assert list(by["due_year"]) == [2022, 2023, 2026, 2024, None]
    assert list(by["policy_status"]) == ["已逾期", "本年应评价", "本年已评价", "未到期", "缺政策出台年度"]
    assert list(by["ra4"]) == [1, 1, 0, 0, 0] and list(by["ra5"]) == [0, 0, 1, 0, 0]
    assert by.loc["医疗救助政策", "times"] == 2 and by.loc["医疗救助政策", "last_evaluated"] == 2023
    assert pd_missing(by.loc["医疗救助政策", "result_class"])
    assert by.loc["医疗救助政策", "grade"] == "中"  # 财政重点评价 75 over 部门评价 82
    assert MA.policy_totals(q) == {"policies": 5, "due": 2, "overdue": 1, "no_class": 1}
    # a year on: 公卫 (due 2024) is due, 教育资助 and 义务教育 overdue; 未来政策 evaluated that year without a class
    assert MA.policy_totals(_q(url, year=2024)) == {"policies": 6, "due": 3, "overdue": 2, "no_class": 1}
    # every 4 years from age 10: 教育资助 (since 2010, last 2019) due max(2023, 2021) = 2023; 义务教育 (2012, 2020)
    # due max(2024, 2023) = 2024; 医疗救助 (2015, 2023) 2027; 公卫 (2018, 2021) max(2025, 2029) = 2029
    slow = MA.policy_list(_q(url, rules=Rules(policy_age_years=10, policy_interval_years=4)))
    assert list(slow["object_name"]) == ["教育资助政策", "医疗救助政策", "义务教育补助政策", "公卫补助政策", "新政策"]
    assert list(slow["due_year"]) == [2023, 2027, 2024, 2029, None]
    assert list(slow["ra4"]) == [1, 0, 0, 0, 0] and list(slow["overdue"]) == [0, 0, 0, 0, 0]
    # policies belong to no fund source's projects
    assert MA.policy_totals(_q(url, fund_source="一般公共预算"))["policies"] == 0


def test_result_classes(fixture):
    url, _ = fixture
    df = MA.result_classes(_q(url)).set_index("object_type")
    assert list(df.index) == ["项目支出", "政策"]
    assert df.loc["项目支出"].to_dict() == {"整体退出": 0, "系统调整": 1, "局部优化": 1, "继续实施": 0, "未填写": 5,
                                        "objects": 7}
    assert df.loc["政策"].to_dict() == {"整体退出": 0, "系统调整": 0, "局部优化": 0, "继续实施": 0, "未填写": 1,
                                      "objects": 1}


def test_summary_and_flags_by_department(fixture):
    url, ids = fixture
    assert MA.result_application_summary(_q(url)) == {"consecutive_poor": 3, "poor_budget_up": 2,
                                                      "no_application": 2, "policies_due": 2}
    assert MA.result_application_summary(_q(url, departments=(ids["D2"],))) == {
        "consecutive_poor": 1, "poor_budget_up": 1, "no_application": 0, "policies_due": 0}
    df = MA.application_flags_by_department(_q(url))
    got = [(r["department"], r["rule"], r["count"], r["names"]) for _, r in df.iterrows()]
    assert got == [
        ("区卫健委", "RA1", 1, ["疾病防控"]), ("区卫健委", "RA2", 1, ["医疗设备购置"]), ("区卫健委", "RA5", 1, ["医疗救助政策"]),
        ("区教育局", "RA1", 2, ["学生资助", "健康教育"]), ("区教育局", "RA2", 1, ["校舍维修"]),
        ("区教育局", "RA3", 2, ["校舍维修", "课后服务"]), ("区教育局", "RA4", 2, ["教育资助政策", "义务教育补助政策"]),
    ]
    assert set(df["department_id"]) == {ids["D1"], ids["D2"]}
    one = MA.application_flags_by_department(_q(url, departments=(ids["D1"],)), names=1)
    assert list(one["rule"]) == ["RA1", "RA2", "RA3", "RA4"] and one["names"].iloc[0] == ["学生资助"]


def test_the_demo_has_a_few_percent_of_each(db_url):
    """The county demo (dashboard/demo/applications.py, called by dashboard.demo.data.generate) shows something in
    every part of the page for its last year: a few percent of the evaluated projects flagged RA1 and RA3, some RA2,
    policies due and one without a class, all four result classes."""
    from dashboard.demo import data as demo_data
    from dashboard.demo import load_demo

    if not hasattr(demo_data, "add_result_applications"):
        pytest.skip("dashboard.demo.data.generate does not call add_result_applications yet")
    load_demo(db_url, "county")
    q = metrics.Query(db_url, metrics.prepare(db_url), metrics.Scope(year=2024), Rules(), dt.date(2025, 6, 30))
    t = MA.ledger_totals(q)
    n = t["evaluated"]
    assert 1000 < n < 1400
    assert 0.01 * n <= t["RA1"] <= 0.05 * n
    assert 1 <= t["RA2"] <= 0.02 * n
    assert 0.005 * n <= t["RA3"] <= 0.05 * n
    p = MA.policy_totals(q)
    assert p["due"] >= 2 and p["overdue"] >= 1 and p["no_class"] == 1
    classes = MA.result_classes(q)
    assert all(int(classes[c].sum()) > 0 for c in ("整体退出", "系统调整", "局部优化", "继续实施"))
    assert MA.result_application_summary(q) == {"consecutive_poor": t["RA1"], "poor_budget_up": t["RA2"],
                                                "no_application": t["RA3"], "policies_due": p["due"]}
