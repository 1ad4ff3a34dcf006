"""The warming thread: one per server process, off the request path, keyed on the data version.

`start(settings)` (called by dashboard/app.py on each run; only the first call per process starts anything)
starts a daemon thread that runs dashboard.metrics.warm.warm for each database URL it was given, and again
whenever that URL's data version (or the judging day) changes — after an import, an undo or a demo load, from
this process or another one. Between checks it waits `[performance] warm_poll_s` seconds; each check is one
small query. Bounded: one thread, at most MAX_URLS databases (the oldest is forgotten), a database that fails
MAX_FAILURES checks in a row is dropped. Only a real Streamlit server warms: under AppTest's mocked runtime
(the tests, the benchmark's cold page runs) `start` does nothing. `[performance] warm = false` turns it off.

After warming a URL it calls `visit(settings, years, limit)`, when start was given one (dashboard/app.py gives
dashboard.previsit.departments: each department's 总览 and 部门画像 opened once, off the request path), and logs
"pre-visited …" with what it did.

The server starts the thread on its first script run: the readiness probe `/_stcore/script-health-check`
(`server.scriptHealthCheckEnabled`, see docs/deployment.md) makes that run happen when the server starts,
before any user's visit.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections import OrderedDict

from streamlit.logger import get_logger
from streamlit.runtime import Runtime

from dashboard.core.db import data_version
from dashboard.core.settings import Settings
from dashboard.metrics.warm import warm

# Streamlit's logger: its handler and level (logger.level, info by default) put the warming in the server log
log = get_logger("dashboard.warm")

MAX_URLS = 4
MAX_FAILURES = 3
QUIET_S = 0.5  # background work (the pre-visits) starts only when no session's run has ended for this long …
MAX_WAIT_S = 30.0  # … or when it has waited this long (so it still advances, slowly, under constant load)

_runs = {"running": 0, "ended": 0.0}  # the sessions' script runs in progress in this process, when the last ended
_runs_lock = threading.Lock()

_lock = threading.Lock()
_warmer: Warmer | None = None


@contextlib.contextmanager
def session_run():
    """Around each session's script run (dashboard/app.py main): what `wait_quiet` waits for."""
    with _runs_lock:
        _runs["running"] += 1
    try:
        yield
    finally:
        with _runs_lock:
            _runs["running"] -= 1
            _runs["ended"] = time.monotonic()


def wait_quiet(quiet_s: float = QUIET_S, max_wait_s: float = MAX_WAIT_S, sleep=time.sleep) -> float:
    """Wait until no session's run is in progress and none ended within `quiet_s` (at most `max_wait_s`);
    the seconds waited. Background work calls it before each step, so that readers' runs go first."""
    started = time.monotonic()
    while True:
        now = time.monotonic()
        with _runs_lock:
            busy = _runs["running"] > 0
            idle_for = now - _runs["ended"]
        if (not busy and idle_for >= quiet_s) or now - started >= max_wait_s:
            return now - started
        sleep(quiet_s if busy else quiet_s - idle_for)  # a wait for the sessions' runs to pass, bounded above


def _settle() -> int:
    """After a warming: one full garbage collection, then every object still alive moved out of the collector's
    reach (gc.freeze) until the next warming (gc.unfreeze in Warmer.check); the objects frozen.

    The caches the warming and the pre-visits fill (figures, list pages, trend lines) are long-lived objects, and
    Python's automatic full collection walks every one of them: with the county demo pre-visited a full collection
    took 0.3 s of the interpreter, and when it fell inside a reader's run that step took 0.48 s instead of 0.15 s.
    Frozen, they are not walked. A frozen object that becomes cyclic garbage before the next warming (a cache entry
    evicted) is freed only after that warming unfreezes it: memory can grow by at most what was frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def real_server() -> bool:
    """A real `streamlit run` process (not AppTest, whose runtime is a mock of Runtime)."""
    try:
        return type(Runtime.instance()) is Runtime
    except Exception:  # noqa: BLE001 - no runtime at all: bare mode
        return False


class Warmer(threading.Thread):
    def __init__(self, poll_s: float, visit=None):
        super().__init__(name="dashboard-warm", daemon=True)
        self.poll_s = float(poll_s)
        self.visit = visit  # visit(settings, years, limit) → dict, after each warming (dashboard/previsit.py)
        self.targets: OrderedDict[str, Settings] = OrderedDict()
        self.done: dict[str, tuple] = {}  # url → (data version, judging day) last warmed
        self.results: dict[str, dict] = {}
        self.failures: dict[str, int] = {}
        self.wake = threading.Event()

    def add(self, settings: Settings) -> None:
        with _lock:
            url = settings.db_url
            new = url not in self.targets
            self.targets[url] = settings
            self.targets.move_to_end(url)
            while len(self.targets) > MAX_URLS:
                old, _ = self.targets.popitem(last=False)
                self.done.pop(old, None)
        if new:
            self.wake.set()

    def check(self, url: str, settings: Settings) -> None:
        """Warm `url` if its data version or judging day changed since the last warming."""
        today = settings.effective_today()
        key = (data_version(url), today)
        if self.done.get(url) == key:
            return
        perf = settings.performance
        gc.unfreeze()  # what the last warming kept out of the collector's walks may be garbage now (see _settle)
        result = warm(url, settings.rules, today, years=perf.warm_years)
        self.done[url] = (result["version"], today)
        self.results[url] = result
        log.info("warmed %s version %s years %s in %.2f s", url.split("://")[0], result["version"],
                 result["years"], result["seconds"])
        got = None
        if self.visit is not None and perf.warm_departments > 0:
            got = self.visit(settings, result["years"], perf.warm_departments)
        frozen = _settle()
        if got is not None:
            log.info("pre-visited %s version %s: %d departments, years %s, %d visits (%d failed%s) in %.2f s; "
                     "%d objects frozen", url.split("://")[0], got["version"], got["departments"], got["years"],
                     got["visits"], got["failed"], ", stopped: the data changed" if got["stopped"] else "",
                     got["seconds"], frozen)

    def run(self) -> None:
        while True:
            with _lock:
                targets = list(self.targets.items())
            for url, settings in targets:
                try:
                    self.check(url, settings)
                    self.failures.pop(url, None)
                except Exception:
                    n = self.failures[url] = self.failures.get(url, 0) + 1
                    log.warning("warming %s failed (%d in a row)", url.split("://")[0], n, exc_info=n == 1)
                    if n >= MAX_FAILURES:
                        with _lock:
                            self.targets.pop(url, None)
                        self.failures.pop(url, None)
            self.wake.wait(self.poll_s)  # the interval between data-version checks, not a wait for a result
            self.wake.clear()


def start(settings: Settings, visit=None) -> Warmer | None:
    """Start (once per process) or extend the warming thread with this database; None when warming is off.
    `visit`: what the thread does after each warming (see the module's docstring); the first call's counts."""
    global _warmer
    if not settings.performance.warm or not real_server():
        return None
    with _lock:
        if _warmer is None:
            _warmer = Warmer(settings.performance.warm_poll_s, visit)
            _warmer.start()
        warmer = _warmer
    warmer.add(settings)
    return warmer

