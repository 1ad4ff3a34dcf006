"""Text that comes from data, file names or the URL, made safe for the two renderers that would interpret it:
Streamlit's Markdown (labels, captions, titles, alerts, link labels) and Plotly's HTML-like chart labels.

Every character Markdown, Streamlit's directives (`:red[…]`, `:material/…:`) or KaTeX (`$…$`) could act
on is backslash-escaped, and line breaks become spaces so a name cannot start a heading or a list.
"""

from __future__ import annotations

import html
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|:$<>~=&^])")
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# GitHub-flavoured Markdown turns bare https://…, www.… and a@b.c into live links even when every
# punctuation mark is escaped; a zero-width space after ':' and '@' and inside 'www.' breaks that
_AUTOLINK = re.compile(r"(?<=\\:)|(?<=@)|(?i:(?<=www)(?=\\\.))")
ZWSP = "\u200b"


def md(value) -> str:
    """`value` as literal text inside any Streamlit string that renders Markdown."""
    if value is None:
        return ""
    escaped = _MARKDOWN.sub(r"\\\1", _BREAKS.sub(" ", str(value)))
    return _AUTOLINK.sub(ZWSP, escaped) if (":" in escaped or "@" in escaped or "ww" in escaped) else escaped


def chart(value) -> str:
    """`value` as literal text in a Plotly label, tick or hover (Plotly reads <b>, <a href>, <br> and entities)."""
    if value is None:
        return ""
    return html.escape(_BREAKS.sub(" ", str(value)), quote=False)


def chart_all(values) -> list[str]:
    return [chart(v) for v in values]
