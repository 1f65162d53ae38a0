"""The PPTX deck (汇报材料): 16:9 slides drawn from the presentation's steps
(dashboard.ui.present.story), the coefficients as native, editable PowerPoint charts, the gap
map as a picture, the exact figures in the speaker notes.  Every text run names its Latin and
East Asian typefaces (fonts.set_typefaces).  No Streamlit.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from itertools import cycle
from typing import Any, Final

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from dashboard.ui.present.fonts import run_properties, set_typefaces
from dashboard.ui.present.model import Material
from dashboard.ui.present.story import Chart, Grid, Step, steps
from dashboard.ui.present.word import xml_text

__all__ = ["build_deck", "SLIDE_WIDTH", "SLIDE_HEIGHT", "NAVY"]

SLIDE_WIDTH: Final = Inches(13.333)  # 16:9
SLIDE_HEIGHT: Final = Inches(7.5)
MARGIN: Final = Inches(0.5)
NAVY: Final = RGBColor(0x1F, 0x3A, 0x5F)
GREY: Final = RGBColor(0x45, 0x4F, 0x5B)
HEADER_FILL: Final = RGBColor(0xDC, 0xE6, 0xF0)
SERIES_COLORS: Final = ("1F5FA8", "C0392B", "E08A1E", "3B9A4B", "6A3D9A", "7F8C8D", "17A2B8",
                        "8E44AD", "2C3E50")
CONTENT_TOP: Final = Inches(1.9)
CONTENT_BOTTOM: Final = Inches(7.1)
BLANK_LAYOUT: Final = 6
CELL_PADDING: Final = Inches(0.2)  # a table cell's default left+right (and top+bottom) margins
LINE_SPACING: Final = 1.3  # a line's height in units of the type size
TITLE_SIZE: Final = 28  # pt, smaller for a title that would not fit one line
MAX_LINES: Final = 4  # lines under a title (e.g. the schools' counts per scheme and stage)
REGULAR: Final = 0.55  # ems of a Latin character in regular type
MAX_CELL_LINES: Final = 8  # lines of a table cell; a longer text ends in '…'
# LibreOffice set a long CJK text about a tenth wider than one em a character: a cut text is
# cut to this share of its lines' room, so the row it is measured for holds it
FILL: Final = 0.9
# what a line breaks between: a Chinese character alone, a run of other letters (a word), spaces
_TOKENS: Final = re.compile(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+")
TITLE_SLIDE_SIZES: Final = (40, 34, 28, 24)  # pt: the title slide's, the largest on two lines
THRESHOLD_COLOR: Final = "C0392B"  # the threshold: red, dashed, no markers (no series' colour)


def _font_all(element: Any) -> None:
    """Give every run property below ``element`` both typefaces."""
    for rpr in run_properties(element):
        set_typefaces(rpr)


def _write(frame: Any, lines: Sequence[str], size: float, *, bold: bool = False,
           color: RGBColor = GREY, align: Any = None) -> None:
    """Write ``lines`` into a text frame, one paragraph each, as runs with both typefaces."""
    frame.word_wrap = True
    first = True
    for line in lines:
        p = frame.paragraphs[0] if first else frame.add_paragraph()
        first = False
        if align is not None:
            p.alignment = align
        run = p.add_run()
        run.text = xml_text(line)  # U+000B showed as '_x000B_' (python-pptx's escape)
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = color
    _font_all(frame._txBody)  # noqa: SLF001 — python-pptx exposes no public txBody element


def _textbox(slide: Any, left: int, top: int, width: int, height: int, lines: Sequence[str],
             size: float, **kw: Any) -> Any:
    box = slide.shapes.add_textbox(left, top, width, height)
    _write(box.text_frame, lines, size, **kw)
    return box


def _ems(text: str, latin: float = 0.62) -> float:
    """Return the width of ``text`` in ems: a CJK character 1, any other ``latin`` (about 0.62
    in bold, 0.55 in regular type)."""
    return sum(1.0 if ord(ch) > 0x2E7F else latin for ch in text)


def fit_size(text: str, width: int, largest: float, smallest: float = 16) -> float:
    """Return the largest type size (pt) up to ``largest`` at which ``text`` fits ``width``
    (EMU) on one line, never below ``smallest``.

    >>> fit_size("评估结论", Inches(12), 28), fit_size("x" * 200, Inches(12), 28)
    (28, 16)
    """
    points = width / 12700  # EMU per point
    return max(smallest, min(largest, int(points / max(_ems(text), 1) * 0.9)))


def _title(slide: Any, step: Step) -> int:
    """Add the title and the step's lines (up to MAX_LINES, smaller type beyond two); return
    where the content below them starts (EMU)."""
    width = SLIDE_WIDTH - 2 * MARGIN
    _textbox(slide, MARGIN, Inches(0.3), width, Inches(0.8), [step.title],
             fit_size(step.title, width, TITLE_SIZE), bold=True, color=NAVY)
    if not step.lines:
        return int(Inches(1.2))
    lines = list(step.lines[:MAX_LINES])
    size = 15 if len(lines) <= 2 else 13
    height = int(sum(_wrapped_lines(x, width, size) for x in lines) * size * LINE_SPACING * 12700
                 + CELL_PADDING)
    _textbox(slide, MARGIN, Inches(1.1), width, height, lines, size)
    return max(int(CONTENT_TOP), int(Inches(1.1)) + height + int(Inches(0.1)))


def _chart(slide: Any, spec: Chart, left: int, top: int, width: int, height: int) -> None:
    """Add one native chart (clustered columns or lines with markers) with its legend."""
    data = CategoryChartData(number_format=spec.number_format)
    data.categories = list(spec.categories)
    for name, values in spec.series:
        data.add_series(name, list(values), number_format=spec.number_format)
    kind = XL_CHART_TYPE.LINE_MARKERS if spec.kind == "line" else XL_CHART_TYPE.COLUMN_CLUSTERED
    chart = slide.shapes.add_chart(kind, left, top, width, height, data).chart
    chart.has_title = True
    chart.chart_title.text_frame.text = spec.title
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(16)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.font.size = Pt(11)
    axis = chart.value_axis
    axis.has_major_gridlines = True
    axis.minimum_scale = 0  # from zero (the app's charts too): a flat trend from 0.35 looked steep
    axis.tick_labels.number_format = spec.number_format
    axis.tick_labels.number_format_is_linked = False
    _axis_title(axis, spec.axis_title)
    _axis_title(chart.category_axis, spec.category_title)
    colors = cycle([c for c in SERIES_COLORS if c != THRESHOLD_COLOR])  # the threshold's own
    for plot_series in chart.plots[0].series:
        threshold = plot_series.name == spec.threshold
        color = RGBColor.from_string(THRESHOLD_COLOR if threshold else next(colors))
        if spec.kind == "line":
            plot_series.format.line.color.rgb = color
            plot_series.smooth = False
            if threshold:  # its own style: dashed, no markers
                plot_series.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
                plot_series.marker.style = XL_MARKER_STYLE.NONE
        else:
            plot_series.format.fill.solid()
            plot_series.format.fill.fore_color.rgb = color
    if spec.kind == "bar":
        plot = chart.plots[0]
        plot.gap_width = 60  # wider bars
        plot.has_data_labels = True
        labels = plot.data_labels
        labels.number_format = spec.number_format
        labels.number_format_is_linked = False
        labels.font.size = Pt(9)
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
        # each label upright above its own bar: side by side they overlapped (0.543 / 0.500)
        body = labels._element.get_or_add_txPr().find(qn("a:bodyPr"))  # noqa: SLF001
        body.set("rot", "-5400000")
        body.set("vert", "horz")
    _font_all(chart._chartSpace)  # noqa: SLF001 — no public element of a chart's XML


def _axis_title(axis: Any, text: str) -> None:
    """Give an axis its title (none when ``text`` is empty)."""
    if not text:
        return
    axis.has_title = True
    frame = axis.axis_title.text_frame
    frame.text = text
    frame.paragraphs[0].runs[0].font.size = Pt(11)
    frame.paragraphs[0].runs[0].font.bold = False


def _wrapped_lines(text: str, width: int, size: float) -> int:
    """Return how many lines ``text`` takes in a cell ``width`` EMU wide at ``size`` pt,
    wrapped as a renderer does: a Chinese character may end a line anywhere, a Latin word
    only whole (unless it is longer than a line), so '1/29 个学校' may leave a line short.

    >>> w = Inches(1) + CELL_PADDING  # room for 7.2 ems at 10 pt
    >>> _wrapped_lines("长" * 7, w, 10), _wrapped_lines("长" * 5 + " window", w, 10)
    (1, 2)
    """
    room = max((width - CELL_PADDING) / 12700 / size, 1.0)  # ems per line
    total = 0
    for line in text.split("\n"):
        count, used = 1, 0.0
        for token in _TOKENS.findall(line):
            w = _ems(token, REGULAR)
            if token.isspace():
                used += w if used else 0.0
            elif used + w <= room:
                used += w
            elif w <= room:  # the word to the next line
                count, used = count + 1, w
            else:  # a word longer than a line: broken where the line ends
                extra = used + w - room
                count += math.ceil(extra / room)
                used = extra - (math.ceil(extra / room) - 1) * room
        total += count
    return total


def clip(text: str, width: int, size: float, lines: int) -> str:
    """Return ``text`` cut to the ``lines`` it may take in a cell ``width`` EMU wide at
    ``size`` pt, ending in '…' when cut (a name of 300 characters ran the table off the
    slide; the speaker notes and the report keep the whole text).

    >>> clip("短名", Inches(2), 10, 2), clip("长" * 300, Inches(2), 10, 2)[-3:]
    ('短名', '长长…')
    """
    room = max((width - CELL_PADDING) / 12700 / size * FILL, 1.0)  # ems per line
    out: list[str] = []
    left = lines
    for line in text.split("\n"):
        need = _wrapped_lines(line, width, size)
        if need <= left:
            out.append(line)
            left -= need
            continue
        budget, cut = left * room - 1.0, ""
        for ch in line:
            budget -= _ems(ch, REGULAR)
            if budget < 0:
                break
            cut += ch
        out.append(cut + "…")
        break
    return "\n".join(out)


def _grid(slide: Any, grid: Grid, top: int) -> int:
    """Add a table (header row shaded), its columns sized by their longest text and each row
    as tall as its wrapped text (a renderer may not grow a row by itself); return its bottom
    (EMU)."""
    rows, cols = len(grid.rows) + 1, len(grid.columns)
    width = SLIDE_WIDTH - 2 * MARGIN
    table = slide.shapes.add_table(rows, cols, MARGIN, top, width, Inches(0.4) * rows).table
    longest = [max([10, _ems(grid.columns[c])] + [_ems(x) for r in grid.rows for x in r[c].split("\n")]) + 2
               for c in range(cols)]
    total = sum(min(x, 60) for x in longest)
    widths = [int(width * min(longest[c], 60) / total) for c in range(cols)]
    for c in range(cols):
        table.columns[c].width = Emu(widths[c])  # type: ignore[assignment]

    def cells(size: float, most: int) -> list[list[str]]:  # every text, a long one cut
        return [list(grid.columns), *([clip(v, widths[c], size, most)
                                       for c, v in enumerate(r)] for r in grid.rows)]

    def heights(size: float, most: int = MAX_CELL_LINES) -> list[int]:
        return [int(max(_wrapped_lines(v, widths[c], size) for c, v in enumerate(values))
                    * size * LINE_SPACING * 12700 + CELL_PADDING) for values in cells(size, most)]

    room = int(CONTENT_BOTTOM - Inches(0.5)) - top  # the line under it says what was left out
    # the largest type at which the table fits the slide (10 pt at the least), cutting a long
    # cell to fewer lines only when 10 pt does not fit
    size, most = next(((s, n) for n in (MAX_CELL_LINES, 4, 2) for s in (13, 12, 11, 10)
                       if sum(heights(s, n)) <= room), (10, 2))
    bottom = top
    for r, height in enumerate(heights(size, most)):
        table.rows[r].height = Emu(height)  # type: ignore[assignment]
        bottom += height
    for r, values in enumerate(cells(size, most)):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = HEADER_FILL if r == 0 else RGBColor(0xFF, 0xFF, 0xFF)
            cell.text_frame.text = ""
            _write(cell.text_frame, value.split("\n"), size, bold=r == 0,
                   color=NAVY if r == 0 else GREY)
    return bottom


def _picture(slide: Any, image: bytes, top: int) -> None:
    """Add the image as large as the content area allows, centred, its aspect kept."""
    w, h = png_size(image)
    box_w, box_h = SLIDE_WIDTH - 2 * MARGIN, CONTENT_BOTTOM - top
    scale = min(box_w / w, box_h / h)
    width, height = int(w * scale), int(h * scale)
    slide.shapes.add_picture(io.BytesIO(image), int((SLIDE_WIDTH - width) / 2), top, width, height)


def png_size(image: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG from its IHDR chunk.

    >>> png_size(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(4) + b"IHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big"))
    (640, 480)
    """
    if image[:8] != b"\x89PNG\r\n\x1a\n" or image[12:16] != b"IHDR":
        raise ValueError("the map image is not a PNG")
    return int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")


def _notes(slide: Any, notes: Sequence[str]) -> None:
    frame = slide.notes_slide.notes_text_frame
    frame.text = ""
    _write(frame, list(notes) or [""], 12)


def _title_slide(slide: Any, step: Step) -> None:
    """The title (the largest size at which it takes two lines, else cut to three) and the
    lines under it, placed below however many lines the title takes (a long county name ran
    the title over the snapshot line)."""
    width = SLIDE_WIDTH - 2 * MARGIN
    size = next((s for s in TITLE_SLIDE_SIZES
                 if _wrapped_lines(step.title, width, s / REGULAR * 0.62) <= 2),
                TITLE_SLIDE_SIZES[-1])
    title = clip(step.title, width, size / REGULAR * 0.62, 3)  # bold: wider than regular
    height = int(_wrapped_lines(title, width, size / REGULAR * 0.62) * size * LINE_SPACING
                 * 12700 + CELL_PADDING)
    _textbox(slide, MARGIN, Inches(2.4), width, height, [title], size, bold=True, color=NAVY,
             align=PP_ALIGN.CENTER)
    _textbox(slide, MARGIN, int(Inches(2.6)) + height, width, Inches(1.0),
             [clip(x, width, 18, 2) for x in step.lines], 18, align=PP_ALIGN.CENTER)


def _content(slide: Any, step: Step) -> None:
    top = _title(slide, step)
    if step.charts:
        n = len(step.charts)
        gap = Inches(0.3)
        width = int((SLIDE_WIDTH - 2 * MARGIN - gap * (n - 1)) / n)
        for k, spec in enumerate(step.charts):
            _chart(slide, spec, MARGIN + k * (width + gap), top, width, CONTENT_BOTTOM - top)
    elif step.image is not None:
        _picture(slide, step.image, top)
    if step.bullets or step.after_bullets:  # numbered: a bullet sign takes the font of its text
        height = Inches(1.6) if step.grid is not None else CONTENT_BOTTOM - top
        points = [f"{k}. {x}" for k, x in enumerate(step.bullets, start=1)]
        _textbox(slide, MARGIN, top, SLIDE_WIDTH - 2 * MARGIN, height,
                 points + ([step.after_bullets] if step.after_bullets else []),
                 16 if step.grid is None else 13)
        top += height
    if step.grid is not None and not step.charts and step.image is None:
        bottom = _grid(slide, step.grid, top)
        if step.after_grid:  # the rows left out, said on the slide (the notes name them)
            _textbox(slide, MARGIN, bottom + int(Inches(0.1)), SLIDE_WIDTH - 2 * MARGIN,
                     int(Inches(0.4)), [step.after_grid], 12)


def build_deck(m: Material) -> bytes:
    """Return the deck of ``m`` as PPTX bytes."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    for step in steps(m):
        slide = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
        if step.key == "title":
            _title_slide(slide, step)
        else:
            _content(slide, step)
        _notes(slide, step.notes)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
