"""Excel downloads of the tables on every page (xlsxwriter), safe against formula injection."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """Text that Excel would run as a formula gets a leading apostrophe ('=1+1 → '\\'=1+1')."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [escape_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(escape_cell)
    return out


def to_xlsx(frames: pd.DataFrame | dict[str, pd.DataFrame], sheet: str = "数据") -> bytes:
    """One workbook, one sheet per frame; column widths fitted to the Chinese headers."""
    if isinstance(frames, pd.DataFrame):
        frames = {sheet: frames}
    buf = io.BytesIO()
    with pd.ExcelWriter(
        buf, engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        for name, df in frames.items():
            safe_name = (name or "数据")[:31]
            for ch in "[]:*?/\\":
                safe_name = safe_name.replace(ch, "_")
            safe_frame(df).to_excel(writer, sheet_name=safe_name, index=False)
            ws = writer.sheets[safe_name]
            for i, col in enumerate(df.columns):
                ws.set_column(i, i, min(40, max(10, len(str(col)) * 2 + 2)))
            ws.freeze_panes(1, 0)
    return buf.getvalue()


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
