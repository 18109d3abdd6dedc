"""Tests of the dataset registry, locating, fetching and the ``data`` CLI commands.

Downloads go to a real HTTP server on 127.0.0.1 (a thread) that serves ``../shared/data`` as a
mirror, with routes that fail on purpose:

``/ok/<path>``         the file at <path> in the shared data
``/slow/<path>``       the same, after a pause longer than the client's timeout
``/truncated/<path>``  announces the full Content-Length, sends half the body and hangs up
``/flaky/<path>``      HTTP 503 on the first request for a path, the file afterwards
anything else          HTTP 404

Paged ArcGIS downloads go to a second server on 127.0.0.1 that fakes ONS FeatureServer layers
(``/<scenario>/<layer>/FeatureServer/0/query``) of five records served two at a time, with
scenarios that fail on purpose (see ``_FeatureServerHandler``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import json
import re
import time
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from _helpers import FileServer, Handler, LocalServer, Serve
from centrereach import sources
from centrereach._cli_data import data
from centrereach.errors import DataFormatError, DataNotFoundError, DownloadError

SMALL = "ons-lookup-lad23-utla23"  # 14 kB
SLOW_PAUSE_S = 1.0
CLIENT_TIMEOUT_S = 0.2

pytestmark = pytest.mark.usefixtures("isolated_env")  # no user settings; the cache in tmp_path


# --------------------------------------------------------------------------------- fixtures


@pytest.fixture
def server(shared_data: Path, serve: Serve) -> FileServer:
    """A mirror of ``../shared/data`` on 127.0.0.1 with the routes above, counting requests."""
    return serve(
        FileServer(
            folders={f"/{route}/": shared_data for route in ("ok", "slow", "truncated", "flaky")},
            faults={"/slow/": "slow", "/truncated/": "gone", "/flaky/": "503-once"},
            pause_s=SLOW_PAUSE_S,
        )
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[Path]:
    """Every file below ``folder`` (hidden and temporary ones included)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _shared_sums(shared_data: Path) -> dict[str, str]:
    sums = {}
    for line in (shared_data / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.removeprefix("./")] = digest
    return sums


# --------------------------------------------------------------------------------- registry

REQUIRED_IDS = {
    "ons-lsoa11-bsc",
    "ons-lsoa21-bsc",
    "iod2019-file1",
    "iod2019-file2",
    "iod2019-file5",
    "iod2019-file6",
    "iod2019-file7",
    "iod2025-file1",
    "iod2025-file2",
    "iod2025-file5",
    "iod2025-file6",
    "iod2025-file7",
    "iod2025-lsoa21-table",
    "ons-lsoa21-pwc",
    "ons-lookup-lsoa11-lsoa21-lad22",
    "ons-lookup-lsoa21-ward24-lad24",
    "ons-lookup-lad23-utla23",
    "ons-lad24-buc",
    "ons-utla21-buc",
    "ons-sape-mid2020-lsoa11",
    "os-codepoint-open",
    "geofabrik-derbyshire-latest",
    "geofabrik-rutland-latest",
}
HEX64 = re.compile(r"[0-9a-f]{64}")


def test_registry_covers_the_required_datasets() -> None:
    ids = [ds.id for ds in sources.datasets()]
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED_IDS


@pytest.mark.parametrize("ds", sources.datasets(), ids=lambda ds: ds.id)
def test_registry_records_are_complete_and_consistent(ds: sources.Dataset) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.id = "changed"  # type: ignore[misc]
    assert ds.title and ds.publisher and ds.vintage and ds.licence and ds.attribution
    assert ds.page.startswith("https://")
    assert ds.url is None or ds.url.startswith("https://")
    assert not ds.local_name.startswith("/") and ".." not in ds.local_name.split("/")
    assert "/" in ds.local_name and "\\" not in ds.local_name
    for digest in (ds.sha256, ds.local_sha256):
        assert digest is None or HEX64.fullmatch(digest)
    if "latest" in ds.vintage:
        assert ds.sha256 is None  # changes: no fixed checksum
    if ds.repackaged:
        # the official download must not land on the re-packaged file's path
        assert ds.official_name != ds.local_name
    assert ds.lsoa_vintage in {None, 2011, 2021}
    if ds.arcgis_service is not None:
        assert ds.arcgis_service.startswith("https://")
        assert ds.arcgis_fields and ds.format in {"geojson", "csv"}
    assert sources.dataset(ds.id) is ds


def test_iod2019_file1_url_is_the_gov_uk_asset() -> None:
    ds = sources.dataset("iod2019-file1")
    assert ds.url == (
        "https://assets.publishing.service.gov.uk/media/5d8b3abded915d0373d3540f/"
        "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    )
    assert "Open Government Licence v3.0" in ds.attribution


ONS_HUB_ITEMS = {
    "ons-lsoa21-bsc": ("04c65a08ecff4858bffc16e9ca9356f4", "geojson"),
    "ons-lad24-buc": ("fb6ab0ce776243339e45e33444f431c8", "geojson"),
    "ons-lookup-lsoa11-lsoa21-lad22": ("cbfe64cc03d74af982c1afec639bafd1", "csv"),
    "ons-lookup-lsoa21-ward24-lad24": ("686527814d73403e8f0a59c7a28b0c34", "csv"),
}
ONS_WITHOUT_URL = {"ons-lsoa11-bsc", "ons-utla21-buc", "ons-lsoa21-pwc", "ons-lookup-lad23-utla23"}


@pytest.mark.parametrize("ds_id", sorted(ONS_HUB_ITEMS))
def test_ons_urls_are_whole_file_hub_downloads_without_checksum(ds_id: str) -> None:
    ds = sources.dataset(ds_id)
    item, fmt = ONS_HUB_ITEMS[ds_id]
    assert ds.url == (
        f"https://open-geography-portalx-ons.hub.arcgis.com/api/download/v1/items/{item}/"
        f"{fmt}?layers=0"
    )
    assert ds.format == fmt and ds.filename.endswith("." + fmt)
    # Hub exports are regenerated by the portal: their bytes are not fixed.
    assert ds.sha256 is None
    assert "FeatureServer/0/query" not in ds.url  # a query is paged, not the whole file


@pytest.mark.parametrize("ds_id", sorted(ONS_WITHOUT_URL))
def test_ons_datasets_without_a_found_url_point_to_their_page(ds_id: str) -> None:
    ds = sources.dataset(ds_id)
    assert ds.url is None
    assert ds.page.startswith("https://geoportal.statistics.gov.uk/datasets/")
    assert "Download button" in ds.notes


ONS_FEATURE_SERVICES = {
    "ons-lsoa11-bsc": (
        "LSOA_Dec_2011_Boundaries_Super_Generalised_Clipped_BSC_EW_V3_2022",
        ("LSOA11CD", "LSOA11NM"),
    ),
    "ons-utla21-buc": (
        "Counties_and_Unitary_Authorities_December_2021_UK_BUC",
        ("CTYUA21CD", "CTYUA21NM"),
    ),
    "ons-lsoa21-pwc": ("LLSOA_Dec_2021_PWC_for_England_and_Wales_2022", ("LSOA21CD",)),
    "ons-lookup-lad23-utla23": (
        "LTLA23_UTLA23_EW_LU",
        ("LTLA23CD", "LTLA23NM", "UTLA23CD", "UTLA23NM"),
    ),
}


@pytest.mark.parametrize("ds_id", sorted(ONS_FEATURE_SERVICES))
def test_ons_datasets_without_a_url_have_their_feature_service(ds_id: str) -> None:
    ds = sources.dataset(ds_id)
    service, fields = ONS_FEATURE_SERVICES[ds_id]
    assert ds.arcgis_service == (
        f"https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/{service}"
        "/FeatureServer/0"
    )
    assert ds.arcgis_fields == fields
    # the assembled file lands under the official name, in the official format
    assert ds.filename.endswith("." + ds.format)
    assert (ds.arcgis_xy_srid == 27700) is (ds_id == "ons-lsoa21-pwc")


def test_dataset_refuses_an_arcgis_service_it_cannot_assemble() -> None:
    ds = sources.dataset("ons-lookup-lad23-utla23")
    with pytest.raises(ValueError, match="geojson' or 'csv'"):
        dataclasses.replace(ds, format="xlsx")
    with pytest.raises(ValueError, match="arcgis_fields"):
        dataclasses.replace(ds, arcgis_fields=())
    with pytest.raises(ValueError, match="CSV downloads only"):
        dataclasses.replace(sources.dataset("ons-utla21-buc"), arcgis_xy_srid=27700)


def test_iod2019_file6_url_is_the_gov_uk_attachment() -> None:
    ds = sources.dataset("iod2019-file6")
    assert ds.url == (
        "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/"
        "attachment_data/file/833980/File_6_-_IoD2019_Population_Denominators.xlsx"
    )
    assert ds.url.endswith("/" + ds.filename)


def test_geofabrik_derbyshire_is_latest_without_checksum() -> None:
    ds = sources.dataset("geofabrik-derbyshire-latest")
    assert ds.url == (
        "https://download.geofabrik.de/europe/united-kingdom/england/derbyshire-latest.osm.pbf"
    )
    assert ds.sha256 is None and ds.local_sha256 is None
    assert "OpenStreetMap contributors" in ds.attribution


def test_local_checksums_match_the_shared_data(shared_data: Path) -> None:
    sums = _shared_sums(shared_data)
    registered = {ds.local_name: ds for ds in sources.datasets()}
    for name, digest in sums.items():
        if name.startswith("centres/"):
            continue  # project facts, not an official dataset
        assert name in registered, f"{name} in the shared data has no registry entry"
        assert registered[name].local_sha256 == digest, name
    for ds in sources.datasets():
        if ds.local_sha256 is not None:
            assert (shared_data / ds.local_name).is_file(), ds.id
            assert _sha256(shared_data / ds.local_name) == ds.local_sha256, ds.id


def test_every_reference_file_passes_verification(shared_data: Path) -> None:
    """The checks made on every use accept the real files: checksums, PBF and GeoJSON sniffs."""
    checked = []
    for ds in sources.datasets():
        path = sources.locate(ds, data_dir=shared_data, cache=shared_data / "no-cache")
        if path is not None:
            assert sources.verify(ds, path) is None, (ds.id, sources.verify(ds, path))
            checked.append(ds.id)
    assert {"osm-chesterfield-2018", "ons-lsoa21-bsc", "iod2019-file1"} <= set(checked)
    assert len(checked) >= 15


def test_verify_names_what_is_wrong(tmp_path: Path) -> None:
    ds = sources.dataset("osm-rutland-2018")
    pbf = tmp_path / ds.local_name
    pbf.parent.mkdir()
    pbf.write_bytes(b"")
    assert sources.verify(ds, pbf) == "the file is empty (0 bytes)"
    pbf.write_bytes(b"\x00\x00\x00\x0e\n\tOSMHeader" + b"x" * 100)  # a PBF cut short
    assert "not the registered 1ff975...03" in str(sources.verify(ds, pbf))
    own = dataclasses.replace(ds, local_sha256=None)  # no checksum: the content is sniffed
    assert sources.verify(own, pbf) is None
    pbf.write_bytes(b"PK\x03\x04 a zip, not an extract")
    assert "not an OpenStreetMap PBF extract" in str(sources.verify(own, pbf))


def test_registry_allows_only_one_official_file_at_a_shared_path() -> None:
    shared: dict[str, set[str | None]] = {}
    for ds in sources.datasets():
        for name in ds.candidate_names:
            shared.setdefault(name, set()).add(ds.url)
    assert all(
        len(urls) == 1 and None not in urls
        for name, urls in shared.items()
        if sum(name in d.candidate_names for d in sources.datasets()) > 1
    )


def test_unknown_dataset_id_lists_the_known_ids() -> None:
    with pytest.raises(DataNotFoundError) as info:
        sources.dataset("lsoa-2021")
    message = str(info.value)
    assert "'lsoa-2021'" in message and "ons-lsoa21-bsc" in message
    assert "iod2025-file7" in message


# --------------------------------------------------------------------------------- datasets.toml


def _registry_data() -> dict[str, Any]:
    """The packaged datasets.toml, parsed (a fresh copy each time, to break on purpose)."""
    text = importlib.resources.files("centrereach").joinpath("datasets.toml").read_text("utf-8")
    return tomllib.loads(text)


def _read(data: dict[str, Any]) -> Any:
    return sources._read_registry(data, source="datasets.toml")


def test_the_registry_is_read_from_the_packaged_toml() -> None:
    data = _registry_data()
    assert [ds.id for ds in sources.datasets()] == list(data["datasets"])
    assert _read(data) == sources._REGISTRY
    record = data["datasets"]["ons-lsoa21-bsc"]
    ds = sources.dataset("ons-lsoa21-bsc")
    # keys and {placeholders} are resolved from the shared tables
    assert ds.publisher == data["publishers"][record["publisher"]]
    assert ds.licence == data["licences"][record["licence"]]
    prefix, rest = record["url"].split("}")
    assert ds.url == data["urls"][prefix.lstrip("{")] + rest
    assert "{" not in ds.notes and data["notes"]["ons_hub"] in ds.notes


def test_a_dataset_table_can_be_added_without_python() -> None:
    data = _registry_data()
    data["datasets"]["my-centres-2026"] = {
        "title": "Children's centres, 2026",
        "publisher": "ons",
        "vintage": "2026",
        "page": "https://example.org/centres",
        "filename": "centres.csv",
        "format": "csv",
        "layout": "one row per centre",
        "licence": "ogl",
        "attribution": "ons_statistics",
        "local_name": "centres/centres-2026.csv",
    }
    record = _read(data).datasets["my-centres-2026"]
    assert record.url is None and record.sha256 is None and not record.repackaged
    assert record.attribution == sources.dataset(SMALL).attribution


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("sha256", "abc", "sha256 must be a SHA-256"),
        ("local_name", "../outside.csv", "local_name must be a relative path"),
        ("lsoa_vintage", 2019, "lsoa_vintage must be 2011, 2021"),
        ("url", "ftp://example.org/x.csv", "url must be an http(s):// URL"),
        ("title", "", "title must be a non-empty string"),
        ("arcgis_fields", [], "arcgis_fields must name the fields"),
        ("format", "xlsx", "format must be 'geojson' or 'csv'"),
        ("publisher", "onss", "'onss' is not a key of [publishers]"),
        ("attribution", "ons", "'ons' is not a key of [attribution.texts]"),
        ("url", "{ons_hubb}x", "placeholder other than"),
        ("titel", "a typo", "unknown field(s) ['titel']"),
    ],
)
def test_an_invalid_record_names_the_file_dataset_and_field(
    field: str, value: object, expected: str
) -> None:
    data = _registry_data()
    data["datasets"]["ons-lookup-lad23-utla23"][field] = value
    with pytest.raises(DataFormatError) as info:
        _read(data)
    message = str(info.value)
    assert message.startswith("datasets.toml, [datasets.ons-lookup-lad23-utla23]")
    assert expected in message
    assert isinstance(info.value, ValueError)


def test_a_missing_field_or_unknown_study_dataset_is_named() -> None:
    data = _registry_data()
    del data["datasets"]["iod2019-file5"]["local_name"]
    with pytest.raises(DataFormatError, match=r"\[datasets.iod2019-file5\]: missing field"):
        _read(data)
    data = _registry_data()
    data["studies"]["2021"]["deprivation"] = "iod2025-table"
    with pytest.raises(DataFormatError, match=r"\[studies.2021\] deprivation: 'iod2025-table'"):
        _read(data)
    data = _registry_data()
    data["road_extracts"]["Rutland"] = "osm-rutland"
    with pytest.raises(DataFormatError, match=r"\[road_extracts\] Rutland"):
        _read(data)


def test_attribution_has_one_home_and_one_year() -> None:
    data = _registry_data()
    year = data["attribution"]["year"]
    text = importlib.resources.files("centrereach").joinpath("datasets.toml").read_text("utf-8")
    assert text.count(f"year = {year}") == 1 and f"right {year}" not in text  # written once
    lines = sources.ATTRIBUTION
    assert isinstance(lines, tuple) and len(lines) == len(data["attribution"]["outputs"]) == 4
    assert lines[0].startswith("Road network © OpenStreetMap contributors")
    assert lines[1].endswith(f"database right {year}")
    assert all("{" not in line and not line.endswith(".") for line in lines)
    # each line of the outputs' attribution is said by some dataset's own attribution
    texts = {ds.attribution for ds in sources.datasets()}
    for line in lines:
        said = line.removeprefix("Road network ")
        assert any(said in attribution for attribution in texts), line
    # changing the year in the one place changes every text that carries it
    data["attribution"]["year"] = year + 1
    moved = _read(data)
    assert moved.attribution[1].endswith(f"database right {year + 1}")
    codepoint = moved.datasets["os-codepoint-open"].attribution
    assert str(year) not in codepoint and codepoint.count(str(year + 1)) == 3


def test_attribution_names_every_licence_once_with_its_year() -> None:
    text = " ".join(sources.ATTRIBUTION)
    assert "© OpenStreetMap contributors" in text and "ODbL" in text
    assert "Open Government Licence v3.0" in text
    assert text.count("Contains OS data") == 1
    assert re.search(r"Contains OS data © Crown copyright and database right 20\d\d", text)


def test_every_dataset_is_documented(project_root: Path) -> None:
    doc = (project_root / "docs" / "data-sources.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", doc))
    ids = {ds.id for ds in sources.datasets()}
    assert ids <= documented, f"not in docs/data-sources.md: {sorted(ids - documented)}"
    assert "datasets.toml" in doc


# --------------------------------------------------------------------------------- folders


def test_data_dir_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert sources.data_dir() is None
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(tmp_path))
    assert sources.data_dir() == tmp_path
    monkeypatch.setenv(sources.DATA_DIR_ENV, "  ")
    assert sources.data_dir() is None


def test_cache_dir_env_override_and_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(sources.CACHE_ENV, str(tmp_path / "c"))
    assert sources.cache_dir() == tmp_path / "c"
    assert not (tmp_path / "c").exists()  # not created until something is downloaded
    monkeypatch.delenv(sources.CACHE_ENV)
    default = sources.cache_dir()
    assert "centrereach" in default.parts[-2:] or default.name == "centrereach"


def test_locate_finds_files_in_data_dir_without_http(
    shared_data: Path, server: FileServer, cache: Path
) -> None:
    path = sources.locate(SMALL, data_dir=shared_data, cache=cache)
    assert path == shared_data / "ons" / "lookup_lad23_utla23.csv"
    assert sources.locate("iod2019-file5", data_dir=shared_data, cache=cache) is None
    # fetch prefers the data folder even when a mirror is offered
    fetched = sources.fetch(SMALL, data_dir=shared_data, cache=cache, base_url=server.url + "/ok")
    assert fetched == path
    assert server.requests == []
    assert _files(cache) == []


def test_locate_uses_the_env_data_dir(
    monkeypatch: pytest.MonkeyPatch, shared_data: Path, cache: Path
) -> None:
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(shared_data))
    assert sources.fetch("ons-lsoa21-pwc", cache=cache) == (
        shared_data / "ons" / "lsoa21_population_weighted_centroids.csv"
    )


def test_locate_accepts_the_official_file_name(tmp_path: Path, cache: Path) -> None:
    ds = sources.dataset("iod2019-file1")
    hand = tmp_path / "iod2019" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    hand.parent.mkdir()
    hand.write_bytes(b"PK")
    assert ds.official_name == "iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    assert sources.locate(ds, data_dir=tmp_path, cache=cache) == hand


# --------------------------------------------------------------------------------- fetch


def test_fetch_from_mirror_gives_identical_verified_bytes_then_uses_the_cache(
    shared_data: Path, server: FileServer, cache: Path, isolated_env: Path
) -> None:
    ds = sources.dataset(SMALL)
    assert ds.local_sha256 is not None  # so the download is verified
    path = sources.fetch(SMALL, cache=cache, base_url=server.url + "/ok/", progress=False)
    assert path == cache / ds.local_name
    assert path.read_bytes() == (shared_data / ds.local_name).read_bytes()
    assert _sha256(path) == ds.local_sha256
    assert server.requests == ["/ok/ons/lookup_lad23_utla23.csv"]
    assert _files(cache) == [path]  # no temporary file left beside it

    again = sources.fetch(SMALL, cache=cache, base_url=server.url + "/ok", progress=False)
    assert again == path
    assert len(server.requests) == 1  # the second call made no request
    assert _files(isolated_env) == []  # the user's (default) cache was not touched


def test_fetch_uses_the_mirror_env_var_and_a_progress_bar(
    monkeypatch: pytest.MonkeyPatch, server: FileServer, cache: Path
) -> None:
    monkeypatch.setenv(sources.MIRROR_ENV, server.url + "/ok")
    path = sources.fetch("iod2025-file6", cache=cache, progress=True)
    assert path.name == "File_6_IoD2025_Population_Denominators_DERBYSHIRE.csv"
    assert server.requests == ["/ok/iod2025/File_6_IoD2025_Population_Denominators_DERBYSHIRE.csv"]


def test_fetch_accepts_a_dataset_record_of_ones_own(
    server: FileServer, cache: Path, shared_data: Path
) -> None:
    own = dataclasses.replace(
        sources.dataset(SMALL), id="my-copy", local_name="ons/lookup_lad23_utla23.csv"
    )
    assert sources.fetch(own, cache=cache, base_url=server.url + "/ok", progress=False).is_file()


def _assert_clean_failure(
    info: pytest.ExceptionInfo[DownloadError], ds_id: str, url: str, cache: Path
) -> str:
    message = str(info.value)
    assert repr(ds_id) in message
    assert url in message
    assert "--data-dir" in message and "download it by hand" in message.lower()
    assert _files(cache) == [], "a failed download left files in the cache"
    return message


def test_fetch_404_is_a_clear_download_error(server: FileServer, cache: Path) -> None:
    base = server.url + "/missing"
    with pytest.raises(DownloadError) as info:
        sources.fetch(SMALL, cache=cache, base_url=base, progress=False, retries=2)
    url = base + "/ons/lookup_lad23_utla23.csv"
    message = _assert_clean_failure(info, SMALL, url, cache)
    assert "404" in message
    assert len(server.requests) == 1  # a 404 is not retried
    ds = sources.dataset(SMALL)
    assert ds.page in message  # where to get it by hand


def test_fetch_timeout_is_a_clear_download_error(server: FileServer, cache: Path) -> None:
    base = server.url + "/slow"
    started = time.monotonic()
    with pytest.raises(DownloadError) as info:
        sources.fetch(
            SMALL, cache=cache, base_url=base, progress=False, timeout_s=CLIENT_TIMEOUT_S, retries=0
        )
    assert time.monotonic() - started < SLOW_PAUSE_S + 0.5
    message = _assert_clean_failure(info, SMALL, base + "/ons/lookup_lad23_utla23.csv", cache)
    assert "timeout" in message.lower()


def test_fetch_truncated_body_is_a_clear_download_error(server: FileServer, cache: Path) -> None:
    base = server.url + "/truncated"
    with pytest.raises(DownloadError) as info:
        sources.fetch(SMALL, cache=cache, base_url=base, progress=False, retries=1)
    message = _assert_clean_failure(info, SMALL, base + "/ons/lookup_lad23_utla23.csv", cache)
    assert "truncated" in message
    assert "after 2 attempts" in message
    assert len(server.requests) == 2  # a dropped connection is retried


def test_fetch_truncated_body_without_checksum_is_still_refused(
    server: FileServer, cache: Path
) -> None:
    unverified = dataclasses.replace(sources.dataset(SMALL), local_sha256=None)
    with pytest.raises(DownloadError, match="truncated"):
        sources.fetch(
            unverified, cache=cache, base_url=server.url + "/truncated", progress=False, retries=0
        )
    assert _files(cache) == []


def test_fetch_wrong_checksum_is_a_clear_download_error(server: FileServer, cache: Path) -> None:
    wrong = dataclasses.replace(sources.dataset(SMALL), local_sha256="0" * 64)
    base = server.url + "/ok"
    with pytest.raises(DownloadError) as info:
        sources.fetch(wrong, cache=cache, base_url=base, progress=False, retries=2)
    message = _assert_clean_failure(info, SMALL, base + "/ons/lookup_lad23_utla23.csv", cache)
    assert "0" * 64 in message and "SHA-256" in message
    assert len(server.requests) == 1  # a checksum mismatch is not retried


def test_fetch_retries_a_server_error(server: FileServer, cache: Path) -> None:
    path = sources.fetch(SMALL, cache=cache, base_url=server.url + "/flaky", progress=False)
    assert path.is_file()
    assert server.requests == ["/flaky/ons/lookup_lad23_utla23.csv"] * 2


def test_fetch_without_retries_tries_a_server_error_once(server: FileServer, cache: Path) -> None:
    with pytest.raises(DownloadError) as info:
        sources.fetch(SMALL, cache=cache, base_url=server.url + "/flaky", progress=False, retries=0)
    message = str(info.value)
    assert "HTTP 503" in message and "attempts" not in message
    assert server.requests == ["/flaky/ons/lookup_lad23_utla23.csv"]
    assert _files(cache) == []


def test_fetch_options_bundle_and_keyword_overrides(
    shared_data: Path, server: FileServer, cache: Path
) -> None:
    options = sources.FetchOptions(cache=cache, base_url=server.url + "/missing", retries=0)
    with pytest.raises(DownloadError, match="404"):
        sources.fetch(SMALL, options, progress=False)
    # a keyword argument overrides one field of the bundle, the rest still applies
    path = sources.fetch(SMALL, options, base_url=server.url + "/ok", progress=False)
    assert path == cache / sources.dataset(SMALL).local_name
    assert server.requests == [
        "/missing/ons/lookup_lad23_utla23.csv",
        "/ok/" + path.relative_to(cache).as_posix(),
    ]
    local = sources.FetchOptions(data_dir=shared_data, cache=cache)
    paths = sources.fetch_for_study("Derbyshire", options=local)
    assert all(shared_data in p.parents for p in paths.values())
    assert len(server.requests) == 2  # all found in the data folder


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("timeout_s", 0, "timeout_s must be a positive number"), ("retries", 1.5, "whole number")],
)
def test_fetch_options_refuse_nonsense(field: str, value: object, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        sources.FetchOptions(**{field: value})
    assert sources.FetchOptions(data_dir="~/data").data_dir == Path.home() / "data"  # type: ignore[arg-type]


def test_fetch_without_url_or_mirror_says_where_to_get_it(cache: Path, tmp_path: Path) -> None:
    ds = dataclasses.replace(sources.dataset("ons-lsoa11-bsc"), arcgis_service=None)
    assert ds.url is None
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError) as info:
        sources.fetch(ds, data_dir=tmp_path / "empty", cache=cache)
    message = str(info.value)
    assert ds.page in message and ds.official_name in message and "--data-dir" in message
    assert str(tmp_path / "empty") in message


def test_missing_data_dir_is_an_error_not_a_download(
    monkeypatch: pytest.MonkeyPatch, server: FileServer, tmp_path: Path, cache: Path
) -> None:
    with pytest.raises(DataNotFoundError, match="--data-dir"):
        sources.fetch(SMALL, data_dir=tmp_path / "typo", cache=cache, base_url=server.url + "/ok")
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(tmp_path / "typo"))
    with pytest.raises(DataNotFoundError, match=sources.DATA_DIR_ENV):
        sources.locate(SMALL, cache=cache)
    assert server.requests == []


def test_bad_mirror_url_is_refused(cache: Path) -> None:
    with pytest.raises(DownloadError, match="http"):
        sources.fetch(SMALL, cache=cache, base_url="ftp://example.org/data")


# --------------------------------------------------------------------------------- ArcGIS

PAGE_SIZE = 2  # the fake layers' maxRecordCount: five records come in three pages
LSOAS = [  # code, name, district code, district name, lon/lat of the box's south-west corner
    ("E01019400", "Amber Valley 001A", "E07000032", "Amber Valley", -1.40, 53.10),
    ("E01019401", "Amber Valley 001B", "E07000032", "Amber Valley", -1.38, 53.10),
    ("E01019843", "Chesterfield 001A", "E07000034", "Chesterfield", -1.43, 53.25),
    ("E01019844", "Chesterfield 001B", "E07000034", "Chesterfield", -1.41, 53.25),
    ("E01013482", "Derby 001A", "E06000015", "Derby", -1.47, 52.92),
]
COUNTY_LOOKUP = [
    ("E07000032", "Amber Valley", "E10000007", "Derbyshire"),
    ("E07000034", "Chesterfield", "E10000007", "Derbyshire"),
    ("E06000015", "Derby", "E06000015", "Derby"),
    ("E07000035", "Derbyshire Dales", "E10000007", "Derbyshire"),
    ("E07000036", "Erewash", "E10000007", "Derbyshire"),
]


def _layers() -> dict[str, list[dict[str, Any]]]:
    """The fake layers: records with ``attributes`` and a WGS84 ``shape`` (or None)."""
    from shapely.geometry import Point, box, mapping

    lsoa = [
        {
            "attributes": {"LSOA21CD": code, "LSOA21NM": name, "Shape__Area": 1.0},
            "shape": mapping(box(lon, lat, lon + 0.015, lat + 0.01)),
        }
        for code, name, _, _, lon, lat in LSOAS
    ]
    pwc = [
        {"attributes": {"LSOA21CD": code}, "shape": mapping(Point(lon + 0.005, lat + 0.004))}
        for code, _, _, _, lon, lat in LSOAS
    ]
    lookup = [
        {
            "attributes": {"LTLA23CD": a, "LTLA23NM": b, "UTLA23CD": c, "UTLA23NM": d, "FID": i},
            "shape": None,
        }
        for i, (a, b, c, d) in enumerate(COUNTY_LOOKUP, start=1)
    ]
    # served in another order than the codes', so that orderByFields matters
    return {"lsoa": lsoa[::-1], "pwc": pwc[::-1], "lookup": lookup[::-1]}


class _FeatureServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(_FeatureServerHandler)
        self.layers = _layers()
        self.failed_once: set[str] = set()

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """Every request, in order: its path and its query."""
        with self.lock:
            split = [urllib.parse.urlsplit(path) for _, path in self.log]
        return [(s.path, dict(urllib.parse.parse_qsl(s.query))) for s in split]

    def service(self, scenario: str, layer: str) -> str:
        return f"{self.url}/{scenario}/{layer}/FeatureServer/0"

    def pages(self) -> list[str]:
        """The resultOffset of every page request, in order (count requests left out)."""
        return [q["resultOffset"] for _, q in self.requests if "resultOffset" in q]


class _FeatureServerHandler(Handler):
    """``/<scenario>/<layer>/FeatureServer/0/query``: an ArcGIS query with paging.

    Scenarios, all failing (if at all) at the page with resultOffset 2:
    ``ok``; ``flaky`` (HTTP 500 once); ``busy`` (an ``error`` object with code 503 once);
    ``error`` (an ``error`` object with code 400); ``badjson`` (an HTML page);
    ``miscount`` (returnCountOnly counts one record too many). Anything else: HTTP 404.
    """

    server: _FeatureServer

    def _json(self, payload: object) -> None:
        self.reply(json.dumps(payload).encode(), content_type="application/json")

    def do_GET(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query))
        parts = split.path.strip("/").split("/")
        scenarios = {"ok", "flaky", "busy", "error", "badjson", "miscount"}
        if len(parts) != 5 or parts[0] not in scenarios or parts[1] not in self.server.layers:
            self.send_error(404, "Not Found")
            return
        scenario, layer = parts[0], parts[1]
        assert parts[2:] == ["FeatureServer", "0", "query"] and query["where"] == "1=1"
        records = self.server.layers[layer]
        if query.get("returnCountOnly") == "true":
            self._json({"count": len(records) + (scenario == "miscount")})
            return
        offset = int(query["resultOffset"])
        if offset == 2 and scenario != "ok":
            with self.server.lock:
                first = scenario not in self.server.failed_once
                self.server.failed_once.add(scenario)
            if scenario == "flaky" and first:
                self.send_error(500, "Internal Server Error")
                return
            if scenario == "busy" and first:
                self._json({"error": {"code": 503, "message": "Service busy", "details": []}})
                return
            if scenario == "error":
                self._json(
                    {
                        "error": {
                            "code": 400,
                            "message": "Cannot perform query. Invalid query parameters.",
                            "details": ["'resultOffset' parameter is invalid"],
                        }
                    }
                )
                return
            if scenario == "badjson":
                self.reply(
                    b"<html><body>Service unavailable</body></html>", content_type="text/html"
                )
                return
        fields = query["outFields"].split(",")
        known = set(records[0]["attributes"])
        if not set(fields) <= known or query["orderByFields"] not in known:
            self._json({"error": {"code": 400, "message": "Invalid field", "details": []}})
            return
        ordered = sorted(records, key=lambda r: r["attributes"][query["orderByFields"]])
        count = min(int(query["resultRecordCount"]), PAGE_SIZE)
        page = ordered[offset : offset + count]
        more = offset + count < len(records)
        rows = [{name: r["attributes"][name] for name in fields} for r in page]
        if query["f"] == "geojson":
            features = [
                {"type": "Feature", "id": i, "geometry": r["shape"], "properties": row}
                for i, (r, row) in enumerate(zip(page, rows, strict=True), start=offset + 1)
            ]
            payload: dict[str, Any] = {"type": "FeatureCollection", "features": features}
            if more:
                payload["properties"] = {"exceededTransferLimit": True}
        else:
            features = [{"attributes": row} for row in rows]
            if query.get("returnGeometry") == "true":
                from pyproj import Transformer

                to = Transformer.from_crs(4326, int(query["outSR"]), always_xy=True)
                for feature, r in zip(features, page, strict=True):
                    x, y = to.transform(*r["shape"]["coordinates"])
                    feature["geometry"] = {"x": x, "y": y}
            payload = {
                "objectIdFieldName": "FID",
                "fields": [{"name": name, "type": "esriFieldTypeString"} for name in fields],
                "features": features,
                "exceededTransferLimit": more,
            }
        self._json(payload)


@pytest.fixture
def arcgis(serve: Serve) -> _FeatureServer:
    """Fake ONS FeatureServer layers on 127.0.0.1, recording every request."""
    return serve(_FeatureServer())


def _served(ds_id: str, service: str, **changes: Any) -> sources.Dataset:
    """A registered dataset whose FeatureServer is the fake one (a record of one's own)."""
    return dataclasses.replace(
        sources.dataset(ds_id), id=f"test-{ds_id}", url=None, arcgis_service=service, **changes
    )


def _boundaries(arcgis: _FeatureServer, scenario: str = "ok") -> sources.Dataset:
    return _served(
        "ons-lsoa21-bsc",
        arcgis.service(scenario, "lsoa"),
        arcgis_fields=("LSOA21CD", "LSOA21NM"),
    )


def test_fetch_pages_a_feature_service_into_geojson_then_uses_the_cache(
    arcgis: _FeatureServer, cache: Path
) -> None:
    from centrereach.areas import load_areas

    ds = _boundaries(arcgis)
    path = sources.fetch(ds, cache=cache, progress=False)
    assert path == cache / ds.official_name
    assert _files(cache) == [path]  # no temporary file left beside it

    # one count, then three pages of at most 2 records, ordered by the code
    assert [q.get("returnCountOnly") for _, q in arcgis.requests] == ["true", None, None, None]
    assert arcgis.pages() == ["0", "2", "4"]
    _, first = arcgis.requests[1]
    assert first["orderByFields"] == "LSOA21CD" and first["resultRecordCount"] == "2000"
    assert first["outFields"] == "LSOA21CD,LSOA21NM"
    assert first["outSR"] == "4326" and first["f"] == "geojson"

    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    codes = [f["properties"]["LSOA21CD"] for f in collection["features"]]
    assert codes == sorted(code for code, *_ in LSOAS)
    areas = load_areas(path)
    assert sorted(areas.index) == codes
    assert areas.loc["E01019400", "lsoa_name"] == "Amber Valley 001A"
    assert areas.attrs["vintage"] == 2021

    again = sources.fetch(ds, cache=cache, progress=False)
    assert again == path
    assert len(arcgis.requests) == 4  # the second call made no request


def test_fetch_assembles_csv_tables_and_centroids_that_the_loaders_read(
    arcgis: _FeatureServer, cache: Path
) -> None:
    import pandas as pd

    from centrereach._tables import read_table
    from centrereach.areas import load_areas

    lookup = _served("ons-lookup-lad23-utla23", arcgis.service("ok", "lookup"))
    lookup_path = sources.fetch(lookup, cache=cache, progress=True)
    assert lookup_path.name == lookup.filename
    table = read_table(lookup_path)
    assert list(table.columns) == ["LTLA23CD", "LTLA23NM", "UTLA23CD", "UTLA23NM"]
    assert sorted(map(tuple, table.astype(str).to_numpy().tolist())) == sorted(COUNTY_LOOKUP)
    _, first = arcgis.requests[1]
    assert first["f"] == "json" and first["returnGeometry"] == "false"

    centroids = _served("ons-lsoa21-pwc", arcgis.service("ok", "pwc"))
    centroids_path = sources.fetch(centroids, cache=cache, progress=False)
    assert centroids_path.read_text().splitlines()[0] == "LSOA21CD,x,y"  # x, y: EPSG:27700

    boundaries = sources.fetch(_boundaries(arcgis), cache=cache, progress=False)
    districts = pd.DataFrame(
        [(code, lad, lad_name) for code, _, lad, lad_name, _, _ in LSOAS],
        columns=["LSOA21CD", "LAD24CD", "LAD24NM"],
    )
    areas = load_areas(
        boundaries,
        centroids=centroids_path,
        lad_lookup=districts,
        county_lookup=lookup_path,
        study_area="Derbyshire",
    )
    assert sorted(areas.index) == ["E01019400", "E01019401", "E01019843", "E01019844"]
    assert set(areas["origin_source"]) == {"population_weighted_centroid"}
    lon, lat = areas.loc["E01019400", ["origin_lon", "origin_lat"]]
    assert lon == pytest.approx(-1.395, abs=1e-6) and lat == pytest.approx(53.104, abs=1e-6)
    assert sorted(p.name for p in _files(cache)) == sorted(
        ds.filename for ds in (lookup, centroids, _boundaries(arcgis))
    )


@pytest.mark.parametrize("scenario", ["flaky", "busy"])
def test_fetch_retries_a_failed_page(arcgis: _FeatureServer, cache: Path, scenario: str) -> None:
    ds = _boundaries(arcgis, scenario)
    path = sources.fetch(ds, cache=cache, progress=False, retries=1)
    assert arcgis.pages() == ["0", "2", "2", "4"]  # only the failed page was asked again
    assert len(json.loads(path.read_text())["features"]) == len(LSOAS)
    assert _files(cache) == [path]


@pytest.mark.parametrize(
    ("scenario", "expected", "pages"),
    [
        ("error", "code 400, Cannot perform query", ["0", "2"]),  # not retried
        ("badjson", "not valid JSON", ["0", "2"]),
        # short of the count, one more page is asked for; it is empty
        ("miscount", "counted 6 records but sent 5", ["0", "2", "4", "5"]),
        ("busy", "code 503, Service busy", ["0", "2"]),  # retries=0
        ("flaky", "HTTP 500", ["0", "2"]),
        ("missing", "HTTP 404", []),
    ],
)
def test_fetch_feature_service_failures_are_clear_and_leave_nothing(
    arcgis: _FeatureServer, cache: Path, scenario: str, expected: str, pages: list[str]
) -> None:
    ds = _boundaries(arcgis, scenario)
    retries = 0 if scenario in {"busy", "flaky"} else 2
    with pytest.raises(DownloadError) as info:
        sources.fetch(ds, cache=cache, progress=False, retries=retries)
    message = _assert_clean_failure(info, ds.id, arcgis.service(scenario, "lsoa"), cache)
    assert expected in message
    assert ds.page in message  # where to get it by hand
    assert arcgis.pages() == pages
    assert not cache.exists()  # not even the folders the download created


def test_fetch_prefers_a_mirror_to_the_feature_service(arcgis: _FeatureServer, cache: Path) -> None:
    ds = _boundaries(arcgis)
    mirror = arcgis.url + "/mirror"
    with pytest.raises(DownloadError) as info:
        sources.fetch(ds, cache=cache, base_url=mirror, progress=False, retries=0)
    _assert_clean_failure(info, ds.id, ds.mirror_url(mirror), cache)
    assert [path for path, _ in arcgis.requests] == ["/mirror/" + ds.local_name]


# --------------------------------------------------------------------------------- studies


@pytest.mark.parametrize("vintage", [2021, 2011])
def test_fetch_for_study_from_the_shared_data(
    shared_data: Path, server: FileServer, cache: Path, vintage: int
) -> None:
    paths = sources.fetch_for_study(
        "E10000007", vintage=vintage, data_dir=shared_data, cache=cache, progress=False
    )
    assert {"lsoa_boundaries", "deprivation", "population", "lookup_lad_utla"} <= set(paths)
    assert all(path.is_file() and shared_data in path.parents for path in paths.values())
    assert (f"lsoa{str(vintage)[2:]}" in paths["lsoa_boundaries"].name) is True
    assert server.requests == []


def test_fetch_for_study_reports_every_failure(
    server: FileServer, tmp_path: Path, cache: Path
) -> None:
    with pytest.raises(DownloadError) as info:
        sources.fetch_for_study(
            "Derbyshire",
            data_dir=tmp_path,
            cache=cache,
            base_url=server.url + "/missing",
            progress=False,
            retries=0,
        )
    message = str(info.value)
    wanted = sources._REGISTRY.studies[2021]
    assert message.startswith(f"{len(wanted)} of {len(wanted)} datasets")
    assert all(repr(dataset_id) in message for dataset_id in wanted.values())
    assert len(server.requests) == len(wanted)
    assert _files(cache) == []


def test_fetch_for_study_rejects_bad_vintage_and_unknown_road_area(cache: Path) -> None:
    with pytest.raises(ValueError, match="2011 or 2021"):
        sources.fetch_for_study("Derbyshire", vintage=2019, cache=cache)
    with pytest.raises(DataNotFoundError, match="geofabrik"):
        sources.fetch_for_study("Lincolnshire", roads=True, cache=cache)


# --------------------------------------------------------------------------------- CLI


def test_cli_data_list(shared_data: Path) -> None:
    result = CliRunner().invoke(data, ["list", "--data-dir", str(shared_data)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split("\t") == ["id", "title", "vintage", "licence", "local file"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert set(rows) >= REQUIRED_IDS
    assert rows[SMALL][3] == "Open Government Licence v3.0"
    assert rows[SMALL][4] == str(shared_data / "ons" / "lookup_lad23_utla23.csv")
    assert rows["iod2019-file5"][4] == "-"


def test_cli_data_fetch_from_mirror_then_data_dir(
    shared_data: Path, server: FileServer, cache: Path
) -> None:
    runner = CliRunner()
    args = ["fetch", SMALL, "--cache", str(cache), "--mirror", server.url + "/ok", "--no-progress"]
    result = runner.invoke(data, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{SMALL}\t{cache / 'ons' / 'lookup_lad23_utla23.csv'}"
    assert len(server.requests) == 1

    result = runner.invoke(
        data, ["fetch", "--study-area", "Derbyshire", "--data-dir", str(shared_data)]
    )
    assert result.exit_code == 0, result.output
    assert "deprivation\t" in result.output
    assert len(server.requests) == 1  # nothing downloaded


def test_cli_data_fetch_errors_exit_2_without_traceback(server: FileServer, cache: Path) -> None:
    runner = CliRunner()
    args = ["fetch", SMALL, "--cache", str(cache), "--mirror", server.url + "/missing"]
    result = runner.invoke(data, [*args, "--no-progress", "--retries", "0"])
    assert result.exit_code == 2
    assert "404" in result.output and "--data-dir" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, DownloadError)  # handled, not crashed
    assert _files(cache) == []

    result = runner.invoke(data, ["fetch", "no-such-dataset", "--cache", str(cache)])
    assert result.exit_code == 2 and "known ids" in result.output

    result = runner.invoke(data, ["fetch"])
    assert result.exit_code == 2 and "--study-area" in result.output
