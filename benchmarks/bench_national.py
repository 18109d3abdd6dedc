"""Benchmark: every LSOA in England to every centre, on one 2-core machine.

A synthetic England-sized road graph (2,000 × 2,000 = 4 million nodes, about 300 km square;
blocks of about 130 m; 35 % of residential street segments missing, so the mean out-degree is
2.7 as on OpenStreetMap's unsimplified drive network; motorways at 96 km/h every 250th line, A
roads at 64 km/h every 50th, B roads at 48 km/h every 10th, residential streets at 32 km/h, 5 %
of them one-way) with 33,755 origins (England's LSOAs) and 3,000 centres at random places.
It is built once and saved as centrereach's cached network arrays (``.npz``).

Measured, each engine in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own:

* **centrereach** (the national run): the preparation (network arrays from the cache, the
  router: CSR, strong component, k-d tree; snapping; the 12 nearest centres of every area with
  :meth:`Router.nearest_k`), then six closure scenarios (:meth:`NearestCentres.scenario`: the
  nearest open centre of every area, exact fallbacks included), and a sample of the one-search-
  per-centre full matrix, scaled to 3,000 centres;
* **igraph** on the same 4-million-node graph: building the graph, and its Dijkstra from a
  sample of centres (``distances(mode="in")``: the times *to* the centre, its best use), scaled;
* on a 1,000 × 1,000 cut of the same generator (1 million nodes, 8,439 origins, 750 centres),
  where every engine fits in memory: centrereach, igraph, **pandana** (contraction hierarchies:
  the preprocessing, ``nearest_pois`` for the 12 nearest centres of every node, and
  ``shortest_path_lengths`` for sampled pairs) and **networkx** (Dijkstra per centre on the
  reversed graph, sampled within a time budget and scaled).

Every peer's times are compared with centrereach's (maximum difference in seconds). Goals on
this machine: preparation under 5 minutes, each scenario under 1 second, peak memory under 8 GB.

Run: ``python benchmarks/bench_national.py`` (about 20-30 minutes; ``--quick`` runs a 0.25
million-node version in a minute). Writes ``benchmarks/results/national.json`` (committed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "national.json"
SEED = 2024
N_AREAS, N_CENTRES = 33_755, 3_000
K = int(os.environ.get("CENTREREACH_BENCH_K", "12"))  # nearest centres kept per area
GOALS = {"prepare_s": 300.0, "scenario_s": 1.0, "peak_rss_gb": 8.0}
BUDGET_S = 60.0  # time allowed to each sampled peer before scaling up
PEERS = ("igraph", "pandana", "networkx")


def _rss_gb() -> float:
    """Peak resident memory of this process (GB): ``VmHWM``, which starts afresh at ``exec``
    (``ru_maxrss`` would keep the peak of the parent the worker was forked from)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0**2  # kB
    except OSError:  # not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0**2


# ---------------------------------------------------------------------------------------------
# the synthetic country
# ---------------------------------------------------------------------------------------------


def england_like(side: int, seed: int = SEED) -> Any:
    """An England-like road graph as centrereach network arrays (see the module docstring)."""
    from centrereach.synthetic import synthetic_country

    return synthetic_country(side, seed=seed)


def make_points(arrays: Any, n_areas: int, n_centres: int, seed: int) -> dict[str, Any]:
    """Area origins and centres at random nodes, each nudged by up to ~30 m (lon/lat)."""
    rng = np.random.default_rng(seed + 1)
    picked = rng.choice(arrays.n_nodes, size=n_areas + n_centres, replace=False)
    lon = arrays.lon[picked] + rng.uniform(-3e-4, 3e-4, picked.size)
    lat = arrays.lat[picked] + rng.uniform(-2e-4, 2e-4, picked.size)
    return {
        "area_lon": lon[:n_areas],
        "area_lat": lat[:n_areas],
        "area_node": picked[:n_areas],
        "centre_lon": lon[n_areas:],
        "centre_lat": lat[n_areas:],
        "centre_node": picked[n_areas:],
    }


def _frames(points: dict[str, Any]) -> tuple[Any, Any]:
    import geopandas as gpd
    import pandas as pd

    areas = gpd.GeoDataFrame(
        index=pd.Index([f"A{i:05d}" for i in range(points["area_lon"].size)], name="area"),
        geometry=gpd.points_from_xy(points["area_lon"], points["area_lat"]),
        crs=4326,
    )
    centres = gpd.GeoDataFrame(
        index=pd.Index([f"C{i:04d}" for i in range(points["centre_lon"].size)], name="centre"),
        geometry=gpd.points_from_xy(points["centre_lon"], points["centre_lat"]),
        crs=4326,
    )
    return areas, centres


def scenarios(points: dict[str, Any], seed: int) -> list[tuple[str, np.ndarray]]:
    """Six closure programmes: (name, open mask over the centres)."""
    rng = np.random.default_rng(seed + 2)
    n = points["centre_lon"].size
    out: list[tuple[str, np.ndarray]] = []
    one = np.ones(n, dtype=bool)
    one[rng.integers(n)] = False
    out.append(("close 1 centre", one))
    for share in (0.1, 0.3, 0.6):
        mask = np.ones(n, dtype=bool)
        mask[rng.permutation(n)[: round(share * n)]] = False
        out.append((f"close {share:.0%} at random", mask))
    # a county (a box of about 1/16 of the country) closes half of its centres, then all
    lon, lat = points["centre_lon"], points["centre_lat"]
    lo_x, hi_x = np.quantile(lon, [0.4, 0.65])
    lo_y, hi_y = np.quantile(lat, [0.4, 0.65])
    county = np.flatnonzero((lon >= lo_x) & (lon <= hi_x) & (lat >= lo_y) & (lat <= hi_y))
    half = np.ones(n, dtype=bool)
    half[rng.permutation(county)[: county.size // 2]] = False
    out.append((f"a county closes {county.size // 2} of its {county.size}", half))
    every = np.ones(n, dtype=bool)
    every[county] = False
    out.append((f"a county closes all {county.size}", every))
    return out


# ---------------------------------------------------------------------------------------------
# workers (each runs in its own process)
# ---------------------------------------------------------------------------------------------


def worker_centrereach(network: Path, points_file: Path, *, sample: int) -> dict[str, Any]:
    """The national run: preparation, k nearest, scenarios, and a sampled full matrix."""
    from centrereach.netarrays import NetworkArrays
    from centrereach.traveltime import Router, node_matrix

    points = dict(np.load(points_file))
    areas, centres = _frames(points)
    import centrereach._jit  # noqa: F401  (numba's import, not part of the work)

    base = _rss_gb()
    t0 = time.perf_counter()
    arrays = NetworkArrays.load(network)
    t1 = time.perf_counter()
    router = Router.from_arrays(arrays)
    t2 = time.perf_counter()
    osnap = router.snap(areas, max_snap_m=None)
    csnap = router.snap(centres, max_snap_m=None)
    t3 = time.perf_counter()
    near = router.nearest_k(areas, centres, k=K, origin_snap=osnap, destination_snap=csnap)
    _warm_fallback_kernel()  # numba loads its cached machine code once per process
    t4 = time.perf_counter()
    rss_prepared = _rss_gb()
    results = []
    for name, mask in scenarios(points, SEED):
        s0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = near.scenario(mask)
        results.append(
            {
                "scenario": name,
                "closed": int((~mask).sum()),
                "seconds": time.perf_counter() - s0,
                "fallback_areas": int(table.attrs["fallbacks"]),
                "mean_time_min": float(np.mean(table["time_min"])),
            }
        )
    # the full matrix, one search per centre: a sample of centres, scaled (at the points'
    # own nodes, which the peers use too)
    rng = np.random.default_rng(SEED + 3)
    chosen = rng.permutation(points["centre_node"].size)[:sample]
    m0 = time.perf_counter()
    block = node_matrix(router.csr, points["area_node"], points["centre_node"][chosen])
    m1 = time.perf_counter()
    np.save(points_file.with_name(points_file.stem + "-check.npy"), block[:, :4])
    return {
        "engine": "centrereach",
        "nodes": arrays.n_nodes,
        "edges": arrays.n_edges,
        "arrays_mb": arrays.nbytes / 1e6,
        "load_s": t1 - t0,
        "router_s": t2 - t1,
        "snap_s": t3 - t2,
        "k_nearest_s": t4 - t3,
        "prepare_s": t4 - t0,
        "rss_after_prepare_gb": rss_prepared,
        "baseline_rss_gb": base,
        "scenarios": results,
        "scenario_s": max(r["seconds"] for r in results),
        "scenario_median_s": statistics.median(r["seconds"] for r in results),
        "full_matrix_sampled_centres": int(chosen.size),
        "full_matrix_sample_s": m1 - m0,
        "full_matrix_estimate_s": (m1 - m0) * points["centre_node"].size / chosen.size,
        "check_centres": [int(c) for c in chosen[:4]],
        "peak_rss_gb": _rss_gb(),
    }


def _warm_fallback_kernel() -> None:
    from centrereach._kernels import nearest_open

    tiny = np.array([0, 1, 2]), np.array([1, 0], dtype=np.int32), np.array([1.0, 1.0])
    nearest_open(*tiny, [0], [0.0], [1], [0.0], [True])


def _edges(network: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    from centrereach.netarrays import NetworkArrays

    arrays = NetworkArrays.load(network)
    src = np.repeat(np.arange(arrays.n_nodes), np.diff(arrays.indptr))
    return src, arrays.indices.astype(np.int64), arrays.travel_time_s, arrays.n_nodes


def _check(points_file: Path, got: np.ndarray) -> float:
    """Largest difference (seconds) from centrereach's matrix on the first checked centres
    (inf where either cannot reach, when the other can)."""
    mine = np.load(points_file.with_name(points_file.stem + "-check.npy"))[:, : got.shape[1]]
    both = np.isfinite(got) & np.isfinite(mine)
    if (np.isfinite(got) != np.isfinite(mine)).any():
        return math.inf
    return float(np.max(np.abs(got[both] - mine[both]), initial=0.0))


def _order(n: int, check: list[int]) -> list[int]:
    """The checked centres first, then the others in a random order."""
    rng = np.random.default_rng(SEED + 3)
    first = set(check)
    return [*check, *(int(c) for c in rng.permutation(n) if int(c) not in first)]


def _sampled(
    engine: str,
    build_s: float,
    row: Callable[[int], list[float]],
    points_file: Path,
    *,
    check: list[int],
    n_centres: int,
    limit: int | None,
    baseline: float,
) -> dict[str, Any]:
    """A peer's times from sampled centres (the checked ones first), within the budget, scaled.

    ``row(c)`` is the peer's travel times from every area to centre ``c``; the checked centres'
    rows are compared with centrereach's.
    """
    s0 = time.perf_counter()
    done = 0
    first: list[list[float]] = []
    for c in _order(n_centres, check)[:limit]:
        times = row(c)
        if done < len(check):
            first.append(times)
        done += 1
        if time.perf_counter() - s0 > BUDGET_S and done >= 2:
            break
    seconds = time.perf_counter() - s0
    return {
        "engine": engine,
        "build_s": build_s,
        "sampled_centres": done,
        "sample_s": seconds,
        "full_matrix_estimate_s": seconds * n_centres / done,
        "max_diff_s": _check(points_file, np.array(first).T) if first else None,
        "baseline_rss_gb": baseline,
        "peak_rss_gb": _rss_gb(),
    }


def worker_igraph(
    network: Path, points_file: Path, *, sample: int, check: list[int]
) -> dict[str, Any]:
    """igraph: build the graph; Dijkstra to sampled centres (mode="in"), scaled."""
    import igraph as ig

    points = dict(np.load(points_file))
    src, dst, weight, n = _edges(network)
    base = _rss_gb()
    t0 = time.perf_counter()
    g = ig.Graph(n=n, edges=np.column_stack([src, dst]), directed=True)
    g.es["w"] = weight
    t1 = time.perf_counter()
    del src, dst, weight
    areas = points["area_node"].tolist()
    centres = points["centre_node"]

    def row(c: int) -> list[float]:
        return list(g.distances(source=[int(centres[c])], target=areas, weights="w", mode="in")[0])

    return _sampled(f"igraph {ig.__version__}", t1 - t0, row, points_file, check=check,
                    n_centres=centres.size, limit=sample, baseline=base)  # fmt: skip


def worker_pandana(network: Path, points_file: Path, *, check: list[int]) -> dict[str, Any]:
    """pandana: contraction hierarchy, nearest_pois (the k nearest), sampled pair queries."""
    import pandana
    import pandas as pd

    from centrereach.netarrays import NetworkArrays

    points = dict(np.load(points_file))
    arrays = NetworkArrays.load(network)
    src, dst, weight, _ = _edges(network)
    nodes = pd.DataFrame({"x": arrays.lon, "y": arrays.lat}, index=arrays.node_ids)
    edges = pd.DataFrame({"from": src, "to": dst, "seconds": weight})
    del src, dst, weight
    base = _rss_gb()
    with open(os.devnull, "w") as quiet, _redirect_stdout(quiet):
        out = _pandana(pandana, arrays, nodes, edges, points, base, check)
    # pandana stores times in whole milliseconds: how far its times are from the exact ones
    lengths = np.asarray(out.pop("check_lengths"), dtype=float).reshape(len(check), -1).T
    lengths[lengths >= 4e6] = np.inf  # pandana's "unreachable"
    out["max_diff_s"] = _check(points_file, lengths)
    return out


def _pandana(pandana: Any, arrays: Any, nodes: Any, edges: Any, points: dict[str, Any],
             base: float, check: list[int]) -> dict[str, Any]:  # fmt: skip
    t0 = time.perf_counter()
    net = pandana.Network(nodes["x"], nodes["y"], edges["from"], edges["to"],
                          edges[["seconds"]], twoway=False)  # fmt: skip
    t1 = time.perf_counter()
    rss_built = _rss_gb()
    centres = points["centre_node"]
    horizon = 1200.0  # seconds: the search radius nearest_pois needs (20 minutes)
    net.set_pois(category="centres", maxdist=horizon, maxitems=K,
                 x_col=arrays.lon[centres], y_col=arrays.lat[centres])  # fmt: skip
    q0 = time.perf_counter()
    nearest = net.nearest_pois(horizon, "centres", num_pois=K)
    q1 = time.perf_counter()
    areas = points["area_node"]
    rng = np.random.default_rng(SEED + 4)
    pairs = 200_000
    a = areas[rng.integers(areas.size, size=pairs)]
    c = centres[rng.integers(centres.size, size=pairs)]
    p0 = time.perf_counter()
    lengths = net.shortest_path_lengths(a.tolist(), c.tolist())
    p1 = time.perf_counter()
    full_pairs = areas.size * centres.size
    pairs_a = np.tile(areas, len(check))
    pairs_c = np.repeat(centres[check], areas.size)
    checked = net.shortest_path_lengths(pairs_a.tolist(), pairs_c.tolist())
    return {
        "engine": f"pandana {getattr(pandana, '__version__', '?')}",
        "preprocess_s": t1 - t0,
        "rss_after_preprocess_gb": rss_built,
        "nearest_pois_all_nodes_s": q1 - q0,
        "nearest_pois_finite_share": float(np.isfinite(nearest.to_numpy()).mean()),
        "pair_queries": pairs,
        "pair_queries_s": p1 - p0,
        "full_matrix_estimate_s": (p1 - p0) * full_pairs / pairs,
        "pair_lengths_median_s": float(np.median(lengths)),
        "check_lengths": list(checked),
        "baseline_rss_gb": base,
        "peak_rss_gb": _rss_gb(),
    }


class _redirect_stdout:
    """Silence a library that prints to the C-level stdout (pandana's progress dots)."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __enter__(self) -> None:
        sys.stdout.flush()
        self._saved = os.dup(1)
        os.dup2(self._target.fileno(), 1)

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()
        os.dup2(self._saved, 1)
        os.close(self._saved)


def worker_networkx(network: Path, points_file: Path, *, check: list[int]) -> dict[str, Any]:
    """networkx: Dijkstra from sampled centres on the reversed graph, within a budget, scaled."""
    import networkx as nx

    points = dict(np.load(points_file))
    src, dst, weight, n = _edges(network)
    base = _rss_gb()
    t0 = time.perf_counter()
    R = nx.DiGraph()
    R.add_nodes_from(range(n))
    R.add_weighted_edges_from(zip(dst.tolist(), src.tolist(), weight.tolist(), strict=True))
    t1 = time.perf_counter()
    del src, dst, weight
    areas = points["area_node"].tolist()
    centres = points["centre_node"]

    def row(c: int) -> list[float]:
        dist = nx.single_source_dijkstra_path_length(R, int(centres[c]), weight="weight")
        return [dist.get(a, math.inf) for a in areas]

    return _sampled(f"networkx {nx.__version__}", t1 - t0, row, points_file, check=check,
                    n_centres=centres.size, limit=None, baseline=base)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# the driver
# ---------------------------------------------------------------------------------------------


def run_worker(name: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run one worker in a fresh interpreter; its last stdout line is its JSON result."""
    cmd = [sys.executable, __file__, "--worker", name, *args]
    print(f"  ... {name} {' '.join(Path(a).name for a in args)}", flush=True)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"engine": name, "error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"engine": name, "error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _build(side: int, folder: Path, n_areas: int, n_centres: int) -> tuple[Path, Path, float]:
    t0 = time.perf_counter()
    arrays = england_like(side)
    build_s = time.perf_counter() - t0
    network = arrays.save(folder / f"england-like-{side}.npz")
    points = make_points(arrays, n_areas, n_centres, SEED)
    points_file = folder / f"points-{side}.npz"
    np.savez(points_file, **points)
    return network, points_file, build_s


def _fmt_s(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 100:
        return f"{value:,.0f} s"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Build the graphs, run every worker, print the tables, write ``national.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 500 x 500 grid (a smoke run)")
    args = parser.parse_args(argv or [])
    side, cut = (500, 250) if args.quick else (2000, 1000)
    scale = (side / 2000) ** 2
    n_areas, n_centres = round(N_AREAS * scale), round(N_CENTRES * scale)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="centrereach-national-") as tmp:
        folder = Path(tmp)
        print(f"building the {side} x {side} graph and its {cut} x {cut} cut ...", flush=True)
        network, points_file, build_s = _build(side, folder, n_areas, n_centres)
        cut_network, cut_points, _ = _build(cut, folder, round(n_areas / 4), round(n_centres / 4))
        national = run_worker("centrereach", str(network), str(points_file), "16")
        check = json.dumps(national.get("check_centres", []))
        ig_national = run_worker("igraph", str(network), str(points_file), "8", check)
        mine_cut = run_worker("centrereach", str(cut_network), str(cut_points), "32")
        cut_check = json.dumps(mine_cut.get("check_centres", []))
        peers_cut = [
            run_worker("igraph", str(cut_network), str(cut_points), "32", cut_check),
            run_worker("pandana", str(cut_network), str(cut_points), cut_check),
            run_worker("networkx", str(cut_network), str(cut_points), cut_check),
        ]
    report = {
        "benchmark": "national",
        "when": started.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "load_average_at_end": os.getloadavg(),
        },
        "data": (
            "synthetic England-like road grid (see benchmarks/bench_national.py); times of a "
            "synthetic graph, not of England's roads"
        ),
        "graph": {
            "side": side,
            "nodes": national.get("nodes"),
            "edges": national.get("edges"),
            "generate_s": build_s,
            "areas": n_areas,
            "centres": n_centres,
            "k": K,
        },
        "goals": GOALS,
        "prepare_s": national.get("prepare_s"),
        "scenario_s": national.get("scenario_s"),
        "peak_rss_gb": national.get("peak_rss_gb"),
        "centrereach": national,
        "igraph": ig_national,
        "cut": {"side": cut, "centrereach": mine_cut, "peers": peers_cut},
    }
    _print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return report


def _print(report: dict[str, Any]) -> None:
    g, me, ig = report["graph"], report["centrereach"], report["igraph"]
    print(
        f"\nnational benchmark: {g['nodes']:,} nodes, {g['edges']:,} edges, {g['areas']:,} areas "
        f"x {g['centres']:,} centres, k = {g['k']} ({report['machine']['cpus']} CPUs)"
    )
    if "error" in me:
        print(f"centrereach failed: {me['error']}")
        return
    print(
        f"prepare {_fmt_s(me['prepare_s'])} (arrays from the cache {_fmt_s(me['load_s'])}, "
        f"router {_fmt_s(me['router_s'])}, snapping {_fmt_s(me['snap_s'])}, k nearest "
        f"{_fmt_s(me['k_nearest_s'])}); slowest scenario {me['scenario_s'] * 1e3:.0f} ms; "
        f"peak memory {me['peak_rss_gb']:.2f} GB"
    )
    for key, goal in report["goals"].items():
        value = report[key]
        verdict = "met" if value is not None and value < goal else "NOT MET"
        print(f"  goal {key} < {goal:g}: {value:.3g} ({verdict})")
    print(f"\n{'scenario':<34} {'closed':>7} {'ms':>8} {'fallback areas':>15}")
    for r in me["scenarios"]:
        print(f"{r['scenario']:<34} {r['closed']:>7,} {r['seconds'] * 1e3:>8.0f} "
              f"{r['fallback_areas']:>15,}")  # fmt: skip
    label = f"engine ({g['nodes'] / 1e6:g}M nodes)"
    print(f"\n{label:<24} {'build/prep':>11} {'k nearest':>10} {'full matrix':>12} {'peak GB':>8}")
    print(f"{'centrereach':<24} {_fmt_s(me['prepare_s'] - me['k_nearest_s']):>11} "
          f"{_fmt_s(me['k_nearest_s']):>10} {_fmt_s(me['full_matrix_estimate_s']):>12} "
          f"{me['peak_rss_gb']:>8.2f}")  # fmt: skip
    if "error" not in ig:
        print(f"{ig['engine']:<24} {_fmt_s(ig['build_s']):>11} {'(matrix)':>10} "
              f"{_fmt_s(ig['full_matrix_estimate_s']):>12} {ig['peak_rss_gb']:>8.2f}")  # fmt: skip
    cut = report["cut"]
    mc = cut["centrereach"]
    label = f"engine ({cut['side'] ** 2 / 1e6:g}M-node cut)"
    print(f"\n{label:<24} {'build/prep':>11} {'k nearest':>10} "
          f"{'full matrix':>12} {'peak GB':>8} {'max diff s':>11}")  # fmt: skip
    if "error" not in mc:
        print(f"{'centrereach':<24} {_fmt_s(mc['prepare_s'] - mc['k_nearest_s']):>11} "
              f"{_fmt_s(mc['k_nearest_s']):>10} {_fmt_s(mc['full_matrix_estimate_s']):>12} "
              f"{mc['peak_rss_gb']:>8.2f} {'-':>11}")  # fmt: skip
    for peer in cut["peers"]:
        if "error" in peer:
            print(f"{peer['engine']:<24} failed: {peer['error']}")
            continue
        prep = peer.get("preprocess_s", peer.get("build_s"))
        knn = peer.get("nearest_pois_all_nodes_s")
        diff = peer.get("max_diff_s")
        print(f"{peer['engine']:<24} {_fmt_s(prep):>11} {_fmt_s(knn):>10} "
              f"{_fmt_s(peer['full_matrix_estimate_s']):>12} {peer['peak_rss_gb']:>8.2f} "
              f"{'-' if diff is None else f'{diff:.1e}':>11}")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        name, rest = sys.argv[2], sys.argv[3:]
        paths = [Path(p) for p in rest[:2]]
        if name == "centrereach":
            out = worker_centrereach(*paths, sample=int(rest[2]))
        elif name == "igraph":
            out = worker_igraph(*paths, sample=int(rest[2]), check=json.loads(rest[3]))
        elif name == "pandana":
            out = worker_pandana(*paths, check=json.loads(rest[2]))
        elif name == "networkx":
            out = worker_networkx(*paths, check=json.loads(rest[2]))
        else:
            raise SystemExit(f"unknown worker {name!r}")
        print(json.dumps(out, default=float))
    else:
        main(sys.argv[1:])
