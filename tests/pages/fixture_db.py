"""A small hand-made database for the page tests, with every figure the tests assert worked out below.

Three 主管部门, ten 2024 projects and three 2023 projects. "Today" for the tests is 2025-03-31.

2024 (monitoring as of 2024-08-31, a leap year: 序时进度 T = 244/366 = 66.67%)
  code   dept   budget  target  executed  rate   lag     light
  JY-01  教育局  1000    yes     600       60%    6.67    green
  JY-02  教育局   500    yes     200       40%   26.67    red
  JY-03  教育局   200    no      150       75%     —      green (no target, still reported)
  WJ-01  卫健委  3000    yes    1500       50%   16.67    yellow
  WJ-02  卫健委   800    yes     560       70%     —      green
  WJ-03  卫健委   400*   yes      —         —      —      grey (*initial budget only, no record)
  NY-01  农业局 12000    yes    4800       40%   26.67    red
  NY-02  农业局   300    no       —         —      —      (no target, no record: not grey)
  NY-03  农业局  1500    yes    1200       80%     —      green
  NY-04  农业局   100    yes      30       30%   36.67    red
  budget 19,800 万元 (1.98 亿元); with targets 8 projects / 19,300 万元 → 97.5% by money, 80.0% by count;
  lights green 4, yellow 1, red 3, grey 1; execution 9,040 / 19,100 = 47.3%.
  Fixed checkpoints (60% at end of August): red = JY-02, WJ-01, NY-01, NY-04 (4).

  evaluations: JY-01 单位自评 95 / 财政重点评价 82 (gap 13 → 自评虚高), WJ-01 单位自评 92 / 抽查复核 88
  (优 vs 良 → 自评虚高), NY-01 财政重点评价 58 差 (下年 −2,000), NY-03 部门评价 85, 卫健委部门整体支出
  财政重点评价 75 (−100), WJ-02 单位自评 90; 8 records, 优 3 良 3 中 1 差 1, mean 83.1.

  findings (today 2025-03-31): JY-02 未整改 due 2024-12-31 (90 days overdue), JY-01 已整改 2024-10-15,
  WJ-01 整改中 due 2025-06-30, NY-01 未整改 due 2024-06-30 (274 days), NY-04 已整改 2024-11-20,
  农业局 (no project) 整改中 due 2025-03-01 (30 days); 6 findings, 2 rectified (33.3%), 3 overdue.

Composite 2024 (weights 20/20/30/20/10): 教育局 76.55, 卫健委 70.89, 农业局 62.09 → ranks 1, 2, 3;
2023: 农业局 100.0, 教育局 95.5, 卫健委 62.4 → ranks 1, 2, 3, so 教育局 +1, 卫健委 +1, 农业局 −2.
"""

from __future__ import annotations

import datetime as dt

from dashboard.core import db
from dashboard.core.models import (
    Department,
    Evaluation,
    Finding,
    ImportBatch,
    Meta,
    MonitoringRecord,
    Project,
    Unit,
    evaluation_object_key,
    finding_key,
)
from tests.sessions import session_scope

TODAY = "2025-03-31"
D = dt.date


def build(url: str) -> dict[str, int]:
    """Create the schema and the rows; returns ids by a readable key (dept codes, project codes 'JY-01@2024')."""
    db.init_db(url)
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        batch = ImportBatch(created_at=dt.datetime(2025, 3, 1, 10, 0), user="tester", source="import",
                            files=[{"name": "测试数据.xlsx", "sha256": "0" * 64, "sheets": ["项目"]}],
                            counts={}, status="committed")
        s.add(batch)
        s.flush()
        depts = {}
        for code, name in (("101", "区教育局"), ("102", "区卫健委"), ("103", "区农业农村局")):
            depts[code] = Department(code=code, name=name, kind="部门", created_batch_id=batch.id, batch_id=batch.id)
            s.add(depts[code])
        s.flush()
        units = {}
        for key, code, name, dept in (("jy", "101001", "区教育局本级", "101"), ("zx", "101002", "区第一中学", "101"),
                                      ("wj", "102001", "区卫健委本级", "102"), ("ny", "103001", "区农业农村局本级", "103")):
            units[key] = Unit(code=code, name=name, department_id=depts[dept].id, kind="部门")
            s.add(units[key])
        s.flush()
        for code, d in depts.items():
            ids[code] = d.id

        def project(year, code, name, dept, unit, budget, target, fund="一般公共预算", initial=None):
            p = Project(year=year, code=code, name=name, department_id=depts[dept].id, unit_id=units[unit].id,
                        fund_source=fund, initial_budget=initial if initial is not None else budget,
                        adjusted_budget=None if initial is not None else budget, has_target=target,
                        category="项目支出", created_batch_id=batch.id, batch_id=batch.id)
            s.add(p)
            s.flush()
            ids[f"{code}@{year}"] = p.id
            return p

        P = {}
        P["JY-01"] = project(2024, "JY-01", "义务教育营养改善计划", "101", "jy", 1000, True)
        P["JY-02"] = project(2024, "JY-02", "校舍维修改造", "101", "zx", 500, True)
        P["JY-03"] = project(2024, "JY-03", "教师培训", "101", "jy", 200, False)
        P["WJ-01"] = project(2024, "WJ-01", "基层医疗设备购置", "102", "wj", 3000, True, fund="政府性基金预算")
        P["WJ-02"] = project(2024, "WJ-02", "免疫规划疫苗接种", "102", "wj", 800, True)
        P["WJ-03"] = project(2024, "WJ-03", "基本公共卫生服务", "102", "wj", None, True, initial=400)
        P["NY-01"] = project(2024, "NY-01", "高标准农田建设", "103", "ny", 12000, True, fund="政府性基金预算")
        P["NY-02"] = project(2024, "NY-02", "农机购置补贴", "103", "ny", 300, False)
        P["NY-03"] = project(2024, "NY-03", "乡村振兴衔接资金", "103", "ny", 1500, True)
        P["NY-04"] = project(2024, "NY-04", "动物防疫", "103", "ny", 100, True)
        Q = {}
        Q["JY-01"] = project(2023, "JY-01", "义务教育营养改善计划", "101", "jy", 900, True)
        Q["WJ-01"] = project(2023, "WJ-01", "基层医疗设备购置", "102", "wj", 2500, True, fund="政府性基金预算")
        Q["NY-01"] = project(2023, "NY-01", "高标准农田建设", "103", "ny", 10000, True, fund="政府性基金预算")

        def monitor(p, as_of, executed, reason=None, likelihood=None):
            s.add(MonitoringRecord(project_id=p.id, as_of=as_of, adjusted_budget=p.adjusted_budget or p.initial_budget,
                                   executed=executed, deviation_reason=reason, likelihood=likelihood,
                                   is_latest=True, created_batch_id=batch.id, batch_id=batch.id))

        aug = D(2024, 8, 31)
        monitor(P["JY-01"], aug, 600)
        monitor(P["JY-02"], aug, 200, "施工单位招标延期", "有可能")
        monitor(P["JY-03"], aug, 150)
        monitor(P["WJ-01"], aug, 1500, "设备到货延迟", "确定能")
        monitor(P["WJ-02"], aug, 560)
        monitor(P["NY-01"], aug, 4800, "项目区土地流转未完成", "有可能")
        monitor(P["NY-03"], aug, 1200)
        monitor(P["NY-04"], aug, 30, "疫苗采购计划调整", "完全不可能")
        aug23 = D(2023, 8, 31)
        monitor(Q["JY-01"], aug23, 600)
        monitor(Q["WJ-01"], aug23, 500, "设备采购流标")
        monitor(Q["NY-01"], aug23, 7000)

        def evaluate(year, kind, score, p=None, dept=None, name=None, change=None, problems=None,
                     deputies=False, application=None, obj="项目支出"):
            dept_id = p.department_id if p is not None else depts[dept].id
            s.add(Evaluation(year=year, kind=kind, object_type=obj,
                             object_key=evaluation_object_key(p.id if p else None, dept_id, name),
                             object_name=name or (p.name if p else None), project_id=p.id if p else None,
                             department_id=dept_id, unit_id=p.unit_id if p else None,
                             fund_amount=(p.adjusted_budget or p.initial_budget) if p else 4200.0,
                             score=score, evaluator="第三方机构" if kind == "财政重点评价" else None,
                             deputies_participated=deputies, main_problems=problems,
                             result_application=application, next_year_budget_change=change,
                             created_batch_id=batch.id, batch_id=batch.id))

        evaluate(2024, "单位自评", 95, P["JY-01"])
        evaluate(2024, "财政重点评价", 82, P["JY-01"], change=50, problems="部分学校食材验收记录不全",
                 application="保障")
        evaluate(2024, "单位自评", 92, P["WJ-01"])
        evaluate(2024, "抽查复核", 88, P["WJ-01"])
        evaluate(2024, "财政重点评价", 58, P["NY-01"], change=-2000, problems="进度滞后，资金闲置",
                 deputies=True, application="压减下年预算")
        evaluate(2024, "部门评价", 85, P["NY-03"], change=0)
        evaluate(2024, "财政重点评价", 75, dept="102", name="区卫健委部门整体支出", change=-100,
                 obj="部门整体支出", application="压减")
        evaluate(2024, "单位自评", 90, P["WJ-02"])
        evaluate(2023, "财政重点评价", 88, Q["JY-01"])
        evaluate(2023, "单位自评", 70, Q["WJ-01"])

        def finding(year, dept, description, status, deadline, p=None, completed=None, source="财政重点评价"):
            dept_id = depts[dept].id
            s.add(Finding(year=year, source=source, department_id=dept_id, project_id=p.id if p else None,
                          unit_id=p.unit_id if p else None,
                          finding_key=finding_key(dept_id, p.id if p else None, description),
                          description=description, requirement="限期整改并报送整改报告", deadline=deadline,
                          status=status, completed_on=completed, created_batch_id=batch.id, batch_id=batch.id,
                          # every 已整改 finding was also verified (已核验, issue 25): 整改率 counts it by default
                          original_deadline=deadline,
                          verified_on=completed + dt.timedelta(days=10) if status == "已整改" else None,
                          verified_by="区财政局绩效科" if status == "已整改" else None,
                          verification_method="查阅整改报告及凭证" if status == "已整改" else None))

        finding(2024, "101", "校舍维修进度滞后", "未整改", D(2024, 12, 31), P["JY-02"], source="绩效监控")
        finding(2024, "101", "营养餐资金拨付不及时", "已整改", D(2024, 10, 31), P["JY-01"], completed=D(2024, 10, 15))
        finding(2024, "102", "设备采购未按计划实施", "整改中", D(2025, 6, 30), P["WJ-01"])
        finding(2024, "103", "项目资金闲置", "未整改", D(2024, 6, 30), P["NY-01"])
        finding(2024, "103", "防疫物资台账不全", "已整改", D(2024, 9, 30), P["NY-04"], completed=D(2024, 11, 20))
        finding(2024, "103", "部门绩效目标编制不规范", "整改中", D(2025, 3, 1), source="部门评价")
        finding(2023, "102", "设备采购流标", "已整改", D(2023, 12, 31), Q["WJ-01"], completed=D(2023, 12, 1))
        s.add(Meta(key="data_version", value="1"))
    return ids
