"""Charts for the documents as PNG bytes, drawn by matplotlib (Agg) with a CJK font: no browser, no download.

matplotlib rather than Plotly + kaleido: kaleido starts Chromium for each document (3.5–4.4 s measured), one
matplotlib chart takes well under a second. The font is docx_kit.chart_font (Noto Sans CJK SC by default); the
colours are the app's (dashboard.present.palette), the figures read as dashboard.present.fmt writes them.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from dashboard.core.vocab import GRADES, GREEN, GREY, LIGHT_LABELS, RED, YELLOW
from dashboard.present import fmt
from dashboard.present.palette import (
    GRADE_COLORS,
    GRADE_PATTERNS,
    LIGHT_COLORS,
    LIGHT_PATTERNS,
    PATTERN_INK,
    PRIMARY,
)

DPI = 150


def _style(font: str) -> dict:
    return {"font.family": [font, "DejaVu Sans"], "font.size": 9, "axes.unicode_minus": False,
            "axes.spines.top": False, "axes.spines.right": False}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _values_only(ax) -> None:
    """No value axis: each point or bar carries its figure (and matplotlib skips laying out ticks)."""
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)


def _bare_score(x: float) -> str:
    return fmt.score(x, unit=False)


def trend(rows: list[dict], font: str) -> bytes:
    """Small multiples over the years: budget (万元), execution rate, average score, rectification rate."""
    panels = [("budget", "预算（万元）", 1.0, fmt.money_short), ("execution_rate", "预算执行率", 100.0, fmt.pct),
              ("avg_score", "评价平均分", 1.0, _bare_score), ("rectification_rate", "整改率", 100.0, fmt.pct)]
    years = [str(r["year"]) for r in rows]
    with plt.rc_context(_style(font)):
        fig, axes = plt.subplots(1, len(panels), figsize=(7.2, 1.9))
        for ax, (key, label, scale, text) in zip(axes, panels):
            raw = [None if fmt.missing(r.get(key)) else float(r[key]) for r in rows]
            xs = [i for i, v in enumerate(raw) if v is not None]
            labels = [text(v) for v in raw if v is not None]
            ys = [v * scale for v in raw if v is not None]
            ax.plot(xs, ys, marker="o", color=PRIMARY, linewidth=1.6)
            for x, y, label_text in zip(xs, ys, labels):
                ax.annotate(label_text, (x, y), textcoords="offset points", xytext=(0, 5), ha="center",
                            fontsize=7)
            ax.set_title(label, fontsize=9)
            ax.set_xticks(range(len(years)), years)
            ax.set_xlim(-0.5, len(years) - 0.5)
            ax.tick_params(labelsize=7)
            _values_only(ax)
            if ys:
                lo, hi = min(ys), max(ys)
                pad = (hi - lo) * 0.3 or abs(hi) * 0.1 or 1
                ax.set_ylim(lo - pad, hi + pad * 1.5)
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.14, top=0.86, wspace=0.45)
        return _png(fig)


def _hatch(bars, shapes: list[str]) -> None:
    """The palette's pattern of each bar as a matplotlib hatch in the pattern ink ("x" → "xx", "/" → "//"): in
    print and for colour-blind readers the bars differ by pattern as well as colour."""
    for bar, shape in zip(bars, shapes):
        if shape:
            bar.set_hatch(shape * 2)
            bar.set_edgecolor(PATTERN_INK)
            bar.set_linewidth(0)


def lights(counts: dict[str, int], font: str) -> bytes:
    """Projects by warning light (red, yellow, green, not reported)."""
    order = [RED, YELLOW, GREEN, GREY]
    with plt.rc_context(_style(font)):
        fig, ax = plt.subplots(figsize=(3.5, 2.3))
        values = [int(counts.get(k, 0)) for k in order]
        bars = ax.bar([LIGHT_LABELS[k] for k in order], values, color=[LIGHT_COLORS[k] for k in order])
        _hatch(bars, [LIGHT_PATTERNS[k] for k in order])
        ax.bar_label(bars, fontsize=8)
        ax.set_title("预警灯（项目数）", fontsize=9)
        _values_only(ax)
        ax.set_ylim(0, max(values + [1]) * 1.2)
        fig.subplots_adjust(left=0.12, right=0.98, bottom=0.12, top=0.88)
        return _png(fig)


def grades(counts: dict[str, int], font: str) -> bytes:
    """Evaluations by grade 优/良/中/差."""
    with plt.rc_context(_style(font)):
        fig, ax = plt.subplots(figsize=(3.5, 2.3))
        values = [int(counts.get(g, 0)) for g in GRADES]
        bars = ax.bar(list(GRADES), values, color=[GRADE_COLORS[g] for g in GRADES])
        _hatch(bars, [GRADE_PATTERNS[g] for g in GRADES])
        ax.bar_label(bars, fontsize=8)
        ax.set_title("评价等级分布（条）", fontsize=9)
        _values_only(ax)
        ax.set_ylim(0, max(values + [1]) * 1.2)
        fig.subplots_adjust(left=0.12, right=0.98, bottom=0.12, top=0.88)
        return _png(fig)


def department_bars(labels: list[str], values: list[float], title: str, font: str,
                    colour: str = LIGHT_COLORS[RED]) -> bytes:
    """A horizontal bar per department (the annual report's worst ones), largest on top."""
    with plt.rc_context(_style(font)):
        fig, ax = plt.subplots(figsize=(7.0, 0.28 * max(len(labels), 3) + 0.8))
        ys = range(len(labels))[::-1]
        bars = ax.barh(list(ys), values, color=colour)
        ax.set_yticks(list(ys), labels, fontsize=8)
        ax.bar_label(bars, fontsize=7, padding=2)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0, max(values + [1]) * 1.15)
        fig.subplots_adjust(left=0.3, right=0.97, bottom=0.08, top=0.92)
        return _png(fig)
