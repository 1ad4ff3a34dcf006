"""First paint of the overview's KPI cards in Chromium: are they drawn when the run finishes, or grey after it?

Streamlit's browser code loads each kind of element on first use and shows a grey skeleton (stSkeleton) until
it has; a first visit's cards could stay grey well after the script run had finished. `first_paint` opens the
overview in `visits` new browser contexts (no HTTP cache: a first visit each) on a warm server and polls the
page every 30 ms for: the run finished (data-test-script-state=notRunning), at least MIN_CARDS cards drawn
(stMetric in the main block), at least one chart drawn (.main-svg). The figure is cards-drawn ÷ run-finished,
both from goto: 1.0 means the cards are in the first paint after the run.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench import server as srv

MIN_CARDS = 10
_STATE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return {state: app && app.getAttribute('data-test-script-state'),
          cards: document.querySelectorAll("[data-testid='stMainBlockContainer'] [data-testid='stMetric']").length,
          charts: document.querySelectorAll("[data-testid='stPlotlyChart'] .main-svg").length,
          held: document.querySelectorAll("__HELD__").length};
}""".replace("__HELD__", srv.HELD)


def _visit(browser, base_url: str, limit_s: float) -> dict:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        pg = ctx.new_page()
        t0 = time.perf_counter()
        pg.goto(base_url + "/", wait_until="commit")
        seen: dict = {"finished_s": None, "cards_s": None, "charts_s": None}
        running = False
        while time.perf_counter() - t0 < limit_s:
            st = pg.evaluate(_STATE)
            t = time.perf_counter() - t0
            # the page's run has happened once its state was seen running, or once a chart's place it kept is on
            # the page (a short run may finish between two polls; the run of the charts' fragment comes after)
            running = running or st["state"] == "running" or st["held"] > 0
            if seen["finished_s"] is None and running and st["state"] == "notRunning":
                seen["finished_s"] = t
            if seen["cards_s"] is None and st["cards"] >= MIN_CARDS:
                seen["cards_s"] = t
            if seen["charts_s"] is None and st["charts"] >= 1:
                seen["charts_s"] = t
            if all(v is not None for v in seen.values()):
                break
            time.sleep(0.03)  # the polling interval of the probe, not a wait for the page
        return seen
    finally:
        ctx.close()


def first_paint(db_url: str, log: Path, visits: int = 3, limit_s: float = 30.0, extra_env: dict | None = None,
                app: Path = srv.APP) -> dict:
    """The overview's first visits on a warm server (readiness run done): each visit's times and the median
    of cards-drawn ÷ run-finished."""
    from playwright.sync_api import sync_playwright  # lazy: only the browser measurements need Playwright

    server = srv.start_server(db_url, log, extra_env=extra_env, script_check=True, app=app,
                              previsits=app == srv.APP)
    try:
        with sync_playwright() as p:
            browser = srv.launch_chromium(p)
            try:
                runs = [_visit(browser, server.base_url, limit_s) for _ in range(visits)]
            finally:
                browser.close()
    finally:
        server.stop()
    ratios = [r["cards_s"] / r["finished_s"] for r in runs if r["cards_s"] and r["finished_s"]]
    return {"visits": runs, "ratio": statistics.median(ratios) if ratios else None,
            "cards_after_run_s": [round(r["cards_s"] - r["finished_s"], 2) for r in runs
                                  if r["cards_s"] and r["finished_s"]]}
