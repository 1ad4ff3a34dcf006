"""Issue 27's seams a newcomer met, each asserted on the figure or label a user sees (fixture: fixture_db.py).

卫健委 (102) has one 政府性基金预算 project a year: WJ-01, 3,000 万元 in 2024 and 2,500 万元 in 2023; all its
2024 projects budget 3,000 + 800 + 400 = 4,200 万元. 教育局 (101) has none of that fund source.
Ranks (fixture_db): 2024 教育局 1, 卫健委 2, 农业局 3; 2023 农业局 1, 教育局 2, 卫健委 3.
"""

from __future__ import annotations

import io
import urllib.parse

import openpyxl
import pandas as pd
import pytest

from dashboard import registry
from dashboard.core.settings import Rules
from dashboard.metrics import Query, Scope, department_ranking, prepare
from dashboard.metrics.departments import department_trend, rank_of
from dashboard.ui import charts, deeplink, export, ranking
from tests.pages import fixture_db
from tests.pages.apptest import figure, metrics, open_chart_data, table, texts, values

FUND = "政府性基金预算"


def _trend(at):
    return table(at, "年度", "综合得分")


def test_department_trend_follows_the_fund_filter_like_the_cards(app, ids):
    at = app("department", query={"dept": str(ids["102"]), "fund": FUND})
    assert metrics(at)["预算（万元）"][0] == "3,000.00"
    trend = _trend(at)
    assert trend["年度"].tolist() == [2023, 2024]
    assert trend["预算（万元）"].tolist() == [2500.0, 3000.0]  # WJ-01 only: not 4,200 (all fund sources)
    assert "只计资金来源为“政府性基金预算”的项目" in texts(at)
    at = app("department", query={"dept": str(ids["102"])})
    assert metrics(at)["预算（万元）"][0] == "4,200.00"
    assert _trend(at)["预算（万元）"].tolist() == [2500.0, 4200.0]


def test_empty_scope_names_the_fund_filter(app, ids):
    at = app("department", query={"dept": str(ids["101"]), "fund": FUND})
    shown = "\n".join(i.value for i in at.info)
    assert "2024 年没有资金来源为“政府性基金预算”的项目" in shown and "全部资金来源" in shown
    at = app("department", query={"dept": str(ids["101"]), "year": "2023", "fund": "一般公共预算"})
    assert not any("资金来源为" in i.value for i in at.info)  # 教育局 has 一般公共预算 projects in 2023


def test_trend_rank_is_the_ranking_pages_rank_every_year(app, ids, fixture_url):
    url, _ = fixture_url
    at = app("department", query={"dept": str(ids["101"])})
    trend = _trend(at)
    assert trend["年度"].tolist() == [2023, 2024] and trend["排名"].tolist() == [2, 1]  # 2023 was "—"
    q = Query(url, prepare(url), Scope(year=2024))
    for fund in (None, FUND):
        t = department_trend(q.scoped(fund_source=fund), ids["102"])
        for year, rank in zip(t["year"], t["rank"]):
            ranking = department_ranking(q.scoped(year=int(year), fund_source=fund))
            expected = ranking.loc[ranking["department_id"] == ids["102"], "rank"].iloc[0]
            assert rank == expected == rank_of(q.scoped(year=int(year), fund_source=fund), ids["102"])


def _links(df: pd.DataFrame) -> list[dict]:
    return [dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(v).query)) for v in df["项目卡片"]]


def test_project_rows_link_to_the_card_by_code(app, ids):
    assert deeplink.PROJECTS_PATH == next(p.url_path for p in registry.PAGES if p.key == "projects")
    at = app("department", query={"dept": str(ids["101"])})
    projects = table(at, "项目卡片", "项目名称")
    assert projects["项目卡片"].iloc[0].startswith("projects?")
    assert _links(projects) == [{"project": c, "year": "2024"} for c in projects["项目编码"]]
    assert set(projects["项目编码"]) == {"JY-01", "JY-02", "JY-03"}
    at = app("monitoring")
    red = table(at, "项目卡片", "滞后（百分点）")
    assert sorted(x["project"] for x in _links(red)) == ["JY-02", "NY-01", "NY-04"]
    # the link opens the card: the page resolves ?project=<项目编码>&year=
    at = app("projects", query={"project": "JY-02", "year": "2024"})
    assert "校舍维修改造" in texts(at)


@pytest.fixture
def download_callables(monkeypatch):
    """file name → the data callable each st.download_button registered (called later, as a click would)."""
    from streamlit.runtime.media_file_manager import MediaFileManager  # lazy: only this fixture patches it

    got = {}
    original = MediaFileManager.add_deferred

    def capture(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        got[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", capture)
    return got


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_to_xlsx_formats_numbers_like_the_lists():
    df = pd.DataFrame({"部门": ["甲"], "综合得分": [64.25536540253998], "预算（万元）": [1234.5678],
                       "执行率（%）": [62.345], "项目数": [3]})
    ws = _sheet(export.to_xlsx(df))
    row = {ws.cell(1, c).value: ws.cell(2, c) for c in range(1, 6)}
    assert row["综合得分"].value == 64.3 and row["综合得分"].number_format == "0.0"
    assert row["预算（万元）"].value == 1234.57 and row["预算（万元）"].number_format == "#,##0.00"
    assert row["执行率（%）"].value == 62.3 and row["执行率（%）"].number_format == "0.0"
    assert row["项目数"].value == 3


def test_ranking_download_has_title_rows_and_number_formats(app, download_callables):
    app("ranking", query={"fund": FUND})
    ws = _sheet(download_callables["部门排名_2024.xlsx"]())
    assert ws["A1"].value == "部门排名 2024"
    assert "全部资金来源" not in ws["A2"].value and FUND in ws["A2"].value and "2024年" in ws["A2"].value
    assert "判断日期 2025-03-31" in ws["A3"].value
    header = [c.value for c in ws[4]]
    score = ws.cell(5, header.index("综合得分") + 1)
    assert score.number_format == "0.0" and score.value == round(score.value, 1)
    assert ws.cell(5, header.index("排名") + 1).value == 1


# ---- every chart: a sentence and its data ---------------------------------------------------------------------

def _chart_data(at, key_text: str) -> pd.DataFrame:
    """The 图表数据 table drawn right after the chart whose sentence contains key_text (every one opened)."""
    open_chart_data(at)
    for expander in at.expander:
        if expander.label == charts.DATA_LABEL and expander.table:
            df = expander.table[0].value
            if key_text in "".join(str(c) for c in [df.index.name, *df.columns]):
                return df
    raise AssertionError(f"no 图表数据 with {key_text}")


def _said(at) -> str:
    """The page's texts as read (Markdown escapes dropped: a caption of data text is escaped)."""
    return texts(at).replace("\\", "")


def _n(text: str) -> float:
    return float(str(text).replace(",", ""))


def test_lights_chart_has_a_sentence_and_the_same_numbers_as_a_table(app):
    at = app("monitoring")
    fig = {t["name"]: (t["y"], values(t["x"])) for t in figure(at, "monitoring_lights")["data"]}
    assert fig["红灯"] == (["区农业农村局", "区教育局", "区卫健委"], [2, 1, 0])
    assert "红灯最多的是区农业农村局（2 个），图中共 3 个部门。" in texts(at)
    data = _chart_data(at, "红灯")
    assert list(data.index) == fig["红灯"][0]
    for light in ("红灯", "黄灯", "绿灯", "未报送"):
        assert [_n(v) for v in data[light]] == fig[light][1], light
    assert "图中 8 个已报送项目：红灯 3 个、黄灯 1 个、绿灯 4 个；虚线为序时进度 66.7%。" in _said(at)


def test_every_chart_of_the_pages_has_its_sentence_and_data(app):
    pages = {"overview": 2, "monitoring": 2, "rectification": 3, "evaluation": 3, "coverage": 3, "ranking": 1,
             "targets": 1}
    for page, drawn in pages.items():
        at = app(page)
        assert len(at.get("plotly_chart")) == drawn, page
        assert len([e for e in at.expander if e.label == charts.DATA_LABEL]) == drawn, page
    at = app("overview")
    assert "评价等级：优 3 个、良 3 个、中 1 个、差 1 个，共 8 个。" in texts(at)
    assert [_n(v) for v in _chart_data(at, "评价数")["评价数"]] == [3, 3, 1, 1]
    at = app("ranking")
    assert "综合得分最高的是区教育局（76.5），最低的是区农业农村局（62.1），图中共 3 个部门。" in _said(at)


def test_toolbar_on_hover_only_and_legends_below():
    assert charts.config()["displayModeBar"] == "hover"
    assert charts.config({**charts.CONFIG, "displayModeBar": False})["displayModeBar"] is False
    fig = charts.lights_by_department(pd.DataFrame({"department": ["甲"], "red": [1], "yellow": [0], "green": [2],
                                                    "grey": [0]}))
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0  # below the plot, not under the toolbar


def test_counts_in_sentences_have_thousands_separators():
    many = pd.DataFrame({"small_sample": [True] * 1200 + [False]})
    assert ranking.small_note(many, 1200, 5, False) == "已排除 1,200 个样本少的部门（项目少于 5 个）。"
    lights = pd.DataFrame({"department": ["甲", "乙"], "red": [1234, 5], "yellow": [0, 0], "green": [0, 0],
                           "grey": [0, 0]})
    summary, data = charts.described(charts.lights_by_department(lights))
    assert summary == "红灯最多的是甲（1,234 个），图中共 2 个部门。" and data["红灯"].tolist() == ["1,234", "5"]


def test_scatter_ticks_are_in_the_axis_unit():
    df = pd.DataFrame({"name": ["甲"], "department": ["乙"], "budget": [20000.0], "execution_rate": [0.5],
                       "time_progress": [0.6], "light": ["red"]})
    fig = charts.execution_scatter(df, Rules())
    assert "万元" in fig.layout.xaxis.title.text
    assert list(fig.layout.xaxis.ticktext) == ["1", "10", "100", "1,000", "10,000", "100,000", "1,000,000"]


def test_trend_metric_on_sqlite_and_postgresql(db_url):
    """department_trend under a fund source, and its ranks = department_ranking's, on both databases."""
    ids = fixture_db.build(db_url)
    q = Query(db_url, prepare(db_url), Scope(year=2024), today=pd.Timestamp(fixture_db.TODAY).date())
    t = department_trend(q.scoped(fund_source=FUND), ids["102"])
    assert t["year"].tolist() == [2023, 2024] and t["budget"].tolist() == [2500.0, 3000.0]
    assert department_trend(q, ids["102"])["budget"].tolist() == [2500.0, 4200.0]
    assert department_trend(q, ids["101"])["rank"].tolist() == [2, 1]
    for year in (2023, 2024):
        r = department_ranking(q.scoped(year=year))
        assert r.set_index("department_id")["rank"].to_dict() == {
            d: rank_of(q.scoped(year=year), d) for d in (ids["101"], ids["102"], ids["103"])}


def test_chart_data_is_drawn_only_once_its_expander_is_opened(app):
    at = app("overview")
    boxes = [e for e in at.expander if e.label == charts.DATA_LABEL]
    # closed, as every visit starts: two expanders under the two charts, no table drawn in them
    assert len(boxes) == 2 and not any(e.table or e.dataframe for e in boxes)
    grades_box = next(e for e in boxes if e.proto.id.endswith(charts.data_key("overview_grades")))
    at.session_state[charts.data_key("overview_grades")] = True
    at.run()
    opened = [e for e in at.expander if e.label == charts.DATA_LABEL and e.table]
    assert len(opened) == 1 and opened[0].proto.id == grades_box.proto.id
    # the same numbers as the chart: 优 3, 良 3, 中 1, 差 1 (test_every_chart_of_the_pages_has_its_sentence_and_data)
    assert [_n(v) for v in opened[0].table[0].value["评价数"]] == [3, 3, 1, 1]
