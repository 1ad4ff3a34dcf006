"""The 部门简报's 人大询问与答复 section and its unanswered_inquiry question (issue 26), on the hand-built 询问台账 fixture
of tests/metrics/test_inquiries.py (figures worked out in its docstring), judged on its TODAY."""

from __future__ import annotations

import io

import docx

from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief as B
from tests.documents.docx_read import rows, table_after
from tests.metrics import test_inquiries as fx


def _brief(url, department) -> docx.Document:
    return docx.Document(io.BytesIO(B.brief_document(url, 2024, department, fx.TODAY, Rules(), Documents(), "docx")))


def _section(d: docx.Document, title: str) -> list[str]:
    out, inside = [], False
    for p in d.paragraphs:
        if p.style.name == "Heading 1":
            inside = title in p.text
        elif inside and p.text:
            out.append(p.text)
    return out


def test_the_section_counts_and_names_the_overdue_questions(sqlite_url):
    ids = fx.build(sqlite_url)
    d = _brief(sqlite_url, ids["D1"])
    text = _section(d, "人大询问与答复")
    assert text[0] == ("本年人大代表和委员会向本部门提出询问 4 个，已答复 2 个，答复率 50.0%；逾期未答复 1 个，逾期答复 1 个，"
                       "尚未到期 1 个（按 2024-11-30 判断，答复期限当天不算逾期）；询问人测评 2 个：满意 1 个、基本满意 0 个、"
                       "不满意 1 个（满意率 50.0%）。")
    assert rows(table_after(d, "人大询问与答复")) == [
        ["教科文卫工委", "教师培训经费结余较多的原因？", "2024-10-10", "2024-11-10", "逾期未答复", "20 天"],
        ["李代表", "营养餐资金如何监管？", "2024-09-05", "2024-10-05", "逾期答复", "10 天"]]
    asked = [q for q in B.Brief(sqlite_url, 2024, ids["D1"], fx.TODAY, Rules(), Documents()).questions
             if q.rule == "unanswered_inquiry"]
    assert [q.figures["inquiry_ids"] for q in asked] == [[ids["Q3"]]]
    assert any("“教师培训经费结余较多的原因？”已过答复期限仍未答复" in t for t in _section(d, "建议关注的问题"))


def test_a_department_without_overdue_or_questions(sqlite_url):
    ids = fx.build(sqlite_url)
    d2 = _section(_brief(sqlite_url, ids["D2"]), "人大询问与答复")
    assert d2[0].startswith("本年人大代表和委员会向本部门提出询问 2 个，已答复 1 个，答复率 50.0%；逾期未答复 0 个")
    assert d2[1] == "没有逾期的询问。"
    assert _section(_brief(sqlite_url, ids["D3"]), "人大询问与答复") == ["本年询问台账中没有向本部门提出的询问。"]
