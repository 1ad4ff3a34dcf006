"""The batch of briefs rendered to PDF (issue 24 item 1): its contents and its index give each department's page,
and that is the page where the department's brief begins (pdftotext, page by page); the briefs come most concern
first; a brief restricted to one 资金来源 says so and carries that fund's figures only."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import docx
import pytest
from sqlalchemy import func, select

from dashboard.core import db
from dashboard.core import models as m
from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief as B
from tests import small_fixture as fx
from tests.documents.docx_read import rows, table_after

HAS_PDF = all(shutil.which(x) for x in ("soffice", "pdftotext"))


@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice (soffice) or pdftotext missing")
def test_batch_contents_and_index_give_the_pages(sqlite_url, tmp_path):
    fx.build(sqlite_url)
    pdf = B.brief_batch(sqlite_url, 2022, fx.TODAY, Rules(), Documents(), fmt="pdf")
    path = tmp_path / "batch.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    compact = [re.sub(r"\s+", "", p) for p in pages]
    lines: list[str] = []                       # contents lines, a wrapped one joined to its start
    for line in (pages[0] + pages[1]).splitlines():
        line = line.strip()
        if re.match(r"^\d+\. ", line):
            lines.append(line)
        elif lines and line and not line.startswith(("判断日期", "—")) and not lines[-1].rstrip(".").endswith(tuple("0123456789")):
            lines[-1] += line
    contents = [re.match(r"^\d+\. (.+?)（规则 (\d+) 项，红灯 (\d+)，差 (\d+)，逾期 (\d+)）[. ]*(\d+)$", x).groups()
                for x in lines]
    assert len(contents) == 3
    keys = [tuple(int(x) for x in c[1:5]) for c in contents]
    assert keys == sorted(keys, reverse=True)                     # most concern first
    for name, *_, page in contents:
        starts = [i + 1 for i, p in enumerate(compact) if f"{name}2022年度预算绩效情况简报" in p]
        assert starts and int(page) == starts[0], (name, page, starts)
        # the index (last page) gives the same page
        index = (pages[-1] if pages[-1].strip() else pages[-2]).splitlines()
        assert any(re.match(r"^\S+\s+" + re.escape(name) + r"[. ]*" + page + "$", x.strip()) for x in index), name
    assert "部门索引（按部门编码）" in (compact[-1] or compact[-2])


def test_brief_for_one_fund_source(sqlite_url):
    ids = fx.build(sqlite_url)
    P = m.Project
    with db.get_engine(sqlite_url).connect() as conn:
        funds = conn.execute(select(P.fund_source, func.count(), func.sum(func.coalesce(P.adjusted_budget,
                                                                                         P.initial_budget)))
                             .where(P.year == 2022, P.department_id == ids["D1"]).group_by(P.fund_source)).all()
    fund, n, money = next((f, k, b) for f, k, b in funds if f)
    d = docx.Document(io.BytesIO(B.brief_document(sqlite_url, 2022, ids["D1"], fx.TODAY, Rules(), Documents(),
                                                  fund=fund)))
    text = "\n".join(p.text for p in d.paragraphs)
    assert f"仅含“{fund}”资金" in text and f"范围：资金来源为“{fund}”的项目" in text
    head = {re.sub(r"〔\d+〕", "", r[0]): r[1] for r in rows(table_after(d, "主要指标"))}
    assert head["项目数（个）"] == str(n) and head["预算（万元）"] == f"{money:,.2f}"


def test_peers_are_of_the_same_kind(sqlite_url):
    """青山镇 (乡镇街道, budget 200) lies within half to twice 教育局's budget (350) but is not a 部门: 教育局 is compared
    with 卫健委 only, and the brief says 同为部门; the town has no peer of its kind."""
    ids = fx.build(sqlite_url)
    with db.get_engine(sqlite_url).connect() as conn:
        kinds = dict(conn.execute(select(m.Department.name, m.Department.kind)).all())
    b = B.Brief(sqlite_url, 2022, ids["D1"], fx.TODAY, Rules(), Documents())
    assert b.peers["peers"] == [n for n, k in kinds.items() if k == "部门" and n != "青山区教育局"] == ["青山区卫生健康委员会"]
    assert b.peers["kind_rank"]["of"] == 2
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(B.brief_document(
        sqlite_url, 2022, ids["D1"], fx.TODAY, Rules(), Documents()))).paragraphs)
    assert "同为部门" in text and "个同类部门中排第" in text
    town = B.Brief(sqlite_url, 2022, ids["D3"], fx.TODAY, Rules(), Documents())
    assert town.peers["peers"] == [] and town.peers["kind"] == "乡镇街道"
