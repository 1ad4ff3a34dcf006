"""整改进度: findings by status and department, the complete findings list (status, department, overdue, age-bucket filters), age buckets, closure trend."""

import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt, kpi, tables, vocab

OVERDUE_CHOICES = {"全部": None, "逾期": True, "未逾期": False}

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
        ["overdue", "open_", "department"], ascending=[False, False, True]).drop(columns="open_")
    shown = common.chart_rows(worst_first, "rect_dept_view", "逾期最多的")
    st.plotly_chart(charts.findings_by_department(shown), key="rect_by_dept", config=charts.CONFIG)
    st.caption("图和表都按逾期数、未销号数从多到少排列。")
    tables.table(worst_first, f"各部门整改_{ctx.scope.year}", "rect_dept",
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

with common.guard("问题清单"):
    st.subheader("问题清单", help="本年全部问题，按整改时限从早到晚；默认只列逾期未整改的，可按状态、部门、是否逾期和账龄筛选。")
    c1, c2, c3, c4 = st.columns([2, 3, 3, 2])
    statuses = c1.multiselect("整改状态", vocab.FINDING_STATUSES, key="fs", bind="query-params", placeholder="全部")
    in_scope = [d for d, _ in ctx.departments if not ctx.scope.departments or d in ctx.scope.departments]
    depts = c2.multiselect("主管部门", in_scope, format_func=ctx.department_name, key="fd", bind="query-params",
                           placeholder="全部（侧栏范围内）")
    overdue = c3.segmented_control("是否逾期", list(OVERDUE_CHOICES), default="逾期", key="od", bind="query-params")
    bucket_labels = data.age_buckets(ctx)["bucket"].tolist()
    buckets = c4.multiselect("逾期账龄", bucket_labels, key="ab", bind="query-params", placeholder="全部",
                             help="只有逾期的问题有账龄；选了账龄即只列逾期问题。")
    chosen = [("整改状态", "、".join(statuses)), ("主管部门", "、".join(ctx.department_name(d) for d in depts)),
              ("是否逾期", overdue if overdue and overdue != "全部" else ""), ("逾期账龄", "、".join(buckets))]
    found = data.findings_list(ctx, statuses=tuple(statuses), overdue=OVERDUE_CHOICES.get(overdue),
                               buckets=tuple(buckets),
                               scope=data.scope_for(ctx, departments=tuple(depts)) if depts else None)
    tables.listing(found, ctx, "问题清单", "rect_findings",
                   ["department", "unit", "project", "code", "description", "requirement", "deadline", "status",
                    "days_overdue", "age_bucket", "source"], page_key="rp", note="按整改时限从早到晚",
                   filters="；".join(f"{k} {v}" for k, v in chosen if v), empty="没有符合条件的问题。")
