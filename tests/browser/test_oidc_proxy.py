"""The two single-sign-on modes end to end in Chromium, offline on loopback.

OIDC: an OpenID provider (the oidc-provider-mock package) runs in a thread of the test; the app's st.login
goes to it, the browser picks a user there, comes back through /oauth2callback, and the role comes from the
`dashboard_roles` claim. Proxy: the browser sends the header an authenticating proxy would set
(X-Forwarded-User) and the account's role applies; without the header, or for an unknown name, no page.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import server as srv
from dashboard.registry import BY_KEY
from tests.browser.conftest import copy_db

_problem = srv.chromium_problem()
if _problem and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {_problem}", allow_module_level=True)

from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_auth")]


DEMO_TODAY = "2025-06-30"


def _copy(db_url: str, d: Path) -> str:
    return copy_db(db_url, d / "sso.db")


@pytest.fixture
def oidc_server(db_url, tmp_path, monkeypatch):
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="leader-1", claims={"email": "lead@bureau.example", "dashboard_roles": ["leader"]}),
             User(sub="staff-1", claims={"email": "staff@bureau.example", "dashboard_roles": "staff"}),
             User(sub="nobody-1", claims={"email": "nobody@bureau.example"})]
    url = _copy(db_url, tmp_path)
    with run_server_in_thread(user_claims=users) as provider:
        port = srv.free_port()
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{"c" * 40}"\n'
            'client_id = "dashboard"\nclient_secret = "dashboard-secret"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}/.well-known/openid-configuration"\n',
            encoding="utf-8")
        settings = tmp_path / "dashboard.toml"
        settings.write_text('[auth]\nmode = "oidc"\noidc_role_claim = "dashboard_roles"\n', encoding="utf-8")
        monkeypatch.setattr(srv, "free_port", lambda: port)  # the redirect URI names the app's port
        server = srv.start_server(url, tmp_path / "oidc.log", extra_env={
            "DASHBOARD_TODAY": DEMO_TODAY, "DASHBOARD_SETTINGS": str(settings),
            "STREAMLIT_SECRETS_FILES": str(secrets)})
        try:
            yield server.base_url
        finally:
            server.stop()


def _oidc_sign_in(pg, base: str, sub: str, path: str = "") -> None:
    pg.goto(f"{base}/{path}")
    srv.wait_ready(pg)
    pg.get_by_role("button", name="登录", exact=True).click()
    pg.get_by_role("button", name=sub).click()  # the provider's page: a predefined user
    pg.wait_for_url(f"{base}/**")
    srv.wait_ready(pg)


def test_oidc_sign_in_with_the_role_from_a_claim(oidc_server, page, browser):
    base = oidc_server
    page.goto(base)
    srv.wait_ready(page)
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    assert page.locator("[data-testid='stMetric']").count() == 0
    _oidc_sign_in(page, base, "leader-1")
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
    expect(page.locator("[data-testid='stSidebar']")).to_contain_text("lead@bureau.example（领导）")
    page.goto(srv.page_url(base, BY_KEY["upload"]))
    expect(page.get_by_text("无权限访问")).to_be_visible()

    ctx = browser.new_context(locale="zh-CN")
    try:
        staff = ctx.new_page()
        _oidc_sign_in(staff, base, "staff-1", path="upload")
        # Streamlit's callback returns to the app's root, not to the deep link the sign-in started from
        staff.goto(srv.page_url(base, BY_KEY["upload"]))
        expect(staff.locator("h1", has_text="数据上传")).to_be_visible()
        other = browser.new_context(locale="zh-CN")
        try:
            nobody = other.new_page()
            _oidc_sign_in(nobody, base, "nobody-1")
            expect(nobody.get_by_text("没有本系统的角色")).to_be_visible()
            assert nobody.locator("[data-testid='stMetric']").count() == 0
        finally:
            other.close()
    finally:
        ctx.close()


@pytest.fixture
def proxy_server(db_url, tmp_path):
    from dashboard.core import accounts

    url = _copy(db_url, tmp_path)
    from dashboard.core import db

    db.init_db(url)
    accounts.add_user(url, accounts.operator("tests"), "zhao", "deputy")
    accounts.add_user(url, accounts.operator("tests"), "qian", "staff")
    settings = tmp_path / "dashboard.toml"
    settings.write_text('[auth]\nmode = "proxy"\n', encoding="utf-8")
    server = srv.start_server(url, tmp_path / "proxy.log", extra_env={
        "DASHBOARD_TODAY": DEMO_TODAY, "DASHBOARD_SETTINGS": str(settings)})
    try:
        yield server.base_url
    finally:
        server.stop()


def test_proxy_header_maps_to_the_account(proxy_server, browser):
    base = proxy_server
    for headers, expectation in (({}, "未收到统一认证的用户信息"), ({"X-Forwarded-User": "stranger"}, "没有登记")):
        ctx = browser.new_context(locale="zh-CN", extra_http_headers=headers)
        try:
            pg = ctx.new_page()
            pg.goto(srv.page_url(base, BY_KEY["overview"]))
            srv.wait_ready(pg)
            expect(pg.get_by_text(expectation)).to_be_visible()
            assert pg.locator("[data-testid='stMetric']").count() == 0
        finally:
            ctx.close()
    ctx = browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-User": "zhao"})
    try:
        pg = ctx.new_page()
        pg.goto(base)
        srv.wait_ready(pg)
        expect(pg.locator("[data-testid='stMetric']").first).to_be_visible()
        pg.goto(srv.page_url(base, BY_KEY["upload"]))
        srv.wait_ready(pg)
        expect(pg.get_by_text("无权限访问")).to_be_visible()
    finally:
        ctx.close()
    ctx = browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-User": "qian"})
    try:
        pg = ctx.new_page()
        pg.goto(srv.page_url(base, BY_KEY["upload"]))
        srv.wait_ready(pg)
        expect(pg.locator("h1", has_text="数据上传")).to_be_visible()
    finally:
        ctx.close()
