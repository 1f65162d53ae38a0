"""The self-assessment report (自评报告) as a sequence of blocks: headings, paragraphs, the
official tables, and the sections the county writes itself (marked editable, never filled with
made-up text).  The DOCX (word.py) and the HTML/PDF (html.py, pdf.py) lay out the same blocks.

The structure follows a county's 自评报告: 一、基本情况; 二、主要工作和做法 (the county's own
words); 三、评估结果 (coefficients, schools, county items, verdicts); 四、存在的问题 (from the
failing and missing items); 五、整改措施 (one editable plan per problem).  No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from dashboard.i18n import t
from dashboard.ui.checklist import scope_text as rules_text
from dashboard.ui.format import DASH, fmt_number
from dashboard.ui.present.counts import counts_text, in_table_order, scope_text
from dashboard.ui.present.model import Material, facts_scheme, failing_items, sentences, stage_facts
from dashboard.ui.present.tables import OfficialTable, official_tables

__all__ = ["Block", "report_blocks", "report_title", "KINDS"]

KINDS: Final = ("title", "subtitle", "toc", "h1", "h2", "p", "item", "editable", "table")


@dataclass(frozen=True)
class Block:
    """One block of the report: ``kind`` one of KINDS; ``text`` (or ``table`` for a table)."""

    kind: str
    text: str = ""
    table: OfficialTable | None = None
    wide: bool = False  # a heading whose section holds wide tables (landscape pages)


def report_title(m: Material) -> str:
    """Return the report's title, e.g. '示范县（990101）2024 年义务教育均衡发展自评报告'."""
    return t("present.report.title", m.lang, county=m.county_label, year=m.year)


def _facts_text(m: Material) -> str:
    """The county's schools, and why each assessment counts a different number of units:
    units are school × stage, and each scope leaves some schools out (docs/method.md §6)."""
    lang = m.lang
    sep = "、" if lang == "zh" else ", "
    parts = [t("present.report.facts_stage", lang, stage=t(f"stage.{f['stage']}", lang),
               units=fmt_number(f["units"], 0), students=fmt_number(f["students"], 0),
               teachers=fmt_number(f["teachers"], 0)) for f in stage_facts(m)]
    schools = m.schools["school_id"].nunique()
    points = int((m.schools["school_type"] == "teaching_point").sum()) if (
        "school_type" in m.schools) else 0
    scopes = "".join(scope_text(m, s) + (" " if lang == "en" else "") for s in m.schemes)
    return t("present2.report.facts", lang, county=m.county_label, year=m.year, schools=schools,
             points=points, scopes=scopes, scheme=t(f"scheme.{facts_scheme(m)}", lang),
             stages=sep.join(parts) or DASH)


def _component_blocks(m: Material, kind: str, table: OfficialTable) -> list[Block]:
    """Per stage × scheme: what one component of its verdict says (named as that component,
    never as the verdict), the units by status for the school rule, and the overall verdict
    as the verdict function gives it (dashboard.method.verdict); then the table."""
    lang, scheme = m.lang, table.key.split("_", 1)[1]
    out = []
    for stage in m.stages(scheme):
        v = m.verdicts.get((scheme, stage))
        comp = v.component(kind) if v is not None else None
        if v is None or comp is None:
            continue
        where = t("present.where", lang, scheme=t(f"scheme.{scheme}", lang),
                  stage=t(f"stage.{stage}", lang))
        part, status = t(f"verdict.part.{kind}", lang), t(f"status.{comp.status}", lang)
        if kind == "school_rule":  # the counts by status say what the component's text says
            text = t("present2.report.school_rule", lang, where=where, part=part, status=status,
                     counts=counts_text(m, scheme, stage)) + _failing_names(m, scheme, stage)
        else:
            text = t("present2.report.component", lang, where=where, part=part, status=status,
                     text=comp.text)
        text += t("present2.report.overall", lang, where=where,
                  status=t(f"status.{v.status}", lang))
        out.append(Block("p", sentences(text, lang)))
    return [*out, Block("table", table=table)]


def _failing_names(m: Material, scheme: str, stage: str) -> str:
    """Return the sentence naming the units of one stage that fail the school rule, or ''."""
    units = in_table_order(m.units(scheme, stage))  # by school code, as the table lists them
    names = units.loc[units["status_"] == "fail", "school_name"].astype(str)
    if names.empty:
        return ""
    return t("present2.report.failing_units", m.lang, names=("、" if m.lang == "zh" else ", ").join(names))


def _results(m: Material, tables: dict[str, OfficialTable]) -> list[Block]:
    lang = m.lang
    out = [Block("h1", t("present.report.h.results", lang)),
           # the rules the verdicts were made with: profile, teaching points, private schools,
           # stage-split weights (recorded in every report, docs/method.md §4.1)
           Block("p", t("present.report.scope", lang, scope=("；" if lang == "zh" else "; ").join(
               rules_text(m.evaluation, None, lang)))),
           Block("h2", t("present.report.h.cv", lang))]
    for scheme in m.schemes:
        out += _component_blocks(m, "cv", tables[f"cv_{scheme}"])
    out.append(Block("h2", t("present.report.h.schools", lang), wide=True))
    for scheme in m.schemes:
        out += _component_blocks(m, "school_rule", tables[f"schools_{scheme}"])
    out += [Block("h2", t("present.report.h.county", lang)),
            Block("table", table=tables["county"]),
            Block("h2", t("present.report.h.verdicts", lang)),
            Block("table", table=tables["verdicts"])]
    return out


def _problems(m: Material) -> list[Block]:
    lang = m.lang
    items = failing_items(m)
    out = [Block("h1", t("present.report.h.problems", lang))]
    if not items:
        out.append(Block("p", t("present.report.no_problems", lang)))
    for k, i in enumerate(items, start=1):
        # the school rule in the counts its table shows (fail, approximated, pass)
        key = ("present2.report.problem.school_rule" if i.group == "school_rule"
               and i.status == "fail" else f"present.report.problem.{i.status}")
        out.append(Block("item", sentences(t(
            key, lang, k=k, item=i.name_zh if lang == "zh" else i.name_en,
            value=i.value or DASH, target=i.target or DASH, evidence=i.evidence or DASH,
            counts=counts_text(m, i.scheme) if i.group == "school_rule" else ""), lang)))
    out.append(Block("h1", t("present.report.h.plan", lang)))
    out.append(Block("p", t("present.report.plan_intro", lang)))
    for k, i in enumerate(items, start=1):
        out.append(Block("h2", t("present.report.plan_item", lang, k=k,
                                 item=i.name_zh if lang == "zh" else i.name_en,
                                 target=i.target or DASH)))
        out.append(Block("editable", t("present.report.editable.plan", lang)))
    return out


def report_blocks(m: Material) -> list[Block]:
    """Return the report's blocks in order."""
    lang = m.lang
    tables = {tb.key: tb for tb in official_tables(m)}
    blocks = [
        Block("title", report_title(m)),
        Block("subtitle", t("present.report.subtitle", lang, snapshot=m.snapshot_id,
                            made=m.made.isoformat())),
        Block("toc", t("present.report.toc", lang)),
        Block("h1", t("present.report.h.facts", lang)),
        Block("p", _facts_text(m)),
        Block("table", table=tables["facts"]),
        Block("h1", t("present.report.h.work", lang)),
        Block("editable", t("present.report.editable.work", lang)),
        *_results(m, tables),
        *_problems(m),
    ]
    return [replace(b, text=sentences(b.text, lang)) for b in blocks]
