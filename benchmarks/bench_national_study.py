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
import os
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


def synthetic_areas_study(size: str) -> tuple[Any, dict[str, Any], Path | None, float]:
    """The synthetic country as a ready Study; the scenarios to add later; no data folder."""
    from centrereach.study import Study

    t0 = time.perf_counter()
    arrays, areas, centres, specs = country(size)
    built_s = time.perf_counter() - t0
    study = Study(
        name=f"england-synthetic-{size}",
        title="A synthetic England: closures of family hubs (benchmark)",
        synthetic=True,
        scenario_specs=dict(list(specs.items())[:1]),
        modes=("drive",),
        # the full country is far above the automatic limit; the quick one is not, so it says so
        matrix="nearest" if size == "quick" else "auto",
        centres=centres,
        areas=areas,
        networks={"drive": arrays},
    )
    return study, dict(list(specs.items())[1:]), None, built_s


def real_areas_study(size: str, folder: Path) -> tuple[Any, dict[str, Any], Path | None, float]:
    """docs/national.md's study file on the real data of all England (``../shared/data``):
    3,000 invented hubs at real LSOA centroids (10 % closing) and invented roads under England
    (``synthetic_country``: 2,000 x 2,000 junctions 335 m apart; quick: 700 x 700, 950 m)."""
    import dataclasses
    import re

    import pandas as pd

    from centrereach.study import Study
    from centrereach.synthetic import synthetic_country

    data = Path(os.environ.get("CENTREREACH_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (data / "README.md").is_file():
        msg = f"the real-areas case needs the shared data at {data} (CENTREREACH_SHARED_DATA)"
        raise RuntimeError(msg)
    t0 = time.perf_counter()
    text = (ROOT / "docs" / "national.md").read_text(encoding="utf-8")
    (toml,) = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "country" in b]
    (folder / "england-family-hubs.toml").write_text(toml, encoding="utf-8")
    centroids = pd.read_csv(data / "ons" / "lsoa21_population_weighted_centroids.csv")
    english = centroids[centroids["LSOA21CD"].str.startswith("E")]
    n_hubs = SIZES[size][2]
    rng = np.random.default_rng(SEED + 4)
    picked = english.iloc[rng.choice(len(english), size=n_hubs, replace=False)]
    ids = [f"hub-{i:04d}" for i in range(n_hubs)]
    pd.DataFrame(
        {
            "centre_id": ids,
            "name": [f"Family hub {i}" for i in range(n_hubs)],
            "lat": picked["lat"].round(6).to_numpy(),
            "lon": picked["lon"].round(6).to_numpy(),
            "status": np.where(rng.random(n_hubs) < 0.1, "closing", "open"),
        }
    ).to_csv(folder / "family_hubs.csv", index=False)
    side, spacing = (2000, 335.0) if size == "full" else (700, 950.0)
    roads = synthetic_country(side, seed=SEED, lon0=-6.5, lat0=49.85, spacing_m=spacing)
    study = Study.from_toml(folder / "england-family-hubs.toml")
    study = dataclasses.replace(
        study, networks={"drive": roads}, matrix="nearest" if size == "quick" else study.matrix
    )
    more = sorted(rng.choice(ids, size=round(0.2 * n_hubs), replace=False).tolist())
    specs = {"close-one-in-five": {"label": "One hub in five closes, at random", "close": more}}
    return study, specs, data, time.perf_counter() - t0


def worker(size: str, kind: str) -> dict[str, Any]:
    """Build the inputs, run the study and write its outputs; times (s) and memory (GB)."""
    with tempfile.TemporaryDirectory() as inputs:
        if kind == "real":
            study, rest, data_dir, built_s = real_areas_study(size, Path(inputs))
        else:
            study, rest, data_dir, built_s = synthetic_areas_study(size)
        return _measure(study, rest, data_dir, built_s, size=size, kind=kind)


def _measure(
    study: Any, rest: dict[str, Any], data_dir: Path | None, built_s: float, *, size: str, kind: str
) -> dict[str, Any]:
    from centrereach.outputs import write_outputs
    from centrereach.report import build_report
    from centrereach.traveltime import NearestCentres

    arrays = study.networks["drive"]
    phases = _Phases()
    logging.getLogger("centrereach").addHandler(phases)
    logging.getLogger("centrereach").setLevel(logging.INFO)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few far centroids: SnapWarning, as a real country
        result = study.run(data_dir=data_dir, progress=False)
    run_s = time.perf_counter() - t1
    logging.getLogger("centrereach").removeHandler(phases)
    method = result.provenance["matrix"]
    assert isinstance(result.matrices["drive"], NearestCentres) == (method["method"] == "nearest")
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
        "areas_kind": kind,
        "nodes": arrays.n_nodes,
        "edges": arrays.n_edges,
        "areas": len(result.areas),
        "areas_excluded": len(result.excluded),
        "centres": len(result.centres),
        "matrix": {k: v for k, v in method.items() if k != "description"},
        "inputs_build_s": round(built_s, 2),
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


KINDS = {"synthetic": "synthetic areas", "real": "the real areas of all England"}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small country, in a minute")
    parser.add_argument("--worker", nargs=2, metavar=("SIZE", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return {}
    size = "quick" if args.quick else "full"
    report: dict[str, Any] = {}
    for kind in KINDS:
        cmd = [sys.executable, __file__, "--worker", size, kind]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
        if done.returncode != 0:
            msg = f"the {size} national study ({KINDS[kind]}) failed:\n{done.stderr[-3000:]}"
            raise RuntimeError(msg)
        report[kind] = json.loads(done.stdout.strip().splitlines()[-1])
        _print(report[kind])
    report["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).date().isoformat(),
    }
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"written {RESULTS.relative_to(ROOT)}")
    return report


def _print(report: dict[str, Any]) -> None:
    print(
        f"\nA national study through Study.run, {KINDS[report['areas_kind']]}: "
        f"{report['nodes']:,} nodes, {report['edges']:,} edges, {report['areas']:,} areas "
        f"({report['areas_excluded']} excluded) x {report['centres']:,} centres"
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
