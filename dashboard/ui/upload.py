"""The upload page's calls into ingestion: read each file once (cached by content), import what the preview read, list and undo batches.

Every uploaded file is parsed once per content hash and fallback year/date: the preview shows that
parse and the import writes exactly it (data_loaders.importer.import_results), so a file is never
read twice and what was checked is what gets written. Frames here carry Chinese headers for display.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.ui import fmt
from dashboard.vocab import BATCH_COMMITTED, BATCH_SOURCE_LABELS, BATCH_STATUS_LABELS, TABLE_LABELS
from data_loaders import importer, isolated, reader, schema, template
from data_loaders.problems import WARNING

TEMPLATE_FILE = "预算绩效数据模板.xlsx"
build_template = template.build_template  # called by the download button only when clicked
READ_CACHE_ENTRIES = 16  # parsed files kept (several MB each for large sheets)
READ_CACHE_TTL = 900  # seconds: long enough to look at a preview and press 导入

Read = tuple[str, str, reader.FileResult]  # (file name, sha256 of its bytes, what the reader made of it)


@st.cache_data(max_entries=READ_CACHE_ENTRIES, ttl=READ_CACHE_TTL, show_spinner="正在读取文件……")
def _read(name: str, sha256: str, year: int | None, as_of: dt.date | None, _raw: bytes) -> reader.FileResult:
    """reader.read_file of one upload in a child process (a parser crash is one error for this file, never the
    server's end), keyed on its content hash (the bytes themselves are not hashed again).

    st.cache_data hands every caller its own copy, so the importer may change the tables it is given.
    """
    return isolated.read_file_isolated(_raw, name, year=year, as_of=as_of)


def read_uploads(payload: list[tuple[str, bytes]], year: int | None, as_of: dt.date | None) -> list[Read]:
    """Each uploaded (name, bytes) read once; the same list goes to `run_import`."""
    reads = []
    for name, raw in payload:
        sha = hashlib.sha256(raw).hexdigest()
        reads.append((name, sha, _read(name, sha, year, as_of, raw)))
    return reads


def run_import(url: str, reads: list[Read], *, dry_run: bool,
               progress: Callable[[float, str], None] | None = None) -> importer.ImportResult:
    """Link, check and write (or only check) the files as read for the preview, as one batch."""
    return importer.import_results(url, reads, dry_run=dry_run, user="web", progress=progress)


def problems_frame(problems) -> pd.DataFrame:
    """One row per problem, where a user finds it in Excel: 级别, 文件, 工作表, 行, 列, 说明."""
    return pd.DataFrame([{"级别": "警告" if p.level == WARNING else "错误",
                          "文件": p.file, "工作表": p.sheet or "-", "行": p.row, "列": p.column or "-",
                          "说明": p.message} for p in problems])


def table_title(t: reader.ParsedTable) -> str:
    return f"{t.sheet or '（CSV）'} → {TABLE_LABELS.get(t.kind, t.kind)}"


def table_caption(t: reader.ParsedTable) -> str:
    meta = t.meta or {}
    return (f"年度：{meta.get('year') or '按列/未识别'} · 截止日期：{fmt.date(meta.get('as_of'))} · "
            f"金额单位：{meta.get('unit') or '万元'} · 共 {len(t.frame)} 行")


def _field_labels(t: reader.ParsedTable) -> dict[str, str]:
    spec = schema.TABLES.get(t.kind)
    return {f.name: f.label for f in spec.fields} if spec else {}


def mapping_frame(t: reader.ParsedTable) -> pd.DataFrame:
    """Which column of the sheet became which field (表格中的列 → 对应字段)."""
    labels = _field_labels(t)
    return pd.DataFrame({"表格中的列": list(t.mapping), "对应字段": [labels.get(v, v) for v in t.mapping.values()]})


def head_frame(t: reader.ParsedTable, n: int = 5) -> pd.DataFrame:
    """The first rows as parsed (money in 万元), with the fields' Chinese headers."""
    return t.frame.drop(columns=["_row"], errors="ignore").head(n).rename(columns=_field_labels(t))


def counts_frame(counts: dict | None) -> pd.DataFrame:
    """新增 / 更新 / 未变 per table of an import."""
    return pd.DataFrame([{"表": TABLE_LABELS.get(k, k), "新增": v.get("inserted", 0), "更新": v.get("updated", 0),
                          "未变": v.get("unchanged", 0)} for k, v in (counts or {}).items()])


def history_frame(url: str) -> pd.DataFrame:
    """Every batch, newest first: 批次, 时间, 来源, 文件, 用户, 状态 (statuses and sources in vocab's words)."""
    rows = [{
        "批次": b.get("id"),
        "时间": fmt.timestamp(b.get("created_at")),
        "来源": BATCH_SOURCE_LABELS.get(b.get("source"), b.get("source")),
        "文件": "、".join(f.get("name", "") for f in b.get("files") or []),
        "用户": b.get("user") or "",
        "状态": BATCH_STATUS_LABELS.get(b.get("status"), b.get("status")),
    } for b in importer.list_batches(url)]
    return pd.DataFrame(rows)


def undoable(history: pd.DataFrame) -> list[int]:
    """Ids of the batches still in force, the ones that can be undone."""
    if history.empty:
        return []
    return history[history["状态"] == BATCH_STATUS_LABELS[BATCH_COMMITTED]]["批次"].tolist()


def undo(url: str, batch_id: int) -> str | None:
    """Undo a batch; None when done, else the reason in Chinese (nothing changed)."""
    try:
        importer.undo_batch(url, batch_id)
    except importer.UndoRefused as exc:
        return f"不能撤销：{exc}"
    except Exception as exc:  # noqa: BLE001 - the user gets a message; undo_batch rolled back
        return f"撤销失败（{exc.__class__.__name__}），数据没有改动。"
    return None
