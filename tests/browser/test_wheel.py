"""A wheel built from the repository serves the app, pages included, from outside the repository (issue 21).

The wheel is built from a copy of pyproject.toml and the folders it packages (pip builds in the source tree, where
setuptools would leave build/ and *.egg-info behind), offline with the installed setuptools. It goes with --no-deps
into a new virtual environment that sees the dependencies through one .pth line naming the site-packages of the
interpreter running pytest: a plain path line, so that folder's own .pth files do not run — among them the editable
install's finder, which maps `dashboard` to this repository. Every command runs in a temporary directory, and the
test checks that `dashboard`, `data_loaders` and the page scripts are the new environment's copies. A second .pth
hides openpyxl: the app must run without it (a dev dependency: only the tests use it).

How a wheel-installed server runs — the commands below, in this order:

    python -m dashboard init                  # DATABASE_URL names the database; then `demo` or `import`
    python -m streamlit run SITE/dashboard/app.py --server.headless true --server.port 8501 \\
        --server.address 127.0.0.1            # SITE: the site-packages the wheel went to

Streamlit's own settings (upload limit, XSRF, error details, theme) are not in the wheel: Streamlit reads
.streamlit/config.toml from the working directory, as the app reads dashboard.toml and Streamlit reads
.streamlit/secrets.toml there, so a deployment starts the server in a directory that holds a copy of the
repository's .streamlit/config.toml (flags override single keys). The test serves from such a directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest

from bench import server as srv
from dashboard.registry import PAGES
from tests.browser import waits

ROOT = Path(__file__).resolve().parents[2]
DEMO_TODAY = "2025-06-30"  # the browser tests' judging day (tests/browser/conftest.py)
TIMEOUT_MS = 90_000  # bounds, not pauses: each wait ends as soon as its signal shows

pytestmark = pytest.mark.xdist_group("wheel")  # both tests on one worker: the wheel is built once


@dataclass
class Installed:
    wheel: Path
    python: Path  # the new environment's interpreter
    site: Path  # its site-packages, where the wheel went
    work: Path  # the working directory of every command: no repository in sight


def _run(cmd: list, cwd: Path, env: dict | None = None, timeout: float = 120) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{cmd} exited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _builds_offline() -> bool:
    """Whether the installed setuptools builds wheels without a download (bdist_wheel: setuptools ≥ 70.1 or the
    `wheel` package); otherwise pip builds in an isolated environment and fetches setuptools from PyPI."""
    spec = find_spec("setuptools")
    if spec is None or not spec.submodule_search_locations:
        return False
    return (Path(spec.submodule_search_locations[0]) / "command" / "bdist_wheel.py").is_file() or bool(
        find_spec("wheel"))


def _build_wheel(tmp: Path) -> Path:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    src = tmp / "src"
    src.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", src)
    for pattern in config["tool"]["setuptools"]["packages"]["find"]["include"]:
        top = pattern.rstrip("*").split(".")[0]
        shutil.copytree(ROOT / top, src / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    offline = ["--no-build-isolation", "--no-index"] if _builds_offline() else []
    _run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "-q", "--no-deps", *offline,
          "-w", tmp / "dist", src], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--disable-pip-version-check", "-q",
          "--no-deps", "--no-index", wheel], cwd=tmp)  # the new environment holds nothing else yet
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp).strip())
    deps = dict.fromkeys(sysconfig.get_path(k) for k in ("purelib", "platlib"))  # the running interpreter's
    (site / "_dependencies.pth").write_text("".join(f"{d}\n" for d in deps), encoding="utf-8")
    (site / "_no_openpyxl.pth").write_text("import sys; sys.modules['openpyxl'] = None\n", encoding="utf-8")
    work = tmp / "work"
    (work / ".streamlit").mkdir(parents=True)
    shutil.copy2(ROOT / ".streamlit" / "config.toml", work / ".streamlit" / "config.toml")
    return Installed(wheel, python, site, work)


def _env(inst: Installed, url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, "DATABASE_URL": url, "DASHBOARD_TODAY": DEMO_TODAY,
            "DASHBOARD_SETTINGS": str(inst.work / "no-such-settings.toml")}


_WHERE = """
import json, sys
import dashboard, data_loaders
from dashboard import registry
try:
    import openpyxl  # noqa: F401
    openpyxl_found = True
except ImportError:
    openpyxl_found = False
print(json.dumps({"dashboard": dashboard.__file__, "data_loaders": data_loaders.__file__,
                  "pages_dir": str(registry.PAGES_DIR), "openpyxl": openpyxl_found, "path": sys.path,
                  "missing": [p.file for p in registry.PAGES if not p.path.is_file()]}))
"""


def test_wheel_holds_the_app_and_is_what_runs(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {"dashboard/app.py", "dashboard/assets/favicon.png", "dashboard/assets/brief-template.docx",
                "dashboard/core/migrations/env.py", "dashboard/core/migrations/script.py.mako", "pages/__init__.py",
                *(f"pages/{p.file}" for p in PAGES)}
    assert not expected - names, sorted(expected - names)
    versions = ROOT / "dashboard" / "core" / "migrations" / "versions"
    migrations = {f"dashboard/core/migrations/versions/{p.name}" for p in versions.glob("*.py")}
    assert migrations and not migrations - names, sorted(migrations - names)

    where = json.loads(_run([installed.python, "-c", _WHERE], cwd=installed.work,
                            env=_env(installed, "sqlite:///unused.db")))
    site = installed.site.resolve()
    for key in ("dashboard", "data_loaders", "pages_dir"):
        assert Path(where[key]).resolve().is_relative_to(site), (key, where[key], site)
    assert where["missing"] == []
    assert where["openpyxl"] is False
    assert str(ROOT) not in {str((installed.work / p).resolve()) for p in where["path"]}, where["path"]


def _start(inst: Installed, url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = srv.free_port()
    cmd = [inst.python, "-m", "streamlit", "run", inst.site / "dashboard" / "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1"]
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(c) for c in cmd], cwd=inst.work, env=_env(inst, url), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def _wait_healthy(proc: subprocess.Popen, base: str, log: Path, timeout: float = TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)  # polling interval of the health check
    pytest.fail(f"streamlit not healthy after {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """End the server's whole process group (its own session): SIGTERM, then SIGKILL after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _expected_budget(url: str) -> tuple[str, str]:
    """The overview's 预算 card at default filters (latest year) as the UI formats it: (number, unit)."""
    from dashboard import metrics as m
    from dashboard.core.settings import rules_from_mapping
    from dashboard.present import fmt

    year = m.available_years(url)[0]
    q = m.Query(url, m.prepare(url), m.Scope(year=year), rules_from_mapping({}))
    return fmt.wan_unit(m.project_totals(q)["budget_total"])


@pytest.mark.browser
def test_wheel_serves_the_overview(installed, tmp_path, page):
    """The session's Chromium (tests/browser/conftest.py `page`: it fails under CI=true when Chromium is
    missing) visits the server the wheel's own app.py runs."""
    from playwright.sync_api import expect

    url = f"sqlite:///{installed.work / 'demo.db'}"
    env = _env(installed, url)
    _run([installed.python, "-m", "dashboard", "init"], cwd=installed.work, env=env)
    _run([installed.python, "-m", "dashboard", "demo", "--scale", "county"], cwd=installed.work, env=env, timeout=180)
    number, unit = _expected_budget(url)

    log = tmp_path / "streamlit.log"
    proc, base = _start(installed, url, log)
    try:
        _wait_healthy(proc, base, log)
        with urllib.request.urlopen(base + "/", timeout=30) as resp:
            assert resp.status == 200
        pg = page
        pg.set_default_timeout(TIMEOUT_MS)
        pg.goto(base + "/")
        waits.wait_ready(pg, "总览", timeout=TIMEOUT_MS)
        card = pg.locator("[data-testid='stMetric']").filter(
            has=pg.locator("[data-testid='stMetricLabel']", has_text=re.compile(r"^\s*预算"))).first
        expect(card.locator("[data-testid='stMetricValue']")).to_have_text(
            re.compile(rf"^\s*{re.escape(number)}\s*({unit})?\s*$"), timeout=TIMEOUT_MS)
        expect(card).to_contain_text(unit)
        assert pg.locator("[data-testid='stException']").count() == 0, "the overview shows an exception"
        assert "Traceback" not in pg.locator("body").inner_text()
    finally:
        _stop(proc)
