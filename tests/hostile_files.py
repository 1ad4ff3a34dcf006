"""Hostile workbooks generated in memory (small on disk), shared by the reader's and the browser's tests."""

from __future__ import annotations

import io
import zipfile

import openpyxl


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
