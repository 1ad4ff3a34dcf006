"""Column headers of the metric tables (shared by on-screen tables and Excel downloads) and which columns hold money or ratios.

Enumeration values and their labels (lights, batch sources, table kinds) come from dashboard.core.vocab.
"""

from __future__ import annotations

from dashboard.core.vocab import LIGHT_LABELS

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
    **LIGHT_LABELS,  # the per-light count columns of lights_by_department
    "reported": "已报送",
    "red_count": "红灯数",
    "rectification_rate": "整改率",
    "bucket": "逾期账龄",
    "month": "月份",
    "closed": "当月销号",
    "cumulative_closed": "累计销号",
    # 绩效指标 (issue 12)
    "stage": "阶段",
    "level1": "一级指标",
    "level2": "二级指标",
    "indicator": "三级指标",
    "target_text": "指标值",
    "actual_text": "实际完成值",
    "current_text": "截至目前完成",
    "expected_text": "全年预计完成",
    "indicator_status": "完成情况",
    "weight": "分值",
    "indicator_count": "指标数",
    "indicators": "指标数",
    "met": "已完成",
    "not_met": "未完成",
    "unknown": "无法判断",
    "met_share": "完成率",
    "has_output": "有产出指标",
    "has_outcome": "有效益指标",
    "has_satisfaction": "有满意度指标",
    "unquantified": "未量化的指标",
    "complete": "目标完整",
    "complete_share": "目标完整率",
    "complete_projects": "目标完整项目数",
    "no_output": "缺产出指标",
    "no_outcome": "缺效益指标",
    "no_satisfaction": "缺满意度指标",
    "unquantified_projects": "有未量化指标的项目",
}

MONEY_COLUMNS = {"budget", "initial_budget", "adjusted_budget", "executed", "target_budget", "evaluated_budget",
                 "fund_amount", "next_year_budget_change", "budget_change_total"}
FRACTION_COLUMNS = {"execution_rate", "time_progress", "target_progress", "coverage_count", "coverage_funds",
                    "monitoring_coverage", "evaluation_coverage", "rate", "rectification_rate", "met_share",
                    "complete_share"}
# shown with one decimal: scores, composite sub-scores and lags
ONE_DECIMAL_COLUMNS = {"score", "avg_score", "self_score", "independent_score", "gap", "composite", "coverage",
                       "execution", "evaluation", "rectification", "not_red", "lag"}
BOOL_COLUMNS = ("has_target", "flagged", "small_sample", "deputies_participated", "has_output", "has_outcome",
                "has_satisfaction", "complete")
DATE_COLUMNS = ("as_of", "deadline", "completed_on")

# the five parts of the composite score, named as on the 部门排名 page
COMPONENT_LABELS = {"coverage": "目标覆盖", "execution": "执行", "evaluation": "评价", "rectification": "整改",
                    "not_red": "非红灯"}


def label(column: str) -> str:
    """The Chinese header of a metric column on screen; ratio columns carry （%） (they show 62.3)."""
    text = LABELS.get(column, column)
    return f"{text}（%）" if column in FRACTION_COLUMNS else text


def excel_label(column: str) -> str:
    """The header in a download: ratios are Excel percentages there (62.3%), so without （%）."""
    return LABELS.get(column, column)
