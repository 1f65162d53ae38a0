"""The enrolment-weighted coefficient of variation (差异系数) and its decomposition by unit.

For one indicator over the units i of a county and stage (docs/method.md §2)::

    x̄  = Σ Pᵢ·xᵢ / Σ Pᵢ                       (= Σ Rᵢ / Σ Pᵢ, the county ratio)
    S  = sqrt( Σ Pᵢ·(xᵢ − x̄)² / Σ Pᵢ )        (population form: divide by P, not P − 1)
    CV = S / x̄

The basic composite (综合差异系数) is the plain mean of CV(B1)…CV(B8).  Pass/fail is judged on the
value rounded to 3 decimals; values within 0.005 of the threshold are flagged as near.

The published worked example (S3: five schools, 生均图书册数) gives 0.5153, not the unweighted 0.4888:

>>> pupils = [45, 37, 89, 76, 55]
>>> books = [279, 137, 935, 160, 402]
>>> round(weighted_cv([b / p for b, p in zip(books, pupils)], pupils), 4)
0.5153
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "weighted_cv",
    "GroupStats",
    "group_stats",
    "unit_contributions",
    "judge",
    "Verdict",
]


def weighted_cv(values, weights) -> float:
    """Return the enrolment-weighted population CV (ratio ≥ 0) of ``values`` with ``weights``.

    Units with zero weight are ignored; NaN if the weighted mean is 0 or there is no weight.

    >>> weighted_cv([2.0, 2.0, 2.0], [10, 20, 30])
    0.0
    """
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if x.shape != w.shape:
        raise ValueError(f"values and weights differ in shape: {x.shape} vs {w.shape}")
    if (w < 0).any():
        raise ValueError("weights (enrolments) must be ≥ 0")
    keep = w > 0
    x, w = x[keep], w[keep]
    total = w.sum()
    if total == 0:
        return float("nan")
    mean = (w * x).sum() / total
    if mean == 0:
        return float("nan")
    var = (w * (x - mean) ** 2).sum() / total
    return float(np.sqrt(var) / mean)


@dataclass(frozen=True)
class GroupStats:
    """Per-group weighted statistics: arrays of shape (groups, indicators).

    ``weight`` is Σ Pᵢ per group, ``count`` the number of units, ``mean`` the weighted mean,
    ``std`` the weighted population standard deviation and ``cv`` = std / mean (NaN if mean 0).
    """

    weight: np.ndarray
    count: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    cv: np.ndarray


def group_stats(values: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int) -> GroupStats:
    """Return the weighted mean, std and CV of each column of ``values`` within each group.

    ``values`` is (n, k) or (n,), ``weights`` (n,) enrolments, ``groups`` (n,) integer codes in
    [0, n_groups).  Two passes of ``np.bincount`` per indicator (the mean, then squared
    deviations), so the result is exact for identical values (CV exactly 0) and linear in n.
    Units with NaN values or zero weight are left out of that indicator.
    """
    x = np.asarray(values, dtype=float)
    squeeze = x.ndim == 1
    if squeeze:
        x = x[:, None]
    w = np.asarray(weights, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    k = x.shape[1]
    weight = np.zeros((n_groups, k))
    count = np.zeros((n_groups, k))
    mean = np.full((n_groups, k), np.nan)
    std = np.full((n_groups, k), np.nan)
    w_ok = w > 0
    unit_count = None
    for j in range(k):
        col = x[:, j]
        ok = w_ok & np.isfinite(col)
        whole = bool(ok.all())  # the common case: every unit counts, no masking needed
        wj = w if whole else np.where(ok, w, 0.0)
        cj = col if whole else np.where(ok, col, 0.0)
        sw = np.bincount(g, weights=wj, minlength=n_groups)
        swx = np.bincount(g, weights=wj * cj, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(sw > 0, swx / sw, np.nan)
        dev = cj - m[g] if whole else np.where(ok, cj - m[g], 0.0)
        ss = np.bincount(g, weights=wj * dev * dev, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(sw > 0, np.sqrt(ss / sw), np.nan)
        weight[:, j] = sw
        if whole:
            if unit_count is None:
                unit_count = np.bincount(g, minlength=n_groups).astype(float)
            count[:, j] = unit_count
        else:
            count[:, j] = np.bincount(g, weights=ok.astype(float), minlength=n_groups)
        mean[:, j] = m
        std[:, j] = s
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean != 0, std / mean, np.nan)
    if squeeze:
        return GroupStats(weight[:, 0], count[:, 0], mean[:, 0], std[:, 0], cv[:, 0])
    return GroupStats(weight, count, mean, std, cv)


def unit_contributions(values, weights, groups, stats: GroupStats) -> tuple[np.ndarray, np.ndarray]:
    """Return each unit's share of its group's weighted variance and the CV if it stood at the mean.

    share_i = Pᵢ(xᵢ − x̄)² / Σⱼ Pⱼ(xⱼ − x̄)² (0–1, sums to 1 per group and indicator).
    cv_if_mean_i is the CV after setting xᵢ to today's county mean x̄ (nothing else changes).
    With sᵢ = Pᵢ/P and dᵢ = xᵢ − x̄ the new mean is x̄ − sᵢdᵢ and the new variance
    S² − (sᵢ + sᵢ²)dᵢ², so it is exact without re-evaluating.  Shapes follow ``values``.
    """
    x = np.asarray(values, dtype=float)
    squeeze = x.ndim == 1
    if squeeze:
        x = x[:, None]
    w = np.asarray(weights, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    mean = np.atleast_2d(stats.mean.T).T if squeeze else stats.mean
    std = np.atleast_2d(stats.std.T).T if squeeze else stats.std
    tot = np.atleast_2d(stats.weight.T).T if squeeze else stats.weight
    n, k = x.shape
    share_t, cv_t = np.empty((k, n)), np.empty((k, n))
    for j in range(k):  # one indicator at a time: its arrays stay in the processor's cache
        share_t[j], cv_t[j] = _contributions_1d(x[:, j], w, g, mean[:, j], std[:, j], tot[:, j])
    share, cv_if = share_t.T, cv_t.T
    if squeeze:
        return share[:, 0], cv_if[:, 0]
    return share, cv_if


def _contributions_1d(x: np.ndarray, w: np.ndarray, g: np.ndarray, mean: np.ndarray, std: np.ndarray,
                      tot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """unit_contributions for one indicator.  Each group statistic is gathered once and
    temporaries are reused in place: the same operations on the same operands as the formulas
    of unit_contributions, so the same bits in fewer passes."""
    mean_g, var_g, tot_g = mean[g], std[g], tot[g]
    np.square(var_g, out=var_g)
    d = x - mean_g
    term = np.square(d)
    term *= w
    np.copyto(term, 0.0, where=~np.isfinite(term))
    with np.errstate(invalid="ignore", divide="ignore"):
        var_total = var_g * tot_g
        share = np.divide(term, var_total, out=term)
        np.copyto(share, 0.0, where=~(var_total > 0))
        s = np.divide(w, tot_g, out=tot_g)  # the unit's pupil share
        dn = np.nan_to_num(d) if np.isinf(d).any() else np.where(np.isnan(d), 0.0, d)
        new_mean = mean_g - s * dn
        np.square(dn, out=dn)
        rest = var_g - (s + s**2) * dn
        np.maximum(rest, 0.0, out=rest)
        cv_if = np.sqrt(rest, out=rest)
        cv_if /= new_mean
        np.copyto(cv_if, np.nan, where=new_mean == 0)
    return share, cv_if


@dataclass(frozen=True)
class Verdict:
    """A CV judged against its threshold: rounded value, pass (≤ threshold) and near flag."""

    value: float
    rounded: float
    threshold: float
    passed: bool
    near: bool


def judge(cv, threshold, dp: int, margin: float):
    """Return (passed, near) for CV value(s) against threshold(s), element-wise.

    passed: round(cv, dp) ≤ threshold; near: |cv − threshold| ≤ margin (provincial tools may
    round to 2 dp, so such a county can flip).  NaN never passes.

    ``dp`` and ``margin`` are the evaluation's ``round_dp`` and ``near_margin`` (standards.csv
    PARAM_ROUND_CV, PARAM_NEAR_MARGIN).

    >>> judge(0.6504, 0.65, 3, 0.005)
    (True, True)
    >>> judge(0.6506, 0.65, 3, 0.005)
    (False, True)
    """
    c = np.asarray(cv, dtype=float)
    t = np.asarray(threshold, dtype=float)
    with np.errstate(invalid="ignore"):
        rounded = np.round(c, dp)
        passed = np.isfinite(c) & (rounded <= t + 1e-12)
        near = np.isfinite(c) & (np.abs(c - t) <= margin + 1e-12)
    if passed.ndim == 0:
        return bool(passed), bool(near)
    return passed, near
