"""The self-assessment report as one self-contained HTML page (print stylesheet, A4, table
headers repeated, rows never split), printed to PDF by :mod:`dashboard.ui.present.pdf`.

Every text is escaped (no user string becomes markup); nothing is fetched: no link, script or
web font, the CJK font is the system's (fonts-noto-cjk).  No Streamlit.
"""

from __future__ import annotations

from html import escape
from typing import Final

from dashboard.ui.present.fonts import CSS_FAMILY
from dashboard.ui.present.model import Material
from dashboard.ui.present.report import Block, report_blocks
from dashboard.ui.present.tables import MARKS, Cell, OfficialTable
from dashboard.ui.present.word import column_widths

__all__ = ["report_html", "REPORT_CSS"]

EMU_PER_MM: Final = 36000
NARROW_MM: Final = 180  # the text width of a portrait A4 page (margins 15 mm)
WIDE_MM: Final = 273  # ... and of a landscape one (margins 12 mm)

REPORT_CSS: Final = ("""
@page { size: A4; margin: 18mm 15mm; }
@page wide { size: A4 landscape; margin: 15mm 12mm; }
html { font-family: FAMILY; font-size: 10.5pt; color: #263238; }
body { margin: 0; }
h1.title { font-size: 20pt; color: #1f3a5f; margin: 0 0 4pt; }
p.subtitle { color: #555f6b; margin: 0 0 14pt; }
h1 { font-size: 15pt; color: #1f3a5f; margin: 16pt 0 6pt; break-after: avoid; }
h2 { font-size: 12pt; color: #1f3a5f; margin: 12pt 0 4pt; break-after: avoid; }
p { margin: 0 0 6pt; line-height: 1.5; }
p.editable { color: #a03030; font-style: italic; border-left: 3pt solid #a03030;
             padding-left: 6pt; }
section.wide { page: wide; }
figure { margin: 6pt 0 10pt; }
figcaption { font-weight: bold; color: #1f3a5f; margin-bottom: 3pt; break-after: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; table-layout: fixed; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #90a4ae; padding: 2pt 3pt; vertical-align: top; text-align: left;
         overflow-wrap: anywhere; }
th { background: #dce6f0; }
p.note { font-size: 8.5pt; color: #555f6b; margin-top: 2pt; }
p.footer { font-size: 9pt; margin-top: 4pt; white-space: pre-wrap; }
td.total { font-weight: bold; background: #eef2f6; }
td.fail { background: #90a4ae; }
""").replace("FAMILY", CSS_FAMILY)


def _td(cell: Cell) -> str:
    """A cell; a summary row's or a value under its standard with its class (tables.MARKS)."""
    mark = f' class="{cell.mark}"' if cell.mark in MARKS and cell.mark else ""
    return f"<td{mark}>{escape(cell.text)}</td>"


def _table(table: OfficialTable, wide: bool) -> str:
    """A table whose columns are sized as the DOCX's (word.column_widths: a status or a
    school name on one line, the long texts sharing the rest)."""
    width = (WIDE_MM if wide else NARROW_MM) * EMU_PER_MM
    widths = column_widths(table.columns, [[c.text for c in r] for r in table.rows], width)
    cols = "".join(f'<col style="width:{100 * w / width:.2f}%">' for w in widths)
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in table.rows)
    return (f"<figure><figcaption>{escape(table.title)}</figcaption><table>"
            f"<colgroup>{cols}</colgroup><thead><tr>{head}"
            f"</tr></thead><tbody>{body}</tbody></table>"
            f'<p class="note">{escape(table.note)}</p>'
            + (f'<p class="footer">{escape(table.footer)}</p>' if table.footer else "")
            + "</figure>")


def _block(block: Block, wide: bool = False) -> str:
    text = escape(block.text)
    if block.kind == "title":
        return f'<h1 class="title">{text}</h1>'
    if block.kind == "subtitle":
        return f'<p class="subtitle">{text}</p>'
    if block.kind in ("h1", "h2"):
        return f"<{block.kind}>{text}</{block.kind}>"
    if block.kind == "table" and block.table is not None:
        return _table(block.table, wide)
    if block.kind == "editable":
        return f'<p class="editable">{text}</p>'
    return "" if block.kind == "toc" else f"<p>{text}</p>"  # a PDF has no fields to update


def report_html(m: Material) -> str:
    """Return the report of ``m`` as a complete HTML document (UTF-8)."""
    parts: list[str] = []
    wide = False
    for block in report_blocks(m):
        if block.kind in ("h1", "h2") and block.wide != wide:
            parts.append('<section class="wide">' if block.wide else "</section>")
            wide = block.wide
        parts.append(_block(block, wide))
    if wide:
        parts.append("</section>")
    lang = "zh-CN" if m.lang == "zh" else "en"
    title = escape(next(b.text for b in report_blocks(m) if b.kind == "title"))
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}'
            f"</title><style>{REPORT_CSS}</style></head><body>{''.join(parts)}</body></html>")
