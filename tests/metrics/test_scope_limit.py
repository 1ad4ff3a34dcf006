"""A department limit on the scope (dashboard.metrics.query.Scope.limit): every figure and list is clamped to it,
rankings keep the position among all departments without the others' rows, project cards outside it are hidden."""

from __future__ import annotations

import dataclasses

import pytest

from dashboard import metrics
from dashboard.core.rules import DEFAULT_RULES
from tests import small_fixture as fx


@pytest.fixture
def fixture(db_url):
    return db_url, fx.build(db_url)


def _q(url, **scope):
    return metrics.Query(url, metrics.prepare(url), metrics.Scope(year=2022, **scope), DEFAULT_RULES, fx.TODAY)


def test_the_limit_clamps_whatever_departments_are_asked(fixture):
    url, ids = fixture
    d1, d2, d3 = ids["D1"], ids["D2"], ids["D3"]
    s = metrics.Scope(year=2022, limit=(d1,))
    assert s.departments == (d1,)
    assert metrics.Scope(year=2022, departments=(d2, d3), limit=(d1,)).departments == (d1,)
    assert metrics.Scope(year=2022, departments=(d1, d2), limit=(d1, d3)).departments == (d1,)
    assert dataclasses.replace(s, departments=()).departments == (d1,)
    assert _q(url, limit=(d1,)).scoped(departments=(d2,)).scope.departments == (d1,)


def test_limited_figures_equal_the_department_s_own(fixture):
    url, ids = fixture
    limited = metrics.kpis(_q(url, limit=(ids["D1"],)))
    own = metrics.kpis(_q(url, departments=(ids["D1"],)))
    assert limited == own
    # P1 + P2 (initial 50) + P3 = 350 万元 of 2022 in 青山区教育局
    assert limited["projects"]["budget_total"] == pytest.approx(350.0) and limited["projects"]["projects"] == 3


def test_ranking_shows_the_own_position_among_all_without_the_others(fixture):
    url, ids = fixture
    full = metrics.department_ranking(_q(url))
    mine = metrics.department_ranking(_q(url, limit=(ids["D2"],)))
    assert list(mine["department_id"]) == [ids["D2"]]
    assert mine.attrs["ranked"] == int(full["composite"].notna().sum()) == 3
    assert int(mine["rank"].iloc[0]) == int(full.loc[full["department_id"] == ids["D2"], "rank"].iloc[0])
    assert set(mine["department"]) == {"青山区卫生健康委员会"}


def test_a_project_card_outside_the_limit_is_none(fixture):
    url, ids = fixture
    assert metrics.project_card(_q(url, limit=(ids["D1"],)), ids["P4"]) is None
    assert metrics.project_card(_q(url, limit=(ids["D2"],)), ids["P4"])["project"]["name"] == "基本公共卫生服务"
