"""整改 rules of issue 25 (docs/rules.md R-Z1…R-Z4) at their thresholds, and their SQL mirrors on both engines."""

import datetime as dt

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, case, false, insert, select, true

from dashboard.core import rules as R
from dashboard.core import rules_sql as RS
from dashboard.core.db import get_engine
from dashboard.core.settings import Rules

VERIFIED, REPORTED = Rules(), Rules(rectification_basis="reported")
D = dt.date

meta = MetaData()
CASES = Table(
    "rectification_cases", meta,
    Column("id", Integer, primary_key=True),
    Column("status", String(20)), Column("verified_on", Date), Column("deadline", Date),
    Column("original_deadline", Date), Column("exclusion", String(20)), Column("reason", Text),
)


def evaluate(url: str, rows: list[dict], expr) -> list:
    engine = get_engine(url)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(CASES.delete())
        conn.execute(insert(CASES), [{"id": i, **r} for i, r in enumerate(rows)])
        return [v for (v,) in conn.execute(select(expr(CASES.c)).order_by(CASES.c.id))]


def as_bool(cond):
    return case((cond, true()), else_=false())


STATES = [{"status": s, "verified_on": v} for s in ("未整改", "整改中", "已整改") for v in (None, D(2025, 1, 10))]


def test_verified_and_counted_by_hand():
    # 已核验 needs both: the unit's 已整改 and a 核验日期
    assert R.is_verified("已整改", D(2025, 1, 10)) is True
    assert R.is_verified("已整改", None) is False
    assert R.is_verified("整改中", D(2025, 1, 10)) is False
    assert R.counts_as_rectified("已整改", None, VERIFIED) is False
    assert R.counts_as_rectified("已整改", None, REPORTED) is True
    assert R.counts_as_rectified("整改中", D(2025, 1, 10), REPORTED) is False
    # 10 findings, 6 reported 已整改, 4 of them verified
    assert R.rectification_rate(6, 4, 10, VERIFIED) == pytest.approx(0.4)
    assert R.rectification_rate(6, 4, 10, REPORTED) == pytest.approx(0.6)
    assert R.rectification_rate(0, 0, 0, VERIFIED) is None


def test_direct_and_overall_rates_by_hand():
    # 10 findings, 4 verified of which 1 is excluded (with a reason), 3 excluded in all
    assert R.direct_rate(4, 10) == pytest.approx(0.4)
    assert R.overall_rate(3, 10, 3) == pytest.approx(3 / 7)
    assert R.overall_rate(0, 3, 3) is None  # everything excluded: no rate, not 0 or a division by zero
    assert R.direct_rate(0, 0) is None


def test_exclusion_needs_a_reason():
    assert R.is_excluded("历史遗留", "2015年建成的项目，原始资料已灭失") is True
    assert R.is_excluded("客观原因", "x") is True
    assert R.is_excluded("历史遗留", None) is False
    assert R.is_excluded("历史遗留", "") is False
    assert R.is_excluded("历史遗留", "   ") is False
    assert R.is_excluded(None, "说明写了但没有标特殊情形") is False


def test_overdue_on_the_original_deadline():
    today = D(2025, 3, 31)
    # extended from 2025-03-30 to 2025-06-30: not overdue now, but one day past the original deadline
    assert R.is_overdue("整改中", D(2025, 6, 30), today) is False
    assert R.is_overdue_original("整改中", D(2025, 3, 30), D(2025, 6, 30), today) is True
    # on the original deadline day itself: not overdue
    assert R.is_overdue_original("整改中", D(2025, 3, 31), D(2025, 6, 30), today) is False
    # no original recorded: the current deadline
    assert R.is_overdue_original("未整改", None, D(2025, 3, 30), today) is True
    assert R.is_overdue_original("已整改", D(2024, 1, 1), D(2024, 1, 1), today) is False


@pytest.mark.parametrize("rules", [VERIFIED, REPORTED], ids=["verified", "reported"])
def test_sql_counts_what_python_counts(db_url, rules):
    got = evaluate(db_url, STATES, lambda c: as_bool(RS.counts_as_rectified(c.status, c.verified_on, rules)))
    assert [bool(x) for x in got] == [R.counts_as_rectified(r["status"], r["verified_on"], rules) for r in STATES]
    got = evaluate(db_url, STATES, lambda c: as_bool(RS.is_verified(c.status, c.verified_on)))
    assert [bool(x) for x in got] == [R.is_verified(r["status"], r["verified_on"]) for r in STATES]


def test_sql_exclusion_and_original_overdue(db_url):
    rows = [{"exclusion": e, "reason": r} for e in (None, "历史遗留", "客观原因") for r in (None, "", "   ", "有说明")]
    got = evaluate(db_url, rows, lambda c: as_bool(RS.is_excluded(c.exclusion, c.reason)))
    assert [bool(x) for x in got] == [R.is_excluded(r["exclusion"], r["reason"]) for r in rows]
    assert sum(bool(x) for x in got) == 2  # the two marks with a written reason
    today = D(2025, 3, 31)
    days = [None, D(2025, 3, 30), D(2025, 3, 31), D(2025, 4, 1)]
    rows = [{"status": s, "original_deadline": o, "deadline": d}
            for s in ("整改中", "已整改") for o in days for d in days]
    got = evaluate(db_url, rows, lambda c: as_bool(RS.is_overdue_original(c.status, c.original_deadline, c.deadline,
                                                                          today)))
    assert [bool(x) for x in got] == [R.is_overdue_original(r["status"], r["original_deadline"], r["deadline"], today)
                                      for r in rows]


def test_similarity_rule_by_hand():
    # normalised: case, width, spaces and punctuation do not matter
    assert R.normalised_text("资金 使用，不规范！ＡＢＣ") == "资金使用不规范abc"
    # 资金未按期拨付 {资金 金未 未按 按期 期拨 拨付} vs 资金未按时拨付 {资金 金未 未按 按时 时拨 拨付}: 4 of 8 = 0.5
    assert R.text_similarity("资金未按期拨付", "资金未按时拨付") == pytest.approx(0.5)
    assert R.text_similarity("资金未按期拨付", "") == 0.0
    assert R.text_similarity("台账不全", "台账，不全。") == 1.0


def _f(i, year, dept=1, unit=None, code=None, category=None, text=""):
    return R.FindingRef(i, year, dept, unit, code, category, text)


def test_repeat_at_the_similarity_threshold():
    earlier = _f(1, 2023, unit=10, text="资金未按期拨付")
    at = _f(2, 2024, unit=10, text="资金未按时拨付")          # similarity exactly 0.5
    assert R.is_repeat(earlier, at, Rules(repeat_similarity=0.5)) is True
    assert R.is_repeat(earlier, at, Rules(repeat_similarity=0.51)) is False
    same_year = _f(3, 2023, unit=10, text="资金未按期拨付")
    assert R.is_repeat(earlier, same_year) is False           # only an earlier year makes a repeat
    assert R.is_repeat(same_year, earlier) is False


def test_repeat_by_category_and_subject():
    e = _f(1, 2022, dept=1, unit=10, code="P1", category="资金管理", text="专项资金被挤占")
    # same unit, same category, different words
    assert R.is_repeat(e, _f(2, 2024, dept=1, unit=10, category="资金管理", text="结余资金未及时上缴")) is True
    # another unit of the same department, no project in common: not the same subject
    assert R.is_repeat(e, _f(3, 2024, dept=1, unit=11, category="资金管理", text="结余资金未及时上缴")) is False
    # another unit but the same project (by its code)
    assert R.is_repeat(e, _f(4, 2024, dept=1, unit=11, code="P1", category="资金管理", text="结余资金未上缴")) is True
    # a finding of a department as a whole (no unit) repeats the department's earlier ones as a whole, not a unit's
    assert R.is_repeat(e, _f(5, 2024, dept=1, category="资金管理", text="结余资金")) is False
    whole = _f(10, 2022, dept=1, category="资金管理", text="部门结余资金未清理")
    assert R.is_repeat(whole, _f(5, 2024, dept=1, category="资金管理", text="结余资金")) is True
    assert R.is_repeat(whole, _f(6, 2024, dept=2, category="资金管理", text="结余资金")) is False
    assert R.is_repeat(whole, _f(11, 2024, dept=1, unit=10, category="资金管理", text="结余资金")) is False
    # same unit, different category and dissimilar text
    assert R.is_repeat(e, _f(7, 2024, dept=1, unit=10, category="绩效目标", text="指标不细化")) is False


def test_repeat_links_pick_the_latest_earlier_finding():
    earlier = [_f(1, 2022, unit=10, category="资金管理", text="a"), _f(2, 2023, unit=10, category="资金管理", text="b"),
               _f(3, 2023, unit=11, category="资金管理", text="c")]
    current = [_f(9, 2024, unit=10, category="资金管理", text="d"), _f(8, 2024, unit=12, category="资金管理", text="e")]
    links = R.repeat_links(current, earlier)
    assert {k: v.id for k, v in links.items()} == {9: 2}


def test_vote_shares_by_hand():
    assert R.vote_share(10, 15) == pytest.approx(2 / 3)
    assert R.vote_share(14, 15) == pytest.approx(14 / 15)
    assert R.vote_share(0, 0) is None


def test_repeat_links_decide_as_is_repeat_does():
    """The fast pass of repeat_links against every pair judged by is_repeat, on a random set with ties and thresholds."""
    import random

    rng = random.Random(7)
    words = ["资金未按期拨付", "资金未按时拨付", "台账不全", "台账，不全", "绩效目标不细化", "专项资金被挤占", ""]
    refs = [_f(i, rng.choice([2021, 2022, 2023, 2024]), dept=rng.choice([1, 2]), unit=rng.choice([None, 10, 11, 20]),
               code=rng.choice([None, "P1", "P2"]), category=rng.choice([None, "资金管理", "资金 管理", "绩效目标"]),
               text=rng.choice(words)) for i in range(300)]
    for rules in (Rules(), Rules(repeat_similarity=0.5001), Rules(repeat_similarity=1.0)):
        current = [r for r in refs if r.year == 2024]
        earlier = [r for r in refs if r.year < 2024]
        fast = R.repeat_links(current, earlier, rules)
        for f in current:
            hits = [e for e in earlier if R.is_repeat(e, f, rules)]
            if not hits:
                assert f.id not in fast
                continue
            best = max(hits, key=lambda e: (e.year, R.text_similarity(e.description, f.description), -e.id))
            assert fast[f.id].id == best.id
