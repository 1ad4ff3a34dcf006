"""Pure helpers of the benchmark's report: percentiles, ratios, verdicts and the county → city → province table.

No timing and no I/O here, so tests/bench/test_bench_report.py checks them by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def failure(exc: BaseException) -> str:
    """How a measurement that raised is reported: its class and message, bounded, so the other figures go on."""
    return f"{exc.__class__.__name__}: {exc}"[:2000]


def p95(values: Iterable[float]) -> float | None:
    """The 95th percentile by nearest rank: the smallest value with at least 95 % of the values at or below it."""
    xs = sorted(float(v) for v in values if v is not None)
    if not xs:
        return None
    return xs[max(0, math.ceil(0.95 * len(xs)) - 1)]


def ratio(part: float | None, base: float | None) -> float | None:
    """part ÷ base, None when either is missing or the base is not positive."""
    if part is None or base is None or base <= 0:
        return None
    return float(part) / float(base)


def best(values: Iterable[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return min(xs) if xs else None


def passes(value: float | None, op: str, target: float) -> bool | None:
    if value is None:
        return None
    return value <= target if op == "<=" else value >= target


def fmt(value, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def growth_table(runs: Sequence[dict], keys: Sequence[str], targets: dict | None = None) -> str:
    """A Markdown table: one row per metric, one column per run (each a dict with "scale", "db" and "metrics"),
    the target in the second column when known."""
    targets = targets or {}
    head = ["metric", "target", *[f"{r['scale']} {r['db']}" for r in runs]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in keys:
        op, target = targets.get(key, ("", None))
        shown = f"{op} {target:g}" if target is not None else ""
        cells = [key, shown, *[fmt(r["metrics"].get(key)) for r in runs]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
