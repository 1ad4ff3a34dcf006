"""Issue 26 询问台账 import: a CSV and an xlsx with synonym headers (问题, 代表, 回复, 办理期限, 测评结果) read as the
询问台账, linked to departments, units and known projects; a re-import with the answers filled in updates the same
questions; undo restores; a bad 满意度 is refused naming file, sheet, row and column in Chinese; the units table's
联系人 / 联系电话; and the page entry (dashboard.core.writes.record_inquiry / answer_inquiry): permission, audit,
undo."""

import datetime as dt
import io

import openpyxl
import pytest

from dashboard.core import audit
from dashboard.core import models as m
from dashboard.core.accounts import Actor, Forbidden
from dashboard.core.models import inquiry_key
from dashboard.core.writes import EntryRefused, answer_inquiry, record_inquiry
from data_loaders.batches import UndoRefused, undo_batch
from data_loaders.headers import kind_from_fields
from data_loaders.importer import import_files
from tests.data_loaders.import_set import rows

STAFF, LEADER = Actor("王科员", "staff"), Actor("李局长", "leader")
PROJECTS = ("项目.csv", ("年度,主管部门,预算单位,项目编码,项目名称,调整后预算\n"
                         "2024,区教育局,区第一中学,P001,校舍维修,100\n").encode())
# synonyms: 代表 → 询问人, 问题 → 询问内容, 提问日期 → 询问日期, 办理期限 → 答复期限, 回复 → 答复内容, 测评结果 → 满意度
HEAD = "年度,主管部门,预算单位,项目编码,代表,问题,提问日期,办理期限,回复,回复日期,测评结果\n"
ASKED = ("2024,区教育局,区第一中学,P001,张代表,校舍维修为什么进度慢?,2024-09-01,2024-09-30,,,",
         "2024,区教育局,,,教科文卫工委,  学生营养餐  资金  如何监管？ ,2024-09-05,2024-10-05,,,",
         "2024,区卫健委,,P999,李代表,村医补助何时发放?,2024-09-10,,已于9月底发放,2024-09-28,满意")


def csv(*lines: str, name: str = "询问.csv") -> tuple[str, bytes]:
    return (name, (HEAD + "\n".join(lines) + "\n").encode())


def inquiries(url) -> dict:
    return {q.question: q for q in rows(url, m.Inquiry)}


def test_a_csv_ledger_with_synonym_headers_imports_links_and_undoes(db_url):
    assert import_files(db_url, [PROJECTS], actor=STAFF).ok
    r = import_files(db_url, [csv(*ASKED)], actor=STAFF)
    assert r.ok, [str(p) for p in r.errors]
    assert [t["kind"] for f in r.files for t in f["tables"]] == ["inquiries"]
    assert r.counts["inquiries"]["inserted"] == 3
    got = inquiries(db_url)
    depts = {d.name: d.id for d in rows(db_url, m.Department)}
    units = {u.name: u.id for u in rows(db_url, m.Unit)}
    project = rows(db_url, m.Project)[0]
    a = got["校舍维修为什么进度慢?"]
    assert (a.year, a.department_id, a.unit_id, a.project_id) == (2024, depts["区教育局"], units["区第一中学"], project.id)
    assert (a.asker, a.asked_on, a.due_on, a.answer, a.answered_on, a.rating) == \
        ("张代表", dt.date(2024, 9, 1), dt.date(2024, 9, 30), None, None, None)
    assert a.inquiry_key == inquiry_key("张代表", dt.date(2024, 9, 1), "校舍维修为什么进度慢?")
    b = got["学生营养餐 资金 如何监管?"]  # trimmed, inner spaces collapsed
    assert b.unit_id is None and b.department_id == depts["区教育局"]
    c = got["村医补助何时发放?"]
    # P999 is no project of the year: the question stays the department's, with a warning naming the row
    assert c.project_id is None and c.rating == "满意" and c.answered_on == dt.date(2024, 9, 28)
    assert any(p.row == 4 and "不关联项目" in p.message for p in r.warnings)

    # the same ledger with the answers filled in: the same questions updated, none added
    answered = list(ASKED)
    answered[0] = ("2024,区教育局,区第一中学,P001,张代表,校舍维修为什么进度慢?,2024-09-01,2024-09-30,"
                   "工程已完工待验收,2024-10-12,基本满意")
    again = import_files(db_url, [csv(*answered)], actor=STAFF)
    assert again.ok, [str(p) for p in again.errors]
    assert again.counts["inquiries"] == {"inserted": 0, "updated": 1, "unchanged": 2}
    a = inquiries(db_url)["校舍维修为什么进度慢?"]
    assert (a.answer, a.answered_on, a.rating) == ("工程已完工待验收", dt.date(2024, 10, 12), "基本满意")

    undo_batch(db_url, again.batch_id, actor=STAFF)
    a = inquiries(db_url)["校舍维修为什么进度慢?"]
    assert (a.answer, a.answered_on, a.rating) == (None, None, None)
    undo_batch(db_url, r.batch_id, actor=STAFF)
    assert rows(db_url, m.Inquiry) == []


def _xlsx(header: list, data: list[list], sheet: str = "询问台账") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for line in data:
        ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_xlsx_ledger_with_a_bad_rating_is_refused_naming_row_and_column(db_url):
    header = ["年度", "主管部门", "提问人", "询问事项", "询问日期", "答复期限", "答复情况", "答复日期", "评价"]
    data = [[2024, "区教育局", "张代表", "问题一", dt.datetime(2024, 9, 1), dt.datetime(2024, 9, 30), "已答复",
             dt.datetime(2024, 9, 20), "满意"],
            [2024, "区教育局", "李代表", "问题二", dt.datetime(2024, 9, 2), None, "已答复", dt.datetime(2024, 9, 21),
             "很好"]]
    r = import_files(db_url, [("询问.xlsx", _xlsx(header, data))], actor=STAFF)
    assert not r.ok
    [bad] = r.errors
    assert (bad.file, bad.sheet, bad.row) == ("询问.xlsx", "询问台账", 3)
    assert bad.column.startswith("评价") and "I列" in bad.column
    assert "不是可接受的满意度" in bad.message and "满意、基本满意、不满意" in bad.message
    assert rows(db_url, m.Inquiry) == []  # nothing written
    data[1][-1] = "基本满意"
    ok = import_files(db_url, [("询问.xlsx", _xlsx(header, data))], actor=STAFF)
    assert ok.ok, [str(p) for p in ok.errors]
    assert sorted(q.rating for q in rows(db_url, m.Inquiry)) == ["基本满意", "满意"]


def test_a_question_without_text_is_refused(db_url):
    r = import_files(db_url, [csv("2024,区教育局,,,张代表,,2024-09-01,,,,")], actor=STAFF)
    assert not r.ok
    assert [(p.row, p.column, p.message) for p in r.errors] == [(2, "问题（F列）", "必填项“询问内容”为空")]


def test_units_table_contacts_kept_when_the_column_is_absent(db_url):
    units = ("单位.csv", ("主管部门,单位名称,单位编码,联系人员,电话\n"
                          "区教育局,区第一中学,101001,张敏,0731-84561234\n"
                          "区教育局,区第二中学,101002,经办人甲,13800001111\n").encode())
    r = import_files(db_url, [units], actor=STAFF)
    assert r.ok, [str(p) for p in r.errors]
    assert [t["kind"] for f in r.files for t in f["tables"]] == ["units"]
    got = {u.name: (u.contact, u.phone) for u in rows(db_url, m.Unit)}
    assert got["区第一中学"] == ("张敏", "0731-84561234") and got["区第二中学"] == ("经办人甲", "13800001111")
    # a units list without the contact columns leaves them as they are
    plain = ("单位2.csv", "主管部门,单位名称,单位编码,所属领域\n区教育局,区第一中学,101001,教育\n".encode())
    assert import_files(db_url, [plain], actor=STAFF).ok
    assert {u.name: (u.contact, u.phone) for u in rows(db_url, m.Unit)}["区第一中学"] == ("张敏", "0731-84561234")
    # contact columns alone (with 主管部门 and 单位名称) make a units list
    only = ("联系人.csv", "主管部门,单位名称,联系人,联系方式\n区教育局,区第二中学,王五,0731-1\n".encode())
    r = import_files(db_url, [only], actor=STAFF)
    assert r.ok, [str(p) for p in r.errors]
    assert {u.name: (u.contact, u.phone) for u in rows(db_url, m.Unit)}["区第二中学"] == ("王五", "0731-1")


def _department(url) -> int:
    assert import_files(url, [PROJECTS], actor=STAFF).ok
    return {d.name: d.id for d in rows(url, m.Department)}["区教育局"]


def test_entry_needs_the_inquire_permission_and_writes_nothing_otherwise(db_url):
    dept = _department(db_url)
    before = audit.entries(db_url)
    for who in (LEADER, Actor("赵代表", "deputy"), Actor("钱", "staff", ("区教育局",)), None):
        with pytest.raises(Forbidden):
            record_inquiry(db_url, who, year=2024, department_id=dept, question="问题", asker="张代表")
    assert rows(db_url, m.Inquiry) == [] and audit.entries(db_url) == before


def test_entry_of_a_question_and_its_answer_then_undo(db_url):
    dept = _department(db_url)
    today = dt.date(2024, 10, 15)
    with pytest.raises(EntryRefused):  # the asker is needed
        record_inquiry(db_url, STAFF, year=2024, department_id=dept, question="问题", today=today)
    with pytest.raises(EntryRefused):  # the due date is not before the question
        record_inquiry(db_url, STAFF, year=2024, department_id=dept, question="问题", asker="张代表",
                       asked_on=dt.date(2024, 9, 10), due_on=dt.date(2024, 9, 1), today=today)
    project = rows(db_url, m.Project)[0].id
    out = record_inquiry(db_url, STAFF, year=2024, department_id=dept, project_id=project, question="校舍维修进度？",
                         asker="张代表", asked_on=dt.date(2024, 9, 10), due_on=dt.date(2024, 10, 10), today=today)
    [q] = rows(db_url, m.Inquiry)
    assert (q.id, q.created_batch_id, q.batch_id, q.project_id) == (out["inquiry_id"], out["batch_id"],
                                                                    out["batch_id"], project)
    with pytest.raises(EntryRefused, match="已经登记过"):
        record_inquiry(db_url, STAFF, year=2024, department_id=dept, question="校舍维修进度？", asker="张代表",
                       asked_on=dt.date(2024, 9, 10), today=today)
    with pytest.raises(EntryRefused):  # a rating outside 满意/基本满意/不满意
        answer_inquiry(db_url, STAFF, q.id, rating="很好", today=today)
    with pytest.raises(EntryRefused):  # an answer date without any answer
        answer_inquiry(db_url, STAFF, q.id, answered_on=dt.date(2024, 10, 1), today=today)
    with pytest.raises(EntryRefused, match="尚未答复"):  # no rating of a question not answered
        answer_inquiry(db_url, STAFF, q.id, rating="满意", today=today)
    ans = answer_inquiry(db_url, STAFF, q.id, answer="已完工", answered_on=dt.date(2024, 10, 12), rating="不满意",
                         today=today)
    [q] = rows(db_url, m.Inquiry)
    assert (q.answer, q.answered_on, q.rating, q.batch_id) == ("已完工", dt.date(2024, 10, 12), "不满意",
                                                               ans["batch_id"])
    entries = [e for e in audit.entries(db_url) if e["action"] == "import"]
    assert [e["detail"].get("inquiry") for e in entries[-2:]] == [q.id, q.id] or \
        [e["detail"].get("inquiry") for e in entries[:2]] == [q.id, q.id]
    undo_batch(db_url, ans["batch_id"], actor=STAFF)
    [q] = rows(db_url, m.Inquiry)
    assert (q.answer, q.answered_on, q.rating) == (None, None, None)
    undo_batch(db_url, out["batch_id"], actor=STAFF)
    assert rows(db_url, m.Inquiry) == []


def test_undo_of_the_import_that_created_the_department_waits_for_the_entry(db_url):
    """An entered question points at a department an earlier import created: that import cannot be undone before
    the entry (data_loaders.batches._REFERENCES names inquiries → departments, units, projects)."""
    assert import_files(db_url, [PROJECTS], actor=STAFF).ok
    first = rows(db_url, m.ImportBatch)[0].id
    dept = {d.name: d.id for d in rows(db_url, m.Department)}["区教育局"]
    out = record_inquiry(db_url, STAFF, year=2024, department_id=dept, question="问题", asker="张代表",
                         today=dt.date(2024, 10, 1))
    with pytest.raises(UndoRefused, match=str(out["batch_id"])):
        undo_batch(db_url, first, actor=STAFF)
    undo_batch(db_url, out["batch_id"], actor=STAFF)
    undo_batch(db_url, first, actor=STAFF)
    assert rows(db_url, m.Department) == []


def test_which_headers_make_a_ledger_or_a_units_list():
    assert kind_from_fields({"question", "description", "asker", "department"}) == "inquiries"  # 问题 + 代表
    assert kind_from_fields({"question", "description", "department", "status"}) == "findings"  # 问题 alone: findings
    assert kind_from_fields({"unit", "department", "contact", "phone"}) == "units"
    assert kind_from_fields({"unit", "contact", "phone"}) is None  # a sheet of contacts is no units list
