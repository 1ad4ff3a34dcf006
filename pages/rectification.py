"""整改进度: findings by status and department, 已核验 and the two rates (直接落实率, 综合整改率), the complete findings
list (status, department, overdue, age-bucket filters), reported-but-unverified, 屡审屡犯 and deadline changes, the 人大
满意度测评, age buckets and the closure trend; staff enter an extension or a verification here."""

import streamlit as st

from dashboard.ui import charts, common, data, filters, fmt, kpi, tables, vocab
from dashboard.ui import rectification as rect

OVERDUE_CHOICES = {"全部": None, "逾期": True, "未逾期": False}

ctx = filters.current()
common.header("整改进度", ctx)
common.provenance(ctx)
verified_basis = ctx.rules.rectification_basis != "reported"
RATE_TEXT = ("整改率 = 已核验 ÷ 全部问题（单位报称已整改、且有核验日期的才算）" if verified_basis
             else "整改率 = 单位报称已整改 ÷ 全部问题（规则设置为按报称计）")
st.caption(f"{RATE_TEXT}；逾期 = 未销号且 {fmt.date(ctx.today)} 已过整改时限（延期的按延期后的时限），"
           "按原定时限逾期 = 已过最初定的时限（时限当天不算逾期）。")

with common.guard("整改概况"):
    f = data.kpis(ctx)["findings"]
    if not f["total"]:
        common.no_data(ctx, "问题整改记录")
        st.stop()
    s = rect.summary(ctx)
    kpi.row([
        {"label": "问题总数", "value": fmt.count(f["total"])},
        {"label": "已整改", "value": fmt.count(f["rectified"]), "help": "单位报称已整改（整改状态为“已整改”），含尚未核验的。"},
        {"label": "已核验", "value": fmt.count(f["verified"]), "help": "报称已整改、且有核验日期（核验人、核验方式）的问题。"},
        {"label": "待核验", "value": fmt.count(f["reported_unverified"]), "help": "单位报称已整改、尚未核验的问题；清单见下方。"},
        {"label": "整改中/未整改", "value": f"{fmt.count(f['in_progress'])}/{fmt.count(f['not_started'])}"},
        {"label": "整改率", "value": fmt.pct(f["rate"]), "help": RATE_TEXT + "。"},
        {"label": "直接落实率", "value": fmt.pct(f["direct_rate"]), "help": "已核验 ÷ 全部问题。"},
        {"label": "综合整改率", "value": fmt.pct(f["overall_rate"]),
         "help": f"已核验 ÷（全部问题 − 标为历史遗留/客观原因且写明说明的 {fmt.count(f['excluded'])} 个），这些问题分子分母都不计。"},
        {"label": "逾期未整改", "value": fmt.count(f["overdue"]), "help": "未销号且已过当前整改时限。"},
        {"label": "按原定时限逾期", "value": fmt.count(f["overdue_original"]),
         "help": "未销号且已过最初定的整改时限（延期后的时限不算）。"},
        {"label": "延期问题", "value": fmt.count(f["extended"]), "help": "整改时限改过至少一次的问题；变更记录见下方。"},
        {"label": "屡审屡犯", "value": fmt.count(s["repeat"]),
         "help": f"同一单位（无单位的按主管部门）或同一项目往年有同类问题：问题类别相同，或问题描述相似度 ≥ "
                 f"{ctx.rules.repeat_similarity:.0%}（字符二元组 Jaccard）。"},
    ])

with common.guard("各部门整改情况"):
    st.subheader("各部门整改情况", help="本年问题按整改状态的个数；逾期 = 未销号且已过整改时限。")
    by_dept = data.findings_by_department(ctx)
    worst_first = by_dept.assign(open_=by_dept["未整改"] + by_dept["整改中"]).sort_values(
        ["overdue", "open_", "department"], ascending=[False, False, True]).drop(columns="open_")
    shown = common.chart_rows(worst_first, "rect_dept_view", "逾期最多的")
    charts.show(charts.findings_by_department(shown), key="rect_by_dept")
    st.caption("图和表都按逾期数、未销号数从多到少排列。")
    tables.table(worst_first, f"各部门整改_{ctx.scope.year}", "rect_dept",
                 ["department", "未整改", "整改中", "已整改", "verified", "reported_unverified", "total", "overdue",
                  "overdue_original", "extended", "rate", "direct_rate", "overall_rate"])

left, right = st.columns(2)
with left, common.guard("逾期账龄"):
    st.subheader("逾期账龄", help="未销号问题按逾期天数分段。分段上限可在 dashboard.toml 的 age_buckets 设置。")
    buckets = data.age_buckets(ctx)
    charts.show(charts.age_buckets(buckets), key="rect_age")
with right, common.guard("销号趋势"):
    st.subheader("销号趋势", help="本年问题按完成日期所在月份统计的销号数与累计数。")
    trend = data.closure_trend(ctx)
    if trend.empty:
        st.caption("还没有销号的问题。")
    else:
        charts.show(charts.closure_trend(trend), key="rect_trend")

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
                   ["finding_id", "department", "unit", "project", "code", "description", "requirement",
                    "original_deadline", "deadline", "extensions", "status", "days_overdue", "age_bucket", "source",
                    "verified_on"], page_key="rp", note="按整改时限从早到晚",
                   filters="；".join(f"{k} {v}" for k, v in chosen if v), empty="没有符合条件的问题。")

with common.guard("报称已整改未核验"):
    st.subheader("报称已整改、尚未核验", help="整改状态为“已整改”但没有核验日期的问题：单位自己报的销号，还没有人核实。"
                 + ("按当前规则它们不计入整改率。" if verified_basis else ""))
    tables.listing(rect.unverified(ctx), ctx,
                   "报称已整改未核验问题", "rect_unverified",
                   ["finding_id", "department", "description", "measures", "original_deadline", "deadline",
                    "extensions", "unit", "project"], page_key="uvp", file_stem=f"报称已整改未核验_{ctx.scope.year}",
                   note="按整改时限从早到晚", empty="没有报称已整改而未核验的问题。")

with common.guard("屡审屡犯"):
    st.subheader("屡审屡犯", help="同一单位（无单位的按主管部门）或同一项目（按项目编码）往年有同类问题：问题类别相同，"
                 f"或问题描述的相似度 ≥ {ctx.rules.repeat_similarity:.0%}（去掉空格标点后的相邻两字组合重合比例）。"
                 "“此前”列出最近一年最相似的那一条。")
    tables.listing(rect.repeats(ctx), ctx, "屡审屡犯问题",
                   "rect_repeat", ["finding_id", "department", "description", "earlier_year", "earlier_description",
                                   "problem_category", "unit", "project", "status"], page_key="rpp",
                   file_stem=f"屡审屡犯_{ctx.scope.year}", note="按主管部门", empty="没有屡审屡犯的问题。")

with common.guard("整改时限变更记录"):
    st.subheader("整改时限变更记录", help="每一次改动整改时限都记一条：从哪天改到哪天、原因、批准人、谁在何时录入。"
                 "来自导入的“原定整改时限/延期原因/延期批准人”列，或在本页录入。")
    tables.listing(rect.extensions(ctx), ctx, "整改时限变更记录",
                   "rect_ext", ["finding_id", "department", "description", "old_deadline", "new_deadline", "reason",
                                "approved_by", "original_deadline", "unit", "recorded_by", "recorded_at", "status"],
                   page_key="xp", file_stem=f"整改时限变更_{ctx.scope.year}", note="按问题、变更先后",
                   empty="本年没有整改时限变更。")

with common.guard("人大满意度测评"):
    st.subheader("人大满意度测评", help="人大对各单位整改情况报告的满意度测评票数（导入“整改满意度测评”表）。"
                 "测评不关联项目，侧栏的资金来源筛选对它不起作用。")
    votes = rect.votes(ctx)
    tables.table(votes, f"整改满意度测评_{ctx.scope.year}", "rect_votes",
                 ["department", "unit", "subject", "satisfied", "basically", "unsatisfied", "votes", "satisfied_share",
                  "positive_share"], empty="本年没有导入满意度测评。")

if rect.can_enter():
    with common.guard("录入延期或核验"), st.expander("录入整改延期或核验结果", icon=":material/edit_note:"):
        rect.entry_form(ctx)
