"""KPI cards: a value, its change against the previous year, and the definition in the help tooltip."""

from __future__ import annotations

import re

import streamlit as st

_ZERO = re.compile(r"^[+-]?0(?:\.0+)?(?:\D|$)")


def card(label: str, value: str, delta: str | None = None, help: str | None = None,
         inverse: bool = False, container=None, width="stretch") -> None:
    """One bordered st.metric. inverse=True for figures where up is bad (red lights, overdue)."""
    target = container or st
    color, arrow = ("inverse" if inverse else "normal"), "auto"
    if delta is not None and _ZERO.match(delta):
        delta, color, arrow = "持平", "off", "off"
    target.metric(label, value, delta=delta, help=help, border=True, delta_color=color, delta_arrow=arrow,
                  width=width)


CARD_WIDTH = 158  # px: five to a row on a 1366-px laptop, two to a row on a phone


def row(cards: list[dict], per_row: int = 4) -> None:
    """Cards of one width in a wrapping row: as many as fit per line, two abreast even on a phone."""
    del per_row  # the wrapping container decides
    with st.container(horizontal=True, wrap=True, gap="small"):
        for spec in cards:
            card(width=CARD_WIDTH, **spec)
