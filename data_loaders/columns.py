"""Parsing a whole column of cells at once: the fast paths that keep a 100,000-row sheet quick.

`parse_column` applies the cell parsers of cells.py to a column, once per distinct value, because real
columns repeat the same few words and numbers thousands of times; floats calamine already gives skip
the parser, and columns of many distinct numbers typed as text are converted by numpy in one call.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dashboard.core.vocab import CODE, MONEY, NUMERIC_TYPES, PERCENT, SCORE, SIGNED_MONEY, TEXT_TYPES
from data_loaders import schema
from data_loaders.cells import (
    BLANK_TOKENS,
    LONG_TEXT_FIELDS,
    PERCENT_POINTS_ABOVE,
    Parsed,
    parser_for,
    safe_parse,
    scaled,
    strip_format,
)
from data_loaders.tables import objects

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
    if numeric and t != PERCENT:
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
        changes = _text_changes(distinct, parse, t == CODE, texts, joined, kinds)
        if changes is not None:
            get = changes.get
            return objects([get(v, v) for v in column] if changes else column), {}
    # True == 1.0 and False == 0.0 as set members, so a bool may hide behind a number
    if kinds is not None:
        mixed_bools = bool in kinds
    else:
        mixed_bools = any(v.__class__ is bool for v in distinct) or (
            (1 in distinct or 0 in distinct) and any(v.__class__ is bool for v in column))
    if mixed_bools:
        # True == 1.0 as a dict key, so key on (type, value) when booleans are mixed in
        column_keys = [(v.__class__, v) for v in column]
        results = {k: safe_parse(parse, k[1]) for k in set(column_keys)}
    else:
        column_keys = column
        results = _bulk_numbers(distinct, texts, t, money_scale, parse) if numeric else None
        if results is None:
            results = {v: safe_parse(parse, v) for v in distinct}
    parsed_of = {k: r[0] for k, r in results.items()}
    bad = {k: r[1] for k, r in results.items() if r[1] is not None}
    out = list(map(parsed_of.__getitem__, column_keys))
    if numeric:
        parsed = np.array([np.nan if v is None else v for v in out], dtype=float)
    else:
        parsed = objects(out)
    if not bad:
        return parsed, {}
    return parsed, {i: bad[v] for i, v in enumerate(column_keys) if v in bad}


_PLAIN_NUMBERS = re.compile(r"[0-9.\-\x00]*")


def _bulk_numbers(distinct: set, strings: list[str] | None, t: str, scale: float,
                  parse: Callable[[Any], Parsed]) -> dict | None:
    """Many distinct numbers typed as text ("1234.5", "56.23%": CSV exports, text-formatted cells):
    convert the plain ones in one numpy call, leave anything unusual to the careful parser."""
    if strings is None:
        strings = [v for v in distinct if v.__class__ is str]
    if len(strings) < 1000:
        return None
    percent = t == PERCENT
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
    elif scale != 1.0 and t in (MONEY, SIGNED_MONEY):
        numbers = scaled(numbers, scale)
    # values the rules refuse (negative, score out of range) go through the parser for the message
    odd = (numbers < 0) if t != SIGNED_MONEY else np.zeros(len(numbers), dtype=bool)
    if t == SCORE:
        odd |= numbers > 100
    odd |= np.isinf(numbers)  # 400 digits convert to inf: the careful parser refuses them
    results: dict = {v: (x, None) for v, x in zip(simple, numbers.tolist())}
    for i in np.flatnonzero(odd).tolist():
        results[simple[i]] = safe_parse(parse, simple[i])
    for v in distinct:
        if v not in results or v.__class__ is not str:
            results[v] = safe_parse(parse, v)
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
    percent = t == PERCENT
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
    elif t in (MONEY, SIGNED_MONEY):
        numbers = scaled(numbers, scale)
    with np.errstate(invalid="ignore"):
        odd = numbers < 0 if t != SIGNED_MONEY else np.zeros(len(numbers), dtype=bool)
        if t == SCORE:
            odd |= numbers > 100
        odd |= np.isinf(numbers)  # 400 digits convert to inf: the careful parser refuses them
    errors: dict[int, str] = {}
    for i in np.flatnonzero(odd).tolist():
        value, message = safe_parse(parse, column[i])
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
    norm = strip_format(norm)
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
                changes[v] = safe_parse(parse, v)[0]
    return changes


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
    if np.isinf(out).any():
        return None  # inf is no amount: the per-value parser says so for each cell
    if len(out) and not np.isnan(out).all():
        low, high = np.nanmin(out), np.nanmax(out)
        if t == MONEY and low < 0:
            return None
        if t == SCORE and (low < 0 or high > 100):
            return None
    if scale != 1.0 and t in (MONEY, SIGNED_MONEY):
        out = scaled(out, scale)
    return out
