"""The upload preview (issue 9): each file's errors come first, above its column mapping; 导入 is disabled
while any file has errors (试导入 stays); the template's example rows are named there, as on the CLI."""

from __future__ import annotations

from data_loaders.template import build_template
from data_loaders.validate import TEMPLATE_ONLY
from tests.data_loaders.test_template_rows import filled_template
from tests.pages.apptest import make_app, table
from tests.pages.apptest import upload as _upload
from tests.pages.test_upload import BAD, GOOD


def _order(block) -> list[str]:
    """What the expander draws, in order: 'error' alerts, 'problems' and 'mapping' tables."""
    out = []
    for node in block:
        kind = getattr(node, "type", "")
        if kind == "error":
            out.append("error")
        elif kind == "arrow_data_frame" or node.__class__.__name__ == "Dataframe":
            cols = set(node.value.columns)
            out.append("problems" if "说明" in cols else "mapping" if "表格中的列" in cols else "other")
    return out


def test_errors_first_and_import_disabled(fresh_db):
    at = make_app("upload")
    _upload(at, "坏.xlsx", BAD)
    order = _order(at.expander[0])
    assert order[:3] == ["error", "problems", "mapping"], order
    problems = table(at, "级别", "行", "列", "说明")
    assert problems["级别"].tolist() == ["错误", "错误"] and problems["行"].tolist() == [2, 2]
    assert at.button(key="do_import").disabled and not at.button(key="dry_run").disabled


def test_one_bad_file_among_good_ones_disables_import(fresh_db):
    at = make_app("upload")
    mime = "application/octet-stream"
    at.get("file_uploader")[0].set_value([("好.xlsx", GOOD, mime), ("坏.xlsx", BAD, mime)]).run()
    files = [e for e in at.expander if "识别出" in e.proto.label]
    assert [e.proto.label.split("：")[0] for e in files] == ["好\\.xlsx", "坏\\.xlsx"]  # text.md-escaped
    assert [_order(e)[:1] for e in files] == [["mapping"], ["error"]]
    assert at.button(key="do_import").disabled and not at.button(key="dry_run").disabled


def test_good_file_import_enabled(fresh_db):
    at = make_app("upload")
    _upload(at, "好.xlsx", GOOD)
    assert not at.button(key="do_import").disabled
    assert "problems" not in _order(at.expander[0])


def test_untouched_template_preview_says_nothing_to_import(fresh_db):
    at = make_app("upload")
    _upload(at, "模板.xlsx", build_template())
    assert _order(at.expander[0])[:2] == ["error", "problems"]
    problems = table(at, "级别", "工作表", "行", "说明")
    assert problems["级别"].tolist() == ["错误"] + ["警告"] * 8
    assert problems["说明"].iloc[0].startswith(TEMPLATE_ONLY)
    assert sorted(problems["工作表"].iloc[1:]) == sorted(["部门单位", "项目", "绩效监控", "绩效评价", "问题整改",
                                                          "绩效指标", "整改满意度测评", "询问台账"])
    assert problems["行"].iloc[1:].tolist() == [2] * 8
    assert at.button(key="do_import").disabled


def test_filled_template_preview_names_the_example_rows_and_imports_the_rest(fresh_db):
    at = make_app("upload")
    _upload(at, "填好的模板.xlsx", filled_template())
    problems = table(at, "级别", "工作表", "行", "说明")
    assert set(problems["级别"]) == {"警告"}
    assert sorted(zip(problems["工作表"], problems["行"])) == sorted(
        [("部门单位", 2), ("项目", 2), ("项目", 6), ("绩效监控", 2), ("绩效评价", 2), ("问题整改", 2), ("绩效指标", 2),
         ("整改满意度测评", 2), ("询问台账", 2)])
    at.button(key="do_import").click().run()
    counts = table(at, "表", "新增").set_index("表")
    # the three user projects; 区卫健委 is already in the fixture, and no example 区教育局 row was written
    assert counts.loc["项目", "新增"] == 3 and counts.loc["主管部门", "新增"] == 0
