"""Hostile files are refused before any cell is parsed, in seconds and within a memory budget; a parser
crash or a runaway parse in the isolated child is one clear error for that file."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data_loaders import isolated
from data_loaders.isolated import read_file_isolated
from data_loaders.limits import Limits, TooLarge, check
from data_loaders.reader import read_file
from tests.hostile_files import sparse_corner, zip_bomb

ROOT = Path(__file__).resolve().parents[2]


def many_rows(rows: int) -> bytes:
    lines = ["项目名称,主管部门,调整后预算"] + [f"项目{i},部门,1" for i in range(rows)]
    return "\n".join(lines).encode("utf-8")


def test_sparse_corner_is_refused_before_parsing():
    data = sparse_corner()
    assert len(data) < 10_000
    with pytest.raises(TooLarge, match="第 1,048,576 行，超过单张表 300,000 行的上限"):
        check(data, "corner.xlsx", Limits())


def test_zip_bomb_is_refused_from_the_zip_directory():
    data = zip_bomb()
    assert len(data) < 2_000_000
    with pytest.raises(TooLarge, match="解压后有 1,000.0 MB，超过上限 400 MB"):
        check(data, "bomb.xlsx", Limits())


def test_a_lower_limit_is_honoured_and_named():
    with pytest.raises(TooLarge, match="约有 1,001 行，超过单张表 1,000 行的上限"):
        check(many_rows(1000), "rows.csv", Limits(max_rows=1000))
    check(many_rows(998), "rows.csv", Limits(max_rows=1000))  # within: no exception


def test_file_size_limit():
    with pytest.raises(TooLarge, match="超过单个文件上限 1 MB"):
        check(b"a,b\n" * 300_000, "big.csv", Limits(max_file_mb=1))


@pytest.mark.parametrize("make,expected", [(sparse_corner, "300,000 行的上限"), (zip_bomb, "超过上限 400 MB")])
def test_reader_refuses_hostile_workbooks_fast_and_small(tmp_path, make, expected):
    """The whole read in a fresh process: refused in under 10 s, peak memory under 500 MB."""
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(make())
    # VmHWM is this process's own peak: ru_maxrss survives exec on Linux and would report the pytest worker's
    # size at the fork (over 500 MB once a worker has built a demo database in-process)
    script = (
        "import re, sys, time\n"
        "from data_loaders.reader import read_file\n"
        "t = time.perf_counter()\n"
        f"r = read_file({str(path)!r})\n"
        "print(time.perf_counter() - t)\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)\n"
        "print([p.message for p in r.problems])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    seconds, peak_mb, messages = done.stdout.strip().splitlines()
    assert float(seconds) < 10
    assert int(peak_mb) < 500
    assert expected in messages


def test_child_process_abort_is_one_clear_error():
    # without the inspection the parser allocates the dense grid and aborts: the child dies, we do not
    started = time.perf_counter()
    unlimited = Limits(max_rows=10**9, max_columns=10**6, max_cells=10**18)
    result = read_file_isolated(sparse_corner(), "corner.xlsx", limits=unlimited)
    assert time.perf_counter() - started < 30
    assert result.tables == []
    [problem] = result.problems
    assert problem.file == "corner.xlsx"
    assert "参考编号" in problem.message
    assert "Error" not in problem.message


def test_child_process_time_limit(monkeypatch):
    # a forked child runs this process's code: a parser that never finishes (the forked path is taken whatever
    # threads another test left running; the threaded path is the next test's)
    monkeypatch.setattr(isolated.threading, "active_count", lambda: 1)
    monkeypatch.setattr(isolated, "read_file", lambda *a, **k: time.sleep(60))
    started = time.perf_counter()
    result = read_file_isolated(many_rows(50), "slow.csv", timeout_s=0.5)
    [problem] = result.problems
    assert "超过 0.5 秒仍未完成" in problem.message
    assert time.perf_counter() - started < 30


def test_child_process_time_limit_in_a_threaded_server(monkeypatch):
    # with more than one thread (the web server) the child comes from the fork server, which does not carry this
    # process's monkeypatches: 250,000 rows (0.85 s to read in this process) against a limit of 0.1 s
    monkeypatch.setattr(isolated.threading, "active_count", lambda: 2)
    result = read_file_isolated(many_rows(250_000), "slow.csv", timeout_s=0.1, year=2024)
    [problem] = result.problems
    assert "超过 0.1 秒仍未完成" in problem.message


def test_isolated_read_returns_the_same_tables_as_in_process():
    data = many_rows(50)
    here = read_file(data, "ok.csv")
    there = read_file_isolated(data, "ok.csv")
    assert [len(t.frame) for t in there.tables] == [len(t.frame) for t in here.tables] == [50]
    assert there.tables[0].frame["project_name"].tolist() == here.tables[0].frame["project_name"].tolist()


def test_this_process_is_not_harmed():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    read_file_isolated(zip_bomb(200), "bomb.xlsx")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB
