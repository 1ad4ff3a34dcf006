"""What the reader reports about a file: one Problem per bad cell, row, column, sheet or file.

A Problem names where it is the way a user finds it in Excel (file, sheet, the row number Excel
shows, the column header plus its letter) and says what is wrong in plain Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"
# Problem.tag values: a header not read although it looks like a known column, several columns combined into
# one field, a sheet skipped (hidden, a drop-down list, a form not supported yet)
TAG_UNUSED_HEADER, TAG_COMBINED, TAG_SKIPPED_SHEET = "unused_header", "combined_columns", "skipped_sheet"
TOP_TAGS = (TAG_UNUSED_HEADER, TAG_COMBINED, TAG_SKIPPED_SHEET)


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str | None
    row: int | None  # the row number Excel shows (1-based, title rows counted)
    column: str | None  # header text as in the file plus the Excel letter, e.g. "得分（D列）"
    message: str  # plain Chinese for a user who knows Excel, not Python
    level: str = ERROR  # ERROR or WARNING
    # what kind of notice it is, for the places that show some kinds first (the upload preview's top):
    # "" for cell and row problems, or one of the TAG_* names below
    tag: str = ""

    def location(self) -> str:
        """"file / sheet / 第n行 / column" with the parts that are unknown shown as "-"."""
        return " / ".join((
            self.file or "-",
            self.sheet or "-",
            f"第{self.row}行" if self.row is not None else "-",
            self.column or "-",
        ))

    def __str__(self) -> str:
        prefix = "【警告】" if self.level == WARNING else ""
        return f"{self.location()}: {prefix}{self.message}"


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_label(header: str | None, index: int) -> str:
    """How messages name a column: "得分（D列）", or "D列" when the column has no header."""
    letter = column_letter(index)
    return f"{header}（{letter}列）" if header else f"{letter}列"


class ProblemList:
    """Mixin for results holding `problems`: the errors and the warnings among them."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]
