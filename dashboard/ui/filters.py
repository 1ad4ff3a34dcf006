"""The global filters (年度, 部门, 资金来源, 判断日期) and the rules panel (规则设置), drawn once in the sidebar by app.py.

Filters are widgets bound to the URL (bind="query-params"), so a link opens exactly the same view and the
values survive page switches. 判断日期 (?judge=) is the day overdue findings and their age are judged on: by default
the earlier of the year's end plus Rules.grace_days and today (a past year is judged when its rectification was
due, not years later; the current year on today), or today, the year's end plus grace, or any date; it becomes
Context.today. The rules panel changes
thresholds for this session only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

import streamlit as st

from dashboard.core.accounts import Forbidden
from dashboard.core.rules_file import save_rules
from dashboard.core.settings import Rules, SettingsError, check_rules
from dashboard.metrics import Scope
from dashboard.ui import data, prefs

log = logging.getLogger("dashboard.ui")
ALL_FUNDS = "全部资金来源"
PRESET_LABELS = {"lag": "序时进度差（滞后百分点）", "checkpoints": "固定节点（四川 2025）"}
# 判断日期 choices: the label is also the URL value (?judge=年末加宽限期); a bound radio writes its label
JUDGE_LABELS = {"auto": "默认", "today": "今天", "yearend": "年末加宽限期", "date": "指定日期"}
CTX_KEY = "_dashboard_ctx"
PRESET_KEY = "_rules_preset"  # canonical value; the sidebar and the 监控预警 page both edit it
RULES_KEY = "_rules_values"  # the panel's values (widget key → value), kept while its inputs are not drawn
PANEL_KEY = "rules_open"  # whether the 规则设置 expander is open (its inputs are drawn only then)


@dataclass(frozen=True)
class Context:
    """Everything a page needs to ask for figures: the database, its data version and the filters."""

    url: str
    version: int
    scope: Scope
    rules: Rules
    today: dt.date
    years: tuple[int, ...]
    departments: tuple[tuple[int, str], ...]  # (id, name) of every department, for labels
    has_data: bool

    @property
    def year(self) -> int | None:
        return self.scope.year if self.years else None

    def department_name(self, department_id) -> str:
        return dict(self.departments).get(int(department_id), str(department_id))

    def scope_label(self) -> str:
        """'2024年 · 区教育局、区卫健委 · 一般公共预算' — what the page is showing."""
        parts = [f"{self.scope.year}年" if self.years else "无年度"]
        if self.scope.departments:
            names = [self.department_name(d) for d in self.scope.departments]
            parts.append("、".join(names[:3]) + (f" 等{len(names)}个部门" if len(names) > 3 else ""))
        else:
            parts.append("全部主管部门")
        parts.append(self.scope.fund_source or "全部资金来源")
        return " · ".join(parts)


def current() -> Context:
    """The context app.py built for this run."""
    return st.session_state[CTX_KEY]


# ---- rules ---------------------------------------------------------------------------------------------

def _sync_preset(widget_key: str) -> None:
    st.session_state[PRESET_KEY] = st.session_state[widget_key]


def preset_radio(base: Rules, widget_key: str, container=st) -> str:
    """A radio for the warning preset that stays in step with every other preset radio of the session."""
    st.session_state.setdefault(PRESET_KEY, base.warning_preset)
    st.session_state[widget_key] = st.session_state[PRESET_KEY]
    return container.radio(
        "预警口径",
        list(PRESET_LABELS),
        format_func=PRESET_LABELS.get,
        key=widget_key,
        on_change=_sync_preset,
        args=(widget_key,),
        help="序时进度差：滞后 = 序时进度 − 执行率（百分点），按黄灯/红灯阈值判灯；"
             "固定节点：4/6/8/10 月末累计执行率低于节点要求即红灯。",
    )


RULE_FIELDS = [
    # key, label, Rules field, min, max, step
    ("r_yellow", "黄灯：滞后 ≥（百分点）", "yellow_lag", 0.0, 100.0, 1.0),
    ("r_red", "红灯：滞后 ≥（百分点）", "red_lag", 0.0, 100.0, 1.0),
    ("r_cp4", "4月末执行率不低于（%）", "cp_4", 0.0, 100.0, 5.0),
    ("r_cp6", "6月末执行率不低于（%）", "cp_6", 0.0, 100.0, 5.0),
    ("r_cp8", "8月末执行率不低于（%）", "cp_8", 0.0, 100.0, 5.0),
    ("r_cp10", "10月末执行率不低于（%）", "cp_10", 0.0, 100.0, 5.0),
    ("r_excellent", "优：得分 ≥", "grade_excellent", 0.0, 100.0, 1.0),
    ("r_good", "良：得分 ≥", "grade_good", 0.0, 100.0, 1.0),
    ("r_pass", "中：得分 ≥（以下为差）", "grade_pass", 0.0, 100.0, 1.0),
    ("r_gap", "自评虚高：自评高出 ≥（分）", "inflation_gap", 0.0, 100.0, 1.0),
    ("r_w_cov", "权重：目标覆盖", "weight_coverage", 0.0, 100.0, 5.0),
    ("r_w_exe", "权重：执行", "weight_execution", 0.0, 100.0, 5.0),
    ("r_w_eva", "权重：评价", "weight_evaluation", 0.0, 100.0, 5.0),
    ("r_w_rec", "权重：整改", "weight_rectification", 0.0, 100.0, 5.0),
    ("r_w_red", "权重：非红灯", "weight_not_red", 0.0, 100.0, 5.0),
]


def _base_value(base: Rules, field: str) -> float:
    if field.startswith("cp_"):
        return float(dict(base.checkpoints).get(int(field[3:]), 0.0))
    return float(getattr(base, field))


def _reset_rules(base: Rules) -> None:
    values = _rule_values(base)
    for key, _label, field, *_ in RULE_FIELDS:
        values[key] = st.session_state[key] = _base_value(base, field)
    values["r_min"] = st.session_state["r_min"] = int(base.min_projects)
    st.session_state[PRESET_KEY] = base.warning_preset


def _rule_values(base: Rules) -> dict:
    """The session's panel values (widget key → value). A value held under the input's key is the newest (the
    input is drawn, or was drawn in the run before, or the session state was set before the run); otherwise the
    kept one, else the base rule. Kept in RULES_KEY because Streamlit forgets an input's value once a run does not
    draw it."""
    values = st.session_state.setdefault(RULES_KEY, {})
    for key, _label, field, *_ in RULE_FIELDS:
        values[key] = st.session_state[key] if key in st.session_state else values.get(key, _base_value(base, field))
    values["r_min"] = st.session_state["r_min"] if "r_min" in st.session_state else values.get(
        "r_min", int(base.min_projects))
    return values


def limit_ids(url: str, version: int, departments) -> tuple[int, ...]:
    """The ids of an account's departments (codes or names); (-1,) when none of them exists, so a limited
    account whose departments are not in the database sees nothing rather than everything."""
    ids = set()
    for d in departments:
        found = data.resolve_department_at(url, version, d)
        if found is not None:
            ids.add(int(found))
    return tuple(sorted(ids)) or (-1,)


def rules_panel(base: Rules, actor=None, url: str | None = None) -> Rules:
    """Sidebar expander 规则设置: returns the session's rules (base rules from dashboard.toml, edited here).

    Staff and admins may also save them as the defaults (core.rules_file.save_rules, which checks the role again);
    for every other role the panel is a what-if for this session only."""
    kept = _rule_values(base)
    values = {field: float(kept[key]) for key, _label, field, *_ in RULE_FIELDS}
    min_projects, save = kept["r_min"], False
    st.session_state.setdefault(PRESET_KEY, base.warning_preset)
    preset = st.session_state[PRESET_KEY]
    # the inputs are drawn only while the panel is open (on_change="rerun" runs the page again when it opens or
    # closes): 16 number inputs on every run of every page cost the server and the browser more than anything
    # else in the sidebar, for a panel few readers open; the values stay in RULES_KEY meanwhile
    panel = st.sidebar.expander("规则设置", icon=":material/tune:", key=PANEL_KEY, on_change="rerun")
    if panel.open:
        with panel:
            st.caption("仅对本次会话生效；默认值来自 dashboard.toml，未配置时用系统默认规则（见 docs/rules.md）。")
            preset = preset_radio(base, "r_preset_sidebar")
            groups = {"预警": RULE_FIELDS[:6], "评价等级": RULE_FIELDS[6:10], "综合得分权重": RULE_FIELDS[10:]}
            for title, fields in groups.items():
                st.markdown(f"**{title}**")
                for key, label, field, lo, hi, step in fields:
                    st.session_state.setdefault(key, kept[key])
                    values[field] = kept[key] = st.number_input(label, min_value=lo, max_value=hi, step=step,
                                                                key=key)
            st.session_state.setdefault("r_min", kept["r_min"])
            min_projects = kept["r_min"] = st.number_input("样本少：项目数少于", min_value=1, max_value=1000,
                                                           step=1, key="r_min")
            st.button("恢复默认", on_click=_reset_rules, args=(base,), key="r_reset")
            may_save = actor is not None and actor.may("settings") and url is not None
            if may_save:
                save = st.button("保存为默认规则", key="r_save", icon=":material/save:",
                                 help="写入 dashboard.toml 的 [rules]，此后所有人默认使用；记入操作日志。")
            else:
                st.caption("本账号的调整只对本次会话生效，不能保存为默认规则。")
    # the panel offers 4, 6, 8 and 10月末; a month the settings leave out stays out unless a value is set for it
    # (a settings file with only `6 = 45` keeps one checkpoint, not three more at 0 %)
    known = dict(base.checkpoints)
    checkpoints = tuple((m, values[f"cp_{m}"]) for m in (4, 6, 8, 10) if m in known or values[f"cp_{m}"] > 0)
    plain = {k: v for k, v in values.items() if not k.startswith("cp_")}
    rules = dataclasses.replace(base, warning_preset=preset, checkpoints=checkpoints,
                                min_projects=int(min_projects), **plain)
    try:
        check_rules(rules)  # the settings file's own check (dashboard.core.settings)
    except SettingsError as exc:
        st.sidebar.warning(f"规则设置有误，暂用默认值：{exc}")
        return dataclasses.replace(base, warning_preset=preset)
    if save:
        _save_rules(rules, actor, url)
    return rules


def _save_rules(rules: Rules, actor, url: str) -> None:
    try:
        path = save_rules(rules, actor=actor, url=url)
    except (Forbidden, SettingsError) as exc:
        st.sidebar.error(str(exc))
        return
    except OSError:
        log.exception("saving rules failed")
        st.sidebar.error("无法写入设置文件 dashboard.toml，未保存。请联系管理员检查文件权限。")
        return
    st.sidebar.success(f"已保存为默认规则（{path.name}），下次打开页面起生效。")


def rules_summary(rules: Rules) -> str:
    """One line describing the warning rule in force, shown beside the figures it drives."""
    if rules.warning_preset == "checkpoints":
        cps = "、".join(f"{m}月末 {v:g}%" for m, v in rules.checkpoints)
        return f"预警口径：固定节点——累计执行率低于 {cps} 即红灯。"
    return (f"预警口径：序时进度差——滞后 = 序时进度 − 执行率；滞后 < {rules.yellow_lag:g} 个百分点绿灯，"
            f"{rules.yellow_lag:g}–{rules.red_lag:g} 黄灯，≥ {rules.red_lag:g} 红灯；应报未报为灰灯（未报送）。")


def grade_summary(rules: Rules) -> str:
    return (f"等级：≥{rules.grade_excellent:g} 分为优，≥{rules.grade_good:g} 良，≥{rules.grade_pass:g} 中，"
            f"以下为差。")


# ---- filters -------------------------------------------------------------------------------------------

def year_end_day(year: int, grace_days: int) -> dt.date:
    """「年度结束 + 宽限期」: 12-31 of the year plus the grace period (2024, 90 days → 2025-03-31)."""
    return dt.date(int(year), 12, 31) + dt.timedelta(days=int(grace_days))


def default_day(today: dt.date, year: int, grace_days: int) -> dt.date:
    """「默认」: the year's end plus the grace period, but never after today — 2024's findings are judged on
    2025-03-31 (not in 2026, when every open one would be >180 天), the year in progress on today."""
    return min(today, year_end_day(year, grace_days))


def judging_day(choice: str | None, today: dt.date, year: int, grace_days: int, picked=None) -> dt.date:
    """The day overdue is judged on for a 判断日期 choice (auto / today / yearend / date); unknown choices mean
    the default (default_day)."""
    if choice == "today":
        return today
    if choice == "yearend":
        return year_end_day(year, grace_days)
    if choice == "date" and isinstance(picked, dt.date):
        return picked
    return default_day(today, year, grace_days)


def judge_control(today: dt.date, year: int, grace_days: int) -> dt.date:
    """Sidebar 判断日期: a choice bound to ?judge=, a date picker (?judge_date=) for 指定日期; the day chosen."""
    end = year_end_day(year, grace_days)
    auto = default_day(today, year, grace_days)
    label = st.radio("判断日期（逾期、账龄）", list(JUDGE_LABELS.values()), key="judge", bind="query-params",
                     captions=[f"{auto.isoformat()}（年末加宽限期，不晚于今天）", today.isoformat(),
                               f"{year}-12-31 + {grace_days} 天 = {end.isoformat()}", ""],
                     help=f"逾期未整改、逾期天数和账龄按这一天判断，各页的说明文字会写出这一天。"
                          f"「默认」= 所选年度 12 月 31 日 + {grace_days} 天与今天中较早的一天：往年的数据按整改"
                          "应当完成的时候判断，不按几年后的今天；当年的数据按今天。"
                          f"「年末加宽限期」= 所选年度 12 月 31 日 + {grace_days} 天"
                          "（宽限天数见 dashboard.toml 的 grace_days）。序时进度按监控截止日期计算，不受影响。")
    choice = {v: k for k, v in JUDGE_LABELS.items()}.get(label, "auto")
    picked = None
    if choice == "date":
        picked = st.date_input("指定判断日期", value=today, key="judge_date", bind="query-params",
                               format="YYYY-MM-DD", min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
    day = judging_day(choice, today, year, grace_days, picked)
    st.caption(f"逾期按 {day.isoformat()} 判断。")
    return day


def sidebar(url: str, version: int, base_rules: Rules, has_data: bool, today: dt.date,
            page: str | None = None, actor=None, unfiltered: str | None = None, focus: tuple[int, ...] = ()) -> Context:
    """Draw 年度 / 部门 / 资金来源 / 判断日期 and the rules panel; store and return the run's Context.

    `today` is the default judging day (Settings.effective_today: DASHBOARD_TODAY or the date); the sidebar's
    判断日期 may replace it. On the department page (`page="department"`) the page picks its own department:
    the sidebar's department filter is shown disabled with a note saying so.

    `unfiltered` is the title of a page the filters do not act on (the registry says which): the sidebar says so.

    A department-limited `actor` (dashboard.core.accounts.Actor) gets only its departments to choose from, and the
    Scope carries them as its `limit`, so every figure, list and export is clamped to them (metrics.query).

    `focus` (the account's 我的关注, dashboard/ui/prefs.py) becomes the department filter when the session starts
    (unless the URL names departments), with 显示全部部门 under the filter.
    """
    years: list[int] = []
    depts: list[tuple[int, str]] = []
    funds: list[str] = []
    if has_data:
        try:
            years = data.available_years(url, version)
            options = data.department_options(url, version)
            depts = [(int(r.id), str(r.name)) for r in options.itertuples()]
            funds = data.fund_source_options(url, version)
        except Exception:
            log.exception("filter options unavailable")
    limit: tuple[int, ...] = ()
    if actor is not None and actor.departments:
        limit = limit_ids(url, version, actor.departments)
        depts = [d for d in depts if d[0] in limit]
    with st.sidebar:
        st.markdown("**筛选**")
        if unfiltered:
            st.caption(f"{unfiltered}不受以下筛选影响；筛选会保留，回到其他页面时仍然有效。")
        if years:
            year = st.selectbox("年度", years, key="year", bind="query-params",
                                help="默认为有数据的最近一个年度。")
        else:
            year = dt.date.today().year
            st.selectbox("年度", ["暂无数据"], disabled=True, key="year_empty")
        names = dict(depts)
        own = page == "department"
        prefs.apply_focus(focus, names)
        chosen = st.multiselect("部门（主管部门）", list(names), format_func=lambda i: names.get(i, str(i)),
                                key="departments", bind="query-params",
                                placeholder="本页在页面上选择部门" if own else "全部主管部门",
                                help="可输入名称搜索；不选即全部。", select_all=False, disabled=own)
        if own:
            st.caption("部门画像只看一个部门：请在页面上的「主管部门」中选择。")
        else:
            prefs.focus_note(tuple(int(d) for d in chosen))
        if limit:
            st.caption("本账号只能查看以上部门的数据。")
        fund = st.selectbox("资金来源", [ALL_FUNDS, *funds], key="fund", bind="query-params")
        day = judge_control(today, int(year), base_rules.grace_days)
    rules = rules_panel(base_rules, actor, url)
    scope = Scope(year=int(year), departments=tuple(sorted(int(d) for d in chosen)),
                  fund_source=None if fund == ALL_FUNDS else fund, limit=limit)
    ctx = Context(url=url, version=version, scope=scope, rules=rules, today=day, years=tuple(years),
                  departments=tuple(depts), has_data=has_data)
    st.session_state[CTX_KEY] = ctx
    return ctx
