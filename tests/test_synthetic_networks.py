"""The synthetic county's networks as routing arrays, and its bus timetable laid out in arrays.

``synthetic_study`` gives its road networks as :class:`NetworkArrays` built straight from the
grid (no networkx graph: a county-sized demo fits in a laptop's memory) and builds the long
``stop_times.txt`` of its buses in arrays. Both must be what the graphs and the row-by-row
timetable were, to the bit: the arrays against ``NetworkArrays.from_graph`` of the graph, a
whole study against the same study on graphs, the feed against a row-by-row oracle.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from centrereach.errors import GTFSError
from centrereach.gtfs import Feed
from centrereach.netarrays import NetworkArrays
from centrereach.synthetic import (
    _arrays,
    _graph,
    synthetic_feed,
    synthetic_inputs,
    synthetic_study,
)

ARRAY_FIELDS = ("node_ids", "lon", "lat", "indptr", "indices", "travel_time_s", "length_m")


@pytest.mark.parametrize("mode", ["drive", "walk", "cycle"])
@pytest.mark.parametrize("n_side", [1, 2, 7, 13])
def test_grid_arrays_are_the_arrays_of_the_graph(mode: str, n_side: int) -> None:
    graph = _graph(n_side, mode=mode)
    expected = NetworkArrays.from_graph(graph)
    got = _arrays(n_side, mode=mode)
    for name in ARRAY_FIELDS:
        a, b = getattr(got, name), getattr(expected, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert a.tobytes() == b.tobytes(), name  # to the bit
    assert (got.mode, got.source, got.n_edges) == (expected.mode, expected.source, expected.n_edges)
    assert got.n_edges == graph.number_of_edges() == 4 * n_side * (n_side - 1)
    assert (dict(got.speed_model), got.source_path) == (dict(expected.speed_model), None)
    if n_side > 2:  # main roads are faster by car only (walking and cycling: one speed)
        assert np.unique(got.travel_time_s).size == (2 if mode == "drive" else 1)


def test_inputs_on_arrays_are_the_inputs_on_graphs() -> None:
    graphs = synthetic_inputs(n_side=12, cells=3)
    arrays = synthetic_inputs(n_side=12, cells=3, as_arrays=True)
    for mode, network in arrays["networks"].items():
        assert isinstance(network, NetworkArrays)
        assert network.n_nodes == graphs["networks"][mode].number_of_nodes() == 144
    pd.testing.assert_frame_equal(arrays["centres"], graphs["centres"], check_exact=True)
    pd.testing.assert_frame_equal(arrays["areas"], graphs["areas"], check_exact=True)
    # the centres stand 0.1 grid steps east of a junction
    drive = arrays["networks"]["drive"]
    east = arrays["centres"].geometry.x.to_numpy()
    assert np.isin(arrays["centres"].geometry.y.to_numpy(), drive.lat).all()
    assert not np.isin(east, drive.lon).any()


def _same_result(a: Any, b: Any) -> None:
    assert list(a.matrices) == list(b.matrices) == ["drive", "walk", "transit", "cycle"]
    for mode in a.matrices:
        pd.testing.assert_frame_equal(a.matrices[mode], b.matrices[mode], check_exact=True)
        assert a.matrices[mode].attrs == b.matrices[mode].attrs
    for name in ("table", "summary", "equity"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    pd.testing.assert_frame_equal(a.areas, b.areas, check_exact=True)
    for mode in a.modes:
        pd.testing.assert_frame_equal(a.origin_snaps[mode], b.origin_snaps[mode], check_exact=True)
    stamps = ("started_utc", "finished_utc")
    assert {k: v for k, v in a.provenance.items() if k not in stamps} == {
        k: v for k, v in b.provenance.items() if k not in stamps
    }


def test_study_on_arrays_equals_the_study_on_graphs() -> None:
    on_arrays = synthetic_study(n_side=16)
    on_graphs = synthetic_study(n_side=16, as_arrays=False)
    assert all(isinstance(n, NetworkArrays) for n in on_arrays.networks.values())
    assert all(hasattr(n, "adj") for n in on_graphs.networks.values())  # networkx graphs
    a = on_arrays.run(progress=False)
    b = on_graphs.run(progress=False)
    _same_result(a, b)
    drive = a.provenance["networks"]["drive"]
    assert drive == {
        "source": "synthetic (Synthshire)",
        "nodes": 256,
        "edges": 4 * 16 * 15,
        "speed_model": None,
    }
    assert a.provenance["networks"]["transit"]["speed_model"]["mode"] == "transit"


def _feed_row_by_row(n_side: int) -> Feed:
    """The buses of ``synthetic_feed``, one Python tuple per call: the plain statement of it."""
    dlat = 400.0 / 111_320.0
    dlon = 400.0 / (111_320.0 * math.cos(math.radians(54.40)))
    along = list(range(0, n_side, 2))
    mains = [k for k in range(n_side) if k % 5 == 2]
    headways = (10, 15, 20, 30)
    routes: dict[str, tuple[list[tuple[int, int]], int]] = {}
    for n, line in enumerate(mains):
        routes[f"E{line:02d}"] = ([(line, j) for j in along], headways[n % 4])
        routes[f"N{line:02d}"] = ([(i, line) for i in along], headways[(n + 2) % 4])
    stops: dict[str, tuple[float, float]] = {}
    trips, times = [], []
    for route, (cells, headway) in routes.items():
        for i, j in cells:
            stops[f"S{i:02d}-{j:02d}"] = (1.30 + j * dlon, 54.40 + i * dlat)
        for direction, order in (("a", cells), ("b", cells[::-1])):
            for k, start in enumerate(range(6 * 60, 21 * 60 + 1, headway)):
                trip = f"{route}{direction}{k:03d}"
                trips.append((route, "daily", trip))
                for seq, (i, j) in enumerate(order):
                    minute = start + 2 * seq
                    clock = f"{minute // 60:02d}:{minute % 60:02d}:00"
                    times.append((trip, clock, clock, f"S{i:02d}-{j:02d}", seq + 1))
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    tables = {
        "stops.txt": pd.DataFrame(
            {
                "stop_id": list(stops),
                "stop_name": [f"Synthshire stop {k}" for k in stops],
                "stop_lat": [lat for _, lat in stops.values()],
                "stop_lon": [lon for lon, _ in stops.values()],
            }
        ),
        "routes.txt": pd.DataFrame(
            {"route_id": list(routes), "route_short_name": list(routes), "route_type": 3}
        ),
        "trips.txt": pd.DataFrame(trips, columns=["route_id", "service_id", "trip_id"]),
        "stop_times.txt": pd.DataFrame(
            times,
            columns=["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
        ),
        "calendar.txt": pd.DataFrame(
            {
                "service_id": ["daily"],
                **{day: [1] for day in days},
                "start_date": ["20240101"],
                "end_date": ["20241231"],
            }
        ),
    }
    return Feed.from_tables(
        tables, name="Synthshire buses (SYNTHETIC)", source="synthetic (invented)"
    )


@pytest.mark.parametrize("n_side", [6, 13, 31, 190])
def test_bus_timetable_is_the_row_by_row_timetable(n_side: int) -> None:
    got, expected = synthetic_feed(n_side), _feed_row_by_row(n_side)
    assert (got.name, got.source, got.untimed_calls, got.files) == (
        expected.name, expected.source, expected.untimed_calls, expected.files,
    )  # fmt: skip
    for table in ("stops", "routes", "trips", "stop_times", "calendar", "calendar_dates"):
        pd.testing.assert_frame_equal(
            getattr(got, table), getattr(expected, table), check_exact=True, obj=table
        )
    assert len(got.stop_times) > 0
    if n_side == 190:  # a route 188 minutes long: the last buses run past 24:00
        assert got.stop_times["arrival_s"].max() > 24 * 3600


def test_no_main_road_no_buses() -> None:
    # a grid too small for a main road has no bus route: the same refusal as row by row
    with pytest.raises(GTFSError, match="no stop times") as by_arrays:
        synthetic_feed(2)
    with pytest.raises(GTFSError) as by_rows:
        _feed_row_by_row(2)
    assert str(by_arrays.value) == str(by_rows.value)
