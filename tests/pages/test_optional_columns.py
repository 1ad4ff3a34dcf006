"""Optional columns stay optional (issue 23, item 3): a file without an optional column, or with it empty for
some or all rows, imports, and every page and the 部门简报 still work and show the figures a reader can work
out by hand.

A small set (units, projects, monitoring, evaluations, findings; 2024 and a 2023 year for comparisons) is
written as CSV files, imported through the importer (the same path as the upload page and the command line),
and the app is run against the result with Streamlit's AppTest: the overview, every data page and 操作日志, a
project card and the second department's profile, then the brief of each department and the annual report
draft. Cases (SQLite; all-empty and half-empty on PostgreSQL too):

- `<table>-min`: the table keeps only its required columns and one of each "one of" pair (data_loaders/schema.py
  ONE_OF: 主管部门 or 预算单位, 项目编码 or 项目名称): every other optional column of that table is absent.
- `<table>-alt`: the other member of each pair (预算单位 instead of 主管部门, 项目名称 instead of 项目编码).
- `half-empty`: every table has every column, but each optional column is empty on every other row.
- `all-empty`: every column is there with its header, every optional cell empty.

Hand figures (2024): budgets JY-01 1,000, JY-02 500, WJ-01 3,000 万元 (4,500 in all); evaluations 90, 80, 70
(mean 80.0); findings 1 of 3 rectified and verified (33.3%).

`test_each_optional_column_alone` drops one optional column at a time (every one of the four tables; the "one
of" columns of a table with an -alt case are left to that case) and checks summary --json's figures without the
app (cheap), so that a single missing column is covered too. The whole module runs in about 60 s of one core.
"""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
import streamlit as st
from sqlalchemy import text

from dashboard.core import db
from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief as B
from dashboard.documents import report_document
from data_loaders import schema
from data_loaders.importer import import_files
from tests.pages.apptest import ROOT, make_app
from tests.pages.apptest import metrics as shown_metrics

TODAY = "2025-03-31"
YEAR = 2024

UNITS = """主管部门编码,主管部门,单位编码,单位名称,单位类型,所属领域
101,区教育局,101001,区教育局本级,部门,教育
101,区教育局,101002,区第一中学,部门,教育
102,区卫健委,102001,区卫健委本级,部门,卫生
"""

# each table: header (canonical labels) and rows; the first three rows are 2024
DATA = {
    "projects": (
        ["年度", "主管部门", "预算单位", "项目编码", "项目名称", "项目类别", "资金来源", "年初预算", "调整后预算",
         "是否设定绩效目标", "目标审核等级", "事前评估结论", "是否重点项目"],
        [
            ["2024", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "项目支出", "一般公共预算", "900", "1000", "是", "优", "支持", "是"],
            ["2024", "区教育局", "区第一中学", "JY-02", "校舍维修改造", "项目支出", "政府性基金预算", "500", "500", "是", "良", "调整后支持", "否"],
            ["2024", "区卫健委", "区卫健委本级", "WJ-01", "医疗设备购置", "新增债券", "一般公共预算", "2800", "3000", "否", "中", "支持", "否"],
            ["2023", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "项目支出", "一般公共预算", "800", "800", "是", "优", "支持", "是"],
            ["2023", "区卫健委", "区卫健委本级", "WJ-01", "医疗设备购置", "项目支出", "一般公共预算", "2500", "2500", "是", "良", "支持", "否"],
        ],
    ),
    "monitoring": (
        ["年度", "监控截止日期", "主管部门", "预算单位", "项目编码", "项目名称", "调整后预算", "执行数", "执行率",
         "目标完成进度", "偏差原因", "完成目标可能性", "是否需要整改", "整改要求"],
        [
            ["2024", "2024-08-31", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "1000", "600", "60%", "50%", "", "确定能", "否", ""],
            ["2024", "2024-08-31", "区教育局", "区第一中学", "JY-02", "校舍维修改造", "500", "100", "20%", "10%", "招标延期", "有可能", "是", "加快进度"],
            ["2024", "2024-08-31", "区卫健委", "区卫健委本级", "WJ-01", "医疗设备购置", "3000", "1500", "50%", "40%", "到货延迟", "完全不可能", "是", "调整计划"],
            ["2023", "2023-08-31", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "800", "500", "62.5%", "60%", "", "确定能", "否", ""],
        ],
    ),
    "evaluations": (
        ["年度", "评价类型", "评价对象类型", "主管部门", "预算单位", "项目编码", "项目名称", "资金规模", "全年执行数",
         "得分", "等级", "评价机构", "人大代表参与", "主要问题", "结果应用", "下年预算调整"],
        [
            ["2024", "单位自评", "项目支出", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "1000", "950", "90", "优", "本单位", "否", "无", "保障", "0"],
            ["2024", "财政重点评价", "项目支出", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "1000", "950", "80", "良", "第三方机构", "是", "台账不全", "压减", "-50"],
            ["2024", "部门评价", "项目支出", "区卫健委", "区卫健委本级", "WJ-01", "医疗设备购置", "3000", "2000", "70", "中", "区卫健委", "否", "进度慢", "压减", "-300"],
            ["2023", "单位自评", "项目支出", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "800", "780", "88", "良", "本单位", "否", "", "", ""],
        ],
    ),
    "findings": (
        ["年度", "问题来源", "主管部门", "预算单位", "项目编码", "项目名称", "问题描述", "整改要求", "整改时限", "整改状态",
         "完成日期", "整改措施", "涉及金额", "核验日期", "核验人", "核验方式"],
        [
            ["2024", "财政重点评价", "区教育局", "区教育局本级", "JY-01", "营养改善计划", "台账不全", "补齐台账", "2024-12-31", "已整改", "2024-11-30", "已补齐", "10", "2024-12-10", "区财政局", "查阅台账"],
            ["2024", "绩效监控", "区教育局", "区第一中学", "JY-02", "校舍维修改造", "进度滞后", "加快进度", "2024-12-31", "未整改", "", "", "50", "", "", ""],
            ["2024", "部门评价", "区卫健委", "区卫健委本级", "WJ-01", "医疗设备购置", "设备闲置", "盘活设备", "2025-06-30", "整改中", "", "调剂使用", "300", "", "", ""],
            ["2023", "审计", "区卫健委", "区卫健委本级", "WJ-01", "医疗设备购置", "采购流标", "重新采购", "2023-12-31", "已整改", "2023-12-01", "重新招标", "", "2023-12-20", "区财政局", "现场核查"],
        ],
    ),
}

BUDGET_2024 = 4500.0  # 1,000 + 500 + 3,000 万元
SCORE_MEAN_2024 = 80.0  # (90 + 80 + 70) / 3
RECTIFIED_2024 = "33.3%"  # 1 of 3 findings 已整改 and verified (核验日期 given: 整改率 counts 已核验 findings)


def rectified_2024(case: str) -> str:
    """整改率 shown for 2024: the one 已整改 finding counts only where its 核验日期 was imported (row 0: kept blank
    only by all-empty; dropped by findings-min)."""
    return "0.0%" if case in ("findings-min", "all-empty") else RECTIFIED_2024


def _fields(kind: str) -> dict[str, schema.Field]:
    return {f.label: f for f in schema.TABLES[kind].fields}


def _identity(kind: str) -> tuple[tuple[str, ...], ...]:
    """The ONE_OF pairs of a table, as Chinese labels; a 项目支出 evaluation (the default object type) names its
    project too."""
    spec = schema.TABLES[kind]
    pairs = tuple(tuple(spec.field(n).label for n in pair) for pair in schema.ONE_OF.get(kind, ()))
    return pairs + ((("项目名称", "项目编码"),) if kind == "evaluations" else ())


def optional_labels(kind: str) -> list[str]:
    """Every optional column of a table (required ones and the ONE_OF pairs' first members are kept)."""
    return [f.label for f in schema.TABLES[kind].fields if not f.required]


def keep_min(kind: str, alt: bool = False) -> list[str]:
    """Required columns plus one member of each ONE_OF pair (the first, or the second with alt). A new project
    needs its name (the importer refuses a code it does not know without one), so projects keep 项目名称 always."""
    required = [f.label for f in schema.TABLES[kind].fields if f.required]
    keep = required + [pair[1 if alt else 0] for pair in _identity(kind)]
    if kind == "projects" and "项目名称" not in keep:
        keep.append("项目名称")
    return keep


def csv_text(kind: str, keep: list[str] | None = None, blank=None) -> str:
    """The table as CSV: only the `keep` columns (default all); blank(col_label, row_index) → True empties a cell."""
    header, rows = DATA[kind]
    cols = [i for i, h in enumerate(header) if keep is None or h in keep]
    lines = [",".join(header[i] for i in cols)]
    for r, row in enumerate(rows):
        lines.append(",".join("" if blank and blank(header[i], r) else row[i] for i in cols))
    return "\n".join(lines) + "\n"


def files_for(case: str) -> list[tuple[str, bytes]]:
    texts = {kind: csv_text(kind) for kind in DATA}
    if case.endswith(("-min", "-alt")):
        kind = case.rsplit("-", 1)[0]
        texts[kind] = csv_text(kind, keep=keep_min(kind, alt=case.endswith("-alt")))
    elif case in ("half-empty", "all-empty"):
        for kind in DATA:
            ident = {label for pair in _identity(kind) for label in pair}
            required = {f.label for f in schema.TABLES[kind].fields if f.required}

            def blank(label, r, ident=ident, required=required):
                if label in required or label in ident:
                    return False
                return case == "all-empty" or r % 2 == 1
            texts[kind] = csv_text(kind, blank=blank)
    else:
        raise AssertionError(case)
    return [("units.csv", UNITS.encode())] + [(f"{k}.csv", t.encode()) for k, t in texts.items()]


def imported(url: str, case: str) -> None:
    result = import_files(url, files_for(case))
    assert result.ok, [str(p) for p in result.errors]


def budget_2024(case: str) -> float:
    """What the 2024 budget total must be in each case (adjusted budget, else initial)."""
    header, rows = DATA["projects"]
    if case == "projects-min" or case == "projects-alt" or case == "all-empty":
        return 0.0
    total = 0.0
    for r, row in enumerate(rows):
        if row[0] != "2024":
            continue
        if case == "half-empty" and r % 2 == 1:
            continue  # both budgets empty on this row
        total += float(row[header.index("调整后预算")])
    return total


def _budget_shown(m: dict) -> float | None:
    """The overview's budget metric in 万元 (its label says 亿元 or 万元)."""
    for label, (value, _delta) in m.items():
        if label.startswith("预算"):
            v = float(value.replace(",", ""))
            return v * 10000 if "亿元" in label else v
    return None


# ------------------------------------------------------------------------------------------------ the app

CASES = [f"{k}-min" for k in DATA] + ["projects-alt", "monitoring-alt", "evaluations-alt", "half-empty", "all-empty"]
DATA_PAGES = ["ranking", "department", "coverage", "monitoring", "evaluation", "rectification", "projects", "audit"]


@pytest.fixture
def case_env(tmp_path, monkeypatch):
    def make(case: str, url: str | None = None) -> str:
        url = url or f"sqlite:///{tmp_path / (case + '.db')}"
        imported(url, case)
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("DASHBOARD_TODAY", TODAY)
        monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
        st.cache_data.clear()
        st.cache_resource.clear()
        return url
    yield make
    st.cache_data.clear()


def _no_trouble(at, page: str) -> None:
    assert not at.exception, (page, [e.value for e in at.exception])
    assert not at.error, (page, [e.value for e in at.error])
    guarded = [w.value for w in at.warning if "暂时无法显示" in w.value]
    assert not guarded, (page, guarded)


@pytest.mark.parametrize("case", CASES)
def test_every_page_and_the_brief_without_optional_columns(case_env, case):
    _pages_and_brief(case_env(case), case)


@pytest.mark.postgres
@pytest.mark.parametrize("case", ["all-empty", "half-empty"])
def test_on_postgresql(case_env, pg_url, case):
    """PostgreSQL types its columns (enums, booleans): the 未填资金来源 kind of failure showed only there too."""
    _pages_and_brief(case_env(case, pg_url), case)


def _pages_and_brief(url: str, case: str) -> None:
    at = make_app()
    _no_trouble(at, "overview")
    m = shown_metrics(at)
    # the figures a reader can check by hand
    budget = budget_2024(case)
    if budget:
        assert _budget_shown(m) == pytest.approx(budget), m
    if case in ("evaluations-min", "evaluations-alt", "all-empty"):
        assert m["评价平均分"][0] == "—", m  # no 得分 at all: no mean, not 0
    else:
        assert m["评价平均分"][0] == f"{SCORE_MEAN_2024:.1f}", m  # half-empty: (90 + 70) / 2 is 80 too
    assert m["整改率"][0] == rectified_2024(case), m  # 整改状态 is required; 核验日期 optional
    for page in DATA_PAGES:
        at.switch_page(f"../pages/{page}.py")
        at.run()
        _no_trouble(at, page)
    # the card of JY-02 (the row half-empty leaves blank) and the profile of the department not shown by default
    with db.get_engine(url).connect() as conn:
        projects = conn.execute(text("SELECT id FROM projects WHERE year = 2024 ORDER BY id")).scalars().all()
        departments = conn.execute(text("SELECT id FROM departments ORDER BY id")).scalars().all()
    assert len(projects) == 3 and len(departments) == 2
    for param, page, values in (("project", "projects", projects[1:2]), ("dept", "department", departments[1:])):
        for value in values:
            at.query_params.clear()
            at.query_params[param] = str(value)
            at.switch_page(f"../pages/{page}.py")
            at.run()
            _no_trouble(at, f"{page}?{param}={value}")
    # the brief of each department
    for dept in ("区教育局", "区卫健委"):
        data = B.brief_document(url, YEAR, dept, dt.date.fromisoformat(TODAY), Rules(), Documents())
        words = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert dept in words
    # and the annual report draft of all departments
    data = report_document(url, YEAR, dt.date.fromisoformat(TODAY), Rules(), Documents())
    assert f"{YEAR}" in "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


# ------------------------------------------------------------------------------------------------ one column at a time

# a new project needs its name (the importer refuses a code it does not know without one): that column alone is
# not optional for the 项目 table, and its refusal names the column
NOT_ALONE = {("projects", "项目名称")}
# the "one of" columns of a table with an -alt case above are covered there (each of the pair missing in turn)
ALT_KINDS = {c.rsplit("-", 1)[0] for c in CASES if c.endswith("-alt")}
ONE_COLUMN = [(kind, label) for kind in DATA for label in optional_labels(kind) if label in DATA[kind][0]
              and not (kind in ALT_KINDS and any(label in pair for pair in _identity(kind)))]


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    from dashboard.core import db

    path = tmp_path_factory.mktemp("optional") / "schema.db"
    db.init_db(f"sqlite:///{path}")
    return path


def test_a_new_project_needs_its_name(tmp_path, template_db):
    import shutil

    shutil.copy(template_db, tmp_path / "t.db")
    header = DATA["projects"][0]
    files = [(n, csv_text("projects", keep=[h for h in header if h != "项目名称"]).encode()) if n == "projects.csv"
             else (n, d) for n, d in files_for("half-empty")]
    result = import_files(f"sqlite:///{tmp_path / 't.db'}", files)
    assert not result.ok
    assert all("项目名称" in p.message for p in result.errors), [str(p) for p in result.errors]


@pytest.mark.parametrize(("kind", "label"), [c for c in ONE_COLUMN if c not in NOT_ALONE],
                         ids=[f"{k}-{lb}" for k, lb in ONE_COLUMN if (k, lb) not in NOT_ALONE])
def test_each_optional_column_alone(tmp_path, template_db, kind, label):
    """Without one optional column: the import goes through and summary --json's figures are right (the pages
    and the brief are run on the grouped cases above, to keep the time bounded)."""
    import json
    import shutil

    from dashboard.metrics.summary import summary

    shutil.copy(template_db, tmp_path / "t.db")
    url = f"sqlite:///{tmp_path / 't.db'}"
    files = [("units.csv", UNITS.encode())] + [
        (f"{k}.csv", csv_text(k, keep=[h for h in DATA[k][0] if (k, h) != (kind, label)]).encode()) for k in DATA]
    result = import_files(url, files)
    assert result.ok, [str(p) for p in result.errors]
    today = dt.date.fromisoformat(TODAY)
    s = summary(url, YEAR, None, today, Rules())
    json.dumps(s, allow_nan=False)
    assert s["projects"] == 3
    if (kind, label) not in {("projects", "调整后预算")}:
        assert s["budget_total"] == BUDGET_2024
    else:
        assert s["budget_total"] == 900 + 500 + 2800  # the initial budgets
    if kind != "evaluations" or label != "得分":
        assert s["evaluations"]["avg_score"] == SCORE_MEAN_2024
    # without 核验日期 the one 已整改 finding is not verified: 整改率 (已核验 ÷ all) is 0
    assert s["findings"]["rate"] == (0.0 if (kind, label) == ("findings", "核验日期") else round(1 / 3, 4))
