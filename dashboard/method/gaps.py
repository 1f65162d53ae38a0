"""Urban–rural (城区/镇区/乡村) and township gaps: weighted group means, ratios, group CVs, Theil.

Classes follow 国家统计局 城乡分类代码 (docs/method.md §7): 城区 = 111, 112; 镇区 = 121, 122, 123;
乡村 = 210, 220.

The enrolment-weighted Theil index of indicator x over units i (pupils Pᵢ, resource Rᵢ = Pᵢxᵢ)::

    T = Σᵢ yᵢ ln(yᵢ / sᵢ),   yᵢ = Rᵢ/R (resource share), sᵢ = Pᵢ/P (pupil share)

decomposes exactly into between- and within-group parts for any grouping g::

    T = Σ_g Y_g ln(Y_g / S_g)  +  Σ_g Y_g T_g

with Y_g, S_g the group's resource and pupil shares and T_g the Theil index inside group g.
T = 0 when every unit has the same value; units with xᵢ = 0 contribute 0 (the limit y ln y → 0).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.coefficients import group_stats

__all__ = [
    "URBAN_RURAL_CLASSES",
    "urban_rural_class",
    "group_table",
    "group_ratios",
    "theil_table",
]

# 3-way class of each 城乡分类代码 (docs/method.md §7); the order is the display order.
URBAN_RURAL_CLASSES: Final = ("urban", "town", "rural")
_CLASS_OF_CODE: Final = {111: "urban", 112: "urban", 121: "town", 122: "town", 123: "town",
                         210: "rural", 220: "rural"}


def urban_rural_class(codes) -> np.ndarray:
    """Return 'urban' (城区), 'town' (镇区) or 'rural' (乡村) for each 城乡分类代码.

    >>> urban_rural_class([111, 123, 220]).tolist()
    ['urban', 'town', 'rural']
    """
    arr = np.asarray(codes)
    mapped = pd.Series(pd.to_numeric(arr, errors="coerce")).map(_CLASS_OF_CODE)
    bad = mapped.isna().to_numpy()
    out = mapped.to_numpy(dtype=object)
    if bad.any():
        raise ValueError(
            f"urban_rural_code must be one of {sorted(_CLASS_OF_CODE)}, got {arr[bad][0].item()!r}"
        )
    return out


_KEY: Final = ["county_code", "year", "stage"]


def _with_group(units: pd.DataFrame, by: str) -> pd.DataFrame:
    if by == "urban_rural":
        return units.assign(group=urban_rural_class(units["urban_rural_code"].to_numpy()))
    if by not in units.columns:
        raise KeyError(f"cannot group units by {by!r}: no such column")
    return units.assign(group=units[by].astype(str))


def group_table(units: pd.DataFrame, ids, by: str = "urban_rural") -> pd.DataFrame:
    """Return per (county, year, stage, group, indicator): units, students, weighted mean, CV.

    ``by`` is "urban_rural" (城区/镇区/乡村) or a unit column such as "township".  The mean is the
    group's ratio of totals (Σ Rᵢ / Σ Pᵢ × scale) and the CV the same enrolment-weighted formula
    as the county's, within the group.
    """
    ids = list(ids)
    u = _with_group(units, by)
    keys = [*_KEY, "group"]
    codes, uniques = pd.MultiIndex.from_frame(u[keys]).factorize()
    stats = group_stats(u[ids].to_numpy(dtype=float), u["students"].to_numpy(dtype=float),
                        codes, len(uniques))
    base = uniques.to_frame(index=False, name=keys)
    frames = []
    for j, ind in enumerate(ids):
        f = base.copy()
        f["indicator"] = ind
        f["units"] = stats.count[:, j].astype(int)
        f["students"] = stats.weight[:, j]
        f["mean"] = stats.mean[:, j]
        f["cv"] = stats.cv[:, j]
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    if by == "urban_rural":
        out["group"] = pd.Categorical(out["group"], categories=URBAN_RURAL_CLASSES, ordered=True)
    return out.sort_values([*keys, "indicator"], kind="stable").reset_index(drop=True)


def group_ratios(table: pd.DataFrame, numerator: str = "urban", denominator: str = "rural") -> pd.DataFrame:
    """Return per (county, year, stage, indicator) the ratio of two groups' weighted means.

    E.g. 城区/乡村 = 1.8 means urban pupils have 1.8 times the rural per-pupil resource; NaN where
    either group is absent.
    """
    piv = table.pivot_table(index=[*_KEY, "indicator"], columns="group", values="mean",
                            observed=False, aggfunc="first")
    if numerator not in piv.columns or denominator not in piv.columns:
        ratio = pd.Series(np.nan, index=piv.index)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = piv[numerator] / piv[denominator]
    return ratio.rename("ratio").reset_index()


def theil_table(units: pd.DataFrame, ids, by: str = "urban_rural") -> pd.DataFrame:
    """Return per (county, year, stage, indicator) the weighted Theil index T and its exact split.

    Columns: theil, between, within (between + within = theil), and ``between_share`` (0–1,
    the part of the inequality that lies between the groups).
    """
    ids = list(ids)
    u = _with_group(units, by)
    ckey, cuniq = pd.MultiIndex.from_frame(u[_KEY]).factorize()
    gkey, guniq = pd.MultiIndex.from_frame(u[[*_KEY, "group"]]).factorize()
    g_to_c = np.zeros(len(guniq), dtype=np.int64)
    g_to_c[gkey] = ckey
    p = u["students"].to_numpy(dtype=float)
    rows = []
    base = cuniq.to_frame(index=False, name=_KEY)
    for ind in ids:
        x = u[ind].to_numpy(dtype=float)
        ok = np.isfinite(x) & (p > 0)
        pp = np.where(ok, p, 0.0)
        r = np.where(ok, p * np.nan_to_num(x), 0.0)
        P_c = np.bincount(ckey, pp, len(cuniq))
        R_c = np.bincount(ckey, r, len(cuniq))
        P_g = np.bincount(gkey, pp, len(guniq))
        R_g = np.bincount(gkey, r, len(guniq))
        with np.errstate(invalid="ignore", divide="ignore"):
            y = r / R_c[ckey]
            s = pp / P_c[ckey]
            t_i = np.where((y > 0) & (s > 0), y * np.log(y / s), 0.0)
            total = np.bincount(ckey, t_i, len(cuniq))
            Y = R_g / R_c[g_to_c]
            S = P_g / P_c[g_to_c]
            b_g = np.where((Y > 0) & (S > 0), Y * np.log(Y / S), 0.0)
            between = np.bincount(g_to_c, b_g, len(cuniq))
            yg = r / R_g[gkey]
            sg = pp / P_g[gkey]
            tw = np.where((yg > 0) & (sg > 0), yg * np.log(yg / sg), 0.0)
            T_g = np.bincount(gkey, tw, len(guniq))
            within = np.bincount(g_to_c, np.nan_to_num(Y) * T_g, len(cuniq))
            bad = R_c <= 0
            total[bad] = np.nan
            between[bad] = np.nan
            within[bad] = np.nan
        f = base.copy()
        f["indicator"] = ind
        f["theil"] = total
        f["between"] = between
        f["within"] = within
        with np.errstate(invalid="ignore", divide="ignore"):
            f["between_share"] = np.where(total > 0, between / total, 0.0)
        rows.append(f)
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values([*_KEY, "indicator"], kind="stable").reset_index(drop=True)
