"""The wheelhouse installs the app with no network, and the installed app starts (issue 27, docs/install-offline.md).

`scripts/wheelhouse.py` (what `make wheelhouse` runs) writes the pinned, hashed wheels of every package the app
needs into a temporary folder (pip's download cache makes a second run take seconds). Then, inside a network
namespace of its own (`unshare -n`: only a loopback, so nothing can be fetched even by mistake), a new virtual
environment of the system's Python installs from that folder alone — `pip install --isolated --no-index
--find-links DIR --require-hashes -r DIR/requirements.txt`, the command docs/install-offline.md gives — and the
installed app creates a SQLite database, loads the county demo, renders the overview (Streamlit's AppTest,
no exception, the 预算 card shown) and serves /_stcore/health and / with `streamlit run` of the installed
app.py. Set WHEELHOUSE_DIR to test a folder made earlier (`make wheelhouse`) instead of building one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("wheelhouse")

ROOT = Path(__file__).resolve().parents[1]
DEMO_TODAY = "2025-06-30"

# runs in the new environment, inside the network namespace: install, init, demo, render, serve
_DRIVER = r'''
import fcntl, json, os, signal, socket, struct, subprocess, sys, time, urllib.request
venv, wheelhouse, work = sys.argv[1], sys.argv[2], sys.argv[3]
if sys.argv[4:] == ["lo-up"]:  # a new network namespace starts with its loopback down: SIOCGIFFLAGS, SIOCSIFFLAGS
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 0x1))
py = os.path.join(venv, "bin", "python")
out = {}

def run(cmd, timeout):
    t = time.monotonic()
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        print(json.dumps({**out, "failed": cmd, "rc": done.returncode,
                          "output": (done.stdout + done.stderr)[-4000:]}))
        sys.exit(1)
    return round(time.monotonic() - t, 1), done.stdout

out["install_s"], _ = run([py, "-m", "pip", "install", "--isolated", "--disable-pip-version-check", "-q",
                           "--no-compile", "--no-index", "--find-links", wheelhouse, "--require-hashes",
                           "-r", os.path.join(wheelhouse, "requirements.txt")], 600)
_, frozen = run([py, "-m", "pip", "list", "--isolated", "--format", "json", "--disable-pip-version-check"], 60)
out["installed"] = {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(frozen)}
try:
    socket.create_connection(("pypi.org", 443), timeout=3).close()
    out["network"] = True
except OSError:
    out["network"] = False
out["init_s"], _ = run([py, "-m", "dashboard", "init"], 120)
out["demo_s"], _ = run([py, "-m", "dashboard", "demo", "--scale", "county"], 300)
_, where = run([py, "-c", "import dashboard, sysconfig; print(dashboard.__file__); "
                "print(sysconfig.get_path('purelib'))"], 60)
out["dashboard_file"], site = where.split()
out["site"] = site
app = os.path.join(site, "dashboard", "app.py")
render = ("import json, sys\n"
          "from streamlit.testing.v1 import AppTest\n"
          "at = AppTest.from_file(sys.argv[1], default_timeout=120)\n"
          "at.run()\n"
          "print(json.dumps({'exceptions': [str(e.value) for e in at.exception],\n"
          "                  'metrics': [m.label for m in at.metric]}))\n")
out["render_s"], rendered = run([py, "-c", render, app], 300)
out["render"] = json.loads(rendered.strip().splitlines()[-1])
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
log = open(os.path.join(work, "streamlit.log"), "wb")
t = time.monotonic()
server = subprocess.Popen([py, "-m", "streamlit", "run", app, "--server.headless", "true", "--server.port",
                           str(port), "--server.address", "127.0.0.1"], cwd=work, stdout=log,
                          stderr=subprocess.STDOUT, start_new_session=True)
try:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as resp:
                out["health"] = resp.read().decode().strip()
                break
        except OSError:
            time.sleep(0.2)
    out["serve_s"] = round(time.monotonic() - t, 1)
    if out.get("health") == "ok":
        with urllib.request.urlopen(base + "/", timeout=30) as resp:
            out["index_status"] = resp.status
finally:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
            server.wait(timeout=wait)
            break
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue
log.close()
out["log"] = open(os.path.join(work, "streamlit.log"), encoding="utf-8", errors="replace").read()[-3000:]
print(json.dumps(out))
'''


def _offline_prefix() -> list[str]:
    """`unshare -n` (util-linux) when this machine allows it (root, as here and in CI); else nothing. The driver
    brings the namespace's loopback up itself."""
    unshare = shutil.which("unshare")
    if not unshare:
        return []
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=30, check=False)
    return [unshare, "-n"] if probe.returncode == 0 else []


def _clean_env(work: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    return {**env, "DATABASE_URL": f"sqlite:///{work / 'demo.db'}", "DASHBOARD_TODAY": DEMO_TODAY,
            "DASHBOARD_SETTINGS": str(work / "no-such-settings.toml"), "HOME": str(work)}


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    given = os.environ.get("WHEELHOUSE_DIR")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("wheelhouse") / "wheelhouse"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "wheelhouse.py"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"scripts/wheelhouse.py failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return out


def test_requirements_pin_and_hash_every_wheel(wheelhouse):
    lines = (wheelhouse / "requirements.txt").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    reqs = [ln.split() for ln in lines if ln.strip() and not ln.startswith("#")]
    wheels = sorted(p.name for p in wheelhouse.glob("*.whl"))
    assert len(reqs) == len(wheels) > 30, (len(reqs), wheels)
    for req in reqs:
        assert "==" in req[0] and len(req) == 2 and req[1].startswith("--hash=sha256:"), req
    names = {r[0].split("==")[0].split("[")[0] for r in reqs}
    assert {"streamlit", "sqlalchemy", "alembic", "pandas", "python-calamine", "budget-performance-dashboard"} <= names
    assert not names & {"pytest", "playwright", "hypothesis", "openpyxl", "ruff"}, "dev packages in the wheelhouse"
    assert all(w.endswith(("-none-any.whl", "x86_64.whl")) for w in wheels), wheels


def test_installs_offline_and_the_app_starts(wheelhouse, tmp_path):
    work = tmp_path / "work"
    (work / ".streamlit").mkdir(parents=True)
    shutil.copy2(wheelhouse / "streamlit" / "config.toml", work / ".streamlit" / "config.toml")
    venv = tmp_path / "venv"
    base_python = shutil.which("python3.11") or shutil.which("python3")
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True, timeout=120)
    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER, encoding="utf-8")
    prefix = _offline_prefix()
    if os.environ.get("CI") == "true":
        assert prefix, "CI runs as root: `unshare -n` must be available to take the network away"
    started = time.monotonic()
    done = subprocess.run([*prefix, str(venv / "bin" / "python"), "-I", str(driver), str(venv), str(wheelhouse),
                           str(work), *(["lo-up"] if prefix else [])], cwd=work, env=_clean_env(work), capture_output=True, text=True, timeout=900,
                          check=False)
    lines = done.stdout.strip().splitlines()
    assert lines, f"driver printed nothing (rc {done.returncode}):\n{done.stderr[-4000:]}"
    out = json.loads(lines[-1])
    assert done.returncode == 0, json.dumps(out, ensure_ascii=False, indent=1)
    print(f"offline={bool(prefix)} total={time.monotonic() - started:.0f}s install={out['install_s']}s "
          f"init={out['init_s']}s demo={out['demo_s']}s render={out['render_s']}s serve={out['serve_s']}s")

    if prefix:
        assert out["network"] is False, "the namespace had a route out: the install was not proven offline"
    pins = {}
    for ln in (wheelhouse / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if "==" in ln and not ln.startswith("#"):
            name, version = ln.split()[0].split("==")
            pins[name.split("[")[0]] = version
    installed = {k: v for k, v in out["installed"].items() if k not in ("pip", "setuptools")}
    assert installed == pins, {"not pinned": installed.keys() - pins.keys(), "not installed": pins.keys() - installed.keys()}
    assert Path(out["dashboard_file"]).resolve().is_relative_to(Path(out["site"]).resolve()), out["dashboard_file"]
    assert out["render"]["exceptions"] == [], out["render"]
    assert any(label.strip().startswith("预算") for label in out["render"]["metrics"]), out["render"]
    assert out.get("health") == "ok", out["log"]
    assert out.get("index_status") == 200, out["log"]
