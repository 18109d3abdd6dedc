"""Bad inputs and faults on the way in (issue 11): each one a clear message, never a traceback.

Every case builds a tiny study of its own in ``tmp_path/inputs`` (a 7 x 7 grid of streets in
Chesterfield as OSM XML, four LSOA boxes, a deprivation table, a population table and three
centres, all written here), breaks one input the way a user or a failed download would, and runs
it the way a planner meets it: ``centrereach run`` through click's ``CliRunner`` (or ``centrereach
data fetch``, or a library loader where that is where the fault surfaces). Each asserts

- the exit code (2: a problem the user can fix) or the exception class;
- that the message names the file, and the row and column where there is one;
- that no traceback is printed (the runner caught no unexpected exception);
- that no file outside the output folder changed (the input tree is hashed before and after),
  and that a failed run wrote no output folder.

Downloads go to an HTTP server on 127.0.0.1 (``serve``, in conftest.py); nothing else is contacted.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

import centrereach
from _helpers import HTML_PAGE, FileServer, Serve, write_osm
from centrereach import sources
from centrereach.areas import load_areas, read_deprivation, read_population
from centrereach.centres import load_centres
from centrereach.cli import main
from centrereach.errors import (
    CentrereachError,
    CoverageWarning,
    DataFormatError,
    DataNotFoundError,
    DownloadError,
    InvalidCoordinateError,
    NetworkError,
    StudyFileError,
)
from centrereach.network import load_network
from centrereach.scenarios import scenario_from_spec

SRC = Path(centrereach.__file__).resolve().parent  # the package the tests import
LON0, LAT0, STEP = -1.44, 53.22, 0.004  # the street grid: 7 x 7 nodes, about 270 m x 445 m apart
CODES = ["E01019401", "E01019402", "E01019403", "E01019404"]
SMALL = "ons-lookup-lad23-utla23"  # a registered dataset with a local SHA-256 (14 kB)


# --------------------------------------------------------------------------------- fixtures


pytestmark = pytest.mark.usefixtures("isolated_env")  # no user settings; the cache in tmp_path


def _grid(*, one_way: bool = False, footway: bool = False) -> tuple[dict[int, Any], list[Any]]:
    """The street grid as ``write_osm`` takes it: 7 x 7 nodes, 14 residential streets."""
    n = 7
    nodes = {i * n + j + 1: (LON0 + j * STEP, LAT0 + i * STEP) for i in range(n) for j in range(n)}
    ways: list[Any] = []
    for i in range(n):
        row = [i * n + j + 1 for j in range(n)]
        col = [j * n + i + 1 for j in range(n)]
        oneway = {"oneway": "yes"} if one_way and i == 0 else {}
        ways.append((100 + i, row, {"highway": "residential"} | oneway))
        ways.append((200 + i, col, {"highway": "residential"}))
    if footway:  # a diagonal path across one block
        ways.append((300, [1, 9], {"highway": "footway"}))
    return nodes, ways


def _boxes() -> dict[str, Any]:
    features = []
    for k, code in enumerate(CODES):
        a, b = divmod(k, 2)
        x0, y0 = LON0 + b * 3 * STEP, LAT0 + a * 3 * STEP
        ring = [[x0, y0], [x0 + 3 * STEP, y0], [x0 + 3 * STEP, y0 + 3 * STEP], [x0, y0 + 3 * STEP]]
        features.append(
            {
                "type": "Feature",
                "properties": {"LSOA21CD": code, "LSOA21NM": f"Chesterfield 0{k + 10}A"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


IMD_CSV = "lsoa21_code,IMD_decile,IMD_rank,IMD_score\n" + "".join(
    f"{code},{k + 2},{(k + 2) * 3000},{10.5 + k}\n" for k, code in enumerate(CODES)
)
POPULATION_CSV = "lsoa21_code,population,children\n" + "".join(
    f"{code},1500,{300 + 10 * k}\n" for k, code in enumerate(CODES)
)
CENTRES_CSV = (
    "centre_id,name,status,lat,lon\n"
    f"north,North Centre,retained,{LAT0 + 5 * STEP:.6f},{LON0 + STEP:.6f}\n"
    f"south,South Centre,closing,{LAT0 + STEP:.6f},{LON0 + 5 * STEP:.6f}\n"
    f"middle,Middle Centre,retained,{LAT0 + 3 * STEP:.6f},{LON0 + 3 * STEP:.6f}\n"
)


class Inputs:
    """A tiny study's input folder: the files, the study file, and a hash of the whole tree."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        write_osm(root / "roads.osm", *_grid())
        (root / "lsoas.geojson").write_text(json.dumps(_boxes()))
        (root / "imd.csv").write_text(IMD_CSV)
        (root / "population.csv").write_text(POPULATION_CSV)
        (root / "centres.csv").write_text(CENTRES_CSV)
        self.write_study()

    def write_study(
        self,
        *,
        data: dict[str, str] | None = None,
        centres: dict[str, str] | None = None,
        network: dict[str, str] | None = None,
        modes: tuple[str, ...] = ("drive",),
        scenario: str = "where = 'status == \"retained\"'",
    ) -> Path:
        tables = {
            "data": {
                "boundaries": "lsoas.geojson",
                "deprivation": "imd.csv",
                "population": "population.csv",
            }
            | (data or {}),
            "centres": {"file": "centres.csv"} | (centres or {}),
            "network": {"drive": "roads.osm"} | (network or {}),
        }
        lines = ['[study]\nname = "tiny"\ntitle = "Tiny study"\n']
        for table, values in tables.items():
            lines.append(f"[{table}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
            lines.append("")
        lines.append(f'[analysis]\nmodes = {json.dumps(list(modes))}\nweight = "children"\n')
        lines.append(f"[scenarios.close-south]\n{scenario}\n")
        self.study = self.root / "study.toml"
        self.study.write_text("\n".join(lines))
        return self.study

    def path(self, name: str) -> Path:
        return self.root / name

    def digest(self) -> dict[str, str]:
        """SHA-256 of every file below the input folder (hidden and temporary ones included)."""
        return {
            str(p.relative_to(self.root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }


@pytest.fixture
def inputs(tmp_path: Path) -> Inputs:
    return Inputs(tmp_path / "inputs")


def _flat(text: str) -> str:
    """The output with line breaks undone (messages are wrapped at 100 characters)."""
    return " ".join(text.split())


def run_cli(inputs: Inputs, *args: str) -> tuple[Result, str]:
    """``centrereach run STUDY --out OUT --no-maps --quiet``; (result, flattened output)."""
    out = inputs.root.parent / "out"
    before = inputs.digest()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)
        result = CliRunner().invoke(
            main, ["run", str(inputs.study), "--out", str(out), "--no-maps", "--quiet", *args]
        )
    assert inputs.digest() == before, "the run changed a file outside its output folder"
    return result, _flat(result.output)


def assert_user_error(result: Result, text: str, *parts: str) -> None:
    """Exit code 2, one message naming each of ``parts``, no traceback, no output folder."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not a crash
    assert "Traceback" not in result.output
    assert text.count("error:") == 1, text
    for part in parts:
        assert part in text, (part, text)


def assert_no_outputs(inputs: Inputs) -> None:
    assert not (inputs.root.parent / "out").exists(), "a failed run left an output folder"


def _truncated_gzip(text: str) -> bytes:
    data = gzip.compress(text.encode() * 3)
    return data[: len(data) // 2]


def _first_half(text: str) -> str:
    return text[: len(text) // 2]


def _damaged_gzip(text: str) -> bytes:
    data = bytearray(gzip.compress(text.encode()))
    data[-8] ^= 0xFF  # break the CRC
    return bytes(data)


def _single_year(blank_age: int | None = None, value: str = "20") -> str:
    head = "lsoa21_code,total_population," + ",".join(str(a) for a in range(91))
    rows = []
    for k, code in enumerate(CODES):
        ages = ["20"] * 91
        if blank_age is not None and k % 2:
            ages[blank_age] = value
        rows.append(f"{code},1820," + ",".join(ages))
    return head + "\n" + "\n".join(rows) + "\n"


# ------------------------------------------------------- the tiny study works (the control)


def test_the_tiny_study_runs(inputs: Inputs) -> None:
    result, text = run_cli(inputs)
    assert result.exit_code == 0, result.output
    assert "4 of 4 areas covered; 3 centres." in text
    assert (inputs.root.parent / "out" / "summary.csv").is_file()


# -------------------------------------------- items 2 to 5: a bad input file, row and column

# The test's id: (the file written, a new one or one of the tiny study's own; what it holds; the
# change to the study file; what the message must say, "{file}" standing for the quoted path)
IMD_GZ = {"data": {"deprivation": "imd.csv.gz"}}
CENTRES_XLSX = {"centres": {"file": "centres.xlsx"}}
BAD_FILES: dict[str, tuple[str, str | bytes, dict[str, Any], list[str]]] = {
    # item 2: truncated or damaged .gz
    "truncated_gzip_input_names_the_file-deprivation": (
        "deprivation.csv.gz", _truncated_gzip(IMD_CSV),
        {"data": {"deprivation": "deprivation.csv.gz"}}, ["{file}", "truncated gzip"]
    ),
    "truncated_gzip_input_names_the_file-population": (
        "population.csv.gz", _truncated_gzip(POPULATION_CSV),
        {"data": {"population": "population.csv.gz"}}, ["{file}", "truncated gzip"]
    ),
    "damaged_gzip_names_the_file": (
        "imd.csv.gz", _damaged_gzip(IMD_CSV), IMD_GZ, ["{file}", "damaged gzip"]
    ),
    # item 3: a web page, or a file of another kind, saved as a data file
    "html_page_saved_as_csv_gz": (
        "imd.csv.gz", HTML_PAGE, IMD_GZ,
        ["{file}", "is not a gzip file; it looks like a web page (HTML, titled '404 Not Found')",
         "a failed download", "`centrereach data fetch ID`"]
    ),
    "html_page_saved_as_a_table_or_boundaries-population.csv": (
        "population.csv", HTML_PAGE, {}, ["{file}", "looks like a web page (HTML"]
    ),
    "html_page_saved_as_a_table_or_boundaries-lsoas.geojson": (
        "lsoas.geojson", HTML_PAGE, {}, ["{file}", "looks like a web page (HTML"]
    ),
    "html_page_saved_as_centres_xlsx": (
        "centres.xlsx", HTML_PAGE, CENTRES_XLSX, ["{file}", "web page (HTML"]
    ),
    "plain_text_named_gz": (
        "imd.csv.gz", IMD_CSV, IMD_GZ, ["{file}", "not a gzip file", "remove '.gz'"]
    ),
    "csv_text_named_xlsx": (
        "centres.xlsx", CENTRES_CSV, CENTRES_XLSX,
        ["{file}", "not an Excel workbook", "name it .csv"]
    ),
    "truncated_geojson_boundaries_name_the_file": (
        "lsoas.geojson", _first_half(json.dumps(_boxes())), {},
        ["{file}", "truncated (the GeoJSON does not end"]
    ),
    # item 4: decimal commas and number formats
    "ambiguous_comma_number_names_file_row_and_column": (
        "imd.csv",
        'lsoa21_code,IMD_decile,IMD_rank,IMD_score\nE01019401,2,6000,"8,742"\n'
        'E01019402,3,9000,"4,722"\nE01019403,4,12000,"34,310"\nE01019404,5,15000,"1,250"\n',
        {}, ["{file}, row 2, column 'IMD_score'", "'8,742' could be 8742", "or 8.742"]
    ),
    "mixed_number_formats_name_both_rows": (
        "imd.csv",
        "lsoa21_code,IMD_decile,IMD_rank,IMD_score\nE01019401,2,6000,10.5\n"
        'E01019402,3,9000,"9,25"\nE01019403,4,12000,11.5\nE01019404,5,15000,12.5\n',
        {}, ["{file}, column 'IMD_score'", "row 3 has '9,25'", "row 2 has '10.5'"]
    ),
    "decimal_comma_in_a_decile_is_not_a_whole_number": (
        "imd.csv",
        'lsoa21_code,IMD_decile,IMD_rank\nE01019401,2,6000\nE01019402,"9,25",9000\n'
        "E01019403,4,12000\nE01019404,5,15000\n",
        {}, ["{file}, row 3, column 'IMD_decile'", "not a whole number (read as 9.25)"]
    ),
    # item 5: blank and negative counts
    # before: children were empty for half the areas, and the summary counted half of them
    "blank_single_year_age_names_file_row_and_column": (
        "population.csv", _single_year(blank_age=3, value=""), {},
        ["{file}, row 3, column '3'", "the value is empty", "write 0"]
    ),
    "blank_children_cell_names_file_row_and_column": (
        "population.csv", POPULATION_CSV.replace(",320\n", ",\n"), {},
        ["{file}, row 4, column 'children'", "empty"]
    ),
    # before: -3 was summed into the children and accepted
    "negative_age_count_names_file_row_and_column": (
        "population.csv", _single_year(blank_age=7, value="-3"), {},
        ["{file}, row 3, column '7'", "-3 is negative"]
    ),
    "negative_children_names_file_row_and_column": (
        "population.csv", POPULATION_CSV.replace(",310\n", ",-310\n"), {},
        ["{file}, row 3, column 'children'", "negative"]
    ),
    # semicolons, title lines, malformed rows
    "semicolon_separated_centres": (
        "centres.csv", CENTRES_CSV.replace(",", ";"), {},
        ["{file}", "seems to use ';' between columns", "save it as comma-separated"]
    ),
    "semicolon_separated_population_with_decimal_commas": (
        "population.csv",
        "lsoa21_code;population;children\n"
        + "".join(f"{c};1500;30{k},5\n" for k, c in enumerate(CODES)),
        {}, ["{file}", "';' between columns"]
    ),
    "csv_title_line_above_the_header": (
        "population.csv", "Population of Chesterfield LSOAs, mid-2022\n" + POPULATION_CSV, {},
        ["{file}", "are on row 2", "'lsoa21_code', 'population', 'children'",
         "Delete the 1 row(s) above them"]
    ),
    # before: pandas took the ids as the index and the error named the wrong row and column
    "row_with_too_many_values_names_the_row": (
        "centres.csv", CENTRES_CSV.replace("North Centre", "North Centre, Staveley Road"), {},
        ["{file}, row 2", "6 values", "double quotes"]
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "study", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys()
)
def test_a_bad_input_file_is_named_with_its_row_and_column(
    inputs: Inputs, name: str, content: str | bytes, study: dict[str, Any], expected: list[str]
) -> None:
    """A bad input file: exit 2, one message naming it (and the row and column), no output."""
    path = inputs.path(name)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    if study:
        inputs.write_study(**study)
    result, text = run_cli(inputs)
    file = f"'{path}'"
    assert_user_error(result, text, *(part.replace("{file}", file) for part in expected))
    assert "Aborted!" not in text  # what click said of a truncated .gz before
    assert_no_outputs(inputs)


# ------------------------------------ items 2 and 3: truncated files that take more set-up


def test_truncated_gzip_with_debug_raises_a_named_error(inputs: Inputs) -> None:
    inputs.path("imd.csv.gz").write_bytes(_truncated_gzip(IMD_CSV))
    inputs.write_study(data={"deprivation": "imd.csv.gz"})
    result, _ = run_cli(inputs, "--debug")
    assert isinstance(result.exception, DataFormatError)  # --debug shows it, not "Aborted!"
    assert str(inputs.path("imd.csv.gz")) in str(result.exception)


def test_truncated_gzip_postcode_file_names_the_file(inputs: Inputs) -> None:
    rows = "".join(f"S4{i} 7AA,10,43{i}000,37{i}000\n" for i in range(200))
    inputs.path("postcodes.csv.gz").write_bytes(_truncated_gzip(rows))
    inputs.path("centres.csv").write_text(
        "centre_id,name,status,postcode\nnorth,North,retained,S40 7AA\n"
    )
    inputs.write_study(centres={"postcodes": "postcodes.csv.gz"})
    result, text = run_cli(inputs)
    assert_user_error(result, text, f"'{inputs.path('postcodes.csv.gz')}'", "truncated gzip")


def test_truncated_workbook_names_the_file(inputs: Inputs) -> None:
    rows = [["LSOA code", "Population", "Children"]]
    _workbook(inputs.path("full.xlsx"), rows + [[c, 1500, 300] for c in CODES * 50])
    whole = inputs.path("full.xlsx").read_bytes()
    inputs.path("population.xlsx").write_bytes(whole[: len(whole) * 2 // 3])
    inputs.path("full.xlsx").unlink()
    inputs.write_study(data={"population": "population.xlsx"})
    result, text = run_cli(inputs)
    assert_user_error(
        result, text, f"'{inputs.path('population.xlsx')}'", "truncated (the end of the zip"
    )


# --------------------------------------------------- item 4: decimal commas, number formats


def test_decimal_comma_scores_are_read_as_decimals(inputs: Inputs) -> None:
    path = inputs.path("imd.csv")
    path.write_text(
        'lsoa21_code,IMD_decile,IMD_rank,IMD_score\nE01019401,2,6000,"9,25"\n'
        'E01019402,3,9000,"12,5"\nE01019403,4,12000,"8,742"\nE01019404,5,15000,"30,1"\n'
    )
    table = read_deprivation(path)
    # before: "9,25" lost its comma and became 925
    assert table["imd_score"].tolist() == [9.25, 12.5, 8.742, 30.1]
    result, _ = run_cli(inputs)
    assert result.exit_code == 0, result.output


def test_ranks_with_thousands_separators_still_read(inputs: Inputs) -> None:
    path = inputs.path("imd.csv")
    path.write_text(
        "LSOA code (2021),Index of Multiple Deprivation (IMD) Rank,"
        "Index of Multiple Deprivation (IMD) Decile\n"
        'E01019401,"29,199",9\nE01019402,925,1\nE01019403,"1,234",1\nE01019404,"12,000",4\n'
    )
    assert read_deprivation(path)["imd_rank"].tolist() == [29199, 925, 1234, 12000]


def test_decimal_comma_coordinates_ambiguous_or_read(tmp_path: Path) -> None:
    ok = tmp_path / "centres.csv"
    ok.write_text('name,lat,lon\nNorth,"53,2400","-1,4360"\nSouth,"53,2240","-1,4200"\n')
    centres = load_centres(ok)
    assert centres.geometry.y.tolist() == [53.24, 53.224]
    bad = tmp_path / "centres_bad.csv"
    bad.write_text('name,lat,lon\nNorth,"53,240",-1.436\n')
    with pytest.raises(InvalidCoordinateError) as info:
        load_centres(bad)
    assert f"'{bad}', row 2, column 'lat'" in str(info.value)
    assert "'53,240' could be 53240" in str(info.value)


# ------------------------------------------------------ item 5: blank ages and blank counts


def test_single_year_ages_control(inputs: Inputs) -> None:
    inputs.path("population.csv").write_text(_single_year())
    result, _ = run_cli(inputs)
    assert result.exit_code == 0, result.output


def test_a_few_areas_without_population_warn_by_name(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from centrereach.areas import check_weight

    codes = [f"E0101{9400 + i}" for i in range(12)]
    cells = [box(LON0 + i * STEP, LAT0, LON0 + (i + 1) * STEP, LAT0 + STEP) for i in range(12)]
    lsoas = gpd.GeoDataFrame({"LSOA21CD": codes}, geometry=cells, crs=4326)
    population = tmp_path / "population.csv"
    population.write_text(
        "lsoa21_code,children\n" + "".join(f"{c},{100 + i}\n" for i, c in enumerate(codes[1:]))
    )
    with pytest.warns(CoverageWarning, match=f"1 area\\(s\\) have no population data .*{codes[0]}"):
        areas = load_areas(lsoas, population=population)
    check_weight(areas, "children")  # 1 of 12 (8%) is within the 10% limit: a warning only
    areas.loc[codes[1], "children"] = float("nan")  # 2 of 12 (17%): too many
    with pytest.raises(DataFormatError, match=f"missing for 2 of 12 areas .*{codes[0]}"):
        check_weight(areas, "children")


# ----------------------------------------------- item 6: population that misses the study


def test_population_covering_no_area_stops_the_run(inputs: Inputs) -> None:
    inputs.path("population.csv").write_text(
        "lsoa21_code,population,children\nE01099991,1500,300\nE01099992,1500,310\n"
    )
    result, text = run_cli(inputs)
    # before: exit 0 and "mean nan -> nan min"
    assert_user_error(
        result,
        text,
        "the weight 'children' is missing for 4 of 4 areas (100%)",
        f"'{inputs.path('population.csv')}'",
        "E01019401",
    )
    assert "nan" not in text
    assert_no_outputs(inputs)


def test_population_covering_half_the_areas_stops_the_run(inputs: Inputs) -> None:
    inputs.path("population.csv").write_text("\n".join(POPULATION_CSV.splitlines()[:3]) + "\n")
    result, text = run_cli(inputs)
    assert_user_error(
        result, text, "missing for 2 of 4 areas (50%)", "E01019403, E01019404", "at most 10%"
    )


# ---------------------------------------------------------- item 7: where, values and spaces


def test_trailing_space_in_a_status_cell_is_stripped(inputs: Inputs) -> None:
    inputs.path("centres.csv").write_text(CENTRES_CSV.replace("retained,", "retained ,", 1))
    centres = load_centres(inputs.path("centres.csv"))
    assert centres.loc["north", "status"] == "retained"
    scenario = scenario_from_spec("s", {"where": 'status == "retained"'}, centres)
    # before: 'north' ("retained ") was silently closed
    assert scenario.open_centres == ("north", "middle")
    result, _ = run_cli(inputs)
    assert result.exit_code == 0, result.output


def test_where_value_that_never_occurs_names_the_values(inputs: Inputs) -> None:
    inputs.write_study(scenario="where = 'status == \"Retained\"'")
    result, text = run_cli(inputs)
    assert_user_error(
        result,
        text,
        "scenario 'close-south', key 'where'",
        "'Retained' never occurs in column 'status'",
        f"'{inputs.path('centres.csv')}'",
        "Did you mean 'retained'",
        "'retained', 'closing'",
    )


def test_where_list_with_an_absent_value(inputs: Inputs) -> None:
    inputs.write_study(scenario='where = \'status in ["retained", "open"]\'')
    result, text = run_cli(inputs)
    assert_user_error(result, text, "'open' never occurs in column 'status'", "'closing'")


def test_where_that_keeps_no_centre_names_the_values(inputs: Inputs) -> None:
    inputs.write_study(scenario='where = \'status not in ["retained", "closing"]\'')
    result, text = run_cli(inputs)
    assert_user_error(
        result,
        text,
        "keeps no centre open",
        "'retained', 'closing'",
        f"'{inputs.path('centres.csv')}'",
    )


def test_where_on_a_missing_column_names_the_file(inputs: Inputs) -> None:
    inputs.write_study(scenario="where = 'state == \"retained\"'")
    result, text = run_cli(inputs)
    assert_user_error(
        result, text, f"the centres file '{inputs.path('centres.csv')}' has no column 'state'"
    )


# --------------------------------------------------------------- item 11: a folder, not a file


def test_centres_file_is_a_folder(inputs: Inputs) -> None:
    (inputs.root / "centres").mkdir()
    (inputs.root / "centres" / "centres_2024.csv").write_text(CENTRES_CSV)
    inputs.write_study(centres={"file": "centres"})
    result, text = run_cli(inputs)
    # before: an IsADirectoryError traceback
    assert_user_error(
        result,
        text,
        f"'{inputs.path('centres')}' is a folder, not a file (the centres file)",
        "'centres_2024.csv'",
    )


def test_population_file_is_a_folder(inputs: Inputs) -> None:
    (inputs.root / "population").mkdir()
    inputs.write_study(data={"population": "population"})
    result, text = run_cli(inputs)
    assert_user_error(result, text, f"'{inputs.path('population')}' is a folder, not a file")


def test_study_area_polygon_is_a_folder_or_a_table(inputs: Inputs) -> None:
    (inputs.root / "area").mkdir()
    study = inputs.study.read_text()
    inputs.study.write_text(study.replace("[data]", '[area]\npolygon = "area"\n\n[data]', 1))
    result, text = run_cli(inputs)
    # before: a pyogrio DataSourceError traceback
    assert_user_error(result, text, f"'{inputs.path('area')}' is a folder, not a file")
    inputs.study.write_text(study.replace("[data]", '[area]\npolygon = "imd.csv"\n\n[data]', 1))
    result, text = run_cli(inputs)
    assert_user_error(result, text, f"'{inputs.path('imd.csv')}'", "holds no polygon")
    inputs.study.write_text(
        study.replace("[data]", '[area]\npolygon = "lsoas.geojson"\n\n[data]', 1)
    )
    result, text = run_cli(inputs)  # a polygon file works
    assert result.exit_code == 0, result.output
    assert "4 of 4 areas covered" in text


def test_postcode_file_is_a_folder(inputs: Inputs) -> None:
    inputs.path("centres.csv").write_text("centre_id,name,postcode\nnorth,North,S40 7AA\n")
    inputs.write_study(centres={"postcodes": "."})
    result, text = run_cli(inputs)
    assert_user_error(result, text, "is a folder, not a postcode file")


# ------------------------------------------------------- header rows in workbooks


def _workbook(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Mid-2022"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)


@pytest.mark.parametrize(
    ("header", "merges", "expected"),
    [
        pytest.param(
            [["Mid-2022 population estimates"], [], ["LSOA code", "Population", "Children"]],
            ("A1:C1",),
            [
                "{file}, sheet 'Mid-2022'",
                "are on row 3",
                "row 1 holds 'Mid-2022 population estimates'",
            ],
            id="title_above_the_header",
        ),
        pytest.param(
            [["LSOA code", "Population", None], [None, "Total", "Children"]],
            ("B1:C1",),
            ["{file}", "span rows 1 and 2", "row 2 holds 'Total', 'Children'"],
            id="merged_two_row_header",
        ),
    ],
)
def test_workbook_with_rows_above_its_table(
    inputs: Inputs, header: list[list[object]], merges: tuple[str, ...], expected: list[str]
) -> None:
    data = [[c, 1500, 300 + k] for k, c in enumerate(CODES)]
    _workbook(inputs.path("population.xlsx"), [*header, *data], merges=merges)
    inputs.write_study(data={"population": "population.xlsx"})
    result, text = run_cli(inputs)
    file = f"'{inputs.path('population.xlsx')}'"
    assert_user_error(result, text, *(part.replace("{file}", file) for part in expected))


# ------------------------------------------------------ a plain osmnx GraphML (no metadata)


def _plain_graphml(inputs: Inputs, *, walk: bool) -> Path:
    import osmnx as ox

    osm = write_osm(inputs.path("plain.osm"), *_grid(one_way=not walk, footway=walk))
    graph = ox.graph_from_xml(osm, bidirectional=walk, simplify=False)
    path = inputs.path("walk.graphml" if walk else "drive.graphml")
    ox.save_graphml(graph, path)
    osm.unlink()
    return path


def test_plain_osmnx_drive_graphml_refused_for_walking(inputs: Inputs) -> None:
    path = _plain_graphml(inputs, walk=False)
    assert load_network(path, mode="drive", progress=False).number_of_edges() > 0  # fine to drive
    inputs.write_study(network={"walk": path.name}, modes=("drive", "walk"))
    result, text = run_cli(inputs)
    # before: walking silently followed the one-way street
    assert_user_error(result, text, f"'{path}'", "one-way street edge(s)", "--network walk=")


def test_plain_osmnx_walk_graphml_refused_for_driving(inputs: Inputs) -> None:
    path = _plain_graphml(inputs, walk=True)
    assert load_network(path, mode="walk", progress=False).number_of_edges() > 0  # fine to walk
    with pytest.raises(NetworkError, match="footpath edge"):
        load_network(path, mode="drive", progress=False)
    inputs.write_study(network={"drive": path.name})
    result, text = run_cli(inputs)
    assert_user_error(result, text, f"'{path}'", "it is a walk network, not a drive network")


# -------------------------------------------------------- dataset ids named in any message


_ID_CONTEXT = re.compile(
    r"(?:data fetch|dataset(?: id)?)\s+[`'\"(]*([a-z][a-z0-9]*(?:-[a-z0-9]+)+)", re.IGNORECASE
)


def _texts(path: Path) -> Iterator[str]:
    """Every string of a module as Python joins it (adjacent literals and f-string parts)."""
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )


def test_every_dataset_id_named_in_a_message_exists() -> None:
    known = {ds.id for ds in sources.datasets()}
    named: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for text in _texts(path):
            for match in _ID_CONTEXT.finditer(text):
                named.setdefault(match.group(1), set()).add(path.name)
    for path in sorted((SRC / "templates").rglob("*")):
        if path.is_file():
            for match in _ID_CONTEXT.finditer(path.read_text()):
                named.setdefault(match.group(1), set()).add(path.name)
    # the scan sees the advice of centres.py and a hint split over two literals in areas.py
    assert {"os-codepoint-open", "ons-lookup-lad23-utla23"} <= set(named)
    unknown = {i: sorted(files) for i, files in named.items() if i not in known}
    assert not unknown, f"messages name dataset ids that are not registered: {unknown}"


# ----------------------------------------------------- item 14: caches and datasets on use


@pytest.fixture
def server(tmp_path: Path, serve: Serve) -> FileServer:
    """A mirror of ``tmp_path/mirror`` on 127.0.0.1: ``/ok/<path>`` the file at <path> there,
    ``/html/...`` a web page with HTTP 200, anything else HTTP 404."""
    root = tmp_path / "mirror"
    root.mkdir()
    return serve(FileServer(folders={"/ok/": root}, faults={"/html/": "html"}, page=HTML_PAGE))


LOOKUP = (
    "ltla23_code,ltla23_name,utla23_code,utla23_name\nE07000034,Chesterfield,E10000007,Derbyshire\n"
)


def _own_dataset(server: FileServer) -> sources.Dataset:
    """A dataset of one's own, with the SHA-256 of the file the mirror serves."""
    ds = dataclasses.replace(sources.dataset(SMALL), id="my-lookup", arcgis_service=None)
    target = server.folders["/ok/"] / ds.local_name
    target.parent.mkdir(parents=True)
    target.write_text(LOOKUP)
    return dataclasses.replace(ds, local_sha256=hashlib.sha256(LOOKUP.encode()).hexdigest())


def _fetch_cli(*args: str) -> tuple[Result, str]:
    result = CliRunner().invoke(main, ["data", "fetch", *args, "--no-progress", "--retries", "0"])
    return result, _flat(result.output)


def test_truncated_cached_dataset_is_fetched_again(server: FileServer, tmp_path: Path) -> None:
    ds = _own_dataset(server)
    cache = tmp_path / "cache"
    cached = cache / ds.local_name
    cached.parent.mkdir(parents=True)
    cached.write_text(LOOKUP[:30])  # cut short
    path = sources.fetch(ds, cache=cache, base_url=server.url + "/ok", progress=False)
    # before: the truncated file was returned although its SHA-256 is registered
    assert path == cached and path.read_text() == LOOKUP
    assert server.requests == ["/ok/" + ds.local_name]


def test_truncated_cached_dataset_offline_says_it_was_removed(
    server: FileServer, tmp_path: Path
) -> None:
    ds = _own_dataset(server)
    cache = tmp_path / "cache"
    cached = cache / ds.local_name
    cached.parent.mkdir(parents=True)
    cached.write_text(LOOKUP[:30])
    with pytest.raises(DownloadError) as info:
        sources.fetch(ds, cache=cache, base_url=server.url + "/missing", progress=False, retries=0)
    message = str(info.value)
    assert f"The cached copy {cached} was unusable" in message
    assert "not the registered" in message and "404" in message
    assert not cached.exists()


def test_truncated_dataset_in_the_cache_through_the_cli(server: FileServer, tmp_path: Path) -> None:
    ds = sources.dataset(SMALL)
    cache = tmp_path / "cache"
    cached = cache / ds.local_name
    cached.parent.mkdir(parents=True)
    cached.write_text(LOOKUP)  # not the registered bytes
    result, text = _fetch_cli(SMALL, "--cache", str(cache), "--mirror", server.url + "/missing")
    assert_user_error(result, text, f"The cached copy {cached} was unusable", "404", repr(SMALL))
    assert server.requests == ["/missing/" + ds.local_name]  # only the local mirror was asked


def test_bad_file_in_a_data_folder_is_refused_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    bad = folder / sources.dataset(SMALL).local_name
    bad.parent.mkdir(parents=True)
    bad.write_text(LOOKUP)
    before = bad.read_bytes()
    result, text = _fetch_cli(SMALL, "--data-dir", str(folder), "--cache", str(tmp_path / "c"))
    assert_user_error(
        result,
        text,
        f"'{bad}': cannot use this file as dataset '{SMALL}'",
        "not the registered f98269",
        f"`centrereach data fetch {SMALL}`",
    )
    assert bad.read_bytes() == before  # the user's file is never removed or changed


def test_html_answer_from_a_mirror_is_not_saved(server: FileServer, tmp_path: Path) -> None:
    ds = sources.dataset("iod2025-file7")  # no checksum registered
    assert ds.sha256 is None and ds.local_sha256 is None
    cache = tmp_path / "cache"
    result, text = _fetch_cli(ds.id, "--cache", str(cache), "--mirror", server.url + "/html")
    assert_user_error(
        result, text, repr(ds.id), "web page (HTML, titled '404 Not Found')", "Nothing was saved"
    )
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))


def test_html_in_the_cache_never_stands_in_for_a_dataset(
    server: FileServer, tmp_path: Path
) -> None:
    table, file7 = sources.dataset("iod2025-lsoa21-table"), sources.dataset("iod2025-file7")
    cache = tmp_path / "cache"
    page = cache / file7.local_name
    assert file7.local_name == table.official_name  # the one path the two share
    page.parent.mkdir(parents=True)
    page.write_bytes(HTML_PAGE)  # what an older version saved from a mirror's HTTP 200
    with pytest.raises(DownloadError) as info:
        sources.fetch(
            table, cache=cache, base_url=server.url + "/missing", retries=0, progress=False
        )
    # before: the web page was returned as the deprivation table
    assert "web page (HTML" in str(info.value) and "was removed" in str(info.value)
    assert not page.exists()


def test_empty_dataset_file_without_checksum_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    empty = folder / sources.dataset("iod2025-file7").local_name
    empty.parent.mkdir(parents=True)
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match=r"the file is empty \(0 bytes\)"):
        sources.fetch("iod2025-file7", data_dir=folder, cache=tmp_path / "cache")
    assert empty.exists()


def test_registry_refuses_two_datasets_at_one_path_with_different_files() -> None:
    import importlib.resources
    import tomllib

    text = importlib.resources.files("centrereach").joinpath("datasets.toml").read_text("utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    record = data["datasets"]["iod2025-lsoa21-table"]
    record["url"] = "https://example.org/another/File_7.csv"  # another file at File 7's path
    with pytest.raises(DataFormatError) as info:
        sources._read_registry(data, source="datasets.toml")
    message = str(info.value)
    assert "iod2025-file7" in message and "iod2025-lsoa21-table" in message
    assert "File_7_IoD2025" in message


def test_a_dataset_study_file_uses_the_verified_file(tmp_path: Path, inputs: Inputs) -> None:
    """A study naming a dataset id with a damaged copy in --data-dir stops with the file named."""
    folder = tmp_path / "data"
    bad = folder / sources.dataset("iod2025-lsoa21-table").local_name
    bad.parent.mkdir(parents=True)
    bad.write_text(IMD_CSV)  # a valid CSV, but not the registered table
    inputs.write_study(data={"deprivation": "iod2025-lsoa21-table"})
    result, text = run_cli(inputs, "--data-dir", str(folder))
    assert_user_error(
        result, text, f"'{bad}': cannot use this file as dataset 'iod2025-lsoa21-table'"
    )
    assert_no_outputs(inputs)


# ---------------------------------------------------------- every error is a package error


def test_library_errors_are_package_errors(tmp_path: Path) -> None:
    """The loaders raise CentrereachError subclasses (the CLI turns them into exit code 2)."""
    cases: list[tuple[Callable[[], Any], type[Exception]]] = []
    folder = tmp_path / "folder"
    folder.mkdir()
    cases.append((lambda: load_centres(folder), DataNotFoundError))
    page = tmp_path / "population.csv.gz"
    page.write_bytes(HTML_PAGE)
    cases.append((lambda: read_population(page), DataFormatError))
    where = pd.DataFrame({"status": ["open"]}, index=pd.Index(["a"], name="centre_id"))
    cases.append(
        (lambda: scenario_from_spec("s", {"where": 'status == "x"'}, where), StudyFileError)
    )
    for call, error in cases:
        with pytest.raises(error) as info:
            call()
        assert isinstance(info.value, CentrereachError)
