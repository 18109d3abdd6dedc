"""Impact and equity measures: pure functions on tables of per-area travel times.

Everything here is array work on pandas tables; nothing reads files or draws maps.

Weighted statistics use the study's weight (children aged 0-15 by default). Definitions:

* weighted mean: ``sum(w * t) / sum(w)`` (minutes);
* weighted quantile ``q``: the smallest time ``t`` such that the weight of areas with time
  ``<= t`` is at least ``q`` of the total (the inverse of the weighted distribution function,
  no interpolation), so the median and 90th percentile are always times some area really has;
* ``within_<T>_pct``: percentage of the weight whose time is ``<= T`` minutes;
* ``newly_beyond_<T>``: weight (e.g. children) within ``T`` minutes with every centre open but
  beyond ``T`` minutes in the scenario;
* concentration index of travel time over IMD rank (``2 cov_w(t, R) / mean_w(t)``, ``R`` the
  weighted fractional rank from most to least deprived): negative when travel time is
  concentrated in deprived areas (they travel further), positive when in less deprived areas,
  0 when unrelated. Range -1 to 1.
* Gini coefficient of travel time across people (0 = everyone travels the same time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "DEFAULT_THRESHOLDS_MIN",
    "concentration_index",
    "equity_table",
    "gini",
    "summary_table",
    "weighted_mean",
    "weighted_quantile",
]

#: Thresholds of the DfT Journey Time Statistics (minutes).
DEFAULT_THRESHOLDS_MIN: tuple[int, ...] = (15, 30, 45, 60)

FloatArray = npt.NDArray[np.float64]


def _weighted(
    values: npt.ArrayLike, weights: npt.ArrayLike, *also: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, float, float, tuple[FloatArray, ...]]:
    """The prelude of the inequality indices: keep the areas that count, weigh their values.

    Keeps the positions where the weight is positive and ``values`` and every array in
    ``also`` are finite (an area nobody lives in, or one that reaches no centre, has no
    place in an index of spread).

    Returns
    -------
    tuple
        ``(t, w, total, mean, kept_also)``: the kept values and weights, the total weight, the
        weighted mean of the kept values (NaN when the total weight is 0) and the kept
        positions of each array in ``also``.
    """
    t = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    extra = [np.asarray(a, dtype=np.float64) for a in also]
    keep = (w > 0) & np.isfinite(t)
    for a in extra:
        keep &= np.isfinite(a)
    t, w = t[keep], w[keep]
    total = float(w.sum())
    mean = float(np.sum(w * t) / total) if total > 0 else float("nan")
    return t, w, total, mean, tuple(a[keep] for a in extra)


def weighted_mean(values: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Weighted mean (same unit as ``values``, e.g. minutes); NaN when the total weight is 0.

    ``sum(w * t) / sum(w)``; areas of weight 0 do not count (even when their time is ``inf``).

    >>> weighted_mean([10.0, 20.0], [1, 3])
    17.5
    """
    t = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0:
        return float("nan")
    positive = w > 0
    return float(np.sum(t[positive] * w[positive]) / total)


def weighted_quantile(values: npt.ArrayLike, weights: npt.ArrayLike, q: float) -> float:
    """Smallest value whose cumulative weight share reaches ``q`` (0 < q <= 1).

    The result is one of ``values`` (same unit, e.g. minutes): no interpolation.

    >>> weighted_quantile([5.0, 10.0, 40.0], [1, 1, 2], 0.5)
    10.0
    >>> weighted_quantile([5.0, 10.0, 40.0], [1, 1, 2], 0.9)
    40.0
    """
    t = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    t, w = t[keep], w[keep]
    if t.size == 0:
        return float("nan")
    order = np.argsort(t, kind="stable")
    cumulative = np.cumsum(w[order])
    position = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12), side="left"))
    return float(t[order][min(position, t.size - 1)])


def concentration_index(
    values: npt.ArrayLike, weights: npt.ArrayLike, imd_rank: npt.ArrayLike
) -> float:
    """Concentration index of ``values`` over deprivation (IMD rank 1 = most deprived).

    ``2 cov_w(t, R) / mean_w(t)``, with ``R`` the weighted fractional rank from most to least
    deprived. Negative: the values (travel times, minutes) are concentrated among the more
    deprived; positive: among the less deprived; between -1 and 1. The index has no unit: it
    is the same whether times are in minutes or seconds.

    >>> concentration_index([30.0, 10.0], [1, 1], [1, 2])  # the deprived area travels longer
    -0.25
    """
    t, w, total, mean, (r,) = _weighted(values, weights, imd_rank)
    if total <= 0:
        return float("nan")
    if mean == 0:
        return 0.0
    order = np.argsort(r, kind="stable")
    t, w = t[order], w[order]
    fractional = (np.cumsum(w) - w / 2.0) / total
    return float(2.0 * np.sum(w * (t - mean) * (fractional - 0.5)) / (total * mean))


def gini(values: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Weighted Gini coefficient of ``values`` (0 = all equal).

    Unitless: travel times in minutes or seconds give the same coefficient.

    >>> gini([10.0, 10.0], [1, 1])
    0.0
    >>> round(gini([0.0, 10.0], [1, 1]), 3)
    0.5
    """
    t, w, total, mean, _ = _weighted(values, weights)
    if total <= 0:
        return float("nan")
    if mean == 0:
        return 0.0
    order = np.argsort(t, kind="stable")
    t, w = t[order], w[order]
    cum_w = np.cumsum(w)
    cum_wt = np.cumsum(w * t)
    # sum_i sum_j w_i w_j |t_i - t_j| = 2 * sum_i w_i * (t_i * W_<i - (wt)_<i)
    below_w = cum_w - w
    below_wt = cum_wt - w * t
    pair_sum = 2.0 * np.sum(w * (t * below_w - below_wt))
    return float(pair_sum / (2.0 * total * total * mean))


def _group_stats(
    group: pd.DataFrame, *, weight: str, thresholds: Sequence[float]
) -> dict[str, float]:
    t = group["time_min"].to_numpy(dtype=float)
    b = group["baseline_time_min"].to_numpy(dtype=float)
    w = group[weight].fillna(0).to_numpy(dtype=float)
    total = w.sum()
    row: dict[str, float] = {
        "areas": len(group),
        "population": float(group["population"].sum()) if "population" in group else np.nan,
        "children": float(group["children"].sum()) if "children" in group else np.nan,
        "mean_time_min": weighted_mean(t, w),
        "median_time_min": weighted_quantile(t, w, 0.5),
        "p90_time_min": weighted_quantile(t, w, 0.9),
        "max_time_min": float(np.max(t[w > 0])) if (w > 0).any() else np.nan,
        "baseline_mean_time_min": weighted_mean(b, w),
        "mean_change_min": weighted_mean(t - np.where(np.isinf(b), 0, b), w)
        if np.isfinite(b).all()
        else np.nan,
    }
    if "under5" in group and weight != "under5":
        row["under5"] = float(group["under5"].sum())
    for threshold in thresholds:
        label = _label(threshold)
        within = t <= threshold
        row[f"within_{label}_pct"] = 100.0 * float(w[within].sum()) / total if total else np.nan
        newly = (b <= threshold) & (t > threshold)
        row[f"newly_beyond_{label}"] = float(w[newly].sum())
    row["unreachable"] = float(w[np.isinf(t)].sum())
    return row


def _label(threshold: float) -> str:
    return f"{threshold:g}"


def summary_table(
    areas: pd.DataFrame,
    *,
    weight: str = "children",
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
) -> pd.DataFrame:
    """Summarise per-area times by scenario, mode and IMD decile, and over all areas.

    Parameters
    ----------
    areas
        One row per area x scenario x mode with ``scenario``, ``mode``, ``imd_decile``,
        ``time_min``, ``baseline_time_min`` and the ``weight`` column (and ``population``,
        ``children`` when present).
    weight
        The column that weights areas (people; default ``children``, aged 0-15).
    thresholds
        Minutes; ``within_<T>_pct`` and ``newly_beyond_<T>`` columns are made for each.

    Returns
    -------
    pandas.DataFrame
        One row per scenario x mode x decile (``group = "decile"``, ``imd_decile`` 1-10, a
        nullable integer) and one per scenario x mode over all areas (``group = "all"``,
        ``imd_decile`` missing); times in minutes, ``within_*_pct`` in percent of the weight,
        ``newly_beyond_*`` and ``unreachable`` in people (of the weight column).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"scenario": "closure", "mode": "drive", "imd_decile": [1, 1, 2],
    ...                      "time_min": [20.0, 10.0, 5.0], "baseline_time_min": [10.0, 10.0, 5.0],
    ...                      "children": [100, 300, 50], "population": [500, 900, 300]})
    >>> s = summary_table(rows, thresholds=(15,))
    >>> s[["group", "imd_decile", "mean_time_min", "within_15_pct", "newly_beyond_15"]]
        group  imd_decile  mean_time_min  within_15_pct  newly_beyond_15
    0  decile           1      12.500000      75.000000            100.0
    1  decile           2       5.000000     100.000000              0.0
    2     all        <NA>      11.666667      77.777778            100.0
    """
    if weight not in areas.columns:
        from centrereach.errors import MissingColumnError

        msg = f"the weight column '{weight}' is not in the areas table ({list(areas.columns)})"
        raise MissingColumnError(msg)
    rows: list[dict[str, Any]] = []
    keys = list(dict.fromkeys(zip(areas["scenario"], areas["mode"], strict=True)))
    for scenario, mode in keys:
        part = areas[(areas["scenario"] == scenario) & (areas["mode"] == mode)]
        deciles = sorted(int(d) for d in part["imd_decile"].dropna().unique())
        for decile in deciles:
            group = part[part["imd_decile"] == decile]
            stats = _group_stats(group, weight=weight, thresholds=thresholds)
            rows.append(
                {"scenario": scenario, "mode": mode, "group": "decile", "imd_decile": decile}
                | stats
            )
        stats = _group_stats(part, weight=weight, thresholds=thresholds)
        rows.append(
            {"scenario": scenario, "mode": mode, "group": "all", "imd_decile": None} | stats
        )
    out = pd.DataFrame(rows)
    out["imd_decile"] = out["imd_decile"].astype("Int64")
    return out


def equity_table(areas: pd.DataFrame, *, weight: str = "children") -> pd.DataFrame:
    """Concentration index (over IMD rank) and Gini coefficient of travel time per scenario x mode.

    Returns columns ``scenario``, ``mode``, ``concentration_index``, ``gini``,
    ``mean_time_min``, ``most_deprived_mean_time_min`` (deciles 1-2),
    ``least_deprived_mean_time_min`` (deciles 9-10), all three means weighted by ``weight``, in
    minutes, and ``deprived_ratio`` (the two means' ratio). Without an ``imd_rank`` column the
    rank is taken from ``imd_decile``.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"scenario": "s", "mode": "walk", "imd_decile": [1, 10],
    ...                      "imd_rank": [1, 30000], "time_min": [30.0, 10.0], "children": [1, 1]})
    >>> equity_table(rows)[["concentration_index", "gini"]].round(3)
       concentration_index  gini
    0                -0.25  0.25
    """
    rows: list[dict[str, Any]] = []
    rank_col = "imd_rank" if "imd_rank" in areas.columns else "imd_decile"
    keys = list(dict.fromkeys(zip(areas["scenario"], areas["mode"], strict=True)))
    for scenario, mode in keys:
        part = areas[(areas["scenario"] == scenario) & (areas["mode"] == mode)]
        t = part["time_min"].to_numpy(dtype=float)
        w = part[weight].fillna(0).to_numpy(dtype=float)
        rank = pd.to_numeric(part[rank_col], errors="coerce").to_numpy(dtype=float)
        decile = pd.to_numeric(part["imd_decile"], errors="coerce").to_numpy(dtype=float)
        deprived = decile <= 2
        least = decile >= 9
        deprived_mean = weighted_mean(t[deprived], w[deprived]) if deprived.any() else np.nan
        least_mean = weighted_mean(t[least], w[least]) if least.any() else np.nan
        rows.append(
            {
                "scenario": scenario,
                "mode": mode,
                "concentration_index": concentration_index(t, w, rank),
                "gini": gini(t, w),
                "mean_time_min": weighted_mean(t, w),
                "most_deprived_mean_time_min": deprived_mean,
                "least_deprived_mean_time_min": least_mean,
                "deprived_ratio": deprived_mean / least_mean
                if least_mean and np.isfinite(least_mean)
                else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["weight"] = weight
    return out
