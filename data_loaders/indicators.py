"""Performance indicators (绩效指标) in an import: cleaning indicator rows, splitting a monitoring export that has
one row per indicator into one monitoring record per project plus its indicators, and writing indicator rows.

Where indicators come from: the template's 绩效指标 sheet (schema.INDICATORS, read by sheet.py like any table),
the national monitoring export (`split_monitoring`), the self-evaluation forms (forms.py) and the target
declaration form (declaration.py). All of them end as rows of kind "indicators", written by
`write_indicators` through the import writer (one write path, provenance and undo like every other row).
The stored comparator / number / unit come from dashboard.core.rules.indicator_columns, the same parse the
已完成 rule is defined on.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from sqlalchemy import select

from dashboard.core import models as m
from dashboard.core import rules as R
from dashboard.core import writes as w
from dashboard.core.vocab import LIKELIHOODS, STAGE_DECLARED, STAGE_MONITORING, STAGE_SELF
from data_loaders import cells as C
from data_loaders import headers as H
from data_loaders.headers import INDICATOR_FIELDS
from data_loaders.link import T, as_object
from data_loaders.problems import WARNING, Problem
from data_loaders.tables import ParsedTable, objects

# "产出指标(50分)", "效益指标（30分）" → "产出指标"; "指标1：发放人数" → "发放人数"
_SCORE_NOTE = re.compile(r"[(（][^()（）]*分[^()（）]*[)）]")
_NUMBERED = re.compile(r"^指标\s*\d+\s*[:：.、]\s*")
_PLACEHOLDER = re.compile(r"^(?:指标\s*\d*|[.…。、\-—/\s]*|其他|其它)$")
# a 三级指标 cell saying the line does not apply: the row is not an indicator
NOT_APPLICABLE = frozenset({"不适用", "无", "不涉及", "n/a", "na", "/"})


def clean_level(text: object) -> str | None:
    """一级/二级指标 as stored: whitespace collapsed, the score note "(50分)" dropped."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    t = R.indicator_text(text)
    if not t:
        return None
    t = _SCORE_NOTE.sub("", t)
    return t or None


_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")


def tidy_text(text: object) -> object:
    """Whitespace collapsed, and dropped next to Chinese characters and punctuation (a line break inside
    "公益性岗位补贴发放准\n确率" is no space): the same text typed twice compares equal."""
    if not isinstance(text, str):
        return text
    return _CJK_SPACE.sub("", " ".join(text.split()))


def clean_name(text: object) -> str | None:
    """三级指标 as stored: "指标1：发放人数" → "发放人数"; None for the forms' placeholder rows (指标1, ……)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    t = tidy_text(" ".join(str(text).split()))
    t = _NUMBERED.sub("", t).strip()
    if not t or _PLACEHOLDER.fullmatch(t) or t.lower() in NOT_APPLICABLE:
        return None
    return t


# --- the national monitoring export: one row per indicator under the project's columns ---------------

# rows are one project's when all of these agree (money included: rows of one project that state different
# amounts stay apart, so the writer reports them as conflicting records instead of one being dropped)
_PROJECT_KEY = ("year", "as_of", "department", "department_code", "unit", "unit_code", "project_code",
                "project_name", "adjusted_budget", "executed", "execution_rate", "target_progress")
_WORST = {v: i for i, v in enumerate(LIKELIHOODS)}  # 确定能 < 有可能 < 完全不可能


def _joined(values) -> str | None:
    seen = [v for v in dict.fromkeys(v for v in values if isinstance(v, str) and v.strip())]
    return "；".join(seen) or None


def split_monitoring(table: ParsedTable) -> list[ParsedTable]:
    """A monitoring table with indicator columns → [one monitoring row per project, its indicator rows].

    The project's 完成目标可能性 is the worst of its rows', 偏差原因 and 整改要求 are the distinct texts of
    its rows joined by "；", 是否需要整改 is 是 when any row says so; the other project columns are the
    first row's (merged cells repeat them). A table without indicator columns is returned as it is.
    """
    frame = table.frame
    ind_cols = [c for c in frame.columns if c in INDICATOR_FIELDS]
    if table.kind == "projects" and "name" in frame.columns:
        return _split_projects(table, ind_cols)
    if table.kind != "monitoring" or "name" not in frame.columns:
        return [table]
    key_cols = [c for c in _PROJECT_KEY if c in frame.columns]
    keys = list(zip(*[[None if (isinstance(v, float) and np.isnan(v)) else v for v in frame[c].tolist()]
                      for c in key_cols])) if key_cols else [()] * len(frame)
    groups: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    firsts = [idx[0] for idx in groups.values()]
    mon = frame.drop(columns=ind_cols).iloc[firsts].reset_index(drop=True)
    for col, combine in (("likelihood", _worst), ("deviation_reason", _joined),
                         ("rectification_requirement", _joined), ("needs_rectification", _any)):
        if col in frame.columns:
            values = frame[col].tolist()
            mon[col] = pd.Series(objects([combine([values[i] for i in idx]) for idx in groups.values()]), dtype=object)
    money = {"adjusted_budget", "executed", "execution_rate", "target_progress"}
    keep_cols = [c for c in (*key_cols, *ind_cols, "deviation_reason", "likelihood", "_row")
                 if c in frame.columns and c not in money]
    ind = frame[keep_cols].loc[frame["name"].notna()].reset_index(drop=True)
    ind["stage"] = pd.Series(objects([STAGE_MONITORING] * len(ind)), dtype=object)
    fields = set(ind.columns)
    monitoring = ParsedTable(table.file, table.sheet, "monitoring", mon,
                             {h: f for h, f in table.mapping.items() if f not in INDICATOR_FIELDS},
                             {f: c for f, c in table.columns.items() if f not in INDICATOR_FIELDS},
                             {**table.meta, "indicator_rows": len(frame)})
    indicators = ParsedTable(table.file, table.sheet, "indicators", ind,
                             {h: f for h, f in table.mapping.items() if f in fields},
                             {f: c for f, c in table.columns.items() if f in fields},
                             {**table.meta, "layout": "national_monitoring"})
    return [monitoring, indicators] if len(ind) else [monitoring]


_PROJECT_ROW_KEY = ("year", "department", "department_code", "unit", "unit_code", "project_code", "project_name",
                    "initial_budget", "adjusted_budget")


def _split_projects(table: ParsedTable, ind_cols: list[str]) -> list[ParsedTable]:
    """A projects list in long format (one row per indicator, the project's columns repeated: 项目编码, 项目名称,
    申请单位, 一级预算单位, 本年金额 … 一级指标, 二级指标, 三级指标, 指标值) → [one project row per project, its
    indicators of stage 申报 (自评 when 实际完成值 is given)]; a project with indicators gets 是否设定绩效目标 是
when the file does not say. Rows whose 三级指标 is 不适用 or empty give
    the project only (the reader counted them)."""
    frame = table.frame
    key_cols = [c for c in _PROJECT_ROW_KEY if c in frame.columns]
    values = [[None if (isinstance(v, float) and np.isnan(v)) else v for v in frame[c].tolist()] for c in key_cols]
    keys = list(zip(*values)) if key_cols else [()] * len(frame)
    seen: dict[tuple, int] = {}
    for i, k in enumerate(keys):
        seen.setdefault(k, i)
    firsts = sorted(seen.values())
    projects = frame.drop(columns=ind_cols).iloc[firsts].reset_index(drop=True)
    names = frame["name"].tolist()
    keep = np.array([clean_name(v) is not None for v in names], dtype=bool)
    # a project with indicators in the file has performance targets (as a 申报表's project has): 是否设定绩效目标
    # is 是 unless the file says otherwise
    with_indicators = {k for k, kept in zip(keys, keep) if kept}
    said = projects["has_target"].tolist() if "has_target" in projects.columns else [None] * len(projects)
    projects["has_target"] = pd.Series(objects([
        bool(v) if isinstance(v, (bool, np.bool_)) else (True if keys[i] in with_indicators else None)
        for i, v in zip(firsts, said)]), dtype=object)
    ind = frame[[c for c in (*key_cols, *ind_cols, "_row") if c in frame.columns and c not in
                 ("initial_budget", "adjusted_budget")]].loc[keep].reset_index(drop=True)
    stage = STAGE_SELF if "actual" in ind.columns and ind["actual"].notna().any() else STAGE_DECLARED
    ind["stage"] = pd.Series(objects([stage] * len(ind)), dtype=object)
    fields = set(ind.columns)
    out = ParsedTable(table.file, table.sheet, "projects", projects,
                      {h: f for h, f in table.mapping.items() if f not in INDICATOR_FIELDS},
                      {f: c for f, c in table.columns.items() if f not in INDICATOR_FIELDS},
                      {**table.meta, "indicator_rows": len(frame)})
    indicators = ParsedTable(table.file, table.sheet, "indicators", ind,
                             {h: f for h, f in table.mapping.items() if f in fields},
                             {f: c for f, c in table.columns.items() if f in fields},
                             {**table.meta, "layout": "long_format"})
    return [out, indicators] if len(ind) else [out]


def _worst(values):
    present = [v for v in values if v in _WORST]
    return max(present, key=_WORST.__getitem__) if present else None


def _any(values):
    present = [v for v in values if isinstance(v, bool)]
    return any(present) if present else None


# --- writing -------------------------------------------------------------------------------------------

SOURCE_FIELDS = ("level1", "level2", "name", "comparator", "target", "measure_unit", "actual", "current",
                 "expected", "weight", "score", "deviation_reason", "likelihood")
# which source field's presence says a stored column was given (a file without a column keeps the stored value)
_GIVEN_BY = {
    "comparator": ("comparator", "target"), "target_text": ("target",), "target_value": ("target",),
    "target_unit": ("target", "measure_unit"),
    **{f"{k}_{p}": (k,) for k in ("actual", "current", "expected") for p in ("text", "value")},
    **{f"{k}_unit": (k, "measure_unit") for k in ("actual", "current", "expected")},
    "level1": ("level1",), "level2": ("level2",), "weight": ("weight",), "score": ("score",),
    "deviation_reason": ("deviation_reason",), "likelihood": ("likelihood",),
}
STORED = ("year", "stage", "as_of", "indicator_key", "name", *_GIVEN_BY)


def _cell(x):
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    return x


def write_indicators(writer, df: pd.DataFrame) -> None:
    """Indicator rows of an import set → the indicators table, linked to (or creating) their projects."""
    for col in (*SOURCE_FIELDS, "as_of"):
        if col not in df.columns:
            df[col] = None
        if "_p_" + col not in df.columns:
            df["_p_" + col] = False
    df["level1"] = pd.Series(objects([clean_level(v) for v in df["level1"].tolist()]), index=df.index, dtype=object)
    df["level2"] = pd.Series(objects([clean_level(v) for v in df["level2"].tolist()]), index=df.index, dtype=object)
    df["name"] = objects([clean_name(v) for v in df["name"].tolist()])
    df = df.loc[df["name"].notna()].copy()
    if not len(df):
        return
    df = writer.prepare_project_rows(df)
    df, pid = writer.link_or_create(df)
    if not len(df):
        return
    df = df.assign(project_id=pid.astype("int64").to_numpy())
    for col in ("level1", "level2"):  # the project linking may turn a None of an object column into NaN
        df[col] = pd.Series(objects([_cell(v) for v in df[col].tolist()]), index=df.index, dtype=object)
    df["indicator_key"] = [m.indicator_key(a, b, c) for a, b, c in zip(df["level1"], df["level2"], df["name"])]
    for col in ("comparator", "target", "measure_unit", "actual", "current", "expected", "deviation_reason"):
        df[col] = as_object(df[col])
        # compared as stored (rules.indicator_text: no whitespace), so "102 120" and "102120" are one value
        tidy = tidy_text if col == "deviation_reason" else R.indicator_text
        df[col] = pd.Series(objects([tidy(v) if isinstance(v, str) else v for v in df[col].tolist()]),
                            index=df.index, dtype=object)
    df["weight"] = pd.to_numeric(df["weight"], errors="coerce").astype(float)
    df["score"] = pd.to_numeric(df["score"], errors="coerce").astype(float)
    value_cols = [c for c in SOURCE_FIELDS if c != "name"]
    df = writer._conflicts(df, ["project_id", "stage", "indicator_key"], value_cols, "name", "指标")
    if not len(df):
        return
    parsed = [R.indicator_columns(target=_cell(t), actual=_cell(a), current=_cell(c), expected=_cell(e),
                                  comparator=_cell(k), unit=_cell(u))
              for t, a, c, e, k, u in zip(df["target"], df["actual"], df["current"], df["expected"],
                                          df["comparator"], df["measure_unit"])]
    stored = pd.DataFrame(parsed, index=df.index)
    it = T["indicators"]
    existing = w.read_frame(writer.conn, select(it).where(it.c.year.in_(writer.years)))
    key = ["project_id", "stage", "indicator_key"]
    left = df[key].reset_index()
    matched = left.merge(existing[key + ["id"]] if len(existing) else pd.DataFrame(columns=key + ["id"]),
                         how="left", on=key).set_index("index")["id"]
    inc = pd.DataFrame({"id": matched.astype("Int64").to_numpy()}, index=df.index)
    inc["project_id"] = df["project_id"].to_numpy()
    inc["year"] = df["year"].to_numpy()
    inc["stage"] = df["stage"].to_numpy()
    inc["as_of"] = [d.date() if isinstance(d, dt.datetime) else _cell(d) for d in df["as_of"]]
    inc["_p_as_of"] = inc["as_of"].notna().to_numpy()
    inc["indicator_key"] = df["indicator_key"].to_numpy()
    inc["name"] = df["name"].to_numpy()
    for col, given_by in _GIVEN_BY.items():
        if col in stored.columns:
            inc[col] = stored[col].to_numpy()
        else:
            inc[col] = df[col].to_numpy()
        present = np.zeros(len(df), dtype=bool)
        for src in given_by:
            present |= df["_p_" + src].to_numpy(dtype=bool)
        inc["_p_" + col] = present
    for col in ("weight", "score", "target_value", "actual_value", "current_value", "expected_value"):
        inc[col] = pd.to_numeric(inc[col], errors="coerce").astype(float)
    writer.upsert("indicators", inc, ["project_id", *STORED], existing)


# --- indicator blocks of forms (self-evaluation, target declaration) ----------------------------------

_BLOCK_FIELDS = INDICATOR_FIELDS | {"score", "deviation_reason"}
_BLOCK_END = ("总分", "合计", "总计", "自评总分", "填报人", "单位负责人", "填报日期", "审核意见", "主管部门审核意见",
              "评价结论", "项目负责人", "财务负责人")
# notes closing a block: only in the block's first column
_NOTE_END = ("备注", "说明", "注")


def _key(value) -> str:
    return re.sub(r"[\s:：*]", "", str(value)) if isinstance(value, str) else ""


def indicator_header(row: list) -> dict[str, int] | None:
    """The columns of a form's indicator block header (一级指标 | 二级指标 | 三级指标 | 指标值 | …), or None
    when the row is not one: it must name 三级指标 (or 指标内容) and 指标值 or a value reported against it."""
    cols: dict[str, int] = {}
    for c, v in enumerate(row):
        if not isinstance(v, str) or not v.strip():
            continue
        name = next((f for f in H.candidates(v) if f in _BLOCK_FIELDS), None)
        if name is not None:
            cols.setdefault(name, c)
    if "name" in cols and cols.keys() & {"target", "actual", "current", "expected"}:
        return cols
    return None


def is_not_applicable(text: object) -> bool:
    """A 三级指标 cell saying the row does not apply (不适用, 无, 不涉及, /)."""
    return isinstance(text, str) and " ".join(text.split()).lower() in NOT_APPLICABLE


def _filled(v) -> bool:
    return v is not None and not (isinstance(v, float) and np.isnan(v)) and bool(str(v).strip())


def indicator_rows(grid: list[list], header_row: int, end: int, cols: dict[str, int],
                   skipped: dict[str, int] | None = None) -> list[tuple[int, dict]]:
    """The indicator rows under a form's indicator header, to the score line (总分 / 合计) or the signatures:
    (0-based grid row, {field: cell}) each; placeholder rows (指标1, ……) and rows without a name are skipped,
    and a blank 一级/二级指标 repeats the one above (a merge the file did not record). Rows whose 三级指标
    is 不适用 or empty while the row says something else are counted in `skipped` ("不适用", "empty")."""
    out: list[tuple[int, dict]] = []
    last = {"level1": None, "level2": None}
    for r in range(header_row + 1, end):
        row = grid[r]
        keys = [_key(v) for v in row]
        if any(k.startswith(_BLOCK_END) for k in keys[:3] if k):
            break
        first = next((k for k in keys if k), "")
        if first in _NOTE_END or (first.startswith(_NOTE_END[:2]) and first == keys[0]
                                  and all(k in ("", first) for k in keys[1:])):
            break
        if indicator_header(row) is not None:
            break  # a second block (e.g. 长期指标 after 年度指标) is read by its own header
        cell = {f: (row[c] if c < len(row) else None) for f, c in cols.items()}
        for lvl in ("level1", "level2"):
            if lvl in cell:
                if clean_level(cell[lvl]) is None:
                    cell[lvl] = last[lvl]
                else:
                    last[lvl] = cell[lvl]
        if clean_name(cell.get("name")) is None:
            if skipped is not None:
                if is_not_applicable(cell.get("name")):
                    skipped["不适用"] = skipped.get("不适用", 0) + 1
                elif not _filled(cell.get("name")) and any(
                        _filled(row[c]) for f, c in cols.items() if f != "name" and c < len(row)):
                    skipped["empty"] = skipped.get("empty", 0) + 1
            continue
        lvl1, lvl2 = level_pair(cell.get("level1"), cell.get("level2"))
        if "level1" in cell:
            cell["level1"] = lvl1
        if lvl2 is not None or "level2" in cell:
            cell["level2"] = lvl2
        out.append((r, cell))
    return out


def skipped_message(skipped: dict[str, int] | None) -> str | None:
    """The sentence saying how many rows of an indicator block or list were not indicators, or None."""
    if not skipped:
        return None
    parts = []
    if skipped.get("不适用"):
        parts.append(f"{skipped['不适用']} 行三级指标为“不适用”")
    if skipped.get("empty"):
        parts.append(f"{skipped['empty']} 行三级指标为空")
    if not parts:
        return None
    return "、".join(parts) + "，不是指标，已跳过（没有导入）"


def skipped_warning(skipped: dict[str, int] | None, file: str, sheet: str | None, row: int | None,
                    problems: list) -> None:
    message = skipped_message(skipped)
    if message:
        problems.append(Problem(file, sheet, row, "三级指标", message, WARNING))


# a level-2 name written in the 一级指标 column (数量指标 where 产出指标 belongs): its level 1 is known
_LEVEL2_PARENT = {
    "数量": "产出指标", "质量": "产出指标", "时效": "产出指标", "成本": "产出指标",
    "经济效益": "效益指标", "社会效益": "效益指标", "生态效益": "效益指标", "可持续影响": "效益指标",
    "服务对象满意度": "满意度指标",
}
_LEVEL1_TIDY = re.compile(r"类指标$|类$")


def level_pair(level1: object, level2: object) -> tuple[object, object]:
    """一级/二级 as a form writes them → as stored: "产出类指标" → "产出指标"; a 二级 name in the 一级 column
    (数量指标 with no 二级 given) → (产出指标, 数量指标)."""
    l1 = clean_level(level1)
    if l1 is None:
        return level1, level2
    bare = re.sub(r"指标$", "", l1)
    parent = _LEVEL2_PARENT.get(bare)
    if parent is not None and clean_level(level2) is None:
        return parent, l1
    if _LEVEL1_TIDY.search(l1):
        return _LEVEL1_TIDY.sub("指标", l1), level2
    return level1, level2


def _percent_cell(cell: dict, f: str):
    """A value cell of a row whose unit is %: a number up to 1.5 against a target above 1.5 is a cell formatted as
    a percentage (0.88 shown as 88%), read as percentage points like every percent (docs/data-formats.md §4.3)."""
    v = cell.get(f)
    if f not in ("actual", "current", "expected") or isinstance(v, bool) or not isinstance(v, (int, float)):
        return v
    unit = C.clean_text(cell.get("measure_unit"))
    target = cell.get("target")
    if unit == "%" and 0 <= v <= C.PERCENT_POINTS_ABOVE and isinstance(target, (int, float)) \
            and not isinstance(target, bool) and target > C.PERCENT_POINTS_ABOVE:
        return round(v * 100, 10)
    return v


_LIKELIHOOD = C.enum_parser("likelihood", LIKELIHOODS)


def form_indicator_table(file: str, sheet: str | None, stage: str, items: list[tuple[dict, list[tuple[int, dict]]]],
                         meta: dict, problems: list) -> ParsedTable | None:
    """Indicator rows of forms → one indicators table. `items` pairs each form's project columns (year,
    department, unit, project_code, project_name and their codes) with its indicator rows."""
    records = []
    for project, rows in items:
        for r, cell in rows:
            rec = {**project, "stage": stage, "_row": r + 1}
            for f in ("level1", "level2", "name", "comparator", "target", "measure_unit", "actual", "current",
                      "expected"):
                if f in cell:
                    rec[f] = C.clean_text(_percent_cell(cell, f))
            if "deviation_reason" in cell:
                rec["deviation_reason"] = C.clean_long_text(cell["deviation_reason"])
            if C.clean_text(cell.get("likelihood")):
                value, error = _LIKELIHOOD(cell["likelihood"])
                if error:
                    problems.append(Problem(file, sheet, r + 1, "完成目标可能性",
                                            f"指标“{rec.get('name')}”的完成目标可能性：{error}，这一格未导入", WARNING))
                rec["likelihood"] = None if error else value
            for f, parse, label in (("weight", C.parse_number, "分值"), ("score", C.parse_score, "得分")):
                if f in cell:
                    value, error = parse(cell[f])
                    if error:
                        problems.append(Problem(file, sheet, r + 1, label, f"指标“{rec.get('name')}”的{label}：{error}，"
                                                "这一格未导入", WARNING))
                        value = None
                    rec[f] = value
            records.append(rec)
    if not records:
        return None
    names = list(dict.fromkeys(k for rec in records for k in rec))
    data = {}
    for k in names:
        items_ = [rec.get(k) for rec in records]
        if k in ("weight", "score"):
            data[k] = pd.Series([np.nan if v is None else v for v in items_], dtype=float)
        elif k == "_row":
            data[k] = pd.Series(items_, dtype=np.int64)
        else:
            data[k] = pd.Series(objects(items_), dtype=object)
    return ParsedTable(file, sheet, "indicators", pd.DataFrame(data), {}, {}, {**meta, "forms_indicators": len(records)})
