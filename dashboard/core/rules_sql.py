"""Every SQL rendering of a rule of dashboard.core.rules, built from the same thresholds (SQLite and PostgreSQL alike).

Aggregates that run inside the database cannot call the Python rules row by row, so each rule that has to
run in SQL is written here once, beside the name of the Python function it mirrors; tests/core/test_rules_sql.py
evaluates every expression on both engines and compares it with the Python rule at the thresholds.
Per-date rules (time progress, checkpoints) are computed in Python for the distinct dates present and bound
as a CASE over the date, so the calendar arithmetic stays in dashboard.core.rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy import Float, and_, case, cast, func, literal, null, or_

from dashboard.core import rules as R
from dashboard.core.settings import Rules
from dashboard.core.vocab import (
    FINDING_EXCLUSIONS,
    GRADE_RANK,
    GRADES,
    GREEN,
    GREY,
    MET,
    NOT_MET,
    RECTIFIED,
    RED,
    STAGE_MONITORING,
    UNKNOWN,
    YELLOW,
)


def budget_base(adjusted, initial):
    """R.budget_base: the adjusted budget, else the initial one."""
    return func.coalesce(adjusted, initial)


def execution_rate_pct(executed, base):
    """R.execution_rate in percent; NULL without an executed figure or a positive base."""
    return case((base > 0, executed * 100.0 / base), else_=None)


def _per_date(as_of, dates: Iterable[dt.date], value: Callable[[dt.date], float | None]):
    """A CASE giving each row the value of a per-date rule, computed in Python for each distinct date."""
    pairs = [(d, value(d)) for d in sorted(set(dates))]
    pairs = [(d, v) for d, v in pairs if v is not None]
    if not pairs:
        return cast(null(), Float)  # typed: PostgreSQL cannot infer the type of a bare NULL parameter
    return case(*[(as_of == d, literal(v)) for d, v in pairs], else_=None)


def time_progress_pct(as_of, dates: Iterable[dt.date]):
    """R.time_progress in percent for the rows whose `as_of` is one of `dates` (NULL for any other date)."""
    return _per_date(as_of, dates, lambda d: R.time_progress(d) * 100)


def checkpoint_threshold(as_of, dates: Iterable[dt.date], rules: Rules):
    """R.checkpoint_threshold (percent) in force on each row's `as_of`; NULL before the first checkpoint."""
    return _per_date(as_of, dates, lambda d: R.checkpoint_threshold(d, rules))


def lag_points(as_of, dates: Iterable[dt.date], progress_pct):
    """Lag = T − progress in percentage points (the lag of R.warning_light); NULL without a progress figure."""
    return time_progress_pct(as_of, dates) - progress_pct


def lag_light(lag, target_lag, rules: Rules):
    """R.warning_light of the lag preset from stored lags: R.lag_light of each, the worse wins; grey with neither."""
    def at_least(threshold):
        return or_(lag >= threshold - R.EPS, target_lag >= threshold - R.EPS)

    return case(
        (and_(lag.is_(None), target_lag.is_(None)), literal(GREY)),
        (at_least(rules.red_lag), literal(RED)),
        (at_least(rules.yellow_lag), literal(YELLOW)),
        else_=literal(GREEN),
    )


def checkpoint_light(as_of, rate_pct, has_data, dates: Iterable[dt.date], rules: Rules):
    """R.warning_light of the checkpoint preset: red below the checkpoint in force, else green; grey without data."""
    threshold = checkpoint_threshold(as_of, dates, rules)
    return case(
        (~has_data, literal(GREY)),
        (and_(rate_pct.is_not(None), threshold.is_not(None), rate_pct < threshold - R.EPS), literal(RED)),
        else_=literal(GREEN),
    )


def warning_light(as_of, rate_pct, lag, target_lag, dates: Iterable[dt.date], rules: Rules):
    """R.warning_light of a record under the rules' preset, from its stored lags (both NULL: not reported).

    `lag` is NULL without a record or an execution rate, `target_lag` without a record or target progress,
    which is exactly R.warning_light's grey case.
    """
    if rules.warning_preset == "checkpoints":
        has_data = or_(lag.is_not(None), target_lag.is_not(None))
        return checkpoint_light(as_of, rate_pct, has_data, dates, rules)
    return lag_light(lag, target_lag, rules)


def _bands(score, value: Callable[[str], object], rules: Rules):
    """(score ≥ band, value of its grade) for 优 良 中, best first; below the last band is 差 (GRADES[-1])."""
    thresholds = (rules.grade_excellent, rules.grade_good, rules.grade_pass)
    return [(score >= t, value(g)) for t, g in zip(thresholds, GRADES)]


def grade(score, stored_grade, rules: Rules):
    """R.grade_for_score by the rules' bands where there is a score, else the stored grade."""
    return case((score.is_(None), stored_grade), *_bands(score, literal, rules), else_=literal(GRADES[-1]))


def grade_rank(score, stored_grade, rules: Rules):
    """GRADE_RANK (lower is better) of `grade(score, stored_grade, rules)`; NULL with neither."""
    stored = case(*[(stored_grade == g, literal(n)) for g, n in GRADE_RANK.items()], else_=None)
    return case((score.is_(None), stored), *_bands(score, lambda g: literal(GRADE_RANK[g]), rules),
                else_=literal(GRADE_RANK[GRADES[-1]]))


def inflation_gap(self_score, independent_score):
    """R.self_evaluation_inflation's gap = self − independent (NULL unless both scores are given)."""
    return self_score - independent_score


def inflation_flagged(self_score, self_grade, independent_score, independent_grade, rules: Rules):
    """R.self_evaluation_inflation(...).flagged: gap ≥ the rules' gap, or a self grade better than the independent."""
    gap = inflation_gap(self_score, independent_score)
    self_rank = grade_rank(self_score, self_grade, rules)
    independent_rank = grade_rank(independent_score, independent_grade, rules)
    return or_(
        and_(gap.is_not(None), gap >= rules.inflation_gap - R.EPS),
        and_(self_rank.is_not(None), independent_rank.is_not(None), self_rank < independent_rank),
    )


def is_overdue(status, deadline, today: dt.date):
    """R.is_overdue: not 已整改 and today past the deadline (not on the deadline day; never without one)."""
    return and_(status != RECTIFIED, deadline < today)


def is_overdue_original(status, original, deadline, today: dt.date):
    """R.is_overdue_original: is_overdue on the original deadline, the current one where none is recorded."""
    return is_overdue(status, func.coalesce(original, deadline), today)


def is_verified(status, verified_on):
    """R.is_verified: 已整改 with a 核验日期."""
    return and_(status == RECTIFIED, verified_on.is_not(None))


def counts_as_rectified(status, verified_on, rules: Rules):
    """R.counts_as_rectified: what 整改率 counts under the rules' rectification_basis."""
    if rules.rectification_basis == "reported":
        return status == RECTIFIED
    return is_verified(status, verified_on)


def is_excluded(exclusion, reason):
    """R.is_excluded: 历史遗留 / 客观原因 with a 特殊情形说明 that is not blank (TRIM drops spaces, as R's strip(" "))."""
    return and_(exclusion.in_(FINDING_EXCLUSIONS), reason.is_not(None), func.length(func.trim(reason)) > 0)


def age_bucket(deadline, today: dt.date, rules: Rules):
    """R.age_bucket of the days an overdue finding is past its deadline, as its label."""
    labels = R.age_bucket_labels(rules)
    # days overdue ≤ b  ⇔  deadline ≥ today − b
    cutoffs = [today - dt.timedelta(days=b) for b in rules.age_buckets]
    return case(*[(deadline >= c, literal(lbl)) for c, lbl in zip(cutoffs, labels)], else_=literal(labels[-1]))


def indicator_actual(stage, actual, expected):
    """The reported value R.indicator_status_of judges: the expected full-year one at 监控, else the year-end one."""
    return case((stage == STAGE_MONITORING, expected), else_=actual)


def indicator_status(comparator, target_value, target_unit, target_text, actual_value, actual_unit, actual_text):
    """R.indicator_status on stored columns: MET / NOT_MET / UNKNOWN as the vocab's codes."""
    a, t = actual_value, target_value
    tol = case((func.abs(t) > 1.0, func.abs(t) * R.EPS), else_=literal(R.EPS))
    equal = func.abs(a - t) <= tol
    satisfied = case(
        (or_(comparator.is_(None), comparator == "="), equal),
        (comparator == "≥", a >= t - tol), (comparator == ">", a > t + tol),
        (comparator == "≤", a <= t + tol), (comparator == "<", a < t - tol),
        else_=None,
    )
    return case(
        (t.is_(None), case((and_(target_text.is_not(None), actual_text.is_not(None), target_text == actual_text),
                            literal(MET)), else_=literal(UNKNOWN))),
        (a.is_(None), literal(UNKNOWN)),
        (func.coalesce(target_unit, "") != func.coalesce(actual_unit, ""), literal(UNKNOWN)),
        (satisfied.is_(None), literal(UNKNOWN)),
        (satisfied, literal(MET)),
        else_=literal(NOT_MET),
    )


def indicator_status_row(c):
    """indicator_status of an `indicators` row (table columns `c`), judging the stage's reported value."""
    def pick(name):
        return indicator_actual(c.stage, c["actual_" + name], c["expected_" + name])
    return indicator_status(c.comparator, c.target_value, c.target_unit, c.target_text,
                            pick("value"), pick("unit"), pick("text"))
