"""询问台账 under AppTest on the hand-built fixture of tests/metrics/test_inquiries.py (figures worked out in its
docstring): the cards and tables; the entry forms for staff only (hidden for 人大代表 and 领导); a department-limited
staff account sees only its department's questions and no entry form; staff register a question and its answer;
the 部门画像 section (inquiries.department_section); the list download keeps a formula-like question as text."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.core import accounts, writes
from dashboard.core import models as m
from dashboard.core.settings import load_settings
from dashboard.ui import auth
from tests.data_loaders.import_set import rows
from tests.metrics import test_inquiries as fx
from tests.pages.apptest import APP, ROOT, make_app, metrics, table
from tests.pages.conftest import SECRET

PW = "a good password 1"
OP = accounts.operator("tests")
CARDS = ("询问数", "已答复", "答复率", "逾期未答复", "逾期答复", "待答复", "满意率")


@pytest.fixture
def inq_app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'inq.db'}"
    ids = fx.build(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", fx.TODAY.isoformat())
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url, ids
    st.cache_data.clear()


@pytest.fixture
def inq_password(inq_app, tmp_path, monkeypatch):
    f = tmp_path / "dashboard.toml"
    f.write_text(f'[auth]\nmode = "password"\nsecret = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    return inq_app


def _token(url, role, departments=()):
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, OP, name, role, PW, departments)
    return accounts.login(url, load_settings().auth, name, PW).token


def _run(page: str, token: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[auth.TOKEN_KEY] = token
    at.run()
    at.switch_page(f"../pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _forms(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.label in ("登记询问", "保存答复")]


def test_cards_department_table_and_list(inq_app):
    at = make_app("inquiries", query={"year": "2024"})
    got = metrics(at)
    assert {k: got[k][0] for k in CARDS} == {"询问数": "6", "已答复": "3", "答复率": "50.0%", "逾期未答复": "1",
                                             "逾期答复": "1", "待答复": "2", "满意率": "33.3%"}
    by_dept = table(at, "逾期未答复", "逾期答复").set_index("主管部门")
    assert by_dept.loc["区教育局", "询问数"] == 4 and by_dept.loc["区教育局", "逾期未答复"] == 1
    assert by_dept.loc["区卫健委", "答复率（%）"] == pytest.approx(50.0)
    listed = table(at, "询问内容", "答复情况")
    assert listed["询问内容"].tolist()[0] == "校车运营补贴标准？"  # newest asked first, the text as typed
    assert dict(zip(listed["询问人"], listed["答复情况"]))["教科文卫工委"] == "逾期未答复"
    assert _forms(at) == ["登记询问", "保存答复"]  # sign-in off: the local administrator may enter


@pytest.mark.parametrize("role", ["deputy", "leader"])
def test_no_entry_form_for_deputies_and_leaders(inq_password, role):
    url, _ = inq_password
    at = _run("inquiries", _token(url, role))
    assert metrics(at)["询问数"][0] == "6"
    assert _forms(at) == [] and not [e for e in at.expander if "登记询问" in e.label]


def test_a_department_limited_staff_account_sees_only_its_questions(inq_password):
    url, _ = inq_password
    at = _run("inquiries", _token(url, "staff", ("区卫健委",)))
    got = metrics(at)
    assert (got["询问数"][0], got["已答复"][0], got["逾期未答复"][0]) == ("2", "1", "0")
    listed = table(at, "询问内容", "答复情况")
    assert sorted(listed["询问人"]) == ["赵代表", "钱代表"]
    by_dept = table(at, "逾期未答复", "逾期答复")
    assert by_dept["主管部门"].tolist() == ["区卫健委"]
    assert _forms(at) == []  # a department-limited account may not write


def test_staff_register_a_question_then_answer_it(inq_app):
    url, ids = inq_app
    at = make_app("inquiries", query={"year": "2024"})
    at.selectbox(key="inq_dept").set_value(ids["D2"]).run()
    at.text_input(key="inq_asker").set_value("孙代表")
    at.text_area(key="inq_question").set_value("  基层医疗设备  配置标准是什么？ ")
    at.date_input(key="inq_due_on").set_value(dt.date(2024, 12, 20))
    next(b for b in at.button if b.label == "登记询问").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    new = next(q for q in rows(url, m.Inquiry) if q.asker == "孙代表" and q.year == 2024)
    assert (new.department_id, new.question, new.asked_on, new.due_on) == (
        ids["D2"], "基层医疗设备  配置标准是什么？", fx.TODAY, dt.date(2024, 12, 20))
    assert metrics(at)["询问数"][0] == "7" and any("已登记" in s.value for s in at.success)

    at.selectbox(key="inq_pick").set_value(new.id)
    at.text_area(key="inq_answer").set_value("已印发配置标准")
    at.date_input(key="inq_answered_on").set_value(fx.TODAY)
    at.selectbox(key="inq_rating").set_value("满意")
    next(b for b in at.button if b.label == "保存答复").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    new = next(q for q in rows(url, m.Inquiry) if q.id == new.id)
    assert (new.answer, new.answered_on, new.rating) == ("已印发配置标准", fx.TODAY, "满意")
    got = metrics(at)
    assert (got["已答复"][0], got["满意率"][0]) == ("4", "50.0%")


def _profile_section(url: str, department: int, limit: tuple = ()) -> None:
    """What 部门画像 draws with `inquiries.department_section(ctx, dept_id)` (run by AppTest.from_function)."""
    import datetime as dt_  # lazy: the function runs as a script of its own under AppTest

    from dashboard.core import db as db_
    from dashboard.core.rules import DEFAULT_RULES
    from dashboard.metrics import Scope
    from dashboard.ui import filters
    from dashboard.ui import inquiries as inq

    ctx = filters.Context(url, db_.data_version(url), Scope(2024, limit=limit), DEFAULT_RULES, dt_.date(2024, 11, 30),
                          (2024,), ((1, "区教育局"), (2, "区卫健委"), (3, "区农业农村局")), True)
    inq.department_section(ctx, department)


def test_department_profile_section(inq_app):
    url, ids = inq_app
    at = AppTest.from_function(_profile_section, args=(url, ids["D1"]), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    got = metrics(at)
    assert (got["询问数"][0], got["答复率"][0], got["逾期未答复"][0], got["逾期答复"][0]) == ("4", "50.0%", "1", "1")
    assert sorted(table(at, "询问内容")["询问人"]) == ["张代表", "教科文卫工委", "李代表", "王代表"]
    # a department without questions draws nothing
    at = AppTest.from_function(_profile_section, args=(url, ids["D3"]), default_timeout=60).run()
    assert not at.exception and not at.metric and not at.subheader


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


def test_the_list_download_keeps_text_as_text(inq_app, download_callables):
    url, ids = inq_app
    writes.record_inquiry(url, OP, year=2024, department_id=ids["D3"], asker="=HYPERLINK(\"x\")",
                          question="=1+1 何时发放？", asked_on=dt.date(2024, 11, 29), today=fx.TODAY)
    at = make_app("inquiries", query={"year": "2024"})
    assert metrics(at)["询问数"][0] == "7"
    name = next(n for n in download_callables if n.startswith("询问台账_2024"))
    ws = openpyxl.load_workbook(io.BytesIO(download_callables[name]())).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "1+1" in c.value]
    assert [(c.value, c.data_type) for c in cells] == [("=1+1 何时发放？", "s")]  # text, never a formula
    assert any("共 7 条" in str(c.value) for c in ws[1])
