"""import_ratio: importing a 100,000-row 绩效监控 workbook ÷ python-calamine merely reading it.

Rows name existing projects of the latest year by 项目编码 (so they link, as a real monthly report does) at a
new 监控截止日期. Where the year has fewer projects than rows (county, city), each further pass over the
projects uses the next day, so every (project, date) pair is distinct and newer than the demo's records.

import_overhead_ratio (issue 28): each import ÷ max(the calamine read right before it, the insert floor right
after it). The floor is the database's own bulk write (`writes.bulk_insert`: executemany on SQLite, COPY on
PostgreSQL) of exactly the rows the import inserted (`batch_rows`: departments, units, projects, monitoring
records and change-log rows created by its batch, ids included), in one transaction holding the writer lock,
into the state the import started from: for a fresh year another empty database (committed, `insert_floor`);
for an existing year the same populated database — a fresh copy of the SQLite file (committed, then thrown
away), or on PostgreSQL the database itself once the import was undone, the transaction rolled back
(`existing_floor`). Updates (the latest flag of older reports) are not in the floor: they are overhead.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from sqlalchemy import select

HEADERS = ["年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "执行数",
           "执行率", "目标完成进度", "偏差原因", "完成目标可能性", "是否需要整改", "整改要求"]
LIKELIHOOD = ("确定能", "有可能", "完全不可能")
REASONS = ("", "", "", "项目招标延迟", "资金拨付滞后", "政策调整")


def latest_projects(url: str):
    from dashboard.core.db import get_engine
    from dashboard.core.models import Department, Project, Unit
    from dashboard.metrics import available_years

    year = available_years(url)[0]
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            select(Project.code, Project.name, Department.name, Unit.name, Project.adjusted_budget,
                   Project.initial_budget)
            .join(Department, Department.id == Project.department_id)
            .outerjoin(Unit, Unit.id == Project.unit_id)
            .where(Project.year == year, Project.code.is_not(None))
            .order_by(Project.id)).all()
    return year, rows


def _monitoring_row(ws, r: int, date_fmt, i: int, year: int, day: dt.date, dept: str, unit: str | None, code: str,
                    name: str, budget: float, executed: float, share: float) -> None:
    """Row `r` of a 绩效监控 sheet in the column order of HEADERS / FRESH_SUB; `i` picks the reason and the
    likelihood so that every workbook of the same size says the same."""
    ws.write_number(r, 0, year)
    ws.write_datetime(r, 1, dt.datetime.combine(day, dt.time()), date_fmt)
    ws.write_string(r, 2, dept)
    if unit:
        ws.write_string(r, 3, unit)
    ws.write_string(r, 4, code)
    ws.write_string(r, 5, name)
    ws.write_number(r, 6, budget)
    ws.write_number(r, 7, executed)
    ws.write_number(r, 8, round(share, 4))
    ws.write_number(r, 9, round(min(1.0, share + 0.05), 4))
    reason = REASONS[i % len(REASONS)]
    if reason:
        ws.write_string(r, 10, reason)
    ws.write_string(r, 11, LIKELIHOOD[i % 3 if share < 0.5 else 0])
    ws.write_string(r, 12, "否")


def write_workbook(url: str, path: Path, rows: int = 100_000, as_of: dt.date | None = None) -> dict:
    """The workbook (xlsxwriter, constant memory). Returns what it holds."""
    import xlsxwriter

    year, projects = latest_projects(url)
    if not projects:
        raise RuntimeError("the benchmark database has no projects with a code in its latest year")
    as_of = as_of or dt.date(year, 9, 30)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("绩效监控")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)
    dates = set()
    n = len(projects)
    for i in range(rows):
        code, name, dept, unit, adjusted, initial = projects[i % n]
        day = as_of + dt.timedelta(days=i // n)
        dates.add(day)
        budget = round(float(adjusted if adjusted is not None else (initial or 100.0)), 4)
        share = 0.35 + (i * 7919 % 600) / 1000  # 0.35 … 0.95, deterministic
        executed = round(budget * share, 4)
        _monitoring_row(ws, i + 1, date_fmt, i, year, day, dept, unit, code, name, budget, executed, share)
    wb.close()
    return {"rows": rows, "year": year, "projects": n, "as_of": as_of.isoformat(), "dates": len(dates),
            "bytes": path.stat().st_size}


def time_upload_reads(path: Path, files: int = 10) -> dict:
    """The upload page's reading of one small file: `read_file_isolated` called from a second thread, so this
    process has two (as the web server does) and every child comes from the fork server. The first read starts
    the fork server (first_s); then `files` reads (median_s), against the same file read in this process
    (in_process_s, best of 3): upload_read_ratio = median_s ÷ in_process_s."""
    import statistics
    import threading

    from data_loaders.isolated import read_file_isolated
    from data_loaders.reader import read_file

    data, times, failed = path.read_bytes(), [], []

    def reads() -> None:
        for _ in range(files + 1):
            t = time.perf_counter()
            result = read_file_isolated(data, path.name)
            times.append(time.perf_counter() - t)
            if not result.tables:
                failed.append("; ".join(p.message for p in result.errors[:3]))
                return

    reader = threading.Thread(target=reads, name="upload-reads")
    reader.start()
    reader.join()
    if failed:
        raise RuntimeError(f"the upload read of {path.name} failed: {failed[0]}")
    here = []
    for _ in range(3):
        t = time.perf_counter()
        read_file(data, path.name)
        here.append(time.perf_counter() - t)
    median = statistics.median(times[1:])
    return {"first_s": times[0], "median_s": median, "max_s": max(times[1:]), "files": files,
            "in_process_s": min(here), "ratio": median / min(here), "bytes": len(data)}


def time_calamine(path: Path, repeat: int = 3) -> tuple[float, float]:
    """Best wall time (and best CPU time of this process) for python-calamine alone to read every sheet."""
    from python_calamine import CalamineWorkbook

    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        wb = CalamineWorkbook.from_path(str(path))
        for i in range(len(wb.sheet_names)):
            wb.get_sheet_by_index(i).to_python()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best, best_cpu


def time_import(url: str, path: Path, fresh_target, repeat: int = 2, after=None, floor=None) -> tuple[float, dict]:
    # CPU time of this process is reported beside the wall time: on a busy machine it is the steadier figure
    # (for PostgreSQL it leaves out the server's work, so the official ratio stays the wall-clock one)
    """Best time of data_loaders.importer.import_files on the workbook, each attempt on a clean target and
    right after one python-calamine read of the same file (info["paired_ratio"]: the best import ÷ read pair).

    `fresh_target()` returns (url, cleanup) — a copy of a SQLite database, or the same PostgreSQL database
    with cleanup undoing the batch — so the demo database keeps its contents. `after(target)` runs on the last
    attempt's target before its cleanup. `floor` = (capture(target, batch_id) → rows, write(rows) → {"total_s"…}):
    each attempt's rows are captured before the cleanup and written right after it, so the read, the import and
    the floor of one attempt see the same machine load; info["overhead_ratio"] is the best import ÷ max(read,
    floor) of an attempt, info["floor"] that attempt's floor.
    """
    from data_loaders.importer import import_files

    data = path.read_bytes()
    best, best_cpu, info = float("inf"), float("inf"), {}
    pairs = []  # (calamine read right before, the import): the ratio of each pair sees the same machine load
    floors: list[dict] = []
    child_cpus: list[float] = []
    server_cpus: list[float] = []  # the PostgreSQL server's CPU during each import (0 for SQLite: in-process)
    for _ in range(repeat):
        target, cleanup = fresh_target()
        captured = None
        try:
            read_s, read_cpu_s = time_calamine(path, repeat=1)
            t, c = time.perf_counter(), time.process_time()
            children, server = _children_cpu(), _server_cpu(url)
            result = import_files(target, [(path.name, data)])
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
            child_cpu = _children_cpu() - children  # the parsing child's CPU (forked; 0 where it could not say)
            server_cpus.append(_server_cpu(url) - server)
            if not result.ok:
                shown = "; ".join(str(p) for p in result.errors[:5])
                raise RuntimeError(f"benchmark import refused ({len(result.errors)} errors): {shown}")
            best, best_cpu = min(best, elapsed), min(best_cpu, cpu)
            pairs.append((read_s, elapsed, read_cpu_s, cpu))
            child_cpus.append(child_cpu)
            if floor is not None:
                captured = floor[0](target, result.batch_id)
            if after is not None and len(pairs) == repeat:  # e.g. insert_floor, on what the import wrote
                after(target)
            info = {"import_cpu_s": best_cpu, "child_cpu_s": child_cpu, "batch_id": result.batch_id,
                    "counts": result.counts.get("monitoring", {}),
                    "warnings": len(result.warnings), "pairs": pairs,
                    "paired_ratio": min(i / r for r, i, _, _ in pairs),
                    "paired_cpu_ratio": min(ic / rc for _, _, rc, ic in pairs)}
        finally:
            cleanup(info.get("batch_id"))
        if captured is not None:
            floors.append(floor[1](captured))
    if floors:
        ratios = [i / max(r, f["total_s"]) for (r, i, _, _), f in zip(pairs, floors)]
        k = min(range(len(ratios)), key=ratios.__getitem__)
        # the same in CPU seconds (the importer's and its parsing child's ÷ max(read, floor)): steadier on a
        # loaded machine; on PostgreSQL it leaves out the server's work on both sides
        cpu = [(ic + cc) / max(rc, f["cpu_s"]) for (_, _, rc, ic), cc, f in zip(pairs, child_cpus, floors)]
        # the least wall time the same work could take on this machine, every core busy all the time (the CPU of
        # the importer, its parsing child and a local PostgreSQL server ÷ the cores) ÷ max(read, floor): no
        # overlap of this work goes below it
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        bound = [(ic + cc + sc) / cores / max(r, f["total_s"])
                 for (r, _, _, ic), cc, sc, f in zip(pairs, child_cpus, server_cpus, floors)]
        # the smaller of the attempts': the server's background work (autovacuum after the previous attempt's
        # undo, a checkpoint) can land in one attempt and is not this import's
        b = min(range(len(bound)), key=bound.__getitem__)
        info.update(overhead_ratio=ratios[k], floor=floors[k], floors_s=[f["total_s"] for f in floors],
                    overhead_ratios=ratios, overhead_cpu_ratio=min(cpu), cores=cores, cores_bound=bound[b],
                    cores_bounds=bound, server_cpu_s=server_cpus[b], server_cpus_s=server_cpus)
    return best, info


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _server_cpu(url: str) -> float:
    """CPU seconds a PostgreSQL server on this machine has used so far: every live `postgres` process's own, plus
    what the postmaster's ended children (the connections closed since it started) used. The difference of two
    readings is the server's CPU between them. 0 for another database or a server whose processes are not here.
    A connection that ends while the processes are read moves its CPU into the postmaster's: the reading is taken
    again until the postmaster's figure is the same after the others were read as before."""
    if not url.startswith("postgresql"):
        return 0.0
    total = 0
    for _ in range(20):
        procs = _postgres_procs()
        masters = {pid: times for pid, times in procs.items() if times[0] not in procs}
        total = sum(u + s + (cu + cs if pid in masters else 0) for pid, (_, u, s, cu, cs) in procs.items())
        again = _postgres_procs(masters)
        if all(again.get(pid, ())[3:] == times[3:] for pid, times in masters.items()):
            break  # nothing was reaped while the others were read
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_procs(only=None) -> dict[int, tuple[int, ...]]:
    """pid → (parent, utime, stime, cutime, cstime) in clock ticks of every `postgres` process (`only`: those pids)."""
    found = {}
    for stat in ([Path(f"/proc/{pid}/stat") for pid in only] if only is not None else Path("/proc").glob("[0-9]*/stat")):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if comm == "postgres":  # rest[1] the parent, rest[11:15] utime, stime, cutime, cstime
            found[int(stat.parent.name)] = (int(rest[1]), *(int(x) for x in rest[11:15]))
    return found


# VmHWM is the process's own peak (ru_maxrss survives exec on Linux: it would report the bench process's size
# at the fork once that is larger)
_PEAK = (
    "import re, sys\n"
    "from dashboard.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('PEAK_KB', re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    "sys.exit(code)\n"
)


def import_peak_mb(path: Path, fresh_target) -> float:
    """Peak resident memory of `python -m dashboard import` on the workbook, in a process of its own (MB).

    The memory budget of an accepted file (README): the whole command, reading, checking and writing.
    """
    import subprocess
    import sys

    target, cleanup = fresh_target()
    batch = None
    try:
        done = subprocess.run([sys.executable, "-c", _PEAK, "--db", target, "import", str(path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"import for the memory figure failed: {done.stderr[-500:]}")
        peak = [line for line in done.stdout.splitlines() if line.startswith("PEAK_KB")]
        batch_line = [line for line in done.stdout.splitlines() if "批次" in line]
        if batch_line:
            digits = "".join(ch if ch.isdigit() else " " for ch in batch_line[-1].split("批次", 1)[1]).split()
            batch = int(digits[0]) if digits else None
        return int(peak[-1].split()[1]) / 1024
    finally:
        cleanup(batch)


# ------------------------------------------------------------------------------------------------ import_fresh

FRESH_TOP = ["年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "预算执行情况", None, None,
             "目标完成进度", "偏差原因", "完成目标可能性", "是否需要整改"]
FRESH_SUB = [None, None, None, None, None, None, "调整后预算数", "执行数", "执行率", None, None, None, None]


def write_fresh_workbook(path: Path, rows: int = 100_000, year: int = 2025, departments: int = 80,
                         units_per_department: int = 6) -> dict:
    """A 绩效监控 workbook as a bureau sends it for a year nobody has imported: a title row, 金额单位：元, a
    two-row header (预算执行情况 merged over 调整后预算数 | 执行数 | 执行率, the rest merged down), amounts in 元,
    one row per project — so an import into an empty database creates every department, unit and project."""
    import xlsxwriter

    as_of = dt.date(year, 9, 30)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("绩效监控")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    last = len(FRESH_TOP) - 1
    ws.merge_range(0, 0, 0, last, f"{year}年1-9月项目支出绩效监控情况表")
    ws.write_string(1, 0, "填报单位（盖章）：某省财政厅")
    ws.write_string(1, last, "金额单位：元")
    for c, (top, sub) in enumerate(zip(FRESH_TOP, FRESH_SUB)):
        if top == "预算执行情况":
            ws.merge_range(2, c, 2, c + 2, top)
        elif top is not None:
            ws.merge_range(2, c, 3, c, top)
    for c, sub in enumerate(FRESH_SUB):
        if sub:
            ws.write_string(3, c, sub)
    dept_names = [f"省第{d + 1:03d}厅局" for d in range(departments)]
    first = 4
    for i in range(rows):
        d = i % departments
        u = (i // departments) % units_per_department
        budget = 10_000.0 * (5 + (i * 7919) % 995)  # 5 万 … 1,000 万 in 元
        share = 0.35 + (i * 104729 % 600) / 1000
        _monitoring_row(ws, first + i, date_fmt, i, year, as_of, dept_names[d], f"{dept_names[d]}第{u + 1}单位",
                        f"F{year}{i + 1:07d}", f"项目{i + 1:07d}", budget, round(budget * share, 2), share)
    wb.close()
    return {"rows": rows, "year": year, "projects": rows, "departments": departments,
            "units": departments * units_per_department, "as_of": as_of.isoformat(), "bytes": path.stat().st_size}


def empty_target_factory(url: str, workdir: Path, name_suffix: str = "empty"):
    """Where each fresh import goes: a new SQLite file, or a new PostgreSQL database beside `url` (dropped after);
    the schema is created before the clock starts."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from dashboard.core import db

    if url.startswith("sqlite"):
        def fresh_sqlite():
            path = workdir / f"import-{name_suffix}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            target = f"sqlite:///{path}"
            db.init_db(target)

            def cleanup(_batch_id):
                db.get_engine(target).dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
            return target, cleanup
        return fresh_sqlite

    base = make_url(db.normalise_url(url))
    name = f"{base.database}_{name_suffix}"[:63]
    target = base.set(database=name).render_as_string(hide_password=False)

    def admin(sql: str) -> None:
        engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def fresh_pg():
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')
        db.init_db(target)

        def cleanup(_batch_id):
            db.get_engine(target).dispose()
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return target, cleanup
    return fresh_pg


FLOOR_TABLES = ("departments", "units", "projects", "monitoring")
BATCH_TABLES = (*FLOOR_TABLES, "change_log")  # what batch_rows reads back, in foreign-key order


def batch_rows(url: str, batch_id: int | None = None, tables=BATCH_TABLES) -> dict:
    """The rows batch `batch_id` inserted (created_batch_id; the change log by batch_id), ids included, as frames
    in foreign-key order; every row when `batch_id` is None (an import into an empty database). The batch columns
    are write_floor's to fill: the batch belongs to the database the rows came from."""
    from sqlalchemy import select

    from dashboard.core import db, writes
    from dashboard.core.models import Base

    frames = {}
    with db.get_engine(url).connect() as conn:  # every table has an id; change_log's batch is batch_id
        for name in tables:
            t = Base.metadata.tables[name]
            stmt = select(t).order_by(t.c.id)
            if batch_id is not None:
                stmt = stmt.where((t.c.batch_id if name == "change_log" else t.c.created_batch_id) == batch_id)
            frames[name] = writes.read_frame(conn, stmt)
    if "change_log" in frames:  # an undo keeps the log's rows: new ids, as the import's own insert takes them
        frames["change_log"] = frames["change_log"].drop(columns="id")
    return {k: v for k, v in frames.items() if len(v) or k in FLOOR_TABLES}


def write_floor(frames: dict, target_factory, *, commit: bool = True) -> dict:
    """Seconds for `writes.bulk_insert` of `frames` into a target of `target_factory()` in one transaction that
    first takes the writer lock and records a batch (as the importer's), whose id the rows' batch columns take;
    committed or rolled back (its end is inside the clock)."""
    from dashboard.core import db, writes
    from dashboard.core.models import Base

    target, cleanup = target_factory()
    try:
        engine = db.get_engine(target)
        with engine.connect() as conn:
            per = {}
            t0, c0 = time.perf_counter(), time.process_time()
            trans = conn.begin()
            try:
                writes.lock_writers(conn)
                batch = writes.open_batch(conn, source="import", user=None, files=[])
                for name, frame in frames.items():
                    t1 = time.perf_counter()
                    batch_cols = [c for c in ("created_batch_id", "batch_id") if c in frame.columns]
                    writes.bulk_insert(conn, Base.metadata.tables[name], frame.drop(columns=batch_cols),
                                       constants=dict.fromkeys(batch_cols, batch))
                    per[name] = time.perf_counter() - t1
            except BaseException:
                trans.rollback()
                raise
            if commit:
                trans.commit()
            else:
                trans.rollback()
            total, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        cleanup(None)
    return {"total_s": total, "cpu_s": cpu, **{f"{k}_s": v for k, v in per.items()},
            "rows": {k: len(v) for k, v in frames.items()}, "committed": commit}


def insert_floor(imported_url: str, fresh_target, repeat: int = 2) -> dict:
    """What any importer must pay to write the rows an import into an empty database wrote: the same
    departments, units, projects and monitoring rows (ids included), read back from `imported_url` before the
    clock starts, inserted into another empty database of the same schema through the one bulk path
    (`dashboard.core.writes.bulk_insert`: executemany on SQLite, COPY on PostgreSQL) in one transaction with every
    index and foreign key in place. Best of `repeat`; seconds per table and in all."""
    frames = batch_rows(imported_url, None, FLOOR_TABLES)
    best: dict = {}
    for _ in range(repeat):
        got = write_floor(frames, fresh_target)
        if not best or got["total_s"] < best["total_s"]:
            best = got
    return best


def fresh_floor(floor_target):
    """time_import's `floor` for an import into an empty database: every row it wrote, into another empty one."""
    return (lambda target, _batch: batch_rows(target, None),
            lambda frames: write_floor(frames, floor_target, commit=True))


def existing_floor(fresh_target, sqlite: bool):
    """time_import's `floor` for an import into the populated database: the rows its batch inserted, written into
    the state it started from — a fresh copy of the SQLite file (committed, then thrown away), or PostgreSQL itself
    after the batch was undone (rolled back)."""
    def capture(target, batch):
        frames = batch_rows(target, batch)
        # a report of a project stored before goes in unflagged (the import's insert does the same; moving the
        # latest flag from the older report is an update, outside the floor): the database refuses two latest
        mt, created = frames["monitoring"], set(frames["projects"]["id"].tolist())
        mt["is_latest"] = mt["is_latest"].where(mt["project_id"].isin(created), False)
        return frames

    return capture, lambda frames: write_floor(frames, fresh_target, commit=sqlite)
