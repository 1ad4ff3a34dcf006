"""Who is looking at the app: the sign-in gate of every script run, the sign-in page, the session cookie,
sign-out, and the page shown for a page the role may not open.

`gate(settings, url)` runs at the top of dashboard/app.py, before navigation, on every run (also the first
request of a fresh server: the entry point is not next to pages/, so every URL passes through it). It returns
the Actor (dashboard.core.accounts) or None; with None the app registers every page URL as the sign-in page.

Modes (`[auth] mode`, docs/deployment.md §7):
- none: the local user acts as admin; `notice()` says that sign-in is off where it matters: on 账号管理 and 数据上传
  (the pages that write), never on a reader's page.
- password: the sign-in form checks accounts.login; the token goes into session state and into a cookie set
  by a small inline st.components.v2 component (no download, no build step); later sessions (reload, deep
  link, a new tab) read it from st.context.cookies. Every run validates it against the auth_sessions table.
- proxy: the user name from the request header the proxy sets (st.context.headers), mapped to an account.
- oidc: st.login / st.user; the role from a claim, or the account named by the e-mail.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.core import accounts, audit
from dashboard.core.accounts import Actor
from dashboard.core.settings import Settings
from dashboard.core.vocab import ADMIN, ROLE_LABELS, ROLES
from dashboard.ui import text

log = logging.getLogger("dashboard.ui")
ACTOR_KEY = "_auth_actor"
TOKEN_KEY = "_auth_token"
CLEAR_KEY = "_auth_clear_cookie"
ENDED_KEY = "_auth_ended"  # why the sign-in form is back (idle, expired, signed out elsewhere)
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
    guard_uploads(actor)
    return actor


# ------------------------------------------------------------------------------------------------ uploads

# Streamlit's upload route (PUT /_stcore/upload_file/<session>/<file id>, streamlit/web/server/starlette/
# starlette_routes.py) asks the runtime only whether the session is live (`runtime.is_active_session`) and
# whether the XSRF cookie matches; then it reads the whole body into memory and keeps it under any file id the
# client makes up until the session ends — it does not check that a file_uploader asked for that id. So a
# signed-out visitor, who has a live session (the sign-in page) and can read its id off the WebSocket, could
# PUT 95 MB per request and the server kept every byte (issue 23: ten requests, 1,090 MB).
#
# The nearest real thing without a fork: a process-wide set of the sessions whose account may open the upload
# page (permission UPLOAD_PERMISSION), kept by gate() on every run, and two checks on the live runtime,
# installed once: `is_active_session` — which only the upload route calls — answers False for other
# sessions, so their PUT is refused with 400 *before the body is read*; and the upload manager's `add_file`
# drops a file for such a session (should a later Streamlit read the body first). A session that signs out
# (or never could upload) has its uploaded files dropped on its next run. Without a script-run context
# (bare mode) nothing is installed; AppTest's runtime gets the same guard as a server's.
UPLOAD_PERMISSION = "import"
_UPLOADERS: set[str] = set()
_UPLOADERS_LOCK = threading.Lock()
_GUARDED: list = []  # the runtime the checks are installed on


def may_upload(session_id: str) -> bool:
    with _UPLOADERS_LOCK:
        return session_id in _UPLOADERS


def _install_upload_guard(runtime) -> None:
    if _GUARDED and _GUARDED[0] is runtime:
        return
    # the unguarded originals are kept on the objects: a second install (this module imported afresh) wraps
    # them, not an earlier wrapper
    live = runtime.__dict__.get("_dashboard_unguarded") or runtime.is_active_session
    runtime._dashboard_unguarded = live
    manager = runtime.uploaded_file_mgr

    def is_active_session(session_id: str) -> bool:  # called by the upload route only
        return live(session_id) and may_upload(session_id)

    runtime.is_active_session = is_active_session
    if manager is not None and hasattr(manager, "add_file"):
        add_file = manager.__dict__.get("_dashboard_unguarded") or manager.add_file
        manager._dashboard_unguarded = add_file

        def guarded_add_file(session_id, file, *args, **kwargs):
            if may_upload(session_id):
                return add_file(session_id, file, *args, **kwargs)
            log.warning("upload dropped: session not signed in with permission %s", UPLOAD_PERMISSION)
            return None

        manager.add_file = guarded_add_file
    _GUARDED[:] = [runtime, live]  # `live`: the runtime's own answer, to forget sessions that ended


def guard_uploads(actor: Actor | None) -> None:
    """Mark this run's session as allowed to upload (its account may import) or not; a session that may not
    loses any file it uploaded. No-op without a Streamlit runtime and script run (bare mode)."""
    try:
        ctx = get_script_run_ctx()
        if ctx is None or not Runtime.exists():
            return
        runtime = Runtime.instance()
        _install_upload_guard(runtime)
        session_id = ctx.session_id
        allowed = actor is not None and actor.may(UPLOAD_PERMISSION)
        with _UPLOADERS_LOCK:
            if allowed:
                if session_id not in _UPLOADERS:
                    live = _GUARDED[1]
                    _UPLOADERS.difference_update([s for s in _UPLOADERS if not live(s)])
                    _UPLOADERS.add(session_id)
                return
            _UPLOADERS.discard(session_id)
        runtime.uploaded_file_mgr.remove_session_files(session_id)  # a dict lookup when there is nothing
    except Exception:  # the guard must never stop the page (a session it could not mark may not upload)
        log.exception("upload guard failed")


def _password_actor(settings: Settings, url: str) -> Actor | None:
    auth = settings.auth
    token = st.session_state.get(TOKEN_KEY)
    if token is None and not st.session_state.get(CLEAR_KEY):
        token = st.context.cookies.get(auth.cookie_name)
    actor = accounts.session_actor(url, auth, token) if token else None
    if actor is None:
        if st.session_state.pop(TOKEN_KEY, None) is not None or token:
            st.session_state[CLEAR_KEY] = True  # a stale or refused token: drop the cookie too
            if auth.idle_minutes:
                st.session_state[ENDED_KEY] = (f"登录已失效（超过 {auth.idle_minutes:g} 分钟未操作、已退出或已过期），"
                                               "请重新登录。")
        return None
    if st.session_state.get(TOKEN_KEY) != token:
        st.session_state[TOKEN_KEY] = token
    return actor


def proxy_identity(headers, user_header: str, email_header: str | None) -> str:
    """The one account name a proxied request claims. The user header, when the request has it, is the
    identity and nothing else is read: a proxy that overwrites only that header passes the client's own
    e-mail header through, and falling back to it (an unknown or unregistered name, then the e-mail) let
    any client sign in as the account its forged e-mail names. The e-mail header is read only when the
    request has no user header at all, and only when `[auth] proxy_email_header` is not empty
    (docs/deployment.md §7: the proxy must overwrite both, or set the one it does not use to "")."""
    name = (headers.get(user_header) or "").strip() if user_header else ""
    if name:
        return name
    return (headers.get(email_header) or "").strip() if email_header else ""


def _proxy_actor(settings: Settings, url: str) -> Actor | None:
    claimed = proxy_identity(st.context.headers, settings.auth.proxy_user_header, settings.auth.proxy_email_header)
    actor = accounts.actor_for(url, claimed) if claimed else None
    st.session_state["_auth_claimed"] = claimed or None
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
        ended = st.session_state.pop(ENDED_KEY, None)
        if ended:
            st.info(ended, icon=":material/schedule:")
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
    """Mode none: one line that sign-in is off (账号管理 and 数据上传 show it; readers' pages do not)."""
    if settings.auth.mode == "none":
        st.caption(":material/lock_open: 未启用登录（设置 [auth] mode = \"none\"）：能打开本页的人都可以上传和撤销数据，"
                   "仅适合在本机使用。部署方式见 docs/deployment.md。")
