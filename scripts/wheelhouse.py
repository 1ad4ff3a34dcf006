"""Write every Python package the app needs, pinned and hashed, into one folder for an offline install.

    python scripts/wheelhouse.py [--out wheelhouse] [--extra dm] [--extra opengauss] ...

Run it with the interpreter of an environment that has the app installed (`make wheelhouse` uses .venv): the
versions written are the ones installed there, which are the ones the tests ran with. It

1. walks the requirements of `budget-performance-dashboard` (its [project] dependencies, plus the optional
   extras named) through the installed distributions, markers evaluated for this interpreter and platform,
   and pins each one to its installed version;
2. downloads those exact versions as wheels only (`pip download --no-deps --only-binary=:all:`) for this
   interpreter's Python version and platform (here CPython 3.11, linux x86_64);
3. builds the app's own wheel into the same folder (offline, with the installed setuptools);
4. writes OUT/requirements.txt: one `name==version --hash=sha256:…` line per file in the folder;
5. copies .streamlit/config.toml to OUT/streamlit/config.toml (Streamlit's settings are not in the wheel: the
   server reads them from .streamlit/ in its working directory).

On the machine without network (docs/install-offline.md):

    python3.11 -m venv /opt/dashboard/venv
    /opt/dashboard/venv/bin/pip install --no-index --find-links wheelhouse --require-hashes \\
        -r wheelhouse/requirements.txt
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "budget-performance-dashboard"


def _dist(name: str) -> metadata.Distribution:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        sys.exit(f"wheelhouse: {name} is required but not installed in {sys.prefix}: run `make install` first "
                 "(for an extra other than dm: `.venv/bin/python -m pip install -e '.[dev,EXTRA]'`)")


def _wanted(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    env = default_environment()
    return any(req.marker.evaluate({**env, "extra": e}) for e in (extras or {""}))


def closure(extras: list[str]) -> dict[str, str]:
    """{canonical name: installed version} of every distribution the app (with `extras`) needs at run time."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    roots = [Requirement(r) for r in config["dependencies"]]
    for extra in extras:
        if extra not in config.get("optional-dependencies", {}):
            sys.exit(f"wheelhouse: pyproject.toml has no extra {extra!r}")
        roots += [Requirement(r) for r in config["optional-dependencies"][extra]]
    pins: dict[str, str] = {}
    todo: list[tuple[Requirement, set[str]]] = [(r, set()) for r in roots]
    seen_extras: dict[str, set[str]] = {}
    while todo:
        req, parent_extras = todo.pop()
        if not _wanted(req, parent_extras):
            continue
        name = canonicalize_name(req.name)
        asked = set(req.extras)
        if name in pins and asked <= seen_extras[name]:
            continue
        dist = _dist(req.name)
        if not req.specifier.contains(dist.version, prereleases=True):
            sys.exit(f"wheelhouse: installed {req.name} {dist.version} does not satisfy {req}")
        pins[name] = dist.version
        seen_extras[name] = seen_extras.get(name, set()) | asked
        todo += [(Requirement(r), seen_extras[name]) for r in dist.requires or []]
    return dict(sorted(pins.items()))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _build_own_wheel(out: Path) -> Path:
    """The app's wheel from a copy of pyproject.toml and the packaged folders (no build/ or egg-info left in the
    repository), offline: the installed setuptools builds it (bdist_wheel is built in from setuptools 70.1)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="wheelhouse-src-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy2(ROOT / "pyproject.toml", src)
        for pattern in config["tool"]["setuptools"]["packages"]["find"]["include"]:
            top = pattern.rstrip("*").split(".")[0]
            shutil.copytree(ROOT / top, src / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        dist = Path(tmp) / "dist"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
                        "--no-build-isolation", "--no-index", "-w", str(dist), str(src)], check=True)
        (wheel,) = dist.glob("*.whl")
        target = out / wheel.name
        shutil.copy2(wheel, target)
    return target


def build(out: Path, extras: list[str]) -> Path:
    pins = closure(extras)
    pins.pop(canonicalize_name(PROJECT), None)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.whl"):  # a folder from an earlier run: keep only what this run pins
        old.unlink()
    pinned = out / "pins.txt"
    pinned.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()), encoding="utf-8")
    py = f"{sys.version_info.major}{sys.version_info.minor}"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                    "--only-binary=:all:", "--python-version", py, "--implementation", "cp",
                    "-d", str(out), "-r", str(pinned)], check=True)
    own = _build_own_wheel(out)
    lines = []
    found: dict[str, str] = {}
    for whl in sorted(out.glob("*.whl")):
        name, version, _build, _tags = parse_wheel_filename(whl.name)
        found[name] = str(version)
        pin = f"{name}=={version}"
        if whl == own and extras:
            pin = f"{name}[{','.join(extras)}]=={version}"
        lines.append(f"{pin} \\\n    --hash=sha256:{_sha256(whl)}\n")
    missing = {n: v for n, v in pins.items() if found.get(n) != v}
    if missing:
        sys.exit(f"wheelhouse: no wheel downloaded for {missing}")
    header = (f"# written by scripts/wheelhouse.py for CPython {sys.version_info.major}.{sys.version_info.minor} "
              f"on {sys.platform} {_machine()}; extras: {', '.join(extras) or 'none'}\n"
              "# pip install --no-index --find-links DIR --require-hashes -r DIR/requirements.txt\n")
    (out / "requirements.txt").write_text(header + "".join(lines), encoding="utf-8")
    pinned.unlink()
    (out / "streamlit").mkdir(exist_ok=True)
    shutil.copy2(ROOT / ".streamlit" / "config.toml", out / "streamlit" / "config.toml")
    return out / "requirements.txt"


def _machine() -> str:
    import platform

    return platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "wheelhouse", help="folder to write (default: wheelhouse/)")
    parser.add_argument("--extra", action="append", default=[], help="an optional extra of pyproject.toml too "
                        "(dm, opengauss, kingbase); may be given more than once")
    args = parser.parse_args(argv)
    extras = [e for x in args.extra for e in re.split(r"[,\s]+", x) if e]
    req = build(args.out.resolve(), extras)
    files = list(args.out.glob("*.whl"))
    size = sum(f.stat().st_size for f in files)
    print(f"wheelhouse: {len(files)} wheels, {size / 2**20:.0f} MiB in {args.out}; hashes in {req}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
