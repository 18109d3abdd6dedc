"""Road networks from Geofabrik, for real, on loopback.

A thread running ``http.server`` on 127.0.0.1 plays Geofabrik's download server:

``/index-v1.json``                                 an index of two extracts whose polygons are
                                                   the boxes in the headers of the real
                                                   Chesterfield and Rutland PBFs (read here
                                                   with pyosmium)
``/europe/united-kingdom/england/<id>-latest.osm.pbf``      the real PBF, served in place from
                                                   ``../shared/data/osm``
``.../<id>-latest.osm.pbf.md5``                    its MD5, computed here

Faults are switched on per path (``server.faults[path] = kind``, the kinds of ``FAULTS`` in
``tests/_helpers.py``): ``404``, ``500``, ``html`` (a web page instead of the file), ``short``
(half the file, with an honest ``Content-Length``), ``gone`` (the full ``Content-Length``
announced, half sent, then the connection closed) and ``wrong-md5``. Every request is counted,
so the tests can say what was (not) downloaded.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping

from _helpers import FileServer, Serve
from centrereach import _settings, geofabrik, network
from centrereach.errors import DownloadError, NetworkUnavailableError

PBFS = {
    "chesterfield": "chesterfield-2018-05-21.osm.pbf",
    "rutland": "rutland-2018-02-27.osm.pbf",
}
FOLDER = "/europe/united-kingdom/england/"
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("isolated_env")  # no user settings; the cache in tmp_path


def _header_box(path: Path) -> tuple[float, float, float, float]:
    """The bounding box in a PBF's header (what the extract was cut to)."""
    import osmium

    reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
    try:
        b = reader.header().box()
    finally:
        reader.close()
    return (b.bottom_left.lon, b.bottom_left.lat, b.top_right.lon, b.top_right.lat)


class _Geofabrik(FileServer):
    """Geofabrik's download server: the index and the two real extracts with their MD5s."""

    def __init__(self, osm: Path) -> None:
        super().__init__(
            headers={"Last-Modified": "Mon, 21 May 2018 01:59:49 GMT"},
            page=b"<!DOCTYPE html><html><body>Please log in to continue</body></html>",
        )
        self.boxes = {name: _header_box(osm / file) for name, file in PBFS.items()}
        self.md5 = {}
        for name, file in PBFS.items():
            body = (osm / file).read_bytes()  # served in place, never copied into the repo
            self.files[f"{FOLDER}{name}-latest.osm.pbf"] = body
            self.md5[name] = hashlib.md5(body).hexdigest()
            self.files[f"{FOLDER}{name}-latest.osm.pbf.md5"] = (
                f"{self.md5[name]}  {name}-latest.osm.pbf\n".encode()
            )
        self.files["/index-v1.json"] = json.dumps(self.index()).encode()

    def index(self) -> dict[str, Any]:
        """index-v1.json as Geofabrik lays it out, with this server's URLs."""
        features = [
            {
                "type": "Feature",
                "properties": {
                    "id": name,
                    "parent": "england",
                    "name": name.capitalize(),
                    "urls": {
                        "pbf": f"{self.url}{FOLDER}{name}-latest.osm.pbf",
                        "shp": f"{self.url}{FOLDER}{name}-latest-free.shp.zip",
                        "updates": f"{self.url}{FOLDER}{name}-updates",
                    },
                },
                "geometry": mapping(box(*bounds)),
            }
            for name, bounds in self.boxes.items()
        ]
        return {"type": "FeatureCollection", "features": features}


@pytest.fixture
def server(shared_data: Path, serve: Serve) -> _Geofabrik:
    return serve(_Geofabrik(shared_data / "osm"))


def _files(folder: Path) -> list[str]:
    """Every file below ``folder``, hidden and temporary ones included (relative names)."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _fetch(server: _Geofabrik, folder: Path, area: Any, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"progress": False, "retries": 0, "timeout_s": 5.0}
    options.update(kwargs)
    return geofabrik.network_file(area, folder=folder, base_url=server.url, **options)


# The Chesterfield box is (-1.538, 53.195, -1.379, 53.275);
# Rutland's (-0.823, 52.524, -0.428, 52.761).
IN_CHESTERFIELD = box(-1.45, 53.22, -1.40, 53.25)
IN_BOTH = box(-1.45, 52.60, -0.70, 53.25)  # reaches into both boxes


# --------------------------------------------------------------------------------- the index


def test_index_reads_geofabriks_layout_and_rewrites_urls_to_a_mirror() -> None:
    data = {
        "type": "FeatureCollection",
        "features": [
            {  # the planet has no geometry: left out
                "type": "Feature",
                "properties": {"id": "planet", "urls": {"pbf": "https://x/planet-latest.osm.pbf"}},
                "geometry": None,
            },
            {
                "type": "Feature",
                "properties": {
                    "id": "derbyshire",
                    "parent": "england",
                    "name": "Derbyshire",
                    "urls": {
                        "pbf": "https://download.geofabrik.de/europe/united-kingdom/england/"
                        "derbyshire-latest.osm.pbf",
                        "bz2": "https://download.geofabrik.de/x.osm.bz2",
                    },
                },
                "geometry": mapping(box(-2.1, 52.7, -1.2, 53.6)),
            },
        ],
    }
    index = geofabrik.ExtractIndex.from_geojson(data, base_url="http://127.0.0.1:8123/mirror")
    [extract] = index.extracts
    assert (extract.id, extract.parent, extract.name) == ("derbyshire", "england", "Derbyshire")
    assert extract.url == (
        "http://127.0.0.1:8123/mirror/europe/united-kingdom/england/derbyshire-latest.osm.pbf"
    )
    assert extract.md5_url == extract.url + ".md5"
    official = geofabrik.ExtractIndex.from_geojson(data).extracts[0]
    assert official.url.startswith("https://download.geofabrik.de/europe/")


def test_index_errors_name_the_feature() -> None:
    bad = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"id": "x"}}],
    }
    with pytest.raises(Exception, match=r"feature 1 \(x\) has no properties.urls.pbf"):
        geofabrik.ExtractIndex.from_geojson(bad, source="index-v1.json")


def test_covering_takes_counties_and_neighbours_not_the_country() -> None:
    def ext(name: str, bounds: tuple[float, float, float, float], parent: str | None) -> Any:
        return geofabrik.Extract(
            name, name, parent, f"http://x/{name}-latest.osm.pbf", box(*bounds)
        )

    index = geofabrik.ExtractIndex(
        (
            ext("europe", (-25, 34, 45, 72), None),
            ext("england", (-6, 49.9, 1.8, 55.8), "united-kingdom"),
            ext("derbyshire", (-2.0, 52.7, -1.2, 53.5), "england"),
            # neighbours that overlap a little, as Geofabrik's hand-drawn polygons do
            ext("nottinghamshire", (-1.21, 52.8, -0.66, 53.5), "england"),
            ext("leicestershire", (-1.61, 52.4, -0.66, 52.81), "england"),
            ext("staffordshire", (-2.5, 52.4, -1.6, 52.72), "england"),
            ext("cheshire", (-2.8, 52.7, -1.95, 53.6), "england"),
            ext("south-yorkshire", (-2.0, 53.48, -1.0, 53.7), "england"),
            ext("lincolnshire", (-0.8, 52.6, 0.4, 53.7), "england"),
        )
    )
    study = box(-1.9, 52.8, -1.3, 53.4)
    assert [e.id for e in index.covering(study)] == ["derbyshire"]
    # the study area plus its buffer reaches every neighbour but Lincolnshire; the counties
    # cover it, so neither England nor Europe is needed
    buffered = study.buffer(0.15)
    assert sorted(e.id for e in index.covering(buffered)) == [
        "cheshire",
        "derbyshire",
        "leicestershire",
        "nottinghamshire",
        "south-yorkshire",
        "staffordshire",
    ]
    # where no county reaches, the smallest extract that does is taken
    assert [e.id for e in index.covering(box(-3.5, 50.5, -3.4, 50.6))] == ["england"]
    assert [e.id for e in index.covering(box(10, 10, 11, 11))] == []  # outside every extract


# --------------------------------------------------------------------------------- downloads


@pytest.mark.slow
def test_download_verify_cache_merge_then_reuse(server: _Geofabrik, tmp_path: Path, caplog) -> None:
    folder = tmp_path / "gf"
    with caplog.at_level("INFO", logger="centrereach.geofabrik"):
        got = _fetch(server, folder, IN_BOTH)
    assert sorted(e.name for e in got.extracts) == [
        "chesterfield-latest.osm.pbf",
        "rutland-latest.osm.pbf",
    ]
    chesterfield, rutland = sorted(got.extracts, key=lambda e: e.name)
    assert chesterfield.md5 == server.md5["chesterfield"] and rutland.md5 == server.md5["rutland"]
    assert chesterfield.timestamp == "2018-05-21T01:59:49Z"
    assert rutland.timestamp == "2018-02-27T21:43:02Z"
    # the plan, with sizes from HEAD, was said before downloading
    plan = next(r.getMessage() for r in caplog.records if "needs 2 extract(s)" in r.getMessage())
    assert "downloading 2 (2.1 MB)" in plan
    assert (
        "chesterfield-latest.osm.pbf (0.9 MB)" in plan and "rutland-latest.osm.pbf (1.2 MB)" in plan
    )
    assert server.count(".osm.pbf", "HEAD") >= 2
    assert set(_files(folder)) >= {
        "index-v1.json",
        "chesterfield-latest.osm.pbf",
        "chesterfield-latest.osm.pbf.md5",
        "rutland-latest.osm.pbf",
        "rutland-latest.osm.pbf.md5",
    }
    assert not [f for f in _files(folder) if ".part" in f]
    # the merged file: each way once, from both extracts, within the area
    import osmium

    seen = Counter((o.type_str(), o.id) for o in osmium.FileProcessor(str(got.path)))
    assert max(seen.values()) == 1
    lons = [o.location.lon for o in osmium.FileProcessor(str(got.path), osmium.osm.NODE)]
    assert min(lons) < -1.3 and max(lons) > -0.8  # roads of Chesterfield and of Rutland
    # a second call downloads nothing: the cache is fresh
    before = server.count(".osm.pbf")
    again = _fetch(server, folder, IN_BOTH)
    assert again.path == got.path and server.count(".osm.pbf") == before
    assert server.count(".md5") == 2  # not asked again while fresh
    # --refresh asks the server for the MD5s, and downloads nothing when they are unchanged
    _fetch(server, folder, IN_BOTH, refresh=True)
    assert server.count(".md5") == 4 and server.count(".osm.pbf") == before


@pytest.mark.slow
def test_a_changed_extract_is_downloaded_again_on_refresh(server: _Geofabrik, tmp_path) -> None:
    folder = tmp_path / "gf"
    _fetch(server, folder, IN_CHESTERFIELD)
    assert server.count("chesterfield-latest.osm.pbf") == 1
    # Geofabrik publishes a new day's file: the same bytes here, but a new MD5 means new data
    path = f"{FOLDER}chesterfield-latest.osm.pbf.md5"
    (folder / "chesterfield-latest.osm.pbf.md5").write_text("0" * 32 + "  x\n")
    got = _fetch(server, folder, IN_CHESTERFIELD, refresh=True)
    assert server.count("chesterfield-latest.osm.pbf") == 2
    assert got.extracts[0].md5 == server.md5["chesterfield"]
    assert server.count(path) == 2


@pytest.mark.slow
def test_network_from_the_download_path_equals_the_file_path(
    server: _Geofabrik, shared_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(_settings.GEOFABRIK_URL_ENV, server.url)
    polygon = box(-1.44, 53.22, -1.41, 53.24)
    downloaded = network.load_network(
        "download", mode="drive", polygon=polygon, buffer_m=2000, progress=False,
        cache_dir=tmp_path / "networks",
    )  # fmt: skip
    from_file = network.load_network(
        shared_data / "osm" / PBFS["chesterfield"], mode="drive", polygon=polygon,
        buffer_m=2000, progress=False,
    )  # fmt: skip
    assert sorted(downloaded.edges(keys=True)) == sorted(from_file.edges(keys=True))
    [record] = downloaded.graph["extracts"]
    assert record["name"] == "chesterfield-latest.osm.pbf"
    assert record["md5"] == server.md5["chesterfield"]
    assert record["timestamp"] == "2018-05-21T01:59:49Z"
    assert downloaded.graph["source"].startswith("chesterfield-latest.osm.pbf: OpenStreetMap via")
    assert server.count("rutland-latest.osm.pbf") == 0  # only what the area needs


def _chesterfield_download_study(tmp_path: Path) -> Path:
    text = (ROOT / "studies" / "chesterfield-2024.toml").read_text(encoding="utf-8")
    text = text.replace('file = "../data/', f'file = "{ROOT}/data/')
    text = text.replace('drive = "osm-chesterfield-2018"', 'drive = "download"')
    text = text.replace('walk = "osm-chesterfield-2018"', 'walk = "download"')
    assert text.count('"download"') == 2
    study = tmp_path / "chesterfield-download.toml"
    study.write_text(text, encoding="utf-8")
    return study


@pytest.mark.slow
def test_chesterfield_study_end_to_end_through_the_download_path(
    server: _Geofabrik, shared_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The 2024 study with ``drive = walk = "download"``: the same numbers as from the file."""
    import pandas as pd

    from centrereach.cli import main

    monkeypatch.setenv(_settings.GEOFABRIK_URL_ENV, server.url)
    study = _chesterfield_download_study(tmp_path)
    out = tmp_path / "out"
    args = ["run", str(study), "--data-dir", str(shared_data), "--out", str(out), "--no-maps"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (
        "needs 1 extract(s); downloading 1 (0.9 MB): chesterfield-latest.osm.pbf" in result.output
    )
    about = json.loads((out / "study.json").read_text())
    for mode in ("drive", "walk"):
        [extract] = about["networks"][mode]["extracts"]
        assert extract["name"] == "chesterfield-latest.osm.pbf"
        assert extract["md5"] == server.md5["chesterfield"]
        assert extract["timestamp"] == "2018-05-21T01:59:49Z"
    golden = ROOT / "tests" / "data" / "golden" / "chesterfield-2024"
    for name in ("matrix_drive.csv", "matrix_walk.csv"):
        got = pd.read_csv(out / name, index_col=0)
        pd.testing.assert_frame_equal(got, pd.read_csv(golden / name, index_col=0), atol=1.5e-3)
    assert server.count("chesterfield-latest.osm.pbf") == 1  # downloaded once, for both modes
    assert server.count("rutland-latest.osm.pbf") == 0


# --------------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("path", "fault", "expected"),
    [
        (".osm.pbf.md5", "wrong-md5", "its MD5 is .* not 0123456789abcdef"),
        (".osm.pbf", "short", "its MD5 is .*truncated or damaged download"),
        (".osm.pbf", "404", "HTTP 404 Not Found"),
        (".osm.pbf", "500", "HTTP 500 Internal Server Error"),
        (".osm.pbf", "html", r"it is a web page\b.*not an OpenStreetMap (PBF file|extract)"),
        (".osm.pbf", "gone", "the connection closed before the whole file arrived"),
        (".osm.pbf.md5", "html", "is not an MD5 checksum file \\(a web page"),
    ],
)
def test_download_faults_are_clear_and_leave_nothing(
    server: _Geofabrik, tmp_path: Path, path: str, fault: str, expected: str
) -> None:
    server.faults[f"{FOLDER}chesterfield-latest{path}"] = fault
    folder = tmp_path / "gf"
    with pytest.raises(DownloadError, match=expected) as caught:
        _fetch(server, folder, IN_CHESTERFIELD)
    assert "chesterfield-latest.osm.pbf" in str(caught.value)
    assert _files(folder) == ["index-v1.json"]  # no extract, no .md5, no temporary file


def test_a_server_error_is_retried(server: _Geofabrik, tmp_path: Path) -> None:
    server.faults[f"{FOLDER}chesterfield-latest.osm.pbf"] = "500"
    with pytest.raises(DownloadError, match=r"HTTP 500 .*\(2 attempts\)"):
        _fetch(server, tmp_path / "gf", IN_CHESTERFIELD, retries=1)
    assert server.count("chesterfield-latest.osm.pbf") == 2


# --------------------------------------------------------------------------------- offline


def _closed_port() -> str:
    """A loopback URL where nothing listens (a port just released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_offline_without_the_index_names_it_and_where_it_goes(tmp_path: Path) -> None:
    folder = tmp_path / "gf"
    base = _closed_port()
    with pytest.raises(NetworkUnavailableError) as caught:
        geofabrik.network_file(IN_CHESTERFIELD, folder=folder, base_url=base, progress=False)
    text = str(caught.value)
    assert "no internet connection" in text
    assert f"download {base}/index-v1.json" in text and f"put it in {folder}" in text
    assert "--network drive=PATH" in text
    assert _files(folder) == []


def test_offline_with_the_index_names_each_extract_and_its_md5(
    server: _Geofabrik, tmp_path: Path
) -> None:
    folder = tmp_path / "gf"
    folder.mkdir()
    (folder / "index-v1.json").write_bytes(server.files["/index-v1.json"])
    server.stop()
    with pytest.raises(NetworkUnavailableError) as caught:
        _fetch(server, folder, IN_BOTH)
    text = str(caught.value)
    assert "needs 2 Geofabrik extract(s) that are not in the cache" in text
    for name in ("chesterfield", "rutland"):
        assert f"{server.url}{FOLDER}{name}-latest.osm.pbf;" in text
        assert f"{server.url}{FOLDER}{name}-latest.osm.pbf.md5" in text
    assert f"put them in {folder}" in text
    assert _files(folder) == ["index-v1.json"]


@pytest.mark.slow
def test_offline_with_files_put_in_the_cache_by_hand(
    server: _Geofabrik, shared_data: Path, tmp_path: Path, caplog
) -> None:
    """The files the offline message names, put where it says: the run needs no internet."""
    folder = tmp_path / "gf"
    folder.mkdir()
    (folder / "index-v1.json").write_bytes(server.files["/index-v1.json"])
    for suffix in (".osm.pbf", ".osm.pbf.md5"):
        name = f"chesterfield-latest{suffix}"
        (folder / name).write_bytes(server.files[FOLDER + name])
    server.stop()
    got = _fetch(server, folder, IN_CHESTERFIELD, max_age_days=0)  # stale, and no server
    assert got.extracts[0].md5 == server.md5["chesterfield"]
    assert any("using the cached copy" in r.getMessage() for r in caplog.records)


def test_cli_run_offline_says_what_to_download_and_exits_2(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_env: Path
) -> None:
    from centrereach.cli import main

    monkeypatch.setenv(_settings.GEOFABRIK_URL_ENV, _closed_port())
    study = _chesterfield_download_study(tmp_path)
    result = CliRunner().invoke(main, ["run", str(study), "--data-dir", str(shared_data)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "error: cannot download the road network: no internet connection" in text
    assert "index-v1.json" in text and str(isolated_env / "networks" / "geofabrik") in text
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------- study file


@pytest.mark.parametrize(("value", "expected"), [(None, "download"), ("overpass", "overpass"),
                                                 ("geofabrik", "geofabrik")])  # fmt: skip
def test_study_file_network_source_chooses_the_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str
) -> None:
    import geopandas as gpd

    from centrereach import run
    from centrereach.study import Study

    text = _chesterfield_download_study(tmp_path).read_text(encoding="utf-8")
    if value is not None:
        text = text.replace('walk = "download"', f'walk = "download"\nsource = "{value}"')
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    study = Study.from_toml(tmp_path / "s.toml")
    asked: list[tuple[str, bool]] = []
    monkeypatch.setattr(
        run, "load_network", lambda source, **kw: asked.append((source, kw["refresh"]))
    )
    areas = gpd.GeoDataFrame(geometry=[IN_CHESTERFIELD], crs=4326)
    run._network(study, "drive", areas=areas, data_dir=None, override=None, progress=False,
                 refresh=True)  # fmt: skip
    assert asked == [(expected, True)]


def test_study_file_rejects_an_unknown_network_source(tmp_path: Path) -> None:
    from centrereach.errors import StudyFileError
    from centrereach.study import Study

    text = _chesterfield_download_study(tmp_path).read_text(encoding="utf-8")
    text = text.replace('walk = "download"', 'walk = "download"\nsource = "osmnx"')
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    with pytest.raises(
        StudyFileError, match=r"source.*'osmnx' is not allowed.*geofabrik, overpass"
    ):
        Study.from_toml(tmp_path / "s.toml")
