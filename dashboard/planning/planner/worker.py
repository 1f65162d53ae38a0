"""Solver workers in a fresh interpreter (``subprocess``, never ``fork``): a large MILP runs in a
separate process that is stopped when the plan's deadline passes.

HiGHS does not always keep to its own ``time_limit`` on large models (measured: 25.4 s against
19.9 s on the 400-unit synthetic county, docs/method.md §9), and a call into it cannot be
interrupted from Python.  A worker is ``python -c`` running the small loop below: it imports
neither the caller's main module nor this package (unlike multiprocessing's spawn, which
re-imports an unguarded main script), copies none of the web server's threads or locks, and
works the same on Linux, macOS and Windows, Python 3.11 and 3.12.  Jobs and answers are
pickles over the worker's stdin/stdout; the target is pickled by reference (e.g.
``scipy.optimize.milp``).  Idle workers are kept for the next call; one that overruns is
killed and replaced."""

from __future__ import annotations

import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, Final

_GRACE_S: Final = 0.05  # waited beyond the deadline before a worker is stopped
_MAX_IDLE: Final = 2
_LOOP: Final = """
import pickle, sys
src, out = sys.stdin.buffer, sys.stdout.buffer
sys.stdout = sys.stderr
while True:
    try:
        target, args, kwargs = pickle.load(src)
    except EOFError:
        break
    try:
        answer = ("ok", target(*args, **kwargs))
    except Exception as exc:
        answer = ("error", repr(exc))
    pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
"""


class WorkerTimeout(Exception):
    """The worker did not answer before the deadline (it was stopped), or it died."""


class _Worker:
    """One worker interpreter and its pipes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _LOOP], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    @property
    def alive(self) -> bool:
        """Whether the worker is running."""
        return self.proc.poll() is None

    def stop(self) -> None:
        """Kill the worker (it may be inside HiGHS) and reap it."""
        if self.alive:
            self.proc.kill()
        try:
            self.proc.wait(2.0)
        except subprocess.TimeoutExpired:  # pragma: no cover - a killed process is reaped at once
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def _read(pipe: IO[bytes], box: queue.Queue) -> None:
    """Put the next answer read from ``pipe`` (or the error reading it) into ``box``."""
    try:
        box.put(pickle.load(pipe))
    except Exception as exc:  # noqa: BLE001 - EOF when the worker is killed: reported as no answer
        box.put(("dead", repr(exc)))


class _Pool:
    """Idle workers, shared by the sessions' threads (a lock guards the list)."""

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def take(self) -> _Worker:
        """Return an idle worker, or a new one."""
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.alive:
                    return w
                w.stop()
        return _Worker()

    def give(self, w: _Worker) -> None:
        """Keep ``w`` for the next call (or stop it when enough are idle)."""
        with self._lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(w)
                return
        w.stop()

    def has_idle(self) -> bool:
        """Whether a worker is idle."""
        with self._lock:
            return bool(self._idle)


_POOL: Final = _Pool()


def prewarm() -> None:
    """Start a worker now (its interpreter loads while the caller works) unless one is idle."""
    if not _POOL.has_idle():
        _POOL.give(_Worker())


def run_in_worker(target: Callable[..., Any], args: tuple, kwargs: dict, wait_s: float) -> Any:
    """Return ``target(*args, **kwargs)`` computed in a worker; raise WorkerTimeout when no
    answer comes within ``wait_s`` seconds (the worker is killed) or the worker dies, and
    RuntimeError when ``target`` raised."""
    w = _POOL.take()
    box: queue.Queue = queue.Queue(maxsize=1)
    try:
        assert w.proc.stdin is not None and w.proc.stdout is not None
        pickle.dump((target, args, kwargs), w.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        w.proc.stdin.flush()
        threading.Thread(target=_read, args=(w.proc.stdout, box), daemon=True).start()
        kind, value = box.get(timeout=max(wait_s, 0.0) + _GRACE_S)
    except queue.Empty:
        w.stop()
        raise WorkerTimeout("no answer before the deadline: the worker was stopped") from None
    except OSError as exc:
        w.stop()
        raise WorkerTimeout(f"the worker ended without an answer: {exc!r}") from None
    if kind == "dead":
        w.stop()
        raise WorkerTimeout(f"the worker ended without an answer: {value}")
    _POOL.give(w)
    if kind == "error":
        raise RuntimeError(value)
    return value
