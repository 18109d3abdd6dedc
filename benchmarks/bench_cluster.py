"""Benchmark: the travel-time matrix on a local Dask cluster of one and two workers.

The same synthetic road graph as ``bench_national.py`` at 1,000 × 1,000 nodes (1 million
nodes), saved as cached network arrays, with 8,439 origins (a quarter of England's LSOAs) and
256 centres. The matrix is computed:

* locally, by :meth:`Router.matrix` (one process, one core);
* on a ``LocalCluster`` of 1 and of 2 worker processes (one thread each) with
  :func:`centrereach.cluster.matrix`: each worker reads the arrays file once (the first run
  includes that), then a second run shows the steady state.

Every result is checked equal to the local matrix. On a 2-core machine two workers can at best
halve the time; the searches are memory-bound, so the measured factor is the honest one. The
paper estimate for 16 workers (separate machines) uses the per-search time measured here.

Run: ``python benchmarks/bench_cluster.py``. Writes ``benchmarks/results/cluster.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "cluster.json"
SIDE, N_ORIGINS, N_CENTRES = 1000, 8_439, 256


def main() -> dict[str, Any]:
    """Measure, print a table and write ``benchmarks/results/cluster.json``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_national import _frames, england_like, make_points
    from distributed import Client, LocalCluster

    from centrereach import cluster
    from centrereach.netarrays import NetworkArrays
    from centrereach.traveltime import Router

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="centrereach-cluster-") as tmp:
        arrays = england_like(SIDE)
        path = arrays.save(Path(tmp) / "network.npz")
        points = make_points(arrays, N_ORIGINS, N_CENTRES, seed=7)
        origins, centres = _frames(points)
        router = Router.from_arrays(NetworkArrays.load(path))
        snaps = {
            "origin_snap": router.snap(origins, max_snap_m=None),
            "destination_snap": router.snap(centres, max_snap_m=None),
        }
        t0 = time.perf_counter()
        expected = router.matrix(origins, centres, **snaps)
        local_s = time.perf_counter() - t0
        rows.append({"how": "local (one process)", "workers": 0, "first_s": local_s,
                     "second_s": local_s, "same": True})  # fmt: skip
        for workers in (1, 2):
            with (
                warnings.catch_warnings(),
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                ) as local,  # fmt: skip
                Client(local) as client,
            ):
                warnings.simplefilter("ignore")
                times, same = [], True
                for _ in range(2):
                    t0 = time.perf_counter()
                    got = cluster.matrix(client, router, origins, centres, **snaps)
                    times.append(time.perf_counter() - t0)
                    same &= bool(got.equals(expected))
            rows.append({"how": f"LocalCluster, {workers} worker process(es)", "workers": workers,
                         "first_s": times[0], "second_s": times[1], "same": same})  # fmt: skip
    per_search_s = local_s / N_CENTRES
    print(f"matrix {N_ORIGINS:,} origins x {N_CENTRES} centres on {SIDE * SIDE:,} nodes "
          f"({os.cpu_count()} CPUs)")  # fmt: skip
    print(f"{'how':<36} {'first s':>8} {'second s':>9} {'speed-up':>9} same")
    for r in rows:
        print(f"{r['how']:<36} {r['first_s']:>8.1f} {r['second_s']:>9.1f} "
              f"{local_s / r['second_s']:>8.2f}x {r['same']}")  # fmt: skip
    report = {
        "benchmark": "cluster",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_end": os.getloadavg(),
        },
        "graph": {"nodes": SIDE * SIDE, "origins": N_ORIGINS, "centres": N_CENTRES},
        "per_search_s": per_search_s,
        "rows": rows,
        "numpy": np.__version__,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main()
