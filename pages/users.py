"""账号管理 (admins): every account with its role, departments and state; add, change role, reset password,
disable / enable — each through dashboard.core.accounts, which checks the role again and writes the audit trail."""

import pandas as pd
import streamlit as st

from dashboard.ui import accounts, auth, common, filters, tables, text, vocab

actor = auth.current()
if actor is None or not actor.may("users"):
    st.error(auth.DENIED)
    st.stop()
settings = st.session_state[auth.SETTINGS_KEY]
url = settings.db_url
ctx = filters.current()

st.title("账号管理")
auth.notice(settings)
st.caption(f"登录方式：[auth] mode = \"{settings.auth.mode}\"。停用账号或重设密码会立即结束该账号的所有会话；"
           "每次变更都记入操作日志。")
if st.session_state.get("users_msg"):
    st.success(text.md(st.session_state.pop("users_msg")))  # names it holds are shown as text


def _run(fn, done: str) -> None:
    try:
        fn()
    except (accounts.AccountError, accounts.Forbidden) as exc:
        st.error(text.md(str(exc)))  # the message may quote an account name
        return
    st.session_state["users_msg"] = done
    st.rerun()


with common.guard("账号列表"):
    users = accounts.list_users(url)
    frame = pd.DataFrame({
        "账号": [u["name"] for u in users],
        "角色": [u["role_label"] for u in users],
        "限定部门": ["、".join(u["departments"]) or "全部部门" for u in users],
        "状态": ["已停用" if u["disabled"] else ("已锁定" if u["locked_until"] else "启用") for u in users],
        "密码": ["已设置" if u["has_password"] else "无（统一认证登录）" for u in users],
        "创建时间": [u["created_at"] for u in users],
    })
    if frame.empty:
        st.caption("还没有账号。")
    else:
        tables.shown(frame, "users_table")

dept_names = [name for _id, name in ctx.departments]
left, right = st.columns(2)
with left.form("user_add", clear_on_submit=True):
    st.subheader("新建账号")
    name = st.text_input("账号名", max_chars=100, key="ua_name")
    # the safest role first: a read-only one (issue 27: the form defaulted to 管理员)
    role = st.selectbox("角色", list(vocab.ROLES), index=list(vocab.ROLES).index(vocab.LEADER),
                        format_func=vocab.ROLE_LABELS.get, key="ua_role")
    depts = st.multiselect("限定部门（不选即全部）", dept_names, key="ua_depts")
    pw = st.text_input(f"初始密码（{accounts.password_rule(settings.auth)}；统一认证登录的账号可留空）",
                       type="password", key="ua_pw",
                       autocomplete="new-password")
    if st.form_submit_button("新建", type="primary"):
        _run(lambda: accounts.add_user(url, actor, name, role, pw or None, depts, policy=settings.auth), f"已新建账号 {name}。")

names = [u["name"] for u in users]
with right.container(border=True):
    st.subheader("修改账号")
    if not names:
        st.caption("还没有账号。")
    else:
        who = st.selectbox("账号", names, key="uc_name")
        info = next(u for u in users if u["name"] == who)
        new_role = st.selectbox("角色", list(vocab.ROLES), index=list(vocab.ROLES).index(info["role"]),
                                format_func=vocab.ROLE_LABELS.get, key=f"uc_role_{who}")
        new_depts = st.multiselect("限定部门", sorted(set(dept_names) | set(info["departments"])),
                                   default=info["departments"], key=f"uc_depts_{who}")
        if st.button("保存角色和部门", key="uc_save"):
            _run(lambda: accounts.set_role(url, actor, who, new_role, new_depts), f"已修改账号 {who}。")
        new_pw = st.text_input("新密码", help=accounts.password_rule(settings.auth), type="password", key=f"uc_pw_{who}", autocomplete="new-password")
        if st.button("重设密码", key="uc_pw_go", disabled=not new_pw):
            _run(lambda: accounts.set_password(url, actor, who, new_pw, policy=settings.auth), f"已重设 {who} 的密码，其会话已结束。")
        if info["disabled"]:
            if st.button("启用账号", key="uc_enable"):
                _run(lambda: accounts.set_disabled(url, actor, who, False), f"已启用账号 {who}。")
        elif who != actor.name and st.button("停用账号", key="uc_disable", type="secondary"):
            _run(lambda: accounts.set_disabled(url, actor, who, True), f"已停用账号 {who}，其会话已结束。")
