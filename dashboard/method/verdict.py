"""One verdict per county × year × scheme × stage (and per scheme overall), with its reasons.

A county passes a scheme for a stage only when every deciding component holds
(docs/method.md §1, §4, §5):

- the **CV test**: the basic composite ≤ 0.65 / 0.55, or every quality CV ≤ 0.50 / 0.45;
- the **school rule**: every unit meets the provincial standard (basic) or ≥ 6 of 7 minimums
  with the rest ≥ 85 % (quality);
- the **county items**: government, quality, satisfaction, vetoes, prerequisite (§5).

The status is one of ``pass``, ``near``, ``fail``, ``missing``, never rounding a doubt into a
yes: ``fail`` when a component fails; else ``missing`` when a component lacks data (the text
says what was shown and what was not); else ``near`` when a deciding CV passes within the
near margin (``params.near_margin``) of its threshold; else ``pass``.  Each component carries
its own status and a reason in the user's language (catalogue ``verdict.*``).

Every page, the checklist and the command line take their verdict from here.  Pure: tables
in, dataclasses out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from dashboard.i18n import isolate, t
from dashboard.method.coefficients import judge
from dashboard.method.standards import DEFAULT_PARAMS, INDICATORS, SCHEMES, STAGES, EvalParams

if TYPE_CHECKING:
    from dashboard.method.engine import Evaluation
    from dashboard.method.profiles_county import RuleFacts

__all__ = [
    "school_statuses",
    "code_key",
    "SCHOOL_STATUSES",
    "STATUSES",
    "KINDS",
    "Component",
    "Verdict",
    "combine",
    "cv_component",
    "school_component",
    "county_component",
    "county_verdicts",
    "evaluation_verdicts",
]

STATUSES: Final = ("pass", "near", "fail", "missing")
KINDS: Final = ("cv", "school_rule", "county")
# how strongly a status decides a verdict: the first one present wins
_PRECEDENCE: Final = ("fail", "missing", "near", "pass")
_MAX_NAMES: Final = 5  # names listed in a reason before "…"


@dataclass(frozen=True)
class Component:
    """One deciding component of a verdict.

    ``ids``: the failing indicators (cv), the failing unit ids (school_rule) or the failing and
    missing county item ids (county); ``near``: the passing CVs within the near margin;
    ``failing``/``total``: failing units or items of all.
    """

    kind: str  # "cv", "school_rule" or "county"
    status: str
    text: str
    ids: tuple[str, ...] = ()
    near: tuple[str, ...] = ()
    failing: int = 0
    total: int = 0
    stage: str | None = None

    def as_dict(self) -> dict:
        """Return the component as JSON-ready data."""
        return {"kind": self.kind, "stage": self.stage, "status": self.status, "text": self.text,
                "ids": list(self.ids), "near": list(self.near), "failing": self.failing,
                "total": self.total}


@dataclass(frozen=True)
class Verdict:
    """The verdict of one scheme for one stage (``stage`` None: the scheme over all stages)."""

    scheme: str
    stage: str | None
    status: str
    text: str
    components: tuple[Component, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """True only for ``pass`` and ``near`` (near passes, with a warning)."""
        return self.status in ("pass", "near")

    def component(self, kind: str) -> Component | None:
        """Return the (first) component of ``kind``, None if there is none."""
        return next((c for c in self.components if c.kind == kind), None)

    def as_dict(self) -> dict:
        """Return the verdict as JSON-ready data (docs/data-contract.md §5, ``verdict``)."""
        return {"status": self.status, "text": self.text,
                "components": [c.as_dict() for c in self.components]}


def code_key(ids: pd.Series) -> pd.Series:
    """Return a sort key putting school codes (学校标识码) in their numeric order: a code of
    digits is padded with zeros to the longest, so '99' comes before '100'; any other code
    comes after them, as text (deterministic, whatever the data hold)."""
    text = ids.astype(str).str.strip()
    digits = text.str.fullmatch(r"\d+")
    width = int(text.str.len().max()) if len(text) else 0
    return ("1" + text).where(~digits, "0" + text.str.zfill(width))


def _join(names: Sequence[str], lang: str, limit: int | None = _MAX_NAMES, more_key: str = "verdict.more") -> str:
    """Return ``names`` as one list, the first ``limit`` of them and how many in all
    (``more_key``: 等 n 项 for items and indicators, 等 n 个 for school units)."""
    sep = "、" if lang == "zh" else ", "
    shown = [isolate(n) for n in (names if limit is None else list(names)[:limit])]  # each name its own
    more = t(more_key, lang, n=len(names)) if limit is not None and len(names) > limit else ""
    return sep.join(shown) + more


def _name(item_id: str, lang: str) -> str:
    """Return what the bureau calls a CV id: an indicator's short official name or the
    composite (ids stay in the component's ``ids``, never in its text)."""
    if item_id in INDICATORS:
        ind = INDICATORS[item_id]
        return ind.short_zh if lang == "zh" else ind.short_en
    return t("verdict.composite", lang) if item_id == "B_CV_COMPOSITE" else item_id


def _item_name(item: object, lang: str) -> str:
    """Return a checklist item's name in ``lang`` (its id when it has no name)."""
    name = getattr(item, "name_zh" if lang == "zh" else "name_en", None)
    return str(name) if name else str(getattr(item, "item_id", ""))


def _part(c: Component, lang: str, with_stage: bool) -> str:
    name = t(f"verdict.part.{c.kind}", lang)
    return t("verdict.part_stage", lang, stage=t(f"stage.{c.stage}", lang), part=name) if (
        with_stage and c.stage) else name


def combine(scheme: str, stage: str | None, components: Sequence[Component], lang: str,
            margin: float = DEFAULT_PARAMS.near_margin) -> Verdict:
    """Return the verdict made of ``components``: fail > missing > near > pass.

    Its text says which components decided it: what failed (and what held), or what held and
    what lacks data, or which CVs lie within the near margin.
    """
    comps = tuple(components)
    statuses = {c.status for c in comps}
    status = next((s for s in _PRECEDENCE if s in statuses), "missing")
    with_stage = stage is None
    names = {s: [_part(c, lang, with_stage) for c in comps if c.status == s] for s in STATUSES}
    held = names["pass"] + names["near"]
    ok = _join(held, lang, None)
    if status == "fail":  # what held and what lacks data are said too: a fail hides neither
        text = t("verdict.headline.fail", lang, failed=_join(names["fail"], lang, None))
        lacking = _join(names["missing"], lang, None)
        if held and names["missing"]:
            text += t("verdict.headline.also_held_missing", lang, held=ok, missing=lacking)
        elif held:
            text += t("verdict.headline.also_held", lang, held=ok)
        elif names["missing"]:
            text += t("verdict.headline.also_missing", lang, missing=lacking)
    elif status == "missing":
        missing = _join(names["missing"], lang, None)
        text = (t("verdict.headline.missing", lang, held=ok, missing=missing) if held
                else t("verdict.headline.missing_all", lang, missing=missing))
    elif status == "near":
        near = [i for c in comps for i in c.near]
        text = t("verdict.headline.near", lang, held=ok, near=_join([_name(i, lang) for i in near], lang),
                 margin=f"{margin:g}")
    else:
        text = t("verdict.headline.pass", lang, held=ok)
    if lang == "en":  # a sentence of its own ("Fail. The school standard: not met")
        text = text[:1].upper() + text[1:]
    return Verdict(scheme, stage, status, text, comps)


# ----------------------------------------------------------------------------- components


def _fmt(x: float, dp: int) -> str:
    return "—" if not np.isfinite(x) else f"{x:.{dp}f}"


def cv_component(scheme: str, stage: str, indicators: pd.DataFrame, composites: pd.DataFrame,
                 lang: str, params: EvalParams = DEFAULT_PARAMS) -> Component:
    """Return the CV test of ``scheme`` for ``stage`` from the engine's rows of one county and
    year (``indicators``: scheme, stage, indicator, cv, threshold; ``composites``: stage,
    composite_cv, threshold).  Judged as the engine judges (coefficients.judge); no row:
    missing."""
    dp, margin = params.round_dp, params.near_margin
    if scheme == "basic":
        rows = composites[composites["stage"] == stage]
        if rows.empty:
            return Component("cv", "missing", t("verdict.cv.missing", lang), stage=stage)
        cv, thr = float(rows["composite_cv"].iloc[0]), float(rows["threshold"].iloc[0])
        passed, near = judge(cv, thr, dp, margin)
        status = "fail" if not passed else ("near" if near else "pass")
        text = t(f"verdict.cv.basic.{status}", lang, value=_fmt(cv, dp), threshold=_fmt(thr, 2),
                 margin=f"{margin:g}")
        return Component("cv", status, text, ids=() if passed else ("B_CV_COMPOSITE",),
                         near=("B_CV_COMPOSITE",) if status == "near" else (),
                         failing=int(not passed), total=1, stage=stage)
    rows = indicators[(indicators["scheme"] == scheme) & (indicators["stage"] == stage)]
    if rows.empty:
        return Component("cv", "missing", t("verdict.cv.missing", lang), stage=stage)
    passed, near = judge(rows["cv"].to_numpy(float), rows["threshold"].to_numpy(float), dp, margin)
    ids = rows["indicator"].astype(str).to_numpy()
    failing = tuple(f"{_name(i, lang)} {_fmt(c, dp)}" for i, c, p in zip(ids, rows["cv"], passed)
                    if not p)
    near_ids = tuple(str(i) for i, p, n in zip(ids, passed, near) if p and n)
    status = "fail" if failing else ("near" if near_ids else "pass")
    thr_text = _fmt(float(rows["threshold"].iloc[0]), 2)
    near_text = _join([f"{_name(i, lang)} {_fmt(c, dp)}" for i, c, p, n in zip(ids, rows["cv"], passed, near)
                       if p and n], lang)
    text = t(f"verdict.cv.quality.{status}", lang, n=len(ids), threshold=thr_text,
             failing=_join(failing, lang), count=len(failing), near=near_text, margin=f"{margin:g}")
    return Component("cv", status, text, ids=tuple(i for i, p in zip(ids, passed) if not p),
                     near=near_ids, failing=len(failing), total=len(ids), stage=stage)


# a unit's school-rule status, the most decisive first (the outputs list them in this order)
SCHOOL_STATUSES: Final = ("fail", "approximated", "missing", "pass")


def school_statuses(units: pd.DataFrame) -> pd.Series:
    """Return each unit's school-rule status: pass, fail, approximated (judged only on an
    average or a total: never a pass) or missing (profiles_school.judge_units's
    ``school_status``).  A frame or a row without one takes it from ``school_pass``, which
    says only whether the unit fails.

    >>> school_statuses(pd.DataFrame({"school_status": ["approximated", None], "school_pass": [True, False]})).tolist()
    ['approximated', 'fail']
    """
    derived = pd.Series(np.where(units["school_pass"].fillna(False).astype(bool), "pass", "fail"),
                        index=units.index, dtype=object)
    if "school_status" not in units:
        return derived
    status = units["school_status"]
    return status.where(status.isin(SCHOOL_STATUSES), derived).astype(object)


def unsure_counts(approximated: int, missing: int, lang: str,
                  approximated_key: str = "verdict.unsure.approximated") -> str:
    """Return the school units judged only on an approximation and those without data, in
    words, leaving out a count of none ("12 个仅按近似判断", not "…、0 个缺数据")."""
    parts = [t(key, lang, n=n) for key, n in ((approximated_key, approximated),
                                             ("verdict.unsure.missing", missing)) if n]
    return ("、" if lang == "zh" else ", ").join(parts)


def school_component(scheme: str, stage: str | None, school_rules: pd.DataFrame,
                     lang: str) -> Component:
    """Return the school rule of ``scheme`` (one stage, or all with ``stage`` None) from the
    engine's ``school_rules`` rows of one county and year: fail names the failing units.

    With a ``school_status`` column (profiles_school.judge_units), a unit judged only on an
    approximation or lacking data is not a pass: the component is ``missing`` and says how
    many units are approximated and how many lack data (docs/method.md §4.1).
    """
    rows = school_rules[school_rules["scheme"] == scheme]
    if stage is not None:
        rows = rows[rows["stage"] == stage]
    if rows.empty:
        return Component("school_rule", "missing", t("verdict.school.missing", lang), stage=stage)
    status = school_statuses(rows)
    bad = rows[status == "fail"]
    if bad.empty:
        unsure = rows[status.isin(["missing", "approximated"])]
        if unsure.empty:
            return Component("school_rule", "pass", t("verdict.school.pass", lang, units=len(rows)),
                             total=len(rows), stage=stage)
        return Component("school_rule", "missing", t(
            "verdict.school.unsure", lang, units=len(rows), unsure=unsure_counts(
                int((status == "approximated").sum()), int((status == "missing").sum()), lang,
                "verdict.unsure.approximated_example")),
            ids=tuple(str(u) for u in unsure["unit_id"]), total=len(rows), stage=stage)
    names = [f"{n}（{t(f'stage.{s}', lang)}）" if lang == "zh" else f"{n} ({t(f'stage.{s}', lang)})"
             for n, s in zip(bad["school_name"], bad["stage"])]
    approximated, missing = int((status == "approximated").sum()), int((status == "missing").sum())
    unsure_text = (t("verdict.school.fail_unsure", lang,
                     unsure=unsure_counts(approximated, missing, lang))
                   if approximated or missing else "")  # the others are not all passes either
    return Component("school_rule", "fail", t("verdict.school.fail", lang, failing=len(bad),
                                               units=len(rows), names=_join(names, lang, more_key="verdict.more_units")) + unsure_text,
                     ids=tuple(str(u) for u in bad["unit_id"]), failing=len(bad),
                     total=len(rows), stage=stage)


def county_component(items: Sequence, lang: str, stage: str | None = None) -> Component:
    """Return the county items' component from checklist items (anything with ``item_id`` and
    ``status``): fail names the failing items, missing the items without data or judged
    only on an approximation (status ``approximated``: never a pass)."""
    failing = [str(i.item_id) for i in items if i.status == "fail"]
    missing = [str(i.item_id) for i in items if i.status in ("missing", "approximated")]
    named = {str(i.item_id): _item_name(i, lang) for i in items}
    if not items:
        return Component("county", "missing", t("verdict.county.none", lang), stage=stage)
    if failing:
        text = t("verdict.county.fail", lang, ids=_join([named[i] for i in failing], lang),
                 count=len(failing),
                 total=len(items))
        if missing:
            text += t("verdict.county.also_missing", lang,
                      ids=_join([named[i] for i in missing], lang),
                      count=len(missing))
        status = "fail"
    elif missing:
        status = "missing"
        text = t("verdict.county.missing", lang, ids=_join([named[i] for i in missing], lang),
                 count=len(missing),
                 total=len(items))
    else:
        status = "pass"
        text = t("verdict.county.pass", lang, total=len(items))
    return Component("county", status, text, ids=tuple(failing + missing), failing=len(failing),
                     total=len(items), stage=stage)


# ----------------------------------------------------------------------------- verdicts


def county_verdicts(*, county_code: str, year: int, indicators: pd.DataFrame,
                    composites: pd.DataFrame, school_rules: pd.DataFrame,
                    schools: pd.DataFrame | None = None, county: pd.DataFrame | None = None,
                    lang: str = "zh", params: EvalParams = DEFAULT_PARAMS,
                    schemes: Sequence[str] = SCHEMES, facts: RuleFacts | None = None,
                    ) -> dict[tuple[str, str | None], Verdict]:
    """Return the verdict of every scheme × stage present (key (scheme, stage)) and of every
    scheme over its stages (key (scheme, None)) for one county and year.

    The tables are the engine's (engine.evaluate); ``county`` the county-items table
    (docs/data-contract.md §4; None: every county item is missing), ``schools`` the schools
    table (G3–G5 are derived from it when the county table lacks them).  A stage's county
    items are the rows for all stages and for that stage.  ``facts`` are the profile and the
    optional class and room rows (profiles_county.RuleFacts; None: the params' profile, no
    rows).
    """
    from dashboard.method.compliance import county_items
    from dashboard.method.profiles_county import RuleFacts

    facts = facts or RuleFacts(profile=params.province_profile)

    def sel(df: pd.DataFrame) -> pd.DataFrame:
        return df[(df["county_code"].astype(str) == str(county_code)) & (df["year"] == year)]

    ind, comp, rules = sel(indicators), sel(composites), sel(school_rules)
    out: dict[tuple[str, str | None], Verdict] = {}
    for scheme in schemes:
        parts: list[Component] = []
        for stage in STAGES:
            has_units = not rules[(rules["scheme"] == scheme) & (rules["stage"] == stage)].empty
            if not has_units:
                continue
            stage_parts = [cv_component(scheme, stage, ind, comp, lang, params),
                           school_component(scheme, stage, rules, lang)]
            items = county_items(scheme, county_code=county_code, year=year, county=county,
                                 schools=schools, lang=lang, stage=stage, facts=facts)
            out[(scheme, stage)] = combine(scheme, stage,
                                           [*stage_parts, county_component(items, lang, stage)],
                                           lang, params.near_margin)
            parts += stage_parts
        if parts:
            items = county_items(scheme, county_code=county_code, year=year, county=county,
                                 schools=schools, lang=lang, facts=facts)
            out[(scheme, None)] = combine(scheme, None, [*parts, county_component(items, lang)],
                                          lang, params.near_margin)
    return out


def evaluation_verdicts(ev: Evaluation, county_code: str, year: int, *,
                        county: pd.DataFrame | None = None, lang: str = "zh",
                        facts: RuleFacts | None = None,
                        ) -> dict[tuple[str, str | None], Verdict]:
    """Return :func:`county_verdicts` of one county and year of an evaluation (its own
    schools table and parameters; ``county`` the county-items table).  The basic school rule
    is judged under ``facts`` (the profile, class rows; default: the evaluation's profile),
    so an approximated or undecided unit is never counted as a pass."""
    from dashboard.method.profiles_county import facts_of, profile_school_rules

    facts = facts or facts_of(ev)  # the profile and the class and room rows it carries
    schemes = tuple(s for s in SCHEMES if s in ev.units)
    rules = profile_school_rules(ev, facts)
    return county_verdicts(county_code=county_code, year=year, indicators=ev.indicators,
                           composites=ev.composites, school_rules=rules,
                           schools=ev.schools, county=county, lang=lang, params=ev.params,
                           schemes=schemes, facts=facts)
