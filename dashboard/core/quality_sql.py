"""SQL renderings of the 目标质量 / 成本绩效 / 偏离度 rules of dashboard.core.quality (SQLite and PostgreSQL alike).

Each expression names the Python rule it mirrors and uses the same thresholds and EPS tolerance;
tests/core/test_quality.py evaluates them on both engines against the Python rules at the thresholds. Text
columns are the stored ones (dashboard.core.rules.indicator_text: NFKC, no whitespace).
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_

from dashboard.core import quality as Q
from dashboard.core.rules import EPS
from dashboard.core.settings import Rules


def _tol(bound):
    """EPS × max(1, |bound|), the tolerance of the Python rules."""
    return case((func.abs(bound) > 1.0, func.abs(bound) * EPS), else_=literal(EPS))


def _has_any(col, words) -> object:
    return or_(*[col.like(f"%{w}%") for w in words])


def is_placeholder(target_text):
    """Q.is_placeholder: the target is only one of Q.PLACEHOLDERS."""
    return target_text.in_(Q.PLACEHOLDERS)


def is_vague(target_text):
    """Q.vague_reason is not None: blank, or (not a placeholder and) a vague word, or no digit."""
    no_digit = and_(*[~target_text.like(f"%{d}%") for d in "0123456789"])
    return or_(target_text.is_(None), target_text == "",
               and_(~is_placeholder(target_text), or_(_has_any(target_text, Q.VAGUE_WORDS), no_digit)))


def overshoot(comparator, target_value, target_unit, actual_value, actual_unit, rules: Rules):
    """Q.overshoot: a ≥ / > target above 0, actual in the same unit at least overshoot_factor × target."""
    bound = target_value * rules.overshoot_factor
    return and_(comparator.in_(("≥", ">")), target_value > 0, actual_value.is_not(None),
                func.coalesce(target_unit, "") == func.coalesce(actual_unit, ""),
                actual_value >= bound - _tol(bound))


def budget_up(budget, previous, rules: Rules):
    """Q.budget_up: more than budget_up_share above last year's budget (above 0)."""
    bound = previous * (1 + rules.budget_up_share)
    return and_(budget.is_not(None), previous > 0, budget > bound + _tol(bound))


def needs_cost_indicator(budget, has_cost, rules: Rules):
    """Q.needs_cost_indicator: no 成本指标 and a budget of at least cost_indicator_min_wan 万元."""
    return and_(~has_cost, func.coalesce(budget, 0.0) >= rules.cost_indicator_min_wan - EPS)


def is_cost_indicator(level1):
    """Q.is_cost_indicator: 成本 in the 一级指标."""
    return level1.like("%成本%")


def cost_kind(level2):
    """Q.cost_kind from the 二级指标."""
    return case((level2.like("%经济%"), literal(Q.COST_KINDS[0])), (level2.like("%社会%"), literal(Q.COST_KINDS[1])),
                (or_(level2.like("%生态%"), level2.like("%环境%")), literal(Q.COST_KINDS[2])),
                else_=literal(Q.UNCLASSIFIED))


def cost_type(name, unit):
    """Q.cost_type from the 三级指标 name and the target's unit."""
    rate = or_(_has_any(name, Q._UNIT_WORDS), unit.like("%/%"), unit.like("%每%"))
    return case((rate, literal(Q.COST_TYPES[0])), (_has_any(name, Q._TOTAL_WORDS), literal(Q.COST_TYPES[1])),
                else_=literal(Q.COST_TYPES[2]))


def family(level1):
    """Q.family: the 一级指标 family by its word (产出 / 效益 / 满意度 / 成本), else 其他指标."""
    return case(*[(level1.like(f"%{f.replace('指标', '')}%"), literal(f)) for f in Q.FAMILIES],
                else_=literal(Q.OTHER_FAMILY))


def _raw_distance(comparator, target_value, actual_value):
    d = (actual_value - target_value) / func.abs(target_value)
    return case((comparator.in_(("≤", "<")), -d), else_=d)


def distance_exclusion(stage, comparator, target_value, target_unit, actual_value, actual_unit, actual_text):
    """Q.distance_from_target's reason for leaving an indicator out (NULL when it is shown), checked in order."""
    return case(
        (or_(~stage.in_(("自评", "评价")), and_(actual_value.is_(None), func.coalesce(actual_text, "") == "")),
         literal(Q.NO_ACTUAL)),
        (target_value.is_(None), literal(Q.NO_NUMBER)),
        (actual_value.is_(None), literal(Q.ACTUAL_TEXT)),
        (func.coalesce(target_unit, "") != func.coalesce(actual_unit, ""), literal(Q.UNIT_DIFFERS)),
        (target_value == 0, literal(Q.ZERO_TARGET)),
        (~func.coalesce(comparator, "=").in_(("≥", ">", "≤", "<")), literal(Q.EQUAL_TYPE)),
        else_=None,
    )


def distance(comparator, target_value, actual_value):
    """Q.distance_from_target's distance, clipped to −1 … 1 (meaningful where distance_exclusion is NULL)."""
    d = _raw_distance(comparator, target_value, actual_value)
    return case((d > 1.0, literal(1.0)), (d < -1.0, literal(-1.0)), else_=d)


def distance_bin(d):
    """Q.distance_bin of a clipped distance: the largest k with d ≥ k/10 (within EPS), −10 … 9."""
    return case(*[(d >= k / 10 - EPS, literal(k)) for k in reversed(Q.BINS[1:])], else_=literal(Q.BINS[0]))
