"""The self-assessment report as an editable DOCX (python-docx): named styles only (no direct
formatting of runs), the East Asian typeface on every style (w:rFonts w:eastAsia), a table of
contents field Word fills on opening, the official tables with a repeated header row, and wide
tables on landscape pages.  No Streamlit.
"""

from __future__ import annotations

import io
from typing import Any, Final

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from dashboard.ui.present.fonts import EAST_ASIAN, LATIN
from dashboard.ui.present.model import Material
from dashboard.ui.present.report import Block, report_blocks
from dashboard.ui.present.tables import OfficialTable

__all__ = ["build_docx", "STYLES"]

# block kind -> paragraph style (built-in names Word localises, and the report's own)
STYLES: Final = {"title": "Title", "subtitle": "Subtitle", "h1": "Heading 1", "h2": "Heading 2",
                 "p": "Normal", "item": "List Paragraph", "editable": "JH Editable",
                 "toc": "JH Note"}
TABLE_TEXT: Final = "JH Table Text"
TABLE_HEAD: Final = "JH Table Head"
TABLE_NOTE: Final = "JH Note"
CAPTION: Final = "Caption"
MAX_WEIGHT: Final = 30  # characters: a longer cell wraps rather than widening its column
MIN_WEIGHT: Final = 6  # ... and a short one (评估, 学段) still fits its header
_THEME_ATTRS: Final = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _typefaces(style: Any) -> None:
    """Name the Latin and East Asian typefaces of a style (theme font references removed:
    they would win over the names)."""
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in _THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), LATIN)
    rfonts.set(qn("w:hAnsi"), LATIN)
    rfonts.set(qn("w:eastAsia"), EAST_ASIAN)
    rfonts.set(qn("w:cs"), LATIN)


def _paragraph_style(doc: Any, name: str, *, size: float, bold: bool = False,
                     italic: bool = False, color: RGBColor | None = None) -> Any:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = italic
    if color is not None:
        style.font.color.rgb = color
    style.paragraph_format.space_after = Pt(2)
    style.paragraph_format.space_before = Pt(0)
    return style


def _styles(doc: Any) -> None:
    """Set up the report's styles: the built-in ones with both typefaces, and its own."""
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    _paragraph_style(doc, TABLE_TEXT, size=8)
    _paragraph_style(doc, TABLE_HEAD, size=8, bold=True)
    _paragraph_style(doc, TABLE_NOTE, size=9, color=RGBColor(0x55, 0x5F, 0x6B))
    editable = _paragraph_style(doc, STYLES["editable"], size=11, italic=True,
                                color=RGBColor(0xA0, 0x30, 0x30))
    editable.paragraph_format.space_after = Pt(8)
    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "List Paragraph",
                 CAPTION, TABLE_TEXT, TABLE_HEAD, TABLE_NOTE, STYLES["editable"]):
        _typefaces(doc.styles[name])
    for name in ("Title", "Heading 1", "Heading 2", CAPTION):
        doc.styles[name].font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)


def _toc(doc: Any, text: str) -> None:
    """Add a TOC field (headings 1–2) whose shown text says how to refresh it; Word updates
    it on opening (settings w:updateFields)."""
    p = doc.add_paragraph(style=TABLE_NOTE)
    parts = [("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None),
             (None, None), ("end", None)]
    for fld, instr in parts:
        run = p.add_run()
        if fld is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), fld)
            run._r.append(el)  # noqa: SLF001 — python-docx has no field API
        elif instr is not None:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
            run._r.append(el)  # noqa: SLF001
        else:
            run.text = text
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


def _orient(doc: Any, landscape: bool) -> None:
    """Start a new section on a new page, landscape or portrait (A4)."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    width, height = section.page_width, section.page_height
    if landscape != (width > height):
        section.page_width, section.page_height = height, width
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT


def _header_weight(header: str) -> float:
    """Return the width a header needs: a Chinese one wraps onto three lines anywhere, an
    English one only between words (its longest word must fit).

    >>> _header_weight("Threshold"), _header_weight("生均教学仪器设备值（元）")
    (10.8, 4.0)
    """
    if any(ord(ch) > 0x2E7F for ch in header):
        return len(header) / 3
    return max((len(w) for w in header.split()), default=0) * 6 / 5  # bold type is wider


def _table(doc: Any, table: OfficialTable) -> None:
    """Add a caption, the table (header row repeated on every page) and its note."""
    doc.add_paragraph(table.title, style=CAPTION)
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = doc.styles["Table Grid"]
    grid.autofit = False
    margins = OxmlElement("w:tblCellMar")  # narrow cell margins: 1 mm each side
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), "57")
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    grid._tbl.tblPr.append(margins)  # noqa: SLF001 — no public API for cell margins
    section = doc.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    texts = [list(table.columns), *[[c.text for c in row] for row in table.rows]]
    # a header wraps onto up to three lines; the data decide a column's width
    weights = [min(max(MIN_WEIGHT, _header_weight(table.columns[c]),
                       *(len(str(r[c])) for r in texts[1:])), MAX_WEIGHT) + 3
               for c in range(len(table.columns))]
    for c, column in enumerate(grid.columns):  # widths by content, the whole text width
        w = int(text_width * weights[c] / sum(weights))
        column.width = w
        for cell in column.cells:
            cell.width = w
    ids = {name: doc.styles[name].style_id for name in (TABLE_HEAD, TABLE_TEXT)}
    for r, values in enumerate(texts):
        row = grid.rows[r]
        trpr = row._tr.get_or_add_trPr()  # noqa: SLF001 — no public API for these row flags
        keep = OxmlElement("w:cantSplit")  # a row never breaks across pages
        keep.set(qn("w:val"), "true")
        trpr.append(keep)
        if r == 0:  # the header row repeats on every page
            head = OxmlElement("w:tblHeader")
            head.set(qn("w:val"), "true")
            trpr.append(head)
        style_id = ids[TABLE_HEAD if r == 0 else TABLE_TEXT]
        for cell, value in zip(row.cells, values, strict=True):
            paragraph = cell.paragraphs[0]
            paragraph.text = str(value)
            # the style by its id: python-docx's style setter looks the name up among every
            # style for each paragraph (seconds for the school tables)
            paragraph._p.style = style_id  # noqa: SLF001
    doc.add_paragraph(table.note, style=TABLE_NOTE)


def _block(doc: Any, block: Block, landscape: bool) -> bool:
    """Add one block; return whether the page is now landscape (a heading starts a landscape
    section when its part holds wide tables, and ends one otherwise)."""
    if block.kind in ("h1", "h2") and block.wide != landscape:
        _orient(doc, block.wide)
        landscape = block.wide
    if block.kind == "toc":
        _toc(doc, block.text)
    elif block.kind == "table" and block.table is not None:
        _table(doc, block.table)
    else:
        doc.add_paragraph(block.text, style=STYLES[block.kind])
    return landscape


def build_docx(m: Material) -> bytes:
    """Return the self-assessment report of ``m`` as DOCX bytes."""
    doc = Document()
    first = doc.sections[0]  # A4, as official documents are (python-docx's template is Letter)
    first.page_width, first.page_height = Mm(210), Mm(297)
    first.left_margin = first.right_margin = Mm(25)
    first.top_margin = first.bottom_margin = Mm(25)
    _styles(doc)
    doc.core_properties.title = next(b.text for b in report_blocks(m) if b.kind == "title")
    doc.core_properties.language = "zh-CN" if m.lang == "zh" else "en"
    landscape = False
    for block in report_blocks(m):
        landscape = _block(doc, block, landscape)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
