"""The demo's projects: project lines that live across years (code, name, unit, category, fund) and each year's project rows.

A line is one project as it recurs year after year under the same code; `ProjectLines.new` draws new
lines, `projects_of_year` puts the year's carried-over and new lines into the projects table. The
random draws happen in a fixed order: do not reorder them, or every seed's data changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.core.vocab import EX_ANTE_RESULTS, FUND_SOURCES, GRADES, PROJECT_CATEGORIES
from dashboard.demo.org import Org, Scale, cn_number
from dashboard.demo.words import FUND_LEVELS, FUND_SECTORS, N_GENERIC, SOE_SECTORS, SUBSIDY_WORDS

PROJECT, WHOLE, POLICY, BOND = PROJECT_CATEGORIES  # 项目支出, 部门整体支出, 政策, 新增债券
GENERAL, GOV_FUND, SOE, SOCIAL = FUND_SOURCES  # 一般公共预算, 政府性基金预算, 国有资本经营预算, 社会保险基金预算
_BUILDING_WORDS = ("工程", "建设", "改造", "治理", "加固", "厂房")

PROJECT_COLUMNS = ("id", "year", "code", "name", "department_id", "unit_id", "category", "fund_source",
                   "initial_budget", "adjusted_budget", "has_target", "target_grade", "ex_ante_result", "is_key",
                   "peer_group")

# 同类项目分组 (一类事): projects whose name has one of the words belong to the group (first match wins); the
# demo's 单位成本 indicators are compared within each group (dashboard.demo.indicators.UNIT_COSTS)
PEER_GROUPS = (
    ("环卫保洁", ("环卫保洁", "垃圾清运", "保洁")),
    ("公路养护", ("公路养护", "道路硬化", "公路提质")),
    ("校舍及办公用房维修", ("校舍维修", "办公用房维修", "食堂改造")),
    ("业务培训", ("培训", "技能提升")),
    ("信息系统运维", ("信息化", "运维", "政务云")),
    ("绿化养护", ("绿地养护", "国土绿化", "森林资源管护")),
    ("第三方评估服务", ("第三方", "评估经费", "课题研究")),
)
TWIN_EVERY = 150  # one pair of near-duplicate projects across departments per this many projects (目标质量 TQ7)


def peer_group(name: str) -> str | None:
    """The demo's peer group of a project name, None when it is in none."""
    for group, words in PEER_GROUPS:
        if any(w in name for w in words):
            return group
    return None


def _plant_twins(names: list[str], depts: np.ndarray, initial: np.ndarray, adjusted: np.ndarray, cats: list[str],
                 in_use: set, first_new: int) -> None:
    """Make a few new projects (index ≥ first_new: their budget is not carried from last year) near-duplicates of
    another department's project (the same work applied for twice): its name with 项目 added or dropped and a
    budget 3% apart. Deterministic (no draws), so the random draws of every table stay as they were."""
    n = len(names)
    fresh = n - first_new
    pairs = n // TWIN_EVERY
    if not pairs or fresh < 2:
        return
    step = max(1, n // pairs)
    for j in range(pairs):
        i = (j * step + step // 3) % n
        if cats[i] != PROJECT:
            continue
        twin = names[i][:-2] if names[i].endswith("项目") else names[i] + "项目"
        for k in range(fresh):
            t = first_new + (j * 7 + k) % fresh
            if t != i and depts[t] != depts[i] and cats[t] == PROJECT and (int(depts[t]), twin) not in in_use:
                names[t] = twin
                initial[t] = round(initial[i] * 1.03, 4)
                adjusted[t] = round(adjusted[i] * 1.03, 4)
                break


def unique_name(in_use: set, dept: int, unit_short: str, tpl: str, recurring: bool, suffix: str) -> str:
    """A project name not used by another running project of the department (the importer links by it).

    A repeated kind of work is named after the 二级单位 doing it (第二小学智慧校园建设项目); within
    one unit, recurring subsidies are split by the level that funds them (中央补助资金, 省级补助资金 …)
    and other work gets its next phase (（二期）).
    """
    candidates = [tpl + suffix] + ([unit_short + tpl + suffix] if unit_short else [])
    base = unit_short + tpl
    levels = recurring and any(w in tpl for w in SUBSIDY_WORDS)
    k = 2
    while True:
        for name in candidates:
            if (dept, name) not in in_use:
                in_use.add((dept, name))
                return name
        qualifier = FUND_LEVELS[k - 2] if levels and k - 2 < len(FUND_LEVELS) else f"{cn_number(k)}期"
        candidates = [f"{base}（{qualifier}）{suffix}"]
        k += 1


class ProjectLines:
    """Every project line drawn so far, as parallel lists indexed by line number."""

    def __init__(self, org: Org, scale: Scale, rng: np.random.Generator):
        self.org, self.rng = org, rng
        n_dept = len(org.dept_name)
        self.region_code = [scale.regions[r][1] for r in org.dept_region]
        # units of each department, to place projects; the 本级 unit carries more of them
        unit_w = np.where(np.array([n.endswith("本级") for n in org.unit_name]), 2.5, 1.0)
        self.dept_units = [np.flatnonzero(org.unit_dept == d) for d in range(n_dept)]
        self.dept_p = org.dept_weight / org.dept_weight.sum()
        self.dept_cum = [np.cumsum(unit_w[u]) / unit_w[u].sum() for u in self.dept_units]
        regions = [scale.regions[org.dept_region[d]][0] for d in range(n_dept)]
        self.unit_short = [
            "" if name.endswith("本级") else name.removeprefix(org.dept_name[d]).removeprefix(regions[d])
            for name, d in zip(org.unit_name, org.unit_dept.tolist())
        ]
        self.unit: list[int] = []
        self.name: list[str] = []
        self.recurring: list[bool] = []
        self.code: list[str] = []
        self.category: list[str] = []
        self.fund: list[str] = []
        self.key: list[bool] = []
        self.names_in_use: set[tuple[int, str]] = set()  # (department, name) of the lines running now
        self.tpl_count: dict[tuple[int, str], int] = {}
        self.whole_units: set[int] = set()
        self.seq = 0

    def new(self, n: int, year: int, first: bool) -> np.ndarray:
        """Draw `n` new lines starting in `year` (in the first year some started earlier); returns their numbers."""
        rng = self.rng
        depts = rng.choice(len(self.org.dept_name), size=n, p=self.dept_p)
        u_pick = rng.random(n)
        t_pick = rng.random(n)
        start = np.where(rng.random(n) < 0.55, year - rng.integers(1, 6, n), year) if first else np.full(n, year)
        cat = rng.choice(4, size=n, p=[0.80, 0.03, 0.07, 0.10])  # 项目支出, 部门整体支出, 政策, 新增债券
        fund = rng.choice(4, size=n, p=[0.75, 0.22, 0.015, 0.015])
        key_draw = rng.random(n)
        ids = np.arange(len(self.unit), len(self.unit) + n)
        unit_of = np.empty(n, dtype=int)
        for d in np.unique(depts):
            sel = depts == d
            units = self.dept_units[d]
            unit_of[sel] = units[np.minimum(len(units) - 1, np.searchsorted(self.dept_cum[d], u_pick[sel]))]
        for i in range(n):
            d, u = int(depts[i]), int(unit_of[i])
            tpl, recurring = self._template(d, float(t_pick[i]))
            c, f = self._money(d, u, tpl, PROJECT_CATEGORIES[cat[i]], FUND_SOURCES[fund[i]], t_pick[i], key_draw[i])
            if c == WHOLE:
                self.whole_units.add(u)
                name, recurring = self.org.unit_name[u].removesuffix("本级") + WHOLE, True
            elif c == BOND:
                recurring = False
                f = GOV_FUND if t_pick[i] < 0.75 else GENERAL  # 专项债券 / 一般债券
                name = unique_name(self.names_in_use, d, self.unit_short[u], tpl.replace("{y}年", ""), recurring,
                                   "（专项债券）" if f == GOV_FUND else "（一般债券）")
            else:
                name = unique_name(self.names_in_use, d, self.unit_short[u], tpl, recurring, "")
            self.seq += 1
            self.unit.append(u)
            self.name.append(name)
            self.recurring.append(recurring)
            self.code.append(f"{self.region_code[d]}{int(start[i])}{self.seq:08d}")
            self.category.append(c)
            self.fund.append(f)
            self.key.append(bool(key_draw[i] < 0.06))
        return ids

    def _template(self, d: int, pick: float) -> tuple[str, bool]:
        """The least-used template of the department (sector ones before the generic ones), so that names
        repeat only when a department has more projects than kinds of work."""
        tpls = self.org.dept_templates[d]
        used = [self.tpl_count.get((d, t), 0) + (0.5 if j >= len(tpls) - N_GENERIC else 0.0)
                for j, (t, _r) in enumerate(tpls)]
        low = min(used)
        choices = [j for j, c in enumerate(used) if c == low]
        tpl, recurring = tpls[choices[int(pick * len(choices))]]
        self.tpl_count[(d, tpl)] = self.tpl_count.get((d, tpl), 0) + 1
        return tpl, recurring

    def _money(self, d: int, u: int, tpl: str, c: str, f: str, pick: float, key_draw: float) -> tuple[str, str]:
        """Category and fund source that fit the kind of work and the department."""
        tkey = self.org.dept_tkey[d]
        building = any(w in tpl for w in _BUILDING_WORDS)
        if c == BOND and not building:
            c = PROJECT
        if c == POLICY and not any(w in tpl for w in SUBSIDY_WORDS):
            c = PROJECT
        if c == WHOLE and u in self.whole_units:
            c = PROJECT
        # 社保基金 pays insurance subsidies only; 国有资本经营预算 goes to enterprises and parks;
        # 政府性基金 (land income, lottery funds) pays for building and a few sectors
        if f == SOCIAL and "保险" not in tpl:
            f = GENERAL
        if "保险" in tpl and pick < 0.5:
            f = SOCIAL
        if f == GOV_FUND and not building and tkey not in FUND_SECTORS:
            f = GENERAL
        if tkey in SOE_SECTORS and key_draw > 0.88:
            f = SOE
        if f == SOE and tkey not in SOE_SECTORS:
            f = GENERAL
        return c, f

    def release(self, ended: np.ndarray) -> None:
        """An ended project's name is free again."""
        for line in ended.tolist():
            self.names_in_use.discard((int(self.org.unit_dept[self.unit[line]]), self.name[line]))


@dataclass
class Year:
    """The projects of one budget year, as arrays in project order (index i is project pids[i])."""

    index: int  # 0 for the first demo year
    year: int
    lines: np.ndarray
    pids: np.ndarray
    units: np.ndarray  # 0-based unit index
    depts: np.ndarray  # 0-based department index
    names: list[str]
    adjusted: np.ndarray
    has_target: np.ndarray
    is_key: np.ndarray

    @property
    def n(self) -> int:
        return len(self.lines)


def _new_budgets(rng: np.random.Generator, n: int, cats: list[str]) -> np.ndarray:
    b = np.exp(rng.normal(np.log(80.0), 1.45, n))
    mult = np.array([{BOND: 6.0, WHOLE: 3.0, POLICY: 2.0}.get(c, 1.0) for c in cats])
    return b * mult


def projects_of_year(rng: np.random.Generator, scale: Scale, lines: ProjectLines, carry_lines: np.ndarray,
                     carry_budget: np.ndarray, y_i: int, year: int, first_pid: int, cols: dict) -> Year:
    """Carried-over lines plus new ones, to about the scale's count; appends their rows to `cols`."""
    factor = scale.projects / 1200
    n_target = round(scale.projects * (1 + 0.02 * y_i) * rng.uniform(0.97, 1.03))
    n_new = max(0, n_target - len(carry_lines))
    fresh = lines.new(n_new, year, first=(y_i == 0))
    fresh_budget = _new_budgets(rng, n_new, [lines.category[i] for i in fresh])
    # new money is sized so that the year's total lands near 34.5 亿元 per 1,200 projects (金安区 2022)
    goal = 345_000.0 * factor * (1.04 ** y_i)
    if n_new:
        scale_by = np.clip((goal - carry_budget.sum()) / fresh_budget.sum(), 0.5, 2.0)
        fresh_budget = fresh_budget * scale_by
    line_ids = np.concatenate([carry_lines, fresh]).astype(int)
    initial = np.maximum(np.round(np.concatenate([carry_budget, fresh_budget]), 4), 0.5)
    n = len(line_ids)
    # 事前绩效评估 is for projects starting this year (lines of the first year may be older)
    is_new = np.array([lines.code[i][6:10] == str(year) for i in line_ids])
    adj_draw = rng.random(n)
    adjusted = np.where(adj_draw < 0.7, initial,
                        np.where(adj_draw < 0.9, initial * rng.uniform(1.0, 1.3, n), initial * rng.uniform(0.7, 1.0, n)))
    adjusted = np.round(adjusted, 4)
    has_target = rng.random(n) < 0.97
    tg = np.where(has_target, rng.choice(np.array(GRADES[:3], dtype=object), size=n, p=[0.6, 0.32, 0.08]), None)
    ex_ante = np.where(is_new & (rng.random(n) < 0.7),
                       rng.choice(np.array(EX_ANTE_RESULTS, dtype=object), size=n, p=[0.76, 0.22, 0.02]), None)
    budget_rank = np.argsort(np.argsort(-adjusted, kind="stable"), kind="stable")
    is_key = np.array([lines.key[i] for i in line_ids]) | (budget_rank < 0.03 * n)
    pids = np.arange(first_pid, first_pid + n)
    units = np.array([lines.unit[i] for i in line_ids])
    depts = lines.org.unit_dept[units]
    names = [lines.name[i].replace("{y}", str(year)) for i in line_ids]
    cats = [lines.category[i] for i in line_ids]
    _plant_twins(names, depts, initial, adjusted, cats, lines.names_in_use, len(carry_lines))

    cols["id"] += pids.tolist()
    cols["year"] += [year] * n
    cols["code"] += [lines.code[i] for i in line_ids]
    cols["name"] += names
    cols["department_id"] += (depts + 1).tolist()
    cols["unit_id"] += (units + 1).tolist()
    cols["category"] += [lines.category[i] for i in line_ids]
    cols["fund_source"] += [lines.fund[i] for i in line_ids]
    cols["initial_budget"] += initial.tolist()
    cols["adjusted_budget"] += adjusted.tolist()
    cols["has_target"] += has_target.tolist()
    cols["target_grade"] += tg.tolist()
    cols["ex_ante_result"] += ex_ante.tolist()
    cols["is_key"] += is_key.tolist()
    cols["peer_group"] += [peer_group(name) for name in names]
    return Year(y_i, year, line_ids, pids, units, depts, names, adjusted, has_target, is_key)
