"""The self-assessment report as an editable DOCX (python-docx): named styles only (no direct
formatting of runs), the East Asian typeface on every style (w:rFonts w:eastAsia), a table of
contents field Word fills on opening, the official tables with a repeated header row, and wide
tables on landscape pages.  No Streamlit.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any, Final

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from dashboard.ui.format import text_ems
from dashboard.ui.present.fonts import EAST_ASIAN, LATIN
from dashboard.ui.present.model import Material
from dashboard.ui.present.report import Block, report_blocks
from dashboard.ui.present.tables import OfficialTable

__all__ = ["build_docx", "column_widths", "STYLES"]

# block kind -> paragraph style (built-in names Word localises, and the report's own)
STYLES: Final = {"title": "Title", "subtitle": "Subtitle", "h1": "Heading 1", "h2": "Heading 2",
                 "p": "Normal", "item": "List Paragraph", "editable": "JH Editable",
                 "toc": "JH Note"}
TABLE_TEXT: Final = "JH Table Text"
TABLE_HEAD: Final = "JH Table Head"
TABLE_TOTAL: Final = "JH Table Total"  # a 全县平均值 / 差异系数 row
# the background of a marked cell (tables.MARKS), as the report's HTML has it
SHADE: Final = {"total": "EEF2F6", "fail": "90A4AE"}
TABLE_NOTE: Final = "JH Note"
CAPTION: Final = "Caption"
TABLE_SIZE: Final = 8  # pt, the tables' type
SHORT: Final = 12  # ems: a column whose texts all fit keeps each on one line (names, statuses)
SHORT_HEADER: Final = 5.0  # ems: a Chinese header up to this long is not wrapped
MIN_EMS: Final = 2.5  # ems: the narrowest column
LONG_MIN: Final = 8  # ems: the narrowest a column of long texts is left by the short ones
WIDE_MARGINS: Final = (Mm(12), Mm(15))  # a landscape page's left/right and top/bottom
CELL_MARGIN: Final = 36195  # EMU: 57 twips (1 mm), a cell's left and right margin each
_THEME_ATTRS: Final = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


# Characters XML 1.0 cannot hold (C0 controls but tab, LF and CR; U+FFFE, U+FFFF; lone
# surrogates): lxml refuses the whole document for one of them.  A name pasted from Word can
# carry U+000B (its manual line break); shown as a space.
_WORD_BREAK: Final = re.compile(r"\s+|(?<=-)")  # where a line may break: a space, after a hyphen
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: object) -> str:
    r"""Return ``value`` as text a Word document can hold (every character XML 1.0 refuses
    becomes a space).

    >>> xml_text("a\x0bb\x1fc\td")
    'a b c\td'
    """
    return _NOT_XML.sub(" ", str(value))


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
    _paragraph_style(doc, TABLE_TEXT, size=TABLE_SIZE)
    _paragraph_style(doc, TABLE_HEAD, size=TABLE_SIZE, bold=True)
    _paragraph_style(doc, TABLE_TOTAL, size=TABLE_SIZE, bold=True)
    _paragraph_style(doc, TABLE_NOTE, size=9, color=RGBColor(0x55, 0x5F, 0x6B))
    editable = _paragraph_style(doc, STYLES["editable"], size=11, italic=True,
                                color=RGBColor(0xA0, 0x30, 0x30))
    editable.paragraph_format.space_after = Pt(8)
    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "List Paragraph",
                 CAPTION, TABLE_TEXT, TABLE_HEAD, TABLE_TOTAL, TABLE_NOTE, STYLES["editable"]):
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
    # a landscape page has the PDF's margins (html.WIDE_MM): the wide tables' 13 columns need
    # the width (at 25 mm the English school tables broke 'Approximated' inside the word)
    side, top = (WIDE_MARGINS if landscape else (Mm(25), Mm(25)))
    section.left_margin = section.right_margin = side
    section.top_margin = section.bottom_margin = top


def _header_ems(header: str) -> float:
    """Return the width (ems) a header needs: a Chinese one wraps onto three lines anywhere
    (one up to SHORT_HEADER characters long stays on one line: '差异系 / 数' read badly), an
    English one only between words (its longest word must fit, bold type being wider).

    >>> _header_ems("Threshold"), _header_ems("生均教学仪器设备值（元）"), _header_ems("差异系数")
    (5.94, 5.0, 4.0)
    """
    if any(ord(ch) > 0x2E7F for ch in header):  # a short one ('差异系数') on one line
        return round(max(min(text_ems(header), SHORT_HEADER), text_ems(header) / 3), 2)
    return round(max((text_ems(w) for w in header.split()), default=0) * 1.2, 2)


def _word_ems(header: str, texts: Sequence[str]) -> float:
    """Return the ems of the longest piece of a column that cannot wrap: a word of its texts
    (a Chinese name counts whole) or of its header (bold), at least MIN_EMS.

    >>> _word_ems("Verdict", ["Approximated", "Pass"]), _word_ems("学校", ["城关第一小学"])
    (6.6, 6.0)
    >>> _word_ems("Teacher-pupil ratio", ["1\u00a0:\u00a023.9"])  # 'Teacher-' in bold
    4.96
    """
    words = [text_ems(w) for x in texts for w in _WORD_BREAK.split(str(x))]
    head = [text_ems(w, 0.62) for w in _WORD_BREAK.split(header)
            if not any(ord(ch) > 0x2E7F for ch in w)]
    return round(max([MIN_EMS, *words, *head]), 2)


def column_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int,
                  size: float = TABLE_SIZE) -> list[int]:
    """Return the widths (EMU, summing to ``width``) of a table's columns: a column whose
    longest text fits in SHORT ems gets what it needs to keep every text on one line (a
    status '未达标', a school name); the longer ones share the rest by their length; all are
    widened alike when there is room to spare.

    >>> w = column_widths(["学校", "结论", "理由"], [["云溪乡九年一贯制学校", "未达标", "x" * 200]], 5_000_000)
    >>> [round(x / 12700 / 8, 1) for x in w]  # in ems of 8 pt
    [11.2, 4.2, 33.8]
    """
    em = size * 12700
    pad = 2 * CELL_MARGIN + int(em / 2)  # the cell's margins and half an em to spare
    need = [max(_header_ems(c), MIN_EMS, *(text_ems(line) for r in rows for line in str(r[k]).split("\n")))
            for k, c in enumerate(columns)]
    short = [n <= SHORT for n in need]
    fixed = sum(int(n * em) + pad for n, s in zip(need, short, strict=True) if s)
    long_total = sum(n for n, s in zip(need, short, strict=True) if not s)
    # a long column gets at least LONG_MIN ems, else every column goes by its need (English
    # headers left the long texts a letter a line)
    floor = sum(int(LONG_MIN * em) + pad for s in short if not s)
    if long_total and fixed + floor <= width:  # each long one LONG_MIN ems and a share of
        # the rest by its length (by length alone, a name of 300 characters left the failing
        # items a character a line)
        rest = width - fixed - floor
        out = [int(n * em) + pad if s else int(LONG_MIN * em) + pad + int(rest * n / long_total)
               for n, s in zip(need, short, strict=True)]
    elif long_total and floor < width:  # too little room: the long ones at LONG_MIN ems, the
        # short ones narrowed alike down to their longest word (a figure, 'Approximated' or a
        # school's name stays whole; narrowed alike, the English status read 'Approximate / d')
        whole = [int(_word_ems(c, [r[k] for r in rows]) * em) + pad if s else 0
                 for k, (c, s) in enumerate(zip(columns, short, strict=True))]
        if sum(whole) + floor <= width:  # room for every word: only what is above it shrinks
            spare = fixed - sum(whole)  # > 0: the short ones did not fit whole
            scale = (width - floor - sum(whole)) / spare
            out = [w + int(scale * (int(n * em) + pad - w)) if s else int(LONG_MIN * em) + pad
                   for n, s, w in zip(need, short, whole, strict=True)]
        else:  # not even the words fit: the short ones narrowed alike
            scale = (width - floor) / fixed
            out = [int(scale * (int(n * em) + pad)) if s else int(LONG_MIN * em) + pad
                   for n, s in zip(need, short, strict=True)]
    else:  # nothing long: every column by its need
        total = sum(int(n * em) + pad for n in need)
        out = [int(width * (int(n * em) + pad) / total) for n in need]
    out[-1] += width - sum(out)
    return out


def _shade(cell: Any, fill: str) -> None:
    """Give a table cell a background (w:shd; python-docx has no API for it)."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)  # noqa: SLF001


def _table(doc: Any, table: OfficialTable) -> None:
    """Add a caption, the table (header row repeated on every page) and its note."""
    doc.add_paragraph(xml_text(table.title), style=CAPTION)
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
    widths = column_widths(table.columns, texts[1:], int(text_width))
    for c, column in enumerate(grid.columns):  # widths by content, the whole text width
        w = widths[c]
        column.width = w
        for cell in column.cells:
            cell.width = w
    ids = {name: doc.styles[name].style_id for name in (TABLE_HEAD, TABLE_TEXT, TABLE_TOTAL)}
    marks = [[""] * len(table.columns), *[[c.mark for c in row] for row in table.rows]]
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
        for cell, value, mark in zip(row.cells, values, marks[r], strict=True):
            paragraph = cell.paragraphs[0]
            paragraph.text = xml_text(value)
            # the style by its id: python-docx's style setter looks the name up among every
            # style for each paragraph (seconds for the school tables)
            paragraph._p.style = ids[TABLE_HEAD if r == 0  # noqa: SLF001
                                     else TABLE_TOTAL if mark == "total" else TABLE_TEXT]
            if mark in SHADE:
                _shade(cell, SHADE[mark])
    note = doc.add_paragraph(xml_text(table.note), style=TABLE_NOTE)
    if table.footer:  # the forms' 填报单位 / 填报日期 line, in the note's paragraph: never
        note.add_run().add_break()  # alone on a page of its own
        note.add_run(xml_text(table.footer))


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
        doc.add_paragraph(xml_text(block.text), style=STYLES[block.kind])
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
