"""The benchmark's floor: a trivial Streamlit page (one st.metric, one Plotly chart), served and run like the app.

`bench` serves it with bench/server.py start_server (the same flags, the same Chromium waits) and runs it in
AppTest; each page of the dashboard is reported as a ratio to it, so only what is ours counts.
"""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="基准页", layout="wide")
st.title("基准页")
st.metric("项目数", "12,345", "+1.2%")
fig = go.Figure(go.Bar(x=["甲", "乙", "丙", "丁"], y=[4, 3, 2, 1]))
fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10})
st.plotly_chart(fig, config={"displayModeBar": False})
