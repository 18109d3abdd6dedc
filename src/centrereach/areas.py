"""Small areas (LSOAs) with deprivation, population and origins, as a GeoDataFrame.

:func:`load_areas` joins ONS LSOA boundaries (2011 or 2021), the English Indices of Deprivation
(IoD2019 on 2011 LSOAs, IoD2025 on 2021 LSOAs), population counts (IoD File 6 denominators or ONS
single-year-of-age estimates), ONS population-weighted centroids and the ONS look-ups, for a study
area given as districts, a county or a polygon.

Columns of the result (index ``lsoa_code``):

========================  =====================================================================
``lsoa_name``             LSOA name, e.g. ``Chesterfield 001A``
``lad_code``/``lad_name`` local authority district (from the look-up or the data files)
``imd_decile``            IMD decile, 1 = most deprived 10% of LSOAs in England
``imd_rank``              IMD rank, 1 = most deprived LSOA in England
``imd_score``             IMD score (when the file has it)
``imd_edition``           2019 or 2025
``imd_link``              how the value reached a boundary of another vintage (``unchanged``,
                          ``split``, ``merged``, ``irregular``) or ``direct``
``population``            total population (IoD2019 File 6: mid-2015; IoD2025 File 6: mid-2022;
                          ONS SAPE: the file's year)
``children``              dependent children aged 0-15 (same vintages), or ages 0-15 summed
``under5``                children aged 0-4 (ONS single-year-of-age estimates only)
``origin_lon``/``_lat``   the origin point of journeys (WGS84 degrees)
``origin_source``         ``population_weighted_centroid`` or ``representative_point``
``geometry``              the boundary polygon, EPSG:4326
========================  =====================================================================

The reference year of each population column is in ``areas.attrs["population_years"]``.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from centrereach._geo import BRITISH_NATIONAL_GRID, WGS84
from centrereach._tables import (
    find_column,
    normalise_name,
    parse_numbers,
    read_table,
    row_label,
)
from centrereach.errors import (
    CoverageWarning,
    DataFormatError,
    DuplicateIdError,
    MissingColumnError,
    VintageMismatchError,
)

__all__ = [
    "ENGLAND_LSOA_COUNT",
    "MAX_MISSING_WEIGHT_SHARE",
    "check_weight",
    "load_areas",
    "origins",
    "read_deprivation",
    "read_population",
    "read_study_area",
    "to_british_national_grid",
]

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
StudyArea: TypeAlias = "str | Sequence[str] | BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries"
"""District codes or names, a county, a country, or a polygon (EPSG:4326): see
:func:`load_areas`."""

#: Countries a study area may name, by name or ONS code: the first letter of their LSOA codes.
COUNTRIES: dict[str, str] = {"england": "E", "e92000001": "E", "wales": "W", "w92000004": "W"}

#: Number of LSOAs in England ranked by each IoD edition (the denominators of ranks and deciles).
ENGLAND_LSOA_COUNT = {2019: 32_844, 2025: 33_755}
#: A study's weight (e.g. children) may be missing for at most this share of its areas
#: (:func:`check_weight`); they count as 0 people. More stops the run.
MAX_MISSING_WEIGHT_SHARE = 0.10
#: Highest LSOA 2011 code in England; higher E01 codes are new in 2021.
_LAST_LSOA11_ENGLAND = "E01033768"

_CODE_CANDIDATES = (
    "lsoa21cd",
    "lsoa11cd",
    "lsoa21_code",
    "lsoa11_code",
    "lsoa_code_2021",
    "lsoa_code_2011",
    "lsoa_code",
    "lsoacd",
    "lsoa",
)
_NAME_CANDIDATES = (
    "lsoa21nm",
    "lsoa11nm",
    "lsoa21_name",
    "lsoa11_name",
    "lsoa_name_2021",
    "lsoa_name_2011",
    "lsoa_name",
    "lsoanm",
    "name",
)
_LAD_CODE_PATTERN = r"^(ltla|lad|local_authority_district)\w*(code|cd)(_\d+)?$|^(ltla|lad)\d\dcd$"
_LAD_NAME_PATTERN = r"^(ltla|lad|local_authority_district)\w*(name|nm)(_\d+)?$|^(ltla|lad)\d\dnm$"


# --------------------------------------------------------------------------------------------
# vintages
# --------------------------------------------------------------------------------------------


def _vintage_from_column(column: str) -> int | None:
    key = normalise_name(column)
    if re.search(r"(^|_)(lsoa)?(2021|21)(_|cd|nm|$)|lsoa21", key):
        return 2021
    if re.search(r"(^|_)(lsoa)?(2011|11)(_|cd|nm|$)|lsoa11", key):
        return 2011
    return None


def _vintage_from_codes(codes: Iterable[str]) -> int | None:
    new = [c for c in codes if c.startswith("E01") and c > _LAST_LSOA11_ENGLAND]
    return 2021 if new else None


def _has_code_column(frame: pd.DataFrame) -> bool:
    """Whether a workbook sheet has an LSOA code column (used to skip "Notes" sheets)."""
    return (
        find_column(
            frame,
            _CODE_CANDIDATES,
            path="",
            what="LSOA code",
            required=False,
            pattern=r"^lsoa\w*(code|cd)",
        )
        is not None
    )


def _code_column(frame: pd.DataFrame, *, where: str) -> str:
    col = find_column(
        frame, _CODE_CANDIDATES, path=where, what="LSOA code", pattern=r"^lsoa\w*(code|cd)"
    )
    assert col is not None
    return col


def _clean_codes(series: pd.Series, *, where: str, column: str) -> pd.Series:
    codes = series.astype("string").str.strip()
    blank = codes.isna() | (codes == "")
    if blank.any():
        pos = int(np.flatnonzero(blank.to_numpy())[0])
        msg = f"{where}, row {row_label(pos)}, column '{column}': the LSOA code is empty."
        raise DataFormatError(msg)
    return codes.astype(str)


def _check_unique(codes: pd.Series, *, where: str, column: str) -> None:
    dup = codes.duplicated(keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((codes == codes.iloc[pos]).to_numpy())[0])
        msg = (
            f"{where}, column '{column}': LSOA code '{codes.iloc[pos]}' appears on rows "
            f"{row_label(first)} and {row_label(pos)}; each LSOA must appear once."
        )
        raise DuplicateIdError(msg)


# --------------------------------------------------------------------------------------------
# deprivation
# --------------------------------------------------------------------------------------------


def _imd_column(frame: pd.DataFrame, kind: str) -> str | None:
    pattern = re.compile(rf"^(imd|index_of_multiple_deprivation)(_imd)?_{kind}(_|$)")
    for col in frame.columns:
        if pattern.search(normalise_name(col)):
            return str(col)
    return None


def read_deprivation(
    source: PathLike | pd.DataFrame, *, edition: int | None = None
) -> pd.DataFrame:
    """Read an English Indices of Deprivation file into a table indexed by LSOA code.

    Accepts the official IoD2019 Files 1, 2, 5 and 7 (CSV or XLSX, ranks with or without
    thousands separators), the official IoD2025 files (2021 codes) and the re-packaged
    ``IMD_decile``/``IMD_rank``/``IMD_score`` tables. A file with scores only (File 5) must cover
    all of England: ranks and deciles are then computed from the scores (rank 1 = highest score).

    Parameters
    ----------
    source
        The file, or a data frame in one of those layouts.
    edition
        2019 or 2025; inferred from the file name or the code vintage when ``None``.

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa_code``; columns ``imd_decile`` (1 = most deprived 10% in England),
        ``imd_rank`` (1 = most deprived), ``imd_score`` (NaN when absent), ``imd_edition`` and,
        when the file has them, ``lad_code``/``lad_name``. ``attrs["vintage"]`` is the LSOA
        vintage (2011 or 2021).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"lsoa21_code": ["E01019400"], "IMD_decile": [6.0],
    ...                       "IMD_rank": [19_000.0]})
    >>> read_deprivation(table)[["imd_decile", "imd_rank"]]
               imd_decile  imd_rank
    lsoa_code
    E01019400           6     19000
    """
    where = f"'{source}'" if not isinstance(source, pd.DataFrame) else "the deprivation table"
    frame = read_table(source, what="deprivation file", sheet_has=_has_code_column)
    code_col = _code_column(frame, where=where)
    codes = _clean_codes(frame[code_col], where=where, column=code_col)
    _check_unique(codes, where=where, column=code_col)
    vintage = _vintage_from_column(code_col) or _vintage_from_codes(codes)
    if edition is None:
        name = "" if isinstance(source, pd.DataFrame) else Path(source).name
        match = re.search(r"(2019|2025)", name)
        if match:
            edition = int(match.group(1))
        elif vintage is not None:
            edition = 2019 if vintage == 2011 else 2025
    if vintage is None and edition is not None:
        vintage = 2011 if edition == 2019 else 2021
    if vintage is None:
        msg = (
            f"{where}: cannot tell whether the codes are LSOA 2011 or 2021. Name the code column "
            "'lsoa11_code' or 'lsoa21_code', or pass edition=2019 or 2025."
        )
        raise DataFormatError(msg)

    out = pd.DataFrame(index=pd.Index(codes.to_numpy(), name="lsoa_code"))
    decile_col = _imd_column(frame, "decile")
    rank_col = _imd_column(frame, "rank")
    score_col = _imd_column(frame, "score")
    if decile_col is None and rank_col is None and score_col is None:
        names = ", ".join(f"'{c}'" for c in frame.columns[:12])
        msg = (
            f"{where}: no IMD decile, rank or score column (expected e.g. 'Index of Multiple "
            f"Deprivation (IMD) Decile' or 'IMD_decile'); the file has {names}..."
        )
        raise MissingColumnError(msg)
    if score_col is not None:
        out["imd_score"] = parse_numbers(frame[score_col], where=where, column=score_col).to_numpy()
    else:
        out["imd_score"] = np.nan
    if rank_col is not None:
        rank = parse_numbers(frame[rank_col], where=where, column=rank_col, kind="whole")
        out["imd_rank"] = rank.to_numpy()
    elif score_col is not None:
        total = ENGLAND_LSOA_COUNT.get(edition or 0, 0)
        if len(out) < 0.95 * max(total, 30_000):
            msg = (
                f"{where}: the file has IMD scores but no ranks, and only {len(out):,} rows; ranks "
                "and deciles can only be computed from scores for all of England. Use a file with "
                "ranks or deciles (IoD File 1, 2 or 7)."
            )
            raise MissingColumnError(msg)
        out["imd_rank"] = out["imd_score"].rank(ascending=False, method="min").to_numpy()
    else:
        out["imd_rank"] = np.nan
    if decile_col is not None:
        decile = parse_numbers(frame[decile_col], where=where, column=decile_col, kind="whole")
        bad = decile.notna() & ~decile.between(1, 10)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            msg = (
                f"{where}, row {row_label(pos)}, column '{decile_col}': decile "
                f"{frame[decile_col].iloc[pos]} is outside 1 to 10."
            )
            raise DataFormatError(msg)
        out["imd_decile"] = decile.to_numpy()
    else:
        total = ENGLAND_LSOA_COUNT.get(edition or 0) or int(np.nanmax(out["imd_rank"]))
        out["imd_decile"] = _decile_from_rank(out["imd_rank"].to_numpy(), total)
    out["imd_decile"] = out["imd_decile"].astype("Int64")
    out["imd_rank"] = out["imd_rank"].astype("Int64")
    out["imd_edition"] = edition if edition is not None else pd.NA
    _attach_lad(out, frame, where=where)
    out = out[["imd_decile", "imd_rank", "imd_score", "imd_edition", "lad_code", "lad_name"]]
    out.attrs["vintage"] = vintage
    out.attrs["source"] = where
    return out


def _decile_from_rank(rank: np.ndarray, total: int) -> np.ndarray:
    """National decile (1 = most deprived 10%) of a rank out of ``total``."""
    out = np.ceil(np.asarray(rank, dtype=float) * 10.0 / total)
    return np.clip(out, 1, 10)


def _attach_lad(out: pd.DataFrame, frame: pd.DataFrame, *, where: str) -> None:
    code = find_column(
        frame, (), path=where, what="district code", required=False, pattern=_LAD_CODE_PATTERN
    )
    name = find_column(
        frame, (), path=where, what="district name", required=False, pattern=_LAD_NAME_PATTERN
    )
    out["lad_code"] = frame[code].astype("string").to_numpy() if code else pd.NA
    out["lad_name"] = frame[name].astype("string").to_numpy() if name else pd.NA
    out["lad_code"] = out["lad_code"].astype("string")
    out["lad_name"] = out["lad_name"].astype("string")


# --------------------------------------------------------------------------------------------
# population
# --------------------------------------------------------------------------------------------


def read_population(source: PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read population counts into a table indexed by LSOA code.

    Accepts IoD File 6 population denominators (IoD2019: mid-2015, LSOA 2011; IoD2025: mid-2022,
    LSOA 2021), ONS small-area population estimates by single year of age (columns ``0`` ...
    ``90``; children = ages 0-15, under-fives = ages 0-4) and plain tables with ``population``,
    ``children`` and ``under5`` columns.

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa_code``; some of ``population``, ``children`` (aged 0-15), ``under5`` (aged
        0-4) as floats (people), and ``lad_code``/``lad_name`` when present. ``attrs`` holds
        ``vintage`` (2011/2021) and ``years`` (reference year per column, e.g. ``{"children":
        "mid-2022"}``).

    Examples
    --------
    >>> import pandas as pd
    >>> ages = {str(age): [10] for age in range(91)}  # ten people of each age 0..90
    >>> table = pd.DataFrame({"lsoa11_code": ["E01019400"], **ages, "total_population": [910]})
    >>> read_population(table)[["population", "children", "under5"]]
               population  children  under5
    lsoa_code
    E01019400       910.0     160.0    50.0
    """
    where = f"'{source}'" if not isinstance(source, pd.DataFrame) else "the population table"
    frame = read_table(source, what="population file", sheet_has=_has_code_column)
    code_col = _code_column(frame, where=where)
    codes = _clean_codes(frame[code_col], where=where, column=code_col)
    _check_unique(codes, where=where, column=code_col)
    vintage = _vintage_from_column(code_col) or _vintage_from_codes(codes) or 2011
    out = pd.DataFrame(index=pd.Index(codes.to_numpy(), name="lsoa_code"))
    years: dict[str, str] = {}
    name = "" if isinstance(source, pd.DataFrame) else Path(source).name
    file_year = re.search(r"mid[-_ ]?(\d{4})", name)

    ages = {
        int(normalise_name(c).rstrip("_")): c
        for c in frame.columns
        if re.fullmatch(r"\d{1,2}\+?", str(c).strip())
    }
    total_col = find_column(
        frame,
        ("total_population", "population", "all_ages", "total"),
        path=where,
        what="total population",
        required=False,
        pattern=r"^total_population",
    )
    if total_col is not None:
        out["population"] = _count(frame, total_col, where=where)
        years["population"] = _year(total_col, file_year)
    if ages:
        # Ages 0-4 give under-fives; with 5-15 as well, children. A table of under-fives only
        # is fine, a table with some of 5-15 missing is a mistake.
        has_older = any(a in ages for a in range(5, 16))
        missing = [a for a in range(16 if has_older else 5) if a not in ages]
        if missing:
            msg = (
                f"{where}: single-year-of-age columns for ages {missing} are missing. Give ages "
                "0 to 4 (under-fives) or 0 to 15 (children), one column per year of age."
            )
            raise MissingColumnError(msg)
        numbers = {a: _count(frame, c, where=where) for a, c in ages.items()}
        year = f"mid-{file_year.group(1)}" if file_year else "unknown year"
        if has_older:
            out["children"] = sum(numbers[a] for a in range(16))
            years["children"] = year
        out["under5"] = sum(numbers[a] for a in range(5))
        years["under5"] = year
        every_age = max(ages) >= 90 and all(a in ages for a in range(max(ages) + 1))
        if "population" not in out and every_age:
            out["population"] = sum(numbers.values())
            years["population"] = year
    else:
        child_col = find_column(
            frame,
            ("children", "children_0_15", "aged_0_15"),
            path=where,
            what="children",
            required=False,
            pattern=r"children\w*0_15",
        )
        if child_col is not None:
            out["children"] = _count(frame, child_col, where=where)
            years["children"] = _year(child_col, file_year)
        u5_col = find_column(
            frame,
            ("under5", "under_5", "under_fives", "aged_0_4"),
            path=where,
            what="under-fives",
            required=False,
        )
        if u5_col is not None:
            out["under5"] = _count(frame, u5_col, where=where)
            years["under5"] = _year(u5_col, file_year)
    if out.shape[1] == 0:
        names = ", ".join(f"'{c}'" for c in frame.columns[:12])
        msg = (
            f"{where}: no population columns (expected IoD File 6 'Total population: mid ...' and "
            f"'Dependent Children aged 0-15: ...', or single years of age 0..90); found {names}."
        )
        raise MissingColumnError(msg)
    _attach_lad(out, frame, where=where)
    out.attrs["vintage"] = vintage
    out.attrs["years"] = years
    out.attrs["source"] = where
    return out


def _count(frame: pd.DataFrame, column: object, *, where: str) -> np.ndarray:
    """A column of people counts: numbers, 0 or more, none empty (the row and column named)."""
    values = parse_numbers(
        frame[column], where=where, column=str(column), kind="count", blank_ok=False
    )
    counts: np.ndarray = values.to_numpy(dtype=float)
    return counts


def _year(column: str, file_year: re.Match[str] | None) -> str:
    match = re.search(r"mid[-_ ]?(\d{4})", normalise_name(column).replace("_", " "))
    if match:
        return f"mid-{match.group(1)}"
    return f"mid-{file_year.group(1)}" if file_year else "unknown year"


# --------------------------------------------------------------------------------------------
# look-ups and vintage conversion
# --------------------------------------------------------------------------------------------


def _read_links(source: PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read the ONS LSOA 2011 -> 2021 look-up as links (lsoa11, lsoa21, change, lad...)."""
    where = f"'{source}'" if not isinstance(source, pd.DataFrame) else "the look-up table"
    frame = read_table(source, what="LSOA 2011 to 2021 look-up", sheet_has=_has_code_column)
    c11 = find_column(
        frame,
        ("lsoa11cd", "f_lsoa11cd", "lsoa11_code", "lsoa_code_2011"),
        path=where,
        what="LSOA 2011 code",
    )
    c21 = find_column(
        frame, ("lsoa21cd", "lsoa21_code", "lsoa_code_2021"), path=where, what="LSOA 2021 code"
    )
    change = find_column(
        frame, ("change_code", "chgind"), path=where, what="change code", required=False
    )
    assert c11 is not None and c21 is not None
    links = pd.DataFrame(
        {
            "lsoa11": frame[c11].astype(str).str.strip().to_numpy(),
            "lsoa21": frame[c21].astype(str).str.strip().to_numpy(),
            "change": frame[change].astype(str).str.strip().to_numpy() if change else "",
        }
    )
    n11 = _vintage_name(frame, 2011)
    n21 = _vintage_name(frame, 2021)
    links["name11"] = frame[n11].to_numpy() if n11 else pd.NA
    links["name21"] = frame[n21].to_numpy() if n21 else pd.NA
    lad = pd.DataFrame(index=links.index)
    _attach_lad(lad, frame, where=where)
    links["lad_code"] = lad["lad_code"].to_numpy()
    links["lad_name"] = lad["lad_name"].to_numpy()
    links.attrs["source"] = where
    return links


def _vintage_name(frame: pd.DataFrame, vintage: int) -> str | None:
    short = str(vintage)[2:]
    for col in frame.columns:
        key = normalise_name(col)
        if key in {f"lsoa{short}nm", f"lsoa{short}_name", f"lsoa_name_{vintage}"}:
            return str(col)
    return None


_CHANGE_WORD = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}


def _convert(
    table: pd.DataFrame,
    links: pd.DataFrame,
    *,
    source_vintage: int,
    counts: Sequence[str] = (),
    means: Sequence[str] = (),
    rank_total: int | None = None,
) -> pd.DataFrame:
    """Move a table from one LSOA vintage to the other through the ONS look-up.

    The rule (documented in docs/method.md): the look-up is a set of links between 2011 and
    2021 LSOAs. Counts (people) of a source LSOA are shared equally among its links and summed
    in each target; so an unchanged LSOA keeps its count, a split LSOA's count is shared equally
    among its parts and merged LSOAs' counts are added. Deprivation takes the mean over the
    target's links of the source rank and score, and the decile is recomputed from that rank,
    so unchanged and split LSOAs keep their parent's values exactly.
    """
    src, dst = ("lsoa11", "lsoa21") if source_vintage == 2011 else ("lsoa21", "lsoa11")
    link = links[[src, dst, "change"]].drop_duplicates([src, dst])
    share = 1.0 / link.groupby(src)[src].transform("size")
    joined = link.join(table, on=src, how="inner")
    out = pd.DataFrame(index=pd.Index(sorted(joined[dst].unique()), name="lsoa_code"))
    for col in counts:
        if col in joined:
            values = joined[col].astype(float) * share.loc[joined.index]
            out[col] = values.groupby(joined[dst]).sum(min_count=1)
    for col in means:
        if col in joined:
            out[col] = joined[col].astype(float).groupby(joined[dst]).mean()
    if "imd_decile" in table.columns:
        if "imd_rank" in out and out["imd_rank"].notna().all() and rank_total:
            out["imd_decile"] = _decile_from_rank(out["imd_rank"].to_numpy(), rank_total)
        else:
            out["imd_decile"] = np.ceil(
                joined["imd_decile"].astype(float).groupby(joined[dst]).mean()
            )
        out["imd_decile"] = out["imd_decile"].astype("Int64")
        if "imd_rank" in out:
            out["imd_rank"] = out["imd_rank"].round().astype("Int64")
        kinds = joined.groupby(dst)["change"].agg(
            lambda s: _CHANGE_WORD.get(str(s.iloc[0]), "linked") if s.nunique() == 1 else "mixed"
        )
        out["imd_link"] = kinds
    for col in ("imd_edition",):
        if col in table.columns:
            out[col] = table[col].iloc[0]
    return out


# --------------------------------------------------------------------------------------------
# the public loader
# --------------------------------------------------------------------------------------------


def load_areas(
    boundaries: PathLike | gpd.GeoDataFrame,
    *,
    deprivation: PathLike | pd.DataFrame | None = None,
    population: PathLike | pd.DataFrame | Sequence[PathLike | pd.DataFrame] | None = None,
    centroids: PathLike | pd.DataFrame | None = None,
    study_area: StudyArea | None = None,
    lookup: PathLike | pd.DataFrame | None = None,
    lad_lookup: PathLike | pd.DataFrame | None = None,
    county_lookup: PathLike | pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Load LSOAs with deprivation, population and journey origins for a study area.

    Parameters
    ----------
    boundaries
        LSOA 2011 or 2021 boundaries: GeoJSON, GeoPackage, shapefile or zipped shapefile (or a
        GeoDataFrame). The code and name columns are recognised in the common ONS spellings
        (``LSOA21CD``, ``lsoa21_code``, ``LSOA code (2021)``...).
    deprivation
        An IoD2019 (File 1, 2, 5 or 7) or IoD2025 file; see :func:`read_deprivation`.
    population
        One population file or a list (later files fill columns the earlier ones lack): IoD
        File 6 denominators, ONS single-year-of-age estimates; see :func:`read_population`.
    centroids
        ONS population-weighted centroids (CSV with ``lon``/``lat`` or ``easting``/``northing``,
        or a point file). Areas without one use a representative point inside the polygon.
    study_area
        ``None`` (every area in the file); district codes or names (``"E07000034"``,
        ``"Chesterfield"``, or a list); a county code or name (``"E10000007"``,
        ``"Derbyshire"``, needs ``county_lookup``); a country, ``"England"`` or ``"Wales"``
        (or ``"E92000001"``, ``"W92000004"``: the areas whose LSOA codes start with ``E`` or
        ``W``; a national study of England without Wales's 1,917 LSOAs, which have no English
        deprivation deciles); or a shapely polygon / GeoDataFrame in EPSG:4326 (areas whose
        origin lies inside).
    lookup
        The ONS LSOA 2011 -> LSOA 2021 look-up (with its district columns). Needed when data
        and boundaries are of different vintages; also gives districts.
    lad_lookup
        Any ONS table of LSOA code -> district code and name (e.g. LSOA 2021 -> ward -> LAD
        2024). Preferred over other sources of district codes.
    county_lookup
        ONS LAD -> county/UTLA look-up, needed to select a study area by county.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per LSOA in the study area, index ``lsoa_code``, in EPSG:4326; columns as in
        this module's docstring. ``attrs`` holds ``vintage``, ``imd_edition``,
        ``population_years`` and the ``sources`` used.

    Raises
    ------
    centrereach.errors.VintageMismatchError
        Data of one LSOA vintage with boundaries of the other and no ``lookup``.
    centrereach.errors.MissingColumnError, centrereach.errors.DataFormatError
        Files without the expected columns or with bad values (the message names file, row and
        column).

    Warns
    -----
    centrereach.errors.CoverageWarning
        Areas without deprivation or population data (listed by code; they are kept with NaN).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> lsoas = gpd.GeoDataFrame({"LSOA21CD": ["E01019400"], "LSOA21NM": ["Amber Valley 001A"]},
    ...                          geometry=[box(-1.40, 53.10, -1.39, 53.11)], crs=4326)
    >>> imd = pd.DataFrame({"lsoa21_code": ["E01019400"], "IMD_decile": [6], "IMD_rank": [19000]})
    >>> areas = load_areas(lsoas, deprivation=imd)
    >>> areas[["lsoa_name", "imd_decile", "origin_source"]]
                       lsoa_name  imd_decile         origin_source
    lsoa_code
    E01019400  Amber Valley 001A           6  representative_point
    """
    import geopandas as gpd

    where = f"'{boundaries}'" if not isinstance(boundaries, pd.DataFrame) else "the boundaries"
    frame = read_table(boundaries, what="LSOA boundaries")
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{where}: LSOA boundaries must be a spatial file (GeoJSON, GeoPackage, shapefile)."
        raise DataFormatError(msg)
    code_col = _code_column(frame, where=where)
    codes = _clean_codes(frame[code_col], where=where, column=code_col)
    _check_unique(codes, where=where, column=code_col)
    name_col = find_column(
        frame,
        _NAME_CANDIDATES,
        path=where,
        what="LSOA name",
        required=False,
        pattern=r"^lsoa\w*(name|nm)",
    )
    vintage = _vintage_from_column(code_col) or _vintage_from_codes(codes) or 2011
    if frame.crs is None:
        _, _, maxx, maxy = frame.total_bounds
        frame = frame.set_crs(
            WGS84 if abs(maxx) <= 180 and abs(maxy) <= 90 else BRITISH_NATIONAL_GRID
        )
    frame = frame.to_crs(WGS84)
    areas = gpd.GeoDataFrame(
        {
            "lsoa_name": frame[name_col].astype(str).to_numpy() if name_col else pd.NA,
        },
        geometry=frame.geometry.to_numpy(),
        index=pd.Index(codes.to_numpy(), name="lsoa_code"),
        crs=WGS84,
    )
    sources: dict[str, str] = {"boundaries": where}
    links = _read_links(lookup) if lookup is not None else None
    if links is not None:
        sources["lookup"] = links.attrs["source"]

    dep = read_deprivation(deprivation) if deprivation is not None else None
    pops = _population_list(population)
    # A vintage mismatch is the first thing to report: without the look-up the data cannot be
    # joined (nor can a study area be chosen by district when only the data name districts).
    if links is None:
        provided: set[str] = set()
        for data in [*([dep] if dep is not None else []), *pops]:
            counted = {"population", "children", "under5"} & set(data.columns)
            if counted and counted <= provided:
                continue  # a later population file that adds nothing is not used
            provided |= counted
            if data.attrs["vintage"] != vintage:
                msg = _mismatch_message(data.attrs["source"], data.attrs["vintage"], vintage)
                raise VintageMismatchError(msg)

    # Districts first: the study area is usually chosen by district or county.
    lad = _district_table(areas.index, vintage, lad_lookup, links, pops, dep)
    areas["lad_code"] = lad["lad_code"].reindex(areas.index).astype("string")
    areas["lad_name"] = lad["lad_name"].reindex(areas.index).astype("string")
    if links is not None and areas["lsoa_name"].isna().all():
        names = links.set_index("lsoa21" if vintage == 2021 else "lsoa11")[
            "name21" if vintage == 2021 else "name11"
        ]
        areas["lsoa_name"] = names[~names.index.duplicated()].reindex(areas.index).to_numpy()

    origin_points, origin_source, centroid_note = _origins(areas, centroids, vintage=vintage)
    areas["origin_lon"] = origin_points[:, 0]
    areas["origin_lat"] = origin_points[:, 1]
    areas["origin_source"] = origin_source
    if centroids is not None:
        sources["centroids"] = (
            f"'{centroids}'" if not isinstance(centroids, pd.DataFrame) else ("the centroids table")
        )

    if study_area is not None:
        areas = _select_study_area(areas, study_area, county_lookup=county_lookup)
    if centroids is not None:
        # Warn only about the areas of the study area (not about all of England).
        no_centroid = areas.index[(areas["origin_source"] == "representative_point").to_numpy()]
        if len(no_centroid):
            listed = ", ".join(no_centroid[:20])
            more = f" and {len(no_centroid) - 20} more" if len(no_centroid) > 20 else ""
            warnings.warn(
                f"{len(no_centroid)} area(s) have no population-weighted centroid in "
                f"{sources['centroids']} and use a point inside their boundary instead: "
                f"{listed}{more}{centroid_note}",
                CoverageWarning,
                stacklevel=2,
            )

    attrs: dict[str, Any] = {"vintage": vintage, "population_years": {}, "sources": sources}
    if dep is not None:
        sources["deprivation"] = dep.attrs["source"]
        table = dep
        if dep.attrs["vintage"] != vintage:
            if links is None:
                msg = _mismatch_message(dep.attrs["source"], dep.attrs["vintage"], vintage)
                raise VintageMismatchError(msg)
            edition = (
                int(dep["imd_edition"].dropna().iloc[0])
                if dep["imd_edition"].notna().any()
                else None
            )
            table = _convert(
                dep,
                links,
                source_vintage=dep.attrs["vintage"],
                means=("imd_rank", "imd_score"),
                rank_total=ENGLAND_LSOA_COUNT.get(edition or 0),
            )
        else:
            table = dep.assign(imd_link="direct")
        for col in ("imd_decile", "imd_rank", "imd_score", "imd_edition", "imd_link"):
            if col in table:
                areas[col] = table[col].reindex(areas.index)
        areas["imd_decile"] = areas["imd_decile"].astype("Int64")
        areas["imd_rank"] = areas["imd_rank"].astype("Int64")
        editions = table["imd_edition"].dropna().unique() if "imd_edition" in table else []
        attrs["imd_edition"] = int(editions[0]) if len(editions) else None
        _warn_missing(areas, ["imd_decile"], "deprivation", dep.attrs["source"])

    for pop in pops:
        sources.setdefault("population", "")
        sources["population"] = (sources["population"] + " " + pop.attrs["source"]).strip()
        value_cols = [c for c in ("population", "children", "under5") if c in pop.columns]
        new_cols = [c for c in value_cols if c not in areas.columns]
        if not new_cols:
            continue
        table = pop
        if pop.attrs["vintage"] != vintage:
            if links is None:
                msg = _mismatch_message(pop.attrs["source"], pop.attrs["vintage"], vintage)
                raise VintageMismatchError(msg)
            table = _convert(pop, links, source_vintage=pop.attrs["vintage"], counts=new_cols)
        for col in new_cols:
            areas[col] = table[col].reindex(areas.index).astype(float)
            attrs["population_years"][col] = pop.attrs["years"].get(col, "unknown year")
        _warn_missing(areas, new_cols, "population", pop.attrs["source"])

    ordered = [
        "lsoa_name",
        "lad_code",
        "lad_name",
        "imd_decile",
        "imd_rank",
        "imd_score",
        "imd_edition",
        "imd_link",
        "population",
        "children",
        "under5",
        "origin_lon",
        "origin_lat",
        "origin_source",
    ]
    areas = areas[[c for c in ordered if c in areas.columns] + ["geometry"]]
    areas.attrs.update(attrs)
    return areas


def _population_list(
    population: PathLike | pd.DataFrame | Sequence[PathLike | pd.DataFrame] | None,
) -> list[pd.DataFrame]:
    if population is None:
        return []
    if isinstance(population, str | os.PathLike | pd.DataFrame):
        return [read_population(population)]
    return [read_population(p) for p in population]


def _mismatch_message(source: str, data_vintage: int, vintage: int) -> str:
    return (
        f"{source} uses LSOA {data_vintage} codes but the boundaries are LSOA {vintage}. Pass "
        "lookup= the ONS 'LSOA (2011) to LSOA (2021) to Local Authority District (2022) "
        "Lookup' (dataset id 'ons-lookup-lsoa11-lsoa21-lad22', file "
        f"ons/lookup_lsoa11_lsoa21_lad22.csv in a data folder) to convert it, or use LSOA "
        f"{data_vintage} boundaries."
    )


def _district_table(
    index: pd.Index,
    vintage: int,
    lad_lookup: PathLike | pd.DataFrame | None,
    links: pd.DataFrame | None,
    pops: list[pd.DataFrame],
    dep: pd.DataFrame | None,
) -> pd.DataFrame:
    """District code and name per area, from the best source that has them."""
    out = pd.DataFrame(index=index, columns=["lad_code", "lad_name"], dtype="string")
    candidates: list[pd.DataFrame] = []
    if lad_lookup is not None:
        where = f"'{lad_lookup}'" if not isinstance(lad_lookup, pd.DataFrame) else "the look-up"
        frame = read_table(lad_lookup, what="district look-up", sheet_has=_has_code_column)
        col = _code_column(frame, where=where)
        table = pd.DataFrame(index=frame[col].astype(str).str.strip().to_numpy())
        _attach_lad(table, frame, where=where)
        if table["lad_code"].isna().all():
            msg = f"{where}: no district code column (e.g. 'ltla24_code' or 'LAD22CD')."
            raise MissingColumnError(msg)
        candidates.append(table[~table.index.duplicated()])
    if links is not None:
        key = "lsoa21" if vintage == 2021 else "lsoa11"
        table = links.drop_duplicates(key).set_index(key)[["lad_code", "lad_name"]]
        candidates.append(table)
    for extra in [*pops, *([dep] if dep is not None else [])]:
        if extra.attrs.get("vintage") == vintage and "lad_code" in extra:
            candidates.append(extra[["lad_code", "lad_name"]])
    for table in candidates:
        missing = out["lad_code"].isna()
        if not missing.any():
            break
        found = table.reindex(out.index[missing])
        out.loc[missing, "lad_code"] = found["lad_code"].astype("string").to_numpy()
        out.loc[missing, "lad_name"] = found["lad_name"].astype("string").to_numpy()
    return out


def _origins(
    areas: gpd.GeoDataFrame, centroids: PathLike | pd.DataFrame | None, *, vintage: int
) -> tuple[np.ndarray, list[str], str]:
    """Origin points (lon, lat), their source per area, and a note on the centroids' vintage."""
    from pyproj import Transformer

    # Representative points are computed in British National Grid (metres), then returned.
    reps = areas.geometry.to_crs(BRITISH_NATIONAL_GRID).representative_point().to_crs(WGS84)
    points = np.column_stack([reps.x.to_numpy(), reps.y.to_numpy()])
    source = ["representative_point"] * len(areas)
    if centroids is None:
        return points, source, ""
    where = f"'{centroids}'" if not isinstance(centroids, pd.DataFrame) else "the centroids"
    frame = read_table(centroids, what="population-weighted centroids", sheet_has=_has_code_column)
    col = _code_column(frame, where=where)
    codes = frame[col].astype(str).str.strip()
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        pts = frame.geometry.to_crs(WGS84) if frame.crs else frame.geometry
        lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    else:
        lon_col = find_column(
            frame, ("lon", "long", "longitude"), path=where, what="longitude", required=False
        )
        lat_col = find_column(
            frame, ("lat", "latitude"), path=where, what="latitude", required=False
        )
        if lon_col and lat_col:
            lon = parse_numbers(frame[lon_col], where=where, column=lon_col).to_numpy()
            lat = parse_numbers(frame[lat_col], where=where, column=lat_col).to_numpy()
        else:
            e_col = find_column(frame, ("easting", "x", "bng_e"), path=where, what="easting")
            n_col = find_column(frame, ("northing", "y", "bng_n"), path=where, what="northing")
            assert e_col is not None and n_col is not None
            east = parse_numbers(frame[e_col], where=where, column=e_col).to_numpy()
            north = parse_numbers(frame[n_col], where=where, column=n_col).to_numpy()
            to_wgs84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
            lon, lat = to_wgs84.transform(east, north)
    table = pd.DataFrame({"lon": lon, "lat": lat}, index=codes.to_numpy())
    table = table[~table.index.duplicated()]
    found = table.reindex(areas.index)
    has = found["lon"].notna().to_numpy() & found["lat"].notna().to_numpy()
    points[has] = found.loc[has, ["lon", "lat"]].to_numpy()
    source = ["population_weighted_centroid" if h else "representative_point" for h in has]
    centroid_vintage = _vintage_from_column(col)
    note = ""
    if centroid_vintage is not None and centroid_vintage != vintage:
        note = (
            f" (the centroids are for LSOA {centroid_vintage}, the boundaries LSOA {vintage}: "
            "only unchanged LSOAs match; use centroids of the boundaries' vintage)"
        )
    return points, source, note


def _select_study_area(
    areas: gpd.GeoDataFrame,
    study_area: StudyArea,
    *,
    county_lookup: PathLike | pd.DataFrame | None,
) -> gpd.GeoDataFrame:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if isinstance(study_area, BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries):
        if isinstance(study_area, BaseGeometry):
            shape = study_area
        else:
            shape = (study_area.to_crs(WGS84) if study_area.crs else study_area).union_all()
        pts = gpd.GeoSeries(
            gpd.points_from_xy(areas["origin_lon"], areas["origin_lat"]),
            index=areas.index,
            crs=WGS84,
        )
        selected = areas[pts.within(shape).to_numpy()]
        if selected.empty:
            msg = "the study-area polygon contains no LSOA origin; check it is in EPSG:4326."
            raise DataFormatError(msg)
        return selected
    items = [study_area] if isinstance(study_area, str) else list(study_area)
    letters = {COUNTRIES[str(i).strip().casefold()] for i in items
               if str(i).strip().casefold() in COUNTRIES}  # fmt: skip
    if letters:
        others = [i for i in items if str(i).strip().casefold() not in COUNTRIES]
        if others:
            msg = (
                f"the study area {items} mixes a country with districts or counties: give the "
                "country alone (every area in it), or the districts alone."
            )
            raise DataFormatError(msg)
        selected = areas[areas.index.str[:1].isin(letters)]
        if selected.empty:
            msg = (
                f"the study area {items} selects no LSOA from the boundaries file: its codes "
                f"start with {', '.join(sorted(set(areas.index.str[:1])))}."
            )
            raise DataFormatError(msg)
        return selected
    lad_codes = set(areas["lad_code"].dropna())
    if not lad_codes:
        msg = (
            "the study area is given by district or county, but no file gave the areas' "
            "districts. Pass lad_lookup= (e.g. ons/lookup_lsoa21_ward24_lad24.csv) or lookup=."
        )
        raise MissingColumnError(msg)
    by_name = {
        str(n).casefold(): str(c)
        for c, n in areas[["lad_code", "lad_name"]]
        .dropna()
        .drop_duplicates()
        .itertuples(index=False)
    }
    wanted: set[str] = set()
    counties: pd.DataFrame | None = None
    for item in items:
        key = str(item).strip()
        if key in lad_codes:
            wanted.add(key)
            continue
        if key.casefold() in by_name:
            wanted.add(by_name[key.casefold()])
            continue
        if counties is None and county_lookup is not None:
            counties = _read_counties(county_lookup)
        if counties is not None:
            hit = counties[
                (counties["utla_code"] == key)
                | (counties["utla_name"].str.casefold() == key.casefold())
            ]
            if len(hit):
                wanted.update(hit["lad_code"])
                continue
        if county_lookup is None and (re.fullmatch(r"E1\d{7}", key) or key[:1].isalpha()):
            hint = (
                " If it is a county, pass county_lookup= the ONS LAD to county look-up (dataset "
                "'ons-lookup-lad23-utla23', ons/lookup_lad23_utla23.csv)."
            )
        else:
            hint = ""
        suggest = _suggest_district(key, areas)
        msg = f"study area '{key}' is not a district code or name in the data.{suggest}{hint}"
        raise DataFormatError(msg)
    selected = areas[areas["lad_code"].isin(wanted).to_numpy()]
    if selected.empty:
        msg = f"the study area {items} selects no LSOA from the boundaries file."
        raise DataFormatError(msg)
    return selected


def _suggest_district(key: str, areas: pd.DataFrame) -> str:
    """' Did you mean ...?' naming the districts closest to ``key``, or some districts found."""
    import difflib

    pairs = areas[["lad_code", "lad_name"]].dropna().drop_duplicates()
    name_of = dict(zip(pairs["lad_code"].astype(str), pairs["lad_name"].astype(str), strict=True))
    code_of = {name.casefold(): code for code, name in name_of.items()}
    close = [code_of[n] for n in difflib.get_close_matches(key.casefold(), list(code_of), n=3)]
    if close:
        listed = " or ".join(f"'{name_of[c]}' ({c})" for c in dict.fromkeys(close))
        return f" Did you mean {listed}?"
    some = ", ".join(f"'{name}' ({code})" for code, name in sorted(name_of.items())[:8])
    return f" Districts in the data include {some}..."


def _read_counties(source: PathLike | pd.DataFrame) -> pd.DataFrame:
    where = f"'{source}'" if not isinstance(source, pd.DataFrame) else "the county look-up"
    frame = read_table(source, what="district to county look-up")
    lad = find_column(
        frame, (), path=where, what="district code", pattern=r"^(ltla|lad)\d*_?(code|cd)$"
    )
    utla = find_column(
        frame,
        (),
        path=where,
        what="county code",
        pattern=r"^(utla|ctyua|cty|county)\d*_?(code|cd)$",
    )
    utla_name = find_column(
        frame,
        (),
        path=where,
        what="county name",
        pattern=r"^(utla|ctyua|cty|county)\d*_?(name|nm)$",
    )
    assert lad and utla and utla_name
    return pd.DataFrame(
        {
            "lad_code": frame[lad].astype(str).str.strip(),
            "utla_code": frame[utla].astype(str).str.strip(),
            "utla_name": frame[utla_name].astype(str).str.strip(),
        }
    )


def _warn_missing(areas: pd.DataFrame, columns: Sequence[str], what: str, source: str) -> None:
    missing = areas.index[areas[list(columns)].isna().any(axis=1).to_numpy()]
    if len(missing):
        listed = ", ".join(missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        warnings.warn(
            f"{len(missing)} area(s) have no {what} data in {source}; they are kept with empty "
            f"values: {listed}{more}",
            CoverageWarning,
            stacklevel=3,
        )


def check_weight(
    areas: pd.DataFrame,
    weight: str,
    *,
    max_missing_share: float = MAX_MISSING_WEIGHT_SHARE,
) -> None:
    """Refuse areas whose weight (e.g. ``children``) is missing for too many of them.

    An area without a weight counts as 0 people in every weighted figure, so a weight missing
    for many areas makes the figures wrong, not merely less precise (``mean nan -> nan`` when it
    is missing for all). The rule (docs/method.md, section 4): missing for more than
    ``max_missing_share`` of the areas (default :data:`MAX_MISSING_WEIGHT_SHARE`, 10%) stops
    the run; missing for fewer gives a :class:`~centrereach.errors.CoverageWarning` naming them
    (``load_areas`` has already warned about them).

    Parameters
    ----------
    areas
        Areas from :func:`load_areas`.
    weight
        The weight column: ``children``, ``population`` or ``under5``.
    max_missing_share
        The largest share (0 to 1) of areas that may lack the weight.

    Raises
    ------
    centrereach.errors.MissingColumnError
        The column is absent.
    centrereach.errors.DataFormatError
        The weight is missing for more than ``max_missing_share`` of the areas; the message
        names the areas and the population files.

    Examples
    --------
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"children": [300.0, None]}, index=["E01019400", "E01019401"])
    >>> check_weight(areas, "children")
    Traceback (most recent call last):
    ...
    centrereach.errors.DataFormatError: the weight 'children' is missing for 1 of 2 areas (50%): ...
    """
    if weight not in areas.columns:
        present = [c for c in ("children", "population", "under5") if c in areas.columns]
        msg = (
            f"the weight '{weight}' is not available: the population data gave "
            f"{present or 'no population columns'}. Add a population file with it, or choose "
            "another weight."
        )
        raise MissingColumnError(msg)
    missing = areas.index[areas[weight].isna().to_numpy()]
    if not len(missing) or len(missing) <= max_missing_share * len(areas):
        return
    share = len(missing) / len(areas)
    listed = ", ".join(str(c) for c in missing[:12])
    more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
    files = getattr(areas, "attrs", {}).get("sources", {}).get("population", "")
    source = f" in {files}" if files else ""
    msg = (
        f"the weight '{weight}' is missing for {len(missing)} of {len(areas)} areas "
        f"({share:.0%}){source}: {listed}{more}. The population data do not cover the study "
        "area (another county, or LSOA codes of the other vintage?). Use a population file "
        "that covers these areas; at most "
        f"{max_missing_share:.0%} of the areas may lack the weight (they count as 0 people)."
    )
    raise DataFormatError(msg)


def read_study_area(source: PathLike) -> gpd.GeoDataFrame:
    """Read a study-area boundary file (GeoJSON, GeoPackage, shapefile) for ``study_area=``.

    Parameters
    ----------
    source
        The file; polygons in any CRS (a file without one is taken as EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        The file's features, in EPSG:4326.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        No such file, or a folder.
    centrereach.errors.DataFormatError
        Not a spatial file (a table, a web page...), or no polygon in it.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "area.geojson"
    >>> ring = [[-1.45, 53.2], [-1.40, 53.2], [-1.40, 53.25], [-1.45, 53.2]]
    >>> _ = path.write_text(json.dumps({"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {},
    ...      "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    >>> read_study_area(path).geometry.iloc[0].geom_type
    'Polygon'
    """
    import geopandas as gpd

    frame = read_table(source, what="study-area polygon")
    polygons = (
        frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any()
        if isinstance(frame, gpd.GeoDataFrame)
        else False
    )
    if not polygons:
        msg = (
            f"'{source}': the study-area polygon file holds no polygon. Give a GeoJSON, "
            "GeoPackage or shapefile with the study area's boundary."
        )
        raise DataFormatError(msg)
    return frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)


def origins(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the journey origins of ``areas`` as a GeoDataFrame of points (EPSG:4326).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas from :func:`load_areas` (columns ``origin_lon``/``origin_lat``, degrees).

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and columns, the boundary replaced by the origin point.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> a = gpd.GeoDataFrame({"LSOA21CD": ["E01019400"]}, geometry=[box(0, 52, 0.01, 52.01)],
    ...                      crs=4326)
    >>> origins(load_areas(a)).geometry.iloc[0].geom_type
    'Point'
    """
    import geopandas as gpd

    keep = [c for c in areas.columns if c != areas.geometry.name]
    return gpd.GeoDataFrame(
        areas[keep].copy(),
        geometry=gpd.points_from_xy(areas["origin_lon"], areas["origin_lat"]),
        crs=WGS84,
    )


def to_british_national_grid(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of a GeoDataFrame in British National Grid (EPSG:27700, metres).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Any GeoDataFrame (or GeoSeries) with a CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with coordinates in eastings/northings (metres).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(-1.4, 53.2)], crs=4326)
    >>> to_british_national_grid(g).crs.to_epsg()
    27700
    """
    return frame.to_crs(BRITISH_NATIONAL_GRID)


def _is_finite(value: float) -> bool:
    return math.isfinite(value)
