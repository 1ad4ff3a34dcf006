"""The 撤销批次 selector (issue 9): newest batch preselected, every option named by number, time, files, user
and row counts, and undoing the base batch only after 「我确认要撤销基础数据」 is ticked."""

from __future__ import annotations

import pytest
import streamlit as st

from dashboard.core.settings import load_settings
from data_loaders.importer import list_batches
from tests.pages.apptest import make_app, table
from tests.pages.apptest import upload as _upload
from tests.pages.test_upload import GOOD

# fixture_db.build's one batch: 2025-03-01 10:00, user tester, 测试数据.xlsx, no counts recorded
BASE_LABEL = "#1 · 2025-03-01 10:00 · 测试数据.xlsx · tester · 新增 0 / 更新 0"


def test_newest_batch_preselected_and_options_named(fresh_db):
    at = make_app("upload")
    assert at.selectbox(key="undo_pick").value == 1 and at.selectbox(key="undo_pick").options == [BASE_LABEL]
    _upload(at, "好.xlsx", GOOD)
    at.button(key="do_import").click().run()
    at = make_app("upload")
    pick = at.selectbox(key="undo_pick")
    created = list_batches(fresh_db)[0]["created_at"].replace("T", " ")[:16]
    # 好.xlsx adds one project to the fixture's existing 区教育局 / 区教育局本级, nothing else new or changed
    assert pick.value == 2
    # the batch names the real user: with sign-in off (mode none), the login name the settings give
    user = load_settings().user
    assert pick.options == [f"#2 · {created} · 好.xlsx · {user} · 新增 1 / 更新 0", BASE_LABEL]


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    """No data yet: the first upload becomes batch #1, the base data (the fixture's own batch #1 cannot be
    undone: some of its rows carry no batch)."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()


def test_undoing_the_base_batch_needs_the_second_confirmation(empty_db):
    at = make_app("upload")
    _upload(at, "好.xlsx", GOOD)
    at.button(key="do_import").click().run()
    at = make_app("upload")
    assert at.selectbox(key="undo_pick").value == 1
    at.button(key="undo_open").click().run()
    assert any("确定吗" in md.value for md in at.markdown)
    box = at.checkbox(key="undo_base_ok")
    assert box.label == "我确认要撤销基础数据" and box.value is False
    assert at.button(key="undo_yes").disabled
    box.check().run()
    assert not at.button(key="undo_yes").disabled
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert any("已撤销批次 #1" in s.value for s in at.success)
    assert table(at, "批次", "状态").set_index("批次").loc[1, "状态"] == "已撤销"
    assert list_batches(empty_db)[0]["status"] == "undone"


def test_a_later_batch_needs_no_second_confirmation(fresh_db):
    at = make_app("upload")
    _upload(at, "好.xlsx", GOOD)
    at.button(key="do_import").click().run()
    at = make_app("upload")
    at.button(key="undo_open").click().run()  # the preselected newest, #2
    assert not [c for c in at.checkbox if c.key == "undo_base_ok"]
    assert not at.button(key="undo_yes").disabled
    at.button(key="undo_yes").click().run()
    assert any("已撤销批次 #2" in s.value for s in at.success)
