"""目标质量 flags (TQ1–TQ8) on a hand-built database, on SQLite and PostgreSQL: each rule by hand, at its threshold,
the summary key, the department scope and limit, and the metric equal to the Python rules applied row by row.

2024 (budgets 万元; 2023 rows only where a rule compares with last year):
  P1 甲 A1 100   申报: 产出 培训人次 ≥500人次 · 效益 受益人数 明显提升 (TQ1) · 满意度 满意度 待定 (TQ2) ·
                  成本 经济成本 人均培训成本 ≤400元/人次;  自评: 培训人次 1000人次 (2× exactly: TQ4), 受益人数, 满意度
                  — no 人均培训成本 at 自评 (TQ5)
  P2 甲 A2 121   申报: 产出 完成数量 ≥10个 · 满意度 满意度 ≥90%, both as in 2023 (TQ3); 2023 budget 100: 21% up with
                  every output flat (TQ6); no 成本指标 (TQ8); 自评: 完成数量 19.9个 (1.99×: not TQ4), 满意度 95%
  P3 乙 B1 120   申报: 完成数量 ≥10个 (as 2023) · 覆盖人数 ≥100人 (2023: ≥90人) · 成本 项目总成本 ≤120万元;
                  2023 budget 100: exactly 20% up (not TQ6); 自评: 7个, 100人次, 132万元
  P4 乙 B2 103   智慧校园建设项目  ┐ TQ7: different departments, same normalised name, 3% apart
  P5 丙 C1 100   智慧校园建设      ┘
  P6 丙 C2 89.99 智慧校园建设      — same department as P5; 13.01 from P4's 103 (more than 10%): not TQ7
Flags: TQ1 1, TQ2 1, TQ3 1, TQ4 1, TQ5 1, TQ6 1, TQ7 2, TQ8 1 = 9, projects flagged P1 P2 P4 P5 = 4.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dashboard.core import quality as Q
from dashboard.core.models import Department, ImportBatch, Indicator, Project, indicator_key
from dashboard.core.rules import indicator_columns
from dashboard.core.settings import Rules
from dashboard.metrics import target_flags as TF
from dashboard.metrics.query import Query, Scope, clear_caches, prepare, rows
from tests.sessions import session_scope

TODAY = dt.date(2025, 6, 30)


def add_indicator(s, project, stage, level1, level2, name, target, actual=None):
    s.add(Indicator(project_id=project.id, year=project.year, stage=stage, indicator_key=indicator_key(level1, level2, name),
                    level1=level1, level2=level2, name=name,
                    **{k: v for k, v in indicator_columns(target=target, actual=actual).items()
                       if not k.startswith(("current", "expected"))}))


def build(url: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        s.add(ImportBatch(created_at=dt.datetime(2025, 1, 1), user="t", source="import", files=[], counts={}))
        depts = {k: Department(code=k, name=n) for k, n in (("甲", "区教育局"), ("乙", "区卫健委"), ("丙", "区农业局"))}
        s.add_all(depts.values())
        s.flush()
        ids.update({k: d.id for k, d in depts.items()})

        def project(key, year, dept, code, name, budget, **kw):
            p = Project(year=year, code=code, name=name, department_id=depts[dept].id, initial_budget=budget,
                        adjusted_budget=budget, has_target=True, **kw)
            s.add(p)
            s.flush()
            ids[key] = p.id
            return p

        p1 = project("P1", 2024, "甲", "A1", "教师培训", 100.0)
        for l1, l2, name, target, actual in (("产出指标", "数量指标", "培训人次", "≥500人次", "1000人次"),
                                             ("效益指标", "社会效益指标", "受益人数", "明显提升", "明显提升"),
                                             ("满意度指标", "服务对象满意度指标", "满意度", "待定", "95%"),
                                             ("成本指标", "经济成本指标", "人均培训成本", "≤400元/人次", None)):
            add_indicator(s, p1, "申报", l1, l2, name, target)
            if actual is not None:
                add_indicator(s, p1, "自评", l1, l2, name, target, actual)
        p2_old = project("P2_2023", 2023, "甲", "A2", "校舍维修", 100.0)
        p2 = project("P2", 2024, "甲", "A2", "校舍维修", 121.0)
        for p in (p2_old, p2):
            add_indicator(s, p, "申报", "产出指标", "数量指标", "完成数量", "≥10个")
            add_indicator(s, p, "申报", "满意度指标", "服务对象满意度指标", "满意度", "≥90%")
        add_indicator(s, p2, "自评", "产出指标", "数量指标", "完成数量", "≥10个", "19.9个")
        add_indicator(s, p2, "自评", "满意度指标", "服务对象满意度指标", "满意度", "≥90%", "95%")
        p3_old = project("P3_2023", 2023, "乙", "B1", "疫苗接种", 100.0)
        p3 = project("P3", 2024, "乙", "B1", "疫苗接种", 120.0)
        add_indicator(s, p3_old, "申报", "产出指标", "数量指标", "完成数量", "≥10个")
        add_indicator(s, p3_old, "申报", "产出指标", "数量指标", "覆盖人数", "≥90人")
        for stage, actuals in (("申报", (None, None, None)), ("自评", ("7个", "100人次", "132万元"))):
            add_indicator(s, p3, stage, "产出指标", "数量指标", "完成数量", "≥10个", actuals[0])
            add_indicator(s, p3, stage, "产出指标", "数量指标", "覆盖人数", "≥100人", actuals[1])
            add_indicator(s, p3, stage, "成本指标", "经济成本指标", "项目总成本", "≤120万元", actuals[2])
        project("P4", 2024, "乙", "B2", "智慧校园建设项目", 103.0)
        project("P5", 2024, "丙", "C1", "智慧校园建设", 100.0)
        project("P6", 2024, "丙", "C2", "智慧校园建设", 89.99)
    return ids


@pytest.fixture
def fixture(db_url):
    ids = build(db_url)
    clear_caches()
    yield db_url, ids
    clear_caches()


DEFAULT = Rules()


def query(url: str, rules: Rules = DEFAULT, **scope) -> Query:
    return Query(url, prepare(url), Scope(year=2024, **scope), rules, TODAY)


def flagged(q: Query) -> dict[str, list]:
    """rule → sorted (project id, indicator name or None)."""
    out: dict[str, list] = {r: [] for r in Q.RULE_IDS}
    for rule, pid, indicator, _target, _reason in TF.flag_rows(q):
        out[rule].append((pid, indicator))
    return {r: sorted(v, key=lambda t: (t[0], t[1] or "")) for r, v in out.items()}


def test_each_rule_by_hand(fixture):
    url, ids = fixture
    got = flagged(query(url))
    assert got == {
        "TQ1": [(ids["P1"], "受益人数")],
        "TQ2": [(ids["P1"], "满意度")],
        "TQ3": [(ids["P2"], None)],
        "TQ4": [(ids["P1"], "培训人次")],
        "TQ5": [(ids["P1"], "人均培训成本")],
        "TQ6": [(ids["P2"], None)],
        "TQ7": sorted([(ids["P4"], None), (ids["P5"], None)]),
        "TQ8": [(ids["P2"], None)],
    }


def test_summary_key(fixture):
    url, _ = fixture
    assert TF.target_quality_summary(query(url)) == {
        "flags": 9, "projects_flagged": 4,
        "by_rule": {"TQ1": 1, "TQ2": 1, "TQ3": 1, "TQ4": 1, "TQ5": 1, "TQ6": 1, "TQ7": 2, "TQ8": 1}}


def test_reasons_are_shown(fixture):
    url, ids = fixture
    df = TF.quality_flags(query(url))
    reason = dict(zip(zip(df["rule"], df["project_id"]), df["reason"]))
    assert reason[("TQ1", ids["P1"])] == "指标值含模糊用语“明显”"
    assert reason[("TQ2", ids["P1"])] == "指标值为“待定”，没有设定可衡量的目标"
    assert reason[("TQ3", ids["P2"])] == "2 个指标的名称和指标值与 2023 年同一项目编码的申报完全相同（共 2 个指标）"
    assert reason[("TQ4", ids["P1"])] == "实际完成“1000人次”，是指标值的 2.00 倍（≥ 2 倍），目标可能定得过低"
    assert reason[("TQ6", ids["P2"])] == ("预算 121.00 万元，比上年 100.00 万元增长 21.0%（超过 20%），"
                                         "而 1 个产出指标的指标值与上年相同")
    assert reason[("TQ7", ids["P4"])] == "与区农业局的“智慧校园建设”名称相似度 100%，预算 100.00 万元，疑似重复申报"
    assert reason[("TQ8", ids["P2"])] == "预算 121.00 万元，没有成本指标"
    assert df["rule"].tolist() == ["TQ1", "TQ2", "TQ3", "TQ4", "TQ5", "TQ6", "TQ7", "TQ7", "TQ8"]
    assert TF.quality_flags_count(query(url), rule="TQ7") == 2
    page = TF.quality_flags(query(url), limit=3, offset=6)
    assert page["rule"].tolist() == ["TQ7", "TQ7", "TQ8"]


def test_thresholds_move_the_flags(fixture):
    url, ids = fixture
    # 1.99× is flagged once the factor is 1.99; 21% up is not more than 21%; 121 万元 is at least 121
    got = flagged(query(url, Rules(overshoot_factor=1.99, budget_up_share=0.21, cost_indicator_min_wan=121.0)))
    assert got["TQ4"] == sorted([(ids["P1"], "培训人次"), (ids["P2"], "完成数量")])
    assert got["TQ6"] == []
    assert got["TQ8"] == [(ids["P2"], None)]
    assert flagged(query(url, Rules(cost_indicator_min_wan=121.01)))["TQ8"] == []
    # 100 vs 103 is 2.9% of the larger: within 3%, not within 2%
    assert len(flagged(query(url, Rules(duplicate_amount_share=0.03)))["TQ7"]) == 2
    assert flagged(query(url, Rules(duplicate_amount_share=0.02)))["TQ7"] == []
    # P6 (89.99) and P4 (103): 13.01 apart, 12.63% of 103 — flagged from 12.64% on
    assert len(flagged(query(url, Rules(duplicate_amount_share=0.1264)))["TQ7"]) == 4


def test_department_scope_and_limit(fixture):
    url, ids = fixture
    q = query(url, departments=(ids["乙"],))
    assert TF.target_quality_summary(q)["by_rule"] == {**{r: 0 for r in Q.RULE_IDS}, "TQ7": 1}
    by_dept = TF.quality_by_department(query(url)).set_index("department")
    assert by_dept.loc["区教育局", ["projects", "projects_flagged", "flags", "TQ1", "TQ8"]].tolist() == [2, 2, 7, 1, 1]
    assert by_dept.loc["区卫健委", "flagged_share"] == pytest.approx(1 / 2)
    assert by_dept.loc["区农业局", ["projects", "projects_flagged", "TQ7"]].tolist() == [2, 1, 1]
    # an account limited to 乙 sees its flag, not the other department's project name
    limited = TF.quality_flags(query(url, limit=(ids["乙"],)))
    assert limited["reason"].tolist() == ["与另一部门的项目名称相似度 100%，预算 100.00 万元，疑似重复申报"]
    projects = TF.quality_projects(query(url))
    assert projects.iloc[0][["project", "flags"]].tolist() == ["教师培训", 4]
    assert TF.quality_projects_count(query(url)) == 4


def _python_flags(url: str, rules: Rules) -> dict[str, list]:
    """The same flags from the pure rules, project by project, reading the rows as they are."""
    projects = rows(url, select(Project.id, Project.year, Project.code, Project.name, Project.department_id,
                                Project.adjusted_budget))
    inds = rows(url, select(Indicator.project_id, Indicator.stage, Indicator.level1, Indicator.name,
                            Indicator.comparator, Indicator.target_text, Indicator.target_value,
                            Indicator.target_unit, Indicator.actual_value, Indicator.actual_unit))
    by_p: dict[int, list] = {}
    for r in inds:
        by_p.setdefault(r[0], []).append(r)
    order = ["申报", "监控", "自评", "评价"]

    def first(pid):
        mine = by_p.get(pid, [])
        if not mine:
            return []
        stage = min((r[1] for r in mine), key=order.index)
        return [r for r in mine if r[1] == stage]

    code_year = {(p[2], p[1]): p for p in projects}
    out: dict[str, list] = {r: [] for r in Q.RULE_IDS}
    now = [p for p in projects if p[1] == 2024]
    for pid, year, code, _name, _dept, budget in now:
        mine = by_p.get(pid, [])
        for r in first(pid):
            if Q.vague_reason(r[5]):
                out["TQ1"].append((pid, r[3]))
            if Q.is_placeholder(r[5]):
                out["TQ2"].append((pid, r[3]))
        prev = code_year.get((code, year - 1))
        if prev is not None:
            cur, old = first(pid), first(prev[0])
            if Q.copied_targets([(r[3], r[5]) for r in cur], [(r[3], r[5]) for r in old]):
                out["TQ3"].append((pid, None))
            outputs = [(r[3], r[6], r[7]) for r in cur if Q.family(r[2]) == "产出指标"]
            if Q.budget_up_outputs_flat(budget, prev[5], outputs,
                                        [(r[3], r[6], r[7]) for r in old if Q.family(r[2]) == "产出指标"], rules):
                out["TQ6"].append((pid, None))
        best = max((r[1] for r in mine), key=order.index, default=None)
        for r in mine:
            if r[1] == best and best in ("自评", "评价") and Q.overshoot(r[4], r[6], r[7], r[8], r[9], rules):
                out["TQ4"].append((pid, r[3]))
        declared = [r[3] for r in mine if r[1] == "申报"]
        for name in Q.missing_at_self(declared, [r[3] for r in mine if r[1] == "自评"]):
            out["TQ5"].append((pid, name))
        if mine and Q.needs_cost_indicator(budget, any(Q.is_cost_indicator(r[2]) for r in mine), rules):
            out["TQ8"].append((pid, None))
    for a, b, _s in Q.duplicate_pairs([(p[0], p[3], p[5], p[4]) for p in now], rules):
        out["TQ7"] += [(a, None), (b, None)]
    return {r: sorted(v, key=lambda t: (t[0], t[1] or "")) for r, v in out.items()}


@pytest.mark.parametrize("rules", [Rules(), Rules(overshoot_factor=1.99, budget_up_share=0.21),
                                   Rules(cost_indicator_min_wan=120.0, duplicate_amount_share=0.2),
                                   Rules(budget_up_share=0.0, duplicate_similarity=0.5)],
                         ids=["default", "factor199", "min120", "loose"])
def test_metric_equals_the_python_rules(fixture, rules):
    url, _ = fixture
    assert flagged(query(url, rules)) == _python_flags(url, rules)
