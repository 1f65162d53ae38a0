"""Provincial and local rule profiles as data files (docs/method.md §4.1).

A profile is one JSON file in ``dashboard/method/data/profiles/``; a province adds its own list
by adding a file, without code.  Each file holds:

- ``id``, ``name_zh``, ``name_en``, ``source`` (the seed or document it is read from),
  ``source_title_zh`` / ``source_title_en`` (that document's title, as pages and reports name it)
  and ``source_quote`` (the words the rule is taken from);
- ``min_met`` (how many items a school must meet) or ``max_failed`` (how many it may miss),
  and ``declared_items`` (how many items the source names);
- ``indicators``: the school items, each with ``id``, ``name_zh``/``name_en``, ``kind`` and its
  figures (see :mod:`dashboard.method.profiles_school`); a figure ``null`` means the source
  gives none, and the item is 缺数据 until the file gives it;
- ``vetoes``: county vetoes with a number (``id`` of the county item, ``min`` or ``max``);
- ``basic_scope``: the scope the source states for 基本均衡 (``teaching_points`` merge or
  exclude, ``private`` in or out) — shown beside the verdict;
- ``default: true`` on exactly one file (the default example; the 2012 text leaves the school standard to each province).

>>> [p for p in profile_ids()][:1]
['example_9of7']
>>> load_profile("example_9of7").rule_text("en")
'7 of 9'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

__all__ = [
    "PROFILE_DIR",
    "Profile",
    "profile_ids",
    "load_profile",
    "default_profile_id",
    "profile_listing",
]

PROFILE_DIR: Final = Path(__file__).parent / "data" / "profiles"


@dataclass(frozen=True)
class Profile:
    """A provincial or local profile: its school items, the M-of-N rule, vetoes and scope."""

    id: str
    name_zh: str
    name_en: str
    source: str
    source_quote: str
    min_met: int
    indicators: tuple[dict, ...]
    declared_items: int
    vetoes: tuple[dict, ...] = ()
    basic_scope: dict = field(default_factory=dict)
    notes_zh: str = ""
    notes_en: str = ""
    default: bool = False
    source_title_zh: str = ""  # the source as a reader names it (the page shows this, not a path)
    source_title_en: str = ""

    @property
    def n(self) -> int:
        """Return the number of items the source declares (the N of 'M of N')."""
        return self.declared_items

    def name(self, lang: str) -> str:
        """Return the profile's name in ``lang``."""
        return self.name_zh if lang == "zh" else self.name_en

    def source_title(self, lang: str) -> str:
        """Return the source document's title in ``lang`` (its file name when it has none)."""
        title = self.source_title_zh if lang == "zh" else self.source_title_en
        return title or self.source

    def notes(self, lang: str) -> str:
        """Return the profile's notes in ``lang`` (what its source leaves open)."""
        return self.notes_zh if lang == "zh" else self.notes_en

    def rule_text(self, lang: str) -> str:
        """Return the pass rule as 'M of N' ('9 项中 7 项' in Chinese; 'all N', '10 项全部', when
        every item must be met).  The profile's name does not repeat it."""
        if self.min_met == self.n:
            return f"{self.n} 项全部" if lang == "zh" else f"all {self.n}"
        if lang == "zh":
            return f"{self.n} 项中 {self.min_met} 项"
        return f"{self.min_met} of {self.n}"

    def veto(self, item_id: str) -> dict | None:
        """Return the profile's numeric veto for county item ``item_id`` (None: none)."""
        return next((v for v in self.vetoes if v.get("id") == item_id), None)

    def as_dict(self, lang: str = "zh") -> dict:
        """Return what a listing shows of the profile (JSON-ready)."""
        return {"id": self.id, "name": self.name(lang), "source": self.source,
                "source_title": self.source_title(lang), "rule": self.rule_text(lang), "min_met": self.min_met, "items": self.n,
                "default": self.default}


def _parse(path: Path) -> Profile:
    data = json.loads(path.read_text(encoding="utf-8"))
    pid = str(data["id"])
    if pid != path.stem:
        raise ValueError(f"profile file {path.name}: its id {pid!r} must be the file name")
    declared = int(data.get("declared_items") or len(data["indicators"]))
    if declared < len(data["indicators"]):
        raise ValueError(f"profile {pid}: declared_items {declared} < its {len(data['indicators'])} items")
    if "max_failed" in data and "min_met" not in data:
        min_met = declared - int(data["max_failed"])
    else:
        min_met = int(data["min_met"])
    if not 0 < min_met <= declared:
        raise ValueError(f"profile {pid}: min_met {min_met} must lie in 1..{declared}")
    return Profile(
        id=pid, name_zh=str(data["name_zh"]), name_en=str(data["name_en"]),
        source=str(data["source"]), source_quote=str(data.get("source_quote", "")),
        min_met=min_met, indicators=tuple(data["indicators"]), declared_items=declared,
        vetoes=tuple(data.get("vetoes", ())), basic_scope=dict(data.get("basic_scope", {})),
        notes_zh=str(data.get("notes_zh", "")), notes_en=str(data.get("notes_en", "")),
        default=bool(data.get("default", False)),
        source_title_zh=str(data.get("source_title_zh", "")),
        source_title_en=str(data.get("source_title_en", "")))


@lru_cache(maxsize=1)
def _all() -> dict[str, Profile]:
    found = {p.id: p for p in (_parse(path) for path in sorted(PROFILE_DIR.glob("*.json")))}
    defaults = [p.id for p in found.values() if p.default]
    if len(defaults) != 1:
        raise ValueError(f"exactly one profile must be the default, found {defaults}")
    return found


def default_profile_id() -> str:
    """Return the id of the default (national) profile."""
    return next(p.id for p in _all().values() if p.default)


def profile_ids() -> tuple[str, ...]:
    """Return the ids of the profiles, the default first, then by id."""
    ids = sorted(_all())
    ids.sort(key=lambda i: i != default_profile_id())
    return tuple(ids)


def load_profile(profile_id: str | None = None) -> Profile:
    """Return the profile ``profile_id`` (None: the default); KeyError names the known ids."""
    pid = profile_id or default_profile_id()
    found = _all()
    if pid not in found:
        raise KeyError(f"unknown profile {pid!r}; known: {', '.join(profile_ids())}")
    return found[pid]


def profile_listing(lang: str = "zh") -> list[dict]:
    """Return every profile as id, name, source and rule (the default first)."""
    return [load_profile(i).as_dict(lang) for i in profile_ids()]
