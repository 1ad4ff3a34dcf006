"""Role checks inside the writing functions (import, undo, sync, saving rules, user management), the audit
entries they write, and the command line's `users`, `audit` and `--as` — on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from import_set import FILES, all_sources, dump

from dashboard.cli import main
from dashboard.core import accounts, audit, db
from dashboard.core import models as m
from dashboard.core.accounts import Actor, Forbidden
from dashboard.core.rules_file import save_rules
from dashboard.core.settings import Rules, load_settings
from data_loaders.importer import import_files, list_batches, undo_batch
from data_loaders.sync import SyncError, sync

STAFF, LEADER, DEPUTY = Actor("王科员", "staff"), Actor("李局长", "leader"), Actor("赵代表", "deputy")


@pytest.fixture
def url(db_url):
    db.init_db(db_url)
    return db_url


def test_readers_cannot_import_and_the_refusal_is_audited(url):
    for who in (LEADER, DEPUTY, Actor("钱", "staff", ("区教育局",))):
        result = import_files(url, all_sources(), actor=who)
        assert not result.ok and result.batch_id is None
        assert "无权导入数据" in result.errors[0].message or "限定的部门" in result.errors[0].message
    assert dump(url) == {t.__tablename__: [] for t in m.DATA_TABLES} and list_batches(url) == []
    refused = audit.entries(url, actions=["import_refused"])
    assert [(e["user"], e["detail"]["reason"]) for e in refused] == \
           [("钱", "forbidden"), ("赵代表", "forbidden"), ("李局长", "forbidden")]
    assert refused[-1]["detail"]["files"] == list(FILES)


def test_staff_import_and_undo_carry_the_real_name_in_batch_and_audit(url):
    result = import_files(url, all_sources(), actor=STAFF)
    assert result.ok, result.errors
    batch = list_batches(url)[0]
    assert batch["user"] == "王科员"
    entry = audit.entries(url, actions=["import"])[0]
    assert (entry["user"], entry["role"], entry["detail"]["batch"]) == ("王科员", "staff", result.batch_id)
    assert entry["detail"]["files"] == list(FILES) and entry["detail"]["counts"]["projects"]["inserted"] == 5
    with pytest.raises(Forbidden, match="无权撤销导入"):
        undo_batch(url, result.batch_id, actor=DEPUTY)
    assert list_batches(url)[0]["status"] == "committed"
    undo_batch(url, result.batch_id, actor=Actor("管理员甲", "admin"))
    undo = audit.entries(url, actions=["undo"])[0]
    assert undo["user"] == "管理员甲" and undo["detail"]["batch"] == result.batch_id
    assert undo["detail"]["deleted"]["projects"] == 5


def test_a_file_with_errors_is_audited_as_import_refused_with_its_first_errors(url):
    bad = ("bad.csv", "年度,主管部门,项目名称,年初预算,调整后预算\n2022,区教育局,甲,-5,abc\n".encode())
    result = import_files(url, [bad], actor=STAFF)
    assert not result.ok
    entry = audit.entries(url, actions=["import_refused"])[0]
    assert entry["user"] == "王科员" and entry["detail"]["files"] == ["bad.csv"]
    assert entry["detail"]["error_count"] == len(result.errors) and "bad.csv" in entry["detail"]["errors"][0]
    # a dry run writes nothing, not even an audit entry
    import_files(url, all_sources(), actor=STAFF, dry_run=True)
    assert [e["action"] for e in audit.entries(url)] == ["import_refused"]


def test_sync_refuses_readers_before_reading_the_source(url, tmp_path):
    with pytest.raises(SyncError, match="无权同步数据库"):
        sync(url, "sqlite:///" + str(tmp_path / "nowhere.db"), {"projects": {"table": "x"}}, actor=LEADER)
    entry = audit.entries(url)[0]
    assert (entry["user"], entry["action"], entry["detail"]["source"]) == ("李局长", "import_refused", "sync")
    assert "无权同步数据库" in entry["detail"]["errors"][0]


def test_saving_rules_needs_staff_and_keeps_the_other_tables(url, tmp_path):
    f = tmp_path / "dashboard.toml"
    f.write_text('# 本局设置\n[database]\nurl = "sqlite:///x.db"\n\n[rules]\nred_lag = 25.0\n\n[limits]\nmax_rows = 1000\n',
                 encoding="utf-8")
    rules = dataclasses.replace(Rules(), yellow_lag=12.0, red_lag=30.0,
                                checkpoints=((4, 30.0), (6, 40.0), (8, 60.0), (10, 80.0)))
    with pytest.raises(Forbidden, match="无权保存规则设置"):
        save_rules(rules, actor=LEADER, url=url, path=f)
    assert "red_lag = 25.0" in f.read_text(encoding="utf-8")
    save_rules(rules, actor=STAFF, url=url, path=f)
    saved = load_settings(f)
    assert saved.rules == rules and saved.limits.max_rows == 1000 and saved.db_url in ("sqlite:///x.db", saved.db_url)
    assert f.read_text(encoding="utf-8").startswith("# 本局设置")
    entry = audit.entries(url, actions=["settings"])[0]
    assert entry["user"] == "王科员" and entry["detail"]["rules"]["red_lag"] == 30.0


# ------------------------------------------------------------------------------------------------ command line


def run(capsys, monkeypatch, *argv, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def files(tmp_path):
    out = []
    for name, body in FILES.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
        out.append(str(tmp_path / name))
    return out


def test_users_commands(url, capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "--db", url, "users", "add", "admin1", "--role", "admin",
                         "--password-stdin", stdin="first admin pw 1\n")
    assert code == 0, err
    code, _, err = run(capsys, monkeypatch, "--db", url, "users", "add", "jy", "--role", "deputy",
                       "--department", "区教育局", "--department", "区卫健委", "--password-stdin", stdin="deputy pw 1\n")
    assert code == 0, err
    code, _, err = run(capsys, monkeypatch, "--db", url, "users", "add", "jy", "--role", "deputy",
                       "--password-stdin", stdin="deputy pw 1\n")
    assert code == 2 and "已存在" in err
    code, out, _ = run(capsys, monkeypatch, "--db", url, "users", "list", "--json")
    users = {u["name"]: u for u in json.loads(out)}
    assert users["jy"]["departments"] == ["区教育局", "区卫健委"] and users["admin1"]["role"] == "admin"
    auth = dataclasses.replace(load_settings().auth, mode="password", secret="k" * 40)
    token = accounts.login(url, auth, "jy", "deputy pw 1").token
    assert run(capsys, monkeypatch, "--db", url, "users", "passwd", "jy", "--password-stdin",
               stdin="new deputy pw 2\n")[0] == 0
    assert accounts.session_actor(url, auth, token) is None and accounts.login(url, auth, "jy", "new deputy pw 2").ok
    assert run(capsys, monkeypatch, "--db", url, "users", "disable", "jy")[0] == 0
    assert not accounts.login(url, auth, "jy", "new deputy pw 2").ok
    assert run(capsys, monkeypatch, "--db", url, "users", "enable", "jy")[0] == 0
    assert accounts.login(url, auth, "jy", "new deputy pw 2").ok
    code, _, err = run(capsys, monkeypatch, "--db", url, "users", "disable", "nobody")
    assert code == 2 and "没有账号" in err
    code, out, _ = run(capsys, monkeypatch, "--db", url, "users", "list")
    assert "人大代表" in out and "区教育局、区卫健委" in out


def test_import_as_and_audit_json(url, files, capsys, monkeypatch):
    run(capsys, monkeypatch, "--db", url, "users", "add", "rd", "--role", "deputy", "--password-stdin",
        stdin="deputy pw 1\n")
    code, _, err = run(capsys, monkeypatch, "--db", url, "import", *files, "--as", "rd")
    assert code == 2 and "无权导入数据" in err
    code, out, err = run(capsys, monkeypatch, "--db", url, "import", *files, "--as", "小王")
    assert code == 0, err
    assert list_batches(url)[0]["user"] == "小王"
    monkeypatch.setenv("DASHBOARD_USER", "ops")
    code, out, err = run(capsys, monkeypatch, "--db", url, "undo", "1")
    assert code == 0, err
    code, out, _ = run(capsys, monkeypatch, "--db", url, "audit", "--json")
    rows = json.loads(out)
    assert all({"time", "user", "role", "action", "detail"} <= set(r) for r in rows)
    assert [(r["user"], r["role"], r["action"]) for r in rows[:3]] == \
           [("ops", "cli", "undo"), ("小王", "cli", "import"), ("rd", "deputy", "import_refused")]
    code, out, _ = run(capsys, monkeypatch, "--db", url, "audit", "--since", "2999-01-01", "--json")
    assert json.loads(out) == []
    code, out, _ = run(capsys, monkeypatch, "--db", url, "audit")
    assert "撤销导入" in out and "小王（命令行操作员）" in out
