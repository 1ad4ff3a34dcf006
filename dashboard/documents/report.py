"""年度工作情况报告 draft (.docx): the structure of the bureaus' own annual reports (docs in shared/seeds),
一、绩效目标管理 … 六、存在的问题及下一步工作, every figure live, compared with the year before where it has data.

The figures come from dashboard.metrics.summary (the `summary --json` figures of the same scope and judging date) and
the metric functions the pages use (coverage, lights, evaluations by kind, findings by department, result
application). Part 六 is drafted from the gaps by rule; each of its paragraphs starts 【待编辑】 (highlighted)
for staff to rewrite. Optionally for one 主管部门.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd

from dashboard import metrics
from dashboard.core.settings import Documents, Rules
from dashboard.core.vocab import EVALUATION_KINDS, GRADES, RED
from dashboard.documents import charts
from dashboard.documents.brief import TEXT_WIDTH_MM, finish, pick, resolve
from dashboard.documents.docx_kit import NOTE, Writer, chart_font, open_template
from dashboard.metrics import summary
from dashboard.present import fmt as F  # `fmt` is the docx/pdf argument of report_document

KEY_KIND = "财政重点评价"
TOP = 10  # departments named in a ranking paragraph


class Report:
    """The facts of one year's report (all departments or one), each read once."""

    def __init__(self, url: str, year: int, department, today: dt.date, rules: Rules, docs: Documents,
                 now: dt.datetime | None = None):
        self.url, self.year, self.today, self.rules, self.docs = url, year, today, rules, docs
        self.now = now or dt.datetime.now().replace(microsecond=0)
        self.department_id = None if department in (None, "") else resolve(url, department)
        departments = () if self.department_id is None else (self.department_id,)
        self.q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year, departments=departments), rules,
                               today)
        self.key = None
        self.name = None
        if self.department_id is not None:
            options = metrics.department_options(url)
            row = options.loc[options["id"] == self.department_id].iloc[0]
            self.name = str(row["name"])
            self.key = row["code"] if isinstance(row["code"], str) and row["code"] else self.name

    @functools.cached_property
    def summary(self) -> dict:
        return summary.summary(self.url, self.year, self.key, self.today, self.rules)

    @functools.cached_property
    def previous(self) -> dict | None:
        if self.year - 1 not in metrics.available_years(self.url):
            return None
        return summary.summary(self.url, self.year - 1, self.key, self.today, self.rules)

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
    def by_kind(self) -> pd.DataFrame:
        return metrics.grade_mix_by_kind(self.q)

    @functools.cached_property
    def key_evaluations(self) -> pd.DataFrame:
        return metrics.evaluation_list(self.q, kind=KEY_KIND)

    @functools.cached_property
    def findings(self) -> pd.DataFrame:
        return metrics.findings_by_department(self.q)

    @functools.cached_property
    def result(self) -> pd.DataFrame:
        return metrics.result_application(self.q)

    @functools.cached_property
    def prev_result(self) -> pd.DataFrame | None:
        return metrics.result_application(self.prev_q()) if self.previous else None


def _yoy(now, before, kind: str, unit: str = "") -> str:
    """'，比上年增加 12 个' style comparison (empty when the year before has no data); 与上年持平 when the change
    shows as zero at the digits of its kind (dashboard.present.fmt)."""
    if F.missing(before) or F.missing(now):
        return ""
    d = float(now) - float(before)
    size = {"pct": lambda x: F.points(x * 100) + " 个百分点", "money": F.wan, "score": F.score,
            "count": lambda x: F.count(round(x), unit)}[kind]
    if size(abs(d)) == size(0):
        return "，与上年持平"
    up, down = ("提高", "下降") if kind in ("pct", "score") else ("增加", "减少")
    return f"，比上年{up if d > 0 else down} {size(abs(d))}"


def _scope_words(r: Report) -> str:
    return r.name if r.name else "全县（市）各主管部门"


def part_targets(r: Report, w: Writer) -> None:
    s, p = r.summary, r.previous
    cov, pcov = s["target_coverage"], (p or {}).get("target_coverage", {})
    target_projects = metrics.project_totals(r.q)["target_projects"]
    n_without, money_without = r.without_targets
    budget_target = s["budget_total"] - money_without
    w.para(f"{r.year} 年，{_scope_words(r)}纳入预算绩效管理的项目 {F.count(s['projects'])} 个"
           f"{_yoy(s['projects'], pick(p, ('projects',)), 'count', '个')}，涉及预算资金 {F.wan(s['budget_total'])}"
           f"{_yoy(s['budget_total'], pick(p, ('budget_total',)), 'money')}。其中设定绩效目标的项目 {F.count(target_projects)} 个、"
           f"资金 {F.wan(budget_target)}，绩效目标覆盖率按项目个数为 {F.pct(cov['by_count'])}"
           f"{_yoy(cov['by_count'], pcov.get('by_count'), 'pct')}，按资金为 {F.pct(cov['by_funds'])}"
           f"{_yoy(cov['by_funds'], pcov.get('by_funds'), 'pct')}。")
    if n_without:
        worst = r.coverage.dropna(subset=["coverage_funds"]).sort_values(["coverage_funds", "department"]).head(5)
        names = "、".join(f"{d}（{F.pct(c)}）" for d, c in zip(worst["department"], worst["coverage_funds"])
                         if c < 1)
        w.para(f"尚有 {F.count(n_without)} 个项目、{F.wan(money_without)} 资金未设定绩效目标"
               + (f"，按资金覆盖率较低的部门有{names}" if names and not r.name else "") + "。")


def part_monitoring(r: Report, w: Writer) -> None:
    s, p = r.summary, r.previous
    m, pm = s["monitoring"], (p or {}).get("monitoring", {})
    monitored_money = float(r.lights["budget"].sum()) if len(r.lights) else 0.0
    executed = float(r.lights["executed"].sum()) if len(r.lights) else 0.0
    w.para(f"截至 {F.date(m['as_of'])}，{F.count(m['reported'])} 个项目报送了绩效运行监控"
           f"{_yoy(m['reported'], pm.get('reported'), 'count', '个')}，涉及调整后预算 {F.wan(monitored_money)}，"
           f"已执行 {F.wan(executed)}，预算执行率 {F.pct(m['execution_rate'])}"
           f"{_yoy(m['execution_rate'], pm.get('execution_rate'), 'pct')}。按预警规则，绿灯 {F.count(m['green'])} 个、黄灯 "
           f"{F.count(m['yellow'])} 个、红灯 {F.count(m['red'])} 个{_yoy(m['red'], pm.get('red'), 'count', '个')}；设定了绩效目标但未报送"
           f"监控的项目 {F.count(m['grey'])} 个{_yoy(m['grey'], pm.get('grey'), 'count', '个')}。")
    reds = r.lights[r.lights["red"] > 0].sort_values(["red", "department"], ascending=[False, True])
    if len(reds) and not r.name:
        top = reds.head(TOP)
        w.para(f"红灯项目分布在 {len(reds)} 个主管部门，较多的是"
               + "、".join(f"{d}（{n} 个）" for d, n in zip(top["department"], top["red"]))
               + ("等" if len(reds) > TOP else "") + "。")
        w.picture(charts.department_bars(top["department"].tolist(), top["red"].astype(int).tolist(),
                                         "红灯项目最多的部门（个）", chart_font(r.docs)), width_mm=TEXT_WIDTH_MM)
        w.caption(f"红灯项目最多的 {len(top)} 个部门")
    elif r.name and m["red"]:
        n = metrics.warning_count(r.q, (RED,))
        w.para(f"本部门红灯项目 {n} 个，清单见本部门简报或「监控预警」页。")


def part_evaluation(r: Report, w: Writer) -> None:
    s, p = r.summary, r.previous
    e, pe = s["evaluations"], (p or {}).get("evaluations", {})
    kinds = "，".join(f"{k} {F.count(e['by_kind'][k])} 条{_yoy(e['by_kind'][k], (pe.get('by_kind') or {}).get(k), 'count', '条')}"
                     for k in EVALUATION_KINDS)
    grades = "、".join(f"{g} {F.count(e['grades'][g])} 条" for g in GRADES)
    w.para(f"{r.year} 年共完成绩效评价 {F.count(e['count'])} 条{_yoy(e['count'], pe.get('count'), 'count', '条')}：{kinds}。"
           f"评价平均分 {F.score(e['avg_score'])}{_yoy(e['avg_score'], pe.get('avg_score'), 'score')}；"
           f"等级为{grades}。单位自评与抽查复核或财政重点评价相比自评虚高的项目 {F.count(e['inflation_flags'])} 个"
           f"{_yoy(e['inflation_flags'], pe.get('inflation_flags'), 'count', '个')}。")
    rows = [(row["kind"], F.count(row["count"]), *(F.count(row[g]) for g in GRADES),
             F.score(row["avg_score"], unit=False))
            for _, row in r.by_kind.iterrows()]
    if rows:
        w.table(["评价类型", "条数", *GRADES, "平均分"], rows, widths_mm=(34, 20, 18, 18, 18, 18, 30))
    key = r.key_evaluations
    if len(key):
        money = float(key["fund_amount"].fillna(0).sum())
        w.para(f"其中财政重点评价 {F.count(len(key))} 条，涉及资金 {F.wan(money)}。得分最低的是"
               + "、".join(f"「{n}」（{F.score(sc)}，{g or '—'}）" for n, sc, g in
                          zip(key["object_name"].head(3), key["score"].head(3), key["grade"].head(3))) + "。")
    w.picture(charts.grades(e["grades"], chart_font(r.docs)), width_mm=TEXT_WIDTH_MM / 2)
    w.caption(f"{r.year} 年绩效评价等级分布")


def part_findings(r: Report, w: Writer) -> None:
    s, p = r.summary, r.previous
    f, pf = s["findings"], (p or {}).get("findings", {})
    w.para(f"评价、监控和审计等发现问题 {F.count(f['total'])} 个{_yoy(f['total'], pf.get('total'), 'count', '个')}，已整改 "
           f"{F.count(f['rectified'])} 个、整改中 {F.count(f['in_progress'])} 个、未整改 {F.count(f['not_started'])} 个，整改率 {F.pct(f['rate'])}"
           f"{_yoy(f['rate'], pf.get('rate'), 'pct')}；按 {F.date(r.today)} 判断，逾期未整改 {F.count(f['overdue'])} 个"
           f"{_yoy(f['overdue'], pf.get('overdue'), 'count', '个')}。")
    late = r.findings[r.findings["overdue"] > 0].sort_values(["overdue", "department"], ascending=[False, True])
    if len(late) and not r.name:
        top = late.head(TOP)
        w.para("逾期问题较多的部门有" + "、".join(f"{d}（{n} 个）" for d, n in zip(top["department"], top["overdue"]))
               + (f"等 {len(late)} 个部门" if len(late) > TOP else "") + "。")


def part_results(r: Report, w: Writer) -> None:
    ra, prev = r.result, r.prev_result
    if ra.empty:
        w.para("本年评价结果中没有可用于结果应用的等级记录。")
        return
    cut_n, inc_n = int(ra["cut"].sum()), int(ra["increased"].sum())
    total = float(ra["budget_change_total"].sum())
    before = None if prev is None or prev.empty else float(prev["budget_change_total"].sum())
    w.para(f"根据评价结果调整下年预算：调减 {cut_n} 条评价对应的项目预算、调增 {inc_n} 条，下年预算调整合计 "
           f"{F.change(total, 0, 'money')}" + (f"（上年为 {F.change(before, 0, 'money')}）" if before is not None else "")
           + "。按等级：" + "；".join(
               f"{row['grade']} {int(row['evaluations'])} 条，调减 {int(row['cut'])}、调增 {int(row['increased'])}，"
               f"合计 {F.change(row['budget_change_total'], 0, 'money')}" for _, row in ra.iterrows()) + "。")


def drafted_problems(r: Report) -> list[str]:
    """Part 六, drafted by rule from the gaps of the year (each paragraph marked for staff to edit)."""
    s = r.summary
    out = []
    n_without, money_without = r.without_targets
    if n_without:
        out.append(f"绩效目标尚未全覆盖：{n_without} 个项目、{F.wan(money_without)} 未设定绩效目标（按资金覆盖率 "
                   f"{F.pct(s['target_coverage']['by_funds'])}）。下一步将把绩效目标作为预算安排的前置条件，未设定目标的项目不予安排预算。")
    m = s["monitoring"]
    if m["red"] or m["grey"]:
        out.append(f"部分项目执行滞后、监控报送不全：红灯项目 {F.count(m['red'])} 个，未报送监控 {F.count(m['grey'])} 个，预算执行率 "
                   f"{F.pct(m['execution_rate'])}。下一步将对红灯项目逐一约谈，督促未报送的单位按期报送，"
                   "对执行明显滞后的资金按规定收回统筹。")
    e = s["evaluations"]
    if e["inflation_flags"]:
        out.append(f"单位自评质量有待提高：{F.count(e['inflation_flags'])} 个项目单位自评明显高于抽查复核或财政重点评价"
                   f"（高出 {r.rules.inflation_gap:g} 分以上或等级更好）。下一步将扩大抽查复核比例，并把自评质量纳入部门绩效考核。")
    low = e["grades"]["中"] + e["grades"]["差"]
    if low:
        out.append(f"部分项目绩效不佳：评价等级为中的 {F.count(e['grades']['中'])} 条、为差的 {F.count(e['grades']['差'])} 条。"
                   "下一步将落实评价结果与预算安排挂钩，对等级为差的项目原则上压减下年预算。")
    f = s["findings"]
    if f["overdue"] or (f["rate"] is not None and f["rate"] < 1):
        out.append(f"问题整改不够到位：整改率 {F.pct(f['rate'])}，逾期未整改 {F.count(f['overdue'])} 个。下一步将建立整改台账，"
                   "按月通报逾期问题，整改结果向人大报告。")
    if not out:
        out.append("本年各项指标未见明显短板。下一步将继续巩固全过程预算绩效管理，提高绩效信息公开的质量。")
    return out


PARTS = [
    ("绩效目标管理", part_targets),
    ("绩效运行监控", part_monitoring),
    ("绩效评价", part_evaluation),
    ("问题整改", part_findings),
    ("结果应用", part_results),
]


def write_report(r: Report, w: Writer) -> None:
    w.title(f"关于{r.name or ''}{r.year}年度预算绩效管理工作情况的报告", "（初稿，数据由系统生成，文字请经办人员修改）")
    prev = f"上年（{r.year - 1} 年）" if r.previous else "上年无数据，不作比较"
    w.para(f"数据截至：监控数据 {F.date(r.summary['monitoring']['as_of'])}；判断日期 {F.date(r.today)}；"
           f"同比口径：{prev}；生成时间 {F.timestamp(r.now)}。", style=NOTE)
    w.para(f"{r.year} 年，{_scope_words(r)}围绕全面实施预算绩效管理，推进绩效目标管理、运行监控、评价和结果应用。"
           "现将有关情况报告如下：", edit=True)
    for i, (title, part) in enumerate(PARTS, 1):
        w.heading(f"{F.chinese_number(i)}、{title}")
        part(r, w)
    w.heading(f"{F.chinese_number(len(PARTS) + 1)}、存在的问题及下一步工作")
    for i, text in enumerate(drafted_problems(r), 1):
        w.para(f"（{F.chinese_number(i)}）{text}", edit=True)
    w.para("注：标有【待编辑】的段落由系统按数据拟写，请经办人员核实、修改后删除标记。数据口径：预警、等级、自评虚高和逾期的规则与"
           "驾驶舱「规则说明」一致（当前阈值：红灯滞后 ≥"
           f"{r.rules.red_lag:g} 个百分点，等级 {r.rules.grade_excellent:g}/{r.rules.grade_good:g}/{r.rules.grade_pass:g} 分，"
           f"自评虚高 ≥{r.rules.inflation_gap:g} 分）。", style=NOTE)


def report_document(url: str, year: int, today: dt.date, rules: Rules, docs: Documents, department=None,
                    now: dt.datetime | None = None, fmt: str = "docx") -> bytes:
    """The annual report draft of a year (all departments, or one by id, code or name) as .docx bytes (a draft
    to edit; fmt="pdf" renders it here, for previews such as docs/documents/)."""
    r = Report(url, year, department, today, rules, docs, now)
    doc = open_template(docs)
    write_report(r, Writer(doc))
    return finish(doc, docs, fmt)
