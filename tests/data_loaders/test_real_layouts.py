"""Issue 22 (items 2, 3, 5, 8): the layouts real files come in, built small here with openpyxl — single-project
forms read by their labels wherever they stand (values right or below, merged or not, one project per sheet
over many sheets), long-format indicator tables beside a projects sheet, numbers stored as text, Excel error
cells, empty templates — and the real files of ../shared/realfiles with the figures its README gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from import_set import rows

from dashboard.cli import main
from dashboard.core import models as m
from data_loaders.importer import import_files
from data_loaders.reader import read_file
from data_loaders.validate import EMPTY_TEMPLATE

REAL = Path(__file__).resolve().parents[3] / "shared" / "realfiles"


def _book(path: Path, sheets: dict[str, tuple[list[list], list[str]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (cells, merges) in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(cells, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for rng in merges:
            ws.merge_cells(rng)
    wb.save(path)
    return path


def _summary(url: str, year: int, capsys) -> dict:
    capsys.readouterr()
    assert main(["--db", url, "summary", "--year", str(year), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _skipped(problems) -> dict[str, int]:
    """不适用 / empty rows counted by the warnings."""
    out = {"不适用": 0, "empty": 0}
    for p in problems:
        if (hit := re.search(r"(\d+) 行三级指标为“不适用”", p.message)):
            out["不适用"] += int(hit.group(1))
        if (hit := re.search(r"(\d+) 行三级指标为空", p.message)):
            out["empty"] += int(hit.group(1))
    return out


# --- single-project forms: labels wherever they stand -------------------------------------------------

def _declaration(code: str, name: str, amount: float, *, below: bool = False) -> tuple[list[list], list[str]]:
    """A 申报表 in the Shenzhen arrangement (A | B:C | D | E) or with the values under their labels."""
    if below:
        head = [
            ["项目支出绩效目标申报表"],
            ["项目编码", "项目名称", "项目主管部门", "项目执行单位", "本年度项目金额（万元）"],
            [code, name, "青山区教育局", "青山区第一中学", amount],
        ]
    else:
        head = [
            ["二级项目支出绩效目标申报表"],
            ["项目编码：", code, None, "项目名称：", name],
            ["申请单位：", "青山区第一中学", None, "一级预算单位：", "青山区教育局"],
            ["项目总金额（中期规划，万元）：", amount * 3, None, "本年度项目金额（万元）：", amount],
            ["政策依据：", "根据上级文件，本项目的监控和评价按年度开展（一段很长的文字）" * 2],
        ]
    block = [
        ["一级指标", "二级指标", "三级指标", "目标值", "指标解释"],
        ["产出", "数量", "维修面积", "≥1200平方米", "维修面积达到1200平方米"],
        [None, "质量", "验收合格率", "100%", ""],
        [None, "时效", "不适用", "不适用", "不适用"],
        ["效益", "社会效益", "办学条件", "明显改善", ""],
        [None, "可持续影响", None, None, "没有填写"],
        ["满意度", "服务对象满意度", "师生满意度", "≥90%", ""],
        ["备注：作为导入模板，置灰信息无需录入"],
    ]
    cells = head + block
    top = len(head) + 2
    merges = ["A1:E1"] if not below else []
    if not below:
        merges += [f"B{r}:C{r}" for r in (2, 3, 4)] + ["B5:E5"]
    merges += [f"A{top}:A{top + 2}", f"A{top + 3}:A{top + 4}"]  # 一级 merged down
    return cells, merges


@pytest.mark.parametrize("below", [False, True], ids=["right", "below"])
def test_declaration_forms_one_per_sheet(db_url, tmp_path, capsys, below):
    path = _book(tmp_path / "申报表.xlsx", {
        f"{i}.项目{i}": _declaration(f"4403062313915625001{i:02d}", f"项目{i}", 10.0 * i, below=below)
        for i in range(1, 4)
    })
    read = read_file(path, year=2023)
    assert read.errors == [], [str(p) for p in read.errors]
    assert _skipped(read.problems) == {"不适用": 3, "empty": 3}
    result = import_files(db_url, [path], year=2023)
    assert result.ok, [str(p) for p in result.problems]
    projects = sorted(rows(db_url, m.Project), key=lambda p: p.code)
    assert [(p.code, p.name, p.initial_budget) for p in projects] == [
        (f"4403062313915625001{i:02d}", f"项目{i}", 10.0 * i) for i in range(1, 4)]
    assert {d.name for d in rows(db_url, m.Department)} == {"青山区教育局"}
    assert {u.name for u in rows(db_url, m.Unit)} == {"青山区第一中学"}
    indicators = rows(db_url, m.Indicator)
    assert len(indicators) == 12 and {i.stage for i in indicators} == {"申报"}
    assert sorted({i.level1 for i in indicators}) == ["产出", "效益", "满意度"]
    assert _summary(db_url, 2023, capsys)["projects"] == 3


def test_self_evaluation_labels_and_amounts_below(db_url, tmp_path, capsys):
    """The Chongqing 自评表: 项目实施单位 / 项目主管部门 with values to the right across merges, 全年预算数 and
    全年执行数 on the row below their headers, the operator and the unit in their own columns, weights."""
    cells = [
        ["2021年度项目支出绩效自评表"],
        ["项目名称", "就业补助资金", None, None, None, None, "项目联系人", None, "向某"],
        ["项目实施单位", "区就业和人才中心", None, None, None, None, "项目主管部门", None, "区人力资源和社会保障局"],
        ["项目预算执行情况（万元）", "全年预算数（A）\n（上年结转+年初预算+本年追加追减预算（不含年底收回））", None, None,
         None, "全年执行数（B）"],
        [None, 7574, None, None, None, 6643],
        ["指标类型", "指标名称", "指标\n性质", "指标值", "计量\n单位", "指标\n权重", "全年\n完成值", "评价标准"],
        ["数量指标", "新增孵化基地\n数量", "≥", 1, "个", 30, 3, "达到目标得满分"],
        ["产出类指标", "补贴发放准确率", "≥", 95, "%", 20, 100, ""],
        ["效益类指标", "新增就业人数", "≥", 39500, "人", 20, 49358, ""],
        ["满意度类指标", "服务满意度", "≥", 90, "%", 10, 90, ""],
        ["管理类指标", "资金使用合规性", "无", "合规", "无", 10, "合规", ""],
        [None, "预算执行率", "≥", 90, "%", 10, 0.88, ""],  # 88% formatted as a percentage: the cell holds 0.88
        ["合计"],
        ["说明", "请逐一说明"],
    ]
    merges = ["A1:I1", "B2:F2", "G2:H2", "B3:F3", "G3:H3", "A4:A5", "B4:E4", "F4:I4", "B5:E5", "F5:I5"]
    path = _book(tmp_path / "自评表.xlsx", {"就业补助资金": (cells, merges)})
    result = import_files(db_url, [path])
    assert result.ok, [str(p) for p in result.problems]
    project = rows(db_url, m.Project)[0]
    assert (project.year, project.name, project.adjusted_budget) == (2021, "就业补助资金", 7574.0)
    assert [d.name for d in rows(db_url, m.Department)] == ["区人力资源和社会保障局"]
    assert [u.name for u in rows(db_url, m.Unit)] == ["区就业和人才中心"]
    ev = rows(db_url, m.Evaluation)[0]
    assert (ev.fund_amount, ev.executed, ev.score, ev.grade) == (7574.0, 6643.0, None, None)  # no grade invented
    indicators = rows(db_url, m.Indicator)
    assert sum(i.weight for i in indicators) == 100
    by = {i.name: i for i in indicators}
    assert (by["新增孵化基地数量"].level1, by["新增孵化基地数量"].level2) == ("产出指标", "数量指标")
    assert by["补贴发放准确率"].level1 == "产出指标" and by["服务满意度"].level1 == "满意度指标"
    assert (by["新增就业人数"].comparator, by["新增就业人数"].target_value, by["新增就业人数"].actual_value) == \
        ("≥", 39500.0, 49358.0)
    assert by["资金使用合规性"].target_text == "合规"
    assert (by["预算执行率"].actual_value, by["预算执行率"].actual_unit) == (88.0, "%")
    assert _summary(db_url, 2021, capsys)["indicators"]["not_met"] == 1


# --- long format: one row per indicator, the project's columns repeated -------------------------------

def test_long_format_with_projects_sheet(db_url, tmp_path, capsys):
    projects = [["项目编码", "项目名称", "申请单位", "一级预算单位", "项目总金额", "本年金额", "年度目标"]]
    indicators = [["项目编码", "一级指标", "二级指标", "三级指标", "指标值", "指标解释"]]
    for i in range(1, 4):
        code = f"44030623139150000{i:04d}"
        projects.append([code, f"社区经费{i}", f"第{i % 2}社区工作站", "松岗街道办事处", 30.0 * i, 10.0 * i, "目标"])
        indicators += [[code, "产出", "数量", f"服务人次{i}", f"≥{i}00人次", ""],
                       [code, "产出", "质量", "不适用", "不适用", ""],
                       [code, "效益", "社会效益", None, None, None],
                       [code, "满意度", "服务对象满意度", "居民满意度", "≥90%", ""]]
    joined = [projects[0][:6] + indicators[0][1:]]
    for ind in indicators[1:]:
        proj = next(p for p in projects[1:] if p[0] == ind[0])
        joined.append(proj[:6] + ind[1:])
    audit = [[None, "项目编码", "审核人", "审核日期", "完整性审核"]] + [[i, p[0], None, None, None]
                                                                    for i, p in enumerate(projects[1:])]
    path = _book(tmp_path / "项目信息.xlsx", {"审核信息": (audit, []), "项目信息": (projects, []),
                                              "指标信息": (indicators, []), "data": (joined, [])})
    read = read_file(path, year=2023)
    assert read.errors == [], [str(p) for p in read.errors]
    assert "审核信息" not in {t.sheet for t in read.tables}
    assert _skipped([p for p in read.problems if p.sheet == "指标信息"]) == {"不适用": 3, "empty": 3}
    result = import_files(db_url, [path], year=2023)
    assert result.ok, [str(p) for p in result.problems]
    stored = sorted(rows(db_url, m.Project), key=lambda p: p.code)
    assert [(p.name, p.initial_budget) for p in stored] == [(f"社区经费{i}", 10.0 * i) for i in range(1, 4)]
    assert len(rows(db_url, m.Unit)) == 2 and len(rows(db_url, m.Department)) == 1
    indicators_stored = rows(db_url, m.Indicator)
    assert len(indicators_stored) == 6 and {i.stage for i in indicators_stored} == {"申报"}
    s = _summary(db_url, 2023, capsys)
    assert (s["projects"], s["budget_total"], s["indicators"]["count"]) == (3, 60.0, 6)


def test_indicator_list_without_stage_or_department(tmp_path):
    """A 指标 sheet naming its projects by code only: stage 申报 (said once), no 主管部门 needed."""
    path = _book(tmp_path / "指标.xlsx", {"指标": ([["项目编码", "一级指标", "二级指标", "三级指标", "指标值"],
                                                    ["P1", "产出", "数量", "台数", "≥5台"],
                                                    ["P1", "产出", "质量", "", ""]], [])})
    read = read_file(path, year=2023)
    assert read.errors == []
    assert [t.frame["stage"].tolist() for t in read.tables] == [["申报", "申报"]]
    assert any("按表中的列读作“申报”" in p.message for p in read.warnings)


# --- cells: numbers as text, Excel error values --------------------------------------------------------

def test_text_numbers_and_error_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "监控"
    ws.append(["年度", "主管部门", "项目名称", "调整后预算", "执行数", "执行率", "监控截止日期"])
    ws.append([2023, "教育局", "校舍维修", "190.00", "95", "50.00%", "2023-06-30"])
    ws.append([2023, "教育局", "教师培训", "#REF!", "#DIV/0!", "#N/A", "2023-06-30"])
    ws.append([2023, "教育局", "课后服务", "100", "#VALUE!", "0.00%", "2023-06-30"])
    for ref in ("D3", "E3", "F3", "E4"):
        ws[ref].data_type = "e"  # stored as Excel error cells (t="e"), as a failed formula leaves them
    wb.save(tmp_path / "监控.xlsx")
    read = read_file(tmp_path / "监控.xlsx")
    frame = read.tables[0].frame
    assert frame["adjusted_budget"].tolist()[0] == 190.0 and frame["execution_rate"].tolist()[0] == 0.5
    assert frame["execution_rate"].tolist()[2] == 0.0
    found = {(p.row, p.column): p.message for p in read.errors}
    assert set(found) == {(3, "调整后预算（D列）"), (3, "执行数（E列）"), (3, "执行率（F列）"), (4, "执行数（E列）")}
    assert "#REF!" in found[(3, "调整后预算（D列）")] and "#N/A" in found[(3, "执行率（F列）")]
    assert all("Excel 错误值" in msg for msg in found.values())
    assert all(p.sheet == "监控" for p in read.errors)


# --- empty templates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("placeholder", ["ones", "fields", "headers"])
def test_empty_template_is_said_in_one_sentence(tmp_path, capsys, placeholder):
    header = ["序号", "项目编号", "项目名称", "年度", "年度资金总额[万元]", "年度财政拨款[万元]", "中期目标"]
    body = {"ones": [[1.0] * len(header), [2.0] + [None] * (len(header) - 1)],
            "fields": [[None, "&=$Code", "&=$Name", "&=$Year", "&=$Total", "&=$Fiscal", "&=$Goal"]],
            "headers": []}[placeholder]
    path = _book(tmp_path / "台账.xlsx", {"绩效目标台账": ([["绩效目标台账报表"], header, *body], ["A1:G1"])})
    read = read_file(path)
    assert [p.message for p in read.errors] == [EMPTY_TEMPLATE]
    db = tmp_path / "t.db"
    assert main(["--db", f"sqlite:///{db}", "import", "--year", "2023", str(path)]) == 2
    out = capsys.readouterr()
    assert EMPTY_TEMPLATE in out.out + out.err and "缺少" not in out.out + out.err


def test_a_filled_row_is_no_template(tmp_path):
    header = ["项目编号", "项目名称", "年度", "主管部门", "年度资金总额[万元]"]
    path = _book(tmp_path / "台账.xlsx", {"台账": ([header, [1, 1, 1, 1, 1], ["P1", "校舍", 2023, "教育局", 5]], [])})
    assert EMPTY_TEMPLATE not in [p.message for p in read_file(path).problems]


# --- the real files --------------------------------------------------------------------------------------

def _real(name: str) -> Path:
    if not REAL.is_dir():
        pytest.skip(f"the real files are not here ({REAL})")
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{name} is not in {REAL}")
    return path


def test_real_shenzhen_declaration_forms(db_url, capsys):
    path = _real("sz_songgang_shenbaobiao_3.xlsx")
    read = read_file(path, year=2023)
    assert _skipped(read.problems) == {"不适用": 78, "empty": 5}
    result = import_files(db_url, [path], year=2023, unit="元")  # its amounts are 元 under 万元 labels
    assert result.ok, [str(p) for p in result.errors]
    projects = rows(db_url, m.Project)
    assert len(projects) == 20 and len({p.code for p in projects}) == 20 and len({p.name for p in projects}) == 18
    assert [d.name for d in rows(db_url, m.Department)] == ["深圳市宝安区松岗街道办事处(本级)"]
    s = _summary(db_url, 2023, capsys)
    assert s["budget_total"] == pytest.approx(24566.98, abs=0.01)
    assert s["indicators"]["count"] == 128
    levels = {}
    for i in rows(db_url, m.Indicator):
        levels[i.level1] = levels.get(i.level1, 0) + 1
    assert levels == {"产出": 91, "效益": 34, "满意度": 3}


def test_real_shenzhen_long_format(db_url, capsys):
    path = _real("sz_songgang_xiangmu_xinxi_flat.xlsx")
    result = import_files(db_url, [path], year=2023, unit="元")
    assert result.ok, [str(p) for p in result.errors]
    projects = rows(db_url, m.Project)
    assert len(projects) == 291 and len({p.name for p in projects}) == 261
    assert sum(1 for p in projects if p.initial_budget == 0) == 63
    assert len(rows(db_url, m.Unit)) == 7 and len(rows(db_url, m.Department)) == 1
    s = _summary(db_url, 2023, capsys)
    assert s["budget_total"] == pytest.approx(50561.58, abs=0.01)
    assert s["indicators"]["count"] == 1560


def test_real_chongqing_self_evaluation(db_url, capsys):
    path = _real("cq_yuzhong_2021_ziping_jiuyebuzhu.xlsx")
    result = import_files(db_url, [path])
    assert result.ok, [str(p) for p in result.errors]
    (project,) = rows(db_url, m.Project)
    assert (project.year, project.adjusted_budget) == (2021, 7574.0)
    assert [u.name for u in rows(db_url, m.Unit)] == ["渝中区就业和人才中心"]
    assert [d.name for d in rows(db_url, m.Department)] == ["渝中区人力资源和社会保障局"]
    (ev,) = rows(db_url, m.Evaluation)
    assert (ev.fund_amount, ev.executed, ev.score, ev.grade) == (7574.0, 6643.0, None, None)
    indicators = rows(db_url, m.Indicator)
    assert len(indicators) == 16 and sum(i.weight for i in indicators) == 100
    levels = {}
    for i in indicators:
        levels[i.level1] = levels.get(i.level1, 0) + 1
    assert levels == {"产出指标": 6, "效益指标": 3, "满意度指标": 1, "管理指标": 6}
    assert [(i.actual_value, i.actual_unit) for i in indicators if i.name == "预算执行率"] == [(88.0, "%")]
    s = _summary(db_url, 2021, capsys)
    assert s["indicators"]["not_met"] == 1  # 预算执行率 88% < 90%, the only quantitative miss
    assert s["evaluations"]["count"] == 1 and s["evaluations"]["grades"] == {"优": 0, "良": 0, "中": 0, "差": 0}


def test_real_empty_template(tmp_path, capsys):
    path = _real("nkgl_jixiao_mubiao_taizhang_template.xls")
    assert [p.message for p in read_file(path).errors] == [EMPTY_TEMPLATE]
    db = tmp_path / "t.db"
    assert main(["--db", f"sqlite:///{db}", "import", "--year", "2023", str(path)]) == 2
    out = capsys.readouterr()
    assert EMPTY_TEMPLATE in out.out + out.err
