"""Exact travel times from areas to centres on a road or footpath network.

Three steps:

1. :func:`snap` attaches every point (an area's population-weighted centroid, a centre) to the
   nearest node of the network's largest strongly connected component and prices the straight
   line to it as an *access leg* at a slow speed (walking 4.8 km/h; 20 km/h on the drive network).
2. :func:`travel_time_matrix` returns the origins × destinations matrix of door-to-door minutes:
   origin access leg + the shortest network travel time from home to centre (one-way streets
   respected) + destination access leg. It is exact: one Dijkstra run per distinct destination
   (on the reversed graph) or per distinct origin, whichever side is smaller, on a sparse matrix
   built once from the graph.
3. :func:`nearest_centre` answers one scenario (a set of open centres) from the matrix with pure
   array work (about 0.1 ms for 500 areas × 22 centres), so hundreds of scenarios cost nothing.

Steps 1 and 2 first turn the network into arrays (a sparse matrix, its largest strongly
connected component, a k-d tree of node coordinates). A :class:`Router` does that once and then
answers any number of :meth:`~Router.snap`, :meth:`~Router.matrix` and :meth:`~Router.nearest`
queries; :func:`snap` and :func:`travel_time_matrix` are one-off routers.

The array core (:func:`node_matrix`, :func:`csr_from_graph`) knows nothing of files, maps or
coordinates. See ``docs/method-engine.md`` for the method.

Network conventions (those of osmnx and :func:`centrereach.network.load_network`): a
``networkx.MultiDiGraph`` whose nodes carry ``x``/``y`` in ``G.graph["crs"]`` (lon/lat for
EPSG:4326), whose edges carry ``travel_time`` (seconds), and whose ``G.graph["mode"]`` is
``"drive"`` or ``"walk"``. Parallel edges count once, at their smallest weight.
"""

from __future__ import annotations

import functools
import logging
import math
import time
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, dijkstra

from centrereach._geo import BRITISH_NATIONAL_GRID
from centrereach.errors import (
    DataFormatError,
    DuplicateIdError,
    InvalidCoordinateError,
    NetworkError,
    SnapWarning,
    UnknownCentreError,
    UnreachableWarning,
)
from centrereach.netarrays import NetworkArrays
from centrereach.network import Mode, _Stages

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    from pyproj import Transformer

    from centrereach._kernels import KNearest

__all__ = [
    "ACCESS_SPEED_KPH",
    "BRITISH_NATIONAL_GRID",
    "DEFAULT_K",
    "MAX_MATRIX_ENTRIES",
    "SNAP_WARNING_M",
    "NearestCentres",
    "Router",
    "csr_from_graph",
    "largest_strong_component",
    "nearest_centre",
    "node_matrix",
    "snap",
    "travel_time_matrix",
]

logger = logging.getLogger(__name__)

ACCESS_SPEED_KPH: Final[Mapping[str, float]] = MappingProxyType(
    {Mode.WALK: 4.8, Mode.DRIVE: 20.0, Mode.CYCLE: 16.0, Mode.TRANSIT: 4.8}
)
"""Default speed (km/h) of the access leg between a point and its snapped node, per mode.

``walk``: 4.8 km/h, an adult's walking pace (3 mph), the speed of the footpath network itself.
``drive``: 20 km/h (about 12 mph), slow driving on the unmapped last stretch (estate roads,
service roads, car parks) that the drive network leaves out; see ``docs/method-engine.md``.
``cycle``: 16 km/h, the cycle network's own flat speed: that network keeps service roads and
paths, so the unmapped stretch is short. ``transit``: 4.8 km/h, because public transport
journeys start and end on foot, on the walk network (``docs/method-transit.md``).
"""

SNAP_WARNING_M: Final = 500.0
"""Snap distance (metres) above which snapping warns with a ``SnapWarning``.

A warning threshold only: the points are kept, with their straight-line access leg. (A study
*excludes* areas farther than its own ``max_snap_m``, 1,000 m by default.)
"""

_DEPRECATED_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {"DEFAULT_MAX_SNAP_M": "SNAP_WARNING_M"}
)

MAX_MATRIX_ENTRIES: Final = 50_000_000
"""Origins × destinations above which :meth:`Router.nearest` uses the ``k`` nearest
(:meth:`Router.nearest_k`) instead of a full matrix (400 MB of float64 at this size)."""

DEFAULT_K: Final = 12
"""Nearest centres kept per origin when :meth:`Router.nearest` skips the full matrix."""

_BOUNDARY_MIN = 1e-6  # minutes: a scenario's answer this close to the k-th time is re-checked
_FEW_SEARCHES = 32  # origins a scenario re-checks one search each; more: one repair search
_MAX_LISTED = 10  # ids quoted in a message before "... and N more"
_CHUNK_BYTES = 64 * 1024 * 1024  # memory for one block of Dijkstra distances

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.intp]
Points: TypeAlias = "gpd.GeoDataFrame | gpd.GeoSeries"
"""Point locations with a CRS, indexed by id: what :meth:`Router.snap` and friends take."""
OpenCentres: TypeAlias = "pd.Series | npt.NDArray[np.bool_] | Iterable[Hashable] | Hashable | None"
"""Open centres: ids, a boolean mask aligned with the centres, a boolean Series, or None (all)."""


def __getattr__(name: str) -> float:
    """Serve the deprecated names (a warning says which name replaces each)."""
    if name in _DEPRECATED_ALIASES:
        new = _DEPRECATED_ALIASES[name]
        msg = (
            f"centrereach.traveltime.{name} is deprecated: use {new} (the snap distance in "
            "metres above which snapping warns; it excludes nothing)"
        )
        warnings.warn(msg, DeprecationWarning, stacklevel=2)
        value: float = globals()[new]
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


# --------------------------------------------------------------------------------------------
# The array core: graph -> CSR, strong components, exact node-to-node matrix
# --------------------------------------------------------------------------------------------


def _listing(items: Sequence[str]) -> str:
    """Join the first few items of a list for a message (``a, b, c ... and 7 more``)."""
    shown = ", ".join(items[:_MAX_LISTED])
    extra = len(items) - _MAX_LISTED
    return f"{shown} ... and {extra} more" if extra > 0 else shown


def csr_from_graph(
    network: nx.Graph, weight: str | None = "travel_time"
) -> tuple[csr_array, pd.Index]:
    """Return the graph as a sparse adjacency matrix (CSR) and the node id of each row.

    Entry ``[i, j]`` is the weight of the edge from node ``i`` to node ``j``: the smallest over
    parallel edges. Self-loops are dropped (they never shorten a path). Edges of weight zero are
    kept as *explicitly stored zeros*, which :func:`scipy.sparse.csgraph.dijkstra` treats as
    edges of length 0 (only a *dense* input treats 0 as "no edge"); no epsilon is added, so
    times stay exact.

    Parameters
    ----------
    network : networkx.MultiDiGraph
        The network (any networkx graph with hashable, sortable-or-not node ids).
    weight : str or None, default "travel_time"
        Edge attribute holding the cost (for ``travel_time``: seconds). It must be present,
        finite and non-negative on every edge. ``None`` gives the structure only (every edge
        weighs 1.0), enough for connectivity.

    Returns
    -------
    csr : scipy.sparse.csr_array
        Square ``n_nodes × n_nodes`` matrix of float64 weights (same units as ``weight``).
    nodes : pandas.Index
        ``nodes[i]`` is the node id of row/column ``i`` (the graph's node order).

    Raises
    ------
    centrereach.errors.NetworkError
        If the graph has no nodes, or an edge lacks ``weight`` or has a negative, NaN or
        infinite value.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("a", "b", travel_time=60.0)
    0
    >>> G.add_edge("a", "b", travel_time=45.0)  # a parallel edge: the quicker one counts
    1
    >>> G.add_edge("b", "c", travel_time=0.0)  # a zero-weight edge is kept
    0
    >>> csr, nodes = csr_from_graph(G)
    >>> list(nodes), csr.toarray().tolist(), csr.nnz
    (['a', 'b', 'c'], [[0.0, 45.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], 2)
    """
    node_list = list(network.nodes)
    n = len(node_list)
    if n == 0:
        msg = "the network is empty (it has no nodes); check the area and the mode it was built for"
        raise NetworkError(msg)
    pos = dict(zip(node_list, range(n), strict=True))

    # One pass over the adjacency dicts (iterating G.edges(data=...) is several times slower on
    # large graphs). Rows come out in node order and the parallel edges of a pair (u, v) one
    # after the other, so no sorting is needed below.
    sources: list[int] = []
    counts: list[int] = []
    cols: list[int] = []
    raw: list[object] = []
    add_col, add_w = cols.append, raw.append
    multi = network.is_multigraph()
    for u, nbrs in network.adjacency():
        sources.append(pos[u])
        first_edge = len(cols)
        for v, attrs in nbrs.items():
            j = pos[v]
            for data in attrs.values() if multi else (attrs,):
                add_col(j)
                add_w(1.0 if weight is None else data.get(weight))
        counts.append(len(cols) - first_edge)
    src = np.asarray(sources, dtype=np.intp)
    row = np.repeat(src, counts)
    col = np.asarray(cols, dtype=np.intp)
    if src.size > 1 and not (np.diff(src) > 0).all():  # pragma: no cover - adjacency order
        order = np.argsort(row, kind="stable")  # keeps each pair's parallel edges together
        row, col, raw = row[order], col[order], [raw[k] for k in order]
    try:
        w = np.asarray(raw, dtype=np.float64)  # None -> nan
    except (TypeError, ValueError) as exc:
        msg = f"edge attribute '{weight}' holds values that are not numbers: {exc}"
        raise NetworkError(msg) from exc
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        where = np.flatnonzero(bad)
        examples = [f"{node_list[row[k]]}→{node_list[col[k]]} ({raw[k]!r})" for k in where]
        msg = (
            f"{len(where)} of {len(w)} edges have a missing, negative or non-finite "
            f"'{weight}': {_listing(examples)}. Add travel times (seconds) to every edge, "
            "e.g. with centrereach.network.load_network or "
            "osmnx.add_edge_speeds + osmnx.add_edge_travel_times."
        )
        raise NetworkError(msg)

    loops = row == col  # a self-loop never shortens a path
    if loops.any():
        row, col, w = row[~loops], col[~loops], w[~loops]
    # The minimum over each run of parallel edges. The CSR arrays are built directly: a
    # COO -> CSR conversion would *sum* parallel edges; nothing here drops explicit zeros.
    if w.size:
        start = np.ones(w.size, dtype=bool)
        start[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
        first = np.flatnonzero(start)
        w = np.minimum.reduceat(w, first)
        row, col = row[first], col[first]
    indptr = np.searchsorted(row, np.arange(n + 1), side="left")
    csr = csr_array((w, col, indptr), shape=(n, n))
    csr.sort_indices()  # canonical form (sorts in place, keeps explicit zeros)
    return csr, pd.Index(node_list, tupleize_cols=False)


def largest_strong_component(csr: csr_array) -> npt.NDArray[np.bool_]:
    """Return a boolean mask of the nodes in the largest strongly connected component.

    Within it every node can reach every other along the edges' directions, so every snapped
    origin reaches every snapped centre. Ties between equally large components go to the one
    holding the lowest-numbered node. Only which entries are stored matters, not their values:
    weights in seconds, minutes or metres give the same component.

    Parameters
    ----------
    csr : scipy.sparse.csr_array
        Square adjacency matrix (from :func:`csr_from_graph`).

    Returns
    -------
    numpy.ndarray of bool
        ``mask[i]`` is True when node ``i`` is in the component.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse import csr_array
    >>> # 0 <-> 1 both ways, 1 -> 2 one way only: {0, 1} is the largest strong component.
    >>> A = csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 0, 0]], dtype=float))
    >>> largest_strong_component(A).tolist()
    [True, True, False]
    """
    # Connectivity depends on which entries are stored, never on their values (a zero-weight
    # edge is an edge): run on a copy whose stored values are all 1.
    structure = csr_array((np.ones(csr.nnz), csr.indices, csr.indptr), shape=csr.shape)
    _, labels = connected_components(structure, directed=True, connection="strong")
    counts = np.bincount(labels)
    biggest = int(np.argmax(counts))  # argmax: the first label, i.e. the lowest node, on ties
    return np.asarray(labels == biggest)


def node_matrix(
    csr: csr_array,
    origin_idx: npt.ArrayLike,
    dest_idx: npt.ArrayLike,
    *,
    progress: bool = False,
) -> FloatArray:
    """Return exact shortest-path costs from every origin node to every destination node.

    Runs :func:`scipy.sparse.csgraph.dijkstra` once per *distinct* destination on the
    transposed graph (which gives the cost from every node *to* that destination, one-way
    streets respected), or once per distinct origin on the graph itself when there are fewer
    distinct origins than destinations. Either way the answer is the exact shortest path.

    Parameters
    ----------
    csr : scipy.sparse.csr_array
        Square adjacency matrix, entry ``[i, j]`` the cost of the edge ``i → j`` (explicit
        zeros are zero-cost edges), e.g. from :func:`csr_from_graph`.
    origin_idx, dest_idx : array-like of int
        Row positions (not node ids) of the origins and destinations; repeats are allowed and
        cost nothing extra.
    progress : bool, default False
        Show a ``tqdm`` progress bar over the Dijkstra runs.

    Returns
    -------
    numpy.ndarray
        ``(len(origin_idx), len(dest_idx))`` array of path costs in the units of the weights
        (seconds for ``travel_time``); ``inf`` where a destination cannot be reached.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse import csr_array
    >>> # 0 -> 1 (10 s), 1 -> 2 (5 s), 2 -> 0 (1 s): a one-way loop.
    >>> A = csr_array((np.array([10.0, 5.0, 1.0]), (np.array([0, 1, 2]), np.array([1, 2, 0]))),
    ...               shape=(3, 3))
    >>> node_matrix(A, [0, 2], [1, 2]).tolist()
    [[10.0, 15.0], [11.0, 0.0]]
    """
    return _node_matrix(
        csr, origin_idx, dest_idx, progress=progress, reversed_csr=lambda: _transposed(csr)
    )


def _transposed(csr: csr_array) -> csr_array:
    """The graph with every edge reversed (transposing keeps explicit zeros)."""
    return csr.T.tocsr()


def _node_matrix(
    csr: csr_array,
    origin_idx: npt.ArrayLike,
    dest_idx: npt.ArrayLike,
    *,
    progress: bool,
    reversed_csr: Callable[[], csr_array],
) -> FloatArray:
    """:func:`node_matrix`, taking the reversed graph from ``reversed_csr`` when it needs it."""
    o = np.asarray(origin_idx, dtype=np.intp).reshape(-1)
    d = np.asarray(dest_idx, dtype=np.intp).reshape(-1)
    n = csr.shape[0]
    for name, idx in (("origin", o), ("destination", d)):
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            msg = f"{name} positions must lie in 0..{n - 1}"
            raise IndexError(msg)
    uo, o_inv = np.unique(o, return_inverse=True)
    ud, d_inv = np.unique(d, return_inverse=True)
    out = np.full((uo.size, ud.size), np.inf)
    if uo.size == 0 or ud.size == 0:
        return out[np.ix_(o_inv, d_inv)]

    backward = ud.size <= uo.size
    sources = ud if backward else uo
    graph = reversed_csr() if backward else csr
    chunk = max(1, min(sources.size, _CHUNK_BYTES // (8 * max(n, 1))))
    starts = range(0, sources.size, chunk)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="travel times", unit="chunk", total=len(starts))
    t0 = time.perf_counter()
    for s in starts:
        block = sources[s : s + chunk]
        dist = dijkstra(graph, directed=True, indices=block)
        if backward:
            out[:, s : s + block.size] = dist[:, uo].T
        else:
            out[s : s + block.size, :] = dist[:, ud]
    logger.debug(
        "node_matrix: %d Dijkstra runs (%s) on %d nodes in %.3f s",
        sources.size,
        "from destinations, reversed graph" if backward else "from origins",
        n,
        time.perf_counter() - t0,
    )
    return out[np.ix_(o_inv, d_inv)]


# --------------------------------------------------------------------------------------------
# The geospatial adapter: a network prepared once, snapping and the labelled matrix
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _to_bng(crs: Hashable) -> Transformer:
    """A (cached: building one takes ~20 ms) transformer from ``crs`` to British National Grid."""
    from pyproj import Transformer

    return Transformer.from_crs(crs, BRITISH_NATIONAL_GRID, always_xy=True)


def _ids(index: pd.Index, mask: npt.NDArray[np.bool_]) -> list[str]:
    return [str(v) for v in index[mask]]


def _points_bng(points: Points) -> tuple[FloatArray, FloatArray]:
    """British National Grid coordinates (m) of a GeoDataFrame/GeoSeries of points."""
    geoms = getattr(points, "geometry", None)
    if geoms is None:
        msg = "points must be a GeoDataFrame or GeoSeries of points (it has no geometry)"
        raise InvalidCoordinateError(msg)
    if geoms.crs is None:
        msg = (
            "the points have no CRS; set one, e.g. points.set_crs('EPSG:4326') for "
            "longitude/latitude or 'EPSG:27700' for British National Grid eastings/northings"
        )
        raise InvalidCoordinateError(msg)
    missing = np.asarray(geoms.isna() | geoms.is_empty, dtype=bool)
    if missing.any():
        msg = (
            f"{int(missing.sum())} points have no location (missing or empty geometry): "
            f"{_listing(_ids(points.index, missing))}; give them coordinates or a postcode, "
            "or drop them"
        )
        raise InvalidCoordinateError(msg)
    not_point = np.asarray(geoms.geom_type != "Point", dtype=bool)
    if not_point.any():
        msg = (
            f"{int(not_point.sum())} geometries are not points: "
            f"{_listing(_ids(points.index, not_point))}; use population-weighted centroids "
            "(or .representative_point()) rather than polygons"
        )
        raise InvalidCoordinateError(msg)
    projected = geoms.to_crs(BRITISH_NATIONAL_GRID)
    x = np.asarray(projected.x, dtype=np.float64)
    y = np.asarray(projected.y, dtype=np.float64)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        msg = (
            f"{int(bad.sum())} points could not be placed on the British National Grid: "
            f"{_listing(_ids(points.index, bad))}; check that their coordinates and CRS agree"
        )
        raise InvalidCoordinateError(msg)
    return x, y


def _require_unique(points: Points, which: str) -> None:
    index = pd.Index(points.index)
    if not index.is_unique:
        dup = index[index.duplicated()].unique()
        msg = f"{which} ids must be unique; repeated: {_listing(list(map(str, dup)))}"
        raise DuplicateIdError(msg)


class Router:
    """A road or footpath network prepared once, then queried for many snaps and matrices.

    Building a router does the expensive preparation a single :func:`snap` or
    :func:`travel_time_matrix` call would repeat every time (the pandana shape: build once,
    query many):

    1. the graph becomes a sparse adjacency matrix of travel times in seconds
       (:func:`csr_from_graph`), unless it comes as :class:`~centrereach.netarrays.NetworkArrays`
       (:func:`~centrereach.netarrays.load_network_arrays`), which already hold one;
    2. its largest strongly connected component is found (:func:`largest_strong_component`):
       only its nodes take snapped points, so every origin reaches every destination;
    3. their coordinates are projected to British National Grid (metres) and put in a k-d tree
       (:class:`scipy.spatial.cKDTree`) for snapping.

    The router is a snapshot: it does not see later changes to the graph (build a new one).
    Its answers are those of the module functions, to the bit: :func:`snap` and
    :func:`travel_time_matrix` are one-line wrappers over a fresh router.

    Parameters
    ----------
    network : networkx.MultiDiGraph or centrereach.netarrays.NetworkArrays
        Road or footpath network (osmnx conventions, as :func:`centrereach.network.load_network`
        returns): node ``x``/``y`` in ``G.graph["crs"]``, ``G.graph["mode"]`` ``"drive"`` or
        ``"walk"`` (it sets the access-leg speed), and edges carrying ``weight``. Or the same
        network as arrays (see :meth:`from_arrays`), which needs no graph in memory.
    weight : str or None, default "travel_time"
        Edge attribute to minimise, in **seconds**; it must be finite and >= 0 on every edge.
        ``None`` builds a router for snapping only (edge weights are not read, and
        :meth:`matrix` refuses to run). Arrays hold ``"travel_time"`` and ``"length"`` only.

    Raises
    ------
    centrereach.errors.NetworkError
        Empty network, an edge without a valid ``weight``, no CRS, an unknown CRS, or nodes
        without numeric ``x``/``y``.

    See Also
    --------
    snap, travel_time_matrix, nearest_centre

    Examples
    --------
    Two junctions 1 km apart, one minute one way and two minutes back; homes and centres
    standing on them:

    >>> import geopandas as gpd, networkx as nx, pandas as pd
    >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="drive")
    >>> G.add_node(1, x=-1.4300, y=53.2300)
    >>> G.add_node(2, x=-1.4150, y=53.2300)
    >>> _ = G.add_edge(1, 2, travel_time=60.0)   # seconds
    >>> _ = G.add_edge(2, 1, travel_time=120.0)
    >>> router = Router(G)
    >>> router
    Router(mode='drive', weight='travel_time', nodes=2, edges=2)
    >>> homes = gpd.GeoDataFrame(index=pd.Index(["h1", "h2"], name="area"),
    ...                          geometry=gpd.points_from_xy([-1.4300, -1.4150], [53.23, 53.23]),
    ...                          crs=4326)
    >>> centres = gpd.GeoDataFrame(index=pd.Index(["east"], name="centre"),
    ...                            geometry=gpd.points_from_xy([-1.4150], [53.2309]), crs=4326)
    >>> router.snap(centres).round(2)  # 100 m north of node 2: 0.3 min at 20 km/h
            node  snap_m  access_min
    centre
    east       2  100.13         0.3
    >>> router.matrix(homes, centres).round(2)  # minutes, door to door
    centre  east
    area
    h1      1.30
    h2      0.30
    >>> router.nearest(homes, centres)[["centre_id", "time_min"]].round(2)
         centre_id  time_min
    area
    h1        east       1.3
    h2        east       0.3
    """

    def __init__(
        self, network: nx.MultiDiGraph | NetworkArrays, *, weight: str | None = "travel_time"
    ) -> None:
        from pyproj import Transformer
        from pyproj.exceptions import CRSError
        from scipy.spatial import cKDTree

        t0 = time.perf_counter()
        self._graph: nx.MultiDiGraph | None = None
        self._arrays: NetworkArrays | None = None
        if isinstance(network, NetworkArrays):
            if weight not in (None, "travel_time", "length"):
                msg = (
                    f"network arrays hold 'travel_time' (s) and 'length' (m), not {weight!r}; "
                    "build the router from a graph for another weight"
                )
                raise NetworkError(msg)
            csr = network.csr(weight or "travel_time")
            nodes = pd.Index(network.node_ids, tupleize_cols=False)
            crs: object = "epsg:4326"
            xs, ys = network.lon, network.lat
            mode: object = network.mode
            self._arrays = network
            self._n_nodes = network.n_nodes
            self._n_edges = network.n_edges
            self._source: str | None = network.source
        else:
            csr, nodes = csr_from_graph(network, weight)
            crs = network.graph.get("crs")
            if crs is None:
                msg = (
                    "the network has no CRS (G.graph['crs'] is missing); set it, e.g. "
                    "G.graph['crs'] = 'epsg:4326' when node x/y are longitude/latitude"
                )
                raise NetworkError(msg)
            n = len(nodes)
            try:  # node data in the same order as ``nodes``
                xs = np.fromiter((d["x"] for _, d in network.nodes(data=True)), np.float64, n)
                ys = np.fromiter((d["y"] for _, d in network.nodes(data=True)), np.float64, n)
            except (KeyError, TypeError, ValueError) as exc:
                msg = f"every network node needs numeric 'x' and 'y' coordinates (missing: {exc!r})"
                raise NetworkError(msg) from exc
            mode = network.graph.get("mode")
            source = network.graph.get("source")
            self._graph = network
            self._n_nodes = int(network.number_of_nodes())
            self._n_edges = int(network.number_of_edges())
            self._source = None if source is None else str(source)
        component = np.flatnonzero(largest_strong_component(csr))
        try:
            try:
                transformer = _to_bng(crs)
            except TypeError:  # an unhashable CRS object: build one without the cache
                transformer = Transformer.from_crs(crs, BRITISH_NATIONAL_GRID, always_xy=True)
        except CRSError as exc:
            msg = f"the network's CRS {crs!r} (G.graph['crs']) is not one pyproj understands: {exc}"
            raise NetworkError(msg) from exc
        east, north = transformer.transform(xs[component], ys[component])

        self._weight = weight
        self._mode: str | None = None if mode is None else str(mode)
        self._csr = csr
        self._nodes = nodes
        self._component: IntArray = component  # row positions of the strong component's nodes
        self._tree = cKDTree(np.column_stack([east, north]))  # their BNG coordinates (m)
        self._reversed: csr_array | None = None  # the transposed graph, built when first needed
        logger.debug(
            "Router: %d nodes (%d in the largest strong component) prepared in %.3f s",
            len(nodes),
            component.size,
            time.perf_counter() - t0,
        )

    @classmethod
    def from_arrays(cls, arrays: NetworkArrays, *, weight: str | None = "travel_time") -> Router:
        """Return a router built from network arrays (no networkx graph needed).

        The same as ``Router(arrays)``; the arrays come from
        :func:`centrereach.netarrays.load_network_arrays` (straight from an OpenStreetMap file,
        cached) or :meth:`NetworkArrays.from_graph`. A router built from the arrays of a graph
        gives the answers of the router built from the graph, to the bit.

        Parameters
        ----------
        arrays : centrereach.netarrays.NetworkArrays
            The network: node ids and lon/lat, CSR of travel times (s) and lengths (m), mode.
        weight : {"travel_time", "length", None}, default "travel_time"
            Minimise seconds, or metres (``"length"``); ``None`` for snapping only.

        Returns
        -------
        Router
            Prepared for :meth:`snap`, :meth:`matrix`, :meth:`nearest` and :meth:`nearest_k`.

        Examples
        --------
        >>> import networkx as nx
        >>> from centrereach.netarrays import NetworkArrays
        >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="drive", source="two junctions")
        >>> G.add_node(1, x=-1.43, y=53.23); G.add_node(2, x=-1.415, y=53.23)
        >>> _ = G.add_edge(1, 2, travel_time=60.0, length=1000.0)
        >>> _ = G.add_edge(2, 1, travel_time=120.0, length=1000.0)
        >>> router = Router.from_arrays(NetworkArrays.from_graph(G))
        >>> router, router.graph is None, router.arrays.n_nodes
        (Router(mode='drive', weight='travel_time', nodes=2, edges=2), True, 2)
        """
        if not isinstance(arrays, NetworkArrays):
            msg = f"Router.from_arrays needs NetworkArrays, got {type(arrays).__name__}"
            raise TypeError(msg)
        return cls(arrays, weight=weight)

    # -- what the router was built from ---------------------------------------------------------

    @property
    def graph(self) -> nx.MultiDiGraph | None:
        """The networkx graph the router was built from, or None when built from arrays."""
        return self._graph

    @property
    def arrays(self) -> NetworkArrays | None:
        """The network arrays the router was built from, or None when built from a graph."""
        return self._arrays

    @property
    def lonlat(self) -> tuple[FloatArray, FloatArray]:
        """Longitude and latitude (degrees) of every node, in the order of :attr:`nodes`.

        For a graph in another CRS these are its node ``x``/``y`` in that CRS.
        """
        if self._arrays is not None:
            return self._arrays.lon, self._arrays.lat
        assert self._graph is not None
        n = self._n_nodes
        x = np.fromiter((d["x"] for _, d in self._graph.nodes(data=True)), np.float64, n)
        y = np.fromiter((d["y"] for _, d in self._graph.nodes(data=True)), np.float64, n)
        return x, y

    @property
    def weight(self) -> str | None:
        """The edge attribute minimised (seconds), or ``None`` for a snapping-only router."""
        return self._weight

    @property
    def mode(self) -> str | None:
        """The network's travel mode (``G.graph["mode"]``: ``"drive"``, ``"walk"`` or None)."""
        return self._mode

    @property
    def n_nodes(self) -> int:
        """Number of nodes of the graph when the router was built."""
        return self._n_nodes

    @property
    def n_edges(self) -> int:
        """Number of edges of the graph when the router was built (parallel edges counted)."""
        return self._n_edges

    @property
    def source(self) -> str | None:
        """Where the network came from (``G.graph["source"]``, set by ``load_network``)."""
        return self._source

    @property
    def csr(self) -> csr_array:
        """The graph as a sparse matrix of edge weights (seconds); see :func:`csr_from_graph`."""
        return self._csr

    @property
    def nodes(self) -> pd.Index:
        """Node id of each row/column of :attr:`csr`."""
        return self._nodes

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(mode={self._mode!r}, weight={self._weight!r}, "
            f"nodes={self._n_nodes}, edges={self._n_edges})"
        )

    # -- queries ------------------------------------------------------------------------------

    def snap(
        self,
        points: Points,
        *,
        max_snap_m: float | None = SNAP_WARNING_M,
        access_speed_kph: float | None = None,
    ) -> pd.DataFrame:
        """Attach points to the nearest node of the network and price the access leg.

        Points and nodes are projected to British National Grid (EPSG:27700) and matched
        against the nodes of the network's *largest strongly connected component* only, so
        every snapped point can reach, and be reached from, every other.

        Parameters
        ----------
        points : geopandas.GeoDataFrame or geopandas.GeoSeries
            Point locations in any CRS (area centroids, centres). The index gives the ids.
        max_snap_m : float or None, default 500.0
            Straight-line snap distance (metres) above which a
            :class:`~centrereach.errors.SnapWarning` names the points (:data:`SNAP_WARNING_M`;
            the points are kept). ``None`` never warns.
        access_speed_kph : float, optional
            Speed of the access leg (km/h). Default by ``G.graph["mode"]``:
            :data:`ACCESS_SPEED_KPH` (walk 4.8 km/h, drive 20 km/h).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``points``, with columns ``node`` (node id), ``snap_m`` (straight-line
            distance to it, metres) and ``access_min`` (that distance at the access speed,
            minutes).

        Raises
        ------
        centrereach.errors.NetworkError
            No mode on the network and no ``access_speed_kph``.
        centrereach.errors.InvalidCoordinateError
            Points without CRS, with missing/empty geometry, or that are not points.

        Warns
        -----
        centrereach.errors.SnapWarning
            When points lie more than ``max_snap_m`` from the network.

        Examples
        --------
        A network drawn in British National Grid metres, so distances can be checked by hand:

        >>> import geopandas as gpd, networkx as nx
        >>> G = nx.MultiDiGraph(crs="EPSG:27700", mode="walk")
        >>> G.add_node("a", x=438_000, y=371_000); G.add_node("b", x=439_000, y=371_000)
        >>> _ = G.add_edge("a", "b", travel_time=750.0); _ = G.add_edge("b", "a", travel_time=750.0)
        >>> router = Router(G)
        >>> near_b = gpd.GeoSeries(gpd.points_from_xy([439_090], [371_120]), crs=27700)
        >>> router.snap(near_b)  # 150 m (90 east, 120 north) at 4.8 km/h is 1.875 minutes
          node  snap_m  access_min
        0    b   150.0       1.875
        >>> router.snap(near_b, access_speed_kph=6.0)["access_min"].tolist()  # 100 m a minute
        [1.5]
        """
        return self._snap(
            points, max_snap_m=max_snap_m, access_speed_kph=access_speed_kph, stacklevel=3
        )

    def matrix(
        self,
        origins: Points,
        destinations: Points,
        *,
        origin_snap: pd.DataFrame | None = None,
        destination_snap: pd.DataFrame | None = None,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Return the exact door-to-door travel time (minutes) from origins to destinations.

        Entry ``[o, d]`` = access leg of ``o`` + shortest network travel time from ``o``'s node
        to ``d``'s node along the edges' directions (home → centre; one-way streets respected)
        + access leg of ``d``. The same as :func:`travel_time_matrix` on the router's graph.

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame or geopandas.GeoSeries
            Points in any CRS; their (unique) indexes label the rows and columns.
        origin_snap, destination_snap : pandas.DataFrame, optional
            Precomputed :meth:`snap` tables (e.g. with another ``access_speed_kph``), indexed
            by the points' ids. When omitted, points are snapped with the defaults of
            :meth:`snap` (a :class:`~centrereach.errors.SnapWarning` above 500 m).
        progress : bool, default False
            Show a progress bar (tqdm) over the Dijkstra runs.

        Returns
        -------
        pandas.DataFrame
            Minutes, float64, index = ``origins.index``, columns = ``destinations.index``
            (names kept); ``inf`` where a destination cannot be reached. ``attrs`` records
            ``units`` (``"min"``), ``mode`` and ``weight``.

        Raises
        ------
        centrereach.errors.NetworkError
            A router built with ``weight=None``, or a snap table naming nodes not in the
            network.
        centrereach.errors.DuplicateIdError
            Repeated origin or destination ids.
        centrereach.errors.DataFormatError
            A snap table without the columns or rows needed.

        Examples
        --------
        One router, two queries (a 1 km street at 30 km/h, driven both ways):

        >>> import geopandas as gpd, networkx as nx
        >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="drive")
        >>> G.add_node(1, x=-1.43, y=53.23); G.add_node(2, x=-1.415, y=53.23)
        >>> _ = G.add_edge(1, 2, travel_time=120.0); _ = G.add_edge(2, 1, travel_time=120.0)
        >>> router = Router(G)
        >>> west = gpd.GeoSeries(gpd.points_from_xy([-1.43], [53.23]), index=["w"], crs=4326)
        >>> east = gpd.GeoSeries(gpd.points_from_xy([-1.415], [53.23]), index=["e"], crs=4326)
        >>> router.matrix(west, east)
             e
        w  2.0
        >>> router.matrix(east, west)
             w
        e  2.0
        """
        return self._matrix(
            origins,
            destinations,
            origin_snap=origin_snap,
            destination_snap=destination_snap,
            progress=progress,
            stacklevel=4,
        )

    def nearest(
        self,
        origins: Points,
        destinations: Points,
        *,
        open: OpenCentres = None,  # shadows the builtin in this method only
        origin_snap: pd.DataFrame | None = None,
        destination_snap: pd.DataFrame | None = None,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Return, for every origin, the nearest and second-nearest open destination (minutes).

        ``router.nearest(o, d, open=x)`` is ``nearest_centre(router.matrix(o, d), x)``: one
        call for a single scenario. For many scenarios, compute the :meth:`matrix` once and
        call :func:`nearest_centre` on it per scenario (pure array work).

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame or geopandas.GeoSeries
            Points in any CRS; destinations are the centres, their (unique) index the centre ids.
        open : iterable of centre ids, boolean mask, or None
            The centres open, as ``open_centres`` of :func:`nearest_centre`: ids, a boolean
            array aligned with ``destinations``, or a boolean Series indexed by centre id.
            ``None`` (default) opens every centre.
        origin_snap, destination_snap : pandas.DataFrame, optional
            Precomputed :meth:`snap` tables, as for :meth:`matrix`.
        progress : bool, default False
            Show a progress bar (tqdm) over the Dijkstra runs.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``origins``: ``time_min`` (minutes to the nearest open centre),
            ``centre_id``, ``second_time_min`` and ``second_centre_id``; see
            :func:`nearest_centre`.

        Raises
        ------
        centrereach.errors.UnknownCentreError
            When ``open`` names ids that are not in ``destinations``.

        Warns
        -----
        centrereach.errors.UnreachableWarning
            Listing the origins that reach no open centre.

        Examples
        --------
        >>> import geopandas as gpd, networkx as nx
        >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
        >>> for i in range(3):
        ...     G.add_node(i, x=-1.43 + 0.01 * i, y=53.23)
        >>> for u, v in [(0, 1), (1, 0), (1, 2), (2, 1)]:
        ...     _ = G.add_edge(u, v, travel_time=600.0)  # ten minutes between neighbours
        >>> def at(ids, nodes):
        ...     x = [-1.43 + 0.01 * n for n in nodes]
        ...     return gpd.GeoSeries(gpd.points_from_xy(x, [53.23] * len(x)), index=ids, crs=4326)
        >>> router = Router(G)
        >>> homes, centres = at(["h"], [0]), at(["near", "far"], [1, 2])
        >>> router.nearest(homes, centres)
           time_min centre_id  second_time_min second_centre_id
        h      10.0      near             20.0              far
        >>> router.nearest(homes, centres, open=["far"])[["centre_id", "time_min"]]
          centre_id  time_min
        h       far      20.0
        """
        _require_unique(destinations, "destination")
        _open_positions(pd.Index(destinations.index), open)  # unknown ids fail before routing
        if len(origins) * len(destinations) > MAX_MATRIX_ENTRIES:
            # the full matrix would be too large: the k nearest, with exact fallbacks
            table = self._nearest_k(
                origins,
                destinations,
                k=DEFAULT_K,
                origin_snap=origin_snap,
                destination_snap=destination_snap,
                progress=progress,
                stacklevel=5,
            )
            return table._scenario(open, stacklevel=3)
        matrix = self._matrix(
            origins,
            destinations,
            origin_snap=origin_snap,
            destination_snap=destination_snap,
            progress=progress,
            stacklevel=4,
        )
        return _nearest_centre(matrix, open, stacklevel=3)

    def nearest_k(
        self,
        origins: Points,
        destinations: Points,
        *,
        k: int = DEFAULT_K,
        origin_snap: pd.DataFrame | None = None,
        destination_snap: pd.DataFrame | None = None,
        progress: bool = False,
    ) -> NearestCentres:
        """Return every origin's ``k`` nearest destinations (minutes), without the full matrix.

        One label-setting search from all destinations at once on the reversed graph (a
        compiled kernel) gives each origin its ``k`` nearest destinations and their exact
        door-to-door times, the entries a full :meth:`matrix` would hold, for the cost of a few
        single searches rather than one per destination. The result then answers any closure
        scenario in milliseconds (:meth:`NearestCentres.scenario`); origins whose ``k``
        nearest a scenario closes (all but at most one of them) are searched again exactly,
        only in the part of the network the closures change. Use it when the matrix would be
        too large: every LSOA in England (33,755) to thousands of centres.

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame or geopandas.GeoSeries
            Points in any CRS; their (unique) indexes label the origins and the centres.
        k : int, default 12
            Nearest destinations kept per origin (>= 2: a scenario needs the nearest and the
            runner-up). More makes fallbacks rarer when many centres close, at
            ``12 × k`` bytes per network node, kept with the result.
        origin_snap, destination_snap : pandas.DataFrame, optional
            Precomputed :meth:`snap` tables, as for :meth:`matrix`.
        progress : bool, default False
            Show a progress bar (tqdm) over the stages.

        Returns
        -------
        NearestCentres
            The ``k`` nearest per origin (``times_min``, ``centre_ids``), and
            :meth:`~NearestCentres.scenario` for the nearest open centre under closures.

        Raises
        ------
        ValueError
            ``k`` below 2.
        centrereach.errors.NetworkError, centrereach.errors.DuplicateIdError
            As for :meth:`matrix`.

        Examples
        --------
        A street of four junctions a minute apart, centres at three of them:

        >>> import geopandas as gpd, networkx as nx
        >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="drive")
        >>> for i in range(4):
        ...     G.add_node(i, x=-1.43 + 0.005 * i, y=53.23)
        >>> for i in range(3):
        ...     _ = G.add_edge(i, i + 1, travel_time=60.0)
        ...     _ = G.add_edge(i + 1, i, travel_time=60.0)
        >>> def at(ids, nodes):
        ...     x = [-1.43 + 0.005 * n for n in nodes]
        ...     return gpd.GeoSeries(gpd.points_from_xy(x, [53.23] * len(x)), index=ids, crs=4326)
        >>> near = Router(G).nearest_k(at(["home"], [0]), at(["a", "b", "c"], [1, 2, 3]), k=2)
        >>> near.times_min
              1    2
        home  1.0  2.0
        >>> near.scenario(open_centres=["b", "c"])[["centre_id", "time_min"]]
             centre_id  time_min
        home         b       2.0
        """
        return self._nearest_k(
            origins,
            destinations,
            k=k,
            origin_snap=origin_snap,
            destination_snap=destination_snap,
            progress=progress,
            stacklevel=5,
        )

    def _nearest_k(
        self,
        origins: Points,
        destinations: Points,
        *,
        k: int,
        origin_snap: pd.DataFrame | None,
        destination_snap: pd.DataFrame | None,
        progress: bool,
        stacklevel: int,
    ) -> NearestCentres:
        from centrereach._kernels import k_nearest_sources

        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
            msg = f"k must be a whole number >= 2 (the nearest and the runner-up), got {k!r}"
            raise ValueError(msg)
        with _Stages(progress, "nearest centres", 3) as bar:
            bar.step("snapping")
            o_pos, o_access, d_pos, d_access = self._positions(
                origins,
                destinations,
                origin_snap=origin_snap,
                destination_snap=destination_snap,
                stacklevel=stacklevel,
            )
            bar.step(f"searching from {len(d_pos):,} centres")
            t0 = time.perf_counter()
            reverse = self._reversed_csr()
            nodes, o_node = np.unique(o_pos, return_inverse=True)
            found = k_nearest_sources(
                reverse.indptr,
                reverse.indices,
                reverse.data,
                d_pos,
                d_access * 60.0,  # the centres' access legs, in seconds, rank the labels
                nodes,
                int(k),
                keep_nodes=True,  # every node's labels: scenarios re-search only what changes
            )
            logger.debug(
                "k nearest (k=%d) of %d origin nodes from %d centres in %.3f s",
                k,
                nodes.size,
                d_pos.size,
                time.perf_counter() - t0,
            )
            bar.step("sorting")
            return NearestCentres._from_labels(
                self,
                found,
                o_node,
                origins=pd.Index(origins.index),
                centres=pd.Index(destinations.index),
                o_pos=o_pos,
                o_access=o_access,
                d_pos=d_pos,
                d_access=d_access,
            )

    # -- the work ------------------------------------------------------------------------------

    def _access_speed(self, access_speed_kph: float | None) -> float:
        if access_speed_kph is None:
            if self._mode is None or self._mode not in ACCESS_SPEED_KPH:
                msg = (
                    f"cannot choose an access speed: the network's mode is {self._mode!r} "
                    f"(G.graph['mode'] should be one of {[m.value for m in Mode]}); set it or "
                    "pass access_speed_kph"
                )
                raise NetworkError(msg)
            return ACCESS_SPEED_KPH[self._mode]
        speed = float(access_speed_kph)
        if not (math.isfinite(speed) and speed > 0):
            msg = f"access_speed_kph must be a positive number of km/h, got {access_speed_kph!r}"
            raise ValueError(msg)
        return speed

    def _snap(
        self,
        points: Points,
        *,
        max_snap_m: float | None,
        access_speed_kph: float | None,
        stacklevel: int,
    ) -> pd.DataFrame:
        speed = self._access_speed(access_speed_kph)
        if max_snap_m is not None and not (max_snap_m >= 0):
            msg = f"max_snap_m must be a distance in metres >= 0 (or None), got {max_snap_m!r}"
            raise ValueError(msg)
        index = pd.Index(points.index)
        if len(index) == 0:
            return pd.DataFrame(
                {
                    "node": pd.Series([], dtype=self._nodes.dtype),
                    "snap_m": pd.Series([], dtype=np.float64),
                    "access_min": pd.Series([], dtype=np.float64),
                },
                index=index,
            )
        px, py = _points_bng(points)
        found, pos = self._tree.query(np.column_stack([px, py]), k=1)
        dist = np.asarray(found, dtype=np.float64)
        node_pos = self._component[np.asarray(pos, dtype=np.intp)]
        result = pd.DataFrame(
            {
                "node": self._nodes[node_pos],
                "snap_m": dist,
                "access_min": dist * 0.06 / speed,  # m / (km/h * 1000 m/km / 60 min/h)
            },
            index=index,
        )
        if max_snap_m is not None:
            far = dist > max_snap_m
            if far.any():
                listed = [f"{i} ({d:,.0f} m)" for i, d in zip(index[far], dist[far], strict=True)]
                msg = (
                    f"{int(far.sum())} of {len(index)} points are more than {max_snap_m:,.0f} m "
                    f"from the road network (largest connected part): {_listing(listed)}. Their "
                    f"access leg is priced at {speed:g} km/h; check their coordinates and that "
                    "the network covers them."
                )
                warnings.warn(msg, SnapWarning, stacklevel=stacklevel)
        return result

    def _check_snap(
        self, given: pd.DataFrame, points: Points, which: str
    ) -> tuple[IntArray, FloatArray]:
        """Validate a precomputed snap table; return node positions and access minutes."""
        missing_cols = [c for c in ("node", "access_min") if c not in given.columns]
        if missing_cols:
            msg = (
                f"{which}_snap lacks column(s) {missing_cols}; pass the table returned by "
                f"centrereach.traveltime.snap (columns node, snap_m, access_min)"
            )
            raise DataFormatError(msg)
        index = pd.Index(points.index)
        absent = index.difference(given.index)
        if len(absent):
            listed = _listing([str(v) for v in absent])
            msg = f"{which}_snap has no row for {len(absent)} {which}s: {listed}"
            raise DataFormatError(msg)
        table = given.loc[index]
        pos = self._nodes.get_indexer(pd.Index(table["node"], tupleize_cols=False))
        unknown = pos < 0
        if unknown.any():
            msg = (
                f"{which}_snap names nodes that are not in the network for "
                f"{_listing(_ids(index, unknown))}; snap with the same network"
            )
            raise NetworkError(msg)
        access = np.asarray(table["access_min"], dtype=np.float64)
        if not (np.isfinite(access) & (access >= 0)).all():
            msg = f"{which}_snap 'access_min' must be finite minutes >= 0"
            raise DataFormatError(msg)
        return pos.astype(np.intp), access

    def _reversed_csr(self) -> csr_array:
        """The transposed graph (edges reversed), built once for backward Dijkstra runs."""
        if self._reversed is None:
            self._reversed = _transposed(self._csr)
        return self._reversed

    def _positions(
        self,
        origins: Points,
        destinations: Points,
        *,
        origin_snap: pd.DataFrame | None,
        destination_snap: pd.DataFrame | None,
        stacklevel: int,
    ) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
        """Node positions and access minutes of the origins and destinations (snapped here
        unless snap tables are given)."""
        if self._weight is None:
            msg = (
                "this Router was built with weight=None (for snapping only), so it has no travel "
                "times; build it with Router(G, weight='travel_time')"
            )
            raise NetworkError(msg)
        _require_unique(origins, "origin")
        _require_unique(destinations, "destination")
        if origin_snap is None:
            origin_snap = self._snap(
                origins, max_snap_m=SNAP_WARNING_M, access_speed_kph=None, stacklevel=stacklevel
            )
        if destination_snap is None:
            destination_snap = self._snap(
                destinations,
                max_snap_m=SNAP_WARNING_M,
                access_speed_kph=None,
                stacklevel=stacklevel,
            )
        o_pos, o_access = self._check_snap(origin_snap, origins, "origin")
        d_pos, d_access = self._check_snap(destination_snap, destinations, "destination")
        return o_pos, o_access, d_pos, d_access

    def _matrix(
        self,
        origins: Points,
        destinations: Points,
        *,
        origin_snap: pd.DataFrame | None,
        destination_snap: pd.DataFrame | None,
        progress: bool,
        stacklevel: int,
    ) -> pd.DataFrame:
        t0 = time.perf_counter()
        o_pos, o_access, d_pos, d_access = self._positions(
            origins,
            destinations,
            origin_snap=origin_snap,
            destination_snap=destination_snap,
            stacklevel=stacklevel + 1,
        )
        t1 = time.perf_counter()
        seconds = _node_matrix(
            self._csr, o_pos, d_pos, progress=progress, reversed_csr=self._reversed_csr
        )
        result = _minutes_frame(self, seconds, o_access, d_access, origins, destinations)
        logger.debug(
            "travel-time matrix %d x %d: snap %.3f s, routing %.3f s",
            len(o_pos),
            len(d_pos),
            t1 - t0,
            time.perf_counter() - t1,
        )
        return result


def _minutes_frame(
    router: Router,
    seconds: FloatArray,
    o_access: FloatArray,
    d_access: FloatArray,
    origins: Points,
    destinations: Points,
) -> pd.DataFrame:
    """The matrix in minutes: network seconds / 60 plus both access legs, labelled, in min."""
    minutes = seconds / 60.0 + o_access[:, None] + d_access[None, :]
    result = pd.DataFrame(
        minutes, index=pd.Index(origins.index), columns=pd.Index(destinations.index)
    )
    result.attrs.update({"units": "min", "mode": router.mode, "weight": router.weight})
    return result


class NearestCentres:
    """Every origin's ``k`` nearest centres, and the nearest open centre under any scenario.

    Made by :meth:`Router.nearest_k`. ``times_min`` and ``centre_ids`` hold, per origin, its
    ``k`` nearest centres in order of door-to-door minutes (ties: the centres' order), the very
    entries of the full travel-time matrix. :meth:`scenario` answers a set of open centres with
    array work: the first two open centres of each list. Where that is not certain (fewer than
    two of the ``k`` are open, or the runner-up ties with the ``k``-th time, so a centre outside
    the list might tie with it), the origin is searched again, exactly: a few origins one
    search each, which stops as soon as its two nearest open centres are known; many origins
    together, by a search of only the network nodes whose own ``k`` nearest the closures empty
    (every node's ``k`` nearest are kept for this: ``12 × k`` bytes per node). Either way the
    answer is the one :func:`nearest_centre` gives on the full matrix (to the rounding of the
    last bit where a searched-again time adds up its path in another order).

    Examples
    --------
    >>> import geopandas as gpd, networkx as nx
    >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    >>> for i in range(5):
    ...     G.add_node(i, x=-1.43 + 0.005 * i, y=53.23)
    >>> for i in range(4):
    ...     _ = G.add_edge(i, i + 1, travel_time=300.0)
    ...     _ = G.add_edge(i + 1, i, travel_time=300.0)
    >>> def at(ids, nodes):
    ...     x = [-1.43 + 0.005 * n for n in nodes]
    ...     return gpd.GeoSeries(gpd.points_from_xy(x, [53.23] * len(x)), index=ids, crs=4326)
    >>> homes, centres = at(["h1", "h2"], [0, 4]), at(list("abcd"), [1, 2, 3, 4])
    >>> near = Router(G).nearest_k(homes, centres, k=3)
    >>> near
    NearestCentres(origins=2, centres=4, k=3)
    >>> near.centre_ids
        1  2  3
    h1  a  b  c
    h2  d  c  b
    >>> near.scenario(open_centres=["c", "d"])  # h1: two of its three nearest close
        time_min centre_id  second_time_min second_centre_id
    h1      15.0         c             20.0                d
    h2       0.0         d              5.0                c
    >>> near.fallbacks(["c", "d"]).tolist()  # h1 was searched again, exactly
    [True, False]
    """

    def __init__(
        self,
        router: Router,
        times_min: FloatArray,
        positions: npt.NDArray[np.int32],
        *,
        labels: KNearest,
        origins: pd.Index,
        centres: pd.Index,
        o_pos: IntArray,
        o_access: FloatArray,
        d_pos: IntArray,
        d_access: FloatArray,
    ) -> None:
        self._router = router
        self._labels = labels  # every node's k labels: the repair of a scenario starts from them
        self._times = times_min
        self._positions = positions
        self._origins = origins
        self._centres = centres
        self._o_pos = o_pos
        self._o_access = o_access
        self._d_pos = d_pos
        self._d_access = d_access
        # a list shorter than k holds every centre the origin reaches: nothing is missing
        self._complete = (positions < 0).any(axis=1)
        self._times.flags.writeable = False
        self._positions.flags.writeable = False

    @classmethod
    def _from_labels(
        cls,
        router: Router,
        found: KNearest,
        o_node: IntArray,
        *,
        origins: pd.Index,
        centres: pd.Index,
        o_pos: IntArray,
        o_access: FloatArray,
        d_pos: IntArray,
        d_access: FloatArray,
    ) -> NearestCentres:
        """Door-to-door minutes of the search's labels, each list sorted as a matrix row is."""
        seconds, sources = found.seconds[o_node], found.sources[o_node]
        valid = sources >= 0
        safe = np.where(valid, sources, 0)
        # the formula of the matrix: path seconds / 60 + origin access + centre access
        minutes = seconds / 60.0 + o_access[:, None] + d_access[safe]
        minutes = np.where(valid, minutes, np.inf)
        column = np.where(valid, safe, np.iinfo(np.int32).max)
        rows = np.repeat(np.arange(minutes.shape[0]), minutes.shape[1])
        flat = np.lexsort((column.ravel(), minutes.ravel(), rows)).reshape(minutes.shape)
        order = flat % max(minutes.shape[1], 1)  # the position within each row
        minutes = np.take_along_axis(minutes, order, axis=1)
        positions = np.take_along_axis(np.where(valid, safe, -1), order, axis=1)
        return cls(
            router,
            np.ascontiguousarray(minutes),
            np.ascontiguousarray(positions, dtype=np.int32),
            labels=found,
            origins=origins,
            centres=centres,
            o_pos=o_pos,
            o_access=o_access,
            d_pos=d_pos,
            d_access=d_access,
        )

    # -- the lists ------------------------------------------------------------------------------

    @property
    def k(self) -> int:
        """Centres kept per origin."""
        return int(self._positions.shape[1])

    @property
    def origins(self) -> pd.Index:
        """The origins' ids (rows)."""
        return self._origins

    @property
    def centres(self) -> pd.Index:
        """The centres' ids (the columns a full matrix would have)."""
        return self._centres

    @property
    def times_min(self) -> pd.DataFrame:
        """Door-to-door minutes to each origin's 1st, 2nd, ... k-th nearest centre (``inf``
        beyond the centres it can reach)."""
        return pd.DataFrame(
            self._times, index=self._origins, columns=pd.RangeIndex(1, self.k + 1), copy=True
        )

    @property
    def centre_ids(self) -> pd.DataFrame:
        """The ids of those centres (``None`` beyond the centres an origin can reach)."""
        ids = np.asarray(self._centres, dtype=object)[np.maximum(self._positions, 0)]
        ids[self._positions < 0] = None
        return pd.DataFrame(ids, index=self._origins, columns=pd.RangeIndex(1, self.k + 1))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(origins={len(self._origins)}, centres={len(self._centres)}, "
            f"k={self.k})"
        )

    # -- scenarios ------------------------------------------------------------------------------

    def _first_two(
        self, mask: npt.NDArray[np.bool_]
    ) -> tuple[FloatArray, IntArray, FloatArray, IntArray, npt.NDArray[np.bool_]]:
        """The first two open centres of every list, and which origins need a search."""
        n = self._positions.shape[0]
        rows = np.arange(n)
        is_open = (self._positions >= 0) & mask[np.maximum(self._positions, 0)]
        first = is_open.argmax(axis=1)
        has1 = is_open[rows, first]
        is_open[rows, first] = False
        second = is_open.argmax(axis=1)
        has2 = is_open[rows, second]
        t1 = np.where(has1, self._times[rows, first], np.inf)
        c1 = np.where(has1, self._positions[rows, first], -1).astype(np.intp)
        t2 = np.where(has2, self._times[rows, second], np.inf)
        c2 = np.where(has2, self._positions[rows, second], -1).astype(np.intp)
        # outside a full list every centre is at least as far as its k-th: the answer is
        # certain when two open centres are listed, strictly nearer than the k-th
        boundary = self._times[:, -1] - _BOUNDARY_MIN
        search = ~self._complete & (~has2 | ~(t2 < boundary))
        return t1, c1, t2, c2, search

    def _repair(
        self, mask: npt.NDArray[np.bool_], rows: IntArray
    ) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
        """The two nearest open centres of ``rows`` by :func:`~centrereach._kernels.repair_open`:
        minutes, positions, in the order of a matrix row."""
        from centrereach._kernels import repair_open

        router = self._router
        forward, reverse = router.csr, router._reversed_csr()
        seconds, sources, affected = repair_open(
            (forward.indptr, forward.indices, forward.data),
            (reverse.indptr, reverse.indices, reverse.data),
            self._labels,
            self.k,
            self._d_pos,
            self._d_access * 60.0,
            mask,
            self._o_pos[rows],
            margin_s=60.0 * _BOUNDARY_MIN,
        )
        logger.debug("scenario: %d origins, %d nodes searched again", rows.size, affected)
        valid = sources >= 0
        safe = np.where(valid, sources, 0)
        minutes = seconds / 60.0 + self._o_access[rows, None] + self._d_access[safe]
        minutes = np.where(valid, minutes, np.inf)
        column = np.where(valid, safe, np.iinfo(np.int32).max)
        swap = (minutes[:, 1] < minutes[:, 0]) | (
            (minutes[:, 1] == minutes[:, 0]) & (column[:, 1] < column[:, 0])
        )
        first = np.where(swap, 1, 0)
        second = 1 - first
        at = np.arange(rows.size)
        pos = np.where(valid, safe, -1)
        return (
            minutes[at, first],
            pos[at, first].astype(np.intp),
            minutes[at, second],
            pos[at, second].astype(np.intp),
        )

    def fallbacks(self, open_centres: OpenCentres = None) -> npt.NDArray[np.bool_]:
        """Which origins a scenario sends to an exact search of their own.

        Parameters
        ----------
        open_centres : iterable of centre ids, boolean mask, or None
            As for :meth:`scenario`.

        Returns
        -------
        numpy.ndarray of bool
            One value per origin: True where fewer than two of its ``k`` nearest centres are
            open, or where its runner-up ties with its ``k``-th nearest.

        Examples
        --------
        See :class:`NearestCentres`.
        """
        mask = np.zeros(len(self._centres), dtype=bool)
        mask[_open_positions(self._centres, open_centres)] = True
        return self._first_two(mask)[4]

    def scenario(self, open_centres: OpenCentres = None) -> pd.DataFrame:
        """Return every origin's nearest and second-nearest open centre (minutes).

        The table :func:`nearest_centre` gives on the full matrix, from the ``k`` nearest
        lists, with an exact search for the origins those lists cannot answer (see
        :meth:`fallbacks`; ``attrs["fallbacks"]`` counts them).

        Parameters
        ----------
        open_centres : iterable of centre ids, boolean mask, or None
            The centres open: ids, a boolean array aligned with :attr:`centres`, or a boolean
            Series indexed by centre id. ``None`` opens every centre.

        Returns
        -------
        pandas.DataFrame
            Indexed by origin: ``time_min``, ``centre_id``, ``second_time_min``,
            ``second_centre_id`` (``inf``/``None`` when fewer open centres are reachable).

        Raises
        ------
        centrereach.errors.UnknownCentreError
            When ``open_centres`` names ids that are not centres.

        Warns
        -----
        centrereach.errors.UnreachableWarning
            Listing the origins that reach no open centre.

        Examples
        --------
        See :class:`NearestCentres`.
        """
        return self._scenario(open_centres, stacklevel=3)

    def _scenario(self, open_centres: OpenCentres, *, stacklevel: int) -> pd.DataFrame:
        from centrereach._kernels import nearest_open

        mask = np.zeros(len(self._centres), dtype=bool)
        mask[_open_positions(self._centres, open_centres)] = True
        t1, c1, t2, c2, search = self._first_two(mask)
        redo = np.flatnonzero(search)
        if redo.size > _FEW_SEARCHES:
            # many origins: search again the region the closures change, all at once
            found = self._repair(mask, redo)
            t1[redo], c1[redo], t2[redo], c2[redo] = found
        elif redo.size:
            csr = self._router.csr
            times, centres = nearest_open(
                csr.indptr,
                csr.indices,
                csr.data,
                self._o_pos[redo],
                self._o_access[redo],
                self._d_pos,
                self._d_access,
                mask,
            )
            t1[redo], c1[redo] = times[:, 0], centres[:, 0]
            t2[redo], c2[redo] = times[:, 1], centres[:, 1]
        ids = np.asarray(self._centres, dtype=object)
        first = ids[np.maximum(c1, 0)]
        second = ids[np.maximum(c2, 0)]
        first[c1 < 0] = None
        second[c2 < 0] = None
        index = self._origins
        result = pd.DataFrame(
            {
                "time_min": pd.Series(t1, index=index, copy=False),
                "centre_id": pd.Series(first, index=index, dtype=object, copy=False),
                "second_time_min": pd.Series(t2, index=index, copy=False),
                "second_centre_id": pd.Series(second, index=index, dtype=object, copy=False),
            },
            copy=False,
        )
        result.attrs["fallbacks"] = int(redo.size)
        unreachable = np.isinf(t1)
        if unreachable.any():
            msg = (
                f"{int(unreachable.sum())} of {len(index)} origins reach no open centre (time "
                f"inf): {_listing(_ids(index, unreachable))}"
            )
            warnings.warn(msg, UnreachableWarning, stacklevel=stacklevel)
        return result


def snap(
    network: nx.MultiDiGraph,
    points: Points,
    *,
    max_snap_m: float | None = SNAP_WARNING_M,
    access_speed_kph: float | None = None,
) -> pd.DataFrame:
    """Attach points to the nearest node of the network and price the access leg.

    Points and nodes are projected to British National Grid (EPSG:27700) and matched with a
    k-d tree (:class:`scipy.spatial.cKDTree`) against the nodes of the network's *largest
    strongly connected component* only, so every snapped point can reach, and be reached
    from, every other. A one-off :meth:`Router.snap` (edge weights are not read); to snap
    several sets of points on one network, build a :class:`Router` once.

    Parameters
    ----------
    network : networkx.MultiDiGraph
        Road or footpath network (osmnx conventions: node ``x``/``y`` in ``G.graph["crs"]``,
        ``G.graph["mode"]`` ``"drive"`` or ``"walk"``).
    points : geopandas.GeoDataFrame or geopandas.GeoSeries
        Point locations in any CRS (area centroids, centres). The index gives the ids.
    max_snap_m : float or None, default 500.0
        Straight-line snap distance (metres) above which a
        :class:`~centrereach.errors.SnapWarning` names the points (:data:`SNAP_WARNING_M`; the
        points are kept). ``None`` never warns.
    access_speed_kph : float, optional
        Speed of the access leg (km/h). Default by ``G.graph["mode"]``:
        :data:`ACCESS_SPEED_KPH` (walk 4.8 km/h, drive 20 km/h).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``, with columns ``node`` (node id), ``snap_m`` (straight-line
        distance to it, metres) and ``access_min`` (that distance at the access speed, minutes).

    Raises
    ------
    centrereach.errors.NetworkError
        Empty network, nodes without coordinates, no CRS, or no mode and no access speed.
    centrereach.errors.InvalidCoordinateError
        Points without CRS, with missing/empty geometry, or that are not points.

    Warns
    -----
    centrereach.errors.SnapWarning
        When points lie more than ``max_snap_m`` from the network.

    Examples
    --------
    >>> import geopandas as gpd, networkx as nx, pandas as pd
    >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    >>> G.add_node(1, x=-1.4300, y=53.2300)
    >>> G.add_node(2, x=-1.4200, y=53.2300)
    >>> _ = G.add_edge(1, 2, travel_time=500.0)
    >>> _ = G.add_edge(2, 1, travel_time=500.0)
    >>> homes = gpd.GeoDataFrame(
    ...     index=pd.Index(["home"], name="id"),
    ...     geometry=gpd.points_from_xy([-1.4300], [53.2309]), crs="EPSG:4326")
    >>> s = snap(G, homes)
    >>> s.round(2)
          node  snap_m  access_min
    id
    home     1  100.13        1.25
    """
    return Router(network, weight=None)._snap(
        points, max_snap_m=max_snap_m, access_speed_kph=access_speed_kph, stacklevel=3
    )


def travel_time_matrix(
    network: nx.MultiDiGraph,
    origins: Points,
    destinations: Points,
    *,
    weight: str = "travel_time",
    origin_snap: pd.DataFrame | None = None,
    destination_snap: pd.DataFrame | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Return the exact door-to-door travel time (minutes) from every origin to every destination.

    Entry ``[o, d]`` = access leg of ``o`` + shortest network travel time from ``o``'s node to
    ``d``'s node along the edges' directions (home → centre; one-way streets respected) +
    access leg of ``d``. Snapping and access legs are those of :func:`snap`. A one-off
    :meth:`Router.matrix`; to query one network several times, build a :class:`Router` once.

    Parameters
    ----------
    network : networkx.MultiDiGraph
        Road or footpath network (osmnx conventions), edges carrying ``weight`` in seconds.
    origins, destinations : geopandas.GeoDataFrame or geopandas.GeoSeries
        Points in any CRS; their (unique) indexes label the rows and columns.
    weight : str, default "travel_time"
        Edge attribute to minimise, in **seconds** (e.g. a congested travel time).
    origin_snap, destination_snap : pandas.DataFrame, optional
        Precomputed :func:`snap` tables (e.g. with another ``access_speed_kph``), indexed by
        the points' ids. When omitted, points are snapped with the defaults of :func:`snap`.
    progress : bool, default False
        Show a progress bar (tqdm) over the Dijkstra runs.

    Returns
    -------
    pandas.DataFrame
        Minutes, float64, index = ``origins.index``, columns = ``destinations.index`` (names
        kept); ``inf`` where a destination cannot be reached. ``attrs`` records ``units``
        (``"min"``), ``mode`` and ``weight``.

    Raises
    ------
    centrereach.errors.NetworkError
        See :func:`snap` and :func:`csr_from_graph`.
    centrereach.errors.DuplicateIdError
        Repeated origin or destination ids.

    Examples
    --------
    >>> import geopandas as gpd, networkx as nx, pandas as pd
    >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="drive")
    >>> G.add_node(1, x=-1.4300, y=53.2300)
    >>> G.add_node(2, x=-1.4200, y=53.2300)
    >>> _ = G.add_edge(1, 2, travel_time=60.0)   # 1 -> 2 takes one minute
    >>> _ = G.add_edge(2, 1, travel_time=120.0)  # 2 -> 1 takes two
    >>> homes = gpd.GeoDataFrame(index=pd.Index(["h"], name="area"),
    ...                          geometry=gpd.points_from_xy([-1.4300], [53.2300]), crs=4326)
    >>> centres = gpd.GeoDataFrame(index=pd.Index(["c1", "c2"], name="centre"),
    ...                            geometry=gpd.points_from_xy([-1.4300, -1.4200],
    ...                                                        [53.2300, 53.2300]), crs=4326)
    >>> travel_time_matrix(G, homes, centres)
    centre   c1   c2
    area
    h       0.0  1.0
    """
    # Repeated ids are reported before the (slower) preparation of the network.
    _require_unique(origins, "origin")
    _require_unique(destinations, "destination")
    return Router(network, weight=weight)._matrix(
        origins,
        destinations,
        origin_snap=origin_snap,
        destination_snap=destination_snap,
        progress=progress,
        stacklevel=4,
    )


# --------------------------------------------------------------------------------------------
# Scenarios: the nearest open centre
# --------------------------------------------------------------------------------------------


def _open_positions(columns: pd.Index, open_centres: OpenCentres) -> IntArray:
    """Column positions (in column order) of the open centres."""
    if open_centres is None:
        return np.arange(len(columns), dtype=np.intp)
    if isinstance(open_centres, pd.Series) and open_centres.dtype == bool:
        unknown = open_centres.index.difference(columns)
        if len(unknown):
            msg = f"unknown centre ids in the open mask: {_listing(list(map(str, unknown)))}"
            raise UnknownCentreError(msg)
        mask = open_centres.reindex(columns, fill_value=False).to_numpy(dtype=bool)
        return np.flatnonzero(mask)
    if isinstance(open_centres, np.ndarray) and open_centres.dtype == bool:
        if open_centres.shape != (len(columns),):
            msg = (
                f"a boolean open_centres mask needs one value per centre ({len(columns)}), "
                f"got shape {open_centres.shape}"
            )
            raise ValueError(msg)
        return np.flatnonzero(open_centres)
    labels: list[Hashable]
    if isinstance(open_centres, (str, bytes)) or not isinstance(open_centres, Iterable):
        labels = [open_centres]
    else:
        labels = list(open_centres)
    if labels and all(isinstance(v, (bool, np.bool_)) for v in labels):
        return _open_positions(columns, np.asarray(labels, dtype=bool))
    lookup = {label: i for i, label in enumerate(columns)}  # faster than get_indexer here
    pos = np.fromiter((lookup.get(v, -1) for v in labels), np.intp, len(labels))
    if (pos < 0).any():
        unknown_ids = [str(v) for v, p in zip(labels, pos, strict=True) if p < 0]
        msg = (
            f"unknown centre ids: {_listing(unknown_ids)}; the matrix has "
            f"{_listing(list(map(str, columns)))}"
        )
        raise UnknownCentreError(msg)
    return np.unique(pos)  # sorted: column order, duplicates ignored


def nearest_centre(matrix: pd.DataFrame, open_centres: OpenCentres = None) -> pd.DataFrame:
    """Return, for every origin, the nearest and second-nearest open centre and their times.

    Pure array work on ``matrix.to_numpy()``: a 500 × 22 scenario takes tens of microseconds
    plus building the result table.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Travel times (minutes) from :func:`travel_time_matrix`: origins × centres, ``inf``
        where unreachable. Column labels must be unique.
    open_centres : iterable of column labels, boolean mask, or None
        The centres open in this scenario: labels (order and repeats do not matter), a boolean
        array aligned with the columns, or a boolean Series indexed by centre id (missing ids
        count as closed). ``None`` (default) opens every centre.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``matrix``: ``time_min`` (minutes to the nearest open centre),
        ``centre_id``, ``second_time_min`` and ``second_centre_id`` (the runner-up, or ``inf``
        and ``None`` with fewer than two reachable open centres). Origins that reach no open
        centre keep their row with ``inf`` and ``None``. Ties go to the centre that comes
        first in the matrix's column order.

    Raises
    ------
    centrereach.errors.UnknownCentreError
        When ``open_centres`` names ids that are not columns of the matrix.
    centrereach.errors.DataFormatError
        When the matrix has duplicate column labels or missing values (NaN).

    Warns
    -----
    centrereach.errors.UnreachableWarning
        Listing the origins that reach no open centre.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"a": [5.0, 9.0], "b": [7.0, 3.0], "c": [5.0, 4.0]},
    ...                  index=pd.Index(["o1", "o2"], name="lsoa"))
    >>> nearest_centre(m, ["b", "c"])
          time_min centre_id  second_time_min second_centre_id
    lsoa
    o1         5.0         c              7.0                b
    o2         3.0         b              4.0                c
    >>> nearest_centre(m)["centre_id"].tolist()  # a tie (o1: a and c) goes to the first column
    ['a', 'b']
    """
    return _nearest_centre(matrix, open_centres, stacklevel=3)


def _nearest_centre(
    matrix: pd.DataFrame, open_centres: OpenCentres, *, stacklevel: int
) -> pd.DataFrame:
    columns = matrix.columns
    if not columns.is_unique:
        msg = "the matrix's centre columns must be unique"
        raise DataFormatError(msg)
    pos = _open_positions(columns, open_centres)
    values = matrix.to_numpy(dtype=np.float64, copy=False)
    n = values.shape[0]
    sub = values[:, pos] if pos.size != values.shape[1] else values
    if np.isnan(sub).any():
        msg = "the matrix has missing travel times (NaN); use inf for 'cannot reach'"
        raise DataFormatError(msg)
    ids = np.asarray(columns, dtype=object)[pos]
    rows = np.arange(n)
    if pos.size == 0:
        t1 = np.full(n, np.inf)
        t2 = np.full(n, np.inf)
        c1 = np.full(n, None, dtype=object)
        c2 = np.full(n, None, dtype=object)
    else:
        k1 = sub.argmin(axis=1)  # argmin returns the first minimum: column order breaks ties
        t1 = sub[rows, k1]
        c1 = ids[k1]
        if pos.size > 1:
            rest = sub.copy()
            rest[rows, k1] = np.inf
            k2 = rest.argmin(axis=1)
            t2 = rest[rows, k2]
            c2 = ids[k2]
        else:
            t2 = np.full(n, np.inf)
            c2 = np.full(n, None, dtype=object)
        c1[np.isinf(t1)] = None
        c2[np.isinf(t2)] = None
    index = matrix.index
    result = pd.DataFrame(
        {
            "time_min": pd.Series(t1, index=index, copy=False),
            # object dtype keeps None (a str column would turn it into NaN) and non-str ids
            "centre_id": pd.Series(c1, index=index, dtype=object, copy=False),
            "second_time_min": pd.Series(t2, index=index, copy=False),
            "second_centre_id": pd.Series(c2, index=index, dtype=object, copy=False),
        },
        copy=False,
    )
    unreachable = np.isinf(t1)
    if unreachable.any():
        msg = (
            f"{int(unreachable.sum())} of {n} origins reach no open centre (time inf): "
            f"{_listing(_ids(matrix.index, unreachable))}"
        )
        warnings.warn(msg, UnreachableWarning, stacklevel=stacklevel)
    return result
