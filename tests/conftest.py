"""Shared fixtures.

Tests that read the real reference data in ``../shared/data`` use the ``shared_data`` fixture: it
fails under ``CI=true`` when the folder is missing (CI must never skip them silently) and skips with
a reason elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CENTREREACH_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _require_shared() -> Path:
    if (SHARED_DATA / "README.md").is_file():
        return SHARED_DATA
    msg = f"the shared reference data is missing: expected it at {SHARED_DATA}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(msg + " (CI=true: tests that need it must not be skipped)")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (fails under CI when missing, skips elsewhere)."""
    return _require_shared()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


# ------------------------------------------------------------ the two real studies, run once


def _cli_run(study: str, out: Path, shared: Path) -> tuple[Path, str]:
    import warnings

    from click.testing import CliRunner

    from centrereach.cli import main
    from centrereach.errors import CoverageWarning

    args = ["run", str(ROOT / "studies" / study), "--out", str(out), "--data-dir", str(shared)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)
        result = CliRunner().invoke(main, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="session")
def chesterfield_run(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """``centrereach run studies/chesterfield-2024.toml``: (output folder, console output)."""
    return _cli_run("chesterfield-2024.toml", tmp_path_factory.mktemp("chesterfield") / "out",
                    shared_data)  # fmt: skip


@pytest.fixture(scope="session")
def rutland_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``centrereach run studies/rutland-example.toml``: (output folder, console output)."""
    return _cli_run("rutland-example.toml", tmp_path_factory.mktemp("rutland") / "out", shared_data)
