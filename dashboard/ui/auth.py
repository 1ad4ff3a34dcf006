"""Who is looking at the app: the sign-in gate of every script run, the sign-in page, the session cookie,
sign-out, and the page shown for a page the role may not open.

`gate(settings, url)` runs at the top of dashboard/app.py, before navigation, on every run (also the first
request of a fresh server: the entry point is not next to pages/, so every URL passes through it). It returns
the Actor (dashboard.core.accounts) or None; with None the app registers every page URL as the sign-in page.

Modes (`[auth] mode`, docs/deployment.md §7):
- none: the local user acts as admin; `notice()` says on every page that sign-in is off.
- password: the sign-in form checks accounts.login; the token goes into session state and into a cookie set
  by a small inline st.components.v2 component (no download, no build step); later sessions (reload, deep
  link, a new tab) read it from st.context.cookies. Every run validates it against the auth_sessions table.
- proxy: the user name from the request header the proxy sets (st.context.headers), mapped to an account.
- oidc: st.login / st.user; the role from a claim, or the account named by the e-mail.
"""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from dashboard.core import accounts, audit
from dashboard.core.accounts import Actor
from dashboard.core.settings import Settings
from dashboard.core.vocab import ADMIN, ROLE_LABELS, ROLES
from dashboard.ui import text

log = logging.getLogger("dashboard.ui")
ACTOR_KEY = "_auth_actor"
TOKEN_KEY = "_auth_token"
CLEAR_KEY = "_auth_clear_cookie"
SEEN_KEY = "_auth_seen"  # proxy / oidc: the sign-in of this browser session is audited once
DENIED = "无权限访问"
SETTINGS_KEY = "_auth_settings"  # the run's Settings, for the page functions (set by gate)

# Sets or clears the session cookie from the data it is mounted with ({name, value, max_age}); never from HTML.
# The module spans several lines on purpose: a one-line string would be taken for a file path.
_COOKIE_JS = """
export default function (component) {
    const data = component.data || {};
    if (!data.name) { return; }
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    const value = encodeURIComponent(data.value || "");
    document.cookie = data.name + "=" + value + "; Max-Age=" + String(data.max_age)
        + "; Path=/; SameSite=Strict" + secure;
}
"""
_cookie_component = None


def _cookie(name: str, value: str, max_age: int) -> None:
    global _cookie_component
    if _cookie_component is None:
        _cookie_component = st.components.v2.component("dashboard_session_cookie", js=_COOKIE_JS)
    with st.sidebar:
        _cookie_component(key="_auth_cookie", data={"name": name, "value": value, "max_age": int(max_age)},
                          height=0, width=1)


def current() -> Actor | None:
    """The actor of this run (set by gate)."""
    return st.session_state.get(ACTOR_KEY)


def settings() -> Settings:
    """The Settings app.py read and checked at the start of this run (handed over by gate): the one place the
    ui functions take rules, limits and documents from; nothing below app.py reads the file again."""
    return st.session_state[SETTINGS_KEY]


# ------------------------------------------------------------------------------------------------ the gate

def gate(settings: Settings, url: str) -> Actor | None:
    """The signed-in Actor of this run, or None (the caller then shows only the sign-in page)."""
    mode = settings.auth.mode
    st.session_state[SETTINGS_KEY] = settings
    try:
        if mode == "none":
            actor = Actor(settings.user or "本机用户", ADMIN)
        elif mode == "password":
            actor = _password_actor(settings, url)
        elif mode == "proxy":
            actor = _proxy_actor(settings, url)
        else:
            actor = _oidc_actor(settings, url)
    except Exception:  # a database that cannot be read signs nobody in
        log.exception("sign-in check failed")
        actor = None
    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
    else:
        st.session_state[ACTOR_KEY] = actor
    return actor


def _password_actor(settings: Settings, url: str) -> Actor | None:
    auth = settings.auth
    token = st.session_state.get(TOKEN_KEY)
    if token is None and not st.session_state.get(CLEAR_KEY):
        token = st.context.cookies.get(auth.cookie_name)
    actor = accounts.session_actor(url, auth, token) if token else None
    if actor is None:
        if st.session_state.pop(TOKEN_KEY, None) is not None or token:
            st.session_state[CLEAR_KEY] = True  # a stale or refused token: drop the cookie too
        return None
    if st.session_state.get(TOKEN_KEY) != token:
        st.session_state[TOKEN_KEY] = token
    return actor


def _proxy_actor(settings: Settings, url: str) -> Actor | None:
    headers = st.context.headers
    name = (headers.get(settings.auth.proxy_user_header) or "").strip()
    email = (headers.get(settings.auth.proxy_email_header) or "").strip()
    actor = None
    for candidate in (name, email):
        if candidate and actor is None:
            actor = accounts.actor_for(url, candidate)
    st.session_state["_auth_claimed"] = name or email or None
    if actor is not None:
        _audit_once(url, actor, "proxy")
    return actor


def _claim_role(value) -> str | None:
    values = value if isinstance(value, (list, tuple)) else [value]
    found = [r for r in ROLES if r in {str(v).strip() for v in values}]
    return found[0] if found else None  # ROLES is in order of power: the highest role the claim names


def _oidc_actor(settings: Settings, url: str) -> Actor | None:
    info = st.user.to_dict()
    if not info.get("is_logged_in"):
        return None
    email = str(info.get("email") or "").strip()
    name = email or str(info.get("preferred_username") or info.get("sub") or "").strip()
    st.session_state["_auth_claimed"] = name or None
    claim = settings.auth.oidc_role_claim
    account = accounts.actor_for(url, email) if email else None
    if claim:
        role = _claim_role(info.get(claim))
        actor = Actor(name, role, account.departments if account else ()) if role and name else None
    else:
        actor = account
    if actor is not None:
        _audit_once(url, actor, "oidc")
    return actor


def _audit_once(url: str, actor: Actor, how: str) -> None:
    if st.session_state.get(SEEN_KEY) != actor.name:
        st.session_state[SEEN_KEY] = actor.name
        audit.record(url, actor.name, actor.role, "login", {"via": how})


# ------------------------------------------------------------------------------------------------ pages

def sign_in_page() -> None:
    """The only page a signed-out visitor gets, at every URL."""
    settings = st.session_state[SETTINGS_KEY]
    mode = settings.auth.mode
    if st.session_state.pop(CLEAR_KEY, False):
        _cookie(settings.auth.cookie_name, "", 0)
    st.header("预算绩效监督驾驶舱")
    if mode == "password":
        _password_form(settings)
    elif mode == "proxy":
        claimed = st.session_state.get("_auth_claimed")
        if claimed:
            st.error(f"账号「{text.md(claimed)}」没有登记或已停用，请联系管理员开通。", icon=":material/block:")
        else:
            st.error("未收到统一认证的用户信息。请通过单位的统一登录入口访问本系统。", icon=":material/block:")
    else:
        claimed = st.session_state.get("_auth_claimed")
        if claimed:
            st.error(f"账号「{text.md(claimed)}」没有本系统的角色，请联系管理员开通。", icon=":material/block:")
            st.button("退出统一认证", on_click=st.logout, key="oidc_logout")
        else:
            st.caption("请使用单位统一身份认证登录。")
            provider = settings.auth.oidc_provider
            st.button("登录", type="primary", key="oidc_login",
                      on_click=(lambda: st.login(provider)) if provider else st.login)


def _password_form(settings: Settings) -> None:
    with st.form("login", border=True, width=420):
        st.subheader("登录")
        name = st.text_input("用户名", key="login_name", max_chars=100, autocomplete="username")
        password = st.text_input("密码", type="password", key="login_password", max_chars=200,
                                 autocomplete="current-password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        result = accounts.login(settings.db_url, settings.auth, name, password)
        st.session_state.pop("login_password", None)
        if not result.ok:
            st.error(result.message, icon=":material/error:")
            return
        st.session_state[TOKEN_KEY] = result.token
        st.session_state.pop(CLEAR_KEY, None)
        st.session_state["_auth_set_cookie"] = True
        st.rerun()
    st.caption(f"忘记密码或账号被锁定，请联系管理员。连续输错 {settings.auth.max_failures} 次密码，"
               f"账号锁定 {settings.auth.lockout_minutes:g} 分钟。")


def denied_page() -> None:
    """A page the signed-in role may not open: this sentence and nothing else."""
    st.error(DENIED)


def account_box(settings: Settings, actor: Actor) -> None:
    """Sidebar: who is signed in, the department limit, sign-out; sets the cookie right after a sign-in."""
    mode = settings.auth.mode
    if mode == "password" and st.session_state.pop("_auth_set_cookie", False):
        token = st.session_state.get(TOKEN_KEY)
        expiry = int(token.split(".")[1]) if token else 0
        _cookie(settings.auth.cookie_name, token or "", max(0, expiry - int(dt.datetime.now().timestamp())))
    if mode == "none":
        return
    with st.sidebar:
        limit = f" · 限 {'、'.join(text.md(d) for d in actor.departments)}" if actor.departments else ""
        st.caption(f"当前账号：{text.md(actor.name)}（{ROLE_LABELS.get(actor.role, actor.role)}）{limit}")
        if mode == "password":
            st.button("退出登录", key="logout", icon=":material/logout:", on_click=_logout, args=(settings,))
        elif mode == "oidc":
            st.button("退出登录", key="logout", icon=":material/logout:", on_click=st.logout)


def _logout(settings: Settings) -> None:
    token = st.session_state.pop(TOKEN_KEY, None)
    try:
        accounts.logout(settings.db_url, settings.auth, token)
    except Exception:
        log.exception("sign-out failed")
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state[CLEAR_KEY] = True


def notice(settings: Settings) -> None:
    """Mode none: a small line on every page that sign-in is off."""
    if settings.auth.mode == "none":
        st.caption(":material/lock_open: 未启用登录（`[auth] mode = \"none\"`）：能打开本页的人都可以上传和撤销数据，"
                   "仅适合在本机使用。部署方式见 docs/deployment.md。")
