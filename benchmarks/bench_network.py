"""Benchmark: build the drive network from the real PBF extracts; extrapolate to Derbyshire.

Each build runs in its own subprocess so time and memory are clean: the worker imports
everything first, records its resident memory (the baseline), builds the network, then reports
the wall time of the build and the process's peak resident memory (``ru_maxrss``). Times and the
memory above the baseline are extrapolated linearly by PBF file size to Geofabrik's Derbyshire
extract (~45 MB) and checked against the targets (< 60 s, < 3 GB).

``--compare`` also measures pyrosm (``OSM.get_network`` + ``OSM.to_graph``, networkx output)
and, when importable in the interpreter named by ``QUACKOSM_PYTHON`` (or this one), QuackOSM
(reading the highway ways into a GeoDataFrame only: it keeps no node ids, so no graph).

Run: ``python benchmarks/bench_network.py [--compare] [--mode walk]``. Writes
``benchmarks/results/network.json`` (``network-walk.json`` for ``--mode walk``). Shared data
is found through ``CENTREREACH_SHARED_DATA`` or ``<repo>/../shared/data``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "network.json"
PBFS = ("chesterfield-2018-05-21.osm.pbf", "rutland-2018-02-27.osm.pbf")
DERBYSHIRE_MB = 45.0
TARGET_S = 60.0
TARGET_MB = 3 * 1024.0
READERS = ("pyosmium", "pyrosm", "quackosm")


def shared_data() -> Path:
    """Return the shared reference-data folder."""
    default = ROOT.parent / "shared" / "data"
    return Path(os.environ.get("CENTREREACH_SHARED_DATA", default))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _build(reader: str, path: Path, mode: str) -> tuple[int, int]:
    if reader == "pyosmium":
        from centrereach.network import load_network

        G = load_network(path, mode=mode, progress=False)
        return G.number_of_nodes(), G.number_of_edges()
    if reader == "pyrosm":
        from pyrosm import OSM

        osm = OSM(str(path))
        nodes, edges = osm.get_network(
            network_type="driving" if mode == "drive" else "walking", nodes=True
        )
        G = osm.to_graph(nodes, edges, graph_type="networkx", simplify=False, progress=False)
        return G.number_of_nodes(), G.number_of_edges()
    if reader == "quackosm":
        import tempfile

        import quackosm as qosm

        with tempfile.TemporaryDirectory() as tmp:
            gdf = qosm.convert_pbf_to_geodataframe(
                path, tags_filter={"highway": True}, working_directory=tmp, verbosity_mode="silent"
            )
        return 0, len(gdf)
    msg = f"unknown reader {reader!r}"
    raise ValueError(msg)


def _preload(reader: str) -> None:
    """Import the reader's modules so the baseline memory and the time exclude imports."""
    import importlib

    for module in ("numpy", "pandas", "shapely", "geopandas", "networkx"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if reader == "pyosmium":
        import osmium  # noqa: F401
        import osmnx  # noqa: F401

        import centrereach.network  # noqa: F401
    elif reader == "pyrosm":
        import pyrosm  # noqa: F401
    elif reader == "quackosm":
        import quackosm  # noqa: F401


def worker(reader: str, path: Path, mode: str) -> dict[str, Any]:
    """Build one network in this process and return its measurements."""
    _preload(reader)
    baseline = _rss_mb()
    start = time.perf_counter()
    nodes, edges = _build(reader, path, mode)
    seconds = time.perf_counter() - start
    return {
        "reader": reader,
        "file": path.name,
        "mode": mode,
        "size_mb": path.stat().st_size / 2**20,
        "seconds": seconds,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": _rss_mb(),
        "nodes": nodes,
        "edges": edges,
    }


def _python_for(reader: str) -> str | None:
    if reader != "quackosm":
        return sys.executable
    for python in (os.environ.get("QUACKOSM_PYTHON"), sys.executable):
        if python and Path(python).exists():
            ok = subprocess.run(
                [python, "-c", "import quackosm"], capture_output=True, check=False
            ).returncode
            if ok == 0:
                return python
    return None


def run_one(reader: str, path: Path, mode: str = "drive") -> dict[str, Any] | None:
    """Measure one build in a fresh subprocess (None when the reader is not installed)."""
    python = _python_for(reader)
    if python is None:
        return None
    cmd = [python, str(Path(__file__).resolve()), "--worker", reader, str(path), mode]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        print(f"{reader} on {path.name} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    ratio = DERBYSHIRE_MB / result["size_mb"]
    result["derbyshire_seconds"] = result["seconds"] * ratio
    result["derbyshire_peak_mb"] = (
        result["baseline_rss_mb"] + (result["peak_rss_mb"] - result["baseline_rss_mb"]) * ratio
    )
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print a table and write ``benchmarks/results/network.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also measure pyrosm, QuackOSM")
    parser.add_argument("--mode", default="drive", choices=["drive", "walk"])
    parser.add_argument("--repeat", type=int, default=1, help="builds per file (best is kept)")
    parser.add_argument(
        "--worker", nargs=3, metavar=("READER", "PBF", "MODE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        reader, pbf, mode = args.worker
        print(json.dumps(worker(reader, Path(pbf), mode)))
        return {}

    data = shared_data() / "osm"
    readers = READERS if args.compare else READERS[:1]
    rows: list[dict[str, Any]] = []
    for name in PBFS:
        path = data / name
        if not path.is_file():
            print(f"missing {path}: set CENTREREACH_SHARED_DATA", file=sys.stderr)
            continue
        for reader in readers:
            runs = [run_one(reader, path, args.mode) for _ in range(max(1, args.repeat))]
            measured = [r for r in runs if r is not None]
            if measured:
                rows.append(min(measured, key=lambda r: r["seconds"]))
            elif reader != "pyosmium":
                print(f"{reader}: not installed or failed; skipped", file=sys.stderr)

    header = (
        f"{'reader':9} {'file':34} {'MB':>5} {'nodes':>7} {'edges':>7} {'s':>6} "
        f"{'peak MB':>8} {'Derbys. s':>9} {'Derbys. MB':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['reader']:9} {r['file']:34} {r['size_mb']:5.2f} {r['nodes']:7d} {r['edges']:7d} "
            f"{r['seconds']:6.2f} {r['peak_rss_mb']:8.0f} {r['derbyshire_seconds']:9.1f} "
            f"{r['derbyshire_peak_mb']:10.0f}"
        )
    ours = [r for r in rows if r["reader"] == "pyosmium"]
    worst_s = max((r["derbyshire_seconds"] for r in ours), default=float("nan"))
    worst_mb = max((r["derbyshire_peak_mb"] for r in ours), default=float("nan"))
    meets = bool(ours) and worst_s < TARGET_S and worst_mb < TARGET_MB
    verdict = "MEETS" if meets else "MISSES"
    print(
        f"\nDerbyshire ({DERBYSHIRE_MB:g} MB) {args.mode} network, extrapolated linearly by file "
        f"size: {worst_s:.0f} s, {worst_mb:.0f} MB peak -> {verdict} the targets "
        f"(< {TARGET_S:g} s, < {TARGET_MB / 1024:g} GB)"
    )
    report = {
        "benchmark": "network",
        "mode": args.mode,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "derbyshire_pbf_mb": DERBYSHIRE_MB,
        "targets": {"seconds": TARGET_S, "peak_mb": TARGET_MB},
        "derbyshire_estimate": {"seconds": worst_s, "peak_mb": worst_mb, "meets_targets": meets},
        "runs": rows,
    }
    out = RESULTS if args.mode == "drive" else RESULTS.with_name(f"network-{args.mode}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main()
