"""The 结果应用 page (pages/applications.py) in AppTest on the hand-built database of tests/metrics/test_applications.py
(judged for 2023): headline counts, the ledger in its order with its flags, the flag filter, policies with due years,
result classes; the sidebar's department filter and a department-limited account.

Until dashboard/registry.py lists the page, dashboard/ui/data.py wraps its metrics and dashboard/present/labels.py
names its columns, the `page_env` fixture adds the same entries for the test run (each only where it is missing).
"""

from __future__ import annotations

import uuid

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.core import accounts
from dashboard.core.settings import load_settings
from dashboard.metrics import applications as MA
from dashboard.present import labels
from dashboard.ui import auth, data
from tests.metrics.test_applications import build
from tests.pages.apptest import APP, ROOT, metrics, table, texts
from tests.pages.conftest import SECRET

PAGE = registry.Page("applications", "applications.py", "结果应用", "applications", ":material/fact_check:", "专题")
LABELS = {"grade_history": "历年等级", "previous_grade": "上年等级", "next_budget": "下年预算（万元）",
          "budget_change": "预算增减（万元）", "result_class": "结果应用类别", "flags": "关注标记", "flag_count": "标记数",
          "policy_since": "政策出台年度", "last_evaluated": "最近评价年度", "times": "评价年次", "due_year": "应评价年度",
          "policy_status": "评价状态", "objects": "评价对象数"}
PW = "a good password 1"


def _install(monkeypatch) -> None:
    """The page's registry entry, data wrappers and column labels, where the shared files do not have them yet."""
    if "applications" not in registry.BY_KEY:
        i = [p.key for p in registry.PAGES].index("evaluation") + 1
        pages = (*registry.PAGES[:i], PAGE, *registry.PAGES[i:])
        monkeypatch.setattr(registry, "PAGES", pages)
        monkeypatch.setattr(registry, "BY_KEY", {p.key: p for p in pages})
        monkeypatch.setattr(registry, "BY_URL", {p.route: p for p in pages})
    wrappers = {
        "APPLICATION_FLAGS": MA.APPLICATION_FLAGS,
        "application_ledger": lambda ctx, flag=None: data._listing(ctx, MA.application_ledger,
                                                                   MA.application_ledger_count, flag=flag),
        "ledger_totals": lambda ctx: data._metric(MA.ledger_totals, ctx),
        "policy_list": lambda ctx: data._listing(ctx, MA.policy_list, MA.policy_count),
        "policy_totals": lambda ctx: data._metric(MA.policy_totals, ctx),
        "result_classes": lambda ctx: data._metric(MA.result_classes, ctx),
    }
    for name, fn in wrappers.items():
        if not hasattr(data, name):
            monkeypatch.setattr(data, name, fn, raising=False)
    for key, text in LABELS.items():
        if key not in labels.LABELS:
            monkeypatch.setitem(labels.LABELS, key, text)
    for key in ("next_budget", "budget_change"):
        if key not in labels.MONEY_COLUMNS:
            monkeypatch.setattr(labels, "MONEY_COLUMNS", labels.MONEY_COLUMNS | {key})


@pytest.fixture
def page_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'applications.db'}"
    ids = build(url)
    _install(monkeypatch)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", "2024-06-30")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url, ids
    st.cache_data.clear()


def _run(query: dict | None = None, token: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in {"year": "2023", **(query or {})}.items():
        at.query_params[k] = v
    if token:
        at.session_state[auth.TOKEN_KEY] = token
    at.run()
    at.switch_page("../pages/applications.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _cards(at) -> dict[str, str]:
    return {k: v for k, (v, _) in metrics(at).items()}


def test_headline_ledger_policies_and_classes(page_env):
    at = _run()
    assert at.title[0].value == "结果应用"
    assert _cards(at) == {"已评价项目": "7", "连续两年中差": "3", "差但预算增加": "2", "未登记结果应用": "2",
                          "政策到期应评价": "2"}
    ledger = table(at, "关注标记", "项目名称", "历年等级")
    assert list(ledger["项目名称"]) == ["校舍维修", "疾病防控", "医疗设备购置", "学生资助", "课后服务", "健康教育", "卫生应急"]
    first = ledger.iloc[0]
    assert first["关注标记"] == "RA2 评价为差但下年预算增加；RA3 评价后未登记结果应用"
    assert first["预算（万元）"] == pytest.approx(120.0) and first["下年预算（万元）"] == pytest.approx(120.5)
    assert first["预算增减（万元）"] == pytest.approx(0.5)
    row = ledger.set_index("项目名称").loc["学生资助"]
    assert row["历年等级"] == "2022 中 → 2023 差 → 2024 —" and row["结果应用"] == "予以保障"
    assert "第 1–7 条，共 7 条" in texts(at)
    policies = table(at, "评价对象", "应评价年度", "评价状态")
    assert list(policies["评价对象"]) == ["教育资助政策", "义务教育补助政策", "医疗救助政策", "公卫补助政策", "新政策"]
    assert list(policies["评价状态"]) == ["已逾期", "本年应评价", "本年已评价", "未到期", "缺政策出台年度"]
    assert list(policies["应评价年度"])[:4] == [2022, 2023, 2026, 2024]
    assert "到期应评价 2 个（其中已逾期 1 个），本年评价但未填结果应用类别 1 个（RA5）" in texts(at)
    classes = table(at, "评价对象类型", "未填写").set_index("评价对象类型")
    assert classes.loc["项目支出", "未填写"] == 5 and classes.loc["项目支出", "系统调整"] == 1
    assert classes.loc["政策", "未填写"] == 1
    assert len(at.get("download_button")) == 3  # the ledger, the policies, the classes


def test_flag_filter(page_env):
    at = _run({"ra_flag": "RA1 连续两年中或差"})
    ledger = table(at, "关注标记", "项目名称")
    assert list(ledger["项目名称"]) == ["疾病防控", "学生资助", "健康教育"]
    assert "第 1–3 条，共 3 条" in texts(at)
    at = _run({"ra_flag": "有标记的项目"})
    assert len(table(at, "关注标记", "项目名称")) == 6


def test_department_filter(page_env):
    at = _run({"departments": ["区卫健委"]})
    assert _cards(at) == {"已评价项目": "3", "连续两年中差": "1", "差但预算增加": "1", "未登记结果应用": "0",
                          "政策到期应评价": "0"}
    assert set(table(at, "关注标记", "项目名称")["项目名称"]) == {"疾病防控", "医疗设备购置", "卫生应急"}


def test_a_department_limited_account(page_env, tmp_path, monkeypatch):
    url, _ = page_env
    f = tmp_path / "dashboard.toml"
    f.write_text(f'[auth]\nmode = "password"\nsecret = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    name = f"deputy-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, accounts.operator("tests"), name, "deputy", PW, ("区教育局",))
    token = accounts.login(url, load_settings().auth, name, PW).token
    # asking for the other department gives the account's own: 学生资助, 校舍维修, 课后服务, 健康教育 — and 健康教育's
    # 2022 project (区卫健委) is not its previous year, so RA1 is 学生资助 only
    at = _run({"departments": ["区卫健委"]}, token=token)
    assert _cards(at) == {"已评价项目": "4", "连续两年中差": "1", "差但预算增加": "1", "未登记结果应用": "2",
                          "政策到期应评价": "2"}
    ledger = table(at, "关注标记", "项目名称", "历年等级").set_index("项目名称")
    assert set(ledger.index) == {"学生资助", "校舍维修", "课后服务", "健康教育"}
    assert ledger.loc["健康教育", "历年等级"] == "2023 中"
    assert set(table(at, "评价对象", "评价状态")["评价对象"]) == {"教育资助政策", "义务教育补助政策"}


def test_no_evaluations_says_so(page_env):
    at = _run({"year": "2024"})
    # 2024 has projects (A1, B1) but no project evaluation; one policy (未来政策) evaluated that year
    cards = _cards(at)
    assert cards["已评价项目"] == "0" and cards["政策到期应评价"] == "3"
    assert "没有已评价的项目。" in texts(at)
