"""Maps: layers, legends, tooltips, markers, attribution, size, self-contained by default.

What a map shows is checked on its model (:func:`centrereach.maps.map_model`: layers, legend
rows with their units, tooltips, markers, sources, notes), and a few render tests check that the
folium page carries it (the area data written once, four layers drawing it, the basemap credit,
Leaflet inlined from its verified npm tarball, or linked with ``cdn=True``). ``test_browser.py``
checks the same files in a real browser.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from centrereach import maps
from centrereach.errors import CentrereachError, DataNotFoundError, UnknownScenarioError
from centrereach.synthetic import synthetic_study

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def result(synthetic_result):
    """Synthshire: 25 areas, two modes, one closure scenario (synthetic; conftest)."""
    return synthetic_result


@pytest.fixture(scope="module")
def real_like():
    """The same numbers, labelled as real data with exactly located centres."""
    study = synthetic_study(n_side=16)
    study = dataclasses.replace(
        study, synthetic=False, centres=study.centres.assign(location_quality="address")
    )
    return study.run(progress=False)


@pytest.fixture(scope="module")
def assets_dir() -> Path:
    """Leaflet's npm tarball for self-contained maps (downloaded once; skipped if impossible)."""
    try:
        return maps.fetch_offline_assets()
    except DataNotFoundError as exc:
        if CI:
            pytest.fail(f"map assets (Leaflet from the npm registry) unavailable under CI: {exc}")
        pytest.skip(f"map assets unavailable: {exc}")


def model(result, scenario: str, mode: str) -> maps.MapModel:
    """The map model of one scenario and mode: what the map shows, before any HTML."""
    return maps.map_model(
        result.scenario(scenario, mode),
        result.centre_table(scenario, mode),
        labels=result.map_labels(scenario, mode),
    )


def page(fmap) -> str:
    return fmap.get_root().render()


def area_data(html: str) -> dict:
    """The one GeoJSON FeatureCollection of a map page."""
    found = re.findall(r"var (area_data_\w+) = (\{\"type\":\"FeatureCollection\".*?\});\n", html)
    assert len(found) == 1, "the area GeoJSON must be written exactly once"
    return json.loads(found[0][1])


def legend_text(m: maps.MapModel) -> dict[str, list[str]]:
    return {section.title: [label for _, label in section.rows] for section in m.legend}


def test_layers_legends_and_feature_counts(result):
    m = model(result, "close-two", "drive")
    assert list(m.layers.values()) == [
        "Minutes after: Close the two 'closing' centres",
        "Minutes before: all centres open",
        "Change in minutes",
        "IMD decile (1 = most deprived)",
    ]
    assert m.default_layer == "after"
    n_areas = len(result.areas)
    assert len(m.features["features"]) == n_areas == result.table["lsoa_code"].nunique()
    for feature in m.features["features"]:
        assert set(feature["properties"]["fill"]) == {"after", "before", "change", "imd"}
    legend = legend_text(m)
    assert legend["Minutes to the nearest open centre"][0] == "15 min or less"
    assert "more than 60 min" in legend["Minutes to the nearest open centre"]
    assert "no change (within 0.5 min)" in legend["Change in minutes (after minus before)"]
    assert legend["IMD decile (1 = most deprived 10%)"][0] == "1 (most deprived 10%)"
    assert legend["Centres"] == ["Centre open in this scenario", "Centre closes in this scenario"]
    layers = {s.title: s.layers for s in m.legend}
    assert layers["Minutes to the nearest open centre"] == ("after", "before")
    assert layers["Change in minutes (after minus before)"] == ("change",)


def test_rendered_map_writes_the_areas_once_and_draws_every_layer(result):
    """One render smoke test: the folium page carries the model."""
    html = page(result.explore("close-two", "drive"))
    data = area_data(html)
    assert len(data["features"]) == len(result.areas)
    data_var = re.search(r"var (area_data_\w+) = \{", html).group(1)
    assert len(re.findall(rf"= L\.geoJson\({data_var},", html)) == 4  # four layers, one copy
    for text in (
        "Minutes after: Close the two",
        "15 min or less",
        "Centre closes in this scenario",
    ):
        assert text in html, text
    assert "L.control.scale" in html  # scale bar
    assert '"collapsed": false' in html  # the layer control is open


def test_tooltips_name_the_area_and_centres(result):
    m = model(result, "close-two", "walk")
    rows = result.scenario("close-two", "walk")
    tips = {f["id"]: f["properties"]["tip"] for f in m.features["features"]}
    code = rows["change_min"].idxmax()
    row = rows.loc[code]
    tip = tips[code]
    assert row["lsoa_name"] in tip and code in tip
    assert f"District: {row['lad_name']}" in tip
    assert f"IMD decile: {int(row['imd_decile'])}" in tip
    assert f"{int(row['children']):,}" in tip
    assert f"{row['baseline_time_min']:.1f} min" in tip and f"{row['time_min']:.1f} min" in tip
    assert row["baseline_centre_name"] in tip and row["centre_name"] in tip
    assert row["baseline_centre_name"] != row["centre_name"]
    assert "Change: <b>+" in tip


def test_tooltips_and_popups_escape_names(result):
    centres = result.centre_table("close-two", "walk")
    centres.iloc[0, centres.columns.get_loc("name")] = "<script>alert(1)</script> & Co"
    areas = result.scenario("close-two", "walk").assign(lsoa_name="<img src=x onerror=alert(1)>")
    m = maps.map_model(areas, centres, labels=result.map_labels("close-two", "walk"))
    assert all("<img" not in f["properties"]["tip"] for f in m.features["features"])
    assert "&lt;img src=x" in m.features["features"][0]["properties"]["tip"]
    popup = m.markers[0]["popup"]
    assert "<script>" not in popup and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in popup
    html = page(maps.impact_map(areas, centres, labels=result.map_labels("close-two", "walk")))
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_markers_differ_in_shape_and_colour(result):
    m = model(result, "close-two", "drive")
    kinds = {mk["id"]: mk["kind"] for mk in m.markers}
    closed = set(result.scenarios["close-two"].closed_centres)
    assert {k for k, v in kinds.items() if v == "closing"} == closed
    open_svg, closing_svg = maps.MARKER_SVG["open"], maps.MARKER_SVG["closing"]
    assert "<circle" in open_svg and maps.OPEN_COLOUR in open_svg and "<rect" not in open_svg
    assert "<rect" in closing_svg and "<path" in closing_svg
    assert maps.CLOSING_COLOUR in closing_svg
    table = result.centre_table("close-two", "drive")
    closing = table[table["kind"] == "closing"].iloc[0]
    popup = next(mk["popup"] for mk in m.markers if mk["name"] == closing["name"])
    assert "closes in this scenario" in popup
    assert f"{round(closing['served_before']):,} before, 0 after" in popup
    assert "Status in the centres file (status_2024): closing" in popup
    # every child has one nearest centre before and after
    assert table["served_before"].sum() == pytest.approx(table["served_after"].sum())
    html = page(result.explore("close-two", "drive"))
    markers = json.loads(re.search(r"\n(\[\{\"id\".*?\}\])\.forEach", html).group(1))
    assert {mk["kind"]: mk["icon"] for mk in markers}["closing"] == closing_svg


def test_attribution_on_the_map(real_like):
    m = model(real_like, "close-two", "drive")
    for text in maps.ATTRIBUTION:
        assert text + "." in m.sources
    assert not m.banner
    assert not any("approximate" in note for note in m.notes)  # every centre has an address
    html = page(real_like.explore("close-two", "drive"))
    assert "© OpenStreetMap contributors" in html and "ODbL" in html
    assert "Contains OS data © Crown copyright and database right 2025" in html
    assert "Contains National Statistics data © Crown copyright and database right" in html
    assert "Open Government Licence v3.0" in html
    assert "SYNTHETIC DATA" not in html


def test_synthetic_banner_and_approximate_note(result):
    m = model(result, "close-two", "drive")
    assert m.banner == maps.SYNTHETIC_BANNER
    n = len(result.centres)
    assert any(f"approximate for {n} of {n} centres" in note for note in m.notes)
    html = page(result.explore("close-two", "drive"))
    assert "class='cr-banner'" in html and maps.SYNTHETIC_BANNER in html


def test_baseline_map_has_before_and_deprivation_only(result):
    m = model(result, "baseline", "walk")
    assert list(m.layers.values()) == [
        "Minutes: all centres open",
        "IMD decile (1 = most deprived)",
    ]
    assert m.default_layer == "before"
    assert {mk["kind"] for mk in m.markers} == {"open"}
    assert "Centre closes in this scenario" not in legend_text(m)["Centres"]


def test_online_map_has_a_basemap_with_credit(result):
    html = page(result.explore("close-two", "drive"))
    assert "tile.openstreetmap.org" in html
    assert "OpenStreetMap\\u003c/a\\u003e contributors" in html  # the tiles' credit
    assert '"referrerPolicy": "strict-origin-when-cross-origin"' in html


def test_unknown_scenario_and_mode(result):
    with pytest.raises(UnknownScenarioError, match="close-two"):
        result.explore("nope", "drive")
    with pytest.raises(CentrereachError, match="drive, walk, transit, cycle"):
        result.explore("close-two", "boat")


def test_explore_draws_onto_an_existing_map(result):
    import folium

    fmap = folium.Map(location=[54.45, 1.35], zoom_start=10, tiles=None)
    same = result.explore("close-two", "drive", m=fmap)
    result.explore("close-two", "walk", m=fmap)
    assert same is fmap
    html = page(fmap)
    assert len(re.findall(r"var area_data_\w+ = \{", html)) == 2  # one per mode
    assert "Minutes after: Close the two 'closing' centres" in html
    assert "L.control.layers" not in html  # the layer control is the caller's


def test_bins_are_labelled_and_diverge_around_zero():
    t = maps.time_bins((15, 30, 45, 60))
    assert len(t.colours) == 5 and all("min" in label for label in t.labels)
    assert t.classify([15, 15.01, 60, 61, np.inf]).tolist() == [0, 1, 3, 4, -2]
    c = maps.change_bins()
    assert c.colours[len(c.colours) // 2] == "#f7f7f7"  # neutral in the middle
    assert c.classify([-0.4, 0.4]).tolist() == [4, 4]
    assert c.classify([-40, 40]).tolist() == [0, 8]
    i = maps.imd_bins()
    dark = [sum(int(col[k : k + 2], 16) for k in (1, 3, 5)) for col in i.colours]
    assert dark == sorted(dark)  # decile 1 darkest


def test_display_shapes_keep_neighbours_together():
    import geopandas as gpd
    import shapely
    from shapely.geometry import Polygon

    # two neighbours sharing a wiggly boundary (vertices every ~5 m)
    xs = np.linspace(-1.50, -1.49, 120)
    wiggle = [(x, 53.2 + 0.00002 * np.sin(k)) for k, x in enumerate(xs)]
    south = Polygon([(-1.50, 53.19), (-1.49, 53.19), *reversed(wiggle)])
    north = Polygon([*wiggle, (-1.49, 53.21), (-1.50, 53.21)])
    shapes = gpd.GeoSeries([south, north], index=["s", "n"], crs=4326)
    out = maps.display_shapes(shapes)
    assert (
        shapely.get_num_coordinates(out.to_numpy()).sum()
        < 0.5 * shapely.get_num_coordinates(shapes.to_numpy()).sum()
    )
    assert out.iloc[0].intersection(out.iloc[1]).length > 0.009  # still share the boundary
    coords = shapely.get_coordinates(out.to_numpy())
    assert np.allclose(coords, np.round(coords, 5))


def test_save_map_is_atomic_and_readable(result, tmp_path):
    path = maps.save_map(result.explore("close-two", "drive"), tmp_path / "m.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]


def test_maps_are_self_contained_by_default(result, assets_dir, tmp_path):
    fmap = result.explore("close-two", "walk")
    html = page(fmap)
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert "Leaflet 1.9.3" in html  # the library's own banner, inlined
    assert ".leaflet-pane" in html  # its stylesheet
    assert "data:image/png;base64," in html  # the stylesheet's images, inlined too
    # the basemap is there for who has internet; the page says when it does not load
    assert "L.tileLayer" in html and "Basemap: see the credit at the bottom right." in html
    assert maps.NO_BASEMAP_OFFLINE in html and '"tileerror"' in html
    assert len(area_data(html)["features"]) == len(result.areas)
    # the notebook display is the same self-contained page
    assert "cdn.jsdelivr" not in fmap._repr_html_()
    no_tiles = page(result.explore("close-two", "walk", tiles=None))
    assert "L.tileLayer" not in no_tiles and "No basemap: area outlines only." in no_tiles


def test_cdn_map_links_leaflet_and_says_so_without_it(result):
    html = page(result.explore("close-two", "walk", cdn=True))
    assert re.search(
        r'<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">', html
    )
    assert "Leaflet 1.9.3" not in html
    assert "typeof L === 'undefined'" in html and "This map needs the internet" in html


def _leaflet_tarball(assets_dir: Path) -> Path:
    return assets_dir / "leaflet-1.9.3.tgz"


def test_a_damaged_leaflet_in_the_cache_is_never_inlined(result, assets_dir, tmp_path):
    """A truncated leaflet tarball (issue 11): detected on use, downloaded again or refused."""
    import warnings

    from centrereach.errors import MapAssetsWarning

    good = _leaflet_tarball(assets_dir).read_bytes()
    damaged = tmp_path / "assets"
    damaged.mkdir()
    _leaflet_tarball(damaged).write_bytes(good[: len(good) // 2])
    # no download allowed: the map links Leaflet instead, loudly, and says how to get it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = page(result.explore("close-two", "walk", assets_dir=damaged, fetch_assets=False))
    [warning] = [w for w in caught if issubclass(w.category, MapAssetsWarning)]
    text = str(warning.message)
    assert "is damaged" in text and "registry.npmjs.org/leaflet/-/leaflet-1.9.3.tgz" in text
    assert str(damaged) in text and "--cdn" in text
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3" in html and "This map needs the internet" in html
    # with the registry at hand, the damaged file is replaced by a verified one
    html = page(result.explore("close-two", "walk", assets_dir=damaged))
    assert "Leaflet 1.9.3" in html and "cdn.jsdelivr" not in html
    assert _leaflet_tarball(damaged).read_bytes() == good


def test_without_assets_or_registry_the_message_says_how_to_get_them(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        maps.fetch_offline_assets(directory=tmp_path / "empty", registry="http://127.0.0.1:9")
    message = str(info.value)
    assert "http://127.0.0.1:9/leaflet/-/leaflet-1.9.3.tgz" in message
    assert f"put it in {tmp_path / 'empty'} as leaflet-1.9.3.tgz" in message
    assert "sha512-iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8" in message  # the integrity to check
    assert "CENTREREACH_ASSETS_DIR" in message and "--cdn" in message
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").iterdir())


def test_the_recorded_integrity_is_the_registrys(assets_dir):
    """The tarball in the cache matches the integrity recorded in the code (sha512)."""
    import base64
    import hashlib

    from centrereach import _assets

    data = _leaflet_tarball(assets_dir).read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert digest == _assets._INTEGRITY["leaflet@1.9.3"]


@pytest.mark.slow
def test_derbyshire_map_stays_small(shared_data, project_root, tmp_path):
    """499 real LSOA 2021 boundaries, 22 centres, random minutes: the map is under 3 MB."""
    import centrereach
    from centrereach.results import StudyResult
    from centrereach.scenarios import BASELINE, Scenario, scenario_from_spec

    areas = centrereach.load_areas(
        shared_data / "ons" / "lsoa21_bsc_england_wales.geojson",
        deprivation=shared_data / "iod2025" / "imd2025_england_lsoa21_scores_ranks_deciles.csv",
        population=shared_data
        / "iod2025"
        / "File_6_IoD2025_Population_Denominators_DERBYSHIRE.csv",
        study_area="Derbyshire",
        county_lookup=shared_data / "ons" / "lookup_lad23_utla23.csv",
        lad_lookup=shared_data / "ons" / "lookup_lsoa21_ward24_lad24.csv",
    )
    assert len(areas) == 499
    centres = centrereach.load_centres(
        project_root / "data" / "derbyshire_childrens_centres_2024.csv"
    )
    rng = np.random.default_rng(2024)
    matrix = pd.DataFrame(
        rng.uniform(2.0, 70.0, size=(len(areas), len(centres))),
        index=areas.index,
        columns=centres.index,
    )
    decision = {"label": "2024 decision", "where": 'status_2024 == "retained"'}
    result = StudyResult.from_matrices(
        {"drive": matrix},
        centres=centres,
        areas=areas,
        scenarios=[
            Scenario(BASELINE, "All centres open", tuple(centres.index)),
            scenario_from_spec("decision-2024", decision, centres),
        ],
        name="derbyshire-size",
        title="Derbyshire (random minutes, for the size test)",
        status_column="status_2024",
    )
    for cdn in (True, False):
        if not cdn:
            try:
                maps.fetch_offline_assets()
            except DataNotFoundError:
                if CI:
                    raise
                continue
        fmap = result.explore("decision-2024", "drive", cdn=cdn)
        path = maps.save_map(fmap, tmp_path / f"derbyshire-{cdn}.html")
        size = path.stat().st_size
        assert size < 3_000_000, f"{size:,} bytes"
        html = path.read_text(encoding="utf-8")
        assert len(area_data(html)["features"]) == 499
        assert html.count("cr-marker-closing") >= 10  # the ten closing centres (+ legend)
        assert "Centre locations are approximate" in html and "for 19 of 22 centres" in html
