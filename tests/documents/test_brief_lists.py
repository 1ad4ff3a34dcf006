"""Lists a brief cuts keep what matters (issue 24 item 8): the 结果应用 list of 下年预算调整 is sorted by the size of the
change, cuts and increases alike, so a cut list keeps the largest — computed here from SQL, independently."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
from sqlalchemy import select

from dashboard import demo
from dashboard.core import db
from dashboard.core import models as m
from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief_document
from tests.documents.docx_read import rows, table_after


def test_result_application_keeps_the_largest_changes_when_cut(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    db.init_db(url)
    demo.load_demo(url, scale="county", seed=1)
    e, p, d = m.Evaluation, m.Project, m.Department
    with db.get_engine(url).connect() as conn:
        found = conn.execute(select(d.name, e.next_year_budget_change).join(p, p.id == e.project_id)
                             .join(d, d.id == p.department_id)
                             .where(e.year == 2024, e.next_year_budget_change.is_not(None))).all()
    by_dept: dict[str, list[float]] = {}
    for name, change in found:
        by_dept.setdefault(name, []).append(float(change))
    name, changes = max(by_dept.items(), key=lambda kv: (len(kv[1]), kv[0]))
    assert len(changes) > 5, "the demo must give a department more than five changes"
    data = brief_document(url, 2024, name, dt.date(2025, 6, 30), Rules(), Documents(list_rows=5))
    table = table_after(docx.Document(io.BytesIO(data)), "结果应用")
    tables = [t for t in docx.Document(io.BytesIO(data)).tables if t.rows[0].cells[0].text == "评价对象"]
    shown = [float(re.sub(r"[^\d.+-]", "", r[3])) for r in rows(tables[0])]
    expected = sorted(changes, key=lambda x: -abs(x))[:5]
    assert [round(abs(x), 2) for x in shown] == [round(abs(x), 2) for x in expected]
    assert table is not None
