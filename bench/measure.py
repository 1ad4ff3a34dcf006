"""Page times (AppTest), the naive pandas baseline, and the real server in Chromium (RSS, overview drawn)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench import report
from bench import server as srv
from dashboard import registry
from dashboard.ui.charts import GREY_IN_MAIN

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------------ AppTest


def _timed_run(at, timeout: float) -> tuple[float, str | None]:
    t = time.perf_counter()
    try:
        at.run(timeout=timeout)
    except RuntimeError as exc:  # AppTest's "script run timed out"
        return time.perf_counter() - t, f"timeout: {exc}"[:200]
    return time.perf_counter() - t, None


def clear_metric_caches() -> None:
    """dashboard.metrics keeps bounded in-process caches of its aggregates: a cold run starts without them."""
    from dashboard import metrics

    metrics.clear_caches()


def page_times(url: str, timeout: float = 120) -> list[dict]:
    """Each page at default filters: cold (after st.cache_data.clear() and dashboard.metrics' in-process caches
    cleared; the project_facts table of the current data version stays built) and warm (the same run again),
    each beside a run of the trivial script (bench/baseline_app.py) in a new AppTest right before it.

    A run longer than `timeout` is recorded with the time it had taken when abandoned (and the page's error)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    # one untimed run first: importing streamlit, pandas, plotly and the app is a per-process cost, not a page's
    _timed_run(AppTest.from_file(str(srv.APP), default_timeout=timeout), timeout)
    out = []
    for page in registry.PAGES:
        at = AppTest.from_file(str(srv.APP), default_timeout=timeout)
        if not page.default:
            _timed_run(at, timeout)  # land on the default page first: switch_page needs a first run
            at.switch_page(f"../pages/{page.file}")
        st.cache_data.clear()
        clear_metric_caches()
        # the trivial script's run right before the page's: the pair sees the same machine load
        baseline = _timed_run(AppTest.from_file(str(BASELINE_APP), default_timeout=timeout), timeout)[0]
        cold, err_cold = _timed_run(at, timeout)
        warm, err_warm = _timed_run(at, timeout)
        errors = [e for e in (err_cold, err_warm) if e]
        errors += [str(e.value)[:200] for e in at.exception]
        warnings = [str(w.value)[:120] for w in at.warning if "暂时无法显示" in str(w.value)]
        out.append({"page": page.key, "cold_s": cold, "warm_s": warm, "baseline_s": baseline,
                    "cold_ratio": cold / baseline, "warm_ratio": warm / baseline, "exceptions": errors,
                    "section_errors": warnings})
        print(f"    page {page.key:<14} cold {cold:7.2f} s   warm {warm:6.2f} s   trivial {baseline:5.2f} s"
              + (f"   ! {errors or warnings}" if errors or warnings else ""), flush=True)
    st.cache_data.clear()
    return out


# ------------------------------------------------------------------------------------------------ naive


def naive_overview(url: str, year: int, rules, today: dt.date) -> dict:
    """The overview's figures the naive way: whole tables into pandas, then filter and group there."""
    from dashboard.core import rules as R
    from dashboard.core.db import get_engine

    engine = get_engine(url)
    with engine.connect() as conn:
        projects = pd.read_sql("SELECT * FROM projects", conn)
        monitoring = pd.read_sql("SELECT * FROM monitoring", conn)
        evaluations = pd.read_sql("SELECT * FROM evaluations", conn)
        findings = pd.read_sql("SELECT * FROM findings", conn)

    p = projects[projects["year"] == year].copy()
    p["budget"] = p["adjusted_budget"].fillna(p["initial_budget"])
    target = p["has_target"].fillna(False).astype(bool)
    totals = {"departments": p["department_id"].nunique(), "units": p["unit_id"].nunique(),
              "projects": len(p), "budget_total": p["budget"].sum(),
              "coverage_count": target.mean() if len(p) else None,
              "coverage_funds": p.loc[target, "budget"].sum() / p["budget"].sum() if len(p) else None}

    m = monitoring[monitoring["is_latest"].astype(bool)]
    m = p.merge(m, left_on="id", right_on="project_id", how="left", suffixes=("", "_m"))
    base = m["adjusted_budget_m"].fillna(m["adjusted_budget"]).fillna(m["initial_budget"])
    rate = (m["executed"] * 100 / base).where(base > 0)
    as_of = pd.to_datetime(m["as_of"])
    tp = as_of.map(lambda d: R.time_progress(d.date()) * 100 if pd.notna(d) else np.nan)
    lag = np.fmax(tp - rate, tp - m["target_progress"] * 100)
    no_data = m["id_m"].isna() | (rate.isna() & m["target_progress"].isna())
    light = np.select([no_data, lag >= rules.red_lag - R.EPS, lag >= rules.yellow_lag - R.EPS],
                      ["grey", "red", "yellow"], "green")
    m["light"] = light
    counts = m[m["light"] != "grey"].groupby("light").size().to_dict()
    grey = int(((m["light"] == "grey") & m["has_target"].fillna(False).astype(bool)).sum())
    ok = m["executed"].notna() & (base > 0)
    lights = {**counts, "grey": grey,
              "execution_rate": m.loc[ok, "executed"].sum() / base[ok].sum() if ok.any() else None}

    e = evaluations[evaluations["year"] == year]
    grade = np.select([e["score"].isna(), e["score"] >= rules.grade_excellent, e["score"] >= rules.grade_good,
                       e["score"] >= rules.grade_pass], [e["grade"], "优", "良", "中"], "差")
    evals = {"count": len(e), "avg_score": e["score"].mean(),
             "grades": pd.Series(grade).value_counts().to_dict(), "by_kind": e.groupby("kind").size().to_dict()}

    f = findings[findings["year"] == year]
    deadline = pd.to_datetime(f["deadline"])
    overdue = (f["status"] != "已整改") & (deadline < pd.Timestamp(today))
    finds = {"by_status": f.groupby("status").size().to_dict(), "overdue": int(overdue.sum()),
             "rate": (f["status"] == "已整改").mean() if len(f) else None}

    # the overview also ranks departments (lights per department): one more groupby over the merged frame
    by_dept = m.groupby(["department_id", "light"]).size().unstack(fill_value=0)
    return {"projects": totals, "monitoring": lights, "evaluations": evals, "findings": finds,
            "lights_by_department": len(by_dept)}


def naive_ratio(url: str, repeat: int = 3) -> dict:
    from dashboard import metrics
    from dashboard.core.settings import load_settings

    rules = load_settings().rules
    year = metrics.available_years(url)[0]
    today = dt.date.today()
    q = metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year), rules, today)

    def best(fn):
        times = []
        for _ in range(repeat):
            clear_metric_caches()  # compare SQL work with pandas work, not with a dictionary lookup
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
        return min(times), result

    sql_s, k = best(lambda: (metrics.kpis(q), metrics.lights_by_department(q)))
    naive_s, n = best(lambda: naive_overview(url, year, rules, today))
    # the two must agree, or the comparison means nothing
    assert abs(n["projects"]["budget_total"] - k[0]["projects"]["budget_total"]) < 0.01, (n["projects"], k[0])
    assert n["projects"]["projects"] == k[0]["projects"]["projects"]
    assert n["evaluations"]["count"] == k[0]["evaluations"]["count"]
    return {"year": year, "sql_s": sql_s, "naive_s": naive_s, "ratio": naive_s / sql_s,
            "red_sql": k[0]["monitoring"]["red"], "red_naive": int(n["monitoring"].get("red", 0))}


# ------------------------------------------------------------------------------------------------ browser


_ALL_DRAWN = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const charts = document.querySelectorAll("[data-testid='stPlotlyChart']");
  if (charts.length === 0) return false;
  return Array.from(charts).every(c => c.querySelector('.main-svg'));
}"""
# an app page: whatever charts the run left on the page drawn (none is fine), and no element still a grey skeleton
# (Streamlit's placeholder while an element's code loads). Not srv.has_charts: the pages draw through
# dashboard.ui.charts.show (and trends/screen), which has_charts' scan for "st.plotly_chart(" does not see, so
# until 2026-12-06 the app pages' visits stopped at "run finished" while the trivial page's waited for its chart.
_PRESENT_DRAWN = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("__GREY__")) return false;
  if (document.querySelector("__HELD__")) return false;  // charts still to come (ui/charts.py)
  return Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']")).every(c => c.querySelector('.main-svg'));
}""".replace("__HELD__", srv.HELD).replace("__GREY__", GREY_IN_MAIN)


def _visit(pg, base: str, page, charts: bool, errors: list | None = None) -> float | None:
    """Seconds from goto to the page's run finished (and every chart drawn); None, with the error noted in
    `errors`, when the page did not get there (the other pages are still visited)."""
    t = time.perf_counter()
    try:
        pg.goto(srv.page_url(base, page))
        srv.wait_ready(pg, page.title, timeout=180_000)
        if charts:
            pg.wait_for_function(_ALL_DRAWN, timeout=180_000)
    except Exception as exc:
        if errors is None:
            raise
        errors.append(f"{page.key}: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}")
        return None
    return time.perf_counter() - t


BASELINE_APP = ROOT / "bench" / "baseline_app.py"
BASELINE_TITLE = "基准页"
VIEWPORT = {"width": 1366, "height": 768}
_ERRORS = """() => document.querySelectorAll("[data-testid='stException']").length
  + Array.from(document.querySelectorAll("[data-testid='stAlert']"))
      .filter(a => /页面出错了|暂时无法显示|无法连接数据库/.test(a.textContent)).length"""


def baseline_apptest(repeat: int = 3, timeout: float = 60) -> dict:
    """The trivial page (bench/baseline_app.py) in AppTest: the best of `repeat` first runs of a new AppTest
    (after one untimed run that imports plotly) and of a second run of the same one."""
    from streamlit.testing.v1 import AppTest

    _timed_run(AppTest.from_file(str(BASELINE_APP), default_timeout=timeout), timeout)
    first, again = [], []
    for _ in range(repeat):
        at = AppTest.from_file(str(BASELINE_APP), default_timeout=timeout)
        first.append(_timed_run(at, timeout)[0])
        again.append(_timed_run(at, timeout)[0])
    return {"first_s": min(first), "warm_s": min(again), "runs": first + again}


class _Target:
    """What a visit opens: a URL, the h1 to wait for, and what "drawn" means: `charts` True = at least one Plotly
    chart and every chart drawn (the trivial page); False = every chart the page has drawn, no skeleton left."""

    def __init__(self, key: str, url: str, title: str, charts: bool):
        self.key, self.url, self.title, self.charts = key, url, title, charts

    @property
    def drawn(self) -> str:
        return _ALL_DRAWN if self.charts else _PRESENT_DRAWN


def _targets(base: str, baseline: bool) -> list[_Target]:
    if baseline:
        return [_Target("baseline", base + "/", BASELINE_TITLE, True)]
    return [_Target(p.key, srv.page_url(base, p), p.title, False) for p in registry.PAGES]


def _visit_target(pg, t: _Target, errors: list, timeout: float = 180_000, ready: list | None = None) -> float | None:
    """Seconds from goto to the run finished (and every chart drawn); None with the error noted in `errors`.
    `ready` receives the seconds until the script run had finished (before the charts drew)."""
    start = time.perf_counter()
    try:
        pg.goto(t.url)
        srv.wait_ready(pg, t.title, timeout=timeout, held=False)  # the first run finished (charts may follow)
        if ready is not None:
            ready.append(time.perf_counter() - start)
        pg.wait_for_function(t.drawn, timeout=timeout)
        elapsed = time.perf_counter() - start
        shown = pg.evaluate(_ERRORS)
        if shown:
            errors.append(f"{t.key}: {shown} error element(s) on the page")
    except Exception as exc:  # noqa: BLE001 - noted; the other pages are still visited
        errors.append(f"{t.key}: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}")
        return None
    return elapsed


def _paired_pages(app, base, repeat: int, errors: list) -> dict:
    """Every page warm, each visit in a new tab (a new session) of one browser context whose HTTP cache is warm:
    per page one untimed-for-the-ratio first visit, then `repeat` pairs of (baseline visit, page visit) back
    to back, so the load of a shared machine falls on both sides of each ratio alike."""
    from playwright.sync_api import sync_playwright

    targets = _targets(app.base_url, False)
    floor = _targets(base.base_url, True)[0]
    out: dict = {"pages": {}}
    with sync_playwright() as p:
        browser = srv.launch_chromium(p)
        try:
            ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")

            def visit(t, ready=None):
                tab = ctx.new_page()
                try:
                    return _visit_target(tab, t, errors, ready=ready)
                finally:
                    tab.close()

            visit(floor)
            for t in targets:
                first = visit(t)
                ready_b, ready_w = [], []
                pairs = [(visit(floor, ready_b), visit(t, ready_w)) for _ in range(repeat)]
                b, w = report.best(x for x, _ in pairs), report.best(y for _, y in pairs)
                # the script-run part alone (goto → run finished, before the browser draws the charts)
                rb, rw = report.best(ready_b), report.best(ready_w)
                out["pages"][t.key] = {"first_s": first, "warm_s": w, "baseline_s": b, "ratio": report.ratio(w, b),
                                       "ready_s": rw, "baseline_ready_s": rb, "ready_ratio": report.ratio(rw, rb),
                                       "pairs": pairs}
            ctx.close()
        finally:
            browser.close()
    return out


async def _session(browser, targets: list[_Target], rounds: int, visits: list, errors: list, deadline: float,
                   timeout: float) -> None:
    ctx = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        pg = await ctx.new_page()
        for _ in range(rounds):
            for t in targets:
                if time.monotonic() > deadline:
                    errors.append(f"{t.key}: not visited, the sessions' time bound was reached")
                    continue
                start = time.perf_counter()
                try:
                    await pg.goto(t.url)
                    await pg.locator("h1", has_text=t.title).first.wait_for(state="visible", timeout=timeout)
                    await pg.wait_for_selector(srv.READY, timeout=timeout)
                    await pg.wait_for_function(t.drawn, timeout=timeout)
                    visits.append((t.key, time.perf_counter() - start))
                    shown = await pg.evaluate(_ERRORS)
                    if shown:
                        errors.append(f"{t.key}: {shown} error element(s) on the page")
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"{t.key}: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await ctx.close()


def sessions(base_url: str | list[str], baseline: bool, n: int = 5, budget_s: float = 600,
             timeout: float = 120_000) -> dict:
    """`n` browser sessions at once (new contexts of one Chromium, loopback only), each visiting every page
    once (the baseline: its one page as many times); bounded by `budget_s` and a per-visit `timeout` (ms).
    Several base URLs (app replicas): session i stays on replica i mod len — a sticky balancer."""
    import asyncio

    from playwright.async_api import async_playwright

    bases = [base_url] if isinstance(base_url, str) else list(base_url)
    per_replica = [_targets(b, baseline) for b in bases]
    rounds = len(registry.PAGES) if baseline else 1
    visits: list = []
    errors: list = []

    async def run():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=srv.chromium_path(), args=srv.CHROMIUM_ARGS)
            try:
                deadline = time.monotonic() + budget_s
                await asyncio.gather(*[_session(browser, per_replica[i % len(bases)], rounds, visits, errors,
                                                deadline, timeout) for i in range(n)])
            finally:
                await browser.close()

    start = time.perf_counter()
    asyncio.run(run())
    times = [s for _, s in visits]
    return {"sessions": n, "visits": len(visits), "errors": len(errors), "error_list": errors[:20],
            "p95_s": report.p95(times), "max_s": max(times) if times else None,
            "wall_s": time.perf_counter() - start,
            "by_page": {k: report.best(s for kk, s in visits if kk == k) for k in {k for k, _ in visits}}}


def browser_suite(url: str, out_dir: Path, tag: str, repeat: int = 2, n_sessions: int = 5,
                  replicas: int = 1) -> dict:
    """Every browser figure of one run, each beside its baseline measured right before it:

    - first visit after a server start (a new browser context, empty HTTP cache), before: the trivial page
      and then the app without warming ([performance] warm = false, readiness on /_stcore/health); after: the
      trivial page and then the app as deployed (warming on, readiness on /_stcore/script-health-check);
    - every page warm, in pairs with the trivial page (_paired_pages);
    - `n_sessions` sessions at once on the trivial page, then on the app, and the app server's peak RSS.
    """
    problem = srv.chromium_problem()
    if problem:
        return {"error": problem}
    out: dict = {"errors": []}
    errs = out["errors"]

    def served(name: str, app: Path, script_check: bool, env: dict | None = None):
        return srv.start_server(url, out_dir / f"server-{tag}-{name}.log", app=app, script_check=script_check,
                                extra_env=env, timeout=180, previsits=script_check and app == srv.APP)

    def first_visit(name: str, app: Path, script_check: bool, env: dict | None = None) -> float | None:
        server = served(name, app, script_check, env)
        try:
            return _first_only(server, app == BASELINE_APP, errs)
        finally:
            server.stop()

    no_warm = out_dir / f"nowarm-{tag}.toml"
    no_warm.write_text("[performance]\nwarm = false\n", encoding="utf-8")
    out["before"] = {"baseline_first_s": first_visit("baseline-plain", BASELINE_APP, False),
                     "first_s": first_visit("nowarm", srv.APP, False, {"DASHBOARD_SETTINGS": str(no_warm)})}

    base = served("baseline", BASELINE_APP, True)
    try:
        baseline_first = _first_only(base, True, errs)
        app = served("app", srv.APP, True)
        try:
            out["script_check_s"] = app.script_check_s
            out["rss_idle_mb"] = app.rss_mb()
            with app.sample_anon() as anon:
                out["after"] = {"baseline_first_s": baseline_first, "first_s": _first_only(app, False, errs)}
                out["warm"] = _paired_pages(app, base, repeat, errs)
                out["baseline_sessions"] = sessions(base.base_url, True, n_sessions) if n_sessions else {}
                out["app_sessions"] = sessions(app.base_url, False, n_sessions) if n_sessions else {}
            out["rss_max_mb"] = app.peak_rss_mb()
            out["rss_end_mb"] = app.rss_mb()
            out["rss_anon_max_mb"] = anon["peak"]
            out["memory_end_mb"] = app.memory_mb()
            if replicas > 1 and n_sessions:
                # the same sessions spread over `replicas` app processes (the first one is warm already)
                extra = [served(f"replica{i}", srv.APP, True) for i in range(1, replicas)]
                try:
                    out["replica_sessions"] = sessions([app.base_url] + [e.base_url for e in extra], False,
                                                       n_sessions)
                    out["replica_rss_mb"] = [app.peak_rss_mb()] + [e.peak_rss_mb() for e in extra]
                finally:
                    for e in extra:
                        e.stop()
        finally:
            app.stop()
    finally:
        base.stop()
    return out


def _first_only(server, baseline: bool, errors: list) -> float | None:
    """The first visit (a new browser context) of the default page on a server just started."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = srv.launch_chromium(p)
        try:
            ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            first = _visit_target(ctx.new_page(), _targets(server.base_url, baseline)[0], errors)
            ctx.close()
        finally:
            browser.close()
    return first
