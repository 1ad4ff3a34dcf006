"""Each domain rule at and around its thresholds."""

import datetime as dt
import math

import pytest

from dashboard.core import rules as R
from dashboard.core.settings import Rules, rules_from_mapping


@pytest.mark.parametrize("score,grade", [
    (100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (79.99, "中"), (60, "中"), (59.99, "差"), (0, "差"),
    (None, None),
])
def test_grade_for_score_bands(score, grade):
    assert R.grade_for_score(score) == grade


def test_grade_bands_follow_settings():
    assert R.grade_for_score(85, Rules(grade_excellent=85)) == "优"


@pytest.mark.parametrize("day,expected", [
    (dt.date(2022, 8, 31), 243 / 365),   # docs/rules.md: 66.6%
    (dt.date(2022, 1, 1), 1 / 365),
    (dt.date(2022, 12, 31), 1.0),
    (dt.date(2024, 8, 31), 244 / 366),   # leap year: Feb 29 counts
    (dt.date(2024, 2, 29), 60 / 366),
    (dt.date(2024, 12, 31), 1.0),
])
def test_time_progress(day, expected):
    assert R.time_progress(day) == pytest.approx(expected)
    assert round(R.time_progress(dt.date(2022, 8, 31)) * 100, 1) == 66.6


@pytest.mark.parametrize("lag,light", [
    (-5, "green"), (0, "green"), (9.99, "green"), (10, "yellow"), (10.0, "yellow"), (19.99, "yellow"),
    (20, "red"), (20.0, "red"), (35, "red"),
])
def test_lag_bands(lag, light):
    assert R.lag_light(lag) == light


def test_lag_exactly_ten_after_float_arithmetic():
    # 66.6 − 56.6 is 9.999999999999993 in binary floating point; the rule says exactly 10 is yellow
    assert R.lag_light(66.6 - 56.6) == "yellow"
    assert R.lag_light(86.6 - 66.6) == "red"


def test_warning_light_execution_and_target_progress_worse_wins():
    aug = dt.date(2022, 8, 31)
    t = R.time_progress(aug)
    assert R.warning_light(aug, t - 0.0999) == "green"
    assert R.warning_light(aug, t - 0.10) == "yellow"
    assert R.warning_light(aug, t - 0.1999) == "yellow"
    assert R.warning_light(aug, t - 0.20) == "red"
    assert R.warning_light(aug, 0.60, target_progress=0.40) == "red"      # money fine, targets lag 26.6
    assert R.warning_light(aug, 0.40, target_progress=0.66) == "red"      # money lags
    assert R.warning_light(aug, None, target_progress=0.55) == "yellow"   # target progress alone
    assert R.warning_light(None, None) == "grey"
    assert R.warning_light(aug, None, None) == "grey"
    assert R.warning_light(aug, 1.3) == "green"                           # over-executed still green


def test_checkpoint_preset():
    rules = Rules(warning_preset="checkpoints")
    assert R.warning_light(dt.date(2025, 4, 29), 0.0, rules=rules) == "green"   # before the first checkpoint
    assert R.warning_light(dt.date(2025, 4, 30), 0.2499, rules=rules) == "red"
    assert R.warning_light(dt.date(2025, 4, 30), 0.25, rules=rules) == "green"
    assert R.warning_light(dt.date(2025, 6, 30), 0.3999, rules=rules) == "red"
    assert R.warning_light(dt.date(2025, 6, 30), 0.40, rules=rules) == "green"
    assert R.warning_light(dt.date(2025, 7, 31), 0.41, rules=rules) == "green"  # June's 40% still applies
    assert R.warning_light(dt.date(2025, 8, 31), 0.5999, rules=rules) == "red"
    assert R.warning_light(dt.date(2025, 10, 31), 0.7999, rules=rules) == "red"
    assert R.warning_light(dt.date(2025, 10, 31), 0.80, rules=rules) == "green"
    assert R.checkpoint_threshold(dt.date(2025, 12, 31), rules) == 80.0
    assert R.checkpoint_threshold(dt.date(2025, 3, 31), rules) is None


def test_execution_rate_denominator_fallback():
    assert R.execution_rate(60, 100, 80) == 0.6
    assert R.execution_rate(40, None, 80) == 0.5
    assert R.execution_rate(40, None, None) is None
    assert R.execution_rate(None, 100) is None
    assert R.execution_rate(10, 0) is None
    assert R.execution_rate(120, 100) == 1.2


def test_self_evaluation_inflation():
    assert R.self_evaluation_inflation(95, 85).flagged            # gap exactly 10
    assert not R.self_evaluation_inflation(89.99, 80.5).flagged   # gap 9.49, both 良
    assert R.self_evaluation_inflation(89.99, 80.5).gap == pytest.approx(9.49)
    assert not R.self_evaluation_inflation(89, 80).flagged        # gap 9, both 良
    assert R.self_evaluation_inflation(90, 89.5).flagged          # 优 vs 良
    assert not R.self_evaluation_inflation(89.99, 90).flagged     # self lower: not inflation
    assert R.self_evaluation_inflation(None, None, "优", "中").flagged
    assert R.self_evaluation_inflation(95, 85).gap == 10


def test_inflation_when_grades_differ_counts_only_self_higher():
    # 94.99 → 优, 85.5 → 良: a different grade with self higher is flagged even with a gap under 10
    assert R.self_evaluation_inflation(94.99, 85.5).flagged is True


def test_overdue_and_age_buckets():
    today = dt.date(2023, 3, 31)
    assert not R.is_overdue("整改中", dt.date(2023, 3, 31), today)     # deadline day
    assert R.is_overdue("整改中", dt.date(2023, 3, 30), today)
    assert not R.is_overdue("已整改", dt.date(2020, 1, 1), today)
    assert not R.is_overdue("未整改", None, today)
    assert R.days_overdue("未整改", dt.date(2022, 12, 1), today) == 120
    assert [R.age_bucket(d) for d in (1, 30, 31, 90, 91, 180, 181)] == [
        "≤30天", "≤30天", "31–90天", "31–90天", "91–180天", "91–180天", ">180天"]
    assert R.age_bucket_labels() == ["≤30天", "31–90天", "91–180天", ">180天"]


def test_composite_score_weights_and_missing_parts():
    full = {"coverage": 100, "execution": 50, "evaluation": 80, "rectification": 40, "not_red": 90}
    assert R.composite_score(full) == pytest.approx((20 * 100 + 20 * 50 + 30 * 80 + 20 * 40 + 10 * 90) / 100)
    # no evaluations: the other weights are rescaled to 100
    part = dict(full, evaluation=None)
    assert R.composite_score(part) == pytest.approx((20 * 100 + 20 * 50 + 20 * 40 + 10 * 90) / 70)
    assert R.composite_score({k: None for k in full}) is None


def test_execution_subscore():
    aug = dt.date(2022, 8, 31)
    t = R.time_progress(aug)
    assert R.execution_subscore(t, aug) == pytest.approx(100)
    assert R.execution_subscore(t - 0.20, aug) == pytest.approx(60)    # at the red line: the pass mark
    assert R.execution_subscore(0.0, aug) == 0
    assert R.execution_subscore(1.2, aug) == 100


def test_rules_from_settings_file(tmp_path, monkeypatch):
    from dashboard.core.settings import load_settings

    f = tmp_path / "dashboard.toml"
    f.write_text('[rules]\nred_lag = 25\nwarning_preset = "checkpoints"\n[rules.checkpoints]\n6 = 45\n',
                 encoding="utf-8")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = load_settings(f)
    assert s.rules.red_lag == 25 and s.rules.checkpoints == ((6, 45.0),)
    assert R.warning_light(dt.date(2025, 6, 30), 0.44, rules=s.rules) == "red"
    with pytest.raises(ValueError):
        rules_from_mapping({"no_such_rule": 1})


# -- the vectorised twins equal their scalar rules element-wise ---------------------------------------

SCORES = [100, 90, 89.99, 80, 79.99, 60, 59.99, 0, 95 - 5, 89.999999]
LAGS = [-5, 0, 9.99, 10, 66.6 - 56.6, 19.99, 20, 86.6 - 66.6, 35, 10 - 2e-9, 20 - 1e-10]
DAYS = [dt.date(2022, 8, 31), dt.date(2022, 1, 1), dt.date(2022, 12, 31), dt.date(2024, 2, 29),
        dt.date(2024, 8, 31), dt.date(2024, 12, 31), dt.date(2100, 12, 31), dt.date(2100, 3, 1),
        dt.date(2000, 12, 31), dt.date(2025, 4, 29), dt.date(2025, 4, 30), dt.date(2025, 7, 31),
        dt.date(2025, 10, 31), dt.date(2025, 3, 31)]
OTHER_RULES = Rules(grade_excellent=85, grade_good=75, grade_pass=55, yellow_lag=5, red_lag=15)


@pytest.mark.parametrize("rules", [Rules(), OTHER_RULES])
def test_grades_for_scores_twin(rules):
    import numpy as np

    twin = R.grades_for_scores(np.array(SCORES + [np.nan]), rules)
    assert twin.tolist() == [R.grade_for_score(s, rules) for s in SCORES] + [None]
    assert R.grades_for_scores([89.99, 90]).tolist() == ["良", "优"]


def test_time_progress_many_twin():
    import numpy as np

    twin = R.time_progress_many(np.array(DAYS, dtype="datetime64[D]"))
    assert twin.tolist() == [R.time_progress(d) for d in DAYS]  # exactly, not approximately
    assert R.time_progress_many([dt.date(2024, 12, 31)])[0] == 1.0
    assert R.time_progress_many([dt.date(2100, 12, 31)])[0] == 1.0  # 2100 is not a leap year: 365/365
    assert R.time_progress_many([dt.date(2100, 12, 30)])[0] == 364 / 365


def test_checkpoint_thresholds_twin():
    rules = Rules(warning_preset="checkpoints")
    twin = [None if math.isnan(t) else t for t in R.checkpoint_thresholds(DAYS, rules).tolist()]
    assert twin == [R.checkpoint_threshold(d, rules) for d in DAYS]


@pytest.mark.parametrize("rules", [Rules(), OTHER_RULES, Rules(warning_preset="checkpoints")])
def test_warning_lights_twin(rules):
    import numpy as np

    rates = [None, 0.0, 0.2499, 0.25, 0.3999, 0.40, 0.5999, 0.6, 0.7999, 0.8, 1.3]
    progress = [None, 0.0, 0.55, 0.66, 1.0]
    cases = [(d, r, p) for d in DAYS + [None] for r in rates for p in progress]
    # rates exactly at each lag threshold of each day, after the scalar rule's own arithmetic
    for d in DAYS:
        t = R.time_progress(d) * 100
        for lag in (9.99, 10, 19.99, 20, rules.yellow_lag, rules.red_lag):
            cases.append((d, (t - lag) / 100, None))
    expected = [R.warning_light(d, r, p, rules) for d, r, p in cases]
    as_of = np.array([np.datetime64("NaT") if d is None else d for d, _, _ in cases], dtype="datetime64[D]")
    nan = float("nan")
    twin = R.warning_lights(as_of, [nan if r is None else r for _, r, _ in cases],
                            [nan if p is None else p for _, _, p in cases], rules)
    assert twin.tolist() == expected
    # one date for all records, no target progress
    aug = dt.date(2022, 8, 31)
    assert R.warning_lights(aug, rates[1:], rules=rules).tolist() == [R.warning_light(aug, r, None, rules)
                                                                       for r in rates[1:]]
