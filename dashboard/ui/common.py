"""Page scaffolding shared by every page: error guards, titles, empty states, the provenance line, page links."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError

from dashboard import demo
from dashboard.core.accounts import Forbidden
from dashboard.core.vocab import BATCH_SOURCE_LABELS
from dashboard.present import fmt
from dashboard.ui import auth, data, text
from data_loaders import db_errors

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
    except Exception as exc:
        ref = error_reference()
        log.exception("section %s failed [ref %s]", what, ref)
        why = _database_cause(exc)
        st.warning(f"「{what}」暂时无法显示{why}。请刷新页面重试；如果一直出现，请把参考编号 {ref} 告诉管理员。",
                   icon=":material/error:")


def _database_cause(exc: Exception) -> str:
    """"：<cause>" when a section failed because the database could not answer (issue 23: name the real cause)."""
    if not isinstance(exc, DBAPIError):
        return ""
    kind = db_errors.classify(exc).kind
    return {db_errors.CONNECTION: "：与数据库的连接中断或无法建立",
            db_errors.BUSY: "：数据库正忙（另一项操作正在写入），等待超时"}.get(kind, "：数据库未能完成查询")


def error_reference() -> str:
    """A short number the user can quote; the server log carries it beside the traceback."""
    return uuid.uuid4().hex[:8]


def page(name: str):
    """The st.Page registered by app.py under `name` (overview, ranking, department, ...)."""
    return st.session_state[PAGES_KEY][name]


def link(name: str, label: str, query_params: dict | None = None, icon: str | None = None) -> None:
    st.page_link(page(name), label=text.md(label), query_params=query_params, icon=icon)


def header(title: str, ctx, blurb: str | None = None) -> None:
    st.title(title)
    st.caption(f"当前范围：{text.md(ctx.scope_label())}" + (f"　{blurb}" if blurb else ""))


def provenance(ctx) -> None:
    """'数据截至 … · 来源批次 #n（时间，文件）' under the page title."""
    with guard("数据来源"):
        p = data.provenance(ctx) or {}
        parts = []
        if p.get("monitoring_as_of"):
            parts.append(f"监控数据截至 {fmt.date(p['monitoring_as_of'])}")
        if p.get("batch_id") is not None:
            when = fmt.timestamp(p.get("created_at"))
            files = p.get("files") or []
            names = [f.get("name", "") if isinstance(f, dict) else str(f) for f in files]
            src = BATCH_SOURCE_LABELS.get(p.get("source"), p.get("source") or "")
            label = f"来源批次 #{p['batch_id']}（{when}{'，' + src if src else ''}"
            if names:
                label += "：" + "、".join(text.md(n) for n in names[:3]) + (f" 等{len(names)}个文件" if len(names) > 3 else "")
            parts.append(label + "）")
        st.caption("　·　".join(parts) if parts else "数据来源：暂无导入记录")


def load_demo_button(url: str, key: str = "load_demo") -> None:
    if st.button("加载演示数据", type="primary", key=key, icon=":material/database:"):
        try:
            with st.spinner("正在生成演示数据……"):
                demo.load_demo(url, rules=auth.settings().rules,
                               actor=auth.current() or auth.accounts.Actor("未登录", "anonymous"))
        except Forbidden as exc:
            st.error(str(exc))
            return
        except DBAPIError as exc:  # a full disk, a lock, a lost connection …: the real cause (issue 23)
            st.error("演示数据加载失败：" + db_errors.explain(exc, outcome="数据库未改变", what="demo"))
            return
        except Exception:
            ref = error_reference()
            log.exception("demo load failed [ref %s]", ref)
            st.error(f"演示数据加载失败，数据库未改变。请把参考编号 {ref} 告诉管理员。")
            return
        st.cache_data.clear()
        st.rerun()


def empty_database(url: str) -> None:
    """The database has no projects: offer demo data and the upload page."""
    st.title("预算绩效监督驾驶舱")
    st.info("数据库中还没有任何项目数据。可以先加载演示数据看看效果，或到「数据上传」页导入本地的表格。",
            icon=":material/inbox:")
    actor = auth.current()
    if actor is None or not actor.may("import"):
        st.caption("请联系绩效科或管理员导入数据。")
        return
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        load_demo_button(url)
        link("upload", "去上传数据", icon=":material/upload:")


def no_data(ctx, what: str = "数据") -> None:
    st.info(f"所选范围（{text.md(ctx.scope_label())}）没有{what}。可以换一个年度、部门或资金来源再看。",
            icon=":material/filter_alt_off:")


def empty_department(ctx, name: str) -> str:
    """部门画像 with nothing in scope: names the 资金来源 filter when it is on (the likelier cause), else the year."""
    if ctx.scope.fund_source:
        return (f"{text.md(name)} 在 {ctx.scope.year} 年没有资金来源为“{text.md(ctx.scope.fund_source)}”的项目、评价或"
                "整改数据。可在侧栏把资金来源改为“全部资金来源”，或换一个年度。")
    return f"{text.md(name)} 在 {ctx.scope.year} 年没有项目、评价或整改数据。可在侧栏换一个年度。"


def chart_rows(df: pd.DataFrame, key: str, what: str, n: int = 30) -> pd.DataFrame:
    """With many departments a chart shows the first `n` rows (already sorted worst first) unless asked for all."""
    if df is None or len(df) <= n + 10:
        return df
    view = st.segmented_control("图中显示", [f"{what}前 {n} 个", "全部"], default=f"{what}前 {n} 个", key=key)
    if view == "全部":
        return df
    st.caption(f"图中为{what}前 {n} 个部门，共 {fmt.count(len(df))} 个，全部见下表。")
    return df.head(n)
