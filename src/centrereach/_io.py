"""Small I/O helpers shared by the loaders and writers (internal)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "describe_path", "file_mode", "umask", "write_text_atomic"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    A failure (exception, interrupt) leaves no half-written file at ``path``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "x.txt").read_text()
    'done'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers create it themselves (some refuse to overwrite)
    try:
        yield tmp
        tmp.replace(target)
    except BaseException:
        if tmp.is_dir():
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process's file-creation mask (e.g. ``0o022``), read without changing it on Linux.

    >>> 0 <= umask() <= 0o777
    True
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(current)
    return current


def file_mode() -> int:
    """The permissions a new file gets here: ``0o666`` less the umask (``0o644`` for ``022``).

    >>> file_mode() == 0o666 & ~umask()
    True
    """
    return 0o666 & ~umask()


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically, with the user's usual file permissions.

    The temporary file would be private (mode 0600); the file written gets :func:`file_mode`
    (0644 under the common umask 022), as any file the user creates.

    >>> import tempfile, pathlib
    >>> p = write_text_atomic(pathlib.Path(tempfile.mkdtemp()) / "page.html", "<p>hi</p>")
    >>> p.read_text(), (p.stat().st_mode & 0o777) == file_mode()
    ('<p>hi</p>', True)
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(file_mode())  # as any file the user creates (mkstemp makes it 0600)
    return target


def describe_path(path: str | os.PathLike[str] | None) -> str:
    """Return a short, quoted name for messages (``'<data frame>'`` when there is no file)."""
    return f"'{path}'" if path is not None else "'<data frame>'"
