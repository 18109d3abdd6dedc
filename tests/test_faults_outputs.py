"""Faults and bad inputs at the outputs, the study file and the command line (issue 11).

Every case goes through the ``centrereach`` command (click's ``CliRunner``, or a subprocess where
a real signal is needed) and asserts the exit code, that the message names the file (and line),
that no traceback is printed, and that no file outside the output folder changed: the
:class:`Unchanged` guard hashes the input tree and the output folder's parent before and after.

Most cases use the synthetic demo or small study files written here, and fail before any data is
read; the few that need a complete run use the real Rutland study (``shared_data``).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

import centrereach
from centrereach import outputs
from centrereach.cli import main
from centrereach.errors import DataFormatError

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(centrereach.__file__).resolve().parents[1]
RUTLAND_CENTRES = ROOT / "data" / "rutland_example_centres.csv"
MANIFEST_NAME = ".centrereach-manifest.json"  # documented in docs/outputs.md

# ------------------------------------------------------------------------------------ helpers


def _digest(path: Path) -> str:
    if path.stat().st_size > 50_000_000:  # big reference files: size and time are enough
        stat = path.stat()
        return f"{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_state(root: Path, *, skip: Sequence[Path] = ()) -> dict[str, str]:
    """Every entry under ``root`` (files hashed), leaving out the trees in ``skip``."""
    state: dict[str, str] = {}
    if not root.exists():
        return state
    skipped = [s.resolve() for s in skip]
    for path in sorted(root.rglob("*")):
        resolved = path.resolve() if not path.is_symlink() else path
        if any(resolved == s or s in resolved.parents for s in skipped):
            continue
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[rel] = f"link -> {path.readlink()}"
        elif path.is_dir():
            state[rel] = "dir"
        else:
            state[rel] = _digest(path)
    return state


class Unchanged:
    """Hashes of trees taken now, compared by :meth:`check` (the output folder left out)."""

    def __init__(self, *roots: Path, out: Path | None = None) -> None:
        self.roots = roots
        self.skip = [out] if out is not None else []
        self.before = [tree_state(r, skip=self.skip) for r in roots]

    def check(self) -> None:
        for root, before in zip(self.roots, self.before, strict=True):
            after = tree_state(root, skip=self.skip)
            changed = sorted(
                k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
            )
            assert not changed, f"files outside the output folder changed under {root}: {changed}"


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result: Result, *words: str, code: int = 2) -> str:
    """Assert a clean refusal: the exit code, no traceback, and the words in the message."""
    output = result.output
    assert result.exit_code == code, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output
    flat = " ".join(output.split())
    for word in words:
        assert " ".join(str(word).split()) in flat, f"{word!r} not in: {output}"
    return flat


def demo(out: Path | str, *extra: str) -> Result:
    return cli("demo", "--out", out, "--no-maps", *extra)


@pytest.fixture
def no_compute(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any start of the long computation (a study run or the demo) instead of doing it."""
    started: list[str] = []

    def study_run(*args: Any, **kwargs: Any) -> NoReturn:
        started.append("run_study")
        raise AssertionError("the study ran although the command should have stopped before")

    def synthetic(*args: Any, **kwargs: Any) -> NoReturn:
        started.append("demo")
        raise AssertionError("the demo ran although the command should have stopped before")

    monkeypatch.setattr("centrereach.study.run_study", study_run)
    monkeypatch.setattr("centrereach.cli.synthetic_study", synthetic)
    return started


SMALL_STUDY = """\
[study]
name = "small"
title = "A small study"

[data]
boundaries = "ons-lsoa21-bsc"

[centres]
file = "centres.csv"

[network]
drive = "download"

[analysis]
modes = ["drive"]

[scenarios.close-oakham]
close = ["oakham"]
"""


def small_study(folder: Path, text: str = SMALL_STUDY, *, encoding: str = "utf-8") -> Path:
    """A study file (and its centres file) in ``folder``; it fails at the first data it reads."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(RUTLAND_CENTRES, folder / "centres.csv")
    path = folder / "study.toml"
    path.write_bytes(text.encode(encoding))
    return path


def rutland_study(folder: Path, edit: Callable[[str], str] = lambda t: t) -> Path:
    """A copy of ``studies/rutland-example.toml`` with its centres file beside it, edited."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(RUTLAND_CENTRES, folder / "centres.csv")
    text = (ROOT / "studies" / "rutland-example.toml").read_text(encoding="utf-8")
    text = text.replace('file = "../data/rutland_example_centres.csv"', 'file = "centres.csv"')
    path = folder / "rutland.toml"
    path.write_text(edit(text), encoding="utf-8")
    return path


def run_rutland(study: Path, out: Path, shared: Path, *extra: str) -> Result:
    return cli("run", study, "--out", out, "--data-dir", shared, "--quiet", *extra)


def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    return data


@contextlib.contextmanager
def tmpfs(folder: Path, size: str, unavailable: Callable[[str], NoReturn]) -> Iterator[Path]:
    """Mount a small tmpfs at ``folder`` (root only), unmounted at the end."""
    if os.geteuid() != 0:
        unavailable("mounting a tmpfs needs root (the disk-full and read-only cases use one)")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        unavailable(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def subprocess_env() -> dict[str, str]:
    """The environment of a child ``centrereach``: this source tree first on its path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


# ------------------------------------------------------------- item 1: the output folder


def test_out_dot_refused_and_the_folder_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_compute: list[str]
) -> None:
    # Before the fix, `--out .` replaced the current folder with the outputs (it deleted a
    # repository, .git included).
    work = tmp_path / "work"
    (work / ".git").mkdir(parents=True)
    (work / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (work / "notes.txt").write_text("my notes")
    guard = Unchanged(tmp_path)
    monkeypatch.chdir(work)
    refused(demo("."), str(work), "is the current folder", "--out output/NAME")
    refused(demo(".", "--force"), "is the current folder")  # --force does not allow it
    assert no_compute == []
    guard.check()


def test_out_parent_of_the_current_folder_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_compute: list[str]
) -> None:
    (tmp_path / "work").mkdir()
    guard = Unchanged(tmp_path)
    monkeypatch.chdir(tmp_path / "work")
    refused(demo(".."), str(tmp_path), "a parent of the current folder")
    guard.check()


def test_run_out_dot_from_a_repository_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    # The reported bug: `centrereach run STUDY --out .` from the repository root, with a study
    # that runs. Refused before the study runs.
    repo = tmp_path / "repo"
    study = rutland_study(repo / "studies")
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text("[core]\n")
    guard = Unchanged(tmp_path)
    monkeypatch.chdir(repo)
    result = cli("run", study.relative_to(repo), "--out", ".", "--data-dir", shared_data)
    refused(result, str(repo), "is the current folder")
    guard.check()


def test_out_folder_of_the_study_file_refused(tmp_path: Path, no_compute: list[str]) -> None:
    study = small_study(tmp_path / "inputs")
    guard = Unchanged(tmp_path)
    result = cli("run", study, "--out", tmp_path / "inputs")
    refused(result, str(tmp_path / "inputs"), str(study), "which this run reads")
    refused(cli("run", study, "--out", tmp_path, "--force"), "which this run reads")
    assert no_compute == []
    guard.check()


def test_out_folder_holding_an_input_file_refused(tmp_path: Path, no_compute: list[str]) -> None:
    text = SMALL_STUDY.replace('file = "centres.csv"', 'file = "../data/centres.csv"')
    study = small_study(tmp_path / "studies", text)
    (tmp_path / "data").mkdir()
    shutil.copy(RUTLAND_CENTRES, tmp_path / "data" / "centres.csv")
    guard = Unchanged(tmp_path)
    result = cli("run", study, "--out", tmp_path / "data", "--force")
    refused(result, str(tmp_path / "data" / "centres.csv"), "which this run reads")
    guard.check()


def test_out_data_folder_refused(tmp_path: Path, no_compute: list[str]) -> None:
    study = small_study(tmp_path / "inputs")
    data = tmp_path / "data"
    (data / "ons").mkdir(parents=True)
    (data / "ons" / "boundaries.csv").write_text("LSOA21CD\n")
    guard = Unchanged(tmp_path)
    result = cli("run", study, "--out", data, "--data-dir", data)
    refused(result, f"the output folder '{data}' is '{data}'", "which this run reads")
    guard.check()


@pytest.mark.parametrize("where", ["results.csv", "results.csv/out"])
def test_out_an_existing_file_refused(tmp_path: Path, where: str, no_compute: list[str]) -> None:
    (tmp_path / "results.csv").write_text("a,b\n1,2\n")
    guard = Unchanged(tmp_path)
    refused(demo(tmp_path / where), str(tmp_path / "results.csv"), "is a file")
    guard.check()


def test_study_output_naming_an_existing_file_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_compute: list[str]
) -> None:
    # Before the fix the file became a folder and was hidden as `.results.csv.old-PID`.
    study = small_study(
        tmp_path / "inputs",
        SMALL_STUDY.replace('title = "A small study"', 'title = "A"\noutput = "results.csv"'),
    )
    (tmp_path / "results.csv").write_text("a,b\n1,2\n")
    guard = Unchanged(tmp_path)
    monkeypatch.chdir(tmp_path)
    refused(cli("run", study), str(tmp_path / "results.csv"), "is a file, not a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "results.csv"]
    guard.check()


def test_folder_holding_other_files_refused(tmp_path: Path, no_compute: list[str]) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / "council-minutes.docx").write_bytes(b"PK\x03\x04 minutes")
    (out / "budget").mkdir()
    guard = Unchanged(tmp_path)
    result = demo(out)
    refused(result, str(out), "'council-minutes.docx'", "'budget/'", "--force")
    guard.check()


def test_force_writes_beside_other_files_and_leaves_them(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / "council-minutes.docx").write_bytes(b"PK\x03\x04 minutes")
    (out / "maps").mkdir()
    (out / "maps" / "my-own-map.html").write_text("<p>mine</p>")
    guard = Unchanged(tmp_path, out=out)
    mine = tree_state(out)
    result = cli("demo", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    after = tree_state(out)
    assert {k: after[k] for k in mine} == mine  # every file of the user's, byte for byte
    listed = manifest(out)["files"]
    assert "council-minutes.docx" not in listed and "maps/my-own-map.html" not in listed
    assert {"summary.csv", "report.html", "maps/close-two_walk.html"} <= set(listed)
    assert manifest(out)["complete"] is True
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    guard.check()
    # Run again without --force: still refused (the folder still holds the user's files).
    refused(demo(out), "'council-minutes.docx'")


def test_force_never_writes_through_a_link_out_of_the_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "baseline_drive.html").write_text("<p>someone else's page</p>")
    out = tmp_path / "out"
    out.mkdir()
    (out / "maps").symlink_to(elsewhere, target_is_directory=True)
    guard = Unchanged(tmp_path)
    result = cli("demo", "--out", out, "--force")
    refused(result, f"'{out / 'maps'}' is in the way", "a folder or link")
    guard.check()


def test_rerun_replaces_a_previous_run_as_a_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("demo", "--out", out).exit_code == 0
    assert (out / "maps").is_dir() and (out / MANIFEST_NAME).is_file()
    guard = Unchanged(tmp_path, out=out)
    result = demo(out)  # without maps this time
    assert result.exit_code == 0, result.output
    assert not (out / "maps").exists() and not (out / "report.html").exists()
    files = manifest(out)["files"]
    assert sorted(files) == sorted(p.name for p in out.iterdir() if p.name != MANIFEST_NAME)
    for name, entry in files.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]
        assert (out / name).stat().st_size == entry["bytes"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary or lock left
    guard.check()


def test_an_edited_output_is_not_replaced(tmp_path: Path, no_compute: list[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("x\n1\n")
    (out / MANIFEST_NAME).write_text(
        json.dumps(
            {
                "written_by": "centrereach",
                "complete": True,
                "files": {"summary.csv": {"bytes": 4, "sha256": "0" * 64}},
            }
        )
    )
    guard = Unchanged(tmp_path)
    refused(demo(out), "'summary.csv (changed since centrereach wrote it)'", "--force")
    guard.check()


def test_force_removes_only_our_unchanged_stale_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("demo", "--out", out).exit_code == 0
    (out / "notes.txt").write_text("mine")
    edited = out / "maps" / "baseline_walk.html"
    edited.write_text(edited.read_text() + "<!-- my edit -->")
    result = demo(out, "--force")  # no maps this time
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text() == "mine"
    assert edited.is_file() and "my edit" in edited.read_text()  # changed by the user: kept
    assert not (out / "maps" / "close-two_drive.html").exists()  # ours, unchanged, stale: gone
    assert not (out / "report.html").exists()
    assert "maps/close-two_drive.html" not in manifest(out)["files"]


def test_stale_temporary_folders_of_ours_are_cleaned(tmp_path: Path) -> None:
    ours = [tmp_path / ".d.abcd1234.part", tmp_path / ".d.old-4242", tmp_path / ".d.k3_x9q0z.part"]
    theirs = [
        tmp_path / ".d.notours.part",
        tmp_path / ".e.abcd1234.part",
        tmp_path / ".d.old-pid",
        tmp_path / "d.abcd1234.part",
    ]
    for folder in ours + theirs:
        folder.mkdir()
        (folder / "areas.csv").write_text("half written")
    (tmp_path / ".d.abcd1235.part").write_text("a file, not a folder of ours")
    theirs.append(tmp_path / ".d.abcd1235.part")
    guard = Unchanged(*theirs)
    result = demo(tmp_path / "d")
    assert result.exit_code == 0, result.output
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in theirs)
    guard.check()


def test_outputs_moved_aside_by_a_killed_run_are_put_back(tmp_path: Path) -> None:
    # A run killed between moving the previous outputs aside and moving the new ones in.
    assert demo(tmp_path / "d").exit_code == 0
    (tmp_path / "d").rename(tmp_path / ".d.old-99999")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "other").write_text("other")
    result = demo(tmp_path / "x")  # another folder: the stale backup of 'd' is not touched
    refused(result, "'other'")
    assert (tmp_path / ".d.old-99999" / "summary.csv").is_file()
    result = demo(tmp_path / "d")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "x"]


def test_output_folders_get_the_users_umask(tmp_path: Path) -> None:
    # tempfile.mkdtemp made output folders private (0700) whatever the umask.
    for mask, folder_mode, file_mode in ((0o022, 0o755, 0o644), (0o027, 0o750, 0o640)):
        previous = os.umask(mask)
        try:
            out = tmp_path / f"umask-{mask:03o}" / "out"
            result = cli("demo", "--out", out)
        finally:
            os.umask(previous)
        assert result.exit_code == 0, result.output
        for folder in (out, out.parent, out / "maps"):
            assert folder.stat().st_mode & 0o777 == folder_mode, (folder, oct(mask))
        for file in (out / "summary.csv", out / "report.html", out / MANIFEST_NAME):
            assert file.stat().st_mode & 0o777 == file_mode, (file, oct(mask))


def test_output_of_an_older_version_without_manifest_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("demo", "--out", out).exit_code == 0
    (out / MANIFEST_NAME).unlink()  # as written before 0.3
    result = demo(out)
    assert result.exit_code == 0, result.output
    assert (out / MANIFEST_NAME).is_file() and not (out / "maps").exists()


def test_ctrl_c_while_writing_keeps_the_previous_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert demo(out).exit_code == 0
    before = tree_state(tmp_path)
    script = textwrap.dedent(
        """
        import signal, sys, time
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
        import centrereach.outputs as outputs
        from centrereach.cli import main
        original = outputs.write_tables
        def slow(result, folder):
            written = original(result, folder)
            print("written", flush=True)
            time.sleep(120)
            return written
        outputs.write_tables = slow
        main(["demo", "--out", sys.argv[1], "--no-maps"], prog_name="centrereach")
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "written"  # the new tables are half-way in place
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "interrupted: no output was written." in err and "Traceback" not in err
    assert tree_state(tmp_path) == before  # the previous outputs, untouched; nothing left over


# ---------------------------------------------------- item 8: no formulas in results.xlsx


def test_text_starting_like_a_formula_is_text_in_the_workbook(
    tmp_path: Path, shared_data: Path
) -> None:
    formulas = {
        "title": '=HYPERLINK("http://127.0.0.1/x","click")',
        "oakham": "=1+1",
        "uppingham": "+SUM(1,2)",
        "ketton": "-2+3",
        "cottesmore": "@SUM(1)",
    }

    def edit(text: str) -> str:
        return text.replace(
            'title = "Rutland (example centres): closing two of four family hubs"',
            "title = '" + formulas["title"] + "'",
        ).replace('close = ["uppingham"]', 'close = ["+SUM(1,2)"]')

    study = rutland_study(tmp_path / "inputs", edit)
    centres = pd.read_csv(tmp_path / "inputs" / "centres.csv")
    centres["centre_id"] = centres["centre_id"].map(formulas)
    centres.to_csv(tmp_path / "inputs" / "centres.csv", index=False)
    out = tmp_path / "out"
    guard = Unchanged(tmp_path, out=out)
    result = run_rutland(study, out, shared_data, "--no-maps")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "results.xlsx")
    seen: set[str] = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    seen.add(cell.value)
    assert set(formulas.values()) <= seen  # each came back as the text written
    guard.check()


def test_workbook_values_and_a_table_too_large_for_a_sheet(
    synthetic_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """results.xlsx holds the tables' values (numbers as numbers, missing as empty, no route as
    ``inf``); a table longer than a sheet holds is left out of the workbook, and its "about"
    sheet says where it is."""
    folder = outputs.write_outputs(synthetic_result, tmp_path / "out", maps=False)
    sheets = pd.read_excel(folder / "results.xlsx", sheet_name=None)
    assert list(sheets) == ["about", "summary", "equity", "areas"]
    for name in ("summary", "equity", "areas"):
        table = pd.read_csv(folder / f"{name}.csv")
        assert list(sheets[name].columns) == list(table.columns)
        # the CSVs keep 3 or 4 decimals, the workbook every digit
        pd.testing.assert_frame_equal(
            sheets[name], table, check_exact=False, atol=5e-4, check_dtype=False
        )
    # a value of each kind, written and read back
    frame = pd.DataFrame(
        {
            "text": ["a", None, "=1+1"],
            "time_min": [1.5, float("nan"), float("inf")],
            "count": pd.array([3, None, 5], dtype="Int64"),
        }
    )
    outputs._write_workbook(tmp_path / "kinds.xlsx", {"kinds": frame})
    sheet = openpyxl.load_workbook(tmp_path / "kinds.xlsx")["kinds"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("text", "time_min", "count"),
        ("a", 1.5, 3),
        (None, None, None),
        ("=1+1", "inf", 5),
    ]
    assert sheet["A4"].quotePrefix and sheet["A4"].data_type == "s"
    # a national table too long for a sheet: areas.csv has it, the workbook says so
    monkeypatch.setattr(outputs, "EXCEL_MAX_ROWS", len(synthetic_result.table) - 1)
    folder = outputs.write_outputs(synthetic_result, tmp_path / "out", maps=False)
    sheets = pd.read_excel(folder / "results.xlsx", sheet_name=None)
    assert list(sheets) == ["about", "summary", "equity"]
    about = dict(zip(sheets["about"]["item"], sheets["about"]["value"], strict=True))
    assert about["areas (not in this workbook)"] == (
        f"{len(synthetic_result.table):,} rows, more than a sheet holds "
        f"({len(synthetic_result.table) - 1:,}): they are in areas.csv"
    )
    assert len(pd.read_csv(folder / "areas.csv")) == len(synthetic_result.table)


# ------------------------------------------- item 9: read-only, disk full, two runs at once


def test_read_only_location_refused_before_the_run(
    tmp_path: Path, unavailable: Callable[[str], NoReturn], no_compute: list[str]
) -> None:
    place = tmp_path / "ro"
    with tmpfs(place, "1m", unavailable):
        (place / "keep.txt").write_text("kept")
        done = subprocess.run(["mount", "-o", "remount,ro", str(place)], check=False)
        assert done.returncode == 0
        guard = Unchanged(tmp_path)
        result = demo(place / "out")
        refused(result, str(place / "out"), "read-only file system", "--out DIR")
        result = demo(place / "new" / "deeper" / "out")  # its parents cannot be made either
        refused(result, "read-only file system")
        assert no_compute == []
        guard.check()


def test_full_disk_refused_before_the_run(
    tmp_path: Path, unavailable: Callable[[str], NoReturn], no_compute: list[str]
) -> None:
    place = tmp_path / "small"
    with tmpfs(place, "1m", unavailable):
        (place / "filler.bin").write_bytes(b"\0" * 700_000)
        guard = Unchanged(tmp_path)
        result = demo(place / "out")
        refused(result, str(place / "out"), "not enough free disk space", "is free")
        assert no_compute == []
        guard.check()


@pytest.mark.parametrize("when", ["estimate", "while-writing"])
def test_full_disk_after_the_run_writes_nothing(
    tmp_path: Path,
    unavailable: Callable[[str], NoReturn],
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    place = tmp_path / "small"
    with tmpfs(place, "1m", unavailable):
        (place / "filler.bin").write_bytes(b"\0" * 700_000)
        monkeypatch.setattr(outputs, "MIN_FREE_BYTES", 0)  # pass the check before the run
        if when == "while-writing":  # and the estimate after it: the disk fills while writing
            monkeypatch.setattr(outputs, "_estimate_bytes", lambda *a, **k: 0)
        guard = Unchanged(tmp_path)
        result = demo(place / "out")
        if when == "estimate":
            refused(result, str(place / "out"), "not enough free disk space", "this run needs")
        else:
            refused(result, str(place / "out"), "the disk is full", "Nothing was written")
        assert sorted(p.name for p in place.iterdir()) == ["filler.bin"]
        guard.check()


def test_a_second_run_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom centrereach.outputs import claim_output_folder\n"
            "with claim_output_folder(sys.argv[1]):\n"
            "    print('claimed', flush=True)\n    sys.stdin.readline()\n",
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "claimed"
        guard = Unchanged(tmp_path)
        result = demo(out)
        refused(result, "another centrereach run", f"(process {holder.pid})", str(out))
        guard.check()
        holder.stdin.write("done\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
    result = demo(out)  # the first run has finished: the folder is free again
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ------------------------------------------------------- item 10: study-file encodings


def test_study_file_in_windows_1252_is_named(tmp_path: Path, no_compute: list[str]) -> None:
    text = SMALL_STUDY.replace('title = "A small study"', 'title = "Café closures – 2024"')
    study = small_study(tmp_path / "inputs", text, encoding="cp1252")
    guard = Unchanged(tmp_path)
    column = text.splitlines()[2].index("é") + 1
    flat = refused(
        cli("run", study, "--out", tmp_path / "out"), f"{study}, line 3, column {column}"
    )
    assert "must be UTF-8" in flat and "Windows-1252" in flat and "Save it as UTF-8" in flat
    guard.check()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-be", "utf-32"])
def test_study_file_with_a_byte_order_mark_is_read(
    tmp_path: Path, encoding: str, no_compute: list[str]
) -> None:
    # An unknown key on line 3 named by its line: the file was decoded. (Before the fix: a
    # UnicodeDecodeError traceback, or "not valid TOML" for the UTF-8 mark.)
    text = SMALL_STUDY.replace('title = "A small study"', 'colour = "Café"')
    study = tmp_path / "inputs" / "study.toml"
    study.parent.mkdir()
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    study.write_bytes(data)
    guard = Unchanged(tmp_path)
    refused(cli("run", study, "--out", tmp_path / "out"), f"{study}, line 3, key 'study.colour'")
    guard.check()


def test_study_file_in_utf16_without_a_mark_is_named(tmp_path: Path, no_compute: list[str]) -> None:
    study = small_study(tmp_path / "inputs", encoding="utf-16-le")
    guard = Unchanged(tmp_path)
    refused(cli("run", study), str(study), "must be UTF-8", "UTF-16 without a byte-order mark")
    guard.check()


def test_study_file_with_utf8_mark_runs(tmp_path: Path, shared_data: Path) -> None:
    study = rutland_study(tmp_path / "inputs")
    study.write_bytes(codecs.BOM_UTF8 + study.read_bytes())
    out = tmp_path / "out"
    guard = Unchanged(tmp_path, out=out)
    result = run_rutland(study, out, shared_data, "--no-maps")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "study.json").read_text())["study"] == "rutland-example"
    guard.check()


# --------------------------------------------------- item 12: options checked before a run


def test_optimise_mode_the_study_lacks_is_refused_before_the_run(
    tmp_path: Path, no_compute: list[str]
) -> None:
    study = small_study(tmp_path / "inputs")  # drive only
    guard = Unchanged(tmp_path)
    result = cli("optimise", study, "--keep", "2", "--mode", "walk", "--out", tmp_path / "o")
    refused(result, "--mode walk", str(study), "its modes: drive", "[analysis] modes")
    assert no_compute == []
    guard.check()


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--threshold", "30"], "--threshold applies only to --objective coverage"),
        (["--objective", "coverage", "--threshold", "inf"], "--threshold must be a number"),
        (["--must-open", "oakham", "--must-close", "oakham"], "both name oakham"),
        (["--keep", "1", "--must-open", "oakham", "--must-open", "ketton"], "--keep 1 is smaller"),
        (["--per-district", "-1"], "-1 is not in the range x>=0"),
    ],
)
def test_optimise_options_checked_before_the_run(
    tmp_path: Path, options: list[str], words: str, no_compute: list[str]
) -> None:
    study = small_study(tmp_path / "inputs")
    guard = Unchanged(tmp_path)
    keep = [] if "--keep" in options else ["--keep", "2"]
    result = cli("optimise", study, *keep, *options, "--out", tmp_path / "o")
    refused(result, words)
    assert no_compute == []
    guard.check()


def test_study_output_dot_refused_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_compute: list[str]
) -> None:
    # Before the fix: a ValueError after the whole run (optimise), or the folder replaced (run).
    text = SMALL_STUDY.replace('title = "A small study"', 'title = "A"\noutput = "."')
    study = small_study(tmp_path / "inputs", text)
    guard = Unchanged(tmp_path)
    monkeypatch.chdir(tmp_path)
    for command in (["run"], ["optimise", "--keep", "1"]):
        result = cli(*command, study)
        refused(result, f"{study}, line 4, key 'study.output'", "a folder of its own")
    assert no_compute == []
    guard.check()


def test_optimise_unknown_centre_said_the_command_line_way(
    tmp_path: Path, shared_data: Path
) -> None:
    study = rutland_study(tmp_path / "inputs")
    guard = Unchanged(tmp_path, out=tmp_path / "o")
    result = cli(
        "optimise", study, "--keep", "2", "--must-open", "okham", "--data-dir", shared_data,
        "--out", tmp_path / "o", "--no-maps",
    )  # fmt: skip
    flat = refused(result, "--must-open names 1 centre ids", "'okham'")
    assert "must_open" not in flat and "matrix" not in flat
    assert not (tmp_path / "o").exists()
    guard.check()


# ------------------------------------------------------------ item 13: Ctrl-C is Ctrl-C


def test_ctrl_c_while_pandas_reads_a_csv_is_an_interrupt(tmp_path: Path) -> None:
    # pandas' C parser turns a KeyboardInterrupt raised inside its read callback into
    # "Error tokenizing data ... Calling read(nbytes) on source failed", which was reported as a
    # malformed centres file. Here Ctrl-C (a real SIGINT) arrives during that read.
    study = small_study(tmp_path / "inputs")
    script = textwrap.dedent(
        """
        import io, os, signal, sys
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
        class Reading(io.StringIO):
            def read(self, *args):
                # pandas' C parser reads the centres file's text in chunks
                if args and args[0] and args[0] > 0 and self.getvalue().startswith("centre_id"):
                    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, handled inside this read
                return super().read(*args)
        io.StringIO = Reading
        from centrereach.cli import main
        main(["run", sys.argv[1], "--out", sys.argv[2], "--quiet"], prog_name="centrereach")
        """
    )
    guard = Unchanged(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", script, str(study), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted: no output was written." in done.stderr
    assert "well-formed" not in done.stderr and "Traceback" not in done.stderr
    guard.check()


def test_an_interrupt_a_library_turned_into_an_error_is_an_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reading(*args: Any, **kwargs: Any) -> NoReturn:
        try:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while "reading"
            time.sleep(30)
            raise AssertionError("SIGINT did not interrupt")
        except KeyboardInterrupt:
            msg = "'centres.csv': the centres file is not a well-formed CSV file (C error)."
            raise DataFormatError(msg) from None

    monkeypatch.setattr("centrereach.run.load_centres", reading)
    study = small_study(tmp_path / "inputs")
    guard = Unchanged(tmp_path)
    # Ctrl-C as in a terminal (a test run started in the background may ignore SIGINT).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = cli("run", study, "--out", tmp_path / "out")
    finally:
        signal.signal(signal.SIGINT, previous)
    flat = refused(result, "interrupted: no output was written.", code=130)
    assert "well-formed" not in flat
    guard.check()


# ----------------------------------------------------- item 15: scenario names and maps


@pytest.mark.parametrize(
    ("first", "second"),
    [('"close/x"', "close-x"), ("Close-X", "close-x"), ('"close x"', '"close  x"')],
)
def test_scenario_names_that_collide_are_refused(
    tmp_path: Path, first: str, second: str, no_compute: list[str]
) -> None:
    text = SMALL_STUDY + (
        f'\n[scenarios.{first}]\nclose = ["ketton"]\n\n[scenarios.{second}]\nclose = ["oakham"]\n'
    )
    study = small_study(tmp_path / "inputs", text)
    guard = Unchanged(tmp_path)
    line = text.splitlines().index(f"[scenarios.{second}]") + 1
    result = cli("run", study, "--out", tmp_path / "out")
    refused(result, f"{study}, line {line}", first.strip('"'), second.strip('"'), "Rename one")
    guard.check()


def test_scenario_names_made_safe_get_their_own_maps_and_links(
    tmp_path: Path, shared_data: Path
) -> None:
    def edit(text: str) -> str:
        return text.replace("[scenarios.close-uppingham]", '[scenarios."close/uppingham"]')

    study = rutland_study(tmp_path / "inputs", edit)
    out = tmp_path / "out"
    guard = Unchanged(tmp_path, out=out)
    result = run_rutland(study, out, shared_data)
    assert result.exit_code == 0, result.output
    report = (out / "report.html").read_text(encoding="utf-8")
    maps = sorted(p.name for p in (out / "maps").iterdir())
    modes = json.loads((out / "study.json").read_text(encoding="utf-8"))["modes"]
    assert len(maps) == 3 * len(modes) and not any("/" in m for m in maps)  # 3 scenarios
    slashed = [m for m in maps if m.startswith("close-uppingham-")]
    assert len(slashed) == len(modes)  # one per mode, with a hash of the name as written
    for name in slashed:
        assert f"maps/{name}" in report
        assert "Close Uppingham only" in (out / "maps" / name).read_text(encoding="utf-8")
    guard.check()


# ------------------------------------------------------- item 16: numbers in the study file


@pytest.mark.parametrize(
    ("table", "line", "words"),
    [
        ("[analysis]\nmax_snap_m = inf", "max_snap_m = inf", "more than 0 and at most 100000"),
        ("[analysis]\nmax_snap_m = -1", "max_snap_m = -1", "more than 0 and at most 100000"),
        ("[analysis]\nmin_coverage = nan", "min_coverage = nan", "from 0 to 1"),
        ("[analysis]\nmin_coverage = 1.5", "min_coverage = 1.5", "from 0 to 1"),
        ("[analysis]\nthresholds_min = [15, inf]", "thresholds_min = [15, inf]", "at most 1440"),
        ("[analysis]\nthresholds_min = [0, 30]", "thresholds_min = [0, 30]", "more than 0"),
        ("[analysis]\nthresholds_min = [15, 15]", "thresholds_min = [15, 15]", "twice"),
        ("[network]\nbuffer_m = -5", "buffer_m = -5", "from 0 to 100000"),
        ('[network]\nbuffer_m = "far"', 'buffer_m = "far"', "from 0 to 100000"),
    ],
)
def test_numbers_out_of_range_are_refused(
    tmp_path: Path, table: str, line: str, words: str, no_compute: list[str]
) -> None:
    header, setting = table.split("\n")
    text = SMALL_STUDY.replace(header + "\n", f"{header}\n{setting}\n", 1)
    assert setting in text
    study = small_study(tmp_path / "inputs", text)
    guard = Unchanged(tmp_path)
    number = text.splitlines().index(line) + 1
    key = header.strip("[]") + "." + setting.split(" =")[0]
    refused(
        cli("run", study, "--out", tmp_path / "out"), f"{study}, line {number}, key '{key}'", words
    )
    guard.check()


def test_study_json_is_strict_json(tmp_path: Path) -> None:
    assert demo(tmp_path / "out").exit_code == 0

    def no_constants(name: str) -> NoReturn:
        raise AssertionError(f"study.json holds {name}, which is not JSON")

    text = (tmp_path / "out" / "study.json").read_text(encoding="utf-8")
    assert json.loads(text, parse_constant=no_constants)["synthetic"] is True


# ----------------------------------------------- also: one value where a list is expected


def test_one_string_where_a_list_is_expected_is_one_item(tmp_path: Path, shared_data: Path) -> None:
    # `close = "uppingham"` was split into the ids 'u', 'p', ...; `districts = "E06000017"` into
    # the districts 'E', '0', ...
    def edit(text: str) -> str:
        return (
            text.replace('close = ["uppingham"]', 'close = "uppingham"')
            .replace('districts = ["E06000017"]', 'districts = "E06000017"')
            .replace(
                'population = ["ons-sape-mid2020-lsoa11"]', 'population = "ons-sape-mid2020-lsoa11"'
            )
        )

    study = rutland_study(tmp_path / "inputs", edit)
    out = tmp_path / "out"
    guard = Unchanged(tmp_path, out=out)
    result = run_rutland(study, out, shared_data, "--no-maps")
    assert result.exit_code == 0, result.output
    areas = pd.read_csv(out / "areas.csv")
    served = areas.loc[areas["scenario"] == "close-uppingham", "centre_id"]
    assert len(served) and "uppingham" not in set(served)
    assert set(served) <= {"oakham", "ketton", "cottesmore"}
    guard.check()


def test_centre_ids_of_the_wrong_type_are_named(tmp_path: Path, no_compute: list[str]) -> None:
    text = SMALL_STUDY.replace('close = ["oakham"]', "close = 42")
    study = small_study(tmp_path / "inputs", text)
    guard = Unchanged(tmp_path)
    line = text.splitlines().index("close = 42") + 1
    result = cli("run", study, "--out", tmp_path / "out")
    refused(result, f"{study}, line {line}, key 'scenarios.close-oakham.close'", "got 42")
    guard.check()


def test_mistyped_status_column_names_the_columns(tmp_path: Path) -> None:
    # It was ignored: the maps then showed no status. Now an error, before any routing.
    text = SMALL_STUDY.replace(
        'file = "centres.csv"', 'file = "centres.csv"\nstatus_column = "status_exmaple"'
    )
    study = small_study(tmp_path / "inputs", text)
    guard = Unchanged(tmp_path)  # also: the parents made for the output folder are removed
    result = cli("run", study, "--out", tmp_path / "new" / "deeper" / "out")
    refused(result, str(study), "'status_exmaple'", "'status_example'", "'centres.csv'")
    assert not (tmp_path / "new").exists()
    guard.check()


def test_postcode_advice_names_the_study_key(tmp_path: Path) -> None:
    study = small_study(tmp_path / "inputs")
    (tmp_path / "inputs" / "centres.csv").write_text(
        "centre_id,name,postcode\noakham,Oakham,LE15 6AB\nketton,Ketton,PE9 3TA\n"
    )
    guard = Unchanged(tmp_path)
    result = cli("run", study, "--out", tmp_path / "out")  # stops at the centres, read first
    flat = refused(result, "centres.csv", "column 'postcode'", '[centres] postcodes = "PATH"')
    assert "postcodes=PATH" not in flat and "online=True" not in flat
    guard.check()


def test_synthetic_must_be_true_or_false(tmp_path: Path, no_compute: list[str]) -> None:
    # `synthetic = "no"` was read as true: every output labelled SYNTHETIC.
    text = SMALL_STUDY.replace('title = "A small study"', 'title = "A"\nsynthetic = "no"')
    study = small_study(tmp_path / "inputs", text)
    guard = Unchanged(tmp_path)
    refused(cli("run", study), f"{study}, line 4, key 'study.synthetic'", "true or false")
    guard.check()
