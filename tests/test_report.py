"""The scrutiny report: self-contained, plain words, units, print CSS, sources; escaping by type."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import jinja2
import pytest
from markupsafe import escape

from centrereach import maps, report
from centrereach._templates import environment, render
from centrereach._words import SYNTHETIC_BANNER
from centrereach.results import StudyResult
from centrereach.synthetic import synthetic_study

EVIL_CENTRE = "<script>alert(1)</script> & Co"
EVIL_LABEL = "Close <b>two</b> & more"
EVIL_EVIDENCE = '<img src=x onerror="alert(2)"> OpenStreetMap way 1'


@pytest.fixture(scope="module")
def result() -> StudyResult:
    return synthetic_study(n_side=16).run(progress=False)


@pytest.fixture(scope="module")
def html(result: StudyResult) -> str:
    return report.build_report(result)


@pytest.fixture(scope="module")
def optimised(result: StudyResult):
    return result.optimise(keep=4)


@pytest.fixture(scope="module")
def evil(result: StudyResult) -> StudyResult:
    """The synthetic study with a hostile centre name, area name, evidence and scenario label."""
    centres = result.centres.copy()
    centres.loc["ashby-green", "name"] = EVIL_CENTRE
    centres["location_evidence"] = ""
    centres.loc["ashby-green", "location_evidence"] = EVIL_EVIDENCE
    areas = result.areas.copy()
    areas["lsoa_name"] = areas["lsoa_name"] + " <i>&</i>"
    changed = dataclasses.replace(result, centres=centres, areas=areas, title="Synth <u>shire</u>")
    return changed.with_scenarios(evil={"close": ["ashby-green", "eastwick"], "label": EVIL_LABEL})


@pytest.fixture(scope="module")
def rutland(shared_data: Path, project_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """The Rutland example run on the real data, with its report and maps written."""
    from centrereach.errors import ModeSkippedWarning, SnapWarning
    from centrereach.study import Study

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)  # expected: one origin 866 m off the roads
        warnings.simplefilter("ignore", ModeSkippedWarning)  # expected: no GTFS offline
        result = Study.from_toml(project_root / "studies" / "rutland-example.toml").run(
            data_dir=shared_data, progress=False
        )
    folder = tmp_path_factory.mktemp("rutland")
    written = report.write_report_and_maps(result, folder)
    return result, folder, written


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------


def test_self_contained_and_printable(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html  # nothing to run
    assert not re.search(r"<(link|img|iframe)\b", html)  # nothing to fetch
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html
    assert "@page{size:A4" in html
    assert "tr{break-inside:avoid;page-break-inside:avoid}" in html
    assert "thead{display:table-header-group}" in html
    assert "print-color-adjust:exact" in html  # the map colours print


def test_synthetic_is_labelled(html: str) -> None:
    assert SYNTHETIC_BANNER in html
    assert "content:'SYNTHETIC DATA: not a real place'" in html  # on every printed page
    assert (
        "<title>Synthshire family centres: closing two of six (synthetic demo) (SYNTHETIC" in html
    )


def test_headline_in_plain_words_with_units(result: StudyResult, html: str) -> None:
    h = result.headline("close-two", "walk")
    assert (
        f"the average journey on foot to the nearest open centre rises from "
        f"{h.all_before_min:.1f} to {h.all_after_min:.1f} minutes" in html
    )
    assert f"<b>{round(h.newly_beyond):,} children</b> who live within 15 minutes" in html
    assert "in the 10% most deprived areas of England (IMD decile 1)" in html
    assert f"{h.areas_losing} of {len(result.areas)} areas" in html


def test_decile_table_before_and_after(result: StudyResult, html: str) -> None:
    tables = re.findall(r'<table class="deciles">(.*?)</table>', html, re.S)
    assert len(tables) == 4  # one per mode (car, foot, public transport, bike)
    header = re.search(r"<thead>(.*?)</thead>", tables[0], re.S).group(1)
    for text in ("Mean before (min)", "Mean after (min)", "Change (min)"):
        assert text in header
    for t in (15, 30, 45, 60):
        assert f"Within {t} min (% before → after)" in header
    s = result.summary
    drive = s[(s["scenario"] == "close-two") & (s["mode"] == "drive")]
    deciles = int((drive["group"] == "decile").sum())
    assert tables[0].count("<tr>") == 1 + deciles + 1  # header + deciles + all areas
    row = s[(s["scenario"] == "baseline") & (s["mode"] == "drive") & (s["group"] == "all")]
    assert f'<td class="r">{row["mean_time_min"].iloc[0]:.1f}</td>' in tables[0]
    assert "<b>All areas</b>" in tables[0]


def test_charts_and_static_maps_are_inline_svg(result: StudyResult, html: str) -> None:
    assert html.count('<svg class="chart"') == 8  # 2 charts x 4 modes
    assert "minutes (children-weighted mean)" in html and "% of children" in html
    assert "IMD decile (1 = most deprived 10% in England)" in html
    n = len(result.areas)
    maps_svg = re.findall(r'<svg class="static-map".*?</svg>', html, re.S)
    assert len(maps_svg) == 5  # deprivation + the change by car, on foot, by bus and by bike
    for svg in maps_svg:
        assert svg.count("<use ") == n
    assert html.count('<path id="a') == n  # outlines written once
    assert "centre closing" in html and "centre open" in html


def test_losers_districts_centres_equity(result: StudyResult, html: str) -> None:
    rows = result.scenario("close-two", "walk")
    worst = rows["change_min"].idxmax()
    assert f'<span class="code">{worst}</span>' in html
    assert "Areas whose journey grows most" in html
    assert '<table class="districts">' in html and "West Synthshire" in html
    assert "Average change per child (min)" in html
    assert "Ashby Green Family Centre" in html and "■ closes" in html
    assert "Concentration index (−1 to 1)" in html


def test_method_notes(html: str) -> None:
    assert "Method notes" in html
    assert "4.8 km/h" in html and "20 km/h" in html  # access legs
    assert "Exclusions." in html and "No area was left out." in html
    assert "Centre locations." in html and "synthetic (invented)" in html
    assert "Thresholds: 15 minutes, 30 minutes, 45 minutes, 60 minutes." in html


def test_one_section_per_comparison(result: StudyResult) -> None:
    content = report.report_content(result)
    assert [h.scenario for h in content["headlines"]] == ["close-two"] * 4
    assert [h.mode for h in content["headlines"]] == [
        "by car",
        "on foot",
        "by public transport",
        "by bike",
    ]
    assert [p.name for p in content["scenarios"]] == ["close-two"]
    assert [m.title for m in content["scenarios"][0].modes] == [
        "By car",
        "On foot",
        "By public transport",
        "By bike",
    ]
    deciles = content["scenarios"][0].modes[0].deciles
    assert deciles[-1][0] == "All areas" and deciles[0][0] == "1 (most deprived)"


# --------------------------------------------------------------------------------------------
# location evidence
# --------------------------------------------------------------------------------------------


def test_centre_table_shows_location_evidence(result: StudyResult, html: str) -> None:
    assert "Location evidence" not in html  # the synthetic centres file has none
    centres = result.centres.copy()
    centres["location_evidence"] = ""
    centres.loc["castleton", "location_evidence"] = "OpenStreetMap way 42, building centroid"
    page = report.build_report(dataclasses.replace(result, centres=centres))
    table = re.search(r'<table class="centres">(.*?)</table>', page, re.S).group(1)
    assert '<th scope="col">Location evidence</th>' in table
    row = next(r for r in table.split("<tr>") if "Castleton Family Centre" in r)
    assert '<td class="evidence">OpenStreetMap way 42, building centroid</td>' in row
    assert "6 synthetic (invented)" in page  # centres counted by location quality
    assert "The table of centres gives the evidence for each location." in page


def test_chesterfield_centres_as_exact_as_known(chesterfield_result: StudyResult) -> None:
    """The centres file places Holme Hall and Birdholme at their buildings: the report counts
    centres by location quality, warns about the two still approximate, and shows the evidence
    in its table and the map popups."""
    page = report.build_report(chesterfield_result)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert (
        "By location quality: 2 building (at the building (within a few metres)); 2 settlement"
        in text
    )
    assert "2 of 4 centre locations are approximate" in text
    table = re.search(r'<table class="centres">(.*?)</table>', page, re.S).group(1)
    holme = next(r for r in table.split("<tr>") if "Holme Hall" in r)
    assert "exact" in holme and "OpenStreetMap way 303692075" in holme
    brimington = next(r for r in table.split("<tr>") if "Brimington" in r)
    assert "approximate (settlement)" in brimington
    fmap = chesterfield_result.explore("decision-2024", "walk", cdn=True)
    html = fmap.get_root().render()
    assert "Centre locations are approximate for 2 of 4 centres" in html
    assert "OpenStreetMap way 121952326" in html  # Birdholme's evidence, in its popup


# --------------------------------------------------------------------------------------------
# escaping and templates
# --------------------------------------------------------------------------------------------


def test_names_from_the_data_are_escaped(evil: StudyResult) -> None:
    page = report.build_report(evil, map_links=True)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "<b>two</b>" not in page
    assert "Close &lt;b&gt;two&lt;/b&gt; &amp; more" in page
    assert 'href="#scenario-evil"' in page
    assert "<img" not in page and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page
    assert "<i>&</i>" not in page and "Synthshire 001 &lt;i&gt;&amp;&lt;/i&gt;" in page
    assert "<u>" not in page and "<h1>Synth &lt;u&gt;shire&lt;/u&gt;</h1>" in page


def test_templates_use_strict_undefined() -> None:
    env = environment()
    assert env.undefined is jinja2.StrictUndefined and env.autoescape is True
    names = [n for n in env.list_templates() if n.startswith("report/")]
    assert sorted(names) == [
        "report/report.css",
        "report/report.html.j2",
        "report/sections.html.j2",
        "report/svg.html.j2",
    ]
    for name in names:
        env.get_template(name)  # parses
    with pytest.raises(jinja2.UndefinedError):
        render("report/report.html.j2", study={"title": "t"})


@pytest.mark.parametrize("variant", ["plain", "links", "cdn", "optimised", "evil"])
def test_every_template_renders(variant: str, result, optimised, evil) -> None:
    """Every section and branch renders under StrictUndefined (an unknown name would raise)."""
    if variant == "optimised":
        page = report.build_report(optimised.result)
        assert "Which centres to keep" in page
    elif variant == "evil":
        page = report.build_report(evil, cdn=True, map_links=True)
    else:
        page = report.build_report(result, map_links=variant != "plain", cdn=variant == "cdn")
    for heading in ("At a glance", "Where the deprived areas are", "Fairness measures",
                    "Method notes", "Data sources and licences"):  # fmt: skip
        assert f"<h2>{heading}</h2>" in page
    assert page.rstrip().endswith("</html>")


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------


def test_write_report_is_atomic(result: StudyResult, tmp_path: Path) -> None:
    path = report.write_report(result, tmp_path / "report.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_report_and_maps_names_and_links(result: StudyResult, tmp_path: Path) -> None:
    written = report.write_report_and_maps(result, tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == [
        f"maps/{scenario}_{mode}.html"
        for scenario in ("baseline", "close-two")
        for mode in ("cycle", "drive", "transit", "walk")
    ] + ["report.html"]
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    for name in names[:-1]:
        assert f'href="{name}"' in text
    # the maps are self-contained by default, and the report says so
    assert "opens with no internet; the basemap behind the areas needs internet" in text
    assert "cdn.jsdelivr.net" not in (tmp_path / names[0]).read_text(encoding="utf-8")
    cdn = report.write_report_and_maps(result, tmp_path / "cdn", cdn=True)
    assert "needs internet for Leaflet and the basemap" in cdn[-1].read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net/npm/leaflet@" in cdn[0].read_text(encoding="utf-8")


def test_write_outputs_writes_report_and_maps(result: StudyResult, tmp_path: Path) -> None:
    from centrereach.outputs import write_outputs

    target = write_outputs(result, tmp_path / "out")
    assert (target / "report.html").is_file()
    assert (target / "maps" / "close-two_walk.html").is_file()


@pytest.mark.slow
@pytest.mark.shared_data
def test_rutland_report(rutland) -> None:
    result, folder, written = rutland
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Rutland (example centres): closing two of four family hubs" in html
    assert "SYNTHETIC" not in html
    # speed model, network and vintages from the run's provenance
    speed = result.provenance["networks"]["drive"]["speed_model"]["description"]
    assert str(escape(speed)) in html
    assert "rutland-2018-02-27.osm.pbf" in html
    assert "LSOA boundaries of 2021" in html and "English Indices of Deprivation 2025" in html
    # sources with licences and attribution
    for text in maps.ATTRIBUTION:
        assert str(escape(text)) in html
    assert "Open Database Licence (ODbL) v1.0" in html
    assert "Ministry of Housing, Communities and Local Government" in html
    # "No area is in England's 10% most deprived" - Rutland's most deprived decile is 6
    assert "No area here is in England's 10% most deprived" in html
    assert "Close Uppingham and Ketton" in html and "Close Uppingham only" in html
    # 3 scenarios (with baseline) x 3 modes (no GTFS offline: no transit) + report
    assert len(written) == 10
    for path in written:
        assert path.stat().st_size < 400_000


def test_report_has_an_optimise_section_after_optimise(html: str, optimised) -> None:
    assert "Which centres to keep" not in html
    best, extended, table = optimised.best, optimised.result, optimised.comparison
    page = report.build_report(extended)
    assert "Which centres to keep" in page
    assert f"{best.value:.2f} min" in page
    same = table[(table["open_centres"] == 4) & ~table["scenario"].str.startswith("best-keep")]
    assert len(same)  # the study's scenario keeps 4 of 6, like the optimum
    for row in same.itertuples():
        assert f"{row.shortfall:+.2f} min" in page
    closed_names = [str(extended.centres.loc[c, "name"]) for c in best.closed_centres]
    assert all(name in page for name in closed_names)
