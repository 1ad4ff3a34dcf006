"""Excel error values (#REF!, #DIV/0!, #N/A, #VALUE! …) in an .xlsx file.

python-calamine reads an error cell as an empty string, so a failed formula would pass for a blank. The
sheets' XML is scanned for cells of type "e" (only when the file has any), and `mark` puts the error
value back into the grid, where the cell parsers report it (data_loaders.cells.excel_error): the sheet,
row and column, and never a number.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from typing import Any

_SHEET = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"|<sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_CELL = re.compile(rb'<c\b([^>]*)>(.*?)</c>', re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _has_errors(zf: zipfile.ZipFile, part: str) -> bool:
    """Whether a sheet's XML has an error cell, read in chunks (a large sheet is never held whole for this)."""
    keep = b""
    with zf.open(part) as fh:
        while chunk := fh.read(1 << 20):
            if b't="e"' in keep + chunk:
                return True
            keep = chunk[-8:]
    return False


def xlsx_errors(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """{sheet name: {(0-based row, 0-based column): "#REF!"}} for every error cell; {} for other files."""
    if not data.startswith(b"PK"):
        return {}
    out: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            workbook = zf.read("xl/workbook.xml")
            rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
            targets = {}
            for m in _REL.finditer(rels):
                rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                t = html.unescape(target.decode("utf-8", "replace")).lstrip("/")
                targets[rid] = t if t.startswith("xl/") else "xl/" + t
            for m in _SHEET.finditer(workbook):
                name, rid = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(4), m.group(3))
                part = targets.get(rid)
                if not part or part not in names:
                    continue
                if not _has_errors(zf, part):
                    continue
                xml = zf.read(part)
                found = {}
                for attrs, body in _CELL.findall(xml):
                    if b't="e"' not in attrs:
                        continue
                    ref, value = _REF.search(attrs), _VALUE.search(body)
                    if ref and value:
                        found[(int(ref.group(2)) - 1, _col(ref.group(1)))] = value.group(1).decode("utf-8", "replace")
                if found:
                    out[html.unescape(name.decode("utf-8", "replace"))] = found
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return {}
    return out


def mark(grid: list[list[Any]], errors: dict[tuple[int, int], str] | None) -> None:
    """Put each error value back where calamine left an empty cell."""
    for (r, c), code in (errors or {}).items():
        if r < len(grid) and c < len(grid[r]) and grid[r][c] in ("", None):
            grid[r][c] = code
