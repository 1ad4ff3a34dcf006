"""The writing half of ingestion: links parsed tables to departments, units and projects and writes a set of files in one transaction as an undoable import batch.

Flow: read every file (reader.read_file) → combine the tables of each kind across files in a fixed
order (so the result does not depend on the order of the files) → link and validate → write with
Core executemany (inserts, and updates only of rows whose values differ) → ChangeLog of old values →
commit, or roll everything back on any error or for a dry run.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Double,
    Integer,
    delete,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from dashboard import db
from dashboard import models as m
from dashboard import writes as w
from dashboard.rules import grade_for_score
from data_loaders import schema
from data_loaders import validate as v
from data_loaders.problems import ERROR, WARNING, Problem, ProblemList

KIND_ORDER = ("units", "projects", "monitoring", "evaluations", "findings")
TABLE_NAMES = tuple(t.__tablename__ for t in m.DATA_TABLES)
T = {t.__tablename__: t.__table__ for t in m.DATA_TABLES}
CHUNK = 5000
PROJECT_LINK_COLUMNS = ("id", "year", "code")  # enough to link by code; the rest is loaded when needed
NON_PROJECT_OBJECTS = ("部门整体支出", "政策")

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

    def summary(self) -> str:
        """A short Chinese summary for the command line and the upload page."""
        if not self.ok:
            return f"导入失败：{len(self.errors)} 个错误，未写入任何数据。"
        names = {"departments": "主管部门", "units": "预算单位", "projects": "项目", "monitoring": "绩效监控",
                 "evaluations": "绩效评价", "findings": "问题整改"}
        parts = []
        for table, label in names.items():
            c = self.counts.get(table, {})
            if any(c.values()):
                parts.append(f"{label} 新增{c.get('inserted', 0)} 更新{c.get('updated', 0)} 未变{c.get('unchanged', 0)}")
        head = "试导入（未写入）" if self.dry_run else f"导入完成（批次 {self.batch_id}）"
        tail = f"；{len(self.warnings)} 条警告" if self.warnings else ""
        return head + "：" + ("；".join(parts) or "没有数据行") + tail


class _Refused(Exception):
    """Raised inside the transaction so that it rolls back (errors found, or a dry run)."""


def _default_user() -> str | None:
    for var in ("DASHBOARD_USER", "USER", "USERNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name is not an error
        return None


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
    source: str = "import",
) -> ImportResult:
    """Read, link, validate and write a set of files as one batch; nothing is written on any error.

    `sources` are (name, bytes or path) pairs, or paths. `year` / `as_of` fill in where neither a
    column nor a title says them.
    """
    from data_loaders.reader import read_file

    progress = progress or (lambda _f, _m: None)
    results = []
    for i, item in enumerate(sources):
        name, data = _load_source(item)
        progress(0.5 * i / max(len(sources), 1), f"读取 {name}")
        result = read_file(data, name, year=year, as_of=as_of)
        results.append((name, hashlib.sha256(data).hexdigest(), result))
    return import_results(url, results, year=year, as_of=as_of, dry_run=dry_run, user=user,
                          progress=progress, source=source)


def import_results(
    url: str,
    results: list,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    source: str = "import",
) -> ImportResult:
    """Write already-read files: `results` are (name, sha256, FileResult). Used by import_files and sync."""
    progress = progress or (lambda _f, _m: None)
    problems: list[Problem] = []
    tables = []
    files = []
    for name, sha, fr in results:
        problems.extend(fr.problems)
        info = {"name": name, "sha256": sha, "tables": []}
        for t in fr.tables:
            tables.append(t)
            info["tables"].append({
                "sheet": t.sheet, "kind": t.kind,
                "year": t.meta.get("year") if t.meta.get("year") is not None else year,
                "as_of": _iso(t.meta.get("as_of") or (as_of if t.kind == "monitoring" else None)),
                "unit": t.meta.get("unit"), "mapping": dict(t.mapping), "rows": len(t.frame),
            })
        files.append(info)
    counts = {name: {"inserted": 0, "updated": 0, "unchanged": 0} for name in TABLE_NAMES}
    if not db.is_initialised(url):
        db.init_db(url)
    batch_id = None
    progress(0.5, "校验与关联")
    try:
        with w.write_transaction(url) as conn:
            writer = _Writer(conn, tables, problems, counts, year=year, as_of=as_of, progress=progress)
            batch_id = writer.open_batch(source, user or _default_user(), files)
            writer.run()
            if any(p.level == ERROR for p in problems) or dry_run:
                raise _Refused
            w.set_batch_counts(conn, batch_id, counts)
    except _Refused:
        batch_id = None
    except DBAPIError as exc:
        # a constraint the checks above did not foresee: still refuse cleanly, with the reason
        batch_id = None
        problems.append(Problem(", ".join(f["name"] for f in files) or "-", None, None, None,
                                f"数据库拒绝写入，未写入任何数据：{str(exc.orig).splitlines()[0]}", ERROR))
    except Exception as exc:
        log.exception("import failed")
        batch_id = None
        problems.append(Problem(", ".join(f["name"] for f in files) or "-", None, None, None,
                                f"导入时发生内部错误（{exc.__class__.__name__}），未写入任何数据；请把文件交给技术人员排查",
                                ERROR))
    progress(1.0, "完成")
    problems = _sorted_unique(problems)
    ok = not any(p.level == ERROR for p in problems)
    return ImportResult(ok=ok, batch_id=batch_id if ok and not dry_run else None, problems=problems,
                        counts=counts, files=files, dry_run=dry_run)


def _iso(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _sorted_unique(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        k = (p.file, p.sheet, p.row, p.column, p.message, p.level)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return sorted(out, key=lambda p: (p.file or "", p.sheet or "", p.row if p.row is not None else -1,
                                      p.column or "", p.level != ERROR))


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value



# ---------------------------------------------------------------------------------------------


class _Writer:
    """One import set inside one open transaction."""

    def __init__(self, conn, tables, problems, counts, *, year, as_of, progress):
        self.conn = conn
        self.tables = tables
        self.problems = problems
        self.counts = counts
        self.year = year
        self.as_of = as_of
        self.progress = progress
        self.batch_id: int | None = None
        # rows the reader already refused: (file, sheet, row) → skipped here so errors do not cascade
        self.bad_rows = {(p.file, p.sheet, p.row) for p in problems if p.level == ERROR and p.row is not None}
        self.bad_tables = {(p.file, p.sheet) for p in problems if p.level == ERROR and p.row is None}
        self.bad_files = {p.file for p in problems if p.level == ERROR and p.row is None and p.sheet is None}
        # a table whose header the reader refused (e.g. a required column missing) is skipped whole,
        # so its rows do not produce a second round of row-by-row errors
        error_rows: dict[tuple, set] = {}
        for p in problems:
            if p.level == ERROR and p.row is not None:
                error_rows.setdefault((p.file, p.sheet), set()).add(p.row)
        for t in tables:
            data_rows = set(t.frame["_row"].tolist()) if "_row" in t.frame.columns else set()
            if error_rows.get((t.file, t.sheet), set()) - data_rows:
                self.bad_tables.add((t.file, t.sheet))
        self.warned_rows = {(p.file, p.sheet, p.row) for p in problems if p.level == WARNING}

    # -- messages -------------------------------------------------------------------------------

    def label(self, t, fieldname):
        if fieldname is None:
            return None
        table = self.tables[int(t)]
        if fieldname in table.columns:
            return table.columns[fieldname]
        spec = schema.TABLES[table.kind]
        try:
            return spec.field(fieldname).label
        except StopIteration:
            return fieldname

    def error_rows(self, df, mask, fieldname, message, level=ERROR) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.problems.extend(v.row_problems(df, mask, fieldname, message, self.label, level))

    # -- batch ----------------------------------------------------------------------------------

    def open_batch(self, source, user, files) -> int:
        self.batch_id = w.open_batch(self.conn, source=source, user=user, files=[
            {"name": f["name"], "sha256": f["sha256"],
             "tables": [{k: t[k] for k in ("sheet", "kind", "year", "as_of", "rows")} for t in f["tables"]]}
            for f in files])
        return self.batch_id

    # -- combine --------------------------------------------------------------------------------

    def combined(self, kind: str) -> pd.DataFrame | None:
        """Every table of one kind across the files, in file-name order, with presence flags per field."""
        spec = schema.TABLES[kind]
        frames = []
        for t_idx, t in enumerate(self.tables):
            if t.kind != kind or t.file in self.bad_files or (t.file, t.sheet) in self.bad_tables:
                continue
            f = t.frame.copy()
            if "_row" not in f.columns:
                f["_row"] = np.arange(2, len(f) + 2)
            f["_t"] = t_idx
            f["_file"] = t.file
            f["_sheet"] = t.sheet
            for fld in spec.fields:
                f["_p_" + fld.name] = fld.name in t.frame.columns
            if "execution_rate" in t.frame.columns:
                f["_p_executed"] = True
            # year / as-of from the title, else from the command line (the reader may have done it already)
            if "year" in [x.name for x in spec.fields]:
                fallback = t.meta.get("year") if t.meta.get("year") is not None else self.year
                if "year" not in f.columns:
                    f["year"] = fallback
                elif fallback is not None:
                    f["year"] = f["year"].where(f["year"].notna(), fallback)
            if kind == "monitoring":
                fallback = t.meta.get("as_of") or self.as_of
                if "as_of" not in f.columns:
                    f["as_of"] = fallback
                elif fallback is not None:
                    f["as_of"] = f["as_of"].astype(object).where(f["as_of"].notna(), fallback)
            frames.append(f)
        if not frames:
            return None
        df = pd.concat(frames, ignore_index=True)
        for fld in spec.fields:
            if fld.name not in df.columns:
                df[fld.name] = None
        if "execution_rate" not in df.columns:
            df["execution_rate"] = np.nan
        # drop the rows the reader refused
        if self.bad_rows:
            keys = pd.Series(list(zip(df["_file"], df["_sheet"], df["_row"])), index=df.index)
            df = df.loc[~keys.isin(self.bad_rows)]
        df = df.sort_values(["_file", "_sheet", "_row"], kind="stable", na_position="first").reset_index(drop=True)
        for fld in spec.fields:
            if fld.type in v.NUMERIC_TYPES and fld.type != "year":
                df[fld.name] = pd.to_numeric(df[fld.name], errors="coerce").astype(float)
            elif fld.type not in v.NUMERIC_TYPES:
                df[fld.name] = v.as_object(df[fld.name])
        if kind == "monitoring":
            df["execution_rate"] = pd.to_numeric(df["execution_rate"], errors="coerce").astype(float)
        for fld in spec.fields:
            if fld.required and fld.name not in ("year", "as_of", "department", "unit", "description", "status"):
                missing = df[fld.name].isna().to_numpy()
                self.error_rows(df, missing, fld.name, f"必填项“{fld.label}”为空")
                df = df.loc[~missing]
        if "year" in df.columns:
            year = pd.to_numeric(df["year"], errors="coerce")
            missing = year.isna().to_numpy()
            self.error_rows(df, missing, "year", "缺少年度：请在表中填写“年度”列、在标题中写明年度，或在命令行用 --year 指定")
            df = df.loc[~missing].copy()
            df["year"] = year[~missing].astype("int64")
        if kind == "monitoring":
            missing = df["as_of"].isna().to_numpy()
            self.error_rows(df, missing, "as_of",
                            "缺少监控截止日期：请填写“监控截止日期”列、在标题中写明（如“1-8月”），或用 --as-of 指定")
            df = df.loc[~missing].copy()
            df["as_of"] = df["as_of"].map(lambda d: d.date() if isinstance(d, dt.datetime) else d)
        return df

    # -- run ------------------------------------------------------------------------------------

    def run(self) -> None:
        frames = {kind: self.combined(kind) for kind in KIND_ORDER}
        years = set()
        for kind, df in frames.items():
            if df is not None and "year" in df.columns:
                years.update(int(y) for y in pd.unique(df["year"]))
        self.years = sorted(years)
        self.full_projects = frames["projects"] is not None
        self.load_state()
        steps = [("units", self.do_units), ("projects", self.do_projects), ("monitoring", self.do_monitoring),
                 ("evaluations", self.do_evaluations), ("findings", self.do_findings)]
        for i, (kind, fn) in enumerate(steps):
            df = frames[kind]
            if df is not None and len(df):
                self.progress(0.5 + 0.5 * i / len(steps), f"写入{schema.TABLES[kind].label}")
                fn(df)

    def load_state(self) -> None:
        c = self.conn
        self.depts = w.read_frame(c, select(T["departments"]))
        self.units = w.read_frame(c, select(T["units"]))
        self._index_orgs()
        self._reload_projects()

    def _index_orgs(self) -> None:
        d, u = self.depts, self.units
        self.dept_by_name = dict(zip(v.norm_series(d["name"]), d["id"])) if len(d) else {}
        self.dept_by_code = dict(zip(d["code"], d["id"])) if len(d) else {}
        self.dept_by_code.pop(None, None)
        self.unit_by_name = dict(zip(v.norm_series(u["name"]), u["id"])) if len(u) else {}
        self.unit_by_code = dict(zip(u["code"], u["id"])) if len(u) else {}
        self.unit_by_code.pop(None, None)
        self.unit_dept = dict(zip(u["id"], u["department_id"])) if len(u) else {}

    def _index_projects(self) -> None:
        p = self.projects
        # normalised names are computed only when a row has to be linked by name (see link_projects)
        p["_name_n"] = pd.Series([None] * len(p), index=p.index, dtype=object)
        p["_named"] = False
        p["_code_n"] = v.code_series(p["code"]) if len(p) else pd.Series(dtype=object)

    def _project_names(self) -> pd.DataFrame:
        p = self.need_project_columns("name", "department_id", "unit_id")
        todo = ~p["_named"].astype(bool)
        if todo.any():
            p.loc[todo, "_name_n"] = v.norm_series(p.loc[todo, "name"])
            p.loc[todo, "_named"] = True
        return p

    # -- generic upsert -------------------------------------------------------------------------

    def upsert(self, tname: str, inc: pd.DataFrame, cols: list[str], existing: pd.DataFrame,
               defaults: dict | None = None, returning: bool = False, extra_insert: dict | None = None) -> list[int]:
        """Insert rows whose `id` is missing; update matched rows only where a value differs.

        `inc` holds `id` (nullable) and the value columns; `_p_<col>` columns (optional) say whether the
        file gave that column: where it did not, the stored value is kept. Prior values of every updated
        row go to ChangeLog. Returns the ids of inserted rows (in `inc` order) when `returning`.
        """
        table = T[tname]
        numeric = {c.name for c in table.columns if isinstance(c.type, (Double, Integer))}
        is_new = inc["id"].isna().to_numpy()
        new = inc.loc[is_new].copy()
        ids: list[int] = []
        if len(new):
            for col, value in (defaults or {}).items():
                if col not in new.columns:
                    new[col] = value
                else:
                    new[col] = v.as_object(new[col]).where(new[col].notna(), value)
            new["created_batch_id"] = self.batch_id
            new["batch_id"] = self.batch_id
            for col, value in (extra_insert or {}).items():
                new[col] = value
            write_cols = [c for c in dict.fromkeys(cols + list((defaults or {}).keys()) + list((extra_insert or {}).keys()))
                          if c in new.columns] + ["created_batch_id", "batch_id"]
            if returning:  # departments, units, projects: ids are needed to link the rows that follow
                ids = w.insert_returning_ids(self.conn, table, w.records(new, write_cols))
            else:
                w.bulk_insert(self.conn, table, new, write_cols)
            self.counts[tname]["inserted"] += len(new)
        old = inc.loc[~is_new]
        if len(old):
            ex = existing.set_index("id").loc[old["id"].astype("int64").to_numpy()]
            changed = np.zeros(len(old), dtype=bool)
            final = {}
            for col in cols:
                present = old["_p_" + col].to_numpy(dtype=bool) if "_p_" + col in old.columns else np.ones(len(old), bool)
                incoming = old[col].reset_index(drop=True)
                stored = ex[col].reset_index(drop=True)
                value = v.as_object(incoming).where(pd.Series(present), v.as_object(stored))
                final[col] = value
                changed |= ~v.same_values(value, stored, col in numeric)
            n_changed = int(changed.sum())
            self.counts[tname]["updated"] += n_changed
            self.counts[tname]["unchanged"] += len(old) - n_changed
            if n_changed:
                upd = pd.DataFrame({c: final[c][changed].to_numpy() for c in cols})
                upd["_id"] = old["id"].astype("int64").to_numpy()[changed]
                upd["batch_id"] = self.batch_id
                w.bulk_update(self.conn, table, upd, cols + ["batch_id"])
                before = ex.reset_index().loc[changed, [c.name for c in table.columns]]
                old_values = [json.dumps({k: _jsonable(x) for k, x in rec.items()}, ensure_ascii=False)
                               for rec in w.records(before, list(before.columns))]
                log = pd.DataFrame({"batch_id": self.batch_id, "table_name": tname,
                                    "row_id": before["id"].astype("int64").to_numpy(), "old_values": old_values})
                # JSON serialised here once, so the log goes through the same bulk path as the data
                w.bulk_insert(self.conn, m.ChangeLog.__table__, log, ["batch_id", "table_name", "row_id", "old_values"])
        return ids

    # -- departments and units ------------------------------------------------------------------

    def do_units(self, df: pd.DataFrame) -> None:
        df = df.copy()
        df["_dn"] = v.norm_series(df["department"])
        df["_un"] = v.norm_series(df["unit"])
        df["_dc"] = v.code_series(df["department_code"])
        df["_uc"] = v.code_series(df["unit_code"])
        missing = df["_dn"].isna() | df["_un"].isna()
        self.error_rows(df, df["_dn"].isna(), "department", "缺少主管部门")
        self.error_rows(df, df["_un"].isna() & df["_dn"].notna(), "unit", "缺少单位名称")
        df = df.loc[~missing]
        # one code per department and one department per code, within the set and against stored ones
        bad = np.zeros(len(df), dtype=bool)
        for key, val, fld, what in (("_dn", "_dc", "department_code", "主管部门"), ("_dc", "_dn", "department_code", "主管部门编码"),
                                    ("_un", "_uc", "unit_code", "单位"), ("_uc", "_un", "unit_code", "单位编码")):
            sub = df.loc[df[key].notna() & df[val].notna(), [key, val]]
            firsts = sub.drop_duplicates(key)
            first_val = sub[key].map(dict(zip(firsts[key], firsts[val])))
            clash = sub.index[(sub[val] != first_val).to_numpy()]
            if len(clash):
                mask = df.index.isin(clash)
                for idx in clash:
                    self.problems.append(Problem(df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]),
                                                 self.label(df.at[idx, "_t"], fld),
                                                 f"{what}「{df.at[idx, key]}」在本次导入中对应了不同的{'编码' if val in ('_dc', '_uc') else '名称'}（前面的行为「{first_val[idx]}」）"))
                bad |= mask
        df = df.loc[~bad]
        df = self._conflicts(df, ["_un"], ["_dn", "unit_kind", "sector"], "unit", "单位")
        # departments: by name, else by code (a renamed department keeps its code)
        depts = df.drop_duplicates("_dn")
        dept_id = depts["_dn"].map(self.dept_by_name)
        by_code = depts["_dc"].map(self.dept_by_code)
        dept_id = dept_id.where(dept_id.notna(), by_code)
        # a code already used by another stored department
        clash = dept_id.notna() & by_code.notna() & (by_code != dept_id)
        for idx in depts.index[clash.to_numpy()]:
            self.problems.append(Problem(df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]),
                                         self.label(df.at[idx, "_t"], "department_code"),
                                         f"主管部门编码「{df.at[idx, '_dc']}」已属于另一个主管部门"))
        own = df.loc[df["_un"] == df["_dn"]].drop_duplicates("_dn").set_index("_dn")
        inc = pd.DataFrame({"id": dept_id.astype("Int64").to_numpy(), "name": depts["department"].to_numpy(),
                            "code": depts["_dc"].to_numpy()})
        inc["_p_code"] = inc["code"].notna().to_numpy()
        inc["_p_name"] = True
        kinds = depts["_dn"].map(own["unit_kind"] if len(own) else {}).to_numpy()
        sectors = depts["_dn"].map(own["sector"] if len(own) else {}).to_numpy()
        inc["kind"] = kinds
        inc["sector"] = sectors
        inc["_p_kind"] = pd.notna(kinds)
        inc["_p_sector"] = pd.notna(sectors) | depts["_dn"].isin(own.index).to_numpy() & depts["_p_sector"].to_numpy(dtype=bool)
        self.upsert("departments", inc, ["code", "name", "kind", "sector"], self.depts, defaults={"kind": "部门"},
                    returning=True)
        self._refresh_orgs()
        # units
        units = df.drop_duplicates("_un").copy()
        uid = units["_un"].map(self.unit_by_name)
        uid = uid.where(uid.notna(), units["_uc"].map(self.unit_by_code))
        inc = pd.DataFrame({
            "id": uid.astype("Int64").to_numpy(),
            "department_id": units["_dn"].map(self.dept_by_name).to_numpy(),
            "code": units["_uc"].to_numpy(), "name": units["unit"].to_numpy(),
            "kind": units["unit_kind"].to_numpy(), "sector": units["sector"].to_numpy(),
        })
        inc["_p_code"] = inc["code"].notna().to_numpy()
        inc["_p_kind"] = inc["kind"].notna().to_numpy()
        inc["_p_sector"] = units["_p_sector"].to_numpy(dtype=bool)
        self.upsert("units", inc, ["department_id", "code", "name", "kind", "sector"], self.units,
                    defaults={"kind": "部门"})
        self._refresh_orgs()

    def _refresh_orgs(self) -> None:
        self.depts = w.read_frame(self.conn, select(T["departments"]))
        self.units = w.read_frame(self.conn, select(T["units"]))
        self._index_orgs()

    @staticmethod
    def _new_codes(df: pd.DataFrame, new: pd.DataFrame, key: str, code_col: str, taken: dict) -> np.ndarray:
        """Codes for departments / units created from rows like "219-某某镇人民政府" (the reader splits the code off).

        A code is used only when the rows agree on it and nobody has it yet; otherwise the new row has none.
        """
        out = np.full(len(new), None, dtype=object)
        if code_col not in df.columns:
            return out
        pairs = pd.DataFrame({"k": df[key], "c": v.code_series(df[code_col])}).dropna().drop_duplicates()
        single = pairs.groupby("k")["c"].agg(lambda c: c.iloc[0] if len(c) == 1 else None)
        codes = new[key].map(single).to_numpy(dtype=object)
        seen: set = set()
        for i, c in enumerate(codes):
            if isinstance(c, str) and c not in taken and c not in seen and (pairs["c"] == c).sum() == 1:
                out[i] = c
                seen.add(c)
        return out

    def resolve_orgs(self, df: pd.DataFrame) -> pd.DataFrame:
        """Add _dept_id / _unit_id to rows of any kind, creating unknown departments and units."""
        df = df.copy()
        df["_dn"] = v.norm_series(df["department"])
        df["_un"] = v.norm_series(df["unit"])
        neither = df["_dn"].isna() & df["_un"].isna()
        self.error_rows(df, neither, "department", "缺少主管部门和预算单位：至少填写其一")
        df = df.loc[~neither]
        # unknown departments named by the rows
        new_d = df.loc[df["_dn"].notna() & ~df["_dn"].isin(list(self.dept_by_name)), ["_dn", "department"]]
        new_d = new_d.drop_duplicates("_dn")
        if len(new_d):
            inc = pd.DataFrame({"id": pd.array([pd.NA] * len(new_d), dtype="Int64"), "name": new_d["department"].to_numpy()})
            inc["code"] = self._new_codes(df, new_d, "_dn", "department_code", self.dept_by_code)
            self.upsert("departments", inc, ["name", "code"], self.depts, defaults={"kind": "部门"})
            self._refresh_orgs()
        df["_dept_id"] = df["_dn"].map(self.dept_by_name).astype("Int64")
        # unknown units: created under the department their rows name
        unknown = df["_un"].notna() & ~df["_un"].isin(list(self.unit_by_name))
        no_dept = unknown & df["_dept_id"].isna()
        self.error_rows(df, no_dept, "unit",
                        "预算单位不在部门单位表中，无法确定其主管部门：请填写主管部门，或先导入部门单位表")
        df = df.loc[~no_dept]
        unknown = df["_un"].notna() & ~df["_un"].isin(list(self.unit_by_name))
        new_u = df.loc[unknown, ["_un", "unit", "_dept_id"]].drop_duplicates("_un")
        if len(new_u):
            inc = pd.DataFrame({"id": pd.array([pd.NA] * len(new_u), dtype="Int64"), "name": new_u["unit"].to_numpy(),
                                "department_id": new_u["_dept_id"].to_numpy()})
            inc["code"] = self._new_codes(df, new_u, "_un", "unit_code", self.unit_by_code)
            self.upsert("units", inc, ["name", "department_id", "code"], self.units, defaults={"kind": "部门"})
            self._refresh_orgs()
        df["_unit_id"] = df["_un"].map(self.unit_by_name).astype("Int64")
        # through the unit names (few distinct values): mapping a nullable-integer column is slow in pandas
        dept_of_unit = {n: self.unit_dept.get(i) for n, i in self.unit_by_name.items()}
        unit_dept = df["_un"].map(dept_of_unit).astype("Int64")
        clash = (df["_dept_id"].notna() & unit_dept.notna() & (df["_dept_id"] != unit_dept)).fillna(False).to_numpy(dtype=bool)
        if clash.any():
            names = dict(zip(self.depts["id"], self.depts["name"]))
            for idx in df.index[clash]:
                self.problems.append(Problem(
                    df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]), self.label(df.at[idx, "_t"], "unit"),
                    f"预算单位「{df.at[idx, 'unit']}」属于主管部门「{names.get(unit_dept[idx])}」，与本行的主管部门「{df.at[idx, 'department']}」不符"))
            df = df.loc[~clash]
            unit_dept = unit_dept[~clash]
        df["_dept_id"] = df["_dept_id"].where(df["_dept_id"].notna(), unit_dept).astype("Int64")
        return df

    # -- projects -------------------------------------------------------------------------------

    def link_projects(self, df: pd.DataFrame) -> pd.Series:
        """Project id of each row by (年度, 项目编码), else by (年度, 单位 or 部门, 项目名称); <NA> when unknown."""
        P = self.projects
        res = pd.Series(pd.NA, index=df.index, dtype="Int64")
        if "_name" not in df.columns:
            df["_name"] = None
        if not len(P) or not len(df):
            df["_name"] = v.norm_series(df["project_name"])
            return res
        code = df["_code"]
        has_code = code.notna()
        if has_code.any():
            pc = P.loc[P["_code_n"].notna(), ["year", "_code_n", "id"]]
            left = df.loc[has_code, ["year", "_code"]].reset_index()
            got = left.merge(pc, how="left", left_on=["year", "_code"], right_on=["year", "_code_n"]).set_index("index")["id"]
            res.loc[got.index] = got.astype("Int64")
        # by name: a row with a code not found may still match a stored project that has no code
        need = res.isna()
        if need.any():
            df.loc[need, "_name"] = v.norm_series(df.loc[need, "project_name"])
            P = self._project_names()
        want = res.isna() & df["_name"].notna()
        if want.any():
            for by, col in (("unit_id", "_unit_id"), ("department_id", "_dept_id")):
                want = res.isna() & df["_name"].notna() & df[col].notna()
                if not want.any():
                    continue
                for coded in (True, False):
                    rows = want & (has_code if coded else ~has_code)
                    if not rows.any():
                        continue
                    cand = P.loc[P["_code_n"].isna()] if coded else P
                    cand = cand.loc[cand[by].notna(), ["year", by, "_name_n", "id"]].copy()
                    cand[by] = cand[by].astype("int64")
                    dup = cand.duplicated(["year", by, "_name_n"], keep=False)
                    ambiguous = cand.loc[dup].drop_duplicates(["year", by, "_name_n"])
                    cand = cand.loc[~dup]
                    left = df.loc[rows, ["year", col, "_name"]].reset_index()
                    left[col] = left[col].astype("int64")
                    got = left.merge(cand, how="left", left_on=["year", col, "_name"],
                                     right_on=["year", by, "_name_n"]).set_index("index")["id"]
                    res.loc[got.index] = res.loc[got.index].where(res.loc[got.index].notna(), got.astype("Int64"))
                    if len(ambiguous) and by == "department_id":
                        amb = left.merge(ambiguous, how="inner", left_on=["year", col, "_name"],
                                         right_on=["year", by, "_name_n"])["index"]
                        mask = df.index.isin(amb) & res.isna().to_numpy()
                        self.error_rows(df, mask, "project_name",
                                        "该部门下有多个同名项目，无法确定是哪一个：请填写项目编码")
                        res.loc[mask] = -1  # marked: neither linked nor created
        return res

    def project_keys(self, df: pd.DataFrame, pid: pd.Series) -> pd.Series:
        """A provisional key per row: the linked project id, else a text key of the project the row would create."""
        key = pd.Series(pid.astype(object).to_numpy(), index=df.index, dtype=object)
        todo = pid.isna().to_numpy()
        if not todo.any():
            return key
        sub = df.loc[todo]
        coded = sub["_code"].notna()
        year = sub["year"].astype(str)
        named = "n|" + year + "|" + sub["_dept_id"].astype(str) + "|" + sub["_name"].astype(str)
        new_key = pd.Series(np.where(coded, "c|" + year + "|" + sub["_code"].astype(str), named), index=sub.index,
                            dtype=object)
        # a code-less row naming a project that a coded row of this set creates belongs to that project
        coded_new = coded & sub["_name"].notna()
        alias = dict(zip(named[coded_new], new_key[coded_new]))
        if alias:
            fix = ~coded & named.isin(list(alias))
            new_key.loc[fix] = named[fix].map(alias)
        key.loc[todo] = new_key.to_numpy()
        return key

    def prepare_project_rows(self, df: pd.DataFrame) -> pd.DataFrame:
        df = self.resolve_orgs(df)
        df["_code"] = v.code_series(df["project_code"])
        df["_name"] = None  # filled by link_projects for the rows that need it
        return df

    def create_projects(self, df: pd.DataFrame, pid: pd.Series, key: pd.Series, attrs: dict[str, pd.Series]) -> pd.Series:
        """Insert the projects that rows name but nobody stored yet; returns pid with the new ids filled in."""
        todo = pid.isna()
        if not todo.any():
            return pid
        rows = df.loc[todo]
        first = rows.assign(_key=key[todo]).drop_duplicates("_key")
        no_name = first["project_name"].isna().to_numpy()
        if no_name.any():
            bad_keys = set(first.loc[no_name, "_key"])
            mask = key.isin(bad_keys).to_numpy() & todo.to_numpy()
            self.error_rows(df, mask, "project_code",
                            "项目编码未找到对应的项目，且本行没有项目名称，无法新建项目：请核对编码或填写项目名称")
            first = first.loc[~no_name]
        if not len(first):
            return pid
        inc = pd.DataFrame({
            "id": pd.array([pd.NA] * len(first), dtype="Int64"),
            "year": first["year"].to_numpy(), "code": first["_code"].to_numpy(),
            "name": first["project_name"].to_numpy(), "department_id": first["_dept_id"].astype(object).to_numpy(),
            "unit_id": first["_unit_id"].astype(object).to_numpy(),
        })
        for col, series in attrs.items():
            inc[col] = series.loc[first.index].to_numpy()
        cols = list(inc.columns.drop("id"))
        ids = self.upsert("projects", inc, cols, self.projects,
                          defaults={"category": "项目支出", "is_key": False}, returning=True)
        new = inc.drop(columns="id").assign(id=ids)
        for col, value in (("category", "项目支出"), ("is_key", False)):
            if col not in new.columns:
                new[col] = value
        new["_name_n"] = first["_name"].to_numpy()
        new["_named"] = True
        new["_code_n"] = first["_code"].to_numpy()
        new["created_batch_id"] = self.batch_id
        new["batch_id"] = self.batch_id
        self.projects = pd.concat([self.projects, new], ignore_index=True)
        self.projects["year"] = self.projects["year"].astype("int64")
        id_of = dict(zip(first["_key"], ids))
        filled = key[todo].map(id_of)
        pid = pid.copy()
        pid.loc[todo] = filled.astype("Int64")
        return pid

    _SHOWN_AS = {"_dn": "department", "_un": "unit", "_uc": "unit_code", "_dc": "department_code",
                 "_dept_id": "department", "_unit_id": "unit", "_code": "project_code", "project_id": "project_name",
                 "object_name": "project_name"}

    def _conflicts(self, df, key_cols, value_cols, key_label_field, what) -> pd.DataFrame:
        """Report rows repeating an earlier row's key with other values (naming the later row); drop exact repeats."""
        numeric = {c for c in value_cols if df[c].dtype.kind in "fi"}
        conflicts, drop = v.duplicate_conflicts(df, key_cols, value_cols, numeric)
        for later, earlier, col, x, y in conflicts:
            t = df.at[later, "_t"]
            shown = self._SHOWN_AS.get(col, col)
            fieldname = shown if shown in self._fieldnames(t) else key_label_field
            if col in ("_dept_id", "_unit_id", "project_id"):  # ids mean nothing to a user: show the cell text
                src = {"_dept_id": "department", "_unit_id": "unit", "project_id": "project_name"}[col]
                x, y = df.at[later, src], df.at[earlier, src]
            header = self.label(t, fieldname).split("（")[0]
            self.problems.append(Problem(
                df.at[later, "_file"], df.at[later, "_sheet"], int(df.at[later, "_row"]), self.label(t, fieldname),
                f"与 {df.at[earlier, '_file']} / {df.at[earlier, '_sheet'] or '-'} / 第{int(df.at[earlier, '_row'])}行"
                f"是同一{what}，但“{header}”不同（本行 {v.show(x)}，前面 {v.show(y)}）",
            ))
        bad = [c[0] for c in conflicts]
        return df.drop(index=list(drop) + bad)

    def _fieldnames(self, t) -> set[str]:
        return {f.name for f in schema.TABLES[self.tables[int(t)].kind].fields}

    def do_projects(self, df: pd.DataFrame) -> None:
        df = self.prepare_project_rows(df)
        neither = df["_code"].isna() & df["project_name"].isna()
        self.error_rows(df, neither, "project_name", "缺少项目编码和项目名称：至少填写其一")
        df = df.loc[~neither]
        pid = self.link_projects(df)
        df = df.loc[pid.fillna(0) >= 0]
        pid = pid.loc[df.index]
        df["_key"] = self.project_keys(df, pid)
        value_cols = ["_dept_id", "_unit_id", "_code", "project_name", "category", "fund_source", "initial_budget",
                      "adjusted_budget", "has_target", "target_grade", "ex_ante_result", "is_key"]
        df = self._conflicts(df, ["_key"], value_cols, "project_code", "项目")
        pid = pid.loc[df.index]
        attrs = {c: df[c] for c in ("category", "fund_source", "initial_budget", "adjusted_budget", "has_target",
                                    "target_grade", "ex_ante_result", "is_key")}
        new_mask = pid.isna()
        pid = self.create_projects(df, pid, df["_key"], attrs)
        # update the projects that were stored before this set
        old = df.loc[~new_mask & pid.notna()]
        if len(old):
            inc = pd.DataFrame({
                "id": pid.loc[old.index].to_numpy(),
                "department_id": old["_dept_id"].astype(object).to_numpy(),
                "unit_id": old["_unit_id"].astype(object).to_numpy(),
                "code": old["_code"].to_numpy(), "name": old["project_name"].to_numpy(),
            }, index=old.index)
            inc["_p_code"] = old["_code"].notna().to_numpy()  # a blank code never erases a stored one
            inc["_p_name"] = old["project_name"].notna().to_numpy()
            inc["_p_unit_id"] = old["_p_unit"].to_numpy(dtype=bool)
            for c in attrs:
                inc[c] = old[c].to_numpy()
                inc["_p_" + c] = old["_p_" + c].to_numpy(dtype=bool)
            for c in ("category", "is_key"):  # NOT NULL columns: a blank cell keeps the stored value
                inc["_p_" + c] &= old[c].notna().to_numpy()
            inc = inc.drop_duplicates("id")
            cols = list(inc.columns[~inc.columns.str.startswith("_p_")].drop("id"))
            self.upsert("projects", inc, cols, self.projects)
            self._reload_projects()

    def _reload_projects(self) -> None:
        """The projects of the set's years: every column when a 项目 table may update them, else what linking needs."""
        p = T["projects"]
        cols = list(p.columns) if self.full_projects else [p.c[c] for c in PROJECT_LINK_COLUMNS]
        self.projects = w.read_frame(self.conn, select(*cols).where(p.c.year.in_(self.years or [-1])))
        self.project_cols = {c.name for c in cols}
        self._index_projects()

    def need_project_columns(self, *names: str) -> pd.DataFrame:
        """Load more columns of the stored projects only when a step needs them (one query)."""
        missing = [n for n in names if n not in self.project_cols]
        if missing:
            p = T["projects"]
            extra = w.read_frame(self.conn, select(p.c.id, *[p.c[n] for n in missing]).where(p.c.year.in_(self.years or [-1])))
            extra = extra.set_index("id")
            ids = self.projects["id"]
            for n in missing:
                loaded = ids.map(extra[n]).astype(object)
                if n in self.projects.columns:  # projects created by this set already carry the value
                    self.projects[n] = v.as_object(self.projects[n]).where(self.projects[n].notna(), loaded)
                else:
                    self.projects[n] = loaded
                self.project_cols.add(n)
        return self.projects

    # -- records --------------------------------------------------------------------------------

    def link_or_create(self, df: pd.DataFrame, attrs: dict | None = None) -> tuple[pd.DataFrame, pd.Series]:
        pid = self.link_projects(df)
        keep = (pid.fillna(0) >= 0).to_numpy()
        df, pid = df.loc[keep], pid.loc[keep]
        key = self.project_keys(df, pid)
        pid = self.create_projects(df, pid, key, {k: s.loc[df.index] for k, s in (attrs or {}).items()})
        ok = pid.notna().to_numpy()
        return df.loc[ok], pid.loc[ok]

    def do_monitoring(self, df: pd.DataFrame) -> None:
        df = self.prepare_project_rows(df)
        neither = df["_code"].isna() & df["project_name"].isna()
        self.error_rows(df, neither, "project_name", "缺少项目编码和项目名称：至少填写其一")
        df = df.loc[~neither]
        df, pid = self.link_or_create(df, {"adjusted_budget": df["adjusted_budget"]})
        if not len(df):
            return
        df = df.assign(project_id=pid.astype("int64"))
        # 执行数 from a given 执行率 only where the amount is missing (a given rate is rounded)
        budget = df["adjusted_budget"]
        if budget.isna().any() and (df["execution_rate"].notna() | df["executed"].notna()).any():
            P = self.need_project_columns("adjusted_budget", "initial_budget").set_index("id")
            base = pd.to_numeric(P["adjusted_budget"], errors="coerce")
            base = base.where(base.notna(), pd.to_numeric(P["initial_budget"], errors="coerce"))
            budget = budget.where(budget.notna(), df["project_id"].map(base))
        fill = df["executed"].isna() & df["execution_rate"].notna() & budget.notna()
        df.loc[fill, "executed"] = (df.loc[fill, "execution_rate"] * budget[fill]).round(6)
        warn = v.execution_warnings(df, budget, self.label)
        self.problems.extend(p for p in warn if (p.file, p.sheet, p.row) not in self.warned_rows)
        value_cols = ["adjusted_budget", "executed", "target_progress", "deviation_reason", "likelihood",
                      "needs_rectification", "rectification_requirement"]
        df = self._conflicts(df, ["project_id", "as_of"], value_cols, "project_code", "项目同一截止日期的监控记录")
        mt = T["monitoring"]
        pt = T["projects"]
        # stored rows that this import may update: same years and as-of dates (not the whole year's reports)
        dates = sorted(set(df["as_of"].dropna()))
        existing = w.read_frame(self.conn, select(mt).join(pt, pt.c.id == mt.c.project_id)
                          .where(pt.c.year.in_(self.years), mt.c.as_of.in_(dates)))
        if len(existing):
            existing["as_of"] = existing["as_of"].astype(object)
        left = df[["project_id", "as_of"]].reset_index()
        got = left.merge(existing[["project_id", "as_of", "id"]], how="left", on=["project_id", "as_of"]).set_index("index")["id"]
        inc = pd.DataFrame({"id": got.astype("Int64").to_numpy(), "project_id": df["project_id"].to_numpy(),
                            "as_of": df["as_of"].to_numpy()}, index=df.index)
        for c in value_cols:
            inc[c] = df[c].to_numpy()
            inc["_p_" + c] = df["_p_" + c].to_numpy(dtype=bool)
        self.upsert("monitoring", inc, ["project_id", "as_of"] + value_cols, existing, defaults={"is_latest": False})
        # the flag is derived data, not a change undo must log: the one owner recomputes it
        w.refresh_latest(self.conn, pd.unique(df["project_id"]).tolist())

    def do_evaluations(self, df: pd.DataFrame) -> None:
        df = self.resolve_orgs(df)
        df["object_type"] = df["object_type"].where(df["object_type"].notna(), "项目支出")
        df["_code"] = v.code_series(df["project_code"])
        df["_name"] = None
        is_proj = ~df["object_type"].isin(NON_PROJECT_OBJECTS)
        neither = is_proj & df["_code"].isna() & df["project_name"].isna()
        self.error_rows(df, neither, "project_name", "项目支出评价缺少项目编码和项目名称：至少填写其一")
        df = df.loc[~neither]
        is_proj = ~df["object_type"].isin(NON_PROJECT_OBJECTS)
        # grade follows the score where only the score is given (the reader refuses disagreeing pairs)
        need = df["grade"].isna() & df["score"].notna()
        df.loc[need, "grade"] = df.loc[need, "score"].map(grade_for_score)
        proj = df.loc[is_proj]
        other = df.loc[~is_proj].copy()
        parts = []
        if len(proj):
            proj, pid = self.link_or_create(proj)
            proj = proj.assign(project_id=pid.astype(object).to_numpy())
            names = self.need_project_columns("name", "department_id").set_index("id")["name"]
            proj["object_name"] = v.as_object(proj["project_name"]).where(
                proj["project_name"].notna(), proj["project_id"].map(names).astype(object))
            proj["object_key"] = "p:" + proj["project_id"].astype(str)
            # the project's department, not the row's, so the figure follows the project
            proj["_dept_id"] = proj["project_id"].map(self.projects.set_index("id")["department_id"]).astype("Int64")
            parts.append(proj)
        if len(other):
            dnames = dict(zip(self.depts["id"], self.depts["name"]))
            unames = dict(zip(self.units["id"], self.units["name"]))
            # unnamed department-wide rows are named after their unit, else their department
            fallback = pd.Series([unames.get(int(u)) if pd.notna(u) else dnames.get(int(d))
                                  for u, d in zip(other["_unit_id"], other["_dept_id"])], index=other.index, dtype=object)
            other["object_name"] = v.as_object(other["project_name"]).where(other["project_name"].notna(), fallback)
            other["project_id"] = None
            other["object_key"] = [m.evaluation_object_key(None, int(d), n)
                                   for d, n in zip(other["_dept_id"], other["object_name"])]
            parts.append(other)
        if not parts:
            return
        df = pd.concat(parts).sort_index()
        value_cols = ["object_name", "project_id", "_dept_id", "_unit_id", "fund_amount", "score", "grade", "evaluator",
                      "deputies_participated", "main_problems", "result_application", "next_year_budget_change"]
        df = self._conflicts(df, ["year", "kind", "object_type", "object_key"], value_cols, "project_name", "评价记录")
        et = T["evaluations"]
        existing = w.read_frame(self.conn, select(et).where(et.c.year.in_(self.years)))
        key = ["year", "kind", "object_type", "object_key"]
        got = df[key].reset_index().merge(existing[key + ["id"]] if len(existing) else pd.DataFrame(columns=key + ["id"]),
                                          how="left", on=key).set_index("index")["id"]
        inc = pd.DataFrame({"id": got.astype("Int64").to_numpy()}, index=df.index)
        for c in key:
            inc[c] = df[c].to_numpy()
        mapping = {"_dept_id": "department_id", "_unit_id": "unit_id"}
        for c in value_cols:
            inc[mapping.get(c, c)] = df[c].astype(object).to_numpy()
            src = "_p_" + c
            if src in df.columns:
                inc["_p_" + c] = df[src].to_numpy(dtype=bool)
        inc["_p_unit_id"] = df["_p_unit"].to_numpy(dtype=bool)
        if "_p_grade" in inc.columns:
            inc["_p_grade"] |= df["_p_score"].to_numpy(dtype=bool)
        cols = key + [mapping.get(c, c) for c in value_cols]
        self.upsert("evaluations", inc, cols, existing)

    def do_findings(self, df: pd.DataFrame) -> None:
        df = self.resolve_orgs(df)
        df["_code"] = v.code_series(df["project_code"])
        df["_name"] = None
        nodesc = df["description"].isna().to_numpy()
        self.error_rows(df, nodesc, "description", "缺少问题描述")
        df = df.loc[~nodesc]
        nostatus = df["status"].isna().to_numpy()
        self.error_rows(df, nostatus, "status", "缺少整改状态（未整改 / 整改中 / 已整改）")
        df = df.loc[~nostatus]
        has_proj = df["_code"].notna() | df["project_name"].notna()
        parts = [df.loc[~has_proj].assign(project_id=None)]
        if has_proj.any():
            proj, pid = self.link_or_create(df.loc[has_proj])
            parts.append(proj.assign(project_id=pid.astype(object).to_numpy()))
        df = pd.concat(parts).sort_index()
        if not len(df):
            return
        df["finding_key"] = [m.finding_key(int(d), None if p is None or pd.isna(p) else int(p), str(desc))
                             for d, p, desc in zip(df["_dept_id"], df["project_id"], df["description"])]
        value_cols = ["source", "_dept_id", "_unit_id", "project_id", "description", "requirement", "deadline",
                      "status", "completed_on", "measures", "amount"]
        df = self._conflicts(df, ["year", "finding_key"], value_cols, "description", "问题")
        ft = T["findings"]
        existing = w.read_frame(self.conn, select(ft).where(ft.c.year.in_(self.years)))
        key = ["year", "finding_key"]
        got = df[key].reset_index().merge(existing[key + ["id"]] if len(existing) else pd.DataFrame(columns=key + ["id"]),
                                          how="left", on=key).set_index("index")["id"]
        inc = pd.DataFrame({"id": got.astype("Int64").to_numpy()}, index=df.index)
        for c in key:
            inc[c] = df[c].to_numpy()
        mapping = {"_dept_id": "department_id", "_unit_id": "unit_id"}
        for c in value_cols:
            inc[mapping.get(c, c)] = df[c].astype(object).to_numpy()
            if "_p_" + c in df.columns:
                inc["_p_" + c] = df["_p_" + c].to_numpy(dtype=bool)
        inc["_p_unit_id"] = df["_p_unit"].to_numpy(dtype=bool)
        cols = key + [mapping.get(c, c) for c in value_cols]
        self.upsert("findings", inc, cols, existing)


# ---------------------------------------------------------------------------------------------
# history and undo


def list_batches(url: str) -> list[dict]:
    """Committed and undone batches, newest first."""
    if not db.is_initialised(url):
        return []
    b = m.ImportBatch.__table__
    with db.get_engine(url).connect() as conn:
        rows = conn.execute(select(b).order_by(b.c.id.desc())).mappings().all()
    return [{
        "id": r["id"], "created_at": _iso(r["created_at"]), "user": r["user"], "source": r["source"],
        "files": r["files"] or [], "counts": r["counts"] or {}, "status": r["status"],
        "undone_at": _iso(r["undone_at"]),
    } for r in rows]


class UndoRefused(Exception):
    """The batch cannot be undone as asked; the message is for the user (Chinese)."""


# which columns point at which tables: undo checks nobody outside the batch points at its rows
_REFERENCES = (
    ("units", "department_id", "departments"),
    ("projects", "department_id", "departments"), ("projects", "unit_id", "units"),
    ("monitoring", "project_id", "projects"),
    ("evaluations", "project_id", "projects"), ("evaluations", "department_id", "departments"),
    ("evaluations", "unit_id", "units"),
    ("findings", "project_id", "projects"), ("findings", "department_id", "departments"),
    ("findings", "unit_id", "units"),
)


def _restore_value(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(column.type, Boolean):
        return bool(value)
    return value


def undo_batch(url: str, batch_id: int) -> dict:
    """Restore exactly the state before a batch, in one transaction; raises UndoRefused with the reason."""
    b = m.ImportBatch.__table__
    cl = m.ChangeLog.__table__
    with w.write_transaction(url) as conn:
        batch = conn.execute(select(b).where(b.c.id == batch_id)).mappings().first()
        if batch is None:
            raise UndoRefused(f"没有编号为 {batch_id} 的导入批次")
        if batch["status"] != "committed":
            raise UndoRefused(f"批次 {batch_id} 已于 {_iso(batch['undone_at'])} 撤销过")
        later: set[int] = set()
        for name in TABLE_NAMES:
            t = T[name]
            rows = conn.execute(select(t.c.batch_id).distinct().where(
                t.c.created_batch_id == batch_id, t.c.batch_id != batch_id)).scalars().all()
            later.update(r for r in rows if r is not None)
            changed = select(cl.c.row_id).where(cl.c.batch_id == batch_id, cl.c.table_name == name)
            rows = conn.execute(select(t.c.batch_id).distinct().where(
                t.c.id.in_(changed), (t.c.batch_id != batch_id) | t.c.batch_id.is_(None))).scalars().all()
            later.update(r if r is not None else -1 for r in rows)
        for child, col, parent in _REFERENCES:
            c, p = T[child], T[parent]
            created = select(p.c.id).where(p.c.created_batch_id == batch_id)
            not_ours = ((c.c.created_batch_id != batch_id) | c.c.created_batch_id.is_(None)) & \
                       ((c.c.batch_id != batch_id) | c.c.batch_id.is_(None))
            rows = conn.execute(select(c.c.batch_id).distinct().where(c.c[col].in_(created), not_ours)).scalars().all()
            later.update(r if r is not None else -1 for r in rows)
        later.discard(batch_id)
        if later:
            named = sorted(x for x in later if x > 0)
            which = "、".join(str(x) for x in named) if named else "其他来源"
            raise UndoRefused(
                f"无法撤销批次 {batch_id}：之后的批次 {which} 修改或引用了它写入的数据，请先撤销批次 {which}")
        # projects whose latest monitoring report may change
        mt = T["monitoring"]
        affected = set(conn.execute(select(mt.c.project_id).where(mt.c.created_batch_id == batch_id)).scalars())
        logs = conn.execute(select(cl.c.table_name, cl.c.row_id, cl.c.old_values)
                            .where(cl.c.batch_id == batch_id).order_by(cl.c.id)).all()
        by_table: dict[str, list[dict]] = {}
        for name, row_id, old in logs:
            t = T[name]
            rec = {"_id": row_id}
            for col in t.columns:
                if col.name != "id":
                    rec[col.name] = _restore_value(col, old.get(col.name))
            by_table.setdefault(name, []).append(rec)
            if name == "monitoring":
                affected.add(old.get("project_id"))
        # restore first (rows may point at rows the batch created), then delete children before parents
        for name in TABLE_NAMES:
            recs = by_table.get(name)
            if recs:
                # is_latest is derived: refresh_latest below recomputes it rather than restoring old flags
                cols = [c.name for c in T[name].columns if c.name not in ("id", "is_latest")]
                w.bulk_update(conn, T[name], pd.DataFrame(recs, columns=["_id"] + cols), cols)
        deleted = {}
        for name in reversed(TABLE_NAMES):
            t = T[name]
            deleted[name] = conn.execute(delete(t).where(t.c.created_batch_id == batch_id)).rowcount
        w.refresh_latest(conn, affected)
        conn.execute(update(b).where(b.c.id == batch_id).values(
            status="undone", undone_at=dt.datetime.now().replace(microsecond=0)))
    return {"batch_id": batch_id, "deleted": deleted, "restored": {k: len(v_) for k, v_ in by_table.items()}}
