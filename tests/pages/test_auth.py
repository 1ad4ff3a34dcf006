"""Sign-in and roles under AppTest (dashboard/ui/auth.py, dashboard/app.py): what each role gets on each page.

Password mode runs with a settings file of its own; sign-in goes through the real form or a token made by
dashboard.core.accounts.login, put into session state the way the form does. OIDC roles come from `at.user`.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.core import accounts, audit
from dashboard.core.settings import load_settings
from dashboard.ui import auth, text
from tests.pages.apptest import APP, metrics, open_rules, texts

PW = "a good password 1"
OP = accounts.operator("tests")


def _user(url, role, departments=()):
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, OP, name, role, PW, departments)
    return name


def _token(url, name):
    return accounts.login(url, load_settings().auth, name, PW).token


def _run(page: str | None = None, state: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    if user is not None:
        at.user = user
    at.run()
    if page and not registry.BY_KEY[page].default:
        _open(at, registry.BY_KEY[page])
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, page) -> None:
    """Go to a page's URL. AppTest.switch_page matches page files only; where the app registered a stand-in
    (the sign-in page, 无权限访问) under the page's URL, select it by the hash Streamlit gives that URL, as a
    browser asking for /url_path gets."""
    try:
        at.switch_page(f"../pages/{page.file}")
    except ValueError:
        from streamlit.util import calc_hash

        at._page_hash = calc_hash(page.url_path)


def _is_sign_in_only(at) -> None:
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert [b.label for b in at.button] == ["登录"]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
    assert not at.sidebar.selectbox and not at.sidebar.multiselect  # no filters, no department names


@pytest.mark.parametrize("page", [p.key for p in registry.PAGES])
def test_a_signed_out_visitor_gets_only_the_sign_in_page(password_mode, page):
    _is_sign_in_only(_run(page))


def test_sign_in_through_the_form_then_sign_out(password_mode):
    url = password_mode
    name = _user(url, "leader")
    at = _run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input("wrong password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [accounts.FAILED]
    at.text_input(key="login_password").input(PW)
    at.button[0].click().run()
    assert not at.exception
    assert metrics(at)["预算（亿元）"][0] == "1.98"  # the overview, as in test_pages
    assert f"当前账号：{text.md(name)}（领导）" in "\n".join(c.value for c in at.sidebar.caption)
    token = at.session_state[auth.TOKEN_KEY]
    assert accounts.session_actor(url, load_settings().auth, token).name == name
    at.button(key="logout").click().run()
    _is_sign_in_only(at)
    assert accounts.session_actor(url, load_settings().auth, token) is None
    actions = [e["action"] for e in audit.entries(url, user=name)]
    assert actions == ["logout", "login", "login_failed"]


def test_a_deputy_reads_but_gets_denied_on_upload_and_admin_pages(password_mode):
    url = password_mode
    token = _token(url, _user(url, "deputy"))
    at = _run(state={auth.TOKEN_KEY: token})
    shown = {p.proto.page for p in at.get("page_link")}
    assert metrics(at) and "upload" not in shown
    for page in ("upload", "audit", "users"):
        at = _run(page, state={auth.TOKEN_KEY: token})
        assert [e.value for e in at.error] == ["无权限访问"]
        assert not at.title and not at.metric and not at.dataframe and not at.button and not at.sidebar.selectbox
    at = _run("ranking", state={auth.TOKEN_KEY: token})
    assert not at.error and at.dataframe


def test_a_tampered_token_is_refused(password_mode):
    url = password_mode
    token = _token(url, _user(url, "admin"))
    sid, expiry, mac = token.split(".")
    _is_sign_in_only(_run("overview", state={auth.TOKEN_KEY: f"{sid}.{int(expiry) + 3600}.{mac}"}))
    assert metrics(_run("overview", state={auth.TOKEN_KEY: token}))


def test_staff_may_upload_and_save_rules_leaders_only_try_them(password_mode):
    url = password_mode
    staff = _token(url, _user(url, "staff"))
    leader = _token(url, _user(url, "leader"))
    at = open_rules(_run("upload", state={auth.TOKEN_KEY: staff}))
    assert at.title[0].value == "数据上传" and not at.error
    assert at.sidebar.button(key="r_save").label == "保存为默认规则"
    at = open_rules(_run(state={auth.TOKEN_KEY: leader}))
    assert "r_save" not in [b.key for b in at.sidebar.button]
    assert "不能保存为默认规则" in "\n".join(c.value for c in at.sidebar.caption)
    # the what-if still works for the leader's session: a lower red threshold turns more projects red
    before = int(metrics(at)["红灯项目"][0])
    at.sidebar.number_input(key="r_red").set_value(10.0)
    at.sidebar.number_input(key="r_yellow").set_value(5.0).run()
    assert int(metrics(at)["红灯项目"][0]) >= before


def test_an_admin_sees_the_audit_trail_and_accounts(password_mode):
    url = password_mode
    name = _user(url, "admin")
    token = _token(url, name)
    at = _run("audit", state={auth.TOKEN_KEY: token})
    assert at.title[0].value == "操作日志"
    log = at.dataframe[0].value
    assert list(log.columns) == ["时间", "账号", "角色", "操作", "详情"]
    assert ((log["账号"] == name) & (log["操作"] == "登录")).any()
    assert "操作日志不受以下筛选影响；筛选会保留，回到其他页面时仍然有效。" in [c.value for c in at.sidebar.caption]
    at = _run("users", state={auth.TOKEN_KEY: token})
    assert name in set(at.dataframe[0].value["账号"])
    assert "账号管理不受以下筛选影响；筛选会保留，回到其他页面时仍然有效。" in [c.value for c in at.sidebar.caption]
    at = _run("upload", state={auth.TOKEN_KEY: token})
    assert "数据上传不受以下筛选影响；筛选会保留，回到其他页面时仍然有效。" in [c.value for c in at.sidebar.caption]
    at = _run("ranking", state={auth.TOKEN_KEY: token})
    assert not [c.value for c in at.sidebar.caption if "不受以下筛选影响" in c.value]


def test_a_department_limited_deputy_sees_only_its_department(password_mode):
    url = password_mode
    token = _token(url, _user(url, "deputy", ("区教育局",)))
    at = _run(state={auth.TOKEN_KEY: token})
    assert at.sidebar.multiselect(key="departments").options == ["区教育局"]
    assert metrics(at)["预算（万元）"][0] == "1,700.00"  # as test_overview_one_department_from_the_url
    at = _run("ranking", state={auth.TOKEN_KEY: token})
    ranks = at.dataframe[0].value
    assert list(ranks.iloc[:, 1]) == ["区教育局"] or "区教育局" in ranks.to_string()
    assert "区卫健委" not in ranks.to_string() and "区农业农村局" not in ranks.to_string()
    assert "全部 3 个参与排名的主管部门" in texts(at)


def test_mode_none_says_sign_in_is_off_where_it_matters_only(app_env):
    assert "未启用登录" not in texts(_run())  # a reader's page: no developer notice
    assert "未启用登录" in texts(_run("users"))
    assert "未启用登录" in texts(_run("upload"))


@pytest.fixture
def oidc_mode(app_env, tmp_path, monkeypatch):
    f = tmp_path / "dashboard.toml"
    f.write_text('[auth]\nmode = "oidc"\noidc_role_claim = "dashboard_roles"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    return app_env, f


def test_oidc_role_from_a_claim_or_from_the_account_by_email(oidc_mode):
    url, f = oidc_mode
    at = _run("upload", user={"is_logged_in": True, "email": "w@bureau.example", "dashboard_roles": ["deputy"]})
    assert [e.value for e in at.error] == ["无权限访问"]
    at = _run("upload", user={"is_logged_in": True, "email": "w@bureau.example", "dashboard_roles": ["staff"]})
    assert at.title[0].value == "数据上传"
    at = _run(user={"is_logged_in": True, "email": "x@bureau.example", "dashboard_roles": ["nobody"]})
    assert any("没有本系统的角色" in e.value for e in at.error) and not at.metric
    at = _run(user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["登录"] and not at.metric
    # without a claim: the account named by the e-mail
    f.write_text('[auth]\nmode = "oidc"\n', encoding="utf-8")
    accounts.add_user(url, OP, "lead@bureau.example", "leader")
    at = _run(user={"is_logged_in": True, "email": "lead@bureau.example"})
    assert metrics(at) and f"当前账号：{text.md('lead@bureau.example')}（领导）" in "\n".join(c.value for c in at.sidebar.caption)
    assert dataclasses.asdict(load_settings().auth)["mode"] == "oidc"
