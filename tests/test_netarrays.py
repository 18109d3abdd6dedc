"""Network arrays built straight from OpenStreetMap files are the graph path's network, exactly.

Identity is checked three ways: the arrays of :func:`load_network_arrays` against the arrays of
the graph :func:`load_network` builds (every node id, coordinate, CSR entry, time and length
equal, on both real extracts, both modes, clipped and not, with and without junction delays,
and on random OSM files made by hypothesis); routers built from either answer identically; and
the two real studies give the same matrices whether their networks go through arrays (the
runner's path now) or through networkx graphs (its path before).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from _helpers import write_osm
from centrereach import run as run_module
from centrereach.errors import (
    CoverageWarning,
    ModeSkippedWarning,
    NetworkError,
    NetworkUnavailableError,
    SnapWarning,
)
from centrereach.netarrays import (
    NetworkArrays,
    load_network_arrays,
    network_arrays_key,
)
from centrereach.network import SpeedModel, load_network
from centrereach.study import Study
from centrereach.traveltime import Router

ROOT = Path(__file__).resolve().parents[1]
EXTRACTS = {
    "chesterfield": ("chesterfield-2018-05-21.osm.pbf", box(-1.45, 53.22, -1.40, 53.25)),
    "rutland": ("rutland-2018-02-27.osm.pbf", box(-0.75, 52.60, -0.70, 52.65)),
}
FIELDS = ("node_ids", "lon", "lat", "indptr", "indices", "travel_time_s", "length_m")


def assert_same_network(got: NetworkArrays, expected: NetworkArrays) -> None:
    """Every array equal to the bit, and the same counts, mode, speed model and source."""
    for name in FIELDS:
        a, b = getattr(got, name), getattr(expected, name)
        assert a.dtype.kind == b.dtype.kind, name
        np.testing.assert_array_equal(a, b, err_msg=name, strict=False)
    assert (got.n_nodes, got.n_edges) == (expected.n_nodes, expected.n_edges)
    assert (got.mode, got.source) == (expected.mode, expected.source)
    assert got.speed_model == expected.speed_model


# --------------------------------------------------------------------------------------------
# the real extracts
# --------------------------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("clipped", [False, True], ids=["whole", "clipped"])
@pytest.mark.parametrize("mode", ["drive", "walk", "cycle"])
@pytest.mark.parametrize("place", sorted(EXTRACTS))
def test_real_extract_arrays_equal_the_graph_path(
    shared_data: Path, place: str, mode: str, clipped: bool
) -> None:
    name, area = EXTRACTS[place]
    kwargs: dict[str, Any] = {"polygon": area, "buffer_m": 1_000} if clipped else {}
    path = shared_data / "osm" / name
    arrays = load_network_arrays(path, mode=mode, cache=False, progress=False, **kwargs)
    graph = load_network(path, mode=mode, progress=False, **kwargs)
    assert_same_network(arrays, NetworkArrays.from_graph(graph))
    assert arrays.n_nodes == graph.number_of_nodes() and arrays.n_edges == graph.number_of_edges()
    assert arrays.source_path == str(path)


@pytest.mark.shared_data
def test_junction_delays_match_on_a_real_extract(shared_data: Path) -> None:
    path = shared_data / "osm" / EXTRACTS["chesterfield"][0]
    speeds = SpeedModel(junction_delay_s=4.0, realism_factor=0.9)
    arrays = load_network_arrays(path, mode="drive", speeds=speeds, cache=False, progress=False)
    graph = load_network(path, mode="drive", speeds=speeds, progress=False)
    assert_same_network(arrays, NetworkArrays.from_graph(graph))
    plain = load_network_arrays(path, mode="drive", cache=False, progress=False)
    assert not np.array_equal(arrays.travel_time_s, plain.travel_time_s)


@pytest.mark.shared_data
@pytest.mark.parametrize("mode", ["drive", "walk", "cycle"])
def test_router_from_arrays_answers_as_the_router_from_the_graph(
    shared_data: Path, mode: str
) -> None:
    path = shared_data / "osm" / EXTRACTS["rutland"][0]
    graph = load_network(path, mode=mode, progress=False)
    from_graph = Router(graph)
    from_arrays = Router.from_arrays(load_network_arrays(path, mode=mode, cache=False,
                                                         progress=False))  # fmt: skip
    rng = np.random.default_rng(5)
    lon = rng.uniform(-0.75, -0.50, 60)
    lat = rng.uniform(52.56, 52.72, 60)
    points = gpd.GeoDataFrame(
        index=pd.Index([f"p{i}" for i in range(60)], name="id"),
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        pd.testing.assert_frame_equal(from_arrays.snap(points), from_graph.snap(points))
        pd.testing.assert_frame_equal(
            from_arrays.matrix(points, points.iloc[:7]),
            from_graph.matrix(points, points.iloc[:7]),
            check_exact=True,
        )
    assert (from_arrays.n_nodes, from_arrays.n_edges, from_arrays.source) == (
        from_graph.n_nodes,
        from_graph.n_edges,
        from_graph.source,
    )
    assert from_arrays.graph is None and from_graph.arrays is None


def _graph_path_study(toml: str, shared: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a study with the runner's file networks read as networkx graphs (its old path)."""

    def as_graph(path: Path, **kwargs: Any) -> nx.MultiDiGraph:
        graph = load_network(path, **kwargs)
        graph.graph["source_path"] = str(path)
        return graph

    with monkeypatch.context() as patch:
        patch.setattr(run_module, "load_network_arrays", as_graph)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoverageWarning)
            warnings.simplefilter("ignore", SnapWarning)
            warnings.simplefilter("ignore", ModeSkippedWarning)  # no timetables: no transit
            return Study.from_toml(ROOT / "studies" / toml).run(data_dir=shared, progress=False)


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("study", ["rutland-example", "chesterfield-2024"])
def test_studies_give_the_graph_path_matrices(
    study: str,
    shared_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    arrays_result = request.getfixturevalue(
        "rutland_result" if study.startswith("rutland") else "chesterfield_result"
    )
    graph_result = _graph_path_study(f"{study}.toml", shared_data, monkeypatch)
    # transit is skipped (no timetables in the study files): every road network is compared
    assert arrays_result.modes == graph_result.modes == ("drive", "walk", "cycle")
    for mode in arrays_result.modes:
        got, expected = arrays_result.matrices[mode], graph_result.matrices[mode]
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=0, atol=1e-9)
        assert np.isfinite(got.to_numpy()).all()
    pd.testing.assert_frame_equal(arrays_result.table, graph_result.table)
    for mode, record in arrays_result.provenance["networks"].items():
        assert record == graph_result.provenance["networks"][mode]


# --------------------------------------------------------------------------------------------
# random OpenStreetMap files (hypothesis)
# --------------------------------------------------------------------------------------------

HIGHWAYS = ["residential", "primary", "motorway", "footway", "service", "track", "unclassified",
            "trunk", "steps", "living_street", "cycleway", "bridleway"]  # fmt: skip
ONEWAYS = [None, "yes", "-1", "no", "reverse", "1", "true"]
MAXSPEEDS = [None, "30 mph", "50", "national", "GB:nsl_dual", "20 mph;30 mph", "walk", "fast"]
JUNCTIONS = [None, "roundabout", "circular"]
EXTRAS = [{}, {"access": "private"}, {"area": "yes"}, {"service": "driveway"}, {"foot": "no"},
          {"maxspeed:type": "GB:nsl_single"}, {"motor_vehicle": "no"},
          {"bicycle": "no"}]  # fmt: skip


@st.composite
def osm_files(draw: st.DrawFn) -> tuple[dict[int, tuple[float, float]], list[Any]]:
    """Random nodes on a small grid (some missing from the file) and random ways over them."""
    side = draw(st.integers(3, 6))
    ids = [1000 + i for i in range(side * side)]
    nodes = {
        node: (-1.42 + 0.001 * (i % side), 53.23 + 0.0007 * (i // side))
        for i, node in enumerate(ids)
    }
    missing = draw(st.sets(st.sampled_from(ids), max_size=3))
    ways = []
    for way_id in range(draw(st.integers(1, 12))):
        refs = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=7))
        if draw(st.booleans()):  # a repeated node (collapsed) or a loop
            refs = [*refs, refs[-1]] if draw(st.booleans()) else [*refs, refs[0]]
        tags: dict[str, str] = {"highway": draw(st.sampled_from(HIGHWAYS))}
        for key, choices in (("oneway", ONEWAYS), ("maxspeed", MAXSPEEDS),
                             ("junction", JUNCTIONS)):  # fmt: skip
            value = draw(st.sampled_from(choices))
            if value is not None:
                tags[key] = value
        tags.update(draw(st.sampled_from(EXTRAS)))
        ways.append((50 + way_id, refs, tags))
    return {k: v for k, v in nodes.items() if k not in missing}, ways


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=osm_files(),
    mode=st.sampled_from(["drive", "walk", "cycle"]),
    delay=st.sampled_from([0.0, 3.0]),
    clip=st.booleans(),
)
def test_random_files_arrays_equal_the_graph_path(
    tmp_path: Path, data: tuple[dict[int, tuple[float, float]], list[Any]], mode: str,
    delay: float, clip: bool,
) -> None:  # fmt: skip
    nodes, ways = data
    path = write_osm(tmp_path / "random.osm", nodes, ways)
    kwargs: dict[str, Any] = {"speeds": SpeedModel(junction_delay_s=delay)}
    if clip:  # the south-west corner of the grid only
        kwargs |= {"polygon": box(-1.4205, 53.2295, -1.4185, 53.2312), "buffer_m": 0}
    try:
        graph = load_network(path, mode=mode, progress=False, **kwargs)
    except NetworkError as err:
        with pytest.raises(NetworkError, match="holds no"):
            load_network_arrays(path, mode=mode, cache=False, progress=False, **kwargs)
        assert "holds no" in str(err)
        return
    arrays = load_network_arrays(path, mode=mode, cache=False, progress=False, **kwargs)
    assert_same_network(arrays, NetworkArrays.from_graph(graph))


def test_ways_cut_by_the_extract_keep_their_longest_run(tmp_path: Path) -> None:
    nodes = {11: (-1.42, 53.23), 12: (-1.419, 53.23), 13: (-1.418, 53.23),
             14: (-1.417, 53.23), 15: (-1.416, 53.23)}  # fmt: skip
    path = write_osm(tmp_path / "cut.osm", nodes, [(1, [11, 12, 99, 13, 14, 15],
                                                     {"highway": "residential"})])  # fmt: skip
    arrays = load_network_arrays(path, mode="drive", cache=False, progress=False)
    assert arrays.node_ids.tolist() == [13, 14, 15]
    assert arrays.csr().nnz == 4  # two-way: 13-14, 14-15


# --------------------------------------------------------------------------------------------
# the cache
# --------------------------------------------------------------------------------------------


def _grid_file(tmp_path: Path) -> Path:
    nodes = {10 * r + c: (-1.42 + 0.001 * c, 53.23 + 0.001 * r) for r in range(3) for c in range(3)}
    ways = [(1, [0, 1, 2], {"highway": "residential", "oneway": "yes"}),
            (2, [0, 10, 20, 21, 22], {"highway": "primary"}),
            (3, [2, 12, 22, 21, 11, 1], {"highway": "tertiary"})]  # fmt: skip
    return write_osm(tmp_path / "grid.osm", nodes, ways)


def test_the_cache_is_read_the_second_time(tmp_path: Path) -> None:
    path = _grid_file(tmp_path)
    cache = tmp_path / "cache"
    first = load_network_arrays(path, mode="drive", cache_dir=cache, progress=False)
    assert first.cache_path is not None and first.cache_path.parent == cache
    stamp = first.cache_path.stat().st_mtime_ns
    second = load_network_arrays(path, mode="drive", cache_dir=cache, progress=False)
    assert second.cache_path == first.cache_path
    assert first.cache_path.stat().st_mtime_ns == stamp  # read, not written again
    assert_same_network(second, first)
    # another speed model, mode or clip is another file
    load_network_arrays(path, mode="drive", speeds=SpeedModel.free_flow(), cache_dir=cache,
                        progress=False)  # fmt: skip
    load_network_arrays(path, mode="walk", cache_dir=cache, progress=False)
    load_network_arrays(path, mode="walk", cache_dir=cache, polygon=box(-1.421, 53.229, -1.419,
                        53.231), buffer_m=100, progress=False)  # fmt: skip
    assert len(list(cache.glob("*.npz"))) == 4
    # an edited extract has another checksum: built afresh
    path.write_text(path.read_text().replace('"primary"', '"residential"'))
    changed = load_network_arrays(path, mode="drive", cache_dir=cache, progress=False)
    assert changed.cache_path != first.cache_path
    assert not np.array_equal(changed.travel_time_s, first.travel_time_s)


def test_a_cached_network_names_the_file_read_now(tmp_path: Path) -> None:
    """The cache is keyed by content: the same extract elsewhere (another clone, a moved data
    folder, another name) is served from it, but provenance names the file this run read."""
    first_path = _grid_file(tmp_path)
    cache = tmp_path / "cache"
    first = load_network_arrays(first_path, mode="drive", cache_dir=cache, progress=False)
    assert first.source_path == str(first_path) and first.source.startswith("grid.osm (")
    moved = tmp_path / "elsewhere" / "derbyshire-latest.osm"
    moved.parent.mkdir()
    moved.write_bytes(first_path.read_bytes())
    first_path.unlink()
    again = load_network_arrays(moved, mode="drive", cache_dir=cache, progress=False)
    assert again.cache_path == first.cache_path  # served from the cache, not built again
    assert again.source_path == str(moved)
    assert again.source == first.source.replace("grid.osm", "derbyshire-latest.osm", 1)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name), err_msg=name)


def test_a_damaged_cache_file_is_built_again(tmp_path: Path) -> None:
    path = _grid_file(tmp_path)
    first = load_network_arrays(path, mode="walk", cache_dir=tmp_path, progress=False)
    assert first.cache_path is not None
    first.cache_path.write_bytes(b"damaged")
    again = load_network_arrays(path, mode="walk", cache_dir=tmp_path, progress=False)
    assert_same_network(again, first)
    assert NetworkArrays.load(first.cache_path).n_nodes == first.n_nodes  # rewritten


def test_key_depends_on_every_input() -> None:
    base = network_arrays_key("0" * 64, mode="drive")
    others = [
        network_arrays_key("1" * 64, mode="drive"),
        network_arrays_key("0" * 64, mode="walk"),
        network_arrays_key("0" * 64, mode="drive", speeds=SpeedModel(junction_delay_s=1)),
        network_arrays_key("0" * 64, mode="drive", polygon=box(0, 50, 1, 51)),
        network_arrays_key("0" * 64, mode="drive", polygon=box(0, 50, 1, 51), buffer_m=5),
    ]
    assert len({base, *others}) == 6


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    arrays = load_network_arrays(_grid_file(tmp_path), mode="drive", cache=False, progress=False)
    out = arrays.save(tmp_path / "sub" / "net.npz")
    back = NetworkArrays.load(out)
    assert_same_network(back, arrays)
    assert back.cache_path == out and back.source_path == arrays.source_path
    assert back.nbytes == arrays.nbytes > 0


# --------------------------------------------------------------------------------------------
# routers and errors
# --------------------------------------------------------------------------------------------


def test_router_from_arrays_of_the_synthetic_graph() -> None:
    from centrereach.synthetic import synthetic_inputs

    inputs = synthetic_inputs(n_side=12, cells=3)
    for graph in inputs["networks"].values():
        by_graph = Router(graph)
        by_arrays = Router(NetworkArrays.from_graph(graph))
        areas = inputs["areas"]
        points = gpd.GeoDataFrame(
            index=areas.index,
            geometry=gpd.points_from_xy(areas["origin_lon"], areas["origin_lat"]),
            crs=4326,
        )
        pd.testing.assert_frame_equal(
            by_arrays.matrix(points, inputs["centres"]),
            by_graph.matrix(points, inputs["centres"]),
            check_exact=True,
        )
        assert repr(by_arrays) == repr(by_graph)
        lon, lat = by_arrays.lonlat
        assert np.array_equal(lon, by_graph.lonlat[0]) and np.array_equal(lat, by_graph.lonlat[1])


def test_length_weighted_router_from_arrays() -> None:
    G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    G.add_node(1, x=-1.43, y=53.23)
    G.add_node(2, x=-1.42, y=53.23)
    G.add_edge(1, 2, travel_time=10.0, length=800.0)
    G.add_edge(1, 2, travel_time=20.0, length=700.0)
    G.add_edge(2, 1, travel_time=10.0, length=800.0)
    arrays = NetworkArrays.from_graph(G)
    assert Router(arrays, weight="length").csr.toarray().tolist() == [[0.0, 700.0], [800.0, 0.0]]
    with pytest.raises(NetworkError, match="not 'speed'"):
        Router(arrays, weight="speed")
    with pytest.raises(TypeError, match="needs NetworkArrays"):
        Router.from_arrays(G)  # type: ignore[arg-type]


Bad = Callable[[dict[str, Any]], None]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update(lon=np.zeros(1)), "one value per node"),
        (lambda a: a.update(indptr=np.array([0, 1])), "n_nodes \\+ 1"),
        (lambda a: a.update(indices=np.array([5], dtype=np.int32)), "must lie in 0..1"),
        (lambda a: a.update(travel_time_s=np.array([-1.0])), "finite seconds >= 0"),
        (lambda a: a.update(length_m=np.array([1.0, 2.0])), "one value per edge"),
    ],
)
def test_inconsistent_arrays_are_refused(change: Bad, message: str) -> None:
    fields: dict[str, Any] = {
        "node_ids": np.array([1, 2]), "lon": np.zeros(2), "lat": np.zeros(2),
        "indptr": np.array([0, 1, 1]), "indices": np.array([1], dtype=np.int32),
        "travel_time_s": np.array([3.0]), "length_m": np.array([4.0]), "mode": "walk",
        "speed_model": {}, "source": "by hand",
    }  # fmt: skip
    change(fields)
    with pytest.raises(NetworkError, match=message):
        NetworkArrays(**fields)


def test_graphs_that_cannot_become_arrays() -> None:
    G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    G.add_node("a", x=0.0, y=0.0)
    with pytest.raises(NetworkError, match="integer node ids"):
        NetworkArrays.from_graph(G)
    projected = nx.MultiDiGraph(crs="epsg:27700", mode="walk")
    projected.add_node(1, x=0.0, y=0.0)
    with pytest.raises(NetworkError, match="project_graph"):
        NetworkArrays.from_graph(projected)
    no_time = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    no_time.add_edge(1, 2, length=3.0)
    nx.set_node_attributes(no_time, 0.0, "x")
    nx.set_node_attributes(no_time, 0.0, "y")
    with pytest.raises(NetworkError, match="no valid 'travel_time'"):
        NetworkArrays.from_graph(no_time)


@settings(max_examples=60, deadline=None)
@given(
    edges=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 5),
            st.floats(0.0, 500.0, allow_nan=False),
            st.floats(0.0, 900.0, allow_nan=False),
        ),
        max_size=30,
    )
)
def test_from_edges_is_from_graph_of_the_same_edges(
    edges: list[tuple[int, int, float, float]],
) -> None:
    """Any edge list (self-loops, parallel edges, isolated nodes): the arrays of the graph."""
    ids = [101, 102, 103, 104, 105, 106]
    G = nx.MultiDiGraph(crs="epsg:4326", mode="walk", source="edges")
    for i, node in enumerate(ids):
        G.add_node(node, x=-1.43 + 0.001 * i, y=53.23)
    for a, b, t, m in edges:
        G.add_edge(ids[a], ids[b], travel_time=t, length=m)
    expected = NetworkArrays.from_graph(G)
    got = NetworkArrays.from_edges(
        ids, [-1.43 + 0.001 * i for i in range(6)], [53.23] * 6,
        tails=[e[0] for e in edges], heads=[e[1] for e in edges],
        travel_time_s=[e[2] for e in edges], length_m=[e[3] for e in edges],
        mode="walk", source="edges",
    )  # fmt: skip
    assert_same_network(got, expected)


def test_edge_lists_that_cannot_become_arrays() -> None:
    one = {"node_ids": [1, 2], "lon": [0.0, 0.1], "lat": [52.0, 52.0], "mode": "walk"}
    with pytest.raises(NetworkError, match="differ in length: 2 tails, 1 heads"):
        NetworkArrays.from_edges(**one, tails=[0, 1], heads=[1], travel_time_s=[1, 1],
                                 length_m=[1, 1])  # fmt: skip
    with pytest.raises(NetworkError, match=r"edge 1 starts at node position -1.*1 edge\(s\)"):
        NetworkArrays.from_edges(**one, tails=[0, -1], heads=[1, 0], travel_time_s=[1, 1],
                                 length_m=[1, 1])  # fmt: skip
    with pytest.raises(NetworkError, match="travel_time_s must be finite seconds >= 0"):
        NetworkArrays.from_edges(**one, tails=[0], heads=[1], travel_time_s=[-5.0],
                                 length_m=[1.0])  # fmt: skip


def test_missing_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(NetworkUnavailableError, match="does not exist"):
        load_network_arrays(tmp_path / "none.osm.pbf", mode="drive", progress=False)
    (tmp_path / "roads.txt").write_text("x")
    with pytest.raises(NetworkError, match="cannot tell the format"):
        load_network_arrays(tmp_path / "roads.txt", mode="drive", progress=False)
    (tmp_path / "broken.osm.pbf").write_bytes(b"not a pbf at all")
    with pytest.raises(NetworkError, match="cannot read the OpenStreetMap file"):
        load_network_arrays(tmp_path / "broken.osm.pbf", mode="drive", cache=False,
                            progress=False)  # fmt: skip


def test_graphml_goes_through_the_graph(tmp_path: Path) -> None:
    from centrereach.network import save_network

    G = load_network(_grid_file(tmp_path), mode="drive", progress=False)
    out = save_network(G, tmp_path / "grid.graphml")
    arrays = load_network_arrays(out, mode="drive", progress=False)
    assert arrays.source_path == str(out)
    np.testing.assert_allclose(
        arrays.travel_time_s, NetworkArrays.from_graph(G).travel_time_s, rtol=1e-12
    )


def test_replace_keeps_arrays_frozen() -> None:
    arrays = NetworkArrays(node_ids=np.array([1]), lon=np.zeros(1), lat=np.zeros(1),
                           indptr=np.array([0, 0]), indices=np.zeros(0, np.int32),
                           travel_time_s=np.zeros(0), length_m=np.zeros(0), mode="walk",
                           speed_model={}, source="one node")  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        arrays.mode = "drive"  # type: ignore[misc]
