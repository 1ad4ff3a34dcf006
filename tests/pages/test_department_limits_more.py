"""Department limits everywhere (issue 23, item 6): the project card's 下年预算, 操作日志 of a department-limited
admin, and proxy mode reading only the configured header.

Before: a 区教育局-limited account opening its own 2023 project whose code the 区卫健委 uses in 2024 saw
"2024年预算 800.00"; a 区教育局-limited admin read every file name on 操作日志; a request whose proxy
overwrote only X-Forwarded-User signed in as the account its own X-Forwarded-Email named.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import metrics
from dashboard.core import accounts, audit
from dashboard.core.models import ImportBatch, Indicator, Project
from dashboard.core.rules import DEFAULT_RULES
from dashboard.core.settings import load_settings
from dashboard.core.vocab import STAGE_DECLARED
from dashboard.ui import auth
from tests.pages import fixture_db
from tests.pages.apptest import APP, texts
from tests.pages.conftest import SECRET
from tests.sessions import session_scope

PW = "a good password 1"
OP = accounts.operator("tests")


def _extra(url: str, ids: dict) -> dict:
    """To the page fixture: a 2023 project of 区教育局 with code WJ-02 — in 2024 that code is 区卫健委's
    免疫规划疫苗接种 (800 万元) — written by a batch of its own, which touches 区教育局 only."""
    with session_scope(url) as s:
        batch = ImportBatch(created_at=dt.datetime(2025, 3, 2, 9, 0), user="tester", source="import",
                            files=[{"name": "教育局补报.xlsx", "sha256": "1" * 64}], counts={}, status="committed")
        s.add(batch)
        s.flush()
        p = Project(year=2023, code="WJ-02", name="教育局借用编码项目", department_id=ids["101"], category="项目支出",
                    fund_source="一般公共预算", initial_budget=100.0, adjusted_budget=100.0, has_target=True,
                    created_batch_id=batch.id, batch_id=batch.id)
        s.add(p)
        s.flush()
        return {"project": p.id, "batch": batch.id}


@pytest.fixture
def limited_db(tmp_path, monkeypatch):
    """A copy of the page fixture plus _extra, the app on it in password mode."""
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    ids = fixture_db.build(url)
    ids.update(_extra(url, ids))
    f = tmp_path / "dashboard.toml"
    f.write_text(f'[auth]\nmode = "password"\nsecret = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", fixture_db.TODAY)
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url, ids
    st.cache_data.clear()


def _token(url, role, departments=()):
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, OP, name, role, PW, departments)
    return name, accounts.login(url, load_settings().auth, name, PW).token


def _run(page: str, token: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.session_state[auth.TOKEN_KEY] = token
    at.run()
    at.switch_page(f"../pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ------------------------------------------------------------------------------------------ 下年预算

def test_metric_next_year_respects_the_limit(limited_db):
    url, ids = limited_db

    def card(limit=()):
        q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=2024, limit=limit), DEFAULT_RULES,
                          dt.date(2025, 3, 31))
        return metrics.project_card(q, ids["project"])

    assert card()["next_year"] == {"project_id": ids["WJ-02@2024"], "year": 2024, "budget": 800.0, "change": 700.0}
    assert card((ids["101"],))["next_year"] is None
    assert card((ids["101"], ids["102"]))["next_year"]["budget"] == 800.0
    # a card whose next year is its own department's is unchanged: JY-01 2023 (900) → 2024 (1000)
    q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=2024, limit=(ids["101"],)), DEFAULT_RULES,
                      dt.date(2025, 3, 31))
    assert metrics.project_card(q, ids["JY-01@2023"])["next_year"]["change"] == 100.0


def test_a_limited_account_does_not_see_another_department_s_next_year_on_the_card(limited_db):
    url, ids = limited_db
    _, limited = _token(url, "deputy", ("区教育局",))
    at = _run("projects", limited, {"project": str(ids["project"])})
    assert at.title[0].value == "教育局借用编码项目"
    assert not [m for m in at.metric if m.label.startswith("2024年预算")]
    assert "下一年度没有同编码的项目（尚未导入，或项目已结束）。" in [c.value for c in at.caption]
    _, everyone = _token(url, "deputy")
    at = _run("projects", everyone, {"project": str(ids["project"])})
    shown = {m.label: (m.value, m.proto.delta) for m in at.metric}
    assert shown["2024年预算（万元）"] == ("800.00", "+700.00 万元")


def test_project_indicators_respect_the_limit(limited_db):
    url, ids = limited_db
    with session_scope(url) as s:
        s.add(Indicator(project_id=ids["WJ-02@2024"], year=2024, stage=STAGE_DECLARED, indicator_key="k1",
                        level1="产出指标", level2="数量指标", name="接种人数", target_text="≥1000人"))

    def names(limit=()):
        q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=2024, limit=limit), DEFAULT_RULES,
                          dt.date(2025, 3, 31))
        return metrics.project_indicators(q, ids["WJ-02@2024"])["indicator"].tolist()

    assert names() == ["接种人数"]
    assert names((ids["102"],)) == ["接种人数"]
    assert names((ids["101"],)) == []


# ------------------------------------------------------------------------------------------ 操作日志

def _entries(url: str, ids: dict, limited_admin: str) -> None:
    whole = 1  # fixture_db's one batch: every department's rows
    audit.record(url, "op1", "staff", "import", {"batch": whole, "source": "import", "files": ["全县绩效2024.xlsx"],
                                                 "counts": {"projects": {"inserted": 13}}})
    audit.record(url, "op1", "staff", "import", {"batch": ids["batch"], "source": "import", "files": ["教育局补报.xlsx"],
                                                 "counts": {"projects": {"inserted": 1}}})
    audit.record(url, "op1", "staff", "import_refused", {"source": "import", "files": ["卫健委季度监控.xlsx"],
                                                         "error_count": 2, "errors": ["x", "y"]})
    audit.record(url, "op1", "staff", "undo", {"batch": whole, "deleted": {}, "restored": {}})
    audit.record(url, "op1", "staff", "export", {"what": "项目清单", "file": "区卫健委_项目.xlsx", "scope": "2024年 · 区卫健委"})
    audit.record(url, limited_admin, "admin", "export", {"what": "项目清单", "file": "区教育局_项目.xlsx",
                                                         "scope": "2024年 · 区教育局"})


def test_core_hides_other_departments_details_from_a_limited_reader(limited_db):
    url, ids = limited_db
    _entries(url, ids, "edu-admin")
    assert audit.batch_departments(url, [1, ids["batch"], 999]) == {
        1: {ids["101"], ids["102"], ids["103"]}, ids["batch"]: {ids["101"]}, 999: set()}
    rows = audit.entries(url, actions=["import", "import_refused", "undo", "export"])
    seen = audit.within_departments(url, rows, (ids["101"],), "edu-admin")
    assert [(r["action"], r["detail"].get("files") or r["detail"].get("file") or r["detail"]) for r in seen] == [
        ("export", "区教育局_项目.xlsx"),     # the reader's own
        ("export", audit.HIDDEN),
        ("undo", audit.HIDDEN),               # the whole-county batch
        ("import_refused", audit.HIDDEN),     # wrote nothing: whose files it held is unknown
        ("import", ["教育局补报.xlsx"]),       # touched 区教育局 only
        ("import", audit.HIDDEN),
    ]
    assert audit.within_departments(url, rows, (), "anyone") == rows


def test_batch_departments_on_both_engines(db_url):
    ids = fixture_db.build(db_url)
    ids.update(_extra(db_url, ids))
    assert audit.batch_departments(db_url, [1, ids["batch"]]) == {1: {ids["101"], ids["102"], ids["103"]},
                                                                  ids["batch"]: {ids["101"]}}
    _entries(db_url, ids, "edu-admin")
    rows = audit.entries(db_url, actions=["import"])
    assert [r["detail"].get("files") for r in audit.within_departments(db_url, rows, (ids["102"],), "x")] == [
        None, None]  # neither batch touched 区卫健委 alone


def test_a_limited_admin_reads_no_other_department_s_file_names_on_the_audit_page(limited_db):
    url, ids = limited_db
    name, token = _token(url, "admin", ("区教育局",))
    _entries(url, ids, name)
    at = _run("audit", token)
    log = at.dataframe[0].value
    shown = "\n".join(log["详情"])
    for other in ("全县绩效2024.xlsx", "卫健委季度监控.xlsx", "区卫健委_项目.xlsx", "区卫健委"):
        assert other not in shown and other not in texts(at)
    assert f"批次 #{ids['batch']}：教育局补报.xlsx，新增/更新 1 行" in set(log["详情"])
    assert "项目清单（2024年 · 区教育局）" in set(log["详情"])
    assert int((log["详情"] == "涉及限定范围以外的部门，详情不显示").sum()) == 4
    # an unlimited admin reads them all
    _, full = _token(url, "admin")
    log = _run("audit", full).dataframe[0].value
    assert "批次 #1：全县绩效2024.xlsx，新增/更新 13 行" in set(log["详情"])
    assert not (log["详情"] == "涉及限定范围以外的部门，详情不显示").any()


# ------------------------------------------------------------------------------------------ proxy headers

@pytest.mark.parametrize(("headers", "claimed"), [
    ({"X-Forwarded-User": "alice", "X-Forwarded-Email": "admin@bureau"}, "alice"),  # the proxy set the user
    ({"X-Forwarded-User": "  ", "X-Forwarded-Email": "admin@bureau"}, "admin@bureau"),
    ({"X-Forwarded-Email": "admin@bureau"}, "admin@bureau"),
    ({"X-Forwarded-User": "bob"}, "bob"),
    ({}, ""),
])
def test_proxy_identity_reads_the_email_header_only_without_a_user_header(headers, claimed):
    assert auth.proxy_identity(headers, "X-Forwarded-User", "X-Forwarded-Email") == claimed


def test_proxy_identity_ignores_an_email_header_set_to_empty():
    assert auth.proxy_identity({"X-Forwarded-Email": "admin@bureau"}, "X-Forwarded-User", "") == ""
    assert auth.proxy_identity({"X-Forwarded-Email": "admin@bureau"}, "X-Forwarded-User", None) == ""


def test_a_forged_email_header_does_not_sign_in_when_the_proxy_set_the_user(limited_db, monkeypatch):
    """_proxy_actor on the real accounts table: alice (no account) behind the proxy, admin@bureau forged."""
    url, _ = limited_db
    accounts.add_user(url, OP, "admin@bureau", "admin")
    accounts.add_user(url, OP, "carol", "deputy")
    settings = load_settings()

    def actor(headers):
        ctx = type("Ctx", (), {"headers": headers})()
        monkeypatch.setattr(auth.st, "context", ctx, raising=False)
        monkeypatch.setattr(auth.st, "session_state", {}, raising=False)
        monkeypatch.setattr(auth, "_audit_once", lambda *a: None)
        return auth._proxy_actor(settings, url)

    assert actor({"X-Forwarded-User": "alice", "X-Forwarded-Email": "admin@bureau"}) is None
    assert actor({"X-Forwarded-User": "carol", "X-Forwarded-Email": "admin@bureau"}).name == "carol"
    assert actor({"X-Forwarded-Email": "admin@bureau"}).role == "admin"  # no user header at all: the e-mail
