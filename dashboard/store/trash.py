"""Deleting a snapshot without losing it: the folder moves into ``<root>/.trash/`` (one rename,
atomic on one file system) and can be put back as long as no snapshot of its id exists again.

A trashed folder is named ``<id>@<UTC time>`` so that the same id can be deleted twice.  Nothing
is ever removed from the trash by the app; emptying it is left to the administrator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.store.snapshots import META_FILE, SnapshotError, SnapshotExistsError

__all__ = ["TRASH_DIR", "Trashed", "move_to_trash", "list_trash", "restore"]

TRASH_DIR: Final = ".trash"
_SEP: Final = "@"


@dataclass(frozen=True)
class Trashed:
    """A snapshot in the trash: its id, when it was deleted (ISO 8601, UTC) and its folder."""

    snapshot_id: str
    deleted: str
    path: Path


def _parse(folder: Path) -> Trashed | None:
    sid, sep, when = folder.name.rpartition(_SEP)
    if not sep or not sid:
        return None
    try:
        deleted = datetime.strptime(when, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return Trashed(sid, deleted.isoformat(timespec="seconds"), folder)


def move_to_trash(root: str | Path, snapshot_id: str, lang: str = DEFAULT_LANG) -> Trashed:
    """Move the snapshot ``root/snapshot_id`` into the trash; return where it went."""
    root = Path(root)
    source = root / snapshot_id
    if snapshot_id.startswith(".") or "/" in snapshot_id or not (source / META_FILE).is_file():
        raise SnapshotError(t("trash.no_snapshot", lang, id=snapshot_id))
    trash = root / TRASH_DIR
    trash.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    target = trash / f"{snapshot_id}{_SEP}{now.strftime('%Y%m%dT%H%M%S%fZ')}"
    os.rename(source, target)
    found = _parse(target)
    assert found is not None
    return found


def list_trash(root: str | Path) -> list[Trashed]:
    """Return the snapshots in the trash, the latest deleted first."""
    trash = Path(root) / TRASH_DIR
    if not trash.is_dir():
        return []
    found = [x for x in (_parse(f) for f in trash.iterdir() if f.is_dir()) if x is not None]
    return sorted(found, key=lambda x: x.deleted, reverse=True)


def restore(root: str | Path, entry: Trashed, lang: str = DEFAULT_LANG) -> Path:
    """Put a trashed snapshot back under its id; an existing snapshot of that id is never
    replaced (:class:`SnapshotExistsError`)."""
    target = Path(root) / entry.snapshot_id
    if target.exists():
        raise SnapshotExistsError(entry.snapshot_id, lang)
    os.rename(entry.path, target)
    return target
