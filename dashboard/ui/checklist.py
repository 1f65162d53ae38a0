"""Page model of 达标清单 (readiness checklist): every component of both assessments from the
evaluation (dashboard.method.compliance), as a table with localized headers and coloured
statuses, and the counts per scheme.  No Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd
import pyarrow as pa

from dashboard.i18n import t
from dashboard.method.compliance import ChecklistItem, county_checklist
from dashboard.method.engine import Evaluation
from dashboard.method.profiles import default_profile_id, load_profile, profile_ids
from dashboard.method.profiles_county import (
    RuleFacts,
    profile_school_rules,
    scope_lines,
    with_profile,
)
from dashboard.method.standards import SCHEMES
from dashboard.ui.evaluation import evaluate_like
from dashboard.ui.format import md_text
from dashboard.ui.frozen import frozen_table

__all__ = [
    "STATUS_BACKGROUND",
    "checklist_items",
    "checklist_frame",
    "checklist_counts",
    "checklist_columns",
    "checklist_widths",
    "checklist_detail",
    "checklist_table",
    "status_labels",
    "TP_CHOICES",
    "profile_options",
    "default_profile",
    "profile_label",
    "scope_text",
    "scoped_evaluation",
    "checklist_records",
    "PROFILE_PARAM",
    "PROFILE_KEY",
    "evaluation_with_profile",
    "checklist_report",
]

PROFILE_PARAM: Final = "profile"  # the URL parameter of the chosen profile
PROFILE_KEY: Final = "check_profile"  # the checklist page's widget that chooses it
TP_CHOICES: Final = ("merge", "exclude")  # teaching points under 基本均衡 (EvalParams.tp_basic)

# the colour of each status's label in the table (light: the label's text stays dark)
STATUS_BACKGROUND: Final = {"pass": "#e8f5e9", "near": "#fff3e0", "fail": "#ffebee",
                             "missing": "#fff8e1", "approximated": "#f3e5f5"}
# the table's columns after the hidden status code, and the visible ones with their widths
_COLUMNS: Final = ("scheme", "group", "item", "status", "value", "target", "evidence")
# (pixels: together 942, under the 978 a 1440-px window leaves the table beside the sidebar;
# the evidence, and any cut value, is shown in full for the selected row: checklist_detail).
# The status is a coloured label: 未达标 needs 80 px with the label's padding.
_WIDTHS: Final = {"status": 80, "scheme": 104, "group": 108, "item": 290, "value": 190,
                  "target": 170}
# English groups are longer ("School standard", "Education quality" were cut at 84 px; so
# was 满意度/认可度), and so is the status "No data": both take some of the item's
_WIDTHS_EN: Final = {**_WIDTHS, "status": 88, "group": 124, "item": 266}


def profile_options() -> list[str]:
    """Return the ids of the rule profiles (data files), the default example first."""
    return list(profile_ids())


def default_profile() -> str:
    """Return the id of the default profile."""
    return default_profile_id()


def profile_label(profile_id: str, lang: str) -> str:
    """Return a profile's name and its M-of-N rule, as the selectbox shows it."""
    prof = load_profile(profile_id)
    return t("checklist.profile_label", lang, name=prof.name(lang), rule=prof.rule_text(lang))


def evaluation_with_profile(ev: Evaluation, profile: str | None,
                            classes: pd.DataFrame | None = None,
                            rooms: pd.DataFrame | None = None) -> Evaluation:
    """Return the evaluation judged under ``profile`` (an unknown or absent id: its own) and
    the snapshot's class and room rows, so that every page shows the verdicts of the profile
    chosen on the checklist page with the same facts."""
    if not profile or profile not in profile_ids():
        profile = None
    return with_profile(ev, profile, classes=classes, rooms=rooms)


def scoped_evaluation(ev: Evaluation, schools: pd.DataFrame, tp_basic: str) -> Evaluation:
    """Return ``ev`` when its teaching-point scope is ``tp_basic``, else the county's schools
    evaluated again with that scope (the same parameters otherwise)."""
    if ev.params.tp_basic == tp_basic or schools.empty:
        return ev
    # the same profile and class and room rows as the page's evaluation
    return evaluate_like(schools, ev, ev.params.with_(tp_basic=tp_basic))


def scope_text(ev: Evaluation, profile: str | None, lang: str) -> list[str]:
    """Return the scope the verdicts were made with: profile, teaching points, private
    schools, stage-split weights (shown beside the verdict)."""
    return scope_lines(ev.params, profile, lang)


def checklist_items(ev: Evaluation, schools: pd.DataFrame, county_table: pd.DataFrame | None,
                    county: str, year: int, lang: str, *, profile: str | None = None,
                    classes: pd.DataFrame | None = None,
                    rooms: pd.DataFrame | None = None) -> list[ChecklistItem]:
    """Return the county's checklist of ``year`` (failures first): the evaluation's CVs and
    school rules with the county-level items of ``county_table`` (None: all missing), judged
    under ``profile`` (None: the evaluation's) with the optional class and room rows."""
    facts = RuleFacts(profile=profile or ev.params.province_profile,
                      classes=classes if classes is not None else ev.classes,
                      rooms=rooms if rooms is not None else ev.rooms)
    return county_checklist(county_code=county, year=year, indicators=ev.indicators,
                            composites=ev.composites,
                            school_rules=profile_school_rules(ev, facts),
                            schools=schools, county=county_table, lang=lang, facts=facts)


def checklist_frame(items: Sequence[ChecklistItem], lang: str, *,
                    problems_only: bool = False) -> pd.DataFrame:
    """Return the checklist (failures first, as given) with localized headers and labels.

    The hidden column ``status`` keeps the code (pass/fail/missing) for styling.
    """
    rows = []
    for it in items:
        if problems_only and it.status == "pass":
            continue
        cells = {
            # the short name: "High-quality balance" was cut in its column
            "scheme": t(f"journey.check.scheme.{it.scheme}", lang), "group": t(f"app.check.group.{it.group}", lang),
            "item": it.name_zh if lang == "zh" else it.name_en,
            "status": t(f"status.{it.status}", lang), "value": it.value, "target": it.target,
            "evidence": it.evidence}
        rows.append({"status": it.status,
                     **{t(f"app.check.col.{c}", lang): cells[c] for c in _COLUMNS}})
    columns = ["status"] + [t(f"app.check.col.{c}", lang) for c in _COLUMNS]
    return pd.DataFrame(rows, columns=columns)


def checklist_columns(lang: str) -> list[str]:
    """Return the visible columns of the checklist table (the status code is hidden)."""
    return [t(f"app.check.col.{c}", lang) for c in _WIDTHS]


def checklist_widths(lang: str) -> dict[str, int]:
    """Return the width (pixels) of each visible checklist column."""
    widths = _WIDTHS_EN if lang == "en" else _WIDTHS
    return {t(f"app.check.col.{c}", lang): w for c, w in widths.items()}


def checklist_detail(frame: pd.DataFrame, row: int, lang: str) -> str:
    """Return one row of the checklist in full (item, status, value, target, evidence) as
    Markdown lines: the details the table's narrow columns cut.

    >>> f = checklist_frame([], "en")
    >>> f.loc[0] = ["fail", "Basic", "CV", "CV of X", "Fail", "0.7", "≤ 0.65", "engine"]
    >>> print(checklist_detail(f, 0, "en").splitlines()[0])
    **CV of X** · Basic · CV · Fail
    >>> z = checklist_frame([], "zh")
    >>> z.loc[0] = ["fail", "基本均衡", "差异系数", "X", "未达标", "0.7", "≤ 0.65", "engine"]
    >>> print(checklist_detail(z, 0, "zh").splitlines()[1])
    - 实际：0\\.7
    """
    r = frame.iloc[row]
    col = {c: t(f"app.check.col.{c}", lang) for c in _COLUMNS}
    cell = {c: md_text(r[col[c]]) for c in col}  # cells may quote names: text, never markup
    head = f"**{cell['item']}** · {cell['scheme']} · {cell['group']} · {cell['status']}"
    colon = "：" if lang == "zh" else ": "  # Chinese text takes the full-width colon
    return "\n".join([head, *(f"- {col[c]}{colon}{cell[c]}" for c in ("value", "target", "evidence"))])


def checklist_table(frame: pd.DataFrame, lang: str) -> pa.Table | pd.DataFrame:
    """Return the visible columns of ``frame`` (checklist_frame) as the page draws them, made
    once for a cached view (frozen_table): the status as a one-label list, which the page
    shows as a coloured label (a read-only multiselect column, :func:`status_labels`).

    A coloured cell needed a pandas Styler, which Streamlit computes on every draw: 40 % of
    the page's rerun (issue 15).

    >>> f = checklist_frame([], "en")
    >>> f.loc[0] = ["fail", "Basic", "CV", "CV of X", "Fail", "0.7", "≤ 0.65", "engine"]
    >>> checklist_table(f, "en").to_pylist()[0]["Status"]
    ['Fail']
    """
    shown = frame[checklist_columns(lang)].copy()
    status = t("app.check.col.status", lang)
    shown[status] = [[label] for label in shown[status]]
    return frozen_table(shown)


def status_labels(lang: str) -> tuple[list[str], list[str]]:
    """Return every status's label in ``lang`` and the colour of each, in one order (the
    options and colours of the table's status column)."""
    return [t(f"status.{s}", lang) for s in STATUS_BACKGROUND], list(STATUS_BACKGROUND.values())


def checklist_counts(items: Sequence[ChecklistItem]) -> pd.DataFrame:
    """Return per scheme the number of items passing, failing and missing (verdicts excluded),
    and the scheme's overall verdict over all stages (``VERDICT:<scheme>``).
    """
    out = []
    for scheme in SCHEMES:
        parts = [i for i in items if i.scheme == scheme and i.group != "verdict"]
        verdict = next((i.status for i in items if i.item_id == f"VERDICT:{scheme}"), "missing")
        out.append({"scheme": scheme, "passed": sum(i.status == "pass" for i in parts),
                    "failed": sum(i.status == "fail" for i in parts),
                    "missing": sum(i.status in ("missing", "approximated") for i in parts),
                    "total": len(parts),
                    "verdict": verdict})
    return pd.DataFrame(out)


def checklist_records(items: Sequence[ChecklistItem], lang: str) -> list[dict]:
    """Return the checklist as JSON-ready records: id, scheme, group, assessment (the item's
    name), value, target, status (pass, fail, near, missing, approximated) and evidence."""
    return [{"id": i.item_id, "scheme": i.scheme, "group": i.group,
             "assessment": i.name_zh if lang == "zh" else i.name_en, "value": i.value,
             "target": i.target, "status": i.status, "evidence": i.evidence,
             "ids": [str(x) for x in i.detail]} for i in items]


def checklist_report(ev: Evaluation, county_table: pd.DataFrame | None, county: str, year: int,
                     lang: str, facts: RuleFacts) -> dict:
    """Return what a report adds for a chosen profile: ``profile`` (id, name, rule, source),
    ``scope`` (in words) and ``checklist`` (every item of both assessments)."""
    schools = ev.schools[(ev.schools["county_code"].astype(str) == str(county))
                         & (ev.schools["year"] == year)]
    items = checklist_items(ev, schools, county_table, county, year, lang,
                            profile=facts.profile, classes=facts.classes, rooms=facts.rooms)
    return {"profile": load_profile(facts.profile).as_dict(lang),
            "scope": scope_text(ev, facts.profile, lang),
            "checklist": checklist_records(items, lang)}
