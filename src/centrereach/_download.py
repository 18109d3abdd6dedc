"""Downloads into the cache: one file with pooch, or an ArcGIS FeatureServer layer page by page.

Internal to :mod:`centrereach.sources`, which decides what to download from where and turns a
:class:`Failure` into a :class:`~centrereach.errors.DownloadError` that names the dataset and
says how to get the file by hand.

Both kinds of download write to a temporary file beside the target and move it into place only
once it is complete and verified, so a failure leaves no file behind (the caller removes the
folders it created). Failures are put in plain words by :func:`_describe_failure`, which also
says whether trying again may help: a dropped connection, a timeout, a truncated body or an HTTP
5xx/429 is retried; a 404, a checksum mismatch or an unreachable host (no DNS) is not.

- :func:`download_file` lets pooch retry (``Pooch(retry_if_failed=retries)``, pausing 1 s, 2 s,
  ... up to 10 s). pooch retries any ``requests`` error or ``ValueError`` (which it also raises
  for a checksum mismatch), so the downloader given to pooch re-raises a failure that is not
  worth retrying as :class:`Failure`, which pooch passes on at once, and checks the checksum
  itself for the same reason.
- :func:`download_arcgis` pages through a FeatureServer layer's ``query`` operation (at most
  2,000 records a request), retrying each request itself, also after an ArcGIS ``error``
  object with a 5xx code (sent with HTTP 200), and assembles one GeoJSON or CSV file.

Note: GDAL's ESRIJSON driver (through pyogrio, already installed) pages FeatureServer queries
by itself (``pyogrio.read_dataframe("ESRIJSON:<service>/query?where=1=1&outFields=...&f=json")``)
and could replace most of the pager. It was not swapped in because it cannot be checked against
the live ONS services here; keep the record-count check and the failure wording if it is.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Protocol

from centrereach import _settings
from centrereach._sniff import content_problem, kind_from_name

__all__ = ["ArcGISLayer", "Failure", "Options", "download_arcgis", "download_file"]

logger = logging.getLogger(__name__)

_RETRY_PAUSE_S = 1.0  # pager: pause before retry n is n * _RETRY_PAUSE_S (seconds); tests set 0
_ARCGIS_PAGE_SIZE: Final = 2000  # the ONS layers' maxRecordCount; a server may send fewer


class Failure(Exception):
    """A download failed: why (in plain words), after how many attempts, and at which request.

    ``what`` names the request of a paged download that failed (e.g. "the page at offset
    2000"); None for a single-file download.

    >>> str(Failure("HTTP 404 Not Found", attempts=1))
    'HTTP 404 Not Found'
    """

    def __init__(self, reason: str, *, attempts: int = 1, what: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.what = what


class Options(Protocol):
    """How to download (``sources.FetchOptions`` has these fields)."""

    @property
    def progress(self) -> bool: ...
    @property
    def timeout_s(self) -> float: ...
    @property
    def retries(self) -> int: ...


class ArcGISLayer(Protocol):
    """What :func:`download_arcgis` reads of a dataset record (``sources.Dataset`` has it)."""

    @property
    def id(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def arcgis_service(self) -> str | None: ...
    @property
    def arcgis_fields(self) -> tuple[str, ...]: ...
    @property
    def arcgis_xy_srid(self) -> int | None: ...


def _describe_failure(exc: BaseException) -> tuple[str, bool]:
    """Say what went wrong in words, and whether trying again may help."""
    import requests

    if isinstance(exc, requests.HTTPError):
        response = exc.response
        status = response.status_code if response is not None else None
        reason = response.reason if response is not None else ""
        retry = status is None or status >= 500 or status == 429
        if status == 404:
            return "HTTP 404 Not Found: the server has no file at this address", False
        return f"HTTP {status} {reason}".strip(), retry
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return f"the server did not answer in time (timeout; {exc})", True
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in str(exc):
        return (
            f"the connection closed before the whole file arrived (truncated download; {exc})",
            True,
        )
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "NameResolutionError" in text or "Failed to resolve" in text:
            # No DNS: almost always no internet connection; trying again will not help.
            return f"could not find the server (no internet connection?) ({exc})", False
        return f"could not connect ({exc})", True
    if isinstance(exc, requests.RequestException):
        return f"request failed ({exc})", True
    return f"{type(exc).__name__}: {exc}", False


# --------------------------------------------------------------------------------------------
# One file, with pooch
# --------------------------------------------------------------------------------------------


class _Downloader:
    """pooch's HTTP downloader, with failures sorted into worth retrying or not.

    pooch retries whatever raises a ``requests`` error or a ``ValueError``; a failure that
    another attempt cannot mend is raised as :class:`Failure` instead, which pooch passes on.
    """

    def __init__(
        self, label: str, known_hash: str | None, options: Options, *, kind: str | None = None
    ) -> None:
        import pooch

        self.label = label
        self.known_hash = known_hash
        self.kind = kind
        self.attempts = 0
        self.max_attempts = options.retries + 1
        self.http = pooch.HTTPDownloader(
            progressbar=options.progress,
            timeout=options.timeout_s,
            headers={"User-Agent": f"centrereach/{_settings.package_version()} (+pooch)"},
        )

    def __call__(self, url: str, output_file: str, pup: object, check_only: bool = False) -> None:
        import pooch

        self.attempts += 1
        logger.info("downloading dataset %s from %s (attempt %d)", self.label, url, self.attempts)
        try:
            self.http(url, output_file, pup)
        except Exception as exc:
            reason, retry = _describe_failure(exc)
            if not retry:
                raise Failure(reason, attempts=self.attempts) from exc
            if self.attempts < self.max_attempts:
                logger.warning("download of %s failed (%s); trying again", self.label, reason)
            raise
        # A mirror, proxy or login wall may answer HTTP 200 with a web page: never save one.
        problem = content_problem(output_file, kind=self.kind)
        if self.known_hash is not None:
            digest = pooch.file_hash(output_file, alg="sha256")
            if digest != self.known_hash:
                also = f" ({problem})" if problem else ""
                reason = (
                    f"the downloaded bytes have SHA-256 {digest}, not the registered SHA-256 "
                    f"{self.known_hash}; the file on the server has changed or is corrupt{also}"
                )
                raise Failure(reason, attempts=self.attempts)
        elif problem is not None:
            reason = (
                f"the server answered with something that is not the dataset: {problem} (a "
                "mirror, proxy or sign-in page may have answered in place of the file)"
            )
            raise Failure(reason, attempts=self.attempts)


def download_file(
    url: str, target: Path, known_hash: str | None, options: Options, *, label: str
) -> Path:
    """Download ``url`` to ``target`` with pooch: temporary file, verify, move; retry if worth it.

    Parameters
    ----------
    url : str
        Where the file is.
    target : pathlib.Path
        Where it goes (its folder is created if needed).
    known_hash : str or None
        The SHA-256 (64 hex digits) the bytes must have; None saves them after a content sniff
        only (an empty file, a web page, or a file whose first bytes contradict the target's
        name, e.g. a ``.gz`` that is not gzip, is refused).
    options : Options
        ``progress`` (pooch's tqdm bar on stderr), ``timeout_s`` (seconds to wait for the
        connection and each read) and ``retries`` (extra attempts after a failure worth
        retrying; 0: try once), e.g. a ``sources.FetchOptions``.
    label : str
        The dataset id, for log messages.

    Returns
    -------
    pathlib.Path
        ``target``, complete and verified.

    Raises
    ------
    Failure
        With the reason in words and the number of attempts made.

    Examples
    --------
    A server that is not there fails at once, in words:

    >>> import tempfile, pathlib, types
    >>> once = types.SimpleNamespace(progress=False, timeout_s=2.0, retries=0)
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> try:
    ...     download_file("http://127.0.0.1:9/x.csv", target, None, once, label="x")
    ... except Failure as exc:
    ...     print(exc.reason[:18], exc.attempts, target.exists())
    could not connect  1 False
    """
    import pooch

    registry = {target.name: f"sha256:{known_hash}" if known_hash else None}
    fetcher = pooch.create(
        path=target.parent,
        base_url="",
        registry=registry,
        urls={target.name: url},
        retry_if_failed=options.retries,
    )
    downloader = _Downloader(label, known_hash, options, kind=kind_from_name(target.name))
    try:
        path = Path(fetcher.fetch(target.name, downloader=downloader))
    except Failure:
        raise
    except Exception as exc:  # the last attempt's failure, passed on by pooch
        reason, _ = _describe_failure(exc)
        raise Failure(reason, attempts=downloader.attempts) from exc
    if known_hash is None:
        logger.info("dataset %s has no registered checksum; saved unverified", label)
    return path


# --------------------------------------------------------------------------------------------
# ArcGIS FeatureServer layers (paged queries assembled into one file)
# --------------------------------------------------------------------------------------------


def _arcgis_error(payload: Mapping[str, object]) -> tuple[str, bool] | None:
    """The ``error`` object ArcGIS returns (with HTTP 200) in words, and whether to retry."""
    error = payload.get("error")
    if error is None:
        return None
    code: object = None
    message = str(error)
    if isinstance(error, Mapping):
        code = error.get("code")
        message = str(error.get("message") or "no message")
        details = error.get("details")
        if isinstance(details, list) and details:
            message += " (" + "; ".join(str(d) for d in details) + ")"
    retry = isinstance(code, int) and (code >= 500 or code == 429)
    return f"the service answered with an error: code {code}, {message}", retry


def _arcgis_request(
    layer: ArcGISLayer,
    session: Any,
    url: str,
    params: Mapping[str, str],
    *,
    what: str,
    timeout_s: float,
    retries: int,
) -> dict[str, Any]:
    """GET one ArcGIS REST answer as a JSON object, retrying after a failure worth retrying."""
    import json

    attempts = max(0, retries) + 1
    for attempt in range(1, attempts + 1):
        logger.debug("dataset %s: requesting %s (attempt %d)", layer.id, what, attempt)
        try:
            response = session.get(url, params=params, timeout=timeout_s)
            response.raise_for_status()
        except Exception as exc:
            reason, retry = _describe_failure(exc)
        else:
            try:
                payload = json.loads(response.content)
            except ValueError as exc:
                start = response.content[:80].decode("utf-8", "replace")
                reason, retry = f"the answer is not valid JSON ({exc}; it starts {start!r})", False
            else:
                if not isinstance(payload, dict):
                    reason = f"the answer is JSON but not an object ({type(payload).__name__})"
                    retry = False
                else:
                    failed = _arcgis_error(payload)
                    if failed is None:
                        return payload
                    reason, retry = failed
        if retry and attempt < attempts:
            pause = attempt * _RETRY_PAUSE_S
            logger.warning(
                "download of %s: %s failed (%s); retrying in %.0f s", layer.id, what, reason, pause
            )
            time.sleep(pause)
            continue
        raise Failure(reason, attempts=attempt, what=what)
    raise AssertionError("unreachable")  # pragma: no cover


def _arcgis_page_params(layer: ArcGISLayer, offset: int) -> dict[str, str]:
    params = {
        "where": "1=1",
        "outFields": ",".join(layer.arcgis_fields),
        "orderByFields": layer.arcgis_fields[0],
        "resultOffset": str(offset),
        "resultRecordCount": str(_ARCGIS_PAGE_SIZE),
    }
    if layer.format == "geojson":
        params.update(outSR="4326", f="geojson")
    elif layer.arcgis_xy_srid is not None:
        params.update(returnGeometry="true", outSR=str(layer.arcgis_xy_srid), f="json")
    else:
        params.update(returnGeometry="false", f="json")
    return params


def _exceeded_transfer_limit(payload: Mapping[str, Any]) -> bool:
    """``exceededTransferLimit`` of a page: top level (f=json) or in ``properties`` (f=geojson)."""
    if payload.get("exceededTransferLimit") is True:
        return True
    properties = payload.get("properties")
    return isinstance(properties, Mapping) and properties.get("exceededTransferLimit") is True


class _GeoJSONWriter:
    """Writes the features of the pages as one GeoJSON FeatureCollection, as they come."""

    def __init__(self, layer: ArcGISLayer, stream: Any) -> None:
        self.code = layer.arcgis_fields[0]
        self.stream = stream
        self.count = 0
        stream.write('{"type": "FeatureCollection", "features": [\n')

    def add(self, feature: object) -> str | None:
        import json

        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            return "a page holds something that is not a GeoJSON feature"
        properties = feature.get("properties")
        if not isinstance(properties, Mapping) or self.code not in properties:
            return f"a feature has no {self.code} property"
        if "geometry" not in feature:
            return f"feature {properties[self.code]} has no geometry"
        if self.count:
            self.stream.write(",\n")
        self.stream.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        self.count += 1
        return None

    def close(self) -> None:
        self.stream.write("\n]}\n")


class _CSVWriter:
    """Writes the attributes (and point coordinates) of the pages' features as one CSV."""

    def __init__(self, layer: ArcGISLayer, stream: Any) -> None:
        import csv

        self.fields = layer.arcgis_fields
        self.xy = layer.arcgis_xy_srid is not None
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow([*self.fields, *(("x", "y") if self.xy else ())])

    def add(self, feature: object) -> str | None:
        attributes = feature.get("attributes") if isinstance(feature, Mapping) else None
        if not isinstance(attributes, Mapping):
            return "a feature of a page has no attributes"
        # The service spells field names its own way; match them without regard to case.
        by_name = {str(k).casefold(): v for k, v in attributes.items()}
        row: list[object] = []
        for name in self.fields:
            if name.casefold() not in by_name:
                return f"a feature has no field {name} (it has {', '.join(map(str, attributes))})"
            value = by_name[name.casefold()]
            row.append("" if value is None else value)
        if self.xy:
            geometry = feature.get("geometry") if isinstance(feature, Mapping) else None
            if geometry is None:
                row += ["", ""]
            elif isinstance(geometry, Mapping) and {"x", "y"} <= set(geometry):
                row += [geometry["x"], geometry["y"]]
            else:
                return f"feature {row[0]} has no point geometry (x, y)"
        self.writer.writerow(row)
        return None

    def close(self) -> None:
        pass


def download_arcgis(layer: ArcGISLayer, target: Path, options: Options) -> int:
    """Page through ``layer.arcgis_service`` and write the assembled file atomically to ``target``.

    The number of records is asked first (``returnCountOnly``); pages of up to 2,000 records,
    ordered by the first field, are then requested with ``resultOffset`` until the service says
    no more follow (``exceededTransferLimit`` false) and the count is reached. Each request is
    retried up to ``options.retries`` times after a failure worth retrying, pausing 1 s, 2 s,
    ...; ``options.timeout_s`` limits each, and ``options.progress`` shows a bar of records.

    Returns
    -------
    int
        The number of records saved.

    Raises
    ------
    Failure
        If a request fails, an answer is not what a FeatureServer sends, or the records do not
        add up to the count; no file is left at ``target``.

    Examples
    --------
    >>> import tempfile, pathlib, types
    >>> once = types.SimpleNamespace(progress=False, timeout_s=2.0, retries=0)
    >>> layer = types.SimpleNamespace(
    ...     id="x", format="csv", arcgis_service="http://127.0.0.1:9/FeatureServer/0",
    ...     arcgis_fields=("CODE",), arcgis_xy_srid=None)
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> try:
    ...     download_arcgis(layer, target, once)
    ... except Failure as exc:
    ...     print(exc.what, "|", exc.reason[:18], "|", target.exists())
    the record count | could not connect  | False
    """
    import requests
    from tqdm.auto import tqdm

    from centrereach._io import atomic_path

    assert layer.arcgis_service is not None
    query_url = layer.arcgis_service.rstrip("/") + "/query"
    session = requests.Session()
    session.headers["User-Agent"] = f"centrereach/{_settings.package_version()} (+requests)"
    request = functools.partial(
        _arcgis_request,
        layer,
        session,
        query_url,
        timeout_s=options.timeout_s,
        retries=options.retries,
    )
    logger.info("downloading dataset %s from the ArcGIS service %s", layer.id, query_url)
    with session:
        what = "the record count"
        counted = request({"where": "1=1", "returnCountOnly": "true", "f": "json"}, what=what)
        count = counted.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise Failure(f"no record count in {counted!r:.200}", what=what)
        with (
            atomic_path(target) as tmp,
            tmp.open("w", encoding="utf-8", newline="") as stream,
            tqdm(
                total=count,
                unit=" records",
                desc=layer.id,
                disable=not options.progress,
                file=sys.stderr,
                leave=True,
            ) as bar,
        ):
            writer: _GeoJSONWriter | _CSVWriter = (
                _GeoJSONWriter(layer, stream)
                if layer.format == "geojson"
                else _CSVWriter(layer, stream)
            )
            offset = 0
            while True:
                what = f"the page at offset {offset}"
                page = request(_arcgis_page_params(layer, offset), what=what)
                features = page.get("features")
                if not isinstance(features, list):
                    raise Failure("the answer has no list of features", what=what)
                for feature in features:
                    problem = writer.add(feature)
                    if problem is not None:
                        raise Failure(problem, what=what)
                offset += len(features)
                bar.update(len(features))
                more = _exceeded_transfer_limit(page)
                # Stop when the service says no more follow and the count is reached, or at an
                # empty page, or once past the count (both then fail the check below).
                if not features or offset > count or (not more and offset == count):
                    break
            if offset != count:
                raise Failure(
                    f"the service counted {count} records but sent {offset}; the layer may "
                    "have changed during the download",
                    what="the record count check",
                )
            writer.close()
    logger.info("dataset %s: %d records saved to %s", layer.id, count, target)
    return count
