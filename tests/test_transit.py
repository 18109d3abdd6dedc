"""Public transport times (``centrereach.transit``) against an independent oracle.

A small GTFS feed is written by the test over the real Chesterfield streets (stops placed at real
nodes of the walk network from ``osm/chesterfield-2018-05-21.osm.pbf``): four routes with
different headways, a change at a shared stop and one by a walk between two stops, a route that
runs only on Tuesdays and Thursdays (and not on one Tuesday, by ``calendar_dates.txt``), and
trips past midnight. The expected door-to-door times come from an independent method: walking
times from networkx's own Dijkstra on the walk graph, and the earliest arrivals from a
*time-expanded graph* in networkx (a node per stop and event time, edges for waiting, riding and
walking), one reverse Dijkstra per centre over every origin and departure minute at once. The
oracle reads the timetable from the test's own Python description, not from the GTFS files, and
decides which trips run on a day by itself.

Then properties: adding a trip never makes a time longer; closing a centre never makes the
nearest open one nearer; a day with no service gives the walk times and a NoServiceWarning.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from centrereach.errors import (
    GTFSError,
    NetworkError,
    NoServiceWarning,
    SnapWarning,
    StopsOutsideNetworkWarning,
)
from centrereach.gtfs import Feed, read_gtfs
from centrereach.netarrays import load_network_arrays
from centrereach.network import load_network
from centrereach.transit import DepartureWindow, TransitRouter, build_timetable
from centrereach.traveltime import BRITISH_NATIONAL_GRID, Router, nearest_centre

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

CHESTERFIELD_BBOX = (-1.538, 53.195, -1.379, 53.275)
CHESTERFIELD_LAD = "E07000034"
CENTRES = ["holme-hall", "old-whittington", "brimington", "birdholme"]
WALK_KPH = 4.8
TUESDAY = dt.date(2024, 10, 8)
WEDNESDAY = dt.date(2024, 10, 9)
TUESDAY_OFF = dt.date(2024, 10, 15)  # route 4's service is removed on this Tuesday
SUNDAY = dt.date(2024, 10, 13)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Stops, by the place they stand (lon, lat); each is moved onto the walk-network node nearest it.
PLACES = {
    "HH": (-1.4680, 53.2480),  # Holme Hall
    "NW": (-1.4550, 53.2445),
    "W1": (-1.4420, 53.2400),
    "HUB": (-1.4255, 53.2355),  # town centre: routes 1 and 2 both call here
    "E1": (-1.4100, 53.2430),
    "E2": (-1.3980, 53.2510),
    "BR": (-1.3910, 53.2565),  # Brimington
    "OW": (-1.4335, 53.2715),  # Old Whittington
    "N1": (-1.4310, 53.2620),
    "N2": (-1.4280, 53.2510),
    "S1": (-1.4240, 53.2260),
    "BH": (-1.4252, 53.2175),  # Birdholme
    "HUB2": (-1.4225, 53.2362),  # a short walk from HUB: route 3 starts here
    "SE1": (-1.4140, 53.2300),
    "SE2": (-1.4050, 53.2240),
    "SW1": (-1.4450, 53.2320),
    "SW2": (-1.4320, 53.2220),
}


@dataclass
class Route:
    """A route of the test feed: its stops, minutes between them, first and last departure."""

    route_id: str
    stops: list[str]
    hop_min: list[int]
    first: str
    last: str
    headway_min: int
    service: str
    dwell_at: dict[str, int] = field(default_factory=dict)  # stop -> minutes waiting there

    def trips(self) -> list[tuple[str, list[tuple[str, int, int]]]]:
        """(trip id, [(stop, arrival s, departure s)]) for every trip of the route."""
        h, m = map(int, self.first.split(":"))
        start = h * 3600 + m * 60
        h, m = map(int, self.last.split(":"))
        end = h * 3600 + m * 60
        out = []
        for k, t0 in enumerate(range(start, end + 1, self.headway_min * 60)):
            calls = []
            t = t0
            for i, stop in enumerate(self.stops):
                arrive = t
                depart = t + 60 * self.dwell_at.get(stop, 0)
                calls.append((stop, arrive, depart))
                if i < len(self.hop_min):
                    t = depart + 60 * self.hop_min[i]
            out.append((f"{self.route_id}-{k:02d}", calls))
        return out


ROUTES = [
    Route("1", ["HH", "NW", "W1", "HUB", "E1", "E2", "BR"], [3, 3, 4, 3, 3, 2], "06:30", "10:50",
          10, "weekdays", {"HUB": 1}),
    Route("2", ["OW", "N1", "N2", "HUB", "S1", "BH"], [4, 3, 4, 3, 3], "06:40", "11:00", 15,
          "daily"),
    Route("3", ["HUB2", "SE1", "SE2"], [3, 3], "06:35", "10:55", 20, "weekdays"),
    Route("4", ["NW", "SW1", "SW2", "BH"], [4, 4, 3], "07:05", "10:05", 60, "tue_thu"),
]  # fmt: skip
# Trips past midnight, on Monday's (weekdays) and Tuesday's (weekdays) service days.
NIGHT = [
    ("night-1", "weekdays", [("BH", 24 * 3600 + 600), ("S1", 24 * 3600 + 840),
                             ("HUB", 24 * 3600 + 1080), ("N2", 24 * 3600 + 1320),
                             ("OW", 24 * 3600 + 1800)]),
    ("night-2", "weekdays", [("HH", 23 * 3600 + 3000), ("W1", 23 * 3600 + 3420),
                             ("HUB", 24 * 3600 + 60), ("BR", 24 * 3600 + 600)]),
]  # fmt: skip
SERVICES = {
    # service -> (weekdays it runs, first date, last date, dates removed, dates added)
    "weekdays": ({0, 1, 2, 3, 4}, dt.date(2024, 9, 2), dt.date(2024, 12, 20), set(), set()),
    "daily": (set(range(7)), dt.date(2024, 9, 2), dt.date(2024, 12, 20), set(), set()),
    "tue_thu": ({1, 3}, dt.date(2024, 9, 2), dt.date(2024, 12, 20), {TUESDAY_OFF}, set()),
}


def runs(service: str, day: dt.date) -> bool:
    """The oracle's own reading of the services (not centrereach.gtfs)."""
    weekdays, first, last, removed, added = SERVICES[service]
    if day in added:
        return True
    if day in removed:
        return False
    return first <= day <= last and day.weekday() in weekdays


def all_trips(extra: list[tuple[str, str, list[tuple[str, int]]]] | None = None) -> list:
    """(trip id, service, route id, [(stop, arrival s, departure s)])."""
    trips = []
    for route in ROUTES:
        for trip_id, calls in route.trips():
            trips.append((trip_id, route.service, route.route_id, calls))
    for trip_id, service, calls in [*NIGHT, *(extra or [])]:
        trips.append((trip_id, service, "N", [(s, t, t) for s, t in calls]))
    return trips


def clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def write_feed(folder: Path, stop_nodes: dict[str, tuple[float, float]], trips: list) -> Path:
    """Write the test feed as GTFS text files."""
    folder.mkdir(parents=True, exist_ok=True)
    stops = pd.DataFrame(
        {
            "stop_id": list(stop_nodes),
            "stop_name": [f"Stop {k}" for k in stop_nodes],
            "stop_lat": [repr(lat) for _, lat in stop_nodes.values()],  # exactly the node's
            "stop_lon": [repr(lon) for lon, _ in stop_nodes.values()],
        }
    )
    stops.to_csv(folder / "stops.txt", index=False)
    pd.DataFrame({"route_id": ["1", "2", "3", "4", "N"], "route_type": "3"}).to_csv(
        folder / "routes.txt", index=False
    )
    pd.DataFrame(
        {
            "route_id": [t[2] for t in trips],
            "service_id": [t[1] for t in trips],
            "trip_id": [t[0] for t in trips],
        }
    ).to_csv(folder / "trips.txt", index=False)
    rows = []
    for trip_id, _, _, calls in trips:
        for seq, (stop, arrive, depart) in enumerate(calls, start=1):
            rows.append((trip_id, clock(arrive), clock(depart), stop, seq))
    pd.DataFrame(
        rows, columns=["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]
    ).to_csv(folder / "stop_times.txt", index=False)
    calendar = []
    dates = []
    for service, (weekdays, first, last, removed, added) in SERVICES.items():
        flags = {day: int(i in weekdays) for i, day in enumerate(WEEKDAYS)}
        calendar.append(
            {"service_id": service, **flags, "start_date": f"{first:%Y%m%d}",
             "end_date": f"{last:%Y%m%d}"}
        )  # fmt: skip
        dates += [(service, f"{d:%Y%m%d}", 2) for d in removed]
        dates += [(service, f"{d:%Y%m%d}", 1) for d in added]
    pd.DataFrame(calendar).to_csv(folder / "calendar.txt", index=False)
    pd.DataFrame(dates, columns=["service_id", "date", "exception_type"]).to_csv(
        folder / "calendar_dates.txt", index=False
    )
    return folder


# --------------------------------------------------------------------------------------------
# fixtures: the real streets, the stops on them, origins and centres
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk(shared_data: Path) -> nx.MultiDiGraph:
    return load_network(
        shared_data / "osm" / "chesterfield-2018-05-21.osm.pbf", mode="walk", progress=False
    )


@pytest.fixture(scope="module")
def walk_router(walk: nx.MultiDiGraph) -> Router:
    return Router(walk)


@dataclass
class Place:
    """The oracle's own snapping: nearest node of the largest strongly connected component."""

    nodes: list[int]
    east: np.ndarray
    north: np.ndarray

    def nearest(self, lon: float, lat: float) -> tuple[int, float]:
        from pyproj import Transformer

        x, y = Transformer.from_crs(4326, BRITISH_NATIONAL_GRID, always_xy=True).transform(lon, lat)
        d2 = (self.east - x) ** 2 + (self.north - y) ** 2
        k = int(np.argmin(d2))
        return self.nodes[k], float(math.sqrt(d2[k]))


@pytest.fixture(scope="module")
def places(walk: nx.MultiDiGraph) -> Place:
    from pyproj import Transformer

    component = max(nx.strongly_connected_components(walk), key=len)
    nodes = sorted(component)
    x = np.array([walk.nodes[n]["x"] for n in nodes])
    y = np.array([walk.nodes[n]["y"] for n in nodes])
    east, north = Transformer.from_crs(4326, BRITISH_NATIONAL_GRID, always_xy=True).transform(x, y)
    return Place(nodes, np.asarray(east), np.asarray(north))


@pytest.fixture(scope="module")
def stop_nodes(walk: nx.MultiDiGraph, places: Place) -> dict[str, int]:
    """Each stop on a real node whose position no other node of the component shares."""
    chosen = {}
    for stop, (lon, lat) in PLACES.items():
        node, _ = places.nearest(lon, lat)
        k = places.nodes.index(node)
        d2 = (places.east - places.east[k]) ** 2 + (places.north - places.north[k]) ** 2
        assert np.sort(d2)[1] > 1.0  # no other node within 1 m: snapping is unambiguous
        chosen[stop] = node
    assert len(set(chosen.values())) == len(chosen)
    return chosen


@pytest.fixture(scope="module")
def stop_coords(
    walk: nx.MultiDiGraph, stop_nodes: dict[str, int]
) -> dict[str, tuple[float, float]]:
    return {s: (walk.nodes[n]["x"], walk.nodes[n]["y"]) for s, n in stop_nodes.items()}


@pytest.fixture(scope="module")
def feed_dir(tmp_path_factory: pytest.TempPathFactory, stop_coords: dict) -> Path:
    return write_feed(tmp_path_factory.mktemp("gtfs") / "chesterfield-test", stop_coords,
                      all_trips())  # fmt: skip


@pytest.fixture(scope="module")
def feed(feed_dir: Path) -> Feed:
    return read_gtfs(feed_dir)


@pytest.fixture(scope="module")
def origins(shared_data: Path) -> gpd.GeoDataFrame:
    cents = pd.read_csv(shared_data / "ons" / "lsoa21_population_weighted_centroids.csv")
    lookup = pd.read_csv(shared_data / "ons" / "lookup_lsoa21_ward24_lad24.csv")
    lad = lookup.set_index("lsoa21_code")["ltla24_code"]
    cents = cents.assign(lad=cents["LSOA21CD"].map(lad))
    lon0, lat0, lon1, lat1 = CHESTERFIELD_BBOX
    inside = cents["lon"].between(lon0, lon1) & cents["lat"].between(lat0, lat1)
    picked = cents[inside & (cents["lad"] == CHESTERFIELD_LAD)].sort_values("LSOA21CD")
    return gpd.GeoDataFrame(
        index=pd.Index(picked["LSOA21CD"].to_numpy(), name="lsoa_code"),
        geometry=gpd.points_from_xy(picked["lon"], picked["lat"]),
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def centres(project_root: Path) -> gpd.GeoDataFrame:
    table = pd.read_csv(project_root / "data" / "derbyshire_childrens_centres_2024.csv")
    table = table.set_index("centre_id").loc[CENTRES]
    return gpd.GeoDataFrame(
        index=pd.Index(CENTRES, name="centre_id"),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs="EPSG:4326",
    )


# --------------------------------------------------------------------------------------------
# the oracle
# --------------------------------------------------------------------------------------------


@dataclass
class Oracle:
    """Walking times from networkx, earliest arrivals from a time-expanded graph."""

    walk: nx.MultiDiGraph
    places: Place
    stop_nodes: dict[str, int]
    origins: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    walk_s: dict[int, dict[int, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        speed = WALK_KPH / 3.6
        self.o_node, self.o_leg = {}, {}
        for code, point in self.origins.geometry.items():
            node, metres = self.places.nearest(point.x, point.y)
            self.o_node[code], self.o_leg[code] = node, metres / speed
        self.c_node, self.c_leg = {}, {}
        for code, point in self.centres.geometry.items():
            node, metres = self.places.nearest(point.x, point.y)
            self.c_node[code], self.c_leg[code] = node, metres / speed
        sources = {*self.o_node.values(), *self.stop_nodes.values()}
        for node in sources:  # the walk graph has every edge both ways: one search per node
            self.walk_s[node] = nx.single_source_dijkstra_path_length(
                self.walk, node, weight="travel_time"
            )

    def walking(self, a: int, b: int) -> float:
        return self.walk_s[a][b]

    def direct(self, o: str, c: str) -> float:
        return self.o_leg[o] + self.walking(self.o_node[o], self.c_node[c]) + self.c_leg[c]

    def arrivals(self, trips: list, day: dt.date, departures: np.ndarray) -> np.ndarray:
        """Earliest arrival (s) for every origin, centre and departure."""
        connections = []  # (from stop, dep, to stop, arr)
        for shift_days in (-1, 0, 1):
            when = day + dt.timedelta(days=shift_days)
            shift = shift_days * 86_400
            for _, service, _, calls in trips:
                if not runs(service, when):
                    continue
                for (a, _, dep), (b, arr, _) in itertools.pairwise(calls):
                    connections.append((a, dep + shift, b, arr + shift))
        events: dict[str, set[int]] = {s: set() for s in self.stop_nodes}
        for a, dep, b, arr in connections:
            events[a].add(dep)
            events[b].add(arr)
        times = {s: sorted(v) for s, v in events.items()}
        arrival_events = {(b, arr) for _, _, b, arr in connections}

        def first_event(stop: str, at: float) -> tuple[str, int] | None:
            k = bisect.bisect_left(times[stop], at)
            return (stop, times[stop][k]) if k < len(times[stop]) else None

        base = nx.DiGraph()
        for stop, ts in times.items():
            for t0, t1 in itertools.pairwise(ts):
                base.add_edge((stop, t0), (stop, t1), weight=t1 - t0)  # wait
        for a, dep, b, arr in connections:
            base.add_edge((a, dep), (b, arr), weight=arr - dep)  # ride
        stops = list(self.stop_nodes)
        for v, arr in arrival_events:  # get off and walk to another stop
            for w in stops:
                if w == v:
                    continue
                f = self.walking(self.stop_nodes[v], self.stop_nodes[w])
                target = first_event(w, arr + f)
                if target is not None:
                    base.add_edge((v, arr), target, weight=target[1] - arr)
        out = np.empty((len(self.origins), len(self.centres), departures.size))
        for j, c in enumerate(self.centres.index):
            G = base.copy()
            for v, arr in arrival_events:  # get off and walk to the centre
                egress = self.walking(self.stop_nodes[v], self.c_node[c]) + self.c_leg[c]
                G.add_edge((v, arr), "centre", weight=egress)
            for o in self.origins.index:
                for t in departures:
                    node = ("home", o, float(t))
                    G.add_edge(node, "centre", weight=self.direct(o, c))  # walk all the way
                    for s in stops:
                        a = self.o_leg[o] + self.walking(self.o_node[o], self.stop_nodes[s])
                        target = first_event(s, t + a)
                        if target is not None:
                            G.add_edge(node, target, weight=target[1] - t)
            to_centre = nx.single_source_dijkstra_path_length(G.reverse(copy=False), "centre")
            for i, o in enumerate(self.origins.index):
                for k, t in enumerate(departures):
                    out[i, j, k] = t + to_centre[("home", o, float(t))]
        return out


@pytest.fixture(scope="module")
def oracle(
    walk: nx.MultiDiGraph,
    places: Place,
    stop_nodes: dict[str, int],
    origins: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
) -> Oracle:
    return Oracle(walk, places, stop_nodes, origins, centres)


def engine(
    walk_router: Router, feed: Feed, window: DepartureWindow, **kwargs: object
) -> TransitRouter:
    settings = {"max_access_walk_min": None, "max_transfer_walk_min": None, **kwargs}
    return TransitRouter(walk_router, feed, window, **settings)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# agreement with the oracle
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "window"),
    [
        (TUESDAY, ("07:00", "10:00")),  # every route, route 4 included
        (WEDNESDAY, ("07:00", "08:30")),  # no route 4
        (TUESDAY_OFF, ("07:00", "08:00")),  # a Tuesday without route 4 (calendar_dates.txt)
        (TUESDAY, ("00:00", "01:00")),  # Monday's trip past midnight
        (TUESDAY, ("23:30", "23:59")),  # Tuesday's own late trip, arriving after midnight
    ],
)
def test_every_origin_centre_and_departure_matches_the_oracle(
    walk_router: Router,
    feed: Feed,
    oracle: Oracle,
    origins: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    day: dt.date,
    window: tuple[str, str],
) -> None:
    win = DepartureWindow.parse(day.isoformat(), window="-".join(window), step_min=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        times = engine(walk_router, feed, win).times(origins, centres)
    deps = win.departures_s()
    expected = (oracle.arrivals(all_trips(), day, deps) - deps) / 60.0
    got = times.minutes
    assert got.shape == expected.shape == (len(origins), len(centres), deps.size)
    difference = np.abs(got - expected)
    worst = np.unravel_index(np.argmax(difference), difference.shape)
    assert difference.max() < 1.0, (difference.max(), worst)  # the requirement: one minute
    assert difference.max() < 1e-6, (difference.max(), worst)  # and in fact exact
    # the walk matrix is the oracle's walk all the way
    direct = np.array([[oracle.direct(o, c) for c in centres.index] for o in origins.index]) / 60
    np.testing.assert_allclose(times.walk.to_numpy(), direct, atol=1e-9)
    assert (got <= times.walk.to_numpy()[:, :, None] + 1e-9).all()
    # the test means something: journeys ride (by day many, at night the one late trip)
    rides = got < times.walk.to_numpy()[:, :, None] - 1.0
    if window[0] < "23:00" and window[0] >= "07:00":
        assert rides.mean() > 0.2, rides.mean()
    else:
        assert rides.any()


def test_the_routes_that_run_make_a_difference(
    walk_router: Router, feed: Feed, origins: gpd.GeoDataFrame, centres: gpd.GeoDataFrame
) -> None:
    """Route 4 (Tuesdays and Thursdays) shortens some trips to Birdholme on Tuesday only."""
    times = {}
    for day in (TUESDAY, WEDNESDAY, TUESDAY_OFF):
        win = DepartureWindow.parse(day.isoformat(), window="07:00-08:30")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SnapWarning)
            times[day] = engine(walk_router, feed, win).times(origins, centres).minutes
    np.testing.assert_array_equal(times[WEDNESDAY], times[TUESDAY_OFF])
    assert (times[TUESDAY] <= times[WEDNESDAY] + 1e-9).all()
    assert (times[TUESDAY] < times[WEDNESDAY] - 1).any()


def test_the_oracle_is_not_the_engine(feed: Feed) -> None:
    """The oracle's reading of the calendar agrees with centrereach.gtfs (two readings)."""
    for day in (TUESDAY, WEDNESDAY, TUESDAY_OFF, SUNDAY, dt.date(2024, 12, 21)):
        expected = {s for s in SERVICES if runs(s, day)}
        assert feed.services_on(day) == expected, day


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------


def test_adding_a_trip_never_makes_a_time_longer(
    walk_router: Router,
    stop_coords: dict,
    tmp_path: Path,
    origins: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    oracle: Oracle,
) -> None:
    win = DepartureWindow.parse(TUESDAY.isoformat(), window="07:00-09:00")
    extra = [("express", "weekdays", [("OW", 7 * 3600 + 1500), ("HUB", 7 * 3600 + 1860),
                                       ("BH", 7 * 3600 + 2100)])]  # fmt: skip
    before = read_gtfs(write_feed(tmp_path / "before", stop_coords, all_trips()))
    after = read_gtfs(write_feed(tmp_path / "after", stop_coords, all_trips(extra)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        a = engine(walk_router, before, win).times(origins, centres).minutes
        b = engine(walk_router, after, win).times(origins, centres).minutes
    assert (b <= a + 1e-9).all()
    assert (b < a - 1).any()  # the express helps someone
    deps = win.departures_s()
    expected = (oracle.arrivals(all_trips(extra), TUESDAY, deps) - deps) / 60
    assert np.abs(b - expected).max() < 1e-6


def test_closing_a_centre_never_brings_the_nearest_open_one_nearer(
    walk_router: Router, feed: Feed, origins: gpd.GeoDataFrame, centres: gpd.GeoDataFrame
) -> None:
    win = DepartureWindow.parse(TUESDAY.isoformat(), window="07:00-08:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        matrix = engine(walk_router, feed, win).matrix(origins, centres)
    everything = nearest_centre(matrix)["time_min"]
    for size in range(1, len(CENTRES)):
        for kept in itertools.combinations(CENTRES, size):
            fewer = nearest_centre(matrix, list(kept))["time_min"]
            assert (fewer >= everything - 1e-12).all()
            for more in set(CENTRES) - set(kept):
                bigger = nearest_centre(matrix, [*kept, more])["time_min"]
                assert (fewer >= bigger - 1e-12).all()


def test_a_day_without_service_gives_walk_times_and_a_warning(
    walk_router: Router, feed: Feed, origins: gpd.GeoDataFrame, centres: gpd.GeoDataFrame
) -> None:
    only_weekdays = read_gtfs(feed_path := Path(feed.source))
    assert feed_path.is_dir()
    # Sunday: route 2 ("daily") runs; drop it to get a day with no service at all
    tables = {
        "stops.txt": pd.read_csv(feed_path / "stops.txt", dtype=str),
        "routes.txt": pd.read_csv(feed_path / "routes.txt", dtype=str),
        "calendar.txt": pd.read_csv(feed_path / "calendar.txt", dtype=str),
        "calendar_dates.txt": pd.read_csv(feed_path / "calendar_dates.txt", dtype=str),
    }
    trips = pd.read_csv(feed_path / "trips.txt", dtype=str)
    trips = trips[trips["service_id"] != "daily"]
    stop_times = pd.read_csv(feed_path / "stop_times.txt", dtype=str)
    tables["trips.txt"] = trips
    tables["stop_times.txt"] = stop_times[stop_times["trip_id"].isin(trips["trip_id"])]
    no_sunday = Feed.from_tables(tables, name="no Sunday buses")
    assert only_weekdays.services_on(SUNDAY) == {"daily"}
    win = DepartureWindow.parse(SUNDAY.isoformat(), window="07:00-10:00")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        router = engine(walk_router, no_sunday, win)
        times = router.times(origins, centres)
    messages = [str(w.message) for w in caught if issubclass(w.category, NoServiceWarning)]
    assert len(messages) == 1
    assert "no public transport runs on Sunday 2024-10-13 in 'no Sunday buses'" in messages[0]
    assert "walk all the way" in messages[0]
    walk = times.walk.to_numpy()
    np.testing.assert_array_equal(times.minutes, np.repeat(walk[:, :, None], 180, axis=2))
    pd.testing.assert_frame_equal(times.summary(), times.walk, check_names=False,
                                  check_exact=True)  # fmt: skip


def test_statistics_over_the_window(
    walk_router: Router, feed: Feed, origins: gpd.GeoDataFrame, centres: gpd.GeoDataFrame
) -> None:
    win = DepartureWindow.parse(TUESDAY.isoformat(), window="07:00-10:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        times = engine(walk_router, feed, win).times(origins, centres)
    minutes = times.minutes
    np.testing.assert_allclose(times.summary().to_numpy(), np.median(minutes, axis=2))
    np.testing.assert_allclose(times.summary("mean").to_numpy(), minutes.mean(axis=2))
    p90 = times.summary("p90").to_numpy()
    np.testing.assert_allclose(p90, np.percentile(minutes, 90, axis=2))
    assert (p90 >= times.summary().to_numpy() - 1e-12).all()
    assert (times.summary("p90") <= times.walk + 1e-9).all().all()
    assert times.summary().attrs == {"units": "min", "mode": "transit", "statistic": "median"}
    assert minutes.shape[2] == 180


def test_walking_limits(
    walk_router: Router, feed: Feed, origins: gpd.GeoDataFrame, centres: gpd.GeoDataFrame
) -> None:
    """With no walking allowed to or from stops, every time is the walk all the way; with a
    limit, no journey is quicker than without one, and some are slower."""
    win = DepartureWindow.parse(TUESDAY.isoformat(), window="07:00-08:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        free = engine(walk_router, feed, win).times(origins, centres)
        none = engine(walk_router, feed, win, max_access_walk_min=0).times(origins, centres)
        some = engine(walk_router, feed, win, max_access_walk_min=10, max_transfer_walk_min=2)
        limited = some.times(origins, centres)
    walk = free.walk.to_numpy()[:, :, None]
    np.testing.assert_array_equal(none.minutes, np.broadcast_to(walk, none.minutes.shape))
    assert (limited.minutes >= free.minutes - 1e-9).all()
    assert (limited.minutes > free.minutes + 1).any()
    assert (limited.minutes < walk - 1).any()
    # HUB2 is ~200 m from HUB: with changes on foot limited to 2 min it is not a change any more
    record = some.describe()
    assert record["max_transfer_walk_min"] == 2 and record["max_access_walk_min"] == 10


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


def test_stops_outside_the_network(walk_router: Router, stop_coords: dict, tmp_path: Path) -> None:
    far = dict(stop_coords, FAR=(-1.2000, 53.1000))  # near Mansfield: off the extract
    trips = [*all_trips(), ("far-1", "weekdays", "N",
                            [("HUB", 30000, 30000), ("FAR", 31800, 31800)])]  # fmt: skip
    feed = read_gtfs(write_feed(tmp_path / "far", far, trips))
    win = DepartureWindow.parse(TUESDAY.isoformat())
    with pytest.warns(
        StopsOutsideNetworkWarning,
        match=r"1 of 18 stops of 'far' lie more than 250 m from the walk network and are left "
        r"out .*'far' stops.txt row 19 \(stop 'FAR', [0-9,]+ m\)",
    ):
        router = engine(walk_router, feed, win)
    assert router.stops["on_network"].sum() == 17
    assert router.describe()["stops_left_out"] == 1


def test_no_stop_on_the_network(walk_router: Router, tmp_path: Path) -> None:
    elsewhere = {"A": (-0.1276, 51.5072), "B": (-0.1200, 51.5100)}  # London
    trips = [("t", "weekdays", "N", [("A", 30000, 30000), ("B", 30600, 30600)])]
    feed = read_gtfs(write_feed(tmp_path / "london", elsewhere, trips))
    with pytest.raises(
        GTFSError,
        match=r"GTFS feed\(s\) 'london', stops.txt: none of the 2 stops lies within 250 m of the "
        r"walk network \(the nearest, row 3, stop 'B', is [0-9,]+ m away\)",
    ):
        engine(walk_router, feed, DepartureWindow.parse(TUESDAY.isoformat()))


def test_date_outside_the_feed(walk_router: Router, feed: Feed) -> None:
    with pytest.raises(GTFSError, match=r"the date 2025-10-07 \(Tuesday\) is outside"):
        engine(walk_router, feed, DepartureWindow.parse("2025-10-07"))


def test_walk_network_as_arrays_gives_the_same_journeys(
    walk_router: Router,
    feed: Feed,
    origins: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    shared_data: Path,
) -> None:
    """The study runner walks on arrays read straight from the file: same times, to the bit."""
    arrays = load_network_arrays(
        shared_data / "osm" / "chesterfield-2018-05-21.osm.pbf", mode="walk", cache=False,
        progress=False,
    )  # fmt: skip
    win = DepartureWindow.parse(TUESDAY.isoformat(), window="07:00-09:00", step_min=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        from_graph = engine(walk_router, feed, win).times(origins, centres)
        from_arrays = engine(Router(arrays), feed, win).times(origins, centres)
    assert Router(arrays).graph is None  # the arrays path, no networkx graph behind it
    np.testing.assert_array_equal(from_arrays.minutes, from_graph.minutes)
    pd.testing.assert_frame_equal(from_arrays.walk, from_graph.walk)
    assert np.isfinite(from_graph.minutes).any()


def test_needs_the_walk_network(walk_router: Router, feed: Feed) -> None:
    G = nx.MultiDiGraph(crs="epsg:4326", mode="drive")
    G.add_node(1, x=-1.42, y=53.23)
    G.add_node(2, x=-1.41, y=53.23)
    G.add_edge(1, 2, travel_time=60.0)
    G.add_edge(2, 1, travel_time=60.0)
    with pytest.raises(NetworkError, match="walks on the walk network, but this is a drive"):
        TransitRouter(G, feed, DepartureWindow.parse(TUESDAY.isoformat()))


def test_timetable_shifts_the_neighbouring_days(feed: Feed) -> None:
    tt = build_timetable([feed], TUESDAY)
    night = tt.trip[(tt.dep_s >= 0) & (tt.dep_s < 3600)]
    # Monday's night-1 (four hops from 24:10:00) and the last hop of Monday's night-2 (leaving
    # HUB at 24:01:00), shifted back a day; its earlier hops left before midnight: dropped
    assert night.size == 5
    assert tt.dep_s.min() == 60.0
    assert (np.diff(tt.dep_s) <= 0).all()
