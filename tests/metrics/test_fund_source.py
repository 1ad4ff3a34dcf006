"""A project without 资金来源 (an optional column) is counted under 未填资金来源 on the 资金覆盖 page's 按资金来源
section, on both engines (the coalesce once inherited the column's Enum type and refused that label)."""

from __future__ import annotations

import datetime as dt

from dashboard import metrics
from dashboard.core.settings import Rules
from data_loaders.importer import import_files

PROJECTS = (
    "年度,主管部门,项目编码,项目名称,年初预算（万元）,资金来源,是否设定绩效目标\n"
    "2024,区教育局,A-1,校舍维修,100,一般公共预算,是\n"
    "2024,区教育局,A-2,教师培训,50,,否\n"
    "2024,区卫健委,B-1,疫苗采购,30,,是\n"
)


def test_projects_without_a_fund_source_are_counted_under_their_own_label(db_url):
    result = import_files(db_url, [("p.csv", PROJECTS.encode())])
    assert result.ok, [str(p) for p in result.errors]
    q = metrics.Query(db_url, metrics.prepare(db_url), metrics.Scope(year=2024), Rules(), dt.date(2024, 12, 31))
    df = metrics.coverage_by_fund_source(q).set_index("fund_source")
    assert df.loc["未填资金来源", "projects"] == 2 and df.loc["未填资金来源", "budget"] == 80.0
    assert df.loc["未填资金来源", "target_budget"] == 30.0
    assert df.loc["一般公共预算", "projects"] == 1 and df.loc["一般公共预算", "budget"] == 100.0
    assert list(df.index) == ["一般公共预算", "未填资金来源"]  # largest budget first
