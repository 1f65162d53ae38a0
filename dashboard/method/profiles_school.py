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

from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.profiles import Profile, load_profile

__all__ = [
    "FAILED",
    "MET",
    "MISSING",
    "APPROX",
    "item_states",
    "class_stats",
    "judge_units",
    "unit_status",
    "ids_where",
]

# (public name for the compliance module)

FAILED, MET, MISSING, APPROX = 0, 1, 2, 3
_UNIT_STATUS: Final = ("fail", "pass", "missing", "approximated")
HARD_CAP: Final = 55  # seed 000: "班額小學不超過45人,不多于55人、初中不超過50人,不多于55人"


def _figure(ind: dict, stage: np.ndarray) -> np.ndarray:
    """Return the item's figure per unit (NaN where the profile gives none for the stage)."""
    out = np.full(len(stage), np.nan)
    for st in ("primary", "junior"):
        v = ind.get(st)
        if isinstance(v, int | float):
            out[stage == st] = float(v)
    return out


def _num(units: pd.DataFrame, name: str | None) -> np.ndarray | None:
    if not name or name not in units.columns:
        return None
    return pd.to_numeric(units[name], errors="coerce").to_numpy(dtype=float)


def _ratio(units: pd.DataFrame, ind: dict, stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(stage)
    num, den = _num(units, ind.get("numerator")), _num(units, ind.get("denominator"))
    if num is None or den is None:
        return np.full(n, np.nan), np.full(n, MISSING)
    sub = _num(units, ind.get("subtract"))
    if ind.get("subtract") and sub is None:
        return np.full(n, np.nan), np.full(n, MISSING)
    if sub is not None:
        num = num - sub
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, num * float(ind.get("scale", 1)) / den, np.nan)
    fig = _figure(ind, stage)
    ok = value >= fig if ind["kind"] == "ratio_min" else value <= fig
    state = np.where(ok, MET, FAILED)
    state = np.where(np.isfinite(value) & np.isfinite(fig), state, MISSING)
    na = _num(units, ind.get("not_applicable_when"))
    if na is not None:
        state = np.where(na == 0, MET, state)
    return value, state


def _by_classes(units: pd.DataFrame, ind: dict, stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(stage)
    classes = _num(units, ind.get("classes", "classes"))
    need = np.full(n, np.nan)
    for st in ("primary", "junior"):
        for upto, amount in reversed(ind.get(st) or []):
            need[(stage == st) & (classes <= upto)] = amount
    exact = _num(units, ind.get("preferred_numerator"))
    total = _num(units, ind.get("numerator"))
    value = np.full(n, np.nan) if total is None else total
    state = np.where(value >= need, APPROX if ind.get("preferred_numerator") else MET, FAILED)
    if exact is not None:
        given = np.isfinite(exact)
        value = np.where(given, exact, value)
        state = np.where(given, np.where(exact >= need, MET, FAILED), state)
    state = np.where(np.isfinite(value) & np.isfinite(need), state, MISSING)
    return value, state


def _class_size(units: pd.DataFrame, ind: dict, stage: np.ndarray,
                stats: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    fig = _figure(ind, stage)
    n = len(stage)
    students = _num(units, "students")
    classes = _num(units, "classes")
    if students is None or classes is None:
        return np.full(n, np.nan), np.full(n, MISSING)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(classes > 0, students / classes, np.nan)
    value = avg
    state = np.where(avg > fig, FAILED, APPROX)
    if stats is not None and not stats.empty:
        key = units["unit_id"].astype(str) + "|" + units["year"].astype(str)
        s = stats.assign(key=stats["unit_id"].astype(str) + "|" + stats["year"].astype(str))
        largest = key.map(s.set_index("key")["largest"]).to_numpy(dtype=float)
        given = np.isfinite(largest)
        value = np.where(given, largest, value)
        state = np.where(given, np.where(largest <= fig, MET, FAILED), state)
    state = np.where(np.isfinite(value) & np.isfinite(fig), state, MISSING)
    return value, state


def _flag(units: pd.DataFrame, ind: dict, stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(stage)
    col = ind.get("column")
    if not col or col not in units.columns:
        return np.full(n, np.nan), np.full(n, MISSING)
    raw = units[col]
    if ind["kind"] == "share_min":
        value = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        fig = _figure(ind, stage)
        state = np.where(value >= fig, MET, FAILED)
        return value, np.where(np.isfinite(value) & np.isfinite(fig), state, MISSING)
    value = raw.map(lambda v: np.nan if v is None or pd.isna(v) else float(bool(v))).to_numpy(float)
    return value, np.where(np.isfinite(value), np.where(value > 0, MET, FAILED), MISSING)


def item_states(units: pd.DataFrame, ind: dict,
                stats: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (value, state) per unit for one profile item (states FAILED/MET/MISSING/APPROX)."""
    stage = np.asarray(units["stage"])
    kind = ind["kind"]
    if kind == "all_classes_av":
        if "av_all_classes" not in units.columns:
            return np.full(len(stage), np.nan), np.full(len(stage), MISSING)
        met = np.asarray(units["av_all_classes"], dtype=bool)
        return met.astype(float), np.where(met, MET, FAILED)
    if kind in ("ratio_min", "ratio_max"):
        return _ratio(units, ind, stage)
    if kind == "total_by_classes":
        return _by_classes(units, ind, stage)
    if kind == "class_size":
        return _class_size(units, ind, stage, stats)
    if kind in ("flag", "share_min"):
        return _flag(units, ind, stage)
    raise ValueError(f"profile: unknown item kind {kind!r} in {ind.get('id')}")


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
    met = (states == MET).sum(axis=1)
    approx = (states == APPROX).sum(axis=1)
    unknown = (states == MISSING).sum(axis=1)
    code = np.where(met >= min_met, 1,
                    np.where(met + approx + unknown < min_met, 0,
                             np.where(met + approx >= min_met, 3, 2)))
    return np.asarray(_UNIT_STATUS, dtype=object)[code] if len(code) else np.empty(0, object)


def judge_units(units: pd.DataFrame, profile: Profile | str | None = None,
                stats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return per unit: ``meets`` (items met, approximations included), ``school_status``, ``school_pass``
    (status pass or approximated), ``failing`` and ``uncertain`` (tuples of item ids: missing or
    approximated), ``approximated`` (ids judged on an approximation) and each item's value
    (``value_<id>``) and state (``state_<id>``)."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    n = len(units)
    ids = [str(i["id"]) for i in prof.indicators]
    cols: dict[str, object] = {"unit_id": np.asarray(units["unit_id"]) if "unit_id" in units
                               else np.arange(n)}
    states = np.full((n, prof.n), MISSING, dtype=np.int64)  # items the file lacks: missing
    for j, ind in enumerate(prof.indicators):
        value, state = item_states(units, ind, stats)
        cols[f"value_{ind['id']}"] = value
        cols[f"state_{ind['id']}"] = state
        states[:, j] = state
    status = unit_status(states, prof.min_met)
    # items met as far as the data shows (an approximation counted, as the averages always were)
    cols["meets"] = np.isin(states, (MET, APPROX)).sum(axis=1).astype(int)
    cols["school_status"] = status
    # as far as the data shows: an approximated unit keeps the pass the old averages gave it on
    # the maps and lists, and ``school_status`` says it is approximated (the verdict never passes it)
    cols["school_pass"] = np.isin(status, ("pass", "approximated"))
    cols["failing"] = ids_where(states[:, :len(ids)] == FAILED, ids)
    cols["uncertain"] = ids_where(np.isin(states[:, :len(ids)], (MISSING, APPROX)), ids)
    cols["approximated"] = ids_where(states[:, :len(ids)] == APPROX, ids)
    return pd.DataFrame(cols)


def ids_where(mask: np.ndarray, ids: list[str]) -> np.ndarray:
    """Return, per row of the boolean matrix ``mask``, the tuple of ids where it holds.

    Rows are encoded as bit masks and decoded through the few masks that occur, so this stays
    vectorised for a whole country of units.
    """
    if len(mask) == 0:
        return np.empty(0, dtype=object)
    code = mask.astype(np.int64) @ (np.int64(1) << np.arange(len(ids), dtype=np.int64))
    codes, uniq = pd.factorize(code)
    decoded = np.empty(len(uniq), dtype=object)
    for k, m in enumerate(uniq):
        decoded[k] = tuple(i for j, i in enumerate(ids) if (int(m) >> j) & 1)
    return decoded[codes]
