"""Colour is never the only carrier of meaning (issue 27, item 2; GB/T 37668 ≈ WCAG 2.0 AA, 适老化): our colours
stand out from the white page — at least 3:1 for everything drawn (WCAG 1.4.11, graphics), 4.5:1 for the colour
text uses (1.4.3) — and every light, grade and finding status also has a pattern of its own (and, for points, a
symbol), which the charts draw (checked on the figures themselves)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from dashboard.core.vocab import FINDING_STATUSES, GRADES, LIGHTS
from dashboard.present import palette
from dashboard.ui import charts

ROOT = Path(__file__).resolve().parents[1]


def _luminance(hex_colour: str) -> float:
    """WCAG 2.0 relative luminance."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str = "#ffffff") -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_by_hand():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#ffffff") == pytest.approx(1.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the well-known lightest AA grey on white


DRAWN = {**{f"light {k}": v for k, v in palette.LIGHT_COLORS.items()},
         **{f"grade {k}": v for k, v in palette.GRADE_COLORS.items()},
         **{f"status {k}": v for k, v in palette.STATUS_COLORS.items()},
         **{f"age {i}": v for i, v in enumerate(palette.AGE_SHADES)},
         "muted": palette.MUTED}


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_every_drawn_colour_stands_out_from_the_page(name):
    assert contrast(DRAWN[name]) >= 3.0, f"{name} {DRAWN[name]}: {contrast(DRAWN[name]):.2f}:1"


def test_the_text_colour_reads_at_aa():
    assert contrast(palette.PRIMARY) >= 4.5


def test_streamlit_theme_uses_the_palette():
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
    for colour in theme["chartCategoricalColors"]:
        assert contrast(colour) >= 3.0, colour
    assert theme["primaryColor"] == palette.PRIMARY


def test_each_meaning_has_its_own_pattern_and_symbol():
    for family, keys in ((palette.LIGHT_PATTERNS, LIGHTS), (palette.GRADE_PATTERNS, GRADES),
                         (palette.STATUS_PATTERNS, FINDING_STATUSES)):
        assert set(family) == set(keys)
        assert len(set(family.values())) == len(keys), family
    assert len(set(palette.LIGHT_SYMBOLS.values())) == len(LIGHTS)


def test_the_charts_draw_the_patterns():
    df = pd.DataFrame({"department": ["甲局", "乙局"], "red": [2, 0], "yellow": [1, 1], "green": [3, 4],
                       "grey": [0, 1]})
    fig = charts.lights_by_department(df)
    shapes = {t.name: (t.marker.pattern.shape or "") for t in fig.data}
    assert shapes == {"红灯": "x", "黄灯": "/", "绿灯": "", "未报送": "."}
    grades = charts.grade_counts({"优": 3, "良": 2, "中": 1, "差": 1})
    assert list(grades.data[0].marker.pattern.shape) == ["", ".", "/", "x"]


def test_count_axes_are_whole_numbers():
    """Issue 27: ticks 0, 0, 1, 1, 2, 2 and fractional counts on small charts. A count axis steps by whole numbers."""
    small = pd.DataFrame({"department": ["甲局"], "red": [2], "yellow": [0], "green": [1], "grey": [0]})
    x = charts.lights_by_department(small).layout.xaxis
    assert (x.tickformat, x.dtick, x.tick0) == (",d", 1, 0) and x.range[0] == 0 and x.range[1] >= 3
    big = pd.DataFrame({"department": ["甲局"], "red": [40], "yellow": [10], "green": [60], "grey": [0]})
    x = charts.lights_by_department(big).layout.xaxis
    assert x.tickformat == ",d" and x.dtick is None  # Plotly's own whole steps (20, 40, …)
    pct = charts.grade_mix(pd.DataFrame({"department": ["甲局"], "优": [1], "良": [1], "中": [0], "差": [0]}),
                           percent=True).layout.xaxis
    assert list(pct.range) == [0, 100] and pct.tickformat != ",d"
