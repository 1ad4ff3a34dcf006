"""Pre-visits (dashboard/previsit.py, issue 28): once the warming thread has opened a department's 总览 and 部门画像,
a reader who chooses that department and opens its page computes nothing — every figure, list page, chart and
trend line comes out of the shared caches — and sees what a reader of a server without pre-visits sees."""

from __future__ import annotations

import collections
import time

import pytest
from streamlit.runtime.caching import cache_utils

from dashboard import previsit
from dashboard.core.settings import load_settings
from dashboard.ui import warm
from tests.pages.apptest import make_app, metrics, texts

YEAR = 2024


@pytest.fixture
def misses(monkeypatch):
    """Function name → how often a Streamlit cache (st.cache_data / st.cache_resource) had to compute."""
    seen: collections.Counter = collections.Counter()
    original = cache_utils.CachedFunc._handle_cache_miss

    def counted(self, *args, **kwargs):
        seen[self._info.func.__qualname__] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cache_utils.CachedFunc, "_handle_cache_miss", counted)
    return seen


def _reader(department: int, misses) -> tuple[dict, dict, dict, str]:
    """A reader: 总览 in YEAR, then the department chosen in the sidebar, then 部门画像. What the last two steps had
    to compute, the two pages' cards and the department page's texts."""
    at = make_app(query={"year": str(YEAR)})
    misses.clear()
    at.sidebar.multiselect(key="departments").set_value([department]).run()
    overview = metrics(at)
    at.switch_page("../pages/department.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return dict(misses), overview, metrics(at), texts(at)


def _previsit(limit: int) -> dict:
    return previsit.departments(load_settings(), [YEAR], limit, quiet=lambda: None)


def test_a_previsited_department_computes_nothing_and_shows_the_same(app_env, ids, misses):
    # without pre-visits: the reader's department steps compute its figures, lists and trend lines
    cold, overview_cold, page_cold, text_cold = _reader(ids["101"], misses)
    assert cold.get("_run", 0) >= 5 and cold.get("_figure", 0) >= 1 and cold.get("_shown_page", 0) >= 1, cold

    # the first department in the filter's order (区教育局, code 101) pre-visited, on a fresh cache
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    done = _previsit(1)
    assert done["departments"] == 1 and done["visits"] == 2 and done["failed"] == 0 and not done["stopped"]
    warm_misses, overview, page, text = _reader(ids["101"], misses)
    assert warm_misses == {}  # nothing computed: the pre-visit asked for exactly what the reader's runs ask for
    assert (overview, page) == (overview_cold, page_cold)  # the same cards, the same values
    assert text == text_cold
    # the cards of 区教育局 in 2024, by hand from tests/pages/fixture_db.py: JY-01..03 budget 1000 + 500 + 200;
    # JY-02 red; JY-01's two evaluations (95 + 82) / 2
    assert (page["预算（万元）"][0], page["红/黄/未报送"][0], page["评价平均分"][0]) == ("1,700.00", "1/0/0", "88.5")

    # a department the pre-visits did not reach (limit 1) is computed by its first reader, as before
    other, *_ = _reader(ids["102"], misses)
    assert other.get("_run", 0) >= 5, other


def test_previsits_visit_every_department_of_every_year_and_stop_when_the_data_changes(app_env, monkeypatch):
    done = previsit.departments(load_settings(), [2024, 2023], 10, quiet=lambda: None)
    assert (done["departments"], done["visits"], done["failed"], done["stopped"]) == (3, 12, 0, False)  # 3 × 2 × 2

    versions = iter([7, 7, 7, 8])  # the version read at the start, then before each visit: changed before the third
    monkeypatch.setattr(previsit, "data_version", lambda _url: next(versions))
    done = previsit.departments(load_settings(), [2024, 2023], 10, quiet=lambda: None)
    assert (done["visits"], done["stopped"]) == (2, True)


def test_previsits_stay_within_what_the_caches_hold(app_env, monkeypatch):
    visited = []
    monkeypatch.setattr(previsit, "visit", lambda _s, key, year, dept, _v: visited.append((key, year, dept)))
    monkeypatch.setattr(previsit, "MAX_DEPARTMENT_YEARS", 4)  # 4 department-years over 2 years: 2 departments each
    done = previsit.departments(load_settings(), [2024, 2023], 10, quiet=lambda: None)
    assert done["departments"] == 2 and len(visited) == 8


def test_background_work_waits_for_the_sessions_runs():
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        time.sleep(0.01)

    with warm.session_run():  # a session's run in progress: the wait goes on until its limit
        waited = warm.wait_quiet(quiet_s=0.05, max_wait_s=0.2, sleep=sleep)
    assert waited >= 0.2 and slept and all(s == 0.05 for s in slept)
    # the run ended just now: the wait lasts until quiet_s after its end, then returns
    assert warm.wait_quiet(quiet_s=0.05, max_wait_s=5.0) < 1.0
    slept.clear()
    assert warm.wait_quiet(quiet_s=0.0, max_wait_s=5.0, sleep=slept.append) == pytest.approx(0.0, abs=0.05)
    assert not slept


def test_after_warming_the_cached_objects_are_frozen_until_the_next_warming(app_env):
    """Warmer.check: pre-visits, then one collection and gc.freeze (the collector no longer walks the caches);
    the next warming unfreezes first, so what became garbage in between can be collected."""
    import gc

    seen = []
    warmer = warm.Warmer(5.0, visit=lambda s, years, limit: seen.append(gc.get_freeze_count()) or {
        "version": 1, "departments": 0, "years": years, "visits": 0, "failed": 0, "stopped": False, "seconds": 0.0})
    settings = load_settings()
    try:
        warmer.check(settings.db_url, settings)
        assert seen == [0] and gc.get_freeze_count() > 0
        warmer.check(settings.db_url, settings)  # the same data version and day: nothing to do, still frozen
        assert seen == [0] and gc.get_freeze_count() > 0
        warmer.done.clear()  # as after an import: warmed again, unfrozen before it
        warmer.check(settings.db_url, settings)
        assert seen == [0, 0] and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
