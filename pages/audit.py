"""操作日志 (admins): the audit trail with filters by date, account and action, and an .xlsx download."""

import datetime as dt
import json

import pandas as pd
import streamlit as st

from dashboard.ui import audit, auth, common, export, filters, tables, vocab

FAILED_REASONS = {"unknown_user": "无此账号", "wrong_password": "密码错误", "locked": "账号锁定中",
                  "disabled": "账号已停用", "busy": "同时尝试过多"}
HIDDEN = "涉及限定范围以外的部门，详情不显示"
VIA = {"oidc": "统一身份认证", "proxy": "认证代理"}
USER_OPS = {"add": "新建账号", "passwd": "重设密码", "disable": "停用账号", "enable": "启用账号", "role": "修改角色"}


def describe(action: str, d: dict) -> str:
    """One entry's detail as a short Chinese sentence (the raw detail goes into the download as well)."""
    if d.get("hidden"):
        return HIDDEN
    files = "、".join(str(f) for f in d.get("files", [])[:3])
    if action in ("import", "sync"):
        changed = sum(int(c.get("inserted", 0)) + int(c.get("updated", 0)) for c in (d.get("counts") or {}).values())
        return f"批次 #{d.get('batch')}：{files or '-'}，新增/更新 {changed} 行"
    if action == "import_refused":
        if d.get("reason") == "forbidden":
            return "无权导入：" + "；".join(d.get("errors", []))[:200]
        return f"{files or '-'}：{d.get('error_count', 0)} 个错误，未写入。首个：{(d.get('errors') or [''])[0][:120]}"
    if action == "undo":
        return f"撤销批次 #{d.get('batch')}"
    if action == "login_failed":
        extra = f"（连续第 {d['failures']} 次{'，已锁定' if d.get('locked') else ''}）" if "failures" in d else ""
        return FAILED_REASONS.get(d.get("reason"), str(d.get("reason", ""))) + extra
    if action == "login":
        return "经" + VIA.get(d.get("via"), "密码") + "登录"
    if action == "user":
        return f"{USER_OPS.get(d.get('op'), d.get('op'))}：{d.get('name', '')}" + (
            f"，角色 {vocab.ROLE_LABELS_ALL.get(d['role'], d['role'])}" if d.get("role") else "")
    if action == "export":
        return f"{d.get('what', '')}（{d.get('scope') or '-'}）"
    if action == "settings":
        return "保存规则设置：" + "，".join(f"{k}={v}" for k, v in (d.get("rules") or {}).items())
    return json.dumps(d, ensure_ascii=False)


actor = auth.current()
if actor is None or not actor.may("audit"):  # app.py already routes others to 无权限访问; checked again here
    st.error(auth.DENIED)
    st.stop()
settings = st.session_state[auth.SETTINGS_KEY]

st.title("操作日志")
st.caption("登录、登录失败、退出、导入、被拒绝的导入、撤销、同步、保存规则、账号变更和每一次下载都记录在这里；"
           "日志只能追加，不能修改或删除。")
today = dt.date.today()
c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
since = c1.date_input("起始日期", value=today - dt.timedelta(days=30), key="audit_since", format="YYYY-MM-DD")
until = c2.date_input("截止日期", value=today, key="audit_until", format="YYYY-MM-DD")
with common.guard("操作日志"):
    rows = audit.entries(settings.db_url, since=since, until=until)
    if actor.limited:  # file names, batches and downloads of other departments stay hidden (core.audit)
        rows = audit.within_departments(settings.db_url, rows, filters.current().scope.limit or (-1,), actor.name)
    users = sorted({r["user"] for r in rows if r["user"]})
    who = c3.selectbox("账号", ["全部账号", *users], key="audit_user")
    picked = c4.multiselect("操作", list(vocab.AUDIT_ACTIONS), format_func=vocab.AUDIT_ACTION_LABELS.get, key="audit_actions",
                            placeholder="全部操作")
    if who != "全部账号":
        rows = [r for r in rows if r["user"] == who]
    if picked:
        rows = [r for r in rows if r["action"] in picked]
    frame = pd.DataFrame({
        "时间": [r["time"] for r in rows],
        "账号": [r["user"] or "" for r in rows],
        "角色": [vocab.ROLE_LABELS_ALL.get(r["role"], r["role"] or "") for r in rows],
        "操作": [vocab.AUDIT_ACTION_LABELS.get(r["action"], r["action"]) for r in rows],
        "详情": [describe(r["action"], r["detail"]) for r in rows],
    })
    raw = frame.assign(**{"详情（原始）": [json.dumps(r["detail"], ensure_ascii=False) for r in rows]})
    st.caption(f"{since.isoformat()} 至 {until.isoformat()}：共 {len(frame):,} 条。")
    if frame.empty:
        st.caption("所选范围没有记录。")
    else:
        tables.shown(frame, "audit_table", column_config={"详情": st.column_config.TextColumn(width="large")})
    export.download("下载 Excel", lambda: export.to_xlsx(raw, sheet="操作日志"),
                    f"操作日志_{since.isoformat()}_{until.isoformat()}.xlsx", "audit_xlsx",
                    what=f"操作日志 {since.isoformat()}–{until.isoformat()}（{len(frame)} 条）", disabled=frame.empty)
