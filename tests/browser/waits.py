"""What the browser tests wait on: Streamlit's own signals that a script run has finished, never a fixed sleep.

`wait_ready` is bench/server.py's (the page's h1 on screen, stApp connected and `notRunning`, no chart's place
kept for the run that draws a tab's first charts) plus the status widget gone: Streamlit mounts
`[data-testid=stStatusWidget]` ("Running…", or stale) while a run is under way and unmounts it when the app is
idle, so a check made after `wait_ready` reads the finished page, not the previous run's elements. Outcomes of a
click are awaited with Playwright's `expect` (it retries until the element under test shows the value); its
timeout is raised for a busy machine in conftest.py.
"""

from __future__ import annotations

from bench import server as srv

# a generous bound, not a pause: the wait ends as soon as the signal shows. A fresh server's first run imports
# pandas and Plotly and opens the database; on an overloaded machine (load 25 on two cores) that took over 60 s
TIMEOUT = 180_000

IDLE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector("[data-testid='stStatusWidget']")
    && !document.querySelector("__HELD__");  // a tab's first charts still to come (ui/charts.py)
}""".replace("__HELD__", srv.HELD)


def wait_idle(pg, timeout: float = TIMEOUT) -> None:
    """The app is connected, no script run is under way and the status widget has gone."""
    pg.wait_for_function(IDLE, timeout=timeout, polling=100)


def wait_ready(pg, title: str | None = None, timeout: float = TIMEOUT) -> None:
    """The page's h1 (when given) is on screen and the app is idle."""
    srv.wait_ready(pg, title, timeout)
    wait_idle(pg, timeout)
