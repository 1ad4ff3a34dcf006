"""Entry point of the Streamlit app: page config, database init, global filters, navigation.

Run from the repository root: `python -m streamlit run dashboard/app.py`. The entry point lives here,
not next to pages/, so a deep link always passes through this shell (see docs on Streamlit 1.67).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path

import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager

from dashboard import previsit, registry
from dashboard.core import audit, db
from dashboard.core.settings import SettingsError, load_settings, require_secret
from dashboard.ui import auth, charts, common, filters, prefs, screen, warm, zh

log = logging.getLogger("dashboard.app")

# a local icon: a ":material/…:" page icon makes every browser fetch it from fonts.gstatic.com
FAVICON = Path(__file__).with_name("assets") / "favicon.png"
st.set_page_config(page_title="预算绩效监督驾驶舱", page_icon=str(FAVICON), layout="wide", initial_sidebar_state="auto")


# seconds a file made by a download click stays fetchable (see keep_downloads)
DOWNLOAD_GRACE_S = 120.0


def keep_downloads() -> None:
    """Keep each file a download click produced for DOWNLOAD_GRACE_S seconds (once per process).

    The app's downloads are generated when clicked (st.download_button with a callable, dashboard/ui/export.py);
    Streamlit stores the file unreferenced and deletes it at the second end of a script run of ANY session. With
    dozens of sessions at once those two run ends come before the browser's GET of the file: the download
    failed with 404 for 7 of 50 sessions (bench/loadclient.py). Files younger than the grace are left alone."""
    if getattr(MediaFileManager, "_dashboard_grace", None) is not None:
        return
    made: dict[str, float] = {}  # file id → when the click made it
    lock = threading.Lock()
    execute, inactive = MediaFileManager.execute_deferred, MediaFileManager._get_inactive_file_ids

    def execute_deferred(self, file_id: str) -> str:
        url = execute(self, file_id)
        with lock:
            made[url.rsplit("/", 1)[-1].split(".", 1)[0]] = time.monotonic()
        return url

    def get_inactive_file_ids(self) -> set[str]:
        now = time.monotonic()
        with lock:
            for fid in [f for f, t in made.items() if now - t > DOWNLOAD_GRACE_S]:
                del made[fid]
            young = set(made)
        return inactive(self) - young

    MediaFileManager.execute_deferred = execute_deferred
    MediaFileManager._get_inactive_file_ids = get_inactive_file_ids
    MediaFileManager._dashboard_grace = DOWNLOAD_GRACE_S


@st.cache_resource(show_spinner="正在准备数据库……")
def _init_database(url: str) -> str:
    """Create or upgrade the schema once per process and URL."""
    return db.init_db(url)


def preload_cards():
    """An empty st.metric at the top of the sidebar while the run lasts (removed at its end); None under AppTest.

    Streamlit's browser code loads each kind of element on first use: a first visit's KPI cards stayed grey
    skeletons until the Metric code loaded, which on a new tab waited behind Plotly's (the cards were drawn
    0.4–3.1 s after the run had finished, with the charts). Asking for it at the start of the run has it
    ready when the cards arrive: in 13 of 14 first visits they were drawn at most 0.22 s after the run
    (bench/paint.py, Chromium, county demo; cards_first_paint_ratio).

    Once per session (a tab loads the code once), and hidden (display: none still mounts it, so the code loads):
    nothing flickers in the sidebar, and no reader or test sees a card before the page's own."""
    if not warm.real_server() or st.session_state.get(_PRELOADED):
        return None
    st.session_state[_PRELOADED] = True
    slot = st.sidebar.empty()
    with slot.container(key="preload_cards"):
        st.html("<style>.st-key-preload_cards{display:none}</style>")
        st.metric("预加载", "", label_visibility="collapsed")  # a label (hidden): an empty one logs a warning
    return slot


_PRELOADED = "_cards_preloaded"

# what a cold start says while the page computes
COLD_TEXT = "正在加载数据……服务刚启动，首次打开要多等几秒。"


@st.cache_resource(show_spinner=False)
def _pages_drawn() -> set:
    """The database URLs this process has drawn a page of (one set per process)."""
    return set()


def cold(warmer, url: str) -> bool:
    """Whether this run is a cold start: on a real server, the warming thread (dashboard/ui/warm.py) has not yet
    finished its first warming of `url` (a URL it gave up on is not cold any more), or, without warming, no page
    of `url` has been drawn in this process yet. Never under AppTest."""
    if not warm.real_server():
        return False
    if warmer is not None:
        return url in warmer.targets and url not in warmer.done
    return url not in _pages_drawn()


@contextlib.contextmanager
def cold_notice(is_cold: bool):
    """On a cold start the page says what it is doing: COLD_TEXT above the page from the start of the run until
    the page is drawn. A note at once, not st.spinner (which shows only after half a second, so a browser test
    could not rely on it); on a warm run nothing is added, so the page's elements keep their places."""
    if not is_cold:
        yield
        return
    note = st.empty()
    note.info(COLD_TEXT, icon=":material/hourglass_top:")
    try:
        yield
    finally:
        note.empty()


def main() -> None:
    keep_downloads()
    slot = preload_cards()
    charts.hold_first_paint(warm.real_server())
    try:
        with warm.session_run():  # the warming thread's pre-visits wait for the sessions' runs (ui/warm.py)
            run()
    finally:
        if slot is not None:
            slot.empty()
        charts.release_after_paint()  # also after st.stop(): the charts it kept are drawn when the browser asks


def run() -> None:
    """One run: settings, sign-in, navigation, sidebar filters and the page."""
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
        # once per process: facts and aggregates warmed in the background (ui/warm.py), then the departments pre-visited
        warmer = warm.start(settings, previsit.departments)
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
    with cold_notice(cold(warmer, url)):
        shown(settings, url, actor, pages, nav, current, meeting)


def shown(settings, url: str, actor, pages: dict, nav, current, meeting: bool) -> None:
    """The signed-in part of a run: account box, sidebar filters, and the page."""
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
        _pages_drawn().add(url)
    except Exception:
        ref = common.error_reference()
        log.exception("page %s failed [ref %s]", nav.url_path, ref)
        st.error(f"页面出错了。请刷新重试；如果一直出现，请把参考编号 {ref} 告诉管理员。", icon=":material/error:")


main()
