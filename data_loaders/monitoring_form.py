"""The monitoring form reader: 《项目支出绩效目标执行监控表》 (and 绩效运行监控表 / 绩效监控情况表) sheets, one project
per form (several may be stacked) → a monitoring row and the form's indicators (stage 监控) as a companion table.

Read, by label (data_loaders.keyvalue): 项目名称, 项目编码, 主管部门 (or 主管部门及代码), 实施单位. The money block: a
header row naming two or more of 年初预算数 | 全年预算数 (调整后预算数) | 1-7月执行数 | 1-7月执行率 (and 偏差原因分析,
完成目标可能性), its 年度资金总额 row (or the row right under it) giving the amounts; the months of the 执行数 header
give the monitoring date (1-7月 → 7月31日; the title's 截至X月 too). The indicator block: 一级 | 二级 | 三级指标 |
年度指标值 | 1-7月执行情况 | 全年预计完成情况 | 偏差原因分析 | 完成目标可能性, where 偏差原因分析 and 完成目标可能性 may
each be a merged head over option columns (经费保障 | 制度保障 | 人员保障 | 硬件条件保障 | 其他; 确定能 | 有可能 |
完全不可能) filled with tick marks or text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.vocab import LIKELIHOODS, STAGE_MONITORING
from data_loaders import cells as C
from data_loaders import headers as H
from data_loaders import indicators as I
from data_loaders import keyvalue as KV
from data_loaders.layout import as_of_from_notes, cell_text, pick_title, year_from_notes
from data_loaders.problems import WARNING, Problem, column_label
from data_loaders.tables import ParsedTable, objects

TITLE = re.compile(r"绩效目标执行(?:情况)?监控表|绩效运行监控表|绩效监控情况表|项目绩效监控表")
_FIELDS = ("project_name", "project_code", "department", "department_code", "unit")
_MONEY = ("initial_budget", "adjusted_budget", "executed", "execution_rate")
_TOTAL_ROW = ("年度资金总额", "资金总额", "总额", "合计", "年度资金总额:")
_PROJECT_COLUMNS = ("year", "department", "department_code", "unit", "unit_code", "project_code", "project_name")


def is_monitoring_form(grid: list[list[Any]]) -> bool:
    titles = [cell_text(v) for r in grid[:8] for v in r if isinstance(v, str) and len(v) <= KV.TITLE_CHARS]
    return any(TITLE.search(t) for t in titles)


def find_forms(grid: list[list[Any]]) -> list[dict]:
    """The monitoring forms on a sheet ([] when it is none): for each, the labelled values {field: (value, row,
    col)}, "money" ({field: (value, row, col)} of the total row), "period" (the 执行数 header's months),
    "indicators" (rows of its block), "skipped", "start", "title", "year", "as_of"."""
    if not is_monitoring_form(grid):
        return []
    starts = []
    for r, row in enumerate(grid):
        for c, v in enumerate(row[:4]):
            # "项目名称 | 名称" on one line: a list titled 绩效运行监控表 has its 项目名称 head over a column of names
            hit = KV.value_near(grid, r, c) if KV.label_field(v) == "project_name" else None
            if hit is not None and hit[1] == r:
                starts.append(r)
                break
    forms = []
    for i, r0 in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(grid)
        lo = max(0, (starts[i - 1] + 1) if i else 0, r0 - 6)
        above = [" ".join(dict.fromkeys(cell_text(v) for v in grid[r] if cell_text(v))) for r in range(lo, r0)]
        above = [a for a in above if a]
        form: dict[str, Any] = {"start": r0, "title": pick_title(above), "year": year_from_notes(above),
                                "as_of": as_of_from_notes(above)}
        form.update(KV.read_labels(grid, r0 if i else 0, end, _FIELDS))
        _money(grid, r0, end, form)
        _indicators(grid, r0, end, form)
        forms.append(form)
    return forms


def _money(grid: list[list[Any]], r0: int, end: int, form: dict) -> None:
    for r in range(r0, end):
        row = grid[r]
        cols: dict[str, int] = {}
        for c, v in enumerate(row):
            cands = H.candidates(v) if isinstance(v, str) else []
            if cands and cands[0] in (*_MONEY, "deviation_reason", "likelihood"):
                cols.setdefault(cands[0], c)
        if len(cols.keys() & set(_MONEY)) < 2 or I.indicator_header(row) is not None:
            continue
        if "executed" in cols:
            form["period"] = H.header_period(row[cols["executed"]])
            form["executed_header"] = cell_text(row[cols["executed"]])
        for rr in range(r + 1, min(end, r + 8)):
            below = grid[rr]
            keys = [KV.label_key(v) for v in below]
            amounts = any(c < len(below) and C.parse_money(below[c])[0] is not None
                          for f, c in cols.items() if f in _MONEY)
            if any(k in _TOTAL_ROW for k in keys) or (rr == r + 1 and amounts):
                form["money"] = {f: (below[c] if c < len(below) else None, rr, c) for f, c in cols.items()}
                return
        return


def _indicators(grid: list[list[Any]], r0: int, end: int, form: dict) -> None:
    for r in range(r0, end):
        cols = _indicator_columns(grid[r])
        if cols is None:
            continue
        head = grid[r]
        sub = grid[r + 1] if r + 1 < end else []
        options = _option_columns(head, sub)
        first = r + 1 if options else r  # the option names' row is not an indicator row
        skipped: dict[str, int] = {}
        rows = I.indicator_rows(grid, first, end, cols, skipped)
        for rr, cell in rows:
            _read_options(grid[rr], options, cell)
        form["indicators"], form["skipped"] = rows, skipped
        return


def _indicator_columns(row: list[Any]) -> dict[str, int] | None:
    """The indicator block's header (data_loaders.indicators.indicator_header), a period's column (1-7月执行情况)
    read as 截至目前完成值."""
    cols: dict[str, int] = {}
    for c, v in enumerate(row):
        if not isinstance(v, str) or not v.strip():
            continue
        name = next((f for f in H.candidates(v) if f in I._BLOCK_FIELDS), None)
        if name is None and H.header_period(v) is not None and re.search(r"(?:执行|完成)情况$", cell_text(v)):
            name = "current"
        if name is not None:
            cols.setdefault(name, c)
    if "name" in cols and cols.keys() & {"target", "current", "expected"}:
        return cols
    return None


def _option_columns(head: list[Any], sub: list[Any]) -> dict[str, list[tuple[int, str]]]:
    """The option columns under a merged 偏差原因分析 / 完成目标可能性 head: {field: [(col, option name)]}."""
    out: dict[str, list[tuple[int, str]]] = {}
    for c, v in enumerate(head):
        cands = H.candidates(v) if isinstance(v, str) else []
        field = cands[0] if cands and cands[0] in ("deviation_reason", "likelihood") else None
        name = cell_text(sub[c]) if c < len(sub) else ""
        if field is None or not name or name == cell_text(v):
            continue
        if field == "likelihood":
            option = C.option_header(name, LIKELIHOODS)
            if option is None:
                continue
            name = option
        out.setdefault(field, []).append((c, name))
    return {f: cs for f, cs in out.items() if len(cs) >= 2}


def _read_options(row: list[Any], options: dict[str, list[tuple[int, str]]], cell: dict) -> None:
    reasons = []
    for c, name in options.get("deviation_reason", []):
        v = row[c] if c < len(row) else None
        mark = C.tick(v)
        if mark:
            reasons.append(name)
        elif mark is None and cell_text(v):
            reasons.append(f"{name}：{cell_text(v)}")
    if "deviation_reason" in options:
        cell["deviation_reason"] = "；".join(reasons) or None
    if "likelihood" in options:
        ticked = [name for c, name in options["likelihood"] if C.tick(row[c] if c < len(row) else None)]
        cell["likelihood"] = ticked[0] if len(ticked) == 1 else None


def read_monitoring_forms(forms: list[dict], file: str, sheet: str | None, year: int | None,
                          as_of: dt.date | None = None) -> tuple[ParsedTable, list[Problem]]:
    """Forms → a monitoring table (one row each) with the indicators table (stage 监控) as its companion."""
    problems: list[Problem] = []
    likelihood = C.enum_parser("likelihood", LIKELIHOODS)
    records, items = [], []
    for form in forms:
        row = form["start"] + 1
        rec: dict[str, Any] = {"year": form["year"] or year, "_row": row}
        if rec["year"] is None:
            problems.append(Problem(file, sheet, row, None, "监控表的标题里没有年度（如“（2024年度）”）。"
                                    "请在上传页填写年度（命令行用 --year）"))
        rec["as_of"] = _as_of(form, rec["year"]) or as_of
        if rec["year"] is not None and rec["as_of"] is None:
            problems.append(Problem(file, sheet, row, None, "监控表没有写明监控到哪个月（如“1-7月执行数”或标题里的"
                                    "“截至7月底”）。请在上传页填写监控截止日期（命令行用 --as-of）"))
        KV.project_identity(form, rec)
        if not rec.get("department") and not rec.get("unit"):
            problems.append(Problem(file, sheet, row, None, "监控表没有填写“主管部门”或“实施单位”"))
        money = form.get("money") or {}
        for f, label in (("adjusted_budget", "全年预算数"), ("initial_budget", "年初预算数"),
                         ("executed", form.get("executed_header") or "执行数")):
            if f not in money:
                continue
            value, r, c = money[f]
            amount, error = C.parse_money(value)
            if error:
                problems.append(Problem(file, sheet, r + 1, column_label(label, c), error))
            rec[f] = amount
        if rec.get("adjusted_budget") is None and rec.get("initial_budget") is not None:
            rec["adjusted_budget"] = rec["initial_budget"]  # a form with 年初预算数 only: the year's budget
        rec.pop("initial_budget", None)
        if "execution_rate" in money:
            value, r, c = money["execution_rate"]
            rate, error = C.parse_percent(value)
            if error:
                problems.append(Problem(file, sheet, r + 1, column_label("执行率", c), error, WARNING))
            else:
                rec["execution_rate"] = rate
        if "deviation_reason" in money:
            rec["deviation_reason"] = C.clean_long_text(money["deviation_reason"][0])
        if "likelihood" in money and C.clean_text(money["likelihood"][0]):
            value, r, c = money["likelihood"]
            parsed, error = likelihood(value)
            if error:
                problems.append(Problem(file, sheet, r + 1, column_label("完成目标可能性", c), error, WARNING))
            else:
                rec["likelihood"] = parsed
        records.append(rec)
        I.skipped_warning(form.get("skipped"), file, sheet, row, problems)
        if rec["year"] is not None:
            items.append(({k: rec.get(k) for k in _PROJECT_COLUMNS}, form.get("indicators") or []))
    order = ["year", "as_of", "department", "department_code", "unit", "unit_code", "project_code", "project_name",
             "adjusted_budget", "executed", "execution_rate", "deviation_reason", "likelihood", "_row"]
    present = [k for k in order if k in ("year", "as_of", "_row") or any(r.get(k) is not None for r in records)]
    data = {}
    for k in present:
        values = [r.get(k) for r in records]
        if k in ("adjusted_budget", "executed", "execution_rate"):
            data[k] = pd.Series([np.nan if v is None else v for v in values], dtype=float)
        elif k == "_row":
            data[k] = pd.Series(values, dtype=np.int64)
        else:
            data[k] = pd.Series(objects(values), dtype=object)
    first = forms[0]
    meta = {"year": first["year"] or year, "as_of": records[0].get("as_of"), "unit": "万元", "title": first["title"],
            "header_rows": [], "layout": "monitoring_form", "forms": len(forms)}
    table = ParsedTable(file, sheet, "monitoring", pd.DataFrame(data), {}, {}, meta)
    indicators = I.form_indicator_table(file, sheet, STAGE_MONITORING, items, dict(meta), problems)
    if indicators is not None:
        table.meta["companions"] = [indicators]
    return table, problems


def _as_of(form: dict, year: int | None) -> dt.date | None:
    """The monitoring date: the title's (截至2024年7月31日), else the last month of the 执行数 header (1-7月)."""
    if form.get("as_of") is not None:
        return form["as_of"]
    period = form.get("period")
    if period is None or year is None:
        return None
    return C.month_end(year, period[1])
