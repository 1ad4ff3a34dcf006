"""bench/chart_cost.py, the drawing half: each figure is drawn by plotly.js in Chromium and timed, and the load of
plotly.js itself is timed once. No timed assertion: what is checked is that every figure drew, and the counts."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from bench import chart_cost

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _sent(page: str, index: int, fig: go.Figure) -> dict:
    spec = json.loads(fig.to_json())  # what st.plotly_chart sends: the figure's JSON
    return {"page": page, "index": index, "spec": spec, "config": {"displayModeBar": False},
            "bytes": len(fig.to_json())}


def test_every_figure_draws_and_the_pages_add_up(browser):
    bars = go.Figure(go.Bar(x=["优", "良", "中", "差"], y=[3, 3, 1, 1]))
    dots = go.Figure([go.Scatter(x=list(range(300)), y=list(range(300)), mode="markers"),
                      go.Scatter(x=list(range(200)), y=list(range(200)), mode="markers")])
    figs = [_sent("a", 0, bars), _sent("a", 1, dots), _sent("b", 0, bars)]
    out = chart_cost.costs(figs, repeat=1, browser=browser)
    assert out["plotly_load_ms"] > 0  # plotly.js ran in the tab (Plotly defined)
    rows = out["charts"]
    assert [(r["page"], r["index"], r["traces"], r["points"]) for r in rows] == [
        ("a", 0, 1, 4), ("a", 1, 2, 500), ("b", 0, 1, 4)]
    assert all(r["drawn"] and r["ms"] > 0 for r in rows)
    assert out["pages"] == pytest.approx({"a": rows[0]["ms"] + rows[1]["ms"], "b": rows[2]["ms"]})

