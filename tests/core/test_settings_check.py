"""Issue 21 item 2: settings are read once at the entry points, checked, and passed down.

A dashboard.toml with inverted or overlapping bands, a text weight, `max_rows = "many"`, an unknown key or an
unknown table is refused by load_settings (dashboard.core.settings.check_settings) with a Chinese sentence
naming the file, the table and the key; the command line exits 2 with that sentence on stderr and the app
shows it instead of any page. Password mode needs the session secret only where sessions are signed (the web
app's sign-in: require_secret); every command of the command line works without it.
"""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.cli import EXIT_INVALID, EXIT_OK, main
from dashboard.core.settings import (
    MIN_SECRET_CHARS,
    Rules,
    Settings,
    SettingsError,
    check_rules,
    check_settings,
    load_settings,
    require_secret,
)
from tests.pages import fixture_db
from tests.pages.apptest import APP, metrics, open_rules

SECRET = "z" * 40

# (id, file text, table, key, the end of the sentence) — the sentence must name the file, [table] and key
BAD = [
    ("inverted-bands", "[rules]\ngrade_excellent = 85\ngrade_good = 90\n",
     "rules", "grade_excellent", "grade_excellent（85）应大于 grade_good（90）"),
    ("equal-bands", "[rules]\ngrade_good = 60\n", "rules", "grade_good", "grade_good（60）应大于 grade_pass（60）"),
    ("overlapping-bands", "[rules]\ngrade_pass = 85\n", "rules", "grade_pass", "grade_good（80）应大于 grade_pass（85）"),
    ("band-above-100", "[rules]\ngrade_excellent = 120\n", "rules", "grade_excellent", "应在 0 到 100 之间"),
    ("band-negative", "[rules]\ngrade_pass = -1\n", "rules", "grade_pass", "应在 0 到 100 之间"),
    ("yellow-above-red", "[rules]\nyellow_lag = 25\n", "rules", "yellow_lag", "yellow_lag（25）应小于 red_lag（20）"),
    ("yellow-equals-red", "[rules]\nyellow_lag = 15\nred_lag = 15\n", "rules", "red_lag", "应小于 red_lag（15）"),
    ("negative-lag", "[rules]\nyellow_lag = -5\n", "rules", "yellow_lag", "不能为负数"),
    ("text-weight", '[rules]\nweight_evaluation = "30"\n', "rules", "weight_evaluation", '（"30"）应为数字'),
    ("bool-weight", "[rules]\nweight_not_red = true\n", "rules", "weight_not_red", "（true）应为数字"),
    ("negative-weight", "[rules]\nweight_coverage = -20\n", "rules", "weight_coverage", "不能为负数"),
    ("zero-weights", ("[rules]\nweight_coverage = 0\nweight_execution = 0\nweight_evaluation = 0\n"
                     "weight_rectification = 0\nweight_not_red = 0\n"), "rules", "weight_not_red", "之和（0）应大于 0"),
    ("nan-score", "[rules]\ngrade_pass = nan\n", "rules", "grade_pass", "应为有限的数字"),
    ("preset", '[rules]\nwarning_preset = "fixed"\n', "rules", "warning_preset", '应为 "lag" 或 "checkpoints"'),
    ("checkpoints-falling", "[rules.checkpoints]\n4 = 50\n6 = 40\n", "rules.checkpoints", "6",
     "6（40）应不低于 4（50）"),
    ("checkpoint-month-13", "[rules.checkpoints]\n13 = 90\n", "rules.checkpoints", "13", "应为月份 1 到 12"),
    ("checkpoint-month-text", "[rules.checkpoints]\nApril = 25\n", "rules.checkpoints", "April", "应为月份 1 到 12"),
    ("checkpoint-rate-120", "[rules.checkpoints]\n10 = 120\n", "rules.checkpoints", "10", "应在 0 到 100 之间"),
    ("checkpoint-rate-text", '[rules.checkpoints]\n4 = "25%"\n', "rules.checkpoints", "4", "应为数字"),
    ("checkpoints-not-a-table", "[rules]\ncheckpoints = [25, 40]\n", "rules", "checkpoints", "[rules.checkpoints]"),
    ("age-buckets-descending", "[rules]\nage_buckets = [90, 30]\n", "rules", "age_buckets", "从小到大的正整数"),
    ("age-buckets-zero", "[rules]\nage_buckets = [0, 30]\n", "rules", "age_buckets", "从小到大的正整数"),
    ("age-buckets-float", "[rules]\nage_buckets = [30.5, 90]\n", "rules", "age_buckets", "从小到大的正整数"),
    ("age-buckets-empty", "[rules]\nage_buckets = []\n", "rules", "age_buckets", "从小到大的正整数"),
    ("inflation-negative", "[rules]\ninflation_gap = -1\n", "rules", "inflation_gap", "不能为负数"),
    ("penalty-negative", "[rules]\nexecution_penalty = -2\n", "rules", "execution_penalty", "不能为负数"),
    ("min-projects-zero", "[rules]\nmin_projects = 0\n", "rules", "min_projects", "应不小于 1"),
    ("min-projects-float", "[rules]\nmin_projects = 2.5\n", "rules", "min_projects", "（2.5）应为整数"),
    ("grace-days-negative", "[rules]\ngrace_days = -1\n", "rules", "grace_days", "不能为负数"),
    ("grace-days-float", "[rules]\ngrace_days = 90.0\n", "rules", "grace_days", "（90.0）应为整数"),
    ("max-rows-text", '[limits]\nmax_rows = "many"\n', "limits", "max_rows", '（"many"）应为整数'),
    ("max-rows-bool", "[limits]\nmax_rows = true\n", "limits", "max_rows", "（true）应为整数"),
    ("max-rows-float", "[limits]\nmax_rows = 3.0\n", "limits", "max_rows", "（3.0）应为整数"),
    ("max-rows-zero", "[limits]\nmax_rows = 0\n", "limits", "max_rows", "应大于 0"),
    ("max-file-text", '[limits]\nmax_file_mb = "50"\n', "limits", "max_file_mb", "应为数字"),
    ("max-ratio-negative", "[limits]\nmax_ratio = -1\n", "limits", "max_ratio", "应大于 0"),
    ("list-rows-zero", "[documents]\nlist_rows = 0\n", "documents", "list_rows", "应不小于 1"),
    ("font-number", "[documents]\nbody_font = 5\n", "documents", "body_font", "应为字符串"),
    ("soffice-empty", '[documents]\nsoffice = ""\n', "documents", "soffice", "不能为空"),
    ("pdf-timeout-zero", "[documents]\npdf_timeout_s = 0\n", "documents", "pdf_timeout_s", "应大于 0"),
    ("auth-mode", '[auth]\nmode = "ldap"\n', "auth", "mode", '（"ldap"）应为'),
    ("session-hours-zero", "[auth]\nsession_hours = 0\n", "auth", "session_hours", "应大于 0"),
    ("max-failures-float", "[auth]\nmax_failures = 1.5\n", "auth", "max_failures", "应为整数"),
    ("lockout-negative", "[auth]\nlockout_minutes = -1\n", "auth", "lockout_minutes", "不能为负数"),
    ("warm-text", '[performance]\nwarm = "yes"\n', "performance", "warm", "应为 true 或 false"),
    ("warm-years-zero", "[performance]\nwarm_years = 0\n", "performance", "warm_years", "应不小于 1"),
    ("warm-poll-negative", "[performance]\nwarm_poll_s = -1\n", "performance", "warm_poll_s", "应大于 0"),
    ("warm-departments-many", "[performance]\nwarm_departments = 5000\n", "performance", "warm_departments",
     "应在 0 到 1000 之间"),
    ("database-url-number", "[database]\nurl = 5\n", "database", "url", "应为数据库 URL 字符串"),
    ("unknown-rules-key", "[rules]\ngrade_excelent = 85\n", "rules", "grade_excelent", "有未知的设置项"),
    ("unknown-checkpoints-subtable", "[rules.checkpoint]\n4 = 25\n", "rules", "checkpoint", "有未知的设置项"),
    ("unknown-limits-key", "[limits]\nmax_row = 10\n", "limits", "max_row", "有未知的设置项"),
    ("unknown-documents-key", '[documents]\nbody_fnt = "仿宋"\n', "documents", "body_fnt", "有未知的设置项"),
    ("unknown-auth-key", '[auth]\nmodus = "none"\n', "auth", "modus", "有未知的设置项"),
    ("unknown-performance-key", "[performance]\nwarm_poll = 1\n", "performance", "warm_poll", "有未知的设置项"),
    ("unknown-database-key", '[database]\nuri = "sqlite://"\n', "database", "uri", "有未知的设置项"),
    ("unknown-table", "[rule]\ngrade_excellent = 85\n", "rule", None, "是未知的表"),
    ("key-outside-tables", "grade_excellent = 85\n", None, "grade_excellent", "不在任何表中"),
    ("table-not-a-table", "limits = 5\n", None, "limits", "应为表 [limits]"),
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in ("DATABASE_URL", "DASHBOARD_AUTH_SECRET", "DASHBOARD_TODAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def _file(tmp_path, text: str):
    f = tmp_path / "dashboard.toml"
    f.write_text(text, encoding="utf-8")
    return f


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("text,table,key,says", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_bad_file_is_refused_naming_file_table_and_key(text, table, key, says, tmp_path, clean_env, capsys):
    f = _file(tmp_path, text)
    with pytest.raises(SettingsError) as refused:
        load_settings(f)
    message = str(refused.value)
    assert message.startswith(f"设置文件 {f} 的 "), message
    if table is not None:
        assert f"[{table}]" in message, message
    if key is not None:
        assert key in message, message
    assert says in message, message
    assert "规则设置文件" not in message and "Traceback" not in message
    # the command line: the same sentence on stderr, exit 2, before anything is read from the database
    clean_env.setenv("DASHBOARD_SETTINGS", str(f))
    code, out, err = _cli(capsys, "--db", f"sqlite:///{tmp_path / 'never.db'}", "summary", "--year", "2024", "--json")
    assert (code, out, err.strip()) == (EXIT_INVALID, "", message)
    assert not (tmp_path / "never.db").exists()


def test_a_file_that_is_not_toml_names_the_file(tmp_path, clean_env):
    f = _file(tmp_path, "[rules\ngrade_excellent = 85\n")
    with pytest.raises(SettingsError, match="不是有效的 TOML") as refused:
        load_settings(f)
    assert str(refused.value).startswith(f"设置文件 {f} ")


def test_a_secret_of_the_wrong_type_is_refused_without_showing_it(tmp_path, clean_env):
    f = _file(tmp_path, "[auth]\nsecret = 123456789012345678901234567890123456\n")
    with pytest.raises(SettingsError, match=r"\[auth\] secret 应为字符串") as refused:
        load_settings(f)
    assert "123456789" not in str(refused.value)


def test_good_non_default_files_load(tmp_path, clean_env):
    f = _file(tmp_path, """# every table, none at its defaults
[database]
url = "sqlite:///elsewhere.db"

[rules]
grade_excellent = 85
grade_good = 75.5
grade_pass = 55
yellow_lag = 5
red_lag = 15
warning_preset = "checkpoints"
inflation_gap = 8
age_buckets = [15, 60]
weight_coverage = 1
weight_execution = 1
weight_evaluation = 1
weight_rectification = 1
weight_not_red = 0
execution_penalty = 0
min_projects = 1
grace_days = 0

[rules.checkpoints]
10 = 80
4 = 25
6 = 40
8 = 40

[limits]
max_file_mb = 10
max_uncompressed_mb = 80.5
max_ratio = 50
max_rows = 1000
max_columns = 50
max_cells = 50000

[documents]
template = ""
body_font = "仿宋_GB2312"
list_rows = 1
question_overdue_days = 0
pdf_timeout_s = 30

[auth]
mode = "proxy"
session_hours = 0.5
max_failures = 1
lockout_minutes = 0
proxy_email_header = ""

[performance]
warm = false
warm_poll_s = 0.5
warm_years = 3
""")
    s = load_settings(f)
    assert s.settings_file == f and s.db_url == "sqlite:///elsewhere.db"
    assert (s.rules.grade_excellent, s.rules.grade_good, s.rules.grade_pass) == (85, 75.5, 55)
    assert s.rules.checkpoints == ((4, 25.0), (6, 40.0), (8, 40.0), (10, 80.0))  # in month order; equal is fine
    assert s.rules.age_buckets == (15, 60) and s.rules.min_projects == 1 and s.rules.grace_days == 0
    assert s.limits.max_rows == 1000 and s.documents.list_rows == 1 and s.auth.mode == "proxy"
    assert s.performance == dataclasses.replace(s.performance, warm=False, warm_poll_s=0.5, warm_years=3)
    assert require_secret(s) is s  # no secret needed outside password mode


def test_defaults_and_no_file_pass(tmp_path, clean_env):
    assert check_rules(Rules()) == Rules()
    assert check_settings(Settings()) == Settings()
    s = load_settings(tmp_path / "absent.toml")
    assert s.settings_file is None and s.rules == Rules()


def test_a_good_file_drives_the_command_line(tmp_path, clean_env, capsys):
    url = f"sqlite:///{tmp_path / 'fixture.db'}"
    fixture_db.build(url)
    clean_env.setenv("DASHBOARD_SETTINGS", str(_file(tmp_path, "[rules]\ngrade_excellent = 85\n")))
    code, out, err = _cli(capsys, "--db", url, "summary", "--year", "2024", "--json")
    assert code == EXIT_OK, err
    assert json.loads(out)["evaluations"]["grades"] == {"优": 5, "良": 1, "中": 1, "差": 1}  # 85, 88 and 90 are 优


def test_the_rules_panel_uses_the_same_check():
    """filters.rules_panel hands its values to check_rules: the same sentences, without a file."""
    with pytest.raises(SettingsError, match=r"^\[rules\] grade_excellent（70）应大于 grade_good（80）$"):
        check_rules(dataclasses.replace(Rules(), grade_excellent=70.0))
    with pytest.raises(SettingsError, match=r"^\[rules\] yellow_lag（40）应小于 red_lag（20）$"):
        check_rules(dataclasses.replace(Rules(), yellow_lag=40.0))
    with pytest.raises(SettingsError, match=r"^\[rules.checkpoints\] 8（30）应不低于 6（40）"):
        check_rules(dataclasses.replace(Rules(), checkpoints=((4, 25.0), (6, 40.0), (8, 30.0), (10, 80.0))))


# ------------------------------------------------------------------------------------------------ the secret


@pytest.fixture
def password_without_secret(tmp_path, clean_env):
    url = f"sqlite:///{tmp_path / 'fixture.db'}"
    fixture_db.build(url)
    f = _file(tmp_path, '[auth]\nmode = "password"\n')
    clean_env.setenv("DASHBOARD_SETTINGS", str(f))
    return url, f


@pytest.mark.parametrize("argv", [
    ["users", "list"], ["users", "list", "--json"], ["template", "{tmp}/template.xlsx"],
    ["summary", "--year", "2024", "--json"], ["audit"], ["audit", "--json"], ["batches"], ["init"],
], ids=lambda a: " ".join(a[:2]))
def test_commands_work_without_the_secret(argv, password_without_secret, tmp_path, capsys):
    url, _ = password_without_secret
    code, _out, err = _cli(capsys, "--db", url, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == EXIT_OK, err
    assert "DASHBOARD_AUTH_SECRET" not in err


def test_user_commands_work_without_the_secret(password_without_secret, capsys, monkeypatch):
    url, _ = password_without_secret
    monkeypatch.setattr("sys.stdin", io.StringIO("a good password 1\n"))
    assert _cli(capsys, "--db", url, "users", "add", "admin1", "--role", "admin", "--password-stdin")[0] == EXIT_OK
    assert _cli(capsys, "--db", url, "users", "disable", "admin1")[0] == EXIT_OK
    assert _cli(capsys, "--db", url, "users", "enable", "admin1")[0] == EXIT_OK


def test_the_sign_in_refuses_without_the_secret_saying_what_to_set_and_where(password_without_secret, monkeypatch):
    _, f = password_without_secret
    s = load_settings()
    with pytest.raises(SettingsError) as refused:
        require_secret(s)
    message = str(refused.value)
    for part in ("DASHBOARD_AUTH_SECRET", f"至少 {MIN_SECRET_CHARS} 个字符", "服务器的环境", f"设置文件 {f}",
                 "[auth]", "secret", "没有设置"):
        assert part in message, (part, message)
    assert "规则设置文件" not in message
    monkeypatch.setenv("DASHBOARD_AUTH_SECRET", "short-secret-123")
    with pytest.raises(SettingsError, match="太短") as refused:
        require_secret(load_settings())
    assert "short-secret-123" not in str(refused.value)
    monkeypatch.setenv("DASHBOARD_AUTH_SECRET", SECRET)
    assert require_secret(load_settings()).auth.secret == SECRET
    monkeypatch.delenv("DASHBOARD_AUTH_SECRET")
    f.write_text(f'[auth]\nmode = "password"\nsecret = "{SECRET}"\n', encoding="utf-8")
    assert require_secret(load_settings()).auth.secret == SECRET


# ------------------------------------------------------------------------------------------------ the app


@pytest.fixture
def app_db(tmp_path, clean_env):
    url = f"sqlite:///{tmp_path / 'fixture.db'}"
    fixture_db.build(url)
    clean_env.setenv("DATABASE_URL", url)
    clean_env.setenv("DASHBOARD_TODAY", fixture_db.TODAY)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield clean_env
    st.cache_data.clear()
    st.cache_resource.clear()


def _run_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_app_refuses_inverted_bands_and_shows_no_page(app_db, tmp_path):
    """Issue 21's "done when": inverted grade bands are refused naming the key, and the pages never see them."""
    good = _file(tmp_path, "[rules]\ngrade_excellent = 85\n")
    app_db.setenv("DASHBOARD_SETTINGS", str(good))
    at = _run_app()
    assert metrics(at) and not at.error  # the same database with a good file shows the overview's figures

    bad = _file(tmp_path, "[rules]\ngrade_excellent = 70\n")
    at = _run_app()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and f"设置文件 {bad} 的 [rules] grade_excellent（70）应大于 grade_good（80）" in errors[0]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
    assert not at.sidebar.selectbox and not at.sidebar.number_input  # no filters, no rules panel


def test_the_app_in_password_mode_without_the_secret_shows_no_sign_in(app_db, tmp_path):
    app_db.setenv("DASHBOARD_SETTINGS", str(_file(tmp_path, '[auth]\nmode = "password"\n')))
    at = _run_app()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "DASHBOARD_AUTH_SECRET" in errors[0] and "[auth]" in errors[0]
    assert not at.text_input and not at.metric  # no sign-in form, no figures


def test_the_rules_panel_refuses_inverted_bands_with_the_same_sentence(app_db, tmp_path):
    app_db.setenv("DASHBOARD_SETTINGS", str(tmp_path / "absent.toml"))
    at = open_rules(_run_app())
    at.number_input(key="r_excellent").set_value(70.0).run()
    warnings = [w.value for w in at.sidebar.warning]
    assert any("规则设置有误" in w and "[rules] grade_excellent（70）应大于 grade_good（80）" in w for w in warnings), warnings
