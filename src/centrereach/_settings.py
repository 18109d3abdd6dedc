"""Where centrereach looks for data and keeps its caches: every setting, in one place (internal).

Each setting is an argument first; the environment variable applies only when no argument is
given, and the default only when neither is. Nothing is read or created at import time.

- ``CENTREREACH_DATA_DIR``: a data folder laid out like ``../shared/data`` (:func:`data_dir`);
  below an explicit ``--data-dir``, above a study file's ``[data] dir``.
- ``CENTREREACH_CACHE_DIR``: the one cache root (:func:`cache_dir`). Default: the platform's
  user cache folder for centrereach: ``~/.cache/centrereach`` on Linux,
  ``~/Library/Caches/centrereach`` on macOS, ``%LOCALAPPDATA%\\centrereach\\Cache`` on Windows.
- ``CENTREREACH_ASSETS_DIR``: the folder of the npm tarballs (Leaflet) inlined into maps
  (:func:`assets_dir`). Default: ``web-assets`` in the cache root.
- ``CENTREREACH_MIRROR``: a mirror of a data folder, ``http(s)://host[:port][/prefix]``
  (:func:`mirror_url`).
- ``CENTREREACH_GEOFABRIK_URL``: the Geofabrik download server (or a mirror of it) that road
  networks come from (:func:`geofabrik_url`; default ``https://download.geofabrik.de``).

Every cache lives under the one root, one sub-folder per kind (:data:`CACHE_KINDS`):
downloaded datasets sit in the root itself (so the cache is a valid data folder), road networks
in ``networks/``, web assets in ``web-assets/``.

Examples
--------
>>> import os
>>> saved = os.environ.pop(CACHE_DIR_ENV, None)
>>> os.environ[CACHE_DIR_ENV] = "/srv/centrereach-cache"
>>> cache_dir().as_posix(), cache_dir("networks").as_posix()
('/srv/centrereach-cache', '/srv/centrereach-cache/networks')
>>> del os.environ[CACHE_DIR_ENV]
>>> if saved is not None:
...     os.environ[CACHE_DIR_ENV] = saved
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

import platformdirs

__all__ = [
    "ASSETS_DIR_ENV",
    "CACHE_DIR_ENV",
    "CACHE_KINDS",
    "DATA_DIR_ENV",
    "GEOFABRIK_URL_ENV",
    "MIRROR_ENV",
    "assets_dir",
    "cache_dir",
    "data_dir",
    "geofabrik_url",
    "mirror_url",
]

DATA_DIR_ENV: Final = "CENTREREACH_DATA_DIR"
"""Environment variable naming a local data folder laid out like ``../shared/data``."""

CACHE_DIR_ENV: Final = "CENTREREACH_CACHE_DIR"
"""Environment variable overriding the cache root (datasets, networks, web assets)."""

ASSETS_DIR_ENV: Final = "CENTREREACH_ASSETS_DIR"
"""Environment variable naming the folder of the npm tarballs inlined into maps."""

MIRROR_ENV: Final = "CENTREREACH_MIRROR"
"""Environment variable naming a mirror (``http(s)://host[:port][/prefix]``) of a data folder."""

GEOFABRIK_URL_ENV: Final = "CENTREREACH_GEOFABRIK_URL"
"""Environment variable naming the Geofabrik download server (or a mirror laid out like it)."""

GEOFABRIK_URL: Final = "https://download.geofabrik.de"
"""Geofabrik's download server: ``index-v1.json`` and the ``*-latest.osm.pbf`` extracts."""

CACHE_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # The root itself, as before the caches shared one root: existing caches stay valid.
        "datasets": "",
        "networks": "networks",
        # The folder _assets has always used ("web-assets"), so fetched packages are still found.
        "assets": "web-assets",
    }
)
"""Kind of cached thing -> its sub-folder of the cache root (``""``: the root itself)."""


def _env_path(name: str) -> Path | None:
    """The folder named by environment variable ``name``; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir(kind: str | None = None) -> Path:
    """Return the cache root, or the folder of one kind of cached thing inside it.

    The root is ``CENTREREACH_CACHE_DIR`` when set, else the platform's user cache folder for
    centrereach (``~/.cache/centrereach`` on Linux, ``%LOCALAPPDATA%\\centrereach\\Cache`` on
    Windows). Nothing is created here: a folder is made only when something is saved in it.

    Parameters
    ----------
    kind : {None, "datasets", "networks", "assets"}
        None or ``"datasets"``: the root itself (downloaded datasets, at their
        ``Dataset.local_name`` or ``official_name``); ``"networks"``: downloaded road networks;
        ``"assets"``: npm tarballs for self-contained maps (see :data:`CACHE_KINDS`).

    Returns
    -------
    pathlib.Path
        The folder, with ``~`` expanded.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`CACHE_KINDS`; the message lists them.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop(CACHE_DIR_ENV, None)
    >>> os.environ[CACHE_DIR_ENV] = "/tmp/cr-cache"
    >>> [cache_dir(kind).as_posix() for kind in (None, "datasets", "networks", "assets")]
    ['/tmp/cr-cache', '/tmp/cr-cache', '/tmp/cr-cache/networks', '/tmp/cr-cache/web-assets']
    >>> del os.environ[CACHE_DIR_ENV]
    >>> cache_dir().name in {"centrereach", "Cache"}  # the user cache folder
    True
    >>> if saved is not None:
    ...     os.environ[CACHE_DIR_ENV] = saved
    """
    if kind is not None and kind not in CACHE_KINDS:
        msg = f"unknown cache kind {kind!r}; use one of {', '.join(map(repr, CACHE_KINDS))} or None"
        raise ValueError(msg)
    root = _env_path(CACHE_DIR_ENV)
    if root is None:
        root = Path(platformdirs.user_cache_dir("centrereach", appauthor=False))
    sub = CACHE_KINDS[kind] if kind is not None else ""
    return root / sub if sub else root


def assets_dir() -> Path:
    """Return the folder that holds the npm tarballs (Leaflet) inlined into self-contained maps.

    ``CENTREREACH_ASSETS_DIR`` when set, else ``cache_dir("assets")`` (``web-assets`` in the
    cache root).

    Returns
    -------
    pathlib.Path
        The folder, with ``~`` expanded; it is not created here.

    Examples
    --------
    >>> import os
    >>> saved = {name: os.environ.pop(name, None) for name in (ASSETS_DIR_ENV, CACHE_DIR_ENV)}
    >>> os.environ[CACHE_DIR_ENV] = "/tmp/cr-cache"
    >>> assets_dir().as_posix()
    '/tmp/cr-cache/web-assets'
    >>> os.environ[ASSETS_DIR_ENV] = "/tmp/cr-assets"
    >>> assets_dir().as_posix()
    '/tmp/cr-assets'
    >>> for name, value in saved.items():
    ...     _ = os.environ.pop(name, None)
    ...     if value is not None:
    ...         os.environ[name] = value
    """
    return _env_path(ASSETS_DIR_ENV) or cache_dir("assets")


def data_dir(
    explicit: str | os.PathLike[str] | None = None,
    *,
    study_value: str | None = None,
    base: Path | None = None,
) -> Path | None:
    """Return the data folder to use, or None when none is set anywhere.

    The first that is set wins: the ``explicit`` argument (the CLI's ``--data-dir``), then the
    ``CENTREREACH_DATA_DIR`` environment variable, then the study file's ``[data] dir``
    (``study_value``; a relative path is relative to ``base``, the study file's folder). The
    folder is not checked for existence here: the caller says where the value came from when
    it is missing.

    Parameters
    ----------
    explicit : path-like, optional
        A folder passed explicitly.
    study_value : str, optional
        The study file's ``[data] dir`` value, as written; blank counts as unset.
    base : pathlib.Path, optional
        The folder a relative ``study_value`` is relative to (the study file's folder);
        default: the current folder.

    Returns
    -------
    pathlib.Path or None
        The folder, with ``~`` expanded (and a study value made absolute), or None.

    Examples
    --------
    >>> import os
    >>> from pathlib import Path
    >>> saved = os.environ.pop(DATA_DIR_ENV, None)
    >>> data_dir() is None
    True
    >>> data_dir(study_value="data", base=Path("/studies")).as_posix()
    '/studies/data'
    >>> os.environ[DATA_DIR_ENV] = "/srv/data"
    >>> data_dir(study_value="data", base=Path("/studies")).as_posix()
    '/srv/data'
    >>> data_dir("/mnt/usb/data", study_value="data").as_posix()
    '/mnt/usb/data'
    >>> del os.environ[DATA_DIR_ENV]
    >>> if saved is not None:
    ...     os.environ[DATA_DIR_ENV] = saved
    """
    if explicit is not None:
        return Path(explicit).expanduser()
    from_env = _env_path(DATA_DIR_ENV)
    if from_env is not None:
        return from_env
    if study_value is not None and study_value.strip():
        folder = base if base is not None else Path.cwd()
        return (folder / Path(study_value.strip()).expanduser()).resolve()
    return None


def mirror_url(explicit: str | None = None) -> str | None:
    """Return the mirror of a data folder to download from, or None when none is set.

    The ``explicit`` argument (the CLI's ``--mirror``) wins over ``CENTREREACH_MIRROR``. The
    value is returned as given (stripped); the caller checks that it is an HTTP(S) URL.

    Parameters
    ----------
    explicit : str, optional
        A mirror URL passed explicitly.

    Returns
    -------
    str or None
        The URL, or None.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop(MIRROR_ENV, None)
    >>> mirror_url() is None
    True
    >>> os.environ[MIRROR_ENV] = "http://intranet.example/centrereach-data"
    >>> mirror_url(), mirror_url("http://127.0.0.1:8000")
    ('http://intranet.example/centrereach-data', 'http://127.0.0.1:8000')
    >>> del os.environ[MIRROR_ENV]
    >>> if saved is not None:
    ...     os.environ[MIRROR_ENV] = saved
    """
    value = explicit if explicit is not None else os.environ.get(MIRROR_ENV, "")
    return value.strip() or None


def geofabrik_url(explicit: str | None = None) -> str:
    """Return the base URL of the Geofabrik download server to use (no trailing slash).

    The ``explicit`` argument wins over ``CENTREREACH_GEOFABRIK_URL``, which wins over
    Geofabrik's own server (:data:`GEOFABRIK_URL`). A mirror must be laid out like the server:
    ``<base>/index-v1.json`` and the extracts at the paths the index gives.

    Parameters
    ----------
    explicit : str, optional
        A base URL passed explicitly.

    Returns
    -------
    str
        The base URL.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop(GEOFABRIK_URL_ENV, None)
    >>> geofabrik_url()
    'https://download.geofabrik.de'
    >>> os.environ[GEOFABRIK_URL_ENV] = "http://127.0.0.1:8000/geofabrik/"
    >>> geofabrik_url(), geofabrik_url("http://mirror.example")
    ('http://127.0.0.1:8000/geofabrik', 'http://mirror.example')
    >>> del os.environ[GEOFABRIK_URL_ENV]
    >>> if saved is not None:
    ...     os.environ[GEOFABRIK_URL_ENV] = saved
    """
    value = explicit if explicit is not None else os.environ.get(GEOFABRIK_URL_ENV, "")
    return (value.strip() or GEOFABRIK_URL).rstrip("/")


def package_version() -> str:
    """centrereach's installed version (``0+unknown`` when run from an uninstalled tree).

    The one place that reads it, so no module needs to import the package root for
    ``__version__``.

    >>> package_version() != ""
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("centrereach")
    except PackageNotFoundError:  # pragma: no cover - a source tree without an install
        return "0+unknown"
