"""The upload page's calls into ingestion: read each file once (cached by content), import what the preview read, list and undo batches (with the undo selector's labels and which batch is the base data).

Every uploaded file is parsed once per content hash and fallback year/date: the preview shows that
parse and the import writes exactly it (data_loaders.importer.import_results), so a file is never
read twice and what was checked is what gets written. Frames here carry Chinese headers for display.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from dashboard.core import db
from dashboard.core import models as m
from dashboard.core.accounts import Actor, Forbidden, require
from dashboard.core.settings import Limits, Rules
from dashboard.core.vocab import (
    BATCH_COMMITTED,
    BATCH_SOURCE_LABELS,
    BATCH_STATUS_LABELS,
    EVALUATION_KINDS,
    MONEY_SCALES,
    SOURCE_DEMO,
    TABLE_LABELS,
)
from dashboard.present import fmt
from dashboard.ui import auth
from data_loaders import changes as batch_changes
from data_loaders import db_errors, importer, isolated, layout, mapping, reader, schema, template, validate
from data_loaders.problems import ERROR, TOP_TAGS, WARNING, column_letter
from data_loaders.sheet import TAG_AMOUNT_UNIT

log = logging.getLogger(__name__)
TEMPLATE_FILE = "预算绩效数据模板.xlsx"
build_template = template.build_template  # called by the download button only when clicked
READ_CACHE_ENTRIES = 16  # parsed files kept (several MB each for large sheets)
READ_CACHE_TTL = 900  # seconds: long enough to look at a preview and press 导入
CHECK_CACHE_ENTRIES = 8  # dry runs kept (one per set of files and choices)

Read = tuple[str, str, reader.FileResult]  # (file name, sha256 of its bytes, what the reader made of it)


KIND_OPTIONS = EVALUATION_KINDS  # the upload page's 评价类型 selector (import --kind)
UNIT_OPTIONS = tuple(MONEY_SCALES)  # the upload page's 金额单位 selector (import --unit): 万元, 元, 亿元


@st.cache_data(max_entries=READ_CACHE_ENTRIES, ttl=READ_CACHE_TTL, show_spinner="正在读取文件……")
def _read(name: str, sha256: str, year: int | None, as_of: dt.date | None, _raw: bytes,
          kind: str | None, rules: Rules, limits: Limits, unit: str | None = None,
          department: str | None = None, layouts_key: str = "", _layouts: tuple = ()) -> reader.FileResult:
    """reader.read_file of one upload in a child process (a parser crash is one error for this file, never the
    server's end), keyed on its content hash (the bytes themselves are not hashed again).

    st.cache_data hands every caller its own copy, so the importer may change the tables it is given.
    `layouts_key` names the saved 版式 `_layouts` (their JSON): a 版式 saved or deleted reads the file again.
    """
    return isolated.read_file_isolated(_raw, name, year=year, as_of=as_of, evaluation_kind=kind, rules=rules,
                                       limits=limits, unit=unit, department=department, layouts=_layouts)


def read_uploads(payload: list[tuple[str, bytes]], year: int | None, as_of: dt.date | None,
                 kind: str | None = None, unit: str | None = None, url: str | None = None,
                 department: str | None = None) -> list[Read]:
    """Each uploaded (name, bytes) read once; the same list goes to `run_import`. A file of nothing but the
    template's example rows carries its error here already, so the preview shows it before any import.
    The configured grade bands and [limits] (auth.settings) judge every file. `unit` is the 金额单位 picked
    (import --unit); with the database `url`, the 金额单位 rule judges the amounts against its history here
    (importer.judge_units), so the preview shows its sentence before 导入 is enabled. `department` is the 主管部门
    picked for rows that name none (import --department)."""
    settings = auth.settings()
    reads = []
    saved = tuple(mapping.saved(url)) if url else ()
    key = layouts_key(saved)
    for name, raw in payload:
        sha = hashlib.sha256(raw).hexdigest()
        # the cache's own copy: adding to it is safe
        result = _read(name, sha, year, as_of, raw, kind, settings.rules, settings.limits, unit, department,
                       key, saved)
        untouched = validate.template_only(result)
        if untouched is not None and untouched not in result.problems:
            result.problems.insert(0, untouched)
        reads.append((name, sha, result))
    if url:
        importer.judge_units(url, reads, settings.rules)
    return reads


def max_upload_mb() -> int:
    """What the uploader says and enforces per file: our [limits] max_file_mb (rounded up to whole MB, as the
    uploader takes it), not Streamlit's 200 MB default."""
    return max(1, -int(-auth.settings().limits.file_bytes() // (1024 * 1024)))


def layouts_key(layouts) -> str:
    """The saved 版式 as one string, for cache keys: what a preview was read with."""
    return hashlib.sha256("\n".join(mapping.to_json(x) for x in layouts).encode("utf-8")).hexdigest()[:16]


# -- the 版式 step: sheets no header was found on ---------------------------------------------------------

LAYOUT_KIND_OPTIONS = mapping.KINDS  # the tables a 版式 may be, in the selector's order
SKIP_LABEL = "不导入"


def kind_label(kind: str) -> str:
    return schema.TABLES[kind].label


def unmapped_sheets(reads: list[Read]) -> list[tuple[str, str, list[list[str]]]]:
    """(file, sheet, its first rows) of every sheet the reader found no header on, in file order: what the 版式
    step offers to map."""
    return [(name, sheet, rows) for name, _sha, result in reads
            for sheet, rows in (getattr(result, "unrecognised", None) or {}).items() if rows]


LayoutError = mapping.LayoutError


def choice_label(kind: str, field: str | None) -> str:
    """A column selector's choice for `field` (None: 不导入)."""
    return mapping.field_label(kind, field) if field else SKIP_LABEL


def field_options(kind: str) -> list[str]:
    """The choices of one column's selector: 不导入, then the table's fields by their Chinese labels."""
    return [SKIP_LABEL, *mapping.field_choices(kind).values()]


def suggestion(rows: list[list[str]], header_row: int | None, kind: str | None) -> mapping.Suggestion:
    return mapping.suggest(rows, header_row, kind)


def column_label(header: str, samples: tuple[str, ...], c: int) -> str:
    """One column's selector label: its letter, its header and up to three sample values (plain text)."""
    shown = "、".join(samples) if samples else "（下面没有值）"
    return f"{column_letter(c)}列“{header or '（无表头）'}”，例如：{shown}"


def save_layout(url: str, actor, name: str, kind: str, headers: list[str], labels: list[str]) -> str:
    """Save the user's choices (one field label or 不导入 per header) as a 版式; the sentence to show. Raises
    mapping.LayoutError (a sentence) when the choices cannot make a 版式, Forbidden when the actor may not."""
    require(actor or Actor("未登录", "anonymous"), "layouts")
    by_label = {v: k for k, v in mapping.field_choices(kind).items()}
    chosen = [(h, by_label.get(lab)) for h, lab in zip(headers, labels)]
    built = mapping.build(name, kind, chosen)
    replaced = mapping.save(url, actor, built)
    read = sum(1 for _h, f in built.columns if f)
    return (f"已{'更新' if replaced else '保存'}版式“{built.name}”（{kind_label(built.kind)}表，读取 {read} 列）。"
            "表头相同的文件以后会自动按这个版式读取。")


def layouts_frame(url: str) -> pd.DataFrame:
    """The saved 版式: 版式, 表, 读取的列, 保存人, 保存时间."""
    rows = []
    for r in mapping.stored.list_layouts(url):
        read = [h for h, f in r["columns"] if f]
        rows.append({"版式": r["name"], "表": schema.TABLES[r["kind"]].label if r["kind"] in schema.TABLES else r["kind"],
                     "读取的列": "、".join(read), "保存人": r["created_by"] or "",
                     "保存时间": fmt.timestamp(r["created_at"])})
    return pd.DataFrame(rows)


def layout_file(url: str, name: str) -> bytes:
    """The 版式 `name` as the file `import --layout FILE` takes (UTF-8 JSON)."""
    found = next((x for x in mapping.saved(url) if x.name == name), None)
    if found is None:
        raise LookupError(name)
    return mapping.to_json(found).encode("utf-8")


def layout_file_name(name: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:40] or "layout"
    return f"版式_{safe}.json"


def delete_layout(url: str, actor, name: str) -> str:
    require(actor or Actor("未登录", "anonymous"), "layouts")
    gone = mapping.delete(url, actor, name)
    return f"已删除版式“{name}”。" if gone else f"没有名为“{name}”的版式（可能已被删除）。"


def year_from_names(names: list[str]) -> tuple[int, str] | None:
    """The year the uploaded files' names give (2023年项目清单.xlsx → 2023) and the first file giving it, when the
    names that give a year all give the same one; the page pre-fills its 年度 with it."""
    found = [(layout.year_from_filename(n), n) for n in names]
    found = [(y, n) for y, n in found if y is not None]
    if not found or len({y for y, _n in found}) > 1:
        return None
    return found[0]


def top_notices(reads: list[Read]) -> tuple[list[str], list[str]]:
    """What the preview shows above the files, one plain-text line each ("文件 / 工作表 / 列：说明"): the warnings to
    check (headers that look like a known column but are not read, columns read together such as 1月执行数 …
    8月执行数, sheets skipped because hidden, a drop-down list or a form not supported yet), and the other sheets
    skipped with why (an instructions sheet without a header)."""
    warnings, skipped = [], []
    for name, _sha, result in reads:
        told = set()
        for p in result.problems:
            if p.tag in TOP_TAGS:
                warnings.append(f"{' / '.join(x for x in (name, p.sheet, p.column) if x)}：{p.message}")
                told.add(p.sheet)
        for sheet, why in (result.skip_reasons or {}).items():
            if sheet not in told:
                skipped.append(f"{name} / {sheet}：已跳过，{why}")
    return warnings, skipped


def unit_sentences(reads: list[Read]) -> list[tuple[str, bool]]:
    """The 金额单位 sentences of the files as read ("文件 / 工作表：说明", and whether it is an error that blocks the
    import until the unit is picked), for the top of the preview."""
    return [(f"{' / '.join(x for x in (name, p.sheet) if x)}：{p.message}", p.level != WARNING)
            for name, _sha, result in reads for p in result.problems if p.tag == TAG_AMOUNT_UNIT]


def has_errors(reads: list[Read]) -> bool:
    """Whether any file as read has an error: then 导入 stays disabled (试导入 still runs the checks)."""
    return any(result.errors for _name, _sha, result in reads)


@st.cache_data(max_entries=CHECK_CACHE_ENTRIES, ttl=READ_CACHE_TTL, show_spinner="正在检查……")
def _check(url: str, files: tuple, choices: tuple, version: int, who: tuple, rules: Rules,
           _reads: list[Read]) -> importer.ImportResult:
    """The importer's own dry run of the files as read, keyed on their hashes (`files`), the page's choices
    (year, date, kind, unit, department: what the reads were made with), the data version and who checks; it runs
    on a copy, so the reads the import writes stay as read."""
    actor = Actor(who[0], who[1], tuple(who[2]))
    return importer.import_results(url, copy.deepcopy(_reads), dry_run=True, user=actor.name, actor=actor,
                                   rules=rules)


def check_uploads(url: str, reads: list[Read], choices: tuple, actor) -> importer.ImportResult:
    """What 试导入 would say about the files as read: the importer's dry run (read problems, links, checks, all
    rolled back), once per set of files, `choices` (the page's year, date, kind, unit, department) and data
    version. The preview lists exactly its problems, so the preview and the import can never disagree."""
    if actor is None:
        actor = Actor("未登录", "anonymous")
    version = db.data_version(url) if db.is_initialised(url) else 0
    # what each file was read as (a 版式 saved since makes other tables of the same bytes)
    files = tuple((name, sha, tuple((t.sheet, t.kind, t.meta.get("saved_layout")) for t in result.tables))
                  for name, sha, result in reads)
    return _check(url, files, choices, version, (actor.name, actor.role, tuple(actor.departments)),
                  auth.settings().rules, reads)


def file_problems(check: importer.ImportResult, name: str) -> list:
    """The dry run's problems of one file, errors first (each in file order)."""
    return [p for p in check.problems if p.file == name]


def other_problems(check: importer.ImportResult, reads: list[Read]) -> list:
    """The dry run's problems not of one file (a refusal, a database or program error naming several files)."""
    names = {name for name, _sha, _result in reads}
    return [p for p in check.problems if p.file not in names]


def error_count(problems) -> int:
    return sum(p.level == ERROR for p in problems)


def needs_department(reads: list[Read]) -> bool:
    """Whether a table read has rows that name no 主管部门 (no such column, or empty cells): the page then asks
    for the 主管部门 of the whole file (import --department)."""
    for _name, _sha, result in reads:
        for t in result.tables:
            spec = schema.TABLES.get(t.kind)
            if not spec or "department" not in {f.name for f in spec.fields} or t.frame.empty:
                continue
            if "department" not in t.frame or t.frame["department"].isna().any():
                return True
    return False


def department_names(url: str) -> list[str]:
    """The 主管部门 the database knows, by name (the page's 主管部门 selector; a new name may be typed)."""
    if not db.is_initialised(url):
        return []
    with db.get_engine(url).connect() as conn:
        return [r for r in conn.execute(select(m.Department.name).order_by(m.Department.name)).scalars() if r]


def department_sentence(check: importer.ImportResult, department: str) -> str:
    """What the picked 主管部门 does, from the dry run's counts: the new 主管部门 and 预算单位 created under it."""
    new_depts = (check.counts.get("departments") or {}).get("inserted", 0)
    new_units = (check.counts.get("units") or {}).get("inserted", 0)
    parts = [f"没有填写主管部门的行按主管部门“{department}”导入"]
    if new_depts:
        parts.append(f"将新建主管部门“{department}”")
    if new_units:
        parts.append(f"将在其下新建 {new_units} 个预算单位")
    return "；".join(parts) + "。"


def run_import(url: str, reads: list[Read], *, dry_run: bool, actor,
               progress: Callable[[float, str], None] | None = None) -> importer.ImportResult:
    """Link, check and write (or only check) the files as read for the preview, as one batch, as `actor`
    (the signed-in account: the importer checks its role and records its name on the batch)."""
    if actor is None:  # never the command-line operator from a web page
        actor = Actor("未登录", "anonymous")
    return importer.import_results(url, reads, dry_run=dry_run, user=actor.name, progress=progress, actor=actor,
                                   rules=auth.settings().rules)


def problems_frame(problems) -> pd.DataFrame:
    """One row per problem, errors before warnings (each in file order), where a user finds it in Excel:
    级别, 文件, 工作表, 行, 列, 说明."""
    ordered = sorted(problems, key=lambda p: p.level == WARNING)  # stable: keeps the reader's order within
    return pd.DataFrame([{"级别": "警告" if p.level == WARNING else "错误",
                          "文件": p.file, "工作表": p.sheet or "-", "行": p.row, "列": p.column or "-",
                          "说明": p.message} for p in ordered])


def table_title(t: reader.ParsedTable) -> str:
    return f"{t.sheet or '（CSV）'} → {TABLE_LABELS.get(t.kind, t.kind)}"


def table_caption(t: reader.ParsedTable) -> str:
    meta = t.meta or {}
    caption = (f"年度：{meta.get('year') or '按列/未识别'} · 截止日期：{fmt.date(meta.get('as_of'))} · "
               f"金额单位：{meta.get('unit') or '万元'} · 共 {len(t.frame)} 行")
    if meta.get("saved_layout"):
        caption += f" · 按版式“{meta['saved_layout']}”读取"
    return caption


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
        "变更": _counts_word(b.get("changes")),
    } for b in importer.list_batches(url)]
    return pd.DataFrame(rows)


def _counts_word(changes: dict | None) -> str:
    """A batch's project counts for the history table ('新增 1 / 修改 3 / 删除 0'); '-' before the summary existed."""
    if not changes or "projects" not in changes:
        return "-"
    p = changes["projects"]
    return " / ".join(f"{word} {(p.get(key) or {}).get('count', 0)}"
                      for key, word in (("added", "新增"), ("changed", "修改"), ("removed", "删除")))


def change_lines(changes: dict | None) -> list[str]:
    """The 变更 summary of a batch, its undo or a dry run, one plain-text line each (data_loaders.changes.describe,
    money by fmt.money): '新增项目 3 个、修改 2 个、删除 0 个', then each year's moved figures, then the projects."""
    return batch_changes.describe(changes, fmt.money)


HISTORY_CHANGES = 10  # the newest batches whose 变更 summary the import history shows


def history_changes(url: str, limit: int = HISTORY_CHANGES) -> list[dict]:
    """The newest batches that have a 变更 summary, each {"id", "title", "lines", "undo_lines"}: what the batch
    changed when it was imported and, once undone, what the undo changed (measured at the undo)."""
    out = []
    for b in importer.list_batches(url):
        c = b.get("changes") or {}
        lines, undo_lines = change_lines(c), change_lines(c.get("undo"))
        if not lines and not undo_lines:
            continue
        status = BATCH_STATUS_LABELS.get(b.get("status"), b.get("status"))
        head = batch_changes.project_line(c) if lines else "导入时的变更未记录"
        out.append({"id": b["id"], "title": f"批次 #{b['id']} · {fmt.timestamp(b.get('created_at'))} · {status} · {head}",
                    "lines": lines, "undo_lines": undo_lines})
        if len(out) >= limit:
            break
    return out


def undo_lines(url: str, batch_id: int) -> list[str]:
    """What undoing batch `batch_id` changed (its changes["undo"]), in lines; empty when not recorded."""
    for b in importer.list_batches(url):
        if b["id"] == batch_id:
            return change_lines((b.get("changes") or {}).get("undo"))
    return []


def undo_choices(url: str) -> list[dict]:
    """The batches that can be undone, newest first, each {"id", "label", "base"}: the label names number,
    time, files, user and row counts ("#5 · 2026-12-01 10:02 · 项目清单.xlsx · 张三 · 新增 120 / 更新 8");
    `base` marks the base data (demo data, or the first batch ever), whose undo needs a second confirmation."""
    batches = importer.list_batches(url)
    first = min((b["id"] for b in batches), default=None)
    out = []
    for b in batches:
        if b.get("status") != BATCH_COMMITTED:
            continue
        out.append({"id": b["id"], "label": batch_label(b),
                    "base": b.get("source") == SOURCE_DEMO or b["id"] == first})
    return out


def batch_label(b: dict) -> str:
    """One batch as the undo selector names it (plain text: option labels are not Markdown)."""
    names = [f.get("name", "") for f in b.get("files") or [] if f.get("name")]
    if not names:
        files = BATCH_SOURCE_LABELS.get(b.get("source"), b.get("source") or "")
    elif len(names) > 2:
        files = f"{names[0]} 等 {len(names)} 个文件"
    else:
        files = "、".join(names)
    counts = (b.get("counts") or {}).values()
    inserted = sum(int(c.get("inserted", 0) or 0) for c in counts)
    updated = sum(int(c.get("updated", 0) or 0) for c in counts)
    parts = [f"#{b['id']}", fmt.timestamp(b.get("created_at")), files, b.get("user") or "",
             f"新增 {inserted} / 更新 {updated}"]
    return " · ".join(p for p in parts if p)


def undo(url: str, batch_id: int, actor) -> str | None:
    """Undo a batch as `actor`; None when done, else the reason in Chinese (nothing changed)."""
    if actor is None:
        actor = Actor("未登录", "anonymous")
    try:
        importer.undo_batch(url, batch_id, actor=actor, rules=auth.settings().rules)
    except (importer.UndoRefused, Forbidden) as exc:
        return f"不能撤销：{exc}"
    except DBAPIError as exc:  # a full disk, a lock, a lost connection …: the real cause (issue 23)
        return "撤销失败：" + db_errors.explain(exc, outcome="数据没有改动", what="undo")
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("undo of batch %s failed [ref %s]", batch_id, ref)
        return f"撤销失败，数据没有改动。请稍后重试；如果一直出现，请把参考编号 {ref} 告诉管理员。"
    return None
