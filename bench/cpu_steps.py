"""CPU seconds per script run of each step the load client drives (bench/loadclient.py), under AppTest.

    python -m bench.cpu_steps --db bench/out/county.db [--repeat 5] [--profile dept_page] [--cold]

Each round is one visitor's path in a new AppTest: 总览 (overview), 年度 changed to the year before (year), one
部门 picked (department), 部门画像 opened (dept_page), and its first list's Excel generated (download: the
callable behind the deferred download button, as the server runs it on a click). The figure is
time.process_time of the step (the CPU this process spent, threads included), best of `repeat` rounds; the
first round (imports, the app's first runs) is discarded. With `--cold` every round picks another department
(as 50 load sessions do: session i takes department i mod n), so the department's own figures miss the caches;
without it every round picks the same one (the warm single-session baseline). `--profile STEP` prints a
cProfile of that step's last round (cumulative, the top lines). AppTest parses the run's messages back into
its element tree: that cost is AppTest's, not the server's, and is counted here too (the same in before and after).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
STEPS = ("overview", "year", "department", "dept_page", "download")


_PROFILE: list = []  # the profile a script run records into (in the script runner's own thread), if any
_SCRIPT_CPU: list[float] = []  # CPU seconds of each script run in its own thread (time.thread_time)
_GC = {"s": 0.0, "n": 0, "t": 0.0}  # seconds in the cyclic garbage collector (any thread), collections of gen 2


def _gc_timer(phase: str, info: dict) -> None:
    if phase == "start":
        _GC["t"] = time.process_time()
    else:
        _GC["s"] += time.process_time() - _GC["t"]
        _GC["n"] += info.get("generation") == 2


def _profile_script_runs() -> None:
    """The script runs in ScriptRunner's thread, which cProfile in the main thread does not see: profile there."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner  # lazy: loads with AppTest

    if getattr(ScriptRunner, "_cpu_steps", False):
        return
    run = ScriptRunner._run_script

    def _run_script(self, rerun_data):
        prof = _PROFILE[0] if _PROFILE else None
        started = time.thread_time()
        if prof is not None:
            prof.enable()
        try:
            return run(self, rerun_data)
        finally:
            if prof is not None:
                prof.disable()
            _SCRIPT_CPU.append(time.thread_time() - started)

    ScriptRunner._run_script = _run_script
    ScriptRunner._cpu_steps = True


def _timed(fn, prof: cProfile.Profile | None = None) -> tuple[float, float, float, int]:
    """(process CPU seconds, CPU seconds of the script runs in their own thread, CPU seconds in the garbage
    collector, full collections) of fn()."""
    t = time.process_time()
    _PROFILE[:] = [prof] if prof is not None else []
    _SCRIPT_CPU.clear()
    _GC.update(s=0.0, n=0)
    try:
        fn()
    finally:
        _PROFILE[:] = []
    return time.process_time() - t, sum(_SCRIPT_CPU), _GC["s"], _GC["n"]


_MANAGERS: dict[str, object] = {}  # deferred file id → the (AppTest's) media file manager that holds it


def _record_managers() -> None:
    """AppTest drops its mock runtime after each run: remember which manager registered each deferred file."""
    from streamlit.runtime.media_file_manager import MediaFileManager  # lazy: loads with AppTest

    if getattr(MediaFileManager, "_cpu_steps", False):
        return
    add = MediaFileManager.add_deferred

    def add_deferred(self, *args, **kwargs):
        file_id = add(self, *args, **kwargs)
        _MANAGERS[file_id] = self
        return file_id

    MediaFileManager.add_deferred = add_deferred
    MediaFileManager._cpu_steps = True


def _download(at) -> None:
    """Run the deferred callable of the page's first enabled Excel download (what a click makes the server do):
    the first whose label ends in Excel, as the load client picks."""
    buttons = [b.proto for b in at.get("download_button") if b.proto.deferred_file_id and not b.proto.disabled]
    buttons = [b for b in buttons if b.label.endswith("Excel")] or buttons
    if not buttons:
        raise RuntimeError("no enabled download")
    file_id = buttons[0].deferred_file_id
    _MANAGERS[file_id].execute_deferred(file_id)


def one_round(index: int, profiles: dict | None, profile_step: str | None) -> dict[str, tuple[float, float]]:
    from streamlit.testing.v1 import AppTest  # lazy: the harness on demand

    at = AppTest.from_file(str(APP), default_timeout=120)
    out: dict[str, float] = {}
    state = {}

    def check():
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])

    def overview():
        at.run()
        check()

    def year():
        box = at.selectbox(key="year")
        state["years"] = box.options
        box.set_value(int(box.options[1])).run()
        check()

    def department():
        ids = _dept_ids(at)
        at.multiselect(key="departments").set_value([ids[index % len(ids)]]).run()
        check()

    def dept_page():
        at.switch_page("../pages/department.py")
        at.run()
        check()

    def download():
        _download(at)

    for name, fn in zip(STEPS, (overview, year, department, dept_page, download)):
        prof = cProfile.Profile() if profiles is not None and name == profile_step else None
        out[name] = _timed(fn, prof)
        if prof is not None:
            profiles[name] = prof
    return out


def _dept_ids(at) -> list[int]:
    from dashboard.ui import filters  # lazy: the app's modules load under AppTest's first run

    ctx = at.session_state[filters.CTX_KEY]
    return [d for d, _ in ctx.departments]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "bench" / "out" / "county.db"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cold", action="store_true", help="another department each round")
    ap.add_argument("--profile", choices=STEPS)
    ap.add_argument("--lines", type=int, default=45)
    ap.add_argument("--freeze", action="store_true", help="gc.freeze() after the first (discarded) round")
    ap.add_argument("--sort", default="cumulative")
    ap.add_argument("--callers", help="print the callers of functions matching this (with --profile)")
    args = ap.parse_args(argv)
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(args.db).resolve()}"
    _record_managers()
    _profile_script_runs()
    gc.callbacks.append(_gc_timer)
    one_round(0, None, None)  # imports and the first runs: not counted
    if args.freeze:
        gc.freeze()
    rounds = []
    profiles: dict = {}
    for i in range(args.repeat):
        rounds.append(one_round(i + 1 if args.cold else 0, profiles, args.profile))
    def best(s, i):
        return min(r[s][i] for r in rounds)

    def med(s, i):
        return sorted(r[s][i] for r in rounds)[len(rounds) // 2]

    print("CPU seconds per step; process = the whole process (AppTest's own work included), "
          "script = the script run's thread")
    print("step         process best   median   script best   median   gc median  full gcs")
    for s in STEPS:
        print(f"{s:<12} {best(s, 0):12.3f} {med(s, 0):8.3f} {best(s, 1):13.3f} {med(s, 1):8.3f} "
              f"{med(s, 2):11.3f} {sum(r[s][3] for r in rounds):9d}")
    print(f"{'total':<12} {sum(best(s, 0) for s in STEPS):12.3f} {sum(med(s, 0) for s in STEPS):8.3f} "
          f"{sum(best(s, 1) for s in STEPS):13.3f} {sum(med(s, 1) for s in STEPS):8.3f}")
    if args.profile and args.profile in profiles:
        buf = io.StringIO()
        pstats.Stats(profiles[args.profile], stream=buf).sort_stats(args.sort).print_stats(args.lines)
        print(buf.getvalue())
        if args.callers:
            buf = io.StringIO()
            pstats.Stats(profiles[args.profile], stream=buf).sort_stats(args.sort).print_callers(args.callers)
            print(buf.getvalue())


if __name__ == "__main__":
    main()
