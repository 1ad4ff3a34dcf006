"""Verified rectification figures (issue 25) on the hand-built fixture (tests/metrics/rectification_fixture.py), on
SQLite and PostgreSQL; every figure by hand in the fixture's docstring."""

import pandas as pd
import pytest

from dashboard import metrics as mx
from dashboard.core.settings import Rules
from tests.metrics import rectification_fixture as fx

RULES = Rules()


def Q(url, scope=None, rules=RULES, today=fx.TODAY):
    return mx.Query(url, mx.prepare(url), scope or mx.Scope(2024), rules, today)


@pytest.fixture
def rect_db(db_url):
    return db_url, fx.build(db_url)


def test_totals_by_hand(rect_db):
    url, _ = rect_db
    f = mx.finding_totals(Q(url))
    assert f == {"total": 5, "rectified": 3, "in_progress": 1, "not_started": 1, "overdue": 1,
                 "rate": pytest.approx(2 / 5), "verified": 2, "reported_unverified": 1, "overdue_original": 2,
                 "extended": 2, "excluded": 2, "direct_rate": pytest.approx(2 / 5),
                 "overall_rate": pytest.approx(1 / 3)}
    # the "reported" basis counts every 已整改; nothing else changes
    g = mx.finding_totals(Q(url, rules=Rules(rectification_basis="reported")))
    assert g["rate"] == pytest.approx(3 / 5)
    assert g["direct_rate"] == pytest.approx(2 / 5) and g["overall_rate"] == pytest.approx(1 / 3)


def test_summary_key(rect_db):
    url, ids = rect_db
    assert mx.rectification_summary(Q(url)) == {"verified": 2, "reported_unverified": 1, "direct_rate": 0.4,
                                                "overall_rate": 0.3333, "extended": 2, "repeat": 2}
    d2 = mx.rectification_summary(Q(url, mx.Scope(2024, departments=(ids["D2"],))))
    # D2: F4 F5; F5 verified but excluded, F4 not verified: 综合 0 / (2 − 1)
    assert d2 == {"verified": 1, "reported_unverified": 0, "direct_rate": 0.5, "overall_rate": 0.0, "extended": 1,
                  "repeat": 1}
    # a year without findings: no rates
    assert mx.rectification_summary(Q(url, mx.Scope(2030))) == {
        "verified": 0, "reported_unverified": 0, "direct_rate": None, "overall_rate": None, "extended": 0, "repeat": 0}


def test_by_department_and_ranking_share_the_rate(rect_db):
    url, _ = rect_db
    df = mx.findings_by_department(Q(url)).set_index("department")
    assert df.loc["青山区教育局", "rate"] == pytest.approx(1 / 3)
    assert df.loc["青山区教育局", "overall_rate"] == pytest.approx(1 / 2)
    assert df.loc["青山区卫生健康委员会", "rate"] == pytest.approx(1 / 2)
    assert df.loc["青山区卫生健康委员会", "overall_rate"] == pytest.approx(0.0)
    assert df.loc["青山区卫生健康委员会", ["overdue", "overdue_original", "extended"]].tolist() == [0, 1, 1]
    rank = mx.department_ranking(Q(url)).set_index("department")
    assert rank.loc["青山区教育局", "rectification"] == pytest.approx(100 / 3)
    assert rank.loc["青山区卫生健康委员会", "rectification"] == pytest.approx(50.0)
    rank = mx.department_ranking(Q(url, rules=Rules(rectification_basis="reported"))).set_index("department")
    assert rank.loc["青山区教育局", "rectification"] == pytest.approx(200 / 3)  # F1 F2 of 3


def test_lists(rect_db):
    url, ids = rect_db
    q = Q(url)
    un = mx.unverified_findings(q)
    assert un["finding_id"].tolist() == [ids["F2"]] and mx.unverified_count(q) == 1
    assert un.loc[0, "original_deadline"].isoformat() == "2025-03-30" and un.loc[0, "extensions"] == 1
    ext = mx.extension_list(q)
    assert mx.extension_count(q) == 3
    assert [(r.old_deadline.isoformat(), r.new_deadline.isoformat()) for r in ext.itertuples()] == [
        ("2025-03-30", "2025-06-30"), ("2025-01-31", "2025-02-28"), ("2025-02-28", "2025-03-31")]
    rep = mx.repeat_findings(q)
    assert mx.repeat_count(q) == 2
    assert dict(zip(rep["finding_id"], rep["earlier_finding_id"])) == {ids["F1"]: ids["E1"], ids["F4"]: ids["E2"]}
    assert set(rep["earlier_year"]) == {2023}
    assert mx.repeat_findings(q, limit=1, offset=1)["finding_id"].tolist() == rep["finding_id"].tolist()[1:]
    # a stricter similarity: F4 (0.8 like E2) stays a repeat at 0.8, not above; F1 repeats by its 类别
    assert mx.repeat_count(Q(url, rules=Rules(repeat_similarity=0.8))) == 2
    assert mx.repeat_count(Q(url, rules=Rules(repeat_similarity=0.81))) == 1


def test_satisfaction_votes(rect_db):
    url, ids = rect_db
    v = mx.satisfaction_votes(Q(url)).set_index("department")
    assert v.loc["青山区教育局", ["satisfied", "basically", "unsatisfied", "votes"]].tolist() == [10, 4, 1, 15]
    assert v.loc["青山区教育局", "satisfied_share"] == pytest.approx(10 / 15)
    assert v.loc["青山区教育局", "positive_share"] == pytest.approx(14 / 15)
    assert pd.isna(v.loc["青山区卫生健康委员会", "unit"])  # voted on as a department
    assert len(mx.satisfaction_votes(Q(url, mx.Scope(2024, departments=(ids["D2"],))))) == 1
