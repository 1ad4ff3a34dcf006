"""Pre-visits: the server opens each department's pages once itself, off the request path, before deputies do.

At session time dozens of readers each open another department. The caches every session shares were warm for
the default page (dashboard/ui/warm.py) but cold for each department, so every first visit of a department
computed its figures, lists and trend lines while others waited: under 25 paced sessions on one process the
steps' p95 was 3.0× one session's; the same 25 sessions again, every department now visited once, 0.87×
(issue 28, bench/load.py). After each warming the warming thread therefore visits, for each of the latest
`[performance] warm_years` years and each department (at most `warm_departments`, in the filter's order):

  总览      with the department chosen in the sidebar's 部门 filter
  部门画像  of that department, the sidebar still on it (what a reader who chose it and then opened the page sees)

A visit is a script run without a browser: the sidebar (dashboard.ui.filters.sidebar) builds the run's Context
from the widget values a reader would have set, and the page file runs as Streamlit runs it, so every figure,
list page, chart and trend line it asks for goes through the very caches and keys a session's run uses. Nothing
leaves the process: its messages go nowhere, no button is clicked, nothing is written; the download buttons it
made are dropped when it ends. It runs under a ScriptRunContext of its own, built the way Streamlit's
ScriptRunner builds one (session id PREVISIT_SESSION, an empty session state); tests/pages/test_previsit.py checks
that a reader's run after the pre-visits computes nothing new, so a Streamlit that changes this fails there.

Bounded: at most `warm_departments` departments × `warm_years` years × 2 pages per data version. Readers go
first: each visit waits until no session's run is in progress or has just ended (dashboard.ui.warm.wait_quiet;
under constant load it still takes one visit per half minute), and the visits stop early when the data version
changes (the next warming starts over).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime import Runtime
from streamlit.runtime.fragment import MemoryFragmentStorage
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext, add_script_run_ctx
from streamlit.runtime.state import SafeSessionState, SessionState

from dashboard import registry
from dashboard.core.db import data_version
from dashboard.core.settings import Settings
from dashboard.ui import auth, common, data, filters, warm

log = get_logger("dashboard.previsit")

APP = Path(__file__).resolve().parent / "app.py"
PREVISIT_SESSION = "dashboard-previsit"  # the session id of every pre-visit (its download buttons are dropped)
PAGES = ("overview", "department")  # registry keys of the pages visited for each department
# departments × years visited at most: what the shared caches are sized for (dashboard/ui/data.py RUN_ENTRIES)
MAX_DEPARTMENT_YEARS = 400

_code: dict[str, object] = {}  # page file → its compiled code (one per page, like Streamlit's script cache)
_code_lock = threading.Lock()


def _compiled(path: Path):
    key = str(path)
    with _code_lock:
        if key not in _code:
            _code[key] = compile(path.read_text(encoding="utf-8"), key, "exec")
        return _code[key]


def _context() -> ScriptRunContext:
    """A script run context whose messages go nowhere (what ScriptRunner builds for a session's run)."""
    return ScriptRunContext(
        session_id=PREVISIT_SESSION, _enqueue=lambda _msg: None, query_string="",
        session_state=SafeSessionState(SessionState(), lambda: None),
        uploaded_file_mgr=MemoryUploadedFileManager("/_stcore/upload_file"), main_script_path=str(APP),
        user_info={}, fragment_storage=MemoryFragmentStorage(), pages_manager=PagesManager(str(APP)))


def _drop_downloads() -> None:
    """Forget the download buttons a visit made (what a script run's end does for a session)."""
    try:
        mgr = Runtime.instance().media_file_mgr
    except Exception:  # noqa: BLE001 - no runtime (a test calling visit directly): nothing was registered there
        return
    mgr.clear_session_refs(PREVISIT_SESSION)
    mgr.remove_orphaned_files()


def visit(settings: Settings, page_key: str, year: int, department: int, version: int) -> None:
    """One run of the page `page_key` for `year` with `department` chosen in the sidebar, at the data version
    `version` (the one read when the pre-visits began), drawn nowhere."""
    page = registry.BY_KEY[page_key]
    url = settings.db_url
    thread = threading.current_thread()
    add_script_run_ctx(thread, _context())
    try:
        # what app.run puts in the session before the page: the settings, the pages (for links), no account
        st.session_state[auth.SETTINGS_KEY] = settings
        st.session_state[common.PAGES_KEY] = {
            p.key: st.Page(p.path, title=p.title, url_path=p.url_path, icon=p.icon, default=p.default)
            for p in registry.PAGES}
        st.session_state["year"] = int(year)  # the sidebar's widgets (dashboard/ui/filters.py), as a reader set them
        st.session_state["departments"] = [int(department)]
        filters.sidebar(url, version, settings.rules, True, settings.effective_today(), page=page.route,
                        unfiltered=None if page.filtered else page.title)
        try:
            exec(_compiled(page.path), {"__name__": "__main__", "__file__": str(page.path)})  # noqa: S102 - our page
        except (StopException, RerunException):  # st.stop() / st.rerun() end a run normally
            pass
    finally:
        add_script_run_ctx(thread, None)
        _drop_downloads()


def departments(settings: Settings, years: list[int], limit: int, quiet: Callable[[], object] = warm.wait_quiet) -> dict:
    """Visit PAGES for the first `limit` departments in each of `years`; what was done.

    Before each visit it waits for `quiet()` (no session's run in progress or just ended, dashboard/ui/warm.py).
    Stops early when the data version changes. A visit that fails is logged and counted, the others go on."""
    url = settings.db_url
    started = time.perf_counter()
    version = data_version(url)
    options = data.department_options(url, version)
    per_year = min(max(0, int(limit)), MAX_DEPARTMENT_YEARS // max(1, len(years)))
    ids = [int(i) for i in options["id"]][:per_year]
    done = failed = 0
    stopped = False
    for year in years:
        for dept in ids:
            for key in PAGES:
                quiet()
                if data_version(url) != version:
                    stopped = True
                    break
                try:
                    visit(settings, key, int(year), dept, version)
                    done += 1
                except Exception:
                    failed += 1
                    log.warning("pre-visit of %s (%s, department %s) failed", key, year, dept, exc_info=failed == 1)
            if stopped:
                break
        if stopped:
            break
    return {"version": version, "years": list(years), "departments": len(ids), "visits": done, "failed": failed,
            "stopped": stopped, "seconds": time.perf_counter() - started}
