"""Names that carry Markdown, HTML, LaTeX and link/image syntax (tests/browser/test_injection.py): the rows that put
them into a copy of the county demo, and the check that a page shows them as text. The office server of
tests/browser/conftest.py carries these rows, so the walk over every page that checks for English
(tests/browser/test_chinese.py) checks them on every page too."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from dashboard.core import db

ROOT = Path(__file__).resolve().parents[2]
EVIL = "evil.example"
DEPARTMENT = f"**粗体部门** [点我](https://{EVIL}/a) <b>加粗</b>"
UNIT = f"{DEPARTMENT}本级"
PROJECT = f"![](https://{EVIL}/t.png) :red[红字] $$x^2$$ _斜体_ 项目"
CRAFTED_DEPT = f"[点我](https://{EVIL}/share)![](https://{EVIL}/track.png)"


def add_hostile_rows(url: str, tmp: Path) -> tuple[int, int]:
    """Import one department and six projects with hostile names (through the command line, as staff would);
    returns (department id, id of project EVIL-0)."""
    path = tmp / "hostile.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(["年度", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "是否设定绩效目标"])
        for i in range(6):
            out.writerow([2024, DEPARTMENT, UNIT, f"EVIL-{i}", f"{PROJECT}{i}", 100 + i, "是"])
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", url, "import", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    with db.get_engine(url).connect() as conn:
        dept = conn.execute(text("SELECT id FROM departments WHERE name = :n"), {"n": DEPARTMENT}).scalar_one()
        project = conn.execute(text("SELECT id FROM projects WHERE code = 'EVIL-0'")).scalar_one()
    return dept, project


_OUTSIDE = """(evil) => Array.from(document.querySelectorAll('a[href], img[src]'))
  .map(e => { try { return new URL(e.href || e.src, location.href).hostname; } catch (err) { return ''; } })
  .filter(h => h === evil || h.endsWith('.' + evil))"""


def assert_as_text(pg, where: str) -> int:
    """No link, image or formula from the names, no bold/italic name, no traceback; returns how many times a
    hostile name is on screen (a walk that never saw one would prove nothing)."""
    # a link or image pointing at the outside host (the app's own links may carry the name, encoded, in a query)
    assert pg.evaluate(_OUTSIDE, EVIL) == [], where
    assert pg.locator(".katex, .katex-display").count() == 0, where
    for tag in ("strong", "b", "em"):
        for inner in pg.locator(tag).all_inner_texts():
            assert not any(w in inner for w in ("粗体部门", "加粗", "斜体")), (where, tag, inner)
    body = pg.locator("body").inner_text()
    assert "Traceback" not in body and "Error" not in body, where
    return body.count("粗体部门") + body.count("红字")


def outside_requests(context) -> list[str]:
    """Collects every request of the browser context to a host other than this machine."""
    import urllib.parse

    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url)
               if urllib.parse.urlsplit(r.url).hostname not in ("127.0.0.1", "localhost", None) else None)
    return outside
