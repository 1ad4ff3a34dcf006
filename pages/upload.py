"""数据上传: template, several files at once, per-file preview and errors, dry run, import, history with undo."""


import pandas as pd
import streamlit as st

from dashboard.ui import common, export, filters, fmt
from data_loaders import importer, reader, schema, template

ctx = filters.current()
st.title("数据上传")
st.caption("支持 .xlsx / .xls / .csv，可一次选择多个文件；同一次上传的文件作为一个批次导入，"
           "有任何错误则整批不写入。导入后各页面立即显示新数据，可在下方历史记录中撤销。")

KIND_ZH = {"departments": "主管部门", "units": "预算单位", "projects": "项目", "monitoring": "绩效监控", "evaluations": "绩效评价",
           "findings": "问题整改"}
FIELD_ZH = {"department": "主管部门", "unit": "预算单位", "year": "年度", "code": "项目编码", "name": "项目名称",
            "project_code": "项目编码", "project_name": "项目名称", "as_of": "监控截止日期"}


@st.cache_data(max_entries=16, ttl=900, show_spinner="正在读取文件……")
def _preview(name: str, raw: bytes, year: int | None, as_of):
    """The reader's view of one uploaded file, parsed once per content (keyed on the bytes, hashed in full)."""
    return reader.read_file(raw, name, year=year, as_of=as_of)


with common.guard("模板下载"):
    st.download_button("下载标准模板（Excel）", data=template.build_template, file_name="预算绩效数据模板.xlsx",
                       mime=export.XLSX_MIME, on_click="ignore", icon=":material/download:", key="template",
                       help="一个工作表一张表（部门单位、项目、绩效监控、绩效评价、问题整改），附填表说明。"
                            "不必完全照模板：常见的表头写法、标题行、合并单元格、元/万元都能识别。")

st.subheader("① 选择文件")
c1, c2 = st.columns(2)
year = c1.number_input("年度（表格里没有写明时使用）", min_value=2000, max_value=2100, value=None, step=1,
                       key="up_year", placeholder="由表格标题或年度列识别")
as_of = c2.date_input("监控截止日期（监控表没有写明时使用）", value=None, key="up_asof", format="YYYY-MM-DD")
files = st.file_uploader("上传数据文件", type=["xlsx", "xls", "csv"], accept_multiple_files=True,
                         key=f"up_files_{st.session_state.get('up_gen', 0)}", max_upload_size=100)
payload = [(f.name, f.getvalue()) for f in files or []]


def _problems_frame(problems) -> pd.DataFrame:
    return pd.DataFrame([{"级别": "警告" if getattr(p, "level", "error") == "warning" else "错误",
                          "文件": p.file, "工作表": p.sheet or "-", "行": p.row, "列": p.column or "-",
                          "说明": p.message} for p in problems])


if payload:
    st.subheader("② 预览与检查")
    with common.guard("文件预览"):
        any_error = False
        for name, raw in payload:
            result = _preview(name, raw, int(year) if year else None, as_of)
            errors = [p for p in result.problems if getattr(p, "level", "error") != "warning"]
            any_error |= bool(errors)
            icon = ":material/error:" if errors else ":material/check_circle:"
            with st.expander(f"{name}：识别出 {len(result.tables)} 张表，{len(errors)} 个错误", icon=icon,
                             expanded=bool(errors) or len(payload) == 1):
                for t in result.tables:
                    meta = t.meta or {}
                    spec = schema.TABLES.get(t.kind)
                    labels = {f.name: f.label for f in spec.fields} if spec else {}
                    st.markdown(f"**{t.sheet or '（CSV）'} → {KIND_ZH.get(t.kind, t.kind)}**")
                    st.caption(f"年度：{meta.get('year') or '按列/未识别'} · 截止日期：{fmt.date(meta.get('as_of'))} · "
                               f"金额单位：{meta.get('unit') or '万元'} · 共 {len(t.frame)} 行")
                    mapping = pd.DataFrame({"表格中的列": list(t.mapping),
                                            "对应字段": [labels.get(v, v) for v in t.mapping.values()]})
                    st.dataframe(mapping, hide_index=True, width="stretch", key=f"map_{name}_{t.sheet}")
                    head = t.frame.drop(columns=["_row"], errors="ignore").head(5)
                    st.caption("前 5 行（已换算为万元、已识别的值）：")
                    st.dataframe(head.rename(columns=labels), hide_index=True,
                                 width="stretch", key=f"head_{name}_{t.sheet}", placeholder="—")
                if result.problems:
                    st.dataframe(_problems_frame(result.problems), hide_index=True, width="stretch",
                                 key=f"problems_{name}")
    st.subheader("③ 导入")
    b1, b2 = st.columns(2)
    dry = b1.button("试导入（只检查，不写入）", key="dry_run", icon=":material/fact_check:")
    go = b2.button("导入", type="primary", key="do_import", icon=":material/upload:")
    if dry or go:
        with common.guard("导入"):
            with st.status("正在导入……" if go else "正在检查……", expanded=True) as status:
                bar = st.progress(0.0)

                def progress(fraction, message=""):
                    try:
                        bar.progress(min(1.0, max(0.0, float(fraction))), text=str(message or ""))
                    except (TypeError, ValueError):
                        pass

                result = importer.import_files(ctx.url, payload, year=int(year) if year else None, as_of=as_of,
                                               dry_run=not go, user="web", progress=progress)
                if result.ok:
                    status.update(label="导入完成" if go else "检查通过，可以导入", state="complete")
                else:
                    status.update(label="有错误，未写入任何数据", state="error")
            if result.ok:
                counts = pd.DataFrame([{"表": KIND_ZH.get(k, k), "新增": v.get("inserted", 0),
                                        "更新": v.get("updated", 0), "未变": v.get("unchanged", 0)}
                                       for k, v in (result.counts or {}).items()])
                if go:
                    # a fresh uploader (new key) so the next file can be dropped in; the outcome survives the rerun
                    st.session_state["imported"] = (result.batch_id, counts)
                    st.session_state["up_gen"] = st.session_state.get("up_gen", 0) + 1
                    st.rerun()
                st.success("检查通过：没有错误，数据未写入。", icon=":material/check:")
                if not counts.empty:
                    st.dataframe(counts, hide_index=True, width="stretch", key="import_counts")
            else:
                problems = _problems_frame(result.problems)
                st.error(f"发现 {int((problems['级别'] == '错误').sum())} 个错误，本次没有写入任何数据。"
                         "请按下表逐条修改后重新上传。", icon=":material/error:")
                st.dataframe(problems, hide_index=True, width="stretch", key="import_problems")
                export.download_button(problems, "导入错误清单", key="import_problems_xlsx", label="下载错误清单")

if st.session_state.get("imported"):
    batch_id, counts = st.session_state.pop("imported")
    st.success(f"已导入，批次 #{batch_id}。各页面已显示新数据。", icon=":material/check:")
    if not counts.empty:
        st.dataframe(counts, hide_index=True, width="stretch", key="import_counts")

st.subheader("导入历史")


def _clear_undo() -> None:
    st.session_state.pop("undo_target", None)


@st.dialog("确认撤销导入", on_dismiss=_clear_undo)
def _confirm_undo(batch_id: int) -> None:
    st.write(f"撤销批次 #{batch_id} 会把数据恢复到该批次导入之前的状态。确定吗？")
    c1, c2 = st.columns(2)
    if c1.button("确定撤销", type="primary", key="undo_yes"):
        try:
            importer.undo_batch(ctx.url, batch_id)
        except importer.UndoRefused as exc:
            st.error(f"不能撤销：{exc}")
            return
        except Exception as exc:  # noqa: BLE001
            st.error(f"撤销失败（{exc.__class__.__name__}），数据没有改动。")
            return
        _clear_undo()
        st.session_state["undone_msg"] = f"已撤销批次 #{batch_id}，数据已恢复到该批次导入之前。"
        st.rerun()
    if c2.button("取消", key="undo_no"):
        _clear_undo()
        st.rerun()


with common.guard("导入历史"):
    if st.session_state.get("undone_msg"):
        st.success(st.session_state.pop("undone_msg"))
    rows = []
    for b in importer.list_batches(ctx.url):
        created = b.get("created_at")
        rows.append({
            "批次": b.get("id"),
            "时间": created.strftime("%Y-%m-%d %H:%M") if hasattr(created, "strftime")
            else str(created or "").replace("T", " ")[:16],
            "来源": {"demo": "演示数据", "import": "上传", "sync": "同步"}.get(b.get("source"), b.get("source")),
            "文件": "、".join(f.get("name", "") for f in b.get("files") or []),
            "用户": b.get("user") or "",
            "状态": "已撤销" if b.get("status") == "undone" else "有效",
        })
    history = pd.DataFrame(rows)
    if history.empty:
        st.caption("还没有导入记录。")
    else:
        st.dataframe(history, hide_index=True, width="stretch", key="history")
        export.download_button(history, "导入历史", key="history_xlsx")
        active = history[history["状态"] == "有效"]["批次"].tolist()
        if active:
            c1, c2 = st.columns([2, 1])
            target = c1.selectbox("撤销批次", active, key="undo_pick", format_func=lambda i: f"#{i}")
            if c2.button("撤销该批次…", key="undo_open", icon=":material/undo:"):
                st.session_state["undo_target"] = int(target)
            # kept in session state so the dialog's own buttons still find it on the next run
            if st.session_state.get("undo_target") in active:
                _confirm_undo(st.session_state["undo_target"])
