"""Inspecting a file before any cell is parsed: its size, and the structure a parser would follow, against
configurable limits; what exceeds them, or cannot be inspected, is refused with one Chinese sentence.

A parser allocates each sheet's grid densely (a cell at XFD1048576 alone means 17 billion cells), so every
sheet's extent is established here first, the way the parser will find the sheet, never by a scan of bytes:

- .xlsx: the zip directory (declared sizes, the ratio of each part) and the bytes each part really inflates
  to; `xl/workbook.xml` and its relationships give every sheet's part, wherever it is stored and however
  it is named (matched without regard to case); each part is parsed by a streaming XML parser (expat: no
  DOCTYPE, no entities) that sees every <row> and <c> whatever the quotes and whitespace, counting the rows,
  columns and merged ranges (number and area). A part that several sheets point at counts once per sheet
  (its bytes and its grid), so the work is bounded by what the sheets reference.
- .xls: the compound file's `Workbook` stream, each sheet's BIFF records from where the workbook says the sheet
  starts: the DIMENSIONS record and every cell record's row and column (a lying DIMENSIONS, a cell at column
  65,535), and the merged ranges.
- text (CSV): the number of lines; the width, line length and cell length are bounded by the reader while it
  splits the text (reader._csv_grid), before the grid is built.

Nothing here builds cells, and nothing here uses a regular expression: the work is linear in the bytes the
sheets reference, and the memory one chunk per part. `inspect` also returns what the reader needs from the
package (the Excel error cells, the drop-down sources) so that no other code scans the XML again.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from pyexpat import ExpatError, ParserCreate
from urllib.parse import unquote

from dashboard.core.settings import Limits

XLSX_MAGIC, XLS_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
_CHUNK = 1 << 20
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell's text
MAX_LINE_CHARS = 1 << 20  # one line of a text file (a 200-column row of long texts is well below)
MAX_MERGES = 100_000  # merged ranges of one sheet
_MAX_ERRORS = 100_000  # Excel error cells remembered per sheet (beyond: the rest read as blanks)
_MAX_WORKBOOK_PART = 20 << 20  # workbook.xml and its relationships, inflated
_TOTAL_FACTOR = 2  # all sheets of a workbook together: this many times one sheet's cell limit


class Refused(Exception):
    """The file is refused before parsing; the message (Chinese, one sentence) names the file and the cause."""


class TooLarge(Refused):
    """The file exceeds a limit; the message (Chinese) names the limit and how to split the file."""


class Damaged(Refused):
    """The file's structure cannot be followed (damaged, truncated, or built to mislead a parser)."""


_SPLIT = "请把文件按部门或按表拆成几个较小的文件后分别上传（或请管理员调整 [limits] 设置）。"


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


def size_message(name: str, size: int, limits: Limits) -> str:
    return f"文件“{name}”有 {_mb(size)}，超过单个文件上限 {limits.max_file_mb:g} MB。{_SPLIT}"


def damaged(name: str, what: str) -> Damaged:
    return Damaged(f"未识别出任何数据表：文件“{name}”{what}，可能已损坏或不是真正的 Excel 文件；请用 Excel 打开后另存为 .xlsx 再试。")


@dataclass
class Inspection:
    """What the inspection learnt of a workbook, for the reader: Excel error cells {sheet: {(row, col): "#REF!"}}
    (0-based), the list-type data validations {sheet: [formula]} and the defined names {name: formula}."""

    errors: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    validations: dict[str, list[str]] = field(default_factory=dict)
    defined: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)  # sheet → its part (for messages and tests)


def check(data: bytes, name: str, limits: Limits) -> None:
    """Raise TooLarge (or Damaged) when the file (bytes as received) exceeds a limit; return quietly otherwise."""
    inspect(data, name, limits)


def inspect(data: bytes, name: str, limits: Limits) -> Inspection:
    """check(), returning what was learnt of a workbook (empty for text)."""
    if len(data) > limits.file_bytes():
        raise TooLarge(size_message(name, len(data), limits))
    if data.startswith(XLSX_MAGIC):
        return _Workbook(data, name, limits).inspect()
    if data.startswith(XLS_MAGIC):
        _check_xls(data, name, limits)
        return Inspection()
    _check_text(data, name, limits)
    return Inspection()


def _check_text(data: bytes, name: str, limits: Limits) -> None:
    rows = max(data.count(b"\n"), data.count(b"\r")) + 1  # CR-only line endings count as well
    if rows > limits.max_rows:
        raise TooLarge(f"文件“{name}”约有 {rows:,} 行，超过单张表 {limits.max_rows:,} 行的上限。{_SPLIT}")


def check_extent(name: str, sheet: str | None, rows: int, cols: int, limits: Limits) -> None:
    """Raise TooLarge when one sheet's grid (rows × columns from A1) exceeds the limits."""
    where = f"文件“{name}”的工作表“{sheet}”" if sheet else f"文件“{name}”"
    if rows > limits.max_rows:
        raise TooLarge(f"{where}用到了第 {rows:,} 行，超过单张表 {limits.max_rows:,} 行的上限"
                       f"（若表格下方并无数据，请删除多余的空行或格式后另存）。{_SPLIT}")
    if cols > limits.max_columns:
        raise TooLarge(f"{where}用到了第 {cols:,} 列，超过 {limits.max_columns:,} 列的上限"
                       f"（若右侧并无数据，请删除多余的列或格式后另存）。{_SPLIT}")
    if rows * cols > limits.max_cells:
        raise TooLarge(f"{where}有 {rows:,} 行 × {cols:,} 列，超过 {limits.max_cells:,} 个单元格的上限。{_SPLIT}")


def _check_merges(name: str, sheet: str, count: int, area: int, limits: Limits) -> None:
    if count > MAX_MERGES:
        raise TooLarge(f"文件“{name}”的工作表“{sheet}”有 {count:,} 个合并单元格区域，超过 {MAX_MERGES:,} 个的上限"
                       f"（请取消多余的合并后另存）。{_SPLIT}")
    if area > limits.max_cells:
        raise TooLarge(f"文件“{name}”的工作表“{sheet}”的合并单元格共覆盖 {area:,} 个单元格，超过 {limits.max_cells:,} 个"
                       f"的上限（可能有大量重叠的合并区域，请取消多余的合并后另存）。{_SPLIT}")


def _check_total(name: str, total: int, limits: Limits) -> None:
    cap = limits.max_cells * _TOTAL_FACTOR
    if total > cap:
        raise TooLarge(f"文件“{name}”的各工作表合计有 {total:,} 个单元格，超过整个文件 {cap:,} 个的上限"
                       f"（多张工作表指向同一份数据时按每张表分别计算）。{_SPLIT}")


# --- cell references ----------------------------------------------------------------------------------------

def _column_number(letters: str) -> int:
    """1-based column of "A".."XFD" (any length, any case); 0 when not letters."""
    n = 0
    for ch in letters.upper():
        o = ord(ch) - 64
        if not 1 <= o <= 26:
            return 0
        n = n * 26 + o
    return n


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """(1-based row, 1-based column) of "B12" (whitespace and case ignored; $ allowed); None when unparseable.
    A row number of absurd length counts as beyond any limit."""
    ref = ref.strip().replace("$", "")
    digits_at = len(ref.rstrip("0123456789"))
    letters, digits = ref[:digits_at], ref[digits_at:]
    col = _column_number(letters) if letters else 0
    if not digits:
        return None if not col else (0, col)
    row = int(digits) if len(digits) <= 12 else 10**12
    return row, col


def _range_ref(ref: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    first, _, last = ref.partition(":")
    a = _cell_ref(first)
    b = _cell_ref(last) if last else a
    if a is None or b is None:
        return None
    return a, b


# --- .xlsx ------------------------------------------------------------------------------------------------

_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError,
               OSError, EOFError, KeyError, IndexError, struct.error, OverflowError, UnicodeDecodeError, MemoryError)


def _local(tag: str) -> str:
    return tag.rpartition(":")[2]


def _attr(attrs: dict, local: str) -> str | None:
    """An attribute by its local name, whatever its prefix (r:id, x:ref)."""
    value = attrs.get(local)
    if value is not None:
        return value
    for key, v in attrs.items():
        if key.rpartition(":")[2] == local:
            return v
    return None


# tags inside a cell's inline string (<is><t>…</t><r><rPr>…</rPr><t>…</t></r></is>), unprefixed: none of them
# says anything about the grid, the error cells or the drop-downs
_INLINE_TEXT = frozenset({"is", "t", "r", "rPr", "rFont", "b", "i", "u", "sz", "color", "family", "charset",
                          "scheme", "vertAlign", "strike", "outline", "shadow", "condense", "extend"})


def _no_doctype(*_args) -> None:
    raise ExpatError("DOCTYPE")


def _parser():
    p = ParserCreate()
    p.StartDoctypeDeclHandler = _no_doctype  # no DTD, hence no entity expansion (billion laughs) of any kind
    p.EntityDeclHandler = _no_doctype
    p.buffer_text = True
    p.buffer_size = 1 << 16
    return p


class _Workbook:
    def __init__(self, data: bytes, name: str, limits: Limits) -> None:
        self.data, self.name, self.limits = data, name, limits
        self.cap = limits.uncompressed_bytes()
        self.inflated = 0
        self.result = Inspection()

    def inspect(self) -> Inspection:
        try:
            return self._inspect()
        except Refused:
            raise
        except ExpatError as exc:
            raise damaged(self.name, f"中的 XML 无法解析（{_expat_reason(exc)}）") from None
        except _ZIP_ERRORS as exc:
            raise damaged(self.name, f"压缩包结构异常（{exc.__class__.__name__}）") from None

    def _inspect(self) -> Inspection:
        name, limits = self.name, self.limits
        try:
            book = zipfile.ZipFile(BytesIO(self.data))
            members = book.infolist()
        except _ZIP_ERRORS as exc:
            raise damaged(name, f"不是有效的 .xlsx 压缩包（{exc.__class__.__name__}）") from None
        declared = sum(m.file_size for m in members)
        if declared > self.cap:
            raise TooLarge(f"文件“{name}”解压后有 {_mb(declared)}，超过上限 {limits.max_uncompressed_mb:g} MB"
                           f"（可能是压缩炸弹，或表格过大）。{_SPLIT}")
        for member in members:
            ratio_base = max(member.compress_size, 1)
            if member.file_size > _CHUNK and member.file_size / ratio_base > limits.max_ratio:
                raise TooLarge(f"文件“{name}”中的“{member.filename}”压缩比异常（{member.file_size / ratio_base:,.0f} 倍），"
                               f"不像正常的 Excel 文件，已拒绝读取。")
        self.book = book
        self.by_lower: dict[str, zipfile.ZipInfo] = {}
        for m in members:
            self.by_lower.setdefault(m.filename.replace("\\", "/").lstrip("/").lower(), m)
        workbook = self._find("xl/workbook.xml")
        if workbook is None:
            raise damaged(name, "的压缩包里没有 xl/workbook.xml")
        sheets, defined = self._workbook(workbook)
        self.result.defined = defined
        rels = self._find("xl/_rels/workbook.xml.rels")
        targets = self._rels(rels) if rels is not None else {}
        seen: dict[str, tuple[int, int]] = {}  # part → (rows, columns), each part parsed once
        total = 0
        unplaced = False
        for sheet, rid in sheets:
            target = targets.get(rid or "")
            found = self._candidates(target) if target else []
            for member in found:
                key = member.filename
                if key not in seen:
                    seen[key] = self._worksheet(member, sheet)
                else:  # an alias: its bytes count again, its grid again (below)
                    self._count(member.file_size)
                rows, cols = seen[key]
                check_extent(name, sheet, rows, cols, limits)
                total += rows * cols
                _check_total(name, total, limits)
            if found:
                self.result.parts.setdefault(sheet, found[0].filename)
            else:  # a part this inspection cannot place: every XML part is then inspected as a worksheet
                unplaced = True
        parsed = {workbook.filename, *(m.filename for m in ([rels] if rels is not None else []))}
        for member in members:
            if member.is_dir() or member.filename in seen or member.filename in parsed:
                continue
            lower = member.filename.replace("\\", "/").lstrip("/").lower()
            if lower.startswith("xl/worksheets/") or (unplaced and lower.endswith(".xml")):
                # a worksheet no sheet names: inspected all the same
                seen[member.filename] = self._worksheet(member, posixpath.basename(member.filename))
            else:  # every other part (shared strings, styles …): its real inflated size counts (a directory can lie)
                self._drain(member)
        return self.result

    def _drain(self, member: zipfile.ZipInfo) -> None:
        with self.book.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                self._count(len(chunk))

    def _find(self, path: str) -> zipfile.ZipInfo | None:
        return self.by_lower.get(path.lower())

    def _candidates(self, target: str) -> list[zipfile.ZipInfo]:
        """Every member a parser could take a relationship's target for (relative to xl/, or absolute)."""
        paths = set()
        for t in {target.replace("\\", "/").strip(), unquote(target).replace("\\", "/").strip()}:
            paths |= {t.lstrip("/"), "xl/" + t, posixpath.normpath("xl/" + t), posixpath.normpath(t.lstrip("/"))}
        found = []
        for p in paths:
            m = self._find(p)
            if m is not None and m not in found and not m.is_dir():
                found.append(m)
        return found

    def _count(self, n: int) -> None:
        self.inflated += n
        if self.inflated > self.cap:
            raise TooLarge(f"文件“{self.name}”解压后超过上限 {self.limits.max_uncompressed_mb:g} MB"
                           f"（可能是压缩炸弹、表格过大，或多张工作表指向同一份数据）。{_SPLIT}")

    def _stream(self, member: zipfile.ZipInfo, parser, after_chunk=None) -> None:
        with self.book.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                self._count(len(chunk))
                parser.Parse(chunk, False)
                if after_chunk is not None:
                    after_chunk()
        parser.Parse(b"", True)

    def _small(self, member: zipfile.ZipInfo, start, end=None, text=None) -> None:
        if member.file_size > _MAX_WORKBOOK_PART:
            raise TooLarge(f"文件“{self.name}”中的“{member.filename}”有 {_mb(member.file_size)}，不像正常的 Excel 文件，已拒绝读取。")
        p = _parser()
        p.StartElementHandler = start
        if end is not None:
            p.EndElementHandler = end
        if text is not None:
            p.CharacterDataHandler = text
        self._stream(member, p)

    def _workbook(self, member) -> tuple[list[tuple[str, str | None]], dict[str, str]]:
        sheets: list[tuple[str, str | None]] = []
        defined: dict[str, str] = {}
        current: list = [None, []]

        def start(tag, attrs):
            local = _local(tag)
            if local == "sheet":
                sheets.append((attrs.get("name") or _attr(attrs, "name") or "", _attr(attrs, "id")))
            elif local == "definedName":
                current[0], current[1] = attrs.get("name") or "", []

        def end(tag):
            if current[0] is not None and _local(tag) == "definedName":
                defined[current[0]] = "".join(current[1])[:1000]
                current[0] = None

        def text(data):
            if current[0] is not None and len(current[1]) < 100:
                current[1].append(data)

        self._small(member, start, end, text)
        return sheets, defined

    def _rels(self, member) -> dict[str, str]:
        targets: dict[str, str] = {}

        def start(tag, attrs):
            if _local(tag) == "Relationship" and (attrs.get("TargetMode") or "").lower() != "external":
                rid, target = attrs.get("Id"), attrs.get("Target")
                if rid and target:
                    targets[rid] = target

        self._small(member, start)
        return targets

    def _worksheet(self, member: zipfile.ZipInfo, sheet: str) -> tuple[int, int]:
        """Stream one worksheet part: (rows, columns) of the grid from A1 it makes; the error cells and the
        list validations are remembered for the reader. Every <row> and <c> is seen, whatever its prefix,
        quotes and whitespace; a cell without a reference takes the next column, a row without one the next row."""
        name, limits = self.name, self.limits
        errors: dict[tuple[int, int], str] = {}
        formulas: list[str] = []
        p = _parser()
        capture: list = []  # text being collected: [kind, pieces]
        columns: dict[str, int] = {}  # "AB" → 28: a cell's letters are parsed once per sheet
        row = col = rows = cols = merges = merge_area = 0
        row_text = "0"
        error_at = None
        list_validation = False

        def text(data):
            if capture and sum(len(x) for x in capture[1]) < 2000:
                capture[1].append(data)

        def start(tag, attrs):
            nonlocal row, col, rows, cols, row_text, error_at, merges, merge_area, list_validation
            # the hot path (every cell, every value) first, in as few steps as possible
            if tag == "v":
                if error_at is not None:
                    capture[:] = ["v", []]
                    p.CharacterDataHandler = text
                    p.EndElementHandler = end
                return
            if tag in _INLINE_TEXT:  # an inline string's parts (constant-memory writers): nothing to count
                return
            if tag == "c":
                ref = attrs.get("r")
                if ref is not None and ref.endswith(row_text) and (c := columns.get(ref[:-len(row_text)])) is not None:
                    col = c  # the common case: the cell is in its row, its letters seen before
                elif ref is not None and (cell := _cell_ref(ref)) is not None and cell[0] and cell[1]:
                    r, col = cell
                    letters = ref.rstrip("0123456789")
                    if letters.isalpha() and letters.isupper() and r == row:
                        columns[letters] = col
                    if r != row:
                        row, row_text = r, str(r)
                        rows = max(rows, row)
                else:
                    col += 1
                    if row == 0:
                        row, row_text = 1, "1"
                        rows = max(rows, 1)
                if col > cols:  # noqa: PLR1730 - max() is a call per cell on the hottest path
                    cols = col
                if attrs.get("t") == "e" and len(errors) < _MAX_ERRORS:
                    error_at = (row - 1, col - 1)
                else:
                    error_at = None
                return
            local = tag.rpartition(":")[2]
            if local == "c" or local == "v":
                return start(local, attrs)
            if local == "row":
                ref = attrs.get("r")
                if ref is not None and (ref := ref.strip()).isdigit():
                    row = int(ref) if len(ref) <= 12 else 10**12
                else:
                    row += 1
                row_text = str(row)
                col = 0
                rows = max(rows, row)
            elif local == "mergeCell":
                got = _range_ref(attrs.get("ref") or "")
                if got is not None:
                    (r0, c0), (r1, c1) = got
                    if r0 > r1 or c0 > c1:
                        raise damaged(name, f"的工作表“{sheet}”有前后颠倒的合并单元格区域（{(attrs.get('ref') or '')[:30]}）")
                    merges += 1
                    merge_area += (abs(r1 - r0) + 1) * (abs(c1 - c0) + 1)
                    if merge_area > limits.max_cells or merges > MAX_MERGES:
                        _check_merges(name, sheet, merges, merge_area, limits)
            elif local == "dataValidation":
                list_validation = attrs.get("type") == "list"
            elif local in ("conditionalFormatting", "cfRule", "dataValidations"):
                list_validation = False  # formulas after this point are not a drop-down's source
            elif local in ("formula1", "f") and list_validation:
                capture[:] = ["f", []]
                p.CharacterDataHandler = text
                p.EndElementHandler = end

        def end(tag):
            if not capture:
                return
            local = _local(tag)
            if local == "v" and capture[0] == "v":
                errors[error_at] = "".join(capture[1]).strip()[:20]
            elif local in ("formula1", "f") and capture[0] == "f":
                formulas.append("".join(capture[1]))
            else:
                return
            capture.clear()
            p.CharacterDataHandler = None
            p.EndElementHandler = None  # called only while a text is being collected

        p.StartElementHandler = start

        def after_chunk():
            check_extent(name, sheet, rows, cols, limits)
            _check_merges(name, sheet, merges, merge_area, limits)

        self._stream(member, p, after_chunk)
        after_chunk()
        if errors:
            self.result.errors.setdefault(sheet, errors)
        if formulas:
            self.result.validations.setdefault(sheet, formulas)
        return rows, cols


def _expat_reason(exc: ExpatError) -> str:
    if str(exc) == "DOCTYPE":
        return "含有 DOCTYPE 声明，已拒绝"
    return f"第 {getattr(exc, 'lineno', '?')} 行附近格式错误"


# --- .xls (OLE2 compound file, BIFF records) ----------------------------------------------------------

_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
_CELL_RECORDS = {0x0203, 0x0204, 0x00FD, 0x027E, 0x0201, 0x0205, 0x0006, 0x00D6,  # BIFF5/8 cells
                 0x0406, 0x0206}  # FORMULA of BIFF4/3
_MULTI_RECORDS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column … last column
_BOF = {0x0809, 0x0409, 0x0209, 0x0009}
_EOF, _DIMENSIONS, _ROW, _MERGED, _BOUNDSHEET = 0x000A, 0x0200, 0x0208, 0x00E5, 0x0085
_HH = struct.Struct("<HH")


def _check_xls(data: bytes, name: str, limits: Limits) -> None:
    try:
        stream = _workbook_stream(data, name, limits)
        _check_biff(stream, name, limits)
    except Refused:
        raise
    except (struct.error, IndexError, ValueError, OverflowError, MemoryError, UnicodeDecodeError) as exc:
        raise damaged(name, f"的 .xls 结构异常（{exc.__class__.__name__}）") from None


def _workbook_stream(data: bytes, name: str, limits: Limits) -> bytes:
    """The `Workbook` (BIFF8) or `Book` (BIFF5) stream of an OLE2 compound file, following its sector chains
    with every loop and out-of-range sector refused."""
    if len(data) < 512:
        raise damaged(name, "不完整（不足一个 .xls 文件头）")
    sector_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise damaged(name, "的 .xls 文件头异常")
    size = 1 << sector_shift
    n_sectors = (len(data) - 512 + size - 1) // size + 1
    (n_fat, first_dir, _x, cutoff, first_minifat, _n_minifat, first_difat, n_difat) = struct.unpack_from(
        "<IIIIIIII", data, 0x2C)

    def sector(i: int) -> bytes:
        if i >= n_sectors:
            raise damaged(name, "的扇区编号超出文件范围")
        start = (i + 1) << sector_shift
        return data[start:start + size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    seen_difat = set()
    d = first_difat
    while d not in (_FREE, _END_OF_CHAIN) and len(seen_difat) <= n_difat:
        if d in seen_difat:
            raise damaged(name, "的扇区链有循环")
        seen_difat.add(d)
        entries = struct.unpack(f"<{size // 4}I", sector(d))
        difat.extend(entries[:-1])
        d = entries[-1]
    fat: list[int] = []
    for s in difat[:max(n_fat, 0)]:
        if s in (_FREE, _END_OF_CHAIN):
            continue
        fat.extend(struct.unpack(f"<{size // 4}I", sector(s)))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out, seen = [], set()
        i = start
        while i not in (_FREE, _END_OF_CHAIN):
            if i in seen or i >= len(table) or len(out) > limit:
                raise damaged(name, "的扇区链有循环或越界")
            seen.add(i)
            out.append(i)
            i = table[i]
        return out

    directory = b"".join(sector(s) for s in chain(first_dir, fat, n_sectors))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 0x40)[0]
        entry_name = directory[off:off + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        kind = directory[off + 0x42]
        start, length = struct.unpack_from("<IQ", directory, off + 0x74)
        if sector_shift == 9:
            length &= 0xFFFFFFFF
        entries.append((entry_name, kind, start, length))
    if not entries:
        raise damaged(name, "的 .xls 目录是空的")
    root = entries[0]
    found = [e for e in entries if e[1] == 2 and e[0].lower() in ("workbook", "book")]
    if not found:
        if any(e[0] in ("EncryptedPackage", "EncryptionInfo") for e in entries):
            raise Damaged(f"未识别出任何数据表：文件“{name}”设有打开密码（已加密）。请在 Excel 中取消密码后另存，再上传。")
        raise damaged(name, "是 OLE2 文件，但里面没有工作簿数据（Workbook）")
    _entry, _kind, start, length = found[0]
    if length > limits.uncompressed_bytes() or length > len(data) * 2 + (1 << 20):
        raise damaged(name, "声明的数据长度与文件大小不符")
    if length >= cutoff:
        body = b"".join(sector(s) for s in chain(start, fat, n_sectors))
    else:  # a small workbook lives in the mini stream
        minifat: list[int] = []
        for s in chain(first_minifat, fat, n_sectors):
            minifat.extend(struct.unpack(f"<{size // 4}I", sector(s)))
        ministream = b"".join(sector(s) for s in chain(root[2], fat, n_sectors))
        pieces = []
        for s in chain(start, minifat, len(minifat)):
            pieces.append(ministream[s << mini_shift:(s + 1) << mini_shift])
        body = b"".join(pieces)
    if len(body) < length:
        raise damaged(name, "不完整（数据被截断）")
    return body[:length]


def _check_biff(stream: bytes, name: str, limits: Limits) -> None:
    """Walk the globals, then each sheet from the offset its BOUNDSHEET record gives (where a parser reads it)."""
    sheets: list[tuple[int, str]] = []
    pos = 0
    n = len(stream)
    biff8 = True
    while pos + 4 <= n:
        rid, length = _HH.unpack_from(stream, pos)
        body = pos + 4
        if rid == _BOF and length >= 4 and pos == 0:
            biff8 = struct.unpack_from("<H", stream, body)[0] == 0x0600
        elif rid == _BOUNDSHEET and length >= 6:
            offset = struct.unpack_from("<I", stream, body)[0]
            label = _sheet_label(stream, body + 6, length - 6, biff8) or f"第 {len(sheets) + 1} 张"
            sheets.append((offset, label))
        elif rid == _EOF:
            break
        pos = body + length
    total = 0
    for offset, label in sheets:
        rows, cols = _biff_sheet(stream, offset, name, label, limits)
        total += rows * cols
        _check_total(name, total, limits)


def _sheet_label(stream: bytes, at: int, length: int, biff8: bool) -> str:
    try:
        if length < 1:
            return ""
        count = stream[at]
        if biff8 and length >= 2:
            flags = stream[at + 1]
            raw = stream[at + 2:at + 2 + count * (2 if flags & 1 else 1)]
            return raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")[:100]
        return stream[at + 1:at + 1 + count].decode("gbk", "replace")[:100]
    except IndexError:
        return ""


def _biff_sheet(stream: bytes, pos: int, name: str, sheet: str, limits: Limits) -> tuple[int, int]:
    rows = cols = merges = merge_area = 0
    n = len(stream)
    unpack = _HH.unpack_from
    first = True
    while pos + 4 <= n:
        rid, length = unpack(stream, pos)
        body = pos + 4
        pos = body + length
        if first:
            first = False
            if rid not in _BOF:
                break  # not a sheet where the workbook says: a parser finds no cells there
            continue
        if rid in _CELL_RECORDS:
            if length >= 4:
                r, c = unpack(stream, body)
                if r >= rows:
                    rows = r + 1
                if c >= cols:
                    cols = c + 1
        elif rid in _MULTI_RECORDS:
            if length >= 6:
                r, c0 = unpack(stream, body)
                last = struct.unpack_from("<H", stream, body + length - 2)[0]
                if c0 > last:
                    raise damaged(name, f"的工作表“{sheet}”第 {r + 1:,} 行的单元格记录前后颠倒")
                rows, cols = max(rows, r + 1), max(cols, last + 1)
        elif rid == _ROW:
            if length >= 6:
                r, _c0 = unpack(stream, body)
                last = struct.unpack_from("<H", stream, body + 4)[0]
                rows, cols = max(rows, r + 1), max(cols, last)
        elif rid == _DIMENSIONS:
            if length >= 14:
                r0, r1, c0, c1 = struct.unpack_from("<IIHH", stream, body)
            elif length >= 8:
                r0, r1, c0, c1 = struct.unpack_from("<HHHH", stream, body)
            else:
                continue
            if r0 > r1 or c0 > c1:  # a parser computing last − first would wrap around to an enormous grid
                raise damaged(name, f"的工作表“{sheet}”的尺寸记录（DIMENSIONS）前后颠倒")
            rows, cols = max(rows, r1), max(cols, c1)
        elif rid == _MERGED:
            if length >= 2:
                count = struct.unpack_from("<H", stream, body)[0]
                for k in range(min(count, (length - 2) // 8)):
                    r0, r1, c0, c1 = struct.unpack_from("<HHHH", stream, body + 2 + 8 * k)
                    if r0 > r1 or c0 > c1:
                        raise damaged(name, f"的工作表“{sheet}”有前后颠倒的合并单元格区域")
                    merges += 1
                    merge_area += (abs(r1 - r0) + 1) * (abs(c1 - c0) + 1)
                _check_merges(name, sheet, merges, merge_area, limits)
        elif rid == _EOF:
            break
        if rows > limits.max_rows or cols > limits.max_columns:
            break
    check_extent(name, sheet, rows, cols, limits)
    return rows, cols
