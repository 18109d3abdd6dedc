"""Road and footpath networks as routing arrays, built straight from OpenStreetMap files.

:func:`load_network_arrays` reads a PBF (or OSM XML) extract with pyosmium and returns a
:class:`NetworkArrays`: node ids and coordinates, a compressed sparse row (CSR) adjacency of
travel times in seconds, edge lengths in metres and the speed model. It never builds a networkx
graph, which costs about 1 kB per edge (an estimated 35-45 GiB for England's drive network,
against about 3 GB as arrays), and it streams the file twice instead of holding every node's
location: the first pass keeps the wanted ways' node references and one speed per way, the
second the coordinates of those nodes only. The arrays are saved as a compact ``.npz`` file in
the cache (``networks`` in the cache root), keyed by the extract's SHA-256, the mode, the speed
model and the clip, so the next study on the same extract reads them in a second.

The arrays are *the same network* :func:`centrereach.network.load_network` builds, by the same
code: osmnx's way filter and one-way rules and centrereach's speed rules
(:mod:`centrereach.network`, :mod:`centrereach.speeds`), osmnx's great-circle lengths, the
clip to a study area, the largest weakly connected component, and the order of the nodes. A
:class:`~centrereach.traveltime.Router` built from them gives the matrix a router built from the
graph gives, to the second (tests check both real extracts).

Examples
--------
>>> import pathlib, tempfile
>>> xml = '''<osm version="0.6">
...  <node id="1" lat="53.2300" lon="-1.4200"/><node id="2" lat="53.2300" lon="-1.4100"/>
...  <node id="3" lat="53.2400" lon="-1.4100"/>
...  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
...   <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
... </osm>'''
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.osm"
>>> _ = path.write_text(xml)
>>> arrays = load_network_arrays(path, mode="drive", cache=False, progress=False)
>>> arrays
NetworkArrays(mode='drive', nodes=3, edges=2, source='tiny.osm (OpenStreetMap)')
>>> arrays.node_ids.tolist(), arrays.csr().toarray().round(1).tolist()[1]
([1, 2, 3], [0.0, 0.0, 103.6])
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from centrereach._io import atomic_path
from centrereach.errors import NetworkError, NetworkUnavailableError
from centrereach.network import (
    _ONEWAY_VALUES,
    _REVERSED_VALUES,
    GEOFABRIK_DERBYSHIRE,
    Mode,
    SpeedModel,
    _as_mode,
    _buffer_polygon,
    _check_buffer,
    _check_polygon,
    _edge_limit_kph,
    _file_kind,
    _speed_model_record,
    _Stages,
    _way_filter,
    load_network,
)

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_array
    from shapely.geometry.base import BaseGeometry

__all__ = ["ARRAYS_FORMAT", "NetworkArrays", "load_network_arrays", "network_arrays_key"]

logger = logging.getLogger(__name__)

ARRAYS_FORMAT: Final = 2
"""Version of the ``.npz`` layout and of the rules that fill it; part of every cache key (a new
version builds afresh). 2: cycle networks (osmnx's bike filter at the flat cycle speed)."""

IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]

_BOTH, _FORWARD, _BACKWARD = 0, 1, -1  # the directions a way is open in
_ARRAY_FIELDS = ("node_ids", "lon", "lat", "indptr", "indices", "travel_time_s", "length_m")


# ---------------------------------------------------------------------------------------------
# The arrays
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class NetworkArrays:
    """A road or footpath network as the arrays a router needs (no networkx graph).

    Row ``i`` of the CSR adjacency is node ``i``: ``node_ids[i]`` (OpenStreetMap id),
    ``lon[i]``, ``lat[i]`` (EPSG:4326). The edges leaving it are
    ``indices[indptr[i]:indptr[i + 1]]`` (sorted), with ``travel_time_s`` (seconds) and
    ``length_m`` (metres). Parallel edges count once: the quickest time and the shortest length
    over the ways joining the same two nodes in that direction (what
    :func:`centrereach.traveltime.csr_from_graph` makes of a graph); self-loops are dropped.

    Parameters
    ----------
    node_ids : numpy.ndarray of int64
        Node ids, one per row.
    lon, lat : numpy.ndarray of float64
        Node coordinates (degrees, EPSG:4326).
    indptr : numpy.ndarray of int64
        CSR row pointers (``n_nodes + 1``).
    indices : numpy.ndarray of int32
        CSR column of each edge (its head node's row).
    travel_time_s : numpy.ndarray of float64
        Travel time of each edge (seconds), finite and >= 0.
    length_m : numpy.ndarray of float64
        Length of each edge (metres).
    mode : str
        ``"drive"``, ``"walk"`` or ``"cycle"`` (sets the access-leg speed of a router).
    speed_model : dict
        The speed model's record (as ``G.graph["speed_model"]`` of
        :func:`centrereach.network.load_network`).
    source : str
        Where the network came from, in words.
    n_edges : int
        Edges as the networkx graph counts them (parallel edges each), for provenance.
    source_path : str, optional
        The file the network was read from.
    cache_path : pathlib.Path, optional
        The ``.npz`` file the arrays were loaded from or saved to (a Dask worker reads it).

    Raises
    ------
    centrereach.errors.NetworkError
        When the arrays do not fit together (lengths, CSR structure, negative times).

    Examples
    --------
    Two junctions, one minute apart one way and two minutes back:

    >>> import numpy as np
    >>> arrays = NetworkArrays(
    ...     node_ids=np.array([10, 20]), lon=np.array([-1.43, -1.415]),
    ...     lat=np.array([53.23, 53.23]), indptr=np.array([0, 1, 2]),
    ...     indices=np.array([1, 0], dtype=np.int32), travel_time_s=np.array([60.0, 120.0]),
    ...     length_m=np.array([1000.0, 1000.0]), mode="drive", speed_model={}, source="by hand")
    >>> arrays.n_nodes, arrays.csr().toarray().tolist()
    (2, [[0.0, 60.0], [120.0, 0.0]])
    """

    node_ids: IntArray
    lon: FloatArray
    lat: FloatArray
    indptr: IntArray
    indices: npt.NDArray[np.int32]
    travel_time_s: FloatArray
    length_m: FloatArray
    mode: str
    speed_model: Mapping[str, Any]
    source: str
    n_edges: int = -1
    source_path: str | None = None
    cache_path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n = int(np.asarray(self.node_ids).shape[0])
        object.__setattr__(self, "node_ids", np.asarray(self.node_ids))
        for name in ("lon", "lat", "travel_time_s", "length_m"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        object.__setattr__(self, "indptr", np.asarray(self.indptr, dtype=np.int64))
        object.__setattr__(self, "indices", np.asarray(self.indices, dtype=np.int32))
        if self.n_edges < 0:
            object.__setattr__(self, "n_edges", int(self.indices.size))
        problems = []
        if self.lon.shape != (n,) or self.lat.shape != (n,):
            problems.append(f"lon/lat need one value per node ({n})")
        if self.indptr.shape != (n + 1,) or (n + 1 and self.indptr[0] != 0):
            problems.append(f"indptr needs n_nodes + 1 = {n + 1} values starting at 0")
        elif np.any(np.diff(self.indptr) < 0) or self.indptr[-1] != self.indices.size:
            problems.append("indptr must be non-decreasing and end at the number of edges")
        m = self.indices.size
        if self.travel_time_s.shape != (m,) or self.length_m.shape != (m,):
            problems.append(f"travel_time_s and length_m need one value per edge ({m})")
        if m and (self.indices.min() < 0 or self.indices.max() >= n):
            problems.append(f"indices must lie in 0..{n - 1}")
        times = self.travel_time_s
        if times.shape == (m,) and not (np.isfinite(times).all() and (times >= 0).all()):
            problems.append("travel_time_s must be finite seconds >= 0")
        if n == 0:
            problems.append("the network has no nodes")
        if problems:
            msg = f"inconsistent network arrays ({self.source}): " + "; ".join(problems)
            raise NetworkError(msg)
        object.__setattr__(self, "speed_model", dict(self.speed_model))

    # -- size and shape ---------------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        """Number of nodes (rows of the CSR)."""
        return int(self.node_ids.shape[0])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (bytes)."""
        return int(sum(getattr(self, name).nbytes for name in _ARRAY_FIELDS))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(mode={self.mode!r}, nodes={self.n_nodes}, "
            f"edges={self.n_edges}, source={self.source!r})"
        )

    def csr(self, weight: str = "travel_time") -> csr_array:
        """Return the adjacency as a SciPy sparse matrix of ``weight``.

        Parameters
        ----------
        weight : {"travel_time", "length"}
            Seconds (``travel_time``) or metres (``length``).

        Returns
        -------
        scipy.sparse.csr_array
            ``n_nodes × n_nodes``; explicit zeros are zero-cost edges. It shares memory with
            the arrays.

        Examples
        --------
        >>> import numpy as np
        >>> a = NetworkArrays(node_ids=np.array([1, 2]), lon=np.zeros(2), lat=np.zeros(2),
        ...     indptr=np.array([0, 1, 1]), indices=np.array([1], dtype=np.int32),
        ...     travel_time_s=np.array([0.0]), length_m=np.array([5.0]), mode="walk",
        ...     speed_model={}, source="x")
        >>> a.csr().nnz, a.csr("length").toarray().tolist()
        (1, [[0.0, 5.0], [0.0, 0.0]])
        """
        from scipy.sparse import csr_array

        if weight == "travel_time":
            data = self.travel_time_s
        elif weight == "length":
            data = self.length_m
        else:
            msg = f"network arrays hold 'travel_time' (s) and 'length' (m), not {weight!r}"
            raise NetworkError(msg)
        n = self.n_nodes
        return csr_array((data, self.indices, self.indptr), shape=(n, n), copy=False)

    # -- conversions ------------------------------------------------------------------------

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph) -> NetworkArrays:
        """Return the arrays of a networkx graph from :func:`~centrereach.network.load_network`.

        Parameters
        ----------
        G : networkx.MultiDiGraph
            Unprojected (EPSG:4326) graph with integer node ids, node ``x``/``y`` and edge
            ``travel_time`` (s) and ``length`` (m); ``G.graph["mode"]`` set.

        Returns
        -------
        NetworkArrays
            Nodes in the graph's order; parallel edges reduced as :func:`csr_from_graph` does.

        Raises
        ------
        centrereach.errors.NetworkError
            A projected graph, node ids that are not integers, or missing attributes.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="walk", source="by hand")
        >>> G.add_node(7, x=-1.43, y=53.23); G.add_node(8, x=-1.42, y=53.23)
        >>> _ = G.add_edge(7, 8, travel_time=500.0, length=667.0)
        >>> _ = G.add_edge(7, 8, travel_time=450.0, length=700.0)  # a parallel way
        >>> a = NetworkArrays.from_graph(G)
        >>> a.travel_time_s.tolist(), a.length_m.tolist(), a.n_edges
        ([450.0], [667.0], 2)
        """
        crs = str(G.graph.get("crs", "")).lower()
        if crs not in {"epsg:4326", "wgs84", "wgs 84"}:
            msg = (
                f"network arrays hold longitude/latitude, but the graph's CRS is {crs!r}: "
                "project it with osmnx.project_graph(G, to_latlong=True) first"
            )
            raise NetworkError(msg)
        nodes = list(G.nodes)
        try:
            ids = np.asarray(nodes, dtype=np.int64)
        except (TypeError, ValueError, OverflowError) as exc:
            msg = "network arrays need integer node ids (OpenStreetMap ids); relabel the graph"
            raise NetworkError(msg) from exc
        n = len(nodes)
        if n == 0:
            msg = "the network is empty (it has no nodes)"
            raise NetworkError(msg)
        try:
            lon = np.fromiter((d["x"] for _, d in G.nodes(data=True)), np.float64, n)
            lat = np.fromiter((d["y"] for _, d in G.nodes(data=True)), np.float64, n)
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"every network node needs numeric 'x' and 'y' coordinates (missing: {exc!r})"
            raise NetworkError(msg) from exc
        pos = dict(zip(nodes, range(n), strict=True))
        u = array("q")
        v = array("q")
        t = array("d")
        length = array("d")
        for a, b, data in G.edges(data=True):
            u.append(pos[a])
            v.append(pos[b])
            t.append(_number(data, "travel_time", a, b))
            length.append(_number(data, "length", a, b))
        mode = G.graph.get("mode")
        if mode is None:
            msg = "the graph has no mode (G.graph['mode'] should be 'drive', 'walk' or 'cycle')"
            raise NetworkError(msg)
        record = G.graph.get("speed_model")
        return cls.from_edges(
            ids,
            lon,
            lat,
            np.frombuffer(u, np.int64),
            np.frombuffer(v, np.int64),
            np.frombuffer(t),
            np.frombuffer(length),
            mode=str(mode),
            speed_model=record if isinstance(record, Mapping) else {},
            source=str(G.graph.get("source", "a networkx graph")),
            source_path=G.graph.get("source_path"),
        )

    @classmethod
    def from_edges(
        cls,
        node_ids: npt.ArrayLike,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        tails: npt.ArrayLike,
        heads: npt.ArrayLike,
        travel_time_s: npt.ArrayLike,
        length_m: npt.ArrayLike,
        *,
        mode: str,
        speed_model: Mapping[str, Any] | None = None,
        source: str = "an edge list",
        source_path: str | None = None,
    ) -> NetworkArrays:
        """Build routing arrays from a list of directed edges (no graph needed).

        Parameters
        ----------
        node_ids, lon, lat : array-like
            One entry per node: integer id, longitude and latitude (degrees, EPSG:4326).
        tails, heads : array-like of int
            Each edge's start and end node, as positions in ``node_ids`` (0 to n-1); a two-way
            street is two edges.
        travel_time_s, length_m : array-like of float
            Each edge's travel time (seconds) and length (metres).
        mode : {"drive", "walk", "cycle"}
            The mode (sets a router's access-leg speed).
        speed_model : mapping, optional
            The speed model's record, for provenance.
        source : str
            Where the network came from, in words.
        source_path : str, optional
            The file the edges were read from, for provenance.

        Returns
        -------
        NetworkArrays
            Self-loops dropped, parallel edges reduced to the quickest (and the shortest
            length), as :meth:`from_graph` does; ``n_edges`` counts the edges given.

        Raises
        ------
        centrereach.errors.NetworkError
            Lists of different lengths, or an edge naming a node that is not there.

        Examples
        --------
        A street of three junctions, one way from 0 to 1, both ways between 1 and 2:

        >>> a = NetworkArrays.from_edges([10, 11, 12], [-1.43, -1.42, -1.41], [53.23] * 3,
        ...     tails=[0, 1, 2], heads=[1, 2, 1], travel_time_s=[60.0, 30.0, 30.0],
        ...     length_m=[700.0, 350.0, 350.0], mode="drive")
        >>> a.csr().toarray().tolist()
        [[0.0, 60.0, 0.0], [0.0, 0.0, 30.0], [0.0, 30.0, 0.0]]
        >>> NetworkArrays.from_edges([10], [-1.43], [53.23], tails=[0], heads=[1],
        ...     travel_time_s=[1.0], length_m=[1.0], mode="walk")
        Traceback (most recent call last):
        ...
        centrereach.errors.NetworkError: edge 0 ends at node position 1, but there are 1 nodes ...
        """
        u = np.asarray(tails, dtype=np.int64).ravel()
        v = np.asarray(heads, dtype=np.int64).ravel()
        times = np.asarray(travel_time_s, dtype=np.float64).ravel()
        lengths = np.asarray(length_m, dtype=np.float64).ravel()
        if not u.size == v.size == times.size == lengths.size:
            msg = (
                f"the edge lists differ in length: {u.size} tails, {v.size} heads, "
                f"{times.size} travel times, {lengths.size} lengths"
            )
            raise NetworkError(msg)
        n = int(np.asarray(node_ids).shape[0])
        for name, ends in (("starts", u), ("ends", v)):
            bad = np.flatnonzero((ends < 0) | (ends >= n))
            if bad.size:
                msg = (
                    f"edge {bad[0]} {name} at node position {ends[bad[0]]}, but there are {n} "
                    f"nodes (positions 0 to {n - 1}); {bad.size} edge(s) in all"
                )
                raise NetworkError(msg)
        indptr, indices, times, lengths = _csr_min(n, u, v, times, lengths)
        return cls(
            node_ids=np.asarray(node_ids, dtype=np.int64),
            lon=np.asarray(lon, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            indptr=indptr,
            indices=indices,
            travel_time_s=times,
            length_m=lengths,
            mode=mode,
            speed_model=dict(speed_model or {}),
            source=source,
            n_edges=int(u.size),
            source_path=source_path,
        )

    def save(self, path: str | Path) -> Path:
        """Write the arrays to an uncompressed ``.npz`` file, atomically.

        Parameters
        ----------
        path : str or pathlib.Path
            Target file (``.npz``); parent folders are created.

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import numpy as np, pathlib, tempfile
        >>> a = NetworkArrays(node_ids=np.array([1, 2]), lon=np.zeros(2), lat=np.zeros(2),
        ...     indptr=np.array([0, 1, 1]), indices=np.array([1], dtype=np.int32),
        ...     travel_time_s=np.array([9.0]), length_m=np.array([5.0]), mode="walk",
        ...     speed_model={"walk_kph": 4.8}, source="x")
        >>> out = a.save(pathlib.Path(tempfile.mkdtemp()) / "net.npz")
        >>> NetworkArrays.load(out).travel_time_s.tolist()
        [9.0]
        """
        target = Path(path)
        meta = {
            "format": ARRAYS_FORMAT,
            "mode": self.mode,
            "speed_model": self.speed_model,
            "source": self.source,
            "n_edges": self.n_edges,
            "source_path": self.source_path,
        }
        with atomic_path(target) as tmp, tmp.open("wb") as fh:
            np.savez(
                fh,
                meta=np.array(json.dumps(meta, sort_keys=True)),
                **{name: getattr(self, name) for name in _ARRAY_FIELDS},
            )
        return target

    @classmethod
    def load(cls, path: str | Path) -> NetworkArrays:
        """Read arrays written by :meth:`save` (no pickles are read).

        Parameters
        ----------
        path : str or pathlib.Path
            A ``.npz`` file from :meth:`save`.

        Returns
        -------
        NetworkArrays
            With :attr:`cache_path` set to ``path``.

        Raises
        ------
        centrereach.errors.NetworkError
            A file that is not a network-arrays file, or of another format version.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.npz"
        >>> _ = bad.write_bytes(b"not a zip")
        >>> NetworkArrays.load(bad)
        Traceback (most recent call last):
        ...
        centrereach.errors.NetworkError: cannot read the network arrays '...bad.npz': ...
        """
        file = Path(path)
        try:
            with np.load(file, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {name: data[name] for name in _ARRAY_FIELDS}
        except (OSError, ValueError, KeyError) as exc:
            msg = f"cannot read the network arrays '{file}': {exc}"
            raise NetworkError(msg) from exc
        if meta.get("format") != ARRAYS_FORMAT:
            msg = (
                f"the network arrays '{file}' have format {meta.get('format')!r}, not "
                f"{ARRAYS_FORMAT}: build them again from the OpenStreetMap file"
            )
            raise NetworkError(msg)
        return cls(
            **arrays,
            mode=str(meta["mode"]),
            speed_model=meta["speed_model"],
            source=str(meta["source"]),
            n_edges=int(meta["n_edges"]),
            source_path=meta.get("source_path"),
            cache_path=file,
        )


def _number(data: Mapping[str, Any], name: str, u: object, v: object) -> float:
    value = data.get(name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number >= 0):
        msg = f"the edge {u}→{v} has no valid '{name}' ({value!r}); use centrereach.load_network"
        raise NetworkError(msg)
    return number


def _csr_min(
    n: int, u: IntArray, v: IntArray, times: FloatArray, lengths: FloatArray
) -> tuple[IntArray, npt.NDArray[np.int32], FloatArray, FloatArray]:
    """CSR arrays of directed edges: self-loops dropped, the minimum over parallel edges."""
    keep = u != v
    if not keep.all():
        u, v, times, lengths = u[keep], v[keep], times[keep], lengths[keep]
    order = np.lexsort((v, u))
    u, v, times, lengths = u[order], v[order], times[order], lengths[order]
    if u.size:
        start = np.ones(u.size, dtype=bool)
        start[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        first = np.flatnonzero(start)
        times = np.minimum.reduceat(times, first)
        lengths = np.minimum.reduceat(lengths, first)
        u, v = u[first], v[first]
    indptr = np.searchsorted(u, np.arange(n + 1), side="left").astype(np.int64)
    return indptr, v.astype(np.int32), times, lengths


# ---------------------------------------------------------------------------------------------
# Reading an OpenStreetMap file in two streaming passes
# ---------------------------------------------------------------------------------------------


@dataclass
class _Ways:
    """The wanted ways of a file: their node references, one speed and one direction each."""

    refs: IntArray  # node ids, the ways one after another
    x: npt.NDArray[np.int32]  # the nodes' longitudes in 1e-7 degrees (osmium's integers)
    y: npt.NDArray[np.int32]  # their latitudes, likewise
    sizes: IntArray  # references per way
    limit_kph: FloatArray  # speed limit of the way (drive), NaN for walk and cycle
    direction: npt.NDArray[np.int8]  # _BOTH, _FORWARD or _BACKWARD
    timestamp: str | None


def _frombuffer(values: array[Any], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


def _read_ways(path: Path, file_format: str, mode: Mode, speeds: SpeedModel) -> _Ways:
    """Stream the ways of ``mode`` (osmnx's filter) with their nodes' locations.

    Only the ways reach Python (libosmium keeps the node locations meanwhile); each wanted way
    leaves its node ids and integer coordinates, its speed limit and its direction.
    """
    import osmium

    keep = _way_filter(mode)
    refs = array("q")
    xs = array("i")
    ys = array("i")
    sizes = array("q")
    limits = array("d")
    directions = array("b")
    memo: dict[Any, float] = {}
    walk = mode is Mode.WALK  # two-way throughout, as network._add_paths(bidirectional=...)
    drive = mode is Mode.DRIVE  # the only mode whose speed comes from the way's limit
    processor = (
        osmium.FileProcessor(
            osmium.io.File(str(path), file_format), osmium.osm.NODE | osmium.osm.WAY
        )
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    timestamp = processor.header.get("osmosis_replication_timestamp") or None
    for way in processor:
        if not isinstance(way, osmium.osm.Way):  # pragma: no cover - the entity filter
            continue
        tags = {tag.k: tag.v for tag in way.tags}
        if not keep(tags):
            continue
        nodes = way.nodes
        if len(nodes) < 2:
            continue
        # network._add_paths: the one-way rules; network._edge_limit_kph: the speed rules
        one_way = not walk and (
            tags.get("oneway") in _ONEWAY_VALUES or tags.get("junction") == "roundabout"
        )
        if not one_way:
            directions.append(_BOTH)
        elif tags.get("oneway") in _REVERSED_VALUES:
            directions.append(_BACKWARD)
        else:
            directions.append(_FORWARD)
        limit = _edge_limit_kph({**tags, "oneway": one_way}, speeds, memo) if drive else math.nan
        limits.append(limit)
        refs.extend([node.ref for node in nodes])
        xs.extend([node.x for node in nodes])
        ys.extend([node.y for node in nodes])
        sizes.append(len(nodes))
    return _Ways(
        refs=_frombuffer(refs, np.int64),
        x=_frombuffer(xs, np.int32),
        y=_frombuffer(ys, np.int32),
        sizes=_frombuffer(sizes, np.int64),
        limit_kph=_frombuffer(limits, np.float64),
        direction=_frombuffer(directions, np.int8),
        timestamp=timestamp,
    )


def _longest_present_runs(
    present: npt.NDArray[np.bool_], way_of: IntArray, n_ways: int
) -> npt.NDArray[np.bool_]:
    """Keep, in each way, its first longest run of references whose node is in the file."""
    n = present.size
    starts = np.zeros(n, dtype=bool)
    if n:
        new_way = np.ones(n, dtype=bool)
        new_way[1:] = way_of[1:] != way_of[:-1]
        previous_absent = np.ones(n, dtype=bool)
        previous_absent[1:] = ~present[:-1]
        starts = present & (new_way | previous_absent)
    run_of = np.cumsum(starts) - 1  # run number of each reference (valid where present)
    n_runs = int(starts.sum())
    keep = np.zeros(n, dtype=bool)
    if n_runs == 0:
        return keep
    run_len = np.bincount(run_of[present], minlength=n_runs)
    run_way = way_of[starts]
    best = np.zeros(n_ways, dtype=np.int64)
    np.maximum.at(best, run_way, run_len)
    is_best = run_len == best[run_way]
    # the first longest run of each way (osmnx-compatible reading keeps the first on ties)
    candidates = np.flatnonzero(is_best)
    _, first = np.unique(run_way[candidates], return_index=True)
    chosen = np.zeros(n_runs, dtype=bool)
    chosen[candidates[first]] = True
    keep[present] = chosen[run_of[present]]
    return keep


@dataclass
class _Built:
    arrays: NetworkArrays
    trimmed_ways: int


def _build(
    ways: _Ways,
    *,
    mode: Mode,
    speeds: SpeedModel,
    area: BaseGeometry | None,
    source: str,
    what: str,
    source_path: str | None,
) -> _Built:
    """Turn the ways into the network arrays, step by step as network.py builds its graph."""
    import shapely
    from osmnx.distance import great_circle
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    n_ways = ways.sizes.size
    refs = ways.refs
    way_of = np.repeat(np.arange(n_ways, dtype=np.int64), ways.sizes)
    at = np.arange(refs.size, dtype=np.int64)  # where each reference's location is
    # osmium.osm.Location.valid(): a node missing from the file has no location
    present = (np.abs(ways.x) <= 1_800_000_000) & (np.abs(ways.y) <= 900_000_000)
    trimmed = int(np.unique(way_of[~present]).size)
    if trimmed:
        keep = _longest_present_runs(present, way_of, n_ways)
        refs, way_of, at = refs[keep], way_of[keep], at[keep]
    del present
    # consecutive repeats of a node collapse (itertools.groupby in network._read_osm)
    if refs.size:
        repeat = np.zeros(refs.size, dtype=bool)
        repeat[1:] = (refs[1:] == refs[:-1]) & (way_of[1:] == way_of[:-1])
        if repeat.any():
            refs, way_of, at = refs[~repeat], way_of[~repeat], at[~repeat]
    # ways left with fewer than two nodes are dropped
    counts = np.bincount(way_of, minlength=n_ways)
    if (counts[counts > 0] < 2).any():
        enough = counts[way_of] >= 2
        refs, way_of, at = refs[enough], way_of[enough], at[enough]
    if refs.size == 0:
        _no_network(what, mode)
    # nodes in order of first appearance (the order network.py adds them to the graph, before
    # the clip, which keeps the order of the nodes it keeps)
    unique, first, inverse = np.unique(refs, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    node_of_ref = rank[inverse]
    node_ids = unique[order]
    node_at = at[first[order]]
    del unique, first, inverse, order, rank, at, refs
    # osmium's Location.lon/lat: the integer coordinate / 1e7, in double precision
    lon = ways.x[node_at] / 1e7
    lat = ways.y[node_at] / 1e7
    del node_at
    if area is not None:
        # network._clip: drop the ways with no node inside the (buffered) study area
        shapely.prepare(area)
        inside_ref = shapely.intersects_xy(area, lon[node_of_ref], lat[node_of_ref])
        way_inside = np.zeros(n_ways, dtype=bool)
        way_inside[way_of[inside_ref]] = True
        kept = way_inside[way_of]
        node_of_ref, way_of = node_of_ref[kept], way_of[kept]
        if node_of_ref.size == 0:
            _no_network(what, mode)
        used = np.zeros(node_ids.size, dtype=bool)
        used[node_of_ref] = True
        node_of_ref = (np.cumsum(used) - 1)[node_of_ref]
        node_ids, lon, lat = node_ids[used], lon[used], lat[used]

    # edges: consecutive references of a way, in the directions the way is open
    same = way_of[1:] == way_of[:-1]
    a, b = node_of_ref[:-1][same], node_of_ref[1:][same]
    seg_way = way_of[:-1][same]
    del node_of_ref
    direction = ways.direction[seg_way]
    fwd = direction != _BACKWARD
    bwd = direction != _FORWARD
    u = np.concatenate([a[fwd], b[bwd]])
    v = np.concatenate([b[fwd], a[bwd]])
    edge_way = np.concatenate([seg_way[fwd], seg_way[bwd]])
    del a, b, seg_way, direction, fwd, bwd
    n = node_ids.size

    if area is not None:
        # network._truncate: drop nodes outside the area whose neighbours are all outside too
        inside = shapely.intersects_xy(area, lon, lat)
        near = inside.copy()
        near[u[inside[v]]] = True
        near[v[inside[u]]] = True
        if not near.all():
            u, v, edge_way, node_ids, lon, lat, n = _keep_nodes(
                near, u, v, edge_way, node_ids, lon, lat
            )

    lengths = great_circle(lat[u], lon[u], lat[v], lon[v])
    lengths[np.isnan(lengths)] = 0
    if mode is Mode.WALK:
        times = lengths / (float(speeds.walk_kph) / 3.6)
    elif mode is Mode.CYCLE:  # network.add_travel_times: the cycle network's flat speed
        times = lengths / (float(speeds.cycle_kph) / 3.6)
    else:
        speed = ways.limit_kph[edge_way] * speeds.realism_factor
        times = lengths / (speed / 3.6)
    del edge_way

    # network._keep_largest_component: the largest weakly connected component
    structure = csr_array((np.ones(u.size), (u, v)), shape=(n, n))
    n_parts, labels = connected_components(structure, directed=True, connection="weak")
    del structure
    if n_parts > 1:
        sizes = np.bincount(labels)
        biggest = np.flatnonzero(sizes == sizes.max())
        _, first_node = np.unique(labels, return_index=True)
        chosen = biggest[np.argmin(first_node[biggest])]  # ties: the one met first
        keep_nodes = labels == chosen
        kept_edges = keep_nodes[u]
        times, lengths = times[kept_edges], lengths[kept_edges]
        u, v, _, node_ids, lon, lat, n = _keep_nodes(
            keep_nodes, u, v, np.zeros(u.size, np.int64), node_ids, lon, lat
        )
    del labels

    if mode is Mode.DRIVE and speeds.junction_delay_s:
        # add_travel_times: the delay on edges ending where three or more streets meet
        streets = _street_counts(n, u, v)
        times = times + np.where(streets[v] >= 3, speeds.junction_delay_s, 0.0)

    n_edges = int(u.size)
    indptr, indices, csr_times, csr_lengths = _csr_min(n, u, v, times, lengths)
    arrays = NetworkArrays(
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        indptr=indptr,
        indices=indices,
        travel_time_s=csr_times,
        length_m=csr_lengths,
        mode=mode.value,
        speed_model=_speed_model_record(speeds, mode),
        source=source,
        n_edges=n_edges,
        source_path=source_path,
    )
    return _Built(arrays=arrays, trimmed_ways=trimmed)


def _no_network(what: str, mode: Mode) -> None:
    msg = (
        f"{what} holds no {mode.value} network: no OpenStreetMap way passes osmnx's "
        f"{mode.value!r} filter. Check that the file covers the study area and contains "
        "highway ways."
    )
    raise NetworkError(msg)


def _keep_nodes(
    keep: npt.NDArray[np.bool_],
    u: IntArray,
    v: IntArray,
    edge_way: IntArray,
    node_ids: IntArray,
    lon: FloatArray,
    lat: FloatArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray, FloatArray, int]:
    """Remove the nodes not in ``keep`` (and their edges), keeping the others' order."""
    new = np.cumsum(keep) - 1
    edges = keep[u] & keep[v]
    return (
        new[u[edges]],
        new[v[edges]],
        edge_way[edges],
        node_ids[keep],
        lon[keep],
        lat[keep],
        int(keep.sum()),
    )


def _street_counts(n: int, u: IntArray, v: IntArray) -> IntArray:
    """Streets meeting at each node, as :func:`osmnx.stats.count_streets_per_node` counts them.

    Each undirected pair of nodes counts as many streets as it has parallel edges in its busier
    direction (a two-way street is one street, not two); a self-loop counts twice, once.
    """
    loops = u == v
    pairs = np.stack([u[~loops], v[~loops]])
    directed, multiplicity = np.unique(pairs, axis=1, return_counts=True)
    lo = np.minimum(directed[0], directed[1])
    hi = np.maximum(directed[0], directed[1])
    undirected, where = np.unique(np.stack([lo, hi]), axis=1, return_inverse=True)
    per_pair = np.zeros(undirected.shape[1], dtype=np.int64)
    np.maximum.at(per_pair, where.reshape(-1), multiplicity)
    counts = np.bincount(undirected[0], weights=per_pair, minlength=n)
    counts += np.bincount(undirected[1], weights=per_pair, minlength=n)
    counts[np.unique(u[loops])] += 2
    return counts.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The entry point, with its cache
# ---------------------------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def network_arrays_key(
    checksum: str,
    *,
    mode: Mode | str,
    speeds: SpeedModel | None = None,
    polygon: BaseGeometry | None = None,
    buffer_m: float = 10_000,
) -> str:
    """Return the cache key of the arrays of one extract (a sha256 hex digest).

    It hashes the extract's SHA-256, the mode, the speed model, the clip (the study-area polygon
    with coordinates rounded to 6 decimal places, about 0.1 m, and the buffer), the versions of
    the arrays' layout and of osmnx (whose great-circle lengths are used): a change to any of
    them builds the arrays afresh.

    Parameters
    ----------
    checksum : str
        SHA-256 of the OpenStreetMap file (hex).
    mode : {"drive", "walk", "cycle"}
        The travel mode.
    speeds : SpeedModel, optional
        The speed model (default :meth:`SpeedModel.realistic`).
    polygon : shapely Polygon or MultiPolygon, optional
        The study area the network is clipped to (EPSG:4326), or None for the whole file.
    buffer_m : float, default 10000
        Buffer around the polygon (metres); ignored without a polygon.

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> k1 = network_arrays_key("ab" * 32, mode="drive")
    >>> k2 = network_arrays_key("ab" * 32, mode="drive", speeds=SpeedModel.free_flow())
    >>> len(k1), k1 == k2, k1 == network_arrays_key("ab" * 32, mode="drive")
    (64, False, True)
    """
    import osmnx as ox
    import shapely

    mode = _as_mode(mode)
    speeds = SpeedModel.realistic() if speeds is None else speeds
    clip = None
    if polygon is not None:
        rounded = shapely.transform(polygon, lambda xy: np.round(xy, 6))
        clip = {"polygon_wkb": shapely.to_wkb(rounded, hex=True), "buffer_m": float(buffer_m)}
    record = {
        "format": ARRAYS_FORMAT,
        "extract_sha256": checksum,
        "mode": mode.value,
        "speeds": speeds.to_dict(),
        "clip": clip,
        "osmnx": ox.__version__,
    }
    blob = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def _default_cache_dir() -> Path:
    from centrereach._settings import cache_dir

    return cache_dir("networks")


def load_network_arrays(
    source: str | Path,
    *,
    mode: Mode | str,
    speeds: SpeedModel | None = None,
    polygon: BaseGeometry | None = None,
    buffer_m: float = 10_000,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> NetworkArrays:
    """Load a road (``"drive"``), footpath (``"walk"``) or cycle (``"cycle"``) network as arrays.

    For an OpenStreetMap file (``.osm.pbf``, ``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``)
    the arrays are built straight from the file in two streaming passes (no networkx graph),
    then cached; a GraphML file or ``"download"`` goes through
    :func:`centrereach.network.load_network` and :meth:`NetworkArrays.from_graph`. Either way
    the network is the one ``load_network`` returns with the same arguments.

    Parameters
    ----------
    source : str or pathlib.Path
        An OpenStreetMap extract or a GraphML file, or ``"download"`` (needs ``polygon``).
    mode : {"drive", "walk", "cycle"}
        osmnx's drive filter with one-way streets respected, its walk filter both ways, or its
        bike filter with one-way streets respected at the cycle network's flat speed.
    speeds : SpeedModel, optional
        Speed model (default :meth:`SpeedModel.realistic`: speed limits × 0.8).
    polygon : shapely Polygon or MultiPolygon, optional
        Study area (EPSG:4326): the network is clipped to it plus ``buffer_m`` as
        ``load_network`` clips it (ways with no node inside are dropped, then nodes outside
        whose neighbours are all outside).
    buffer_m : float, default 10000
        Metres added around ``polygon``.
    cache : bool, default True
        Read the arrays from the cache when there, else build and save them there. The key
        is :func:`network_arrays_key` (the file's SHA-256, mode, speeds, clip).
    cache_dir : str or pathlib.Path, optional
        Folder of cached networks (default ``networks`` in the cache root, see
        :func:`centrereach._settings.cache_dir`).
    progress : bool, default True
        Show a progress bar (stderr) over the stages.

    Returns
    -------
    NetworkArrays
        Nodes (OpenStreetMap ids, lon/lat), CSR of travel times (s) and lengths (m),
        ``mode``, ``speed_model``, ``source``; :attr:`~NetworkArrays.cache_path` is the cached
        file when there is one.

    Raises
    ------
    centrereach.errors.NetworkUnavailableError
        The file does not exist.
    centrereach.errors.NetworkError
        Unknown file type, unreadable file, or no way of the mode in it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> xml = '''<osm version="0.6">
    ...  <node id="1" lat="53.2300" lon="-1.4200"/><node id="2" lat="53.2300" lon="-1.4100"/>
    ...  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
    ... </osm>'''
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "path.osm").write_text(xml)
    >>> walk = load_network_arrays(folder / "path.osm", mode="walk", cache_dir=folder,
    ...                            progress=False)
    >>> walk.travel_time_s.round(1).tolist(), walk.cache_path.suffix  # 665.6 m at 4.8 km/h
    ([499.2, 499.2], '.npz')
    >>> load_network_arrays(folder / "path.osm", mode="drive", progress=False, cache=False)
    Traceback (most recent call last):
    ...
    centrereach.errors.NetworkError: '...path.osm' holds no drive network: ...
    """
    mode = _as_mode(mode)
    speeds = SpeedModel.realistic() if speeds is None else speeds
    if not isinstance(speeds, SpeedModel):
        msg = f"speeds must be a centrereach SpeedModel, got {type(speeds).__name__}"
        raise TypeError(msg)
    if isinstance(source, str) and source == "download":
        G = load_network(
            "download", mode=mode, speeds=speeds, polygon=polygon, buffer_m=buffer_m,
            cache_dir=cache_dir, progress=progress,
        )  # fmt: skip
        return NetworkArrays.from_graph(G)
    path = Path(source)
    kind, fmt = _file_kind(path)
    if not path.is_file():
        msg = (
            f"the {mode.value} network file '{path}' does not exist. Download an OpenStreetMap "
            f"extract such as Geofabrik's {GEOFABRIK_DERBYSHIRE} and pass its path with "
            f"`--network {mode.value}=PATH`."
        )
        raise NetworkUnavailableError(msg)
    if kind == "graphml":
        G = load_network(path, mode=mode, speeds=speeds, polygon=polygon, buffer_m=buffer_m,
                         progress=progress)  # fmt: skip
        G.graph.setdefault("source_path", str(path))
        return NetworkArrays.from_graph(G)
    area = None
    if polygon is not None:
        _check_polygon(polygon)
        _check_buffer(buffer_m)
        area = _buffer_polygon(polygon, buffer_m)
    with _Stages(progress, f"{mode.value} network", 3) as stages:
        cached: Path | None = None
        if cache:
            stages.step("checking the cache")
            key = network_arrays_key(
                _file_sha256(path), mode=mode, speeds=speeds, polygon=polygon, buffer_m=buffer_m
            )
            folder = _default_cache_dir() if cache_dir is None else Path(cache_dir)
            cached = folder / f"{mode.value}-{key[:32]}.npz"
            if cached.is_file():
                try:
                    arrays = NetworkArrays.load(cached)
                except NetworkError as err:  # a damaged cache file: build it again
                    logger.warning("ignoring the unreadable cached network %s (%s)", cached, err)
                else:
                    logger.info("%s network arrays served from the cache %s", mode.value, cached)
                    return _read_from(arrays, path)
        t0 = time.perf_counter()
        stages.step(f"reading the ways of {path.name}")
        try:
            ways = _read_ways(path, fmt, mode, speeds)
        except RuntimeError as err:  # libosmium's parse errors
            msg = f"cannot read the OpenStreetMap file '{path}': {err}"
            raise NetworkError(msg) from err
        stages.step("building the arrays")
        text = f"{path.name} (OpenStreetMap"
        if ways.timestamp:
            text += f", data of {ways.timestamp}"
        if area is not None:
            text += f", clipped to the study area + {buffer_m:g} m"
        text += ")"
        built = _build(
            ways, mode=mode, speeds=speeds, area=area, source=text,
            what=f"'{path}'", source_path=str(path),
        )  # fmt: skip
        arrays = built.arrays
        if built.trimmed_ways:
            logger.info(
                "%d ways in %s reference nodes missing from the file (cut at the extract's "
                "edge); kept their longest run of present nodes",
                built.trimmed_ways,
                path.name,
            )
        logger.info(
            "%s network arrays: %d nodes, %d edges (%.0f MB) built in %.1f s",
            mode.value, arrays.n_nodes, arrays.n_edges, arrays.nbytes / 1e6,
            time.perf_counter() - t0,
        )  # fmt: skip
        if cached is not None:
            try:
                arrays.save(cached)
            except OSError as err:
                logger.warning("could not cache the network arrays at %s: %s", cached, err)
            else:
                arrays = _with_cache_path(arrays, cached)
        return arrays


def _read_from(arrays: NetworkArrays, path: Path) -> NetworkArrays:
    """Cached arrays, named after the file read now (the key is its content, not its path).

    The same extract may sit elsewhere or under another name (another clone, a moved data
    folder); provenance and the report must name the file this run read, not the one that
    filled the cache.
    """
    before = Path(arrays.source_path).name if arrays.source_path else None
    source = arrays.source
    if before and source.startswith(f"{before} ("):
        source = path.name + source[len(before) :]
    object.__setattr__(arrays, "source_path", str(path))
    object.__setattr__(arrays, "source", source)
    return arrays


def _with_cache_path(arrays: NetworkArrays, path: Path) -> NetworkArrays:
    object.__setattr__(arrays, "cache_path", path)
    return arrays
