"""A reader's own view (issue 26, item 4): 我关注的领域 — sectors and departments kept per account
(dashboard.core.accounts.set_preferences) and applied as the sidebar's department filter when a session starts,
with 显示全部部门 one click away; 大字号 (larger type, higher contrast), kept per account; and a QR code of the
page as it is now (filters included), so a phone opens the live page (segno draws it).

Without sign-in ([auth] mode = "none") there is no account to keep them in: they last for the session.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard.core import accounts
from dashboard.present import qr
from dashboard.ui import data, text

PREFS_KEY = "_prefs"  # (account name, preferences) of this session
APPLIED_KEY = "_focus_applied"  # the focus was applied to the department filter once in this session
FOCUS_KEY = "_focus_ids"  # the department ids the focus names (for the sidebar's note)

# our own stylesheet (no data in it): 大字号 — about 125% type, darker secondary text, thicker focus outline
LARGE_CSS = """<style>
html, body, [data-testid="stApp"] { font-size: 20px; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stSidebar"] p { font-size: 1.1rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #1f1f1f !important;
  font-size: 1rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.4rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.1rem !important; color: #000 !important; }
:focus-visible { outline: 3px solid #1f4e79 !important; outline-offset: 2px; }
</style>"""


def load(url: str, actor) -> dict:
    """This session's preferences: read once from the account, then kept in the session."""
    held = st.session_state.get(PREFS_KEY)
    if held and held[0] == actor.name:
        return held[1]
    try:
        prefs = accounts.get_preferences(url, actor.name)
    except SQLAlchemyError:  # a database that cannot be read now: the defaults for this session
        prefs = accounts.clean_preferences({})
    st.session_state[PREFS_KEY] = (actor.name, prefs)
    return prefs


def focus_ids(url: str, version: int, prefs: dict) -> tuple[int, ...]:
    """The 主管部门 the preferences name: by name or code, and every department of a named sector."""
    names, sectors = set(prefs.get("focus_departments") or ()), set(prefs.get("focus_sectors") or ())
    if not names and not sectors:
        return ()
    options = data.department_options(url, version)
    by_sector = data.department_sectors(url, version)
    found = [int(r.id) for r in options.itertuples()
             if str(r.name) in names or (r.code is not None and str(r.code) in names)
             or by_sector.get(int(r.id)) in sectors]
    return tuple(sorted(set(found)))


def style(prefs: dict) -> None:
    if prefs.get("large_type"):
        st.html(LARGE_CSS)


def panel(url: str, version: int, actor, prefs: dict) -> None:
    """Sidebar popover 我的关注与显示: sectors, departments, 大字号; saved to the account (or the session)."""
    options = data.department_options(url, version)
    sectors = sorted({s for s in data.department_sectors(url, version).values() if s})
    depts = [str(n) for n in options["name"]]
    with st.sidebar.popover("我的关注与显示", icon=":material/star:", width="stretch"):
        st.caption("选定的领域和部门在每次登录时作为默认的部门筛选；侧栏可随时切换为全部部门。")
        chosen_sectors = st.multiselect("关注的领域", sectors, default=[s for s in prefs["focus_sectors"]
                                                                         if s in sectors],
                                        key="pref_sectors", placeholder="不选即不按领域")
        chosen_depts = st.multiselect("关注的部门", depts, default=[d for d in prefs["focus_departments"] if d in depts],
                                      key="pref_depts", placeholder="不选即不按部门")
        large = st.toggle("大字号（字更大、对比更强）", value=prefs["large_type"], key="pref_large")
        if st.button("保存", key="pref_save", type="primary"):
            new = {"focus_sectors": chosen_sectors, "focus_departments": chosen_depts, "large_type": large}
            try:
                new = accounts.set_preferences(url, actor, new)
                message = "已保存到本账号，下次登录时生效；本次的部门筛选已按关注的领域更新。"
            except (accounts.AccountError, accounts.Forbidden) as exc:
                new = accounts.clean_preferences(new)
                message = str(exc)
            st.session_state[PREFS_KEY] = (actor.name, new)
            st.session_state.pop(APPLIED_KEY, None)  # apply the new focus to the filter on the next run
            st.session_state["_pref_msg"] = message
            st.rerun()
        if st.session_state.get("_pref_msg"):
            st.caption(text.md(st.session_state.pop("_pref_msg")))


def apply_focus(ids: tuple[int, ...], names: dict[int, str]) -> None:
    """Before the department filter is drawn: on the session's first run (and after a save), the focus becomes
    the filter — unless the URL names departments itself (a shared link keeps its scope)."""
    st.session_state[FOCUS_KEY] = ids
    if st.session_state.get(APPLIED_KEY):
        return
    st.session_state[APPLIED_KEY] = True
    if not ids or "departments" in st.query_params:
        return
    st.session_state["departments"] = [i for i in ids if i in names]


def focus_note(chosen: tuple[int, ...]) -> None:
    """Under the department filter: the focus is on, and the way back to all."""
    ids = st.session_state.get(FOCUS_KEY) or ()
    if ids and tuple(sorted(chosen)) == tuple(sorted(ids)):
        st.caption(f"按「我的关注」显示 {len(ids)} 个部门。")
        st.button("显示全部部门", key="focus_all", icon=":material/select_all:", on_click=_show_all)


def _show_all() -> None:
    st.session_state["departments"] = []


def current_link(path: str | None = None) -> str | None:
    """The URL of the page as it is now, filters included (None when the server does not know its address)."""
    try:
        base = st.context.url
    except (AttributeError, RuntimeError):  # no request behind this run (bare mode, tests)
        return None
    if not base:
        return None
    parts = urllib.parse.urlsplit(str(base))
    query = urllib.parse.urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path or parts.path, query, ""))


def qr_popover() -> None:
    """Sidebar: 手机扫码打开本页 — a QR code of this page with its filters."""
    link = current_link()
    if not link or len(link) > qr.MAX_LINK:
        return
    with st.sidebar.popover("手机扫码打开本页", icon=":material/qr_code_2:", width="stretch"):
        st.image(qr.qr_png(link), width=220)
        st.caption("用手机扫码，打开与本页相同的页面和筛选（需能访问本系统的网络，并登录）。")
        st.text(link)
