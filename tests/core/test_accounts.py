"""Accounts, sessions and the audit trail (dashboard.core.accounts, dashboard.core.audit) on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from dashboard.core import accounts, audit, db
from dashboard.core.accounts import AccountError, Actor, Forbidden
from dashboard.core.models import AuthSession, User
from dashboard.core.settings import Auth, SettingsError, load_settings, require_secret

SECRET = "s" * 40
AUTH = Auth(mode="password", secret=SECRET)
ROOT_OP = accounts.operator("root")
PW = "correct horse 1"


@pytest.fixture
def url(db_url):
    db.init_db(db_url)
    return db_url


def _staff(url, name="zhang", role="staff", departments=()):
    return accounts.add_user(url, ROOT_OP, name, role, PW, departments)


def test_roles_and_permissions():
    staff, leader, deputy, admin = (Actor("a", r) for r in ("staff", "leader", "deputy", "admin"))
    for perm in ("import", "undo", "sync", "settings"):
        assert accounts.require(staff, perm) is staff and accounts.require(admin, perm) is admin
        for reader in (leader, deputy):
            with pytest.raises(Forbidden, match="无权"):
                accounts.require(reader, perm)
    with pytest.raises(Forbidden, match="只有管理员"):
        accounts.require(staff, "users")
    assert accounts.require(ROOT_OP, "users") is ROOT_OP
    with pytest.raises(Forbidden, match="未登录"):
        accounts.require(None, "import")
    # a department-limited staff account reads its departments only
    with pytest.raises(Forbidden, match="限定的部门"):
        accounts.require(Actor("b", "staff", ("教育局",)), "import")


def test_add_hashes_with_argon2id_and_never_stores_the_password(url):
    info = _staff(url)
    assert info["role"] == "staff" and info["has_password"] and not info["disabled"]
    with db.get_engine(url).connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE name = 'zhang'")).scalar_one()
    assert stored.startswith("$argon2id$") and PW not in stored
    with pytest.raises(AccountError, match="已存在"):
        _staff(url)
    with pytest.raises(AccountError, match="至少"):
        accounts.add_user(url, ROOT_OP, "li", "staff", "short")
    with pytest.raises(AccountError, match="角色"):
        accounts.add_user(url, ROOT_OP, "li", "boss", PW)
    with pytest.raises(Forbidden):
        accounts.add_user(url, Actor("zhang", "staff"), "li", "staff", PW)
    assert [u["name"] for u in accounts.list_users(url)] == ["zhang"]


def test_login_token_roundtrip_and_logout(url):
    _staff(url, departments=("教育局", " "))
    res = accounts.login(url, AUTH, "zhang", PW)
    assert res.ok and res.actor == Actor("zhang", "staff", ("教育局",))
    assert accounts.session_actor(url, AUTH, res.token) == res.actor
    assert open_sessions(url, "zhang") == 1
    assert accounts.logout(url, AUTH, res.token)
    assert accounts.session_actor(url, AUTH, res.token) is None
    assert not accounts.logout(url, AUTH, res.token)


def test_two_sign_outs_at_once_end_the_session_once(url):
    """Two tabs signing out together: both read the session open, then both write. The interleaving is forced
    (each waits at the UPDATE until the other has read), so exactly one ends it and one logout is logged."""
    import threading

    from sqlalchemy import event

    _staff(url)
    token = accounts.login(url, AUTH, "zhang", PW).token
    engine = db.get_engine(url)
    both_read = threading.Barrier(2, timeout=20)

    def hold(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE AUTH_SESSIONS"):
            both_read.wait()

    results: list = []
    event.listen(engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=lambda: results.append(accounts.logout(url, AUTH, token)))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert sorted(results) == [False, True]
    assert [e["action"] for e in audit.entries(url, user="zhang")].count("logout") == 1
    assert accounts.session_actor(url, AUTH, token) is None


def test_tampered_expired_and_foreign_tokens_are_refused(url):
    _staff(url)
    token = accounts.login(url, AUTH, "zhang", PW).token
    sid, expiry, mac = token.split(".")
    later = str(int(expiry) + 86400)
    # each tampered part really differs from the original (a fixed replacement equals it 1 time in 16 or 64)
    other_sid = sid[:-1] + ("A" if sid[-1] != "A" else "B")
    other_mac = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    for bad in (f"{sid}.{later}.{mac}", f"{other_sid}.{expiry}.{mac}", f"{sid}.{expiry}.{other_mac}", "",
                None, "a.b", token + ".x", "x" * 500):
        assert accounts.session_actor(url, AUTH, bad) is None, bad
    # signed with another secret
    other = dataclasses.replace(AUTH, secret="t" * 40)
    assert accounts.session_actor(url, other, token) is None
    # expired: judged at a time after its expiry
    after = dt.datetime.fromtimestamp(int(expiry) + 1)
    assert accounts.session_actor(url, AUTH, token, now=after) is None
    assert accounts.session_actor(url, AUTH, token) is not None


def test_five_wrong_passwords_lock_for_fifteen_minutes(url):
    _staff(url)
    t0 = dt.datetime(2026, 12, 1, 9, 0, 0)
    for i in range(4):
        res = accounts.login(url, AUTH, "zhang", "Hunter2xyz", now=t0)
        assert not res.ok and res.message == accounts.FAILED
    res = accounts.login(url, AUTH, "zhang", "Hunter2xyz", now=t0)
    assert not res.ok and "锁定" in res.message
    # locked: even the right password is refused until 15 minutes have passed
    assert "锁定" in accounts.login(url, AUTH, "zhang", PW, now=t0 + dt.timedelta(minutes=14, seconds=59)).message
    assert accounts.login(url, AUTH, "zhang", PW, now=t0 + dt.timedelta(minutes=15, seconds=1)).ok
    failed = audit.entries(url, actions=["login_failed"])
    assert len(failed) == 6 and failed[1]["detail"]["locked"] is True
    assert all(PW not in str(e) and "Hunter2xyz" not in str(e) for e in audit.entries(url))
    # the same answer for an unknown name as for a wrong password
    assert accounts.login(url, AUTH, "nobody", "x").message == accounts.FAILED


def test_disabling_or_changing_the_password_ends_every_session(url):
    _staff(url)
    a = accounts.login(url, AUTH, "zhang", PW).token
    b = accounts.login(url, AUTH, "zhang", PW).token
    accounts.set_password(url, ROOT_OP, "zhang", "another pass 2")
    assert accounts.session_actor(url, AUTH, a) is None and accounts.session_actor(url, AUTH, b) is None
    assert not accounts.login(url, AUTH, "zhang", PW).ok
    c = accounts.login(url, AUTH, "zhang", "another pass 2").token
    accounts.set_disabled(url, ROOT_OP, "zhang", True)
    assert accounts.session_actor(url, AUTH, c) is None
    assert "停用" in accounts.login(url, AUTH, "zhang", "another pass 2").message
    # only whoever knows the password learns the account exists and is disabled
    assert accounts.login(url, AUTH, "zhang", "a wrong guess").message == accounts.FAILED
    accounts.set_disabled(url, ROOT_OP, "zhang", False)
    assert accounts.login(url, AUTH, "zhang", "another pass 2").ok
    ops = [e["detail"]["op"] for e in audit.entries(url, actions=["user"])]
    assert ops == ["enable", "disable", "passwd", "add"]


def test_audit_is_append_only_and_filtered_by_day(url):
    audit.record(url, "zhang", "staff", "export", {"what": "部门排名", "scope": "2024年"})
    with pytest.raises(ValueError):
        audit.record(url, "zhang", "staff", "delete_everything")
    rows = audit.entries(url)
    assert [(r["user"], r["role"], r["action"], r["detail"]["what"]) for r in rows] == \
           [("zhang", "staff", "export", "部门排名")]
    assert audit.entries(url, since=dt.date.today() + dt.timedelta(days=1)) == []
    assert len(audit.entries(url, since=dt.date.today())) == 1
    engine = db.get_engine(url)
    statements = ["UPDATE audit_log SET user = 'x'", "DELETE FROM audit_log"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql.replace("user", '"user"')))
    assert len(audit.entries(url)) == 1


def test_auth_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_AUTH_SECRET", raising=False)
    f = tmp_path / "dashboard.toml"
    f.write_text('[auth]\nmode = "password"\nsession_hours = 8\n', encoding="utf-8")
    s = load_settings(f)  # loads (the command line needs no secret); the web app's sign-in refuses to start
    assert s.auth.mode == "password" and s.auth.secret is None
    with pytest.raises(SettingsError, match="DASHBOARD_AUTH_SECRET"):
        require_secret(s)
    monkeypatch.setenv("DASHBOARD_AUTH_SECRET", SECRET)
    s = require_secret(load_settings(f))
    assert s.auth.mode == "password" and s.auth.session_hours == 8 and s.auth.secret == SECRET
    assert SECRET not in repr(s)
    f.write_text('[auth]\nmode = "ldap"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="mode"):
        load_settings(f)
    f.write_text('[auth]\nmodus = "none"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="modus"):
        load_settings(f)


def open_sessions(url: str, name: str) -> int:
    """How many unexpired, not ended sessions the account has."""
    s, u = AuthSession.__table__, User.__table__
    with db.get_engine(url).connect() as conn:
        now = dt.datetime.now().replace(microsecond=0)
        return int(conn.execute(select(func.count()).select_from(s).join(u, s.c.user_id == u.c.id)
                                .where(u.c.name == name, s.c.ended_at.is_(None), s.c.expires_at > now))
                   .scalar_one())
