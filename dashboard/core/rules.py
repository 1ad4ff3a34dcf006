"""Domain rules from docs/rules.md as small pure functions; thresholds come from `settings.Rules`.

Metrics (SQL) and the importer use these same functions or mirror them in SQL with the same
thresholds; tests check both against each other.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from dashboard.core.settings import Rules
from dashboard.core.vocab import (
    FINDING_EXCLUSIONS,
    GRADE_RANK,
    GREEN,
    GREY,
    LIGHT_ORDER,
    MET,
    NOT_MET,
    RECTIFIED,
    RED,
    STAGE_MONITORING,
    UNKNOWN,
    YELLOW,
)

DEFAULT_RULES = Rules()

# Tolerance for comparing figures with thresholds: 66.6 − 56.6 must count as a lag of exactly 10.
EPS = 1e-9


def grade_for_score(score: float | None, rules: Rules = DEFAULT_RULES) -> str | None:
    """Grade from a 100-point score.

    docs/rules.md: "Grade from a 100-point score: ≥90 优, ≥80 良, ≥60 中, else 差
    (财预〔2020〕10号 bands "90（含）以上为优…")." Lower bound inclusive: 89.99 → 良, 90 → 优.
    """
    if score is None:
        return None
    if score >= rules.grade_excellent:
        return "优"
    if score >= rules.grade_good:
        return "良"
    if score >= rules.grade_pass:
        return "中"
    return "差"


def time_progress(as_of: dt.date) -> float:
    """序时进度 as a fraction.

    docs/rules.md: "Time progress 序时进度 T at the monitoring date = days elapsed ÷ days in the year
    (2022-08-31 → 66.6%)." Days elapsed counts the as-of day itself (Jan 1 → 1/365).
    """
    days_in_year = 366 if calendar.isleap(as_of.year) else 365
    return as_of.timetuple().tm_yday / days_in_year


def budget_base(adjusted: float | None, initial: float | None) -> float | None:
    """The execution-rate denominator.

    docs/rules.md: "执行数 ÷ 调整后预算数 (fall back to 年初预算 where no adjusted budget is given)".
    """
    return adjusted if adjusted is not None else initial


def execution_rate(executed: float | None, adjusted: float | None, initial: float | None = None) -> float | None:
    """预算执行率 as a fraction; None when there is no executed figure or no positive budget.

    docs/rules.md: "Execution rate 预算执行率 = 执行数 ÷ 调整后预算数 (fall back to 年初预算 where no
    adjusted budget is given ...). Can exceed 100% in bad data: show it, flag it."
    """
    base = budget_base(adjusted, initial)
    if executed is None or base is None or base <= 0:
        return None
    return executed / base


def lag_light(lag_points: float, rules: Rules = DEFAULT_RULES) -> str:
    """Light for a lag in percentage points.

    docs/rules.md: "lag = T − execution rate in percentage points: green < 10, yellow 10 ≤ lag < 20,
    red ≥ 20 (a lag of exactly 10.0 is yellow, exactly 20.0 red)."
    """
    if lag_points >= rules.red_lag - EPS:
        return RED
    if lag_points >= rules.yellow_lag - EPS:
        return YELLOW
    return GREEN


def checkpoint_threshold(as_of: dt.date, rules: Rules = DEFAULT_RULES) -> float | None:
    """The fixed-checkpoint minimum (percent) in force on a date: the latest checkpoint month-end ≤ as_of."""
    threshold = None
    for month, minimum in rules.checkpoints:
        month_end = dt.date(as_of.year, month, calendar.monthrange(as_of.year, month)[1])
        if as_of >= month_end:
            threshold = minimum
    return threshold


def warning_light(
    as_of: dt.date | None,
    rate: float | None,
    target_progress: float | None = None,
    rules: Rules = DEFAULT_RULES,
) -> str:
    """Warning light of one monitoring record (rates as fractions).

    docs/rules.md: "If a target-progress figure is given, the same bands apply to T − target progress and
    the worse light wins. A project that should have reported and did not is grey (未报送). A second
    preset, fixed checkpoints (四川 2025 practice): red if cumulative execution is below 25% at
    end of April, 40% at end of June, 60% at end of August, 80% at end of October."

    With no record (as_of None) the light is grey. A record without an execution figure is judged on
    target progress alone; with neither it counts as not reported (grey) too. In the checkpoint preset a record before the
    first checkpoint is green, and target progress is not used.
    """
    if as_of is None or (rate is None and target_progress is None):
        return GREY
    if rules.warning_preset == "checkpoints":
        threshold = checkpoint_threshold(as_of, rules)
        if rate is None or threshold is None:
            return GREEN
        return RED if rate * 100 < threshold - EPS else GREEN
    t = time_progress(as_of) * 100
    lights = []
    if rate is not None:
        lights.append(lag_light(t - rate * 100, rules))
    if target_progress is not None:
        lights.append(lag_light(t - target_progress * 100, rules))
    return max(lights, key=LIGHT_ORDER.__getitem__)


@dataclass(frozen=True)
class Inflation:
    gap: float | None
    flagged: bool


def self_evaluation_inflation(
    self_score: float | None,
    independent_score: float | None,
    self_grade: str | None = None,
    independent_grade: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> Inflation:
    """自评虚高 for one project and year.

    docs/rules.md: "where a project has both a 单位自评 score and an independent score (抽查复核 or
    财政重点评价) for the same year, gap = self − independent; flag gap ≥ 10 points or a different
    grade." Grades are taken from the scores when given, else from the records. Inflation is the self
    rating being *higher*: a self grade below the independent one is a different grade but not flagged.
    """
    g_self = grade_for_score(self_score, rules) or self_grade
    g_ind = grade_for_score(independent_score, rules) or independent_grade
    gap = None
    if self_score is not None and independent_score is not None:
        gap = round(self_score - independent_score, 9)
    flagged = (gap is not None and gap >= rules.inflation_gap - EPS) or (
        g_self is not None and g_ind is not None and GRADE_RANK[g_self] < GRADE_RANK[g_ind]
    )
    return Inflation(gap=gap, flagged=flagged)


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """docs/rules.md: "Overdue = not 已整改 and today past the deadline" (not overdue on the deadline day)."""
    return status != RECTIFIED and deadline is not None and today > deadline


def days_overdue(status: str, deadline: dt.date | None, today: dt.date) -> int:
    return (today - deadline).days if is_overdue(status, deadline, today) else 0


def age_bucket(days: int, rules: Rules = DEFAULT_RULES) -> str:
    """docs/rules.md: "Age buckets ≤30, 31–90, 91–180, >180 days" (here: days overdue of an open finding)."""
    lower = 0
    for upper in rules.age_buckets:
        if days <= upper:
            return f"≤{upper}天" if lower == 0 else f"{lower + 1}–{upper}天"
        lower = upper
    return f">{lower}天"


def age_bucket_labels(rules: Rules = DEFAULT_RULES) -> list[str]:
    bounds = list(rules.age_buckets)
    return [age_bucket(b, rules) for b in bounds] + [age_bucket(bounds[-1] + 1, rules)]


def is_verified(status: str | None, verified_on: dt.date | None) -> bool:
    """docs/rules.md 整改 R-Z2: 已核验 = the unit reported it 已整改 and a 核验日期 is recorded."""
    return status == RECTIFIED and verified_on is not None


def counts_as_rectified(status: str | None, verified_on: dt.date | None, rules: Rules = DEFAULT_RULES) -> bool:
    """docs/rules.md 整改 R-Z2: what 整改率 counts — 已核验 findings (rectification_basis "verified", the default)
    or every finding the unit reports 已整改 ("reported")."""
    if rules.rectification_basis == "reported":
        return status == RECTIFIED
    return is_verified(status, verified_on)


def rectification_rate(reported: int, verified: int, total: int, rules: Rules = DEFAULT_RULES) -> float | None:
    """docs/rules.md 整改 R-Z2: 整改率 = the findings counts_as_rectified ÷ all findings — `verified` (已核验) under
    rectification_basis "verified", `reported` (every 已整改) under "reported"; None without findings."""
    counted = reported if rules.rectification_basis == "reported" else verified
    return counted / total if total else None


def is_excluded(exclusion: str | None, reason: str | None) -> bool:
    """docs/rules.md 整改 R-Z3: marked 历史遗留 / 客观原因 with a 特殊情形说明 that is not blank (spaces only is
    blank). A mark without a reason is not excluded (the import warns)."""
    return exclusion in FINDING_EXCLUSIONS and reason is not None and reason.strip(" ") != ""


def direct_rate(verified: int, total: int) -> float | None:
    """docs/rules.md 整改 R-Z3: 直接落实率 = 已核验 ÷ all findings."""
    return verified / total if total else None


def overall_rate(verified_kept: int, total: int, excluded: int) -> float | None:
    """docs/rules.md 整改 R-Z3: 综合整改率 = 已核验 ÷ (all − excluded), the excluded findings (is_excluded) left out
    of both sides (`verified_kept` = 已核验 and not excluded); None when nothing is left."""
    base = total - excluded
    return verified_kept / base if base > 0 else None


def vote_share(votes: int, total: int) -> float | None:
    """docs/rules.md 人大满意度测评: 满意率 = 满意 ÷ all votes, 满意及基本满意率 = (满意 + 基本满意) ÷ all votes; None
    without votes."""
    return votes / total if total else None


def is_overdue_original(status: str, original: dt.date | None, deadline: dt.date | None, today: dt.date) -> bool:
    """docs/rules.md 整改 R-Z1: 按原定时限逾期 = is_overdue judged on the original deadline (the current one where
    no original is recorded)."""
    return is_overdue(status, original if original is not None else deadline, today)


_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def normalised_text(text: str | None) -> str:
    """A finding's text as 屡审屡犯 compares it: NFKC, lower case, without spaces, punctuation or symbols."""
    if not text:
        return ""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", str(text)).lower())


def bigrams(text: str | None) -> frozenset[str]:
    """The character bigrams of normalised_text (a one-character text is its own single 'bigram')."""
    t = normalised_text(text)
    if len(t) < 2:
        return frozenset({t}) if t else frozenset()
    return frozenset(t[i:i + 2] for i in range(len(t) - 1))


def text_similarity(a: str | None, b: str | None) -> float:
    """docs/rules.md 整改 R-Z4: character-bigram Jaccard of two normalised texts, |A∩B| ÷ |A∪B| (0 when either is
    empty)."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


@dataclass(frozen=True)
class FindingRef:
    """What 屡审屡犯 needs of a finding: id, year, unit or department, project (by code), 问题类别 and text."""

    id: int
    year: int
    department_id: int
    unit_id: int | None
    project_code: str | None
    category: str | None
    description: str | None


def same_kind(earlier: FindingRef, later: FindingRef, rules: Rules = DEFAULT_RULES) -> bool:
    """The same kind of problem: the same 问题类别 (normalised, both given) or texts at least repeat_similarity alike."""
    a, b = normalised_text(earlier.category), normalised_text(later.category)
    if a and a == b:
        return True
    return text_similarity(earlier.description, later.description) >= rules.repeat_similarity - EPS


def same_subject(earlier: FindingRef, later: FindingRef) -> bool:
    """The same 预算单位, or — a finding of a department as a whole (no unit) — a finding of the same 主管部门 as a
    whole; or the same project (its 项目编码, which stays the same across years)."""
    if later.unit_id is not None:
        if earlier.unit_id == later.unit_id:
            return True
    elif earlier.unit_id is None and earlier.department_id == later.department_id:
        return True
    return bool(later.project_code) and earlier.project_code == later.project_code


def is_repeat(earlier: FindingRef, later: FindingRef, rules: Rules = DEFAULT_RULES) -> bool:
    """docs/rules.md 整改 R-Z4 屡审屡犯: `earlier` is of an earlier year, of the same subject (same_subject), and of the
    same kind (same_kind)."""
    return earlier.year < later.year and same_subject(earlier, later) and same_kind(earlier, later, rules)


def repeat_links(current: list[FindingRef], earlier: list[FindingRef],
                 rules: Rules = DEFAULT_RULES) -> dict[int, FindingRef]:
    """For each finding of `current` that is_repeat of one of `earlier`: the earlier finding it repeats — the latest
    year, then the most similar text, then the lowest id. Candidates are only the earlier findings of the same unit,
    department or project, and each text's bigrams are computed once, so a province's year takes about a second;
    the decision is is_repeat's (tests/core/test_rectification_rules.py checks the two agree)."""
    by_unit: dict[int, list[FindingRef]] = {}
    by_dept: dict[int, list[FindingRef]] = {}
    by_code: dict[str, list[FindingRef]] = {}
    for e in earlier:
        if e.unit_id is not None:
            by_unit.setdefault(e.unit_id, []).append(e)
        else:
            by_dept.setdefault(e.department_id, []).append(e)
        if e.project_code:
            by_code.setdefault(e.project_code, []).append(e)
    grams: dict[int, frozenset[str]] = {}
    kinds: dict[int, str] = {}
    for r in (*earlier, *current):
        grams[r.id] = bigrams(r.description)
        kinds[r.id] = normalised_text(r.category)

    def similarity(a: FindingRef, b: FindingRef) -> float:
        x, y = grams[a.id], grams[b.id]
        return len(x & y) / len(x | y) if x and y else 0.0

    out: dict[int, FindingRef] = {}
    for f in current:
        pool = by_unit.get(f.unit_id, []) if f.unit_id is not None else by_dept.get(f.department_id, [])
        if f.project_code:
            pool = pool + by_code.get(f.project_code, [])
        best = None
        for e in pool:
            if e.year >= f.year:
                continue
            sim = similarity(e, f)
            if not ((kinds[e.id] and kinds[e.id] == kinds[f.id]) or sim >= rules.repeat_similarity - EPS):
                continue
            key = (e.year, sim, -e.id)
            if best is None or key > best[0]:
                best = (key, e)
        if best is not None:
            out[f.id] = best[1]
    return out


def coverage(part: float, whole: float) -> float | None:
    """docs/rules.md: "target coverage by money = Σ budget of projects with targets ÷ Σ budget (also by count)"."""
    return part / whole if whole else None


def execution_subscore(rate: float | None, as_of: dt.date | None, rules: Rules = DEFAULT_RULES) -> float | None:
    """Execution sub-score (0–100) of the composite: max(0, 100 − penalty × lag points), lag = T − rate.

    docs/rules.md names the sub-score "execution (lag-based)"; with the default penalty 2 a department at the
    red line (lag 20) scores 60, the pass mark, and one ahead of time progress scores 100.
    """
    if rate is None or as_of is None:
        return None
    lag = max(0.0, time_progress(as_of) * 100 - rate * 100)
    return max(0.0, 100.0 - rules.execution_penalty * lag)


def composite_score(subscores: dict[str, float | None], rules: Rules = DEFAULT_RULES) -> float | None:
    """Department composite score for rankings.

    docs/rules.md: "a weighted sum of sub-scores on 0–100 — target coverage, execution (lag-based), average
    evaluation score, rectification rate, share not red — with default weights 20/20/30/20/10."
    A missing sub-score (no evaluations, no findings, ...) is left out and the remaining weights are
    rescaled to 100, so departments are not punished for what was not examined.
    """
    weights = rules.weights()
    present = {k: v for k, v in subscores.items() if v is not None and weights.get(k)}
    total_weight = sum(weights[k] for k in present)
    if not total_weight:
        return None
    return sum(weights[k] * v for k, v in present.items()) / total_weight


# -- vectorised twins ----------------------------------------------------------------------------------
# Twins of the rules above for whole numpy arrays at once (the demo generator judges a million
# monitoring records at province scale; a Python loop over the scalar rules would dominate its time).
# Each twin applies the same thresholds, inclusive bounds and EPS tolerance as the scalar rule it names;
# tests/core/test_rules.py checks each one equals its scalar rule element-wise at and around the thresholds.
# Missing values are NaN (numbers) or NaT (dates) where the scalar rule takes None.

_LIGHT_CODES = np.array([GREEN, YELLOW, RED], dtype=object)  # index = LIGHT_ORDER value


def grades_for_scores(scores, rules: Rules = DEFAULT_RULES) -> np.ndarray:
    """Twin of `grade_for_score`: an object array of 优/良/中/差, None where the score is NaN."""
    s = np.asarray(scores, dtype=float)
    out = np.select([s >= rules.grade_excellent, s >= rules.grade_good, s >= rules.grade_pass],
                    ["优", "良", "中"], "差").astype(object)
    out[np.isnan(s)] = None
    return out


def time_progress_many(days) -> np.ndarray:
    """Twin of `time_progress` for dates (datetime64[D] or datetime.date items): as-of day counted, leap years 366.

    numpy's calendar is the proleptic Gregorian one, so 2100 has 365 days and 2000 has 366, as in
    `calendar.isleap`.
    """
    d = np.asarray(days, dtype="datetime64[D]")
    first = d.astype("datetime64[Y]")
    elapsed = (d - first.astype("datetime64[D]")).astype(np.int64) + 1
    in_year = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    return elapsed / in_year


def _lag_codes(lag_points: np.ndarray, rules: Rules) -> np.ndarray:
    """0 green, 1 yellow, 2 red (LIGHT_ORDER) for each lag, as `lag_light` decides; -1 where NaN."""
    codes = np.where(lag_points >= rules.red_lag - EPS, 2, np.where(lag_points >= rules.yellow_lag - EPS, 1, 0))
    return np.where(np.isnan(lag_points), -1, codes)


def checkpoint_thresholds(as_of, rules: Rules = DEFAULT_RULES) -> np.ndarray:
    """Twin of `checkpoint_threshold`: the minimum (percent) in force on each date, NaN where none (or NaT)."""
    days = np.asarray(as_of, dtype="datetime64[D]")
    january = days.astype("datetime64[Y]").astype("datetime64[M]")
    threshold = np.full(days.shape, np.nan)
    for month, minimum in rules.checkpoints:
        month_end = (january + month).astype("datetime64[D]") - 1  # the day before the next month's first
        threshold = np.where(days >= month_end, minimum, threshold)
    return threshold


def warning_lights(as_of, rates, target_progress=None, rules: Rules = DEFAULT_RULES) -> np.ndarray:
    """Twin of `warning_light` for many records: an object array of green/yellow/red/grey.

    `as_of` is one date for all records or one per record (NaT: no record); `rates` and
    `target_progress` are fractions with NaN for a missing figure (`target_progress` None: none given).
    """
    rate = np.asarray(rates, dtype=float)
    tp = np.full(rate.shape, np.nan) if target_progress is None else np.asarray(target_progress, dtype=float)
    days = np.broadcast_to(np.asarray(as_of, dtype="datetime64[D]"), rate.shape)
    grey = np.isnat(days) | (np.isnan(rate) & np.isnan(tp))
    if rules.warning_preset == "checkpoints":
        threshold = checkpoint_thresholds(days, rules)
        red = ~np.isnan(rate) & ~np.isnan(threshold) & (rate * 100 < threshold - EPS)
        out = np.where(red, RED, GREEN).astype(object)
    else:
        t = time_progress_many(np.where(np.isnat(days), np.datetime64("2000-01-01"), days)) * 100
        codes = np.maximum(_lag_codes(t - rate * 100, rules), _lag_codes(t - tp * 100, rules))
        out = _LIGHT_CODES[np.maximum(codes, 0)]
    out[grey] = GREY
    return out


# -- performance indicators ------------------------------------------------------------------------------

# comparator words as forms write them, longest first (≥ is also written >=, 不低于, 不少于 ...)
_COMPARATOR_WORDS = (
    (">=", "≥"), ("<=", "≤"), ("≧", "≥"), ("≦", "≤"), ("⩾", "≥"), ("⩽", "≤"), ("大于等于", "≥"), ("小于等于", "≤"),
    ("不低于", "≥"), ("不少于", "≥"), ("不小于", "≥"), ("至少", "≥"), ("不高于", "≤"), ("不超过", "≤"), ("不多于", "≤"),
    ("不大于", "≤"), ("大于", ">"), ("高于", ">"), ("超过", ">"), ("小于", "<"), ("低于", "<"), ("少于", "<"),
    ("等于", "="), ("≥", "≥"), ("≤", "≤"), (">", ">"), ("<", "<"), ("=", "="),
)
_NUMBER_UNIT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(.*)$")
_UNIT_WORDS = {"百分比": "%", "百分之": "%", "％": "%"}


def indicator_text(value: object) -> str | None:
    """An indicator cell as stored and compared: NFKC (full-width digits and signs folded), no whitespace."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    return text or None


def parse_comparator(value: object) -> str | None:
    """A 指标性质 cell (≥ > = < ≤, or the words for them) → its sign; None when it is none of them."""
    text = indicator_text(value)
    if not text:
        return None
    for word, sign in _COMPARATOR_WORDS:
        if text == word:
            return sign
    return None


def parse_indicator_value(value: object) -> tuple[str | None, float | None, str | None]:
    """An 指标值 / 完成值 cell → (comparator, number, unit): "≥95%" → ("≥", 95.0, "%"),
    "125万平方米" → (None, 125.0, "万平方米"), "100%" → (None, 100.0, "%"); a text such as "效果明显" gives
    (None, None, None). Thousands separators are dropped; 百分比 is written %.
    """
    text = indicator_text(value)
    if not text:
        return None, None, None
    comparator = None
    for word, sign in _COMPARATOR_WORDS:
        if text.startswith(word):
            comparator, text = sign, text[len(word):]
            break
    text = text.replace(",", "")
    match = _NUMBER_UNIT.match(text)
    if not match:
        return comparator, None, None
    unit = match.group(2) or None
    if unit:
        for word, sign in _UNIT_WORDS.items():
            unit = unit.replace(word, sign)
        if re.search(r"\d", unit):  # "1-3天", "95%以上": not one number and a unit
            return comparator, None, None
    return comparator, float(match.group(1)), unit


def indicator_status(
    comparator: str | None,
    target_value: float | None,
    target_unit: str | None,
    target_text: str | None,
    actual_value: float | None,
    actual_unit: str | None,
    actual_text: str | None,
) -> str:
    """Whether an indicator's actual value satisfies its target: MET (已完成), NOT_MET (未完成) or UNKNOWN (无法判断).

    Issue 12 / docs/rules.md: numbers are compared with the comparator in the same unit ("125万平方米"
    against "≥120万平方米" is met; a bare target such as "100%" means "="); a text target is met only when
    the actual text equals it; anything else — no actual value, different or unreadable units, a text
    that differs — cannot be judged. Units must be written the same (万元 and 元 are different units).
    The parsed parts come from parse_indicator_value; texts from indicator_text.
    """
    if target_value is None:
        if target_text and actual_text and indicator_text(target_text) == indicator_text(actual_text):
            return MET
        return UNKNOWN
    if actual_value is None or (target_unit or "") != (actual_unit or ""):
        return UNKNOWN
    a, t = actual_value, target_value
    tol = EPS * max(1.0, abs(t))
    ok = {
        None: abs(a - t) <= tol, "=": abs(a - t) <= tol, "≥": a >= t - tol, ">": a > t + tol,
        "≤": a <= t + tol, "<": a < t - tol,
    }.get(comparator)
    if ok is None:
        return UNKNOWN
    return MET if ok else NOT_MET


def indicator_columns(target: object = None, actual: object = None, current: object = None,
                      expected: object = None, comparator: object = None, unit: object = None) -> dict:
    """Cells as written → the stored columns of an indicator (models.Indicator): each text as indicator_text,
    its number and unit as parse_indicator_value. `comparator` is a separate 指标性质 cell (it wins over a
    sign in the target); `unit` a separate 度量单位 cell, the unit of every number written without one."""
    t_cmp, t_val, t_unit = parse_indicator_value(target)
    unit_text = indicator_text(unit)
    for word, sign in _UNIT_WORDS.items():
        unit_text = unit_text.replace(word, sign) if unit_text else unit_text
    out = {"comparator": parse_comparator(comparator) or t_cmp, "target_text": indicator_text(target),
           "target_value": t_val, "target_unit": t_unit or (unit_text if t_val is not None else None)}
    for name, cell in (("actual", actual), ("current", current), ("expected", expected)):
        _, val, u = parse_indicator_value(cell)
        out[name + "_text"] = indicator_text(cell)
        out[name + "_value"] = val
        out[name + "_unit"] = u or (unit_text if val is not None else None)
    return out


def indicator_status_of(stage: str, columns: dict) -> str:
    """indicator_status of an indicator's stored columns (indicator_columns), judging the value the stage
    reports: the expected full-year value (全年预计完成) at 监控, the year-end actual (实际完成值) otherwise."""
    used = "expected" if stage == STAGE_MONITORING else "actual"
    return indicator_status(columns.get("comparator"), columns.get("target_value"), columns.get("target_unit"),
                            columns.get("target_text"), columns.get(used + "_value"), columns.get(used + "_unit"),
                            columns.get(used + "_text"))


# -- 金额单位 (amount unit) ----------------------------------------------------------------------------------

UNIT_OK, UNIT_CONVERT, UNIT_REFUSE = "ok", "convert", "refuse"
UNIT_RATIO = 10_000.0  # 元 read as 万元 is this many times too large


@dataclass(frozen=True)
class UnitVerdict:
    """What the evidence says about amounts read under a 万元 header: `verdict` UNIT_OK (keep), UNIT_CONVERT
    (clearly 元: convert) or UNIT_REFUSE (looks like 元: ask), and `reason`, the evidence as a Chinese clause
    ("" when there is none)."""

    verdict: str
    reason: str = ""


def _matches(texts: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each target amount (万元), the text amount equal to it as written — within 0.006 万元 (rounding to
    2 decimals) or 0.01% — else NaN. `texts` sorted."""
    out = np.full(len(targets), np.nan)
    if not len(texts) or not len(targets):
        return out
    i = np.searchsorted(texts, targets)
    for j in (i - 1, i):
        ok = (j >= 0) & (j < len(texts))
        cand = np.where(ok, texts[np.clip(j, 0, len(texts) - 1)], np.nan)
        near = ok & (np.abs(cand - targets) <= np.maximum(0.006, 1e-4 * np.abs(targets))) & np.isnan(out)
        out[near] = cand[near]
    return out


def _wan(v: float) -> str:
    """An amount as written: thousands separated, up to 6 decimals, no trailing zeros."""
    return f"{v:,.6f}".rstrip("0").rstrip(".") if v < 1e15 else f"{v:.4g}"


def amount_unit_verdict(values_wan, text_amounts_wan=(), history_wan=(), rules: Rules = DEFAULT_RULES) -> UnitVerdict:
    """Whether a table's amounts are plausibly in the 万元 its header says, from the evidence there is.

    docs/rules.md: "A table's amounts are judged in this order, the first evidence that speaks decides". `values_wan`
    are the amounts as read (万元); `text_amounts_wan` the amounts written as text in the same sheet
    (清扫保洁经费11940.368万元, in 万元); `history_wan` pairs (amount read, the same project's or department's
    amount already known), both in 万元.
    """
    values = np.asarray(values_wan, dtype=float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return UnitVerdict(UNIT_OK)
    texts = np.asarray(text_amounts_wan, dtype=float).ravel()
    texts = np.unique(texts[np.isfinite(texts) & (texts > 0)])
    if len(texts):
        as_yuan = _matches(texts, values / UNIT_RATIO)
        as_yuan[values < 100] = np.nan  # under 100 元 is no amount of a budget table
        as_wan = _matches(texts, values)
        yuan_hits, wan_hits = np.flatnonzero(~np.isnan(as_yuan)), np.flatnonzero(~np.isnan(as_wan))
        if len(yuan_hits) > len(wan_hits):
            k = yuan_hits[0]
            return UnitVerdict(UNIT_CONVERT, f"表中写的文字金额“{_wan(as_yuan[k])}万元”正是数额 {_wan(values[k])} 的万分之一")
        if len(wan_hits):
            return UnitVerdict(UNIT_OK, f"表中写的文字金额“{_wan(as_wan[wan_hits[0]])}万元”与数额一致")
    ratios = sorted(float(v) / float(h) for v, h in history_wan
                    if v is not None and h is not None and float(v) > 0 and float(h) > 0)
    if ratios:
        ratio = ratios[len(ratios) // 2]
        if ratio >= rules.unit_history_factor:
            return UnitVerdict(UNIT_REFUSE, f"数额是同一项目或部门已有金额的约 {ratio:,.0f} 倍")
        if ratio > 1 / rules.unit_history_factor:
            return UnitVerdict(UNIT_OK, "数额与同一项目或部门已有的金额相当")
    biggest = float(values.max())
    if biggest > rules.unit_project_max_wan:
        return UnitVerdict(UNIT_REFUSE, f"单个项目的数额 {_wan(biggest)} 万元超过 {_wan(rules.unit_project_max_wan)} 万元"
                                        f"（{rules.unit_project_max_wan / UNIT_RATIO:g} 亿元），不像一个项目的金额")
    return UnitVerdict(UNIT_OK)


def yuan_header_verdict(values_wan, text_amounts_wan=(), history_wan=(), rules: Rules = DEFAULT_RULES) -> UnitVerdict:
    """Whether amounts read under a 元 header (÷ 10,000 into 万元) are plausibly 元, or were filled in 万元 — the
    mistake the other way round, 10,000× too small. docs/rules.md 金额单位: a text amount in the sheet equal to a
    number as written (120 under 金额（元） beside 项目资金120万元) converts; the same projects' or departments'
    amounts in the database about 10,000× larger refuse; without evidence the header stands."""
    values = np.asarray(values_wan, dtype=float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return UnitVerdict(UNIT_OK)
    texts = np.asarray(text_amounts_wan, dtype=float).ravel()
    texts = np.unique(texts[np.isfinite(texts) & (texts > 0)])
    if len(texts):
        as_wan = _matches(texts, values * UNIT_RATIO)  # the numbers as written, read as 万元
        as_yuan = _matches(texts, values)
        as_yuan[values * UNIT_RATIO < 100] = np.nan  # under 100 元 is no amount of a budget table
        wan_hits, yuan_hits = np.flatnonzero(~np.isnan(as_wan)), np.flatnonzero(~np.isnan(as_yuan))
        if len(wan_hits) > len(yuan_hits):
            k = wan_hits[0]
            return UnitVerdict(UNIT_CONVERT, f"表中写的文字金额“{_wan(as_wan[k])}万元”正是表中数额 {_wan(values[k] * UNIT_RATIO)}"
                                             "按“万元”读的值")
        if len(yuan_hits):
            return UnitVerdict(UNIT_OK, "表中写的文字金额与按“元”读的数额一致")
    ratios = sorted(float(v) / float(h) for v, h in history_wan
                    if v is not None and h is not None and float(v) > 0 and float(h) > 0)
    if ratios:
        ratio = ratios[len(ratios) // 2]
        if ratio <= 1 / rules.unit_history_factor:
            return UnitVerdict(UNIT_REFUSE, f"按“元”读，数额只有同一项目或部门已有金额的约 1/{1 / ratio:,.0f}")
    return UnitVerdict(UNIT_OK)
