"""Self-contained maps: the JavaScript and CSS a map needs, from npm tarballs, inlined.

A map that links Leaflet from a content-delivery network shows a blank page where there is no
internet (a committee room, an e-mailed attachment, an archive). So maps carry Leaflet inside
the HTML file by default. Its files come from the package's tarball on the npm registry
(``https://registry.npmjs.org/leaflet/-/leaflet-1.9.3.tgz``), downloaded with pooch into the
assets folder and checked against the registry's published integrity hash (``dist.integrity``,
a SHA-512; the project records it for the versions folium uses, and takes it from the
registry's metadata for others). No Node.js is needed, nothing is copied into the repository
and nothing is downloaded at import time.

The tarball is kept as published (``<folder>/leaflet-1.9.3.tgz``; a scoped ``@scope/name``
becomes ``@scope__name-VERSION.tgz``) and verified **on every use**: a damaged or truncated
copy is never inlined (it is downloaded again, or the message says how to get it). The folder
is ``CENTREREACH_ASSETS_DIR`` when set, else ``web-assets`` in the cache root
(``CENTREREACH_CACHE_DIR``, else the user cache folder: ``~/.cache/centrereach/web-assets`` on
Linux).

>>> npm_source("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
('leaflet', '1.9.3', 'dist/leaflet.js')
>>> npm_source("https://code.jquery.com/jquery-3.7.1.min.js")
('jquery', '3.7.1', 'dist/jquery.min.js')
>>> npm_source("https://example.org/app.js") is None
True
>>> tarball_url("leaflet@1.9.3")
'https://registry.npmjs.org/leaflet/-/leaflet-1.9.3.tgz'
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import mimetypes
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from centrereach import _settings
from centrereach.errors import DataNotFoundError

__all__ = [
    "NPM_REGISTRY",
    "assets_dir",
    "fetch_packages",
    "inline_assets",
    "linked_assets",
    "load_assets",
    "npm_source",
    "tarball_path",
    "tarball_url",
]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder that holds the npm tarballs.
ASSETS_ENV = _settings.ASSETS_DIR_ENV

#: The npm registry the tarballs come from.
NPM_REGISTRY: Final = "https://registry.npmjs.org"

#: The registry's ``dist.integrity`` (SHA-512, base64) of the tarballs the maps use, recorded
#: from ``https://registry.npmjs.org/leaflet/1.9.3`` (folium 0.20's Leaflet).
_INTEGRITY: dict[str, str] = {
    "leaflet@1.9.3": (
        "sha512-iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8+PGtmW/2lYhbLizWtG7nTeYht36WfOslixQF9D/uSIzhZgGMfQ=="
    ),
}

_JSDELIVR = re.compile(
    r"^https?://cdn\.jsdelivr\.net/npm/(?P<pkg>(?:@[^/@]+/)?[^/@]+)@(?P<ver>[^/]+)/(?P<path>.+)$"
)
_JQUERY = re.compile(r"^https?://code\.jquery\.com/jquery-(?P<ver>[0-9.]+)(?P<min>\.min)?\.js$")
_UNPKG = re.compile(
    r"^https?://unpkg\.com/(?P<pkg>(?:@[^/@]+/)?[^/@]+)@(?P<ver>[^/]+)/(?P<path>.+)$"
)
_SCRIPT = re.compile(r'<script\s+src="(?P<url>[^"]+)"\s*>\s*</script>', re.IGNORECASE)
_STYLE = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>[^"]+)"\s*/?>', re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<ref>[^'")]+)(?P=q)\s*\)""")


def assets_dir() -> Path:
    """The folder that holds the npm tarballs for self-contained maps.

    ``CENTREREACH_ASSETS_DIR`` when set, else ``web-assets`` in the cache root (see
    :func:`centrereach._settings.assets_dir`).

    >>> import os
    >>> saved = os.environ.pop("CENTREREACH_ASSETS_DIR", None)
    >>> os.environ["CENTREREACH_ASSETS_DIR"] = "/tmp/assets"
    >>> str(assets_dir())
    '/tmp/assets'
    >>> del os.environ["CENTREREACH_ASSETS_DIR"]
    >>> if saved is not None:
    ...     os.environ["CENTREREACH_ASSETS_DIR"] = saved
    """
    return _settings.assets_dir()


def npm_source(url: str) -> tuple[str, str, str] | None:
    """The npm package, version and file behind a CDN URL, or None when unknown.

    Understood: ``cdn.jsdelivr.net/npm/NAME@VERSION/PATH``, ``unpkg.com/NAME@VERSION/PATH``
    and ``code.jquery.com/jquery-VERSION(.min).js``.
    """
    for pattern in (_JSDELIVR, _UNPKG):
        match = pattern.match(url)
        if match:
            return match.group("pkg"), match.group("ver"), match.group("path")
    match = _JQUERY.match(url)
    if match:
        name = "jquery.min.js" if match.group("min") else "jquery.js"
        return "jquery", match.group("ver"), f"dist/{name}"
    return None


def _split(spec: str) -> tuple[str, str]:
    package, _, version = spec.rpartition("@")
    if not package or not version:
        msg = f"an npm package is written NAME@VERSION (e.g. leaflet@1.9.3), not {spec!r}"
        raise ValueError(msg)
    return package, version


def tarball_url(spec: str, *, registry: str | None = None) -> str:
    """The registry URL of the tarball of ``spec`` (``NAME@VERSION``).

    >>> tarball_url("@turf/helpers@7.1.0", registry="http://127.0.0.1:4873/")
    'http://127.0.0.1:4873/@turf/helpers/-/helpers-7.1.0.tgz'
    """
    package, version = _split(spec)
    base = (registry or NPM_REGISTRY).rstrip("/")
    return f"{base}/{package}/-/{package.rsplit('/', 1)[-1]}-{version}.tgz"


def tarball_path(spec: str, directory: Path | None = None) -> Path:
    """Where the tarball of ``spec`` is kept in the assets folder.

    >>> tarball_path("leaflet@1.9.3", Path("/cache/web-assets")).as_posix()
    '/cache/web-assets/leaflet-1.9.3.tgz'
    """
    package, version = _split(spec)
    folder = directory if directory is not None else assets_dir()
    return folder / f"{package.replace('/', '__')}-{version}.tgz"


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _how_to_get(specs: Iterable[str], directory: Path, registry: str | None) -> str:
    parts = []
    for spec in sorted(set(specs)):
        known = _INTEGRITY.get(spec)
        check = f"; its npm integrity is {known}" if known else ""
        parts.append(
            f"download {tarball_url(spec, registry=registry)} and put it in {directory} as "
            f"{tarball_path(spec, directory).name}{check}"
        )
    return "; ".join(parts)


def _recorded_integrity(spec: str, folder: Path) -> str | None:
    """The integrity the project records for ``spec``, else the one saved at its download."""
    if spec in _INTEGRITY:
        return _INTEGRITY[spec]
    sidecar = tarball_path(spec, folder).with_suffix(".integrity")
    try:
        value = sidecar.read_text("utf-8").strip()
    except OSError:
        return None
    return value or None


@functools.lru_cache(maxsize=8)
def _read_verified(path: Path, size: int, mtime_ns: int, expected: str) -> bytes | None:
    """The tarball's bytes when they match ``expected``; None when they do not (cached)."""
    data = path.read_bytes()
    return data if _integrity(data) == expected else None


def _verified_tarball(spec: str, folder: Path) -> tuple[bytes | None, str]:
    """The verified bytes of the cached tarball, or None and why not."""
    path = tarball_path(spec, folder)
    if not path.is_file():
        return None, f"{path.name} is not in {folder}"
    expected = _recorded_integrity(spec, folder)
    if expected is None:
        return None, f"no integrity hash is known for {spec}"
    stat = path.stat()
    data = _read_verified(path, stat.st_size, stat.st_mtime_ns, expected)
    if data is None:
        return None, (
            f"the cached {path} is damaged: it does not match the npm registry's integrity "
            f"{expected} (a partial download or copy?)"
        )
    return data, ""


def _registry_integrity(spec: str, registry: str | None, timeout_s: float) -> str:
    """``dist.integrity`` from the registry's metadata of ``spec``."""
    import requests

    package, version = _split(spec)
    url = f"{(registry or NPM_REGISTRY).rstrip('/')}/{package}/{version}"
    response = requests.get(url, timeout=timeout_s)
    response.raise_for_status()
    integrity = response.json().get("dist", {}).get("integrity")
    if not isinstance(integrity, str) or not integrity.startswith("sha512-"):
        msg = f"the registry's metadata of {spec} ({url}) has no sha512 dist.integrity"
        raise ValueError(msg)
    return integrity


def _download(spec: str, folder: Path, *, registry: str | None, progress: bool) -> None:
    """Download the tarball of ``spec`` with pooch, check it, and move it into ``folder``."""
    import pooch

    target = tarball_path(spec, folder)
    expected = _INTEGRITY.get(spec) or _registry_integrity(spec, registry, 60.0)
    digest = base64.b64decode(expected.removeprefix("sha512-")).hex()
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=folder))
    try:
        logger.info("downloading %s from the npm registry for self-contained maps", spec)
        got = pooch.retrieve(
            tarball_url(spec, registry=registry),
            known_hash=f"sha512:{digest}",
            fname=target.name,
            path=staging,
            progressbar=progress,
        )
        if spec not in _INTEGRITY:
            target.with_suffix(".integrity").write_text(expected + "\n", encoding="utf-8")
        Path(got).replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch_packages(
    packages: Iterable[str],
    *,
    directory: Path | None = None,
    registry: str | None = None,
    progress: bool = False,
) -> Path:
    """Download npm packages (``"leaflet@1.9.3"``) into the assets folder, verified.

    Each tarball comes from the npm registry with pooch and must match the registry's
    integrity hash (recorded by the project for the versions folium uses); a tarball already
    there is verified and kept, a damaged one is downloaded again.

    Parameters
    ----------
    packages
        ``NAME@VERSION`` of each package.
    directory
        The assets folder (default :func:`assets_dir`).
    registry
        The npm registry (default ``https://registry.npmjs.org``; a mirror works too).
    progress
        Show pooch's progress bar (stderr).

    Returns
    -------
    pathlib.Path
        The assets folder.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        A package could not be downloaded or did not match its integrity (no internet?); the
        message says which file to download and where to put it.

    Examples
    --------
    >>> import tempfile
    >>> try:
    ...     fetch_packages(["leaflet@1.9.3"], directory=Path(tempfile.mkdtemp()),
    ...                    registry="http://127.0.0.1:9")
    ... except DataNotFoundError as exc:
    ...     print(str(exc)[:54])
    self-contained maps need the npm package leaflet@1.9.3
    """
    folder = Path(directory) if directory is not None else assets_dir()
    for spec in dict.fromkeys(packages):
        data, _ = _verified_tarball(spec, folder)
        if data is not None:
            continue
        try:
            _download(spec, folder, registry=registry, progress=progress)
        except Exception as exc:  # requests errors, pooch's hash mismatch, bad metadata
            reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else repr(exc)
            msg = (
                f"self-contained maps need the npm package {spec}, which is not in {folder} "
                f"and could not be downloaded ({reason}). On a machine with internet, "
                f"{_how_to_get([spec], folder, registry)} (or set {ASSETS_ENV} to a folder "
                "holding it); or build the maps with --cdn (cdn=True), which link Leaflet from "
                "the internet instead."
            )
            raise DataNotFoundError(msg) from exc
        data, why = _verified_tarball(spec, folder)
        if data is None:  # pragma: no cover - verified by pooch a moment ago
            raise DataNotFoundError(why)
    return folder


def load_assets(
    urls: Iterable[str],
    *,
    directory: Path | None = None,
    fetch: bool = True,
    registry: str | None = None,
) -> dict[str, str]:
    """The text of each CDN file, read from the verified npm tarballs (fetched when missing).

    Every use checks the cached tarball against its integrity hash, so a damaged copy is never
    inlined. Stylesheets have their ``url(...)`` references (images, fonts) inlined as
    ``data:`` URIs.

    Parameters
    ----------
    urls
        CDN URLs of scripts and stylesheets (as folium writes them).
    directory
        The assets folder (default :func:`assets_dir`).
    fetch
        Download a missing or damaged tarball; when False, either is an error.
    registry
        The npm registry to download from (default ``https://registry.npmjs.org``).

    Returns
    -------
    dict
        URL -> file text.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        A URL whose npm package is unknown, or a package that is missing or damaged and cannot
        be fetched; the message says which file to download and where to put it.

    Examples
    --------
    >>> import tempfile
    >>> url = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
    >>> try:
    ...     load_assets([url], directory=Path(tempfile.mkdtemp()), fetch=False)
    ... except DataNotFoundError as exc:
    ...     print(str(exc)[:76])
    self-contained maps need the npm package leaflet@1.9.3: leaflet-1.9.3.tgz is
    """
    folder = Path(directory) if directory is not None else assets_dir()
    sources: dict[str, tuple[str, str, str]] = {}
    unknown = []
    for url in dict.fromkeys(urls):
        source = npm_source(url)
        if source is None:
            unknown.append(url)
        else:
            sources[url] = source
    if unknown:
        msg = (
            f"self-contained maps cannot inline {', '.join(unknown)}: no npm package is known "
            "for it. Remove the element that needs it, or build the map with cdn=True."
        )
        raise DataNotFoundError(msg)
    tarballs: dict[str, bytes] = {}
    for spec in dict.fromkeys(f"{p}@{v}" for p, v, _ in sources.values()):
        data, why = _verified_tarball(spec, folder)
        if data is None and fetch:
            fetch_packages([spec], directory=folder, registry=registry)
            data, why = _verified_tarball(spec, folder)
        if data is None:
            msg = (
                f"self-contained maps need the npm package {spec}: {why}. On a machine with "
                f"internet, {_how_to_get([spec], folder, registry)} (or set {ASSETS_ENV} to a "
                "folder holding it); or build the maps with --cdn (cdn=True)."
            )
            raise DataNotFoundError(msg)
        tarballs[spec] = data
    out: dict[str, str] = {}
    for url, (package, version, path) in sources.items():
        members = _members(tarballs[f"{package}@{version}"])
        name = f"package/{path}"
        if name not in members:
            msg = f"{path} is missing from the npm package {package}@{version} (for {url})."
            raise DataNotFoundError(msg)
        text = members[name].decode("utf-8")
        if path.endswith(".css"):
            text = _inline_css_urls(text, name.rsplit("/", 1)[0], members)
        out[url] = text
    return out


@functools.lru_cache(maxsize=8)
def _members(data: bytes) -> dict[str, bytes]:
    """The files of a (verified) npm tarball: member name -> bytes."""
    import io

    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile():
                handle = archive.extractfile(member)
                if handle is not None:
                    files[member.name] = handle.read()
    return files


def _inline_css_urls(css: str, base: str, members: Mapping[str, bytes]) -> str:
    import posixpath

    def replace(match: re.Match[str]) -> str:
        ref = match.group("ref").strip()
        if ref.startswith(("data:", "http:", "https:", "#", "//")):
            return match.group(0)
        name = posixpath.normpath(posixpath.join(base, ref.split("?")[0].split("#")[0]))
        if name not in members:
            return match.group(0)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".woff2"):
            kind = "font/woff2"
        encoded = base64.b64encode(members[name]).decode("ascii")
        return f'url("data:{kind};base64,{encoded}")'

    return _CSS_URL.sub(replace, css)


def inline_assets(html: str, assets: Mapping[str, str]) -> str:
    """Replace ``<script src>`` and ``<link rel="stylesheet">`` of known URLs by inline code.

    >>> page = '<head><script src="https://x/a.js"></script></head>'
    >>> inline_assets(page, {"https://x/a.js": "var a = '</script>';"})
    "<head><script>var a = '<\\\\/script>';</script></head>"

    Raises
    ------
    centrereach.errors.DataNotFoundError
        The page links a script or stylesheet that ``assets`` lacks.
    """
    left: list[str] = []

    def script(match: re.Match[str]) -> str:
        url = match.group("url")
        if url not in assets:
            left.append(url)
            return match.group(0)
        code = re.sub(r"</(script)", r"<\\/\1", assets[url], flags=re.IGNORECASE)
        return f"<script>{code}</script>"

    def style(match: re.Match[str]) -> str:
        url = match.group("url")
        if url not in assets:
            left.append(url)
            return match.group(0)
        code = re.sub(r"</(style)", r"<\\/\1", assets[url], flags=re.IGNORECASE)
        return f"<style>{code}</style>"

    out = _STYLE.sub(style, _SCRIPT.sub(script, html))
    if left:
        msg = (
            f"a self-contained page still links {', '.join(left)}; these could not be "
            "inlined. Build the map with cdn=True or remove what needs them."
        )
        raise DataNotFoundError(msg)
    return out


def linked_assets(html: str) -> list[str]:
    """The URLs of every ``<script src>`` and stylesheet ``<link>`` in ``html``.

    >>> linked_assets('<script src="a.js"></script><link rel="stylesheet" href="b.css"/>')
    ['a.js', 'b.css']
    """
    return [m.group("url") for m in _SCRIPT.finditer(html)] + [
        m.group("url") for m in _STYLE.finditer(html)
    ]
