"""The command line `python -m dashboard COMMAND`: its parser and every command (init, demo, summary, import,
batches, undo, template, sync, brief, report, users, audit), each a thin call into the library with its exit code.

Who acts: the command line is run by someone with a shell on the server, who can reach the database anyway,
so it acts as the command-line operator (role "cli", allowed every write) under the OS user's name
(DASHBOARD_USER, else the login name) — or, with `--as NAME`, under that name; when NAME is an account, with
that account's role, so `--as` a leader or deputy is refused. `users ...` is how the first admin is created.

Exit codes: 0 done; 2 refused (invalid files, unknown department, an undo or sync that cannot be done, unusable
settings) with every reason printed to stderr. README.md lists every command and option (tests/test_docs.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from dashboard import demo
from dashboard.core import accounts, audit, db
from dashboard.core.accounts import AccountError, Forbidden
from dashboard.core.settings import Settings, SettingsError, load_settings
from dashboard.core.vocab import (
    AUDIT_ACTION_LABELS,
    BATCH_STATUS_LABELS,
    EVALUATION_KINDS,
    FUND_SOURCES,
    MONEY_SCALES,
    ROLE_LABELS,
    ROLE_LABELS_ALL,
    ROLES,
)
from dashboard.metrics import summary
from dashboard.metrics.options import resolve_department
from dashboard.present import fmt as present_fmt
from data_loaders import changes, db_errors, mapping
from data_loaders.cells import enum_parser
from data_loaders.importer import UndoRefused, import_files, list_batches, undo_batch
from data_loaders.sync import SyncError, sync
from data_loaders.template import write_template

EXIT_OK, EXIT_INVALID = 0, 2
EXIT_BROKEN = 1  # audit --verify: the chain is broken


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{value}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="预算绩效监督驾驶舱 — command line")
    parser.add_argument("--db", help="数据库 URL / database URL (default: DATABASE_URL or sqlite:///data/dashboard.db)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="建立或升级数据库结构 / create or upgrade the schema")
    p.set_defaults(handler=_init)

    p = sub.add_parser("demo", help="载入演示数据 / load deterministic demo data")
    p.add_argument("--scale", choices=("county", "city", "province"), default="county")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--if-empty", action="store_true", help="only when the database has no projects")
    p.set_defaults(handler=_demo)

    p = sub.add_parser("summary", help="某年度的核心指标 / headline figures of a year")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--department", help="主管部门 code or name")
    p.add_argument("--today", type=_date, default=None, help="YYYY-MM-DD (default: DASHBOARD_TODAY or the clock)")
    p.add_argument("--json", action="store_true", help="print JSON (the acceptance contract)")
    p.set_defaults(handler=_summary)

    p = sub.add_parser("import", help="导入表格 / import spreadsheets and CSV (all files in one transaction)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--year", type=int, help="年度, where neither a column nor the title says it")
    p.add_argument("--as-of", dest="as_of", type=_date, help="监控截止日期 YYYY-MM-DD, likewise")
    p.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    p.add_argument("--kind", type=_evaluation_kind, metavar="KIND",
                   help="评价类型 of evaluation lists where neither a column nor the title says it: "
                        + " / ".join(EVALUATION_KINDS))
    p.add_argument("--unit", choices=tuple(MONEY_SCALES), metavar="UNIT",
                   help="金额单位 of every amount in the files: " + " / ".join(MONEY_SCALES)
                        + " (wins over the headers; use it when the import asks to confirm the unit)")
    p.add_argument("--department", metavar="NAME",
                   help="主管部门 of rows that name none (a unit's file without a 主管部门 column or cell)")
    p.add_argument("--layout", action="append", default=[], metavar="FILE",
                   help="导入版式 file (exported on the upload page): read sheets with its header as it maps them; "
                        "may be repeated; the 版式 saved in the database apply too")
    p.add_argument("--as", dest="as_user", metavar="NAME", help="who imports (default: the OS user); see users")
    p.set_defaults(handler=_import)

    p = sub.add_parser("batches", help="导入记录 / import history, newest first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_batches)

    p = sub.add_parser("undo", help="撤销一次导入 / undo one import batch")
    p.add_argument("batch", type=int, metavar="BATCH")
    p.add_argument("--as", dest="as_user", metavar="NAME", help="who undoes (default: the OS user)")
    p.set_defaults(handler=_undo)

    p = sub.add_parser("template", help="生成填报模板 / write the canonical workbook with instructions")
    p.add_argument("out", metavar="OUT.xlsx")
    p.set_defaults(handler=_template)

    p = sub.add_parser("sync", help="从其他数据库同步 / pull canonical tables from another database")
    p.add_argument("--source", required=True, help="source database URL")
    p.add_argument("--mapping", required=True, help="mapping file (TOML, or YAML when PyYAML is installed)")
    p.add_argument("--year", type=int)
    p.add_argument("--as-of", dest="as_of", type=_date)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--as", dest="as_user", metavar="NAME", help="who syncs (default: the OS user)")
    p.set_defaults(handler=_sync)
    _document_commands(sub)
    _account_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    audit.configure(settings.auth.audit_hash)  # the hash new audit entries are chained with
    try:
        return args.handler(args, args.db or settings.db_url, settings)
    except DBAPIError as exc:  # a full disk, a lock, a lost connection …: one sentence naming the cause (issue 23)
        outcome = "数据没有改动" if args.command in ("undo", "import", "sync", "demo") else "操作未完成"
        print(db_errors.explain(exc, outcome=outcome, what=args.command), file=sys.stderr)
        return EXIT_INVALID


# ------------------------------------------------------------------------------------------------ commands


def _init(args, url: str, settings: Settings) -> int:
    revision = db.init_db(url)
    print(f"数据库已就绪（schema {revision}）：{db.normalise_url(url)}")
    return EXIT_OK


def _demo(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    if args.if_empty and db.has_projects(url):
        print("数据库已有数据，未加载演示数据。")
        return EXIT_OK
    stats = demo.load_demo(url, scale=args.scale, seed=args.seed, rules=settings.rules)
    print(json.dumps(stats, ensure_ascii=False))
    return EXIT_OK


def _summary(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    today = args.today or settings.effective_today()
    try:
        result = summary.summary(url, args.year, args.department, today, settings.rules)
    except (summary.UnknownDepartment, summary.FiguresOutOfRange) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(result, ensure_ascii=False, allow_nan=False) if args.json else summary.format_text(result))
    return EXIT_OK


def _report(result) -> int:
    """Errors to stderr; warnings with the outcome (stdout when it worked); the one-line summary last."""
    for problem in result.errors:
        print(str(problem), file=sys.stderr)
    for problem in result.warnings:
        print(str(problem), file=sys.stderr if not result.ok else sys.stdout)
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    lines = changes.describe(result.changes, present_fmt.money)
    if lines:  # the 变更 summary (data_loaders.changes): what the batch changed, or a dry run would change
        print("变更（试导入，未写入）：" if result.dry_run else "变更：")
        for line in lines:
            print("  " + line)
    return EXIT_OK if result.ok else EXIT_INVALID


def _import(args, url: str, settings: Settings) -> int:
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        for f in missing:
            print(f"{f} / - / - / -: 文件不存在或无法读取", file=sys.stderr)
        return EXIT_INVALID
    layouts = []
    for f in args.layout:
        try:
            layouts.append(mapping.from_json(Path(f).read_bytes(), f"版式文件 {f}"))
        except OSError as exc:
            print(f"{f} / - / - / -: 版式文件无法读取：{exc.strerror or exc}", file=sys.stderr)
            return EXIT_INVALID
        except mapping.LayoutError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_INVALID
    db.init_db(url)
    actor = _actor(url, args, settings)
    if actor is None:
        return EXIT_INVALID
    result = import_files(url, [Path(f) for f in args.files], year=args.year, as_of=args.as_of,
                          dry_run=args.dry_run, user=actor.name, actor=actor, evaluation_kind=args.kind,
                          rules=settings.rules, limits=settings.limits, unit=args.unit,
                          department=args.department, layouts=layouts + mapping.saved(url))
    return _report(result)


def _batches(args, url: str, settings: Settings) -> int:
    batches = list_batches(url)
    if args.json:
        print(json.dumps(batches, ensure_ascii=False))
        return EXIT_OK
    if not batches:
        print("还没有导入记录。")
        return EXIT_OK
    for b in batches:
        names = "、".join(f["name"] for f in b["files"]) or "-"
        changed = sum(c.get("inserted", 0) + c.get("updated", 0) for c in (b["counts"] or {}).values())
        print(f"{b['id']:>5}  {b['created_at']}  {BATCH_STATUS_LABELS.get(b['status'], b['status'])}  "
              f"{b['source']}  {b['user'] or '-'}  新增/更新 {changed} 行  {names}")
        summary_line = changes.one_line(b.get("changes"), present_fmt.money)
        if summary_line:
            print(f"       变更：{summary_line}")
        undone = changes.one_line((b.get("changes") or {}).get("undo"), present_fmt.money)
        if undone:
            print(f"       撤销时：{undone}")
    return EXIT_OK


def _undo(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    actor = _actor(url, args, settings)
    if actor is None:
        return EXIT_INVALID
    try:
        info = undo_batch(url, args.batch, actor=actor, rules=settings.rules)
    except (UndoRefused, Forbidden) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    deleted = sum(info["deleted"].values())
    restored = sum(info["restored"].values())
    print(f"已撤销批次 {args.batch}：删除 {deleted} 行，恢复 {restored} 行。")
    for line in changes.describe(info.get("changes"), present_fmt.money):
        print("  " + line)
    return EXIT_OK


def _template(args, url: str, settings: Settings) -> int:
    path = write_template(args.out)
    print(f"模板已写入：{path}")
    return EXIT_OK


def _sync(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    actor = _actor(url, args, settings)
    if actor is None:
        return EXIT_INVALID
    try:
        result = sync(url, args.source, args.mapping, year=args.year, as_of=args.as_of, dry_run=args.dry_run,
                      user=actor.name, actor=actor, rules=settings.rules, limits=settings.limits)
    except SyncError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    return _report(result)


# ------------------------------------------------------------------------------------------------ documents (issue 13)


def _document_commands(sub) -> None:
    """brief (部门简报, one department or --all) and report (年度工作情况报告); judged on --today, else
    DASHBOARD_TODAY or the clock."""
    p = sub.add_parser("brief", help="部门简报 / hearing brief of one department, or all in one file")
    p.add_argument("--year", type=int, required=True)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--department", help="主管部门 code or name")
    who.add_argument("--all", action="store_true", help="one file: a contents page, then one brief per department")
    p.add_argument("--only-attention", action="store_true",
                   help="with --all: only departments on which enough question rules fire (docs/rules.md 简报问题)")
    p.add_argument("--format", choices=("docx", "pdf"), help="default: from the -o suffix, else docx")
    p.add_argument("--today", type=_date, default=None, help="判断日期 YYYY-MM-DD (default: DASHBOARD_TODAY or the clock)")
    p.add_argument("--fund", default=None, metavar="资金来源",
                   help="only projects of this fund source (e.g. 一般公共预算), as the pages' 资金来源 filter")
    p.add_argument("-o", dest="output", required=True, metavar="FILE")
    p.set_defaults(handler=_brief)

    p = sub.add_parser("report", help="年度工作情况报告初稿 / annual work report draft (.docx or .pdf)")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--department", help="主管部门 code or name (default: all)")
    p.add_argument("--format", choices=("docx", "pdf"), help="default: from the -o suffix, else docx")
    p.add_argument("--today", type=_date, default=None, help="判断日期 YYYY-MM-DD (default: DASHBOARD_TODAY or the clock)")
    p.add_argument("--fund", default=None, metavar="资金来源",
                   help="only projects of this fund source (e.g. 一般公共预算), as the pages' 资金来源 filter")
    p.add_argument("-o", dest="output", required=True, metavar="FILE")
    p.set_defaults(handler=_report_document)


def _brief(args, url: str, settings: Settings) -> int:
    from dashboard import documents  # lazy: python-docx and matplotlib load only for brief and report

    if args.only_attention and not args.all:
        print("--only-attention 只能与 --all 一起使用。", file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.output)
    fmt = args.format or ("pdf" if out.suffix.lower() == ".pdf" else "docx")
    db.init_db(url)
    today = args.today or settings.effective_today()
    try:
        _check_fund(args.fund)
        if args.all:
            data = documents.brief_batch(url, args.year, today, settings.rules, settings.documents,
                                         only_attention=args.only_attention, fmt=fmt, fund=args.fund)
        else:
            data = documents.brief_document(url, args.year, args.department, today, settings.rules,
                                            settings.documents, fmt=fmt, fund=args.fund)
    except (summary.UnknownDepartment, documents.DocumentError, UnknownFund) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    out.write_bytes(data)
    _audit_export(url, settings, "部门简报汇编" if args.all else "部门简报", out,
                  ("全部主管部门" + ("（需关注）" if args.only_attention else "") if args.all else args.department)
                  + (f" · {args.fund}" if args.fund else ""), args.year)
    print(f"部门简报已写入：{out}（{fmt}，判断日期 {today.isoformat()}）")
    return EXIT_OK


def _report_document(args, url: str, settings: Settings) -> int:
    from dashboard import documents  # lazy: python-docx and matplotlib load only for brief and report

    out = Path(args.output)
    fmt = args.format or ("pdf" if out.suffix.lower() == ".pdf" else "docx")
    db.init_db(url)
    today = args.today or settings.effective_today()
    try:
        _check_fund(args.fund)
        data = documents.report_document(url, args.year, today, settings.rules, settings.documents,
                                         department=args.department, fmt=fmt, fund=args.fund)
    except (summary.UnknownDepartment, documents.DocumentError, UnknownFund) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    out.write_bytes(data)
    _audit_export(url, settings, "年度工作情况报告", out,
                  (args.department or "全部主管部门") + (f" · {args.fund}" if args.fund else ""), args.year)
    print(f"年度工作情况报告初稿已写入：{out}（{fmt}，判断日期 {today.isoformat()}）")
    return EXIT_OK


class UnknownFund(ValueError):
    """--fund names no fund source."""


def _check_fund(fund: str | None) -> None:
    """--fund must be one of the fund sources (vocab.FUND_SOURCES)."""
    if fund is not None and fund not in FUND_SOURCES:
        raise UnknownFund(f"--fund 只能是：{'、'.join(FUND_SOURCES)}（收到“{fund}”）。")


def _audit_export(url: str, settings: Settings, what: str, out: Path, scope: str, year: int) -> None:
    """A document written by the command line is an `export` of the audit trail, by the OS user (operator)."""
    operator = accounts.operator(settings.user)
    audit.record(url, operator.name, operator.role, "export",
                 {"what": what, "file": out.name, "scope": f"{year} 年 · {scope}", "via": "command line"})


# ------------------------------------------------------------------------------------------------ import --kind


def _evaluation_kind(value: str) -> str:
    """--kind: one of the evaluation kinds, or a word the lists use for one (重点评价, 第三方评价, 自评 …)."""
    kind, _error = enum_parser("kind", EVALUATION_KINDS)(value)
    if kind is None:
        raise argparse.ArgumentTypeError(f"评价类型应为 {'、'.join(EVALUATION_KINDS)} 之一：{value}")
    return kind


# ------------------------------------------------------------------------------------------------ accounts, audit


def _account_commands(sub) -> None:
    p = sub.add_parser("users", help="账号管理 / accounts (add, list, passwd, disable, enable)")
    users = p.add_subparsers(dest="users_command", required=True, metavar="add|list|passwd|disable|enable")
    q = users.add_parser("add", help="新建账号 / add an account")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", required=True, choices=ROLES)
    q.add_argument("--department", action="append", default=[], metavar="D",
                   help="限定的主管部门（代码或名称，可重复）/ limit the account to these departments")
    q.add_argument("--password-stdin", dest="password_stdin", action="store_true",
                   help="read the password from the first line of stdin (without it: no password, OIDC/proxy only)")
    q.set_defaults(handler=_users_add)
    q = users.add_parser("list", help="列出账号 / list accounts")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_users_list)
    q = users.add_parser("passwd", help="修改密码（结束该账号的所有会话）/ set a password")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--password-stdin", dest="password_stdin", action="store_true", required=True)
    q.set_defaults(handler=_users_passwd)
    for verb, help_ in (("disable", "停用账号（结束其所有会话）/ disable"), ("enable", "启用账号 / enable")):
        q = users.add_parser(verb, help=help_)
        q.add_argument("name", metavar="NAME")
        q.set_defaults(handler=_users_disable if verb == "disable" else _users_enable)

    p = sub.add_parser("audit", help="操作日志 / the audit trail, newest first")
    p.add_argument("--since", type=_date, help="from this day on, YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="a list of {id, time, user, role, action, detail}")
    p.add_argument("--verify", action="store_true",
                   help="检查日志的哈希链是否完整：完整退出码 0，被改动则指出第一条断开的记录，退出码 1 / "
                        "check the hash chain (exit 0 intact, 1 broken)")
    p.set_defaults(handler=_audit)


def _actor(url: str, args, settings: Settings):
    """The actor of a writing command (see the module docstring); None (message printed) when refused."""
    name = getattr(args, "as_user", None)
    if not name:
        return accounts.operator(settings.user)
    db.init_db(url)
    known = accounts.get_user(url, name)
    if known is None:
        return accounts.operator(name)
    if known["disabled"]:
        print(f"账号 {name} 已停用", file=sys.stderr)
        return None
    return accounts.Actor(known["name"], known["role"], tuple(known["departments"]))


def _password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _users_call(fn) -> int:
    try:
        info = fn()
    except (AccountError, Forbidden) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    limit = "、".join(info["departments"]) or "全部部门"
    state = "已停用" if info["disabled"] else "启用"
    print(f"{info['name']}：{info['role_label']}，{limit}，{state}")
    return EXIT_OK


def _users_add(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    password = _password() if args.password_stdin else None
    depts = [d.strip() for d in args.department if d.strip()]
    code = _users_call(lambda: accounts.add_user(url, accounts.operator(settings.user), args.name, args.role,
                                                 password, depts, policy=settings.auth))
    if code == EXIT_OK and db.has_projects(url):
        for d in depts:
            if resolve_department(url, d) is None:
                print(f"提醒：数据库中没有主管部门“{d}”，该账号在导入这个部门之前看不到任何数据", file=sys.stderr)
    return code


def _users_list(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    users = accounts.list_users(url)
    if args.json:
        print(json.dumps(users, ensure_ascii=False))
        return EXIT_OK
    if not users:
        print("还没有账号。新建第一个管理员：python -m dashboard users add NAME --role admin --password-stdin")
    for u in users:
        limit = "、".join(u["departments"]) or "全部部门"
        state = "已停用" if u["disabled"] else ("已锁定" if u["locked_until"] else "启用")
        print(f"{u['name']}\t{ROLE_LABELS.get(u['role'], u['role'])}\t{limit}\t{state}")
    return EXIT_OK


def _users_passwd(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    password = _password()
    return _users_call(lambda: accounts.set_password(url, accounts.operator(settings.user), args.name, password,
                                                             policy=settings.auth))


def _users_disable(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    return _users_call(lambda: accounts.set_disabled(url, accounts.operator(settings.user), args.name, True))


def _users_enable(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    return _users_call(lambda: accounts.set_disabled(url, accounts.operator(settings.user), args.name, False))


def _audit(args, url: str, settings: Settings) -> int:
    db.init_db(url)
    if args.verify:
        v = audit.verify(url)
        if args.json:
            print(json.dumps(dataclasses.asdict(v), ensure_ascii=False))
        elif v.ok and not v.entries:
            print("操作日志为空，没有需要核对的记录。")
        elif v.ok:
            print(f"操作日志完整：{v.entries} 条记录的哈希链全部相符。链尾 {v.head}"
                  "（请另行记下链尾，下次核对时日志应以它或它之后的记录结尾）。")
        else:
            where = f"第 {v.broken_id} 号记录" + (f"（{v.broken_time}）" if v.broken_time else "")
            print(f"操作日志被改动过：{where}处链条断开——{v.reason}。在它之前的 {v.entries} 条记录相符。",
                  file=sys.stderr)
        return EXIT_OK if v.ok else EXIT_BROKEN
    rows = audit.entries(url, since=args.since)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("操作日志为空。")
    for r in rows:
        who = f"{r['user'] or '-'}（{ROLE_LABELS_ALL.get(r['role'], r['role'] or '-')}）"
        detail = json.dumps(r["detail"], ensure_ascii=False)
        print(f"{r['time']}  {who}  {AUDIT_ACTION_LABELS.get(r['action'], r['action'])}  {detail}")
    return EXIT_OK
