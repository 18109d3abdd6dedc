"""Benchmark: wall time and peak memory of whole synthetic studies (the demo and a county).

Two studies of Synthshire (:func:`centrereach.synthetic.synthetic_study`), each run in a fresh
subprocess so that its peak resident memory (``ru_maxrss``) is its own:

* ``demo``: ``synthetic_study()`` as shipped (a 31 x 31 road grid, 100 areas, 6 centres);
* ``derbyshire-sized``: ``synthetic_study(n_side=550, cells=25)``: a 302,500-node road grid
  (the size of Derbyshire's clipped drive network, unsimplified) with 441 areas (Derbyshire has
  499 LSOAs) and 6 centres, all four modes (drive, walk, transit on the invented buses, cycle).

The worker records its resident memory after importing everything (the baseline), builds the
study (the road networks as routing arrays, and the bus timetable: 6.9 million calls in the
county), runs it, and reports the build and run times and the peak.

Run: ``python benchmarks/bench_study_memory.py``. Writes ``benchmarks/results/study_memory.json``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "study_memory.json"
CASES: dict[str, dict[str, int]] = {
    "demo": {},
    "derbyshire-sized": {"n_side": 550, "cells": 25},
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def worker(case: str) -> dict[str, Any]:
    """Build and run one study in this process; return times (s) and memory (MB)."""
    import warnings

    from centrereach.synthetic import synthetic_study

    baseline = _rss_mb()
    t0 = time.perf_counter()
    study = synthetic_study(**CASES[case])
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = study.run(progress=False)
    t2 = time.perf_counter()
    return {
        "case": case,
        "kwargs": CASES[case],
        "areas": len(result.areas),
        "centres": len(result.centres),
        "nodes": result.provenance["networks"]["drive"]["nodes"],
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "baseline_mb": baseline,
        "peak_mb": _rss_mb(),
    }


def run_one(case: str) -> dict[str, Any]:
    """Measure one case in a fresh subprocess."""
    cmd = [sys.executable, __file__, "--worker", case]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"{case} failed:\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def main() -> dict[str, Any]:
    """Run both cases, print a table and write ``benchmarks/results/study_memory.json``."""
    rows = [run_one(case) for case in CASES]
    print(f"synthetic studies, one fresh process each ({os.cpu_count()} CPUs)")
    head = f"{'case':<18} {'nodes':>9} {'areas':>6} {'build s':>8} {'run s':>7} {'peak MB':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['case']:<18} {r['nodes']:>9,} {r['areas']:>6} {r['build_s']:>8.1f} "
            f"{r['run_s']:>7.1f} {r['peak_mb']:>8.0f}"
        )
    report = {
        "benchmark": "study_memory",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "cases": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2])))
    else:
        main()
