"""报送情况 (issue 26): which units reported a collection round, which late, which not — on a hand-built fixture.

Year 2025; the monitoring round of 2025-06-30 is due 2025-07-15 (opened 2025-07-01, the current round).
  河川区教育局 (D1):  U1 本级      P1 record 06-30 created by B1 (07-15 18:00, the due day) → 已报送
                      U2 第一中学  P2 record 06-30 created by B2 (07-20), changed by B3 (07-25) → 逾期报送, last B3
  河川区卫健委 (D2):  U3 本级      P3 record 06-30 created by B1 → 已报送
                      U4 人民医院  P4 (政府性基金预算) only a record of 03-31 (B0) → 未报送
                      U5 疾控中心  projects of 2024 only: not a unit of the 2025 rounds
  P6 (2025, no unit) has a record of 06-30: it belongs to no unit and counts for none.
The self-evaluation round of 2025 (no due date, opened 2025-06-01 and closed): 单位自评 of U1 (by its unit) and of
P3 (the project's unit U3); U2 has a 部门评价 only → U1, U3 reported, U2, U4 not.
The monitoring round of 2025-03-31 (open, opened 2025-04-01): only U4 has a record of 03-31.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from dashboard import metrics
from dashboard.__main__ import main
from dashboard.core import accounts, audit, writes
from dashboard.core.models import (
    CollectionRound,
    Department,
    Evaluation,
    ImportBatch,
    MonitoringRecord,
    Project,
    Unit,
)
from dashboard.core.rules import DEFAULT_RULES
from dashboard.core.vocab import LEADER, STAFF
from dashboard.metrics import rounds as R
from tests.sessions import session_scope

TODAY = dt.date(2025, 8, 1)
JUN, MAR = dt.date(2025, 6, 30), dt.date(2025, 3, 31)
B1_AT, B2_AT, B3_AT = dt.datetime(2025, 7, 15, 18, 0), dt.datetime(2025, 7, 20, 9, 0), dt.datetime(2025, 7, 25, 10, 0)
GP, GF = "一般公共预算", "政府性基金预算"


def build(url: str) -> dict[str, int]:
    """The fixture above in a database at the newest revision; returns ids by short name."""
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        def add(obj, key, batch="B1"):
            if batch is not None:
                obj.created_batch_id = obj.batch_id = ids[batch]
            s.add(obj)
            s.flush()
            ids[key] = obj.id
            return obj

        for key, at in (("B0", dt.datetime(2025, 4, 5, 9, 0)), ("B1", B1_AT), ("B2", B2_AT), ("B3", B3_AT)):
            add(ImportBatch(created_at=at, user="fixture", source="import", files=[], counts={}), key, batch=None)
        add(Department(code="101", name="河川区教育局"), "D1")
        add(Department(code="102", name="河川区卫生健康委员会"), "D2")
        add(Unit(department_id=ids["D1"], code="101001", name="河川区教育局本级", contact="张敏",
                 phone="0931-8100001"), "U1")
        add(Unit(department_id=ids["D1"], code="101002", name="河川区第一中学", contact="李强",
                 phone="0931-8100002"), "U2")
        add(Unit(department_id=ids["D2"], code="102001", name="河川区卫生健康委员会本级", contact="王芳",
                 phone="0931-8100003"), "U3")
        add(Unit(department_id=ids["D2"], code="102002", name="河川区人民医院", contact="赵磊",
                 phone="0931-8100004"), "U4")
        add(Unit(department_id=ids["D2"], code="102003", name="河川区疾病预防控制中心"), "U5")

        def project(key, year, code, dept, unit, fund=GP):
            add(Project(year=year, code=code, name=f"项目{code}", department_id=ids[dept],
                        unit_id=ids[unit] if unit else None, fund_source=fund, adjusted_budget=100.0,
                        has_target=True), key)

        project("P1", 2025, "P1", "D1", "U1")
        project("P2", 2025, "P2", "D1", "U2")
        project("P3", 2025, "P3", "D2", "U3")
        project("P4", 2025, "P4", "D2", "U4", fund=GF)
        project("P5", 2024, "P5", "D2", "U5")
        project("P6", 2025, "P6", "D2", None)

        def record(key, proj, as_of, batch):
            return add(MonitoringRecord(project_id=ids[proj], as_of=as_of, adjusted_budget=100.0, executed=40.0), key, batch)

        record("M1", "P1", JUN, "B1")
        m2 = record("M2", "P2", JUN, "B2")
        m2.batch_id = ids["B3"]  # changed by a later upload
        record("M3", "P3", JUN, "B1")
        record("M4", "P4", MAR, "B0")
        record("M6", "P6", JUN, "B1")
        record("M5", "P5", dt.date(2024, 6, 30), "B0")

        def evaluation(key, kind, dept, unit=None, proj=None):
            add(Evaluation(year=2025, kind=kind, object_type="项目支出" if proj else "部门整体支出",
                           object_key=f"p:{ids[proj]}" if proj else f"d:{ids[dept]}:{key}", object_name=key,
                           project_id=ids[proj] if proj else None, department_id=ids[dept],
                           unit_id=ids[unit] if unit else None, score=90.0, grade="优"), key)

        evaluation("E1", "单位自评", "D1", unit="U1")
        evaluation("E3", "单位自评", "D2", proj="P3")
        evaluation("E2", "部门评价", "D1", proj="P2")

        def rnd(key, kind, as_of, due_on, opened_at, closed_at=None):
            add(CollectionRound(kind=kind, year=2025, as_of=as_of, round_key=writes.round_key(kind, 2025, as_of),
                                due_on=due_on, opened_at=opened_at, opened_by="fixture", closed_at=closed_at),
                key, batch=None)

        rnd("R_MAR", "monitoring", MAR, None, dt.datetime(2025, 4, 1, 9, 0))
        rnd("R_JUN", "monitoring", JUN, dt.date(2025, 7, 15), dt.datetime(2025, 7, 1, 9, 0))
        rnd("R_SELF", "self_evaluation", None, None, dt.datetime(2025, 6, 1, 9, 0), dt.datetime(2025, 6, 20, 9, 0))
    return ids


@pytest.fixture
def fixture(db_url):
    return db_url, build(db_url)


def _q(url, **scope):
    return metrics.Query(url, metrics.prepare(url), metrics.Scope(year=2025, **scope), DEFAULT_RULES, TODAY)


def _statuses(df) -> dict[str, str]:
    return dict(zip(df["unit"], df["status"]))


def test_the_current_round_is_the_newest_open_one(fixture):
    url, ids = fixture
    listed = metrics.round_list(_q(url))
    assert list(listed["round_id"]) == [ids["R_JUN"], ids["R_MAR"], ids["R_SELF"]]
    assert metrics.current_round(_q(url))["round_id"] == ids["R_JUN"]
    assert metrics.round_list(_q(url).scoped(year=2024)).empty


def test_who_reported_the_monitoring_round(fixture):
    url, ids = fixture
    q = _q(url)
    assert metrics.round_counts(q) == {"units": 4, "reported": 3, "on_time": 2, "late": 1, "not_reported": 1,
                                       "rate": 0.75}
    units = metrics.round_units(q)
    # 未报送 first, then 逾期报送, then 已报送 (each by department and unit name)
    assert list(units["unit"]) == ["河川区人民医院", "河川区第一中学", "河川区卫生健康委员会本级", "河川区教育局本级"]
    assert _statuses(units) == {"河川区教育局本级": "已报送", "河川区第一中学": "逾期报送",
                                "河川区卫生健康委员会本级": "已报送", "河川区人民医院": "未报送"}
    u2 = units.set_index("unit").loc["河川区第一中学"]
    assert (u2["department"], u2["contact"], u2["phone"]) == ("河川区教育局", "李强", "0931-8100002")
    assert pd_ts(u2["first_upload"]) == B2_AT and pd_ts(u2["last_upload"]) == B3_AT
    assert int(u2["batch_id"]) == ids["B3"]
    u4 = units.set_index("unit").loc["河川区人民医院"]
    assert u4["last_upload"] is None or str(u4["last_upload"]) in ("NaT", "None")
    assert metrics.round_units_count(q) == 4
    chase = metrics.round_units(q, statuses=(R.NOT_REPORTED,))
    assert list(chase["unit"]) == ["河川区人民医院"] and metrics.round_units_count(q, statuses=(R.NOT_REPORTED,)) == 1
    assert list(metrics.round_units(q, limit=2, offset=1)["unit"]) == ["河川区第一中学", "河川区卫生健康委员会本级"]


def pd_ts(value) -> dt.datetime:
    return pd.Timestamp(value).to_pydatetime()


def test_counts_per_department(fixture):
    url, _ids = fixture
    by = metrics.round_by_department(_q(url)).set_index("department")
    assert by.loc["河川区教育局", ["units", "reported", "on_time", "late", "not_reported"]].tolist() == [2, 2, 1, 1, 0]
    assert by.loc["河川区卫生健康委员会", ["units", "reported", "on_time", "late", "not_reported"]].tolist() == [2, 1, 1, 0, 1]
    assert by.loc["河川区卫生健康委员会", "rate"] == pytest.approx(0.5)


def test_department_filter_and_limit(fixture):
    url, ids = fixture
    d1, d2 = ids["D1"], ids["D2"]
    assert metrics.round_counts(_q(url, departments=(d2,)))["units"] == 2
    assert set(metrics.round_units(_q(url, departments=(d2,)))["unit"]) == {"河川区卫生健康委员会本级", "河川区人民医院"}
    limited = _q(url, departments=(d2,), limit=(d1,))  # asking for another department gives the limit's own
    assert set(metrics.round_units(limited)["unit"]) == {"河川区教育局本级", "河川区第一中学"}
    assert metrics.round_counts(limited) == {"units": 2, "reported": 2, "on_time": 1, "late": 1, "not_reported": 0,
                                             "rate": 1.0}
    assert list(metrics.round_by_department(limited)["department"]) == ["河川区教育局"]
    assert metrics.rounds_summary(limited) == {"current": {"kind": "monitoring", "as_of": "2025-06-30", "units": 2,
                                                           "reported": 2, "late": 1}}


def test_fund_source_filter(fixture):
    url, _ids = fixture
    q = _q(url, fund_source=GF)
    assert _statuses(metrics.round_units(q)) == {"河川区人民医院": "未报送"}
    assert _statuses(metrics.round_units(q, _ids["R_MAR"])) == {"河川区人民医院": "已报送"}


def test_self_evaluation_round(fixture):
    url, ids = fixture
    q = _q(url)
    units = metrics.round_units(q, ids["R_SELF"])
    assert _statuses(units) == {"河川区教育局本级": "已报送", "河川区第一中学": "未报送",
                                "河川区卫生健康委员会本级": "已报送", "河川区人民医院": "未报送"}
    assert metrics.round_counts(q, ids["R_SELF"])["late"] == 0  # no due date: nobody is late


def test_summary_json_carries_the_current_round(fixture, capsys):
    url, _ids = fixture
    assert main(["--db", url, "summary", "--year", "2025", "--today", "2025-08-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out)[-1] == "rounds"
    assert out["rounds"] == {"current": {"kind": "monitoring", "as_of": "2025-06-30", "units": 4, "reported": 3,
                                         "late": 1}}
    assert main(["--db", url, "summary", "--year", "2024", "--today", "2025-08-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rounds"] == {"current": None}


def _round_rows(url):
    with writes.db.get_engine(url).connect() as conn:
        return conn.execute(select(CollectionRound.__table__)).mappings().all()


def test_ensure_round_is_idempotent(db_url):
    with writes.write_transaction(db_url) as conn:
        first = writes.ensure_round(conn, "monitoring", 2025, JUN, "导入人")
        again = writes.ensure_round(conn, "monitoring", 2025, JUN, "别人")
        other = writes.ensure_round(conn, "self_evaluation", 2025, None, "导入人")
        self_again = writes.ensure_round(conn, "self_evaluation", 2025, JUN, "导入人")  # as_of ignored for 自评
    with writes.write_transaction(db_url) as conn:
        later = writes.ensure_round(conn, "monitoring", 2025, JUN, "导入人")
    assert first == again == later and other == self_again != first
    rows = _round_rows(db_url)
    assert sorted(r["round_key"] for r in rows) == ["monitoring:2025:2025-06-30", "self_evaluation:2025:-"]
    assert {r["opened_by"] for r in rows} == {"导入人"} and all(r["due_on"] is None for r in rows)


def test_open_and_close_round_check_the_role_and_audit(db_url):
    staff = accounts.Actor("科员", STAFF)
    with pytest.raises(accounts.Forbidden):
        writes.open_round(db_url, accounts.Actor("领导", LEADER), "monitoring", 2025, JUN, dt.date(2025, 7, 15))
    with pytest.raises(accounts.Forbidden):  # a department-limited account reads only
        writes.open_round(db_url, accounts.Actor("部门", STAFF, ("101",)), "monitoring", 2025, JUN)
    with pytest.raises(writes.EntryRefused, match="监控截止日期"):
        writes.open_round(db_url, staff, "monitoring", 2025, None)
    with pytest.raises(writes.EntryRefused, match="早于"):
        writes.open_round(db_url, staff, "monitoring", 2025, JUN, dt.date(2025, 6, 1))
    assert _round_rows(db_url) == []
    with writes.write_transaction(db_url) as conn:  # opened by an import first, without a due date
        opened = writes.ensure_round(conn, "monitoring", 2025, JUN, "导入人")
    out = writes.open_round(db_url, staff, "monitoring", 2025, JUN, dt.date(2025, 7, 15), "1—6月监控")
    assert out == {"round_id": opened, "key": "monitoring:2025:2025-06-30"}
    (row,) = _round_rows(db_url)
    assert (row["due_on"], row["title"], row["closed_at"]) == (dt.date(2025, 7, 15), "1—6月监控", None)
    writes.close_round(db_url, staff, opened)
    assert _round_rows(db_url)[0]["closed_at"] is not None
    details = [e["detail"] for e in audit.entries(db_url, actions=("settings",))]
    assert details == [{"round": "close", "key": "monitoring:2025:2025-06-30"},
                       {"round": "open", "key": "monitoring:2025:2025-06-30", "due_on": "2025-07-15"}]
    with writes.db.get_engine(db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(CollectionRound.__table__)).scalar() == 1
