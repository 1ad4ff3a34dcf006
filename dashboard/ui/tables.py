"""Tables on the pages: metric frames turned into Chinese-labelled tables, each drawn with its .xlsx download.

`table` takes a metric frame (English column names) and labels it; `shown` draws a frame that is already
labelled (upload previews, import history). Both put the download of exactly the rows shown under it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.ui import export, fmt, labels
from dashboard.vocab import LIGHT_LABELS


def _yes_no(value) -> str:
    return fmt.DASH if fmt.missing(value) else ("是" if bool(value) else "否")


def zh_frame(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """The given metric columns (all when None), renamed to Chinese; lights in Chinese; booleans as 是/否."""
    if df is None:
        return pd.DataFrame()
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    out = df[cols].copy()
    if "light" in out:
        out["light"] = out["light"].map(lambda v: LIGHT_LABELS.get(v, v))
    for c in labels.BOOL_COLUMNS:
        if c in out:
            out[c] = out[c].map(_yes_no)
    for c in labels.DATE_COLUMNS:
        if c in out:
            out[c] = out[c].map(lambda v: None if fmt.missing(v) else fmt.date(v))
    for c in labels.FRACTION_COLUMNS & set(cols):  # shown and exported as percent numbers (62.3), header says （%）
        out[c] = (pd.to_numeric(out[c], errors="coerce") * 100).round(2)
    return out.rename(columns={c: labels.label(c) for c in cols})


def column_config(columns) -> dict:
    """Money with thousands separators, ratios and scores with one decimal, keyed by the Chinese labels."""
    config = {}
    for col in columns:
        label = labels.label(col)
        if col in labels.MONEY_COLUMNS:
            config[label] = st.column_config.NumberColumn(label, format="accounting")
        elif col in labels.FRACTION_COLUMNS or col in labels.ONE_DECIMAL_COLUMNS:
            config[label] = st.column_config.NumberColumn(label, format="%.1f")
    return config


def shown(df: pd.DataFrame, key: str, file_stem: str | None = None, *, xlsx_key: str | None = None,
          download_label: str = "下载 Excel", **dataframe_kwargs):
    """Draw an already-labelled frame (st.dataframe key=`key`) and, given a file stem, its .xlsx download.

    The download's key is `xlsx_key`, by default `key` + "_xlsx". Returns st.dataframe's value (the
    selection when on_select is passed).
    """
    kwargs = {"hide_index": True, "width": "stretch", "placeholder": fmt.DASH, **dataframe_kwargs}
    event = st.dataframe(df, key=key, **kwargs)
    if file_stem is not None:
        export.download_button(df, file_stem, key=xlsx_key or f"{key}_xlsx", label=download_label)
    return event


def table(df: pd.DataFrame, file_stem: str, key: str, columns: list[str] | None = None,
          height: int | None = None, on_select=None, selection_mode=None, empty: str = "没有符合条件的记录。"):
    """A Chinese-labelled metric table with its .xlsx download; returns the selection when on_select is given."""
    if df is None or df.empty:
        st.caption(empty)
        return None
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    kwargs = {"column_config": column_config(cols)}
    if height:
        kwargs["height"] = height
    if on_select:
        kwargs.update(on_select=on_select, selection_mode=selection_mode or "single-row")
    return shown(zh_frame(df, cols), f"{key}_table", file_stem, xlsx_key=f"{key}_xlsx", **kwargs)
