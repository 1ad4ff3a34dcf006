"""Document downloads on the pages: 下载部门简报 (Word / PDF) and the batch of briefs on 部门画像, 下载年度报告 on 总览.

Each document is made only when its button is clicked (the button's data is a callable), through one bounded
`st.cache_data` keyed on scalars: the data version, year, department id, judging date, format and the rules
and document settings as text. Every button goes through `document_download`, the one place the accounts
issue's audit trail hooks into (an `export` entry per download).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable

import streamlit as st

from dashboard import documents
from dashboard.core.settings import Documents, Rules
from dashboard.documents.brief import ATTENTION_MIN_RULES
from dashboard.documents.docx_kit import DOCX_MIME, PDF_MIME
from dashboard.documents.pdf import soffice_path
from dashboard.ui import auth, export, text

TTL = 3600


def _docs() -> Documents:
    return auth.settings().documents


@st.cache_data(max_entries=16, ttl=TTL, show_spinner=False)
def _brief(url: str, version: int, year: int, department_id: int, today: str, fmt: str, rules_key: str,
           docs_key: str, peer_names: bool = True, fund: str | None = None, link_base: str | None = None,
           _rules: Rules = None, _docs: Documents = None) -> bytes:
    return documents.brief_document(url, year, int(department_id), dt.date.fromisoformat(today), _rules, _docs,
                                    fmt=fmt, peer_names=peer_names, fund=fund, link_base=link_base)


@st.cache_data(max_entries=4, ttl=TTL, show_spinner=False)
def _batch(url: str, version: int, year: int, only_attention: bool, today: str, rules_key: str, docs_key: str,
           fund: str | None = None, link_base: str | None = None, _rules: Rules = None,
           _docs: Documents = None) -> bytes:
    return documents.brief_batch(url, year, dt.date.fromisoformat(today), _rules, _docs,
                                 only_attention=only_attention, fund=fund, link_base=link_base)


def link_base(docs: Documents) -> str | None:
    """The app's address for the brief's QR code: [documents] public_url, else the address the browser used for
    this page, without the page's own path segment (None when the run has no request behind it)."""
    if docs.public_url:
        return docs.public_url
    try:
        page = st.context.url
    except (AttributeError, RuntimeError):  # no request behind this run (bare mode, tests)
        return None
    if not page:
        return None
    parts = urllib.parse.urlsplit(str(page))
    # the default page is the app's own path ("/" or "/prefix/"); any other page adds one segment to it
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path.rpartition("/")[0]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@st.cache_data(max_entries=8, ttl=TTL, show_spinner=False)
def _report(url: str, version: int, year: int, department_id: int | None, today: str, rules_key: str,
            docs_key: str, fund: str | None = None, _rules: Rules = None, _docs: Documents = None) -> bytes:
    return documents.report_document(url, year, dt.date.fromisoformat(today), _rules, _docs,
                                     department=department_id, fund=fund)


def document_download(label: str, make: Callable[[], bytes], file_name: str, mime: str, key: str,
                      help: str | None = None, disabled: bool = False, icon: str = ":material/description:") -> None:
    """The one download button of the documents: `make` runs only when it is clicked; each download is an
    `export` entry of the audit trail (export.download)."""
    export.download(label, make, file_name, key, what=label, mime=mime, icon=icon, help=help, disabled=disabled)


def _keys(ctx, docs: Documents) -> dict:
    return {"today": ctx.today.isoformat(), "rules_key": repr(ctx.rules), "docs_key": repr(docs)}


def _safe(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name).strip() or "部门"


def coverage_note(ctx, what: str) -> None:
    """What a document covers, beside its button, when the page shows one 资金来源: the documents follow the page's
    fund source and 判断日期, and say so in their text (issue 24: the page said 2,803.65 万元, the Word file 16,636.10)."""
    if ctx.scope.fund_source:
        st.caption(f"{what}与本页一致，只含资金来源为“{text.md(ctx.scope.fund_source)}”的项目（文中写明），"
                   f"判断日期与本页相同（{ctx.today.isoformat()}）。")


def brief_buttons(ctx, department_id: int, name: str) -> None:
    """下载部门简报 — Word and PDF of one department's brief for the context's year."""
    coverage_note(ctx, "部门简报")
    docs = _docs()
    k = _keys(ctx, docs)
    stem = f"{_safe(name)}_{ctx.scope.year}年度部门简报"
    year, url, version = ctx.scope.year, ctx.url, ctx.version
    pdf_missing = soffice_path(docs) is None
    peers = not ctx.scope.limit  # a department-limited reader's brief names no other department
    fund = ctx.scope.fund_source or None
    base = link_base(docs)
    with st.container(horizontal=True, gap="small"):
        document_download("下载部门简报（Word）", lambda: _brief(url, version, year, department_id, k["today"], "docx",
                                                         k["rules_key"], k["docs_key"], peers, fund, base,
                                                         _rules=ctx.rules, _docs=docs),
                          f"{stem}.docx", DOCX_MIME, "brief_docx",
                          help="给代表的审议材料：主要指标及同比、排名、图表、红灯与未报送、中差项目、自评虚高、未销号问题、"
                               "结果应用、同类部门参照、建议关注的问题。点击时生成。")
        document_download("下载部门简报（PDF）", lambda: _brief(url, version, year, department_id, k["today"], "pdf",
                                                        k["rules_key"], k["docs_key"], peers, fund, base,
                                                        _rules=ctx.rules, _docs=docs),
                          f"{stem}.pdf", PDF_MIME, "brief_pdf", disabled=pdf_missing, icon=":material/picture_as_pdf:",
                          help=("本机没有安装 LibreOffice（libreoffice-writer-nogui），无法生成 PDF，请下载 Word 版。"
                                if pdf_missing else "与 Word 版内容相同，由 LibreOffice 转换。点击时生成，约需几秒。"))


def batch_button(ctx) -> None:
    """The hearing batch: one .docx with a contents page and one brief per department (or only those needing
    attention)."""
    if ctx.scope.limit:  # briefs of every department are not for a department-limited account
        return
    coverage_note(ctx, "批量简报")
    docs = _docs()
    k = _keys(ctx, docs)
    year, url, version = ctx.scope.year, ctx.url, ctx.version
    attention = f"需关注的部门（触发 {ATTENTION_MIN_RULES} 项及以上问题规则）"
    choice = st.radio("批量简报包含", [attention, "全部主管部门"], horizontal=True, key="brief_batch_which")
    only = choice == attention
    fund = ctx.scope.fund_source or None
    stem = f"{year}年度部门简报汇编" + ("_需关注部门" if only else "_全部部门")
    document_download("下载批量简报（Word）", lambda: _batch(url, version, year, only, k["today"], k["rules_key"],
                                                     k["docs_key"], fund, link_base(docs), _rules=ctx.rules,
                                                     _docs=docs),
                      f"{stem}.docx", DOCX_MIME, "brief_batch",
                      help="一个文件：目录页（含页码），按关注度排序的各部门简报，部门索引（审议会用）。部门多时生成需要一两分钟。")


def report_button(ctx) -> None:
    """下载年度报告 — the annual work report draft of the year (one department when exactly one is selected)."""
    docs = _docs()
    k = _keys(ctx, docs)
    year, url, version = ctx.scope.year, ctx.url, ctx.version
    department_id = ctx.scope.departments[0] if len(ctx.scope.departments) == 1 else None
    if department_id is None and ctx.scope.limit:  # a department-limited account: one of its departments only
        st.caption("年度报告：请先在侧栏选择一个部门。")
        return
    names = dict(ctx.departments)
    who = names.get(department_id, "") if department_id is not None else "全部部门"
    coverage_note(ctx, "年度报告")
    document_download("下载年度报告（Word 初稿）", lambda: _report(url, version, year, department_id, k["today"],
                                                           k["rules_key"], k["docs_key"], ctx.scope.fund_source or None,
                                                           _rules=ctx.rules, _docs=docs),
                      f"{_safe(who)}_{year}年度预算绩效管理工作情况报告_初稿.docx", DOCX_MIME, "report_docx",
                      help=f"{year} 年{who}的年度工作情况报告初稿（一、主要工作及成效，二、存在的问题，三、下一年工作安排），"
                           "数据实时生成并与上年比较；标【待编辑】的段落请经办人员按提示修改。资金来源与本页相同。点击时生成。")
