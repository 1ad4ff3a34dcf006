"""The department profile's trend lines are built without charts.trend's layout updates (issue 28): the same
figure, the same sentence and the same data table as charts.trend, for every line and any values."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard.ui import charts, trends

SERIES = [
    ((2022, 2023, 2024), (1234.5, 2345.25, None)),
    ((2023, 2024), (0.0, 0.875)),
    ((2024,), (83.25,)),
    ((2021, 2022, 2023), (None, 3.0, 12.0)),
    ((2022, 2023, 2024), (123456789.123, 0.5, 98.75)),
]


@pytest.mark.parametrize(("column", "label", "kind"), trends.DEPARTMENT_TRENDS)
@pytest.mark.parametrize(("years", "values"), SERIES)
def test_fast_figure_is_charts_trend(column, label, kind, years, values):
    trends._figure.clear()
    fast = trends._figure(years, values, column, label, kind)
    slow = charts.trend(pd.DataFrame({"year": list(years), column: list(values)}), column, label, kind)
    assert json.loads(fast.to_json()) == json.loads(slow.to_json())
    (fast_said, fast_data), (slow_said, slow_data) = charts.described(fast), charts.described(slow)
    assert fast_said == slow_said
    pd.testing.assert_frame_equal(fast_data, slow_data)


def test_template_does_not_depend_on_values():
    """_template takes charts.trend's layout from a one-point line: the layout of any other line is the same."""
    for column, label, kind in trends.DEPARTMENT_TRENDS:
        a = charts.trend(pd.DataFrame({"year": [2000], column: [1.0]}), column, label, kind).to_plotly_json()
        b = charts.trend(pd.DataFrame({"year": [2020, 2021, 2022], column: [5e6, None, 0.25]}), column, label,
                         kind).to_plotly_json()
        assert json.loads(json.dumps(a["layout"])) == json.loads(json.dumps(b["layout"]))
