"""Browser fixtures: one real `streamlit run dashboard/app.py` on the county demo, driven by Debian's Chromium.

Playwright cannot download browsers on these machines, so Chromium is launched from /usr/bin/chromium (or the
CHROMIUM environment variable). Without it the browser tests skip with the reason printed in the report header;
under CI=true they fail instead. The server and browser helpers live in bench/server.py so the benchmark drives
the app exactly the same way. Screenshots go to a temporary directory; only `make screenshots` sets
SCREENSHOTS_DIR=docs/screenshots, so an ordinary test run never rewrites tracked files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import server as srv
from dashboard.core import accounts
from tests.browser import hostile

DEMO_TODAY = "2025-06-30"  # the demo's "today": overdue figures and screenshots do not move with the clock


def pytest_report_header(config):
    problem = srv.chromium_problem()
    if problem:
        verdict = "FAIL (CI=true)" if os.environ.get("CI") == "true" else "skipped"
        return f"browser tests: {verdict} — {problem}"
    return f"browser tests: Chromium at {srv.chromium_path()}"


def _demo_db(directory: Path) -> str:
    url = f"sqlite:///{directory / 'browser.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", url, "demo", "--scale", "county"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        pytest.fail(f"loading the county demo failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return url


def copy_db(db_url: str, target: Path) -> str:
    """A copy of a SQLite database at `target` (SQLite's backup: whole even while a server writes the original)."""
    import sqlite3

    source = sqlite3.connect(db_url.split("///", 1)[1])
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    """Where the page screenshots go: SCREENSHOTS_DIR (relative to the repository root) or a temporary directory."""
    target = os.environ.get("SCREENSHOTS_DIR")
    return ROOT / target if target else tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    """A fresh SQLite database with the county demo (the server and the assertions both read it)."""
    return _demo_db(tmp_path_factory.mktemp("browser"))


def _server_env() -> dict:
    return {"DASHBOARD_TODAY": DEMO_TODAY,
            "DASHBOARD_SETTINGS": str(ROOT / "tests" / "browser" / "no-such-settings.toml")}


@pytest.fixture(scope="session")
def app_server(db_url, tmp_path_factory):
    """The shared server of the browser group: yields its base URL (http://127.0.0.1:PORT)."""
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    server = srv.start_server(db_url, log, extra_env=_server_env())
    try:
        yield server.base_url
    finally:
        server.stop()


OFFICE_SECRET = "browser-test-secret-" + "1" * 32
OFFICE_PASSWORD = "browser pass 1"


@pytest.fixture(scope="session")
def office_server(db_url, tmp_path_factory):
    """A server as an office runs it: password sign-in with an administrator (admin1) and a deputy (deputy1), on
    a copy of the county demo that also holds a department and projects with hostile names
    (tests/browser/hostile.py). Yields (base URL, hostile department id, hostile project id)."""
    d = tmp_path_factory.mktemp("office")
    url = copy_db(db_url, d / "office.db")
    dept, project = hostile.add_hostile_rows(url, d)
    for name, role in (("admin1", "admin"), ("deputy1", "deputy")):
        accounts.add_user(url, accounts.operator("tests"), name, role, OFFICE_PASSWORD)
    settings = d / "dashboard.toml"
    settings.write_text(f'[auth]\nmode = "password"\nsecret = "{OFFICE_SECRET}"\n', encoding="utf-8")
    server = srv.start_server(url, d / "server.log",
                              extra_env={"DASHBOARD_TODAY": DEMO_TODAY, "DASHBOARD_SETTINGS": str(settings)})
    try:
        yield server.base_url, dept, project
    finally:
        server.stop()


@pytest.fixture
def fresh_server(db_url, tmp_path):
    """A server nobody has visited yet (for the first-hit deep-link test)."""
    server = srv.start_server(db_url, tmp_path / "fresh.log", extra_env=_server_env())
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    problem = srv.chromium_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: browser tests must run)", pytrace=False)
        pytest.skip(problem)
    from playwright.sync_api import expect, sync_playwright

    # expect() retries until the element under test shows its value; its 5 s default is too short for a
    # busy two-core machine (a page's run can take longer), while a real failure still ends within 60 s; set
    # once here for every browser module (a module resetting it would shorten it for the modules after it)
    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        b = srv.launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


def _new_page(browser, **options):
    """A page in a browser context of its own (Chinese locale, Beijing time); the context closes after the test."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def page(browser):
    yield from _new_page(browser, viewport={"width": 1366, "height": 768}, accept_downloads=True)


@pytest.fixture
def phone(browser):
    """A phone-sized touch browser (390 px wide)."""
    yield from _new_page(browser, viewport=srv.PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
