"""The demo's performance indicators (绩效指标): for each year, a sample of the projects with targets declares four
indicators (申报), reports them at its latest monitoring (监控) and, where it self-evaluated, scores them (自评).

Drawn from a generator of its own (seeded from the demo's seed), so adding indicators changes none of the
other demo tables. Most targets are met; some are not, with a deviation reason; a few cannot be judged (a
value in another unit, or no value); a few projects declare targets that the target-quality check flags (no
满意度 indicator, or a 质量 target in words) and the 目标质量 rules of issue 25 flag a few percent of the rest;
most projects declare a 成本指标, a 单位成本 one where the project belongs to a peer group. Rows carry explicit ids
like the other demo tables.
"""

from __future__ import annotations

import numpy as np

from dashboard.core import rules as R
from dashboard.core.models import indicator_key
from dashboard.core.vocab import LIKELIHOODS, STAGE_DECLARED, STAGE_MONITORING, STAGE_SELF
from dashboard.demo.projects import peer_group

INDICATOR_COLUMNS = ("id", "project_id", "year", "stage", "as_of", "indicator_key", "level1", "level2", "name",
                     "comparator", "target_text", "target_value", "target_unit", "actual_text", "actual_value",
                     "actual_unit", "current_text", "current_value", "current_unit", "expected_text", "expected_value",
                     "expected_unit", "weight", "score", "deviation_reason", "likelihood")
PER_YEAR = 1500  # projects with indicators per demo year, at most (the province keeps a sample)

# (一级, 二级, 名称, 单位, target range): each project draws one of each row's options
_OUTPUTS = (("数量指标", "完成项目数量", "个", (5, 60)), ("数量指标", "覆盖人数", "人", (200, 5000)),
            ("数量指标", "建设面积", "平方米", (500, 20000)), ("数量指标", "培训人次", "人次", (100, 3000)))
_QUALITY = ("质量指标", "验收合格率", "%")
_OUTCOMES = (("社会效益指标", "受益群众人数", "人", (500, 20000)), ("经济效益指标", "带动增收", "万元", (20, 500)),
             ("生态效益指标", "绿化覆盖面积", "亩", (50, 2000)))
_SATISFACTION = ("服务对象满意度指标", "服务对象满意度", "%")
_REASONS = ("项目前期手续办理时间较长，实施进度滞后", "资金拨付不及时，影响项目推进", "受天气影响，施工期延后",
            "实施方案调整，部分内容推迟到下年", "服务对象需求变化，实际覆盖人数少于计划")


_WHOLE_UNITS = ("个", "人", "人次")


def _fmt(x: float, unit: str = "") -> str:
    """A value as a form writes it: whole numbers for counts, percentages at most 100, else one decimal."""
    if unit == "%":
        x = min(x, 100.0)
    if unit in _WHOLE_UNITS or float(x).is_integer():
        return f"{round(x):.0f}"
    return f"{x:.1f}"


# 成本指标 (issue 25): the 单位成本 of each peer group (dashboard.demo.projects.PEER_GROUPS) as 三级指标, unit and a
# typical value; a project's value scatters around it (a few far off: the outliers of the group's band)
UNIT_COSTS = {
    "环卫保洁": ("每平方米年保洁成本", "元/平方米", 14.0),
    "公路养护": ("每公里养护成本", "万元/公里", 3.6),
    "校舍及办公用房维修": ("每平方米维修单价", "元/平方米", 820.0),
    "业务培训": ("人均培训成本", "元/人次", 460.0),
    "信息系统运维": ("单套系统年运维成本", "万元/套", 12.0),
    "绿化养护": ("每亩养护成本", "元/亩", 950.0),
    "第三方评估服务": ("单个项目评估费用", "万元/个", 6.5),
}
_OTHER_COSTS = (("社会成本指标", "群众投工投劳折算", "万元"), ("生态环境成本指标", "施工期植被恢复费用", "万元"))
_VAGUE = ("明显提升", "进一步改善", "逐步提高", "有所提高")
_PLACEHOLDER = ("待定", "不适用", "无")


def _line_rng(rng: np.random.Generator, line: int) -> np.random.Generator:
    """A generator of one project line's own (the demo's seed and the line): a line that copies its targets draws
    the same ones every year."""
    entropy = np.atleast_1d(rng.bit_generator.seed_seq.entropy).tolist()
    return np.random.default_rng([int(x) for x in entropy] + [int(line)])


def _specs(rng: np.random.Generator, budget: float, group: str | None) -> list[tuple]:
    """One project's declared indicators: (一级, 二级, 名称, comparator, value or a worded target, unit)."""
    specs = []
    lvl2, name, unit, (lo, hi) = _OUTPUTS[int(rng.integers(len(_OUTPUTS)))]
    specs.append(("产出指标", lvl2, name, "≥", float(rng.integers(lo, hi)), unit))
    worded = rng.random() < 0.08  # a 质量 target in words: not quantified
    specs.append(("产出指标", _QUALITY[0], _QUALITY[1], None if worded else "≥",
                  "质量达标" if worded else float(rng.choice([90, 95, 98, 100])), _QUALITY[2]))
    lvl2, name, unit, (lo, hi) = _OUTCOMES[int(rng.integers(len(_OUTCOMES)))]
    quality = rng.random()
    if quality < 0.03:  # a vague 效益 target (TQ1)
        specs.append(("效益指标", lvl2, name, None, _VAGUE[int(rng.integers(len(_VAGUE)))], unit))
    elif quality < 0.05:  # no target at all (TQ2)
        specs.append(("效益指标", lvl2, name, None, _PLACEHOLDER[int(rng.integers(len(_PLACEHOLDER)))], unit))
    else:
        specs.append(("效益指标", lvl2, name, "≥", float(rng.integers(lo, hi)), unit))
    if rng.random() >= 0.1:  # a tenth declare no 满意度 indicator
        specs.append(("满意度指标", _SATISFACTION[0], _SATISFACTION[1], "≥", float(rng.choice([85, 90, 95])),
                      _SATISFACTION[2]))
    cost = rng.random()
    if cost < 0.87:  # most projects declare a 成本指标 (TQ8 flags the others)
        if group in UNIT_COSTS:
            name, unit, typical = UNIT_COSTS[group]
            far = rng.random()
            factor = rng.uniform(1.7, 2.4) if far < 0.06 else rng.uniform(0.3, 0.45) if far < 0.09 else \
                float(np.exp(rng.normal(0, 0.15)))
            value = round(typical * factor, 2 if typical < 100 else 0)
            specs.append(("成本指标", "经济成本指标", name, "≤", value, unit))
        else:
            specs.append(("成本指标", "经济成本指标", "项目总成本", "≤", round(float(budget), 2), "万元"))
        if cost < 0.06:
            lvl2, name, unit = _OTHER_COSTS[int(rng.integers(len(_OTHER_COSTS)))]
            specs.append(("成本指标", lvl2, name, "≤", round(float(budget) * rng.uniform(0.01, 0.05), 2), unit))
    return specs


def indicators_of_year(rng: np.random.Generator, yr, has_self: np.ndarray, latest_as_of: dict, ind: dict) -> None:
    """Append one year's indicator rows to the column lists `ind` (`latest_as_of`: project id → its latest
    monitoring date).

    Realistic target-quality problems (docs/rules.md 目标质量): 3% of project lines copy the same targets every
    year (TQ3; with a budget up 20% that is TQ6 too), a few targets are vague or 待定 (TQ1, TQ2), a few actuals
    reach twice the target (TQ4), a few self-evaluations leave an indicator out (TQ5), and 13% of projects declare
    no 成本指标 (TQ8)."""
    candidates = np.flatnonzero(yr.has_target)
    if len(candidates) > PER_YEAR:
        candidates = np.sort(rng.choice(candidates, PER_YEAR, replace=False))
    for i in candidates.tolist():
        pid = int(yr.pids[i])
        line_rng = _line_rng(rng, int(yr.lines[i]))
        copies = line_rng.random() < 0.03  # this line declares the same targets every year
        # a copied total-cost target does not follow the budget either
        budget = float(line_rng.integers(5, 50)) * 10 if copies else float(yr.adjusted[i])
        specs = _specs(line_rng if copies else rng, budget, peer_group(yr.names[i]))
        weights = np.full(len(specs), round(90 / len(specs), 1))
        drop_at_self = int(rng.integers(len(specs))) if rng.random() < 0.04 else -1  # TQ5
        for k, (l1, l2, name, cmp, value, unit) in enumerate(specs):
            worded = isinstance(value, str)
            target = value if worded else f"{cmp if cmp else ''}{_fmt(value)}{unit}"
            value = None if worded else value
            base = {"project_id": pid, "year": yr.year, "indicator_key": indicator_key(l1, l2, name), "level1": l1,
                    "level2": l2, "name": name, "weight": float(weights[k])}
            _row(ind, {**base, "stage": STAGE_DECLARED}, target)
            outcome = rng.random()
            cost = cmp == "≤"
            if pid in latest_as_of:
                if value is None:
                    expected, likelihood, reason = target, LIKELIHOODS[0], None
                elif cost:
                    expected, likelihood, reason = f"{_fmt(value * rng.uniform(0.9, 1.0), unit)}{unit}", LIKELIHOODS[0], None
                elif outcome < 0.75:
                    expected, likelihood, reason = f"{_fmt(value * rng.uniform(1.0, 1.15), unit)}{unit}", LIKELIHOODS[0], None
                elif outcome < 0.93:
                    expected = f"{_fmt(value * rng.uniform(0.85, 0.99), unit)}{unit}"
                    likelihood, reason = LIKELIHOODS[1], _REASONS[int(rng.integers(len(_REASONS)))]
                else:
                    expected = f"{_fmt(value * rng.uniform(0.4, 0.7), unit)}{unit}"
                    likelihood, reason = LIKELIHOODS[2], _REASONS[int(rng.integers(len(_REASONS)))]
                current = expected if value is None else f"{_fmt(value * rng.uniform(0.3, 0.7), unit)}{unit}"
                _row(ind, {**base, "stage": STAGE_MONITORING, "as_of": latest_as_of[pid], "likelihood": likelihood,
                           "deviation_reason": reason}, target, current=current, expected=expected)
            if has_self[i] and k != drop_at_self:
                score_share = 1.0
                if value is None:
                    actual, reason = target, None
                elif cost:
                    actual, reason = f"{_fmt(value * rng.uniform(0.85, 1.05), unit)}{unit}", None
                elif outcome < 0.03 and unit != "%":  # target set far too low (TQ4)
                    actual, reason = f"{_fmt(value * rng.uniform(2.0, 3.0), unit)}{unit}", None
                elif outcome < 0.8:
                    actual, reason = f"{_fmt(value * rng.uniform(1.0, 1.2), unit)}{unit}", None
                elif outcome < 0.95:
                    actual = f"{_fmt(value * rng.uniform(0.6, 0.97), unit)}{unit}"
                    reason, score_share = _REASONS[int(rng.integers(len(_REASONS)))], 0.6
                else:
                    actual, reason = "已完成", None  # no figure: cannot be judged
                _row(ind, {**base, "stage": STAGE_SELF, "deviation_reason": reason,
                           "score": round(float(weights[k]) * score_share, 1)}, target, actual=actual)


def _row(ind: dict, values: dict, target: str, actual=None, current=None, expected=None) -> None:
    values = {**values, **R.indicator_columns(target=target, actual=actual, current=current, expected=expected)}
    for col in INDICATOR_COLUMNS:
        if col != "id":
            ind[col].append(values.get(col))
