"""The caches of the pages: bounded, keyed only by their arguments, never reading widgets.

This is the one module of ``dashboard`` that imports streamlit.  Snapshots are immutable folders
(a correction is a new snapshot), so a snapshot's path plus the modification time of its
``meta.json`` identifies its content; the wrappers take that stamp as an argument so that a
replaced folder (tests, demo rebuilt) is read again.

Loaded snapshots and evaluations are shared between sessions without copying (a copy of every
table on every rerun would cost more than the page), and callers treat them as read-only, as
every domain function does (they never change their inputs).  What a page shows (its tables,
texts and figures) is built once per content and choice by :func:`page_view` and shared by
every session: a rerun that changed nothing the view depends on (another widget, a second
screen on the same county) only draws it.

Those three, which every rerun of every session asks for five to ten times, and the
geography and the list of damaged snapshots, which every rerun reads too, are kept in
:class:`SharedViews`, keyed by plain Python values (a dict lookup, about a microsecond), not in
``st.cache_resource``: Streamlit hashes every argument of every call with its own hasher,
130–250 µs a hit on this project's machine (issue 15).  The year histories and small derived
tables, asked for less often, stay in Streamlit's caches (``st.cache_data`` hands each caller
its own copy).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

import streamlit as st

from dashboard.i18n import DEFAULT_LANG
from dashboard.method.engine import Evaluation, evaluate
from dashboard.store.snapshots import (
    DamagedSnapshot,
    Snapshot,
    SnapshotError,
    SnapshotInfo,
    list_snapshots,
    read_snapshot,
    scan_snapshots,
    verify_files,
)
from dashboard.ui.evaluation import stack_evaluations
from dashboard.ui.geo import GeoFile, read_geojson

__all__ = [
    "stamp",
    "snapshot_list",
    "damaged_snapshots",
    "load_snapshot",
    "load_evaluation",
    "load_history",
    "load_geojson",
    "refresh_snapshot_list",
    "files_stamp",
    "snapshot_health",
    "content_key",
    "page_view",
    "clear_page_views",
    "SharedViews",
]

MAX_SNAPSHOTS: Final = 16
MAX_HISTORIES: Final = 8
LIST_TTL_S: Final = 5.0  # new snapshots appear in the sidebar within this many seconds
MAX_VIEWS: Final = 512  # page views kept (each a few tables and figures of one county)

T = TypeVar("T")


def stamp(path: str | Path) -> str:
    """Return a text identifying the content of a snapshot folder or file (its mtime in ns)."""
    p = Path(path)
    target = p / "meta.json" if p.is_dir() else p
    try:
        return str(target.stat().st_mtime_ns)
    except OSError:
        return "missing"


@st.cache_data(ttl=LIST_TTL_S, max_entries=8, show_spinner=False)
def snapshot_list(root: str) -> list[SnapshotInfo]:
    """Return the snapshots under ``root`` (see snapshots.list_snapshots), sorted by year."""
    return list_snapshots(root)


def damaged_snapshots(root: str | Path, lang: str) -> list[DamagedSnapshot]:
    """Return the damaged snapshots under ``root`` with their reasons in ``lang`` (see
    snapshots.scan_snapshots), read again only when a folder or a meta.json changed: the
    sidebar names them on every run of every page."""
    key = (str(root), _folders_stamp(root), lang)
    return _DAMAGED.get(key, lambda: scan_snapshots(key[0], lang=lang, clean=False)[1])


def _folders_stamp(root: str | Path) -> str:
    """Return a text naming the folders of ``root`` and the stamp of each one's meta.json."""
    try:
        return "|".join(f"{d.name}:{stamp(d)}" for d in sorted(Path(root).iterdir()))
    except OSError:
        return "missing"


class SharedViews(Generic[T]):
    """What every session reads, built once per key and kept for the whole process: the
    ``max_entries`` most recently used entries (a dict in use order), shared without a copy
    (callers only read them).

    Keys are plain hashable values (texts, numbers, tuples of them), compared by value.  A key
    asked for by several sessions at once is built once: the others wait for that build.  A
    build that raises stores nothing (the next call builds again), as with Streamlit's caches.
    A build must not ask its own store for its own key (the lock is not re-entrant).
    ``tests/test_speed_views.py`` checks all of it.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()  # guards the two dicts, never held during a build
        self._done: OrderedDict[Hashable, T] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """Return the entry of ``key``, built by ``build`` when absent."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per key; the others wait here, then find it done
            with self._lock:
                if key in self._done:
                    self._done.move_to_end(key)
                    return self._done[key]
            try:
                value = build()
            finally:
                with self._lock:
                    if self._building.get(key) is building:
                        del self._building[key]
            with self._lock:
                self._done[key] = value
                while len(self._done) > self.max_entries:
                    self._done.popitem(last=False)
        return value

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._done)

    def clear(self) -> None:
        """Forget every entry (builds under way finish and store theirs)."""
        with self._lock:
            self._done.clear()


_DAMAGED: SharedViews[list[DamagedSnapshot]] = SharedViews(8)
_GEO: SharedViews[GeoFile] = SharedViews(MAX_SNAPSHOTS)
_SNAPSHOTS: SharedViews[Snapshot] = SharedViews(MAX_SNAPSHOTS)
_EVALUATIONS: SharedViews[Evaluation] = SharedViews(MAX_SNAPSHOTS)
_VIEWS: SharedViews[Any] = SharedViews(MAX_VIEWS)


def load_snapshot(path: str, content_stamp: str) -> Snapshot:
    """Return the verified snapshot at ``path`` (messages of errors in the default language)."""
    return _SNAPSHOTS.get((path, content_stamp), lambda: read_snapshot(path, lang=DEFAULT_LANG))


def load_evaluation(path: str, content_stamp: str) -> Evaluation:
    """Return the engine's evaluation (default parameters) of every county in the snapshot."""
    return _EVALUATIONS.get((path, content_stamp),
                            lambda: evaluate(load_snapshot(path, content_stamp).schools))


@st.cache_resource(max_entries=MAX_HISTORIES, show_spinner=False)
def load_history(paths: tuple[str, ...], stamps: tuple[str, ...]) -> Evaluation:
    """Return one evaluation over the snapshots ``paths`` together (one per year: the trend).

    Each snapshot is evaluated on its own (cached) and the results are stacked: a snapshot is
    one year, and evaluating years separately is what the engine guarantees.
    """
    return stack_evaluations([load_evaluation(p, s) for p, s in zip(paths, stamps, strict=True)])


def load_geojson(path: str, content_stamp: str) -> GeoFile:
    """Return the GeoJSON at ``path``: its features, or whether the file is absent or
    unusable (unreadable, not JSON, not a FeatureCollection; see geo.read_geojson).  Shared,
    read only (``st.cache_data`` unpickled a copy of every township outline on every rerun)."""
    return _GEO.get((path, content_stamp), lambda: read_geojson(path))


def files_stamp(path: str | Path) -> str:
    """Return a text identifying every file of a folder (names, sizes, modification times):
    it changes when any file is replaced or altered, not only meta.json."""
    try:
        return "|".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
                        for f in sorted(Path(path).iterdir()) if f.is_file())
    except OSError:
        return "missing"


@st.cache_data(max_entries=64, show_spinner=False)
def snapshot_health(path: str, content_stamp: str, lang: str) -> tuple[int, str | None]:
    """Return a snapshot folder's size in bytes and what is wrong with its checksums (None:
    every file matches meta.json), for the stamp of all its files (:func:`files_stamp`)."""
    folder = Path(path)
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    try:
        verify_files(folder, lang=lang)
    except SnapshotError as exc:
        return size, str(exc)
    return size, None


def refresh_snapshot_list() -> None:
    """Forget the cached snapshot lists: a snapshot was written, deleted or restored, and every
    page and session must see it at their next run (not only after ``LIST_TTL_S``)."""
    snapshot_list.clear()


def content_key(snapshot: Snapshot) -> str:
    """Return a text naming a snapshot's content: the checksum of its meta.json, which lists
    the checksum of every table (a snapshot without one: its folder and stamp)."""
    checksum = snapshot.meta.get("meta_sha256") if isinstance(snapshot.meta, dict) else None
    return str(checksum) if checksum else f"{snapshot.path}@{stamp(snapshot.path)}"


def page_view(page: str, key: tuple[Hashable, ...], _build: Callable[[], T]) -> T:
    """Return what ``page`` shows for ``key``, built by ``_build`` on the first call only.

    ``key`` must name everything the view depends on, in plain hashable values: the content
    it reads (``content_key`` of each snapshot, the stamp of a geography file) and every
    choice that shapes it (county, year, language, scheme, stage, the page's own controls).
    ``_build`` is not part of the key.  The view is shared by every session without a copy:
    callers only read it.  Concurrent sessions asking for the same key wait for one build.
    """
    return _VIEWS.get((page, key), _build)


def clear_page_views() -> None:
    """Forget every page view (tests that count the builds of views)."""
    _VIEWS.clear()
