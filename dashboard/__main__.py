"""Command line: `python -m dashboard COMMAND` (init, demo, summary, import, batches, undo, template, sync)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from dashboard.settings import load_settings


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{value}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="预算绩效监督驾驶舱")
    parser.add_argument("--db", help="database URL (default: DATABASE_URL or sqlite:///data/dashboard.db)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create or upgrade the schema")

    demo = sub.add_parser("demo", help="load deterministic demo data")
    demo.add_argument("--scale", choices=("county", "city", "province"), default="county")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--if-empty", action="store_true", help="only when the database has no projects")

    summary = sub.add_parser("summary", help="headline figures of a year")
    summary.add_argument("--year", type=int, required=True)
    summary.add_argument("--department", help="主管部门 code or name")
    summary.add_argument("--today", type=_date, default=None)
    summary.add_argument("--json", action="store_true", help="print JSON (the acceptance contract)")

    try:
        from dashboard import cli_import
    except ImportError:  # ingestion not installed yet
        cli_import = None
    if cli_import is not None:
        cli_import.register(sub, _date)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    url = args.db or settings.db_url
    from dashboard import db

    if args.command == "init":
        revision = db.init_db(url)
        print(f"数据库已就绪（schema {revision}）：{db.normalise_url(url)}")
        return 0
    if args.command == "demo":
        from dashboard import demo

        db.init_db(url)
        if args.if_empty and db.has_projects(url):
            print("数据库已有数据，未加载演示数据。")
            return 0
        stats = demo.load_demo(url, scale=args.scale, seed=args.seed)
        print(json.dumps(stats, ensure_ascii=False))
        return 0
    if args.command == "summary":
        from dashboard import summary

        db.init_db(url)
        try:
            result = summary.summary(url, args.year, args.department, args.today or dt.date.today(), settings.rules)
        except summary.UnknownDepartment as exc:
            print(str(exc), file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(summary.format_text(result))
        return 0
    return args.handler(args, url, settings)


if __name__ == "__main__":
    sys.exit(main())
