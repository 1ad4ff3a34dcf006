"""Typesetting of the documents (issue 24 item 7): GB/T 9704 page numbers (4号宋体, right on odd pages, left on even),
the letterhead on page 1 only, Western text tagged en-US so a number never breaks across lines, table rows that do
not split and headers that stay with their rows, balanced titles, the author and title in the file; and, rendered
through LibreOffice, a brief and the report of the county demo with no number broken across lines and no blank page."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import docx
import pytest
from docx.oxml.ns import qn

from dashboard import demo
from dashboard.core import db
from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief_document, report_document
from dashboard.documents.docx_kit import AUTHOR, Writer, open_template, title_lines, to_bytes

HAS_PDF = all(shutil.which(x) for x in ("soffice", "pdftotext", "pdfinfo"))
TODAY = dt.date(2025, 6, 30)


def test_page_numbers_letterhead_language_and_author():
    doc = open_template(Documents())
    sec = doc.sections[0]
    assert sec.different_first_page_header_footer and doc.settings.odd_and_even_pages_header_footer
    assert sec.first_page_header.paragraphs[0].text.startswith("预算绩效管理")
    assert sec.header.paragraphs[0].text == "" and sec.even_page_header.paragraphs[0].text == ""
    for part, align in ((sec.first_page_footer, 2), (sec.footer, 2), (sec.even_page_footer, 0)):  # RIGHT, LEFT
        p = part.paragraphs[0]
        assert p.alignment == align and "PAGE" in p._p.xml and p.text.startswith("— ") and p.text.endswith(" —")
        assert {r.font.size.pt for r in p.runs} == {14.0}
        assert {r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in p.runs} == {"宋体"}
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert (lang.get(qn("w:val")), lang.get(qn("w:eastAsia"))) == ("en-US", "zh-CN")
    assert doc.core_properties.author == AUTHOR


def test_tables_keep_rows_whole_and_apart_and_titles_balance():
    doc = open_template(Documents())
    w = Writer(doc)
    w.title("青山区农业农村局2024年度预算绩效管理工作情况的报告（征求意见稿）")
    w.table(["项目", "金额"], [["甲", "1"], ["乙", "2"]])
    w.table(["问题", "时限"], [["丙", "2025-01-21"]])
    w.caption("近 3 年趋势。")
    back = docx.Document(__import__("io").BytesIO(to_bytes(doc)))
    body = [c.tag.split("}")[1] for c in back.element.body]
    assert body[:4] == ["p", "tbl", "p", "tbl"]  # a paragraph between the two tables
    for t in back.tables:
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in t.rows)
        assert t.rows[0].cells[0].paragraphs[0].paragraph_format.keep_with_next
    title = back.paragraphs[0]
    assert title.text.replace("\n", "") == "青山区农业农村局2024年度预算绩效管理工作情况的报告（征求意见稿）"
    assert title.text.split("\n") == ["青山区农业农村局2024年度", "预算绩效管理工作情况的报告（征求意见稿）"]
    assert back.core_properties.title.startswith("青山区农业农村局")
    caption = back.paragraphs[-1]
    assert caption.text == "图 1　近 3 年趋势" and caption.alignment == 1
    assert title_lines("一" * 21) == ["一" * 10, "一" * 11] and title_lines("一" * 20) == ["一" * 20]
    # a number is never cut, a line never starts with a closing mark
    assert title_lines("关于青山区卫生健康委员会2022年度预算绩效管理工作情况的报告") == [
        "关于青山区卫生健康委员会2022年度", "预算绩效管理工作情况的报告"]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('typeset') / 'county.db'}"
    db.init_db(url)
    demo.load_demo(url, scale="county", seed=1)
    return url


def _numbers(docx_bytes: bytes) -> set[str]:
    d = docx.Document(__import__("io").BytesIO(docx_bytes))
    texts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
    return {n for t in texts for n in re.findall(r"\d[\d,.\-]*\d%?|\d%", t) if len(n) >= 3}


def _pdf_checks(pdf: bytes, numbers: set[str], tmp_path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"Author:\s+{AUTHOR}", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    layout = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                            check=True).stdout
    broken = sorted(n for n in numbers if n not in layout)
    assert not broken, f"numbers broken across lines in the PDF: {broken[:20]}"
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
        words = re.sub(r"[\s—\d]", "", text)  # the page number alone is a blank page
        assert words, f"page {page} of {pages} is blank"


@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice (soffice) or poppler-utils missing")
def test_a_county_brief_and_the_report_render_without_broken_numbers_or_blank_pages(county, tmp_path):
    rules, docs = Rules(), Documents()
    year = 2024
    brief = brief_document(county, year, "青山区教育局", TODAY, rules, docs)
    _pdf_checks(brief_document(county, year, "青山区教育局", TODAY, rules, docs, fmt="pdf"), _numbers(brief), tmp_path)
    report = report_document(county, year, TODAY, rules, docs)
    _pdf_checks(report_document(county, year, TODAY, rules, docs, fmt="pdf"), _numbers(report), tmp_path)
