"""Page scaffolding shared by every page: error guards, empty states, provenance line, tables, links."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from dashboard.ui import data, export, fmt

log = logging.getLogger("dashboard.ui")
PAGES_KEY = "_dashboard_pages"


@contextmanager
def guard(what: str):
    """Run one section of a page; on any error show a short Chinese message, never a traceback.

    Streamlit's own control flow (st.rerun, st.stop, st.switch_page) derives from BaseException and
    passes through untouched.
    """
    try:
        yield
    except NotImplementedError as exc:
        log.warning("section %s not ready: %r", what, exc)
        st.info(f"「{what}」的数据功能尚在建设中，暂不可用。", icon=":material/construction:")
    except Exception as exc:
        log.exception("section %s failed", what)
        st.warning(f"「{what}」暂时无法显示（{exc.__class__.__name__}）。请稍后重试或联系管理员。",
                   icon=":material/error:")


def page(name: str):
    """The st.Page registered by app.py under `name` (overview, ranking, department, ...)."""
    return st.session_state[PAGES_KEY][name]


def link(name: str, label: str, query_params: dict | None = None, icon: str | None = None) -> None:
    st.page_link(page(name), label=label, query_params=query_params, icon=icon)


def header(title: str, ctx, blurb: str | None = None) -> None:
    st.title(title)
    st.caption(f"当前范围：{ctx.scope_label()}" + (f"　{blurb}" if blurb else ""))


def provenance(ctx) -> None:
    """'数据截至 … · 来源批次 #n（时间，文件）' under the page title."""
    with guard("数据来源"):
        p = data.provenance(ctx) or {}
        parts = []
        if p.get("monitoring_as_of"):
            parts.append(f"监控数据截至 {fmt.date(p['monitoring_as_of'])}")
        if p.get("batch_id") is not None:
            when = p.get("created_at")
            when = when.strftime("%Y-%m-%d %H:%M") if hasattr(when, "strftime") else (when or "")
            files = p.get("files") or []
            names = [f.get("name", "") if isinstance(f, dict) else str(f) for f in files]
            src = {"demo": "演示数据", "import": "上传导入", "sync": "数据库同步"}.get(p.get("source"), p.get("source") or "")
            label = f"来源批次 #{p['batch_id']}（{when}{'，' + src if src else ''}"
            if names:
                label += "：" + "、".join(names[:3]) + (f" 等{len(names)}个文件" if len(names) > 3 else "")
            parts.append(label + "）")
        st.caption("　·　".join(parts) if parts else "数据来源：暂无导入记录")


def load_demo_button(url: str, key: str = "load_demo") -> None:
    if st.button("加载演示数据", type="primary", key=key, icon=":material/database:"):
        try:
            from dashboard import demo

            with st.spinner("正在生成演示数据……"):
                demo.load_demo(url)
        except Exception as exc:
            log.exception("demo load failed")
            st.error(f"演示数据加载失败：{exc.__class__.__name__}")
            return
        st.cache_data.clear()
        st.rerun()


def empty_database(url: str) -> None:
    """The database has no projects: offer demo data and the upload page."""
    st.title("预算绩效监督驾驶舱")
    st.info("数据库中还没有任何项目数据。可以先加载演示数据看看效果，或到「数据上传」页导入本地的表格。",
            icon=":material/inbox:")
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        load_demo_button(url)
        link("upload", "去上传数据", icon=":material/upload:")


def no_data(ctx, what: str = "数据") -> None:
    st.info(f"所选范围（{ctx.scope_label()}）没有{what}。可以换一个年度、部门或资金来源再看。",
            icon=":material/filter_alt_off:")


def column_config(columns) -> dict:
    """Money with thousands separators, ratios as percentages, keyed by the Chinese labels."""
    config = {}
    for col in columns:
        label = fmt.label(col)
        if col in fmt.MONEY_COLUMNS:
            config[label] = st.column_config.NumberColumn(label, format="accounting")
        elif col in fmt.FRACTION_COLUMNS or col in ("score", "avg_score", "self_score", "independent_score", "gap", "composite", "coverage",
                     "execution", "evaluation", "rectification", "not_red", "lag"):
            config[label] = st.column_config.NumberColumn(label, format="%.1f")
    return config


def table(df: pd.DataFrame, file_stem: str, key: str, columns: list[str] | None = None,
          height: int | None = None, on_select=None, selection_mode=None, empty: str = "没有符合条件的记录。"):
    """A Chinese-labelled table with its .xlsx download; returns the selection when on_select is given."""
    if df is None or df.empty:
        st.caption(empty)
        return None
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    shown = fmt.zh_frame(df, cols)
    kwargs = {"hide_index": True, "width": "stretch", "column_config": column_config(cols), "key": f"{key}_table",
                  "placeholder": fmt.DASH}
    if height:
        kwargs["height"] = height
    if on_select:
        kwargs.update(on_select=on_select, selection_mode=selection_mode or "single-row")
    event = st.dataframe(shown, **kwargs)
    export.download_button(shown, file_stem, key=f"{key}_xlsx")
    return event


def chart_rows(df: pd.DataFrame, key: str, what: str, n: int = 30) -> pd.DataFrame:
    """With many departments a chart shows the first `n` rows (already sorted worst first) unless asked for all."""
    if df is None or len(df) <= n + 10:
        return df
    view = st.segmented_control("图中显示", [f"{what}前 {n} 个", "全部"], default=f"{what}前 {n} 个", key=key)
    if view == "全部":
        return df
    st.caption(f"图中为{what}前 {n} 个部门，共 {len(df)} 个，全部见下表。")
    return df.head(n)
