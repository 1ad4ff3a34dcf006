"""Capacity: N sessions through Streamlit's own protocol (bench/loadclient.py) against the real server.

`load_suite` starts the app (bench/server.py start_server, sign-in mode none, the readiness run warming it),
then, every figure beside the single-session baseline of the same run:

  (each process is measured once its warming thread has pre-visited every department's pages: `previsit`)
  baseline      one warm-up session (discarded), then BASELINE_SESSIONS single sessions one after another: the
                p95 of their steps; the server's own memory (RssAnon) while one session is connected
  sessions      `sessions` sessions on the one process (arrivals spread over the ramp, readers pausing between
                steps, bench.loadclient.Pace): p95 ÷ baseline p95, errors, RssAnon while all are connected →
                memory per extra session
  replicas      the same sessions over `replicas` app processes, session i on process i mod replicas (the
                sticky split of bench/measure.sessions); p95 ÷ the same baseline
  sweep         (optional) N = 1, 5, 10, … on the one process: the largest N whose p95 stays within
                WITHIN × the baseline
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from bench import loadclient
from bench import server as srv

BASELINE_SESSIONS = 3
WITHIN = 3.0  # the p95 a sweep step may reach, × the single-session p95
DEFAULT_PACE = loadclient.Pace(think_s=(5.0, 15.0), ramp_s=30.0)


def _anon(server: srv.Server) -> float:
    return server.memory_mb().get("RssAnon", server.rss_mb())


def _brief(out: dict) -> dict:
    """A run's figures without the per-session metric texts."""
    return {k: v for k, v in out.items() if k != "metrics_seen"}


def baseline(base_url: str, server: srv.Server, budget_s: float = 120.0) -> dict:
    """A warm-up session, then BASELINE_SESSIONS single sessions one after another: their steps' p95."""
    loadclient.run(base_url, 1, budget_s=budget_s)  # warm-up: the pages' first runs in this process
    runs = [loadclient.run(base_url, 1, budget_s=budget_s, hold=lambda: _anon(server))
            for _ in range(BASELINE_SESSIONS)]
    times = [s for r in runs for s in r["times"]]
    return {"p95_s": loadclient.percentile(times, 95), "p50_s": loadclient.percentile(times, 50),
            "steps": len(times), "errors": sum(r["errors"] for r in runs),
            "error_list": [e for r in runs for e in r["error_list"]][:10],
            "anon_one_mb": min(r["held"] for r in runs if r["held"] is not None),
            "by_step": runs[-1]["by_step"]}


def load_suite(db_url: str, out_dir: Path, tag: str, sessions: int = 50, replicas: int = 2,
               pace: loadclient.Pace = DEFAULT_PACE, sweep: tuple[int, ...] = (), budget_s: float = 300.0,
               extra_env: dict | None = None, step=print) -> dict:
    """Every load figure of one database (see the module docstring)."""
    out: dict = {"sessions": sessions, "replicas": replicas,
                 "pace": {"think_s": list(pace.think_s), "ramp_s": pace.ramp_s, "seed": pace.seed}}
    with contextlib.ExitStack() as stack:
        def served(name: str) -> srv.Server:
            # measured once the process has warmed and pre-visited each department's pages (dashboard/previsit.py),
            # as a deputy meets the server at session time
            s = srv.start_server(db_url, out_dir / f"load-{tag}-{name}.log", extra_env=extra_env, script_check=True,
                                 previsits=True)
            stack.callback(s.stop)
            out.setdefault("previsit", {})[name] = s.previsit
            step(f"load: {name} pre-visited {s.previsit['visits']} pages of {s.previsit['departments']} departments "
                 f"(years {s.previsit['years']}) in {s.previsit['seconds']:.1f} s")
            return s

        app = served("app")
        out["idle_anon_mb"] = _anon(app)
        base = out["baseline"] = baseline(app.base_url, app)
        step(f"load: one session p95 {base['p95_s']:.2f} s over {base['steps']} steps "
             f"({base['errors']} errors); RssAnon with one session {base['anon_one_mb']:.0f} MB")

        one = loadclient.run(app.base_url, sessions, budget_s=budget_s, pace=pace, hold=lambda: _anon(app))
        out["one_process"] = _brief(one)
        out["one_process"]["p95_ratio"] = _ratio(one["p95_s"], base["p95_s"])
        if one["held"] is not None and sessions > 1:
            out["per_session_mb"] = (one["held"] - base["anon_one_mb"]) / (sessions - 1)
        step(f"load: {sessions} sessions on one process: p95 {_fmt(one['p95_s'])} s "
             f"= {_fmt(out['one_process']['p95_ratio'])}× one session, {one['errors']} errors, "
             f"{one['wall_s']:.0f} s wall; RssAnon {_fmt(one['held'], 0)} MB with all connected")

        if sweep:
            points = []
            for n in sweep:
                r = loadclient.run(app.base_url, n, budget_s=budget_s, pace=pace)
                points.append({"sessions": n, "p95_s": r["p95_s"], "errors": r["errors"],
                               "p95_ratio": _ratio(r["p95_s"], base["p95_s"]), "wall_s": r["wall_s"]})
                step(f"load: sweep {n} sessions p95 {_fmt(r['p95_s'])} s = {_fmt(points[-1]['p95_ratio'])}×, "
                     f"{r['errors']} errors")
            out["sweep"] = points
            out["max_within"] = max((p["sessions"] for p in points
                                     if p["errors"] == 0 and p["p95_ratio"] is not None
                                     and p["p95_ratio"] <= WITHIN), default=None)

        if replicas > 1:
            others = [served(f"replica{i}") for i in range(1, replicas)]
            for o in others:  # the same warm-up as the first process had
                loadclient.run(o.base_url, 1, budget_s=budget_s)
            t = time.perf_counter()
            rep = loadclient.run([app.base_url] + [o.base_url for o in others], sessions, budget_s=budget_s,
                                 pace=pace)
            out["replica_run"] = _brief(rep)
            out["replica_run"]["p95_ratio"] = _ratio(rep["p95_s"], base["p95_s"])
            out["replica_anon_mb"] = [_anon(app)] + [_anon(o) for o in others]
            step(f"load: {sessions} sessions over {replicas} processes: p95 {_fmt(rep['p95_s'])} s "
                 f"= {_fmt(out['replica_run']['p95_ratio'])}×, {rep['errors']} errors, "
                 f"{time.perf_counter() - t:.0f} s wall")
    return out


def _ratio(a, b):
    return a / b if a is not None and b else None


def _fmt(v, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"
