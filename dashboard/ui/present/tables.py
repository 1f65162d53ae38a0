"""The official tables of a county's self-assessment (自评报告): one definition, laid out by the
DOCX, the HTML/PDF and the XLSX writers alike.

Each cell carries its text as every page shows it (dashboard.ui.format: CVs to the standards'
decimals, 师生比 as '1 : n', money in 万元) and, where it is a number, the number and an Excel
number format, so the workbook keeps numbers as numbers.  No Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from dashboard.i18n import t
from dashboard.method.standards import INDICATORS, SCHEMES, scheme_ids
from dashboard.ui.checklist import scope_text
from dashboard.ui.evaluation import indicator_rows, school_rule_size
from dashboard.ui.format import (
    DASH,
    cv_decimals,
    failing_names,
    fmt_cv,
    fmt_number,
    fmt_value,
    indicator_label,
    is_missing,
    is_ratio,
)
from dashboard.ui.present.counts import in_table_order
from dashboard.ui.present.counts import scope_text as scheme_scope
from dashboard.ui.present.model import Material, facts_scheme, sentences, stage_facts

__all__ = ["Cell", "MARKS", "OfficialTable", "official_tables", "facts_table", "cv_table",
           "school_table", "county_table", "verdict_table", "cv_format", "TABLE_KEYS"]

NBSP = "\u00a0"  # '1 : 17.7' stays on one line
# The decimals the national 校际差异系数表 (S7 吉林, S9 重庆; docs/outputs.md §3) print a county
# mean (全县平均值) with where they differ from the pages': books to 2, the three teachers-per-
# pupil indicators as a decimal to 3 (师生比 0.054, not 1 : 18.5).
FORM_MEAN_DECIMALS = {"B5": 2, "B6": 3, "B7": 3, "B8": 3}
MARKS = ("", "total", "fail")
TABLE_KEYS = ("facts", "cv_basic", "cv_quality", "schools_basic", "schools_quality", "county",
              "verdicts")


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, and the number with its Excel format when it is one."""

    text: str
    number: float | None = None
    fmt: str | None = None
    # MARKS: '' plain; 'total' a 全县平均值/差异系数 row (bold); 'fail' a value below its standard,
    # on a dark background as the 申报表's 填报说明 asks of 表Ⅱ-2
    mark: str = ""


@dataclass(frozen=True)
class OfficialTable:
    """An official table: key (its sheet), title, a note (units, source), columns and rows."""

    key: str
    title: str
    note: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...] = field(default=())
    number: int = 0  # 表1, 表2, … (its sheet's name)
    footer: str = ""  # the forms' 填报单位 / 填报人 / 填报日期 line under the table


def cv_format() -> str:
    """Return the Excel number format of a CV (the standards' decimals), e.g. '0.000'."""
    return "0." + "0" * cv_decimals()


def _num_format(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _cv_cell(value: object) -> Cell:
    if is_missing(value):
        return Cell(DASH)
    return Cell(fmt_cv(value), float(value), cv_format())  # type: ignore[arg-type]


def _value_cell(value: object, indicator: str, lang: str) -> Cell:
    """An indicator value: 师生比 as '1 : n' (the number n, format '"1 : "0.0')."""
    if is_missing(value):
        return Cell(DASH)
    text = fmt_value(value, indicator, lang, unit=False)
    if is_ratio(indicator):
        per_pupil = float(value)  # type: ignore[arg-type]
        return Cell(text.replace(" ", NBSP), 1.0 / per_pupil if per_pupil > 0 else None,
                    '"1 : "0.0')
    decimals = INDICATORS[indicator].decimals
    return Cell(text, float(value), _num_format(decimals))  # type: ignore[arg-type]


def _form_mean_cell(value: object, indicator: str, lang: str) -> Cell:
    """A county mean as the 校际差异系数表 prints it (FORM_MEAN_DECIMALS); 师生比 as the form's
    decimal followed by the pages' '1 : n'."""
    if indicator not in FORM_MEAN_DECIMALS or is_missing(value):
        return _value_cell(value, indicator, lang)
    decimals = FORM_MEAN_DECIMALS[indicator]
    text = fmt_number(value, decimals)
    if is_ratio(indicator):
        text = t("forms.ratio_both", lang, value=text,
                 ratio=fmt_value(value, indicator, lang, unit=False).replace(" ", NBSP))
    return Cell(text, float(value), _num_format(decimals))  # type: ignore[arg-type]


def form_unit(indicator: str, lang: str) -> str:
    """Return the unit the official forms write in an indicator's header ('平方米', '元', '台',
    '册', '人', '间'; '' for 师生比, which the forms print without one)."""
    return t(f"forms.unit.{indicator}", lang)


def form_header(indicator: str, lang: str) -> str:
    """Return a column header as the forms write it: the indicator's full name and its unit,
    e.g. '生均教学及辅助用房面积（平方米）'; in English the short name ('Teaching floor area
    (m²)'): the full English names would take the width of the table's texts."""
    name = indicator_label(indicator, lang, short=lang != "zh")
    unit = form_unit(indicator, lang)
    return t("app.fig.value_axis", lang, name=name, unit=unit) if unit else name


def _count(value: float) -> Cell:
    return Cell(fmt_number(value, 0), float(value), "#,##0")


def _status(status: str, lang: str) -> Cell:
    return Cell(t(f"status.{status}", lang))


def facts_table(m: Material, number: int) -> OfficialTable:
    """Table of basic facts: per stage the school units, pupils, classes and teachers."""
    lang = m.lang
    facts = stage_facts(m)
    keys = ("units", "students", "classes", "teachers")
    rows = [(Cell(t(f"stage.{f['stage']}", lang)), *(_count(f[k]) for k in keys))  # type: ignore[arg-type]
            for f in facts]
    if len(facts) > 1:  # the forms' 合计 row (units: school × stage, as the note says)
        rows.append((Cell(t("forms.row.total", lang), mark="total"),
                     *(replace(_count(sum(f[k] for f in facts)), mark="total")  # type: ignore[misc]
                       for k in keys)))
    cols = tuple(t(f"present.table.facts.col.{c}", lang)
                 for c in ("stage", "units", "students", "classes", "teachers"))
    note = _join(lang, (t("present.table.facts.note", lang, year=m.year,
                          scheme=t(f"scheme.{facts_scheme(m)}", lang)), t("forms.facts.note", lang)))
    return OfficialTable("facts", t("present.table.facts.title", lang, n=number), note, cols,
                         tuple(rows))


def cv_table(m: Material, scheme: str, number: int) -> OfficialTable:
    """Table of the coefficients: per stage and indicator the county mean (its unit), the CV
    (差异系数), the threshold and the verdict; for 基本均衡 the composite row carries the
    threshold (docs/method.md §1)."""
    lang = m.lang
    rows: list[tuple[Cell, ...]] = []
    for stage in m.stages(scheme):
        ind = indicator_rows(m.evaluation, m.county_code, m.year, stage, scheme, lang)
        stage_cell = Cell(t(f"stage.{stage}", lang))
        for r in ind.itertuples(index=False):
            quality = scheme == "quality"
            rows.append((stage_cell, Cell(indicator_label(r.indicator, lang, short=False)),
                         Cell(form_unit(r.indicator, lang) or DASH),
                         _form_mean_cell(r.mean, r.indicator, lang), _cv_cell(r.cv),
                         _cv_cell(r.threshold) if quality else Cell(DASH),
                         _status(str(r.status), lang) if quality else Cell(DASH)))
        if scheme == "basic" and not ind.empty:
            comp = m.evaluation.composites
            c = comp[(comp["county_code"].astype(str) == m.county_code) & (comp["year"] == m.year)
                     & (comp["stage"] == stage)]
            if len(c):
                row = c.iloc[0]
                status = str(ind["status"].iloc[0])
                rows.append((stage_cell, Cell(t("app.fig.composite", lang)), Cell(DASH), Cell(DASH),
                             _cv_cell(row["composite_cv"]), _cv_cell(row["threshold"]),
                             _status(status, lang)))
    cols = tuple(t(f"present.table.cv.col.{c}", lang)
                 for c in ("stage", "indicator", "unit", "mean", "cv", "threshold", "status"))
    note = _join(lang, (t(f"present.table.cv.note.{scheme}", lang, dp=cv_decimals()),
                     t("forms.cv.note", lang), _scope_note(m, scheme)))
    return OfficialTable(f"cv_{scheme}", t(f"present.table.cv.title.{scheme}", lang, n=number),
                         note, cols, tuple(rows))


def _join(lang: str, sentences_: tuple[str, ...]) -> str:
    """Return sentences run together: with a space in English, without one in Chinese."""
    return ("" if lang == "zh" else " ").join(x for x in sentences_ if x)


def _scope_note(m: Material, scheme: str) -> str:
    """The 口径 of a table of ``scheme``: the schools it takes in, teaching points merged or
    left out, private and non-county-run schools, 一贯制 schools at both stages."""
    return t("forms.scope", m.lang, scope=scheme_scope(m, scheme).strip())


def _summary_rows(m: Material, scheme: str, stage: str, width: int) -> list[tuple[Cell, ...]]:
    """The 全县平均值 and 差异系数 rows the forms put under a stage's schools: the engine's
    county mean and CV of each indicator (the same figures as the coefficients table)."""
    lang = m.lang
    ind = indicator_rows(m.evaluation, m.county_code, m.year, stage, scheme, lang)
    by_id = {str(r.indicator): r for r in ind.itertuples(index=False)}
    ids = scheme_ids(scheme)
    means = tuple(_value_cell(by_id[i].mean, i, lang) if i in by_id else Cell(DASH) for i in ids)
    cvs = tuple(_cv_cell(by_id[i].cv) if i in by_id else Cell(DASH) for i in ids)
    stage_cell = Cell(t(f"stage.{stage}", lang))
    pad = (Cell(DASH),) * (width - 2 - len(ids))
    rows = [(Cell(t("forms.row.mean", lang)), stage_cell, *means, *pad),
            (Cell(t("forms.row.cv", lang)), stage_cell, *cvs, *pad)]
    return [tuple(replace(c, mark="total") for c in row) for row in rows]


def school_table(m: Material, scheme: str, number: int) -> OfficialTable:
    """Table of the schools as the forms lay them out (表Ⅱ-2): 小学 first, then 初中; per unit
    the indicator values, the school-rule status (``school_status``: pass, fail, approximated,
    missing; an approximated unit is never shown as a pass) with the items it fails and the
    items judged only on an approximation; within a stage failing units first, then
    approximated, missing and passing, each by name; under each stage's units its 全县平均值
    and 差异系数 rows (the engine's, as in the coefficients table)."""
    lang = m.lang
    ids = list(scheme_ids(scheme))
    approximated = "approximated" in m.units(scheme)
    failing = ("present2.table.schools.col.failing.basic" if scheme == "basic"
               else "present.table.schools.col.failing")
    cols = (t("present.table.schools.col.school", lang), t("present.table.schools.col.stage", lang),
            *(form_header(i, lang) for i in ids), t("present.table.schools.col.status", lang),
            t(failing, lang),
            *((t("present2.table.schools.col.approximated", lang),) if approximated else ()))
    rows: list[tuple[Cell, ...]] = []
    marked = False
    for stage in m.stages(scheme):
        units = in_table_order(m.units(scheme, stage))
        for u in units.itertuples(index=False):
            below = set(u.failing)  # the items under their standard: marked (表Ⅱ-2)
            values = tuple(replace(_value_cell(getattr(u, i), i, lang),
                                   mark="fail" if i in below else "") for i in ids)
            marked = marked or bool(below & set(ids))
            extra = ((Cell(failing_names(u.approximated, scheme, lang) or DASH),)
                     if approximated else ())
            rows.append((Cell(str(u.school_name)), Cell(t(f"stage.{u.stage}", lang)), *values,
                         _status(str(u.status_), lang),
                         Cell(failing_names(u.failing, scheme, lang) or DASH), *extra))
        rows += _summary_rows(m, scheme, stage, len(cols))
    note = _join(lang, (t(f"present2.table.schools.note.{scheme}", lang, n=school_rule_size(scheme)),
                     t("forms.schools.note", lang),
                     t("forms.schools.marked", lang) if marked else "", _scope_note(m, scheme)))
    return OfficialTable(f"schools_{scheme}",
                         t(f"present.table.schools.title.{scheme}", lang, n=number), note, cols,
                         tuple(rows))


def county_table(m: Material, number: int) -> OfficialTable:
    """Table of the county items (government, quality, satisfaction, vetoes, prerequisite):
    value, target, verdict and evidence."""
    lang = m.lang
    rows = [(Cell(t(f"scheme.{i.scheme}", lang)), Cell(t(f"app.check.group.{i.group}", lang)),
             Cell(i.name_zh if lang == "zh" else i.name_en), Cell(i.value or DASH),
             Cell(i.target or DASH), _status(i.status, lang), Cell(i.evidence or DASH))
            for i in sorted(m.checklist, key=lambda i: SCHEMES.index(i.scheme))  # by scheme,
            if i.group not in ("cv", "school_rule", "verdict")]  # as the forms list them
    cols = tuple(t(f"app.check.col.{c}", lang)
                 for c in ("scheme", "group", "item", "value", "target", "status", "evidence"))
    return OfficialTable("county", t("present.table.county.title", lang, n=number),
                         t("present.table.county.note", lang), cols, tuple(rows))


def verdict_table(m: Material, number: int) -> OfficialTable:
    """Table of the verdicts: each scheme × stage and each scheme overall, with its reasons."""
    lang = m.lang
    rows = []
    for scheme in m.schemes:
        for stage in (*m.stages(scheme), None):
            v = m.verdicts.get((scheme, stage))
            if v is None:
                continue
            where = t(f"stage.{stage}", lang) if stage else t("present.all_stages", lang)
            rows.append((Cell(t(f"scheme.{scheme}", lang)), Cell(where), _status(v.status, lang),
                         Cell(v.text)))
    cols = tuple(t(f"present.table.verdicts.col.{c}", lang)
                 for c in ("scheme", "stage", "status", "reason"))
    scope = ("；" if lang == "zh" else "; ").join(scope_text(m.evaluation, None, lang))
    note = t("present.table.verdicts.note", lang) + " " + t("present.report.scope", lang,
                                                             scope=scope)
    return OfficialTable("verdicts", t("present.table.verdicts.title", lang, n=number), note,
                         cols, tuple(rows))


def official_tables(m: Material) -> list[OfficialTable]:
    """Return every official table in the report's order, numbered 表1, 表2, …"""
    makers: list[Callable[[int], OfficialTable]] = [lambda n: facts_table(m, n)]
    makers += [partial(cv_table, m, s) for s in m.schemes]
    makers += [partial(school_table, m, s) for s in m.schemes]
    makers += [lambda n: county_table(m, n), lambda n: verdict_table(m, n)]
    footer = t("forms.footer", m.lang, county=m.county_label,
               date=t("forms.date", m.lang, y=m.made.year, m=m.made.month, d=m.made.day))
    tables = [replace(make(k), number=k, footer=footer) for k, make in enumerate(makers, start=1)]
    if m.lang != "en":
        return tables
    # every English sentence begun with a capital (evidence made elsewhere may not be)
    return [replace(tb, note=sentences(tb.note, "en"), rows=tuple(
        tuple(replace(c, text=sentences(c.text, "en", first=False)) for c in row)
        for row in tb.rows))
        for tb in tables]

