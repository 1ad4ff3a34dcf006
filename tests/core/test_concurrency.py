"""Two writers at once: imports and undo in separate processes serialise per database and leave exactly the
state of running them one after the other; the database itself refuses a second latest monitoring record."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from dashboard.core import db
from dashboard.core import models as m

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "执行数"]


def _monitoring_csv(path: Path, as_of: str, projects: range) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in projects:
            out.writerow([2024, as_of, f"部门{i % 7}", f"部门{i % 7}单位{i % 21}", f"P{i:06d}", f"项目{i}", 100 + i % 9,
                          round(30 + (i % 50) * 1.1, 2)])
    return path


def _cli(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dashboard", "--db", url, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out + err


def _state(url: str) -> dict:
    """Every data row by its natural key, without ids, batch numbers or times."""
    with db.get_engine(url).connect() as conn:
        projects = conn.execute(text("SELECT year, code, name, adjusted_budget FROM projects ORDER BY year, code")).all()
        monitoring = conn.execute(text(
            "SELECT p.code, r.as_of, r.executed, r.is_latest FROM monitoring r JOIN projects p ON p.id = r.project_id"
            " ORDER BY p.code, r.as_of")).all()
        departments = conn.execute(text("SELECT name FROM departments ORDER BY name")).scalars().all()
    return {"projects": [tuple(r) for r in projects], "monitoring": [(c, str(d), e, bool(x)) for c, d, e, x in monitoring],
            "departments": list(departments)}


def _latest_per_project(url: str) -> int:
    with db.get_engine(url).connect() as conn:
        return conn.execute(text(
            "SELECT COUNT(*) FROM (SELECT project_id FROM monitoring WHERE is_latest GROUP BY project_id"
            " HAVING COUNT(*) > 1) AS doubled")).scalar_one()


@pytest.fixture
def files(tmp_path):
    # overlapping projects, different as-of dates: both writers create projects and move the latest flag
    a = _monitoring_csv(tmp_path / "a.csv", "2024-06-30", range(2000))
    b = _monitoring_csv(tmp_path / "b.csv", "2024-08-31", range(1000, 3000))
    return a, b


@pytest.mark.postgres
def test_two_concurrent_imports_equal_running_them_in_turn(pg_url, pg_url_2, files):
    concurrent, sequential = pg_url, pg_url_2
    db.init_db(concurrent)
    procs = [_cli(concurrent, "import", str(f)) for f in files]
    results = [_finish(p) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert _latest_per_project(concurrent) == 0

    db.init_db(sequential)
    for f in files:
        assert _finish(_cli(sequential, "import", str(f)))[0] == 0
    assert _state(concurrent) == _state(sequential)
    state = _state(concurrent)
    assert len(state["projects"]) == 3000
    assert len(state["monitoring"]) == 4000
    assert sum(1 for row in state["monitoring"] if row[3]) == 3000  # one latest per project
    code, out = _finish(_cli(concurrent, "summary", "--year", "2024", "--json"))
    assert code == 0 and '"projects": 3000' in out, out


@pytest.mark.postgres
def test_undo_during_an_import_equals_running_them_in_turn(pg_url, files):
    url = pg_url
    db.init_db(url)
    first, second = files
    assert _finish(_cli(url, "import", str(first)))[0] == 0  # batch 1
    importing = _cli(url, "import", str(second))
    time.sleep(0.3)  # let the import start; the undo then waits for it or it for the undo
    undoing = _cli(url, "undo", "1")
    code_import, out_import = _finish(importing)
    code_undo, out_undo = _finish(undoing)
    assert code_import == 0, out_import
    assert _latest_per_project(url) == 0
    state = _state(url)
    if code_undo == 0:
        # the undo ran first: batch 1's rows are gone, the second file's projects and reports remain
        assert len(state["projects"]) == 2000 and len(state["monitoring"]) == 2000
    else:
        # the import ran first and now uses batch 1's projects: undo is refused with the reason
        assert "无法撤销批次 1" in out_undo
        assert len(state["projects"]) == 3000 and len(state["monitoring"]) == 4000
    assert _finish(_cli(url, "summary", "--year", "2024", "--json"))[0] == 0


def test_database_refuses_a_second_latest_record(db_url):
    db.init_db(db_url)
    with db.get_engine(db_url).begin() as conn:
        dept = conn.execute(insert(m.Department.__table__).returning(m.Department.id), {"name": "部门"}).scalar_one()
        project = conn.execute(insert(m.Project.__table__).returning(m.Project.id),
                               {"year": 2024, "name": "项目", "department_id": dept}).scalar_one()
        conn.execute(insert(m.MonitoringRecord.__table__),
                     {"project_id": project, "as_of": dt.date(2024, 6, 30), "is_latest": True})
    with pytest.raises(Exception, match="(?i)unique"), db.get_engine(db_url).begin() as conn:
        conn.execute(insert(m.MonitoringRecord.__table__),
                     {"project_id": project, "as_of": dt.date(2024, 8, 31), "is_latest": True})
    with db.get_engine(db_url).connect() as conn:
        assert len(conn.execute(select(m.MonitoringRecord.id)).all()) == 1


_REBUILD = (  # import everything, say ready, wait for the common start signal, then rebuild
    "import pathlib, sys, time\n"
    "from dashboard.core import db\n"
    "from dashboard.metrics.facts import ensure_facts\n"
    "url, ready, go = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])\n"
    "version = db.data_version(url)\n"
    "ready.touch()\n"
    "deadline = time.monotonic() + 60\n"
    "while not go.exists() and time.monotonic() < deadline:\n"
    "    time.sleep(0.001)\n"
    "ensure_facts(url, version)\n"
)


@pytest.mark.postgres
def test_two_app_processes_rebuild_project_facts_at_once(pg_url, files, tmp_path):
    db.init_db(pg_url)
    assert _finish(_cli(pg_url, "import", str(files[0])))[0] == 0
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", _REBUILD, pg_url, str(r), str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in ready]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all three start their rebuild within a few milliseconds of each other
    results = [_finish(p) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], results
    with db.get_engine(pg_url).connect() as conn:
        facts = conn.execute(text("SELECT COUNT(*) FROM project_facts")).scalar_one()
        stamp = conn.execute(text("SELECT value FROM meta WHERE key = 'facts_version'")).scalar_one()
    assert facts == 2000 and stamp == str(db.data_version(pg_url))
    code, out = _finish(_cli(pg_url, "summary", "--year", "2024", "--json"))
    assert code == 0 and '"projects": 2000' in out
