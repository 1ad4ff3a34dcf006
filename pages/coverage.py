"""资金覆盖: target, monitoring and evaluation coverage by department and fund source; money without targets."""

import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt, kpi, quality, tables

ctx = filters.current()
common.header("资金覆盖", ctx)
common.provenance(ctx)
st.caption("目标覆盖率（按资金）= 设定绩效目标项目的预算 ÷ 全部预算；监控覆盖率 = 有监控记录的有目标项目 ÷ 有目标项目；"
           "评价覆盖率 = 被评价项目的预算 ÷ 全部预算。预算取调整后预算，无调整数时取年初预算。")

with common.guard("覆盖概况"):
    p = data.kpis(ctx)["projects"]
    if not p["projects"]:
        common.no_data(ctx, "项目")
        st.stop()
    value, unit = fmt.wan_unit(p["budget_total"])
    target_value, target_unit = fmt.wan_unit(p["target_budget"])
    kpi.row([
        {"label": f"预算（{unit}）", "value": value, "help": f"{fmt.count(p['projects'])} 个项目。"},
        {"label": f"有目标（{target_unit}）", "value": target_value,
             "help": f"{fmt.count(p['target_projects'])} 个项目设定了绩效目标。"},
        {"label": "覆盖率·资金", "value": fmt.pct(p["coverage_funds"]), "help": "有目标项目的预算 ÷ 全部预算。"},
        {"label": "覆盖率·项目", "value": fmt.pct(p["coverage_count"]),
             "help": f"有目标项目数 ÷ 项目数：{fmt.count(p['target_projects'])}/{fmt.count(p['projects'])}。"},
    ])

with common.guard("按部门"):
    st.subheader("各部门覆盖率", help="按目标覆盖率（按资金）从低到高排列；监控覆盖率按项目数。")
    by_dept = data.coverage_by_department(ctx)
    chart_df = common.chart_rows(by_dept.sort_values("coverage_funds", na_position="first"), "coverage_dept_view",
                                 "目标覆盖率最低的")
    charts.show(
        charts.coverage_bars(chart_df, "department", [
            ("coverage_funds", "目标覆盖（按资金）", charts.PRIMARY),
            ("monitoring_coverage", "监控覆盖（按项目）", charts.GRADE_COLORS["良"]),
            ("evaluation_coverage", "评价覆盖（按资金）", charts.GRADE_COLORS["中"]),
        ]), key="coverage_by_dept")
    tables.table(by_dept, f"各部门覆盖率_{ctx.scope.year}", "coverage_dept",
                 ["department", "projects", "budget", "target_projects", "target_budget", "coverage_count",
                  "coverage_funds", "monitored_projects", "monitoring_coverage", "evaluated_budget",
                  "evaluation_coverage"])

left, right = st.columns(2)
with left, common.guard("按资金来源"):
    st.subheader("按资金来源", help="各资金来源中设定绩效目标项目的预算 ÷ 该来源全部预算。")
    by_fund = data.coverage_by_fund_source(ctx)
    charts.show(charts.coverage_bars(by_fund, "fund_source", [("coverage_funds", "目标覆盖（按资金）", charts.PRIMARY)]),
                key="coverage_by_fund")
    tables.table(by_fund, f"资金来源覆盖率_{ctx.scope.year}", "coverage_fund",
                 ["fund_source", "projects", "budget", "target_budget", "coverage_funds", "coverage_count"])
with right, common.guard("评价覆盖"):
    st.subheader("按评价类型的评价覆盖",
                 help="被该类评价覆盖的项目预算 ÷ 全部预算（只计项目支出评价，不含部门整体支出和政策）。")
    by_kind = data.evaluation_coverage_by_kind(ctx)
    charts.show(charts.coverage_bars(by_kind, "kind",
                                     [("coverage_funds", "评价覆盖（按资金）", charts.GRADE_COLORS["中"])]),
                key="coverage_by_kind")
    tables.table(by_kind.rename(columns={"coverage_funds": "evaluation_coverage"}), f"评价覆盖_{ctx.scope.year}",
                 "coverage_kind", ["kind", "evaluated_projects", "evaluated_budget", "evaluation_coverage"])

with common.guard("未设定目标的资金"):
    st.subheader("未设定绩效目标的项目", help="是否设定绩效目标为「否」或空白的项目，按预算从大到小。")
    n_missing, money_missing = data.projects_without_targets_total(ctx)
    if n_missing:
        st.caption(f"{n_missing:,} 个项目，合计 {fmt.wan(money_missing)}。")
    tables.listing(data.projects_without_targets(ctx), ctx, "未设定绩效目标的项目", "coverage_missing",
                   ["code", "name", "department", "unit", "fund_source", "budget"], page_key="mp", project_links=True,
                   note="按预算从大到小", empty="所有项目都设定了绩效目标。")

with common.guard("目标质量"):
    st.subheader("绩效目标质量", help="绩效目标复审的完整性部分：有产出指标和效益指标、有满意度指标，"
                                  "每个指标值都量化（数字加单位；不写 ≥、≤ 的数字按“=”）。按项目最早填报的指标"
                                  "（通常是申报表）检查。")
    quality_df = data.target_quality_by_department(ctx)
    if quality_df.empty:
        st.caption("本年度没有导入绩效指标，无法检查目标质量。")
    else:
        tables.table(quality_df, f"各部门目标质量_{ctx.scope.year}", "coverage_quality_dept",
                     ["department", "projects", "complete_projects", "complete_share", "no_output", "no_outcome",
                      "no_satisfaction", "unquantified_projects"])
        st.markdown("**目标不完整的项目**")
        tables.listing(data.target_quality(ctx), ctx, "目标不完整的项目", "coverage_quality",
                       ["department", "project", "budget", "indicators", "has_output", "has_outcome",
                        "has_satisfaction", "unquantified"], page_key="qp", project_links=True, note="按预算从大到小",
                       empty="有指标的项目目标都完整。")

with common.guard("成本指标覆盖"):
    st.subheader("成本指标覆盖", help="有绩效指标的项目中，任一阶段填报了成本指标（一级指标为“成本指标”）的项目所占比例。"
                                 "成本指标的类别、单位成本比较见「目标质量」页。")
    cost = quality.cost_share_by_department(ctx)
    if cost.empty:
        st.caption("本年度没有导入绩效指标，无法统计成本指标。")
    else:
        with_cost, with_ind = int(cost["cost_projects"].sum()), int(cost["indicator_projects"].sum())
        st.caption(f"有绩效指标的 {with_ind:,} 个项目中，{with_cost:,} 个有成本指标（{fmt.pct(with_cost / with_ind)}）。")
        chart_df = common.chart_rows(cost.sort_values("cost_share", na_position="first"), "coverage_cost_view",
                                     "成本指标覆盖率最低的")
        charts.show(quality.cost_share_chart(chart_df), key="coverage_cost")
        quality.table(cost, f"各部门成本指标覆盖_{ctx.scope.year}", "coverage_cost",
                      ["department", "indicator_projects", "cost_projects", "cost_share"])
