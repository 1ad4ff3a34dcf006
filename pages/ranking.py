"""部门排名: composite ranking of 主管部门 with the formula, sub-scores, rank change and small-sample marks."""

import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt, ranking, tables

ctx = filters.current()
common.header("部门排名", ctx, "排名按年度和资金来源计算，不受部门筛选影响。")
common.provenance(ctx)

w = ctx.rules
st.markdown(
    f"**综合得分** = 目标覆盖 × {w.weight_coverage:g}% + 执行 × {w.weight_execution:g}% + 评价 × {w.weight_evaluation:g}%"
    f" + 整改 × {w.weight_rectification:g}% + 非红灯 × {w.weight_not_red:g}%"
)
with st.expander("各分项怎么算"):
    st.markdown(
        f"""
- **目标覆盖**：设定绩效目标项目的预算 ÷ 部门全部预算 × 100。
- **执行**：100 − {w.execution_penalty:g} × 滞后百分点（滞后 = 序时进度 − 资金加权执行率，超前不加分），最低 0。
- **评价**：部门本年全部评价记录的平均得分。
- **整改**：整改率 × 100（默认 = 已核验问题 ÷ 全部问题；规则 rectification_basis = "reported" 时按单位报称已整改计）。
- **非红灯**：已报送监控项目中非红灯的比例 × 100。{filters.rules_summary(ctx.rules)}
- 缺少某一分项（如本年没有评价或问题）的部门，该分项不计，其余权重按比例放大到 100。
- 项目数少于 **{w.min_projects}** 个的部门标为「样本少」，排名仅供参考。权重与阈值可在侧栏「规则设置」中调整。
"""
    )

with common.guard("部门排名"):
    ranks = data.department_ranking(ctx)
    if ranks.empty:
        common.no_data(ctx, "可排名的部门")
        st.stop()
    small = int(ranks["small_sample"].fillna(False).astype(bool).sum())
    marked = "；侧栏选中的部门标为橙色" if ctx.scope.departments else ""
    if ctx.scope.limit:  # a department-limited account: its own position among all, no other department shown
        st.caption(f"本账号只显示所限部门在全部 {fmt.count(ranks.attrs.get('ranked', len(ranks)))} 个参与排名的主管部门中的名次，"
                   "不显示其他部门。")
    else:
        st.caption(f"共 {fmt.count(len(ranks))} 个主管部门，其中 {fmt.count(small)} 个样本少（表中「样本少」为是）{marked}。"
                   "点击柱条或表格行打开部门画像。")
    scored = ranks[ranks["composite"].notna()]
    show_small = ranking.small_toggle(scored, "ranking_small", w.min_projects)
    in_chart, excluded = ranking.without_small(scored, show_small)
    note = ranking.small_note(scored, excluded, w.min_projects, show_small)
    if note:
        st.caption("图中" + note + ("表格列出全部部门。" if excluded else ""))
    chart_rows = ranking.chart_rows(in_chart)
    bar_click = charts.show(charts.ranking_bars(chart_rows, ctx.scope.departments), key="ranking_chart",
                            on_select="rerun", selection_mode="points")
    row_click = tables.shown(ranking.table_frame(ranks), "ranking_table", f"部门排名_{ctx.scope.year}",
                             xlsx_key="ranking_xlsx", titled=True, on_select="rerun", selection_mode="single-row",
                             column_config=tables.column_config(ranking.SCORE_COLUMNS))
    picked = ranking.clicked_department(bar_click, row_click, ranks)
    if picked is not None:
        st.switch_page(common.page("department"), query_params={"dept": str(picked)})
