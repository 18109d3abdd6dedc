"""Tests of the travel-time engine on graphs small enough to check by hand.

The 5 × 5 grid (node id = 5 * row + col; rows go north, columns go east, 0.001° apart):

    20 - 21 - 22 - 23 = 24 - 99      horizontal edges 10 s each way, vertical edges 20 s each way
    |    |    |    |    |            except:
    15 - 16 - 17 - 18 - 19           * 12 -> 13 is one-way (eastbound): no 13 -> 12
    |    |    |    |    |            * 0 -> 1 has a parallel edge of 4 s (the quicker one counts),
    10 - 11 - 12 > 13 - 14             1 -> 0 a parallel edge of 50 s (the 10 s one counts)
    |    |    |    |    |            * 24 -> 23 takes 0 s (a zero-weight edge)
     5 -  6 -  7 -  8 -  9           * 99 hangs off 24 by a one-way edge 24 -> 99 (30 s): it is not
    |    |    |    |    |              in the largest strongly connected component
     0 =  1 -  2 -  3 -  4

Every expected time below is worked out by hand in a comment, not by the code under test.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from centrereach import traveltime
from centrereach.errors import (
    DataFormatError,
    DuplicateIdError,
    InvalidCoordinateError,
    NetworkError,
    SnapWarning,
    UnknownCentreError,
    UnreachableWarning,
)
from centrereach.traveltime import (
    ACCESS_SPEED_KPH,
    SNAP_WARNING_M,
    Router,
    csr_from_graph,
    largest_strong_component,
    nearest_centre,
    node_matrix,
    snap,
    travel_time_matrix,
)

LON0, LAT0, STEP = -1.45, 53.23, 0.001
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def grid(mode: str = "walk") -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="epsg:4326", mode=mode)
    for r in range(5):
        for c in range(5):
            G.add_node(5 * r + c, x=LON0 + STEP * c, y=LAT0 + STEP * r)
    for r in range(5):
        for c in range(5):
            n = 5 * r + c
            if c < 4:
                if n != 23:  # 23 <-> 24 is added below with its zero-weight direction
                    G.add_edge(n, n + 1, travel_time=10.0, length=67.0)
                if n != 12:  # 13 -> 12 is missing: a one-way street
                    G.add_edge(n + 1, n, travel_time=10.0, length=67.0)
            if r < 4:
                G.add_edge(n, n + 5, travel_time=20.0, length=111.0)
                G.add_edge(n + 5, n, travel_time=20.0, length=111.0)
    G.add_edge(23, 24, travel_time=10.0, length=67.0)
    G.add_edge(24, 23, travel_time=0.0, length=67.0)
    G.add_edge(0, 1, travel_time=4.0, length=67.0)  # parallel, quicker
    G.add_edge(1, 0, travel_time=50.0, length=67.0)  # parallel, slower
    G.add_node(99, x=LON0 + STEP * 4.5, y=LAT0 + STEP * 4)
    G.add_edge(24, 99, travel_time=30.0, length=33.0)
    return G


def node_lonlat(n: int) -> tuple[float, float]:
    r, c = divmod(n, 5)
    return LON0 + STEP * c, LAT0 + STEP * r


def points_at(nodes: dict[str, int], name: str = "id") -> gpd.GeoDataFrame:
    """Points placed exactly on grid nodes (lon/lat)."""
    xy = [node_lonlat(n) for n in nodes.values()]
    return gpd.GeoDataFrame(
        index=pd.Index(list(nodes), name=name),
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs="EPSG:4326",
    )


# ---------------------------------------------------------------------------------------------
# The array core
# ---------------------------------------------------------------------------------------------


def test_csr_takes_min_of_parallel_edges_and_keeps_zero_weights() -> None:
    csr, nodes = csr_from_graph(grid())
    pos = {n: i for i, n in enumerate(nodes)}
    dense = csr.toarray()
    assert dense[pos[0], pos[1]] == 4.0  # min(10, 4)
    assert dense[pos[1], pos[0]] == 10.0  # min(10, 50)
    assert dense[pos[13], pos[12]] == 0.0 and dense[pos[12], pos[13]] == 10.0
    # 24 -> 23 is stored as an explicit zero (an edge), not dropped.
    row = slice(csr.indptr[pos[24]], csr.indptr[pos[24] + 1])
    stored = dict(zip(csr.indices[row].tolist(), csr.data[row].tolist(), strict=True))
    assert stored[pos[23]] == 0.0
    # 5x5 grid: 2 * (20 + 20) directed street edges, minus 13 -> 12, plus 24 -> 99.
    assert csr.nnz == 80 - 1 + 1


def test_largest_strong_component_excludes_dead_end() -> None:
    csr, nodes = csr_from_graph(grid(), None)
    mask = largest_strong_component(csr)
    assert set(nodes[~mask]) == {99}
    assert mask.sum() == 25


def test_node_matrix_hand_values_both_directions() -> None:
    csr, nodes = csr_from_graph(grid())
    p = {n: i for i, n in enumerate(nodes)}
    # 0 -> 24: 0 -> 1 by the 4 s parallel edge, 3 x 10 s east, 4 x 20 s north = 114 s.
    # 24 -> 0: 24 -> 23 is 0 s, 3 x 10 s west, 4 x 20 s south = 110 s.
    # 13 -> 12: no direct edge; 13 -> 18 -> 17 -> 12 = 20 + 10 + 20 = 50 s.  12 -> 13: 10 s.
    # 14 -> 11: 13 -> 12 is blocked, so leave row 2: e.g. 14 -> 9 -> 8 -> 7 -> 6 -> 11 =
    #           20 + 10 + 10 + 10 + 20 = 70 s.
    # 24 -> 23: 0 s.   99 -> anything else: unreachable (inf).
    origins = [p[0], p[24], p[13], p[12], p[14], p[24], p[99]]
    dests = [p[24], p[0], p[12], p[13], p[11], p[23], p[0]]
    expected = [114.0, 110.0, 50.0, 10.0, 70.0, 0.0, math.inf]
    # Several origins, few destinations (backward runs) and the converse (forward runs).
    full = node_matrix(csr, origins, dests)
    assert np.diag(full).tolist() == expected
    for o, d, e in zip(origins, dests, expected, strict=True):
        assert node_matrix(csr, [o], [d, d, p[0]])[0, 0] == e  # forward (1 origin)
        assert node_matrix(csr, [o, o, p[4]], [d])[0, 0] == e  # backward (1 destination)


def test_node_matrix_empty_and_bad_positions() -> None:
    csr, _ = csr_from_graph(grid())
    assert node_matrix(csr, [], [1, 2]).shape == (0, 2)
    assert node_matrix(csr, [1], []).shape == (1, 0)
    with pytest.raises(IndexError):
        node_matrix(csr, [1000], [1])


def test_csr_errors() -> None:
    with pytest.raises(NetworkError, match="empty"):
        csr_from_graph(nx.MultiDiGraph(crs="epsg:4326", mode="walk"))
    G = grid()
    del G[3][4][0]["travel_time"]
    with pytest.raises(NetworkError, match=r"3→4"):
        csr_from_graph(G)
    G = grid()
    G[3][4][0]["travel_time"] = -1.0
    with pytest.raises(NetworkError, match="negative"):
        csr_from_graph(G)
    csr, _ = csr_from_graph(G, None)  # structure only: weights are not read
    assert csr.nnz == 80


# ---------------------------------------------------------------------------------------------
# Snapping
# ---------------------------------------------------------------------------------------------


def test_snap_exactly_on_nodes() -> None:
    pts = points_at({"a": 0, "b": 12, "c": 24})
    s = snap(grid(), pts)
    assert s.index.equals(pts.index) and s.index.name == "id"
    assert s["node"].tolist() == [0, 12, 24]
    assert s["snap_m"].max() < 1e-6
    assert s["access_min"].max() < 1e-6


@pytest.mark.parametrize(("mode", "speed"), [("walk", 4.8), ("drive", 20.0)])
def test_snap_off_node_known_access_leg(mode: str, speed: float) -> None:
    # A point 60 m due south of node 0 (in British National Grid metres): nodes are ~67 m apart
    # east-west and ~111 m north-south, so node 0 is nearest, 60 m away.
    e, n = TO_BNG.transform(*node_lonlat(0))
    pts = gpd.GeoDataFrame(
        index=pd.Index(["south"]), geometry=gpd.points_from_xy([e], [n - 60.0]), crs=27700
    )
    s = snap(grid(mode), pts)
    assert s.loc["south", "node"] == 0
    assert s.loc["south", "snap_m"] == pytest.approx(60.0, abs=1e-6)
    # 60 m at 4.8 km/h = 0.06 km / 4.8 km/h * 60 = 0.75 min; at 20 km/h = 0.18 min.
    assert s.loc["south", "access_min"] == pytest.approx({"walk": 0.75, "drive": 0.18}[mode])
    assert ACCESS_SPEED_KPH[mode] == speed
    # An explicit speed wins: 60 m at 6 km/h = 0.6 min.
    assert snap(grid(mode), pts, access_speed_kph=6.0).loc["south", "access_min"] == (
        pytest.approx(0.6)
    )


def test_snap_uses_largest_strong_component_only() -> None:
    # A point exactly on node 99 (which can never get back) snaps to 24, 0.0005° (~33 m) west.
    pts = gpd.GeoDataFrame(
        index=["dead-end"],
        geometry=gpd.points_from_xy([LON0 + STEP * 4.5], [LAT0 + STEP * 4]),
        crs=4326,
    )
    s = snap(grid(), pts)
    assert s.loc["dead-end", "node"] == 24
    assert 30 < s.loc["dead-end", "snap_m"] < 36


def test_snap_warns_on_far_points_naming_them() -> None:
    e, n = TO_BNG.transform(*node_lonlat(4))
    pts = gpd.GeoDataFrame(
        index=pd.Index(["near", "far-away"]),
        geometry=gpd.points_from_xy([e, e + 2000.0], [n, n]),
        crs=27700,
    )
    with pytest.warns(SnapWarning, match=r"far-away \(2,000 m\)") as record:
        s = snap(grid(), pts)
    assert "near" not in str(record[0].message)
    assert record[0].filename == __file__  # stacklevel points at the caller
    assert s.loc["far-away", "node"] == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        snap(grid(), pts, max_snap_m=None)
        snap(grid(), pts, max_snap_m=2500.0)


def test_snap_errors() -> None:
    pts = points_at({"a": 0})
    with pytest.raises(NetworkError, match="empty"):
        snap(nx.MultiDiGraph(crs="epsg:4326", mode="walk"), pts)
    G = grid()
    del G.graph["mode"]
    with pytest.raises(NetworkError, match="access_speed_kph"):
        snap(G, pts)
    assert snap(G, pts, access_speed_kph=4.8)["node"].tolist() == [0]
    G = grid()
    del G.graph["crs"]
    with pytest.raises(NetworkError, match="CRS"):
        snap(G, pts)
    with pytest.raises(ValueError, match="positive"):
        snap(grid(), pts, access_speed_kph=0)

    broken = gpd.GeoDataFrame(
        index=pd.Index(["ok", "nowhere", "blank"]),
        geometry=[pts.geometry.iloc[0], None, gpd.GeoSeries.from_wkt(["POINT EMPTY"]).iloc[0]],
        crs=4326,
    )
    with pytest.raises(InvalidCoordinateError, match="nowhere, blank"):
        snap(grid(), broken)
    with pytest.raises(InvalidCoordinateError, match="no CRS"):
        snap(grid(), pts.set_crs(None, allow_override=True))
    poly = gpd.GeoDataFrame(index=["area"], geometry=list(pts.to_crs(27700).buffer(10)), crs=27700)
    with pytest.raises(InvalidCoordinateError, match="not points"):
        snap(grid(), poly)
    empty = snap(grid(), pts.iloc[:0])
    assert list(empty.columns) == ["node", "snap_m", "access_min"] and len(empty) == 0


# ---------------------------------------------------------------------------------------------
# The labelled matrix
# ---------------------------------------------------------------------------------------------


def test_matrix_hand_values_with_access_legs() -> None:
    G = grid("walk")
    homes = points_at({"h0": 0, "h24": 24, "h14": 14}, name="lsoa")
    e, n = TO_BNG.transform(*node_lonlat(12))
    # Centre "west" sits 25 m due west of node 12 (nearest is 12; 11 is ~67 m west of 12).
    centres = gpd.GeoDataFrame(
        index=pd.Index(["c24", "c0", "west"], name="centre_id"),
        geometry=[
            *points_at({"c24": 24, "c0": 0}).to_crs(27700).geometry,
            gpd.points_from_xy([e - 25.0], [n])[0],
        ],
        crs=27700,
    )
    m = travel_time_matrix(G, homes, centres)
    assert m.index.name == "lsoa" and m.columns.name == "centre_id"
    assert list(m.index) == ["h0", "h24", "h14"] and list(m.columns) == ["c24", "c0", "west"]
    assert m.attrs["units"] == "min" and m.attrs["mode"] == "walk"
    # 25 m at 4.8 km/h is 0.025 / 4.8 * 60 = 0.3125 min.  Network seconds by hand:
    # 0 -> 24 = 114 s; 0 -> 0 = 0; 0 -> 12 = 4 + 10 + 2 * 20 = 54 s
    # 24 -> 24 = 0; 24 -> 0 = 110 s; 24 -> 12 = 24 -> 23 -> 22 (0 + 10) then 2 x 20 s = 50 s
    # 14 -> 24 = 2 x 20 = 40 s; 14 -> 0 = 4 x 10 + 2 x 20 = 80 s (e.g. 14 -> 9 -> 4 -> 0);
    # 14 -> 12 = 70 s (see test_node_matrix_hand_values_both_directions, 14 -> 11 detour,
    #            then 11 -> 12 is 10 s, but 14 -> 13 -> 8 -> 7 -> 12 = 10 + 20 + 10 + 20 = 60 s)
    expected = np.array(
        [
            [114 / 60, 0.0, 54 / 60 + 0.3125],
            [0.0, 110 / 60, 50 / 60 + 0.3125],
            [40 / 60, 80 / 60, 60 / 60 + 0.3125],
        ]
    )
    np.testing.assert_allclose(m.to_numpy(), expected, atol=1e-6)


def test_matrix_one_way_direction_is_home_to_centre() -> None:
    G = grid()
    # Home at 13, centre at 12: 13 -> 12 is not allowed, detour 50 s. The reverse trip is 10 s.
    m = travel_time_matrix(G, points_at({"home": 13}), points_at({"centre": 12}))
    assert m.iloc[0, 0] == pytest.approx(50 / 60, abs=1e-9)
    m = travel_time_matrix(G, points_at({"home": 12}), points_at({"centre": 13}))
    assert m.iloc[0, 0] == pytest.approx(10 / 60, abs=1e-9)


def test_matrix_with_precomputed_snaps_and_unreachable() -> None:
    G = grid()
    homes = points_at({"h0": 0, "stuck": 24})
    centres = points_at({"c": 4})
    o_snap = snap(G, homes, access_speed_kph=1.0)
    o_snap.loc["stuck", "node"] = 99  # a user-made snap onto the dead end
    m = travel_time_matrix(G, homes, centres, origin_snap=o_snap.iloc[::-1])
    # 0 -> 4: 4 + 3 x 10 = 34 s
    assert m.loc["h0", "c"] == pytest.approx(34 / 60, abs=1e-9)
    assert m.loc["stuck", "c"] == math.inf
    with pytest.warns(UnreachableWarning, match="stuck"):
        nc = nearest_centre(m)
    assert nc.loc["stuck", "centre_id"] is None and nc.loc["stuck", "time_min"] == math.inf
    assert nc.loc["h0", "centre_id"] == "c"
    with pytest.raises(DataFormatError, match="no row"):
        travel_time_matrix(G, homes, centres, origin_snap=o_snap.iloc[:1])
    bad = o_snap.copy()
    bad.loc["h0", "node"] = 12345
    with pytest.raises(NetworkError, match="h0"):
        travel_time_matrix(G, homes, centres, origin_snap=bad)


def test_matrix_empty_sides_and_bad_crs() -> None:
    homes, centres = points_at({"a": 0}), points_at({"c": 4})
    assert travel_time_matrix(grid(), homes.iloc[:0], centres).shape == (0, 1)
    assert travel_time_matrix(grid(), homes, centres.iloc[:0]).shape == (1, 0)
    G = grid()
    G.graph["crs"] = "not-a-crs"
    with pytest.raises(NetworkError, match="not-a-crs"):
        travel_time_matrix(G, homes, centres)


def test_matrix_duplicate_ids() -> None:
    homes = points_at({"a": 0})
    twice = pd.concat([homes, homes])
    with pytest.raises(DuplicateIdError, match="a"):
        travel_time_matrix(grid(), twice, homes)
    with pytest.raises(DuplicateIdError):
        travel_time_matrix(grid(), homes, twice)


def test_matrix_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    m = travel_time_matrix(grid(), points_at({"a": 0}), points_at({"c": 24}), progress=True)
    assert m.iloc[0, 0] == pytest.approx(114 / 60)
    assert "travel times" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Nearest open centre
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def small_matrix() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": [5.0, 9.0, math.inf], "b": [7.0, 3.0, math.inf], "c": [5.0, 4.0, 8.0]},
        index=pd.Index(["o1", "o2", "o3"], name="lsoa"),
    ).rename_axis(columns="centre")


def test_nearest_all_open_with_tie(small_matrix: pd.DataFrame) -> None:
    nc = nearest_centre(small_matrix)
    assert nc.index.equals(small_matrix.index)
    assert list(nc.columns) == ["time_min", "centre_id", "second_time_min", "second_centre_id"]
    # o1: a and c tie at 5 -> a (first column), then c (5); o2: b 3, c 4; o3: c 8, nothing else.
    assert nc["centre_id"].tolist() == ["a", "b", "c"]
    assert nc["time_min"].tolist() == [5.0, 3.0, 8.0]
    assert nc["second_centre_id"].tolist() == ["c", "c", None]
    assert nc["second_time_min"].tolist() == [5.0, 4.0, math.inf]


def test_nearest_open_subsets(small_matrix: pd.DataFrame) -> None:
    by_label = nearest_centre(small_matrix, ["c", "b", "b"])
    by_mask = nearest_centre(small_matrix, np.array([False, True, True]))
    by_series = nearest_centre(small_matrix, pd.Series({"b": True, "c": True, "a": False}))
    by_list_of_bools = nearest_centre(small_matrix, [False, True, True])
    for nc in (by_mask, by_series, by_list_of_bools):
        pd.testing.assert_frame_equal(nc, by_label)
    assert by_label["centre_id"].tolist() == ["c", "b", "c"]
    assert by_label["time_min"].tolist() == [5.0, 3.0, 8.0]
    with pytest.warns(UnreachableWarning, match="o3"):
        single = nearest_centre(small_matrix, ["b"])
    with pytest.warns(UnreachableWarning, match="o3"):
        pd.testing.assert_frame_equal(nearest_centre(small_matrix, "b"), single)
    assert single["centre_id"].tolist() == ["b", "b", None]
    assert single["second_centre_id"].tolist() == [None, None, None]


def test_nearest_unknown_and_empty(small_matrix: pd.DataFrame) -> None:
    with pytest.raises(UnknownCentreError, match="zz, yy"):
        nearest_centre(small_matrix, ["a", "zz", "yy"])
    with pytest.raises(UnknownCentreError, match="zz"):
        nearest_centre(small_matrix, pd.Series({"zz": True}))
    with pytest.raises(ValueError, match="one value per centre"):
        nearest_centre(small_matrix, np.array([True, False]))
    with pytest.warns(UnreachableWarning, match="3 of 3 origins"):
        nc = nearest_centre(small_matrix, [])
    assert len(nc) == 3 and nc["centre_id"].isna().all() and np.isinf(nc["time_min"]).all()


def test_nearest_rejects_nan_and_duplicate_columns(small_matrix: pd.DataFrame) -> None:
    nan = small_matrix.copy()
    nan.iloc[0, 0] = np.nan
    with pytest.raises(DataFormatError, match="NaN"):
        nearest_centre(nan)
    dup = small_matrix.set_axis(["a", "a", "c"], axis=1)
    with pytest.raises(DataFormatError, match="unique"):
        nearest_centre(dup)


# ---------------------------------------------------------------------------------------------
# Properties on random graphs and random scenarios
# ---------------------------------------------------------------------------------------------

weights = st.one_of(st.just(0.0), st.floats(0.0, 300.0, allow_nan=False))


@st.composite
def random_graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    n = draw(st.integers(2, 12))
    G = nx.MultiDiGraph(crs="epsg:4326", mode=draw(st.sampled_from(["walk", "drive"])))
    for i in range(n):
        G.add_node(
            i * 7 + 3,  # non-contiguous node ids
            x=draw(st.floats(-1.50, -1.40)),
            y=draw(st.floats(53.20, 53.26)),
        )
    ids = list(G.nodes)
    edges = draw(
        st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids), weights), max_size=4 * n)
    )
    for u, v, w in edges:
        G.add_edge(u, v, travel_time=w)
    return G


def random_points(draw: st.DrawFn, prefix: str, k: int) -> gpd.GeoDataFrame:
    xs = [draw(st.floats(-1.51, -1.39)) for _ in range(k)]
    ys = [draw(st.floats(53.19, 53.27)) for _ in range(k)]
    return gpd.GeoDataFrame(
        index=pd.Index([f"{prefix}{i}" for i in range(k)]),
        geometry=gpd.points_from_xy(xs, ys),
        crs=4326,
    )


def nx_minutes(G: nx.MultiDiGraph, o: object, d: object) -> float:
    try:
        return float(nx.shortest_path_length(G, o, d, weight="travel_time")) / 60
    except nx.NetworkXNoPath:
        return math.inf


@PROPERTY
@given(G=random_graphs(), data=st.data())
def test_matrix_equals_networkx_plus_access(G: nx.MultiDiGraph, data: st.DataObject) -> None:
    origins = random_points(data.draw, "o", data.draw(st.integers(1, 6)))
    dests = random_points(data.draw, "d", data.draw(st.integers(1, 6)))
    router = Router(G)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        m = travel_time_matrix(G, origins, dests)
        so, sd = snap(G, origins), snap(G, dests)
        # The router gives the module functions' answers to the bit, whatever it did before.
        pd.testing.assert_frame_equal(router.matrix(origins, dests), m, check_exact=True)
        pd.testing.assert_frame_equal(router.snap(origins), so, check_exact=True)
        pd.testing.assert_frame_equal(router.snap(dests), sd, check_exact=True)
        pd.testing.assert_frame_equal(router.matrix(origins, dests), m, check_exact=True)
    for o in origins.index:
        for d in dests.index:
            expected = (
                so.loc[o, "access_min"]
                + nx_minutes(G, so.loc[o, "node"], sd.loc[d, "node"])
                + sd.loc[d, "access_min"]
            )
            assert m.loc[o, d] == pytest.approx(expected, abs=1e-6)
            assert math.isfinite(m.loc[o, d])  # both ends lie in one strong component


@PROPERTY
@given(G=random_graphs(), data=st.data())
def test_node_matrix_equals_networkx_anywhere(G: nx.MultiDiGraph, data: st.DataObject) -> None:
    csr, nodes = csr_from_graph(G)
    n = len(nodes)
    o = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8))
    d = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8))
    got = node_matrix(csr, o, d)
    for i, oi in enumerate(o):
        for j, dj in enumerate(d):
            expected = nx_minutes(G, nodes[oi], nodes[dj]) * 60
            if math.isinf(expected):
                assert got[i, j] == math.inf
            else:
                assert got[i, j] == pytest.approx(expected, abs=1e-6)


def test_zero_weight_chain_is_exact() -> None:
    # a -> b -> c all 0 s, c -> d 7 s; and back d -> a 1 s. Times are exact zeros / sums.
    G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    for i, name in enumerate("abcd"):
        G.add_node(name, x=LON0 + STEP * i, y=LAT0)
    for u, v, w in [("a", "b", 0.0), ("b", "c", 0.0), ("c", "d", 7.0), ("d", "a", 1.0)]:
        G.add_edge(u, v, travel_time=w)
    csr, _ = csr_from_graph(G)
    got = node_matrix(csr, [0, 0, 0, 3], [1, 2, 3, 2])
    assert np.diag(got).tolist() == [0.0, 0.0, 7.0, 1.0]


matrices = st.integers(1, 8).flatmap(
    lambda n_cols: st.lists(
        st.lists(
            st.one_of(st.floats(0.0, 120.0), st.just(math.inf)),
            min_size=n_cols,
            max_size=n_cols,
        ),
        min_size=1,
        max_size=10,
    )
)


def as_matrix(rows: list[list[float]]) -> pd.DataFrame:
    arr = np.array(rows, dtype=float)
    return pd.DataFrame(
        arr,
        index=pd.Index([f"o{i}" for i in range(arr.shape[0])]),
        columns=pd.Index([f"c{j}" for j in range(arr.shape[1])]),
    )


@PROPERTY
@given(rows=matrices, data=st.data())
def test_closing_never_helps_opening_never_hurts(
    rows: list[list[float]], data: st.DataObject
) -> None:
    m = as_matrix(rows)
    cols = list(m.columns)
    open_ = data.draw(st.lists(st.sampled_from(cols), unique=True))
    extra = data.draw(st.sampled_from(cols))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachableWarning)
        before = nearest_centre(m, open_)
        more = nearest_centre(m, [*open_, extra])
        fewer = nearest_centre(m, [c for c in open_ if c != extra])
    assert (more["time_min"] <= before["time_min"]).all()
    assert (fewer["time_min"] >= before["time_min"]).all()
    assert (before["time_min"] <= before["second_time_min"]).all()
    expected = m[open_].min(axis=1) if open_ else pd.Series(math.inf, index=m.index)
    np.testing.assert_array_equal(before["time_min"].to_numpy(), expected.to_numpy())
    unreachable = np.isinf(before["time_min"].to_numpy())
    assert before["centre_id"][unreachable].isna().all()
    assert before["centre_id"][~unreachable].notna().all()


@PROPERTY
@given(rows=matrices, data=st.data())
def test_column_order_does_not_matter(rows: list[list[float]], data: st.DataObject) -> None:
    m = as_matrix(rows)
    perm = data.draw(st.permutations(list(m.columns)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachableWarning)
        a = nearest_centre(m)
        b = nearest_centre(m[perm])
    for col in ("time_min", "second_time_min"):
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy())
    # The chosen centre's time is the same even when ties pick another id.
    chosen = [m.loc[o, c] for o, c in b["centre_id"].items() if c is not None]
    assert chosen == [t for t in a["time_min"] if math.isfinite(t)]


def test_unreachable_origins_warn_and_are_kept() -> None:
    m = as_matrix([[math.inf, math.inf], [3.0, math.inf]])
    with pytest.warns(UnreachableWarning, match=r"1 of 2 origins.*o0") as record:
        nc = nearest_centre(m)
    assert record[0].filename == __file__
    assert list(nc.index) == ["o0", "o1"]
    assert nc.loc["o0", "centre_id"] is None and nc.loc["o1", "centre_id"] == "c0"
    assert nc.loc["o1", "second_centre_id"] is None


# ---------------------------------------------------------------------------------------------
# The Router: build once, query many
# ---------------------------------------------------------------------------------------------


def test_router_hand_values_and_metadata() -> None:
    G = grid("drive")
    G.graph["source"] = "a hand-made 5 x 5 grid"
    router = Router(G)
    assert router.graph is G and router.mode == "drive" and router.weight == "travel_time"
    # 26 nodes (the grid and 99). 83 edges, parallel ones counted: 2 x 40 street edges less
    # 13 -> 12 is 79, plus the 0 s copy of 24 -> 23, the parallel 0 -> 1 and 1 -> 0, and 24 -> 99.
    assert (router.n_nodes, router.n_edges) == (26, 83)
    assert router.source == "a hand-made 5 x 5 grid"
    assert repr(router) == "Router(mode='drive', weight='travel_time', nodes=26, edges=83)"
    assert list(router.nodes) == list(G.nodes) and router.csr.shape == (26, 26)
    # 0 -> 24 is 114 s and 24 -> 0 is 110 s (see test_node_matrix_hand_values_both_directions).
    m = router.matrix(points_at({"h0": 0, "h24": 24}), points_at({"c0": 0, "c24": 24}))
    np.testing.assert_allclose(m.to_numpy(), [[0.0, 114 / 60], [110 / 60, 0.0]], atol=1e-9)
    assert m.attrs == {"units": "min", "mode": "drive", "weight": "travel_time"}


def test_one_router_reused_equals_fresh_calls() -> None:
    """Several snaps and matrices on one router, in an order that exercises both Dijkstra
    directions and the cached reversed graph, equal fresh module calls exactly."""
    G = grid()
    router = Router(G)
    many = points_at({f"p{n}": n for n in (0, 3, 7, 12, 13, 18, 24)})
    few = points_at({"c12": 12, "c4": 4})
    e, n = TO_BNG.transform(*node_lonlat(8))
    off = gpd.GeoDataFrame(
        index=pd.Index(["off"]), geometry=gpd.points_from_xy([e + 20.0], [n - 30.0]), crs=27700
    )
    queries = [
        (many, few),  # fewer destinations: backward runs on the reversed graph
        (few, many),  # fewer origins: forward runs
        (many, many),
        (off, few),
        (many, few),  # again, after the reversed graph is cached
    ]
    for origins, destinations in queries:
        pd.testing.assert_frame_equal(
            router.matrix(origins, destinations),
            travel_time_matrix(G, origins, destinations),
            check_exact=True,
        )
    for points in (many, few, off, many):
        pd.testing.assert_frame_equal(router.snap(points), snap(G, points), check_exact=True)
        slow = router.snap(points, access_speed_kph=2.0, max_snap_m=None)
        pd.testing.assert_frame_equal(slow, snap(G, points, access_speed_kph=2.0, max_snap_m=None))
    # Precomputed snaps go through the router as through the module function.
    o_snap = router.snap(many, access_speed_kph=1.0)
    pd.testing.assert_frame_equal(
        router.matrix(many, few, origin_snap=o_snap),
        travel_time_matrix(G, many, few, origin_snap=o_snap),
        check_exact=True,
    )


def test_router_is_a_snapshot_of_the_graph() -> None:
    G = grid()
    router = Router(G)
    homes, centres = points_at({"h": 0}), points_at({"c": 24})
    before = router.matrix(homes, centres)
    G[0][1][1]["travel_time"] = 400.0  # the 4 s parallel edge becomes slow: 0 -> 24 is now 120 s
    assert travel_time_matrix(G, homes, centres).iloc[0, 0] == pytest.approx(120 / 60)
    pd.testing.assert_frame_equal(router.matrix(homes, centres), before, check_exact=True)
    assert before.iloc[0, 0] == pytest.approx(114 / 60)


@PROPERTY
@given(G=random_graphs(), data=st.data())
def test_router_nearest_equals_nearest_centre_and_networkx(
    G: nx.MultiDiGraph, data: st.DataObject
) -> None:
    origins = random_points(data.draw, "o", data.draw(st.integers(1, 5)))
    dests = random_points(data.draw, "d", data.draw(st.integers(1, 5)))
    open_ = data.draw(st.lists(st.sampled_from(list(dests.index)), unique=True, min_size=1))
    router = Router(G)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        got = router.nearest(origins, dests, open=open_)
        expected = nearest_centre(travel_time_matrix(G, origins, dests), open_)
        so, sd = snap(G, origins), snap(G, dests)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for o in origins.index:  # networkx: the smallest door-to-door time over the open centres
        best = min(
            so.loc[o, "access_min"]
            + nx_minutes(G, so.loc[o, "node"], sd.loc[d, "node"])
            + sd.loc[d, "access_min"]
            for d in open_
        )
        assert got.loc[o, "time_min"] == pytest.approx(best, abs=1e-6)


def test_router_nearest_hand_values_and_errors() -> None:
    router = Router(grid())
    homes = points_at({"h13": 13, "h0": 0})
    centres = points_at({"c12": 12, "c4": 4, "c24": 24})
    # 13 -> 12 is blocked: 50 s; 13 -> 4 = 20 + 20 + 10 = 50 s too (13 -> 8 -> 3 -> 4): a tie,
    # which goes to the first column (c12). 0 -> 4 = 4 + 30 = 34 s; 0 -> 12 = 54 s.
    nearest = router.nearest(homes, centres)
    assert nearest["centre_id"].tolist() == ["c12", "c4"]
    np.testing.assert_allclose(nearest["time_min"], [50 / 60, 34 / 60], atol=1e-9)
    np.testing.assert_allclose(nearest["second_time_min"], [50 / 60, 54 / 60], atol=1e-9)
    only_24 = router.nearest(homes, centres, open=["c24"])
    assert only_24["centre_id"].tolist() == ["c24", "c24"]
    mask = router.nearest(homes, centres, open=np.array([False, False, True]))
    pd.testing.assert_frame_equal(mask, only_24)
    with pytest.raises(UnknownCentreError, match="nowhere"):
        router.nearest(homes, centres, open=["nowhere"])
    with pytest.raises(DuplicateIdError):
        router.nearest(homes, pd.concat([centres, centres]))


def test_router_warnings_point_at_the_caller() -> None:
    G = grid()
    router = Router(G)
    e, n = TO_BNG.transform(*node_lonlat(4))
    far = gpd.GeoDataFrame(
        index=pd.Index(["far-away"]), geometry=gpd.points_from_xy([e + 2000.0], [n]), crs=27700
    )
    centres = points_at({"c": 0})
    for call in (
        lambda: router.snap(far),
        lambda: router.matrix(far, centres),
        lambda: router.nearest(far, centres),
        lambda: travel_time_matrix(G, far, centres),
    ):
        with pytest.warns(SnapWarning, match="far-away") as record:
            call()
        assert {w.filename for w in record} == {__file__}
    stuck = points_at({"stuck": 24})
    stuck_snap = router.snap(stuck)
    stuck_snap.loc["stuck", "node"] = 99  # a user-made snap onto the dead end
    with pytest.warns(UnreachableWarning, match="stuck") as record:
        router.nearest(stuck, centres, origin_snap=stuck_snap)
    assert record[0].filename == __file__


def test_router_errors() -> None:
    with pytest.raises(NetworkError, match="empty"):
        Router(nx.MultiDiGraph(crs="epsg:4326", mode="walk"))
    G = grid()
    del G[3][4][0]["travel_time"]
    with pytest.raises(NetworkError, match=r"3→4"):
        Router(G)
    snapper = Router(G, weight=None)  # no weights read: enough for snapping
    assert snapper.snap(points_at({"a": 0}))["node"].tolist() == [0]
    with pytest.raises(NetworkError, match="weight=None"):
        snapper.matrix(points_at({"a": 0}), points_at({"b": 4}))
    G = grid()
    G.graph["crs"] = "not-a-crs"
    with pytest.raises(NetworkError, match="not-a-crs"):
        Router(G)


def test_snap_warning_threshold_and_deprecated_alias() -> None:
    assert SNAP_WARNING_M == 500.0
    with pytest.warns(DeprecationWarning, match="SNAP_WARNING_M") as record:
        from centrereach.traveltime import DEFAULT_MAX_SNAP_M
    assert record[0].filename == __file__
    assert DEFAULT_MAX_SNAP_M == SNAP_WARNING_M
    assert "DEFAULT_MAX_SNAP_M" not in traveltime.__all__
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        traveltime.NO_SUCH_NAME  # noqa: B018
