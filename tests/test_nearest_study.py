"""A study routed without the full matrix (``[analysis] matrix = "nearest"``) gives the tables
of the full matrix: the same nearest open centre, time and change for every area, scenario and
road mode; the same summary and equity tables; ``nearest_<mode>.csv`` instead of the matrix file;
a clear error from the optimiser, which needs the full matrix."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from centrereach import study as study_module
from centrereach.cli import main
from centrereach.errors import (
    CoverageWarning,
    ModeSkippedWarning,
    SnapWarning,
    StudyFileError,
)
from centrereach.outputs import write_outputs
from centrereach.study import Study
from centrereach.synthetic import synthetic_study
from centrereach.traveltime import NearestCentres

ROOT = Path(__file__).resolve().parents[1]


def assert_same_tables(got: Any, expected: Any) -> None:
    """The long table, the summary and the equity table of two results, times to 1e-9 min."""
    for name in ("table", "summary", "equity"):
        pd.testing.assert_frame_equal(
            getattr(got, name), getattr(expected, name), check_exact=False, rtol=0, atol=1e-9
        )


def _real(toml: str, shared: Path, **settings: Any) -> Any:
    study = dataclasses.replace(Study.from_toml(ROOT / "studies" / toml), **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)  # as the session's own runs
        warnings.simplefilter("ignore", ModeSkippedWarning)
        warnings.filterwarnings("ignore", r".*E01013787 \(8\d\d m\)", SnapWarning)
        return study.run(data_dir=shared, progress=False)


# --------------------------------------------------------------------------------------------
# the tables are those of the full matrix
# --------------------------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 3])
def test_chesterfield_2024_decision_without_the_full_matrix(
    k: int, shared_data: Path, chesterfield_result: Any
) -> None:
    """The real slice of the 2024 decision: four centres, two closing. With k = 2 the decision
    closes the nearest two of some areas, which are searched again, exactly."""
    result = _real("chesterfield-2024.toml", shared_data, matrix="nearest", nearest_k=k)
    assert result.modes == chesterfield_result.modes == ("drive", "walk", "cycle")
    for mode in result.modes:
        near = result.matrices[mode]
        assert isinstance(near, NearestCentres) and near.k == k
        full = chesterfield_result.matrices[mode]
        # the lists hold the very entries of the full matrix, in its order
        for origin, ids in near.centre_ids.iterrows():
            expected = full.loc[origin].sort_values(kind="stable").iloc[:k]
            assert list(ids) == list(expected.index), (mode, origin)
            np.testing.assert_allclose(near.times_min.loc[origin], expected, rtol=0, atol=1e-9)
    assert_same_tables(result, chesterfield_result)
    closing = result.scenarios["decision-2024"].closed_centres
    fallbacks = result.matrices["drive"].fallbacks(result.scenarios["decision-2024"].open_centres)
    assert len(closing) == 2 and (k > 2 or fallbacks.any())  # k = 2: some areas searched again
    assert result.provenance["matrix"]["method"] == "nearest"
    assert result.provenance["matrix"]["k"] == k
    assert chesterfield_result.provenance["matrix"]["method"] == "full"


@pytest.mark.shared_data
@pytest.mark.slow
def test_rutland_without_the_full_matrix(shared_data: Path, rutland_result: Any) -> None:
    result = _real("rutland-example.toml", shared_data, matrix="nearest", nearest_k=2)
    assert all(isinstance(result.matrices[m], NearestCentres) for m in result.modes)
    assert_same_tables(result, rutland_result)


def test_synthetic_study_without_the_full_matrix(synthetic_result: Any) -> None:
    """Every mode of Synthshire: the road modes from their nearest lists, public transport
    (always a full matrix) as before; then more scenarios from the same lists."""
    study = dataclasses.replace(synthetic_study(n_side=16), matrix="nearest", nearest_k=2)
    result = study.run(progress=False)
    for mode in ("drive", "walk", "cycle"):
        assert isinstance(result.matrices[mode], NearestCentres)
    assert isinstance(result.matrices["transit"], pd.DataFrame)
    pd.testing.assert_frame_equal(result.matrices["transit"], synthetic_result.matrices["transit"])
    assert_same_tables(result, synthetic_result)
    centres = list(map(str, result.centres.index))
    more = {"close-four": {"close": centres[:4]}, "keep-one": {"keep": centres[-1:]}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # keep-one may leave a few areas with no open centre
        assert_same_tables(result.with_scenarios(**more), synthetic_result.with_scenarios(**more))


def test_auto_keeps_the_full_matrix_up_to_the_limit(
    synthetic_result: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = synthetic_study(n_side=16)
    assert study.matrix == "auto"
    assert isinstance(synthetic_result.matrices["drive"], pd.DataFrame)  # 25 x 6: far below
    pairs = len(synthetic_result.areas) * len(synthetic_result.centres)
    monkeypatch.setattr(study_module, "FULL_MATRIX_LIMIT", pairs - 1)
    result = dataclasses.replace(study, nearest_k=3).run(progress=False)
    assert isinstance(result.matrices["drive"], NearestCentres)
    assert result.provenance["matrix"] | {"description": ""} == {
        "method": "nearest", "setting": "auto", "pairs": pairs, "k": 3, "description": "",
    }  # fmt: skip
    assert_same_tables(result, synthetic_result)


@pytest.mark.parametrize(
    ("setting", "areas", "centres", "k", "method"),
    [
        ("auto", 600, 22, 12, "full"),  # a county
        ("auto", 33_755, 3_000, 12, "nearest"),  # England
        ("auto", 1_000_000, 10, 12, "full"),  # no more centres than k: the lists hold them all
        ("full", 33_755, 3_000, 12, "full"),
        ("nearest", 600, 22, 12, "nearest"),
        ("nearest", 600, 22, 22, "full"),
    ],
)
def test_matrix_method(setting: str, areas: int, centres: int, k: int, method: str) -> None:
    study = Study(name="t", title="T", matrix=setting, nearest_k=k)
    assert study.matrix_method(areas, centres) == method


# --------------------------------------------------------------------------------------------
# outputs, report, optimiser
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nearest_synthetic() -> Any:
    study = dataclasses.replace(synthetic_study(n_side=16), matrix="nearest", nearest_k=3)
    return study.run(progress=False)


def test_outputs_write_the_nearest_lists(
    nearest_synthetic: Any, synthetic_result: Any, tmp_path: Path
) -> None:
    folder = write_outputs(nearest_synthetic, tmp_path / "out", maps=False)
    written = {p.name for p in folder.iterdir()}
    assert {"nearest_drive.csv", "nearest_walk.csv", "nearest_cycle.csv"} <= written
    assert "matrix_transit.csv" in written and "matrix_drive.csv" not in written
    lists = pd.read_csv(tmp_path / "out" / "nearest_drive.csv", dtype={"centre_id": str})
    assert list(lists.columns) == ["lsoa_code", "rank", "centre_id", "time_min"]
    full = synthetic_result.matrices["drive"]
    assert len(lists) == 3 * len(full)  # every area reaches every centre in Synthshire
    for code, rows in lists.groupby("lsoa_code"):
        assert rows["rank"].tolist() == [1, 2, 3]
        expected = full.loc[code, rows["centre_id"]].to_numpy()
        np.testing.assert_allclose(rows["time_min"], expected, rtol=0, atol=5e-4)  # %.3f
        assert rows["time_min"].is_monotonic_increasing
        assert expected.max() <= full.loc[code].drop(rows["centre_id"]).min()
    record = json.loads((tmp_path / "out" / "study.json").read_text())["matrix"]
    assert record["method"] == "nearest" and record["k"] == 3


def test_report_says_how_the_times_were_routed(
    nearest_synthetic: Any, synthetic_result: Any
) -> None:
    from centrereach.report import build_report

    page = build_report(nearest_synthetic)
    assert "<b>Routing.</b>" in page and "area&#39;s 3 nearest centres" in page
    assert "<b>Routing.</b>" not in build_report(synthetic_result)


def test_the_optimiser_asks_for_the_full_matrix(nearest_synthetic: Any) -> None:
    with pytest.raises(StudyFileError, match=r'matrix = "full".*Study\(\.\.\., matrix="full"\)'):
        nearest_synthetic.optimise(keep=3)


# --------------------------------------------------------------------------------------------
# the study file
# --------------------------------------------------------------------------------------------


def _study_file(tmp_path: Path, analysis: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(
        '[study]\nname = "s"\n\n[centres]\nfile = "c.csv"\n\n[network]\ndrive = "roads.osm.pbf"'
        "\n\n[analysis]\n" + analysis + "\n",
        encoding="utf-8",
    )
    return path


def test_study_file_settings(tmp_path: Path) -> None:
    default = Study.from_toml(_study_file(tmp_path, 'modes = ["drive"]'))
    assert (default.matrix, default.nearest_k) == ("auto", 12)
    chosen = Study.from_toml(_study_file(tmp_path, 'matrix = "nearest"\nnearest_k = 20'))
    assert (chosen.matrix, chosen.nearest_k) == ("nearest", 20)


@pytest.mark.parametrize(
    ("analysis", "message"),
    [
        ('matrix = "sparse"', r"line 11, key 'analysis.matrix': 'sparse' is not allowed\. "
         r"Allowed values: auto, full, nearest\."),
        ("nearest_k = 1", r"key 'analysis.nearest_k': must be a whole number of centres, "
         r"from 2 to 1000, not 1"),
        ("nearest_k = 2.5", r"nearest_k': must be a whole number .* not 2\.5"),
        ('nearest_k = "12"', r"nearest_k': must be a whole number .* not '12'"),
        ("nearest_k = 5000", r"nearest_k': must be a whole number .* not 5000"),
    ],
)  # fmt: skip
def test_study_file_errors(tmp_path: Path, analysis: str, message: str) -> None:
    with pytest.raises(StudyFileError, match=message):
        Study.from_toml(_study_file(tmp_path, analysis))


def test_a_study_built_in_python_is_checked() -> None:
    with pytest.raises(StudyFileError, match="matrix must be one of auto, full, nearest"):
        Study(name="t", title="T", matrix="sparse")
    with pytest.raises(StudyFileError, match="nearest_k must be a whole number"):
        Study(name="t", title="T", nearest_k=1)


def test_cli_optimise_refuses_a_nearest_study_before_it_runs(tmp_path: Path) -> None:
    path = _study_file(tmp_path, 'matrix = "nearest"')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["optimise", str(path), "--keep", "2", "--out", str(out)])
    assert result.exit_code != 0
    assert 'matrix = "nearest"' in result.output and 'Set matrix = "full"' in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
