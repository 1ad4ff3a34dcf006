"""The Word side of the documents: the template (dashboard/assets/brief-template.docx), its fonts, and a small
writer (headings, paragraphs, tables that are complete or say they are cut, pictures, notes).

The template carries the page (A4, GB/T 9704 margins 37/35/28/26 mm), the letterhead and page numbers, and the
styles 标题 (小标宋-style title), 副标题, 正文 (仿宋-style body), 表格文字, 注释 and Word's Heading 1/2 (黑体, 楷体).
The bureau restyles it in Word without code; `[documents]` in dashboard.toml may name another template and
override its fonts. A font this machine lacks is replaced by the Noto CJK fallback where the document is
rendered here (the PDF), never in the .docx handed out (the recipient's Word has the official fonts).
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK, WD_COLOR_INDEX, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from dashboard.core.settings import Documents

ASSETS = Path(__file__).resolve().parents[1] / "assets"
TEMPLATE = ASSETS / "brief-template.docx"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"

TITLE, SUBTITLE, BODY, TABLE_TEXT, NOTE = "标题", "副标题", "正文", "表格文字", "注释"
HEADINGS = {1: "Heading 1", 2: "Heading 2"}
# which configured font each style takes: title_font, heading_font or body_font
STYLE_FONTS = {TITLE: "title_font", SUBTITLE: "body_font", BODY: "body_font", TABLE_TEXT: "body_font",
               NOTE: "body_font", "Heading 1": "heading_font", "Heading 2": "body_font", "Normal": "body_font"}
SANS_STYLES = {"Heading 1"}  # styles whose fallback is the sans face (黑体-like)
EDIT_MARK = "【待编辑】"
AUTHOR = "预算绩效监督驾驶舱"  # the documents' author (the PDF's too), never the library's name
TITLE_CHARS_PER_LINE = 20  # 二号 (22 pt) characters on the 156 mm GB/T 9704 text line


class DocumentError(RuntimeError):
    """A document cannot be made; the message (Chinese) says what to install or correct."""


def set_font(rpr_owner, name: str) -> None:
    """Give a style or run one font for Latin and East Asian text (Word reads w:eastAsia for 汉字)."""
    rpr = rpr_owner.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def style_font(style) -> str | None:
    fonts = style.element.rPr.find(qn("w:rFonts")) if style.element.rPr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


@functools.lru_cache(maxsize=1)
def installed_fonts() -> frozenset[str]:
    """Font family names fontconfig knows on this machine (empty when fc-list is missing)."""
    if not shutil.which("fc-list"):
        return frozenset()
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=20,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def open_template(docs: Documents) -> Document:
    """The template with its body emptied (page setup, header and footer kept) and the configured fonts."""
    path = Path(docs.template) if docs.template else TEMPLATE
    if not path.is_file():
        raise DocumentError(f"找不到文档模板 {path}：请检查 dashboard.toml 的 [documents] template。")
    try:
        doc = Document(str(path))
    except Exception as exc:
        raise DocumentError(f"文档模板 {path} 不是有效的 Word（.docx）文件：{exc}") from exc
    names = {s.name for s in doc.styles}
    missing = [s for s in (TITLE, SUBTITLE, BODY, TABLE_TEXT, NOTE, *HEADINGS.values()) if s not in names]
    if missing:
        raise DocumentError(f"文档模板 {path} 缺少样式：{'、'.join(missing)}（可用 python -m "
                            "dashboard.documents.template 重新生成默认模板后再修改）。")
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    for style_name, key in STYLE_FONTS.items():
        if getattr(docs, key) and style_name in names:
            set_font(doc.styles[style_name], getattr(docs, key))
    _chinese_language(doc)
    props = doc.core_properties
    props.author, props.last_modified_by, props.title, props.comments = AUTHOR, AUTHOR, "", ""
    return doc


def _chinese_language(doc: Document) -> None:
    """Mark the text 简体中文 (w:lang eastAsia zh-CN) in the document defaults: LibreOffice then draws the
    simplified-Chinese forms of a pan-CJK font (Noto CJK), not the Japanese ones."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        return
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = defaults.makeelement(qn("w:rPrDefault"), {})
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = rpr_default.makeelement(qn("w:rPr"), {})
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    # Western text (digits, %, Latin) tagged en-US: tagged zh-CN, LibreOffice breaks a line inside a number
    # (上年第 1|9 名, 97.0|%); East Asian text zh-CN for the simplified forms
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def fallback_fonts(doc: Document, docs: Documents, installed: frozenset[str] | None = None) -> list[str]:
    """Replace every style font this machine lacks by the Noto CJK fallback (before rendering here).
    Returns the fonts replaced."""
    installed = installed_fonts() if installed is None else installed
    if not installed:
        return []
    replaced = []
    for style in doc.styles:
        try:
            name = style_font(style)
        except AttributeError:  # numbering styles have no run properties
            continue
        if name and name not in installed:
            set_font(style, docs.fallback_sans if style.name in SANS_STYLES else docs.fallback_serif)
            if style.name == TITLE:
                style.font.bold = True  # Noto Serif regular is far lighter than a 小标宋 face
            replaced.append(name)
    return sorted(set(replaced))


def chart_font(docs: Documents) -> str:
    """The family charts draw with: the configured heading font where installed, else the sans fallback."""
    if docs.heading_font and docs.heading_font in installed_fonts():
        return docs.heading_font
    return docs.fallback_sans


def to_bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value) -> str:
    """Data text as plain text for a Word run: control characters (invalid in XML) dropped, None as a dash."""
    if value is None:
        return "—"
    return _CONTROL.sub("", str(value))


class Writer:
    """Appends content to a template document in its styles; collects numbered notes for the end."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.notes: list[str] = []
        self.figures = 0  # figures captioned so far
        # style ids by name, looked up once: python-docx's own lookup scans every style per paragraph
        self._ids = {s.name: s.style_id for s in doc.styles}

    def _p(self, style: str, text: str | None = None):
        """A new body paragraph in `style` with optional text."""
        p = self.doc.add_paragraph()
        p._p.style = self._ids[style]
        if text is not None:
            p.add_run(clean(text))
        return p

    def _styled(self, paragraph, style: str):
        paragraph._p.style = self._ids[style]
        return paragraph

    def title(self, text: str, subtitle: str | None = None):
        """The document's title, broken into lines of balanced length (never a lone 报 on the last line); the first
        title is the file's title too."""
        p = self._p(TITLE)
        for i, line in enumerate(title_lines(clean(text))):
            if i:
                p.add_run().add_break()
            p.add_run(line)
        if not self.doc.core_properties.title:
            self.doc.core_properties.title = clean(text)[:200]
        if subtitle:
            self._p(SUBTITLE, subtitle)
        return p

    def bookmark(self, paragraph, name: str) -> None:
        """Mark `paragraph` as the bookmark `name` (a PAGEREF field elsewhere prints its page)."""
        self._bookmarks = getattr(self, "_bookmarks", 0) + 1
        bid = str(1000 + self._bookmarks)
        start = paragraph._p.makeelement(qn("w:bookmarkStart"), {qn("w:id"): bid, qn("w:name"): name})
        end = paragraph._p.makeelement(qn("w:bookmarkEnd"), {qn("w:id"): bid})
        ppr = paragraph._p.pPr
        paragraph._p.insert(1 if ppr is not None else 0, start)
        paragraph._p.append(end)

    def page_line(self, text: str, bookmark: str, style: str = BODY, width_mm: float = 156):
        """A contents or index line: the text, a dotted leader to the right margin, and the page of `bookmark`
        (a PAGEREF field, computed by Word when the fields update and by LibreOffice when it renders the PDF)."""
        p = self._p(style)
        p.paragraph_format.first_line_indent = Mm(0)
        p.paragraph_format.tab_stops.add_tab_stop(Mm(width_mm), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        p.add_run(clean(text) + "\t")
        field_run(p, f" PAGEREF {bookmark} \\h ", "")
        return p

    def caption(self, text: str):
        """A figure's caption, numbered in order (图 1, 图 2 … of this document): centred, without a closing full
        stop (GB/T 9704 practice)."""
        self.figures += 1
        p = self._p(NOTE, f"图 {self.figures}　" + clean(text).rstrip("。．. "))
        p.alignment = 1  # centre
        p.paragraph_format.keep_together = True
        return p

    def heading(self, text: str, level: int = 1) -> None:
        self._p(HEADINGS[level], text)

    def para(self, text: str, style: str = BODY, edit: bool = False):
        """A paragraph; `edit` marks it 【待编辑】 and highlights it for staff to rewrite."""
        p = self._p(style)
        if edit:
            mark = p.add_run(EDIT_MARK)
            mark.bold = True
            mark.font.highlight_color = WD_COLOR_INDEX.YELLOW
        p.add_run(clean(text))
        return p

    def note(self, text: str) -> str:
        """Register a note; returns its marker 〔n〕 to put after the figure it defines."""
        if text in self.notes:
            return f"〔{self.notes.index(text) + 1}〕"
        self.notes.append(text)
        return f"〔{len(self.notes)}〕"

    def write_notes(self, heading: str = "注释") -> None:
        if not self.notes:
            return
        self.heading(heading)
        for i, text in enumerate(self.notes, 1):
            self.para(f"〔{i}〕{text}", style=NOTE)

    def cut_note(self, total: int, shown: int, what: str = "项") -> None:
        """The line every list carries: complete, or cut with how many there are."""
        if total > shown:
            self.para(f"共 {total:,} {what}，此处列出前 {shown:,} {what}（完整清单见系统对应页面或其 Excel 下载）。",
                      style=NOTE)
        else:
            self.para(f"共 {total:,} {what}，已全部列出。", style=NOTE)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence], widths_mm: Sequence[float] | None = None):
        """A table whose header row repeats on every page and stays with the first row, whose rows never split
        across pages; a table right after another gets a paragraph between (else Word joins them)."""
        body = self.doc.element.body
        last = body[-2] if len(body) > 1 and body[-1].tag == qn("w:sectPr") else (body[-1] if len(body) else None)
        if last is not None and last.tag == qn("w:tbl"):
            self._p(NOTE)
        t = self.doc.add_table(rows=1, cols=len(headers))
        if "Table Grid" in self._ids:
            t._tbl.tblPr.style = self._ids["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, h in zip(t.rows[0].cells, headers):
            run = self._styled(cell.paragraphs[0], TABLE_TEXT).add_run(clean(h))
            run.bold = True
        _repeat_header(t.rows[0])
        for cell in t.rows[0].cells:
            cell.paragraphs[0].paragraph_format.keep_with_next = True  # never a header alone at a page foot
        _cant_split(t.rows[0])
        for row in rows:
            added = t.add_row()
            _cant_split(added)
            for cell, value in zip(added.cells, row):
                self._styled(cell.paragraphs[0], TABLE_TEXT).add_run(clean(value))
        if widths_mm:
            _widths(t, widths_mm)
        return t

    def picture(self, png: bytes, width_mm: float = 150) -> None:
        p = _single(self._p(TABLE_TEXT))
        p.alignment = 1  # centre
        p.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))

    def pictures(self, pngs: Sequence[bytes], width_mm: float = 75) -> None:
        """Pictures side by side in a borderless one-row table."""
        t = self.doc.add_table(rows=1, cols=len(pngs))
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        _widths(t, [width_mm + 2] * len(pngs))
        for cell, png in zip(t.rows[0].cells, pngs):
            p = _single(self._styled(cell.paragraphs[0], TABLE_TEXT))
            p.alignment = 1
            p.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))

    def page_break(self) -> None:
        self._p(BODY).add_run().add_break(WD_BREAK.PAGE)


def field_run(paragraph, instruction: str, placeholder: str) -> None:
    """A complex field (fldChar begin / instrText / separate / result / end) at the end of `paragraph`."""
    def char(kind):
        r = paragraph.add_run()
        fc = r._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        if kind == "begin":
            fc.set(qn("w:dirty"), "true")
        r._r.append(fc)
    char("begin")
    r = paragraph.add_run()
    it = r._r.makeelement(qn("w:instrText"), {})
    it.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    it.text = instruction
    r._r.append(it)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def update_fields_on_open(doc: Document) -> None:
    """Ask Word to update the fields (contents page numbers) when the file is opened."""
    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        el = settings.makeelement(qn("w:updateFields"), {qn("w:val"): "true"})
        settings.append(el)


def _single(p):
    """Single line spacing: a picture in a paragraph of exact spacing is cut to that one line's height."""
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    return p


def _widths(t, widths_mm: Sequence[float]) -> None:
    """Fixed column widths Word and LibreOffice both honour: the grid, and each cell."""
    t.autofit = False
    for col, w in zip(t._tbl.tblGrid.gridCol_lst, widths_mm):
        col.w = Mm(w)
    for row in t.rows:
        for cell, w in zip(row.cells, widths_mm):
            cell.width = Mm(w)


def title_lines(text: str, per_line: float = TITLE_CHARS_PER_LINE) -> list[str]:
    """A title in as few lines as fit, of balanced width (a line never ends in a lone 报, a number is never cut:
    34 characters → 17 + 17, not 20 + 14). Digits and Latin letters count 0.6 of a character; a line breaks only
    between two characters that are not both digits or letters, never before closing or after opening marks.
    Digits count 0.6: the bold serif face draws them wider than half a 汉字 (measured: 18 汉字 and 2024 wrap)."""
    widths = [0.6 if ord(ch) < 128 else 1.0 for ch in text]
    total = sum(widths)
    if total <= per_line:
        return [text]
    lines = -int(-total // per_line)
    lines_out, start, done = [], 0, 0.0
    for k in range(1, lines):
        target = total * k / lines
        # (preferred, gap): a break at a word seam (before the year, after 年度 or 的) unless it is badly unbalanced
        best, best_key = None, None
        acc = done
        for i in range(start + 1, len(text)):
            acc += widths[i - 1]
            if acc - done > per_line:
                break
            if not _may_break(text, i):
                continue
            gap = abs(acc - target)
            key = (not (_seam(text, i) and gap <= per_line / 3), gap)
            if best_key is None or key < best_key:
                best, best_key = i, key
        if best is None:
            break
        lines_out.append(text[start:best])
        done += sum(widths[start:best])
        start = best
    lines_out.append(text[start:])
    return lines_out


def _seam(text: str, i: int) -> bool:
    """A natural place to break a title: before a year (2024年度…), after 年度, after 的 or 关于…的."""
    return (text[i].isdigit() and not text[i - 1].isdigit()) or text[i - 2:i] == "年度" or text[i - 1] == "的"


def _may_break(text: str, i: int) -> bool:
    before, after = text[i - 1], text[i]
    if before.isascii() and before.isalnum() and (after.isascii() and after.isalnum() or after in "年月日号%"):
        return False  # 2022 and 2022年 stay whole
    return after not in "）)，。、；：！？》”’" and before not in "（(《“‘"


def _cant_split(row) -> None:
    """A table row kept on one page."""
    trpr = row._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:cantSplit"), {qn("w:val"): "true"}))


def _repeat_header(row) -> None:
    """Repeat a table's header row on every page it spans."""
    trpr = row._tr.get_or_add_trPr()
    el = trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    trpr.append(el)


def pt(size: float) -> Pt:
    return Pt(size)
