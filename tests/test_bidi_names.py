"""A name with a directional control (a right-to-left override, U+202E) cannot reorder the
sentence it is put into: catalogue texts and the verdict's lists fence it in an isolate."""

from __future__ import annotations

import unicodedata

from dashboard.i18n import t
from dashboard.method.verdict import _join

RLO = "\u202e"


def _bidi_runs_closed(text: str) -> bool:
    """Whether every override or embedding opened in ``text`` is closed by an isolate's end
    (PDI) before the text that follows it: the rule the Unicode bidi algorithm applies (UAX #9,
    X6a: a PDI ends the embeddings and overrides opened inside its isolate)."""
    depth, opened = 0, []
    for ch in text:
        if ch in "\u2066\u2067\u2068":
            opened.append(depth)
            depth = 0
        elif ch == "\u2069":
            depth = opened.pop() if opened else depth
        elif ch in "\u202a\u202b\u202d\u202e":
            depth += 1
        elif ch == "\u202c":
            depth = max(depth - 1, 0)
    return depth == 0 and not opened


def test_a_catalogue_field_with_an_override_is_fenced_and_the_rest_reads_as_written() -> None:
    name = RLO + "学校甲"
    out = t("plan2.failure.locked", "zh", school=name)
    assert out == "锁定学校 \u2068" + name + "\u2069 被调整"
    assert _bidi_runs_closed(out)
    assert not _bidi_runs_closed("锁定学校 " + name + " 被调整")  # what it read before
    assert t("plan2.failure.locked", "en", school="城关小学") == t("plan2.failure.locked", "en").format(
        school="城关小学")  # a plain name is left as it is
    assert t("checklist.evidence.failing_components", "zh", names=RLO + "城关小学").endswith(
        "\u2068" + RLO + "城关小学\u2069")


def test_the_verdicts_name_lists_fence_each_name() -> None:
    names = [RLO + "甲校", "乙校", "丙校\u202b"]
    out = _join(names, "zh", limit=None)
    assert out == "\u2068" + RLO + "甲校\u2069、乙校、\u2068丙校\u202b\u2069"
    assert _bidi_runs_closed(out)
    assert _join(["乙校", "丙校"], "en", limit=None) == "乙校, 丙校"  # plain names unchanged
    assert all(unicodedata.category(c) != "Cf" for c in _join(["乙校"], "zh"))
