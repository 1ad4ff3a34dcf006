"""结果应用台账 rules (docs/rules.md 结果应用台账): which evaluation counts, the flags RA1–RA5 and a policy's due year,
each as a pure function with its SQL rendering beside it (tests/core/test_applications.py checks they agree).

A project-year's grade is that of its **counted evaluation**, the most independent one: 抽查复核 > 财政重点评价 >
部门评价 > 单位自评 (the grade 项目查询 and the project card show). Its application — 结果应用 text, 下年预算调整 and
结果应用类别 — is each taken from the most independent evaluation that fills it in.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_

from dashboard.core.rules import EPS
from dashboard.core.settings import Rules
from dashboard.core.vocab import EVALUATION_KINDS, INDEPENDENT_KINDS, SELF_KIND

# the counted evaluation's kind, most independent first (= dashboard.metrics.projects' shown evaluation)
COUNTED_KINDS = (*INDEPENDENT_KINDS, *(k for k in EVALUATION_KINDS if k not in (*INDEPENDENT_KINDS, SELF_KIND)),
                 SELF_KIND)
POOR_GRADES = ("中", "差")  # RA1: two consecutive years in these
WORST = "差"  # RA2: graded this, yet next year's budget up
POLICY = "政策"  # evaluation object_type of a policy (RA4, RA5)

FLAGS = {
    "RA1": "连续两年中或差",
    "RA2": "评价为差但下年预算增加",
    "RA3": "评价后未登记结果应用",
    "RA4": "政策到期应评价",
    "RA5": "政策评价未填结果应用类别",
}
PROJECT_FLAGS = ("RA1", "RA2", "RA3")


# ---- which evaluation counts -----------------------------------------------------------------------------

def kind_priority(kind: str | None) -> int:
    """Position of an evaluation kind in COUNTED_KINDS, 1 = most independent; unknown kinds last."""
    return COUNTED_KINDS.index(kind) + 1 if kind in COUNTED_KINDS else len(COUNTED_KINDS) + 1


def kind_priority_sql(kind):
    """kind_priority in SQL."""
    return case(*[(kind == k, literal(i)) for i, k in enumerate(COUNTED_KINDS, 1)], else_=literal(len(COUNTED_KINDS) + 1))


def counted(evaluations: list[dict]) -> dict | None:
    """The counted evaluation of one project-year: the most independent kind, the lowest id within a kind.

    docs/rules.md: "a project-year's grade is that of its most independent evaluation: 抽查复核 > 财政重点评价 >
    部门评价 > 单位自评". Each evaluation a dict with at least "kind" and "id"."""
    if not evaluations:
        return None
    return min(evaluations, key=lambda e: (kind_priority(e.get("kind")), e.get("id") or 0))


def _filled_text(text) -> bool:
    return text is not None and str(text).strip() != ""


def application(evaluations: list[dict]) -> dict:
    """A project-year's application: each of result_application, next_year_budget_change and result_class taken
    from the most independent evaluation that fills it in (None where none does)."""
    ordered = sorted(evaluations, key=lambda e: (kind_priority(e.get("kind")), e.get("id") or 0))
    text = next((e["result_application"] for e in ordered if _filled_text(e.get("result_application"))), None)
    change = next((e["next_year_budget_change"] for e in ordered if e.get("next_year_budget_change") is not None), None)
    klass = next((e["result_class"] for e in ordered if e.get("result_class") is not None), None)
    return {"result_application": text, "next_year_budget_change": change, "result_class": klass}


# ---- RA1 two consecutive years 中 or 差 ---------------------------------------------------------------------

def consecutive_poor(grade: str | None, previous_grade: str | None) -> bool:
    """RA1: the counted grade of this year and of the year before (same project code) are both 中 or 差.

    docs/rules.md: "RA1 连续两年中或差: the counted grade is 中 or 差 this year and the year before"."""
    return grade in POOR_GRADES and previous_grade in POOR_GRADES


def consecutive_poor_sql(grade, previous_grade):
    """consecutive_poor in SQL (NULL grades never match)."""
    return and_(grade.in_(POOR_GRADES), previous_grade.in_(POOR_GRADES))


# ---- RA2 差 but next year's budget up ---------------------------------------------------------------------

def budget_up(budget: float | None, next_budget: float | None, next_year_change: float | None) -> bool:
    """Next year's budget is up: the same code's budget in year + 1 above this year's, or 下年预算调整 above 0
    (equal is not up; a missing figure says nothing)."""
    if budget is not None and next_budget is not None and next_budget - budget > EPS:
        return True
    return next_year_change is not None and next_year_change > EPS


def poor_budget_up(grade: str | None, budget: float | None, next_budget: float | None,
                   next_year_change: float | None) -> bool:
    """RA2: graded 差 and yet next year's budget up (`budget_up`).

    docs/rules.md: "RA2 评价为差但下年预算增加: counted grade 差, and next year's budget (same code) above this
    year's or 下年预算调整 above 0"."""
    return grade == WORST and budget_up(budget, next_budget, next_year_change)


def budget_up_sql(budget, next_budget, next_year_change):
    """budget_up in SQL."""
    return or_(and_(budget.is_not(None), next_budget.is_not(None), next_budget - budget > EPS),
               and_(next_year_change.is_not(None), next_year_change > EPS))


def poor_budget_up_sql(grade, budget, next_budget, next_year_change):
    """poor_budget_up in SQL."""
    return and_(grade == WORST, budget_up_sql(budget, next_budget, next_year_change))


# ---- RA3 evaluated, no application recorded ------------------------------------------------------------------

def application_recorded(text: str | None, change: float | None, result_class: str | None) -> bool:
    """An evaluation (or a project-year's `application`) records an application: a 结果应用 text that is not
    blank, a 下年预算调整 (0 included) or a 结果应用类别."""
    return _filled_text(text) or change is not None or result_class is not None


def no_application(text: str | None, change: float | None, result_class: str | None) -> bool:
    """RA3: evaluated, and no evaluation of the project-year records an application.

    docs/rules.md: "RA3 评价后未登记结果应用: 结果应用 empty, 下年预算调整 empty and 结果应用类别 empty on every
    evaluation of the project that year"."""
    return not application_recorded(text, change, result_class)


def text_filled_sql(text):
    """A text column holds something besides blanks."""
    return and_(text.is_not(None), func.trim(text) != "")


def no_application_sql(text, change, result_class):
    """no_application in SQL (on the project-year's application columns)."""
    return and_(~func.coalesce(text_filled_sql(text), False), change.is_(None), result_class.is_(None))


# ---- RA4 policies due for evaluation -------------------------------------------------------------------------

def policy_due_year(policy_since: int | None, last_evaluated: int | None, rules: Rules) -> int | None:
    """The year a policy must next be evaluated by: the later of last evaluation + policy_interval_years and the
    first year it is older than policy_age_years (policy_since + policy_age_years + 1). None without both years.

    docs/rules.md: "a policy older than policy_age_years (counted from 政策出台年度) is due for evaluation every
    policy_interval_years after its last evaluation"."""
    if policy_since is None or last_evaluated is None:
        return None
    return max(last_evaluated + rules.policy_interval_years, policy_since + rules.policy_age_years + 1)


def policy_due(year: int, policy_since: int | None, last_evaluated: int | None, rules: Rules) -> bool:
    """RA4: in `year` the policy is due for evaluation (its due year is `year` or earlier: due or overdue)."""
    due = policy_due_year(policy_since, last_evaluated, rules)
    return due is not None and due <= year


def policy_overdue(year: int, policy_since: int | None, last_evaluated: int | None, rules: Rules) -> bool:
    """The due year has passed without an evaluation (due year before `year`)."""
    due = policy_due_year(policy_since, last_evaluated, rules)
    return due is not None and due < year


def policy_due_year_sql(policy_since, last_evaluated, rules: Rules):
    """policy_due_year in SQL (NULL without both years)."""
    by_interval = last_evaluated + rules.policy_interval_years
    by_age = policy_since + (rules.policy_age_years + 1)
    return case((or_(policy_since.is_(None), last_evaluated.is_(None)), None),
                (by_interval >= by_age, by_interval), else_=by_age)


def policy_due_sql(year: int, policy_since, last_evaluated, rules: Rules):
    """policy_due in SQL."""
    due = policy_due_year_sql(policy_since, last_evaluated, rules)
    return and_(due.is_not(None), due <= year)


# ---- RA5 a policy evaluation without a result class ----------------------------------------------------------

def policy_without_class(object_type: str | None, result_class: str | None) -> bool:
    """RA5: a policy evaluation with no 结果应用类别 (整体退出 / 系统调整 / 局部优化 / 继续实施).

    docs/rules.md: "RA5 政策评价未填结果应用类别: every evaluated policy needs a result class"."""
    return object_type == POLICY and result_class is None


def policy_without_class_sql(object_type, result_class):
    """policy_without_class in SQL."""
    return and_(object_type == POLICY, result_class.is_(None))
