"""The target declaration form reader: 《项目支出绩效目标申报表》 (and the central 《绩效目标表》) sheets, one project
per form (several may be stacked) → a project row (its 资金总额 as 年初预算, 是否设定绩效目标 = 是) and its
indicators (stage 申报) as a companion table.

Read: 项目名称, 项目编码, 主管部门 (or 主管部门及代码) and 主管部门编码, 项目实施单位, 资金总额 / 年度资金总额 (万元)
and the indicator block (一级指标 | 二级指标 | 三级指标 or 指标内容 | 指标值 …, read by data_loaders.indicators).
When a form has a 长期 and a 年度 indicator block, the 年度 one is read (the year's targets).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.vocab import STAGE_DECLARED
from data_loaders import cells as C
from data_loaders import indicators as I
from data_loaders import keyvalue as KV
from data_loaders.layout import cell_text, pick_title, year_from_notes
from data_loaders.problems import Problem, column_letter
from data_loaders.tables import ParsedTable, objects

_TITLE = re.compile(r"绩效目标(?:申报)?表")
_NOT_THIS = re.compile(r"自评|监控|评价")
_FIELDS = ("project_name", "project_code", "department", "department_code", "unit", "budget")


def is_declaration(grid: list[list[Any]]) -> bool:
    # the title cell decides: another text (政策依据, 测算依据) may well mention 监控 or 评价
    titles = [cell_text(v) for r in grid[:8] for v in r if isinstance(v, str) and len(v) <= KV.TITLE_CHARS]
    return any(_TITLE.search(t) and not _NOT_THIS.search(t) for t in titles)


def find_declarations(grid: list[list[Any]]) -> list[dict]:
    """The declaration forms on a sheet ([] when it is none): for each, {field: (value, row, col)} plus
    "indicators" (rows of its 年度 indicator block), "start" (0-based row of 项目名称) and title/year."""
    if not is_declaration(grid):
        return []
    starts = []
    for r, row in enumerate(grid):
        for c, v in enumerate(row[:4]):
            if KV.label_field(v) == "project_name" and KV.value_near(grid, r, c) is not None:
                starts.append(r)
                break
    forms = []
    for i, r0 in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(grid)
        lo = max(0, (starts[i - 1] + 1) if i else 0, r0 - 6)
        above = [" ".join(dict.fromkeys(cell_text(v) for v in grid[r] if cell_text(v))) for r in range(lo, r0)]
        above = [a for a in above if a]
        form: dict[str, Any] = {"start": r0, "title": pick_title(above), "year": year_from_notes(above)}
        form.update(KV.read_labels(grid, r0 if i else 0, end, _FIELDS))
        blocks = []
        for r in range(r0, end):
            row = grid[r]
            cols = I.indicator_header(row)
            if cols is not None:
                label = " ".join(cell_text(v) for v in row[: min(cols.values())] if cell_text(v))
                label += " " + " ".join(cell_text(v) for v in grid[r - 1] if cell_text(v)) if r > r0 else ""
                skipped: dict[str, int] = {}
                blocks.append((label, I.indicator_rows(grid, r, end, cols, skipped), skipped))
        annual = [b for b in blocks if "年度" in b[0] and "长期" not in b[0]]
        chosen = (annual or blocks[-1:] or [("", [], {})])[0]
        form["indicators"], form["skipped"] = chosen[1], chosen[2]
        forms.append(form)
    return forms


def read_declarations(forms: list[dict], file: str, sheet: str | None, year: int | None
                      ) -> tuple[ParsedTable, list[Problem]]:
    """Forms → a projects table (one row each) with the indicators table as its companion."""
    problems: list[Problem] = []
    records = []
    items = []
    for form in forms:
        row = form["start"] + 1
        rec: dict[str, Any] = {"year": form["year"] or year, "_row": row, "has_target": True}
        if rec["year"] is None:
            problems.append(Problem(file, sheet, row, None, "绩效目标申报表的标题里没有年度（如“（2024年度）”）。"
                                    "请在上传页填写年度（命令行用 --year）"))
        KV.project_identity(form, rec)
        if not rec.get("department") and not rec.get("unit"):
            problems.append(Problem(file, sheet, row, None, "绩效目标申报表没有填写“主管部门”或“项目实施单位”"))
        if "budget" in form:
            value, r, c = form["budget"]
            amount, error = C.parse_money(value)
            if error:
                problems.append(Problem(file, sheet, r + 1, f"资金总额（{column_letter(c)}列）", error))
            rec["initial_budget"] = amount
        records.append(rec)
        I.skipped_warning(form.get("skipped"), file, sheet, row, problems)
        if rec["year"] is not None:
            items.append(({k: rec.get(k) for k in ("year", "department", "department_code", "unit", "unit_code",
                                                    "project_code", "project_name")}, form["indicators"]))
    order = ["year", "department", "department_code", "unit", "unit_code", "project_code", "project_name",
             "initial_budget", "has_target", "_row"]
    data = {}
    for k in order:
        values = [r.get(k) for r in records]
        if k == "initial_budget":
            data[k] = pd.Series([np.nan if v is None else v for v in values], dtype=float)
        elif k == "_row":
            data[k] = pd.Series(values, dtype=np.int64)
        else:
            data[k] = pd.Series(objects(values), dtype=object)
    first = forms[0]
    meta = {"year": first["year"] or year, "as_of": None, "unit": "万元", "title": first["title"],
            "header_rows": [], "layout": "declaration_form", "forms": len(forms)}
    table = ParsedTable(file, sheet, "projects", pd.DataFrame(data), {}, {}, meta)
    indicators = I.form_indicator_table(file, sheet, STAGE_DECLARED, items, dict(meta), problems)
    if indicators is not None:
        table.meta["companions"] = [indicators]
    return table, problems
