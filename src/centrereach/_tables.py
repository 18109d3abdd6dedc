"""Reading user tables (CSV/XLSX/GeoJSON/GeoPackage) with clear errors (internal).

Row numbers in messages are those a spreadsheet shows: the header is row 1, the first data row is
row 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from centrereach.errors import DataFormatError, EmptyFileError, EncodingError, MissingColumnError

__all__ = [
    "find_column",
    "normalise_name",
    "read_table",
    "row_label",
]

TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".gz"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SPATIAL_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".parquet"}
ENCODINGS = ("utf-8-sig", "cp1252")


def normalise_name(name: object) -> str:
    """Lower-case a column name and collapse every run of non-alphanumerics to one underscore.

    >>> normalise_name("LSOA code (2021)")
    'lsoa_code_2021'
    >>> normalise_name("  Lat ")
    'lat'
    """
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def row_label(position: int) -> int:
    """Spreadsheet row number of the data row at 0-based ``position`` (header = row 1).

    >>> row_label(0)
    2
    """
    return int(position) + 2


def _decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:4096]:
        msg = (
            f"'{path}': the file is not text in UTF-8 or Windows-1252 (it contains NUL bytes; it "
            "may be UTF-16 or a binary file). Save it as 'CSV UTF-8' from your spreadsheet program."
        )
        raise EncodingError(msg)
    error: UnicodeDecodeError | None = None
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            error = exc
    # Name the line of the first byte that is not Windows-1252 (the last encoding tried).
    where = f"'{path}'"
    if error is not None:
        line = raw[: error.start].count(b"\n") + 1
        where = f"'{path}', row {line}"
        detail = f" (byte 0x{raw[error.start]:02x} is not a character in either)"
    else:  # pragma: no cover - ENCODINGS is never empty
        detail = ""
    msg = (
        f"{where}: cannot read the file as UTF-8 or Windows-1252 text{detail}. "
        "Save it as 'CSV UTF-8' from your spreadsheet program."
    )
    raise EncodingError(msg)


def read_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    what: str = "table",
    dtype: Any = None,
    thousands: str | None = None,
    sheet_has: Callable[[pd.DataFrame], bool] | None = None,
    text_columns: Collection[str] = (),
) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM or cp1252, optionally gzipped), XLSX or spatial file.

    Spatial files come back as GeoDataFrames. In a workbook without ``sheet``, the first sheet
    with data rows for which ``sheet_has`` is true is read (official IoD workbooks open with a
    "Notes" sheet), else the first sheet with data rows. Raises
    :class:`~centrereach.errors.EmptyFileError` when there are no data rows and
    :class:`~centrereach.errors.EncodingError` when the text cannot be decoded.

    CSV columns whose :func:`normalise_name` is in ``text_columns`` are read as text, so that ids
    such as ``007`` keep their leading zeros.
    """
    if isinstance(source, pd.DataFrame):
        if source.empty:
            msg = f"the {what} data frame has no rows"
            raise EmptyFileError(msg)
        return source.copy()
    path = Path(source)
    if not path.exists():
        from centrereach.errors import DataNotFoundError

        msg = f"'{path}': no such file (the {what})."
        raise DataNotFoundError(msg)
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, sheet=sheet, what=what, dtype=dtype, sheet_has=sheet_has)
    elif suffix in SPATIAL_SUFFIXES and suffix != ".gz":
        import geopandas as gpd

        try:
            frame = gpd.read_file(path)
        except Exception as exc:
            msg = f"'{path}': cannot read the {what} as a spatial file ({exc})."
            raise DataFormatError(msg) from exc
    else:
        frame = _read_csv(
            path, what=what, dtype=dtype, thousands=thousands, text_columns=text_columns
        )
    if len(frame) == 0:
        msg = (
            f"'{path}': the {what} has no data rows (only a header, or nothing at all). "
            "Add one row per record below the header."
        )
        raise EmptyFileError(msg)
    return frame


def _read_csv(
    path: Path, *, what: str, dtype: Any, thousands: str | None, text_columns: Collection[str] = ()
) -> pd.DataFrame:
    import io

    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip

        raw = gzip.decompress(raw)
    if not raw.strip():
        msg = f"'{path}': the {what} is empty. Expected a header row and at least one data row."
        raise EmptyFileError(msg)
    text = _decode(raw, path)
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        if text_columns and dtype is None:
            header = pd.read_csv(io.StringIO(text), sep=sep, nrows=0, skipinitialspace=True)
            dtype = {c: str for c in header.columns if normalise_name(c) in text_columns}
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=dtype,
            thousands=thousands,
            skipinitialspace=True,
            keep_default_na=True,
        )
    except pd.errors.EmptyDataError as exc:
        msg = f"'{path}': the {what} is empty. Expected a header row and at least one data row."
        raise EmptyFileError(msg) from exc
    except pd.errors.ParserError as exc:
        msg = f"'{path}': the {what} is not a well-formed CSV file ({exc})."
        raise DataFormatError(msg) from exc


def _read_excel(
    path: Path,
    *,
    sheet: str | int | None,
    what: str,
    dtype: Any,
    sheet_has: Callable[[pd.DataFrame], bool] | None = None,
) -> pd.DataFrame:
    try:
        if sheet is not None:
            return pd.read_excel(path, sheet_name=sheet, dtype=dtype)
        sheets = pd.read_excel(path, sheet_name=None, dtype=dtype)
    except ValueError as exc:
        msg = f"'{path}': cannot read the {what} as an Excel workbook ({exc})."
        raise DataFormatError(msg) from exc
    except Exception as exc:  # openpyxl raises several unrelated types for corrupt files
        msg = (
            f"'{path}': cannot read the {what} as an Excel workbook ({type(exc).__name__}: {exc})."
        )
        raise DataFormatError(msg) from exc
    # The first sheet with data rows (and the wanted columns) wins: official IoD workbooks open
    # with a "Notes" sheet before the data.
    non_empty = [frame for frame in sheets.values() if len(frame)]
    if not non_empty:
        return next(iter(sheets.values())) if sheets else pd.DataFrame()
    if sheet_has is not None:
        for frame in non_empty:
            if sheet_has(frame):
                return frame
    return non_empty[0]


def find_column(
    frame: pd.DataFrame,
    candidates: Iterable[str],
    *,
    path: object,
    what: str,
    required: bool = True,
    pattern: str | None = None,
) -> str | None:
    """Return the name of the first column of ``frame`` matching ``candidates`` or ``pattern``.

    Matching is on :func:`normalise_name`. A missing required column raises
    :class:`~centrereach.errors.MissingColumnError` listing the columns that were found.

    >>> import pandas as pd
    >>> find_column(pd.DataFrame(columns=["LSOA code (2011)"]), ["lsoa_code_2011"], path="f.csv",
    ...             what="LSOA code")
    'LSOA code (2011)'
    """
    normalised = {normalise_name(c): c for c in frame.columns}
    for candidate in candidates:
        if candidate in normalised:
            return str(normalised[candidate])
    if pattern is not None:
        regex = re.compile(pattern)
        for key, original in normalised.items():
            if regex.search(key):
                return str(original)
    if not required:
        return None
    names = ", ".join(f"'{c}'" for c in frame.columns)
    wanted = ", ".join(f"'{c}'" for c in candidates)
    msg = f"{path}: no {what} column. Expected one of {wanted}; the file has {names}."
    raise MissingColumnError(msg)
