"""大屏: the meeting-room screen — headline figures, lights by department, ranking and the departments to watch on
one 1920×1080 screen in large type, no sidebar (dashboard/ui/screen.py); `?rotate=N` turns the lower half
through its views every N seconds."""

import streamlit as st

from dashboard.ui import common, filters, screen, text

ctx = filters.current()
screen.style()
st.title(f"{ctx.scope.year}年预算绩效管理大屏展示")
st.caption(f"当前范围：{text.md(ctx.scope_label())}")
with common.guard("关键指标"):
    k = screen.headline_row(ctx)
    if k is None:
        common.no_data(ctx, "项目、评价或整改数据")
        st.stop()
seconds = screen.rotation()
if seconds:
    screen.rotating(ctx, seconds)
else:
    screen.view(ctx, screen.VIEWS[0])
common.link("overview", "退出大屏", icon=":material/close_fullscreen:")
