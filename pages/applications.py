"""结果应用: the 结果应用台账 (every evaluated project's grades by year, next year's budget, flags RA1–RA3), policies due
for evaluation (RA4, RA5) and the four result classes."""

import streamlit as st

from dashboard.ui import common, data, filters, fmt, kpi, tables, vocab

FLAGS = data.APPLICATION_FLAGS
ALL, ANY = "全部已评价项目", "有标记的项目"
CHOICES = {ALL: None, ANY: "any", **{f"{k} {FLAGS[k]}": k for k in ("RA1", "RA2", "RA3")}}
NO_CLASS = "未填写"

ctx = filters.current()
r = ctx.rules
common.header("结果应用", ctx)
common.provenance(ctx)
st.caption("项目每年的等级取最独立的一次评价（抽查复核 > 财政重点评价 > 部门评价 > 单位自评），"
           "与项目查询的等级相同；上年、下年按项目编码对应。" + filters.grade_summary(r))

with common.guard("结果应用概况"):
    t = data.ledger_totals(ctx)
    p = data.policy_totals(ctx)
    if not t["evaluated"] and not p["policies"]:
        common.no_data(ctx, "评价记录")
        st.stop()
    kpi.row([
        {"label": "已评价项目", "value": fmt.count(t["evaluated"]),
             "help": f"本年有评价记录的项目，其中 {t['flagged']:,} 个有关注标记。"},
        {"label": "连续两年中差", "value": fmt.count(t["RA1"]), "inverse": True,
             "help": "RA1：本年和上年（同一项目编码）的等级都是中或差。"},
        {"label": "差但预算增加", "value": fmt.count(t["RA2"]), "inverse": True,
             "help": "RA2：本年等级为差，下年同一项目的预算高于本年，或评价填报的下年预算调整大于 0。"},
        {"label": "未登记结果应用", "value": fmt.count(t["RA3"]), "inverse": True,
             "help": "RA3：本年各次评价的结果应用、下年预算调整、结果应用类别都没有填写。"},
        {"label": "政策到期应评价", "value": fmt.count(p["due"]), "inverse": True,
             "help": f"RA4：出台超过 {r.policy_age_years} 年的政策，每 {r.policy_interval_years} 年至少评价一次；"
                     f"应评价年度在本年或以前、尚未再评价的，其中已逾期 {p['overdue']:,} 个。"},
    ])

with common.guard("结果应用台账"):
    st.subheader("结果应用台账", help="每个已评价项目一行：历年等级、本年预算与下年预算、评价填报的下年预算调整、"
                                   "结果应用和类别，以及关注标记。有标记的在前，再按预算增减（无下年预算时按下年预算调整）"
                                   "从大到小。")
    choice = st.segmented_control("关注标记", list(CHOICES), default=ALL, key="ra_flag", bind="query-params")
    choice = choice if choice in CHOICES else ALL
    tables.listing(data.application_ledger(ctx, flag=CHOICES[choice]), ctx, "结果应用台账", "ra_ledger",
                   ["flags", "name", "department", "grade_history", "budget", "next_budget", "budget_change",
                    "next_year_budget_change", "result_class", "result_application", "code", "unit"],
                   page_key="rp", project_links=True, note="有标记的在前，再按预算增减从大到小",
                   filters="" if choice == ALL else f"关注标记 {choice}",
                   empty="没有已评价的项目。" if choice == ALL else f"没有“{choice}”的项目。")

with common.guard("政策评价到期情况"):
    st.subheader("政策评价到期情况",
                 help=f"评价对象为“政策”的评价，按政策汇总。出台超过 {r.policy_age_years} 年的政策，每 "
                      f"{r.policy_interval_years} 年至少评价一次：应评价年度 = 最近评价年度 + {r.policy_interval_years}，"
                      f"且不早于出台年度 + {r.policy_age_years + 1}。没有政策出台年度的无法判断。")
    if ctx.scope.fund_source:
        st.caption("政策评价不属于某一资金来源的项目：选择了资金来源时这里不显示政策。")
    elif p["policies"]:
        st.caption(f"本年及以前评价过的政策 {p['policies']:,} 个：到期应评价 {p['due']:,} 个（其中已逾期 "
                   f"{p['overdue']:,} 个），本年评价但未填结果应用类别 {p['no_class']:,} 个（RA5）。")
    tables.listing(data.policy_list(ctx), ctx, "政策评价到期情况", "ra_policies",
                   ["flags", "object_name", "department", "policy_since", "last_evaluated", "times", "grade",
                    "result_class", "due_year", "policy_status"],
                   page_key="pp", note="已逾期、本年应评价的在前", empty="没有政策评价记录。")

with common.guard("结果应用类别"):
    st.subheader("结果应用类别", help="每个评价对象（项目、部门整体支出、政策）计一次，取填写了类别的最独立的一次评价。"
                                   "政策评价必须填写类别（RA5），项目和部门整体支出可不填。")
    tables.table(data.result_classes(ctx), f"结果应用类别_{ctx.scope.year}", "ra_classes",
                 ["object_type", *vocab.RESULT_CLASSES, NO_CLASS, "objects"], empty="本年没有评价记录。")
