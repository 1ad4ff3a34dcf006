"""部门画像: one 主管部门 (?dept=id, code or name) — 部门整体绩效 (when imported), three-year trend, projects,
warnings, evaluations, findings."""

import dataclasses

import pandas as pd
import streamlit as st

from dashboard.ui import (
    common,
    data,
    deeplink,
    documents,
    filters,
    fmt,
    inquiries,
    kpi,
    tables,
    text,
    trends,
    vocab,
)
from dashboard.ui import rectification as rect

ctx = filters.current()
names = dict(ctx.departments)
choice = deeplink.UrlChoice("dept", "dept_pick")
unknown = choice.follow(names, lambda text: deeplink.department_from_text(ctx, text),
                        default=ctx.scope.departments[0] if ctx.scope.departments else next(iter(names), None))
if unknown:
    st.warning(f"链接中的部门「{text.md(unknown)}」不存在，请在下方选择。")
if not names:
    common.no_data(ctx, "部门")
    st.stop()

st.title("部门画像")
dept_id = st.selectbox("主管部门", list(names), format_func=names.get, key="dept_pick",
                       help="可输入名称搜索。页面地址带 ?dept= 部门编号，可直接分享。")
choice.publish(dept_id)  # keep the URL shareable: it always names the department shown
name = names[dept_id]
dctx = dataclasses.replace(ctx, scope=data.scope_for(ctx, departments=(dept_id,)))  # the page's own scope
st.caption(f"当前范围：{text.md(dctx.scope_label())}")
common.provenance(ctx)
with common.guard("部门简报"):
    documents.brief_buttons(ctx, dept_id, name)

with common.guard("本年概况"):
    k = data.kpis(dctx)
    p, m, e, f = k["projects"], k["monitoring"], k["evaluations"], k["findings"]
    if not p["projects"] and not e["count"] and not f["total"]:
        st.info(common.empty_department(ctx, name), icon=":material/filter_alt_off:")
    else:
        value, unit = fmt.wan_unit(p["budget_total"])
        kpi.row([
            {"label": f"预算（{unit}）", "value": value,
             "help": f"{fmt.count(p['projects'])} 个项目、{fmt.count(p['units'])} 个预算单位。"},
            {"label": "目标覆盖率", "value": fmt.pct(p["coverage_funds"]),
                 "help": f"按资金；按项目数 {fmt.pct(p['coverage_count'])}。"},
            {"label": "预算执行率", "value": fmt.pct(m["execution_rate"]),
                 "help": f"监控截止 {fmt.date(m['as_of'])}，序时进度 {fmt.pct(m['time_progress'])}。"},
            {"label": "红/黄/未报送", "value": f"{fmt.count(m['red'])}/{fmt.count(m['yellow'])}/{fmt.count(m['grey'])}",
                 "help": filters.rules_summary(ctx.rules)},
            {"label": "评价平均分", "value": fmt.score(e["avg_score"]).replace(" 分", ""),
                 "help": f"{fmt.count(e['count'])} 条评价记录。"},
            {"label": "整改率", "value": fmt.pct(f["rate"]),
                 "help": (f"已核验 {fmt.count(f['verified'])}/{fmt.count(f['total'])}；"
                          f"单位报称已整改 {fmt.count(f['rectified'])} 个。"
                          if ctx.rules.rectification_basis != "reported"
                          else f"单位报称已整改 {fmt.count(f['rectified'])}/{fmt.count(f['total'])}"
                               f"（其中已核验 {fmt.count(f['verified'])}）。")},
            {"label": "待核验", "value": fmt.count(f["reported_unverified"]), "help": "单位报称已整改、尚未核验的问题。"},
            {"label": "直接落实率", "value": fmt.pct(f["direct_rate"]), "help": "已核验 ÷ 全部问题。"},
            {"label": "综合整改率", "value": fmt.pct(f["overall_rate"]),
                 "help": f"已核验 ÷（全部问题 − 标为历史遗留/客观原因并写明说明的 {fmt.count(f['excluded'])} 个）。"},
            {"label": "逾期未整改", "value": fmt.count(f["overdue"]),
                 "help": f"按 {fmt.date(ctx.today)} 和当前整改时限判断；按原定时限逾期 {fmt.count(f['overdue_original'])} 个。"},
            {"label": "按原定时限逾期", "value": fmt.count(f["overdue_original"]),
                 "help": f"延期过的问题 {fmt.count(f['extended'])} 个。"},
            {"label": "屡审屡犯", "value": fmt.count(rect.summary(dctx)["repeat"]),
                 "help": "往年同一单位或项目有同类问题（清单见「整改进度」页）。"},
            {"label": "自评虚高", "value": fmt.count(e["inflation_flags"]),
                 "help": f"自评高出独立评价 ≥{ctx.rules.inflation_gap:g} 分或等级更好。"},
        ])

with common.guard("部门整体绩效"):
    wide = data.department_wide_detail(dctx, dept_id)
    if wide is not None:
        w = wide["form"]
        st.subheader(f"部门整体绩效{w['stage']}", help="来自导入的《部门整体绩效目标表》/《部门整体支出绩效自评表》；"
                     "同一年既有目标表又有自评表时显示自评表。金额为万元。")
        cards = [{"label": "部门预算（万元）", "value": fmt.money(w["total_budget"]),
                  "help": f"基本支出 {fmt.money(w['basic_budget'])}，项目支出 {fmt.money(w['project_budget'])}。"},
                 {"label": "基本支出（万元）", "value": fmt.money(w["basic_budget"])},
                 {"label": "项目支出（万元）", "value": fmt.money(w["project_budget"])},
                 {"label": "重点工作任务", "value": fmt.count(len(wide["tasks"])),
                  "help": f"拟投入 {fmt.money(wide['tasks']['amount'].sum(min_count=1))} 万元。"},
                 {"label": "绩效指标", "value": fmt.count(len(wide["indicators"]))}]
        if w["staff_count"] is not None or w["sub_unit_count"] is not None:
            cards.append({"label": "财政供养人员/下属单位",
                          "value": f"{fmt.count(w['staff_count'])}/{fmt.count(w['sub_unit_count'])}"})
        kpi.row(cards)
        if w["overall_target"]:
            with st.expander("总体绩效目标"):
                st.text(w["overall_target"])
        tasks = wide["tasks"].rename(columns={"name": "任务名称", "content": "主要实施内容", "amount": "拟投入资金（万元）",
                                              "executed": "执行数（万元）", "target": "期望达到的目标",
                                              "actual": "完成情况"}).dropna(axis=1, how="all")
        tables.table(tasks, f"{name}_重点工作任务_{ctx.scope.year}", "dept_wide_tasks", empty="表中没有重点工作任务。")
        tables.table(wide["indicators"].dropna(axis=1, how="all"), f"{name}_部门整体绩效指标_{ctx.scope.year}",
                     "dept_wide_indicators", empty="表中没有绩效指标。")

with common.guard("历年趋势"):
    st.subheader("历年趋势", help="每年按当年数据计算，资金来源筛选同上方卡片；综合得分和名次口径同「部门排名」页"
                 "（当前规则设置、所选资金来源）。")
    trend = data.department_trend(dctx, dept_id)  # the page's scope: the same whichever sidebar filter led here
    trend = trend[trend["year"] <= ctx.scope.year].tail(3)
    if ctx.scope.fund_source:
        st.caption(f"只计资金来源为“{text.md(ctx.scope.fund_source)}”的项目及其评价、问题。")
    if trend.empty:
        st.caption("没有历年数据" + (f"（资金来源“{text.md(ctx.scope.fund_source)}”）" if ctx.scope.fund_source else "")
                   + "。")
    else:
        trends.small_multiples(trend)
        tables.table(trend, f"{name}_历年趋势", "dept_trend", trends.TABLE_COLUMNS)
        latest = trend.iloc[-1]
        if int(latest["year"]) == ctx.scope.year and pd.notna(latest.get("rank")):
            among = f"资金来源为“{text.md(ctx.scope.fund_source)}”的" if ctx.scope.fund_source else ""
            st.caption(f"{ctx.scope.year} 年综合得分 {latest['composite']:.1f}，在{among}全部主管部门中排第 "
                       f"{fmt.count(latest['rank'])} 名（口径见「部门排名」页）。")

with common.guard("项目"):
    st.subheader("项目", help="本部门本年全部项目；等级取最独立的评价，预警为最新一期监控的灯。")
    projects = data.search_projects(dctx)
    st.caption(f"共 {projects.total():,} 个项目，按预算从大到小。")
    tables.listing(projects, dctx, f"{name} 项目", "dept_projects",
                   ["code", "name", "unit", "budget", "has_target", "light", "execution_rate", "grade", "score",
                    "open_findings"], page_key="pp",
                   project_links=True, file_stem=f"{name}_项目_{ctx.scope.year}",
                   empty="本年没有项目。")

with common.guard("预警"):
    st.subheader("红灯与未报送", help=filters.rules_summary(ctx.rules))
    tables.listing(data.warning_list(dctx, lights=(vocab.RED, vocab.GREY)), dctx, f"{name} 红灯与未报送项目",
                   "dept_warnings", ["light", "code", "name", "unit", "budget", "executed", "execution_rate",
                                     "time_progress", "lag", "deviation_reason", "likelihood"], page_key="wp",
                   project_links=True,
                   file_stem=f"{name}_预警_{ctx.scope.year}", empty="没有红灯或未报送项目。")

with common.guard("评价"):
    st.subheader("评价结果", help=filters.grade_summary(ctx.rules))
    tables.listing(data.evaluation_list(dctx), dctx, f"{name} 评价结果", "dept_evals",
                   ["kind", "object_type", "object_name", "score", "grade", "evaluator", "main_problems",
                    "result_application", "next_year_budget_change"], page_key="ep",
                   file_stem=f"{name}_评价_{ctx.scope.year}", note="按得分从低到高", empty="本年没有评价记录。")

with common.guard("未销号问题"):
    st.subheader("未销号问题", help=f"未整改和整改中的问题；逾期天数按 {fmt.date(ctx.today)} 计算。")
    tables.listing(data.open_findings(dctx), dctx, f"{name} 未销号问题", "dept_open",
                   ["project", "description", "requirement", "original_deadline", "deadline", "extensions", "status",
                    "days_overdue", "source"],
                   page_key="fp", file_stem=f"{name}_未销号问题_{ctx.scope.year}", empty="没有未销号的问题。")

with common.guard("人大满意度测评"):
    votes = rect.votes(dctx)
    if not votes.empty:
        st.subheader("人大满意度测评", help="人大对本部门及所属单位整改情况报告的满意度测评票数。")
        tables.table(votes, f"{name}_满意度测评_{ctx.scope.year}", "dept_votes",
                     ["unit", "subject", "satisfied", "basically", "unsatisfied", "votes", "satisfied_share",
                      "positive_share"])

with common.guard("人大询问与答复"):
    inquiries.department_section(ctx, dept_id)

if not ctx.scope.limit:  # every department's brief: not for a department-limited account
    with common.guard("批量简报"), st.expander("审议会用：各部门简报汇编（一个文件）", icon=":material/library_books:"):
        st.caption(f"{ctx.scope.year} 年，目录页之后每个部门一份简报，数据与本页相同口径"
                   + ("。" if ctx.scope.fund_source else "（全部资金来源）。"))
        documents.batch_button(ctx)
