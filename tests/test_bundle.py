"""The locks and the offline bundle.

The lock tests check that requirements.lock (runtime and dev tools) and requirements-run.lock
(runtime, what `make run` installs) pin every dependency of pyproject.toml inside its bounds,
with hashes, from PyPI alone, and that the run lock is a part of the full one.

The ``bundle`` test builds ``dist/junheng-<version>-<platform>.tar.gz`` with ``make bundle``
(pip downloads the wheels once; pip's cache serves them after that), or reuses the archive in
dist/ that was built from the current commit and lock.  It unpacks the archive into a temporary
folder and starts the unpacked Makefile's ``make run`` with every package index unreachable:
the run sets up a fresh .venv from wheels/ alone, builds the demo county and serves the app.
Then the bundle's interpreter imports the engine and streamlit and ``python -m dashboard
evaluate`` reads the demo.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
RUN_LOCK = REPO / "requirements-run.lock"
DEV_LOCK = REPO / "requirements.lock"
# Every way pip or anything else could reach an index, made to fail at once.
DEAD = "http://127.0.0.1:9"
OFFLINE = {
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_NO_INDEX": "1",
    "PIP_INDEX_URL": f"{DEAD}/simple",
    "PIP_EXTRA_INDEX_URL": "",
    "PIP_FIND_LINKS": "",
    "PIP_NO_CACHE_DIR": "1",
    **{k: DEAD for k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                         "all_proxy")},
    "NO_PROXY": "", "no_proxy": "",
}
SETUP_TIMEOUT = 900


def pins(lock: Path) -> dict[str, str]:
    """Return {canonical name: version} of a pip-compile lock."""
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", lock.read_text(), re.M)
    return {canonicalize_name(name): version for name, version in found}


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in lines]


# ----------------------------------------------------------------------------- the locks


@pytest.mark.parametrize(("lock", "extras"), [(RUN_LOCK, ()), (DEV_LOCK, ("dev",))],
                         ids=["run", "dev"])
def test_lock_pins_every_declared_dependency_inside_its_bounds(lock: Path, extras: tuple) -> None:
    pinned = pins(lock)
    wanted = declared() + [r for extra in extras for r in declared(extra)]
    missing = [str(r) for r in wanted if canonicalize_name(r.name) not in pinned]
    assert not missing, f"{lock.name} lacks {missing}: run make lock"
    outside = [f"{r} (pinned {pinned[canonicalize_name(r.name)]})" for r in wanted
               if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)]
    assert not outside, f"{lock.name} pins outside pyproject's bounds: {outside}: run make lock"


def test_run_lock_is_part_of_the_full_lock() -> None:
    run, full = pins(RUN_LOCK), pins(DEV_LOCK)
    assert {k: full.get(k) for k in run} == run


@pytest.mark.parametrize("lock", [RUN_LOCK, DEV_LOCK], ids=["run", "dev"])
def test_lock_is_hashed_and_names_no_local_index(lock: Path) -> None:
    text = lock.read_text()
    lines = text.splitlines()
    unhashed = [line.split()[0] for line, after in zip(lines, [*lines[1:], ""], strict=True)
                if re.match(r"[A-Za-z0-9][^ ]*==", line) and "--hash=sha256:" not in after]
    assert not unhashed, f"{lock.name}: no hash for {unhashed}"
    assert not re.search(r"file://|/opt/|^--(extra-)?index-url|^--find-links|^-e ", text, re.M), (
        f"{lock.name} names a local index or path: regenerate it with make lock")
    assert "setuptools==" in text, "setuptools (the build backend) must be pinned for offline setup"


# ----------------------------------------------------------------------------- the bundle


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True,
                          text=True).stdout.strip()


def _bundle_info(archive: Path) -> dict[str, str]:
    """BUNDLE-INFO (the archive's first member) as a dict; {} when unreadable."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.next()
            if member is None or not member.name.endswith("/BUNDLE-INFO"):
                return {}
            data = tar.extractfile(member)
            text = data.read().decode() if data else ""
    except (OSError, tarfile.TarError):
        return {}
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def _current(archive: Path, commit: str, lock_sha: str) -> bool:
    info = _bundle_info(archive)
    return info.get("commit") == commit and info.get("lock-sha256") == lock_sha


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The archive of the current commit: reused from dist/ when current, else built."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("make bundle archives a git checkout (this is not one)")
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    commit = _git("rev-parse", "HEAD")
    lock_sha = hashlib.sha256(
        subprocess.run(["git", "show", "HEAD:requirements-run.lock"], cwd=REPO, check=True,
                       capture_output=True).stdout).hexdigest()
    for archive in sorted((REPO / "dist").glob("junheng-*.tar.gz")):
        if _current(archive, commit, lock_sha):
            return archive
    # PyPI only: never this machine's pip config (local wheel folders, extra indexes).
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    started = time.monotonic()
    subprocess.run(["make", "--no-print-directory", "bundle", f"PY={sys.executable}"], cwd=REPO,
                   env=env, check=True, timeout=1800)
    print(f"make bundle: {time.monotonic() - started:.0f} s")
    built = [a for a in (REPO / "dist").glob("junheng-*.tar.gz") if _current(a, commit, lock_sha)]
    assert built, "make bundle wrote no archive of the current commit into dist/"
    return built[0]


@pytest.mark.bundle
def test_unpacked_bundle_runs_with_no_index(bundle: Path, tmp_path: Path) -> None:
    with tarfile.open(bundle, "r:gz") as tar:
        tar.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()
    assert sorted(p.suffix for p in (root / "wheels").iterdir()) == [".whl"] * len(
        list((root / "wheels").iterdir())), "wheels/ must hold wheels only"

    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not k.startswith("PIP_")}
    env.update(OFFLINE)
    base_python = getattr(sys, "_base_executable", sys.executable)
    port = _free_port()
    log = tmp_path / "make-run.log"
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "run", f"PY={base_python}",
                                 f"PORT={port}"], cwd=root, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not _healthy(port):
            assert proc.poll() is None, f"make run stopped:\n{log.read_text()[-4000:]}"
            assert time.monotonic() - started < SETUP_TIMEOUT, (
                f"make run not serving after {SETUP_TIMEOUT} s:\n{log.read_text()[-4000:]}")
            time.sleep(2)
        print(f"offline make run: serving after {time.monotonic() - started:.0f} s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    python = root / ".venv" / "bin" / "python"
    run: dict[str, Any] = dict(cwd=root, env=env, capture_output=True, text=True, timeout=300)
    where = subprocess.run([str(python), "-c", "import dashboard.method.engine, streamlit; "
                            "print(dashboard.method.engine.__file__)"], **run)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(root.resolve())
    # make run installs the runtime only: no dev tool came along.
    dev = subprocess.run([str(python), "-c", "import pytest"], **run)
    assert dev.returncode != 0, "make run installed the dev tools"

    snapshot = root / "data" / "demo-990101-2024"
    evaluated = subprocess.run([str(python), "-m", "dashboard", "evaluate", str(snapshot),
                                "--json"], **run)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert "990101" in json.dumps(report), "the demo county is not in the report"
