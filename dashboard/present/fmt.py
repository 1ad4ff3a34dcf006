"""How a figure reads, on screen and on paper alike: the pages, the 部门简报 and the 年度报告 format through here.

One set of digits per kind of figure (the constants below say it once):

    money       万元 to 0.01 with thousands separators. In words (`wan`, `wan_unit`, `wan_delta`) 亿元 from
                10,000 万元 up, also to 0.01: '1,234.50 万元', '37.59 亿元'. Under a heading that names 万元
                (a table column, the brief's 预算（万元） row) the bare number in 万元 (`money`), never 亿元;
                on a chart label too small for 0.01, whole 万元 (`money_short`).
    percentage  a fraction to 0.1 percent: '62.6%'; its change in 个百分点 to 0.1: '+1.2 个百分点'.
    points      a figure already in percentage points (the lag of a warning light) to 0.1: '26.6'.
    score       to 0.1 point: '83.1 分', or '83.1' under a heading that says 分 or 得分; a change '+4.1 分'.
    count       a whole number with thousands separators: '1,234'; a change '+2'.
    date        YYYY-MM-DD; a time (an import batch, the moment a document was made) YYYY-MM-DD HH:MM.

An unknown figure (None, NaN, NaT) reads as a dash. Column headers live in dashboard.present.labels, colours in
dashboard.present.palette, enumerations and their labels in dashboard.core.vocab.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.core.vocab import MONEY_SCALES

DASH = "—"
YI = MONEY_SCALES["亿元"]  # 万元 per 亿元: amounts from here up are shown in 亿元
MONEY_DIGITS = 2
PCT_DIGITS = 1  # percentages, percentage points and lags
SCORE_DIGITS = 1

# The same digits spelled for the two media that format numbers themselves: Streamlit's table columns
# (sprintf-js) and the Excel downloads (number formats; the minus sign for negatives, never parentheses).
TABLE_MONEY = f"%,.{MONEY_DIGITS}f"
TABLE_ONE_DECIMAL = f"%.{PCT_DIGITS}f"  # scores, percentage points
EXCEL_MONEY = "#,##0." + "0" * MONEY_DIGITS
EXCEL_PERCENT = "0." + "0" * PCT_DIGITS + "%"
EXCEL_ONE_DECIMAL = "0." + "0" * PCT_DIGITS
EXCEL_COUNT = "#,##0"


def missing(x) -> bool:
    """None, NaN or NaT: shown as a dash, never as 'nan'."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


# ---- money (万元) -----------------------------------------------------------------------------------------

def money(x, signed: bool = False) -> str:
    """万元 as a bare number, for a heading that names the unit: '1,234.50' ('+1,234.50' when signed)."""
    if missing(x):
        return DASH
    x = float(x)
    sign = "+" if signed and x > 0 else ""
    return f"{sign}{x:,.{MONEY_DIGITS}f}"


def money_short(x) -> str:
    """万元 to the whole 万元 for a chart label with no room for 0.01 ('1,235'); the chart's title names the unit."""
    return DASH if missing(x) else f"{float(x):,.0f}"


def wan_unit(x) -> tuple[str, str]:
    """Money split into (number, unit) for KPI cards: ('37.59', '亿元') or ('1,234.50', '万元')."""
    if missing(x):
        return DASH, "万元"
    x = float(x)
    if abs(x) >= YI:
        return f"{x / YI:,.{MONEY_DIGITS}f}", "亿元"
    return f"{x:,.{MONEY_DIGITS}f}", "万元"


def wan(x) -> str:
    """Money given in 万元, in words: '1,234.50 万元', or '1.23 亿元' from 10,000 万元 up."""
    if missing(x):
        return DASH
    number, unit = wan_unit(x)
    return f"{number} {unit}"


def wan_delta(x) -> str | None:
    """A signed money change ('+1,200.00 万元', '-1.20 亿元'), None when unknown."""
    if missing(x):
        return None
    sign = "+" if x > 0 else ("-" if x < 0 else "")
    return sign + wan(abs(float(x)))


# ---- ratios and points ------------------------------------------------------------------------------------

def pct(frac) -> str:
    """A fraction as a percentage: 0.666 → '66.6%'."""
    if missing(frac):
        return DASH
    return f"{float(frac) * 100:.{PCT_DIGITS}f}%"


def pp_delta(frac_now, frac_before) -> str | None:
    """Change of a ratio between two years, in percentage points: '-2.5 个百分点'; None when either is unknown."""
    if missing(frac_now) or missing(frac_before):
        return None
    return f"{(float(frac_now) - float(frac_before)) * 100:+.{PCT_DIGITS}f} 个百分点"


def points(x) -> str:
    """A figure already in percentage points (a lag of 26.57 → '26.6')."""
    if missing(x):
        return DASH
    return f"{float(x):.{PCT_DIGITS}f}"


# ---- scores -----------------------------------------------------------------------------------------------

def score(x, unit: bool = True) -> str:
    """A score: '83.1 分', or '83.1' with unit=False (under a heading that already says 分 or 得分)."""
    if missing(x):
        return DASH
    return f"{float(x):.{SCORE_DIGITS}f}" + (" 分" if unit else "")


def score_delta(now, before) -> str | None:
    """Change of a score between two years ('+4.1 分'), None when either is unknown."""
    if missing(now) or missing(before):
        return None
    return f"{float(now) - float(before):+.{SCORE_DIGITS}f} 分"


# ---- counts -----------------------------------------------------------------------------------------------

def count(n, unit: str = "") -> str:
    if missing(n):
        return DASH
    return f"{int(n):,}{(' ' + unit) if unit else ''}"


def count_delta(now, before) -> str | None:
    if missing(now) or missing(before):
        return None
    return f"{int(now) - int(before):+,}"


# ---- a figure by its kind (the documents' headline and peer tables) ----------------------------------------

KINDS = ("money", "pct", "score", "count")


def figure(value, kind: str) -> str:
    """A figure of a table whose heading gives the unit: money (bare 万元), pct, score (bare), count."""
    if kind == "money":
        return money(value)
    if kind == "pct":
        return pct(value)
    if kind == "score":
        return score(value, unit=False)
    if kind == "count":
        return count(value)
    raise ValueError(f"unknown kind of figure: {kind!r}")


def change(now, before, kind: str) -> str:
    """now − before in the figure's own unit (money in 万元/亿元, pct in 个百分点, score in 分); a dash when unknown."""
    if kind == "money":
        d = None if missing(now) or missing(before) else float(now) - float(before)
        out = wan_delta(d)
    elif kind == "pct":
        out = pp_delta(now, before)
    elif kind == "score":
        out = score_delta(now, before)
    elif kind == "count":
        out = count_delta(now, before)
    else:
        raise ValueError(f"unknown kind of figure: {kind!r}")
    return DASH if out is None else out


# ---- dates ------------------------------------------------------------------------------------------------

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


# ---- section numbers --------------------------------------------------------------------------------------

_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (the documents' section numbers)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + ("" if ones == 0 else _DIGITS[ones])
