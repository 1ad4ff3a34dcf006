"""大屏 mode (issue 26, item 3) under AppTest on the hand-made fixture database: `?mode=screen` on any URL opens
the screen page; its cards carry the same figures as 总览 (worked out by hand in test_pages.py), its charts the
same departments, and it follows the sidebar's filters."""

from __future__ import annotations

from tests.pages.apptest import figure, metrics, texts, values

SHARED = ("绩效目标覆盖率", "预算执行率", "红灯项目", "黄灯项目", "评价平均分", "整改率", "逾期未整改")


def test_mode_screen_opens_the_screen_with_the_overview_figures(app):
    overview = metrics(app())
    at = app(query={"mode": "screen"})  # on the default page's URL
    m = metrics(at)
    # by hand (fixture_db): budget 1.98 亿元, coverage 97.5%, execution 47.3%, 3 red, 1 yellow, average 83.1
    assert m["预算（亿元）"] == ("1.98", "+6,400.00 万元")
    assert m["绩效目标覆盖率"] == ("97.5%", "-2.5 个百分点")
    assert m["预算执行率"] == ("47.3%", "-13.1 个百分点")
    assert m["红灯项目"] == ("3", "+2") and m["黄灯项目"] == ("1", "+1")
    assert m["评价平均分"] == ("83.1", "+4.1 分")
    for label in SHARED:
        assert m[label] == overview[label], label
    lights = {t["name"]: (t["y"], values(t["x"])) for t in figure(at, "screen_lights")["data"]}
    assert lights["红灯"] == (["区农业农村局", "区教育局", "区卫健委"], [2, 1, 0])
    ranking = figure(at, "screen_ranking")["data"][0]
    assert len(ranking["y"]) >= 1
    shown = texts(at)
    assert "需要关注的部门" in shown and "监控数据截至 2024-08-31" in shown
    # no navigation bar in the meeting room; a way back
    assert any(p.proto.label == "退出大屏" for p in at.get("page_link"))


def test_screen_follows_the_filters(app):
    at = app(query={"mode": "screen", "departments": "区教育局"})
    m = metrics(at)
    assert m["预算（万元）"][0] == "1,700.00" and m["红灯项目"][0] == "1" and m["逾期未整改"][0] == "1"
    assert "当前范围：2024年 · 区教育局 · 全部资金来源" in texts(at)


def test_rotation_is_bounded():
    """?rotate=N: at least 10 s between views, at most an hour; anything else means no rotation."""
    import streamlit as st

    from dashboard.ui import screen

    cases = {"30": 30, "3": 10, "99999": 3600, "abc": None, "": None, "-5": None}
    for raw, want in cases.items():
        st.query_params.clear()
        st.query_params[screen.ROTATE_PARAM] = raw
        assert screen.rotation() == want, raw
