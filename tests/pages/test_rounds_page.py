"""报送情况 under AppTest on the hand-built rounds fixture (tests/metrics/test_rounds.py, figures worked out in its
docstring): the cards, the department and unit tables, the 催报清单 download, the open-round form for staff only."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import openpyxl
import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.core import accounts, db
from dashboard.core.models import CollectionRound
from dashboard.core.settings import load_settings
from dashboard.ui import auth
from dashboard.ui import rounds as ui_rounds
from tests.metrics import test_rounds as fx
from tests.pages.apptest import ROOT, make_app, metrics, table, texts
from tests.pages.conftest import SECRET

PW = "a good password 1"


@pytest.fixture
def rounds_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'rounds.db'}"
    db.init_db(url)
    ids = fx.build(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", fx.TODAY.isoformat())
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url, ids
    st.cache_data.clear()


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


def _sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def test_cards_tables_and_the_chase_list(rounds_db, download_callables):
    at = make_app("rounds")  # sign-in off: the local user is an administrator
    got = {k: v[0] for k, v in metrics(at).items()}
    assert got == {"应报单位": "4", "已报送": "3", "逾期报送": "1", "未报送": "1", "报送率": "75.0%"}
    assert at.selectbox(key="round").value == rounds_db[1]["R_JUN"]  # the current round first
    units = table(at, "预算单位", "报送状态", "联系人")
    assert dict(zip(units["预算单位"], units["报送状态"])) == {
        "河川区人民医院": "未报送", "河川区第一中学": "逾期报送", "河川区卫生健康委员会本级": "已报送", "河川区教育局本级": "已报送"}
    late = units.set_index("预算单位").loc["河川区第一中学"]
    assert (late["联系电话"], late["首次报送时间"], late["最近报送时间"], late["最近报送批次"]) == (
        "0931-8100002", "2025-07-20 09:00", "2025-07-25 10:00", f"#{rounds_db[1]['B3']}")
    by_dept = table(at, "应报单位", "逾期报送", "报送率（%）").set_index("主管部门")
    assert by_dept.loc["河川区教育局", ["应报单位", "已报送", "逾期报送", "未报送"]].tolist() == [2, 2, 1, 0]
    assert by_dept.loc["河川区卫生健康委员会", "报送率（%）"] == pytest.approx(50.0)
    ws = _sheet(download_callables["催报清单_2025_2025-06-30.xlsx"]())
    assert ws.cell(1, 1).value == "催报清单（共 1 个未报送单位）"
    header = [c.value for c in ws[4]]
    assert header == ["主管部门", "预算单位", "单位编码", "联系人", "联系电话"]
    assert [c.value for c in ws[5]] == ["河川区卫生健康委员会", "河川区人民医院", "102002", "赵磊", "0931-8100004"]
    assert ws.max_row == 5
    whole = _sheet(download_callables["报送情况_2025_2025-06-30.xlsx"]())
    assert whole.max_row == 4 + 4 and "共 4 个单位" in whole.cell(1, 1).value
    assert any(b.label == "开启轮次" for b in at.button)  # an administrator may open a round


def test_status_filter_and_the_self_evaluation_round(rounds_db):
    _url, ids = rounds_db
    at = make_app("rounds")
    at.segmented_control(key="round_status").set_value("未报送").run()
    assert table(at, "预算单位", "报送状态")["预算单位"].tolist() == ["河川区人民医院"]
    at.selectbox(key="round").set_value(ids["R_SELF"]).run()
    assert not at.exception
    got = {k: v[0] for k, v in metrics(at).items()}
    assert (got["已报送"], got["逾期报送"], got["未报送"]) == ("2", "0", "2")
    assert "已于" in texts(at) and "不判逾期" in texts(at)


def test_staff_open_a_round_through_the_form(rounds_db):
    url, _ids = rounds_db
    at = make_app("rounds")
    at.radio[0].set_value("monitoring")
    at.date_input[0].set_value(dt.date(2025, 9, 30))
    at.date_input[1].set_value(dt.date(2025, 10, 15))
    next(b for b in at.button if b.label == "开启轮次").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with db.get_engine(url).connect() as conn:
        keys = [r.round_key for r in conn.execute(select(CollectionRound.round_key))]
    assert "monitoring:2025:2025-09-30" in keys
    assert any("已开启报送轮次" in s.value for s in at.success)
    # the newest open round is now the current one: nobody has reported 2025-09-30 yet
    assert {k: v[0] for k, v in metrics(at).items()}["已报送"] == "0"


def _signed_in(url, monkeypatch, tmp_path, role, departments=()):
    f = tmp_path / "dashboard.toml"
    f.write_text(f'[auth]\nmode = "password"\nsecret = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, accounts.operator("tests"), name, role, PW, departments)
    token = accounts.login(url, load_settings().auth, name, PW).token
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.session_state[auth.TOKEN_KEY] = token
    at.run()
    page = registry.BY_KEY["rounds"]
    try:
        at.switch_page(f"../pages/{page.file}")
    except ValueError:
        from streamlit.util import calc_hash  # lazy: as tests/pages/test_auth.py opens a page it may not see

        at._page_hash = calc_hash(page.url_path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_department_limited_staff_see_their_units_without_the_form(rounds_db, monkeypatch, tmp_path):
    url, _ids = rounds_db
    at = _signed_in(url, monkeypatch, tmp_path, "staff", ("101",))
    got = {k: v[0] for k, v in metrics(at).items()}
    assert got == {"应报单位": "2", "已报送": "2", "逾期报送": "1", "未报送": "0", "报送率": "100.0%"}
    assert set(table(at, "预算单位", "报送状态")["预算单位"]) == {"河川区教育局本级", "河川区第一中学"}
    assert not any(b.label in ("开启轮次", "关闭本轮次") for b in at.button)


def test_a_leader_may_not_see_the_page(rounds_db, monkeypatch, tmp_path):
    url, _ids = rounds_db
    at = _signed_in(url, monkeypatch, tmp_path, "leader")
    assert [e.value for e in at.error] == ["无权限访问"]
    assert not at.metric and not at.dataframe and not any(b.label == "开启轮次" for b in at.button)


def test_a_long_unit_list_says_it_is_cut_and_the_download_has_all(rounds_db, download_callables, monkeypatch):
    monkeypatch.setattr(ui_rounds, "SHOWN", 2)
    at = make_app("rounds")
    assert "共 4 个单位，只显示前 2 个，下载的文件含全部 4 个" in texts(at)
    assert table(at, "预算单位", "报送状态")["预算单位"].tolist() == ["河川区人民医院", "河川区第一中学"]
    ws = _sheet(download_callables["报送情况_2025_2025-06-30.xlsx"]())
    assert [ws.cell(r, 1).value for r in range(5, 9)] == ["河川区人民医院", "河川区第一中学", "河川区卫生健康委员会本级",
                                                         "河川区教育局本级"]
