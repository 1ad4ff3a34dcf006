"""A small hand-built database for verified rectification (issue 25); every figure is worked out in the comments.

Judged on TODAY = 2025-03-31. Two departments, one unit each, one project each in 2024.
2024 findings:
  F1 D1/U1 已整改, verified 2025-01-10, deadline 2024-12-31, 问题类别 资金管理 → repeats E1 (same unit, same 类别)
  F2 D1/U1 已整改, NOT verified, deadline 2025-06-30, original 2025-03-30 (one extension)
  F3 D1/U1 整改中, deadline 2025-03-30 (1 day overdue), 历史遗留 with a reason → excluded
  F4 D2/U2 未整改, deadline 2025-03-31 (due today: not overdue), original 2025-01-31 (overdue on it; two
     extensions), 客观原因 WITHOUT a reason → not excluded; text 0.8 like E2's → repeats E2
  F5 D2/U2 已整改, verified 2025-02-01, 客观原因 with a reason → excluded (verified, but out of 综合整改率)
2023 findings: E1 D1/U1 资金管理 "结余资金未上缴"; E2 D2/U2 "设备采购流程不规范".
Figures (all departments, 2024): total 5; 已整改 3; verified 2 (F1 F5); reported_unverified 1 (F2); overdue 1 (F3);
overdue_original 2 (F3 F4); extended 2 (F2 F4); excluded 2 (F3 F5); verified and not excluded 1 (F1);
整改率 (verified) 2/5, (reported) 3/5; 直接落实率 2/5; 综合整改率 1/(5−2); 屡审屡犯 2 (F1 F4).
Per department: D1 total 3, verified 1 → 整改率 1/3, 综合 1/(3−1); D2 total 2, verified 1 → 1/2, 综合 0/(2−1).
Votes 2024: U1 10 / 4 / 1; D2 (no unit) 5 / 5 / 5.
"""

from __future__ import annotations

import datetime as dt

from dashboard.core import db, writes
from dashboard.core.models import (
    Department,
    Finding,
    FindingExtension,
    ImportBatch,
    Project,
    SatisfactionVote,
    Unit,
    finding_key,
)
from tests.sessions import session_scope

TODAY = dt.date(2025, 3, 31)
D = dt.date


def build(url: str) -> dict[str, int]:
    db.init_db(url)
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        batch = ImportBatch(created_at=dt.datetime(2025, 3, 1, 9, 0), user="fixture", source="import",
                            files=[{"name": "fixture.xlsx", "sha256": "0" * 64}], counts={})
        s.add(batch)
        s.flush()

        def add(obj, key):
            obj.created_batch_id = obj.batch_id = batch.id
            s.add(obj)
            s.flush()
            ids[key] = obj.id
            return obj

        add(Department(code="101", name="青山区教育局", kind="部门"), "D1")
        add(Department(code="102", name="青山区卫生健康委员会", kind="部门"), "D2")
        add(Unit(department_id=ids["D1"], code="101001", name="青山区第一中学"), "U1")
        add(Unit(department_id=ids["D2"], code="102001", name="青山区人民医院"), "U2")
        for key, dept, unit, code, name in (("P1", "D1", "U1", "P1", "校舍维修"), ("P2", "D2", "U2", "P2", "设备购置")):
            add(Project(year=2024, code=code, name=name, department_id=ids[dept], unit_id=ids[unit],
                        category="项目支出", fund_source="一般公共预算", adjusted_budget=100.0, has_target=True,
                        is_key=False), key)

        def fd(key, year, dept, unit, desc, status, deadline, original=None, verified=None, category=None,
               exclusion=None, reason=None):
            add(Finding(year=year, source="财政重点评价", department_id=ids[dept], unit_id=ids[unit], description=desc,
                        finding_key=finding_key(ids[dept], None, desc), status=status, deadline=deadline,
                        original_deadline=original or deadline, verified_on=verified,
                        verified_by="区财政局" if verified else None, verification_method="现场核查" if verified else None,
                        category=category, exclusion=exclusion, exclusion_reason=reason), key)

        fd("E1", 2023, "D1", "U1", "结余资金未上缴", "已整改", D(2023, 12, 31), verified=D(2024, 1, 5), category="资金管理")
        fd("E2", 2023, "D2", "U2", "设备采购流程不规范", "已整改", D(2023, 12, 31))
        fd("F1", 2024, "D1", "U1", "专项资金被挤占挪用", "已整改", D(2024, 12, 31), verified=D(2025, 1, 10),
           category="资金管理")
        fd("F2", 2024, "D1", "U1", "绩效目标不细化", "已整改", D(2025, 6, 30), original=D(2025, 3, 30), category="绩效目标")
        fd("F3", 2024, "D1", "U1", "校舍产权手续不全", "整改中", D(2025, 3, 30), exclusion="历史遗留",
           reason="2010年建成的校舍，原始产权资料已灭失")
        fd("F4", 2024, "D2", "U2", "设备采购流程不规范问题", "未整改", D(2025, 3, 31), original=D(2025, 1, 31),
           exclusion="客观原因")
        fd("F5", 2024, "D2", "U2", "药品库存账实不符", "已整改", D(2024, 12, 31), verified=D(2025, 2, 1),
           exclusion="客观原因", reason="上级药品集采政策调整")

        def ext(key, finding, old, new, reason):
            add(FindingExtension(finding_id=ids[finding], old_deadline=old, new_deadline=new, reason=reason,
                                 approved_by="区政府", recorded_at=dt.datetime(2025, 3, 1, 9, 0), recorded_by="fixture"),
                key)

        ext("X1", "F2", D(2025, 3, 30), D(2025, 6, 30), "需随下年预算调整")
        ext("X2", "F4", D(2025, 1, 31), D(2025, 2, 28), "供应商变更")
        ext("X3", "F4", D(2025, 2, 28), D(2025, 3, 31), "重新招标")
        add(SatisfactionVote(year=2024, department_id=ids["D1"], unit_id=ids["U1"], subject_key=f"u:{ids['U1']}",
                             subject="2024年度整改情况", satisfied=10, basically=4, unsatisfied=1), "V1")
        add(SatisfactionVote(year=2024, department_id=ids["D2"], unit_id=None, subject_key=f"d:{ids['D2']}",
                             subject="2024年度整改情况", satisfied=5, basically=5, unsatisfied=5), "V2")
        writes.bump_data_version(s.connection())
    return ids
