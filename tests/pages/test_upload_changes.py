"""The 变更 summary on the upload page (issue 26, item 2): after a dry run, after an import, after an undo, and
in the import history, as plain text.

The fixture's 2024 (tests/pages/fixture_db.py): ten projects, 19,800 万元, one project with targets and no report
(WJ-03: grey, 未报送). 好.xlsx adds JY-09 智慧校园建设, 300 万元, with targets and no report: eleven projects,
20,100 万元, two grey. The fixture's own batch #1 was made without a summary: the history lists no 变更 for it.
"""

from __future__ import annotations

from tests.pages.apptest import make_app, table, upload
from tests.pages.test_upload import GOOD

ADDED = [
    "新增项目 1 个、修改 0 个、删除 0 个",
    "2024年：项目数 10 → 11（+1）；预算合计 19,800.00 → 20,100.00 万元（+300.00）；未报送 1 → 2（+1）",
    "新增项目：智慧校园建设（JY-09，2024年）",
]
UNDONE = [
    "新增项目 0 个、修改 0 个、删除 1 个",
    "2024年：项目数 11 → 10（-1）；预算合计 20,100.00 → 19,800.00 万元（-300.00）；未报送 2 → 1（-1）",
    "删除项目：智慧校园建设（JY-09，2024年）",
]


def shown(at) -> list[str]:
    return [t.value for t in at.text]


def test_summary_after_dry_run_import_and_undo(fresh_db):
    at = make_app("upload")
    upload(at, "好.xlsx", GOOD)
    at.button(key="dry_run").click().run()
    assert not at.exception
    assert shown(at) == ADDED  # what the import would change, nothing written
    assert any("试导入，未写入" in md.value for md in at.markdown)

    at.button(key="do_import").click().run()
    assert any("已导入，批次 #2" in s.value for s in at.success)
    # the summary under the outcome, then the same lines in the history's expander of batch #2
    assert shown(at) == ADDED + ADDED
    titles = [e.proto.label for e in at.expander]
    assert any("#2" in t and "已导入" in t and "新增项目 1 个、修改 0 个、删除 0 个" in t for t in titles), titles
    history = table(at, "批次", "变更")
    assert history["变更"].tolist() == ["新增 1 / 修改 0 / 删除 0", "-"]  # batch #1 predates the summary

    at = make_app("upload")
    assert at.selectbox(key="undo_pick").value == 2
    at.button(key="undo_open").click().run()
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert any("已撤销批次 #2" in s.value for s in at.success)
    # what the undo changed, then the history: the batch keeps its own summary and adds the undo's
    assert shown(at) == UNDONE + ADDED + UNDONE
    titles = [e.proto.label for e in at.expander]
    assert any("#2" in t and "已撤销" in t and "新增项目 1 个" in t for t in titles), titles
    assert any("撤销时的变更" in md.value for md in at.markdown)
