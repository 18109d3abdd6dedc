"""Road and footpath networks: reading PBF/XML/GraphML, osmnx semantics, cache, errors.

The four real networks (Chesterfield and Rutland, drive and walk) are built once per session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import osmnx as ox
import pytest
from shapely.geometry import Point, box

from _helpers import write_osm
from centrereach import network
from centrereach.errors import (
    CentrereachError,
    NetworkError,
    NetworkUnavailableError,
)
from centrereach.network import (
    Mode,
    SpeedModel,
    add_travel_times,
    load_network,
    network_cache_key,
    save_network,
)

PLACES = {
    "chesterfield": ("chesterfield-2018-05-21.osm.pbf", (-1.538, 53.195, -1.379, 53.275)),
    "rutland": ("rutland-2018-02-27.osm.pbf", (-0.823, 52.524, -0.428, 52.761)),
}
MPH = 1.609344
Graphs = dict[tuple[str, str], nx.MultiDiGraph]
PbfPath = Callable[[str], Path]
ALL = [(place, mode) for place in PLACES for mode in ("drive", "walk")]

# Known one-way streets in the Chesterfield extract (OSM ids checked against the raw tags).
VICTORIA_STREET_WEST = (2494994427, 4300423162)  # way 40580033, oneway=yes, in node order
ROSE_HILL = (1578771545, 5232621960)  # way 17662259, oneway=-1: only 5232621960 -> 1578771545


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pbf(shared_data: Path) -> PbfPath:
    def path(place: str) -> Path:
        return shared_data / "osm" / PLACES[place][0]

    return path


@pytest.fixture(scope="session")
def graphs(real_network: Callable[[str, str], nx.MultiDiGraph]) -> Graphs:
    """The four real networks (``load_network(pbf(place), mode=mode)``), built once a session."""
    return {(place, mode): real_network(place, mode) for place, mode in ALL}


@pytest.fixture(scope="session")
def town_centre(graphs: Graphs) -> nx.MultiDiGraph:
    """Chesterfield's centre (about 1.5 x 1 km) of the drive network, for slow osmnx I/O."""
    G = graphs["chesterfield", "drive"]
    inside = [
        n for n, d in G.nodes(data=True) if -1.44 <= d["x"] <= -1.418 and 53.230 <= d["y"] <= 53.241
    ]
    sub = G.subgraph(inside)
    largest = max(nx.weakly_connected_components(sub), key=len)
    return G.subgraph(largest).copy()


# A 3 x 3 grid of nodes about 100 m apart near Chesterfield.
GRID = {
    10 * r + c + 11: (round(-1.42 + 0.0015 * c, 7), round(53.23 + 0.0009 * r, 7))
    for r in range(3)
    for c in range(3)
}


def edge_set(G: nx.MultiDiGraph) -> set[tuple[int, int]]:
    return {(u, v) for u, v in G.edges()}


# --------------------------------------------------------------------------------------------
# real networks
# --------------------------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize(("place", "mode"), ALL)
def test_real_network_shape_and_attributes(graphs: Graphs, place: str, mode: str) -> None:
    G = graphs[place, mode]
    assert G.number_of_nodes() > 5_000
    assert G.number_of_edges() > 10_000
    assert G.graph["crs"] == "epsg:4326"
    assert G.graph["mode"] == mode
    assert PLACES[place][0] in G.graph["source"]
    json.dumps(G.graph["speed_model"])  # JSON-able
    assert G.graph["speed_model"]["description"].startswith(
        "Driving" if mode == "drive" else "Walking"
    )
    west, south, east, north = PLACES[place][1]
    for _, data in G.nodes(data=True):
        assert west - 0.05 <= data["x"] <= east + 0.05
        assert south - 0.05 <= data["y"] <= north + 0.05
    for _, _, data in G.edges(data=True):
        assert data["length"] > 0
        assert data["speed_kph"] > 0
        assert data["travel_time"] > 0
        assert isinstance(data["highway"], str)
        # travel_time == length / (speed / 3.6), exactly (no junction delay by default)
        assert data["travel_time"] == data["length"] / (data["speed_kph"] / 3.6)
    assert nx.is_weakly_connected(G)


@pytest.mark.shared_data
@pytest.mark.parametrize("place", PLACES)
def test_walk_graph_is_symmetric_at_4_8_kph(graphs: Graphs, place: str) -> None:
    G = graphs[place, "walk"]
    edges = edge_set(G)
    assert all((v, u) in edges for u, v in edges)
    assert {data["speed_kph"] for _, _, data in G.edges(data=True)} == {4.8}


@pytest.mark.shared_data
@pytest.mark.parametrize("place", PLACES)
def test_drive_graph_uses_osmnx_drive_classes(graphs: Graphs, place: str) -> None:
    G = graphs[place, "drive"]
    classes = {data["highway"] for _, _, data in G.edges(data=True)}
    assert {"residential", "unclassified", "tertiary", "trunk"} <= classes
    assert not classes & {"service", "footway", "path", "track", "cycleway", "steps"}
    walk_classes = {data["highway"] for _, _, data in graphs[place, "walk"].edges(data=True)}
    assert "footway" in walk_classes
    assert "motorway" not in walk_classes
    speeds = [data["speed_kph"] for _, _, data in G.edges(data=True)]
    assert min(speeds) >= 0.8 * 5 * MPH and max(speeds) <= 0.8 * 70 * MPH + 1e-9


@pytest.mark.shared_data
def test_drive_graph_respects_known_one_way_streets(graphs: Graphs) -> None:
    drive = edge_set(graphs["chesterfield", "drive"])
    walk = edge_set(graphs["chesterfield", "walk"])
    u, v = VICTORIA_STREET_WEST  # oneway=yes
    assert (u, v) in drive
    assert (v, u) not in drive
    assert {(u, v), (v, u)} <= walk
    u, v = ROSE_HILL  # oneway=-1: travel against the node order only
    assert (v, u) in drive
    assert (u, v) not in drive
    assert {(u, v), (v, u)} <= walk
    roundabouts = [
        (u, v, d["osmid"])
        for u, v, d in graphs["chesterfield", "drive"].edges(data=True)
        if d.get("junction") == "roundabout"
    ]
    assert roundabouts
    G = graphs["chesterfield", "drive"]
    for u, v, osmid in roundabouts:
        assert not any(d["osmid"] == osmid for d in G.get_edge_data(v, u, default={}).values())


@pytest.mark.shared_data
def test_tagged_limits_set_the_speed(graphs: Graphs) -> None:
    G = graphs["chesterfield", "drive"]
    seen = set()
    for _, _, data in G.edges(data=True):
        if data.get("maxspeed") in {"30 mph", "20 mph", "60 mph"}:
            limit = float(data["maxspeed"].split()[0]) * MPH
            assert data["speed_limit_kph"] == pytest.approx(limit)
            assert data["speed_kph"] == pytest.approx(0.8 * limit)
            seen.add(data["maxspeed"])
        if "maxspeed" not in data and data["highway"] == "residential":
            assert data["speed_limit_kph"] == pytest.approx(30 * MPH)
    assert seen == {"30 mph", "20 mph", "60 mph"}


def write_filtered_xml(data: Any, path: Path) -> Path:
    """Write the ways kept by the reader, and their nodes, as OSM XML (for the osmnx oracle)."""
    import osmium

    needed: set[int] = set()
    for _, nodes, _ in data.ways:
        needed.update(nodes)
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id in sorted(needed):
            writer.add_node(
                osmium.osm.mutable.Node(
                    id=node_id, location=data.coords[node_id], tags=data.node_tags.get(node_id, {})
                )
            )
        for way_id, nodes, tags in sorted(data.ways, key=lambda way: way[0]):
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=nodes, tags=tags))
    return path


def assert_same_graph(G: nx.MultiDiGraph, H: nx.MultiDiGraph) -> None:
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))
    assert sorted(G.edges(keys=True, data=True)) == sorted(H.edges(keys=True, data=True))


@pytest.mark.shared_data
def test_pbf_reader_builds_the_graph_osmnx_builds(
    pbf: PbfPath, graphs: Graphs, tmp_path: Path
) -> None:
    """The reader builds exactly the graph osmnx.graph_from_xml builds from the same ways."""
    data = network._read_osm(pbf("chesterfield"), "pbf", Mode.DRIVE)
    filtered = write_filtered_xml(data, tmp_path / "filtered.osm")
    with network._osmnx_way_tags():  # osmnx keeps the UK speed-limit tags too
        oracle = ox.graph_from_xml(filtered, bidirectional=False, simplify=False, retain_all=True)
    assert_same_graph(network._graph_from_osm_data(data, Mode.DRIVE), oracle)
    finished = network._finish(
        oracle,
        mode=Mode.DRIVE,
        speeds=SpeedModel.realistic(),
        source="osmnx",
        what="the oracle",
        simplify=False,
    )
    assert_same_graph(graphs["chesterfield", "drive"], finished)


@pytest.mark.shared_data
def test_xml_gives_the_same_graph_as_pbf(pbf: PbfPath, graphs: Graphs, tmp_path: Path) -> None:
    """An OSM XML copy of the extract gives the graph the PBF gives."""
    import osmium

    xml = tmp_path / "chesterfield.osm"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(pbf("chesterfield")), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(obj, osmium.osm.Node):
                writer.add_node(obj)
            else:
                writer.add_way(obj)
    assert_same_graph(
        load_network(xml, mode="drive", progress=False), graphs["chesterfield", "drive"]
    )


@pytest.mark.shared_data
def test_graphml_round_trip(town_centre: nx.MultiDiGraph, tmp_path: Path) -> None:
    G = town_centre
    assert 300 < G.number_of_nodes() < 3_000
    path = save_network(G, tmp_path / "sub" / "chesterfield.graphml")
    assert path.is_file()
    assert not [p for p in path.parent.iterdir() if p != path]  # no temp file left behind
    H = load_network(path, mode="drive", progress=False)
    assert H.graph["speed_model"] == G.graph["speed_model"]
    assert H.graph["source"] == G.graph["source"]
    assert H.graph["crs"] == "epsg:4326"
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    assert sorted(H.edges(keys=True, data=True)) == sorted(G.edges(keys=True, data=True))
    nodes = list(G.nodes)[:: len(G) // 3][:3]
    for source in nodes:
        a = nx.single_source_dijkstra_path_length(G, source, weight="travel_time")
        b = nx.single_source_dijkstra_path_length(H, source, weight="travel_time")
        assert a == b
    # a second mode cannot be passed off as the first
    with pytest.raises(NetworkError, match="is a drive network, not walk"):
        load_network(path, mode="walk", progress=False)


@pytest.mark.shared_data
def test_osmnx_functions_run_on_the_result(
    graphs: Graphs, town_centre: nx.MultiDiGraph, tmp_path: Path
) -> None:
    G = graphs["chesterfield", "drive"]
    orig, dest = VICTORIA_STREET_WEST[0], ROSE_HILL[0]
    route = ox.shortest_path(G, orig, dest, weight="travel_time")
    assert route is not None
    assert route[0] == orig and route[-1] == dest
    route_gdf = ox.routing.route_to_gdf(G, route, weight="travel_time")
    assert route_gdf["travel_time"].sum() > 0
    nodes, edges = ox.graph_to_gdfs(G)
    assert len(nodes) == len(G) and len(edges) == G.number_of_edges()
    small = town_centre
    ox.save_graphml(small, tmp_path / "ox.graphml")
    H = ox.load_graphml(tmp_path / "ox.graphml")
    assert H.number_of_edges() == small.number_of_edges()
    assert ox.basic_stats(small)["n"] == len(small)
    P = ox.project_graph(G)
    x, y = P.nodes[orig]["x"], P.nodes[orig]["y"]
    assert ox.nearest_nodes(P, x + 1.0, y + 1.0) == orig
    pytest.importorskip("sklearn")  # osmnx's nearest_nodes on unprojected graphs needs it
    lon, lat = G.nodes[orig]["x"], G.nodes[orig]["y"]
    assert ox.nearest_nodes(G, lon, lat) == orig


@pytest.mark.shared_data
def test_file_clipped_to_the_study_area(pbf: PbfPath, graphs: Graphs) -> None:
    area = box(-1.44, 53.23, -1.41, 53.245)  # Chesterfield's centre
    G = load_network(pbf("chesterfield"), mode="walk", polygon=area, buffer_m=1_000, progress=False)
    full = graphs["chesterfield", "walk"]
    assert 1_000 < len(G) < len(full) / 2
    assert "clipped to the study area + 1000 m" in G.graph["source"]
    buffered = network._buffer_polygon(area, 1_000)
    outside = [n for n, d in G.nodes(data=True) if not buffered.intersects(Point(d["x"], d["y"]))]
    assert outside  # osmnx's truncate_by_edge: the first node beyond the edge stays ...
    for node in outside:  # ... only when a neighbour is inside
        neighbours = set(G.successors(node)) | set(G.predecessors(node))
        assert any(buffered.intersects(Point(G.nodes[n]["x"], G.nodes[n]["y"])) for n in neighbours)
    inside = [n for n, d in full.nodes(data=True) if area.contains(Point(d["x"], d["y"]))]
    assert sum(n in G for n in inside) >= 0.99 * len(inside)
    with pytest.raises(NetworkError, match="Polygon"):
        load_network(pbf("chesterfield"), mode="walk", polygon=Point(-1.43, 53.24), progress=False)


@pytest.mark.shared_data
def test_simplified_network_keeps_travel_times(pbf: PbfPath, graphs: Graphs) -> None:
    full = graphs["rutland", "drive"]
    simple = load_network(pbf("rutland"), mode="drive", simplify=True, progress=False)
    assert simple.number_of_nodes() < full.number_of_nodes() / 2
    assert set(simple.nodes) <= set(full.nodes)
    for _, _, data in simple.edges(data=True):
        assert data["travel_time"] == data["length"] / (data["speed_kph"] / 3.6)
        assert not isinstance(data["speed_kph"], list)
    source = next(n for n, d in simple.nodes(data=True) if d["street_count"] >= 3)
    a = nx.single_source_dijkstra_path_length(full, source, weight="travel_time")
    b = nx.single_source_dijkstra_path_length(simple, source, weight="travel_time")
    assert all(b[n] == pytest.approx(a[n], rel=1e-9, abs=1e-6) for n in b)


# --------------------------------------------------------------------------------------------
# osmnx semantics on tiny hand-made files
# --------------------------------------------------------------------------------------------


def test_filters_match_osmnx() -> None:
    from osmnx import _overpass

    for mode in ("drive", "walk"):
        assert network._OVERPASS_FILTERS[mode] == _overpass._get_network_filter(mode)
    # osmnx's name for the cycle network is "bike"
    assert network.OSMNX_NETWORK_TYPES["cycle"] == "bike"
    assert network._OVERPASS_FILTERS["cycle"] == _overpass._get_network_filter("bike")
    assert set(network._OVERPASS_FILTERS) == set(network.OSMNX_NETWORK_TYPES)


@pytest.mark.parametrize(
    ("tags", "cycle"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "cycleway"}, True),
        ({"highway": "service"}, True),
        ({"highway": "track"}, True),
        ({"highway": "bridleway"}, True),
        ({"highway": "path"}, True),
        ({"highway": "primary", "sidewalk": "separate"}, True),  # the road is still cycled
        ({"highway": "footway"}, False),
        ({"highway": "steps"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "pedestrian"}, True),  # osmnx keeps pedestrian streets
        ({"highway": "residential", "bicycle": "no"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "area": "yes"}, False),
        ({"highway": "service", "service": "private"}, False),
    ],
)
def test_cycle_way_filter(tags: dict[str, str], cycle: bool) -> None:
    assert network._way_filter(Mode.CYCLE)(tags) is cycle


def test_transit_has_no_network(tmp_path: Path) -> None:
    path = one_way_file(tmp_path)
    with pytest.raises(ValueError, match="transit mode has no network of its own"):
        load_network(path, mode="transit", progress=False)
    with pytest.raises(ValueError, match="'drive' or 'walk' or 'cycle'"):
        load_network(path, mode="boat", progress=False)


@pytest.mark.parametrize(
    ("tags", "drive", "walk"),
    [
        ({"highway": "residential"}, True, True),
        ({"highway": "motorway"}, True, False),
        ({"highway": "service"}, False, True),
        ({"highway": "footway"}, False, True),
        ({"highway": "residential", "access": "private"}, False, False),
        ({"highway": "residential", "access": "no"}, True, True),  # osmnx keeps access=no
        ({"highway": "residential", "motor_vehicle": "no"}, False, True),
        ({"highway": "residential", "foot": "no"}, True, False),
        ({"highway": "residential", "area": "yes"}, False, False),
        ({"highway": "pedestrian"}, False, True),
        ({"highway": "primary", "sidewalk": "separate"}, True, False),
        ({"highway": "construction"}, False, False),
        ({"building": "yes"}, False, False),
    ],
)
def test_way_filter(tags: dict[str, str], drive: bool, walk: bool) -> None:
    assert network._way_filter(Mode.DRIVE)(tags) is drive
    assert network._way_filter(Mode.WALK)(tags) is walk


def one_way_file(tmp_path: Path) -> Path:
    ways = [
        (1, [11, 12, 13], {"highway": "residential", "oneway": "yes", "maxspeed": "20 mph"}),
        (2, [21, 22, 23], {"highway": "residential", "oneway": "-1"}),
        (3, [31, 32, 33], {"highway": "tertiary", "junction": "roundabout"}),
        (4, [11, 21, 31], {"highway": "unclassified"}),
        (5, [13, 23, 33], {"highway": "unclassified", "maxspeed": "national"}),
        (6, [12, 22], {"highway": "footway"}),
        (7, [22, 32], {"highway": "service", "service": "driveway"}),
    ]
    return write_osm(tmp_path / "oneway.osm", GRID, ways)


@pytest.mark.parametrize("mode", ["drive", "walk", "cycle"])
def test_tiny_file_matches_osmnx_graph_from_xml(tmp_path: Path, mode: str) -> None:
    path = one_way_file(tmp_path)
    G = load_network(path, mode=mode, progress=False)
    expected = ox.graph_from_xml(path, bidirectional=mode == "walk", simplify=False)
    # osmnx builds only walk networks in both directions: bike networks follow one-way tags
    assert list(ox.settings.bidirectional_network_types) == ["walk"]
    keep = network._way_filter(Mode(mode))
    osm_ids = {d["osmid"] for _, _, d in G.edges(data=True)}
    expected_ids = {d["osmid"] for _, _, d in expected.edges(data=True) if keep(d)}
    assert osm_ids == expected_ids
    wanted = {(u, v) for u, v, d in expected.edges(data=True) if d["osmid"] in osm_ids}
    assert edge_set(G) == wanted
    for u, v, k, data in G.edges(keys=True, data=True):
        assert data["length"] == expected.edges[u, v, k]["length"]


def test_tiny_file_one_way_rules(tmp_path: Path) -> None:
    drive = edge_set(load_network(one_way_file(tmp_path), mode="drive", progress=False))
    assert (11, 12) in drive and (12, 11) not in drive  # oneway=yes
    assert (22, 21) in drive and (21, 22) not in drive  # oneway=-1
    assert (31, 32) in drive and (32, 31) not in drive  # roundabout
    assert (11, 21) in drive and (21, 11) in drive  # two-way
    assert (12, 22) not in drive  # footway
    assert (22, 32) not in drive  # driveway
    walk = edge_set(load_network(one_way_file(tmp_path), mode="walk", progress=False))
    assert {(12, 11), (21, 22), (32, 31), (12, 22), (22, 12), (22, 32)} <= walk
    cycle = edge_set(load_network(one_way_file(tmp_path), mode="cycle", progress=False))
    assert (11, 12) in cycle and (12, 11) not in cycle  # one-way, as osmnx's bike network
    assert (31, 32) in cycle and (32, 31) not in cycle  # roundabout
    assert (12, 22) not in cycle and (22, 12) not in cycle  # footway: not for bikes
    assert (22, 32) in cycle and (32, 22) in cycle  # a driveway can be cycled


def test_tiny_file_cycle_speed(tmp_path: Path) -> None:
    G = load_network(one_way_file(tmp_path), mode="cycle", progress=False)
    assert G.graph["mode"] == "cycle"
    assert G.graph["speed_model"]["cycle_kph"] == 16.0
    assert "Cycling: 16 km/h" in G.graph["speed_model"]["description"]
    for _, _, data in G.edges(data=True):
        assert data["speed_kph"] == 16.0  # whatever the road's limit (maxspeed=20 mph here)
        assert data["travel_time"] == data["length"] / (16.0 / 3.6)
    slow = load_network(
        one_way_file(tmp_path), mode="cycle", speeds=SpeedModel(cycle_kph=12.0), progress=False
    )
    assert slow.edges[11, 12, 0]["travel_time"] == pytest.approx(
        G.edges[11, 12, 0]["travel_time"] * 16 / 12
    )


def test_tiny_file_speeds(tmp_path: Path) -> None:
    G = load_network(
        one_way_file(tmp_path), mode="drive", speeds=SpeedModel.free_flow(), progress=False
    )
    assert G.edges[11, 12, 0]["speed_kph"] == pytest.approx(20 * MPH)
    assert G.edges[11, 21, 0]["speed_kph"] == pytest.approx(30 * MPH)  # unclassified default
    assert G.edges[13, 23, 0]["speed_kph"] == pytest.approx(60 * MPH)  # national, single
    assert G.edges[31, 32, 0]["speed_kph"] == pytest.approx(40 * MPH)  # tertiary default
    assert G.graph["speed_model"]["realism_factor"] == 1.0


def test_junction_delay(tmp_path: Path) -> None:
    path = one_way_file(tmp_path)
    plain = load_network(path, mode="drive", progress=False)
    delayed = load_network(
        path, mode="drive", speeds=SpeedModel(junction_delay_s=5.0), progress=False
    )
    delays = []
    for u, v, k, data in delayed.edges(keys=True, data=True):
        extra = data["travel_time"] - plain.edges[u, v, k]["travel_time"]
        junction = delayed.nodes[v]["street_count"] >= 3
        assert extra == pytest.approx(5.0 if junction else 0.0)
        delays.append(extra)
    assert 5.0 in delays and 0.0 in delays


def test_truncated_ways_keep_their_longest_run(tmp_path: Path) -> None:
    ways = [(1, [11, 12, 99, 13, 14, 15], {"highway": "residential"})]
    nodes = {
        11: (-1.42, 53.23),
        12: (-1.419, 53.23),
        13: (-1.418, 53.23),
        14: (-1.417, 53.23),
        15: (-1.416, 53.23),
    }
    G = load_network(write_osm(tmp_path / "cut.osm", nodes, ways), mode="drive", progress=False)
    assert set(G.nodes) == {13, 14, 15}


def test_graphml_without_speeds_gets_them(tmp_path: Path) -> None:
    raw = ox.graph_from_xml(one_way_file(tmp_path), simplify=False)
    ox.save_graphml(raw, tmp_path / "raw.graphml")
    G = load_network(tmp_path / "raw.graphml", mode="drive", progress=False)
    for _, _, data in G.edges(data=True):
        assert data["travel_time"] == data["length"] / (data["speed_kph"] / 3.6)
    assert G.graph["mode"] == "drive"
    # an explicit speed model recomputes the stored times
    again = save_network(G, tmp_path / "again.graphml")
    free = load_network(again, mode="drive", speeds=SpeedModel.free_flow(), progress=False)
    u, v, k = next(iter(G.edges(keys=True)))
    assert free.edges[u, v, k]["speed_kph"] == pytest.approx(G.edges[u, v, k]["speed_kph"] / 0.8)


def test_add_travel_times_on_a_plain_graph() -> None:
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_edge(1, 2, length=1000.0, highway="residential")
    G.add_edge(2, 1, length=1000.0, highway="motorway")
    add_travel_times(G, mode="drive", speeds=SpeedModel.free_flow())
    assert G.edges[1, 2, 0]["travel_time"] == 1000.0 / (30 * MPH / 3.6)
    assert G.edges[2, 1, 0]["speed_kph"] == 70 * MPH
    add_travel_times(G, mode=Mode.WALK)
    assert G.edges[1, 2, 0]["travel_time"] == 1000.0 / (4.8 / 3.6) == 750.0
    G.add_edge(3, 4, highway="residential")
    with pytest.raises(NetworkError, match="length"):
        add_travel_times(G, mode="drive")


# --------------------------------------------------------------------------------------------
# download and cache
# --------------------------------------------------------------------------------------------

AREA = box(-1.4205, 53.2295, -1.416, 53.232)


@pytest.fixture
def fake_overpass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """Replace osmnx's download with a small graph built from the tiny file; count the calls."""
    calls: list[dict[str, Any]] = []
    source = one_way_file(tmp_path)

    def graph_from_polygon(polygon: Any, **kwargs: Any) -> nx.MultiDiGraph:
        calls.append({"polygon": polygon, **kwargs})
        return ox.graph_from_xml(
            source, bidirectional=kwargs["network_type"] == "walk", simplify=False, retain_all=True
        )

    monkeypatch.setattr(ox, "graph_from_polygon", graph_from_polygon)
    monkeypatch.setattr(network, "_check_overpass_reachable", lambda: None)
    return calls


def test_download_is_cached(fake_overpass: list[dict[str, Any]], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_network(
        "overpass", mode="drive", polygon=AREA, buffer_m=1_000, cache_dir=cache, progress=False
    )
    assert len(fake_overpass) == 1
    call = fake_overpass[0]
    assert call["network_type"] == "drive"
    # the polygon sent is the study area grown by about 1 km
    assert call["polygon"].contains(AREA)
    assert not call["polygon"].contains(Point(AREA.bounds[0] - 0.02, AREA.bounds[1]))
    assert call["polygon"].contains(Point(AREA.bounds[0] - 0.012, AREA.centroid.y))
    files = list(cache.iterdir())
    key = network_cache_key(AREA, mode="drive", buffer_m=1_000)
    assert [f.name for f in files] == [f"drive-{key}.graphml"]

    second = load_network(
        "overpass", mode="drive", polygon=AREA, buffer_m=1_000, cache_dir=cache, progress=False
    )
    assert len(fake_overpass) == 1  # served from the cache
    assert sorted(second.edges(keys=True, data=True)) == sorted(first.edges(keys=True, data=True))
    assert second.graph["source"] == first.graph["source"]
    assert "Overpass" in second.graph["source"]

    # another mode, buffer or speed model is another download
    load_network(
        "overpass", mode="walk", polygon=AREA, buffer_m=1_000, cache_dir=cache, progress=False
    )
    load_network(
        "overpass", mode="drive", polygon=AREA, buffer_m=2_000, cache_dir=cache, progress=False
    )
    load_network(
        "overpass",
        mode="drive",
        polygon=AREA,
        buffer_m=1_000,
        cache_dir=cache,
        speeds=SpeedModel.free_flow(),
        progress=False,
    )
    assert len(fake_overpass) == 4
    assert len(list(cache.iterdir())) == 4


def test_damaged_cache_is_downloaded_again(
    fake_overpass: list[dict[str, Any]], tmp_path: Path
) -> None:
    key = network_cache_key(AREA, mode="drive", buffer_m=0)
    cached = tmp_path / f"drive-{key}.graphml"
    cached.write_text("<not graphml")
    G = load_network(
        "overpass", mode="drive", polygon=AREA, buffer_m=0, cache_dir=tmp_path, progress=False
    )
    assert len(fake_overpass) == 1 and G.number_of_edges() > 0
    assert fake_overpass[0]["polygon"].equals(AREA)  # buffer_m=0: the study area itself
    again = load_network(
        "overpass", mode="drive", polygon=AREA, buffer_m=0, cache_dir=tmp_path, progress=False
    )
    assert len(fake_overpass) == 1  # the damaged file was replaced by a good one
    assert again.number_of_edges() == G.number_of_edges()


def test_cache_key_is_stable() -> None:
    key = network_cache_key(AREA, mode="drive", buffer_m=10_000)
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == network_cache_key(AREA, mode=Mode.DRIVE)
    nudged = box(-1.4205 + 1e-8, 53.2295, -1.416, 53.232)
    assert key == network_cache_key(nudged, mode="drive")  # below the 1e-6 degree rounding
    assert key != network_cache_key(AREA, mode="walk")
    assert key != network_cache_key(AREA, mode="drive", buffer_m=5_000)
    assert key != network_cache_key(AREA, mode="drive", speeds=SpeedModel.free_flow())
    assert key != network_cache_key(AREA, mode="drive", simplify=True)
    assert key != network_cache_key(box(-1.43, 53.2295, -1.416, 53.232), mode="drive")
    # the same key in a fresh interpreter with another hash seed
    code = (
        "from shapely.geometry import box; from centrereach.network import network_cache_key; "
        "print(network_cache_key(box(-1.4205, 53.2295, -1.416, 53.232), mode='drive'))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == key


def test_no_internet_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import requests

    def offline(*args: Any, **kwargs: Any) -> None:
        msg = "Failed to resolve 'overpass-api.de'"
        raise requests.exceptions.ConnectionError(msg)

    monkeypatch.setattr(ox, "graph_from_polygon", offline)
    monkeypatch.setattr(network, "_check_overpass_reachable", lambda: None)
    with pytest.raises(NetworkUnavailableError) as info:
        load_network("overpass", mode="drive", polygon=AREA, cache_dir=tmp_path, progress=False)
    message = str(info.value)
    assert "derbyshire-latest.osm.pbf" in message
    assert "--network drive=PATH" in message
    assert "internet" in message
    assert isinstance(info.value, FileNotFoundError)
    assert list(tmp_path.iterdir()) == []  # nothing cached


def test_unreachable_server_fails_fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import socket

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("[Errno -2] Name or service not known")

    def never(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - must not be reached
        raise AssertionError("osmnx must not be called when the server is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ox, "graph_from_polygon", never)
    with pytest.raises(NetworkUnavailableError, match="--network walk=PATH"):
        load_network("overpass", mode="walk", polygon=AREA, cache_dir=tmp_path, progress=False)


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkUnavailableError, match="does not exist") as info:
        load_network(tmp_path / "derbyshire-latest.osm.pbf", mode="drive", progress=False)
    assert isinstance(info.value, FileNotFoundError)
    assert "--network drive=PATH" in str(info.value)


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "roads.shp"
    path.write_text("x")
    with pytest.raises(NetworkError, match=r"\.osm\.pbf"):
        load_network(path, mode="drive", progress=False)


def test_empty_network(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "paths.osm", GRID, [(1, [11, 12, 13], {"highway": "footway"})])
    with pytest.raises(NetworkError, match="no drive network"):
        load_network(path, mode="drive", progress=False)
    assert load_network(path, mode="walk", progress=False).number_of_edges() == 4
    nothing = write_osm(tmp_path / "nothing.osm", GRID, [(1, [11, 12], {"building": "yes"})])
    with pytest.raises(NetworkError, match="no walk network"):
        load_network(nothing, mode="walk", progress=False)


def test_corrupt_files(tmp_path: Path) -> None:
    bad_pbf = tmp_path / "bad.osm.pbf"
    bad_pbf.write_bytes(b"\x00\x01 this is not a pbf" * 10)
    with pytest.raises(NetworkError, match="cannot read"):
        load_network(bad_pbf, mode="drive", progress=False)
    bad_graphml = tmp_path / "bad.graphml"
    bad_graphml.write_text("<graphml><oops")
    with pytest.raises(NetworkError, match="cannot read the GraphML"):
        load_network(bad_graphml, mode="drive", progress=False)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="polygon"):
        load_network("download", mode="drive", progress=False)
    with pytest.raises(NetworkError, match="EPSG:4326"):
        load_network(
            "download",
            mode="drive",
            polygon=box(400_000, 300_000, 410_000, 310_000),
            progress=False,
        )
    # the enum is the one list of modes; every mode but transit has a network
    choices = " or ".join(repr(m.value) for m in Mode if m is not Mode.TRANSIT)
    with pytest.raises(ValueError, match=f"unknown travel mode 'bike': use {choices}"):
        load_network(one_way_file(tmp_path), mode="bike", progress=False)
    assert issubclass(NetworkError, CentrereachError)


def test_mode_enum() -> None:
    assert Mode("drive") is Mode.DRIVE and Mode.WALK.value == "walk"
    assert "drive" in {Mode.DRIVE}
    assert isinstance(Mode.DRIVE, str)
    assert [m.value for m in Mode] == ["drive", "walk", "transit", "cycle"]
