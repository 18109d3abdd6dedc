"""Golden outputs: the Rutland and Chesterfield studies must give the numbers they gave before.

The files in ``tests/data/golden/<study>/`` were written by ``centrereach run``: Rutland's at
commit b70e03f (before the architecture rework), Chesterfield's again when the centres file
placed Holme Hall and Birdholme at their buildings (issue 14; the 2024 decision's walking mean
for children in the 10% most deprived areas went from 14.3 -> 31.0 min to 9.2 -> 24.7 min). The
cycling rows and ``matrix_cycle.csv`` were added when the studies gained the cycle mode (their
drive and walk rows unchanged); without a GTFS feed the studies have no transit rows. A change
to any number, a row or a column must update them on purpose (re-run the study and copy the CSVs
over), never by accident. Values are compared at the precision the CSVs carry (3 decimals; 4
for equity).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "data" / "golden"
FILES = (
    "matrix_drive.csv",
    "matrix_walk.csv",
    "matrix_cycle.csv",
    "summary.csv",
    "equity.csv",
    "areas.csv",
)
KEYS = {
    "summary.csv": ["scenario", "mode", "imd_decile"],
    "equity.csv": ["scenario", "mode"],
    "areas.csv": ["lsoa_code", "scenario", "mode"],
}


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"imd_decile": str, "group": str})
    if "group" in frame.columns:  # the tidy summary: decile as a number, "all" in `group`
        frame["imd_decile"] = frame["imd_decile"].where(frame["group"] != "all", "all")
        frame = frame.drop(columns="group")
    keys = KEYS.get(path.name)
    if keys is None:
        return frame.set_index(frame.columns[0]).sort_index()
    return frame.set_index(keys).sort_index()


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("study", ["rutland-example", "chesterfield-2024"])
def test_outputs_match_golden(
    study: str, name: str, rutland_run: tuple[Path, str], chesterfield_run: tuple[Path, str]
) -> None:
    out = (rutland_run if study.startswith("rutland") else chesterfield_run)[0]
    expected = _read(GOLDEN / study / name)
    got = _read(out / name)
    assert list(got.columns) == list(expected.columns)
    assert list(got.index) == list(expected.index)
    tolerance = 1.5e-4 if name == "equity.csv" else 1.5e-3
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=tolerance, rtol=0)
