"""Issue 25 import: 原定整改时限 kept, every deadline change a finding_extensions row (recorded by the importing
account), undo removes them; the 整改满意度测评 sheet; warnings for a 特殊情形 without a reason; the page entry of an
extension or a verification (dashboard.core.writes.record_rectification) — refused without the import permission."""

import datetime as dt

import pytest
from sqlalchemy import select

from dashboard.core import audit, db
from dashboard.core import models as m
from dashboard.core.accounts import Actor, Forbidden
from dashboard.core.writes import EntryRefused, record_rectification
from data_loaders.batches import undo_batch
from data_loaders.importer import import_files
from tests.data_loaders.import_set import rows

STAFF, LEADER = Actor("王科员", "staff"), Actor("李局长", "leader")
HEAD = "年度,主管部门,预算单位,问题描述,整改时限,原定整改时限,延期原因,延期批准人,整改状态,核验日期,核验人,核验方式,特殊情形,特殊情形说明,问题类别\n"


def csv(*lines: str) -> tuple[str, bytes]:
    return ("问题整改.csv", (HEAD + "\n".join(lines) + "\n").encode())


def extensions(url):
    return sorted(((x.old_deadline, x.new_deadline, x.reason, x.approved_by, x.recorded_by)
                   for x in rows(url, m.FindingExtension)), key=lambda t: (t[1], t[0] or dt.date.min))


def findings(url):
    return {f.description: f for f in rows(url, m.Finding)}


def test_extensions_from_the_ledger_and_a_reimport_then_undo(db_url):
    # A: extended once in the ledger (原定 2025-03-31 → 2025-06-30); B: no original, no extension
    first = csv("2024,区教育局,区第一中学,台账不全,2025-06-30,2025-03-31,需随预算调整,区政府,整改中,,,,,,资金管理",
                "2024,区教育局,区第一中学,进度滞后,2025-05-31,,,,整改中,,,,,,")
    r1 = import_files(db_url, [first], actor=STAFF)
    assert r1.ok, [str(p) for p in r1.errors]
    assert r1.counts["finding_extensions"]["inserted"] == 1
    f = findings(db_url)
    assert f["台账不全"].original_deadline == dt.date(2025, 3, 31) and f["台账不全"].deadline == dt.date(2025, 6, 30)
    assert f["进度滞后"].original_deadline == dt.date(2025, 5, 31)  # no 原定整改时限: the 整改时限 is the original
    assert f["台账不全"].category == "资金管理"
    assert extensions(db_url) == [(dt.date(2025, 3, 31), dt.date(2025, 6, 30), "需随预算调整", "区政府", "王科员")]

    # the same file again: nothing new
    r2 = import_files(db_url, [first], actor=STAFF)
    assert r2.counts["finding_extensions"]["inserted"] == 0 and r2.counts["findings"]["updated"] == 0

    # B's deadline moved in a later ledger without 原定整改时限: an extension 05-31 → 07-31, the original kept
    later = csv("2024,区教育局,区第一中学,进度滞后,2025-07-31,,施工受汛期影响,区财政局,整改中,,,,,,")
    r3 = import_files(db_url, [later], actor=Actor("赵科员", "staff"))
    assert r3.ok and r3.counts["finding_extensions"]["inserted"] == 1
    f = findings(db_url)
    assert f["进度滞后"].original_deadline == dt.date(2025, 5, 31) and f["进度滞后"].deadline == dt.date(2025, 7, 31)
    assert extensions(db_url)[-1] == (dt.date(2025, 5, 31), dt.date(2025, 7, 31), "施工受汛期影响", "区财政局", "赵科员")

    # undo the later batch: its extension row goes, the deadline comes back
    undo_batch(db_url, r3.batch_id, actor=STAFF)
    assert len(extensions(db_url)) == 1
    assert findings(db_url)["进度滞后"].deadline == dt.date(2025, 5, 31)
    # undo the first batch (after the empty second one): no extension, no finding left
    undo_batch(db_url, r2.batch_id, actor=STAFF)
    undo_batch(db_url, r1.batch_id, actor=STAFF)
    assert extensions(db_url) == [] and findings(db_url) == {}


def test_a_special_case_without_a_reason_is_a_warning_naming_the_cell(db_url):
    r = import_files(db_url, [csv("2024,区教育局,区第一中学,台账不全,2025-06-30,,,,整改中,,,,历史遗留,,",
                                  "2024,区教育局,区第一中学,产权不清,2025-06-30,,,,整改中,,,,客观原因,政策调整,",
                                  "2024,区教育局,区第一中学,进度慢,2025-06-30,,,,整改中,2025-01-01,甲,现场,,,")])
    assert r.ok
    texts = [str(p) for p in r.warnings]
    hit = [t for t in texts if "特殊情形说明" in t and "不从综合整改率中扣除" in t]
    assert len(hit) == 1 and "问题整改.csv" in hit[0] and "2" in hit[0], texts  # file, row 2, the column
    assert any("核验日期" in t and "不算已核验" in t for t in texts), texts
    f = findings(db_url)
    assert f["台账不全"].exclusion == "历史遗留" and f["台账不全"].exclusion_reason is None
    assert f["产权不清"].exclusion_reason == "政策调整"


SATISFACTION = ("测评.csv", ("年度,主管部门,预算单位,测评事项,满意票数,基本满意票数,不满意票数\n"
                             "2024,区教育局,区第一中学,2024年度整改情况,10,4,1\n"
                             "2024,区卫健委,,2024年度整改情况,5,5,5\n").encode())


def test_satisfaction_sheet_imports_and_undoes(db_url):
    r = import_files(db_url, [SATISFACTION], actor=STAFF)
    assert r.ok, [str(p) for p in r.errors]
    assert [t["kind"] for f in r.files for t in f["tables"]] == ["satisfaction"]
    assert r.counts["satisfaction_votes"]["inserted"] == 2
    votes = {(v.unit_id is None, v.satisfied, v.basically, v.unsatisfied) for v in rows(db_url, m.SatisfactionVote)}
    assert votes == {(False, 10, 4, 1), (True, 5, 5, 5)}
    again = import_files(db_url, [SATISFACTION], actor=STAFF)
    assert again.counts["satisfaction_votes"] == {"inserted": 0, "updated": 0, "unchanged": 2}
    undo_batch(db_url, again.batch_id, actor=STAFF)
    undo_batch(db_url, r.batch_id, actor=STAFF)
    assert rows(db_url, m.SatisfactionVote) == []


def test_negative_or_fractional_votes_are_refused(db_url):
    bad = ("测评.csv", "年度,主管部门,满意票数,基本满意票数,不满意票数\n2024,区教育局,-1,2.5,0\n".encode())
    r = import_files(db_url, [bad], actor=STAFF)
    assert not r.ok
    assert any("票数" in str(p) for p in r.errors)


def _one_finding(url):
    r = import_files(url, [csv("2024,区教育局,区第一中学,台账不全,2025-03-31,,,,已整改,,,,,,")], actor=STAFF)
    assert r.ok
    return findings(url)["台账不全"].id


def test_entry_needs_the_import_permission_and_writes_nothing_otherwise(db_url):
    fid = _one_finding(db_url)
    before = audit.entries(db_url)
    for who in (LEADER, Actor("赵代表", "deputy"), Actor("钱", "staff", ("区教育局",))):
        with pytest.raises(Forbidden):
            record_rectification(db_url, who, fid, new_deadline=dt.date(2025, 6, 30), reason="r", approved_by="a")
    assert extensions(db_url) == [] and audit.entries(db_url) == before


def test_entry_of_an_extension_and_a_verification_then_undo(db_url):
    fid = _one_finding(db_url)
    today = dt.date(2025, 4, 1)
    with pytest.raises(EntryRefused):  # a verification needs who and how
        record_rectification(db_url, STAFF, fid, verified_on=today, today=today)
    with pytest.raises(EntryRefused):  # not in the future
        record_rectification(db_url, STAFF, fid, verified_on=dt.date(2025, 4, 2), verified_by="甲", verification_method="乙",
                             today=today)
    with pytest.raises(EntryRefused):  # an extension needs a reason and an approver
        record_rectification(db_url, STAFF, fid, new_deadline=dt.date(2025, 6, 30), today=today)
    out = record_rectification(db_url, STAFF, fid, new_deadline=dt.date(2025, 6, 30), reason="需补充凭证",
                               approved_by="区政府", verified_on=dt.date(2025, 3, 31), verified_by="区财政局",
                               verification_method="查阅凭证", today=today)
    f = findings(db_url)["台账不全"]
    assert (f.deadline, f.original_deadline, f.verified_on, f.verified_by) == (
        dt.date(2025, 6, 30), dt.date(2025, 3, 31), dt.date(2025, 3, 31), "区财政局")
    assert extensions(db_url) == [(dt.date(2025, 3, 31), dt.date(2025, 6, 30), "需补充凭证", "区政府", "王科员")]
    entry = audit.entries(db_url)[0]
    assert entry["action"] == "import" and entry["user"] == "王科员" and entry["detail"]["batch"] == out["batch_id"]
    assert entry["detail"]["finding"] == fid
    with db.get_engine(db_url).connect() as conn:
        assert conn.execute(select(m.ImportBatch.source).where(m.ImportBatch.id == out["batch_id"])).scalar() == "entry"
    undo_batch(db_url, out["batch_id"], actor=STAFF)
    f = findings(db_url)["台账不全"]
    assert (f.deadline, f.verified_on, f.verified_by) == (dt.date(2025, 3, 31), None, None)
    assert extensions(db_url) == []


def test_a_ledger_without_the_category_column_keeps_the_stored_one(db_url):
    with_category = csv("2024,区教育局,区第一中学,台账不全,2025-06-30,,,,整改中,,,,,,资金管理")
    assert import_files(db_url, [with_category], actor=STAFF).ok
    without = ("问题整改.csv", "年度,主管部门,预算单位,问题描述,整改时限,整改状态\n"
                              "2024,区教育局,区第一中学,台账不全,2025-06-30,已整改\n".encode())
    r = import_files(db_url, [without], actor=STAFF)
    assert r.ok and r.counts["findings"]["updated"] == 1
    f = findings(db_url)["台账不全"]
    assert f.status == "已整改" and f.category == "资金管理" and f.original_deadline == dt.date(2025, 6, 30)
