"""Reading one recognised table on a sheet: header cells mapped to canonical fields, columns parsed to
typed values, codes split off names, year / as-of / evaluation kind resolved (once, here), and the
table's checks run; the result is a ParsedTable plus its Problems.

Row classification (which rows are data) is layout.py's, cell parsing cells.py / columns.py's, the
checks validate.py's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core import rules as R
from dashboard.core.settings import Rules
from dashboard.core.vocab import CODE, LIKELIHOODS, MONEY, MONEY_SCALES, SIGNED_MONEY, TEXT_TYPES
from data_loaders import headers as H
from data_loaders import layout as L
from data_loaders import schema, validate
from data_loaders.cells import FORMAT_CHARS, month_end, option_header, split_code_name, tick
from data_loaders.columns import parse_column
from data_loaders.problems import ERROR, TAG_COMBINED, TAG_UNUSED_HEADER, WARNING, Problem, column_label

TAG_AMOUNT_UNIT = "amount_unit"  # Problem.tag of the 金额单位 sentence (error or warning)
from data_loaders.tables import ParsedTable, objects

# Fields that may come as several columns by month or period (1月执行数 … 8月执行数, 1-6月累计 + 7月 + 8月):
# the executed amount is added up to the latest month; of several rates the latest month's is read.
PERIOD_FIELDS = frozenset({"executed", "execution_rate"})


def period_plan(headers: list[tuple[int, str]], running: bool = False) -> tuple[list[int], int] | str:
    """Which of several columns of one field give the figure to the latest month: (columns to add up, latest
    month), or why they cannot be told apart (a sentence). `headers` are (column, header text as typed).

    Amount columns: the latest running total (a header with 累计 / 截至 / 1-N月, or 1月) plus every later
    month or period after it, which must follow on without a gap or an overlap; a single month column
    covered by the running total is not added again. `running` (rates): every column is a running figure,
    the latest month's is taken.
    """
    dated, undated = [], []
    for c, text in headers:
        period = H.header_period(text)
        (dated if period else undated).append((c, text, period))
    shown = lambda items: "、".join(f"“{t}”" for _c, t, _p in items)
    if undated:
        if len(undated) == 1 and dated and not running and H.says_cumulative(undated[0][1]):
            # 累计执行数 beside its months: the running total is the figure; the months break it down
            return [undated[0][0]], max(p[1] for _c, _t, p in dated)
        return f"{shown(undated)}的表头没有写明月份，无法区分"
    seen: dict[tuple, str] = {}
    for _c, text, period in dated:
        key = period[1] if running else period
        if key in seen:
            return f"“{seen[key]}”和“{text}”表示同一时期"
        seen[key] = text
    if running:
        c, _t, period = max(dated, key=lambda x: x[2][1])
        return [c], period[1]
    totals = [x for x in dated if x[2][2]]
    use: list[int] = []
    covered = 0
    if totals:
        c, _t, period = max(totals, key=lambda x: x[2][1])
        use, covered = [c], period[1]
    for c, text, (first, last, _cum) in sorted((x for x in dated if not x[2][2]), key=lambda x: x[2][0]):
        if last <= covered:
            continue  # already in the running total
        if first > covered + 1:
            missing = f"{covered + 1}月" if first == covered + 2 else f"{covered + 1}—{first - 1}月"
            return f"缺少{missing}的一列（有{shown(dated)}），加起来不是累计数"
        if first <= covered:
            return f"“{text}”与前面的列有重叠的月份"
        use.append(c)
        covered = last
    return use, covered


class SheetReader:
    """One recognised sheet: its columns mapped to fields, parsed, year/as-of filled in, checked."""

    def __init__(self, grid, layout: L.Layout, kind, file, sheet, year, as_of, rules: Rules,
                 merged: L.Merged | None = None, evaluation_kind: str | None = None, unit: str | None = None,
                 department: str | None = None):
        self.grid, self.layout, self.kind = grid, layout, kind
        self.file, self.sheet = file, sheet
        self.spec = schema.TABLES[kind]
        self.arg_year, self.arg_as_of = year, as_of
        self.problems: list[Problem] = []
        self.header_row = layout.header_rows[-1] + 1  # Excel row of the (lower) header row
        self.merged = merged
        self.rules = rules
        self.arg_kind = evaluation_kind  # 评价类型 where neither a column nor the title says it (--kind)
        self.arg_unit = unit  # 金额单位 of the whole file, set explicitly (--unit): wins over notes and headers
        self.arg_department = department  # 主管部门 of rows that name none (--department)
        self.multi: dict[str, list[int]] = {}  # field → every column naming it, when several do (month columns)
        self.period_month: int | None = None  # the latest month the executed figure covers, by its headers
        self.bad_label: dict[str, str] = {}  # column label of unreadable cells of a combined field

    def problem(self, row, column, message, level=ERROR, tag=""):
        self.problems.append(Problem(self.file, self.sheet, row, column, message, level, tag))

    # -- mapping --
    def map_columns(self) -> dict[str, int]:
        names = {f.name for f in self.spec.fields} | H.EXTRA_FIELDS[self.kind]
        by_field: dict[str, int] = {}
        self.mapping: dict[str, str] = {}
        self.columns: dict[str, str] = {}
        self.ticks = self.tick_columns(names)
        for c, cands in enumerate(self.layout.fields):
            name = next((f for f in cands if f in names), None)
            if c in self.ticks.values():
                continue
            if name is None:
                continue
            label = self.layout.labels[c]
            if name in by_field:
                if name in PERIOD_FIELDS:  # 1月执行数 … 8月执行数: combined in read()
                    self.multi.setdefault(name, [by_field[name]]).append(c)
                    self.mapping[label] = name
                    continue
                first = self.columns[name]
                self.problem(self.header_row, column_label(label, c),
                             f"这一列与“{first}”都表示“{self.field_label(name)}”，只读取前一列", WARNING,
                             TAG_UNUSED_HEADER)
                continue
            by_field[name] = c
            self.mapping[label] = name
            self.columns[name] = column_label(label, c)
        if self.ticks and "likelihood" in by_field:
            self.ticks = {}  # a 完成目标可能性 column of its own: the option columns are not read
        for option, c in self.ticks.items():
            self.mapping[option if self.layout.labels[c] == self.field_label("likelihood") else self.layout.labels[c]] \
                = "likelihood"
        if self.ticks:
            first = min(self.ticks.values())
            self.columns["likelihood"] = column_label(self.field_label("likelihood"), first)
        return by_field

    def tick_columns(self, names: set[str]) -> dict[str, int]:
        """完成目标可能性 as tick marks across its option columns (确定能 | 有可能 | 完全不可能): {option: column},
        when at least two of them head columns; else {}."""
        if "likelihood" not in names:
            return {}
        found: dict[str, int] = {}
        for c, label in enumerate(self.layout.labels):
            # the header rows and the row below them (a sub-header under a merged 完成目标可能性 that the layout
            # took for a repeated header row)
            rows = [*self.layout.header_rows, self.layout.header_rows[-1] + 1]
            heads = [label, *(self.grid[r][c] for r in rows if r < len(self.grid) and c < len(self.grid[r]))]
            option = next((o for o in (option_header(h, LIKELIHOODS) for h in heads) if o is not None), None)
            if option is not None and option not in found:
                found[option] = c
        return found if len(found) >= 2 else {}

    def read_ticks(self, columns, n: int, bad: dict[str, dict[int, str]]) -> np.ndarray:
        """Each row's ticked option; a row with two ticks, or a cell that is not a mark, is an error."""
        out = np.full(n, None, dtype=object)
        errors: dict[int, str] = {}
        marks = {option: [tick(v) for v in columns[c].values] for option, c in self.ticks.items()}
        for i in range(n):
            ticked = [o for o in LIKELIHOODS if o in marks and marks[o][i]]
            odd = [o for o in LIKELIHOODS if o in marks and marks[o][i] is None]
            if odd:
                cell = L.cell_text(columns[self.ticks[odd[0]]].values[i])
                errors[i] = f"“{odd[0]}”一栏的“{cell}”不是勾选标记（可填 ✔、√、✓、☑ 或“是”，不选的留空）"
            elif len(ticked) > 1:
                errors[i] = (f"完成目标可能性勾选了{len(ticked)}项（{'、'.join(ticked)}），只能勾选一项；"
                             "这一行的完成目标可能性没有读取")
            elif ticked:
                out[i] = ticked[0]
        if errors:
            bad["likelihood"] = errors
        return out

    def field_label(self, name: str) -> str:
        try:
            return self.spec.field(name).label
        except StopIteration:
            return {"department_code": "主管部门编码", "unit_code": "单位编码"}.get(name, name)

    def col_label(self, name: str) -> str:
        return self.columns.get(name) or self.field_label(name)

    def money_scale(self, c: int) -> tuple[float, str]:
        if self.arg_unit:
            return MONEY_SCALES[self.arg_unit], self.arg_unit
        unit = (H.header_unit(self.layout.labels[c]) or H.header_unit(self.layout.parents[c])
                or self.layout.unit)
        return MONEY_SCALES[unit], unit

    # -- main --
    def read(self) -> tuple[ParsedTable, list[Problem]]:
        layout = self.layout
        by_field = self.map_columns()
        index, columns = L.data_rows(self.grid, layout, self.merged)
        index, columns, examples = self.skip_examples(index, columns)
        excel_rows = index + 1
        n = len(excel_rows)
        values: dict[str, np.ndarray] = {}
        bad: dict[str, dict[int, str]] = {}
        units_used: dict[str, str] = {}
        for name, c in by_field.items():
            spec_field = self._field(name)
            parts = []
            for cc in self.multi.get(name, [c]):
                scale = 1.0
                if spec_field.type in (MONEY, SIGNED_MONEY):
                    scale, units_used[name] = self.money_scale(cc)
                col = columns[cc]
                if col.joined and FORMAT_CHARS.search(col.joined):
                    self.warn_format_characters(col, name, excel_rows)
                if col.texts and col.joined.count("\x00") >= len(col.texts) and spec_field.type in TEXT_TYPES:
                    self.warn_nul(col, name, excel_rows)  # NUL beyond the separators of the joined texts
                parsed, errors = parse_column(col.values, spec_field, scale, col.distinct, col.kinds,
                                                texts=col.texts, joined=col.joined)
                parts.append((cc, parsed, errors))
            if len(parts) == 1:
                values[name] = parts[0][1]
                if parts[0][2]:
                    bad[name] = parts[0][2]
            else:
                self.combine_periods(name, parts, values, bad)
        if self.ticks:
            values["likelihood"] = self.read_ticks(columns, n, bad)
        if "executed" in by_field and "executed" not in self.multi:
            period = H.header_period(self._header_text(by_field["executed"]))
            if period and period[2]:
                self.period_month = period[1]  # one 1-8月执行数 column: as of the end of August
        self.warn_unused_headers(by_field)
        # blank rows: nothing in any mapped column and no unreadable cell
        keep = self._non_blank(values, bad, n)
        if keep is not None:
            position = {int(old): new for new, old in enumerate(keep.tolist())}
            values = {k: v[keep] for k, v in values.items()}
            bad = {k: {position[i]: msg for i, msg in e.items() if i in position} for k, e in bad.items()}
            bad = {k: e for k, e in bad.items() if e}
            excel_rows = excel_rows[keep]
            n = len(excel_rows)
        self.excel_rows = excel_rows.tolist()
        for key, errors in bad.items():
            label = self.bad_label.get(key) or self.col_label(key)
            for i, message in sorted(errors.items()):
                self.problem(self.excel_rows[i], label, message)
        bad = {k: e for k, e in bad.items() if k not in self.bad_label}
        meta = {
            "year": None, "as_of": None, "unit": self.arg_unit or layout.unit, "title": layout.title,
            "header_rows": [r + 1 for r in layout.header_rows], "notes": layout.notes,
            "column_units": units_used, "example_rows": examples, "ignored_headers": [
                t for c, t in enumerate(layout.labels) if t and c not in self._used(by_field) and not H.is_ignored(t)
            ],
            "combined_columns": {name: [column_label(layout.labels[c], c) for c in cols]
                                 for name, cols in self.multi.items()},
        }
        self.split_codes(values, {name: columns[c].joined for name, c in by_field.items()})
        self.fill_department(values, meta, n)
        self.fill_year_and_date(values, meta, n)
        if self.kind == "evaluations":
            self.fill_evaluation_kind(values, meta, n)
            validate.score_grade(values, self, self.rules)
        validate.required_cells(values, bad, by_field, n, self)
        if self.kind == "monitoring":
            validate.over_budget(values, self)
        self.problems.sort(key=lambda p: (p.row or 0, p.level != ERROR))
        frame = self.frame(values)
        table = ParsedTable(self.file, self.sheet, self.kind, frame, dict(self.mapping), dict(self.columns), meta)
        if self.arg_unit:
            meta["unit_from"] = "explicit"
        # the amounts written as text in this sheet: the notes above the header and every text column
        texts = [*layout.notes, *(c.joined for c in columns if "元" in c.joined)]
        self.problems.extend(judge_unit(table, text_amounts(texts), self.rules))
        return table, self.problems

    def _header_text(self, c: int) -> str:
        """The header of column c for month detection: the child, else with its merged parent."""
        label, parent = self.layout.labels[c], self.layout.parents[c]
        return label if H.header_period(label) or not parent else f"{parent}{label}"

    def _used(self, by_field: dict[str, int]) -> set[int]:
        return set(by_field.values()) | {c for cols in self.multi.values() for c in cols} | set(self.ticks.values())

    def combine_periods(self, name: str, parts, values: dict, bad: dict) -> None:
        """Several columns of one field by month: one figure to the latest month (period_plan), said in a
        warning; columns that cannot be told apart are an error naming them, and the field stays empty."""
        labels = {cc: column_label(self.layout.labels[cc], cc) for cc, _v, _e in parts}
        plan = period_plan([(cc, self._header_text(cc)) for cc, _v, _e in parts], running=name == "execution_rate")
        noun = self.field_label(name)
        if isinstance(plan, str):
            self.problem(self.header_row, "、".join(labels.values()),
                         f"有 {len(parts)} 列都表示“{noun}”：{plan}。没有读取其中任何一列（不能只取一列）。请只保留"
                         f"一列累计{noun}，或在表头写明月份（如“1月{noun}”…“8月{noun}”，或“1-8月累计{noun}”）")
            values[name] = np.full(len(parts[0][1]), np.nan)
            return
        use, month = plan
        by_column = {cc: (v, e) for cc, v, e in parts}
        stack = np.vstack([by_column[cc][0] for cc in use])
        total = np.nansum(stack, axis=0)
        total[np.isnan(stack).all(axis=0)] = np.nan
        values[name] = total
        for cc in use:
            if by_column[cc][1]:
                key = f"{name}#{cc}"
                bad[key] = by_column[cc][1]
                self.bad_label[key] = labels[cc]
        if name == "executed":
            self.period_month = month
        self.columns[name] = labels[use[-1]] if name == "execution_rate" else self.columns.get(name, labels[use[0]])
        left = [labels[cc] for cc in labels if cc not in use]
        if len(use) > 3:
            how = f"为 {labels[use[0]]} 至 {labels[use[-1]]} 共 {len(use)} 列相加"
        else:
            how = ("取" if len(use) == 1 else "为 ") + " + ".join(labels[cc] for cc in use)
        extra = f"；{'、'.join(left)}已包含在内，没有重复相加" if left and name == "executed" else (
            f"；没有读取 {'、'.join(left)}" if left else "")
        shown = list(labels.values())
        where = f"{shown[0]}…{shown[-1]}" if len(shown) > 3 else "、".join(shown)
        self.problem(self.header_row, where,
                     f"“{noun}”按表头的月份读取：截至{month}月的{noun}{how}{extra}。请核对", WARNING, TAG_COMBINED)

    def warn_unused_headers(self, by_field: dict[str, int]) -> None:
        """A header that looks like a known column but is not read: a warning naming the column it resembles."""
        used = self._used(by_field)
        for c, text in enumerate(self.layout.labels):
            if not text or c in used:
                continue
            near = H.resembles(text, self.kind)
            if near is None:
                continue
            label, table = near
            where = column_label(text, c)
            if table:
                message = f"表头“{text}”是{table}表的“{label}”列，{self.spec.label}表不读取这一列，已忽略"
            else:
                message = (f"表头“{text}”像是“{label}”，但没有读取这一列；如果它就是“{label}”，"
                           f"请把表头改成“{label}”后重新上传")
            self.problem(self.header_row, where, message, WARNING, TAG_UNUSED_HEADER)

    def skip_examples(self, index: np.ndarray, columns: list[L.Column]):
        """The template's example rows (validate.EXAMPLE_MARK in a cell) are dropped before anything is
        parsed, with a warning naming each; returns the rest and the Excel rows skipped."""
        found = validate.example_rows(columns)
        if not found:
            return index, columns, []
        for i, c in sorted(found.items()):
            validate.example_warning(self, int(index[i]) + 1, column_label(self.layout.labels[c], c))
        keep = np.ones(len(index), dtype=bool)
        keep[list(found)] = False
        # as in layout.data_rows: the distinct values keep the skipped rows' (a harmless superset)
        flags = keep.tolist()
        columns = [L.Column([v for v, k in zip(col.values, flags) if k], col.kinds, col.distinct, col.texts,
                            col.joined) for col in columns]
        return index[keep], columns, sorted(int(index[i]) + 1 for i in found)

    def warn_format_characters(self, col, name: str, excel_rows) -> None:
        """Invisible format and control characters are removed by the cell cleaners; say so for each cell."""
        label = self.col_label(name)
        for i, value in enumerate(col.values):
            if value.__class__ is str and FORMAT_CHARS.search(value):
                codes = "、".join(sorted({f"U+{ord(ch):04X}" for ch in FORMAT_CHARS.findall(value)}))
                self.problem(int(excel_rows[i]), label, f"已删除这一格中看不见的格式或控制字符（{codes}），"
                             "以免名称显示得与实际内容不同；请核对原表", WARNING)

    def warn_nul(self, col, name: str, excel_rows) -> None:
        """NUL (U+0000) is dropped from text cells by the cleaners (cells.drop_nul); say so for each cell."""
        label = self.col_label(name)
        for i, value in enumerate(col.values):
            if value.__class__ is str and "\x00" in value:
                self.problem(int(excel_rows[i]), label, f"已删除这一格中的 {value.count(chr(0))} 个空字符（U+0000，常见于"
                             "系统导出的损坏文本），数据库不能保存它；请核对原表", WARNING)

    def _field(self, name: str) -> schema.Field:
        try:
            return self.spec.field(name)
        except StopIteration:
            return schema.Field(name, self.field_label(name), CODE)

    @staticmethod
    def _non_blank(values: dict[str, np.ndarray], bad: dict[str, dict[int, str]], n: int) -> np.ndarray | None:
        if not values or n == 0:
            return None
        filled = np.zeros(n, dtype=bool)
        for v in values.values():
            filled |= ~pd.isna(v)
            if filled.all():
                return None
        for errors in bad.values():
            filled[list(errors)] = True
        if filled.all():
            return None
        return np.flatnonzero(filled)

    def split_codes(self, values: dict[str, np.ndarray], raw_text: dict[str, str]) -> None:
        """"CODE-名称" cells: the name stays in the name column, the code fills the code column.

        `raw_text` holds each column's distinct texts joined: a column without any dash is skipped
        without looking at its values.
        """
        allowed = {f.name for f in self.spec.fields} | H.EXTRA_FIELDS[self.kind]
        for name_field, code_field in (("project_name", "project_code"), ("department", "department_code"),
                                       ("unit", "unit_code")):
            names = values.get(name_field)
            if names is None or code_field not in allowed:
                continue
            if not any(sep in raw_text.get(name_field, "") for sep in "-－—–"):
                continue
            distinct = [v for v in set(names.tolist()) if v]
            if not any(sep in "\x00".join(distinct) for sep in "-－—–"):
                continue
            splits = {v: split_code_name(v) for v in distinct}
            splits = {v: cn for v, cn in splits.items() if cn[0]}
            if not splits:
                continue
            names_list = names.tolist()
            values[name_field] = objects([splits[v][1] if v in splits else v for v in names_list])
            derived = [splits[v][0] if v in splits else None for v in names_list]
            codes = values.get(code_field)
            if codes is None:
                values[code_field] = objects(derived)
                self.columns.setdefault(code_field, self.col_label(name_field))
            else:
                values[code_field] = objects([c if c else d for c, d in zip(codes.tolist(), derived)])

    def fill_department(self, values, meta, n) -> None:
        """主管部门 of rows without one: the caller's (--department), for files that name none."""
        allowed = {f.name for f in self.spec.fields} | H.EXTRA_FIELDS[self.kind]
        if not self.arg_department or "department" not in allowed:
            return
        meta["department"] = self.arg_department
        col = values.get("department")
        if col is None:
            values["department"] = objects([self.arg_department] * n)
            self.columns.setdefault("department", "主管部门（--department）")
        else:
            values["department"] = objects([v if v else self.arg_department for v in col.tolist()])

    def fill_year_and_date(self, values, meta, n) -> None:
        """Year and monitoring date of every row, resolved here once: the row's own cell, else the title,
        else the caller's fallback (upload page, --year / --as-of); meta keeps the table's value."""
        names = {f.name for f in self.spec.fields}
        if "as_of" in names:
            self._fill_as_of(values, meta, n)
        if "year" in names:
            self._fill_year(values, meta, n)
        else:
            meta["year"] = self.layout.year or self.arg_year

    def _months_as_of(self, values, n):
        """The month end of the latest month the 执行数 headers cover, in the table's year: one date, a list per
        row (the year from each row's 年度 cell), or None."""
        if self.period_month is None:
            return None
        year = self.layout.year or self.arg_year
        if year:
            return month_end(year, self.period_month)
        years = values.get("year")
        if years is None:
            return None
        return [month_end(int(y), self.period_month) if y else None for y in years.tolist()]

    def _fill_as_of(self, values, meta, n) -> None:
        fallback = self.layout.as_of or self.arg_as_of
        if fallback is None and "as_of" not in values:
            derived = self._months_as_of(values, n)
            if isinstance(derived, list):
                values["as_of"] = objects(derived)
                meta["as_of_from"] = "headers"
            elif derived is not None:
                fallback = derived
                meta["as_of_from"] = "headers"
        meta["as_of"] = fallback
        col = values.get("as_of")
        if col is None:
            if fallback is None and n:
                self.problem(self.header_row, None,
                             "不知道这张监控表的监控截止日期：表中没有“监控截止日期”列，标题里也没有"
                             "（如“2022年1-8月”“截至2022年6月30日”）。请在上传页填写监控截止日期"
                             "（命令行用 --as-of YYYY-MM-DD）")
            values["as_of"] = objects([fallback] * n)
        elif fallback is not None:
            values["as_of"] = objects([v if v is not None else fallback for v in col.tolist()])
        if meta["as_of"] is None:
            present = [v for v in set(values["as_of"].tolist()) if v is not None]
            meta["as_of"] = max(present) if present else None

    def _fill_year(self, values, meta, n) -> None:
        layout = self.layout
        fallback = layout.year or self.arg_year
        if fallback is None and layout.as_of:
            fallback = layout.as_of.year
        col = values.get("year")
        if col is None:
            if fallback is None and "as_of" in values:
                derived = [d.year if d else None for d in values["as_of"].tolist()]
                if all(derived):
                    values["year"] = objects(derived)
                    col = values["year"]
            if col is None:
                if fallback is None and n:
                    self.problem(self.header_row, None,
                                 "不知道这张表的年度：表中没有“年度”列，标题里也没有年份（如“（2022年度）”）。"
                                 + L.year_hint(self.file))
                values["year"] = objects([fallback] * n)
        elif fallback is not None:
            values["year"] = objects([v if v is not None else fallback for v in col.tolist()])
        elif "as_of" in values:
            values["year"] = objects([v if v is not None else (d.year if d else None)
                                      for v, d in zip(col.tolist(), values["as_of"].tolist())])
        meta["year"] = fallback
        if meta["year"] is None:
            present = [v for v in set(values["year"].tolist()) if v is not None]
            meta["year"] = min(present) if present else None

    def fill_evaluation_kind(self, values, meta, n) -> None:
        """评价类型 of rows without one: the title's (or the sheet's or file's name), else the caller's (--kind)."""
        from_title = L.evaluation_kind_from_notes(
            [*self.layout.notes, self.sheet or "", Path(self.file or "").stem])
        meta["evaluation_kind"] = from_title or self.arg_kind
        from_title = meta["evaluation_kind"]
        if from_title is None:
            return
        col = values.get("kind")
        if col is None:
            values["kind"] = objects([from_title] * n)
        else:
            values["kind"] = objects([v if v is not None else from_title for v in col.tolist()])

    def frame(self, values: dict[str, np.ndarray]) -> pd.DataFrame:
        data: dict[str, Any] = {}
        order = [f.name for f in self.spec.fields] + sorted(H.EXTRA_FIELDS[self.kind])
        for name in order:
            if name in values:
                # dtype=object kept explicitly: pandas 3 would turn str columns into its string
                # dtype, where None becomes NaN
                v = values[name]
                data[name] = pd.Series(v, dtype=float if v.dtype.kind == "f" else object, copy=False)
        data["_row"] = pd.Series(self.excel_rows, dtype=np.int64)
        return pd.DataFrame(data, copy=False)


# --- 金额单位: are the amounts in the unit the header says? -------------------------------------------------

_TEXT_AMOUNT = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(亿元|万元|元)")


def text_amounts(texts: Iterable[str]) -> list[float]:
    """The amounts written as text (清扫保洁经费11940.368万元, 119,403,680元, 1.2亿元), in 万元."""
    out = []
    for text in texts:
        if not text or "元" not in text:
            continue
        for whole, frac, unit in _TEXT_AMOUNT.findall(unicodedata.normalize("NFKC", text)):
            out.append(float(whole.replace(",", "") + frac) * MONEY_SCALES[unit])
    return out


def wan_columns(table: ParsedTable) -> list[str]:
    """The table's money fields that were read as 万元 (by a note, a header or the default), in schema order."""
    spec = schema.TABLES.get(table.kind)
    if spec is None or table.meta.get("unit_from") == "explicit":
        return []
    units = table.meta.get("column_units") or {}
    return [f.name for f in spec.fields if f.type in (MONEY, SIGNED_MONEY) and f.name in table.frame
            and units.get(f.name, table.meta.get("unit") or "万元") == "万元"]


def yuan_columns(table: ParsedTable) -> list[str]:
    """The table's money fields read as 元 by a note or a header (not converted by the 金额单位 rule, not set
    explicitly), in schema order: where the rule looks for 万元 filled in under a 元 header."""
    spec = schema.TABLES.get(table.kind)
    if spec is None or table.meta.get("unit_from") == "explicit" or "unit_judged" in table.meta:
        return []
    units = table.meta.get("column_units") or {}
    return [f.name for f in spec.fields if f.type in (MONEY, SIGNED_MONEY) and f.name in table.frame
            and units.get(f.name, table.meta.get("unit") or "万元") == "元"]


def judged_columns(table: ParsedTable) -> tuple[list[str], bool]:
    """The money columns the 金额单位 rule judges and whether their header says 元 (the rule the other way round):
    the 万元 columns, else the 元 ones."""
    names = wan_columns(table)
    return (names, False) if names else (yuan_columns(table), True)


def _total(values: np.ndarray) -> str:
    with np.errstate(over="ignore"):
        total = float(np.nansum(values))
    if not np.isfinite(total) or abs(total) >= 1e15:  # beyond any budget (the import refuses such amounts anyway)
        return f"{total:.6g}" if np.isfinite(total) else "超出数字范围"
    return f"{total:,.2f}"


def reverse_unit_sentence(table: ParsedTable, names: list[str], reason: str, converted: bool) -> Problem:
    """The one sentence about a 元 header whose amounts look like 万元 (10,000× too small as read), with the
    totals both ways: an ERROR asking for the unit, or (converted) a WARNING saying they were read as 万元."""
    first = next((n for n in names if table.frame[n].notna().any()), names[0])
    spec = schema.TABLES[table.kind]
    label = table.columns.get(first) or next((f.label for f in spec.fields if f.name == first), first)
    read = table.frame[first].to_numpy(dtype=float)
    as_yuan, as_wan = (read / R.UNIT_RATIO, read) if converted else (read, read * R.UNIT_RATIO)
    both = f"按表头“元”合计 {_total(as_yuan)} 万元；如为“万元”则合计 {_total(as_wan)} 万元"
    where = f"工作表“{table.sheet}”的" if table.sheet else "这张表的"
    what = f"“{label}”等金额列" if len(names) > 1 else f"“{label}”"
    if converted:
        message = (f"已按“万元”读取：{where}{what}的表头写的是“元”，但{reason}。{both}，已按“万元”导入；"
                   "如不对，请在上传页选择“金额单位”（命令行用 --unit）后重新导入")
        return Problem(table.file, table.sheet, None, label, message, WARNING, TAG_AMOUNT_UNIT)
    message = (f"金额单位待确认：{where}{what}的表头写的是“元”，但{reason}，像是按“万元”填写的。{both}。"
               "请确认金额单位后再导入：上传页选择“金额单位”，命令行用 --unit 万元 或 --unit 元")
    return Problem(table.file, table.sheet, None, label, message, ERROR, TAG_AMOUNT_UNIT)


def convert_to_wan(table: ParsedTable, names: list[str]) -> None:
    """Read the 元 columns `names` again as 万元 (× 10,000), and say so in the table's meta."""
    for name in names:
        table.frame[name] = table.frame[name] * R.UNIT_RATIO
        table.meta.setdefault("column_units", {})[name] = "万元"
    table.meta["unit"] = "万元"


def unit_sentence(table: ParsedTable, names: list[str], reason: str, converted: bool) -> Problem:
    """The one sentence about a 万元 header whose amounts look like 元, with the totals both ways: an ERROR asking
    for the unit, or (converted) a WARNING saying the amounts were converted."""
    first = next((n for n in names if table.frame[n].notna().any()), names[0])  # the first column with amounts
    spec = schema.TABLES[table.kind]
    label = table.columns.get(first) or next((f.label for f in spec.fields if f.name == first), first)
    read = table.frame[first].to_numpy(dtype=float)
    as_read, as_yuan = (read * R.UNIT_RATIO, read) if converted else (read, read / R.UNIT_RATIO)
    both = f"按表头“万元”合计 {_total(as_read)} 万元；如为“元”则合计 {_total(as_yuan)} 万元"
    where = f"工作表“{table.sheet}”的" if table.sheet else "这张表的"
    what = f"“{label}”等金额列" if len(names) > 1 else f"“{label}”"
    if converted:
        message = (f"已按“元”换算为万元：{where}{what}的表头写的是“万元”，但{reason}。{both}，已按“元”导入；"
                   "如不对，请在上传页选择“金额单位”（命令行用 --unit）后重新导入")
        return Problem(table.file, table.sheet, None, label, message, WARNING, TAG_AMOUNT_UNIT)
    message = (f"金额单位待确认：{where}{what}的表头写的是“万元”，但{reason}，像是按“元”填写的。{both}。"
               "请确认金额单位后再导入：上传页选择“金额单位”，命令行用 --unit 元 或 --unit 万元")
    return Problem(table.file, table.sheet, None, label, message, ERROR, TAG_AMOUNT_UNIT)


def convert_to_yuan(table: ParsedTable, names: list[str]) -> None:
    """Read the 万元 columns `names` again as 元 (÷ 10,000), and say so in the table's meta."""
    for name in names:
        table.frame[name] = table.frame[name] / R.UNIT_RATIO
        table.meta.setdefault("column_units", {})[name] = "元"
    table.meta["unit"] = "元"


def judge_unit(table: ParsedTable, amounts_wan: list[float], rules: Rules, history=None) -> list[Problem]:
    """The 金额单位 rule (rules.amount_unit_verdict) on one table's amounts read as 万元: [] when they look right,
    the columns converted plus a warning on clear text evidence, an error otherwise. `amounts_wan` are the
    amounts written as text in its sheet (text_amounts).

    The reader calls it without `history` (it has no database): only the text evidence decides there; where it
    says nothing, meta["unit_pending"] keeps the text amounts and the importer (importer.judge_units, for the
    preview and the import) calls it again with `history`, the (amount read, amount known) pairs of the same
    projects and departments in the database, and the single-project bound."""
    names, reverse = judged_columns(table)
    if not names or table.frame.empty:
        return []
    values = np.concatenate([table.frame[n].to_numpy(dtype=float) for n in names])
    judge = R.yuan_header_verdict if reverse else R.amount_unit_verdict
    verdict = judge(values, amounts_wan, history or (), rules)
    # without history only the text amounts speak: a conversion, or amounts agreeing with them
    spoke = verdict.verdict == R.UNIT_CONVERT or (verdict.verdict == R.UNIT_OK and bool(verdict.reason))
    if history is None and not spoke:
        table.meta["unit_pending"] = list(amounts_wan)[:10_000]
        return []
    table.meta.pop("unit_pending", None)
    table.meta["unit_judged"] = verdict.verdict
    if verdict.verdict == R.UNIT_OK:
        return []
    if reverse:
        if verdict.verdict == R.UNIT_CONVERT:
            convert_to_wan(table, names)
        return [reverse_unit_sentence(table, names, verdict.reason, converted=verdict.verdict == R.UNIT_CONVERT)]
    if verdict.verdict == R.UNIT_CONVERT:
        convert_to_yuan(table, names)
        return [unit_sentence(table, names, verdict.reason, converted=True)]
    return [unit_sentence(table, names, verdict.reason, converted=False)]


def form_units(table: ParsedTable, grid: list[list[Any]], rules: Rules, unit: str | None) -> list[Problem]:
    """The 金额单位 of a form's tables (the form and its companions, read in 万元 by the form readers): the explicit
    unit (--unit) rescales them; otherwise the rule judges them with every text amount on the sheet."""
    tables = [table, *table.meta.get("companions", [])]
    if unit:
        for t in tables:
            names = wan_columns(t)
            for name in names:
                t.frame[name] = t.frame[name] * MONEY_SCALES[unit]
                t.meta.setdefault("column_units", {})[name] = unit
            t.meta["unit"], t.meta["unit_from"] = unit, "explicit"
        return []
    amounts = text_amounts(v for row in grid for v in row if v.__class__ is str)
    return [p for t in tables for p in judge_unit(t, amounts, rules)]


def file_units(tables: list[ParsedTable]) -> list[Problem]:
    """The sheets of one file where no evidence spoke (meta["unit_pending"]) follow the others: when text amounts
    showed 元 on other sheets of the file and 万元 on none, they are converted too, with the warning saying why."""
    verdicts = [t.meta.get("unit_judged") for t in tables]
    converted = verdicts.count(R.UNIT_CONVERT)
    if not converted or R.UNIT_OK in verdicts:
        return []
    out = []
    for t in tables:
        names = wan_columns(t) if "unit_pending" in t.meta else []
        if not names or t.frame.empty:
            continue
        t.meta.pop("unit_pending")
        t.meta["unit_judged"] = R.UNIT_CONVERT
        convert_to_yuan(t, names)
        out.append(unit_sentence(t, names, f"这张表没有可核对的文字金额，而同一文件另有 {converted} 张工作表的文字金额"
                                           "表明金额是按“元”填写的", converted=True))
    return out


def form_department(table: ParsedTable, department: str | None) -> None:
    """The 主管部门 of a form's tables (the form and its companions) where the form names none (--department)."""
    if not department:
        return
    for t in [table, *table.meta.get("companions", [])]:
        spec = schema.TABLES.get(t.kind)
        allowed = ({f.name for f in spec.fields} | H.EXTRA_FIELDS.get(t.kind, set())) if spec else set()
        if "department" not in allowed or t.frame.empty:
            continue
        col = t.frame["department"].tolist() if "department" in t.frame else [None] * len(t.frame)
        t.frame["department"] = pd.Series(objects([v if v else department for v in col]), dtype=object,
                                          index=t.frame.index)
        t.meta["department"] = department
