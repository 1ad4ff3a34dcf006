"""The benchmark's pure helpers (bench/report.py, bench/demo_db.with_scale), the [performance] settings, the
single-flight aggregate cache and the warming function — figures by hand, no timed assertions."""

import os
import threading
import time
import types
from pathlib import Path

import pytest

from bench import __main__ as bench_main
from bench import report
from bench.__main__ import ALTERNATIVES, ORDER, TARGETS, _verdict
from bench.demo_db import with_scale
from dashboard import metrics as mx
from dashboard.core.settings import Performance, Rules, SettingsError, load_settings
from dashboard.metrics import query as mq
from dashboard.metrics import warm as mw
from dashboard.ui import warm as uiwarm
from tests import small_fixture as fx


def test_p95_is_the_nearest_rank():
    assert report.p95([]) is None
    assert report.p95([3.0]) == 3.0
    # 20 values 1..20: rank ceil(0.95 × 20) = 19 → 19
    assert report.p95(range(1, 21)) == 19
    # 45 visits (five sessions × nine pages): rank ceil(42.75) = 43 → the third largest
    assert report.p95(list(range(45, 0, -1))) == 43
    assert report.p95([None, 2.0, 1.0]) == 2.0


def test_ratio_best_and_passes():
    assert report.ratio(3.0, 1.5) == 2.0
    assert report.ratio(None, 1.0) is None and report.ratio(1.0, 0) is None
    assert report.best([None, 4.0, 2.5]) == 2.5 and report.best([None]) is None
    assert report.passes(2.0, "<=", 2.0) is True and report.passes(9.9, ">=", 10) is False
    assert report.passes(None, "<=", 1) is None


def test_a_failed_measurement_is_reported_and_a_skipped_one_says_why(monkeypatch, capsys):
    def boom():
        raise ValueError("x" * 3000)

    r = bench_main._attempt(boom)
    assert r == {"error": ("ValueError: " + "x" * 3000)[:2000]} and len(r["error"]) == 2000
    assert bench_main._attempt(lambda: {"ms": 5}) == {"ms": 5}

    args = types.SimpleNamespace(skip=["charts"])

    monkeypatch.setattr(bench_main.srv, "chromium_problem", lambda: "no chromium on PATH")
    assert bench_main._browser_wanted(args, "charts", "charts") is False
    assert capsys.readouterr().out == ""  # skipped on request: nothing to explain
    assert bench_main._browser_wanted(args, "paint", "first paint") is False
    assert "first paint: skipped (no chromium on PATH)" in capsys.readouterr().out
    monkeypatch.setattr(bench_main.srv, "chromium_problem", lambda: None)
    assert bench_main._browser_wanted(args, "paint", "first paint") is True
    args.skip = ["browser"]
    assert bench_main._browser_wanted(args, "paint", "first paint") is False


def test_growth_table_has_a_row_per_metric_and_a_column_per_run():
    runs = [{"scale": "county", "db": "sqlite", "metrics": {"import_ratio": 2.4, "rss_max_mb": None}},
            {"scale": "province", "db": "sqlite", "metrics": {"import_ratio": 3.456, "rss_max_mb": 512.0}}]
    text = report.growth_table(runs, ["import_ratio", "rss_max_mb"], {"import_ratio": ("<=", 2.0)})
    lines = text.splitlines()
    assert lines[0] == "| metric | target | county sqlite | province sqlite |"
    assert lines[2] == "| import_ratio | <= 2 | 2.40 | 3.46 |"
    assert lines[3] == "| rss_max_mb |  | n/a | 512.00 |"


def test_the_bench_line_keeps_its_keys():
    for key in ("import_ratio", "import_fresh_ratio", "import_peak_mb", "page_cold_max_s", "page_warm_max_s",
                "rss_max_mb", "naive_ratio", "browser_overview_s", "browser_page_ratio_max", "browser_first_ratio",
                "sessions5_p95_ratio", "sessions5_errors"):
        assert key in ORDER
    assert TARGETS["naive_ratio"] == (">=", 10.0) and TARGETS["import_fresh_ratio"] == ("<=", 2.5)


def test_a_seconds_target_is_met_by_the_same_run_ratio():
    assert ALTERNATIVES["page_warm_max_s"] == ("page_warm_ratio", 2.5)
    assert _verdict("page_warm_max_s", 0.25) == "PASS"
    assert _verdict("page_warm_max_s", 0.8, {"page_warm_ratio": 3.2}) == "FAIL"
    assert _verdict("page_warm_max_s", 0.8, {"page_warm_ratio": 2.4}) == "PASS"
    assert _verdict("sessions5_errors", 1) == "FAIL" and _verdict("browser_first_ratio", None) == "n/a"


def test_with_scale_names_one_database_per_scale():
    assert with_scale("postgresql+psycopg://postgres@127.0.0.1:5432/bench", "city") == \
        "postgresql+psycopg://postgres@127.0.0.1:5432/bench_city"
    assert with_scale("postgresql+psycopg://postgres@h/bench_city", "city").endswith("/bench_city")
    assert with_scale("sqlite:////tmp/b/x.db", "county") == "sqlite:////tmp/b/x_county.db"


def test_performance_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_SETTINGS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_settings().performance == Performance(warm=True, warm_poll_s=5.0, warm_years=2, warm_departments=100)
    (tmp_path / "dashboard.toml").write_text("[performance]\nwarm = false\nwarm_years = 1\nwarm_departments = 0\n",
                                             encoding="utf-8")
    assert load_settings().performance == Performance(warm=False, warm_poll_s=5.0, warm_years=1, warm_departments=0)
    (tmp_path / "dashboard.toml").write_text("[performance]\nwarm_poll = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="warm_poll"):
        load_settings()


def test_warming_starts_only_in_a_real_server(tmp_path, monkeypatch):
    """pytest has no Streamlit runtime at all; AppTest has a mocked one: neither starts the thread."""
    monkeypatch.chdir(tmp_path)
    assert uiwarm.real_server() is False
    assert uiwarm.start(load_settings()) is None


def test_cached_computes_once_for_callers_asking_at_once():
    calls, entered, release = [], threading.Event(), threading.Event()

    @mq.cached(maxsize=4)
    def slow(key):
        calls.append(key)
        entered.set()
        release.wait(10)
        return key * 2

    results = []
    a = threading.Thread(target=lambda: results.append(slow(21)))
    a.start()
    entered.wait(10)
    b = threading.Thread(target=lambda: results.append(slow(21)))
    b.start()
    b.join(0.3)  # b now waits for a's computation (without single flight it would have called slow itself)
    assert calls == [21]
    release.set()
    a.join(10)
    b.join(10)
    assert results == [42, 42] and calls == [21]
    slow.cache_clear()
    assert slow(21) == 42 and calls == [21, 21]


def test_warm_fills_the_aggregate_caches(sqlite_url):
    fx.build(sqlite_url)
    mx.clear_caches()
    result = mw.warm(sqlite_url, Rules(), fx.TODAY)
    assert result["version"] == mx.prepare(sqlite_url) and result["years"] == [max(mx.available_years(sqlite_url))]
    from dashboard.metrics import aggregates, findings, totals

    for memo in (aggregates._dept_projects, aggregates._dept_evaluations, findings._dept_rectification):
        assert memo.cache_info().currsize >= 1
    # the warmed figures are the ones a page then gets (the same cache entries): the headline figures, and a
    # department's rows, which come from the warmed all-department aggregate without a query of their own
    before = totals._kpis.cache_info().hits
    q = mx.Query(sqlite_url, result["version"], mx.Scope(result["years"][0]), Rules(), fx.TODAY)
    assert mx.kpis(q)["projects"]["projects"] >= 1
    assert totals._kpis.cache_info().hits > before
    whole = aggregates.dept_projects(q)
    dept = int(whole.index[0])
    before, size = aggregates._dept_projects.cache_info().hits, aggregates._dept_projects.cache_info().currsize
    one = aggregates.dept_projects(mx.Query(sqlite_url, result["version"], mx.Scope(result["years"][0], (dept,)),
                                            Rules(), fx.TODAY))
    assert list(one.index) == [dept] and one.loc[dept, "projects"] == whole.loc[dept, "projects"]
    assert aggregates._dept_projects.cache_info().hits > before
    assert aggregates._dept_projects.cache_info().currsize == size


def test_server_memory_parts_and_the_anonymous_peak(tmp_path):
    """The sampler sees a 200 MB allocation that is freed again before the sample ends (VmHWM keeps it too;
    RssAnon at the end has dropped back)."""
    import subprocess
    import sys
    import time

    from bench.server import Server

    ready = tmp_path / "ready"
    code = ("import time, pathlib; time.sleep(0.3); b = bytearray(200 * 1024 * 1024); "
            f"pathlib.Path({str(ready)!r}).write_text('x'); time.sleep(1.0); del b; time.sleep(30)")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        server = Server(proc, "http://127.0.0.1:1", tmp_path / "log")
        with server.sample_anon(interval=0.05) as anon:
            deadline = time.monotonic() + 20
            while not ready.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.5)  # the allocation lived 1 s; the sampler polled it ~20 times
        parts = server.memory_mb()
        assert anon["peak"] >= 195
        assert parts["RssAnon"] < anon["peak"] - 150  # freed: the end value alone would have missed it
        assert parts["VmHWM"] >= 195 and {"VmRSS", "RssFile"} <= set(parts)
    finally:
        proc.kill()
        proc.wait()


def test_insert_floor_writes_the_rows_the_fresh_import_wrote(tmp_path):
    """The floor copies exactly what the import created (8 departments, 16 units, 200 projects and records) into
    another empty database; its seconds are per table and in all."""
    from sqlalchemy import func, select

    from bench import importing
    from dashboard.core import db
    from dashboard.core.models import MonitoringRecord, Project

    book = tmp_path / "fresh.xlsx"
    importing.write_fresh_workbook(book, rows=200, departments=8, units_per_department=2)
    url = f"sqlite:///{tmp_path / 'base.db'}"
    seen = {}

    def after(target):
        floor_factory = importing.empty_target_factory(url, tmp_path, name_suffix="floor")

        def keep():  # look into the floor's database before its cleanup removes it
            target2, cleanup = floor_factory()

            def check_then_clean(batch):
                with db.get_engine(target2).connect() as conn:
                    seen["projects"] = conn.execute(select(func.count()).select_from(Project)).scalar_one()
                    seen["budget"] = conn.execute(select(func.sum(MonitoringRecord.adjusted_budget))).scalar_one()
                cleanup(batch)
            return target2, check_then_clean
        with db.get_engine(target).connect() as conn:
            seen["imported_budget"] = conn.execute(select(func.sum(MonitoringRecord.adjusted_budget))).scalar_one()
        seen["floor"] = importing.insert_floor(target, keep, repeat=1)

    importing.time_import(url, book, importing.empty_target_factory(url, tmp_path), repeat=1, after=after)
    floor = seen["floor"]
    assert floor["rows"] == {"departments": 8, "units": 16, "projects": 200, "monitoring": 200}
    assert seen["projects"] == 200
    # 10,000 元 × (5 + i·7919 mod 995) per row, in 万元 as stored: summed independently here
    expected = sum(10_000.0 * (5 + (i * 7919) % 995) for i in range(200)) / 10_000
    assert seen["budget"] == seen["imported_budget"] == expected
    assert floor["total_s"] >= floor["projects_s"] + floor["monitoring_s"] > 0


@pytest.mark.postgres
def test_server_cpu_counts_a_closed_connections_work(pg_url):
    """bench.importing._server_cpu: the CPU a local PostgreSQL server used between two readings, the work of a
    connection that closed in between included (the postmaster's ended children); nothing for SQLite."""
    import sqlalchemy as sa

    from bench.importing import _postgres_procs, _server_cpu

    assert _server_cpu("sqlite:///x.db") == 0.0
    before = _server_cpu(pg_url)
    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:  # a query that only burns the connection's process's CPU
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        conn.exec_driver_sql("SELECT count(*) FROM generate_series(1, 5000000)").scalar()
        _parent, utime, stime, *_ended = _postgres_procs([backend])[backend]  # its own CPU so far, in ticks
        spent = (utime + stime) / os.sysconf("SC_CLK_TCK")
    engine.dispose()
    gone = time.monotonic() + 30
    while Path(f"/proc/{backend}").exists() and time.monotonic() < gone:  # its CPU now the postmaster's
        time.sleep(0.02)
    assert not Path(f"/proc/{backend}").exists()
    used = _server_cpu(pg_url) - before
    assert spent > 0.05  # the query did burn CPU (CPU time: the machine's load does not change it)
    # the ended connection's CPU is in the second reading (other connections can only add to it)
    assert used >= spent - 0.011, (used, spent)
