"""The brief's QR code of the live 部门画像 (issue 26, item 4): with the app's address known ([documents] public_url,
or the page the brief was downloaded from) the brief's header carries a picture of the code and the address it
encodes — the department by its 编码, the brief's year and fund source; without an address it carries neither."""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn

from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief as B
from dashboard.present import qr
from tests.metrics import test_inquiries as fx

BASE = "https://jxpj.example.gov.cn/jx"


def _doc(url, department, **kw) -> docx.Document:
    return docx.Document(io.BytesIO(B.brief_document(url, 2024, department, fx.TODAY, Rules(), kw.pop("docs", Documents()),
                                                     "docx", **kw)))


def _pictures(d: docx.Document) -> list[bytes]:
    blips = d.element.body.iter(qn("a:blip"))
    return [d.part.related_parts[b.get(qn("r:embed"))].blob for b in blips]


def test_the_brief_carries_a_code_of_its_live_page(sqlite_url):
    ids = fx.build(sqlite_url)
    b = B.Brief(sqlite_url, 2024, ids["D1"], fx.TODAY, Rules(), Documents())
    expected = f"{BASE}/department?dept={b.code}&year=2024" if b.code else f"{BASE}/department?dept={ids['D1']}&year=2024"
    plain = _doc(sqlite_url, ids["D1"])
    linked = _doc(sqlite_url, ids["D1"], link_base=BASE)
    said = [p.text for p in linked.paragraphs if "手机扫码打开本部门的实时页面" in p.text]
    assert said == [f"手机扫码打开本部门的实时页面（需能访问本系统并登录）：{expected}"]
    # exactly one more picture than the brief without an address, and it is the code of that address
    assert len(_pictures(linked)) == len(_pictures(plain)) + 1
    assert qr.qr_png(expected, scale=4) in _pictures(linked)
    assert not [p for p in plain.paragraphs if "手机扫码" in p.text]


def test_the_setting_gives_the_address_and_the_fund_source_travels(sqlite_url):
    ids = fx.build(sqlite_url)
    d = _doc(sqlite_url, ids["D1"], docs=Documents(public_url="https://pj.example.gov.cn/"), fund="一般公共预算")
    text = "\n".join(p.text for p in d.paragraphs)
    assert "https://pj.example.gov.cn/department?dept=" in text
    assert "&year=2024&fund=%E4%B8%80%E8%88%AC%E5%85%AC%E5%85%B1%E9%A2%84%E7%AE%97" in text
