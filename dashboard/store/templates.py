"""Fill-in templates: one XLSX workbook per table of the contract (schools, teachers, county,
and the optional class and room rows).

Each workbook opens on its data sheet (the sheet the import reads first): the contract's headers
in the user's language, frozen, with a drop-down for every enumeration, whole-number and decimal
checks with the contract's bounds, number formats, and text format for identifiers (a school
id keeps its leading zeros).  Then an instructions sheet (per column: header, field, type,
unit, whether it must be present and filled, the rule, where the figure comes from), a sheet of
example rows taken from the demo county, and the code list behind the drop-downs.

The columns and rules come from the contract's declaration (``contract_<table>.csv``); units
and sources from ``template_notes.csv`` beside it; every other text from the catalogue.  The
example rows, copied into the data sheet, import without a single error (tests/test_templates.py).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from dashboard.i18n import t
from dashboard.store.contract.spec import Spec, Table, enums, fmt_number, header_map, specs

__all__ = ["TEMPLATE_FILES", "template_workbook", "filled_template", "write_templates"]

_DATA_DIR: Final = Path(__file__).resolve().parent / "data"
TEMPLATE_FILES: Final[dict[Table, str]] = {
    "schools": "schools", "teachers": "teachers", "county": "county_items",
    "classes": "classes", "rooms": "rooms"}  # the last two optional (contract.facts)
_ROWS: Final = 2000  # rows of the data sheet that carry the checks and formats


@dataclass(frozen=True)
class _Note:
    unit: tuple[str, str]  # zh, en
    source: tuple[str, str]


@lru_cache(maxsize=1)
def _notes() -> dict[str, _Note]:
    """Return the units and sources of template_notes.csv by name (``table.name`` overrides)."""
    text = (_DATA_DIR / "template_notes.csv").read_text(encoding="utf-8")
    return {r["name"]: _Note((r["unit_zh"], r["unit_en"]), (r["source_zh"], r["source_en"]))
            for r in csv.DictReader(io.StringIO(text))}


def _note(table: Table, name: str) -> _Note | None:
    notes = _notes()
    for stage in ("primary", "junior"):
        if name.endswith("_" + stage) and name[: -len(stage) - 1] + "_{s}" in notes:
            return notes[name[: -len(stage) - 1] + "_{s}"]
    return notes.get(f"{table}.{name}") or notes.get(name)


def _choices(spec: Spec, lang: str) -> list[str]:
    """Return what the drop-down offers: Chinese labels of text enumerations in Chinese (the
    import takes code or Chinese label), codes otherwise; 是/否 or yes/no for booleans."""
    if spec.dtype == "bool":
        return [t("template.yes", lang), t("template.no", lang)]
    assert spec.enum is not None
    codes = enums()[spec.enum]
    as_label = lang == "zh" and spec.enum != "county_item" and not all(c.isdigit() for c in codes)
    return [labels[0] if as_label else code for code, labels in codes.items()]


def _rule_text(spec: Spec, headers: dict[str, str], lang: str) -> str:
    """Return the column's rule in words, from its declaration."""
    parts: list[str] = []
    if spec.enum is not None:
        codes = enums()[spec.enum]
        pick = 0 if lang == "zh" else 1
        parts.append(t("template.rule.enum", lang, values=t("template.rule.join", lang).join(
            t("template.rule.choice", lang, code=code, label=labels[pick])
            for code, labels in codes.items())))
    if spec.dtype == "bool":
        parts.append(t("template.rule.bool", lang))
    if spec.min is not None:
        parts.append(t("template.rule.min", lang, min=fmt_number(spec.min)))
    if spec.max is not None:
        parts.append(t("template.rule.max", lang, max=fmt_number(spec.max)))
    if spec.digits is not None:
        parts.append(t("template.rule.digits", lang, digits=spec.digits))
    if spec.le:
        parts.append(t("template.rule.le", lang, columns=" + ".join(headers[c] for c in spec.le)))
    if spec.unique_within is not None:
        scope = " + ".join(headers[c] for c in spec.unique_within)
        parts.append(t("template.rule.unique_within", lang, columns=scope) if scope
                     else t("template.rule.unique", lang))
    for key, cond in (("required_when", spec.required_when), ("only_when", spec.only_when)):
        if cond is not None:
            labels = enums().get(cond.column, {})
            values = " / ".join(labels.get(v, (v, v))[0 if lang == "zh" else 1] for v in cond.values)
            parts.append(t(f"template.rule.{key}", lang, column=headers[cond.column], values=values))
    return t("template.rule.join", lang).join(parts)


def _instruction_rows(table: Table, lang: str) -> list[list[str]]:
    headers = header_map(table, lang)
    pick = 0 if lang == "zh" else 1
    rows = []
    for s in specs(table):
        note = _note(table, s.name)
        rows.append([
            headers[s.name], s.name, t(f"template.dtype.{s.dtype}", lang),
            note.unit[pick] if note else "—",
            t("template.yes" if s.required else "template.no", lang),
            t("template.yes" if s.nullable else "template.no", lang),
            _rule_text(s, header_map(table, lang), lang),
            note.source[pick] if note else "",
        ])
    return rows


@lru_cache(maxsize=1)
def _demo_latest() -> dict[str, pd.DataFrame]:
    """Return the demo county's tables of its latest year (built once; never changed)."""
    from dashboard.store.demo import build_demo
    from dashboard.store.demo.classrooms import class_rows, room_rows

    demo = build_demo()
    year = max(demo.schools)
    schools = demo.schools[year]
    return {"schools": schools, "teachers": demo.teachers[year],
            "county": demo.county[year], "classes": class_rows(schools, 2),
            "rooms": room_rows(schools, 3)}


def _examples(table: Table, lang: str) -> pd.DataFrame:
    """Return a few rows of the demo county's latest year in the template's headers and cell
    texts: a school of each type (a teaching point with its school), or the first rows."""
    frame = _demo_latest()[table]
    if table == "schools":
        point = frame[frame["school_type"] == "teaching_point"].head(1)
        parent = frame[frame["school_id"].isin(point["parent_school_id"])]
        others = frame.drop_duplicates("school_type")
        frame = pd.concat([others[others["school_type"] != "teaching_point"], parent, point])
        frame = frame.drop_duplicates("school_id")
    else:
        frame = frame.head(6)
    return _as_cells(table, frame, lang)


def _as_cells(table: Table, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return a table in canonical form as the template's user writes it: its headers, 是/否
    and, in Chinese, the Chinese labels of text enumerations."""
    out = frame.loc[:, [s.name for s in specs(table) if s.name in frame.columns]].copy()
    for s in specs(table):
        if s.name not in out.columns:
            continue
        if s.dtype == "bool":
            out[s.name] = [t("template.yes" if v else "template.no", lang) for v in out[s.name]]
        elif s.enum is not None and lang == "zh" and s.enum != "county_item":
            codes = enums()[s.enum]
            if not all(c.isdigit() for c in codes):
                out[s.name] = [codes[str(v)][0] if pd.notna(v) else None for v in out[s.name]]
    return out.rename(columns=header_map(table, lang)).reset_index(drop=True)


class _Book:
    """The formats of one workbook."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.header = book.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                       "bg_color": "#DCE6F1", "border": 1})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.by_dtype = {"str": book.add_format({"num_format": "@"}),
                         "enum": book.add_format({"num_format": "@"}),
                         "bool": book.add_format({"num_format": "@"}),
                         "int": book.add_format({"num_format": "0"}),
                         "float": book.add_format({"num_format": "0.00"})}


def _validation(spec: Spec, lists: dict[str, str], lang: str) -> dict[str, Any] | None:
    """Return the data validation of a column: a drop-down, or a number check with bounds."""
    message = {"error_title": t("template.invalid.title", lang),
               "error_message": t("template.invalid.body", lang)}
    if spec.name in lists:
        return {"validate": "list", "source": lists[spec.name], **message}
    if spec.dtype in ("int", "float"):
        kind = "integer" if spec.dtype == "int" else "decimal"
        low = spec.min if spec.min is not None else -1e15
        high = spec.max if spec.max is not None else 1e15
        return {"validate": kind, "criteria": "between", "minimum": low, "maximum": high, **message}
    return None


def _data_sheet(b: _Book, table: Table, lang: str, lists: dict[str, str]) -> Any:
    sheet = b.book.add_worksheet(t(f"template.sheet.{table}", lang))
    headers = header_map(table, lang)
    for col, s in enumerate(specs(table)):
        width = max(10, min(32, len(headers[s.name]) * (2 if lang == "zh" else 1) + 2))
        sheet.set_column(col, col, width, b.by_dtype[s.dtype])
        sheet.write_string(0, col, headers[s.name], b.header)
        rule = _validation(s, lists, lang)
        if rule is not None:
            sheet.data_validation(1, col, _ROWS, col, rule)
    sheet.set_row(0, 48)
    sheet.freeze_panes(1, 0)
    _printable(sheet, 0)
    return sheet


def _printable(sheet: Any, header_row: int, *, fit: bool = False) -> None:
    """Print in landscape with the header row on every page; ``fit``: as wide as one page
    (the instructions were cut into 3–4 pages of partial columns, unreadable on paper)."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.repeat_rows(header_row)
    if fit:
        sheet.fit_to_pages(1, 0)


def _instructions_sheet(b: _Book, table: Table, lang: str) -> None:
    sheet = b.book.add_worksheet(t("template.sheet.instructions", lang))
    sheet.write_string(0, 0, t(f"template.title.{table}", lang), b.title)
    widths = (30, 28, 8, 8, 8, 8, 48, 56)
    intro = t(f"template.intro.{table}", lang).split("\n")
    for k, line in enumerate(intro, start=1):
        # one paragraph across the table's width, as many lines high as it needs
        units = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        sheet.merge_range(k, 0, k, len(widths) - 1, line, b.wrap)
        sheet.set_row(k, 16 * (units // (sum(widths) - 10) + 1))
    top = len(intro) + 2
    heads = [t(f"template.col.{c}", lang) for c in
             ("header", "field", "dtype", "unit", "required", "nullable", "rule", "source")]
    for col, (head, width) in enumerate(zip(heads, widths, strict=True)):
        sheet.set_column(col, col, width, b.wrap)
        sheet.write_string(top, col, head, b.header)
    for r, row in enumerate(_instruction_rows(table, lang), start=top + 1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, value)
    sheet.freeze_panes(top + 1, 0)
    _printable(sheet, top, fit=True)


def _write_rows(sheet: Any, frame: pd.DataFrame, header: Any = None) -> None:
    """Write ``frame`` (template headers and cells) from the first row: numbers as numbers,
    every text as a string (never a formula); the header row too unless ``header`` is False."""
    for col, name in enumerate(frame.columns):
        if header is not False:
            sheet.write_string(0, col, str(name), header)
        for r, value in enumerate(frame[name], start=1):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(r, col, float(value))
            else:
                sheet.write_string(r, col, str(value))  # never a formula, whatever it starts with


def _examples_sheet(b: _Book, table: Table, lang: str) -> None:
    sheet = b.book.add_worksheet(t("template.sheet.examples", lang))
    frame = _examples(table, lang)
    sheet.set_column(0, len(frame.columns) - 1, 16)
    _write_rows(sheet, frame, b.header)
    sheet.freeze_panes(1, 0)


def _code_columns(table: Table) -> list[tuple[int, Spec]]:
    """Return (first column on the code list, spec) of every column with a drop-down."""
    listed = [s for s in specs(table) if s.enum is not None or s.dtype == "bool"]
    return [(3 * k, s) for k, s in enumerate(listed)]


def _code_ranges(table: Table, lang: str) -> dict[str, str]:
    """Return column name -> the code-list range its drop-down offers."""
    name = t("template.sheet.codes", lang)
    return {s.name: f"='{name}'!${xl_col_to_name(col)}$2:${xl_col_to_name(col)}"
                    f"${len(_choices(s, lang)) + 1}"
            for col, s in _code_columns(table)}


def _codes_sheet(b: _Book, table: Table, lang: str) -> None:
    """Write the code list: per column with a drop-down, its choices and what they mean."""
    sheet = b.book.add_worksheet(t("template.sheet.codes", lang))
    pick = 0 if lang == "zh" else 1
    for col, s in _code_columns(table):
        sheet.set_column(col, col + 1, 24)
        sheet.write_string(0, col, header_map(table, lang)[s.name], b.header)
        sheet.write_string(0, col + 1, t("template.col.meaning", lang), b.header)
        codes = enums()[s.enum] if s.enum is not None else {}
        by_label = {labels[0]: code for code, labels in codes.items()}
        for r, choice in enumerate(_choices(s, lang), start=1):
            sheet.write_string(r, col, choice)  # a code's meaning, or a label's code
            meaning = codes[choice][pick] if choice in codes else by_label.get(choice, "")
            sheet.write_string(r, col + 1, meaning)
    _printable(sheet, 0, fit=True)


@lru_cache(maxsize=2 * len(TEMPLATE_FILES))
def template_workbook(table: Table, lang: str) -> bytes:
    """Return the XLSX template of ``table`` in ``lang`` ("zh" or "en") as bytes (made once
    per process: the contract and the demo do not change while it runs)."""
    return filled_template(table, None, lang)


def filled_template(table: Table, frame: pd.DataFrame | None, lang: str) -> bytes:
    """Return the template of ``table`` with the rows of ``frame`` (canonical form, e.g. a
    snapshot's table) in its data sheet, as a county's user would have filled it; empty when
    ``frame`` is None.  Imported again it gives the same table (tests/test_templates.py)."""
    if table not in TEMPLATE_FILES:
        raise ValueError(f"unknown table {table!r}; known: {tuple(TEMPLATE_FILES)}")
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    b = _Book(book)
    # The data sheet comes first: the import reads the first sheet.
    data = _data_sheet(b, table, lang, _code_ranges(table, lang))
    if frame is not None:
        _write_rows(data, _as_cells(table, frame, lang), header=False)
    _instructions_sheet(b, table, lang)
    _examples_sheet(b, table, lang)
    _codes_sheet(b, table, lang)
    book.close()
    return buf.getvalue()


def write_templates(out_dir: str | Path, lang: str) -> list[Path]:
    """Write the templates (one per table) into ``out_dir`` (created if missing); refuse to overwrite.

    Raises FileExistsError naming the first file that exists; nothing is written then.
    """
    out = Path(out_dir)
    suffix = "" if lang == "zh" else "-en"
    paths = {table: out / f"junheng-template-{stem}{suffix}.xlsx"
             for table, stem in TEMPLATE_FILES.items()}
    for path in paths.values():
        if path.exists():
            raise FileExistsError(str(path))
    books = {table: template_workbook(table, lang) for table in paths}
    out.mkdir(parents=True, exist_ok=True)
    for table, path in paths.items():
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(books[table])
        tmp.replace(path)
    return list(paths.values())
