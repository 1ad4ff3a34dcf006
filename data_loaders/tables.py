"""What reading produces: ParsedTable (one recognised sheet as typed canonical columns) and FileResult (a file's tables and problems).

The reader, the form reader and the importer all speak these two types; fields may be added, never renamed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from data_loaders import schema
from data_loaders.problems import Problem, ProblemList


@dataclass
class ParsedTable:
    file: str
    sheet: str | None
    kind: str  # a schema.TABLES key: units | projects | monitoring | evaluations | findings
    # one row per data row; columns = canonical field names present or derived, values parsed
    # (float 万元, fraction for percent, datetime.date, bool, str, None), plus "_row" = Excel row
    frame: pd.DataFrame
    mapping: dict[str, str] = field(default_factory=dict)  # source header text -> canonical field
    columns: dict[str, str] = field(default_factory=dict)  # canonical field -> "得分（D列）"
    # {"year": int|None, "as_of": date|None, "unit": "万元"|"元", "title": str|None, "header_rows": [...]}
    meta: dict = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts with None (never NaN) for empty cells, "_row" included."""
        frame = self.frame.astype(object)
        return frame.where(frame.notna(), None).to_dict("records")

    def label(self, field_name: str) -> str:
        """How to name a field's column in a message: "得分（D列）", else the canonical header."""
        return self.columns.get(field_name) or schema.TABLES[self.kind].field(field_name).label


@dataclass
class FileResult(ProblemList):
    file: str
    tables: list[ParsedTable]
    problems: list[Problem]  # errors and warnings
    skipped_sheets: list[str] = field(default_factory=list)  # sheets not recognised (e.g. 说明), skipped
    # sheet → why it was not read: hidden, a drop-down list's source, a form not supported yet, no header found
    skip_reasons: dict[str, str] = field(default_factory=dict)
    # sheet → its first rows as short texts (mapping.sample), for each sheet no header was found on: what the
    # upload page's 版式 step shows (a CSV file's one sheet is named by the file)
    unrecognised: dict[str, list[list[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def objects(items: list) -> np.ndarray:
    """A 1-d object array holding exactly `items` (np.array would build a 2-d array from tuples)."""
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


def show_number(x: float) -> str:
    """A number as messages quote it: 87.5, 1,200, or "-" for none."""
    return "-" if x is None or math.isnan(x) else f"{x:,.2f}".rstrip("0").rstrip(".")
