"""Excel downloads of the tables on every page (xlsxwriter), safe against formula injection."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def could_be_formula(value) -> bool:
    """Text Excel would run as a formula once a user edits the cell (=, +, -, @, or a tab/CR first)."""
    return isinstance(value, str) and value.startswith(_FORMULA_PREFIXES)


def to_xlsx(frames: pd.DataFrame | dict[str, pd.DataFrame], sheet: str = "数据") -> bytes:
    """One workbook, one sheet per frame; column widths fitted to the Chinese headers.

    Every string is written as a string cell (never a formula or a link); one that could be read as a
    formula also gets Excel's quote-prefix style, the state Excel itself gives text typed as '=…, so it
    shows exactly the text, without an apostrophe, and stays text when edited.
    """
    if isinstance(frames, pd.DataFrame):
        frames = {sheet: frames}
    buf = io.BytesIO()
    with pd.ExcelWriter(
        buf, engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        as_text = writer.book.add_format({"quote_prefix": True})
        for name, df in frames.items():
            safe_name = (name or "数据")[:31]
            for ch in "[]:*?/\\":
                safe_name = safe_name.replace(ch, "_")
            df.to_excel(writer, sheet_name=safe_name, index=False)
            ws = writer.sheets[safe_name]
            _quote_formula_text(ws, df, as_text)
            for i, col in enumerate(df.columns):
                ws.set_column(i, i, min(40, max(10, len(str(col)) * 2 + 2)))
            ws.freeze_panes(1, 0)
    return buf.getvalue()


def _quote_formula_text(ws, df: pd.DataFrame, as_text) -> None:
    for c, col in enumerate(df.columns):
        if could_be_formula(str(col)):
            ws.write_string(0, c, str(col), as_text)
        values = df[col]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        for r, value in enumerate(values.tolist(), start=1):
            if could_be_formula(value):
                ws.write_string(r, c, value, as_text)


def download_button(df: pd.DataFrame, file_stem: str, key: str, label: str = "下载 Excel") -> None:
    """An .xlsx download of exactly the table shown, generated only when clicked."""
    st.download_button(
        label,
        data=lambda: to_xlsx(df, sheet=file_stem[:31]),
        file_name=f"{file_stem}.xlsx",
        mime=XLSX_MIME,
        key=key,
        on_click="ignore",
        icon=":material/download:",
        disabled=df is None or df.empty,
    )
