"""`summary --json`: the headline figures of a year (the contract in README's command reference), from the metric functions the pages use."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.exc import DataError

from dashboard import metrics
from dashboard.core.settings import Rules


class UnknownDepartment(LookupError):
    """The --department given names no 主管部门 (by code or name)."""


class FiguresOutOfRange(ValueError):
    """The database refused to add up the stored amounts (PostgreSQL: a sum past the largest double), which only
    amounts the importer now refuses (docs/rules.md 合理取值范围) can cause; SQLite gives Infinity, shown as null."""


def _money(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 2)


def _ratio(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 4)


def finite(value):
    """`value` with every float that is not a finite number (NaN, ±Infinity) replaced by None, in nested dicts and
    lists: JSON has no such numbers (json.dumps(..., allow_nan=False) accepts the result), so a figure the data
    cannot give is null, as an empty one is. The importer refuses such amounts; this guards older or hand-made data."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # a numpy scalar
        return finite(value.item())
    return value


def summary(url: str, year: int, department: str | None, today: dt.date, rules: Rules,
            fund_source: str | None = None) -> dict:
    """Figures depend only on the data (and `today` for overdue): money to 0.01 万元, ratios to 4 decimals.
    `fund_source` scopes every figure to one 资金来源, as the page filter does (the documents' `--fund`)."""
    departments: tuple[int, ...] = ()
    department_name = None
    if department:
        dept_id = metrics.resolve_department(url, department)
        if dept_id is None:
            raise UnknownDepartment(f"找不到主管部门“{department}”（按编码或名称查找）。")
        departments = (dept_id,)
        options = metrics.department_options(url)
        department_name = options.loc[options["id"] == dept_id, "name"].iloc[0]
    q = metrics.Query(url, metrics.prepare(url),
                      metrics.Scope(year=year, departments=departments, fund_source=fund_source), rules, today)
    try:
        k = metrics.kpis(q)
    except DataError as exc:
        if "out of range" not in str(exc):
            raise
        raise FiguresOutOfRange(f"{year}年的金额合计超出了数字的范围：数据库中有大得不合理的金额（如 1e308 万元）。"
                                "请用 python -m dashboard batches 找到导入它们的批次并撤销（undo），"
                                "改正文件后重新导入。") from None
    p, m, e, f = k["projects"], k["monitoring"], k["evaluations"], k["findings"]
    return finite({
        "year": year,
        "department": department_name,
        "departments": p["departments"],
        "units": p["units"],
        "projects": p["projects"],
        "budget_total": _money(p["budget_total"]),
        # a share of a total that is no finite number is none either (finite ÷ inf would read as 0%)
        "target_coverage": {"by_count": _ratio(p["coverage_count"]),
                            "by_funds": _ratio(p["coverage_funds"]) if _money(p["budget_total"]) is not None else None},
        "monitoring": {
            "as_of": m["as_of"].isoformat() if m["as_of"] else None,
            "reported": m["reported"],
            "green": m["green"],
            "yellow": m["yellow"],
            "red": m["red"],
            "grey": m["grey"],
            "execution_rate": _ratio(m["execution_rate"]),
        },
        "evaluations": {
            "count": e["count"],
            "avg_score": _money(e["avg_score"]),
            "grades": e["grades"],
            "by_kind": e["by_kind"],
            "inflation_flags": e["inflation_flags"],
        },
        "findings": {
            "total": f["total"],
            "rectified": f["rectified"],
            "in_progress": f["in_progress"],
            "not_started": f["not_started"],
            "overdue": f["overdue"],
            "rate": _ratio(f["rate"]),
        },
        # each project's indicators once, at its most advanced stage (评价 over 自评 over 监控 over 申报)
        "indicators": metrics.indicator_totals(q),
        # 整改 you can verify (docs/rules.md 整改): 已核验, 单位报称已整改 but not verified, 直接落实率 and 综合整改率,
        # findings whose deadline was extended, 屡审屡犯
        "rectification": metrics.rectification_summary(q),
        # 结果应用台账 (docs/rules.md): projects flagged RA1 / RA2 / RA3, policies due for evaluation (RA4)
        "result_application": metrics.result_application_summary(q),
        # 目标质量 (docs/rules.md, TQ1–TQ8): flags, projects with at least one, flags per rule
        "target_quality": metrics.target_quality_summary(q),
        # 部门整体 forms (目标表 / 自评表): each department once, at its most advanced stage; budget in 万元
        "department_wide": metrics.department_wide_totals(q),
        # 报送情况 (docs/rules.md): the year's current collection round (the newest open one), its units (应报), those
        # that reported (late ones included) and those that reported late; {"current": null} when the year has none
        "rounds": metrics.rounds_summary(q),
    })


def _round_line(r: dict | None) -> str:
    if r is None:
        return "报送轮次：本年没有"
    what = "绩效监控（截至 " + r["as_of"] + "）" if r["as_of"] else "单位自评"
    return (f"报送轮次 {what}：应报单位 {r['units']}，已报送 {r['reported']}（其中逾期 {r['late']}），"
            f"未报送 {r['units'] - r['reported']}")


def format_text(s: dict) -> str:
    """The same figures for a person at a terminal."""
    def pct(x):
        return "—" if x is None else f"{x:.1%}"

    def wan(x):
        return "—" if x is None else f"{x:,.2f}"

    m, e, f = s["monitoring"], s["evaluations"], s["findings"]
    lines = [
        f"{s['year']}年 {s['department'] or '全部主管部门'}",
        f"主管部门 {s['departments']} 个，预算单位 {s['units']} 个，项目 {s['projects']} 个，预算 {wan(s['budget_total'])} 万元",
        f"绩效目标覆盖率：按个数 {pct(s['target_coverage']['by_count'])}，按金额 {pct(s['target_coverage']['by_funds'])}",
        (f"监控（截至 {m['as_of'] or '—'}）：已报送 {m['reported']}，绿 {m['green']} 黄 {m['yellow']} 红 {m['red']}，"
         f"未报送 {m['grey']}，执行率 {pct(m['execution_rate'])}"),
        (f"评价 {e['count']} 个，平均分 {e['avg_score'] if e['avg_score'] is not None else '—'}，"
         + "，".join(f"{g} {n}" for g, n in e["grades"].items()) + f"，自评虚高 {e['inflation_flags']}"),
        (f"问题 {f['total']} 个：已整改 {f['rectified']}，整改中 {f['in_progress']}，未整改 {f['not_started']}，"
         f"逾期 {f['overdue']}，整改率 {pct(f['rate'])}"),
        (f"绩效指标 {s['indicators']['count']} 个：已完成 {s['indicators']['met']}，未完成 {s['indicators']['not_met']}，"
         f"无法判断 {s['indicators']['unknown']}"),
        (f"核验：已核验 {s['rectification']['verified']}，单位报称已整改未核验 {s['rectification']['reported_unverified']}，"
         f"直接落实率 {pct(s['rectification']['direct_rate'])}，综合整改率 {pct(s['rectification']['overall_rate'])}，"
         f"延期 {s['rectification']['extended']}，屡审屡犯 {s['rectification']['repeat']}"),
        (f"结果应用：连续两年中或差 {s['result_application']['consecutive_poor']}，差但下年预算增加 "
         f"{s['result_application']['poor_budget_up']}，未登记结果应用 {s['result_application']['no_application']}，"
         f"政策到期应评价 {s['result_application']['policies_due']}"),
        (f"目标质量：标记 {s['target_quality']['flags']} 处，涉及项目 {s['target_quality']['projects_flagged']} 个（"
         + "，".join(f"{k} {v}" for k, v in s["target_quality"]["by_rule"].items()) + "）"),
        (f"部门整体绩效 {s['department_wide']['departments']} 个部门，预算 {wan(s['department_wide']['budget_total'])} 万元，"
         f"指标 {s['department_wide']['indicators']} 个"),
        _round_line(s["rounds"]["current"]),
    ]
    return "\n".join(lines)
