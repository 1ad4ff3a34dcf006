"""The one palette of the dashboard, on screen (dashboard.ui.charts, Plotly) and on paper (dashboard.documents.charts,
matplotlib): 优 is the same green in the app and in the brief.

Colours are hex strings both libraries read. Grades and lights share their meaning: 优 and the green light are one
green, 中 and the yellow light one amber, 差 and the red light one red; 良 is blue, so that 优 and 良 stay apart.
"""

from __future__ import annotations

from dashboard.core.vocab import FINDING_STATUSES, GRADES, GREEN, GREY, RED, YELLOW

_GREEN = "#2e7d32"
_BLUE = "#1565c0"
_AMBER = "#f9a825"
_RED = "#c62828"
_GREY = "#9e9e9e"

GRADE_COLORS: dict[str, str] = dict(zip(GRADES, (_GREEN, _BLUE, _AMBER, _RED)))  # 优 良 中 差
LIGHT_COLORS: dict[str, str] = {RED: _RED, YELLOW: _AMBER, GREEN: _GREEN, GREY: _GREY}
STATUS_COLORS: dict[str, str] = dict(zip(FINDING_STATUSES, (_RED, _AMBER, _GREEN)))  # 未整改 整改中 已整改
PRIMARY = "#1f4e79"  # a series of its own (budgets, trends, composite scores)
MUTED = _GREY  # de-emphasised: a department with too few projects, a zero line
GRID = "#eeeeee"
# overdue ageing buckets, mildest first (up to five buckets)
AGE_SHADES: tuple[str, ...] = (_AMBER, "#ef6c00", "#d84315", "#b71c1c", "#7f0000")
