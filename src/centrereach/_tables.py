"""Reading user tables (CSV/XLSX/GeoJSON/GeoPackage) with clear errors (internal).

Row numbers in messages are those a spreadsheet shows: the header is row 1, the first data row is
row 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from centrereach._sniff import (
    GZIP_MAGIC,
    ZIP_MAGIC,
    content_problem,
    head_bytes,
    looks_like_html,
    page_title,
)
from centrereach.errors import (
    DataFormatError,
    DataNotFoundError,
    EmptyFileError,
    EncodingError,
    MissingColumnError,
)

__all__ = [
    "NumberKind",
    "find_column",
    "normalise_name",
    "parse_numbers",
    "read_table",
    "row_label",
]

NumberKind = Literal["real", "whole", "count"]
"""What a numeric column holds: any number (scores, coordinates), a whole number (ranks,
deciles) or a count of people (0 or more)."""

#: How many rows from the top of a sheet (or CSV file) are searched for a header row that is
#: not on row 1 (a title, notes or merged cells above it).
HEADER_SEARCH_ROWS = 30
_FETCH_ADVICE = (
    "If it is one of centrereach's datasets, fetch it again with `centrereach data fetch ID` "
    "(`centrereach data list` shows the ids); otherwise download or copy it again."
)

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

    Before reading, the file is sniffed: a folder, a web page (HTML) saved under a table's name
    (a failed download), a ``.gz`` file that is not gzip or is truncated, a CSV separated by
    ``;`` or tabs, and a header row that is not on row 1 (a title or merged cells above it) each
    raise a :class:`~centrereach.errors.CentrereachError` that names the file and says how to
    fix it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "imd.csv"
    >>> _ = path.write_text("lsoa21_code;IMD_decile\\nE01019400;6\\n")
    >>> read_table(path, what="deprivation file")
    Traceback (most recent call last):
    ...
    centrereach.errors.DataFormatError: '...imd.csv': the deprivation file seems to use ';' ...
    """
    if isinstance(source, pd.DataFrame):
        if source.empty:
            msg = f"the {what} data frame has no rows"
            raise EmptyFileError(msg)
        return source.copy()
    path = Path(source)
    if not path.exists():
        msg = f"'{path}': no such file (the {what})."
        raise DataNotFoundError(msg)
    if path.is_dir():
        raise DataNotFoundError(_folder_message(path, what))
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-1] if suffixes else ""
    try:
        head = head_bytes(path)
    except OSError as exc:
        msg = (
            f"'{path}': cannot read the {what} ({exc.strerror or exc}). Check that it is readable."
        )
        raise DataNotFoundError(msg) from exc
    _check_content(path, head, suffix=suffix, what=what)
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
            path,
            what=what,
            dtype=dtype,
            thousands=thousands,
            text_columns=text_columns,
            sheet_has=sheet_has,
        )
    if suffix not in SPATIAL_SUFFIXES or suffix == ".gz":
        _check_split_header(frame, path, what)
    if len(frame) == 0:
        msg = (
            f"'{path}': the {what} has no data rows (only a header, or nothing at all). "
            "Add one row per record below the header."
        )
        raise EmptyFileError(msg)
    return frame


def _folder_message(path: Path, what: str) -> str:
    tables = sorted(
        p.name
        for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | EXCEL_SUFFIXES | SPATIAL_SUFFIXES
    )
    inside = (
        f" It holds {', '.join(repr(n) for n in tables[:6])}{'...' if len(tables) > 6 else ''}."
    )
    return (
        f"'{path}' is a folder, not a file (the {what}). Give the path of the file itself, "
        f"e.g. '{path / (tables[0] if tables else 'centres.csv')}'.{inside if tables else ''}"
    )


def _check_split_header(frame: pd.DataFrame, path: Path, what: str) -> None:
    """Refuse column names spread over rows 1 and 2 (merged header cells above sub-headers).

    The sign: row 1 leaves some columns unnamed (pandas calls them ``Unnamed: N``), and row 2
    has no value in the first column but names in those unnamed ones.
    """
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    if not unnamed or len(frame) == 0 or not _blank(frame.iloc[0, 0]):
        return
    if not any(isinstance(frame.iloc[0][c], str) for c in unnamed):
        return
    names = [str(v).strip() for v in frame.iloc[0] if isinstance(v, str) and v.strip()]
    shown = ", ".join(repr(n) for n in names[:4])
    msg = (
        f"'{path}': the column names of the {what} span rows 1 and 2: row 1 leaves "
        f"{len(unnamed)} column(s) without a name (merged cells?) and row 2 holds {shown}. Put "
        "each column's whole name on row 1 (unmerge the cells), delete row 2, and save the "
        "file again."
    )
    raise DataFormatError(msg)


def _check_content(path: Path, head: bytes, *, suffix: str, what: str) -> None:
    """Refuse a web page, or a file whose first bytes contradict its name, before parsing it."""
    if looks_like_html(head):
        title = page_title(head)
        page = "a web page (HTML" + (f", titled '{title}'" if title else "") + ")"
        kind = "a gzip file" if suffix == ".gz" else "a table"
        msg = (
            f"'{path}': the {what} is not {kind}; it looks like {page}, which is what a failed "
            f"download leaves. {_FETCH_ADVICE}"
        )
        raise DataFormatError(msg)
    if suffix == ".gz" and not head.startswith(GZIP_MAGIC):
        msg = (
            f"'{path}': the {what} is named .gz but is not a gzip file (it starts with "
            f"{head[:12]!r}). If it is plain text, remove '.gz' from its name; otherwise it is "
            f"damaged. {_FETCH_ADVICE}"
        )
        raise DataFormatError(msg)
    if suffix in {".xlsx", ".xlsm"} and head and not head.startswith(ZIP_MAGIC):
        hint = (
            " It looks like text: if it is a CSV file, name it .csv."
            if _is_text(head)
            else f" {_FETCH_ADVICE}"
        )
        msg = f"'{path}': the {what} is named {suffix} but is not an Excel workbook.{hint}"
        raise DataFormatError(msg)
    if suffix in {".xlsx", ".xlsm", ".geojson"}:
        problem = content_problem(path)  # a workbook or GeoJSON cut short
        if problem is not None:
            msg = f"'{path}': cannot read the {what}: {problem}. {_FETCH_ADVICE}"
            raise DataFormatError(msg)


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return b"\x00" not in head
    return True


def _decompress(raw: bytes, path: Path, what: str) -> bytes:
    import gzip
    import zlib

    try:
        return gzip.decompress(raw)
    except EOFError as exc:  # click would report an EOFError as a bare "Aborted!"
        msg = (
            f"'{path}': the {what} is a truncated gzip file: it ends before the end of its "
            f"compressed data ({len(raw):,} bytes), so the download or copy was cut short. "
            f"{_FETCH_ADVICE}"
        )
        raise DataFormatError(msg) from exc
    except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        msg = f"'{path}': the {what} is a damaged gzip file ({exc}). {_FETCH_ADVICE}"
        raise DataFormatError(msg) from exc


def _check_separator(text: str, path: Path, what: str) -> None:
    """Refuse a .csv file whose columns are separated by ';' or tabs (Excel in some locales)."""
    lines = text[:65_536].lstrip("\ufeff").splitlines()[:2]  # the header and one row suffice
    first = lines[0] if lines else ""
    if "," in first:
        return
    for sep, name in ((";", "';'"), ("\t", "tabs")):
        if first.count(sep) >= 1 and (len(lines) < 2 or lines[1].count(sep) >= 1):
            msg = (
                f"'{path}': the {what} seems to use {name} between columns (its first row is "
                f"{first[:80]!r}); save it as comma-separated: in Excel, Save As 'CSV UTF-8 "
                "(Comma delimited)'. Write decimals with a point (9.25), not a comma."
            )
            raise DataFormatError(msg)


def _header_row(
    rows: Iterable[Sequence[object]], sheet_has: Callable[[pd.DataFrame], bool]
) -> tuple[int, list[str]] | None:
    """The 1-based row (after row 1) whose cells, as column names, satisfy ``sheet_has``."""
    for number, row in enumerate(rows, start=1):
        if number == 1:
            continue
        if number > HEADER_SEARCH_ROWS:
            break
        names = [str(c).strip() for c in row if not _blank(c)]
        if len(names) >= 2 and sheet_has(pd.DataFrame(columns=names)):
            return number, names
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == ""


def _header_message(where: str, what: str, number: int, names: list[str], top: str) -> str:
    shown = ", ".join(repr(n) for n in names[:5]) + (", ..." if len(names) > 5 else "")
    above = f" (row 1 holds {top!r})" if top else ""
    return (
        f"{where}: the column names of the {what} are on row {number} ({shown}), not on row 1"
        f"{above}. Delete the {number - 1} row(s) above them, put every column's name on that "
        "one row (unmerge merged header cells), and save the file again."
    )


def _read_csv(
    path: Path,
    *,
    what: str,
    dtype: Any,
    thousands: str | None,
    text_columns: Collection[str] = (),
    sheet_has: Callable[[pd.DataFrame], bool] | None = None,
) -> pd.DataFrame:
    import io

    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        raw = _decompress(raw, path, what)
    if not raw.strip():
        msg = f"'{path}': the {what} is empty. Expected a header row and at least one data row."
        raise EmptyFileError(msg)
    text = _decode(raw, path)
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    if sep == ",":
        _check_separator(text, path, what)
    try:
        if text_columns and dtype is None:
            header = pd.read_csv(io.StringIO(text), sep=sep, nrows=0, skipinitialspace=True)
            dtype = {c: str for c in header.columns if normalise_name(c) in text_columns}
        frame = pd.read_csv(
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
        _raise_csv_header(text, sep, path, what, sheet_has)
        raise DataFormatError(_parser_message(exc, path, what)) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes the first column as the index when data rows have one value more than
        # the header: a trailing separator on every row (harmless), or unquoted commas.
        if frame.iloc[:, -1].isna().all():
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=dtype,
                thousands=thousands,
                skipinitialspace=True,
                index_col=False,
            )
        else:
            _raise_csv_header(text, sep, path, what, sheet_has)
            raise DataFormatError(_extra_values_message(text, sep, path, what))
    if sheet_has is not None and not sheet_has(frame):
        _raise_csv_header(text, sep, path, what, sheet_has)
    return frame


def _extra_values_message(text: str, sep: str, path: Path, what: str) -> str:
    import csv
    import io

    rows = csv.reader(io.StringIO(text), delimiter=sep)
    width = len(next(rows, []))
    for number, row in enumerate(rows, start=2):
        if len(row) > width:
            return _parser_message(
                ValueError(f"Expected {width} fields in line {number}, saw {len(row)}"),
                path,
                what,
            )
    return f"'{path}': the {what} has rows with more values than its header row has columns."


def _raise_csv_header(
    text: str, sep: str, path: Path, what: str, sheet_has: Callable[[pd.DataFrame], bool] | None
) -> None:
    """Raise when the CSV's header is further down than row 1 (a title line above it)."""
    import csv
    import io
    import itertools

    if sheet_has is None:
        return
    rows = list(itertools.islice(csv.reader(io.StringIO(text), delimiter=sep), HEADER_SEARCH_ROWS))
    found = _header_row(rows, sheet_has)
    if found is not None:
        top = ", ".join(c for c in rows[0] if c.strip()) if rows else ""
        raise DataFormatError(_header_message(f"'{path}'", what, *found, top))


def _parser_message(exc: Exception, path: Path, what: str) -> str:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if match:
        expected, line, saw = match.groups()
        return (
            f"'{path}', row {line}: the {what} has {saw} values on this row but {expected} "
            "columns in its header row. A value that contains a comma must be in double quotes "
            '(e.g. "Smith, J"); spreadsheet programs do this when they save as CSV.'
        )
    return f"'{path}': the {what} is not a well-formed CSV file ({exc})."


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
    non_empty = {name: frame for name, frame in sheets.items() if len(frame)}
    if not non_empty:
        return next(iter(sheets.values())) if sheets else pd.DataFrame()
    if sheet_has is not None:
        for frame in non_empty.values():
            if sheet_has(frame):
                return frame
        # No sheet has the columns on row 1: a title, notes or a merged header above them?
        for name, frame in non_empty.items():
            rows = [list(frame.columns), *frame.head(HEADER_SEARCH_ROWS).to_numpy().tolist()]
            found = _header_row(rows, sheet_has)
            if found is not None:
                top = ", ".join(str(c) for c in frame.columns if not str(c).startswith("Unnamed:"))
                where = f"'{path}', sheet '{name}'"
                raise DataFormatError(_header_message(where, what, *found, top))
    return next(iter(non_empty.values()))


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
    unnamed = [str(c) for c in frame.columns if str(c).startswith("Unnamed:")]
    if unnamed:
        msg += (
            f" {len(unnamed)} column(s) have no name on row 1 ({', '.join(unnamed[:3])}): the "
            "column names may span several rows (merged cells) or start below row 1. Put every "
            "column's name on row 1 and save the file again."
        )
    raise MissingColumnError(msg)


# --------------------------------------------------------------------------------------------
# numbers written as text: thousands separators, decimal commas
# --------------------------------------------------------------------------------------------

_THOUSANDS = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 29,199  1,234,567  1,234.5
_DECIMAL_COMMA = r"[-+]?\d+,\d+|[-+]?\d{1,3}(?:\.\d{3})+,\d+"  # 9,25  0,5  1.234,5
_DOT_DECIMAL = r"[-+]?\d*\.\d+"  # 10.5  .5


def parse_numbers(
    series: pd.Series,
    *,
    where: str,
    column: str,
    kind: NumberKind = "real",
    blank_ok: bool = True,
) -> pd.Series:
    """Read a column of numbers written as text, working out its number format, as floats.

    Commas are read per column: as thousands separators (``29,199``) when a value can only be
    read that way (``1,234,567``, ``1,234.5``) or another value has a decimal point; as decimal
    commas (``9,25``) when a value can only be read that way (``9,25``, ``1.234,5``). A column
    mixing the two, or with values such as ``8,742`` and nothing to tell which it is, is refused
    with the row and column: ``8,742`` could be 8742 or 8.742. In columns of whole numbers
    (``kind="whole"``: ranks, deciles) and counts of people (``"count"``), ``1,234`` is 1234.

    Parameters
    ----------
    series
        The column (text or numbers).
    where, column
        The file (as shown in messages, e.g. ``"'imd.csv'"``) and the column's name.
    kind
        ``"real"`` (any finite number), ``"whole"`` (a whole number) or ``"count"`` (people:
        0 or more).
    blank_ok
        False: an empty cell is an error (naming its row) instead of NaN.

    Returns
    -------
    pandas.Series
        Floats, NaN for empty cells, same index.

    Raises
    ------
    centrereach.errors.DataFormatError
        A value that is not a number, is ambiguous, mixes formats with another row, is not
        whole, is negative (a count) or is empty (with ``blank_ok=False``); the message names
        the file, the row (spreadsheet numbering) and the column.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_numbers(pd.Series(["29,199", "925"]), where="'f.csv'", column="rank",
    ...               kind="whole").tolist()
    [29199.0, 925.0]
    >>> parse_numbers(pd.Series(["9,25", "12,5"]), where="'f.csv'", column="score").tolist()
    [9.25, 12.5]
    >>> parse_numbers(pd.Series(["8,742", "4,722"]), where="'f.csv'", column="score")
    Traceback (most recent call last):
    ...
    centrereach.errors.DataFormatError: 'f.csv', row 2, column 'score': '8,742' could be 8742 ...
    """
    raw = series.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(raw):
        values = pd.Series(np.nan, index=raw.index)
        bad_pos = 0 if len(raw) else None
    elif pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        bad_pos = None
    else:
        text = raw.astype("string").str.strip()
        text = text.mask(text == "")
        cleaned = _uncomma(text, where=where, column=column, kind=kind)
        values = pd.to_numeric(cleaned, errors="coerce").astype(float)
        bad = values.isna() & text.notna()
        bad_pos = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else None
    if bad_pos is not None:
        msg = (
            f"{where}, row {row_label(bad_pos)}, column '{column}': {str(raw.iloc[bad_pos])!r} "
            "is not a number. Write plain numbers (e.g. 1234 or 9.25)."
        )
        raise DataFormatError(msg)

    def fail(mask: pd.Series, problem: str) -> None:
        pos = int(np.flatnonzero(mask.to_numpy())[0])
        value = raw.iloc[pos]
        shown = repr(str(value)) if isinstance(value, str) else f"{value:g}"
        msg = f"{where}, row {row_label(pos)}, column '{column}': {shown} {problem}"
        raise DataFormatError(msg)

    infinite = pd.Series(np.isinf(values.to_numpy()), index=values.index)
    if infinite.any():
        fail(infinite, "is not a finite number.")
    if not blank_ok and values.isna().any():
        pos = int(np.flatnonzero(values.isna().to_numpy())[0])
        msg = (
            f"{where}, row {row_label(pos)}, column '{column}': the value is empty. Every row "
            "needs a number here (write 0 when there are none)."
        )
        raise DataFormatError(msg)
    if kind in ("whole", "count"):
        fraction = values.notna() & (values % 1 != 0)
        if kind == "whole" and fraction.any():
            fail(fraction, f"is not a whole number (read as {values[fraction].iloc[0]:g}).")
    if kind == "count":
        negative = values < 0
        if negative.any():
            fail(negative, "is negative; a count of people must be 0 or more.")
    out = pd.Series(values.to_numpy(), index=series.index, name=series.name)
    return out


def _uncomma(text: pd.Series, *, where: str, column: str, kind: NumberKind) -> pd.Series:
    """Text numbers with commas rewritten in the column's format (see :func:`parse_numbers`)."""
    comma = text.str.contains(",", regex=False, na=False).to_numpy(dtype=bool)
    if not comma.any():
        return text
    with_comma = text[comma].astype(object)
    thousands = with_comma.str.fullmatch(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
    decimal = with_comma.str.fullmatch(_DECIMAL_COMMA).fillna(False).to_numpy(dtype=bool)
    only_thousands = thousands & ~decimal
    only_decimal = decimal & ~thousands
    without = text[~comma].dropna().astype(object)
    point = without.str.fullmatch(_DOT_DECIMAL).fillna(False).to_numpy(dtype=bool)
    comma_rows = np.flatnonzero(comma)
    plain_rows = np.flatnonzero(~comma & text.notna().to_numpy())

    def first(rows: np.ndarray, mask: np.ndarray) -> tuple[int, str]:
        pos = int(rows[np.flatnonzero(mask)[0]])
        return pos, str(text.iloc[pos])

    if only_decimal.any() and (only_thousands.any() or point.any()):
        pos_d, value_d = first(comma_rows, only_decimal)
        candidates = []
        if only_thousands.any():
            candidates.append(first(comma_rows, only_thousands))
        if point.any():
            candidates.append(first(plain_rows, point))
        pos_t, value_t = min(candidates)
        msg = (
            f"{where}, column '{column}': the numbers mix two formats: row {row_label(pos_d)} has "
            f"{value_d!r} (a decimal comma) but row {row_label(pos_t)} has {value_t!r} (a comma "
            "between thousands or a decimal point). Write every number the same way, with a "
            "point for decimals and no thousands separators (e.g. 1234.5)."
        )
        raise DataFormatError(msg)
    out = text.astype(object).copy()
    if only_decimal.any():
        fixed = with_comma.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        out[comma] = fixed.to_numpy()
        return out
    ambiguous = thousands & decimal
    if ambiguous.any() and not (only_thousands.any() or point.any()) and kind == "real":
        pos, value = first(comma_rows, ambiguous)
        whole, dotted = value.replace(",", ""), value.replace(",", ".")
        msg = (
            f"{where}, row {row_label(pos)}, column '{column}': {value!r} could be {whole} (with "
            f"a comma between thousands) or {dotted} (with a decimal comma), and no other value "
            "in the column tells which. Write numbers with a point for decimals and no "
            f"thousands separators (e.g. {whole} or {dotted})."
        )
        raise DataFormatError(msg)
    rows = comma_rows[thousands]
    out.iloc[rows] = with_comma[thousands].str.replace(",", "", regex=False).to_numpy()
    return out
