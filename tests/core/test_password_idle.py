"""等保 at application level (issue 27 item 6): the password rule of [auth] (length and character classes) for
every new password, and the idle-session timeout of password mode."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dashboard.core import accounts, audit, db
from dashboard.core.settings import Auth, SettingsError, check_settings, load_settings

ROOT = accounts.operator("tests")
AUTH = Auth(mode="password", secret="s" * 40)


@pytest.mark.parametrize("password, classes", [
    ("abcdefgh", 1), ("abcdefg1", 2), ("Abcdefg1", 3), ("Abcdef 1", 4), ("密码很长很长很长1a", 3), ("ABCD1234", 2),
])
def test_character_classes_by_hand(password, classes):
    assert accounts.password_classes(password) == classes


def test_the_rule_is_checked_on_every_new_password(sqlite_url):
    url = sqlite_url
    db.init_db(url)
    # the default: at least 8 characters of at least 3 kinds
    for weak in ("Ab1", "abcdefgh", "abcdefg1", "ABCDEFG1"):
        with pytest.raises(accounts.AccountError, match="至少 8 个字符.*至少 3 种"):
            accounts.add_user(url, ROOT, "w", "staff", weak)
    accounts.add_user(url, ROOT, "w", "staff", "abcdefG1")  # exactly 8, exactly 3 kinds
    with pytest.raises(accounts.AccountError, match="密码不符合要求"):
        accounts.set_password(url, ROOT, "w", "short")
    strict = Auth(password_min_chars=12, password_classes=4)
    with pytest.raises(accounts.AccountError, match="至少 12 个字符.*至少 4 种"):
        accounts.set_password(url, ROOT, "w", "abcdefG1!", policy=strict)
    accounts.set_password(url, ROOT, "w", "abcdefG1!xyz", policy=strict)
    assert accounts.login(url, AUTH, "w", "abcdefG1!xyz").ok


def test_rule_settings_are_checked(tmp_path):
    f = tmp_path / "dashboard.toml"
    f.write_text("[auth]\npassword_min_chars = 10\npassword_classes = 4\nidle_minutes = 15\naudit_hash = \"sm3\"\n",
                 encoding="utf-8")
    s = load_settings(f)
    assert (s.auth.password_min_chars, s.auth.password_classes, s.auth.idle_minutes, s.auth.audit_hash) == \
           (10, 4, 15, "sm3")
    for bad, key in (("password_classes = 5", "password_classes"), ("password_min_chars = 3", "password_min_chars"),
                     ("idle_minutes = -1", "idle_minutes"), ('audit_hash = "md5"', "audit_hash")):
        f.write_text(f"[auth]\n{bad}\n", encoding="utf-8")
        with pytest.raises(SettingsError, match=key):
            load_settings(f)
    check_settings(load_settings(tmp_path / "none.toml"))


def test_idle_session_ends_and_is_logged_once(db_url):
    url = db_url
    accounts.add_user(url, ROOT, "li", "deputy", "correct horse 1")
    t0 = dt.datetime(2026, 12, 6, 9, 0, 0)
    auth = dataclasses.replace(AUTH, idle_minutes=30)
    token = accounts.login(url, auth, "li", "correct horse 1", now=t0).token
    # used every 20 minutes: stays signed in past 30 minutes from the sign-in
    for minutes in (20, 40, 60):
        assert accounts.session_actor(url, auth, token, now=t0 + dt.timedelta(minutes=minutes)) is not None
    # then 29:59 of nothing: still in; 30:00 after the last use: out, for good
    last = t0 + dt.timedelta(minutes=60)
    assert accounts.session_actor(url, auth, token, now=last + dt.timedelta(minutes=29, seconds=59)) is not None
    # that use (29:59 after the last recorded one) was recorded: 30 minutes from it the session ends
    later = last + dt.timedelta(minutes=29, seconds=59)
    assert accounts.session_actor(url, auth, token, now=later + dt.timedelta(minutes=30)) is None
    assert accounts.session_actor(url, auth, token, now=later + dt.timedelta(minutes=31)) is None
    logouts = [e for e in audit.entries(url, actions=["logout"]) if e["user"] == "li"]
    assert [e["detail"].get("reason") for e in logouts] == ["idle"]
    # idle_minutes = 0: never ends for idleness (the session's own expiry still applies)
    token = accounts.login(url, auth, "li", "correct horse 1", now=t0).token
    never = dataclasses.replace(auth, idle_minutes=0)
    assert accounts.session_actor(url, never, token, now=t0 + dt.timedelta(hours=11)) is not None


def test_last_use_is_written_at_most_once_a_minute(sqlite_url):
    """A rerun every second must not write every second: last_seen_at moves only when a minute has passed."""
    from sqlalchemy import text

    url = sqlite_url
    db.init_db(url)
    accounts.add_user(url, ROOT, "li", "deputy", "correct horse 1")
    t0 = dt.datetime(2026, 12, 6, 9, 0, 0)
    token = accounts.login(url, AUTH, "li", "correct horse 1", now=t0).token

    def seen():
        with db.get_engine(url).connect() as conn:
            return conn.execute(text("SELECT last_seen_at FROM auth_sessions")).scalar()

    accounts.session_actor(url, AUTH, token, now=t0 + dt.timedelta(seconds=59))
    assert seen() is None
    accounts.session_actor(url, AUTH, token, now=t0 + dt.timedelta(seconds=60))
    assert str(seen()).startswith("2026-12-06 09:01:00")
