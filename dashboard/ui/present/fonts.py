"""The typefaces of the outputs and the one place that sets the East Asian typeface.

Office files name 微软雅黑 (Microsoft YaHei) as the East Asian typeface: it is on every Windows
PC of a county bureau, and WPS maps it too; where it is missing (Linux, LibreOffice) fontconfig
substitutes a CJK font such as Noto Sans CJK SC.  The PDF is printed with Noto Sans CJK SC
(scripts/system-deps.sh installs fonts-noto-cjk) and embeds it.  No Streamlit.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["LATIN", "EAST_ASIAN", "CSS_FAMILY", "set_typefaces", "run_properties"]

LATIN: Final = "Arial"
EAST_ASIAN: Final = "Microsoft YaHei"
CSS_FAMILY: Final = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'
# The DrawingML elements that hold a run's properties.
_RUN_PROPERTIES: Final = ("rPr", "defRPr", "endParaRPr")
# The children of a:rPr / a:defRPr that must come after a:latin, a:ea and a:cs (ECMA-376
# CT_TextCharacterProperties sequence).
_AFTER: Final = ("sym", "hlinkClick", "hlinkMouseOver", "rtl", "extLst")


def set_typefaces(rpr: Any, latin: str = LATIN, east_asian: str = EAST_ASIAN) -> None:
    """Set the Latin, East Asian and complex-script typefaces of a DrawingML run's properties
    (``a:rPr``, ``a:defRPr`` or ``a:endParaRPr``).

    python-pptx's ``Font.name`` sets only ``a:latin``: it has no public API for ``a:ea`` /
    ``a:cs``, so Chinese text would fall back to the theme's East Asian font (often missing).
    The three elements are written here in the schema's order.
    """
    ns = str(rpr.tag)[1:].partition("}")[0]  # DrawingML's, taken from the element itself
    for tag in ("latin", "ea", "cs"):
        old = rpr.find(f"{{{ns}}}{tag}")
        if old is not None:
            rpr.remove(old)
    anchor = next((c for c in rpr if str(c.tag).rsplit("}", 1)[-1] in _AFTER), None)
    for tag, face in (("latin", latin), ("ea", east_asian), ("cs", latin)):
        el = rpr.makeelement(f"{{{ns}}}{tag}", {"typeface": face})
        if anchor is None:
            rpr.append(el)
        else:
            anchor.addprevious(el)


def run_properties(element: Any) -> list[Any]:
    """Return every run-properties element (``a:rPr``, ``a:defRPr``, ``a:endParaRPr``) below
    ``element``, whose tree declares DrawingML as prefix ``a``."""
    ns = element.nsmap["a"]
    return list(element.iter(*(f"{{{ns}}}{tag}" for tag in _RUN_PROPERTIES)))
