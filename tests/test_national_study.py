"""The national study file of docs/national.md, run on the real data of all England.

Every LSOA in England (33,755: the real 2021 boundaries, IoD2025 deciles, mid-2020 children
converted to 2021 areas, population-weighted centroids) and 3,000 invented family hubs at real
LSOA centroids; the roads are a synthetic grid under all of England (about 650 m between
junctions), since England's road network is not available offline. The study file is read
from the docs as a user would copy it, so the docs cannot drift from what runs.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from centrereach.errors import CoverageWarning, SnapWarning
from centrereach.study import Study
from centrereach.synthetic import synthetic_country
from centrereach.traveltime import NearestCentres

ROOT = Path(__file__).resolve().parents[1]
N_HUBS = 3_000


def _national_toml() -> str:
    """The study file docs/national.md shows (the TOML block with ``country = "England"``)."""
    text = (ROOT / "docs" / "national.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "country" in b]
    assert len(blocks) == 1, "docs/national.md should show one national study file"
    return blocks[0]


@pytest.fixture(scope="module")
def national(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The docs' study run (its result) and the hubs file it read."""
    folder = tmp_path_factory.mktemp("national")
    (folder / "england-family-hubs.toml").write_text(_national_toml(), encoding="utf-8")
    centroids = pd.read_csv(shared_data / "ons" / "lsoa21_population_weighted_centroids.csv")
    english = centroids[centroids["LSOA21CD"].str.startswith("E")]
    rng = np.random.default_rng(13)
    picked = english.iloc[rng.choice(len(english), size=N_HUBS, replace=False)]
    hubs = pd.DataFrame(
        {
            "centre_id": [f"hub-{i:04d}" for i in range(N_HUBS)],
            "name": [f"Family hub {i}" for i in range(N_HUBS)],
            "lat": picked["lat"].round(6).to_numpy(),
            "lon": picked["lon"].round(6).to_numpy(),
            "status": np.where(rng.random(N_HUBS) < 0.1, "closing", "open"),
        }
    )
    hubs.to_csv(folder / "family_hubs.csv", index=False)
    study = Study.from_toml(folder / "england-family-hubs.toml")
    # invented roads under all of England, in place of england-latest.osm.pbf
    roads = synthetic_country(1030, lon0=-6.5, lat0=49.85, spacing_m=650.0)
    study = dataclasses.replace(study, networks={"drive": roads})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)  # a few junctions 500-1,000 m away
        # a few areas across water from the grid's nearest junction: excluded, and said
        warnings.simplefilter("ignore", CoverageWarning)
        result = study.run(data_dir=shared_data, progress=False)
    return result, hubs


@pytest.mark.shared_data
@pytest.mark.slow
def test_the_docs_national_study_runs_on_all_england(national: tuple[Any, Any]) -> None:
    result, hubs = national
    # every English LSOA, no Welsh one, each with its decile and children
    assert len(result.areas) + len(result.excluded) == 33_755
    assert len(result.excluded) < 10  # the grid reaches every area but the farthest islands
    assert result.areas.index.str.startswith("E01").all()
    assert result.areas["imd_decile"].notna().all()
    assert sorted(result.areas["imd_decile"].unique()) == list(range(1, 11))
    assert (result.areas["children"] > 0).all()
    # 33,755 x 3,000 pairs: the runner kept each area's 12 nearest hubs, not the full matrix
    assert result.provenance["matrix"]["method"] == "nearest"
    assert isinstance(result.matrices["drive"], NearestCentres)
    # the scenario closes the hubs marked "closing", and nobody gets nearer
    closing = set(hubs.loc[hubs["status"] == "closing", "centre_id"])
    assert set(result.scenarios["closures"].closed_centres) == closing
    rows = result.scenario("closures", "drive")
    assert not rows["centre_id"].isin(closing).any()
    assert (rows["change_min"] >= 0).all()
    assert (rows["change_min"] > 0).sum() == rows["baseline_centre_id"].isin(closing).sum()
    # the summary: ten deciles and all areas, in minutes, weighted by children
    summary = result.summary[result.summary["scenario"] == "closures"]
    deciles = summary[summary["group"] == "decile"]
    assert len(deciles) == 10
    everyone = summary[summary["group"] == "all"].iloc[0]
    assert everyone["areas"] == len(result.areas)
    assert everyone["children"] == pytest.approx(result.areas["children"].sum())
    assert 0 < everyone["baseline_mean_time_min"] < everyone["mean_time_min"] < 60
    # the console summary a councillor reads: short, thousands separated, every number its unit
    summary_text = result.console_summary()
    assert f"{len(result.areas):,} of 33,755 areas covered" in summary_text
    assert "3,000 centres." in summary_text
    assert len(summary_text.splitlines()) <= 6
