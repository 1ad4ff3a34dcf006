"""数据上传: template, several files at once, per-file preview and errors, dry run, import, history with undo."""

import streamlit as st

from dashboard.ui import auth, common, export, filters, tables, text, upload

ctx = filters.current()
st.title("数据上传")
auth.notice(auth.settings())
st.caption("支持 .xlsx / .xls / .csv，可一次选择多个文件；同一次上传的文件作为一个批次导入，"
           "有任何错误则整批不写入。导入后各页面立即显示新数据，可在下方历史记录中撤销。")

with common.guard("模板下载"):
    export.download("下载标准模板（Excel）", upload.build_template, upload.TEMPLATE_FILE, "template", what="标准模板",
                    help="一个工作表一张表（部门单位、项目、绩效监控、绩效评价、问题整改），附填表说明。"
                            "不必完全照模板：常见的表头写法、标题行、合并单元格、元/万元都能识别。")

st.subheader("① 选择文件")
uploader_key = f"up_files_{st.session_state.get('up_gen', 0)}"


def _propose_year() -> None:
    """A new upload whose file names give a year (2023年项目清单.xlsx) pre-fills an empty 年度 with it."""
    names = [f.name for f in st.session_state.get(uploader_key) or []]
    proposed = upload.year_from_names(names)
    if proposed and st.session_state.get("up_year") is None:
        st.session_state["up_year"], st.session_state["up_year_from"] = proposed
    elif not names:
        st.session_state.pop("up_year_from", None)


c1, c2, c3, c4 = st.columns(4)
year = c1.number_input("年度（表格里没有写明时使用）", min_value=2000, max_value=2100, value=None, step=1,
                       key="up_year", placeholder="由表格标题或年度列识别")
year = int(year) if year else None
as_of = c2.date_input("监控截止日期（监控表没有写明时使用）", value=None, key="up_asof", format="YYYY-MM-DD")
kind = c3.selectbox("评价类型（评价表没有写明时使用）", upload.KIND_OPTIONS, index=None, key="up_kind",
                    placeholder="由评价类型列或标题识别",
                    help="评价清单既没有“评价类型”列、标题里也没有写明（如“财政重点绩效评价结果”）时，按这里选的类型导入"
                         "（命令行用 --kind）。")
unit = c4.selectbox("金额单位（整份文件）", upload.UNIT_OPTIONS, index=None, key="up_unit", placeholder="按表头识别",
                    help="选定后，文件里所有金额都按这个单位读取，不看表头写的单位（命令行用 --unit）。"
                         "预览提示“金额单位待确认”时，核对原表后在这里选择。")
if year and st.session_state.get("up_year_from"):
    c1.caption(f"已按文件名“{text.md(st.session_state['up_year_from'])}”填写年度 {year}，请核对。")
files = st.file_uploader("上传数据文件", type=["xlsx", "xls", "csv"], accept_multiple_files=True,
                         key=uploader_key, max_upload_size=upload.max_upload_mb(), on_change=_propose_year)
payload = [(f.name, f.getvalue()) for f in files or []]


def _preview(reads, check) -> None:
    """One expander per file: the dry run's problems of it first (errors, then warnings: exactly what 试导入 and
    导入 find), then each table recognised with its column mapping and first rows."""
    others = upload.other_problems(check, reads)
    if others:
        st.error(f"检查发现 {upload.error_count(others)} 个错误：", icon=":material/error:")
        tables.shown(upload.problems_frame(others), "problems_all")
    for name, _sha, result in reads:
        problems = upload.file_problems(check, name)
        errors = upload.error_count(problems)
        icon = ":material/error:" if errors else ":material/check_circle:"
        with st.expander(f"{text.md(name)}：识别出 {len(result.tables)} 张表，{errors} 个错误", icon=icon,
                         expanded=bool(errors) or len(reads) == 1):
            if errors:
                st.error(f"这个文件有 {errors} 个错误，改正后才能导入：", icon=":material/error:")
            if problems:
                tables.shown(upload.problems_frame(problems), f"problems_{name}")
            for t in result.tables:
                st.markdown(f"**{text.md(upload.table_title(t))}**")
                st.caption(upload.table_caption(t))
                tables.shown(upload.mapping_frame(t), f"map_{name}_{t.sheet}")
                st.caption("前 5 行（已换算为万元、已识别的值）：")
                tables.shown(upload.head_frame(t), f"head_{name}_{t.sheet}")


def _mapping_step(reads) -> None:
    """Sheets without a recognised header: each column's field chosen (suggested first), saved as a 版式 that reads
    this file and every later file with the same header."""
    sheets = upload.unmapped_sheets(reads)
    if not sheets:
        return
    actor = auth.current()
    may = actor is not None and actor.may("layouts")
    st.markdown("**没有识别出的工作表：逐列对应字段，保存为版式**")
    st.caption("下面的工作表没有认出表头。请核对表头所在的行和这张表的种类，为每一列选择对应的字段（用不到的列选“不导入”），"
               "保存为版式：这个文件会按版式重新读取，以后表头相同的文件也会自动按这个版式读取。")
    for i, (name, sheet, rows) in enumerate(sheets):
        with st.container(border=True):
            st.markdown(f"**{text.md(name)} / {text.md(sheet)}**")
            guess = upload.suggestion(rows, None, None)
            c1, c2 = st.columns(2)
            row = c1.number_input("表头所在的行（Excel 行号）", min_value=1, max_value=len(rows),
                                  value=guess.header_row + 1, step=1, key=f"map_row_{i}")
            kinds = list(upload.LAYOUT_KIND_OPTIONS)
            kind = c2.selectbox("这是哪一种表", kinds, index=kinds.index(guess.kind or "projects"),
                                format_func=upload.kind_label, key=f"map_kind_{i}")
            proposal = upload.suggestion(rows, int(row) - 1, kind)
            options = upload.field_options(kind)
            with st.form(f"map_form_{i}_{kind}_{int(row)}", border=False):
                choices, headers = [], []
                cols = st.columns(3)
                for c, (header, field, samples) in enumerate(proposal.columns):
                    default = upload.choice_label(kind, field)
                    choice = cols[c % 3].selectbox(upload.column_label(header, samples, c), options,
                                                   index=options.index(default), key=f"map_col_{i}_{kind}_{int(row)}_{c}")
                    choices.append(choice)
                    headers.append(header)
                layout_name = st.text_input("版式名称", value=f"{sheet}"[:40], key=f"map_name_{i}", max_chars=60)
                saved = st.form_submit_button("保存版式并按版式读取", type="primary", icon=":material/save:",
                                              disabled=not may)
            if not may:
                st.caption("保存版式需要绩效科或管理员账号。")
            if saved:
                try:
                    st.session_state["layout_msg"] = upload.save_layout(ctx.url, actor, layout_name, kind, headers,
                                                                        choices)
                except (upload.LayoutError, upload.Forbidden) as exc:
                    st.error(text.md(str(exc)), icon=":material/error:")
                else:
                    st.rerun()


def _import(reads, go: bool) -> None:
    """Import (go) or only check the files as previewed; show the counts or every error."""
    with st.status("正在导入……" if go else "正在检查……", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(fraction, message=""):
            try:
                bar.progress(min(1.0, max(0.0, float(fraction))), text=str(message or ""))
            except (TypeError, ValueError):
                pass

        result = upload.run_import(ctx.url, reads, dry_run=not go, progress=progress, actor=auth.current())
        if result.ok:
            status.update(label="导入完成" if go else "检查通过，可以导入", state="complete")
        else:
            status.update(label="有错误，未写入任何数据", state="error")
    if not result.ok:
        problems = upload.problems_frame(result.problems)
        st.error(f"发现 {len(result.errors)} 个错误，本次没有写入任何数据。请按下表逐条修改后重新上传。",
                 icon=":material/error:")
        tables.shown(problems, "import_problems", "导入错误清单", download_label="下载错误清单")
        return
    counts = upload.counts_frame(result.counts)
    if go:
        # a fresh uploader (new key) so the next file can be dropped in; the outcome survives the rerun
        st.session_state["imported"] = (result.batch_id, counts, upload.change_lines(result.changes))
        st.session_state["undo_pick"] = result.batch_id  # the undo selector points at the batch just written
        st.session_state["up_gen"] = st.session_state.get("up_gen", 0) + 1
        st.rerun()
    st.success("检查通过：没有错误，数据未写入。", icon=":material/check:")
    if not counts.empty:
        tables.shown(counts, "import_counts")
    _changes("导入后将产生的变更（试导入，未写入）", upload.change_lines(result.changes))


def _changes(title: str, lines: list[str]) -> None:
    """A 变更 summary as plain text (project names come from the files: never Markdown)."""
    if lines:
        st.markdown(f"**{title}**")
        for line in lines:
            st.text(line)


department = st.session_state.get("up_dept") or None
if payload:
    st.subheader("② 预览与检查")
    reads, check = [], None
    with common.guard("文件预览"):
        reads = upload.read_uploads(payload, year, as_of, kind, unit, ctx.url, department)
        if department or upload.needs_department(reads):
            known = upload.department_names(ctx.url)
            st.selectbox("主管部门（表格里没有写明时使用）", known, index=None, key="up_dept",
                         accept_new_options=True, placeholder="选择或输入主管部门名称",
                         help="表格没有“主管部门”列或有的行没有填写时，这些行按这里的主管部门导入（命令行用 --department）；"
                              "不在部门单位表中的预算单位将新建在该主管部门下。")
        for line, is_error in upload.unit_sentences(reads):
            (st.error if is_error else st.warning)(text.md(line), icon=":material/currency_yuan:")
        notices, skipped = upload.top_notices(reads)
        if notices:
            st.warning("请先核对以下几点（不影响导入）：\n\n" + "\n".join(f"- {text.md(line)}" for line in notices),
                       icon=":material/warning:")
        for line in skipped:
            st.caption(text.md(line))
        check = upload.check_uploads(ctx.url, reads, (year, as_of, kind, unit, department), auth.current())
        if department:
            st.info(text.md(upload.department_sentence(check, department)), icon=":material/domain:")
        if st.session_state.get("layout_msg"):
            st.success(text.md(st.session_state.pop("layout_msg")), icon=":material/check:")
        _preview(reads, check)
        _mapping_step(reads)
    st.subheader("③ 导入")
    blocked = check is None or not check.ok
    b1, b2 = st.columns(2)
    dry = b1.button("试导入（只检查，不写入）", key="dry_run", icon=":material/fact_check:")
    go = b2.button("导入", type="primary", key="do_import", icon=":material/upload:", disabled=blocked,
                   help="预览中有错误的文件改正后才能导入" if blocked else None)
    if blocked:
        st.caption("预览中有错误，导入按钮已停用；改正文件后重新上传。")
    if dry or go:
        with common.guard("导入"):
            _import(reads or upload.read_uploads(payload, year, as_of, kind, unit, ctx.url, department), go)

if st.session_state.get("imported"):
    batch_id, counts, change_lines = st.session_state.pop("imported")
    st.success(f"已导入，批次 #{batch_id}。各页面已显示新数据。", icon=":material/check:")
    if not counts.empty:
        tables.shown(counts, "import_counts")
    _changes(f"批次 #{batch_id} 的变更", change_lines)

st.subheader("导入历史")


def _clear_undo() -> None:
    st.session_state.pop("undo_target", None)
    st.session_state.pop("undo_base_ok", None)


@st.dialog("确认撤销导入", on_dismiss=_clear_undo)
def _confirm_undo(batch_id: int, base: bool) -> None:
    st.write(f"撤销批次 #{batch_id} 会把数据恢复到该批次导入之前的状态。确定吗？")
    confirmed = True
    if base:
        st.warning(f"批次 #{batch_id} 是基础数据（演示数据或第一次导入）：撤销后，它写入的部门、项目等数据都将删除。",
                   icon=":material/warning:")
        confirmed = st.checkbox("我确认要撤销基础数据", key="undo_base_ok")
    c1, c2 = st.columns(2)
    if c1.button("确定撤销", type="primary", key="undo_yes", disabled=not confirmed):
        refused = upload.undo(ctx.url, batch_id, actor=auth.current())
        if refused:
            st.error(text.md(refused))
            return
        _clear_undo()
        st.session_state["undone_msg"] = (f"已撤销批次 #{batch_id}，数据已恢复到该批次导入之前。",
                                          upload.undo_lines(ctx.url, batch_id))
        st.rerun()
    if c2.button("取消", key="undo_no"):
        _clear_undo()
        st.rerun()


with common.guard("导入历史"):
    if st.session_state.get("undone_msg"):
        undone_msg, undone_lines = st.session_state.pop("undone_msg")
        st.success(undone_msg)
        _changes("撤销带来的变更", undone_lines)
    history = upload.history_frame(ctx.url)
    if history.empty:
        st.caption("还没有导入记录。")
    else:
        tables.shown(history, "history", "导入历史")
        for summary in upload.history_changes(ctx.url):
            with st.expander(text.md(summary["title"])):
                for line in summary["lines"]:
                    st.text(line)
                if summary["undo_lines"]:
                    st.markdown("**撤销时的变更**")
                    for line in summary["undo_lines"]:
                        st.text(line)
        choices = {c["id"]: c for c in upload.undo_choices(ctx.url)}  # newest first
        if choices:
            c1, c2 = st.columns([2, 1])
            target = c1.selectbox("撤销批次", list(choices), index=0, key="undo_pick",
                                  format_func=lambda i: choices[i]["label"])
            if c2.button("撤销该批次…", key="undo_open", icon=":material/undo:"):
                st.session_state.pop("undo_base_ok", None)
                st.session_state["undo_target"] = int(target)
            # kept in session state so the dialog's own buttons still find it on the next run
            picked = st.session_state.get("undo_target")
            if picked in choices:
                _confirm_undo(picked, choices[picked]["base"])

st.subheader("导入版式")
with common.guard("导入版式"):
    if st.session_state.get("layout_gone"):
        st.success(text.md(st.session_state.pop("layout_gone")))
    saved_layouts = upload.layouts_frame(ctx.url)
    if saved_layouts.empty:
        st.caption("还没有保存的版式。上传的工作表没有识别出表头时，可在预览中逐列对应字段并保存为版式。")
    else:
        st.caption("表头与版式相同的工作表会自动按版式读取。下载的版式文件可用于命令行：python -m dashboard import --layout 版式文件 数据文件")
        tables.shown(saved_layouts, "layouts", "导入版式")
        names = saved_layouts["版式"].tolist()
        c1, c2, c3 = st.columns([2, 1, 1])
        picked_layout = c1.selectbox("版式", names, key="layout_pick")
        with c2:
            export.download("下载版式文件", lambda: upload.layout_file(ctx.url, picked_layout),
                            upload.layout_file_name(picked_layout), "layout_download", what=f"导入版式 {picked_layout}",
                            mime="application/json")
        actor = auth.current()
        if c3.button("删除版式", key="layout_delete", icon=":material/delete:",
                     disabled=actor is None or not actor.may("layouts")):
            try:
                st.session_state["layout_gone"] = upload.delete_layout(ctx.url, actor, picked_layout)
            except upload.Forbidden as exc:
                st.error(text.md(str(exc)))
            else:
                st.rerun()
