"""Benchmark: the public transport matrix on a Derbyshire-sized synthetic region.

A synthetic region of 50 km × 50 km (the size of Derbyshire) is generated:

* a walk network: a 400 × 400 grid of streets 125 m apart (160,000 nodes, 638,400 directed
  edges, 4.8 km/h), slightly perturbed;
* twelve towns, with origins (areas' population-weighted centroids) and centres placed around
  them;
* a regional GTFS feed of **about 5,000 stops, 300 routes and 20,000 trips** (a weekday): each
  route runs between two towns along the grid (both directions), stops every 500 m, 1 to 2
  minutes between stops, every 10 to 60 minutes from 05:30 to 23:30.

Timed (wall clock, this machine's 2 cores, numba's compiled kernels warmed up first):

1. building the :class:`~centrereach.transit.TransitRouter` (timetable, snapping the stops,
   walks between stops);
2. the transit matrix for **499 origins × 22 centres** over a 3-hour window at 1-minute steps
   (07:00-09:59: 180 departures) — the goal is under 5 minutes;
3. the same for **2,000 origins × 22 centres**;
4. a naive loop of single-departure queries (the same router, one departure per call, as a
   router without range queries must be used), timed on a sample of departures and scaled to the
   180; the ratio says what the range (profile) search saves.

Run: ``python benchmarks/bench_transit.py``. Writes ``benchmarks/results/transit.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from centrereach.errors import SnapWarning
from centrereach.gtfs import Feed
from centrereach.transit import DepartureWindow, TransitRouter
from centrereach.traveltime import Router

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "transit.json"
SEED = 20241008
SIDE = 400  # grid nodes per side
STEP_M = 125.0  # metres between grid nodes
LON0, LAT0 = -2.0, 52.8
DATE = "2024-10-08"
TARGET_STOPS, TARGET_ROUTES, TARGET_TRIPS = 5_000, 300, 20_000
NAIVE_SAMPLE = 6  # single-departure calls timed, then scaled to the window


def _degrees() -> tuple[float, float]:
    dlat = STEP_M / 111_320.0
    dlon = STEP_M / (111_320.0 * math.cos(math.radians(LAT0 + SIDE * dlat / 2)))
    return dlon, dlat


def walk_network(rng: np.random.Generator) -> nx.MultiDiGraph:
    """The synthetic region's walk network (every street both ways, 4.8 km/h)."""
    dlon, dlat = _degrees()
    n = SIDE * SIDE
    r, c = np.divmod(np.arange(n), SIDE)
    x = LON0 + dlon * (c + rng.uniform(-0.2, 0.2, n))
    y = LAT0 + dlat * (r + rng.uniform(-0.2, 0.2, n))
    G = nx.MultiDiGraph(crs="epsg:4326", mode="walk", source="synthetic region")
    G.add_nodes_from((i, {"x": float(x[i]), "y": float(y[i])}) for i in range(n))
    ids = np.arange(n)
    horiz, vert = ids[c < SIDE - 1], ids[r < SIDE - 1]
    u = np.concatenate([horiz, vert])
    v = np.concatenate([horiz + 1, vert + SIDE])
    coslat = math.cos(math.radians(LAT0))
    metres = np.hypot((x[u] - x[v]) * 111_320 * coslat, (y[u] - y[v]) * 111_320)
    seconds = metres / (4.8 / 3.6)
    edges = [
        (int(a), int(b), {"length": float(m), "travel_time": float(s)})
        for a, b, m, s in zip(u, v, metres, seconds, strict=True)
    ]
    G.add_edges_from(edges)
    G.add_edges_from((b, a, d) for a, b, d in edges)
    return G


def towns(rng: np.random.Generator, k: int = 12) -> np.ndarray:
    """Grid (row, column) of k town centres, spread over the region."""
    return rng.integers(SIDE // 10, SIDE - SIDE // 10, size=(k, 2))


def points_near(
    G: nx.MultiDiGraph, centres: np.ndarray, n: int, spread: float, prefix: str, rng: Any
) -> gpd.GeoDataFrame:
    """n points scattered around the towns (Gaussian, ``spread`` grid steps)."""
    dlon, dlat = _degrees()
    which = rng.integers(0, len(centres), n)
    rc = centres[which] + rng.normal(0, spread, size=(n, 2))
    rc = np.clip(rc, 0, SIDE - 1)
    lon = LON0 + dlon * rc[:, 1]
    lat = LAT0 + dlat * rc[:, 0]
    return gpd.GeoDataFrame(
        index=pd.Index([f"{prefix}{i:05d}" for i in range(n)]),
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def regional_feed(G: nx.MultiDiGraph, town_rc: np.ndarray, rng: np.random.Generator) -> Feed:
    """About 5,000 stops, 300 routes and 20,000 weekday trips between the towns."""
    stop_every = 6  # grid steps: 750 m
    routes: list[list[int]] = []
    while len(routes) < TARGET_ROUTES:
        a, b = rng.choice(len(town_rc), 2, replace=False)
        (r0, c0), (r1, c1) = town_rc[a] + rng.integers(-20, 21, 2), town_rc[b]
        r0, c0 = int(np.clip(r0, 0, SIDE - 1)), int(np.clip(c0, 0, SIDE - 1))
        # an L-shaped route along the grid: first along the row, then along the column
        cols = list(range(c0, int(c1), 1 if c1 >= c0 else -1))
        rows = list(range(r0, int(r1) + (1 if r1 >= r0 else -1), 1 if r1 >= r0 else -1))
        path = [(r0, c) for c in cols] + [(r, int(c1)) for r in rows]
        nodes = [r * SIDE + c for r, c in path][::stop_every]
        if len(nodes) >= 5:
            routes.append(nodes[:24])
    stop_nodes = sorted({n for route in routes for n in route})
    # headways so that the day has about TARGET_TRIPS trips
    minutes_of_service = 18 * 60
    raw = rng.choice([10, 15, 20, 30, 60], size=len(routes), p=[0.15, 0.2, 0.25, 0.25, 0.15])
    per_route = 2 * minutes_of_service / raw
    headway = raw * per_route.sum() / TARGET_TRIPS
    trips, times = [], []
    for k, (nodes, every) in enumerate(zip(routes, headway, strict=True)):
        hops = rng.integers(1, 3, size=len(nodes) - 1)  # minutes between stops
        for direction, order, gaps in (("a", nodes, hops), ("b", nodes[::-1], hops[::-1])):
            start = 5 * 60 + 30 + float(rng.uniform(0, every))
            j = 0
            while start <= 23 * 60 + 30:
                trip = f"R{k:03d}{direction}{j:03d}"
                trips.append((f"R{k:03d}", "weekdays", trip))
                minute = round(start)
                for seq, node in enumerate(order):
                    clock = f"{minute // 60:02d}:{minute % 60:02d}:00"
                    times.append((trip, clock, clock, f"N{node}", seq + 1))
                    if seq < len(gaps):
                        minute += int(gaps[seq])
                start += every
                j += 1
    tables = {
        "stops.txt": pd.DataFrame(
            {
                "stop_id": [f"N{n}" for n in stop_nodes],
                "stop_lat": [G.nodes[n]["y"] for n in stop_nodes],
                "stop_lon": [G.nodes[n]["x"] for n in stop_nodes],
            }
        ),
        "routes.txt": pd.DataFrame({"route_id": [f"R{k:03d}" for k in range(len(routes))]}),
        "trips.txt": pd.DataFrame(trips, columns=["route_id", "service_id", "trip_id"]),
        "stop_times.txt": pd.DataFrame(
            times,
            columns=["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
        ),
        "calendar.txt": pd.DataFrame(
            {
                "service_id": ["weekdays"],
                **{d: [1] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
                "saturday": [0],
                "sunday": [0],
                "start_date": ["20240901"],
                "end_date": ["20241231"],
            }
        ),
    }
    return Feed.from_tables(tables, name="synthetic region (SYNTHETIC)")


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> int:
    import numba

    rng = np.random.default_rng(SEED)
    record: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, numba threads "
        f"{numba.get_num_threads()}",
    }
    t_gen, G = _timed(lambda: walk_network(rng))
    town_rc = towns(rng)
    t_feed, feed = _timed(lambda: regional_feed(G, town_rc, rng))
    centres = points_near(G, town_rc, 22, 25, "C", rng)
    origins_2000 = points_near(G, town_rc, 2000, 45, "O", rng)
    origins_499 = origins_2000.iloc[:499]
    t_router, walk = _timed(lambda: Router(G))
    record["inputs"] = {
        "walk_nodes": G.number_of_nodes(),
        "walk_edges": G.number_of_edges(),
        "stops": len(feed.stops),
        "routes": len(feed.routes),
        "trips": len(feed.trips),
        "stop_times": len(feed.stop_times),
        "generate_network_s": round(t_gen, 2),
        "generate_feed_s": round(t_feed, 2),
        "walk_router_s": round(t_router, 2),
    }
    print(json.dumps(record["inputs"]), flush=True)
    window = DepartureWindow.parse(DATE, window="07:00-10:00", step_min=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        # warm up numba's kernels (compiled once, then cached on disk) on a tiny query
        TransitRouter(walk, feed, window).times(origins_499.iloc[:2], centres.iloc[:2])
        t_build, router = _timed(lambda: TransitRouter(walk, feed, window))
        results = {}
        for label, origins in (("499x22", origins_499), ("2000x22", origins_2000)):
            t_snap, (osnap, csnap) = _timed(
                lambda o=origins: (
                    walk.snap(o, max_snap_m=None),
                    walk.snap(centres, max_snap_m=None),
                )
            )
            t_walk, walk_matrix = _timed(
                lambda o=origins, a=osnap, b=csnap: walk.matrix(
                    o, centres, origin_snap=a, destination_snap=b
                )
            )
            t_transit, times = _timed(
                lambda o=origins, a=osnap, b=csnap, w=walk_matrix: router.times(
                    o, centres, origin_snap=a, destination_snap=b, walk_matrix=w
                )
            )
            median = times.summary()
            rides = float((times.minutes < times.walk.to_numpy()[:, :, None] - 1).mean())
            results[label] = {
                "origins": len(origins),
                "centres": len(centres),
                "departures": int(window.departures_s().size),
                "snap_s": round(t_snap, 2),
                "walk_matrix_s": round(t_walk, 2),
                "transit_times_s": round(t_transit, 2),
                "share_of_trips_riding": round(rides, 3),
                "median_of_medians_min": round(float(np.median(median.to_numpy())), 1),
                "median_walk_min": round(float(np.median(walk_matrix.to_numpy())), 1),
            }
            print(label, json.dumps(results[label]), flush=True)
        # the naive loop: one departure per call, on a sample of the window's departures
        deps = window.departures_s()
        sample = deps[np.linspace(0, deps.size - 1, NAIVE_SAMPLE).astype(int)]
        spent = 0.0
        osnap = walk.snap(origins_499, max_snap_m=None)
        csnap = walk.snap(centres, max_snap_m=None)
        walk_matrix = walk.matrix(origins_499, centres, origin_snap=osnap, destination_snap=csnap)
        full = router.times(
            origins_499, centres, origin_snap=osnap, destination_snap=csnap,
            walk_matrix=walk_matrix,
        )  # fmt: skip
        worst = 0.0
        for when in sample:
            start = dt.time(int(when // 3600), int(when % 3600 // 60))
            end = (dt.datetime.combine(window.date, start) + dt.timedelta(minutes=1)).time()
            one = TransitRouter(walk, feed, DepartureWindow(window.date, start, end))
            t, single = _timed(
                lambda r=one: r.times(
                    origins_499, centres, origin_snap=osnap, destination_snap=csnap,
                    walk_matrix=walk_matrix,
                )
            )  # fmt: skip
            spent += t
            k = int(np.flatnonzero(deps == when)[0])
            worst = max(worst, float(np.abs(single.minutes[:, :, 0] - full.minutes[:, :, k]).max()))
    naive = spent / NAIVE_SAMPLE * deps.size
    record["router_build_s"] = round(t_build, 2)
    record["matrices"] = results
    record["naive_single_departure"] = {
        "sampled_departures": NAIVE_SAMPLE,
        "seconds_per_departure": round(spent / NAIVE_SAMPLE, 2),
        "estimated_180_departures_s": round(naive, 1),
        "ratio_to_range_query": round(naive / results["499x22"]["transit_times_s"], 1),
        "max_difference_min": worst,
    }
    record["goal_499x22_under_300_s"] = results["499x22"]["transit_times_s"] < 300
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "| what | time |",
        "|---|---:|",
        f"| TransitRouter build (timetable, {len(feed.stops):,} stops snapped, walks between "
        f"stops) | {t_build:.1f} s |",
    ]
    for label, r in results.items():
        lines.append(
            f"| transit times {label.replace('x', ' × ')}, 180 departures | "
            f"{r['transit_times_s']:.1f} s |"
        )
    nv = record["naive_single_departure"]
    lines.append(
        f"| naive: one departure per call ({nv['seconds_per_departure']:.2f} s each) × 180, "
        f"499 × 22 | {nv['estimated_180_departures_s']:.0f} s "
        f"({nv['ratio_to_range_query']:.1f}× the range query) |"
    )
    print("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
