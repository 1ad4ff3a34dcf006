"""Lights and grades readable without colour (issue 27, item 2): 监控预警 and 评价结果 as a red-green colour-blind
reader (deuteranopia) and a greyscale print see them — Chromium's own vision-deficiency emulation. Every bar of
the lights and grades charts carries a fill pattern besides its colour (Plotly draws them as SVG <pattern>s), so
the series stay apart when the colours merge. `make screenshots` keeps the views in docs/screenshots/
(monitoring-deuteranopia.png, evaluation-greyscale.png)."""

from __future__ import annotations

import os

import pytest

from bench import server as srv
from dashboard.present.palette import GRADE_PATTERNS, LIGHT_PATTERNS
from dashboard.registry import BY_KEY
from tests.browser import waits

_problem = srv.chromium_problem()
if _problem and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {_problem}", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# the distinct fill patterns Plotly drew in the page's charts (each <pattern> element is one bar fill)
PATTERNS = """() => Array.from(document.querySelectorAll('.js-plotly-plot defs pattern'))
  .map(p => p.getAttribute('id') || '').length"""
SHAPES = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
  .flatMap(el => (el.data || []).map(t => (t.marker && t.marker.pattern && t.marker.pattern.shape) || null))
  .flat().filter(s => s !== null)"""


@pytest.mark.parametrize("key, vision, name, patterns", [
    ("monitoring", "deuteranopia", "monitoring-deuteranopia.png", LIGHT_PATTERNS),
    ("evaluation", "achromatopsia", "evaluation-greyscale.png", GRADE_PATTERNS),
])
def test_lights_and_grades_keep_apart_without_colour(app_server, page, shots_dir, key, vision, name, patterns):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": vision})
    info = BY_KEY[key]
    page.goto(srv.page_url(app_server, info, "year=2024"))
    waits.wait_ready(page, info.title)
    srv.wait_settled(page)
    shapes = set(page.evaluate(SHAPES))
    # every non-empty pattern of the palette is used by some bar, so no two series differ by colour alone
    expected = {p for p in patterns.values() if p}
    assert expected <= shapes, f"patterns drawn {sorted(shapes)}, palette {sorted(expected)}"
    assert page.evaluate(PATTERNS) > 0, "no SVG fill pattern in the page's charts"
    srv.screenshot_full(page, shots_dir / name)
