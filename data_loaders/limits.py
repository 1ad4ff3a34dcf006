"""Inspecting a file before any cell is parsed: its size, a workbook's zip directory, the real uncompressed
bytes and the sheet extent, against configurable limits; what exceeds them is refused with a Chinese sentence.

A workbook's cell grid is allocated densely by the parser (a cell at XFD1048576 alone means 17 billion
cells), so the extent is found first by streaming each worksheet's XML through zlib, counting the bytes
it really inflates to (a zip directory can lie) and stopping at the first limit crossed. Nothing here
builds cells: memory stays at one chunk per member.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from dashboard.core.settings import Limits

XLSX_MAGIC, XLS_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
_CHUNK = 1 << 20
_TAIL = 64  # bytes kept between chunks so a cell reference split across two chunks is still seen


class TooLarge(Exception):
    """The file exceeds a limit; the message (Chinese) names the limit and how to split the file."""


_SPLIT = "请把文件按部门或按表拆成几个较小的文件后分别上传（或请管理员调整 [limits] 设置）。"


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


def size_message(name: str, size: int, limits: Limits) -> str:
    return f"文件“{name}”有 {_mb(size)}，超过单个文件上限 {limits.max_file_mb:g} MB。{_SPLIT}"


def check(data: bytes, name: str, limits: Limits) -> None:
    """Raise TooLarge when the file (bytes as received) exceeds a limit; return quietly otherwise."""
    if len(data) > limits.file_bytes():
        raise TooLarge(size_message(name, len(data), limits))
    if data.startswith(XLSX_MAGIC):
        _check_workbook(data, name, limits)
    elif not data.startswith(XLS_MAGIC):  # .xls (OLE2) cells are bounded by the format; CSV / text:
        _check_text(data, name, limits)


def _check_text(data: bytes, name: str, limits: Limits) -> None:
    rows = data.count(b"\n") + 1
    if rows > limits.max_rows:
        raise TooLarge(f"文件“{name}”约有 {rows:,} 行，超过单张表 {limits.max_rows:,} 行的上限。{_SPLIT}")


_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,7})"')
_WIDE_REF = re.compile(rb'r="[A-Z]{2,3}\d')  # only sheets with columns beyond Z pay for the full column scan


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _check_workbook(data: bytes, name: str, limits: Limits) -> None:
    try:
        book = zipfile.ZipFile(BytesIO(data))
        members = book.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a readable zip: the reader says so in its own words
    declared = sum(m.file_size for m in members)
    cap = limits.uncompressed_bytes()
    if declared > cap:
        raise TooLarge(f"文件“{name}”解压后有 {_mb(declared)}，超过上限 {limits.max_uncompressed_mb:g} MB"
                       f"（可能是压缩炸弹，或表格过大）。{_SPLIT}")
    inflated = 0
    for member in members:
        if member.is_dir():
            continue
        ratio_base = max(member.compress_size, 1)
        if member.file_size > _CHUNK and member.file_size / ratio_base > limits.max_ratio:
            raise TooLarge(f"文件“{name}”中的“{member.filename}”压缩比异常（{member.file_size / ratio_base:,.0f} 倍），"
                           f"不像正常的 Excel 文件，已拒绝读取。")
        sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
        inflated = _scan_member(book, member, name, limits, inflated, cap, sheet)


def _scan_member(book: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, limits: Limits, inflated: int,
                 cap: int, sheet: bool) -> int:
    """Inflate one part chunk by chunk, counting bytes against the cap; for a worksheet, track its extent."""
    max_row = max_col = 0
    wide = False
    tail = b""
    try:
        with book.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                inflated += len(chunk)
                if inflated > cap:
                    raise TooLarge(f"文件“{name}”解压后超过上限 {limits.max_uncompressed_mb:g} MB"
                                   f"（可能是压缩炸弹，或表格过大）。{_SPLIT}")
                if not sheet:
                    continue
                text = tail + chunk
                max_row, max_col, wide = _extent(text, max_row, max_col, wide, limits)
                _check_extent(name, member.filename, max_row, max_col, limits)
                tail = text[-_TAIL:]
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        return inflated  # damaged or encrypted part: the reader reports it
    return inflated


def _extent(text: bytes, max_row: int, max_col: int, wide: bool, limits: Limits) -> tuple[int, int, bool]:
    # rows come in ascending order (ECMA-376 §18.3.1.73): the last row reference of a chunk is its highest
    last_row = text.rfind(b"<row ")
    if last_row < 0:
        last_row = text.rfind(b":row ")
    if last_row >= 0:
        m = _ROW_REF.search(text, max(0, last_row - 4))
        if m:
            max_row = max(max_row, int(m.group(1)))
    if wide or _WIDE_REF.search(text):
        wide = True
        for m in _CELL_REF.finditer(text):
            max_col = max(max_col, _column_number(m.group(1)))
            max_row = max(max_row, int(m.group(2)))
    # else every column is A–Z: the grid is at most 26 wide and max_rows bounds it
    return max_row, max_col, wide


def _check_extent(name: str, part: str, rows: int, cols: int, limits: Limits) -> None:
    sheet = part.rsplit("/", 1)[-1].removesuffix(".xml")
    if rows > limits.max_rows:
        raise TooLarge(f"文件“{name}”的工作表（{sheet}）用到了第 {rows:,} 行，超过单张表 {limits.max_rows:,} 行的上限"
                       f"（若表格下方并无数据，请删除多余的空行或格式后另存）。{_SPLIT}")
    if cols > limits.max_columns:
        raise TooLarge(f"文件“{name}”的工作表（{sheet}）用到了第 {cols:,} 列，超过 {limits.max_columns:,} 列的上限"
                       f"（若右侧并无数据，请删除多余的列或格式后另存）。{_SPLIT}")
    if rows * cols > limits.max_cells:
        raise TooLarge(f"文件“{name}”的工作表（{sheet}）有 {rows:,} 行 × {cols:,} 列，超过 {limits.max_cells:,} 个单元格"
                       f"的上限。{_SPLIT}")
