"""Benchmark: which centres to keep (``centrereach.optimisation``), exhaustive vs MILP vs spopt.

Cases (all on synthetic, road-like travel-time matrices; no result here is a finding about
Derbyshire):

* **Derbyshire-sized**: 500 areas x the 22 real children's-centre locations of
  ``data/derbyshire_childrens_centres_2024.csv`` (random locations if the file is missing), keep
  12: C(22, 12) = 646,646 sets. Areas are clustered around the centres' settlements plus a rural
  scatter; minutes = 3 min access + road distance (straight line x a random circuity 1.2-1.5) at
  a speed rising from 25 km/h (short urban trips) to 55 km/h (long trips). Weights: children aged
  0-15 per LSOA (~100-450); IMD deciles more deprived in the denser clusters. For each objective:
  the exhaustive search (best of 3 runs) and the MILP, and whether they reach the same value; and
  the exhaustive search with "at least 1 centre per district".
* **spopt**: ``PMedian.from_cost_matrix`` on the same 500 x 22 mean-time problem, solved with
  pulp's CBC (if spopt is installed; the output says so when it is not).
* **Large**: 2,000 areas x 80 centres, keep 40 (C(80, 40) ~ 1.1e23 sets, MILP only), mean-time
  and coverage.

Run: ``python benchmarks/bench_optimise.py`` (about a minute). Prints a table and writes
``benchmarks/results/optimise.json``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy

from centrereach.optimisation import count_subsets, evaluate, optimise

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "optimise.json"
CENTRES_CSV = ROOT / "data" / "derbyshire_childrens_centres_2024.csv"
THRESHOLD_MIN = 15.0


def _centres(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Centre coordinates (km), ids and districts: the real 22 if the file is there."""
    if n == 22 and CENTRES_CSV.is_file():
        with CENTRES_CSV.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        lat = np.array([float(r["lat"]) for r in rows])
        lon = np.array([float(r["lon"]) for r in rows])
        xy = np.column_stack(
            [
                (lon - lon.mean()) * 111.32 * math.cos(math.radians(lat.mean())),
                (lat - lat.mean()) * 111.32,
            ]
        )
        ids = [r["centre_id"] for r in rows]
        return xy, ids, {r["centre_id"]: r["district"] for r in rows}
    side = math.sqrt(n) * 8.0
    xy = rng.uniform(0, side, (n, 2))
    ids = [f"C{j:03d}" for j in range(n)]
    return xy, ids, {c: f"district {j % 8}" for j, c in enumerate(ids)}


def road_like_problem(
    n_areas: int, n_centres: int, seed: int
) -> tuple[pd.DataFrame, pd.Series, pd.Series, dict[str, str]]:
    """A synthetic travel-time matrix (minutes) with realistic structure; see the module doc."""
    rng = np.random.default_rng(seed)
    cxy, ids, districts = _centres(rng, n_centres)
    n_urban = int(n_areas * 0.8)
    towns = cxy[rng.integers(0, n_centres, n_urban)]
    urban = towns + rng.normal(0, 2.5, (n_urban, 2))
    lo, hi = cxy.min(axis=0) - 5, cxy.max(axis=0) + 5
    rural = rng.uniform(lo, hi, (n_areas - n_urban, 2))
    axy = np.vstack([urban, rural])
    straight = np.sqrt(((axy[:, None, :] - cxy[None, :, :]) ** 2).sum(axis=2))
    road_km = straight * rng.uniform(1.2, 1.5, straight.shape)
    speed_kmh = 25 + 30 * (1 - np.exp(-road_km / 8))
    minutes = 3 + road_km / speed_kmh * 60
    index = [f"E0100{i:04d}" for i in range(n_areas)]
    matrix = pd.DataFrame(minutes, index=index, columns=ids)
    weights = pd.Series(rng.integers(100, 450, n_areas).astype(float), index=index)
    density = np.exp(-straight.min(axis=1) / 3)  # 1 at a centre, -> 0 far away
    raw = 1 + 9 * (1 - density) + rng.normal(0, 2.5, n_areas)
    deciles = pd.Series(np.clip(np.round(raw), 1, 10).astype(int), index=index)
    return matrix, weights, deciles, districts


def _kwargs(objective: str, deciles: pd.Series) -> dict[str, Any]:
    if objective == "coverage":
        return {"threshold_min": THRESHOLD_MIN}
    if objective in ("equity", "minmax-decile"):
        return {"deciles": deciles}
    return {}


def _timed(fn: Any, repeats: int = 1) -> tuple[Any, float]:
    best = math.inf
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def _spopt(matrix: pd.DataFrame, weights: pd.Series, keep: int) -> dict[str, Any]:
    try:
        import pulp
        from spopt.locate import PMedian
    except Exception as exc:  # any import failure means "not available"
        return {"available": False, "note": f"spopt not installed or not importable: {exc!r}"}
    try:
        solver = pulp.PULP_CBC_CMD(msg=False)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = PMedian.from_cost_matrix(
                matrix.to_numpy(), weights.to_numpy(), p_facilities=keep
            )
            model = model.solve(solver)
        seconds = time.perf_counter() - start
        chosen = [matrix.columns[j] for j, clients in enumerate(model.fac2cli) if len(clients)]
        if len(chosen) < keep:  # a facility may serve nobody; read the decision variables
            chosen = [
                matrix.columns[j]
                for j, var in enumerate(model.fac_vars)
                if (var.value() or 0) > 0.5
            ]
    except Exception as exc:
        return {"available": False, "note": f"spopt installed but failed to solve: {exc!r}"}
    return {
        "available": True,
        "solver": "CBC (pulp)",
        "seconds": seconds,
        "open_centres": sorted(map(str, chosen)),
        "value_min": evaluate(matrix, weights, chosen),
        "version": getattr(sys.modules.get("spopt"), "__version__", "?"),
    }


def main() -> dict[str, Any]:
    """Run every case, print a table and write ``benchmarks/results/optimise.json``."""
    rows: list[dict[str, Any]] = []
    matrix, weights, deciles, districts = road_like_problem(500, 22, seed=2024)
    keep = 12
    n_sets = count_subsets(22, keep)
    for objective in ("mean-time", "coverage", "equity", "minmax-decile"):
        kw = _kwargs(objective, deciles)
        exh, t_exh = _timed(
            lambda kw=kw, o=objective: optimise(
                matrix, weights, keep=keep, objective=o, method="exhaustive", **kw
            ),
            repeats=3,
        )
        milp, t_milp = _timed(
            lambda kw=kw, o=objective: optimise(
                matrix, weights, keep=keep, objective=o, method="milp", **kw
            )
        )
        rows.append(
            {
                "case": f"500x22 keep 12, {objective}",
                "sets": n_sets,
                "exhaustive_s": t_exh,
                "sets_per_s": n_sets / t_exh,
                "milp_s": t_milp,
                "exhaustive_value": exh.value,
                "milp_value": milp.value,
                "unit": exh.unit,
                "same_value": abs(exh.value - milp.value) <= 1e-6 * max(1.0, abs(exh.value)),
                "same_set": exh.open_centres == milp.open_centres,
                "milp_optimal": milp.optimal,
            }
        )
    grouped, t_grouped = _timed(
        lambda: optimise(
            matrix, weights, keep=keep, groups=districts, min_per_group=1, method="exhaustive"
        ),
        repeats=3,
    )
    grouped_milp, t_grouped_milp = _timed(
        lambda: optimise(
            matrix, weights, keep=keep, groups=districts, min_per_group=1, method="milp"
        )
    )
    rows.append(
        {
            "case": "500x22 keep 12, mean-time, >=1 per district",
            "sets": grouped.n_evaluated,
            "exhaustive_s": t_grouped,
            "sets_per_s": (grouped.n_evaluated or 0) / t_grouped,
            "milp_s": t_grouped_milp,
            "exhaustive_value": grouped.value,
            "milp_value": grouped_milp.value,
            "unit": "minutes",
            "same_value": abs(grouped.value - grouped_milp.value) <= 1e-6 * grouped.value,
            "same_set": grouped.open_centres == grouped_milp.open_centres,
            "milp_optimal": grouped_milp.optimal,
        }
    )

    # Close to EXHAUSTIVE_LIMIT: C(25, 11) = 4,457,400 sets.
    near, near_w, _, _ = road_like_problem(500, 25, seed=25)
    exh, t_exh = _timed(lambda: optimise(near, near_w, keep=11, method="exhaustive"))
    milp, t_milp = _timed(lambda: optimise(near, near_w, keep=11, method="milp"))
    rows.append(
        {
            "case": "500x25 keep 11, mean-time (near the auto limit)",
            "sets": exh.n_evaluated,
            "exhaustive_s": t_exh,
            "sets_per_s": (exh.n_evaluated or 0) / t_exh,
            "milp_s": t_milp,
            "exhaustive_value": exh.value,
            "milp_value": milp.value,
            "unit": "minutes",
            "same_value": abs(exh.value - milp.value) <= 1e-6 * exh.value,
            "same_set": exh.open_centres == milp.open_centres,
            "milp_optimal": milp.optimal,
        }
    )

    exact = optimise(matrix, weights, keep=keep, method="exhaustive")
    spopt = _spopt(matrix, weights, keep)
    if spopt["available"]:
        spopt["same_value_as_exhaustive"] = bool(
            abs(spopt["value_min"] - exact.value) <= 1e-6 * exact.value
        )
        spopt["same_set_as_exhaustive"] = spopt["open_centres"] == sorted(
            map(str, exact.open_centres)
        )
        spopt["time_ratio_vs_exhaustive"] = spopt["seconds"] / rows[0]["exhaustive_s"]
        spopt["time_ratio_vs_milp"] = spopt["seconds"] / rows[0]["milp_s"]

    large: list[dict[str, Any]] = []
    big, big_w, _, _ = road_like_problem(2000, 80, seed=80)
    for objective in ("mean-time", "coverage"):
        kw = _kwargs(objective, deciles.iloc[:0])
        res, seconds = _timed(
            lambda kw=kw, o=objective: optimise(
                big, big_w, keep=40, objective=o, method="milp", time_limit_s=240, **kw
            )
        )
        large.append(
            {
                "case": f"2000x80 keep 40, {objective}",
                "sets": float(math.comb(80, 40)),
                "milp_s": seconds,
                "value": res.value,
                "unit": res.unit,
                "optimal": res.optimal,
            }
        )

    print(
        f"centrereach.optimisation benchmark ({os.cpu_count()} CPUs, numpy {np.__version__}, "
        f"scipy {scipy.__version__})"
    )
    print("synthetic road-like matrices; exhaustive = best of 3 runs; MILP = HiGHS (scipy.milp)")
    print()
    head = (
        f"{'case':<46} {'sets':>9} {'exhaust s':>9} {'sets/s':>10} {'MILP s':>7} {'value':>9} "
        f"{'unit':<7} same"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['case']:<46} {r['sets']:>9,} {r['exhaustive_s']:>9.2f} {r['sets_per_s']:>10,.0f} "
            f"{r['milp_s']:>7.2f} {r['exhaustive_value']:>9.3f} {r['unit']:<7} "
            f"{'value' if r['same_value'] else 'DIFFERENT'}{'+set' if r['same_set'] else ''}"
        )
    for r in large:
        proven = "optimal" if r["optimal"] else "NOT PROVEN OPTIMAL"
        print(
            f"{r['case']:<46} {r['sets']:>9.1e} {'-':>9} {'-':>10} {r['milp_s']:>7.2f} "
            f"{r['value']:>9.3f} {r['unit']:<7} {proven}"
        )
    print()
    if spopt["available"]:
        print(
            f"spopt {spopt['version']} PMedian.from_cost_matrix + CBC on 500x22 keep 12: "
            f"{spopt['seconds']:.2f} s, value {spopt['value_min']:.3f} min "
            f"({'same' if spopt['same_value_as_exhaustive'] else 'DIFFERENT'} optimum; "
            f"{spopt['time_ratio_vs_exhaustive']:.1f}x the exhaustive time, "
            f"{spopt['time_ratio_vs_milp']:.1f}x the MILP time)"
        )
    else:
        print(f"spopt: {spopt['note']}")

    report = {
        "benchmark": "optimise",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pandas": pd.__version__,
        },
        "data": "synthetic road-like matrices (see the module docstring); not a Derbyshire finding",
        "cases": rows,
        "large": large,
        "spopt": spopt,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main()
