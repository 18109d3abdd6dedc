"""The pipeline: a :class:`~centrereach.study.Study` in, a :class:`StudyResult` out.

:func:`run_study` loads the centres and the areas, builds (or reads) one network per mode,
snaps areas and centres to it, leaves out the areas the network does not cover, computes one
exact travel-time matrix per mode (or, for a study too large for one, each area's ``k`` nearest
centres: ``[analysis] matrix``, :meth:`Study.matrix_method`) and evaluates every scenario on
them. Public transport
(``transit``) walks on the walk network and rides the study's GTFS timetables
(:class:`centrereach.transit.TransitRouter`); without a feed it is left out, and a
:class:`~centrereach.errors.ModeSkippedWarning` says so. It records what
went in (files with their SHA-256, networks, settings, versions) as the result's provenance.
It writes nothing: :func:`centrereach.write_outputs` does.

>>> from centrereach.synthetic import synthetic_study
>>> result = run_study(synthetic_study(n_side=6, cells=2), progress=False)
>>> result.provenance["modes"], result.provenance["synthetic"]
(['drive', 'walk', 'transit', 'cycle'], True)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint

from centrereach._geo import WGS84
from centrereach.areas import check_weight, load_areas, origins, read_study_area
from centrereach.centres import load_centres
from centrereach.errors import (
    CentrereachError,
    CoverageWarning,
    DataFormatError,
    ModeSkippedWarning,
    SnapWarning,
    StudyFileError,
    UnknownCentreError,
)
from centrereach.gtfs import Feed, read_gtfs
from centrereach.netarrays import NetworkArrays, load_network_arrays
from centrereach.network import SpeedModel, load_network
from centrereach.results import StudyResult
from centrereach.transit import (
    DEFAULT_MAX_ACCESS_WALK_MIN,
    DEFAULT_MAX_TRANSFER_WALK_MIN,
    TransitRouter,
)
from centrereach.traveltime import SNAP_WARNING_M, NearestCentres, Router

if TYPE_CHECKING:
    from centrereach.study import Study

__all__ = ["run_study"]

logger = logging.getLogger(__name__)

WEIGHTS = ("children", "population", "under5")
#: Packages whose versions a run records.
_VERSIONED = (
    "centrereach",
    "geopandas",
    "shapely",
    "pandas",
    "numpy",
    "scipy",
    "networkx",
    "osmnx",
    "folium",
    "osmium",
    "pyproj",
    "numba",
)


def run_study(
    study: Study,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    network_files: Mapping[str, str | os.PathLike[str]] | None = None,
    gtfs: Sequence[str | os.PathLike[str]] | None = None,
    progress: bool = True,
    refresh: bool = False,
    client: Any = None,
) -> StudyResult:
    """Load a study's inputs, compute the travel-time matrices and evaluate every scenario.

    Parameters
    ----------
    study
        The study (from a study file, :meth:`centrereach.Study.from_toml`, or built directly).
    data_dir
        Local data folder (else ``CENTREREACH_DATA_DIR``, else ``[data] dir``, else the cache
        and downloads).
    network_files
        Per mode, a network file to use instead of the study file's ``[network]`` entry.
    gtfs
        GTFS feeds (zip files, folders or dataset ids) to use instead of ``[transit] gtfs``.
    progress
        Show progress bars.
    refresh
        Ask the server now whether downloaded road extracts changed (``load_network``).
    client
        A ``distributed.Client`` of a Dask cluster: the matrices and the scenarios are then
        split between its workers (:mod:`centrereach.cluster`), with the same results.
        ``None`` (default) computes everything here.

    Returns
    -------
    StudyResult
        Tables (minutes, people) and labels.

    Warns
    -----
    centrereach.errors.ModeSkippedWarning
        When the study asks for ``transit`` but no GTFS feed is given: it runs without it.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> result = run_study(synthetic_study(n_side=6, cells=2), progress=False)
    >>> result.matrices["drive"].shape, sorted(result.scenarios)
    ((4, 6), ['baseline', 'close-two'])
    >>> list(result.matrices)  # the synthetic county has a (synthetic) bus route
    ['drive', 'walk', 'transit', 'cycle']
    """
    started = dt.datetime.now(dt.UTC)
    folder = study.data_folder(data_dir)
    logger.info("loading centres and areas")
    centres = _centres(study, folder)
    status_column = _status_column(study, centres)  # a mistyped column: say so before routing
    areas = _areas(study, folder)
    if study.weight not in areas.columns:
        msg = (
            f"the weight '{study.weight}' is not available: the population data gave "
            f"{[c for c in WEIGHTS if c in areas.columns] or 'no population columns'}. "
            "Add a population file with it to [data] population, or change [analysis] weight."
        )
        raise DataFormatError(msg)
    check_weight(areas, study.weight)  # missing for too many areas: stop (docs/method.md, 4)
    scenarios = study.scenarios(centres)

    modes = list(study.modes)
    skipped: dict[str, str] = {}
    feeds: list[Feed] = []
    if "transit" in modes and not (gtfs or study.feeds or _feed_values(study)):
        reason = "no GTFS timetable was given ([transit] gtfs in the study file, or --gtfs PATH)"
        warnings.warn(
            f"public transport (transit) is not computed: {reason}. The study runs with "
            f"{', '.join(m for m in modes if m != 'transit') or 'no other mode'} only.",
            ModeSkippedWarning,
            stacklevel=3,
        )
        modes.remove("transit")
        skipped["transit"] = reason
    # transit walks on the walk network: one network (and router) per network mode
    network_of = {mode: "walk" if mode == "transit" else mode for mode in modes}
    routers: dict[str, Router] = {}
    excluded: dict[str, dict[str, str]] = {}
    origin_snaps: dict[str, pd.DataFrame] = {}
    centre_snaps: dict[str, pd.DataFrame] = {}
    points = origins(areas)
    for mode in modes:
        net = network_of[mode]
        if net not in routers:
            logger.info("building the %s network", net)
            override = (network_files or {}).get(net)
            graph = _network(study, net, areas=areas, data_dir=folder, override=override,
                             progress=progress, refresh=refresh)  # fmt: skip
            routers[net] = Router(graph)  # prepared once: snapping and the matrix
        router = routers[net]
        if net in origin_snaps:  # transit: the walk network's snaps
            osnap, csnap = origin_snaps[net], centre_snaps[net]
        else:
            osnap = router.snap(points, max_snap_m=None)
            csnap = router.snap(centres, max_snap_m=None)
        extent = _network_extent(router)
        excluded[mode] = _not_covered(extent, points, osnap, mode=net, max_snap_m=study.max_snap_m)
        _check_centres(extent, centres, csnap, mode=net, max_snap_m=study.max_snap_m)
        origin_snaps[mode] = osnap
        centre_snaps[mode] = csnap

    excluded_all: dict[str, str] = {}
    for mode in modes:
        for code, why in excluded[mode].items():
            excluded_all.setdefault(code, why)
    _check_coverage(excluded_all, len(areas), min_coverage=study.min_coverage)
    covered = areas.loc[[c for c in areas.index if str(c) not in excluded_all]]
    covered_points = points.loc[covered.index]
    matrices: dict[str, pd.DataFrame | NearestCentres] = {}
    method = study.matrix_method(len(covered), len(centres))
    for mode in [m for m in modes if m != "transit"]:
        _warn_far(origin_snaps[mode].loc[covered.index, "snap_m"], mode)
        snaps = {
            "origin_snap": origin_snaps[mode].loc[covered.index],
            "destination_snap": centre_snaps[mode],
        }
        router = routers[network_of[mode]]
        if method == "nearest":
            # one search from every centre at once, on this machine (a cluster would not
            # share it); each scenario then reads the lists (docs/national.md)
            logger.info(
                "finding every area's %d nearest centres by %s (%s area-centre pairs: not the "
                "full matrix)", study.nearest_k, mode, f"{len(covered) * len(centres):,}",
            )  # fmt: skip
            matrices[mode] = router.nearest_k(
                covered_points, centres, k=study.nearest_k, progress=progress, **snaps
            )
        elif client is None:
            logger.info("computing the %s travel-time matrix", mode)
            matrices[mode] = router.matrix(covered_points, centres, progress=progress, **snaps)
        else:
            from centrereach import cluster

            matrices[mode] = cluster.matrix(
                client, router, covered_points, centres, progress=progress, **snaps
            )
    transit_record: dict[str, Any] | None = None
    if "transit" in modes:
        logger.info("computing the public transport (transit) matrix")
        walk = routers["walk"]
        osnap = origin_snaps["transit"].loc[covered.index]
        walk_matrix = matrices.get("walk")
        if not isinstance(walk_matrix, pd.DataFrame):  # transit's own matrix is always full
            walk_matrix = walk.matrix(
                covered_points, centres, origin_snap=osnap,
                destination_snap=centre_snaps["transit"],
            )  # fmt: skip
        spec = study.transit_spec
        feeds = _feeds(study, folder, gtfs)  # read after the networks, whose errors come first
        transit = TransitRouter(
            walk,
            feeds,
            study.transit_window(),
            max_access_walk_min=float(spec.get("max_access_walk_min", DEFAULT_MAX_ACCESS_WALK_MIN)),
            max_transfer_walk_min=float(
                spec.get("max_transfer_walk_min", DEFAULT_MAX_TRANSFER_WALK_MIN)
            ),
            progress=progress,
        )
        matrices["transit"] = transit.matrix(
            covered_points,
            centres,
            origin_snap=osnap,
            destination_snap=centre_snaps["transit"],
            walk_matrix=walk_matrix,
        )
        transit_record = transit.describe()
    matrices = {mode: matrices[mode] for mode in modes}  # in the study's order
    mode_routers = {mode: routers[network_of[mode]] for mode in modes}
    provenance = _provenance(
        study, mode_routers, centres=centres, areas=areas, data_dir=folder, started=started,
        excluded=excluded_all, modes=modes, skipped=skipped, transit=transit_record,
        feeds=feeds, matrix=_matrix_record(study, method, len(covered), len(centres)),
    )  # fmt: skip
    evaluate = None
    if client is not None:
        from centrereach import cluster

        evaluate = cluster.evaluator(client)
    return StudyResult.from_matrices(
        matrices,
        evaluate=evaluate,
        centres=centres,
        areas=covered,
        scenarios=scenarios,
        name=study.name,
        title=study.title,
        weight=study.weight,
        thresholds_min=study.thresholds_min,
        description=study.description,
        area_description=str(study.area.get("description", "")),
        notes=tuple(study.notes),
        synthetic=study.synthetic,
        status_column=status_column,
        max_snap_m=study.max_snap_m,
        excluded=excluded_all,
        all_area_count=len(areas),
        origin_snaps={m: origin_snaps[m].loc[covered.index] for m in modes},
        centre_snaps={m: centre_snaps[m] for m in modes},
        provenance=provenance,
    )


def _matrix_record(study: Study, method: str, n_areas: int, n_centres: int) -> dict[str, Any]:
    """How the times were routed, for ``study.json`` and the report's method section."""
    record: dict[str, Any] = {"method": method, "setting": study.matrix,
                              "pairs": n_areas * n_centres}  # fmt: skip
    if method == "nearest":
        record["k"] = study.nearest_k
        record["description"] = (
            f"each area's {study.nearest_k} nearest centres by road (one search from every "
            "centre at once), not the full matrix; a scenario that closes all but one of them "
            "searches that area again, exactly. Public transport, when studied, is a full matrix."
        )
    else:
        record["description"] = "every area to every centre (the full travel-time matrix)"
    return record


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _centres(study: Study, data_dir: Path | None) -> gpd.GeoDataFrame:
    """The study's centres (the ``[centres]`` table), or the ready ones it was built with."""
    if study.centres is not None:
        return study.centres
    spec = study.centres_spec
    file = study.resolve(str(spec["file"]), data_dir=data_dir, what="centres file")
    postcodes = spec.get("postcodes")
    centres = load_centres(
        file,
        location=spec.get("location"),
        postcodes=study.resolve(str(postcodes), data_dir=data_dir, what="postcode file")
        if postcodes
        else None,
    )
    include = spec.get("include")
    if include:
        unknown = [c for c in include if c not in centres.index]
        if unknown:
            msg = (
                f"[centres] include names unknown centre id(s) {unknown}; the centres file "
                f"has {', '.join(centres.index)}."
            )
            raise UnknownCentreError(msg)
        centres = centres.loc[list(include)]
    return centres


def _areas(study: Study, data_dir: Path | None) -> gpd.GeoDataFrame:
    """The study's areas (the ``[area]`` and ``[data]`` tables), or the ready ones."""
    if study.areas is not None:
        return study.areas
    d = study.data

    def one(key: str) -> Path | None:
        value = d.get(key)
        return study.resolve(str(value), data_dir=data_dir, what=key) if value else None

    if not d.get("boundaries"):
        msg = "the study has no [data] boundaries: give an LSOA boundary dataset id or file."
        raise StudyFileError(msg)
    study_area: Any = None
    if study.area.get("polygon"):
        study_area = read_study_area(
            study.resolve(str(study.area["polygon"]), data_dir=data_dir, what="polygon")
        )
    elif study.area.get("districts"):
        study_area = list(study.area["districts"])
    elif study.area.get("county"):
        study_area = str(study.area["county"])
    elif study.area.get("country"):
        study_area = str(study.area["country"])
    boundaries = one("boundaries")
    assert boundaries is not None
    population = d.get("population")
    population_files = [
        study.resolve(str(v), data_dir=data_dir, what="population")
        for v in ([population] if isinstance(population, str) else list(population or []))
    ]
    return load_areas(
        boundaries,
        deprivation=one("deprivation"),
        population=population_files or None,
        centroids=one("centroids"),
        study_area=study_area,
        lookup=one("lookup"),
        lad_lookup=one("lad_lookup"),
        county_lookup=one("county_lookup"),
    )


def _network(
    study: Study,
    mode: str,
    *,
    areas: gpd.GeoDataFrame,
    data_dir: Path | None,
    override: str | os.PathLike[str] | None,
    progress: bool,
    refresh: bool = False,
) -> nx.MultiDiGraph | NetworkArrays:
    """The network for ``mode``: ready, downloaded, or read from a file and clipped.

    An OpenStreetMap file becomes routing arrays straight away (cached by its checksum, the
    speed model and the clip), never a networkx graph.
    """
    if mode in study.networks:
        return study.networks[mode]
    source = str(override) if override is not None else str(study.network_spec.get(mode, ""))
    speeds = SpeedModel.free_flow() if study.speed_model == "free-flow" else SpeedModel.realistic()
    buffer_m = float(study.network_spec.get("buffer_m", 10_000))
    polygon = areas.geometry.union_all()
    if source == "download":  # [network] source: geofabrik or overpass (default: either)
        return load_network(
            str(study.network_spec.get("source", "download")), mode=mode, polygon=polygon,
            buffer_m=buffer_m, speeds=speeds, progress=progress, refresh=refresh,
        )  # fmt: skip
    path = (
        Path(source)
        if override is not None
        else study.resolve(source, data_dir=data_dir, what=f"{mode} network")
    )
    # Clip a file network to the study area plus the buffer (as a download is), which keeps a
    # county walk network within memory.
    if not path.name.lower().endswith(".graphml"):
        return load_network_arrays(
            path, mode=mode, speeds=speeds, polygon=polygon, buffer_m=buffer_m, progress=progress
        )
    graph = load_network(
        path, mode=mode, speeds=speeds, polygon=polygon, buffer_m=buffer_m, progress=progress
    )
    graph.graph["source_path"] = str(path)
    return graph


def _feeds(
    study: Study, data_dir: Path | None, override: Sequence[str | os.PathLike[str]] | None
) -> list[Feed]:
    """The study's GTFS feeds: ``--gtfs`` paths, else ready feeds, else ``[transit] gtfs``."""
    if override:
        paths = []
        for value in override:
            path = Path(value)
            paths.append(
                path
                if path.exists()
                else study.resolve(str(value), data_dir=data_dir, what="GTFS feed")
            )
        return [read_gtfs(path) for path in paths]
    if study.feeds:
        return list(study.feeds)
    return [
        read_gtfs(study.resolve(v, data_dir=data_dir, what="GTFS feed"))
        for v in _feed_values(study)
    ]


def _feed_values(study: Study) -> list[str]:
    """The ``[transit] gtfs`` entries (dataset ids, files or folders)."""
    given = study.transit_spec.get("gtfs") or []
    return [str(v) for v in ([given] if isinstance(given, str) else given)]


def _status_column(study: Study, centres: gpd.GeoDataFrame) -> str | None:
    """The centres' status column (``[centres] status_column``, else one named ``status*``)."""
    columns = [str(c) for c in centres.columns if c != "geometry"]
    given = study.centres_spec.get("status_column")
    if given and given not in columns:
        where = f"{study.path}: " if study.path is not None else ""
        file = study.centres_spec.get("file", "")
        msg = (
            f"{where}[centres] status_column {given!r} is not a column of the centres file "
            f"'{file}'; its columns are {', '.join(repr(c) for c in columns)}. Correct the "
            "name, or remove the key."
        )
        raise StudyFileError(msg)
    if given:
        return str(given)
    return next((c for c in columns if c.lower().startswith("status")), None)


# --------------------------------------------------------------------------------------------
# snapping and coverage
# --------------------------------------------------------------------------------------------


def _network_extent(router: Router) -> shapely.Geometry:
    """The convex hull of the network's nodes (EPSG:4326), slightly buffered (about 200 m)."""
    xs, ys = router.lonlat
    return MultiPoint(np.column_stack([xs, ys])).convex_hull.buffer(0.002)


def _within(points: gpd.GeoDataFrame, shape: shapely.Geometry) -> np.ndarray:
    geoms = points.geometry.to_crs(WGS84).to_numpy() if points.crs else points.geometry.to_numpy()
    return np.asarray(shapely.within(geoms, shape), dtype=bool)


def _not_covered(
    extent: shapely.Geometry,
    points: gpd.GeoDataFrame,
    osnap: pd.DataFrame,
    *,
    mode: str,
    max_snap_m: float,
) -> dict[str, str]:
    """Areas outside the network's extent or farther than ``max_snap_m`` from it, and why."""
    outside = ~_within(points, extent)
    too_far = osnap["snap_m"].to_numpy() > max_snap_m
    reasons: dict[str, str] = {}
    for code, out_flag, far_flag, dist in zip(
        points.index, outside, too_far, osnap["snap_m"], strict=True
    ):
        if out_flag:
            reasons[str(code)] = f"outside the {mode} network's extent"
        elif far_flag:
            reasons[str(code)] = f"{dist:,.0f} m from the {mode} network"
    return reasons


def _check_centres(
    extent: shapely.Geometry,
    centres: gpd.GeoDataFrame,
    csnap: pd.DataFrame,
    *,
    mode: str,
    max_snap_m: float,
) -> None:
    """Every centre must be on the network: a centre left out would bias every scenario."""
    off = ~_within(centres, extent) | (csnap["snap_m"].to_numpy() > max_snap_m)
    if off.any():
        bad = ", ".join(
            f"'{c}' ({d:,.0f} m from the network)"
            for c, d in zip(centres.index[off], csnap["snap_m"][off], strict=True)
        )
        msg = (
            f"centre(s) {bad} lie outside the {mode} network. Use a network that covers "
            "them, or leave them out with [centres] include."
        )
        raise DataFormatError(msg)


def _check_coverage(excluded: Mapping[str, str], n_areas: int, *, min_coverage: float) -> None:
    """Fail when too few areas are covered; warn (naming them) when some are left out."""
    if not excluded:
        return
    share = len(excluded) / n_areas
    listed = ", ".join(f"{c} ({why})" for c, why in list(excluded.items())[:15])
    more = f" and {len(excluded) - 15} more" if len(excluded) > 15 else ""
    if share > 1 - min_coverage:
        msg = (
            f"{len(excluded)} of {n_areas} areas ({share:.0%}) are not covered by "
            f"the road network, e.g. {listed}{more}. The network does not match the "
            "study area: use a network that covers it (e.g. a Geofabrik county extract "
            "via --network MODE=PATH) or narrow [area]."
        )
        raise DataFormatError(msg)
    warnings.warn(
        f"{len(excluded)} of {n_areas} areas are excluded because the road network "
        f"does not cover them: {listed}{more}",
        CoverageWarning,
        stacklevel=4,
    )


def _warn_far(snap_m: pd.Series, mode: str) -> None:
    """Warn about kept areas whose origin is far from the network (a long access leg)."""
    far = snap_m[snap_m > SNAP_WARNING_M]
    if len(far):
        listed = ", ".join(f"{code} ({dist:,.0f} m)" for code, dist in far.items())
        warnings.warn(
            f"{len(far)} area origin(s) are more than {SNAP_WARNING_M:,.0f} m from the "
            f"{mode} network; they are kept, with the straight-line access leg: {listed}",
            SnapWarning,
            stacklevel=4,
        )


# --------------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _versions() -> dict[str, str]:
    versions: dict[str, str] = {"python": sys.version.split()[0]}
    for package in _VERSIONED:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _provenance(
    study: Study,
    routers: Mapping[str, Router],
    *,
    centres: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    data_dir: Path | None,
    started: dt.datetime,
    excluded: Mapping[str, str],
    modes: Sequence[str],
    skipped: Mapping[str, str],
    transit: Mapping[str, Any] | None,
    feeds: Sequence[Feed],
    matrix: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What went into a run: files with checksums, networks, timetables, settings, versions."""
    attrs = getattr(areas, "attrs", {})
    sources = dict(attrs.get("sources", {}))
    if study.path is not None:
        sources["study"] = f"'{study.path}'"
    if study.centres_spec.get("file"):
        with contextlib.suppress(CentrereachError):
            file = study.resolve(str(study.centres_spec["file"]), data_dir=data_dir,
                                 what="centres")  # fmt: skip
            sources["centres"] = f"'{file}'"
    inputs: dict[str, Any] = {}
    for key, value in sources.items():
        entries = []
        for item in re.findall(r"'([^']+)'", str(value)) or [str(value)]:
            path = Path(item)
            entries.append({"path": str(path), "sha256": _sha256(path) if path.is_file() else None})
        inputs[key] = entries
    if feeds:
        inputs["gtfs"] = [
            {
                "path": f.source,
                "sha256": _sha256(Path(f.source)) if Path(f.source).is_file() else None,
            }
            for f in feeds
        ]
    networks = {}
    for mode, router in routers.items():
        network: Any = router.arrays if router.graph is None else router.graph.graph
        meta = (  # arrays without a speed model (those of a graph without one): None, as a graph
            {"speed_model": network.speed_model or None, "source_path": network.source_path}
            if isinstance(network, NetworkArrays)
            else network
        )
        networks[mode] = {
            "source": router.source or "",
            "nodes": router.n_nodes,
            "edges": router.n_edges,
            "speed_model": meta.get("speed_model"),
        }
        extracts = meta.get("extracts")
        if isinstance(extracts, (list, tuple)) and extracts:  # Geofabrik: name, time, MD5 each
            networks[mode]["extracts"] = list(extracts)
        source = Path(str(meta.get("source_path") or ""))
        if meta.get("source_path") and source.is_file():
            networks[mode]["path"] = str(source)
            networks[mode]["sha256"] = _sha256(source)
        if mode == "transit" and transit is not None:  # it walks on the walk network
            networks[mode]["speed_model"] = {
                "mode": "transit",
                "description": transit["description"],
            }
    return {
        "study": study.name,
        "title": study.title,
        "synthetic": study.synthetic,
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "modes": list(modes),
        "modes_skipped": dict(skipped),
        "transit": dict(transit) if transit is not None else None,
        "thresholds_min": list(study.thresholds_min),
        "weight": study.weight,
        "max_snap_m": study.max_snap_m,
        "speed_model": study.speed_model,
        "matrix": dict(matrix) if matrix is not None else None,
        "inputs": inputs,
        "networks": networks,
        "areas": {
            "vintage": attrs.get("vintage"),
            "imd_edition": attrs.get("imd_edition"),
            "population_years": attrs.get("population_years"),
            "origin_source": attrs.get("origin_source"),
            "excluded": dict(excluded),
        },
        "centres": list(map(str, centres.index)),
        "scenarios": {k: dict(v) for k, v in study.scenario_specs.items()},
        "versions": _versions(),
    }
