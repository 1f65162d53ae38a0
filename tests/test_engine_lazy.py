"""The engine's tables made on first read are the tables the eager engine made, bit for bit.

``evaluate`` makes what a verdict needs at once and the explanatory columns and tables on
first read (docs/method.md §8).  Three guards:

- digests of every frame (column names, dtypes, the bytes of every number, the text of every
  other value) as main's eager engine made them (commit dbe347a), on synthetic counties and on
  random ones with ids that are prefixes of others: a lazy column made differently, in another
  order or with another dtype changes a digest;
- the contribution columns against ``indicator_stats`` (the fused eager function, unchanged)
  and the school-rule frame against the units frames it is cut from, on the demo county and
  on a synthetic multi-county set;
- materialising in any order, from several threads at once, or after a pickle round trip
  gives the same frames, made once.
"""

from __future__ import annotations

import hashlib
import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from demo_data import DEMO_SNAPSHOT
from test_speed_engine import _random_schools

from benchmarks.synthetic import synthetic_country
from dashboard.method.coefficients import indicator_stats
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.standards import scheme_ids
from dashboard.store.snapshots import read_snapshot

FRAMES = ("indicators", "composites", "verdicts", "school_rules")


def _digest(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(repr((list(frame.columns), [str(d) for d in frame.dtypes], len(frame))).encode())
    for c in frame.columns:
        v = frame[c].to_numpy()
        h.update(np.ascontiguousarray(v).tobytes() if v.dtype.kind in "biufM" else repr(v.tolist()).encode())
    return h.hexdigest()[:16]


def _digests(ev: Evaluation) -> dict[str, str]:
    out = {f"units.{k}": _digest(v) for k, v in ev.units.items()}
    out.update({name: _digest(getattr(ev, name)) for name in FRAMES})
    return out


_SETS = {
    "synthetic_40": lambda: synthetic_country(40, seed=5),
    "synthetic_wide_12": lambda: synthetic_country(12, seed=9, teacher_spread="wide"),
    "random_prefix_ids": lambda: _random_schools(11, counties=6, years=2),
}

# made by main's eager engine (commit dbe347a) with _digests above
_MAIN: dict[str, dict[str, str]] = {
    "synthetic_40": {
        "units.basic": "60b35cb1d0bcb588", "units.quality": "8ebf3acc2434a5ef",
        "indicators": "1f1e921809d9eb16", "composites": "ca1fcb9adcd8a3b1",
        "verdicts": "f832460f0aa8647a", "school_rules": "1c6dab9c3667e002"},
    "synthetic_wide_12": {
        "units.basic": "35643fea2024971e", "units.quality": "5ef9707a3f5392df",
        "indicators": "92b033a96b9b4952", "composites": "b774d397452f0496",
        "verdicts": "4ce345c3bb56a6b6", "school_rules": "34d7ab8ff4fbe238"},
    "random_prefix_ids": {
        "units.basic": "9cd9117ac44a8792", "units.quality": "85c8d1fe97020d5b",
        "indicators": "a0a0f9e8328bca28", "composites": "b7496cacf760bcc9",
        "verdicts": "d252f3a679d6262c", "school_rules": "8b737e3284de6bbf"},
}


@pytest.mark.parametrize("name", sorted(_SETS))
def test_every_frame_is_main_eager_engines_bit_for_bit(name):
    assert _digests(evaluate(_SETS[name]())) == _MAIN[name]


def _check_lazy_columns(ev: Evaluation) -> None:
    """The contributions equal indicator_stats' on the units' own values; the school-rule rows
    are the units' rows, both schemes stacked."""
    for scheme, units in ev.units.items():
        ids = list(scheme_ids(scheme))
        key = units[["county_code", "year", "stage"]]
        codes = pd.MultiIndex.from_frame(key).factorize()[0]
        _, share, cv_if = indicator_stats([units[i].to_numpy() for i in ids], units["students"].to_numpy(float),
                                          codes, int(codes.max(initial=-1)) + 1)
        for j, ind in enumerate(ids):
            for col, want in ((f"share_{ind}", share[j]), (f"cvifmean_{ind}", cv_if[j])):
                got = units[col].to_numpy()
                assert got.dtype == want.dtype
                assert got.tobytes() == want.tobytes(), (scheme, col)
    cols = ["county_code", "year", "stage", "unit_id", "school_id", "school_name", "students", "meets",
            "school_pass", "failing", "school_status"]
    want = pd.concat([ev.units[s][cols].assign(scheme=s) for s in ev.units], ignore_index=True)
    pd.testing.assert_frame_equal(ev.school_rules, want, check_exact=True)


def test_lazy_columns_on_the_demo_county():
    _check_lazy_columns(evaluate(read_snapshot(DEMO_SNAPSHOT).schools))


def test_lazy_columns_on_a_synthetic_country():
    _check_lazy_columns(evaluate(synthetic_country(25, seed=3)))


def _frames(ev: Evaluation) -> dict[str, pd.DataFrame]:
    return {**{f"units.{k}": v for k, v in ev.units.items()}, **{n: getattr(ev, n) for n in FRAMES}}


def test_evaluate_leaves_the_explanations_to_first_read():
    ev = evaluate(synthetic_country(5, seed=1))
    cols = ev.units.columns("basic")  # type: ignore[attr-defined]
    assert not cols.made("unit_id") and not cols.made("school_name") and not cols.made("share_B1")
    assert cols.made("school_pass") and cols.made("students")
    assert not cols.made("B1") and not cols.made("teachers")  # read by the verdict, then let go of
    assert "_school_rules" in vars(ev) and not isinstance(vars(ev)["_school_rules"], pd.DataFrame)
    frame = ev.units["basic"]
    assert ev.units["basic"] is frame  # kept
    assert cols.made("unit_id") and cols.made("share_B1")


def test_any_order_any_thread_or_a_pickle_makes_the_same_frames():
    schools = synthetic_country(8, seed=4)
    want = _frames(evaluate(schools))
    backwards = evaluate(schools)
    got = {n: getattr(backwards, n) for n in reversed(FRAMES)}
    got.update({f"units.{k}": backwards.units[k] for k in reversed(list(backwards.units))})
    shared = evaluate(schools)
    seen: list[dict[str, pd.DataFrame]] = []
    threads = [threading.Thread(target=lambda: seen.append(_frames(shared))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 6
    for frames in seen[1:]:  # made once: every thread holds the same frames
        assert all(frames[k] is seen[0][k] for k in frames)
    copied = pickle.loads(pickle.dumps(evaluate(schools)))
    for result in (got, seen[0], _frames(copied)):
        for k, frame in want.items():
            pd.testing.assert_frame_equal(result[k], frame, check_exact=True)
