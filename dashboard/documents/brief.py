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
)
from dashboard.documents.pdf import docx_to_pdf
from dashboard.metrics import summary
from dashboard.metrics.query import cached
from dashboard.present import fmt as F  # `fmt` is the docx/pdf argument of the entry points

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
                 now: dt.datetime | None = None, peer_names: bool = True):
        self.url, self.year, self.department_id = url, year, int(department_id)
        self.peer_names = peer_names  # False for a department-limited reader: other departments stay unnamed
        self.today, self.rules, self.docs = today, rules, docs
        self.now = now or dt.datetime.now().replace(microsecond=0)
        self.notes: dict[str, str] = {}  # footnote markers, set when the brief is written
        self.q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year, departments=(self.department_id,)),
                               rules, today)
        options = metrics.department_options(url)
        row = options.loc[options["id"] == self.department_id]
        if row.empty:
            raise summary.UnknownDepartment(f"找不到主管部门（编号 {department_id}）。")
        self.name = str(row["name"].iloc[0])
        self.code = None if pd.isna(row["code"].iloc[0]) else str(row["code"].iloc[0])

    # ---- figures -----------------------------------------------------------------------------------------
    @functools.cached_property
    def summary(self) -> dict:
        """`summary --json` of this department, year and judging date: the headline figures."""
        return summary.summary(self.url, self.year, self.code or self.name, self.today, self.rules)

    @functools.cached_property
    def previous(self) -> dict | None:
        """The same figures of the year before, when that year has data."""
        if self.year - 1 not in metrics.available_years(self.url):
            return None
        return summary.summary(self.url, self.year - 1, self.code or self.name, self.today, self.rules)

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
    def peers(self) -> dict:
        return peer_context(self.q.scoped(departments=()), self.department_id)

    @functools.cached_property
    def questions(self) -> list[Question]:
        return questions(self)


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
    return df


def peer_context(q: metrics.Query, department_id: int) -> dict:
    """Comparable departments: the same 所属领域 where at least two others share it, else a budget between half
    and twice this one's. Returns the rule used, the peers and the median of each figure."""
    df = peer_frame(q).copy()
    me = df.loc[df["department_id"] == department_id]
    if me.empty:
        return {"basis": None, "peers": [], "mine": {}, "median": {}}
    me = me.iloc[0]
    others = df[df["department_id"] != department_id]
    sector = me["sector"] if isinstance(me["sector"], str) and me["sector"] else None
    same = others[others["sector"] == sector] if sector else others.iloc[0:0]
    if len(same) >= 2:
        peers, basis = same, f"同属「{sector}」领域的 {len(same)} 个主管部门"
    else:
        budget = float(me["budget"] or 0)
        peers = others[(others["budget"] >= budget / 2) & (others["budget"] <= budget * 2)] if budget > 0 else \
            others.iloc[0:0]
        basis = f"预算规模在本部门一半到两倍之间的 {len(peers)} 个主管部门"
    median = {}
    for key, _, _ in PEER_FIGURES:
        values = [float(v) for v in peers[key] if not F.missing(v)]
        median[key] = statistics.median(values) if values else None
    return {"basis": basis, "peers": sorted(peers["department"].tolist()),
            "mine": {k: (None if F.missing(me[k]) else float(me[k])) for k, _, _ in PEER_FIGURES},
            "median": median}


# ---- the questions ------------------------------------------------------------------------------------------

def _name(row) -> str:
    name = row.get("name") if "name" in row else row.get("object_name")
    return str(name if not F.missing(name) else row.get("object_name") or "—")


def questions(b: Brief) -> list[Question]:
    """建议关注的问题, drafted by rule from the brief's own lists (each rule at most QUESTIONS_PER_RULE times)."""
    out: list[Question] = []
    s = b.summary
    reds = b.warnings[b.warnings["light"] == RED]
    for _, r in reds.head(QUESTIONS_PER_RULE).iterrows():
        reason = r["deviation_reason"] if not F.missing(r["deviation_reason"]) else None
        points, on_target = worst_lag(r)
        basis = (f"截至 {F.date(r['as_of'])} " + (f"目标完成进度 {F.pct(r['target_progress'])}" if on_target else
                                                 f"预算执行率 {F.pct(r['execution_rate'])}")
                 + f"，序时进度 {F.pct(r['time_progress'])}，滞后 {F.points(points)} 个百分点（红灯）")
        text = (f"「{r['name']}」预算执行明显滞后，" + (f"单位说明的原因是「{reason}」。这一原因是否成立，年底前能否完成？"
                                               if reason else "单位没有说明偏差原因。滞后的原因是什么，年底前能否完成？"))
        out.append(Question("red", text, basis, {"project_id": int(r["project_id"]), "lag": points,
                                                  "on_target": on_target, "execution_rate": r["execution_rate"]}))
    if len(reds) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(reds) - QUESTIONS_PER_RULE, "红灯项目")
    grey = s["monitoring"]["grey"]
    if grey:
        out.append(Question("grey", f"{grey} 个设定了绩效目标的项目本年没有报送绩效监控，为什么没有报送？",
                            f"未报送（灰灯）{grey} 个", {"grey": grey}))
    bad = b.low_grades[(b.low_grades["grade"] == "差")]
    unfollowed = bad[~bad["project_id"].isin(b.finding_projects) | bad["project_id"].isna()]
    for _, r in unfollowed.head(QUESTIONS_PER_RULE).iterrows():
        out.append(Question(
            "bad_no_finding", f"「{r['object_name']}」{r['kind']}等级为差，但没有登记整改问题。评价发现的问题是否已要求整改？",
            f"{r['kind']}得分 {F.score(r['score'])}（差），登记的整改问题 0 个",
            {"evaluation_id": int(r["evaluation_id"]), "score": None if F.missing(r["score"]) else float(r["score"])}))
    if len(unfollowed) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(unfollowed) - QUESTIONS_PER_RULE, "差等级评价")
    days = b.docs.question_overdue_days
    late = b.open_findings[b.open_findings["days_overdue"] > days].sort_values(
        ["days_overdue", "finding_id"], ascending=[False, True])
    for _, r in late.head(QUESTIONS_PER_RULE).iterrows():
        out.append(Question(
            "overdue", f"问题「{r['description']}」已过整改时限 {int(r['days_overdue'])} 天仍为{r['status']}，"
                       "卡在哪里，何时能整改到位？",
            f"整改时限 {F.date(r['deadline'])}，按 {F.date(b.today)} 逾期 {int(r['days_overdue'])} 天（超过 {days} 天）",
            {"finding_id": int(r["finding_id"]), "days_overdue": int(r["days_overdue"])}))
    if len(late) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(late) - QUESTIONS_PER_RULE, f"逾期超过 {days} 天的问题")
    gap_rule = b.rules.inflation_gap
    by_gap = pd.Series([inflated_by_gap(r, b.rules) for _, r in b.inflation.iterrows()], index=b.inflation.index,
                       dtype=bool)
    high = b.inflation[by_gap]
    for _, r in high.head(QUESTIONS_PER_RULE).iterrows():
        out.append(Question(
            "inflation", f"「{r['name']}」单位自评明显高于{r['independent_kind']}，自评是怎样打分的？",
            f"单位自评 {F.score(r['self_score'])}，{r['independent_kind']} {F.score(r['independent_score'])}，"
            f"高出 {F.score(r['gap'])}（≥{gap_rule:g} 分即为自评虚高）",
            {"project_id": int(r["project_id"]), "gap": float(r["gap"])}))
    if len(high) > QUESTIONS_PER_RULE:
        out[-1] = _more(out[-1], len(high) - QUESTIONS_PER_RULE, f"自评高出 {gap_rule:g} 分以上的项目")
    return out


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
                          "整改率 = 已整改 ÷ 全部问题。"),
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
            ("范围", "本部门全部预算单位、全部资金来源"),
            ("数据截至", f"监控数据截至 {F.date(b.summary['monitoring']['as_of'])}"),
            ("判断日期", f"{F.date(b.today)}（逾期、账龄按此日判断）"), ("来源批次", batch),
            ("生成时间", F.timestamp(b.now))]
    w.table(["项目", "内容"], rows, widths_mm=(30, TEXT_WIDTH_MM - 30))


def headline(b: Brief, w: Writer) -> None:
    notes = b.notes
    s, p = b.summary, b.previous
    prev_label = f"{b.year - 1} 年" if p else f"{b.year - 1} 年（无数据）"
    rows = []
    for label, path, kind, note in HEADLINE_ROWS:
        now, before = pick(s, path), pick(p, path)
        rows.append((label + (notes[note] if note else ""), F.figure(now, kind), F.figure(before, kind),
                     F.change(now, before, kind)))
    w.table(["指标", f"{b.year} 年", prev_label, "变化"], rows, widths_mm=(62, 32, 32, 30))
    r = b.rank
    if r and r["rank"] is not None:
        text = (f"综合得分 {F.score(r['composite'], unit=False)}，在 {r['of']} 个主管部门中排第 {r['rank']} 名"
                + (f"（上年第 {r['prev_rank']} 名）" if r["prev_rank"] is not None else "（上年无排名）") + "。"
                + notes["rank"])
        if r["small_sample"]:
            text += (f"本部门本年仅 {r['projects']} 个项目，少于 {b.rules.min_projects} 个（样本少），"
                     "排名受个别项目影响大，仅供参考。")
        w.para(text)
    else:
        w.para("本部门本年没有可排名的数据（没有项目、监控、评价或整改记录）。")


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
    w.para("以上问题由系统按规则从数据中拟出，供代表参考取舍。", style=NOTE)


Section = tuple[str, Callable[[Brief, Writer], None]]
SECTIONS: list[Section] = [
    ("主要指标", headline),
    ("图表", chart_section),
    ("红灯与未报送项目", warnings_section),
    ("评价等级为中、差的项目", low_grade_section),
    ("自评虚高", inflation_section),
    ("未销号问题", findings_section),
    ("结果应用（下年预算调整）", result_section),
    ("绩效指标完成情况", indicators_section),
    ("部门整体绩效", department_wide_section),
    ("同类部门参照（背景信息，非评判）", peer_section),
    ("建议关注的问题", question_section),
]


def write_brief(b: Brief, w: Writer) -> None:
    """One brief into the writer: title, header block, SECTIONS numbered in order, the notes."""
    w.title(f"{b.name}{b.year}年度预算绩效情况简报", "（供人大代表审议参考）")
    header_block(b, w)
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
                   fmt: str = "docx", now: dt.datetime | None = None, peer_names: bool = True) -> bytes:
    """The brief of one 主管部门 (id, code or name) and year, as .docx or .pdf bytes; `peer_names=False` (a
    department-limited reader) names no other department."""
    b = Brief(url, year, resolve(url, department), today, rules, docs, now, peer_names=peer_names)
    doc = open_template(docs)
    write_brief(b, Writer(doc))
    return finish(doc, docs, fmt)


def attention_departments(url: str, year: int, today: dt.date, rules: Rules) -> list[int]:
    """Departments with a red light or a 差 grade in the year, by 部门编码."""
    q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year), rules, today)
    lights = metrics.lights_by_department(q)
    grades = metrics.grade_mix_by_department(q)
    ids = set(lights.loc[lights["red"] > 0, "department_id"]) | set(grades.loc[grades["差"] > 0, "department_id"])
    return [int(i) for i in _in_code_order(url, ids)]


def _in_code_order(url: str, ids) -> list[int]:
    """The ids in the order of department_options: by 部门编码, departments without a code last."""
    options = metrics.department_options(url)
    return [int(i) for i in options.loc[options["id"].isin(list(ids)), "id"]]


def batch_departments(url: str, year: int, today: dt.date, rules: Rules, only_attention: bool) -> list[int]:
    """Every department with data in the year (projects, evaluations or findings), or only those needing attention."""
    if only_attention:
        return attention_departments(url, year, today, rules)
    q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year), rules, today)
    ids = set(metrics.coverage_by_department(q).query("projects > 0")["department_id"])
    ids |= set(metrics.grade_mix_by_department(q)["department_id"]) | set(
        metrics.findings_by_department(q)["department_id"])
    return _in_code_order(url, ids)


def brief_batch(url: str, year: int, today: dt.date, rules: Rules, docs: Documents, only_attention: bool = False,
                fmt: str = "docx", now: dt.datetime | None = None) -> bytes:
    """One file for a hearing: a contents page, then one brief per department (or only those with red lights or 差)."""
    ids = batch_departments(url, year, today, rules, only_attention)
    doc = open_template(docs)
    w = Writer(doc)
    briefs = [Brief(url, year, i, today, rules, docs, now) for i in ids]
    which = "有红灯项目或评价等级为差的" if only_attention else "全部"
    w.title(f"{year}年度部门预算绩效情况简报汇编", f"（{which}主管部门，共 {len(briefs)} 个）")
    w.heading("目　录")
    if not briefs:
        w.para("所选年度没有符合条件的主管部门。")
    for i, b in enumerate(briefs, 1):
        s = b.summary
        w.para(f"{i}. {b.name}　红灯 {s['monitoring']['red']} 个，评价为差 {s['evaluations']['grades']['差']} 条，"
               f"逾期问题 {s['findings']['overdue']} 个", style=NOTE)
    w.para(f"判断日期 {F.date(today)}；生成时间 {F.timestamp(briefs[0].now if briefs else now or dt.datetime.now())}。",
           style=NOTE)
    for b in briefs:
        w.page_break()
        write_brief(b, Writer(doc))
    return finish(doc, docs, fmt)
