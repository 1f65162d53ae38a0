"""The basic (2012) school rule under a profile: every item of every unit judged as met, failed,
missing (缺数据) or met only on an approximation, and the profile's M-of-N rule over them
(docs/method.md §4.1).

Item kinds (``kind`` in the profile file):

- ``ratio_min`` / ``ratio_max``: ``(numerator − subtract) × scale / denominator`` against the
  stage's figure (``primary``/``junior``; null: the source gives none → 缺数据);
  ``not_applicable_when`` names a column that, when 0, makes the item 不涉及 (met);
- ``total_by_classes``: a stage total against the step figure for its class count (BS5);
  ``preferred_numerator`` (experiment equipment) is used when the data gives it, else the
  whole ``numerator`` is judged: below the figure fails for sure, above it is *approximated*;
- ``class_size``: no class over the stage's figure (BS9).  With class rows the largest class
  decides; without, the average: over the figure fails for sure (the largest class is at least
  the average), under it is *approximated*;
- ``all_classes_av``: 班班通 in every class;
- ``flag`` / ``share_min``: a school column (yes/no, or a percentage against the figure); an
  absent column is 缺数据 naming the fact needed.

A unit passes when the items met for sure reach ``min_met``; fails when even counting every
uncertain item as met it cannot; else it is ``approximated`` (only approximations stand
between it and a pass) or ``missing``.  Nothing passes on an approximation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property, partial
from typing import Any, Final

import numpy as np
import pandas as pd

from dashboard.method.coefficients import _sum_is_finite
from dashboard.method.columns_read import ColumnsRead
from dashboard.method.lazy_columns import stage_masks
from dashboard.method.profiles import Profile, load_profile

__all__ = [
    "AT_MINIMUM_RTOL",
    "FAILED",
    "MET",
    "MISSING",
    "APPROX",
    "item_states",
    "class_stats",
    "judge_units",
    "judge_unit_columns",
    "rule_reads",
    "unit_status",
    "ids_where",
    "ids_of_bits",
]

# (public name for the compliance module)

FAILED, MET, MISSING, APPROX = 0, 1, 2, 3
_UNIT_STATUS: Final = ("fail", "pass", "missing", "approximated")
# A value exactly at its figure meets it, as a supervisor's hand calculation says: a stage's
# share of a whole-school resource (docs/method.md §6.1) can land one rounding step beside the
# exact figure (九年一贯制, 52 小学 + 120 初中 pupils, 828 m²: the primary share is 234 m², 4.5 m²
# a pupil exactly, 4.499999999999999 in floating point).  Relative; far below any figure the
# statistics report.
AT_MINIMUM_RTOL: Final = 1e-9
HARD_CAP: Final = 55  # seed 000: "班額小學不超過45人,不多于55人、初中不超過50人,不多于55人"


class _Units:
    """The columns a profile's items read, from a frame or a dict of arrays, with the stage
    masks computed once for every item."""

    def __init__(self, units: pd.DataFrame | Mapping[str, object]) -> None:
        self.frame = units if isinstance(units, pd.DataFrame) else None
        self.data = units
        self.names = set(units.columns) if isinstance(units, pd.DataFrame) else set(units)
        masks = stage_masks(units)  # a rule view gives them without text
        if masks is None:
            stage = np.asarray(units["stage"])
            masks = {st: stage == st for st in ("primary", "junior")}
        self.masks = masks
        self.n = len(masks["primary"])
        self._no_base: dict[str, np.ndarray | None] = {}

    @cached_property
    def stage_code(self) -> np.ndarray:
        """Per unit: 0 primary, 1 junior, 2 neither (an index into _stage_table's rows)."""
        code = np.full(self.n, 2, dtype=np.intp)
        code[self.masks["primary"]] = 0
        code[self.masks["junior"]] = 1
        return code

    @cached_property
    def at_stage(self) -> tuple[np.ndarray, np.ndarray]:
        """Whether each unit is (primary, junior) as stage_code says: the masks, a unit in
        both counted junior (stage_code's last word)."""
        junior = np.asarray(self.masks["junior"], dtype=bool)
        return np.asarray(self.masks["primary"], dtype=bool) & ~junior, junior

    @cached_property
    def exclusive_stages(self) -> bool:
        """Whether the stage masks are boolean arrays no unit is in both of (as every stage
        column and rule view gives them): the packed path's readings need it."""
        primary, junior = self.masks["primary"], self.masks["junior"]
        return (all(isinstance(m, np.ndarray) and m.dtype == bool and m.shape == (self.n,)
                    for m in (primary, junior))
                and not bool(np.logical_and(primary, junior).any()))

    @cached_property
    def other_stage(self) -> bool:
        """Whether some unit is at neither stage (stage_code 2; with exclusive boolean masks,
        in neither mask: no stage_code made)."""
        if self.exclusive_stages:
            return not bool(np.logical_or(*self.at_stage).all())
        return bool((self.stage_code == 2).any())

    def no_base(self, name: str) -> np.ndarray | None:
        """Where the column ``name`` (a denominator) is not positive; None where nowhere.
        Worked out once per column (several items share one)."""
        if name not in self._no_base:
            den = self.num(name)
            assert den is not None
            mask = ~(den > 0)
            self._no_base[name] = mask if mask.any() else None
        return self._no_base[name]

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def series(self, name: str) -> pd.Series:
        col = self.data[name]
        return col if isinstance(col, pd.Series) else pd.Series(col)

    def num(self, name: str | None) -> np.ndarray | None:
        """The column as floats (non-numbers NaN); it may be the caller's own array: read only."""
        if not name or name not in self.names:
            return None
        col = self.data[name]
        if isinstance(col, np.ndarray) and col.dtype.kind in "fiub":
            return col.astype(float, copy=False)
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float) if isinstance(col, pd.Series) \
            else np.asarray(pd.to_numeric(col, errors="coerce"), dtype=float)


def _stage_table(ind: dict) -> np.ndarray:
    """Return the item's figure for a primary, a junior and any other unit (NaN: none)."""
    return np.array([float(v) if isinstance(v := ind.get(st), int | float) else np.nan
                     for st in ("primary", "junior")] + [np.nan])


def _figure(ind: dict, u: _Units) -> np.ndarray:
    """Return the item's figure per unit (NaN where the profile gives none for the stage)."""
    return _stage_table(ind)[u.stage_code]


def _met_or_failed(ok: np.ndarray) -> np.ndarray:
    """Return MET where ``ok``, else FAILED (as np.where(ok, MET, FAILED), in one cast)."""
    if (MET, FAILED) == (1, 0):
        return ok.astype(np.int64)
    return np.where(ok, MET, FAILED)


def _ratio(u: _Units, ind: dict) -> tuple[np.ndarray, np.ndarray]:
    n = u.n
    num, den = u.num(ind.get("numerator")), u.num(ind.get("denominator"))
    if num is None or den is None:
        return np.full(n, np.nan), np.full(n, MISSING)
    sub = u.num(ind.get("subtract"))
    if ind.get("subtract") and sub is None:
        return np.full(n, np.nan), np.full(n, MISSING)
    if sub is not None:
        num = num - sub
    scale = float(ind.get("scale", 1))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if scale == 1.0:  # x × 1 is x, bit for bit: one pass
            value = np.divide(num, den)
        else:
            value = num * scale
            value /= den
    no_base = u.no_base(ind["denominator"])  # given: den is not None
    if no_base is not None:
        value[no_base] = np.nan
    # the figure's bound per stage, then per unit: the same products as per unit
    fig = _stage_table(ind)
    ok = (value >= (fig * (1.0 - AT_MINIMUM_RTOL))[u.stage_code] if ind["kind"] == "ratio_min"
          else value <= (fig * (1.0 + AT_MINIMUM_RTOL))[u.stage_code])
    every_figure = not (u.other_stage or not np.isfinite(fig[:2]).all())  # every unit has a figure
    if every_figure and _sum_is_finite(value):  # every value finite: every unit judged
        state = _met_or_failed(ok)
    else:
        judged = np.isfinite(value)
        if not every_figure:
            judged &= np.isfinite(fig)[u.stage_code]
        # MET where ok, else FAILED; MISSING where not judged (one pass: MET, FAILED are 1, 0)
        state = (np.where(judged, ok, MISSING) if (MET, FAILED) == (1, 0)
                 else np.where(judged, _met_or_failed(ok), MISSING))
    na = u.num(ind.get("not_applicable_when"))
    if na is not None:
        state[na == 0] = MET
    return value, state


def _by_classes(u: _Units, ind: dict) -> tuple[np.ndarray, np.ndarray]:
    n = u.n
    classes = u.num(ind.get("classes", "classes"))
    need = np.full(n, np.nan)
    for st in ("primary", "junior"):
        for upto, amount in reversed(ind.get(st) or []):
            need[u.masks[st] & (classes <= upto)] = amount
    exact = u.num(ind.get("preferred_numerator"))
    total = u.num(ind.get("numerator"))
    value = np.full(n, np.nan) if total is None else total.copy()  # a column of its own
    floor = need * (1.0 - AT_MINIMUM_RTOL)
    state = np.where(value >= floor, APPROX if ind.get("preferred_numerator") else MET, FAILED)
    if exact is not None:
        given = np.isfinite(exact)
        value = np.where(given, exact, value)
        state = np.where(given, np.where(exact >= floor, MET, FAILED), state)
    if not (_sum_is_finite(value) and _sum_is_finite(need)):  # (all finite: none missing)
        state[~(np.isfinite(value) & np.isfinite(need))] = MISSING
    return value, state


def _class_size(u: _Units, ind: dict, stats: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    fig = _figure(ind, u)
    n = u.n
    students = u.num("students")
    classes = u.num("classes")
    if students is None or classes is None:
        return np.full(n, np.nan), np.full(n, MISSING)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(classes > 0, students / classes, np.nan)
    value = avg
    state = np.where(avg > fig, FAILED, APPROX)
    if stats is not None and not stats.empty:
        key = u.series("unit_id").astype(str) + "|" + u.series("year").astype(str)
        s = stats.assign(key=stats["unit_id"].astype(str) + "|" + stats["year"].astype(str))
        largest = key.map(s.set_index("key")["largest"]).to_numpy(dtype=float)
        given = np.isfinite(largest)
        value = np.where(given, largest, value)
        state = np.where(given, np.where(largest <= fig, MET, FAILED), state)
    if not (_sum_is_finite(value) and _sum_is_finite(fig)):  # (all finite: none missing)
        state[~(np.isfinite(value) & np.isfinite(fig))] = MISSING
    return value, state


def _flag(u: _Units, ind: dict) -> tuple[np.ndarray, np.ndarray]:
    n = u.n
    col = ind.get("column")
    if not col or col not in u:
        return np.full(n, np.nan), np.full(n, MISSING)
    if ind["kind"] == "share_min":
        value = u.num(col).copy()  # type: ignore[union-attr]  # a column of its own
        fig = _figure(ind, u)
        state = np.where(value >= fig, MET, FAILED)
        return value, np.where(np.isfinite(value) & np.isfinite(fig), state, MISSING)
    value = u.series(col).map(lambda v: np.nan if v is None or pd.isna(v) else float(bool(v))).to_numpy(float)
    return value, np.where(np.isfinite(value), np.where(value > 0, MET, FAILED), MISSING)


def item_states(units: pd.DataFrame | Mapping[str, object], ind: dict,
                stats: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (value, state) per unit for one profile item (states FAILED/MET/MISSING/APPROX)."""
    return _item_states(units if isinstance(units, _Units) else _Units(units), ind, stats)


def _item_states(u: _Units, ind: dict, stats: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    kind = ind["kind"]
    if kind == "all_classes_av":
        if "av_all_classes" not in u:
            return np.full(u.n, np.nan), np.full(u.n, MISSING)
        met = np.asarray(u.data["av_all_classes"], dtype=bool)
        return met.astype(float), np.where(met, MET, FAILED)
    if kind in ("ratio_min", "ratio_max"):
        return _ratio(u, ind)
    if kind == "total_by_classes":
        return _by_classes(u, ind)
    if kind == "class_size":
        return _class_size(u, ind, stats)
    if kind in ("flag", "share_min"):
        return _flag(u, ind)
    raise ValueError(f"profile: unknown item kind {kind!r} in {ind.get('id')}")


# ---- the packed path's item states (judge_unit_columns with items_later): states alone ------
#
# _packed_rows needs each item's states, not its values (those are made again on first read,
# by _item_states).  The readings below give the states _item_states gives, bit for bit, as
# uint8 arrays, from the same floating-point operations on the same operands (so every
# comparison sees the same numbers), with three changes in how they are put together:
#
# - each stage's bound is compared as a scalar and the answers joined by the stage masks
#   (at_stage), instead of gathering a per-unit figure (one comparison of the same numbers);
# - a value that _item_states sets to NaN before comparing (a denominator not positive, an
#   average over no class) is left as computed and marked not judged instead: a unit not
#   judged is MISSING whatever its comparison said;
# - states are assembled with bit operations on uint8 (MET 1, FAILED 0, MISSING 2, APPROX 3)
#   in reused buffers, never with np.where or a masked assignment (both branch per unit).
#
# An item these readings do not cover (another kind, a column absent, class rows given, an
# odd profile entry) returns None: _packed_rows takes the plain reading (_item_states).


class _Scratch:
    """Buffers reused item after item by the packed path (each item's states are packed
    before the next item is read)."""

    def __init__(self, n: int) -> None:
        self.value = np.empty(n)
        self.ok = np.empty(n, dtype=bool)
        self.judged = np.empty(n, dtype=bool)
        self.flag = np.empty(n, dtype=bool)
        self.state = np.empty(n, dtype=np.uint8)
        self.small = np.empty(n, dtype=np.uint8)


def _compare_by_stage(u: _Units, compare: Callable[..., np.ndarray], value: np.ndarray,
                      bound: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """Return ``compare(value, bound[stage_code])`` into ``out``: each stage's bound compared
    as a scalar (the same two numbers compared per unit), joined by the stage masks; a unit of
    no stage (bound NaN) compares False, as against NaN."""
    primary, junior = u.at_stage
    if bound[0] == bound[1] and not u.other_stage:  # one bound for every unit
        return compare(value, bound[0], out=out)
    compare(value, bound[0], out=out)
    out &= primary
    compare(value, bound[1], out=tmp)
    tmp &= junior
    out |= tmp
    return out


def _judged_by_stage(u: _Units, fig: np.ndarray, judged: np.ndarray) -> None:
    """And ``judged`` with whether each unit's stage has a figure (finite ``fig[stage_code]``)."""
    primary, junior = u.at_stage
    has = np.isfinite(fig[:2])
    if has.all():
        if u.other_stage:
            judged &= primary | junior
    elif has[0]:
        judged &= primary
    elif has[1]:
        judged &= junior
    else:
        judged[:] = False


def _states_of(ok: np.ndarray, judged: np.ndarray | None, met: int, s: _Scratch) -> np.ndarray:
    """Return the uint8 states: ``met`` (MET or APPROX) where ``ok``, FAILED where not, MISSING
    where not ``judged`` (None: every unit judged).  ``ok`` and ``judged`` are overwritten."""
    if judged is None:
        if met == 1:
            return ok.view(np.uint8)
        return np.multiply(ok.view(np.uint8), np.uint8(met), out=s.state)
    ok &= judged
    np.logical_not(judged, out=judged)  # now: missing
    state = np.multiply(judged.view(np.uint8), np.uint8(MISSING), out=s.state)
    if met == 1:
        state |= ok.view(np.uint8)
    else:  # APPROX = 3 (ok and missing never meet)
        state |= np.multiply(ok.view(np.uint8), np.uint8(met), out=s.small)
    return state


def _fast_ratio(u: _Units, ind: dict, s: _Scratch) -> np.ndarray | None:
    """_ratio's states (see the note above)."""
    num, den = u.num(ind.get("numerator")), u.num(ind.get("denominator"))
    if num is None or den is None:
        return None
    sub = u.num(ind.get("subtract"))
    if ind.get("subtract") and sub is None:
        return None
    scale = float(ind.get("scale", 1))
    value = s.value
    if sub is not None:  # _ratio's num - sub (its warnings too), then the same operations
        num = np.subtract(num, sub, out=value)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if scale == 1.0:
            np.divide(num, den, out=value)
        else:
            np.multiply(num, scale, out=value)
            np.divide(value, den, out=value)
    fig = _stage_table(ind)
    if ind["kind"] == "ratio_min":
        ok = _compare_by_stage(u, np.greater_equal, value, fig * (1.0 - AT_MINIMUM_RTOL), s.ok, s.flag)
    else:
        ok = _compare_by_stage(u, np.less_equal, value, fig * (1.0 + AT_MINIMUM_RTOL), s.ok, s.flag)
    no_base = u.no_base(ind["denominator"])  # _ratio's NaN there: not judged
    every_figure = not (u.other_stage or not np.isfinite(fig[:2]).all())
    judged: np.ndarray | None = None
    if not (no_base is None and every_figure and _sum_is_finite(value)):
        judged = np.isfinite(value, out=s.judged)
        if no_base is not None:
            judged &= np.logical_not(no_base, out=s.flag)
        if not every_figure:
            _judged_by_stage(u, fig, judged)
    state = _states_of(ok, judged, MET, s)
    na = u.num(ind.get("not_applicable_when"))
    if na is not None:  # MET where na == 0: clear the two bits there, then set MET's
        na0 = np.equal(na, 0, out=s.flag).view(np.uint8)
        clear = np.multiply(na0, np.uint8(3), out=s.small)
        state &= np.invert(clear, out=clear)
        state |= na0
    return state


def _band_table(bands: object) -> tuple[list[float], list[float]] | None:
    """Return the (upto, amount) pairs of one stage's class bands that can decide (a unit takes
    the first band, in the file's order, whose ``upto`` its class count does not exceed: a band
    whose ``upto`` is not above an earlier one's never decides), as floats; None if an entry is
    no pair of plain numbers (each exactly a float) or the bands are not a list."""
    if bands is None:
        bands = []
    if not isinstance(bands, list):
        return None
    uptos: list[float] = []
    amounts: list[float] = []
    for band in bands:
        if not (isinstance(band, list | tuple) and len(band) == 2
                and all(type(x) in (int, float) and float(x) == x for x in band)):
            return None
        upto, amount = float(band[0]), float(band[1])
        if not uptos or upto > uptos[-1]:
            uptos.append(upto)
            amounts.append(amount)
    return uptos, amounts


def _fast_by_classes(u: _Units, ind: dict, s: _Scratch) -> np.ndarray | None:
    """_by_classes' states without the per-unit need (see the note above): each unit's floor
    is gathered from a table of the bands' floors by an index counted from its class count."""
    classes = u.num(ind.get("classes", "classes"))
    if classes is None or u.num(ind.get("preferred_numerator")) is not None:
        return None
    stages = [_band_table(ind.get(st)) for st in ("primary", "junior")]
    if None in stages or sum(len(b[0]) + 1 for b in stages if b) + 1 > 255:  # (a byte indexes the floors)
        return None
    # the floors: each stage's bands then NaN (no band fits), and a last NaN for no stage;
    # need × (1 − RTOL) per entry, the products _by_classes makes per unit
    floors: list[float] = []
    index = np.zeros(u.n, dtype=np.uint8)
    small, flag = s.small, s.flag
    for at, (uptos, amounts) in zip(u.at_stage, stages):  # type: ignore[misc]
        if floors:  # the stage's offset
            index += np.multiply(at.view(np.uint8), np.uint8(len(floors)), out=small)
        for upto in uptos:  # one more where the class count is not within the band (NaN too)
            np.less_equal(classes, upto, out=flag)
            np.logical_not(flag, out=flag)
            flag &= at
            index += flag.view(np.uint8)
        floors += [*amounts, np.nan]
    if u.other_stage:
        np.logical_or(*u.at_stage, out=flag)
        np.logical_not(flag, out=flag)
        index += np.multiply(flag.view(np.uint8), np.uint8(len(floors)), out=small)
    floors.append(np.nan)
    floor = np.take(np.array(floors) * (1.0 - AT_MINIMUM_RTOL), index, out=s.value, mode="clip")
    met = APPROX if ind.get("preferred_numerator") else MET
    total = u.num(ind.get("numerator"))
    if total is None:  # every value NaN: every unit missing
        return np.full(u.n, MISSING, dtype=np.uint8)
    ok = np.greater_equal(total, floor, out=s.ok)
    judged: np.ndarray | None = None
    if not (_sum_is_finite(total) and _sum_is_finite(floor)):
        judged = np.isfinite(total, out=s.judged)
        judged &= np.isfinite(floor, out=flag)
    return _states_of(ok, judged, met, s)


def _fast_class_size(u: _Units, ind: dict, stats: pd.DataFrame | None, s: _Scratch) -> np.ndarray | None:
    """_class_size's states without class rows (see the note above): FAILED over the figure,
    else APPROX."""
    if stats is not None and not stats.empty:
        return None
    students, classes = u.num("students"), u.num("classes")
    if students is None or classes is None:
        return None
    fig = _stage_table(ind)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.divide(students, classes, out=s.value)  # _class_size's average where classes > 0
    over = _compare_by_stage(u, np.greater, avg, fig, s.ok, s.flag)
    judged = np.isfinite(avg, out=s.judged)
    judged &= np.greater(classes, 0, out=s.flag)
    _judged_by_stage(u, fig, judged)
    return _states_of(np.logical_not(over, out=over), None if judged.all() else judged, APPROX, s)


def _fast_states(u: _Units, ind: dict, stats: pd.DataFrame | None, s: _Scratch) -> np.ndarray | None:
    """Return _item_states' states of the item as uint8 (see the note above), or None where
    these readings do not cover it."""
    if not u.exclusive_stages:
        return None
    kind = ind["kind"]
    if kind == "all_classes_av" and "av_all_classes" in u:
        return np.asarray(u.data["av_all_classes"], dtype=bool).view(np.uint8)
    if kind in ("ratio_min", "ratio_max"):
        return _fast_ratio(u, ind, s)
    if kind == "total_by_classes":
        return _fast_by_classes(u, ind, s)
    if kind == "class_size":
        return _fast_class_size(u, ind, stats, s)
    return None


def class_stats(classes: pd.DataFrame | None, schools: pd.DataFrame | None = None,
                limits: dict[str, float] | None = None) -> pd.DataFrame | None:
    """Return per unit (``unit_id`` = school_id:stage, ``year``) the class rows' facts:
    ``classes``, ``largest``, ``over_limit`` (classes over the stage's limit, default 45/50)
    and ``over_cap`` (over 55).  A teaching point's classes count for its parent's primary
    unit, as its pupils do (``schools`` gives the parents).  None without class rows."""
    if classes is None or classes.empty:
        return None
    lim = limits or {"primary": 45.0, "junior": 50.0}
    c = classes.copy()
    sid = c["school_id"].astype(str)
    if schools is not None and "parent_school_id" in schools.columns:
        tp = schools[schools["school_type"] == "teaching_point"]
        parent = dict(zip(tp["school_id"].astype(str), tp["parent_school_id"].astype(str)))
        sid = sid.map(lambda s: parent.get(s, s))
    c["unit_id"] = sid + ":" + c["stage"].astype(str)
    c["limit"] = c["stage"].map(lim).astype(float)
    pupils = pd.to_numeric(c["pupils"], errors="coerce")
    c["over"] = pupils > c["limit"]
    c["cap"] = pupils > HARD_CAP
    c["pupils"] = pupils
    g = c.groupby(["year", "unit_id"], sort=True)
    return pd.DataFrame({"classes": g.size(), "largest": g["pupils"].max(),
                         "over_limit": g["over"].sum().astype(int),
                         "over_cap": g["cap"].sum().astype(int)}).reset_index()


def unit_status(states: np.ndarray, min_met: int) -> np.ndarray:
    """Return per row of the (units × items) state matrix the unit's status: pass, fail,
    missing or approximated (see the module docstring)."""
    code = _status_code((states == MET).sum(axis=1), (states == APPROX).sum(axis=1),
                        (states == MISSING).sum(axis=1), min_met)
    return np.asarray(_UNIT_STATUS, dtype=object)[code] if len(code) else np.empty(0, object)


def _status_code(met: np.ndarray, approx: np.ndarray, unknown: np.ndarray, min_met: int) -> np.ndarray:
    """Return the index into _UNIT_STATUS of each unit from its counts of items met for sure,
    approximated and missing."""
    return np.where(met >= min_met, 1,
                    np.where(met + approx + unknown < min_met, 0,
                             np.where(met + approx >= min_met, 3, 2)))


def judge_units(units: pd.DataFrame, profile: Profile | str | None = None,
                stats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return per unit: ``meets`` (items met, approximations included), ``school_status``, ``school_pass``
    (status pass or approximated), ``failing`` and ``uncertain`` (tuples of item ids: missing or
    approximated), ``approximated`` (ids judged on an approximation) and each item's value
    (``value_<id>``) and state (``state_<id>``)."""
    return pd.DataFrame(judge_unit_columns(units, profile, stats))


def rule_reads(profile: Profile | str | None = None) -> frozenset[str]:
    """Return the unit columns the profile's items may read (every text an item names, and
    what a class-size or 班班通 item reads): the engine makes these at once.  A hint only:
    a column missed here is made when an item reads it."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    named = {v for ind in prof.indicators for v in ind.values() if isinstance(v, str)}
    return frozenset({*named, "students", "classes", "av_all_classes"})


def judge_unit_columns(units: pd.DataFrame | Mapping[str, object], profile: Profile | str | None = None,
                       stats: pd.DataFrame | None = None, text_later: bool = False,
                       items_later: Callable[[], Mapping[str, object]] | None = None) -> dict[str, Any]:
    """Return judge_units' columns as a dict of fresh arrays (no frame built: the engine puts
    them straight into its units).  ``units``: a frame or a dict of equal-length columns.

    Units are judged once per distinct row of item states: a country has a few hundred.
    ``text_later``: the text columns (``school_status``, ``failing``, ``uncertain``,
    ``approximated``: one shared object per kind of row) come as makers instead, each called
    with no argument returning {name: column}, the same array (the engine makes them on
    first read: rows_of).  ``items_later``: the items' ``value_``/``state_`` columns come as
    makers too (item_columns), each judging its item again on first read from the columns
    ``items_later()`` returns then (the ones the items read, made by now: the same arrays)."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    u = _Units(units)
    n = u.n
    ids = [str(i["id"]) for i in prof.indicators]
    cols: dict[str, Any] = {"unit_id": np.asarray(units["unit_id"]) if "unit_id" in u
                            else np.arange(n)}
    if items_later is not None and len(ids) <= _PACKED:
        # the items' columns are made again on first read: each item's states are packed as
        # they are judged (no item's arrays kept: the same memory reused item after item)
        row, table = _packed_rows(u, prof.indicators, stats)
        frozen = _Frozen(items_later(), u.masks)  # the judged columns: every item has read its own
        for ind in prof.indicators:
            cols[f"value_{ind['id']}"] = cols[f"state_{ind['id']}"] = partial(item_columns, frozen, ind, stats)
    else:
        row, table = _judged_rows(u, prof.indicators, stats, cols, items_later)
    met, approx = (table == MET).sum(axis=1), (table == APPROX).sum(axis=1)
    # the items the file lacks are missing
    unknown = (table == MISSING).sum(axis=1) + (prof.n - len(ids))
    code = _status_code(met, approx, unknown, prof.min_met)
    # items met as far as the data shows (an approximation counted, as the averages always were)
    cols["meets"] = (met + approx).astype(np.int64)[row]
    per_row = partial(_per_row, row=row, later=text_later)
    cols["school_status"] = per_row("school_status", np.asarray(_UNIT_STATUS, dtype=object)[code])
    # as far as the data shows: an approximated unit keeps the pass the old averages gave it on
    # the maps and lists, and ``school_status`` says it is approximated (the verdict never passes it)
    cols["school_pass"] = ((code == 1) | (code == 3))[row]
    cols["failing"] = per_row("failing", ids_where(table == FAILED, ids))
    cols["uncertain"] = per_row("uncertain", ids_where((table == MISSING) | (table == APPROX), ids))
    cols["approximated"] = per_row("approximated", ids_where(table == APPROX, ids))
    return cols


_PACKED: Final = 31  # items whose states (2 bits each) one int64 holds
_MARKED_BITS: Final = 20  # packed states up to 2²⁰: kinds of row found by marking (1 MB of flags)


def _packed_rows(u: _Units, items: Sequence[dict], stats: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Return _judged_rows' (code per unit, states per kind of row) for at most _PACKED items,
    each item's states packed into one integer as it is judged: the codes _state_rows gives,
    and a kind's states read back from its packed integer (2 bits an item)."""
    marked = 2 * len(items) <= _MARKED_BITS
    # four items' states a byte, then the bytes joined: byte k holds items 4k … 4k + 3, so the
    # packed value is Σ state_j × 4^j all the same (the two bits of each item never overlap:
    # adding is or-ing).  Bytes are multiplied and added (numpy shifts bytes one by one, and
    # an int32 per item casts every state)
    octets = np.zeros(((len(items) + 3) // 4, u.n), dtype=np.uint8)
    scratch = _Scratch(u.n)
    shifted = np.empty(u.n, dtype=np.uint8)
    for j, ind in enumerate(items):
        # the states alone, in reused buffers (the same states: see _fast_states), else the
        # plain reading's (0 … 3: a byte)
        state = _fast_states(u, ind, stats, scratch)
        if state is None:
            state = _item_states(u, ind, stats)[1].astype(np.uint8)
        octets[j // 4] += np.multiply(state, np.uint8(4 ** (j % 4)), out=shifted)
    dtype = np.int32 if marked else np.int64  # (2²⁰ fits an int32)
    packed = octets[0].astype(dtype) if len(octets) else np.zeros(u.n, dtype=dtype)
    wide = np.empty_like(packed)
    for k in range(1, len(octets)):
        np.copyto(wide, octets[k])
        wide *= 256 ** k
        packed += wide
    if marked:  # every packed value marked in a small table: no hashing
        seen = np.zeros(1 << (2 * len(items)), dtype=bool)
        seen[packed] = True
        uniq = np.flatnonzero(seen)  # the kinds of row, by packed value (not first seen: the
        code = np.empty(len(seen), dtype=np.int64)  # codes only tell the kinds apart)
        code[uniq] = np.arange(len(uniq))
        part = code[packed]
    else:
        part, uniq = pd.factorize(packed)
    table = (np.asarray(uniq, dtype=np.int64)[:, None] >> (2 * np.arange(len(items), dtype=np.int64))) & 3
    return part.astype(np.int64, copy=False), table


def _judged_rows(u: _Units, items: Sequence[dict], stats: pd.DataFrame | None, cols: dict[str, Any],
                 items_later: Callable[[], Mapping[str, object]] | None) -> tuple[np.ndarray, np.ndarray]:
    """Judge every item into ``cols`` (``value_``/``state_``; makers if ``items_later``) and
    return (a code per unit: equal codes, equal states in every item; the states of each
    kind of row, kinds × items)."""
    states = []
    for ind in items:
        value, state = _item_states(u, ind, stats)
        cols[f"value_{ind['id']}"] = value
        cols[f"state_{ind['id']}"] = state
        states.append(state)
    if items_later is not None:  # the judged columns, frozen now: every item has read its own
        frozen = _Frozen(items_later(), u.masks)
        for ind in items:
            maker = partial(item_columns, frozen, ind, stats)
            cols[f"value_{ind['id']}"] = cols[f"state_{ind['id']}"] = maker
    row, kinds = _state_rows(states, u.n)
    # per kind of row: the states of its items (any unit of that kind shows them)
    rep = np.zeros(kinds, dtype=np.int64)
    rep[row] = np.arange(u.n)
    return row, np.array([s[rep] for s in states], dtype=np.int64).reshape(len(items), kinds).T


class _Frozen(Mapping[str, object]):
    """Columns and stage masks frozen for item_columns (picklable; no link back to the units
    they were read from, unless given as a ColumnsRead: then each is read when asked)."""

    def __init__(self, columns: Mapping[str, object], masks: dict[str, np.ndarray]) -> None:
        self.columns = columns if isinstance(columns, ColumnsRead) else dict(columns)
        self.masks = masks

    def stage_masks(self) -> dict[str, np.ndarray]:
        return self.masks

    def __getitem__(self, name: str) -> object:
        return self.columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)


def item_columns(units: Mapping[str, object], ind: dict, stats: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Return {value_<id>: …, state_<id>: …} of one item (a maker: see judge_unit_columns)."""
    value, state = _item_states(_Units(units), ind, stats)
    return {f"value_{ind['id']}": value, f"state_{ind['id']}": state}


def _per_row(name: str, per_kind: np.ndarray, row: np.ndarray, later: bool) -> Any:
    """Return ``per_kind[row]``, or its maker (see judge_unit_columns)."""
    return partial(rows_of, name, per_kind, row) if later else per_kind[row]


def rows_of(name: str, per_kind: np.ndarray, row: np.ndarray) -> dict[str, np.ndarray]:
    """Return {name: per_kind[row]} (a maker of a column made on first read)."""
    return {name: per_kind[row]}


def _state_rows(states: list[np.ndarray], n: int) -> tuple[np.ndarray, int]:
    """Return (a code per unit, the number of codes): units with the same state in every item
    share a code.  States take 2 bits; 31 items at a time are packed into one integer."""
    row, kinds = np.zeros(n, dtype=np.int64), 1
    for start in range(0, len(states), 31):
        packed = np.zeros(n, dtype=np.int64)
        for j, state in enumerate(states[start:start + 31]):
            packed |= state.astype(np.int64, copy=False) << (2 * j)
        part, uniq = pd.factorize(packed)
        if start:  # with the codes of the items before
            part, uniq = pd.factorize(row * len(uniq) + part)
        row, kinds = part.astype(np.int64, copy=False), len(uniq)
    return row, kinds


def ids_where(mask: np.ndarray, ids: list[str]) -> np.ndarray:
    """Return, per row of the boolean matrix ``mask``, the tuple of ids where it holds.

    Rows are encoded as bit masks and decoded through the few masks that occur, so this stays
    vectorised for a whole country of units.
    """
    if len(mask) == 0:
        return np.empty(0, dtype=object)
    return ids_of_bits(mask.astype(np.int64) @ (np.int64(1) << np.arange(len(ids), dtype=np.int64)), ids)


def ids_of_bits(code: np.ndarray, ids: list[str]) -> np.ndarray:
    """Return, per bit mask in ``code`` (bit j: ``ids[j]``), the tuple of those ids; one tuple
    per distinct mask, shared by every row that has it."""
    if len(code) == 0:
        return np.empty(0, dtype=object)

    def decode(m: int) -> tuple[str, ...]:
        return tuple(i for j, i in enumerate(ids) if (m >> j) & 1)

    if len(ids) <= 16:  # a table of every possible mask: no hashing
        table = np.empty(1 << len(ids), dtype=object)
        for m in np.flatnonzero(np.bincount(code, minlength=len(table))):
            table[m] = decode(int(m))
        return table[code]
    codes, uniq = pd.factorize(code)
    table = np.empty(len(uniq), dtype=object)
    for k, m in enumerate(uniq):
        table[k] = decode(int(m))
    return table[codes]
