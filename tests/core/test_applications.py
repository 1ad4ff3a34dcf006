"""The 结果应用台账 rules (dashboard.core.applications): each flag at its edges by hand, and its SQL rendering equal to
the Python rule on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    false,
    insert,
    select,
    true,
)

from dashboard.core import applications as A
from dashboard.core.db import get_engine
from dashboard.core.settings import Rules
from dashboard.metrics import projects as metric_projects

meta = MetaData()
CASES = Table(
    "application_cases", meta,
    Column("id", Integer, primary_key=True),
    *[Column(n, String(20)) for n in ("grade", "previous_grade", "kind", "object_type", "result_class")],
    *[Column(n, Float) for n in ("budget", "next_budget", "change")],
    Column("text", Text),
    *[Column(n, Integer) for n in ("since", "last")],
)


def evaluate(url: str, rows: list[dict], expr) -> list:
    """expr(columns) for each row, computed by the database; conditions read as True/False (NULL as False)."""
    engine = get_engine(url)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(CASES.delete())
        conn.execute(insert(CASES), [{"id": i, **r} for i, r in enumerate(rows)])
        return [v for (v,) in conn.execute(select(expr(CASES.c)).order_by(CASES.c.id))]


def as_bool(cond):
    return case((cond, true()), else_=false())


def test_counted_kinds_are_those_the_project_pages_show():
    # the ledger's grade is the grade 项目查询 and the project card show
    assert A.COUNTED_KINDS == metric_projects._SHOWN_FIRST == ("抽查复核", "财政重点评价", "部门评价", "单位自评")


def test_counted_evaluation_and_application_by_hand():
    evs = [{"id": 1, "kind": "单位自评", "result_application": "继续实施", "next_year_budget_change": 5.0,
            "result_class": None},
           {"id": 2, "kind": "财政重点评价", "result_application": "  ", "next_year_budget_change": None,
            "result_class": "局部优化"},
           {"id": 3, "kind": "部门评价", "result_application": "压减 10%", "next_year_budget_change": -10.0,
            "result_class": None}]
    assert A.counted(evs)["id"] == 2  # 财政重点评价 over 部门评价 over 单位自评
    assert A.counted([*evs, {"id": 9, "kind": "抽查复核"}])["id"] == 9
    assert A.counted([]) is None
    # each field from the most independent evaluation that fills it: the blank text of 2 does not count
    assert A.application(evs) == {"result_application": "压减 10%", "next_year_budget_change": -10.0,
                                  "result_class": "局部优化"}


# ---- RA1 ----------------------------------------------------------------------------------------------------
RA1 = [("中", "差", True), ("差", "中", True), ("中", "中", True), ("差", "差", True), ("差", "良", False),
       ("良", "差", False), ("优", "中", False), ("中", None, False), (None, "差", False), (None, None, False)]


def test_consecutive_poor_by_hand():
    for grade, before, flagged in RA1:
        assert A.consecutive_poor(grade, before) is flagged, (grade, before)


def test_consecutive_poor_sql(db_url):
    rows = [{"grade": g, "previous_grade": p} for g, p, _ in RA1]
    got = evaluate(db_url, rows, lambda c: as_bool(A.consecutive_poor_sql(c.grade, c.previous_grade)))
    assert [bool(v) for v in got] == [f for _, _, f in RA1]


# ---- RA2 ----------------------------------------------------------------------------------------------------
RA2 = [
    ("差", 100.0, 100.01, None, True),    # next year's budget just above
    ("差", 100.0, 100.0, None, False),    # equal is not up
    ("差", 100.0, 99.99, None, False),
    ("差", 100.0, None, 0.01, True),      # 下年预算调整 just above 0
    ("差", 100.0, None, 0.0, False),      # 0 is not up
    ("差", 100.0, 90.0, 5.0, True),       # either says up
    ("差", None, 120.0, None, False),     # no budget this year: the budgets say nothing
    ("差", 100.0, None, None, False),
    ("中", 100.0, 150.0, 20.0, False),    # only 差
    ("良", 100.0, 150.0, None, False),
    (None, 100.0, 150.0, None, False),
]


def test_poor_budget_up_by_hand():
    for grade, budget, nxt, change, flagged in RA2:
        assert A.poor_budget_up(grade, budget, nxt, change) is flagged, (grade, budget, nxt, change)


def test_poor_budget_up_sql(db_url):
    rows = [{"grade": g, "budget": b, "next_budget": n, "change": c} for g, b, n, c, _ in RA2]
    got = evaluate(db_url, rows, lambda c: as_bool(A.poor_budget_up_sql(c.grade, c.budget, c.next_budget, c.change)))
    assert [bool(v) for v in got] == [f for *_, f in RA2]


# ---- RA3 ----------------------------------------------------------------------------------------------------
RA3 = [(None, None, None, True), ("", None, None, True), ("  ", None, None, True), ("压减", None, None, False),
       (None, 0.0, None, False), (None, -5.0, None, False), (None, None, "继续实施", False)]


def test_no_application_by_hand():
    for text, change, klass, flagged in RA3:
        assert A.no_application(text, change, klass) is flagged, (text, change, klass)


def test_no_application_sql(db_url):
    rows = [{"text": t, "change": c, "result_class": k} for t, c, k, _ in RA3]
    got = evaluate(db_url, rows, lambda c: as_bool(A.no_application_sql(c.text, c.change, c.result_class)))
    assert [bool(v) for v in got] == [f for *_, f in RA3]


# ---- RA4 ----------------------------------------------------------------------------------------------------
# (year judged, policy since, last evaluated, rules, due year, due, overdue) — defaults: older than 5, every 3
R5_3, R0_1 = Rules(), Rules(policy_age_years=0, policy_interval_years=1)
RA4 = [
    (2024, 2012, 2021, R5_3, 2024, True, False),   # last + 3 = this year: due, not yet overdue
    (2024, 2012, 2020, R5_3, 2023, True, True),    # a year late
    (2024, 2012, 2022, R5_3, 2025, False, False),
    (2024, 2018, 2020, R5_3, 2024, True, False),   # 6 years old this year: older than 5, last + 3 = 2023 → 2024
    (2024, 2019, 2020, R5_3, 2025, False, False),  # only 5 years old in 2024: not older than 5 → due 2025
    (2025, 2019, 2020, R5_3, 2025, True, False),
    (2024, 2019, 2024, R5_3, 2027, False, False),  # evaluated this year
    (2024, None, 2015, R5_3, None, False, False),  # no 政策出台年度: cannot judge
    (2024, 2023, 2023, R0_1, 2024, True, False),   # age 0 / every year
]


def test_policy_due_by_hand():
    for year, since, last, rules, due_year, due, overdue in RA4:
        assert A.policy_due_year(since, last, rules) == due_year, (since, last)
        assert A.policy_due(year, since, last, rules) is due, (year, since, last)
        assert A.policy_overdue(year, since, last, rules) is overdue, (year, since, last)


@pytest.mark.parametrize("rules", [R5_3, R0_1, Rules(policy_age_years=10, policy_interval_years=2)],
                         ids=["5-3", "0-1", "10-2"])
def test_policy_due_sql(db_url, rules):
    cases = [(y, s, last) for y, s, last, *_ in RA4] + [(2024, s, last) for s in (2010, 2013, 2014, 2019)
                                                         for last in (2014, 2020, 2021, 2022)]
    rows = [{"since": s, "last": last} for _, s, last in cases]
    due_years = evaluate(db_url, rows, lambda c: A.policy_due_year_sql(c.since, c.last, rules))
    assert due_years == [A.policy_due_year(s, last, rules) for _, s, last in cases]
    for year in (2023, 2024, 2025):
        got = evaluate(db_url, rows, lambda c, y=year: as_bool(A.policy_due_sql(y, c.since, c.last, rules)))
        assert [bool(v) for v in got] == [A.policy_due(year, s, last, rules) for _, s, last in cases]


# ---- RA5 ----------------------------------------------------------------------------------------------------
RA5 = [("政策", None, True), ("政策", "继续实施", False), ("项目支出", None, False), ("部门整体支出", None, False)]


def test_policy_without_class_by_hand_and_sql(db_url):
    for otype, klass, flagged in RA5:
        assert A.policy_without_class(otype, klass) is flagged
    got = evaluate(db_url, [{"object_type": o, "result_class": k} for o, k, _ in RA5],
                   lambda c: as_bool(A.policy_without_class_sql(c.object_type, c.result_class)))
    assert [bool(v) for v in got] == [f for *_, f in RA5]


def test_kind_priority_sql(db_url):
    kinds = ["抽查复核", "财政重点评价", "部门评价", "单位自评", "其他"]
    got = evaluate(db_url, [{"kind": k} for k in kinds], lambda c: A.kind_priority_sql(c.kind))
    assert got == [A.kind_priority(k) for k in kinds] == [1, 2, 3, 4, 5]
