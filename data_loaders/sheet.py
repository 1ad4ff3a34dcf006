"""Reading one recognised table on a sheet: header cells mapped to canonical fields, columns parsed to
typed values, codes split off names, year / as-of / evaluation kind resolved (once, here), and the
table's checks run; the result is a ParsedTable plus its Problems.

Row classification (which rows are data) is layout.py's, cell parsing cells.py / columns.py's, the
checks validate.py's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard.settings import Rules
from dashboard.vocab import CODE, MONEY, MONEY_SCALES, SIGNED_MONEY
from data_loaders import headers as H
from data_loaders import layout as L
from data_loaders import schema, validate
from data_loaders.cells import FORMAT_CHARS, split_code_name
from data_loaders.columns import parse_column
from data_loaders.problems import ERROR, WARNING, Problem, column_label
from data_loaders.tables import ParsedTable, objects


class SheetReader:
    """One recognised sheet: its columns mapped to fields, parsed, year/as-of filled in, checked."""

    def __init__(self, grid, layout: L.Layout, kind, file, sheet, year, as_of, rules: Rules,
                 merged: L.Merged | None = None):
        self.grid, self.layout, self.kind = grid, layout, kind
        self.file, self.sheet = file, sheet
        self.spec = schema.TABLES[kind]
        self.arg_year, self.arg_as_of = year, as_of
        self.problems: list[Problem] = []
        self.header_row = layout.header_rows[-1] + 1  # Excel row of the (lower) header row
        self.merged = merged
        self.rules = rules

    def problem(self, row, column, message, level=ERROR):
        self.problems.append(Problem(self.file, self.sheet, row, column, message, level))

    # -- mapping --
    def map_columns(self) -> dict[str, int]:
        names = {f.name for f in self.spec.fields} | H.EXTRA_FIELDS[self.kind]
        by_field: dict[str, int] = {}
        self.mapping: dict[str, str] = {}
        self.columns: dict[str, str] = {}
        for c, cands in enumerate(self.layout.fields):
            name = next((f for f in cands if f in names), None)
            if name is None:
                continue
            label = self.layout.labels[c]
            if name in by_field:
                first = self.columns[name]
                self.problem(self.header_row, column_label(label, c),
                             f"这一列与“{first}”都表示“{self.field_label(name)}”，只读取前一列", WARNING)
                continue
            by_field[name] = c
            self.mapping[label] = name
            self.columns[name] = column_label(label, c)
        return by_field

    def field_label(self, name: str) -> str:
        try:
            return self.spec.field(name).label
        except StopIteration:
            return {"department_code": "主管部门编码", "unit_code": "单位编码"}.get(name, name)

    def col_label(self, name: str) -> str:
        return self.columns.get(name) or self.field_label(name)

    def money_scale(self, c: int) -> tuple[float, str]:
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
            scale = 1.0
            if spec_field.type in (MONEY, SIGNED_MONEY):
                scale, units_used[name] = self.money_scale(c)
            col = columns[c]
            if col.joined and FORMAT_CHARS.search(col.joined):
                self.warn_format_characters(col, name, excel_rows)
            parsed, errors = parse_column(col.values, spec_field, scale, col.distinct, col.kinds,
                                            texts=col.texts, joined=col.joined)
            values[name] = parsed
            if errors:
                bad[name] = errors
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
        for name, errors in bad.items():
            label = self.col_label(name)
            for i, message in sorted(errors.items()):
                self.problem(self.excel_rows[i], label, message)
        meta = {
            "year": None, "as_of": None, "unit": layout.unit, "title": layout.title,
            "header_rows": [r + 1 for r in layout.header_rows], "notes": layout.notes,
            "column_units": units_used, "example_rows": examples, "ignored_headers": [
                t for c, t in enumerate(layout.labels) if t and c not in by_field.values() and not H.is_ignored(t)
            ],
        }
        self.split_codes(values, {name: columns[c].joined for name, c in by_field.items()})
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
        return table, self.problems

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

    def _fill_as_of(self, values, meta, n) -> None:
        fallback = self.layout.as_of or self.arg_as_of
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
                                 "请在上传页填写年度（命令行用 --year）")
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
        from_title = L.evaluation_kind_from_notes(self.layout.notes)
        meta["evaluation_kind"] = from_title
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
