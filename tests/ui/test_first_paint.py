"""A tab's first charts follow its cards (dashboard/ui/charts.py hold_first_paint / release_after_paint).

On a real server the first run of a session that draws charts keeps each chart's place and ends with a fragment
holding a small script (charts.PAINTED_COMPONENT) that asks for that fragment once the browser has painted the
page; the fragment's run draws the charts. AppTest is not a real server, so
these scripts pass real_server=True themselves; the browser's side is tests/browser/test_first_paint.py.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.ui.charts import PAINTED_COMPONENT


def _page(real_server: bool = True) -> None:
    """Two charts (the second only once `with_charts` is not False), a card, as a page draws them."""
    import plotly.graph_objects as go  # lazy: the function runs as a script of its own under AppTest
    import streamlit as st

    from dashboard.ui import charts as ch

    ch.hold_first_paint(real_server)
    st.metric("红灯项目", "3")
    if st.session_state.get("with_charts", True):
        for key, height in (("grades", 300), ("lights", 520)):
            fig = go.Figure(go.Bar(x=["优", "良"], y=[2, 1]))
            fig.update_layout(height=height)
            ch.show(fig, key=key, summary=f"{key} 的说明", table=False)
    ch.release_after_paint()


def _painted(at) -> int:
    return sum(1 for e in at.get("bidi_component") if e.proto.component_name == PAINTED_COMPONENT)


def _state(at) -> str | None:
    return at.session_state.get("_charts_first_paint")


def test_first_run_keeps_places_then_next_run_draws():
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    # the card and both sentences at once; no chart, its place kept with the 图表加载中 note, twice
    assert [m.value for m in at.metric] == ["3"]
    captions = [c.value for c in at.caption]
    assert captions.count("图表加载中……") == 2
    assert "grades 的说明" in captions and "lights 的说明" in captions
    assert len(at.get("plotly_chart")) == 0
    assert _state(at) == "held"
    assert _painted(at) == 1  # the script that asks for the charts once the page is painted
    # the run that script asks for (any later run): both charts, no place kept, no script any more
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert _painted(at) == 0
    assert "图表加载中……" not in [c.value for c in at.caption]
    assert _state(at) == "done"
    at.run()  # and every run after it
    assert len(at.get("plotly_chart")) == 2 and _state(at) == "done"


def test_a_first_page_without_charts_leaves_the_hold_for_the_next():
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["with_charts"] = False
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 0
    assert _state(at) is None  # nothing held: no run asked for
    at.session_state["with_charts"] = True
    at.run()  # the first page with charts (after a sign-in page, a list)
    assert len(at.get("plotly_chart")) == 0 and [c.value for c in at.caption].count("图表加载中……") == 2
    at.run()
    assert len(at.get("plotly_chart")) == 2


def test_not_a_real_server_draws_at_once():
    at = AppTest.from_function(_page, args=(False,), default_timeout=60).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert "图表加载中……" not in [c.value for c in at.caption]
    assert _state(at) is None and _painted(at) == 0
