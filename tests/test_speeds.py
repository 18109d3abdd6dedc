"""The UK speed model: maxspeed parsing, defaults by road class, realism and descriptions.

The tables and figures of docs/method-network.md §4 are read and compared with the code.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrereach.speeds import (
    MPH_TO_KPH,
    UK_DEFAULT_SPEEDS_MPH,
    SpeedModel,
    mph,
    parse_maxspeed,
)

MPH = 1.609344
METHOD_DOC = Path(__file__).resolve().parents[1] / "docs" / "method-network.md"


@pytest.mark.parametrize(
    ("value", "kwargs", "expected_kph"),
    [
        pytest.param("30 mph", {}, 30 * MPH, id="30 mph"),
        pytest.param("20 mph", {}, 20 * MPH, id="20 mph"),
        pytest.param("30mph", {}, 30 * MPH, id="no space"),
        pytest.param("40 MPH", {}, 40 * MPH, id="upper case"),
        pytest.param("30", {}, 30.0, id="bare number is km/h"),
        pytest.param("50 km/h", {}, 50.0, id="km/h"),
        pytest.param("50 kph", {}, 50.0, id="kph"),
        pytest.param("10 knots", {}, 18.52, id="knots"),
        pytest.param("GB:nsl_single", {}, 60 * MPH, id="GB:nsl_single"),
        pytest.param("UK:nsl_single", {}, 60 * MPH, id="UK:nsl_single"),
        pytest.param("GB:nsl_dual", {}, 70 * MPH, id="GB:nsl_dual"),
        pytest.param("UK:motorway", {}, 70 * MPH, id="UK:motorway"),
        pytest.param("GB:motorway", {}, 70 * MPH, id="GB:motorway"),
        pytest.param("national", {"highway": "motorway"}, 70 * MPH, id="national motorway"),
        pytest.param(
            "national",
            {"highway": "trunk", "dual_carriageway": True},
            70 * MPH,
            id="national dual carriageway",
        ),
        pytest.param("national", {"highway": "tertiary"}, 60 * MPH, id="national single"),
        pytest.param("national", {}, 60 * MPH, id="national unknown road"),
        pytest.param("GB:nsl_restricted", {}, 30 * MPH, id="GB:nsl_restricted"),
        pytest.param("GB:urban", {}, 30 * MPH, id="GB:urban"),
        pytest.param("UK:urban", {}, 30 * MPH, id="UK:urban"),
        pytest.param("GB:zone20", {}, 20 * MPH, id="20 mph zone"),
        pytest.param("GB_nsl:single", {}, 60 * MPH, id="misspelt nsl"),
        pytest.param("none", {}, None, id="none"),
        pytest.param("signals", {}, None, id="signals"),
        pytest.param("walk", {}, 6.0, id="walk"),
        pytest.param("30 mph;40 mph", {}, 30 * MPH, id="list takes the lowest"),
        pytest.param("40;30", {}, 30.0, id="list of km/h"),
        pytest.param("20-30 mph", {}, 20 * MPH, id="range takes the lowest"),
        pytest.param(None, {"maxspeed_type": "GB:nsl_single"}, 60 * MPH, id="type tag only"),
        pytest.param(None, {"maxspeed_type": "GB:nsl_dual"}, 70 * MPH, id="type tag dual"),
        pytest.param(None, {"maxspeed_type": "uk:national"}, 60 * MPH, id="type national"),
        pytest.param("signals", {"maxspeed_type": "GB:motorway"}, 70 * MPH, id="type fallback"),
        pytest.param("20 mph", {"maxspeed_type": "GB:nsl_single"}, 20 * MPH, id="value wins"),
        pytest.param(None, {}, None, id="missing"),
        pytest.param("fast", {}, None, id="garbage word"),
        pytest.param("", {}, None, id="empty"),
        pytest.param("mph", {}, None, id="unit only"),
        pytest.param("0", {}, None, id="zero"),
        pytest.param("-30", {}, None, id="negative"),
        pytest.param("9999", {}, None, id="implausible"),
        pytest.param("30 furlongs", {}, None, id="unknown unit"),
    ],
)
def test_parse_maxspeed(value: str | None, kwargs: dict, expected_kph: float | None) -> None:
    got = parse_maxspeed(value, **kwargs)
    if expected_kph is None:
        assert got is None
    else:
        assert got == pytest.approx(expected_kph, rel=1e-12)


def test_mph_conversion_is_exact() -> None:
    assert MPH_TO_KPH == 1.609344
    assert mph(30) == 30 * 1.609344
    assert parse_maxspeed("30 mph") == pytest.approx(48.28032, abs=1e-9)


@given(st.text(max_size=30))
def test_parse_maxspeed_never_raises(text: str) -> None:
    got = parse_maxspeed(text)
    assert got is None or (math.isfinite(got) and 0 < got <= 250)


@given(st.integers(min_value=1, max_value=150))
def test_parse_maxspeed_mph_numbers(n: int) -> None:
    assert parse_maxspeed(f"{n} mph") == pytest.approx(n * MPH, rel=1e-12)


@pytest.mark.parametrize(
    ("highway", "expected_mph"),
    [
        ("motorway", 70),
        ("motorway_link", 40),
        ("trunk", 60),
        ("trunk_link", 40),
        ("primary", 50),
        ("secondary", 40),
        ("tertiary", 40),
        ("unclassified", 30),
        ("residential", 30),
        ("living_street", 10),
        ("service", 10),
        ("road", 30),
        ("some_new_class", 30),  # the fallback
        (None, 30),
    ],
)
def test_defaults_by_road_class(highway: str | None, expected_mph: float) -> None:
    free = SpeedModel.free_flow()
    assert free.limit_kph(highway=highway) == pytest.approx(expected_mph * MPH)
    assert free.drive_kph(highway=highway) == pytest.approx(expected_mph * MPH)
    assert SpeedModel.realistic().drive_kph(highway=highway) == pytest.approx(
        0.8 * expected_mph * MPH
    )


def test_tagged_limit_beats_default() -> None:
    model = SpeedModel.free_flow()
    assert model.limit_kph(highway="residential", maxspeed="20 mph") == pytest.approx(20 * MPH)
    assert model.limit_kph(highway="residential", maxspeed="nonsense") == pytest.approx(30 * MPH)


def test_custom_defaults_and_validation() -> None:
    model = SpeedModel(defaults_kph={"residential": 25.0}, realism_factor=1.0, fallback_kph=20.0)
    assert model.drive_kph(highway="residential") == 25.0
    assert model.drive_kph(highway="motorway") == 20.0  # not in the custom table: fallback
    assert "custom road-class defaults" in model.describe("drive")
    for bad in (
        {"realism_factor": 0.0},
        {"realism_factor": 2.0},
        {"junction_delay_s": -1.0},
        {"walk_kph": 0.0},
        {"defaults_kph": {"residential": -5.0}},
    ):
        with pytest.raises(ValueError, match="must be"):
            SpeedModel(**bad)


def test_defaults_cannot_be_changed_through_the_callers_dict() -> None:
    table = {"residential": 25.0}
    model = SpeedModel(defaults_kph=table)
    table["residential"] = 99.0
    assert model.defaults_kph["residential"] == 25.0
    with pytest.raises(TypeError):
        model.defaults_kph["residential"] = 1.0  # type: ignore[index]


def _doc_section(number: str) -> str:
    """Section ``### <number> ...`` of docs/method-network.md, up to the next heading."""
    text = METHOD_DOC.read_text(encoding="utf-8")
    match = re.search(rf"^### {re.escape(number)} .*?$(.*?)(?=^#)", text, flags=re.M | re.S)
    assert match, f"{METHOD_DOC.name} has no section '### {number}'"
    return match.group(1)


def _doc_table(section: str) -> list[list[str]]:
    """The body rows of the first Markdown table in ``section``, as lists of stripped cells."""
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    assert len(lines) > 2, "no table in the section"
    assert re.fullmatch(r"\|[-:| ]+\|", lines[1]), lines[1]  # header, rule, then the body
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_default_table_matches_documented_mph() -> None:
    """docs/method-network.md §4.3 is the table of UK defaults the code uses, class by class."""
    documented: dict[str, float] = {}
    fallback_mph = None
    for classes, default, _reason in _doc_table(_doc_section("4.3")):
        number = re.fullmatch(r"(\d+(?:\.\d+)?) mph", default)
        assert number, f"§4.3: cannot read the default {default!r} of {classes}"
        if classes == "(any other)":
            fallback_mph = float(number[1])
            continue
        for highway in classes.split(","):
            assert highway.strip() not in documented, f"§4.3 lists {highway} twice"
            documented[highway.strip()] = float(number[1])
    model = SpeedModel()
    assert set(documented) == set(model.defaults_kph), (
        f"only in the docs: {sorted(set(documented) - set(model.defaults_kph))}; "
        f"only in the code: {sorted(set(model.defaults_kph) - set(documented))}"
    )
    assert documented == dict(UK_DEFAULT_SPEEDS_MPH)
    free = SpeedModel.free_flow()
    for highway, value in documented.items():
        assert model.defaults_kph[highway] == pytest.approx(value * MPH, rel=1e-12), highway
        assert free.limit_kph(highway=highway) == pytest.approx(value * MPH, rel=1e-12), highway
    assert fallback_mph is not None, "§4.3 has no '(any other)' row"
    assert model.fallback_kph == pytest.approx(fallback_mph * MPH, rel=1e-12)
    assert free.limit_kph(highway="no_such_class") == pytest.approx(fallback_mph * MPH)


def test_maxspeed_table_matches_parse_maxspeed() -> None:
    """Every value in docs/method-network.md §4.2 with one number (or none) parses to it."""
    checked = 0
    for values, kph, _note in _doc_table(_doc_section("4.2")):
        if kph == "—":
            expected = None
        elif re.fullmatch(r"\d+(?:\.\d+)?", kph):
            expected = float(kph)
        else:
            continue  # "the lowest", "as the correct form", "112.65408 or 96.56064": see above
        for value in re.findall(r"`([^`]+)`", values):
            got = parse_maxspeed(value)
            if expected is None:
                assert got is None, (value, got)
            else:
                assert got == pytest.approx(expected, abs=1e-9), (value, got, expected)
            checked += 1
    assert checked >= 20, f"only {checked} documented values checked: has the table changed?"


def test_default_model_is_the_documented_one() -> None:
    """§4.4 and §4.5: the default multiplies limits by the documented factor, adds no junction
    delay unless asked, says what it does in the documented words, and walks at 4.8 km/h."""
    realism = _doc_section("4.4")
    factor = re.search(
        r"multiplies every limit \(tagged or\s+default\) by \*\*([\d.]+)\*\*", realism
    )
    delay = re.search(r"`junction_delay_s` \(default ([\d.]+)\)", realism)
    words = re.search(r'The report states it as: \*"(.*?)"\*', realism, flags=re.S)
    walk = re.search(r"^([\d.]+) km/h on every edge of the walk network", _doc_section("4.5"), re.M)
    assert factor and delay and words and walk, "the wording of §4.4/§4.5 changed: update the test"
    model = SpeedModel()
    assert model == SpeedModel.realistic()
    # behaviour, not fields: a 30 mph residential street and a tagged 20 mph limit
    assert model.drive_kph(highway="residential") == pytest.approx(float(factor[1]) * 30 * MPH)
    assert model.drive_kph(maxspeed="20 mph") == pytest.approx(float(factor[1]) * 20 * MPH)
    assert model.junction_delay_s == float(delay[1])
    assert model.describe("drive") == " ".join(words[1].split())
    assert model.walk_kph == float(walk[1])
    assert model.describe("walk").startswith(f"Walking: {float(walk[1]):g} km/h")


def test_speed_model_has_one_public_home() -> None:
    import importlib.util

    import centrereach
    from centrereach import network, speeds

    assert centrereach.SpeedModel is network.SpeedModel is speeds.SpeedModel
    assert network.parse_maxspeed is speeds.parse_maxspeed
    assert importlib.util.find_spec("centrereach._speeds") is None  # no private twin


def test_describe() -> None:
    assert SpeedModel.realistic().describe("drive") == (
        "Driving: speed limits as tagged in OpenStreetMap (UK defaults by road class where "
        "untagged) × 0.8, as OSRM's car profile"
    )
    assert "(free flow at the limit)" in SpeedModel.free_flow().describe("drive")
    assert "plus 10 s at each junction" in SpeedModel(junction_delay_s=10).describe("drive")
    assert SpeedModel().describe("walk").startswith("Walking: 4.8 km/h")
    assert "DfT" not in SpeedModel(walk_kph=4.0).describe("walk")


def test_to_dict_is_json_and_round_trips() -> None:
    model = SpeedModel(realism_factor=0.7, junction_delay_s=5.0, walk_kph=4.5)
    record = json.loads(json.dumps(model.to_dict()))
    assert record["realism_factor"] == 0.7
    assert SpeedModel.from_dict(record) == model
