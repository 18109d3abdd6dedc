"""The maps and the report in a real browser: headless Chromium driven by Selenium.

Each file is opened from disk, as a planner would open it, in a browser with **no internet**:
Chromium resolves no host name at all (``--host-resolver-rules``), so nothing leaves the
machine. The maps are the default builds (Leaflet inlined from its npm tarball, an OpenStreetMap
basemap that needs internet): the only messages allowed at level SEVERE in the console are the
basemap tiles that fail to load, and the map must then say "No basemap: area outlines only";
anything else (a JavaScript error, another failed resource) is a failure. For each map
the test counts the area polygons Leaflet draws for every layer (clicking each radio button of
the layer control), hovers an area for its tooltip, clicks a centre for its popup, and saves a
screenshot (into a temporary folder, or the folder given by ``pytest --artifacts DIR``). The
report is also laid out as for print on an A4 page width, and no table may be wider than the page.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them;
elsewhere ``apt-get install -y chromium chromium-driver`` as root) and the ``selenium`` Python
package. Without them the test is skipped with the reason; under ``CI=true`` it fails instead.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from centrereach import maps, report

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
    # no internet: every host name fails to resolve, in Chromium, without asking any DNS server
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
#: Tile servers whose failed requests are expected with no internet (the basemap).
TILE_HOSTS = ("tile.openstreetmap.org",)


@pytest.fixture(scope="module")
def driver(unavailable, tmp_path_factory):
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        unavailable(
            "headless Chromium is not installed: run "
            "'apt-get install -y chromium chromium-driver' as root (.ci/run does)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("the selenium package is not installed (pip install selenium)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def assets(unavailable):
    try:
        return maps.fetch_offline_assets()
    except Exception as exc:
        unavailable(f"offline map assets (Leaflet from npm) unavailable: {exc}")


@pytest.fixture(scope="module")
def synthetic_outputs(assets, synthetic_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    return synthetic_result, report.write_report_and_maps(synthetic_result, folder)


@pytest.fixture(scope="module")
def rutland_outputs(assets, rutland_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rutland")
    return rutland_result, report.write_report_and_maps(rutland_result, folder)


def _open(driver, path: Path) -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(path.resolve().as_uri())


def _severe(driver) -> list[str]:
    """SEVERE console messages, except the basemap tiles that cannot load with no internet."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE"
        and not (
            e.get("source") == "network"
            and any(host in e["message"] for host in TILE_HOSTS)
            and "ERR_NAME_NOT_RESOLVED" in e["message"]
        )
    ]


def _screenshot(driver, path: Path) -> Path:
    path.write_bytes(base64.b64decode(driver.get_screenshot_as_base64()))
    return path


def _check_map(driver, path: Path, *, result, scenario: str, shot: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open(driver, path)
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "return !!(window.centrereach && window.centrereach.maps.length)"
        )
    )
    n_areas = len(result.areas)
    info = driver.execute_script(
        """
        var m = window.centrereach.maps[0];
        var counts = {};
        Object.keys(m.layers).forEach(function (k) { counts[k] = m.layers[k].getLayers().length; });
        return {areas: m.areas, counts: counts, centres: m.centres.getLayers().length};
        """
    )
    names = maps.layer_names(result.map_labels(scenario, result.modes[0]))
    assert info["areas"] == n_areas
    assert info["counts"] == dict.fromkeys(names, n_areas), info
    assert info["centres"] == len(result.centres)
    closed = len(result.scenarios[scenario].closed_centres)
    assert len(driver.find_elements(By.CSS_SELECTOR, ".cr-centre-icon")) == len(result.centres)
    assert len(driver.find_elements(By.CSS_SELECTOR, ".cr-centre-closing")) == closed
    # every layer of the layer control draws one SVG path per area
    radios = driver.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base label")
    assert [r.text.strip() for r in radios] == list(names.values())
    for label in radios:
        label.click()
        drawn = driver.execute_script(
            "return document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive')"
            ".length"
        )
        assert drawn == n_areas, (label.text, drawn)
        legends = driver.execute_script(
            "return Array.from(document.querySelectorAll('[data-cr-layers]'))"
            ".filter(function (e) { return e.style.display !== 'none'; })"
            ".map(function (e) { return e.querySelector('h2').textContent; })"
        )
        assert len(legends) == 1, legends
    radios[0].click()
    # hover an area: its tooltip names it
    path_el = driver.find_elements(
        By.CSS_SELECTOR, ".leaflet-overlay-pane path.leaflet-interactive"
    )[n_areas // 2]
    ActionChains(driver).move_to_element(path_el).perform()
    WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip"))
    tooltip = driver.find_element(By.CSS_SELECTOR, ".leaflet-tooltip").text
    assert "IMD decile" in tooltip and "min" in tooltip
    assert any(str(code) in tooltip for code in result.areas.index)
    ActionChains(driver).move_by_offset(0, 0).move_to_element(
        driver.find_element(By.CSS_SELECTOR, ".cr-title")
    ).perform()
    # click a centre: its popup says whom it serves
    marker = driver.find_elements(By.CSS_SELECTOR, ".cr-centre-icon")[0]
    driver.execute_script("arguments[0].click();", marker)
    WebDriverWait(driver, 5).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
    )
    popup = driver.execute_script(
        "return document.querySelector('.leaflet-popup-content').textContent;"
    )
    assert "Nearest centre for" in popup, popup
    driver.execute_script("window.centrereach.maps[0].map.closePopup();")
    # no internet: the basemap did not load, and the map says so
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return window.centrereach.maps[0].basemap") == "failed"
    )
    sources = driver.find_element(By.CSS_SELECTOR, ".cr-basemap").text
    assert sources == maps.NO_BASEMAP_OFFLINE
    assert "leaflet.js" not in " ".join(_severe(driver))  # Leaflet came from the file itself
    assert _severe(driver) == []
    assert _screenshot(driver, shot).stat().st_size > 10_000


def _check_report(driver, path: Path, *, result, shot: Path) -> None:
    _open(driver, path)
    assert driver.title.startswith(result.title)
    n = driver.execute_script(
        "return {maps: document.querySelectorAll('svg.static-map').length,"
        " uses: document.querySelectorAll('svg.static-map use').length,"
        " charts: document.querySelectorAll('svg.chart').length}"
    )
    modes = len(result.modes)
    scenarios = len(result.scenarios) - 1
    assert n["maps"] == 1 + scenarios * modes
    assert n["uses"] == n["maps"] * len(result.areas)
    assert n["charts"] == 2 * scenarios * modes
    assert _severe(driver) == []
    driver.set_window_size(1100, 1800)
    _screenshot(driver, shot)
    # as printed on A4 (about 186 mm of text width = 703 CSS px): no table is cut off
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    driver.set_window_size(703, 1000)
    too_wide = driver.execute_script(
        "var w = document.documentElement.clientWidth;"
        "return Array.from(document.querySelectorAll('table, svg'))"
        ".filter(function (t) { return t.getBoundingClientRect().right > w + 1; }).length;"
    )
    assert too_wide == 0
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})
    assert base64.b64decode(pdf["data"]).startswith(b"%PDF")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    driver.set_window_size(1400, 1000)


def _check_outputs(driver, outputs, *, which: str, artifacts: Path) -> None:
    result, written = outputs
    assert any(path.name == "report.html" for path in written)
    for path in written:
        if path.name == "report.html":
            _check_report(driver, path, result=result, shot=artifacts / f"{which}-report.png")
            continue
        scenario, _mode = path.stem.rsplit("_", 1)
        shot = artifacts / f"{which}-{path.stem}.png"
        _check_map(driver, path, result=result, scenario=scenario, shot=shot)


@pytest.mark.slow
def test_synthetic_outputs_in_chromium(driver, synthetic_outputs, artifacts_dir):
    _check_outputs(driver, synthetic_outputs, which="synthetic", artifacts=artifacts_dir)


@pytest.mark.slow
def test_rutland_outputs_in_chromium(driver, rutland_outputs, artifacts_dir):
    _check_outputs(driver, rutland_outputs, which="rutland", artifacts=artifacts_dir)


@pytest.mark.slow
def test_chesterfield_maps_of_a_default_run_open_with_no_internet(
    driver, assets, chesterfield_run, chesterfield_result, artifacts_dir
):
    """``centrereach run studies/chesterfield-2024.toml`` with no options: every map it wrote
    opens in Chromium with no internet and no JavaScript error, and so does the report."""
    folder, _ = chesterfield_run
    written = [*sorted((folder / "maps").glob("*.html")), folder / "report.html"]
    assert len(written) == len(chesterfield_result.scenarios) * len(chesterfield_result.modes) + 1
    for path in written[:-1]:
        html = path.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in html and "Leaflet 1.9.3" in html  # self-contained
    _check_outputs(driver, (chesterfield_result, written), which="chesterfield",
                   artifacts=artifacts_dir)  # fmt: skip


@pytest.mark.slow
def test_a_cdn_map_with_no_internet_says_so_instead_of_a_blank_page(
    driver, synthetic_result, tmp_path
):
    from selenium.webdriver.common.by import By

    path = tmp_path / "cdn.html"
    maps.save_map(synthetic_result.explore("close-two", "walk", cdn=True), path)
    _open(driver, path)
    notice = driver.find_elements(By.CSS_SELECTOR, ".cr-no-leaflet")
    assert len(notice) == 1 and notice[0].text == maps.NO_LEAFLET
    errors = " ".join(e["message"] for e in driver.get_log("browser"))
    assert "L is not defined" in errors  # what a blank page used to be, now explained
