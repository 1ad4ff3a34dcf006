"""The demo's 询问台账 (issue 26): a few dozen questions deputies and 人大 committees put to departments about their
projects — education, health, agriculture, social security, roads — most answered on time, some late, some still
unanswered past the due date, a few not yet due on the demo's today, with the askers' ratings.

`generate_inquiries(rng, depts, units, proj)` takes the column lists of data.py's departments, units and projects
and returns the `inquiries` column lists (ids from 1), drawn from `rng` only."""

from __future__ import annotations

import datetime as dt

import numpy as np

from dashboard.core.models import inquiry_key
from dashboard.core.vocab import DEPARTMENT_KINDS, VOTES

INQUIRY_COLUMNS = ("id", "year", "department_id", "unit_id", "project_id", "inquiry_key", "asker", "question",
                   "asked_on", "due_on", "answer", "answered_on", "rating")
TODAY = dt.date(2025, 6, 30)  # data.DEMO_TODAY: the day the demo is judged on
LATEST, EARLIER = 2024, 2023
SECTORS = ("教育", "卫生健康", "农林水", "社会保障和就业", "城乡社区", "交通运输")  # the fields deputies ask most about
SATISFIED, BASICALLY, UNSATISFIED = VOTES

COMMITTEES = {"教育": "教育科学文化卫生委员会", "卫生健康": "教育科学文化卫生委员会", "农林水": "农业与农村委员会",
              "社会保障和就业": "社会建设委员会", "城乡社区": "城乡建设环境保护委员会", "交通运输": "财政经济委员会"}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"

PROJECT_QUESTIONS = (
    ("“{p}”预算执行明显慢于序时进度，原因是什么，年底前能否完成？",
     "已督促实施单位加快进度，主要是前期招标延后，预计四季度完成支付。"),
    ("“{p}”的绩效目标只写了“按时完成”，能否细化为可衡量的数量和质量指标？",
     "已按要求修订绩效目标表，补充了数量、质量和满意度指标。"),
    ("“{p}”连续两年评价等级不高，下一步怎样改进，预算是否调整？",
     "已制定整改方案，下年度预算按评价结果压减，并加强过程监控。"),
    ("“{p}”的资金使用效益如何衡量，服务对象满意度是多少？",
     "项目设置了服务对象满意度指标，抽样调查满意度为 92%。"),
    ("“{p}”的结余资金为什么较多，是否存在预算编制偏大的问题？",
     "结余主要因政府采购节约，已按规定收回统筹，下年度按实际需求编制预算。"),
)
SECTOR_QUESTIONS = {
    "教育": (("学生营养改善计划资金如何监管，能否保证专款专用？", "已建立食材采购和资金支付台账，每学期公示。"),
             ("农村学校教师周转宿舍建设进度如何？", "已建成 3 栋，其余年内完工。")),
    "卫生健康": (("基层医疗卫生机构设备配置是否到位，使用率如何？", "已配置到位，正组织培训提高使用率。"),
                 ("村医补助能否按时足额发放？", "已按季度发放到个人账户。")),
    "农林水": (("高标准农田建设后的管护资金是否落实？", "已将管护经费纳入年度预算，由乡镇统筹管护。"),
               ("农业技术推广项目的实际增产效果有多少？", "示范区平均亩产提高约 8%，已形成评估报告。")),
    "社会保障和就业": (("就业补助资金的使用效果如何，培训后就业率是多少？", "参训人员就业率 68%，将提高订单式培训比例。"),
                       ("养老服务补贴的发放对象是否准确？", "已与民政、公安数据比对，清理不符合条件人员。")),
    "城乡社区": (("老旧小区改造项目的居民满意度如何？", "改造后入户调查满意度 90% 以上。"),
                 ("市政设施维护资金为何年年追加？", "主要因设施老化，已编制三年维护计划。")),
    "交通运输": (("农村公路养护资金是否按里程足额安排？", "已按省定标准安排，不足部分由区级统筹。"),
                 ("公交运营补贴如何与服务质量挂钩？", "已将准点率和乘客满意度纳入补贴考核。")),
}


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(0, len(seq)))]


def generate_inquiries(rng: np.random.Generator, depts: dict, units: dict, proj: dict) -> dict:
    """About 30 questions of the latest year and 10 of the year before, to the departments of SECTORS (others now and
    then): ~60% answered on time, ~15% late, ~15% unanswered past the due date, the rest not yet due on TODAY."""
    sector_of = dict(zip(depts["id"], depts["sector"]))
    kind_of = dict(zip(depts["id"], depts["kind"]))
    asked_depts = [d for d in depts["id"] if sector_of[d] in SECTORS and kind_of[d] == DEPARTMENT_KINDS[0]]
    asked_depts = asked_depts or list(depts["id"])
    others = [d for d in depts["id"] if d not in asked_depts]
    by_dept: dict[tuple[int, int], list[tuple[int, int | None, str]]] = {}
    for pid, year, dept, unit, name in zip(proj["id"], proj["year"], proj["department_id"], proj["unit_id"],
                                           proj["name"]):
        if "整体支出" in name:  # a department's whole spending is no project a deputy names
            continue
        by_dept.setdefault((year, dept), []).append((pid, unit, name))
    units_of: dict[int, list[int]] = {}
    for uid, dept in zip(units["id"], units["department_id"]):
        units_of.setdefault(dept, []).append(uid)
    out: dict[str, list] = {k: [] for k in INQUIRY_COLUMNS}
    seen: set[tuple[int, str]] = set()
    n_latest = int(np.clip(len(depts["id"]) // 2, 30, 300))
    for year, n in ((LATEST, n_latest), (EARLIER, max(10, n_latest // 3))):
        first_day = dt.date(year, 6, 1)
        last_day = TODAY - dt.timedelta(days=5) if year == LATEST else dt.date(year + 1, 3, 31)
        span = (last_day - first_day).days
        for _ in range(n):
            dept = _pick(rng, others) if others and rng.random() < 0.1 else _pick(rng, asked_depts)
            sector = sector_of[dept]
            projects = by_dept.get((year, dept), [])
            if projects and rng.random() < 0.65:
                pid, unit, name = _pick(rng, projects)
                question, answer = _pick(rng, PROJECT_QUESTIONS)
                question = question.format(p=name)
            else:
                pid = None
                unit = _pick(rng, units_of[dept]) if units_of.get(dept) and rng.random() < 0.3 else None
                question, answer = _pick(rng, SECTOR_QUESTIONS.get(sector, PROJECT_QUESTIONS[1:2]))
                question = question.format(p="本部门项目")
            if rng.random() < 0.35:
                asker = COMMITTEES.get(sector, "财政经济委员会")
            else:
                asker = f"{_pick(rng, SURNAMES)}{_pick(rng, ('建国', '丽', '伟', '芳', '强', '敏', '静', '军'))}代表"
            asked = first_day + dt.timedelta(days=int(rng.integers(0, span)))
            due = asked + dt.timedelta(days=int(_pick(rng, (15, 30, 30, 30, 60))))
            fate = rng.random() if year == LATEST else rng.random() * 0.74  # the earlier year: all answered
            if due >= TODAY and fate >= 0.6:
                fate = 0.95  # not yet due: still open, not overdue
            answered_on, rating, answer_text = None, None, answer
            if fate < 0.6:  # answered on time
                answered_on = asked + dt.timedelta(days=int(rng.integers(5, (due - asked).days + 1)))
                rating = _pick(rng, (SATISFIED, SATISFIED, SATISFIED, BASICALLY, BASICALLY, UNSATISFIED, None))
            elif fate < 0.75:  # answered late
                answered_on = due + dt.timedelta(days=int(rng.integers(3, 45)))
                rating = _pick(rng, (BASICALLY, UNSATISFIED, UNSATISFIED, SATISFIED, None))
            if answered_on is None or answered_on > TODAY:  # not answered (yet, on the demo's today)
                answered_on, rating, answer_text = None, None, None
            key = inquiry_key(asker, asked, question)
            if (year, key) in seen:
                continue
            seen.add((year, key))
            values = {"id": len(out["id"]) + 1, "year": year, "department_id": dept, "unit_id": unit,
                      "project_id": pid, "inquiry_key": key, "asker": asker, "question": question, "asked_on": asked,
                      "due_on": due, "answer": answer_text, "answered_on": answered_on, "rating": rating}
            for k, v in values.items():
                out[k].append(v)
    return out
