"""The travel-time engine on the real OpenStreetMap extracts of Chesterfield and Rutland.

Every matrix entry is checked against networkx's own Dijkstra
(``networkx.shortest_path_length(weight="travel_time")``) plus the access legs that
:func:`centrereach.traveltime.snap` reports, to 1e-6 minutes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from centrereach.errors import SnapWarning
from centrereach.traveltime import Router, nearest_centre, snap, travel_time_matrix

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

CHESTERFIELD_BBOX = (-1.538, 53.195, -1.379, 53.275)  # lon min, lat min, lon max, lat max
CHESTERFIELD_LAD = "E07000034"
RUTLAND_LAD = "E06000017"
CHESTERFIELD_CENTRES = ["holme-hall", "old-whittington", "brimington", "birdholme"]
RealNetwork = Callable[[str, str], nx.MultiDiGraph]  # the real_network fixture (conftest.py)


def _points(df: pd.DataFrame, id_col: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        index=pd.Index(df[id_col].to_numpy(), name=id_col),
        geometry=gpd.points_from_xy(df["lon"], df["lat"]),
        crs="EPSG:4326",
    )


@pytest.fixture(scope="session")
def lsoa_centroids(shared_data: Path) -> pd.DataFrame:
    cents = pd.read_csv(shared_data / "ons" / "lsoa21_population_weighted_centroids.csv")
    lookup = pd.read_csv(shared_data / "ons" / "lookup_lsoa21_ward24_lad24.csv")
    lad = lookup.set_index("lsoa21_code")["ltla24_code"]
    return cents.assign(lad=cents["LSOA21CD"].map(lad))


@pytest.fixture(scope="session")
def chesterfield_origins(lsoa_centroids: pd.DataFrame) -> gpd.GeoDataFrame:
    lon0, lat0, lon1, lat1 = CHESTERFIELD_BBOX
    c = lsoa_centroids
    inside = c["lon"].between(lon0, lon1) & c["lat"].between(lat0, lat1)
    picked = c[inside & (c["lad"] == CHESTERFIELD_LAD)].sort_values("LSOA21CD")
    return _points(picked, "LSOA21CD")


@pytest.fixture(scope="session")
def rutland_origins(lsoa_centroids: pd.DataFrame) -> gpd.GeoDataFrame:
    picked = lsoa_centroids[lsoa_centroids["lad"] == RUTLAND_LAD].sort_values("LSOA21CD")
    return _points(picked, "LSOA21CD")


@pytest.fixture(scope="session")
def chesterfield_centres(project_root: Path) -> gpd.GeoDataFrame:
    centres = pd.read_csv(project_root / "data" / "derbyshire_childrens_centres_2024.csv")
    picked = centres.set_index("centre_id").loc[CHESTERFIELD_CENTRES].reset_index()
    return _points(picked, "centre_id")


def _check_every_entry(
    G: nx.MultiDiGraph, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Check every entry against networkx, and that SnapWarnings name exactly the far points."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", SnapWarning)
        m = travel_time_matrix(G, origins, destinations)
        so = snap(G, origins)
        sd = snap(G, destinations)
    named = " ".join(str(w.message) for w in record if issubclass(w.category, SnapWarning))
    snaps = pd.concat([so, sd])
    for i, dist in snaps["snap_m"].items():
        assert (f"{i} (" in named) == (dist > 500), (i, dist, named)
    # Points lie within 1 km of the network. (Rutland 005A, E01013787, is the one more than
    # 500 m away: ~870 m from the drive network, ~190 m from the footpaths.)
    assert snaps["snap_m"].max() < 1000
    assert m.shape == (len(origins), len(destinations))
    assert m.index.equals(origins.index) and m.columns.equals(destinations.index)
    assert np.isfinite(m.to_numpy()).all()
    checked = 0
    for o in origins.index:
        # one networkx Dijkstra per origin node: shortest_path_length to every node
        lengths = nx.shortest_path_length(G, source=so.loc[o, "node"], weight="travel_time")
        for d in destinations.index:
            expected = (
                so.loc[o, "access_min"] + lengths[sd.loc[d, "node"]] / 60 + sd.loc[d, "access_min"]
            )
            assert abs(m.loc[o, d] - expected) < 1e-6, (o, d, m.loc[o, d], expected)
            checked += 1
    assert checked == m.size
    return m


def test_chesterfield_origins_are_the_55(chesterfield_origins: gpd.GeoDataFrame) -> None:
    # The data README says 55; the rule it states (centroid inside the extract's box and in
    # Chesterfield district E07000034) selects 57 of the district's 69 LSOAs: two centroids lie
    # just inside the box edges (E01019529 0.0006° below its north edge, E01019553 0.003° west
    # of its east edge), and both are 120 m or less from a road in the extract.
    assert len(chesterfield_origins) == 57
    assert {"E01019529", "E01019553"} <= set(chesterfield_origins.index)
    assert chesterfield_origins.index.is_unique


@pytest.mark.parametrize("mode", ["drive", "walk", "cycle"])
def test_chesterfield_matrix_exact(
    real_network: RealNetwork,
    mode: str,
    chesterfield_origins: gpd.GeoDataFrame,
    chesterfield_centres: gpd.GeoDataFrame,
) -> None:
    G = real_network("chesterfield", mode)
    m = _check_every_entry(G, chesterfield_origins, chesterfield_centres)
    assert list(m.columns) == CHESTERFIELD_CENTRES and m.columns.name == "centre_id"
    assert m.attrs["mode"] == mode and m.attrs["units"] == "min"
    # Plausibility: every Chesterfield area is within 25 min by car (45 min ... 3 h on foot)
    # of its nearest centre, and walking is slower than driving for almost every trip.
    nc = nearest_centre(m)
    assert nc["centre_id"].notna().all()
    if mode == "drive":
        assert nc["time_min"].max() < 25
    elif mode == "cycle":  # 16 km/h: between the car and walking
        assert 3 < nc["time_min"].median() < 40
    else:
        assert 10 < nc["time_min"].median() < 120
    # Closing the two centres that closed in 2024 never shortens a trip.
    kept = nearest_centre(m, ["brimington", "birdholme"])
    assert (kept["time_min"] >= nc["time_min"]).all()


def test_chesterfield_all_origins_as_destinations(
    real_network: RealNetwork, chesterfield_origins: gpd.GeoDataFrame
) -> None:
    chesterfield_drive = real_network("chesterfield", "drive")
    m = _check_every_entry(chesterfield_drive, chesterfield_origins, chesterfield_origins)
    # From an area to itself: out along the access leg and back, no network time.
    access = snap(chesterfield_drive, chesterfield_origins)["access_min"]
    np.testing.assert_allclose(np.diag(m.to_numpy()), 2 * access.to_numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_rutland_matrix_exact(
    real_network: RealNetwork, mode: str, rutland_origins: gpd.GeoDataFrame
) -> None:
    assert len(rutland_origins) == 26
    G = real_network("rutland", mode)
    destinations = rutland_origins.iloc[[0, 5, 10, 15, 20]]
    m = _check_every_entry(G, rutland_origins, destinations)
    walk_or_drive = {"drive": 60, "walk": 600}[mode]  # Rutland is ~25 km across
    assert m.to_numpy().max() < walk_or_drive


@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_one_router_answers_as_fresh_calls(
    real_network: RealNetwork,
    mode: str,
    chesterfield_origins: gpd.GeoDataFrame,
    chesterfield_centres: gpd.GeoDataFrame,
) -> None:
    """One Router, queried several ways, gives the module functions' answers to the bit."""
    G = real_network("chesterfield", mode)
    router = Router(G)
    assert (router.n_nodes, router.n_edges) == (G.number_of_nodes(), G.number_of_edges())
    assert router.mode == mode and router.source == G.graph["source"]
    areas, centres = chesterfield_origins, chesterfield_centres
    kept = ["brimington", "birdholme"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        for origins, destinations in [(areas, centres), (centres, areas), (areas, centres)]:
            pd.testing.assert_frame_equal(
                router.matrix(origins, destinations),
                travel_time_matrix(G, origins, destinations),
                check_exact=True,
            )
        pd.testing.assert_frame_equal(router.snap(areas), snap(G, areas), check_exact=True)
        pd.testing.assert_frame_equal(
            router.nearest(areas, centres, open=kept),
            nearest_centre(travel_time_matrix(G, areas, centres), kept),
            check_exact=True,
        )
