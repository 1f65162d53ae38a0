"""`make run WORKERS=2`: two app processes behind HAProxy, sticky sessions, websockets.

Starts the service as the make target does (scripts/run-workers.sh), opens two sessions through
the proxy without a browser (Streamlit's websocket protocol, benchmarks/wsclient.py) and draws
the overview in each: the proxy pins each to the worker named by its cookie, and the two fresh
visitors are spread over both workers.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from benchmarks.bench_load import served_workers
from benchmarks.wsclient import RunResult, Session

pytestmark = [pytest.mark.workers,
              pytest.mark.skipif(shutil.which("haproxy") is None,
                                 reason="haproxy is absent (make system-deps installs it)")]


async def _overview_twice(base: str) -> list[tuple[str, tuple[RunResult, RunResult]]]:
    out = []
    for _ in range(2):
        async with Session(base) as session:
            first = await session.run("", "lang=zh")
            again = await session.run("", "lang=zh")  # the same websocket: the same worker
            out.append((session.cookie, (first, again)))
    return out


def test_two_workers_behind_the_proxy_draw_the_overview() -> None:
    with served_workers(2) as base:
        assert base.startswith("http://127.0.0.1:")
        sessions = asyncio.run(_overview_twice(base))
    cookies = [cookie for cookie, _ in sessions]
    assert all(c.startswith("JUNHENG_WORKER=w") for c in cookies), cookies
    assert sorted(cookies) == ["JUNHENG_WORKER=w1", "JUNHENG_WORKER=w2"]  # round robin for newcomers
    for _, runs in sessions:
        for run in runs:
            assert run.status == "ok" and not run.exceptions, (run.status, run.exceptions)
            assert run.elements["plotly_chart"] >= 2 and run.elements["metric"] >= 2, run.elements
