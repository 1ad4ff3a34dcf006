"""询问台账 figures (issue 26) on a hand-built fixture, SQLite and PostgreSQL; every figure worked out here.

Judged on TODAY = 2024-11-30, year 2024. D1 区教育局 (unit U1, project P1), D2 区卫健委, D3 区农业农村局 (no questions).
  Q1 D1/U1/P1 张代表   asked 09-01 due 09-30 answered 09-20 满意      → 已答复 (on time)
  Q2 D1       李代表   asked 09-05 due 10-05 answered 10-15 不满意    → 逾期答复, 10 days late
  Q3 D1       教科文卫工委 asked 10-10 due 11-10 unanswered           → 逾期未答复, 20 days (to 11-30)
  Q4 D1       王代表   asked 11-20 due 11-30 unanswered               → 待答复 (due today is not late)
  Q5 D2       赵代表   asked 10-01 due 10-31 answer text, no date, 基本满意 → 已答复 (no date: not late)
  Q6 D2       钱代表   asked 11-01 no due date, unanswered            → 待答复
  Q7 D2 of 2023, unanswered and long overdue                           → another year: never counted in 2024
2024 totals: asked 6, answered 3 (Q1 Q2 Q5), unanswered 3, 逾期未答复 1 (Q3), 逾期答复 1 (Q2), overdue 2, 待答复 2
(Q4 Q6); rated 3: 满意 1, 基本满意 1, 不满意 1; 答复率 3/6; 满意率 1/3; 满意及基本满意率 2/3.
D1: asked 4, answered 2, 逾期未答复 1, 逾期答复 1, 待答复 1, rated 2 (满意, 不满意) → 答复率 1/2, 满意率 1/2.
D2: asked 2, answered 1, overdue 0, 待答复 1, rated 1 (基本满意) → 答复率 1/2, 满意率 0, 满意及基本满意率 1.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import metrics as mx
from dashboard.core import db, models, writes
from dashboard.core.models import Department, ImportBatch, Inquiry, Project, Unit
from tests.sessions import session_scope

TODAY = dt.date(2024, 11, 30)
D = dt.date


def build(url: str) -> dict[str, int]:
    db.init_db(url)
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        batch = ImportBatch(created_at=dt.datetime(2024, 11, 1, 9, 0), user="fixture", source="import",
                            files=[{"name": "fixture.xlsx", "sha256": "0" * 64}], counts={})
        s.add(batch)
        s.flush()

        def add(obj, key):
            obj.created_batch_id = obj.batch_id = batch.id
            s.add(obj)
            s.flush()
            ids[key] = obj.id
            return obj

        add(Department(code="101", name="区教育局", kind="部门"), "D1")
        add(Department(code="102", name="区卫健委", kind="部门"), "D2")
        add(Department(code="103", name="区农业农村局", kind="部门"), "D3")
        add(Unit(department_id=ids["D1"], code="101001", name="区第一中学"), "U1")
        add(Project(year=2024, code="P1", name="校舍维修", department_id=ids["D1"], unit_id=ids["U1"],
                    category="项目支出", fund_source="一般公共预算", adjusted_budget=100.0, has_target=True,
                    is_key=False), "P1")

        def q(key, year, dept, asker, question, asked, due, answer=None, answered=None, rating=None, unit=None,
              project=None):
            add(Inquiry(year=year, department_id=ids[dept], unit_id=ids.get(unit), project_id=ids.get(project),
                        inquiry_key=models.inquiry_key(asker, asked, question), asker=asker, question=question,
                        asked_on=asked, due_on=due, answer=answer, answered_on=answered, rating=rating), key)

        q("Q1", 2024, "D1", "张代表", "校舍维修为什么进度慢？", D(2024, 9, 1), D(2024, 9, 30), "已完工待验收",
          D(2024, 9, 20), "满意", unit="U1", project="P1")
        q("Q2", 2024, "D1", "李代表", "营养餐资金如何监管？", D(2024, 9, 5), D(2024, 10, 5), "已建立台账",
          D(2024, 10, 15), "不满意")
        q("Q3", 2024, "D1", "教科文卫工委", "教师培训经费结余较多的原因？", D(2024, 10, 10), D(2024, 11, 10))
        q("Q4", 2024, "D1", "王代表", "校车运营补贴标准？", D(2024, 11, 20), D(2024, 11, 30))
        q("Q5", 2024, "D2", "赵代表", "村医补助何时发放？", D(2024, 10, 1), D(2024, 10, 31), "已于10月发放", None,
          "基本满意")
        q("Q6", 2024, "D2", "钱代表", "家庭医生签约服务费用怎样核定？", D(2024, 11, 1), None)
        q("Q7", 2023, "D2", "孙代表", "疫苗冷链设备为何闲置？", D(2023, 10, 1), D(2023, 10, 31))
        writes.bump_data_version(s.connection())
    return ids


def Q(url, scope=None, today=TODAY):
    return mx.Query(url, mx.prepare(url), scope or mx.Scope(2024), today=today)


@pytest.fixture
def inq_db(db_url):
    return db_url, build(db_url)


ALL = {"asked": 6, "answered": 3, "unanswered": 3, "overdue_unanswered": 1, "late_answered": 1, "overdue": 2,
       "pending": 2, "rated": 3, "satisfied": 1, "basically": 1, "unsatisfied": 1, "reply_rate": 0.5,
       "satisfied_share": 0.3333, "positive_share": 0.6667}


def test_summary_by_hand(inq_db):
    url, ids = inq_db
    assert mx.inquiry_summary(Q(url)) == ALL
    # the fund-source filter does not apply to questions
    assert mx.inquiry_summary(Q(url, mx.Scope(2024, fund_source="政府性基金预算"))) == ALL
    # 2023: Q7 only, unanswered and overdue
    s23 = mx.inquiry_summary(Q(url, mx.Scope(2023)))
    assert (s23["asked"], s23["overdue_unanswered"], s23["reply_rate"], s23["satisfied_share"]) == (1, 1, 0.0, None)
    # a day later Q4 is overdue too; judged before Q3's due date nothing unanswered is overdue
    assert mx.inquiry_summary(Q(url, today=D(2024, 12, 1)))["overdue_unanswered"] == 2
    assert mx.inquiry_summary(Q(url, today=D(2024, 11, 10)))["overdue_unanswered"] == 0
    empty = mx.inquiry_summary(Q(url, mx.Scope(2024, departments=(ids["D3"],))))
    assert empty["asked"] == 0 and empty["reply_rate"] is None


def test_by_department_by_hand(inq_db):
    url, _ = inq_db
    df = mx.inquiries_by_department(Q(url))
    assert df["department"].tolist() == ["区教育局", "区卫健委"]  # most overdue first; D3 has no questions
    d1, d2 = (df.iloc[i].to_dict() for i in (0, 1))
    assert {k: d1[k] for k in ("asked", "answered", "overdue_unanswered", "late_answered", "overdue", "pending",
                               "rated", "satisfied", "unsatisfied")} == \
        {"asked": 4, "answered": 2, "overdue_unanswered": 1, "late_answered": 1, "overdue": 2, "pending": 1,
         "rated": 2, "satisfied": 1, "unsatisfied": 1}
    assert d1["reply_rate"] == pytest.approx(0.5) and d1["satisfied_share"] == pytest.approx(0.5)
    assert (d2["asked"], d2["answered"], d2["overdue"], d2["pending"], d2["basically"]) == (2, 1, 0, 1, 1)
    assert d2["satisfied_share"] == 0 and d2["positive_share"] == pytest.approx(1.0)


def test_list_states_and_days(inq_db):
    url, ids = inq_db
    q = Q(url)
    df = mx.inquiry_list(q)
    assert df["inquiry_id"].tolist() == [ids[k] for k in ("Q4", "Q6", "Q3", "Q5", "Q2", "Q1")]  # newest asked first
    state = dict(zip(df["inquiry_id"], df["state"]))
    assert [state[ids[k]] for k in ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6")] == \
        ["已答复", "逾期答复", "逾期未答复", "待答复", "已答复", "待答复"]
    days = {i: None if pd.isna(d) else int(d) for i, d in zip(df["inquiry_id"], df["days_overdue"])}
    assert days[ids["Q3"]] == 20 and days[ids["Q2"]] == 10 and days[ids["Q1"]] is None
    first = df.iloc[-1]
    assert (first["department"], first["unit"], first["project"], first["rating"]) == ("区教育局", "区第一中学", "校舍维修",
                                                                                         "满意")
    assert mx.inquiry_count(q) == 6
    assert mx.inquiry_count(q, states=("逾期未答复", "逾期答复")) == 2
    late = mx.inquiry_list(q, states=("逾期未答复", "逾期答复"))
    assert late["inquiry_id"].tolist() == [ids["Q3"], ids["Q2"]]
    page = mx.inquiry_list(q, limit=2, offset=2)
    assert page["inquiry_id"].tolist() == [ids["Q3"], ids["Q5"]]


def test_a_department_limited_account_sees_only_its_departments_questions(inq_db):
    url, ids = inq_db
    limited = mx.Scope(2024, limit=(ids["D2"],))
    q = Q(url, limited)
    assert mx.inquiry_list(q)["inquiry_id"].tolist() == [ids["Q6"], ids["Q5"]]
    assert mx.inquiry_count(q) == 2
    s = mx.inquiry_summary(q)
    assert (s["asked"], s["answered"], s["overdue"], s["reply_rate"]) == (2, 1, 0, 0.5)
    assert mx.inquiries_by_department(q)["department"].tolist() == ["区卫健委"]
    # asking for another department under the limit still gives only its own
    other = Q(url, mx.Scope(2024, departments=(ids["D1"],), limit=(ids["D2"],)))
    assert mx.inquiry_list(other)["inquiry_id"].tolist() == [ids["Q6"], ids["Q5"]]


def test_entry_choices(inq_db):
    url, ids = inq_db
    got = mx.inquiry_choices(Q(url), ids["D1"])
    assert got == {"units": [(ids["U1"], "区第一中学")], "projects": [(ids["P1"], "P1", "校舍维修")]}
    assert mx.inquiry_choices(Q(url), ids["D3"]) == {"units": [], "projects": []}
