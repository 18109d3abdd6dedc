"""The scrutiny report: self-contained, plain words, units, print CSS, sources; and the outputs."""

from __future__ import annotations

import re

import pytest

from centrereach import maps, report
from centrereach.synthetic import synthetic_study


@pytest.fixture(scope="module")
def result():
    return synthetic_study(n_side=16).run(progress=False)


@pytest.fixture(scope="module")
def html(result) -> str:
    return report.build_report(result)


@pytest.fixture(scope="module")
def rutland(shared_data, project_root, tmp_path_factory):
    """The Rutland example run on the real data, with its outputs written."""
    from centrereach.study import Study

    result = Study.from_toml(project_root / "studies" / "rutland-example.toml").run(
        data_dir=shared_data, progress=False
    )
    folder = tmp_path_factory.mktemp("rutland")
    written = report.write_outputs(result, folder)
    return result, folder, written


def test_self_contained_and_printable(html):
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html  # nothing to run
    assert not re.search(r"<(link|img|iframe)\b", html)  # nothing to fetch
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html
    assert "@page{size:A4" in html
    assert "tr{break-inside:avoid;page-break-inside:avoid}" in html
    assert "thead{display:table-header-group}" in html
    assert "print-color-adjust:exact" in html  # the map colours print


def test_synthetic_is_labelled(html):
    assert maps.SYNTHETIC_BANNER in html
    assert "content:'SYNTHETIC DATA: not a real place'" in html  # on every printed page
    assert (
        "<title>Synthshire family centres: closing two of six (synthetic demo) (SYNTHETIC" in html
    )


def test_headline_in_plain_words_with_units(result, html):
    h = result.headline("close-two", "walk")
    assert (
        f"the average journey on foot to the nearest open centre rises from "
        f"{h['all_before_min']:.1f} to {h['all_after_min']:.1f} minutes" in html
    )
    assert f"<b>{round(h['newly_beyond']):,} children</b> who live within 15 minutes" in html
    assert "in the 10% most deprived areas of England (IMD decile 1)" in html
    assert f"{h['areas_losing']} of {len(result.area_shapes)} areas" in html


def test_decile_table_before_and_after(result, html):
    tables = re.findall(r'<table class="deciles">(.*?)</table>', html, re.S)
    assert len(tables) == 2  # one per mode
    header = re.search(r"<thead>(.*?)</thead>", tables[0]).group(1)
    for text in ("Mean before (min)", "Mean after (min)", "Change (min)"):
        assert text in header
    for t in (15, 30, 45, 60):
        assert f"Within {t} min (% before → after)" in header
    s = result.summary
    deciles = s[(s["scenario"] == "close-two") & (s["mode"] == "drive")]["imd_decile"]
    assert tables[0].count("<tr>") == 1 + len(deciles)  # header + deciles + all
    row = s[(s["scenario"] == "baseline") & (s["mode"] == "drive") & (s["imd_decile"] == "all")]
    assert f"<td class='r'>{row['mean_time_min'].iloc[0]:.1f}</td>" in tables[0]


def test_charts_and_static_maps_are_inline_svg(result, html):
    assert html.count('<svg class="chart"') == 4  # 2 charts x 2 modes
    assert "minutes (children-weighted mean)" in html and "% of children" in html
    assert "IMD decile (1 = most deprived 10% in England)" in html
    n = len(result.area_shapes)
    maps_svg = re.findall(r'<svg class="static-map".*?</svg>', html, re.S)
    assert len(maps_svg) == 3  # deprivation + change by car + change on foot
    for svg in maps_svg:
        assert svg.count("<use ") == n
    assert html.count('<path id="a') == n  # outlines written once
    assert "centre closing" in html and "centre open" in html


def test_losers_districts_centres_equity(result, html):
    rows = maps.area_table(result, scenario="close-two", mode="walk")
    worst = rows["change_min"].idxmax()
    assert f"<span class='code'>{worst}</span>" in html
    assert "Areas whose journey grows most" in html
    assert '<table class="districts">' in html and "West Synthshire" in html
    assert "Average change per child (min)" in html
    assert "Ashby Green Family Centre" in html and "■ closes" in html
    assert "Concentration index (−1 to 1)" in html


def test_method_notes(html):
    assert "Method notes" in html
    assert "4.8 km/h" in html and "20 km/h" in html  # access legs
    assert "Exclusions." in html and "No area was left out." in html
    assert "Centre locations." in html and "synthetic (invented)" in html
    assert "Thresholds: 15 minutes, 30 minutes, 45 minutes, 60 minutes." in html


def test_write_report_is_atomic(result, tmp_path):
    path = report.write_report(result, tmp_path / "report.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_outputs_names_and_links(result, tmp_path):
    written = report.write_outputs(result, tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == [
        "maps/baseline_drive.html",
        "maps/baseline_walk.html",
        "maps/close-two_drive.html",
        "maps/close-two_walk.html",
        "report.html",
    ]
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    for name in names[:-1]:
        assert f"href='{name}'" in text
    assert "needs internet for Leaflet and the basemap" in text


def test_study_write_calls_write_outputs(result, tmp_path):
    target = result.write(tmp_path / "out")
    assert (target / "report.html").is_file()
    assert (target / "maps" / "close-two_walk.html").is_file()


@pytest.mark.slow
def test_rutland_report(rutland):
    result, folder, written = rutland
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Rutland (example centres): closing two of four family hubs" in html
    assert "SYNTHETIC" not in html
    # speed model, network and vintages from the run's metadata
    speed = result.metadata["networks"]["drive"]["speed_model"]["description"]
    assert maps._e(speed) in html
    assert "rutland-2018-02-27.osm.pbf" in html
    assert "LSOA boundaries of 2021" in html and "English Indices of Deprivation 2025" in html
    # sources with licences and attribution
    for text in maps.ATTRIBUTION:
        assert maps._e(text) in html
    assert "Open Database Licence (ODbL) v1.0" in html
    assert "Ministry of Housing, Communities and Local Government" in html
    # "No area is in England's 10% most deprived" - Rutland's most deprived decile is 6
    assert "No area here is in England's 10% most deprived" in html
    assert "Close Uppingham and Ketton" in html and "Close Uppingham only" in html
    assert len(written) == 7  # 3 scenarios (with baseline) x 2 modes + report
    for path in written:
        assert path.stat().st_size < 400_000


def test_report_has_an_optimise_section_after_optimise() -> None:
    from centrereach.report import build_report
    from centrereach.synthetic import synthetic_study

    result = synthetic_study(n_side=11, cells=2).run(progress=False)
    assert "Which centres to keep" not in build_report(result)
    best, extended, table = result.optimise(keep=4)
    page = build_report(extended)
    assert "Which centres to keep" in page
    assert f"{best.value:.2f} min" in page
    same = table[(table["open_centres"] == 4) & ~table["scenario"].str.startswith("best-keep")]
    for row in same.itertuples():
        assert f"{row.shortfall:+.2f} min" in page
    closed_names = [str(extended.centres.loc[c, "name"]) for c in best.closed_centres]
    assert all(name in page for name in closed_names)
