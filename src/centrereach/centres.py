"""Load and validate centre locations (coordinates, British National Grid, or postcodes).

A centres file is a table with one row per centre: a name, an optional id, a location and any
other columns the planner keeps (status, district, opening hours...). The location may be given as

* ``lat``/``lon`` (also ``latitude``/``longitude``, ``lng``/``long``), WGS84 degrees;
* ``easting``/``northing`` (also ``eastings``/``northings``), British National Grid
  (EPSG:27700) metres;
* ``postcode``, geocoded from an OS Code-Point Open or ONS Postcode Directory file, or online
  from postcodes.io when the caller asks for it;
* a point geometry (GeoJSON, GeoPackage).

Each row uses the first source it has, in the order above (or the one named by ``location=``);
the output column ``location_source`` says which. When a row has several sources they must agree
within 1 km, or the row is reported.
"""

from __future__ import annotations

import csv
import gzip
import logging
import os
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from centrereach._geo import BRITISH_NATIONAL_GRID, WGS84
from centrereach._sniff import content_problem
from centrereach._tables import find_column, normalise_name, parse_numbers, read_table, row_label
from centrereach.errors import (
    DataFormatError,
    DataNotFoundError,
    DownloadError,
    DuplicateIdError,
    InvalidCoordinateError,
    MissingColumnError,
    OutsideStudyAreaWarning,
    UnknownPostcodeError,
)

__all__ = [
    "GB_BOUNDS_EN",
    "GB_BOUNDS_LONLAT",
    "Location",
    "geocode_postcodes",
    "load_centres",
    "normalise_postcode",
    "slugify",
]

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

Area: TypeAlias = "BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries"
"""A study area: a shapely geometry, or a GeoDataFrame/GeoSeries whose union is the area."""

Location = Literal["latlon", "en", "postcode", "geometry"]
LOCATION_ORDER: tuple[Location, ...] = ("latlon", "en", "postcode", "geometry")

#: Great Britain (with its islands) in WGS84: (min lon, min lat, max lon, max lat), degrees.
GB_BOUNDS_LONLAT = (-8.75, 49.8, 1.85, 60.95)
#: Great Britain in British National Grid: (min E, min N, max E, max N), metres.
GB_BOUNDS_EN = (0.0, 0.0, 700_000.0, 1_300_000.0)
#: Two location sources of one row must agree within this distance (metres).
AGREEMENT_M = 1_000.0

_LAT = ("lat", "latitude", "y_lat")
_LON = ("lon", "lng", "long", "longitude", "x_lon")
_EAST = ("easting", "eastings", "x_bng", "oseast1m", "os_easting")
_NORTH = ("northing", "northings", "y_bng", "osnrth1m", "os_northing")
_POSTCODE = ("postcode", "post_code", "postal_code", "pcds", "pcd", "pcd2")
_ID = ("centre_id", "center_id", "id", "site_id")
_NAME = ("name", "centre_name", "center_name", "site_name", "centre")

POSTCODES_IO_URL = "https://api.postcodes.io"


def slugify(text: str) -> str:
    """Make a short lower-case id from a name.

    >>> slugify("Alice's View Children's Centre")
    'alices-view-childrens-centre'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['’`]", "", ascii_text.lower())
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def normalise_postcode(postcode: object) -> str:
    """Upper-case a postcode and remove all spaces (the key used for look-ups).

    >>> normalise_postcode(" sk13 0lu ")
    'SK130LU'
    """
    if postcode is None or (isinstance(postcode, float) and np.isnan(postcode)):
        return ""
    return re.sub(r"\s+", "", str(postcode)).upper()


def load_centres(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    location: Location | None = None,
    postcodes: str | os.PathLike[str] | None = None,
    online: bool = False,
    postcodes_io_url: str = POSTCODES_IO_URL,
    id_column: str | None = None,
    name_column: str | None = None,
    sheet: str | int | None = None,
    study_area: Area | None = None,
) -> gpd.GeoDataFrame:
    """Load centre locations into a GeoDataFrame (EPSG:4326), indexed by a unique centre id.

    Parameters
    ----------
    source
        Path to a CSV (UTF-8, UTF-8 with BOM, or Windows-1252), XLSX, GeoJSON or GeoPackage
        file, or a data frame.
    location
        Which location source to use: ``"latlon"``, ``"en"`` (British National Grid easting and
        northing, metres), ``"postcode"`` or ``"geometry"``. ``None`` (default) uses, row by
        row, the first one present in that order, and checks that any others agree within 1 km.
    postcodes
        An OS Code-Point Open or ONS Postcode Directory (ONSPD) file used to geocode the
        ``postcode`` column (CSV, optionally gzipped; with or without a header row).
    online
        Look postcodes up on postcodes.io when no ``postcodes`` file is given (needs internet).
    postcodes_io_url
        Base URL of the postcodes.io API (for a mirror or a test server).
    id_column, name_column
        Columns holding the id and the name; by default ``centre_id``/``id`` and ``name``. When
        there is no id column the id is derived from the name (``"Matlock Children's Centre"`` ->
        ``"matlock-childrens-centre"``).
    sheet
        The sheet of an XLSX workbook (default: the first with data).
    study_area
        A shapely geometry or GeoDataFrame in EPSG:4326; centres outside it are kept, with an
        :class:`~centrereach.errors.OutsideStudyAreaWarning` that lists them.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per centre, index ``centre_id``; ``name``, every other column of the file as it
        was, ``location_source`` (which source gave the point) and a point ``geometry`` in
        EPSG:4326 (lon/lat degrees).

    Raises
    ------
    centrereach.errors.MissingColumnError
        No name/id column, or no location column.
    centrereach.errors.InvalidCoordinateError
        Missing, non-numeric, swapped or out-of-Britain coordinates, or sources that disagree.
    centrereach.errors.DuplicateIdError
        Two rows with the same id.
    centrereach.errors.UnknownPostcodeError
        A postcode that the postcode file does not hold.
    centrereach.errors.EmptyFileError, centrereach.errors.EncodingError
        An empty file, or text in an encoding other than UTF-8 or Windows-1252.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"name": ["Matlock", "Glossop"], "lat": [53.138, 53.444],
    ...                       "lon": [-1.556, -1.949]})
    >>> centres = load_centres(table)
    >>> list(centres.index), centres.crs.to_epsg()
    (['matlock', 'glossop'], 4326)
    """
    import geopandas as gpd

    where = f"'{source}'" if not isinstance(source, pd.DataFrame) else "the centres table"
    text_columns = {*_ID, *_NAME, *_POSTCODE}
    if id_column:
        text_columns.add(normalise_name(id_column))
    if name_column:
        text_columns.add(normalise_name(name_column))
    frame = read_table(
        source,
        sheet=sheet,
        what="centres file",
        sheet_has=_looks_like_centres,
        text_columns=text_columns,
    )
    geometry = None
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry
        if geometry.crs is None and len(geometry):
            # No CRS: coordinates beyond +/-180/90 can only be British National Grid metres.
            _, _, max_x, max_y = geometry.total_bounds
            inside_lonlat = abs(max_x) <= 180 and abs(max_y) <= 90
            geometry = geometry.set_crs(WGS84 if inside_lonlat else BRITISH_NATIONAL_GRID)
        geometry = geometry.to_crs(WGS84)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    frame = _strip_text(frame.reset_index(drop=True))

    ids, id_col, frame = _centre_ids(
        frame, where=where, id_column=id_column, name_column=name_column
    )
    points, sources = _locate(
        frame,
        where=where,
        ids=ids,
        geometry=geometry,
        location=location,
        postcodes=postcodes,
        online=online,
        postcodes_io_url=postcodes_io_url,
    )
    out = frame.drop(columns=[id_col]) if id_col is not None else frame.copy()
    out.index = pd.Index(ids, name="centre_id")
    out["location_source"] = sources
    result = gpd.GeoDataFrame(
        out, geometry=gpd.points_from_xy(points[:, 0], points[:, 1]), crs=WGS84
    )
    result.attrs["source"] = where  # the file, for messages about its columns (scenarios)
    if study_area is not None:
        _warn_outside(result, study_area)
    return result


def _strip_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells without leading or trailing spaces; cells left empty become missing.

    A status typed ``"retained "`` must select the centre as ``"retained"`` does (scenario
    conditions compare exact values).
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            stripped = values.map(lambda v: v.strip() if isinstance(v, str) else v)
            out[column] = stripped.map(lambda v: None if isinstance(v, str) and not v else v)
    return out


def _looks_like_centres(frame: pd.DataFrame) -> bool:
    """Whether a workbook sheet has a name/id column and a location column."""
    columns = {normalise_name(c) for c in frame.columns}
    has_key = bool(columns & {*_ID, *_NAME})
    has_location = bool(columns & {*_LAT, *_EAST, *_POSTCODE})
    return has_key and has_location


def _id_text(value: object) -> str:
    """An id as text; whole numbers a workbook stored as floats lose their ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _pretty_postcode(code: str) -> str:
    """Write a normalised postcode with its single space (``'SK130LU'`` -> ``'SK13 0LU'``)."""
    return f"{code[:-3]} {code[-3:]}" if len(code) > 4 else code


def _centre_ids(
    frame: pd.DataFrame, *, where: str, id_column: str | None, name_column: str | None
) -> tuple[list[str], str | None, pd.DataFrame]:
    id_col = find_column(
        frame,
        [normalise_name(id_column)] if id_column else _ID,
        path=where,
        what="id",
        required=id_column is not None,
    )
    name_col = find_column(
        frame,
        [normalise_name(name_column)] if name_column else _NAME,
        path=where,
        what="name",
        required=False,
    )
    if name_col is None and id_col is None:
        names = ", ".join(f"'{c}'" for c in frame.columns)
        msg = (
            f"{where}: no 'name' or 'centre_id' column, so the centres cannot be told apart. "
            f"Add a 'name' column (and optionally 'centre_id'); the file has {names}."
        )
        raise MissingColumnError(msg)
    if name_col is not None and name_col != "name":
        frame = frame.rename(columns={name_col: "name"})
        name_col = "name"
    if id_col is not None:
        raw = frame[id_col]
        blank = raw.isna() | (raw.astype(str).str.strip() == "")
        if blank.any():
            pos = int(np.flatnonzero(blank.to_numpy())[0])
            msg = (
                f"{where}, row {row_label(pos)}, column '{id_col}': the centre id is empty. "
                "Give every centre an id, or remove the column to derive ids from names."
            )
            raise DataFormatError(msg)
        ids = [_id_text(v) for v in raw]
        source_col, derived = id_col, ""
    else:
        assert name_col is not None
        names_series = frame[name_col]
        blank = names_series.isna() | (names_series.astype(str).str.strip() == "")
        if blank.any():
            pos = int(np.flatnonzero(blank.to_numpy())[0])
            msg = f"{where}, row {row_label(pos)}, column '{name_col}': the centre name is empty."
            raise DataFormatError(msg)
        ids = [slugify(str(v)) for v in names_series]
        source_col, derived = name_col, " (derived from the name)"
    seen: dict[str, int] = {}
    duplicates: list[tuple[int, int, str]] = []
    for pos, centre_id in enumerate(ids):
        if centre_id in seen:
            duplicates.append((row_label(pos), row_label(seen[centre_id]), centre_id))
        else:
            seen[centre_id] = pos
    if duplicates:
        row, first, centre_id = duplicates[0]
        others = "".join(f"; '{c}' on rows {f} and {r}" for r, f, c in duplicates[1:])
        also = f" Also{others[1:]}." if others else ""
        msg = (
            f"{where}, row {row}, column '{source_col}': centre id '{centre_id}'{derived} is "
            f"already used on row {first}.{also} Each centre needs a unique id; add or correct "
            "a 'centre_id' column."
        )
        raise DuplicateIdError(msg)
    return ids, id_col, frame


def _numeric(frame: pd.DataFrame, column: str, *, where: str) -> np.ndarray:
    try:
        values = parse_numbers(frame[column], where=where, column=column)
    except DataFormatError as exc:
        msg = f"{exc} Coordinates are plain decimal numbers (e.g. 53.138)."
        raise InvalidCoordinateError(msg) from exc
    numbers: np.ndarray = values.to_numpy(dtype=float)
    return numbers


def _locate(
    frame: pd.DataFrame,
    *,
    where: str,
    ids: list[str],
    geometry: gpd.GeoSeries | None,
    location: Location | None,
    postcodes: str | os.PathLike[str] | None,
    online: bool,
    postcodes_io_url: str,
) -> tuple[np.ndarray, list[str]]:
    from pyproj import Transformer

    n = len(frame)
    candidates: dict[Location, np.ndarray] = {}
    columns: dict[Location, str] = {}

    lat_col, lon_col = _column_pair(frame, (_LAT, "lat"), (_LON, "lon"), where=where)
    if lat_col and lon_col:
        lat = _numeric(frame, lat_col, where=where)
        lon = _numeric(frame, lon_col, where=where)
        _check_lonlat(lon, lat, where=where, ids=ids, lat_col=lat_col, lon_col=lon_col)
        candidates["latlon"] = np.column_stack([lon, lat])
        columns["latlon"] = f"'{lat_col}'/'{lon_col}'"

    e_col, n_col = _column_pair(frame, (_EAST, "easting"), (_NORTH, "northing"), where=where)
    if e_col and n_col:
        east = _numeric(frame, e_col, where=where)
        north = _numeric(frame, n_col, where=where)
        _check_en(east, north, where=where, e_col=e_col, n_col=n_col)
        to_wgs = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
        lon_en, lat_en = to_wgs.transform(east, north)
        candidates["en"] = np.column_stack([lon_en, lat_en])
        columns["en"] = f"'{e_col}'/'{n_col}'"

    pc_col = find_column(frame, _POSTCODE, path=where, what="postcode", required=False)
    if pc_col is not None:
        codes = [normalise_postcode(v) for v in frame[pc_col]]
        wanted = location == "postcode" or any(
            c and not _has_point(candidates, i) for i, c in enumerate(codes)
        )
        if location in (None, "postcode") and (wanted or postcodes is not None):
            found = geocode_postcodes(
                [c for c in codes if c],
                postcodes=postcodes,
                online=online,
                postcodes_io_url=postcodes_io_url,
                where=where,
                column=pc_col,
                frame_codes=codes,
            )
            pts = np.full((n, 2), np.nan)
            for i, code in enumerate(codes):
                if code:
                    pts[i] = found[code]
            candidates["postcode"] = pts
            columns["postcode"] = f"'{pc_col}'"

    if geometry is not None:
        geo = np.full((n, 2), np.nan)
        for i, geom in enumerate(geometry):
            if geom is not None and not geom.is_empty:
                point = geom if geom.geom_type == "Point" else geom.representative_point()
                geo[i] = (point.x, point.y)
        _check_lonlat(
            geo[:, 0], geo[:, 1], where=where, ids=ids, lat_col="geometry", lon_col="geometry"
        )
        candidates["geometry"] = geo
        columns["geometry"] = "geometry"

    if not candidates:
        names = ", ".join(f"'{c}'" for c in frame.columns)
        msg = (
            f"{where}: no location columns. Give 'lat' and 'lon' (WGS84 degrees), 'easting' and "
            f"'northing' (British National Grid metres), or 'postcode'; the file has {names}."
        )
        raise MissingColumnError(msg)
    if location is not None and location not in candidates:
        allowed = ", ".join(f"'{k}'" for k in candidates)
        msg = f"{where}: location={location!r} was asked for but the file only has {allowed}."
        raise MissingColumnError(msg)

    order: tuple[Location, ...] = (location,) if location is not None else LOCATION_ORDER
    points = np.full((n, 2), np.nan)
    sources: list[str] = [""] * n
    for i in range(n):
        for kind in order:
            if kind in candidates and not np.isnan(candidates[kind][i]).any():
                points[i] = candidates[kind][i]
                sources[i] = kind
                break
        if not sources[i]:
            given = " or ".join(columns[k] for k in order if k in columns)
            msg = (
                f"{where}, row {row_label(i)} (centre '{ids[i]}'): no location: {given} "
                "empty. Fill in the coordinates or a postcode."
            )
            raise InvalidCoordinateError(msg)
    if location is None and len(candidates) > 1:
        _check_agreement(candidates, columns, points, sources, where=where, ids=ids)
    return points, sources


def _column_pair(
    frame: pd.DataFrame,
    first: tuple[tuple[str, ...], str],
    second: tuple[tuple[str, ...], str],
    *,
    where: str,
) -> tuple[str | None, str | None]:
    """Find two columns that only make sense together (lat/lon, easting/northing)."""
    a = find_column(frame, first[0], path=where, what=first[1], required=False)
    b = find_column(frame, second[0], path=where, what=second[1], required=False)
    if (a is None) != (b is None):
        present, missing = (a, second[1]) if a else (b, first[1])
        msg = f"{where}: column '{present}' is present but '{missing}' is missing; give both."
        raise MissingColumnError(msg)
    return a, b


def _has_point(candidates: Mapping[Location, np.ndarray], i: int) -> bool:
    return any(not np.isnan(pts[i]).any() for pts in candidates.values())


def _check_lonlat(
    lon: np.ndarray, lat: np.ndarray, *, where: str, ids: list[str], lat_col: str, lon_col: str
) -> None:
    min_lon, min_lat, max_lon, max_lat = GB_BOUNDS_LONLAT
    if lat_col == lon_col:  # a geometry column
        label = f"column '{lat_col}'"
        check = "Check the file's coordinate reference system (CRS)."
    else:
        label = f"columns '{lat_col}'/'{lon_col}'"
        check = "Check the coordinates are WGS84 degrees."
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        if np.isnan(x) and np.isnan(y):
            continue
        if np.isnan(x) or np.isnan(y):
            col = lon_col if np.isnan(x) else lat_col
            msg = (
                f"{where}, row {row_label(i)}, column '{col}' (centre '{ids[i]}'): the value is "
                f"missing while '{lat_col if col == lon_col else lon_col}' is given. Give both."
            )
            raise InvalidCoordinateError(msg)
        inside = min_lon <= x <= max_lon and min_lat <= y <= max_lat
        if inside:
            continue
        swapped = min_lon <= y <= max_lon and min_lat <= x <= max_lat
        if swapped:
            msg = (
                f"{where}, row {row_label(i)}, {label} (centre '{ids[i]}'): "
                f"latitude {y} and longitude {x} look swapped (Great Britain is at latitude "
                "49.8 to 61 and longitude -8.8 to 1.9). Swap the two values."
            )
        else:
            msg = (
                f"{where}, row {row_label(i)}, {label} (centre '{ids[i]}'): "
                f"({y}, {x}) is outside Great Britain (latitude 49.8 to 61, longitude -8.8 to "
                f"1.9). {check}"
            )
        raise InvalidCoordinateError(msg)


def _check_en(east: np.ndarray, north: np.ndarray, *, where: str, e_col: str, n_col: str) -> None:
    min_e, min_n, max_e, max_n = GB_BOUNDS_EN
    for i, (x, y) in enumerate(zip(east, north, strict=True)):
        if np.isnan(x) and np.isnan(y):
            continue
        if np.isnan(x) or np.isnan(y):
            col = e_col if np.isnan(x) else n_col
            msg = f"{where}, row {row_label(i)}, column '{col}': the value is missing. Give both."
            raise InvalidCoordinateError(msg)
        if not (min_e <= x <= max_e and min_n <= y <= max_n):
            hint = (
                " They look like latitude/longitude: put them in 'lat' and 'lon' columns."
                if abs(x) <= 90 and abs(y) <= 180
                else ""
            )
            msg = (
                f"{where}, row {row_label(i)}, columns '{e_col}'/'{n_col}': ({x}, {y}) is outside "
                "British National Grid for Great Britain (easting 0 to 700,000 m, northing 0 to "
                f"1,300,000 m).{hint}"
            )
            raise InvalidCoordinateError(msg)


def _check_agreement(
    candidates: Mapping[Location, np.ndarray],
    columns: Mapping[Location, str],
    points: np.ndarray,
    sources: list[str],
    *,
    where: str,
    ids: list[str],
) -> None:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    problems: list[str] = []
    for i in range(len(points)):
        for kind, pts in candidates.items():
            if kind == sources[i] or np.isnan(pts[i]).any():
                continue
            _, _, dist = geod.inv(points[i, 0], points[i, 1], pts[i, 0], pts[i, 1])
            if dist > AGREEMENT_M:
                problems.append(
                    f"row {row_label(i)} (centre '{ids[i]}'): {columns[sources[i]]} and "  # type: ignore[index]
                    f"{columns[kind]} are {dist / 1000:.1f} km apart"
                )
    if problems:
        msg = (
            f"{where}: location columns disagree by more than {AGREEMENT_M / 1000:.0f} km: "
            + "; ".join(problems)
            + ". Correct the wrong one, or choose one with location='latlon', 'en' or 'postcode'."
        )
        raise InvalidCoordinateError(msg)


def geocode_postcodes(
    postcodes_wanted: Iterable[str],
    *,
    postcodes: str | os.PathLike[str] | None = None,
    online: bool = False,
    postcodes_io_url: str = POSTCODES_IO_URL,
    where: str = "the centres file",
    column: str = "postcode",
    frame_codes: list[str] | None = None,
) -> dict[str, tuple[float, float]]:
    """Geocode postcodes to (lon, lat) in WGS84 degrees.

    Postcodes match regardless of case and spacing. The look-up uses an OS Code-Point Open or
    ONS Postcode Directory file when ``postcodes`` is given, otherwise postcodes.io when
    ``online=True``.

    Raises :class:`~centrereach.errors.UnknownPostcodeError` for postcodes that are not found,
    naming each with its row.

    >>> geocode_postcodes([], postcodes=None, online=False)
    {}
    """
    wanted = sorted({normalise_postcode(p) for p in postcodes_wanted if normalise_postcode(p)})
    if not wanted:
        return {}
    if postcodes is not None:
        found = _postcodes_from_file(Path(postcodes), set(wanted))
        lookup_name = f"'{postcodes}'"
    elif online:
        found = _postcodes_online(wanted, base_url=postcodes_io_url)
        lookup_name = f"postcodes.io ({postcodes_io_url})"
    else:
        msg = (
            f"{where}, column '{column}': postcodes need a look-up. Pass postcodes=PATH to an OS "
            "Code-Point Open or ONSPD file (see `centrereach data fetch os-codepoint-open`), or "
            "online=True to use postcodes.io."
        )
        raise UnknownPostcodeError(msg)
    missing = [p for p in wanted if p not in found]
    if missing:
        located: list[tuple[int, str]] = []  # (first row, postcode), in file order
        for code in missing:
            positions = [i for i, c in enumerate(frame_codes or []) if c == code]
            located.append((row_label(positions[0]) if positions else 0, code))
        located.sort()
        listed = ", ".join(
            f"'{_pretty_postcode(c)}'" + (f" (row {r})" if r else "") for r, c in located
        )
        first_row = located[0][0]
        lead = f"{where}, row {first_row}" if first_row else where
        msg = (
            f"{lead}, column '{column}': postcode(s) not found in {lookup_name}: {listed}. "
            "Check for typing errors, or give lat/lon for these centres."
        )
        raise UnknownPostcodeError(msg)
    return found


def _postcodes_from_file(path: Path, wanted: set[str]) -> dict[str, tuple[float, float]]:
    if not path.exists():
        msg = f"'{path}': no such postcode file."
        raise DataNotFoundError(msg)
    if path.is_dir():
        msg = (
            f"'{path}' is a folder, not a postcode file. Give the path of the file itself (e.g. "
            "an OS Code-Point Open CSV such as 'de.csv', or the ONSPD CSV)."
        )
        raise DataNotFoundError(msg)
    where = f"'{path}'"
    problem = content_problem(path)
    if problem is not None:
        msg = (
            f"{where}: cannot use the postcode file: {problem}. Download it again (or fetch it "
            "with `centrereach data fetch os-codepoint-open`)."
        )
        raise DataFormatError(msg)
    try:
        header, pc_index, rows = _postcode_rows(path, wanted, where=where)
    except EOFError as exc:  # click would report an EOFError as a bare "Aborted!"
        msg = (
            f"{where}: the postcode file is a truncated gzip file (the download or copy was cut "
            "short). Download it again."
        )
        raise DataFormatError(msg) from exc
    except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        msg = f"{where}: cannot read the postcode file ({exc}). Download it again."
        raise DataFormatError(msg) from exc
    return _postcode_points(header, pc_index, rows, where=where)


def _postcode_rows(
    path: Path, wanted: set[str], *, where: str
) -> tuple[list[str], int, list[list[str]]]:
    """The header, the postcode column's position and the rows of the wanted postcodes."""
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    # Stream the file and keep only the wanted rows: an ONSPD file has 2.7 million of them.
    with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        first = next(reader, [])
        first_field = first[0].strip() if first else ""
        has_header = not re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}", first_field)
        if has_header:
            header = [c.strip() for c in first]
            pc_col = find_column(
                pd.DataFrame(columns=header), _POSTCODE, path=where, what="postcode"
            )
            pc_index = header.index(str(pc_col))
            rows = []
        else:
            # Code-Point Open data files have no header; the first four columns are fixed.
            header = ["Postcode", "PQI", "Eastings", "Northings"]
            header += [f"column_{i + 1}" for i in range(len(header), len(first))]
            pc_index = 0
            rows = [first] if normalise_postcode(first_field) in wanted else []
        rows += [
            row
            for row in reader
            if len(row) > pc_index and normalise_postcode(row[pc_index]) in wanted
        ]
    return header, pc_index, rows


def _postcode_points(
    header: list[str], pc_index: int, rows: list[list[str]], *, where: str
) -> dict[str, tuple[float, float]]:
    """(lon, lat) of each postcode row, from eastings/northings or latitude/longitude."""
    from pyproj import Transformer

    width = len(header)
    frame = pd.DataFrame([(row + [""] * width)[:width] for row in rows], columns=header, dtype=str)
    keys = frame[header[pc_index]].map(normalise_postcode)
    frame = frame.assign(_key=keys)
    lat_col = find_column(frame, _LAT, path=where, what="latitude", required=False)
    lon_col = find_column(frame, _LON, path=where, what="longitude", required=False)
    e_col = find_column(frame, _EAST, path=where, what="easting", required=False)
    n_col = find_column(frame, _NORTH, path=where, what="northing", required=False)
    out: dict[str, tuple[float, float]] = {}
    if e_col and n_col:
        east = pd.to_numeric(frame[e_col], errors="coerce").to_numpy(float)
        north = pd.to_numeric(frame[n_col], errors="coerce").to_numpy(float)
        to_wgs84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
        lon, lat = to_wgs84.transform(east, north)
    elif lat_col and lon_col:
        lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(float)
        lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(float)
    else:
        names = ", ".join(f"'{c}'" for c in header)
        msg = (
            f"{where}: no coordinate columns (Eastings/Northings or latitude/longitude); the "
            f"file has {names}. Use an OS Code-Point Open or ONSPD file."
        )
        raise MissingColumnError(msg)
    grid = frame[e_col] if e_col else pd.Series([""] * len(frame))
    for key, x, y, e in zip(frame["_key"], lon, lat, grid, strict=True):
        # ONSPD marks postcodes without a grid reference with easting 0 / latitude 99.999999;
        # Code-Point Open gives them easting 0 (positional quality 90).
        if np.isnan(x) or np.isnan(y) or y > 90 or str(e).strip() == "0":
            continue
        out[str(key)] = (float(x), float(y))
    return out


def _postcodes_online(wanted: list[str], *, base_url: str) -> dict[str, tuple[float, float]]:
    import requests

    out: dict[str, tuple[float, float]] = {}
    url = base_url.rstrip("/") + "/postcodes"
    for start in range(0, len(wanted), 100):  # postcodes.io bulk limit is 100
        batch = wanted[start : start + 100]
        try:
            response = requests.post(url, json={"postcodes": batch}, timeout=30)
            response.raise_for_status()
            payload = response.json()
        except (requests.RequestException, ValueError) as exc:
            msg = (
                f"postcode look-up at {url} failed ({exc}). Without internet, pass "
                "postcodes=PATH to an OS Code-Point Open or ONSPD file."
            )
            raise DownloadError(msg) from exc
        for item in payload.get("result", []):
            result = item.get("result")
            if result and result.get("longitude") is not None:
                key = normalise_postcode(item.get("query"))
                out[key] = (float(result["longitude"]), float(result["latitude"]))
    return out


def _warn_outside(centres: gpd.GeoDataFrame, study_area: Area) -> None:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        area = study_area.to_crs(WGS84).union_all() if study_area.crs else study_area.union_all()
    elif isinstance(study_area, BaseGeometry):
        area = study_area
    else:
        msg = "study_area must be a shapely geometry or a GeoDataFrame in EPSG:4326"
        raise TypeError(msg)
    outside = centres.index[~centres.geometry.within(area)]
    if len(outside):
        names = ", ".join(f"'{c}'" for c in outside)
        warnings.warn(
            f"{len(outside)} centre(s) lie outside the study area and are kept: {names}",
            OutsideStudyAreaWarning,
            stacklevel=3,
        )
