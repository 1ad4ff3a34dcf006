"""The audit trail as a hash chain (issue 27 item 6): every entry carries hash(previous chain, its content);
`audit --verify` finds the first broken link after someone changes, removes or inserts a row directly in the
database (past the append-only triggers, as the database's owner can), and passes on an intact trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading

import pytest
from sqlalchemy import text

from dashboard import cli
from dashboard.core import audit, db


def _owner(conn, dialect: str, sql: str) -> None:
    """What a database owner can do: lift the append-only trigger, run `sql`, put the trigger back."""
    if dialect == "sqlite":
        conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        conn.execute(text(sql))
    else:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text(sql.replace("user", '"user"')))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def _write(url: str, n: int) -> None:
    for i in range(n):
        audit.record(url, f"user{i}", "staff", "export", {"what": "部门排名", "i": i, "amount": 1.5 * i})


def _verify_cli(url: str, capsys) -> tuple[int, str]:
    code = cli.main(["--db", url, "audit", "--verify"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_intact_chain_verifies_and_each_link_is_recomputable(db_url, capsys):
    _write(db_url, 5)
    v = audit.verify(db_url)
    assert v.ok and v.entries == 5
    # recompute the chain by hand from the rows: sha256 over the canonical JSON of [previous, time, user, role,
    # action, detail]
    with db.get_engine(db_url).connect() as conn:
        rows = conn.execute(text('SELECT time, "user", role, action, detail, chain FROM audit_log ORDER BY id')).all()
    previous = ""
    for r in rows:
        when = r.time if isinstance(r.time, dt.datetime) else dt.datetime.fromisoformat(str(r.time))
        detail = r.detail if isinstance(r.detail, dict) else json.loads(r.detail)
        content = json.dumps([previous, when.isoformat(sep=" "), r.user, r.role, r.action, detail],
                             ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert r.chain == "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest()
        previous = r.chain
    assert v.head == previous
    code, out = _verify_cli(db_url, capsys)
    assert code == 0 and "5 条记录" in out


@pytest.mark.parametrize("tamper, broken, good", [
    ("UPDATE audit_log SET user = 'someone else' WHERE id = {3}", 3, 2),   # a changed row
    ("DELETE FROM audit_log WHERE id = {2}", 3, 1),                        # a removed row: the next one's link breaks
    ("DELETE FROM audit_log WHERE id = {5}", 4, 4),                        # the newest removed: the tail differs
    ("INSERT INTO audit_log (time, user, role, action, detail) VALUES ('2026-01-01 00:00:00', 'x', 'admin', 'login', '{{}}')",
     6, 5),  # a row slipped in without a chain
])
def test_tampering_breaks_the_chain_at_the_row(db_url, capsys, tamper, broken, good):
    _write(db_url, 5)
    engine = db.get_engine(db_url)
    with engine.connect() as conn:
        ids = [None] + [r[0] for r in conn.execute(text("SELECT id FROM audit_log ORDER BY id"))]
    with engine.begin() as conn:
        _owner(conn, engine.dialect.name, tamper.format(*ids))
    v = audit.verify(db_url)
    assert not v.ok
    assert v.entries == good  # the entries before the break still verify
    if "INSERT" in tamper:
        assert v.broken_id > ids[5] and "没有链值" in v.reason
    elif "{5}" in tamper:  # the tail: the last row left verifies, the meta head does not match it
        assert v.broken_id == ids[4] and "末尾" in v.reason
    else:
        assert v.broken_id == ids[broken]
    code, out = _verify_cli(db_url, capsys)
    assert code == 1 and "被改动过" in out


def test_two_writers_at_once_keep_one_chain(db_url):
    errors = []

    def run(k):
        try:
            for i in range(15):
                audit.record(db_url, f"w{k}", "staff", "export", {"i": i})
        except Exception as exc:  # noqa: BLE001 - any failure of a writer thread is collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    v = audit.verify(db_url)
    assert v.ok and v.entries == 45


def test_sm3_entries_chain_on_from_sha256_ones(db_url):
    _write(db_url, 2)
    audit.configure("sm3")
    try:
        _write(db_url, 2)
    finally:
        audit.configure("sha256")
    with db.get_engine(db_url).connect() as conn:
        chains = [r[0] for r in conn.execute(text("SELECT chain FROM audit_log ORDER BY id"))]
    assert [c.split(":")[0] for c in chains] == ["sha256", "sha256", "sm3", "sm3"]
    assert audit.verify(db_url).ok
    with pytest.raises(ValueError):
        audit.configure("md5")


def test_entries_written_before_the_chain_are_chained_by_the_migration(sqlite_url):
    """A database at 0008 with audit entries: the upgrade to 0009 chains them, and verify passes."""
    from alembic import command

    cfg = db._alembic_config(sqlite_url)
    command.upgrade(cfg, "0008_oversight")
    with db.get_engine(sqlite_url).begin() as conn:
        for i in range(3):
            conn.execute(text("INSERT INTO audit_log (time, user, role, action, detail) "
                              f"VALUES ('2026-01-0{i + 1} 08:00:00', 'u{i}', 'admin', 'login', '{{\"n\": {i}}}')"))
    command.upgrade(cfg, "head")
    v = audit.verify(sqlite_url)
    assert v.ok and v.entries == 3
    audit.record(sqlite_url, "later", "admin", "logout", {})
    assert audit.verify(sqlite_url).entries == 4
    with db.get_engine(sqlite_url).begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE audit_log SET user = 'x'"))  # the trigger is back after the migration
