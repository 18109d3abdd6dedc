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
