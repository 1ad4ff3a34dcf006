"""Accounts, roles and sign-in sessions: who may do what (`require`), users with argon2id password hashes,
the lockout after repeated wrong passwords, and signed, expiring session tokens backed by a server-side table.

No Streamlit here: the app's sign-in page (dashboard.ui.auth), the command line (`users ...`) and every writing
function (import, undo, sync, saving rules, user management) call these functions.

A token is `SID.EXPIRY.MAC`: SID a random 256-bit id, EXPIRY the Unix second it stops working, MAC the
HMAC-SHA256 of `SID.EXPIRY` under `[auth] secret`. The table `auth_sessions` keeps only SHA-256(SID), so a copy
of the database holds no usable token. A token is accepted only while its MAC is right, it has not expired,
its row exists and is not ended, and its user is enabled — so signing out, disabling the user or changing the
password (both end every session of the user) takes effect on the next script run everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, func, insert, or_, select, update

from dashboard.core import audit, db
from dashboard.core.models import AuthSession, User
from dashboard.core.settings import Auth
from dashboard.core.vocab import ADMIN, OPERATOR, ROLE_LABELS, ROLE_LABELS_ALL, ROLES, STAFF

# argon2-cffi's defaults are RFC 9106's second recommended profile, argon2id (t=3, m=64 MiB, p=4)
_HASHER = PasswordHasher()
DEFAULT_AUTH = Auth()
SEEN_STEP = dt.timedelta(minutes=1)  # how often a session's last_seen_at is brought up to date

# The one table of who may do what. The writing functions check their permission here (require), and the page
# registry names one permission per page, so a page is shown exactly to the accounts that may use it.
WRITE = frozenset({ADMIN, STAFF, OPERATOR})
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES) | {OPERATOR},
    "import": WRITE, "undo": WRITE, "sync": WRITE, "settings": WRITE, "layouts": WRITE,
    # 报送情况 (who has reported this round, with contacts): the 绩效科's page, department-limited staff included
    "rounds": WRITE,
    # open or close a collection round; enter a question of the 询问台账 and its answer
    "open_round": WRITE, "inquire": WRITE,
    "users": frozenset({ADMIN, OPERATOR}), "audit": frozenset({ADMIN, OPERATOR}),
}
WHAT = {"read": "查看数据", "import": "导入数据", "undo": "撤销导入", "sync": "同步数据库", "settings": "保存规则设置", "layouts": "保存或删除导入版式",
        "rounds": "查看报送情况", "open_round": "开启或关闭报送轮次", "inquire": "录入询问及答复",
        "users": "管理账号", "audit": "查看操作日志"}
# a department-limited account reads its departments only: every write touches all of them
WRITE_PERMISSIONS = frozenset({"import", "undo", "sync", "settings", "users", "layouts", "open_round",
                               "inquire"})


class Forbidden(Exception):
    """The actor's role may not do this; the message (Chinese) says who may."""


class AccountError(ValueError):
    """A user-management request that cannot be done (unknown name, weak password...); message in Chinese."""


@dataclass(frozen=True)
class Actor:
    """Who acts: an account (name, role, the 主管部门 it is limited to) or the command-line operator."""

    name: str
    role: str
    departments: tuple[str, ...] = ()  # codes or names; () = every department

    @property
    def label(self) -> str:
        return ROLE_LABELS_ALL.get(self.role, self.role)

    @property
    def limited(self) -> bool:
        return bool(self.departments)

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission] and not (self.limited and permission in WRITE_PERMISSIONS)


def operator(name: str | None) -> Actor:
    """The command-line operator: whoever can run `python -m dashboard` on the server can reach the
    database anyway, so it may write (role OPERATOR); the name is the OS user or `--as NAME`."""
    return Actor(name or "命令行", OPERATOR)


def require(actor: Actor | None, permission: str) -> Actor:
    """The actor, when it may do `permission`; else Forbidden with a Chinese sentence."""
    if actor is None:
        raise Forbidden(f"未登录，无权{WHAT[permission]}")
    if actor.may(permission):
        return actor
    allowed = "、".join(ROLE_LABELS[r] for r in ROLES if r in PERMISSIONS[permission])
    if actor.limited and actor.role in PERMISSIONS[permission]:
        raise Forbidden(f"账号 {actor.name} 只能查看限定的部门，无权{WHAT[permission]}")
    raise Forbidden(f"账号 {actor.name}（{actor.label}）无权{WHAT[permission]}：只有{allowed}账号可以{WHAT[permission]}")


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# ------------------------------------------------------------------------------------------------ users

def _row(conn: Connection, name: str):
    return conn.execute(select(User.__table__).where(User.name == name)).mappings().first()


CHARACTER_CLASSES = ("大写字母", "小写字母", "数字", "其他符号")


def password_classes(password: str) -> int:
    """How many of the four kinds of character (大写字母, 小写字母, 数字, 其他符号: anything else, a space or a
    Chinese character included) a password uses."""
    kinds = set()
    for ch in password:
        if ch.isascii() and ch.isupper():
            kinds.add(0)
        elif ch.isascii() and ch.islower():
            kinds.add(1)
        elif ch.isascii() and ch.isdigit():
            kinds.add(2)
        else:
            kinds.add(3)
    return len(kinds)


def password_rule(policy: Auth = DEFAULT_AUTH) -> str:
    """The rule as a user reads it, e.g. 至少 8 个字符，包含大写字母、小写字母、数字、其他符号中的至少 3 种."""
    return (f"至少 {policy.password_min_chars} 个字符，包含{'、'.join(CHARACTER_CLASSES)}中的"
            f"至少 {policy.password_classes} 种")


def _check_password(password: str, policy: Auth = DEFAULT_AUTH) -> str:
    """The password rule of [auth] (等保: length and character classes), for every new password."""
    if password is None or len(password) < policy.password_min_chars \
            or password_classes(password) < policy.password_classes:
        raise AccountError(f"密码不符合要求：{password_rule(policy)}")
    if len(password) > 1024:
        raise AccountError("密码不能超过 1024 个字符")
    return password


def _public(r) -> dict:
    return {"name": r["name"], "role": r["role"], "role_label": ROLE_LABELS.get(r["role"], r["role"]),
            "departments": list(r["departments"] or []), "disabled": bool(r["disabled"]),
            "has_password": r["password_hash"] is not None,
            "locked_until": r["locked_until"].isoformat() if r["locked_until"] else None,
            "created_at": r["created_at"].isoformat() if r["created_at"] else None}


def _audit(conn: Connection, actor: Actor, detail: dict) -> None:
    audit.record_in(conn, actor.name, actor.role, "user", detail)


def add_user(url: str, actor: Actor, name: str, role: str, password: str | None = None,
             departments: tuple[str, ...] | list[str] = (), policy: Auth = DEFAULT_AUTH) -> dict:
    """Create an account (password None: it signs in through OIDC or a proxy only); `policy` is [auth] (its
    password rule)."""
    require(actor, "users")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise AccountError("账号名不能为空，且不超过 100 个字符")
    if role not in ROLES:
        raise AccountError(f"角色应为 {'、'.join(ROLES)} 之一：{role}")
    hashed = _HASHER.hash(_check_password(password, policy)) if password is not None else None
    depts = [d.strip() for d in departments if d and d.strip()]
    now = _now()
    with db.get_engine(url).begin() as conn:
        if _row(conn, name) is not None:
            raise AccountError(f"账号 {name} 已存在")
        conn.execute(insert(User.__table__).values(
            name=name, role=role, departments=depts, password_hash=hashed, disabled=False, failed_logins=0,
            created_at=now, changed_at=now))
        _audit(conn, actor, {"op": "add", "name": name, "role": role, "departments": depts})
        return _public(_row(conn, name))


def list_users(url: str) -> list[dict]:
    with db.get_engine(url).connect() as conn:
        rows = conn.execute(select(User.__table__).order_by(User.name)).mappings().all()
    return [_public(r) for r in rows]


def get_user(url: str, name: str) -> dict | None:
    with db.get_engine(url).connect() as conn:
        r = _row(conn, name)
    return _public(r) if r else None


def _end_sessions(conn: Connection, user_id: int, now: dt.datetime) -> int:
    t = AuthSession.__table__
    return conn.execute(update(t).where(t.c.user_id == user_id, t.c.ended_at.is_(None))
                        .values(ended_at=now)).rowcount


def _change(url: str, actor: Actor, name: str, values: dict, detail: dict, end_sessions: bool) -> dict:
    require(actor, "users")
    now = _now()
    with db.get_engine(url).begin() as conn:
        r = _row(conn, name)
        if r is None:
            raise AccountError(f"没有账号 {name}")
        conn.execute(update(User.__table__).where(User.id == r["id"]).values(changed_at=now, **values))
        ended = _end_sessions(conn, r["id"], now) if end_sessions else 0
        _audit(conn, actor, {**detail, "name": name, "sessions_ended": ended})
        return _public(_row(conn, name))


def set_password(url: str, actor: Actor, name: str, password: str, policy: Auth = DEFAULT_AUTH) -> dict:
    """A new password (checked against `policy`'s rule); ends every session of the account and clears its lockout."""
    hashed = _HASHER.hash(_check_password(password, policy))
    return _change(url, actor, name, {"password_hash": hashed, "failed_logins": 0, "locked_until": None},
                   {"op": "passwd"}, end_sessions=True)


def set_disabled(url: str, actor: Actor, name: str, disabled: bool) -> dict:
    """Disable (ends every session) or enable an account."""
    return _change(url, actor, name, {"disabled": bool(disabled), "failed_logins": 0, "locked_until": None},
                   {"op": "disable" if disabled else "enable"}, end_sessions=bool(disabled))


def set_role(url: str, actor: Actor, name: str, role: str, departments: list[str] | tuple[str, ...]) -> dict:
    """A new role and department limit; ends every session so the change applies at once."""
    if role not in ROLES:
        raise AccountError(f"角色应为 {'、'.join(ROLES)} 之一：{role}")
    depts = [d.strip() for d in departments if d and d.strip()]
    return _change(url, actor, name, {"role": role, "departments": depts},
                   {"op": "role", "role": role, "departments": depts}, end_sessions=True)


# ------------------------------------------------------------------------------------------------ own view

PREFERENCE_KEYS = ("focus_sectors", "focus_departments", "large_type")
MAX_FOCUS = 200  # sectors or departments one account may keep


def clean_preferences(prefs: dict | None) -> dict:
    """The preferences an account may keep, checked: focus_sectors and focus_departments lists of short texts
    (at most MAX_FOCUS, each at most 100 characters), large_type a bool; anything else is dropped."""
    prefs = prefs if isinstance(prefs, dict) else {}
    out = {}
    for key in ("focus_sectors", "focus_departments"):
        values = prefs.get(key) or []
        if not isinstance(values, (list, tuple)):
            raise AccountError("关注的领域或部门应为列表")
        items = [str(v).strip()[:100] for v in values if str(v).strip()]
        if len(items) > MAX_FOCUS:
            raise AccountError(f"关注的领域或部门最多 {MAX_FOCUS} 个")
        out[key] = list(dict.fromkeys(items))
    out["large_type"] = bool(prefs.get("large_type", False))
    return out


def get_preferences(url: str, name: str) -> dict:
    """An account's own view (clean_preferences' keys); the defaults for an account without any, or none at all."""
    with db.get_engine(url).connect() as conn:
        value = conn.execute(select(User.preferences).where(User.name == name)).scalar()
    try:
        return clean_preferences(value)
    except AccountError:  # a value written by hand in the database: the defaults
        return clean_preferences({})


def set_preferences(url: str, actor: Actor, prefs: dict) -> dict:
    """Keep the signed-in account's own view (its own row only: any role that may read); audited."""
    require(actor, "read")
    clean = clean_preferences(prefs)
    now = _now()
    with db.get_engine(url).begin() as conn:
        r = _row(conn, actor.name)
        if r is None:
            raise AccountError("未启用登录或账号不在账号表中：关注的领域只在本次打开期间有效，不能保存")
        conn.execute(update(User.__table__).where(User.id == r["id"]).values(preferences=clean, changed_at=now))
        _audit(conn, actor, {"op": "preferences", "name": actor.name, **clean})
    return clean


def actor_for(url: str, name: str) -> Actor | None:
    """The Actor of an enabled account, None when there is no such enabled account (OIDC / proxy lookups)."""
    with db.get_engine(url).connect() as conn:
        r = _row(conn, name)
    if r is None or r["disabled"]:
        return None
    return Actor(r["name"], r["role"], tuple(r["departments"] or ()))


# ------------------------------------------------------------------------------------------------ sign-in

@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str  # Chinese, for the sign-in page; the same for an unknown name and a wrong password
    actor: Actor | None = None
    token: str | None = None


# the one answer to every failed sign-in (wrong password, unknown name, locked, busy): it tells nobody which
FAILED = "用户名或密码不正确，或账号已锁定。连续输错多次会暂时锁定账号，请稍后再试或联系管理员"


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode("utf-8"), payload.encode("ascii"), hashlib.sha256).hexdigest()


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


_DUMMY: list[str] = []
_DUMMY_GUARD = threading.Lock()

# Password checks are bounded: argon2id costs 64 MiB and ~0.1–0.3 s each, so a burst of sign-in attempts
# must not run them all at once. At most MAX_PASSWORD_CHECKS run in the process, and one at a time per
# account name (known or not, so waiting says nothing about whether the name exists); an attempt that cannot
# get its turn within LOGIN_WAIT_SECONDS is refused with the same message as a wrong password.
MAX_PASSWORD_CHECKS = 4
LOGIN_WAIT_SECONDS = 20.0
_CHECKS = threading.BoundedSemaphore(MAX_PASSWORD_CHECKS)
_NAMES_GUARD = threading.Lock()
_NAMES: dict[str, list] = {}  # name → [its lock, how many attempts hold or wait for it]; emptied as they end


def _dummy_hash() -> str:
    with _DUMMY_GUARD:
        if not _DUMMY:
            _DUMMY.append(_HASHER.hash(secrets.token_urlsafe(16)))
        return _DUMMY[0]


def _verify(hashed: str, password: str | None) -> bool:
    try:
        return _HASHER.verify(hashed, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _matches(hashed: str | None, password: str | None) -> bool:
    """The one argon2 check of an attempt: against the account's hash, or — unknown name, an account without
    a password, a locked account — against a dummy hash of the same cost, so every answer takes as long."""
    ok = _verify(hashed or _dummy_hash(), password)
    return ok and hashed is not None


@contextmanager
def _turn(name: str):
    """True once this attempt holds its name's turn and a password-check slot; False when it waited too long."""
    with _NAMES_GUARD:
        entry = _NAMES.setdefault(name, [threading.Lock(), 0])
        entry[1] += 1
    mine = slot = False
    try:
        deadline = time.monotonic() + LOGIN_WAIT_SECONDS
        mine = entry[0].acquire(timeout=LOGIN_WAIT_SECONDS)
        slot = mine and _CHECKS.acquire(timeout=max(0.0, deadline - time.monotonic()))
        yield slot
    finally:
        if slot:
            _CHECKS.release()
        if mine:
            entry[0].release()
        with _NAMES_GUARD:
            entry[1] -= 1
            if entry[1] == 0 and _NAMES.get(name) is entry:
                del _NAMES[name]


def login(url: str, auth: Auth, name: str, password: str, now: dt.datetime | None = None) -> LoginResult:
    """Check a name and password; on success open a session and return its token.

    `auth.max_failures` wrong passwords in a row lock the account for `auth.lockout_minutes` (a correct
    password during the lock is refused too). Every failure — unknown name, wrong password, locked, an
    account without a password, too many attempts at once — gets the one message FAILED and costs one argon2
    check; only whoever gives the right password of a disabled account is told it is disabled. Every attempt
    goes to the audit trail (login / login_failed, with the reason but never the password).

    Parallel attempts cannot pass the lockout: before the slow check, one atomic statement counts the attempt
    as a failure and succeeds only while the account is not locked and fewer than max_failures attempts are
    counted (compare-and-set on the row, the same on SQLite and PostgreSQL, and across server processes). A
    wrong password leaves the count; the max_failures-th locks the account. A right password resets the
    count only if no lock came into force meanwhile — otherwise it is refused — so a burst of wrong guesses
    with the right password among them ends locked after exactly max_failures wrong checks.
    """
    now = now or _now()
    name = (name or "").strip()[:200]
    with _turn(name) as turn:
        if not turn:
            audit.record(url, name[:100] or None, None, "login_failed", {"reason": "busy"})
            return LoginResult(False, FAILED)
        return _attempt(url, auth, name, password, now)


def _attempt(url: str, auth: Auth, name: str, password: str, now: dt.datetime) -> LoginResult:
    users = User.__table__
    engine = db.get_engine(url)
    free = or_(users.c.locked_until.is_(None), users.c.locked_until <= now)
    count = func.coalesce(users.c.failed_logins, 0)
    row, role, exists = None, None, False
    if name:
        with engine.begin() as conn:  # the reservation: counted as a failure before the password is checked
            row = conn.execute(
                update(users).where(users.c.name == name, free, count < auth.max_failures)
                .values(failed_logins=count + 1)
                .returning(users.c.id, users.c.name, users.c.role, users.c.departments, users.c.disabled,
                           users.c.password_hash, users.c.failed_logins)).mappings().first()
            if row is None:
                other = conn.execute(select(users.c.id, users.c.role, users.c.locked_until)
                                     .where(users.c.name == name)).mappings().first()
                if other is not None:
                    exists, role = True, other["role"]
                    if other["locked_until"] is None or other["locked_until"] <= now:
                        # max_failures attempts counted and none finished (another server process, or one
                        # that died mid-check): lock now rather than refuse for ever
                        conn.execute(update(users).where(users.c.id == other["id"], free).values(
                            failed_logins=0, locked_until=now + dt.timedelta(minutes=auth.lockout_minutes)))
    if row is None:
        _matches(None, password)  # the same work as a real check: no timing difference
        reason = "locked" if exists else "unknown_user"
        audit.record(url, name[:100] or None, role, "login_failed", {"reason": reason})
        return LoginResult(False, FAILED)
    role = row["role"]
    good = _matches(row["password_hash"], password)
    with engine.begin() as conn:
        if not good:
            failures = int(row["failed_logins"])
            locked = failures >= auth.max_failures
            if locked:
                conn.execute(update(users).where(users.c.id == row["id"]).values(
                    failed_logins=0, locked_until=now + dt.timedelta(minutes=auth.lockout_minutes)))
            audit.record_in(conn, name, role, "login_failed",
                            {"reason": "wrong_password", "failures": failures, "locked": locked})
            return LoginResult(False, FAILED)
        # right password: clear the count only while no lock is in force (compare-and-set)
        cleared = conn.execute(update(users).where(users.c.id == row["id"], free)
                               .values(failed_logins=0, locked_until=None)).rowcount
        if not cleared:
            audit.record_in(conn, name, role, "login_failed", {"reason": "locked"})
            return LoginResult(False, FAILED)
        if row["disabled"]:  # said only to whoever knows the password
            audit.record_in(conn, name, role, "login_failed", {"reason": "disabled"})
            return LoginResult(False, "该账号已停用，请联系管理员")
        if _HASHER.check_needs_rehash(row["password_hash"]):
            conn.execute(update(users).where(users.c.id == row["id"]).values(password_hash=_HASHER.hash(password)))
        sid = secrets.token_urlsafe(32)
        expires = now + dt.timedelta(hours=auth.session_hours)
        conn.execute(insert(AuthSession.__table__).values(id=_sid_hash(sid), user_id=row["id"], created_at=now,
                                                          expires_at=expires))
        audit.record_in(conn, name, role, "login", {"expires_at": expires.isoformat()})
    payload = f"{sid}.{int(expires.timestamp())}"
    token = f"{payload}.{_sign(auth.secret, payload)}"
    return LoginResult(True, "已登录", Actor(row["name"], role, tuple(row["departments"] or ())), token)


def _parse(auth: Auth, token: str | None, now: dt.datetime) -> str | None:
    """The SID of a well-formed, correctly signed, unexpired token; None otherwise."""
    if not token or not auth.secret or len(token) > 300:
        return None
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    sid, expiry, mac = parts
    if not hmac.compare_digest(_sign(auth.secret, f"{sid}.{expiry}"), mac):
        return None
    if int(expiry) <= now.timestamp():
        return None
    return sid


def session_actor(url: str, auth: Auth, token: str | None, now: dt.datetime | None = None) -> Actor | None:
    """The Actor a token signs in, or None (bad signature, expired, signed out, user disabled or gone)."""
    now = now or _now()
    sid = _parse(auth, token, now)
    if sid is None:
        return None
    s, u = AuthSession.__table__, User.__table__
    key = _sid_hash(sid)
    with db.get_engine(url).connect() as conn:
        r = conn.execute(select(u.c.name, u.c.role, u.c.departments, u.c.disabled, s.c.created_at, s.c.last_seen_at)
                         .join(s, s.c.user_id == u.c.id)
                         .where(s.c.id == key, s.c.ended_at.is_(None), s.c.expires_at > now)).first()
    if r is None or r.disabled:
        return None
    seen = r.last_seen_at or r.created_at
    if auth.idle_minutes and now - seen >= dt.timedelta(minutes=auth.idle_minutes):
        # 等保: unused for idle_minutes, the session ends (logged once: of two tabs, one ends it)
        with db.get_engine(url).begin() as conn:
            if conn.execute(update(s).where(s.c.id == key, s.c.ended_at.is_(None)).values(ended_at=now)).rowcount:
                audit.record_in(conn, r.name, r.role, "logout", {"reason": "idle", "idle_minutes": auth.idle_minutes})
        return None
    if now - seen >= SEEN_STEP:  # one small write a minute at most, not one per rerun
        with db.get_engine(url).begin() as conn:
            conn.execute(update(s).where(s.c.id == key).values(last_seen_at=now))
    return Actor(r.name, r.role, tuple(r.departments or ()))


def logout(url: str, auth: Auth, token: str | None) -> bool:
    """End the token's session (whatever happens to the cookie, the token no longer works). True if it was open."""
    now = _now()
    sid = _parse(auth, token, now)
    if sid is None:
        return False
    s, u = AuthSession.__table__, User.__table__
    with db.get_engine(url).begin() as conn:
        r = conn.execute(select(u.c.name, u.c.role).join(s, s.c.user_id == u.c.id)
                         .where(s.c.id == _sid_hash(sid), s.c.ended_at.is_(None))).first()
        if r is None:
            return False
        # ended only if still open when the row is written: of two sign-outs at once (two tabs, a double
        # click) one ends the session and is logged, the other finds it ended and writes nothing
        ended = conn.execute(update(s).where(s.c.id == _sid_hash(sid), s.c.ended_at.is_(None))
                             .values(ended_at=now)).rowcount
        if not ended:
            return False
        audit.record_in(conn, r.name, r.role, "logout", {})
    return True
