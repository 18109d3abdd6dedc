"""Reading and checking GTFS feeds (``centrereach.gtfs``): good feeds and deliberately broken ones.

Every broken feed must fail with a message naming the feed, the file and the row (1-based, the
header is row 1), never with a traceback from deep inside pandas.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from centrereach.errors import (
    CentrereachError,
    DataNotFoundError,
    DuplicateIdError,
    EncodingError,
    GTFSError,
    MissingColumnError,
)
from centrereach.gtfs import Feed, example_feed, parse_gtfs_time, read_gtfs

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

STOPS = (
    "stop_id,stop_name,stop_lat,stop_lon\n"
    "A,Market Place,53.235,-1.425\n"
    "B,Hospital Lane,53.240,-1.410\n"
    "C,Station Road,53.228,-1.420\n"
)
ROUTES = "route_id,route_short_name,route_type\n1,1,3\n2,2,3\n"
TRIPS = "route_id,service_id,trip_id\n1,weekdays,t1\n1,weekdays,t2\n2,saturdays,t3\n"
STOP_TIMES = (
    "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "t1,07:30:00,07:30:00,A,1\n"
    "t1,07:36:00,07:37:00,B,2\n"
    "t1,07:42:00,07:42:00,C,3\n"
    "t2,23:50:00,23:50:00,A,1\n"
    "t2,24:05:00,24:05:00,B,2\n"
    "t2,25:10:00,25:10:00,C,3\n"
    "t3,9:00:00,9:00:00,C,1\n"
    "t3,9:20:00,9:20:00,A,2\n"
)
CALENDAR = (
    "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    "weekdays,1,1,1,1,1,0,0,20240902,20241220\n"
    "saturdays,0,0,0,0,0,1,0,20240902,20241220\n"
)
CALENDAR_DATES = (
    "service_id,date,exception_type\n"
    "weekdays,20241028,2\n"  # Monday of half term: no weekday service
    "saturdays,20241028,1\n"  # ... the Saturday timetable instead
    "weekdays,20241221,1\n"  # an extra Saturday after the end date
)
FILES = {
    "stops.txt": STOPS,
    "routes.txt": ROUTES,
    "trips.txt": TRIPS,
    "stop_times.txt": STOP_TIMES,
    "calendar.txt": CALENDAR,
    "calendar_dates.txt": CALENDAR_DATES,
}


def write_feed(folder: Path, files: dict[str, str | None] | None = None) -> Path:
    """Write the feed above, with ``files`` replacing (or, when None, removing) some files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**FILES, **(files or {})}.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def zip_feed(folder: Path, target: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, prefix + file.name)
    return target


def replace_line(text: str, number: int, line: str) -> str:
    """``text`` with its line ``number`` (1-based, header = 1) replaced."""
    lines = text.splitlines()
    lines[number - 1] = line
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# good feeds
# --------------------------------------------------------------------------------------------


def test_folder_and_zip_give_the_same_feed(tmp_path: Path) -> None:
    folder = write_feed(tmp_path / "feed")
    a = read_gtfs(folder)
    b = read_gtfs(zip_feed(folder, tmp_path / "feed.zip"))
    c = read_gtfs(zip_feed(folder, tmp_path / "nested.zip", prefix="gtfs/"))
    assert a.name == "feed" and b.name == "feed.zip" and c.name == "nested.zip"
    for other in (b, c):
        pd.testing.assert_frame_equal(a.stop_times, other.stop_times)
        pd.testing.assert_frame_equal(a.stops, other.stops)
        assert a.service_period() == other.service_period()
    assert len(a.stops) == 3 and len(a.trips) == 3 and len(a.stop_times) == 8
    assert a.stops.loc["B", "lat"] == 53.240 and a.stops.loc["B", "row"] == 3


def test_times_past_midnight_and_single_digit_hours(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path / "feed"))
    t2 = feed.stop_times[feed.stop_times["trip_id"] == "t2"]
    assert t2["arrival_s"].tolist() == [23 * 3600 + 50 * 60, 24 * 3600 + 5 * 60, 25 * 3600 + 600]
    t3 = feed.stop_times[feed.stop_times["trip_id"] == "t3"]
    assert t3["departure_s"].tolist() == [9 * 3600, 9 * 3600 + 1200]
    t1 = feed.stop_times[feed.stop_times["trip_id"] == "t1"].set_index("stop_id")
    assert (t1.loc["B", "arrival_s"], t1.loc["B", "departure_s"]) == (27360, 27420)
    assert t1["row"].tolist() == [2, 3, 4]


def test_parse_gtfs_time() -> None:
    values = pd.Series(["00:00:00", "7:05:09", "23:59:59", "47:59:59", "", " 08:00:00 ", "8:60:00"])
    assert parse_gtfs_time(values).tolist() == [0, 25509, 86399, 172799, -1, 28800, -2]


def test_parse_gtfs_time_of_repeated_values_parses_each_as_alone() -> None:
    # each distinct text is parsed once and spread back: every row must still get its own value
    values = ["07:05:00", "", "7:05:00", "bad", " 07:05:00", "07:05:00", "", "25:00:00", "bad"]
    series = pd.Series(values * 3, index=range(100, 100 + 3 * len(values)))
    alone = [int(parse_gtfs_time(pd.Series([v]))[0]) for v in series]
    assert alone[:9] == [25500, -1, 25500, -2, 25500, 25500, -1, 90000, -2]
    got = parse_gtfs_time(series)
    assert got.dtype == "int64" and got.tolist() == alone
    assert parse_gtfs_time(pd.Series([], dtype=object)).tolist() == []


def test_services_on_weekdays_ranges_and_exceptions(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path / "feed"))
    tuesday = dt.date(2024, 10, 8)
    assert feed.services_on(tuesday) == {"weekdays"}
    assert feed.services_on(dt.date(2024, 10, 12)) == {"saturdays"}  # Saturday
    assert feed.services_on(dt.date(2024, 10, 13)) == frozenset()  # Sunday
    assert feed.services_on(dt.date(2024, 10, 28)) == {"saturdays"}  # half-term Monday
    assert feed.services_on(dt.date(2024, 8, 27)) == frozenset()  # before the start date
    assert feed.services_on(dt.date(2024, 12, 21)) == {"weekdays"}  # added after the end
    assert feed.services_on(dt.date(2024, 12, 28)) == frozenset()
    assert feed.service_period() == (dt.date(2024, 9, 2), dt.date(2024, 12, 21))


def test_calendar_only_feed(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path / "feed", {"calendar_dates.txt": None}))
    assert feed.calendar_dates.empty
    assert feed.services_on(dt.date(2024, 10, 28)) == {"weekdays"}  # no exception any more
    assert feed.service_period() == (dt.date(2024, 9, 2), dt.date(2024, 12, 20))


def test_calendar_dates_only_feed(tmp_path: Path) -> None:
    dates = "service_id,date,exception_type\nweekdays,20241008,1\nweekdays,20241009,1\n"
    dates += "saturdays,20241012,1\n"
    feed = read_gtfs(
        write_feed(tmp_path / "feed", {"calendar.txt": None, "calendar_dates.txt": dates})
    )
    assert feed.calendar.empty
    assert feed.services_on(dt.date(2024, 10, 8)) == {"weekdays"}
    assert feed.services_on(dt.date(2024, 10, 10)) == frozenset()  # not listed: no service
    assert feed.service_period() == (dt.date(2024, 10, 8), dt.date(2024, 10, 12))
    feed.check_date(dt.date(2024, 10, 10))  # inside the period, though nothing runs
    with pytest.raises(GTFSError, match=r"calendar_dates.txt: the date 2024-10-15 \(Tuesday\)"):
        feed.check_date(dt.date(2024, 10, 15))


def test_untimed_calls_are_left_out(tmp_path: Path) -> None:
    times = replace_line(STOP_TIMES, 3, "t1,,,B,2")
    feed = read_gtfs(write_feed(tmp_path / "feed", {"stop_times.txt": times}))
    assert feed.untimed_calls == 1
    t1 = feed.stop_times[feed.stop_times["trip_id"] == "t1"]
    assert t1["stop_id"].tolist() == ["A", "C"]
    assert feed.describe()["untimed_calls"] == 1


def test_stop_sequence_orders_calls_not_file_order(tmp_path: Path) -> None:
    lines = STOP_TIMES.splitlines()
    shuffled = "\n".join([lines[0], lines[3], lines[1], lines[2], *lines[4:]]) + "\n"
    feed = read_gtfs(write_feed(tmp_path / "feed", {"stop_times.txt": shuffled}))
    t1 = feed.stop_times[feed.stop_times["trip_id"] == "t1"]
    assert t1["stop_id"].tolist() == ["A", "B", "C"]
    assert t1["row"].tolist() == [3, 4, 2]


def test_utf8_bom_and_extra_columns(tmp_path: Path) -> None:
    folder = write_feed(tmp_path / "feed")
    stops = "\ufeffstop_id,stop_code,stop_name,stop_lat,stop_lon,wheelchair_boarding\n"
    stops += "A,x,Market Place,53.235,-1.425,1\nB,y,Hospital Lane,53.24,-1.41,0\n"
    stops += "C,z,Station Road,53.228,-1.42,1\n"
    (folder / "stops.txt").write_text(stops, encoding="utf-8")
    assert list(read_gtfs(folder).stops.index) == ["A", "B", "C"]


def test_example_feed_round_trip(tmp_path: Path) -> None:
    feed = example_feed(write_to=tmp_path / "ex")
    again = read_gtfs(tmp_path / "ex", name="example")
    pd.testing.assert_frame_equal(feed.stop_times, again.stop_times)
    assert feed.describe() == {**again.describe(), "source": "example"}


# --------------------------------------------------------------------------------------------
# broken feeds: each names the feed, the file and the row
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["stops.txt", "routes.txt", "trips.txt", "stop_times.txt"])
def test_missing_required_file(tmp_path: Path, missing: str) -> None:
    folder = write_feed(tmp_path / "feed", {missing: None})
    with pytest.raises(GTFSError, match=rf"GTFS feed 'feed' \(.*\) has no {missing}"):
        read_gtfs(folder)


def test_missing_both_calendars(tmp_path: Path) -> None:
    folder = write_feed(tmp_path / "feed", {"calendar.txt": None, "calendar_dates.txt": None})
    with pytest.raises(GTFSError, match=r"has no calendar.txt or calendar_dates.txt"):
        read_gtfs(zip_feed(folder, tmp_path / "feed.zip"))


@pytest.mark.parametrize(
    ("file", "column"),
    [
        ("stops.txt", "stop_lat"),
        ("trips.txt", "service_id"),
        ("stop_times.txt", "departure_time"),
        ("calendar.txt", "start_date"),
        ("calendar_dates.txt", "exception_type"),
    ],
)
def test_missing_required_column(tmp_path: Path, file: str, column: str) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(FILES[file]), dtype=str)
    text = frame.drop(columns=column).to_csv(index=False)
    folder = write_feed(tmp_path / "feed", {file: text})
    with pytest.raises(
        MissingColumnError, match=rf"GTFS feed 'feed', {file}: no column '{column}'"
    ):
        read_gtfs(folder)


@pytest.mark.parametrize(
    ("file", "line", "text", "message"),
    [
        (
            "stop_times.txt",
            5,
            "t2,7h50,23:50:00,A,1",
            r"stop_times.txt, row 5, column 'arrival_time': '7h50' is not a time; write H:MM:SS",
        ),
        (
            "stop_times.txt",
            6,
            "t2,48:05:00,48:05:00,B,2",
            r"stop_times.txt, row 6, column 'arrival_time': '48:05:00' is not a time",
        ),
        (
            "stop_times.txt",
            6,
            "t2,00:05:00,00:05:00,B,2",
            r"stop_times.txt, row 6, column 'arrival_time': trip 't2' arrives at stop 'B' at "
            r"00:05:00, before it left the previous stop \(23:50:00, row 5\).*24:05:00",
        ),
        (
            "stop_times.txt",
            3,
            "t1,07:38:00,07:37:00,B,2",
            r"stop_times.txt, row 3, column 'departure_time': trip 't1' leaves stop 'B' "
            r"\(07:37:00\) before it arrives \(07:38:00\)",
        ),
        (
            "stop_times.txt",
            4,
            "t1,07:42:00,07:42:00,Z,3",
            r"stop_times.txt, row 4, column 'stop_id': stop 'Z' is not in stops.txt",
        ),
        (
            "stop_times.txt",
            4,
            "t9,07:42:00,07:42:00,C,3",
            r"stop_times.txt, row 4, column 'trip_id': trip 't9' is not in trips.txt",
        ),
        (
            "stop_times.txt",
            4,
            "t1,07:42:00,07:42:00,C,2",
            r"stop_times.txt, row 4, column 'stop_sequence': trip 't1' has stop_sequence 2 "
            r"twice \(also row 3\)",
        ),
        (
            "stop_times.txt",
            4,
            "t1,07:42:00,07:42:00,C,third",
            r"stop_times.txt, row 4, column 'stop_sequence': 'third' is not a whole number",
        ),
        (
            "stop_times.txt",
            4,
            "t1,,,C,3",
            r"stop_times.txt, row 4: the last call of trip 't1' has no arrival_time or "
            r"departure_time",
        ),
        (
            "stops.txt",
            3,
            "B,Hospital Lane,153.24,-1.41",
            r"stops.txt, row 3, column 'stop_lat': '153.24' is not a latitude",
        ),
        (
            "stops.txt",
            4,
            "C,Station Road,53.228,west",
            r"stops.txt, row 4, column 'stop_lon': 'west' is not a longitude",
        ),
        (
            "trips.txt",
            4,
            "2,sundays,t3",
            r"trips.txt, row 4, column 'service_id': service 'sundays' is in neither "
            r"calendar.txt nor calendar_dates.txt",
        ),
        (
            "trips.txt",
            2,
            "9,weekdays,t1",
            r"trips.txt, row 2, column 'route_id': route '9' is not in routes.txt",
        ),
        (
            "calendar.txt",
            3,
            "saturdays,0,0,0,0,0,yes,0,20240902,20241220",
            r"calendar.txt, row 3, column 'saturday': 'yes' is not 0 or 1",
        ),
        (
            "calendar.txt",
            2,
            "weekdays,1,1,1,1,1,0,0,2024-09-02,20241220",
            r"calendar.txt, row 2, column 'start_date': '2024-09-02' is not a date; write YYYYMMDD",
        ),
        (
            "calendar.txt",
            2,
            "weekdays,1,1,1,1,1,0,0,20241220,20240902",
            r"calendar.txt, row 2, column 'end_date': the end date 20240902 is before",
        ),
        (
            "calendar_dates.txt",
            3,
            "saturdays,20241028,3",
            r"calendar_dates.txt, row 3, column 'exception_type': '3' is not 1 .* or 2",
        ),
        (
            "calendar_dates.txt",
            3,
            "saturdays,2024-10-28,1",
            r"calendar_dates.txt, row 3, column 'date': '2024-10-28' is not a date; write "
            r"YYYYMMDD",
        ),
        (
            "stops.txt",
            4,
            "C,Station Road,,",
            r"stop_times.txt, row 4, column 'stop_id': stop 'C' has no stop_lat/stop_lon in "
            r"stops.txt \(row 4\); a stop where trips call needs coordinates",
        ),
    ],
)
def test_bad_values_name_file_row_and_column(
    tmp_path: Path, file: str, line: int, text: str, message: str
) -> None:
    folder = write_feed(tmp_path / "feed", {file: replace_line(FILES[file], line, text)})
    with pytest.raises(GTFSError, match=rf"GTFS feed 'feed', {message}"):
        read_gtfs(folder)


def test_bad_value_counts_the_other_rows(tmp_path: Path) -> None:
    times = STOP_TIMES.replace("07:30:00", "7.30").replace("07:42:00", "7.42")
    folder = write_feed(tmp_path / "feed", {"stop_times.txt": times})
    with pytest.raises(GTFSError, match=r"row 2, column 'arrival_time'.*\(1 more row\(s\) like"):
        read_gtfs(folder)


@pytest.mark.parametrize(
    ("file", "line", "text", "row"),
    [
        ("stops.txt", 4, "A,Again,53.2,-1.4", 4),
        ("trips.txt", 3, "1,weekdays,t1", 3),
        ("routes.txt", 3, "1,1b,3", 3),
    ],
)
def test_duplicate_ids(tmp_path: Path, file: str, line: int, text: str, row: int) -> None:
    folder = write_feed(tmp_path / "feed", {file: replace_line(FILES[file], line, text)})
    with pytest.raises(DuplicateIdError, match=rf"{file}, row {row}, .* repeats row 2"):
        read_gtfs(folder)


def test_zip_that_is_an_html_page(tmp_path: Path) -> None:
    page = tmp_path / "east_midlands.zip"
    page.write_text("\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n")
    with pytest.raises(GTFSError, match=r"'east_midlands.zip' .* is a web page \(HTML\)"):
        read_gtfs(page)


def test_file_that_is_not_a_zip(tmp_path: Path) -> None:
    junk = tmp_path / "feed.zip"
    junk.write_bytes(b"\x00\x01 not a zip at all")
    with pytest.raises(GTFSError, match="is not a zip file"):
        read_gtfs(junk)


def test_truncated_zip(tmp_path: Path) -> None:
    whole = zip_feed(write_feed(tmp_path / "feed"), tmp_path / "whole.zip")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[:-40])
    with pytest.raises(GTFSError, match=r"'cut\.zip'"):
        read_gtfs(cut)


def test_missing_path() -> None:
    with pytest.raises(DataNotFoundError, match=r"'no-such-feed\.zip' does not exist"):
        read_gtfs("no-such-feed.zip")


def test_not_utf8(tmp_path: Path) -> None:
    folder = write_feed(tmp_path / "feed")
    (folder / "stops.txt").write_bytes(STOPS.encode() + b"D,Caf\xe9,53.2,-1.4\n")
    with pytest.raises(EncodingError, match=r"GTFS feed 'feed', stops.txt, row 5: not UTF-8"):
        read_gtfs(folder)


def test_frequencies_are_refused(tmp_path: Path) -> None:
    freq = "trip_id,start_time,end_time,headway_secs\nt1,07:00:00,09:00:00,600\n"
    folder = write_feed(tmp_path / "feed", {"frequencies.txt": freq})
    with pytest.raises(GTFSError, match=r"frequencies\.txt: headway-based trips are not supported"):
        read_gtfs(folder)


def test_date_outside_the_service_period(tmp_path: Path) -> None:
    feed = read_gtfs(zip_feed(write_feed(tmp_path / "feed"), tmp_path / "east_midlands.zip"))
    with pytest.raises(
        GTFSError,
        match=r"'east_midlands.zip', calendar.txt and calendar_dates.txt: the date 2025-10-07 "
        r"\(Tuesday\) is outside the feed's service period, 2024-09-02 to 2024-12-21",
    ):
        feed.check_date(dt.date(2025, 10, 7))
    feed.check_date(dt.date(2024, 12, 21))  # the added last day is inside


def test_errors_are_centrereach_errors() -> None:
    assert issubclass(GTFSError, ValueError) and issubclass(GTFSError, CentrereachError)


def test_from_tables_accepts_numbers() -> None:
    feed = example_feed()
    tables = {
        "stops.txt": pd.DataFrame(
            {"stop_id": [1, 2], "stop_lat": [53.2, 53.3], "stop_lon": [-1.4, -1.4]}
        ),
        "routes.txt": pd.DataFrame({"route_id": [7]}),
        "trips.txt": pd.DataFrame({"route_id": [7], "service_id": ["s"], "trip_id": [100]}),
        "stop_times.txt": pd.DataFrame(
            {
                "trip_id": [100, 100],
                "arrival_time": ["08:00:00", "08:09:00"],
                "departure_time": ["08:00:00", None],
                "stop_id": [1, 2],
                "stop_sequence": [0, 1],
            }
        ),
        "calendar_dates.txt": pd.DataFrame(
            {"service_id": ["s"], "date": [20241008], "exception_type": [1]}
        ),
    }
    small = Feed.from_tables(tables, name="numbers")
    assert small.stop_times["stop_id"].tolist() == ["1", "2"]
    assert small.stop_times["departure_s"].tolist() == [28800, 29340]  # copied from arrival
    assert len(feed.stops) == 3


def test_no_leftover_files(tmp_path: Path) -> None:
    folder = write_feed(tmp_path / "feed")
    before = sorted(p.name for p in folder.iterdir())
    read_gtfs(folder)
    assert sorted(p.name for p in folder.iterdir()) == before
    shutil.rmtree(folder)
