"""Writing a study result to disk: tables, maps and the report, without harming anything else.

:func:`write_outputs` writes into one folder (see ``docs/outputs.md`` for every column):

* ``areas.csv`` and ``areas.gpkg`` (one row per area x scenario x mode), ``summary.csv``,
  ``equity.csv``, ``matrix_<mode>.csv`` (``nearest_<mode>.csv`` for a study routed without the
  full matrix), ``results.xlsx`` (the same tables as sheets) and ``optimise.csv`` when the
  result carries an optimisation;
* ``study.json``: the provenance (inputs with SHA-256, networks, settings, versions);
* the interactive maps ``maps/<scenario>_<mode>.html`` and ``report.html``
  (:func:`centrereach.report.write_report_and_maps`);
* ``.centrereach-manifest.json``: the files this run wrote, with their sizes and SHA-256, so
  that the next run knows the folder holds nothing but centrereach outputs.

What happens to the folder:

* it does not exist, or holds only a previous run's outputs (per its manifest): the outputs
  are built in a temporary folder beside it and swapped into place when all are complete, so
  a failed or interrupted run leaves the previous outputs (or nothing), never a half-written
  set;
* it is empty, or (with ``force=True``, the ``--force`` option) holds other files too: each
  output file is moved into it on its own (atomically); other files are left alone, and
  outputs of the previous run that this run does not write again are removed only when they
  are unchanged since;
* it is a file, the current folder (or a parent of it), or the folder of the study file or of
  an input (or a parent of one), or it holds files centrereach did not write (without
  ``force``): :class:`~centrereach.errors.OutputError`, and nothing is written.

A lock file beside the folder (``.<name>.lock``) keeps two runs from writing one folder at once.
Stale temporary folders a killed run left beside it (``.<name>.XXXXXXXX.part``,
``.<name>.old-<pid>``) are removed by the next run.

>>> import tempfile, pathlib
>>> from centrereach.synthetic import synthetic_study
>>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
>>> folder = write_outputs(result, pathlib.Path(tempfile.mkdtemp()) / "out", maps=False)
>>> sorted(p.name for p in folder.iterdir())  # doctest: +NORMALIZE_WHITESPACE
['.centrereach-manifest.json', 'areas.csv', 'areas.gpkg', 'equity.csv', 'matrix_cycle.csv',
 'matrix_drive.csv', 'matrix_transit.csv', 'matrix_walk.csv', 'results.xlsx', 'study.json',
 'summary.csv']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from centrereach._io import atomic_path, file_mode
from centrereach._settings import package_version
from centrereach._words import SYNTHETIC_NOTE
from centrereach.errors import CentrereachError, OutputError
from centrereach.maps import map_filename
from centrereach.report import write_report, write_report_and_maps
from centrereach.results import StudyResult
from centrereach.traveltime import NearestCentres

__all__ = ["MANIFEST_NAME", "OutputFolder", "claim_output_folder", "write_outputs", "write_tables"]

MANIFEST_NAME = ".centrereach-manifest.json"
"""The file, in an output folder, that lists what the run wrote (sizes and SHA-256)."""

#: Free space (bytes) a run needs before it starts when nothing better is known: a run's
#: smallest outputs (the demo without maps) take about 0.4 MB.
MIN_FREE_BYTES = 1_048_576
#: Rows a sheet of ``results.xlsx`` holds below its header (Excel: 1,048,576 rows in all).
EXCEL_MAX_ROWS = 1_048_575
#: Cells that spreadsheet programs read as the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Files the outputs of a run may have (to recognise the outputs of a version without manifest).
_LEGACY_NAME = re.compile(
    r"(areas\.csv|areas\.gpkg|summary\.csv|equity\.csv|results\.xlsx|optimise\.csv"
    r"|study\.json|report\.html|matrix_[a-z]+\.csv)"
)
_RANDOM = r"[a-z0-9_]{8}"  # tempfile's and secrets.token_hex(4)'s 8 characters
_BUILD_PREFIX = ".centrereach-build-"
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
#: Free space (bytes) below which a failed write is put down to a full disk.
_NEARLY_FULL_BYTES = 262_144

Kind = Literal["new", "replace", "merge"]


# --------------------------------------------------------------------------------------------
# the output folder: where, and whether it may be written
# --------------------------------------------------------------------------------------------


def _absolute(folder: str | os.PathLike[str]) -> Path:
    """``folder`` as an absolute path with symbolic links resolved (it need not exist)."""
    return Path(folder).expanduser().resolve()


def _size(n: float) -> str:
    """Bytes for people: ``'812 kB'``, ``'3.4 MB'``."""
    if n < 1_000_000:
        return f"{n / 1000:,.0f} kB"
    if n < 1_000_000_000:
        return f"{n / 1e6:,.1f} MB"
    return f"{n / 1e9:,.1f} GB"


_ELSEWHERE = "Choose another output folder (--out DIR, or [study] output in the study file)."


def _explain(exc: OSError, target: Path, doing: str) -> OutputError:
    """An :class:`OutputError` saying in words why writing ``target`` failed."""
    code = exc.errno
    where = exc.filename or target
    if code == errno.EROFS:
        msg = f"cannot write the outputs to '{target}': '{where}' is on a read-only file system."
    elif code in (errno.EACCES, errno.EPERM):
        msg = f"cannot write the outputs to '{target}': no permission to write in '{where}'."
    elif code in _DISK_FULL:
        free = _free_bytes(target)
        msg = (
            f"cannot write the outputs to '{target}': the disk is full ({_size(free)} free "
            f"while {doing}). Nothing was written. Free some space, or choose another folder "
            "(--out DIR)."
        )
        return OutputError(msg)
    elif code == errno.ENOTDIR:
        msg = f"cannot write the outputs to '{target}': a part of that path is a file ('{where}')."
    else:
        msg = f"cannot write the outputs to '{target}' ({doing}): {exc.strerror or exc}."
    return OutputError(f"{msg} Nothing was written. {_ELSEWHERE}")


def _free_bytes(target: Path) -> int:
    """Free bytes on the file system that holds ``target`` (or its nearest existing parent)."""
    for folder in (target, *target.parents):
        with contextlib.suppress(OSError):
            if folder.is_dir():
                return shutil.disk_usage(folder).free
    return 0


def _refuse_location(target: Path, protect: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse a target that is a file, holds the current folder, or holds an input."""
    if target.exists() and not target.is_dir():
        msg = (
            f"the output folder '{target}' is a file, not a folder; centrereach writes its "
            "outputs into a folder of their own and will not replace a file. "
            f"Give a folder that does not exist yet, e.g. '{target.parent / 'output'}'."
        )
        raise OutputError(msg)
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                msg = (
                    f"cannot write the outputs to '{target}': '{parent}' is a file, not a "
                    f"folder. {_ELSEWHERE}"
                )
                raise OutputError(msg)
            break
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        which = "the current folder" if target == cwd else "a parent of the current folder"
        msg = (
            f"the output folder '{target}' is {which}; centrereach writes its outputs into a "
            "folder of their own. Give one, e.g. --out output/NAME (or [study] output = "
            '"output/NAME" in the study file).'
        )
        raise OutputError(msg)
    for item in protect:
        path = _absolute(item)
        if target == path or target in path.parents:
            role = "is" if target == path else "holds"
            msg = (
                f"the output folder '{target}' {role} '{path}', which this run reads (the study "
                "file, a data folder or an input file); centrereach will not write its outputs "
                f"there. {_ELSEWHERE}"
            )
            raise OutputError(msg)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a previous run in ``folder``, or None when there is no valid one."""
    path = folder / MANIFEST_NAME
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "centrereach":
        return None
    files = data.get("files")
    if not isinstance(files, dict):
        return None
    for rel, entry in files.items():
        parts = Path(rel).parts
        if (
            not isinstance(rel, str)
            or not parts
            or Path(rel).is_absolute()
            or ".." in parts
            or not isinstance(entry, dict)
            or not isinstance(entry.get("bytes"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            return None
    return data


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _unchanged(path: Path, entry: Mapping[str, Any]) -> bool:
    """Whether the file at ``path`` is exactly what a manifest entry says was written."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size != entry["bytes"]:
            return False
        return _sha256(path) == str(entry["sha256"])
    except OSError:
        return False


def _is_leftover(name: str) -> bool:
    """A temporary folder a killed run of ours left inside an output folder."""
    return re.fullmatch(re.escape(_BUILD_PREFIX) + _RANDOM + r"\.part", name) is not None


def _foreign(folder: Path, manifest: Mapping[str, Any] | None, *, limit: int = 5) -> list[str]:
    """Entries of ``folder`` centrereach did not write, or changed since (at most ``limit``).

    With a manifest, an entry is ours when the manifest lists it and it is unchanged (size and
    SHA-256); a manifest written while a run was moving its files in (``complete: false``) lists
    the files of that run, which count as ours whatever their content.
    """
    files: Mapping[str, Any] = manifest["files"] if manifest else {}
    complete = bool(manifest.get("complete", True)) if manifest else True
    folders = {p.as_posix() for rel in files for p in Path(rel).parents if p != Path()}
    found: list[str] = []
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        rel_root = here.relative_to(folder)
        keep_dirs = []
        for name in sorted(dirs):
            rel = (rel_root / name).as_posix()
            path = here / name
            if rel_root == Path() and _is_leftover(name):
                continue
            if rel in folders and not path.is_symlink():
                keep_dirs.append(name)
            else:
                found.append(f"{rel}/")
        dirs[:] = keep_dirs
        for name in sorted(names):
            rel = (rel_root / name).as_posix()
            if rel == MANIFEST_NAME:
                continue
            entry = files.get(rel)
            path = here / name
            if entry is None or path.is_symlink():
                found.append(rel)
            elif complete and not _unchanged(path, entry):
                found.append(f"{rel} (changed since centrereach wrote it)")
        if len(found) >= limit:
            break
    return found[:limit]


def _is_legacy_output(folder: Path) -> bool:
    """Outputs written by a centrereach version without manifest: known names, our study.json."""
    try:
        study = json.loads((folder / "study.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    versions = study.get("versions") if isinstance(study, dict) else None
    if not isinstance(versions, dict) or "centrereach" not in versions:
        return False
    for entry in folder.iterdir():
        if entry.is_symlink():
            return False
        if entry.name == "maps" and entry.is_dir():
            maps = list(entry.iterdir())
            if not all(m.is_file() and not m.is_symlink() and m.suffix == ".html" for m in maps):
                return False
        elif not (entry.is_file() and _LEGACY_NAME.fullmatch(entry.name)):
            return False
    return True


@dataclass(frozen=True)
class _Plan:
    """How a run writes ``target``: ``new`` (it does not exist), ``replace`` (a previous run's
    outputs, swapped as a whole) or ``merge`` (empty, or ``force``: file by file)."""

    target: Path
    kind: Kind
    previous: Mapping[str, Any] = field(default_factory=dict)  # the previous manifest's files
    previous_bytes: int = 0


def _plan(target: Path, *, force: bool) -> _Plan:
    """Decide how to write ``target`` (already checked by :func:`_refuse_location`)."""
    if not target.exists():
        return _Plan(target, "new")
    try:
        empty = next(iter(target.iterdir()), None) is None
    except OSError as exc:
        raise _explain(exc, target, "reading the output folder") from exc
    if empty:
        return _Plan(target, "merge")
    manifest = _read_manifest(target)
    files = dict(manifest["files"]) if manifest else {}
    total = sum(int(e["bytes"]) for e in files.values())
    foreign = _foreign(target, manifest)
    if not foreign:
        return _Plan(target, "replace", files, total)
    if manifest is None and _is_legacy_output(target):
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        return _Plan(target, "replace", {}, size)
    if force:
        return _Plan(target, "merge", files, total)
    shown = ", ".join(f"'{f}'" for f in foreign[:4]) + (" ..." if len(foreign) > 4 else "")
    msg = (
        f"the output folder '{target}' holds files centrereach did not write ({shown}), and "
        "centrereach never replaces a folder that holds anything but its own outputs. Give a new "
        "or empty folder (--out DIR), or pass --force to write the outputs into this one file "
        "by file, leaving the other files alone."
    )
    raise OutputError(msg)


def _clean_stale(target: Path) -> None:
    """Remove what a killed run of ours left beside ``target``; restore outputs it had moved.

    Only folders named as this module names them are touched: ``.<name>.XXXXXXXX.part``
    (outputs being built) and ``.<name>.old-<pid>`` (the previous outputs, moved aside for a
    moment while the new ones were swapped in). When a run was killed in that moment, the target
    is missing and the newest ``old`` folder is put back (when it holds complete outputs).
    """
    parent, name = target.parent, re.escape(target.name)
    if not parent.is_dir():
        return
    parts = re.compile(rf"\.{name}\.{_RANDOM}\.part")
    olds = re.compile(rf"\.{name}\.old-\d+")
    stale_old = []
    for entry in parent.iterdir():
        if entry.is_symlink() or not entry.is_dir():
            continue
        if parts.fullmatch(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
        elif olds.fullmatch(entry.name):
            stale_old.append(entry)
    stale_old.sort(key=lambda p: p.stat().st_mtime)
    if stale_old and not target.exists():
        newest = stale_old[-1]
        if not _foreign(newest, _read_manifest(newest)) or _is_legacy_output(newest):
            stale_old.pop().rename(target)  # complete outputs of ours: put them back
    for entry in stale_old:
        shutil.rmtree(entry, ignore_errors=True)
    if target.is_dir() and not target.is_symlink():
        for entry in target.iterdir():
            if _is_leftover(entry.name) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# one run at a time
# --------------------------------------------------------------------------------------------


def _try_lock(fd: int) -> bool | None:
    """Lock ``fd`` without waiting: True, False (held by another process), None (unsupported)."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP):
            return None  # a file system without locks (some network shares): go on unlocked
        raise
    return True


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``target``; another run wanting it is refused at once."""
    lock = target.parent / f".{target.name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise _explain(exc, target, "creating its lock file") from exc
        try:
            held = _try_lock(fd)
        except OSError as exc:
            os.close(fd)
            raise _explain(exc, target, "locking it") from exc
        if held is False:
            try:
                other = os.read(fd, 32).decode("ascii", "replace").strip()
            except OSError:
                other = ""
            os.close(fd)
            who = f" (process {other})" if other.isdigit() else ""
            msg = (
                f"another centrereach run{who} is writing its outputs to '{target}' (lock file "
                f"'{lock}'). Wait until it has finished, or choose another folder (--out DIR)."
            )
            raise OutputError(msg)
        try:  # the run we waited for may have removed the lock file: lock the file that is there
            same = os.path.samestat(os.fstat(fd), lock.stat())
        except OSError:
            same = False
        if same or held is None:
            break
        os.close(fd)
    try:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()  # while still holding it, so no other run locks a removed file
        os.close(fd)


# --------------------------------------------------------------------------------------------
# claiming a folder, then writing it
# --------------------------------------------------------------------------------------------


def _make_parents(target: Path) -> list[Path]:
    """Create the missing parents of ``target``; return those created (outermost first)."""
    missing = [p for p in reversed(target.parents) if not p.exists()]
    for folder in missing:
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_empty(missing)
            raise _explain(exc, target, f"creating '{folder}'") from exc
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _probe(folder: Path, name: str, target: Path) -> None:
    """Create and remove a folder in ``folder``: can this run write there?"""
    probe = folder / f".{name}.{secrets.token_hex(4)}.part"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise _explain(exc, target, "checking that it can be written") from exc


def _check_space(target: Path, need: int, what: str) -> None:
    free = _free_bytes(target)
    if free < need:
        msg = (
            f"not enough free disk space for the outputs in '{target}': {what} needs about "
            f"{_size(need)}, and {_size(free)} is free. Nothing was written. Free some space, "
            "or choose another folder (--out DIR)."
        )
        raise OutputError(msg)


@dataclass(frozen=True)
class OutputFolder:
    """An output folder checked, and held against other runs, by :func:`claim_output_folder`.

    Attributes
    ----------
    path
        The folder (absolute, symbolic links resolved).
    force
        Whether a folder holding other files may be written into (file by file).
    protect
        Paths this run reads; the folder may neither be nor hold any of them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from centrereach.synthetic import synthetic_study
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with claim_output_folder(target) as folder:  # checked before the long computation
    ...     result = synthetic_study(n_side=6, cells=2).run(progress=False)
    ...     written = folder.write(result, maps=False)
    >>> written == target.resolve(), (written / "summary.csv").is_file()
    (True, True)
    """

    path: Path
    force: bool = False
    protect: tuple[Path, ...] = ()

    def write(
        self,
        result: StudyResult,
        *,
        maps: bool = True,
        cdn: bool = False,
        report: bool | None = None,
    ) -> Path:
        """Write every output of ``result`` into the folder (see :func:`write_outputs`).

        The checks are made again first: the folder may have changed while the study ran.

        Returns
        -------
        pathlib.Path
            The folder written.
        """
        protect = (*self.protect, *_input_paths(result))
        target = self.path
        _refuse_location(target, protect)
        _check_map_names(result, maps=maps)
        plan = _plan(target, force=self.force)
        report = maps if report is None else report
        _check_space(target, _estimate_bytes(result, maps=maps, cdn=cdn, report=report), "this run")
        if plan.kind == "merge":
            build = target / f"{_BUILD_PREFIX}{secrets.token_hex(4)}.part"
        else:
            build = target.parent / f".{target.name}.{secrets.token_hex(4)}.part"
        try:
            build.mkdir()
        except OSError as exc:
            raise _explain(exc, target, "creating a temporary folder") from exc
        try:
            _build(result, build, maps=maps, cdn=cdn, report=report, target=target)
            files = _listing(build)
            if plan.kind == "merge":
                _merge(build, target, files, plan.previous, study=result.name)
            else:
                _write_manifest(build / MANIFEST_NAME, files, study=result.name)
                _swap(build, target)
        except OSError as exc:
            if isinstance(exc, CentrereachError):
                raise
            raise _explain(exc, target, "writing the outputs") from exc
        finally:
            shutil.rmtree(build, ignore_errors=True)
        return target


@contextlib.contextmanager
def claim_output_folder(
    folder: str | os.PathLike[str],
    *,
    force: bool = False,
    protect: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[OutputFolder]:
    """Check that the outputs may be written to ``folder`` and hold it until the block ends.

    Call it before a long computation, so that a folder that cannot be written is refused at
    once, not after the study ran. It refuses (:class:`~centrereach.errors.OutputError`) a
    folder that is a file, the current folder or a parent of it, the folder of (or a parent
    of) any path in ``protect``, a folder holding files centrereach did not write (unless
    ``force``), one that cannot be written (read-only, no permission), a disk with less free
    space than the previous outputs took (or 1 MB), and a folder another run is writing (it
    holds a lock file ``.<name>.lock`` beside the folder, removed at the end). It removes the
    temporary folders a killed run left beside the folder. Parent folders it creates are
    removed again if the block fails.

    Parameters
    ----------
    folder
        The output folder.
    force
        Allow a folder that holds other files: the outputs are written into it file by file
        and the other files are left alone.
    protect
        Files and folders the run reads (the study file, data folders, input files).

    Yields
    ------
    OutputFolder
        The claimed folder; its :meth:`~OutputFolder.write` writes a result into it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> here = pathlib.Path(tempfile.mkdtemp())
    >>> with claim_output_folder(here / "out") as folder:
    ...     folder.path.name, (here / ".out.lock").exists()
    ('out', True)
    >>> (here / ".out.lock").exists()
    False
    >>> _ = (here / "notes.txt").write_text("mine")
    >>> with claim_output_folder(here / "notes.txt"):
    ...     pass
    Traceback (most recent call last):
    ...
    centrereach.errors.OutputError: the output folder '...notes.txt' is a file, not a folder; ...
    """
    target = _absolute(folder)
    protected = tuple(_absolute(p) for p in protect)
    _refuse_location(target, protected)
    created = _make_parents(target)
    try:
        with _locked(target):
            _clean_stale(target)
            plan = _plan(target, force=force)
            _probe(target.parent, target.name, target)
            if plan.kind == "merge":
                _probe(target, "centrereach-probe", target)
            _check_space(target, max(plan.previous_bytes, MIN_FREE_BYTES), "a run")
            yield OutputFolder(target, force=force, protect=protected)
    except BaseException:
        _remove_empty(created)
        raise


def write_outputs(
    result: StudyResult,
    folder: str | os.PathLike[str],
    *,
    maps: bool = True,
    cdn: bool = False,
    report: bool | None = None,
    force: bool = False,
    protect: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Write every output of ``result`` into ``folder`` and return its path.

    A folder that does not exist, or holds only a previous run's outputs, is replaced as a
    whole and atomically (a failed or interrupted run leaves the previous outputs, or nothing).
    Nothing but centrereach's own outputs is ever removed: see the module documentation and
    :func:`claim_output_folder` for the folders refused.

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.Study.run`).
    folder
        The output folder.
    maps
        Also write the interactive maps and ``report.html``.
    report
        Write ``report.html`` (default: when the maps are written). ``maps=False, report=True``
        writes the report alone, its maps the static pictures it always holds: a national
        study's interactive maps are 25-30 MB each, its report a fraction of their sum.
    cdn
        Link Leaflet from a CDN (small maps that need internet) instead of inlining it; by
        default every map opens with no internet.
    force
        Write into a folder that holds other files too, file by file, leaving those alone.
    protect
        Paths the run read, beyond the inputs its provenance lists (which are always protected):
        the folder may neither be nor hold any of them.

    Returns
    -------
    pathlib.Path
        The folder written (absolute).

    Raises
    ------
    centrereach.errors.OutputError
        The folder is refused (see above), cannot be written, the disk is full, or another run
        is writing it. Nothing was written then.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> folder = write_outputs(result, pathlib.Path(tempfile.mkdtemp()) / "demo")
    >>> (folder / "report.html").is_file(), (folder / "maps" / "close-two_walk.html").is_file()
    (True, True)
    >>> folder == write_outputs(result, folder, maps=False)  # a previous run's outputs: replaced
    True
    """
    with claim_output_folder(folder, force=force, protect=protect) as claimed:
        return claimed.write(result, maps=maps, cdn=cdn, report=report)


def _input_paths(result: StudyResult) -> list[Path]:
    """The files a result's run read, from its provenance (inputs and network files)."""
    provenance = result.provenance or {}
    paths: list[Path] = []
    inputs = provenance.get("inputs")
    if isinstance(inputs, Mapping):
        for entries in inputs.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping) and entry.get("path"):
                    paths.append(Path(str(entry["path"])))
    networks = provenance.get("networks")
    if isinstance(networks, Mapping):
        for network in networks.values():
            if isinstance(network, Mapping) and network.get("path"):
                paths.append(Path(str(network["path"])))
    return paths


def _check_map_names(result: StudyResult, *, maps: bool) -> None:
    """Two scenarios must not share a map file (nor differ only in case: Windows, macOS)."""
    if not maps:
        return
    seen: dict[str, str] = {}
    for name in result.scenarios:
        key = map_filename(name, "mode").casefold()
        if key in seen:
            msg = (
                f"the scenarios {seen[key]!r} and {name!r} differ only in upper and lower case, "
                "so their maps would be one file on Windows and macOS. Rename one of them."
            )
            raise OutputError(msg)
        seen[key] = name


def _estimate_bytes(result: StudyResult, *, maps: bool, cdn: bool, report: bool = False) -> int:
    """A rough size of the outputs (bytes), from the sizes real studies give.

    Tables: about 170 kB plus 600 bytes per row of ``areas.csv`` (the GeoPackage dominates);
    each map about 40 kB plus 1 kB per area (400 kB more when Leaflet is inlined); the report
    about 80 kB plus 2 kB per area.
    """
    rows = len(result.table)
    areas = len(result.areas)
    size = 170_000 + 600 * rows
    if maps:
        per_map = 40_000 + 1_000 * areas + (0 if cdn else 400_000)
        size += per_map * len(result.scenarios) * len(result.modes)
    if maps or report:
        size += 80_000 + 2_000 * areas
    return size


def _build(
    result: StudyResult, build: Path, *, maps: bool, cdn: bool, report: bool, target: Path
) -> None:
    """Write every output into ``build``; a disk found full is said as such."""
    try:
        write_tables(result, build)
        if maps:
            write_report_and_maps(result, build, cdn=cdn)
        elif report:  # the report alone: no interactive maps to link to
            write_report(result, build / "report.html", cdn=cdn)
    except CentrereachError:
        raise
    except Exception as exc:
        # Some writers (GDAL's GeoPackage driver) report a full disk in their own words.
        if not isinstance(exc, OSError) and _free_bytes(build) < _NEARLY_FULL_BYTES:
            free = _size(_free_bytes(build))
            msg = (
                f"cannot write the outputs to '{target}': the disk is full ({free} free; "
                f"{type(exc).__name__}: {exc}). Nothing was written. Free some space, or choose "
                "another folder (--out DIR)."
            )
            raise OutputError(msg) from exc
        raise


def _listing(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``folder``: relative path -> size (bytes) and SHA-256."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST_NAME:
            rel = path.relative_to(folder).as_posix()
            files[rel] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
    return files


def _manifest_text(files: Mapping[str, Any], *, study: str, complete: bool) -> str:
    record = {
        "written_by": "centrereach",
        "version": package_version(),
        "study": study,
        "written_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "complete": complete,
        "note": "The files centrereach wrote here. A later run replaces this folder only while it "
        "holds nothing else; do not edit.",
        "files": dict(files),
    }
    return json.dumps(record, indent=2, allow_nan=False) + "\n"


def _write_manifest(
    path: Path, files: Mapping[str, Any], *, study: str, complete: bool = True
) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(_manifest_text(files, study=study, complete=complete), encoding="utf-8")
        tmp.chmod(file_mode())


def _swap(build: Path, target: Path) -> None:
    """Put ``build`` in the place of ``target`` (absent, or a previous run's outputs)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    try:
        build.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)  # the previous outputs go back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _in_the_way(target: Path, rel: str) -> Path | None:
    """What keeps output ``rel`` from being written into ``target`` file by file, if anything."""
    dest = target / rel
    if dest.is_dir() and not dest.is_symlink():
        return dest
    for folder in dest.parents:
        if folder == target:
            return None
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            return folder  # a link would lead the file out of the output folder
    return None


def _merge(
    build: Path,
    target: Path,
    files: Mapping[str, Any],
    previous: Mapping[str, Any],
    *,
    study: str,
) -> None:
    """Move each file of ``build`` into ``target``; remove our unchanged files not rewritten."""
    for rel in files:
        clash = _in_the_way(target, rel)
        if clash is not None:
            msg = (
                f"cannot write '{rel}' into the output folder '{target}': '{clash}' is in the "
                "way (a folder or link where an output file goes, or a file where its folder "
                "goes). Move it away, or choose another folder (--out DIR)."
            )
            raise OutputError(msg)
    # While files move in, the manifest lists them all (a killed run's files stay ours).
    _write_manifest(target / MANIFEST_NAME, {**previous, **files}, study=study, complete=False)
    for rel in files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        (build / rel).replace(dest)
    for rel, entry in previous.items():
        path = target / rel
        if rel not in files and _unchanged(path, entry):
            path.unlink()
            for folder in path.parents:
                if folder == target:
                    break
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty
    _write_manifest(target / MANIFEST_NAME, files, study=study)


# --------------------------------------------------------------------------------------------
# the tables
# --------------------------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    """``value`` with non-finite floats as text (``"inf"``), which JSON cannot hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _nearest_table(near: NearestCentres) -> pd.DataFrame:
    """Each area's ``k`` nearest centres, a row each: ``lsoa_code``, ``rank``, ``centre_id``,
    ``time_min`` (minutes, door to door); centres beyond those an area reaches are left out."""
    times, ids = near.times_min, near.centre_ids
    table = pd.DataFrame(
        {
            "lsoa_code": np.repeat(near.origins.astype(str).to_numpy(), near.k),
            "rank": np.tile(np.arange(1, near.k + 1), len(near.origins)),
            "centre_id": ids.to_numpy().ravel(),
            "time_min": times.to_numpy().ravel(),
        }
    )
    return table[table["centre_id"].notna()].reset_index(drop=True)


def _write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame]) -> None:
    """Write each table to a sheet of an ``.xlsx`` workbook, no text ever a formula.

    XlsxWriter, row by row (``constant_memory``): a national table of 100,000 rows takes
    seconds, where pandas through openpyxl took half a minute. Every text is written as text
    (``strings_to_formulas`` off), and a text that starts like a formula (``=``, ``+``, ``-``,
    ``@``: spreadsheet programs turn the last three into one when the cell is edited) carries
    Excel's "quote prefix", so a centre named ``=HYPERLINK(...)`` stays a name. Missing values
    are empty cells and infinite times the text ``inf``, as pandas writes them.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        header = book.add_format({"bold": True})
        quoted = book.add_format({"quote_prefix": True})

        def put(sheet: Any, row: int, col: int, value: Any, style: Any = None) -> None:
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                return
            if isinstance(value, bool | np.bool_):
                sheet.write_boolean(row, col, bool(value), style)
            elif isinstance(value, int | float | np.integer | np.floating):
                number = float(value)
                if math.isinf(number):
                    sheet.write_string(row, col, "inf" if number > 0 else "-inf", style)
                else:
                    sheet.write_number(row, col, number, style)
            else:
                text = str(value)
                formula_like = text.startswith(_FORMULA_START)
                sheet.write_string(row, col, text, quoted if formula_like else style)

        for name, frame in sheets.items():
            sheet = book.add_worksheet(name)
            for col, label in enumerate(frame.columns):
                put(sheet, 0, col, str(label), header)
            columns = [frame[c].to_numpy(dtype=object) for c in frame.columns]
            for row, values in enumerate(zip(*columns, strict=True), start=1):
                for col, value in enumerate(values):
                    put(sheet, row, col, value)
    finally:
        book.close()


def write_tables(result: StudyResult, folder: Path) -> list[Path]:
    """Write the tables and ``study.json`` of ``result`` into an existing ``folder``.

    Times are written with 3 decimals (minutes), equity measures with 4. Synthetic results carry
    a ``note`` column saying so in every table. Text in ``results.xlsx`` is never a formula.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> [p.name for p in write_tables(result, pathlib.Path(tempfile.mkdtemp()))][:3]
    ['areas.csv', 'areas.gpkg', 'summary.csv']
    """

    def noted(frame: pd.DataFrame) -> pd.DataFrame:
        if not result.synthetic:
            return frame
        out = frame.copy()
        out.insert(0, "note", SYNTHETIC_NOTE)
        return out

    written: list[Path] = []
    areas = noted(result.table)
    summary = noted(result.summary)
    equity = noted(result.equity)
    areas.to_csv(folder / "areas.csv", index=False, float_format="%.3f")
    noted(result.table_gdf()).to_file(folder / "areas.gpkg", layer="areas", driver="GPKG")
    summary.to_csv(folder / "summary.csv", index=False, float_format="%.3f")
    equity.to_csv(folder / "equity.csv", index=False, float_format="%.4f")
    written += [folder / n for n in ("areas.csv", "areas.gpkg", "summary.csv", "equity.csv")]
    for mode, matrix in result.matrices.items():
        if isinstance(matrix, NearestCentres):  # a study routed without the full matrix
            _nearest_table(matrix).to_csv(
                folder / f"nearest_{mode}.csv", index=False, float_format="%.3f"
            )
            written.append(folder / f"nearest_{mode}.csv")
            continue
        matrix.to_csv(folder / f"matrix_{mode}.csv", float_format="%.3f")
        written.append(folder / f"matrix_{mode}.csv")
    about = pd.DataFrame(
        {
            "item": ["study", "title", "weight", "units", "data"],
            "value": [
                result.name,
                result.title,
                result.weight,
                "times in minutes; within_*_pct in percent; counts in people",
                SYNTHETIC_NOTE if result.synthetic else "see study.json",
            ],
        }
    )
    sheets = {"about": about, "summary": summary, "equity": equity, "areas": areas}
    for name, frame in list(sheets.items()):
        if len(frame) > EXCEL_MAX_ROWS:  # a national study of many scenarios and modes
            del sheets[name]
            why = (f"{len(frame):,} rows, more than a sheet holds ({EXCEL_MAX_ROWS:,}): "
                   f"they are in {name}.csv")  # fmt: skip
            about.loc[len(about)] = [f"{name} (not in this workbook)", why]
    _write_workbook(folder / "results.xlsx", sheets)
    written.append(folder / "results.xlsx")
    if result.comparison is not None:
        result.comparison.to_csv(folder / "optimise.csv", index=False, float_format="%.4f")
        written.append(folder / "optimise.csv")
    (folder / "study.json").write_text(
        json.dumps(_finite(dict(result.provenance)), indent=2, default=str, allow_nan=False),
        encoding="utf-8",
    )
    written.append(folder / "study.json")
    return written
