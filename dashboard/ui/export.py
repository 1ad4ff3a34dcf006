"""Excel downloads of the tables on every page (xlsxwriter), safe against formula injection.

`download` is the one download button: every download goes to the audit trail (action export: what, scope,
file). `to_xlsx` writes small frames as they are (upload previews, import history). `listing_xlsx` writes a whole
list a staff member can forward: title rows (what the table is, its scope, 判断日期 / 数据截至, the source
batch), then the header, then every row, read chunk by chunk and written in xlsxwriter's constant-memory
mode so a province-wide list stays bounded; numbers rounded as on screen with Excel number formats.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import tempfile
from collections.abc import Iterable
from typing import IO

import pandas as pd
import streamlit as st
import xlsxwriter

from dashboard.core import audit
from dashboard.present import fmt, labels
from dashboard.ui import auth

log = logging.getLogger("dashboard.ui")
_CTX_KEY = "_dashboard_ctx"  # filters.CTX_KEY: the page context of this run (its scope goes into the audit entry)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel number formats of the list downloads: the digits of dashboard.present.fmt
MONEY_FORMAT = fmt.EXCEL_MONEY
PERCENT_FORMAT = fmt.EXCEL_PERCENT
ONE_DECIMAL_FORMAT = fmt.EXCEL_ONE_DECIMAL
COUNT_FORMAT = fmt.EXCEL_COUNT
# a cell's value rounded to what its format shows (a fraction shown as a percentage keeps two more digits)
_DIGITS = {MONEY_FORMAT: fmt.MONEY_DIGITS, PERCENT_FORMAT: fmt.PCT_DIGITS + 2, ONE_DECIMAL_FORMAT: fmt.PCT_DIGITS,
           COUNT_FORMAT: 0}


def could_be_formula(value) -> bool:
    """Text Excel would run as a formula once a user edits the cell (=, +, -, @, or a tab/CR first)."""
    return isinstance(value, str) and value.startswith(_FORMULA_PREFIXES)


def header_formats(columns) -> dict[str, str]:
    """Header → Excel number format for the Chinese headers the app writes (dashboard.present.labels): money
    #,##0.00; scores, percent numbers (headers with （%）, 62.3) and lags 0.0; percentages kept as fractions
    (download headers, 0.623) 0.0%. Every download is formatted like the lists with these."""
    out = {}
    for col in labels.MONEY_COLUMNS:
        out[labels.label(col)] = MONEY_FORMAT
    for col in labels.ONE_DECIMAL_COLUMNS:
        out[labels.label(col)] = ONE_DECIMAL_FORMAT
    for col in labels.FRACTION_COLUMNS:
        out[labels.label(col)] = ONE_DECIMAL_FORMAT  # "执行率（%）" holds 62.3
    return {k: v for k, v in out.items() if k in set(columns)}


def rounded(df: pd.DataFrame, formats: dict[str, str]) -> pd.DataFrame:
    """`df` with the numbers of formatted columns rounded to what their format shows (64.25536540253998 → 64.3)."""
    out = df.copy()
    for name, f in formats.items():
        if name in out and f in _DIGITS:
            numbers = pd.to_numeric(out[name], errors="coerce")
            out[name] = numbers.round(_DIGITS[f]).where(numbers.notna(), out[name])
    return out


def to_xlsx(frames: pd.DataFrame | dict[str, pd.DataFrame], sheet: str = "数据") -> bytes:
    """One workbook, one sheet per frame; column widths fitted to the Chinese headers; numbers of the columns
    header_formats knows rounded and formatted as on screen (like listing_xlsx).

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
            formats = header_formats(df.columns)
            df = rounded(df, formats)
            df.to_excel(writer, sheet_name=safe_name, index=False)
            ws = writer.sheets[safe_name]
            _quote_formula_text(ws, df, as_text)
            number_fmts = {f: writer.book.add_format({"num_format": f}) for f in set(formats.values())}
            for i, col in enumerate(df.columns):
                ws.set_column(i, i, min(40, max(10, len(str(col)) * 2 + 2)), number_fmts.get(formats.get(str(col))))
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


def download(label: str, data, file_name: str, key: str, *, what: str | None = None, mime: str = XLSX_MIME,
             **kwargs) -> None:
    """The one download button of the app: `data` (bytes, or a callable run only when clicked, in its own
    thread) as `file_name`; each download is written to the audit trail as `export` with what was downloaded
    (`what`, else the file name), the scope shown and the file name — by the signed-in account."""
    actor = auth.current()
    settings = st.session_state.get(auth.SETTINGS_KEY)
    ctx = st.session_state.get(_CTX_KEY)
    scope = ctx.scope_label() if ctx is not None and hasattr(ctx, "scope_label") else None
    url = settings.db_url if settings is not None else None
    detail = {"what": what or file_name, "file": file_name, "scope": scope}

    def produce():
        content = data() if callable(data) else data
        if url is not None:
            try:
                audit.record(url, actor.name if actor else None, actor.role if actor else None, "export", detail)
            except Exception:  # the file still downloads; the failure is in the log
                log.exception("export audit entry failed")
        return content

    kwargs.setdefault("icon", ":material/download:")
    st.download_button(label, data=produce, file_name=file_name, mime=mime, key=key, on_click="ignore", **kwargs)


def download_button(df: pd.DataFrame, file_stem: str, key: str, label: str = "下载 Excel") -> None:
    """An .xlsx download of exactly the table shown, generated only when clicked."""
    download(label, lambda: to_xlsx(df, sheet=file_stem[:31]), f"{file_stem}.xlsx", key, what=file_stem,
             disabled=df is None or df.empty)


def _safe_sheet_name(name: str) -> str:
    name = (name or "数据")[:31]
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name


def _width(value) -> int:
    """Display width of a cell: CJK characters count two."""
    text = str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def listing_xlsx(chunks: Iterable[pd.DataFrame], heading: list[str], formats: dict[str, str] | None = None,
                 sheet: str = "数据", columns: list[str] | None = None) -> bytes:
    """A workbook of one list: the `heading` lines (the first bold), the header, then the rows of every chunk.

    `formats` maps a column header to MONEY_FORMAT / PERCENT_FORMAT / ONE_DECIMAL_FORMAT / COUNT_FORMAT;
    values of those columns are rounded as on screen (percent: fractions, 0.623 → 62.3%). Header frozen,
    widths fitted to the header and the first chunk. Formula-like text is a quote-prefixed text cell.

    Streamed: each chunk is written as it is read and let go before the next is asked for (xlsxwriter's
    constant-memory mode keeps one row and spools the sheet to a temporary file), and the workbook is zipped
    into a temporary file too: what grows with the list is only the finished file's bytes, returned.
    """
    with tempfile.TemporaryFile() as out:
        _write_listing(out, chunks, heading, formats, sheet, columns)
        out.seek(0)
        return out.read()


def _write_listing(out: IO[bytes], chunks: Iterable[pd.DataFrame], heading: list[str],
                   formats: dict[str, str] | None, sheet: str, columns: list[str] | None) -> None:
    """`listing_xlsx` written into `out` (a seekable binary file): at most one chunk held at a time."""
    formats = formats or {}
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    try:
        ws = book.add_worksheet(_safe_sheet_name(sheet))
        title_fmt = book.add_format({"bold": True, "font_size": 13})
        note_fmt = book.add_format({"font_color": "#555555"})
        head_fmt = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1, "text_wrap": True})
        as_text = book.add_format({"quote_prefix": True})
        number_fmts = {name: book.add_format({"num_format": f}) for name, f in formats.items()}
        header_row = len(heading)
        it = iter(chunks)
        chunk = next(it, None)
        cols = list(columns if columns is not None else (chunk.columns if chunk is not None else []))
        widths = [min(40, max(10, _width(c) + 2)) for c in cols]
        if chunk is not None:
            for i, c in enumerate(cols):
                if c not in chunk:
                    continue
                sample = chunk[c].head(200).map(lambda v: 0 if fmt.missing(v) else _width(v))
                widths[i] = min(60, max(widths[i], int(sample.max() if len(sample) else 0) + 2))
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.freeze_panes(header_row + 1, 0)
        for r, line in enumerate(heading):  # constant-memory mode: rows strictly in order
            ws.write_string(r, 0, line, title_fmt if r == 0 else note_fmt)
        for c, name in enumerate(cols):
            ws.write_string(header_row, c, str(name), as_text if could_be_formula(str(name)) else head_fmt)
        r = header_row + 1
        while chunk is not None:
            r = _write_rows(ws, chunk, cols, r, formats, number_fmts, as_text)
            chunk = None  # the written rows go before the next chunk is read
            chunk = next(it, None)
    except BaseException:
        with contextlib.suppress(Exception):  # only to remove the sheet's temporary file; the first error wins
            book.close()
        raise
    book.close()


def _write_rows(ws, df: pd.DataFrame, cols: list[str], r: int, formats: dict, number_fmts: dict, as_text) -> int:
    columns = [df[c].tolist() if c in df else [None] * len(df) for c in cols]
    for values in zip(*columns):
        for c, (name, value) in enumerate(zip(cols, values)):
            if fmt.missing(value):
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value, as_text if could_be_formula(value) else None)
            elif isinstance(value, bool):
                ws.write_string(r, c, "是" if value else "否")
            elif isinstance(value, (int, float)) or hasattr(value, "__float__"):
                number = float(value)
                if math.isinf(number):
                    ws.write_string(r, c, str(value))
                    continue
                f = formats.get(name)
                if f in _DIGITS:
                    number = round(number, _DIGITS[f])
                ws.write_number(r, c, number, number_fmts.get(name))
            else:
                ws.write_string(r, c, str(value))
        r += 1
    return r
