"""A county's own headers, mapped once to the contract's columns and offered again next year.

A mapping is ``table -> {the user's header (normalised) -> contract column}``, stored per
county (or ``default``) in ``<data root>/.mappings/<key>.json``, written atomically and read
with the size and depth limits of every stored JSON file.  A damaged or foreign file reads as
no mapping: it never stops an import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from dashboard.store.contract import TABLES
from dashboard.store.contract.spec import columns, header_key
from dashboard.store.files import JsonFileError, read_json_bounded, write_atomic

__all__ = ["MAPPING_DIR", "Mappings", "mapping_key", "load_mappings", "save_mappings"]

MAPPING_DIR: Final = ".mappings"
_KEY: Final = re.compile(r"[0-9A-Za-z_-]{1,32}")

Mappings = dict[str, dict[str, str]]  # table -> normalised header -> contract column


def mapping_key(county: str | None) -> str:
    """Return the file key of a county's mapping: its code, or ``default``.

    >>> mapping_key("360123"), mapping_key(None), mapping_key("../x")
    ('360123', 'default', 'default')
    """
    return county if county is not None and _KEY.fullmatch(county) else "default"


def _path(root: str | Path, county: str | None) -> Path:
    return Path(root) / MAPPING_DIR / f"{mapping_key(county)}.json"


def _clean(raw: object) -> Mappings:
    """Keep only well-formed entries: known tables, text headers, declared columns."""
    out: Mappings = {}
    if not isinstance(raw, dict):
        return out
    for table in TABLES:
        entries = raw.get(table)
        if not isinstance(entries, dict):
            continue
        known = set(columns(table))
        out[table] = {header_key(h): c for h, c in entries.items()
                      if isinstance(h, str) and isinstance(c, str) and c in known}
    return out


def load_mappings(root: str | Path, county: str | None) -> Mappings:
    """Return the saved mapping of ``county`` (empty when there is none or it is damaged)."""
    path = _path(root, county)
    if not path.is_file():
        return {}
    try:
        return _clean(read_json_bounded(path))
    except (JsonFileError, OSError, ValueError):
        return {}


def save_mappings(root: str | Path, county: str | None,
                  mappings: Mapping[str, Mapping[str, str]]) -> Path:
    """Merge ``mappings`` into the county's saved mapping and write it; return its path."""
    merged = load_mappings(root, county)
    for table, entries in _clean(dict(mappings)).items():
        merged.setdefault(table, {}).update(entries)
    path = _path(root, county)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(merged, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return write_atomic(path, text.encode("utf-8"))
