"""总览: headline figures with the change against last year, lights by department, who needs attention."""

import streamlit as st

from dashboard.ui import charts, common, data, deltas, documents, filters, fmt, kpi, ranking

ctx = filters.current()
common.header("总览", ctx)
common.provenance(ctx)
with common.guard("年度报告"):
    documents.report_button(ctx)

with common.guard("关键指标"):
    k = data.kpis(ctx)
    prev_year = ctx.scope.year - 1
    prev = data.kpis(ctx, data.scope_for(ctx, year=prev_year)) if prev_year in ctx.years else None
    p, m, e, f = k["projects"], k["monitoring"], k["evaluations"], k["findings"]
    if not p["projects"] and not e["count"] and not f["total"]:
        common.no_data(ctx, "项目、评价或整改数据")
        st.stop()
    st.caption((f"箭头为与 {prev_year} 年同口径相比的变化。" if prev else f"没有 {prev_year} 年数据，不显示同比变化。")
               + f"逾期按 {fmt.date(ctx.today)} 判断（侧栏「判断日期」）。")
    d = deltas.year_on_year(k, prev)
    budget_value, budget_unit = fmt.wan_unit(p["budget_total"])
    kpi.row([
        {"label": f"预算（{budget_unit}）", "value": budget_value, "delta": d["budget"],
             "help": f"Σ 调整后预算（无调整数时取年初预算）。{p['departments']} 个主管部门、{p['units']} 个预算单位、"
                  f"{p['projects']} 个项目。"},
        {"label": "绩效目标覆盖率", "value": fmt.pct(p["coverage_funds"]), "delta": d["coverage"],
             "help": f"按资金：设定绩效目标项目的预算 ÷ 全部预算。按项目数为 {fmt.pct(p['coverage_count'])}"
                  f"（{p['target_projects']}/{p['projects']}）。"},
        {"label": "预算执行率", "value": fmt.pct(m["execution_rate"]), "delta": d["execution"],
             "help": f"Σ 执行数 ÷ Σ 调整后预算（已报送监控的项目，取各项目本年最新一期）。"
                  f"监控截止 {fmt.date(m['as_of'])}，序时进度 {fmt.pct(m['time_progress'])}。"},
        {"label": "评价平均分", "value": fmt.score(e["avg_score"]).replace(" 分", ""), "delta": d["avg_score"],
             "help": f"本年全部评价记录（含部门整体支出、政策）的平均得分，共 {e['count']} 条。"
                  + filters.grade_summary(ctx.rules)},
        {"label": "整改率", "value": fmt.pct(f["rate"]), "delta": d["rectification"],
             "help": (f"已核验 ÷ 全部问题：{f['verified']}/{f['total']}（单位报称已整改 {f['rectified']}，"
                      f"待核验 {f['reported_unverified']}）。" if ctx.rules.rectification_basis != "reported"
                      else f"单位报称已整改 ÷ 全部问题：{f['rectified']}/{f['total']}。")},

        {"label": "红灯项目", "value": fmt.count(m["red"]), "delta": d["red"], "inverse": True,
             "help": filters.rules_summary(ctx.rules)},
        {"label": "黄灯项目", "value": fmt.count(m["yellow"]), "delta": d["yellow"], "inverse": True,
             "help": filters.rules_summary(ctx.rules)},
        {"label": "未报送（灰灯）", "value": fmt.count(m["grey"]), "delta": d["grey"], "inverse": True,
             "help": "设定了绩效目标、但本年没有监控记录的项目数。"},
        {"label": "逾期未整改", "value": fmt.count(f["overdue"]), "delta": d["overdue"], "inverse": True,
             "help": f"未销号且已过整改时限的问题（按 {fmt.date(ctx.today)} 判断，见侧栏「判断日期」；"
                  "时限当天不算逾期）。"},
        {"label": "自评虚高", "value": fmt.count(e["inflation_flags"]), "delta": d["inflation"], "inverse": True,
             "help": f"单位自评比抽查复核/财政重点评价高 ≥{ctx.rules.inflation_gap:g} 分或等级不同的项目数。"},
    ])

left, right = st.columns([2, 3])
with left, common.guard("评价等级分布"):
    st.subheader("评价等级分布", help=filters.grade_summary(ctx.rules))
    grades = k["evaluations"]["grades"]
    if sum(grades.values()):
        st.plotly_chart(charts.grade_counts(grades), key="overview_grades", config=charts.CONFIG)
        st.caption(filters.grade_summary(ctx.rules) + " 含部门整体支出和政策评价。")
    else:
        st.caption("本年还没有评价结果。")
with right, common.guard("各部门预警灯"):
    st.subheader("各部门预警灯", help=filters.rules_summary(ctx.rules))
    lights = data.lights_by_department(ctx)
    if lights.empty:
        st.caption("本年还没有监控数据。")
    else:
        st.plotly_chart(charts.lights_by_department(lights.head(15)), key="overview_lights",
                        config=charts.CONFIG)
        more = f"（按红灯数排序，显示前 15 个部门，共 {len(lights)} 个）" if len(lights) > 15 else ""
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
