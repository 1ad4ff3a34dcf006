"""The demo's result application (结果应用台账, issue 25): result classes, policy years and earlier policy evaluations,
and a few percent of the cases the ledger flags, written into the evaluation columns `generate` built.

Called once by dashboard.demo.data.generate after the last year, with a random generator of its own, so the other
tables do not change with it. What it adds (docs/rules.md 结果应用台账):
* RA1 — in the last year, about half of the projects whose previous year was graded 中 or 差 are graded 中 again
  (their counted evaluation re-scored into the 中 band, its wording and budget cut following);
* RA2 — where a 财政重点评价 raised next year's budget and a 抽查复核 of the same project exists, a few of those
  rechecks find 差 (the counted grade), so the project is 差 with its budget up;
* RA3 — about 2.5% of the projects evaluated only by their 单位自评 record no 结果应用 and no 下年预算调整;
* result classes on every 财政重点评价 and half the 部门评价 (by grade and whether the project continues), none on
  the last year's first policy evaluation (RA5);
* 政策出台年度 on every policy, and earlier 财政重点评价 of policies (before the demo's first year), so some policies
  are due (RA4) or overdue in the last year.
"""

from __future__ import annotations

import numpy as np

from dashboard.core import applications as A
from dashboard.core import rules as R
from dashboard.core.models import evaluation_object_key
from dashboard.core.settings import Rules
from dashboard.core.vocab import EVALUATION_KINDS, RESULT_CLASSES
from dashboard.demo.org import Org, Scale
from dashboard.demo.words import FIRMS, POLICIES, POLICY_SECTOR

SELF, DEPT_EVAL, KEY_EVAL, RECHECK = EVALUATION_KINDS
EXIT, REDESIGN, ADJUST, CONTINUE = RESULT_CLASSES  # 整体退出, 系统调整, 局部优化, 继续实施
RA1_SHARE = 0.5    # of the last year's projects graded 中/差 the year before, graded 中 again
RA2_SHARE = 0.5    # of the projects with a budget-raising 重点评价 and a 抽查复核, the recheck finds 差
RA3_SHARE = 0.025  # of the projects evaluated by their 单位自评 only, no application recorded
_POLICY_DEPARTMENT = {"农业农村": "农业农村局", "民政": "民政局", "人社": "人力资源和社会保障局", "教育": "教育局",
                      "科技": "科学技术局", "工信": "经济和信息化局"}
# earlier evaluations of policies (index in POLICIES, years evaluated) and 政策出台年度 of some (index, year), both
# relative to the demo's last year L. With policy_age_years 5 and policy_interval_years 3, in L: 就业创业扶持 (last
# evaluated L − 5) is overdue since L − 2; 高龄津贴 (L − 3) and 农机购置补贴 (L − 4, but only older than 5 years from
# L on) are due; 耕地地力保护 (L − 6, again in the demo's first year) and 城乡低保 (4 years old) are not yet due.
_HISTORY = ((2, (-5,)), (5, (-3,)), (8, (-4,)), (0, (-6,)))
_SINCE = ((2, -12), (5, -9), (8, -6), (0, -15), (1, -4))


def add_result_applications(rng: np.random.Generator, org: Org, scale: Scale, proj: dict, ev: dict,
                            rules: Rules) -> None:
    """Write result classes, 政策出台年度, earlier policy evaluations and the flagged cases into `ev` (column lists,
    no ids yet), as the module says. `proj` is read only."""
    n = len(ev["year"])
    ev["result_class"] = [None] * n
    ev["policy_since"] = [None] * n
    years = sorted(set(proj["year"]))
    budget = dict(zip(proj["id"], proj["adjusted_budget"]))
    code_of = dict(zip(proj["id"], proj["code"]))
    pid_of = {(y, c): p for p, y, c in zip(proj["id"], proj["year"], proj["code"])}
    by_project: dict[int, list[int]] = {}
    for i, pid in enumerate(ev["project_id"]):
        if pid is not None:
            by_project.setdefault(pid, []).append(i)

    def counted(pid) -> int:
        rows = [{"id": i, "kind": ev["kind"][i]} for i in by_project[pid]]
        return A.counted(rows)["id"]

    def regrade(i: int, score: float) -> None:
        ev["score"][i] = round(float(score), 1)
        ev["grade"][i] = R.grade_for_score(ev["score"][i], rules)

    last = years[-1]
    # RA1: graded 中 again the year after a 中 or 差 (only where no later budget depends on the changed figure)
    for year in years[1:]:
        candidates = []
        for pid in sorted(p for p in by_project if ev["year"][by_project[p][0]] == year):
            before = pid_of.get((year - 1, code_of[pid]))
            if before is None or before not in by_project:
                continue
            c = counted(pid)
            if ev["grade"][counted(before)] in A.POOR_GRADES and ev["grade"][c] not in A.POOR_GRADES and (
                    year == last or ev["next_year_budget_change"][c] is None):
                candidates.append(pid)
        for pid in np.array(candidates)[rng.random(len(candidates)) < RA1_SHARE].tolist():
            c = counted(pid)
            regrade(c, rng.uniform(rules.grade_pass + 1, rules.grade_good - 1))
            if ev["next_year_budget_change"][c] is not None:
                ev["next_year_budget_change"][c] = -round(budget[pid] * rng.uniform(0.1, 0.3), 4)
            ev["result_application"][c] = _wording(ev["grade"][c], ev["next_year_budget_change"][c], budget[pid])
    # RA2: a 抽查复核 finds 差 where the 重点评价 (which states next year's money) raised the budget
    raised = [pid for pid in sorted(by_project)
              if any(ev["kind"][i] == KEY_EVAL and (ev["next_year_budget_change"][i] or 0) > 0 for i in by_project[pid])
              and any(ev["kind"][i] == RECHECK for i in by_project[pid])]
    for pid in np.array(raised)[rng.random(len(raised)) < RA2_SHARE].tolist():
        r = next(i for i in by_project[pid] if ev["kind"][i] == RECHECK)
        regrade(r, rng.uniform(max(40.0, rules.grade_pass - 15), rules.grade_pass - 1))
        ev["result_application"][r] = "抽查复核结果为差，建议核减下年度预算并限期整改"
    # RA3: no application recorded on a project evaluated by its 单位自评 only
    self_only = [pid for pid in sorted(by_project) if [ev["kind"][i] for i in by_project[pid]] == [SELF]]
    for pid in np.array(self_only)[rng.random(len(self_only)) < RA3_SHARE].tolist():
        i = by_project[pid][0]
        ev["result_application"][i] = None
        ev["next_year_budget_change"][i] = None
    # result classes: every 重点评价, half the 部门评价
    for i in range(n):
        if ev["kind"][i] == KEY_EVAL or (ev["kind"][i] == DEPT_EVAL and rng.random() < 0.5):
            ev["result_class"][i] = _result_class(rng, ev["grade"][i], ev["next_year_budget_change"][i],
                                                  budget.get(ev["project_id"][i]))
    # the last year shows every class (its 中/差 evaluations first), whatever the year's grades happened to be
    # (on 重点评价 rows: a project's most independent classed evaluation, the one result_classes counts)
    classed = [i for i in range(n) if ev["year"][i] == last and ev["result_class"][i] is not None
               and ev["object_type"][i] != A.POLICY and ev["kind"][i] == KEY_EVAL]
    low = [i for i in classed if ev["grade"][i] in ("中", "差")]
    for cls in (EXIT, REDESIGN, ADJUST):
        if classed and cls not in {ev["result_class"][i] for i in classed}:
            # a 继续实施 row (a low grade first), so no class that is there goes missing
            pool = ([i for i in low if ev["result_class"][i] == CONTINUE]
                    or [i for i in classed if ev["result_class"][i] == CONTINUE])
            if pool:
                ev["result_class"][pool[int(rng.integers(len(pool)))]] = cls
    # policies: 出台年度 per policy, earlier evaluations, and one policy of the last year without a class (RA5)
    region = scale.regions[0][0]
    since = {f"{region}{POLICIES[pol]}": last + back for pol, back in _SINCE}
    policy_rows = [i for i in range(n) if ev["object_type"][i] == A.POLICY]
    for i in policy_rows:
        name = ev["object_name"][i]
        since.setdefault(name, int(rng.integers(last - 16, last - 2)))
        ev["policy_since"][i] = since[name]
    first_last = next((i for i in policy_rows if ev["year"][i] == last), None)
    if first_last is not None:
        ev["result_class"][first_last] = None
    for pol, back_years in _HISTORY:
        dept_name = region + _POLICY_DEPARTMENT[POLICY_SECTOR[pol]]
        if dept_name not in org.dept_name:
            continue
        d = org.dept_name.index(dept_name) + 1
        name = f"{region}{POLICIES[pol]}"
        for back in back_years:
            score = round(float(np.clip(rng.normal(84, 6), 62, 97)), 1)
            grade = R.grade_for_score(score, rules)
            values = {"year": last + back, "kind": KEY_EVAL, "object_type": A.POLICY,
                      "object_key": evaluation_object_key(None, d, name), "object_name": name, "project_id": None,
                      "department_id": d, "unit_id": None,
                      "fund_amount": round(float(np.exp(rng.normal(np.log(3000), 0.5))), 4), "executed": None,
                      "score": score, "grade": grade, "evaluator": FIRMS[int(rng.integers(0, len(FIRMS)))],
                      "deputies_participated": bool(rng.random() < 0.4), "main_problems": "政策目标不够清晰；资金分配因素不够细化",
                      "result_application": _wording(grade, None, None),
                      "result_class": _result_class(rng, grade, None, None), "policy_since": since[name]}
            for k, column in ev.items():
                column.append(values.get(k))


def _wording(grade: str, change: float | None, budget: float | None) -> str:
    """结果应用 wording per grade, as dashboard.demo.data words it (优 优先保障, 良 保障, 中 压减, 差 取消/暂停)."""
    if grade == "优":
        return "评价结果为优，下年度预算优先保障"
    if grade == "良":
        return "评价结果为良，下年度预算予以保障"
    if grade == "中":
        if change is not None and budget:
            return f"评价结果为中，下年度预算压减{abs(change) / budget:.0%}"
        return "评价结果为中，下年度预算予以压减"
    return "评价结果为差，暂停安排预算，整改到位后再行申请"


def _result_class(rng: np.random.Generator, grade: str | None, change: float | None, budget: float | None) -> str:
    """What an evaluation led to, by its grade: 优 继续实施; 良 mostly 继续实施; 中 局部优化 or 系统调整; 差 整体退出 when
    next year's money was cancelled, else 系统调整."""
    if grade == "优":
        return CONTINUE
    if grade == "良":
        return CONTINUE if rng.random() < 0.8 else ADJUST
    if grade == "中":
        return ADJUST if rng.random() < 0.6 else REDESIGN
    cancelled = change is not None and budget is not None and abs(change + budget) < 1e-6
    return EXIT if cancelled else REDESIGN
