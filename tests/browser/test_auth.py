"""Sign-in in a real browser, `[auth] mode = "password"`, on a copy of the county demo (headless Chromium).

A signed-out browser gets the sign-in page and no figures at every page URL, the first request of a fresh
server being a deep link; a deputy reads, and gets 无权限访问 at /upload; a staff member uploads a file and
`audit --json` names them; five wrong passwords lock the account; a tampered cookie is refused while the real
one survives a reload and a deep link; a department-limited account sees its department's figures as
`summary --department` gives them. Screenshots of the sign-in and 操作日志 pages at 1366 and 390 px.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import server as srv
from dashboard.registry import BY_KEY, PAGES
from tests.browser import waits
from tests.browser.conftest import copy_db

_problem = srv.chromium_problem()
if _problem and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {_problem}", allow_module_level=True)

from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_auth")]


ROOT = Path(__file__).resolve().parents[2]
SECRET = "browser-test-secret-" + "0" * 32
PW = "browser pass 1"
COOKIE = "dashboard_session"
DEMO_TODAY = "2025-06-30"


def _cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", url, *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "DASHBOARD_TODAY": DEMO_TODAY})
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def auth_env(db_url, tmp_path_factory):
    """A copy of the demo database with four accounts, and the settings file of password mode."""
    d = tmp_path_factory.mktemp("auth")
    url = copy_db(db_url, d / "auth.db")
    from dashboard.metrics.options import department_options

    dept = department_options(url).iloc[0]
    from dashboard.core import accounts

    # in this process (a CLI start per account cost ~1.5 s each; `users add` itself is tested in test_roles.py)
    for name, role, depts in (("deputy1", "deputy", []), ("staff1", "staff", []), ("lockme", "staff", []),
                              ("admin1", "admin", []), ("limited1", "deputy", [str(dept["code"])])):
        accounts.add_user(url, accounts.operator("tests"), name, role, PW, depts)
    settings = d / "dashboard.toml"
    settings.write_text(f'[auth]\nmode = "password"\nsecret = "{SECRET}"\n', encoding="utf-8")
    return {"url": url, "settings": settings, "dept": dept, "dir": d}


def _env(auth_env) -> dict:
    return {"DASHBOARD_TODAY": DEMO_TODAY, "DASHBOARD_SETTINGS": str(auth_env["settings"])}


@pytest.fixture(scope="module")
def auth_server(auth_env):
    server = srv.start_server(auth_env["url"], auth_env["dir"] / "server.log", extra_env=_env(auth_env))
    try:
        yield server.base_url
    finally:
        server.stop()


def _login_form_only(pg) -> None:
    srv.wait_ready(pg)
    expect(pg.get_by_label("用户名")).to_be_visible()
    expect(pg.get_by_label("密码", exact=True)).to_be_visible()
    expect(pg.get_by_role("button", name="登录", exact=True)).to_be_visible()
    # the sidebar of the signed-in page (退出登录, the account line) has gone, not merely been overdrawn
    expect(pg.get_by_role("button", name="退出登录")).to_have_count(0)
    srv.wait_ready(pg)
    assert pg.locator("[data-testid='stPlotlyChart']").count() == 0
    assert pg.locator("[data-testid='stMetric']").count() == 0
    assert pg.locator("[data-testid='stDataFrame']").count() == 0
    assert pg.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").count() == 0
    assert "Traceback" not in pg.locator("body").inner_text()


def _sign_in(pg, base: str, name: str, password: str = PW, path: str = "") -> None:
    pg.goto(f"{base}/{path}")
    pg.get_by_label("用户名").fill(name)
    pg.get_by_label("密码", exact=True).fill(password)
    pg.get_by_role("button", name="登录", exact=True).click()
    srv.wait_ready(pg)


def test_signed_out_browser_gets_only_the_sign_in_page_everywhere(auth_env, page, tmp_path):
    server = srv.start_server(auth_env["url"], tmp_path / "fresh.log", extra_env=_env(auth_env))
    try:
        base = server.base_url
        # the very first request of this server is a deep link with filters
        page.goto(srv.page_url(base, BY_KEY["department"], "dept=1&year=2024"))
        _login_form_only(page)
        for p in PAGES:
            page.goto(srv.page_url(base, p))
            _login_form_only(page)
            assert page.get_by_role("link", name=p.title).count() == 0  # no navigation either
        import urllib.request

        with urllib.request.urlopen(base + "/_stcore/health", timeout=10) as resp:
            assert resp.read().decode().strip() == "ok"
    finally:
        server.stop()


def test_deputy_reads_and_is_denied_upload(auth_server, page):
    _sign_in(page, auth_server, "deputy1")
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
    nav = page.locator("[data-testid='stTopNavLinkContainer'], header").first
    assert "数据上传" not in page.locator("body").inner_text()
    assert "操作日志" not in page.locator("body").inner_text() or nav is None
    page.goto(srv.page_url(auth_server, BY_KEY["upload"]))
    expect(page.get_by_text("无权限访问")).to_be_visible()
    srv.wait_ready(page)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert main.strip() == "无权限访问", main
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    # the same session still reads the other pages (the cookie carried the sign-in to the new page load)
    page.goto(srv.page_url(auth_server, BY_KEY["ranking"]))
    expect(page.locator("h1", has_text="部门排名")).to_be_visible()


def test_staff_upload_is_audited_under_their_name(auth_env, auth_server, page):
    from tests.browser.test_browser import _monitoring_workbook, _upload

    url = auth_env["url"]
    _sign_in(page, auth_server, "staff1", path="upload")
    expect(page.locator("h1", has_text="数据上传")).to_be_visible()
    _upload(page, "员工上传.xlsx", _monitoring_workbook(url, 2024, dt.date(2024, 9, 30)))
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator("[data-testid='stAlert']", has_text="已导入")).to_be_visible(timeout=60_000)
    rows = json.loads(_cli(url, "audit", "--json").stdout)
    imports = [r for r in rows if r["action"] == "import"]
    assert imports and imports[0]["user"] == "staff1" and imports[0]["role"] == "staff"
    assert imports[0]["detail"]["files"] == ["员工上传.xlsx"]
    batches = json.loads(_cli(url, "batches", "--json").stdout)
    assert batches[0]["user"] == "staff1" and batches[0]["id"] == imports[0]["detail"]["batch"]


def test_five_wrong_passwords_lock_the_account(auth_server, page):
    for i in range(5):
        _sign_in(page, auth_server, "lockme", "not the password")
    expect(page.locator("[data-testid='stAlert']", has_text="已锁定")).to_be_visible()
    _sign_in(page, auth_server, "lockme", PW)
    expect(page.locator("[data-testid='stAlert']", has_text="锁定")).to_be_visible()
    _login_form_only(page)


def test_cookie_survives_reload_and_a_tampered_one_is_refused(auth_server, page):
    _sign_in(page, auth_server, "deputy1")
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
    page.wait_for_function("name => document.cookie.includes(name + '=')", arg=COOKIE)
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    page.goto(srv.page_url(auth_server, BY_KEY["evaluation"], "year=2024"))  # deep link, new page load
    expect(page.locator("h1", has_text="评价结果")).to_be_visible()
    sid, expiry, mac = cookie["value"].split(".")
    for bad in (f"{sid}.{int(expiry) + 86400}.{mac}", f"{sid}.{expiry}.{'0' * len(mac)}"):
        page.context.clear_cookies()
        page.context.add_cookies([{**cookie, "value": bad}])
        page.goto(srv.page_url(auth_server, BY_KEY["overview"]))
        _login_form_only(page)
    # signing out ends the session on the server: the old cookie no longer works either
    page.context.clear_cookies()
    page.context.add_cookies([cookie])
    page.goto(srv.page_url(auth_server, BY_KEY["overview"]))
    waits.wait_ready(page, BY_KEY["overview"].title)  # the signed-in page has finished its run: the click is not lost in a rerun
    page.get_by_role("button", name="退出登录").click()
    _login_form_only(page)
    page.context.add_cookies([cookie])
    page.goto(srv.page_url(auth_server, BY_KEY["overview"]))
    _login_form_only(page)


def test_limited_account_sees_only_its_department(auth_env, auth_server, page):
    from dashboard.metrics.options import available_years
    from tests.browser.test_browser import _expect_money_kpi, _metric

    dept = auth_env["dept"]
    year = str(available_years(auth_env["url"])[0])
    expected = json.loads(_cli(auth_env["url"], "summary", "--year", year, "--department", str(dept["code"]),
                               "--today", DEMO_TODAY, "--json").stdout)
    _sign_in(page, auth_server, "limited1", path=f"?year={year}")
    _expect_money_kpi(page, "预算", expected["budget_total"])
    expect(_metric(page, "红灯项目").locator("[data-testid='stMetricValue']")).to_have_text(
        str(expected["monitoring"]["red"]))
    others = [n for n in _all_department_names(auth_env["url"]) if n != dept["name"]]
    for key in ("overview", "ranking", "coverage", "monitoring", "evaluation", "rectification", "projects"):
        page.goto(srv.page_url(auth_server, BY_KEY[key], f"year={year}"))
        # this page's own heading and a finished run: a check of the page before it drew would prove nothing
        waits.wait_ready(page, BY_KEY[key].title)
        srv.wait_settled(page)
        body = page.locator("body").inner_text()
        leaked = [n for n in others if n in body]
        assert not leaked, (key, leaked[:5])
    # a download is audited with what and which scope, under the account's name
    button = page.locator("[data-testid='stDownloadButton']").first
    expect(button).to_be_visible()
    with page.expect_download():
        button.click()
    rows = json.loads(_cli(auth_env["url"], "audit", "--json").stdout)
    export = next(r for r in rows if r["action"] == "export")
    assert export["user"] == "limited1" and dept["name"] in export["detail"]["scope"]
    assert export["detail"]["file"].endswith(".xlsx")


def _all_department_names(url: str) -> list[str]:
    from dashboard.metrics.options import department_options

    return [str(n) for n in department_options(url)["name"]]


def test_screenshots_of_sign_in_and_audit(auth_server, page, phone, shots_dir):
    for pg, width in ((page, 1366), (phone, 390)):
        pg.goto(auth_server)
        _login_form_only(pg)
        srv.screenshot_full(pg, shots_dir / f"login-{width}.png")
        _sign_in(pg, auth_server, "admin1", path="audit")
        expect(pg.locator("h1", has_text="操作日志")).to_be_visible()
        srv.screenshot_full(pg, shots_dir / f"audit-{width}.png")
