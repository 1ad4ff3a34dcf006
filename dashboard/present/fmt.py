"""Number, money and date formatting for the UI: 万元 with thousands separators, 亿元 from 10,000 万元 up.

Formatting only: column headers live in dashboard.present.labels, enumerations and their labels in dashboard.core.vocab.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.core.vocab import MONEY_SCALES

DASH = "—"
YI = MONEY_SCALES["亿元"]  # 万元 per 亿元: amounts from here up are shown in 亿元


def missing(x) -> bool:
    """None, NaN or NaT: shown as a dash, never as 'nan'."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def wan(x, digits: int = 2) -> str:
    """Money given in 万元: '1,234.50 万元', or '1.23 亿元' from 10,000 万元 up."""
    if missing(x):
        return DASH
    x = float(x)
    if abs(x) >= YI:
        return f"{x / YI:,.{digits}f} 亿元"
    return f"{x:,.{digits}f} 万元"


def wan_unit(x, digits: int = 2) -> tuple[str, str]:
    """Money split into (number, unit) for KPI cards: ('37.59', '亿元') or ('1,234.50', '万元')."""
    if missing(x):
        return DASH, "万元"
    x = float(x)
    if abs(x) >= YI:
        return f"{x / YI:,.{digits}f}", "亿元"
    return f"{x:,.{digits}f}", "万元"


def wan_delta(x, digits: int = 2) -> str | None:
    """A signed money change for st.metric's delta ('+1,200.00 万元'), None when unknown."""
    if missing(x):
        return None
    sign = "+" if x > 0 else ("-" if x < 0 else "")
    return sign + wan(abs(float(x)), digits)


def pct(frac, digits: int = 1) -> str:
    """A fraction as a percentage: 0.666 → '66.6%'."""
    if missing(frac):
        return DASH
    return f"{float(frac) * 100:.{digits}f}%"


def pp_delta(frac_now, frac_before, digits: int = 1) -> str | None:
    """Change of a ratio between two years, in percentage points, for st.metric's delta."""
    if missing(frac_now) or missing(frac_before):
        return None
    return f"{(float(frac_now) - float(frac_before)) * 100:+.{digits}f} 个百分点"


def score(x, digits: int = 1) -> str:
    if missing(x):
        return DASH
    return f"{float(x):.{digits}f} 分"


def score_delta(now, before, digits: int = 1) -> str | None:
    """Change of a score between two years ('+4.1 分'), None when either is unknown."""
    if missing(now) or missing(before):
        return None
    return f"{float(now) - float(before):+.{digits}f} 分"


def count(n, unit: str = "") -> str:
    if missing(n):
        return DASH
    return f"{int(n):,}{(' ' + unit) if unit else ''}"


def count_delta(now, before) -> str | None:
    if missing(now) or missing(before):
        return None
    return f"{int(now) - int(before):+,}"


def date(d) -> str:
    if missing(d):
        return DASH
    if isinstance(d, str):
        return d
    if isinstance(d, (dt.datetime, pd.Timestamp)):
        d = d.date()
    return d.isoformat()


def timestamp(value) -> str:
    """A batch's creation time to the minute ('2025-03-31 09:15'), from a datetime or an ISO string."""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value or "").replace("T", " ")[:16]
