"""`python bench/probes_issue23.py [--only SUBSTR] [--no-upload] [--timeout S] [--out FILE]` — issue 23's hostile
files, each built here (tests/hostile_files.py, at the sizes the issue names) into a temporary directory and run
through every path that reads a file, each in its own process:

* the command line: `python -m dashboard --db sqlite:///<fresh copy> import --year 2024 FILE`;
* `sync`: it reads a source *database*, never a file, so the cases that apply are built as source rows (a
  200,000-character text, a 10 MB text, 10 rows of 20 M characters, more rows than `max_rows`, a source wider
  than `max_columns`, 1e308);
* the upload page's reader: `data_loaders.isolated.read_file_isolated` in a process with a second thread alive,
  so the child is a fresh interpreter exactly as under the threaded web server (`--no-upload` skips it).

Each run is bounded (`--timeout`, default 60 s, then the process group is killed). Measured: wall time, exit
code, the first line of stderr (the sentence), whether any output holds a traceback, and the peak memory of the
process tree — the larger of the tree's summed PSS sampled every 20 ms (a forked child's pages shared with its
parent count once) and the largest single process's peak RSS (GNU time's %M, which covers the reaped reading
child; see `run`). A baseline of normal imports (the template with its example rows unmarked, a 10-row CSV) in
the same run gives the "10× a normal import" bound. The criterion for a hostile file: the expected exit code (2;
0 for the valid CR-only and UTF-16 files), no traceback (Python's or a Rust stack backtrace), on the command line
stderr starting with the file's sentence, on the upload reader the sentence's reference number in the log
(stderr), seconds ≤ max(10, 10 × baseline), peak < 500 MB. Prints a Markdown table (and writes it to `--out` when given); exit 1 if
any run misses its criterion.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile_files as H  # the builders the tests use (ROOT on sys.path first)

PY = sys.executable
LIMIT_MB = 500
LIMIT_S = 10.0


# --- measuring one process tree ----------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int:
    """The process's proportional set size: pages shared with a forked parent count once across the tree."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}", encoding="ascii") as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            pass
    return 0


def _tree_pss_kb(root: int) -> int:
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kb(pid)
        todo += _children(pid)
    return total


@dataclass
class Run:
    code: int | None  # None: killed at the timeout
    seconds: float
    pss_mb: float  # the tree's summed PSS, sampled
    maxrss_mb: float  # the largest single process's peak RSS (wait4)
    stdout: str
    stderr: str

    @property
    def peak_mb(self) -> float:
        return max(self.pss_mb, self.maxrss_mb)

    @property
    def memory(self) -> str:
        return f"{self.peak_mb:.0f} ({self.pss_mb:.0f} / {self.maxrss_mb:.0f})"

    @property
    def sentence(self) -> str:
        for line in self.stderr.splitlines():
            if line.strip():
                return line.strip()
        return ""

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr or "Traceback" in self.stdout


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run(argv: list[str], timeout: float, env: dict | None = None) -> Run:
    """`argv` in its own process group, under GNU time when there is one: a process started from this one
    inherits this one's peak RSS across exec (Linux keeps ru_maxrss), so wait4 here would report at least the
    size of this script; `time` is small when it forks the command, and reports the command tree's true peak."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".time") as timed:
        started = time.monotonic()
        full = [TIME, "-q", "-f", "%M", "-o", timed.name, *argv] if TIME else argv
        proc = subprocess.Popen(full, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        peak_kb, maxrss_kb, code = 0, 0, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                maxrss_kb = usage.ru_maxrss
                break
            peak_kb = max(peak_kb, _tree_pss_kb(proc.pid))
            if time.monotonic() - started > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                _pid, status, usage = os.wait4(proc.pid, 0)
                maxrss_kb = usage.ru_maxrss
                break
            time.sleep(0.02)
        seconds = time.monotonic() - started
        proc.returncode = code if code is not None else -9  # reaped by wait4: keep Popen from waiting again
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the run left behind
        except ProcessLookupError:
            pass
        if TIME:
            timed.seek(0)
            words = timed.read().split()
            maxrss_kb = int(words[-1]) if words and words[-1].isdigit() else 0  # none when killed
        out.seek(0)
        err.seek(0)
        return Run(code, seconds, peak_kb / 1024, maxrss_kb / 1024, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"))


# --- the cases -----------------------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    file: str
    build: object  # () -> bytes
    before: str
    expect: int = 2
    out: list = field(default_factory=list)


def _unmarked_template() -> bytes:
    """The template with the example mark removed: one consistent project through every sheet (imports cleanly)."""
    import openpyxl

    from data_loaders.template import build_template
    from data_loaders.validate import EXAMPLE_MARK
    wb = openpyxl.load_workbook(io.BytesIO(build_template()))
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, str):
                    c.value = c.value.replace(EXAMPLE_MARK, "")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_ten() -> bytes:
    return ("\n".join([H.HEADER] + [f"项目{i},区教育局,{i}" for i in range(10)]) + "\n").encode()


ABORT = "abort (exit 134), no sentence"
BASELINES = [
    Case("baseline: template, examples unmarked", "template.xlsx", _unmarked_template, "—", 0),
    Case("baseline: 10-row CSV (LF)", "ten.csv", _csv_ten, "—", 0),
]
FILES = [
    Case("sheet part outside xl/worksheets/", "outside.xlsx", H.corner_outside_worksheets,
         f"corner not seen; parser asks 549,755,813,888 B → {ABORT}"),
    Case("sheet part named .XML", "upper.xlsx", H.corner_upper_case_name, f"corner not seen → {ABORT}"),
    Case("single-quoted refs r='XFD1048576'", "quotes.xlsx", H.corner_single_quotes, f"corner not seen → {ABORT}"),
    Case("newline inside the row tag", "newline.xlsx", H.newline_in_row_tag,
         "1,048,576 × 26 grid read: 1,248 MB, 20.8 s"),
    Case("<dimension> claiming the whole sheet", "dimension.xlsx", H.lying_dimension, "(not in the list)"),
    Case(".xls lying DIMENSIONS", "dims.xls", H.xls_lying_dimensions, f"alloc of 171 GB → {ABORT}"),
    Case(".xls cell at column 65535", "far.xls", H.xls_far_column, f"alloc of 137 GB → {ABORT}"),
    Case(".xls cell at 65536 × 256", "corner.xls", H.xls_format_corner, "16.7 M cells accepted (limit 5 M), 1,289 MB"),
    Case(".xls reversed DIMENSIONS", "reversed.xls", H.xls_reversed_dimensions, "(fuzzing finding: an abort)"),
    Case("quadratic-regex workbook, 2.2 KB", "quad500.xlsx", lambda: H.quadratic_workbook(500),
         "2.3 KB file: 16 s"),
    Case("quadratic-regex workbook, 3.2 KB", "quad2000.xlsx", lambda: H.quadratic_workbook(2000),
         "3.5 KB file: > 600 s (408 s CPU)"),
    Case("quadratic-regex workbook, 15 KB", "quad20000.xlsx", lambda: H.quadratic_workbook(20000),
         "(larger than the issue's)"),
    Case("5,000 overlapping merges", "merges.xlsx", H.overlapping_merges, "2 KB file: > 600 s"),
    Case("200 sheets sharing one 100k-row part", "alias.xlsx", H.aliased_sheets, "1.67 MB file: 5.3 GB, 396 s"),
    Case("CSV 200,000 columns × 50,000 rows", "wide.csv", H.csv_wide, "MemoryError at 3.5 GB"),
    Case("CSV 5,004 × 5,001", "square.csv", H.csv_square, "accepted (limits 200 columns, 5 M cells)"),
    Case("CSV one 10 MB line", "longline.csv", H.csv_long_line, "661 s"),
    Case("CSV one 49 MB line of commas (49 M empty fields)", "commas.csv", H.csv_commas,
         "(new: not in the issue)"),
    Case("CSV 48 lines of 1 M commas joined by quoted newlines (one row)", "joined.csv", H.csv_joined,
         "(new: not in the issue)"),
    Case("CSV field of 200,000 chars (> 131,072)", "longfield.csv", H.csv_long_field,
         "_csv.Error traceback, exit 1"),
    Case("CSV CR-only line endings (valid, 10 rows)", "mac.csv", H.csv_cr_only,
         "_csv.Error traceback, exit 1", 0),
    Case("CSV UTF-16 without BOM (valid, 10 rows)", "u16.csv", H.csv_utf16_no_bom,
         "_csv.Error traceback, exit 1", 0),
    Case("fuzz mutant 355 of the small .xls (Rust parser panics)", "mutant355.xls", lambda: H.mutant(23, 355),
         "5 PanicExceptions in 400 mutants got past `except Exception`"),
    Case("sparse corner A1 + XFD1048576 (round one)", "sparse.xlsx", H.sparse_corner, "held (refused)"),
    Case("zip bomb 1,000 MB (round one)", "bomb.xlsx", H.zip_bomb, "held (refused)"),
]

_MAP = ('[projects]\ntable = "xm"\n[projects.columns]\nnd = "年度"\nbmmc = "主管部门"\n'
        'xmmc = "项目名称"\ntzhys = "调整后预算"\n')


def _source_rows(path: Path, rows) -> tuple[Path, str]:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE xm (nd INTEGER, bmmc TEXT, xmmc TEXT, tzhys REAL)")
        c.executemany("INSERT INTO xm VALUES (?, ?, ?, ?)", rows)
    c.close()
    return path, _MAP


def _source_wide(path: Path, columns: int = 1_999) -> tuple[Path, str]:
    cols = ["项目名称 TEXT", "主管部门 TEXT", "调整后预算 REAL", "年度 INTEGER"] + [f"c{i} TEXT" for i in range(columns - 4)]
    with sqlite3.connect(path) as c:
        c.execute(f"CREATE TABLE xm ({', '.join(cols)})")
        c.execute(f"INSERT INTO xm VALUES ({', '.join('?' * columns)})",
                  ["校舍维修", "区教育局", 100, 2024] + ["x"] * (columns - 4))
    c.close()
    return path, '[projects]\ntable = "xm"\n'


def _ten(i: int) -> tuple:
    return (2024, "区教育局", f"项目{i}", 100 + i)


def _source_huge_rows(path: Path, rows: int = 10, chars: int = 20_000_000) -> tuple[Path, str]:
    """An empty source database and a mapping whose query yields `rows` rows of `chars` characters of text each
    (what a source table of rows × chars bytes holds, without writing it to disk)."""
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (x)")
    c.close()
    query = (f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
             f"SELECT 2024 AS nd, '区教育局' AS bmmc, replace(hex(zeroblob({chars // 2})), '0', 'x') AS xmmc, "
             "100 AS tzhys FROM n")
    return path, _MAP.replace('table = "xm"', f'query = "{query}"')


SYNCS = [
    Case("sync baseline: 10 valid source rows", "", lambda p: _source_rows(p, [_ten(i) for i in range(10)]), "—", 0),
    Case("sync: a 200,000-character text", "",
         lambda p: _source_rows(p, [_ten(0), (2024, "区教育局", "长" * 200_000, 100)]), "traceback, exit 1"),
    Case("sync: a 10,000,000-character text", "",
         lambda p: _source_rows(p, [_ten(0), (2024, "区教育局", "x" * 10_000_000, 100)]), "(not in the list)"),
    Case("sync: 10 source rows of 20,000,000 characters each", "", _source_huge_rows, "(new: not in the issue)"),
    Case("sync: 300,001 source rows (> max_rows)", "",
         lambda p: _source_rows(p, (_ten(i) for i in range(300_001))), "(not in the list)"),
    Case("sync: 1,999-column source, no column map", "", _source_wide, "(not in the list)"),
    Case("sync: two amounts of 1e308 万元", "",
         lambda p: _source_rows(p, [(2024, "区教育局", "甲", 1e308), (2024, "区教育局", "乙", 1e308)]),
         "accepted; summary prints Infinity/NaN"),
]

UPLOAD = r"""
import json, sys, threading, time
from data_loaders.isolated import read_file_isolated
from bench.fuzz_reader import classify
stop = threading.Event()
threading.Thread(target=stop.wait, daemon=True).start()  # a second thread: the child is spawned, as in the server
path, name = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
t = time.perf_counter()
r = read_file_isolated(data, name, year=2024)
took = time.perf_counter() - t
stop.set()
msgs = [p.message for p in r.errors]
print(json.dumps({"kind": classify(r), "seconds": took, "tables": len(r.tables), "rows": sum(len(x.frame) for x in r.tables),
                  "sentence": msgs[0] if msgs else ""}, ensure_ascii=False))
"""


def _verdict(r: Run, expect: int, bound_s: float, file: str = "") -> list[str]:
    bad = []
    if "stack backtrace:" in r.stderr:
        bad.append("Rust stack backtrace on stderr")
    if file and expect == 2 and r.code == 2 and not r.sentence.startswith(f"{file} / "):
        bad.append("stderr does not start with the sentence")
    if r.code is None:
        bad.append("timeout")
    elif r.code != expect:
        bad.append(f"exit {r.code} ≠ {expect}")
    if r.traceback:
        bad.append("traceback")
    if expect == 2 and r.code == 2 and not r.sentence:
        bad.append("no sentence")
    if r.seconds > bound_s:
        bad.append(f"{r.seconds:.1f} s > {bound_s:.1f} s")
    if r.peak_mb >= LIMIT_MB:
        bad.append(f"{r.peak_mb:.0f} MB ≥ {LIMIT_MB} MB")
    return bad


def _cell(text: str, width: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="run only the cases whose name contains this (baselines always run)")
    ap.add_argument("--no-upload", action="store_true", help="skip the upload page's reader")
    ap.add_argument("--no-sync", action="store_true")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--out", help="also write the Markdown here")
    args = ap.parse_args(argv)
    pick = (lambda c: args.only.lower() in c.name.lower()) if args.only else (lambda c: True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASHBOARD_TODAY": "2024-12-31"}
    env.pop("DASHBOARD_SETTINGS", None)  # the documented default [limits]
    lines: list[str] = []
    failures = 0

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    with tempfile.TemporaryDirectory(prefix="probes23-") as tmp:
        tmp = Path(tmp)
        empty = tmp / "empty.db"
        init = run([PY, "-m", "dashboard", "--db", f"sqlite:///{empty}", "init"], args.timeout, env)
        if init.code != 0:
            print(init.stderr, file=sys.stderr)
            return 1

        def fresh(tag: str) -> str:
            db = tmp / f"{tag}.db"
            shutil.copy(empty, db)
            return f"sqlite:///{db}"

        def cli(case: Case, i: int) -> Run:
            path = tmp / case.file
            if not path.exists():
                path.write_bytes(case.build())
            return run([PY, "-m", "dashboard", "--db", fresh(f"c{i}"), "import", "--year", "2024", str(path)],
                       args.timeout, env)

        say(f"Issue 23 probes — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.1f}; bound per run {args.timeout:g} s; python {sys.version.split()[0]}; "
            f"Rust settings in the environment: {' '.join(f'{k}={v}' for k, v in os.environ.items() if k.startswith('RUST_')) or 'none'}")
        say()
        base = []
        for i, case in enumerate(BASELINES):
            r = cli(case, 1000 + i)
            base.append(r.seconds)
            say(f"- {case.name}: exit {r.code}, {r.seconds:.2f} s, {r.memory} MB"
                + (f" — {_cell(r.stderr, 300)}" if r.code else ""))
        bound = max(LIMIT_S, 10 * max(base))
        say(f"- time bound for a hostile file: max({LIMIT_S:g} s, 10 × {max(base):.2f} s) = {bound:.1f} s; memory < {LIMIT_MB} MB")
        say()
        say("| case | size | before (issue 23) | path | after: exit | s | peak MB (tree PSS / max RSS) | sentence (first line of stderr) | ok |")
        say("|---|---|---|---|---|---|---|---|---|")
        for i, case in enumerate(FILES):
            if not pick(case):
                continue
            r = cli(case, i)
            size = (tmp / case.file).stat().st_size
            bad = _verdict(r, case.expect, bound, case.file)
            failures += bool(bad)
            say(f"| {case.name} | {size:,} B | {case.before} | import | {r.code if r.code is not None else 'killed'} | "
                f"{r.seconds:.2f} | {r.memory} | {_cell(r.sentence or r.stdout)} | {'yes' if not bad else 'NO: ' + ', '.join(bad)} |")
            if not args.no_upload:
                u = run([PY, "-c", UPLOAD, str(tmp / case.file), case.file], args.timeout, env)
                try:
                    got = json.loads(u.stdout.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    got = {"kind": f"no answer (exit {u.code})", "sentence": u.stderr[-300:], "rows": 0}
                want = "sentence" if case.expect == 2 else "read"
                ubad = [] if got["kind"] == want else [f"{got['kind']} ≠ {want}"]
                if u.code is None:
                    ubad.append("timeout")
                if u.traceback:
                    ubad.append("traceback")
                ref = got["sentence"].split("参考编号 ")[1][:8] if "参考编号 " in got["sentence"] else ""
                if ref and ref not in u.stderr:  # docs §5: "a reference number the log repeats beside the details"
                    ubad.append(f"reference {ref} not in the server's log (stderr)")
                if u.seconds > bound:
                    ubad.append(f"{u.seconds:.1f} s > {bound:.1f} s")
                if u.peak_mb >= LIMIT_MB:
                    ubad.append(f"{u.peak_mb:.0f} MB")
                failures += bool(ubad)
                what = got["sentence"] or f"read {got.get('rows', 0)} rows"
                read_s = f" (read {got['seconds']:.2f})" if "seconds" in got else ""
                say(f"| 〃 | | | upload reader | {got['kind']} | {u.seconds:.2f}{read_s} | {u.memory} | {_cell(what)} | "
                    f"{'yes' if not ubad else 'NO: ' + ', '.join(ubad)} |")
        if not args.no_sync:
            for i, case in enumerate(SYNCS):
                if not pick(case) and i:
                    continue
                src, mapping = case.build(tmp / f"src{i}.db")
                mfile = tmp / f"map{i}.toml"
                mfile.write_text(mapping, encoding="utf-8")
                r = run([PY, "-m", "dashboard", "--db", fresh(f"s{i}"), "sync", "--source", f"sqlite:///{src}",
                         "--mapping", str(mfile), "--year", "2024"], args.timeout, env)
                bad = _verdict(r, case.expect, bound)
                failures += bool(bad)
                say(f"| {case.name} | {src.stat().st_size:,} B (source db) | {case.before} | sync | "
                    f"{r.code if r.code is not None else 'killed'} | {r.seconds:.2f} | {r.memory} | "
                    f"{_cell(r.sentence or r.stdout)} | {'yes' if not bad else 'NO: ' + ', '.join(bad)} |")
    say()
    say(f"{failures} run(s) missed the criterion." if failures else "Every run met its criterion.")
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
