"""Safe file handling shared by the stores: bounded JSON reading, atomic writes, and the
cleaning of what killed writes left behind.

* :func:`read_json_bounded` refuses a file over a size limit or nested deeper than a depth
  limit *before* ``json.loads`` runs (a file of 100,000 ``[`` would otherwise raise
  RecursionError), and any undecodable or non-JSON text, always as :class:`JsonFileError`.
* :func:`write_atomic` writes a file beside its target under a temporary name (``.tmp-…``),
  flushes it to disk and moves it into place with ``os.replace``: a reader sees the old file
  or the new one, never a part.
* Every writer holds an exclusive ``flock`` on its temporary file or folder while it writes;
  the lock dies with the process.  :func:`clean_leftovers` removes only our own temporary
  names (``.tmp-`` prefix) that nobody holds locked and that are older than a grace period,
  so a write in progress is never touched and a ``kill -9`` leaves nothing for long.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from dashboard.i18n import t

__all__ = [
    "TEMP_PREFIX",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "LEFTOVER_GRACE_S",
    "JsonFileError",
    "json_depth",
    "loads_bounded",
    "read_json_bounded",
    "write_atomic",
    "locked",
    "clean_leftovers",
    "writable",
    "write_problem",
]

TEMP_PREFIX: Final = ".tmp-"
MAX_JSON_BYTES: Final = 8 * 1024 * 1024  # a meta.json or scenario file is a few KB
MAX_JSON_DEPTH: Final = 32  # the deepest file we write nests 4 levels
LEFTOVER_GRACE_S: Final = 60.0  # an unlocked temporary name younger than this is left alone


class JsonFileError(ValueError):
    """A JSON file that cannot be used: ``reason`` is 'unreadable', 'too_large', 'too_deep',
    'not_text' or 'not_json'; ``detail`` the technical reason."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}")


def json_depth(text: str) -> int:
    """Return the deepest nesting of brackets in JSON ``text`` (brackets inside strings do not
    count), without parsing it.

    >>> json_depth('{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_bounded(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Return ``json.loads(text)`` after checking its depth (JsonFileError, never
    RecursionError)."""
    depth = json_depth(text)
    if depth > max_depth:
        raise JsonFileError("too_deep", f"nesting depth {depth} > {max_depth}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise JsonFileError("not_json", str(exc)) from None


def read_json_bounded(path: str | Path, *, max_bytes: int = MAX_JSON_BYTES,
                      max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Return the decoded JSON file at ``path``; any problem raises :class:`JsonFileError`
    (size and depth are checked before parsing)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise JsonFileError("unreadable", str(exc)) from None
    if len(raw) > max_bytes:
        raise JsonFileError("too_large", f"more than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFileError("not_text", str(exc)) from None
    return loads_bounded(text, max_depth=max_depth)


@contextmanager
def locked(path: Path) -> Iterator[int]:
    """Hold an exclusive flock on the file or folder ``path`` for the ``with`` block."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def write_atomic(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (temporary file beside it, fsync, os.replace);
    return ``target``.  The folder is created when missing."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f"{TEMP_PREFIX}{target.name}-{secrets.token_hex(6)}"
    try:
        with temp.open("xb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.replace(temp, target)
        _fsync_dir(target.parent)
    finally:
        temp.unlink(missing_ok=True)
    return target


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _held(path: Path) -> bool:
    """Return whether a live writer holds ``path`` locked (True when it cannot be told)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def clean_leftovers(folder: str | Path, *, grace_s: float = LEFTOVER_GRACE_S) -> list[Path]:
    """Remove the temporary files and folders of killed writes directly under ``folder``;
    return what was removed.

    Only names starting with ``.tmp-`` are considered, and only those that are no symlink,
    are held locked by no process and were last changed more than ``grace_s`` seconds ago.
    Never raises for a file system problem (what cannot be removed stays).
    """
    root = Path(folder)
    removed: list[Path] = []
    try:
        entries = [p for p in root.iterdir() if p.name.startswith(TEMP_PREFIX)]
    except OSError:
        return removed
    now = time.time()
    for path in entries:
        try:
            if path.is_symlink() or now - path.lstat().st_mtime < grace_s or _held(path):
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def writable(folder: str | Path) -> bool:
    """Return whether this process may create files in ``folder`` (or, when it does not exist
    yet, in its nearest existing parent): ``access(2)``, which also says no on a file system
    mounted read-only, whoever the user."""
    p = Path(folder).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p.is_dir() and os.access(p, os.W_OK | os.X_OK)


def write_problem(exc: OSError, folder: str | Path, lang: str) -> str:
    """Return, in ``lang``, why a write under ``folder`` failed: a full disk, a folder that is
    read-only or not ours, or the system's own reason; every writer has removed its temporary
    files by then, so nothing was written."""
    code = exc.errno
    key = ("ops.write.disk_full" if code in (errno.ENOSPC, errno.EDQUOT)
           else "ops.write.read_only" if code in (errno.EROFS, errno.EACCES, errno.EPERM)
           else "ops.write.failed")
    return t(key, lang, folder=str(folder), detail=exc.strerror or str(exc))
