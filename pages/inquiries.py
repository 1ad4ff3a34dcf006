"""询问台账: the questions deputies and committees put to departments, their answers and the askers' ratings — the
cards (询问数, 答复率, 逾期未答复, 逾期答复, 满意率), the table by department, the question list and its download;
staff enter a question or its answer here."""

import streamlit as st

from dashboard.ui import common, filters, tables
from dashboard.ui import inquiries as inq

ctx = filters.current()
common.header("询问台账", ctx)
st.caption(inq.rules_text(ctx) + "询问不关联资金来源，侧栏的资金来源筛选对它不起作用。")

s = None
with common.guard("询问概况"):
    s = inq.summary(ctx)
    if s["asked"]:
        inq.cards(ctx, s)
    else:
        st.info(f"{ctx.scope.year} 年（侧栏范围内）还没有登记询问。可以导入“询问台账”表，"
                "或由绩效科在本页下方逐条登记。", icon=":material/forum:")

if s and s["asked"]:
    with common.guard("各部门答复情况"):
        st.subheader("各部门答复情况", help="按逾期（逾期未答复 + 逾期答复）从多到少排列。")
        tables.table(inq.by_department(ctx), f"各部门询问答复_{ctx.scope.year}", "inq_dept", inq.DEPARTMENT_COLUMNS)

    with common.guard("询问清单"):
        st.subheader("询问清单", help="本年全部询问，按询问日期从新到旧；可按答复情况筛选。逾期天数：未答复的算到判断日期，"
                     "逾期答复的算到答复日期。")
        inq.question_list(ctx, "inq_list", "询问台账", file_stem=f"询问台账_{ctx.scope.year}")

if inq.can_enter():
    with common.guard("登记询问或答复"), st.expander("登记询问、录入答复", icon=":material/edit_note:",
                                                   expanded=not (s and s["asked"])):
        inq.entry_forms(ctx)
