"""Writes the bundled Word template dashboard/assets/brief-template.docx:
`python -m dashboard.documents.template [OUT.docx]`.

GB/T 9704-2012 page: A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 标题 二号 小标宋-style
(方正小标宋简体), 一级标题 三号 黑体, 二级标题 三号 楷体, 正文 三号 仿宋 (仿宋_GB2312) at a fixed 28 pt line;
tables and notes 五号/小四. A letterhead line at the top of page 1 (the bureau replaces its text in Word) and the
page number 「— n —」 at the foot (4号宋体, right on odd pages, left on even ones). Staff restyle the generated file in Word; the documents only use its style names.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from dashboard.documents.docx_kit import BODY, NOTE, SUBTITLE, TABLE_TEXT, TEMPLATE, TITLE, set_font

TITLE_FONT, HEADING_FONT, KAI_FONT, BODY_FONT = "方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312"
LETTERHEAD = "预算绩效管理　部门简报与工作报告"  # replaced by the bureau's own name in Word
PAGE_NUMBER_FONT, PAGE_NUMBER_PT = "宋体", 14  # 4号半角宋体


def _paragraph_style(doc, name: str, font: str, size: float, *, bold=False, align=None, before=0, after=0,
                     line: float | None = None, indent_chars: float = 0):
    styles = doc.styles
    style = styles[name] if name in {s.name for s in styles} else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles["Normal"] if name != "Normal" else None
    set_font(style, font)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    pf = style.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if line:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    if indent_chars:
        pf.first_line_indent = Pt(size * indent_chars)
    return style


def _page_number(paragraph, odd: bool) -> None:
    """「— PAGE —」 as a field Word and LibreOffice fill in, GB/T 9704-2012 7.5: 4号 (14 pt) 半角宋体 digits between
    一字线, right on odd pages and left on even ones, one character in from the text edge."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    pf = paragraph.paragraph_format
    pf.right_indent, pf.left_indent = (Pt(PAGE_NUMBER_PT), None) if odd else (None, Pt(PAGE_NUMBER_PT))
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for tag, attrs in (("w:fldChar", {qn("w:fldCharType"): "begin"}),
                       ("w:instrText", {}),
                       ("w:fldChar", {qn("w:fldCharType"): "end"})):
        el = run._r.makeelement(qn(tag), attrs)
        if tag == "w:instrText":
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        run._r.append(el)
    paragraph.add_run(" —")
    for r in paragraph.runs:
        set_font(r, PAGE_NUMBER_FONT)
        r.font.size = Pt(PAGE_NUMBER_PT)


def build_template() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)

    _paragraph_style(doc, "Normal", BODY_FONT, 16, line=28)
    _paragraph_style(doc, TITLE, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, before=0, after=12, line=36)
    _paragraph_style(doc, SUBTITLE, KAI_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER, after=12, line=28)
    _paragraph_style(doc, BODY, BODY_FONT, 16, line=28, indent_chars=2)
    _paragraph_style(doc, TABLE_TEXT, BODY_FONT, 10.5, line=15)
    _paragraph_style(doc, NOTE, BODY_FONT, 12, line=20)
    h1 = _paragraph_style(doc, "Heading 1", HEADING_FONT, 16, before=6, after=6, line=28, indent_chars=2)
    h2 = _paragraph_style(doc, "Heading 2", KAI_FONT, 16, before=0, after=0, line=28, indent_chars=2)
    for h in (h1, h2):
        h.paragraph_format.keep_with_next = True

    # the letterhead on page 1 only; page numbers on every page, odd and even placed apart (GB/T 9704)
    section.different_first_page_header_footer = True
    doc.settings.odd_and_even_pages_header_footer = True
    header = section.first_page_header.paragraphs[0]
    header.text = LETTERHEAD
    header.style = doc.styles[NOTE]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in header.runs:
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    border = header._p.get_or_add_pPr().makeelement(qn("w:pBdr"), {})
    bottom = border.makeelement(qn("w:bottom"), {qn("w:val"): "single", qn("w:sz"): "12", qn("w:space"): "1",
                                                  qn("w:color"): "C00000"})
    border.append(bottom)
    header._p.get_or_add_pPr().append(border)
    for part, odd in ((section.first_page_footer, True), (section.footer, True), (section.even_page_footer, False)):
        footer = part.paragraphs[0]
        footer.style = doc.styles[NOTE]
        _page_number(footer, odd)
    for part in (section.header, section.even_page_header):
        part.paragraphs[0].style = doc.styles[NOTE]
    return doc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else TEMPLATE
    build_template().save(str(out))
    print(f"模板已写入：{out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
