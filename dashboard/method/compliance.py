"""School-level rules (达标) and the county readiness checklist.

Quality (2017, S10 第六条): a unit passes when ≥ 6 of Q1–Q7 meet their per-school minimums and the
remaining one is ≥ 85 % of its minimum.  Basic (2012): every school meets the provincial
办学基本标准, a k-of-n rule from the province profile (default: 7 of 9).

The checklist puts every component of both assessments (CVs, school rules, government items,
quality items, satisfaction, vetoes, the prerequisite) in one table with status and evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from dashboard.i18n import catalogue, t
from dashboard.method import profiles_county as pc
from dashboard.method.lazy_columns import stage_masks
from dashboard.method.profiles import load_profile
from dashboard.method.profiles_county import RuleFacts
from dashboard.method.profiles_school import AT_MINIMUM_RTOL, ids_of_bits, judge_units
from dashboard.method.standards import (
    DEFAULT_PARAMS,
    INDICATORS,
    QUALITY_IDS,
    SCHEMES,
    STAGES,
    ProvinceProfile,
    standards_table,
)

if TYPE_CHECKING:
    from dashboard.method.verdict import Verdict

__all__ = [
    "QUALITY_MIN_MET",
    "QUALITY_REST_FRACTION",
    "AT_MINIMUM_RTOL",
    "quality_school_rule",
    "quality_rule_columns",
    "quality_ratio_columns",
    "basic_school_rule",
    "derive_school_items",
    "ChecklistItem",
    "county_items",
    "county_checklist",
]


def _quality_rule_params() -> tuple[int, float]:
    """Return (min met, fraction for the rest) from standards.csv Q_SCHOOL_RULE ('6 of 7; … 0.85')."""
    import re

    cell = str(standards_table().loc["Q_SCHOOL_RULE", "primary_threshold"])
    nums = re.findall(r"\d+(?:\.\d+)?", cell)
    return int(nums[0]), float(nums[-1])


QUALITY_MIN_MET, QUALITY_REST_FRACTION = _quality_rule_params()


def quality_school_rule(units: pd.DataFrame) -> pd.DataFrame:
    """Return, per quality unit, the 6-of-7 verdict: ``meets`` (0–7), ``school_pass``, the
    indicators below their minimum (``failing``, tuple of ids) and each value's ratio to its
    minimum (``ratio_Q1`` … ``ratio_Q7``; 1.0 = exactly at the minimum).

    >>> import pandas as pd
    >>> u = pd.DataFrame({"stage": ["primary"], "Q1": [5.0], "Q2": [0.9], "Q3": [1.0],
    ...     "Q4": [5.0], "Q5": [8.0], "Q6": [2100.0], "Q7": [2.5]})
    >>> r = quality_school_rule(u).iloc[0]
    >>> int(r.meets), bool(r.school_pass), r.failing
    (6, True, ('Q2',))
    """
    return pd.DataFrame(quality_rule_columns(units))


def quality_rule_columns(units: pd.DataFrame | Mapping[str, object], ratios: bool = True,
                         text_later: bool = False) -> dict[str, Any]:
    """Return quality_school_rule's columns as a dict of fresh arrays (no frame built: the
    engine puts them straight into its units); ``units`` a frame or a dict of columns.
    ``ratios=False``: without the ``ratio_`` columns (the engine makes them on first read,
    with quality_ratio_columns: the same bits), each ratio's comparison then made on the value
    against the least value that reaches it (_least_value: the same answers, no division);
    ``text_later``: ``school_status`` and
    ``failing`` come as makers (called with no argument, returning {name: column}; see
    profiles_school.judge_unit_columns)."""
    masks = stage_masks(units)  # a rule view gives them without text
    primary = masks["primary"] if masks is not None else np.asarray(units["stage"]) == "primary"
    n = len(primary)
    k = len(QUALITY_IDS)
    kept = {}
    met = np.empty((k, n), dtype=bool)  # indicator-major: one row per indicator
    rest_ok = np.ones(n, dtype=bool)  # every ratio at least the fraction (a missing one counts as 0)
    # a missing value (NaN) fails each comparison, as its 0 fails a positive fraction: a
    # comparison and an and per indicator (what np.minimum over the ratios then one
    # comparison said, without the float pass)
    rest = QUALITY_REST_FRACTION * (1.0 - AT_MINIMUM_RTOL)
    above, other, spare = np.empty(n, dtype=bool), ~primary, np.empty(n, dtype=bool)
    junior: np.ndarray | None = None  # (made for the first ratio divided, with its buffers)
    mins = scratch = None
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, q in enumerate(QUALITY_IDS):
            # without the ratios: each comparison of a ratio is one of the value (no division)
            least = None if ratios else _least_values(q, (1.0 - AT_MINIMUM_RTOL, rest))
            if least is not None:
                value = np.asarray(units[q], dtype=float)
                _at_least(value, least[0], primary, other, met[j], spare)
                rest_ok &= _at_least(value, least[1], primary, other, above, spare)
                continue
            if junior is None:
                junior, mins = (~primary).astype(np.intp), np.empty(n)
                scratch = None if ratios else np.empty(n)  # one buffer for every ratio not kept
            r = _ratio_to_minimum(units[q], junior, q, mins, scratch)  # type: ignore[arg-type]
            if ratios:
                kept[q] = r
            np.greater_equal(r, 1.0 - AT_MINIMUM_RTOL, out=met[j])
            np.greater_equal(r, rest, out=above)
            if QUALITY_REST_FRACTION <= 0:
                above |= np.isnan(r)  # a missing value (0) is enough for a fraction of 0
            rest_ok &= above
    count = np.zeros(n, dtype=np.uint8)  # the minimums met, counted in a byte (k < 256): a sum
    for row in met:  # of booleans into int64 casts element by element
        np.add(count, row.view(np.uint8), out=count)
    meets = count.astype(np.int64)
    school_pass = (meets >= QUALITY_MIN_MET) & rest_ok
    out = {"unit_id": np.asarray(units["unit_id"]) if "unit_id" in units else np.arange(n),
           "meets": meets, "school_pass": school_pass,
           "school_status": partial(_texts, "school_status", school_pass) if text_later
           else _pass_fail(school_pass),
           "failing": partial(_texts, "failing", met) if text_later else _failing(met)}
    for q in kept:
        out[f"ratio_{q}"] = kept[q]
    return out


def quality_ratio_columns(values: Mapping[str, object], primary: np.ndarray) -> dict[str, np.ndarray]:
    """Return the ``ratio_<id>`` columns of quality_rule_columns from the units' Q1–Q7
    ``values`` and whether each unit is a primary one."""
    mins, junior = np.empty(len(primary)), (~primary).astype(np.intp)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {f"ratio_{q}": _ratio_to_minimum(values[q], junior, q, mins) for q in QUALITY_IDS}


def _least_values(q: str, ratios: tuple[float, ...]) -> list[tuple[float, float]] | None:
    """Return, per ratio, the least values of ``q`` (primary, junior) whose ratio to the
    stage's minimum reaches it (_least_value); None where one is not found."""
    table = np.array([INDICATORS[q].minimum("primary"), INDICATORS[q].minimum("junior")], dtype=float)
    least = [(_least_value(float(table[0]), c), _least_value(float(table[1]), c)) for c in ratios]
    return None if any(v is None for pair in least for v in pair) else least  # type: ignore[return-value]


def _least_value(minimum: float, ratio: float) -> float | None:
    """Return the least float ``v`` with ``v / minimum >= ratio`` (float division), so that
    ``v >= it`` answers ``v / minimum >= ratio`` for every float ``v``, bit for bit: with a
    positive minimum the quotient never decreases as ``v`` grows (the exact quotient grows and
    rounding keeps order), a NaN fails both, and the least such ``v`` is found by stepping one
    float at a time from ``ratio × minimum``.  None unless minimum and ratio are positive and
    finite, or if the step does not end within 64 floats."""
    if not (0.0 < minimum < math.inf and 0.0 < ratio < math.inf):
        return None
    v = ratio * minimum
    if not 0.0 < v < math.inf:
        return None
    for _ in range(64):  # down to a value short of the ratio …
        if v / minimum < ratio:
            break
        v = math.nextafter(v, -math.inf)
    else:
        return None
    for _ in range(64):  # … then up to the first that reaches it
        v = math.nextafter(v, math.inf)
        if v / minimum >= ratio:
            return v
    return None


def _at_least(value: np.ndarray, least: tuple[float, float], primary: np.ndarray, other: np.ndarray,
              out: np.ndarray, spare: np.ndarray) -> np.ndarray:
    """Return into ``out`` whether each value reaches its stage's least value (``least``:
    primary's, the others'; ``other``: ~primary; ``spare``: a buffer)."""
    np.greater_equal(value, least[0], out=out)
    if least[1] != least[0]:
        out &= primary
        np.greater_equal(value, least[1], out=spare)
        spare &= other
        out |= spare
    return out


def _ratio_to_minimum(values: object, junior: np.ndarray, q: str, mins: np.ndarray,
                      out: np.ndarray | None = None) -> np.ndarray:
    """Return each unit's value of ``q`` over its stage's minimum (``junior``: 0 for a primary
    unit, 1 for the others, as np.where(primary, …) picks; ``mins``: a buffer for the
    minimums; ``out``: where to write the ratios)."""
    table = np.array([INDICATORS[q].minimum("primary"), INDICATORS[q].minimum("junior")], dtype=float)
    bits = table.view(np.int64)
    if bits[0] == bits[1]:  # one minimum (the same bits) for every unit: the same quotients, no gather
        return np.divide(np.asarray(values, dtype=float), table[0], out=out)
    np.take(table, junior, out=mins, mode="clip")  # the index is 0 or 1
    return np.divide(np.asarray(values, dtype=float), mins, out=out)


def _failing(met: np.ndarray) -> np.ndarray:
    """Return the tuple of indicators below their minimum per unit (``met``: indicators × units)."""
    code = np.zeros(met.shape[1], dtype=np.int64)  # bit j: QUALITY_IDS[j] below its minimum
    for j in range(len(met)):  # a row at a time (np.packbits along the first axis strides: 3 × slower)
        code |= (~met[j]).astype(np.int64) << j
    return ids_of_bits(code, [str(q) for q in QUALITY_IDS])


def _texts(name: str, of: np.ndarray) -> dict[str, np.ndarray]:
    """Return the text column ``name`` of quality_rule_columns (its maker: see there; ``of``:
    the units' pass, or which minimums they meet)."""
    return {name: _pass_fail(of) if name == "school_status" else _failing(of)}


def _pass_fail(passed: np.ndarray) -> np.ndarray:
    """Return 'pass' or 'fail' per unit as an object array (two shared strings)."""
    return np.array(["fail", "pass"], dtype=object)[passed.astype(np.intp)]


def basic_school_rule(units: pd.DataFrame, profile: ProvinceProfile | str | None = None,
                      stats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return, per basic unit, the profile's M-of-N verdict (profiles_school.judge_units):
    ``meets``, ``school_status`` (pass, fail, missing, approximated), ``school_pass`` (pass or
    approximated), ``failing``/``uncertain``/``approximated`` (tuples of item ids) and each
    item's value (``value_BS1`` …) and state.

    Indicators marked not applicable (e.g. dormitory area where there are no boarders) count as
    met, as 不涉及 does in provincial tables; ``stats`` are the class rows' facts per unit
    (profiles_school.class_stats).
    """
    return judge_units(units if isinstance(units, pd.DataFrame) else pd.DataFrame(units),
                       profile, stats)


# ---------------------------------------------------------------------------------------------
# County checklist

# Items computable from the schools table when the county table does not give them.
_SCHOOL_DERIVED: Final = ("G3", "G4", "G5")
_G4_THROUGH: Final = 2500.0  # 九年一贯制/十二年一贯制 义务教育阶段 ≤ 2500 (G4 rule note)


def derive_school_items(schools: pd.DataFrame) -> pd.DataFrame:
    """Return per-school G3 (music/art rooms per 12 classes), G4 (size) and G5 (class size) checks.

    G3: music_rooms and art_rooms each ≥ ceil(classes / 12) (room areas are not in the data);
    G4: compulsory enrolment ≤ 2000 (≤ 2500 for 一贯制); G5: average class size ≤ 45 (小学) /
    50 (初中), a lower bound on the real rule, which applies to every class.
    """
    std = standards_table()
    g4 = float(std.loc["G4", "primary_threshold"])
    g5_p = float(std.loc["G5", "primary_threshold"])
    g5_j = float(std.loc["G5", "junior_threshold"])
    cp = schools.get("classes_primary", 0).astype(float)
    cj = schools.get("classes_junior", 0).astype(float)
    sp = schools.get("students_primary", 0).astype(float)
    sj = schools.get("students_junior", 0).astype(float)
    classes = cp + cj
    need = np.ceil(classes / 12.0)
    g3 = (schools.get("music_rooms", 0) >= need) & (schools.get("art_rooms", 0) >= need)
    through = schools["school_type"].isin(["nine_year", "twelve_year"])
    g4_ok = (sp + sj) <= np.where(through, _G4_THROUGH, g4)
    with np.errstate(invalid="ignore", divide="ignore"):
        size_p = np.where(cp > 0, sp / cp, 0.0)
        size_j = np.where(cj > 0, sj / cj, 0.0)
    g5_ok = (size_p <= g5_p) & (size_j <= g5_j)
    return pd.DataFrame({
        "county_code": schools["county_code"].to_numpy(), "year": schools["year"].to_numpy(),
        "school_id": schools["school_id"].to_numpy(), "school_name": schools["school_name"].to_numpy(),
        "G3": g3.to_numpy(), "G4": np.asarray(g4_ok), "G5": g5_ok,
        "avg_class_primary": size_p, "avg_class_junior": size_j, "students": (sp + sj).to_numpy(),
    })


@dataclass(frozen=True)
class ChecklistItem:
    """One component of an assessment and its status for one county and year.

    status: "pass", "fail", "missing" (no data) or "approximated" (judged on an average or a
    count where the rule wants every class or room: never a pass); ``evidence`` is data-derived text (numbers,
    school names) and ``detail`` a machine-readable payload.
    """

    scheme: str  # "basic" or "quality"
    group: str  # cv, school_rule, government, quality, satisfaction, veto, prerequisite
    item_id: str
    name_zh: str
    name_en: str
    status: str
    value: str
    target: str
    evidence: str
    detail: tuple = ()


_GROUP_OF = {
    "county_threshold": "government", "veto": "veto", "government_assurance": "government",
    "education_quality": "quality", "social_recognition": "satisfaction",
    "prerequisite": "prerequisite",
}


# Units of the county items (standards.csv's unit column) as shown beside every figure.
_UNIT_KEY: Final = {"students": "students", "percent": "percent", "points": "points",
                    "yuan/student": "yuan_student", "students/class": "students_class",
                    "years": "years"}
_YES: Final = ("true", "1", "是", "yes")
_NO: Final = ("false", "0", "否", "no")


def _unit(std_unit: object, lang: str) -> str:
    key = _UNIT_KEY.get(str(std_unit))
    return t(f"checklist.unit.{key}", lang) if key else ""


def _measure(value: object, std_unit: object, lang: str) -> str:
    """Return a county item's figure as read (its decimals kept), with thousands separators
    and its unit ('2,990 人', '8.1%'); yes/no in words; other text as given."""
    text = str(value).strip()
    if text.lower() in _YES or text.lower() in _NO:
        return t("checklist.target.yes" if text.lower() in _YES else "checklist.target.no", lang)
    try:
        num = float(text)
    except ValueError:
        return text
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    figure, unit = f"{num:,.{decimals}f}", _unit(std_unit, lang)
    if unit == "%":
        return f"{figure}%"
    return f"{figure} {unit}" if unit else figure


def _key_text(key: str, lang: str, default: str) -> str:
    """Return the catalogue text of ``key`` when the catalogue has one, else ``default``."""
    return t(key, lang) if key in catalogue() else default


def _level_rate(value: object, lang: str) -> str:
    """Return E9's '<level>;<rate>' as words ('学业水平 III 级，校际差异率 0.12')."""
    level, _, rate = str(value).partition(";")
    return t("checklist.value.level_rate", lang, level=level.strip(), rate=rate.strip())


def _item_value_pass(row_std: pd.Series, value: str, passed, stage: str | None, lang: str) -> tuple[str, str]:
    """Return (status, target text with its unit) of a county item from its value or
    judgement."""
    direction = row_std["direction"]
    no, yes = t("checklist.target.no", lang), t("checklist.target.yes", lang)
    if direction == "must_be_false":
        if passed is not None and not pd.isna(passed):
            return ("pass" if bool(passed) else "fail"), no
        v = str(value).strip().lower()
        if v in _NO:
            return "pass", no
        if v in _YES:
            return "fail", no
        return "missing", no
    if passed is not None and not pd.isna(passed) and direction == "equals":
        return ("pass" if bool(passed) else "fail"), yes
    col = "junior_threshold" if stage == "junior" else "primary_threshold"
    thr_text = row_std[col] if not pd.isna(row_std[col]) else row_std["junior_threshold"]
    own_target = _key_text(f"checklist.target.{row_std.name}", lang, str(thr_text))
    try:
        thr = float(str(thr_text))
        num = float(str(value))
    except (TypeError, ValueError):
        if passed is not None and not pd.isna(passed):
            return ("pass" if bool(passed) else "fail"), own_target
        return "missing", own_target
    target = _measure(f"{thr:g}", row_std["unit"], lang)
    if direction == "min":
        return ("pass" if num >= thr else "fail"), f"≥ {target}"
    if direction == "max":
        return ("pass" if num <= thr else "fail"), f"≤ {target}"
    return ("pass" if bool(passed) else "fail"), own_target


def _shown_value(item_id: str, value: object, std_unit: object, lang: str) -> str:
    if value is None or pd.isna(value):
        return ""
    return _level_rate(value, lang) if item_id == "E9" else _measure(value, std_unit, lang)


def _names(item_id: str, srow: pd.Series) -> tuple[str, str]:
    """Return the (zh, en) names of a standards row; the catalogue's English name where the
    standards' one holds Chinese words or indicator ids."""
    return (str(srow["chinese_name"]),
            _key_text(f"checklist.name_en.{item_id}", "en", str(srow["english_name"])))


def _special(item_id: str, value: object, passed: object, facts: RuleFacts,
             lang: str) -> pc.Judged | None:
    """Return the itemised judgement of G11, G14, G15, P1, E9 and the profile's numeric vetoes (None:
    the item is judged by its standards row)."""
    if value is None or pd.isna(value) or not str(value).strip():
        return None
    if item_id == "G11":
        return pc.judge_g11(value, passed, lang)
    if item_id == "G14":
        return pc.judge_g14(value, passed, lang)
    if item_id == "G15":
        return pc.judge_g15(value, passed, lang)
    if item_id == "P1":
        return pc.judge_p1(value, passed, lang)
    if item_id == "E9":
        return pc.judge_e9(value, lang)
    return pc.judge_veto(item_id, value, facts.profile, lang)


def _county_items(scheme: str, county: pd.DataFrame | None, lang: str,
                  facts: RuleFacts | None = None) -> list[ChecklistItem]:
    facts = facts or RuleFacts()
    std = standards_table()
    csv_scheme = {"basic": "basic_2012", "quality": "quality_2017"}[scheme]
    rows = std[(std["scheme"] == csv_scheme) & std["group"].isin(list(_GROUP_OF))]
    rows = rows[~rows.index.isin(["B_CV_COMPOSITE", "Q_CV_EACH"])]
    items = []
    # the county table's rows of each item as plain records, split once: a frame filter and
    # itertuples per item cost most of a verdict's time
    by_item: dict[str, list[dict]] = {}
    for rec in (county.to_dict("records") if county is not None else ()):
        by_item.setdefault(str(rec["item_id"]), []).append(rec)
    for item_id, srow in rows.iterrows():
        given = by_item.get(str(item_id), [])
        group = _GROUP_OF[srow["group"]]
        if item_id in ("B_SATISFACTION",):
            group = "satisfaction"
        if item_id == "B_GOV_SCORE" and county is not None:
            judged = pc.gov_items(county, lang)
            if judged is not None:
                items.append(ChecklistItem(scheme, group, str(item_id), *_names(str(item_id), srow),
                                           judged.status, judged.value, judged.target,
                                           judged.evidence, pc.GOV_ITEMS))
                continue
        if not given:
            veto = load_profile(facts.profile).veto(str(item_id))
            need = t("rules.veto.needs", lang, name=veto["name_zh" if lang == "zh" else "name_en"]) \
                if veto else ""
            items.append(ChecklistItem(scheme, group, str(item_id), *_names(str(item_id), srow),
                                       "missing", "", "", need))
            continue
        statuses, values, targets, evidence, notes = [], [], [], [], []
        sep = _separator(lang)
        for g in given:
            stage = g.get("stage")
            stage = None if stage is None or pd.isna(stage) or stage == "" else str(stage)
            passed = g.get("passed")
            judged = _special(str(item_id), g["value"], passed, facts, lang)
            if judged is None:
                st, target = _item_value_pass(srow, g["value"], passed, stage, lang)
                shown = _shown_value(str(item_id), g["value"], srow["unit"], lang)
            else:
                st, target, shown = judged.status, judged.target, judged.value
                if judged.evidence:
                    notes.append(judged.evidence)
            statuses.append(st)
            prefix = f"{t(f'stage.{stage}', lang)} " if stage else ""
            values.append(f"{prefix}{shown}" if shown else "")
            targets.append(f"{prefix}{target}")
            ev = g.get("evidence", "")
            if lang == "zh" and ev is not None and not pd.isna(ev) and str(ev):
                evidence.append(str(ev))
        if not evidence:  # the county's own notes are Chinese text: other languages get ours
            evidence.append(t("checklist.evidence.county_table", lang))
        evidence += notes
        status = next((s for s in ("fail", "missing", "approximated") if s in statuses), "pass")
        items.append(ChecklistItem(scheme, group, str(item_id), *_names(str(item_id), srow),
                                   status, sep.join(values), sep.join(targets),
                                   sep.join(evidence)))
    return items


def county_items(scheme: str, *, county_code: str, year: int, county: pd.DataFrame | None,
                 schools: pd.DataFrame | None = None, lang: str = "zh",
                 stage: str | None = None, facts: RuleFacts | None = None) -> list[ChecklistItem]:
    """Return the county-level items of ``scheme`` for one county and year (docs/method.md §5):
    the rows of the county table (None: every item missing), G3–G5 derived from ``schools``
    where the table lacks them.  With ``stage``, only the rows for every stage and for that
    stage are judged.  ``facts``: the profile (numeric vetoes) and the class and room rows
    (G3 room areas, G5 on every class); see profiles_county."""
    facts = facts or RuleFacts()

    def sel(df: pd.DataFrame) -> pd.DataFrame:
        return df[(df["county_code"].astype(str) == str(county_code)) & (df["year"] == year)]

    cty = sel(county) if county is not None else None
    other_stage: set[str] = set()  # items given only for another stage: not this stage's
    if cty is not None and stage is not None and "stage" in cty.columns:
        blank = cty["stage"].isna() | (cty["stage"].astype(str) == "")
        mine = blank | (cty["stage"] == stage)
        other_stage = set(cty.loc[~mine, "item_id"].astype(str)) - set(cty.loc[mine, "item_id"].astype(str))
        cty = cty[mine]
    scoped_schools = sel(schools) if schools is not None else None
    items = []
    for it in _county_items(scheme, cty, lang, facts):
        if it.item_id in other_stage:
            continue
        if it.status == "missing" and it.item_id in _SCHOOL_DERIVED and scoped_schools is not None:
            it = _derived_item(it, scoped_schools, lang, facts, stage)
        elif it.item_id == "G4" and scoped_schools is not None and not scoped_schools.empty:
            it = _g4_with_schools(it, cty, scoped_schools, lang)
        items.append(it)
    return items


def _g4_with_schools(item: ChecklistItem, county: pd.DataFrame | None, schools: pd.DataFrame,
                     lang: str) -> ChecklistItem:
    """Judge a typed G4 beside the schools table (docs/method.md §5).  One figure cannot carry
    the 2,500-pupil limit of a 一贯制 school, so a typed figure over 2,000 and within 2,500 is
    judged school by school; a typed pass the schools table contradicts becomes a fail naming
    the schools.  A typed figure over 2,500, or one the schools table agrees with, stays."""
    d = derive_school_items(schools)
    bad = d[~d["G4"]]
    limit = float(standards_table().loc["G4", "primary_threshold"])
    figures = pd.to_numeric(
        county.loc[county["item_id"].astype(str) == "G4", "value"], errors="coerce"
    ) if county is not None else pd.Series(dtype=float)
    within_through = bool(len(figures)) and bool(((figures > limit) & (figures <= _G4_THROUGH)).all())
    if item.status == "fail" and within_through:
        key = "checklist.evidence.g4_through_pass" if bad.empty else "checklist.evidence.g4_through_fail"
    elif item.status == "pass" and not bad.empty:
        key = "checklist.evidence.g4_schools_fail"
    else:
        return item
    sep = "、" if lang == "zh" else ", "
    return ChecklistItem(
        item.scheme, item.group, item.item_id, item.name_zh, item.name_en,
        "pass" if bad.empty else "fail", item.value, item.target,
        t(key, lang, value=item.value, names=sep.join(bad["school_name"].astype(str)),
          passed=len(d) - len(bad), total=len(d)),
        tuple(bad["school_id"]),
    )


def county_checklist(
    *,
    county_code: str,
    year: int,
    indicators: pd.DataFrame,
    composites: pd.DataFrame,
    school_rules: pd.DataFrame,
    schools: pd.DataFrame | None = None,
    county: pd.DataFrame | None = None,
    lang: str = "zh",
    facts: RuleFacts | None = None,
) -> list[ChecklistItem]:
    """Return every component of both assessments for one county and year, verdicts first,
    then failures first.

    ``indicators``/``composites``/``school_rules`` are the engine's tables (see engine.evaluate);
    ``county`` the county-items table (docs/method.md §5, data contract §4), ``schools`` the
    schools table (used to derive G3–G5 when the county table lacks them).  The verdicts
    (group "verdict") are those of dashboard.method.verdict: ``VERDICT:<scheme>`` over all
    stages, ``VERDICT:<scheme>:<stage>`` per stage.  Texts are in ``lang``.
    """
    from dashboard.method.verdict import county_verdicts

    def sel(df: pd.DataFrame) -> pd.DataFrame:
        return df[(df["county_code"] == county_code) & (df["year"] == year)]

    items = [*_composite_items(sel(composites), sel(indicators), lang),
             *_quality_cv_items(sel(indicators), lang),
             *_school_rule_items(sel(school_rules), lang, facts)]
    for scheme in SCHEMES:
        items += county_items(scheme, county_code=county_code, year=year, county=county,
                              schools=schools, lang=lang, facts=facts)
    verdicts = county_verdicts(county_code=county_code, year=year, indicators=indicators,
                               composites=composites, school_rules=school_rules,
                               schools=schools, county=county, lang=lang, facts=facts)
    parts = list(items)
    for scheme in SCHEMES:
        if (scheme, None) in verdicts:
            items.append(_verdict_item(scheme, parts, verdicts[(scheme, None)], lang))
        for stage in ("primary", "junior"):
            if (scheme, stage) in verdicts:
                items.append(_stage_verdict_item(verdicts[(scheme, stage)], lang))
    order = {"fail": 0, "missing": 1, "approximated": 2, "near": 3, "pass": 4}
    return sorted(items, key=lambda i: (i.group != "verdict", order[i.status]))


def _separator(lang: str) -> str:
    return "；" if lang == "zh" else "; "


def _short(indicator: str, lang: str) -> str:
    ind = INDICATORS[indicator]
    return ind.short_zh if lang == "zh" else ind.short_en


def _composite_items(comp: pd.DataFrame, ind: pd.DataFrame, lang: str) -> list[ChecklistItem]:
    """Return the basic composite CV of each stage, with the 8 CVs as evidence."""
    std = standards_table()
    dp = DEFAULT_PARAMS.round_dp
    items = []
    for r in comp.itertuples(index=False):
        stage_name = t(f"stage.{r.stage}", lang)
        cvs = ind[(ind["scheme"] == "basic") & (ind["stage"] == r.stage)]
        items.append(ChecklistItem(
            "basic", "cv", f"B_CV_COMPOSITE:{r.stage}",
            f"{std.loc['B_CV_COMPOSITE', 'chinese_name']}（{t(f'stage.{r.stage}', 'zh')}）",
            f"{t('checklist.name_en.B_CV_COMPOSITE', 'en')} ({t(f'stage.{r.stage}', 'en')})",
            "pass" if r.passed else "fail", f"{r.composite_cv:.{dp}f}", f"≤ {r.threshold:.2f}",
            t("checklist.evidence.cvs", lang, stage=stage_name,
              cvs=_separator(lang).join(f"{_short(i.indicator, lang)} {i.cv:.{dp}f}"
                                        for i in cvs.itertuples())),
        ))
    return items


def _quality_cv_items(ind: pd.DataFrame, lang: str) -> list[ChecklistItem]:
    """Return each quality indicator's CV per stage, with the county mean as evidence."""
    dp = DEFAULT_PARAMS.round_dp
    items = []
    for r in ind[ind["scheme"] == "quality"].itertuples(index=False):
        q = INDICATORS[r.indicator]
        items.append(ChecklistItem(
            "quality", "cv", f"{r.indicator}:{r.stage}",
            t("checklist.quality_cv", "zh", name=q.name_zh, stage=t(f"stage.{r.stage}", "zh")),
            t("checklist.quality_cv", "en", name=q.name_en, stage=t(f"stage.{r.stage}", "en")),
            "pass" if r.passed else "fail", f"{r.cv:.{dp}f}", f"≤ {r.threshold:.2f}",
            t("checklist.evidence.mean", lang, mean=f"{r.mean:,.{q.decimals}f}", unit=q.unit(lang)),
        ))
    return items


def _school_rule_items(rules: pd.DataFrame, lang: str,
                       facts: RuleFacts | None = None) -> list[ChecklistItem]:
    """Return the school rule of each scheme: how many units pass, the failing ones named;
    the basic rule under the chosen profile (its name and M-of-N rule in the evidence), with
    the units judged only on an approximation or lacking data counted apart."""
    from dashboard.method.verdict import code_key, school_statuses  # verdict imports this module

    std = standards_table()
    sep = _separator(lang)
    prof = load_profile((facts or RuleFacts()).profile)
    items = []
    for scheme in SCHEMES:
        sr = rules[rules["scheme"] == scheme]
        if sr.empty:
            continue
        status = school_statuses(sr)
        failing = sr[status == "fail"]
        if "school_id" in failing:  # 小学 before 初中, then by school code, as the report lists them
            stage_rank = failing["stage"].map({s: k for k, s in enumerate(STAGES)})
            failing = failing.assign(_stage=stage_rank, _code=code_key(failing["school_id"])).sort_values(
                ["_stage", "_code"], kind="stable")
        unsure = sr[status.isin(["missing", "approximated"])]
        names = sep.join(t("checklist.unit_of_school", lang, school=n, stage=t(f"stage.{s}", lang))
                         for n, s in zip(failing["school_name"], failing["stage"]))
        row_id = "BS_RULE" if scheme == "basic" else "Q_SCHOOL_RULE"
        evidence = (t("checklist.evidence.failing_schools", lang, n=len(failing), names=names)
                    if len(failing) else "" if len(unsure)
                    else t("checklist.evidence.all_schools_pass", lang))
        overall = "fail" if len(failing) else "pass"
        if len(unsure):
            approx = int((status == "approximated").sum())
            evidence += (sep if evidence else "") + t(
                "rules.school.unsure", lang, approximated=approx, missing=len(unsure) - approx)
            if not len(failing):
                overall = "missing" if len(unsure) > approx else "approximated"
        if scheme == "basic":
            if len(unsure) and "uncertain" in sr:
                ids = sorted({i for u in unsure["uncertain"] if isinstance(u, tuple) for i in u})
                what = pc.needed(prof.id, ids, lang)
                if what:
                    evidence += sep + t("rules.school.needed", lang, items=what)
            evidence = t("rules.school.profile", lang, name=prof.name(lang),
                         rule=prof.rule_text(lang)) + sep + evidence
        names_of = (_names(row_id, std.loc[row_id]) if scheme == "quality" else
                    (t("rules.school.name", "zh", rule=prof.rule_text("zh")),
                     t("rules.school.name", "en", rule=prof.rule_text("en"))))
        items.append(ChecklistItem(
            scheme, "school_rule", row_id, *names_of, overall,
            t("checklist.value.units", lang, passed=int((status == "pass").sum()), total=len(sr))
            + (t("checklist.value.units_rest", lang, failing=len(failing),
                 approximated=int((status == "approximated").sum()),
                 missing=int((status == "missing").sum())) if len(failing) or len(unsure) else ""),
            t("checklist.target.units", lang, total=len(sr)), evidence,
            tuple(failing["unit_id"]) + tuple(unsure["unit_id"]),
        ))
    return items


def _verdict_item(scheme: str, items: list[ChecklistItem], verdict: Verdict,
                  lang: str) -> ChecklistItem:
    """Return the scheme's verdict over all stages (dashboard.method.verdict), with the
    failing components named and their ids as detail."""
    parts = [i for i in items if i.scheme == scheme]
    failed = [i for i in parts if i.status == "fail"]
    missing = [i.item_id for i in parts if i.status in ("missing", "approximated")]
    evidence = (t("checklist.evidence.failing_components", lang,
                  names=_separator(lang).join(i.name_zh if lang == "zh" else i.name_en
                                              for i in failed))
                if failed else verdict.text)
    return ChecklistItem(
        scheme, "verdict", f"VERDICT:{scheme}", t("checklist.verdict", "zh"),
        t("checklist.verdict", "en"), verdict.status,
        t("checklist.verdict_value", lang, failed=len(failed), missing=len(missing)),
        t("checklist.verdict_target", lang), evidence, tuple(i.item_id for i in failed),
    )


def _stage_verdict_item(verdict: Verdict, lang: str) -> ChecklistItem:
    """Return one stage's verdict of a scheme: each component's status, the verdict's text."""
    stage = str(verdict.stage)
    value = _separator(lang).join(
        f"{t(f'verdict.part_title.{c.kind}' if k == 0 else f'verdict.part.{c.kind}', lang)}"
        f"{'：' if lang == 'zh' else ': '}{t(f'status.{c.status}', lang)}"
        for k, c in enumerate(verdict.components))  # a capital where the cell begins
    return ChecklistItem(
        verdict.scheme, "verdict", f"VERDICT:{verdict.scheme}:{stage}",
        t("verdict.checklist.stage", "zh", stage=t(f"stage.{stage}", "zh")),
        t("verdict.checklist.stage", "en", stage=t(f"stage.{stage}", "en")), verdict.status,
        value, t("checklist.verdict_target", lang), verdict.text,
        tuple(i for c in verdict.components if c.status in ("fail", "missing") for i in c.ids),
    )


def _derived_item(item: ChecklistItem, schools: pd.DataFrame, lang: str,
                  facts: RuleFacts | None = None, stage: str | None = None) -> ChecklistItem:
    """Fill G3/G4/G5 from the schools table (status and the names of the failing schools);
    G3 and G5 with the room and class rows when given (profiles_county.derive_g3/derive_g5):
    judged on counts or averages alone they are at best ``approximated``."""
    if schools.empty:
        return item
    facts = facts or RuleFacts()
    if item.item_id in ("G3", "G5"):
        j = (pc.derive_g3(schools, _rows_of(facts.rooms, schools), lang) if item.item_id == "G3"
             else pc.derive_g5(schools, _rows_of(facts.classes, schools), lang, stage))
        return ChecklistItem(item.scheme, item.group, item.item_id, item.name_zh, item.name_en,
                             j.status, j.value, j.target, j.evidence, j.ids)
    d = derive_school_items(schools)
    bad = d[~d[item.item_id]]
    sep = "、" if lang == "zh" else ", "
    return ChecklistItem(
        item.scheme, item.group, item.item_id, item.name_zh, item.name_en,
        "pass" if bad.empty else "fail",
        t("checklist.value.schools", lang, passed=len(d) - len(bad), total=len(d)),
        t("checklist.target.schools", lang, total=len(d)),
        t("checklist.evidence.derived", lang, names=sep.join(bad["school_name"])) if len(bad)
        else t("checklist.evidence.derived_all_pass", lang),
        tuple(bad["school_id"]),
    )


def _rows_of(rows: pd.DataFrame | None, schools: pd.DataFrame) -> pd.DataFrame | None:
    """Return the class or room rows of the schools' year (all rows when they carry none)."""
    if rows is None or rows.empty or "year" not in rows.columns or schools.empty:
        return rows
    return rows[rows["year"].isin(schools["year"].unique())]
