"""The enrolment-weighted CV: the published example, hand-computed cases and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.method.coefficients import group_stats, judge, unit_contributions, weighted_cv
from dashboard.method.standards import DEFAULT_PARAMS, standards_table

PUPILS = [45, 37, 89, 76, 55]
BOOKS = [279, 137, 935, 160, 402]


def test_published_worked_example_is_weighted_population_cv():
    # S3: weights 0.149 … 0.182, sum of contributions 10.65, sqrt 3.26, mean 6.33, CV 0.52.
    x = [b / p for b, p in zip(BOOKS, PUPILS)]
    assert weighted_cv(x, PUPILS) == pytest.approx(0.5153, abs=5e-5)
    mean = sum(BOOKS) / sum(PUPILS)
    assert mean == pytest.approx(6.33, abs=5e-3)
    var = sum(p * (xi - mean) ** 2 for p, xi in zip(PUPILS, x)) / sum(PUPILS)
    assert var == pytest.approx(10.65, abs=5e-3)


def test_unweighted_cv_is_not_what_we_compute():
    x = np.array([b / p for b, p in zip(BOOKS, PUPILS)])
    unweighted = x.std() / x.mean()
    assert unweighted == pytest.approx(0.4888, abs=5e-5)
    assert abs(weighted_cv(x, PUPILS) - unweighted) > 0.02


def test_two_schools_by_hand():
    # x = 5, 3 with 100 and 300 pupils: mean 3.5, variance (100·1.5² + 300·0.5²)/400 = 0.75.
    assert weighted_cv([5.0, 3.0], [100, 300]) == pytest.approx(math.sqrt(0.75) / 3.5)


def test_zero_weight_units_are_dropped_and_zero_mean_is_nan():
    assert weighted_cv([5.0, 3.0, 99.0], [100, 300, 0]) == pytest.approx(math.sqrt(0.75) / 3.5)
    assert math.isnan(weighted_cv([0.0, 0.0], [10, 10]))
    assert math.isnan(weighted_cv([], []))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="differ in shape"):
        weighted_cv([1.0, 2.0], [1])
    with pytest.raises(ValueError, match="weights .* must be ≥ 0"):
        weighted_cv([1.0, 2.0], [1, -1])


def test_zero_resource_unit_is_valid_and_counts():
    # docs/method.md §2 (d): R_i = 0 is valid; x_i = 0 contributes to the CV.
    assert weighted_cv([0.0, 2.0], [100, 100]) == pytest.approx(1.0)


def test_group_stats_matches_scalar_per_group():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, size=(50, 3))
    w = rng.integers(1, 500, size=50).astype(float)
    g = rng.integers(0, 4, size=50)
    stats = group_stats(x, w, g, 4)
    for k in range(4):
        for j in range(3):
            sel = g == k
            assert stats.cv[k, j] == pytest.approx(weighted_cv(x[sel, j], w[sel]))
            assert stats.mean[k, j] == pytest.approx(np.average(x[sel, j], weights=w[sel]))


def test_contributions_sum_to_one_and_cv_if_at_mean_is_exact():
    x = np.array([b / p for b, p in zip(BOOKS, PUPILS)], dtype=float)
    w = np.array(PUPILS, dtype=float)
    g = np.zeros(5, dtype=int)
    stats = group_stats(x, w, g, 1)
    share, cv_if = unit_contributions(x, w, g, stats)
    assert share.sum() == pytest.approx(1.0)
    # S3 publishes each school's term: 0.003, 0.85, 5.13, 4.50, 0.17 of 10.65.
    assert share * 10.65 == pytest.approx([0.003, 0.85, 5.13, 4.50, 0.17], abs=0.02)
    for i in range(5):
        moved = x.copy()
        moved[i] = stats.mean[0]
        assert cv_if[i] == pytest.approx(weighted_cv(moved, w))


@pytest.mark.parametrize(
    ("cv", "threshold", "passed", "near"),
    [
        (0.650, 0.65, True, True),
        (0.6504, 0.65, True, True),   # rounds to 0.650
        (0.6506, 0.65, False, True),  # rounds to 0.651
        (0.6549, 0.65, False, True),
        (0.656, 0.65, False, False),
        (0.644, 0.65, True, False),
        (0.4951, 0.50, True, True),
        (float("nan"), 0.50, False, False),
    ],
)
def test_judge_three_decimals_and_near_flag(cv, threshold, passed, near):
    assert judge(cv, threshold, 3, 0.005) == (passed, near)


def test_the_default_rounding_and_margin_are_the_standards_rows():
    table = standards_table()
    assert DEFAULT_PARAMS.round_dp == int(table.loc["PARAM_ROUND_CV", "primary_threshold"]) == 3
    assert DEFAULT_PARAMS.near_margin == float(table.loc["PARAM_NEAR_MARGIN", "primary_threshold"])


def test_judge_vectorised():
    p, n = judge(np.array([0.3, 0.7]), np.array([0.65, 0.65]), 3, 0.005)
    assert p.tolist() == [True, False]
    assert n.tolist() == [False, False]


values = st.lists(st.floats(0.01, 1e4), min_size=2, max_size=30)


@st.composite
def samples(draw):
    x = draw(values)
    w = draw(st.lists(st.integers(1, 5000), min_size=len(x), max_size=len(x)))
    return np.array(x), np.array(w, dtype=float)


@settings(max_examples=200, deadline=None)
@given(samples(), st.randoms(use_true_random=False))
def test_order_does_not_matter(sample, rnd):
    x, w = sample
    idx = list(range(len(x)))
    rnd.shuffle(idx)
    assert weighted_cv(x[idx], w[idx]) == pytest.approx(weighted_cv(x, w), rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(samples(), st.floats(1e-3, 1e3))
def test_scaling_an_indicator_leaves_cv_unchanged(sample, k):
    x, w = sample
    assert weighted_cv(k * x, w) == pytest.approx(weighted_cv(x, w), rel=1e-7, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.01, 1e4), st.lists(st.integers(1, 5000), min_size=1, max_size=30))
def test_all_equal_ratios_give_zero(value, w):
    assert weighted_cv([value] * len(w), w) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(samples())
def test_duplicating_every_unit_changes_nothing(sample):
    x, w = sample
    assert weighted_cv(np.concatenate([x, x]), np.concatenate([w, w])) == pytest.approx(
        weighted_cv(x, w), rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(samples())
def test_weighted_mean_is_ratio_of_totals(sample):
    x, w = sample
    resource = x * w
    stats = group_stats(x, w, np.zeros(len(x), dtype=int), 1)
    assert stats.mean[0] == pytest.approx(resource.sum() / w.sum(), rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(samples())
def test_closed_form_cv_squared(sample):
    # docs/method.md §2: CV² = P·Q/R² − 1 with Q = Σ Rᵢ²/Pᵢ.
    x, w = sample
    r = x * w
    closed = w.sum() * (r**2 / w).sum() / r.sum() ** 2 - 1
    assert weighted_cv(x, w) ** 2 == pytest.approx(closed, rel=1e-6, abs=1e-9)


@given(st.floats(min_value=0.0, max_value=2.0), st.sampled_from([0.65, 0.55, 0.50, 0.45]))
def test_near_warns_of_the_stricter_readings_not_of_two_decimals(cv: float, threshold: float) -> None:
    """The near warning (docs/method.md §2) names what can turn a pass into a fail: comparing
    the unrounded value. Rounding to 2 decimals never does: a 3-decimal pass passes there too."""
    passed, near = judge(np.array([cv]), np.array([threshold]), 3, DEFAULT_PARAMS.near_margin)
    if passed[0]:
        assert round(cv, 2) <= threshold
        if cv > threshold:  # passes only once rounded: the unrounded reading fails it
            assert near[0]


_ODD = st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e-300, 1e300, 1.7e308, -1.7e308, math.inf, -math.inf, math.nan])


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0.0, 1.0, 7.0, 1e300, math.inf]),
                          st.lists(st.one_of(_ODD, st.floats(-1e6, 1e6)), min_size=3, max_size=3)),
                min_size=1, max_size=25))
def test_the_engine_statistics_are_group_stats_bit_for_bit(rows):
    """indicator_group_stats (the engine's: no deviations kept, the sums taken before the
    values are checked) gives group_stats' bits for any values: NaN, infinities, sums that
    overflow, zero or infinite weights, -0.0."""
    from dashboard.method.coefficients import indicator_group_stats

    g = np.array([r[0] for r in rows], dtype=np.int64)
    w = np.array([r[1] for r in rows])
    x = np.array([r[2] for r in rows])
    cols = [x[:, j].copy() for j in range(x.shape[1])]
    with np.errstate(all="ignore"):  # overflowing products warn in both (the same operations)
        got = indicator_group_stats(cols, w, g, 4)
        want = group_stats(x, w, g, 4)
    for name in ("weight", "count", "mean", "std", "cv"):
        a, b = getattr(got, name), getattr(want, name)
        nan = np.isnan(a)
        # the same bits, NaN's payload aside
        assert (nan == np.isnan(b)).all() and a[~nan].tobytes() == b[~nan].tobytes(), name


@given(st.lists(st.one_of(st.floats(0, 2), st.just(math.nan), st.just(0.4505), st.just(0.6505)), min_size=1, max_size=8),
       st.sampled_from([0.65, 0.55, 0.50, 0.45]))
def test_judge_given_the_rounded_values_judges_the_same(cv, threshold):
    from dashboard.method.coefficients import round_cv

    c = np.array(cv)
    plain = judge(c, threshold, 3, 0.005)
    given_ = judge(c, threshold, 3, 0.005, rounded=round_cv(c, 3))
    assert all(np.array_equal(a, b) for a, b in zip(plain, given_, strict=True))
