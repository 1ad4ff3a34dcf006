"""The page registry: every page of the app as plain data (file, title, URL path, icon, navigation section, the
permission it needs).

Who may open a page is not a second table: each page names one permission of dashboard.core.accounts.PERMISSIONS
(the table the writing functions check), and an account sees a page exactly when it has that permission — so a
department-limited staff account, which may not import, never sees the upload page.

dashboard/app.py builds Streamlit's navigation from it; the benchmark and the browser tests import it to
visit every page. No Streamlit here, so anything can read the list without starting the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.core.accounts import Actor

# pages/ sits beside dashboard/ in the repository and in an installed wheel (pyproject.toml packages both);
# not looked up by import name: under pytest the name `pages` is the tests/pages package
PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"


@dataclass(frozen=True)
class Page:
    key: str
    file: str  # under pages/
    title: str
    url_path: str
    icon: str
    section: str  # navigation group; "" = the ungrouped first group
    default: bool = False  # the page served at "/"
    permission: str = "read"  # what an account needs to open it (dashboard.core.accounts.PERMISSIONS)
    filtered: bool = True  # False: the sidebar's 年度/部门/资金来源 do not act on this page (the sidebar says so)

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file

    @property
    def route(self) -> str:
        """The path the app serves this page at: the default page lives at "/"."""
        return "" if self.default else self.url_path


# the navigation shows the sections in this order, and the pages of a section in list order
SECTIONS = ("", "专题", "查询与数据", "管理")

PAGES: tuple[Page, ...] = (
    Page("overview", "overview.py", "总览", "overview", ":material/dashboard:", "", default=True),
    Page("ranking", "ranking.py", "部门排名", "ranking", ":material/leaderboard:", ""),
    Page("department", "department.py", "部门画像", "department", ":material/apartment:", ""),
    Page("coverage", "coverage.py", "资金覆盖", "coverage", ":material/pie_chart:", "专题"),
    Page("monitoring", "monitoring.py", "监控预警", "monitoring", ":material/traffic:", "专题"),
    Page("evaluation", "evaluation.py", "评价结果", "evaluation", ":material/grading:", "专题"),
    Page("applications", "applications.py", "结果应用", "applications", ":material/fact_check:", "专题"),
    Page("rectification", "rectification.py", "整改进度", "rectification", ":material/task_alt:", "专题"),
    Page("targets", "targets.py", "目标质量", "targets", ":material/rule:", "专题"),
    Page("inquiries", "inquiries.py", "询问台账", "inquiries", ":material/forum:", "专题"),
    Page("screen", "screen.py", "大屏展示", "screen", ":material/tv:", "专题"),
    Page("projects", "projects.py", "项目查询", "projects", ":material/search:", "查询与数据"),
    Page("rounds", "rounds.py", "报送情况", "rounds", ":material/checklist:", "查询与数据", permission="rounds"),
    Page("upload", "upload.py", "数据上传", "upload", ":material/upload_file:", "查询与数据", permission="import",
         filtered=False),
    Page("audit", "audit.py", "操作日志", "audit", ":material/history:", "管理", permission="audit",
         filtered=False),
    Page("users", "users.py", "账号管理", "users", ":material/manage_accounts:", "管理", permission="users",
         filtered=False),
)

BY_KEY: dict[str, Page] = {p.key: p for p in PAGES}
BY_URL: dict[str, Page] = {p.route: p for p in PAGES}  # nav.url_path ("" for the default page) → page


def default_page() -> Page:
    return next(p for p in PAGES if p.default)


def may_open(actor: Actor | None, page: Page) -> bool:
    """Whether the account may open the page: it has the page's permission (accounts.Actor.may)."""
    return actor is not None and actor.may(page.permission)


def sections(actor: Actor | None = None, *, every: bool = False) -> dict[str, list[Page]]:
    """Section title → its pages, in navigation order: the pages `actor` may open (and only the sections that
    keep some); `every=True` lists every page."""
    out = {s: [p for p in PAGES if p.section == s and (every or may_open(actor, p))] for s in SECTIONS}
    return {s: ps for s, ps in out.items() if ps or every}
