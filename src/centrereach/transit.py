"""Door-to-door times by public transport (GTFS timetables + walking), as the JTS measure them.

The DfT Journey Time Statistics' "public transport/walk" time from a home to a service is, for
each departure in a morning window, the earliest arrival minus the departure, summarised over the
window; it is never worse than walking all the way. This module computes exactly that, for every
area × centre pair at once:

1. **Walking** is on the study's walk network (:func:`centrereach.network.load_network` with
   ``mode="walk"``, 4.8 km/h), with the walk mode's snapping and access legs
   (:class:`centrereach.traveltime.Router`). Stops are snapped to it the same way. A journey
   walks from home to a first stop (at most ``max_access_walk_min``), rides, may walk between
   stops to change (at most ``max_transfer_walk_min`` per change; changing at the same stop is
   instant), and walks from the last stop to the centre (at most ``max_access_walk_min``).
2. **Timetables** are the trips of the GTFS feeds that run on the study's date (with the previous
   day's trips still running after midnight, and the next day's); see :mod:`centrereach.gtfs`.
3. **Routing** is exact, by a backward *connection scan profile* search from each centre
   (Dibbelt, Pajor, Strasser & Wagner, "Connection Scan Algorithm", 2018): one scan of the day's
   connections per centre gives, for every stop, the earliest arrival at the centre for every
   departure from that stop; combining it with the walks from each home gives the earliest
   arrival for every departure minute of the window. Compiled with numba.
4. **The number reported** (:meth:`TransitTimes.summary`) is a statistic of the door-to-door
   times over the window's departures: by default the median of departures every minute from
   07:00 to 09:59 (JTS: 07:00 to 10:00), or a mean or a percentile. Every departure's time is at
   most the walk all the way, so the statistic is too.

See ``docs/method-transit.md`` for the method, the comparison with ``ferrobus`` and the tests
against an independent time-expanded graph.

Examples
--------
>>> import datetime as dt
>>> window = DepartureWindow(dt.date(2024, 10, 8))
>>> window
DepartureWindow(2024-10-08 (Tuesday), 07:00-10:00 every 1 min, median)
>>> len(window.departures_s()), window.departures_s()[[0, -1]].tolist()
(180, [25200.0, 35940.0])
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import math
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from centrereach.errors import (
    GTFSError,
    NetworkError,
    NoServiceWarning,
    StopsOutsideNetworkWarning,
)
from centrereach.gtfs import Feed
from centrereach.speeds import WALK_KPH
from centrereach.traveltime import Router

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = [
    "DEFAULT_MAX_ACCESS_WALK_MIN",
    "DEFAULT_MAX_STOP_SNAP_M",
    "DEFAULT_MAX_TRANSFER_WALK_MIN",
    "DepartureWindow",
    "Timetable",
    "TransitRouter",
    "TransitTimes",
    "build_timetable",
]

logger = logging.getLogger(__name__)

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

#: Longest walk (minutes) from home to the first stop, and from the last stop to the centre.
DEFAULT_MAX_ACCESS_WALK_MIN: Final = 30.0
#: Longest walk (minutes) between two stops to change vehicles.
DEFAULT_MAX_TRANSFER_WALK_MIN: Final = 15.0
#: Stops farther than this (m) from the walk network are left out (outside the study's network).
DEFAULT_MAX_STOP_SNAP_M: Final = 250.0
_DAY_S: Final = 86_400.0
_STATISTIC = re.compile(r"^(median|mean|p(\d{1,2}(?:\.\d+)?|100))$")
_MAX_LISTED = 5


# ---------------------------------------------------------------------------------------------
# the departure window and the statistic
# ---------------------------------------------------------------------------------------------


def _clock(text: str, what: str) -> dt.time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        msg = f"{what} {text!r} is not a time of day; write HH:MM, e.g. 07:00"
        raise ValueError(msg)
    return dt.time(int(match[1]), int(match[2]))


@dataclass(frozen=True, repr=False)
class DepartureWindow:
    """When journeys start, and which statistic of their times is reported.

    Departures are every ``step_min`` minutes from ``start`` (included) to ``end`` (excluded)
    on ``date``: the defaults give 180 departures, 07:00, 07:01, ..., 09:59, as the DfT Journey
    Time Statistics' 07:00-10:00 window (the JTS used a Tuesday in October).

    Parameters
    ----------
    date
        The service day.
    start, end
        First departure, and the end of the window (excluded).
    step_min
        Minutes between departures (a whole number >= 1).
    statistic
        ``"median"`` (default), ``"mean"``, or a percentile ``"pNN"`` (``"p75"``: the time
        75 % of departures in the window beat or equal; ``"p50"`` is the median). Percentiles
        interpolate linearly between departures (``numpy.percentile``).

    Raises
    ------
    ValueError
        An empty window, a step that is not a whole number of minutes >= 1, or an unknown
        statistic.

    Examples
    --------
    >>> import datetime as dt
    >>> w = DepartureWindow.parse("2024-10-08", window="08:00-08:30", step_min=10, statistic="p75")
    >>> w
    DepartureWindow(2024-10-08 (Tuesday), 08:00-08:30 every 10 min, p75)
    >>> w.departures_s().tolist()
    [28800.0, 29400.0, 30000.0]
    >>> w.summarise([[10.0, 20.0, 40.0]]).tolist()
    [30.0]
    """

    date: dt.date
    start: dt.time = dt.time(7, 0)
    end: dt.time = dt.time(10, 0)
    step_min: int = 1
    statistic: str = "median"

    def __post_init__(self) -> None:
        if isinstance(self.date, dt.datetime) or not isinstance(self.date, dt.date):
            msg = f"the transit date must be a datetime.date, got {self.date!r}"
            raise ValueError(msg)
        if isinstance(self.step_min, bool) or not isinstance(self.step_min, int):
            msg = f"step_min must be a whole number of minutes >= 1, got {self.step_min!r}"
            raise ValueError(msg)
        if self.step_min < 1:
            msg = f"step_min must be a whole number of minutes >= 1, got {self.step_min!r}"
            raise ValueError(msg)
        if not self.end > self.start:
            msg = (
                f"the departure window {self.start:%H:%M}-{self.end:%H:%M} is empty: its end "
                "must come after its start (e.g. 07:00-10:00)"
            )
            raise ValueError(msg)
        match = _STATISTIC.fullmatch(self.statistic)
        if not match or (match[2] is not None and float(match[2]) > 100):
            msg = (
                f"unknown statistic {self.statistic!r}: use 'median', 'mean' or a percentile "
                "'pNN' such as 'p75'"
            )
            raise ValueError(msg)

    @classmethod
    def parse(
        cls,
        date: str | dt.date,
        *,
        window: str = "07:00-10:00",
        step_min: int = 1,
        statistic: str = "median",
    ) -> DepartureWindow:
        """Build a window from the study file's words: ``"2024-10-08"``, ``"07:00-10:00"``.

        Parameters
        ----------
        date
            ISO date (``YYYY-MM-DD``) or a ``datetime.date``.
        window
            ``"HH:MM-HH:MM"``: first departure and end (excluded).
        step_min
            Minutes between departures.
        statistic
            ``"median"``, ``"mean"`` or ``"pNN"``.

        Returns
        -------
        DepartureWindow

        Examples
        --------
        >>> DepartureWindow.parse("2024-10-08").departures_s().size
        180
        >>> DepartureWindow.parse("8 October")
        Traceback (most recent call last):
        ...
        ValueError: the transit date '8 October' is not a date; write YYYY-MM-DD, e.g. 2024-10-08
        """
        if isinstance(date, str):
            try:
                day = dt.date.fromisoformat(date.strip())
            except ValueError:
                msg = f"the transit date {date!r} is not a date; write YYYY-MM-DD, e.g. 2024-10-08"
                raise ValueError(msg) from None
        else:
            day = date
        parts = window.split("-")
        if len(parts) != 2:
            msg = f"the departure window {window!r} is not HH:MM-HH:MM (e.g. 07:00-10:00)"
            raise ValueError(msg)
        start = _clock(parts[0], "the window's start")
        end = _clock(parts[1], "the window's end")
        return cls(day, start, end, step_min, statistic)

    def __repr__(self) -> str:
        return (
            f"DepartureWindow({self.date.isoformat()} ({self.date.strftime('%A')}), "
            f"{self.start:%H:%M}-{self.end:%H:%M} every {self.step_min} min, {self.statistic})"
        )

    def departures_s(self) -> FloatArray:
        """Departure times, seconds after midnight of :attr:`date` (ascending).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> import datetime as dt
        >>> DepartureWindow(dt.date(2024, 10, 8), dt.time(7), dt.time(7, 3)).departures_s()
        array([25200., 25260., 25320.])
        """
        first = self.start.hour * 3600 + self.start.minute * 60
        end = self.end.hour * 3600 + self.end.minute * 60
        return np.arange(first, end, 60 * self.step_min, dtype=np.float64)

    def summarise(self, minutes: npt.ArrayLike) -> FloatArray:
        """Apply the statistic over the last axis (departures) of an array of minutes.

        Parameters
        ----------
        minutes
            Door-to-door minutes, departures on the last axis.

        Returns
        -------
        numpy.ndarray
            One value per leading index.

        Examples
        --------
        >>> import datetime as dt
        >>> DepartureWindow(dt.date(2024, 10, 8), statistic="mean").summarise([[1.0, 2.0, 6.0]])
        array([3.])
        """
        values = np.asarray(minutes, dtype=np.float64)
        if self.statistic == "median":
            return np.asarray(np.median(values, axis=-1), dtype=np.float64)
        if self.statistic == "mean":
            return np.asarray(values.mean(axis=-1), dtype=np.float64)
        q = float(self.statistic[1:])
        return np.asarray(np.percentile(values, q, axis=-1), dtype=np.float64)

    def describe(self) -> dict[str, Any]:
        """A JSON-able record (for ``study.json``).

        Returns
        -------
        dict

        Examples
        --------
        >>> import datetime as dt
        >>> DepartureWindow(dt.date(2024, 10, 8)).describe()["window"]
        '07:00-10:00'
        """
        return {
            "date": self.date.isoformat(),
            "weekday": self.date.strftime("%A"),
            "window": f"{self.start:%H:%M}-{self.end:%H:%M}",
            "step_min": self.step_min,
            "departures": int(self.departures_s().size),
            "statistic": self.statistic,
        }

    def words(self) -> str:
        """How a report says it: ``"the median over departures every 1 min, 07:00-10:00, ..."``.

        Returns
        -------
        str

        Examples
        --------
        >>> import datetime as dt
        >>> print(DepartureWindow(dt.date(2024, 10, 8)).words())
        the median of door-to-door times over departures every 1 min from 07:00 to 10:00 on
        Tuesday 8 October 2024
        """
        what = {"median": "the median", "mean": "the mean"}.get(
            self.statistic, f"the {self.statistic[1:]}th percentile"
        )
        return (
            f"{what} of door-to-door times over departures every {self.step_min} min from "
            f"{self.start:%H:%M} to {self.end:%H:%M} on {self.date.strftime('%A')} "
            f"{self.date.day} {self.date.strftime('%B %Y')}"
        )


# ---------------------------------------------------------------------------------------------
# the timetable: connections of the trips that run
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timetable:
    """The elementary connections of every trip that runs around a date, as arrays.

    A *connection* is one hop of one trip: it leaves stop ``dep_stop`` at ``dep_s`` and reaches
    the next timed stop ``arr_stop`` at ``arr_s`` (seconds after midnight of the date: the
    previous day's trips are shifted by -86,400 s, the next day's by +86,400 s). Connections are
    sorted latest departure first, as the backward scan needs them.

    Attributes
    ----------
    stops
        One row per stop of every feed (index ``feed:stop_id``): ``feed``, ``stop_id``,
        ``stop_name``, ``lat``, ``lon``, ``row`` (its row of ``stops.txt``).
    dep_stop, arr_stop, trip, seq
        Stop positions (rows of :attr:`stops`), trip number, and the hop's place in its trip.
    dep_s, arr_s
        Times (s).
    trips_on_date
        Trips of each feed running on the date (the day's own, not the neighbours').

    Examples
    --------
    >>> import datetime as dt
    >>> from centrereach.gtfs import example_feed
    >>> tt = build_timetable([example_feed()], dt.date(2024, 10, 8))
    >>> tt.n_connections, tt.trips_on_date  # Tuesday's two trips and Wednesday's two
    (8, {'example': 2})
    >>> tt.dep_s[tt.dep_s < 86_400].tolist()  # Tuesday's hops, latest first
    [29160.0, 28800.0, 27360.0, 27000.0]
    """

    stops: pd.DataFrame
    dep_stop: IntArray
    arr_stop: IntArray
    dep_s: FloatArray
    arr_s: FloatArray
    trip: IntArray
    seq: IntArray
    n_trips: int
    trips_on_date: dict[str, int] = field(default_factory=dict)

    @property
    def n_connections(self) -> int:
        """Number of connections."""
        return int(self.dep_stop.size)


def _negated(seconds: float) -> float:
    """The sort key that makes the timetable's latest-first departures ascending."""
    return -float(seconds)


def build_timetable(feeds: Sequence[Feed], date: dt.date) -> Timetable:
    """The connections of the feeds' trips that run on ``date``, the day before and the day after.

    The day before matters for its trips still running after midnight (GTFS times past 24:00);
    the day after for windows that end late. Calls without times are skipped (a connection
    joins consecutive *timed* calls).

    Parameters
    ----------
    feeds
        Checked feeds (:func:`centrereach.gtfs.read_gtfs`).
    date
        The service day; times are seconds after its midnight.

    Returns
    -------
    Timetable

    Examples
    --------
    >>> import datetime as dt
    >>> from centrereach.gtfs import example_feed
    >>> build_timetable([example_feed()], dt.date(2024, 10, 12)).n_connections  # a Saturday
    0
    """
    stop_frames = []
    dep_stop, arr_stop, dep_s, arr_s, trip, seq = [], [], [], [], [], []
    offset = 0
    n_trips = 0
    on_date: dict[str, int] = {}
    names = [feed.name for feed in feeds]
    if len(set(names)) != len(names):
        names = [f"{i + 1}:{name}" for i, name in enumerate(names)]
    for feed, name in zip(feeds, names, strict=True):
        stops = feed.stops.reset_index()
        stops.insert(0, "feed", name)
        stops.index = pd.Index(name + ":" + stops["stop_id"].astype(str), name="stop")
        stop_frames.append(stops)
        position = pd.Series(np.arange(len(stops)) + offset, index=feed.stops.index)
        st = feed.stop_times
        trip_of_call = st["trip_id"].to_numpy()
        same = trip_of_call[1:] == trip_of_call[:-1]
        first = np.flatnonzero(same)  # call k -> k + 1 is a hop of one trip
        call_stop = position.reindex(st["stop_id"]).to_numpy(dtype=np.int64)
        for shift_days in (-1, 0, 1):
            day = date + dt.timedelta(days=shift_days)
            services = feed.services_on(day)
            running = feed.trips.index[feed.trips["service_id"].isin(services)]
            if shift_days == 0:
                on_date[name] = len(running)
            if len(running) == 0:
                continue
            trip_number = pd.Series(np.arange(len(running)) + n_trips, index=running)
            n_trips += len(running)
            hop_trip = trip_number.reindex(trip_of_call[first]).to_numpy()
            shift = shift_days * _DAY_S
            keep = ~np.isnan(hop_trip)
            if shift_days < 0:  # the day before: only what still runs after midnight
                keep &= st["departure_s"].to_numpy()[first] + shift >= 0
            k = first[keep]
            dep_stop.append(call_stop[k])
            arr_stop.append(call_stop[k + 1])
            dep_s.append(st["departure_s"].to_numpy()[k] + shift)
            arr_s.append(st["arrival_s"].to_numpy()[k + 1] + shift)
            trip.append(hop_trip[keep].astype(np.int64))
            seq.append(st["stop_sequence"].to_numpy()[k])
        offset += len(stops)
    stops_all = pd.concat(stop_frames) if stop_frames else pd.DataFrame()

    # A county's feeds make tens of millions of connections: each day's pieces are dropped as
    # soon as they are joined, and the columns are put in order one at a time, so that no more
    # than one spare copy of a column is held at once.
    def cat(parts: list[Any], dtype: Any) -> Any:
        joined = np.concatenate(parts).astype(dtype, copy=False) if parts else None
        parts.clear()
        return np.zeros(0, dtype=dtype) if joined is None else joined

    columns = {
        "dep_stop": cat(dep_stop, np.int64),
        "arr_stop": cat(arr_stop, np.int64),
        "dep_s": cat(dep_s, np.float64),
        "arr_s": cat(arr_s, np.float64),
        "trip": cat(trip, np.int64),
        "seq": cat(seq, np.int64),
    }
    # latest departure first; among equal departures the latest arrival, then the later hop of
    # a trip, so a trip's later hops (and zero-length hops) are scanned before its earlier ones
    order = np.lexsort((-columns["seq"], -columns["arr_s"], -columns["dep_s"]))
    for name in columns:
        columns[name] = columns[name][order]
    return Timetable(stops=stops_all, **columns, n_trips=n_trips, trips_on_date=on_date)


# ---------------------------------------------------------------------------------------------
# the compiled core (numba)
# ---------------------------------------------------------------------------------------------


def _numba() -> Any:
    import numba

    return numba


def _kernels() -> Any:
    """The compiled kernels (numba compiles them on first use and caches them on disk)."""
    from centrereach import _transit_kernels

    return _transit_kernels


# ---------------------------------------------------------------------------------------------
# the router
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransitTimes:
    """Door-to-door times by public transport for every origin, destination and departure.

    Attributes
    ----------
    minutes
        ``(origins, destinations, departures)`` array of door-to-door minutes (arrival minus
        departure), each at most the walk all the way.
    walk
        The walk-all-the-way matrix (minutes), origins × destinations.
    window
        The departures and the statistic.
    origins, destinations
        The row and column labels.

    Examples
    --------
    Two departures from one home to one centre, 12 and 30 minutes (walking takes 30):

    >>> import datetime as dt, numpy as np, pandas as pd
    >>> window = DepartureWindow(dt.date(2024, 10, 8), dt.time(8), dt.time(8, 2))
    >>> walk = pd.DataFrame([[30.0]], index=["home"], columns=["hub"])
    >>> times = TransitTimes(np.array([[[12.0, 30.0]]]), walk, window, walk.index, walk.columns)
    >>> times.summary()
           hub
    home  21.0
    >>> times.summary("p0")  # the best departure
           hub
    home  12.0
    """

    minutes: FloatArray
    walk: pd.DataFrame
    window: DepartureWindow
    origins: pd.Index
    destinations: pd.Index

    def summary(self, statistic: str | None = None) -> pd.DataFrame:
        """The statistic over the window per origin × destination (minutes), as a matrix.

        Parameters
        ----------
        statistic
            ``"median"``, ``"mean"`` or ``"pNN"`` (default: the window's).

        Returns
        -------
        pandas.DataFrame
            Minutes, index = origins, columns = destinations; ``attrs`` record ``units``,
            ``mode`` (``"transit"``) and ``statistic``.
        """
        window = self.window
        if statistic is not None and statistic != window.statistic:
            window = DepartureWindow(
                window.date, window.start, window.end, window.step_min, statistic
            )
        values = window.summarise(self.minutes)
        frame = pd.DataFrame(values, index=self.origins, columns=self.destinations)
        frame.attrs.update({"units": "min", "mode": "transit", "statistic": window.statistic})
        return frame


class TransitRouter:
    """Public transport on a walk network: timetables prepared once, then matrices.

    Building it snaps every stop to the walk network (the walk mode's snapping: nearest node of
    the largest strongly connected component, straight-line leg at 4.8 km/h), leaves out stops
    more than ``max_stop_snap_m`` from it, finds the walks between stops for changes, and lays
    out the connections of the trips that run around the window's date.

    Parameters
    ----------
    walk
        The walk network: a :class:`~centrereach.traveltime.Router` built on it, or the graph
        (``G.graph["mode"] == "walk"``).
    feeds
        One or more checked GTFS feeds (:func:`centrereach.gtfs.read_gtfs`).
    window
        The date, the departures and the statistic.
    max_access_walk_min
        Longest walk (min) from home to the first stop and from the last stop to the centre
        (default 30); ``None`` for no limit.
    max_transfer_walk_min
        Longest walk (min) between two stops to change (default 15); ``None`` for no limit.
    max_stop_snap_m
        Stops farther than this (m) from the walk network are left out (default 250).
    progress
        Show progress bars.

    Raises
    ------
    centrereach.errors.GTFSError
        The date is outside a feed's service period, or no stop lies on the walk network.

    Warns
    -----
    centrereach.errors.StopsOutsideNetworkWarning
        When stops are left out (counted, the first few named by feed, file and row).
    centrereach.errors.NoServiceWarning
        When no trip runs on the date: every time is then the walk all the way.

    Examples
    --------
    A street 2 km long, walked in 25 minutes; a bus takes 5 minutes from one end to the other
    at 07:30 and 08:00:

    >>> import datetime as dt, geopandas as gpd, networkx as nx
    >>> from centrereach.gtfs import example_feed
    >>> from centrereach.traveltime import Router
    >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    >>> for i, (x, y) in enumerate([(-1.425, 53.235), (-1.410, 53.240), (-1.420, 53.228)]):
    ...     G.add_node(i, x=x, y=y)
    >>> for u, v, s in [(0, 1, 1500.0), (1, 2, 1500.0), (0, 2, 1500.0)]:
    ...     _ = G.add_edge(u, v, travel_time=s); _ = G.add_edge(v, u, travel_time=s)
    >>> window = DepartureWindow(dt.date(2024, 10, 8), dt.time(7, 20), dt.time(7, 50), 10)
    >>> router = TransitRouter(Router(G), example_feed(), window)
    >>> home = gpd.GeoSeries(gpd.points_from_xy([-1.425], [53.235]), index=["home"], crs=4326)
    >>> centre = gpd.GeoSeries(gpd.points_from_xy([-1.410], [53.240]), index=["hub"], crs=4326)
    >>> times = router.times(home, centre)
    >>> times.minutes.tolist()  # leave at 07:20 (wait for the 07:30), 07:30, 07:40 (walk)
    [[[16.0, 6.0, 25.0]]]
    >>> times.summary()  # the median
           hub
    home  16.0
    """

    def __init__(
        self,
        walk: Router | nx.MultiDiGraph,
        feeds: Feed | Sequence[Feed],
        window: DepartureWindow,
        *,
        max_access_walk_min: float | None = DEFAULT_MAX_ACCESS_WALK_MIN,
        max_transfer_walk_min: float | None = DEFAULT_MAX_TRANSFER_WALK_MIN,
        max_stop_snap_m: float = DEFAULT_MAX_STOP_SNAP_M,
        progress: bool = False,
    ) -> None:
        t0 = time.perf_counter()
        router = walk if isinstance(walk, Router) else Router(walk)
        if router.mode not in (None, "walk"):
            msg = (
                f"public transport walks on the walk network, but this is a {router.mode} "
                "network: build the TransitRouter on load_network(..., mode='walk')"
            )
            raise NetworkError(msg)
        self._feeds: tuple[Feed, ...] = (feeds,) if isinstance(feeds, Feed) else tuple(feeds)
        if not self._feeds:
            msg = "no GTFS feed given: public transport needs at least one timetable"
            raise GTFSError(msg)
        for name, value in (
            ("max_access_walk_min", max_access_walk_min),
            ("max_transfer_walk_min", max_transfer_walk_min),
        ):
            if value is not None and not (value >= 0 and math.isfinite(value)):
                msg = f"{name} must be a number of minutes >= 0 (or None), got {value!r}"
                raise ValueError(msg)
        for feed in self._feeds:
            feed.check_date(window.date)
        self._router = router
        self._window = window
        self._max_access_s = np.inf if max_access_walk_min is None else max_access_walk_min * 60
        self._max_transfer_s = (
            np.inf if max_transfer_walk_min is None else max_transfer_walk_min * 60
        )
        self._settings = {
            "max_access_walk_min": max_access_walk_min,
            "max_transfer_walk_min": max_transfer_walk_min,
            "max_stop_snap_m": max_stop_snap_m,
            "walk_kph": WALK_KPH,
        }
        self._timetable = build_timetable(self._feeds, window.date)
        self._stops = self._snap_stops(max_stop_snap_m)
        self._footpaths = self._stop_footpaths()
        if sum(self._timetable.trips_on_date.values()) == 0:
            warnings.warn(
                f"no public transport runs on {window.date.strftime('%A')} "
                f"{window.date.isoformat()} in {self._feed_names()}: every transit time is the "
                "time to walk all the way. Choose a day the feeds run (a weekday in term "
                "time, as the JTS used a Tuesday in October).",
                NoServiceWarning,
                stacklevel=2,
            )
        logger.debug(
            "TransitRouter: %d stops on the network, %d connections, prepared in %.2f s",
            int(self._stops["on_network"].sum()),
            self._timetable.n_connections,
            time.perf_counter() - t0,
        )
        self._progress = progress

    # -- what it holds --------------------------------------------------------------------------

    @property
    def window(self) -> DepartureWindow:
        """The date, departures and statistic."""
        return self._window

    @property
    def feeds(self) -> tuple[Feed, ...]:
        """The GTFS feeds."""
        return self._feeds

    @property
    def walk_router(self) -> Router:
        """The walk network's router (snapping and the walk-all-the-way matrix)."""
        return self._router

    @property
    def timetable(self) -> Timetable:
        """The connections around the date."""
        return self._timetable

    @property
    def stops(self) -> pd.DataFrame:
        """Every stop: its feed, id, name, row of ``stops.txt``, ``node``, ``snap_m``,
        ``access_min`` (the straight-line leg to the node at 4.8 km/h) and ``on_network``."""
        return self._stops

    def __repr__(self) -> str:
        return (
            f"TransitRouter({self._feed_names()}, {self._window!r}, "
            f"stops={int(self._stops['on_network'].sum())}, "
            f"connections={self._timetable.n_connections})"
        )

    def _feed_names(self) -> str:
        return ", ".join(f"'{feed.name}'" for feed in self._feeds)

    def describe(self) -> dict[str, Any]:
        """A JSON-able record of the feeds, their service dates, the window and the settings.

        Returns
        -------
        dict
            ``feeds`` (see :meth:`centrereach.gtfs.Feed.describe`, with ``trips_on_date``),
            ``window`` (:meth:`DepartureWindow.describe`), ``stops_on_network``,
            ``stops_left_out``, ``connections``, the walking limits and ``description``.
        """
        feeds = []
        for feed in self._feeds:
            record = feed.describe()
            record["trips_on_date"] = int(self._timetable.trips_on_date.get(feed.name, 0))
            feeds.append(record)
        on = int(self._stops["on_network"].sum())
        return {
            "mode": "transit",
            "description": self.description(),
            "feeds": feeds,
            "window": self._window.describe(),
            "stops_on_network": on,
            "stops_left_out": len(self._stops) - on,
            "connections": self._timetable.n_connections,
            **self._settings,
        }

    def description(self) -> str:
        """The sentence the report prints for the transit mode.

        Returns
        -------
        str
        """
        names = ", ".join(feed.name for feed in self._feeds)

        def limit(value: Any) -> str:
            return "no limit" if value is None else f"at most {value:g} min"

        return (
            f"Public transport: the timetables of {names} (GTFS), {self._window.words()}; "
            f"walking at {WALK_KPH:g} km/h to the first stop and from the last "
            f"({limit(self._settings['max_access_walk_min'])} each) and between stops to change "
            f"({limit(self._settings['max_transfer_walk_min'])}); never longer than walking all "
            "the way (DfT Journey Time Statistics' 'public transport/walk')"
        )

    # -- preparation ----------------------------------------------------------------------------

    def _snap_stops(self, max_stop_snap_m: float) -> pd.DataFrame:
        import geopandas as gpd

        stops = self._timetable.stops.copy()
        points = gpd.GeoSeries(
            gpd.points_from_xy(stops["lon"], stops["lat"]), index=stops.index, crs="EPSG:4326"
        )
        snapped = self._router.snap(points, max_snap_m=None, access_speed_kph=WALK_KPH)
        stops["node"] = snapped["node"]
        stops["snap_m"] = snapped["snap_m"]
        stops["access_min"] = snapped["access_min"]
        stops["on_network"] = stops["snap_m"] <= max_stop_snap_m
        off = stops[~stops["on_network"]]
        if len(off) == len(stops):
            first = stops.sort_values("snap_m").iloc[0]
            msg = (
                f"GTFS feed(s) {self._feed_names()}, stops.txt: none of the {len(stops):,} stops "
                f"lies within {max_stop_snap_m:g} m of the walk network (the nearest, row "
                f"{int(first['row'])}, stop {first['stop_id']!r}, is {first['snap_m']:,.0f} m "
                "away). Use the feed of the study's region, or a walk network that covers it."
            )
            raise GTFSError(msg)
        if len(off):
            listed = ", ".join(
                f"'{r.feed}' stops.txt row {int(r.row)} (stop {r.stop_id!r}, {r.snap_m:,.0f} m)"
                for r in off.sort_values("snap_m").head(_MAX_LISTED).itertuples()
            )
            more = f" and {len(off) - _MAX_LISTED:,} more" if len(off) > _MAX_LISTED else ""
            warnings.warn(
                f"{len(off):,} of {len(stops):,} stops of {self._feed_names()} lie more than "
                f"{max_stop_snap_m:g} m from the walk network and are left out (nobody boards "
                f"or alights there; vehicles still pass through): {listed}{more}. A regional "
                "feed covers more than the study's network: this is expected.",
                StopsOutsideNetworkWarning,
                stacklevel=3,
            )
        return stops

    def _stop_positions(self) -> tuple[IntArray, FloatArray, IntArray]:
        """Rows of stops on the network, their node positions and their legs (s)."""
        on = np.flatnonzero(self._stops["on_network"].to_numpy())
        nodes = self._router.nodes.get_indexer(
            pd.Index(self._stops["node"].to_numpy()[on], tupleize_cols=False)
        ).astype(np.int64)
        legs = self._stops["access_min"].to_numpy(dtype=np.float64)[on] * 60.0
        return on.astype(np.int64), legs, nodes

    def _node_lookup(self, nodes: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """For each network node, the stops (positions into ``nodes``) snapped to it (CSR)."""
        n = self._router.csr.shape[0]
        wanted = np.full(n, -1, dtype=np.int64)
        order = np.argsort(nodes, kind="stable")
        uniq, first = np.unique(nodes[order], return_index=True)
        wanted[uniq] = np.arange(uniq.size)
        ptr = np.r_[first, nodes.size].astype(np.int64)
        return wanted, ptr, order.astype(np.int64)

    def _walks(
        self,
        sources: IntArray,
        start_s: FloatArray,
        bound_s: float,
        *,
        reverse: bool,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Walking seconds from each source node to every stop within ``bound_s`` (CSR rows:
        stop row positions and seconds, the stop's own leg included)."""
        on, legs, nodes = self._stop_positions()
        wanted, node_ptr, node_order = self._node_lookup(nodes)
        csr = self._router._reversed_csr() if reverse else self._router.csr
        bounded = _kernels().bounded
        ptr, hit, cost = bounded(
            csr.indptr.astype(np.int64),
            csr.indices.astype(np.int64),
            csr.data.astype(np.float64),
            sources.astype(np.int64),
            start_s.astype(np.float64),
            float(bound_s),
            wanted,
        )
        # expand nodes to the stops snapped to them, adding each stop's own leg
        group = wanted[hit]
        counts = node_ptr[group + 1] - node_ptr[group]
        rows = np.repeat(np.arange(sources.size), np.diff(ptr))
        rows = np.repeat(rows, counts)
        base = np.repeat(cost, counts)
        starts = np.repeat(node_ptr[group], counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        stop_pos = node_order[starts + within]
        total = base + legs[stop_pos]
        keep = total <= bound_s
        rows, stop_rows, total = rows[keep], on[stop_pos[keep]], total[keep]
        out_ptr = np.searchsorted(rows, np.arange(sources.size + 1)).astype(np.int64)
        return out_ptr, stop_rows.astype(np.int64), total

    def _stop_footpaths(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Walks between stops for changes (CSR over all stop rows; self excluded)."""
        n_all = len(self._stops)
        on, legs, nodes = self._stop_positions()
        ptr, to, cost = self._walks(nodes, legs, self._max_transfer_s, reverse=False)
        rows = np.repeat(on, np.diff(ptr))
        keep = rows != to
        rows, to, cost = rows[keep], to[keep], cost[keep]
        full_ptr = np.searchsorted(rows, np.arange(n_all + 1)).astype(np.int64)
        return full_ptr, to, cost

    # -- queries --------------------------------------------------------------------------------

    def times(
        self,
        origins: gpd.GeoDataFrame | gpd.GeoSeries,
        destinations: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        origin_snap: pd.DataFrame | None = None,
        destination_snap: pd.DataFrame | None = None,
        walk_matrix: pd.DataFrame | None = None,
        progress: bool | None = None,
    ) -> TransitTimes:
        """Door-to-door minutes for every origin, destination and departure of the window.

        Parameters
        ----------
        origins, destinations
            Points (any CRS) with unique indexes (areas' origins, centres).
        origin_snap, destination_snap
            Their snaps on the walk network (:meth:`Router.snap`), if already computed.
        walk_matrix
            The walk-all-the-way matrix (minutes) of the same points, if already computed.
        progress
            Show a progress bar (default: as the router was built).

        Returns
        -------
        TransitTimes
        """
        router = self._router
        if origin_snap is None:
            origin_snap = router.snap(origins, max_snap_m=None)
        if destination_snap is None:
            destination_snap = router.snap(destinations, max_snap_m=None)
        if walk_matrix is None:
            walk_matrix = router.matrix(
                origins, destinations, origin_snap=origin_snap, destination_snap=destination_snap
            )
        o_pos, o_leg = router._check_snap(origin_snap, origins, "origin")
        d_pos, d_leg = router._check_snap(destination_snap, destinations, "destination")
        walk_table = walk_matrix.loc[pd.Index(origins.index), pd.Index(destinations.index)]
        walk_min = walk_table.to_numpy(dtype=np.float64)
        walk_s = walk_min * 60.0
        deps = self._window.departures_s()
        n_o, n_d = len(o_pos), len(d_pos)
        out = np.empty((n_o, n_d, deps.size), dtype=np.float64)
        if n_o == 0 or n_d == 0:
            return self._result(out, deps, walk_table, origins, destinations)

        t0 = time.perf_counter()
        # home -> stops and stops -> centre walks
        acc_ptr, acc_stop, acc_time = self._walks(
            o_pos.astype(np.int64), o_leg * 60.0, self._max_access_s, reverse=False
        )
        e_ptr, e_stop, e_time = self._walks(
            d_pos.astype(np.int64), d_leg * 60.0, self._max_access_s, reverse=True
        )
        n_stops = len(self._stops)
        egress = np.full((n_d, n_stops), np.inf)
        rows = np.repeat(np.arange(n_d), np.diff(e_ptr))
        egress[rows, e_stop] = e_time
        # the connections that can matter: leaving no earlier than the first departure, and
        # no later than the last departure plus the longest walk all the way
        tt = self._timetable
        finite = walk_s[np.isfinite(walk_s)]
        horizon = deps[-1] + (float(finite.max()) if finite.size else 0.0)
        # (sorted latest departure first, they are one run of the timetable: views, not copies)
        use = slice(
            bisect.bisect_left(tt.dep_s, -float(horizon), key=_negated),  # first leaving <= it
            bisect.bisect_right(tt.dep_s, -float(deps[0]), key=_negated),  # first leaving before
        )
        c_dep_stop, c_arr_stop = tt.dep_stop[use], tt.arr_stop[use]
        c_dep, c_arr, c_trip = tt.dep_s[use], tt.arr_s[use], tt.trip[use]
        slot_size = np.bincount(c_dep_stop, minlength=n_stops)
        slot_start = (np.cumsum(slot_size) - slot_size).astype(np.int64)
        fp_ptr, fp_to, fp_time = self._footpaths
        t1 = time.perf_counter()
        if c_dep.size == 0:
            out[:] = np.inf
        else:
            kernel = _kernels().many_centres
            chunk = max(1, _numba().get_num_threads())  # centres routed at once, one per thread
            show = self._progress if progress is None else progress
            bar: Any = None
            if show:
                from tqdm.auto import tqdm

                bar = tqdm(total=n_d, desc="transit times", unit="centre", leave=False)
            for s in range(0, n_d, chunk):
                part = slice(s, min(n_d, s + chunk))
                block = np.empty((n_o, part.stop - part.start, deps.size))
                kernel(
                    c_dep_stop, c_arr_stop, c_dep, c_arr, c_trip, max(1, tt.n_trips),
                    np.ascontiguousarray(egress[part]), fp_ptr, fp_to, fp_time, slot_start,
                    acc_ptr, acc_stop, acc_time, np.ascontiguousarray(walk_s[:, part]), deps,
                    block,
                )  # fmt: skip
                out[:, part, :] = block
                if bar is not None:
                    bar.update(part.stop - part.start)
            if bar is not None:
                bar.close()
        # never longer than walking all the way (exactly the walk matrix when no ride helps)
        minutes = np.minimum(out / 60.0, walk_min[:, :, None])
        logger.debug(
            "transit times %d x %d x %d: walks %.2f s, %d connections scanned in %.2f s",
            n_o,
            n_d,
            deps.size,
            t1 - t0,
            int(c_dep.size),
            time.perf_counter() - t1,
        )
        return self._result(minutes, deps, walk_table, origins, destinations)

    def _result(
        self,
        minutes: FloatArray,
        deps: FloatArray,
        walk_matrix: pd.DataFrame,
        origins: gpd.GeoDataFrame | gpd.GeoSeries,
        destinations: gpd.GeoDataFrame | gpd.GeoSeries,
    ) -> TransitTimes:
        return TransitTimes(
            minutes=minutes,
            walk=walk_matrix,
            window=self._window,
            origins=pd.Index(origins.index),
            destinations=pd.Index(destinations.index),
        )

    def matrix(
        self,
        origins: gpd.GeoDataFrame | gpd.GeoSeries,
        destinations: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        origin_snap: pd.DataFrame | None = None,
        destination_snap: pd.DataFrame | None = None,
        walk_matrix: pd.DataFrame | None = None,
        statistic: str | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """The transit matrix (minutes): the window's statistic per origin × destination.

        Parameters
        ----------
        origins, destinations, origin_snap, destination_snap, walk_matrix, progress
            As for :meth:`times`.
        statistic
            ``"median"``, ``"mean"`` or ``"pNN"`` (default: the window's).

        Returns
        -------
        pandas.DataFrame
            Minutes, index = origins, columns = destinations, never more than the walk matrix;
            ``attrs``: ``units``, ``mode`` (``"transit"``), ``statistic``.
        """
        times = self.times(
            origins,
            destinations,
            origin_snap=origin_snap,
            destination_snap=destination_snap,
            walk_matrix=walk_matrix,
            progress=progress,
        )
        return times.summary(statistic)
