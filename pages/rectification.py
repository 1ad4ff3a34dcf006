"""整改进度: findings by status and department, overdue list with days overdue, age buckets, closure trend."""

import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt, kpi, tables

ctx = filters.current()
common.header("整改进度", ctx)
common.provenance(ctx)
st.caption(f"整改率 = 已整改（销号）÷ 全部问题；逾期 = 未销号且 {fmt.date(ctx.today)} 已过整改时限（时限当天不算逾期）。")

with common.guard("整改概况"):
    f = data.kpis(ctx)["findings"]
    if not f["total"]:
        common.no_data(ctx, "问题整改记录")
        st.stop()
    kpi.row([
        {"label": "问题总数", "value": fmt.count(f["total"])},
        {"label": "已整改", "value": fmt.count(f["rectified"])},
        {"label": "整改中/未整改", "value": f"{f['in_progress']}/{f['not_started']}"},
        {"label": "整改率", "value": fmt.pct(f["rate"]), "help": "已整改（销号）÷ 全部问题。"},
        {"label": "逾期未整改", "value": fmt.count(f["overdue"])},
    ])

with common.guard("各部门整改情况"):
    st.subheader("各部门整改情况", help="本年问题按整改状态的个数；逾期 = 未销号且已过整改时限。")
    by_dept = data.findings_by_department(ctx)
    worst_first = by_dept.assign(open_=by_dept["未整改"] + by_dept["整改中"]).sort_values(
        ["overdue", "open_", "department"], ascending=[False, False, True])
    worst_first = common.chart_rows(worst_first, "rect_dept_view", "逾期最多的")
    st.plotly_chart(charts.findings_by_department(worst_first), key="rect_by_dept", config=charts.CONFIG)
    st.caption("按逾期数、未销号数从多到少排列。")
    tables.table(by_dept, f"各部门整改_{ctx.scope.year}", "rect_dept",
                 ["department", "未整改", "整改中", "已整改", "total", "overdue", "rate"])

left, right = st.columns(2)
with left, common.guard("逾期账龄"):
    st.subheader("逾期账龄", help="未销号问题按逾期天数分段。分段上限可在 dashboard.toml 的 age_buckets 设置。")
    buckets = data.age_buckets(ctx)
    st.plotly_chart(charts.age_buckets(buckets), key="rect_age", config=charts.CONFIG)
with right, common.guard("销号趋势"):
    st.subheader("销号趋势", help="本年问题按完成日期所在月份统计的销号数与累计数。")
    trend = data.closure_trend(ctx)
    if trend.empty:
        st.caption("还没有销号的问题。")
    else:
        st.plotly_chart(charts.closure_trend(trend), key="rect_trend", config=charts.CONFIG)

with common.guard("逾期问题清单"):
    st.subheader("逾期问题清单", help="按整改时限从早到晚。")
    overdue = data.overdue_findings(ctx)
    tables.table(overdue, f"逾期问题_{ctx.scope.year}", "rect_overdue",
                 ["department", "unit", "project", "code", "description", "requirement", "deadline", "status",
                  "days_overdue", "age_bucket", "source"], empty="没有逾期未整改的问题。")
