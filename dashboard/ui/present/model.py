"""What the deck, the report and the presentation mode are made of: one county and year of an
evaluation with its verdicts (dashboard.method.verdict, the one verdict function), checklist,
history and, optionally, a scenario applied to it.

Everything the outputs show is computed once here from the engine's tables; the writers
(deck, report, workbook, pdf) only lay it out.  No Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboard.method.compliance import ChecklistItem
from dashboard.method.engine import Evaluation
from dashboard.method.standards import SCHEMES, STAGES
from dashboard.method.verdict import Verdict, evaluation_verdicts
from dashboard.ui.checklist import checklist_items
from dashboard.ui.evaluation import county_name, rows_of, scheme_units

# a full stop, question or exclamation mark ending a sentence (not 'e.g.' or a decimal point)
_SENTENCE_START = re.compile(r"(^\s*|(?<!\be\.g)(?<!\bi\.e)[.!?]\s+|·\s*)([a-z])")

__all__ = ["sentences", "facts_scheme", "ScenarioPart", "Material", "material", "focus_of", "stage_facts", "failing_items",
           "indicator_table"]


@dataclass(frozen=True)
class ScenarioPart:
    """A scenario (or plan) applied to the county: its name, note, its moves in words and the
    evaluation after it."""

    name: str
    note: str
    moves: tuple[str, ...]
    after: Evaluation


@dataclass(frozen=True)
class Material:
    """One county × year as the outputs present it (``lang`` is the outputs' language)."""

    lang: str
    county_code: str
    county_label: str
    year: int
    snapshot_id: str
    evaluation: Evaluation
    schools: pd.DataFrame
    county_table: pd.DataFrame | None
    verdicts: dict[tuple[str, str | None], Verdict]
    checklist: tuple[ChecklistItem, ...]
    focus: tuple[str, str]  # (scheme, stage) of the map, the urban–rural and the trend slides
    history: Evaluation | None = None
    scenario: ScenarioPart | None = None
    map_png: bytes | None = field(default=None, repr=False)
    made: date = field(default_factory=date.today)

    @property
    def schemes(self) -> tuple[str, ...]:
        """The schemes evaluated, in the standards' order."""
        return tuple(s for s in SCHEMES if s in self.evaluation.units)

    def stages(self, scheme: str) -> tuple[str, ...]:
        """The stages of ``scheme`` that have units in this county and year."""
        return tuple(s for s in STAGES if not scheme_units(
            self.evaluation, scheme, self.county_code, self.year, s).empty)

    def units(self, scheme: str, stage: str | None = None) -> pd.DataFrame:
        """The units of ``scheme`` (one stage, or all)."""
        return scheme_units(self.evaluation, scheme, self.county_code, self.year, stage)


def focus_of(ev: Evaluation, county: str, year: int, verdicts: dict,
             scheme: str | None = None, stage: str | None = None) -> tuple[str, str]:
    """Return the (scheme, stage) the outputs look at closely: the one asked for, else the first
    failing stage × scheme (quality first: the current standard), else the first present."""
    present = [(sc, st) for sc in ("quality", "basic") for st in STAGES
               if (sc, st) in verdicts]
    if scheme and stage and (scheme, stage) in verdicts:
        return scheme, stage
    narrowed = [p for p in present if (scheme is None or p[0] == scheme)
                and (stage is None or p[1] == stage)] or present
    failing = [p for p in narrowed if verdicts[p].status == "fail"]
    chosen = (failing or narrowed or [("basic", "primary")])[0]
    return chosen


def material(ev: Evaluation, schools: pd.DataFrame, county_table: pd.DataFrame | None,
             county: str, year: int, snapshot_id: str, lang: str, *,
             history: Evaluation | None = None, scenario: ScenarioPart | None = None,
             scheme: str | None = None, stage: str | None = None,
             map_png: bytes | None = None) -> Material:
    """Return the material of one county and year of ``ev`` (``schools``: the snapshot's
    schools table; ``county_table``: its county items, None when it has none)."""
    own = schools[schools["county_code"].astype(str) == str(county)]
    verdicts = evaluation_verdicts(ev, county, year, county=county_table, lang=lang)
    items = checklist_items(ev, own, county_table, county, year, lang)
    return Material(
        lang=lang, county_code=str(county), county_label=county_name(own, county, lang), year=int(year),
        snapshot_id=snapshot_id, evaluation=ev, schools=own, county_table=county_table,
        verdicts=verdicts, checklist=tuple(items),
        focus=focus_of(ev, county, year, verdicts, scheme, stage), history=history,
        scenario=scenario, map_png=map_png)


def facts_scheme(m: Material) -> str:
    """Return the scheme whose units the basic facts count: basic, else the first evaluated."""
    return "basic" if "basic" in m.schemes else m.schemes[0]


def sentences(text: str, lang: str, *, first: bool = True) -> str:
    """Return ``text`` with every English sentence begun with a capital (a reason or evidence
    made elsewhere may begin in lower case: 'Pass. composite CV …'); Chinese as it is.
    ``first`` False: the text's first word as it is (a table cell: 'm²/pupil').

    >>> sentences("Fail. composite CV 0.7. see 3.4; e.g. x\\n· the rule", "en")
    'Fail. Composite CV 0.7. See 3.4; e.g. x\\n· The rule'
    """
    if lang != "en":
        return text

    def up(g: re.Match[str]) -> str:
        start = g.start() == 0 and not g.group(1).strip()
        return g.group(1) + (g.group(2).upper() if first or not start else g.group(2))

    return "\n".join(_SENTENCE_START.sub(up, line) for line in text.split("\n"))


def stage_facts(m: Material) -> list[dict[str, object]]:
    """Return per stage the schools (units of the basic scheme, else quality), pupils, classes
    and full-time teachers of the county (the report's basic facts)."""
    scheme = facts_scheme(m)
    out: list[dict[str, object]] = []
    for stage in STAGES:
        units = m.units(scheme, stage)
        if units.empty:
            continue
        out.append({"stage": stage, "units": len(units), "students": float(units["students"].sum()),
                    "classes": float(units["classes"].sum()),
                    "teachers": float(units["teachers"].sum())})
    return out


def failing_items(m: Material, kinds: Sequence[str] = ("fail", "missing")) -> list[ChecklistItem]:
    """Return the checklist items whose status is one of ``kinds`` (verdict rows excluded)."""
    return [i for i in m.checklist if i.status in kinds and i.group != "verdict"]


def indicator_table(m: Material, scheme: str, stage: str, ev: Evaluation | None = None) -> pd.DataFrame:
    """Return the engine's indicator rows of one scheme and stage (``ev``: another evaluation of
    the same county, e.g. after a scenario)."""
    return rows_of((ev or m.evaluation).indicators, m.county_code, m.year, scheme=scheme,
                   stage=stage)
