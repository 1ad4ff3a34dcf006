"""Excel error values (#REF!, #DIV/0!, #N/A, #VALUE! …) in an .xlsx file.

python-calamine reads an error cell as an empty string, so a failed formula would pass for a blank. The
inspection (limits.inspect) records cells of type "e" while it parses each sheet, and `mark` puts the error
value back into the grid, where the cell parsers report it (data_loaders.cells.excel_error): the sheet,
row and column, and never a number.
"""

from __future__ import annotations

from typing import Any


def mark(grid: list[list[Any]], errors: dict[tuple[int, int], str] | None) -> None:
    """Put each error value back where calamine left an empty cell."""
    for (r, c), code in (errors or {}).items():
        if r < len(grid) and c < len(grid[r]) and grid[r][c] in ("", None):
            grid[r][c] = code
