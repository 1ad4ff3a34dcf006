"""部门排名: composite ranking of 主管部门 with the formula, sub-scores, rank change and small-sample marks."""

import pandas as pd
import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt

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
- **整改**：已整改问题 ÷ 全部问题 × 100。
- **非红灯**：已报送监控项目中非红灯的比例 × 100。{filters.rules_summary(ctx.rules)}
- 缺少某一分项（如本年没有评价或问题）的部门，该分项不计，其余权重按比例放大到 100。
- 项目数少于 **{w.min_projects}** 个的部门标为「样本少」，排名仅供参考。权重与阈值可在侧栏「规则设置」中调整。
"""
    )

with common.guard("部门排名"):
    ranking = data.department_ranking(ctx)
    if ranking.empty:
        common.no_data(ctx, "可排名的部门")
        st.stop()
    ranked = ranking[ranking["composite"].notna()]
    small = int(ranking["small_sample"].fillna(False).astype(bool).sum())
    marked = "；侧栏选中的部门标为橙色" if ctx.scope.departments else ""
    st.caption(f"共 {len(ranking)} 个主管部门，其中 {small} 个样本少（灰色）{marked}。点击柱条或表格行打开部门画像。")
    chart_rows = ranked.sort_values("rank")
    if len(chart_rows) > 40:  # a province has 150 departments: by default the chart shows both ends
        view = st.segmented_control("图中显示", ["前后各 15 名", "全部"], default="前后各 15 名", key="ranking_view")
        if view != "全部":
            st.caption(f"图中为前 15 名和后 15 名，中间 {len(chart_rows) - 30} 个部门见下表。")
            chart_rows = pd.concat([chart_rows.head(15), chart_rows.tail(15)])
    event = st.plotly_chart(charts.ranking_bars(chart_rows, ctx.scope.departments), key="ranking_chart", on_select="rerun",
                            selection_mode="points", config=charts.CONFIG)
    picked = None
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        custom = points[0].get("customdata")
        if custom:
            picked = custom[0]

    table = ranking.copy()
    table["rank_change_text"] = [
        "—" if pd.isna(v) else ("↑" + str(int(v)) if v > 0 else ("↓" + str(int(-v)) if v < 0 else "持平"))
        for v in table["rank_change"].astype(object)
    ]
    shown = fmt.zh_frame(table, ["rank", "department", "composite", "coverage", "execution", "evaluation",
                                 "rectification", "not_red", "projects", "prev_rank", "small_sample"])
    shown.insert(2, "名次变化", table["rank_change_text"].values)
    from dashboard.ui import export

    sel = st.dataframe(shown, hide_index=True, width="stretch", key="ranking_table", on_select="rerun",
                       selection_mode="single-row", placeholder=fmt.DASH,
                       column_config=common.column_config(["composite", "coverage", "execution", "evaluation",
                                                           "rectification", "not_red"]))
    export.download_button(shown, f"部门排名_{ctx.scope.year}", key="ranking_xlsx")
    rows = sel.selection.rows if sel else []
    if rows:
        picked = int(ranking.iloc[rows[0]]["department_id"])
    if picked is not None:
        st.switch_page(common.page("department"), query_params={"dept": str(int(picked))})
