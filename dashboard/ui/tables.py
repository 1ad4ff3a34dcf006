"""Tables on the pages: metric frames turned into Chinese-labelled tables, each drawn with its .xlsx download.

`listing` is THE way a page draws a list (data.Listing): one page of it with 「第 a–b 条，共 N 条」, paging
when it has more rows than a page, and a download of ALL N rows, generated only when clicked, with title
rows (table, scope, 判断日期 / 数据截至, batch). `table` draws a small metric frame whole (per-department
summaries) with its download; `shown` draws a frame that is already labelled (upload previews, history).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import streamlit as st

from dashboard.core.vocab import INDICATOR_STATUS_LABELS, LIGHT_LABELS
from dashboard.present import fmt, labels
from dashboard.ui import data, deeplink, export, filters

PAGE_SIZE = 50


def _yes_no(value) -> str:
    return fmt.DASH if fmt.missing(value) else ("是" if bool(value) else "否")


def zh_frame(df: pd.DataFrame, columns: list[str] | None = None, percent_numbers: bool = True) -> pd.DataFrame:
    """The given metric columns (all when None), renamed to Chinese; lights in Chinese; booleans as 是/否.

    Ratio columns become percent numbers (62.3) for the screen; with percent_numbers=False they stay
    fractions (0.623) for an Excel percent format."""
    if df is None:
        return pd.DataFrame()
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    out = df[cols].copy()
    if "light" in out:
        out["light"] = out["light"].map(lambda v: LIGHT_LABELS.get(v, v))
    if "indicator_status" in out:
        out["indicator_status"] = out["indicator_status"].map(lambda v: INDICATOR_STATUS_LABELS.get(v, v))
    for c in labels.BOOL_COLUMNS:
        if c in out:
            out[c] = out[c].map(_yes_no)
    for c in labels.DATE_COLUMNS:
        if c in out:
            out[c] = out[c].map(lambda v: None if fmt.missing(v) else fmt.date(v))
    for c in labels.FRACTION_COLUMNS & set(cols):  # shown as percent numbers (62.3), header says （%）
        out[c] = pd.to_numeric(out[c], errors="coerce") * (100 if percent_numbers else 1)
        if percent_numbers:
            out[c] = out[c].round(2)
    header = labels.label if percent_numbers else labels.excel_label
    return out.rename(columns={c: header(c) for c in cols})


def column_config(columns) -> dict:
    """Money with thousands separators and two decimals (a minus sign for negatives, never accounting
    parentheses), ratios and scores with one decimal, keyed by the Chinese labels."""
    config = {}
    for col in columns:
        label = labels.label(col)
        if col in labels.MONEY_COLUMNS:
            config[label] = st.column_config.NumberColumn(label, format=fmt.TABLE_MONEY)
        elif col in labels.FRACTION_COLUMNS or col in labels.ONE_DECIMAL_COLUMNS:
            config[label] = st.column_config.NumberColumn(label, format=fmt.TABLE_ONE_DECIMAL)
    return config


def _context():
    """The page context app.py built for this run, None outside a page (then a download has no title rows)."""
    try:
        return filters.current()
    except (KeyError, AttributeError):
        return None


def _titled_download(df: pd.DataFrame, file_stem: str, key: str, label: str, formats: dict[str, str]) -> None:
    """An .xlsx of exactly `df` (already labelled) under the title rows, generated only when clicked."""
    ctx = _context()
    head = heading(ctx, file_stem.replace("_", " ")) if ctx is not None else [file_stem]
    export.download(
        label, lambda: export.listing_xlsx([df], head, formats, sheet=file_stem, columns=list(df.columns)),
        f"{file_stem}.xlsx", key, what=file_stem, disabled=df is None or df.empty,
    )


def shown(df: pd.DataFrame, key: str, file_stem: str | None = None, *, xlsx_key: str | None = None,
          download_label: str = "下载 Excel", download: pd.DataFrame | None = None, formats: dict | None = None,
          titled: bool = False, **dataframe_kwargs):
    """Draw an already-labelled frame (st.dataframe key=`key`) and, given a file stem, its .xlsx download
    (of `download` when given — the same rows with fractions for Excel's percent format — else of `df`).

    With `titled` (or `download` given) the file starts with the title rows of `heading` and carries Excel
    number formats (`formats`, else those known from the headers); otherwise the header is row 1 (upload
    previews, error lists, which describe a file rather than the dashboard's data). The download's key is
    `xlsx_key`, by default `key` + "_xlsx". Returns st.dataframe's value (the selection with on_select).
    """
    kwargs = {"hide_index": True, "width": "stretch", "placeholder": fmt.DASH, **dataframe_kwargs}
    event = st.dataframe(df, key=key, **kwargs)
    if file_stem is None:
        return event
    xlsx_key = xlsx_key or f"{key}_xlsx"
    if titled or download is not None:
        out = df if download is None else download
        if formats is None:  # labelled frames: money and one-decimal columns known by their header
            formats = {k: v for k, v in _LABEL_FORMATS.items() if k in out.columns and v != export.PERCENT_FORMAT}
        _titled_download(out, file_stem, xlsx_key, download_label, formats)
    else:
        export.download_button(df, file_stem, key=xlsx_key, label=download_label)
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
    return shown(zh_frame(df, cols), f"{key}_table", file_stem, xlsx_key=f"{key}_xlsx",
                 download=zh_frame(df, cols, percent_numbers=False), formats=excel_formats(cols), **kwargs)


def excel_formats(columns) -> dict[str, str]:
    """Download header (labels.excel_label) → Excel number format of the metric columns given."""
    out = {}
    for col in columns:
        if col in labels.MONEY_COLUMNS:
            out[labels.excel_label(col)] = export.MONEY_FORMAT
        elif col in labels.FRACTION_COLUMNS:
            out[labels.excel_label(col)] = export.PERCENT_FORMAT
        elif col in labels.ONE_DECIMAL_COLUMNS:
            out[labels.excel_label(col)] = export.ONE_DECIMAL_FORMAT
    return out


def heading(ctx, title: str, filters: str = "") -> list[str]:
    """The title rows of a download: what the table is, its scope (and filters), the day judged on, the
    monitoring as-of date and the source batch."""
    lines = [title, "范围：" + ctx.scope_label() + (f"；筛选：{filters}" if filters else "")]
    p = data.provenance(ctx) or {}
    parts = [f"判断日期 {fmt.date(ctx.today)}"]
    if p.get("monitoring_as_of"):
        parts.append(f"数据截至 {fmt.date(p['monitoring_as_of'])}（监控）")
    if p.get("batch_id") is not None:
        parts.append(f"来源批次 #{p['batch_id']}（{fmt.timestamp(p.get('created_at'))}）")
    else:
        parts.append("来源批次：暂无导入记录")
    lines.append("　·　".join(parts))
    return lines


def listing_file(listing: data.Listing, columns: list[str], heading_lines: list[str], sheet: str = "数据") -> bytes:
    """The .xlsx of every row of `listing` (read CHUNK rows at a time), with the heading lines on top."""
    total = listing.count(listing.q, **dict(listing.filters))  # uncached: this runs in the download's thread
    head = [heading_lines[0] + f"（共 {total:,} 条）", *heading_lines[1:]] if heading_lines else []
    chunks = (zh_frame(df, columns, percent_numbers=False) for df in listing.chunks())
    return export.listing_xlsx(chunks, head, excel_formats(columns), sheet=sheet,
                               columns=[labels.excel_label(c) for c in columns])


PROJECT_LINK = "项目卡片"


def project_links_of(rows: pd.DataFrame, year: int) -> list[str]:
    """Each row's link to its project card (deeplink.project_href): by 项目编码 when the row has one."""
    codes = rows["code"] if "code" in rows else [None] * len(rows)
    return [deeplink.project_href(c, p, year) for c, p in zip(codes, rows["project_id"])]


def range_caption(first: int, last: int, total: int) -> str:
    return f"第 {first:,}–{last:,} 条，共 {total:,} 条"


@st.cache_resource(max_entries=2048, show_spinner=False)  # about 4 pages per pre-visited department and year
def _shown_page(key: str, _rows=None, _cols: tuple = (), _links: bool = False, _year: int | None = None):
    """One page of a list as st.dataframe draws it (Chinese headers, 项目卡片 links first with `_links`), once per
    process for each page (`key`: Listing.key of the page), shared by every session and never changed.

    Already an Arrow table: st.dataframe serialises a pyarrow.Table as it is, and a pandas frame by first making
    this very table (pyarrow.Table.from_pandas, Streamlit's own first try; a frame it cannot convert is kept as a
    frame, Streamlit then fixes its columns itself). Labelling the page and converting it took about a third of a
    部门画像 run's CPU on every run of every session (issue 28, bench/cpu_steps.py)."""
    shown = zh_frame(_rows, list(_cols))
    if _links:
        shown.insert(0, PROJECT_LINK, project_links_of(_rows, _year))
    try:
        return pa.Table.from_pandas(shown)
    except (pa.ArrowException, OverflowError):  # Streamlit's own fixes apply to the frame
        return shown


def listing(listing: data.Listing, ctx, title: str, key: str, columns: list[str], *, file_stem: str | None = None,
            page_key: str | None = None, page_size: int = PAGE_SIZE, filters: str = "", note: str = "",
            empty: str = "没有符合条件的记录。", on_select=None, height: int | None = None,
            project_links: bool = False):
    """One page of a complete list, 「第 a–b 条，共 N 条」, paging (st.pagination bound to ?`page_key`=) when
    it has more than a page, and a download of all N rows. Returns (rows shown, selection event or None).

    With `project_links` (rows with project_id, and code) a first column 「项目卡片」 links each row to its card on
    项目查询 (?project=<项目编码>&year=); the download leaves it out."""
    total = listing.total()
    if not total:
        st.caption(empty)
        return pd.DataFrame(columns=columns), None
    pages = -(-total // page_size)
    page_no = 1
    if pages > 1:
        page_no = st.pagination(pages, key=page_key or f"{key}_p", bind="query-params")
        page_no = min(max(1, int(page_no or 1)), pages)
    offset = (page_no - 1) * page_size
    rows = listing.page(page_size, offset)
    st.caption(range_caption(offset + 1, offset + len(rows), total) + (f"。{note}" if note else "。"))
    cols = [c for c in columns if c in rows.columns]
    kwargs = {"column_config": column_config(cols), "hide_index": True, "width": "stretch", "placeholder": fmt.DASH}
    if height:
        kwargs["height"] = height
    if on_select:
        kwargs.update(on_select=on_select, selection_mode="single-row")
    links = bool(project_links and "project_id" in rows)
    if links:
        kwargs["column_config"][PROJECT_LINK] = st.column_config.LinkColumn(
            PROJECT_LINK, display_text="打开", help="在「项目查询」页打开该项目的全过程卡片（新标签页）。")
    shown_rows = _shown_page(listing.key("shown", page_size, offset, tuple(cols), links, ctx.scope.year),
                             _rows=rows, _cols=tuple(cols), _links=links, _year=ctx.scope.year)
    event = st.dataframe(shown_rows, key=f"{key}_table", **kwargs)
    head = heading(ctx, title, filters)
    stem = file_stem or f"{title}_{ctx.scope.year}"
    export.download(
        "下载 Excel", lambda: listing_file(listing, cols, head, sheet=title[:31]), f"{stem}.xlsx", f"{key}_xlsx",
        what=f"{title}（全部 {total:,} 条）",
        help=f"全部 {total:,} 条（不只是本页），含标题行：范围、判断日期、数据来源。",
    )
    return rows, (event if on_select else None)


_LABEL_FORMATS = excel_formats(labels.LABELS)
