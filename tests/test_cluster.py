"""A study split between the workers of a Dask cluster gives the local answers, to the bit.

The cluster is a ``LocalCluster`` of two workers in this process (``processes=False``): the same
code paths as a real cluster (tasks, scattered data, each worker's network cache), quickly.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from centrereach import cluster
from centrereach.errors import CoverageWarning, ModeSkippedWarning, SnapWarning
from centrereach.scenarios import Scenario
from centrereach.scenarios import evaluate_scenarios as local_scenarios
from centrereach.study import Study
from centrereach.synthetic import synthetic_inputs, synthetic_study
from centrereach.traveltime import NearestCentres, Router

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        distributed.Client(local) as dask_client,
    ):
        yield dask_client


def _same_result(got: Any, expected: Any) -> None:
    assert got.modes == expected.modes
    for mode in expected.modes:
        pd.testing.assert_frame_equal(got.matrices[mode], expected.matrices[mode], check_exact=True)
    pd.testing.assert_frame_equal(got.table, expected.table, check_exact=True)
    pd.testing.assert_frame_equal(got.summary, expected.summary, check_exact=True)
    pd.testing.assert_frame_equal(got.equity, expected.equity, check_exact=True)


def test_synthetic_study_on_the_cluster_equals_the_local_run(
    client: Any, synthetic_result: Any
) -> None:
    on_cluster = synthetic_study(n_side=16).run(progress=False, client=client)
    _same_result(on_cluster, synthetic_result)
    # the graphs have no cached arrays: their routing matrices were sent to the workers
    assert any(key.startswith("memory:") for key in cluster._NETWORKS)


def test_a_study_without_the_full_matrix_on_the_cluster(client: Any, synthetic_result: Any) -> None:
    """``matrix = "nearest"`` with a client: the k nearest and their scenarios are read on the
    client's machine, public transport as before; the local run's tables, to the bit."""
    study = dataclasses.replace(synthetic_study(n_side=16), matrix="nearest", nearest_k=2)
    local = study.run(progress=False)
    on_cluster = study.run(progress=False, client=client)
    for name in ("table", "summary", "equity"):
        pd.testing.assert_frame_equal(getattr(on_cluster, name), getattr(local, name),
                                      check_exact=True)  # fmt: skip
    for mode in ("drive", "walk", "cycle"):
        got, expected = on_cluster.matrices[mode], local.matrices[mode]
        assert isinstance(got, NearestCentres)
        pd.testing.assert_frame_equal(got.times_min, expected.times_min, check_exact=True)
        pd.testing.assert_frame_equal(got.centre_ids, expected.centre_ids)
    transit = on_cluster.matrices["transit"]
    pd.testing.assert_frame_equal(transit, synthetic_result.matrices["transit"])
    pd.testing.assert_frame_equal(
        on_cluster.table, synthetic_result.table, check_exact=False, rtol=0, atol=1e-9
    )


@pytest.mark.shared_data
@pytest.mark.slow
def test_real_study_on_the_cluster_reads_the_cached_arrays(
    client: Any, rutland_result: Any, shared_data: Path
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)
        warnings.filterwarnings("ignore", r".*E01013787 \(8\d\d m\)", SnapWarning)
        warnings.simplefilter("ignore", ModeSkippedWarning)  # no timetables: no transit
        study = Study.from_toml(ROOT / "studies" / "rutland-example.toml")
        on_cluster = study.run(data_dir=shared_data, progress=False, client=client)
    _same_result(on_cluster, rutland_result)
    files = [key for key in cluster._NETWORKS if key.startswith("file:")]
    assert files, "the workers should have read the network arrays from the cache file"
    assert all(".npz:" in key for key in files)


def _synthshire(
    n_side: int, cells: int, mode: str
) -> tuple[dict[str, Any], Router, gpd.GeoDataFrame]:
    """``synthetic_inputs``, a router on its ``mode`` network, and the areas' origins (points)."""
    inputs = synthetic_inputs(n_side=n_side, cells=cells)
    areas = inputs["areas"]
    points = gpd.GeoDataFrame(
        index=areas.index,
        geometry=gpd.points_from_xy(areas["origin_lon"], areas["origin_lat"]),
        crs=4326,
    )
    return inputs, Router(inputs["networks"][mode]), points


def test_matrix_split_either_way_equals_the_local_matrix(client: Any) -> None:
    inputs, router, points = _synthshire(14, 2, "walk")
    centres = inputs["centres"]
    # more origins than centres: chunks of centres; fewer: chunks of origins
    for origins in (points, points.iloc[:3]):
        for chunks in (None, 1, 5):
            got = cluster.matrix(client, router, origins, centres, chunks=chunks)
            pd.testing.assert_frame_equal(got, router.matrix(origins, centres), check_exact=True)
    assert got.attrs == {"units": "min", "mode": "walk", "weight": "travel_time"}


def test_scenarios_split_by_areas_equal_the_local_table(client: Any) -> None:
    inputs, router, points = _synthshire(16, 3, "drive")
    areas = inputs["areas"]
    matrix = router.matrix(points, inputs["centres"])
    ids = list(inputs["centres"].index)
    scenarios = [
        Scenario("close-one", "Close one", tuple(ids[1:]), (ids[0],)),
        Scenario("keep-two", "Keep two", tuple(ids[:2]), tuple(ids[2:])),
    ]
    columns = ["imd_decile", "children"]
    expected = local_scenarios(matrix, scenarios, mode="drive", areas=areas, columns=columns)
    for chunks in (None, 1, 3, len(matrix) + 5):
        got = cluster.evaluate_scenarios(
            client, matrix, scenarios, mode="drive", areas=areas, columns=columns, chunks=chunks
        )
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.shared_data
@pytest.mark.slow
def test_cli_scheduler_option_gives_the_local_outputs(
    client: Any, rutland_run: tuple[Path, str], shared_data: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from centrereach.cli import main

    out = tmp_path / "out"
    address = client.scheduler.address
    study = str(ROOT / "studies" / "rutland-example.toml")
    args = ["run", study, "--out", str(out), "--data-dir", str(shared_data), "--no-maps",
            "--quiet", "--scheduler", address]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)
        done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    for name in ("matrix_drive.csv", "matrix_walk.csv", "areas.csv", "summary.csv"):
        got = (out / name).read_text(encoding="utf-8")
        assert got == (rutland_run[0] / name).read_text(encoding="utf-8"), name


def test_cli_scheduler_that_does_not_answer(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from centrereach.cli import main

    study = tmp_path / "s.toml"
    study.write_text("[study]\nname = 's'\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["run", str(study), "--scheduler", "tcp://127.0.0.1:9"])
    assert done.exit_code == 2
    assert "cannot connect to the Dask scheduler at 'tcp://127.0.0.1:9'" in done.output
