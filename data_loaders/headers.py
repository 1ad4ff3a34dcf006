"""Which canonical field a header cell names, and which of the five tables a set of headers is.

Synonyms come from docs/data-formats.md ("Header wording varies") and the national monitoring export.
Headers are compared after NFKC, with spaces, "*" marks and bracketed units removed, so
"调整后预算数（万元）", "调整后预算数(万元)" and " 调整后预算数 " are the same header.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from data_loaders import schema

# canonical field -> header words that name it (besides its schema label). A word may name
# fields of several tables (整改要求 is rectification_requirement in 绩效监控, requirement in
# 问题整改); the table's kind decides, see `candidates`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "year": ("年度", "预算年度", "年份", "评价年度", "项目年度", "财政年度"),
    "as_of": ("监控截止日期", "截止日期", "监控日期", "截至日期", "数据截止日期", "监控时点"),
    "department_code": ("主管部门编码", "部门编码", "主管部门代码", "部门代码", "部门编号"),
    "department": ("主管部门", "部门", "部门名称", "预算部门", "主管部门名称", "一级预算单位", "主管单位", "项目主管部门"),
    "unit_code": ("单位编码", "单位代码", "预算单位编码", "预算单位代码", "单位编号"),
    "unit": ("预算单位", "单位", "单位名称", "实施单位", "预算单位名称", "项目实施单位", "项目单位", "二级预算单位",
             "申请单位", "项目执行单位"),
    "unit_kind": ("单位类型", "单位类别", "单位性质"),
    "sector": ("所属领域", "领域", "行业", "所属行业", "职能领域"),
    "project_code": ("项目编码", "项目代码", "项目编号", "项目id"),
    "project_name": ("项目名称", "项目", "评价项目", "项目(政策)名称", "评价对象名称", "项目名"),
    "category": ("项目类别", "项目类型", "项目分类"),
    "fund_source": ("资金来源", "资金性质", "预算类型", "经费来源"),
    "initial_budget": ("年初预算", "年初预算数", "年初预算金额", "年初批复预算", "年初预算额", "本年金额",
                       "本年度项目金额"),
    "adjusted_budget": (
        "调整后预算", "全年预算数", "调整后预算数", "预算数", "全年预算", "调整后的预算", "调整预算数",
        "预算金额", "年度预算数", "调整后预算金额", "年度预算",
    ),
    "executed": (
        "执行数", "全年执行数", "预算执行数", "截至目前执行数", "支出数", "执行金额", "实际支出数", "已支出",
        "项目预算执行情况", "累计执行数", "实际执行数", "已执行数", "累计支出",
    ),
    "execution_rate": ("执行率", "预算执行率", "资金执行率", "支出进度", "执行进度"),
    "target_progress": ("目标完成进度", "绩效目标完成进度", "目标完成率", "指标完成进度", "目标进度"),
    "deviation_reason": ("偏差原因", "偏差原因分析", "原因分析", "偏差原因说明", "未完成原因", "执行偏差原因"),
    "likelihood": ("完成目标可能性", "完成可能性", "目标完成可能性", "全年完成可能性"),
    "needs_rectification": ("是否需要整改", "是否整改", "是否需整改"),
    "rectification_requirement": ("整改要求", "整改要求和建议", "整改建议", "整改意见"),
    "has_target": ("是否设定绩效目标", "绩效目标", "是否有绩效目标", "有无绩效目标", "是否编制绩效目标", "设定绩效目标"),
    "target_grade": ("目标审核等级", "目标审核结果", "绩效目标审核等级", "审核等级"),
    "ex_ante_result": ("事前评估结论", "事前评估结果", "事前绩效评估结论", "评估结论"),
    "is_key": ("是否重点项目", "重点项目"),
    "kind": ("评价类型", "评价方式", "评价层级", "评价类别", "评价主体"),
    "object_type": ("评价对象类型", "评价对象", "对象类型", "评价对象类别"),
    "fund_amount": ("资金规模", "评价金额", "项目金额", "涉及资金", "评价资金", "资金量", "评价资金规模", "金额"),
    "score": ("得分", "评价得分", "自评得分", "综合得分", "总分", "分数", "绩效得分", "评分"),
    "grade": ("等级", "评价等级", "评价结果", "绩效等级", "自评等级"),
    "evaluator": ("评价机构", "第三方机构", "评价单位", "实施机构", "第三方评价机构"),
    "deputies_participated": ("人大代表参与", "是否人大代表参与", "人大参与", "人大代表是否参与"),
    "main_problems": ("主要问题", "存在问题", "存在的主要问题", "发现问题"),
    "result_application": ("结果应用", "评价结果应用", "结果应用情况", "应用情况"),
    "next_year_budget_change": ("下年预算调整", "下年度预算调整", "下年预算调整金额", "下年度预算调整金额"),
    "source": ("问题来源", "来源", "发现途径"),
    "description": ("问题描述", "问题", "问题内容", "发现的问题", "存在问题", "问题摘要", "主要问题"),
    "requirement": ("整改要求", "整改要求和建议", "整改建议", "整改意见"),
    "deadline": ("整改时限", "完成时限", "整改期限", "整改截止日期", "要求完成时间", "整改完成时限"),
    "status": ("整改状态", "整改情况", "状态", "整改进度", "是否整改到位"),
    "completed_on": ("完成日期", "完成时间", "销号日期", "整改完成日期", "实际完成时间", "销号时间"),
    "measures": ("整改措施", "整改举措", "采取措施", "整改落实情况"),
    "amount": ("涉及金额", "问题金额", "涉及资金金额", "金额", "涉及资金"),
    "problem_category": ("问题类型", "问题分类", "问题性质"),
    "original_deadline": ("原整改时限", "原定完成时限", "原整改期限", "原定时限", "原定整改期限"),
    "extension_reason": ("延期理由", "延期说明", "延期原因说明"),
    "extension_approver": ("延期审批人", "延期批准单位", "批准延期人"),
    "verified_on": ("核验时间", "核查日期", "验收日期", "核实日期"),
    "verified_by": ("核验人员", "核查人", "验收人", "核实人"),
    "verification_method": ("核验方法", "核查方式", "验收方式", "核实方式"),
    "exclusion": ("特殊情况", "特殊情形类型"),
    "exclusion_reason": ("特殊情况说明", "特殊情形原因"),
    "subject": ("测评内容", "测评项目", "测评对象事项"),
    "satisfied": ("满意", "满意票", "满意数"),
    "basically": ("基本满意", "基本满意票", "基本满意数"),
    "unsatisfied": ("不满意", "不满意票", "不满意数"),
}

# 询问台账 (issue 26) and the units' contacts. 问题 also names findings.description: the table's kind decides (SIGNALS
# puts 询问台账 first, and only with a second column of its own)
SYNONYMS.update({
    "asker": ("询问人", "提问人", "代表", "询问代表", "提问代表", "代表姓名", "询问主体", "提出人"),
    "question": ("询问内容", "问题", "询问事项", "询问问题", "提问内容", "询问的问题", "提出的问题"),
    "asked_on": ("询问日期", "询问时间", "提问日期", "提问时间", "提出日期"),
    "due_on": ("答复期限", "办理期限", "答复时限", "办理时限", "应答复日期", "要求答复日期"),
    "answer": ("答复内容", "回复", "答复", "答复情况", "回复内容", "办理情况", "答复意见"),
    "answered_on": ("答复日期", "答复时间", "回复日期", "回复时间", "办结日期"),
    "rating": ("满意度", "测评结果", "评价", "满意度测评", "满意程度", "代表评价", "询问人评价"),
    "contact": ("联系人", "联系人员", "经办人"),
    "phone": ("联系电话", "电话", "联系方式", "联系人电话"),
})
INQUIRY_SIGNALS = frozenset({"asker", "asked_on", "due_on", "answer", "answered_on", "rating"})

# 绩效指标 columns (issue 12): the template's 绩效指标 sheet, the national monitoring export's indicator columns
SYNONYMS.update({
    "stage": ("阶段", "指标阶段", "填报阶段"),
    "level1": ("一级指标", "一级指标名称", "指标类型", "lv1_perf_ind_name"),
    "level2": ("二级指标", "二级指标名称", "lv2_perf_ind_name"),
    "name": ("三级指标", "三级指标名称", "指标名称", "绩效指标名称", "指标内容", "lv3_perf_ind_name"),
    "comparator": ("指标性质", "性质", "指标方向", "比较符"),
    "target": ("指标值", "年度指标值", "目标值", "指标目标值", "年度目标值", "kpi_val"),
    "measure_unit": ("度量单位", "计量单位", "指标单位", "指标值单位"),
    "actual": ("实际完成值", "完成值", "年度实际完成值", "实际完成", "全年完成值", "全年实际完成值"),
    "current": ("截至目前完成值", "截至目前完成", "指标完成情况", "截至目前完成情况", "截至节点完成值", "当前完成值",
                "perf_comp"),
    "expected": ("全年预计完成值", "全年预计完成", "全年预计完成情况", "预计全年完成值", "est_perf_annual"),
    "weight": ("分值", "权重", "指标分值", "指标权重"),
})
# the self-evaluation forms' reason columns (中央/河北 and 四川 layouts)
SYNONYMS["deviation_reason"] = (*SYNONYMS["deviation_reason"], "偏差原因分析及改进措施", "未完成原因分析")
INDICATOR_FIELDS = frozenset({"level1", "level2", "name", "comparator", "target", "measure_unit", "actual",
                              "current", "expected", "weight"})

# Column names of the 预算管理一体化 standard table PAY_PERF_MONITOR_INFO, for raw database exports
# (accepted headers, docs/data-formats.md §2); complete_rate is the 完成目标可能性 code 1/2/3, not a rate.
NATIONAL_EXPORT_NAMES = {
    "fiscal_year": "year", "dept_code": "department_code", "dept_name": "department", "agency_code": "unit_code",
    "agency_name": "unit", "pro_code": "project_code", "pro_name": "project_name", "pro_bgt_comp": "executed",
    "ana_dev_reasons": "deviation_reason", "complete_rate": "likelihood", "is_perf_rectify": "needs_rectification",
    "rectify_advise": "rectification_requirement",
}
for _name, _field in NATIONAL_EXPORT_NAMES.items():
    SYNONYMS[_field] = (*SYNONYMS[_field], _name)
SYNONYMS["requirement"] = (*SYNONYMS["requirement"], "rectify_advise")

# Headers read and deliberately ignored (never reported as unknown): 序号 and friends.
IGNORED = frozenset({"序号", "编号", "行次", "栏次", "备注", "no", "no.", "序"})

# e.g. 截至8月底执行数, 1-8月执行数, 截至2022年6月30日支出数; 全年预计执行数 is a forecast, not spending
_EXECUTED_PATTERN = re.compile(r"^(?:截至|截止|累计)?.*(?:执行数|支出数|执行金额|支出金额)$")
_RATE_PATTERN = re.compile(r"^.*月.*执行率$")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|<[^<>]*>")
_UNIT_IN_HEADER = re.compile(r"[(\[【<]\s*(万元|元|亿元)\s*[)\]】>]|单位[:：]?\s*(万元|元)")


def norm_header(text: object) -> str:
    """NFKC, lower case, no whitespace, no required-marks or trailing colons."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"[\s*★※:：]", "", s)
    return s.lower()


def header_unit(text: object) -> str | None:
    """The money unit a header carries itself: "项目资金（万元）" → "万元", "金额(元)" → "元"."""
    match = _UNIT_IN_HEADER.search(unicodedata.normalize("NFKC", str(text or "")))
    if not match:
        return None
    return match.group(1) or match.group(2)


def _variants(h: str) -> list[str]:
    """The header, then without bracketed parts ("(万元)", "(%)"), then with brackets dropped."""
    out = [h]
    stripped = h
    for _ in range(3):  # nested brackets: 全年预算数(A)(上年结转+年初预算+本年追加追减预算(不含年底收回))
        inner = _BRACKETS.sub("", stripped)
        if inner == stripped:
            break
        stripped = inner
    stripped = re.sub(r"%$", "", stripped)
    if stripped and stripped not in out:
        out.append(stripped)
    unbracketed = re.sub(r"[()\[\]【】<>%]", "", h)
    if unbracketed and unbracketed not in out:
        out.append(unbracketed)
    return out


_LOOKUP: dict[str, list[str]] = {}
for _table in schema.TABLES.values():
    for _f in _table.fields:
        _LOOKUP.setdefault(norm_header(_f.label), [])
for _field, _words in SYNONYMS.items():
    for _w in _words:
        _LOOKUP.setdefault(norm_header(_w), [])
        if _field not in _LOOKUP[norm_header(_w)]:
            _LOOKUP[norm_header(_w)].append(_field)
for _table in schema.TABLES.values():
    for _f in _table.fields:
        _key = norm_header(_f.label)
        if _f.name not in _LOOKUP[_key]:
            _LOOKUP[_key].insert(0, _f.name)
_LOOKUP = {k: v for k, v in _LOOKUP.items() if v}


def candidates(header: object) -> list[str]:
    """Canonical fields a header may name, most likely first ([] when it names none)."""
    h = norm_header(header)
    if not h or h in IGNORED:
        return []
    for v in _variants(h):
        hit = _LOOKUP.get(v)
        if hit:
            return list(hit)
    for v in _variants(h):
        if "预计" in v:
            return []  # 全年预计执行数: a forecast, never the executed amount
        if _EXECUTED_PATTERN.match(v):
            return ["executed"]
        if _RATE_PATTERN.match(v):
            return ["execution_rate"]
    return []


def is_ignored(header: object) -> bool:
    return norm_header(header) in IGNORED


# Fields the reader derives beyond schema.py: codes split off "219-某某镇人民政府" cells.
EXTRA_FIELDS: dict[str, set[str]] = {
    "projects": {"department_code", "unit_code"},
    "monitoring": {"department_code", "unit_code"},
    "evaluations": {"department_code", "unit_code"},
    "findings": {"department_code", "unit_code"},
    "satisfaction": {"department_code", "unit_code"},
    "inquiries": {"department_code", "unit_code"},
    "units": set(),
    "indicators": {"department_code", "unit_code"},
}
# a monitoring export or a projects list with indicator columns (one row per indicator, the project's columns
# repeated) reads them too; data_loaders.indicators splits them off
EXTRA_FIELDS["monitoring"] |= INDICATOR_FIELDS
EXTRA_FIELDS["projects"] |= INDICATOR_FIELDS

# Fields whose presence says which table it is, strongest table first (docs/data-formats.md order of
# specificity: an evaluation list may carry 执行数, a monitoring export carries 整改要求).
SIGNALS: tuple[tuple[str, frozenset[str]], ...] = (
    ("inquiries", INQUIRY_SIGNALS),
    ("satisfaction", frozenset({"satisfied", "basically", "unsatisfied"})),
    ("evaluations", frozenset({"score", "grade", "kind", "object_type", "evaluator", "deputies_participated",
                                "result_application", "next_year_budget_change"})),
    ("findings", frozenset({"description", "status", "deadline", "completed_on", "measures", "amount"})),
    ("monitoring", frozenset({"executed", "execution_rate", "as_of", "target_progress", "deviation_reason",
                               "likelihood", "needs_rectification"})),
    ("projects", frozenset({"initial_budget", "adjusted_budget", "has_target", "target_grade", "ex_ante_result",
                             "is_key", "category", "fund_source", "project_code", "project_name"})),
    ("units", frozenset({"unit_kind", "sector", "unit_code", "department_code", "contact", "phone"})),
)


def kind_from_fields(found: set[str]) -> str | None:
    """The table that header fields (every candidate of every header) make.

    One "signal" field is enough for evaluations/findings/monitoring/projects; a 询问台账 needs a question column
    plus one of its own (询问人, a date, 答复, 满意度); a units list needs
    a unit name plus 单位类型/所属领域/a code (or 联系人/联系电话 with 主管部门), and no project or money columns (checked first by
    the order of SIGNALS: a table with amounts and no project column is an incomplete 项目 table).
    """
    # an indicator list: indicator columns (三级指标 with a 指标值 or a value reported against it) and no money
    # of a monitoring report (the national export has both: it is a monitoring table, split by the writer)
    if "name" in found and found & {"target", "actual", "current", "expected", "stage"} \
            and not found & {"executed", "execution_rate", "adjusted_budget", "initial_budget"}:
        return "indicators"
    for kind, signals in SIGNALS:
        hits = found & signals
        if kind == "findings":
            # 存在问题/主要问题 also name evaluations.main_problems: such a header alone (without a
            # status, deadline, 整改要求 or 问题来源) does not make a findings table; 问题描述 does
            hits = hits & {"status", "deadline", "completed_on", "measures", "description"}
            if hits == {"description"} and "main_problems" in found and not (found & {"requirement", "source"}):
                continue
        if kind == "inquiries":
            # a question column and one more of the 询问台账's own (询问人, dates, 答复, 满意度)
            if hits and "question" in found:
                return kind
            continue
        if kind == "units":
            # 联系人 / 联系电话 alone make a units list only with 主管部门 too (a sheet of contacts is not one)
            if "unit" in found and (hits - {"contact", "phone"} or (hits and "department" in found)):
                return kind
            continue
        if kind == "projects" and hits == {"project_code"} and not found & {"department", "unit", "year"}:
            continue  # a 项目编码 column alone (an 审核信息 sheet: codes and empty review columns) is no list
        if hits:
            return kind
    return None


def known_headers() -> list[str]:
    """Every header word the reader accepts (for "nearest known column" hints)."""
    words = {f.label for t in schema.TABLES.values() for f in t.fields}
    for ws in SYNONYMS.values():
        words.update(ws)
    return sorted(words)


def nearest_known(header: object, n: int = 2) -> list[str]:
    h = unicodedata.normalize("NFKC", str(header or "")).strip()
    if not h:
        return []
    return difflib.get_close_matches(h, known_headers(), n=n, cutoff=0.4)


# --- a child header under a merged parent, read as the pair -------------------------------------

# (parent, child) → field, for pairs whose words name the field only together. Compared after
# norm_header; a child not listed is tried as child+parent ("是否设定"+"绩效目标") and parent+child.
PAIRS: dict[tuple[str, str], str] = {
    ("绩效目标", "是否设定"): "has_target", ("绩效目标", "有无"): "has_target", ("绩效目标", "是否编制"): "has_target",
    ("绩效目标", "设定情况"): "has_target", ("绩效目标", "是否填报"): "has_target",
    ("绩效目标", "审核等级"): "target_grade", ("绩效目标", "审核结果"): "target_grade", ("绩效目标", "等级"): "target_grade",
    ("绩效目标", "审核意见"): "target_grade",
    ("事前评估", "结论"): "ex_ante_result", ("事前绩效评估", "结论"): "ex_ante_result", ("事前评估", "结果"): "ex_ante_result",
    ("预算", "年初"): "initial_budget", ("预算数", "年初"): "initial_budget", ("预算", "调整后"): "adjusted_budget",
    ("预算数", "调整后"): "adjusted_budget", ("预算数", "全年"): "adjusted_budget",
}


def pair_field(parent: object, child: object) -> str | None:
    """The field a (parent, child) header pair of the PAIRS table names, or None."""
    p, c = norm_header(parent), norm_header(child)
    if not p or not c:
        return None
    for pv in _variants(p):
        for cv in _variants(c):
            hit = PAIRS.get((pv, cv))
            if hit:
                return hit
    return None


def period_child(parent: object, child: object) -> list[str]:
    """A short month child ("1月", "1-3月", "1-6月累计", "截至6月") under a 执行数 / 执行率 parent: the parent's
    fields ([] otherwise), so that 执行数 merged over 1月 | 2月 | … gives one 执行数 column per month."""
    c = norm_header(child)
    if not c or len(c) > 10 or header_period(c) is None or re.search(r"[\d.]{5,}", c):
        return []
    cands = candidates(parent)
    return cands if cands and cands[0] in ("executed", "execution_rate") else []


# --- which months a 执行数 column covers ------------------------------------------------------------

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "十一": 11, "十二": 12}
_MONTH = r"(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_RANGE = re.compile(_MONTH + r"月?(?:份)?[-—–~～至到]" + _MONTH + r"月")
_UP_TO = re.compile(r"(?:截至|截止|至|到)(?:20\d{2}年)?" + _MONTH + r"月")
_ONE_MONTH = re.compile(_MONTH + r"月(?:份)?")
_QUARTER = re.compile(r"(?:第)?([一二三四1-4])季度")
_HALF = re.compile(r"上半年")
_CUMULATIVE = ("累计", "截至", "截止", "累积")


def _month(text: str) -> int:
    return int(text) if text.isdigit() else _CN_DIGITS[text]


def header_period(header: object) -> tuple[int, int, bool] | None:
    """The months a money column covers by its header: (first, last, cumulative-from-January), or None when
    the header names no month. "8月执行数" → (8, 8, False); "1-6月累计" / "1-6月执行数" / "截至6月底执行数" /
    "6月累计执行数" → (1, 6, True); "7-8月执行数" → (7, 8, False); "二季度执行数" → (4, 6, False)."""
    h = norm_header(header)
    if not h:
        return None
    cumulative_word = any(w in h for w in _CUMULATIVE)
    m = _RANGE.search(h)
    if m:
        first, last = _month(m.group(1)), _month(m.group(2))
        if not 1 <= first <= last <= 12:
            return None
        return (first, last, first == 1)
    m = _UP_TO.search(h)
    if m:
        return (1, _month(m.group(1)), True)
    m = _QUARTER.search(h)
    if m:
        q = _month(m.group(1))
        return (1, 3 * q, True) if cumulative_word else (3 * q - 2, 3 * q, q == 1)
    if _HALF.search(h):
        return (1, 6, True)
    m = _ONE_MONTH.search(h)
    if m:
        month = _month(m.group(1))
        return (1, month, True) if cumulative_word else (month, month, month == 1)
    return None


def says_cumulative(header: object) -> bool:
    """A header without a month that says it is the running total: 累计执行数, 截至目前执行数."""
    h = norm_header(header)
    return any(w in h for w in _CUMULATIVE)


# --- headers that look like a known column but are not read ------------------------------------------

# Columns other readers own or that are deliberately not read: indicator columns (issue 12), forecasts.
NOT_READ_WORDS = ("指标", "预计", "分值", "权重", "实际完成", "计算方法", "评分标准")


def resembles(header: object, kind: str) -> tuple[str, str | None] | None:
    """(canonical header, its table's name when another table's) that an unused header of table `kind`
    resembles, or None.

    Resembles = names a field of another table ("执行数" in an evaluation list), contains a known header
    word of ≥3 characters of this table's fields ("绩效目标情况" contains 绩效目标), or is close to one
    (difflib ≥ 0.75). IGNORED headers, unit notes and the NOT_READ_WORDS columns resemble nothing."""
    h = norm_header(header)
    if not h or h in IGNORED or any(w in h for w in NOT_READ_WORDS):
        return None
    if re.fullmatch(r"(?:金额)?单位(?:亿元|万元|元)", h):
        return None
    spec = schema.TABLES[kind]
    names = {f.name for f in spec.fields} | EXTRA_FIELDS.get(kind, set())
    cands = candidates(h)
    if cands:
        if any(c in names for c in cands):
            return None
        for t in schema.TABLES.values():
            for f in t.fields:
                if f.name == cands[0]:
                    return f.label, t.label
        return None
    stripped = _variants(h)[-1]
    words: list[tuple[str, str]] = []
    for f in spec.fields:
        for w in (f.label, *SYNONYMS.get(f.name, ())):
            nw = norm_header(w)
            if len(nw) >= 3 and not nw.isascii():
                words.append((nw, f.label))
    for w, label in sorted(words, key=lambda x: -len(x[0])):
        if w in stripped:
            return label, None
    close = difflib.get_close_matches(stripped, [w for w, _ in words], n=1, cutoff=0.75)
    if close:
        return next(label for w, label in words if w == close[0]), None
    return None
