"""How figures read in the documents: 万元 to 0.01, percentages to 0.1, scores to 0.01, changes with a sign.

The documents format the rounded values of `summary --json` (dashboard.metrics.summary), so a brief's figure and the
JSON agree digit for digit; the UI's own formatting lives in dashboard.present.fmt (a layer above, not importable here).
"""

from __future__ import annotations

import datetime as dt
import math

DASH = "—"


def missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return str(x) in ("NaT", "nan", "<NA>")


def money(x) -> str:
    """万元 with thousands separators: 1,234.50."""
    return DASH if missing(x) else f"{float(x):,.2f}"


def wan(x) -> str:
    return DASH if missing(x) else f"{money(x)} 万元"


def pct(x, digits: int = 1) -> str:
    """A fraction as a percentage: 0.6257 → 62.6%."""
    return DASH if missing(x) else f"{float(x) * 100:.{digits}f}%"


def points(x, digits: int = 1) -> str:
    """Percentage points already in points (a lag of 26.57 → 26.6)."""
    return DASH if missing(x) else f"{float(x):.{digits}f}"


def score(x, digits: int = 2) -> str:
    return DASH if missing(x) else f"{float(x):.{digits}f}"


def count(n) -> str:
    return DASH if missing(n) else f"{int(n):,}"


def date(d) -> str:
    """A date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM (a midnight timestamp as its date)."""
    if d is None:
        return DASH
    if isinstance(d, dt.datetime):
        if str(d) == "NaT":
            return DASH
        return d.date().isoformat() if (d.hour, d.minute, d.second) == (0, 0, 0) else d.strftime("%Y-%m-%d %H:%M")
    if isinstance(d, dt.date):
        return d.isoformat()
    text = str(d)
    return DASH if text in ("NaT", "None", "nan", "") else text[:16].replace("T", " ")


def change(now, before, kind: str) -> str:
    """now − before in the figure's own unit: money 万元, pp (percentage points of ratios), score, count."""
    if missing(now) or missing(before):
        return DASH
    d = float(now) - float(before)
    if kind == "money":
        return f"{d:+,.2f} 万元"
    if kind == "pct":
        return f"{d * 100:+.1f} 个百分点"
    if kind == "score":
        return f"{d:+.2f} 分"
    return f"{round(d):+,}"


def fmt(value, kind: str) -> str:
    return {"money": money, "pct": pct, "score": score, "count": count}[kind](value)


_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (section numbers)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + ("" if ones == 0 else _DIGITS[ones])
