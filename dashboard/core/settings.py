"""Every setting the app reads: rule thresholds and weights (docs/rules.md's defaults), the database URL, the
settings file, the fixed "today" and the importing user — from `dashboard.toml` and the environment.

The file is `dashboard.toml` in the working directory, or the path in `DASHBOARD_SETTINGS`; every key is
optional (docs/rules.md lists them). The environment variables are DATABASE_URL, DASHBOARD_SETTINGS,
DASHBOARD_TODAY, DASHBOARD_USER and DASHBOARD_AUTH_SECRET; nothing else in the app reads the environment (tests/test_docs.py checks).

Settings are read once, at the entry points (dashboard/cli.py main, dashboard/app.py), checked here
(check_settings: unknown tables and keys, types, ranges and orders; check_rules is also the sidebar rules
panel's check) and passed down. A refusal is a SettingsError whose Chinese sentence names the file, the table
and the key. The session secret is checked only where password sign-in uses it (require_secret).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import itertools
import math
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
    # 金额单位 (docs/rules.md 金额单位): the largest plausible amount of one project, in 万元 (500000 = 50 亿元),
    # and the factor of a jump against the same project's or department's own history that counts as 元 under 万元
    unit_project_max_wan: float = 500_000.0
    unit_history_factor: float = 300.0
    # 合理取值范围 (docs/rules.md): an amount above amount_max_wan 万元 (in absolute value; 1e8 万元 = 1 万亿元) and a
    # date outside the years date_min_year–date_max_year are refused at the import, naming the cell
    amount_max_wan: float = 100_000_000.0
    date_min_year: int = 1990
    date_max_year: int = 2100
    # 整改 (docs/rules.md): 整改率 counts findings 已核验 ("verified") or every 单位报称已整改 ("reported"); a finding is
    # 屡审屡犯 when an earlier year's finding of the same unit or project has its 问题类别, or a text at least this
    # similar (character-bigram Jaccard, 0–1)
    rectification_basis: str = "verified"
    repeat_similarity: float = 0.5
    # 结果应用: a policy older than policy_age_years is due for evaluation every policy_interval_years
    policy_age_years: int = 5
    policy_interval_years: int = 3
    # 目标质量 (docs/rules.md): actual ≥ overshoot_factor × target means the target was set too low; a budget up by
    # more than budget_up_share (0.2 = 20%) with every output target flat; near-duplicate projects across departments
    # (name similarity ≥ duplicate_similarity and amounts within duplicate_amount_share); projects of at least
    # cost_indicator_min_wan 万元 must carry a 成本指标 (0 = every project)
    overshoot_factor: float = 2.0
    budget_up_share: float = 0.2
    duplicate_similarity: float = 0.8
    duplicate_amount_share: float = 0.1
    cost_indicator_min_wan: float = 0.0

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
    # the app's address as readers open it (https://…): each brief prints a QR code of its live 部门画像 page; ""
    # = the address the browser used when the brief is downloaded from a page (the command line prints none)
    public_url: str = ""
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
    # 等保: a new password has at least password_min_chars characters of at least password_classes of the four kinds
    # (大写字母, 小写字母, 数字, 其他符号); a password-mode session unused for idle_minutes ends (0 = never)
    password_min_chars: int = 8
    password_classes: int = 3
    idle_minutes: float = 30.0
    # the hash chaining the audit trail's entries: "sha256", or "sm3" (GB/T 32905) where a bureau requires it
    audit_hash: str = "sha256"
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
    warm_years: int = 2  # how many of the latest years it warms: the year in progress and the one before it
    # how many departments it then opens 总览 and 部门画像 of, in each of those years (dashboard/previsit.py); 0 = none
    warm_departments: int = 100


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


def _month(key):
    """A [rules.checkpoints] key as a month number where it is one ("4" → 4); else the key as written."""
    try:
        return int(key)
    except (TypeError, ValueError):
        return key


def _coerce(name: str, value):
    """[rules] values as the Rules fields hold them, where they have the right shape; anything else is kept as
    written, for check_rules to refuse with the key (nothing here raises on a wrong type)."""
    if name == "checkpoints" and isinstance(value, dict):
        points = [(_month(k), float(v) if _is_number(v) else v) for k, v in value.items()]
        if all(isinstance(m, int) for m, _ in points):
            points.sort(key=lambda p: p[0])
        return tuple(points)
    if name == "age_buckets" and isinstance(value, list):
        return tuple(value)
    return value


def _unknown_keys(cls, data: dict, table: str, source: str = "") -> None:
    unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise SettingsError(f"{source}[{table}] 有未知的设置项 {'、'.join(unknown)}")


def rules_from_mapping(data: dict) -> Rules:
    """Rules from a [rules] table (unknown keys refused); check_rules checks the values."""
    _unknown_keys(Rules, data, "rules")
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


TABLES = ("rules", "limits", "documents", "auth", "performance", "database")  # the tables dashboard.toml may hold
WARNING_PRESETS = ("lag", "checkpoints")
AUDIT_HASHES = ("sha256", "sm3")  # dashboard.core.audit.HASHES
RECTIFICATION_BASES = ("verified", "reported")  # 整改率 counts 已核验 findings, or every 单位报称已整改 one
WEIGHT_FIELDS = ("weight_coverage", "weight_execution", "weight_evaluation", "weight_rectification", "weight_not_red")
MIN_SECRET_CHARS = 32
MAX_AMOUNT_WAN = 1e12  # amount_max_wan at most this (1 亿亿元): any total of such amounts stays a finite number


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Settings from the TOML file (if any) and the environment, checked (check_settings): a SettingsError
    names the file, the table and the key to correct. The session secret is not required here (only the
    web app's password sign-in needs it: require_secret)."""
    path = Path(path or settings_path())
    found = path.is_file()
    data = _read(path) if found else {}
    source = f"设置文件 {path} 的 "
    _check_tables(data, source)
    file_url = data.get("database", {}).get("url")
    auth = dict(data.get("auth", {}))
    if os.environ.get("DASHBOARD_AUTH_SECRET"):
        auth["secret"] = os.environ["DASHBOARD_AUTH_SECRET"]
    settings = Settings(
        db_url=os.environ.get("DATABASE_URL") or file_url or DEFAULT_DB_URL,
        rules=rules_from_mapping(data.get("rules", {})),
        settings_file=path if found else None,
        today=_today(os.environ.get("DASHBOARD_TODAY")),
        user=os.environ.get("DASHBOARD_USER") or _login_name(),
        limits=Limits(**data.get("limits", {})),
        documents=Documents(**data.get("documents", {})),
        auth=Auth(**auth),
        performance=Performance(**data.get("performance", {})),
    )
    return check_settings(settings, source)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"设置文件 {path} 不是有效的 TOML：{exc}") from exc
    except UnicodeDecodeError:
        raise SettingsError(f"设置文件 {path} 应为 UTF-8 编码的文本") from None
    except OSError as exc:
        raise SettingsError(f"设置文件 {path} 无法读取：{exc.strerror or exc}") from None


def _check_tables(data: dict, source: str) -> None:
    """Every top-level name a known table, every key of a table a known setting, [database] url a string."""
    for name, value in data.items():
        if name not in TABLES:
            if isinstance(value, dict):
                raise SettingsError(f"{source}[{name}] 是未知的表（可用的表：{'、'.join(f'[{t}]' for t in TABLES)}）")
            raise SettingsError(f"{source}{name} 不在任何表中：应写在 {'、'.join(f'[{t}]' for t in TABLES)} 之一的下面")
        if not isinstance(value, dict):
            raise SettingsError(f"{source}{name}（{_show(value)}）应为表 [{name}]")
    for cls, table in ((Rules, "rules"), (Limits, "limits"), (Documents, "documents"), (Auth, "auth"),
                       (Performance, "performance")):
        _unknown_keys(cls, data.get(table, {}), table, source)
    database = data.get("database", {})
    unknown = sorted(set(database) - {"url"})
    if unknown:
        raise SettingsError(f"{source}[database] 有未知的设置项 {'、'.join(unknown)}")
    if "url" in database and not (isinstance(database["url"], str) and database["url"].strip()):
        raise SettingsError(f"{source}[database] url（{_show(database['url'])}）应为数据库 URL 字符串")


# ------------------------------------------------------------------------------------------------ the check


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _show(value) -> str:
    """A value for a message, as a file would write it: 85 (also for 85.0), 0.5, "many", true, [30, 90]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return '"' + (value if len(value) <= 40 else value[:40] + "…") + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "未设置"
    return str(value)


class _Check:
    """Refusals for one table: `设置文件 PATH 的 [TABLE] KEY（VALUE）应……` (source "" → `[TABLE] KEY…`)."""

    def __init__(self, source: str, table: str, obj):
        self.source, self.table, self.obj = source, table, obj

    def fail(self, text: str, table: str | None = None):
        raise SettingsError(f"{self.source}[{table or self.table}] {text}")

    def value(self, key: str) -> str:
        return f"{key}（{_show(getattr(self.obj, key))}）"

    def types(self, skip: tuple[str, ...] = (), hidden: tuple[str, ...] = ()) -> None:
        """Every field of the dataclass holds a value of its annotated type: float = a finite number (an int
        is one), int = a whole number written without a decimal point (true/false are not numbers)."""
        for f in dataclasses.fields(self.obj):
            if f.name in skip:
                continue
            v = getattr(self.obj, f.name)
            shown = f"{f.name} " if f.name in hidden else self.value(f.name)  # the secret is never shown
            kind = str(f.type)
            if kind == "float" and not _is_number(v):
                self.fail(f"{shown}应为{'有限的' if isinstance(v, float) else ''}数字")
            elif kind == "int" and not (isinstance(v, int) and not isinstance(v, bool)):
                shown = f"{f.name}（{v!r}）" if isinstance(v, float) else shown  # 3.0, not 3
                self.fail(f"{shown}应为整数（不带小数点）")
            elif kind == "bool" and not isinstance(v, bool):
                self.fail(f"{shown}应为 true 或 false")
            elif kind in ("str", "str | None") and not (isinstance(v, str) or (v is None and kind != "str")):
                self.fail(f"{shown}应为字符串（加引号）")

    def at_least(self, key: str, low: float) -> None:
        if getattr(self.obj, key) < low:
            self.fail(f"{self.value(key)}{'不能为负数' if low == 0 else f'应不小于 {low:g}'}")

    def above(self, key: str, low: float = 0) -> None:
        if not getattr(self.obj, key) > low:
            self.fail(f"{self.value(key)}应大于 {low:g}")

    def within(self, key: str, low: float, high: float) -> None:
        if not low <= getattr(self.obj, key) <= high:
            self.fail(f"{self.value(key)}应在 {low:g} 到 {high:g} 之间")

    def below(self, key: str, other: str) -> None:
        if not getattr(self.obj, key) < getattr(self.obj, other):
            self.fail(f"{self.value(key)}应小于 {self.value(other)}")

    def filled(self, key: str) -> None:
        if not getattr(self.obj, key).strip():
            self.fail(f"{key} 不能为空")


def check_rules(rules: Rules, source: str = "") -> Rules:
    """The one check of rule values — of the settings file (load_settings) and of the sidebar's rules panel.

    grade_excellent > grade_good > grade_pass, all within 0–100; 0 ≤ yellow_lag < red_lag; warning_preset
    one of WARNING_PRESETS; checkpoints months 1–12 in order, rates 0–100 never lower than an earlier month's;
    inflation_gap ≥ 0; age_buckets ascending positive whole numbers; every weight a number ≥ 0 and their sum
    > 0 (docs/rules.md: 综合得分 = Σ weight × sub-score ÷ Σ weight, so the sum need not be 100); execution_penalty
    ≥ 0; min_projects a whole number ≥ 1; grace_days a whole number ≥ 0; unit_project_max_wan > 0;
    unit_history_factor > 1; amount_max_wan ≥ unit_project_max_wan and at most 1e12; date_min_year < date_max_year,
    both within 1900–9999; rectification_basis one of RECTIFICATION_BASES; repeat_similarity, duplicate_similarity
    and duplicate_amount_share within 0–1; policy_age_years ≥ 0, policy_interval_years ≥ 1; overshoot_factor > 1;
    budget_up_share and cost_indicator_min_wan ≥ 0. Returns `rules`; SettingsError
    otherwise, `source` (e.g. "设置文件 PATH 的 ") before the table and key it names."""
    c = _Check(source, "rules", rules)
    c.types(skip=("checkpoints", "age_buckets"))
    for key in ("grade_excellent", "grade_good", "grade_pass"):
        c.within(key, 0, 100)
    if not rules.grade_excellent > rules.grade_good:
        c.fail(f"{c.value('grade_excellent')}应大于 {c.value('grade_good')}")
    if not rules.grade_good > rules.grade_pass:
        c.fail(f"{c.value('grade_good')}应大于 {c.value('grade_pass')}")
    c.at_least("yellow_lag", 0)
    c.at_least("red_lag", 0)
    c.below("yellow_lag", "red_lag")
    if rules.warning_preset not in WARNING_PRESETS:
        c.fail(f"{c.value('warning_preset')}应为 {' 或 '.join(_show(p) for p in WARNING_PRESETS)}")
    _check_checkpoints(c, rules.checkpoints)
    c.at_least("inflation_gap", 0)
    buckets = rules.age_buckets
    if not (isinstance(buckets, (tuple, list)) and buckets
            and all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in buckets)
            and all(a < b for a, b in itertools.pairwise(buckets))):
        c.fail(f"{c.value('age_buckets')}应为从小到大的正整数（天），如 [30, 90, 180]")
    for key in WEIGHT_FIELDS:
        c.at_least(key, 0)
    total = sum(getattr(rules, key) for key in WEIGHT_FIELDS)
    if not total > 0:
        c.fail(f"{'、'.join(WEIGHT_FIELDS)} 之和（{total:g}）应大于 0")
    c.at_least("execution_penalty", 0)
    c.at_least("min_projects", 1)
    c.at_least("grace_days", 0)
    c.above("unit_project_max_wan", 0)
    c.above("unit_history_factor", 1)
    if not rules.amount_max_wan >= rules.unit_project_max_wan:
        c.fail(f"{c.value('amount_max_wan')}应不小于 {c.value('unit_project_max_wan')}")
    c.within("amount_max_wan", 0, MAX_AMOUNT_WAN)
    c.within("date_min_year", 1900, 9999)
    c.within("date_max_year", 1900, 9999)
    c.below("date_min_year", "date_max_year")
    if rules.rectification_basis not in RECTIFICATION_BASES:
        c.fail(f"{c.value('rectification_basis')}应为 {' 或 '.join(_show(p) for p in RECTIFICATION_BASES)}")
    for key in ("repeat_similarity", "duplicate_similarity", "duplicate_amount_share"):
        c.within(key, 0, 1)
    c.at_least("policy_age_years", 0)
    c.at_least("policy_interval_years", 1)
    c.above("overshoot_factor", 1)
    c.at_least("budget_up_share", 0)
    c.at_least("cost_indicator_min_wan", 0)
    return rules


def _check_checkpoints(c: _Check, checkpoints) -> None:
    table = "rules.checkpoints"
    if not isinstance(checkpoints, tuple) or not all(isinstance(p, tuple) and len(p) == 2 for p in checkpoints):
        c.fail(f"{c.value('checkpoints')}应写成表 [rules.checkpoints]，每行「月份 = 该月末最低累计执行率（%）」")
    previous = None
    for month, rate in checkpoints:
        if not (isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12):
            c.fail(f"{month} 应为月份 1 到 12", table)
        if not _is_number(rate):
            c.fail(f"{month}（{_show(rate)}）应为数字（执行率，%）", table)
        if not 0 <= rate <= 100:
            c.fail(f"{month}（{_show(rate)}）应在 0 到 100 之间", table)
        if previous is not None:
            if month <= previous[0]:
                c.fail(f"{month} 应排在 {previous[0]} 之后，且每个月份只写一次", table)
            if rate < previous[1]:
                c.fail(f"{month}（{_show(rate)}）应不低于 {previous[0]}（{_show(previous[1])}）：节点要求的执行率应随月份上升",
                       table)
        previous = (month, rate)


def check_settings(settings: Settings, source: str | None = None) -> Settings:
    """Check the values of every table (types and ranges): [rules] by check_rules, then [limits], [documents],
    [auth] and [performance]. Returns `settings`; a SettingsError names the file, the table and the key.
    `source` defaults to the settings file's own (「设置文件 PATH 的 」)."""
    if source is None:
        source = f"设置文件 {settings.settings_file} 的 " if settings.settings_file else "设置 "
    check_rules(settings.rules, source)

    c = _Check(source, "limits", settings.limits)
    c.types()
    for f in dataclasses.fields(Limits):
        c.above(f.name)

    c = _Check(source, "documents", settings.documents)
    c.types()
    c.filled("soffice")
    c.at_least("list_rows", 1)
    c.at_least("question_overdue_days", 0)
    c.above("pdf_timeout_s")

    auth = settings.auth
    c = _Check(source, "auth", auth)
    c.types(hidden=("secret",))
    if auth.mode not in AUTH_MODES:
        c.fail(f"{c.value('mode')}应为 {'、'.join(_show(m) for m in AUTH_MODES)} 之一")
    c.above("session_hours")
    c.at_least("max_failures", 1)
    c.at_least("lockout_minutes", 0)
    c.filled("cookie_name")
    c.filled("proxy_user_header")
    c.within("password_min_chars", 6, 128)
    c.within("password_classes", 1, 4)
    c.at_least("idle_minutes", 0)
    if auth.audit_hash not in AUDIT_HASHES:
        c.fail(f"{c.value('audit_hash')}应为 {' 或 '.join(_show(h) for h in AUDIT_HASHES)}")

    c = _Check(source, "performance", settings.performance)
    c.types()
    c.above("warm_poll_s")
    c.at_least("warm_years", 1)
    c.within("warm_departments", 0, 1000)

    if not (isinstance(settings.db_url, str) and settings.db_url.strip()):
        raise SettingsError(f"{source}[database] url 应为数据库 URL 字符串")
    return settings


def require_secret(settings: Settings) -> Settings:
    """Password mode signs and verifies session tokens with `[auth] secret` (or DASHBOARD_AUTH_SECRET): where
    that happens (the web app's sign-in) the secret must be there, at least MIN_SECRET_CHARS characters.
    Returns `settings`; SettingsError says what to set and where (never the secret itself). Other modes, and
    every command of the command line, need no secret."""
    if settings.auth.mode != "password":
        return settings
    secret = settings.auth.secret or ""
    if len(secret) >= MIN_SECRET_CHARS:
        return settings
    file = settings.settings_file or settings_path()
    what = f"密码登录（设置文件 {file} 的 [auth] mode = \"password\"）需要会话密钥"
    where = (f"请在服务器的环境中设置 DASHBOARD_AUTH_SECRET（至少 {MIN_SECRET_CHARS} 个字符，如 openssl rand -hex 32 "
             f"的输出），或在设置文件 {file} 的 [auth] 中设置 secret")
    if not secret:
        raise SettingsError(f"{what}，但没有设置：{where}")
    raise SettingsError(f"{what}，现在的只有 {len(secret)} 个字符，太短：{where}")
