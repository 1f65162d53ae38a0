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

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "round_cv",
    "weighted_cv",
    "GroupStats",
    "group_stats",
    "indicator_stats",
    "indicator_group_stats",
    "indicator_contributions",
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
    pass_ = _Pass(np.asarray(weights, dtype=float), np.asarray(groups, dtype=np.int64), n_groups)
    parts = [pass_.column(x[:, j]) for j in range(x.shape[1])]
    stats = _stack_stats(parts, n_groups)
    if squeeze:
        return GroupStats(*(a[:, 0] for a in (stats.weight, stats.count, stats.mean, stats.std, stats.cv)))
    return stats


def indicator_stats(columns: list[np.ndarray], weights: np.ndarray, groups: np.ndarray,
                    n_groups: int) -> tuple[GroupStats, np.ndarray, np.ndarray]:
    """Return group_stats and unit_contributions of the indicator ``columns`` (each (n,))
    together: (stats, share, cv_if) with share and cv_if indicator-major, (k, n).

    The same operations on the same operands as the two functions, so the same bits; the
    deviations and gathered means of the statistics are reused for the contributions.
    """
    w = np.asarray(weights, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    pass_ = _Pass(w, g, n_groups)
    k, n = len(columns), len(w)
    share_t, cv_t = np.empty((k, n)), np.empty((k, n))
    parts = []
    for j, col in enumerate(columns):
        col = np.asarray(col, dtype=float)
        part = pass_.column(col)
        parts.append(part)
        _contributions_1d(col, w, g, part.mean, part.std, part.weight, part.mean_g, part.dev,
                          pass_.pupil_share() if part.weight is pass_.sw else None,
                          (share_t[j], cv_t[j]))
        part.mean_g = part.dev = None  # freed: the next indicator reuses the memory
    return _stack_stats(parts, n_groups), share_t, cv_t


def indicator_group_stats(columns: Iterable[np.ndarray], weights: np.ndarray, groups: np.ndarray,
                          n_groups: int, units: np.ndarray | None = None) -> GroupStats:
    """Return indicator_stats' statistics alone (the same bits): the contributions are left
    to indicator_contributions, which a caller may run later, for one indicator at a time.
    ``columns`` are read one after another, each summed before the next is read (an iterator
    may hand over one buffer, rewritten).

    ``units``: the caller's ``np.bincount(groups, minlength=n_groups)`` (the units of each
    group), then not counted again."""
    pass_ = _Pass(np.asarray(weights, dtype=float), np.asarray(groups, dtype=np.int64), n_groups, units)
    # the per-unit temporaries of every indicator in two buffers of the pass (see _Pass.column)
    return _stack_stats([pass_.column(np.asarray(col, dtype=float), keep=False) for col in columns], n_groups)


def indicator_contributions(column: np.ndarray, weights: np.ndarray, groups: np.ndarray,
                            stats: GroupStats, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Return indicator_stats' (share, cv_if) of indicator ``j`` (``column``), bit for bit:
    the same operations on the same operands (the gathered mean, the deviations and the pupil
    share recomputed as indicator_stats computes them), from the statistics of
    indicator_group_stats."""
    return _contributions_1d(np.asarray(column, dtype=float), np.asarray(weights, dtype=float),
                             np.asarray(groups, dtype=np.int64), stats.mean[:, j], stats.std[:, j],
                             stats.weight[:, j])


@dataclass
class _Column:
    """One indicator's per-group statistics and, when every unit counts, its per-unit
    deviations from the group mean and the gathered mean (reused by the contributions)."""

    weight: np.ndarray
    count: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    mean_g: np.ndarray | None
    dev: np.ndarray | None


def _sum_is_finite(col: np.ndarray) -> bool:
    """Whether the sum of ``col`` is finite: then so is every value (a NaN or an infinity
    makes the sum NaN or infinite).  A sum that overflows says nothing: the values are then
    looked at one by one."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(col)))


class _Pass:
    """The weights and groups of one group_stats pass, with what every indicator shares
    computed once: the groups' weights and unit counts when every unit counts."""

    def __init__(self, w: np.ndarray, g: np.ndarray, n_groups: int, units: np.ndarray | None = None) -> None:
        self.w, self.g, self.n_groups = w, g, n_groups
        self.w_ok = w > 0
        self.w_all = bool(self.w_ok.all())
        self.sw: np.ndarray | None = None  # the groups' weights when every unit counts
        # the units of each group (``units``: a caller's bincount of ``g``, else counted when needed)
        self._count: np.ndarray | None = None if units is None else np.asarray(units).astype(float)
        self._share: tuple[np.ndarray, np.ndarray] | None = None
        self._scratch: tuple[np.ndarray, np.ndarray] | None = None

    def pupil_share(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (s, s + s²) of every unit against ``sw`` (see _contributions_1d)."""
        if self._share is None:
            assert self.sw is not None
            self._share = _pupil_share(self.w, self.sw, self.g)
        return self._share

    def column(self, col: np.ndarray, keep: bool = True) -> _Column:
        """Two passes of ``np.bincount``: the mean, then squared deviations.

        ``keep=False``: the gathered mean and the deviations are not kept (None) and, when
        every unit counts, the per-unit temporaries are written into two buffers the pass
        reuses for every column (fresh memory is a large part of a country's cost): the same
        operations on the same operands, so the same bits."""
        w, g, n_groups = self.w, self.g, self.n_groups
        if not keep and self.w_all and col.dtype.kind == "f":
            # the common case first: Σ w·x per group, the first step of _reused, taken now.
            # Every weight is > 0, so a NaN or infinite value makes its group's sum NaN or
            # infinite: finite sums prove every value finite (no pass over the values to
            # check).  Otherwise the values are looked at as below; if they are all finite
            # after all (a sum that overflowed), the sums taken are _reused's own.
            swx = np.bincount(g, weights=np.multiply(w, col, out=self._buffers()[0]), minlength=n_groups)
            if _sum_is_finite(swx) or _sum_is_finite(col) or bool(np.isfinite(col).all()):
                return self._reused(col, *self._whole(), swx)
        if self.w_all and col.dtype.kind == "f" and _sum_is_finite(col):  # no mask to make
            whole, ok = True, self.w_ok  # (ok unread: every unit counts)
        else:
            finite = np.isfinite(col)
            whole = self.w_all and bool(finite.all())  # the common case: every unit counts, no masking
            ok = finite if whole else self.w_ok & finite
        wj = w if whole else np.where(ok, w, 0.0)
        cj = col if whole else np.where(ok, col, 0.0)
        if whole:
            sw, count = self._whole()
        else:
            sw = np.bincount(g, weights=wj, minlength=n_groups).astype(float, copy=False)
            count = np.bincount(g, weights=ok.astype(float), minlength=n_groups)
        if whole and not keep:
            return self._reused(col, sw, count)
        swx = np.bincount(g, weights=wj * cj, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(sw > 0, swx / sw, np.nan)
        mean_g = m[g]
        dev = cj - mean_g if whole else np.where(ok, cj - mean_g, 0.0)
        ss = np.bincount(g, weights=wj * dev * dev, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(sw > 0, np.sqrt(ss / sw), np.nan)
        assert count is not None
        return _Column(sw, count, m, s, mean_g if keep else None, dev if whole and keep else None)

    def _whole(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the groups' weights and unit counts when every unit counts (made once)."""
        if self.sw is None:
            self.sw = np.bincount(self.g, weights=self.w, minlength=self.n_groups).astype(float, copy=False)
        if self._count is None:
            self._count = np.bincount(self.g, minlength=self.n_groups).astype(float)
        return self.sw, self._count

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """The pass's two per-unit buffers (see column)."""
        if self._scratch is None:
            self._scratch = (np.empty(len(self.w)), np.empty(len(self.w)))
        return self._scratch

    def _reused(self, col: np.ndarray, sw: np.ndarray, count: np.ndarray | None,
                swx: np.ndarray | None = None) -> _Column:
        """column() when every unit counts, its temporaries in the pass's two buffers:
        w·x, then mean[g] − overwritten by x − mean[g] −, then (w·d)·d.  ``swx``: Σ w·x per
        group when taken already (see column)."""
        w, g, n_groups = self.w, self.g, self.n_groups
        a, b = self._buffers()
        if swx is None:
            swx = np.bincount(g, weights=np.multiply(w, col, out=a), minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(sw > 0, swx / sw, np.nan)
        dev = np.subtract(col, np.take(m, g, out=b, mode="clip"), out=b)  # codes lie in [0, n_groups)
        term = np.multiply(w, dev, out=a)
        term *= dev
        ss = np.bincount(g, weights=term, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(sw > 0, np.sqrt(ss / sw), np.nan)
        assert count is not None
        return _Column(sw, count, m, s, None, None)


def _stack_stats(parts: list[_Column], n_groups: int) -> GroupStats:
    k = len(parts)
    weight, count = np.zeros((n_groups, k)), np.zeros((n_groups, k))
    mean, std = np.full((n_groups, k), np.nan), np.full((n_groups, k), np.nan)
    for j, part in enumerate(parts):
        weight[:, j], count[:, j], mean[:, j], std[:, j] = part.weight, part.count, part.mean, part.std
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean != 0, std / mean, np.nan)
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
        _contributions_1d(x[:, j], w, g, mean[:, j], std[:, j], tot[:, j], out=(share_t[j], cv_t[j]))
    share, cv_if = share_t.T, cv_t.T
    if squeeze:
        return share[:, 0], cv_if[:, 0]
    return share, cv_if


def _contributions_1d(x: np.ndarray, w: np.ndarray, g: np.ndarray, mean: np.ndarray, std: np.ndarray,
                      tot: np.ndarray, mean_g: np.ndarray | None = None, d: np.ndarray | None = None,
                      shared: tuple[np.ndarray, np.ndarray] | None = None,
                      out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """unit_contributions for one indicator.  Each group statistic is gathered once (products
    of group statistics are formed per group, then gathered: the same elementwise products)
    and temporaries are reused in place: the same operations on the same operands as the
    formulas of unit_contributions, so the same bits in fewer passes.

    ``mean_g`` (mean[g]) and ``d`` (x − mean[g]) may be given; ``d`` is then overwritten.
    ``shared``: the unit's pupil share s = w / tot[g] and s + s², when ``tot`` is the same for
    several indicators.  ``out``: the (share, cv_if) arrays to fill."""
    n = len(x)
    share_out, cv_out = out if out is not None else (np.empty(n), np.empty(n))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        tot = np.asarray(tot, dtype=float)
        var = np.square(std)
        if mean_g is None:
            mean_g = mean[g]
        if d is None:
            d = x - mean_g
        term = np.square(d, out=share_out)
        term *= w
        _set_where(term, ~np.isfinite(term), 0.0)
        var_total = var * tot
        share = np.divide(term, var_total[g], out=term)
        bad = ~(var_total > 0)
        if bad.any():
            np.copyto(share, 0.0, where=bad[g])
        s, s_coef = shared if shared is not None else _pupil_share(w, tot, g)
        if np.isfinite(d).all():  # the common case: nothing to replace
            dn = d
        elif np.isinf(d).any():
            dn = np.nan_to_num(d)
        else:
            dn = d
            np.copyto(dn, 0.0, where=np.isnan(dn))
        new_mean = np.multiply(s, dn)
        np.subtract(mean_g, new_mean, out=new_mean)
        np.square(dn, out=dn)
        rest = np.multiply(s_coef, dn, out=cv_out)
        np.subtract(var[g], rest, out=rest)
        np.maximum(rest, 0.0, out=rest)
        cv_if = np.sqrt(rest, out=rest)
        cv_if /= new_mean
        _set_where(cv_if, new_mean == 0, np.nan)
    return share, cv_if


def _set_where(a: np.ndarray, mask: np.ndarray, value: float) -> None:
    """Set ``a`` to ``value`` where ``mask`` holds (nothing written when it holds nowhere)."""
    if mask.any():
        np.copyto(a, value, where=mask)


def _pupil_share(w: np.ndarray, tot: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each unit's pupil share s = w / tot[g] and s + s² (as s² + s: the same sum)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        s = tot[g]
        np.divide(w, s, out=s)
        coef = np.square(s)
        coef += s
    return s, coef


@dataclass(frozen=True)
class Verdict:
    """A CV judged against its threshold: rounded value, pass (≤ threshold) and near flag."""

    value: float
    rounded: float
    threshold: float
    passed: bool
    near: bool


def round_cv(values, dp: int) -> np.ndarray:
    """Return ``values`` rounded to ``dp`` decimals as the value itself rounds (四舍五入 of the
    computed value), so the figure judged is the figure shown (``f"{x:.3f}"``).

    ``np.round`` scales by 10^dp first, and the scaled product can land exactly on a half the
    value itself is not on: 0.4505 (stored as 0.45050000000000001) scales to 450.5 and rounds
    to even, 0.450, where it is shown as 0.451.  Values within a hair of a half are therefore
    rounded exactly (``decimal`` on the binary value); the others as numpy does.  A value
    exactly on a half (0.5625) rounds to even as the display does; no threshold has one near it.

    >>> float(round_cv(0.4505, 3)), float(np.round(0.4505, 3))
    (0.451, 0.45)
    >>> round_cv([0.6504, 0.6506, float("nan")], 3).tolist()
    [0.65, 0.651, nan]
    """
    from decimal import ROUND_HALF_EVEN, Decimal

    c = np.asarray(values, dtype=float)
    out = np.array(np.round(c, dp), dtype=float)  # an array even for one value: written below
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = c * 10.0**dp
        edge = np.isfinite(c) & (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if edge.any():
        step = Decimal(1).scaleb(-dp)
        flat = out.reshape(-1)
        for i in np.flatnonzero(edge.reshape(-1)):
            flat[i] = float(Decimal(float(c.reshape(-1)[i])).quantize(step, rounding=ROUND_HALF_EVEN))
    return out


def judge(cv, threshold, dp: int, margin: float, rounded=None):
    """Return (passed, near) for CV value(s) against threshold(s), element-wise.

    passed: round(cv, dp) ≤ threshold, rounded as shown (:func:`round_cv`); near: |cv −
    threshold| ≤ margin (provincial tools may round to 2 dp, so such a county can flip).  NaN
    never passes.

    ``dp`` and ``margin`` are the evaluation's ``round_dp`` and ``near_margin`` (standards.csv
    PARAM_ROUND_CV, PARAM_NEAR_MARGIN); ``rounded``: ``round_cv(cv, dp)`` when the caller has
    it already.

    >>> judge(0.6504, 0.65, 3, 0.005)
    (True, True)
    >>> judge(0.6506, 0.65, 3, 0.005)
    (False, True)
    >>> judge(0.4505, 0.45, 3, 0.005)  # shown as 0.451: fails, as shown
    (False, True)
    """
    c = np.asarray(cv, dtype=float)
    t = np.asarray(threshold, dtype=float)
    with np.errstate(invalid="ignore"):
        rounded = round_cv(c, dp) if rounded is None else np.asarray(rounded, dtype=float)
        passed = np.isfinite(c) & (rounded <= t + 1e-12)
        near = np.isfinite(c) & (np.abs(c - t) <= margin + 1e-12)
    if passed.ndim == 0:
        return bool(passed), bool(near)
    return passed, near
