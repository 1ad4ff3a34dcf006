"""The canonical tables an import produces: each field's internal name, Chinese header and type.

The reader maps whatever headers a file has onto these fields (synonyms live in headers.py);
the importer writes them to the database. docs/data-formats.md documents the same list and a
test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.core import vocab

# field types (defined in dashboard.core.vocab, re-exported here for the readers): text, code, money (万元, ≥0),
# signed_money (万元, may be negative), number, percent (stored as a fraction), score (0–100), date,
# bool, year (int), and enum (one of Field.enum)
from dashboard.core.vocab import (
    BOOL,
    CODE,
    DATE,
    ENUM,
    MONEY,
    NUMBER,
    PERCENT,
    SCORE,
    SIGNED_MONEY,
    TEXT,
    YEAR,
)


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # canonical Chinese header (the template's)
    type: str
    enum: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    kind: str
    label: str  # the template's sheet name
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


UNITS = TableSpec("units", "部门单位", (
    Field("department_code", "主管部门编码", CODE),
    Field("department", "主管部门", TEXT, required=True),
    Field("unit_code", "单位编码", CODE),
    Field("unit", "单位名称", TEXT, required=True),
    Field("unit_kind", "单位类型", ENUM, vocab.DEPARTMENT_KINDS),
    Field("sector", "所属领域", TEXT),
    # who the 绩效科 calls when the unit has not reported a round (报送情况): units.contact / units.phone
    Field("contact", "联系人", TEXT),
    Field("phone", "联系电话", TEXT),
))

PROJECTS = TableSpec("projects", "项目", (
    Field("year", "年度", YEAR, required=True),
    Field("department", "主管部门", TEXT),
    Field("unit", "预算单位", TEXT),
    Field("project_code", "项目编码", CODE),
    Field("project_name", "项目名称", TEXT),
    Field("category", "项目类别", ENUM, vocab.PROJECT_CATEGORIES),
    Field("fund_source", "资金来源", ENUM, vocab.FUND_SOURCES),
    Field("initial_budget", "年初预算", MONEY),
    Field("adjusted_budget", "调整后预算", MONEY),
    Field("has_target", "是否设定绩效目标", BOOL),
    Field("target_grade", "目标审核等级", ENUM, vocab.GRADES),
    Field("ex_ante_result", "事前评估结论", ENUM, vocab.EX_ANTE_RESULTS),
    Field("is_key", "是否重点项目", BOOL),
    Field("peer_group", "同类项目分组", TEXT),
))

MONITORING = TableSpec("monitoring", "绩效监控", (
    Field("year", "年度", YEAR, required=True),
    Field("as_of", "监控截止日期", DATE, required=True),
    Field("department", "主管部门", TEXT),
    Field("unit", "预算单位", TEXT),
    Field("project_code", "项目编码", CODE),
    Field("project_name", "项目名称", TEXT),
    Field("adjusted_budget", "调整后预算", MONEY),
    Field("executed", "执行数", MONEY),
    Field("execution_rate", "执行率", PERCENT),
    Field("target_progress", "目标完成进度", PERCENT),
    Field("deviation_reason", "偏差原因", TEXT),
    Field("likelihood", "完成目标可能性", ENUM, vocab.LIKELIHOODS),
    Field("needs_rectification", "是否需要整改", BOOL),
    Field("rectification_requirement", "整改要求", TEXT),
))

EVALUATIONS = TableSpec("evaluations", "绩效评价", (
    Field("year", "年度", YEAR, required=True),
    Field("kind", "评价类型", ENUM, vocab.EVALUATION_KINDS, required=True),
    Field("object_type", "评价对象类型", ENUM, vocab.EVALUATION_OBJECTS),
    Field("department", "主管部门", TEXT),
    Field("unit", "预算单位", TEXT),
    Field("project_code", "项目编码", CODE),
    Field("project_name", "项目名称", TEXT),
    Field("fund_amount", "资金规模", MONEY),
    Field("executed", "全年执行数", MONEY),
    Field("score", "得分", SCORE),
    Field("grade", "等级", ENUM, vocab.GRADES),
    Field("evaluator", "评价机构", TEXT),
    Field("deputies_participated", "人大代表参与", BOOL),
    Field("main_problems", "主要问题", TEXT),
    Field("result_application", "结果应用", TEXT),
    Field("next_year_budget_change", "下年预算调整", SIGNED_MONEY),
    Field("result_class", "结果应用类别", ENUM, vocab.RESULT_CLASSES),
    Field("policy_since", "政策出台年度", YEAR),
))

FINDINGS = TableSpec("findings", "问题整改", (
    Field("year", "年度", YEAR, required=True),
    Field("source", "问题来源", TEXT),
    Field("department", "主管部门", TEXT),
    Field("unit", "预算单位", TEXT),
    Field("project_code", "项目编码", CODE),
    Field("project_name", "项目名称", TEXT),
    Field("description", "问题描述", TEXT, required=True),
    Field("requirement", "整改要求", TEXT),
    Field("deadline", "整改时限", DATE),
    Field("status", "整改状态", ENUM, vocab.FINDING_STATUSES, required=True),
    Field("completed_on", "完成日期", DATE),
    Field("measures", "整改措施", TEXT),
    Field("amount", "涉及金额", MONEY),
    Field("problem_category", "问题类别", TEXT),  # stored in findings.category
    Field("original_deadline", "原定整改时限", DATE),
    Field("extension_reason", "延期原因", TEXT),
    Field("extension_approver", "延期批准人", TEXT),
    Field("verified_on", "核验日期", DATE),
    Field("verified_by", "核验人", TEXT),
    Field("verification_method", "核验方式", TEXT),
    Field("exclusion", "特殊情形", ENUM, vocab.FINDING_EXCLUSIONS),
    Field("exclusion_reason", "特殊情形说明", TEXT),
))

# Rows must name 主管部门 or 预算单位 (a known unit gives its department), and projects need 项目编码 or 项目名称.
ONE_OF = {
    "projects": (("department", "unit"), ("project_code", "project_name")),
    "monitoring": (("department", "unit"), ("project_code", "project_name")),
    "evaluations": (("department", "unit"),),
    "findings": (("department", "unit"),),
    "indicators": (("department", "unit"), ("project_code", "project_name")),
}

# 绩效指标: one row per indicator of a project at a stage. Values are read as written (text) and parsed into
# comparator / number / unit by dashboard.core.rules.indicator_columns when they are written.
INDICATORS = TableSpec("indicators", "绩效指标", (
    Field("year", "年度", YEAR, required=True),
    Field("stage", "阶段", ENUM, vocab.STAGES, required=True),
    Field("department", "主管部门", TEXT),
    Field("unit", "预算单位", TEXT),
    Field("project_code", "项目编码", CODE),
    Field("project_name", "项目名称", TEXT),
    Field("level1", "一级指标", TEXT),
    Field("level2", "二级指标", TEXT),
    Field("name", "三级指标", TEXT, required=True),
    Field("comparator", "指标性质", TEXT),
    Field("target", "指标值", TEXT),
    Field("measure_unit", "度量单位", TEXT),
    Field("actual", "实际完成值", TEXT),
    Field("current", "截至目前完成值", TEXT),
    Field("expected", "全年预计完成值", TEXT),
    Field("weight", "分值", NUMBER),
    Field("score", "得分", SCORE),
    Field("deviation_reason", "偏差原因", TEXT),
    Field("likelihood", "完成目标可能性", ENUM, vocab.LIKELIHOODS),
))

# 人大 满意度测评 of units' rectification reports: one row per year and unit (or 主管部门 without a unit)
SATISFACTION = TableSpec("satisfaction", "整改满意度测评", (
    Field("year", "年度", YEAR, required=True),
    Field("department", "主管部门", TEXT),
    Field("unit", "预算单位", TEXT),
    Field("subject", "测评事项", TEXT),
    Field("satisfied", "满意票数", NUMBER, required=True),
    Field("basically", "基本满意票数", NUMBER, required=True),
    Field("unsatisfied", "不满意票数", NUMBER, required=True),
))
ONE_OF["satisfaction"] = (("department", "unit"),)

# 询问台账: a deputy's or a committee's question to a department (or unit, or project), its answer and the asker's
# rating; one row per question, identified within a year by 询问人 + 询问日期 + 询问内容 (models.inquiry_key)
INQUIRIES = TableSpec("inquiries", "询问台账", (
    Field("year", "年度", YEAR, required=True),
    Field("department", "主管部门", TEXT),
    Field("unit", "预算单位", TEXT),
    Field("project_code", "项目编码", CODE),
    Field("project_name", "项目名称", TEXT),
    Field("asker", "询问人", TEXT),
    Field("question", "询问内容", TEXT, required=True),
    Field("asked_on", "询问日期", DATE),
    Field("due_on", "答复期限", DATE),
    Field("answer", "答复内容", TEXT),
    Field("answered_on", "答复日期", DATE),
    Field("rating", "满意度", ENUM, vocab.VOTES),
))
ONE_OF["inquiries"] = (("department", "unit"),)

TABLES: dict[str, TableSpec] = {t.kind: t for t in (UNITS, PROJECTS, MONITORING, EVALUATIONS, FINDINGS, INDICATORS,
                                                    SATISFACTION, INQUIRIES)}
