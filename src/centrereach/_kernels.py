"""Compiled kernels (numba) of the engine: the k nearest centres and the nearest open centre.

Pure array functions on a graph in compressed sparse row form (``indptr``, ``indices``,
``weights`` in seconds); they know nothing of ids, coordinates or files. Nothing is compiled at
import: numba compiles each kernel on its first call and keeps the machine code in its cache.

* :func:`k_nearest_sources` is a multi-source label-setting search: every node keeps up to ``k``
  labels ``(time, source)``, one per source, settled in order of time, so each node's labels
  are its ``k`` nearest sources (exact, see ``docs/method-engine.md``). Run on the *reversed*
  graph from the centres, it gives every area its ``k`` nearest centres in one pass instead of
  one search per centre.
* :func:`nearest_open` runs one Dijkstra search per origin on the graph itself and stops as
  soon as the two nearest open centres are certain: the exact fallback for an area whose ``k``
  nearest centres a scenario mostly closes.
* :func:`repair_open` does the same for many areas at once: it keeps every node's certain
  labels and searches again only the nodes whose lists a scenario empties (a county that closes
  all its centres: the county, not the country).

Examples
--------
A path 0 - 1 - 2 with centres at nodes 0 and 2, 10 s and 30 s from node 1 (a graph symmetric
enough that it is its own reverse):

>>> import numpy as np
>>> indptr = np.array([0, 1, 3, 4]); indices = np.array([1, 0, 2, 1], dtype=np.int32)
>>> weights = np.array([10.0, 10.0, 30.0, 30.0])
>>> found = k_nearest_sources(
...     indptr, indices, weights, np.array([0, 2]), np.zeros(2), np.array([1]), 2)
>>> found.seconds.tolist(), found.sources.tolist(), found.n_labels.tolist()
([[10.0, 30.0]], [[0, 1]], [2])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["KNearest", "k_nearest_sources", "nearest_open", "repair_open"]


def _csr(
    indptr: npt.ArrayLike, indices: npt.ArrayLike, weights: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """A graph's arrays as the compiled kernels take them (contiguous int64, int32, float64)."""
    return (
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(indices, dtype=np.int32),
        np.ascontiguousarray(weights, dtype=np.float64),
    )


def _check_nodes(name: str, nodes: npt.NDArray[np.integer[Any]], n: int) -> None:
    """Raise IndexError unless every one of ``nodes`` lies in ``0..n - 1``."""
    if nodes.size and (nodes.min() < 0 or nodes.max() >= n):
        msg = f"{name} nodes must lie in 0..{n - 1}"
        raise IndexError(msg)


class KNearest(NamedTuple):
    """What :func:`k_nearest_sources` finds (path times in seconds, offsets not included)."""

    seconds: npt.NDArray[np.float64]  # (targets, k), ``inf`` beyond the sources that reach
    sources: npt.NDArray[np.int32]  # (targets, k) source positions, -1 where none
    n_labels: npt.NDArray[np.int32]  # labels per target
    node_n_labels: npt.NDArray[np.int32]  # labels per node (every node), when kept
    node_sources: npt.NDArray[np.int32]  # (nodes * k) their sources, when kept
    node_seconds: npt.NDArray[np.float64]  # (nodes * k) their path times, when kept


def k_nearest_sources(
    indptr: npt.NDArray[np.integer[Any]],
    indices: npt.NDArray[np.int32],
    weights: npt.NDArray[np.float64],
    source_nodes: npt.ArrayLike,
    offsets: npt.ArrayLike,
    targets: npt.ArrayLike,
    k: int,
    *,
    keep_nodes: bool = False,
) -> KNearest:
    """Return the ``k`` nearest sources of each target node, by path time plus offset.

    A label-setting search from every source at once: labels ``(offset + path, source)`` are
    taken from one priority queue in increasing order (ties: lower source first) and a node
    keeps the first ``k`` of distinct sources; only a kept label travels on. If a source is
    among a node's ``k`` nearest it is among the ``k`` nearest of every node on the quickest
    path between them, so pruning the others loses nothing: each target's labels are its ``k``
    nearest sources with their exact path times (as one Dijkstra search per source would give
    them). The search stops when every target has ``k`` labels.

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        The graph (CSR; weights in seconds, >= 0). Paths follow the edges from the source:
        pass the *reversed* graph for times from the targets to the sources.
    source_nodes : array-like of int
        Node of each source (several sources may share a node).
    offsets : array-like of float
        A time added to every path from each source (seconds, >= 0), e.g. its access leg.
    targets : array-like of int
        The nodes whose labels are returned (distinct).
    k : int
        Labels per node (>= 1).
    keep_nodes : bool, default False
        Also return every node's labels (``12 × k`` bytes per node), for :func:`repair_open`;
        the search then runs to the end instead of stopping when the targets are full.

    Returns
    -------
    KNearest
        ``seconds``: ``(len(targets), k)`` path times (seconds, offsets not included), in
        the order of ``offset + path``, ``inf`` beyond the sources a target can reach;
        ``sources``: their positions (-1 where there is no label); ``n_labels``: labels per
        target (``k``, or fewer when fewer sources reach it); with ``keep_nodes``, the same
        for every node (``node_n_labels``, ``node_sources``, ``node_seconds``, flat, ``k`` per
        node), else empty arrays.

    Examples
    --------
    One-way edges 0 -> 1 (5 s) and 2 -> 1 (1 s): from the sources 0 and 2 along the edges,
    node 1 is reached from both, with source 2 (offset 10 s) after source 0:

    >>> import numpy as np
    >>> found = k_nearest_sources(
    ...     np.array([0, 1, 1, 2]), np.array([1, 1], dtype=np.int32), np.array([5.0, 1.0]),
    ...     source_nodes=[0, 2], offsets=[0.0, 10.0], targets=[1], k=2)
    >>> found.seconds.tolist(), found.sources.tolist(), found.n_labels.tolist()
    ([[5.0, 1.0]], [[0, 1]], [2])
    """
    n = int(np.asarray(indptr).size) - 1
    src = np.ascontiguousarray(source_nodes, dtype=np.int32)
    off = np.ascontiguousarray(offsets, dtype=np.float64)
    tgt = np.ascontiguousarray(targets, dtype=np.int64)
    if k < 1:
        msg = f"k must be at least 1, got {k}"
        raise ValueError(msg)
    if src.shape != off.shape:
        msg = "one offset per source is needed"
        raise ValueError(msg)
    _check_nodes("source", src, n)
    _check_nodes("target", tgt, n)
    if not (np.isfinite(off).all() and (off >= 0).all()):
        msg = "offsets must be finite seconds >= 0"
        raise ValueError(msg)
    slot = np.full(n, -1, dtype=np.int32)
    slot[tgt] = np.arange(tgt.size, dtype=np.int32)
    if np.unique(tgt).size != tgt.size:
        msg = "target nodes must be distinct"
        raise ValueError(msg)
    from centrereach._jit import k_nearest_labels as run

    seconds, sources, node_n_labels, node_sources, node_seconds = run(
        *_csr(indptr, indices, weights),
        src,
        off,
        slot,
        tgt.size,
        int(k),
        bool(keep_nodes),
    )
    count = (sources >= 0).sum(axis=1).astype(np.int32)
    if not keep_nodes:
        node_n_labels = np.zeros(0, dtype=np.int32)
        node_sources = np.zeros(0, dtype=np.int32)
    return KNearest(seconds, sources, count, node_n_labels, node_sources, node_seconds)


def nearest_open(
    indptr: npt.NDArray[np.integer[Any]],
    indices: npt.NDArray[np.int32],
    weights: npt.NDArray[np.float64],
    starts: npt.ArrayLike,
    origin_min: npt.ArrayLike,
    centre_nodes: npt.ArrayLike,
    centre_min: npt.ArrayLike,
    open_mask: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    """Return each origin's nearest and second-nearest open centre, exactly, in minutes.

    One Dijkstra search per origin along the edges, which stops as soon as no node left could
    hold an open centre nearer than the second found: time = path seconds / 60 + the origin's
    access minutes + the centre's access minutes (a matrix entry of
    :func:`centrereach.traveltime.travel_time_matrix`). Ties go to the lower centre position.
    Origins are split between the CPU cores.

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        The graph (CSR, weights in seconds, >= 0), searched along its edges.
    starts : array-like of int
        Node of each origin.
    origin_min : array-like of float
        Access minutes of each origin.
    centre_nodes : array-like of int
        Node of each centre.
    centre_min : array-like of float
        Access minutes of each centre (>= 0).
    open_mask : array-like of bool
        Which centres are open.

    Returns
    -------
    times : numpy.ndarray
        ``(len(starts), 2)`` minutes to the nearest and second-nearest open centre (``inf``
        when there are not that many within reach).
    centres : numpy.ndarray of int32
        ``(len(starts), 2)`` their positions (-1 when none).

    Examples
    --------
    >>> import numpy as np
    >>> indptr = np.array([0, 1, 3, 4]); indices = np.array([1, 0, 2, 1], dtype=np.int32)
    >>> weights = np.array([60.0, 60.0, 120.0, 120.0])  # 1 min from 0 to 1, 2 min from 1 to 2
    >>> times, centres = nearest_open(indptr, indices, weights, [1], [0.5], [0, 2, 2],
    ...                               [0.0, 0.0, 0.25], [False, True, True])
    >>> times.tolist(), centres.tolist()
    ([[2.5, 2.75]], [[1, 2]])
    """
    n = int(np.asarray(indptr).size) - 1
    start = np.ascontiguousarray(starts, dtype=np.int64)
    o_min = np.ascontiguousarray(origin_min, dtype=np.float64)
    c_nodes = np.ascontiguousarray(centre_nodes, dtype=np.int64)
    c_min = np.ascontiguousarray(centre_min, dtype=np.float64)
    mask = np.ascontiguousarray(open_mask, dtype=np.bool_)
    if start.shape != o_min.shape or c_nodes.shape != c_min.shape or mask.shape != c_min.shape:
        msg = "one access time per origin, and one access time and open flag per centre"
        raise ValueError(msg)
    _check_nodes("origin", start, n)
    _check_nodes("centre", c_nodes, n)
    order = np.argsort(c_nodes, kind="stable")
    slot_ptr = np.searchsorted(c_nodes[order], np.arange(n + 1)).astype(np.int64)
    if start.size == 0:
        return np.full((0, 2), np.inf), np.full((0, 2), -1, dtype=np.int32)
    from numba import get_num_threads

    chunks = int(min(start.size, get_num_threads()))
    from centrereach._jit import nearest_open_many as run

    times, centres = run(
        *_csr(indptr, indices, weights),
        start,
        o_min,
        slot_ptr,
        order.astype(np.int32),
        c_min,
        mask,
        chunks,
    )
    return times, centres


def repair_open(
    graph: tuple[npt.NDArray[Any], npt.NDArray[np.int32], npt.NDArray[np.float64]],
    reversed_graph: tuple[npt.NDArray[Any], npt.NDArray[np.int32], npt.NDArray[np.float64]],
    labels: KNearest,
    k: int,
    source_nodes: npt.ArrayLike,
    offsets: npt.ArrayLike,
    open_mask: npt.ArrayLike,
    targets: npt.ArrayLike,
    *,
    margin_s: float = 6e-5,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], int]:
    """Return each target's two nearest open sources, searching again only where needed.

    A node whose ``k`` labels (from :func:`k_nearest_sources` with ``keep_nodes=True``) hold
    two open sources before the ``k``-th (by more than ``margin_s``), or all the sources that
    reach it, keeps them: they are its two nearest open sources. The other nodes, the
    *affected* ones, get a label-setting search of their own (two labels each), seeded with
    the open sources on them, their own open labels and the two labels of every unaffected
    neighbour upstream. A source among a node's two nearest open ones is among those of every
    node on the quickest path, so nothing is lost: the answer is the exact one, found in the
    region the closures change rather than the whole graph.

    Parameters
    ----------
    graph, reversed_graph : tuple of numpy.ndarray
        ``(indptr, indices, weights)`` of the graph (weights in seconds) and of its reverse,
        the one the labels were found on.
    labels : KNearest
        The every-node labels of :func:`k_nearest_sources` (``keep_nodes=True``).
    k : int
        Labels per node in ``labels``.
    source_nodes, offsets : array-like
        Node and offset (seconds) of each source, as given to :func:`k_nearest_sources`.
    open_mask : array-like of bool
        Which sources are open.
    targets : array-like of int
        The nodes whose answer is wanted.
    margin_s : float, default 6e-5
        A second open label this close (seconds) to the ``k``-th is not trusted (a source
        outside the list might tie with it).

    Returns
    -------
    seconds : numpy.ndarray
        ``(len(targets), 2)`` path times (seconds) to the nearest and second-nearest open
        source, in the order of ``offset + path``; ``inf`` when fewer reach the target.
    sources : numpy.ndarray of int32
        ``(len(targets), 2)`` their positions (-1 when none).
    affected : int
        Nodes searched again.

    Examples
    --------
    The path 0 - 1 - 2 of the module's example, both centres closed but the far one:

    >>> import numpy as np
    >>> g = (np.array([0, 1, 3, 4]), np.array([1, 0, 2, 1], dtype=np.int32),
    ...      np.array([10.0, 10.0, 30.0, 30.0]))
    >>> found = k_nearest_sources(*g, [0, 2], [0.0, 0.0], [1], 1, keep_nodes=True)
    >>> seconds, sources, affected = repair_open(g, g, found, 1, [0, 2], [0.0, 0.0],
    ...                                          [False, True], [1])
    >>> seconds.tolist(), sources.tolist(), affected
    ([[30.0, inf]], [[1, -1]], 3)
    """
    from centrereach._jit import repair_open as run

    if labels.node_n_labels.size == 0:
        msg = "repair_open needs every node's labels: k_nearest_sources(..., keep_nodes=True)"
        raise ValueError(msg)
    mask = np.ascontiguousarray(open_mask, dtype=np.bool_)
    src = np.ascontiguousarray(source_nodes, dtype=np.int64)
    off = np.ascontiguousarray(offsets, dtype=np.float64)
    if mask.shape != src.shape or off.shape != src.shape:
        msg = "one node, one offset and one open flag per source"
        raise ValueError(msg)
    tgt = np.ascontiguousarray(targets, dtype=np.int64)
    _check_nodes("target", tgt, labels.node_n_labels.size)
    seconds, sources, affected = run(
        *_csr(*graph),
        *_csr(*reversed_graph),
        labels.node_n_labels,
        labels.node_sources,
        labels.node_seconds,
        int(k),
        src,
        off,
        mask,
        float(margin_s),
        tgt,
    )
    return seconds, sources, int(affected)
