"""Tests of :mod:`centrereach.areas` on the real ONS/IoD files and on tiny hand-built tables.

The real Derbyshire areas are built once per module (module-scoped fixtures) to keep the battery
fast.
"""

from __future__ import annotations

import csv
import gzip
import math
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from centrereach.areas import (
    load_areas,
    origins,
    read_deprivation,
    read_population,
    to_british_national_grid,
)
from centrereach.errors import (
    CoverageWarning,
    DataFormatError,
    DuplicateIdError,
    MissingColumnError,
    VintageMismatchError,
)

DATA = Path(__file__).parent / "data"
DISTRICTS = [
    "E07000032",  # Amber Valley
    "E07000033",  # Bolsover
    "E07000034",  # Chesterfield
    "E07000035",  # Derbyshire Dales
    "E07000036",  # Erewash
    "E07000037",  # High Peak
    "E07000038",  # North East Derbyshire
    "E07000039",  # South Derbyshire
]
IOD19_FILE1 = "iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
IOD19_FILE2 = "iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
IOD19_FILE6 = "iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz"
IOD25 = "iod2025/imd2025_england_lsoa21_scores_ranks_deciles.csv"
IOD25_FILE6 = "iod2025/File_6_IoD2025_Population_Denominators_DERBYSHIRE.csv"
SAPE = "population/sape_mid2020_lsoa11_single_year_of_age.csv.gz"
LSOA11 = "ons/lsoa11_bsc_england_wales.geojson"
LSOA21 = "ons/lsoa21_bsc_england_wales.geojson"
CENTROIDS = "ons/lsoa21_population_weighted_centroids.csv"
LOOKUP = "ons/lookup_lsoa11_lsoa21_lad22.csv"
WARD_LOOKUP = "ons/lookup_lsoa21_ward24_lad24.csv"
COUNTY_LOOKUP = "ons/lookup_lad23_utla23.csv"
#: An LSOA unchanged between 2011 and 2021 (Amber Valley 001A).
AMBER_001A = "E01019400"


def raw_row(path: Path, column: str, code: str) -> dict[str, str]:
    """One row of a (gzipped) CSV, read with the csv module: an independent check of pandas."""
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        for record in csv.DictReader(fh):
            if record[column] == code:
                return dict(record)
    pytest.fail(f"{code} not in {path}")


def decile_of(rank: float, total: int) -> int:
    """National decile of a rank out of ``total`` LSOAs (1 = most deprived 10%)."""
    return min(10, max(1, math.ceil(rank * 10 / total)))


# ---------------------------------------------------------------------------------------------
# module fixtures: the real files, read once
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lsoa21(shared_data: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(shared_data / LSOA21)


@pytest.fixture(scope="module")
def links(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / LOOKUP, dtype=str)


@pytest.fixture(scope="module")
def file1(shared_data: Path) -> pd.DataFrame:
    return read_deprivation(shared_data / IOD19_FILE1)


@pytest.fixture(scope="module")
def file6_2019(shared_data: Path) -> pd.DataFrame:
    return read_population(shared_data / IOD19_FILE6)


@pytest.fixture(scope="module")
def areas11(shared_data: Path) -> gpd.GeoDataFrame:
    """Derbyshire, LSOA 2011 boundaries + IoD2019 File 1 + File 6."""
    return load_areas(
        shared_data / LSOA11,
        deprivation=shared_data / IOD19_FILE1,
        population=shared_data / IOD19_FILE6,
        study_area=DISTRICTS,
    )


@pytest.fixture(scope="module")
def areas21(shared_data: Path) -> gpd.GeoDataFrame:
    """Derbyshire, LSOA 2021 boundaries + IoD2025 + File 6 (2025) + weighted centroids."""
    return load_areas(
        shared_data / LSOA21,
        deprivation=shared_data / IOD25,
        population=shared_data / IOD25_FILE6,
        centroids=shared_data / CENTROIDS,
        study_area=DISTRICTS,
    )


@pytest.fixture(scope="module")
def areas21_from11(shared_data: Path, lsoa21: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Derbyshire, LSOA 2021 boundaries with IoD2019 (2011) data converted through the look-up."""
    return load_areas(
        lsoa21,
        deprivation=shared_data / IOD19_FILE1,
        population=[shared_data / IOD19_FILE6, shared_data / SAPE],
        lookup=shared_data / LOOKUP,
        study_area=DISTRICTS,
    )


# ---------------------------------------------------------------------------------------------
# Derbyshire on the real files
# ---------------------------------------------------------------------------------------------


def test_derbyshire_2011_iod2019(areas11: gpd.GeoDataFrame) -> None:
    assert len(areas11) == 491
    assert areas11.index.is_unique and areas11.index.name == "lsoa_code"
    assert areas11["imd_decile"].notna().all()
    assert areas11["imd_decile"].between(1, 10).all()
    assert set(areas11["lad_code"]) == set(DISTRICTS)
    assert areas11.attrs["vintage"] == 2011
    assert areas11.attrs["imd_edition"] == 2019
    assert (areas11["imd_link"] == "direct").all()
    assert areas11.crs.to_epsg() == 4326


def test_derbyshire_2021_iod2025(areas21: gpd.GeoDataFrame) -> None:
    assert len(areas21) == 499
    assert areas21["imd_decile"].notna().all()
    assert areas21["imd_rank"].between(1, 33_755).all()
    assert areas21.attrs["vintage"] == 2021
    assert areas21.attrs["imd_edition"] == 2025
    assert set(areas21["lad_code"]) == set(DISTRICTS)


def test_iod2025_file6_children(areas21: gpd.GeoDataFrame, shared_data: Path) -> None:
    assert areas21["children"].sum() == 135_744
    assert areas21.attrs["population_years"]["children"] == "mid-2022"
    row = raw_row(shared_data / IOD25_FILE6, "LSOA code (2021)", AMBER_001A)
    assert areas21.loc[AMBER_001A, "children"] == float(
        row["Dependent Children aged 0-15: mid 2022"]
    )
    assert areas21.loc[AMBER_001A, "population"] == float(row["Total population: mid 2022"])


def test_iod2019_file6_population(
    areas11: gpd.GeoDataFrame, file6_2019: pd.DataFrame, shared_data: Path
) -> None:
    row = raw_row(shared_data / IOD19_FILE6, "LSOA code (2011)", AMBER_001A)
    children = row["Dependent Children aged 0-15: mid 2015 (excluding prisoners)"]
    total = row["Total population: mid 2015 (excluding prisoners)"]
    assert file6_2019.loc[AMBER_001A, "children"] == float(children.replace(",", ""))
    assert file6_2019.loc[AMBER_001A, "population"] == float(total.replace(",", ""))
    assert file6_2019.attrs["years"] == {"population": "mid-2015", "children": "mid-2015"}
    assert areas11["children"].notna().all()
    assert areas11["children"].sum() == file6_2019.loc[areas11.index, "children"].sum()


@pytest.mark.parametrize("county", ["Derbyshire", "E10000007", "derbyshire"])
def test_study_area_by_county(
    county: str, shared_data: Path, lsoa21: gpd.GeoDataFrame, areas21: gpd.GeoDataFrame
) -> None:
    areas = load_areas(
        lsoa21,
        deprivation=shared_data / IOD25,
        lad_lookup=shared_data / WARD_LOOKUP,
        county_lookup=shared_data / COUNTY_LOOKUP,
        study_area=county,
    )
    assert len(areas) == 499
    assert set(areas.index) == set(areas21.index)
    assert areas["imd_decile"].notna().all()


def test_study_area_by_district_names(shared_data: Path, lsoa21: gpd.GeoDataFrame) -> None:
    areas = load_areas(
        lsoa21, lad_lookup=shared_data / WARD_LOOKUP, study_area=["Chesterfield", "bolsover"]
    )
    assert set(areas["lad_code"]) == {"E07000033", "E07000034"}
    assert (areas["lad_code"] == "E07000034").sum() == 69  # Chesterfield's 69 LSOAs (README)


def test_unknown_district_is_a_clear_error(shared_data: Path, lsoa21: gpd.GeoDataFrame) -> None:
    with pytest.raises(DataFormatError) as info:
        load_areas(lsoa21, lad_lookup=shared_data / WARD_LOOKUP, study_area=["Chesterfeld"])
    message = str(info.value)
    assert "'Chesterfeld'" in message
    assert "'Chesterfield' (E07000034)" in message  # a suggestion
    with pytest.raises(DataFormatError, match="county_lookup="):
        load_areas(lsoa21, lad_lookup=shared_data / WARD_LOOKUP, study_area="Derbyshire")


def test_study_area_without_districts_asks_for_a_lookup(lsoa21: gpd.GeoDataFrame) -> None:
    with pytest.raises(MissingColumnError, match="lad_lookup="):
        load_areas(lsoa21.iloc[:50], study_area=DISTRICTS)


def test_study_area_polygon(
    shared_data: Path, lsoa21: gpd.GeoDataFrame, areas21: gpd.GeoDataFrame
) -> None:
    area = box(-1.50, 53.20, -1.38, 53.28)  # around Chesterfield
    areas = load_areas(lsoa21, centroids=shared_data / CENTROIDS, study_area=area)
    centroids = pd.read_csv(shared_data / CENTROIDS)
    inside = centroids[
        centroids["lon"].between(-1.50, -1.38) & centroids["lat"].between(53.20, 53.28)
    ]
    assert set(areas.index) == set(inside["LSOA21CD"])
    assert 40 < len(areas) < 150
    assert set(areas.index) <= set(areas21.index)  # all in Derbyshire
    # A GeoDataFrame works as well, in any CRS.
    frame = gpd.GeoDataFrame(geometry=[area], crs=4326).to_crs(27700)
    again = load_areas(lsoa21, centroids=shared_data / CENTROIDS, study_area=frame)
    assert set(again.index) == set(areas.index)


# ---------------------------------------------------------------------------------------------
# deprivation files
# ---------------------------------------------------------------------------------------------


def test_iod2019_files_1_and_2_agree(file1: pd.DataFrame, shared_data: Path) -> None:
    file2 = read_deprivation(shared_data / IOD19_FILE2)
    assert len(file1) == len(file2) == 32_844
    pd.testing.assert_series_equal(file1["imd_decile"], file2.loc[file1.index, "imd_decile"])
    pd.testing.assert_series_equal(file1["imd_rank"], file2.loc[file1.index, "imd_rank"])
    assert file1.attrs["vintage"] == file2.attrs["vintage"] == 2011
    assert (file1["imd_edition"] == 2019).all()


def test_ranks_with_thousands_separators(file1: pd.DataFrame, shared_data: Path) -> None:
    with gzip.open(shared_data / IOD19_FILE1, "rt", encoding="utf-8-sig") as fh:
        head = fh.read(2000)
    assert '"29,199"' in head  # the file really has separators
    assert file1.loc["E01000001", "imd_rank"] == 29_199
    assert file1.loc["E01000001", "imd_decile"] == 9
    assert file1["imd_rank"].between(1, 32_844).all()
    published = pd.read_csv(shared_data / IOD19_FILE1, thousands=",", index_col=0)
    rank_col = "Index of Multiple Deprivation (IMD) Rank"
    assert file1["imd_rank"].tolist() == published.loc[file1.index, rank_col].tolist()


def test_thousands_separators_in_a_tiny_table(tmp_path: Path) -> None:
    path = tmp_path / "imd.csv"
    path.write_text(
        "LSOA code (2011),Index of Multiple Deprivation (IMD) Rank,"
        "Index of Multiple Deprivation (IMD) Decile\n"
        'E01019400,"8,092",3\nE01019401,"29,199",9\n',
        encoding="utf-8",
    )
    table = read_deprivation(path, edition=2019)
    assert table["imd_rank"].tolist() == [8092, 29199]


@pytest.mark.parametrize(
    ("values", "kind", "expected"),
    [
        (["29,199", "925"], "whole", [29199, 925]),  # IoD File 1 ranks
        (["1,234,567", "12"], "real", [1234567, 12]),  # two groups: thousands
        (["1,234.5", "8,742"], "real", [1234.5, 8742]),  # a decimal point elsewhere: thousands
        (["8,742", "9.5"], "real", [8742, 9.5]),
        (["9,25", "8,742"], "real", [9.25, 8.742]),  # a decimal comma elsewhere: decimals
        (["1.234,5", "0,5"], "real", [1234.5, 0.5]),  # point thousands, comma decimals
        (["1,500", "300"], "count", [1500, 300]),  # people: 1,500 is never 1.5
        (["", "3"], "real", [math.nan, 3]),
        ([" 12 ", "-4.5"], "real", [12, -4.5]),
    ],
)
def test_number_formats_per_column(values: list[str], kind: Any, expected: list[float]) -> None:
    from centrereach._tables import parse_numbers

    out = parse_numbers(pd.Series(values, dtype=object), where="'t.csv'", column="x", kind=kind)
    assert out.tolist() == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize(
    ("values", "kind", "expected"),
    [
        (["8,742", "4,722"], "real", "row 2, column 'x': '8,742' could be 8742"),
        (["9,25", "10.5"], "real", "row 2 has '9,25' (a decimal comma) but row 3 has '10.5'"),
        (["1,2,3"], "real", "row 2, column 'x': '1,2,3' is not a number"),
        (["inf"], "real", "'inf' is not a finite number"),
        (["3", "2.5"], "whole", "row 3, column 'x': '2.5' is not a whole number"),
        (["3", "-1"], "count", "row 3, column 'x': '-1' is negative"),
        (["n/a"], "count", "'n/a' is not a number"),
    ],
)
def test_number_formats_refused_with_row_and_column(
    values: list[str], kind: Any, expected: str
) -> None:
    from centrereach._tables import parse_numbers

    with pytest.raises(DataFormatError) as info:
        parse_numbers(pd.Series(values, dtype=object), where="'t.csv'", column="x", kind=kind)
    assert str(info.value).startswith("'t.csv', ")
    assert expected in str(info.value)


def test_official_layout_xlsx_with_notes_sheet(
    tmp_path: Path, shared_data: Path, file1: pd.DataFrame
) -> None:
    header = raw_row(shared_data / IOD19_FILE1, "LSOA code (2011)", AMBER_001A).keys()
    codes = [AMBER_001A, "E01019401", "E01019402"]
    rows = [raw_row(shared_data / IOD19_FILE1, "LSOA code (2011)", c) for c in codes]
    sheet = pd.DataFrame(rows, columns=list(header))
    rank_col = "Index of Multiple Deprivation (IMD) Rank"
    decile_col = "Index of Multiple Deprivation (IMD) Decile"
    sheet[rank_col] = sheet[rank_col].str.replace(",", "").astype(int)  # numbers in a workbook
    sheet[decile_col] = sheet[decile_col].astype(int)
    path = tmp_path / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame(
            {
                "English Indices of Deprivation 2019": [
                    "File 1: index of multiple deprivation",
                    "Source: MHCLG",
                ]
            }
        ).to_excel(writer, sheet_name="Notes", index=False)
        sheet.to_excel(writer, sheet_name="IMD2019", index=False)
    table = read_deprivation(path)
    assert table.index.tolist() == codes
    assert table["imd_rank"].tolist() == file1.loc[codes, "imd_rank"].tolist()
    assert table["imd_decile"].tolist() == file1.loc[codes, "imd_decile"].tolist()
    assert (table["imd_edition"] == 2019).all() and table.attrs["vintage"] == 2011
    assert table["lad_code"].tolist() == ["E07000032"] * 3


def test_scores_only_table_is_a_clear_error() -> None:
    path = DATA / "imd_scores_only.csv"
    with pytest.raises(MissingColumnError) as info:
        read_deprivation(path)
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert "imd_scores_only.csv" in message
    assert "scores but no ranks" in message and "3 rows" in message
    assert "File 1, 2 or 7" in message


def test_scores_for_all_of_england_give_ranks_and_deciles(shared_data: Path) -> None:
    scores = pd.read_csv(shared_data / IOD25, usecols=["lsoa21_code", "IMD_score", "IMD_rank"])
    table = read_deprivation(scores[["lsoa21_code", "IMD_score"]], edition=2025)
    ranks = scores.set_index("lsoa21_code")["IMD_rank"]
    # The published ranks come from unrounded scores; the 3-decimal scores here tie a few.
    assert (table["imd_rank"].astype(float) - ranks.loc[table.index]).abs().max() <= 10
    deciles = read_deprivation(shared_data / IOD25)["imd_decile"]
    agree = (table["imd_decile"] == deciles.loc[table.index]).mean()
    assert agree > 0.999
    assert table["imd_decile"].between(1, 10).all()


def test_bad_decile_names_row_and_column() -> None:
    with pytest.raises(DataFormatError, match=r"imd_bad_decile.csv', row 3, column 'IMD_decile'"):
        read_deprivation(DATA / "imd_bad_decile.csv")


def test_duplicate_lsoa_codes_are_reported() -> None:
    table = pd.DataFrame({"lsoa11_code": ["E01019400", "E01019400"], "IMD_decile": [3, 4]})
    with pytest.raises(DuplicateIdError, match="rows 2 and 3"):
        read_deprivation(table)


def test_no_imd_column_lists_columns() -> None:
    table = pd.DataFrame({"lsoa11_code": ["E01019400"], "Income_decile": [3]})
    with pytest.raises(MissingColumnError, match="'Income_decile'"):
        read_deprivation(table)


# ---------------------------------------------------------------------------------------------
# population
# ---------------------------------------------------------------------------------------------


def test_single_year_of_age_under_fives_by_hand(shared_data: Path) -> None:
    population = read_population(shared_data / SAPE)
    row = raw_row(shared_data / SAPE, "lsoa11_code", AMBER_001A)
    under5 = sum(float(row[str(age)]) for age in range(5))
    children = sum(float(row[str(age)]) for age in range(16))
    assert population.loc[AMBER_001A, "under5"] == pytest.approx(under5)
    assert population.loc[AMBER_001A, "children"] == pytest.approx(children)
    assert population.loc[AMBER_001A, "population"] == pytest.approx(float(row["total_population"]))
    assert population.attrs["years"]["under5"] == "mid-2020"
    assert population.attrs["vintage"] == 2011
    assert len(population) == 34_753


def test_single_year_table_needs_every_child_age() -> None:
    table = pd.DataFrame({"lsoa11_code": ["E01019400"], "0": [1], "1": [2], "2": [3]})
    with pytest.raises(MissingColumnError, match=r"ages \[3, 4\] are missing"):
        read_population(table)
    gap = pd.DataFrame({"lsoa11_code": ["E01019400"], **{str(a): [1] for a in range(16) if a != 9}})
    with pytest.raises(MissingColumnError, match=r"ages \[9\] are missing"):
        read_population(gap)


def test_single_year_table_of_under_fives_only() -> None:
    table = pd.DataFrame({"lsoa21_code": ["E01019400"], **{str(a): [a + 1] for a in range(5)}})
    population = read_population(table)
    assert population.loc["E01019400", "under5"] == 15  # 1 + 2 + 3 + 4 + 5
    assert "children" not in population and "population" not in population


# ---------------------------------------------------------------------------------------------
# origins
# ---------------------------------------------------------------------------------------------


def test_origins_are_population_weighted_centroids(
    areas21: gpd.GeoDataFrame, shared_data: Path
) -> None:
    assert (areas21["origin_source"] == "population_weighted_centroid").all()
    row = raw_row(shared_data / CENTROIDS, "LSOA21CD", AMBER_001A)
    assert areas21.loc[AMBER_001A, "origin_lon"] == pytest.approx(float(row["lon"]))
    assert areas21.loc[AMBER_001A, "origin_lat"] == pytest.approx(float(row["lat"]))
    points = origins(areas21)
    assert points.crs.to_epsg() == 4326
    assert (points.geometry.geom_type == "Point").all()
    assert points.geometry.x.tolist() == areas21["origin_lon"].tolist()
    assert "geometry" in points and "imd_decile" in points


def test_origins_fall_back_to_a_point_inside(areas11: gpd.GeoDataFrame) -> None:
    assert (areas11["origin_source"] == "representative_point").all()
    pts = gpd.points_from_xy(areas11["origin_lon"], areas11["origin_lat"])
    assert all(poly.contains(pt) for poly, pt in zip(areas11.geometry, pts, strict=True))


def test_missing_centroid_warns_and_uses_a_point_inside() -> None:
    lsoas = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01019400", "E01019401"]},
        geometry=[box(-1.40, 53.10, -1.39, 53.11), box(-1.39, 53.10, -1.38, 53.11)],
        crs=4326,
    )
    centroids = pd.DataFrame({"LSOA21CD": ["E01019400"], "lon": [-1.396], "lat": [53.104]})
    with pytest.warns(CoverageWarning, match="E01019401"):
        areas = load_areas(lsoas, centroids=centroids)
    assert areas["origin_source"].tolist() == [
        "population_weighted_centroid",
        "representative_point",
    ]
    assert areas.loc["E01019400", "origin_lon"] == pytest.approx(-1.396)
    assert lsoas.geometry.iloc[1].contains(
        Point(areas.loc["E01019401", "origin_lon"], areas.loc["E01019401", "origin_lat"])
    )


def test_centroid_warning_only_for_the_study_area(shared_data: Path, links: pd.DataFrame) -> None:
    with pytest.warns(CoverageWarning) as record:
        areas = load_areas(
            shared_data / LSOA11,
            deprivation=shared_data / IOD19_FILE1,
            centroids=shared_data / CENTROIDS,  # LSOA 2021 centroids on 2011 boundaries
            study_area=DISTRICTS,
        )
    split = links[(links["change_code"] == "S") & links["lsoa11_code"].isin(areas.index)]
    fallback = set(areas.index[areas["origin_source"] == "representative_point"])
    assert fallback == set(split["lsoa11_code"])  # only the split 2011 LSOAs lack a centroid
    (message,) = [str(r.message) for r in record if "centroid" in str(r.message)]
    assert message.startswith(f"{len(fallback)} area(s)")
    assert all(code in message for code in fallback)
    assert "LSOA 2021" in message and "LSOA 2011" in message


def test_centroids_from_easting_northing() -> None:
    lsoas = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01019400"]}, geometry=[box(-1.40, 53.10, -1.39, 53.11)], crs=4326
    )
    point = gpd.GeoSeries([Point(-1.395, 53.105)], crs=4326).to_crs(27700).iloc[0]
    centroids = pd.DataFrame(
        {"LSOA21CD": ["E01019400"], "easting": [point.x], "northing": [point.y]}
    )
    areas = load_areas(lsoas, centroids=centroids)
    assert areas.loc["E01019400", ["origin_lon", "origin_lat"]].tolist() == pytest.approx(
        [-1.395, 53.105]
    )


# ---------------------------------------------------------------------------------------------
# LSOA vintages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_study_area", [False, True])
def test_vintage_mismatch_names_the_lookup(
    with_study_area: bool, lsoa21: gpd.GeoDataFrame, shared_data: Path
) -> None:
    kwargs: dict[str, Any] = {"study_area": DISTRICTS} if with_study_area else {}
    with pytest.raises(VintageMismatchError) as info:
        load_areas(lsoa21, deprivation=shared_data / IOD19_FILE1, **kwargs)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "File_1_-_IMD2019" in message
    assert "LSOA 2011" in message and "LSOA 2021" in message
    assert "lookup=" in message and "lookup_lsoa11_lsoa21_lad22.csv" in message


def test_population_vintage_mismatch(lsoa21: gpd.GeoDataFrame, shared_data: Path) -> None:
    with pytest.raises(VintageMismatchError, match=r"sape_mid2020.*lookup_lsoa11_lsoa21_lad22"):
        load_areas(lsoa21.iloc[:20], population=shared_data / SAPE)


def test_conversion_covers_derbyshire(areas21_from11: gpd.GeoDataFrame, areas21: Any) -> None:
    assert len(areas21_from11) == 499
    assert set(areas21_from11.index) == set(areas21.index)
    assert areas21_from11["imd_decile"].notna().all()
    assert areas21_from11["children"].notna().all()
    assert areas21_from11.attrs["imd_edition"] == 2019
    assert set(areas21_from11["imd_link"]) == {"unchanged", "split"}  # Derbyshire has no merges


def test_conversion_unchanged_lsoas_keep_their_values(
    areas21_from11: gpd.GeoDataFrame,
    links: pd.DataFrame,
    file1: pd.DataFrame,
    file6_2019: pd.DataFrame,
) -> None:
    same = links[(links["change_code"] == "U") & links["lsoa21_code"].isin(areas21_from11.index)]
    assert len(same) > 400
    converted = areas21_from11.loc[same["lsoa21_code"]]
    assert converted["imd_decile"].tolist() == file1.loc[same["lsoa11_code"], "imd_decile"].tolist()
    assert converted["imd_rank"].tolist() == file1.loc[same["lsoa11_code"], "imd_rank"].tolist()
    assert (
        converted["children"].tolist() == file6_2019.loc[same["lsoa11_code"], "children"].tolist()
    )
    assert (converted["imd_link"] == "unchanged").all()
    assert areas21_from11.loc[AMBER_001A, "imd_decile"] == file1.loc[AMBER_001A, "imd_decile"]


def test_conversion_split_lsoas_take_their_parent(
    areas21_from11: gpd.GeoDataFrame, links: pd.DataFrame, file1: pd.DataFrame
) -> None:
    split = links[(links["change_code"] == "S") & links["lsoa21_code"].isin(areas21_from11.index)]
    assert len(split) >= 2
    for parent, child in split[["lsoa11_code", "lsoa21_code"]].itertuples(index=False):
        assert areas21_from11.loc[child, "imd_decile"] == file1.loc[parent, "imd_decile"]
        assert areas21_from11.loc[child, "imd_rank"] == file1.loc[parent, "imd_rank"]
        assert areas21_from11.loc[child, "imd_link"] == "split"


def test_conversion_conserves_counts(
    areas21_from11: gpd.GeoDataFrame,
    links: pd.DataFrame,
    file6_2019: pd.DataFrame,
    shared_data: Path,
) -> None:
    parents = links.loc[links["lsoa21_code"].isin(areas21_from11.index), "lsoa11_code"].unique()
    # Every link of those parents stays inside the study area, so nothing leaks out.
    assert (
        links.loc[links["lsoa11_code"].isin(parents), "lsoa21_code"]
        .isin(areas21_from11.index)
        .all()
    )
    assert len(parents) == 491
    expected = file6_2019.loc[parents, "children"].sum()
    assert areas21_from11["children"].sum() == pytest.approx(expected, abs=0.5)
    sape = read_population(shared_data / SAPE)
    assert areas21_from11["under5"].sum() == pytest.approx(
        sape.loc[parents, "under5"].sum(), abs=0.5
    )
    assert areas21_from11.attrs["population_years"] == {
        "population": "mid-2015",
        "children": "mid-2015",
        "under5": "mid-2020",
    }


def test_conversion_merged_lsoa(
    links: pd.DataFrame, shared_data: Path, file1: pd.DataFrame, file6_2019: pd.DataFrame
) -> None:
    per_parent = links.groupby("lsoa11_code").size()
    merged = links[links["change_code"] == "M"]
    target = next(
        code
        for code, group in merged.groupby("lsoa21_code")
        if len(group) >= 2 and (per_parent.loc[group["lsoa11_code"]] == 1).all()
    )
    parents = merged.loc[merged["lsoa21_code"] == target, "lsoa11_code"].tolist()
    lsoas = gpd.GeoDataFrame(
        {"lsoa21_code": [target]}, geometry=[box(-1.0, 53.0, -0.99, 53.01)], crs=4326
    )
    areas = load_areas(
        lsoas,
        deprivation=shared_data / IOD19_FILE1,
        population=shared_data / IOD19_FILE6,
        lookup=shared_data / LOOKUP,
    )
    row = areas.loc[target]
    assert row["imd_link"] == "merged"
    assert row["children"] == file6_2019.loc[parents, "children"].sum()
    mean_rank = file1.loc[parents, "imd_rank"].astype(float).mean()
    assert row["imd_rank"] == round(mean_rank)
    assert row["imd_decile"] == decile_of(mean_rank, 32_844)


# ---------------------------------------------------------------------------------------------
# tiny tables: coverage, column spellings, projections
# ---------------------------------------------------------------------------------------------


def tiny_lsoas(code_col: str = "LSOA21CD", name_col: str | None = "LSOA21NM") -> gpd.GeoDataFrame:
    data: dict[str, Any] = {code_col: ["E01019400", "E01019401", "E01019402"]}
    if name_col:
        data[name_col] = ["Amber Valley 001A", "Amber Valley 001B", "Amber Valley 001C"]
    return gpd.GeoDataFrame(
        data,
        geometry=[box(-1.40 + i * 0.01, 53.10, -1.39 + i * 0.01, 53.11) for i in range(3)],
        crs=4326,
    )


def test_areas_without_deprivation_warn_and_are_kept() -> None:
    imd = pd.DataFrame(
        {"lsoa21_code": ["E01019400", "E01019402"], "IMD_decile": [2, 5], "IMD_rank": [6309, 15884]}
    )
    with pytest.warns(CoverageWarning) as record:
        areas = load_areas(tiny_lsoas(), deprivation=imd)
    assert len(areas) == 3
    assert pd.isna(areas.loc["E01019401", "imd_decile"])
    assert areas.loc["E01019400", "imd_decile"] == 2
    messages = " ".join(str(r.message) for r in record)
    assert "E01019401" in messages and "deprivation" in messages
    assert "E01019400" not in messages


def test_areas_without_population_warn_and_are_kept() -> None:
    pop = pd.DataFrame({"lsoa21_code": ["E01019400"], "population": [1500], "children": [300]})
    with pytest.warns(CoverageWarning, match=r"2 area\(s\).*E01019401, E01019402"):
        areas = load_areas(tiny_lsoas(), population=pop)
    assert len(areas) == 3
    assert areas["children"].isna().tolist() == [False, True, True]


@pytest.mark.parametrize(
    "code_col, name_col, vintage",
    [
        ("LSOA21CD", "LSOA21NM", 2021),
        ("lsoa21_code", "lsoa21_name", 2021),
        ("LSOA code (2021)", "LSOA name (2021)", 2021),
        ("LSOA11CD", "LSOA11NM", 2011),
        ("lsoa11_code", "lsoa11_name", 2011),
        ("LSOA code (2011)", "LSOA name (2011)", 2011),
    ],
)
def test_boundary_columns_in_ons_spellings(code_col: str, name_col: str, vintage: int) -> None:
    areas = load_areas(tiny_lsoas(code_col, name_col))
    assert areas.index.tolist() == ["E01019400", "E01019401", "E01019402"]
    assert areas.index.name == "lsoa_code"
    assert areas["lsoa_name"].tolist()[0] == "Amber Valley 001A"
    assert areas.attrs["vintage"] == vintage


def test_boundaries_without_a_code_column() -> None:
    lsoas = tiny_lsoas().rename(columns={"LSOA21CD": "zone"})
    with pytest.raises(MissingColumnError, match="'zone'"):
        load_areas(lsoas)


def test_boundaries_must_be_spatial(tmp_path: Path) -> None:
    path = tmp_path / "lsoas.csv"
    path.write_text("LSOA21CD\nE01019400\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"lsoas\.csv"):
        load_areas(path)


def test_to_british_national_grid(areas11: gpd.GeoDataFrame) -> None:
    bng = to_british_national_grid(areas11)
    assert bng.crs.to_epsg() == 27700
    minx, miny, maxx, maxy = bng.total_bounds
    assert 380_000 < minx < maxx < 500_000  # Derbyshire in metres
    assert 300_000 < miny < maxy < 420_000
    assert areas11.crs.to_epsg() == 4326  # the input is not changed
    assert np.isclose(bng.area.sum() / 1e6, 2_625, rtol=0.05)  # Derbyshire is ~2,625 km²


def test_no_warning_for_complete_real_data(shared_data: Path, lsoa21: gpd.GeoDataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        load_areas(
            lsoa21,
            deprivation=shared_data / IOD25,
            population=shared_data / IOD25_FILE6,
            study_area=["E07000034"],
        )


# ---------------------------------------------------------------------------------------------
# a country: the national study's areas
# ---------------------------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.slow
def test_england_is_every_english_lsoa_with_its_decile(
    shared_data: Path, lsoa21: gpd.GeoDataFrame
) -> None:
    """``study_area="England"`` on the England-and-Wales boundaries: the 33,755 LSOAs IoD2025
    ranks, each with its decile, and no warning about Wales's areas (which it leaves out)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        england = load_areas(
            lsoa21,
            deprivation=shared_data / IOD25,
            population=[shared_data / SAPE],
            centroids=shared_data / CENTROIDS,
            lookup=shared_data / LOOKUP,
            study_area="England",
        )
    ranked = pd.read_csv(shared_data / IOD25, usecols=["lsoa21_code"])["lsoa21_code"]
    assert len(england) == len(ranked) == 33_755
    assert set(england.index) == set(ranked)
    assert england["imd_decile"].notna().all()
    assert england["children"].notna().all() and (england["children"] > 0).all()
    wales = lsoa21[lsoa21["lsoa21_code"].str.startswith("W")]
    assert len(wales) == len(lsoa21) - 33_755 == 1_917
    # by the ONS code too, and Wales on its own (no English deciles: a warning names them)
    by_code = load_areas(lsoa21, study_area="E92000001")
    assert by_code.index.equals(load_areas(lsoa21, study_area="england").index)
    assert set(by_code.index) == set(england.index)
    assert set(load_areas(lsoa21, study_area="Wales").index) == set(wales["lsoa21_code"])


def test_a_country_alone(shared_data: Path, lsoa21: gpd.GeoDataFrame) -> None:
    with pytest.raises(DataFormatError, match="mixes a country with districts"):
        load_areas(
            lsoa21, study_area=["England", "E07000034"], lad_lookup=shared_data / WARD_LOOKUP
        )
    welsh = lsoa21[lsoa21["lsoa21_code"].str.startswith("W")].head(3)
    with pytest.raises(DataFormatError, match=r"selects no LSOA .* start with W"):
        load_areas(welsh, study_area="England")
