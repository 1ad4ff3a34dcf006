"""Importing a set of files as one undoable batch: read every file, then write them all in one transaction, or nothing.

Flow: read every file (reader.read_file) → open the writer transaction and the batch record → write.Writer
combines the tables of each kind across files in a fixed order (so the result does not depend on the
order of the files), links, checks and upserts them → commit, or roll everything back on any error or
for a dry run. History and undo are batches.py's (re-exported here).

Reading and writing overlap where they can without weakening the transaction: while the child process parses
the first file, import_files reads what the write side will need (`_prepare`: the departments, the units, the
link columns of the likely year's projects and the 变更 summary's before-figures of that year, with the data
version they belong to) through an ordinary read, holding no write lock. Inside the writer's transaction they are
used only when the data version shows that no writer committed since (every writer bumps it:
writes.bump_data_version) and the years and columns are the ones the writer would have read; otherwise the
writer reads them itself, as without the preparation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from dashboard.core import accounts, audit, db
from dashboard.core import models as m
from dashboard.core import writes as w
from dashboard.core.accounts import Actor, Forbidden
from dashboard.core.settings import Limits, Rules
from dashboard.core.vocab import SOURCE_IMPORT, SOURCE_SYNC, TABLE_LABELS
from data_loaders import changes as batch_changes
from data_loaders import db_errors, mapping, sheet, validate
from data_loaders.batches import TABLE_NAMES, UndoRefused, list_batches, undo_batch
from data_loaders.isolated import read_file_isolated
from data_loaders.limits import size_message
from data_loaders.link import PROJECT_LINK_COLUMNS, T
from data_loaders.problems import ERROR, Problem, ProblemList
from data_loaders.reader import read_file  # noqa: F401 - re-exported for callers that read in-process
from data_loaders.tables import FileResult
from data_loaders.write import KIND_ORDER, Prepared, Writer

__all__ = ["KIND_ORDER", "ImportResult", "UndoRefused", "import_files", "import_results", "judge_units",
           "list_batches", "undo_batch"]

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)


@dataclass
class ImportResult(ProblemList):
    ok: bool
    batch_id: int | None
    problems: list[Problem]
    counts: dict[str, dict[str, int]]
    # per file: {"name", "sha256", "tables": [{"sheet", "kind", "year", "as_of", "unit", "mapping", "rows"}]}
    files: list[dict] = field(default_factory=list)
    dry_run: bool = False
    # what the batch changed (data_loaders.changes; a dry run: what it would change); None when refused
    changes: dict | None = None

    def summary(self) -> str:
        """A short Chinese summary for the command line and the upload page."""
        if not self.ok:
            return f"导入失败：{len(self.errors)} 个错误，未写入任何数据。"
        parts = []
        for table, label in TABLE_LABELS.items():
            c = self.counts.get(table, {})
            if any(c.values()):
                parts.append(f"{label} 新增{c.get('inserted', 0)} 更新{c.get('updated', 0)} 未变{c.get('unchanged', 0)}")
        head = "试导入（未写入）" if self.dry_run else f"导入完成（批次 {self.batch_id}）"
        tail = f"；{len(self.warnings)} 条警告" if self.warnings else ""
        return head + "：" + ("；".join(parts) or "没有数据行") + tail


class _Refused(Exception):
    """Raised inside the transaction so that it rolls back (errors found, or a dry run)."""


def _load_source(item) -> tuple[str, bytes]:
    if isinstance(item, (str, os.PathLike)):
        name, src = Path(item).name, item
    else:
        name, src = item
    data = src if isinstance(src, (bytes, bytearray)) else Path(src).read_bytes()
    return str(name), bytes(data)


def import_files(
    url: str,
    sources: list,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    source: str = SOURCE_IMPORT,
    rules: Rules | None = None,
    evaluation_kind: str | None = None,
    actor: Actor | None = None,
    limits: Limits | None = None,
    unit: str | None = None,
    department: str | None = None,
    layouts: list | None = None,
) -> ImportResult:
    """Read, link, validate and write a set of files as one batch; nothing is written on any error.

    `sources` are (name, bytes or path) pairs, or paths. `year` / `as_of` / `evaluation_kind` (评价类型,
    --kind) fill in where neither a column nor a title says them; `unit` (--unit) is the money unit of every file,
    set explicitly (read_file); `department` (--department) the 主管部门 of rows that name none. `rules` gives the grade bands (the
    configured ones, passed down by the entry point; default: the documented defaults, `Rules()`). `limits` what one file may hold (default: `Limits()`). `actor` is who imports (see import_results).
    `layouts` are the 版式 (mapping.SavedLayout) tried on every sheet; None: those saved in the database.
    """
    rules = rules if rules is not None else Rules()
    limits = limits if limits is not None else Limits()
    layouts = mapping.saved(url) if layouts is None else layouts
    progress = progress or (lambda _f, _m: None)
    results = []
    prepared: list[Prepared] = []

    def prepare() -> None:  # while the first file is parsed (data_loaders.isolated: `meanwhile`)
        if not prepared and (got := _prepare(url, rules, year)) is not None:
            prepared.append(got)

    for i, item in enumerate(sources):
        path = item if isinstance(item, (str, os.PathLike)) else item[1] if not isinstance(item[1], (bytes, bytearray)) \
            else None
        if path is not None:  # a file on disk is measured before a byte of it is read
            try:
                size = Path(path).stat().st_size
            except OSError as exc:
                name = Path(item).name if item is path else str(item[0])
                results.append((name, "", FileResult(name, [], [Problem(name, None, None, None,
                                                                        f"无法读取文件：{exc.strerror or exc}")])))
                continue
            if size > limits.file_bytes():
                name = Path(item).name if item is path else str(item[0])
                results.append((name, "", FileResult(name, [], [Problem(name, None, None, None,
                                                                        size_message(name, size, limits))])))
                continue
        name, data = _load_source(item)
        progress(0.5 * i / max(len(sources), 1), f"读取 {name}")
        # in a child process with a memory and a time limit, like the upload page (data_loaders.isolated)
        result = read_file_isolated(data, name, year=year, as_of=as_of, rules=rules, limits=limits,
                                    evaluation_kind=evaluation_kind, unit=unit, department=department,
                                    layouts=layouts, meanwhile=prepare)
        results.append((name, hashlib.sha256(data).hexdigest(), result))
    return import_results(url, results, dry_run=dry_run, user=user, progress=progress, source=source, rules=rules,
                          actor=actor, prepared=prepared[0] if prepared else None)


def _data_version(conn) -> int:
    meta = m.Meta.__table__
    value = conn.execute(select(meta.c.value).where(meta.c.key == "data_version")).scalar()
    return int(value or 0)


def _prepare(url: str, rules: Rules, year: int | None) -> Prepared | None:
    """What the writer's transaction will read first, read now (no write lock): see the module's docstring. The
    year is the one given (--year), else the latest year with projects. None when the database is not set up,
    or when a writer committed while it was read (the data version moved)."""
    if not db.is_initialised(url):
        return None
    p = T["projects"]
    with db.get_engine(url).connect() as conn:
        version = _data_version(conn)
        if year is None:
            year = conn.execute(select(func.max(p.c.year))).scalar()
        years = [int(year)] if year is not None else []
        depts = w.read_frame(conn, select(T["departments"]))
        units = w.read_frame(conn, select(T["units"]))
        # the very statement link.Linker._reload_projects runs for a set of these years without a 项目 table
        projects = w.read_frame(conn, select(*[p.c[c] for c in PROJECT_LINK_COLUMNS])
                                .where(p.c.year.in_(years or [-1])))
        before = batch_changes.snapshot(conn, years, rules)
        if _data_version(conn) != version:  # a writer committed in between: the reads may not agree
            return None
    return Prepared(version=version, depts=depts, units=units, project_years=years or [-1], projects=projects,
                    before=before)


def _before(conn, tables, rules: Rules, prepared: Prepared | None) -> dict:
    """The 变更 summary's before-figures of the years the tables name: prepared ones where they were read, the
    rest now (each year's figures are independent of the others')."""
    years = batch_changes.incoming_years(tables)
    have = {y: prepared.before[y] for y in years if y in prepared.before} if prepared is not None else {}
    missing = years - set(have)
    return {**have, **(batch_changes.snapshot(conn, missing, rules) if missing else {})}


def import_results(
    url: str,
    results: list,
    *,
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    source: str = SOURCE_IMPORT,
    rules: Rules | None = None,
    actor: Actor | None = None,
    prepared: Prepared | None = None,
) -> ImportResult:
    """Write already-read files: `results` are (name, sha256, FileResult). Used by import_files, sync and
    the upload page. The reader already resolved year and as-of on every row (read_file's fallbacks).
    `rules` as for import_files. `prepared`: import_files' reads made while the file was parsed (_prepare),
    used only if still current.

    `actor` must be allowed to import (sync: to sync), else nothing is read into the database and the
    result carries the refusal. None means a library or command-line caller: the command-line operator
    named `user` (accounts.operator; the command line passes the configured or login name). The batch records the actor's name; the import and its audit entry commit
    together, a refused import is audited on its own (import_refused: files and first errors).
    """
    rules = rules if rules is not None else Rules()
    progress = progress or (lambda _f, _m: None)
    actor = actor if actor is not None else accounts.operator(user)
    permission = "sync" if source == SOURCE_SYNC else "import"
    names = [name for name, _sha, _fr in results]
    try:
        accounts.require(actor, permission)
    except Forbidden as exc:
        audit.record(url, actor.name, actor.role, "import_refused",
                     {"source": source, "files": names, "errors": [str(exc)], "reason": "forbidden"})
        return ImportResult(ok=False, batch_id=None, counts={},
                            problems=[Problem(", ".join(names) or "-", None, None, None, str(exc), ERROR)],
                            files=[{"name": n} for n in names], dry_run=dry_run)
    problems: list[Problem] = []
    tables = []
    files = []
    judge_units(url, results, rules)
    for name, sha, fr in results:
        problems.extend(fr.problems)
        untouched = validate.template_only(fr)  # the upload preview may have added it already
        if untouched is not None and untouched not in fr.problems:
            problems.append(untouched)
        tables.extend(fr.tables)
        files.append({"name": name, "sha256": sha, "tables": [_table_info(t) for t in fr.tables],
                      "skipped": [{"sheet": s, "reason": why} for s, why in fr.skip_reasons.items()]})
    counts = {name: {"inserted": 0, "updated": 0, "unchanged": 0} for name in TABLE_NAMES}
    if not db.is_initialised(url):
        db.init_db(url)
    batch_id = None
    changes = None
    progress(0.5, "校验与关联")
    try:
        with w.write_transaction(url) as conn:
            # the preparation holds only while no writer committed since it: the data version, bumped by this
            # transaction (under the writer lock), is then exactly one more than the one read with it
            if prepared is not None and _data_version(conn) != prepared.version + 1:
                prepared = None
            writer = Writer(conn, tables, problems, counts, rules=rules, progress=progress, prepared=prepared)
            batch_id = writer.open_batch(source, actor.name, files)
            before = _before(conn, tables, rules, prepared)  # the 变更 summary's before
            writer.run()
            if not any(p.level == ERROR for p in problems):
                changes = batch_changes.measure(conn, batch_id, before, rules)
            if any(p.level == ERROR for p in problems) or dry_run:
                raise _Refused
            w.set_batch_counts(conn, batch_id, counts)
            batch_changes.store(conn, batch_id, changes)
            audit.record_in(conn, actor.name, actor.role, permission,
                            {"batch": batch_id, "source": source, "files": names, "counts": _changed(counts)})
    except _Refused:
        batch_id = None
    except (DBAPIError, OSError) as exc:
        changes = None
        # the database refused or could not write: the real cause (a full disk, a lock, a lost connection,
        # permissions, a constraint, a NUL byte …) and the cell where it can be found; its words go to the log
        batch_id = None
        problems.append(db_errors.problem(exc, [f["name"] for f in files], tables,
                                          what="sync" if source == SOURCE_SYNC else "import"))
    except Exception:
        batch_id = None
        changes = None
        ref = uuid.uuid4().hex[:8]
        log.exception("import failed [ref %s]", ref)
        problems.append(Problem(", ".join(f["name"] for f in files) or "-", None, None, None,
                                f"导入时程序出错，未写入任何数据；请把文件和参考编号 {ref} 交给管理员", ERROR))
    progress(1.0, "完成")
    problems.sort(key=lambda p: (p.file or "", p.sheet or "", p.row if p.row is not None else -1,
                                 p.column or "", p.level != ERROR))
    ok = not any(p.level == ERROR for p in problems)
    if not ok and not dry_run:
        errors = [str(p) for p in problems if p.level == ERROR]
        try:
            audit.record(url, actor.name, actor.role, "import_refused",
                         {"source": source, "files": names, "error_count": len(errors), "errors": errors[:10]})
        except DBAPIError:  # the database that refused the import may refuse its audit entry too (a full disk)
            log.exception("the audit entry of a refused import could not be written")
    return ImportResult(ok=ok, batch_id=batch_id if ok and not dry_run else None, problems=problems,
                        counts=counts, files=files, dry_run=dry_run, changes=changes if ok else None)


def _changed(counts: dict) -> dict:
    """The counts of the tables a batch touched (what the audit entry keeps)."""
    return {t: c for t, c in counts.items() if any(c.values())}


def _table_info(t) -> dict:
    """What the batch record keeps of one table: where it was, what the reader made of it."""
    as_of = t.meta.get("as_of")
    return {"sheet": t.sheet, "kind": t.kind, "year": t.meta.get("year"),
            "as_of": as_of.isoformat() if isinstance(as_of, (dt.date, dt.datetime)) else as_of,
            "unit": t.meta.get("unit"), "mapping": dict(t.mapping), "rows": len(t.frame)}


# --- 金额单位 against the database's history -------------------------------------------------------------------

_HISTORY_KINDS = ("projects", "monitoring", "evaluations")  # tables whose rows are projects with their amounts


def judge_units(url: str, results: list, rules: Rules | None = None) -> None:
    """The 金额单位 rule on every table the reader left undecided (meta["unit_pending"]: no text amount spoke),
    now with the history in the database: the same project codes' budgets and, for the rest, the median project
    budget of the same 主管部门 (docs/rules.md 金额单位). Its error or warning is added to that file's problems,
    so the upload preview shows it and the import is refused; a table is judged once (the preview's verdict
    stands at the import)."""
    rules = rules if rules is not None else Rules()
    pending = [(fr, t) for _name, _sha, fr in results for t in fr.tables if "unit_pending" in t.meta]
    if not pending:
        return
    known = _known_budgets(url, [t for _fr, t in pending]) if db.is_initialised(url) else ({}, {})
    for fr, t in pending:
        fr.problems.extend(sheet.judge_unit(t, t.meta.get("unit_pending") or [], rules, history=_pairs(t, *known)))


def _amounts(t) -> np.ndarray:
    """Each row's amount as read (万元): the first money column (in schema order) the 金额单位 rule judges that has one
    (the 万元 columns, or the 元 ones: sheet.judged_columns)."""
    names, _reverse = sheet.judged_columns(t)
    out = np.full(len(t.frame), np.nan)
    for name in reversed(names):
        col = t.frame[name].to_numpy(dtype=float)
        out = np.where(np.isnan(col), out, col)
    return out


def _texts(t, field: str) -> list:
    return t.frame[field].tolist() if field in t.frame else [None] * len(t.frame)


def _known_budgets(url: str, tables: list) -> tuple[dict, dict]:
    """({project code: its latest budget}, {主管部门 name: its projects' budgets}) in 万元, for the codes and
    departments the tables name."""
    codes = {c for t in tables if t.kind in _HISTORY_KINDS for c in _texts(t, "project_code") if c}
    names = {d for t in tables if t.kind in _HISTORY_KINDS for d in _texts(t, "department") if d}
    by_code: dict[str, float] = {}
    by_dept: dict[str, list[float]] = {}
    budget = lambda row: row.adjusted_budget if row.adjusted_budget else row.initial_budget
    p, d = m.Project, m.Department
    with db.get_engine(url).connect() as conn:
        listed = sorted(codes)
        for i in range(0, len(listed), 500):
            rows = conn.execute(select(p.code, p.year, p.initial_budget, p.adjusted_budget)
                                .where(p.code.in_(listed[i:i + 500])).order_by(p.year)).all()
            by_code.update({r.code: budget(r) for r in rows if budget(r)})
        listed = sorted(names)
        for i in range(0, len(listed), 500):
            rows = conn.execute(select(d.name, p.initial_budget, p.adjusted_budget).join(d, d.id == p.department_id)
                                .where(d.name.in_(listed[i:i + 500]))).all()
            for r in rows:
                if budget(r):
                    by_dept.setdefault(r.name, []).append(float(budget(r)))
    return by_code, by_dept


def _pairs(t, by_code: dict, by_dept: dict) -> list[tuple[float, float]]:
    """(amount read, amount known) of one table: a row whose project code is known against that project's budget;
    the other rows of each known department, their median against the department's median project budget."""
    if t.kind not in _HISTORY_KINDS:
        return []
    pairs, rest = [], {}
    for amount, code, dept in zip(_amounts(t).tolist(), _texts(t, "project_code"), _texts(t, "department")):
        if not amount > 0:
            continue
        if code and code in by_code:
            pairs.append((amount, by_code[code]))
        elif dept in by_dept:
            rest.setdefault(dept, []).append(amount)
    pairs += [(float(np.median(a)), float(np.median(by_dept[dept]))) for dept, a in rest.items()]
    return pairs
