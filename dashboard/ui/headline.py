"""The headline figures of a scope's year against the year before: the KPI cards 总览 and the 大屏 draw (one list of
cards, each with its definition), so the meeting screen can never show another figure than the overview."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.ui import data, deltas, filters, fmt


@dataclass(frozen=True)
class Headline:
    kpis: dict
    prev_year: int
    prev: dict | None  # last year's kpis, None when that year has no data
    cards: dict[str, dict]  # key → kpi.card arguments (label, value, delta, help, inverse), in 总览's order


def figures(ctx) -> Headline | None:
    """The scope's headline cards, or None when the year has no projects, evaluations or findings."""
    k = data.kpis(ctx)
    prev_year = ctx.scope.year - 1
    prev = data.kpis(ctx, data.scope_for(ctx, year=prev_year)) if prev_year in ctx.years else None
    p, m, e, f = k["projects"], k["monitoring"], k["evaluations"], k["findings"]
    if not p["projects"] and not e["count"] and not f["total"]:
        return None
    d = deltas.year_on_year(k, prev)
    budget_value, budget_unit = fmt.wan_unit(p["budget_total"])
    lights = filters.rules_summary(ctx.rules)
    cards = {
        "budget": {"label": f"预算（{budget_unit}）", "value": budget_value, "delta": d["budget"],
                   "help": f"Σ 调整后预算（无调整数时取年初预算）。{p['departments']} 个主管部门、{p['units']} 个预算单位、"
                           f"{p['projects']} 个项目。"},
        "coverage": {"label": "绩效目标覆盖率", "value": fmt.pct(p["coverage_funds"]), "delta": d["coverage"],
                     "help": f"按资金：设定绩效目标项目的预算 ÷ 全部预算。按项目数为 {fmt.pct(p['coverage_count'])}"
                             f"（{p['target_projects']}/{p['projects']}）。"},
        "execution": {"label": "预算执行率", "value": fmt.pct(m["execution_rate"]), "delta": d["execution"],
                      "help": f"Σ 执行数 ÷ Σ 调整后预算（已报送监控的项目，取各项目本年最新一期）。"
                              f"监控截止 {fmt.date(m['as_of'])}，序时进度 {fmt.pct(m['time_progress'])}。"},
        "avg_score": {"label": "评价平均分", "value": fmt.score(e["avg_score"]).replace(" 分", ""),
                      "delta": d["avg_score"],
                      "help": f"本年全部评价记录（含部门整体支出、政策）的平均得分，共 {e['count']} 条。"
                              + filters.grade_summary(ctx.rules)},
        "rectification": {"label": "整改率", "value": fmt.pct(f["rate"]), "delta": d["rectification"],
                          "help": (f"已核验 ÷ 全部问题：{f['verified']}/{f['total']}（单位报称已整改 {f['rectified']}，"
                                   f"待核验 {f['reported_unverified']}）。" if ctx.rules.rectification_basis != "reported"
                                   else f"单位报称已整改 ÷ 全部问题：{f['rectified']}/{f['total']}。")},
        "red": {"label": "红灯项目", "value": fmt.count(m["red"]), "delta": d["red"], "inverse": True, "help": lights},
        "yellow": {"label": "黄灯项目", "value": fmt.count(m["yellow"]), "delta": d["yellow"], "inverse": True,
                   "help": lights},
        "grey": {"label": "未报送（灰灯）", "value": fmt.count(m["grey"]), "delta": d["grey"], "inverse": True,
                 "help": "设定了绩效目标、但本年没有监控记录的项目数。"},
        "overdue": {"label": "逾期未整改", "value": fmt.count(f["overdue"]), "delta": d["overdue"], "inverse": True,
                    "help": f"未销号且已过整改时限的问题（按 {fmt.date(ctx.today)} 判断，见侧栏「判断日期」；"
                            "时限当天不算逾期）。"},
        "inflation": {"label": "自评虚高", "value": fmt.count(e["inflation_flags"]), "delta": d["inflation"],
                      "inverse": True,
                      "help": f"单位自评比抽查复核/财政重点评价高 ≥{ctx.rules.inflation_gap:g} 分或等级不同的项目数。"},
    }
    return Headline(k, prev_year, prev, cards)
