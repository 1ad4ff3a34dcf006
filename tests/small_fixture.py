"""A small hand-built database whose figures the tests state by hand (see the comments for each figure).

Year 2022, monitoring as of 2022-08-31 (time progress 243/365 = 66.575%); `TODAY` = 2023-03-31.
"""

from __future__ import annotations

import datetime as dt

from dashboard.core import db, writes
from dashboard.core.models import (
    Department,
    Evaluation,
    Finding,
    ImportBatch,
    MonitoringRecord,
    Project,
    Unit,
    evaluation_object_key,
    finding_key,
)
from tests.sessions import session_scope

TODAY = dt.date(2023, 3, 31)
AUG = dt.date(2022, 8, 31)


def build(url: str) -> dict[str, int]:
    """Create the schema and the fixture rows; returns ids by short name."""
    db.init_db(url)
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        batch = ImportBatch(created_at=dt.datetime(2023, 1, 5, 9, 30), user="fixture", source="import",
                            files=[{"name": "fixture.xlsx", "sha256": "0" * 64}], counts={})
        s.add(batch)
        s.flush()

        def add(obj, key):
            obj.created_batch_id = obj.batch_id = batch.id
            s.add(obj)
            s.flush()
            ids[key] = obj.id
            return obj

        add(Department(code="101", name="青山区教育局", kind="部门", sector="教育"), "D1")
        add(Department(code="102", name="青山区卫生健康委员会", kind="部门", sector="卫生"), "D2")
        add(Department(code="201", name="青山区青山镇人民政府", kind="乡镇街道"), "D3")
        add(Unit(department_id=ids["D1"], code="101001", name="青山区教育局本级"), "U1")
        add(Unit(department_id=ids["D1"], code="101002", name="青山区第一中学"), "U2")
        add(Unit(department_id=ids["D2"], code="102001", name="青山区卫生健康委员会本级"), "U3")
        add(Unit(department_id=ids["D3"], code="201001", name="青山区青山镇人民政府本级", kind="乡镇街道"), "U4")

        gp, gf = "一般公共预算", "政府性基金预算"

        def project(key, year, code, name, dept, unit, adjusted, target, fund=gp, initial=None):
            add(Project(year=year, code=code, name=name, department_id=ids[dept], unit_id=ids[unit],
                        category="项目支出", fund_source=fund, initial_budget=initial, adjusted_budget=adjusted,
                        has_target=target, is_key=False), key)

        # 2022: budget 1000 in all; targets on P1 P2 P4 P5 P6 (5 of 7, 700 万元)
        project("P1", 2022, "A1", "学生营养改善计划", "D1", "U1", 100.0, True, initial=80.0)
        project("P2", 2022, "A2", "校舍维修改造", "D1", "U2", None, True, initial=50.0)  # budget = initial 50
        project("P3", 2022, "A3", "城乡学校建设（一期）", "D1", "U2", 200.0, False, fund=gf)
        project("P4", 2022, "B1", "基本公共卫生服务", "D2", "U3", 300.0, True)
        project("P5", 2022, "B2", "疾病预防控制", "D2", "U3", 150.0, True)
        project("P6", 2022, "C1", "农村公路养护", "D3", "U4", 100.0, True)
        project("P7", 2022, "C2", "人居环境整治", "D3", "U4", 100.0, None)
        # 2021: two projects, both with targets, no other records
        project("Q1", 2021, "A1", "学生营养改善计划", "D1", "U1", 90.0, True)
        project("Q4", 2021, "B1", "基本公共卫生服务", "D2", "U3", 280.0, True)

        def mon(key, project_key, as_of, executed, budget=None, target_progress=None, latest=True, reason=None):
            add(MonitoringRecord(project_id=ids[project_key], as_of=as_of, executed=executed,
                                 adjusted_budget=budget, target_progress=target_progress, is_latest=latest,
                                 deviation_reason=reason), key)

        mon("M1a", "P1", dt.date(2022, 6, 30), 10.0, latest=False)
        mon("M1", "P1", AUG, 60.0)                       # 60 / 100 = 60%, lag 6.6 → green
        mon("M2", "P2", AUG, 28.0)                       # 28 / 50 = 56%, lag 10.6 → yellow
        mon("M3", "P3", AUG, 80.0, reason="工程进度滞后")  # 80 / 200 = 40%, lag 26.6 → red (no target)
        mon("M4", "P4", AUG, 150.0, budget=250.0, target_progress=0.40)  # 60% green, target lag 26.6 → red
        mon("M6", "P6", AUG, 120.0)                      # 120% → green (over-executed)
        # P5 has a target and no record → grey; P7 has neither

        def ev(key, kind, score, dept, project_key=None, grade=None, obj="项目支出", name=None, change=None):
            pid = ids[project_key] if project_key else None
            add(Evaluation(year=2022, kind=kind, object_type=obj, project_id=pid, department_id=ids[dept],
                           object_key=evaluation_object_key(pid, ids[dept], name), object_name=name,
                           score=score, grade=grade, next_year_budget_change=change), key)

        ev("E1", "单位自评", 95.0, "D1", "P1", "优")
        ev("E2", "抽查复核", 84.0, "D1", "P1", "良")      # P1: 95 − 84 = 11 → flagged
        ev("E10", "财政重点评价", 94.0, "D1", "P1", "优")  # not used: 抽查复核 is preferred
        ev("E3", "单位自评", 92.0, "D2", "P4", "优")
        ev("E4", "财政重点评价", 88.0, "D2", "P4", "良")  # 优 vs 良 → flagged
        ev("E5", "单位自评", 89.99, "D3", "P6", "良")
        ev("E6", "财政重点评价", 90.0, "D3", "P6", "优")   # self lower → not flagged
        ev("E7", "财政重点评价", 78.0, "D2", None, "中", obj="部门整体支出", name="青山区卫生健康委员会部门整体支出")
        ev("E8", "部门评价", 56.0, "D1", "P2", "差", change=-20.0)
        ev("E9", "单位自评", None, "D1", "P3", "良")

        def fd(key, dept, project_key, desc, status, deadline, completed=None):
            pid = ids[project_key] if project_key else None
            # every 已整改 finding was also verified (已核验, issue 25), so 整改率 counts it under the default basis
            verified = completed + dt.timedelta(days=10) if status == "已整改" else None
            add(Finding(year=2022, source="财政重点评价", department_id=ids[dept], project_id=pid, description=desc,
                        finding_key=finding_key(ids[dept], pid, desc), status=status, deadline=deadline,
                        original_deadline=deadline, completed_on=completed, verified_on=verified,
                        verified_by="区财政局绩效科" if verified else None,
                        verification_method="查阅整改报告及凭证" if verified else None), key)

        fd("F1", "D1", "P1", "绩效目标不够细化", "已整改", dt.date(2022, 12, 31), dt.date(2022, 11, 15))
        fd("F2", "D1", "P2", "资金支付进度滞后", "整改中", dt.date(2023, 3, 31))       # due today: not overdue
        fd("F3", "D1", "P3", "项目验收资料不完整", "未整改", dt.date(2023, 3, 30))     # 1 day overdue
        fd("F4", "D2", "P4", "专项资金管理不规范", "整改中", dt.date(2022, 12, 1))     # 120 days
        fd("F5", "D2", None, "内控制度不健全", "已整改", dt.date(2022, 10, 1), dt.date(2022, 12, 20))
        fd("F6", "D3", "P6", "台账记录不完整", "未整改", None)
        fd("F7", "D3", "P6", "养护质量未达标", "未整改", dt.date(2022, 9, 1))          # 211 days
        writes.bump_data_version(s.connection())
    return ids
