"""The database schema (SQLAlchemy 2 typed ORM): departments, units, projects and their lifecycle records.

Amounts are 万元 (float). Every data row records the import batch that created it
(`created_batch_id`) and the one that last changed it (`batch_id`), which is what `undo` relies on.
Constraints (uniqueness, enumerations, non-negative money, score range) live in the database too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import unicodedata

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dashboard.core.vocab import (  # noqa: F401 - the enumerations, re-exported for the schema's users
    AUDIT_ACTIONS,
    BATCH_STATUSES,
    COMPARATORS,
    DEPARTMENT_KINDS,
    EVALUATION_KINDS,
    EVALUATION_OBJECTS,
    EX_ANTE_RESULTS,
    FINDING_EXCLUSIONS,
    FINDING_SOURCES,
    FINDING_STATUSES,
    FUND_SOURCES,
    GRADES,
    LIKELIHOODS,
    PROJECT_CATEGORIES,
    RESULT_CLASSES,
    ROLES,
    STAGES,
    VOTES,
)


def _enum(values: tuple[str, ...], name: str) -> Enum:
    # VARCHAR + CHECK on every backend, so adding a value later is a plain migration
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


class Base(DeclarativeBase):
    pass


class Tracked:
    """Columns recording which import batch created / last changed a row."""

    created_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)


class ImportBatch(Base):
    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="import")  # import | sync | demo
    files: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "sha256", "sheets"}]
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # {"projects": {"inserted": n, "updated": n}}
    status: Mapped[str] = mapped_column(_enum(BATCH_STATUSES, "batch_status"), default="committed")
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    # what the batch changed against the state before it (revision 0010; data_loaders.changes): projects added,
    # changed and removed, and the figures that moved (budget, execution, lights, grades, findings)
    changes: Mapped[dict | None] = mapped_column(JSON)


class ChangeLog(Base):
    """Prior values of every row a batch updated (inserted rows are found by created_batch_id)."""

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(Integer)
    old_values: Mapped[dict] = mapped_column(JSON)
    __table_args__ = (Index("ix_change_log_row", "table_name", "row_id"),)


class Meta(Base):
    """Key/value pairs; `data_version` increases on every write so caches can key on it."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Department(Tracked, Base):
    """主管部门 (一级预算单位), a 乡镇/街道 or a 园区."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(_enum(DEPARTMENT_KINDS, "department_kind"), default="部门")
    sector: Mapped[str | None] = mapped_column(String(40))


class Unit(Tracked, Base):
    """预算单位 under a 主管部门 (二级单位, or the department's own 本级)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(_enum(DEPARTMENT_KINDS, "unit_kind"), default="部门")
    sector: Mapped[str | None] = mapped_column(String(40))
    # who the 绩效科 calls when the unit has not reported a round (revision 0010)
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))


class Project(Tracked, Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    category: Mapped[str] = mapped_column(_enum(PROJECT_CATEGORIES, "project_category"), default="项目支出")
    fund_source: Mapped[str | None] = mapped_column(_enum(FUND_SOURCES, "fund_source"))
    initial_budget: Mapped[float | None] = mapped_column(Double)
    adjusted_budget: Mapped[float | None] = mapped_column(Double)
    has_target: Mapped[bool | None] = mapped_column(Boolean)
    target_grade: Mapped[str | None] = mapped_column(_enum(GRADES, "target_grade"))
    ex_ante_result: Mapped[str | None] = mapped_column(_enum(EX_ANTE_RESULTS, "ex_ante_result"))
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    # 同类项目分组 (一类事): projects of the same kind of work, whose unit costs are compared (revision 0008)
    peer_group: Mapped[str | None] = mapped_column(String(60))
    __table_args__ = (
        UniqueConstraint("year", "code", name="uq_projects_year_code"),
        Index("ix_projects_year_dept_name", "year", "department_id", "name"),
        Index("ix_projects_name", "name"),
        CheckConstraint("initial_budget IS NULL OR initial_budget >= 0", name="ck_projects_initial_nonneg"),
        CheckConstraint("adjusted_budget IS NULL OR adjusted_budget >= 0", name="ck_projects_adjusted_nonneg"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="ck_projects_year"),
    )


class MonitoringRecord(Tracked, Base):
    """One project's 绩效监控 report as of a date ("双监控": money and targets)."""

    __tablename__ = "monitoring"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    adjusted_budget: Mapped[float | None] = mapped_column(Double)
    executed: Mapped[float | None] = mapped_column(Double)
    # 目标完成进度 as a fraction (0.55 = 55%)
    target_progress: Mapped[float | None] = mapped_column(Double)
    deviation_reason: Mapped[str | None] = mapped_column(Text)
    likelihood: Mapped[str | None] = mapped_column(_enum(LIKELIHOODS, "likelihood"))
    needs_rectification: Mapped[bool | None] = mapped_column(Boolean)
    rectification_requirement: Mapped[str | None] = mapped_column(Text)
    # maintained on every write: this is the project's latest record of its year
    is_latest: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint("project_id", "as_of", name="uq_monitoring_project_asof"),
        Index("ix_monitoring_latest", "is_latest", "project_id"),
        # the invariant "one latest record per project" held by the database itself, whatever writes
        Index("uq_monitoring_one_latest", "project_id", unique=True,
              sqlite_where=text("is_latest"), postgresql_where=text("is_latest")),
        CheckConstraint("adjusted_budget IS NULL OR adjusted_budget >= 0", name="ck_monitoring_budget_nonneg"),
        CheckConstraint("executed IS NULL OR executed >= 0", name="ck_monitoring_executed_nonneg"),
    )


class Evaluation(Tracked, Base):
    """A 绩效评价 record: a project, a department's whole spending (部门整体支出) or a policy."""

    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(_enum(EVALUATION_KINDS, "evaluation_kind"))
    object_type: Mapped[str] = mapped_column(_enum(EVALUATION_OBJECTS, "evaluation_object"), default="项目支出")
    # "p:<project id>" or "d:<department id>:<object name>": with year/kind/object_type, the natural key
    object_key: Mapped[str] = mapped_column(String(260))
    object_name: Mapped[str | None] = mapped_column(String(200))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    fund_amount: Mapped[float | None] = mapped_column(Double)
    # 全年执行数 as a self-evaluation form states it (万元)
    executed: Mapped[float | None] = mapped_column(Double)
    score: Mapped[float | None] = mapped_column(Double)
    grade: Mapped[str | None] = mapped_column(_enum(GRADES, "evaluation_grade"))
    evaluator: Mapped[str | None] = mapped_column(String(200))
    deputies_participated: Mapped[bool | None] = mapped_column(Boolean)
    main_problems: Mapped[str | None] = mapped_column(Text)
    result_application: Mapped[str | None] = mapped_column(Text)
    # 下年预算调整 in 万元 (negative = cut)
    next_year_budget_change: Mapped[float | None] = mapped_column(Double)
    # 结果应用类别 (整体退出 / 系统调整 / 局部优化 / 继续实施) and, for a policy, the year it was issued (revision 0008)
    result_class: Mapped[str | None] = mapped_column(_enum(RESULT_CLASSES, "result_class"))
    policy_since: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (
        UniqueConstraint("year", "kind", "object_type", "object_key", name="uq_evaluations_key"),
        # covering the per-department grade aggregate, so it reads the index only
        Index("ix_evaluations_year_dept", "year", "department_id", "kind", "score", "grade"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="ck_evaluations_score"),
        CheckConstraint("fund_amount IS NULL OR fund_amount >= 0", name="ck_evaluations_amount_nonneg"),
    )


class Finding(Tracked, Base):
    """A problem (问题) found by monitoring, evaluation or audit, and its rectification (整改)."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(40))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    # natural key within the year: sha1 of department, project (or none) and the description
    finding_key: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    requirement: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(_enum(FINDING_STATUSES, "finding_status"), default="未整改")
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    measures: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[float | None] = mapped_column(Double)
    # revision 0008: 问题类别 (for 屡审屡犯), the deadline first set (deadline is the current one; every change is a
    # finding_extensions row), 已核验 (who checked the unit's 已整改, when, how), and 历史遗留 / 客观原因 with a reason
    category: Mapped[str | None] = mapped_column(String(40))
    original_deadline: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_by: Mapped[str | None] = mapped_column(String(100))
    verification_method: Mapped[str | None] = mapped_column(Text)
    exclusion: Mapped[str | None] = mapped_column(_enum(FINDING_EXCLUSIONS, "finding_exclusion"))
    exclusion_reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("year", "finding_key", name="uq_findings_key"),
        Index("ix_findings_year_dept_status", "year", "department_id", "status"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_findings_amount_nonneg"),
    )


def evaluation_object_key(project_id: int | None, department_id: int, object_name: str | None) -> str:
    """What an evaluation is of: a project, or a department's whole spending / a policy by name."""
    if project_id is not None:
        return f"p:{project_id}"
    return f"d:{department_id}:{(object_name or '')[:240]}"


def finding_key(department_id: int, project_id: int | None, description: str) -> str:
    """Identity of a finding within a year, so re-importing a ledger updates rather than duplicates."""
    text = f"{department_id}|{project_id or ''}|{' '.join(description.split())}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def inquiry_key(asker, asked_on, question) -> str:
    """Identity of a question within a year: sha1 of 询问人 + 询问日期 + the question (NFKC, whitespace normalised),
    so re-importing the ledger (answers filled in) updates the questions rather than adding them again."""
    def blank(x) -> bool:
        return x is None or (isinstance(x, float) and math.isnan(x))

    day = asked_on.isoformat()[:10] if isinstance(asked_on, (dt.date, dt.datetime)) else ("" if blank(asked_on)
                                                                                          else str(asked_on))
    def norm(x) -> str:  # NFKC as the importer reads cells: a question typed with ？ or ? is the same
        return "" if blank(x) else " ".join(unicodedata.normalize("NFKC", str(x)).split())

    text = f"{norm(asker)}|{day}|{norm(question)}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class ProjectFacts(Base):
    """Derived, never edited: one row per project with its latest monitoring figures, so page aggregates
    scan one narrow table instead of joining. Rebuilt from the data tables whenever the data version
    changes (dashboard.metrics.facts); not part of imports, undo or exports."""

    __tablename__ = "project_facts"
    # clustered by year and department (SQLite WITHOUT ROWID): a year's rows are read in one range
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    fund_source: Mapped[str | None] = mapped_column(String(16))
    budget: Mapped[float | None] = mapped_column(Double)
    has_target: Mapped[bool] = mapped_column(Boolean)
    evaluated: Mapped[bool] = mapped_column(Boolean)
    # the latest monitoring record of the year (all NULL when none)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    executed: Mapped[float | None] = mapped_column(Double)
    base: Mapped[float | None] = mapped_column(Double)
    target_progress: Mapped[float | None] = mapped_column(Double)
    # percentage points behind 序时进度 at as_of: of the execution rate, and of 目标完成进度 (rule-independent)
    lag: Mapped[float | None] = mapped_column(Double)
    target_lag: Mapped[float | None] = mapped_column(Double)
    # the 单位自评 and the independent evaluation (抽查复核, else 财政重点评价) of the same year
    self_score: Mapped[float | None] = mapped_column(Double)
    self_grade: Mapped[str | None] = mapped_column(String(4))
    independent_kind: Mapped[str | None] = mapped_column(String(16))
    independent_score: Mapped[float | None] = mapped_column(Double)
    independent_grade: Mapped[str | None] = mapped_column(String(4))
    __table_args__ = (Index("ix_project_facts_project", "project_id", unique=True), {"sqlite_with_rowid": False})


# Tables holding data, in dependency order (parents first): what import writes and undo restores.
DATA_TABLES = (Department, Unit, Project, MonitoringRecord, Evaluation, Finding)


class Indicator(Tracked, Base):
    """One performance indicator (绩效指标) of a project at one stage (申报 / 监控 / 自评 / 评价): the target
    as written and parsed (comparator, value, unit), the values reported against it, weight and score.

    The actual value the 已完成 rule uses is `actual_*` (实际完成值, year-end) at 自评/评价 and `expected_*`
    (全年预计完成) at 监控; `current_*` is 截至目前完成 at 监控. Texts are kept as written (whitespace
    collapsed); the parsed value/unit come from dashboard.core.rules.parse_indicator_value.
    """

    __tablename__ = "indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))  # uq_indicators_key leads with it
    year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(_enum(STAGES, "indicator_stage"))
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    # natural key within a project and stage: sha1 of the three levels (indicator_key())
    indicator_key: Mapped[str] = mapped_column(String(40))
    level1: Mapped[str | None] = mapped_column(String(60))
    level2: Mapped[str | None] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))  # 三级指标
    comparator: Mapped[str | None] = mapped_column(_enum(COMPARATORS, "indicator_comparator"))
    target_text: Mapped[str | None] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Double)
    target_unit: Mapped[str | None] = mapped_column(String(20))
    actual_text: Mapped[str | None] = mapped_column(Text)
    actual_value: Mapped[float | None] = mapped_column(Double)
    actual_unit: Mapped[str | None] = mapped_column(String(20))
    current_text: Mapped[str | None] = mapped_column(Text)
    current_value: Mapped[float | None] = mapped_column(Double)
    current_unit: Mapped[str | None] = mapped_column(String(20))
    expected_text: Mapped[str | None] = mapped_column(Text)
    expected_value: Mapped[float | None] = mapped_column(Double)
    expected_unit: Mapped[str | None] = mapped_column(String(20))
    weight: Mapped[float | None] = mapped_column(Double)
    score: Mapped[float | None] = mapped_column(Double)
    deviation_reason: Mapped[str | None] = mapped_column(Text)
    likelihood: Mapped[str | None] = mapped_column(_enum(LIKELIHOODS, "indicator_likelihood"))
    __table_args__ = (
        UniqueConstraint("project_id", "stage", "indicator_key", name="uq_indicators_key"),
        Index("ix_indicators_year_stage", "year", "stage"),
        CheckConstraint("weight IS NULL OR weight >= 0", name="ck_indicators_weight_nonneg"),
    )


def indicator_key(level1: str | None, level2: str | None, name: str) -> str:
    """Identity of an indicator within a project and stage, so re-importing a form updates rather than duplicates."""
    text = "|".join(" ".join((x or "").split()) for x in (level1, level2, name))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


DATA_TABLES = (*DATA_TABLES, Indicator)


# -- department-wide performance (部门整体绩效目标表 / 自评表; revision 0006_department_wide) ----------------------

DEPARTMENT_WIDE_STAGES = ("目标", "自评")  # the 部门整体 target form, and the department's self-evaluation


class DepartmentWide(Tracked, Base):
    """One department's 部门整体 form of a year and stage (目标 / 自评): its size, budget split (万元) and the
    总体绩效目标 text. Its 重点工作任务 and indicators are department_tasks / department_indicators rows of the
    same department, year and stage."""

    __tablename__ = "department_wide"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(_enum(DEPARTMENT_WIDE_STAGES, "department_wide_stage"))
    title: Mapped[str | None] = mapped_column(String(200))
    staff_count: Mapped[int | None] = mapped_column(Integer)  # 财政供养人员数
    sub_unit_count: Mapped[int | None] = mapped_column(Integer)  # 下属二级单位数
    basic_budget: Mapped[float | None] = mapped_column(Double)  # 基本支出
    project_budget: Mapped[float | None] = mapped_column(Double)  # 项目支出
    total_budget: Mapped[float | None] = mapped_column(Double)  # 合计 as stated, else 基本支出 + 项目支出
    fiscal_funds: Mapped[float | None] = mapped_column(Double)  # 收入来源: 财政拨款
    other_funds: Mapped[float | None] = mapped_column(Double)  # 收入来源: 其他资金
    executed: Mapped[float | None] = mapped_column(Double)  # 全年执行数 (自评)
    overall_target: Mapped[str | None] = mapped_column(Text)  # 总体绩效目标 (自评: 年度总体目标完成情况 too)
    __table_args__ = (
        UniqueConstraint("department_id", "year", "stage", name="uq_department_wide_key"),
        Index("ix_department_wide_year_dept", "year", "department_id"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="ck_department_wide_year"),
        CheckConstraint("basic_budget IS NULL OR basic_budget >= 0", name="ck_department_wide_basic_nonneg"),
        CheckConstraint("project_budget IS NULL OR project_budget >= 0", name="ck_department_wide_project_nonneg"),
        CheckConstraint("total_budget IS NULL OR total_budget >= 0", name="ck_department_wide_total_nonneg"),
    )


class DepartmentTask(Tracked, Base):
    """One 年度重点工作任务 of a department's 部门整体 form: name, content, money (万元) and the target."""

    __tablename__ = "department_tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(_enum(DEPARTMENT_WIDE_STAGES, "department_task_stage"))
    task_key: Mapped[str] = mapped_column(String(40))  # sha1 of the whitespace-normalised name
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[float | None] = mapped_column(Double)  # 拟投入资金 (目标) / 预算数 (自评), 万元
    executed: Mapped[float | None] = mapped_column(Double)  # 执行数 (自评), 万元
    target: Mapped[str | None] = mapped_column(Text)  # 期望达到的目标
    actual: Mapped[str | None] = mapped_column(Text)  # 完成情况 (自评)
    __table_args__ = (
        UniqueConstraint("department_id", "year", "stage", "task_key", name="uq_department_tasks_key"),
        Index("ix_department_tasks_year_dept", "year", "department_id"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_department_tasks_amount_nonneg"),
    )


class DepartmentIndicator(Tracked, Base):
    """One indicator of a department's 部门整体 form (一级 | 二级 | 三级 | 指标值, 实际完成值 at 自评), parsed
    like project indicators (dashboard.core.rules.indicator_columns)."""

    __tablename__ = "department_indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(_enum(DEPARTMENT_WIDE_STAGES, "department_indicator_stage"))
    indicator_key: Mapped[str] = mapped_column(String(40))  # indicator_key(level1, level2, name)
    level1: Mapped[str | None] = mapped_column(String(60))
    level2: Mapped[str | None] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    comparator: Mapped[str | None] = mapped_column(_enum(COMPARATORS, "department_indicator_comparator"))
    target_text: Mapped[str | None] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Double)
    target_unit: Mapped[str | None] = mapped_column(String(20))
    actual_text: Mapped[str | None] = mapped_column(Text)
    actual_value: Mapped[float | None] = mapped_column(Double)
    actual_unit: Mapped[str | None] = mapped_column(String(20))
    weight: Mapped[float | None] = mapped_column(Double)
    score: Mapped[float | None] = mapped_column(Double)
    __table_args__ = (
        UniqueConstraint("department_id", "year", "stage", "indicator_key", name="uq_department_indicators_key"),
        Index("ix_department_indicators_year_dept", "year", "department_id"),
    )


DATA_TABLES = (*DATA_TABLES, DepartmentWide, DepartmentTask, DepartmentIndicator)


# -- rectification you can verify (revision 0008_oversight) ----------------------------------------------------

class FindingExtension(Tracked, Base):
    """One change of a finding's 整改时限: from which date to which, why, and who approved it. Imported from a
    ledger's 原定整改时限 / 整改时限 / 延期原因 / 延期批准人 columns or entered by staff (recorded_by)."""

    __tablename__ = "finding_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    old_deadline: Mapped[dt.date | None] = mapped_column(Date)
    new_deadline: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str | None] = mapped_column(String(100))


class SatisfactionVote(Tracked, Base):
    """The 人大 满意度测评 of one unit's (or department's) rectification report of a year: votes per answer."""

    __tablename__ = "satisfaction_votes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # "u:<unit id>" or "d:<department id>": with year, the natural key
    subject_key: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(200))  # 测评事项, e.g. 2025年度审计查出问题整改情况
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    basically: Mapped[int] = mapped_column(Integer, default=0)
    unsatisfied: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        UniqueConstraint("year", "subject_key", name="uq_satisfaction_votes_key"),
        Index("ix_satisfaction_votes_year_dept", "year", "department_id"),
        CheckConstraint("satisfied >= 0 AND basically >= 0 AND unsatisfied >= 0", name="ck_satisfaction_votes_nonneg"),
    )


DATA_TABLES = (*DATA_TABLES, FindingExtension, SatisfactionVote)


# -- collection rounds and the 询问台账 (revision 0010_rounds_questions) -------------------------------------------

class CollectionRound(Base):
    """A 报送轮次: one table kind collected from every unit up to a cut-off. `kind` is "monitoring" (cut-off =
    as_of, the 监控截止日期 of the round) or "self_evaluation" (单位自评 of `year`, as_of NULL). `due_on` is the
    date by which units must have reported; a unit whose first upload for the round came later reported late.
    Opened by staff on 报送情况 / 数据上传, or by the first import of that kind and cut-off."""

    __tablename__ = "collection_rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    # "<kind>:<year>:<as_of or ->": the natural key (NULLs are never equal in a unique constraint)
    round_key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    opened_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Inquiry(Tracked, Base):
    """One question in the 询问台账: a deputy's or a committee's question to a department (or unit, or project),
    asked on a date with a due date, the department's answer and its date, and the asker's rating."""

    __tablename__ = "inquiries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    # sha1 of asker + asked_on + the whitespace-normalised question: with year, the natural key
    inquiry_key: Mapped[str] = mapped_column(String(40))
    asker: Mapped[str | None] = mapped_column(String(100))  # 询问人 (代表姓名 or 委员会)
    question: Mapped[str] = mapped_column(Text)
    asked_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    rating: Mapped[str | None] = mapped_column(_enum(VOTES, "inquiry_rating"))
    __table_args__ = (
        UniqueConstraint("year", "inquiry_key", name="uq_inquiries_key"),
        Index("ix_inquiries_year_dept", "year", "department_id"),
    )


DATA_TABLES = (*DATA_TABLES, Inquiry)
# -- accounts, sessions and the audit trail (revision 0004_accounts; dashboard.core.accounts, dashboard.core.audit) ----

class ImportLayout(Base):
    """A saved 导入版式 (revision 0007_import_layouts): how the columns of a sheet the reader does not recognise map
    to the fields of one table, applied to every later sheet whose header row is the same. `columns` is a list
    of [header, field or null]; data_loaders.mapping builds and checks it."""

    __tablename__ = "import_layouts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    columns: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class User(Base):
    """An account: its role, the 主管部门 it is limited to (codes or names; empty = every department), its
    argon2id password hash (NULL for accounts that sign in through OIDC or a proxy) and its lockout state."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(_enum(ROLES, "user_role"))
    departments: Mapped[list] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # the account's own view (revision 0009; dashboard.core.accounts.set_preferences): 我关注的领域 (sectors and
    # departments applied as the default scope at sign-in) and 大字号
    preferences: Mapped[dict | None] = mapped_column(JSON)


class AuthSession(Base):
    """A signed-in browser: the SHA-256 of the session id its token carries (never the id itself)."""

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # when the session was last used (to the minute; revision 0009): unused for [auth] idle_minutes, it ends
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """The audit trail, append-only (database triggers refuse UPDATE and DELETE): who did what, when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(_enum(AUDIT_ACTIONS, "audit_action"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # "<algorithm>:<hex>": hash of the previous entry's chain and this entry's content (revision 0009_audit_chain)
    chain: Mapped[str | None] = mapped_column(String(80))
