"""Account names are shown as text, never as Markdown (dashboard/ui/auth.py, pages/users.py, pages/audit.py).

A name comes from the proxy's header, the OIDC identity or the users table, so it may hold anything:
`**x**[link](http://evil)<b>` must appear with exactly those characters — no bold, no link, no HTML — and
`:red[boom]` must not turn red. Streamlit renders captions, alerts and success messages as Markdown, so what
reaches them goes through `text.md()` (every character Markdown, a directive or KaTeX would act on is
backslash-escaped); tables and select boxes show their values as they are.

What the browser shows for a Markdown source is read here the way CommonMark does: a backslash before ASCII
punctuation stands for that character, and the zero-width spaces text.md() adds against autolinks show nothing.
"""

from __future__ import annotations

import re
import uuid

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard import registry
from dashboard.core import accounts
from dashboard.core.settings import load_settings
from dashboard.ui import auth
from dashboard.ui.text import ZWSP
from tests.pages.apptest import APP

HOSTILE = "**x**[link](http://evil)<b>"
DIRECTIVE = ":red[boom] _y_ `z` $1$ www.evil.example"
PW = "a good password 1"
OP = accounts.operator("tests")
SECRET = "x" * 48

# ASCII characters Markdown, Streamlit's directives or KaTeX act on; unescaped, one of them would be formatting
_LIVE = re.compile(r"(?<!\\)[*_`\[\]()<>:$~!#|]")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """The text a Markdown element shows for its source: backslash escapes resolved, zero-width spaces gone."""
    return _ESCAPE.sub(r"\1", markdown).replace(ZWSP, "")


def assert_text(markdown: str, name: str) -> None:
    """`markdown` (a caption's, an alert's source) shows `name` literally and leaves nothing for Markdown."""
    assert name in shown(markdown), (markdown, name)
    live = _LIVE.findall(markdown)
    assert not live, f"{live} would act as Markdown in {markdown!r}"


def _run(page: str | None = None, state: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    if user is not None:
        at.user = user
    at.run()
    if page:
        _open(at, page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, key: str) -> AppTest:
    """Go to a page by its URL the way a browser asking for /url_path does (as tests/pages/test_auth.py)."""
    at._page_hash = calc_hash(registry.BY_KEY[key].url_path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _submit(at: AppTest) -> None:
    [button] = [b for b in at.button if b.label == "新建"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def names() -> tuple[str, str]:
    """The two hostile names, made unique: the fixture database, and the accounts in it, last the session."""
    tag = uuid.uuid4().hex[:6]
    return f"{HOSTILE}{tag}", f"{DIRECTIVE} {tag}"


def _mode(tmp_path, monkeypatch, body: str) -> None:
    f = tmp_path / "dashboard.toml"
    f.write_text(f"[auth]\n{body}\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))


def _account_line(at) -> str:
    lines = [c.value for c in at.sidebar.caption if c.value.startswith("当前账号：")]
    assert len(lines) == 1, [c.value for c in at.sidebar.caption]
    return lines[0]


def test_the_helpers_see_markdown_where_there_is_some():
    assert shown(r"\*\*x\*\* a\:" + ZWSP + "b") == "**x** a:b"
    with pytest.raises(AssertionError):
        assert_text(f"当前账号：{HOSTILE}（管理员）", HOSTILE)


def test_password_accounts_names_on_the_sidebar_and_the_admin_pages(app_env, tmp_path, monkeypatch, names):
    hostile, directive = names
    url = app_env
    _mode(tmp_path, monkeypatch, f'mode = "password"\nsecret = "{SECRET}"')
    accounts.add_user(url, OP, hostile, "admin", PW)
    accounts.add_user(url, OP, directive, "leader", PW, (hostile,))
    settings = load_settings().auth

    # the sidebar's account line: the name, and the department limit (names from the users table too)
    at = _run(state={auth.TOKEN_KEY: accounts.login(url, settings, directive, PW).token})
    line = _account_line(at)
    assert_text(line, directive)
    assert shown(line) == f"当前账号：{directive}（领导） · 限 {hostile}"
    state = {auth.TOKEN_KEY: accounts.login(url, settings, hostile, PW).token}
    at = _run(state=state)
    assert_text(_account_line(at), hostile)
    assert shown(_account_line(at)) == f"当前账号：{hostile}（管理员）"

    # 账号管理: the table and the select box show the names as they are; messages go through text.md()
    at = _run("users", state=state)
    assert hostile in list(at.dataframe[0].value["账号"])
    assert hostile in at.selectbox(key="uc_name").options
    third = f"{hostile} {directive}"
    at.text_input(key="ua_name").input(third)
    at.text_input(key="ua_pw").input(PW)
    _submit(at)
    [done] = [s.value for s in at.success]
    assert_text(done, third)
    assert shown(done) == f"已新建账号 {third}。"
    at.text_input(key="ua_name").input(hostile)
    at.text_input(key="ua_pw").input(PW)
    _submit(at)
    [refused] = [e.value for e in at.error]
    assert_text(refused, hostile)
    assert shown(refused) == f"账号 {hostile} 已存在"

    # 操作日志: the account column, the account filter and the detail show the literal names
    at = _run("audit", state=state)
    log = at.dataframe[0].value
    assert hostile in set(log["账号"])
    assert f"新建账号：{third}，角色 领导" in set(log["详情"])  # the form's default: the safest role (read-only)
    assert {hostile, "tests"} <= set(at.selectbox(key="audit_user").options)


def test_an_oidc_identity_without_a_role_and_with_one(app_env, tmp_path, monkeypatch, names):
    hostile, directive = names
    _mode(tmp_path, monkeypatch, 'mode = "oidc"\noidc_role_claim = "dashboard_roles"')
    at = _run(user={"is_logged_in": True, "email": hostile, "dashboard_roles": ["nobody"]})
    [error] = [e.value for e in at.error]
    assert_text(error, hostile)
    assert shown(error) == f"账号「{hostile}」没有本系统的角色，请联系管理员开通。"

    at = _run(user={"is_logged_in": True, "email": directive, "dashboard_roles": ["leader"]})
    assert_text(_account_line(at), directive)
    assert shown(_account_line(at)) == f"当前账号：{directive}（领导）"


def test_a_proxy_user_with_and_without_an_account(app_env, tmp_path, monkeypatch, names):
    """AppTest cannot send request headers: st.context.headers is replaced for the run (same process)."""
    hostile, directive = names
    _mode(tmp_path, monkeypatch, 'mode = "proxy"')
    header = {}
    monkeypatch.setattr(type(st.context), "headers", property(lambda self: header))
    header["X-Forwarded-User"] = hostile
    at = _run()
    [error] = [e.value for e in at.error]
    assert_text(error, hostile)
    assert shown(error) == f"账号「{hostile}」没有登记或已停用，请联系管理员开通。"

    accounts.add_user(app_env, OP, directive, "deputy")
    header["X-Forwarded-User"] = directive
    at = _run()
    assert_text(_account_line(at), directive)
    assert shown(_account_line(at)) == f"当前账号：{directive}（人大代表）"
