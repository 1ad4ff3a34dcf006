"""Writing one import set inside one transaction: the files' tables combined per kind, checked across rows
and files, and upserted (insert new rows, update only changed values, log old values) through dashboard.core.writes.

Linking to departments, units and projects is link.py's (`Writer` extends `link.Linker`); the set checks
are validate.py's; the transaction and the batch record are the importer's.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Double, Integer, select

from dashboard.core import models as m
from dashboard.core import writes as w
from dashboard.core.rules import grade_for_score
from dashboard.core.settings import Rules
from dashboard.core.vocab import EVALUATION_KINDS, NON_PROJECT_OBJECTS, NUMERIC_TYPES, RECTIFIED, YEAR
from data_loaders import schema
from data_loaders import validate as v
from data_loaders.department_form import write_department_wide
from data_loaders.indicators import write_indicators
from data_loaders.link import PROJECT_LINK_COLUMNS, Linker, T, as_object
from data_loaders.problems import ERROR, WARNING, Problem

KIND_ORDER = ("units", "projects", "monitoring", "evaluations", "findings", "indicators", "satisfaction", "inquiries")


def same_values(a: pd.Series, b: pd.Series, numeric: bool) -> np.ndarray:
    """Element-wise equality where two missing values are equal; floats compare to 1e-9 (stored doubles)."""
    a_na = a.isna().to_numpy()
    b_na = b.isna().to_numpy()
    if numeric:
        av = pd.to_numeric(a.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bv = pd.to_numeric(b.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            eq = np.isclose(av, bv, rtol=1e-12, atol=1e-9)
        return (a_na & b_na) | (~a_na & ~b_na & eq)
    ao = as_object(a).to_numpy()
    bo = as_object(b).to_numpy()
    eq = np.fromiter((x == y for x, y in zip(ao, bo)), dtype=bool, count=len(ao))
    return (a_na & b_na) | (~a_na & ~b_na & eq)


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


# the column a message names for a key column the writer derived
_SHOWN_AS = {"_dn": "department", "_un": "unit", "_uc": "unit_code", "_dc": "department_code",
             "_dept_id": "department", "_unit_id": "unit", "_code": "project_code", "project_id": "project_name",
             "object_name": "project_name"}


@dataclass
class Prepared:
    """What the writer reads first, read while the file was parsed (importer._prepare) at data version `version`:
    every department and unit, the link columns (link.PROJECT_LINK_COLUMNS) of the projects of `project_years`
    (the IN list link.Linker._reload_projects would use), and changes.snapshot of those years (`before`)."""

    version: int
    depts: pd.DataFrame
    units: pd.DataFrame
    project_years: list[int]
    projects: pd.DataFrame
    before: dict


class Writer(Linker):
    """One import set inside one open transaction."""

    def __init__(self, conn, tables, problems, counts, *, rules: Rules, progress, prepared: Prepared | None = None):
        self.conn = conn
        self.prepared = prepared  # checked current by the importer (the data version) before it is passed
        self.tables = tables
        self.problems = problems
        self.counts = counts
        self.rules = rules
        self.progress = progress
        self.batch_id: int | None = None
        self.user: str | None = None  # the importing account, recorded on the finding_extensions rows
        # amounts, rates and dates outside their plausible range (docs/rules.md 合理取值范围): checked here, where
        # every reader's tables meet with their amounts in the final unit (after the importer's 金额单位 verdict)
        for t in tables:
            problems.extend(v.value_ranges(t, rules))
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

    def load_state(self) -> None:
        """link.Linker.load_state, from the prepared reads where they are the very ones it would make."""
        got = self.prepared
        if got is None:
            super().load_state()
            return
        self.depts, self.units = got.depts, got.units
        self._index_orgs()
        if not self.full_projects and list(self.years or [-1]) == got.project_years:
            self.projects = got.projects
            self.project_cols = set(PROJECT_LINK_COLUMNS)
            self._index_projects()
        else:
            self._reload_projects()
        self.created_project_ids: set[int] = set()
        self.prepared = None  # used once: the writes that follow change these frames

    def open_batch(self, source, user, files) -> int:
        self.user = user
        self.batch_id = w.open_batch(self.conn, source=source, user=user, files=[
            {"name": f["name"], "sha256": f["sha256"],
             "tables": [{k: t[k] for k in ("sheet", "kind", "year", "as_of", "rows")} for t in f["tables"]]}
            for f in files])
        return self.batch_id

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
        # year and as-of are on every row: the reader resolved them and refused the rows without
        for fld in spec.fields:
            if fld.type in NUMERIC_TYPES:
                df[fld.name] = pd.to_numeric(df[fld.name], errors="coerce").astype(float)
            elif fld.type != YEAR:
                df[fld.name] = as_object(df[fld.name])
        if kind == "monitoring":
            df["execution_rate"] = pd.to_numeric(df["execution_rate"], errors="coerce").astype(float)
            # a report has few distinct dates: convert each once (a per-row map costs ~0.3 s per 100,000 rows)
            codes, dates = pd.factorize(df["as_of"].astype(object), use_na_sentinel=True)
            days = np.array([d.date() if isinstance(d, dt.datetime) else d for d in dates] + [None], dtype=object)
            df["as_of"] = pd.Series(days[codes], index=df.index, dtype=object)
        if "year" in df.columns:
            df["year"] = pd.to_numeric(df["year"]).astype("int64")
        return df

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
                 ("evaluations", self.do_evaluations), ("findings", self.do_findings),
                 ("indicators", self.do_indicators), ("satisfaction", self.do_satisfaction),
                 ("inquiries", self.do_inquiries)]
        for i, (kind, fn) in enumerate(steps):
            df = frames[kind]
            if df is not None and len(df):
                self.progress(0.5 + 0.5 * i / len(steps), f"写入{schema.TABLES[kind].label}")
                fn(df)
        write_department_wide(self)  # 部门整体 forms: their own tables (data_loaders.department_form)

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
                    new[col] = as_object(new[col]).where(new[col].notna(), value)
            new["created_batch_id"] = self.batch_id
            new["batch_id"] = self.batch_id
            for col, value in (extra_insert or {}).items():
                new[col] = value
            write_cols = [c for c in dict.fromkeys(cols + list((defaults or {}).keys()) + list((extra_insert or {}).keys()))
                          if c in new.columns] + ["created_batch_id", "batch_id"]
            if returning:  # departments, units, projects: ids are needed to link the rows that follow
                ids = w.insert_with_ids(self.conn, table, new, write_cols)
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
                value = as_object(incoming).where(pd.Series(present), as_object(stored))
                final[col] = value
                changed |= ~same_values(value, stored, col in numeric)
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

    def _conflicts(self, df, key_cols, value_cols, key_label_field, what) -> pd.DataFrame:
        """Report rows repeating an earlier row's key with other values (naming the later row); drop exact repeats."""
        numeric = {c for c in value_cols if df[c].dtype.kind in "fi"}
        conflicts, drop = v.duplicate_conflicts(df, key_cols, value_cols, numeric)
        for later, earlier, col, x, y in conflicts:
            t = df.at[later, "_t"]
            shown = _SHOWN_AS.get(col, col)
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
        df = self.prepare_project_rows(df)  # each row has a code or a name: the reader refused the others
        pid = self.link_projects(df)
        df = df.loc[pid.fillna(0) >= 0]
        pid = pid.loc[df.index]
        df["_key"] = self.project_keys(df, pid)
        value_cols = ["_dept_id", "_unit_id", "_code", "project_name", "category", "fund_source", "initial_budget",
                      "adjusted_budget", "has_target", "target_grade", "ex_ante_result", "is_key", "peer_group"]
        df = self._conflicts(df, ["_key"], value_cols, "project_code", "项目")
        pid = pid.loc[df.index]
        attrs = {c: df[c] for c in ("category", "fund_source", "initial_budget", "adjusted_budget", "has_target",
                                    "target_grade", "ex_ante_result", "is_key", "peer_group")}
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

    def do_monitoring(self, df: pd.DataFrame) -> None:
        df = self.prepare_project_rows(df)  # each row has a code or a name: the reader refused the others
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
        self.problems.extend(v.stored_budget_warnings(df, budget, self.label))
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
        # the flag is derived data, not a change undo must log. Projects this import created have no stored
        # records: their flags are set on insert (latest_flags); the rest are recomputed in the database
        fresh = df["project_id"].isin(self.created_project_ids).to_numpy()
        if fresh.any():
            flags = np.full(len(df), None, dtype=object)
            flags[fresh] = w.latest_flags(df["project_id"].to_numpy()[fresh], df["as_of"].to_numpy()[fresh])
            inc["is_latest"] = flags
        self.upsert("monitoring", inc, ["project_id", "as_of"] + value_cols, existing, defaults={"is_latest": False})
        w.refresh_latest(self.conn, pd.unique(df.loc[~fresh, "project_id"]).tolist())
        # 报送轮次 (issue 26): each year and 截止日期 reported opens its monitoring round, once
        # distinct pairs first: a Timestamp per row costs ~0.4 s per 100,000 rows
        pairs = df[["year", "as_of"]].drop_duplicates()
        for year, as_of in sorted({(int(y), pd.Timestamp(a).date()) for y, a in zip(pairs["year"], pairs["as_of"])}):
            w.ensure_round(self.conn, w.ROUND_MONITORING, year, as_of, self.user)

    def do_evaluations(self, df: pd.DataFrame) -> None:
        df = self.resolve_orgs(df)
        df["object_type"] = df["object_type"].where(df["object_type"].notna(), "项目支出")
        df["_code"] = self.project_codes(df)
        df["_name"] = None
        is_proj = ~df["object_type"].isin(NON_PROJECT_OBJECTS)
        neither = is_proj & df["_code"].isna() & df["project_name"].isna()
        self.error_rows(df, neither, "project_name", "项目支出评价缺少项目编码和项目名称：至少填写其一")
        df = df.loc[~neither]
        is_proj = ~df["object_type"].isin(NON_PROJECT_OBJECTS)
        # grade follows the score where only the score is given (the reader refuses disagreeing pairs)
        need = df["grade"].isna() & df["score"].notna()
        df.loc[need, "grade"] = df.loc[need, "score"].map(lambda score: grade_for_score(score, self.rules))
        proj = df.loc[is_proj]
        other = df.loc[~is_proj].copy()
        parts = []
        if len(proj):
            # a form's 年初/全年预算数 go to the projects it creates; for a known project a difference is warned
            known = set(self.projects["id"].tolist())
            stated = {c: pd.to_numeric(proj[c], errors="coerce") for c in ("initial_budget", "adjusted_budget")
                      if c in proj.columns and proj[c].notna().any()}
            proj, pid = self.link_or_create(proj, stated)
            if stated:
                P = self.need_project_columns("initial_budget", "adjusted_budget").set_index("id")
                self.problems.extend(v.stated_budget_warnings(proj, pid, known, P))
            proj = proj.assign(project_id=pid.astype(object).to_numpy())
            names = self.need_project_columns("name", "department_id").set_index("id")["name"]
            proj["object_name"] = as_object(proj["project_name"]).where(
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
            other["object_name"] = as_object(other["project_name"]).where(other["project_name"].notna(), fallback)
            other["project_id"] = None
            other["object_key"] = [m.evaluation_object_key(None, int(d), n)
                                   for d, n in zip(other["_dept_id"], other["object_name"])]
            parts.append(other)
        if not parts:
            return
        df = pd.concat(parts).sort_index()
        value_cols = ["object_name", "project_id", "_dept_id", "_unit_id", "fund_amount", "executed", "score", "grade",
                      "evaluator",
                      "deputies_participated", "main_problems", "result_application", "next_year_budget_change",
                      "result_class", "policy_since"]
        df = self._conflicts(df, ["year", "kind", "object_type", "object_key"], value_cols, "project_name", "评价记录")
        et = T["evaluations"]
        existing = w.read_frame(self.conn, select(et).where(et.c.year.in_(self.years)))
        key = ["year", "kind", "object_type", "object_key"]
        inc = _incoming(df, existing, key, value_cols)
        if "_p_grade" in inc.columns:
            inc["_p_grade"] |= df["_p_score"].to_numpy(dtype=bool)
        cols = key + [_STORED_AS.get(c, c) for c in value_cols]
        self.upsert("evaluations", inc, cols, existing)
        # 报送轮次 (issue 26): a year's 单位自评 opens its self-evaluation round, once
        for year in sorted({int(y) for y in df.loc[df["kind"] == EVALUATION_KINDS[0], "year"]}):
            w.ensure_round(self.conn, w.ROUND_SELF_EVALUATION, year, None, self.user)

    def do_findings(self, df: pd.DataFrame) -> None:
        df = self.resolve_orgs(df)
        df["_code"] = self.project_codes(df)
        df["_name"] = None
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
                      "status", "completed_on", "measures", "amount", "problem_category", "verified_on", "verified_by",
                      "verification_method", "exclusion", "exclusion_reason"]
        df = self._conflicts(df, ["year", "finding_key"], value_cols, "description", "问题")
        ft = T["findings"]
        existing = w.read_frame(self.conn, select(ft).where(ft.c.year.in_(self.years)))
        key = ["year", "finding_key"]
        self._finding_warnings(df)
        inc = _incoming(df, existing, key, value_cols)
        cols = key + [_STORED_AS.get(c, c) for c in value_cols]
        # the original deadline (docs/rules.md 整改 R-Z1): on insert 原定整改时限, else 整改时限; a stored one is
        # replaced only by a row that states 原定整改时限 (a stored finding without one keeps its deadline before)
        stated = df["original_deadline"].where(df["original_deadline"].notna(), None).astype(object).to_numpy()
        deadline = df["deadline"].where(df["deadline"].notna(), None).astype(object).to_numpy()
        stored = existing.set_index("id") if len(existing) else None
        old_deadline, original = [], []
        for i, (row_id, given, due) in enumerate(zip(inc["id"], stated, deadline)):
            if pd.isna(row_id):
                old_deadline.append(None)
                original.append(given if given is not None else due)
                continue
            rec = stored.loc[int(row_id)]
            old_deadline.append(rec["deadline"])
            kept = rec["original_deadline"] if rec["original_deadline"] is not None else rec["deadline"]
            original.append(given if given is not None else kept)
        inc["original_deadline"] = pd.Series(original, index=inc.index, dtype=object)
        inc["_p_original_deadline"] = True
        new_ids = iter(self.upsert("findings", inc, cols + ["original_deadline"], existing, returning=True))
        ids = [next(new_ids) if pd.isna(r) else int(r) for r in inc["id"]]
        self._extensions(df, ids, old_deadline, stated, deadline)

    def _finding_warnings(self, df: pd.DataFrame) -> None:
        """特殊情形 without a 特殊情形说明 is not excluded from 综合整改率; a 核验日期 of a finding not 已整改 is no 已核验."""
        blank = df["exclusion_reason"].map(lambda x: x is None or (isinstance(x, float) and np.isnan(x))
                                           or not str(x).strip())
        self.error_rows(df, df["exclusion"].notna() & blank, "exclusion_reason",
                        "标了特殊情形（历史遗留/客观原因）却没有写特殊情形说明：该问题不从综合整改率中扣除，请补写说明",
                        level=WARNING)
        self.error_rows(df, df["verified_on"].notna() & (df["status"] != RECTIFIED), "verified_on",
                        "填了核验日期，但整改状态不是“已整改”：不算已核验", level=WARNING)

    def _extensions(self, df: pd.DataFrame, ids: list[int], old_deadline: list, stated, deadline) -> None:
        """finding_extensions rows (docs/rules.md 整改 R-Z1): a stored finding whose 整改时限 the row changes (old →
        new), or a row whose 原定整改时限 differs from its 整改时限 when the finding has no change to that date yet."""
        xt = T["finding_extensions"]
        known = set()
        if ids:
            for fid, new in self.conn.execute(select(xt.c.finding_id, xt.c.new_deadline)
                                              .where(xt.c.finding_id.in_(sorted(set(ids))))):
                known.add((int(fid), new if isinstance(new, dt.date) else dt.date.fromisoformat(str(new))))
        out = []
        reasons = df["extension_reason"].astype(object).to_numpy()
        approvers = df["extension_approver"].astype(object).to_numpy()
        for fid, before, given, due, why, who in zip(ids, old_deadline, stated, deadline, reasons, approvers):
            if due is None:
                continue
            if before is not None and before != due:
                start = before
            elif given is not None and given != due and (fid, due) not in known:
                start = given
            else:
                continue
            known.add((fid, due))
            out.append({"finding_id": fid, "old_deadline": start, "new_deadline": due,
                        "reason": None if pd.isna(why) else why, "approved_by": None if pd.isna(who) else who})
        if not out:
            return
        rows_ = pd.DataFrame(out)
        now = dt.datetime.now().replace(microsecond=0)
        rows_["recorded_at"] = pd.Series([now] * len(rows_), index=rows_.index, dtype=object)
        rows_["recorded_by"] = self.user
        rows_["created_batch_id"] = self.batch_id
        rows_["batch_id"] = self.batch_id
        w.bulk_insert(self.conn, xt, rows_)
        self.counts["finding_extensions"]["inserted"] += len(rows_)

    def do_satisfaction(self, df: pd.DataFrame) -> None:
        """整改满意度测评: one row per year and unit (or department without a unit), keyed "u:<unit>" / "d:<dept>"."""
        df = self.resolve_orgs(df)
        df["subject_key"] = [f"u:{int(u)}" if u is not None and not pd.isna(u) else f"d:{int(d)}"
                             for u, d in zip(df["_unit_id"], df["_dept_id"])]
        for c in ("satisfied", "basically", "unsatisfied"):
            df[c] = df[c].fillna(0.0)
            self.error_rows(df, (df[c] < 0) | (df[c] != np.floor(df[c])), c, "票数应为不小于 0 的整数")
            df[c] = df[c].clip(lower=0).round().astype("int64")
        value_cols = ["_dept_id", "_unit_id", "subject", "satisfied", "basically", "unsatisfied"]
        df = self._conflicts(df, ["year", "subject_key"], value_cols, "unit", "测评对象")
        st = T["satisfaction_votes"]
        existing = w.read_frame(self.conn, select(st).where(st.c.year.in_(self.years)))
        key = ["year", "subject_key"]
        inc = _incoming(df, existing, key, value_cols)
        self.upsert("satisfaction_votes", inc, key + [_STORED_AS.get(c, c) for c in value_cols], existing)

    def do_indicators(self, df: pd.DataFrame) -> None:
        write_indicators(self, df)

    def do_inquiries(self, df: pd.DataFrame) -> None:
        """询问台账: one row per question, keyed (year, inquiry_key) — models.inquiry_key of 询问人, 询问日期 and the
        question — so re-importing the ledger with answers filled in updates the questions. A row naming a project
        is linked to it when the year's projects have it; an unknown project is not created (a warning says so)."""
        df = self.resolve_orgs(df)
        if not len(df):
            return
        df["_code"] = self.project_codes(df)
        df["_name"] = None
        pid = pd.Series(pd.NA, index=df.index, dtype="Int64")
        named = (df["_code"].notna() | df["project_name"].notna()).to_numpy()
        if named.any():
            pid.loc[named] = self.link_projects(df.loc[named])
        self.error_rows(df, named & pid.isna().to_numpy(), "project_name",
                        "本年度的项目中没有这个项目：询问按部门（单位）记录，不关联项目", level=WARNING)
        df["project_id"] = pd.Series([int(x) if not pd.isna(x) and int(x) > 0 else None for x in pid], index=df.index,
                                     dtype=object)
        df["inquiry_key"] = [m.inquiry_key(a, d, q) for a, d, q in zip(df["asker"], df["asked_on"], df["question"])]
        self._inquiry_warnings(df)
        value_cols = ["_dept_id", "_unit_id", "project_id", "asker", "question", "asked_on", "due_on", "answer",
                      "answered_on", "rating"]
        df = self._conflicts(df, ["year", "inquiry_key"], value_cols, "question", "询问")
        it = T["inquiries"]
        existing = w.read_frame(self.conn, select(it).where(it.c.year.in_(self.years)))
        key = ["year", "inquiry_key"]
        inc = _incoming(df, existing, key, value_cols)
        # a file without a project column keeps the stored link
        inc["_p_project_id"] = (df["_p_project_code"].to_numpy(dtype=bool) | df["_p_project_name"].to_numpy(dtype=bool))
        self.upsert("inquiries", inc, key + [_STORED_AS.get(c, c) for c in value_cols], existing)

    def _inquiry_warnings(self, df: pd.DataFrame) -> None:
        """Dates out of order: 答复日期 or 答复期限 before 询问日期; a 答复日期 or 满意度 without 答复内容."""
        asked = df["asked_on"]
        for col, what in (("answered_on", "答复日期"), ("due_on", "答复期限")):
            later = df[col]
            both = asked.notna() & later.notna()
            early = both.copy()
            early[both] = [b < a for a, b in zip(asked[both], later[both])]
            self.error_rows(df, early.to_numpy(dtype=bool), col, f"{what}早于询问日期，请核对", level=WARNING)
        no_answer = df["answer"].isna()
        self.error_rows(df, (no_answer & df["answered_on"].notna()).to_numpy(dtype=bool), "answer",
                        "填了答复日期却没有答复内容：按已答复计", level=WARNING)
        self.error_rows(df, (no_answer & df["answered_on"].isna() & df["rating"].notna()).to_numpy(dtype=bool),
                        "rating", "还没有答复（无答复内容和答复日期），却填了满意度，请核对", level=WARNING)


_STORED_AS = {"_dept_id": "department_id", "_unit_id": "unit_id", "problem_category": "category"}


def _incoming(df: pd.DataFrame, existing: pd.DataFrame, key: list[str], value_cols: list[str]) -> pd.DataFrame:
    """The rows to upsert: the stored id matched on `key` (NA for new rows), the key and value columns under
    their table names, and the presence flags (`_p_…`) that say which cells the file filled."""
    stored = existing[key + ["id"]] if len(existing) else pd.DataFrame(columns=key + ["id"])
    got = df[key].reset_index().merge(stored, how="left", on=key).set_index("index")["id"]
    inc = pd.DataFrame({"id": got.astype("Int64").to_numpy()}, index=df.index)
    for c in key:
        inc[c] = df[c].to_numpy()
    for c in value_cols:
        inc[_STORED_AS.get(c, c)] = df[c].astype(object).to_numpy()
        if "_p_" + c in df.columns:
            inc["_p_" + _STORED_AS.get(c, c)] = df["_p_" + c].to_numpy(dtype=bool)
    inc["_p_unit_id"] = df["_p_unit"].to_numpy(dtype=bool)
    return inc
