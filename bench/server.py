"""Start the real Streamlit server and drive it with Debian's Chromium (shared by the benchmark and tests/browser).

Waits are on Streamlit's own data-testid attributes, never on fixed sleeps:
`[data-testid=stApp][data-test-script-state=notRunning]` once the page's title is on screen, and the Plotly
charts' `.main-svg` for "charts drawn".
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dashboard.registry import Page
from dashboard.ui.charts import HELD_PREFIX

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
READY = "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
# a chart's kept place on a tab's first page with charts (dashboard/ui/charts.py HELD_PREFIX): the run that draws
# the charts is still to come, so the page is not ready while one is on screen
HELD = f"[class*='st-key-{HELD_PREFIX}']"
_READY_DRAWN = f"""() => !!document.querySelector("{READY}") && !document.querySelector("{HELD}")"""
PHONE = {"width": 390, "height": 844}  # the phone viewport of the browser tests and screenshots


def chromium_path() -> str:
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def chromium_problem() -> str | None:
    """Why a browser cannot be driven here, or None."""
    if not Path(chromium_path()).exists():
        return f"Chromium not found at {chromium_path()} (install Debian's chromium or set CHROMIUM=/path/to/it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    return None


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_charts(page: Page) -> bool:
    """Whether the page's script draws Plotly charts (then a visit waits for them)."""
    return page.path.is_file() and "st.plotly_chart(" in page.path.read_text(encoding="utf-8")


@dataclass
class Server:
    proc: subprocess.Popen
    base_url: str
    log: Path
    script_check_s: float | None = None  # seconds the readiness run of the script took (script_check=True)
    previsit: dict | None = None  # the warming thread's pre-visits, from its log line (wait_previsits)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def peak_rss_mb(self) -> float:
        """Peak resident set size of the server process (VmHWM), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("VmHWM not found")

    def rss_mb(self) -> float:
        return self.memory_mb()["VmRSS"]

    def reset_peak_rss(self) -> None:
        """Start VmHWM again from the current resident set (Linux: "5" into /proc/PID/clear_refs), so one
        server can measure the peaks of several tests in turn."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def memory_mb(self) -> dict[str, float]:
        """VmRSS, VmHWM and the parts of the resident set (RssAnon: the process's own memory; RssFile: mapped
        files, on SQLite mostly the database file mapped by `PRAGMA mmap_size`, pages the kernel shares with
        its file cache and drops under memory pressure), in MB."""
        out = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0]) / 1024
        if "VmRSS" not in out:
            raise RuntimeError("VmRSS not found")
        return out

    @contextlib.contextmanager
    def sample_anon(self, interval: float = 0.25):
        """Sample RssAnon every `interval` s in a thread while the block runs; the yielded dict's `peak` is the
        largest seen (the kernel keeps no high-water mark of the anonymous part alone)."""
        state = {"peak": self.memory_mb().get("RssAnon", 0.0)}
        stop = threading.Event()

        def loop():
            while not stop.wait(interval):
                try:
                    state["peak"] = max(state["peak"], self.memory_mb().get("RssAnon", 0.0))
                except (OSError, RuntimeError):  # the process has ended
                    return

        sampler = threading.Thread(target=loop, daemon=True)
        sampler.start()
        try:
            yield state
        finally:
            stop.set()
            sampler.join()

    def wait_previsits(self, timeout: float = 1800.0) -> dict:
        """Wait for the warming thread's "pre-visited …" line in the server log (dashboard/ui/warm.py): the
        departments' pages opened once before any session is measured. Returns what the line says (seconds,
        visits, departments) and the wall-clock seconds waited here."""
        started = time.monotonic()
        pattern = re.compile(r"pre-visited \S+ version \S+: (\d+) departments, years \[([^\]]*)\], (\d+) visits "
                             r"\((\d+) failed[^)]*\) in ([\d.]+) s; (\d+) objects frozen")
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode} before its pre-visits")
            found = pattern.search(self.log.read_text(errors="replace"))
            if found:
                self.previsit = {"departments": int(found[1]), "years": found[2], "visits": int(found[3]),
                                 "failed": int(found[4]), "seconds": float(found[5]), "frozen": int(found[6]),
                                 "waited_s": time.monotonic() - started}
                return self.previsit
            time.sleep(0.5)  # polling the log, not a wait for a result
        raise RuntimeError(f"no pre-visits logged within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_server(db_url: str, log: Path, extra_env: dict | None = None, timeout: float = 90.0,
                 app: Path = APP, script_check: bool = False, previsits: bool = False) -> Server:
    """`python -m streamlit run dashboard/app.py` (or another `app` script) on a free port from the repo root;
    returns once healthy.

    `script_check=True` is the deployment's readiness probe (docs/deployment.md): it enables
    `server.scriptHealthCheckEnabled` and, once healthy, waits for `/_stcore/script-health-check`, which runs
    the script once in a session of its own — the run that starts the app's warming thread (dashboard/ui/warm.py)
    before any browser visits. `previsits=True` (with script_check, the app's default settings) then waits until
    that thread has pre-visited the departments' pages too (Server.wait_previsits), so that nothing runs in the
    background while the server is measured."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, **(extra_env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", str(Path(app).relative_to(ROOT)),
           "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--server.scriptHealthCheckEnabled", "true" if script_check else "false"]
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    fh = open(log, "wb")  # noqa: SIM115 - owned by the process for its life
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    server = Server(proc, base, log)
                    if script_check:
                        server.script_check_s = script_health_check(base, max(5.0, deadline - time.monotonic()))
                        if previsits:
                            server.wait_previsits()
                    return server
        except OSError:
            pass
        time.sleep(0.2)  # polling interval of the health check, not a wait for the app
    proc.kill()
    raise RuntimeError(f"streamlit not healthy after {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def script_health_check(base_url: str, timeout: float = 90.0) -> float:
    """GET /_stcore/script-health-check (one run of the script in a session of its own); seconds it took."""
    t = time.perf_counter()
    with urllib.request.urlopen(base_url + "/_stcore/script-health-check", timeout=timeout) as resp:
        body = resp.read().decode().strip()
    if body != "ok":
        raise RuntimeError(f"script health check said {body!r}")
    return time.perf_counter() - t


def page_url(base_url: str, page: Page, query: str = "") -> str:
    return f"{base_url}/{page.route}" + (f"?{query}" if query else "")


def wait_ready(pg, title: str | None = None, timeout: float = 60_000, held: bool = True) -> None:
    """The page's h1 is on screen and the script run has finished; with `held`, also the run that draws the
    charts a tab's first page kept the places of (no HELD element left)."""
    if title:
        pg.locator("h1", has_text=title).first.wait_for(state="visible", timeout=timeout)
    if held:
        pg.wait_for_function(_READY_DRAWN, timeout=timeout, polling=100)
    else:
        pg.wait_for_selector(READY, timeout=timeout)


def wait_charts(pg, n: int, timeout: float = 60_000) -> None:
    """At least n Plotly charts have drawn their SVG."""
    pg.wait_for_function(
        "n => document.querySelectorAll(\"[data-testid='stPlotlyChart'] .main-svg\").length >= n",
        arg=n, timeout=timeout)


def chart_count(pg) -> int:
    return pg.locator("[data-testid='stPlotlyChart']").count()


_SETTLED = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-testid='stSkeleton']") || document.querySelector("__HELD__")) return false;
  // a table inside a closed expander (a chart's 图表数据) is not drawn until opened: only the shown ones count
  const frames = Array.from(document.querySelectorAll("[data-testid='stDataFrame']"))
    .filter(f => !f.closest('details:not([open])') && f.getBoundingClientRect().height > 0);
  if (!frames.every(f => f.querySelector('canvas'))) return false;
  const charts = Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"));
  if (!charts.every(c => c.querySelector('.main-svg'))) return false;
  const block = document.querySelector("[data-testid='stMainBlockContainer']");
  const h = block ? block.scrollHeight : 0;
  window.__stable = (window.__lastHeight === h) ? (window.__stable || 0) + 1 : 0;
  window.__lastHeight = h;
  return window.__stable >= 3;   // the same height on three polls in a row: lazy elements have rendered
}""".replace("__HELD__", HELD)


def wait_settled(pg, timeout: float = 60_000) -> None:
    """The run has finished, tables and charts have rendered and the layout has stopped growing."""
    pg.wait_for_function(_SETTLED, timeout=timeout, polling=100)


def screenshot_full(pg, path: Path) -> None:
    """A full-page screenshot: Streamlit scrolls inside its main container, so grow the viewport to fit it."""
    wait_settled(pg)
    vp = pg.viewport_size
    height = pg.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " ...Array.from(document.querySelectorAll(\"[data-testid='stMain'], [data-testid='stAppViewContainer'],"
        " [data-testid='stMainBlockContainer']\")).map(e => e.scrollHeight))")
    height = int(min(max(vp["height"], height), 12_000))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if height > vp["height"]:
            pg.set_viewport_size({"width": vp["width"], "height": height})
            pg.wait_for_selector(READY)
            # two animation frames: the charts re-lay out to the new size before the shot
            pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        pg.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        pg.set_viewport_size(vp)
