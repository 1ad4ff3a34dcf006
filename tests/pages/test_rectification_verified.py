"""整改进度 and 部门画像 show the verified-rectification figures of issue 25 (tests/metrics/rectification_fixture.py,
figures worked out by hand in its docstring), and staff enter an extension and a verification on 整改进度."""

import datetime as dt

import pytest
import streamlit as st

from dashboard.core import models as m
from tests.data_loaders.import_set import rows
from tests.metrics import rectification_fixture as fx
from tests.pages.apptest import ROOT, make_app, metrics, table, texts


@pytest.fixture
def rect_app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'rect.db'}"
    ids = fx.build(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", fx.TODAY.isoformat())
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url, ids
    st.cache_data.clear()


def test_rectification_page_figures_and_lists(rect_app):
    at = make_app("rectification")
    got = metrics(at)
    shown = {k: got[k][0] for k in ("问题总数", "已整改", "已核验", "待核验", "整改率", "直接落实率", "综合整改率",
                                    "逾期未整改", "按原定时限逾期", "延期问题", "屡审屡犯")}
    assert shown == {"问题总数": "5", "已整改": "3", "已核验": "2", "待核验": "1", "整改率": "40.0%",
                     "直接落实率": "40.0%", "综合整改率": "33.3%", "逾期未整改": "1", "按原定时限逾期": "2",
                     "延期问题": "2", "屡审屡犯": "2"}
    unverified = table(at, "问题编号", "延期次数", "整改措施")
    assert unverified["问题描述"].tolist() == ["绩效目标不细化"] and unverified["延期次数"].tolist() == [1]
    repeats = table(at, "此前年度", "此前同类问题")
    assert dict(zip(repeats["问题描述"], repeats["此前同类问题"])) == {
        "专项资金被挤占挪用": "结余资金未上缴", "设备采购流程不规范问题": "设备采购流程不规范"}
    assert repeats["此前年度"].tolist() == [2023, 2023]
    changes = table(at, "原时限", "新时限", "延期批准人")
    assert len(changes) == 3
    votes = table(at, "满意", "基本满意", "不满意")
    assert sorted(votes["总票数"].tolist()) == [15, 15]
    by_dept = table(at, "直接落实率（%）", "综合整改率（%）").set_index("主管部门")
    assert by_dept.loc["青山区教育局", "综合整改率（%）"] == pytest.approx(50.0)
    assert by_dept.loc["青山区卫生健康委员会", "按原定时限逾期"] == 1
    assert "整改率 = 已核验 ÷ 全部问题" in texts(at)


def test_department_profile_figures(rect_app):
    _url, ids = rect_app
    at = make_app("department", query={"dept": str(ids["D1"])})
    got = metrics(at)
    assert got["整改率"][0] == "33.3%"                     # F1 of F1 F2 F3
    assert got["直接落实率"][0] == "33.3%" and got["综合整改率"][0] == "50.0%"  # F3 excluded: 1 / (3 − 1)
    assert got["待核验"][0] == "1" and got["按原定时限逾期"][0] == "1" and got["屡审屡犯"][0] == "1"
    votes = table(at, "满意", "基本满意", "不满意")
    assert votes[["满意", "基本满意", "不满意"]].values.tolist() == [[10, 4, 1]]
    open_ = table(at, "原定整改时限", "延期次数")
    assert open_["问题描述"].tolist() == ["校舍产权手续不全"]


def test_staff_enter_a_verification_and_an_extension(rect_app):
    url, ids = rect_app
    at = make_app("rectification")  # sign-in off: the local user is an administrator, who may import
    at.number_input[0].set_value(ids["F2"])
    at.radio[0].set_value("核验")
    at.date_input[1].set_value(dt.date(2025, 3, 30))
    at.text_input[-1].set_value("查阅整改凭证")
    submit = next(b for b in at.button if b.label == "保存")
    submit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    f2 = next(f for f in rows(url, m.Finding) if f.id == ids["F2"])
    assert f2.verified_on == dt.date(2025, 3, 30) and f2.verification_method == "查阅整改凭证"
    got = metrics(at)
    assert got["已核验"][0] == "3" and got["待核验"][0] == "0" and got["整改率"][0] == "60.0%"
    assert any("已保存" in s.value for s in at.success)

    at.number_input[0].set_value(ids["F3"])
    at.radio[0].set_value("延期")
    at.date_input[0].set_value(dt.date(2025, 9, 30))
    at.text_input[0].set_value("需等待产权登记")
    at.text_input[1].set_value("区政府")
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.error, [e.value for e in at.error]
    got = metrics(at)
    assert got["延期问题"][0] == "3" and got["逾期未整改"][0] == "0" and got["按原定时限逾期"][0] == "2"
