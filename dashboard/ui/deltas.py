"""Changes shown beside a figure: this year against last year for the KPI cards, and rank changes.

Pure functions of the figures (no Streamlit), so a test can call them: each returns the text of the change,
"持平" when it rounds to nothing, or None when either side is unknown.
"""

from __future__ import annotations

import re

from dashboard.present import fmt

FLAT = "持平"
# '+0.0 个百分点', '0', '-0.00 万元' — but not '+0.1 分' (a digit or a point may not follow the zeros)
_ZERO = re.compile(r"^[+-]?0(?:\.0+)?(?![\d.])")


def is_flat(delta: str | None) -> bool:
    """A change that shows as zero at the digits displayed (or is already 持平)."""
    return delta is not None and (delta == FLAT or bool(_ZERO.match(delta)))


def _flat_if_zero(delta: str | None) -> str | None:
    return FLAT if is_flat(delta) else delta


def money(now, before) -> str | None:
    """'+50.47 万元' for 750.47 against 700.00 (万元); 亿元 from 10,000 万元 up."""
    if fmt.missing(now) or fmt.missing(before):
        return None
    return _flat_if_zero(fmt.wan_delta(float(now) - float(before)))


def money_change(change) -> str | None:
    """A change already worked out, in 万元 ('+100.00 万元')."""
    return _flat_if_zero(fmt.wan_delta(change))


def points(now, before) -> str | None:
    """Change of a ratio in percentage points: 0.975 against 1.0 → '-2.5 个百分点'."""
    return _flat_if_zero(fmt.pp_delta(now, before))


def score(now, before) -> str | None:
    """Change of an average score: 83.1 against 79.0 → '+4.1 分'."""
    return _flat_if_zero(fmt.score_delta(now, before))


def count(now, before) -> str | None:
    """Change of a count: 3 against 1 → '+2'."""
    return _flat_if_zero(fmt.count_delta(now, before))


def year_on_year(now: dict, before: dict | None) -> dict[str, str | None]:
    """The overview's changes against last year, from two results of metrics.kpis (before=None: no last year).

    Keys: budget, coverage, execution, avg_score, rectification, red, yellow, grey, overdue, inflation.
    """
    before = before or {}
    p, m, e, f = (now[k] for k in ("projects", "monitoring", "evaluations", "findings"))
    pp, pm, pe, pf = (before.get(k) or {} for k in ("projects", "monitoring", "evaluations", "findings"))
    return {
        "budget": money(p.get("budget_total"), pp.get("budget_total")),
        "coverage": points(p.get("coverage_funds"), pp.get("coverage_funds")),
        "execution": points(m.get("execution_rate"), pm.get("execution_rate")),
        "avg_score": score(e.get("avg_score"), pe.get("avg_score")),
        "rectification": points(f.get("rate"), pf.get("rate")),
        "red": count(m.get("red"), pm.get("red")),
        "yellow": count(m.get("yellow"), pm.get("yellow")),
        "grey": count(m.get("grey"), pm.get("grey")),
        "overdue": count(f.get("overdue"), pf.get("overdue")),
        "inflation": count(e.get("inflation_flags"), pe.get("inflation_flags")),
    }


def rank_change(change) -> str:
    """Places gained (positive) or lost since last year: 1 → '↑1', -2 → '↓2', 0 → '持平', unknown → '—'."""
    if fmt.missing(change):
        return fmt.DASH
    change = int(change)
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return FLAT
