"""charts.described on a figure its builder did not describe: the data table read from the traces (issue 28).

目标质量's unit-cost dot plot (dashboard/ui/quality.py unit_cost_chart) is a scatter with names on the y axis and
numbers on x and no `orientation`; reading it as a vertical chart tried float('业务培训') and the section 成本指标
failed on the county demo."""

import numpy as np
import plotly.graph_objects as go

from dashboard.ui import charts


def test_dot_plot_with_names_on_y_reads_y_as_categories():
    fig = go.Figure()
    fig.add_scatter(x=np.array([1.2, 0.8]), y=("业务培训", "信息化"), mode="markers", name="正常")
    fig.add_scatter(x=np.array([3.1]), y=("业务培训",), mode="markers", name="偏高")
    summary, data = charts.described(fig)
    assert list(data["类别"]) == ["业务培训", "信息化"]
    assert list(data["正常"]) == ["1.2", "0.8"]
    assert "业务培训" in summary


def test_vertical_and_horizontal_bars_unchanged():
    _, data = charts.described(go.Figure(go.Bar(x=["甲", "乙"], y=np.array([3, 4], dtype=np.int64))))
    assert list(data["类别"]) == ["甲", "乙"] and list(data.iloc[:, 1]) == ["3", "4"]
    _, data = charts.described(go.Figure(go.Bar(y=["甲", "乙"], x=[5, 6], orientation="h")))
    assert list(data["类别"]) == ["甲", "乙"] and list(data.iloc[:, 1]) == ["5", "6"]


def test_a_label_where_a_number_was_expected_is_shown_not_raised():
    assert charts._number("业务培训") == "业务培训"
