"""Every SQL rendering in dashboard.core.rules_sql, evaluated on SQLite and PostgreSQL, equals its Python rule at the thresholds."""

import datetime as dt

import pytest
from sqlalchemy import (
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    false,
    insert,
    null,
    select,
    true,
)

from dashboard.core import rules as R
from dashboard.core import rules_sql as RS
from dashboard.core.db import get_engine
from dashboard.core.settings import Rules
from dashboard.core.vocab import FINDING_STATUSES, GRADE_RANK, GREY

meta = MetaData()
CASES = Table(
    "rule_cases", meta,
    Column("id", Integer, primary_key=True),
    *[Column(name, Float) for name in ("score", "a", "b", "lag", "target_lag", "executed", "base", "adjusted",
                                       "initial", "target_progress", "self_score", "ind_score")],
    *[Column(name, String(20)) for name in ("grade", "self_grade", "ind_grade", "status")],
    *[Column(name, Date) for name in ("as_of", "deadline")],
)
GRADE_RULES = [Rules(), Rules(grade_excellent=85)]
SCORES = [None, 0.0, 59.99, 60.0, 79.99, 80.0, 84.99, 85.0, 89.99, 90.0, 100.0]


def evaluate(url: str, rows: list[dict], expr) -> list:
    """expr(columns) for each row (in order), computed by the database."""
    engine = get_engine(url)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(CASES.delete())
        conn.execute(insert(CASES), [{"id": i, **r} for i, r in enumerate(rows)])
        return [v for (v,) in conn.execute(select(expr(CASES.c)).order_by(CASES.c.id))]


def as_bool(cond):
    """A condition as a selectable TRUE/FALSE (NULL counts as false, as in WHERE)."""
    return case((cond, true()), else_=false())


@pytest.mark.parametrize("rules", GRADE_RULES, ids=["default", "excellent85"])
def test_grade_and_rank(db_url, rules):
    rows = [{"score": s, "grade": g} for s in SCORES for g in (None, "良")]
    got = evaluate(db_url, rows, lambda c: RS.grade(c.score, c.grade, rules))
    ranks = evaluate(db_url, rows, lambda c: RS.grade_rank(c.score, c.grade, rules))
    want = [R.grade_for_score(r["score"], rules) or r["grade"] for r in rows]
    assert got == want
    assert ranks == [None if g is None else GRADE_RANK[g] for g in want]
    assert dict(zip((r["score"] for r in rows), got))[89.99] == ("良" if rules.grade_excellent == 90 else "优")


DATES = [dt.date(2022, 1, 1), dt.date(2022, 8, 31), dt.date(2022, 12, 31), dt.date(2023, 3, 1),
         dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 3, 1), dt.date(2024, 8, 31),
         dt.date(2024, 12, 31)]


def test_time_progress_for_a_set_of_dates(db_url):
    other = dt.date(2022, 9, 1)  # not among the dates: no time progress
    got = evaluate(db_url, [{"as_of": d} for d in [*DATES, other]], lambda c: RS.time_progress_pct(c.as_of, DATES))
    assert got[:-1] == pytest.approx([R.time_progress(d) * 100 for d in DATES], abs=1e-12)
    assert got[-1] is None
    assert got[1] == pytest.approx(243 / 365 * 100) and got[5] == pytest.approx(60 / 366 * 100)  # leap year
    assert got[-2] == pytest.approx(100.0)
    # no monitoring dates at all (an empty database): NULL, typed so PostgreSQL accepts it in arithmetic
    assert evaluate(db_url, [{"as_of": other, "a": 1.0}], lambda c: RS.lag_points(c.as_of, [], c.a)) == [None]


def test_lag_points(db_url):
    rows = [{"as_of": dt.date(2022, 8, 31), "a": 56.6}, {"as_of": dt.date(2024, 8, 31), "a": 0.0},
            {"as_of": dt.date(2022, 8, 31), "a": None}]
    got = evaluate(db_url, rows, lambda c: RS.lag_points(c.as_of, DATES, c.a))
    assert got[:2] == pytest.approx([243 / 365 * 100 - 56.6, 244 / 366 * 100]) and got[2] is None


LAGS = [None, 0.0, 9.99, 10.0, 19.99, 20.0, 35.0]


@pytest.mark.parametrize("rules", [Rules(), Rules(yellow_lag=15, red_lag=30)], ids=["default", "wide"])
def test_lag_light_at_the_thresholds(db_url, rules):
    rows = [{"lag": a, "target_lag": b} for a in LAGS for b in LAGS]
    got = evaluate(db_url, rows, lambda c: RS.lag_light(c.lag, c.target_lag, rules))

    def python(lag, target_lag):
        lights = [R.lag_light(x, rules) for x in (lag, target_lag) if x is not None]
        return max(lights, key=R.LIGHT_ORDER.__getitem__) if lights else GREY

    assert got == [python(r["lag"], r["target_lag"]) for r in rows]
    # 66.6 − 56.6 is 9.999999999999993 in floating point: exactly 10 points, yellow
    computed = evaluate(db_url, [{"a": 66.6, "b": 56.6}], lambda c: RS.lag_light(c.a - c.b, cast(null(), Float), Rules()))
    assert computed == ["yellow"] == [R.lag_light(66.6 - 56.6)]


def _records() -> list[dict]:
    """Monitoring records around the lag thresholds and the checkpoints (±1 day), in a common and a leap year."""
    rows = [{"as_of": None, "executed": None, "base": None, "target_progress": None},
            {"as_of": dt.date(2022, 8, 31), "executed": None, "base": 100.0, "target_progress": None},
            {"as_of": dt.date(2022, 8, 31), "executed": None, "base": 100.0, "target_progress": 0.4},
            {"as_of": dt.date(2022, 8, 31), "executed": 50.0, "base": 0.0, "target_progress": None}]
    for d in (dt.date(2022, 8, 31), dt.date(2024, 8, 31), dt.date(2024, 2, 29)):
        t = R.time_progress(d) * 100
        for lag in (9.99, 10.0, 19.99, 20.0):
            rows.append({"as_of": d, "executed": t - lag, "base": 100.0, "target_progress": None})
            rows.append({"as_of": d, "executed": t, "base": 100.0, "target_progress": (t - lag) / 100})
    for year in (2022, 2024):
        for month, minimum in Rules().checkpoints:
            end = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
            for d in (end - dt.timedelta(days=1), end, end + dt.timedelta(days=1)):
                for rate in (minimum - 0.01, minimum):
                    rows.append({"as_of": d, "executed": rate * 2, "base": 200.0, "target_progress": None})
    return rows


def _light_sql(rules: Rules, dates):
    def expr(c):
        rate = RS.execution_rate_pct(c.executed, c.base)
        lag = RS.lag_points(c.as_of, dates, rate)
        target_lag = RS.lag_points(c.as_of, dates, c.target_progress * 100)
        return RS.warning_light(c.as_of, rate, lag, target_lag, dates, rules)
    return expr


@pytest.mark.parametrize("rules", [Rules(), Rules(warning_preset="checkpoints")], ids=["lag", "checkpoints"])
def test_warning_light_of_records(db_url, rules):
    rows = _records()
    dates = sorted({r["as_of"] for r in rows if r["as_of"]})
    got = evaluate(db_url, rows, _light_sql(rules, dates))
    want = [R.warning_light(r["as_of"], R.execution_rate(r["executed"], r["base"]), r["target_progress"], rules)
            for r in rows]
    assert got == want
    assert {"green", "yellow", "red", "grey"} >= set(got) and "red" in got and "grey" in got


def test_checkpoint_threshold_around_month_ends(db_url):
    rules = Rules(checkpoints=((4, 25.0), (6, 40.0), (8, 60.0), (10, 80.0)))
    dates = [dt.date(y, m, d) for y in (2023, 2024) for m, d in
             ((1, 1), (4, 29), (4, 30), (5, 1), (6, 29), (6, 30), (7, 1), (8, 30), (8, 31), (9, 1),
              (10, 30), (10, 31), (11, 1), (12, 31))] + [dt.date(2024, 2, 29)]
    got = evaluate(db_url, [{"as_of": d} for d in dates], lambda c: RS.checkpoint_threshold(c.as_of, dates, rules))
    assert got == [R.checkpoint_threshold(d, rules) for d in dates]
    assert got[:4] == [None, None, 25.0, 25.0]


def test_budget_base_and_execution_rate(db_url):
    rows = [{"executed": e, "adjusted": a, "initial": i}
            for e in (None, 0.0, 50.0, 150.0) for a in (None, 0.0, 100.0) for i in (None, 80.0)]
    base = evaluate(db_url, rows, lambda c: RS.budget_base(c.adjusted, c.initial))
    assert base == [R.budget_base(r["adjusted"], r["initial"]) for r in rows]
    got = evaluate(db_url, rows, lambda c: RS.execution_rate_pct(c.executed, RS.budget_base(c.adjusted, c.initial)))
    want = [R.execution_rate(r["executed"], r["adjusted"], r["initial"]) for r in rows]
    assert got == pytest.approx([None if w is None else w * 100 for w in want])


def test_overdue_not_on_the_deadline_day(db_url):
    today = dt.date(2023, 3, 31)
    deadlines = [None, today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)]
    rows = [{"status": s, "deadline": d} for s in FINDING_STATUSES for d in deadlines]
    got = evaluate(db_url, rows, lambda c: as_bool(RS.is_overdue(c.status, c.deadline, today)))
    assert [bool(g) for g in got] == [R.is_overdue(r["status"], r["deadline"], today) for r in rows]
    assert sum(bool(g) for g in got) == 2  # 未整改 and 整改中, one day past the deadline


@pytest.mark.parametrize("rules", [Rules(), Rules(age_buckets=(10, 20))], ids=["default", "short"])
def test_age_bucket(db_url, rules):
    today = dt.date(2024, 3, 1)  # the buckets span 29 February
    days = [1, 10, 11, 20, 21, 30, 31, 90, 91, 180, 181, 400]
    got = evaluate(db_url, [{"deadline": today - dt.timedelta(days=n)} for n in days],
                   lambda c: RS.age_bucket(c.deadline, today, rules))
    assert got == [R.age_bucket(n, rules) for n in days]


INFLATION = [  # self score, self grade, independent score, independent grade
    (95.0, None, 84.0, None), (90.0, None, 80.0, None), (89.99, None, 80.0, None), (90.0, None, 89.99, None),
    (80.0, None, 90.0, None), (None, "优", 85.0, None), (None, "良", None, "良"), (None, "优", None, "良"),
    (88.0, None, None, None), (None, None, 70.0, None), (84.99, None, 85.0, "优"), (86.0, "良", 85.0, None),
]


@pytest.mark.parametrize("rules", [*GRADE_RULES, Rules(inflation_gap=5)], ids=["default", "excellent85", "gap5"])
def test_self_evaluation_inflation(db_url, rules):
    rows = [{"self_score": a, "self_grade": b, "ind_score": c, "ind_grade": d} for a, b, c, d in INFLATION]
    flagged = evaluate(db_url, rows, lambda c: as_bool(
        RS.inflation_flagged(c.self_score, c.self_grade, c.ind_score, c.ind_grade, rules)))
    gaps = evaluate(db_url, rows, lambda c: RS.inflation_gap(c.self_score, c.ind_score))
    want = [R.self_evaluation_inflation(a, c, b, d, rules) for a, b, c, d in INFLATION]
    assert [bool(f) for f in flagged] == [w.flagged for w in want]
    assert gaps == pytest.approx([w.gap for w in want])
