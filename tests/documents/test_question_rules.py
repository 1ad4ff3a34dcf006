"""The brief's question rules (docs/rules.md 简报问题), one hand-built case each: a context with only the facts a rule
reads (the rules take `(brief) -> list[Question]`, so a plain namespace stands in for the Brief), the question it
must draft — named projects, wording that knows the judging date — and the case where it must stay silent."""

from __future__ import annotations

import copy
import datetime as dt
from types import SimpleNamespace

import pandas as pd

from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief as B

WARN_COLS = ["project_id", "name", "light", "as_of", "execution_rate", "time_progress", "lag", "target_progress",
             "target_lag", "deviation_reason"]
FIND_COLS = ["finding_id", "project", "description", "deadline", "status", "days_overdue"]
REPEAT_COLS = ["finding_id", "project", "description", "status", "earlier_year", "earlier_description"]
APP_COLS = ["department_id", "department", "rule", "label", "count", "names"]
EVAL_COLS = ["evaluation_id", "project_id", "object_name", "kind", "score", "grade", "fund_amount",
             "next_year_budget_change"]


def _summary(**kw) -> dict:
    s = {"budget_total": 1000.0,
         "monitoring": {"execution_rate": 0.60, "red": 0, "grey": 0},
         "evaluations": {"grades": {"优": 0, "良": 0, "中": 0, "差": 0}},
         "findings": {"rate": 0.90, "overdue": 0},
         "indicators": {"count": 10, "not_met": 0}}
    for path, value in kw.items():
        if "__" in path:
            a, b = path.split("__")
            s[a][b] = value
        else:
            s[path] = value
    return s


INQUIRY_COLS = ["inquiry_id", "asker", "question", "asked_on", "due_on", "state", "days_overdue"]


def _inquiry_summary(**kw) -> dict:
    s = {"asked": 0, "answered": 0, "reply_rate": None, "overdue_unanswered": 0, "late_answered": 0}
    return {**s, **kw}


def ctx(today=dt.date(2024, 9, 30), **kw) -> SimpleNamespace:
    """A context with nothing to ask about; keyword arguments replace its facts."""
    base = dict(  # noqa: C408 — the facts read like keyword arguments
        year=2024, today=today, department_id=7, rules=Rules(), docs=Documents(),
        summary=_summary(), previous=_summary(),
        warnings=pd.DataFrame(columns=WARN_COLS), rank=None, ranking=pd.DataFrame(), prev_ranking=pd.DataFrame(),
        low_grades=pd.DataFrame(columns=EVAL_COLS), finding_projects=set(),
        all_unmet_indicators=pd.DataFrame(columns=["project"]), without_targets_total=(0, 0.0),
        without_target_projects=pd.DataFrame(columns=["name", "budget"]),
        open_findings=pd.DataFrame(columns=FIND_COLS), repeats=pd.DataFrame(columns=REPEAT_COLS),
        rectification={"summary": {"verified": 0, "reported_unverified": 0},
                       "unverified": pd.DataFrame(columns=["description"])},
        inflation=pd.DataFrame(columns=["self_score"]),
        application_flags=pd.DataFrame(columns=APP_COLS),
        target_quality={"summary": {"flags": 0, "projects_flagged": 0, "by_rule": {}},
                        "projects": pd.DataFrame(columns=["project"])},
        inquiries={"summary": _inquiry_summary(), "overdue": pd.DataFrame(columns=INQUIRY_COLS)},
    )
    base.update(kw)
    return SimpleNamespace(**base)


def _red(pid, name, rate, reason=None):
    return {"project_id": pid, "name": name, "light": "red", "as_of": dt.date(2024, 8, 31), "execution_rate": rate,
            "time_progress": 244 / 366, "lag": 244 / 366 * 100 - rate * 100, "target_progress": None,
            "target_lag": None, "deviation_reason": reason}


def test_a_quiet_context_asks_nothing():
    assert B.questions(ctx()) == []


def test_red_lag_asks_by_the_judging_date():
    reds = pd.DataFrame([_red(1, "乡村道路养护", 0.20, "政府采购流程延迟"), _red(2, "学校维修", 0.30)])
    before = B.q_red_lag(ctx(warnings=reds))
    assert [q.figures["project_id"] for q in before] == [1, 2]
    assert "“乡村道路养护”" in before[0].text and "“政府采购流程延迟”" in before[0].text
    assert before[0].text.endswith("年底前能否完成？") and "没有说明偏差原因" in before[1].text
    after = B.q_red_lag(ctx(warnings=reds, today=dt.date(2025, 3, 31)))   # after 2024-12-31: 决算, not 年底前
    assert all("年底前" not in q.text and "决算数" in q.text for q in after)
    assert "滞后 46.7 个百分点" in before[0].basis


def test_unreported_names_the_projects():
    grey = pd.DataFrame([{"project_id": 3, "name": "疾病预防控制", "light": "grey"},
                         {"project_id": 4, "name": "妇幼保健", "light": "grey"}], columns=WARN_COLS)
    [q] = B.q_unreported(ctx(warnings=grey, summary=_summary(monitoring__grey=2)))
    assert "“疾病预防控制”“妇幼保健”" in q.text and "共 2 个项目" in q.text
    assert B.q_unreported(ctx()) == []


def test_execution_drop_from_the_shown_rates_and_names_red_projects():
    reds = pd.DataFrame([_red(1, "公园绿地养护", 0.2)])
    c = ctx(warnings=reds, summary=_summary(monitoring__execution_rate=0.5724),
            previous=_summary(monitoring__execution_rate=0.6618))
    [q] = B.q_execution_drop(c)
    # 66.2% − 57.2% as shown = 9.0 (the unrounded difference is 8.94)
    assert q.figures["drop"] == 9.0 and "下降 9.0 个百分点" in q.basis and "“公园绿地养护”" in q.text
    assert "66.2%" in q.text and "57.2%" in q.text
    small = ctx(summary=_summary(monitoring__execution_rate=0.62), previous=_summary(monitoring__execution_rate=0.66))
    assert B.q_execution_drop(small) == []          # 4.0 points < 5
    assert B.q_execution_drop(ctx(previous=None)) == []


def test_rank_drop_names_the_part_that_fell():
    now = pd.DataFrame([{"department_id": 7, "coverage": 100.0, "execution": 90.0, "evaluation": 90.0,
                         "rectification": 46.7, "not_red": 80.0}])
    before = now.assign(rectification=100.0)
    opens = pd.DataFrame([{"finding_id": 1, "project": "城市照明设施维护", "description": "x", "deadline": None,
                           "status": "未整改", "days_overdue": 0}])
    c = ctx(rank={"rank": 38, "prev_rank": 19, "of": 60}, ranking=now, prev_ranking=before, open_findings=opens)
    [q] = B.q_rank_drop(c)
    assert "由上年第 19 名降至第 38 名" in q.text and "问题整改（得分减少 53.3）" in q.text
    assert "“城市照明设施维护”" in q.text and q.figures["part"] == "rectification"
    assert B.q_rank_drop(ctx(rank={"rank": 23, "prev_rank": 19, "of": 60}, ranking=now, prev_ranking=before)) == []


def test_rectification_drop():
    opens = pd.DataFrame([{"finding_id": 1, "project": "课题研究经费", "description": "x", "deadline": None,
                           "status": "整改中", "days_overdue": 0}])
    [q] = B.q_rectification_drop(ctx(summary=_summary(findings__rate=0.4667), previous=_summary(findings__rate=1.0),
                                     open_findings=opens))
    assert "由上年的 100.0% 降至 46.7%" in q.text and "“课题研究经费”" in q.text and q.figures["drop"] == 53.3
    assert B.q_rectification_drop(ctx(summary=_summary(findings__rate=0.85), previous=_summary(findings__rate=0.9))) == []


def test_unmet_indicators_names_the_projects_with_most():
    unmet = pd.DataFrame({"project": ["甲", "乙", "乙", "丙", "丁", "乙", "丁"]})
    [q] = B.q_unmet_indicators(ctx(summary=_summary(indicators__not_met=7), all_unmet_indicators=unmet))
    assert "7 个绩效指标未完成，集中在“乙”（3 个）、“丁”（2 个）、“甲”（1 个）等" in q.text
    assert q.figures["projects"] == ["乙", "丁", "甲"]


def test_bad_grade_with_its_money_finding_and_next_budget():
    low = pd.DataFrame([
        {"evaluation_id": 1, "project_id": 11, "object_name": "课题研究经费", "kind": "抽查复核", "score": 44.5,
         "grade": "差", "fund_amount": 27.59, "next_year_budget_change": -27.59},
        {"evaluation_id": 2, "project_id": 12, "object_name": "标准化建设经费", "kind": "财政重点评价", "score": 50.0,
         "grade": "差", "fund_amount": 5960.54, "next_year_budget_change": None},
        {"evaluation_id": 3, "project_id": 13, "object_name": "中等项目", "kind": "部门评价", "score": 70.0,
         "grade": "中", "fund_amount": 1.0, "next_year_budget_change": None}])
    qs = B.q_bad_grade(ctx(low_grades=low, finding_projects={11}))
    assert [q.figures["evaluation_id"] for q in qs] == [2, 1]          # the larger money first; 中 is not asked
    assert "涉及资金 5,960.54 万元" in qs[0].text and "没有登记整改问题" in qs[0].text and "没有填写下年预算调整" in qs[0].text
    assert "下年预算减少 27.59 万元" in qs[1].text and "没有登记整改问题" not in qs[1].text


def test_no_targets_above_the_threshold_names_the_largest():
    top = pd.DataFrame([{"name": "督查考核工作经费", "budget": 2069.98}, {"name": "安全生产工作经费", "budget": 26.78}])
    c = ctx(summary=_summary(budget_total=5490.88), without_targets_total=(2, 2096.76), without_target_projects=top)
    [q] = B.q_no_targets(c)
    assert "占 38.2%" in q.text and "“督查考核工作经费”（2,069.98 万元）" in q.text
    below = ctx(summary=_summary(budget_total=5490.88), without_targets_total=(1, 500.0), without_target_projects=top)
    assert B.q_no_targets(below) == []              # 9.1% < 10%


def test_overdue_names_projects_and_one_question_per_problem():
    opens = pd.DataFrame([
        {"finding_id": 1, "project": "城市照明设施维护", "description": "资金支付进度滞后", "deadline": dt.date(2024, 12, 7),
         "status": "未整改", "days_overdue": 205},
        {"finding_id": 2, "project": "信息化建设运维经费", "description": "资金支付进度滞后 ", "deadline": dt.date(2024, 12, 7),
         "status": "未整改", "days_overdue": 205},
        {"finding_id": 3, "project": None, "description": "制度不健全", "deadline": dt.date(2025, 5, 1),
         "status": "整改中", "days_overdue": 60}])
    qs = B.q_overdue(ctx(open_findings=opens, today=dt.date(2025, 6, 30)))
    assert len(qs) == 1                              # the same problem of two projects is one question; 60 ≤ 90 days
    assert "“城市照明设施维护”“信息化建设运维经费”的问题“资金支付进度滞后”" in qs[0].text and "同一问题 2 个" in qs[0].basis


def test_repeated_finding_names_the_project_and_the_earlier_finding():
    rep = pd.DataFrame([
        {"finding_id": 9, "project": "业务培训经费", "description": "绩效目标完成进度滞后", "status": "未整改",
         "earlier_year": 2023, "earlier_description": "绩效目标完成进度滞后"},
        {"finding_id": 11, "project": None, "description": "会议费超标准列支", "status": "整改中",
         "earlier_year": 2022, "earlier_description": "会议费超标准"},
    ], columns=REPEAT_COLS)
    qs = B.q_repeated_finding(ctx(repeats=rep))
    assert [q.figures["finding_id"] for q in qs] == [9, 11]
    assert qs[0].text.startswith("“业务培训经费”的问题“绩效目标完成进度滞后”2023年已经发现过同类问题，本年再次出现（现为未整改）")
    assert "部门层面的问题“会议费超标准列支”2022年已经发现过同类问题（当时为“会议费超标准”）" in qs[1].text
    assert B.q_repeated_finding(ctx()) == []


def test_unverified_names_the_findings_and_says_they_do_not_count():
    rows = pd.DataFrame({"description": ["专项资金未按期拨付", "合同台账不全", "资产未入账", "票据不规范"]})
    rect = {"summary": {"verified": 5, "reported_unverified": 4}, "unverified": rows}
    [q] = B.q_unverified(ctx(rectification=rect))
    assert q.text == "单位报称已整改的“专项资金未按期拨付”、“合同台账不全”、“资产未入账”等 4 个问题尚未核验，由谁、在什么时候、用什么方式核验？"
    assert "已核验 5 个" in q.basis and "不计入整改率" in q.basis
    assert B.q_unverified(ctx()) == []


def test_inflation_by_the_configured_gap():
    infl = pd.DataFrame([{"project_id": 5, "name": "政府购买服务经费", "self_score": 98.1, "independent_score": 85.8,
                          "independent_kind": "抽查复核", "gap": 12.3}])
    [q] = B.q_inflation(ctx(inflation=infl))
    assert "“政府购买服务经费”单位自评明显高于抽查复核" in q.text
    assert B.q_inflation(ctx(inflation=infl, rules=Rules(inflation_gap=15))) == []


def test_never_two_identical_questions():
    reds = pd.DataFrame([_red(1, "乡村道路养护", 0.20)])
    twice = [B.q_red_lag, B.q_red_lag]
    assert len(B.questions(ctx(warnings=reds), rules=twice)) == 1
    # and a rule added to QUESTION_RULES (the hook issue 25 uses) is asked in order
    extra = B.Question("extra", "“乡村道路养护”的目标是否量化？", "依据")
    qs = B.questions(ctx(warnings=reds), rules=[*B.QUESTION_RULES, lambda b: [extra, copy.copy(extra)]])
    assert qs[-1] is extra and [q.rule for q in qs] == ["red_lag", "extra"]


def test_result_application_one_question_per_flag_naming_the_projects():
    flags = pd.DataFrame([
        {"department_id": 7, "department": "区教育局", "rule": "RA1", "label": "连续两年中或差", "count": 2,
         "names": ["学生资助", "健康教育"]},
        {"department_id": 7, "department": "区教育局", "rule": "RA2", "label": "评价为差但下年预算增加", "count": 4,
         "names": ["校舍维修", "课后服务", "营养餐"]},
        {"department_id": 7, "department": "区教育局", "rule": "RA4", "label": "政策到期应评价", "count": 1,
         "names": ["教育资助政策"]},
    ], columns=APP_COLS)
    qs = B.q_result_application(ctx(application_flags=flags))
    assert [q.figures["flag"] for q in qs] == ["RA1", "RA2", "RA4"]
    assert qs[0].text == "“学生资助”“健康教育”连续两年评价为中或差，为什么仍继续安排，下年预算怎样调整？"
    assert qs[1].text.startswith("“校舍维修”“课后服务”“营养餐”等 4 个项目评价为差，下年预算却增加")
    assert qs[2].text == "政策“教育资助政策”已到评价期限，何时安排评价？"
    assert "出台超过 5 年的政策每 3 年至少评价一次" in qs[2].basis
    assert B.q_result_application(ctx()) == []


def test_target_quality_counts_by_rule_and_names_projects():
    tq = {"summary": {"flags": 5, "projects_flagged": 4, "by_rule": {"TQ1": 3, "TQ4": 2, "TQ8": 0}},
          "projects": pd.DataFrame({"project": ["乡村道路养护", "学校维修", "疾病预防控制"]})}
    [q] = B.q_target_quality(ctx(target_quality=tq))
    assert q.text.startswith("4 个项目的绩效目标有问题（")
    assert "3 处" in q.text and "2 处" in q.text and "0 处" not in q.text
    assert "如“乡村道路养护”、“学校维修”、“疾病预防控制”等。" in q.text
    assert q.figures["flags"] == 5 and "标记 5 处" in q.basis
    assert B.q_target_quality(ctx()) == []


def test_unanswered_inquiry_names_the_longest_overdue_questions():
    late = pd.DataFrame([
        {"inquiry_id": 4, "asker": "李代表", "question": "营养餐资金如何监管？", "asked_on": dt.date(2024, 9, 5),
         "due_on": dt.date(2024, 10, 5), "state": "逾期答复", "days_overdue": 10},
        {"inquiry_id": 3, "asker": "教科文卫工委", "question": "教师培训经费\n结余较多的原因？", "asked_on": dt.date(2024, 9, 10),
         "due_on": dt.date(2024, 9, 10), "state": "逾期未答复", "days_overdue": 20},
        {"inquiry_id": 5, "asker": None, "question": "校车运营补贴标准？", "asked_on": dt.date(2024, 9, 20),
         "due_on": dt.date(2024, 9, 25), "state": "逾期未答复", "days_overdue": 5},
    ], columns=INQUIRY_COLS)
    s = _inquiry_summary(asked=6, answered=3, reply_rate=0.5, overdue_unanswered=2, late_answered=1)
    [q] = B.q_unanswered_inquiry(ctx(inquiries={"summary": s, "overdue": late}))
    # 逾期答复 (answered late) asks nothing; the longest overdue first, its text on one line
    assert q.rule == "unanswered_inquiry" and q.figures["inquiry_ids"] == [3, 5]
    assert q.text == ("人大代表和委员会提出的“教师培训经费 结余较多的原因？”“校车运营补贴标准？”已过答复期限仍未答复，"
                      "最长的（教科文卫工委）已逾期 20 天。为什么没有按期答复，何时答复？")
    assert q.basis == "询问 6 个，已答复 3 个（答复率 50.0%），逾期未答复 2 个（按 2024-09-30 判断）"
    # only answered-late questions: silent
    quiet = {"summary": _inquiry_summary(asked=1, answered=1, reply_rate=1.0, late_answered=1), "overdue": late.head(1)}
    assert B.q_unanswered_inquiry(ctx(inquiries=quiet)) == []
    assert B.q_unanswered_inquiry(ctx()) == []
