"""总览: headline figures with the change against last year, lights by department, who needs attention."""

import streamlit as st

from dashboard.ui import charts, common, data, documents, filters, fmt, headline, kpi, ranking

ctx = filters.current()
common.header("总览", ctx)
common.provenance(ctx)
with common.guard("年度报告"):
    documents.report_button(ctx)

with common.guard("关键指标"):
    h = headline.figures(ctx)
    if h is None:
        common.no_data(ctx, "项目、评价或整改数据")
        st.stop()
    k = h.kpis
    st.caption((f"箭头为与 {h.prev_year} 年同口径相比的变化。" if h.prev
                else f"没有 {h.prev_year} 年数据，不显示同比变化。")
               + f"逾期按 {fmt.date(ctx.today)} 判断（侧栏「判断日期」）。")
    kpi.row(list(h.cards.values()))

left, right = st.columns([2, 3])
with left, common.guard("评价等级分布"):
    st.subheader("评价等级分布", help=filters.grade_summary(ctx.rules))
    grades = k["evaluations"]["grades"]
    if sum(grades.values()):
        charts.show(data.built("overview_grades", ctx, lambda: charts.grade_counts(grades), tuple(grades.items())),
                    key="overview_grades")
        st.caption(filters.grade_summary(ctx.rules) + " 含部门整体支出和政策评价。")
    else:
        st.caption("本年还没有评价结果。")
with right, common.guard("各部门预警灯"):
    st.subheader("各部门预警灯", help=filters.rules_summary(ctx.rules))
    lights = data.lights_by_department(ctx)
    if lights.empty:
        st.caption("本年还没有监控数据。")
    else:
        charts.show(data.built("overview_lights", ctx, lambda: charts.lights_by_department(lights.head(15))),
                    key="overview_lights")
        more = f"（按红灯数排序，显示前 15 个部门，共 {fmt.count(len(lights))} 个）" if len(lights) > 15 else ""
        st.caption(filters.rules_summary(ctx.rules) + more)
        common.link("monitoring", "查看监控预警详情", icon=":material/arrow_forward:")

with common.guard("需要关注的部门"):
    pool = ranking.to_watch(data.department_ranking(ctx), ctx.scope.departments, n=10_000)
    st.subheader("需要关注的部门",
                 help="部门排名中综合得分最低的五个主管部门（口径见「部门排名」页）；"
                      f"项目少于 {ctx.rules.min_projects} 个的部门（样本少）默认不列入。")
    show_small = ranking.small_toggle(pool, "watch_small", ctx.rules.min_projects)
    shown, excluded = ranking.without_small(pool, show_small)
    worst = ranking.to_watch(shown)
    if worst.empty:
        st.caption("没有可排名的部门。")
    else:
        note = ranking.small_note(pool, excluded, ctx.rules.min_projects, show_small)
        st.caption(f"综合得分最低的 {len(worst)} 个部门，从低到高。{note}")
        for r in worst.itertuples():
            ranking.watch_card(r)
        common.link("ranking", "查看完整排名", icon=":material/leaderboard:")
