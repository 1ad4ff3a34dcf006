"""目标质量 and 成本绩效 rules from docs/rules.md as pure functions: the TQ1–TQ8 flags on performance targets, the
成本指标 kinds and types, the unit-cost band of a peer group, and how far an indicator landed from its target.

Thresholds come from `settings.Rules` (overshoot_factor, budget_up_share, duplicate_similarity,
duplicate_amount_share, cost_indicator_min_wan); the word lists and fixed bounds are the constants below, quoted
in docs/rules.md. dashboard/core/quality_sql.py renders the rules that run in SQL with the same thresholds, and
tests/core/test_quality.py checks both against each other at the thresholds.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

from dashboard.core.rules import EPS, indicator_text
from dashboard.core.settings import Rules
from dashboard.core.vocab import LEVEL1_COST, LEVEL1_OUTCOME, LEVEL1_OUTPUT, LEVEL1_SATISFACTION

DEFAULT_RULES = Rules()

# -- the rules and their reasons -------------------------------------------------------------------------------

RULE_IDS = ("TQ1", "TQ2", "TQ3", "TQ4", "TQ5", "TQ6", "TQ7", "TQ8")
RULE_TITLES = {
    "TQ1": "指标值未量化或用语模糊",
    "TQ2": "指标值为不适用、待定或无",
    "TQ3": "照抄上年绩效目标",
    "TQ4": "实际值远超目标（目标定得过低）",
    "TQ5": "申报的指标自评时缺失",
    "TQ6": "预算大增而产出目标不变",
    "TQ7": "跨部门疑似重复项目",
    "TQ8": "缺成本指标",
}
# what a rule flags: one indicator, or a whole project
INDICATOR_RULES = ("TQ1", "TQ2", "TQ4", "TQ5")
PROJECT_RULES = ("TQ3", "TQ6", "TQ7", "TQ8")

# TQ1: words that make a target vague however it is written (docs/rules.md 目标质量 TQ1)
VAGUE_WORDS = ("有所提高", "有所提升", "有所改善", "有所增加", "有所下降", "进一步", "明显", "显著", "逐步", "较好",
               "良好", "大幅", "稳步", "不断", "持续", "力争", "尽量", "基本")
# TQ2: a target cell holding only one of these (after NFKC and without whitespace) states no target at all
PLACEHOLDERS = ("不适用", "待定", "暂定", "待确定", "另定", "无", "暂无", "/", "-", "—", "--", "——")
# TQ3: a project is flagged when at least this share of its targets is last year's, unchanged (1.0 = all of them)
COPY_SHARE = 1.0
# TQ7: a name (normalised) used in the same year by this many 主管部门 or more is routine work every department has
# (宣传工作经费, 档案管理经费), not a duplicate application
ROUTINE_NAME_DEPARTMENTS = 3
# 成本指标: peer groups need this many unit costs (same unit) to have a median and a band; the band around it
MIN_PEERS = 3
BAND_LOW, BAND_HIGH = 0.5, 1.5

_DIGITS = re.compile(r"\d")


def is_placeholder(target_text: str | None) -> bool:
    """TQ2. docs/rules.md: "the target cell is only 不适用, 待定, 无 or a like word" (PLACEHOLDERS)."""
    text = indicator_text(target_text)
    return text is not None and text in PLACEHOLDERS


def vague_reason(target_text: str | None) -> str | None:
    """TQ1: why a target is unquantified or vague, None when it is neither (placeholders are TQ2's, not TQ1's).

    docs/rules.md: "a target with no digit in it (blank included), or one containing a word of VAGUE_WORDS".
    """
    text = indicator_text(target_text)
    if text is None:
        return "未填写指标值"
    if text in PLACEHOLDERS:
        return None
    for word in VAGUE_WORDS:
        if word in text:
            return f"指标值含模糊用语“{word}”"
    if not _DIGITS.search(text):
        return "指标值没有数字，无法衡量"
    return None


def copied_targets(current: Iterable[tuple[str, str | None]], previous: Iterable[tuple[str, str | None]]) -> bool:
    """TQ3 for one project: (indicator name, target text) of this year's targets as first stated against last
    year's of the same project code. docs/rules.md: "flagged when at least COPY_SHARE of this year's targets
    (all, by default) have an indicator of the same name and the same target text last year"."""
    cur = [(indicator_text(n), indicator_text(t)) for n, t in current]
    prev = {(indicator_text(n), indicator_text(t)) for n, t in previous}
    if not cur or not prev:
        return False
    same = sum(1 for pair in cur if pair[1] is not None and pair in prev)
    return same >= COPY_SHARE * len(cur) - EPS


def overshoot(comparator: str | None, target_value: float | None, target_unit: str | None,
              actual_value: float | None, actual_unit: str | None, rules: Rules = DEFAULT_RULES) -> bool:
    """TQ4. docs/rules.md: "a ≥ or > target above 0 whose year-end actual, in the same unit, is at least
    overshoot_factor times the target" (exactly 2× is flagged, 1.99× is not)."""
    if comparator not in ("≥", ">") or target_value is None or actual_value is None or target_value <= 0:
        return False
    if (target_unit or "") != (actual_unit or ""):
        return False
    bound = rules.overshoot_factor * target_value
    return actual_value >= bound - EPS * max(1.0, abs(bound))


def missing_at_self(declared: Iterable[str], self_evaluated: Iterable[str]) -> list[str]:
    """TQ5 for one project with both stages: the 申报 indicators (by 三级指标 name) with no indicator of that name at
    自评. docs/rules.md: "only projects that have 自评 indicators are judged"."""
    have = {indicator_text(n) for n in self_evaluated}
    if not have:
        return []
    return [n for n in declared if indicator_text(n) not in have]


def budget_up(budget: float | None, previous: float | None, rules: Rules = DEFAULT_RULES) -> bool:
    """TQ6's budget part. docs/rules.md: "the budget is more than budget_up_share above last year's (20% up
    exactly is not flagged)"; no previous budget above 0, no flag."""
    if budget is None or previous is None or previous <= 0:
        return False
    bound = previous * (1 + rules.budget_up_share)
    return budget > bound + EPS * max(1.0, abs(bound))


def outputs_flat(current: Iterable[tuple[str, float | None, str | None]],
                 previous: Iterable[tuple[str, float | None, str | None]]) -> bool:
    """TQ6's target part: every 产出指标 (name, target value, unit) of this year has one of the same name, value and
    unit last year (at least one 产出指标; a target without a number is not flat)."""
    cur = [(indicator_text(n), v, u or "") for n, v, u in current]
    prev = {(indicator_text(n), v, u or "") for n, v, u in previous if v is not None}
    return bool(cur) and all(v is not None and (n, v, u) in prev for n, v, u in cur)


def budget_up_outputs_flat(budget, previous, current_outputs, previous_outputs, rules: Rules = DEFAULT_RULES) -> bool:
    """TQ6. docs/rules.md: "budget up by more than budget_up_share against last year while every 产出指标 target
    stays flat (the same value and unit)"."""
    return budget_up(budget, previous, rules) and outputs_flat(current_outputs, previous_outputs)


def needs_cost_indicator(budget: float | None, has_cost: bool, rules: Rules = DEFAULT_RULES) -> bool:
    """TQ8. docs/rules.md: "a project with indicators, budget at least cost_indicator_min_wan 万元 (0: every
    project), and no 成本指标 at any stage"."""
    if has_cost:
        return False
    return (budget or 0.0) >= rules.cost_indicator_min_wan - EPS


# -- TQ7: near-duplicate project names ----------------------------------------------------------------------

_YEAR = re.compile(r"(19|20)\d{2}(年度|年)?")
_FILLER = ("项目", "专项", "资金", "经费")
_PUNCT = re.compile(r"[\W_]+")


def normalised_name(name: str | None) -> str:
    """A project name as TQ7 compares it: NFKC, without years (2024年), punctuation, whitespace and the words
    项目 / 专项 / 资金 / 经费."""
    text = unicodedata.normalize("NFKC", name or "")
    text = _YEAR.sub("", text)
    for word in _FILLER:
        text = text.replace(word, "")
    return _PUNCT.sub("", text)


def name_bigrams(name: str | None) -> frozenset[str]:
    """The character bigrams of the normalised name (a one-character name: that character)."""
    text = normalised_name(name)
    if len(text) < 2:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


def name_similarity(a: str | None, b: str | None) -> float:
    """TQ7's similarity: the Jaccard index of the two names' character bigrams (0–1)."""
    x, y = name_bigrams(a), name_bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def amounts_close(a: float | None, b: float | None, rules: Rules = DEFAULT_RULES) -> bool:
    """TQ7's amount part: both above 0 and |a − b| ≤ duplicate_amount_share × the larger one."""
    if a is None or b is None or a <= 0 or b <= 0:
        return False
    return abs(a - b) <= rules.duplicate_amount_share * max(a, b) + EPS * max(1.0, a, b)


def near_duplicate(a_name, a_budget, a_department, b_name, b_budget, b_department,
                   rules: Rules = DEFAULT_RULES) -> bool:
    """TQ7 for two projects of the same year. docs/rules.md: "different 主管部门, name similarity at least
    duplicate_similarity and budgets within duplicate_amount_share of the larger"."""
    return (a_department != b_department and amounts_close(a_budget, b_budget, rules)
            and name_similarity(a_name, b_name) >= rules.duplicate_similarity - EPS)


def duplicate_pairs(projects: Sequence[tuple[int, str, float | None, int]], rules: Rules = DEFAULT_RULES
                    ) -> list[tuple[int, int, float]]:
    """Every TQ7 pair (id a < id b, similarity) among one year's projects (id, name, budget, department id).

    Projects whose normalised name ROUTINE_NAME_DEPARTMENTS or more departments use that year are left out. The
    work is bounded by prefix filtering: a pair with Jaccard ≥ t shares one of the first |A| − ⌈t·|A|⌉ + 1
    bigrams of each name in a fixed order (rarest first), so only pairs sharing such a bigram are compared —
    never all pairs of the year.
    """
    t = rules.duplicate_similarity
    departments_of: dict[str, set] = defaultdict(set)
    for _pid, name, _b, dept in projects:
        departments_of[normalised_name(name)].add(dept)
    routine = {n for n, ds in departments_of.items() if len(ds) >= ROUTINE_NAME_DEPARTMENTS}
    grams = {pid: name_bigrams(name) for pid, name, _b, _d in projects if normalised_name(name) not in routine}
    freq: dict[str, int] = defaultdict(int)
    for g in grams.values():
        for x in g:
            freq[x] += 1
    info = {pid: (name, budget, dept) for pid, name, budget, dept in projects}
    index: dict[str, list[int]] = defaultdict(list)
    found: dict[tuple[int, int], float] = {}
    for pid in sorted(grams):
        g = grams[pid]
        if not g:
            continue
        ordered = sorted(g, key=lambda x: (freq[x], x))
        prefix = ordered[:len(ordered) - math.ceil(t * len(ordered) - EPS) + 1] if t > 0 else ordered
        candidates = {other for x in prefix for other in index[x]}
        for x in prefix:
            index[x].append(pid)
        for other in candidates:
            a, b = info[pid], info[other]
            if near_duplicate(a[0], a[1], a[2], b[0], b[1], b[2], rules):
                found[(min(pid, other), max(pid, other))] = name_similarity(a[0], b[0])
    return sorted((a, b, s) for (a, b), s in found.items())


# -- 成本指标 ---------------------------------------------------------------------------------------------------

COST_KINDS = ("经济成本", "社会成本", "生态环境成本")
COST_TYPES = ("单位成本", "总成本", "分项成本")
UNCLASSIFIED = "未分类"
_UNIT_WORDS = ("单位", "单价", "人均", "户均", "平均", "每")
_TOTAL_WORDS = ("总成本", "总投入", "总费用", "总额", "总计", "合计", "总投资")


def is_cost_indicator(level1: str | None) -> bool:
    """docs/rules.md: "an indicator whose 一级指标 contains 成本 (成本指标)"."""
    return "成本" in (level1 or "")


def cost_kind(level2: str | None) -> str:
    """The kind of a 成本指标 from its 二级指标: 经济成本 (经济), 社会成本 (社会), 生态环境成本 (生态 or 环境), else 未分类."""
    text = level2 or ""
    if "经济" in text:
        return COST_KINDS[0]
    if "社会" in text:
        return COST_KINDS[1]
    if "生态" in text or "环境" in text:
        return COST_KINDS[2]
    return UNCLASSIFIED


def cost_type(name: str | None, unit: str | None) -> str:
    """The type of a 成本指标 from its name and unit: 单位成本 when the name has 单位 / 单价 / 人均 / 户均 / 平均 / 每 or
    the unit is a rate (元/人, 万元/公里); else 总成本 when the name has 总成本 / 总投入 / 总费用 / 总额 / 总计 / 合计 /
    总投资; else 分项成本 (the cost of one part)."""
    text, u = name or "", unit or ""
    if any(w in text for w in _UNIT_WORDS) or "/" in u or "每" in u:
        return COST_TYPES[0]
    if any(w in text for w in _TOTAL_WORDS):
        return COST_TYPES[1]
    return COST_TYPES[2]


def unit_cost_band(values: Iterable[float]) -> tuple[float, float, float] | None:
    """(median, low, high) of a peer group's unit costs: BAND_LOW × to BAND_HIGH × the median; None with fewer
    than MIN_PEERS values."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if len(vals) < MIN_PEERS:
        return None
    m = statistics.median(vals)
    return m, BAND_LOW * m, BAND_HIGH * m


def band_position(value: float | None, band: tuple[float, float, float] | None) -> str | None:
    """"偏高" above the band, "偏低" below it, "正常" within (both ends inside), None without a band or value."""
    if value is None or band is None:
        return None
    _m, low, high = band
    if value > high + EPS * max(1.0, abs(high)):
        return "偏高"
    if value < low - EPS * max(1.0, abs(low)):
        return "偏低"
    return "正常"


# -- distance from target ----------------------------------------------------------------------------------

FAMILIES = (LEVEL1_OUTPUT, LEVEL1_OUTCOME, LEVEL1_SATISFACTION, LEVEL1_COST)
OTHER_FAMILY = "其他指标"
# why an indicator is not in the histogram, in the order they are checked
NO_ACTUAL, NO_NUMBER, ACTUAL_TEXT, UNIT_DIFFERS, ZERO_TARGET, EQUAL_TYPE = (
    "no_actual", "no_number", "actual_text", "unit_differs", "zero_target", "equal_type")
EXCLUSIONS = (NO_ACTUAL, NO_NUMBER, ACTUAL_TEXT, UNIT_DIFFERS, ZERO_TARGET, EQUAL_TYPE)
EXCLUSION_LABELS = {
    NO_ACTUAL: "还没有年末实际完成值（只有申报或监控）",
    NO_NUMBER: "指标值不是数字",
    ACTUAL_TEXT: "实际完成值不是数字",
    UNIT_DIFFERS: "实际值与指标值单位不同",
    ZERO_TARGET: "指标值为 0，无法算相对偏离",
    EQUAL_TYPE: "指标性质为“=”（或未写 ≥ ≤），不分高低方向",
}
BINS = tuple(range(-10, 10))  # bin k holds distances in [10k%, 10(k+1)%); the last one holds +100% too


def family(level1: str | None) -> str:
    """The 一级指标 family of an indicator: 产出 / 效益 / 满意度 / 成本 指标 by the word in its 一级指标, else 其他指标."""
    text = level1 or ""
    for name in FAMILIES:
        if name.replace("指标", "") in text:
            return name
    return OTHER_FAMILY


def distance_from_target(stage: str, comparator: str | None, target_value: float | None, target_unit: str | None,
                         actual_value: float | None, actual_unit: str | None, actual_text: str | None = None
                         ) -> tuple[float | None, str | None]:
    """(distance, None) or (None, why not shown). docs/rules.md: "distance = (actual − target) ÷ |target| for ≥ and
    > targets, (target − actual) ÷ |target| for ≤ and <, clipped to −100% … +100%: above 0 is better than the
    target"; only year-end actuals (自评, 评价) count."""
    if stage not in ("自评", "评价") or (actual_value is None and not actual_text):
        return None, NO_ACTUAL
    if target_value is None:
        return None, NO_NUMBER
    if actual_value is None:
        return None, ACTUAL_TEXT
    if (target_unit or "") != (actual_unit or ""):
        return None, UNIT_DIFFERS
    if target_value == 0:
        return None, ZERO_TARGET
    if comparator not in ("≥", ">", "≤", "<"):
        return None, EQUAL_TYPE
    d = (actual_value - target_value) / abs(target_value)
    if comparator in ("≤", "<"):
        d = -d
    return max(-1.0, min(1.0, d)), None


def distance_bin(distance: float) -> int:
    """The 10-point bin of a distance (a fraction): the largest k with distance ≥ k/10 (within EPS), so bin k holds
    [10k%, 10(k+1)%); −10 … 9, +100% in bin 9."""
    for k in reversed(BINS[1:]):
        if distance >= k / 10 - EPS:
            return k
    return BINS[0]


def bin_label(k: int) -> str:
    return f"{k * 10}%～{(k + 1) * 10}%"


def rule_explanation(rule: str, rules: Rules = DEFAULT_RULES) -> str:
    """What a TQ rule checks, in the words shown beside its flags (pages, downloads, the brief), with the thresholds
    of `rules`."""
    texts = {
        "TQ1": "指标值没有数字（含空白），或含“" + "、".join(VAGUE_WORDS[:6]) + "”等模糊用语。"
               "按项目最早填报的指标（通常是申报表）检查。",
        "TQ2": "指标值只写“" + "、".join(PLACEHOLDERS[:6]) + "”等，等于没有设定目标。",
        "TQ3": "项目编码与上年相同，本年全部指标的名称和指标值都与上年一字不差（照抄上年目标）。",
        "TQ4": f"指标性质为 ≥ 或 > 的指标，年末实际完成值（同一单位）达到指标值的 {rules.overshoot_factor:g} 倍及以上，"
               "目标可能定得过低。",
        "TQ5": "申报表有、单位自评表没有的指标（按三级指标名称对照；只查已有自评指标的项目）。",
        "TQ6": f"预算比上年（同一项目编码）增长超过 {rules.budget_up_share:.0%}，而全部产出指标的指标值都与上年相同。",
        "TQ7": f"同一年度、不同主管部门的两个项目名称相似度 ≥ {rules.duplicate_similarity:.0%}"
               "（去掉年份、标点和“项目、专项、资金、经费”后，按相邻两字的重合度计算），且预算相差不超过"
               f" {rules.duplicate_amount_share:.0%}；{ROUTINE_NAME_DEPARTMENTS} 个及以上部门都有的同名项目"
               "（如宣传工作经费）视为常规工作，不比较。",
        "TQ8": "有绩效指标、但任何阶段都没有成本指标的项目"
               + (f"（预算 ≥ {rules.cost_indicator_min_wan:g} 万元的项目才要求）。" if rules.cost_indicator_min_wan > 0
                  else "（每个项目都要求）。"),
    }
    return texts[rule]
