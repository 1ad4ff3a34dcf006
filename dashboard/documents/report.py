"""年度工作情况报告 draft (.docx / .pdf) in the register of the bureaus' own work reports (shared/seeds): a title with
the region, 主送, an opening, 一、主要工作及成效 with （一）… parts and 一是、二是, 二、存在的问题, 三、下一年工作安排,
and the 落款; amounts in 亿元 from 1 亿元 up (38.18亿元), dates in Chinese (2024年8月31日, 1-8月), “” quotes, no
signs in prose (增加/减少), 个/项 counters, no words of the app.

Every figure is live: the headline figures from the `summary --json` figures of the same scope (headline_summary),
the rest from the metric functions the pages use and a few counts over the same scope (scope_where). Every
paragraph the data cannot write is marked 【待编辑】 (highlighted) with what to put there. A change is the
difference of the two figures as shown; parts that are summed are rounded so they add up to the total shown.
Optionally for one 主管部门 and one 资金来源.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re

import pandas as pd
from sqlalchemy import func, select

from dashboard import metrics
from dashboard.core.models import Finding, Project
from dashboard.core.settings import Documents, Rules
from dashboard.core.vocab import EVALUATION_OBJECTS, EX_ANTE_RESULTS, GRADES, RED
from dashboard.documents import charts
from dashboard.documents.brief import TEXT_WIDTH_MM, finish, headline_summary, pick, resolve
from dashboard.documents.docx_kit import NOTE, Writer, chart_font, open_template
from dashboard.metrics.query import frame, scope_where
from dashboard.present import fmt as F  # `fmt` is the docx/pdf argument of report_document

KEY_KIND = "财政重点评价"
SPOT_KIND = "抽查复核"
SELF_KIND = "单位自评"
TOP = 5  # departments or cases named in one sentence
YI = 10_000  # 万元 in one 亿元
_ORDINALS = "一二三四五六七八九十"


# ---- the register: money, dates, counts, changes as the seeds write them ---------------------------------------

def yi_value(x: float) -> float:
    """Money (万元) as it is shown: to 0.01 亿元 from 1 亿元 up, else to 0.01 万元 (changes use these values)."""
    x = float(x)
    return round(x / YI, 2) * YI if abs(x) >= YI else round(x, 2)


def money(x) -> str:
    """'38.18亿元' from 1 亿元 up, else '495.73万元' (no space, as the work reports write)."""
    if F.missing(x):
        return "—"
    x = yi_value(x)
    return f"{x / YI:,.2f}亿元" if abs(x) >= YI else f"{x:,.2f}万元"


def cdate(d) -> str:
    """2024-08-31 → 2024年8月31日."""
    if F.missing(d):
        return "—"
    d = dt.date.fromisoformat(d) if isinstance(d, str) else d
    return f"{d.year}年{d.month}月{d.day}日"


def months(d) -> str:
    """The months a cumulative figure covers: 2024-08-31 → 1-8月."""
    d = dt.date.fromisoformat(d) if isinstance(d, str) else d
    return f"1-{d.month}月" if d.month > 1 else "1月"


def n(x, unit: str = "个") -> str:
    return "—" if F.missing(x) else f"{int(x)}{unit}"


def wan(x) -> str:
    """Money always in 万元 ('12,345.67万元'): the parts of a sum, so that they add up to the total shown."""
    return "—" if F.missing(x) else f"{float(x):,.2f}万元"


def pct(x) -> str:
    return F.pct(x)


def change(now, before, kind: str, unit: str = "个") -> str:
    """'，比上年增加12个' from the two figures as shown (so it is their difference); '' when a year lacks it."""
    if F.missing(before) or F.missing(now):
        return ""
    if kind == "money":
        d = yi_value(now) - yi_value(before)
        size = money(abs(d)) if abs(d) >= YI else wan(abs(d))
    elif kind == "pct":
        d = round(round(float(now), 3) * 100 - round(float(before), 3) * 100, 1)
        size = f"{abs(d):.1f}个百分点"
    elif kind == "score":
        d = round(round(float(now), 1) - round(float(before), 1), 1)
        size = f"{abs(d):.1f}分"
    else:
        d = int(now) - int(before)
        size = f"{abs(d)}{unit}"
    if abs(d) < 1e-9:
        return "，与上年持平"
    up, down = ("提高", "下降") if kind in ("pct", "score") else ("增加", "减少")
    return f"，比上年{up if d > 0 else down}{size}"


def signed_money(x) -> str:
    """A budget change in words, in 万元 (the parts of a sum): 减少495.73万元 / 增加12.00万元 / 没有变化."""
    if F.missing(x) or abs(float(x)) < 0.005:
        return "没有变化"
    return ("增加" if x > 0 else "减少") + wan(abs(float(x)))


def largest_remainder(values: list[float], digits: int = 2) -> list[float]:
    """Round `values` to `digits` so that they add up to their rounded sum (largest-remainder rounding)."""
    if not values:
        return []
    scale = 10 ** digits
    total = round(sum(values) * scale)
    floors = [math.floor(v * scale) for v in values]
    rest = sorted(range(len(values)), key=lambda i: -(values[i] * scale - floors[i]))
    for i in rest[: int(total - sum(floors))]:
        floors[i] += 1
    return [f / scale for f in floors]


def ordinal(i: int) -> str:
    return _ORDINALS[i - 1] if i <= len(_ORDINALS) else str(i)


def firsts(items: list[str]) -> str:
    """一是……；二是……。"""
    return "；".join(f"{ordinal(i)}是{t.rstrip('。；')}" for i, t in enumerate(items, 1)) + "。"


def region_of(names: list[str]) -> tuple[str, str]:
    """The region the departments share (青山区) and its level word (全区), from their names."""
    found: dict[str, int] = {}
    for name in names:
        m = re.match(r"^(?:中共)?(.{1,8}?(?:自治县|自治州|区|县|市|旗|州))", name)
        if m:
            found[m.group(1)] = found.get(m.group(1), 0) + 1
    if not found:
        return "", "全"
    region, hits = max(found.items(), key=lambda kv: kv[1])
    if hits < len(names) / 2:
        return "", "全"
    level = "县" if region.endswith("自治县") else region[-1]
    return region, f"全{level}"


# ---- the facts ----------------------------------------------------------------------------------------------

class Report:
    """The facts of one year's report (all departments or one; every fund source or one), each read once."""

    def __init__(self, url: str, year: int, department, today: dt.date, rules: Rules, docs: Documents,
                 now: dt.datetime | None = None, fund: str | None = None):
        self.url, self.year, self.today, self.rules, self.docs = url, year, today, rules, docs
        self.fund = fund or None
        self.now = now or dt.datetime.now().replace(microsecond=0)
        self.department_id = None if department in (None, "") else resolve(url, department)
        departments = () if self.department_id is None else (self.department_id,)
        self.q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year, departments=departments,
                                                                         fund_source=self.fund), rules, today)
        self.key = None
        self.name = None
        options = metrics.department_options(url)
        if self.department_id is not None:
            row = options.loc[options["id"] == self.department_id].iloc[0]
            self.name = str(row["name"])
            self.key = row["code"] if isinstance(row["code"], str) and row["code"] else self.name
        self.region, self.level = region_of(options["name"].tolist())

    @property
    def who(self) -> str:
        """The scope in prose: 本部门 or 全区."""
        return "本部门" if self.name else self.level

    @functools.cached_property
    def summary(self) -> dict:
        return headline_summary(self.url, self.year, self.key, self.today, self.rules, self.fund)

    @functools.cached_property
    def previous(self) -> dict | None:
        if self.year - 1 not in metrics.available_years(self.url):
            return None
        return headline_summary(self.url, self.year - 1, self.key, self.today, self.rules, self.fund)

    def prev_q(self) -> metrics.Query:
        return self.q.scoped(year=self.year - 1)

    @functools.cached_property
    def without_targets(self) -> tuple[int, float]:
        return metrics.projects_without_targets_total(self.q)

    @functools.cached_property
    def lights(self) -> pd.DataFrame:
        return metrics.lights_by_department(self.q)

    @functools.cached_property
    def coverage(self) -> pd.DataFrame:
        return metrics.coverage_by_department(self.q)

    @functools.cached_property
    def by_fund(self) -> pd.DataFrame:
        return metrics.coverage_by_fund_source(self.q)

    @functools.cached_property
    def evaluations(self) -> pd.DataFrame:
        return metrics.evaluation_list(self.q)

    @functools.cached_property
    def findings(self) -> pd.DataFrame:
        return metrics.findings_by_department(self.q)

    @functools.cached_property
    def result(self) -> pd.DataFrame:
        return metrics.result_application(self.q)

    @functools.cached_property
    def prev_result(self) -> pd.DataFrame | None:
        return metrics.result_application(self.prev_q()) if self.previous else None

    @functools.cached_property
    def ex_ante(self) -> dict[str, int]:
        """事前绩效评估 results: projects per result (支持 / 调整后支持 / 不予支持)."""
        df = frame(self.url, select(Project.ex_ante_result, func.count()).where(
            *scope_where(Project, self.q.scope), Project.ex_ante_result.is_not(None)).group_by(Project.ex_ante_result))
        got = dict(zip(df.iloc[:, 0], df.iloc[:, 1])) if len(df) else {}
        return {k: int(got.get(k, 0)) for k in EX_ANTE_RESULTS}

    @functools.cached_property
    def target_grades(self) -> dict[str, int]:
        """绩效目标审核 grades: projects per grade."""
        df = frame(self.url, select(Project.target_grade, func.count()).where(
            *scope_where(Project, self.q.scope), Project.target_grade.is_not(None)).group_by(Project.target_grade))
        got = dict(zip(df.iloc[:, 0], df.iloc[:, 1])) if len(df) else {}
        return {k: int(got.get(k, 0)) for k in GRADES}

    @functools.cached_property
    def finding_sources(self) -> pd.DataFrame:
        """Findings per source: count and the amount involved (万元), most first."""
        src = func.coalesce(Finding.source, "其他")
        df = frame(self.url, select(src.label("source"), func.count().label("n"),
                                    func.sum(Finding.amount).label("amount"))
                   .where(*scope_where(Finding, self.q.scope)).group_by(src))
        return df.sort_values(["n", "source"], ascending=[False, True]).reset_index(drop=True)

    @functools.cached_property
    def cases(self) -> pd.DataFrame:
        """Result-application cases with a 下年预算调整, largest change first: project, grade, budget before → after."""
        e = self.evaluations
        e = e[e["next_year_budget_change"].notna() & e["project_id"].notna()]
        if e.empty:
            return e.assign(budget=[])
        ids = [int(i) for i in e["project_id"].unique()]
        budget = frame(self.url, select(Project.id, func.coalesce(Project.adjusted_budget, Project.initial_budget))
                       .where(Project.id.in_(ids)))
        by_id = dict(zip(budget.iloc[:, 0], budget.iloc[:, 1]))
        e = e.assign(budget=e["project_id"].map(lambda i: by_id.get(int(i))),
                     _size=-e["next_year_budget_change"].abs())
        return e.sort_values(["_size", "evaluation_id"]).reset_index(drop=True)


# ---- 一、主要工作及成效 -----------------------------------------------------------------------------------------

def part_targets(r: Report) -> list[str]:
    s, p = r.summary, r.previous
    cov, pcov = s["target_coverage"], (p or {}).get("target_coverage", {})
    target_projects = metrics.project_totals(r.q)["target_projects"]
    n_without, money_without = r.without_targets
    items = []
    scope = (f"{n(s['departments'])}主管部门、{n(s['units'])}预算单位的" if not r.name else
             f"{n(s['units'])}预算单位的")
    items.append(f"{r.year}年{r.who}{scope}{n(s['projects'])}项目纳入预算绩效管理"
                 f"{change(s['projects'], pick(p, ('projects',)), 'count')}，涉及预算资金{money(s['budget_total'])}"
                 f"{change(s['budget_total'], pick(p, ('budget_total',)), 'money')}；其中设定绩效目标的项目"
                 f"{n(target_projects)}、资金{money(s['budget_total'] - money_without)}，绩效目标覆盖率按项目个数为"
                 f"{pct(cov['by_count'])}{change(cov['by_count'], pcov.get('by_count'), 'pct')}，按资金为"
                 f"{pct(cov['by_funds'])}{change(cov['by_funds'], pcov.get('by_funds'), 'pct')}")
    funds = r.by_fund[r.by_fund["projects"] > 0]
    if len(funds) > 1 and not r.fund:
        # rounded so that the parts add up to the total shown (largest remainders get the last 0.01)
        shown = largest_remainder([float(x) / YI if yi_value(s["budget_total"]) >= YI else float(x)
                                   for x in funds["budget"]])
        unit = "亿元" if yi_value(s["budget_total"]) >= YI else "万元"
        items.append("分预算类别看，" + "，".join(
            f"{row['fund_source']}{n(row['projects'])}项目、{v:,.2f}{unit}，资金覆盖率{pct(row['coverage_funds'])}"
            for v, (_, row) in zip(shown, funds.iterrows())) + f"（各类别资金按四舍五入后合计与总额{money(s['budget_total'])}一致）")
    ea = r.ex_ante
    if sum(ea.values()):
        items.append(f"对{n(sum(ea.values()))}新增项目开展事前绩效评估，评估结论为支持的{n(ea['支持'])}、调整后支持的"
                     f"{n(ea['调整后支持'])}、不予支持的{n(ea['不予支持'])}")
    tg = r.target_grades
    if sum(tg.values()):
        items.append(f"审核{n(sum(tg.values()))}项目的绩效目标，审核结果为" + "、".join(f"{g}{n(tg[g])}" for g in GRADES))
    out = [firsts(items)]
    if n_without:
        worst = r.coverage.dropna(subset=["coverage_funds"]).sort_values(["coverage_funds", "department"]).head(TOP)
        names = "、".join(f"{d}（{pct(c)}）" for d, c in zip(worst["department"], worst["coverage_funds"]) if c < 1)
        out.append(f"尚有{n(n_without)}项目、{money(money_without)}资金未设定绩效目标"
                   + (f"，按资金覆盖率较低的部门有{names}" if names and not r.name else "") + "。")
    return out


def part_monitoring(r: Report) -> list[str]:
    s, p = r.summary, r.previous
    m, pm = s["monitoring"], (p or {}).get("monitoring", {})
    monitored_money = float(r.lights["budget"].sum()) if len(r.lights) else 0.0
    executed = float(r.lights["executed"].sum()) if len(r.lights) else 0.0
    if not m["as_of"]:
        return ["本年没有绩效运行监控数据。"]
    as_of = dt.date.fromisoformat(m["as_of"])
    items = [(f"组织{n(m['reported'])}项目报送{months(as_of)}绩效运行监控情况"
              f"{change(m['reported'], pm.get('reported'), 'count')}，涉及调整后预算{money(monitored_money)}，截至"
              f"{cdate(as_of)}已执行{money(executed)}，预算执行率{pct(m['execution_rate'])}"
              f"{change(m['execution_rate'], pm.get('execution_rate'), 'pct')}"),
             (f"按预警规则，绿灯项目{n(m['green'])}、黄灯{n(m['yellow'])}、红灯{n(m['red'])}"
              f"{change(m['red'], pm.get('red'), 'count')}，设定了绩效目标但未报送监控的项目{n(m['grey'])}"
              f"{change(m['grey'], pm.get('grey'), 'count')}")]
    reds = r.lights[r.lights["red"] > 0].sort_values(["red", "department"], ascending=[False, True])
    if len(reds) and not r.name:
        top = reds.head(TOP)
        items.append(f"红灯项目分布在{n(len(reds))}主管部门，较多的是"
                     + "、".join(f"{d}（{int(k)}个）" for d, k in zip(top["department"], top["red"]))
                     + ("等" if len(reds) > TOP else ""))
    elif r.name and m["red"]:
        items.append(f"本部门红灯项目{n(metrics.warning_count(r.q, (RED,)))}，已逐一要求说明原因")
    out = [firsts(items)]
    if as_of < dt.date(r.year, 12, 31):
        out.append(f"以上执行数据截至{cdate(as_of)}（{months(as_of)}），不是全年执行数"
                   + ("；全年执行情况以决算为准，请补充全年预算执行率和决算数。" if r.today > dt.date(r.year, 12, 31)
                      else "。"))
    return out


def monitoring_chart(r: Report, w: Writer) -> None:
    reds = r.lights[r.lights["red"] > 0].sort_values(["red", "department"], ascending=[False, True])
    if len(reds) and not r.name:
        top = reds.head(10)
        w.picture(charts.department_bars(top["department"].tolist(), top["red"].astype(int).tolist(),
                                         "红灯项目最多的部门（个）", chart_font(r.docs)), width_mm=TEXT_WIDTH_MM)
        w.caption(f"红灯项目最多的{len(top)}个部门")


def part_evaluation(r: Report) -> list[str]:
    s, p = r.summary, r.previous
    e, pe = s["evaluations"], (p or {}).get("evaluations", {})
    ev = r.evaluations
    by_kind = e["by_kind"]
    prev_kind = pe.get("by_kind") or {}
    items = [(f"组织预算单位开展绩效自评{n(by_kind.get(SELF_KIND, 0))}（含部门整体支出和政策）"
              f"{change(by_kind.get(SELF_KIND, 0), prev_kind.get(SELF_KIND), 'count')}")]
    if by_kind.get("部门评价"):
        items.append(f"主管部门开展部门评价{n(by_kind['部门评价'])}"
                     f"{change(by_kind['部门评价'], prev_kind.get('部门评价'), 'count')}")
    key = ev[ev["kind"] == KEY_KIND]
    if len(key):
        objs = key["object_type"].value_counts()
        split = "、".join(f"{o}{int(objs[o])}个" for o in EVALUATION_OBJECTS if objs.get(o))
        amount = float(key["fund_amount"].fillna(0).sum())
        third = sorted({str(x) for x in key["evaluator"].dropna() if str(x).strip()})
        deputies = int(key["deputies_participated"].fillna(False).astype(bool).sum())
        text = (f"财政部门选取{n(len(key))}重点项目和政策开展重点评价（{split}），涉及资金{money(amount)}"
                + ("（含部门整体支出和政策的全部资金，不只是本年项目预算，故可能大于项目预算合计）"
                   if objs.get("部门整体支出") or objs.get("政策") else ""))
        if third:
            text += f"，委托{'、'.join(f'“{t}”' for t in third[:TOP])}{'等' if len(third) > TOP else ''}" \
                    f"{n(len(third), '家')}第三方机构实施"
        if deputies:
            text += f"，邀请人大代表参与其中{n(deputies)}项目的评价"
        items.append(text)
    spot = by_kind.get(SPOT_KIND, 0)
    if spot:
        base = by_kind.get(SELF_KIND, 0)
        items.append(f"对单位自评结果抽查复核{n(spot)}" + (f"，抽查比例{pct(spot / base)}" if base else ""))
    grades = "、".join(f"{g}{n(e['grades'][g])}" for g in GRADES)
    items.append(f"全年共完成评价{n(e['count'])}{change(e['count'], pe.get('count'), 'count')}，等级为{grades}，平均分"
                 f"{F.score(e['avg_score'], unit=False)}分{change(e['avg_score'], pe.get('avg_score'), 'score')}")
    objs_all = ev["object_type"].value_counts() if len(ev) else pd.Series(dtype=int)
    if len(objs_all):
        items[-1] += "；按评价对象，" + "、".join(f"{o}{int(objs_all[o])}个" for o in EVALUATION_OBJECTS if objs_all.get(o))
    out = [firsts(items)]
    if e["inflation_flags"]:
        out.append(f"抽查复核和重点评价发现，{n(e['inflation_flags'])}项目的单位自评明显高于独立评价"
                   f"（高出{r.rules.inflation_gap:g}分以上或等级更高），自评质量有待提高。")
    return out


def part_findings(r: Report) -> list[str]:
    s, p = r.summary, r.previous
    f, pf = s["findings"], (p or {}).get("findings", {})
    src = r.finding_sources
    items = [f"评价、监控和审计等发现问题{n(f['total'])}{change(f['total'], pf.get('total'), 'count')}"]
    if len(src):
        amounts = src["amount"].fillna(0).tolist()
        shown = largest_remainder(amounts)
        items[-1] += "，其中" + "、".join(
            f"{row['source']}发现{n(row['n'])}" + (f"（涉及金额{wan(a)}）" if a else "")
            for a, (_, row) in zip(shown, src.iterrows()))
        total_amount = sum(shown)
        if total_amount:
            items[-1] += f"，涉及金额合计{wan(total_amount)}（各项之和）"
    items.append(f"已整改{n(f['rectified'])}、整改中{n(f['in_progress'])}、未整改{n(f['not_started'])}，整改率"
                 f"{pct(f['rate'])}{change(f['rate'], pf.get('rate'), 'pct')}")
    items.append(f"截至{cdate(r.today)}，逾期未整改{n(f['overdue'])}{change(f['overdue'], pf.get('overdue'), 'count')}")
    late = r.findings[r.findings["overdue"] > 0].sort_values(["overdue", "department"], ascending=[False, True])
    if len(late) and not r.name:
        top = late.head(TOP)
        items.append("逾期问题较多的部门有" + "、".join(f"{d}（{int(k)}个）" for d, k in zip(top["department"], top["overdue"]))
                     + (f"等{n(len(late))}部门" if len(late) > TOP else ""))
    return [firsts(items)]


def part_results(r: Report) -> list[str]:
    ra, prev = r.result, r.prev_result
    if ra.empty:
        return ["本年评价结果中没有可用于结果应用的等级记录。"]
    parts = largest_remainder([float(x) for x in ra["budget_change_total"].fillna(0)])
    total = sum(parts)
    before = None if prev is None or prev.empty else float(prev["budget_change_total"].sum())
    items = [f"根据评价结果调整下年预算，调减{n(int(ra['cut'].sum()))}评价对象的预算、调增{n(int(ra['increased'].sum()))}，"
             f"下年预算合计{signed_money(total)}" + (f"（上年{signed_money(before)}）" if before is not None else ""),
             "按评价等级，" + "；".join(f"{row['grade']}{n(row['evaluations'])}，调减{n(row['cut'])}、调增{n(row['increased'])}，"
                                      f"合计{signed_money(v)}" for v, (_, row) in zip(parts, ra.iterrows()))
             + "（各等级金额之和即合计数）"]
    cases = r.cases.head(TOP)
    if len(cases):
        items.append("调整较大的有" + "；".join(
            f"“{c['object_name']}”（{c['kind']}等级为{c['grade'] or '—'}），预算由{money(c['budget'])}调整为"
            f"{money(float(c['budget']) + float(c['next_year_budget_change']))}" if not F.missing(c["budget"]) else
            f"“{c['object_name']}”（{c['kind']}等级为{c['grade'] or '—'}），下年预算{signed_money(c['next_year_budget_change'])}"
            for _, c in cases.iterrows()))
    return [firsts(items)]


# ---- 二、存在的问题 三、下一年工作安排 ---------------------------------------------------------------------------

def drafted_problems(r: Report) -> list[str]:
    """二、存在的问题, drafted by rule from the gaps of the year (each paragraph marked for staff to edit)."""
    s = r.summary
    out = []
    n_without, money_without = r.without_targets
    if n_without:
        out.append(f"绩效目标尚未全覆盖。{n(n_without)}项目、{money(money_without)}未设定绩效目标，按资金覆盖率为"
                   f"{pct(s['target_coverage']['by_funds'])}。")
    m = s["monitoring"]
    if m["red"] or m["grey"]:
        out.append(f"部分项目执行滞后、监控报送不全。红灯项目{n(m['red'])}，未报送监控{n(m['grey'])}，"
                   f"截至{cdate(m['as_of'])}预算执行率{pct(m['execution_rate'])}。")
    e = s["evaluations"]
    if e["inflation_flags"]:
        out.append(f"单位自评质量有待提高。{n(e['inflation_flags'])}项目单位自评明显高于抽查复核或重点评价。")
    if e["grades"]["中"] + e["grades"]["差"]:
        out.append(f"部分项目绩效不佳。评价等级为中的{n(e['grades']['中'])}、为差的{n(e['grades']['差'])}。")
    f = s["findings"]
    if f["overdue"] or (f["rate"] is not None and f["rate"] < 1):
        out.append(f"问题整改不够到位。整改率{pct(f['rate'])}，逾期未整改{n(f['overdue'])}。")
    if not out:
        out.append("本年数据未见明显短板。请写明工作中仍存在的不足。")
    return out


def drafted_plans(r: Report) -> list[str]:
    """三、下一年工作安排: one line per gap, each for staff to complete."""
    s = r.summary
    out = []
    if r.without_targets[0]:
        out.append("全面设定绩效目标。把绩效目标作为预算安排的前置条件，未设定目标的项目不予安排预算。请补充具体措施和时间。")
    if s["monitoring"]["red"] or s["monitoring"]["grey"]:
        out.append("强化运行监控。对红灯项目逐一约谈，督促未报送的单位按期报送，执行明显滞后的资金按规定收回统筹。请补充。")
    if s["evaluations"]["grades"]["中"] + s["evaluations"]["grades"]["差"] or s["evaluations"]["inflation_flags"]:
        out.append("提高评价质量、硬化结果应用。扩大抽查复核比例，评价结果与预算安排挂钩，等级为差的项目原则上压减预算。请补充。")
    if s["findings"]["overdue"]:
        out.append("抓好问题整改。建立整改台账，按月通报逾期问题，整改结果向人大报告。请补充。")
    out.append("请写明下一年新增的重点工作（如制度建设、事前绩效评估、部门整体绩效评价、信息公开、培训等）。")
    return out


# ---- the document ---------------------------------------------------------------------------------------------

def write_report(r: Report, w: Writer) -> None:
    place = r.name or r.region
    w.title(f"关于{place}{r.year}年度预算绩效管理工作情况的报告",
            "（初稿）" + (f"（仅含“{r.fund}”资金）" if r.fund else ""))
    w.para(f"{r.region}人大常委会：" if r.region else "主送单位：", edit=True)
    as_of = r.summary["monitoring"]["as_of"]
    w.para(f"数据说明：项目、评价和问题数据为{r.year}年度全部记录"
           + (f"，资金来源为“{r.fund}”" if r.fund else "，含全部资金来源")
           + (f"；运行监控数据截至{cdate(as_of)}" if as_of else "") + f"；逾期按{cdate(r.today)}判断；"
           + (f"同比口径为{r.year - 1}年。" if r.previous else f"{r.year - 1}年没有数据，不作比较。")
           + f"本稿生成于{cdate(r.now.date())}，标有【待编辑】的段落请经办人员按提示改写后删除标记。", style=NOTE)
    w.para(f"{r.year}年，{r.who}坚持“预算编制有目标、预算执行有监控、预算完成有评价、评价结果有反馈、反馈结果有应用”，"
           "全面实施预算绩效管理。请补充本年的总体做法（领导重视、制度建设、培训等）。现将有关情况报告如下：", edit=True)
    w.heading("一、主要工作及成效")
    sections = [("绩效目标管理", lambda: part_targets(r)), ("绩效运行监控", lambda: part_monitoring(r)),
                ("绩效评价", lambda: part_evaluation(r)), ("问题整改", lambda: part_findings(r)),
                ("结果应用", lambda: part_results(r))]
    for i, (title, part) in enumerate(sections, 1):
        w.heading(f"（{ordinal(i)}）{title}", level=2)
        for text in part():
            w.para(text)
        if title == "绩效运行监控":
            monitoring_chart(r, w)
        if title == "绩效评价":
            w.picture(charts.grades(r.summary["evaluations"]["grades"], chart_font(r.docs)), width_mm=TEXT_WIDTH_MM / 2)
            w.caption(f"{r.year}年绩效评价等级分布")
    w.heading("二、存在的问题")
    for i, text in enumerate(drafted_problems(r), 1):
        w.para(f"（{ordinal(i)}）{text}请核实并补充原因。", edit=True)
    w.heading(f"三、{r.year + 1}年工作安排")
    for i, text in enumerate(drafted_plans(r), 1):
        w.para(f"（{ordinal(i)}）{text}", edit=True)
    sign = w.para(f"{r.region}财政局" if r.region else "（落款单位）", edit=True)
    sign.alignment = 2  # right
    day = w.para(cdate(r.now.date()), edit=True)
    day.alignment = 2
    w.para("注：预警、评价等级、自评虚高和逾期按统一口径计算（红灯：执行或目标进度滞后序时进度"
           f"{r.rules.red_lag:g}个百分点以上；评价等级：{r.rules.grade_excellent:g}分以上为优、{r.rules.grade_good:g}分以上为良、"
           f"{r.rules.grade_pass:g}分以上为中、其余为差；自评虚高：自评比独立评价高{r.rules.inflation_gap:g}分以上）。", style=NOTE)


def report_document(url: str, year: int, today: dt.date, rules: Rules, docs: Documents, department=None,
                    now: dt.datetime | None = None, fmt: str = "docx", fund: str | None = None) -> bytes:
    """The annual report draft of a year (all departments, or one by id, code or name; every fund source or one)
    as .docx bytes (a draft to edit; fmt="pdf" renders it here, for previews such as docs/documents/)."""
    r = Report(url, year, department, today, rules, docs, now, fund)
    doc = open_template(docs)
    write_report(r, Writer(doc))
    return finish(doc, docs, fmt)

