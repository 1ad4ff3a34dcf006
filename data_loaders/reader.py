"""Reading one spreadsheet or CSV file into typed canonical tables plus every problem found.

CONTRACT (the importer codes against this; fields may be added, not renamed):
read_file(source, filename=None, *, year=None, as_of=None) -> FileResult
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import pandas as pd

from data_loaders.problems import ERROR, WARNING, Problem


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


@dataclass
class FileResult:
    file: str
    tables: list[ParsedTable]
    problems: list[Problem]  # errors and warnings

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def read_file(
    source: bytes | str | os.PathLike,
    filename: str | None = None,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
) -> FileResult:
    """Read a .xlsx/.xls/.csv file (bytes or a path) into canonical tables and problems.

    `year` / `as_of` are fallbacks (command line, upload page) used only where neither a column
    nor the title says it. Never raises for bad input: everything wrong is a Problem.
    """
    raise NotImplementedError("reader in progress")
