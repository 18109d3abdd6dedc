"""Offline web assets: the JavaScript and CSS a map needs, inlined from npm packages.

An online map links Leaflet (and folium's other libraries) from content-delivery networks. An
offline map carries them inside the HTML file, so it opens with no internet at all. The files
come from the packages' official npm tarballs (``npm pack leaflet@1.9.3``), unpacked into a
cache folder; nothing is copied into the repository and nothing is downloaded at import time.

The cache folder is ``CENTREREACH_ASSETS_DIR`` when set, else ``web-assets`` in the cache root
(``CENTREREACH_CACHE_DIR``, else the user cache folder: ``~/.cache/centrereach/web-assets`` on
Linux). A package ``NAME@VERSION`` lives in
``<cache>/NAME@VERSION/package/`` (a scoped name ``@scope/name`` becomes ``@scope__name``), which
is what ``tar -xzf NAME-VERSION.tgz`` makes inside ``<cache>/NAME@VERSION``.

>>> npm_source("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
('leaflet', '1.9.3', 'dist/leaflet.js')
>>> npm_source("https://code.jquery.com/jquery-3.7.1.min.js")
('jquery', '3.7.1', 'dist/jquery.min.js')
>>> npm_source("https://example.org/app.js") is None
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from centrereach import _settings
from centrereach.errors import DataNotFoundError

__all__ = [
    "assets_dir",
    "fetch_packages",
    "inline_assets",
    "linked_assets",
    "load_assets",
    "npm_source",
]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder that holds unpacked npm packages.
ASSETS_ENV = _settings.ASSETS_DIR_ENV

#: SHA-512 integrity (as npm reports it) of tarballs checked by the project.
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
    """The folder that holds unpacked npm packages for offline maps.

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


def _package_dir(package: str, version: str, directory: Path) -> Path:
    return directory / f"{package.replace('/', '__')}@{version}" / "package"


def _how_to_get(packages: Iterable[str], directory: Path) -> str:
    lines = []
    for spec in sorted(set(packages)):
        package, _, version = spec.rpartition("@")
        tgz = f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"
        folder = directory / f"{package.replace('/', '__')}@{version}"
        lines.append(f"npm pack {spec} && mkdir -p '{folder}' && tar -xzf {tgz} -C '{folder}'")
    return "; ".join(lines)


def fetch_packages(packages: Iterable[str], *, directory: Path | None = None) -> Path:
    """Download npm packages (``"leaflet@1.9.3"``) into the assets folder with ``npm pack``.

    Packages already there are kept. Tarballs whose integrity the project has recorded are
    checked against it.

    Returns
    -------
    pathlib.Path
        The assets folder.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        ``npm`` is missing or fails (no internet); the message gives the commands to run by hand.
    """
    folder = Path(directory) if directory is not None else assets_dir()
    wanted = [p for p in dict.fromkeys(packages) if not _unpacked(p, folder)]
    if not wanted:
        return folder
    npm = shutil.which("npm")
    if npm is None:
        msg = (
            f"offline maps need the npm package(s) {', '.join(wanted)}, which are not in "
            f"{folder}, and the 'npm' command is not installed to fetch them. Install Node.js "
            f"and npm (e.g. 'apt-get install npm'), or on a machine with internet run: "
            f"{_how_to_get(wanted, folder)} (or set {ASSETS_ENV} to a folder laid out so)."
        )
        raise DataNotFoundError(msg)
    folder.mkdir(parents=True, exist_ok=True)
    for spec in wanted:
        package, _, version = spec.rpartition("@")
        with tempfile.TemporaryDirectory(dir=folder, prefix=".fetch-") as tmp:
            logger.info("fetching %s from the npm registry for offline maps", spec)
            try:
                done = subprocess.run(
                    [npm, "pack", spec, "--json", "--pack-destination", tmp],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                    cwd=tmp,
                )
            except subprocess.TimeoutExpired:
                done = None
            if done is None or done.returncode != 0:
                reason = "timed out" if done is None else (done.stderr.strip()[-400:] or "failed")
                msg = (
                    f"offline maps need the npm package {spec}, which is not in {folder}, and "
                    f"'npm pack {spec}' failed ({reason}). On a machine with internet run: "
                    f"{_how_to_get([spec], folder)} (or set {ASSETS_ENV} to a folder laid out so)."
                )
                raise DataNotFoundError(msg)
            tarballs = list(Path(tmp).glob("*.tgz"))
            if len(tarballs) != 1:
                msg = f"'npm pack {spec}' made no tarball in {tmp}."
                raise DataNotFoundError(msg)
            data = tarballs[0].read_bytes()
            expected = _INTEGRITY.get(spec)
            got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
            if expected is not None and got != expected:
                msg = f"the npm tarball of {spec} does not match its recorded integrity {expected}"
                raise DataNotFoundError(msg)
            target = folder / f"{package.replace('/', '__')}@{version}"
            staging = Path(tmp) / "unpacked"
            staging.mkdir()
            with tarfile.open(tarballs[0], "r:gz") as archive:
                archive.extractall(staging, filter="data")
            (staging / "centrereach-asset.json").write_text(
                json.dumps({"package": spec, "integrity": got}), encoding="utf-8"
            )
            if target.exists():
                shutil.rmtree(target, ignore_errors=True)
            try:
                staging.rename(target)
            except OSError:  # another process unpacked it meanwhile
                if not _unpacked(spec, folder):
                    raise
    return folder


def _unpacked(spec: str, folder: Path) -> bool:
    package, _, version = spec.rpartition("@")
    return (_package_dir(package, version, folder) / "package.json").is_file()


def load_assets(
    urls: Iterable[str], *, directory: Path | None = None, fetch: bool = True
) -> dict[str, str]:
    """The text of each CDN file, from the unpacked npm packages (fetched when missing).

    Stylesheets have their ``url(...)`` references (images, fonts) inlined as ``data:`` URIs.

    Parameters
    ----------
    urls
        CDN URLs of scripts and stylesheets (as folium writes them).
    directory
        The assets folder (default :func:`assets_dir`).
    fetch
        Run ``npm pack`` for missing packages; when False, a missing package is an error.

    Returns
    -------
    dict
        URL -> file text.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        A URL whose npm package is unknown, or a package that is missing and cannot be fetched;
        the message says how to get it.
    """
    folder = Path(directory) if directory is not None else assets_dir()
    wanted = list(dict.fromkeys(urls))
    sources: dict[str, tuple[str, str, str]] = {}
    unknown = []
    for url in wanted:
        source = npm_source(url)
        if source is None:
            unknown.append(url)
        else:
            sources[url] = source
    if unknown:
        msg = (
            f"offline maps cannot inline {', '.join(unknown)}: no npm package is known for it. "
            "Remove the element that needs it, or make the map online (offline=False)."
        )
        raise DataNotFoundError(msg)
    specs = [f"{p}@{v}" for p, v, _ in sources.values()]
    missing = [s for s in dict.fromkeys(specs) if not _unpacked(s, folder)]
    if missing:
        if not fetch:
            msg = (
                f"offline maps need the npm package(s) {', '.join(missing)}, which are not in "
                f"{folder}. Get them with: {_how_to_get(missing, folder)} (or set {ASSETS_ENV} "
                "to a folder laid out so)."
            )
            raise DataNotFoundError(msg)
        fetch_packages(missing, directory=folder)
    out: dict[str, str] = {}
    for url, (package, version, path) in sources.items():
        file = _package_dir(package, version, folder) / path
        if not file.is_file():
            msg = f"{file} is missing from the npm package {package}@{version} (for {url})."
            raise DataNotFoundError(msg)
        text = file.read_text(encoding="utf-8")
        if path.endswith(".css"):
            text = _inline_css_urls(text, file.parent)
        out[url] = text
    return out


def _inline_css_urls(css: str, base: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group("ref").strip()
        if ref.startswith(("data:", "http:", "https:", "#", "//")):
            return match.group(0)
        file = (base / ref.split("?")[0].split("#")[0]).resolve()
        if not file.is_file():
            return match.group(0)
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".woff2":
            kind = "font/woff2"
        encoded = base64.b64encode(file.read_bytes()).decode("ascii")
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
            f"an offline page still links {', '.join(left)}; these could not be inlined. "
            "Make the map online (offline=False) or remove what needs them."
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
