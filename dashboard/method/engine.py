"""Evaluate counties: units, coefficients, verdicts and school rules in one vectorised pass.

``evaluate(schools)`` takes a schools table of any number of counties and years (one snapshot,
a province, the whole country) and returns an ``Evaluation``; ``to_report`` turns one county of it
into the JSON report of docs/data-contract.md §5.  What a verdict needs is made at once, what
only explains it (the unit frames' text columns and contributions, the school-rule frame) on
first read (docs/method.md §8; ``Evaluation``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.coefficients import (
    GroupStats,
    indicator_contributions,
    indicator_group_stats,
    judge,
    round_cv,
)
from dashboard.method.compliance import quality_ratio_columns, quality_rule_columns
from dashboard.method.lazy_columns import LAZY_LOCK, UnitColumns
from dashboard.method.profiles_school import judge_unit_columns, rule_reads
from dashboard.method.standards import (
    DEFAULT_PARAMS,
    QUALITY_IDS,
    SCHEMES,
    STAGES,
    EvalParams,
    cv_threshold,
    scheme_ids,
)
from dashboard.method.units import UNIT_KEY, RawUnits, raw_units, scheme_units_streamed

__all__ = ["Evaluation", "UnitFrames", "evaluate", "to_report", "REPORT_SCHEMES"]

REPORT_SCHEMES: Final = ("basic", "quality")
_KEY: Final = list(UNIT_KEY)


class Later:
    """A value made on first read (see OnDemand): ``make()`` returns it."""

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


class OnDemand:
    """A field of a frozen dataclass that may be given a ``Later``: the value is then made on
    first read, under one lock (made once, whatever the threads), and kept.  Any other value
    is kept as given."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj: object, owner: type | None = None):
        if obj is None:
            raise AttributeError(self.name)  # no default value: the field stays required
        value = obj.__dict__[self.slot]
        if isinstance(value, Later):
            with LAZY_LOCK:
                value = obj.__dict__[self.slot]
                if isinstance(value, Later):
                    value = value.make()
                    obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.slot] = value


class UnitFrames(Mapping[str, pd.DataFrame]):
    """The units of each scheme: a frame made from the scheme's UnitColumns on first read
    (every lazy column made then), under one lock, and kept."""

    def __init__(self, columns: dict[str, UnitColumns]) -> None:
        self._columns = columns
        self._frames: dict[str, pd.DataFrame] = {}

    def columns(self, scheme: str) -> UnitColumns:
        """The scheme's columns (a number column read from here makes no frame)."""
        return self._columns[scheme]

    def __getitem__(self, scheme: str) -> pd.DataFrame:
        frame = self._frames.get(scheme)
        if frame is None:
            cols = self._columns[scheme]
            with LAZY_LOCK:
                frame = self._frames.get(scheme)
                if frame is None:
                    frame = pd.DataFrame({name: cols[name] for name in cols}, copy=False)
                    self._frames[scheme] = frame
        return frame

    def __contains__(self, scheme: object) -> bool:
        return scheme in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


@dataclass(frozen=True)
class Evaluation:
    """The evaluation of every county × year × stage in a schools table.

    - ``units[scheme]``: one row per unit in scope (see units.build_units) with its indicator
      values, ``share_<id>`` (its share of the weighted variance, 0–1), ``cvifmean_<id>`` (the CV
      if it stood at the county mean), ``meets``/``school_pass``/``failing`` (school rule).
    - ``indicators``: county_code, year, stage, scheme, indicator, units, students, mean (official
      unit), cv, rounded, threshold (quality only, NaN for basic), passed, near (quality only).
    - ``composites``: county_code, year, stage, composite_cv (mean of B1–B8), rounded, threshold,
      passed, near.
    - ``verdicts``: county_code, year, stage, scheme, value (composite or the largest CV),
      threshold, passed, near, failing_indicators, units, failing_units.
    - ``school_rules``: the school-rule columns of both schemes stacked, with scheme.

    What a verdict needs is made by ``evaluate``: the units' numbers the indicators and school
    rules read (let go of once judged, made again when next read: the same bits), each unit's
    school-rule pass and count of items met, the indicators, composites and verdicts.  What only explains them is made on first read and kept
    (docs/method.md §8): ``units`` is a mapping whose frame of a scheme is built when first
    read, with its other numbers, text columns (school attributes, unit_id), the rules' item
    values, states, ratios and texts, and contributions (share_/cvifmean_); ``school_rules``
    is stacked when first read.  Either may also be given
    as a plain dict / frame (stacked or cut-down evaluations).  The frames are shared (between
    sessions, and with the arrays the lazy columns are made from): read them, never change
    them in place.
    """

    params: EvalParams
    units: Mapping[str, pd.DataFrame]
    indicators: pd.DataFrame
    composites: pd.DataFrame
    verdicts: pd.DataFrame
    school_rules: pd.DataFrame = OnDemand()  # type: ignore[assignment]  # required: see OnDemand
    schools: pd.DataFrame = field(repr=False)  # type: ignore[misc]  # (mypy takes OnDemand for a default)
    # the optional class and room rows the basic school rule was judged with (data contract
    # §4a; profiles_county.with_profile attaches them), so every verdict made from this
    # evaluation sees the same facts
    classes: pd.DataFrame | None = field(default=None, repr=False)
    rooms: pd.DataFrame | None = field(default=None, repr=False)

    def county_years(self) -> list[tuple[str, int]]:
        """Return the (county_code, year) pairs present, sorted."""
        pairs = self.schools[["county_code", "year"]].drop_duplicates()
        return sorted((str(c), int(y)) for c, y in pairs.itertuples(index=False))


def _same(n: int, value: object) -> np.ndarray:
    """Return an object array of ``n`` references to ``value`` (``np.full`` would convert a
    string to a fixed-width one and back, one new object per row)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _thresholds(stage: np.ndarray, scheme: str) -> np.ndarray:
    return np.where(stage == "primary", cv_threshold(scheme, "primary"), cv_threshold(scheme, "junior"))


def _group_codes(cols: UnitColumns, schools: pd.DataFrame, group_key: np.ndarray,
                 known: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
                 ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Return (integer group code per unit, the groups' county_code/year/stage, their keys).

    Units arrive sorted by (county_code, year, stage), so a group is a run of equal keys and
    codes follow the sorted order of the groups.  A group's county, year and stage are read
    from its first unit's school and stage (the units' own columns of them are made only when
    read: the same values).  ``known``: another scheme's group keys and groups, whose groups
    are these when the keys are equal (a key is its county, year and stage).
    """
    n = len(group_key)
    starts = np.flatnonzero(group_key[1:] != group_key[:-1]) + 1  # where a group starts (after the first)
    codes = np.zeros(n, dtype=np.int64)
    codes[starts] = 1
    np.cumsum(codes, out=codes)  # in int64 (a cumsum of booleans casts element by element)
    starts = np.r_[0, starts] if n else starts
    if known is not None and np.array_equal(known[0], group_key[starts]):
        return codes, known[1], known[0]
    first = cols.src[starts]
    base = {"county_code": schools["county_code"].to_numpy()[first], "year": schools["year"].to_numpy()[first],
            "stage": np.array(STAGES, dtype=object)[cols.stage_index[starts]]}
    return codes, base, group_key[starts]


@dataclass(frozen=True)
class _SchemeResult:
    """One scheme's columns and its per-group arrays (groups: sorted county × year × stage)."""

    cols: UnitColumns  # the units
    ids: list[str]  # the scheme's indicators
    table: dict[str, np.ndarray]  # the indicator rows' numbers and judgements, groups × indicators
    table_rank: np.ndarray  # each indicator's rank within the scheme (the table's order)
    groups: dict[str, np.ndarray]  # county_code, year, stage of each group
    group_key: np.ndarray  # sorts as (county_code, year, stage)
    cv: np.ndarray  # groups × indicators
    passed: np.ndarray | None  # groups × indicators (quality only)
    near: np.ndarray | None
    unit_count: np.ndarray  # units per group
    failing_units: np.ndarray  # units failing the school rule per group


def _made_columns(cols: UnitColumns) -> Mapping[str, np.ndarray]:
    """The columns made so far (the ones a school rule has read), each read when asked (made
    again if let go of: UnitColumns.release)."""
    return cols.read([name for name in cols if cols.made(name)])


def _contributions(cols: UnitColumns, w: np.ndarray, g: np.ndarray, stats: GroupStats, j: int,
                   ind: str) -> dict[str, np.ndarray]:
    """Return a unit's share of the variance and CV at the mean of indicator ``ind`` (made on
    first read: see UnitColumns)."""
    share, cv_if = indicator_contributions(cols[ind], w, g, stats, j)
    return {f"share_{ind}": share, f"cvifmean_{ind}": cv_if}


def _scheme_tables(raw: RawUnits, scheme: str, params: EvalParams, other: _SchemeResult | None = None
                   ) -> _SchemeResult:
    """Return the units (with school rule; contributions on first read) and the indicator
    table of one scheme, with the per-group arrays the composites and verdicts are made of.
    ``other``: another scheme's result, whose groups are shared when they are the same."""
    ids = list(scheme_ids(scheme))
    # the numerators no school rule reads are left to first read (the quality rule reads the
    # indicator values alone)
    reads = frozenset(QUALITY_IDS) if scheme == "quality" else rule_reads(params.province_profile)
    cols, group_key, values = scheme_units_streamed(raw, scheme, params, reads)
    codes, base, gkey = _group_codes(cols, raw.schools, group_key,
                                     None if other is None else (other.group_key, other.groups))
    weights = np.asarray(cols["students"], dtype=float)  # the column itself (read only)
    unit_count = np.bincount(codes, minlength=len(gkey)).astype(np.int64)
    # each indicator's values summed as they are made (the ones no rule reads in one buffer,
    # made again on first read: see scheme_units_streamed)
    stats = indicator_group_stats((v for _, v in values), weights, codes, len(gkey), units=unit_count)
    for j, ind in enumerate(ids):
        cols.later([f"share_{ind}", f"cvifmean_{ind}"],
                   partial(_contributions, cols, weights, codes, stats, j, ind))
    view = cols.rule_view()  # the rules name no unit here: its text is made on first read
    # the rules' text columns (status, failing items) explain them: made on first read
    rule = (quality_rule_columns(view, ratios=False, text_later=True) if scheme == "quality"
            else judge_unit_columns(view, params.province_profile, text_later=True,
                                    items_later=partial(_made_columns, cols)))
    for c, v in rule.items():
        if c != "unit_id":
            if callable(v):
                cols.later([c], v)
            else:
                cols.put(c, v)
    if scheme == "quality":  # the ratios to the minimums explain the rule: made on first read
        cols.later([f"ratio_{q}" for q in QUALITY_IDS],
                   partial(_quality_ratios, cols.read(QUALITY_IDS), cols.stage_index))
    k, g = len(ids), len(gkey)
    # the indicator rows' numbers, groups × indicators (element by element: the same figures
    # in any layout); the text columns are made with the schemes' rows in order (_indicator_table)
    cols_t: dict[str, np.ndarray] = dict(
        units=stats.count.astype(int), students=stats.weight, mean=stats.mean, cv=stats.cv,
        rounded=round_cv(stats.cv, params.round_dp),
    )
    passed = near = None
    if scheme == "quality":
        thr = np.repeat(_thresholds(base["stage"], "quality")[:, None], k, axis=1)  # the same figure per group
        passed, near = judge(stats.cv, thr, params.round_dp, params.near_margin, rounded=cols_t["rounded"])
        cols_t.update(threshold=thr, passed=passed, near=near)
    else:
        cols_t.update(threshold=np.full((g, k), np.nan))  # passed, near: NA (_indicator_table)
    rank = np.argsort(np.argsort(np.array(ids, dtype=object), kind="stable"), kind="stable")
    failing = codes[~np.asarray(cols["school_pass"], dtype=bool)]  # the failing units' groups
    # the verdict has read the units' numbers: the ones a result need not keep are made again
    # when next read (the same bits), so a kept result holds little (docs/method.md §8)
    cols.release()
    return _SchemeResult(
        cols=cols, ids=ids, table=cols_t, table_rank=rank, groups=base, group_key=gkey, cv=stats.cv,
        passed=passed, near=near, unit_count=unit_count,
        failing_units=np.bincount(failing, minlength=g).astype(np.int64))


def _quality_ratios(values: Mapping[str, np.ndarray], stage_index: np.ndarray) -> dict[str, np.ndarray]:
    """Return the quality units' ``ratio_`` columns (a maker: see UnitColumns.later)."""
    return quality_ratio_columns(values, stage_index == STAGES.index("primary"))


def _stacked(parts: list[dict], names: list[str], order: np.ndarray | None = None) -> pd.DataFrame:
    """Return the rows of ``parts`` (dicts of equal-length columns) one after another, in
    ``order`` if given, as one frame (built once from arrays, no per-part frames)."""
    out = {}
    for c in names:
        col = np.concatenate([np.asarray(p[c]) for p in parts]) if len(parts) > 1 else np.asarray(parts[0][c])
        out[c] = col if order is None else col[order]
    return pd.DataFrame(out, copy=False)


def _scheme_rank(scheme: str) -> int:
    return sorted(str(s) for s in SCHEMES).index(scheme)


def evaluate(
    schools: pd.DataFrame,
    params: EvalParams = DEFAULT_PARAMS,
    schemes: tuple[str, ...] = SCHEMES,
) -> Evaluation:
    """Return the full evaluation of every county, year and stage in ``schools``.

    ``schools`` follows docs/data-contract.md §2 (canonical column names); it is not changed.
    """
    raw = raw_units(schools, params)
    results: dict[str, _SchemeResult] = {}
    for scheme in schemes:
        results[scheme] = _scheme_tables(raw, scheme, params, next(iter(results.values()), None))
    units = UnitFrames({s: r.cols for s, r in results.items()})  # frames made on first read
    indicators = _indicator_table(results)
    school_rules = Later(partial(_school_rules, [(s, r.cols) for s, r in results.items()]))
    comp, judged = _composites(results.get("basic"), params)
    verdicts = _verdicts(judged, results.get("basic"), results.get("quality"))
    return Evaluation(params, units, indicators, comp, verdicts, school_rules, schools)  # type: ignore[arg-type]


_INDICATOR_COLS: Final = [*_KEY, "scheme", "indicator", "units", "students", "mean", "cv", "rounded", "threshold",
                           "passed", "near"]


def _indicator_table(results: dict[str, _SchemeResult]) -> pd.DataFrame:
    """Return the indicator rows of every scheme, sorted by county, year, stage, scheme and
    indicator.  A row's text columns (county, year, stage: its group's; scheme; indicator)
    are gathered once, in the final order, from the groups' and indicators' own arrays (no
    per-row copy of them per scheme first).  When every scheme has the same groups (a
    country's counties have units in both) the rows are each group's, scheme after scheme,
    indicator after indicator: the tables side by side, read row by row, no sort."""
    res = sorted(results.items(), key=lambda sr: _scheme_rank(sr[0]))
    if not res:
        return pd.DataFrame(columns=_INDICATOR_COLS)
    key = res[0][1].group_key
    if any(not np.array_equal(r.group_key, key) for _, r in res[1:]):
        return _indicator_rows_sorted(res)
    # each scheme's indicators in order (None: in order already, the table's columns as they are)
    cols = [None if (o := np.argsort(r.table_rank, kind="stable")).tolist() == list(range(len(o))) else o
            for _, r in res]
    g, width = len(key), sum(len(r.ids) for _, r in res)

    def side_by_side(c: str) -> np.ndarray:
        """The column ``c`` of every scheme's table, its indicators in order, side by side
        (groups × all indicators), row by row; a scheme without it: NA."""
        return _side_by_side([None if (p := r.table.get(c)) is None else p if o is None else p[:, o]
                              for (_, r), o in zip(res, cols, strict=True)], [len(r.ids) for _, r in res], g)

    groups = res[0][1].groups
    out: dict[str, np.ndarray] = {k: np.repeat(np.asarray(groups[k]), width) for k in _KEY}
    out["scheme"] = np.tile(np.array([s for s, r in res for _ in r.ids], dtype=object), g)
    out["indicator"] = np.tile(np.array([r.ids[i] for (_, r), o in zip(res, cols, strict=True)
                                         for i in (range(len(r.ids)) if o is None else o)],
                                        dtype=object), g)
    for c in _INDICATOR_COLS[len(out):]:  # passed, near: quality's judgements, a basic row's NA
        out[c] = side_by_side(c)
    return pd.DataFrame(out, copy=False)


def _indicator_rows_sorted(res: list[tuple[str, _SchemeResult]]) -> pd.DataFrame:
    """_indicator_table when the schemes' groups differ: every scheme's rows sorted together."""
    flat = [{c: v.T.reshape(-1) for c, v in r.table.items()} for _, r in res]  # indicator-major
    sizes = np.array([len(r.ids) * len(r.group_key) for _, r in res], dtype=np.int64)
    order = np.lexsort([np.concatenate([np.repeat(r.table_rank, len(r.group_key)) for _, r in res]),
                        np.repeat(np.array([_scheme_rank(s) for s, _ in res], dtype=np.int64), sizes),
                        np.concatenate([np.tile(r.group_key, len(r.ids)) for _, r in res])])
    # each row's group and indicator among all the schemes' (a part's rows: indicator-major)
    g_off = np.r_[0, np.cumsum([len(r.group_key) for _, r in res])]
    i_off = np.r_[0, np.cumsum([len(r.ids) for _, r in res])]
    group = np.concatenate([np.tile(np.arange(g_off[p], g_off[p + 1]), len(r.ids))
                            for p, (_, r) in enumerate(res)])[order]
    indicator = np.concatenate([np.repeat(np.arange(i_off[p], i_off[p + 1]), len(r.group_key))
                                for p, (_, r) in enumerate(res)])[order]
    out: dict[str, np.ndarray] = {
        key: np.concatenate([np.asarray(r.groups[key]) for _, r in res])[group] for key in _KEY}
    out["scheme"] = np.array([s for s, r in res for _ in r.ids], dtype=object)[indicator]
    out["indicator"] = np.array([i for _, r in res for i in r.ids], dtype=object)[indicator]
    for c in _INDICATOR_COLS[len(out):-2]:
        out[c] = np.concatenate([f[c] for f in flat])[order]
    for c in ("passed", "near"):  # quality's judgements; a basic row's are NA (object column)
        if all(c in f for f in flat):
            out[c] = np.concatenate([f[c] for f in flat])[order]
        else:  # 0: NA, 1: False, 2: True, gathered once in order
            code = np.concatenate([f[c].astype(np.intp) + 1 if c in f else np.zeros(n, np.intp)
                                   for f, n in zip(flat, sizes, strict=True)])
            out[c] = np.array([pd.NA, False, True], dtype=object)[code[order]]
    return pd.DataFrame(out, copy=False)


_RULE_COLS: Final = [*_KEY, "unit_id", "school_id", "school_name", "students", "meets", "school_pass", "failing",
                     "school_status"]


def _school_rules(parts: list[tuple[str, UnitColumns]]) -> pd.DataFrame:
    """Return the school-rule columns of the schemes' units stacked, with scheme (made on
    first read of Evaluation.school_rules)."""
    return _stacked([{**{c: cols[c] for c in _RULE_COLS}, "scheme": _same(len(cols.src), s)}
                     for s, cols in parts], [*_RULE_COLS, "scheme"])


_COMPOSITE_COLS: Final = [*_KEY, "composite_cv", "threshold", "rounded", "passed", "near"]


def _composites(basic: _SchemeResult | None,
                params: EvalParams) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Return the basic composite CV (mean of B1–B8) per county × year × stage, judged, and
    the frame's judged columns as arrays (the verdicts read them: a column read back from a
    frame just made cost more than the rest of the verdicts on the demo)."""
    if basic is None or not len(basic.group_key):
        return pd.DataFrame(columns=_COMPOSITE_COLS), {}
    # A composite needs all 8 CVs: a missing one (mean 0, e.g. no books at all) leaves it NaN.
    composite = _composite_cv(basic.cv)
    threshold = _thresholds(basic.groups["stage"], "basic")
    rounded = round_cv(composite, params.round_dp)
    passed, near = judge(composite, threshold, params.round_dp, params.near_margin, rounded=rounded)
    judged = {"composite_cv": composite, "threshold": threshold, "passed": passed, "near": near}
    return pd.DataFrame({**basic.groups, "composite_cv": composite, "threshold": threshold,
                         "rounded": rounded, "passed": passed,
                         "near": near}, copy=False), judged


def _composite_cv(cv: np.ndarray) -> np.ndarray:
    """Return the mean of each row of ``cv`` (groups × B1–B8) where every CV has a value,
    else NaN.  The mean is the row's sum divided by its count, as np.nanmean takes it of a
    row without NaN (the same bits)."""
    complete = np.isfinite(cv).all(axis=1)
    composite = np.full(len(complete), np.nan)
    composite[complete] = np.add.reduce(cv[complete], axis=1) / cv.shape[1]
    return composite


_VERDICT_COLS: Final = [*_KEY, "scheme", "value", "threshold", "passed", "near", "failing_indicators",
                        "units", "failing_units"]


def _verdicts(comp: dict[str, np.ndarray], basic: _SchemeResult | None,
              quality: _SchemeResult | None) -> pd.DataFrame:
    """Return the verdict rows; ``comp``: the composites' judged columns (see _composites)."""
    parts: list[dict] = []
    keys: list[np.ndarray] = []
    if basic is not None and comp:
        passed = comp["passed"]
        parts.append({**basic.groups, "scheme": _same(len(passed), "basic"),
                      "value": comp["composite_cv"], "threshold": comp["threshold"],
                      "passed": passed, "near": comp["near"],
                      "failing_indicators": (~passed).astype(int), "units": basic.unit_count,
                      "failing_units": basic.failing_units})
        keys.append(basic.group_key * 2 + _scheme_rank("basic"))
    if quality is not None and len(quality.group_key):
        assert quality.passed is not None and quality.near is not None
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN group: NaN, as groupby max
            value = np.nanmax(quality.cv, axis=1)
        failing = (~quality.passed).sum(axis=1).astype(np.int64)
        parts.append({**quality.groups, "scheme": _same(len(value), "quality"),
                      "value": value, "threshold": _thresholds(quality.groups["stage"], "quality"),
                      "passed": failing == 0, "near": quality.near.any(axis=1),
                      "failing_indicators": failing, "units": quality.unit_count,
                      "failing_units": quality.failing_units})
        keys.append(quality.group_key * 2 + _scheme_rank("quality"))
    if not parts:
        return pd.DataFrame(columns=_VERDICT_COLS)
    if len(parts) == 2 and np.array_equal(keys[0] + 1, keys[1]):
        # the schemes judge the same groups (a country's counties have units in both), so
        # the sorted rows are each group's basic row, then its quality row: the parts side by
        # side read row by row
        n = len(keys[0])
        return pd.DataFrame({c: _side_by_side([np.asarray(p[c]) for p in parts], [1, 1], n) for c in _VERDICT_COLS},
                            copy=False)
    return _stacked(parts, _VERDICT_COLS, np.argsort(np.concatenate(keys), kind="stable"))


def _side_by_side(blocks: list[np.ndarray | None], widths: list[int], n: int) -> np.ndarray:
    """Return the blocks (each ``n`` rows of its width; a column of width 1 may be 1-D; None:
    NA, an object column) side by side, read row by row: the first block's first row, the
    second's first row, …  Booleans written beside NA become Python's False and True."""
    dtype = np.result_type(*blocks) if all(b is not None for b in blocks) else np.dtype(object)
    out = np.empty((n, sum(widths)), dtype=dtype)
    at = 0
    for block, width in zip(blocks, widths, strict=True):
        out[:, at:at + width] = pd.NA if block is None else block.reshape(n, width)
        at += width
    return out.reshape(-1)


def _f(x) -> float | None:
    """JSON number: unrounded float, None for NaN."""
    x = float(x)
    return None if np.isnan(x) else x


def to_report(ev: Evaluation, county_code: str, year: int, schemes: tuple[str, ...] = REPORT_SCHEMES) -> dict:
    """Return the evaluation report of one county and year (docs/data-contract.md §5) as a JSON-ready dict.

    Numbers are unrounded floats; ``pass`` applies the 3-decimal rule.  A stage with no unit in
    any scheme is left out of ``stages``.
    """
    if (county_code, year) not in ev.county_years():
        raise KeyError(f"county {county_code} has no data for year {year}; present: {ev.county_years()}")
    stages: dict[str, dict] = {}
    sel = lambda df: df[(df["county_code"] == county_code) & (df["year"] == year)]  # noqa: E731
    ind = sel(ev.indicators)
    comp = sel(ev.composites)
    for stage in STAGES:
        out_stage: dict[str, dict] = {}
        for scheme in schemes:
            units = sel(ev.units[scheme])
            units = units[units["stage"] == stage]
            if units.empty:
                continue
            ids = list(scheme_ids(scheme))
            rows = ind[(ind["scheme"] == scheme) & (ind["stage"] == stage)].set_index("indicator")
            unit_list = []
            for u in units.itertuples(index=False):
                d = {"unit_id": u.unit_id, "school_id": str(u.school_id), "students": int(u.students),
                     "values": {i: _f(getattr(u, i)) for i in ids}}
                if scheme == "quality":
                    d["meets"] = int(u.meets)
                    d["school_pass"] = bool(u.school_pass)
                unit_list.append(d)
            if scheme == "basic":
                c = comp[comp["stage"] == stage].iloc[0]
                out_stage["basic"] = {
                    "indicators": {i: {"mean": _f(rows.loc[i, "mean"]), "cv": _f(rows.loc[i, "cv"])} for i in ids},
                    "composite_cv": _f(c["composite_cv"]),
                    "threshold": float(c["threshold"]),
                    "pass": bool(c["passed"]),
                    "units": unit_list,
                }
            else:
                out_stage["quality"] = {
                    "indicators": {
                        i: {"mean": _f(rows.loc[i, "mean"]), "cv": _f(rows.loc[i, "cv"]),
                            "threshold": float(rows.loc[i, "threshold"]), "pass": bool(rows.loc[i, "passed"])}
                        for i in ids
                    },
                    "pass": bool(rows["passed"].astype(bool).all()),
                    "units": unit_list,
                }
        if out_stage:
            stages[stage] = out_stage
    return {"county_code": county_code, "year": int(year), "params": ev.params.as_dict(), "stages": stages}
