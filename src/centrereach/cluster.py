"""The matrix and the scenarios split between the workers of a Dask cluster.

When one machine is not enough (every LSOA in England to thousands of centres, all counties at
once), :func:`matrix` shares the one-search-per-centre work of
:meth:`centrereach.traveltime.Router.matrix` between the workers of an existing Dask cluster,
in chunks of centres (or of origins, when there are fewer origins than centres), and
:func:`evaluate_scenarios` shares the per-scenario work in chunks of areas. Each worker loads the
network once: from the cached network arrays (a ``.npz`` file, see
:func:`centrereach.netarrays.load_network_arrays`) when the router was built from them and the
workers can read the file, else from one copy of the routing matrix sent to every worker.
The answers are those of the local functions, to the bit: each chunk runs the same searches.

Dask is imported only here, and only when a client is given: ``pip install
'centrereach[cluster]'``. ``Study.run(client=...)`` and ``centrereach run --scheduler ADDRESS``
use it; see ``docs/national.md``.

Examples
--------
>>> from centrereach import cluster
>>> cluster.CHUNKS_PER_WORKER, cluster.MAX_NETWORKS  # chunks per worker, networks it keeps
(4, 4)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from centrereach.errors import NetworkError
from centrereach.netarrays import NetworkArrays
from centrereach.traveltime import (
    NearestCentres,
    Router,
    _minutes_frame,
    _node_matrix,
    _transposed,
)

if TYPE_CHECKING:
    from scipy.sparse import csr_array

    from centrereach.network import Mode
    from centrereach.scenarios import Scenario
    from centrereach.traveltime import Points

__all__ = ["evaluate_scenarios", "matrix", "worker_cache_size"]

logger = logging.getLogger(__name__)

#: Chunks per worker: enough to balance uneven chunks, few enough to keep overheads small.
CHUNKS_PER_WORKER = 4
#: Networks a worker keeps loaded (the oldest is dropped beyond this).
MAX_NETWORKS = 4

# On each worker (a process, or the client's own process for a threads-only cluster): the
# networks it has loaded, by key, with their reversed graphs. Loaded once, used by every task.
_NETWORKS: dict[str, tuple[csr_array, csr_array]] = {}
_LOCK = threading.Lock()


def worker_cache_size() -> int:
    """Return how many networks this process holds for cluster tasks.

    Returns
    -------
    int
        Networks loaded (each once, whatever the number of tasks that used it).

    Examples
    --------
    >>> worker_cache_size() >= 0
    True
    """
    return len(_NETWORKS)


def _network(key: str, source: str | Any, weight: str) -> tuple[csr_array, csr_array]:
    """The routing matrix and its reverse for ``key``: loaded on the first task, then kept."""
    with _LOCK:
        if key not in _NETWORKS:
            if isinstance(source, str):
                csr = NetworkArrays.load(source).csr(weight)
            else:
                csr = source
            while len(_NETWORKS) >= MAX_NETWORKS:
                _NETWORKS.pop(next(iter(_NETWORKS)))
            _NETWORKS[key] = (csr, _transposed(csr))
        return _NETWORKS[key]


def _seconds_block(
    key: str,
    source: str | Any,
    weight: str,
    origin_idx: npt.NDArray[np.intp],
    dest_idx: npt.NDArray[np.intp],
) -> npt.NDArray[np.float64]:
    """One chunk of the matrix, in seconds (runs on a worker)."""
    csr, reverse = _network(key, source, weight)
    return _node_matrix(csr, origin_idx, dest_idx, progress=False, reversed_csr=lambda: reverse)


def _payload(client: Any, router: Router, *, send: bool) -> tuple[str, str | Any, str]:
    """How the workers get the network: the cached arrays' file, or one copy sent to each."""
    weight = router.weight
    if weight is None:
        msg = "a router built with weight=None (for snapping only) has no travel times"
        raise NetworkError(msg)
    cache_path = None if router.arrays is None else router.arrays.cache_path
    if cache_path is not None and not send and Path(cache_path).is_file():
        path = Path(cache_path).resolve()
        stat = path.stat()
        return f"file:{path}:{stat.st_size}:{stat.st_mtime_ns}:{weight}", str(path), weight
    future = client.scatter(router.csr, broadcast=True, hash=False)
    return f"memory:{future.key}", future, weight


def _n_workers(client: Any) -> int:
    workers = client.scheduler_info().get("workers", {})
    return max(1, len(workers))


def matrix(
    client: Any,
    router: Router,
    origins: Points,
    destinations: Points,
    *,
    origin_snap: pd.DataFrame | None = None,
    destination_snap: pd.DataFrame | None = None,
    chunks: int | None = None,
    send_network: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Return :meth:`Router.matrix` of the router, computed by the workers of a Dask cluster.

    The searches (one per distinct centre on the reversed graph, or one per distinct origin
    when there are fewer origins) are split into chunks, one task each; every worker loads the
    network once and answers its chunks; the client puts the blocks together and adds the
    access legs. The result equals ``router.matrix(...)`` to the bit.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster (``distributed.Client("tcp://scheduler:8786")``).
    router : centrereach.traveltime.Router
        The network, prepared. When it was built from cached network arrays that the workers
        can read at the same path, they read the file; otherwise its routing matrix is sent to
        every worker once.
    origins, destinations : geopandas.GeoDataFrame or geopandas.GeoSeries
        As for :meth:`Router.matrix`.
    origin_snap, destination_snap : pandas.DataFrame, optional
        Precomputed snap tables, as for :meth:`Router.matrix`.
    chunks : int, optional
        Tasks to split the searches into (default: 4 per worker).
    send_network : bool, default False
        Send the routing matrix to every worker even when the router's cached arrays file
        exists (for workers that do not share the client's cache folder).
    progress : bool, default False
        Show a progress bar (tqdm) over the finished chunks.

    Returns
    -------
    pandas.DataFrame
        Minutes, door to door, as :meth:`Router.matrix` returns them.

    Examples
    --------
    >>> from distributed import Client, LocalCluster
    >>> from centrereach.synthetic import synthetic_inputs
    >>> inputs = synthetic_inputs(n_side=8, cells=2)
    >>> router = Router(inputs["networks"]["drive"])
    >>> origins = inputs["centres"].iloc[:3]
    >>> with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster, \\
    ...         Client(cluster) as client:
    ...     shared = matrix(client, router, origins, inputs["centres"])
    >>> shared.equals(router.matrix(origins, inputs["centres"]))
    True
    """
    t0 = time.perf_counter()
    o_pos, o_access, d_pos, d_access = router._positions(
        origins,
        destinations,
        origin_snap=origin_snap,
        destination_snap=destination_snap,
        stacklevel=4,
    )
    uo, o_inv = np.unique(o_pos, return_inverse=True)
    ud, d_inv = np.unique(d_pos, return_inverse=True)
    seconds = np.full((uo.size, ud.size), np.inf)
    if uo.size and ud.size:
        key, source, weight = _payload(client, router, send=send_network)
        # the side the local search starts from (the smaller one) is the side split in chunks,
        # so each chunk runs exactly the searches the local matrix runs
        backward = ud.size <= uo.size
        split = ud if backward else uo
        n_chunks = chunks or CHUNKS_PER_WORKER * _n_workers(client)
        parts = [p for p in np.array_split(np.arange(split.size), n_chunks) if p.size]
        futures = []
        for part in parts:
            o_idx, d_idx = (uo, ud[part]) if backward else (uo[part], ud)
            futures.append(
                client.submit(_seconds_block, key, source, weight, o_idx, d_idx, pure=False)
            )
        where = {f.key: part for f, part in zip(futures, parts, strict=True)}
        done = _as_completed(futures, progress=progress, label="travel times (cluster)")
        for future in done:
            block = future.result()
            part = where[future.key]
            if backward:
                seconds[:, part] = block
            else:
                seconds[part, :] = block
    result = _minutes_frame(
        router, seconds[np.ix_(o_inv, d_inv)], o_access, d_access, origins, destinations
    )
    logger.debug(
        "travel-time matrix %d x %d on %d workers in %.3f s",
        len(o_pos),
        len(d_pos),
        _n_workers(client),
        time.perf_counter() - t0,
    )
    return result


def _as_completed(futures: Sequence[Any], *, progress: bool, label: str) -> Any:
    from distributed import as_completed

    done = as_completed(futures)  # type: ignore[no-untyped-call]
    if not progress:
        return done
    from tqdm.auto import tqdm

    return tqdm(done, total=len(futures), desc=label, unit="chunk")


def _evaluate_block(
    block: pd.DataFrame,
    scenarios: list[Scenario],
    mode: str,
    areas: pd.DataFrame | None,
    columns: list[str],
) -> pd.DataFrame:
    """The scenarios of one chunk of areas (runs on a worker)."""
    from centrereach.scenarios import evaluate_scenarios as local

    return local(block, scenarios, mode=mode, areas=areas, columns=columns)


def evaluate_scenarios(
    client: Any,
    matrix: pd.DataFrame,
    scenarios: Sequence[Scenario],
    *,
    mode: Mode | str,
    areas: pd.DataFrame | None = None,
    columns: Sequence[str] = (),
    chunks: int | None = None,
) -> pd.DataFrame:
    """Return :func:`centrereach.scenarios.evaluate_scenarios`, the areas split between workers.

    Every scenario's nearest open centre, per area, is array work on the area's row of the
    matrix: the rows are sent to the workers in chunks (each chunk once, with every scenario)
    and the tables put back together in the order of the local function, which they equal.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster.
    matrix : pandas.DataFrame
        Travel times (minutes), areas × centres.
    scenarios : sequence of Scenario
        As for :func:`centrereach.scenarios.evaluate_scenarios` (the baseline comes first).
    mode : {"drive", "walk"}
        Written in the ``mode`` column.
    areas, columns
        Area attributes to carry into the result.
    chunks : int, optional
        Chunks of areas (default: 4 per worker).

    Returns
    -------
    pandas.DataFrame
        One row per area × scenario, as the local function returns it.

    Examples
    --------
    >>> import pandas as pd
    >>> from distributed import Client, LocalCluster
    >>> from centrereach.scenarios import Scenario, evaluate_scenarios as local
    >>> m = pd.DataFrame({"a": [5.0, 20.0, 9.0], "b": [12.0, 8.0, 9.5]}, index=["x", "y", "z"])
    >>> s = [Scenario("close-b", "Close b", open_centres=("a",), closed_centres=("b",))]
    >>> with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster, \\
    ...         Client(cluster) as client:
    ...     shared = evaluate_scenarios(client, m, s, mode="walk", chunks=2)
    >>> shared.equals(local(m, s, mode="walk"))
    True
    """
    n_chunks = chunks or CHUNKS_PER_WORKER * _n_workers(client)
    rows = [p for p in np.array_split(np.arange(len(matrix)), n_chunks) if p.size]
    if not rows:
        return _evaluate_block(matrix, list(scenarios), str(mode), areas, list(columns))
    carried = None if areas is None or not columns else areas[list(columns)]
    futures = []
    for part in rows:
        block = matrix.iloc[part]
        block_areas = None if carried is None else carried.reindex(block.index.astype(str))
        futures.append(
            client.submit(
                _evaluate_block,
                block,
                list(scenarios),
                str(mode),
                block_areas,
                list(columns),
                pure=False,
            )
        )
    tables = client.gather(futures)
    # each table: scenario after scenario, its chunk's areas in order; put them back as the
    # local function orders them (scenario after scenario, every area in order)
    n_scenarios = len(tables[0]) // len(rows[0])
    pieces = []
    for s in range(n_scenarios):
        for table, part in zip(tables, rows, strict=True):
            pieces.append(table.iloc[s * part.size : (s + 1) * part.size])
    return pd.concat(pieces, ignore_index=True)


def evaluator(client: Any) -> Callable[..., pd.DataFrame]:
    """Return :func:`evaluate_scenarios` bound to ``client``, in the local function's shape.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster.

    Returns
    -------
    callable
        ``f(matrix, scenarios, *, mode, areas=None, columns=())``.

    Examples
    --------
    >>> callable(evaluator(client=None))
    True
    """

    def evaluate(
        matrix: pd.DataFrame | NearestCentres,
        scenarios: Sequence[Scenario],
        *,
        mode: Mode | str,
        areas: pd.DataFrame | None = None,
        columns: Sequence[str] = (),
    ) -> pd.DataFrame:
        if isinstance(matrix, NearestCentres):  # lists, not a matrix: here, in milliseconds
            from centrereach.scenarios import evaluate_scenarios as local

            return local(matrix, scenarios, mode=mode, areas=areas, columns=columns)
        return evaluate_scenarios(client, matrix, scenarios, mode=mode, areas=areas,
                                  columns=columns)  # fmt: skip

    return evaluate
