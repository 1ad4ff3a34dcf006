"""The PDF of a document: LibreOffice headless converts the very .docx handed out (Debian libreoffice-writer-nogui).

Each conversion runs in its own temporary directory with a private LibreOffice profile
(-env:UserInstallation), so conversions in parallel app sessions never share or lock one profile, under a
timeout ([documents] pdf_timeout_s); a missing `soffice` or a failed run is a DocumentError in Chinese.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from dashboard.core.settings import Documents
from dashboard.documents.docx_kit import DocumentError


def soffice_path(docs: Documents) -> str | None:
    return shutil.which(docs.soffice)


def docx_to_pdf(docx: bytes, docs: Documents) -> bytes:
    """The PDF of a .docx (bytes in, bytes out)."""
    exe = soffice_path(docs)
    if exe is None:
        raise DocumentError(
            f"无法生成 PDF：本机没有找到 LibreOffice（{docs.soffice}）。请安装 Debian 软件包 "
            "libreoffice-writer-nogui，或在 dashboard.toml 的 [documents] soffice 写明其路径；Word 版不受影响。")
    with tempfile.TemporaryDirectory(prefix="dashboard-pdf-") as tmp:
        work = Path(tmp)
        src = work / "document.docx"
        src.write_bytes(docx)
        profile = (work / "profile").as_uri()
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(work), str(src)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=docs.pdf_timeout_s, check=False,
                                  cwd=tmp)
        except subprocess.TimeoutExpired:
            raise DocumentError(f"生成 PDF 超时（超过 {docs.pdf_timeout_s:g} 秒）：请稍后重试，或先下载 Word 版。"
                                ) from None
        except OSError as exc:
            raise DocumentError(f"无法启动 LibreOffice（{exe}）生成 PDF：{exc}") from exc
        out = work / "document.pdf"
        if done.returncode != 0 or not out.is_file():
            detail = (done.stderr or done.stdout or "").strip()[-300:]
            raise DocumentError(f"LibreOffice 未能把文档转换为 PDF（退出码 {done.returncode}）：{detail or '无输出'}")
        return out.read_bytes()
