"""import_ratio: importing a 100,000-row 绩效监控 workbook ÷ python-calamine merely reading it.

Rows name existing projects of the latest year by 项目编码 (so they link, as a real monthly report does) at a
new 监控截止日期. Where the year has fewer projects than rows (county, city), each further pass over the
projects uses the next day, so every (project, date) pair is distinct and newer than the demo's records.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from sqlalchemy import select

HEADERS = ["年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "执行数",
           "执行率", "目标完成进度", "偏差原因", "完成目标可能性", "是否需要整改", "整改要求"]
LIKELIHOOD = ("确定能", "有可能", "完全不可能")
REASONS = ("", "", "", "项目招标延迟", "资金拨付滞后", "政策调整")


def latest_projects(url: str):
    from dashboard.db import get_engine
    from dashboard.metrics import available_years
    from dashboard.models import Department, Project, Unit

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
        r = i + 1
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
    wb.close()
    return {"rows": rows, "year": year, "projects": n, "as_of": as_of.isoformat(), "dates": len(dates),
            "bytes": path.stat().st_size}


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


def time_import(url: str, path: Path, fresh_target, repeat: int = 2) -> tuple[float, dict]:
    # CPU time of this process is reported beside the wall time: on a busy machine it is the steadier figure
    # (for PostgreSQL it leaves out the server's work, so the official ratio stays the wall-clock one)
    """Best time of data_loaders.importer.import_files on the workbook, each attempt on a clean target.

    `fresh_target()` returns (url, cleanup) — a copy of a SQLite database, or the same PostgreSQL database
    with cleanup undoing the batch — so the demo database keeps its contents.
    """
    from data_loaders.importer import import_files

    data = path.read_bytes()
    best, best_cpu, info = float("inf"), float("inf"), {}
    for _ in range(repeat):
        target, cleanup = fresh_target()
        try:
            t, c = time.perf_counter(), time.process_time()
            result = import_files(target, [(path.name, data)])
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
            if not result.ok:
                shown = "; ".join(str(p) for p in result.errors[:5])
                raise RuntimeError(f"benchmark import refused ({len(result.errors)} errors): {shown}")
            best, best_cpu = min(best, elapsed), min(best_cpu, cpu)
            info = {"import_cpu_s": best_cpu, "batch_id": result.batch_id, "counts": result.counts.get("monitoring", {}),
                    "warnings": len(result.warnings)}
        finally:
            cleanup(info.get("batch_id"))
    return best, info


_PEAK = (
    "import resource, sys\n"
    "from dashboard.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
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
