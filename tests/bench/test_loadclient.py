"""The protocol load client (bench/loadclient.py) against a real server on the small hand fixture: three sessions
take every step without an error, and each saw the overview's 预算 card show the figure dashboard.metrics gives.

Not a browser test (no Chromium): it runs in the first phase of `make test`. Bounded: one server, three sessions,
no reading pauses, a 60-second budget; nothing is timed."""

from __future__ import annotations

import asyncio

import pytest

from bench import loadclient
from bench import server as srv
from dashboard import metrics
from dashboard.core.rules import DEFAULT_RULES
from tests import small_fixture as fx


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on a SQLite copy of the small fixture (sign-in mode none: no settings file), judged on fx.TODAY."""
    tmp = tmp_path_factory.mktemp("load")
    url = f"sqlite:///{tmp / 'small.db'}"
    fx.build(url)
    env = {"DASHBOARD_TODAY": fx.TODAY.isoformat(), "DASHBOARD_SETTINGS": str(tmp / "no-such-settings.toml")}
    server = srv.start_server(url, tmp / "server.log", extra_env=env)
    yield url, server
    server.stop()


def test_the_client_refuses_anything_but_loopback():
    for bad in ("http://10.0.0.5:8501", "http://example.gov.cn:8501", "https://127.0.0.1:8501", "http://127.0.0.1"):
        with pytest.raises(ValueError):
            loadclient.loopback(bad)
    assert loadclient.loopback("http://127.0.0.1:8501") == ("127.0.0.1", 8501)
    with pytest.raises(ValueError):
        loadclient.run("http://127.0.0.1:8501", loadclient.MAX_SESSIONS + 1)


def test_three_sessions_take_every_step_and_see_the_headline(served):
    url, server = served
    out = loadclient.run(server.base_url, 3, budget_s=60, timeout=30, year_index=0)
    assert out["errors"] == 0, out["error_list"]
    assert out["complete"] == 3
    assert out["steps"] == 3 * len(loadclient.STEPS)
    assert set(out["by_step"]) == set(loadclient.STEPS)
    # the requests: connect, four reruns, the download's request and its GET, per session, and on the overview (the
    # session's first page with charts) the run of the fragment that draws its charts (dashboard/ui/charts.py), as
    # the page's script asks for it once the browser has painted the page
    assert out["requests"] == 3 * (7 + 1)

    # 2022 (the latest year, the overview's default): Σ budget 1000 万元 (small_fixture: P1 100 + P2 50 (initial)
    # + P3 200 + P4 300 + P5 150 + P6 100 + P7 100), shown as 1,000.00 under 预算（万元）
    q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=2022), DEFAULT_RULES, fx.TODAY)
    budget = metrics.kpis(q)["projects"]["budget_total"]
    assert budget == pytest.approx(1000.0)
    assert sorted(out["metrics_seen"]) == [0, 1, 2]
    for seen in out["metrics_seen"].values():
        cards = dict(seen)
        assert cards["预算（万元）"] == f"{budget:,.2f}" == "1,000.00"


def test_a_download_outlives_other_sessions_runs(served):
    """Streamlit drops a clicked download's file at the second end of a run of any session; with dozens of
    sessions that came before the browser's GET (404 for 7 of 50 sessions). dashboard/app.py keep_downloads keeps
    it for DOWNLOAD_GRACE_S: session A clicks, session B runs twice, A's GET still gets the file."""
    _, server = served

    async def click_then_other_runs() -> bytes:
        counter = loadclient.Counter(100)
        async with loadclient.Session(server.base_url, counter, 30) as a, \
                loadclient.Session(server.base_url, counter, 30) as b:
            await a.rerun("")
            page = await a.rerun(a.pages[loadclient.DEPARTMENT_PAGE])
            button = next(x for x in page.downloads if x.deferred_file_id and not x.disabled)
            url = await a.file_url(button)
            await b.rerun("")
            await b.rerun()
            return await asyncio.to_thread(loadclient.get, url, 30)

    assert asyncio.run(click_then_other_runs()).startswith(b"PK")
