"""Generation of the demo's rows, year by year: projects, their monitoring, evaluations and findings, as column arrays.

What happens in one year shows in the next: a project graded 中 has its budget cut the following
year, one graded 差 disappears, and recurring projects keep their code. Everything is drawn from one
`numpy.random.default_rng(seed)` in a fixed order, so the same seed gives identical table contents
(do not reorder the draws). Grades and lights are judged by the vectorised twins of dashboard.core.rules
with the `Rules` given, so stored grades agree with the configured bands. Rows carry explicit ids
(children reference parents without round trips); nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import insert, select, update

from dashboard.core import rules as R
from dashboard.core.models import (
    CollectionRound,
    Department,
    Evaluation,
    Finding,
    FindingExtension,
    ImportBatch,
    Indicator,
    Inquiry,
    MonitoringRecord,
    Project,
    SatisfactionVote,
    Unit,
    evaluation_object_key,
    finding_key,
)
from dashboard.core.settings import Rules
from dashboard.core.vocab import (
    BATCH_COMMITTED,
    EVALUATION_KINDS,
    FINDING_SOURCES,
    FINDING_STATUSES,
    GRADES,
    GREEN,
    LIKELIHOODS,
    RED,
    SOURCE_DEMO,
    YELLOW,
)
from dashboard.core.writes import ROUND_MONITORING, round_key
from dashboard.demo.applications import add_result_applications
from dashboard.demo.indicators import INDICATOR_COLUMNS, indicators_of_year
from dashboard.demo.inquiries import generate_inquiries
from dashboard.demo.org import MINISTRY, SCALES, Org, Scale, build_org
from dashboard.demo.projects import (
    POLICY,
    PROJECT,
    PROJECT_COLUMNS,
    WHOLE,
    ProjectLines,
    Year,
    projects_of_year,
)
from dashboard.demo.words import (
    DEPT_FINDINGS,
    DEVIATION_REASONS,
    EXCLUSION_REASONS,
    EXTENSION_APPROVERS,
    EXTENSION_REASONS,
    FINDINGS_AUDIT,
    FINDINGS_CONGRESS,
    FINDINGS_EVALUATION,
    FINDINGS_MONITORING,
    FINDINGS_RECHECK,
    FIRMS,
    MONITOR_REQUIREMENTS,
    POLICIES,
    POLICY_SECTOR,
    SELF_PROBLEMS,
    VERIFICATION_METHODS,
    VERIFIERS,
    finding_category,
)

YEARS = (2022, 2023, 2024)
# Findings are aged against this day: the demo's "today" (mid-2025, after the 2024 evaluations).
DEMO_TODAY = dt.date(2025, 6, 30)

EXCELLENT, GOOD, FAIR, POOR = GRADES
SELF, DEPT_EVAL, KEY_EVAL, RECHECK = EVALUATION_KINDS  # index = the kind's code in `decisive_kind`
UNRECTIFIED, RECTIFYING, RECTIFIED = FINDING_STATUSES
SURE, MAYBE, IMPOSSIBLE = LIKELIHOODS
BY_MONITORING, _, _, BY_KEY_EVAL, BY_RECHECK, BY_AUDIT, BY_CONGRESS, _ = FINDING_SOURCES
# where the demo's findings come from, with their pools of (description, requirement, measure)
_FINDING_SOURCES = ((BY_MONITORING, FINDINGS_MONITORING), (BY_KEY_EVAL, FINDINGS_EVALUATION),
                    (BY_RECHECK, FINDINGS_RECHECK), (BY_AUDIT, FINDINGS_AUDIT), (BY_CONGRESS, FINDINGS_CONGRESS))

MONITORING_COLUMNS = ("project_id", "as_of", "adjusted_budget", "executed", "target_progress", "deviation_reason",
                      "likelihood", "needs_rectification", "rectification_requirement", "is_latest")
EVALUATION_COLUMNS = ("year", "kind", "object_type", "object_key", "object_name", "project_id", "department_id",
                      "unit_id", "fund_amount", "score", "grade", "evaluator", "deputies_participated", "main_problems",
                      "result_application", "next_year_budget_change")
FINDING_COLUMNS = ("year", "source", "department_id", "unit_id", "project_id", "description", "requirement",
                   "deadline", "status", "completed_on", "measures", "amount", "category", "original_deadline",
                   "verified_on", "verified_by", "verification_method", "exclusion", "exclusion_reason")
EXTENSION_COLUMNS = ("id", "finding_id", "old_deadline", "new_deadline", "reason", "approved_by", "recorded_at",
                     "recorded_by")
VOTE_COLUMNS = ("id", "year", "department_id", "unit_id", "subject_key", "subject", "satisfied", "basically",
                "unsatisfied")


@dataclass
class DemoData:
    tables: list[tuple[object, dict]]  # (ORM class, {column: list}) in insert order (parents first)
    counts: dict[str, int]
    # statements to run, in order, after the tables are in (and their constraints back): the 报送情况 round
    after_load: list = field(default_factory=list)


@dataclass
class _Scores:
    """One year's evaluation scores and which projects each kind of evaluation covers."""

    self_score: np.ndarray
    has_self: np.ndarray
    key_sel: np.ndarray
    dept_sel: np.ndarray
    recheck_sel: np.ndarray
    key_score: np.ndarray
    dept_score: np.ndarray
    recheck_score: np.ndarray
    change: np.ndarray | None = None  # next year's budget change stated by the decisive evaluation
    decisive_kind: np.ndarray | None = None  # index into EVALUATION_KINDS of the evaluation that decides


def generate(scale_name: str = "county", seed: int = 1, rules: Rules = R.DEFAULT_RULES) -> DemoData:
    """All rows of the demo for `scale_name`, as column lists; nothing touches a database here."""
    scale = SCALES[scale_name]
    rng = np.random.default_rng(seed)
    org = build_org(scale)
    factor = scale.projects / 1200  # everything per year scales with the project count
    lines = ProjectLines(org, scale, rng)
    proj = {k: [] for k in PROJECT_COLUMNS}
    mon = {k: [] for k in MONITORING_COLUMNS}
    ev = {k: [] for k in EVALUATION_COLUMNS}
    fd = {k: [] for k in FINDING_COLUMNS}
    ind = {k: [] for k in INDICATOR_COLUMNS}
    ind_rng = np.random.default_rng([seed, 12])  # its own draws: the other tables do not change with it
    carry_lines, carry_budget = np.array([], dtype=int), np.array([], dtype=float)
    next_pid = 1
    for y_i, year in enumerate(YEARS):
        yr = projects_of_year(rng, scale, lines, carry_lines, carry_budget, y_i, year, next_pid, proj)
        next_pid += yr.n
        first_record = len(mon["project_id"])
        light_aug = _monitoring(rng, scale, yr, mon, rules)
        scores = _scores(rng, yr, factor)
        latest: dict = {}
        for pid, as_of in zip(mon["project_id"][first_record:], mon["as_of"][first_record:]):
            latest[pid] = max(as_of, latest.get(pid, as_of))
        indicators_of_year(ind_rng, yr, scores.has_self, latest, ind)
        carry_lines, carry_budget = _next_year(rng, yr, scores, lines, rules)
        _project_evaluations(rng, org, yr, scores, ev, rules)
        objects = _object_evaluations(rng, org, scale, yr, factor, ev, rules)
        _findings(rng, yr, scores, light_aug, objects, factor, fd, rules)
    # 结果应用台账 (issue 25): result classes, policy years, earlier policy evaluations, the flagged cases; own draws
    add_result_applications(np.random.default_rng([seed, 26]), org, scale, proj, ev, rules)
    data = _finish(org, proj, mon, ev, fd, ind, np.random.default_rng([seed, 25]), rules)
    data.after_load = round_writes(np.random.default_rng([seed, 27]), proj, mon)
    return data


# 报送情况 (issue 26): the latest monitoring checkpoint of the last year is a round, due ROUND_DUE_DAYS after its
# cut-off. Its records come from two back-dated uploads (batches after the demo's own batch 1): most units on time,
# LATE_SHARE of them after the due date; the few units without a record at that checkpoint have not reported.
ROUND_DUE_DAYS = 10
LATE_SHARE = 0.05
ON_TIME_BATCH, LATE_BATCH = 2, 3


def round_writes(rng: np.random.Generator, proj: dict, mon: dict) -> list:
    """The statements that open the demo's monitoring round and date its uploads: the two back-dated batches, the
    latest checkpoint's monitoring records moved to them (the late units' to the later one), the round. Own draws."""
    year = max(proj["year"])
    of_year = {pid for pid, y in zip(proj["id"], proj["year"]) if y == year}
    as_of = max(a for pid, a in zip(mon["project_id"], mon["as_of"]) if pid in of_year)
    unit_of = dict(zip(proj["id"], proj["unit_id"]))
    reporting = sorted({unit_of[pid] for pid, a in zip(mon["project_id"], mon["as_of"])
                        if a == as_of and pid in of_year and unit_of[pid] is not None})
    late = sorted(int(u) for u in rng.choice(reporting, size=max(2, round(len(reporting) * LATE_SHARE)), replace=False))
    late_set = set(late)
    n_late = sum(1 for pid, a in zip(mon["project_id"], mon["as_of"])
                 if a == as_of and pid in of_year and unit_of[pid] in late_set)
    n_all = sum(1 for pid, a in zip(mon["project_id"], mon["as_of"]) if a == as_of and pid in of_year)
    due_on = as_of + dt.timedelta(days=ROUND_DUE_DAYS)
    period = f"{year}年1—{as_of.month}月绩效运行监控"

    def batch(batch_id, when, n, note):
        return {"id": batch_id, "created_at": when, "user": "演示数据", "source": SOURCE_DEMO, "status": BATCH_COMMITTED,
                "files": [], "counts": {"monitoring": {"inserted": n, "updated": 0}}, "note": note}

    mt, pt = MonitoringRecord.__table__, Project.__table__
    in_round = (mt.c.as_of == as_of) & mt.c.project_id.in_(select(pt.c.id).where(pt.c.year == year))
    late_rows = (mt.c.as_of == as_of) & mt.c.project_id.in_(
        select(pt.c.id).where(pt.c.year == year, pt.c.unit_id.in_(late)))
    return [
        insert(ImportBatch.__table__).values([
            batch(ON_TIME_BATCH, dt.datetime.combine(as_of + dt.timedelta(days=6), dt.time(10, 30)), n_all - n_late,
                  f"演示数据：{period}，按时报送的单位"),
            batch(LATE_BATCH, dt.datetime.combine(due_on + dt.timedelta(days=3), dt.time(15, 20)), n_late,
                  f"演示数据：{period}，逾期报送的单位"),
        ]),
        update(mt).where(in_round).values(created_batch_id=ON_TIME_BATCH, batch_id=ON_TIME_BATCH),
        update(mt).where(late_rows).values(created_batch_id=LATE_BATCH, batch_id=LATE_BATCH),
        insert(CollectionRound.__table__).values(
            kind=ROUND_MONITORING, year=year, as_of=as_of, round_key=round_key(ROUND_MONITORING, year, as_of),
            title=period, due_on=due_on, opened_at=dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(9, 0)),
            opened_by="绩效科"),
    ]


def _monitoring(rng: np.random.Generator, scale: Scale, yr: Year, mon: dict, rules: Rules) -> np.ndarray:
    """Most projects with targets report at every checkpoint; a few stop early. Returns each project's light at 08-31.

    Execution at 08-31 is drawn per band of the lag rule (half a point inside each band's edges), the
    other checkpoints follow from it. The light of the 08-31 record is None where there is none.
    """
    n = yr.n
    reported = (yr.has_target & (rng.random(n) < 0.95)) | (~yr.has_target & (rng.random(n) < 0.2))
    rep = np.flatnonzero(reported)
    m = len(rep)
    t_aug = R.time_progress(dt.date(yr.year, 8, 31))
    green_edge, yellow_low, yellow_high, red_edge = ((rules.yellow_lag - 0.5) / 100, (rules.yellow_lag + 0.5) / 100,
                                                     (rules.red_lag - 0.5) / 100, (rules.red_lag + 0.5) / 100)
    band = rng.choice(3, size=m, p=[0.715, 0.15, 0.135])  # green, yellow, red at 08-31
    r_aug = np.where(
        band == 0, (t_aug - green_edge) + (1.0 - t_aug + green_edge) * rng.beta(1.3, 2.2, m),
        np.where(band == 1, t_aug - rng.uniform(yellow_low, yellow_high, m), (t_aug - red_edge) * rng.beta(2.0, 1.4, m)))
    r_aug = np.where((band == 2) & (rng.random(m) < 0.1), 0.0, r_aug)  # not started at all
    bad = (band == 0) & (rng.random(m) < 0.006)
    r_aug = np.where(bad, rng.uniform(1.02, 1.35, m), r_aug)  # bad data: executed above budget
    n_cp = len(scale.checkpoints)
    aug_i = list(scale.checkpoints).index((8, 31))
    rates = np.empty((n_cp, m))
    rates[aug_i] = r_aug
    for c in range(aug_i - 1, -1, -1):
        rates[c] = rates[c + 1] * rng.uniform(0.35 if c < aug_i - 1 else 0.5, 0.85, m)
    for c in range(aug_i + 1, n_cp):
        rates[c] = rates[c - 1] + np.clip(1.0 - rates[c - 1], 0, None) * rng.uniform(0.2, 0.7, m)
    last_cp = np.where(rng.random(m) < 0.02, n_cp - 2, n_cp - 1)  # a few stop reporting after one round
    with_tp = rng.random(m) < 0.4
    tp_lift = rng.uniform(0.0, 0.15, m)
    reason_i = rng.integers(0, len(DEVIATION_REASONS), (n_cp, m))
    req_i = rng.integers(0, len(MONITOR_REQUIREMENTS), (n_cp, m))
    like_draw = rng.random((n_cp, m))
    rect_draw = rng.random((n_cp, m))
    budgets_m = yr.adjusted[rep]
    reasons = np.array(DEVIATION_REASONS, dtype=object)
    reqs = np.array(MONITOR_REQUIREMENTS, dtype=object)
    light_aug = np.full(n, None, dtype=object)
    for c, (month, day) in enumerate(scale.checkpoints):
        keep = np.flatnonzero(last_cp >= c)
        as_of = dt.date(yr.year, month, day)
        r = rates[c]
        # target progress is never behind money here, so the money lag decides the light
        tp = np.where(with_tp, np.round(np.minimum(np.maximum(r, 0) + tp_lift, 1.0), 4), np.nan)
        light = R.warning_lights(as_of, r, rules=rules)
        likelihood = np.where(
            light == GREEN, np.where(like_draw[c] < 0.92, SURE, MAYBE),
            np.where(light == YELLOW, np.where(like_draw[c] < 0.5, SURE, MAYBE),
                     np.where(like_draw[c] < 0.15, SURE, np.where(like_draw[c] < 0.88, MAYBE, IMPOSSIBLE))))
        needs = (light == RED) | ((light == YELLOW) & (rect_draw[c] < 0.4))
        mon["project_id"] += yr.pids[rep][keep].tolist()
        mon["as_of"] += [as_of] * len(keep)
        mon["adjusted_budget"] += budgets_m[keep].tolist()
        mon["executed"] += np.round(budgets_m * r, 4)[keep].tolist()
        mon["target_progress"] += _py(tp[keep])
        mon["deviation_reason"] += np.where(light != GREEN, reasons[reason_i[c]], None)[keep].tolist()
        mon["likelihood"] += likelihood.astype(object)[keep].tolist()
        mon["needs_rectification"] += needs[keep].tolist()
        mon["rectification_requirement"] += np.where(needs, reqs[req_i[c]], None)[keep].tolist()
        mon["is_latest"] += (last_cp[keep] == c).tolist()  # the last checkpoint a project reported at
        if c == aug_i:
            light_aug[rep[keep]] = light[keep]
    return light_aug


def _scores(rng: np.random.Generator, yr: Year, factor: float) -> _Scores:
    """Scores of the year's evaluations (carried out the next spring) and which projects each kind covers."""
    n = yr.n
    quality = np.clip(np.where(rng.random(n) < 0.07, rng.normal(71, 9.5, n), rng.normal(91.5, 3.5, n)), 45, 99)
    inflate = np.where(rng.random(n) < 0.15, rng.uniform(6, 16, n), rng.uniform(0, 2.5, n))
    self_score = np.round(np.clip(quality + inflate, 60, 99.5), 1)
    has_self = yr.has_target & (rng.random(n) < 0.92)
    n_key = max(1, round(60 * factor * rng.uniform(0.95, 1.05)))
    key_w = np.sqrt(yr.adjusted) * np.where(yr.is_key, 4.0, 1.0) * np.where(yr.has_target, 1.0, 0.3)
    key_sel = np.zeros(n, bool)
    key_sel[rng.choice(n, size=min(n_key, n), replace=False, p=key_w / key_w.sum())] = True
    dept_sel = (rng.random(n) < 0.08) & ~key_sel
    recheck_sel = has_self & (rng.random(n) < 0.2)
    key_score = np.round(np.clip(quality + rng.normal(0, 1.5, n), 40, 99), 1)
    dept_score = np.round(np.clip(quality + rng.normal(1.5, 2.0, n), 40, 99.5), 1)
    recheck_score = np.round(np.clip(quality + rng.normal(0, 1.5, n), 40, 99), 1)
    return _Scores(self_score, has_self, key_sel, dept_sel, recheck_sel, key_score, dept_score, recheck_score)


def _next_year(rng: np.random.Generator, yr: Year, s: _Scores, lines: ProjectLines,
               rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """The decisive grade sets next year's money (docs/rules.md: 优 优先保障, 良 保障, 中 压减, 差 取消/暂停).

    Fills `s.change` and `s.decisive_kind`; returns the lines that carry on and their next budgets.
    """
    n = yr.n
    # the most independent grade decides next year's money: 重点评价 > 抽查复核 > 部门评价 > 自评
    decisive = np.where(s.key_sel, s.key_score, np.where(s.recheck_sel, s.recheck_score,
                        np.where(s.dept_sel, s.dept_score, np.where(s.has_self, s.self_score, np.nan))))
    dec_grade = R.grades_for_scores(decisive, rules)
    evaluated = ~np.isnan(decisive)
    change_pct = np.select(
        [dec_grade == EXCELLENT, dec_grade == GOOD, dec_grade == FAIR],
        [rng.uniform(0.0, 0.1, n), rng.uniform(-0.03, 0.05, n), -rng.uniform(0.1, 0.3, n)], -1.0)
    change_pct = np.where(evaluated, change_pct, rng.normal(0.03, 0.06, n))
    recurring = np.array([lines.recurring[i] for i in yr.lines])
    continues = np.where(recurring, rng.random(n) < 0.93, rng.random(n) < 0.3)
    continues &= ~(evaluated & (dec_grade == POOR))  # 差: 取消/暂停
    continues |= evaluated & (dec_grade == FAIR) & recurring  # 中 is cut, not dropped
    next_initial = np.round(np.maximum(yr.adjusted * (1 + change_pct), 0.5), 4)
    s.change = np.where(continues, np.round(next_initial - yr.adjusted, 4),
                        np.where(evaluated & (dec_grade == POOR), -yr.adjusted, np.nan))
    s.decisive_kind = np.where(s.key_sel, 2, np.where(s.recheck_sel, 3, np.where(s.dept_sel, 1, 0)))
    lines.release(yr.lines[~continues])
    return yr.lines[continues], next_initial[continues]


def _project_evaluations(rng: np.random.Generator, org: Org, yr: Year, s: _Scores, ev: dict, rules: Rules) -> None:
    """Rows of the four kinds of project evaluation; only the decisive one states next year's change."""
    firms = np.array(FIRMS, dtype=object)
    bureau = next(name for name in org.dept_name if name.endswith("财政局"))
    unit_names = np.array(org.unit_name, dtype=object)
    dept_names = np.array(org.dept_name, dtype=object)
    prob_pool = np.array([p[0] for p in FINDINGS_EVALUATION], dtype=object)
    covered = ((s.has_self, s.self_score), (s.dept_sel, s.dept_score), (s.key_sel, s.key_score),
               (s.recheck_sel, s.recheck_score))
    for kind_i, (kind, (sel, scores)) in enumerate(zip(EVALUATION_KINDS, covered)):
        idx = np.flatnonzero(sel)
        k = len(idx)
        sc = scores[idx]
        gr = R.grades_for_scores(sc, rules)
        if kind == SELF:
            evaluator = unit_names[yr.units[idx]]
        elif kind == DEPT_EVAL:
            evaluator = dept_names[yr.depts[idx]]
        elif kind == KEY_EVAL:
            evaluator = firms[rng.integers(0, len(firms), k)]
        else:
            evaluator = np.where(rng.random(k) < 0.5, bureau + "绩效评价中心", firms[rng.integers(0, len(firms), k)])
        deputies = (rng.random(k) < 0.3).astype(object) if kind == KEY_EVAL else np.full(k, None)
        p1 = rng.integers(0, len(prob_pool), k)
        p2 = (p1 + rng.integers(1, len(prob_pool), k)) % len(prob_pool)
        problems = np.where(gr == EXCELLENT, None, prob_pool[p1]).astype(object)
        if kind in (KEY_EVAL, RECHECK):
            problems = np.array([f"{a}；{b}" for a, b in zip(prob_pool[p1], prob_pool[p2])], dtype=object)
        elif kind == SELF:
            problems = np.where(gr == EXCELLENT, None, _pick(rng, SELF_PROBLEMS, k))
        chg = np.where(s.decisive_kind[idx] == kind_i, s.change[idx], np.nan)
        pids = yr.pids[idx].tolist()
        ev["year"] += [yr.year] * k
        ev["kind"] += [kind] * k
        ev["object_type"] += [PROJECT] * k
        ev["object_key"] += [evaluation_object_key(p, None, None) for p in pids]
        ev["object_name"] += [yr.names[i] for i in idx]
        ev["project_id"] += pids
        ev["department_id"] += (yr.depts[idx] + 1).tolist()
        ev["unit_id"] += (yr.units[idx] + 1).tolist()
        ev["fund_amount"] += yr.adjusted[idx].tolist()
        ev["score"] += sc.tolist()
        ev["grade"] += gr.tolist()
        ev["evaluator"] += evaluator.tolist()
        ev["deputies_participated"] += deputies.tolist()
        ev["main_problems"] += problems.tolist()
        ev["result_application"] += [_application(g, c, a) for g, c, a in zip(gr, chg.tolist(), yr.adjusted[idx].tolist())]
        ev["next_year_budget_change"] += _py(chg)


_POLICY_DEPARTMENT = {"农业农村": "农业农村局", "民政": "民政局", "人社": "人力资源和社会保障局", "教育": "教育局",
                      "科技": "科学技术局", "工信": "经济和信息化局"}


def _object_evaluations(rng: np.random.Generator, org: Org, scale: Scale, yr: Year, factor: float, ev: dict,
                        rules: Rules) -> list[tuple[int, str, str, float]]:
    """部门整体支出 and 政策 key evaluations (department-level objects, no project); returns the objects."""
    year, y_i = yr.year, yr.index
    budget_by_dept = np.bincount(yr.depts, weights=yr.adjusted, minlength=len(org.dept_name))
    eligible = np.flatnonzero((np.array(org.dept_kind) == MINISTRY) & (budget_by_dept > 0))
    n_whole = min(len(eligible), max(1, round(7 * factor)))
    whole = rng.choice(eligible, size=n_whole, replace=False, p=budget_by_dept[eligible] / budget_by_dept[eligible].sum())
    objects = [(int(d), f"{org.dept_name[d]}{year}年度{WHOLE}", WHOLE, float(budget_by_dept[d]) * 1.6)
               for d in sorted(whole.tolist())]
    n_policy = int(rng.integers(1, 3)) * max(1, round(factor ** 0.5))
    for p_i in range(n_policy):
        pol = (y_i * 3 + p_i) % len(POLICIES)
        region = scale.regions[p_i % len(scale.regions)][0]
        d = org.dept_name.index(region + _POLICY_DEPARTMENT[POLICY_SECTOR[pol]])
        name = f"{region}{POLICIES[pol]}" if p_i < len(POLICIES) else f"{region}{POLICIES[pol]}（{p_i}）"
        if any(o[1] == name for o in objects):
            continue
        objects.append((d, name, POLICY, round(float(np.exp(rng.normal(np.log(3000 * max(1, factor ** 0.3)), 0.5))), 4)))
    whole_scores = np.round(np.clip(rng.normal(86, 5, len(objects)), 62, 97), 1)
    for (d, name, otype, amount), sc in zip(objects, whole_scores.tolist()):
        g = R.grade_for_score(sc, rules)
        p1, p2 = rng.choice(len(DEPT_FINDINGS), size=2, replace=False)
        _add(ev, year=year, kind=KEY_EVAL, object_type=otype, object_key=evaluation_object_key(None, d + 1, name),
             object_name=name, project_id=None, department_id=d + 1, unit_id=None, fund_amount=round(amount, 4),
             score=sc, grade=g, evaluator=FIRMS[int(rng.integers(0, len(FIRMS)))],
             deputies_participated=bool(rng.random() < 0.4),
             main_problems=f"{DEPT_FINDINGS[p1][0]}；{DEPT_FINDINGS[p2][0]}",
             result_application=_application(g, None, None), next_year_budget_change=None)
    return objects


def _findings(rng: np.random.Generator, yr: Year, s: _Scores, light_aug: np.ndarray, objects: list, factor: float,
              fd: dict, rules: Rules) -> None:
    """Findings (问题) of the year by source, and their rectification, aged against DEMO_TODAY."""
    year, y_i, n = yr.year, yr.index, yr.n
    n_find = round((520 - 70 * y_i) * factor * rng.uniform(0.95, 1.05))
    src = rng.choice(5, size=n_find, p=np.array([0.35, 0.25, 0.2, 0.12, 0.08]))
    counts_src = np.bincount(src, minlength=5)
    # where each source looks: monitoring at lagging projects, evaluations at what they evaluated,
    # rechecks mostly where self and recheck scores disagree (a generation weight, not the 自评虚高 rule)
    lag_w = np.where(light_aug == RED, 3.0, np.where(light_aug == YELLOW, 1.0, 0.0))
    disagree = (s.self_score - s.recheck_score >= rules.inflation_gap) | (
        R.grades_for_scores(s.self_score, rules) != R.grades_for_scores(s.recheck_score, rules))
    flagged = s.recheck_sel & disagree
    weights_src = (lag_w, s.key_sel * 1.0, s.recheck_sel * (1.0 + 4.0 * flagged),
                   np.sqrt(yr.adjusted), np.sqrt(yr.adjusted) * np.where(yr.is_key, 3.0, 1.0))
    found_base = (np.datetime64(f"{year}-09-10"), np.datetime64(f"{year + 1}-05-01"),
                  np.datetime64(f"{year + 1}-04-15"), np.datetime64(f"{year + 1}-03-01"),
                  np.datetime64(f"{year + 1}-06-01"))
    found_span = (50, 100, 80, 150, 120)
    status_p = ((0.93, 0.05, 0.02), (0.82, 0.12, 0.06), (0.45, 0.35, 0.20))[y_i]
    whole_depts = [o[0] for o in objects if o[2] == WHOLE]
    today = np.datetime64(DEMO_TODAY)
    for src_i, (source, pool) in enumerate(_FINDING_SOURCES):
        k = int(counts_src[src_i])
        if k == 0:
            continue
        w = weights_src[src_i]
        # a share of evaluation, audit and congress findings concern a department as a whole
        dept_level = rng.random(k) < (0.0, 0.15, 0.0, 0.2, 0.25)[src_i]
        proj = rng.choice(n, size=k, p=w / w.sum()) if w.sum() > 0 else rng.choice(n, size=k)
        d_of = yr.depts[proj].copy()
        if src_i == 1 and whole_depts:
            d_of = np.where(dept_level, np.array(whole_depts)[rng.integers(0, len(whole_depts), k)], d_of)
        pi = rng.integers(0, len(pool), k)
        dpi = rng.integers(0, len(DEPT_FINDINGS), k)
        found = np.full(k, found_base[src_i]).astype("datetime64[D]") + rng.integers(0, found_span[src_i], k).astype("timedelta64[D]")
        found = np.minimum(found, today - 20)
        deadline = found + rng.integers(45, 180, k).astype("timedelta64[D]")
        st = rng.choice(3, size=k, p=status_p)  # 已整改, 整改中, 未整改
        # rectified before (or a little after) the deadline, never after the demo's today
        span = np.maximum(10, ((deadline - found).astype(int) + 40) * rng.random(k)).astype(int)
        done = np.minimum(found + span.astype("timedelta64[D]"), today)
        amounts = np.where(rng.random(k) < 0.6,
                           np.round(np.minimum(yr.adjusted[proj], 5000) * rng.uniform(0.01, 0.3, k), 4), np.nan)
        for j in range(k):
            if dept_level[j]:
                desc, req, meas = DEPT_FINDINGS[dpi[j]]
                p_id, u_id = None, None
            else:
                desc, req, meas = pool[pi[j]]
                p_id, u_id = int(yr.pids[proj[j]]), int(yr.units[proj[j]]) + 1
                desc = f"{yr.names[proj[j]]}：{desc}"  # ledgers name the project: 校舍维修改造：资金支付进度滞后…
            _add(fd, year=year, source=source, department_id=int(d_of[j]) + 1, unit_id=u_id, project_id=p_id,
                 description=desc, requirement=req, deadline=deadline[j].item(),
                 status=(RECTIFIED, RECTIFYING, UNRECTIFIED)[st[j]],
                 completed_on=done[j].item() if st[j] == 0 else None,
                 measures=meas if st[j] == 0 else ("正在落实：" + meas if st[j] == 1 else None),
                 amount=None if np.isnan(amounts[j]) else float(amounts[j]),
                 category=finding_category(pool[pi[j]][0] if not dept_level[j] else desc),
                 original_deadline=deadline[j].item(), verified_on=None, verified_by=None,
                 verification_method=None, exclusion=None, exclusion_reason=None)


def _verify(rng: np.random.Generator, fd: dict) -> tuple[dict, dict]:
    """Issue 25 on the findings (their own draws, so the other tables do not change with them): most 已整改 ones
    verified after their completion; a few percent extended once or twice (the stored deadline is the last one, the
    first is original_deadline); a few percent of the open ones accepted as 历史遗留 / 客观原因 with a reason.
    Returns the extension rows; the votes come from _votes."""
    today = DEMO_TODAY
    xt = {k: [] for k in EXTENSION_COLUMNS}
    n = len(fd["id"])
    draw = rng.random((n, 4))
    for i in range(n):
        status, deadline = fd["status"][i], fd["deadline"][i]
        if status == RECTIFIED and draw[i, 0] < 0.86:
            day = min(fd["completed_on"][i] + dt.timedelta(days=int(5 + 40 * draw[i, 1])), today)
            fd["verified_on"][i] = day
            fd["verified_by"][i] = VERIFIERS[int(draw[i, 2] * len(VERIFIERS))]
            fd["verification_method"][i] = VERIFICATION_METHODS[int(draw[i, 3] * len(VERIFICATION_METHODS))]
        elif status != RECTIFIED and draw[i, 1] < 0.035:
            kind = ("历史遗留", "客观原因")[int(draw[i, 2] * 2)]
            fd["exclusion"][i] = kind
            fd["exclusion_reason"][i] = EXCLUSION_REASONS[kind][int(draw[i, 3] * len(EXCLUSION_REASONS[kind]))]
        times = 2 if draw[i, 3] < 0.012 else 1 if draw[i, 3] < 0.05 else 0
        if not times:
            continue
        moves = [int(d) for d in rng.integers(30, 120, times)]
        first = deadline - dt.timedelta(days=sum(moves))
        fd["original_deadline"][i] = first
        old = first
        for move in moves:
            new = old + dt.timedelta(days=move)
            asked = min(old - dt.timedelta(days=int(rng.integers(3, 20))), today)
            _add(xt, id=len(xt["id"]) + 1, finding_id=fd["id"][i], old_deadline=old, new_deadline=new,
                 reason=EXTENSION_REASONS[int(rng.integers(0, len(EXTENSION_REASONS)))],
                 approved_by=EXTENSION_APPROVERS[int(rng.integers(0, len(EXTENSION_APPROVERS)))],
                 recorded_at=dt.datetime.combine(asked, dt.time(10, 0)), recorded_by="区财政局绩效科")
            old = new
    return xt


def _votes(rng: np.random.Generator, fd: dict) -> dict:
    """The 人大 满意度测评 of most units with findings, per year: 15–30 deputies; units that rectified (verified)
    more of their findings get more 满意."""
    per: dict[tuple[int, int, int], list[int]] = {}
    for year, dept, unit, status, verified in zip(fd["year"], fd["department_id"], fd["unit_id"], fd["status"],
                                                  fd["verified_on"]):
        if unit is None:
            continue
        got = per.setdefault((year, dept, unit), [0, 0])
        got[0] += 1
        got[1] += status == RECTIFIED and verified is not None
    sv = {k: [] for k in VOTE_COLUMNS}
    for (year, dept, unit), (total, done) in sorted(per.items()):
        if rng.random() >= 0.85:
            continue
        voters = int(rng.integers(15, 31))
        share = 0.35 + 0.55 * done / total
        satisfied = int(rng.binomial(voters, min(share, 0.95)))
        basically = int(rng.binomial(voters - satisfied, 0.7))
        _add(sv, id=len(sv["id"]) + 1, year=year, department_id=dept, unit_id=unit, subject_key=f"u:{unit}",
             subject=f"{year}年度绩效评价和审计发现问题整改情况", satisfied=satisfied, basically=basically,
             unsatisfied=voters - satisfied - basically)
    return sv


def _fewer_repeats(rng: np.random.Generator, fd: dict, proj: dict, rules: Rules, keep: float = 0.1) -> None:
    """Most problems found again in a unit (R.repeat_links: same 问题类别 or similar text in an earlier year) are
    re-drawn from their pool as another kind of problem, so that 屡审屡犯 is a few percent of the findings, as in a
    county whose units mostly fix what they were told; `keep` of them stay repeats."""
    code = dict(zip(proj["id"], proj["code"]))
    pools = dict(_FINDING_SOURCES)
    # most ledgers leave 问题类别 blank: about 40% of the findings carry one
    for i in np.flatnonzero(rng.random(len(fd["year"])) >= 0.4):
        fd["category"][i] = None

    def ref(i: int) -> R.FindingRef:
        return R.FindingRef(i, fd["year"][i], fd["department_id"][i], fd["unit_id"][i], code.get(fd["project_id"][i]),
                            fd["category"][i], fd["description"][i])

    for year in YEARS[1:]:
        earlier = [ref(i) for i, y in enumerate(fd["year"]) if y < year]
        current = [i for i, y in enumerate(fd["year"]) if y == year]
        links = R.repeat_links([ref(i) for i in current], earlier, rules)
        by_subject: dict[tuple, list[R.FindingRef]] = {}
        for e in earlier:
            by_subject.setdefault(("u", e.unit_id) if e.unit_id is not None else ("d", e.department_id), []).append(e)
            if e.project_code:
                by_subject.setdefault(("p", e.project_code), []).append(e)

        def repeats(f: R.FindingRef, by_subject=by_subject) -> bool:
            keys = [("u", f.unit_id) if f.unit_id is not None else ("d", f.department_id), ("p", f.project_code)]
            return any(R.is_repeat(e, f, rules) for k in keys for e in by_subject.get(k, ()))

        for i in sorted(links):
            if rng.random() < keep:
                continue
            pool = DEPT_FINDINGS if fd["unit_id"][i] is None else pools[fd["source"][i]]
            old = next(t for t in pool if fd["description"][i].endswith(t[0]))
            prefix = fd["description"][i][:len(fd["description"][i]) - len(old[0])]
            for k in rng.permutation(len(pool)):
                desc, req, meas = pool[int(k)]
                fd["description"][i], fd["requirement"][i] = prefix + desc, req
                fd["category"][i] = finding_category(desc) if fd["category"][i] is not None else None
                if not repeats(ref(i)):
                    break
            status = fd["status"][i]
            fd["measures"][i] = meas if status == RECTIFIED else ("正在落实：" + meas if status == RECTIFYING else None)


def _finish(org: Org, proj: dict, mon: dict, ev: dict, fd: dict, ind: dict, rng: np.random.Generator,
            rules: Rules) -> DemoData:
    """Ids for every row, finding keys, findings deduplicated on their natural key (year, key); then the verified
    rectification (_verify) and the votes (_votes) with their own draws."""
    _fewer_repeats(rng, fd, proj, rules)
    mon["id"] = list(range(1, len(mon["project_id"]) + 1))
    ev["id"] = list(range(1, len(ev["year"]) + 1))
    keys = [finding_key(d, p, desc) for d, p, desc in zip(fd["department_id"], fd["project_id"], fd["description"])]
    seen: set[tuple[int, str]] = set()
    keep = []
    for i, (year, key) in enumerate(zip(fd["year"], keys)):
        if (year, key) not in seen:
            seen.add((year, key))
            keep.append(i)
    fd = {k: [v[i] for i in keep] for k, v in fd.items()}
    fd["finding_key"] = [keys[i] for i in keep]
    fd["id"] = list(range(1, len(keep) + 1))
    n_dept, n_unit = len(org.dept_name), len(org.unit_name)
    depts = {"id": list(range(1, n_dept + 1)), "code": org.dept_code, "name": org.dept_name,
             "kind": org.dept_kind, "sector": org.dept_sector}
    units = {"id": list(range(1, n_unit + 1)), "department_id": (org.unit_dept + 1).tolist(),
             "code": org.unit_code, "name": org.unit_name, "kind": org.unit_kind, "sector": org.unit_sector,
             "contact": org.unit_contact, "phone": org.unit_phone}
    ind["id"] = list(range(1, len(ind["project_id"]) + 1))
    xt = _verify(rng, fd)
    sv = _votes(rng, fd)
    iq = generate_inquiries(rng, depts, units, proj)  # 询问台账 (issue 26): drawn last, the other tables do not change
    tables = [(Department, depts), (Unit, units), (Project, proj), (MonitoringRecord, mon), (Evaluation, ev),
              (Finding, fd), (Indicator, ind), (FindingExtension, xt), (SatisfactionVote, sv), (Inquiry, iq)]
    counts = {"departments": n_dept, "units": n_unit, "projects": len(proj["id"]),
              "monitoring": len(mon["id"]), "evaluations": len(ev["id"]), "findings": len(fd["id"]),
              "indicators": len(ind["id"]), "finding_extensions": len(xt["id"]), "satisfaction_votes": len(sv["id"]),
              "inquiries": len(iq["id"])}
    return DemoData(tables, counts)


def _known(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _application(grade: str, change: float | None, budget: float | None) -> str:
    """结果应用 wording per grade (docs/rules.md: 优 优先保障, 良 保障, 中 压减, 差 取消/暂停)."""
    if grade == EXCELLENT:
        return "评价结果为优，下年度预算优先保障"
    if grade == GOOD:
        return "评价结果为良，下年度预算予以保障"
    if grade == FAIR:
        if _known(change) and budget:
            return f"评价结果为中，下年度预算压减{abs(change) / budget:.0%}"
        return "评价结果为中，下年度预算予以压减"
    if _known(change):
        return "评价结果为差，取消该项目下年度预算"
    return "评价结果为差，暂停安排预算，整改到位后再行申请"


def _add(cols: dict[str, list], **values) -> None:
    """Append one row to column lists."""
    for k, v in values.items():
        cols[k].append(v)


def _pick(rng: np.random.Generator, pool, n: int) -> np.ndarray:
    arr = np.empty(len(pool), dtype=object)
    arr[:] = list(pool)
    return arr[rng.integers(0, len(pool), n)]


def _py(values: np.ndarray) -> list:
    """A float array as Python values: NaN becomes None (NULL)."""
    out = values.tolist()
    for i in np.flatnonzero(np.isnan(values)):
        out[i] = None
    return out
