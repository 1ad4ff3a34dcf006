"""Running the app under AppTest and reading what it drew: metrics, tables, figures, texts."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"


def make_app(page: str | None = None, query: dict | None = None, state: dict | None = None) -> AppTest:
    """Run the app (optionally on a page, with query params / session state) and return the AppTest."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(f"../pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_rules(at: AppTest) -> AppTest:
    """Open the sidebar's 规则设置 (its inputs are drawn only while it is open) and run again."""
    from dashboard.ui import filters  # lazy: the app's modules load with the first run

    at.session_state[filters.PANEL_KEY] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_chart_data(at: AppTest) -> AppTest:
    """Open every 图表数据 expander of the page (their tables are drawn only while open) and run again."""
    from dashboard.ui import charts  # lazy: the app's modules load with the first run

    for expander in at.expander:
        if expander.label == charts.DATA_LABEL:
            at.session_state[expander.proto.id.split("-", 2)[2]] = True  # "$$ID-<hash>-<key>"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plotly_figures(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """label → (value, delta) of every st.metric."""
    return {m.label: (m.value, m.proto.delta) for m in at.metric}


def texts(at: AppTest) -> str:
    """Every caption, markdown, info, warning, error and subheader on the page, joined."""
    parts = []
    for kind in ("caption", "markdown", "info", "warning", "error", "success", "subheader", "title"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    return "\n".join(parts)


def values(arr) -> list:
    """A plotly JSON array as a list (plotly 7 encodes numeric arrays as {'dtype', 'bdata'})."""
    if isinstance(arr, dict) and "bdata" in arr:
        out = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        if "shape" in arr:
            out = out.reshape([int(x) for x in str(arr["shape"]).split(",")])
        return out.tolist()
    return list(arr)


def figure(at: AppTest, key: str) -> dict:
    """The plotly figure of the chart drawn with `key` (st.plotly_chart(..., key=...))."""
    for el in at.get("plotly_chart"):
        if key in el.proto.id:
            return json.loads(el.proto.spec)
    raise AssertionError(f"no chart with key {key}: {[el.proto.id for el in at.get('plotly_chart')]}")


def table(at: AppTest, *headers: str, nth: int = 0):
    """The nth st.dataframe whose columns include every header given (Chinese, as shown)."""
    found = [df.value for df in at.dataframe if set(headers) <= set(df.value.columns)]
    if len(found) <= nth:
        raise AssertionError(f"no table with {headers}: {[list(df.value.columns) for df in at.dataframe]}")
    return found[nth]


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    """Put one file into the page's file uploader and rerun (the uploader's API differs between versions)."""
    uploader = at.get("file_uploader")[0]
    if hasattr(uploader, "upload"):
        uploader.upload(name, data).run()
    else:
        uploader.set_value((name, data, "application/octet-stream")).run()
    return at
