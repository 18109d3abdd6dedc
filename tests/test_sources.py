"""Tests of the dataset registry, locating, fetching and the ``data`` CLI commands.

Downloads go to a real HTTP server on 127.0.0.1 (a thread) that serves ``../shared/data`` as a
mirror, with routes that fail on purpose:

``/ok/<path>``         the file at <path> in the shared data
``/slow/<path>``       the same, after a pause longer than the client's timeout
``/truncated/<path>``  announces the full Content-Length, sends half the body and hangs up
``/flaky/<path>``      HTTP 503 on the first request for a path, the file afterwards
anything else          HTTP 404
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from centrereach import sources
from centrereach._cli_data import data
from centrereach.errors import DataNotFoundError, DownloadError

SMALL = "ons-lookup-lad23-utla23"  # 14 kB
SLOW_PAUSE_S = 1.0
CLIENT_TIMEOUT_S = 0.2


# --------------------------------------------------------------------------------- fixtures


class _MirrorServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _MirrorHandler)
        self.root = root
        self.requests: list[str] = []
        self.seen_flaky: set[str] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _MirrorHandler(http.server.BaseHTTPRequestHandler):
    server: _MirrorServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append(self.path)
        route, _, rest = self.path.lstrip("/").partition("/")
        file = self.server.root / rest
        if route not in {"ok", "slow", "truncated", "flaky"} or not rest or not file.is_file():
            self.send_error(404, "Not Found")
            return
        body = file.read_bytes()
        if route == "slow":
            time.sleep(SLOW_PAUSE_S)
        if route == "flaky":
            with self.server.lock:
                first = rest not in self.server.seen_flaky
                self.server.seen_flaky.add(rest)
            if first:
                self.send_error(503, "Service Unavailable")
                return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if route == "truncated":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass


@pytest.fixture
def server(shared_data: Path) -> Iterator[_MirrorServer]:
    """A mirror of ``../shared/data`` on 127.0.0.1, counting requests."""
    srv = _MirrorServer(shared_data)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No user data dir, mirror or proxy; the default cache is a temporary folder."""
    for name in (sources.DATA_DIR_ENV, sources.MIRROR_ENV):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    default_cache = tmp_path / "default-cache"
    monkeypatch.setenv(sources.CACHE_ENV, str(default_cache))
    monkeypatch.setattr(sources, "_RETRY_PAUSE_S", 0.0)
    return default_cache


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


def test_unknown_dataset_id_lists_the_known_ids() -> None:
    with pytest.raises(DataNotFoundError) as info:
        sources.dataset("lsoa-2021")
    message = str(info.value)
    assert "'lsoa-2021'" in message and "ons-lsoa21-bsc" in message
    assert "iod2025-file7" in message


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
    shared_data: Path, server: _MirrorServer, cache: Path
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
    shared_data: Path, server: _MirrorServer, cache: Path, _isolated_env: Path
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
    assert _files(_isolated_env) == []  # the user's (default) cache was not touched


def test_fetch_uses_the_mirror_env_var_and_a_progress_bar(
    monkeypatch: pytest.MonkeyPatch, server: _MirrorServer, cache: Path
) -> None:
    monkeypatch.setenv(sources.MIRROR_ENV, server.url + "/ok")
    path = sources.fetch("iod2025-file6", cache=cache, progress=True)
    assert path.name == "File_6_IoD2025_Population_Denominators_DERBYSHIRE.csv"
    assert server.requests == ["/ok/iod2025/File_6_IoD2025_Population_Denominators_DERBYSHIRE.csv"]


def test_fetch_accepts_a_dataset_record_of_ones_own(
    server: _MirrorServer, cache: Path, shared_data: Path
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


def test_fetch_404_is_a_clear_download_error(server: _MirrorServer, cache: Path) -> None:
    base = server.url + "/missing"
    with pytest.raises(DownloadError) as info:
        sources.fetch(SMALL, cache=cache, base_url=base, progress=False, retries=2)
    url = base + "/ons/lookup_lad23_utla23.csv"
    message = _assert_clean_failure(info, SMALL, url, cache)
    assert "404" in message
    assert len(server.requests) == 1  # a 404 is not retried
    ds = sources.dataset(SMALL)
    assert ds.page in message  # where to get it by hand


def test_fetch_timeout_is_a_clear_download_error(server: _MirrorServer, cache: Path) -> None:
    base = server.url + "/slow"
    started = time.monotonic()
    with pytest.raises(DownloadError) as info:
        sources.fetch(
            SMALL, cache=cache, base_url=base, progress=False, timeout_s=CLIENT_TIMEOUT_S, retries=0
        )
    assert time.monotonic() - started < SLOW_PAUSE_S + 0.5
    message = _assert_clean_failure(info, SMALL, base + "/ons/lookup_lad23_utla23.csv", cache)
    assert "timeout" in message.lower()


def test_fetch_truncated_body_is_a_clear_download_error(server: _MirrorServer, cache: Path) -> None:
    base = server.url + "/truncated"
    with pytest.raises(DownloadError) as info:
        sources.fetch(SMALL, cache=cache, base_url=base, progress=False, retries=1)
    message = _assert_clean_failure(info, SMALL, base + "/ons/lookup_lad23_utla23.csv", cache)
    assert "truncated" in message
    assert "after 2 attempts" in message
    assert len(server.requests) == 2  # a dropped connection is retried


def test_fetch_truncated_body_without_checksum_is_still_refused(
    server: _MirrorServer, cache: Path
) -> None:
    unverified = dataclasses.replace(sources.dataset(SMALL), local_sha256=None)
    with pytest.raises(DownloadError, match="truncated"):
        sources.fetch(
            unverified, cache=cache, base_url=server.url + "/truncated", progress=False, retries=0
        )
    assert _files(cache) == []


def test_fetch_wrong_checksum_is_a_clear_download_error(server: _MirrorServer, cache: Path) -> None:
    wrong = dataclasses.replace(sources.dataset(SMALL), local_sha256="0" * 64)
    base = server.url + "/ok"
    with pytest.raises(DownloadError) as info:
        sources.fetch(wrong, cache=cache, base_url=base, progress=False, retries=2)
    message = _assert_clean_failure(info, SMALL, base + "/ons/lookup_lad23_utla23.csv", cache)
    assert "0" * 64 in message and "SHA-256" in message
    assert len(server.requests) == 1  # a checksum mismatch is not retried


def test_fetch_retries_a_server_error(server: _MirrorServer, cache: Path) -> None:
    path = sources.fetch(SMALL, cache=cache, base_url=server.url + "/flaky", progress=False)
    assert path.is_file()
    assert server.requests == ["/flaky/ons/lookup_lad23_utla23.csv"] * 2


def test_fetch_without_url_or_mirror_says_where_to_get_it(cache: Path, tmp_path: Path) -> None:
    ds = sources.dataset("ons-lsoa11-bsc")
    assert ds.url is None
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError) as info:
        sources.fetch(ds, data_dir=tmp_path / "empty", cache=cache)
    message = str(info.value)
    assert ds.page in message and ds.official_name in message and "--data-dir" in message
    assert str(tmp_path / "empty") in message


def test_missing_data_dir_is_an_error_not_a_download(
    monkeypatch: pytest.MonkeyPatch, server: _MirrorServer, tmp_path: Path, cache: Path
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


# --------------------------------------------------------------------------------- studies


@pytest.mark.parametrize("vintage", [2021, 2011])
def test_fetch_for_study_from_the_shared_data(
    shared_data: Path, server: _MirrorServer, cache: Path, vintage: int
) -> None:
    paths = sources.fetch_for_study(
        "E10000007", vintage=vintage, data_dir=shared_data, cache=cache, progress=False
    )
    assert {"lsoa_boundaries", "deprivation", "population", "lookup_lad_utla"} <= set(paths)
    assert all(path.is_file() and shared_data in path.parents for path in paths.values())
    assert (f"lsoa{str(vintage)[2:]}" in paths["lsoa_boundaries"].name) is True
    assert server.requests == []


def test_fetch_for_study_reports_every_failure(
    server: _MirrorServer, tmp_path: Path, cache: Path
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
    wanted = sources._STUDY_DATASETS[2021]
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
    shared_data: Path, server: _MirrorServer, cache: Path
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


def test_cli_data_fetch_errors_exit_2_without_traceback(server: _MirrorServer, cache: Path) -> None:
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
