"""The 已完成 rule of performance indicators (issue 12 item 9), by hand, and its SQL twin on both engines."""

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert, select

from dashboard.core import rules as R
from dashboard.core import rules_sql as RS
from dashboard.core.db import get_engine
from dashboard.core.vocab import MET, NOT_MET, STAGE_MONITORING, STAGE_SELF, UNKNOWN

# (target as written, actual as written, expected status), at 自评 (the year-end value is judged)
CASES = [
    ("≥120万平方米", "125万平方米", MET),           # the example
    ("≥120万平方米", "119万平方米", NOT_MET),
    ("≥120万平方米", "120万平方米", MET),           # ≥ includes the bound
    (">120万平方米", "120万平方米", NOT_MET),       # > does not
    ("≥120万平方米", "125平方米", UNKNOWN),         # a different unit: never converted
    ("100%", "100%", MET),                         # a bare target means =
    ("100%", "99.5%", NOT_MET),
    ("100%", "100", UNKNOWN),                      # the actual has no unit, the target has one
    ("≥95%", "96％", MET),                         # full-width percent sign
    ("≤90万元", "80万元", MET),
    ("≤90万元", "95万元", NOT_MET),
    ("<5天", "5天", NOT_MET),
    ("＜5天", "4天", MET),                         # full-width sign
    ("≥100百分比", "100%", MET),                   # 百分比 is %
    ("不低于1,000人", "1,200人", MET),             # the words for ≥, thousands separators
    ("效果明显", "效果明显", MET),                 # a text target: met only when the text is the same
    ("效果 明显", "效果明显", MET),                # whitespace does not count
    ("效果明显", "较明显", UNKNOWN),               # a differing text cannot be judged
    ("达成预期指标", "100%", UNKNOWN),
    ("1-3天", "2天", UNKNOWN),                     # a range is not one number: a text target
    ("≥5000", None, UNKNOWN),                      # no actual value
    (None, "100", UNKNOWN),                        # no target
    ("≥100人", "已完成", UNKNOWN),                 # a number target, a text actual
]


@pytest.mark.parametrize("target,actual,want", CASES)
def test_indicator_status_by_hand(target, actual, want):
    assert R.indicator_status_of(STAGE_SELF, R.indicator_columns(target=target, actual=actual)) == want


def test_parse_indicator_value():
    assert R.parse_indicator_value("≥95%") == ("≥", 95.0, "%")
    assert R.parse_indicator_value("125万平方米") == (None, 125.0, "万平方米")
    assert R.parse_indicator_value(">=3.5 个") == ("≥", 3.5, "个")
    assert R.parse_indicator_value(100) == (None, 100.0, None)
    assert R.parse_indicator_value("效果明显") == (None, None, None)
    assert R.parse_comparator("大于等于") == "≥" and R.parse_comparator("≤") == "≤" and R.parse_comparator("x") is None


def test_separate_comparator_and_unit_columns():
    """The 四川 layout: 指标性质 and 度量单位 in their own columns, bare numbers in 指标值 and 完成值."""
    cols = R.indicator_columns(target="95", actual="97", comparator="≥", unit="%")
    assert (cols["comparator"], cols["target_value"], cols["target_unit"]) == ("≥", 95.0, "%")
    assert (cols["actual_value"], cols["actual_unit"]) == (97.0, "%")
    assert R.indicator_status_of(STAGE_SELF, cols) == MET
    assert R.indicator_status_of(STAGE_SELF, R.indicator_columns(target="95", actual="90", comparator="≥",
                                                                 unit="%")) == NOT_MET


def test_monitoring_judges_the_expected_full_year_value():
    cols = R.indicator_columns(target="≥100台", current="40台", expected="100台")
    assert R.indicator_status_of(STAGE_MONITORING, cols) == MET
    cols = R.indicator_columns(target="≥100台", current="40台", expected="80台")
    assert R.indicator_status_of(STAGE_MONITORING, cols) == NOT_MET
    # the year-end column is not what monitoring judges, and 截至目前完成 is not either
    cols = R.indicator_columns(target="≥100台", actual="100台", current="100台")
    assert R.indicator_status_of(STAGE_MONITORING, cols) == UNKNOWN


meta = MetaData()
ROWS = Table(
    "indicator_rule_cases", meta, Column("id", Integer, primary_key=True), Column("stage", String(8)),
    Column("comparator", String(2)), Column("target_text", Text), Column("target_value", Float),
    Column("target_unit", String(20)),
    *[Column(f"{k}_{p}", Float if p == "value" else Text) for k in ("actual", "expected") for p in ("text", "value", "unit")],
)


def test_sql_twin_equals_the_rule(db_url):
    rows = []
    for stage in (STAGE_SELF, STAGE_MONITORING):
        for target, actual, _ in CASES:
            cells = {"actual": actual} if stage == STAGE_SELF else {"expected": actual}
            cols = R.indicator_columns(target=target, **cells)
            rows.append({"stage": stage, **{k: v for k, v in cols.items() if k in ROWS.c}})
    rows.append({"stage": STAGE_SELF, **{k: v for k, v in R.indicator_columns("95", "97", comparator="≥", unit="%").items()
                                         if k in ROWS.c}})
    engine = get_engine(db_url)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(ROWS), [{"id": i, **r} for i, r in enumerate(rows)])
        got = [v for (v,) in conn.execute(select(RS.indicator_status_row(ROWS.c)).order_by(ROWS.c.id))]
    want = [R.indicator_status_of(r["stage"], r) for r in rows]
    assert got == want
    assert want[: len(CASES)] == [c[2] for c in CASES]
