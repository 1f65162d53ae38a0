"""The scenario store: scenarios as JSON files in a folder, written atomically.

A damaged file (binary, too large, nested too deeply, not a scenario) is never an exception
of :meth:`ScenarioStore.list`: :meth:`ScenarioStore.scan` names it among the damaged ones, and
:meth:`ScenarioStore.load` raises ScenarioError 'damaged_file'.  Temporary files of killed
saves are removed when the store is listed (``dashboard.store.files.clean_leftovers``).
"""

from __future__ import annotations

import builtins
import dataclasses
import fcntl
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from dashboard.planning.scenario.actions import (
    SCENARIO_DIR,
    Scenario,
    ScenarioError,
)
from dashboard.store import files

_NAME_PATTERN: Final = re.compile(r"\w(?:[\w\- ]{0,62}[\w\-])?")
_TEMP_PREFIX: Final = files.TEMP_PREFIX
_SUFFIX: Final = ".json"
MAX_FILE_NAME_BYTES: Final = 255  # NAME_MAX of Linux file systems (ext4, xfs, btrfs, tmpfs)
MAX_SCENARIO_BYTES: Final = 4 * 1024 * 1024  # far above any scenario written here


@dataclass(frozen=True)
class ScenarioInfo:
    """What :meth:`ScenarioStore.list` tells about a saved scenario (``actions``: how many)."""

    name: str
    snapshot_id: str
    snapshot_sha256: str
    note: str
    created: str
    actions: int
    path: Path


@dataclass(frozen=True)
class DamagedScenario:
    """A scenario file that cannot be read: its name (the file name without .json), path and
    the ScenarioError 'damaged_file' saying why (``error.message(lang)``)."""

    name: str
    path: Path
    error: ScenarioError


def scenario_root(data_root: str | Path) -> Path:
    """Return the folder of saved scenarios under a data root (``<data_root>/scenarios``)."""
    return Path(data_root) / SCENARIO_DIR


class ScenarioStore:
    """Saved scenarios as ``<root>/<name>.json`` (``root`` is usually ``scenario_root(data)``).

    Every write goes to a temporary file beside the target, is flushed to disk and then moved
    into place in one step (``os.link`` when it must not replace a file, ``os.replace`` when it
    may), so a reader sees the old file or the new one, never a part; saves of different names
    at the same time all survive.  Names are 1–64 letters, digits (Chinese included), spaces,
    ``_`` or ``-``, starting with a letter or digit and not ending with a space, and the file
    name ``<name>.json`` is at most 255 bytes in UTF-8 (64 four-byte characters are not).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """Return the file of the scenario ``name`` (the name is checked first)."""
        if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name) or name.startswith("_"):
            raise ScenarioError("bad_name", field="name", value=name)
        size = len(f"{name}{_SUFFIX}".encode())
        if size > MAX_FILE_NAME_BYTES:
            raise ScenarioError("name_too_long", field="name", value=name,
                                limit=MAX_FILE_NAME_BYTES, size=size)
        return self.root / f"{name}{_SUFFIX}"

    def save(self, scenario: Scenario, *, overwrite: bool = False) -> Path:
        """Return the path the scenario was written to (``created`` filled in if empty).

        An existing scenario of the same name is refused unless ``overwrite``.
        """
        target = self.path(scenario.name)
        if not scenario.created:
            scenario = dataclasses.replace(
                scenario, created=datetime.now(UTC).isoformat(timespec="seconds"))
        data = scenario.to_json().encode("utf-8")
        try:
            return self._write(target, data, scenario.name, overwrite)
        except OSError as exc:  # disk full, no permission: said, never an exception box
            raise ScenarioError("write_failed", field="name", value=scenario.name,
                                reason=exc.strerror or type(exc).__name__) from exc

    def _write(self, target: Path, data: bytes, name: str, overwrite: bool) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f"{_TEMP_PREFIX}{secrets.token_hex(8)}.json"
        try:
            with temp.open("xb") as f:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # alive: clean_leftovers keeps it
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if overwrite:
                os.replace(temp, target)
            else:
                try:
                    os.link(temp, target)  # atomic, and fails if the name is taken
                except FileExistsError:
                    raise ScenarioError("exists", field="name", value=name) from None
        finally:
            temp.unlink(missing_ok=True)
        return target

    def load(self, name: str) -> Scenario:
        """Return the saved scenario ``name`` (ScenarioError 'not_found' when there is none)."""
        path = self.path(name)
        if not path.is_file():
            raise ScenarioError("not_found", field="name", value=name)
        return _read(path)

    def delete(self, name: str) -> None:
        """Delete the saved scenario ``name`` (ScenarioError 'not_found' when there is none)."""
        try:
            os.remove(self.path(name))
        except FileNotFoundError:
            raise ScenarioError("not_found", field="name", value=name) from None

    def names(self) -> list[str]:
        """Return the names of the saved scenarios, sorted."""
        return [i.name for i in self.list()]

    def list(self) -> list[ScenarioInfo]:
        """Return the saved scenarios sorted by name; temporary and damaged files are left out
        (see :meth:`scan`)."""
        return self.scan()[0]

    def scan(self) -> tuple[builtins.list[ScenarioInfo], builtins.list[DamagedScenario]]:
        """Return the readable saved scenarios and the damaged files, both sorted by name.

        Leftovers of killed saves are removed first; hidden files are not scenarios.  Never
        raises for a damaged file.
        """
        if not self.root.is_dir():
            return [], []
        files.clean_leftovers(self.root)
        found, damaged = [], []
        for path in self.root.glob(f"*{_SUFFIX}"):
            if path.name.startswith("."):
                continue
            try:
                s = _read(path)
            except ScenarioError as exc:
                damaged.append(DamagedScenario(path.stem, path, exc))
                continue
            found.append(ScenarioInfo(name=path.stem, snapshot_id=s.snapshot_id,
                                      snapshot_sha256=s.snapshot_sha256, note=s.note,
                                      created=s.created, actions=len(s.actions), path=path))
        return sorted(found, key=lambda i: i.name), sorted(damaged, key=lambda d: d.name)


def _read(path: Path) -> Scenario:
    """Return the scenario in the file ``path``; any damage raises ScenarioError
    'damaged_file' (size and nesting are checked before parsing)."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_SCENARIO_BYTES + 1)
        if len(raw) > MAX_SCENARIO_BYTES:
            raise files.JsonFileError("too_large", f"more than {MAX_SCENARIO_BYTES} bytes")
        text = raw.decode("utf-8")
        depth = files.json_depth(text)
        if depth > files.MAX_JSON_DEPTH:
            raise files.JsonFileError("too_deep", f"nesting depth {depth}")
        return Scenario.from_json(text)
    except files.JsonFileError as exc:
        reason = f"{exc.reason}: {exc.detail}"[:300]
    except ScenarioError as exc:  # said in the language the message is asked in
        raise ScenarioError("damaged_file", field="name", value=path.stem, reason=exc) from exc
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        reason = f"{type(exc).__name__}: {exc}"[:300]
    raise ScenarioError("damaged_file", field="name", value=path.stem, reason=reason)
