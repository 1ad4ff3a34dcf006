"""Turning one spreadsheet cell into a typed value, or a plain-Chinese reason why it cannot be.

Every parser takes whatever calamine or the csv module gives (str, float, int, bool, date,
datetime, None) and returns ``(value, None)`` or ``(None, message)``; none of them raises.
Whole columns go through columns.parse_column, which calls these once per distinct value.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from dashboard.core.vocab import (
    BOOL,
    CODE,
    DATE,
    ENUM,
    MONEY,
    MONEY_SCALES,
    PERCENT,
    SCORE,
    SIGNED_MONEY,
    YEAR,
)
from data_loaders import schema

Parsed = tuple[Any, str | None]

# Cells that mean "nothing here" in real files. 无 is also 否 in yes/no columns (see parse_bool).
BLANK_TOKENS = frozenset({
    "", "/", "\\", "-", "--", "---", "—", "——", "———", "–", "―", "－", "－－", "无", "空", "n/a", "N/A",
    "#N/A", "none", "None", "null", "NULL", "nan", "NaN",
})

_WS = re.compile(r"\s+")


# Invisible format characters (Unicode category Cf: zero-width marks pasted from web pages, the BOM,
# bidirectional overrides and isolates such as U+202E that make a name read differently from what it is)
# and control characters other than tab, line breaks and NUL (the join separator of the column parsers).
# tests/data_loaders/test_cells.py checks this class against unicodedata.
FORMAT_CHARS = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")


def strip_format(value: str) -> str:
    return FORMAT_CHARS.sub("", value) if FORMAT_CHARS.search(value) else value


def nfkc(value: str) -> str:
    """NFKC (full-width digits, letters, brackets → ASCII), invisible format characters dropped, trimmed."""
    return strip_format(unicodedata.normalize("NFKC", value)).strip()


def clean_text(value: Any) -> str | None:
    """A name or short text: NFKC, trimmed, inner whitespace runs collapsed to one space.

    Collapsing matters because units type the same name with stray spaces and line breaks,
    and names are matched exactly later ((一期) == （一期） after NFKC).
    """
    if value is None or excel_error(value) is not None:  # an Excel error value is no name
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return _number_text(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or not value.time() else value.isoformat(" ")
    if not isinstance(value, str):
        value = str(value)
    text = _WS.sub(" ", nfkc(drop_nul(value)))
    return None if text in BLANK_TOKENS else text


def drop_nul(value: str) -> str:
    """Text without NUL (U+0000): SQLite would store it and PostgreSQL refuses it, so it is dropped from every
    text cell, on both engines alike (the sheet reader warns naming the cell). Not part of FORMAT_CHARS, whose
    scans run over NUL-joined columns; a number, date or choice holding a NUL is refused by its parser instead."""
    return value.replace("\x00", "") if "\x00" in value else value


def clean_long_text(value: Any) -> str | None:
    """Long text (问题描述, 偏差原因): NFKC and trimmed per line, line breaks kept."""
    if isinstance(value, str):
        value = drop_nul(value)
        lines = [_WS.sub(" ", line).strip() for line in nfkc(value).splitlines()]
        text = "\n".join(line for line in lines if line)
        return None if text in BLANK_TOKENS else text
    return clean_text(value)


def _number_text(value: float) -> str:
    # codes typed as numbers come back from Excel as 219.0; they mean "219"
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _show(value: Any) -> str:
    """How a bad cell is quoted back to the user: as typed, shortened."""
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip().replace("\x00", "␀")  # a NUL shown, never passed on to a message or the database
    return text if len(text) <= 30 else text[:28] + "…"


# --- numbers ---------------------------------------------------------------------------------

# an exponent is accepted (1.2E+11: Excel's text of a large number, a source database's float in `sync`); one too
# large for a number (1e400) is refused by parse_number, and amounts are bounded by the import (validate.value_ranges)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")
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


# Excel's error values: a formula that failed. Never a number, and said as such (not "不是数字")
EXCEL_ERRORS = frozenset({"#REF!", "#DIV/0!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                          "#GETTING_DATA"})


def excel_error(value: Any) -> str | None:
    """The Excel error value a cell holds (#REF!, #DIV/0!, #N/A, #VALUE! …), or None."""
    if not isinstance(value, str) or "#" not in value:
        return None
    text = nfkc(value).strip().upper()
    return text if text in EXCEL_ERRORS else None


def error_message(code: str) -> str:
    return f"单元格是 Excel 错误值 {code}（公式出错），不是数字，没有读取；请在 Excel 中改正后重新导出"


def parse_number(value: Any) -> Parsed:
    """Any plain number, possibly typed as text with thousands separators or full-width digits."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"“{_show(value)}” 不是数字"
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isnan(number):
            return None, None
        if math.isinf(number):  # a float cell of inf (an XML value of 1e400, a source database's Infinity)
            return None, f"“{_show(value)}” 不是有限的数字"
        return number, None
    if isinstance(value, (dt.date, dt.datetime)):
        return None, f"“{_show(value)}” 是日期，不是数字"
    text = nfkc(str(value))
    if (code := excel_error(text)) is not None:  # before the blanks: #N/A is an error here, not "no value"
        return None, error_message(code)
    if text in BLANK_TOKENS:
        return None, None
    number = _to_float(text)
    if number is None:
        return None, f"“{_show(value)}” 不是数字"
    if math.isinf(number):
        return None, f"“{_show(value)}” 太大，不是有限的数字"
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
                value, scale = number, MONEY_SCALES[match.group(2)]
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
        return None, error if excel_error(value) else f"“{_show(value)}” 不是百分数"
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
        # serials 1..73050 cover 1900-01-01..2099-12-31; anything else is not a date. Excel counts a
        # 1900-02-29 that never was (serial 60): refused, and the serials before it are one day later
        if value == 60:
            return None, f"“60” 不是日期（Excel 的日期序号 60 是不存在的 1900年2月29日）{_DATE_HINT}"
        if 1 <= value < 73051 and float(value).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(value) + (1 if value < 60 else 0)), None
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
ENUM_SYNONYMS["stage"] = {
    "申报": ("目标申报", "绩效目标申报", "绩效目标", "申报表"), "监控": ("绩效监控", "运行监控", "执行监控"),
    "自评": ("单位自评", "绩效自评", "自评表"),
    "评价": ("绩效评价", "重点评价", "财政评价", "财政重点评价", "部门评价", "第三方评价", "抽查复核"),
}

# how a message names an enumerated field: its canonical header (schema.py), e.g. grade → 等级
ENUM_NOUN = {f.name: f.label for t in schema.TABLES.values() for f in t.fields if f.type == ENUM}


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
    "requirement", "measures", "question", "answer",
})


def parser_for(spec_field: schema.Field, money_scale: float = 1.0) -> Callable[[Any], Parsed]:
    """The cell parser for a canonical field (money already scaled to 万元)."""
    t = spec_field.type
    if t == MONEY:
        return lambda v: parse_money(v, money_scale)
    if t == SIGNED_MONEY:
        return lambda v: parse_money(v, money_scale, signed=True)
    if t == PERCENT:
        return parse_percent
    if t == SCORE:
        return parse_score
    if t == DATE:
        return parse_date
    if t == BOOL:
        return parse_bool
    if t == YEAR:
        return parse_year
    if t == ENUM:
        return enum_parser(spec_field.name, spec_field.enum)
    if t == CODE:
        return parse_code
    if spec_field.name in LONG_TEXT_FIELDS:
        return parse_long_text
    return parse_text


def safe_parse(parse: Callable[[Any], Parsed], value: Any) -> Parsed:
    """A parser's result, or a cell error when the parser itself fails."""
    try:
        return parse(value)
    except Exception:  # noqa: BLE001 - a parser bug must become a cell error, never a crash
        return None, f"“{_show(value)}” 无法识别"


# --- tick marks across option columns (完成目标可能性: 确定能 | 有可能 | 完全不可能, one ticked) -----------------

TICKS = frozenset({"✔", "√", "✓", "☑", "✅", "是"})
UNTICKED = frozenset({"", "否", "×", "✗", "☐", "□", "/", "-", "—", "－"})


def tick(value: Any) -> bool | None:
    """A cell of an option column: True for a tick mark (✔ √ ✓ ☑ 是), False for nothing (blank, 否, ×, ☐),
    None for anything else (not a mark)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).replace("\ufe0f", "").strip()
    if text in TICKS:
        return True
    return False if text in UNTICKED else None


def option_header(header: Any, options: tuple[str, ...]) -> str | None:
    """The option an option column's header names (确定能, 确定能完成 → 确定能), or None."""
    if not isinstance(header, str):
        return None
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", header))
    text = re.sub(r"完成$", "", text)
    return text if text in options else None
