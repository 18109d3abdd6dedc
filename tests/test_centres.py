"""Tests of :mod:`centrereach.centres`: formats, location sources, geocoding and broken inputs.

Broken inputs are tiny hand-written files in ``tests/data``; well-formed workbooks and spatial files
are written in ``tmp_path``; the real centres and Code-Point Open file are read in place.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Point, box

from _helpers import Handler, LocalServer, Serve
from centrereach.centres import geocode_postcodes, load_centres, normalise_postcode, slugify
from centrereach.errors import (
    CentrereachError,
    DataNotFoundError,
    DownloadError,
    DuplicateIdError,
    EmptyFileError,
    EncodingError,
    InvalidCoordinateError,
    MissingColumnError,
    OutsideStudyAreaWarning,
    UnknownPostcodeError,
)

DATA = Path(__file__).parent / "data"
CENTRES_2024 = (
    Path(__file__).resolve().parents[1] / "data" / "derbyshire_childrens_centres_2024.csv"
)
CODEPOINT = "postcodes/codepoint_open_2025-05_DE_S_SK_NG_ST.csv.gz"
CLOSING_2024 = {
    "alfreton",
    "bolsover",
    "charnos",
    "gamesley",
    "hadfield",
    "holme-hall",
    "ironville",
    "langley-mill",
    "matlock",
    "old-whittington",
}
GEOD = Geod(ellps="WGS84")


def distance_m(a: Point, b: Point) -> float:
    """Geodesic distance between two lon/lat points (metres)."""
    return float(GEOD.inv(a.x, a.y, b.x, b.y)[2])


@pytest.fixture(scope="module")
def codepoint(shared_data: Path) -> Path:
    return shared_data / CODEPOINT


@pytest.fixture(scope="module")
def sk13_0lu(codepoint: Path) -> dict[str, float]:
    """The Code-Point Open record of SK13 0LU (Gamesley), read from the real file."""
    with gzip.open(codepoint, "rt", encoding="utf-8-sig", newline="") as fh:
        for record in csv.DictReader(fh):
            if record["Postcode"] == "SK13 0LU":
                return {
                    k: float(record[k]) for k in ("Eastings", "Northings", "longitude", "latitude")
                }
    pytest.fail("SK13 0LU is not in the Code-Point Open file")


# ---------------------------------------------------------------------------------------------
# formats and encodings
# ---------------------------------------------------------------------------------------------

TEXT = (
    "centre_id,name,district,status_2024,lat,lon\n"
    "belper,Crèche Belper Café,Amber Valley,retained,53.0240,-1.4810\n"
    "alices-view,Alice’s View Children’s Centre,North East Derbyshire,retained,53.1800,-1.3870\n"
)


@pytest.mark.parametrize(
    "path",
    [None, DATA / "centres_utf8_bom.csv", DATA / "centres_cp1252.csv"],
    ids=["utf-8", "utf-8-bom", "cp1252"],
)
def test_csv_encodings_keep_accents_and_quotes(path: Path | None, tmp_path: Path) -> None:
    if path is None:
        path = tmp_path / "centres.csv"
        path.write_text(TEXT, encoding="utf-8")
    raw = path.read_bytes()
    if path.name.endswith("cp1252.csv"):
        assert b"\xe9" in raw and b"\x92" in raw  # really cp1252: é and ’ are one byte each
    centres = load_centres(path)
    assert list(centres.index) == ["belper", "alices-view"]
    assert centres.loc["belper", "name"] == "Crèche Belper Café"
    assert centres.loc["alices-view", "name"] == "Alice’s View Children’s Centre"
    # The BOM must not leak into the first column name (it would hide 'centre_id').
    assert centres.index.name == "centre_id"
    assert "centre_id" not in centres.columns


def test_xlsx_with_notes_sheet_first(tmp_path: Path) -> None:
    path = tmp_path / "centres.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"Notes": ["Children's centres, 2024", "Locations approximate"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        pd.DataFrame(
            {
                "Centre ID": ["matlock", "glossop"],
                "Name": ["Matlock", "Glossop"],
                "Latitude": [53.138, 53.444],
                "Longitude": [-1.556, -1.949],
                "status_2024": ["closing", "retained"],
            }
        ).to_excel(writer, sheet_name="Centres", index=False)
    centres = load_centres(path)
    assert list(centres.index) == ["matlock", "glossop"]
    assert centres.loc["glossop", "status_2024"] == "retained"
    assert centres.geometry.x.tolist() == pytest.approx([-1.556, -1.949])
    assert set(centres["location_source"]) == {"latlon"}
    # An explicit sheet is honoured.
    assert list(load_centres(path, sheet="Centres").index) == ["matlock", "glossop"]


def test_geojson_points(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["Matlock", "Glossop"], "status_2024": ["closing", "retained"]},
        geometry=[Point(-1.556, 53.138), Point(-1.949, 53.444)],
        crs=4326,
    )
    path = tmp_path / "centres.geojson"
    frame.to_file(path, driver="GeoJSON")
    centres = load_centres(path)
    assert list(centres.index) == ["matlock", "glossop"]
    assert set(centres["location_source"]) == {"geometry"}
    assert centres.crs.to_epsg() == 4326
    assert centres.geometry.y.tolist() == pytest.approx([53.138, 53.444])


def test_geopackage_in_british_national_grid_is_reprojected(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"centre_id": ["matlock"], "name": ["Matlock"]},
        geometry=[Point(-1.556, 53.138)],
        crs=4326,
    ).to_crs(27700)
    path = tmp_path / "centres.gpkg"
    frame.to_file(path, driver="GPKG")
    centres = load_centres(path)
    assert centres.crs.to_epsg() == 4326
    assert distance_m(centres.geometry.iloc[0], Point(-1.556, 53.138)) < 1.0
    assert centres.loc["matlock", "location_source"] == "geometry"


def test_geometry_without_crs_in_metres_is_british_national_grid() -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["Matlock"]},
        geometry=gpd.GeoSeries([Point(-1.556, 53.138)], crs=4326).to_crs(27700).to_numpy(),
    )
    assert frame.crs is None
    centres = load_centres(frame)
    assert distance_m(centres.geometry.iloc[0], Point(-1.556, 53.138)) < 1.0


def test_geometry_outside_great_britain_names_row_and_column(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["Matlock", "Paris"]},
        geometry=[Point(-1.556, 53.138), Point(2.35, 48.85)],
        crs=4326,
    )
    path = tmp_path / "centres.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(InvalidCoordinateError) as info:
        load_centres(path)
    message = str(info.value)
    assert "centres.geojson'" in message and "row 3, column 'geometry'" in message
    assert "outside Great Britain" in message and "'paris'" in message


# ---------------------------------------------------------------------------------------------
# location sources
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lat, lon", [("lat", "lon"), ("latitude", "longitude"), ("Lat", "Lng")])
def test_lat_lon_spellings(lat: str, lon: str) -> None:
    table = pd.DataFrame({"name": ["Matlock"], lat: [53.138], lon: [-1.556]})
    centres = load_centres(table)
    point = centres.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx((-1.556, 53.138))
    assert centres["location_source"].tolist() == ["latlon"]


def test_easting_northing_matches_codepoint_lonlat(sk13_0lu: dict[str, float]) -> None:
    # Code-Point Open gives both a grid reference and lon/lat: the conversion must agree with it.
    table = pd.DataFrame(
        {
            "name": ["Gamesley"],
            "easting": [sk13_0lu["Eastings"]],
            "northing": [sk13_0lu["Northings"]],
        }
    )
    centres = load_centres(table)
    expected = Point(sk13_0lu["longitude"], sk13_0lu["latitude"])
    assert distance_m(centres.geometry.iloc[0], expected) < 5.0
    assert centres["location_source"].tolist() == ["en"]
    assert centres.crs.to_epsg() == 4326


def test_postcodes_geocoded_whatever_the_case_and_spacing(
    tmp_path: Path, codepoint: Path, sk13_0lu: dict[str, float]
) -> None:
    path = tmp_path / "centres.csv"
    path.write_text('name,postcode\nA,sk13 0lu\nB,SK130LU\nC," Sk13  0Lu "\n', encoding="utf-8")
    centres = load_centres(path, postcodes=codepoint)
    expected = Point(sk13_0lu["longitude"], sk13_0lu["latitude"])
    assert centres["location_source"].tolist() == ["postcode"] * 3
    for point in centres.geometry:
        assert distance_m(point, expected) < 5.0
    # The postcode column is kept as written.
    assert centres.loc["c", "postcode"].strip() == "Sk13  0Lu"


def test_normalise_postcode() -> None:
    assert {normalise_postcode(p) for p in ("sk13 0lu", "SK130LU", " Sk13  0Lu ")} == {"SK130LU"}
    assert normalise_postcode(None) == ""
    assert normalise_postcode(float("nan")) == ""


def test_headerless_codepoint_file() -> None:
    found = geocode_postcodes(["zz1 1aa", "ZZ11AB"], postcodes=DATA / "codepoint_headerless.csv")
    to_wgs = Transformer.from_crs(27700, 4326, always_xy=True)
    assert found["ZZ11AA"] == pytest.approx(to_wgs.transform(435000, 360000))
    assert found["ZZ11AB"] == pytest.approx(to_wgs.transform(402000, 394000))
    table = pd.DataFrame({"name": ["Somewhere"], "postcode": ["ZZ1 1AA"]})
    centres = load_centres(table, postcodes=DATA / "codepoint_headerless.csv")
    assert centres.geometry.iloc[0].x == pytest.approx(found["ZZ11AA"][0])


def test_onspd_style_file_with_header() -> None:
    path = DATA / "onspd_style.csv"
    found = geocode_postcodes(["ZZ1 1AA"], postcodes=path)
    to_wgs = Transformer.from_crs(27700, 4326, always_xy=True)
    assert found["ZZ11AA"] == pytest.approx(to_wgs.transform(435000, 360000))


@pytest.mark.parametrize(
    "name, code", [("onspd_style.csv", "ZZ1 1AB"), ("codepoint_headerless.csv", "ZZ1 1AC")]
)
def test_postcodes_without_grid_reference_are_unknown(name: str, code: str) -> None:
    with pytest.raises(UnknownPostcodeError, match=code):
        geocode_postcodes([code], postcodes=DATA / name)


def test_missing_postcode_file_is_reported() -> None:
    with pytest.raises(DataNotFoundError, match=r"no-such-file\.csv"):
        geocode_postcodes(["SK13 0LU"], postcodes=DATA / "no-such-file.csv")


# --- postcodes.io on a local server ----------------------------------------------------------

KNOWN_ONLINE = {"SK130LU": (-1.98496, 53.44836), "DE43AG": (-1.55487, 53.13743)}


class _PostcodesServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(_PostcodesIO)
        self.calls: list[tuple[str, Any]] = []  # (path, JSON body) of every request


class _PostcodesIO(Handler):
    """Just enough of postcodes.io: ``POST /postcodes`` bulk look-up."""

    server: _PostcodesServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append((self.path, body))
        if self.path != "/postcodes":
            self.send_error(404)
            return
        results: list[dict[str, Any]] = []
        for query in body["postcodes"]:
            key = re.sub(r"\s+", "", query).upper()
            found = KNOWN_ONLINE.get(key)
            result = (
                None
                if found is None
                else {
                    "postcode": f"{key[:-3]} {key[-3:]}",
                    "quality": 1,
                    "longitude": found[0],
                    "latitude": found[1],
                    "country": "England",
                }
            )
            results.append({"query": query, "result": result})
        payload = json.dumps({"status": 200, "result": results}).encode()
        self.reply(payload, content_type="application/json")


@pytest.fixture
def postcodes_io(serve: Serve) -> tuple[str, list[Any]]:
    """postcodes.io on 127.0.0.1: its URL, and the (path, body) of every request made to it."""
    server = serve(_PostcodesServer())
    return server.url, server.calls


def test_postcodes_io_bulk_lookup(postcodes_io: tuple[str, list[Any]]) -> None:
    url, calls = postcodes_io
    table = pd.DataFrame({"name": ["Gamesley", "Matlock"], "postcode": ["sk13 0lu", "DE4 3AG"]})
    centres = load_centres(table, online=True, postcodes_io_url=url)
    assert len(calls) == 1
    path, body = calls[0]
    assert path == "/postcodes"
    assert sorted(normalise_postcode(p) for p in body["postcodes"]) == ["DE43AG", "SK130LU"]
    assert centres.loc["gamesley"].geometry.x == pytest.approx(KNOWN_ONLINE["SK130LU"][0])
    assert centres.loc["matlock"].geometry.y == pytest.approx(KNOWN_ONLINE["DE43AG"][1])
    assert centres["location_source"].tolist() == ["postcode", "postcode"]


def test_postcodes_io_unknown_postcode(postcodes_io: tuple[str, list[Any]]) -> None:
    url, _ = postcodes_io
    table = pd.DataFrame({"name": ["Gamesley", "Nowhere"], "postcode": ["SK13 0LU", "ZZ99 9ZZ"]})
    with pytest.raises(UnknownPostcodeError) as info:
        load_centres(table, online=True, postcodes_io_url=url)
    message = str(info.value)
    assert "ZZ99 9ZZ" in message and "row 3" in message and "column 'postcode'" in message
    assert "postcodes.io" in message


def test_postcodes_go_online_only_when_asked(postcodes_io: tuple[str, list[Any]]) -> None:
    url, calls = postcodes_io
    table = pd.DataFrame({"name": ["Gamesley"], "postcode": ["SK13 0LU"]})
    with pytest.raises(UnknownPostcodeError, match=r"postcodes=PATH|online=True"):
        load_centres(table, postcodes_io_url=url)
    # Rows that already have coordinates need no look-up at all.
    located = pd.DataFrame(
        {"name": ["Gamesley"], "lat": [53.4484], "lon": [-1.985], "postcode": ["SK13 0LU"]}
    )
    assert load_centres(located, postcodes_io_url=url)["location_source"].tolist() == ["latlon"]
    assert calls == []


def test_postcodes_io_down_is_a_download_error() -> None:
    table = pd.DataFrame({"name": ["Gamesley"], "postcode": ["SK13 0LU"]})
    with pytest.raises(DownloadError, match="postcodes=PATH") as info:
        load_centres(table, online=True, postcodes_io_url="http://127.0.0.1:9")
    assert isinstance(info.value, OSError)


# --- several sources ------------------------------------------------------------------------


def test_sources_that_agree_are_accepted(codepoint: Path) -> None:
    centres = load_centres(DATA / "centres_sources_agree.csv", postcodes=codepoint)
    assert centres["location_source"].tolist() == ["latlon"]  # the first source is used
    assert centres.geometry.iloc[0].y == pytest.approx(53.4484)


def test_sources_that_disagree_are_reported(codepoint: Path) -> None:
    path = DATA / "centres_sources_disagree.csv"
    with pytest.raises(InvalidCoordinateError) as info:
        load_centres(path, postcodes=codepoint)
    message = str(info.value)
    assert "centres_sources_disagree.csv" in message
    assert "row 3" in message and "'gamesley'" in message
    assert "'lat'/'lon'" in message and "'postcode'" in message
    assert re.search(r"\d+\.\d km apart", message)
    assert "row 2" not in message  # Matlock has a single source: nothing to compare


def test_easting_northing_disagreeing_with_lat_lon() -> None:
    # 437500/371500 is near Chesterfield, 30 km from Matlock's lat/lon.
    table = pd.DataFrame(
        {
            "name": ["Matlock"],
            "lat": [53.138],
            "lon": [-1.556],
            "easting": [437500],
            "northing": [371500],
        }
    )
    with pytest.raises(InvalidCoordinateError, match=r"row 2 .*'easting'/'northing'"):
        load_centres(table)


@pytest.mark.parametrize(
    "location, source, latitude",
    [("postcode", "postcode", 53.448), ("latlon", "latlon", 53.138)],
)
def test_location_forces_one_source(
    codepoint: Path, location: Any, source: str, latitude: float
) -> None:
    # Gamesley's lat/lon here are Matlock's, 37 km from its postcode: forcing one source skips
    # the agreement check.
    table = pd.DataFrame(
        {"name": ["Gamesley"], "lat": [53.138], "lon": [-1.556], "postcode": ["SK13 0LU"]}
    )
    centres = load_centres(table, postcodes=codepoint, location=location)
    gamesley = centres.loc["gamesley"]
    assert gamesley["location_source"] == source
    assert gamesley.geometry.y == pytest.approx(latitude, abs=2e-3)


def test_forcing_postcode_with_an_empty_postcode_names_the_row(codepoint: Path) -> None:
    table = pd.DataFrame(
        {
            "name": ["Matlock", "Gamesley"],
            "lat": [53.138, 53.448],
            "lon": [-1.556, -1.985],
            "postcode": ["", "SK13 0LU"],
        }
    )
    with pytest.raises(InvalidCoordinateError, match=r"row 2 \(centre 'matlock'\).*'postcode'"):
        load_centres(table, postcodes=codepoint, location="postcode")


def test_forcing_an_absent_source_is_a_missing_column() -> None:
    table = pd.DataFrame({"name": ["Matlock"], "lat": [53.138], "lon": [-1.556]})
    with pytest.raises(MissingColumnError, match="location='en'"):
        load_centres(table, location="en")


def test_rows_fall_back_to_the_next_source(codepoint: Path) -> None:
    table = pd.DataFrame(
        {
            "name": ["Matlock", "Gamesley"],
            "lat": [53.138, None],
            "lon": [-1.556, None],
            "postcode": [None, "SK13 0LU"],
        }
    )
    centres = load_centres(table, postcodes=codepoint)
    assert centres["location_source"].tolist() == ["latlon", "postcode"]


# ---------------------------------------------------------------------------------------------
# ids, names and other columns
# ---------------------------------------------------------------------------------------------


def test_ids_from_id_column_or_name() -> None:
    with_id = pd.DataFrame(
        {
            "id": ["A1", "B2"],
            "name": ["Matlock", "Glossop"],
            "lat": [53.1, 53.4],
            "lon": [-1.5, -1.9],
        }
    )
    assert list(load_centres(with_id).index) == ["A1", "B2"]
    from_name = with_id.drop(columns="id").assign(name=["Matlock Children's Centre", "Glossop"])
    centres = load_centres(from_name)
    assert list(centres.index) == ["matlock-childrens-centre", "glossop"]
    assert centres.loc["glossop", "name"] == "Glossop"


def test_duplicate_ids_derived_from_names() -> None:
    table = pd.DataFrame(
        {"name": ["Long Eaton", "Long-Eaton"], "lat": [52.9, 52.9], "lon": [-1.27, -1.27]}
    )
    with pytest.raises(DuplicateIdError) as info:
        load_centres(table)
    message = str(info.value)
    assert "row 3, column 'name'" in message and "'long-eaton'" in message
    assert "derived from the name" in message and "row 2" in message


def test_ids_keep_leading_zeros(tmp_path: Path) -> None:
    path = tmp_path / "centres.csv"
    path.write_text(
        "centre_id,name,lat,lon\n007,Matlock,53.138,-1.556\n010,Glossop,53.444,-1.949\n",
        encoding="utf-8",
    )
    centres = load_centres(path)
    assert list(centres.index) == ["007", "010"]
    assert centres["lat"].dtype.kind == "f"  # other columns keep their types
    # Whole-number ids that a workbook stores as floats lose their ".0".
    table = pd.DataFrame(
        {"id": [1.0, 2.0], "name": ["A", "B"], "lat": [53.1, 53.2], "lon": [-1.5, -1.4]}
    )
    assert list(load_centres(table).index) == ["1", "2"]


def test_slugify() -> None:
    assert slugify("Alice’s View Children’s Centre") == "alices-view-childrens-centre"
    assert slugify("Crèche  Belper!") == "creche-belper"


def test_other_columns_kept_as_they_are(project_root: Path) -> None:
    centres = load_centres(project_root / "data" / "derbyshire_childrens_centres_2024.csv")
    raw = pd.read_csv(project_root / "data" / "derbyshire_childrens_centres_2024.csv")
    for column in (
        "name",
        "status_2024",
        "district",
        "location_quality",
        "settlement",
        "lat",
        "lon",
    ):
        assert centres[column].tolist() == raw[column].tolist(), column
    assert centres.index.name == "centre_id"
    assert centres.index.tolist() == raw["centre_id"].tolist()
    assert set(centres["location_source"]) == {"latlon"}


# ---------------------------------------------------------------------------------------------
# broken inputs: error type, built-in type, and a message naming file, row and column
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, error, builtin, parts",
    [
        (
            "centres_missing_coordinates.csv",
            InvalidCoordinateError,
            ValueError,
            ["row 3", "'lat'/'lon'", "'glossop'"],
        ),
        (
            "centres_non_numeric.csv",
            InvalidCoordinateError,
            ValueError,
            ["row 4", "column 'lat'", "'53 N'", "not a number"],
        ),
        (
            "centres_swapped.csv",
            InvalidCoordinateError,
            ValueError,
            ["row 3", "'lat'/'lon'", "swapped"],
        ),
        (
            "centres_outside_gb.csv",
            InvalidCoordinateError,
            ValueError,
            ["row 3", "'lat'/'lon'", "outside Great Britain"],
        ),
        (
            "centres_duplicate_ids.csv",
            DuplicateIdError,
            ValueError,
            ["row 4, column 'centre_id'", "'matlock'", "row 2"],
        ),
        ("centres_empty.csv", EmptyFileError, ValueError, ["empty"]),
        ("centres_header_only.csv", EmptyFileError, ValueError, ["no data rows"]),
        ("centres_utf16.csv", EncodingError, UnicodeError, ["UTF-8", "CSV UTF-8"]),
        (
            "centres_no_location.csv",
            MissingColumnError,
            KeyError,
            ["no location columns", "'lat'", "'postcode'", "'town'"],
        ),
    ],
)
def test_broken_centres_files(
    name: str, error: type[Exception], builtin: type[Exception], parts: list[str]
) -> None:
    with pytest.raises(error) as info:
        load_centres(DATA / name)
    assert isinstance(info.value, builtin)
    assert isinstance(info.value, CentrereachError)
    message = str(info.value)
    assert f"'{DATA / name}'" in message  # the file, quoted
    for part in parts:
        assert part in message, (part, message)


def test_unknown_postcode_names_file_row_and_column(codepoint: Path) -> None:
    with pytest.raises(UnknownPostcodeError) as info:
        load_centres(DATA / "centres_unknown_postcode.csv", postcodes=codepoint)
    assert isinstance(info.value, LookupError)
    message = str(info.value)
    assert "centres_unknown_postcode.csv" in message
    assert "'ZZ99 9ZZ' (row 3)" in message
    assert "column 'postcode'" in message
    assert "SK13 0LU" not in message  # the known one is not reported


def test_cp1252_undecodable_byte_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "centres.csv"
    path.write_bytes(b"name,lat,lon\nMatlock,53.138,-1.556\nGl\x81ossop,53.444,-1.949\n")
    with pytest.raises(EncodingError, match=r"centres.csv', row 3: .*0x81"):
        load_centres(path)


def test_missing_file() -> None:
    with pytest.raises(DataNotFoundError, match=r"nothing-here\.csv"):
        load_centres(DATA / "nothing-here.csv")


def test_only_one_of_lat_lon_is_a_missing_column() -> None:
    table = pd.DataFrame({"name": ["Matlock"], "lat": [53.138]})
    with pytest.raises(MissingColumnError, match="'lat' is present but 'lon' is missing"):
        load_centres(table)


def test_half_a_coordinate_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "centres.csv"
    path.write_text("name,lat,lon\nMatlock,53.138,-1.556\nGlossop,53.444,\n", encoding="utf-8")
    with pytest.raises(InvalidCoordinateError, match=r"row 3, column 'lon'"):
        load_centres(path)


def test_easting_northing_outside_the_grid(tmp_path: Path) -> None:
    path = tmp_path / "centres.csv"
    path.write_text("name,easting,northing\nMatlock,53.138,-1.556\n", encoding="utf-8")
    with pytest.raises(InvalidCoordinateError, match=r"row 2, columns 'easting'/'northing'.*lat"):
        load_centres(path)


def test_empty_id_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "centres.csv"
    path.write_text(
        "centre_id,name,lat,lon\nm,Matlock,53.1,-1.5\n,Glossop,53.4,-1.9\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"row 3, column 'centre_id'"):
        load_centres(path)


# ---------------------------------------------------------------------------------------------
# study area
# ---------------------------------------------------------------------------------------------


def test_points_outside_the_study_area_warn_and_are_kept() -> None:
    table = pd.DataFrame(
        {
            "name": ["Matlock", "Glossop", "Long Eaton"],
            "lat": [53.138, 53.444, 52.899],
            "lon": [-1.556, -1.949, -1.271],
        }
    )
    area = box(-1.7, 52.95, -1.2, 53.3)  # Matlock only
    with pytest.warns(OutsideStudyAreaWarning) as record:
        centres = load_centres(table, study_area=area)
    assert len(centres) == 3
    message = str(record[0].message)
    assert "'glossop'" in message and "'long-eaton'" in message and "'matlock'" not in message
    # All inside: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutsideStudyAreaWarning)
        load_centres(table.iloc[:1], study_area=area)


# ---------------------------------------------------------------------------------------------
# the real Derbyshire centres
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def centres_2024() -> gpd.GeoDataFrame:
    return load_centres(CENTRES_2024)


def test_real_centres_count_and_status(centres_2024: gpd.GeoDataFrame) -> None:
    assert len(centres_2024) == 22
    assert centres_2024.index.is_unique
    counts = centres_2024["status_2024"].value_counts().to_dict()
    assert counts == {"closing": 10, "retained": 12}
    closing = set(centres_2024.index[centres_2024["status_2024"] == "closing"])
    assert closing == CLOSING_2024


def test_real_centres_inside_derbyshire(centres_2024: gpd.GeoDataFrame, shared_data: Path) -> None:
    counties = gpd.read_file(shared_data / "ons" / "utla21_buc_uk.geojson")
    derbyshire = counties.loc[counties["utla21_code"] == "E10000007"].set_crs(
        4326, allow_override=True
    )
    assert len(derbyshire) == 1
    # Locations are approximate (about 1 km) and the boundary is ultra-generalised: 2 km buffer.
    shape = derbyshire.to_crs(27700).buffer(2_000).union_all()
    points = centres_2024.to_crs(27700).geometry
    outside = points.index[~points.within(shape)].tolist()
    assert outside == []
    # ... and none is absurdly far inside another authority: all within 5 km of the county edge.
    assert np.all(points.distance(derbyshire.to_crs(27700).union_all()) < 5_000)


def test_real_centres_in_the_study_area_warning(
    centres_2024: gpd.GeoDataFrame, shared_data: Path
) -> None:
    counties = gpd.read_file(shared_data / "ons" / "utla21_buc_uk.geojson")
    derbyshire = counties.loc[counties["utla21_code"] == "E10000007"]
    far_away = counties.loc[counties["utla21_code"] == "E06000001"]  # Hartlepool
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideStudyAreaWarning)
        load_centres(CENTRES_2024, study_area=derbyshire)
    with pytest.warns(OutsideStudyAreaWarning, match="22 centre"):
        load_centres(CENTRES_2024, study_area=far_away)
