"""Cross-row and cross-file checks of one import set (duplicate keys, missing key cells, amounts) as Problems.

Per-cell checks (types, ranges, score/grade) are the reader's; these need the whole set at once.
Everything here is vectorised over pandas frames, because a monitoring set can have 100,000 rows.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from data_loaders.problems import ERROR, WARNING, Problem

NUMERIC_TYPES = ("money", "signed_money", "percent", "score", "number", "year")


def norm_name(value) -> str | None:
    """How names are matched: NFKC (full-width → half-width, （一期） = (一期)) and no whitespace."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    return text or None


def norm_series(series: pd.Series) -> pd.Series:
    """norm_name over a column, computed once per distinct value (department names repeat a lot)."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    nfkc = unicodedata.normalize
    normed = [("".join(nfkc("NFKC", str(x)).split()) or None) for x in uniques] + [None]
    return pd.Series(np.array(normed, dtype=object)[codes], index=series.index, dtype=object)


def _code(x) -> str | None:
    if x is None or x != x:
        return None
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    x = str(x)
    if not x.isascii():  # NFKC of ASCII is ASCII itself: only the rest needs normalising
        x = unicodedata.normalize("NFKC", x)
    return x.strip() or None


def code_series(series: pd.Series) -> pd.Series:
    """Codes as trimmed NFKC text (a code typed as a number still matches its text form).

    Vectorised for the usual case (ASCII codes: NFKC leaves them as they are); the rest one by one.
    """
    if series.dtype.kind in "if" or not len(series):
        vals = series.to_numpy(dtype=object, na_value=None)
        return pd.Series([_code(x) for x in vals], index=series.index, dtype=object)
    obj = series.astype(object)
    is_str = obj.map(type).eq(str).to_numpy() if obj.dtype == object else np.ones(len(obj), bool)
    text = pd.Series(obj.where(is_str, None), index=series.index, dtype="str")
    ascii_ = text.str.isascii().fillna(False).to_numpy(dtype=bool)
    stripped = text.str.strip()
    out = stripped.astype(object).where(stripped.notna() & (stripped != ""), None).to_numpy().copy()
    rest = ~ascii_ & series.notna().to_numpy()
    if rest.any():
        out[rest] = [_code(x) for x in obj.to_numpy()[rest]]
    return pd.Series(out, index=series.index, dtype=object)


def as_object(series: pd.Series) -> pd.Series:
    """A column as Python objects with None for missing (pandas 3 strings use NaN)."""
    return series.astype(object).where(series.notna(), None)


def same_values(a: pd.Series, b: pd.Series, numeric: bool) -> np.ndarray:
    """Element-wise equality where two missing values are equal; floats compare to 1e-9 (stored doubles)."""
    a_na = a.isna().to_numpy()
    b_na = b.isna().to_numpy()
    if numeric:
        av = pd.to_numeric(a.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bv = pd.to_numeric(b.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            eq = np.isclose(av, bv, rtol=1e-12, atol=1e-9)
        return (a_na & b_na) | (~a_na & ~b_na & eq)
    ao = as_object(a).to_numpy()
    bo = as_object(b).to_numpy()
    eq = np.fromiter((x == y for x, y in zip(ao, bo)), dtype=bool, count=len(ao))
    return (a_na & b_na) | (~a_na & ~b_na & eq)


def show(value) -> str:
    if value is None:
        return "空"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def duplicate_conflicts(
    df: pd.DataFrame,
    key: list[str],
    value_cols: list[str],
    numeric_cols: set[str],
) -> tuple[list[tuple[int, int, str, object, object]], pd.Index]:
    """Rows sharing a key: (later index, earlier index, first differing column, later value, earlier value)
    for those that disagree, and the index of later rows that merely repeat an earlier one (to drop).

    `df` is in the set's canonical order, so "later" means later in that order. Two values disagree
    only when both are filled: a file without a column does not contradict one with it.
    """
    dup = df.duplicated(key, keep=False)
    conflicts: list[tuple[int, int, str, object, object]] = []
    if not dup.any():
        return conflicts, pd.Index([])
    sub = df.loc[dup]
    first_idx = sub.groupby(key, sort=False, dropna=False).head(1).index
    firsts = sub.loc[first_idx]
    later = sub.drop(index=first_idx)
    # the earlier row each later row is compared with
    pairs = later[key].reset_index().merge(
        firsts[key].reset_index().rename(columns={"index": "_first"}), on=key, how="left"
    )
    earlier_of = pd.Series(pairs["_first"].to_numpy(), index=pairs["index"].to_numpy())
    drop: list[int] = []
    for idx in later.index:
        j = earlier_of[idx]
        bad = None
        for col in value_cols:
            x, y = df.at[idx, col], df.at[j, col]
            if _missing(x) or _missing(y):
                continue
            if col in numeric_cols:
                if not np.isclose(float(x), float(y), rtol=1e-12, atol=1e-9):
                    bad = (col, x, y)
                    break
            elif x != y:
                bad = (col, x, y)
                break
        if bad is None:
            drop.append(idx)
        else:
            conflicts.append((idx, j, bad[0], bad[1], bad[2]))
    return conflicts, pd.Index(drop)


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float) and np.isnan(value))
    except TypeError:
        return False


def row_problems(df: pd.DataFrame, mask, column: str | None, message: str, labels, level=ERROR) -> list[Problem]:
    """One Problem per row selected by `mask`, naming the row's own file, sheet, Excel row and column."""
    rows = df.loc[mask, ["_file", "_sheet", "_row", "_t"]]
    out = []
    for file, sheet, row, t in rows.itertuples(index=False, name=None):
        out.append(Problem(file, sheet, _int(row), labels(t, column) if column else None, message, level))
    return out


def _int(value):
    return None if _missing(value) else int(value)


def execution_warnings(df: pd.DataFrame, budget: pd.Series, labels) -> list[Problem]:
    """执行数 above the budget is accepted with a warning (DOMAIN.md), flagged later on the pages."""
    executed = pd.to_numeric(df["executed"], errors="coerce")
    over = (executed > budget + 1e-9).fillna(False).to_numpy(dtype=bool)
    if not over.any():
        return []
    out = []
    sub = df.loc[over]
    for (idx, row), b in zip(sub.iterrows(), budget[over]):
        out.append(Problem(
            row["_file"], row["_sheet"], _int(row["_row"]), labels(row["_t"], "executed"),
            f"执行数 {show(row['executed'])} 万元超过预算 {show(float(b))} 万元，已导入并将在页面上标注",
            WARNING,
        ))
    return out
