"""Turning one spreadsheet cell into a typed value, or a plain-Chinese reason why it cannot be.

Every parser takes whatever calamine or the csv module gives (str, float, int, bool, date,
datetime, None) and returns ``(value, None)`` or ``(None, message)``; none of them raises.
`parse_column` applies a parser to a whole column, once per distinct value, because real
columns repeat the same few words and numbers thousands of times (the 100k-row budget).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from data_loaders import schema

Parsed = tuple[Any, str | None]

# Cells that mean "nothing here" in real files. 无 is also 否 in yes/no columns (see parse_bool).
BLANK_TOKENS = frozenset({
    "", "/", "\\", "-", "--", "---", "—", "——", "———", "–", "―", "－", "－－", "无", "空", "n/a", "N/A",
    "#N/A", "none", "None", "null", "NULL", "nan", "NaN",
})

_WS = re.compile(r"\s+")


_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width marks pasted from web pages
_INVISIBLE = str.maketrans("", "", _INVISIBLE_CHARS)


def nfkc(value: str) -> str:
    """NFKC (full-width digits, letters, brackets → ASCII), zero-width marks dropped, trimmed."""
    value = unicodedata.normalize("NFKC", value)
    if any(ch in value for ch in _INVISIBLE_CHARS):
        value = value.translate(_INVISIBLE)
    return value.strip()


def clean_text(value: Any) -> str | None:
    """A name or short text: NFKC, trimmed, inner whitespace runs collapsed to one space.

    Collapsing matters because units type the same name with stray spaces and line breaks,
    and names are matched exactly later ((一期) == （一期） after NFKC).
    """
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return _number_text(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or not value.time() else value.isoformat(" ")
    if not isinstance(value, str):
        value = str(value)
    text = _WS.sub(" ", nfkc(value))
    return None if text in BLANK_TOKENS else text


def clean_long_text(value: Any) -> str | None:
    """Long text (问题描述, 偏差原因): NFKC and trimmed per line, line breaks kept."""
    if isinstance(value, str):
        lines = [_WS.sub(" ", line).strip() for line in nfkc(value).splitlines()]
        text = "\n".join(line for line in lines if line)
        return None if text in BLANK_TOKENS else text
    return clean_text(value)


def _number_text(value: float) -> str:
    # codes typed as numbers come back from Excel as 219.0; they mean "219"
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return nfkc(value) in BLANK_TOKENS
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _show(value: Any) -> str:
    """How a bad cell is quoted back to the user: as typed, shortened."""
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    return text if len(text) <= 30 else text[:28] + "…"


# --- numbers ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_STRIP_IN_NUMBER = str.maketrans("", "", ", _'¥$")


def _to_float(text: str) -> float | None:
    """'1,234.50', '(12.5)' (accounting negative), '¥300' → float; None when it is not a number."""
    s = text.translate(_STRIP_IN_NUMBER)
    negative = False
    if len(s) > 2 and s[0] == "(" and s[-1] == ")":
        negative, s = True, s[1:-1]
    if not _NUMBER.fullmatch(s):
        return None
    number = float(s)
    return -number if negative else number


def parse_number(value: Any) -> Parsed:
    """Any plain number, possibly typed as text with thousands separators or full-width digits."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"“{_show(value)}” 不是数字"
    if isinstance(value, (int, float)):
        number = float(value)
        return (None, None) if math.isnan(number) else (number, None)
    if isinstance(value, (dt.date, dt.datetime)):
        return None, f"“{_show(value)}” 是日期，不是数字"
    text = nfkc(str(value))
    if text in BLANK_TOKENS:
        return None, None
    number = _to_float(text)
    if number is None or math.isinf(number):
        return None, f"“{_show(value)}” 不是数字"
    return number, None


def scaled(amount, scale: float):
    """Amount × scale; 元 → 万元 divides by 10000 rather than multiplying by 0.0001, so that
    1,200,000 元 is exactly 120 万元 (works on floats and numpy arrays)."""
    if scale == 1.0:
        return amount
    if scale < 1.0:
        return amount / round(1.0 / scale)
    return amount * scale


_UNIT_SUFFIX = re.compile(r"(.*?\d)\s*(亿元|万元|元)")
_UNIT_SCALE = {"万元": 1.0, "元": 0.0001, "亿元": 10000.0}


def parse_money(value: Any, scale: float = 1.0, signed: bool = False) -> Parsed:
    """An amount, multiplied by `scale` (1 for 万元, 0.0001 for 元); negative refused unless `signed`.

    A unit typed in the cell ("12.5万元", "3,000元") is that cell's own unit and wins over the column's.
    """
    typed = value
    if isinstance(value, str):
        match = _UNIT_SUFFIX.fullmatch(nfkc(value))
        if match:
            number, error = parse_number(match.group(1))
            if error is None and number is not None:
                value, scale = number, _UNIT_SCALE[match.group(2)]
    number, error = parse_number(value)
    if error or number is None:
        return number, error
    if number < 0 and not signed:
        return None, f"金额不能为负数（“{_show(typed)}”）"
    return scaled(number, scale), None


# Percent rule (documented in docs/data-formats.md): "86%" is 0.86; a bare number above 1.5 is
# percentage points (86 → 0.86), a bare number up to 1.5 is already a fraction (0.86, 1.2 = 120%).
# Excel cells formatted as 86% hold 0.86, which is why fractions must be accepted at all.
PERCENT_POINTS_ABOVE = 1.5


def parse_percent(value: Any) -> Parsed:
    if isinstance(value, str):
        text = nfkc(value)
        if text.endswith("%"):
            number = _to_float(text[:-1].strip())
            if number is None:
                return None, f"“{_show(value)}” 不是百分数"
            if number < 0:
                return None, f"百分比不能为负数（“{_show(value)}”）"
            return number / 100.0, None
    number, error = parse_number(value)
    if error:
        return None, f"“{_show(value)}” 不是百分数"
    if number is None:
        return None, None
    if number < 0:
        return None, f"百分比不能为负数（“{_show(value)}”）"
    return (number / 100.0 if number > PERCENT_POINTS_ABOVE else number), None


def parse_score(value: Any) -> Parsed:
    """A 100-point score; "85分" accepted; outside 0–100 refused."""
    if isinstance(value, str):
        text = nfkc(value)
        if text.endswith("分"):
            value = text[:-1]
    number, error = parse_number(value)
    if error:
        return None, f"“{_show(value)}” 不是分数"
    if number is not None and not 0 <= number <= 100:
        return None, f"得分 {_show(number)} 不在 0–100 之间"
    return number, None


def parse_year(value: Any) -> Parsed:
    """2022, 2022.0, "2022", "2022年", "2022年度" → 2022 (2000–2100)."""
    if value is None or isinstance(value, bool):
        return (None, None) if value is None else (None, f"“{_show(value)}” 不是年度")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None, None
        year = int(value) if float(value).is_integer() else None
    elif isinstance(value, (dt.date, dt.datetime)):
        year = value.year
    else:
        text = nfkc(str(value))
        if text in BLANK_TOKENS:
            return None, None
        match = re.fullmatch(r"(\d{4})(?:\.0)?(?:年度?)?", text)
        year = int(match.group(1)) if match else None
    if year is None or not 2000 <= year <= 2100:
        return None, f"“{_show(value)}” 不是年度（应为 2000–2100 的四位年份，如 2022）"
    return year, None


# --- dates -----------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's 1900 system, counting its phantom 1900-02-29
_DATE_HINT = "（可写作 2022-08-31、2022/8/31、2022年8月31日 或 2022.08）"
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_YM = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*(?:底|末)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_date(value: Any) -> Parsed:
    """A date from an Excel date cell, a serial number or text; a month alone means its last day.

    Accepted text: 2022-08-31, 2022/8/31, 2022.8.31, 2022年8月31日, 20220831, 2022.08, 2022-08,
    2022年8月(底). A day that does not exist (2022-06-31, 2022年13月5日) is refused.
    """
    if value is None:
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, bool):
        return None, f"“{_show(value)}” 不是日期{_DATE_HINT}"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None, None
        # serials 1..73050 cover 1900-01-01..2099-12-31; anything else is not a date
        if 1 <= value < 73051 and float(value).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), None
        return None, f"“{_show(value)}” 不是日期{_DATE_HINT}"
    text = nfkc(str(value))
    if text in BLANK_TOKENS:
        return None, None
    for pattern in (_YMD, _COMPACT):
        match = pattern.fullmatch(text)
        if match:
            y, mo, d = (int(g) for g in match.groups())
            try:
                return dt.date(y, mo, d), None
            except ValueError:
                return None, f"“{_show(value)}” 不是有效日期（{_why_invalid(y, mo, d)}）"
    match = _YM.fullmatch(text)
    if match:
        y, mo = int(match.group(1)), int(match.group(2))
        if 1 <= mo <= 12 and y >= 1900:
            return month_end(y, mo), None
        return None, f"“{_show(value)}” 不是有效日期（没有{mo}月）"
    if re.fullmatch(r"\d+(\.0+)?", text):
        return parse_date(float(text))
    return None, f"“{_show(value)}” 不是日期{_DATE_HINT}"


def _why_invalid(y: int, mo: int, d: int) -> str:
    if not 1 <= mo <= 12:
        return f"没有{mo}月"
    if y < 1:
        return "年份不对"
    return f"{y}年{mo}月只有{calendar.monthrange(y, mo)[1]}天"


# --- yes/no and enumerations -----------------------------------------------------------------

_TRUE = frozenset({"是", "√", "✓", "✔", "☑", "y", "yes", "true", "有", "1", "对", "已设定", "设定", "已设置"})
_FALSE = frozenset({"否", "×", "✗", "✘", "x", "☐", "n", "no", "false", "无", "0", "没有", "未设定", "未设置", "不需要"})
_BLANK_FOR_BOOL = BLANK_TOKENS - {"无"}  # in a yes/no column 无 means 否, not "empty"


def parse_bool(value: Any) -> Parsed:
    if value is None:
        return None, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None, None
        if value in (0, 1):
            return bool(value), None
        return None, f"“{_show(value)}” 不是“是/否”（可填：是、否、√、×、Y、N、有、无）"
    text = nfkc(str(value))
    if text in _BLANK_FOR_BOOL:
        return None, None
    key = text.lower().replace(" ", "")
    if key in _TRUE:
        return True, None
    if key in _FALSE:
        return False, None
    return None, f"“{_show(value)}” 不是“是/否”（可填：是、否、√、×、Y、N、有、无）"


# canonical value -> words accepted for it (the canonical value itself is always accepted)
ENUM_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "grade": {
        "优": ("优秀", "A", "优等"), "良": ("良好", "B", "较好"), "中": ("合格", "一般", "及格", "C", "中等"),
        "差": ("不合格", "较差", "不及格", "D"),
    },
    "status": {
        # 是/否 answer a 是否整改到位 column
        "已整改": ("已完成", "已销号", "完成", "整改完成", "已整改完成", "销号", "已完成整改", "已整改到位", "是"),
        "整改中": ("正在整改", "推进中", "部分整改", "整改中", "进行中", "部分完成", "持续整改"),
        "未整改": ("未启动", "未开始", "未完成", "尚未整改", "待整改", "否"),
    },
    "likelihood": {
        "确定能": ("1", "能", "确定", "确定能完成", "能完成"),
        "有可能": ("2", "可能", "有可能完成", "基本能"),
        "完全不可能": ("3", "不可能", "不能", "完全不可能完成", "不能完成"),
    },
    "kind": {
        "单位自评": ("自评", "单位自评价", "项目自评", "绩效自评"),
        "部门评价": ("部门自评", "部门评价", "部门重点评价"),
        "财政重点评价": ("重点评价", "财政评价", "第三方评价", "财政重点", "第三方", "财政绩效评价", "重点绩效评价"),
        "抽查复核": ("复核", "抽查", "自评复核", "抽查复核", "财政复核", "自评抽查"),
    },
    "object_type": {
        "项目支出": ("项目", "项目支出绩效", "项目评价"),
        "部门整体支出": ("部门整体", "整体支出", "部门整体支出绩效", "整体"),
        "政策": ("政策评价", "专项政策", "政策和项目"),
    },
    "category": {
        "项目支出": ("项目",),
        "部门整体支出": ("部门整体", "整体支出"),
        "政策": ("政策评价",),
        "新增债券": ("债券", "一般债券", "专项债券", "新增债券项目", "政府债券"),
    },
    "fund_source": {
        "一般公共预算": ("一般公共", "一般预算", "公共预算", "一般公共预算资金"),
        "政府性基金预算": ("政府性基金", "基金预算", "政府基金"),
        "国有资本经营预算": ("国有资本经营", "国有资本", "国资预算"),
        "社会保险基金预算": ("社会保险基金", "社保基金", "社会保险"),
    },
    "unit_kind": {
        "部门": ("行政单位", "事业单位", "部门单位", "一级预算单位", "主管部门"),
        "乡镇街道": ("乡镇", "街道", "乡镇(街道)", "镇", "乡", "乡镇街道办"),
        "园区": ("开发区", "园区管委会", "工业园区", "高新区"),
    },
    "ex_ante_result": {
        "支持": ("予以支持", "通过"),
        "调整后支持": ("修改后支持", "调整后通过", "部分支持"),
        "不予支持": ("不支持", "不通过"),
    },
}
ENUM_SYNONYMS["target_grade"] = ENUM_SYNONYMS["grade"]

ENUM_NOUN = {
    "grade": "等级", "target_grade": "目标审核等级", "status": "整改状态", "likelihood": "完成目标可能性",
    "kind": "评价类型", "object_type": "评价对象类型", "category": "项目类别", "fund_source": "资金来源",
    "unit_kind": "单位类型", "ex_ante_result": "事前评估结论",
}


def _enum_key(text: str) -> str:
    return re.sub(r"[\s:：]", "", nfkc(text)).lower()


def enum_parser(field: str, values: Sequence[str]) -> Callable[[Any], Parsed]:
    """A parser for one enumerated field: its canonical values plus the synonyms above."""
    lookup = {_enum_key(v): v for v in values}
    for canonical, words in ENUM_SYNONYMS.get(field, {}).items():
        if canonical in values:
            for word in words:
                lookup.setdefault(_enum_key(word), canonical)
    noun = ENUM_NOUN.get(field, "取值")
    accepted = "、".join(values)

    def parse(value: Any) -> Parsed:
        if value is None:
            return None, None
        if isinstance(value, float):
            if math.isnan(value):
                return None, None
            value = _number_text(value)  # likelihood coded 1/2/3
        text = nfkc(str(value))
        if text in BLANK_TOKENS:
            return None, None
        hit = lookup.get(_enum_key(text))
        if hit is None:
            return None, f"“{_show(value)}” 不是可接受的{noun}，可填：{accepted}"
        return hit, None

    return parse


# --- codes and names -------------------------------------------------------------------------

# A leading code of letters and digits (≥3 characters, at least one digit), then -, －, — or –.
# (split_code_name below implements this with str methods.)
# Guards against splitting names that merely start with digits: after a short all-digit code
# (219, 101001 is fine) the name must not start with a digit, and a bare year (2022-…) is never
# a code — so "2022-2023年项目" and "5G-基站" stay whole, while
# "51092324T000010263357-2023年全县安可替代补助资金项目" splits.


_SEPARATORS = "-－—–"


def split_code_name(text: str | None) -> tuple[str | None, str | None]:
    """'51000021R000000019951-工资性支出' → ('51000021R000000019951', '工资性支出').

    Split at the first separator after the leading code; everything after it, hyphens included,
    is the name. Text without such a code comes back as (None, text). (str methods rather than
    a regular expression: national exports put a code on every one of 100k names.)
    """
    if not text:
        return None, text
    cut = -1
    for sep in _SEPARATORS:
        i = text.find(sep)
        if i > 0 and (cut < 0 or i < cut):
            cut = i
    if cut < 0:
        return None, text
    code = text[:cut].rstrip()
    # letters and digits only, at least 3, at least one digit (isalnum alone would accept CJK)
    if len(code) < 3 or not (code.isascii() and code.isalnum()) or code.isalpha():
        return None, text
    name = text[cut:].lstrip(_SEPARATORS).strip()
    if not name:
        return None, text
    if code.isdigit():
        if len(code) == 4 and 1900 <= int(code) <= 2100:
            return None, text
        if len(code) < 6 and name[0].isdigit():
            return None, text
    return code, name


def parse_code(value: Any) -> Parsed:
    text = clean_text(value)
    return (text.replace(" ", "") if text else None), None


def parse_text(value: Any) -> Parsed:
    return clean_text(value), None


def parse_long_text(value: Any) -> Parsed:
    return clean_long_text(value), None


LONG_TEXT_FIELDS = frozenset({
    "deviation_reason", "rectification_requirement", "main_problems", "result_application", "description",
    "requirement", "measures",
})


def parser_for(spec_field: schema.Field, money_scale: float = 1.0) -> Callable[[Any], Parsed]:
    """The cell parser for a canonical field (money already scaled to 万元)."""
    t = spec_field.type
    if t == schema.MONEY:
        return lambda v: parse_money(v, money_scale)
    if t == schema.SIGNED_MONEY:
        return lambda v: parse_money(v, money_scale, signed=True)
    if t == schema.PERCENT:
        return parse_percent
    if t == schema.SCORE:
        return parse_score
    if t == schema.DATE:
        return parse_date
    if t == schema.BOOL:
        return parse_bool
    if t == schema.YEAR:
        return parse_year
    if t == "enum":
        return enum_parser(spec_field.name, spec_field.enum)
    if t == schema.CODE:
        return parse_code
    if spec_field.name in LONG_TEXT_FIELDS:
        return parse_long_text
    return parse_text


NUMERIC_TYPES = frozenset({schema.MONEY, schema.SIGNED_MONEY, schema.PERCENT, schema.SCORE, "number"})
TEXT_TYPES = frozenset({schema.TEXT, schema.CODE})
_FLOATISH = frozenset({float, type(None)})
# a clean text needs no work: already NFKC, no leading/trailing/double/odd whitespace
_UNCLEAN_WS = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)|\s\s|[\t\r\n\u3000\xa0\u200b\ufeff]")


def parse_column(
    values: Sequence[Any],
    spec_field: schema.Field,
    money_scale: float = 1.0,
    distinct: set | None = None,
    kinds: set[type] | None = None,
    *,
    texts: list[str] | None = None,
    joined: str | None = None,
) -> tuple[np.ndarray, dict[int, str]]:
    """Parse a whole column: (array, {position: message}); blank and bad cells are empty.

    Numeric fields give a float64 array (NaN = empty), the others an object array (None = empty).
    Numbers calamine already gives as floats skip the parser (the common case for amounts);
    text already clean is taken as it is; everything else is parsed once per distinct value.
    `distinct` (the set of the column's values), `kinds` (the set of their types), `texts` (the
    distinct strings) and `joined` (those joined by NUL) may be passed in when the caller has them.
    """
    t = spec_field.type
    column = values.tolist() if isinstance(values, np.ndarray) else values if isinstance(values, list) else list(values)
    numeric = t in NUMERIC_TYPES
    if numeric and t != schema.PERCENT:
        if kinds is None:
            kinds = set(map(type, column))
        fast = _numeric_fast_path(column, t, money_scale, distinct, kinds)
        if fast is not None:
            return fast, {}
    if distinct is None:
        distinct = set(column)
    parse = parser_for(spec_field, money_scale)
    if numeric and len(distinct) > 1000 and len(distinct) * 4 > len(column):
        bulk = _bulk_column_numbers(column, distinct, kinds, t, money_scale, parse)
        if bulk is not None:
            return bulk
    if t in TEXT_TYPES and spec_field.name not in LONG_TEXT_FIELDS:
        changes = _text_changes(distinct, parse, t == schema.CODE, texts, joined, kinds)
        if changes is not None:
            get = changes.get
            return _objects([get(v, v) for v in column] if changes else column), {}
    # True == 1.0 and False == 0.0 as set members, so a bool may hide behind a number
    if kinds is not None:
        mixed_bools = bool in kinds
    else:
        mixed_bools = any(v.__class__ is bool for v in distinct) or (
            (1 in distinct or 0 in distinct) and any(v.__class__ is bool for v in column))
    if mixed_bools:
        # True == 1.0 as a dict key, so key on (type, value) when booleans are mixed in
        column_keys = [(v.__class__, v) for v in column]
        results = {k: _safe(parse, k[1]) for k in set(column_keys)}
    else:
        column_keys = column
        results = _bulk_numbers(distinct, texts, t, money_scale, parse) if numeric else None
        if results is None:
            results = {v: _safe(parse, v) for v in distinct}
    parsed_of = {k: r[0] for k, r in results.items()}
    bad = {k: r[1] for k, r in results.items() if r[1] is not None}
    out = list(map(parsed_of.__getitem__, column_keys))
    if numeric:
        parsed = np.array([np.nan if v is None else v for v in out], dtype=float)
    else:
        parsed = _objects(out)
    if not bad:
        return parsed, {}
    return parsed, {i: bad[v] for i, v in enumerate(column_keys) if v in bad}


def _objects(items: list) -> np.ndarray:
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


_PLAIN_NUMBERS = re.compile(r"[0-9.\-\x00]*")


def _bulk_numbers(distinct: set, strings: list[str] | None, t: str, scale: float,
                  parse: Callable[[Any], Parsed]) -> dict | None:
    """Many distinct numbers typed as text ("1234.5", "56.23%": CSV exports, text-formatted cells):
    convert the plain ones in one numpy call, leave anything unusual to the careful parser."""
    if strings is None:
        strings = [v for v in distinct if v.__class__ is str]
    if len(strings) < 1000:
        return None
    percent = t == schema.PERCENT
    simple = [v for v in strings if v not in BLANK_TOKENS]
    bodies = [v[:-1] if percent and v.endswith("%") else v for v in simple]
    joined = "\x00".join(bodies)
    if "," in joined:  # thousands separators, as the careful parser drops them
        bodies = [v.replace(",", "") for v in bodies]
        joined = joined.replace(",", "")
    if not _PLAIN_NUMBERS.fullmatch(joined):
        return None
    try:
        numbers = np.array(bodies, dtype=float)
    except ValueError:
        return None
    if percent:
        typed = np.array([v.endswith("%") for v in simple], dtype=bool)
        numbers = np.where(typed | (numbers > PERCENT_POINTS_ABOVE), numbers / 100.0, numbers)
    elif scale != 1.0 and t in (schema.MONEY, schema.SIGNED_MONEY):
        numbers = scaled(numbers, scale)
    # values the rules refuse (negative, score out of range) go through the parser for the message
    odd = (numbers < 0) if t != schema.SIGNED_MONEY else np.zeros(len(numbers), dtype=bool)
    if t == schema.SCORE:
        odd |= numbers > 100
    results: dict = {v: (x, None) for v, x in zip(simple, numbers.tolist())}
    for i in np.flatnonzero(odd).tolist():
        results[simple[i]] = _safe(parse, simple[i])
    for v in distinct:
        if v not in results or v.__class__ is not str:
            results[v] = _safe(parse, v)
    return results


_ONLY_MARKS = re.compile(r"(?:^|\x00)[,%]+(?=\x00|$)")


def _bulk_column_numbers(
    column: list, distinct: set, kinds: set | None, t: str, scale: float, parse: Callable[[Any], Parsed],
) -> tuple[np.ndarray, dict[int, str]] | None:
    """A column of mostly distinct numbers typed as text ("1,234,567.89" in 元, "56.23%"): joined
    into one string, cleaned with str.replace, checked with one regular expression and converted
    by numpy, without a dict of 100k entries. None (use the per-value path) for anything unusual."""
    if kinds is None:
        kinds = set(map(type, distinct))
    if not kinds <= {str, float, type(None)}:
        return None
    strings = column if kinds == {str} else [
        v if v.__class__ is str else ("" if v is None or math.isnan(v) else repr(v)) for v in column]
    blanks = (distinct & BLANK_TOKENS) - {""}
    if blanks:
        strings = ["" if v in blanks else v for v in strings]
    joined = "\x00".join(strings)
    if _ONLY_MARKS.search(joined):
        return None  # a cell of only "," or "%" is an error, not an empty cell
    percent = t == schema.PERCENT
    typed_percent = None
    if percent and "%" in joined:
        typed_percent = np.array([v.endswith("%") for v in strings], dtype=bool)
        joined = joined.replace("%\x00", "\x00").removesuffix("%")
    if "," in joined:
        joined = joined.replace(",", "")
    if not _PLAIN_NUMBERS.fullmatch(joined):
        return None
    parts = np.array(joined.split("\x00"), dtype=object)
    if len(parts) != len(column):
        return None
    parts[parts == ""] = "nan"
    try:
        numbers = parts.astype(float)
    except ValueError:
        return None  # "1.2.3", "-", "1-2": the careful parser says what is wrong
    if percent:
        points = numbers > PERCENT_POINTS_ABOVE
        if typed_percent is not None:
            points |= typed_percent
        numbers = np.where(points, numbers / 100.0, numbers)
    elif t in (schema.MONEY, schema.SIGNED_MONEY):
        numbers = scaled(numbers, scale)
    with np.errstate(invalid="ignore"):
        odd = numbers < 0 if t != schema.SIGNED_MONEY else np.zeros(len(numbers), dtype=bool)
        if t == schema.SCORE:
            odd |= numbers > 100
    errors: dict[int, str] = {}
    for i in np.flatnonzero(odd).tolist():
        value, message = _safe(parse, column[i])
        numbers[i] = np.nan if value is None else value
        if message:
            errors[i] = message
    return numbers, errors


_ODD_SPACE = (" ", "\t", "\r", "\n", "\u3000", "\xa0", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")


def _text_changes(
    distinct: set, parse: Callable[[Any], Parsed], code: bool, strings: list[str] | None = None,
    joined: str | None = None, kinds: set | None = None,
) -> dict | None:
    """{value: cleaned} for the values that change; None when some need the per-value cleaner.

    The column's distinct strings are normalised (NFKC, zero-width marks) as one joined string and
    split back; only a column with odd whitespace (line breaks, double or outer spaces) falls back.
    """
    if strings is None:
        strings = [v for v in distinct if v.__class__ is str]
    if len(strings) < 1000:
        return None  # small columns: the generic path is just as fast
    if joined is None:
        joined = "\x00".join(strings)
    norm = joined
    if not unicodedata.is_normalized("NFKC", joined):
        norm = unicodedata.normalize("NFKC", joined)
    if any(ch in norm for ch in _INVISIBLE_CHARS):
        norm = norm.translate(_INVISIBLE)  # slow on long strings: only when there is something to drop
    if any(ch in norm for ch in _ODD_SPACE[1:]):
        return None
    if " " in norm and (code or _UNCLEAN_WS.search(norm)):
        return None
    changes: dict = {}
    if norm is not joined:
        parts = norm.split("\x00")
        if len(parts) != len(strings):
            return None
        changes = {raw: part for raw, part in zip(strings, parts) if raw != part}
        for raw, part in list(changes.items()):
            if part in BLANK_TOKENS:
                changes[raw] = None
    for v in BLANK_TOKENS:
        if v in distinct:
            changes[v] = None
    if kinds is None or kinds != {str}:
        for v in distinct:
            if v.__class__ is not str:
                changes[v] = _safe(parse, v)[0]
    return changes


def _safe(parse: Callable[[Any], Parsed], value: Any) -> Parsed:
    try:
        return parse(value)
    except Exception:  # noqa: BLE001 - a parser bug must become a cell error, never a crash
        return None, f"“{_show(value)}” 无法识别"


def _numeric_fast_path(column: list, t: str, scale: float, distinct: set | None, kinds: set) -> np.ndarray | None:
    """Every cell is a float already, or empty: scale and range-check without per-cell parsing."""
    if not kinds <= _FLOATISH:
        if kinds <= _FLOATISH | {str}:
            # empty cells come back from calamine as '': allowed, any other text is not
            strings = {v for v in (distinct if distinct is not None else column) if v.__class__ is str}
            if strings != {""}:
                return None
            column = [None if v == "" else v for v in column]
        else:
            return None
    if kinds == {type(None)}:
        out = np.full(len(column), np.nan)
    else:
        out = np.array(column, dtype=float)
    if len(out) and not np.isnan(out).all():
        low, high = np.nanmin(out), np.nanmax(out)
        if t == schema.MONEY and low < 0:
            return None
        if t == schema.SCORE and (low < 0 or high > 100):
            return None
    if scale != 1.0 and t in (schema.MONEY, schema.SIGNED_MONEY):
        out = scaled(out, scale)
    return out
