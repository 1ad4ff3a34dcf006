"""The benchmark's database: build the demo for a scale once, reuse it while its marker says it is complete.

The marker is the demo's own import batch (source 'demo', note '演示数据 scale=S seed=N'), written in the
same transaction as the demo rows, so it exists only for a complete load. The database is reused only when
that batch is the one committed batch (a leftover benchmark import would change the figures), and when
bench/out/demo-markers.json records that it was loaded by the current dashboard/demo/__init__.py (the generator
changes while the project grows; an old province database would measure different data).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def default_url(scale: str) -> str:
    return f"sqlite:///{OUT / f'{scale}.db'}"


def kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else make_url(url).get_backend_name()


def ensure_database(url: str) -> None:
    """PostgreSQL: create the database when it does not exist yet (connecting to the server's `postgres`)."""
    if kind(url) != "postgresql":
        return
    from dashboard.core.db import normalise_url

    u = make_url(normalise_url(url))
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
                print(f"created database {u.database}")
    finally:
        admin.dispose()


MARKERS = OUT / "demo-markers.json"


def _demo_sha() -> str:
    # every module of the generator and loader: a change to any of them invalidates a saved demo database
    digest = hashlib.sha256()
    for path in sorted((ROOT / "dashboard").glob("demo*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _markers() -> dict:
    try:
        return json.loads(MARKERS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_marker(url: str, scale: str, seed: int) -> None:
    from dashboard.core.db import normalise_url

    markers = _markers()
    markers[normalise_url(url)] = {"scale": scale, "seed": seed, "demo_sha": _demo_sha()}
    MARKERS.parent.mkdir(parents=True, exist_ok=True)
    MARKERS.write_text(json.dumps(markers, indent=2, ensure_ascii=False), encoding="utf-8")


def marker_ok(url: str, scale: str, seed: int) -> bool:
    from dashboard.core.db import normalise_url

    mine = _markers().get(normalise_url(url))
    if mine != {"scale": scale, "seed": seed, "demo_sha": _demo_sha()}:
        return False
    return _batch_marker_ok(url, scale, seed)


def _batch_marker_ok(url: str, scale: str, seed: int) -> bool:
    from dashboard.core import db
    from dashboard.core.models import ImportBatch, Project

    if not db.is_initialised(url):
        return False
    with db.get_engine(url).connect() as conn:
        batches = conn.execute(select(ImportBatch.source, ImportBatch.note)
                               .where(ImportBatch.status == "committed")).all()
        has_projects = conn.execute(select(func.count()).select_from(Project)).scalar_one() > 0
    return has_projects and batches == [("demo", f"演示数据 scale={scale} seed={seed}")]


def ensure_demo(url: str, scale: str, seed: int, analyze: bool = True) -> dict:
    """Load the demo unless the marker says this database already holds it. Returns what happened."""
    from dashboard import demo
    from dashboard.core import db

    ensure_database(url)
    db.init_db(url)
    out: dict = {"loaded": False, "seconds": 0.0}
    if not marker_ok(url, scale, seed):
        print(f"loading the {scale} demo (seed {seed}) into {db.normalise_url(url)} …", flush=True)
        started = time.perf_counter()
        out = {"loaded": True, "stats": demo.load_demo(url, scale=scale, seed=seed)}
        out["seconds"] = round(time.perf_counter() - started, 2)
        _write_marker(url, scale, seed)
    if kind(url) == "sqlite":
        out["analyzed_by_bench"] = analyze and ensure_statistics(url)
        checkpoint(url)
    return out


def ensure_statistics(url: str) -> bool:
    """SQLite without ANALYZE statistics picks ix_evaluations_year_dept for `EXISTS (… e.project_id = p.id AND
    e.year = p.year)` and scans a whole year of evaluations per project (minutes at province scale). The demo
    loader runs ANALYZE on PostgreSQL only; do it here when sqlite_stat1 is missing. Returns True if it ran."""
    from dashboard.core import db

    with db.get_engine(url).connect() as conn:
        has = conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar_one()
        if has:
            return False
        print("SQLite has no planner statistics (sqlite_stat1): running ANALYZE", flush=True)
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return True


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


def checkpoint(url: str) -> None:
    """Fold the WAL into the main file so the database can be copied as one file."""
    from dashboard.core import db

    db.get_engine(url).dispose()
    conn = sqlite3.connect(sqlite_path(url))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_sqlite(url: str, dest: Path) -> str:
    """A consistent copy of a SQLite database (online backup API), as a new URL."""
    dest.unlink(missing_ok=True)
    src = sqlite3.connect(sqlite_path(url))
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return f"sqlite:///{dest}"


def with_scale(url: str, scale: str) -> str:
    """The URL of a scale's own database beside `url` (several scales in one run): `_<scale>` appended to the
    database name (SQLite: to the file's stem), unless the name already ends with it."""
    u = make_url(url)
    name = u.database or ""
    if kind(url) == "sqlite":
        path = Path(name)
        return url if path.stem.endswith(scale) else f"sqlite:///{path.with_name(f'{path.stem}_{scale}{path.suffix}')}"
    return url if name.endswith(scale) else u.set(database=f"{name}_{scale}").render_as_string(hide_password=False)
