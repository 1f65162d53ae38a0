"""The rule profile a county chose, per year, kept beside its snapshots so that every page, every
session and next year's import open on it (issue 12: "profiles chosen per county and year").

Stored in ``<data root>/.choices/<county>.json`` as ``{"profile": {"<year>": "<profile id>"}}``,
written atomically and read with the limits of every stored JSON file.  A year without a choice
takes the latest earlier year's (a province changes its list rarely); a damaged file or an id
that is no longer a profile reads as no choice, never an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from dashboard.method.profiles import profile_ids
from dashboard.store.files import JsonFileError, read_json_bounded, write_atomic
from dashboard.store.mappings import mapping_key

__all__ = ["CHOICES_DIR", "load_profile_choice", "save_profile_choice"]

CHOICES_DIR: Final = ".choices"


def _path(root: str | Path, county: str) -> Path:
    return Path(root) / CHOICES_DIR / f"{mapping_key(county)}.json"


def _by_year(root: str | Path, county: str) -> dict[int, str]:
    path = _path(root, county)
    if not path.is_file():
        return {}
    try:
        raw = read_json_bounded(path)
    except (JsonFileError, OSError, ValueError):
        return {}
    years = raw.get("profile") if isinstance(raw, dict) else None
    if not isinstance(years, dict):
        return {}
    known = set(profile_ids())
    return {int(y): p for y, p in years.items()
            if isinstance(y, str) and y.isdigit() and isinstance(p, str) and p in known}


def load_profile_choice(root: str | Path, county: str, year: int) -> str | None:
    """Return the profile chosen for ``county`` in ``year``, else in its latest earlier year
    with a choice, else None (the default applies)."""
    years = _by_year(root, county)
    earlier = [y for y in years if y <= int(year)]
    return years[max(earlier)] if earlier else None


def save_profile_choice(root: str | Path, county: str, year: int, profile: str) -> Path:
    """Record ``profile`` as the county's choice for ``year``; return the file's path."""
    if profile not in profile_ids():
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(profile_ids())}")
    years = _by_year(root, county)
    years[int(year)] = profile
    text = json.dumps({"profile": {str(y): p for y, p in sorted(years.items())}},
                      ensure_ascii=False, indent=2) + "\n"
    path = _path(root, county)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, text.encode("utf-8"))
