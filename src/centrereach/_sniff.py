"""What a file's first and last bytes say it is: web page, gzip, zip, truncated (internal).

A failed download often leaves a web page (an HTML error or login page, sent with HTTP 200) under
the name of the file that was wanted; a cut-short copy leaves a truncated file. These checks are
cheap (they read a few kilobytes) and are shared by the table reader (:mod:`centrereach._tables`),
the downloader (:mod:`centrereach._download`) and the dataset registry
(:mod:`centrereach.sources`), which sniffs every file that has no registered checksum.

>>> looks_like_html(b"\\xef\\xbb\\xbf  <!DOCTYPE html><html><head><title>404</title>")
True
>>> looks_like_html(b"lsoa21_code,IMD_decile\\nE01019400,6\\n")
False
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

__all__ = [
    "GZIP_MAGIC",
    "ZIP_MAGIC",
    "content_problem",
    "head_bytes",
    "kind_from_name",
    "looks_like_html",
    "page_title",
]

GZIP_MAGIC: Final = b"\x1f\x8b"
ZIP_MAGIC: Final = b"PK\x03\x04"  # also the start of every .xlsx workbook
_ZIP_END: Final = b"PK\x05\x06"  # the end-of-central-directory record, in the last 64 kB
_HTML_START: Final = re.compile(rb"^\s*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)
_HTML_ANYWHERE: Final = re.compile(rb"<html[\s>]|<head>|<body[\s>]|<title>", re.I)
_TITLE: Final = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def head_bytes(path: str | os.PathLike[str], size: int = 4096) -> bytes:
    """The first ``size`` bytes of a file (fewer when it is shorter).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes(b"a,b\\n1,2\\n")
    >>> head_bytes(p, 3)
    b'a,b'
    """
    with Path(path).open("rb") as fh:
        return fh.read(size)


def looks_like_html(head: bytes) -> bool:
    """Whether the first bytes of a file are a web page (HTML), after any BOM and blank space.

    A page that starts with a comment or an XML declaration counts when ``<html``, ``<head>``,
    ``<body`` or ``<title>`` comes within the bytes given.

    >>> looks_like_html(b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>")
    True
    >>> looks_like_html(b'{"type": "FeatureCollection", "features": []}')
    False
    """
    text = head.removeprefix(b"\xef\xbb\xbf")
    if _HTML_START.match(text):
        return True
    stripped = text.lstrip()
    return stripped.startswith((b"<!--", b"<?xml", b"<!")) and bool(_HTML_ANYWHERE.search(text))


def page_title(head: bytes) -> str:
    """The ``<title>`` of a web page, shortened, or ``""`` when it has none.

    >>> page_title(b"<html><head><title>Sign in - Council intranet</title></head>")
    'Sign in - Council intranet'
    """
    match = _TITLE.search(head)
    if not match:
        return ""
    title = " ".join(match.group(1).decode("utf-8", "replace").split())
    return title if len(title) <= 80 else title[:77] + "..."


def _describe_html(head: bytes) -> str:
    title = page_title(head)
    return "a web page (HTML" + (f", titled '{title}'" if title else "") + ")"


def content_problem(path: str | os.PathLike[str], *, kind: str | None = None) -> str | None:
    """Say what is wrong with a data file judged by its size and its first and last bytes.

    ``kind`` is what the file must be (``"gzip"``, ``"zip"``, ``"xlsx"``, ``"geojson"``,
    ``"csv"``, ``"pbf"``); by default it is read from the file name's suffix. Returns None when
    nothing is wrong, else a phrase such as ``"the file is empty (0 bytes)"`` or ``"it is a web
    page (HTML), not a gzip file"``. Cheap: reads at most 64 kB.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> page = folder / "imd.csv.gz"
    >>> _ = page.write_bytes(b"<!doctype html><title>Not found</title>")
    >>> content_problem(page)
    "it is a web page (HTML, titled 'Not found'), not a gzip file"
    >>> empty = folder / "lookup.csv"
    >>> _ = empty.write_bytes(b"")
    >>> content_problem(empty)
    'the file is empty (0 bytes)'
    """
    file = Path(path)
    size = file.stat().st_size
    if size == 0:
        return "the file is empty (0 bytes)"
    head = head_bytes(file, 4096)
    kind = kind or kind_from_name(file.name)
    if looks_like_html(head):
        wanted = {
            "gzip": "a gzip file",
            "zip": "a zip archive",
            "xlsx": "an Excel workbook",
            "geojson": "GeoJSON",
            "pbf": "an OpenStreetMap extract",
        }.get(kind or "", "the data")
        return f"it is {_describe_html(head)}, not {wanted}"
    if kind == "gzip" and not head.startswith(GZIP_MAGIC):
        return f"it is not a gzip file (it starts with {head[:8]!r})"
    if kind in {"zip", "xlsx"}:
        if not head.startswith(ZIP_MAGIC):
            return f"it is not {'an Excel workbook' if kind == 'xlsx' else 'a zip archive'}"
        with file.open("rb") as fh:
            fh.seek(max(0, size - 65_536))
            if _ZIP_END not in fh.read():
                return "it is truncated (the end of the zip archive is missing)"
    if kind == "geojson":
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return f"it is not GeoJSON (it starts with {head[:16]!r})"
        with file.open("rb") as fh:
            fh.seek(max(0, size - 64))
            if not fh.read().rstrip().endswith(b"}"):
                return "it is truncated (the GeoJSON does not end with '}')"
    if kind == "pbf" and b"OSMHeader" not in head[:64]:
        return "it is not an OpenStreetMap PBF extract (no 'OSMHeader' at its start)"
    return None


def kind_from_name(name: str) -> str | None:
    """What a file must be, judged by its name (None when the name does not say).

    One of ``"gzip"``, ``"zip"``, ``"xlsx"``, ``"geojson"``, ``"pbf"`` or ``"csv"``.

    >>> kind_from_name("File_1.csv.gz"), kind_from_name("derbyshire-latest.osm.pbf")
    ('gzip', 'pbf')
    """
    lower = name.lower()
    for suffix, kind in (
        (".gz", "gzip"),
        (".zip", "zip"),
        (".xlsx", "xlsx"),
        (".xlsm", "xlsx"),
        (".geojson", "geojson"),
        (".osm.pbf", "pbf"),
        (".pbf", "pbf"),
        (".csv", "csv"),
    ):
        if lower.endswith(suffix):
            return kind
    return None
