"""The text catalogue: every user-facing text, Simplified Chinese first, English second.

The catalogue is one mapping ``key -> {"zh": ..., "en": ...}`` assembled from the TOML files in
``dashboard/catalogue/`` (one file per area, so that areas can grow independently).  A key defined
twice, or a key missing a language, is an error at load time, so the catalogue stays one.

>>> t("lang.name", "zh")
'中文'
>>> t("lang.name", "en")
'English'
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Final

__all__ = ["LANGS", "DEFAULT_LANG", "t", "catalogue", "CatalogueError", "isolate"]

LANGS: Final = ("zh", "en")
DEFAULT_LANG: Final = "zh"
# Unicode's directional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI)
_BIDI: Final = re.compile("[\u202a-\u202e\u2066-\u2069]")


class CatalogueError(ValueError):
    """The catalogue files are inconsistent (duplicate key, missing language)."""


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Return the whole catalogue, ``key -> {lang: text}``, merged from every catalogue file."""
    merged: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    folder = Path(__file__).parent / "catalogue"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for key, texts in _flatten(data):
            if key in merged:
                raise CatalogueError(
                    f"catalogue key {key!r} is defined in both {origin[key]} and {entry.name}"
                )
            missing = [lang for lang in LANGS if lang not in texts]
            if missing:
                raise CatalogueError(f"catalogue key {key!r} in {entry.name} lacks {missing}")
            merged[key] = texts
            origin[key] = entry.name
    return merged


def _flatten(data: dict, prefix: str = ""):
    """Yield ``(dotted_key, {lang: text})`` for every leaf table holding language texts."""
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and any(lang in value for lang in LANGS):
            yield key, {lang: str(value[lang]) for lang in LANGS if lang in value}
        elif isinstance(value, dict):
            yield from _flatten(value, key + ".")


def t(key: str, lang: str = DEFAULT_LANG, /, **fields: object) -> str:
    """Return the text for ``key`` in ``lang`` ("zh" or "en"), formatted with ``fields``.

    An unknown key raises ``KeyError`` naming the key: a missing text is a bug, never shown
    silently as the key itself.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"no catalogue text for key {key!r}") from None
    if not fields:
        return text
    return text.format(**{k: isolate(v) if isinstance(v, str) else v for k, v in fields.items()})


def isolate(text: str) -> str:
    """Return ``text`` fenced in a first-strong isolate (U+2068 … U+2069) when it holds a
    directional control, else unchanged.

    A name from the data with a right-to-left override (U+202E) would otherwise reverse the rest
    of the sentence it is put into (figures included); inside an isolate the override ends at
    its close, and the sentence reads as written.  Plain text, Chinese or Arabic, is left as is.

    >>> isolate("城关小学")
    '城关小学'
    >>> isolate("\u202eabc") == "\u2068\u202eabc\u2069"
    True
    """
    return f"\u2068{text}\u2069" if _BIDI.search(text) else text
