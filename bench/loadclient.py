"""A bounded load client that speaks Streamlit's own protocol: N sessions at once, no browser.

Each session opens `ws://127.0.0.1:PORT/_stcore/stream` with the subprotocol `streamlit` (what the frontend
sends; Streamlit reads its second and third entries as the XSRF token and a session to resume, both absent
here), sends `BackMsg.rerun_script` (ClientState: query_string, page_script_hash, widget_states) and reads
`ForwardMsg`s until `script_finished`, timing each step:

  overview      the default page, as a new visitor opens it (with the run of its charts' fragment that the
                page's script asks for once the browser has painted the page: a tab's first charts follow its
                cards, dashboard/ui/charts.py)
  year          the sidebar's 年度 changed to the year before (widget id from the first run's deltas)
  department    the sidebar's 部门 set to one department (a different one per session)
  dept_page     部门画像 (its page_script_hash from the first run's `navigation` message)
  download      the page's first list download: `backend_operation_request.deferred_file` (the app's downloads
                are generated when clicked), then an HTTP GET of the media URL the server answers with

Bounded: loopback only (anything but 127.0.0.1 is refused), at most MAX_SESSIONS sessions, MAX_REQUESTS
requests and a wall-clock budget (a session still running at the deadline is cut off and counted). An error is
a step that failed, timed out or drew an exception or an `st.error`. Use with a server started with sign-in
mode `none` (the default; bench.server.start_server). `python -m bench.loadclient --url http://127.0.0.1:PORT
--sessions 5` runs it against a running server.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from dashboard.ui.charts import PAINTED_COMPONENT

MAX_SESSIONS = 200
MAX_REQUESTS = 20_000
MAX_BUDGET_S = 900.0
STEPS = ("overview", "year", "department", "dept_page", "download")
DEPARTMENT_PAGE = "department"  # url_pathname of 部门画像 (dashboard/registry.py)
YEAR_LABEL, DEPT_LABEL = "年度", "部门（主管部门）"  # the sidebar's filters (dashboard/ui/filters.py)


class LoadError(Exception):
    """A step that did not end as a user would expect (the message says what was seen)."""


def loopback(base_url: str) -> tuple[str, int]:
    """host, port of an http://127.0.0.1:PORT URL; anything else is refused (the client loads only this machine)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port:
        raise ValueError(f"load client: only http://127.0.0.1:PORT is allowed, not {base_url!r}")
    return parts.hostname, parts.port


@dataclass
class Run:
    """What one script run sent: its elements by kind, and how it ended."""
    seconds: float
    metrics: list[tuple[str, str]] = field(default_factory=list)  # (label, body) of every st.metric
    widgets: dict[str, object] = field(default_factory=dict)  # label → selectbox / multiselect proto
    downloads: list = field(default_factory=list)  # DownloadButton protos
    errors: list[str] = field(default_factory=list)  # exceptions and st.error texts
    pages: dict[str, str] = field(default_factory=dict)  # url_pathname → page_script_hash (navigation)
    messages: int = 0
    after_paint: list[str] = field(default_factory=list)  # fragment ids holding charts.PAINTED_COMPONENT


class Counter:
    """Requests sent by every session together, bounded by MAX_REQUESTS (or less)."""

    def __init__(self, limit: int):
        self.limit, self.n = limit, 0

    def take(self) -> None:
        if self.n >= self.limit:
            raise LoadError(f"request limit {self.limit} reached")
        self.n += 1


class Session:
    """One visitor: a websocket to the server and the client state the frontend would keep."""

    def __init__(self, base_url: str, counter: Counter, timeout: float):
        host, port = loopback(base_url)
        self.base_url = f"http://{host}:{port}"
        self.ws_url = f"ws://{host}:{port}/_stcore/stream"
        self.counter, self.timeout = counter, timeout
        self.ws = None
        self.query_string = ""
        self.page_hash = ""
        self.states: dict[str, BackMsg] = {}  # widget id → WidgetState (what the frontend resends each run)
        self.pages: dict[str, str] = {}
        self.session_id = ""  # the server's id of this session (new_session), which backend requests name

    async def __aenter__(self):
        self.counter.take()
        self.ws = await asyncio.wait_for(connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                                 open_timeout=self.timeout), self.timeout)
        return self

    async def __aexit__(self, *exc):
        if self.ws is not None:
            await self.ws.close()

    def set_state(self, widget_id: str, kind: str, value) -> None:
        msg = BackMsg()
        ws = msg.rerun_script.widget_states.widgets.add()
        ws.id = widget_id
        if kind == "string_array_value":
            ws.string_array_value.data.extend(value)
        else:
            setattr(ws, kind, value)
        self.states[widget_id] = ws

    async def rerun(self, page_hash: str | None = None) -> Run:
        """A rerun with the current widget states (as the frontend sends on every change); waits for its end."""
        if page_hash is not None:
            self.page_hash = page_hash
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash
        for ws in self.states.values():
            cs.widget_states.widgets.add().CopyFrom(ws)
        self.counter.take()
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run(0.0)
        await asyncio.wait_for(self._read_run(run), self.timeout)
        if run.after_paint:
            # as the page's script does once the browser has painted the page: a tab's first charts are drawn by a
            # run of one fragment (dashboard/ui/charts.py), and the step ends when they have been sent (the
            # script's trigger value is not read by the app: the request's fragment is what it asks for)
            for fragment_id in dict.fromkeys(run.after_paint):
                cs.fragment_id = fragment_id
                self.counter.take()
                await self.ws.send(msg.SerializeToString())
                await asyncio.wait_for(self._read_run(run), self.timeout)
        run.seconds = time.perf_counter() - started
        self.pages.update(run.pages)
        return run

    async def _read_run(self, run: Run) -> None:
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            run.messages += 1
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                _collect(fwd.delta.new_element, run)
                if (fwd.delta.new_element.WhichOneof("type") == "bidi_component"
                        and fwd.delta.new_element.bidi_component.component_name == PAINTED_COMPONENT):
                    run.after_paint.append(fwd.delta.fragment_id)
            elif kind == "page_info_changed":
                self.query_string = fwd.page_info_changed.query_string
            elif kind == "navigation":
                run.pages.update({p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages})
            elif kind == "new_session":
                self.page_hash = fwd.new_session.page_script_hash or self.page_hash
                self.session_id = fwd.new_session.initialize.session_id or self.session_id
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {fwd.page_not_found.page_name}")
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.errors.append("script compile error")
                    return
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # a rerun the script asked for itself (st.rerun, a widget callback): wait for it
                return

    async def download(self, button) -> int:
        """The deferred download of `button`: its URL from the server, then the file over HTTP; bytes received."""
        url = await self.file_url(button)
        self.counter.take()
        body = await asyncio.to_thread(get, url, self.timeout)
        if not body.startswith(b"PK"):
            raise LoadError(f"download is not an .xlsx file ({len(body)} bytes)")
        return len(body)

    async def file_url(self, button) -> str:
        """A click on the deferred download `button`: the server runs its callable and answers with the URL."""
        msg = BackMsg()
        req = msg.backend_operation_request
        req.request_id = f"load-{id(self)}-{button.deferred_file_id}"
        req.session_id = self.session_id
        req.deferred_file.file_id = button.deferred_file_id
        self.counter.take()
        await self.ws.send(msg.SerializeToString())

        async def answer():
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await self.ws.recv())
                if (fwd.WhichOneof("type") == "backend_operation_response"
                        and fwd.backend_operation_response.request_id == req.request_id):
                    return fwd.backend_operation_response

        resp = await asyncio.wait_for(answer(), self.timeout)
        if resp.error_msg:
            raise LoadError(f"download refused: {resp.error_msg} {resp.error_reason}")
        url = resp.deferred_file.url
        if url.startswith("/"):
            url = self.base_url + url
        loopback(url)  # the media URL must stay on this server
        return url


def get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # loopback only (checked by the caller)
        return resp.read()


def _collect(el, run: Run) -> None:
    kind = el.WhichOneof("type")
    if kind == "metric":
        run.metrics.append((el.metric.label, el.metric.body))
    elif kind in ("selectbox", "multiselect"):
        run.widgets[getattr(el, kind).label] = getattr(el, kind)
    elif kind == "download_button":
        run.downloads.append(el.download_button)
    elif kind == "exception":
        run.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
    elif kind == "alert" and el.alert.format == Alert.ERROR:
        run.errors.append(f"st.error: {el.alert.body[:200]}")


@dataclass
class Step:
    session: int
    name: str
    seconds: float | None
    error: str | None = None


@dataclass
class Pace:
    """How sessions arrive and read: session i starts at i × ramp_s / n (arrivals spread over the ramp) and
    reads each page for a think time drawn uniformly from `think_s` (seeded: every run the same) before the
    next step. think_s = (0, 0), ramp_s = 0: every session at once, back to back (the worst case)."""
    think_s: tuple[float, float] = (0.0, 0.0)
    ramp_s: float = 0.0
    seed: int = 1


async def visit(index: int, base_url: str, counter: Counter, timeout: float, steps: list[Step],
                seen: dict[int, list], pace: Pace, n: int, all_done: asyncio.Event, year_index: int = 1) -> None:
    """One session's path through the app (STEPS); appends a Step for each, stops at the first failure.
    The session stays connected until every session has finished (`all_done`), so the server holds all of
    them at once when the memory is sampled."""
    rng = random.Random(pace.seed * 1_000_003 + index)

    async def think():  # a reader's pause between pages (the load model), not a wait for the server
        lo, hi = pace.think_s
        if hi > 0:
            await asyncio.sleep(rng.uniform(lo, hi))

    name = "connect"
    if pace.ramp_s > 0:
        await asyncio.sleep(index * pace.ramp_s / n)
    def failed() -> bool:
        return any(st.session == index and st.error for st in steps)

    try:
        async with Session(base_url, counter, timeout) as s:
            await _steps(index, s, steps, seen, think, year_index)
            await all_done.wait()
    except asyncio.CancelledError:
        if not failed():
            steps.append(Step(index, "cut off", None, "cut off at the time budget"))
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error with its reason
        if not failed():
            steps.append(Step(index, name, None, f"{exc.__class__.__name__}: {exc}"[:300]))
    finally:
        if not any(st.session == index and st.name == "end" for st in steps):
            steps.append(Step(index, "end", None))


async def _steps(index: int, s: Session, steps: list[Step], seen: dict[int, list], think, year_index: int) -> None:
    name = "overview"
    try:
        run = await s.rerun("")
        _check(run)
        seen[index] = run.metrics
        steps.append(Step(index, name, run.seconds))

        await think()
        name = "year"
        year = run.widgets.get(YEAR_LABEL)
        if year is None or not year.options:
            raise LoadError("no 年度 filter on the overview")
        pick = year.options[min(year_index, len(year.options) - 1)]  # 1: the year before the latest
        s.set_state(year.id, "string_value", pick)
        run = await s.rerun()
        _check(run)
        steps.append(Step(index, name, run.seconds))

        await think()
        name = "department"
        dept = run.widgets.get(DEPT_LABEL)
        if dept is None or not dept.options:
            raise LoadError("no 部门 filter on the overview")
        s.set_state(dept.id, "string_array_value", [dept.options[index % len(dept.options)]])
        run = await s.rerun()
        _check(run)
        steps.append(Step(index, name, run.seconds))

        await think()
        name = "dept_page"
        page = s.pages.get(DEPARTMENT_PAGE)
        if not page:
            raise LoadError("部门画像 is not in the navigation")
        run = await s.rerun(page)
        _check(run)
        steps.append(Step(index, name, run.seconds))

        await think()
        name = "download"
        buttons = [b for b in run.downloads if b.deferred_file_id and not b.disabled
                   and b.label.endswith("Excel")] or [b for b in run.downloads if b.deferred_file_id
                                                      and not b.disabled]
        if not buttons:
            raise LoadError("no enabled download on 部门画像")
        t = time.perf_counter()
        await s.download(buttons[0])
        steps.append(Step(index, name, time.perf_counter() - t))
    except asyncio.CancelledError:
        steps.append(Step(index, name, None, "cut off at the time budget"))
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error with its reason
        steps.append(Step(index, name, None, f"{exc.__class__.__name__}: {exc}"[:300]))
    finally:
        steps.append(Step(index, "end", None))  # this session has no more steps to take


def _check(run: Run) -> None:
    if run.errors:
        raise LoadError("; ".join(run.errors[:3]))


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run(base_urls: str | list[str], sessions: int, budget_s: float = 300.0, timeout: float = 120.0,
        max_requests: int = MAX_REQUESTS, pace: Pace | None = None, hold=None, year_index: int = 1) -> dict:
    """`sessions` sessions at once (session i on replica i mod len(base_urls): a sticky split); the figures.

    `hold()`, if given, runs (in a thread) once every session has taken its steps, while all are still
    connected: where the caller samples the server's memory; its result is returned as `held`. `year_index`:
    which option of 年度 the year step picks (0 the latest, 1 the year before)."""
    bases = [base_urls] if isinstance(base_urls, str) else list(base_urls)
    for b in bases:
        loopback(b)
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"load client: 1 to {MAX_SESSIONS} sessions, not {sessions}")
    budget_s = min(float(budget_s), MAX_BUDGET_S)
    counter = Counter(min(int(max_requests), MAX_REQUESTS))
    steps: list[Step] = []
    seen: dict[int, list] = {}

    pace = pace or Pace()
    held: dict = {}

    async def main():
        all_done = asyncio.Event()
        tasks = [asyncio.create_task(visit(i, bases[i % len(bases)], counter, timeout, steps, seen, pace,
                                           sessions, all_done, year_index)) for i in range(sessions)]
        deadline = time.monotonic() + budget_s
        while sum(1 for st in steps if st.name == "end") < sessions and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # polling the sessions' progress, not a wait for the server
        if hold is not None and time.monotonic() < deadline:
            held["value"] = await asyncio.to_thread(hold)
        all_done.set()
        _done, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.monotonic()))
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    started = time.perf_counter()
    asyncio.run(main())
    wall = time.perf_counter() - started
    out = summarise([st for st in steps if st.name != "end"], seen, sessions, wall, counter.n, len(bases))
    out["held"] = held.get("value")
    out["pace"] = {"think_s": list(pace.think_s), "ramp_s": pace.ramp_s, "seed": pace.seed}
    return out


def summarise(steps: list[Step], seen: dict, sessions: int, wall: float, requests: int, replicas: int = 1) -> dict:
    times = [s.seconds for s in steps if s.seconds is not None]
    errors = [f"session {s.session} {s.name}: {s.error}" for s in steps if s.error]
    complete = sum(1 for i in range(sessions)
                   if {s.name for s in steps if s.session == i and s.error is None} >= set(STEPS))
    by_step = {}
    for name, group in itertools.groupby(sorted((s for s in steps if s.seconds is not None),
                                                key=lambda s: STEPS.index(s.name)), key=lambda s: s.name):
        vals = [s.seconds for s in group]
        by_step[name] = {"p50_s": percentile(vals, 50), "p95_s": percentile(vals, 95), "n": len(vals)}
    failed = {s.session for s in steps if s.error}
    silent = sessions - complete - len(failed)  # neither finished nor failed (cannot happen; counted if it does)
    return {"sessions": sessions, "replicas": replicas, "steps": len(times), "complete": complete,
            "errors": len(errors) + max(0, silent),
            "error_list": errors[:20], "p50_s": percentile(times, 50), "p95_s": percentile(times, 95),
            "max_s": max(times, default=None), "wall_s": wall, "requests": requests, "by_step": by_step, "times": times,
            "metrics_seen": {i: m for i, m in seen.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadclient", description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", required=True,
                        help="http://127.0.0.1:PORT of a running server (repeat for replicas: a sticky split)")
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--budget", type=float, default=300.0, help="seconds before the sessions are cut off")
    args = parser.parse_args(argv)
    out = run(args.url, args.sessions, budget_s=args.budget)
    out.pop("metrics_seen")
    out.pop("times")
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if out["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
