"""监控预警: execution rate against time progress, lights by department, the red and grey lists."""

import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt, kpi, tables, vocab

ctx = filters.current()
common.header("监控预警", ctx)
common.provenance(ctx)

c1, c2 = st.columns([2, 3])
with c1:
    filters.preset_radio(ctx.rules, "r_preset_page")
with c2:
    st.caption(filters.rules_summary(ctx.rules))
    st.caption("执行率 = 执行数 ÷ 调整后预算（无调整数时取年初预算）；序时进度 = 截止日已过天数 ÷ 全年天数。"
               "执行率超过 100% 的项目照常显示，请核对数据。")

with common.guard("预警概况"):
    m = data.kpis(ctx)["monitoring"]
    if not m["reported"] and not m["grey"]:
        common.no_data(ctx, "监控数据")
        st.stop()
    kpi.row([
        {"label": "已报送项目", "value": fmt.count(m["reported"]),
             "help": f"各项目本年最新一期监控，截止 {fmt.date(m['as_of'])}。"},
        {"label": "红灯", "value": fmt.count(m["red"]), "help": filters.rules_summary(ctx.rules)},
        {"label": "黄灯", "value": fmt.count(m["yellow"]), "help": filters.rules_summary(ctx.rules)},
        {"label": "未报送（灰灯）", "value": fmt.count(m["grey"]), "help": "设定了绩效目标但没有监控记录的项目。"},
        {"label": "预算执行率", "value": fmt.pct(m["execution_rate"]),
             "help": f"资金加权；序时进度 {fmt.pct(m['time_progress'])}。"},
    ])

with common.guard("执行率与序时进度"):
    st.subheader("执行率与序时进度", help="每个点是一个已报送项目（预算最大的 2,000 个）；虚线为序时进度。")
    scatter = data.execution_scatter(ctx)
    if scatter.empty:
        st.caption("没有可画的执行数据。")
    else:
        charts.show(charts.execution_scatter(scatter, ctx.rules, m["as_of"]), key="monitoring_scatter")
        over = int((scatter["execution_rate"] > 1).sum())
        if over:
            st.warning(f"{fmt.count(over)} 个项目执行率超过 100%，请核对执行数和预算。", icon=":material/warning:")

with common.guard("各部门预警灯"):
    st.subheader("各部门预警灯", help=filters.rules_summary(ctx.rules) + " 按红灯数排序。")
    lights = data.lights_by_department(ctx)
    if not lights.empty:
        shown = common.chart_rows(lights, "monitoring_lights_view", "红灯最多的")
        charts.show(charts.lights_by_department(shown), key="monitoring_lights")
    tables.table(lights, f"各部门预警灯_{ctx.scope.year}", "monitoring_lights",
                 ["department", "red", "yellow", "green", "grey", "reported", "budget", "executed",
                  "execution_rate", "time_progress", "as_of"])

with common.guard("红灯项目"):
    st.subheader("红灯项目", help="按滞后从大到小。滞后 = 序时进度 − 执行率（百分点）。")
    tables.listing(data.warning_list(ctx, lights=(vocab.RED,)), ctx, "红灯项目", "monitoring_red",
                   ["code", "name", "department", "unit", "budget", "executed", "execution_rate", "time_progress",
                    "lag", "target_progress", "deviation_reason", "likelihood", "as_of"], page_key="rp",
                   project_links=True,
                   note="按滞后从大到小", empty="没有红灯项目。")

with common.guard("未报送项目"):
    st.subheader("未报送项目（灰灯）", help="设定了绩效目标、本年没有监控记录的项目。")
    tables.listing(data.warning_list(ctx, lights=(vocab.GREY,)), ctx, "未报送项目", "monitoring_grey",
                   ["code", "name", "department", "unit"], page_key="gp", project_links=True,
                   empty="没有未报送的项目。")

with common.guard("有风险的指标"):
    st.subheader("可能完不成的指标", help="监控报送中完成目标可能性为「完全不可能」或「有可能」的绩效指标，"
                                     "完全不可能的在前。")
    tables.listing(data.risky_indicators(ctx), ctx, "可能完不成的绩效指标", "monitoring_risky",
                   ["likelihood", "department", "project", "level1", "indicator", "target_text", "current_text",
                    "expected_text", "deviation_reason", "as_of"], page_key="kp",
                   note="完全不可能的在前，再按部门、项目", empty="没有报为完全不可能或有可能的指标。")
