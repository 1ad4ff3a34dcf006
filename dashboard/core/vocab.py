"""The one vocabulary: every enumeration the data uses and the Chinese label users see for each code.

Values of the enumerations are what users see and type (Chinese); internal codes (lights, batch
sources and statuses, table kinds, field types) map to their labels here and nowhere else.
"""

from __future__ import annotations

# -- enumerations stored in the database (values are the Chinese words) -----------------------------
DEPARTMENT_KINDS = ("部门", "乡镇街道", "园区")
PROJECT_CATEGORIES = ("项目支出", "部门整体支出", "政策", "新增债券")
FUND_SOURCES = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算")
GRADES = ("优", "良", "中", "差")
GRADE_RANK = {"优": 0, "良": 1, "中": 2, "差": 3}  # lower is better
EX_ANTE_RESULTS = ("支持", "调整后支持", "不予支持")
LIKELIHOODS = ("确定能", "有可能", "完全不可能")
EVALUATION_KINDS = ("单位自评", "部门评价", "财政重点评价", "抽查复核")
SELF_KIND = "单位自评"
INDEPENDENT_KINDS = ("抽查复核", "财政重点评价")  # in order of preference for the inflation check
EVALUATION_OBJECTS = ("项目支出", "部门整体支出", "政策")
NON_PROJECT_OBJECTS = ("部门整体支出", "政策")  # evaluations of these never create or link a project
FINDING_STATUSES = ("未整改", "整改中", "已整改")
RECTIFIED = "已整改"
# 整改: findings marked as one of these (with a reason) are left out of 综合整改率 (docs/rules.md 整改)
FINDING_EXCLUSIONS = ("历史遗留", "客观原因")
# 人大 满意度测评 of a unit's rectification report
VOTES = ("满意", "基本满意", "不满意")
# 评价结果应用类别 (北京 2026 政策评价): what the evaluation led to
RESULT_CLASSES = ("整体退出", "系统调整", "局部优化", "继续实施")
FINDING_SOURCES = ("绩效监控", "单位自评", "部门评价", "财政重点评价", "抽查复核", "审计", "人大", "其他")

# -- import batches --------------------------------------------------------------------------------
BATCH_COMMITTED, BATCH_UNDONE = "committed", "undone"
BATCH_STATUSES = (BATCH_COMMITTED, BATCH_UNDONE)
BATCH_STATUS_LABELS = {BATCH_COMMITTED: "已导入", BATCH_UNDONE: "已撤销"}
SOURCE_IMPORT, SOURCE_SYNC, SOURCE_DEMO = "import", "sync", "demo"
SOURCE_ENTRY = "entry"  # a verification or deadline change entered on 整改进度 (dashboard.core.writes.record_rectification)
BATCH_SOURCE_LABELS = {SOURCE_IMPORT: "上传导入", SOURCE_SYNC: "数据库同步", SOURCE_DEMO: "演示数据", SOURCE_ENTRY: "页面录入"}

# -- warning lights ----------------------------------------------------------------------------------
GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"
LIGHTS = (RED, YELLOW, GREEN, GREY)  # display order: worst first, not reported last
LIGHT_LABELS = {GREEN: "绿灯", YELLOW: "黄灯", RED: "红灯", GREY: "未报送"}
LIGHT_ORDER = {GREEN: 0, YELLOW: 1, RED: 2}  # which of two lights is worse

# -- tables an import writes, in linking order, with their Chinese names ------------------------------
TABLE_LABELS = {
    "departments": "主管部门", "units": "预算单位", "projects": "项目", "monitoring": "绩效监控",
    "evaluations": "绩效评价", "findings": "问题整改", "indicators": "绩效指标",
    "finding_extensions": "整改延期记录", "satisfaction_votes": "整改满意度测评", "satisfaction": "整改满意度测评",
    "department_wide": "部门整体绩效", "department_tasks": "部门重点工作任务", "department_indicators": "部门整体绩效指标",
    "inquiries": "询问台账",
}

# -- money -------------------------------------------------------------------------------------------
MONEY_SCALES = {"万元": 1.0, "元": 0.0001, "亿元": 10000.0}  # factor to 万元, the stored unit

# -- canonical field types (data_loaders.schema) ---------------------------------------------------------
TEXT, CODE, MONEY, SIGNED_MONEY, PERCENT, SCORE, DATE, BOOL, YEAR, NUMBER, ENUM = (
    "text", "code", "money", "signed_money", "percent", "score", "date", "bool", "year", "number", "enum",
)
NUMERIC_TYPES = frozenset({MONEY, SIGNED_MONEY, PERCENT, SCORE, NUMBER})  # parsed to float
TEXT_TYPES = frozenset({TEXT, CODE})

# -- performance indicators (绩效指标) ----------------------------------------------------------------
# the stage an indicator row was reported at (stored as the Chinese word users type), least advanced first
STAGE_DECLARED, STAGE_MONITORING, STAGE_SELF, STAGE_EVALUATION = "申报", "监控", "自评", "评价"
STAGES = (STAGE_DECLARED, STAGE_MONITORING, STAGE_SELF, STAGE_EVALUATION)
STAGE_LABELS = {STAGE_DECLARED: "目标申报", STAGE_MONITORING: "绩效监控", STAGE_SELF: "单位自评",
                STAGE_EVALUATION: "评价"}
# which stage's indicators count for a project: 评价/自评 over 监控 over 申报 (higher wins; 评价 over 自评 when
# a project has both, so that each project's indicators count once)
STAGE_RANK = {STAGE_DECLARED: 0, STAGE_MONITORING: 1, STAGE_SELF: 2, STAGE_EVALUATION: 3}
COMPARATORS = ("≥", ">", "=", "<", "≤")  # 指标性质
# 一级指标 families, recognised by these words in the 一级指标 cell
LEVEL1_OUTPUT, LEVEL1_OUTCOME, LEVEL1_SATISFACTION, LEVEL1_COST = "产出指标", "效益指标", "满意度指标", "成本指标"
LEVEL1_NAMES = (LEVEL1_OUTPUT, LEVEL1_OUTCOME, LEVEL1_SATISFACTION, LEVEL1_COST)
# whether an indicator's actual value satisfies its target (rules.indicator_status)
MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
INDICATOR_STATUSES = (MET, NOT_MET, UNKNOWN)
INDICATOR_STATUS_LABELS = {MET: "已完成", NOT_MET: "未完成", UNKNOWN: "无法判断"}
# -- accounts and the audit trail (dashboard.core.accounts, dashboard.core.audit) -------------------------------
ADMIN, STAFF, LEADER, DEPUTY = "admin", "staff", "leader", "deputy"
ROLES = (ADMIN, STAFF, LEADER, DEPUTY)  # the roles an account can have
ROLE_LABELS = {ADMIN: "管理员", STAFF: "绩效科", LEADER: "领导", DEPUTY: "人大代表"}
# the command line's operator: whoever runs `python -m dashboard` on the server (never an account's role)
OPERATOR = "cli"
ROLE_LABELS_ALL = {**ROLE_LABELS, OPERATOR: "命令行操作员"}
AUDIT_ACTIONS = ("login", "login_failed", "logout", "import", "import_refused", "undo", "sync", "settings",
                 "user", "export")
AUDIT_ACTION_LABELS = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出", "import": "导入", "import_refused": "导入被拒",
    "undo": "撤销导入", "sync": "数据库同步", "settings": "保存规则设置", "user": "账号管理", "export": "下载导出",
}
AUTH_MODES = ("none", "password", "oidc", "proxy")
