"""Every check of a table or an import set that is more than one cell's type: required cells, score against
grade, amounts above the budget, duplicate keys and conflicting repeats, the template's example rows,
each raised once as Problems.

The reader runs the sheet checks (`required_cells`, `score_grade`, `over_budget`) on each table it
reads; the importer runs the set checks (`duplicate_conflicts`, `stored_budget_warnings`) once the files
are combined and linked. Per-cell parsing (types, ranges) is cells.py's. Vectorised over numpy/pandas
columns, because a monitoring set can have 100,000 rows.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from dashboard.core.rules import grade_for_score
from dashboard.core.settings import Rules
from dashboard.core.vocab import (
    DATE,
    MONEY,
    NUMBER,
    SIGNED_MONEY,
    STAGE_DECLARED,
    STAGE_MONITORING,
    STAGE_SELF,
)
from data_loaders import headers as H
from data_loaders import indicators as I
from data_loaders import schema
from data_loaders.problems import ERROR, WARNING, Problem
from data_loaders.tables import objects, show_number

# 0.005 万元 (50 元): amounts rounded to cents of 万元 must not trip the over-budget warning
OVER_BUDGET_TOLERANCE = 0.005

# The template's example rows start a name cell (主管部门, 预算单位, 项目名称) with this mark. Cell text
# survives what users do with rows (copy, paste values, move to another workbook, save as CSV), where a
# fill or a comment would not, and the reader sees only values.
EXAMPLE_MARK = "【示例】"
_EXAMPLE = re.compile(r"(?:^|\x00)\s*[【\[［]\s*示例\s*[】\]］]")
TEMPLATE_ONLY = "模板中只有示例行，没有数据可导入"


def example_rows(columns) -> dict[int, int]:
    """Rows (positions) a cell of which starts with the example mark → the first such column."""
    found: dict[int, int] = {}
    for c, col in enumerate(columns):
        joined = col.joined
        if not joined or "示例" not in joined or not _EXAMPLE.search(joined):
            continue  # a column without the mark is never scanned row by row
        for i, v in enumerate(col.values):
            if v.__class__ is str and i not in found and _EXAMPLE.match(v):
                found[i] = c
    return found


def example_warning(sheet, row: int, column: str) -> None:
    sheet.problem(row, column, f"这是模板的示例行（以“{EXAMPLE_MARK}”开头），已跳过，没有导入；"
                               f"如果这一行是要导入的数据，请删去单元格里的“{EXAMPLE_MARK}”", WARNING)


def template_only(fr) -> Problem | None:
    """The error for a file that holds nothing but the template's example rows (an untouched template)."""
    if fr.tables and not any(len(t.frame) for t in fr.tables) and any(t.meta.get("example_rows") for t in fr.tables):
        return Problem(fr.file, None, None, None, TEMPLATE_ONLY + "（示例行已全部跳过，本文件没有写入任何数据）")
    return None


def show(value) -> str:
    if value is None:
        return "空"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def duplicate_conflicts(
    df: pd.DataFrame,
    key: list[str],
    value_cols: list[str],
    numeric_cols: set[str],
) -> tuple[list[tuple[int, int, str, object, object]], pd.Index]:
    """Rows sharing a key: (later index, earlier index, first differing column, later value, earlier value)
    for those that disagree, and the index of later rows that merely repeat an earlier one (to drop).

    `df` is in the set's canonical order, so "later" means later in that order. Two values disagree
    only when both are filled: a file without a column does not contradict one with it.
    """
    dup = df.duplicated(key, keep=False)
    conflicts: list[tuple[int, int, str, object, object]] = []
    if not dup.any():
        return conflicts, pd.Index([])
    sub = df.loc[dup]
    first_idx = sub.groupby(key, sort=False, dropna=False).head(1).index
    firsts = sub.loc[first_idx]
    later = sub.drop(index=first_idx)
    # the earlier row each later row is compared with
    pairs = later[key].reset_index().merge(
        firsts[key].reset_index().rename(columns={"index": "_first"}), on=key, how="left"
    )
    earlier_of = pd.Series(pairs["_first"].to_numpy(), index=pairs["index"].to_numpy())
    drop: list[int] = []
    for idx in later.index:
        j = earlier_of[idx]
        bad = None
        for col in value_cols:
            x, y = df.at[idx, col], df.at[j, col]
            if _missing(x) or _missing(y):
                continue
            if col in numeric_cols:
                if not np.isclose(float(x), float(y), rtol=1e-12, atol=1e-9):
                    bad = (col, x, y)
                    break
            elif x != y:
                bad = (col, x, y)
                break
        if bad is None:
            drop.append(idx)
        else:
            conflicts.append((idx, j, bad[0], bad[1], bad[2]))
    return conflicts, pd.Index(drop)


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float) and np.isnan(value))
    except TypeError:
        return False


def row_problems(df: pd.DataFrame, mask, column: str | None, message: str, labels, level=ERROR) -> list[Problem]:
    """One Problem per row selected by `mask`, naming the row's own file, sheet, Excel row and column."""
    rows = df.loc[mask, ["_file", "_sheet", "_row", "_t"]]
    out = []
    for file, sheet, row, t in rows.itertuples(index=False, name=None):
        out.append(Problem(file, sheet, _int(row), labels(t, column) if column else None, message, level))
    return out


def _int(value):
    return None if _missing(value) else int(value)


# --- one table (the reader calls these with its sheet: .problem(), .col_label(), .excel_rows, ...) --

# What to do about a required value the file does not give, where the caller can give it.
MISSING_HINTS = {
    "kind": "，标题里也没有写明评价类型（如“财政重点绩效评价结果”“绩效自评”）。请在上传页选择评价类型"
            "（命令行加 --kind 财政重点评价，可选：单位自评、部门评价、财政重点评价、抽查复核）",
}


def required_cells(values: dict[str, np.ndarray], bad: dict[str, dict[int, str]], by_field: dict[str, int],
                   n: int, sheet) -> None:
    """Required columns present and filled, and each "one of" group (主管部门 or 预算单位, …) given."""
    if not n:
        return
    rows = sheet.excel_rows
    if "name" in values and sheet.kind in ("indicators", "projects", "monitoring"):
        indicator_rows(values, n, sheet)

    def empty(name: str) -> np.ndarray:
        mask = pd.isna(values[name])
        for i in bad.get(name, ()):
            mask[i] = False  # already reported as unreadable
        return mask

    table_errors = []
    for f in sheet.spec.fields:
        if not f.required or f.name in ("year", "as_of"):
            continue
        hint = MISSING_HINTS.get(f.name, "")
        if f.name not in values:
            table_errors.append(f"缺少必填列“{f.label}”{hint}")
            continue
        if sheet.kind == "indicators" and f.name == "name":
            continue  # rows without an indicator are counted and skipped (indicator_rows)
        for i in np.flatnonzero(empty(f.name)).tolist():
            sheet.problem(rows[i], sheet.col_label(f.name), f"必填项“{f.label}”为空{hint}")
    for name in ("year", "as_of"):
        if name in by_field and name in values:
            for i in np.flatnonzero(empty(name)).tolist():
                sheet.problem(rows[i], sheet.col_label(name), f"“{sheet.field_label(name)}”为空，标题和上传参数里也没有")
    for group in schema.ONE_OF.get(sheet.kind, ()):
        if sheet.kind == "indicators" and group == ("department", "unit") and "project_code" in values \
                and not any(g in values for g in group):
            continue  # indicators of projects named by code (a 指标 sheet beside a 项目 sheet)
        present = [g for g in group if g in values]
        words = "”或“".join(sheet.field_label(g) for g in group)
        if not present:
            table_errors.append(f"缺少“{words}”列（至少要有一列）")
            continue
        missing = np.ones(n, dtype=bool)
        for g in present:
            missing &= pd.isna(values[g])
            for i in bad.get(g, ()):
                missing[i] = False
        for i in np.flatnonzero(missing).tolist():
            sheet.problem(rows[i], sheet.col_label(present[0]), f"“{words}”至少要填一项")
    for message in table_errors:
        found = "、".join(t for t in sheet.layout.labels if t)
        sheet.problem(sheet.header_row, None, f"{sheet.spec.label}表{message}（找到的列：{found}）")


EMPTY_TEMPLATE = "这是空白模板，没有数据行"
# a report tool's field placeholder: &=$Field, &=Table.Field, ${field}, {{field}}, #{field}
_FIELD_PLACEHOLDER = re.compile(r"^\s*(?:&=|\$\{|\{\{|#\{|\[\[)")


def _placeholder_number(v) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and re.fullmatch(r"\s*\d+(?:\.0+)?\s*", v):
        return float(v)
    return None


def empty_template(grid: list[list], data_start: int, labels: list[str]) -> str | None:
    """The sentence for an empty template (EMPTY_TEMPLATE), or None when the sheet has data rows.

    Empty: under the header there is nothing but blank rows, rows filled only in 序号-like columns, placeholder
    rows that repeat one small number in every column (a report designer's 1.0 row), or cells that are a
    report tool's field placeholders (`&=$Field`)."""
    cols = [c for c, t in enumerate(labels) if t and not _ignored(t)]
    if len(cols) < 2:
        return None
    for row in grid[data_start:]:
        cells = [row[c] for c in cols if c < len(row) and _filled(row[c])]
        if not cells:
            continue
        if all(isinstance(v, str) and _FIELD_PLACEHOLDER.match(v) for v in cells):
            continue
        numbers = {_placeholder_number(v) for v in cells}
        if len(numbers) == 1 and None not in numbers and next(iter(numbers)) in (0.0, 1.0) \
                and len(cells) >= max(2, len(cols) // 2):
            continue
        return None
    return EMPTY_TEMPLATE


def _filled(v) -> bool:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return False
    return not (isinstance(v, str) and not v.strip())


def _ignored(label: str) -> bool:
    return H.is_ignored(label)


def indicator_rows(values: dict[str, np.ndarray], n: int, sheet) -> None:
    """A list with indicator columns (one row per indicator): the stage when the sheet has no 阶段 column (the
    values it reports say which: 实际完成值 → 自评, 截至目前 / 全年预计 → 监控, a target alone → 申报), and one
    warning counting the rows whose 三级指标 is 不适用 or empty, which are not indicators (skipped)."""
    if sheet.kind == "indicators" and "stage" not in values:
        stage = STAGE_SELF if "actual" in values else STAGE_MONITORING if values.keys() & {"current", "expected"} \
            else STAGE_DECLARED
        values["stage"] = objects([stage] * n)
        sheet.problem(sheet.header_row, None, f"没有“阶段”列：按表中的列读作“{stage}”阶段的指标", WARNING)
    names = values["name"]
    skipped = {"不适用": 0, "empty": 0}
    for v in names.tolist():
        if I.is_not_applicable(v):
            skipped["不适用"] += 1
        elif not _filled(v):
            skipped["empty"] += 1  # a placeholder name (指标1, ……) is skipped without a word
    if sheet.kind != "indicators" and skipped["不适用"] + skipped["empty"] == n:
        return  # a list without a single indicator: its indicator columns are empty, nothing to say
    message = I.skipped_message(skipped)
    if message:
        sheet.problem(sheet.header_row, sheet.col_label("name"), message, WARNING)


def bands(rules: Rules) -> str:
    """The grade bands as messages state them: "≥90 优，≥80 良，≥60 中，其余为差"."""
    return (f"≥{show_number(rules.grade_excellent)} 优，≥{show_number(rules.grade_good)} 良，"
            f"≥{show_number(rules.grade_pass)} 中，其余为差")


def score_grade(values: dict[str, np.ndarray], sheet, rules: Rules) -> None:
    """等级 must be the one the 得分 gives under the configured bands; an empty 等级 is filled from the score."""
    scores, grades = values.get("score"), values.get("grade")
    if scores is None:
        return
    score_list = [None if math.isnan(s) else s for s in scores.tolist()]
    by_score = {s: grade_for_score(s, rules) for s in set(score_list) if s is not None}
    if grades is None:
        values["grade"] = objects([by_score.get(s) for s in score_list])
        return
    label = sheet.col_label("grade")
    filled = []
    for row, s, g in zip(sheet.excel_rows, score_list, grades.tolist()):
        expected = by_score.get(s)
        if g is None:
            filled.append(expected)
            continue
        if expected is not None and expected != g:
            sheet.problem(row, label, f"等级“{g}”与得分 {show_number(s)} 不符（按得分应为“{expected}”：{bands(rules)}）")
        filled.append(g)
    values["grade"] = objects(filled)


def form_grade_mismatch(score: float | None, grade: str | None, rules: Rules) -> str | None:
    """The self-evaluation form's version of `score_grade`: the message when 等级 and 总分 disagree."""
    expected = grade_for_score(score, rules)
    if grade and expected and grade != expected:
        return f"等级“{grade}”与得分 {show_number(score)} 不符（按得分应为“{expected}”）"
    return None


def _over(executed: np.ndarray, budget: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (executed > budget + OVER_BUDGET_TOLERANCE) & (budget >= 0)


def over_budget(values: dict[str, np.ndarray], sheet) -> None:
    """执行数 above the row's 调整后预算, or a 执行率 above 100% where the amounts are not both given:
    accepted with a warning (docs/data-formats.md), flagged later on the pages."""
    executed, budget, rate = values.get("executed"), values.get("adjusted_budget"), values.get("execution_rate")
    rows = sheet.excel_rows
    computed = np.zeros(len(rows), dtype=bool)
    if executed is not None and budget is not None:
        e, b = executed, budget
        for i in np.flatnonzero(_over(e, b)).tolist():
            pct = f"，执行率 {e[i] / b[i] * 100:.1f}%" if b[i] > 0 else ""
            sheet.problem(rows[i], sheet.col_label("executed"),
                          f"执行数 {show_number(e[i])} 万元超过调整后预算 {show_number(b[i])} 万元{pct}", WARNING)
        computed = ~np.isnan(e) & ~np.isnan(b)
    if rate is not None:
        with np.errstate(invalid="ignore"):
            over = np.flatnonzero((rate > 1 + 1e-9) & ~computed)
        for i in over.tolist():
            sheet.problem(rows[i], sheet.col_label("execution_rate"), f"执行率 {rate[i] * 100:.1f}% 超过 100%", WARNING)


# --- the combined set ----------------------------------------------------------------------------

def stored_budget_warnings(df: pd.DataFrame, budget: pd.Series, labels) -> list[Problem]:
    """执行数 above the stored project's budget, for the rows the reader could not judge: those that give
    no 调整后预算 of their own (and no 执行率 above 100%, which the reader already warned about)."""
    own = df["adjusted_budget"].isna().to_numpy()
    rate = df["execution_rate"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        judged = rate > 1 + 1e-9
    executed = pd.to_numeric(df["executed"], errors="coerce").to_numpy(dtype=float)
    b = budget.to_numpy(dtype=float)
    over = own & ~judged & _over(executed, b)
    out = []
    for i in np.flatnonzero(over).tolist():
        row = df.iloc[i]
        out.append(Problem(
            row["_file"], row["_sheet"], _int(row["_row"]), labels(row["_t"], "executed"),
            f"执行数 {show(row['executed'])} 万元超过预算 {show(float(b[i]))} 万元，已导入并将在页面上标注", WARNING,
        ))
    return out


_STATED = {"initial_budget": "年初预算数", "adjusted_budget": "全年预算数"}


def stated_budget_warnings(df: pd.DataFrame, pid: pd.Series, known: set, stored: pd.DataFrame) -> list[Problem]:
    """A self-evaluation form's 年初预算数 / 全年预算数 differing from the project already known (stored, or
    given by another file of the set): warned, and the known figure kept. `stored` is indexed by project id."""
    out = []
    for col, label in _STATED.items():
        if col not in df.columns:
            continue
        stated = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        ids = pid.to_numpy()
        for i in range(len(df)):
            x, p = stated[i], ids[i]
            if np.isnan(x) or pd.isna(p) or int(p) not in known:
                continue
            y = pd.to_numeric(pd.Series([stored.at[int(p), col]]), errors="coerce").iloc[0]
            if pd.isna(y) or abs(float(y) - x) < 0.005:
                continue
            row = df.iloc[i]
            out.append(Problem(row["_file"], row["_sheet"], _int(row["_row"]), label,
                               f"自评表写的{label} {show(x)} 万元与已有项目的 {show(float(y))} 万元不同，"
                               "保留已有的数值；请核对", WARNING))
    return out


# --- 合理取值范围 (docs/rules.md): amounts, scores, rates and dates a budget table can plausibly hold -----------------

# money fields of the 部门整体 forms (data_loaders.department_form, not in schema.TABLES) and how a message names them
_FORM_MONEY = {"basic_budget": "基本支出", "project_budget": "项目支出", "total_budget": "预算合计",
               "fiscal_funds": "财政拨款", "other_funds": "其他资金", "executed": "执行数", "amount": "金额"}
_FORM_NUMBERS = {"staff_count": "财政供养人员数", "sub_unit_count": "下属二级单位数", "weight": "分值", "score": "得分"}


def _number_text(x: float) -> str:
    """An out-of-range number as a message quotes it: 1.2e+308, 123,456,789,012, inf."""
    if not math.isfinite(x):
        return "无穷大" if x > 0 else ("负无穷大" if x < 0 else "非数字")
    return f"{x:.6g}" if abs(x) >= 1e15 else show_number(x)


def _yi(wan: float) -> str:
    """万元 in the larger units: 100000000 → 1 万亿元, 500000 → 50 亿元."""
    return f"{wan / 1e8:g} 万亿元" if wan >= 1e8 else f"{wan / 1e4:g} 亿元"


def value_ranges(table, rules: Rules) -> list[Problem]:
    """Every cell of a parsed table outside its plausible range, as an ERROR naming the file, sheet, row and column:
    an amount (万元, after the 金额单位 rule) that is not a finite number or above `amount_max_wan` in absolute value,
    a score or rate that is not finite, a date whose year is outside `date_min_year`–`date_max_year`. Run by the
    importer's writer on every table of every reader (sheets, forms, sync), once the amounts are in their final unit."""
    frame = table.frame
    if frame is None or not len(frame):
        return []
    spec = schema.TABLES.get(table.kind)
    if spec is not None:
        fields = [(f.name, f.type, table.columns.get(f.name) or f.label) for f in spec.fields]
    else:
        fields = [(n, MONEY, label) for n, label in _FORM_MONEY.items()]
        fields += [(n, NUMBER, label) for n, label in _FORM_NUMBERS.items()]
    rows = frame["_row"].tolist() if "_row" in frame.columns else list(range(2, len(frame) + 2))
    out: list[Problem] = []
    top = rules.amount_max_wan
    lo, hi = rules.date_min_year, rules.date_max_year
    for name, kind, label in fields:
        if name not in frame.columns:
            continue
        col = frame[name]
        if kind == DATE:
            for i, d in enumerate(col.tolist()):
                if isinstance(d, (dt.date, dt.datetime)) and not lo <= d.year <= hi:
                    out.append(Problem(table.file, table.sheet, _int(rows[i]), label,
                                       f"日期 {d.isoformat()[:10]} 不在合理范围内（应在 {lo}-01-01 至 {hi}-12-31 之间，"
                                       f"设置 [rules] date_min_year / date_max_year），请核对这一格"))
            continue
        if col.dtype.kind not in "fiu":
            continue
        values = col.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            if kind in (MONEY, SIGNED_MONEY):
                bad = np.isinf(values) | (np.abs(values) > top)
            else:
                bad = np.isinf(values)
        for i in np.flatnonzero(bad).tolist():
            x = float(values[i])
            if kind in (MONEY, SIGNED_MONEY):
                message = (f"金额 {_number_text(x)} 万元超出合理范围：单个金额不应超过 {show_number(top)} 万元"
                           f"（{_yi(top)}，设置 [rules] amount_max_wan）。请核对这一格（是否多写了位数或写错了金额单位）")
            else:
                message = f"“{_number_text(x)}”不是有限的数字，请核对这一格"
            out.append(Problem(table.file, table.sheet, _int(rows[i]), label, message))
    return out
