"""The template's example rows never reach the data (issue 9): an untouched template writes nothing and says
so; a filled template with its example rows left in imports exactly the user's rows and warns about each
example row by file, sheet and row, in the importer and on the command line alike."""

from __future__ import annotations

import io

import openpyxl

from dashboard.cli import main
from dashboard.core import models as m
from data_loaders import schema
from data_loaders.importer import import_files, list_batches
from data_loaders.template import EXAMPLE_YEAR, build_template
from data_loaders.validate import TEMPLATE_ONLY

EMPTY = {t.__tablename__: [] for t in m.DATA_TABLES}
SHEETS = [spec.label for spec in schema.TABLES.values()]  # 部门单位, 项目, 绩效监控, 绩效评价, 问题整改, 绩效指标, 整改满意度测评


def filled_template() -> bytes:
    """The template with its example rows left in row 2, and the user's own rows below: two units of one
    new department, three projects of 2024, and (row 6 of 项目) a copy of the example row whose budget was
changed but whose 【示例】 mark was left in."""
    wb = openpyxl.load_workbook(io.BytesIO(build_template()))
    units = wb["部门单位"]
    units.append(["201", "区卫健委", "201001", "区卫健委本级", "行政单位", "卫生"])
    units.append(["201", "区卫健委", "201002", "区人民医院", "事业单位", "卫生"])
    projects = wb["项目"]
    width = projects.max_column
    for code, name, budget in (("W-01", "疫苗接种", 80), ("W-02", "医院设备", 200), ("W-03", "健康宣传", 12)):
        row = {"年度": 2024, "主管部门": "区卫健委", "预算单位": "区卫健委本级", "项目编码": code, "项目名称": name,
               "年初预算": budget, "调整后预算": budget, "是否设定绩效目标": "是"}
        projects.append([row.get(projects.cell(1, c).value) for c in range(1, width + 1)])
    copied = [projects.cell(2, c).value for c in range(1, width + 1)]
    copied[[projects.cell(1, c).value for c in range(1, width + 1)].index("调整后预算")] = 999
    projects.append(copied)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def dump(url: str):
    # tests/data_loaders' helper, imported here: the page tests reuse this module without it on the path
    from import_set import dump as dump_all

    return dump_all(url)


def _example_warnings(result) -> list[tuple]:
    return [(p.file, p.sheet, p.row) for p in result.warnings if "示例行" in p.message]


def test_untouched_template_writes_nothing_and_says_so(db_url):
    result = import_files(db_url, [("模板.xlsx", build_template())])
    assert not result.ok and result.batch_id is None
    assert [(p.file, p.sheet, p.row, p.message.split("（")[0]) for p in result.errors] == \
        [("模板.xlsx", None, None, TEMPLATE_ONLY)]
    assert sorted(_example_warnings(result)) == sorted(("模板.xlsx", s, 2) for s in SHEETS)
    assert dump(db_url) == EMPTY
    assert list_batches(db_url) == []  # no batch either: nothing to undo
    assert "未写入任何数据" in result.summary()


def test_filled_template_skips_the_example_rows_by_name(db_url):
    result = import_files(db_url, [("填好的模板.xlsx", filled_template())])
    assert result.ok, [str(p) for p in result.errors]
    # one warning per example row, naming file, sheet and Excel row 2; every one names 主管部门's cell
    assert sorted(_example_warnings(result)) == sorted([("填好的模板.xlsx", s, 2) for s in SHEETS]
                                                      + [("填好的模板.xlsx", "项目", 6)])
    assert len(result.warnings) == 9  # the eight sheets' example rows and 项目's row 6
    inserted = {t: c["inserted"] for t, c in result.counts.items()}
    assert inserted == {"departments": 1, "units": 2, "projects": 3, "monitoring": 0, "evaluations": 0, "findings": 0,
                        "indicators": 0, "department_wide": 0, "department_tasks": 0, "department_indicators": 0,
                        "finding_extensions": 0, "satisfaction_votes": 0, "inquiries": 0}
    data = dump(db_url)
    department_names = [r[m.Department.__table__.c.keys().index("name")] for r in data["departments"]]
    assert department_names == ["区卫健委"]  # no made-up 区教育局
    years = {r[m.Project.__table__.c.keys().index("year")] for r in data["projects"]}
    assert years == {2024} and EXAMPLE_YEAR not in years  # the example's year never becomes a data year


def test_cli_import_prints_the_example_row_warnings(sqlite_url, tmp_path, capsys):
    path = tmp_path / "填好的模板.xlsx"
    path.write_bytes(filled_template())
    code = main(["--db", sqlite_url, "import", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    lines = [x for x in out.splitlines() if "示例行" in x]
    assert sorted(x.split(": ")[0] for x in lines) == sorted(
        [f"填好的模板.xlsx / {s} / 第2行 / 主管部门（{c}列）" for s, c in zip(SHEETS, "BBCDCCBB")]
        + ["填好的模板.xlsx / 项目 / 第6行 / 主管部门（B列）"])
    assert "项目 新增3" in out


def test_cli_import_of_untouched_template_exits_2_with_the_message(sqlite_url, tmp_path, capsys):
    path = tmp_path / "模板.xlsx"
    path.write_bytes(build_template())
    code = main(["--db", sqlite_url, "import", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and TEMPLATE_ONLY in err
    assert dump(sqlite_url) == EMPTY
