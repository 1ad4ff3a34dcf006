"""Number, money and label formatting for the UI: 万元 with thousands separators, 亿元 above 10,000 万元."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

DASH = "—"


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def wan(x, digits: int = 2) -> str:
    """Money given in 万元: '1,234.50 万元', or '1.23 亿元' from 10,000 万元 up."""
    if _missing(x):
        return DASH
    x = float(x)
    if abs(x) >= 10000:
        return f"{x / 10000:,.{digits}f} 亿元"
    return f"{x:,.{digits}f} 万元"


def wan_unit(x, digits: int = 2) -> tuple[str, str]:
    """Money split into (number, unit) for KPI cards: ('37.59', '亿元') or ('1,234.50', '万元')."""
    if _missing(x):
        return DASH, "万元"
    x = float(x)
    if abs(x) >= 10000:
        return f"{x / 10000:,.{digits}f}", "亿元"
    return f"{x:,.{digits}f}", "万元"


def wan_delta(x, digits: int = 2) -> str | None:
    """A signed money change for st.metric's delta ('+1,200.00 万元'), None when unknown."""
    if _missing(x):
        return None
    sign = "+" if x > 0 else ("-" if x < 0 else "")
    return sign + wan(abs(float(x)), digits)


def pct(frac, digits: int = 1) -> str:
    """A fraction as a percentage: 0.666 → '66.6%'."""
    if _missing(frac):
        return DASH
    return f"{float(frac) * 100:.{digits}f}%"


def points(x, digits: int = 1, signed: bool = False) -> str:
    """Percentage points ('12.3 个百分点')."""
    if _missing(x):
        return DASH
    return f"{float(x):{'+' if signed else ''}.{digits}f} 个百分点"


def pp_delta(frac_now, frac_before, digits: int = 1) -> str | None:
    """Change of a ratio between two years, in percentage points, for st.metric's delta."""
    if _missing(frac_now) or _missing(frac_before):
        return None
    return f"{(float(frac_now) - float(frac_before)) * 100:+.{digits}f} 个百分点"


def score(x, digits: int = 1) -> str:
    if _missing(x):
        return DASH
    return f"{float(x):.{digits}f} 分"


def count(n, unit: str = "") -> str:
    if _missing(n):
        return DASH
    return f"{int(n):,}{(' ' + unit) if unit else ''}"


def count_delta(now, before) -> str | None:
    if _missing(now) or _missing(before):
        return None
    return f"{int(now) - int(before):+,}"


def date(d) -> str:
    if _missing(d):
        return DASH
    if isinstance(d, str):
        return d
    if isinstance(d, (dt.datetime, pd.Timestamp)):
        d = d.date()
    return d.isoformat()


def finite(x) -> float | None:
    """A float, or None for None/NaN/inf (for chart values)."""
    if _missing(x):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# Display names of the metric columns, shared by tables and Excel downloads.
LABELS: dict[str, str] = {
    "year": "年度",
    "code": "项目编码",
    "name": "项目名称",
    "project": "项目名称",
    "department": "主管部门",
    "unit": "预算单位",
    "category": "项目类别",
    "fund_source": "资金来源",
    "budget": "预算（万元）",
    "initial_budget": "年初预算（万元）",
    "adjusted_budget": "调整后预算（万元）",
    "executed": "执行数（万元）",
    "execution_rate": "执行率",
    "time_progress": "序时进度",
    "target_progress": "目标完成进度",
    "lag": "滞后（百分点）",
    "light": "预警",
    "deviation_reason": "偏差原因",
    "likelihood": "完成目标可能性",
    "as_of": "监控截止日期",
    "projects": "项目数",
    "target_projects": "有目标项目数",
    "target_budget": "有目标预算（万元）",
    "coverage_count": "目标覆盖率（按项目数）",
    "coverage_funds": "目标覆盖率（按资金）",
    "monitored_projects": "已监控项目数",
    "monitoring_coverage": "监控覆盖率",
    "evaluated_budget": "已评价资金（万元）",
    "evaluation_coverage": "评价覆盖率（按资金）",
    "evaluated_projects": "已评价项目数",
    "kind": "评价类型",
    "object_type": "评价对象类型",
    "object_name": "评价对象",
    "fund_amount": "资金规模（万元）",
    "score": "得分",
    "grade": "等级",
    "evaluator": "评价机构",
    "deputies_participated": "人大代表参与",
    "main_problems": "主要问题",
    "result_application": "结果应用",
    "next_year_budget_change": "下年预算调整（万元）",
    "self_score": "自评得分",
    "independent_score": "复核/重点评价得分",
    "independent_kind": "独立评价类型",
    "gap": "差值（分）",
    "self_grade": "自评等级",
    "independent_grade": "独立评价等级",
    "flagged": "自评虚高",
    "evaluations": "评价数",
    "budget_change_total": "下年预算调整合计（万元）",
    "cut": "压减数",
    "increased": "增加数",
    "description": "问题描述",
    "requirement": "整改要求",
    "deadline": "整改时限",
    "status": "整改状态",
    "completed_on": "完成日期",
    "days_overdue": "逾期天数",
    "age_bucket": "逾期账龄",
    "source": "问题来源",
    "total": "问题总数",
    "overdue": "逾期数",
    "rate": "整改率",
    "count": "评价数",
    "avg_score": "平均分",
    "coverage": "目标覆盖得分",
    "execution": "执行得分",
    "evaluation": "评价得分",
    "rectification": "整改得分",
    "not_red": "非红灯得分",
    "composite": "综合得分",
    "rank": "排名",
    "prev_rank": "上年排名",
    "rank_change": "名次变化",
    "small_sample": "样本少",
    "has_target": "设定目标",
    "open_findings": "未销号问题",
    "green": "绿灯",
    "yellow": "黄灯",
    "red": "红灯",
    "grey": "未报送",
    "reported": "已报送",
    "red_count": "红灯数",
    "rectification_rate": "整改率",
    "bucket": "逾期账龄",
    "month": "月份",
    "closed": "当月销号",
    "cumulative_closed": "累计销号",
}

LIGHT_ZH = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "grey": "未报送"}

MONEY_COLUMNS = {"budget", "initial_budget", "adjusted_budget", "executed", "target_budget", "evaluated_budget",
                 "fund_amount", "next_year_budget_change", "budget_change_total"}
FRACTION_COLUMNS = {"execution_rate", "time_progress", "target_progress", "coverage_count", "coverage_funds",
                    "monitoring_coverage", "evaluation_coverage", "rate", "rectification_rate"}


def zh_frame(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """The given metric columns (all when None), renamed to Chinese; lights in Chinese; booleans as 是/否."""
    if df is None:
        return pd.DataFrame()
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    out = df[cols].copy()
    if "light" in out:
        out["light"] = out["light"].map(lambda v: LIGHT_ZH.get(v, v))
    for c in ("has_target", "flagged", "small_sample", "deputies_participated"):
        if c in out:
            out[c] = out[c].map(lambda v: DASH if _missing(v) else ("是" if bool(v) else "否"))
    for c in ("as_of", "deadline", "completed_on"):
        if c in out:
            out[c] = out[c].map(lambda v: None if _missing(v) else date(v))
    for c in FRACTION_COLUMNS & set(cols):  # shown and exported as percent numbers (62.3), header says （%）
        out[c] = (pd.to_numeric(out[c], errors="coerce") * 100).round(2)
    return out.rename(columns={c: label(c) for c in cols})


def label(column: str) -> str:
    """The Chinese header of a metric column; ratio columns carry （%）."""
    text = LABELS.get(column, column)
    return f"{text}（%）" if column in FRACTION_COLUMNS else text
