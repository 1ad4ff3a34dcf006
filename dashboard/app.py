"""Entry point of the Streamlit app: page config, database init, global filters, navigation.

Run from the repository root: `python -m streamlit run dashboard/app.py`. The entry point lives here,
not next to pages/, so a deep link always passes through this shell (see docs on Streamlit 1.67).
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from dashboard import registry
from dashboard.core import audit, db
from dashboard.core.settings import SettingsError, load_settings, require_secret
from dashboard.ui import auth, common, filters, prefs, screen, warm, zh

log = logging.getLogger("dashboard.app")

# a local icon: a ":material/…:" page icon makes every browser fetch it from fonts.gstatic.com
FAVICON = Path(__file__).with_name("assets") / "favicon.png"
st.set_page_config(page_title="预算绩效监督驾驶舱", page_icon=str(FAVICON), layout="wide", initial_sidebar_state="auto")


@st.cache_resource(show_spinner="正在准备数据库……")
def _init_database(url: str) -> str:
    """Create or upgrade the schema once per process and URL."""
    return db.init_db(url)


def main() -> None:
    zh.mount()  # Streamlit's own words in Chinese, on every page the sign-in page included (dashboard/ui/zh.py)
    try:
        settings = require_secret(load_settings())  # password sign-in signs sessions: no secret, no sign-in
    except SettingsError as exc:  # a bad dashboard.toml or DASHBOARD_TODAY must say so, not show a traceback
        log.exception("settings unusable")
        st.error(f"{exc}。请改正后刷新页面。", icon=":material/error:")
        return
    url = settings.db_url
    audit.configure(settings.auth.audit_hash)  # the hash new audit entries are chained with
    try:
        _init_database(url)
        warm.start(settings)  # once per process: facts and aggregates warmed in the background (ui/warm.py)
    except Exception:
        ref = common.error_reference()
        log.exception("database unavailable [ref %s]", ref)
        st.error(f"无法连接数据库。请检查 DATABASE_URL 设置后刷新页面；如果一直出现，请把参考编号 {ref} 告诉管理员。",
                 icon=":material/error:")
        return
    # sign-in first, on every run and every URL: a signed-out visitor gets the sign-in page at each page's
    # URL, a signed-in one the pages of its role, and every other page's URL shows only 无权限访问
    actor = auth.gate(settings, url)
    pages = {}
    for p in registry.PAGES:
        if registry.may_open(actor, p):
            pages[p.key] = st.Page(p.path, title=p.title, url_path=p.url_path, icon=p.icon, default=p.default)
        else:
            stand_in = auth.sign_in_page if actor is None else auth.denied_page
            pages[p.key] = st.Page(stand_in, title=p.title if actor else "登录", url_path=p.url_path,
                                   default=p.default, visibility="hidden")
    st.session_state[common.PAGES_KEY] = pages
    visible = registry.sections(actor) if actor else {}
    hidden = [pages[p.key] for p in registry.PAGES if not registry.may_open(actor, p)]
    nav_pages = {section: [pages[p.key] for p in members] for section, members in visible.items()}
    nav_pages.setdefault("", []).extend(hidden)
    meeting = screen.wanted()  # ?mode=screen: the 大屏 page, no navigation bar
    # expanded: every page listed (on a phone the navigation moves into the sidebar, which otherwise folds after 10)
    nav = st.navigation(nav_pages, position="top" if actor and not meeting else "hidden", expanded=True)
    current = registry.BY_URL.get(nav.url_path)
    if actor is None or current is None or not registry.may_open(actor, current):
        nav.run()  # the sign-in page or 无权限访问: no sidebar, no figures
        return
    auth.account_box(settings, actor)
    try:
        version = db.data_version(url)
        has_data = db.has_projects(url)
    except Exception:
        ref = common.error_reference()
        log.exception("database unavailable [ref %s]", ref)
        st.error(f"无法连接数据库。请检查 DATABASE_URL 设置后刷新页面；如果一直出现，请把参考编号 {ref} 告诉管理员。",
                 icon=":material/error:")
        return
    mine = prefs.load(url, actor)  # 我的关注 and 大字号 of this account (dashboard/ui/prefs.py)
    prefs.style(mine)
    focus = prefs.focus_ids(url, version, mine) if has_data else ()
    filters.sidebar(url, version, settings.rules, has_data, settings.effective_today(), page=nav.url_path,
                    actor=actor, unfiltered=None if current.filtered else current.title, focus=focus)
    if meeting and current.key != "screen" and registry.may_open(actor, registry.BY_KEY["screen"]):
        # the sidebar's filters travel in the session (their query parameters are bound to widgets)
        keep = {k: v for k, v in st.query_params.to_dict().items() if k in (screen.MODE_PARAM, screen.ROTATE_PARAM)}
        st.switch_page(pages["screen"], query_params=keep)
    if has_data:
        prefs.panel(url, version, actor, mine)
        prefs.qr_popover()
        with st.sidebar:
            common.link("screen", "大屏模式（会议投屏）", query_params={"mode": "screen"}, icon=":material/tv:")
    if not has_data and nav.url_path != "upload":
        common.empty_database(url)
        return
    try:
        nav.run()
    except Exception:
        ref = common.error_reference()
        log.exception("page %s failed [ref %s]", nav.url_path, ref)
        st.error(f"页面出错了。请刷新重试；如果一直出现，请把参考编号 {ref} 告诉管理员。", icon=":material/error:")


main()
