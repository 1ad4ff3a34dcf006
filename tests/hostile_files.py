"""Hostile workbooks generated in memory (small on disk), shared by the reader's and the browser's tests."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]


def sparse_corner() -> bytes:
    """About 5 KB: cells only at A1 and XFD1048576, which a dense parser turns into 17 billion cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "项目名称"
    ws["XFD1048576"] = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zip_bomb(megabytes: int = 1000) -> bytes:
    """About 1 MB on disk that inflates to `megabytes` MB of worksheet XML (blank space)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b"<worksheet><sheetData>")
            block = b" " * (1 << 20)
            for _ in range(megabytes):
                f.write(block)
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


# --- round three (issue 23): hand-built packages that walk around a byte scan ------------------------------

_CT = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       b'<Default Extension="xml" ContentType="application/xml"/><Default Extension="XML" ContentType="application/xml"/>'
       b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
       b'spreadsheetml.sheet.main+xml"/></Types>')
_ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
              b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
              b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R_NS = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_WS_TYPE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def package(sheets: list[tuple[str, str]], parts: dict[str, bytes], *, workbook_extra: bytes = b"",
            sheet_attrs: bytes = b"") -> bytes:
    """A minimal .xlsx: `sheets` are (sheet name, target of its relationship, relative to xl/) and `parts` the
    bytes of each zip member beyond the package's own (path → content)."""
    entries = b"".join(b'<sheet name="%s" sheetId="%d" %s r:id="rId%d"/>' % (n.encode(), i + 1, sheet_attrs, i + 1)
                       for i, (n, _t) in enumerate(sheets))
    workbook = (b'<?xml version="1.0" encoding="UTF-8"?><workbook %s %s><sheets>%s</sheets>%s</workbook>'
                % (_NS, _R_NS, entries, workbook_extra))
    rels = b"".join(b'<Relationship Id="rId%d" Type="%s" Target="%s"/>' % (i + 1, _WS_TYPE, t.encode())
                    for i, (_n, t) in enumerate(sheets))
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships">%s</Relationships>' % rels)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        for path, content in parts.items():
            z.writestr(path, content)
    return out.getvalue()


def worksheet(body: bytes, extra: bytes = b"") -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?><worksheet %s><sheetData>%s</sheetData>%s</worksheet>' % (
        _NS, body, extra)


_CORNER = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe9\xa1\xb9\xe7\x9b\xae\xe5\x90\x8d\xe7\xa7\xb0</t></is></c></row>'
           b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def corner_outside_worksheets() -> bytes:
    """The corner cell in a sheet part stored at xl/data/grid.xml (not under xl/worksheets/)."""
    return package([("项目", "data/grid.xml")], {"xl/data/grid.xml": worksheet(_CORNER)})


def corner_upper_case_name() -> bytes:
    """The corner cell in xl/worksheets/SHEET1.XML."""
    return package([("项目", "worksheets/SHEET1.XML")], {"xl/worksheets/SHEET1.XML": worksheet(_CORNER)})


def corner_single_quotes() -> bytes:
    """The corner cell referenced in single quotes: r='XFD1048576'."""
    body = _CORNER.replace(b'r="1048576"', b"r='1048576'").replace(b'r="XFD1048576"', b"r='XFD1048576'")
    return package([("项目", "worksheets/sheet1.xml")], {"xl/worksheets/sheet1.xml": worksheet(body)})


def newline_in_row_tag(rows: int = 1_048_576) -> bytes:
    """A newline after the tag name (<row\\nr="1048576">) and 26 columns: the last row is far below the limit."""
    body = (b'<row r="1"><c r="A1"><v>1</v></c><c r="Z1"><v>1</v></c></row>'
            b'<row\nr="%d"><c\nr="A%d"><v>1</v></c><c\tr="Z%d"><v>1</v></c></row>' % (rows, rows, rows))
    return package([("项目", "worksheets/sheet1.xml")], {"xl/worksheets/sheet1.xml": worksheet(body)})


def lying_dimension() -> bytes:
    """One cell, and a <dimension> claiming the whole sheet."""
    body = b'<row r="1"><c r="A1"><v>1</v></c></row>'
    part = worksheet(body).replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
    return package([("项目", "worksheets/sheet1.xml")], {"xl/worksheets/sheet1.xml": part})


def aliased_sheets(sheets: int = 200, rows: int = 100_000) -> bytes:
    """`sheets` sheets whose relationships all point at one part of `rows` rows × 3 columns."""
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>1</v></c><c r="C%d"><v>2</v></c></row>'
                    % (r, r, r, r, r) for r in range(1, rows + 1))
    return package([(f"表{i}", "worksheets/sheet1.xml") for i in range(sheets)],
                   {"xl/worksheets/sheet1.xml": worksheet(body)})


def overlapping_merges(merges: int = 5000, rows: int = 300) -> bytes:
    """A small sheet with `merges` identical merged ranges covering it (A1:Z`rows`)."""
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r) for r in range(1, rows + 1))
    body += b'<row r="%d"><c r="Z%d"><v>1</v></c></row>' % (rows + 1, rows + 1)
    extra = b'<mergeCells count="%d">%s</mergeCells>' % (merges, b'<mergeCell ref="A1:Z%d"/>' % rows * merges)
    return package([("项目", "worksheets/sheet1.xml")], {"xl/worksheets/sheet1.xml": worksheet(body, extra)})


def quadratic_workbook(repeats: int = 1000) -> bytes:
    """A few KB on disk: the workbook's XML carries `repeats` unfinished <sheet name="a" tags and a sheet's
    XML 20 × as many <dataValidation> openings, in CDATA sections an XML parser skips; backtracking regular
    expressions over those bytes take minutes."""
    junk = b"<extLst><ext uri=\"x\"><![CDATA[%s]]></ext></extLst>"
    one = worksheet(b'<row r="1"><c r="A1"><v>1</v></c></row>')
    return package([("项目", "worksheets/sheet1.xml"), ("清单", "worksheets/sheet2.xml")],
                   {"xl/worksheets/sheet1.xml": one,
                    "xl/worksheets/sheet2.xml": worksheet(b'<row r="1"><c r="A1"><v>1</v></c></row>',
                                                          junk % (b"<dataValidation>" * repeats * 20))},
                   workbook_extra=junk % (b'<sheet name="a" ' * repeats))


# --- .xls: a small workbook written by xlwt, its BIFF records patched in place ---------------------------------

def _xls_records(data: bytes):
    """(offset in the file, record id, length) of the Workbook stream's records; xlwt writes the stream in one
    run of sectors right after the 512-byte header."""
    import struct
    pos, out = 512, []
    end = 512 + 4096
    while pos + 4 <= end:
        rid, length = struct.unpack_from("<HH", data, pos)
        out.append((pos, rid, length))
        if rid == 0x000A and len([r for r in out if r[1] == 0x000A]) == 2:
            break
        pos += 4 + length
    return out


def small_xls() -> bytes:
    """About 5 KB: one sheet 项目 with a header and one row (BIFF8, written by xlwt)."""
    import xlwt
    wb = xlwt.Workbook()
    ws = wb.add_sheet("项目")
    for c, h in enumerate(("项目名称", "主管部门", "调整后预算")):
        ws.write(0, c, h)
    for c, v in enumerate(("校舍维修", "区教育局", 120.5)):
        ws.write(1, c, v)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _patched_xls(patch) -> bytes:
    data = bytearray(small_xls())
    for pos, rid, length in _xls_records(bytes(data)):
        patch(data, pos + 4, rid, length)
    return bytes(data)


def xls_lying_dimensions() -> bytes:
    """A DIMENSIONS record claiming 16,777,215 rows × 65,535 columns over two rows of cells."""
    import struct

    def patch(data, body, rid, length):
        if rid == 0x0200 and length == 14:
            struct.pack_into("<IIHH", data, body, 0, 0xFFFFFF, 0, 0xFFFF)
    return _patched_xls(patch)


def xls_reversed_dimensions() -> bytes:
    """A DIMENSIONS record whose first row (1,107,296,256) lies after its last (found by the fuzzing: a parser
    computing last − first wraps around and asks for an enormous grid)."""
    import struct

    def patch(data, body, rid, length):
        if rid == 0x0200 and length == 14:
            struct.pack_into("<II", data, body, 0x42000000, 0x242)
    return _patched_xls(patch)


def xls_far_column() -> bytes:
    """The data row's first cell moved to column 65,535 (the record's field allows it, the format does not)."""
    import struct
    done = []

    def patch(data, body, rid, length):
        if rid in (0x00FD, 0x0204) and not done and struct.unpack_from("<H", data, body)[0] == 1:
            struct.pack_into("<H", data, body + 2, 0xFFFF)
            done.append(1)
    return _patched_xls(patch)


def xls_panicking_sheet_position() -> bytes:
    """The BOUNDSHEET record's position of the sheet in the stream (lbPlyPos) with its low two bytes set to
    ff 7f, past the end of the stream: calamine 0.37 panics (xls.rs:606, "range start index 32767 out of range
    for slice of length 4096") instead of returning an error. The same bytes as mutant 355 of seed 23 (bench
    fuzz_reader, mutant(23, 355)), built here so that a change to the template does not lose it."""

    def patch(data, body, rid, length):
        if rid == 0x0085:
            data[body:body + 2] = b"\xff\x7f"
    return _patched_xls(patch)


def xls_format_corner() -> bytes:
    """A cell at the format's corner (row 65,536, column IV): a 65,536 × 256 grid, 16.7 million cells."""
    import struct
    done = []

    def patch(data, body, rid, length):
        if rid in (0x00FD, 0x0204) and not done and struct.unpack_from("<H", data, body)[0] == 1:
            struct.pack_into("<HH", data, body, 0xFFFF, 0xFF)
            done.append(1)
    return _patched_xls(patch)


# --- CSV ----------------------------------------------------------------------------------------------------

HEADER = "项目名称,主管部门,调整后预算"


def csv_wide(columns: int = 200_000, rows: int = 50_000) -> bytes:
    """About 450 KB: a first line of `columns` fields, then `rows` short lines; padded to one width, the grid is
    10 billion cells."""
    return HEADER.encode() + b"," * (columns - 3) + b"\n" + b"x,y,1\n" * rows


def csv_square(n: int = 5_004, m: int = 5_001) -> bytes:
    """`m` lines of `n` one-character fields (25 million cells)."""
    return (b"1," * (n - 1) + b"1\n") * m


def csv_long_line(chars: int = 10_000_000) -> bytes:
    """The header, then one line of `chars` characters of short fields (x,x,x…)."""
    return (HEADER + "\n").encode() + b"x," * (chars // 2) + b"\n"


def csv_commas(chars: int = 49_000_000) -> bytes:
    """The header, then one line of `chars` commas (49 MB: within the 50 MB file limit): split into fields
    before any check, a list of 49 million empty fields (600 MB and more)."""
    return (HEADER + "\n").encode() + b"," * chars + b"\n"


def csv_joined(lines: int = 48, chars: int = 1_000_000) -> bytes:
    """The header, then `lines` lines of `chars` commas, each below the 1 MiB line limit, joined into one row
    of 48 million fields by quoted newlines ("\n" fields): a bound on physical lines alone does not see it."""
    return (HEADER + "\n").encode() + b'"\n"'.join([b"," * chars] * lines) + b"\n"


def csv_long_field(chars: int = 200_000) -> bytes:
    """The header and one row whose 项目名称 has `chars` characters."""
    return (HEADER + "\n" + "长" * chars + ",区教育局,1\n").encode()


def csv_cr_only(rows: int = 10) -> bytes:
    """A valid file of `rows` projects whose lines end with CR alone (old Mac line endings)."""
    lines = [HEADER] + [f"项目{i},区教育局,{i}" for i in range(rows)]
    return "\r".join(lines).encode("utf-8") + b"\r"


def csv_utf16_no_bom(rows: int = 10) -> bytes:
    lines = [HEADER] + [f"项目{i},区教育局,{i}" for i in range(rows)]
    return "\r\n".join(lines).encode("utf-16-le")


# --- mutation fuzzing (tests/data_loaders/test_safe_reading.py a few dozen, bench/fuzz_reader.py hundreds) -----

_TOKENS = [b' r="XFD1048576"', b" r='A999999'", b'<row r="1048576">', b'<c r="ZZZZ1" t="e"><v>#REF!</v></c>',
           b'<mergeCell ref="A1:XFD1048576"/>', b'<mergeCell ref="C3:A1"/>', b"<!DOCTYPE x>", b"&#0;", b"\xff\xfe", b'<dimension ref="A1:XFD1"/>',
           b"99999999999999999999", b"-1", b"<sheetData>", b"</row>", b't="s"', b'<v>4294967295</v>']


def _mutate_bytes(data: bytes, rng) -> bytes:
    out = bytearray(data)
    how = rng.randrange(5)
    if how == 0:  # flip a few bytes
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif how == 1:  # truncate
        del out[rng.randrange(1, len(out)):]
    elif how == 2:  # delete a range
        i = rng.randrange(len(out))
        del out[i:i + rng.randint(1, 64)]
    elif how == 3:  # duplicate a range
        i = rng.randrange(len(out))
        j = min(len(out), i + rng.randint(1, 256))
        out[i:i] = out[i:j] * rng.randint(1, 20)
    else:  # an interesting 16/32-bit value somewhere
        i = rng.randrange(max(1, len(out) - 4))
        out[i:i + 2] = rng.choice([b"\xff\xff", b"\x00\x00", b"\xff\x7f", b"\x00\x80"])
    return bytes(out)


def _mutate_xlsx(data: bytes, rng) -> bytes:
    """Mutate one part's XML (inflated), then zip again: the mutation reaches the XML parsers."""
    src = zipfile.ZipFile(io.BytesIO(data))
    infos = src.infolist()
    target = rng.choice([i for i in infos if i.filename.endswith(".xml")] or infos)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            body = src.read(info)
            if info is target:
                if rng.random() < 0.5:
                    i = rng.randrange(len(body) + 1)
                    body = body[:i] + rng.choice(_TOKENS) + body[i:]
                else:
                    body = _mutate_bytes(body, rng)
            z.writestr(info.filename, body)
    return out.getvalue()


def _mutate_xls(data: bytes, rng) -> bytes:
    out = bytearray(data)
    records = _xls_records(data)
    pos, _rid, length = rng.choice(records)
    if length and rng.random() < 0.7:  # a field of one record
        i = pos + 4 + rng.randrange(length)
        out[i:i + 2] = rng.choice([b"\xff\xff", b"\x00\x00", b"\xff\x7f", b"\x00\x80", bytes([rng.randrange(256)] * 2)])
        return bytes(out[:len(data)])
    return _mutate_bytes(data, rng)


def mutants(seed: int, count: int):
    """`count` (name, bytes) mutants, alternately of the template .xlsx and of small_xls(), from `seed`."""
    import random

    from data_loaders.template import build_template
    rng = random.Random(seed)
    xlsx, xls = build_template(), small_xls()
    for k in range(count):
        if k % 2:
            yield f"mutant{k}.xls", _mutate_xls(xls, rng)
        elif rng.random() < 0.75:
            yield f"mutant{k}.xlsx", _mutate_xlsx(xlsx, rng)
        else:
            yield f"mutant{k}.xlsx", _mutate_bytes(xlsx, rng)


def mutant(seed: int, k: int) -> bytes:
    """Mutant `k` of mutants(seed, …) (bench/fuzz_reader.py's run with that seed). Its bytes depend on the
    template's as well: a mutant worth keeping gets a builder of its own (xls_panicking_sheet_position)."""
    for i, (_name, data) in enumerate(mutants(seed, k + 1)):
        if i == k:
            return data
    raise ValueError(k)


# --- the command line in a fresh interpreter, measured ------------------------------------------------------------

_CLI_SCRIPT = """
import contextlib, io, json, re, resource, sys, time
from dashboard.cli import main
runs = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    runs.append([code, time.perf_counter() - t, err.getvalue()])
own = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"runs": runs, "own_mb": own, "children_mb": children}))
"""


def cli_runs(argvs: list[list[str]], *, env: dict[str, str] | None = None, timeout: float = 300) -> dict:
    """Each argument list through dashboard.cli.main, one after another in one fresh interpreter: {"runs":
    [[exit code, seconds, stderr], …], "own_mb": that interpreter's peak memory, "children_mb": the largest
    peak of the children it forked to read files}. Its own peak is VmHWM: ru_maxrss survives exec on Linux
    and would report the pytest worker's size at the fork. A child's ru_maxrss starts from the size of the
    process it was forked from, which is this interpreter's, not pytest's."""
    done = subprocess.run([sys.executable, "-c", _CLI_SCRIPT, json.dumps(argvs)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
