"""A deputy's own view (issue 26, item 4): 我关注的领域 kept per account and applied as the department filter at
sign-in, with 显示全部部门 one click away; 大字号 kept per account; a QR code of the current view. The figures
under the focus are the one-department figures worked out by hand in test_pages.py (区教育局: 1,700.00 万元,
1 red light, 1 overdue)."""

from __future__ import annotations

import uuid

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core import accounts, audit
from dashboard.core.settings import Auth
from dashboard.present import qr
from dashboard.ui import auth, prefs
from tests.pages.apptest import APP, metrics, texts
from tests.pages.conftest import SECRET

PW = "a good password 1"
OP = accounts.operator("tests")


def _deputy(url, **preferences) -> tuple[str, str]:
    name = f"deputy-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, OP, name, "deputy", PW)
    actor = accounts.actor_for(url, name)
    if preferences:
        accounts.set_preferences(url, actor, preferences)
    return name, accounts.login(url, Auth(mode="password", secret=SECRET), name, PW).token


def _run(token: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[auth.TOKEN_KEY] = token
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_preferences_are_checked_kept_per_account_and_audited(fixture_url):
    url, _ = fixture_url
    name, _ = _deputy(url)
    actor = accounts.actor_for(url, name)
    assert accounts.get_preferences(url, name) == {"focus_sectors": [], "focus_departments": [], "large_type": False}
    kept = accounts.set_preferences(url, actor, {"focus_sectors": [" 教育 ", "教育"], "focus_departments": ["区卫健委"],
                                                 "large_type": 1, "role": "admin"})
    assert kept == {"focus_sectors": ["教育"], "focus_departments": ["区卫健委"], "large_type": True}
    assert accounts.get_preferences(url, name) == kept
    assert accounts.actor_for(url, name).role == "deputy"  # an unknown key changes nothing else
    entry = audit.entries(url, actions=["user"], limit=1)[0]
    assert entry["user"] == name and entry["detail"]["op"] == "preferences"
    with pytest.raises(accounts.AccountError, match="最多"):
        accounts.set_preferences(url, actor, {"focus_departments": [f"d{i}" for i in range(201)]})
    with pytest.raises(accounts.AccountError, match="不能保存"):  # mode none: no account row
        accounts.set_preferences(url, accounts.Actor("本机用户", "admin"), {"large_type": True})


def test_focus_applies_at_sign_in_and_all_is_one_click_away(password_mode, fixture_url):
    url, _ = fixture_url
    _, token = _deputy(url, focus_departments=["区教育局"])
    at = _run(token)
    m = metrics(at)
    assert m["预算（万元）"][0] == "1,700.00" and m["红灯项目"][0] == "1" and m["逾期未整改"][0] == "1"
    assert "按「我的关注」显示 1 个部门" in texts(at)
    at.button(key="focus_all").click().run()
    assert metrics(at)["预算（亿元）"][0] == "1.98"  # every department again
    assert "按「我的关注」显示" not in texts(at)


def test_a_shared_link_keeps_its_own_scope(password_mode, fixture_url):
    url, _ = fixture_url
    _, token = _deputy(url, focus_departments=["区教育局"])
    at = _run(token, query={"departments": "区卫健委"})
    assert "当前范围：2024年 · 区卫健委" in texts(at)


def test_large_type_is_kept_and_drawn(password_mode, fixture_url):
    url, _ = fixture_url
    _, token = _deputy(url, large_type=True)
    at = _run(token)
    assert any("font-size: 20px" in str(h.proto.body) for h in at.get("html"))
    _, token = _deputy(url)
    at = _run(token)
    assert not any("font-size: 20px" in str(h.proto.body) for h in at.get("html"))


def test_focus_by_sector_names_its_departments(fresh_db):
    """By hand: 教育 is the sector of 区教育局 and 区卫健委 here; a department named by name or code counts too."""
    from sqlalchemy import text

    from dashboard.core import db
    from dashboard.metrics import department_options

    url = fresh_db
    with db.get_engine(url).begin() as conn:
        conn.execute(text("UPDATE departments SET sector = '教育' WHERE name IN ('区教育局', '区卫健委')"))
        conn.execute(text("UPDATE departments SET sector = '农业' WHERE name = '区农业农村局'"))
    ids = {str(r.name): int(r.id) for r in department_options(url).itertuples()}
    version = db.data_version(url) + 1000  # past any cached options of the unchanged fixture
    got = prefs.focus_ids(url, version, {"focus_sectors": ["教育"], "focus_departments": []})
    assert got == tuple(sorted((ids["区教育局"], ids["区卫健委"])))
    got = prefs.focus_ids(url, version, {"focus_sectors": ["农业"], "focus_departments": ["区教育局"]})
    assert got == tuple(sorted((ids["区农业农村局"], ids["区教育局"])))
    assert prefs.focus_ids(url, version, {"focus_sectors": [], "focus_departments": []}) == ()


def test_qr_code_is_a_png_of_the_link():
    png = qr.qr_png("https://jxpj.example.gov.cn/overview?year=2024&departments=3")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 200


def test_the_brief_links_the_department_page_under_the_apps_address():
    assert qr.department_link("https://jxpj.example.gov.cn", "JY01", 2024) == \
        "https://jxpj.example.gov.cn/department?dept=JY01&year=2024"
    # a path prefix (a proxy's location) is kept; the fund source and a Chinese code are encoded
    assert qr.department_link("https://host/jx/", "教育局", 2023, "政府性基金预算") == (
        "https://host/jx/department?dept=%E6%95%99%E8%82%B2%E5%B1%80&year=2023"
        "&fund=%E6%94%BF%E5%BA%9C%E6%80%A7%E5%9F%BA%E9%87%91%E9%A2%84%E7%AE%97")
    for base in ("", "javascript:alert(1)", "host-without-scheme", "ftp://host"):
        assert qr.department_link(base, "JY01", 2024) is None
