"""The operator's audit: installing and running Junheng on a province's server.

- ``make run WORKERS=n`` (scripts/run-workers.sh): a port already taken is named before
  anything starts; a worker that dies is named, the others are stopped and the script exits 1
  (so that systemd restarts it); a stop leaves no process behind.
- A read-only data folder: every page still serves and the 数据管理 page says that writing is
  off; a full disk during an import writes nothing and says so (exit 1, not a traceback).
- The documents the operator follows name what to install and what to copy.

The tests that start workers are marked ``workers`` (``make test``, not ``make test-fast``);
the others take a second or two.  The read-only and full-disk tests mount a read-only bind or
a tiny tmpfs in a private mount namespace (``unshare -m``); they are skipped where that is not
allowed.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from demo_data import DEMO_GEO, DEMO_SNAPSHOT

from dashboard.store.files import writable, write_problem

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "run-workers.sh"
BIN = str(Path(sys.executable).parent)
needs_haproxy = pytest.mark.skipif(shutil.which("haproxy") is None,
                                   reason="haproxy is absent (make system-deps installs it)")


def _free_ports(n: int) -> list[int]:
    """Return n distinct free loopback ports (held together while chosen)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


needs_unshare = pytest.mark.skipif(not _can_unshare(),
                                   reason="no private mount namespace here (unshare -m)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is no running process
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# ----------------------------------------------------------------------------- run-workers.sh


@needs_haproxy
@pytest.mark.parametrize("taken", ["proxy", "worker"])
def test_a_taken_port_is_named_and_nothing_starts(tmp_path: Path, taken: str) -> None:
    port, base = _free_ports(2)
    busy = port if taken == "proxy" else base + 2
    run_dir = tmp_path / "run"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", busy))
        holder.listen()
        done = subprocess.run(["bash", str(SCRIPT)], cwd=REPO, capture_output=True, text=True,
                              timeout=60, env={**os.environ, "WORKERS": "2", "PORT": str(port),
                                               "WORKER_BASE": str(base), "BIN": BIN,
                                               "RUN_DIR": str(run_dir)})
    assert done.returncode == 1, done.stderr
    who = "HAProxy" if taken == "proxy" else "worker 2"
    assert f"127.0.0.1:{busy} for {who}" in done.stderr and "cannot be used" in done.stderr
    assert "Junheng:" not in done.stdout  # it never says it listens
    assert not run_dir.exists()  # no worker was started, no log written


def _start_workers(tmp_path: Path) -> tuple[subprocess.Popen, list[int], Path]:
    """Start run-workers.sh with two workers on free ports (again, up to three times, when a
    port chosen was taken meanwhile); return it, its processes' ids (workers, proxy) and its
    run folder once it says it listens."""
    for attempt in range(3):
        port, base = _free_ports(2)
        run_dir = tmp_path / f"run{attempt}"
        proc = subprocess.Popen(["bash", str(SCRIPT)], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "WORKERS": "2", "PORT": str(port),
                                     "WORKER_BASE": str(base), "BIN": BIN,
                                     "RUN_DIR": str(run_dir), "STOP_TIMEOUT": "10"})
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()  # the script's one line, once the proxy accepts
        found = re.search(r"process ids ([\d ]+)\)", line)
        if found:
            return proc, [int(p) for p in found.group(1).split()], run_dir
        proc.wait(timeout=60)
        err = proc.stderr.read()
        assert "cannot be used" in err, err
    raise AssertionError("no free ports in three attempts")


@contextmanager
def _workers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, list[int], Path]]:
    """:func:`_start_workers`; whatever is left is killed afterwards."""
    proc, pids, run_dir = _start_workers(tmp_path)
    try:
        assert len(pids) == 3
        yield proc, pids, run_dir
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.workers
@needs_haproxy
def test_a_dead_worker_is_named_and_the_service_stops_whole_for_its_supervisor(
        tmp_path: Path) -> None:
    with _workers(tmp_path) as (proc, pids, run_dir):
        os.kill(pids[1], signal.SIGKILL)  # worker 2 dies
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, err  # systemd's Restart=on-failure starts it again
        assert "worker 2 (127.0.0.1:" in err and "stopped" in err, err
        assert str(run_dir / "worker2.log") in err, err  # where to look
        left = [p for p in pids if _alive(p)]
        assert left == [], left  # worker 1 and the proxy are gone too
        assert (run_dir / "haproxy.cfg").is_file()


@pytest.mark.workers
@needs_haproxy
def test_sigterm_stops_every_process(tmp_path: Path) -> None:
    with _workers(tmp_path) as (proc, pids, _):
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        assert proc.returncode == 143
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in pids if _alive(p)] == []


@pytest.mark.workers
@needs_haproxy
def test_sigterm_to_make_stops_every_process(tmp_path: Path) -> None:
    """`make run WORKERS=2` stopped by a SIGTERM to make (a terminal's kill, a supervisor that
    signals its main process only): the script and every worker stop with it."""
    port, base = _free_ports(2)
    make = subprocess.Popen(
        ["make", "-s", "-o", "setup-run", "-o", "data", "run", "WORKERS=2", f"PORT={port}",
         f"BIN={BIN}"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
        env={**os.environ, "WORKER_BASE": str(base), "RUN_DIR": str(tmp_path / "run")})
    pids: list[int] = []
    try:
        assert make.stdout is not None
        found = re.search(r"process ids ([\d ]+)\)", make.stdout.readline())
        assert found, make.stderr.read() if make.stderr else ""
        pids = [int(p) for p in found.group(1).split()]
        make.send_signal(signal.SIGTERM)
        make.communicate(timeout=60)
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in pids if _alive(p)] == []
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


# ----------------------------------------------------------------------------- the data folder


def test_writable_says_no_for_a_folder_it_may_not_write(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert writable(tmp_path) and writable(tmp_path / "not" / "yet")
    (tmp_path / "file").write_text("x")
    assert not writable(tmp_path / "file")  # not a folder
    asked: list[tuple[str, int]] = []

    def access(path: str | os.PathLike[str], mode: int) -> bool:
        asked.append((str(path), mode))
        return False

    monkeypatch.setattr(os, "access", access)
    assert not writable(tmp_path / "data")  # the nearest existing folder is asked
    assert asked == [(str(tmp_path), os.W_OK | os.X_OK)]


@needs_unshare
def test_writable_says_no_on_a_read_only_mount_even_for_root(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    code = ("import sys; from dashboard.store.files import writable; "
            "sys.exit(0 if not writable(sys.argv[1]) else 3)")
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" -c "$3" "$1"',
         "sh", str(folder), sys.executable, code], cwd=REPO, capture_output=True, text=True,
        timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("code", "zh", "en"), [
    (errno.ENOSPC, "磁盘已满", "disk is full"),
    (errno.EROFS, "只读", "read-only"),
    (errno.EACCES, "只读", "read-only"),
    (errno.EIO, "未能写入", "Nothing could be written"),
])
def test_write_problems_say_why_and_that_nothing_was_written(code: int, zh: str, en: str) -> None:
    exc = OSError(code, os.strerror(code))
    said = {lang: write_problem(exc, "/srv/junheng/data", lang) for lang in ("zh", "en")}
    assert zh in said["zh"] and "未写入任何内容" in said["zh"] and "/srv/junheng/data" in said["zh"]
    assert en in said["en"] and "nothing was written" in said["en"]
    assert os.strerror(code) in said["en"]


@needs_unshare
def test_an_import_onto_a_full_disk_writes_nothing_and_says_so(tmp_path: Path) -> None:
    """The demo's schools imported into a data folder on a 12 KiB tmpfs: the disk fills up
    while the snapshot is written; exit 1 with the reason, no snapshot and no temporary
    folder left behind, and the folder's earlier content untouched."""
    full = tmp_path / "full"
    full.mkdir()
    schools = DEMO_SNAPSHOT / "schools.parquet"
    script = ('mount -t tmpfs -o size=12k tmpfs "$1" && echo kept > "$1/earlier.txt" && '
              '"$2" -m dashboard import "$3" --out "$1" --lang en; code=$?; '
              'ls -A "$1"; cat "$1/earlier.txt"; exit $code')
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(full), sys.executable,
                           str(schools)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, (done.stdout[-800:], done.stderr[-800:])
    assert "The disk is full" in done.stderr and "nothing was written" in done.stderr
    assert "Traceback" not in done.stderr
    listed = done.stdout.strip().splitlines()[-2:]
    assert listed == ["earlier.txt", "kept"], done.stdout[-800:]  # no snapshot, no .tmp- folder


RO_PAGES = '''
import sys
sys.path.insert(0, "tests")
from test_app_pages import open_page
for page in ("overview", "map", "checklist", "scenario", "data"):
    at = open_page(page, lang="en")
    print(page, len(at.exception), sum("is read-only" in w.value for w in at.warning))
'''


@needs_unshare
def test_every_page_serves_from_a_read_only_data_folder(tmp_path: Path) -> None:
    """The demo county on a read-only bind mount (a replica, a read-only share): the pages
    run without an exception, and only the 数据管理 page says that writing is off."""
    shutil.copytree(DEMO_SNAPSHOT.parent, tmp_path / "data")
    shutil.copytree(DEMO_GEO, tmp_path / "geo")
    env = {**os.environ, "JUNHENG_DATA": str(tmp_path / "data"),
           "JUNHENG_GEO": str(tmp_path / "geo")}
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" -c "$3"',
         "sh", str(tmp_path), sys.executable, RO_PAGES], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    said = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert said == {"overview": "0 0", "map": "0 0", "checklist": "0 0", "scenario": "0 0",
                    "data": "0 1"}, done.stdout


def test_the_data_page_says_a_read_only_folder_and_offers_no_write(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The 数据管理 page on a data folder it may not write: the warning, the delete button
    disabled.  (AppTest runs the page in this process: ``writable`` is made to say no.)"""
    from test_app_pages import open_page

    import dashboard.store.files as files
    from dashboard.i18n import t

    monkeypatch.setattr(files, "writable", lambda folder: False)
    at = open_page("data", lang="en")
    at.session_state["data_tab"] = t("data.tab.snapshots", "en")  # its tab, drawn when open
    at.run()
    warnings = [w.value for w in at.warning]
    assert any("is read-only" in w and "disabled" in w for w in warnings), warnings
    at.selectbox(key="data_delete").select(at.selectbox(key="data_delete").options[0]).run()
    at.checkbox(key="data_delete_ok").check().run()
    assert at.button(key="data_delete_go").disabled
    monkeypatch.setattr(files, "writable", lambda folder: True)
    at.run()
    assert not any("is read-only" in w.value for w in at.warning)
    assert not at.button(key="data_delete_go").disabled


# ----------------------------------------------------------------------------- the documents


def test_the_documents_name_what_an_offline_server_needs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ops = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "docs/operations.md" in readme
    for package in ("python3-venv", "make", "chromium", "fonts-noto-cjk", "haproxy"):
        assert package in ops, package
    for topic in ("apt-offline", ".deb", "JUNHENG_DATA", "systemd", "scripts/junheng.service",
                  "RUN_DIR", "schema_version", ".trash", "read-only", "logrotate"):
        assert topic in ops, topic
    unit = (REPO / "scripts" / "junheng.service").read_text(encoding="utf-8")
    assert "Restart=on-failure" in unit and "make run" in unit


# ----------------------------------------------------------------------------- hostile names

PWNED = "__junheng_pwned"
# Names an intranet's data can carry beside tests/test_injection.py's Markdown and formulas:
# script and event-handler markup, right-to-left override and Arabic text, zero-width
# characters, Word's manual line break (U+000B, refused by XML), a formula behind an invisible
# character, a name of 300 characters.
HOSTILE_NAMES = (
    f"<script>window.{PWNED}=1</script>校",
    f'<img src=x onerror="window.{PWNED}=2">',
    "\u202e=cmd|' /C calc'!A0",
    "学\u200b校\u200d\u2060\ufeff",
    "第一\x0b小学",
    "=HYPERLINK(\"http://127.0.0.2:9/h\",\"x\")",
    "\u0627\u0644\u0645\u062f\u0631\u0633\u0629 \u202b中学\u202c",
    "长" * 300 + "学校",
    "javascript:alert(1)",
    "{{7*7}} ${7*7} %3Cscript%3E",
)


def _hostile_name(k: int) -> str:
    return f"{HOSTILE_NAMES[k % len(HOSTILE_NAMES)]}{k}"


def _hostile_county(root: Path) -> tuple[Path, Path]:
    """The demo's 2023 and 2024 snapshots with HOSTILE_NAMES as school, township and county
    names (the boundaries renamed alike); return the data and geo folders."""
    from test_injection import build_hostile_demo

    return build_hostile_demo(
        root, name=_hostile_name,
        town_name=lambda k, town: HOSTILE_NAMES[k % len(HOSTILE_NAMES)] + town,
        county_name=HOSTILE_NAMES[0] + "县")


def test_exports_keep_hostile_names_as_text(tmp_path: Path) -> None:
    """CSV and XLSX never start a cell with a formula sign and never hold a formula; the
    report's Word file is written (it refused U+000B before) with the names in it."""
    import csv
    import io
    import zipfile

    import pandas as pd
    from openpyxl import load_workbook

    from dashboard.ui.export import to_csv_bytes, to_xlsx_bytes

    frame = pd.DataFrame({"学校": list(HOSTILE_NAMES), "n": range(len(HOSTILE_NAMES))})
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"), newline="")))
    assert all(not row[0].startswith(("=", "+", "-", "@")) for row in rows[1:])
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(frame))).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows(min_row=2, max_col=1) for c in row]
    assert [c.data_type for c in cells] == ["s"] * len(HOSTILE_NAMES)
    data, _ = _hostile_county(tmp_path)
    out = tmp_path / "report.docx"
    done = subprocess.run([sys.executable, "-m", "dashboard", "report", str(data / "hostile-2024"),
                           "--out", str(out), "--lang", "en"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
    body = zipfile.ZipFile(out).read("word/document.xml").decode("utf-8")
    assert "第一 小学" in body  # U+000B shown as a space
    assert "&lt;script&gt;" in body and "<script>" not in body


@pytest.mark.browser
def test_hostile_names_on_every_page_and_the_presentation_stay_text_and_local(
        browser: Any, tmp_path: Path) -> None:
    """Every page and every step of the presentation mode over a county of HOSTILE_NAMES: no
    script from a name runs, no <script> element holds one, no exception is drawn (error
    boxes of the app's own verdicts are fine), and every request stays on this machine."""
    from browser import error_texts, is_local, served_app, wait_for_page

    from dashboard.i18n import t
    from pages.common import PAGE_FILES

    data, geo = _hostile_county(tmp_path)
    requests: list[str] = []
    problems: dict[str, list[str]] = {}
    with served_app(env={"JUNHENG_DATA": str(data), "JUNHENG_GEO": str(geo)}) as base:
        context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))
        visits = [(f"{base}/{'' if path == 'overview' else path}?lang=zh&scheme=quality"
                   "&stage=primary", t(key, "zh")) for path, (_, key) in PAGE_FILES.items()]
        visits += [(f"{base}/present?lang=zh&present=1&step={n}", None) for n in range(1, 11)]
        for url, title in visits:
            page.goto(url)
            if title is not None:
                wait_for_page(page, title)
            page.wait_for_function(
                "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }",
                timeout=120_000)
            page.wait_for_timeout(600)  # charts draw, an image from a name would be asked for
            found = page.evaluate(f"""() => [
                ...(window.{PWNED} ? ['a script from a name ran: ' + window.{PWNED}] : []),
                ...[...document.querySelectorAll('script')]
                    .filter(s => s.textContent.includes('{PWNED}')).map(s => s.outerHTML),
                ...[...document.querySelectorAll('[onerror]')].map(e => e.outerHTML)]""")
            found += [e[:200] for e in error_texts(page) if "Traceback" in e]
            found += [e.inner_text()[:200]
                      for e in page.query_selector_all('[data-testid="stException"]')]
            found += sorted({u for u in requests if not is_local(u)})
            if found:
                problems[url] = found
        context.close()
    assert requests, "the browser made no request at all"
    assert problems == {}, problems


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_unit_file_is_one_systemd_reads() -> None:
    done = subprocess.run(["systemd-analyze", "verify", str(REPO / "scripts" / "junheng.service")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "junheng.service" not in done.stderr, done.stderr
