"""Helpers shared by the test modules: a web server on loopback, and tiny OpenStreetMap files.

Imported by name (``from _helpers import FileServer``): pytest's default ``prepend`` import mode
puts ``tests/`` on ``sys.path``. The ``serve`` fixture (conftest.py) runs a server for one test.

A server binds 127.0.0.1 only, on a free port, in a thread of the test process. ``LocalServer``
records every request; a test module writes its answers in a ``Handler`` subclass (ArcGIS pages,
postcodes.io), or uses ``FileServer``: files, and the faults of ``FAULTS`` where a test asks.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol, TypeVar

# ------------------------------------------------------------------ a web server on loopback

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>The requested URL was not found.</p></body></html>\n"
)
"""A web server's error page, as a failed download saves it (HTTP 200 from a portal or mirror)."""

FAULTS = {
    "404": "HTTP 404 Not Found",
    "500": "HTTP 500 Internal Server Error, every time",
    "503-once": "HTTP 503 on the first request for each path, the file afterwards",
    "html": "a web page (the server's ``page``) with HTTP 200, whether or not a file is there",
    "short": "half the file, with an honest Content-Length",
    "gone": "the whole file's Content-Length announced, half sent, then the connection closed",
    "slow": "the file, after a pause of ``pause_s`` seconds (longer than the client waits)",
    "wrong-md5": "an MD5 checksum line that matches no file",
}
"""What :class:`FileServer` does at a path whose fault is switched on."""

Server = TypeVar("Server", bound="LocalServer")


class Serve(Protocol):
    """The ``serve`` fixture: starts a server for the test and returns it."""

    def __call__(self, server: Server, /) -> Server: ...


class LocalServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (a free port) whose answers ``handler`` writes.

    Every request is recorded, in order, as ``(method, path)`` in ``log``; ``lock`` guards
    anything the handler threads share. Run it with :func:`running` or the ``serve`` fixture.
    """

    daemon_threads = True

    def __init__(self, handler: type[Handler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.log: list[tuple[str, str]] = []
        self._stopped = False

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, suffix: str = "", method: str = "GET") -> int:
        """How many ``method`` requests were made for a path ending with ``suffix``."""
        with self.lock:
            return sum(m == method and path.endswith(suffix) for m, path in self.log)

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice; a test may stop it early)."""
        if not self._stopped:
            self._stopped = True
            self.shutdown()
            self.server_close()


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Serve ``server`` in a thread for the ``with`` block; stopped at its end, however it ends."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=10)


class Handler(BaseHTTPRequestHandler):
    """A quiet request handler that records each request on its :class:`LocalServer`."""

    server: LocalServer

    def log_message(self, format: str, *args: object) -> None:  # keep the test output quiet
        pass

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            with self.server.lock:
                self.server.log.append((self.command, self.path))
        return ok

    def reply(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/octet-stream",
        headers: Mapping[str, str] | None = None,
        hang_up_halfway: bool = False,
    ) -> None:
        """Answer ``body`` (only the headers for HEAD); a client that hung up is no error.

        ``hang_up_halfway``: announce the whole body, send half, and close the connection.
        """
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body[: len(body) // 2] if hang_up_halfway else body)
                self.wfile.flush()
        if hang_up_halfway:
            self.close_connection = True


class FileServer(LocalServer):
    """Files on 127.0.0.1, with faults switched on per path or per folder.

    ``files`` maps URL paths to bytes; ``folders`` maps URL prefixes (ending in ``/``) to folders
    served in place (``/ok/ons/x.csv`` with ``{"/ok/": root}`` is ``root/ons/x.csv``, read when
    asked; nothing outside the folder is served). Anything else is HTTP 404. ``faults`` maps a URL
    path, or a prefix ending in ``/`` (everything below it), to one of :data:`FAULTS`; tests may
    change ``files`` and ``faults`` while the server runs. ``headers`` are sent with every file;
    ``page`` is the web page of the ``html`` fault. GET and HEAD are answered.
    """

    def __init__(
        self,
        *,
        files: Mapping[str, bytes] | None = None,
        folders: Mapping[str, Path] | None = None,
        faults: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        page: bytes = HTML_PAGE,
        pause_s: float = 1.0,
    ) -> None:
        super().__init__(FileHandler)
        self.files = dict(files or {})
        self.folders = dict(folders or {})
        self.faults = dict(faults or {})
        unknown = set(self.faults.values()) - set(FAULTS)
        assert not unknown, f"unknown faults {sorted(unknown)}: choose from {sorted(FAULTS)}"
        self.headers = dict(headers or {})
        self.page = page
        self.pause_s = pause_s
        self._failed: set[str] = set()

    @property
    def requests(self) -> list[str]:
        """The path of every request, in order."""
        with self.lock:
            return [path for _, path in self.log]

    def fault(self, path: str) -> str | None:
        """The fault at ``path``: its own, else that of the longest folder prefix above it."""
        if path in self.faults:
            return self.faults[path]
        prefixes = [p for p in self.faults if p.endswith("/") and path.startswith(p)]
        return self.faults[max(prefixes, key=len)] if prefixes else None

    def file(self, path: str) -> bytes | None:
        """The bytes served at ``path``, or None (HTTP 404)."""
        if path in self.files:
            return self.files[path]
        for prefix, folder in self.folders.items():
            rest = path.removeprefix(prefix)
            if rest == path or not rest:
                continue
            root = folder.resolve()
            target = (root / rest).resolve()
            if target.is_relative_to(root) and target.is_file():
                return target.read_bytes()
        return None

    def first_failure(self, path: str) -> bool:
        """True the first time a path is asked for (the ``503-once`` fault), then False."""
        with self.lock:
            first = path not in self._failed
            self._failed.add(path)
        return first


class FileHandler(Handler):
    server: FileServer

    def do_GET(self) -> None:
        fault = self.server.fault(self.path)
        if fault == "html":
            self.reply(self.server.page, content_type="text/html", headers=self.server.headers)
            return
        body = self.server.file(self.path)
        if body is None or fault == "404":
            self.send_error(404, "Not Found")
        elif fault == "500":
            self.send_error(500, "Internal Server Error")
        elif fault == "503-once" and self.server.first_failure(self.path):
            self.send_error(503, "Service Unavailable")
        else:
            if fault == "slow":
                time.sleep(self.server.pause_s)
            elif fault == "short":
                body = body[: len(body) // 2]
            elif fault == "wrong-md5":
                body = b"0123456789abcdef0123456789abcdef  " + self.path.rsplit("/", 1)[-1].encode()
            self.reply(body, headers=self.server.headers, hang_up_halfway=fault == "gone")

    do_HEAD = do_GET


# ------------------------------------------------------------------ tiny OpenStreetMap files


def write_osm(
    path: Path,
    nodes: Mapping[int, tuple[float, float]],
    ways: Iterable[tuple[int, Sequence[int], Mapping[str, str]]],
) -> Path:
    """Write a tiny OSM XML file and return its path.

    ``nodes`` is ``{id: (lon, lat)}`` in degrees, written to 7 decimals (OpenStreetMap's
    precision, so that every reader sees the same coordinates); ``ways`` is
    ``[(id, [node ids], {tag: value})]``, written in the order given.
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{node_id}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}">')
        lines.extend(f'    <nd ref="{ref}"/>' for ref in refs)
        lines.extend(f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
