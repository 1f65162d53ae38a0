"""The scenario store: scenarios as JSON files in a folder, written atomically."""

from __future__ import annotations

import dataclasses
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

_NAME_PATTERN: Final = re.compile(r"\w(?:[\w\- ]{0,62}[\w\-])?")
_TEMP_PREFIX: Final = ".tmp-"


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


def scenario_root(data_root: str | Path) -> Path:
    """Return the folder of saved scenarios under a data root (``<data_root>/scenarios``)."""
    return Path(data_root) / SCENARIO_DIR


class ScenarioStore:
    """Saved scenarios as ``<root>/<name>.json`` (``root`` is usually ``scenario_root(data)``).

    Every write goes to a temporary file beside the target, is flushed to disk and then moved
    into place in one step (``os.link`` when it must not replace a file, ``os.replace`` when it
    may), so a reader sees the old file or the new one, never a part; saves of different names
    at the same time all survive.  Names are 1–64 letters, digits (Chinese included), spaces,
    ``_`` or ``-``, starting with a letter or digit and not ending with a space.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """Return the file of the scenario ``name`` (the name is checked first)."""
        if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name) or name.startswith("_"):
            raise ScenarioError("bad_name", field="name", value=name)
        return self.root / f"{name}.json"

    def save(self, scenario: Scenario, *, overwrite: bool = False) -> Path:
        """Return the path the scenario was written to (``created`` filled in if empty).

        An existing scenario of the same name is refused unless ``overwrite``.
        """
        target = self.path(scenario.name)
        if not scenario.created:
            scenario = dataclasses.replace(
                scenario, created=datetime.now(UTC).isoformat(timespec="seconds"))
        data = scenario.to_json().encode("utf-8")
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f"{_TEMP_PREFIX}{secrets.token_hex(8)}.json"
        try:
            with temp.open("xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if overwrite:
                os.replace(temp, target)
            else:
                try:
                    os.link(temp, target)  # atomic, and fails if the name is taken
                except FileExistsError:
                    raise ScenarioError("exists", field="name", value=scenario.name) from None
        finally:
            temp.unlink(missing_ok=True)
        return target

    def load(self, name: str) -> Scenario:
        """Return the saved scenario ``name`` (ScenarioError 'not_found' when there is none)."""
        path = self.path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError("not_found", field="name", value=name) from None
        return Scenario.from_json(text)

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
        """Return the saved scenarios sorted by name; temporary and unreadable files are left
        out (every file written here is complete: see the class docstring)."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*.json"):
            if path.name.startswith("."):
                continue
            try:
                s = Scenario.from_json(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ScenarioError):
                continue
            found.append(ScenarioInfo(name=path.stem, snapshot_id=s.snapshot_id,
                                      snapshot_sha256=s.snapshot_sha256, note=s.note,
                                      created=s.created, actions=len(s.actions), path=path))
        return sorted(found, key=lambda i: i.name)

