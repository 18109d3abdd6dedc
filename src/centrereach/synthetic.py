"""A small synthetic county for the demo and for tests: invented, and labelled so everywhere.

"Synthshire" is a grid of roads with a few faster main roads, square small areas with invented
deprivation deciles and child counts, six centres, and two invented bus routes along the main
roads (a GTFS feed built in memory, so the demo shows all four modes offline: by car, on foot,
by public transport and by bike). It lies in the North Sea (around 54.5 N, 1.5 E) so that no map
can mistake it for a real place. Every output of a synthetic study says "SYNTHETIC DATA".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from centrereach.netarrays import NetworkArrays
from centrereach.study import Study

__all__ = [
    "SYNTHETIC_NOTE",
    "synthetic_country",
    "synthetic_feed",
    "synthetic_inputs",
    "synthetic_study",
]

SYNTHETIC_NOTE = "SYNTHETIC DATA: Synthshire is invented for demonstrations; not a real place."
_ORIGIN_LON, _ORIGIN_LAT = 1.30, 54.40
_STEP_M = 400.0  # grid spacing (metres)
#: The day the demo's buses are timetabled for (a Tuesday in October, as the JTS used).
SYNTHETIC_DATE = "2024-10-08"
_BUS_FEED_NAME = "Synthshire buses (SYNTHETIC)"
_SOURCE = "synthetic (Synthshire)"


def _speed(mode: str, *, main: bool) -> tuple[float, str]:
    """Speed (km/h) and highway tag of a street of ``mode``, on a main road or not."""
    if mode == "walk":
        return 4.8, "footway"
    if mode == "cycle":
        return 16.0, "primary" if main else "residential"
    return (64.0, "primary") if main else (38.6, "residential")


def _degrees() -> tuple[float, float]:
    """The grid spacing in degrees of longitude and latitude."""
    dlat = _STEP_M / 111_320.0
    dlon = _STEP_M / (111_320.0 * math.cos(math.radians(_ORIGIN_LAT)))
    return dlon, dlat


def _lonlat(n_side: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Longitude and latitude of every grid node (node ``i * n_side + j``: row i, column j)."""
    dlon, dlat = _degrees()
    steps = np.arange(n_side)
    lon = np.tile(_ORIGIN_LON + steps * dlon, n_side)
    lat = np.repeat(_ORIGIN_LAT + steps * dlat, n_side)
    return lon, lat


def _graph(n_side: int, *, mode: str) -> Any:
    import networkx as nx

    graph = nx.MultiDiGraph(crs="epsg:4326", mode=mode, source=_SOURCE, synthetic=True)
    dlon, dlat = _degrees()
    for i in range(n_side):
        for j in range(n_side):
            graph.add_node(i * n_side + j, x=_ORIGIN_LON + j * dlon, y=_ORIGIN_LAT + i * dlat)
    for i in range(n_side):
        for j in range(n_side):
            here = i * n_side + j
            for di, dj in ((0, 1), (1, 0)):
                ii, jj = i + di, j + dj
                if ii >= n_side or jj >= n_side:
                    continue
                there = ii * n_side + jj
                main = (di == 0 and i % 5 == 2) or (dj == 0 and j % 5 == 2)
                speed, highway = _speed(mode, main=main)
                seconds = _STEP_M / (speed / 3.6)
                attrs = {
                    "length": _STEP_M,
                    "speed_kph": speed,
                    "travel_time": seconds,
                    "highway": highway,
                    "oneway": False,
                }
                graph.add_edge(here, there, key=0, **attrs)
                graph.add_edge(there, here, key=0, **attrs)
    return graph


def _streets(
    n_side: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Every directed street of the grid (both ways): tail and head nodes, and main road or not.

    The streets of :func:`_graph`: node (i, j) to (i, j + 1) along row i (a main road when
    ``i % 5 == 2``) and to (i + 1, j) along column j (a main road when ``j % 5 == 2``), each
    with its way back.
    """
    node = np.arange(n_side * n_side, dtype=np.int64).reshape(n_side, n_side)
    steps = np.arange(n_side)
    row_main = np.broadcast_to((steps % 5 == 2)[:, None], (n_side, n_side))
    column_main = np.broadcast_to((steps % 5 == 2)[None, :], (n_side, n_side))
    tails = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    heads = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    main = np.concatenate([row_main[:, :-1].ravel(), column_main[:-1, :].ravel()])
    return np.r_[tails, heads], np.r_[heads, tails], np.r_[main, main]


def _arrays(n_side: int, *, mode: str) -> NetworkArrays:
    """The network of :func:`_graph` as routing arrays, built without the graph.

    The same arrays as ``NetworkArrays.from_graph(_graph(n_side, mode=mode))``, to the bit (the
    same coordinates and times, reduced by the same code), in a few megabytes instead of about
    a kilobyte per edge.
    """
    lon, lat = _lonlat(n_side)
    tails, heads, main = _streets(n_side)
    seconds = {flag: _STEP_M / (_speed(mode, main=flag)[0] / 3.6) for flag in (True, False)}
    times = np.where(main, seconds[True], seconds[False])
    lengths = np.full(tails.size, _STEP_M)
    return NetworkArrays.from_edges(
        np.arange(lon.size, dtype=np.int64),
        lon,
        lat,
        tails,
        heads,
        times,
        lengths,
        mode=mode,
        source=_SOURCE,
    )


def synthetic_feed(n_side: int = 31) -> Any:
    """Invented buses along every Synthshire main road, as a GTFS feed (in memory).

    One route per main road (every fifth grid line, both ways: ``E02`` runs west-east along
    row 2 and back, ``N07`` south-north along column 7 and back), every 10, 15, 20 or 30 minutes
    in turn, from 06:00 to 21:00 every day of 2024, calling every 800 m (every second junction)
    and taking 2 minutes between stops. Routes cross at shared stops, where passengers change.

    Parameters
    ----------
    n_side
        Road-grid nodes per side (as :func:`synthetic_inputs`).

    Returns
    -------
    centrereach.gtfs.Feed

    Examples
    --------
    >>> feed = synthetic_feed(n_side=6)
    >>> feed.name, len(feed.stops), sorted(feed.routes.index)
    ('Synthshire buses (SYNTHETIC)', 5, ['E02', 'N02'])
    """
    import pandas as pd

    from centrereach.gtfs import Feed

    dlon, dlat = _degrees()
    along = list(range(0, n_side, 2))
    mains = [k for k in range(n_side) if k % 5 == 2]
    headways = (10, 15, 20, 30)
    routes: dict[str, tuple[list[tuple[int, int]], int]] = {}
    for n, line in enumerate(mains):
        routes[f"E{line:02d}"] = ([(line, j) for j in along], headways[n % 4])
        routes[f"N{line:02d}"] = ([(i, line) for i in along], headways[(n + 2) % 4])
    stops: dict[str, tuple[float, float]] = {}
    trips: list[tuple[str, str, str]] = []
    # stop_times.txt has millions of rows on a county-sized grid: it is laid out in arrays, one
    # block per route and direction (trips in order, each trip's calls in order), whose strings
    # are shared (one per stop, minute, call number and trip), not one tuple of new strings a row
    calls = len(along)
    sequence = np.arange(calls)
    blocks: list[tuple[npt.NDArray[Any], npt.NDArray[np.int64], npt.NDArray[Any]]] = []
    for route, (cells, headway) in routes.items():
        for i, j in cells:
            stops[f"S{i:02d}-{j:02d}"] = (_ORIGIN_LON + j * dlon, _ORIGIN_LAT + i * dlat)
        for direction, order in (("a", cells), ("b", cells[::-1])):
            starts = np.arange(6 * 60, 21 * 60 + 1, headway)
            names = [f"{route}{direction}{k:03d}" for k in range(starts.size)]
            trips.extend((route, "daily", trip) for trip in names)
            on_route = np.array([f"S{i:02d}-{j:02d}" for i, j in order], dtype=object)
            blocks.append(
                (
                    np.repeat(np.array(names, dtype=object), calls),
                    (starts[:, None] + 2 * sequence[None, :]).ravel(),  # minutes
                    np.tile(on_route, starts.size),
                )
            )

    def column(k: int, dtype: type) -> npt.NDArray[Any]:
        return np.concatenate([b[k] for b in blocks]) if blocks else np.array([], dtype=dtype)

    minutes = column(1, np.int64)
    clocks = np.array(
        [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(int(minutes.max(initial=0)) + 1)],
        dtype=object,
    )[minutes]
    numbers = np.array([str(k + 1) for k in sequence], dtype=object)  # stop_sequence, as text
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
            {
                "trip_id": column(0, object),
                "arrival_time": clocks,
                "departure_time": clocks,
                "stop_id": column(2, object),
                "stop_sequence": np.tile(numbers, len(trips)),
            }
        ),
        "calendar.txt": pd.DataFrame(
            {
                "service_id": ["daily"],
                **{
                    day: [1]
                    for day in (
                        "monday",
                        "tuesday",
                        "wednesday",
                        "thursday",
                        "friday",
                        "saturday",
                        "sunday",
                    )
                },
                "start_date": ["20240101"],
                "end_date": ["20241231"],
            }
        ),
    }
    return Feed.from_tables(tables, name=_BUS_FEED_NAME, source="synthetic (invented)")


def synthetic_inputs(
    n_side: int = 31, *, cells: int = 3, seed: int = 7, as_arrays: bool = False
) -> dict[str, Any]:
    """Invented centres, areas, networks and a bus timetable for Synthshire.

    Parameters
    ----------
    n_side
        Road-grid nodes per side (spaced 400 m).
    cells
        Grid steps per side of one small area.
    seed
        Random seed for the invented deprivation and population.
    as_arrays
        Give the networks as :class:`~centrereach.netarrays.NetworkArrays` (the compact routing
        arrays an OpenStreetMap file becomes in a real study: a few megabytes where a networkx
        graph takes about a kilobyte per edge) instead of networkx graphs. Both route to the
        same times, to the bit.

    Returns
    -------
    dict
        ``centres`` and ``areas`` GeoDataFrames (EPSG:4326), ``networks`` (mode -> network, for
        ``drive``, ``walk`` and ``cycle``: a ``networkx.MultiDiGraph``, or ``NetworkArrays``
        with ``as_arrays=True``) and ``feed`` (the buses, :func:`synthetic_feed`).

    Examples
    --------
    >>> inputs = synthetic_inputs(n_side=6, cells=2)
    >>> len(inputs["areas"]), len(inputs["centres"])
    (4, 6)
    >>> inputs["networks"]["walk"].number_of_nodes()
    36
    >>> synthetic_inputs(n_side=6, cells=2, as_arrays=True)["networks"]["walk"]
    NetworkArrays(mode='walk', nodes=36, edges=120, source='synthetic (Synthshire)')
    """
    import geopandas as gpd
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    build = _arrays if as_arrays else _graph
    networks = {mode: build(n_side, mode=mode) for mode in ("drive", "walk", "cycle")}
    lon, lat = _lonlat(n_side)
    dlon, dlat = _degrees()
    per_side = max(1, (n_side - 1) // cells)
    rows = []
    for a in range(per_side):
        for b in range(per_side):
            x0 = _ORIGIN_LON + b * cells * dlon
            y0 = _ORIGIN_LAT + a * cells * dlat
            shape = box(x0, y0, x0 + cells * dlon, y0 + cells * dlat)
            # deprivation falls from the south-west (decile 1) to the north-east (decile 10)
            gradient = (a + b) / max(1, 2 * (per_side - 1))
            decile = int(np.clip(round(1 + 9 * gradient + rng.normal(0, 1.2)), 1, 10))
            children = int(rng.integers(180, 520) * (1.3 if decile <= 3 else 1.0))
            rows.append(
                {
                    "lsoa_code": f"SYN{a * per_side + b + 1:05d}",
                    "lsoa_name": f"Synthshire {a * per_side + b + 1:03d}",
                    "lad_code": "SYN-EAST" if b >= per_side / 2 else "SYN-WEST",
                    "lad_name": "East Synthshire" if b >= per_side / 2 else "West Synthshire",
                    "imd_decile": decile,
                    "imd_rank": int(decile * 3000 - rng.integers(0, 3000)),
                    "population": int(children * rng.uniform(4.5, 6.5)),
                    "children": children,
                    "geometry": shape,
                }
            )
    areas = gpd.GeoDataFrame(rows, crs=4326).set_index("lsoa_code")
    reps = areas.geometry.representative_point()
    areas["origin_lon"] = reps.x
    areas["origin_lat"] = reps.y
    areas["origin_source"] = "representative_point"
    areas["imd_decile"] = areas["imd_decile"].astype("Int64")
    areas["imd_rank"] = areas["imd_rank"].astype("Int64")
    areas.attrs.update(
        {
            "vintage": "synthetic",
            "imd_edition": "synthetic",
            "population_years": {"children": "synthetic"},
            "sources": {},
        }
    )

    spots = [(0.2, 0.2), (0.25, 0.75), (0.5, 0.5), (0.8, 0.2), (0.75, 0.8), (0.45, 0.1)]
    names = ["Ashby Green", "Brook End", "Castleton", "Dunmore", "Eastwick", "Fenbridge"]
    status = ["closing", "retained", "retained", "closing", "retained", "retained"]
    centres_rows = []
    for (fy, fx), name, state in zip(spots, names, status, strict=True):
        node = round(fy * (n_side - 1)) * n_side + round(fx * (n_side - 1))
        centres_rows.append(
            {
                "centre_id": name.lower().replace(" ", "-"),
                "name": f"{name} Family Centre",
                "status_2024": state,
                "location_quality": "synthetic",
                "geometry": gpd.points_from_xy([lon[node] + dlon * 0.1], [lat[node]])[0],
            }
        )
    centres = gpd.GeoDataFrame(centres_rows, crs=4326).set_index("centre_id")
    centres["location_source"] = "synthetic"
    return {
        "centres": centres,
        "areas": areas,
        "networks": networks,
        "feed": synthetic_feed(n_side),
    }


def synthetic_study(
    n_side: int = 31,
    *,
    cells: int = 3,
    seed: int = 7,
    modes: tuple[str, ...] = ("drive", "walk", "transit", "cycle"),
    as_arrays: bool = True,
) -> Study:
    """A ready :class:`~centrereach.study.Study` of Synthshire with two scenarios.

    Every mode by default: by car, on foot, by (synthetic) bus on Tuesday 8 October 2024
    (departures every minute 07:00-10:00, the median) and by bike.

    Its road networks are routing arrays, as a real study's OpenStreetMap files become
    (``as_arrays=False``: networkx graphs, about a kilobyte per edge, with the same results to
    the bit; see :func:`synthetic_inputs`).

    >>> study = synthetic_study(n_side=6, cells=2)
    >>> study.synthetic, list(study.scenario_specs), study.modes
    (True, ['close-two'], ('drive', 'walk', 'transit', 'cycle'))
    >>> study.networks["drive"]
    NetworkArrays(mode='drive', nodes=36, edges=120, source='synthetic (Synthshire)')
    """
    inputs = synthetic_inputs(n_side, cells=cells, seed=seed, as_arrays=as_arrays)
    return Study(
        name="synthshire-demo",
        title="Synthshire family centres: closing two of six (synthetic demo)",
        description=SYNTHETIC_NOTE,
        synthetic=True,
        scenario_specs={
            "close-two": {
                "label": "Close the two 'closing' centres",
                "where": 'status_2024 == "retained"',
            },
        },
        modes=tuple(modes),
        centres=inputs["centres"],
        areas=inputs["areas"],
        networks=inputs["networks"],
        feeds=(inputs["feed"],),
        transit_spec={
            "date": SYNTHETIC_DATE,
            "window": "07:00-10:00",
            "step_min": 1,
            "statistic": "median",
        },
        notes=(SYNTHETIC_NOTE,),
    )


def synthetic_country(
    side: int,
    *,
    seed: int = 2024,
    lon0: float = -3.0,
    lat0: float = 51.0,
    spacing_m: float = 130.0,
) -> NetworkArrays:
    """A country-sized synthetic drive network, as routing arrays (for benchmarks and tests).

    ``side`` × ``side`` junctions about ``spacing_m`` apart (each nudged at random), from the
    south-west corner ``(lon0, lat0)``: motorways at 96 km/h on every 250th row and column,
    A roads at 64 km/h every 50th, B roads at 48 km/h every 10th, residential streets at 32 km/h
    elsewhere, 35 % of those missing (so the mean out-degree is 2.7, as on OpenStreetMap's
    unsimplified drive network) and 5 % one-way. ``synthetic_country(2000)`` is the 4-million-
    node England of ``benchmarks/bench_national.py``; with ``lon0=-6.5, lat0=49.85`` and a
    spacing of about 330 m (or coarser) it lies under every LSOA in England, for a national
    study of the real areas on invented roads.

    >>> roads = synthetic_country(50)
    >>> roads.n_nodes, roads.mode, round(float(roads.travel_time_s.mean()), 1)
    (2500, 'drive', 14.2)
    """
    from osmnx.distance import great_circle

    rng = np.random.default_rng(seed)
    dlat = spacing_m / 111_320.0
    dlon = spacing_m / (111_320.0 * math.cos(math.radians(lat0 + dlat * side / 2)))
    row, col = np.divmod(np.arange(side * side, dtype=np.int64), side)
    lon = lon0 + dlon * (col + rng.uniform(-0.3, 0.3, row.size))
    lat = lat0 + dlat * (row + rng.uniform(-0.3, 0.3, row.size))
    ids = np.arange(side * side, dtype=np.int64)
    east, north = ids[col < side - 1], ids[row < side - 1]
    u = np.concatenate([east, north])
    v = np.concatenate([east + 1, north + side])
    line = np.concatenate([row[east], col[north]])  # the row or column a segment runs along
    road = np.full(u.size, 3, dtype=np.int8)  # 0 motorway, 1 A road, 2 B road, 3 residential
    road[line % 10 == 0] = 2
    road[line % 50 == 0] = 1
    road[line % 250 == 0] = 0
    keep = (road < 3) | (rng.random(u.size) >= 0.35)
    u, v, road = u[keep], v[keep], road[keep]
    kph = np.array([96.0, 64.0, 48.0, 32.0])[road]
    length = great_circle(lat[u], lon[u], lat[v], lon[v])
    seconds = length / (kph / 3.6)
    one_way = (road == 3) & (rng.random(u.size) < 0.05)
    flip = rng.random(u.size) < 0.5
    fwd, bwd = ~(one_way & flip), ~(one_way & ~flip)
    return NetworkArrays.from_edges(
        ids,
        lon,
        lat,
        np.concatenate([u[fwd], v[bwd]]),
        np.concatenate([v[fwd], u[bwd]]),
        np.concatenate([seconds[fwd], seconds[bwd]]),
        np.concatenate([length[fwd], length[bwd]]),
        mode="drive",
        speed_model={"description": "synthetic: 96/64/48/32 km/h by road class"},
        source=f"synthetic country grid, {side} x {side} nodes (seed {seed}; SYNTHETIC)",
    )
