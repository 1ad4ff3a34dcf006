"""评价结果: grade distribution by department and kind, score list, self-evaluation inflation, result application."""

import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt, kpi, tables, vocab

ctx = filters.current()
common.header("评价结果", ctx)
common.provenance(ctx)
st.caption(filters.grade_summary(ctx.rules) + " 等级按得分重算；只有等级没有得分的记录保留原等级。")

with common.guard("评价概况"):
    e = data.kpis(ctx)["evaluations"]
    if not e["count"]:
        common.no_data(ctx, "评价记录")
        st.stop()
    kpi.row([
        {"label": "评价记录", "value": fmt.count(e["count"]),
             "help": "、".join(f"{k} {fmt.count(v)}" for k, v in e["by_kind"].items())},
        {"label": "平均分", "value": fmt.score(e["avg_score"]).replace(" 分", "")},
        {"label": "优良率", "value": fmt.pct(data.good_share(e)),
             "help": "（优 + 良）÷ 评价记录数。"},
        {"label": "自评虚高", "value": fmt.count(e["inflation_flags"]),
             "help": f"单位自评比抽查复核（无则财政重点评价）高 ≥{ctx.rules.inflation_gap:g} 分，或等级更好。"},
    ])

with common.guard("各部门等级分布"):
    st.subheader("各部门等级分布", help="每个部门各等级评价的占比；按中、差占比从高到低排列，悬停可见个数。")
    by_dept = data.grade_mix_by_department(ctx)
    if not by_dept.empty:
        order = by_dept.assign(weak=(by_dept["中"] + by_dept["差"]) / by_dept["count"].where(by_dept["count"] > 0))
        order = order.sort_values(["weak", "department"], ascending=[False, True])
        order = common.chart_rows(order, "eval_dept_view", "中差占比最高的")
        charts.show(charts.grade_mix(order, "department", percent=True), key="eval_by_dept")
    tables.table(by_dept, f"各部门评价等级_{ctx.scope.year}", "eval_dept",
                 ["department", "优", "良", "中", "差", "count", "avg_score"])

with common.guard("各评价类型等级分布"):
    st.subheader("按评价类型", help="单位自评、部门评价、财政重点评价、抽查复核各自的等级分布（个数）。")
    left, right = st.columns([3, 2])
    by_kind = data.grade_mix_by_kind(ctx)
    with left:
        charts.show(charts.grade_mix(by_kind, "kind"), key="eval_by_kind")
    with right:
        tables.table(by_kind, f"各类型评价等级_{ctx.scope.year}", "eval_kind",
                     ["kind", "优", "良", "中", "差", "count", "avg_score"])

with common.guard("评价清单"):
    st.subheader("评价清单", help="按得分从低到高，便于先看问题项目。")
    kind = st.segmented_control("评价类型", ["全部", *vocab.EVALUATION_KINDS], default="全部", key="eval_kind",
                                bind="query-params")
    one_kind = None if kind in (None, "全部") else kind
    tables.listing(data.evaluation_list(ctx, kind=one_kind), ctx, "评价清单", "eval_list",
                   ["kind", "object_type", "object_name", "code", "department", "unit", "fund_amount", "score",
                    "grade", "evaluator", "deputies_participated", "main_problems", "result_application",
                    "next_year_budget_change"], page_key="ep", note="按得分从低到高",
                   filters=f"评价类型 {one_kind}" if one_kind else "", empty="没有这一类型的评价。")

with common.guard("自评虚高"):
    st.subheader("自评与独立评价对比", help=f"差值 = 自评得分 − 独立评价得分；差值 ≥ {ctx.rules.inflation_gap:g} 分"
                                           "或自评等级更好时标为自评虚高。")
    pairs, flagged = data.inflation_count(ctx)
    if pairs:
        st.caption(f"{pairs:,} 个项目同时有自评和独立评价，其中 {flagged:,} 个自评虚高。")
    tables.listing(data.inflation_list(ctx), ctx, "自评与独立评价对比", "eval_inflation",
                   ["flagged", "code", "name", "department", "self_score", "self_grade", "independent_kind",
                    "independent_score", "independent_grade", "gap"], page_key="ip", project_links=True,
                   file_stem=f"自评虚高_{ctx.scope.year}", note="自评虚高的在前，再按差值从大到小",
                   empty="没有同时有自评和独立评价的项目。")

with common.guard("指标完成情况"):
    st.subheader("指标完成情况", help="每个项目的绩效指标只按最靠后的阶段计一次（评价 > 自评 > 监控 > 申报）。"
                                  "实际值满足指标值为已完成；数值按指标性质（≥ > = < ≤）在同一单位下比较，"
                                  "不带符号的指标值按“=”；文字指标只有完全相同才算已完成；其余为无法判断。")
    ind = data.indicator_totals(ctx)
    if not ind["count"]:
        st.caption("本年度没有导入绩效指标（自评表、监控导出或模板“绩效指标”表）。")
    else:
        kpi.row([
            {"label": "绩效指标", "value": fmt.count(ind["count"])},
            {"label": "已完成", "value": fmt.count(ind["met"]), "help": "实际值满足指标值。"},
            {"label": "未完成", "value": fmt.count(ind["not_met"]), "help": "同一单位下实际值没有达到指标值。"},
            {"label": "无法判断", "value": fmt.count(ind["unknown"]),
                 "help": "没有实际值、单位不同或读不出，或文字指标与实际不同。"},
        ])
        tables.table(data.indicators_by_department(ctx), f"各部门指标完成率_{ctx.scope.year}", "eval_ind_dept",
                     ["department", "projects", "indicator_count", "met", "not_met", "unknown", "met_share"])
        st.markdown("**未完成的指标**")
        tables.listing(data.unmet_indicators(ctx), ctx, "未完成的绩效指标", "eval_unmet",
                       ["department", "project", "stage", "level1", "level2", "indicator", "target_text",
                        "actual_text", "deviation_reason"], page_key="up", note="按部门、项目排列",
                       empty="没有未完成的指标。")

with common.guard("结果应用"):
    st.subheader("结果应用：下年预算调整", help="按评价等级汇总「下年预算调整」（万元，负数为压减）。"
                                           "规则：优 优先保障，良 保障，中 压减，差 取消或暂停。")
    app_df = data.result_application(ctx)
    if app_df.empty:
        st.caption("没有结果应用数据。")
    else:
        charts.show(charts.result_application(app_df), key="eval_application")
        tables.table(app_df, f"结果应用_{ctx.scope.year}", "eval_application",
                     ["grade", "evaluations", "budget_change_total", "cut", "increased"])
