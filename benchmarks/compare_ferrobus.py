"""Compare centrereach's public transport times with ferrobus on the oracle's test feed.

``ferrobus`` (PyPI; a Rust RAPTOR router with Python bindings) was the preferred engine for the
transit mode. This script measures, on the real Chesterfield streets and the small GTFS feed the
oracle test writes (``tests/test_transit.py``), how far ferrobus is from the walking model and the
journeys centrereach uses (``docs/method-transit.md`` reports the figures):

1. **Walking only**: ferrobus's door-to-door time from each of the 57 Chesterfield LSOA origins to
   the 4 children's centres at 03:00 (no bus runs), against centrereach's walk matrix (4.8 km/h
   on osmnx's walk network, with its access legs).
2. **Public transport**: every departure minute 07:00-09:59 on Tuesday 8 October 2024, ferrobus's
   ``travel_time_matrix`` against centrereach's ``TransitRouter`` (which agrees with the
   independent time-expanded oracle to 1e-6 min), both with walks unlimited.
3. **Reading GTFS**: which routes ferrobus keeps for a date after the feed's ``end_date``, and
   whether it reads ``H:MM:SS`` times and feeds without ``calendar.txt`` (all valid GTFS).

Run: ``python benchmarks/compare_ferrobus.py`` (needs ``pip install ferrobus`` and the shared
data). Writes ``benchmarks/results/ferrobus.json``. It is not part of ``make bench``: ferrobus is
not a dependency of centrereach.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "ferrobus.json"
SHARED = Path(os.environ.get("CENTREREACH_SHARED_DATA", ROOT.parent / "shared" / "data"))
PBF = SHARED / "osm" / "chesterfield-2018-05-21.osm.pbf"


def _test_module() -> Any:
    """tests/test_transit.py, for its feed and its oracle's helpers."""
    spec = importlib.util.spec_from_file_location("oracle_feed", ROOT / "tests" / "test_transit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["oracle_feed"] = module
    spec.loader.exec_module(module)
    return module


def _summary(diff: np.ndarray) -> dict[str, float]:
    a = np.abs(diff)
    return {
        "mean_min": float(diff.mean()),
        "mean_abs_min": float(a.mean()),
        "max_abs_min": float(a.max()),
        "share_within_1_min": float((a <= 1.0).mean()),
        "share_ferrobus_slower_by_1_min": float((diff > 1.0).mean()),
        "share_ferrobus_faster_by_1_min": float((diff < -1.0).mean()),
    }


def _gtfs_checks(ferrobus: Any) -> dict[str, str]:
    """How ferrobus reads valid GTFS that centrereach reads: date ranges, H:MM:SS, no calendar."""
    from centrereach.gtfs import example_feed

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "example"
        example_feed(write_to=folder)  # weekdays 2024-09-02 to 2024-12-20

        def routes(date: dt.date) -> str:
            try:
                model = ferrobus.create_transit_model(str(PBF), [str(folder)], date, 1200)
            except RuntimeError as err:
                return f"error: {err}"
            return f"{model.route_count()} route(s) kept"

        out["tuesday_in_period"] = routes(dt.date(2024, 10, 8))
        out["tuesday_after_end_date"] = routes(dt.date(2025, 10, 7))  # should keep none
        times = folder / "stop_times.txt"
        times.write_text(times.read_text().replace("07:30:00", "7:30:00"))
        out["h_mm_ss_times"] = routes(dt.date(2024, 10, 8))
        times.write_text(times.read_text().replace("7:30:00", "07:30:00"))
        (folder / "calendar.txt").unlink()
        out["calendar_dates_only"] = routes(dt.date(2024, 10, 8))
    return out


def main() -> None:
    try:
        import ferrobus
    except ImportError:
        print("ferrobus is not installed (pip install ferrobus): nothing to compare")
        return
    import networkx as nx
    import pandas as pd

    from centrereach.errors import SnapWarning
    from centrereach.gtfs import read_gtfs
    from centrereach.network import load_network
    from centrereach.transit import DepartureWindow, TransitRouter
    from centrereach.traveltime import Router

    t = _test_module()
    walk = load_network(PBF, mode="walk", progress=False)
    router = Router(walk)
    component = max(nx.strongly_connected_components(walk), key=len)
    from pyproj import Transformer

    nodes = sorted(component)
    x = np.array([walk.nodes[n]["x"] for n in nodes])
    y = np.array([walk.nodes[n]["y"] for n in nodes])
    east, north = Transformer.from_crs(4326, 27700, always_xy=True).transform(x, y)
    places = t.Place(nodes, np.asarray(east), np.asarray(north))
    stop_nodes = {s: places.nearest(lon, lat)[0] for s, (lon, lat) in t.PLACES.items()}
    coords = {s: (walk.nodes[n]["x"], walk.nodes[n]["y"]) for s, n in stop_nodes.items()}

    # origins and centres, as the oracle test has them
    shared = SHARED
    cents = pd.read_csv(shared / "ons" / "lsoa21_population_weighted_centroids.csv")
    lookup = pd.read_csv(shared / "ons" / "lookup_lsoa21_ward24_lad24.csv")
    cents = cents.assign(lad=cents["LSOA21CD"].map(lookup.set_index("lsoa21_code")["ltla24_code"]))
    lon0, lat0, lon1, lat1 = t.CHESTERFIELD_BBOX
    inside = cents["lon"].between(lon0, lon1) & cents["lat"].between(lat0, lat1)
    picked = cents[inside & (cents["lad"] == t.CHESTERFIELD_LAD)].sort_values("LSOA21CD")
    import geopandas as gpd

    origins = gpd.GeoDataFrame(
        index=pd.Index(picked["LSOA21CD"].to_numpy()),
        geometry=gpd.points_from_xy(picked["lon"], picked["lat"]),
        crs=4326,
    )
    table = pd.read_csv(ROOT / "data" / "derbyshire_childrens_centres_2024.csv")
    table = table.set_index("centre_id").loc[t.CENTRES]
    centres = gpd.GeoDataFrame(
        index=pd.Index(t.CENTRES), geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = t.write_feed(Path(tmp) / "feed", coords, t.all_trips())
        feed = read_gtfs(folder)
        window = DepartureWindow.parse("2024-10-08", window="07:00-10:00")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SnapWarning)
            ours = TransitRouter(
                router, feed, window, max_access_walk_min=None, max_transfer_walk_min=None
            ).times(origins, centres)
        started = time.perf_counter()
        model = ferrobus.create_transit_model(
            str(PBF), [str(folder)], dt.date(2024, 10, 8), max_transfer_time=7200
        )
        build_s = time.perf_counter() - started
        points = [
            ferrobus.create_transit_point(p.y, p.x, model, 7200, 50)
            for p in [*origins.geometry, *centres.geometry]
        ]
        n_o = len(origins)

        def matrix(departure_s: int) -> np.ndarray:
            full = ferrobus.travel_time_matrix(model, points, departure_s, 5)
            sub = np.array(
                [[np.nan if v is None else v / 60.0 for v in row[n_o:]] for row in full[:n_o]]
            )
            return sub

        walk_only = matrix(3 * 3600)
        ours_walk = ours.walk.to_numpy()
        started = time.perf_counter()
        rides = np.stack([matrix(int(d)) for d in window.departures_s()], axis=2)
        route_s = time.perf_counter() - started

    ratio = walk_only / ours_walk
    record = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ferrobus": ferrobus.__version__ if hasattr(ferrobus, "__version__") else "0.2.1",
        "pairs": int(ours_walk.size),
        "walk_only": {
            "unreachable_pairs": int(np.isnan(walk_only).sum()),
            "ratio_ferrobus_to_centrereach_median": float(np.nanmedian(ratio)),
            "ratio_p05": float(np.nanpercentile(ratio, 5)),
            "ratio_p95": float(np.nanpercentile(ratio, 95)),
            "expected_ratio_from_speeds": 4.8 / 5.04,
            **_summary(np.nan_to_num(walk_only - ours_walk)),
        },
        "transit": {
            "departures": int(window.departures_s().size),
            "unreachable": int(np.isnan(rides).sum()),
            **_summary(np.nan_to_num(rides - ours.minutes)),
            "median_of_medians_ferrobus_min": float(np.nanmedian(np.nanmedian(rides, axis=2))),
            "median_of_medians_centrereach_min": float(np.median(np.median(ours.minutes, axis=2))),
        },
        "gtfs_reading": _gtfs_checks(ferrobus),
        "ferrobus_model_build_s": build_s,
        "ferrobus_180_matrices_s": route_s,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
