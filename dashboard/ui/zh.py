"""Streamlit's own words in Chinese: the uploader's button and size line, select placeholders, table and chart
toolbars, the main menu, the date input, the unknown-URL pop-up, screen-reader labels (issue 27, item 1).

Streamlit 1.67 has no way to set the language of its interface (streamlit/streamlit#13500, open; the uploader's
texts and the 404 pop-up have no parameters), so where a widget takes the text as a parameter the pages pass it
(placeholders: `PLACEHOLDER`, `PLACEHOLDER_MANY`), and for the rest one small inline component, mounted by
dashboard/app.py on every page before sign-in, watches the page (a MutationObserver) and replaces exact English
strings of Streamlit and Plotly — text nodes and the aria-label, title, placeholder and data-title attributes —
with their Chinese from `EXACT` and `PATTERNS`. It changes only whole strings that are on those lists, never
part of a string, and never text inside our own content (markdown, text, captions, headings), so data that
happens to read "Open" stays as it is. tests/browser/test_chinese.py walks every page for each role and asserts
no string of `ENGLISH` is left; when a Streamlit upgrade adds a word, that test names it.
"""

from __future__ import annotations

import streamlit as st

PLACEHOLDER = "请选择"  # st.selectbox placeholder
PLACEHOLDER_MANY = "请选择（可多选）"  # st.multiselect placeholder

# whole strings of Streamlit's interface (1.67) and Plotly's toolbar → Chinese
EXACT: dict[str, str] = {
    # file uploader
    "Upload": "选择文件", "Drag and drop file here": "将文件拖到此处", "Drag and drop files here": "将文件拖到此处",
    "Browse files": "选择文件", "file upload": "上传文件", "Remove file": "移除文件", "Delete": "删除",
    # selects and inputs
    "Choose an option": PLACEHOLDER, "Choose options": PLACEHOLDER_MANY, "No results": "没有匹配的选项",
    "Clear all": "全部清除", "Clear value": "清除", "Open": "展开", "Close": "关闭", "Dismiss": "关闭",
    "Increment": "增加", "Decrement": "减少", "Show password": "显示密码", "Hide password": "隐藏密码",
    "Press Enter to apply": "按回车键确认", "Press Enter to submit form": "按回车键提交",
    "yyyy": "年", "mm": "月", "dd": "日",
    # layout, menu, status
    "Skip to main content": "跳到正文", "Collapse sidebar": "收起侧边栏", "Expand sidebar": "展开侧边栏",
    "Sidebar": "侧边栏", "App pages": "页面导航", "Main menu": "主菜单", "Choose date": "选择日期", "Link to heading": "本节链接", "Help": "说明",
    "Rerun": "刷新", "Settings": "设置", "Print": "打印", "Record a screencast": "录屏", "Clear cache": "清除缓存",
    "About": "关于", "Deploy": "部署", "Stop": "停止", "Running...": "正在运行……", "Connecting": "正在连接",
    "Please wait...": "请稍候……", "Made with Streamlit": "基于 Streamlit",
    "Page not found": "找不到页面",
    "The page that you have requested does not seem to exist. Running the app's main page.":
        "您打开的网址不是本系统的页面，已为您打开首页。",
    # tables
    "Download as CSV": "下载为 CSV", "Search": "搜索", "Show/hide columns": "显示或隐藏列",
    "Fullscreen": "全屏", "Exit fullscreen": "退出全屏", "Copy to clipboard": "复制", "Copied": "已复制",
    "Pagination": "分页", "Next page": "下一页", "Previous page": "上一页", "Add row": "添加行",
    "Delete row": "删除行", "Select all": "全选", "Sort ascending": "升序排列", "Sort descending": "降序排列",
    "Pin column": "固定此列", "Unpin column": "取消固定", "Format": "数字格式", "Autosize": "自动列宽",
    "Hide column": "隐藏此列", "Automatic": "自动", "Localized": "本地格式", "Plain": "原样",
    "Percent": "百分比", "Scientific": "科学计数", "Accounting": "会计格式", "Compact": "紧凑",
    # Plotly's toolbar
    "Download plot as a PNG": "下载图片（PNG）", "Download plot as a png": "下载图片（PNG）", "Zoom": "缩放",
    "Pan": "平移", "Zoom in": "放大", "Zoom out": "缩小", "Reset axes": "还原坐标轴", "Autoscale": "自动缩放",
    "Box Select": "框选", "Lasso Select": "套索选择", "Reset view": "还原视图", "Toggle Spike Lines": "显示参考线",
    "Show closest data on hover": "悬停显示最近的数据", "Compare data on hover": "悬停比较数据",
    "Produced with Plotly.js": "由 Plotly.js 生成", "Double-click to zoom back out": "双击还原",
}

# whole strings with a variable part: (JavaScript regular expression, replacement with $1…)
PATTERNS: list[tuple[str, str]] = [
    (r"^Help for (.+)$", "$1 的说明"),
    (r"^Page (\d+)$", "第 $1 页"),
    (r"^(\d+(?:\.\d+)?)\s*([KMG]B) per file$", "每个文件不超过 $1$2"),
    (r"^Limit (\d+(?:\.\d+)?)\s*([KMG]B) per file(.*)$", "每个文件不超过 $1$2$3"),
    (r"^• (.+)$", "· 格式 $1"),
    # $Mn: the month named by group n as its number (January → 1)
    (r"^Selected Date: ([A-Z][a-z]+) (\d{1,2}), (\d{4})$", "已选日期：$3年$M1月$2日"),
    (r"^Selected Date: (.+)$", "已选日期：$1"),
    (r"^day, (.+)$", "$1：日"),
    (r"^month, (.+)$", "$1：月"),
    (r"^year, (.+)$", "$1：年"),
    (r"^([a-z_]+) icon$", "图标"),
    (r"^File must be (\d+(?:\.\d+)?)\s*([KMG]B) or smaller\.$", "文件不能超过 $1$2。"),
    (r"^(.+) is not an allowed file type\.?$", "$1 不是允许的文件类型。"),
    (r"^You have requested page /(.*), but no corresponding file was found.*$", "找不到页面 /$1，已为您打开首页。"),
]

# the English a page must not show once translated (tests/browser/test_chinese.py)
ENGLISH: tuple[str, ...] = tuple(sorted(set(EXACT) - {"yyyy", "mm", "dd"})) + (
    "Help for ", "per file", "Selected Date")

_JS = r"""
export default function (component) {
    const data = component.data || {};
    if (window.__dashboardZh) { return; }
    window.__dashboardZh = true;
    const exact = new Map(Object.entries(data.exact || {}));
    const patterns = (data.patterns || []).map(([re, to]) => [new RegExp(re), to]);
    const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December"];
    const fill = (key, re, to) => key.replace(re, (...m) =>
        to.replace(/\$M(\d)/g, (_, i) => String(months.indexOf(m[Number(i)]) + 1))
          .replace(/\$(\d)/g, (_, i) => m[Number(i)]));
    const attrs = ["aria-label", "title", "placeholder", "data-title", "alt"];
    const ours = '[data-testid="stMarkdownContainer"], [data-testid="stText"], [data-testid="stCaptionContainer"],'
        + ' [data-testid="stHeading"], [data-testid="stCode"]';
    const mine = (node) => {
        const el = node.nodeType === 1 ? node : node.parentElement;
        if (!el || el.closest("script, style, noscript, textarea")) { return true; }
        return !!el.closest(ours) && !el.closest('button, [data-testid="stDialog"]');
    };
    const zh = (value) => {
        if (!value) { return null; }
        const key = value.trim();
        if (!key || !/[A-Za-z]/.test(key)) { return null; }
        if (exact.has(key)) { return value.replace(key, exact.get(key)); }
        for (const [re, to] of patterns) {
            if (re.test(key)) { return value.replace(key, fill(key, re, to)); }
        }
        return null;
    };
    const text = (node) => {
        if (mine(node)) { return; }
        const to = zh(node.nodeValue);
        if (to !== null && to !== node.nodeValue) { node.nodeValue = to; }
    };
    const attr = (el, name) => {
        const v = el.getAttribute(name);
        const to = zh(v);
        if (to !== null && to !== v) { el.setAttribute(name, to); }
    };
    const element = (el) => {
        for (const name of attrs) { if (el.hasAttribute(name)) { attr(el, name); } }
    };
    const walk = (root) => {
        if (root.nodeType === 3) { text(root); return; }
        if (root.nodeType !== 1) { return; }
        element(root);
        const w = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
        let n;
        while ((n = w.nextNode())) { if (n.nodeType === 3) { text(n); } else { element(n); } }
    };
    walk(document.body);
    new MutationObserver((records) => {
        for (const r of records) {
            if (r.type === "characterData") { text(r.target); }
            else if (r.type === "attributes") { attr(r.target, r.attributeName); }
            else { r.addedNodes.forEach(walk); }
        }
    }).observe(document.body, {subtree: true, childList: true, characterData: true,
                              attributes: true, attributeFilter: attrs});
    document.documentElement.lang = "zh-CN";
}
"""
_component = None


def mount() -> None:
    """Mount the translator (once per run; its script installs itself once per browser tab)."""
    global _component
    if _component is None:
        _component = st.components.v2.component("dashboard_zh", js=_JS)
    with st.sidebar:
        _component(key="_dashboard_zh", data={"exact": EXACT, "patterns": PATTERNS}, height=0, width=1)
