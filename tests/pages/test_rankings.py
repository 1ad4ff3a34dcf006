"""Rankings that do not mislead, and captions and axes that say what the figure shows.

The fixture's departments have 3, 3 and 4 projects (fixture_db.py): under the default min_projects = 5 all three
are 样本少; with min_projects = 4 only 区农业农村局 (4 projects, composite 62.09) is not.
"""

from __future__ import annotations

import pandas as pd

from dashboard.ui import charts, ranking
from tests.pages.apptest import figure, table, texts, values

FRAME = pd.DataFrame({
    "department_id": [1, 2, 3, 4, 5, 6], "rank": [1, 2, 3, 4, 5, 6],
    "department": ["两个项目局", "甲局", "乙局", "三个项目局", "丙局", "丁局"],
    "composite": [99.6, 90.0, 80.0, 40.0, 60.0, 70.0],
    "projects": [2, 12, 5, 3, 7, 9], "small_sample": [True, False, False, True, False, False],
})


def _watch_links(at) -> list[str]:
    return [p.proto.label for p in at.get("page_link") if p.proto.page == "department"]


def test_small_samples_are_left_out_of_the_watch_list_unless_asked():
    worst = ranking.to_watch(FRAME, show_small=False)
    assert worst["department"].tolist() == ["丙局", "丁局", "乙局", "甲局"]  # lowest composite first
    assert ranking.to_watch(FRAME)["department"].tolist()[:2] == ["三个项目局", "丙局"]  # the toggle on
    shown, excluded = ranking.without_small(FRAME)
    assert excluded == 2 and "两个项目局" not in shown["department"].tolist()
    assert ranking.small_note(FRAME, excluded, 5, False) == "已排除 2 个样本少的部门（项目少于 5 个）。"
    everyone_small = FRAME.assign(small_sample=True)
    shown, excluded = ranking.without_small(everyone_small)
    assert len(shown) == 6 and excluded == 0  # nothing would be left: all are listed, and the caption says so
    assert "所有部门的项目都少于 5 个" in ranking.small_note(everyone_small, 0, 5, False)


def test_overview_watch_list_excludes_small_departments(app):
    at = app(state={"r_min": 4})
    assert _watch_links(at) == ["区农业农村局"]
    assert "已排除 2 个样本少的部门（项目少于 4 个）" in texts(at)
    at.toggle(key="watch_small").set_value(True).run()
    # the caption claims 从低到高: composite 62.09 < 70.89 < 76.55
    assert _watch_links(at) == ["区农业农村局", "区卫健委", "区教育局"]
    assert "综合得分最低的 3 个部门，从低到高" in texts(at)


def test_overview_when_every_department_is_small(app):
    at = app()
    assert _watch_links(at) == ["区农业农村局", "区卫健委", "区教育局"]
    assert "所有部门的项目都少于 5 个（样本少），仍全部列出，仅供参考" in texts(at)


def test_ranking_chart_leaves_small_departments_out_the_table_keeps_them(app):
    at = app("ranking", state={"r_min": 4})
    bars = figure(at, "ranking_chart")["data"][0]
    assert values(bars["x"]) == [62.1]
    assert "图中已排除 2 个样本少的部门（项目少于 4 个）" in texts(at)
    df = table(at, "排名", "综合得分")
    assert df["主管部门"].tolist() == ["区教育局", "区卫健委", "区农业农村局"]
    assert df["排名"].tolist() == sorted(df["排名"].tolist())  # the table is in rank order
    at.toggle(key="ranking_small").set_value(True).run()
    assert values(figure(at, "ranking_chart")["data"][0]["x"]) == [76.6, 70.9, 62.1]


def test_closure_trend_axes_say_what_they_show():
    df = pd.DataFrame({"month": ["2024-10", "2024-11"], "closed": [1, 1], "cumulative_closed": [1, 2]})
    fig = charts.closure_trend(df)
    assert fig.layout.yaxis.title.text == "当月销号数"
    assert fig.layout.yaxis2.title.text == "累计销号数"  # the cumulative line's axis


def test_axis_numbers_are_written_out():
    df = pd.DataFrame({"department": ["甲", "乙"], "red": [12000, 5000], "yellow": [0, 0], "green": [0, 0],
                       "grey": [0, 0]})
    fig = charts.lights_by_department(df)
    assert fig.layout.xaxis.exponentformat == "none" and fig.layout.xaxis.separatethousands
    assert fig.layout.separators == ".,"


def test_rectification_trend_on_the_page(app):
    fig = figure(app("rectification"), "rect_trend")
    assert fig["layout"]["yaxis"]["title"]["text"] == "当月销号数"
    assert fig["layout"]["yaxis2"]["title"]["text"] == "累计销号数"
