"""bench/chart_cost.py, the figures half: it keeps each page's Plotly figures exactly as the app sends them, and
counts what they plot by hand-checkable rules (the drawing half is tests/browser/test_chart_cost.py)."""

from __future__ import annotations

import base64
import os
import struct

from bench import chart_cost


def test_points_count_lists_and_typed_arrays():
    doubles = base64.b64encode(struct.pack("<2d", 1.5, 2.5)).decode()
    bytes4 = base64.b64encode(bytes([1, 2, 3, 4])).decode()
    spec = {"data": [{"x": ["甲", "乙", "丙"]},                       # a list: 3
                     {"x": {"dtype": "f8", "bdata": doubles}},        # two doubles: 2
                     {"x": {"dtype": "i1", "bdata": bytes4}},         # four bytes: 4
                     {"type": "pie", "values": [1, 2]},               # a pie's values: 2
                     {"type": "scatter"}]}                            # nothing plotted: 0
    assert chart_cost.points(spec) == 3 + 2 + 4 + 2
    assert chart_cost.points({}) == 0


def test_figures_are_the_overviews_two_charts_as_sent(app_env):
    before = os.environ["DATABASE_URL"]
    figs = chart_cost.figures(app_env, pages=("overview",))
    assert os.environ["DATABASE_URL"] == before  # put back as it was
    assert [(f["page"], f["index"]) for f in figs] == [("overview", 0), ("overview", 1)]
    grades, lights = (f["spec"] for f in figs)
    # 评价等级分布: one bar per grade 优/良/中/差 (tests/pages/test_pages.py: 3, 3, 1, 1)
    assert grades["data"][0]["x"] == ["优", "良", "中", "差"] and chart_cost.points(grades) == 4
    # 各部门预警灯: one trace per light, one bar per department of the fixture (3): 4 × 3 values
    assert len(lights["data"]) == 4 and chart_cost.points(lights) == 12
    assert all(f["bytes"] > 1000 and isinstance(f["config"], dict) for f in figs)
