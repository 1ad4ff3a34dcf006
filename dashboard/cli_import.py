"""The ingestion commands of `python -m dashboard`: import, batches, undo, template and sync."""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID = 0, 2


def register(sub, date_type) -> None:
    """Add the ingestion subcommands; each sets handler=fn(args, url, settings) -> exit code."""
    p = sub.add_parser("import", help="import spreadsheets / CSV (all files in one transaction)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--year", type=int, help="年度, where neither a column nor the title says it")
    p.add_argument("--as-of", dest="as_of", type=date_type, help="监控截止日期 YYYY-MM-DD, likewise")
    p.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    p.set_defaults(handler=_import)

    p = sub.add_parser("batches", help="import history, newest first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_batches)

    p = sub.add_parser("undo", help="undo one import batch")
    p.add_argument("batch", type=int, metavar="BATCH")
    p.set_defaults(handler=_undo)

    p = sub.add_parser("template", help="write the canonical workbook with instructions")
    p.add_argument("out", metavar="OUT.xlsx")
    p.set_defaults(handler=_template)

    p = sub.add_parser("sync", help="pull canonical tables from another database")
    p.add_argument("--source", required=True, help="source database URL")
    p.add_argument("--mapping", required=True, help="mapping file (TOML, or YAML when PyYAML is installed)")
    p.add_argument("--year", type=int)
    p.add_argument("--as-of", dest="as_of", type=date_type)
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(handler=_sync)


def _report(result) -> int:
    for problem in result.errors:
        print(str(problem), file=sys.stderr)
    for problem in result.warnings:
        print(str(problem), file=sys.stderr if not result.ok else sys.stdout)
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    return EXIT_OK if result.ok else EXIT_INVALID


def _import(args, url, settings) -> int:
    from dashboard import db
    from data_loaders.importer import import_files

    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        for f in missing:
            print(f"{f} / - / - / -: 文件不存在或无法读取", file=sys.stderr)
        return EXIT_INVALID
    db.init_db(url)
    result = import_files(url, [Path(f) for f in args.files], year=args.year, as_of=args.as_of,
                          dry_run=args.dry_run)
    return _report(result)


def _batches(args, url, settings) -> int:
    from data_loaders.importer import list_batches

    batches = list_batches(url)
    if args.json:
        print(json.dumps(batches, ensure_ascii=False))
        return EXIT_OK
    if not batches:
        print("还没有导入记录。")
        return EXIT_OK
    status = {"committed": "已导入", "undone": "已撤销"}
    for b in batches:
        names = "、".join(f["name"] for f in b["files"]) or "-"
        changed = sum(c.get("inserted", 0) + c.get("updated", 0) for c in (b["counts"] or {}).values())
        print(f"{b['id']:>5}  {b['created_at']}  {status.get(b['status'], b['status'])}  {b['source']}  "
              f"{b['user'] or '-'}  新增/更新 {changed} 行  {names}")
    return EXIT_OK


def _undo(args, url, settings) -> int:
    from dashboard import db
    from data_loaders.importer import UndoRefused, undo_batch

    db.init_db(url)
    try:
        info = undo_batch(url, args.batch)
    except UndoRefused as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    deleted = sum(info["deleted"].values())
    restored = sum(info["restored"].values())
    print(f"已撤销批次 {args.batch}：删除 {deleted} 行，恢复 {restored} 行。")
    return EXIT_OK


def _template(args, url, settings) -> int:
    from data_loaders.template import write_template

    path = write_template(args.out)
    print(f"模板已写入：{path}")
    return EXIT_OK


def _sync(args, url, settings) -> int:
    from dashboard import db
    from data_loaders.sync import SyncError, sync

    db.init_db(url)
    try:
        result = sync(url, args.source, args.mapping, year=args.year, as_of=args.as_of, dry_run=args.dry_run)
    except SyncError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    return _report(result)
