"""The 目标质量 / 成本绩效 / 偏离度 rules of dashboard.core.quality by hand-worked cases, and their SQL renderings
(dashboard.core.quality_sql) equal to them on SQLite and PostgreSQL at the thresholds."""

import itertools

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, case, false, insert, select, true

from dashboard.core import quality as Q
from dashboard.core import quality_sql as QS
from dashboard.core.db import get_engine
from dashboard.core.rules import indicator_columns
from dashboard.core.settings import Rules

meta = MetaData()
CASES = Table(
    "quality_cases", meta,
    Column("id", Integer, primary_key=True),
    *[Column(n, Float) for n in ("target_value", "actual_value", "budget", "previous", "distance")],
    *[Column(n, String(60)) for n in ("stage", "comparator", "target_text", "target_unit", "actual_unit",
                                      "actual_text", "level1", "level2", "name")],
    Column("has_cost", Integer),
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


# -- TQ1 / TQ2 ------------------------------------------------------------------------------------------------

TARGETS = [None, "≥95%", "100%", "质量达标", "明显提升", "进一步提高10%", "待定", "不适用", "无", "/", "1-3天",
           "有所提高", "基本满意", "≤500万元", "达到省级标准", "无事故", "0起"]


def test_vague_and_placeholder_by_hand():
    assert Q.vague_reason(None) == "未填写指标值"
    assert Q.vague_reason("≥95%") is None and Q.vague_reason("1-3天") is None and Q.vague_reason("0起") is None
    assert Q.vague_reason("质量达标") == "指标值没有数字，无法衡量"
    assert Q.vague_reason("明显提升") == "指标值含模糊用语“明显”"
    assert Q.vague_reason("进一步提高10%") == "指标值含模糊用语“进一步”"  # a number does not cure a vague word
    assert Q.vague_reason("无事故") == "指标值没有数字，无法衡量"
    # placeholders are TQ2's, not TQ1's
    for t in ("待定", "不适用", "无", "/", " 待 定 "):
        assert Q.is_placeholder(t) and Q.vague_reason(t) is None
    assert not Q.is_placeholder("无事故") and not Q.is_placeholder(None)


def test_vague_and_placeholder_sql_equal_python(db_url):
    rows = [{"target_text": indicator_columns(target=t)["target_text"]} for t in TARGETS]
    vague = evaluate(db_url, rows, lambda c: as_bool(QS.is_vague(c.target_text)))
    placeholder = evaluate(db_url, rows, lambda c: as_bool(QS.is_placeholder(c.target_text)))
    assert [bool(v) for v in vague] == [Q.vague_reason(r["target_text"]) is not None for r in rows]
    assert [bool(v) for v in placeholder] == [Q.is_placeholder(r["target_text"]) for r in rows]
    assert sum(map(bool, vague)) == 8 and sum(map(bool, placeholder)) == 4


# -- TQ3 / TQ5 / TQ6 (list rules) --------------------------------------------------------------------------

def test_copied_targets_by_hand():
    last = [("培训人次", "≥500人次"), ("满意度", "≥90%")]
    assert Q.copied_targets([("培训人次", "≥500人次"), ("满意度", "≥90%")], last)
    assert Q.copied_targets([("培训人次", "≥500人次")], last)  # every target of this year is last year's
    assert not Q.copied_targets([("培训人次", "≥600人次"), ("满意度", "≥90%")], last)
    assert not Q.copied_targets([("培训人次", "≥500人次")], [])
    assert not Q.copied_targets([], last)


def test_missing_at_self_by_hand():
    assert Q.missing_at_self(["A", "B", "C"], ["A", "C"]) == ["B"]
    assert Q.missing_at_self(["A", "B"], []) == []  # not self-evaluated yet: not judged


def test_budget_up_outputs_flat_at_the_threshold():
    r = Rules(budget_up_share=0.2)
    outputs = [("完成项目数量", 10.0, "个")]
    assert not Q.budget_up_outputs_flat(120.0, 100.0, outputs, outputs, r)  # exactly 20% up: not more than
    assert Q.budget_up_outputs_flat(120.01, 100.0, outputs, outputs, r)
    assert not Q.budget_up_outputs_flat(130.0, 100.0, [("完成项目数量", 12.0, "个")], outputs, r)
    assert not Q.budget_up_outputs_flat(130.0, 100.0, [], outputs, r)  # no 产出指标: nothing flat
    assert not Q.budget_up_outputs_flat(130.0, 0.0, outputs, outputs, r)


BUDGETS = [(120.0, 100.0), (120.01, 100.0), (119.99, 100.0), (100.0, None), (50.0, 0.0), (None, 10.0),
           (1_200_000.0, 1_000_000.0), (1_200_000.5, 1_000_000.0)]


@pytest.mark.parametrize("share", [0.2, 0.0, 0.5])
def test_budget_up_sql_equal_python(db_url, share):
    r = Rules(budget_up_share=share)
    rows = [{"budget": b, "previous": p} for b, p in BUDGETS]
    got = evaluate(db_url, rows, lambda c: as_bool(QS.budget_up(c.budget, c.previous, r)))
    assert [bool(v) for v in got] == [Q.budget_up(b, p, r) for b, p in BUDGETS]


# -- TQ4 -----------------------------------------------------------------------------------------------------

OVERSHOOT = [("≥", 100.0, "人", 200.0, "人"), ("≥", 100.0, "人", 199.0, "人"), (">", 50.0, "个", 100.0, "个"),
             ("≥", 100.0, "人", 300.0, "人次"), ("≤", 100.0, "万元", 300.0, "万元"), ("=", 10.0, "个", 30.0, "个"),
             ("≥", 0.0, "个", 5.0, "个"), ("≥", 100.0, None, 200.0, None), ("≥", 3.0, "%", 5.97, "%"),
             ("≥", 3.0, "%", 6.0, "%"), ("≥", 0.1, "km", 0.2, "km"), ("≥", 100.0, "人", None, None)]


def test_overshoot_at_the_threshold():
    r = Rules(overshoot_factor=2.0)
    assert Q.overshoot("≥", 100.0, "人", 200.0, "人", r)  # exactly 2×
    assert not Q.overshoot("≥", 100.0, "人", 199.0, "人", r)  # 1.99×
    assert Q.overshoot("≥", 0.1, "km", 0.2, "km", r)  # 0.1 × 2 in floating point is still exactly 2×
    assert not Q.overshoot("≤", 100.0, "万元", 300.0, "万元", r)  # a ceiling is not a target set too low
    assert not Q.overshoot("≥", 100.0, "人", 300.0, "人次", r)  # another unit
    assert Q.overshoot("≥", 100.0, "人", 150.0, "人", Rules(overshoot_factor=1.5))


@pytest.mark.parametrize("factor", [2.0, 1.5, 3.0])
def test_overshoot_sql_equal_python(db_url, factor):
    r = Rules(overshoot_factor=factor)
    rows = [dict(zip(("comparator", "target_value", "target_unit", "actual_value", "actual_unit"), c))
            for c in OVERSHOOT]
    got = evaluate(db_url, rows, lambda c: as_bool(QS.overshoot(c.comparator, c.target_value, c.target_unit,
                                                                c.actual_value, c.actual_unit, r)))
    assert [bool(v) for v in got] == [Q.overshoot(*c, rules=r) for c in OVERSHOOT]
    if factor == 2.0:
        assert [bool(v) for v in got] == [True, False, True, False, False, False, False, True, False, True, True,
                                          False]


# -- TQ8 -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("minimum", [0.0, 100.0])
def test_needs_cost_indicator_sql_equal_python(db_url, minimum):
    r = Rules(cost_indicator_min_wan=minimum)
    cases = [(b, h) for b in (None, 0.0, 99.99, 100.0, 500.0) for h in (0, 1)]
    rows = [{"budget": b, "has_cost": h} for b, h in cases]
    got = evaluate(db_url, rows, lambda c: as_bool(QS.needs_cost_indicator(c.budget, c.has_cost == 1, r)))
    assert [bool(v) for v in got] == [Q.needs_cost_indicator(b, bool(h), r) for b, h in cases]
    if minimum == 100.0:  # exactly 100 万元 must carry one, 99.99 need not
        assert Q.needs_cost_indicator(100.0, False, r) and not Q.needs_cost_indicator(99.99, False, r)


# -- TQ7 -----------------------------------------------------------------------------------------------------

def test_name_similarity_by_hand():
    # normalised: years, punctuation and 项目/专项/资金/经费 dropped
    assert Q.normalised_name("2024年 城区环卫保洁服务项目") == "城区环卫保洁服务"
    assert Q.name_similarity("城区环卫保洁服务", "2024年城区环卫保洁服务项目") == 1.0
    # 农村公路养护 {农村 村公 公路 路养 养护} vs 农村道路养护 {农村 村道 道路 路养 养护}: 3 shared of 7
    assert Q.name_similarity("农村公路养护工程", "农村道路养护工程") == pytest.approx(5 / 9)
    assert Q.name_similarity("农村公路养护", "农村道路养护") == pytest.approx(3 / 7)
    assert Q.name_similarity("", "农村公路养护") == 0.0


def test_near_duplicate_at_the_thresholds():
    r = Rules(duplicate_similarity=0.8, duplicate_amount_share=0.1)
    assert Q.near_duplicate("智慧校园建设", 100.0, 1, "智慧校园建设项目", 90.0, 2, r)  # 10% apart exactly
    assert not Q.near_duplicate("智慧校园建设", 100.0, 1, "智慧校园建设项目", 89.99, 2, r)
    assert not Q.near_duplicate("智慧校园建设", 100.0, 1, "智慧校园建设项目", 100.0, 1, r)  # same department
    # 8 of 10 bigrams shared: Jaccard 0.8 exactly is flagged, 0.8 needs ≥
    a, b = "甲乙丙丁戊己庚辛壬", "甲乙丙丁戊己庚辛癸"
    assert Q.name_similarity(a, b) == pytest.approx(7 / 9)
    assert not Q.near_duplicate(a, 100.0, 1, b, 100.0, 2, r)
    c, d = "甲乙丙丁戊己庚辛壬子丑", "甲乙丙丁戊己庚辛壬子寅"
    assert Q.name_similarity(c, d) == pytest.approx(9 / 11)
    e, f = "甲乙丙丁戊己庚辛壬子", "甲乙丙丁戊己庚辛壬丑"  # 8 shared of 10 → 0.8
    assert Q.name_similarity(e, f) == pytest.approx(0.8)
    assert Q.near_duplicate(e, 100.0, 1, f, 100.0, 2, r)


def test_duplicate_pairs_equal_all_pairs():
    """Prefix filtering finds exactly the pairs a comparison of every pair finds (routine names left out)."""
    words = ["智慧校园建设", "智慧校园建设项目", "农村公路养护", "农村道路养护", "城区环卫保洁", "城区环卫保洁服务",
             "宣传工作经费", "学生资助", "学生资助资金", "甲乙丙丁戊己庚辛壬子", "甲乙丙丁戊己庚辛壬丑"]
    projects = [(i + 1, w, 100.0 + (i % 3) * 4, i % 4) for i, w in enumerate(words)]
    projects += [(100 + d, "宣传工作经费", 100.0, 10 + d) for d in range(3)]  # routine: three departments
    for t in (0.5, 0.8, 1.0):
        r = Rules(duplicate_similarity=t, duplicate_amount_share=0.1)
        routine = {"宣传工作"}
        brute = sorted((a[0], b[0]) for a, b in itertools.combinations(projects, 2)
                       if Q.normalised_name(a[1]) not in routine and Q.normalised_name(b[1]) not in routine
                       and Q.near_duplicate(a[1], a[2], a[3], b[1], b[2], b[3], r))
        assert [(a, b) for a, b, _s in Q.duplicate_pairs(projects, r)] == brute
    pairs = Q.duplicate_pairs(projects, Rules())
    assert (1, 2, 1.0) in pairs and not any(100 <= a for a, _b, _s in pairs)


# -- 成本指标 --------------------------------------------------------------------------------------------------

COSTS = [("成本指标", "经济成本指标", "人均培训成本", "元/人次"), ("成本指标", "经济成本指标", "项目总成本", "万元"),
         ("成本指标", "社会成本指标", "群众投工投劳折算", "万元"), ("成本指标", "生态环境成本指标", "植被恢复费用", "万元"),
         ("成本指标", "环境成本", "每公里养护成本", "万元"), ("成本指标", None, "材料费", "万元"),
         ("成本指标", "经济成本指标", "保洁费", "元/平方米"), ("产出指标", "数量指标", "培训人次", "人次")]


def test_cost_kind_and_type_by_hand():
    assert [Q.cost_kind(l2) for _l1, l2, _n, _u in COSTS] == [
        "经济成本", "经济成本", "社会成本", "生态环境成本", "生态环境成本", "未分类", "经济成本", "未分类"]
    assert [Q.cost_type(n, u) for _l1, _l2, n, u in COSTS[:7]] == [
        "单位成本", "总成本", "分项成本", "分项成本", "单位成本", "分项成本", "单位成本"]
    assert [Q.is_cost_indicator(l1) for l1, *_ in COSTS] == [True] * 7 + [False]


def test_cost_rules_sql_equal_python(db_url):
    rows = [{"level1": a, "level2": b, "name": n, "target_unit": u} for a, b, n, u in COSTS]
    kinds = evaluate(db_url, rows, lambda c: QS.cost_kind(c.level2))
    types = evaluate(db_url, rows, lambda c: QS.cost_type(c.name, c.target_unit))
    cost = evaluate(db_url, rows, lambda c: as_bool(QS.is_cost_indicator(c.level1)))
    assert kinds == [Q.cost_kind(b) for _a, b, _n, _u in COSTS]
    assert types == [Q.cost_type(n, u) for _a, _b, n, u in COSTS]
    assert [bool(v) for v in cost] == [Q.is_cost_indicator(a) for a, *_ in COSTS]


def test_unit_cost_band_by_hand():
    assert Q.unit_cost_band([10.0, 20.0]) is None  # fewer than three
    band = Q.unit_cost_band([10.0, 12.0, 14.0, 40.0])
    assert band == (13.0, 6.5, 19.5)
    assert [Q.band_position(v, band) for v in (6.5, 6.49, 19.5, 19.51, 13.0)] == ["正常", "偏低", "正常", "偏高", "正常"]


# -- distance from target ------------------------------------------------------------------------------------

DISTANCES = [  # stage, comparator, target, target unit, actual, actual unit, actual text → (distance, reason)
    ("自评", "≥", 100.0, "人", 110.0, "人", "110人", 0.1, None),
    ("自评", "≥", 100.0, "人", 90.0, "人", "90人", -0.1, None),
    ("自评", "≤", 100.0, "万元", 90.0, "万元", "90万元", 0.1, None),
    ("评价", "<", 50.0, "天", 75.0, "天", "75天", -0.5, None),
    ("自评", ">", 10.0, "个", 35.0, "个", "35个", 1.0, None),  # +250% clipped to +100%
    ("自评", "≥", 10.0, "个", 0.0, "个", "0个", -1.0, None),
    ("自评", "≥", 95.0, "%", 95.0, "%", "95%", 0.0, None),
    ("监控", "≥", 100.0, "人", 110.0, "人", "110人", None, Q.NO_ACTUAL),
    ("自评", "≥", 100.0, "人", None, None, None, None, Q.NO_ACTUAL),
    ("自评", None, None, None, 5.0, "个", "5个", None, Q.NO_NUMBER),
    ("自评", "≥", 100.0, "人", None, None, "已完成", None, Q.ACTUAL_TEXT),
    ("自评", "≥", 100.0, "人", 100.0, "人次", "100人次", None, Q.UNIT_DIFFERS),
    ("自评", "≥", 0.0, "起", 1.0, "起", "1起", None, Q.ZERO_TARGET),
    ("自评", "=", 100.0, "%", 100.0, "%", "100%", None, Q.EQUAL_TYPE),
    ("自评", None, 100.0, "%", 90.0, "%", "90%", None, Q.EQUAL_TYPE),
    ("自评", "≥", -20.0, "%", -10.0, "%", "-10%", 0.5, None),  # a negative target: |target|
]


def test_distance_by_hand():
    for stage, cmp, t, tu, a, au, at, want, reason in DISTANCES:
        d, why = Q.distance_from_target(stage, cmp, t, tu, a, au, at)
        assert why == reason
        assert (d is None and want is None) or d == pytest.approx(want)


def test_distance_bins_by_hand():
    cases = {-1.0: -10, -0.95: -10, -0.9: -9, -0.1: -1, -0.0999: -1, -1e-12: 0, 0.0: 0, 0.0999: 0, 0.1: 1,
             0.3: 3, 0.7: 7, 0.95: 9, 1.0: 9, (110.0 - 100.0) / 100.0: 1, (1.1 - 1.0) / 1.0: 1, (0.7 - 1.0) / 1.0: -3}
    assert {d: Q.distance_bin(d) for d in cases} == cases
    assert Q.bin_label(-10) == "-100%～-90%" and Q.bin_label(9) == "90%～100%"


def test_distance_sql_equal_python(db_url):
    rows = [dict(zip(("stage", "comparator", "target_value", "target_unit", "actual_value", "actual_unit",
                      "actual_text"), c[:7])) for c in DISTANCES]
    reasons = evaluate(db_url, rows, lambda c: QS.distance_exclusion(
        c.stage, c.comparator, c.target_value, c.target_unit, c.actual_value, c.actual_unit, c.actual_text))
    assert reasons == [c[8] for c in DISTANCES]
    shown = [r for r, c in zip(rows, DISTANCES) if c[8] is None]
    got = evaluate(db_url, shown, lambda c: QS.distance(c.comparator, c.target_value, c.actual_value))
    assert got == pytest.approx([c[7] for c in DISTANCES if c[8] is None])
    edges = [-1.0, -0.95, -0.9, -0.1, -0.0999, -1e-12, 0.0, 0.0999, 0.1, 0.3, 0.7, 0.95, 1.0, 0.1 + 1e-16,
             (1.1 - 1.0) / 1.0, (0.7 - 1.0) / 1.0]
    bins = evaluate(db_url, [{"distance": d} for d in edges], lambda c: QS.distance_bin(c.distance))
    assert bins == [Q.distance_bin(d) for d in edges]


def test_family_sql_equal_python(db_url):
    levels = ["产出指标", "效益指标", "满意度指标", "成本指标", "社会效益指标", "服务对象满意度指标", "其他", None]
    got = evaluate(db_url, [{"level1": v} for v in levels], lambda c: QS.family(c.level1))
    assert got == [Q.family(v) for v in levels]
    assert got[:4] == list(Q.FAMILIES) and got[-2:] == [Q.OTHER_FAMILY, Q.OTHER_FAMILY]
