"""The official datasets: where they live, how to fetch, cache and verify them, offline first.

Every dataset centrereach reads is described once, in ``datasets.toml`` beside this module (one
table per dataset, checked on import into a frozen :class:`Dataset`): publisher, vintage,
official URL, licence, attribution, checksums and where the file sits in a data folder.
:data:`ATTRIBUTION` holds the lines every map and report carries. See
``docs/data-sources.md`` for the datasets and where each URL was found.

:func:`fetch` returns a local file. It looks, in order, in the data folder passed as
``data_dir`` (``--data-dir``), in ``CENTREREACH_DATA_DIR``, and in the download cache
(``CENTREREACH_CACHE_DIR``, else the user cache folder; see :mod:`centrereach._settings`), at
:attr:`Dataset.local_name` (the layout of ``../shared/data``) or :attr:`Dataset.official_name`
(a file downloaded by hand). Only a file found nowhere is downloaded into the cache: from a
mirror of a data folder (``base_url=``, ``--mirror``, ``CENTREREACH_MIRROR``; verified against
:attr:`Dataset.local_sha256`), else from the official :attr:`Dataset.url` (verified against
:attr:`Dataset.sha256` when known), else page by page from the ONS ArcGIS FeatureServer layer
:attr:`Dataset.arcgis_service`. A download goes to a temporary file and is moved into place
only once complete and verified; a failure leaves nothing in the cache and raises
:class:`~centrereach.errors.DownloadError`, whose message says how to get the file by hand.
:class:`FetchOptions` bundles where to look and how to download.

Examples
--------
>>> from centrereach.sources import ATTRIBUTION, dataset
>>> ds = dataset("iod2019-file1")
>>> ds.vintage, ds.lsoa_vintage, ds.licence
('IoD2019 (published 26 September 2019)', 2011, 'Open Government Licence v3.0')
>>> ATTRIBUTION[0]
'Road network © OpenStreetMap contributors, available under the Open Database Licence (ODbL)'
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import logging
import os
import posixpath
import re
import tomllib
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NoReturn

from centrereach import _download, _settings
from centrereach._sniff import content_problem
from centrereach.errors import DataFormatError, DataNotFoundError, DownloadError

__all__ = [
    "ATTRIBUTION",
    "CACHE_ENV",
    "DATA_DIR_ENV",
    "MIRROR_ENV",
    "Dataset",
    "FetchOptions",
    "cache_dir",
    "data_dir",
    "dataset",
    "datasets",
    "fetch",
    "fetch_for_study",
    "locate",
    "verify",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV: Final = _settings.DATA_DIR_ENV
"""Environment variable naming a local data folder laid out like ``../shared/data``."""

CACHE_ENV: Final = _settings.CACHE_DIR_ENV
"""Environment variable overriding the cache folder (see :mod:`centrereach._settings`)."""

MIRROR_ENV: Final = _settings.MIRROR_ENV
"""Environment variable naming a mirror (``http(s)://host[:port][/prefix]``) of a data folder."""

_REGISTRY_FILE: Final = "datasets.toml"
_TEXT_FIELDS: Final = (
    "id", "title", "publisher", "vintage", "page", "filename", "format", "layout", "licence",
    "attribution", "local_name",
)  # fmt: skip
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_LSOA_VINTAGES: Final = (2011, 2021)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    """One official dataset: provenance, licence, where the file is and how to check it.

    Attributes
    ----------
    id : str
        Short stable identifier, e.g. ``"ons-lsoa21-bsc"``.
    title : str
        The publisher's title.
    publisher : str
        Who publishes the official file.
    vintage : str
        Which edition, in words (e.g. ``"December 2021"``, ``"latest (updated daily)"``).
    lsoa_vintage : int or None
        The LSOA geography the data is keyed on (2011 or 2021); None when not keyed on LSOAs.
    page : str
        The official landing page, for a person to download the file by hand.
    url : str or None
        Direct download URL of the official file; None when no stable direct URL is known (then
        the file must come from a data folder, a mirror or a hand download from :attr:`page`).
    filename : str
        The official file's name, used for downloads from :attr:`url`.
    format : str
        Format of the official download (``"xlsx"``, ``"csv"``, ``"geojson"``, ``"zip"``,
        ``"osm.pbf"``).
    layout : str
        What the file at :attr:`local_name` holds (columns, sheets, rows).
    licence : str
        Licence of the data.
    attribution : str
        The attribution text that every output built from the data must carry.
    sha256 : str or None
        SHA-256 of the bytes served at :attr:`url`; None for files that change ("latest") or
        whose official bytes have not been checked.
    local_name : str
        Relative POSIX path of the file inside a data folder laid out like ``../shared/data``;
        also its path on a mirror and in the cache.
    local_sha256 : str or None
        SHA-256 of the file at :attr:`local_name` (what a data folder or mirror holds).
    repackaged : bool
        True when the file at :attr:`local_name` is not byte-identical to the official download
        (converted, renamed columns, or a subset); loaders must accept both forms.
    notes : str
        Anything a user should know (uncertain URLs, known quirks).
    arcgis_service : str or None
        URL of an ArcGIS FeatureServer layer serving the same data
        (``https://.../FeatureServer/0``). Used only when :attr:`url` is None: :func:`fetch` then
        pages through the layer's ``query`` operation and assembles the file (GeoJSON when
        :attr:`format` is ``"geojson"``, CSV when it is ``"csv"``).
    arcgis_fields : tuple of str
        The layer's fields to request, with their official names, in the order of the CSV
        columns. The first one must be unique (the area code): pages are ordered by it.
    arcgis_xy_srid : int or None
        For a CSV of points: the EPSG code in which the points are requested; their
        coordinates are added as the last two columns, ``x`` and ``y`` (as in the ONS CSV
        downloads of centroids). None for tables without geometry.

    Examples
    --------
    >>> record = dataset("ons-lsoa21-bsc")
    >>> record.local_name, record.lsoa_vintage
    ('ons/lsoa21_bsc_england_wales.geojson', 2021)
    """

    id: str
    title: str
    publisher: str
    vintage: str
    lsoa_vintage: int | None
    page: str
    url: str | None
    filename: str
    format: str
    layout: str
    licence: str
    attribution: str
    sha256: str | None
    local_name: str
    local_sha256: str | None
    repackaged: bool = False
    notes: str = ""
    arcgis_service: str | None = None
    arcgis_fields: tuple[str, ...] = ()
    arcgis_xy_srid: int | None = None

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem is not None:
            msg = f"dataset {self.id!r}: {problem}"
            raise ValueError(msg)

    def _problem(self) -> str | None:
        """What is wrong with the record, naming the field and what it must be; None if valid."""
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                return f"{name} must be a non-empty string, not {value!r}"
        for name in ("url", "arcgis_service"):
            value = getattr(self, name)
            if value is not None and not str(value).startswith(("https://", "http://")):
                return f"{name} must be an http(s):// URL or absent, not {value!r}"
        for name in ("sha256", "local_sha256"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and _HEX64.fullmatch(value)):
                return (
                    f"{name} must be a SHA-256 (64 lower-case hex digits) or absent, not {value!r}"
                )
        if self.lsoa_vintage is not None and self.lsoa_vintage not in _LSOA_VINTAGES:
            return f"lsoa_vintage must be 2011, 2021 or absent, not {self.lsoa_vintage!r}"
        parts = self.local_name.split("/")
        if self.local_name.startswith("/") or "\\" in self.local_name or ".." in parts:
            return (
                f"local_name must be a relative path such as 'ons/x.csv', not {self.local_name!r}"
            )
        if "/" in self.filename or "\\" in self.filename:
            return f"filename must be a file name without folders, not {self.filename!r}"
        if not isinstance(self.repackaged, bool) or not isinstance(self.notes, str):
            return "repackaged must be true or false, and notes a string"
        fields = self.arcgis_fields
        if not isinstance(fields, tuple) or not all(isinstance(f, str) and f for f in fields):
            return f"arcgis_fields must be a list of field names, not {fields!r}"
        if self.arcgis_service is None:
            return None
        if self.format not in {"geojson", "csv"}:
            return (
                "an ArcGIS FeatureServer download is assembled as GeoJSON or CSV, so format "
                f"must be 'geojson' or 'csv', not {self.format!r}"
            )
        if not fields:
            return "arcgis_fields must name the fields to request"
        if self.arcgis_xy_srid is not None and (
            type(self.arcgis_xy_srid) is not int or self.format != "csv"
        ):
            return "arcgis_xy_srid (an EPSG code) applies to CSV downloads only"
        return None

    @property
    def official_name(self) -> str:
        """Relative path of the official download inside a data folder or the cache.

        It is :attr:`filename` in the sub-folder of :attr:`local_name`.

        >>> dataset("iod2019-file1").official_name
        'iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx'
        """
        return posixpath.join(posixpath.dirname(self.local_name), self.filename)

    @property
    def candidate_names(self) -> tuple[str, ...]:
        """Relative paths under which a data folder may hold the file, in order of preference."""
        if self.official_name == self.local_name:
            return (self.local_name,)
        return (self.local_name, self.official_name)

    def mirror_url(self, base_url: str) -> str:
        """URL of this dataset on a mirror of a data folder: ``base_url + "/" + local_name``.

        >>> dataset("ons-lad24-buc").mirror_url("http://127.0.0.1:8000/data/")
        'http://127.0.0.1:8000/data/ons/lad24_buc_uk.geojson'
        """
        return base_url.rstrip("/") + "/" + urllib.parse.quote(self.local_name, safe="/")


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOptions:
    """Where :func:`fetch` looks for files and how it downloads them, in one frozen bundle.

    Build it once (the CLI does, from its options) and pass it to :func:`fetch` and
    :func:`fetch_for_study`; their keyword arguments of the same names override single fields.

    Attributes
    ----------
    data_dir : pathlib.Path or None
        A data folder laid out like ``../shared/data`` (the CLI's ``--data-dir``), searched
        first; ``CENTREREACH_DATA_DIR`` is searched after it.
    cache : pathlib.Path or None
        The cache folder; None: :func:`cache_dir`.
    base_url : str or None
        A mirror of a data folder, ``http(s)://host[:port][/prefix]``; the file is fetched from
        ``base_url + "/" + local_name`` instead of the official URL and verified against
        :attr:`Dataset.local_sha256`. None: ``CENTREREACH_MIRROR`` if set; ``""``: no mirror.
    progress : bool
        Show a tqdm progress bar (on stderr) while downloading (records, for a paged download).
    timeout_s : float
        Seconds to wait for the connection and for each read from the server (default 60).
    retries : int
        Extra attempts after a connection error, timeout, truncated body or HTTP 5xx (not after
        a 404 or a checksum mismatch), pausing 1 s, 2 s, ... between them (default 2). A paged
        download retries each request (page) in the same way, and also after an ArcGIS
        ``error`` answer with a 5xx code.

    Examples
    --------
    >>> from pathlib import Path
    >>> options = FetchOptions(data_dir=Path("../shared/data"), progress=False)
    >>> options.data_dir.as_posix(), options.timeout_s, options.retries
    ('../shared/data', 60.0, 2)
    >>> FetchOptions(retries=-1)
    Traceback (most recent call last):
    ...
    ValueError: retries must be a whole number, 0 or more, not -1
    """

    data_dir: Path | None = None
    cache: Path | None = None
    base_url: str | None = None
    progress: bool = True
    timeout_s: float = 60.0
    retries: int = 2

    def __post_init__(self) -> None:
        for name in ("data_dir", "cache"):
            value = getattr(self, name)
            if value is not None:  # accept str and other path-likes too
                object.__setattr__(self, name, Path(value).expanduser())
        if not (isinstance(self.timeout_s, int | float) and self.timeout_s > 0):
            msg = f"timeout_s must be a positive number of seconds, not {self.timeout_s!r}"
            raise ValueError(msg)
        if type(self.retries) is not int or self.retries < 0:
            msg = f"retries must be a whole number, 0 or more, not {self.retries!r}"
            raise ValueError(msg)


def _options(options: FetchOptions | None, **given: Any) -> FetchOptions:
    """``options`` (default :class:`FetchOptions`) with the fields given (not None) replaced."""
    base = options if options is not None else FetchOptions()
    changes = {name: value for name, value in given.items() if value is not None}
    return dataclasses.replace(base, **changes) if changes else base


# --------------------------------------------------------------------------------------------
# The registry: datasets.toml
# --------------------------------------------------------------------------------------------

_OPTIONAL_FIELDS: Final = {
    "lsoa_vintage": None,
    "url": None,
    "sha256": None,
    "local_sha256": None,
    "repackaged": False,
    "notes": "",
    "arcgis_service": None,
    "arcgis_fields": (),
    "arcgis_xy_srid": None,
}
_SHARED: Final = {"publisher": "publishers", "licence": "licences"}  # field -> table of keys


@dataclass(frozen=True, slots=True)
class _Registry:
    """Everything ``datasets.toml`` holds, checked and read-only."""

    datasets: Mapping[str, Dataset]
    studies: Mapping[int, Mapping[str, str]]  # LSOA vintage -> role -> dataset id
    road_extracts: Mapping[str, str]  # case-folded ONS code or name -> dataset id
    attribution: tuple[str, ...]


def _fail(source: str, where: str, problem: str) -> NoReturn:
    msg = f"{source}, {where}: {problem}"
    raise DataFormatError(msg)


def _table(data: Mapping[str, Any], key: str, *, source: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        _fail(source, f"[{where}{key}]", "this table is missing (or is not a table)")
    return value


def _fill(value: object, names: Mapping[str, object], *, source: str, where: str) -> Any:
    """``value`` with each ``{name}`` replaced by ``names[name]`` (non-strings are returned)."""
    if not isinstance(value, str):
        return value
    try:
        return value.format_map(names)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        known = ", ".join("{" + name + "}" for name in names)
        problem = f"{value!r} has a placeholder other than {known} ({exc!r})"
        _fail(source, where, problem + "; write a literal brace as {{ or }}")


def _read_dataset(
    ds_id: str, record: object, shared: Mapping[str, Mapping[str, Any]], *, source: str
) -> Dataset:
    """One ``[datasets.<id>]`` table as a checked :class:`Dataset`."""
    where = f"[datasets.{ds_id}]"
    if not isinstance(record, dict):
        _fail(source, where, "must be a table of fields")
    known = set(_TEXT_FIELDS) - {"id"} | set(_OPTIONAL_FIELDS)
    unknown = sorted(set(record) - known)
    missing = [name for name in _TEXT_FIELDS[1:] if name not in record]
    if unknown or missing:
        problem = f"unknown field(s) {unknown}" if unknown else f"missing field(s) {missing}"
        _fail(source, where, f"{problem}; a dataset has the fields {sorted(known)}")
    values = {**_OPTIONAL_FIELDS, **record}
    for name, table in (*_SHARED.items(), ("attribution", "attribution.texts")):
        key = values[name]
        if key not in shared[table]:
            known_keys = ", ".join(sorted(shared[table]))
            _fail(source, f"{where} {name}", f"{key!r} is not a key of [{table}] ({known_keys})")
        values[name] = shared[table][key]
    for name in ("page", "url", "arcgis_service"):
        values[name] = _fill(values[name], shared["urls"], source=source, where=f"{where} {name}")
    values["notes"] = _fill(values["notes"], shared["notes"], source=source, where=f"{where} notes")
    if isinstance(values["arcgis_fields"], list):
        values["arcgis_fields"] = tuple(values["arcgis_fields"])
    try:
        return Dataset(id=ds_id, **values)
    except ValueError as exc:
        _fail(source, where, str(exc))


def _read_registry(data: Mapping[str, Any], *, source: str) -> _Registry:
    """The parsed ``datasets.toml`` as checked records; errors name the table and the field."""
    attribution = _table(data, "attribution", source=source)
    year = attribution.get("year")
    if type(year) is not int:
        _fail(source, "[attribution] year", f"must be a year such as 2025, not {year!r}")
    statements = {
        name: _fill(text, {"year": year}, source=source, where=f"[attribution.statements] {name}")
        for name, text in _table(
            attribution, "statements", source=source, where="attribution."
        ).items()
    }
    texts = _table(attribution, "texts", source=source, where="attribution.")
    shared: dict[str, Mapping[str, Any]] = {
        "attribution.texts": {
            name: _fill(text, statements, source=source, where=f"[attribution.texts] {name}")
            for name, text in texts.items()
        }
    }
    for table in ("publishers", "licences", "urls", "notes"):
        shared[table] = _table(data, table, source=source)
    outputs = attribution.get("outputs")
    if not isinstance(outputs, list) or not outputs:
        _fail(source, "[attribution] outputs", "must be a list of lines, e.g. ['{osm}']")
    lines = tuple(
        _fill(line, statements, source=source, where="[attribution] outputs") for line in outputs
    )
    records = {
        ds_id: _read_dataset(ds_id, record, shared, source=source)
        for ds_id, record in _table(data, "datasets", source=source).items()
    }

    _check_shared_paths(records, source=source)

    def known_id(ds_id: object, where: str) -> str:
        if ds_id not in records:
            _fail(source, where, f"{ds_id!r} is not a dataset id of this file")
        return str(ds_id)

    studies: dict[int, Mapping[str, str]] = {}
    for vintage, roles in _table(data, "studies", source=source).items():
        where = f"[studies.{vintage}]"
        if not vintage.isdigit() or int(vintage) not in _LSOA_VINTAGES:
            _fail(source, where, "the table name must be an LSOA vintage, 2011 or 2021")
        if not isinstance(roles, dict):
            _fail(source, where, "must be a table of role = dataset id")
        studies[int(vintage)] = MappingProxyType(
            {role: known_id(ds_id, f"{where} {role}") for role, ds_id in roles.items()}
        )
    road_extracts = {
        area.casefold(): known_id(ds_id, f"[road_extracts] {area}")
        for area, ds_id in _table(data, "road_extracts", source=source).items()
    }
    return _Registry(
        MappingProxyType(records),
        MappingProxyType(studies),
        MappingProxyType(road_extracts),
        lines,
    )


def _check_shared_paths(records: Mapping[str, Dataset], *, source: str) -> None:
    """Refuse two datasets at one path unless it is the same official file for both.

    :func:`fetch` finds a dataset at its ``local_name`` or its ``official_name``; if another
    dataset's file could sit at that path, one dataset would be answered with the other's file.
    Two records may share a path only when it holds the same bytes for both: the official
    download of one URL, which neither re-packages.
    """
    claims: dict[str, list[tuple[Dataset, str]]] = {}
    for ds in records.values():
        for name in ds.candidate_names:
            kind = "local" if name == ds.local_name else "official"
            claims.setdefault(name, []).append((ds, kind))
    for name, holders in claims.items():
        if len(holders) < 2:
            continue
        urls = {ds.url for ds, _ in holders}
        repackaged = [ds.id for ds, kind in holders if kind == "local" and ds.repackaged]
        if None in urls or len(urls) > 1 or repackaged:
            ids = ", ".join(ds.id for ds, _ in holders)
            _fail(
                source,
                f"[datasets] {ids}",
                f"these datasets would share the file {name!r} but it is not the same official "
                "download for all of them (different url, or a re-packaged local copy); give "
                "each its own local_name or filename",
            )


def _load_registry() -> _Registry:
    """Read and check ``datasets.toml``, the registry shipped beside this module."""
    resource = importlib.resources.files("centrereach").joinpath(_REGISTRY_FILE)
    try:
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        _fail(str(resource), "the whole file", f"not valid TOML: {exc}")
    return _read_registry(data, source=str(resource))


_REGISTRY: Final = _load_registry()

ATTRIBUTION: Final[tuple[str, ...]] = _REGISTRY.attribution
"""The attribution every map and report built from the official data must carry, one line each.

Read from ``[attribution]`` in ``datasets.toml`` (the copyright year is written there once).
Each dataset's own attribution is :attr:`Dataset.attribution`.
"""


# --------------------------------------------------------------------------------------------
# Look-ups
# --------------------------------------------------------------------------------------------


def dataset(id: str) -> Dataset:
    """Return the registry record of one official dataset.

    Parameters
    ----------
    id : str
        Dataset identifier, e.g. ``"ons-lsoa21-bsc"`` (see :func:`datasets`).

    Returns
    -------
    Dataset
        The frozen record.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        If no dataset has that id; the message lists the known ids.

    Examples
    --------
    >>> dataset("geofabrik-derbyshire-latest").url
    'https://download.geofabrik.de/europe/united-kingdom/england/derbyshire-latest.osm.pbf'
    >>> dataset("geofabrik-derbyshire-latest").sha256 is None  # "latest": changes daily
    True
    """
    try:
        return _REGISTRY.datasets[id]
    except KeyError:
        msg = f"unknown dataset id {id!r}; known ids: {', '.join(sorted(_REGISTRY.datasets))}"
        raise DataNotFoundError(msg) from None


def datasets() -> list[Dataset]:
    """Return every registered dataset, in the order of ``datasets.toml`` (boundaries, ...).

    Returns
    -------
    list of Dataset
        A new list; the records themselves are frozen.

    Examples
    --------
    >>> ids = [ds.id for ds in datasets()]
    >>> "ons-lsoa21-bsc" in ids and "iod2025-file7" in ids
    True
    """
    return list(_REGISTRY.datasets.values())


def data_dir() -> Path | None:
    """Return the data folder named by ``CENTREREACH_DATA_DIR``, or None when it is unset.

    The folder is laid out like ``../shared/data`` (see :attr:`Dataset.local_name`). It is not
    checked for existence here.

    Returns
    -------
    pathlib.Path or None
        The folder, with ``~`` expanded.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop("CENTREREACH_DATA_DIR", None)
    >>> data_dir() is None
    True
    >>> os.environ["CENTREREACH_DATA_DIR"] = "/srv/centrereach-data"
    >>> data_dir().name
    'centrereach-data'
    >>> del os.environ["CENTREREACH_DATA_DIR"]
    >>> if saved is not None:
    ...     os.environ["CENTREREACH_DATA_DIR"] = saved
    """
    return _settings.data_dir()


def cache_dir() -> Path:
    """Return the download cache folder (it is created only when something is downloaded).

    It is the cache root of :func:`centrereach._settings.cache_dir`: ``CENTREREACH_CACHE_DIR``,
    else the platform's user cache folder for centrereach (e.g. ``~/.cache/centrereach`` on
    Linux). Downloaded datasets sit in it at their :attr:`Dataset.local_name` or
    :attr:`Dataset.official_name`, so it is itself a data folder.

    Returns
    -------
    pathlib.Path
        The cache folder.

    Examples
    --------
    >>> import pathlib
    >>> isinstance(cache_dir(), pathlib.Path)
    True
    """
    return _settings.cache_dir("datasets")


def _as_dataset(item: str | Dataset) -> Dataset:
    return item if isinstance(item, Dataset) else dataset(item)


def _search_roots(data_dir_: Path | None, cache: Path | None) -> list[Path]:
    """Folders to search, in order, without duplicates: given data dir, env data dir, cache.

    A data folder that was asked for but does not exist is an error (most likely a typo), not
    a reason to download silently.
    """
    roots: list[Path] = []
    wanted = (
        (data_dir_, "--data-dir"),
        (_settings.data_dir(), DATA_DIR_ENV),
        (cache if cache is not None else _settings.cache_dir("datasets"), None),
    )
    for root, origin in wanted:
        if root is None:
            continue
        root = Path(root).expanduser()
        if origin is not None and not root.is_dir():
            msg = f"the data folder {root} (from {origin}) does not exist or is not a folder"
            raise DataNotFoundError(msg)
        if root not in roots:
            roots.append(root)
    return roots


def locate(
    id: str | Dataset,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> Path | None:
    """Find a dataset's file locally, without downloading anything.

    Looks in ``data_dir``, then in the folder named by ``CENTREREACH_DATA_DIR``, then in the
    cache; in each folder first at :attr:`Dataset.local_name`, then at
    :attr:`Dataset.official_name` (a file downloaded by hand from the official site).

    Parameters
    ----------
    id : str or Dataset
        Dataset identifier (or record).
    data_dir : path-like, optional
        A data folder laid out like ``../shared/data``.
    cache : path-like, optional
        The cache folder; default :func:`cache_dir`.

    Returns
    -------
    pathlib.Path or None
        The file, or None when it is in none of the folders.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        If ``id`` is not a known dataset, or ``data_dir`` (or ``CENTREREACH_DATA_DIR``) names a
        folder that does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> locate("ons-lad24-buc", data_dir=folder, cache=folder / "cache") is None
    True
    >>> target = folder / "ons" / "lad24_buc_uk.geojson"
    >>> target.parent.mkdir()
    >>> _ = target.write_text('{"type": "FeatureCollection", "features": []}')
    >>> locate("ons-lad24-buc", data_dir=folder) == target
    True
    """
    ds = _as_dataset(id)
    given = Path(data_dir) if data_dir is not None else None
    cache_path = Path(cache) if cache is not None else None
    found = _find(ds, _search_roots(given, cache_path))
    return found[0] if found is not None else None


def _find(ds: Dataset, roots: Iterable[Path]) -> tuple[Path, Path, str] | None:
    """The first file of ``ds`` in ``roots``: (path, the root it is in, its name in the root)."""
    for root in roots:
        for name in ds.candidate_names:
            path = root / name
            if path.is_file():
                logger.debug("dataset %s found at %s", ds.id, path)
                return path, root, name
    return None


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def verify(id: str | Dataset, path: str | os.PathLike[str]) -> str | None:
    """Check a dataset's local file: by its registered SHA-256, else by size and content.

    The file at :attr:`Dataset.local_name` must have :attr:`Dataset.local_sha256`, the file at
    :attr:`Dataset.official_name` :attr:`Dataset.sha256`, when one is registered. Otherwise
    the file must not be empty, must not be a web page (HTML: what a failed download or a
    sign-in page leaves) and must start as its name says (a ``.gz`` file with the gzip
    signature, an ``.xlsx`` or ``.zip`` as a zip archive that is complete, GeoJSON as an object
    that is closed, an ``.osm.pbf`` with ``OSMHeader``). :func:`fetch` calls this on every file
    it returns.

    Parameters
    ----------
    id : str or Dataset
        The dataset.
    path : path-like
        Its file; its name (the last one or two parts of the path) says whether it is the local
        copy or the official download.

    Returns
    -------
    str or None
        None when the file is good, else what is wrong with it, in words.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> page = folder / dataset("ons-lookup-lad23-utla23").local_name
    >>> page.parent.mkdir()
    >>> _ = page.write_text("<!DOCTYPE html><title>Proxy sign-in</title>")
    >>> print(verify("ons-lookup-lad23-utla23", page))
    it is a web page (HTML, titled 'Proxy sign-in'), not the data
    >>> _ = page.write_text("ltla23_code,ltla23_name,utla23_code,utla23_name\\n")  # cut short
    >>> print(verify("ons-lookup-lad23-utla23", page))  # doctest: +ELLIPSIS
    its SHA-256 is ..., not the registered f98269...fe (the file is truncated, damaged or
    another file)
    """
    ds = _as_dataset(id)
    file = Path(path)
    parts = file.parts
    name = "/".join(parts[-2:]) if len(parts) >= 2 else file.name
    expected = {
        digest
        for digest, candidate in ((ds.local_sha256, ds.local_name), (ds.sha256, ds.official_name))
        if digest is not None and candidate.endswith(name)
    }
    problem = content_problem(file)  # an empty file or a web page: say so, not its checksum
    if problem is not None or not expected:
        return problem
    digest = _file_sha256(file)
    if digest in expected:
        return None
    registered = " or ".join(f"{d[:6]}...{d[-2:]}" for d in sorted(expected))
    return (
        f"its SHA-256 is {digest}, not the registered {registered} (the file is truncated, "
        "damaged or another file)"
    )


# --------------------------------------------------------------------------------------------
# Fetch
# --------------------------------------------------------------------------------------------


def _mirror_base(base_url: str | None) -> str | None:
    value = _settings.mirror_url(base_url)
    if value is None:
        return None
    scheme = urllib.parse.urlsplit(value).scheme.lower()
    if scheme not in {"http", "https"}:
        msg = (
            f"mirror URL {value!r} must start with http:// or https:// "
            f"(from {'base_url' if base_url is not None else MIRROR_ENV})"
        )
        raise DownloadError(msg)
    return value


def _hand_download_advice(ds: Dataset) -> str:
    where = ds.url if ds.url is not None else ds.page
    also = f" (dataset page: {ds.page})" if ds.url is not None else ""
    return (
        f"Download it by hand from {where}{also}, save it as DATA_DIR/{ds.official_name}, "
        f"and pass --data-dir DATA_DIR (or set {DATA_DIR_ENV}); or point --mirror / "
        f"{MIRROR_ENV} at a server holding a copy of a data folder."
    )


def _remove_leftovers(created: Iterable[Path]) -> None:
    """Remove the folders a failed download created (deepest first), if they are empty.

    The downloads write to a temporary file beside the target, move it into place only once
    complete and verified, and delete it on failure, so no partial file is left to remove.
    """
    for folder in created:
        try:
            folder.rmdir()
        except OSError:
            break


def _usable_local(ds: Dataset, opts: FetchOptions, cache_root: Path) -> Path | str:
    """A local file of ``ds`` that passes :func:`verify`, or a note on bad cached copies removed.

    A bad file in a data folder (the user's) is an error, never touched. A bad file in the cache
    (centrereach's own) is removed, so that :func:`fetch` downloads the dataset afresh; the
    returned note says so, for the message if that download fails too.
    """
    roots = _search_roots(opts.data_dir, cache_root)
    user_roots = {
        Path(r).expanduser() for r in (opts.data_dir, _settings.data_dir()) if r is not None
    }
    notes: list[str] = []
    while (found := _find(ds, roots)) is not None:
        path, root, _ = found
        problem = verify(ds, path)
        if problem is None:
            return path
        if root != cache_root or root in user_roots:
            msg = (
                f"'{path}': cannot use this file as dataset {ds.id!r} ({ds.title}): {problem}. "
                f"Replace it with a good copy, or move it out of {root} and run `centrereach "
                f"data fetch {ds.id}` to download a fresh copy into the cache."
            )
            raise DataFormatError(msg)
        logger.warning(
            "the cached copy %s of %s is unusable (%s): removing it", path, ds.id, problem
        )
        try:
            path.unlink()
        except OSError as exc:
            msg = (
                f"'{path}': the cached copy of dataset {ds.id!r} is unusable ({problem}) and "
                f"cannot be removed ({exc.strerror or exc}); delete it by hand."
            )
            raise DataFormatError(msg) from exc
        notes.append(f"The cached copy {path} was unusable ({problem}) and was removed. ")
    return "".join(notes)


def fetch(
    id: str | Dataset,
    options: FetchOptions | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    progress: bool | None = None,
    timeout_s: float | None = None,
    retries: int | None = None,
) -> Path:
    """Return a local path to a dataset's file, downloading it into the cache if needed.

    A file already in ``data_dir``, in ``CENTREREACH_DATA_DIR`` or in the cache is returned
    with no network access (see :func:`locate`), once it passes :func:`verify` (its registered
    SHA-256, else a size and content sniff): a bad file in a data folder is an error; a bad
    file in the cache is removed and downloaded again. Otherwise the file is downloaded with pooch
    into the cache, verified against its SHA-256 when one is registered, and moved into place
    only when complete: the next call finds it there and makes no request. A dataset with no
    :attr:`Dataset.url` but an :attr:`Dataset.arcgis_service` is assembled from the pages of
    that FeatureServer layer instead (official downloads only: a mirror always serves the file
    at :attr:`Dataset.local_name`).

    Parameters
    ----------
    id : str or Dataset
        Dataset identifier (or record, e.g. one of your own).
    options : FetchOptions, optional
        Where to look and how to download; default ``FetchOptions()``.
    data_dir, cache, base_url, progress, timeout_s, retries : optional
        Override the field of the same name of ``options`` (see :class:`FetchOptions`):
        a data folder, the cache folder, a mirror URL, a progress bar (default True), the
        time limit in seconds (default 60) and the extra attempts (default 2).

    Returns
    -------
    pathlib.Path
        The file: in a data folder, or ``<cache>/<local_name>`` (mirror downloads), or
        ``<cache>/<official_name>`` (official and paged ArcGIS downloads).

    Raises
    ------
    centrereach.errors.DownloadError
        If the download fails (HTTP error, timeout, truncated body, wrong checksum; for a paged
        download also an ArcGIS ``error`` answer, malformed JSON or a record count mismatch);
        nothing is left in the cache, and the message names the dataset and the URL or service
        and says how to get the file by hand.
    centrereach.errors.DataNotFoundError
        If ``id`` is unknown, ``data_dir`` (or ``CENTREREACH_DATA_DIR``) names a missing folder,
        or the file is nowhere locally and neither a download URL nor an ArcGIS service is
        known.
    centrereach.errors.DataFormatError
        If the file in a data folder fails :func:`verify` (wrong checksum, empty, a web page);
        the message names the file and says how to replace it.

    Examples
    --------
    With the file in a data folder, nothing is downloaded (File 7 has no registered checksum,
    so its content is sniffed):

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> target = folder / dataset("iod2025-file7").local_name
    >>> target.parent.mkdir(parents=True)
    >>> _ = target.write_text("LSOA code (2021),Index of Multiple Deprivation (IMD) Rank\\n")
    >>> fetch("iod2025-file7", data_dir=folder) == target
    True
    >>> fetch("iod2025-file7", FetchOptions(data_dir=folder)) == target
    True

    A web page saved under the file's name (a failed download) is never used:

    >>> _ = target.write_text("<html><head><title>Service unavailable</title></head></html>")
    >>> fetch("iod2025-file7", data_dir=folder)
    Traceback (most recent call last):
    ...
    centrereach.errors.DataFormatError: '...': cannot use this file as dataset 'iod2025-file7' ...
    """
    opts = _options(
        options,
        data_dir=data_dir,
        cache=cache,
        base_url=base_url,
        progress=progress,
        timeout_s=timeout_s,
        retries=retries,
    )
    ds = _as_dataset(id)
    cache_root = opts.cache if opts.cache is not None else cache_dir()
    removed = _usable_local(ds, opts, cache_root)
    if isinstance(removed, Path):
        return removed
    mirror = _mirror_base(opts.base_url)
    url: str | None = None
    if mirror is not None:
        url, target, known_hash = ds.mirror_url(mirror), cache_root / ds.local_name, ds.local_sha256
    elif ds.url is not None:
        url, target, known_hash = ds.url, cache_root / ds.official_name, ds.sha256
    elif ds.arcgis_service is not None:
        target = cache_root / ds.official_name
    else:
        searched = [str(root) for root in _search_roots(opts.data_dir, cache_root)]
        msg = (
            f"{removed}dataset {ds.id!r} ({ds.title}) is not in {', '.join(searched)} (looked "
            f"for {' and '.join(ds.candidate_names)}), and centrereach knows no direct download "
            f"URL for it. {_hand_download_advice(ds)}"
        )
        raise DataNotFoundError(msg)

    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        if url is not None:
            return _download.download_file(url, target, known_hash, opts, label=ds.id)
        _download.download_arcgis(ds, target, opts)
        return target
    except _download.Failure as exc:
        _remove_leftovers(created)
        source = url if url is not None else f"the ArcGIS FeatureServer {ds.arcgis_service}"
        tries = f" after {exc.attempts} attempts" if exc.attempts > 1 else ""
        detail = f" ({exc.what}{tries})" if exc.what else tries
        msg = (
            f"{removed}could not download dataset {ds.id!r} ({ds.title}) from {source}{detail}: "
            f"{exc.reason}. Nothing was saved in the cache ({target.parent}). "
            f"{_hand_download_advice(ds)}"
        )
        raise DownloadError(msg) from exc
    except BaseException:
        _remove_leftovers(created)
        raise


def fetch_for_study(
    study_area: str,
    *,
    vintage: int = 2021,
    roads: bool = False,
    options: FetchOptions | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    progress: bool | None = None,
    timeout_s: float | None = None,
    retries: int | None = None,
) -> dict[str, Path]:
    """Fetch everything a study of one area needs: boundaries, IoD, population, lookups.

    The files are national, so the same set serves any study area; the area only picks the
    road-network extract when ``roads=True``. The roles and their datasets are the tables
    ``[studies.2021]`` (LSOA 2021, IoD2025) and ``[studies.2011]`` (LSOA 2011, IoD2019) of
    ``datasets.toml``: ``lsoa_boundaries``, ``centroids`` (2021 only), ``deprivation``,
    ``population``, ``population_single_year``, the ``lookup_*`` tables, ``districts`` and
    ``counties``; ``roads`` comes from ``[road_extracts]``.

    Parameters
    ----------
    study_area : str
        The county or unitary authority, by ONS code or name (e.g. ``"E10000007"`` or
        ``"Derbyshire"``).
    vintage : {2021, 2011}, default 2021
        LSOA vintage of the study: 2021 with IoD2025, 2011 with IoD2019.
    roads : bool, default False
        Also fetch the area's OpenStreetMap extract (known for Derbyshire and Rutland).
    options, data_dir, cache, base_url, progress, timeout_s, retries
        As for :func:`fetch`.

    Returns
    -------
    dict of str to pathlib.Path
        Role (as in the table) to file.

    Raises
    ------
    centrereach.errors.DownloadError
        If any download failed (the message lists every dataset that could not be had).
    centrereach.errors.DataNotFoundError
        If files are missing with no download URL, or roads are asked for an area with no
        known extract.
    centrereach.errors.DataFormatError
        If a file in a data folder fails :func:`verify` (the message lists every dataset that
        could not be had).
    ValueError
        If ``vintage`` is not 2011 or 2021.

    Examples
    --------
    Offline, with no data folder and a mirror that does not answer, the error lists every
    dataset the study needs and says how to get each by hand:

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> fetch_for_study("Derbyshire", data_dir=folder, cache=folder / "cache",
    ...                 base_url="http://127.0.0.1:9", retries=0, progress=False)
    Traceback (most recent call last):
    ...
    centrereach.errors.DownloadError: 10 of 10 datasets for study area 'Derbyshire' could not ...
    """
    if vintage not in _REGISTRY.studies:
        msg = f"vintage must be 2011 or 2021 (the LSOA vintage of the study), not {vintage!r}"
        raise ValueError(msg)
    opts = _options(
        options,
        data_dir=data_dir,
        cache=cache,
        base_url=base_url,
        progress=progress,
        timeout_s=timeout_s,
        retries=retries,
    )
    wanted = dict(_REGISTRY.studies[vintage])
    if roads:
        extracts = _REGISTRY.road_extracts
        key = study_area.strip().casefold()
        if key not in extracts:
            msg = (
                f"no road-network extract is registered for study area {study_area!r} (known: "
                f"{', '.join(sorted(extracts))}); download one from "
                "https://download.geofabrik.de/europe/united-kingdom/england.html, or build it "
                "with osmnx/Overpass, and pass it to the network loader"
            )
            raise DataNotFoundError(msg)
        wanted["roads"] = extracts[key]

    logger.info(
        "fetching %d datasets for study area %s (LSOA %d)", len(wanted), study_area, vintage
    )
    paths: dict[str, Path] = {}
    failures: list[DownloadError | DataNotFoundError | DataFormatError] = []
    for role, dataset_id in wanted.items():
        try:
            paths[role] = fetch(dataset_id, opts)
        except (DownloadError, DataNotFoundError, DataFormatError) as exc:
            failures.append(exc)
    if failures:
        details = "\n".join(f"- {exc}" for exc in failures)
        msg = (
            f"{len(failures)} of {len(wanted)} datasets for study area {study_area!r} could not "
            f"be had:\n{details}"
        )
        if any(isinstance(exc, DataFormatError) for exc in failures):
            raise DataFormatError(msg)
        if any(isinstance(exc, DownloadError) for exc in failures):
            raise DownloadError(msg)
        raise DataNotFoundError(msg)
    return paths
