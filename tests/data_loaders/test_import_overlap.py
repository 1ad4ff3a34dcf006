"""Reading and writing overlap (issue 28): import_files reads the write side's state while the child parses
(importer._prepare, isolated's `meanwhile`); the result is the one without the overlap, a bad row late in the
file still leaves the database unchanged, and a writer that commits meanwhile makes the importer read afresh."""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import pytest
from import_set import dump

from dashboard.core import db
from data_loaders import importer, isolated, write

HEADER = ["年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "执行数"]


def _csv(as_of: str, codes: range, executed=lambda i: 30 + i, last=None) -> tuple[str, bytes]:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for i in codes:
        w.writerow([2024, as_of, f"部门{i % 3}", f"部门{i % 3}单位{i % 5}", f"P{i:05d}", f"项目{i}", 100 + i, executed(i)])
    if last is not None:
        w.writerow(last)
    return f"监控_{as_of}.csv", out.getvalue().encode("utf-8-sig")


@pytest.fixture
def seen(monkeypatch):
    """What each import's writer started from: True when it used the prepared reads."""
    used: list[bool] = []
    real = write.Writer.load_state

    def spy(self):
        used.append(self.prepared is not None)
        real(self)
    monkeypatch.setattr(write.Writer, "load_state", spy)
    return used


def _two_imports(url: str) -> list:
    first = importer.import_files(url, [_csv("2024-06-30", range(5))])
    second = importer.import_files(url, [_csv("2024-08-31", range(5), executed=lambda i: 50 + i)])
    return [first, second]


def test_the_overlapped_import_equals_the_serial_one(db_url, tmp_path, monkeypatch, seen):
    overlapped = _two_imports(db_url)
    assert seen == [True, True]  # both writers started from the reads made while their file was parsed
    second = overlapped[1]
    assert second.ok and second.counts["monitoring"] == {"inserted": 5, "updated": 0, "unchanged": 0}
    # Σ 执行数 of each project's latest report: 30..34 before, 50..54 after
    assert second.changes["years"]["2024"]["executed"] == {"before": 160.0, "after": 260.0, "delta": 100.0}
    assert second.changes["projects"]["changed"]["count"] == 5

    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    monkeypatch.setattr(importer, "_prepare", lambda *_a, **_k: None)
    serial = _two_imports(serial_url)
    assert seen[2:] == [False, False]
    assert [r.counts for r in serial] == [r.counts for r in overlapped]
    assert [r.changes for r in serial] == [r.changes for r in overlapped]
    assert dump(serial_url) == dump(db_url)


def test_a_bad_row_late_in_the_file_leaves_the_database_unchanged(db_url, seen):
    assert importer.import_files(db_url, [_csv("2024-06-30", range(50))]).ok
    before = dump(db_url)
    version = db.data_version(db_url)
    bad = _csv("2024-08-31", range(3000), last=[2024, "2024-08-31", "部门0", "部门0单位0", "P00001", "项目1", 100, "很多"])
    result = importer.import_files(db_url, [bad])
    assert not result.ok and result.batch_id is None
    assert any("3002" in str(p) or p.row == 3002 for p in result.errors), [str(p) for p in result.errors][:3]
    assert seen[-1] is True  # the preparation was used, and the refusal still rolled everything back
    assert dump(db_url) == before
    assert db.data_version(db_url) == version


def test_a_writer_committing_during_the_parse_makes_the_importer_read_afresh(db_url, tmp_path, monkeypatch, seen):
    assert importer.import_files(db_url, [_csv("2024-06-30", range(5))]).ok
    real = importer._prepare
    racing = _csv("2024-07-31", range(3, 8), executed=lambda i: 40 + i)  # creates P00005..P00007

    def prepare_then_race(url, rules, year):
        got = real(url, rules, year)
        monkeypatch.setattr(importer, "_prepare", real)  # the racing import prepares normally
        assert importer.import_files(url, [racing]).ok  # another writer commits after the preparation
        return got
    monkeypatch.setattr(importer, "_prepare", prepare_then_race)
    main = importer.import_files(db_url, [_csv("2024-08-31", range(8), executed=lambda i: 50 + i)])
    assert main.ok
    assert seen[-1] is False  # the data version moved: the prepared reads were dropped
    assert main.counts["monitoring"]["inserted"] == 8 and main.counts["projects"]["inserted"] == 0

    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    for source in (_csv("2024-06-30", range(5)), racing, _csv("2024-08-31", range(8), executed=lambda i: 50 + i)):
        assert importer.import_files(serial_url, [source]).ok
    assert dump(serial_url) == dump(db_url)


@pytest.mark.parametrize("spawn", [False, True])
def test_meanwhile_runs_beside_the_child_and_its_failure_is_dropped(monkeypatch, spawn):
    if spawn:  # the threaded server's path: a fresh interpreter
        monkeypatch.setattr(isolated.threading, "active_count", lambda: 2)
    name, data = _csv("2024-06-30", range(20))
    calls = []

    def failing():
        calls.append(time.monotonic())
        raise RuntimeError("the database is away")
    result = isolated.read_file_isolated(data, name, meanwhile=failing)
    assert calls and not result.problems and len(result.tables[0].frame) == 20


def _descendants() -> dict[int, str]:
    """This process's descendants (children, and the fork server's children) and their states ("Z": exited, not
    yet waited for)."""
    parents, states = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError, ValueError):
            continue
        pid = int(stat.parent.name)
        parents[pid], states[pid] = int(ppid), state
    found, todo = {}, [os.getpid()]
    while todo:
        parent = todo.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = states[pid]
                todo.append(pid)
    return found


@pytest.mark.parametrize("spawn", [False, True])
def test_an_answer_waiting_after_a_late_meanwhile_is_read_not_timed_out(monkeypatch, spawn):
    if spawn:
        monkeypatch.setattr(isolated.threading, "active_count", lambda: 2)
    name, data = _csv("2024-06-30", range(20))
    isolated.read_file_isolated(data, name)  # the fork server (spawn) is up before the processes are counted
    before = _descendants()
    seen = set()

    def late():  # returns past the child's deadline, once the child has written its answer and exited
        started = time.monotonic()
        while time.monotonic() - started < 120:
            now = {pid: state for pid, state in _descendants().items() if pid not in before}
            seen.update(now)
            if seen and all(now.get(pid, "Z") == "Z" for pid in seen):  # gone (reaped by the fork server) or a zombie
                break
            time.sleep(0.05)
        time.sleep(2.5)
    started = time.monotonic()
    result = isolated.read_file_isolated(data, name, timeout_s=2.0, meanwhile=late)
    assert not result.problems and len(result.tables[0].frame) == 20
    assert seen and time.monotonic() - started < 60  # the child was seen to end, not waited out for two minutes


def test_a_slow_child_still_times_out_with_meanwhile(monkeypatch):
    monkeypatch.setattr(isolated.threading, "active_count", lambda: 1)  # the forked path, whatever threads run
    monkeypatch.setattr(isolated, "read_file", lambda *a, **k: time.sleep(60))  # the forked child inherits it
    name, data = _csv("2024-06-30", range(5))
    started = time.monotonic()
    result = isolated.read_file_isolated(data, name, timeout_s=0.5, meanwhile=lambda: time.sleep(0.2))
    assert time.monotonic() - started < 10
    [problem] = result.problems
    assert "超过 0.5 秒" in problem.message
