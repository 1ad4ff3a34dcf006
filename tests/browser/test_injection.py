"""Names that carry Markdown, HTML, LaTeX and link/image syntax are shown as text on every page, and no request
leaves the machine: the data and a crafted share link cannot put a link, an image, bold text or a formula into
the app. The rows come from tests/browser/hostile.py; the walk over every page with the hostile department chosen
is tests/browser/test_chinese.py's administrator walk (one visit per page checks English, axe and these names).
Here: the department page, a crafted share link, the project search and the project card."""

from __future__ import annotations

import os
import urllib.parse

import pytest

from bench import server as srv
from dashboard.registry import BY_KEY
from tests.browser import hostile, waits
from tests.browser.conftest import OFFICE_PASSWORD

_problem = srv.chromium_problem()
if _problem and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {_problem}", allow_module_level=True)

from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_hostile_names_render_as_text_everywhere(office_server, browser):
    base, dept, project = office_server
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(60_000)
    outside = hostile.outside_requests(context)
    pg = context.new_page()
    seen_names = 0
    try:
        pg.goto(base)
        srv.wait_ready(pg)
        pg.get_by_role("textbox", name="用户名").fill("deputy1")
        password = pg.get_by_role("textbox", name="密码")
        password.fill(OFFICE_PASSWORD)
        password.press("Enter")
        expect(pg.get_by_role("button", name="退出登录")).to_be_visible()
        visits = [("department", f"year=2024&dept={dept}"),
                  ("department", "dept=" + urllib.parse.quote(hostile.CRAFTED_DEPT)),  # a crafted share link
                  ("projects", "year=2024&q=" + urllib.parse.quote("粗体")),
                  ("projects", f"project={project}")]
        for key, query in visits:
            pg.goto(srv.page_url(base, BY_KEY[key], query))
            waits.wait_ready(pg)
            seen_names += hostile.assert_as_text(pg, f"{key}?{query}")
        # a chart's 图表数据 table is drawn once its expander is opened: the names in its cells are text too (the
        # department chosen by its name, so that its row is in the tables)
        query = "year=2024&departments=" + urllib.parse.quote(hostile.DEPARTMENT)
        pg.goto(srv.page_url(base, BY_KEY["coverage"], query))
        waits.wait_ready(pg)
        boxes = pg.locator("[data-testid='stExpander'] summary", has_text="图表数据")
        assert boxes.count() >= 1
        for i in range(boxes.count()):
            boxes.nth(i).click()
            waits.wait_ready(pg)
        expect(pg.locator("[data-testid='stTable']", has_text="粗体部门").first).to_be_visible()
        seen_names += hostile.assert_as_text(pg, "coverage, 图表数据 opened")
        # the crafted link's text itself is shown literally in the warning
        pg.goto(srv.page_url(base, BY_KEY["department"], "dept=" + urllib.parse.quote(hostile.CRAFTED_DEPT)))
        waits.wait_ready(pg)
        warning = pg.locator("[data-testid='stAlert']", has_text="不存在").first.inner_text()
        assert f"「{hostile.CRAFTED_DEPT}」不存在" in warning.replace("\u200b", "")  # zero-width spaces stop autolinks
        # the project card's title is the literal name
        pg.goto(srv.page_url(base, BY_KEY["projects"], f"project={project}"))
        waits.wait_ready(pg)
        assert pg.locator("h1").first.inner_text().replace("\u200b", "").strip() == f"{hostile.PROJECT}0"
    finally:
        context.close()
    assert seen_names > 0, "the hostile names were never on screen: the test would prove nothing"
    assert sorted(set(outside)) == []
