"""Benchmark: a whole national study through the study runner, on one 2-core machine.

``bench_national.py`` times the engine (the k nearest centres, closure scenarios) on a synthetic
England-sized road graph. This one runs the same graph and the same number of areas and centres
through :meth:`centrereach.Study.run`, as ``centrereach run`` does for a national study file:
snapping and coverage checks, the choice of method (``[analysis] matrix = "auto"``: 33,755 ×
3,000 = 101 million area-centre pairs, so each area's 12 nearest centres instead of the full
matrix), every scenario's tables, summary and equity; then more scenarios on the result
(``with_scenarios``), the outputs without maps (``write_outputs(maps=False)``: the tables,
``nearest_drive.csv``, ``results.xlsx``; ``--no-maps`` leaves out the report too) and the report
on its own (``build_report``), to see whether it scales to a country.

The synthetic country: ``bench_national.england_like(2000)`` (4 million nodes, 10.7 million
edges), 33,755 square areas of about 100 m around random nodes, with invented deprivation
deciles (falling from south-west to north-east, as Synthshire's), children and 150 districts,
and 3,000 centres at random nodes. Scenarios: a county (1/16 of the country) closes half of its
centres; 10 % of all centres close at random. Everything is labelled synthetic.

Run: ``python benchmarks/bench_national_study.py`` (about 5 minutes; ``--quick``: a
0.25-million-node country with 2,110 areas and 188 centres, routed with ``matrix = "nearest"``
since it is below the automatic limit, in under a minute). Writes
``benchmarks/results/national_study.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_national import _rss_gb, england_like, make_points

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "national_study.json"
SEED = 2024
SIZES = {"full": (2000, 33_755, 3_000), "quick": (500, 2_110, 188)}


class _Phases(logging.Handler):
    """The runner's own log lines, with the time each was written: its phases."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((time.perf_counter(), record.getMessage()))


def country(size: str) -> tuple[Any, Any, Any, dict[str, dict[str, Any]]]:
    """The road arrays, areas, centres and scenario tables of the synthetic country."""
    import geopandas as gpd
    import pandas as pd
    from shapely import box

    side, n_areas, n_centres = SIZES[size]
    arrays = england_like(side, SEED)
    points = make_points(arrays, n_areas, n_centres, SEED)
    rng = np.random.default_rng(SEED + 3)
    lon, lat = points["area_lon"], points["area_lat"]
    half = 0.0007  # degrees: about 50 m each way
    # deprivation falls from the south-west (decile 1) to the north-east, with noise
    gradient = (lon - lon.min()) / np.ptp(lon) + (lat - lat.min()) / np.ptp(lat)
    decile = np.clip(np.round(1 + 4.5 * gradient + rng.normal(0, 1.2, lon.size)), 1, 10)
    rank = decile * 3000 - rng.integers(0, 3000, lon.size)
    children = rng.integers(180, 520, lon.size) * np.where(decile <= 3, 1.3, 1.0)
    district = np.minimum((lon - lon.min()) / np.ptp(lon) * 15, 14).astype(int) * 10 + np.minimum(
        (lat - lat.min()) / np.ptp(lat) * 10, 9
    ).astype(int)
    codes = pd.Index([f"E01{i:06d}" for i in range(lon.size)], name="lsoa_code")
    areas = gpd.GeoDataFrame(
        {
            "lsoa_name": [f"Synthetic area {i + 1}" for i in range(lon.size)],
            "lad_code": [f"SYN{d:03d}" for d in district],
            "lad_name": [f"Synthetic district {d}" for d in district],
            "imd_decile": pd.array(decile.astype(int), dtype="Int64"),
            "imd_rank": pd.array(rank.astype(int), dtype="Int64"),
            "children": children.astype(int),
            "population": (children * rng.uniform(4.5, 6.5, lon.size)).astype(int),
            "origin_lon": lon,
            "origin_lat": lat,
            "origin_source": "synthetic",
        },
        geometry=box(lon - half, lat - half, lon + half, lat + half),
        index=codes,
        crs=4326,
    )
    areas.attrs.update({"vintage": "synthetic", "imd_edition": "synthetic",
                        "population_years": {"children": "synthetic"}, "sources": {}})  # fmt: skip
    clon, clat = points["centre_lon"], points["centre_lat"]
    lo_x, hi_x = np.quantile(clon, [0.4, 0.65])
    lo_y, hi_y = np.quantile(clat, [0.4, 0.65])
    county = np.flatnonzero((clon >= lo_x) & (clon <= hi_x) & (clat >= lo_y) & (clat <= hi_y))
    status = np.full(clon.size, "open", dtype=object)
    status[rng.permutation(county)[: county.size // 2]] = "closing"
    ids = [f"C{i:04d}" for i in range(clon.size)]
    centres = gpd.GeoDataFrame(
        {
            "name": [f"Centre {i}" for i in range(clon.size)],
            "status": status,
            "location_quality": "synthetic",
            "location_source": "synthetic",
        },
        geometry=gpd.points_from_xy(clon, clat),
        index=pd.Index(ids, name="centre_id"),
        crs=4326,
    )
    at_random = sorted(rng.choice(ids, size=round(0.1 * len(ids)), replace=False).tolist())
    specs = {
        "county-closes-half": {
            "label": f"A county closes {county.size // 2} of its {county.size} centres",
            "where": 'status == "open"',
        },
        "close-10pct": {"label": "10 % of centres close, at random", "close": at_random},
    }
    return arrays, areas, centres, specs


def worker(size: str) -> dict[str, Any]:
    """Build the country, run the study and write its outputs; times (s) and memory (GB)."""
    from centrereach.outputs import write_outputs
    from centrereach.report import build_report
    from centrereach.study import Study
    from centrereach.traveltime import NearestCentres

    t0 = time.perf_counter()
    arrays, areas, centres, specs = country(size)
    built_s = time.perf_counter() - t0
    first = dict(list(specs.items())[:1])
    study = Study(
        name=f"england-synthetic-{size}",
        title="A synthetic England: closures of family hubs (benchmark)",
        synthetic=True,
        scenario_specs=first,
        modes=("drive",),
        # the full country is far above the automatic limit; the quick one is not, so it says so
        matrix="nearest" if size == "quick" else "auto",
        centres=centres,
        areas=areas,
        networks={"drive": arrays},
    )
    phases = _Phases()
    logging.getLogger("centrereach").addHandler(phases)
    logging.getLogger("centrereach").setLevel(logging.INFO)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few far centroids: SnapWarning, as a real country
        result = study.run(progress=False)
    run_s = time.perf_counter() - t1
    logging.getLogger("centrereach").removeHandler(phases)
    method = result.provenance["matrix"]
    assert isinstance(result.matrices["drive"], NearestCentres) == (method["method"] == "nearest")
    rest = dict(list(specs.items())[1:])
    t2 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        more = result.with_scenarios(**rest)
    more_s = time.perf_counter() - t2
    with tempfile.TemporaryDirectory() as folder:
        t3 = time.perf_counter()
        out = write_outputs(more, Path(folder) / "out", maps=False)
        write_s = time.perf_counter() - t3
        sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
    t4 = time.perf_counter()
    page = build_report(more)
    report_s = time.perf_counter() - t4
    sizes["report.html (built apart)"] = len(page.encode("utf-8"))
    steps = []
    for (at, message), nxt in zip(phases.lines, [*phases.lines[1:], (t1 + run_s, "")],
                                  strict=True):  # fmt: skip
        steps.append({"step": message, "s": round(nxt[0] - at, 2)})
    summary = more.summary
    everyone = summary[(summary["group"] == "all") & (summary["scenario"] == "baseline")]
    return {
        "size": size,
        "nodes": arrays.n_nodes,
        "edges": arrays.n_edges,
        "areas": len(result.areas),
        "centres": len(result.centres),
        "matrix": {k: v for k, v in method.items() if k != "description"},
        "country_build_s": round(built_s, 2),
        "run_s": round(run_s, 2),
        "runner_steps": steps,
        "with_scenarios_s": round(more_s, 2),
        "write_outputs_s": round(write_s, 2),
        "report_s": round(report_s, 2),
        "outputs_mb": {name: round(b / 1e6, 2) for name, b in sizes.items()},
        "peak_rss_gb": round(_rss_gb(), 2),
        "baseline_mean_time_min": round(float(everyone["mean_time_min"].iloc[0]), 2),
        "scenarios": sorted(more.scenarios),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small country, in a minute")
    parser.add_argument("--worker", choices=sorted(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return {}
    size = "quick" if args.quick else "full"
    cmd = [sys.executable, __file__, "--worker", size]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        msg = f"the {size} national study failed:\n{done.stderr[-3000:]}"
        raise RuntimeError(msg)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["machine"] = {
        "python": platform.python_version(),
        "cpus": __import__("os").cpu_count(),
        "date": datetime.now(UTC).date().isoformat(),
    }
    _print(report)
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"written {RESULTS.relative_to(ROOT)}")
    return report


def _print(report: dict[str, Any]) -> None:
    print(
        f"A national study through Study.run: {report['nodes']:,} nodes, "
        f"{report['edges']:,} edges, {report['areas']:,} areas x {report['centres']:,} centres"
    )
    print(f"routing: {report['matrix']}")
    print(f"{'step':<78} {'time':>9}")
    for step in report["runner_steps"]:
        print(f"{step['step'][:78]:<78} {step['s']:>8.2f}s")
    rows = [
        ("Study.run, everything (one scenario and the baseline)", f"{report['run_s']:.1f} s"),
        ("one more scenario on the result (with_scenarios)", f"{report['with_scenarios_s']:.2f} s"),
        ("outputs without maps (tables, lists, xlsx)", f"{report['write_outputs_s']:.1f} s"),
        ("the report (report.html), built apart", f"{report['report_s']:.1f} s"),
        ("peak memory", f"{report['peak_rss_gb']:.2f} GB"),
        ("baseline mean time (children-weighted)", f"{report['baseline_mean_time_min']} min"),
    ]
    for what, value in rows:
        print(f"{what:<78} {value:>9}")
    print("outputs: " + ", ".join(f"{k} {v} MB" for k, v in report["outputs_mb"].items()))


if __name__ == "__main__":
    main()
