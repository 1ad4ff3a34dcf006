"""The template workbook: instructions first, one sheet per canonical table in schema order, drop-downs, and
marked example rows that are consistent (they import cleanly once unmarked) but never reach the data."""

from __future__ import annotations

import io

import openpyxl
from import_set import dump

from data_loaders import schema
from data_loaders.importer import import_files
from data_loaders.template import EXAMPLE_COUNTS, INSTRUCTIONS, MARKED_FIELDS, build_template, write_template
from data_loaders.validate import EXAMPLE_MARK


def test_sheets_headers_and_layout(tmp_path):
    path = write_template(tmp_path / "out" / "模板.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS, "部门单位", "项目", "绩效监控", "绩效评价", "问题整改", "绩效指标", "整改满意度测评",
                            "询问台账"]
    text = "\n".join(str(c.value) for row in wb[INSTRUCTIONS].iter_rows() for c in row if c.value)
    assert "万元" in text and "必填" in text and "已销号" in text
    for spec in schema.TABLES.values():
        ws = wb[spec.label]
        header = [c.value for c in ws[1]]
        assert header == [f.label for f in spec.fields]
        assert all(c.font.bold for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert all(ws.column_dimensions[c.column_letter].width >= 10 for c in ws[1])
        # every enumeration and yes/no column has a drop-down list
        lists = {}
        for dv in ws.data_validations.dataValidation:
            for rng in str(dv.sqref).split():
                lists[rng.rstrip("0123456789").split(":")[0].rstrip("0123456789")] = dv.formula1
        for i, f in enumerate(spec.fields):
            letter = openpyxl.utils.get_column_letter(i + 1)
            if f.enum or f.type == schema.BOOL:
                assert letter in lists, (spec.label, f.label)
                expected = f.enum or ("是", "否")
                assert lists[letter].strip('"') == ",".join(expected)
            else:
                assert letter not in lists
        assert ws.max_row == 2  # one example row
        # ... marked in every name cell, and shaded
        example = {f.name: ws.cell(2, i + 1) for i, f in enumerate(spec.fields)}
        marked = [n for n in MARKED_FIELDS if n in example]
        assert marked and all(str(example[n].value).startswith(EXAMPLE_MARK) for n in marked)
        assert all(c.fill.fgColor.rgb.endswith("EDEDED") for c in example.values())


def _unmarked(data: bytes) -> bytes:
    """The template with the example mark removed from every cell: what a user who retypes the rows gets."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, str):
                    c.value = c.value.replace(EXAMPLE_MARK, "")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_unmarked_examples_import_cleanly_and_twice_change_nothing(db_url):
    """The examples describe one consistent project (the issue-9 fix marks them; it does not break them)."""
    data = _unmarked(build_template())
    result = import_files(db_url, [("模板.xlsx", data)])
    assert result.ok and result.problems == [], [str(p) for p in result.problems]
    assert {t: c["inserted"] for t, c in result.counts.items()} == EXAMPLE_COUNTS
    assert [t["kind"] for t in result.files[0]["tables"]] == list(schema.TABLES)
    before = dump(db_url)
    again = import_files(db_url, [("模板.xlsx", data)])
    assert again.ok and all(c["inserted"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert dump(db_url) == before
