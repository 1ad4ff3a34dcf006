"""The page-specific parts of the URL (?dept=, ?project=): read into a widget's state, written back when it changes.

The global filters are bound to the URL by Streamlit itself (bind="query-params"); these two are not,
because they take a name or code as well as an id (?dept=区教育局) and must survive our own write-back.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from urllib.parse import urlencode

import streamlit as st

from dashboard.ui import data


class UrlChoice:
    """A selectbox whose choice is also the query parameter `param`, so the page's address can be shared.

    Call `follow()` before drawing the selectbox with key=`key`, and `publish(value)` after it.
    """

    def __init__(self, param: str, key: str):
        self.param, self.key = param, key
        self._seen = f"_{param}_param_seen"  # the URL value last taken in, or last written by us

    def follow(self, options: Sequence[Hashable], resolve: Callable[[str], Hashable | None],
               default: Hashable | None) -> str | None:
        """Put the URL's choice into the widget's state; returns the URL text when it names no option.

        A new deep link (not our own write-back), or a return to the page, picks from the URL; a
        choice that is not (or no longer) among `options` falls back to `default`.
        """
        param = st.query_params.get(self.param)
        unknown = None
        if param != st.session_state.get(self._seen) or self.key not in st.session_state:
            st.session_state[self._seen] = param
            # no name or code is longer than MAX_PARAM: a longer value names nothing and is not looked up
            picked = resolve(param) if param and len(param) <= MAX_PARAM else None
            if picked is not None:
                st.session_state[self.key] = picked
            elif param:
                unknown = shown(param)
        if st.session_state.get(self.key) not in options:
            st.session_state[self.key] = default
        return unknown

    def publish(self, value) -> None:
        """Keep the URL naming the value shown (and remember it was us, so the next run doesn't re-read it)."""
        if st.query_params.get(self.param) != str(value):
            st.query_params[self.param] = str(value)
            st.session_state[self._seen] = str(value)


MAX_PARAM = 200  # characters of a name or code a link may carry
SHOWN_PARAM = 100  # characters of an unknown link value repeated back on the page


def shown(value: str) -> str:
    """A value from the URL as the page may repeat it: at most SHOWN_PARAM characters, then "…" (a link is
    anyone's text; the page never echoes more of it than a name needs)."""
    return value if len(value) <= SHOWN_PARAM else value[:SHOWN_PARAM] + "…"


def department_from_text(ctx, text: str) -> int | None:
    """?dept= as a department id, code or name; None when it names none of the departments."""
    names = dict(ctx.departments)
    try:
        if int(text) in names:
            return int(text)
    except ValueError:
        pass
    try:
        return data.resolve_department(ctx, str(text))
    except Exception:  # noqa: BLE001 - an unreadable parameter is the same as an unknown one
        return None


MAX_ID = 2**63 - 1  # database ids are 64-bit: a longer number names nothing


def int_param(param: str) -> int | None:
    """A query parameter holding an id (?project=12), or None when absent or not a number.

    A number no id can have (0, or beyond 64 bits, e.g. 400 digits) is -1: the page says 未找到.
    """
    value = (st.query_params.get(param) or "").strip()
    if not value.isdecimal() or not value.isascii():
        return None
    if len(value) > 19 or not 0 < int(value) <= MAX_ID:
        return -1
    return int(value)


def project_param(ctx) -> int | None:
    """?project= as a project: its id (?project=12, as the app writes it) or its 项目编码 (?project=JY-01, as staff
    copy it from a table; the scope year's project with that code, else the latest year's). None when absent, -1
    when it names no project (the page says 未找到)."""
    raw = (st.query_params.get("project") or "").strip()
    if not raw:
        return None
    number = int_param("project")
    if number is not None and number > 0 and data.project_card(ctx, number):
        return number
    try:
        found = data.resolve_project(ctx, raw[:60])
    except Exception:  # noqa: BLE001 - an unreadable parameter is the same as an unknown one
        found = None
    return int(found) if found is not None else -1


PROJECTS_PATH = "projects"  # the 项目查询 page's url_path (dashboard/registry.py; a test keeps the two equal)


def project_href(code, project_id, year: int) -> str:
    """A link to a project's card on 项目查询, relative to the app (so it works under any base path):
    ?project=<项目编码> with the list's year (the code names one project a year), the id when it has no code."""
    key = str(code).strip() if isinstance(code, str) and code.strip() else str(int(project_id))
    return f"{PROJECTS_PATH}?{urlencode({'project': key, 'year': int(year)})}"


def open_id(param: str, value: int) -> None:
    """Name an id in the URL and rerun, so the page draws the item (and the address can be shared)."""
    st.query_params[param] = str(int(value))
    st.rerun()


def close(param: str) -> None:
    """Drop a parameter from the URL and rerun; call it from the script body, not a callback, or the
    browser's URL overwrites the change."""
    del st.query_params[param]
    st.rerun()
