"""QR codes of the app's own pages (segno): the sidebar's 手机扫码打开本页 and the brief's code of the live department
page, so a paper brief opens the page on a phone."""

from __future__ import annotations

import functools
import io
import urllib.parse

import segno

MAX_LINK = 1500  # characters: a longer address makes a code too dense to scan from paper or a screen


@functools.lru_cache(maxsize=64)  # drawn on every rerun of every page: encode each address once
def qr_png(link: str, scale: int = 5) -> bytes:
    """The QR code of `link` as PNG bytes (error correction M, as phones read from paper and screens)."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def department_link(base: str, department: str, year: int, fund: str | None = None) -> str | None:
    """The address of 部门画像 for one department (its 编码, else its id), year and fund source, under `base` (the
    app's address, e.g. https://jxjc.example.gov.cn or https://host/prefix); None without a usable http(s) base."""
    parts = urllib.parse.urlsplit(base.strip()) if base else None
    if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = [("dept", department), ("year", str(year))] + ([("fund", fund)] if fund else [])
    path = parts.path.rstrip("/") + "/department"
    link = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, urllib.parse.urlencode(query), ""))
    return link if len(link) <= MAX_LINK else None
