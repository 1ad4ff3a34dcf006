"""Issue 21: every rule has one home, the documents included; one formatter and one palette for screen and paper.

The brief and the annual report write each threshold from the Rules and Documents settings they are given (never
a number of their own), flag the projects metrics flags, colour 优 as the app does and write each figure as the
screen does.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
from pathlib import Path

import docx
import pytest
from PIL import Image

from dashboard import demo, metrics
from dashboard.core import db
from dashboard.core.settings import Documents, Rules
from dashboard.core.vocab import GRADES, LIGHTS
from dashboard.documents import brief as B
from dashboard.documents import charts as doc_charts
from dashboard.documents import report as report_module
from dashboard.documents import report_document
from dashboard.documents.docx_kit import chart_font
from dashboard.present import fmt, palette
from dashboard.ui import charts as ui_charts
from dashboard.ui import deltas
from tests import small_fixture as fx
from tests.documents.docx_read import rows, table_after

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2025, 7, 1, 9, 0)
TODAY = dt.date(2025, 6, 30)


def _text(d: docx.Document) -> str:
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def _query(url, year, rules, departments=(), today=TODAY) -> metrics.Query:
    return metrics.Query(url, metrics.prepare(url), metrics.Scope(year=year, departments=departments), rules, today)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('county_rules') / 'county.db'}"
    db.init_db(url)
    demo.load_demo(url, scale="county", seed=1)
    return url


# ------------------------------------------------------------------------------------------------ 自评虚高


@pytest.mark.parametrize("gap", [7.5, 4.5])
def test_brief_inflation_follows_the_configured_gap(county, gap):
    """A non-default inflation_gap: the brief says it, lists the projects metrics flags under it, and asks about
    those whose score gap reaches it (not those flagged for a better self grade only)."""
    rules = Rules(inflation_gap=gap)
    year = metrics.available_years(county)[0]
    everyone = metrics.inflation_list(_query(county, year, rules))
    by_gap = everyone[everyone["flagged"] & (everyone["gap"] >= gap)]
    # the department with the most projects flagged on the gap (ties by name)
    name = min(by_gap.groupby("department").size().items(), key=lambda kv: (-kv[1], kv[0]))[0]
    options = metrics.department_options(county)
    dept_id = int(options.loc[options["name"] == name, "id"].iloc[0])
    mine = by_gap[by_gap["department"] == name]
    assert (mine["gap"] < Rules().inflation_gap).any(), "the setting must matter for this department"

    data = B.brief_document(county, year, dept_id, TODAY, rules, Documents(), now=NOW)
    d = docx.Document(io.BytesIO(data))
    text = _text(d)
    # the definition states the configured gap, and no default threshold is written in its place
    assert f"比抽查复核（没有时取财政重点评价）高 ≥{gap:g} 分" in text
    assert not re.search(r"(?<![\d.])10 分", text), "a default 10 分 is written into the brief"
    # the 自评虚高 section lists exactly metrics' flagged projects of the department under this gap
    q = _query(county, year, rules, (dept_id,))
    flagged = metrics.inflation_list(q)
    flagged = flagged[flagged["flagged"]]
    listed = [r[0].split("\n")[0] for r in rows(table_after(d, "自评虚高"))]
    assert listed == flagged["name"].head(Documents().list_rows).tolist()
    assert len(flagged) == metrics.inflation_count(q)[1]
    # the questions: the projects whose gap reaches the setting, largest first, each citing the setting
    b = B.Brief(county, year, dept_id, TODAY, rules, Documents(), NOW)
    asked = [qn for qn in b.questions if qn.rule == "inflation"]
    assert [qn.figures["project_id"] for qn in asked] == mine["project_id"].head(B.QUESTIONS_PER_RULE).tolist()
    assert all(f"（≥{gap:g} 分即为自评虚高）" in qn.basis for qn in asked)
    assert all(qn.text in text and qn.basis in text for qn in asked)
    if len(mine) > B.QUESTIONS_PER_RULE:
        assert f"同类另有 {len(mine) - B.QUESTIONS_PER_RULE} 个自评高出 {gap:g} 分以上的项目" in asked[-1].basis
    else:
        assert gap == 7.5  # 4.5 gives one department more than QUESTIONS_PER_RULE: the sentence is checked there


def test_grade_only_flags_get_no_gap_question_until_the_gap_reaches(sqlite_url):
    """Fixture 卫健委: 基本公共卫生服务 self 92.0 (优) against 88.0 (良) is flagged for its grade; its gap of 4 is
    asked about once the configured gap is 4 or less."""
    ids = fx.build(sqlite_url)
    for gap, asked in ((10.0, []), (4.0, [ids["P4"]]), (3.5, [ids["P4"]])):
        b = B.Brief(sqlite_url, 2022, ids["D2"], fx.TODAY, Rules(inflation_gap=gap), Documents(), NOW)
        assert b.inflation["project_id"].tolist() == [ids["P4"]]  # flagged at every gap (better grade)
        got = [q for q in b.questions if q.rule == "inflation"]
        assert [q.figures["project_id"] for q in got] == asked, gap
        assert all(f"高出 4.0 分（≥{gap:g} 分即为自评虚高）" in q.basis for q in got)


def test_every_threshold_in_the_documents_is_the_configured_one(county):
    """Brief and report with every threshold changed: the changed numbers are written, the defaults nowhere."""
    rules = Rules(yellow_lag=12.5, red_lag=22.5, grade_excellent=85.0, grade_good=75.0, grade_pass=55.0,
                  inflation_gap=7.5, min_projects=40, weight_coverage=25.0, weight_execution=15.0)
    docs = Documents(question_overdue_days=45)
    year = metrics.available_years(county)[0]
    ranking = metrics.department_ranking(_query(county, year, rules))
    dept_id = int(ranking.sort_values("rank").iloc[0]["department_id"])
    text = _text(docx.Document(io.BytesIO(B.brief_document(county, year, dept_id, TODAY, rules, docs, now=NOW))))
    for said in ("滞后 ≥12.5 为黄灯、≥22.5 为红灯", "≥85 优，≥75 良，≥55 中", "高 ≥7.5 分",
                 "权重 25/15/30/20/10", "少于 40 个"):
        assert said in text, said
    for default in ("≥10 为黄灯", "≥20 为红灯", "≥90 优", "≥80 良", "≥60 中", "≥10 分", "10 分以上", "少于 5 个",
                    "超过 90 天", "权重 20/20/30/20/10"):
        assert default not in text, default
    b = B.Brief(county, year, dept_id, TODAY, rules, docs, NOW)
    overdue = [q for q in b.questions if q.rule == "overdue"]
    assert all("（超过 45 天）" in q.basis and q.figures["days_overdue"] > 45 for q in overdue)

    report = _text(docx.Document(io.BytesIO(report_document(county, year, TODAY, rules, docs, now=NOW))))
    assert ("滞后序时进度22.5个百分点以上；评价等级：85分以上为优、75分以上为良、55分以上为中、其余为差；"
            "自评虚高：自评比独立评价高7.5分以上") in report
    if metrics.kpis(_query(county, year, rules))["evaluations"]["inflation_flags"]:
        assert "高出7.5分以上或等级更高" in report
    for default in ("进度20个百分点", "90分以上", "80分以上", "60分以上", "高10分以上", "高出10分"):
        assert default not in report, default


# ------------------------------------------------------------------------------------------------ 优良率


def test_good_share_is_one_metric():
    assert metrics.good_share({"count": 8, "grades": {"优": 3, "良": 3, "中": 1, "差": 1}}) == 0.75
    assert metrics.good_share({"count": 0, "grades": dict.fromkeys(GRADES, 0)}) is None
    page = (ROOT / "pages" / "evaluation.py").read_text(encoding="utf-8")
    assert "data.good_share(" in page and '["优"]' not in page and '["良"]' not in page


def test_good_share_of_the_fixture(sqlite_url):
    fx.build(sqlite_url)
    e = metrics.kpis(_query(sqlite_url, 2022, Rules(), today=fx.TODAY))["evaluations"]
    assert metrics.good_share(e) == (e["grades"]["优"] + e["grades"]["良"]) / e["count"] == 0.8  # 8 of 10


# ------------------------------------------------------------------------------------------------ one palette


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_one_palette_on_screen_and_paper():
    assert ui_charts.GRADE_COLORS["优"] == doc_charts.GRADE_COLORS["优"] == palette.GRADE_COLORS["优"]
    assert ui_charts.GRADE_COLORS == doc_charts.GRADE_COLORS == palette.GRADE_COLORS
    assert ui_charts.LIGHT_COLORS == doc_charts.LIGHT_COLORS == palette.LIGHT_COLORS
    assert list(palette.GRADE_COLORS) == list(GRADES) and set(palette.LIGHT_COLORS) == set(LIGHTS)
    # the screen's bars and the brief's PNG carry the same colour for each grade
    screen = ui_charts.grade_counts({"优": 3, "良": 2, "中": 1, "差": 1})
    assert list(screen.data[0].marker.color) == [palette.GRADE_COLORS[g] for g in GRADES]
    png = Image.open(io.BytesIO(doc_charts.grades({"优": 3, "良": 2, "中": 1, "差": 1}, chart_font(Documents()))))
    colours = {c for _, c in png.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert {_rgb(palette.GRADE_COLORS[g]) for g in GRADES} <= colours
    # no colour is written anywhere but the palette
    for module in (ui_charts, doc_charts):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert not re.search(r"#[0-9a-fA-F]{6}\b", source), module.__name__


# ------------------------------------------------------------------------------------------------ one formatter

# (kind, value, in a table under its unit = the brief's headline and peer cells, in words = cards and prose)
FIGURES = [
    ("money", 1234.5, "1,234.50", "1,234.50 万元"),
    ("money", 123456.789, "123,456.79", "12.35 亿元"),
    ("money", None, "—", "—"),
    ("pct", 0.6257, "62.6%", "62.6%"),
    ("pct", 1.234, "123.4%", "123.4%"),
    ("score", 83.125, "83.1", "83.1 分"),
    ("score", float("nan"), "—", "—"),
    ("count", 12345, "12,345", "12,345"),
]
# (kind, now, before, the change as the screen's cards and the brief's 变化 column write it)
CHANGES = [
    ("money", 750.47, 700.0, "+50.47 万元"),
    ("money", 223456.789, 100000.0, "+12.35 亿元"),
    ("pct", 0.975, 1.0, "-2.5 个百分点"),
    ("score", 83.125, 79.0, "+4.1 分"),
    ("count", 3, 1, "+2"),
]
SCREEN_IN_WORDS = {  # what the pages call for a figure in a KPI card or a sentence
    "money": lambda v: fmt.DASH if fmt.missing(v) else " ".join(fmt.wan_unit(v)),
    "pct": fmt.pct,
    "score": fmt.score,
    "count": fmt.count,
}
SCREEN_BARE = {  # a KPI card under a label that gives the unit
    "money": fmt.money,
    "pct": fmt.pct,
    "score": lambda v: fmt.score(v).replace(" 分", ""),  # pages/overview.py, department.py, evaluation.py
    "count": fmt.count,
}
SCREEN_CHANGE = {"money": deltas.money, "pct": deltas.points, "score": deltas.score, "count": deltas.count}


def test_the_documents_have_no_formatter_of_their_own():
    assert importlib.util.find_spec("dashboard.documents.numbers") is None
    assert B.F is fmt and report_module.F is fmt


@pytest.mark.parametrize(("kind", "value", "bare", "words"), FIGURES)
def test_a_figure_reads_the_same_on_screen_and_paper(kind, value, bare, words):
    assert fmt.figure(value, kind) == SCREEN_BARE[kind](value) == bare  # brief tables, KPI cards
    assert SCREEN_IN_WORDS[kind](value) == words
    if kind == "money":
        assert fmt.wan(value) == words  # the report's sentences


@pytest.mark.parametrize(("kind", "now", "before", "expected"), CHANGES)
def test_a_change_reads_the_same_on_screen_and_paper(kind, now, before, expected):
    assert fmt.change(now, before, kind) == SCREEN_CHANGE[kind](now, before) == expected
    # the brief's 变化 column: the difference of the two figures as shown (the same here: no rounding seam)
    assert B.shown_change(now, before, kind) == expected
    # the report's sentence: the same size, in words, in the register of the work reports (no space, no sign)
    up = ("增加" if kind in ("money", "count") else "提高") if expected[0] == "+" else (
        "减少" if kind in ("money", "count") else "下降")
    size = expected[1:].replace(" ", "")
    assert report_module.change(now, before, kind, unit="") == f"，比上年{up}{size}"


def test_the_brief_headline_is_what_the_cards_show(sqlite_url):
    """The fixture's 教育局: each headline cell of the brief is the string its page card shows."""
    ids = fx.build(sqlite_url)
    d = docx.Document(io.BytesIO(B.brief_document(sqlite_url, 2022, ids["D1"], fx.TODAY, Rules(), Documents(),
                                                  now=NOW)))
    head = {re.sub(r"〔\d+〕", "", r[0]): r[1] for r in rows(table_after(d, "主要指标"))}
    k = metrics.kpis(_query(sqlite_url, 2022, Rules(), (ids["D1"],), fx.TODAY))
    p, m, e, f = k["projects"], k["monitoring"], k["evaluations"], k["findings"]
    assert head["预算（万元）"] == fmt.money(p["budget_total"]) == "350.00"
    assert head["绩效目标覆盖率（按资金）"] == fmt.pct(p["coverage_funds"]) == "42.9%"
    assert head["预算执行率"] == fmt.pct(m["execution_rate"]) == "48.0%"
    assert head["评价平均分"] == fmt.score(e["avg_score"]).replace(" 分", "") == "82.2"
    assert head["整改率"] == fmt.pct(f["rate"]) == "33.3%"
    assert head["红灯项目（个）"] == fmt.count(m["red"]) == "1"


def test_one_set_of_digits_per_kind():
    assert (fmt.MONEY_DIGITS, fmt.PCT_DIGITS, fmt.SCORE_DIGITS) == (2, 1, 1)
