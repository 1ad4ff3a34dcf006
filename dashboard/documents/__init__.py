"""Documents people take into the room, built from the same metric functions the pages and `summary --json` use:
the 部门简报 (hearing brief, .docx / .pdf, `brief`) and the 年度工作情况报告 draft (.docx, `report`).

    docx_kit   the Word template (styles 标题/正文, GB/T 9704 margins), fonts, tables, footnotes
    charts     matplotlib PNGs with the Noto CJK font (no browser)
    pdf        .docx → .pdf through LibreOffice headless
    brief      the brief's sections (SECTIONS: add one there) and the batch of briefs
    report     the annual report 一…六
"""

from dashboard.documents.brief import attention_departments, brief_batch, brief_document
from dashboard.documents.docx_kit import DocumentError
from dashboard.documents.pdf import docx_to_pdf
from dashboard.documents.report import report_document

__all__ = ["DocumentError", "attention_departments", "brief_batch", "brief_document", "docx_to_pdf",
           "report_document"]
