"""Evaluation units: (school, stage) rows with apportioned resources, after the scope rules.

A unit is one school at one stage (小学部 / 初中部).  Shared physical resources of 一贯制 schools
and 完全中学 are apportioned between stages by weighted enrolment (docs/method.md §6.1):

    share_s = w_s · N_s / Σ_t w_t · N_t

with weights 1 : 1.1 (九年一贯制 小学:初中), 1 : 1.2 (完全中学 初中:高中) and 1 : 1.1 : 1.32
(十二年一贯制), or plain enrolment (all weights 1).  Teacher counts are reported by stage and are
not apportioned.

Scope (docs/method.md §6): basic — private and non-county-run schools out, teaching points merged into their
parent's unit of the same stage (primary: a 小学教学点 has no other pupils); quality — teaching points under the cut-off out, private in (switch),
non-county-run out (switch).  Everything is vectorised over any number of counties and years.

>>> import pandas as pd
>>> s = pd.DataFrame({"school_id": ["a"], "school_type": ["nine_year"], "students_primary": [166],
...     "students_junior": [210], "students_senior": [0], "books": [23226]})
>>> shares = stage_shares(s)
>>> int(shares["primary"].iloc[0] * 23226)   # S6 published example: 9 711 whole books
9711
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.lazy_columns import LAZY_LOCK, UnitColumns, stage_masks  # noqa: F401 (read from here too)

# the text columns' and the keys' helpers (tests read them from here too)
from dashboard.method.school_text import _equals, _type_flags, _types_are  # noqa: F401
from dashboard.method.standards import DEFAULT_PARAMS, INDICATORS, STAGES, EvalParams, scheme_ids
from dashboard.method.unit_keys import _dense_rank, _id_codes, _school_ids, _sort_rank  # noqa: F401

__all__ = [
    "SHARED_COLUMNS",
    "STAGE_COLUMNS",
    "UNIT_KEY",
    "stage_shares",
    "build_units",
    "unit_columns",
    "indicator_values",
    "RawUnits",
    "raw_units",
    "scheme_units",
    "scheme_units_streamed",
    "UnitColumns",
    "stage_masks",
]

# Whole-school resources apportioned between stages (units keep the same names).
SHARED_COLUMNS: Final = (
    "teaching_aux_area_m2",
    "sports_area_m2",
    "equipment_value_yuan",
    "computers",
    "books",
    "multimedia_rooms",
    "building_area_m2",
)
# Stage-reported columns: ``<name>_<stage>`` in schools, ``<name>`` in units.
STAGE_COLUMNS: Final = (
    "students",
    "classes",
    "teachers",
    "teachers_above_degree",
    "teachers_mid_title",
    "teachers_backbone",
    "teachers_pe_art",
)
# Attributes carried from the school to each of its units.
_ATTRS: Final = (
    "year",
    "county_code",
    "county_name",
    "school_id",
    "school_name",
    "township",
    "school_type",
    "parent_school_id",
    "ownership",
    "county_run",
    "urban_rural_code",
    "longitude",
    "latitude",
)
UNIT_KEY: Final = ("county_code", "year", "stage")


def _col(frame: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default, dtype=float)
    col = frame[name]
    if col.dtype.kind in "iub":  # no missing value to fill
        return col.to_numpy(dtype=float)
    return col.fillna(default).to_numpy(dtype=float)


def _col_into(frame: pd.DataFrame, name: str, out: np.ndarray, default: float = 0.0) -> np.ndarray:
    """Write _col(frame, name, default) into ``out`` (one pass, no temporary for numbers)."""
    col = frame[name] if name in frame.columns else None
    if col is None:
        out.fill(default)
    elif isinstance(col.dtype, np.dtype) and col.dtype.kind in "iubf":
        np.copyto(out, col.to_numpy(), casting="unsafe")  # as to_numpy(dtype=float)
        if col.dtype.kind == "f":
            np.copyto(out, default, where=np.isnan(out))  # as fillna
    else:
        out[:] = _col(frame, name, default)
    return out


def _series_values(col: pd.Series | None, rows: np.ndarray, default: float = 0.0,
                   cast: bool = True) -> np.ndarray:
    """Return ``_col(frame, name, default)[rows]`` of the column ``col`` (None: absent) as a
    fresh array, gathered straight from the column (no float copy of every school first): the
    same values, so the same bits.  ``cast=False``: an integer or boolean column's values are
    left as they are (the caller writes or multiplies them into floats: the same conversion)."""
    if col is None:
        return np.full(len(rows), default, dtype=float)
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iubf":
        picked = col.to_numpy()[rows]
        if not cast and col.dtype.kind in "iub":
            return picked
        out = picked.astype(float, copy=False)  # as to_numpy(dtype=float)
        if col.dtype.kind == "f":
            np.copyto(out, default, where=np.isnan(out))  # as fillna
        return out
    if col.dtype.kind in "iub":  # as _col: no missing value to fill
        return col.to_numpy(dtype=float)[rows]
    return col.fillna(default).to_numpy(dtype=float)[rows]


def _series_into(col: pd.Series | None, out: np.ndarray, default: float = 0.0) -> np.ndarray:
    """Write _col's values of a column already looked up (None: absent) into ``out``: the
    values _series_values gathers, so the same bits."""
    if col is None:
        out.fill(default)
    elif isinstance(col.dtype, np.dtype) and col.dtype.kind in "iubf":
        np.copyto(out, col.to_numpy(), casting="unsafe")  # as astype(float)
        if col.dtype.kind == "f":
            np.copyto(out, default, where=np.isnan(out))  # as fillna
    elif col.dtype.kind in "iub":  # as _col: no missing value to fill
        out[:] = col.to_numpy(dtype=float)
    else:
        out[:] = col.fillna(default).to_numpy(dtype=float)
    return out


def _weighted_shares(schools: pd.DataFrame, params: EvalParams,
                     students: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                     out: np.ndarray | None = None, types: _Types | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return each school's (primary, junior) share of shared resources as arrays.

    ``students``: the primary, junior and senior enrolments as _col gives them (else read);
    ``out``: a (2, schools) array to write the shares into; ``types``: _typed_rows and their
    _types_are flags, read already (else read)."""
    a, b, c = students if students is not None else (
        _col(schools, "students_primary"), _col(schools, "students_junior"), _col(schools, "students_senior"))
    if params.split_mode == "plain":
        wa_a, wb_b, wc_c = a * 1.0, b * 1.0, c * 1.0
    else:
        wa_a, wb_b, wc_c = _weighted(schools, params, a, b, c, types)
    total = wa_a + wb_b
    total += wc_c
    share = np.empty((2, len(schools))) if out is None else out
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(wa_a, total, out=share[0])
        np.divide(wb_b, total, out=share[1])
    weighted = total > 0
    if not weighted.all():  # no weighted enrolment: no share
        share[:, ~weighted] = 0.0
    return share[0], share[1]


def _weighted(schools: pd.DataFrame, params: EvalParams, a: np.ndarray, b: np.ndarray,
              c: np.ndarray, types: _Types | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each school's primary, junior and senior enrolments times their weights.

    小学:初中 1 : 1.1 for every school with both stages, 完全中学 初中:高中 1 : 1.2, 十二年一贯制
    1 : 1.1 : 1.32.  The type is read (text compared) only where it can change a share (see
    _typed_rows).  The others are weighted as a 九年一贯制 school is (the products w × N
    commute: the same bits).  ``types``: the rows and their flags, read already."""
    p9, j9 = params.split_nine_year
    jw, sw = params.split_complete_secondary
    p12, j12, s12 = params.split_twelve_year
    if types is None:
        rows = _typed_rows(schools, params, a, b, c)
        is_wz, is_12 = _types_are(schools["school_type"], rows, _WEIGHTED_TYPES)
    else:
        rows, (is_wz, is_12) = types
    wa_a, wb_b, wc_c = a * p9, b * j9, c * 1.0
    wa_a[rows] = np.where(is_12, p12, p9) * a[rows]
    wb_b[rows] = np.where(is_wz, jw, np.where(is_12, j12, j9)) * b[rows]
    wc_c[rows] = np.where(is_wz, sw, np.where(is_12, s12, 1.0)) * c[rows]
    return wa_a, wb_b, wc_c


_WEIGHTED_TYPES: Final = ("complete_secondary", "twelve_year")  # the types _weighted reads
_Types = tuple[np.ndarray, list[np.ndarray]]  # _typed_rows and their _types_are flags


def _typed_rows(schools: pd.DataFrame, params: EvalParams, a: np.ndarray, b: np.ndarray,
                c: np.ndarray) -> np.ndarray:
    """Return the schools (in order) whose type _weighted reads.

    A school with pupils at one stage at most has the share 1 (or NaN, or 0) there and ±0
    elsewhere whatever its positive weights, as long as no product w × N overflows or
    underflows — proven here when the enrolments are whole numbers (integer columns: 0 or
    1 ≤ |N| < 2⁶³) and the weights lie in [1e-250, 1e250]; otherwise every school is read."""
    p9, j9 = params.split_nine_year  # unpacked as _weighted does (the same errors)
    jw, sw = params.split_complete_secondary
    p12, j12, s12 = params.split_twelve_year
    weights = np.array([p9, j9, jw, sw, p12, j12, s12, 1.0])
    whole = all(name not in schools.columns or (isinstance(schools[name].dtype, np.dtype)
                                                and schools[name].dtype.kind in "iub")
                for name in ("students_primary", "students_junior", "students_senior"))
    if whole and bool(((weights >= 1e-250) & (weights <= 1e250)).all()):
        stages = (a != 0).astype(np.int8)
        stages += b != 0
        stages += c != 0
        return np.flatnonzero(stages >= 2)
    return np.arange(len(schools))


def stage_shares(schools: pd.DataFrame, params: EvalParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """Return each school's share (0–1) of shared resources for 'primary' and 'junior'.

    The senior (高中) share is the remainder.  A school with no weighted enrolment gets 0.
    """
    share_p, share_j = _weighted_shares(schools, params)
    return pd.DataFrame({"primary": share_p, "junior": share_j}, index=schools.index)


def indicator_values(units: pd.DataFrame, ids: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Return the per-unit values of indicators ``ids`` in official units (see indicators.csv).

    ``value = numerator × scale / students``; NaN where the unit has no pupils.
    """
    students = units["students"].to_numpy(dtype=float)
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for ind_id in ids:
            ind = INDICATORS[ind_id]
            num = units[ind.numerator].to_numpy(dtype=float)
            out[ind_id] = np.where(students > 0, num * ind.scale / students, np.nan)
    return pd.DataFrame(out, index=units.index)


@dataclass
class _StageBuffer:
    """A buffer of every school's values of one stage-reported column, and its name."""

    name: str | None = None
    buf: np.ndarray | None = None


@dataclass(frozen=True)
class RawUnits:
    """Every (school, stage) with pupils at that stage, before any scope rule.

    Row order is the historical one (all primary units in school order, then junior), which
    keeps floating-point sums (teaching points merged into parents) exactly as they were.
    ``key`` sorts units by county, year, stage and unit id; ``key // id_span`` is the group.
    """

    schools: pd.DataFrame
    src: np.ndarray  # school row of each unit
    stage: np.ndarray  # index into STAGES
    ids: np.ndarray  # per school: school_id as text (unit ids are made of it on demand)
    key: np.ndarray
    group: np.ndarray  # key // id_span
    id_span: int
    parent: np.ndarray  # per school: its parent's id rank, -1 if none (see _parents)
    share: np.ndarray  # (len(STAGES), schools): share of shared resources
    by_stage: dict[str, np.ndarray]  # "students": all schools' primary, then junior enrolments
    av_all: np.ndarray  # per school: 班班通 in every class
    order: np.ndarray  # the units sorted by key (stable)
    private: np.ndarray  # per school
    county_run: np.ndarray
    is_tp: np.ndarray
    unit_tp: np.ndarray  # per unit: whether its school is a teaching point
    columns: dict[str, pd.Series | None]  # the schools' columns the units read (filled as read)
    scratch: _StageBuffer = field(default_factory=_StageBuffer)  # see _Summer._by_stage
    nan_free: dict[str, bool] = field(default_factory=dict)  # float columns known to hold no NaN


def raw_units(schools: pd.DataFrame, params: EvalParams = DEFAULT_PARAMS) -> RawUnits:
    """Return the units of every scheme before scope rules (one pass shared by both schemes)."""
    n = len(schools)
    n_st = len(STAGES)
    # enrolments straight into their (all primary, then all junior) layout; the other columns
    # are gathered per unit straight from schools (_Summer, _series_values)
    by_stage = {"students": np.empty(n_st * n)}
    num = {f"students_{st}": _col_into(schools, f"students_{st}", by_stage["students"][k * n:(k + 1) * n])
           for k, st in enumerate(STAGES)}
    for name in ("students_senior", "classes_with_av", "classes_primary", "classes_junior"):
        num[name] = _col_into(schools, name, np.empty(n))
    idx = [np.flatnonzero(num[f"students_{st}"] > 0) for st in STAGES]
    src = np.concatenate(idx)
    stage = np.repeat(np.arange(n_st), [len(i) for i in idx])
    students = (num["students_primary"], num["students_junior"], num["students_senior"])
    # the types the shares read (their schools') in the same pass over the types as is_tp
    typed = None if params.split_mode == "plain" else _typed_rows(schools, params, *students)
    is_tp, flags = _type_flags(schools["school_type"], "teaching_point", typed, _WEIGHTED_TYPES)
    # Only a teaching point looks for its parent.
    tp_rows = np.flatnonzero(is_tp) if "parent_school_id" in schools.columns else np.zeros(0, np.int64)
    ids, rank, tp_parent = _school_ids(schools, tp_rows)
    county = _sort_rank(schools["county_code"].to_numpy())
    year = _sort_rank(schools["year"].to_numpy())
    stage_rank = np.argsort(np.argsort(np.array(STAGES, dtype=object)))  # alphabetical
    cy = county * (int(year.max(initial=0)) + 1) + year
    id_span = int(rank.max(initial=0)) + 1
    group = cy[src] * n_st + stage_rank[stage]  # county, year, stage: the unit's group, sorted
    key = group * id_span
    key += rank[src]
    # each school's parent's id rank (-1: none; a parent that is no school's id finds no unit):
    # _parents makes the key a teaching point's parent unit would have
    parent = np.full(n, -1, dtype=np.int64)
    parent[tp_rows] = np.where(tp_parent < id_span, tp_parent, -1)
    share = np.empty((n_st, n))
    _weighted_shares(schools, params, students, share,
                     None if typed is None or flags is None else (typed, flags))
    private = (_equals(schools["ownership"], "private") if "ownership" in schools
               else np.zeros(n, bool))
    if "county_run" in schools.columns:
        run = schools["county_run"]  # blank: county-run (where, not fillna: no object downcast warning)
        county_run = (run.to_numpy(dtype=bool, copy=True) if run.dtype == np.bool_  # no blank to fill
                      else run.where(run.notna(), True).astype(bool).to_numpy())
    else:
        county_run = np.ones(n, bool)
    av_all = num["classes_with_av"] >= num["classes_primary"] + num["classes_junior"]
    return RawUnits(schools, src, stage, ids, key, group, id_span, parent, share,
                    by_stage, av_all, np.argsort(key, kind="stable"), private, county_run, is_tp,
                    is_tp[src], {})


def _parents(raw: RawUnits, rows: np.ndarray, is_tp: np.ndarray, in_scope: np.ndarray) -> np.ndarray:
    """Return, per raw unit in ``rows`` (raw order), the index in ``rows`` of the parent's
    unit of the same stage a teaching point merges into (basic scheme), -1 for none.

    Unit ids repeat across counties and years: a parent is looked up within (county, year),
    by its key among the units in scope (``in_scope``: per raw unit), sorted.  A teaching point
    is no parent (the contract's ``parent_exists`` refuses one; an unchecked frame may still
    name one, or the point itself): a point merged into a unit that is merged away in turn
    would lose its pupils, so such a point stays a unit of its own."""
    target = np.full(len(rows), -1, dtype=np.int64)
    tp = np.flatnonzero(is_tp)
    if not len(tp):
        return target
    ordered = raw.order[in_scope[raw.order] & ~raw.unit_tp[raw.order]]
    keys = raw.key[ordered]
    if len(keys) > 1 and (keys[1:] == keys[:-1]).any():
        # the same unit twice (a school id repeated in a county and year): no parent can be
        # told apart, as pandas says
        pd.Index(keys).get_indexer(keys[:1])
    # the key its parent's unit of the same stage would have (-1: none).  A 小学教学点 has
    # primary pupils only; should one report junior pupils, they join the parent's junior
    # unit, never its primary one (stages are never mixed)
    units = rows[tp]
    parent = raw.parent[raw.src[units]]
    want = np.where(parent >= 0, raw.group[units] * raw.id_span + parent, -1)
    at = np.minimum(np.searchsorted(keys, want), max(len(keys) - 1, 0))
    found = (want >= 0) & (keys[at] == want) if len(keys) else np.zeros(len(tp), bool)
    target[tp[found]] = np.searchsorted(rows, ordered[at[found]])
    return target


@dataclass(frozen=True)
class _Merge:
    """Teaching-point units merged into their parent's unit of the same stage (basic scheme):
    the raw units involved (the merged points and their parents, raw order: school and
    stage), the place among them each one's numbers are summed into (``into``), the parents
    among them (``stays``) and their places among the kept units (``dest``)."""

    src: np.ndarray
    stage: np.ndarray
    into: np.ndarray
    stays: np.ndarray
    dest: np.ndarray


def _merge_plan(raw: RawUnits, rows: np.ndarray, target: np.ndarray, r: np.ndarray
                ) -> tuple[_Merge | None, Callable[[], dict[str, np.ndarray]]]:
    """Return how teaching-point units merge into their parent's unit of the same stage
    (basic scheme; None: no merge) and the teaching points merged into each kept unit.

    ``rows`` are the raw units in scope (raw order), ``target`` each one's parent in ``rows``
    (-1: none), ``r`` the units kept (sorted).  The sums are taken over the merged points and
    their parents only, in raw order from 0.0, as a bincount over every unit would take them
    (so every other value gains + 0.0: a -0.0 becomes 0.0; see _Summer.column).  A point whose
    parent has no unit of that stage in scope stays a unit of its own, so that no pupils are
    silently lost.  The count of points is made on first read (``merged_points``: no verdict
    reads it)."""
    merged = target >= 0
    if not merged.any():
        return None, partial(_merged_points, len(r), None, None)
    part = np.zeros(len(rows), bool)
    part[merged] = True
    part[target[merged]] = True
    involved = np.flatnonzero(part)  # raw order
    into = np.searchsorted(involved, np.where(merged[involved], target[involved], involved))
    stays = np.flatnonzero(~merged[involved])  # the parents among them
    sorted_keys = raw.key[r]
    dest = np.searchsorted(sorted_keys, raw.key[rows[involved[stays]]])  # their place in r
    counts = np.bincount(into, weights=merged[involved].astype(float), minlength=len(involved)).astype(np.int64)
    return (_Merge(raw.src[rows[involved]], raw.stage[rows[involved]], into, stays, dest),
            partial(_merged_points, len(r), dest, counts[stays]))


def _merged_points(n: int, dest: np.ndarray | None, counts: np.ndarray | None) -> dict[str, np.ndarray]:
    """Return {"merged_points": the teaching points merged into each of the ``n`` kept units}."""
    out = np.zeros(n, dtype=np.int64)
    if dest is not None and counts is not None:
        out[dest] = counts
    return {"merged_points": out}


class _Summer:
    """The summed columns of one scheme's units (stage-reported, apportioned by the stage's
    share, teaching points merged in), boarders, dorm area and 班班通, each made alone: what a
    verdict reads at once, the rest on first read (see scheme_units).  Picklable."""

    def __init__(self, raw: RawUnits, src: np.ndarray, stage: np.ndarray, merge: _Merge | None) -> None:
        self.schools, self.students, self.av_all = raw.schools, raw.by_stage["students"], raw.av_all
        self.share_flat = raw.share.reshape(-1)
        self.src, self.stage, self.merge = src, stage, merge
        self.flat = stage * len(raw.schools) + src
        self.share = self.share_flat[self.flat]
        if merge is not None:  # the merged parts' places among every school's stages, and shares
            self.merge_flat = merge.stage * len(raw.schools) + merge.src
            self.merge_share = self.share_flat[self.merge_flat]
        self._columns = raw.columns  # the schools' columns looked up once for both schemes
        self._scratch = raw.scratch
        self._nan_free = raw.nan_free

    def _column(self, name: str) -> pd.Series | None:
        if name not in self._columns:
            self._columns[name] = self.schools[name] if name in self.schools.columns else None
        return self._columns[name]

    def _by_stage(self, name: str) -> np.ndarray:
        """Return every school's ``<name>_<stage>`` as _col reads it, all primary, then all
        junior (the layout of ``flat``), in the raw units' one buffer (reused column after
        column, and by both schemes: no fresh memory; lazy makes run one at a time under
        LAZY_LOCK)."""
        held = self._scratch
        if held.buf is None:
            held.buf = np.empty(len(STAGES) * len(self.schools))
        if held.name != name:
            n = len(self.schools)
            held.name = None  # (a failed fill leaves no name behind)
            for k, st in enumerate(STAGES):
                _series_into(self._column(f"{name}_{st}"), held.buf[k * n:(k + 1) * n])
            held.name = name
        return held.buf

    def _values(self, name: str, src: np.ndarray, flat: np.ndarray,
                share: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The column's values before any merge, in ``out`` if given (float64: the same
        values as a fresh array)."""
        # the indices are the units' own (in range): mode="clip" only spares take's buffer
        if name == "students":
            return np.take(self.students, flat, out=out, mode="clip")
        if name in STAGE_COLUMNS:  # <name>_<stage> of each unit's school, as _col reads it
            return np.take(self._by_stage(name), flat, out=out, mode="clip")
        col = self._column(name)
        if name in SHARED_COLUMNS:  # float(N) × share, in one pass from an integer column
            if col is not None and col.dtype == np.float64 and (out is not None or self._no_nan(name, col)):
                out = np.take(col.to_numpy(), src, out=out, mode="clip")
                if not self._no_nan(name, col):
                    np.copyto(out, 0.0, where=np.isnan(out))  # as fillna (_series_values)
                return np.multiply(out, share, out=out)
            v = _series_values(col, src, cast=False)  # a fresh array
            v = np.multiply(v, share, out=v if v.dtype == np.float64 else None)
        elif col is not None and col.dtype == np.float64 and self._no_nan(name, col):
            v = np.take(col.to_numpy(), src, mode="clip")  # _series_values' values: no NaN to fill
        else:
            v = _series_values(col, src)
        if out is None:
            return v
        np.copyto(out, v)
        return out

    def _no_nan(self, name: str, col: pd.Series) -> bool:
        """Whether the schools' float column ``name`` holds no NaN (read once for both
        schemes): its gathered values then need no fill (fillna changes nothing)."""
        if name not in self._nan_free:
            values = col.to_numpy()
            # a NaN makes the sum NaN: a sum that is no NaN proves none (one pass, no mask);
            # a NaN sum (a NaN, or infinities of both signs) is looked at value by value
            with np.errstate(over="ignore", invalid="ignore"):
                total = np.add.reduce(values)
            self._nan_free[name] = not np.isnan(total) or not bool(np.isnan(values).any())
        return self._nan_free[name]

    def column(self, name: str, out: np.ndarray | None = None) -> np.ndarray:
        """Return the column ``name`` of the units (a fresh array; in ``out`` if given, a
        float64 array: the same values)."""
        if name == "av_all_classes":
            return self._av_all()
        out = self._values(name, self.src, self.flat, self.share, out)
        mg = self.merge
        if mg is not None and name in _SUMMED:
            part = self._values(name, mg.src, self.merge_flat, self.merge_share)
            total = np.bincount(mg.into, weights=part.astype(float, copy=False), minlength=len(mg.into))
            if not self._from_integers(name):  # read from integers: no -0.0 to make 0.0
                out += 0.0
            out[mg.dest] = total[mg.stays]
        return out

    def _from_integers(self, name: str) -> bool:
        """Whether the stage column ``name`` is read from integer or boolean school columns
        (or absent ones: 0.0), so holds no -0.0."""
        return name in STAGE_COLUMNS and all(
            (col := self._column(f"{name}_{st}")) is None or (isinstance(col.dtype, np.dtype) and col.dtype.kind in "iub")
            for st in STAGES)

    def _av_all(self) -> np.ndarray:
        out = self.av_all[self.src]
        mg = self.merge
        if mg is not None:
            # 班班通 in every class holds only if it held in every merged part.
            lacking = np.bincount(mg.into, weights=(~self.av_all[mg.src].astype(bool)).astype(float),
                                  minlength=len(mg.into))
            out[mg.dest] = lacking[mg.stays] == 0
        return out

    def made(self, name: str) -> dict[str, np.ndarray]:
        """The maker of a lazy column (UnitColumns.later)."""
        return {name: self.column(name)}


_SUMMED: Final = (*STAGE_COLUMNS, *SHARED_COLUMNS)


def _scope(raw: RawUnits, scheme: str, params: EvalParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (raw rows in the scheme's scope, whether each is a teaching point), raw order,
    and whether each raw unit is in scope (a fresh array)."""
    n = len(raw.schools)
    private, county_run, is_tp = raw.private, raw.county_run, raw.is_tp
    if scheme == "basic":
        keep = county_run if params.include_private_basic else county_run & ~private
        if params.tp_basic == "exclude":  # 教学点…暂不纳入差异系数计算 (docs/method.md §6)
            keep = keep & ~is_tp
    else:
        keep = np.ones(n, bool)
        if not params.include_private_quality:
            keep &= ~private
        if not params.include_non_county_run_quality:
            keep &= county_run
    keep_u = keep[raw.src]
    if scheme != "basic":  # a teaching point's unit under the cut-off is out
        tp = np.flatnonzero(raw.unit_tp)
        students = raw.by_stage["students"][raw.stage[tp] * n + raw.src[tp]]  # all primary, then junior
        tp_ok = (students >= params.tp_min_students) if params.tp_min_inclusive else (
            students > params.tp_min_students)
        keep_u[tp[~tp_ok]] = False
    rows = np.flatnonzero(keep_u)
    return rows, raw.unit_tp[rows], keep_u


def _unit_ids(ids: np.ndarray, src: np.ndarray, stage: np.ndarray) -> dict[str, np.ndarray]:
    """Return {"unit_id": "<school_id>:<stage>" per unit} (text made when first read)."""
    if not len(src):
        return {"unit_id": np.empty(0, dtype=object)}
    suffix = np.array([":" + st for st in STAGES], dtype=object)
    return {"unit_id": ids[src] + suffix[stage]}


def _stage_names(stage: np.ndarray) -> dict[str, np.ndarray]:
    """Return {"stage": each unit's stage name} (object text, made when first read)."""
    return {"stage": np.array(STAGES, dtype=object)[stage]}


def _attribute(column: pd.Series, src: np.ndarray, name: str) -> dict[str, np.ndarray]:
    """Return {name: the school attribute of each unit} (gathered when first read)."""
    return {name: column.to_numpy()[src]}


def scheme_units(raw: RawUnits, scheme: str, params: EvalParams = DEFAULT_PARAMS,
                 rule_reads: frozenset[str] | None = None) -> tuple[UnitColumns, np.ndarray]:
    """Return (the units of ``scheme`` as columns, sorted; each unit's group key): the
    columns of scheme_units_streamed with every indicator's values made (the same bits)."""
    cols, group_key, values = scheme_units_streamed(raw, scheme, params, rule_reads, stream=False)
    for _ in values:
        pass
    return cols, group_key


def scheme_units_streamed(raw: RawUnits, scheme: str, params: EvalParams = DEFAULT_PARAMS,
                          rule_reads: frozenset[str] | None = None, stream: bool = True
                          ) -> tuple[UnitColumns, np.ndarray, Iterator[tuple[str, np.ndarray]]]:
    """Return (the units of ``scheme`` as columns, sorted; each unit's group key; the
    indicators' values, one (id, values) after another, made as they are read).

    The group key orders (county, year, stage) as the units are sorted; equal keys, one group.
    Units are picked out of the raw units' one sorted order; teaching points merged into their
    parents are summed in raw order (their sums stay bit for bit what they were).  The numbers
    the indicators read are made at once; the other numbers (made when a school rule reads
    them), the school attributes and ``unit_id`` (text, the costly part of a country's units)
    when first read (see UnitColumns; docs/method.md §8).  ``rule_reads``: the columns the
    scheme's school rule will read; an indicator's numerator it does not read is then summed
    into a buffer for the indicator alone and made again, the same bits, when first read
    (None: every numerator made at once).

    The indicators' columns are made as the iterator is read (read it before any column of
    theirs).  ``stream``: an indicator's values no school rule reads (given ``rule_reads``) are
    written into one buffer, each overwriting the one before once the iterator moves on, and
    made again, the same bits, when its column is first read: a caller that only sums them
    (the engine's statistics) writes no fresh memory for them.  Otherwise each is put at once.
    """
    rows, is_tp, keep = _scope(raw, scheme, params)
    target = _parents(raw, rows, is_tp, keep) if scheme == "basic" else np.full(len(rows), -1)
    keep[rows[target >= 0]] = False
    r = raw.order[keep[raw.order]]
    merge, merged_points = _merge_plan(raw, rows, target, r)  # (the count made on first read)
    s = raw.src[r]
    schools = raw.schools
    stage = raw.stage[r]
    summer = _Summer(raw, s, stage, merge)
    cols = UnitColumns(s, stage)
    for a in _ATTRS:
        if a in schools.columns:
            cols.later([a], partial(_attribute, schools[a], s, a))
    cols.later(["stage"], partial(_stage_names, stage))
    cols.later(["unit_id"], partial(_unit_ids, raw.ids, s, stage))
    cols.put("share", summer.share)
    # what the indicators read is made now; the rest (and whatever the school rule reads of
    # it, made when the rule reads it) when first read: no verdict waits for it
    numerators = {INDICATORS[i].numerator for i in scheme_ids(scheme)}
    now = {"students", *(numerators if rule_reads is None else numerators & rule_reads)}
    for c in (*_SUMMED, "boarders", "dorm_area_m2", "av_all_classes"):
        maker = partial(_Summer.made, summer, c)
        if c in now:  # (students stays: the weights of every statistic and contribution)
            cols.put(c, summer.column(c), again=None if c == "students" else maker)
        else:  # (let go of too, if a school rule has read it by then)
            cols.later([c], maker, again=True)
    cols.later(["merged_points"], merged_points)
    students = np.asarray(cols["students"], dtype=float)
    everyone = bool((students > 0).all())  # units have pupils: no NaN to put in
    streamed = stream and rule_reads is not None
    values = _indicator_columns(cols, summer, scheme, students, everyone, rule_reads if streamed else None)
    return cols, raw.group[r], values


def _indicator_columns(cols: UnitColumns, summer: _Summer, scheme: str, students: np.ndarray, everyone: bool,
                       unread_by: frozenset[str] | None) -> Iterator[tuple[str, np.ndarray]]:
    """Make the indicators' columns one after another (see scheme_units_streamed), yielding
    each one's values; ``unread_by``: the rule's reads, whose other indicators' values are
    yielded from one buffer and left to first read (None: every column put)."""
    buffer = None  # the numerators left to first read, one at a time
    shared = None  # the values left to first read, one at a time
    for ind_id in scheme_ids(scheme):
        numerator = INDICATORS[ind_id].numerator
        if cols.made(numerator) or numerator == "av_all_classes":
            num = cols[numerator]
        else:
            buffer = np.empty(len(students)) if buffer is None else buffer
            num = summer.column(numerator, out=buffer)
        again = partial(_value_again, summer, ind_id, students, everyone)
        if unread_by is None or ind_id in unread_by:
            value = _indicator_value(ind_id, num, students, everyone)
            cols.put(ind_id, value, again=again)
        else:
            shared = np.empty(len(students)) if shared is None else shared
            value = _indicator_value(ind_id, num, students, everyone, out=shared)
            cols.later([ind_id], again, again=True)
        yield ind_id, value


def _indicator_value(ind_id: str, num: np.ndarray, students: np.ndarray, everyone: bool,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Return the units' values of indicator ``ind_id`` from its numerator (a fresh array, or
    ``out``, a float64 array of their length: the same values)."""
    ind = INDICATORS[ind_id]
    with np.errstate(invalid="ignore", divide="ignore"):
        if ind.scale == 1:  # x × 1 is x, bit for bit: one pass
            value = np.divide(num, students, out=out)
        else:
            value = np.multiply(num, ind.scale, out=out)
            value /= students  # in place: (numerator × scale) / students, one array
        if everyone:
            return value
        if out is None:
            return np.where(students > 0, value, np.nan)
        np.copyto(out, np.nan, where=~(students > 0))  # as np.where: NaN without pupils
        return out


def _value_again(summer: _Summer, ind_id: str, students: np.ndarray, everyone: bool) -> dict[str, np.ndarray]:
    """Make indicator ``ind_id``'s column again from its numerator made again (the same
    bits: scheme_units' operations on the same numbers)."""
    return {ind_id: _indicator_value(ind_id, summer.column(INDICATORS[ind_id].numerator), students, everyone)}


def unit_columns(schools: pd.DataFrame, scheme: str, params: EvalParams = DEFAULT_PARAMS) -> dict[str, np.ndarray]:
    """Return the units of ``scheme`` as a dict of equal-length arrays (see build_units)."""
    cols = scheme_units(raw_units(schools, params), scheme, params)[0]
    return {name: cols[name] for name in cols}


def build_units(
    schools: pd.DataFrame, scheme: str, params: EvalParams = DEFAULT_PARAMS
) -> pd.DataFrame:
    """Return the evaluation units of ``scheme`` with their indicator values (official units).

    One row per (school, stage) that enters the scheme's coefficients, any number of counties
    and years at once, sorted by county, year, stage and unit; columns: the school attributes,
    ``unit_id`` ("<school_id>:<stage>"), ``stage``, ``students``, teacher counts, apportioned
    resources, ``merged_points`` (teaching points merged in, basic) and one column per indicator
    of the scheme (B1–B8 or Q1–Q7).  The input is not changed.
    """
    return pd.DataFrame(unit_columns(schools, scheme, params), copy=False)
