"""部门整体绩效目标表 / 自评表: a form built here in two arrangements (values right of their labels, merged; values
below their labels) is read, stored (department_wide, department_tasks, department_indicators), re-imported without
change, undone, and counted in `summary --json` under `department_wide`; the real 湛江 target form when it is at hand."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from dashboard import metrics
from dashboard.__main__ import main
from dashboard.core import db
from dashboard.core.settings import Rules
from dashboard.metrics.summary import summary
from data_loaders.importer import import_files, undo_batch
from data_loaders.reader import read_file

REAL = Path(__file__).resolve().parents[3] / "shared" / "realfiles" / "zj_rsj_2024_bumen_zhengti_mubiao.xlsx"

TASKS = [("养老保险补贴", "按标准发放补贴", 1200.5, "应发尽发"), ("就业专项资金", "完成就业目标", 300, "就业稳定")]
INDICATORS = [("产出指标", "数量指标", "新增就业人数（人）", 5000), ("产出指标", "质量指标", "补贴发放准确率", 1),
              ("效益指标", "社会效益指标", "覆盖面", "≧95%"), ("满意度指标", "服务对象满意度", "群众满意度", "≥90%")]


def _right_layout(ws, name: str) -> None:
    """Values right of their labels; section labels merged down column A; the budget block side by side."""
    ws.append(["2023年部门整体支出绩效目标表"])
    ws.merge_cells("A1:E1")
    ws.append(["部门名称", name])
    ws.merge_cells("B2:E2")
    ws.append(["基本信息", "财政供养人员数", 120, "下属二级单位数", 3])
    ws.append(["预算整体情况", "部门预算支出", "预算金额（万元）", "收入来源", "预算金额（万元）"])
    ws.append([None, "基本支出", 800.25, "财政拨款", 2000.25])
    ws.append([None, "项目支出", 1200, "其他资金", 0])
    ws.merge_cells("A4:A6")
    ws.append(["总体绩效目标", "目标1：稳就业。\n目标2：保民生。"])
    ws.merge_cells("B7:E7")
    ws.append(["年度重点工作任务", "名称", "主要实施内容", "拟投入的资金（万元）", "期望达到的目标"])
    for t in TASKS:
        ws.append([None, *t])
    ws.merge_cells(f"A8:A{8 + len(TASKS)}")
    start = ws.max_row + 1
    ws.append(["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"])
    for i, (l1, l2, n, v) in enumerate(INDICATORS):
        ws.append([None, l1, l2, n, v])
        if v == 1:
            ws.cell(ws.max_row, 5).number_format = "0%"
    ws.merge_cells(f"A{start}:A{ws.max_row}")
    ws.merge_cells(f"B{start + 1}:B{start + 2}")  # 产出指标 over its two rows


def _below_layout(ws, name: str) -> None:
    """Each label above its value (a header row, then the values), nothing merged."""
    ws.append(["2023年度部门整体绩效目标表"])
    ws.append(["部门名称", "财政供养人员数", "下属二级单位数"])
    ws.append([name, 120, 3])
    ws.append(["基本支出", "项目支出", "财政拨款", "其他资金"])
    ws.append([800.25, 1200, 2000.25, 0])
    ws.append(["总体绩效目标"])
    ws.append(["目标1：稳就业。\n目标2：保民生。"])
    ws.append(["名称", "主要实施内容", "拟投入的资金（万元）", "期望达到的目标"])
    for t in TASKS:
        ws.append(list(t))
    ws.append(["一级指标", "二级指标", "三级指标", "指标值"])
    for l1, l2, n, v in INDICATORS:
        ws.append([l1, l2, n, v])


def _book(build, name: str = "区人社局") -> bytes:
    wb = openpyxl.Workbook()
    build(wb.active, name)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _count(url: str, table: str) -> int:
    with db.get_engine(url).connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("build", [_right_layout, _below_layout], ids=["right-merged", "below"])
def test_form_is_stored_and_counted(db_url, build, capsys):
    data = _book(build)
    result = import_files(db_url, [("部门整体目标.xlsx", data)])
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts["department_wide"]["inserted"] == 1
    assert result.counts["department_tasks"]["inserted"] == 2
    assert result.counts["department_indicators"]["inserted"] == 4
    with db.get_engine(db_url).connect() as conn:
        row = conn.execute(text("SELECT d.name, w.year, w.stage, w.staff_count, w.sub_unit_count, w.basic_budget, "
                                "w.project_budget, w.total_budget, w.overall_target FROM department_wide w "
                                "JOIN departments d ON d.id = w.department_id")).one()
        tasks = conn.execute(text("SELECT name, amount, target FROM department_tasks ORDER BY id")).all()
        inds = conn.execute(text("SELECT level1, level2, name, comparator, target_text, target_value, target_unit "
                                 "FROM department_indicators ORDER BY id")).all()
    assert row[:8] == ("区人社局", 2023, "目标", 120, 3, 800.25, 1200.0, 2000.25)
    assert row[8].startswith("目标1:稳就业。")
    assert [(t[0], t[1], t[2]) for t in tasks] == [(n, float(a), g) for n, _c, a, g in TASKS]
    assert [i[:3] for i in inds] == [i[:3] for i in INDICATORS]
    assert inds[1][3:] == (None, "100%", 100.0, "%")  # the number 1 formatted as a percentage
    assert inds[2][3:] == ("≥", "≥95%", 95.0, "%")  # full-width ≧

    code = main(["--db", db_url, "summary", "--year", "2023", "--today", "2023-12-31", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert list(out)[-2:] == ["department_wide", "rounds"]  # rounds (issue 26) comes last
    assert out["department_wide"] == {"departments": 1, "budget_total": 2000.25, "indicators": 4}

    again = import_files(db_url, [("部门整体目标.xlsx", data)])
    assert again.ok and all(c["inserted"] == 0 and c["updated"] == 0 for c in again.counts.values())
    undo_batch(db_url, again.batch_id)
    undo_batch(db_url, result.batch_id)
    for table in ("department_wide", "department_tasks", "department_indicators", "departments"):
        assert _count(db_url, table) == 0


def test_scope_and_department_detail(db_url):
    assert import_files(db_url, [("a.xlsx", _book(_right_layout, "区人社局")),
                                 ("b.xlsx", _book(_below_layout, "区教育局"))]).ok
    ids = dict(metrics.department_options(db_url)[["name", "id"]].itertuples(index=False))
    version = metrics.prepare(db_url)
    q = metrics.Query(db_url, version, metrics.Scope(year=2023), Rules(), dt.date(2023, 12, 31))
    assert metrics.department_wide_totals(q) == {"departments": 2, "budget_total": 4000.5, "indicators": 8}
    table = metrics.department_wide(q)
    assert sorted(table["department"]) == ["区人社局", "区教育局"]
    assert set(table["tasks"]) == {2} and set(table["tasks_amount"]) == {1500.5}
    # a viewer limited to one department sees only its form, whatever it asks for
    limited = q.scoped(departments=(ids["区教育局"],), limit=(ids["区人社局"],))
    assert metrics.department_wide_totals(limited) == {"departments": 1, "budget_total": 2000.25, "indicators": 4}
    assert metrics.department_wide_detail(limited, ids["区教育局"]) is None
    detail = metrics.department_wide_detail(limited, ids["区人社局"])
    assert detail["form"]["basic_budget"] == 800.25 and len(detail["tasks"]) == 2 and len(detail["indicators"]) == 4
    one = summary(db_url, 2023, "区教育局", dt.date(2023, 12, 31), Rules())
    assert one["department_wide"] == {"departments": 1, "budget_total": 2000.25, "indicators": 4}
    assert summary(db_url, 2022, None, dt.date(2023, 12, 31), Rules())["department_wide"]["departments"] == 0


@pytest.mark.skipif(not REAL.exists(), reason="the real files are not at hand (../shared/realfiles)")
def test_real_zhanjiang_target_form(db_url):
    fr = read_file(REAL)
    assert fr.ok, [str(p) for p in fr.problems]
    result = import_files(db_url, [REAL])
    assert result.ok, [str(p) for p in result.problems]
    s = summary(db_url, 2024, None, dt.date(2024, 12, 31), Rules())
    assert s["department_wide"] == {"departments": 1, "budget_total": 72807.38, "indicators": 19}
    with db.get_engine(db_url).connect() as conn:
        w = conn.execute(text("SELECT d.name, w.stage, w.staff_count, w.sub_unit_count, w.basic_budget, "
                              "w.project_budget FROM department_wide w JOIN departments d ON d.id = w.department_id")).one()
        tasks = conn.execute(text("SELECT COUNT(*), SUM(amount) FROM department_tasks")).one()
        levels = dict(conn.execute(text("SELECT level1, COUNT(*) FROM department_indicators GROUP BY level1")).all())
        ge = conn.execute(text("SELECT COUNT(*) FROM department_indicators WHERE comparator = '≥'")).scalar_one()
        rate = conn.execute(text("SELECT target_text FROM department_indicators WHERE name = '补贴发放准确率'")).scalar_one()
    assert w[:4] == ("湛江市人力资源和社会保障局", "目标", 737, 10)
    assert round(w[4], 2) == 10891.62 and round(w[5], 2) == 61915.77
    assert tasks[0] == 3 and round(tasks[1], 2) == 20589.81
    assert levels == {"产出指标": 8, "效益指标": 7, "满意度指标": 4}
    assert ge == 11  # ≥ and full-width ≧ alike (10 signs, and 不低于上年度水平)
    assert rate == "100%"


def test_department_page_shows_the_form(tmp_path, monkeypatch):
    """部门画像 draws the block (budget split, tasks with amounts, indicators) for a department with a form."""
    import streamlit as st

    from tests.pages.apptest import ROOT, make_app, texts
    from tests.pages.apptest import metrics as shown_metrics

    url = f"sqlite:///{tmp_path / 'page.db'}"
    projects = "年度,主管部门,项目名称,年初预算\n2023,区人社局,就业补贴,100\n".encode()  # the app opens on projects
    assert import_files(url, [("a.xlsx", _book(_right_layout, "区人社局")), ("项目.csv", projects)]).ok
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", "2023-12-31")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    try:
        at = make_app("department", query={"year": "2023", "dept": "区人社局"})
        assert not at.error, [e.value for e in at.error]
        assert not [w.value for w in at.warning if "暂时无法显示" in w.value]
        m = shown_metrics(at)
        assert m["部门预算（万元）"][0] == "2,000.25"
        assert m["基本支出（万元）"][0] == "800.25" and m["项目支出（万元）"][0] == "1,200.00"
        assert m["重点工作任务"][0] == "2" and m["绩效指标"][0] == "4"
        assert "部门整体绩效目标" in texts(at)
        frames = [df.value for df in at.dataframe]
        tasks = next(f for f in frames if "任务名称" in f.columns)
        assert list(tasks["任务名称"]) == [t[0] for t in TASKS]
        assert any("补贴发放准确率" in f.to_string() for f in frames)
    finally:
        st.cache_data.clear()


def _self_evaluation(ws, name: str) -> None:
    """A 部门整体支出绩效自评表: budget block with 年初 / 全年预算数 / 全年执行数 columns, total score."""
    ws.append(["部门整体支出绩效自评表"])
    ws.append(["（2023年度）"])
    ws.append(["部门名称", name])
    ws.append(["年度预算执行情况（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "得分"])
    ws.append([None, "年度资金总额", 2000, 2100, 1900, 10, 9])
    ws.append([None, "其中：基本支出", 800, 850, 800, None, None])
    ws.append([None, "项目支出", 1200, 1250, 1100, None, None])
    ws.merge_cells("A4:A7")
    ws.append(["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"])
    ws.append([None, "产出指标", "数量指标", "新增就业人数（人）", "≥5000", "5200", 50, 50])
    ws.append([None, "满意度指标", "服务对象满意度", "群众满意度", "≥90%", "92%", 40, 33])
    ws.append(["总分", None, None, None, None, None, 100, 92])


def test_self_evaluation_form_keeps_its_evaluation_row(db_url):
    result = import_files(db_url, [("自评.xlsx", _book(_self_evaluation))])
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts["evaluations"]["inserted"] == 1  # the 部门整体支出 evaluation, as before
    with db.get_engine(db_url).connect() as conn:
        w = conn.execute(text("SELECT stage, basic_budget, project_budget, total_budget, executed "
                              "FROM department_wide")).one()
        ev = conn.execute(text("SELECT object_type, score FROM evaluations")).one()
        inds = conn.execute(text("SELECT name, actual_text, score FROM department_indicators ORDER BY id")).all()
    assert tuple(w) == ("自评", 850.0, 1250.0, 2100.0, 1900.0)
    assert tuple(ev) == ("部门整体支出", 92.0)
    assert [tuple(i) for i in inds] == [("新增就业人数（人）", "5200", 50.0), ("群众满意度", "92%", 33.0)]


def test_undo_refuses_while_a_form_points_at_the_department_and_demo_clears_forms(db_url):
    from dashboard.demo import load_demo
    from data_loaders.importer import UndoRefused

    first = import_files(db_url, [("项目.csv", "年度,主管部门,项目名称,年初预算\n2023,区人社局,就业补贴,100\n".encode())])
    form = import_files(db_url, [("a.xlsx", _book(_right_layout, "区人社局"))])
    assert first.ok and form.ok and form.counts["departments"]["inserted"] == 0
    with pytest.raises(UndoRefused):
        undo_batch(db_url, first.batch_id)  # batch 2's form points at the department batch 1 created
    load_demo(db_url)  # replaces every data row, the forms included
    assert _count(db_url, "department_wide") == 0 and _count(db_url, "department_indicators") == 0
