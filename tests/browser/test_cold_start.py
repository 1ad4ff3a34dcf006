"""A cold start says what it is doing (issue 28): the first page run after the server starts, while the warming
thread (dashboard/ui/warm.py) has not finished, shows 「正在加载数据……」 above the page until the page is drawn;
once warmed, a run shows nothing of the kind."""

from __future__ import annotations

import time

import pytest

from bench import server as srv
from tests.browser import waits
from tests.browser.conftest import _server_env

# in the browser run (make test's second step), like every file here: unmarked, it ran among the parallel tests and
# left Playwright's driver watcher thread in that worker, so that later tests there saw a threaded process
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

COLD = "正在加载数据"
# records whether the note was ever in the page (it is on screen only while the run lasts)
SEEN = """() => { window.__cold = false;
  new MutationObserver(() => { if (document.body && document.body.textContent.includes('正在加载数据')) window.__cold = true; })
    .observe(document, {subtree: true, childList: true, characterData: true}); }"""


@pytest.fixture
def cold_server(db_url, tmp_path):
    """A server nobody has visited and without the readiness run: the first visit starts the warming."""
    server = srv.start_server(db_url, tmp_path / "cold.log", extra_env=_server_env())
    try:
        yield server
    finally:
        server.stop()


def _visit(page, base_url: str) -> bool:
    page.goto(base_url + "/")
    waits.wait_ready(page, "总览")
    assert page.get_by_text(COLD).count() == 0, "the note stays after the page is drawn"
    return page.evaluate("() => window.__cold")


def test_cold_start_says_what_it_is_doing(cold_server, page):
    page.add_init_script(f"({SEEN})()")
    assert _visit(page, cold_server.base_url), "the first run after the start showed no 正在加载数据 note"
    deadline = time.monotonic() + 300
    while "warmed sqlite" not in cold_server.log.read_text(errors="replace"):  # the warming thread's log line
        assert time.monotonic() < deadline, "the warming did not finish"
        time.sleep(0.5)  # polling the server log, not a wait for the page
    assert not _visit(page, cold_server.base_url), "a run after the warming still said 正在加载数据"
