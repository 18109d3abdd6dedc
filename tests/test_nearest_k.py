"""The k nearest centres without the full matrix: exactly what the full matrix says.

Three levels, each against the exact answer of the full matrix (one Dijkstra search per centre):

* the compiled kernels (:mod:`centrereach._kernels`) against :func:`scipy.sparse.csgraph.dijkstra`
  on random graphs (hypothesis): the k nearest sources, their times to the bit, ties in source
  order; the nearest open centre of the fallback search;
* :meth:`Router.nearest_k` and :meth:`NearestCentres.scenario` against :meth:`Router.matrix`
  and :func:`nearest_centre` on random networks with random access legs, k and closures, on
  hand-made ties, and on the real Chesterfield and Rutland networks (drive and walk);
* :meth:`Router.nearest`, which switches to the k nearest when the matrix would be too large.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from centrereach import traveltime
from centrereach._kernels import k_nearest_sources, nearest_open, repair_open
from centrereach.errors import NetworkError, SnapWarning, UnknownCentreError, UnreachableWarning
from centrereach.netarrays import load_network_arrays
from centrereach.traveltime import NearestCentres, Router, nearest_centre

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LON0, LAT0, STEP = -1.45, 53.23, 0.002


# --------------------------------------------------------------------------------------------
# random graphs
# --------------------------------------------------------------------------------------------


@st.composite
def csr_graphs(draw: st.DrawFn, *, whole: bool = False) -> csr_array:
    """A random directed graph: whole seconds (many ties, zeros) or any seconds."""
    n = draw(st.integers(2, 30))
    m = draw(st.integers(1, 4 * n))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    if whole or draw(st.booleans()):
        w = np.array(draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)), dtype=float)
    else:
        w = np.array(draw(st.lists(st.floats(0, 1000, allow_nan=False), min_size=m, max_size=m)))
    keep = u != v
    # the quickest of parallel edges, as centrereach's CSR keeps it
    frame = pd.DataFrame({"u": u[keep], "v": v[keep], "w": w[keep]}).groupby(["u", "v"]).min()
    rows = frame.index.get_level_values(0).to_numpy()
    cols = frame.index.get_level_values(1).to_numpy()
    A = csr_array((frame["w"].to_numpy(), (rows, cols)), shape=(n, n))
    A.sort_indices()
    return A


def assert_nearest_labels(
    got_sources: list[int], got_seconds: list[float], full: np.ndarray, node: int,
    offsets: np.ndarray, eligible: np.ndarray, k: int, *, whole: bool,
) -> None:  # fmt: skip
    """The labels of one node are its k nearest sources (by path + offset) of the full search.

    Their keys (path + offset) are the k smallest; each path time is the full search's, to the
    bit; the sources are those of the full search in (key, source) order, except that a source
    may stand for another whose key ties with the k-th (a tie that float rounding can decide
    either way along a pruned path). Such a stand-in's key is its own path + offset, which can
    be one unit in the last place off the k-th key (the search adds offset then edges, the
    reference adds the edges then the offset: 7.25 + 2.2e-16 + 1e-5 is 7.25001, 7.25 +
    (2.2e-16 + 1e-5) is 7.2500100000000005), so keys agree to a few units in the last place.
    With whole-second weights there is no rounding: keys to the bit, and no exception.
    """
    key = np.where(eligible, full[:, node] + offsets, np.inf)
    order = [int(s) for s in np.lexsort((np.arange(key.size), key)) if np.isfinite(key[s])][:k]
    assert len(got_sources) == len(order) and len(set(got_sources)) == len(got_sources)
    got_keys = [got_seconds[j] + offsets[c] for j, c in enumerate(got_sources)]
    if whole:
        assert got_keys == key[order].tolist()  # the k smallest keys, in order, to the bit
    else:  # the k smallest keys, in order, to a few units in the last place
        np.testing.assert_allclose(got_keys, key[order], rtol=4 * np.finfo(float).eps, atol=0)
    assert got_seconds == full[got_sources, node].tolist()  # each source's own path time
    last = key[order[-1]] if order else np.inf
    for j, source in enumerate(got_sources):
        if whole or key[order[j]] < last:
            assert source == order[j]


@st.composite
def whole_graphs(draw: st.DrawFn) -> csr_array:
    return draw(csr_graphs(whole=True))


@PROPERTY
@given(A=st.one_of(csr_graphs(), whole_graphs()), data=st.data())
def test_kernel_gives_the_k_nearest_sources_of_the_full_search(A: csr_array, data: Any) -> None:
    n = A.shape[0]
    n_src = data.draw(st.integers(1, n + 3))
    one_each = {"min_size": n_src, "max_size": n_src}
    sources = np.array(data.draw(st.lists(st.integers(0, n - 1), **one_each)))
    offsets = np.array(data.draw(st.lists(st.sampled_from([0.0, 30.0, 60.0, 7.25]), **one_each)))
    targets = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1))))
    k = data.draw(st.integers(1, 5))
    seconds, found, count, *_ = k_nearest_sources(
        A.indptr, A.indices, A.data, sources, offsets, targets, k
    )
    full = dijkstra(A, directed=True, indices=sources)  # (sources, nodes), one search each
    whole = bool(np.all(A.data == np.round(A.data)))
    for row, node in enumerate(targets):
        m = int(count[row])
        assert_nearest_labels(found[row, :m].tolist(), seconds[row, :m].tolist(), full, node,
                              offsets, np.ones(n_src, dtype=bool), k, whole=whole)  # fmt: skip
        assert (found[row, m:] == -1).all() and np.isinf(seconds[row, m:]).all()


@PROPERTY
@given(A=csr_graphs(), data=st.data())
def test_fallback_search_gives_the_nearest_open_centres(A: csr_array, data: Any) -> None:
    n = A.shape[0]
    n_c = data.draw(st.integers(1, 8))
    nodes = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=n_c, max_size=n_c)))
    one_each = {"min_size": n_c, "max_size": n_c}
    centre_min = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.25]), **one_each)))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n_c, max_size=n_c)))
    starts = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6)))
    origin_min = np.full(starts.size, 0.75)
    times, found = nearest_open(A.indptr, A.indices, A.data, starts, origin_min, nodes,
                                centre_min, mask)  # fmt: skip
    matrix = dijkstra(A, directed=True, indices=starts)[:, nodes] / 60.0
    matrix = matrix + origin_min[:, None] + centre_min[None, :]
    labels = [f"c{i}" for i in range(n_c)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachableWarning)
        expected = nearest_centre(pd.DataFrame(matrix, columns=labels), mask)
    assert times[:, 0].tolist() == expected["time_min"].tolist()
    assert times[:, 1].tolist() == expected["second_time_min"].tolist()
    ids = np.array([None, *labels], dtype=object)
    assert ids[found[:, 0] + 1].tolist() == expected["centre_id"].tolist()
    assert ids[found[:, 1] + 1].tolist() == expected["second_centre_id"].tolist()


@PROPERTY
@given(A=st.one_of(csr_graphs(), whole_graphs()), data=st.data())
def test_repair_gives_the_two_nearest_open_sources_of_the_full_search(
    A: csr_array, data: Any
) -> None:
    n = A.shape[0]
    n_src = data.draw(st.integers(1, n + 3))
    one_each = {"min_size": n_src, "max_size": n_src}
    sources = np.array(data.draw(st.lists(st.integers(0, n - 1), **one_each)))
    offsets = np.array(data.draw(st.lists(st.sampled_from([0.0, 30.0, 7.25]), **one_each)))
    mask = np.array(data.draw(st.lists(st.booleans(), **one_each)))
    targets = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8)))
    k = data.draw(st.integers(1, 4))
    R = A.T.tocsr()  # the labels are found on the reversed graph, from the sources
    R.sort_indices()
    labels = k_nearest_sources(R.indptr, R.indices, R.data, sources, offsets, [0], k,
                               keep_nodes=True)  # fmt: skip
    seconds, found, _ = repair_open(
        (A.indptr, A.indices, A.data), (R.indptr, R.indices, R.data), labels, k, sources,
        offsets, mask, targets,
    )  # fmt: skip
    full = dijkstra(R, directed=True, indices=sources)  # (sources, nodes): node -> source
    whole = bool(np.all(A.data == np.round(A.data)))
    for row, node in enumerate(targets):
        m = int((found[row] >= 0).sum())
        assert_nearest_labels(found[row, :m].tolist(), seconds[row, :m].tolist(), full, node,
                              offsets, mask, 2, whole=whole)  # fmt: skip
        assert (found[row, m:] == -1).all()


def test_repair_tie_decided_by_rounding() -> None:
    """Hypothesis found it: the second-nearest open source ties in the search's arithmetic.

    Edges 0->2 (1e-5 s), 1->0 (0 s), 2->1 (2.2e-16 s); source 0 at node 1 and source 1 at node 2,
    both 7.25 s away from their nodes; source 8 at node 0. Seen from node 0, sources 0 and 1
    are both 7.25001 s away when the offset is added first (the search), and one unit in the
    last place apart when it is added last (the full matrix). Either answer is exact to that
    unit; the path time of the source given is exactly its own.
    """
    A = csr_array(([1e-05, 0.0, 2.220446049250313e-16], ([0, 1, 2], [2, 0, 1])), shape=(13, 13))
    A.sort_indices()
    R = A.T.tocsr()
    R.sort_indices()
    sources = np.array([1, 2, 0, 0, 0, 0, 0, 0, 0])
    offsets = np.array([7.25, 7.25, 0, 0, 0, 0, 0, 0, 0])
    mask = np.array([True, True, False, False, False, False, False, False, True])
    labels = k_nearest_sources(R.indptr, R.indices, R.data, sources, offsets, [0], 1,
                               keep_nodes=True)  # fmt: skip
    seconds, found, _ = repair_open(
        (A.indptr, A.indices, A.data), (R.indptr, R.indices, R.data), labels, 1, sources,
        offsets, mask, np.array([0]),
    )  # fmt: skip
    full = dijkstra(R, directed=True, indices=sources)
    assert found[0, 0] == 8 and seconds[0, 0] == 0.0  # the nearest: at the node itself
    assert found[0, 1] in (0, 1)  # the tie, decided by rounding
    assert seconds[0, 1] == full[found[0, 1], 0]  # its own path time, to the bit
    assert_nearest_labels(found[0].tolist(), seconds[0].tolist(), full, 0, offsets, mask, 2,
                          whole=False)  # fmt: skip


# --------------------------------------------------------------------------------------------
# routers: k nearest and scenarios against the full matrix
# --------------------------------------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn) -> nx.MultiDiGraph:
    """A random road network on a small grid of places (a ring keeps it strongly connected)."""
    side = draw(st.integers(2, 5))
    n = side * side
    G = nx.MultiDiGraph(crs="epsg:4326", mode=draw(st.sampled_from(["drive", "walk"])))
    for i in range(n):
        G.add_node(i, x=LON0 + STEP * (i % side), y=LAT0 + STEP * (i // side))
    seconds = st.sampled_from([0.0, 30.0, 60.0, 60.0, 90.0, 120.0, 45.5])
    for i in range(n):  # a one-way ring through every node
        G.add_edge(i, (i + 1) % n, travel_time=draw(seconds))
    for _ in range(draw(st.integers(0, 3 * n))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b:
            G.add_edge(a, b, travel_time=draw(seconds))
    return G


def _points(prefix: str, lon: list[float], lat: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        index=pd.Index([f"{prefix}{i}" for i in range(len(lon))], name=prefix),
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


@st.composite
def places(draw: st.DrawFn, prefix: str, side: int = 5, most: int = 12) -> gpd.GeoDataFrame:
    """Points on or near the grid's places (so access legs vary, and some tie exactly)."""
    count = draw(st.integers(1, most))
    cells = draw(st.lists(st.integers(0, side * side - 1), min_size=count, max_size=count))
    nudge = st.sampled_from([0.0, 0.0, 0.0003, -0.0002])
    lon = [LON0 + STEP * (c % side) + draw(nudge) for c in cells]
    lat = [LAT0 + STEP * (c // side) + draw(nudge) for c in cells]
    return _points(prefix, lon, lat)


TOLERANCE_MIN = 1e-9


def assert_same_scenario(
    got: pd.DataFrame, expected: pd.DataFrame, matrix: pd.DataFrame, open_mask: Any
) -> None:
    """The answer of nearest_centre on the full matrix.

    Times agree to 1e-9 minutes: an origin searched again (forwards, from the origin) adds up
    its path in the other order than the matrix's search from each centre, which can move the
    last bit. Where the ids differ, the centre given must be open and as near, in the matrix,
    as the one expected (to the same 1e-9 minutes): an exact tie, decided by the last bit.
    """
    assert list(got.columns) == list(expected.columns)
    assert got.index.equals(expected.index)
    is_open = pd.Series(np.asarray(open_mask, dtype=bool), index=matrix.columns)
    for time_col, id_col in (("time_min", "centre_id"), ("second_time_min", "second_centre_id")):
        np.testing.assert_allclose(got[time_col], expected[time_col], rtol=0, atol=TOLERANCE_MIN)
        assert (got[id_col].isna() == expected[id_col].isna()).all()
        for origin in got.index[got[id_col].notna() & (got[id_col] != expected[id_col])]:
            centre = got.loc[origin, id_col]
            assert is_open[centre], (origin, centre)
            gap = abs(matrix.loc[origin, centre] - expected.loc[origin, time_col])
            assert gap <= TOLERANCE_MIN, (origin, centre, gap)
    both = got["centre_id"].notna() & got["second_centre_id"].notna()
    assert (got.loc[both, "centre_id"] != got.loc[both, "second_centre_id"]).all()


@PROPERTY
@given(
    G=networks(),
    origins=places("o"),
    centres=places("c"),
    k=st.integers(2, 6),
    data=st.data(),
)
def test_nearest_k_and_scenarios_equal_the_full_matrix(
    G: nx.MultiDiGraph, origins: gpd.GeoDataFrame, centres: gpd.GeoDataFrame, k: int, data: Any
) -> None:
    router = Router(G)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        matrix = router.matrix(origins, centres)
        near = router.nearest_k(origins, centres, k=k)
    # each list is the k smallest entries of the matrix row, in the row's order
    values = matrix.to_numpy()
    order = np.lexsort((np.tile(np.arange(values.shape[1]), (values.shape[0], 1)), values))
    top = min(k, values.shape[1])
    expected_times = np.take_along_axis(values, order, axis=1)[:, :top]
    if len(centres) <= len(origins):
        # the matrix searched from every centre, as the k nearest do: the same sums, to the bit
        assert near.times_min.to_numpy()[:, :top].tolist() == expected_times.tolist()
        expected_ids = np.asarray(matrix.columns, dtype=object)[order[:, :top]]
        assert near.centre_ids.to_numpy()[:, :top].tolist() == expected_ids.tolist()
    np.testing.assert_allclose(
        near.times_min.to_numpy()[:, :top], expected_times, rtol=0, atol=TOLERANCE_MIN
    )
    assert near.centre_ids.iloc[:, top:].isna().all().all()
    # any set of open centres: the answer of the full matrix, whether the origins the lists
    # cannot answer get one search each or one repair search together
    few = data.draw(st.sampled_from([0, 1000]))
    for _ in range(4):
        open_mask = np.array(
            data.draw(st.lists(st.booleans(), min_size=len(centres), max_size=len(centres)))
        )
        with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
            warnings.simplefilter("ignore", UnreachableWarning)
            patch.setattr(traveltime, "_FEW_SEARCHES", few)
            expected = nearest_centre(matrix, open_mask)
            got = near.scenario(open_mask)
        assert_same_scenario(got, expected, matrix, open_mask)


def _line(n: int, seconds: float = 60.0) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="epsg:4326", mode="drive")
    for i in range(n):
        G.add_node(i, x=LON0 + STEP * i, y=LAT0)
    for i in range(n - 1):
        G.add_edge(i, i + 1, travel_time=seconds)
        G.add_edge(i + 1, i, travel_time=seconds)
    return G


def test_ties_beyond_the_list_are_searched_exactly() -> None:
    # Home in the middle of a street, centres in pairs at equal distances either side: with
    # k = 3 the third centre ties with the fourth, which the list leaves out.
    G = _line(7)
    home = _points("h", [LON0 + STEP * 3], [LAT0])
    nodes = [2, 4, 1, 5, 0, 6]  # 1, 1, 2, 2, 3, 3 minutes away
    centres = _points("c", [LON0 + STEP * i for i in nodes], [LAT0] * 6)
    router = Router(G)
    near = router.nearest_k(home, centres, k=3)
    assert near.times_min.iloc[0].tolist() == [1.0, 1.0, 2.0]
    assert near.centre_ids.iloc[0].tolist() == ["c0", "c1", "c2"]
    matrix = router.matrix(home, centres)
    for few in (0, 1000):  # one repair search, or one search per origin
        for open_ids in (["c1", "c3"], ["c2", "c3"], ["c3", "c2", "c5"], ["c0", "c3"],
                         ["c4", "c5"]):  # fmt: skip
            # whole minutes add up exactly in any order: the very same table
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(traveltime, "_FEW_SEARCHES", few)
                got = near.scenario(open_ids)
            pd.testing.assert_frame_equal(got, nearest_centre(matrix, open_ids), check_exact=True)
    assert near.fallbacks(["c0", "c1"]).tolist() == [False]  # 1 and 1 < 2: certain
    assert near.fallbacks(["c0", "c2"]).tolist() == [True]  # runner-up ties the k-th
    assert near.fallbacks(["c3"]).tolist() == [True]  # nothing open in the list
    assert near.scenario(["c0", "c1"]).attrs["fallbacks"] == 0
    assert near.scenario(["c4", "c5"]).attrs["fallbacks"] == 1


def test_short_lists_are_complete() -> None:
    # Fewer centres than k: every list holds every centre, and no scenario needs a search.
    G = _line(4)
    router = Router(G)
    homes = _points("h", [LON0, LON0 + STEP * 3], [LAT0, LAT0])
    centres = _points("c", [LON0 + STEP, LON0 + STEP * 2], [LAT0, LAT0])
    near = router.nearest_k(homes, centres, k=5)
    assert near.times_min.to_numpy()[:, 2:].tolist() == [[np.inf] * 3] * 2
    assert not near.fallbacks(["c1"]).any()
    with pytest.warns(UnreachableWarning, match="2 of 2 origins reach no open centre"):
        none_open = near.scenario([])
    assert none_open["centre_id"].isna().all() and np.isinf(none_open["time_min"]).all()
    pd.testing.assert_frame_equal(
        near.scenario(["c1"]), nearest_centre(router.matrix(homes, centres), ["c1"])
    )


def test_unreachable_centres_from_custom_snaps() -> None:
    # Snap tables may name nodes outside the strong component: such an origin reaches nothing.
    G = _line(3)
    G.add_node(9, x=LON0 + STEP * 9, y=LAT0)
    G.add_edge(9, 2, travel_time=60.0)  # 9 reaches the street, nothing comes back
    router = Router(G)
    homes = _points("h", [LON0, LON0 + STEP * 9], [LAT0, LAT0])
    centres = _points("c", [LON0 + STEP * 9, LON0 + STEP * 2], [LAT0, LAT0])
    snaps = {
        "origin_snap": pd.DataFrame({"node": [0, 9], "access_min": [0.0, 0.0]}, index=homes.index),
        "destination_snap": pd.DataFrame(
            {"node": [9, 2], "access_min": [0.5, 0.0]}, index=centres.index
        ),
    }
    near = router.nearest_k(homes, centres, k=2, **snaps)
    matrix = router.matrix(homes, centres, **snaps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachableWarning)
        for open_ids in (None, ["c0"], ["c1"]):
            pd.testing.assert_frame_equal(
                near.scenario(open_ids), nearest_centre(matrix, open_ids), check_exact=True
            )


def test_router_nearest_skips_the_matrix_when_it_would_be_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    G = _line(9, seconds=45.0)
    router = Router(G)
    homes = _points("h", [LON0 + STEP * i + 0.0001 for i in range(9)], [LAT0] * 9)
    centres = _points("c", [LON0 + STEP * i for i in (0, 3, 4, 8)], [LAT0] * 4)
    expected = {key: router.nearest(homes, centres, open=key) for key in (None, ("c1", "c3"))}
    called: list[int] = []
    original = Router._nearest_k

    def spy(self: Router, *args: Any, **kwargs: Any) -> NearestCentres:
        called.append(kwargs["k"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(traveltime, "MAX_MATRIX_ENTRIES", 10)
    monkeypatch.setattr(Router, "_nearest_k", spy)
    for key, table in expected.items():
        got = router.nearest(homes, centres, open=key)
        pd.testing.assert_frame_equal(got, table, check_exact=True)
    assert called == [traveltime.DEFAULT_K] * 2


def test_nearest_k_errors() -> None:
    G = _line(3)
    homes = _points("h", [LON0], [LAT0])
    centres = _points("c", [LON0 + STEP], [LAT0])
    with pytest.raises(ValueError, match="k must be a whole number >= 2"):
        Router(G).nearest_k(homes, centres, k=1)
    with pytest.raises(NetworkError, match="weight=None"):
        Router(G, weight=None).nearest_k(homes, centres)
    near = Router(G).nearest_k(homes, centres, k=2)
    with pytest.raises(UnknownCentreError, match="nowhere"):
        near.scenario(["nowhere"])
    assert repr(near) == "NearestCentres(origins=1, centres=1, k=2)"
    assert list(near.origins) == ["h0"] and list(near.centres) == ["c0"] and near.k == 2
    with pytest.raises(ValueError, match="read-only"):
        near._times[0, 0] = 0.0


def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    G = _line(3)
    Router(G).nearest_k(_points("h", [LON0], [LAT0]), _points("c", [LON0], [LAT0]), progress=True)
    assert "nearest centres" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# the real extracts
# --------------------------------------------------------------------------------------------

EXTRACTS = {
    "chesterfield": ("chesterfield-2018-05-21.osm.pbf", (-1.53, 53.20, -1.39, 53.27)),
    "rutland": ("rutland-2018-02-27.osm.pbf", (-0.80, 52.53, -0.45, 52.75)),
}


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["drive", "walk"])
@pytest.mark.parametrize("place", sorted(EXTRACTS))
def test_real_networks_k_nearest_equal_the_full_matrix(
    shared_data: Path, place: str, mode: str
) -> None:
    name, (lon0, lat0, lon1, lat1) = EXTRACTS[place]
    arrays = load_network_arrays(shared_data / "osm" / name, mode=mode, cache=False,
                                 progress=False)  # fmt: skip
    router = Router(arrays)
    rng = np.random.default_rng(len(place) + len(mode))
    origins = _points("o", list(rng.uniform(lon0, lon1, 300)), list(rng.uniform(lat0, lat1, 300)))
    centres = _points("c", list(rng.uniform(lon0, lon1, 40)), list(rng.uniform(lat0, lat1, 40)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        matrix = router.matrix(origins, centres)
        near = router.nearest_k(origins, centres, k=5)
    values = matrix.to_numpy()
    assert near.times_min.to_numpy().tolist() == np.sort(values, axis=1)[:, :5].tolist()
    fallbacks = 0
    assert traveltime._FEW_SEARCHES < 300  # heavy closures take the repair search
    for closing in (0, 12, 28, 37):  # of the 40 centres
        open_mask = np.ones(len(centres), dtype=bool)
        open_mask[rng.permutation(len(centres))[:closing]] = False
        got = near.scenario(open_mask)
        expected = nearest_centre(matrix, open_mask)
        assert_same_scenario(got, expected, matrix, open_mask)
        # the origins answered from their lists: the matrix's own numbers, to the bit
        listed = ~near.fallbacks(open_mask)
        assert got[listed].equals(expected[listed])
        fallbacks += got.attrs["fallbacks"]
    assert fallbacks > 0  # the closures that empty the lists were searched exactly
