"""Every page under sampled combinations of 年度 × 部门 × 资金来源, and the overview's headline figures against
`dashboard.metrics.summary.summary` (the command line's figures) for the same scope.

18 combinations (2 years × 3 department choices × 3 fund choices); each page gets 6 of them, rotating so every
combination is rendered on three pages and every page sees both years, every department choice and every fund.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from dashboard import registry
from dashboard.core.settings import Rules
from dashboard.metrics.summary import summary
from tests.pages import fixture_db
from tests.pages.apptest import make_app, metrics

YEARS = ("2024", "2023")
DEPTS = ((), ("区教育局",), ("区教育局", "区农业农村局"))
FUNDS = (None, "一般公共预算", "政府性基金预算")
COMBOS = list(itertools.product(YEARS, DEPTS, FUNDS))
CASES = [(page.key, *combo) for i, page in enumerate(registry.PAGES)
         for j, combo in enumerate(COMBOS) if (i + j) % 3 == 0]
TODAY = dt.date.fromisoformat(fixture_db.TODAY)


def _query(year, depts, fund) -> dict:
    q = {"year": year}
    if depts:
        q["departments"] = list(depts)
    if fund:
        q["fund"] = fund
    return q


def _clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not [w.value for w in at.warning if "暂时无法显示" in w.value or "建设中" in w.value]
    assert not [i.value for i in at.info if "建设中" in i.value]


@pytest.mark.parametrize(("page", "year", "depts", "fund"), CASES,
                         ids=[f"{p}-{y}-{len(d)}dept-{f or 'all'}" for p, y, d, f in CASES])
def test_every_page_renders_under_the_filters(app, page, year, depts, fund):
    at = app(None if page == "overview" else page, query=_query(year, depts, fund))
    _clean(at)


def _money(wan: float) -> tuple[str, str]:
    return (f"{wan / 10000:,.2f}", "亿元") if abs(wan) >= 10000 else (f"{wan:,.2f}", "万元")


def _pct(x) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("dept", [None, "区教育局", "区卫健委", "区农业农村局"])
def test_overview_headline_matches_the_summary(app_env, year, dept):
    at = make_app(query=_query(year, (dept,) if dept else (), None))
    _clean(at)
    s = summary(app_env, int(year), dept, TODAY, Rules())
    m = metrics(at)
    if not s["projects"] and not s["evaluations"]["count"] and not s["findings"]["total"]:
        assert not m
        return
    value, unit = _money(s["budget_total"])
    assert m[f"预算（{unit}）"][0] == value
    assert m["绩效目标覆盖率"][0] == _pct(s["target_coverage"]["by_funds"])
    assert m["红灯项目"][0] == str(s["monitoring"]["red"])
    assert m["整改率"][0] == _pct(s["findings"]["rate"])
    assert m["逾期未整改"][0] == str(s["findings"]["overdue"])


def test_two_departments_add_up(app_env):
    at = make_app(query=_query("2024", ("区教育局", "区农业农村局"), None))
    parts = [summary(app_env, 2024, d, TODAY, Rules()) for d in ("区教育局", "区农业农村局")]
    value, unit = _money(sum(p["budget_total"] for p in parts))
    m = metrics(at)
    assert m[f"预算（{unit}）"][0] == value == "1.56"  # 1,700 + 13,900 万元
    assert m["红灯项目"][0] == str(sum(p["monitoring"]["red"] for p in parts)) == "3"
    assert m["逾期未整改"][0] == str(sum(p["findings"]["overdue"] for p in parts)) == "3"
