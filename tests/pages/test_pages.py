"""What users see on each page, against the hand-made fixture (figures worked out in fixture_db.py)."""

from __future__ import annotations

import pytest

from dashboard import registry
from tests.pages.apptest import figure, make_app, metrics, open_rules, table, texts, values

PAGES = [page.key for page in registry.PAGES]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_errors(app, page):
    at = app(page)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    # a section guard turns any failure into a warning: none may fire on good data
    assert not [w.value for w in at.warning if "暂时无法显示" in w.value]


def test_overview_default_view(app):
    at = app()
    m = metrics(at)
    assert m["预算（亿元）"] == ("1.98", "+6,400.00 万元")
    assert m["绩效目标覆盖率"] == ("97.5%", "-2.5 个百分点")
    assert m["预算执行率"] == ("47.3%", "-13.1 个百分点")
    assert m["评价平均分"] == ("83.1", "+4.1 分")
    assert m["整改率"] == ("33.3%", "-66.7 个百分点")
    assert m["红灯项目"] == ("3", "+2")
    assert m["黄灯项目"] == ("1", "+1")
    assert m["未报送（灰灯）"] == ("1", "+1")
    assert m["逾期未整改"] == ("3", "+3")
    assert m["自评虚高"] == ("2", "+2")
    grades = figure(at, "overview_grades")["data"][0]
    assert grades["x"] == ["优", "良", "中", "差"] and values(grades["y"]) == [3, 3, 1, 1]
    lights = {t["name"]: (t["y"], values(t["x"])) for t in figure(at, "overview_lights")["data"]}
    assert lights["红灯"] == (["区农业农村局", "区教育局", "区卫健委"], [2, 1, 0])
    assert lights["未报送"][1] == [0, 0, 1]
    assert "监控数据截至 2024-08-31" in texts(at) and "来源批次 #1" in texts(at)
    # the departments needing attention, worst first, each linking to its profile
    links = [(p.proto.label, p.proto.query_string) for p in at.get("page_link") if p.proto.page == "department"]
    assert [label for label, _ in links] == ["区农业农村局", "区卫健委", "区教育局"]
    assert all(q.startswith("dept=") for _, q in links)


def test_overview_one_department_from_the_url(app):
    at = app(query={"departments": "区教育局"})
    m = metrics(at)
    assert m["预算（万元）"][0] == "1,700.00"
    assert m["红灯项目"][0] == "1"
    assert m["整改率"][0] == "50.0%"
    assert m["逾期未整改"][0] == "1"
    assert "当前范围：2024年 · 区教育局 · 全部资金来源" in texts(at)


def test_fund_source_and_year_filters(app):
    at = app(query={"fund": "政府性基金预算"})
    assert metrics(at)["预算（亿元）"][0] == "1.50"  # WJ-01 3,000 + NY-01 12,000
    at = app(query={"year": "2023"})
    m = metrics(at)
    assert m["预算（亿元）"] == ("1.34", "")  # no 2022 data: no change shown
    assert "没有 2022 年数据" in texts(at)


def test_filters_survive_a_page_switch(app):
    at = app(query={"departments": "区卫健委"})
    at.switch_page("../pages/monitoring.py")
    at.run()
    assert "当前范围：2024年 · 区卫健委" in texts(at)
    assert metrics(at)["黄灯"][0] == "1" and metrics(at)["未报送（灰灯）"][0] == "1"


def test_ranking_table_chart_and_click_opens_profile(app, ids):
    at = app("ranking")
    df = table(at, "排名", "综合得分")
    assert df["主管部门"].tolist() == ["区教育局", "区卫健委", "区农业农村局"]
    assert [round(v, 2) for v in df["综合得分"]] == [76.55, 70.89, 62.09]
    assert df["名次变化"].tolist() == ["↑1", "↑1", "↓2"]
    assert df["项目数"].tolist() == [3, 3, 4]
    assert df["样本少"].tolist() == ["是", "是", "是"]  # fewer than 5 projects
    bars = figure(at, "ranking_chart")["data"][0]
    assert values(bars["x"]) == [76.6, 70.9, 62.1]
    assert "综合得分** = 目标覆盖 × 20% + 执行 × 20% + 评价 × 30% + 整改 × 20% + 非红灯 × 10%" in texts(at)
    at.session_state["ranking_table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "部门画像"
    assert at.query_params["dept"] == str(ids["103"])


def test_ranking_weights_follow_the_rules_panel(app):
    at = app("ranking", state={"r_min": 4})
    df = table(at, "排名", "综合得分")
    assert df["样本少"].tolist() == ["是", "是", "否"]  # 农业农村局 has 4 projects


def test_department_deep_link(app, ids):
    at = app("department", query={"dept": str(ids["103"])})
    assert at.selectbox(key="dept_pick").value == ids["103"]
    m = metrics(at)
    assert m["预算（亿元）"][0] == "1.39"
    assert m["红/黄/未报送"][0] == "2/0/0"
    assert m["逾期未整改"][0] == "2"
    budget = figure(at, "trend_budget")["data"][0]
    assert budget["x"] == ["2023", "2024"] and values(budget["y"]) == [10000.0, 13900.0]
    evals = table(at, "评价类型", "得分")
    assert sorted(evals["得分"].tolist()) == [58.0, 85.0]
    warnings = table(at, "预警", "滞后（百分点）")
    assert warnings["项目编码"].tolist() == ["NY-04", "NY-01"]
    assert "2024 年综合得分 62.1，在全部主管部门中排第 3 名" in texts(at)


def test_department_deep_link_by_name_and_unknown(app, ids):
    at = app("department", query={"dept": "区卫健委"})
    assert at.selectbox(key="dept_pick").value == ids["102"]
    at = app("department", query={"dept": "9999"})
    assert any("不存在" in w.value for w in at.warning)


def test_coverage_page(app):
    at = app("coverage")
    m = metrics(at)
    assert m["预算（亿元）"][0] == "1.98"
    assert m["有目标（亿元）"][0] == "1.93"
    assert m["覆盖率·资金"][0] == "97.5%"
    assert m["覆盖率·项目"][0] == "80.0%"
    missing = table(at, "项目编码", "资金来源", "预算（万元）")
    assert missing["项目编码"].tolist() == ["NY-02", "JY-03"] and missing["预算（万元）"].sum() == 500
    by_dept = table(at, "主管部门", "目标覆盖率（按资金）（%）")
    assert dict(zip(by_dept["主管部门"], by_dept["目标覆盖率（按资金）（%）"].round(1))) == {
        "区教育局": 88.2, "区卫健委": 100.0, "区农业农村局": 97.8}


def test_monitoring_lists_and_chart(app):
    at = app("monitoring")
    m = metrics(at)
    assert (m["已报送项目"][0], m["红灯"][0], m["黄灯"][0], m["未报送（灰灯）"][0], m["预算执行率"][0]) == (
        "8", "3", "1", "1", "47.3%")
    red = table(at, "滞后（百分点）", "偏差原因")
    assert red["项目编码"].tolist() == ["NY-04", "NY-01", "JY-02"]
    assert [round(v, 2) for v in red["滞后（百分点）"]] == [36.67, 26.67, 26.67]
    assert red["偏差原因"].tolist()[0] == "疫苗采购计划调整"
    grey = table(at, "项目编码", "项目名称", nth=1)
    assert grey["项目编码"].tolist() == ["WJ-03"]
    scatter = {t["name"]: values(t["y"]) for t in figure(at, "monitoring_scatter")["data"]}
    assert sorted(scatter["红灯"]) == [30.0, 40.0, 40.0]
    assert scatter["黄灯"] == [50.0]


def test_monitoring_checkpoint_preset_chosen_on_the_page(app):
    at = app("monitoring")
    at.radio(key="r_preset_page").set_value("checkpoints").run()
    m = metrics(at)
    assert (m["红灯"][0], m["黄灯"][0]) == ("4", "0")  # below 60% at end of August
    assert "固定节点" in texts(at)
    # the sidebar radio follows the page's choice
    open_rules(at)
    assert at.radio(key="r_preset_sidebar").value == "checkpoints"


def test_evaluation_page(app):
    at = app("evaluation")
    m = metrics(at)
    assert (m["评价记录"][0], m["平均分"][0], m["优良率"][0], m["自评虚高"][0]) == ("8", "83.1", "75.0%", "2")
    infl = table(at, "自评虚高", "差值（分）")
    assert infl["项目编码"].tolist() == ["JY-01", "WJ-01"] and infl["差值（分）"].tolist() == [13.0, 4.0]
    assert infl["自评虚高"].tolist() == ["是", "是"]
    app_fig = figure(at, "eval_application")["data"][0]
    assert app_fig["x"] == ["优", "良", "中", "差"] and values(app_fig["y"]) == [0.0, 50.0, -100.0, -2000.0]
    kinds = {t["name"]: values(t["x"]) for t in figure(at, "eval_by_kind")["data"]}
    assert kinds["优"] == [3, 0, 0, 0] and kinds["差"] == [0, 0, 1, 0]
    at.segmented_control(key="eval_kind").set_value("财政重点评价").run()
    listed = table(at, "评价类型", "评价对象")
    assert sorted(listed["得分"].tolist()) == [58.0, 75.0, 82.0]


def test_rectification_page(app):
    at = app("rectification")
    m = metrics(at)
    assert (m["问题总数"][0], m["已整改"][0], m["整改中/未整改"][0], m["整改率"][0], m["逾期未整改"][0]) == (
        "6", "2", "2/2", "33.3%", "3")
    overdue = table(at, "逾期天数", "逾期账龄")
    assert overdue["问题描述"].tolist() == ["项目资金闲置", "校舍维修进度滞后", "部门绩效目标编制不规范"]
    assert overdue["逾期天数"].tolist() == [274, 90, 30]
    assert overdue["逾期账龄"].tolist() == [">180天", "31–90天", "≤30天"]
    age = figure(at, "rect_age")["data"][0]
    assert age["x"] == ["≤30天", "31–90天", "91–180天", ">180天"] and values(age["y"]) == [1, 1, 0, 1]
    trend = figure(at, "rect_trend")["data"]
    assert trend[0]["x"] == ["2024-10", "2024-11"] and values(trend[1]["y"]) == [1, 2]


def test_projects_search_filters_and_paging(app):
    at = app("projects")
    rows = table(at, "项目编码", "未销号问题")
    assert len(rows) == 10 and rows["项目编码"].tolist()[:2] == ["NY-01", "WJ-01"]
    assert "共 10 个项目" in texts(at)
    at = app("projects", query={"q": "农", "light": "红灯"})
    rows = table(at, "项目编码", "未销号问题")
    assert rows["项目编码"].tolist() == ["NY-01", "NY-04"]


def test_project_card_deep_link(app, ids):
    at = app("projects", query={"project": str(ids["JY-01@2023"])})
    assert at.title[0].value == "义务教育营养改善计划"
    m = metrics(at)
    assert m["2024年预算（万元）"] == ("1,000.00", "+100.00 万元")
    assert m["年初预算（万元）"][0] == "900.00"
    assert m["绩效目标"][0] == "已设定"
    mon = table(at, "监控截止日期", "执行率（%）")
    assert mon["监控截止日期"].tolist() == ["2023-08-31"] and mon["预警"].tolist() == ["绿灯"]
    evals = table(at, "评价类型", "得分")
    assert evals["评价类型"].tolist() == ["财政重点评价"]


def test_project_card_unknown_id(app):
    at = app("projects", query={"project": "99999"})
    assert any("找不到" in w.value for w in at.warning)


def test_a_scope_without_data_says_so(app):
    at = app(query={"departments": "区教育局", "fund": "政府性基金预算"})
    assert any("所选范围（2024年 · 区教育局 · 政府性基金预算）没有" in i.value for i in at.info)
    assert not at.metric


def test_every_table_has_an_xlsx_download(app):
    at = app("monitoring")
    downloads = at.get("download_button")
    assert len(downloads) == len(at.dataframe) == 3
    assert all(d.proto.label == "下载 Excel" for d in downloads)


def test_unreachable_database_and_bad_settings_show_a_message(app_env, monkeypatch, tmp_path):
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    st.cache_resource.clear()
    at = make_app()
    assert any("无法连接数据库" in e.value for e in at.error)
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\nno_such_rule = 1\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(bad))
    at = make_app()
    assert any(f"设置文件 {bad} 的 [rules]" in e.value and "no_such_rule" in e.value for e in at.error)


def test_filtered_views_of_the_topic_pages(app):
    at = app("coverage", query={"departments": "区卫健委"})
    m = metrics(at)
    assert m["预算（万元）"][0] == "4,200.00" and m["覆盖率·资金"][0] == "100.0%"
    assert "所有项目都设定了绩效目标。" in texts(at)

    at = app("evaluation", query={"departments": "区卫健委"})
    m = metrics(at)
    assert (m["评价记录"][0], m["平均分"][0], m["优良率"][0], m["自评虚高"][0]) == ("4", "86.2", "75.0%", "1")
    assert table(at, "自评虚高", "差值（分）")["项目编码"].tolist() == ["WJ-01"]

    at = app("rectification", query={"departments": "区农业农村局"})
    m = metrics(at)
    assert (m["问题总数"][0], m["整改中/未整改"][0], m["整改率"][0], m["逾期未整改"][0]) == ("3", "1/1", "33.3%", "2")
    assert table(at, "逾期天数", "逾期账龄")["逾期天数"].tolist() == [274, 30]

    at = app("projects", query={"departments": "区教育局"})
    assert table(at, "项目编码", "未销号问题")["项目编码"].tolist() == ["JY-01", "JY-02", "JY-03"]

    at = app("ranking", query={"fund": "政府性基金预算"})
    assert sorted(table(at, "排名", "综合得分")["主管部门"]) == ["区农业农村局", "区卫健委"]


def test_thresholds_from_the_rules_panel_drive_the_lights(app):
    at = open_rules(app("monitoring"))
    at.number_input(key="r_red").set_value(30.0).run()
    m = metrics(at)
    assert (m["红灯"][0], m["黄灯"][0]) == ("1", "3")  # only NY-04 (lag 36.67) stays red
    assert "≥ 30 红灯" in texts(at)
    at.number_input(key="r_yellow").set_value(40.0).run()  # yellow above red: refused, defaults kept
    assert any("规则设置有误" in w.value for w in at.sidebar.warning)
    assert metrics(at)["红灯"][0] == "3"


def test_department_choice_updates_the_link(app, ids):
    at = app("department", query={"dept": str(ids["103"])})
    at.selectbox(key="dept_pick").set_value(ids["102"]).run()
    assert at.selectbox(key="dept_pick").value == ids["102"]
    assert at.query_params["dept"] in (str(ids["102"]), [str(ids["102"])])
    assert metrics(at)["预算（万元）"][0] == "4,200.00"


def test_project_card_back_to_the_list(app, ids):
    at = app("projects", query={"project": str(ids["NY-01@2024"])})
    assert at.title[0].value == "高标准农田建设"
    at.button(key="close_card").click().run()
    assert at.title[0].value == "项目查询" and "project" not in at.query_params


def test_department_lists_open_findings_overdue_or_not(app, ids):
    at = app("department", query={"dept": str(ids["102"])})
    assert "未销号问题" in texts(at)
    open_list = table(at, "问题描述", "逾期天数")
    assert open_list["问题描述"].tolist() == ["设备采购未按计划实施"]  # due 2025-06-30: open, not overdue
    assert open_list["逾期天数"].tolist() == [0] and open_list["整改状态"].tolist() == ["整改中"]


def test_department_without_a_link_names_the_one_shown(app, ids):
    at = app("department")
    shown = at.selectbox(key="dept_pick").value
    assert shown in (ids["101"], ids["102"], ids["103"])
    assert at.query_params["dept"] in (str(shown), [str(shown)])
    at = app("department", query={"departments": "区卫健委"})  # the sidebar's choice comes first
    assert at.selectbox(key="dept_pick").value == ids["102"]


def test_project_row_click_opens_its_card(app):
    at = app("projects")
    at.session_state["projects_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "高标准农田建设"  # NY-01, the largest budget, first row
    assert "project" in at.query_params


@pytest.mark.parametrize("value", ["9" * 400, "0", "-5", "NO-SUCH-CODE"])
def test_out_of_range_project_links_say_not_found(app, value):
    at = app("projects", query={"project": value})
    assert not at.exception
    shown = [w.value for w in at.warning]
    assert len(shown) == 1 and shown[0].startswith("未找到该项目：找不到编号或项目编码为“")
    assert "9" * 101 not in shown[0]  # a 400-digit value is echoed in part only (deeplink.SHOWN_PARAM)
    assert not [w for w in shown if "Error" in w]


def test_a_project_link_by_its_code_opens_the_card(app):
    """Issue 27: ?project= took only the internal id; staff copy the 项目编码 every table shows."""
    at = app("projects", query={"project": "NY-01"})
    assert at.title[0].value == "高标准农田建设" and not at.warning


def test_markdown_in_names_is_shown_as_text():
    from dashboard.ui import text

    assert text.md("**粗体** :red[红] $$x$$ [点我](https://x.example) ![](https://x.example/i.png)") == (
        "\\*\\*粗体\\*\\* \\:\u200bred\\[红\\] \\$\\$x\\$\\$ \\[点我\\]\\(https\\:\u200b"
        "//x\\.example\\) \\!\\[\\]\\(https\\:\u200b//x\\.example/i\\.png\\)")
    # bare addresses are not turned into links either
    assert text.md("www.x.cn a@b.cn") == "www\u200b\\.x\\.cn a@\u200bb\\.cn"
    assert text.md("第一行\n# 标题") == "第一行 \\# 标题"
    assert text.chart("<a href='https://x'>链接</a><br>") == "&lt;a href='https://x'&gt;链接&lt;/a&gt;&lt;br&gt;"


@pytest.mark.parametrize("fund", ["一般公共预算", "政府性基金预算"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_under_the_fund_filter_and_a_department(app, ids, page, fund):
    # the department page under a fund filter used to fail in its evaluation and findings sections
    at = app(page, query={"year": "2024", "fund": fund, "dept": str(ids["103"]), "departments": str(ids["103"])})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not [w.value for w in at.warning if "暂时无法显示" in w.value]


def test_rectification_department_table_is_in_the_order_its_caption_claims(app):
    at = app("rectification")
    assert "图和表都按逾期数、未销号数从多到少排列" in texts(at)
    df = table(at, "逾期数", "未整改", "整改中")
    rows = list(zip(df["逾期数"], df["未整改"] + df["整改中"], df["主管部门"]))
    assert rows == sorted(rows, key=lambda r: (-r[0], -r[1], r[2]))
    assert df["逾期数"].tolist()[0] == max(df["逾期数"])


def test_a_settings_file_with_one_checkpoint_keeps_one(app, tmp_path, monkeypatch):
    """[rules.checkpoints] with only 8 = 60: the rules panel does not add 4, 6 and 10月末 at 0 %, so the file's
    rule applies (the same 4 red as the default checkpoints, whose 8月末 is 60 %) and no 规则设置有误 warning."""
    f = tmp_path / "one-checkpoint.toml"
    f.write_text('[rules]\nwarning_preset = "checkpoints"\n\n[rules.checkpoints]\n8 = 60.0\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    at = app("monitoring")
    assert not [w.value for w in at.sidebar.warning if "规则设置有误" in w.value]
    m = metrics(at)
    assert (m["红灯"][0], m["黄灯"][0]) == ("4", "0")
    assert "8月末 60%" in texts(at) and "4月末" not in texts(at)


def test_an_unknown_department_link_is_repeated_back_only_in_part(app):
    """?dept= of 10,000 attacker-chosen characters: not looked up, and the warning repeats 100 of them."""
    at = app("department", query={"dept": "假" * 10_000})
    warning = [w.value for w in at.warning if "不存在" in w.value]
    assert len(warning) == 1 and "假" * 100 + "…" in warning[0] and "假" * 101 not in warning[0]
    assert len(warning[0]) < 140
    at = app("department", query={"dept": "不存在的局"})
    assert any("链接中的部门「不存在的局」不存在" in w.value for w in at.warning)


def test_the_document_buttons_say_they_follow_the_pages_fund_source(app, ids):
    at = app("department", query={"dept": str(ids["103"]), "fund": "政府性基金预算"})
    said = [c.value.replace("\\", "") for c in at.caption if "只含资金来源为" in c.value.replace("\\", "")]
    tail = "与本页一致，只含资金来源为“政府性基金预算”的项目（文中写明），判断日期与本页相同（2025-03-31）。"
    assert said == ["部门简报" + tail, "批量简报" + tail]
    plain = app("department", query={"dept": str(ids["103"])})
    assert not [c for c in plain.caption if "只含资金来源为" in c.value]


def test_the_rules_panel_draws_its_inputs_only_while_open_and_keeps_its_values(app):
    at = app("monitoring")
    # closed (as every session starts): none of its 16 inputs is drawn, the default rules apply (3 red, 1 yellow)
    assert not at.sidebar.number_input and [e.label for e in at.sidebar.expander] == ["规则设置"]
    assert (metrics(at)["红灯"][0], metrics(at)["黄灯"][0]) == ("3", "1")
    open_rules(at)
    assert len(at.sidebar.number_input) == 16
    at.number_input(key="r_red").set_value(30.0).run()
    assert (metrics(at)["红灯"][0], metrics(at)["黄灯"][0]) == ("1", "3")  # only NY-04 (lag 36.67) stays red
    # closed again, and another run: the inputs are gone, the threshold the reader set still holds
    at.session_state["rules_open"] = False
    at.run()
    at.run()
    assert not at.sidebar.number_input
    assert (metrics(at)["红灯"][0], metrics(at)["黄灯"][0]) == ("1", "3") and "≥ 30 红灯" in texts(at)
    # opened again: the input shows 30 where the reader left it; 恢复默认 puts the default back
    open_rules(at)
    assert at.number_input(key="r_red").value == 30.0
    at.sidebar.button(key="r_reset").click().run()
    assert at.number_input(key="r_red").value == 20.0 and metrics(at)["红灯"][0] == "3"
