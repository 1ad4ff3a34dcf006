"""目标质量: the TQ1–TQ8 checks of performance targets by rule, department and project; 成本指标 and unit costs by peer
group; how far indicators landed from their targets."""

import streamlit as st

from dashboard.ui import charts, common, filters, fmt, kpi, quality, tables

ctx = filters.current()
common.header("目标质量", ctx)
common.provenance(ctx)
st.caption("按编号规则 TQ1–TQ8 检查绩效目标能否衡量、是否照抄、是否定得过低、是否缺成本指标；每条标记都写明原因。"
           "指标按项目最早填报的阶段（通常是申报表）检查，实际值取单位自评或评价的年末实际完成值。")

with common.guard("目标质量概况"):
    s = quality.summary(ctx)
    p = quality.by_department(ctx)
    projects = int(p["projects"].sum()) if len(p) else 0
    if not projects:
        common.no_data(ctx, "项目")
        st.stop()
    kpi.row([
        {"label": "标记", "value": fmt.count(s["flags"]), "help": "各规则标记的指标或项目，合计。"},
        {"label": "被标记项目", "value": fmt.count(s["projects_flagged"]),
         "help": f"至少有一条标记的项目，共 {projects:,} 个项目。"},
        {"label": "被标记项目占比", "value": fmt.pct(s["projects_flagged"] / projects),
         "help": "被标记项目 ÷ 范围内全部项目。"},
        {"label": "缺成本指标", "value": fmt.count(s["by_rule"]["TQ8"]), "help": quality.explain("TQ8", ctx.rules)},
    ])

with common.guard("按规则"):
    st.subheader("按规则", help="每条规则标记的个数；TQ1、TQ2、TQ4、TQ5 标记到指标，其余标记到项目。")
    rules_df = quality.by_rule(ctx)
    charts.show(quality.rule_bars(rules_df), key="targets_rules")
    quality.table(rules_df, f"目标质量规则_{ctx.scope.year}", "targets_rules",
                  ["rule", "rule_title", "unit_of_flag", "flags", "projects_flagged", "explanation"])

with common.guard("各部门"):
    st.subheader("各部门目标质量", help="按被标记项目占比从高到低排列。")
    quality.table(p, f"各部门目标质量_{ctx.scope.year}", "targets_dept",
                  ["department", "projects", "projects_flagged", "flagged_share", "flags", *quality.RULE_IDS])

with common.guard("标记清单"):
    st.subheader("标记清单", help="每条标记一行：规则、项目、涉及的指标和指标值、原因。按规则、再按预算从大到小。")
    options = ["全部", *quality.RULE_IDS]
    pick = st.segmented_control("规则", options, default="全部", key="targets_rule", bind="query-params",
                                format_func=lambda r: r if r == "全部" else f"{r} {quality.RULE_TITLES[r]}")
    rule = None if pick in (None, "全部") else pick
    if rule:
        st.caption(f"{rule}：{quality.explain(rule, ctx.rules)}")
    tables.listing(quality.flags(ctx, rule), ctx, "目标质量标记", "targets_flags", quality.FLAG_COLUMNS,
                   page_key="tqp", note="按规则、再按预算从大到小", filters=f"规则 {rule}" if rule else "",
                   file_stem=f"目标质量标记_{rule or '全部'}_{ctx.scope.year}", empty="没有这条规则的标记。")

with common.guard("按项目"):
    st.subheader("被标记的项目", help="每个项目一行：标记数和涉及的规则，标记多的在前。")
    tables.listing(quality.flagged_projects(ctx), ctx, "被标记的项目", "targets_projects", quality.PROJECT_COLUMNS,
                   page_key="tpp", project_links=True, note="按标记数、再按预算从大到小", empty="没有被标记的项目。")

with common.guard("成本指标"):
    st.subheader("成本指标", help="一级指标为“成本指标”的指标。类别按二级指标：经济成本、社会成本、生态环境成本；"
                             "类型按名称和单位：名称含“单位、单价、人均、户均、平均、每”或单位为“元/人”这类比率的"
                             "是单位成本，名称含“总成本、总投入、总额”等是总成本，其余为分项成本。")
    mix = quality.cost_mix(ctx)
    quality.table(mix, f"成本指标构成_{ctx.scope.year}", "targets_cost_mix",
                  ["cost_kind", "cost_type", "indicators", "projects"],
                  empty="范围内的项目没有填报成本指标。")
    st.markdown("**同类项目单位成本**")
    st.caption(f"同一「同类项目分组」的项目比较单位成本指标的指标值（只比同一计量单位）：组内至少 {quality.MIN_PEERS} 个"
               f"项目时，以中位数的 {quality.BAND_LOW:g}–{quality.BAND_HIGH:g} 倍为合理区间，区间外为偏高或偏低。"
               "中位数按全年同组全部项目计算，不随部门筛选变化。")
    groups = quality.peer_groups(ctx)
    if groups.empty:
        st.caption("范围内没有填了「同类项目分组」且有单位成本指标的项目。")
    else:
        charts.show(quality.unit_cost_chart(quality.unit_costs(ctx)), key="targets_unit_costs")
        quality.table(groups, f"同类项目单位成本_{ctx.scope.year}", "targets_groups",
                      ["peer_group", "group_projects", "cost_unit", "group_median", "band_low", "band_high",
                       "scope_projects", "above", "below"])
        st.markdown("**单位成本偏离的项目**")
        tables.listing(quality.unit_cost_outliers(ctx), ctx, "单位成本偏离的项目", "targets_outliers",
                       quality.OUTLIER_COLUMNS, page_key="top", project_links=True, note="离中位数最远的在前",
                       empty="没有单位成本超出合理区间的项目。")

with common.guard("偏离度"):
    st.subheader("指标偏离目标的程度", help="偏离 = (实际值 − 指标值) ÷ |指标值|（指标性质为 ≤、< 时取相反数，"
                                         "越省越好），正数为超过目标、负数为未达到；超过 ±100% 的计入两端，每 10 个"
                                         "百分点一档。每个项目的指标只按最靠后的阶段计一次。")
    by_dept = quality.distance_by_department(ctx)
    names = dict(zip(by_dept["department_id"], by_dept["department"])) if len(by_dept) else {}
    left, right = st.columns([1, 1])
    with left:
        dept = st.selectbox("主管部门", [None, *names], format_func=lambda d: "全部" if d is None else names[d],
                            key="targets_distance_dept")
    with right:
        fam = st.segmented_control("一级指标", ["全部", *quality.FAMILIES], default="全部", key="targets_family",
                                   format_func=lambda f: f.removesuffix("指标"))
    family = None if fam in (None, "全部") else fam
    hist = quality.distance_histogram(ctx, department_id=dept, family=family)
    st.caption(quality.shown_caption(hist))
    if hist["shown"]:
        charts.show(quality.distance_chart(hist), key="targets_distance")
    quality.table(quality.distance_by_department(ctx, family=family), f"各部门指标偏离_{ctx.scope.year}",
                  "targets_distance_dept_table",
                  ["department", "indicator_count", "shown", "below_target", "reached_target", "below_share"],
                  empty="范围内没有绩效指标。")
