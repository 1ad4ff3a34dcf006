"""部门简报: one 主管部门 and year as a hearing brief (.docx, or .pdf through LibreOffice), and the batch of briefs.

Every figure comes from the metric functions the pages use: the headline figures from dashboard.metrics.summary (what
`summary --json` prints for the same department, year and judging date), the lists from the same metric calls
as 部门画像 (warning_list red + grey, open_findings, evaluation_list, inflation_list), the rank from
department_ranking. A brief is `SECTIONS` in order: each entry is (title, function(brief)) and adding a section
(say, indicators not met) is one line there; section numbers follow the order. `questions()` drafts the
建议关注的问题 from the facts by rule, each with the figure it rests on. Every threshold it writes is the
configured one (Rules, Documents) and every figure reads as on screen (dashboard.present.fmt).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from dashboard import metrics
from dashboard.core import quality as Q
from dashboard.core import rules as R
from dashboard.core.settings import Documents, Rules
from dashboard.core.vocab import BATCH_SOURCE_LABELS, GREY, LIGHT_LABELS, RED, STAGE_LABELS
from dashboard.documents import charts
from dashboard.documents.docx_kit import (
    NOTE,
    DocumentError,
    Writer,
    chart_font,
    fallback_fonts,
    open_template,
    to_bytes,
    update_fields_on_open,
)
from dashboard.documents.pdf import docx_to_pdf
from dashboard.metrics import summary
from dashboard.metrics.inquiries import LATE as INQUIRY_LATE
from dashboard.metrics.inquiries import OVERDUE as INQUIRY_OVERDUE
from dashboard.metrics.query import cached
from dashboard.present import fmt as F  # `fmt` is the docx/pdf argument of the entry points
from dashboard.present.qr import department_link, qr_png

LOW_GRADES = ("中", "差")
QUESTIONS_PER_RULE = 3
TEXT_WIDTH_MM = 156  # A4 210 mm − margins 28 + 26


@dataclass(frozen=True)
class Question:
    """One drafted 建议关注的问题: the question, the figure it rests on, and those figures as values (for tests)."""

    rule: str
    text: str
    basis: str
    figures: dict = field(default_factory=dict)


class Brief:
    """The facts of one department's brief, each read once from the metrics (cached on the instance)."""

    def __init__(self, url: str, year: int, department_id: int, today: dt.date, rules: Rules, docs: Documents,
                 now: dt.datetime | None = None, peer_names: bool = True, fund: str | None = None,
                 link_base: str | None = None):
        self.url, self.year, self.department_id = url, year, int(department_id)
        self.link_base = link_base or docs.public_url or None  # the app's address: a QR code of the live page
        self.fund = fund or None  # one 资金来源 (the page's filter), None = every fund source
        self.peer_names = peer_names  # False for a department-limited reader: other departments stay unnamed
        self.today, self.rules, self.docs = today, rules, docs
        self.now = now or dt.datetime.now().replace(microsecond=0)
        self.notes: dict[str, str] = {}  # footnote markers, set when the brief is written
        self.q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year, departments=(self.department_id,),
                                                                            fund_source=self.fund), rules, today)
        options = metrics.department_options(url)
        row = options.loc[options["id"] == self.department_id]
        if row.empty:
            raise summary.UnknownDepartment(f"找不到主管部门（编号 {department_id}）。")
        self.name = str(row["name"].iloc[0])
        self.code = None if pd.isna(row["code"].iloc[0]) else str(row["code"].iloc[0])
        self.kind = str(row["kind"].iloc[0]) if "kind" in row and not pd.isna(row["kind"].iloc[0]) else "部门"

    # ---- figures -----------------------------------------------------------------------------------------
    @functools.cached_property
    def summary(self) -> dict:
        """`summary --json` of this department, year and judging date: the headline figures."""
        return headline_summary(self.url, self.year, self.code or self.name, self.today, self.rules, self.fund)

    @functools.cached_property
    def previous(self) -> dict | None:
        """The same figures of the year before, when that year has data."""
        if self.year - 1 not in metrics.available_years(self.url):
            return None
        return headline_summary(self.url, self.year - 1, self.code or self.name, self.today, self.rules, self.fund)

    @functools.cached_property
    def ranking(self) -> pd.DataFrame:
        return metrics.department_ranking(self.q)

    @functools.cached_property
    def rank(self) -> dict | None:
        r = self.ranking.loc[self.ranking["department_id"] == self.department_id]
        if r.empty:
            return None
        r = r.iloc[0]
        ranked = int(self.ranking["rank"].notna().sum())
        return {"rank": None if pd.isna(r["rank"]) else int(r["rank"]),
                "prev_rank": None if pd.isna(r["prev_rank"]) else int(r["prev_rank"]),
                "composite": None if pd.isna(r["composite"]) else float(r["composite"]),
                "small_sample": bool(r["small_sample"]), "projects": int(r["projects"]), "of": ranked}

    @functools.cached_property
    def trend(self) -> pd.DataFrame:
        t = metrics.department_trend(self.q, self.department_id)
        return t[t["year"] <= self.year].tail(3).reset_index(drop=True)

    @functools.cached_property
    def provenance(self) -> dict:
        return metrics.provenance(self.q)

    @functools.cached_property
    def application_flags(self) -> pd.DataFrame:
        """This department's 结果应用台账 flags (RA1–RA5): rule, label, count, the first NAMED names."""
        df = metrics.application_flags_by_department(self.q, names=NAMED)
        return df[df["department_id"] == self.department_id].reset_index(drop=True)

    @functools.cached_property
    def target_quality(self) -> dict:
        """目标质量 (TQ1–TQ8): the summary counts and the projects with most flags."""
        return {"summary": metrics.target_quality_summary(self.q),
                "projects": metrics.quality_projects(self.q, limit=NAMED)}

    @functools.cached_property
    def warnings(self) -> pd.DataFrame:
        """Red and grey projects, worst lag first: the 部门画像 list 红灯与未报送."""
        return metrics.warning_list(self.q, lights=(RED, GREY))

    @functools.cached_property
    def evaluations(self) -> pd.DataFrame:
        return metrics.evaluation_list(self.q)

    @functools.cached_property
    def low_grades(self) -> pd.DataFrame:
        """Evaluations graded 中 or 差, lowest score first."""
        e = self.evaluations
        return e[e["grade"].isin(LOW_GRADES)].reset_index(drop=True)

    @functools.cached_property
    def inflation(self) -> pd.DataFrame:
        """Projects whose self-evaluation is flagged as inflated, largest gap first."""
        df = metrics.inflation_list(self.q)
        return df[df["flagged"]].reset_index(drop=True)

    @functools.cached_property
    def open_findings(self) -> pd.DataFrame:
        """Findings not yet 已整改, earliest deadline first: the 部门画像 list 未销号问题."""
        return metrics.open_findings(self.q)

    @functools.cached_property
    def finding_projects(self) -> set[int]:
        f = metrics.findings_list(self.q)
        return {int(p) for p in f["project_id"].dropna()}

    @functools.cached_property
    def result_application(self) -> pd.DataFrame:
        return metrics.result_application(self.q)

    @functools.cached_property
    def budget_changes(self) -> pd.DataFrame:
        """Evaluations with a 下年预算调整, largest change first (by size, cuts and increases alike): when the list
        is cut, the changes that matter stay."""
        e = self.evaluations
        e = e[e["next_year_budget_change"].notna()]
        order = e.assign(_size=-e["next_year_budget_change"].abs()).sort_values(["_size", "evaluation_id"]).index
        return e.loc[order].reset_index(drop=True)

    @functools.cached_property
    def unmet_indicators(self) -> pd.DataFrame:
        """Indicators judged 未完成 at each project's most advanced stage: the 评价结果 list 未完成的指标."""
        return metrics.unmet_indicators(self.q, limit=self.docs.list_rows)

    @functools.cached_property
    def unmet_indicators_count(self) -> int:
        return metrics.unmet_indicators_count(self.q)

    @functools.cached_property
    def prev_ranking(self) -> pd.DataFrame:
        """Last year's department_ranking (sub-scores and composite), for the rank_drop question."""
        return metrics.department_ranking(self.q.scoped(year=self.year - 1, departments=()))

    @functools.cached_property
    def all_unmet_indicators(self) -> pd.DataFrame:
        """Every indicator judged 未完成 (not cut to list_rows), for the unmet_indicators question."""
        return metrics.unmet_indicators(self.q)

    @functools.cached_property
    def without_targets_total(self) -> tuple[int, float]:
        """(projects without 绩效目标, their budget in 万元)."""
        return metrics.projects_without_targets_total(self.q)

    @functools.cached_property
    def repeats(self) -> pd.DataFrame:
        """屡审屡犯 of the year (docs/rules.md 整改, R-Z4): findings with an earlier finding of the same kind."""
        return metrics.repeat_findings(self.q)

    @functools.cached_property
    def rectification(self) -> dict:
        """已核验 / 待核验 and the two rates (metrics.rectification_summary), with the first unverified findings."""
        return {"summary": metrics.rectification_summary(self.q),
                "unverified": metrics.unverified_findings(self.q, limit=NAMED)}

    @functools.cached_property
    def without_target_projects(self) -> pd.DataFrame:
        """Projects without 绩效目标, largest budget first (the first few, for the questions)."""
        return metrics.projects_without_targets(self.q, limit=NAMED)

    @functools.cached_property
    def peers(self) -> dict:
        return peer_context(self.q.scoped(departments=()), self.department_id)

    @functools.cached_property
    def inquiries(self) -> dict:
        """询问台账 (issue 26) of the year: the totals (metrics.inquiry_summary) and the overdue questions — 逾期未答复
        then 逾期答复, newest asked first (they belong to the department, not to a fund source)."""
        return {"summary": metrics.inquiry_summary(self.q),
                "overdue": metrics.inquiry_list(self.q, states=(INQUIRY_OVERDUE, INQUIRY_LATE))}

    @property
    def fund_words(self) -> str:
        return f"资金来源为“{self.fund}”的项目" if self.fund else "全部资金来源"

    @functools.cached_property
    def questions(self) -> list[Question]:
        return questions(self)


def headline_summary(url: str, year: int, department, today: dt.date, rules: Rules, fund: str | None = None) -> dict:
    """`summary --json` of a department (or all), year and judging date; with `fund`, the same figures over the
    projects of one 资金来源 (and the evaluations and findings linked to them, as the pages' filter scopes them)."""
    out = summary.summary(url, year, department, today, rules, fund_source=fund or None)
    return {**out, "fund_source": fund} if fund else out


# ---- peer context -------------------------------------------------------------------------------------------

PEER_FIGURES = [("coverage_funds", "绩效目标覆盖率（按资金）", "pct"), ("execution_rate", "预算执行率", "pct"),
                ("avg_score", "评价平均分", "score"), ("rate", "整改率", "pct"),
                ("red_share", "红灯项目占已报送比例", "pct"), ("composite", "综合得分", "score")]


@cached()
def peer_frame(q: metrics.Query) -> pd.DataFrame:
    """Per 主管部门 of the year: budget, sector and the figures peer context compares (all from metrics);
    cached per query (each brief of a batch asks for the same frame)."""
    ranking = metrics.department_ranking(q)
    cov = metrics.coverage_by_department(q)[["department_id", "department", "budget", "coverage_funds"]]
    lights = metrics.lights_by_department(q)[["department_id", "execution_rate", "red", "reported"]]
    grades = metrics.grade_mix_by_department(q)[["department_id", "avg_score"]]
    finds = metrics.findings_by_department(q)[["department_id", "rate"]]
    df = cov.merge(lights, on="department_id", how="left").merge(grades, on="department_id", how="left") \
        .merge(finds, on="department_id", how="left") \
        .merge(ranking[["department_id", "composite"]], on="department_id", how="left")
    df["red_share"] = (df["red"] / df["reported"]).where(df["reported"] > 0)
    sectors = metrics.department_sectors(q.url)
    df["sector"] = df["department_id"].map(sectors)
    options = metrics.department_options(q.url)
    df["kind"] = df["department_id"].map(dict(zip(options["id"], options["kind"]))).fillna("部门")
    return df


KIND_WORDS = {"部门": "部门", "乡镇街道": "乡镇（街道）", "园区": "园区"}


def peer_context(q: metrics.Query, department_id: int) -> dict:
    """Comparable departments, always of the same kind (部门 / 乡镇街道 / 园区, the departments' 类型): among them
    the same 所属领域 where at least two others share it, else a budget between half and twice this one's, else
    (none within that range) every other department of the kind.
    Returns the rule used, the peers, the median of each figure, and the composite position among every
    department of the kind."""
    df = peer_frame(q).copy()
    me = df.loc[df["department_id"] == department_id]
    if me.empty:
        return {"basis": None, "peers": [], "mine": {}, "median": {}, "kind": None, "kind_rank": None}
    me = me.iloc[0]
    kind = me["kind"]
    df = df[df["kind"] == kind]
    scored = df.dropna(subset=["composite"]).sort_values(["composite", "department"], ascending=[False, True])
    kind_rank = ({"rank": int(list(scored["department_id"]).index(department_id)) + 1, "of": len(scored)}
                 if department_id in set(scored["department_id"]) else None)
    others = df[df["department_id"] != department_id]
    sector = me["sector"] if isinstance(me["sector"], str) and me["sector"] else None
    same = others[others["sector"] == sector] if sector else others.iloc[0:0]
    if len(same) >= 2:
        peers, basis = same, f"同为{KIND_WORDS.get(kind, kind)}、同属“{sector}”领域的 {len(same)} 个主管部门"
    else:
        budget = float(me["budget"] or 0)
        peers = others[(others["budget"] >= budget / 2) & (others["budget"] <= budget * 2)] if budget > 0 else \
            others.iloc[0:0]
        basis = f"同为{KIND_WORDS.get(kind, kind)}、预算规模在本部门一半到两倍之间的 {len(peers)} 个主管部门"
        if peers.empty and len(others):  # a kind with few members (园区): all of them rather than none
            peers, basis = others, f"同为{KIND_WORDS.get(kind, kind)}的 {len(others)} 个主管部门（预算规模相差较大）"
    median = {}
    for key, _, _ in PEER_FIGURES:
        values = [float(v) for v in peers[key] if not F.missing(v)]
        median[key] = statistics.median(values) if values else None
    return {"basis": basis, "peers": sorted(peers["department"].tolist()),
            "mine": {k: (None if F.missing(me[k]) else float(me[k])) for k, _, _ in PEER_FIGURES},
            "median": median, "kind": kind, "kind_rank": kind_rank}


# ---- the questions ------------------------------------------------------------------------------------------
# Each question comes from one small rule function `(brief) -> list[Question]` in QUESTION_RULES, documented in
# docs/rules.md (简报问题): its id, when it fires, the evidence it cites, its wording. Adding a rule is one
# function and one entry in QUESTION_RULES; `questions()` runs them in order and drops a question whose text
# another rule already asked. Thresholds of the rules (module defaults until they are [documents] settings):
EXECUTION_DROP_PP = 5.0      # execution_drop: the execution rate fell by at least this many percentage points
RANK_DROP = 5                # rank_drop: the composite rank fell by at least this many places
RECTIFICATION_DROP_PP = 10.0  # rectification_drop: the 整改率 fell by at least this many percentage points
NO_TARGET_SHARE = 0.10       # no_targets: at least this share of the budget has no 绩效目标
ATTENTION_MIN_RULES = 5      # the batch's --only-attention: departments on which at least this many rules fire
NAMED = 3                    # projects named in one question


def _name(row) -> str:
    name = row.get("name") if "name" in row else row.get("object_name")
    return str(name if not F.missing(name) else row.get("object_name") or "—")


def quoted(names, limit: int = NAMED) -> str:
    """“甲”“乙”“丙” (the first `limit` distinct names) + 等 N 个 when there are more."""
    names = list(dict.fromkeys(str(n) for n in names if not F.missing(n)))
    text = "".join(f"“{n}”" for n in names[:limit])
    return text + (f"等 {len(names)} 个项目" if len(names) > limit else "")


def after_year_end(b: Brief) -> bool:
    """Judged after 12-31 of the data year: ask for full-year execution (决算), not whether it will be done."""
    return b.today > dt.date(b.year, 12, 31)


def shown(value, kind: str):
    """A figure rounded as it is displayed (pct to 0.1 point, money to 0.01 万元, score to 0.1, counts whole):
    changes are computed from these, so a change always equals the difference of the two figures shown."""
    if F.missing(value):
        return None
    digits = {"pct": F.PCT_DIGITS + 2, "money": F.MONEY_DIGITS, "score": F.SCORE_DIGITS, "count": 0}[kind]
    return round(float(value), digits) if kind != "count" else int(value)


def shown_change(now, before, kind: str) -> str:
    """now − before as displayed: the difference of the two rounded figures (dashboard.present.fmt wording)."""
    return F.change(shown(now, kind), shown(before, kind), kind)


def _points_drop(now, before) -> float | None:
    """How many percentage points a ratio fell, from the displayed figures (None when either is unknown)."""
    if F.missing(now) or F.missing(before):
        return None
    return round((shown(before, "pct") - shown(now, "pct")) * 100, F.PCT_DIGITS)


def q_red_lag(b: Brief) -> list[Question]:
    """red_lag: a red project — its lag, its stated reason; before the year end: can it be done by then; after:
    the full-year (决算) execution."""
    out: list[Question] = []
    reds = b.warnings[b.warnings["light"] == RED]
    late = after_year_end(b)
    for _, r in reds.head(QUESTIONS_PER_RULE).iterrows():
        reason = r["deviation_reason"] if not F.missing(r["deviation_reason"]) else None
        points, on_target = worst_lag(r)
        basis = (f"截至 {F.date(r['as_of'])} " + (f"目标完成进度 {F.pct(r['target_progress'])}" if on_target else
                                                 f"预算执行率 {F.pct(r['execution_rate'])}")
                 + f"，序时进度 {F.pct(r['time_progress'])}，滞后 {F.points(points)} 个百分点（红灯）")
        ask = ("全年实际执行了多少（以决算数为准），没有执行的资金怎样处理？" if late else "年底前能否完成？")
        text = (f"“{r['name']}”预算执行明显滞后，" + (f"单位说明的原因是“{reason}”。这一原因是否成立，{ask}"
                                               if reason else f"单位没有说明偏差原因。滞后的原因是什么，{ask}"))
        out.append(Question("red_lag", text, basis, {"project_id": int(r["project_id"]), "lag": points,
                                                      "on_target": on_target, "execution_rate": r["execution_rate"]}))
    if len(reds) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(reds) - QUESTIONS_PER_RULE, "红灯项目")
    return out


def q_unreported(b: Brief) -> list[Question]:
    """unreported: projects with targets and no monitoring report (grey), named."""
    grey = b.warnings[b.warnings["light"] == GREY]
    n = int(b.summary["monitoring"]["grey"])
    if not n:
        return []
    ask = "这些项目全年执行和目标完成情况如何？" if after_year_end(b) else "为什么没有报送，执行情况如何？"
    return [Question("unreported", f"{quoted(grey['name'])}设定了绩效目标，本年没有报送绩效监控（共 {n} 个项目）。{ask}",
                     f"未报送（灰灯）{n} 个", {"grey": n, "projects": grey["name"].head(NAMED).tolist()})]


def q_execution_drop(b: Brief) -> list[Question]:
    """execution_drop: the execution rate fell ≥ EXECUTION_DROP_PP points against last year; names the red projects."""
    if not b.previous:
        return []
    now, before = b.summary["monitoring"]["execution_rate"], b.previous["monitoring"]["execution_rate"]
    drop = _points_drop(now, before)
    if drop is None or drop < EXECUTION_DROP_PP:
        return []
    reds = b.warnings[b.warnings["light"] == RED]
    named = f"滞后最多的是{quoted(reds['name'])}。" if len(reds) else ""
    ask = ("全年执行率（决算数）是多少，下降的原因是什么？" if after_year_end(b)
           else "下降的原因是什么，下半年怎样赶上序时进度？")
    return [Question("execution_drop", f"预算执行率由上年的 {F.pct(before)} 降至 {F.pct(now)}，{named}{ask}",
                     f"预算执行率 {b.year - 1} 年 {F.pct(before)}，{b.year} 年 {F.pct(now)}，下降 {F.points(drop)} 个百分点"
                     f"（下降 {EXECUTION_DROP_PP:g} 个百分点以上即提出）",
                     {"drop": drop, "projects": reds["name"].head(NAMED).tolist()})]


SUBSCORES = {"coverage": "绩效目标覆盖", "execution": "预算执行", "evaluation": "评价得分", "rectification": "问题整改",
             "not_red": "非红灯比例"}


def q_rank_drop(b: Brief) -> list[Question]:
    """rank_drop: the composite rank fell ≥ RANK_DROP places; names the part that fell most and its projects."""
    r = b.rank
    if not r or r["rank"] is None or r["prev_rank"] is None or r["rank"] - r["prev_rank"] < RANK_DROP:
        return []
    prev = b.prev_ranking
    mine = b.ranking.loc[b.ranking["department_id"] == b.department_id].iloc[0]
    before = prev.loc[prev["department_id"] == b.department_id]
    worst, fell = None, 0.0
    if len(before):
        for key in SUBSCORES:
            a, c = before.iloc[0][key], mine[key]
            if not F.missing(a) and not F.missing(c) and float(a) - float(c) > fell:
                worst, fell = key, float(a) - float(c)
    projects = {"execution": b.warnings[b.warnings["light"] == RED]["name"],
                "not_red": b.warnings[b.warnings["light"] == RED]["name"],
                "evaluation": b.low_grades["object_name"],
                "rectification": b.open_findings["project"],
                "coverage": b.without_target_projects["name"]}.get(worst, pd.Series(dtype=object))
    part = (f"下降最多的是{SUBSCORES[worst]}（得分减少 {F.score(fell, unit=False)}）"
            + (f"，涉及{quoted(projects)}" if len(projects.dropna()) else "") + "。") if worst else ""
    return [Question("rank_drop", f"综合得分排名由上年第 {r['prev_rank']} 名降至第 {r['rank']} 名，{part}"
                                  "排名下降的主要原因是什么？",
                     f"{r['of']} 个主管部门中 {b.year - 1} 年第 {r['prev_rank']} 名、{b.year} 年第 {r['rank']} 名"
                     f"（下降 {RANK_DROP} 名以上即提出）",
                     {"rank": r["rank"], "prev_rank": r["prev_rank"], "part": worst,
                      "projects": projects.dropna().head(NAMED).tolist()})]


def q_rectification_drop(b: Brief) -> list[Question]:
    """rectification_drop: the 整改率 fell ≥ RECTIFICATION_DROP_PP points; names projects with open findings."""
    if not b.previous:
        return []
    now, before = b.summary["findings"]["rate"], b.previous["findings"]["rate"]
    drop = _points_drop(now, before)
    if drop is None or drop < RECTIFICATION_DROP_PP:
        return []
    open_projects = b.open_findings["project"].dropna()
    named = f"未整改到位的问题涉及{quoted(open_projects)}。" if len(open_projects) else ""
    return [Question("rectification_drop", f"问题整改率由上年的 {F.pct(before)} 降至 {F.pct(now)}，{named}"
                                           "整改为什么放慢，何时整改到位？",
                     f"整改率 {b.year - 1} 年 {F.pct(before)}，{b.year} 年 {F.pct(now)}，下降 {F.points(drop)} 个百分点"
                     f"（下降 {RECTIFICATION_DROP_PP:g} 个百分点以上即提出）",
                     {"drop": drop, "projects": open_projects.head(NAMED).tolist()})]


def q_unmet_indicators(b: Brief) -> list[Question]:
    """unmet_indicators: indicators judged 未完成, named by the projects with most of them."""
    n = int(b.summary["indicators"]["not_met"])
    if not n:
        return []
    df = b.all_unmet_indicators
    per = df.groupby("project", sort=False).size().sort_values(ascending=False, kind="stable")
    named = "、".join(f"“{p}”（{k} 个）" for p, k in per.head(NAMED).items())
    return [Question("unmet_indicators", f"{n} 个绩效指标未完成，集中在{named}{'等' if len(per) > NAMED else ''}。"
                                         "未完成的原因是什么，是否影响下年预算安排？",
                     f"绩效指标 {b.summary['indicators']['count']} 个，未完成 {n} 个（{len(per)} 个项目）",
                     {"not_met": n, "projects": per.head(NAMED).index.tolist()})]


def q_bad_grade(b: Brief) -> list[Question]:
    """bad_grade: an evaluation graded 差 — its money, whether a finding is recorded, the next-year budget."""
    bad = b.low_grades[b.low_grades["grade"] == "差"].copy()
    if bad.empty:
        return []
    bad = bad.assign(_money=-bad["fund_amount"].fillna(0)).sort_values(["_money", "evaluation_id"])
    out = []
    for _, r in bad.head(QUESTIONS_PER_RULE).iterrows():
        money = f"，涉及资金 {F.wan(r['fund_amount'])}" if not F.missing(r["fund_amount"]) else ""
        followed = not F.missing(r["project_id"]) and int(r["project_id"]) in b.finding_projects
        change = r["next_year_budget_change"]
        nxt = ("没有填写下年预算调整" if F.missing(change) else
               f"下年预算{'减少' if change < 0 else '增加'} {F.wan(abs(change))}" if change else "下年预算没有调整")
        text = (f"“{r['object_name']}”{r['kind']}得分 {F.score(r['score'])}，等级为差{money}；"
                + ("没有登记整改问题，" if not followed else "") + f"{nxt}。下年是否继续安排，评价发现的问题怎样整改？")
        out.append(Question("bad_grade", text, f"{r['kind']}得分 {F.score(r['score'])}（差）"
                            + ("，登记的整改问题 0 个" if not followed else ""),
                            {"evaluation_id": int(r["evaluation_id"]),
                             "score": None if F.missing(r["score"]) else float(r["score"]),
                             "followed": followed}))
    if len(bad) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(bad) - QUESTIONS_PER_RULE, "差等级评价")
    return out


def q_no_targets(b: Brief) -> list[Question]:
    """no_targets: at least NO_TARGET_SHARE of the budget has no 绩效目标; names the largest such projects."""
    total = b.summary["budget_total"]
    n, money = b.without_targets_total
    if not n or F.missing(total) or not total or money / total < NO_TARGET_SHARE:
        return []
    top = b.without_target_projects
    return [Question("no_targets", f"{F.wan(money)}预算（占 {F.pct(money / total)}）没有设定绩效目标，其中较大的是"
                                   + "、".join(f"“{r['name']}”（{F.wan(r['budget'])}）" for _, r in top.head(NAMED).iterrows())
                                   + "。为什么没有设定目标，这些资金的效果怎样衡量？",
                     f"未设定绩效目标的项目 {n} 个、{F.wan(money)}，占预算 {F.wan(total)} 的 {F.pct(money / total)}"
                     f"（{F.pct(NO_TARGET_SHARE)} 以上即提出）",
                     {"projects": n, "money": money, "share": money / total,
                      "named": top["name"].head(NAMED).tolist()})]


def _norm(text) -> str:
    return "".join(str(text).split())


def q_overdue(b: Brief) -> list[Question]:
    """overdue: a finding overdue more than question_overdue_days, named by its project; the same problem of
    several projects is one question naming them all."""
    days = b.docs.question_overdue_days
    late = b.open_findings[b.open_findings["days_overdue"] > days].sort_values(
        ["days_overdue", "finding_id"], ascending=[False, True])
    if late.empty:
        return []
    groups = list(late.groupby(late["description"].map(_norm), sort=False))
    out = []
    for _, g in groups[:QUESTIONS_PER_RULE]:
        r = g.iloc[0]
        where = quoted(g["project"]) if g["project"].notna().any() else "部门层面"
        out.append(Question(
            "overdue", f"{where}的问题“{r['description']}”已过整改时限 {int(r['days_overdue'])} 天仍为{r['status']}，"
                       "卡在哪里，何时能整改到位？",
            f"整改时限 {F.date(r['deadline'])}，按 {F.date(b.today)} 逾期 {int(r['days_overdue'])} 天（超过 {days} 天）"
            + (f"，同一问题 {len(g)} 个" if len(g) > 1 else ""),
            {"finding_id": int(r["finding_id"]), "days_overdue": int(r["days_overdue"]),
             "projects": g["project"].dropna().tolist()}))
    if len(groups) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(groups) - QUESTIONS_PER_RULE, f"逾期超过 {days} 天的问题")
    return out


def q_repeated_finding(b: Brief) -> list[Question]:
    """repeated_finding: 屡审屡犯 — a finding of this year whose unit, department or project had a finding of the same
    kind in an earlier year (docs/rules.md 整改: the same 问题类别, or texts at least repeat_similarity alike), named
    with its project and the earlier finding."""
    rep = b.repeats
    if rep.empty:
        return []
    groups = list(rep.groupby(rep["description"].map(_norm), sort=False))
    out = []
    for _, g in groups[:QUESTIONS_PER_RULE]:
        r = g.iloc[0]
        where = quoted(g["project"]) if g["project"].notna().any() else "部门层面"
        same = _norm(r["earlier_description"]) == _norm(r["description"])
        earlier = "" if same else f"（当时为“{r['earlier_description']}”）"
        out.append(Question("repeated_finding",
                            f"{where}的问题“{r['description']}”{int(r['earlier_year'])}年已经发现过同类问题{earlier}，"
                            f"本年再次出现（现为{r['status']}）。为什么没有根治，怎样防止再次发生？",
                            f"屡审屡犯：{int(r['earlier_year'])} 年、{b.year} 年问题台账均有同类问题",
                            {"finding_id": int(r["finding_id"]), "earlier_year": int(r["earlier_year"]),
                             "projects": g["project"].dropna().tolist()}))
    if len(groups) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(groups) - QUESTIONS_PER_RULE, "屡审屡犯的问题")
    return out


def q_unverified(b: Brief) -> list[Question]:
    """unverified: findings the units report 已整改 that nobody has verified (no 核验日期; docs/rules.md 整改) — they do
    not count in 整改率 until verified."""
    s, rows = b.rectification["summary"], b.rectification["unverified"]
    n = int(s.get("reported_unverified") or 0)
    if not n:
        return []
    named = "、".join(f"“{t}”" for t in rows["description"].head(NAMED))
    more = f"等 {n} 个问题" if n > len(rows.head(NAMED)) else ""
    return [Question("unverified", f"单位报称已整改的{named}{more}尚未核验，由谁、在什么时候、用什么方式核验？",
                     f"已核验 {s['verified']} 个，单位报称已整改但未核验 {n} 个（未核验的不计入整改率）",
                     {"reported_unverified": n, "verified": int(s["verified"])})]


def q_inflation(b: Brief) -> list[Question]:
    """inflation: a self-score at least inflation_gap points above the independent one."""
    gap_rule = b.rules.inflation_gap
    by_gap = pd.Series([inflated_by_gap(r, b.rules) for _, r in b.inflation.iterrows()], index=b.inflation.index,
                       dtype=bool)
    high = b.inflation[by_gap]
    out = []
    for _, r in high.head(QUESTIONS_PER_RULE).iterrows():
        out.append(Question(
            "inflation", f"“{r['name']}”单位自评明显高于{r['independent_kind']}，自评是怎样打分的？",
            f"单位自评 {F.score(r['self_score'])}，{r['independent_kind']} {F.score(r['independent_score'])}，"
            f"高出 {F.score(r['gap'])}（≥{gap_rule:g} 分即为自评虚高）",
            {"project_id": int(r["project_id"]), "gap": float(r["gap"])}))
    if len(high) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(high) - QUESTIONS_PER_RULE, f"自评高出 {gap_rule:g} 分以上的项目")
    return out


APPLICATION_QUESTIONS = {  # 结果应用台账 flag → the question ({names}: the projects or policies named)
    "RA1": "{names}连续两年评价为中或差，为什么仍继续安排，下年预算怎样调整？",
    "RA2": "{names}评价为差，下年预算却增加，依据是什么？",
    "RA3": "{names}评价后没有登记结果应用（结果应用、下年预算调整、结果应用类别均未填写），评价结果用在了哪里？",
    "RA4": "政策{names}已到评价期限，何时安排评价？",
    "RA5": "政策{names}评价后没有填写结果应用类别（整体退出、系统调整、局部优化或继续实施），准备怎样处理？",
}


def q_result_application(b: Brief) -> list[Question]:
    """result_application: one question per 结果应用台账 flag the department carries (docs/rules.md 结果应用台账,
    RA1–RA5), naming its first NAMED projects or policies in the ledger's order."""
    out = []
    for _, r in b.application_flags.iterrows():
        policy = r["rule"] in ("RA4", "RA5")
        what = "个政策" if policy else "个项目"
        names = "".join(f"“{n}”" for n in r["names"]) + (f"等 {r['count']} {what}" if r["count"] > len(r["names"]) else "")
        basis = f"{r['rule']} {r['label']}：{r['count']} {what}"
        if r["rule"] == "RA4":
            basis += f"（出台超过 {b.rules.policy_age_years} 年的政策每 {b.rules.policy_interval_years} 年至少评价一次）"
        out.append(Question("result_application", APPLICATION_QUESTIONS[r["rule"]].format(names=names), basis,
                            {"flag": r["rule"], "count": int(r["count"]), "names": list(r["names"])}))
    return out


def q_target_quality(b: Brief) -> list[Question]:
    """target_quality: the department's 目标质量 flags (docs/rules.md 目标质量, TQ1–TQ8) by rule, naming the projects
    with most flags."""
    s, top = b.target_quality["summary"], b.target_quality["projects"]
    if not s["flags"]:
        return []
    by_rule = "、".join(f"{Q.RULE_TITLES[r]} {n} 处" for r, n in s["by_rule"].items() if n)
    more = "等" if s["projects_flagged"] > NAMED else ""
    named = "、".join(f"“{p}”" for p in top["project"])
    return [Question("target_quality",
                     f"{s['projects_flagged']} 个项目的绩效目标有问题（{by_rule}），如{named}{more}。"
                     "这些目标能否衡量、是否照抄上年、是否定得过低，下年申报时怎样改进？",
                     f"目标质量检查标记 {s['flags']} 处，涉及 {s['projects_flagged']} 个项目（规则 TQ1–TQ8）",
                     {"flags": s["flags"], "projects_flagged": s["projects_flagged"],
                      "projects": top["project"].tolist(), "by_rule": s["by_rule"]})]


def _asked(text, limit: int = 30) -> str:
    """A question's text as quoted in the brief: on one line, cut to `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def q_unanswered_inquiry(b: Brief) -> list[Question]:
    """unanswered_inquiry: questions of the 询问台账 not answered by their 答复期限 (逾期未答复, docs/rules.md 询问台账),
    the longest overdue named first."""
    s = b.inquiries["summary"]
    late = b.inquiries["overdue"]
    late = late[late["state"] == INQUIRY_OVERDUE].sort_values(["days_overdue", "inquiry_id"], ascending=[False, True])
    if late.empty:
        return []
    top = late.head(NAMED)
    named = "".join(f"“{_asked(t)}”" for t in top["question"])
    more = f"等 {len(late)} 个询问" if len(late) > len(top) else ""
    r = top.iloc[0]
    asker = f"（{r['asker']}）" if not F.missing(r["asker"]) else ""
    return [Question("unanswered_inquiry",
                     f"人大代表和委员会提出的{named}{more}已过答复期限仍未答复，最长的{asker}已逾期 "
                     f"{int(r['days_overdue'])} 天。为什么没有按期答复，何时答复？",
                     f"询问 {s['asked']} 个，已答复 {s['answered']} 个（答复率 {F.pct(s['reply_rate'])}），"
                     f"逾期未答复 {s['overdue_unanswered']} 个（按 {F.date(b.today)} 判断）",
                     {"overdue_unanswered": int(s["overdue_unanswered"]), "days_overdue": int(r["days_overdue"]),
                      "inquiry_ids": [int(i) for i in top["inquiry_id"]]})]


QuestionRule = Callable[["Brief"], list[Question]]
# the order questions appear in: headline deterioration first, then outcomes, money, projects, findings
QUESTION_RULES: list[QuestionRule] = [
    q_execution_drop, q_rank_drop, q_rectification_drop, q_bad_grade, q_result_application, q_no_targets, q_red_lag,
    q_unreported, q_unmet_indicators, q_target_quality, q_overdue, q_unverified, q_repeated_finding, q_inflation,
    q_unanswered_inquiry,
]


def questions(b: Brief, rules: list[QuestionRule] | None = None) -> list[Question]:
    """建议关注的问题: every rule of QUESTION_RULES (or `rules`) in order, a question whose text was already asked
    dropped (never two identical questions)."""
    out: list[Question] = []
    seen: set[str] = set()
    for rule in QUESTION_RULES if rules is None else rules:
        for q in rule(b):
            key = _norm(q.text)
            if key not in seen:
                seen.add(key)
                out.append(q)
    return out


def concern(b: Brief) -> tuple[int, int, int, int]:
    """How much a department needs attention (the batch's order): the number of question rules that fire, then
    red projects, 差 evaluations and overdue findings — larger first."""
    s = b.summary
    return (len({q.rule for q in b.questions}), int(s["monitoring"]["red"]), int(s["evaluations"]["grades"]["差"]),
            int(s["findings"]["overdue"]))


def inflated_by_gap(r, rules: Rules) -> bool:
    """Whether the score gap alone makes a flagged project 自评虚高 (one flagged only for its better self grade gets
    no question about the gap). Asked of the rule itself, R.self_evaluation_inflation, on the two scores with its
    grade comparison switched off (every score in one band): its threshold, rounding and tolerance, not a copy."""
    if F.missing(r["self_score"]) or F.missing(r["independent_score"]):
        return False
    one_band = dataclasses.replace(rules, grade_excellent=math.inf, grade_good=math.inf, grade_pass=math.inf)
    return R.self_evaluation_inflation(float(r["self_score"]), float(r["independent_score"]), rules=one_band).flagged


def worst_lag(r) -> tuple[float | None, bool]:
    """The lag that lit the light: the worse of the execution lag and the target-progress lag (points) that
    project_facts stores (rules.warning_light takes the worse of the two), and whether it is the target one."""
    lag = None if F.missing(r["lag"]) else float(r["lag"])
    target = None if F.missing(r.get("target_lag")) else float(r["target_lag"])
    if target is not None and (lag is None or target > lag):
        return target, True
    return lag, False


def _more(q: Question, n: int, what: str) -> Question:
    return Question(q.rule, q.text, q.basis + f"；同类另有 {n} 个{what}，见上文清单", q.figures)


# ---- sections -----------------------------------------------------------------------------------------------

def _rules_notes(w: Writer, rules: Rules, today: dt.date) -> dict[str, str]:
    """The footnote markers of the figures, each defining the figure with the thresholds in force."""
    if rules.warning_preset == "checkpoints":
        light = ("预警灯按固定节点：累计执行率低于 " + "、".join(f"{m} 月末 {v:g}%" for m, v in rules.checkpoints)
                 + " 为红灯；")
    else:
        light = (f"预警灯：滞后 = 序时进度 − 预算执行率（百分点），滞后 ≥{rules.yellow_lag:g} 为黄灯、"
                 f"≥{rules.red_lag:g} 为红灯，有目标完成进度时两者取较差者；")
    return {
        "budget": w.note("预算为调整后预算数，无调整数时取年初预算数，单位万元。"),
        "coverage": w.note("绩效目标覆盖率 = 设定绩效目标的项目预算 ÷ 全部项目预算（按资金）；按个数为项目数之比。"),
        "execution": w.note("预算执行率 = Σ执行数 ÷ Σ调整后预算，取各项目本年最新一期监控；序时进度 = 监控截止日已过天数 ÷ 全年天数。"),
        "light": w.note(light + "设定了绩效目标而本年没有监控记录的项目为未报送（灰灯）。"),
        "grade": w.note(f"评价等级按得分：≥{rules.grade_excellent:g} 优，≥{rules.grade_good:g} 良，"
                        f"≥{rules.grade_pass:g} 中，其余为差；无得分时取填报的等级。平均分含部门整体支出和政策评价。"),
        "inflation": w.note(f"自评虚高：同一项目同一年度单位自评比抽查复核（没有时取财政重点评价）高 ≥{rules.inflation_gap:g} 分，"
                            "或自评等级更好。"),
        "overdue": w.note(f"逾期：未整改或整改中，且判断日期 {F.date(today)} 已过整改时限（时限当天不算逾期）；"
                          + ("整改率 = 已核验 ÷ 全部问题（单位报称已整改且有核验日期）。" if rules.rectification_basis != "reported"
                             else "整改率 = 单位报称已整改 ÷ 全部问题。")),
        "indicators": w.note("绩效指标已完成：实际完成值（监控阶段取全年预计完成值）满足目标值，数值按比较符号在同一单位下比较，"
                             "只写数值的目标按“=”；文字目标须完全相同；缺实际值、单位不同或读不出的为无法判断。"),
        "rank": w.note("综合得分为目标覆盖、执行（按滞后扣分）、评价平均分、整改率、非红灯比例的加权和，权重 "
                       f"{rules.weight_coverage:g}/{rules.weight_execution:g}/{rules.weight_evaluation:g}/"
                       f"{rules.weight_rectification:g}/{rules.weight_not_red:g}；项目少于 {rules.min_projects} 个的部门标"
                       "「样本少」，其排名仅供参考。"),
    }


HEADLINE_ROWS = [  # (label, path in summary --json, kind, note key)
    ("项目数（个）", ("projects",), "count", None),
    ("预算（万元）", ("budget_total",), "money", "budget"),
    ("绩效目标覆盖率（按资金）", ("target_coverage", "by_funds"), "pct", "coverage"),
    ("绩效目标覆盖率（按个数）", ("target_coverage", "by_count"), "pct", "coverage"),
    ("预算执行率", ("monitoring", "execution_rate"), "pct", "execution"),
    ("红灯项目（个）", ("monitoring", "red"), "count", "light"),
    ("黄灯项目（个）", ("monitoring", "yellow"), "count", "light"),
    ("未报送监控（个）", ("monitoring", "grey"), "count", "light"),
    ("评价记录（条）", ("evaluations", "count"), "count", "grade"),
    ("评价平均分", ("evaluations", "avg_score"), "score", "grade"),
    ("自评虚高（个）", ("evaluations", "inflation_flags"), "count", "inflation"),
    ("发现问题（个）", ("findings", "total"), "count", "overdue"),
    ("已整改（个）", ("findings", "rectified"), "count", "overdue"),
    ("整改率", ("findings", "rate"), "pct", "overdue"),
    ("逾期未整改（个）", ("findings", "overdue"), "count", "overdue"),
    ("绩效指标（个）", ("indicators", "count"), "count", "indicators"),
    ("未完成的绩效指标（个）", ("indicators", "not_met"), "count", "indicators"),
]


def pick(s: dict | None, path: tuple[str, ...]):
    if s is None:
        return None
    for key in path:
        s = s[key]
    return s


def header_block(b: Brief, w: Writer) -> None:
    p = b.provenance
    batch = "暂无导入记录"
    if p.get("batch_id") is not None:
        files = [f.get("name", "") if isinstance(f, dict) else str(f) for f in (p.get("files") or [])]
        source = BATCH_SOURCE_LABELS.get(p.get("source"), p.get("source") or "")
        batch = f"#{p['batch_id']}（{F.timestamp(p.get('created_at'))}，{source}" + (
            "：" + "、".join(files[:3]) + (f" 等 {len(files)} 个文件" if len(files) > 3 else "") if files else "") + "）"
    rows = [("部门", b.name + (f"（编码 {b.code}）" if b.code else "")), ("年度", f"{b.year} 年"),
            ("范围", f"本部门全部预算单位、{b.fund_words}"),
            ("数据截至", f"监控数据截至 {F.date(b.summary['monitoring']['as_of'])}"),
            ("判断日期", f"{F.date(b.today)}（逾期、账龄按此日判断）"), ("来源批次", batch),
            ("生成时间", F.timestamp(b.now))]
    w.table(["项目", "内容"], rows, widths_mm=(30, TEXT_WIDTH_MM - 30))
    live_link(b, w)


def live_link(b: Brief, w: Writer) -> None:
    """A QR code of the department's live 部门画像 (same year and fund source), so the paper brief opens the page on
    a phone; only when the app's address is known ([documents] public_url, or the page it was downloaded from)."""
    link = department_link(b.link_base or "", b.code or str(b.department_id), b.year, b.fund)
    if not link:
        return
    w.picture(qr_png(link, scale=4), width_mm=28)
    w.para(f"手机扫码打开本部门的实时页面（需能访问本系统并登录）：{link}", style=NOTE)


def headline(b: Brief, w: Writer) -> None:
    notes = b.notes
    s, p = b.summary, b.previous
    prev_label = f"{b.year - 1} 年" if p else f"{b.year - 1} 年（无数据）"
    rows = []
    for label, path, kind, note in HEADLINE_ROWS:
        now, before = pick(s, path), pick(p, path)
        rows.append((label + (notes[note] if note else ""), F.figure(now, kind), F.figure(before, kind),
                     shown_change(now, before, kind)))
    w.table(["指标", f"{b.year} 年", prev_label, "变化"], rows, widths_mm=(62, 32, 32, 30))
    w.para("变化按表中显示的两个数计算（两数之差）。", style=NOTE)


def rank_text(b: Brief) -> str:
    """综合得分, rank among every 主管部门 (last year's), position among the departments of the same kind."""
    r = b.rank
    if not r or r["rank"] is None:
        return "本部门本年没有可排名的数据（没有项目、监控、评价或整改记录）。"
    text = (f"综合得分 {F.score(r['composite'], unit=False)}，在全部 {r['of']} 个主管部门中排第 {r['rank']} 名"
            + (f"（上年第 {r['prev_rank']} 名）" if r["prev_rank"] is not None else "（上年无排名）"))
    kr = b.peers.get("kind_rank")
    if kr:
        text += f"；在 {kr['of']} 个同类{KIND_WORDS.get(b.peers['kind'], b.peers['kind'])}中排第 {kr['rank']} 名"
    text += "。" + b.notes["rank"]
    if r["small_sample"]:
        text += (f"本部门本年仅 {r['projects']} 个项目，少于 {b.rules.min_projects} 个（样本少），"
                 "排名受个别项目影响大，仅供参考。")
    return text


# which way a headline figure is better (+1 up, −1 down); figures without one (budget, counts of work) are not
# ranked among the largest changes
BETTER = {("target_coverage", "by_funds"): 1, ("target_coverage", "by_count"): 1, ("monitoring", "execution_rate"): 1,
          ("monitoring", "red"): -1, ("monitoring", "yellow"): -1, ("monitoring", "grey"): -1,
          ("evaluations", "avg_score"): 1, ("evaluations", "inflation_flags"): -1, ("findings", "rate"): 1,
          ("findings", "overdue"): -1, ("indicators", "not_met"): -1}


COUNT_BASE = {("monitoring", "red"): ("projects",), ("monitoring", "yellow"): ("projects",),
              ("monitoring", "grey"): ("projects",), ("evaluations", "inflation_flags"): ("evaluations", "count"),
              ("findings", "overdue"): ("findings", "total"), ("indicators", "not_met"): ("indicators", "count")}


def largest_changes(b: Brief, n: int = 3) -> list[dict]:
    """The `n` headline figures that changed most against last year (of those with a better direction), from the
    displayed figures: a rate by its percentage points, a score by its points, a count by the change of its share
    of its base (red among projects, overdue among findings …) in percentage points."""
    if not b.previous:
        return []
    out = []
    for label, path, kind, _ in HEADLINE_ROWS:
        if path not in BETTER:
            continue
        now, before = shown(pick(b.summary, path), kind), shown(pick(b.previous, path), kind)
        if now is None or before is None or now == before:
            continue
        d = now - before
        if kind == "count":  # a count as a share of its base (projects, evaluations, findings, indicators), in points
            base_now, base_before = pick(b.summary, COUNT_BASE[path]), pick(b.previous, COUNT_BASE[path])
            if not base_now or not base_before:
                continue
            size = abs(now / base_now - before / base_before) * 100
        else:
            size = abs(d) * 100 if kind == "pct" else abs(d)
        out.append({"label": label, "path": path, "kind": kind, "now": now, "before": before, "size": size,
                    "better": (d > 0) == (BETTER[path] > 0)})
    return sorted(out, key=lambda c: -c["size"])[:n]


def attention_points(b: Brief) -> list[str]:
    """The facts that call for attention, each a short line (none when the department shows none)."""
    s = b.summary
    m, e, f, ind = s["monitoring"], s["evaluations"], s["findings"], s["indicators"]
    n_without, money_without = b.without_targets_total
    total = s["budget_total"] or 0
    points = [
        (m["red"], f"红灯项目 {m['red']} 个（执行或目标进度滞后序时进度 {b.rules.red_lag:g} 个百分点以上）"),
        (m["grey"], f"设定了目标但未报送监控的项目 {m['grey']} 个"),
        (e["grades"]["差"], f"评价等级为差 {e['grades']['差']} 条"),
        (f["overdue"], f"逾期未整改的问题 {f['overdue']} 个（按 {F.date(b.today)} 判断）"),
        (ind["not_met"], f"未完成的绩效指标 {ind['not_met']} 个"),
        (n_without and total and money_without / total >= NO_TARGET_SHARE,
         f"未设定绩效目标的资金 {F.wan(money_without)}，占预算 {F.pct(money_without / total) if total else '—'}"),
        (e["inflation_flags"], f"自评虚高 {e['inflation_flags']} 个项目"),
    ]
    return [text for on, text in points if on]


def peer_position(b: Brief) -> str:
    """The figures in which the department is below (worse than) the median of its comparable departments."""
    p = b.peers
    if not p["basis"] or not p["peers"]:
        return "没有同类可比部门。"
    worse, better = [], []
    for key, label, kind in PEER_FIGURES:
        mine, median = shown(p["mine"].get(key), kind), shown(p["median"].get(key), kind)
        if mine is None or median is None or mine == median:
            continue
        good = (mine > median) != (key == "red_share")
        (better if good else worse).append(label)
    text = f"与{p['basis']}的中位数相比，"
    text += ("不如中位数的有" + "、".join(worse) + "；" if worse else "没有不如中位数的指标；")
    text += ("好于中位数的有" + "、".join(better) if better else "没有好于中位数的指标")
    return text + "（数值见“同类部门参照”；只与同类比较，部门与部门、乡镇街道与乡镇街道、园区与园区，仅作背景参照）。"


def verdict_section(b: Brief, w: Writer) -> None:
    """Page 1: rank and peer position, the three largest changes, the attention points (questions follow)."""
    w.para(rank_text(b))
    w.para(peer_position(b))
    changes = largest_changes(b)
    if changes:
        w.para("与上年相比变化最大的三项：")
        w.table(["指标", f"{b.year - 1} 年", f"{b.year} 年", "变化", "判断"],
                [(c["label"], F.figure(c["before"], c["kind"]), F.figure(c["now"], c["kind"]),
                  F.change(c["now"], c["before"], c["kind"]), "好转" if c["better"] else "变差") for c in changes],
                widths_mm=(56, 26, 26, 30, 18))
    elif b.previous is None:
        w.para(f"{b.year - 1} 年没有数据，不作同比。")
    points = attention_points(b)
    w.para("关注要点：" + ("；".join(points) + "。" if points else "未见红灯、差等级、逾期问题或未完成的指标。"))


def chart_section(b: Brief, w: Writer) -> None:
    font = chart_font(b.docs)
    s = b.summary
    if len(b.trend):
        # a figure that is no finite number (amounts of 1e308 stored before the import's range check) is left out
        # of the chart, as a missing one is, rather than giving matplotlib an infinite axis
        records = [{k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in r.items()}
                   for r in b.trend.to_dict("records")]
        w.picture(charts.trend(records, font), width_mm=TEXT_WIDTH_MM)
        w.caption(f"近 {len(b.trend)} 年趋势（{b.trend['year'].min()}–{b.trend['year'].max()} 年，每年按当年数据计算）")
    w.pictures([charts.lights(s["monitoring"], font), charts.grades(s["evaluations"]["grades"], font)],
               width_mm=TEXT_WIDTH_MM / 2 - 2)
    w.caption(f"预警灯（截至 {F.date(s['monitoring']['as_of'])}）与评价等级分布")


def _lag_text(r) -> str:
    points, on_target = worst_lag(r)
    return F.points(points) + ("（目标进度）" if on_target else "")


def _named(r) -> str:
    """A project's name with its code on the next line."""
    return f"{r['name']}\n{r['code']}" if not F.missing(r["code"]) else str(r["name"])


def _cut(df: pd.DataFrame, b: Brief) -> pd.DataFrame:
    return df.head(b.docs.list_rows)


def warnings_section(b: Brief, w: Writer) -> None:
    df = b.warnings
    if df.empty:
        w.para("本年没有红灯或未报送项目。")
        return
    rows = [(LIGHT_LABELS.get(r["light"], r["light"]), _named(r), F.money(r["budget"]),
             F.pct(r["execution_rate"]), F.pct(r["time_progress"]), _lag_text(r),
             r["deviation_reason"] if not F.missing(r["deviation_reason"]) else "—")
            for _, r in _cut(df, b).iterrows()]
    w.table(["预警", "项目", "预算（万元）", "执行率", "序时进度", "滞后（百分点）", "偏差原因"], rows,
            widths_mm=(14, 44, 20, 16, 16, 16, 30))
    w.cut_note(len(df), min(len(df), b.docs.list_rows), "个项目")


def low_grade_section(b: Brief, w: Writer) -> None:
    df = b.low_grades
    if df.empty:
        w.para("本年没有评价等级为中或差的项目。")
        return
    rows = [(r["kind"], r["object_name"], F.score(r["score"], unit=False), r["grade"],
             r["main_problems"] if not F.missing(r["main_problems"]) else "—") for _, r in _cut(df, b).iterrows()]
    w.table(["评价类型", "评价对象", "得分", "等级", "发现的主要问题"], rows, widths_mm=(22, 46, 14, 12, 62))
    w.cut_note(len(df), min(len(df), b.docs.list_rows), "条评价")


def inflation_section(b: Brief, w: Writer) -> None:
    df = b.inflation
    if df.empty:
        w.para("本年没有被标记为自评虚高的项目。" + b.notes["inflation"])
        return
    rows = [(_named(r), f"{F.score(r['self_score'], unit=False)}（{r['self_grade'] or '—'}）",
             r["independent_kind"], f"{F.score(r['independent_score'], unit=False)}（{r['independent_grade'] or '—'}）",
             F.score(r["gap"], unit=False)) for _, r in _cut(df, b).iterrows()]
    w.table(["项目", "单位自评（等级）", "独立评价", "独立评价得分（等级）", "高出（分）"], rows,
            widths_mm=(56, 28, 26, 28, 18))
    w.cut_note(len(df), min(len(df), b.docs.list_rows), "个项目")


def findings_section(b: Brief, w: Writer) -> None:
    df = b.open_findings
    f = b.summary["findings"]
    w.para(f"本年发现问题 {f['total']} 个，已整改 {f['rectified']} 个，整改中 {f['in_progress']} 个，未整改 "
           f"{f['not_started']} 个；其中逾期 {f['overdue']} 个（按 {F.date(b.today)} 判断）。{b.notes['overdue']}")
    if df.empty:
        w.para("没有未销号的问题。")
        return
    rows = [(r["project"] if not F.missing(r["project"]) else "（部门层面）", r["description"], F.date(r["deadline"]),
             r["status"], (f"逾期 {int(r['days_overdue'])} 天" if r["days_overdue"] else "未逾期"),
             r["measures"] if not F.missing(r["measures"]) else "—") for _, r in _cut(df, b).iterrows()]
    w.table(["项目", "问题", "整改时限", "状态", "账龄", "整改措施"], rows, widths_mm=(32, 38, 24, 14, 18, 30))
    w.cut_note(len(df), min(len(df), b.docs.list_rows), "个未销号问题")


def inquiry_section(b: Brief, w: Writer) -> None:
    """询问答复: the year's questions to the department, the reply rate, the overdue ones named (docs/rules.md 询问台账)."""
    s, df = b.inquiries["summary"], b.inquiries["overdue"]
    if not s["asked"]:
        w.para("本年询问台账中没有向本部门提出的询问。")
        return
    rated = (f"；询问人测评 {s['rated']} 个：满意 {s['satisfied']} 个、基本满意 {s['basically']} 个、不满意 "
             f"{s['unsatisfied']} 个（满意率 {F.pct(s['satisfied_share'])}）" if s["rated"] else "")
    w.para(f"本年人大代表和委员会向本部门提出询问 {s['asked']} 个，已答复 {s['answered']} 个，答复率 "
           f"{F.pct(s['reply_rate'])}；逾期未答复 {s['overdue_unanswered']} 个，逾期答复 {s['late_answered']} 个，"
           f"尚未到期 {s['pending']} 个（按 {F.date(b.today)} 判断，答复期限当天不算逾期）{rated}。")
    if df.empty:
        w.para("没有逾期的询问。")
        return
    rows = [(r["asker"] if not F.missing(r["asker"]) else "—", _asked(r["question"], 60), F.date(r["asked_on"]),
             F.date(r["due_on"]), r["state"],
             f"{int(r['days_overdue'])} 天" if not F.missing(r["days_overdue"]) else "—")
            for _, r in _cut(df, b).iterrows()]
    w.table(["询问人", "询问内容", "询问日期", "答复期限", "情况", "逾期"], rows, widths_mm=(24, 56, 24, 24, 22, 16))
    w.cut_note(len(df), min(len(df), b.docs.list_rows), "个逾期的询问")


def result_section(b: Brief, w: Writer) -> None:
    ra = b.result_application
    if ra.empty:
        w.para("本年没有可用于结果应用的评价等级。")
        return
    rows = [(r["grade"], F.count(r["evaluations"]), F.count(r["cut"]), F.count(r["increased"]),
             F.money(r["budget_change_total"], signed=True)) for _, r in ra.iterrows()]
    w.table(["等级", "评价（条）", "下年调减（条）", "下年调增（条）", "下年预算调整合计（万元）"], rows,
            widths_mm=(20, 30, 34, 34, 38))
    df = b.budget_changes
    if df.empty:
        w.para("评价记录中没有填写下年预算调整。")
        return
    rows = [(r["object_name"], r["kind"], r["grade"] or "—", F.change(r["next_year_budget_change"], 0, "money"),
             r["result_application"] if not F.missing(r["result_application"]) else "—")
            for _, r in _cut(df, b).iterrows()]
    w.table(["评价对象", "评价类型", "等级", "下年预算调整", "结果应用"], rows, widths_mm=(46, 24, 12, 30, 44))
    w.cut_note(len(df), min(len(df), b.docs.list_rows), "条有下年预算调整的评价")


def indicators_section(b: Brief, w: Writer) -> None:
    t = b.summary["indicators"]
    w.para(f"本年绩效指标 {t['count']} 个（每个项目按最新阶段计：评价/自评、监控、申报），已完成 {t['met']} 个，"
           f"未完成 {t['not_met']} 个，无法判断 {t['unknown']} 个。{b.notes['indicators']}")
    df = b.unmet_indicators
    if df.empty:
        return
    stages = dict(STAGE_LABELS)
    rows = [(r["project"], stages.get(r["stage"], r["stage"]), r["indicator"],
             r["target_text"] if not F.missing(r["target_text"]) else "—",
             r["actual_text"] if not F.missing(r["actual_text"]) else "—",
             r["deviation_reason"] if not F.missing(r["deviation_reason"]) else "—") for _, r in df.iterrows()]
    w.table(["项目", "阶段", "指标", "目标值", "实际（预计）完成", "偏差原因"], rows, widths_mm=(36, 12, 34, 22, 22, 30))
    w.cut_note(b.unmet_indicators_count, len(df), "个未完成的指标")


def department_wide_section(b: Brief, w: Writer) -> None:
    """The department's 部门整体 form of the year (目标表, or 自评表 when there is one): budget split, 重点工作任务
    with their amounts, how many indicators."""
    d = metrics.department_wide_detail(b.q, b.department_id)
    if d is None:
        w.para("本年没有导入本部门的部门整体绩效目标表或自评表。")
        return
    f, tasks, inds = d["form"], d["tasks"], d["indicators"]
    size = "".join(part for part in (
        f"财政供养人员 {F.count(f['staff_count'])} 人，" if f["staff_count"] is not None else "",
        f"下属二级单位 {F.count(f['sub_unit_count'])} 个，" if f["sub_unit_count"] is not None else ""))
    levels = inds["level1"].fillna("其他").value_counts(sort=False) if len(inds) else pd.Series(dtype=int)
    by_level = "、".join(f"{k} {int(n)}" for k, n in levels.items())
    w.para(f"部门整体绩效{f['stage']}表：{size}部门预算 {F.wan(f['total_budget'])}（基本支出 {F.wan(f['basic_budget'])}，"
           f"项目支出 {F.wan(f['project_budget'])}）；年度重点工作任务 {len(tasks)} 项，拟投入 "
           f"{F.wan(tasks['amount'].sum(min_count=1) if len(tasks) else None)}；绩效指标 {len(inds)} 个"
           f"{'（' + by_level + '）' if by_level else ''}。")
    if tasks.empty:
        return
    shown = tasks.head(b.docs.list_rows)
    rows = [(r["name"], F.money(r["amount"]), r["target"] if not F.missing(r["target"]) else "—")
            for _, r in shown.iterrows()]
    w.table(["重点工作任务", "拟投入资金（万元）", "期望达到的目标"], rows, widths_mm=(50, 30, 86))
    w.cut_note(len(tasks), len(shown), "项重点工作任务")


def peer_section(b: Brief, w: Writer) -> None:
    p = b.peers
    if not p["basis"] or not p["peers"]:
        w.para("没有可比的主管部门，不作参照。")
        return
    rows = [(label, F.figure(p["mine"].get(key), kind), F.figure(p["median"].get(key), kind))
            for key, label, kind in PEER_FIGURES]
    w.table(["指标", "本部门", "可比部门中位数"], rows, widths_mm=(70, 40, 46))
    names = (f"{'、'.join(p['peers'][:12])}{' 等' if len(p['peers']) > 12 else ''}" if b.peer_names
             else f"{len(p['peers'])} 个部门，名称不显示")
    w.para(f"可比部门：{p['basis']}（{names}）。"
           "中位数只是背景参照，部门职能和项目结构不同，不能据此判断好坏。", style=NOTE)


def question_section(b: Brief, w: Writer) -> None:
    qs = b.questions
    if not qs:
        w.para("按现有规则没有需要特别提出的问题。")
        return
    for i, q in enumerate(qs, 1):
        w.para(f"{i}. {q.text}（依据：{q.basis}。）")
    w.para("以上问题由系统按规则从数据中拟出（规则见 docs/rules.md“简报问题”），供代表参考取舍。", style=NOTE)


Section = tuple[str, Callable[[Brief, Writer], None]]
SECTIONS: list[Section] = [
    ("总体判断", verdict_section),
    ("建议关注的问题", question_section),
    ("主要指标", headline),
    ("图表", chart_section),
    ("红灯与未报送项目", warnings_section),
    ("评价等级为中、差的项目", low_grade_section),
    ("自评虚高", inflation_section),
    ("未销号问题", findings_section),
    ("人大询问与答复", inquiry_section),
    ("结果应用（下年预算调整）", result_section),
    ("绩效指标完成情况", indicators_section),
    ("部门整体绩效", department_wide_section),
    ("同类部门参照（背景信息，非评判）", peer_section),
    ("数据范围与来源", header_block),
]


def write_brief(b: Brief, w: Writer) -> None:
    """One brief into the writer: title, header block, SECTIONS numbered in order, the notes."""
    w.first_title = w.title(f"{b.name}{b.year}年度预算绩效情况简报",
                            "（供人大代表审议参考" + (f"，仅含“{b.fund}”资金" if b.fund else "") + "）")
    w.para(f"范围：{b.fund_words}；监控数据截至 {F.date(b.summary['monitoring']['as_of'])}；判断日期 {F.date(b.today)}。"
           "数据来源和口径见文末。", style=NOTE)
    b.notes = _rules_notes(w, b.rules, b.today)
    for i, (title, section) in enumerate(SECTIONS, 1):
        w.heading(f"{F.chinese_number(i)}、{title}")
        section(b, w)
    w.write_notes()


# ---- entry points -------------------------------------------------------------------------------------------

def resolve(url: str, department) -> int:
    """A department id from an id, a code or a name (UnknownDepartment otherwise)."""
    if isinstance(department, int):
        return department
    dept_id = metrics.resolve_department(url, str(department))
    if dept_id is None:
        raise summary.UnknownDepartment(f"找不到主管部门“{department}”（按编码或名称查找）。")
    return dept_id


def finish(doc, docs: Documents, fmt: str) -> bytes:
    """The document as .docx bytes, or rendered here as .pdf (fonts this machine lacks → the Noto fallback)."""
    if fmt == "docx":
        return to_bytes(doc)
    if fmt != "pdf":
        raise DocumentError(f"不支持的格式 {fmt}：可选 docx 或 pdf。")
    fallback_fonts(doc, docs)  # render here with fonts this machine has
    return docx_to_pdf(to_bytes(doc), docs)


def brief_document(url: str, year: int, department, today: dt.date, rules: Rules, docs: Documents,
                   fmt: str = "docx", now: dt.datetime | None = None, peer_names: bool = True,
                   fund: str | None = None, link_base: str | None = None) -> bytes:
    """The brief of one 主管部门 (id, code or name) and year, as .docx or .pdf bytes; `peer_names=False` (a
    department-limited reader) names no other department; `fund` restricts it to one 资金来源."""
    b = Brief(url, year, resolve(url, department), today, rules, docs, now, peer_names=peer_names, fund=fund,
              link_base=link_base)
    doc = open_template(docs)
    write_brief(b, Writer(doc))
    return finish(doc, docs, fmt)


def _candidates(url: str, year: int, today: dt.date, rules: Rules, fund: str | None = None) -> list[int]:
    """Every department with data in the year (projects, evaluations or findings), by 部门编码."""
    q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year, fund_source=fund or None), rules, today)
    ids = set(metrics.coverage_by_department(q).query("projects > 0")["department_id"])
    ids |= set(metrics.grade_mix_by_department(q)["department_id"]) | set(
        metrics.findings_by_department(q)["department_id"])
    return _in_code_order(url, ids)


def ranked_briefs(url: str, year: int, today: dt.date, rules: Rules, docs: Documents, only_attention: bool,
                  now: dt.datetime | None = None, fund: str | None = None,
                  min_rules: int | None = None, link_base: str | None = None) -> list[Brief]:
    """The briefs of a batch, most concern first (`concern`: question rules that fire, then red, 差, overdue; ties
    by 部门编码); with only_attention, those on which at least `min_rules` question rules fire."""
    briefs = [Brief(url, year, i, today, rules, docs, now, fund=fund, link_base=link_base)
              for i in _candidates(url, year, today, rules, fund)]
    order = {b.department_id: i for i, b in enumerate(briefs)}
    if only_attention:
        least = ATTENTION_MIN_RULES if min_rules is None else min_rules
        briefs = [b for b in briefs if concern(b)[0] >= least]
    return sorted(briefs, key=lambda b: (tuple(-x for x in concern(b)), order[b.department_id]))


def attention_departments(url: str, year: int, today: dt.date, rules: Rules, docs: Documents | None = None,
                          fund: str | None = None) -> list[int]:
    """Departments on which at least ATTENTION_MIN_RULES question rules fire, most concern first."""
    return [b.department_id for b in ranked_briefs(url, year, today, rules, docs or Documents(), True, fund=fund)]


def _in_code_order(url: str, ids) -> list[int]:
    """The ids in the order of department_options: by 部门编码, departments without a code last."""
    options = metrics.department_options(url)
    return [int(i) for i in options.loc[options["id"].isin(list(ids)), "id"]]


def batch_departments(url: str, year: int, today: dt.date, rules: Rules, only_attention: bool,
                      docs: Documents | None = None, fund: str | None = None) -> list[int]:
    """The departments of the batch in its order (most concern first)."""
    return [b.department_id for b in ranked_briefs(url, year, today, rules, docs or Documents(), only_attention,
                                                   fund=fund)]


def brief_batch(url: str, year: int, today: dt.date, rules: Rules, docs: Documents, only_attention: bool = False,
                fmt: str = "docx", now: dt.datetime | None = None, fund: str | None = None,
                link_base: str | None = None) -> bytes:
    """One file for a hearing: contents (most concern first, with page numbers), one brief per department, and an
    index of the departments by 部门编码 with their pages."""
    briefs = ranked_briefs(url, year, today, rules, docs, only_attention, now, fund, link_base=link_base)
    doc = open_template(docs)
    w = Writer(doc)
    which = (f"关注度达到 {ATTENTION_MIN_RULES} 项问题规则的" if only_attention else "全部")
    w.title(f"{year}年度部门预算绩效情况简报汇编", f"（{which}主管部门，共 {len(briefs)} 个）")
    w.para("按关注度排序：先按触发的问题规则项数（规则见 docs/rules.md“简报问题”），再按红灯项目、评价为差、逾期问题的个数，"
           "多者在前（目录括号内依次为触发的规则项数、红灯项目个数、评价为差的条数、逾期问题个数）" + (f"；只收触发 {ATTENTION_MIN_RULES} 项及以上规则的部门" if only_attention else "")
           + f"。范围：{'资金来源为“' + fund + '”的项目' if fund else '全部资金来源'}。", style=NOTE)
    w.heading("目　录")
    if not briefs:
        w.para("所选年度没有符合条件的主管部门。")
    for i, b in enumerate(briefs, 1):
        s = b.summary
        w.page_line(f"{i}. {b.name}（规则 {concern(b)[0]} 项，红灯 {s['monitoring']['red']}，差 "
                    f"{s['evaluations']['grades']['差']}，逾期 {s['findings']['overdue']}）", f"dept{b.department_id}",
                    style=NOTE)
    w.para(f"判断日期 {F.date(today)}；生成时间 {F.timestamp(briefs[0].now if briefs else now or dt.datetime.now())}。",
           style=NOTE)
    for b in briefs:
        w.page_break()
        bw = Writer(doc)
        write_brief(b, bw)
        bw.bookmark(bw.first_title, f"dept{b.department_id}")
    if briefs:
        w.page_break()
        w.heading("部门索引（按部门编码）")
        for b in sorted(briefs, key=lambda b: _code_key(b)):
            w.page_line(f"{b.code or '—'}　{b.name}", f"dept{b.department_id}", style=NOTE)
    update_fields_on_open(doc)
    return finish(doc, docs, fmt)


def _code_key(b: Brief) -> tuple:
    return (b.code is None, b.code or "", b.name)
