"""Which charts cost what in Chromium (issue 28, item 3): every page's Plotly figures, exactly as the app sends
them, drawn one at a time by plotly.js in headless Chromium, and what loading plotly.js itself costs a new tab.

    python -m bench.chart_cost --db sqlite:///bench/out/county.db [--repeat 3]

`figures` runs each page of the registry once in AppTest (default filters, the first 主管部门 on 部门画像) and
keeps every st.plotly_chart's figure and config as the browser receives them (the element's JSON spec).
`costs` opens one blank page in Chromium, loads the plotly.js that the plotly package ships (the same major
version as the one in Streamlit's browser code) and times, for each figure, Plotly.newPlot until the next frame
is painted: best of `repeat`, in milliseconds, the page's other figures purged first. The load of plotly.js
(parse, compile, run its top-level code) is timed once on the blank page: each new tab of the app pays it
before its first chart is drawn, the trivial page included.

The figures are the app's own; nothing here changes them. bench/__main__.py reports `charts_draw_max_ms` (the
page whose charts together cost the most) and `plotly_load_ms`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from pathlib import Path

from bench import server as srv
from dashboard import registry

PLOTLY_JS = "package_data/plotly.min.js"  # inside the plotly package
_DTYPE_BYTES = {"f8": 8, "f4": 4, "i8": 8, "i4": 4, "i2": 2, "i1": 1, "u8": 8, "u4": 4, "u2": 2, "u1": 1}
_BLANK = "<html><head><meta charset='utf-8'></head><body style='margin:0;width:1300px'><div id='c'></div></body></html>"
# an inline script runs when it is appended: the time of parsing, compiling and running plotly.js in the tab
# (the text itself reaches the page before the clock starts)
_LOAD = """(js) => {
  const s = document.createElement('script');
  s.textContent = js;
  const t0 = performance.now();
  document.head.appendChild(s);
  return typeof Plotly === 'object' ? performance.now() - t0 : null;
}"""
_DRAW = """async ([data, layout, config]) => {
  const el = document.getElementById('c');
  Plotly.purge(el);
  const t0 = performance.now();
  await Plotly.newPlot(el, data, layout, config);
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [performance.now() - t0, el.querySelectorAll('.main-svg').length];
}"""


def points(spec: dict) -> int:
    """How many values a figure plots: the x (or pie values) of every trace, whether a list or Plotly's typed
    array ({"dtype": "f8", "bdata": base64}) as plotly.py sends numpy data."""
    n = 0
    for trace in spec.get("data", []):
        values = trace.get("x", trace.get("values"))
        if isinstance(values, dict) and "bdata" in values:
            n += len(base64.b64decode(values["bdata"])) // _DTYPE_BYTES.get(values.get("dtype", "f8"), 8)
        elif isinstance(values, list):
            n += len(values)
    return n


def figures(db_url: str, pages: tuple[str, ...] | None = None, timeout: float = 120) -> list[dict]:
    """The charts of every page (or of the `pages` named by key) as the browser receives them:
    [{page, index, spec, config, bytes}] in page order."""
    from streamlit.testing.v1 import AppTest  # lazy: the harness on demand

    before = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = db_url
    out = []
    try:
        for page in registry.PAGES:
            if pages is not None and page.key not in pages:
                continue
            at = AppTest.from_file(str(srv.APP), default_timeout=timeout)
            at.run()
            if not page.default:
                at.switch_page(f"../pages/{page.file}")
                at.run()
            if at.exception:
                raise RuntimeError(f"{page.key}: {[e.value for e in at.exception]}")
            for i, el in enumerate(at.get("plotly_chart")):
                out.append({"page": page.key, "index": i, "spec": json.loads(el.proto.spec),
                            "config": json.loads(el.proto.config or "{}"), "bytes": len(el.proto.spec)})
    finally:
        if before is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = before
    return out


def plotly_js() -> str:
    import plotly  # lazy: only this probe reads the bundled plotly.js

    return (Path(plotly.__file__).parent / PLOTLY_JS).read_text(encoding="utf-8")


def costs(figs: list[dict], repeat: int = 3, browser=None) -> dict:
    """Draw each figure in Chromium (`browser`, a Playwright browser, or one launched here): {"plotly_load_ms",
    "charts": [{page, index, ms, traces, points, bytes, drawn}], "pages": {page: summed ms}}; a figure that did
    not draw has drawn False."""
    if browser is None:
        from playwright.sync_api import sync_playwright  # lazy: only the browser measurements need Playwright

        with sync_playwright() as p:
            launched = srv.launch_chromium(p)
            try:
                return costs(figs, repeat, launched)
            finally:
                launched.close()
    rows = []
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.set_content(_BLANK)
        load_ms = page.evaluate(_LOAD, plotly_js())
        for f in figs:
            spec = f["spec"]
            config = {**f["config"], "responsive": False}
            runs = [page.evaluate(_DRAW, [spec.get("data", []), spec.get("layout", {}), config])
                    for _ in range(repeat)]
            rows.append({"page": f["page"], "index": f["index"], "ms": min(ms for ms, _ in runs),
                         "traces": len(spec.get("data", [])), "points": points(spec), "bytes": f["bytes"],
                         "drawn": all(svg > 0 for _, svg in runs)})
    finally:
        page.close()
    pages: dict[str, float] = {}
    for r in rows:
        pages[r["page"]] = pages.get(r["page"], 0.0) + r["ms"]
    return {"plotly_load_ms": load_ms, "charts": rows, "pages": pages}


def run(db_url: str, repeat: int = 3) -> dict:
    """figures() then costs(), with the worst page and the worst chart named."""
    out = costs(figures(db_url), repeat)
    if out["pages"]:
        worst_page = max(out["pages"], key=out["pages"].get)
        worst = max(out["charts"], key=lambda r: r["ms"])
        out["max_page"] = {"page": worst_page, "ms": out["pages"][worst_page],
                           "charts": sum(1 for r in out["charts"] if r["page"] == worst_page)}
        out["max_chart"] = {k: worst[k] for k in ("page", "index", "ms", "traces", "points", "bytes")}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.chart_cost", description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=f"sqlite:///{srv.ROOT / 'bench' / 'out' / 'county.db'}")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    out = run(args.db, args.repeat)
    print(f"plotly.js load on a blank tab: {out['plotly_load_ms']:.0f} ms")
    print("page           chart      ms  traces  points    bytes")
    for r in out["charts"]:
        print(f"{r['page']:<14} {r['index']:>5} {r['ms']:7.1f} {r['traces']:>7} {r['points']:>7} {r['bytes']:>8}"
              + ("" if r["drawn"] else "  (not drawn)"))
    for page, ms in out["pages"].items():
        print(f"{page:<14} all charts {ms:7.1f} ms")


if __name__ == "__main__":
    main()
