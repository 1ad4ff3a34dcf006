"""Sign-in under parallel attack (dashboard.core.accounts.login), on SQLite and PostgreSQL.

Issue 23 measured: 12 sign-in attempts at once, 11 wrong passwords checked and none refused, the right one in
the burst signed in and left the account unlocked (the lock was read before the slow argon2 check, and a
success reset it); an account without a password answered in 1.5 ms, a real one in ~270 ms; the lockout
message differed between existing and unknown names. Here every attempt is counted by one atomic statement
before its check, every failure gets accounts.FAILED, and every attempt costs exactly one argon2 check.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time

import pytest

from dashboard.core import accounts, audit, db
from dashboard.core.settings import Auth

SECRET = "s" * 40
AUTH = Auth(mode="password", secret=SECRET, max_failures=5, lockout_minutes=15)
ROOT_OP = accounts.operator("root")
PW = "correct horse 1"
WRONG = "wrong guess 99"


@pytest.fixture
def url(db_url):
    db.init_db(db_url)
    accounts.add_user(db_url, ROOT_OP, "zhang", "staff", PW)
    return db_url


class Checks:
    """Wraps accounts._verify: counts argon2 checks (against a real hash or the dummy one) and how many run
    at once, overall and per password; `gate` (an Event) holds chosen checks until the test releases them."""

    def __init__(self, monkeypatch, hold=lambda hashed, password: False, pause: float = 0.0):
        self.real_verify = accounts._verify
        self.lock = threading.Lock()
        self.calls: list[tuple[bool, str]] = []  # (against the dummy hash, password)
        self.running = self.most = 0
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.hold, self.pause = hold, pause
        monkeypatch.setattr(accounts, "_verify", self)

    def __call__(self, hashed, password):
        dummy = hashed == accounts._dummy_hash()
        with self.lock:
            self.calls.append((dummy, password))
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if self.hold(hashed, password):
                self.entered.release()
                assert self.gate.wait(60)
            if self.pause:
                time.sleep(self.pause)
            return self.real_verify(hashed, password)
        finally:
            with self.lock:
                self.running -= 1


def _burst(url, attempts, now):
    """Run login(name, password) for each attempt in its own thread, all released at once."""
    results: list = [None] * len(attempts)
    start = threading.Barrier(len(attempts))

    def one(i, name, password):
        start.wait()
        results[i] = accounts.login(url, AUTH, name, password, now=now)

    threads = [threading.Thread(target=one, args=(i, n, p)) for i, (n, p) in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _attempts(url, name="zhang"):
    """Audit entries of the sign-in attempts, oldest first."""
    return [e for e in reversed(audit.entries(url, actions=["login", "login_failed"])) if e["user"] == name]


def test_parallel_burst_locks_after_exactly_the_configured_failures(url, monkeypatch):
    checks = Checks(monkeypatch)
    t0 = dt.datetime(2026, 12, 1, 9, 0, 0)
    results = _burst(url, [("zhang", WRONG)] * 12 + [("zhang", PW)], t0)

    entries = _attempts(url)
    assert len(entries) == 13
    # exactly one entry locks the account, and it is the 5th wrong password since the last success
    lock_at = [i for i, e in enumerate(entries) if e["detail"].get("locked")]
    assert len(lock_at) == 1
    k = lock_at[0]
    successes = [i for i, e in enumerate(entries) if e["action"] == "login"]
    since = successes[-1] + 1 if successes and successes[-1] < k else 0
    run = entries[since:k + 1]
    assert [e["detail"]["reason"] for e in run] == ["wrong_password"] * 5
    assert [e["detail"]["failures"] for e in run] == [1, 2, 3, 4, 5]
    # after the lock: nothing is checked against the account's hash and nobody signs in
    assert all(e["action"] == "login_failed" and e["detail"] == {"reason": "locked"} for e in entries[k + 1:])
    # the right password either came before the 5 wrong ones in a row (then it signed in) or was refused
    assert len(successes) <= 1 and all(i < since for i in successes)
    wrong = sum(e["detail"].get("reason") == "wrong_password" for e in entries)
    assert wrong == 5 + (since - 1 if successes else 0)
    assert sum(r.ok for r in results) == len(successes)
    assert all(r.message == accounts.FAILED for r in results if not r.ok)
    # the burst leaves the account locked: the right password is refused now
    user = accounts.get_user(url, "zhang")
    assert user["locked_until"] == (t0 + dt.timedelta(minutes=15)).isoformat()
    assert accounts.login(url, AUTH, "zhang", PW, now=t0 + dt.timedelta(minutes=1)).message == accounts.FAILED
    # one argon2 check per attempt (14), against the real hash only for the ones counted; one at a time
    assert len(checks.calls) == 14
    assert sum(not dummy for dummy, _ in checks.calls) == wrong + len(successes)
    assert checks.most == 1
    assert accounts.login(url, AUTH, "zhang", PW, now=t0 + dt.timedelta(minutes=15, seconds=1)).ok


def test_attempts_from_several_processes_are_counted_before_the_check(url, monkeypatch):
    """Each attempt as if in its own server process (no in-process turn): the database alone must hold.
    Five wrong passwords are held inside their check; a sixth attempt — the right password — and seven more
    wrong ones arrive meanwhile: all are refused without a real check, and the five lock the account."""
    monkeypatch.setattr(accounts, "_turn", lambda name: contextlib.nullcontext(True))
    dummy = accounts._dummy_hash()
    checks = Checks(monkeypatch, hold=lambda hashed, password: hashed != dummy and password == WRONG)
    t0 = dt.datetime(2026, 12, 1, 9, 0, 0)
    results: list = []
    held = [threading.Thread(target=lambda: results.append(accounts.login(url, AUTH, "zhang", WRONG, now=t0)))
            for _ in range(5)]
    for t in held:
        t.start()
    for _ in range(5):
        assert checks.entered.acquire(timeout=60)
    late = _burst(url, [("zhang", PW)] + [("zhang", WRONG)] * 7, t0)
    checks.gate.set()
    for t in held:
        t.join(60)

    assert [r.message for r in late] == [accounts.FAILED] * 8
    assert sorted(r.message for r in results) == [accounts.FAILED] * 5
    entries = _attempts(url)
    wrong = [e["detail"] for e in entries if e["detail"].get("reason") == "wrong_password"]
    assert sorted(d["failures"] for d in wrong) == [1, 2, 3, 4, 5]
    assert [d["locked"] for d in wrong if d["failures"] == 5] == [True]
    assert sum(e["detail"] == {"reason": "locked"} for e in entries) == 8
    assert not any(e["action"] == "login" for e in entries)
    assert sum(not d for d, _ in checks.calls) == 5 and len(checks.calls) == 13
    assert accounts.get_user(url, "zhang")["locked_until"] == (t0 + dt.timedelta(minutes=15)).isoformat()


def test_a_right_password_does_not_clear_a_lock_that_came_into_force_during_its_check(url, monkeypatch):
    monkeypatch.setattr(accounts, "_turn", lambda name: contextlib.nullcontext(True))
    dummy = accounts._dummy_hash()
    checks = Checks(monkeypatch, hold=lambda hashed, password: hashed != dummy and password == PW)
    t0 = dt.datetime(2026, 12, 1, 9, 0, 0)
    out: list = []
    right = threading.Thread(target=lambda: out.append(accounts.login(url, AUTH, "zhang", PW, now=t0)))
    right.start()
    assert checks.entered.acquire(timeout=60)  # the right password is counted (1) and being checked
    messages = [accounts.login(url, AUTH, "zhang", WRONG, now=t0).message for _ in range(4)]  # counted 2..5
    checks.gate.set()
    right.join(60)

    assert messages == [accounts.FAILED] * 4
    assert not out[0].ok and out[0].message == accounts.FAILED
    entries = _attempts(url)
    assert [e["detail"] for e in entries] == [
        {"reason": "wrong_password", "failures": 2, "locked": False},
        {"reason": "wrong_password", "failures": 3, "locked": False},
        {"reason": "wrong_password", "failures": 4, "locked": False},
        {"reason": "wrong_password", "failures": 5, "locked": True},
        {"reason": "locked"},
    ]
    assert accounts.get_user(url, "zhang")["locked_until"] == (t0 + dt.timedelta(minutes=15)).isoformat()
    assert len(checks.calls) == 5


def test_unknown_passwordless_and_locked_names_cost_one_argon2_check_like_a_real_one(url, monkeypatch):
    accounts.add_user(url, ROOT_OP, "proxyonly", "staff", None)
    accounts.add_user(url, ROOT_OP, "locked1", "staff", PW)
    t0 = dt.datetime(2026, 12, 1, 9, 0, 0)
    for _ in range(5):
        accounts.login(url, AUTH, "locked1", WRONG, now=t0)
    checks = Checks(monkeypatch)
    timings: dict[str, list[float]] = {}
    for who in ("zhang", "nobody", "proxyonly", "locked1") * 3:
        begin = time.perf_counter()
        res = accounts.login(url, AUTH, who, WRONG, now=t0)
        timings.setdefault(who, []).append(time.perf_counter() - begin)
        assert res.message == accounts.FAILED  # one message for every failure
    # one check per attempt; the real account's against its hash, every other against the dummy
    assert [dummy for dummy, _ in checks.calls] == [False, True, True, True] * 3
    real = sorted(timings["zhang"])[1]
    # generous: before, the account without a password answered in 0.5 % of a real check's time
    for who in ("nobody", "proxyonly", "locked1"):
        assert min(timings[who]) > 0.1 * real, (who, timings)


def test_password_checks_are_bounded_in_total(url, monkeypatch):
    for i in range(7):
        accounts.add_user(url, ROOT_OP, f"user{i}", "deputy", PW)
    checks = Checks(monkeypatch, pause=0.5)
    t0 = dt.datetime(2026, 12, 1, 9, 0, 0)
    names = ["zhang", *[f"user{i}" for i in range(7)], "ghost1", "ghost2"]
    results = _burst(url, [(n, WRONG) for n in names], t0)
    assert [r.message for r in results] == [accounts.FAILED] * 10
    assert len(checks.calls) == 10
    assert checks.most == accounts.MAX_PASSWORD_CHECKS == 4
    assert accounts._NAMES == {}  # the per-name turns are released
