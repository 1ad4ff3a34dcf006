"""KPI cards: a value, its change against the previous year, and the definition in the help tooltip."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import deltas

CARD_WIDTH = 158  # px: five to a row on a 1366-px laptop, two to a row on a phone


def card(label: str, value: str, delta: str | None = None, help: str | None = None,
         inverse: bool = False, container=None, width="stretch") -> None:
    """One bordered st.metric. inverse=True for figures where up is bad (red lights, overdue)."""
    target = container or st
    color, arrow = ("inverse" if inverse else "normal"), "auto"
    if deltas.is_flat(delta):  # no arrow and no colour for "no change"
        delta, color, arrow = deltas.FLAT, "off", "off"
    target.metric(label, value, delta=delta, help=help, border=True, delta_color=color, delta_arrow=arrow,
                  width=width)


def row(cards: list[dict]) -> None:
    """Cards of one width in a wrapping row: as many as fit per line, two abreast even on a phone."""
    with st.container(horizontal=True, wrap=True, gap="small"):
        for spec in cards:
            card(width=CARD_WIDTH, **spec)
