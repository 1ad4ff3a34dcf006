"""The app on a 390-px phone: the page navigation one tap away, KPI values never clipped, and the department
page's sidebar saying that the page picks its own department.

On a narrow screen Streamlit moves the top navigation into the sidebar, which the button at the top left opens:
one tap shows every page of the navigation.
"""

from __future__ import annotations

import os

import pytest

from bench import server as srv
from dashboard.registry import BY_KEY, PAGES
from tests.browser import waits

_problem = srv.chromium_problem()
if _problem and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {_problem}", allow_module_level=True)

from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CLIPPED = """() => Array.from(document.querySelectorAll("[data-testid='stMetricValue']"))
  .map(e => { const t = e.querySelector('div, p') || e; return {text: e.innerText.trim(),
    clipped: t.scrollWidth > t.clientWidth + 1 || e.scrollWidth > e.clientWidth + 1}; })"""


def _goto(pg, base: str, key: str, query: str = "") -> None:
    info = BY_KEY[key]
    pg.goto(srv.page_url(base, info, query))
    waits.wait_ready(pg, info.title)


def _in_view(pg, locator) -> bool:
    box = locator.bounding_box()
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= srv.PHONE["width"] + 1 and box["y"] >= 0 \
        and box["y"] + box["height"] <= srv.PHONE["height"]


def test_navigation_is_one_tap_away(app_server, phone):
    _goto(phone, app_server, "overview")
    links = phone.locator("[data-testid='stSidebarNavLink'], [data-testid='stTopNavLink']")
    visible = [links.nth(i) for i in range(links.count()) if _in_view(phone, links.nth(i))]
    if len(visible) < len(PAGES):  # collapsed: exactly one tap on the menu button opens it
        phone.locator("[data-testid='stExpandSidebarButton']").tap()
        expect(phone.locator("[data-testid='stSidebarNav']")).to_be_visible()
        phone.wait_for_function("() => { const r = document.querySelector(\"[data-testid='stSidebarNav']\")"
                                ".getBoundingClientRect(); return r.x >= 0 && r.width > 100; }")
    for p in PAGES:
        link = phone.locator("[data-testid='stSidebarNav'] a, [data-testid='stTopNav'] a").filter(has_text=p.title)
        assert _in_view(phone, link.first), f"{p.title} is not on screen after one tap"
    phone.locator("[data-testid='stSidebarNav'] a").filter(has_text=BY_KEY["ranking"].title).first.tap()
    waits.wait_ready(phone, BY_KEY["ranking"].title)


@pytest.mark.parametrize("key", ["overview", "department", "rectification"])
def test_kpi_values_are_not_clipped(app_server, phone, key):
    _goto(phone, app_server, key)
    expect(phone.locator("[data-testid='stMetricValue']").first).to_be_visible()
    values = phone.evaluate(CLIPPED)
    assert values and not [v for v in values if v["clipped"]], values
    width = phone.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollWidth")
    assert width <= srv.PHONE["width"], f"the page scrolls sideways ({width} px)"


def test_department_page_sidebar_says_the_page_picks_the_department(app_server, phone):
    _goto(phone, app_server, "department")
    phone.locator("[data-testid='stExpandSidebarButton']").tap()
    sidebar = phone.locator("[data-testid='stSidebar']")
    expect(sidebar).to_contain_text("请在页面上的「主管部门」中选择")
    assert "全部主管部门" not in sidebar.locator("[data-testid='stMultiSelect']").inner_text()
