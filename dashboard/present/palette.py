"""The one palette of the dashboard, on screen (dashboard.ui.charts, Plotly) and on paper (dashboard.documents.charts,
matplotlib): 优 is the same green in the app and in the brief.

Colours are hex strings both libraries read. Grades and lights share their meaning: 优 and the green light are one
green, 中 and the yellow light one amber, 差 and the red light one red; 良 is blue, so that 优 and 良 stay apart.
"""

from __future__ import annotations

from dashboard.core.vocab import FINDING_STATUSES, GRADES, GREEN, GREY, RED, YELLOW

_GREEN = "#2e7d32"
_BLUE = "#1565c0"
_AMBER = "#c98200"  # ≥ 3:1 on white (WCAG 1.4.11 for graphics); the brighter #f9a825 was 1.97:1
_RED = "#c62828"
_GREY = "#8a8a8a"  # 3.45:1 on white (#9e9e9e was 2.68:1)

GRADE_COLORS: dict[str, str] = dict(zip(GRADES, (_GREEN, _BLUE, _AMBER, _RED)))  # 优 良 中 差
LIGHT_COLORS: dict[str, str] = {RED: _RED, YELLOW: _AMBER, GREEN: _GREEN, GREY: _GREY}
STATUS_COLORS: dict[str, str] = dict(zip(FINDING_STATUSES, (_RED, _AMBER, _GREEN)))  # 未整改 整改中 已整改
# meaning never by colour alone (GB/T 37668, 适老化): each light, grade and status also has its own pattern (Plotly
# marker.pattern.shape / matplotlib hatch: "x" cross, "/" slant, "." dots, "" plain) and, for points, its own symbol —
# in print and for colour-blind readers red and green bars differ by pattern as well as by the legend's words
PATTERN_INK = "#ffffff"  # the pattern's lines, drawn over the bar's own colour
LIGHT_PATTERNS: dict[str, str] = {RED: "x", YELLOW: "/", GREEN: "", GREY: "."}
LIGHT_SYMBOLS: dict[str, str] = {RED: "x", YELLOW: "diamond", GREEN: "circle", GREY: "square"}
GRADE_PATTERNS: dict[str, str] = dict(zip(GRADES, ("", ".", "/", "x")))  # 优 良 中 差
STATUS_PATTERNS: dict[str, str] = dict(zip(FINDING_STATUSES, ("x", "/", "")))  # 未整改 整改中 已整改
PRIMARY = "#1f4e79"  # a series of its own (budgets, trends, composite scores)
MUTED = _GREY  # de-emphasised: a department with too few projects, a zero line
GRID = "#eeeeee"
# overdue ageing buckets, mildest first (up to five buckets)
AGE_SHADES: tuple[str, ...] = (_AMBER, "#ef6c00", "#d84315", "#b71c1c", "#7f0000")
