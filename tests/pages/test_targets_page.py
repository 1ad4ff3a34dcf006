"""目标质量 page (issue 25 items 3–5) and the 成本指标 section of 资金覆盖, in AppTest, on the hand-built database of
tests/metrics/test_target_quality.py (figures worked out there and in tests/metrics/test_distance.py): 6 projects in
2024, 9 flags on 4 of them; 8 indicators at their latest stage, 5 in the distance chart."""

from __future__ import annotations

import pytest
import streamlit as st

from dashboard import registry
from dashboard.core import db
from tests.metrics.test_target_quality import build
from tests.pages.apptest import ROOT, figure, make_app, metrics, table, texts, values

PAGE = registry.Page("targets", "targets.py", "目标质量", "targets", ":material/fact_check:", "专题")


@pytest.fixture(scope="module")
def quality_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('targets') / 'targets.db'}"
    db.init_db(url)
    ids = build(url)
    return url, ids


@pytest.fixture
def app(quality_db, monkeypatch):
    url, _ = quality_db
    if "targets" not in registry.BY_KEY:  # until dashboard/registry.py lists the page
        pages = list(registry.PAGES)
        pages.insert([p.key for p in pages].index("rectification") + 1, PAGE)
        monkeypatch.setattr(registry, "PAGES", tuple(pages))
        monkeypatch.setitem(registry.BY_KEY, "targets", PAGE)
        monkeypatch.setitem(registry.BY_URL, PAGE.route, PAGE)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-06-30")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield make_app
    st.cache_data.clear()


def test_targets_page_figures(app, quality_db):
    at = app("targets")
    m = metrics(at)
    assert (m["标记"][0], m["被标记项目"][0], m["被标记项目占比"][0], m["缺成本指标"][0]) == ("9", "4", "66.7%", "1")
    by_rule = table(at, "规则", "问题", "规则说明")
    assert by_rule["标记数"].tolist() == [1, 1, 1, 1, 1, 1, 2, 1]
    assert by_rule["规则"].tolist() == [f"TQ{i}" for i in range(1, 9)]
    assert "2 倍及以上" in by_rule.loc[3, "规则说明"]
    rules_chart = figure(at, "targets_rules")
    assert values(rules_chart["data"][0]["x"]) == [1, 1, 1, 1, 1, 1, 2, 1]
    by_dept = table(at, "主管部门", "被标记项目占比（%）")
    assert by_dept.set_index("主管部门").loc["区教育局", ["项目数", "被标记项目数", "标记数"]].tolist() == [2, 2, 7]
    flags = table(at, "规则", "原因", "三级指标")
    assert len(flags) == 9 and "第 1–9 条，共 9 条" in texts(at)
    assert flags.loc[flags["规则"] == "TQ1", "原因"].tolist() == ["指标值含模糊用语“明显”"]
    projects = table(at, "标记数", "涉及规则")
    assert projects.iloc[0][["项目名称", "标记数", "涉及规则"]].tolist() == ["教师培训", 4, "TQ1、TQ2、TQ4、TQ5"]


def test_targets_page_distance_and_costs(app):
    at = app("targets")
    assert "共 8 个指标，图中 5 个。" in texts(at)
    assert "指标值不是数字 2 个" in texts(at) and "实际值与指标值单位不同 1 个" in texts(at)
    chart = figure(at, "targets_distance")
    counts = dict(zip(values(chart["data"][0]["x"]), values(chart["data"][0]["y"])))
    assert {x: n for x, n in counts.items() if n} == {95: 2, 5: 1, -25: 1, -5: 1}  # bin centres, percent
    dist = table(at, "图中指标数", "未达目标")
    assert dist.set_index("主管部门").loc["区卫健委", ["指标数", "图中指标数", "未达目标", "未达目标占比（%）"]
                                         ].tolist() == [3, 2, 2, 100.0]
    mix = table(at, "成本类别", "成本类型")
    assert mix[["成本类别", "成本类型", "指标数"]].values.tolist() == [["经济成本", "单位成本", 1], ["经济成本", "总成本", 1]]
    assert "范围内没有填了「同类项目分组」且有单位成本指标的项目。" in texts(at)


def test_targets_page_rule_filter_and_family(app):
    at = app("targets")
    at.segmented_control(key="targets_rule").set_value("TQ7").run()
    flags = table(at, "规则", "原因", "三级指标")
    assert flags["规则"].tolist() == ["TQ7", "TQ7"] and "第 1–2 条，共 2 条" in texts(at)
    assert "TQ7：同一年度、不同主管部门" in texts(at)
    at.segmented_control(key="targets_family").set_value("产出指标").run()
    assert "共 4 个指标，图中 3 个。" in texts(at)


def test_targets_page_department_filter(app, quality_db):
    _, ids = quality_db
    at = app("targets", state={"departments": [ids["乙"]]})
    m = metrics(at)
    assert (m["标记"][0], m["被标记项目"][0], m["被标记项目占比"][0]) == ("1", "1", "50.0%")
    assert "共 3 个指标，图中 2 个。" in texts(at)


def test_coverage_page_cost_share(app):
    at = app("coverage")
    cost = table(at, "有指标的项目数", "有成本指标的项目数")
    # projects with indicators: 甲 P1 (cost) P2 (none); 乙 P3 (cost)
    assert cost.set_index("主管部门")[["有指标的项目数", "有成本指标的项目数", "成本指标覆盖率（%）"]].values.tolist() == [
        [1, 1, 100.0], [2, 1, 50.0]]
    assert "有绩效指标的 3 个项目中，2 个有成本指标（66.7%）。" in texts(at)
