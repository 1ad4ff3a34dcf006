"""The 部门整体 (department-wide) performance form: 《部门整体（支出/预算）绩效目标表》 and 《部门整体支出绩效自评表》,
one department per sheet → one department_wide row, its 年度重点工作任务 (department_tasks) and its indicators
(department_indicators), and the writing of them through the import writer.

The form is read by its labels, not by positions, with data_loaders.keyvalue's one label table (`LABELS`) and
its one reader (`value_near`): a value stands right of its label (the next cell that is not the label again,
merged or not) or, where nothing stands there, below it. What is read: 部门名称 (or 主管部门),
财政供养人员数, 下属二级单位数, the budget block (基本支出, 项目支出, 合计; 收入来源 财政拨款 / 其他资金; at 自评 the
全年预算数 and 全年执行数 columns when the block has them), 总体绩效目标, the 年度重点工作任务 table (名称, 内容,
资金, 目标, at 自评 完成情况) and the indicator block (一级 | 二级 | 三级 | 指标值, at 自评 实际完成值, 分值, 得分; read by
data_loaders.indicators). ≧ / ≦ are read as ≥ / ≤; a rate written as the number 1 formatted as a percentage
(calamine gives the number, not the format) is read as 100% when the indicator's name says it is a rate (率, %,
比例, 覆盖面).

forms.py registers this reader (`title`, `reader`) in its form registry ahead of the project self-evaluation
form: a 部门整体 自评表 still yields its evaluation row (the registry's self-evaluation reader, passed in as
`fallback`), with the department-wide tables as companions. This module does not import forms.py.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from dashboard.core import models as m
from dashboard.core import rules as R
from dashboard.core import writes as w
from data_loaders import cells as C
from data_loaders import indicators as I
from data_loaders import keyvalue as KV
from data_loaders.layout import cell_text, pick_title, year_from_filename, year_from_notes
from data_loaders.link import T, as_object
from data_loaders.problems import ERROR, WARNING, Problem
from data_loaders.tables import ParsedTable, objects

TITLE = re.compile(r"部门整体[^表]{0,12}?(?:绩效目标|自评)[^表]{0,6}表")
KIND, TASKS, INDICATORS = "department_wide", "department_tasks", "department_indicators"
KINDS = (KIND, TASKS, INDICATORS)
STAGE_TARGET, STAGE_SELF = m.DEPARTMENT_WIDE_STAGES

# the form's labels are data_loaders.keyvalue.LABELS' (one table); these are the fields looked up there
_NAME_FIELDS = ("department", "organisation")
_MONEY_FIELDS = {"basic_budget": ("basic_budget",), "project_budget": ("project_budget",),
                 "total_budget": ("total_budget", "budget"), "fiscal_funds": ("fiscal_funds",),
                 "other_funds": ("other_funds",)}
_RATE_NAME = re.compile(r"率|%|％|比例|覆盖面")
_HEAD = 8
_key = KV.label_key


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or cell_text(value) == ""


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return not (isinstance(value, float) and np.isnan(value))
    if isinstance(value, str):
        return bool(re.fullmatch(r"\s*[-+]?[\d,，]*\.?\d+\s*(?:万元|元)?\s*", C.nfkc(value)))
    return False


def _value(grid, r: int, c: int, want_number: bool = False) -> tuple[Any, int, int] | None:
    """The label's value (data_loaders.keyvalue.value_near): right of it, else within two rows below."""
    return KV.value_near(grid, r, c, accept=_is_number if want_number else None, below=2)


def _label(field: str) -> str:
    return KV.LABELS[field][0]


# --- reading one sheet ---------------------------------------------------------------------------------------

def reader(fallback=None):
    """The registry's reader for this form: (grid, file, sheet, year, rules) → (table, problems) or None.
    `fallback` is the reader whose table a 自评 form also yields (the self-evaluation row); the department-wide
    tables go with it as companions."""

    def read(grid, file, sheet, year, rules):
        got = read_department_form(grid, file, sheet, year)
        if got is None:
            return fallback(grid, file, sheet, year, rules) if fallback is not None else None
        tables, problems = got
        if tables[0].meta.get("stage") == STAGE_SELF and fallback is not None:
            base = fallback(grid, file, sheet, year, rules)
            if base is not None:
                table, more = base
                table.meta["companions"] = [*table.meta.get("companions", []), *tables]
                return table, [*more, *problems]
        head, *rest = tables
        head.meta["companions"] = rest
        return head, problems

    return read


def read_department_form(grid: list[list[Any]], file: str, sheet: str | None,
                         year: int | None) -> tuple[list[ParsedTable], list[Problem]] | None:
    """A 部门整体 form → [department_wide table, tasks table, indicators table (when any)] and problems, or None when
    the sheet has no department name or neither a budget block nor indicators."""
    lines = [" ".join(dict.fromkeys(cell_text(v) for v in row if isinstance(v, str) and cell_text(v)))
             for row in grid[:_HEAD]]
    lines = [x for x in lines if x]
    title = next((x for x in lines if TITLE.search(x)), pick_title(lines))
    stage = STAGE_SELF if title and "自评" in title else STAGE_TARGET
    year = year_from_notes([title] if title else []) or year_from_notes(lines) or year or year_from_filename(file)
    problems: list[Problem] = []
    names = KV.find_labels(grid, _NAME_FIELDS, 0, 15)
    hit = next((h for h in (_value(grid, r, c) for r, c in names) if h is not None), None)
    if hit is None:
        return None
    code, name = C.split_code_name(C.clean_text(hit[0]))
    rec: dict[str, Any] = {"year": year, "stage": stage, "department": name, "department_code": code, "unit": None,
                           "unit_code": None, "title": (title or "")[:200] or None, "_row": hit[1] + 1}
    if year is None:
        problems.append(Problem(file, sheet, hit[1] + 1, None, "部门整体绩效表的标题里没有年度（如“2024年”）。"
                                "请在上传页填写年度（命令行用 --year）"))
    ind_row = next((r for r, row in enumerate(grid) if I.indicator_header(row) is not None), None)
    task_row = _task_header(grid)
    money_end = min(x for x in (ind_row, task_row, len(grid)) if x is not None)
    for field in ("staff_count", "sub_unit_count"):
        for r, c in KV.find_labels(grid, (field,), 0, money_end):
            got = _value(grid, r, c, want_number=True)
            if got is not None:
                value, _ = C.parse_number(got[0])
                rec[field] = round(value) if value is not None else None
                break
    _read_money(grid, money_end, rec, file, sheet, problems)
    for r, c in KV.find_labels(grid, ("overall_target",)):
        got = _value(grid, r, c)
        if got is not None:
            rec["overall_target"] = C.clean_long_text(got[0])
            break
    tasks = _read_tasks(grid, task_row, ind_row, rec, file, sheet, problems) if task_row is not None else []
    indicators = _read_indicators(grid, ind_row, rec) if ind_row is not None else []
    if not any(rec.get(k) is not None for k in _MONEY_FIELDS) and not indicators and not tasks:
        return None
    meta = {"year": year, "as_of": None, "unit": "万元", "title": title, "header_rows": [], "layout": "form",
            "forms": 1, "stage": stage}
    keys = {k: rec.get(k) for k in ("year", "stage", "department", "department_code", "unit", "unit_code")}
    tables = [_table(file, sheet, KIND, [rec], meta)]
    if tasks:
        tables.append(_table(file, sheet, TASKS, [{**keys, **t} for t in tasks], meta))
    if indicators:
        tables.append(_table(file, sheet, INDICATORS, [{**keys, **i} for i in indicators], meta))
    return tables, problems


_NUMERIC = {"staff_count", "sub_unit_count", "basic_budget", "project_budget", "total_budget", "fiscal_funds",
            "other_funds", "executed", "amount", "weight", "score"}


def _table(file, sheet, kind, records: list[dict], meta: dict) -> ParsedTable:
    names = list(dict.fromkeys(k for rec in records for k in rec))
    data = {}
    for k in names:
        items = [rec.get(k) for rec in records]
        if k in _NUMERIC:
            data[k] = pd.Series([np.nan if v is None else v for v in items], dtype=float)
        elif k in ("_row", "year"):
            data[k] = pd.Series([v for v in items], dtype=object if any(v is None for v in items) else np.int64)
        else:
            data[k] = pd.Series(objects(items), dtype=object)
    return ParsedTable(file, sheet, kind, pd.DataFrame(data), {}, {}, dict(meta))


def _read_money(grid, end: int, rec: dict, file, sheet, problems) -> None:
    """The budget block: each money label's number (right of it, else below); at 自评 the 全年预算数 column and the
    全年执行数 column of a block headed by them."""
    budget_col = executed_col = None
    ranked: list[tuple[int, int]] = []  # (preference, column) of the budget columns a 自评 block heads
    for r in range(min(end, len(grid))):
        for c, v in enumerate(grid[r]):
            k = _key(v)
            if not k or len(k) > 12 or "执行" in k and "执行数" not in k:
                continue
            if re.fullmatch(r"全年预算数?|调整后预算数?|预算调整数", k):
                ranked.append((0, c))
            elif re.fullmatch(r"年初预算数?|预算数", k):
                ranked.append((1, c))
            elif executed_col is None and re.search(r"执行数", k):
                executed_col = c
    if ranked:
        budget_col = min(ranked)[1]
    for field, fields in _MONEY_FIELDS.items():
        for r, c in KV.find_labels(grid, fields, 0, end):
            if field == "total_budget" and not (budget_col is not None or _near_money_label(grid, r, c)):
                continue
            got = None
            if budget_col is not None and budget_col > c and _is_number(grid[r][budget_col]):
                got = grid[r][budget_col], r, budget_col
            got = got or _value(grid, r, c, want_number=True)
            if got is None:
                continue
            amount, error = C.parse_money(got[0])
            if error:
                problems.append(Problem(file, sheet, got[1] + 1, _label(field), f"{_label(field)}：{error}", WARNING))
                continue
            rec[field] = amount
            if field == "total_budget" and executed_col is not None and executed_col > c:
                executed, _ = C.parse_money(grid[r][executed_col]) if _is_number(grid[r][executed_col]) else (None, None)
                rec["executed"] = executed
            break
    if rec.get("total_budget") is None and (rec.get("basic_budget") is not None or rec.get("project_budget") is not None):
        rec["total_budget"] = (rec.get("basic_budget") or 0.0) + (rec.get("project_budget") or 0.0)


def _near_money_label(grid, r: int, c: int) -> bool:
    """A 合计 / 总计 belongs to the budget block when 基本支出 or 项目支出 stands in its column within 4 rows."""
    for rr in range(max(0, r - 4), min(len(grid), r + 5)):
        if c < len(grid[rr]) and KV.label_field(grid[rr][c], ("basic_budget", "project_budget")):
            return True
    return False


def _task_columns(row: list) -> dict[str, int] | None:
    cols: dict[str, int] = {}
    for c, v in enumerate(row):
        k = _key(v)
        if not k:
            continue
        if "name" not in cols and k in ("名称", "任务名称", "工作任务名称", "重点工作任务名称", "任务", "项目名称"):
            cols["name"] = c
        elif "content" not in cols and "内容" in k:
            cols["content"] = c
        elif "executed" not in cols and "执行" in k:
            cols["executed"] = c
        elif "amount" not in cols and re.search(r"资金|金额|预算", k):
            cols["amount"] = c
        elif "actual" not in cols and "完成情况" in k:
            cols["actual"] = c
        elif "target" not in cols and "目标" in k:
            cols["target"] = c
    return cols if "name" in cols and len(cols) >= 2 and cols.keys() & {"amount", "content", "target"} else None


def _task_header(grid) -> int | None:
    for r, row in enumerate(grid):
        if _task_columns(row) is not None and I.indicator_header(row) is None:
            return r
    return None


def _read_tasks(grid, header: int, ind_row: int | None, rec: dict, file, sheet, problems) -> list[dict]:
    cols = _task_columns(grid[header])
    end = ind_row if ind_row is not None and ind_row > header else len(grid)
    section = _key(grid[header][0]) if grid[header] else ""
    out = []
    for r in range(header + 1, end):
        row = grid[r]
        first = _key(row[0]) if row else ""
        if first and first != section and cols["name"] > 0:
            break  # the next section's label (其他需完成的任务, 绩效指标, …)
        name = C.clean_text(row[cols["name"]] if cols["name"] < len(row) else None)
        if not name or KV.label_field(name, ("task_section",)) or _key(name) == section:
            continue
        task = {"name": name[:200], "_row": r + 1}
        for f in ("content", "target", "actual"):
            if f in cols and cols[f] < len(row):
                task[f] = C.clean_long_text(row[cols[f]])
        for f in ("amount", "executed"):
            if f in cols and cols[f] < len(row):
                amount, error = C.parse_money(row[cols[f]]) if not _blank(row[cols[f]]) else (None, None)
                if error:
                    problems.append(Problem(file, sheet, r + 1, None, f"重点工作任务“{name}”的金额：{error}，未导入", WARNING))
                task[f] = amount
        out.append(task)
    return out


def _percent_cell(value: Any, name: str | None) -> Any:
    """A rate typed as a number formatted as a percentage (1 → 100%) back to its text; ≧/≦ as ≥/≤."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name and _RATE_NAME.search(name) \
            and 0 < float(value) <= 1:
        return f"{float(value) * 100:g}%"
    if isinstance(value, str):
        return value.replace("≧", "≥").replace("≦", "≤")
    return value


def _read_indicators(grid, header: int, rec: dict) -> list[dict]:
    cols = I.indicator_header(grid[header])
    out = []
    for r, cell in I.indicator_rows(grid, header, len(grid), cols):
        name = I.clean_name(cell.get("name"))
        ind = {"level1": I.clean_level(cell.get("level1")), "level2": I.clean_level(cell.get("level2")),
               "name": name[:200], "_row": r + 1}
        for f in ("target", "actual", "comparator", "measure_unit"):
            if f in cell:
                ind[f] = C.clean_text(_percent_cell(cell[f], name))
        for f, parse in (("weight", C.parse_number), ("score", C.parse_score)):
            if f in cell:
                ind[f] = parse(cell[f])[0] if not _blank(cell[f]) else None
        out.append(ind)
    return out


# --- writing (called by the import writer, data_loaders.write) -------------------------------------------------

def task_key(name: str) -> str:
    return hashlib.sha1(" ".join(name.split()).encode("utf-8")).hexdigest()


def _frames(writer, kind: str) -> pd.DataFrame | None:
    frames = []
    for t_idx, t in enumerate(writer.tables):
        if t.kind != kind or t.file in writer.bad_files or (t.file, t.sheet) in writer.bad_tables:
            continue
        f = t.frame.copy()
        f["_t"], f["_file"], f["_sheet"] = t_idx, t.file, t.sheet
        frames.append(f)
    if not frames:
        return None
    df = pd.concat(frames, ignore_index=True)
    return df.loc[df["year"].notna()].reset_index(drop=True)


def _upsert(writer, tname: str, df: pd.DataFrame, key: list[str], cols: list[str]) -> None:
    t = T[tname]
    years = sorted({int(y) for y in df["year"]})
    existing = w.read_frame(writer.conn, select(t).where(t.c.year.in_(years)))
    stored = existing[key + ["id"]] if len(existing) else pd.DataFrame(columns=key + ["id"])
    left = df[key].reset_index()
    for c in key:
        left[c] = left[c].astype(object)
        stored[c] = stored[c].astype(object)
    got = left.merge(stored, how="left", on=key).set_index("index")["id"]
    inc = pd.DataFrame({"id": got.astype("Int64").to_numpy()}, index=df.index)
    for c in key + cols:
        inc[c] = df[c].to_numpy() if df[c].dtype.kind in "fi" else as_object(df[c]).to_numpy()
    writer.upsert(tname, inc, key + cols, existing)


def _dedupe(writer, df: pd.DataFrame, key: list[str], what: str) -> pd.DataFrame:
    """Rows repeating an earlier row's key: exact repeats dropped, others refused (naming both rows)."""
    dup = df.duplicated(key, keep="first")
    for idx in df.index[dup]:
        first = df.loc[(df[key] == df.loc[idx, key]).all(axis=1)].index[0]
        writer.problems.append(Problem(df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]), None,
                                       f"与 {df.at[first, '_file']} / {df.at[first, '_sheet'] or '-'} / 第{int(df.at[first, '_row'])}行"
                                       f"是同一{what}（同一部门、年度和阶段），只能导入一次", ERROR))
    return df.loc[~dup]


def write_department_wide(writer) -> None:
    """The department-wide tables of an import set → department_wide, department_tasks, department_indicators
    (departments created when unknown, like every other row), upserted by department, year and stage."""
    forms = _frames(writer, KIND)
    if forms is None or not len(forms):
        return
    forms = writer.resolve_orgs(forms)
    forms = forms.loc[forms["_dept_id"].notna()]
    forms["department_id"] = forms["_dept_id"].astype("int64")
    forms["year"] = forms["year"].astype("int64")
    forms = _dedupe(writer, forms, ["department_id", "year", "stage"], "部门整体绩效表")
    for c in ("title", "overall_target", *sorted(_NUMERIC & set(m.DepartmentWide.__table__.columns.keys()))):
        if c not in forms.columns:
            forms[c] = None
    for c in ("staff_count", "sub_unit_count"):
        forms[c] = [None if pd.isna(v) else int(v) for v in forms[c]]
    cols = ["title", "staff_count", "sub_unit_count", "basic_budget", "project_budget", "total_budget", "fiscal_funds",
            "other_funds", "executed", "overall_target"]
    _upsert(writer, KIND, forms, ["department_id", "year", "stage"], cols)
    dept_of = {(f, s): d for f, s, d in zip(forms["_file"], forms["_sheet"], forms["department_id"])}
    for kind, key_col, make_key, cols in (
        (TASKS, "task_key", lambda r: task_key(r["name"]), ["name", "content", "amount", "executed", "target", "actual"]),
        (INDICATORS, "indicator_key", lambda r: m.indicator_key(r["level1"], r["level2"], r["name"]),
         ["level1", "level2", "name", "comparator", "target_text", "target_value", "target_unit", "actual_text",
          "actual_value", "actual_unit", "weight", "score"]),
    ):
        df = _frames(writer, kind)
        if df is None or not len(df):
            continue
        df["department_id"] = [dept_of.get((f, s)) for f, s in zip(df["_file"], df["_sheet"])]
        df = df.loc[df["department_id"].notna()].copy()
        if not len(df):
            continue
        df["department_id"] = df["department_id"].astype("int64")
        df["year"] = df["year"].astype("int64")
        if kind == INDICATORS:
            for c in ("level1", "level2", "target", "actual", "comparator", "measure_unit", "weight", "score"):
                if c not in df.columns:
                    df[c] = None
            parsed = pd.DataFrame([R.indicator_columns(target=_none(t), actual=_none(a), comparator=_none(k),
                                                       unit=_none(u))
                                   for t, a, k, u in zip(df["target"], df["actual"], df["comparator"],
                                                         df["measure_unit"])], index=df.index)
            for c in ("comparator", "target_text", "target_value", "target_unit", "actual_text", "actual_value",
                      "actual_unit"):
                df[c] = parsed[c]
            for c in ("weight", "score", "target_value", "actual_value"):
                df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        for c in cols:
            if c not in df.columns:
                df[c] = None
        df[key_col] = [make_key(r) for r in df.to_dict("records")]
        df = df.drop_duplicates(["department_id", "year", "stage", key_col], keep="first")
        _upsert(writer, kind, df, ["department_id", "year", "stage", key_col], cols)


def _none(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value
