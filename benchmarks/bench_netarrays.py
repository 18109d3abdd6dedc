"""Benchmark: a drive network from a PBF file, as a networkx graph and as routing arrays.

A synthetic OpenStreetMap extract (written with pyosmium) whose roads form a grid of
``SIDE × SIDE`` junctions with three nodes between neighbouring junctions (so most nodes have
two neighbours, as on real unsimplified ways), residential streets with 20 % of segments missing,
5 % one-way, a primary road every 10th line. Each build runs in a fresh subprocess: the peak
resident memory (``VmHWM``) above the process's memory before the build, and the wall time:

* ``graph``: :func:`centrereach.network.load_network` (what the study runner did before);
* ``arrays``: :func:`centrereach.netarrays.load_network_arrays` without the cache (the build);
* ``cache-write``, ``cache-read``: the same with the cache, written the first time (build and
  save) and read back the second.

The real extracts (Chesterfield, Rutland) are measured the same way when the shared data is
there. The arrays of both builds are checked equal.

Run: ``python benchmarks/bench_netarrays.py``. Writes ``benchmarks/results/netarrays.json``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "netarrays.json"
SIDE = 300  # junctions per side: 300 * 300 * ~4 nodes, about 0.36 million nodes


def _hwm_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")  # pragma: no cover - not Linux


def write_pbf(path: Path, side: int, seed: int = 5) -> int:
    """Write the synthetic extract; return its number of nodes."""
    import osmium

    rng = np.random.default_rng(seed)
    step = 4  # nodes per junction-to-junction segment
    n_side = (side - 1) * step + 1
    lat0, lon0, d = 53.0, -1.6, 0.00035  # about 35 m between nodes

    def node_id(r: int, c: int) -> int:
        return r * n_side + c + 1

    writer = osmium.SimpleWriter(str(path))
    try:
        count = 0
        for r in range(n_side):
            for c in range(n_side):
                if r % step == 0 or c % step == 0:  # nodes lie on the grid lines only
                    lat = lat0 + d * r
                    lon = lon0 + d * c * 1.66
                    writer.add_node(osmium.osm.mutable.Node(id=node_id(r, c), location=(lon, lat)))
                    count += 1
        way_id = 1
        for horizontal in (True, False):
            for line in range(0, n_side, step):
                for start in range(0, n_side - 1, step):
                    main = (line // step) % 10 == 0
                    if not main and rng.random() < 0.2:
                        continue
                    cells = range(start, start + step + 1)
                    refs = [node_id(line, k) if horizontal else node_id(k, line) for k in cells]
                    tags = {"highway": "primary" if main else "residential"}
                    if not main and rng.random() < 0.05:
                        tags["oneway"] = "yes"
                    writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
                    way_id += 1
    finally:
        writer.close()
    return count


def worker(kind: str, path: Path, cache: Path) -> dict[str, Any]:
    """Build one network in this process; return time (s), memory (MB) and sizes."""
    import osmium  # noqa: F401  (the libraries either path needs, imported before the baseline)
    import osmnx  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401
    import shapely  # noqa: F401

    import centrereach.netarrays as na
    from centrereach.network import load_network

    base = _hwm_mb()
    t0 = time.perf_counter()
    if kind == "graph":
        G = load_network(path, mode="drive", progress=False)
        nodes, edges = G.number_of_nodes(), G.number_of_edges()
        arrays = None
    else:
        arrays = na.load_network_arrays(path, mode="drive", cache=kind != "arrays",
                                        cache_dir=cache, progress=False)  # fmt: skip
        nodes, edges = arrays.n_nodes, arrays.n_edges
    seconds = time.perf_counter() - t0
    out = {"kind": kind, "seconds": seconds, "nodes": nodes, "edges": edges,
           "baseline_mb": base, "peak_above_baseline_mb": _hwm_mb() - base}  # fmt: skip
    if arrays is not None:
        out["arrays_mb"] = arrays.nbytes / 1e6
        out["checksum"] = float(arrays.travel_time_s.sum())
    return out


def run_one(kind: str, path: Path, cache: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--worker", kind, str(path), str(cache)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        return {"kind": kind, "error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> dict[str, Any]:
    """Measure every case, print a table and write ``benchmarks/results/netarrays.json``."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="centrereach-netarrays-") as tmp:
        folder = Path(tmp)
        files = {}
        synthetic = folder / "synthetic-grid.osm.pbf"
        t0 = time.perf_counter()
        n = write_pbf(synthetic, SIDE)
        print(f"wrote a synthetic extract of {n:,} nodes in {time.perf_counter() - t0:.0f} s")
        files["synthetic grid"] = synthetic
        shared = Path(os.environ.get("CENTREREACH_SHARED_DATA", ROOT.parent / "shared" / "data"))
        for name in ("chesterfield-2018-05-21.osm.pbf", "rutland-2018-02-27.osm.pbf"):
            if (shared / "osm" / name).is_file():
                files[name.split("-")[0]] = shared / "osm" / name
        for label, path in files.items():
            cache = folder / f"cache-{label.replace(' ', '-')}"
            for kind in ("graph", "arrays", "cache-write", "cache-read"):
                row = run_one(kind, path, cache)
                row["file"] = label
                row["file_mb"] = path.stat().st_size / 1e6
                rows.append(row)
    print(f"\n{'file':<16} {'how':<11} {'nodes':>10} {'edges':>10} {'s':>7} "
          f"{'peak MB':>8} {'arrays MB':>10}")  # fmt: skip
    for r in rows:
        if "error" in r:
            print(f"{r['file']:<16} {r['kind']:<11} failed: {r['error']}")
            continue
        arrays = f"{r['arrays_mb']:.1f}" if "arrays_mb" in r else "-"
        print(f"{r['file']:<16} {r['kind']:<11} {r['nodes']:>10,} {r['edges']:>10,} "
              f"{r['seconds']:>7.2f} {r['peak_above_baseline_mb']:>8.0f} {arrays:>10}")  # fmt: skip
    report = {
        "benchmark": "netarrays",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_end": os.getloadavg(),
        },
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
    else:
        main()
