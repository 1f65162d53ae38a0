"""Pairing the township names of a boundary file with the townships the schools table names.

Official names vary between sources: full-width characters, spaces, or a suffix dropped
(云溪乡 / 云溪, 城关街道 / 城关街道办事处).  A polygon's name is paired with a school township when
both are equal after Unicode NFKC and whitespace removal, or else when exactly one school
township shares its stem (the name without its administrative suffix).  Everything else is
left for the user to pair; a pairing the user gives always wins.  docs/data-contract.md §11.

>>> m = match_townships(["云溪", "城关街道办事处", "青石镇", "无名地"],
...                     ["云溪乡", "城关街道", "青石镇", "白沙镇"])
>>> m.pairs
{'云溪': '云溪乡', '城关街道办事处': '城关街道', '青石镇': '青石镇'}
>>> m.unmatched_polygons, m.townships_without_polygon
(('无名地',), ('白沙镇',))
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["name_key", "name_stem", "TownshipMatch", "match_townships", "match_score"]

# Administrative suffixes of township-level units, longest first (民族乡 before 乡).
SUFFIXES: Final = ("街道办事处", "办事处", "民族乡", "民族镇", "街道", "苏木", "镇", "乡")
_SPACE: Final = re.compile(r"\s+")


def name_key(name: object) -> str:
    """Return a name as compared: NFKC (full-width to half-width), no whitespace.

    >>> name_key(" 青石\u3000镇 ")
    '青石镇'
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(name)))


def name_stem(name: object) -> str:
    """Return the compared name without its administrative suffix (云溪乡 -> 云溪).

    >>> name_stem("城关街道办事处"), name_stem("镇")
    ('城关', '镇')
    """
    key = name_key(name)
    for suffix in SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


@dataclass(frozen=True)
class TownshipMatch:
    """``pairs`` maps each paired polygon name to its school township; the rest is listed."""

    pairs: dict[str, str]
    unmatched_polygons: tuple[str, ...]
    townships_without_polygon: tuple[str, ...]


def match_townships(polygon_names: Iterable[str], townships: Iterable[str],
                    pairing: Mapping[str, str] | None = None) -> TownshipMatch:
    """Pair polygon names with school townships (the user's ``pairing`` first, then equal
    names, then a unique equal stem); a township is paired with one polygon name at most."""
    names = list(dict.fromkeys(str(n) for n in polygon_names))
    towns = list(dict.fromkeys(str(x) for x in townships))
    pairing = {str(k): str(v) for k, v in (pairing or {}).items() if str(v) in towns}
    pairs: dict[str, str] = {}
    taken: set[str] = set()

    def pair(name: str, town: str) -> None:
        pairs[name] = town
        taken.add(town)

    for name in names:
        if name in pairing and pairing[name] not in taken:
            pair(name, pairing[name])
    by_key = {name_key(x): x for x in towns}
    for name in names:
        town = by_key.get(name_key(name))
        if name not in pairs and town is not None and town not in taken:
            pair(name, town)
    stems: dict[str, list[str]] = {}
    for x in towns:
        stems.setdefault(name_stem(x), []).append(x)
    for name in names:
        found = [x for x in stems.get(name_stem(name), []) if x not in taken]
        if name not in pairs and len(found) == 1:
            pair(name, found[0])
    return TownshipMatch(
        {n: pairs[n] for n in names if n in pairs},  # in the file's order
        tuple(n for n in names if n not in pairs),
        tuple(x for x in towns if x not in taken),
    )


def match_score(values: Iterable[object], townships: Iterable[str]) -> int:
    """Return how many school townships the distinct ``values`` of a column would pair with:
    how the township-name column of a boundary file is recognised."""
    names = [str(v) for v in dict.fromkeys(values) if isinstance(v, str) and v.strip()]
    return len(match_townships(names, townships).pairs)
