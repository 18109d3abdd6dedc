"""Public transport timetables (GTFS): read, check, and which services run on a date.

A GTFS feed is a zip file (or a folder) of comma-separated text files: ``stops.txt`` (where
vehicles stop), ``routes.txt``, ``trips.txt`` (one journey of a vehicle, running on the days
of its ``service_id``), ``stop_times.txt`` (when each trip calls at each stop) and
``calendar.txt`` and/or ``calendar_dates.txt`` (which days each service runs). See
https://gtfs.org/documentation/schedule/reference/.

:func:`read_gtfs` reads and checks a feed; every problem is an error naming the feed, the file,
the row (1-based, the header is row 1, as a spreadsheet shows it) and the column, and saying how
to fix it. :class:`Feed` answers which services run on a date (:meth:`Feed.services_on`: the
weekday pattern of ``calendar.txt`` within its date range, then the exceptions of
``calendar_dates.txt``) and over which dates the feed runs (:meth:`Feed.service_period`).
Times are seconds after midnight of the service day, and may pass 24:00 (``25:10:00`` is 01:10
the next morning, still on the trip's service day). The routing itself is in
:mod:`centrereach.transit`; the method in ``docs/method-transit.md``.

Examples
--------
>>> import datetime as dt
>>> feed = example_feed()
>>> feed
Feed('example', stops=3, routes=1, trips=2, services=1, 2024-09-02 to 2024-12-20)
>>> sorted(feed.services_on(dt.date(2024, 10, 8)))  # a Tuesday
['weekdays']
>>> feed.services_on(dt.date(2024, 10, 12))  # a Saturday: no service
frozenset()
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from centrereach.errors import (
    DataNotFoundError,
    DuplicateIdError,
    EncodingError,
    GTFSError,
    MissingColumnError,
)

__all__ = [
    "REQUIRED_COLUMNS",
    "Feed",
    "example_feed",
    "parse_gtfs_time",
    "read_gtfs",
]

logger = logging.getLogger(__name__)

#: The columns centrereach needs in each file of a feed (other columns are ignored).
REQUIRED_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar.txt": (
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    ),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
}
#: Optional columns kept when present.
_OPTIONAL_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "stops.txt": ("stop_name", "stop_code", "location_type"),
    "routes.txt": ("route_short_name", "route_long_name", "route_type", "agency_id"),
    "trips.txt": ("trip_headsign",),
}
_WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ALWAYS: Final = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
_CALENDARS: Final = ("calendar.txt", "calendar_dates.txt")
#: Times from this hour on are refused: a trip would run into a third service day.
MAX_HOURS: Final = 48
_MAX_LISTED = 5


def _row(position: int | np.integer) -> int:
    """The 1-based row of a data row at 0-based ``position`` (the header is row 1)."""
    return int(position) + 2


def parse_gtfs_time(values: pd.Series) -> np.ndarray:
    """Parse GTFS times (``H:MM:SS`` or ``HH:MM:SS``, hours may pass 24) to seconds.

    Empty strings give ``-1`` (no time at this stop); anything else that is not a time gives
    ``-2`` (the caller names the row).

    Parameters
    ----------
    values
        Strings such as ``"07:05:00"``, ``"7:05:00"`` or ``"25:10:00"``.

    Returns
    -------
    numpy.ndarray
        Seconds after midnight of the service day (int64), ``-1`` for empty, ``-2`` for bad.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_gtfs_time(pd.Series(["07:05:00", "7:05:30", "25:10:00", "", "7h05"])).tolist()
    [25500, 25530, 90600, -1, -2]
    """
    # A timetable repeats a few thousand distinct times over millions of calls: each distinct
    # text is parsed once (a regular expression a call took half a minute and gigabytes of
    # substrings on a county's stop_times.txt) and the seconds are spread back.
    every = values.astype(str)
    codes, distinct = pd.factorize(every, use_na_sentinel=False)
    text = pd.Series(distinct, dtype=every.dtype).str.strip()
    parts = text.str.extract(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$")
    good = parts[0].notna().to_numpy()
    seconds = np.full(len(text), -2, dtype=np.int64)
    if good.any():
        hms = parts[good].astype(np.int64).to_numpy()
        seconds[good] = hms[:, 0] * 3600 + hms[:, 1] * 60 + hms[:, 2]
    seconds[(text == "").to_numpy()] = -1
    return np.asarray(seconds[codes], dtype=np.int64)


def _parse_dates(values: pd.Series) -> pd.Series:
    """GTFS dates (``YYYYMMDD``) as ``datetime.date``; ``None`` where not a valid date."""
    parsed = pd.to_datetime(values.astype(str).str.strip(), format="%Y%m%d", errors="coerce")
    return pd.Series(
        [None if pd.isna(v) else v.date() for v in parsed], index=values.index, dtype=object
    )


# ---------------------------------------------------------------------------------------------
# the feed
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Feed:
    """A checked GTFS feed: its stops, trips, stop times and service calendar.

    Build one with :func:`read_gtfs` (a zip or a folder) or :meth:`Feed.from_tables` (ready
    tables of GTFS text, as the synthetic demo does). Every table keeps ``row``, the 1-based row
    of its file (header = row 1), so later checks can name it.

    Attributes
    ----------
    name
        How messages name the feed (its file name).
    source
        Where it came from (a path, or a description).
    stops
        Index ``stop_id``; columns ``stop_name``, ``lat``, ``lon`` (degrees, WGS84), ``row``.
    routes
        Index ``route_id``; ``route_short_name``, ``route_type``, ``row``.
    trips
        Index ``trip_id``; ``route_id``, ``service_id``, ``row``.
    stop_times
        One row per call with a time, sorted by trip and ``stop_sequence``: ``trip_id``,
        ``stop_id``, ``stop_sequence``, ``arrival_s`` and ``departure_s`` (seconds after
        midnight of the service day; may pass 86,400), ``row``. Calls without times (allowed by
        GTFS between timed stops) are left out: nobody can board or alight there in the model.
    calendar
        ``service_id``, the seven weekday flags (bool), ``start_date``, ``end_date``
        (``datetime.date``), ``row``; empty when the feed has no ``calendar.txt``.
    calendar_dates
        ``service_id``, ``date`` (``datetime.date``), ``exception_type`` (1 added, 2 removed),
        ``row``; empty when the feed has no ``calendar_dates.txt``.
    untimed_calls
        Number of calls of ``stop_times.txt`` without times (left out).

    Examples
    --------
    >>> feed = example_feed()
    >>> feed.stops[["stop_name", "lat", "lon"]]
                  stop_name     lat    lon
    stop_id
    A            Market Place  53.235 -1.425
    B        Hospital Lane  53.240 -1.410
    C          Station Road  53.228 -1.420
    """

    name: str
    source: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    calendar: pd.DataFrame
    calendar_dates: pd.DataFrame
    untimed_calls: int = 0
    files: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        first, last = self.service_period()
        return (
            f"Feed({self.name!r}, stops={len(self.stops)}, routes={len(self.routes)}, "
            f"trips={len(self.trips)}, services={self.trips['service_id'].nunique()}, "
            f"{first} to {last})"
        )

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, pd.DataFrame],
        *,
        name: str,
        source: str | None = None,
    ) -> Feed:
        """Check tables of GTFS text (one per file, keyed by file name) and build a feed.

        The checks and messages are those of :func:`read_gtfs`.

        Parameters
        ----------
        tables
            ``{"stops.txt": DataFrame, ...}``: the GTFS files as tables of strings (numbers are
            accepted and turned into text).
        name
            How messages name the feed.
        source
            Where the tables came from (default: ``name``).

        Returns
        -------
        Feed

        Raises
        ------
        centrereach.errors.GTFSError
            A required file is missing, or a value is invalid (the message names the row).
        centrereach.errors.MissingColumnError
            A required column is missing.

        Examples
        --------
        >>> import pandas as pd
        >>> tables = {
        ...     "stops.txt": pd.DataFrame({"stop_id": ["A", "B"], "stop_lat": [53.23, 53.24],
        ...                                "stop_lon": [-1.42, -1.41]}),
        ...     "routes.txt": pd.DataFrame({"route_id": ["1"]}),
        ...     "trips.txt": pd.DataFrame({"route_id": ["1"], "service_id": ["s"],
        ...                                "trip_id": ["t1"]}),
        ...     "stop_times.txt": pd.DataFrame({
        ...         "trip_id": ["t1", "t1"], "arrival_time": ["08:00:00", "8:10:00"],
        ...         "departure_time": ["08:00:00", "8:10:00"], "stop_id": ["A", "B"],
        ...         "stop_sequence": [1, 2]}),
        ...     "calendar_dates.txt": pd.DataFrame({"service_id": ["s"], "date": ["20241008"],
        ...                                         "exception_type": ["1"]}),
        ... }
        >>> Feed.from_tables(tables, name="two stops")
        Feed('two stops', stops=2, routes=1, trips=1, services=1, 2024-10-08 to 2024-10-08)
        >>> broken = dict(tables, **{"trips.txt": tables["trips.txt"].drop(columns="service_id")})
        >>> Feed.from_tables(broken, name="two stops")
        Traceback (most recent call last):
        ...
        centrereach.errors.MissingColumnError: GTFS feed 'two stops', trips.txt: no column ...
        """
        text = {
            file: frame.astype(object).where(frame.notna(), "").astype(str)
            for file, frame in tables.items()
        }
        return _build(text, name=name, source=source or name)

    # -- the calendar --------------------------------------------------------------------------

    def service_period(self) -> tuple[dt.date, dt.date]:
        """The first and last dates any service of the feed runs (inclusive).

        From the ``start_date``/``end_date`` of ``calendar.txt`` and the dates added by
        ``calendar_dates.txt`` (``exception_type`` 1).

        Returns
        -------
        tuple of datetime.date

        Examples
        --------
        >>> example_feed().service_period()
        (datetime.date(2024, 9, 2), datetime.date(2024, 12, 20))
        """
        dates: list[dt.date] = []
        if len(self.calendar):
            dates += [min(self.calendar["start_date"]), max(self.calendar["end_date"])]
        added = self.calendar_dates[self.calendar_dates["exception_type"] == 1]
        if len(added):
            dates += [min(added["date"]), max(added["date"])]
        return min(dates), max(dates)

    def services_on(self, day: dt.date) -> frozenset[str]:
        """The ``service_id`` values that run on ``day``.

        A ``calendar.txt`` service runs on the weekdays flagged 1 between its ``start_date``
        and ``end_date`` (inclusive); then ``calendar_dates.txt`` adds (``exception_type`` 1)
        or removes (2) services on that exact date.

        Parameters
        ----------
        day
            The service day.

        Returns
        -------
        frozenset of str

        Examples
        --------
        >>> import datetime as dt
        >>> feed = example_feed()
        >>> sorted(feed.services_on(dt.date(2024, 10, 8)))
        ['weekdays']
        >>> sorted(feed.services_on(dt.date(2024, 10, 28)))  # a Monday removed (half term)
        []
        >>> sorted(feed.services_on(dt.date(2025, 1, 7)))  # after the end date
        []
        """
        running: set[str] = set()
        cal = self.calendar
        if len(cal):
            weekday = _WEEKDAYS[day.weekday()]
            within = (cal["start_date"] <= day) & (cal["end_date"] >= day) & cal[weekday]
            running.update(cal.loc[within, "service_id"])
        cd = self.calendar_dates
        if len(cd):
            today = cd[cd["date"] == day]
            running.update(today.loc[today["exception_type"] == 1, "service_id"])
            running.difference_update(today.loc[today["exception_type"] == 2, "service_id"])
        return frozenset(running)

    def check_date(self, day: dt.date) -> None:
        """Raise :class:`~centrereach.errors.GTFSError` when ``day`` is outside the feed's dates.

        Parameters
        ----------
        day
            The date a study asks for.

        Raises
        ------
        centrereach.errors.GTFSError
            Naming the feed, its calendar file(s) and its first and last dates.

        Examples
        --------
        >>> import datetime as dt
        >>> example_feed().check_date(dt.date(2024, 10, 8))
        >>> example_feed().check_date(dt.date(2025, 10, 7))
        Traceback (most recent call last):
        ...
        centrereach.errors.GTFSError: GTFS feed 'example', calendar.txt and calendar_dates.txt: ...
        """
        first, last = self.service_period()
        if not first <= day <= last:
            files = " and ".join(f for f in _CALENDARS if f in self.files or not self.files)
            msg = (
                f"GTFS feed '{self.name}', {files}: the date {day.isoformat()} "
                f"({day.strftime('%A')}) is outside the feed's service period, "
                f"{first.isoformat()} to {last.isoformat()}. Choose a date in that period "
                "([transit] date in the study file), or use a feed that covers the date."
            )
            raise GTFSError(msg)

    def describe(self) -> dict[str, Any]:
        """A JSON-able record of the feed for ``study.json``.

        Returns
        -------
        dict
            ``name``, ``source``, ``stops``, ``routes``, ``trips``, ``stop_times``,
            ``service_period`` (ISO dates) and ``untimed_calls``.

        Examples
        --------
        >>> example_feed().describe()["service_period"]
        ['2024-09-02', '2024-12-20']
        """
        first, last = self.service_period()
        return {
            "name": self.name,
            "source": self.source,
            "stops": len(self.stops),
            "routes": len(self.routes),
            "trips": len(self.trips),
            "stop_times": len(self.stop_times),
            "service_period": [first.isoformat(), last.isoformat()],
            "untimed_calls": int(self.untimed_calls),
        }


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip().lower()
    return start.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")) or (
        b"<html" in start[:2048]
    )


def _decode(raw: bytes, *, feed: str, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        msg = (
            f"GTFS feed '{feed}', {file}, row {line}: not UTF-8 text (byte {raw[err.start]:#04x}). "
            "GTFS files must be UTF-8; re-save the file as UTF-8."
        )
        raise EncodingError(msg) from err


def _read_files(path: Path) -> tuple[dict[str, str], str]:
    """The text of each ``.txt`` file of a zip or folder, and the feed's name."""
    name = path.name
    if path.is_dir():
        texts = {}
        for entry in sorted(path.iterdir()):
            if entry.suffix.lower() == ".txt" and entry.is_file():
                texts[entry.name.lower()] = _decode(entry.read_bytes(), feed=name, file=entry.name)
        return texts, name
    with path.open("rb") as fh:
        head = fh.read(4096)
    if _looks_like_html(head):
        msg = (
            f"GTFS feed '{name}' ({path}) is a web page (HTML), not a GTFS zip file: the "
            "download returned a page (an error, a login or a redirect) instead of the "
            "timetables. Download the feed again (centrereach data fetch ID, or by hand from "
            "the URL in `centrereach data list`) and check the file starts with 'PK'."
        )
        raise GTFSError(msg)
    if not zipfile.is_zipfile(path):
        msg = (
            f"GTFS feed '{name}' ({path}) is not a zip file: give the GTFS zip as downloaded, "
            "or a folder holding stops.txt, routes.txt, trips.txt, stop_times.txt and "
            "calendar.txt or calendar_dates.txt."
        )
        raise GTFSError(msg)
    texts = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            txt = [m for m in members if m.filename.lower().endswith(".txt")]
            # Some feeds are zipped with a top folder (feed/stops.txt): accept one level.
            folders = {Path(m.filename).parent.as_posix() for m in txt}
            if len(folders) > 1 and "." in folders:
                txt = [m for m in txt if Path(m.filename).parent.as_posix() == "."]
            elif len(folders) > 1:
                msg = (
                    f"GTFS feed '{name}' ({path}) holds .txt files in several folders "
                    f"({', '.join(sorted(folders))}): zip one feed per file."
                )
                raise GTFSError(msg)
            for member in txt:
                file = Path(member.filename).name.lower()
                texts[file] = _decode(archive.read(member), feed=name, file=file)
    except (zipfile.BadZipFile, OSError) as err:
        msg = f"GTFS feed '{name}' ({path}): the zip file is damaged ({err}); download it again."
        raise GTFSError(msg) from err
    return texts, name


def _table(text: str, *, feed: str, file: str) -> pd.DataFrame:
    """A GTFS file as a table of stripped strings (empty cells are '')."""
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError as err:
        msg = f"GTFS feed '{feed}', {file}: not valid comma-separated text ({err})."
        raise GTFSError(msg) from err
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame


def read_gtfs(path: str | os.PathLike[str], *, name: str | None = None) -> Feed:
    """Read and check a GTFS feed: a zip file (as downloaded) or a folder of ``.txt`` files.

    Required: ``stops.txt``, ``routes.txt``, ``trips.txt``, ``stop_times.txt``, and
    ``calendar.txt`` or ``calendar_dates.txt`` (or both), with the columns of
    :data:`REQUIRED_COLUMNS`. Checked: ids unique; every stop time names a known trip and stop,
    with times ``H:MM:SS`` (hours may pass 24, up to 47) that never go back in time along the
    trip; every trip names a known route and a service of the calendar; coordinates are
    latitude/longitude; dates are ``YYYYMMDD``; weekday flags are 0 or 1. ``frequencies.txt``
    (headway-based trips) is refused rather than misread.

    Parameters
    ----------
    path
        The zip file or the folder.
    name
        How messages name the feed (default: the file or folder name).

    Returns
    -------
    Feed

    Raises
    ------
    centrereach.errors.DataNotFoundError
        The path does not exist.
    centrereach.errors.GTFSError
        Not a zip (e.g. an HTML page saved as ``.zip``), a required file missing, or a bad
        value: the message names the feed, the file and the row, and says how to fix it.
    centrereach.errors.MissingColumnError
        A required column is missing (the message lists the columns found).
    centrereach.errors.DuplicateIdError
        Two stops, routes or trips share an id.
    centrereach.errors.EncodingError
        A file is not UTF-8.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "feed"
    >>> example_feed(write_to=folder)
    Feed('example', stops=3, routes=1, trips=2, services=1, 2024-09-02 to 2024-12-20)
    >>> read_gtfs(folder)
    Feed('feed', stops=3, routes=1, trips=2, services=1, 2024-09-02 to 2024-12-20)
    >>> page = folder.parent / "east_midlands.zip"
    >>> _ = page.write_text("<!DOCTYPE html><html><body>Sign in</body></html>")
    >>> read_gtfs(page)
    Traceback (most recent call last):
    ...
    centrereach.errors.GTFSError: GTFS feed 'east_midlands.zip' (...) is a web page (HTML), ...
    """
    file = Path(path)
    if not file.exists():
        msg = (
            f"the GTFS feed '{file}' does not exist. Give the path of a GTFS zip file or "
            "folder (--gtfs PATH, or [transit] gtfs in the study file), or a dataset id such "
            "as 'bods-gtfs-east-midlands' (centrereach data list)."
        )
        raise DataNotFoundError(msg)
    texts, default_name = _read_files(file)
    feed_name = name or default_name
    tables = {
        f: _table(texts[f], feed=feed_name, file=f)
        for f in (*REQUIRED_COLUMNS, "frequencies.txt")
        if f in texts
    }
    return _build(tables, name=feed_name, source=str(file))


# ---------------------------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------------------------


def _where(feed: str, file: str) -> str:
    return f"GTFS feed '{feed}', {file}"


def _require_columns(frame: pd.DataFrame, *, feed: str, file: str) -> None:
    missing = [c for c in REQUIRED_COLUMNS[file] if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        msg = (
            f"{_where(feed, file)}: no column {', '.join(repr(c) for c in missing)} "
            f"(columns found: {found}). GTFS requires it; check the file is the feed's own "
            f"{file} with its header row."
        )
        raise MissingColumnError(msg)


def _first_bad(mask: np.ndarray | pd.Series) -> int | None:
    where = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(where[0]) if where.size else None


def _fail(
    feed: str,
    file: str,
    position: int,
    column: str | None,
    problem: str,
    *,
    count: int = 1,
) -> GTFSError:
    col = f", column '{column}'" if column else ""
    more = f" ({count - 1:,} more row(s) like it)" if count > 1 else ""
    return GTFSError(f"{_where(feed, file)}, row {_row(position)}{col}: {problem}{more}")


def _reject(
    bad: np.ndarray | pd.Series,
    frame: pd.DataFrame,
    column: str,
    problem: Callable[[Any], str],
    *,
    feed: str,
    file: str,
) -> None:
    """Raise the error of the first row where ``bad`` holds: ``problem(its value)``, and a count."""
    first = _first_bad(bad)
    if first is not None:
        count = int(np.count_nonzero(np.asarray(bad, dtype=bool)))
        raise _fail(feed, file, first, column, problem(frame[column].iloc[first]), count=count)


def _not_in_degrees(value: Any, *, what: str, low: int, high: int) -> str:
    return (
        f"{value!r} is not a {what} in degrees ({low} to {high}); GTFS coordinates are WGS84 "
        "latitude and longitude."
    )


def _not_a_date(value: Any) -> str:
    return f"{value!r} is not a date; write YYYYMMDD (e.g. 20241008)."


def _unique(frame: pd.DataFrame, column: str, *, feed: str, file: str) -> None:
    dup = frame[column].duplicated()
    first = _first_bad(dup)
    if first is not None:
        value = frame[column].iloc[first]
        earlier = _first_bad(frame[column] == value)
        assert earlier is not None
        msg = (
            f"{_where(feed, file)}, row {_row(first)}, column '{column}': {value!r} repeats "
            f"row {_row(earlier)}; every {column} must be unique."
        )
        raise DuplicateIdError(msg)


def _nonempty(frame: pd.DataFrame, column: str, *, feed: str, file: str) -> None:
    empty = frame[column] == ""
    first = _first_bad(empty)
    if first is not None:
        raise _fail(feed, file, first, column, "is empty; give a value.", count=int(empty.sum()))


def _stops(frame: pd.DataFrame, *, feed: str) -> pd.DataFrame:
    file = "stops.txt"
    _require_columns(frame, feed=feed, file=file)
    _nonempty(frame, "stop_id", feed=feed, file=file)
    _unique(frame, "stop_id", feed=feed, file=file)
    lat = pd.to_numeric(frame["stop_lat"].replace("", np.nan), errors="coerce")
    lon = pd.to_numeric(frame["stop_lon"].replace("", np.nan), errors="coerce")
    given = (frame["stop_lat"] != "") | (frame["stop_lon"] != "")
    for column, values, low, high, what in (
        ("stop_lat", lat, -90, 90, "latitude"),
        ("stop_lon", lon, -180, 180, "longitude"),
    ):
        _reject(
            given & ~values.between(low, high), frame, column,
            partial(_not_in_degrees, what=what, low=low, high=high), feed=feed, file=file,
        )  # fmt: skip
    out = pd.DataFrame(
        {
            "stop_name": frame.get("stop_name", ""),
            "lat": lat,
            "lon": lon,
            "row": np.arange(len(frame)) + 2,
        }
    )
    out.index = pd.Index(frame["stop_id"].to_numpy(), name="stop_id")
    return out


def _routes(frame: pd.DataFrame, *, feed: str) -> pd.DataFrame:
    file = "routes.txt"
    _require_columns(frame, feed=feed, file=file)
    _nonempty(frame, "route_id", feed=feed, file=file)
    _unique(frame, "route_id", feed=feed, file=file)
    out = pd.DataFrame(
        {
            "route_short_name": frame.get("route_short_name", ""),
            "route_type": frame.get("route_type", ""),
            "row": np.arange(len(frame)) + 2,
        }
    )
    out.index = pd.Index(frame["route_id"].to_numpy(), name="route_id")
    return out


def _calendar(frame: pd.DataFrame | None, *, feed: str) -> pd.DataFrame:
    file = "calendar.txt"
    columns = ["service_id", *_WEEKDAYS, "start_date", "end_date", "row"]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    _require_columns(frame, feed=feed, file=file)
    _nonempty(frame, "service_id", feed=feed, file=file)
    _unique(frame, "service_id", feed=feed, file=file)
    out = pd.DataFrame({"service_id": frame["service_id"]})
    for day in _WEEKDAYS:
        _reject(~frame[day].isin(["0", "1"]), frame, day, lambda v: f"{v!r} is not 0 or 1.",
                feed=feed, file=file)  # fmt: skip
        out[day] = frame[day] == "1"
    for column in ("start_date", "end_date"):
        dates = _parse_dates(frame[column])
        _reject(dates.isna(), frame, column, _not_a_date, feed=feed, file=file)
        out[column] = dates
    backwards = _first_bad(out["start_date"] > out["end_date"])
    if backwards is not None:
        raise _fail(
            feed, file, backwards, "end_date",
            f"the end date {frame['end_date'].iloc[backwards]} is before the start date "
            f"{frame['start_date'].iloc[backwards]}.",
        )  # fmt: skip
    out["row"] = np.arange(len(frame)) + 2
    return out.reset_index(drop=True)


def _calendar_dates(frame: pd.DataFrame | None, *, feed: str) -> pd.DataFrame:
    file = "calendar_dates.txt"
    columns = ["service_id", "date", "exception_type", "row"]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    _require_columns(frame, feed=feed, file=file)
    _nonempty(frame, "service_id", feed=feed, file=file)
    dates = _parse_dates(frame["date"])
    _reject(dates.isna(), frame, "date", _not_a_date, feed=feed, file=file)
    _reject(
        ~frame["exception_type"].isin(["1", "2"]), frame, "exception_type",
        lambda v: f"{v!r} is not 1 (service added on the date) or 2 (service removed).",
        feed=feed, file=file,
    )  # fmt: skip
    return pd.DataFrame(
        {
            "service_id": frame["service_id"].to_numpy(),
            "date": dates.to_numpy(),
            "exception_type": frame["exception_type"].astype(int).to_numpy(),
            "row": np.arange(len(frame)) + 2,
        }
    )


def _trips(
    frame: pd.DataFrame, *, feed: str, routes: pd.DataFrame, services: set[str], calendars: str
) -> pd.DataFrame:
    file = "trips.txt"
    _require_columns(frame, feed=feed, file=file)
    for column in ("trip_id", "route_id", "service_id"):
        _nonempty(frame, column, feed=feed, file=file)
    _unique(frame, "trip_id", feed=feed, file=file)
    _reject(~frame["route_id"].isin(routes.index), frame, "route_id",
            lambda v: f"route {v!r} is not in routes.txt.", feed=feed, file=file)  # fmt: skip
    _reject(
        ~frame["service_id"].isin(services), frame, "service_id",
        lambda v: f"service {v!r} is in neither {calendars}, so the trip would never run; add "
        "the service to the calendar or remove the trip.",
        feed=feed, file=file,
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "route_id": frame["route_id"].to_numpy(),
            "service_id": frame["service_id"].to_numpy(),
            "row": np.arange(len(frame)) + 2,
        }
    )
    out.index = pd.Index(frame["trip_id"].to_numpy(), name="trip_id")
    return out


def _stop_times(
    frame: pd.DataFrame, *, feed: str, stops: pd.DataFrame, trips: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    file = "stop_times.txt"
    _require_columns(frame, feed=feed, file=file)
    for column in ("trip_id", "stop_id", "stop_sequence"):
        _nonempty(frame, column, feed=feed, file=file)
    n = len(frame)
    _reject(~frame["trip_id"].isin(trips.index), frame, "trip_id",
            lambda v: f"trip {v!r} is not in trips.txt.", feed=feed, file=file)  # fmt: skip
    _reject(~frame["stop_id"].isin(stops.index), frame, "stop_id",
            lambda v: f"stop {v!r} is not in stops.txt.", feed=feed, file=file)  # fmt: skip
    no_place = stops["lat"].isna() | stops["lon"].isna()
    _reject(
        frame["stop_id"].isin(stops.index[no_place]), frame, "stop_id",
        lambda v: f"stop {v!r} has no stop_lat/stop_lon in stops.txt (row "
        f"{int(stops.loc[v, 'row'])}); a stop where trips call needs coordinates.",
        feed=feed, file=file,
    )  # fmt: skip
    sequence = pd.to_numeric(frame["stop_sequence"], errors="coerce")
    _reject(
        sequence.isna() | (sequence < 0) | (sequence != sequence.round()), frame,
        "stop_sequence", lambda v: f"{v!r} is not a whole number >= 0.", feed=feed, file=file,
    )  # fmt: skip
    arrival = parse_gtfs_time(frame["arrival_time"])
    departure = parse_gtfs_time(frame["departure_time"])
    for column, values in (("arrival_time", arrival), ("departure_time", departure)):
        _reject(
            (values == -2) | (values >= MAX_HOURS * 3600), frame, column,
            lambda v: f"{v!r} is not a time; write H:MM:SS or HH:MM:SS (hours may pass 24 for "
            f"trips after midnight, e.g. 25:10:00, up to {MAX_HOURS - 1}:59:59).",
            feed=feed, file=file,
        )  # fmt: skip
    # One of the two given: GTFS allows copying it to the other.
    arrival = np.where(arrival < 0, departure, arrival)
    departure = np.where(departure < 0, arrival, departure)
    table = pd.DataFrame(
        {
            "trip_id": frame["trip_id"].to_numpy(),
            "stop_id": frame["stop_id"].to_numpy(),
            "stop_sequence": sequence.astype(np.int64).to_numpy(),
            "arrival_s": arrival,
            "departure_s": departure,
            "row": np.arange(n) + 2,
        }
    )
    table = table.sort_values(["trip_id", "stop_sequence"], kind="stable").reset_index(drop=True)
    same_trip = table["trip_id"].to_numpy()[1:] == table["trip_id"].to_numpy()[:-1]
    seq = table["stop_sequence"].to_numpy()
    repeat = np.flatnonzero(same_trip & (seq[1:] == seq[:-1]))
    if repeat.size:
        k = int(repeat[0]) + 1
        msg = (
            f"{_where(feed, file)}, row {int(table['row'].iloc[k])}, column 'stop_sequence': "
            f"trip {table['trip_id'].iloc[k]!r} has stop_sequence {int(seq[k])} twice (also "
            f"row {int(table['row'].iloc[k - 1])}); each call of a trip needs its own number."
        )
        raise GTFSError(msg)
    timed = table["arrival_s"].to_numpy() >= 0
    # the first and last calls of every trip must have times
    starts = np.r_[True, ~same_trip]
    ends = np.r_[~same_trip, True]
    first = _first_bad((starts | ends) & ~timed)
    if first is not None:
        msg = (
            f"{_where(feed, file)}, row {int(table['row'].iloc[first])}: the "
            f"{'first' if starts[first] else 'last'} call of trip "
            f"{table['trip_id'].iloc[first]!r} has no arrival_time or departure_time; GTFS "
            "requires times at the first and last stop of every trip."
        )
        raise GTFSError(msg)
    untimed = int((~timed).sum())
    table = table[timed].reset_index(drop=True)
    arr = table["arrival_s"].to_numpy()
    dep = table["departure_s"].to_numpy()
    trip = table["trip_id"].to_numpy()
    waits_backwards = _first_bad(dep < arr)
    if waits_backwards is not None:
        k = waits_backwards
        msg = (
            f"{_where(feed, file)}, row {int(table['row'].iloc[k])}, column 'departure_time': "
            f"trip {trip[k]!r} leaves stop {table['stop_id'].iloc[k]!r} "
            f"({_clock(dep[k])}) before it arrives ({_clock(arr[k])})."
        )
        raise GTFSError(msg)
    back = np.flatnonzero((trip[1:] == trip[:-1]) & (arr[1:] < dep[:-1]))
    if back.size:
        k = int(back[0]) + 1
        msg = (
            f"{_where(feed, file)}, row {int(table['row'].iloc[k])}, column 'arrival_time': "
            f"trip {trip[k]!r} arrives at stop {table['stop_id'].iloc[k]!r} at "
            f"{_clock(arr[k])}, before it left the previous stop ({_clock(dep[k - 1])}, row "
            f"{int(table['row'].iloc[k - 1])}); times must not go back along a trip (write "
            "times after midnight as 24:05:00, not 00:05:00)."
        )
        raise GTFSError(msg)
    return table, untimed


def _clock(seconds: int | np.integer) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _build(tables: Mapping[str, pd.DataFrame], *, name: str, source: str) -> Feed:
    """Check GTFS tables of strings and build the feed."""
    missing = [f for f in _ALWAYS if f not in tables]
    if not any(f in tables for f in _CALENDARS):
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        msg = (
            f"GTFS feed '{name}' ({source}) has no {', '.join(missing)}. A GTFS feed needs "
            "stops.txt, routes.txt, trips.txt, stop_times.txt and calendar.txt and/or "
            "calendar_dates.txt; check it is a GTFS (not TransXChange or NeTEx) download."
        )
        raise GTFSError(msg)
    frequencies = tables.get("frequencies.txt")
    if frequencies is not None and len(frequencies):
        msg = (
            f"{_where(name, 'frequencies.txt')}: headway-based trips are not supported (they "
            "would be read as a single trip). Use a feed with every trip listed in "
            "stop_times.txt (BODS timetables are)."
        )
        raise GTFSError(msg)
    stops = _stops(tables["stops.txt"], feed=name)
    routes = _routes(tables["routes.txt"], feed=name)
    calendar = _calendar(tables.get("calendar.txt"), feed=name)
    calendar_dates = _calendar_dates(tables.get("calendar_dates.txt"), feed=name)
    given = [f for f in _CALENDARS if f in tables]
    services = set(calendar["service_id"]) | set(calendar_dates["service_id"])
    if not services:
        msg = (
            f"GTFS feed '{name}': {' and '.join(given)} list no services, so no trip ever "
            "runs; check the download is complete."
        )
        raise GTFSError(msg)
    trips = _trips(
        tables["trips.txt"],
        feed=name,
        routes=routes,
        services=services,
        calendars=" nor ".join(_CALENDARS),
    )
    stop_times, untimed = _stop_times(tables["stop_times.txt"], feed=name, stops=stops, trips=trips)
    if stop_times.empty:
        msg = f"{_where(name, 'stop_times.txt')}: no stop times, so no trip calls anywhere."
        raise GTFSError(msg)
    if untimed:
        logger.info(
            "%s: %d calls in stop_times.txt have no times and are left out (no boarding or "
            "alighting there)",
            name,
            untimed,
        )
    return Feed(
        name=name,
        source=source,
        stops=stops,
        routes=routes,
        trips=trips,
        stop_times=stop_times,
        calendar=calendar,
        calendar_dates=calendar_dates,
        untimed_calls=untimed,
        files=tuple(sorted(tables)),
    )


# ---------------------------------------------------------------------------------------------
# a tiny feed for examples
# ---------------------------------------------------------------------------------------------


def example_feed(*, write_to: str | os.PathLike[str] | None = None) -> Feed:
    """A three-stop, one-route feed in Chesterfield (for examples and tests).

    Route ``1`` runs A → B → C at 07:30 and 08:00 on weekdays from 2 September to 20 December
    2024, except Monday 28 October (removed in ``calendar_dates.txt``).

    Parameters
    ----------
    write_to
        A folder to write the feed's ``.txt`` files into (created), as a real feed would be.

    Returns
    -------
    Feed

    Examples
    --------
    >>> example_feed().stop_times[["trip_id", "stop_id", "departure_s"]].head(3)
      trip_id stop_id  departure_s
    0   t0730       A        27000
    1   t0730       B        27360
    2   t0730       C        27720
    """
    times = ["07:30:00", "07:36:00", "07:42:00", "08:00:00", "08:06:00", "08:12:00"]
    tables = {
        "stops.txt": pd.DataFrame(
            {
                "stop_id": ["A", "B", "C"],
                "stop_name": ["Market Place", "Hospital Lane", "Station Road"],
                "stop_lat": ["53.235", "53.240", "53.228"],
                "stop_lon": ["-1.425", "-1.410", "-1.420"],
            }
        ),
        "routes.txt": pd.DataFrame(
            {"route_id": ["1"], "route_short_name": ["1"], "route_type": ["3"]}
        ),
        "trips.txt": pd.DataFrame(
            {"route_id": ["1", "1"], "service_id": ["weekdays"] * 2, "trip_id": ["t0730", "t0800"]}
        ),
        "stop_times.txt": pd.DataFrame(
            {
                "trip_id": ["t0730"] * 3 + ["t0800"] * 3,
                "arrival_time": times,
                "departure_time": times,
                "stop_id": ["A", "B", "C"] * 2,
                "stop_sequence": ["1", "2", "3"] * 2,
            }
        ),
        "calendar.txt": pd.DataFrame(
            {
                "service_id": ["weekdays"],
                **{day: ["1" if day not in ("saturday", "sunday") else "0"] for day in _WEEKDAYS},
                "start_date": ["20240902"],
                "end_date": ["20241220"],
            }
        ),
        "calendar_dates.txt": pd.DataFrame(
            {"service_id": ["weekdays"], "date": ["20241028"], "exception_type": ["2"]}
        ),
    }
    if write_to is not None:
        folder = Path(write_to)
        folder.mkdir(parents=True, exist_ok=True)
        for file, frame in tables.items():
            frame.to_csv(folder / file, index=False)
    return Feed.from_tables(tables, name="example")
