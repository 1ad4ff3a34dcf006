"""导入版式 (data_loaders.mapping): suggestions, the checks of a user's choices, the 版式 file, applying a 版式 to a
sheet (only on an exact header), and `import --layout FILE` on the command line."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from sqlalchemy import select

from dashboard.cli import main
from dashboard.core import db
from dashboard.core.models import Project
from data_loaders import mapping as M
from data_loaders.reader import read_file

HEADER = ["序", "归口科室", "承办单位", "支出事项", "今年安排", "花掉的钱"]
LAYOUT = M.build("区专项资金台账", "projects", [("序", None), ("归口科室", "department"), ("承办单位", "unit"),
                                          ("支出事项", "project_name"), ("今年安排", "adjusted_budget"), ("花掉的钱", None)])


def workbook(header=HEADER, rows=(), title_rows=(("2024年专项资金明细",),)) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    for t in title_rows:
        ws.append(list(t))
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ROWS = [(1, "教育局", "一中", "校舍维修", 120.5, 60), (2, "教育局", "二中", "食堂改造", "80", 80)]


def test_an_unrecognised_sheet_leaves_a_bounded_sample_and_the_suggestion_finds_the_header():
    result = read_file(workbook(rows=ROWS), "台账.xlsx", year=2024)
    assert not result.tables and result.errors  # still refused without a 版式
    rows = result.unrecognised["台账"]
    assert rows[1] == HEADER and rows[2][3] == "校舍维修" and len(rows) == 4
    s = M.suggest(rows)
    assert s.header_row == 1
    assert [f for _h, f, _s in s.columns] == [None, None, "unit", None, None, None]
    assert s.columns[3][2] == ("校舍维修", "食堂改造")
    wide = read_file(workbook(header=[f"列{i}" for i in range(100)], rows=[["x" * 500] * 100]), "宽.xlsx")
    sample = wide.unrecognised["台账"]
    assert len(sample[0]) == M.SAMPLE_COLUMNS and max(len(t) for r in sample for t in r) == M.SAMPLE_TEXT


def test_a_layout_reads_the_sheet_as_mapped_and_only_an_exact_header_matches():
    result = read_file(workbook(rows=ROWS), "台账.xlsx", year=2024, layouts=(LAYOUT,))
    assert not result.errors, result.problems
    (t,) = result.tables
    assert t.kind == "projects" and t.meta["saved_layout"] == "区专项资金台账"
    assert t.frame["adjusted_budget"].tolist() == [120.5, 80.0]
    assert t.frame["project_name"].tolist() == ["校舍维修", "食堂改造"]
    assert t.frame["year"].tolist() == [2024, 2024]
    # the unit note of the title rows still applies (元 → 万元)
    yuan = read_file(workbook(rows=ROWS, title_rows=[("专项资金明细",), ("单位：元",)]), "元.xlsx", year=2024,
                     layouts=(LAYOUT,))
    assert yuan.tables[0].frame["adjusted_budget"].tolist() == [0.01205, 0.008]
    # one header more, one less, or renamed: not this 版式
    for header in (HEADER + ["备注2"], HEADER[:-1], ["序", "归口科室", "承办单位", "支出事项", "明年安排", "花掉的钱"]):
        other = read_file(workbook(header=header, rows=[r[:len(header)] for r in ROWS]), "x.xlsx", year=2024,
                          layouts=(LAYOUT,))
        assert not other.tables, header
    # spacing, full-width brackets and line breaks are compared as headers are
    spaced = read_file(workbook(header=["序", "归口 科室", "承办单位", "支出\n事项", "今年安排", "花掉的钱"], rows=ROWS),
                       "y.xlsx", year=2024, layouts=(LAYOUT,))
    assert len(spaced.tables) == 1


def test_a_csv_file_is_mapped_by_its_name():
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows(ROWS)
    data = buf.getvalue().encode("utf-8")
    result = read_file(data, "台账.csv", year=2024)
    assert list(result.unrecognised) == ["台账.csv"]
    mapped = read_file(data, "台账.csv", year=2024, layouts=(LAYOUT,))
    assert mapped.tables[0].frame["adjusted_budget"].sum() == 200.5


@pytest.mark.parametrize("columns, message", [
    ([("a", "project_name")], "至少为两列"),
    ([("a", "project_name"), ("b", "project_name"), ("c", "unit")], "被选了两次"),
    ([("a", "project_name"), ("b", "score"), ("c", "unit")], "不是项目表的字段"),
    ([("", "project_name"), ("b", "unit")], "没有表头文字"),
    ([("a", "project_name"), ("b", "unit"), ("A", None)], "重名"),
])
def test_choices_that_cannot_make_a_layout_are_refused_in_one_sentence(columns, message):
    with pytest.raises(M.LayoutError, match=message):
        M.build("x", "projects", columns)


def test_a_table_s_required_columns_must_be_mapped():
    with pytest.raises(M.LayoutError, match="部门单位表必须有这些列：单位名称"):
        M.build("x", "units", [("a", "unit_kind"), ("b", "sector")])


def test_the_layout_file_round_trips_and_hostile_files_are_refused():
    again = M.from_json(M.to_json(LAYOUT))
    assert again == LAYOUT
    doc = json.loads(M.to_json(LAYOUT))
    for bad, message in (
        (b"\x00" * (M.MAX_FILE_BYTES + 1), "不是导入版式文件"),
        (b"{not json", "无法读取"),
        (json.dumps({**doc, "format": "x"}).encode(), "缺少"),
        (json.dumps({**doc, "version": 9}).encode(), "不受支持"),
        (json.dumps({**doc, "columns": "abc"}).encode(), "列的列表"),
        (json.dumps({**doc, "columns": [{"header": 1, "field": "unit"}]}).encode(), "文字 header"),
        (json.dumps({**doc, "kind": "users"}).encode(), "哪一种表"),
        (json.dumps({**doc, "name": ""}).encode(), "起个名字"),
    ):
        with pytest.raises(M.LayoutError, match=message):
            M.from_json(bad, "版式文件 a.json")


def test_import_layout_file_on_the_command_line(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    data = tmp_path / "台账.xlsx"
    data.write_bytes(workbook(rows=ROWS))
    assert main(["--db", url, "import", str(data), "--year", "2024"]) == 2  # not recognised without it
    layout = tmp_path / "版式.json"
    layout.write_text(M.to_json(LAYOUT), encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", url, "import", str(data), "--year", "2024", "--layout", str(layout)]) == 0
    with db.get_engine(url).connect() as conn:
        got = conn.execute(select(Project.name, Project.adjusted_budget).order_by(Project.name)).all()
    assert [tuple(r) for r in got] == [("校舍维修", 120.5), ("食堂改造", 80.0)]
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", url, "import", str(data), "--layout", str(bad)]) == 2
    assert "不是导入版式文件" in capsys.readouterr().err
