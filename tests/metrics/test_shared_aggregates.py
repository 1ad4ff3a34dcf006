"""Issue 28: a department's figures come from the aggregates of every department (one row per department either way)
instead of a computation of their own; the figures are the same as the department's own computation."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from dashboard import metrics as mx
from dashboard.core.settings import Rules
from dashboard.metrics import aggregates as A
from dashboard.metrics import departments as D
from tests import small_fixture as fx

RULESETS = [Rules(), Rules(warning_preset="checkpoints"), Rules(min_projects=1, weight_not_red=0.0)]


@pytest.fixture
def fixture_db(db_url):
    return db_url, fx.build(db_url)


def _queries(url, ids):
    version = mx.prepare(url)
    depts = [ids["D1"], ids["D2"], ids["D3"], 987654]
    for rules in RULESETS:
        for year in (2020, 2021, 2022):
            for fund in (None, "一般公共预算"):
                for chosen in [(d,) for d in depts] + [(ids["D1"], ids["D3"])]:
                    yield mx.Query(url, version, mx.Scope(year, chosen, fund), rules, fx.TODAY)


def test_department_rows_are_the_departments_own_aggregate(fixture_db):
    url, ids = fixture_db
    for q in _queries(url, ids):
        own = A._dept_projects(q.url, q.version, q.scope, q.rules)  # filtered in SQL, as before
        pd.testing.assert_frame_equal(A.dept_projects(q), own)


def _old_trend_row(q, department_id):
    """composite and rank as department_trend computed them before (the department's own sub-scores)."""
    sub = D._subscores(q)
    return D._scalar(sub["composite"].iloc[0] if len(sub) else None), D.rank_of(q, department_id)


def test_trend_composite_and_rank_are_the_departments_own(fixture_db):
    url, ids = fixture_db
    for q in _queries(url, ids):
        if len(q.scope.departments) != 1:
            continue
        d = q.scope.departments[0]
        assert D._composite_rank(q, d) == _old_trend_row(q, d)
        trend = D.department_trend(q, d)
        for row in trend.itertuples():
            mine = q.scoped(year=int(row.year), departments=(d,))
            composite, rank = _old_trend_row(mine, d)
            assert (None if pd.isna(row.composite) else row.composite) == composite
            assert (None if pd.isna(row.rank) else int(row.rank)) == rank


def test_limited_scope_keeps_its_clamp(fixture_db):
    """A department outside a viewer's limit is clamped away by Scope: the trend row is computed as before."""
    url, ids = fixture_db
    q = mx.Query(url, mx.prepare(url), mx.Scope(2022, limit=(ids["D2"],)), Rules(), fx.TODAY)
    mine = dataclasses.replace(q, scope=mx.Scope(2022, (ids["D1"],), limit=(ids["D2"],)))
    assert D._composite_rank(mine, ids["D1"]) == _old_trend_row(mine, ids["D1"])
