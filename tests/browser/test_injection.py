"""Names that carry Markdown, HTML, LaTeX and link/image syntax are shown as text on every page, and no request
leaves the machine: the data and a crafted share link cannot put a link, an image, bold text or a formula into
the app."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import text

from bench import server as srv
from dashboard.core import db
from dashboard.registry import BY_KEY, PAGES
from tests.browser import waits
from tests.browser.conftest import copy_db

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parents[2]
EVIL = "evil.example"
DEPARTMENT = f"**粗体部门** [点我](https://{EVIL}/a) <b>加粗</b>"
UNIT = f"{DEPARTMENT}本级"
PROJECT = f"![](https://{EVIL}/t.png) :red[红字] $$x^2$$ _斜体_ 项目"
CRAFTED_DEPT = f"[点我](https://{EVIL}/share)![](https://{EVIL}/track.png)"


@pytest.fixture(scope="module")
def hostile_db(db_url, tmp_path_factory) -> tuple[str, int, int]:
    """A copy of the county demo plus one department and project whose names are hostile: (url, department id,
    project id)."""
    tmp = tmp_path_factory.mktemp("injection")
    url = copy_db(db_url, tmp / "hostile.db")
    run = [sys.executable, "-m", "dashboard", "--db", url]
    path = tmp / "hostile.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(["年度", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "是否设定绩效目标"])
        for i in range(6):
            out.writerow([2024, DEPARTMENT, UNIT, f"EVIL-{i}", f"{PROJECT}{i}", 100 + i, "是"])
    done = subprocess.run([*run, "import", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    with db.get_engine(url).connect() as conn:
        dept = conn.execute(text("SELECT id FROM departments WHERE name = :n"), {"n": DEPARTMENT}).scalar_one()
        project = conn.execute(text("SELECT id FROM projects WHERE code = 'EVIL-0'")).scalar_one()
    return url, dept, project


@pytest.fixture(scope="module")
def hostile_server(hostile_db, tmp_path_factory):
    server = srv.start_server(hostile_db[0], tmp_path_factory.mktemp("srv") / "server.log",
                              extra_env={"DASHBOARD_TODAY": "2025-06-30",
                                         "DASHBOARD_SETTINGS": os.devnull + ".none"})
    try:
        yield server.base_url
    finally:
        server.stop()


def _visits(dept: int, project: int) -> list[tuple[str, str]]:
    year = "year=2024"
    pages = [(p.key, f"{year}&departments={dept}") for p in PAGES if p.key not in ("department", "projects")]
    return pages + [
        ("department", f"{year}&dept={dept}"),
        ("department", "dept=" + urllib.parse.quote(CRAFTED_DEPT)),  # a crafted share link
        ("projects", f"{year}&q=" + urllib.parse.quote("粗体")),
        ("projects", f"project={project}"),
    ]


def test_hostile_names_render_as_text_everywhere(hostile_db, hostile_server, browser):
    _url, dept, project = hostile_db
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(60_000)
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url)
               if urllib.parse.urlsplit(r.url).hostname not in ("127.0.0.1", "localhost", None) else None)
    pg = context.new_page()
    seen_names = 0
    try:
        for key, query in _visits(dept, project):
            page = BY_KEY[key]
            pg.goto(srv.page_url(hostile_server, page, query))
            waits.wait_ready(pg)
            where = f"{key}?{query}"
            assert pg.locator(f"a[href*='{EVIL}']").count() == 0, where
            assert pg.locator(f"img[src*='{EVIL}']").count() == 0, where
            assert pg.locator(".katex, .katex-display").count() == 0, where
            for tag in ("strong", "b", "em"):
                for inner in pg.locator(tag).all_inner_texts():
                    assert not any(w in inner for w in ("粗体部门", "加粗", "斜体")), (where, tag, inner)
            body = pg.locator("body").inner_text()
            assert "Traceback" not in body and "Error" not in body, where
            seen_names += body.count("粗体部门") + body.count("红字")
        # the crafted link's text itself is shown literally in the warning
        pg.goto(srv.page_url(hostile_server, BY_KEY["department"], "dept=" + urllib.parse.quote(CRAFTED_DEPT)))
        waits.wait_ready(pg)
        warning = pg.locator("[data-testid='stAlert']", has_text="不存在").first.inner_text()
        assert f"「{CRAFTED_DEPT}」不存在" in warning.replace("\u200b", "")  # zero-width spaces stop autolinks
        # the project card's title is the literal name
        pg.goto(srv.page_url(hostile_server, BY_KEY["projects"], f"project={project}"))
        waits.wait_ready(pg)
        assert pg.locator("h1").first.inner_text().replace("\u200b", "").strip() == f"{PROJECT}0"
    finally:
        context.close()
    assert seen_names > 0, "the hostile names were never on screen: the test would prove nothing"
    assert sorted(set(outside)) == []
