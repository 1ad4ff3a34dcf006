"""The indicator sections of the pages (issue 12), against a database imported from generated files: the template's
绩效指标 sheet and a 绩效目标申报表 (tests/data_loaders/indicator_corpus.py), plus one evaluation and one
monitoring row so that the 评价结果 and 监控预警 pages have data. Figures by hand from those files."""

from __future__ import annotations

import sys

import pytest
import streamlit as st

from data_loaders.importer import import_files
from tests.pages.apptest import ROOT, make_app, metrics, table, texts

sys.path.insert(0, str(ROOT / "tests" / "data_loaders"))
import indicator_corpus as IC


@pytest.fixture(scope="module")
def indicator_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("indicator_pages")
    url = f"sqlite:///{d / 'pages.db'}"
    template, _ = IC.template_sheet(d)
    declaration, _ = IC.declaration_form(d)
    evaluation = d / "评价.csv"
    evaluation.write_text("年度,评价类型,主管部门,预算单位,项目编码,项目名称,得分\n"
                          "2024,单位自评,青山区教育局,青山区第一中学,P1,校舍维修,88\n", encoding="utf-8")
    monitoring = d / "监控.csv"
    monitoring.write_text("年度,监控截止日期,主管部门,预算单位,项目编码,项目名称,调整后预算,执行数\n"
                          "2024,2024-08-31,青山区教育局,青山区第一中学,P2,教师培训,100,50\n", encoding="utf-8")
    result = import_files(url, [template, declaration, evaluation, monitoring])
    assert result.ok, [str(p) for p in result.errors]
    return url


@pytest.fixture
def app(indicator_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", indicator_db)
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-06-30")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield make_app
    st.cache_data.clear()


def _project_id(url: str, name: str) -> int:
    from sqlalchemy import select

    from dashboard.core import db
    from dashboard.core.models import Project

    with db.get_engine(url).connect() as conn:
        return conn.execute(select(Project.id).where(Project.name == name)).scalar_one()


def test_evaluation_page_indicator_section(app):
    at = app("evaluation")
    m = metrics(at)
    # 校舍维修 at 自评 (4), 教师培训 at 监控 (1), 校舍维修改造 at 申报 (4, no actual values)
    assert (m["绩效指标"][0], m["已完成"][0], m["未完成"][0], m["无法判断"][0]) == ("9", "2", "2", "5")
    by_dept = table(at, "主管部门", "完成率（%）")
    assert by_dept.iloc[0][["项目数", "指标数", "已完成", "未完成", "无法判断"]].tolist() == [3, 9, 2, 2, 5]
    assert round(by_dept.iloc[0]["完成率（%）"], 1) == 22.2
    unmet = table(at, "三级指标", "实际完成值", "偏差原因")
    assert sorted(unmet["三级指标"]) == ["培训人次", "验收合格率"]
    assert "第 1–2 条，共 2 条" in texts(at)


def test_monitoring_page_lists_indicators_at_risk(app):
    at = app("monitoring")
    risky = table(at, "三级指标", "全年预计完成", "完成目标可能性")
    assert risky["三级指标"].tolist() == ["培训人次"] and risky["完成目标可能性"].tolist() == ["有可能"]
    assert risky["全年预计完成"].tolist() == ["450人次"]


def test_coverage_page_target_quality(app):
    at = app("coverage")
    by_dept = table(at, "目标完整项目数", "缺满意度指标")
    # earliest stage of each project: 校舍维修 申报 (only 维修面积), 教师培训 监控 (only 培训人次),
    # 校舍维修改造 申报 (产出/效益/满意度 present, 改善办学条件 in words): none complete
    assert by_dept.iloc[0][["项目数", "目标完整项目数", "缺产出指标", "缺效益指标", "缺满意度指标", "有未量化指标的项目"]].tolist() \
        == [3, 0, 0, 2, 2, 1]
    listed = table(at, "项目名称", "有满意度指标")
    assert sorted(listed["项目名称"]) == ["教师培训", "校舍维修", "校舍维修改造"]


def test_project_card_shows_indicators_stage_by_stage(app, indicator_db):
    at = app("projects", query={"project": str(_project_id(indicator_db, "校舍维修"))})
    declared = table(at, "三级指标", "指标值", "完成情况")
    assert declared["三级指标"].tolist() == ["维修面积"] and declared["完成情况"].tolist() == ["无法判断"]
    self_eval = table(at, "三级指标", "实际完成值", "得分")
    assert self_eval["三级指标"].tolist() == ["维修面积", "验收合格率", "师生满意度", "改善办学条件"]
    assert self_eval["完成情况"].tolist() == ["已完成", "未完成", "已完成", "无法判断"]
    assert self_eval["偏差原因"].tolist()[1] == "个别项目返工"
    assert "单位自评" in texts(at) and "目标申报" in texts(at)
