"""KPI cards: a value, its change against the previous year, and the definition in the help tooltip."""

from __future__ import annotations

import re

import streamlit as st

_ZERO = re.compile(r"^[+-]?0(?:\.0+)?(?:\D|$)")


def card(label: str, value: str, delta: str | None = None, help: str | None = None,
         inverse: bool = False, container=None) -> None:
    """One bordered st.metric. inverse=True for figures where up is bad (red lights, overdue)."""
    target = container or st
    color, arrow = ("inverse" if inverse else "normal"), "auto"
    if delta is not None and _ZERO.match(delta):
        delta, color, arrow = "持平", "off", "off"
    target.metric(label, value, delta=delta, help=help, border=True, delta_color=color, delta_arrow=arrow)


def row(cards: list[dict], per_row: int = 4) -> None:
    """Cards in rows of `per_row` columns (stack on a phone)."""
    for start in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, spec in zip(cols, cards[start:start + per_row]):
            card(container=col, **spec)
