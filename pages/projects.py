"""项目查询: search every project with filters and paging; ?project=id opens the project's lifecycle card."""

import streamlit as st

from dashboard.ui import common, data, deeplink, deltas, filters, fmt, kpi, tables, text, vocab

ctx = filters.current()


def _card(project_id: int) -> None:
    card = data.project_card(ctx, project_id) if project_id > 0 else None
    if not card:
        shown = deeplink.shown(str(st.query_params.get("project") or ""))
        st.warning(f"未找到该项目：找不到编号或项目编码为“{text.md(shown)}”的项目，可能已被撤销导入。"
                   "请返回查询结果另选一个项目。")
        return
    p = card["project"]
    if st.button("← 返回查询结果", key="close_card"):
        deeplink.close("project")
    st.title(text.md(p["name"]))
    st.caption(f"{p['year']}年 · {text.md(p['department'])} · {text.md(p.get('unit') or '—')} · 项目编码 {text.md(p.get('code') or '—')}"
               f" · {p.get('category') or ''} · {p.get('fund_source') or '资金来源未填'}"
               + (" · 重点项目" if p.get("is_key") else ""))
    common.link("department", f"查看{p['department']}的部门画像", query_params={"dept": str(p["department_id"])},
                icon=":material/apartment:")
    budget = p["budget"]

    st.subheader("① 预算与绩效目标")
    target = {True: "已设定", False: "未设定"}.get(p["has_target"], "未填")
    initial, initial_unit = fmt.wan_unit(p["initial_budget"])
    adjusted, adjusted_unit = fmt.wan_unit(p["adjusted_budget"])
    kpi.row([
        {"label": f"年初预算（{initial_unit}）", "value": initial},
        {"label": f"调整后预算（{adjusted_unit}）", "value": adjusted, "help": "执行率的分母；没有调整数时用年初预算。"},
        {"label": "绩效目标", "value": target, "help": f"目标审核等级：{p.get('target_grade') or '—'}"},
        {"label": "事前评估", "value": p.get("ex_ante_result") or "—"},
    ])

    st.subheader("② 绩效监控", help=filters.rules_summary(ctx.rules))
    tables.table(card["monitoring"], f"{p['code'] or p['id']}_监控", "card_monitoring",
                 ["as_of", "adjusted_budget", "executed", "execution_rate", "time_progress", "target_progress",
                  "light", "deviation_reason", "likelihood"], empty="没有监控记录" +
                 ("（设定了目标，应报未报：未报送）。" if p["has_target"] else "。"))

    st.subheader("③ 绩效评价", help=filters.grade_summary(ctx.rules))
    tables.table(card["evaluations"], f"{p['code'] or p['id']}_评价", "card_evaluations",
                 ["kind", "score", "grade", "evaluator", "main_problems", "result_application",
                  "next_year_budget_change"], empty="没有评价记录。")

    st.subheader("绩效指标", help="按阶段：申报（目标）、监控（实际值为全年预计完成）、自评、评价（实际完成值）。"
                              "完成情况：实际值满足指标值为已完成，同一单位下没达到为未完成，其余无法判断。")
    indicators = data.project_indicators(ctx, p["id"])
    if indicators.empty:
        st.caption("没有导入这个项目的绩效指标。")
    for stage in vocab.STAGES:
        rows = indicators.loc[indicators["stage"] == stage] if not indicators.empty else indicators
        if rows.empty:
            continue
        st.markdown(f"**{vocab.STAGE_LABELS[stage]}**")
        columns = ["level1", "level2", "indicator", "target_text"]
        if stage == vocab.STAGE_MONITORING:  # the value judged there is the expected full-year one
            rows = rows.rename(columns={"actual_text": "expected_text"})
            columns += ["current_text", "expected_text", "likelihood"]
        elif stage != vocab.STAGE_DECLARED:
            columns += ["actual_text", "weight", "score"]
        columns += ["indicator_status", "deviation_reason"]
        tables.table(rows, f"{p['code'] or p['id']}_指标_{stage}", f"card_indicators_{stage}", columns)

    st.subheader("④ 发现的问题与整改")
    tables.table(card["findings"], f"{p['code'] or p['id']}_整改", "card_findings",
                 ["source", "description", "requirement", "deadline", "status", "completed_on", "days_overdue"],
                 empty="没有发现问题。")

    st.subheader("⑤ 下年预算")
    nxt = card.get("next_year")
    if nxt:
        value, unit = fmt.wan_unit(nxt["budget"])
        kpi.row([{"label": f"{nxt['year']}年预算（{unit}）", "value": value, "delta": deltas.money_change(nxt.get("change")),
                      "help": f"同一项目编码在下一年度的预算；本年 {fmt.wan(budget)}。"}])
    else:
        st.caption("下一年度没有同编码的项目（尚未导入，或项目已结束）。")


selected = deeplink.project_param(ctx)
if selected is not None:
    with common.guard("项目卡片"):
        _card(selected)
    st.stop()

common.header("项目查询", ctx)
common.provenance(ctx)
c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
query = c1.text_input("搜索项目名称、编码或部门", key="q", bind="query-params", placeholder="例如：农田、JY-01")
grade = c2.multiselect("评价等级", vocab.GRADES, key="grade", bind="query-params", placeholder="全部")
light = c3.multiselect("预警", vocab.LIGHTS, format_func=vocab.LIGHT_LABELS.get, key="light", bind="query-params",
                       placeholder="全部")
status = c4.multiselect("整改状态", vocab.FINDING_STATUSES, key="status", bind="query-params", placeholder="全部",
                        help="项目有任一问题处于所选状态即列出。")
st.caption(filters.rules_summary(ctx.rules) + " 等级取最独立的评价（抽查复核 > 财政重点评价 > 部门评价 > 单位自评），"
           "等级筛选按同一口径。")

with common.guard("项目列表"):
    found = data.search_projects(ctx, text=query, grade=tuple(grade), light=tuple(light), status=tuple(status))
    total = found.total()
    if not total:
        st.info("没有符合条件的项目。可以放宽搜索词或筛选条件。", icon=":material/search_off:")
    else:
        st.caption(f"共 {total:,} 个项目，按预算从大到小。点击一行查看项目全过程。")
        chosen = [("搜索", query)] if query else []  # plain text: it goes into the file, not Markdown
        chosen += [("等级", "、".join(grade)), ("预警", "、".join(vocab.LIGHT_LABELS[x] for x in light)),
                   ("整改状态", "、".join(status))]
        rows, event = tables.listing(
            found, ctx, "项目查询", "projects",
            ["code", "name", "department", "unit", "budget", "has_target", "light", "execution_rate", "grade",
             "score", "open_findings"], page_key="page", on_select="rerun",
            filters="；".join(f"{k} {v}" for k, v in chosen if v))
        if event and event.selection.rows:
            deeplink.open_id("project", rows.iloc[event.selection.rows[0]]["project_id"])
