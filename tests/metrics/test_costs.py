"""成本绩效 (issue 25 item 4) on a hand-built database, on SQLite and PostgreSQL: cost indicators by kind and type,
the share of projects with one per department, and unit costs within peer groups by hand.

2024, peer group 培训 (人均培训成本, 元/人次, as declared): 甲 T1 100 · 乙 T2 120 · 丙 T3 140 · 甲 T4 400 ·
乙 T5 90 元/人 (another unit: not compared) → median of 100 120 140 400 = 130, band 65–195: T4 偏高 (3.08×).
Peer group 保洁: 甲 S1 12, 乙 S2 14 元/平方米 → fewer than 3: no band. 甲 N1 has a 项目总成本 only (no group),
丙 N2 has indicators but no 成本指标, 丙 N3 has none at all.
Cost indicators: 经济成本 单位成本 7 (T1–T5, S1, S2) · 经济成本 总成本 1 (N1) · 社会成本 分项成本 1 (T1).
Share with a 成本指标 of the projects with indicators: 甲 T1 T4 S1 N1 4/4 · 乙 T2 T5 S2 3/3 · 丙 T3 of T3 N2 1/2.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.models import Department, ImportBatch, Project
from dashboard.metrics import costs as C
from dashboard.metrics.query import clear_caches
from tests.metrics.test_target_quality import add_indicator, query
from tests.sessions import session_scope


def build(url: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        s.add(ImportBatch(created_at=dt.datetime(2025, 1, 1), user="t", source="import", files=[], counts={}))
        depts = {k: Department(code=k, name=n) for k, n in (("甲", "区教育局"), ("乙", "区卫健委"), ("丙", "区农业局"))}
        s.add_all(depts.values())
        s.flush()
        ids.update({k: d.id for k, d in depts.items()})
        for key, dept, group, name, target in (
                ("T1", "甲", "培训", "人均培训成本", "≤100元/人次"), ("T2", "乙", "培训", "人均培训成本", "≤120元/人次"),
                ("T3", "丙", "培训", "人均培训成本", "≤140元/人次"), ("T4", "甲", "培训", "人均培训成本", "≤400元/人次"),
                ("T5", "乙", "培训", "人均培训成本", "≤90元/人"), ("S1", "甲", "保洁", "每平方米保洁成本", "≤12元/平方米"),
                ("S2", "乙", "保洁", "每平方米保洁成本", "≤14元/平方米"), ("N1", "甲", None, "项目总成本", "≤50万元"),
                ("N2", "丙", None, None, None), ("N3", "丙", None, None, None)):
            p = Project(year=2024, code=key, name=f"项目{key}", department_id=depts[dept].id, adjusted_budget=50.0,
                        has_target=True, peer_group=group)
            s.add(p)
            s.flush()
            ids[key] = p.id
            if key != "N3":
                add_indicator(s, p, "申报", "产出指标", "数量指标", "完成数量", "≥10个")
            if name:
                add_indicator(s, p, "申报", "成本指标", "经济成本指标", name, target)
                # a later stage's cost indicator does not change the declared one compared
                add_indicator(s, p, "自评", "成本指标", "经济成本指标", name, target, "≤999元/人次")
            if key == "T1":
                add_indicator(s, p, "申报", "成本指标", "社会成本指标", "群众投工投劳折算", "≤2万元")
    return ids


@pytest.fixture
def fixture(db_url):
    ids = build(db_url)
    clear_caches()
    yield db_url, ids
    clear_caches()


def test_cost_mix_and_share(fixture):
    url, _ = fixture
    mix = C.cost_indicator_mix(query(url))
    assert mix[["cost_kind", "cost_type", "indicators", "projects"]].values.tolist() == [
        ["经济成本", "单位成本", 7, 7], ["经济成本", "总成本", 1, 1], ["社会成本", "分项成本", 1, 1]]
    share = C.cost_share_by_department(query(url)).set_index("department")
    assert share.loc["区教育局", ["indicator_projects", "cost_projects"]].tolist() == [4, 4]
    assert share.loc["区卫健委", ["indicator_projects", "cost_projects"]].tolist() == [3, 3]
    assert share.loc["区农业局", ["indicator_projects", "cost_projects"]].tolist() == [2, 1]
    assert share.loc["区农业局", "cost_share"] == 0.5


def test_unit_costs_by_peer_group(fixture):
    url, ids = fixture
    df = C.unit_costs(query(url)).set_index("project_id")
    assert df.loc[ids["T4"], ["unit_cost", "group_median", "band_low", "band_high", "position"]].tolist() == [
        400.0, 130.0, 65.0, 195.0, "偏高"]
    assert df.loc[ids["T4"], "ratio_to_median"] == pytest.approx(400 / 130)
    assert [df.loc[ids[k], "position"] for k in ("T1", "T2", "T3")] == ["正常"] * 3
    assert df.loc[ids["T5"], "position"] == C.NOT_COMPARED_UNIT
    assert df.loc[ids["S1"], "position"] == C.TOO_FEW
    assert ids["N1"] not in df.index  # a 总成本 is not a unit cost
    groups = C.peer_groups(query(url)).set_index("peer_group")
    assert groups.loc["培训", ["group_projects", "cost_unit", "group_median", "scope_projects", "above", "below"]
                      ].tolist() == [5, "元/人次", 130.0, 5, 1, 0]
    assert groups.loc["保洁", "group_median"] is None or groups.loc["保洁", "group_median"] != groups.loc[
        "保洁", "group_median"]
    outliers = C.unit_cost_outliers(query(url))
    assert outliers["project_id"].tolist() == [ids["T4"]] and C.unit_cost_outliers_count(query(url)) == 1


def test_band_does_not_move_with_the_department_filter(fixture):
    url, ids = fixture
    only = C.unit_costs(query(url, departments=(ids["甲"],)))
    assert sorted(only["project_id"]) == sorted([ids["T1"], ids["T4"], ids["S1"]])
    assert set(only.loc[only["peer_group"] == "培训", "group_median"]) == {130.0}
    groups = C.peer_groups(query(url, departments=(ids["丙"],)))
    assert groups["peer_group"].tolist() == ["培训"] and groups.iloc[0]["scope_projects"] == 1
