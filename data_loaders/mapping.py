"""版式: a user's mapping of an unrecognised sheet's header to our fields, saved and applied to later files.

A sheet the reader cannot place (no row names two known columns, or the columns name no table) is not a
dead end: the upload page shows its header row with a suggested field per column (`suggest`), the user
confirms or changes them, and the result is a `SavedLayout` — a name, the table it is (项目, 绩效监控…) and
one (header, field or None = 不导入) pair per column. Saved in the database (dashboard.core.layouts) or as a
file (`to_json` / `from_json`, what `import --layout FILE` takes), it is applied by `match`: a sheet whose
row, within the first rows, carries exactly the saved headers (compared as headers.norm_header compares
them) is read as that table, its columns mapped as saved, by the same SheetReader as every other list.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from dashboard.core import layouts as stored
from data_loaders import headers as H
from data_loaders import layout as L
from data_loaders import schema

FORMAT = "预算绩效看板-导入版式"  # the "format" value of an exported 版式 file
VERSION = 1
MAX_FILE_BYTES = 64 * 1024  # a 版式 file is a few hundred bytes; anything larger is not one
MAX_COLUMNS = 200  # as many as a sheet may have (Limits.max_columns default)
MAX_NAME = 60
MAX_HEADER = 200
SAMPLE_ROWS = L.HEADER_SEARCH_ROWS + 5  # the sample of an unrecognised sheet the preview carries
SAMPLE_COLUMNS = 60
SAMPLE_TEXT = 80
KINDS = ("projects", "monitoring", "evaluations", "findings", "units", "indicators", "satisfaction",
         "inquiries")  # tables a 版式 may be


class LayoutError(ValueError):
    """A 版式 (a file or a user's choices) that cannot be used; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class SavedLayout:
    name: str
    kind: str  # a schema.TABLES key
    columns: tuple[tuple[str, str | None], ...]  # (header as the file shows it, field or None = 不导入)

    def signature(self) -> tuple[str, ...]:
        """The headers as compared: normalised, the empty ones left out, in order."""
        return signature([h for h, _f in self.columns])

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "name": self.name, "kind": self.kind,
                "kind_label": schema.TABLES[self.kind].label,
                "columns": [{"header": h, "field": f, "label": field_label(self.kind, f) if f else "不导入"}
                            for h, f in self.columns]}


def signature(headers: list[str]) -> tuple[str, ...]:
    return tuple(n for n in (H.norm_header(h) for h in headers) if n)


def field_choices(kind: str) -> dict[str, str]:
    """field → label, the fields a column of table `kind` may be mapped to (the schema's, in its order)."""
    return {f.name: f.label for f in schema.TABLES[kind].fields}


def field_label(kind: str, name: str) -> str:
    return field_choices(kind).get(name, name)


# -- the sample an unrecognised sheet leaves for the mapping step ----------------------------------------

def sample(grid: list[list[Any]]) -> list[list[str]]:
    """The first rows of a sheet as short texts (bounded: SAMPLE_ROWS × SAMPLE_COLUMNS, SAMPLE_TEXT characters
    each), trailing empty rows and columns dropped: what the mapping step shows and suggests from."""
    rows = [[L.cell_text(v)[:SAMPLE_TEXT] for v in row[:SAMPLE_COLUMNS]] for row in grid[:SAMPLE_ROWS]]
    width = max((max((c + 1 for c, t in enumerate(r) if t), default=0) for r in rows), default=0)
    rows = [r[:width] + [""] * (width - len(r[:width])) for r in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def header_row_guess(rows: list[list[str]]) -> int:
    """The row most likely to be the header: the first with the most filled cells among the top rows
    (titles fill one merged cell, data rows come after the header)."""
    best, best_n = 0, -1
    for r, row in enumerate(rows[: L.HEADER_SEARCH_ROWS]):
        n = sum(1 for t in row if t and not _is_number(t))
        if n > best_n:
            best, best_n = r, n
    return best


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class Suggestion:
    header_row: int  # 0-based row of the sample
    kind: str | None  # the table the suggested fields make, or None
    columns: tuple[tuple[str, str | None, tuple[str, ...]], ...]  # (header, suggested field or None, samples)


def suggest(rows: list[list[str]], header_row: int | None = None, kind: str | None = None) -> Suggestion:
    """Per column of the header row: the field its words name (headers.candidates), else the nearest known
    header's field, else None; with up to three sample values from the rows below. `kind` (the table the
    user chose) limits the fields to that table's; without it, the table the suggested fields make."""
    r = header_row_guess(rows) if header_row is None else max(0, min(header_row, len(rows) - 1)) if rows else 0
    heads = rows[r] if rows else []
    below = rows[r + 1:]
    guesses: list[list[str]] = []
    for h in heads:
        cands = H.candidates(h) if h else []
        if not cands and h:  # a close known header ("承办单位" ~ "单位"), never a loose one ("支出事项" ≁ "支出数")
            for near in difflib.get_close_matches(h, H.known_headers(), n=1, cutoff=0.6):
                cands = H.candidates(near)
        guesses.append(cands)
    if kind is None:
        kind = H.kind_from_fields({f for c in guesses for f in c[:1]})
        kind = kind if kind in KINDS else None
    allowed = field_choices(kind or "projects")  # no table suggested: the commonest
    columns = []
    taken: set[str] = set()
    for c, h in enumerate(heads):
        field = next((f for f in guesses[c] if f in allowed and f not in taken), None) if h else None
        if field:
            taken.add(field)
        samples = tuple(row[c] for row in below if c < len(row) and row[c])[:3]
        columns.append((h, field, samples))
    return Suggestion(r, kind, tuple(columns))


def build(name: str, kind: str, columns: list[tuple[str, str | None]]) -> SavedLayout:
    """A SavedLayout from the user's choices, checked: a name, a known table, the table's required fields
    mapped (项目名称…), no field chosen twice, at least two columns read."""
    name = " ".join(str(name or "").split())
    if not name:
        raise LayoutError("请给这个版式起个名字（例如“某区项目表”）")
    if len(name) > MAX_NAME:
        raise LayoutError(f"版式名称最多 {MAX_NAME} 个字")
    if kind not in KINDS:
        raise LayoutError("请选择这张表是哪一种表（项目、绩效监控、绩效评价、问题整改、部门单位或绩效指标）")
    if not columns or len(columns) > MAX_COLUMNS:
        raise LayoutError(f"版式的列数应在 1 到 {MAX_COLUMNS} 之间")
    allowed = field_choices(kind)
    seen: dict[str, str] = {}
    clean: list[tuple[str, str | None]] = []
    for header, field in columns:
        header = str(header or "")[:MAX_HEADER]
        if field is not None and field not in allowed:
            raise LayoutError(f"“{header}”对应的字段“{field}”不是{schema.TABLES[kind].label}表的字段")
        if field is not None and not H.norm_header(header):
            raise LayoutError("没有表头文字的列不能对应字段，请选“不导入”")
        if field is not None and field in seen:
            raise LayoutError(f"“{allowed[field]}”被选了两次：“{seen[field]}”和“{header}”，请只保留一列")
        if field is not None:
            seen[field] = header
        clean.append((header, field))
    if len(seen) < 2:
        raise LayoutError("请至少为两列选择对应的字段")
    spec = schema.TABLES[kind]
    missing = [f.label for f in spec.fields if f.required and f.name not in seen
               and not _derivable(kind, f.name, set(seen))]
    if missing:
        raise LayoutError(f"{spec.label}表必须有这些列：{'、'.join(missing)}；请为它们选择对应的列")
    if len(set(signature([h for h, _f in clean]))) < len(signature([h for h, _f in clean])):
        raise LayoutError("表头里有重名的列，版式无法区分它们；请先在表格里改成不同的列名")
    return SavedLayout(name, kind, tuple(clean))


def _derivable(kind: str, name: str, chosen: set[str]) -> bool:
    """A required field the reader fills in without a column: the year (title, file name or the upload page's
    年度), the 主管部门 (the page's 主管部门 or --department), a code (derived from the name), the 评价类型
    (the page's or --kind)."""
    return name in {"year", "as_of", "department", "department_code", "unit_code", "project_code", "kind"}


# -- applying a saved 版式 to a sheet ---------------------------------------------------------------

def match(grid: list[list[Any]], layouts) -> tuple[L.Layout, SavedLayout] | None:
    """The first saved 版式 whose headers are exactly one of the sheet's first rows (normalised, empty cells
    left out), as the reader's Layout with the saved fields per column; None when none matches."""
    if not layouts:
        return None
    limit = min(len(grid), L.HEADER_SEARCH_ROWS)
    rows = [signature([L.cell_text(v) for v in grid[r]]) for r in range(limit)]
    for saved in layouts:
        sig = saved.signature()
        for r, row_sig in enumerate(rows):
            if row_sig and row_sig == sig:
                return _layout(grid, r, saved), saved
    return None


def _layout(grid: list[list[Any]], r: int, saved: SavedLayout) -> L.Layout:
    texts = [L.cell_text(v) for v in grid[r]]
    by_header = {H.norm_header(h): f for h, f in saved.columns if H.norm_header(h)}
    fields = [[by_header[n]] if (n := H.norm_header(t)) and by_header.get(n) else [] for t in texts]
    labels = [L._raw(v) for v in grid[r]]
    notes = [" ".join(dict.fromkeys(t for t in (L.cell_text(v) for v in grid[i]) if t)) for i in range(r)]
    notes = [n for n in notes if n]
    layout = L.Layout(header_rows=[r], labels=labels, parents=[""] * len(labels), data_start=r + 1,
                      title=L.pick_title(notes), notes=notes, score=len(by_header), fields=fields)
    layout.unit = L.unit_from_notes([t for i in range(r) for t in (L.cell_text(v) for v in grid[i]) if t]) or "万元"
    layout.year = L.year_from_notes(notes)
    layout.as_of = L.as_of_from_notes(notes)
    layout.extra["saved_layout"] = saved.name
    return layout


# -- the 版式 file -----------------------------------------------------------------------------------

def to_json(saved: SavedLayout) -> str:
    return json.dumps(saved.as_dict(), ensure_ascii=False, indent=2)


def from_json(data: bytes | str, source: str = "版式文件") -> SavedLayout:
    """A 版式 file (to_json's output) read back and checked as `build` checks the user's choices."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_FILE_BYTES:
        raise LayoutError(f"{source}不是导入版式文件（{len(raw):,} 字节，版式文件只有几百字节）")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LayoutError(f"{source}不是导入版式文件（无法读取：{type(exc).__name__}）") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LayoutError(f"{source}不是导入版式文件（缺少 \"format\": \"{FORMAT}\"）")
    if doc.get("version") != VERSION:
        raise LayoutError(f"{source}的版本 {doc.get('version')!r} 不受支持（支持 {VERSION}）")
    cols = doc.get("columns")
    if not isinstance(cols, list) or not all(isinstance(c, dict) for c in cols):
        raise LayoutError(f"{source}的 columns 应为列的列表")
    pairs = []
    for c in cols:
        header, field = c.get("header"), c.get("field")
        if not isinstance(header, str) or not (field is None or isinstance(field, str)):
            raise LayoutError(f"{source}的列应有文字 header 和字段名 field（或 null 表示不导入）")
        pairs.append((header, field))
    try:
        return build(str(doc.get("name") or ""), str(doc.get("kind") or ""), pairs)
    except LayoutError as exc:
        raise LayoutError(f"{source}：{exc}") from None


def from_record(name: str, kind: str, columns: list) -> SavedLayout | None:
    """A SavedLayout from a database row (core.layouts), or None when it no longer checks (a field renamed)."""
    try:
        return build(name, kind, [(str(h), f) for h, f in columns])
    except (LayoutError, TypeError, ValueError):
        return None


# -- the 版式 saved in the database ----------------------------------------------------------------------

def saved(url: str) -> list[SavedLayout]:
    """The 版式 saved in the database that still check (a row that no longer does is left out)."""
    out = []
    for row in stored.list_layouts(url):
        layout = from_record(row["name"], row["kind"], row["columns"])
        if layout is not None:
            out.append(layout)
    return out


def save(url: str, actor, layout: SavedLayout) -> bool:
    """Save a checked 版式 (staff or admin; audited); True when it replaced one of the same name."""
    return stored.save_layout(url, actor, layout.name, layout.kind, [list(c) for c in layout.columns])


def delete(url: str, actor, name: str) -> bool:
    return stored.delete_layout(url, actor, name)
