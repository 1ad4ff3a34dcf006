"""报送情况: per collection round (报送轮次) of the year, which units have reported, reported late or not, with their
contacts; counts per department; the 催报清单 download; staff open and close rounds here."""

import streamlit as st

from dashboard.ui import common, filters, fmt, kpi, text
from dashboard.ui import rounds as rr

ALL = "全部"

ctx = filters.current()
common.header("报送情况", ctx)
st.caption("应报单位 = 本年在范围内有项目的预算单位；已报送 = 监控轮次有该截止日期的监控记录、自评轮次有本年单位自评的单位"
           "（含逾期报送的）；逾期报送 = 首次报送的导入时间晚于报送截止日期；未报送 = 应报而未报的。")
rr.show_done()

with common.guard("报送轮次"):
    listed = rr.rounds(ctx)
    if listed.empty:
        st.info(f"{ctx.scope.year}年还没有报送轮次。导入一批监控表或单位自评表会自动开启对应的轮次，"
                "也可以在下面开启（并定报送截止日期）。")
        rnd = None
    else:
        by_id = {int(r["round_id"]): r for r in listed.to_dict("records")}
        chosen_id = st.selectbox("报送轮次", list(by_id), format_func=lambda i: by_id[i]["label"]
                                 + ("" if by_id[i]["is_open"] else "（已关闭）"), key=rr.ROUND_KEY,
                                 help="排在最前的是当前轮次：最新开启且未关闭的。")
        rnd = by_id[int(chosen_id)]
        st.caption(text.md(rr.describe(rnd)))

if rnd is not None:
    with common.guard("报送概况"):
        c = rr.counts(ctx, rnd["round_id"])
        kpi.row([
            {"label": "应报单位", "value": fmt.count(c["units"]), "help": "本年在侧栏范围内有项目的预算单位。"},
            {"label": "已报送", "value": fmt.count(c["reported"]), "help": "已报送的单位，含逾期报送的。"},
            {"label": "逾期报送", "value": fmt.count(c["late"]),
             "help": "首次报送（导入批次的时间）晚于报送截止日期的单位。"},
            {"label": "未报送", "value": fmt.count(c["not_reported"]), "help": "应报而还没有报送的单位。"},
            {"label": "报送率", "value": fmt.pct(c["rate"]), "help": "已报送 ÷ 应报单位。"},
        ])
        rr.chase_list(ctx, rnd)

    with common.guard("各部门报送情况"):
        st.subheader("各部门报送情况", help="每个主管部门的应报单位、已报送（含逾期）、逾期报送和未报送的单位数；未报送多的排在前面。")
        rr.department_table(ctx, rnd)

    with common.guard("各单位报送情况"):
        st.subheader("各单位报送情况", help="每个应报单位的报送状态、联系人、首次和最近一次报送的时间与批次。")
        shown = st.segmented_control("报送状态", [ALL, *rr.STATUSES], default=ALL, key="round_status")
        statuses = () if not shown or shown == ALL else (shown,)
        rr.unit_table(ctx, rnd, statuses, f"报送状态 {shown}" if statuses else "")

    if rr.can_open():
        with common.guard("关闭轮次"):
            rr.close_button(ctx, rnd)

if rr.can_open():
    with common.guard("开启报送轮次"), st.expander("开启报送轮次", icon=":material/add_task:", expanded=rnd is None):
        st.caption("开启一轮报送：选表格类型和截止日期，定报送截止日期；再把模板发给各单位。已有的轮次会更新截止日期并重新开启。"
                   "开启、关闭都记入操作日志。")
        rr.open_form(ctx)
