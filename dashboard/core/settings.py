"""Every setting the app reads: rule thresholds and weights (docs/rules.md's defaults), the database URL, the
settings file, the fixed "today" and the importing user — from `dashboard.toml` and the environment.

The file is `dashboard.toml` in the working directory, or the path in `DASHBOARD_SETTINGS`; every key is
optional (docs/rules.md lists them). The environment variables are DATABASE_URL, DASHBOARD_SETTINGS,
DASHBOARD_TODAY, DASHBOARD_USER and DASHBOARD_AUTH_SECRET; nothing else in the app reads the environment (tests/test_docs.py checks).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.core.vocab import AUTH_MODES

DEFAULT_DB_URL = "sqlite:///data/dashboard.db"
DEFAULT_SETTINGS_FILE = "dashboard.toml"


class SettingsError(ValueError):
    """A setting cannot be used; the message (Chinese) names the file or variable to correct."""


@dataclass(frozen=True)
class Rules:
    # 评价等级: score >= grade_excellent → 优, >= grade_good → 良, >= grade_pass → 中, else 差
    grade_excellent: float = 90.0
    grade_good: float = 80.0
    grade_pass: float = 60.0
    # 预警: lag (percentage points) >= yellow_lag → yellow, >= red_lag → red
    yellow_lag: float = 10.0
    red_lag: float = 20.0
    # "lag" (序时进度差) or "checkpoints" (固定节点, 四川 2025)
    warning_preset: str = "lag"
    # month → minimum cumulative execution rate (percent) at the end of that month
    checkpoints: tuple[tuple[int, float], ...] = ((4, 25.0), (6, 40.0), (8, 60.0), (10, 80.0))
    # 自评虚高: self − independent >= inflation_gap points, or a different grade
    inflation_gap: float = 10.0
    # 整改账龄 (days overdue) bucket upper bounds
    age_buckets: tuple[int, ...] = (30, 90, 180)
    # 部门综合得分 weights: coverage, execution, evaluation, rectification, not red
    weight_coverage: float = 20.0
    weight_execution: float = 20.0
    weight_evaluation: float = 30.0
    weight_rectification: float = 20.0
    weight_not_red: float = 10.0
    # execution sub-score = max(0, 100 − execution_penalty × lag points)
    execution_penalty: float = 2.0
    # departments with fewer projects than this are marked 样本少 in rankings
    min_projects: int = 5
    # 判断日期「年末加宽限期」: overdue and ageing judged on 12-31 of the year + this many days
    grace_days: int = 90

    def weights(self) -> dict[str, float]:
        return {
            "coverage": self.weight_coverage,
            "execution": self.weight_execution,
            "evaluation": self.weight_evaluation,
            "rectification": self.weight_rectification,
            "not_red": self.weight_not_red,
        }


@dataclass(frozen=True)
class Limits:
    """What one file may hold. The defaults fit a county or city workbook many times over; see docs/deployment.md."""

    max_file_mb: float = 50.0  # the file as uploaded
    max_uncompressed_mb: float = 400.0  # all parts of a workbook once inflated
    max_ratio: float = 100.0  # inflated ÷ compressed size of one part (zip bombs are 1,000× and more)
    max_rows: int = 300_000  # rows of one sheet (Excel shows up to 1,048,576)
    max_columns: int = 200  # columns of one sheet
    max_cells: int = 5_000_000  # rows × columns of one sheet, the grid the parser allocates

    def file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def uncompressed_bytes(self) -> int:
        return int(self.max_uncompressed_mb * 1024 * 1024)


@dataclass(frozen=True)
class Documents:
    """[documents]: the 部门简报 and 年度工作情况报告 (dashboard.documents). A font left empty keeps the template's;
    a font this machine lacks is replaced by the Noto CJK fallback in the PDF and the charts (docs/documents.md)."""

    template: str = ""  # a .docx whose styles, margins and letterhead the documents use ("" = the bundled one)
    title_font: str = ""  # 小标宋-style title, e.g. "方正小标宋简体"
    heading_font: str = ""  # 一级标题, e.g. "黑体"
    body_font: str = ""  # 仿宋-style body, e.g. "仿宋_GB2312"
    fallback_serif: str = "Noto Serif CJK SC"  # Debian fonts-noto-cjk
    fallback_sans: str = "Noto Sans CJK SC"
    list_rows: int = 30  # rows of one list in a brief; a longer one says 共 N 项，此处列出前 M 项
    question_overdue_days: int = 90  # an overdue finding past this many days becomes a 建议关注的问题
    soffice: str = "soffice"  # LibreOffice for the PDF (Debian libreoffice-writer-nogui)
    pdf_timeout_s: float = 120.0


@dataclass(frozen=True)
class Auth:
    """[auth]: who may sign in and how (docs/deployment.md, section 7). `secret` signs the session tokens of
    password mode: `[auth] secret`, or DASHBOARD_AUTH_SECRET; never printed (repr=False)."""

    mode: str = "none"  # none | password | oidc | proxy
    session_hours: float = 12.0  # a password-mode sign-in lasts this long
    secret: str | None = field(default=None, repr=False)
    cookie_name: str = "dashboard_session"
    max_failures: int = 5  # wrong passwords in a row before the account is locked
    lockout_minutes: float = 15.0
    # proxy: the headers the authenticating proxy sets (the user's name, optionally e-mail)
    proxy_user_header: str = "X-Forwarded-User"
    proxy_email_header: str = "X-Forwarded-Email"
    # oidc: the st.login provider ([auth.NAME] in .streamlit/secrets.toml; None = the [auth] section itself),
    # and the claim holding the role (a role code, or a list containing one); None = the users table by e-mail
    oidc_provider: str | None = None
    oidc_role_claim: str | None = None


@dataclass(frozen=True)
class Performance:
    """[performance]: warming the figures of the default page off the request path (dashboard/ui/warm.py)."""

    warm: bool = True  # warm project_facts and the per-department aggregates when the server starts, after imports
    warm_poll_s: float = 5.0  # how often the warming thread checks the data version (one small query)
    warm_years: int = 1  # how many of the latest years it warms (the default page shows the latest)


@dataclass(frozen=True)
class Settings:
    # DATABASE_URL, else [database] url of the file, else SQLite under data/
    db_url: str = DEFAULT_DB_URL
    rules: Rules = field(default_factory=Rules)
    # the file that was read (DASHBOARD_SETTINGS or ./dashboard.toml); None when there was none
    settings_file: Path | None = None
    # DASHBOARD_TODAY: a fixed day to judge overdue and time progress on (tests, screenshots); None = the clock
    today: dt.date | None = None
    # who imports: DASHBOARD_USER, else the login name of the process; recorded on each import batch
    user: str | None = None
    # [limits]: what one uploaded or imported file may hold (checked before any cell is parsed)
    limits: Limits = field(default_factory=Limits)
    # [documents]: fonts, template and PDF converter of the brief and the annual report
    documents: Documents = field(default_factory=Documents)
    # [auth]: sign-in mode, sessions, lockout, proxy headers, OIDC claim
    auth: Auth = field(default_factory=Auth)
    # [performance]: the warming thread (see Performance)
    performance: Performance = field(default_factory=Performance)

    def effective_today(self) -> dt.date:
        """The fixed day when DASHBOARD_TODAY is set, else today's date."""
        return self.today or dt.date.today()


def _coerce(name: str, value):
    if name == "checkpoints" and isinstance(value, dict):
        return tuple(sorted((int(k), float(v)) for k, v in value.items()))
    if name == "age_buckets":
        return tuple(int(v) for v in value)
    return value


def rules_from_mapping(data: dict) -> Rules:
    known = {f.name for f in dataclasses.fields(Rules)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"未知的规则设置项：{', '.join(sorted(unknown))}")
    return Rules(**{k: _coerce(k, v) for k, v in data.items()})


def _login_name() -> str | None:
    # the variables first: getpass.getuser() fails in containers whose uid has no passwd entry
    for var in ("USER", "USERNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name is not an error
        return None


def _today(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"环境变量 DASHBOARD_TODAY 应为 YYYY-MM-DD：{value!r}") from None


def settings_path() -> Path:
    """The settings file: DASHBOARD_SETTINGS, else ./dashboard.toml (it need not exist)."""
    return Path(os.environ.get("DASHBOARD_SETTINGS") or DEFAULT_SETTINGS_FILE)


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Settings from the TOML file (if any) and the environment; SettingsError says what to correct."""
    path = Path(path or settings_path())
    data: dict = {}
    found = path.is_file()
    try:
        if found:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        rules = rules_from_mapping(data.get("rules", {}))
        limits = _limits_from_mapping(data.get("limits", {}))
        documents = _documents_from_mapping(data.get("documents", {}))
        auth = _auth_from_mapping(data.get("auth", {}), os.environ.get("DASHBOARD_AUTH_SECRET"))
        performance = _performance_from_mapping(data.get("performance", {}))
    except (ValueError, TypeError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise SettingsError(f"规则设置文件 dashboard.toml 有误（{path}）：{exc}") from exc
    db_url = os.environ.get("DATABASE_URL") or data.get("database", {}).get("url") or DEFAULT_DB_URL
    return Settings(db_url=db_url, rules=rules, settings_file=path if found else None,
                    today=_today(os.environ.get("DASHBOARD_TODAY")),
                    user=os.environ.get("DASHBOARD_USER") or _login_name(), limits=limits,
                    documents=documents, auth=auth, performance=performance)


def _limits_from_mapping(data: dict) -> Limits:
    known = {f.name for f in dataclasses.fields(Limits)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"未知的 [limits] 设置项：{', '.join(sorted(unknown))}")
    return Limits(**data)


def _documents_from_mapping(data: dict) -> Documents:
    known = {f.name for f in dataclasses.fields(Documents)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"未知的 [documents] 设置项：{', '.join(sorted(unknown))}")
    return Documents(**data)


MIN_SECRET_CHARS = 32


def _auth_from_mapping(data: dict, env_secret: str | None) -> Auth:
    """The [auth] table; DASHBOARD_AUTH_SECRET overrides its `secret`. Password mode needs a secret of at
    least MIN_SECRET_CHARS characters (the message never repeats the secret)."""
    known = {f.name for f in dataclasses.fields(Auth)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"未知的 [auth] 设置项：{', '.join(sorted(unknown))}")
    data = dict(data)
    if env_secret:
        data["secret"] = env_secret
    auth = Auth(**data)
    if auth.mode not in AUTH_MODES:
        raise ValueError(f"[auth] mode 应为 {' | '.join(AUTH_MODES)} 之一：{auth.mode!r}")
    if auth.mode == "password" and len(auth.secret or "") < MIN_SECRET_CHARS:
        raise ValueError(f"[auth] mode = \"password\" 需要至少 {MIN_SECRET_CHARS} 个字符的 secret"
                         "（dashboard.toml 的 [auth] secret 或环境变量 DASHBOARD_AUTH_SECRET）")
    if auth.session_hours <= 0 or auth.max_failures < 1 or auth.lockout_minutes < 0:
        raise ValueError("[auth] session_hours 应大于 0，max_failures 至少为 1，lockout_minutes 不能为负")
    return auth


def _performance_from_mapping(data: dict) -> Performance:
    known = {f.name for f in dataclasses.fields(Performance)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"未知的 [performance] 设置项：{', '.join(sorted(unknown))}")
    perf = Performance(**data)
    if not isinstance(perf.warm, bool) or perf.warm_poll_s <= 0 or int(perf.warm_years) < 1:
        raise ValueError("[performance] 应为 warm = true/false，warm_poll_s 大于 0，warm_years 至少为 1")
    return perf
