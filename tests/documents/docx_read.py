"""Reading a generated Word document back in the tests: the table under a heading, its rows."""

from __future__ import annotations

import docx
import docx.table
import docx.text.paragraph


def table_after(d: docx.Document, heading_part: str):
    """The first table after the heading containing `heading_part` (None when the section has no table)."""
    seen = False
    for el in d.element.body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = docx.text.paragraph.Paragraph(el, d)
            if p.style.name == "Heading 1":
                if seen:
                    return None
                seen = heading_part in p.text
        elif tag == "tbl" and seen:
            return docx.table.Table(el, d)
    return None


def rows(table) -> list[list[str]]:
    """The body rows of a table as text (the header row left out)."""
    return [[c.text for c in row.cells] for row in table.rows[1:]]
