"""Road networks from Geofabrik's OpenStreetMap extracts: choose, download, verify, cache, merge.

Geofabrik publishes a daily OpenStreetMap extract of every English county (and of most regions
of the world) as ``<name>-latest.osm.pbf``, with its MD5 checksum beside it
(``<name>-latest.osm.pbf.md5``) and a machine index of the extracts' boundaries,
``https://download.geofabrik.de/index-v1.json``: a GeoJSON FeatureCollection whose features
carry ``properties.id``, ``properties.parent``, ``properties.name`` and ``properties.urls.pbf``,
and the clipping polygon as the geometry (see Geofabrik's technical notes; osmextract and
quackosm read the same file).

:func:`network_file` turns a study area (already buffered, lon/lat) into one small PBF file of
the roads and paths around it:

1. the index is read from the cache, or downloaded (``index-v1.json``);
2. the extracts whose boundaries cover the area are chosen (a greedy cover that weighs each
   extract by its size), so a county study takes its county and the neighbouring counties its
   buffer reaches, never England (:meth:`ExtractIndex.covering`);
3. what is not cached yet is announced with its size (HTTP ``HEAD``, ``Content-Length``) and
   downloaded with a progress bar, each file into a temporary folder, checked (a PBF header, and
   the MD5 that Geofabrik publishes) and only then moved into the cache, so a failed or
   interrupted download leaves nothing behind;
4. the extracts are merged and clipped to the area (:func:`merge_extracts`): every ``highway``
   way with a node inside the area and the nodes it uses, each written once, however many
   extracts hold it (Geofabrik keeps a way that crosses a county border complete in both).

A cached file is used without asking the server while it is younger than ``max_age_days``
(default 30); after that, or with ``refresh=True``, the server's ``.md5`` says whether a new
file must be downloaded. With no internet a cached file is used whatever its age (with a note),
and a missing one gives a :class:`~centrereach.errors.NetworkUnavailableError` that lists the
exact files to download and the folder to put them in.

Files live in ``networks/geofabrik`` under the cache root (``CENTREREACH_CACHE_DIR``, else the
user cache folder); the server is ``CENTREREACH_GEOFABRIK_URL`` when set (a mirror laid out like
Geofabrik's server), else ``https://download.geofabrik.de``.

Examples
--------
>>> from shapely.geometry import box
>>> index = ExtractIndex.from_geojson({"type": "FeatureCollection", "features": [
...     {"type": "Feature", "geometry": box(-2.1, 52.6, -1.1, 53.6).__geo_interface__,
...      "properties": {"id": "derbyshire", "parent": "england", "name": "Derbyshire",
...                     "urls": {"pbf": "https://download.geofabrik.de/europe/"
...                              "united-kingdom/england/derbyshire-latest.osm.pbf"}}},
...     {"type": "Feature", "geometry": box(-6.0, 49.9, 1.8, 55.8).__geo_interface__,
...      "properties": {"id": "england", "parent": "united-kingdom", "name": "England",
...                     "urls": {"pbf": "https://download.geofabrik.de/europe/"
...                              "united-kingdom/england-latest.osm.pbf"}}}]})
>>> [e.filename for e in index.covering(box(-1.5, 53.2, -1.4, 53.3))]  # Chesterfield
['derbyshire-latest.osm.pbf']
>>> [e.id for e in index.covering(box(-1.2, 53.2, -1.0, 53.3))]  # across the county border
['derbyshire', 'england']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from centrereach import _download, _settings
from centrereach._io import atomic_path, write_text_atomic
from centrereach.errors import DataFormatError, DownloadError, NetworkUnavailableError

if TYPE_CHECKING:
    import requests
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "INDEX_NAME",
    "MAX_AGE_DAYS",
    "CachedExtract",
    "Extract",
    "ExtractIndex",
    "NetworkFile",
    "default_folder",
    "merge_extracts",
    "network_file",
]

logger = logging.getLogger(__name__)

#: The index of the extracts' boundaries on the download server.
INDEX_NAME: Final = "index-v1.json"
#: Days a cached index or extract is used without asking the server whether it changed.
MAX_AGE_DAYS: Final = 30
#: Share of the area an extract must add to be chosen (smaller: a sliver between polygons).
_MIN_SHARE: Final = 0.005
#: Version of the merged-file layout; part of every merged file's name.
_MERGE_FORMAT: Final = 1
_MD5 = re.compile(r"^\s*([0-9a-fA-F]{32})(?:\s+\*?(\S+))?\s*$")


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extract:
    """One extract of the index: its id, name, parent, PBF URL and boundary (lon/lat).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> e = Extract("rutland", "Rutland", "england",
    ...             "https://download.geofabrik.de/europe/united-kingdom/england/"
    ...             "rutland-latest.osm.pbf", box(-0.83, 52.52, -0.42, 52.77))
    >>> e.filename, e.md5_url.endswith("rutland-latest.osm.pbf.md5")
    ('rutland-latest.osm.pbf', True)
    """

    id: str
    name: str
    parent: str | None
    url: str
    geometry: BaseGeometry = field(repr=False, compare=False)

    @property
    def filename(self) -> str:
        """The file name on the server (``derbyshire-latest.osm.pbf``)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def md5_url(self) -> str:
        """Where Geofabrik publishes the extract's MD5 checksum."""
        return self.url + ".md5"


def _geometry(value: object, *, where: str, source: str) -> BaseGeometry | None:
    import shapely
    from shapely.geometry import shape

    if value is None:
        return None
    try:
        geom = shape(value)
    except Exception as exc:
        msg = f"{source}: {where} has a geometry that is not GeoJSON ({exc})"
        raise DataFormatError(msg) from exc
    if geom.geom_type not in {"Polygon", "MultiPolygon"}:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


@dataclass(frozen=True)
class ExtractIndex:
    """The extracts a Geofabrik server offers, with their boundaries.

    Build it with :meth:`from_geojson` (the parsed ``index-v1.json``); :meth:`covering` chooses
    the extracts an area needs.

    Examples
    --------
    >>> index = ExtractIndex.from_geojson({"type": "FeatureCollection", "features": []})
    >>> len(index.extracts), index.covering is not None
    (0, True)
    """

    extracts: tuple[Extract, ...]
    source: str = "index-v1.json"

    @classmethod
    def from_geojson(
        cls, data: Mapping[str, Any], *, source: str = INDEX_NAME, base_url: str | None = None
    ) -> ExtractIndex:
        """Read Geofabrik's ``index-v1.json`` (already parsed).

        Features without a polygon (the planet) are left out.

        Parameters
        ----------
        data
            The GeoJSON FeatureCollection.
        source
            Where it came from, for messages.
        base_url
            The server in use (:func:`centrereach._settings.geofabrik_url`): PBF URLs on
            Geofabrik's own server are rewritten to it, so a mirror serves the extracts too.

        Returns
        -------
        ExtractIndex

        Raises
        ------
        centrereach.errors.DataFormatError
            The data is not a FeatureCollection of extracts (the message names the feature and
            the missing property).

        Examples
        --------
        >>> ExtractIndex.from_geojson({"type": "Feature"})
        Traceback (most recent call last):
        ...
        centrereach.errors.DataFormatError: index-v1.json is not Geofabrik's index of ...
        """
        features = data.get("features") if isinstance(data, Mapping) else None
        if (
            not isinstance(data, Mapping)
            or data.get("type") != "FeatureCollection"
            or (not isinstance(features, list))
        ):
            msg = (
                f"{source} is not Geofabrik's index of extracts: expected a GeoJSON "
                "FeatureCollection with a list of features"
            )
            raise DataFormatError(msg)
        official = _settings.GEOFABRIK_URL
        extracts = []
        for number, feature in enumerate(features, start=1):
            props = feature.get("properties") if isinstance(feature, Mapping) else None
            where = f"feature {number}"
            if not isinstance(props, Mapping) or not isinstance(props.get("id"), str):
                msg = f"{source}: {where} has no properties.id (the extract's identifier)"
                raise DataFormatError(msg)
            where = f"feature {number} ({props['id']})"
            urls = props.get("urls")
            pbf = urls.get("pbf") if isinstance(urls, Mapping) else None
            if not isinstance(pbf, str) or not pbf.endswith(".osm.pbf"):
                msg = f"{source}: {where} has no properties.urls.pbf ending in .osm.pbf"
                raise DataFormatError(msg)
            geom = _geometry(feature.get("geometry"), where=where, source=source)
            if geom is None:
                continue
            if base_url and base_url.rstrip("/") != official and pbf.startswith(official + "/"):
                pbf = base_url.rstrip("/") + pbf[len(official) :]
            parent = props.get("parent")
            extracts.append(
                Extract(
                    id=props["id"],
                    name=str(props.get("name") or props["id"]),
                    parent=parent if isinstance(parent, str) else None,
                    url=pbf,
                    geometry=geom,
                )
            )
        return cls(tuple(extracts), source)

    def covering(self, area: BaseGeometry) -> list[Extract]:
        """The extracts that together cover ``area`` (lon/lat), the most useful first.

        A greedy set cover, with an extract's size (the area of its boundary) standing for
        its download size: each step takes the extract that covers the most of what is still
        uncovered for its size, as long as that is more than 0.5% of ``area`` (so slivers
        between neighbouring boundaries never pull in a whole country). A county study thus
        gets its own county first, then the neighbouring counties its buffer reaches, and a
        country only where no smaller extract reaches. An empty list means the index covers
        no part of the area.

        Parameters
        ----------
        area
            The study area plus its buffer (shapely geometry, EPSG:4326).

        Returns
        -------
        list of Extract
            In the order chosen.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> index = ExtractIndex((Extract("a", "A", None, "http://x/a-latest.osm.pbf",
        ...                               box(0, 0, 1, 1)),))
        >>> index.covering(box(5, 5, 6, 6))
        []
        """
        import shapely

        if area.is_empty:
            return []
        least = _MIN_SHARE * area.area
        remaining = area
        candidates = [e for e in self.extracts if e.geometry.intersects(area)]
        chosen: list[Extract] = []
        while candidates and remaining.area > least:
            gains = [shapely.intersection(remaining, e.geometry).area for e in candidates]
            best = max(
                (i for i, gain in enumerate(gains) if gain > least),
                key=lambda i: (gains[i] / max(candidates[i].geometry.area, 1e-12), -i),
                default=None,
            )
            if best is None:
                break
            extract = candidates.pop(best)
            chosen.append(extract)
            remaining = shapely.difference(remaining, extract.geometry)
        return chosen


# --------------------------------------------------------------------------------------------
# Files in the cache
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedExtract:
    """An extract in the cache, verified against its MD5.

    ``timestamp`` is the data's date (the PBF header's ``osmosis_replication_timestamp``, else
    the server's ``Last-Modified``), ``size_bytes`` the file's size in bytes.

    Examples
    --------
    >>> c = CachedExtract("rutland", "rutland-latest.osm.pbf", "http://x/rutland-latest.osm.pbf",
    ...                   __import__("pathlib").Path("/tmp/rutland-latest.osm.pbf"),
    ...                   "0" * 32, "2018-02-27T21:43:02Z", 1_179_881)
    >>> c.record()["name"], c.record()["size_bytes"]
    ('rutland-latest.osm.pbf', 1179881)
    """

    id: str
    name: str
    url: str
    path: Path
    md5: str
    timestamp: str | None
    size_bytes: int

    def record(self) -> dict[str, Any]:
        """What ``study.json`` records of it: name, id, URL, data timestamp, MD5, size, path."""
        return {
            "name": self.name,
            "id": self.id,
            "url": self.url,
            "timestamp": self.timestamp,
            "md5": self.md5,
            "size_bytes": self.size_bytes,
            "path": str(self.path),
        }


def default_folder() -> Path:
    """The folder of Geofabrik files: ``networks/geofabrik`` in the cache root.

    >>> default_folder().parts[-2:]
    ('networks', 'geofabrik')
    """
    return _settings.cache_dir("networks") / "geofabrik"


def _md5_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "md5").hexdigest()


def _parse_md5(text: str, *, what: str) -> str:
    """The checksum of a ``.md5`` file (``<32 hex>  <name>``), or a DownloadError."""
    match = _MD5.match(text.strip().splitlines()[0] if text.strip() else "")
    if match is None:
        start = text.strip()[:60]
        kind = " (a web page, not a checksum)" if start.lstrip().startswith("<") else ""
        msg = f"{what} is not an MD5 checksum file{kind}: it starts {start!r}"
        raise DownloadError(msg)
    return match.group(1).lower()


def _pbf_problem(path: Path) -> str | None:
    """Why ``path`` is not an OpenStreetMap PBF file, or None when its start is right."""
    with path.open("rb") as fh:
        head = fh.read(64)
    if len(head) >= 16 and b"OSMHeader" in head[4:20]:
        return None
    text = head.decode("utf-8", "replace").strip()
    if text.lower().startswith(("<!doctype html", "<html", "<?xml", "<")):
        return (
            f"it is a web page, not an OpenStreetMap PBF file (it starts {text[:40]!r}; a "
            "proxy, a login page or an error page answered instead of the server)"
        )
    if not head:
        return "it is empty"
    return f"it is not an OpenStreetMap PBF file (it starts {head[:16]!r})"


def _pbf_timestamp(path: Path) -> str | None:
    import osmium

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
        try:
            header = reader.header()
            stamp = header.get("osmosis_replication_timestamp") or header.get("timestamp")
        finally:
            reader.close()
    except RuntimeError:
        return None
    return stamp or None


def _age_days(path: Path) -> float:
    return (time.time() - path.stat().st_mtime) / 86_400


def _verified(extract: Extract, folder: Path) -> CachedExtract | None:
    """The cached extract when its PBF and ``.md5`` are there and agree; else None."""
    pbf = folder / extract.filename
    md5_file = folder / (extract.filename + ".md5")
    if not pbf.is_file() or not md5_file.is_file():
        return None
    try:
        expected = _parse_md5(md5_file.read_text("utf-8", "replace"), what=str(md5_file))
    except DownloadError:
        logger.warning("ignoring %s: not an MD5 checksum file", md5_file)
        return None
    if _pbf_problem(pbf) is not None or _md5_of(pbf) != expected:
        logger.warning("the cached %s does not match its MD5; it will be downloaded again", pbf)
        return None
    meta = _read_meta(folder, extract)
    return CachedExtract(
        id=extract.id,
        name=extract.filename,
        url=extract.url,
        path=pbf,
        md5=expected,
        timestamp=_pbf_timestamp(pbf) or meta.get("last_modified"),
        size_bytes=pbf.stat().st_size,
    )


def _read_meta(folder: Path, extract: Extract) -> dict[str, Any]:
    path = folder / (extract.filename + ".json")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


class _Offline(Exception):
    """The server cannot be reached at all (no internet, no DNS, refused, timed out)."""


def _session() -> requests.Session:
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = f"centrereach/{_settings.package_version()} (+requests)"
    return session


def _get_text(session: requests.Session, url: str, *, timeout_s: float, what: str) -> str:
    """GET a small text file; _Offline when the server is unreachable, DownloadError on HTTP."""
    import requests

    try:
        response = session.get(url, timeout=timeout_s)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Offline(_unreachable(url, _download._describe_failure(exc)[0])) from exc
    if response.status_code != 200:
        msg = f"could not download {what} from {url}: HTTP {response.status_code} {response.reason}"
        raise DownloadError(msg)
    return response.text


def _head_size(session: requests.Session, url: str, *, timeout_s: float) -> int | None:
    """The size in bytes the server announces for ``url`` (HTTP HEAD), or None."""
    import requests

    try:
        response = session.head(url, timeout=timeout_s, allow_redirects=True)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Offline(_unreachable(url, _download._describe_failure(exc)[0])) from exc
    length = response.headers.get("Content-Length")
    if response.status_code != 200 or length is None or not length.isdigit():
        return None
    return int(length)


def _unreachable(url: str, reason: str) -> str:
    """A short reason why ``url``'s server cannot be reached (the details are in the log)."""
    from urllib.parse import urlsplit

    host = urlsplit(url).netloc or url
    logger.debug("cannot reach %s: %s", url, reason)
    if reason.startswith("could not find the server"):
        return f"could not find the server {host}"
    if "timeout" in reason:
        return f"{host} did not answer in time"
    return f"could not connect to {host}"


def _mb(size: int | None) -> str:
    return "size unknown" if size is None else f"{size / 1e6:,.1f} MB"


# --------------------------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    progress: bool
    timeout_s: float
    retries: int


def _download_verified(
    url: str,
    target: Path,
    *,
    md5: str | None,
    options: _Options,
    label: str,
    check_pbf: bool,
) -> Path:
    """Download ``url`` into a temporary folder beside ``target``, check it, move it into place.

    Nothing is left at ``target`` or in the folder when anything fails.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        try:
            got = _download.download_file(url, staging / target.name, None, options, label=label)
        except _download.Failure as exc:
            attempts = f" ({exc.attempts} attempts)" if exc.attempts > 1 else ""
            msg = f"could not download {target.name} from {url}: {exc.reason}{attempts}"
            raise DownloadError(msg) from exc
        if check_pbf:
            problem = _pbf_problem(got)
            if problem is not None:
                msg = f"the download of {target.name} from {url} failed: {problem}"
                raise DownloadError(msg)
        if md5 is not None:
            digest = _md5_of(got)
            if digest != md5:
                msg = (
                    f"the download of {target.name} from {url} failed: its MD5 is {digest}, "
                    f"not {md5} as the server's {target.name}.md5 says (a truncated or "
                    "damaged download, or the file changed on the server meanwhile)"
                )
                raise DownloadError(msg)
        got.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --------------------------------------------------------------------------------------------
# The plan and the entry point
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkFile:
    """The merged, clipped PBF of an area and the verified extracts it was made from.

    Examples
    --------
    >>> from pathlib import Path
    >>> nf = NetworkFile(Path("/tmp/merged.osm.pbf"), (), area_label="the study area")
    >>> nf.source_text()
    'OpenStreetMap via Geofabrik: no extracts'
    """

    path: Path
    extracts: tuple[CachedExtract, ...]
    area_label: str = "the area"

    def source_text(self) -> str:
        """One line for ``G.graph["source"]``: the extracts, their dates, the clipping."""
        if not self.extracts:
            return "OpenStreetMap via Geofabrik: no extracts"
        parts = [
            f"{e.name} (data of {e.timestamp or 'unknown date'}, MD5 {e.md5})"
            for e in self.extracts
        ]
        return (
            f"{' + '.join(e.name for e in self.extracts)}: OpenStreetMap via Geofabrik, "
            f"{'; '.join(parts)}; clipped to {self.area_label}"
        )


def _offline_message(
    reason: str, *, missing: Sequence[str], folder: Path, index_only: bool, area_label: str
) -> str:
    where = f"{folder}{os.sep}"
    if index_only:
        return (
            f"cannot download the road network: no internet connection ({reason}). centrereach "
            f"takes road networks from Geofabrik's county extracts, chosen with Geofabrik's "
            f"index of their boundaries, which is not in the cache yet. To run offline, "
            f"download {missing[0]} on a machine with internet and put it in {where} (keep its "
            f"name, {INDEX_NAME}); run again and centrereach names the county extracts "
            f"{area_label} needs. Or give a road network file for each mode: "
            "--network drive=PATH --network walk=PATH (e.g. a Geofabrik county extract)."
        )
    files = "; ".join(missing)
    return (
        f"cannot download the road network: no internet connection ({reason}). "
        f"{area_label[:1].upper()}{area_label[1:]} needs {len(missing) // 2} Geofabrik "
        f"extract(s) that are not in the cache. To run offline, download these files on a "
        f"machine with internet and put them in {where} (keep their names), then run again: "
        f"{files}."
    )


def _load_index(
    folder: Path,
    base_url: str,
    *,
    session: requests.Session,
    refresh: bool,
    max_age_days: float,
    options: _Options,
    area_label: str,
) -> ExtractIndex:
    path = folder / INDEX_NAME
    url = f"{base_url}/{INDEX_NAME}"
    fresh = path.is_file() and not refresh and _age_days(path) < max_age_days
    if not fresh:
        try:
            _download_verified(
                url, path, md5=None, options=options, label=INDEX_NAME, check_pbf=False
            )
        except DownloadError as exc:
            if not path.is_file():
                if _is_offline(exc):
                    raise NetworkUnavailableError(
                        _offline_message(
                            _unreachable(url, str(exc.__cause__ or exc)),
                            missing=[url],
                            folder=folder,
                            index_only=True,
                            area_label=area_label,
                        )
                    ) from exc
                raise
            logger.warning("could not update %s (%s); using the cached copy", INDEX_NAME, exc)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        path.unlink(missing_ok=True)
        msg = (
            f"{path} (from {url}) is not valid JSON ({exc}); it was removed: run again to "
            "download it afresh"
        )
        raise DownloadError(msg) from exc
    try:
        return ExtractIndex.from_geojson(data, source=str(path), base_url=base_url)
    except DataFormatError:
        path.unlink(missing_ok=True)
        raise


def _is_offline(exc: BaseException) -> bool:
    """Whether a download failed because the server could not be reached at all."""
    cause = exc.__cause__
    if isinstance(cause, _download.Failure):
        reason = cause.reason
        return reason.startswith(("could not connect", "could not find the server")) or (
            "timeout" in reason
        )
    return isinstance(cause, _Offline)


def network_file(
    area: BaseGeometry,
    *,
    folder: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    refresh: bool = False,
    max_age_days: float = MAX_AGE_DAYS,
    progress: bool = True,
    timeout_s: float = 60.0,
    retries: int = 2,
    area_label: str = "the study area",
) -> NetworkFile | None:
    """Download (or find in the cache) the Geofabrik extracts of ``area`` and merge them.

    Parameters
    ----------
    area
        The study area plus its buffer (shapely Polygon/MultiPolygon, EPSG:4326).
    folder
        Where the index, the extracts and merged files are kept (default
        :func:`default_folder`).
    base_url
        The download server (default :func:`centrereach._settings.geofabrik_url`).
    refresh
        Ask the server now whether the index and the extracts changed, however young the
        cached copies are (a changed extract is downloaded again).
    max_age_days
        Cached files younger than this (days) are used without asking the server.
    progress
        Show progress bars (stderr).
    timeout_s
        Seconds to wait for the server to answer (each request and each read).
    retries
        Extra attempts after a failure worth retrying (a dropped connection, HTTP 5xx).
    area_label
        How messages name ``area`` (e.g. "the study area plus 10,000 m").

    Returns
    -------
    NetworkFile or None
        The merged file (``path``) and the verified extracts; None when the index covers no
        part of ``area`` (use another source, e.g. Overpass).

    Raises
    ------
    centrereach.errors.NetworkUnavailableError
        No internet and the files are not cached: the message lists the exact files to
        download and the folder to put them in.
    centrereach.errors.DownloadError
        A download failed (HTTP error, a truncated or damaged file, a web page instead of a
        PBF, a wrong MD5); nothing is left in the cache.

    Examples
    --------
    With no server (here a closed port) and nothing cached, the message says what to fetch:

    >>> import tempfile
    >>> from shapely.geometry import box
    >>> try:
    ...     network_file(box(-1.5, 53.2, -1.4, 53.3), folder=tempfile.mkdtemp(),
    ...                  base_url="http://127.0.0.1:9", progress=False, retries=0)
    ... except NetworkUnavailableError as exc:
    ...     print(str(exc)[:56])
    cannot download the road network: no internet connection
    """
    base = _settings.geofabrik_url(base_url)
    where = Path(folder) if folder is not None else default_folder()
    options = _Options(progress=progress, timeout_s=timeout_s, retries=retries)
    with _session() as session:
        index = _load_index(
            where, base, session=session, refresh=refresh, max_age_days=max_age_days,
            options=options, area_label=area_label,
        )  # fmt: skip
        needed = index.covering(area)
        if not needed:
            logger.info("Geofabrik's index has no extract covering %s", area_label)
            return None
        extracts = _fetch(
            needed, where, session=session, refresh=refresh, max_age_days=max_age_days,
            options=options, area_label=area_label,
        )  # fmt: skip
    merged = _merged_path(where, extracts, area)
    if not merged.is_file():
        merge_extracts([e.path for e in extracts], area, merged, progress=progress)
    else:
        logger.info("merged road extracts served from the cache %s", merged)
    return NetworkFile(merged, tuple(extracts), area_label=area_label)


def _fetch(
    needed: Sequence[Extract],
    folder: Path,
    *,
    session: requests.Session,
    refresh: bool,
    max_age_days: float,
    options: _Options,
    area_label: str,
) -> list[CachedExtract]:
    """Verified local copies of ``needed``: cached ones, checked or updated, and downloads."""
    have: dict[str, CachedExtract] = {}
    check: list[Extract] = []
    for extract in needed:
        cached = _verified(extract, folder)
        if cached is None:
            continue
        have[extract.id] = cached
        md5_file = folder / (extract.filename + ".md5")
        if refresh or _age_days(md5_file) >= max_age_days:
            check.append(extract)
    # Ask the server for the MD5 of every extract that is missing or due for a check.
    wanted = [e for e in needed if e.id not in have or e in check]
    md5s: dict[str, str] = {}
    try:
        for extract in wanted:
            text = _get_text(
                session, extract.md5_url, timeout_s=options.timeout_s,
                what=f"{extract.filename}.md5",
            )  # fmt: skip
            md5s[extract.id] = _parse_md5(text, what=f"{extract.md5_url}")
    except _Offline as exc:
        missing = [e for e in needed if e.id not in have]
        if missing:
            files = [url for e in missing for url in (e.url, e.md5_url)]
            raise NetworkUnavailableError(
                _offline_message(
                    str(exc),
                    missing=files,
                    folder=folder,
                    index_only=False,
                    area_label=area_label,
                )
            ) from exc
        for extract in check:
            logger.warning(
                "could not check %s with the server (%s); using the cached copy of %s",
                extract.filename, exc, have[extract.id].timestamp or "unknown date",
            )  # fmt: skip
        return [have[e.id] for e in needed]
    to_get = []
    for extract in needed:
        cached = have.get(extract.id)
        if cached is not None and extract.id in md5s and md5s[extract.id] == cached.md5:
            (folder / (extract.filename + ".md5")).touch()  # confirmed: fresh again
        if cached is None or (extract.id in md5s and md5s[extract.id] != cached.md5):
            to_get.append(extract)
    if to_get:
        sizes = {e.id: _head_size(session, e.url, timeout_s=options.timeout_s) for e in to_get}
        known = [s for s in sizes.values() if s is not None]
        total = f"{sum(known) / 1e6:,.1f} MB" if len(known) == len(to_get) else "size unknown"
        listed = ", ".join(f"{e.filename} ({_mb(sizes[e.id])})" for e in to_get)
        kept = [e.filename for e in needed if e not in to_get]
        logger.info(
            "road network from Geofabrik: %s needs %d extract(s); downloading %d (%s): %s%s "
            "into %s",
            area_label, len(needed), len(to_get), total, listed,
            f"; already cached: {', '.join(kept)}" if kept else "", folder,
        )  # fmt: skip
        for extract in to_get:
            _download_extract(extract, folder, md5=md5s[extract.id], session=session,
                              options=options)  # fmt: skip
            cached = _verified(extract, folder)
            if cached is None:  # pragma: no cover - just verified by the download
                msg = f"{extract.filename} did not verify after its download"
                raise DownloadError(msg)
            have[extract.id] = cached
    return [have[e.id] for e in needed]


def _download_extract(
    extract: Extract, folder: Path, *, md5: str, session: requests.Session, options: _Options
) -> None:
    """Download one extract and its ``.md5`` (checked) into ``folder``."""
    pbf = folder / extract.filename
    _download_verified(
        extract.url, pbf, md5=md5, options=options, label=extract.filename, check_pbf=True
    )
    write_text_atomic(folder / (extract.filename + ".md5"), f"{md5}  {extract.filename}\n")
    meta = {
        "id": extract.id,
        "url": extract.url,
        "md5": md5,
        "downloaded_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        response = session.head(extract.url, timeout=options.timeout_s, allow_redirects=True)
        if response.headers.get("Last-Modified"):
            meta["last_modified"] = response.headers["Last-Modified"]
    except Exception:  # the metadata is a nicety; the file is verified already
        logger.debug("no Last-Modified for %s", extract.url)
    write_text_atomic(folder / (extract.filename + ".json"), json.dumps(meta, indent=2))


def _merged_path(folder: Path, extracts: Sequence[CachedExtract], area: BaseGeometry) -> Path:
    import numpy as np
    import shapely

    rounded = shapely.transform(area, lambda xy: np.round(xy, 6))
    record = {
        "format": _MERGE_FORMAT,
        "extracts": sorted((e.name, e.md5) for e in extracts),
        "area": shapely.to_wkb(rounded, hex=True),
    }
    key = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:20]
    return folder / "merged" / f"roads-{key}.osm.pbf"


# --------------------------------------------------------------------------------------------
# Merging
# --------------------------------------------------------------------------------------------


def _way_hits(path: Path, area: BaseGeometry, *, chunk: int = 50_000) -> Iterable[int]:
    """Ids of the ``highway`` ways of ``path`` with a node inside ``area``."""
    import osmium
    import shapely

    factory = osmium.geom.WKBFactory()
    ids: list[int] = []
    wkbs: list[str | None] = []

    def flush() -> list[int]:
        geoms = shapely.from_wkb(wkbs, on_invalid="ignore")
        inside = shapely.intersects(area, geoms)
        found = [i for i, ok in zip(ids, inside.tolist(), strict=True) if ok]
        ids.clear()
        wkbs.clear()
        return found

    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        if not isinstance(way, osmium.osm.Way):  # pragma: no cover - the filter passes ways only
            continue
        try:
            wkb: str | None = factory.create_linestring(way)
        except (osmium.InvalidLocationError, RuntimeError):
            # nodes missing (a way cut at an extract's edge) or a single point: its valid nodes
            points = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
            if not points:
                continue
            wkb = shapely.to_wkb(shapely.multipoints(points), hex=True)
        ids.append(way.id)
        wkbs.append(wkb)
        if len(ids) >= chunk:
            yield from flush()
    yield from flush()


def merge_extracts(
    paths: Sequence[str | os.PathLike[str]],
    area: BaseGeometry,
    target: str | os.PathLike[str],
    *,
    progress: bool = True,
) -> Path:
    """Merge OpenStreetMap extracts into one PBF of the roads and paths of ``area``.

    Every way tagged ``highway`` with at least one node inside ``area`` is kept, with every
    node it uses; a way or node held by several extracts (Geofabrik keeps a way that crosses an
    extract border complete on both sides) is written once, from the first extract that has
    it. The file is written atomically; its header carries the oldest extract's replication
    timestamp and the bounding box of ``area``. Nodes come before ways, each extract's in its
    own order (readers that index node locations, as pyosmium does, need no global sort).

    Parameters
    ----------
    paths
        The extracts (``.osm.pbf``), in order of preference.
    area
        The area (shapely geometry, EPSG:4326), usually the study area plus its buffer.
    target
        The file to write (``.osm.pbf``); its folder is created.
    progress
        Show a progress bar, one step per extract and pass (stderr).

    Returns
    -------
    pathlib.Path
        ``target``.

    Examples
    --------
    Two extracts that share a road at their border: the road is written once.

    >>> import pathlib, tempfile
    >>> from shapely.geometry import box
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> def osm(name, ids):
    ...     nodes = "".join(f'<node id="{i}" version="1" lat="53.2" lon="{-1.5 + i / 100}"/>'
    ...                     for i in ids)
    ...     refs = "".join(f'<nd ref="{i}"/>' for i in ids)
    ...     way = f'<way id="{ids[0]}" version="1">{refs}<tag k="highway" v="primary"/></way>'
    ...     _ = (folder / name).write_text(f'<osm version="0.6">{nodes}{way}</osm>')
    ...     return folder / name
    >>> a, b = osm("a.osm", [1, 2, 3]), osm("b.osm", [1, 2, 3])
    >>> out = merge_extracts([a, b], box(-2, 53, -1, 54), folder / "m.osm.pbf", progress=False)
    >>> import osmium
    >>> sorted((o.type_str(), o.id) for o in osmium.FileProcessor(str(out)))
    [('n', 1), ('n', 2), ('n', 3), ('w', 1)]
    """
    import osmium
    import shapely
    from tqdm.auto import tqdm

    files = [Path(p) for p in paths]
    shapely.prepare(area)
    tracker = osmium.IdTracker()
    stamps = [s for s in (_pbf_timestamp(f) for f in files) if s]
    header = osmium.io.Header()
    header.set("generator", f"centrereach {_settings.package_version()} (merged extracts)")
    if stamps:
        header.set("osmosis_replication_timestamp", min(stamps))
    minx, miny, maxx, maxy = area.bounds
    header.add_box(osmium.osm.Box(minx, miny, maxx, maxy))
    with tqdm(
        total=3 * len(files),
        desc="merging road extracts",
        unit="pass",
        disable=not progress,
        file=sys.stderr,
        leave=False,
    ) as bar:
        for file in files:
            bar.set_postfix_str(f"{file.name}: ways in the area")
            for way_id in _way_hits(file, area):
                tracker.add_way(way_id)
            bar.update(1)
        for file in files:  # the nodes the chosen ways use
            chosen = osmium.FileProcessor(str(file), osmium.osm.WAY).with_filter(
                tracker.id_filter()
            )
            for way in chosen:
                tracker.add_references(way)
        kept_ways = len(tracker.way_ids())
        nodes, ways = tracker.node_ids(), tracker.way_ids()
        with (
            atomic_path(Path(target)) as tmp,
            osmium.SimpleWriter(osmium.io.File(str(tmp), "pbf"), header=header) as out,
        ):
            for file in files:
                bar.set_postfix_str(f"{file.name}: nodes")
                for node in osmium.FileProcessor(str(file), osmium.osm.NODE).with_filter(
                    tracker.id_filter()
                ):
                    out.add_node(node)
                    nodes.unset(node.id)  # written once, from the first extract holding it
                bar.update(1)
            for file in files:
                bar.set_postfix_str(f"{file.name}: ways")
                for way in osmium.FileProcessor(str(file), osmium.osm.WAY).with_filter(
                    tracker.id_filter()
                ):
                    out.add_way(way)
                    ways.unset(way.id)
                bar.update(1)
    logger.info(
        "merged %d extract(s) into %s: %d highway ways in the area",
        len(files), Path(target).name, kept_ways,
    )  # fmt: skip
    return Path(target)
