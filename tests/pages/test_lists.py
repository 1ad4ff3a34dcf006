"""Every list is complete: paged with 「第 a–b 条，共 N 条」, its download holds all N rows under a title, the
等级 / 预警 filters match what the columns show, several values per filter.

Figures from tests/pages/fixture_db.py (small) and from a copy of it with 120 more 2024 projects of 区教育局
without targets (EX-001 … EX-120, budget 1 … 120 万元, so they sort after the ten fixture projects) and 55
单位自评 of EX-001 … EX-055 (score 40 + i/2 → below every fixture score): 130 projects, 122 without targets,
63 evaluation records in 2024.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import streamlit as st

from dashboard import metrics
from dashboard.core.models import Evaluation, Meta, Project, evaluation_object_key
from dashboard.ui import data, export, tables
from tests.pages import fixture_db
from tests.pages.apptest import table, texts
from tests.sessions import session_scope

TODAY = dt.date.fromisoformat(fixture_db.TODAY)
EXTRA = 120
EXTRA_EVALS = 55


@pytest.fixture(scope="module")
def big_url(tmp_path_factory):
    """The fixture database plus 120 projects and 55 evaluations (a database of its own: other tests keep the small one)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('lists') / 'big.db'}"
    ids = fixture_db.build(url)
    with session_scope(url) as s:
        batch_id = s.query(Project).first().batch_id
        new = []
        for i in range(1, EXTRA + 1):
            p = Project(year=2024, code=f"EX-{i:03d}", name=f"扩展项目{i:03d}", department_id=ids["101"],
                        fund_source="一般公共预算", initial_budget=float(i), adjusted_budget=float(i),
                        has_target=False, category="项目支出", created_batch_id=batch_id, batch_id=batch_id)
            s.add(p)
            new.append(p)
        s.flush()
        for i, p in enumerate(new[:EXTRA_EVALS], 1):
            s.add(Evaluation(year=2024, kind="单位自评", object_type="项目支出",
                             object_key=evaluation_object_key(p.id, p.department_id, None), object_name=p.name,
                             project_id=p.id, department_id=p.department_id, fund_amount=float(i),
                             score=40 + i / 2, next_year_budget_change=-1234.5 if i == 1 else None,
                             created_batch_id=batch_id, batch_id=batch_id))
        s.query(Meta).filter(Meta.key == "data_version").update({"value": "2"})
    return url


@pytest.fixture
def big_app(big_url, app_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", big_url)
    st.cache_data.clear()
    from tests.pages.apptest import make_app
    return make_app


def _q(url):
    return metrics.Query(url, metrics.prepare(url), metrics.Scope(2024), today=TODAY)


def _codes(at):
    return table(at, "项目编码", "未销号问题")["项目编码"].tolist()


# ---- paging and captions -----------------------------------------------------------------------------

def test_project_search_pages_through_all_130(big_app):
    at = big_app("projects")
    assert len(_codes(at)) == 50
    assert "第 1–50 条，共 130 条" in texts(at) and "共 130 个项目" in texts(at)
    at = big_app("projects", query={"page": "3"})
    # nine fixture projects, EX-120 … EX-101, NY-04 (100), EX-100 …: rows 101–130 are EX-030 … EX-001
    assert _codes(at) == [f"EX-{i:03d}" for i in range(30, 0, -1)]
    assert "第 101–130 条，共 130 条" in texts(at)
    (download,) = [d for d in at.get("download_button") if "projects" in d.proto.id]
    assert "全部 130 条" in download.proto.help


def test_evaluation_list_is_no_longer_cut(big_app):
    at = big_app("evaluation")
    evals = table(at, "评价对象", "得分")
    assert len(evals) == 50 and evals["得分"].tolist()[:2] == [40.5, 41.0]   # lowest first
    assert "第 1–50 条，共 63 条" in texts(at)
    at = big_app("evaluation", query={"ep": "2"})
    last = table(at, "评价对象", "得分")
    assert len(last) == 13 and last["得分"].max() == 95.0   # the best are on the last page, not dropped
    assert "第 51–63 条，共 63 条" in texts(at)


def test_projects_without_targets_all_122(big_app):
    at = big_app("coverage")
    assert "第 1–50 条，共 122 条" in texts(at)
    # 120 × 121 / 2 = 7,260 plus JY-03 200 and NY-02 300
    assert "122 个项目，合计 7,760.00 万元" in texts(at)


def test_small_lists_say_their_range(app):
    at = app("monitoring")
    assert "第 1–3 条，共 3 条。按滞后从大到小" in texts(at)   # JY-02, NY-01, NY-04
    assert "第 1–1 条，共 1 条" in texts(at)                  # WJ-03 not reported


# ---- downloads: every row, a title, number formats -----------------------------------------------------

def _sheet(xlsx: bytes):
    return openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]


def test_download_holds_all_rows_with_title_and_formats(big_url):
    q = _q(big_url)
    listing = data.Listing(metrics.evaluation_list, metrics.evaluation_count, q, (("kind", None),))
    cols = ["kind", "object_name", "code", "fund_amount", "score", "grade", "next_year_budget_change"]
    head = ["评价清单", "范围：2024年 · 全部主管部门 · 全部资金来源", "判断日期 2025-03-31　·　来源批次 #1"]
    ws = _sheet(tables.listing_file(listing, cols, head, sheet="评价清单"))
    assert ws.cell(1, 1).value == "评价清单（共 63 条）"
    assert ws.cell(2, 1).value.startswith("范围：2024年") and "判断日期 2025-03-31" in ws.cell(3, 1).value
    assert [c.value for c in ws[4]] == ["评价类型", "评价对象", "项目编码", "资金规模（万元）", "得分", "等级",
                                        "下年预算调整（万元）"]
    assert ws.max_row == 3 + 1 + 63 and ws.freeze_panes == "A5"
    first = [c.value for c in ws[5]]
    assert first[:2] == ["单位自评", "扩展项目001"] and first[4] == 40.5
    assert ws.cell(5, 7).value == -1234.5 and ws.cell(5, 7).number_format == export.MONEY_FORMAT
    assert ws.cell(5, 5).number_format == export.ONE_DECIMAL_FORMAT
    assert ws.column_dimensions["B"].width >= 12


def test_download_in_chunks_is_the_same_list(big_url, monkeypatch):
    q = _q(big_url)
    listing = data.Listing(data._project_rows, metrics.count_projects, q,
                           (("grade", ()), ("light", ()), ("status", ()), ("text", "")))
    monkeypatch.setattr(data, "CHUNK", 7)
    chunks = list(listing.chunks(7))
    assert [len(c) for c in chunks] == [7] * 18 + [4]
    codes = [c for df in chunks for c in df["code"]]
    assert codes == metrics.search_projects(q, limit=None)[0]["code"].tolist() and len(set(codes)) == 130
    ws = _sheet(tables.listing_file(listing, ["code", "budget", "execution_rate"], ["项目查询"]))
    assert ws.max_row == 1 + 1 + 130
    rates = {ws.cell(r, 1).value: ws.cell(r, 3) for r in range(3, ws.max_row + 1)}
    assert rates["JY-01"].value == 0.6 and rates["JY-01"].number_format == export.PERCENT_FORMAT
    assert ws.cell(3, 2).number_format == export.MONEY_FORMAT and ws.cell(3, 2).value == 12000


def test_money_on_screen_has_a_minus_sign_not_parentheses():
    cfg = tables.column_config(["budget", "next_year_budget_change"])
    assert all(c["type_config"]["format"] == "%,.2f" for c in cfg.values())


# ---- one definition of 等级 and 预警, several values per filter --------------------------------------

# shown 等级 (most independent evaluation): JY-01 良 (财政重点评价 82, not its 自评 95), WJ-01 良 (抽查复核 88),
# NY-01 差, NY-03 良 (部门评价 85), WJ-02 优 (only 单位自评 90). Matching ANY record would add JY-01 and
# WJ-01 to 优.
@pytest.mark.parametrize("grades, codes", [
    ("优", ["WJ-02"]),
    ("良", ["WJ-01", "NY-03", "JY-01"]),
    (["优", "差"], ["NY-01", "WJ-02"]),
])
def test_grade_filter_matches_the_grade_shown(app, grades, codes):
    at = app("projects", query={"grade": grades})
    rows = table(at, "项目编码", "等级")
    assert rows["项目编码"].tolist() == codes
    wanted = {grades} if isinstance(grades, str) else set(grades)
    assert set(rows["等级"]) == wanted


def test_grade_filter_in_metrics_is_the_column(fixture_url):
    q = _q(fixture_url[0])
    everything = metrics.search_projects(q, limit=None)[0]
    for grade in ("优", "良", "中", "差"):
        got = metrics.search_projects(q, grade=grade, limit=None)[0]
        assert got["project_id"].tolist() == everything[everything["grade"] == grade]["project_id"].tolist()


def test_light_and_status_take_several_values(app):
    # red JY-02, NY-01, NY-04; grey only WJ-03 (NY-02 has no target: no light, not grey)
    at = app("projects", query={"light": ["红灯", "未报送"]})
    assert table(at, "项目编码", "预警")["项目编码"].tolist() == ["NY-01", "JY-02", "WJ-03", "NY-04"]
    at = app("projects", query={"light": "未报送"})
    assert table(at, "项目编码", "预警")["项目编码"].tolist() == ["WJ-03"]
    at = app("projects", query={"status": ["未整改", "整改中"]})
    assert table(at, "项目编码", "未销号问题")["项目编码"].tolist() == ["NY-01", "WJ-01", "JY-02"]


# ---- 整改进度: the complete findings list with its filters -------------------------------------------

def test_findings_list_filters(fixture_url):
    q = _q(fixture_url[0])

    def descs(limit=None, offset=0, **kw):
        df = metrics.findings_list(q, limit=limit, offset=offset, **kw)
        if limit is None:
            assert metrics.findings_count(q, **kw) == len(df)
        return df["description"].tolist()

    assert len(descs()) == 6
    assert descs(statuses=("未整改",)) == ["项目资金闲置", "校舍维修进度滞后"]
    assert descs(statuses=("未整改", "整改中")) == ["项目资金闲置", "校舍维修进度滞后", "部门绩效目标编制不规范",
                                                  "设备采购未按计划实施"]
    assert descs(overdue=True) == ["项目资金闲置", "校舍维修进度滞后", "部门绩效目标编制不规范"]
    assert descs(overdue=False) == ["防疫物资台账不全", "营养餐资金拨付不及时", "设备采购未按计划实施"]
    assert descs(buckets=(">180天", "≤30天")) == ["项目资金闲置", "部门绩效目标编制不规范"]
    assert descs(statuses=("已整改",), overdue=True) == []
    assert descs(limit=2, offset=1) == descs()[1:3]


def test_rectification_page_findings_list(app, ids):
    at = app("rectification")
    assert "第 1–3 条，共 3 条" in texts(at)   # default: the overdue ones
    at = app("rectification", query={"od": "全部", "fs": ["未整改", "已整改"]})
    rows = table(at, "问题描述", "整改状态")
    assert rows["问题描述"].tolist() == ["项目资金闲置", "防疫物资台账不全", "营养餐资金拨付不及时", "校舍维修进度滞后"]
    at = app("rectification", query={"od": "全部", "fd": "区农业农村局"})
    assert table(at, "问题描述", "整改状态")["问题描述"].tolist() == ["项目资金闲置", "防疫物资台账不全",
                                                                  "部门绩效目标编制不规范"]
    at = app("rectification", query={"ab": "31–90天"})
    assert table(at, "问题描述", "整改状态")["问题描述"].tolist() == ["校舍维修进度滞后"]


@pytest.fixture
def download_callables(monkeypatch):
    """file name → the data callable each st.download_button registered (called later, as a click would)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    got = {}
    original = MediaFileManager.add_deferred

    def capture(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        got[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", capture)
    return got


def test_clicked_download_of_filtered_search_has_every_match(big_app, download_callables):
    # the search 扩展 finds EX-001 … EX-120; page 2 on screen, every one of the 120 in the file
    at = big_app("projects", query={"q": "扩展", "page": "2"})
    assert "第 51–100 条，共 120 条" in texts(at)
    ws = _sheet(download_callables["项目查询_2024.xlsx"]())
    assert ws.cell(1, 1).value == "项目查询（共 120 条）"
    assert "筛选：搜索 扩展" in ws.cell(2, 1).value and "判断日期 2025-03-31" in ws.cell(3, 1).value
    assert "来源批次 #1" in ws.cell(3, 1).value and "数据截至 2024-08-31" in ws.cell(3, 1).value
    assert ws.max_row == 3 + 1 + 120
    assert [ws.cell(r, 1).value for r in (5, 124)] == ["EX-120", "EX-001"]
    assert ws.cell(5, 5).number_format == export.MONEY_FORMAT and ws.cell(5, 5).value == 120


def test_clicked_download_of_a_whole_table_has_a_title(app, download_callables):
    app("coverage")
    ws = _sheet(download_callables["各部门覆盖率_2024.xlsx"]())
    assert ws.cell(1, 1).value == "各部门覆盖率 2024" and ws.cell(2, 1).value.startswith("范围：2024年")
    header = [c.value for c in ws[4]]
    assert header[:2] == ["主管部门", "项目数"] and ws.max_row == 4 + 3
    col = header.index("目标覆盖率（按资金）") + 1   # a percent cell: no （%） in the header
    assert {ws.cell(r, col).number_format for r in range(5, 8)} == {export.PERCENT_FORMAT}
