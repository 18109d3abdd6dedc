"""The study: a TOML file a planner edits, and the run that turns it into tables.

A study names the area, the data, the centres, the road networks, the modes, the scenarios, the
thresholds and the weight. :meth:`Study.run` loads everything, computes one exact travel-time
matrix per mode, evaluates every scenario from the matrix and returns a :class:`StudyResult`
whose tables are also what ``centrereach run`` writes. See ``docs/study-file.md`` for every key.

>>> from centrereach.study import STUDY_KEYS
>>> sorted(STUDY_KEYS)
['analysis', 'area', 'centres', 'data', 'network', 'scenarios', 'study']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from centrereach.errors import (
    CentrereachError,
    CoverageWarning,
    DataFormatError,
    DataNotFoundError,
    StudyFileError,
)
from centrereach.metrics import DEFAULT_THRESHOLDS_MIN, equity_table, summary_table
from centrereach.scenarios import BASELINE, Scenario, evaluate_scenarios, scenario_from_spec

__all__ = ["STUDY_KEYS", "Study", "StudyResult"]

logger = logging.getLogger(__name__)

#: The keys a study file may have, per table, with their meaning (the reference is
#: docs/study-file.md).
STUDY_KEYS: dict[str, dict[str, str]] = {
    "study": {
        "name": "short id (letters, digits, '-'), used in file names",
        "title": "title shown in the report and maps",
        "description": "what the study is, in plain words",
        "output": "output folder (relative to the working directory)",
        "synthetic": "true when the data are invented (labelled in every output)",
        "notes": "list of notes shown in the report",
    },
    "area": {
        "districts": "district codes or names (list)",
        "county": "a county code or name (e.g. E10000007 or Derbyshire)",
        "polygon": "a GeoJSON/GeoPackage file of the study-area boundary",
        "description": "words for the report (e.g. 'the part of Chesterfield the map covers')",
    },
    "data": {
        "dir": "a local folder laid out like the shared data folder",
        "boundaries": "LSOA boundaries: dataset id or file",
        "deprivation": "IoD file: dataset id or file",
        "population": "population file(s): dataset id(s) or file(s)",
        "centroids": "population-weighted centroids: dataset id or file",
        "lookup": "ONS LSOA 2011 to 2021 look-up: dataset id or file",
        "lad_lookup": "LSOA to district look-up: dataset id or file",
        "county_lookup": "district to county look-up: dataset id or file",
    },
    "centres": {
        "file": "the centres file (CSV, XLSX, GeoJSON, GeoPackage)",
        "include": "only these centre ids (list)",
        "postcodes": "postcode file for geocoding: dataset id or file",
        "location": "latlon, en, postcode or geometry",
        "status_column": "column saying which centres the decision closes (for maps)",
    },
    "network": {
        "drive": "'download', or an .osm.pbf / .osm / .graphml file",
        "walk": "'download', or an .osm.pbf / .osm / .graphml file",
        "buffer_m": "metres added around the study area when downloading (default 10000)",
    },
    "analysis": {
        "modes": "list of modes: drive, walk",
        "thresholds_min": "list of minutes (default [15, 30, 45, 60])",
        "weight": "children, population or under5",
        "max_snap_m": "areas whose origin is farther than this from the network are excluded",
        "speed_model": "realistic (default) or free-flow",
        "min_coverage": "fraction of areas that must be covered (default 0.5)",
    },
    "scenarios": {},
}

MODES = ("drive", "walk")
WEIGHTS = ("children", "population", "under5")
SPEED_MODELS = ("realistic", "free-flow")
DEFAULT_MAX_SNAP_M = 1_000.0


# --------------------------------------------------------------------------------------------
# study-file errors with line numbers
# --------------------------------------------------------------------------------------------


def _line_of(text: str, table: str | None, key: str | None = None) -> int | None:
    """1-based line of ``[table]`` (or of ``key`` inside it) in TOML ``text``."""
    current: str | None = None
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1).replace('"', "").replace("'", "")
            is_table = table is not None and current == table
            is_top = table is None and key is not None and current.split(".")[0] == key
            if (is_table or is_top) and header_line is None:
                header_line = number
            continue
        same_table = current == table
        if (
            key is not None
            and same_table
            and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", stripped)
        ):
            return number
    return header_line


class _Reader:
    """Typed access to the parsed TOML with errors naming key and line."""

    def __init__(self, data: Mapping[str, Any], text: str, path: str) -> None:
        self.data = data
        self.text = text
        self.path = path

    def fail(self, table: str | None, key: str | None, problem: str) -> StudyFileError:
        line = _line_of(self.text, table, key)
        where = f"{self.path}"
        if line is not None:
            where += f", line {line}"
        dotted = ".".join(p for p in (table, key) if p)
        return StudyFileError(f"{where}, key '{dotted}': {problem}")

    def table(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, Mapping):
            raise self.fail(None, name, "must be a table, e.g. [" + name + "]")
        allowed = STUDY_KEYS.get(name)
        if allowed:
            for key in value:
                if key not in allowed:
                    raise self.fail(
                        name,
                        key,
                        f"unknown key. Allowed keys in [{name}]: {', '.join(allowed)}.",
                    )
        return value

    def string(self, table: str, key: str, default: str | None = None) -> str | None:
        value = self.table(table).get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.fail(table, key, f"must be a quoted string, not {value!r}")
        return value

    def strings(self, table: str, key: str) -> list[str] | None:
        value = self.table(table).get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(
                table, key, f'must be a list of quoted strings, e.g. ["a", "b"]; got {value!r}'
            )
        return list(value)

    def choice(self, table: str, key: str, allowed: Sequence[str], default: str) -> str:
        value = self.string(table, key, default)
        assert value is not None
        if value not in allowed:
            raise self.fail(
                table, key, f"{value!r} is not allowed. Allowed values: {', '.join(allowed)}."
            )
        return value

    def number(self, table: str, key: str, default: float) -> float:
        value = self.table(table).get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(table, key, f"must be a non-negative number, not {value!r}")
        return float(value)


# --------------------------------------------------------------------------------------------
# the study
# --------------------------------------------------------------------------------------------


@dataclass
class Study:
    """A study: inputs, scenarios and settings. Build with :meth:`from_toml` or directly.

    When built directly (in a notebook, or by the synthetic demo), ``centres``, ``areas`` and
    ``networks`` may be given as ready GeoDataFrames and graphs; :meth:`run` then skips loading.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6).run(progress=False)
    >>> sorted(result.summary["scenario"].unique())
    ['baseline', 'close-two']
    """

    name: str
    title: str
    scenario_specs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    modes: tuple[str, ...] = ("drive",)
    thresholds_min: tuple[float, ...] = DEFAULT_THRESHOLDS_MIN
    weight: str = "children"
    description: str = ""
    notes: tuple[str, ...] = ()
    output: str | None = None
    synthetic: bool = False
    area: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    centres_spec: Mapping[str, Any] = field(default_factory=dict)
    network_spec: Mapping[str, Any] = field(default_factory=dict)
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    min_coverage: float = 0.5
    speed_model: str = "realistic"
    path: Path | None = None
    centres: Any = None
    areas: Any = None
    networks: dict[str, Any] = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Study:
        """Read a study file.

        Raises :class:`~centrereach.errors.StudyFileError` naming the key and its line, with the
        allowed values, for any invalid entry.
        """
        file = Path(path)
        if not file.is_file():
            msg = f"{file}: no such study file."
            raise DataNotFoundError(msg)
        text = file.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = f"{file}: not valid TOML ({exc}). Check quotes, brackets and '=' signs."
            raise StudyFileError(msg) from exc
        reader = _Reader(data, text, str(file))
        for key in data:
            if key not in STUDY_KEYS:
                raise reader.fail(
                    None, key, f"unknown table. Allowed tables: {', '.join(STUDY_KEYS)}."
                )
        name = reader.string("study", "name", file.stem) or file.stem
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise reader.fail("study", "name", "use letters, digits, '-', '_' or '.' only")
        modes = reader.strings("analysis", "modes") or ["drive"]
        for mode in modes:
            if mode not in MODES:
                raise reader.fail(
                    "analysis",
                    "modes",
                    f"{mode!r} is not a mode. Allowed values: {', '.join(MODES)}.",
                )
        thresholds = reader.table("analysis").get("thresholds_min", list(DEFAULT_THRESHOLDS_MIN))
        if (
            not isinstance(thresholds, list)
            or not thresholds
            or not all(
                isinstance(t, int | float) and not isinstance(t, bool) and t > 0 for t in thresholds
            )
        ):
            raise reader.fail(
                "analysis",
                "thresholds_min",
                "must be a list of positive minutes, e.g. [15, 30, 45, 60]",
            )
        scenarios = reader.table("scenarios")
        for scen_name, spec in scenarios.items():
            if not isinstance(spec, Mapping):
                raise reader.fail("scenarios", scen_name, "must be a table [scenarios.NAME]")
            if scen_name == BASELINE:
                raise reader.fail(
                    f"scenarios.{scen_name}",
                    None,
                    "'baseline' (every centre open) is always included; "
                    "give your scenario another name",
                )
            allowed = {"label", "description", "close", "keep", "where"}
            for key in spec:
                if key not in allowed:
                    raise reader.fail(
                        f"scenarios.{scen_name}",
                        key,
                        f"unknown key. Allowed keys: {', '.join(sorted(allowed))}.",
                    )
            given = [k for k in ("close", "keep", "where") if k in spec]
            if len(given) != 1:
                raise reader.fail(
                    f"scenarios.{scen_name}", None, "give exactly one of 'close', 'keep' or 'where'"
                )
        area = dict(reader.table("area"))
        data_table = dict(reader.table("data"))
        centres_table = dict(reader.table("centres"))
        if "file" not in centres_table:
            raise reader.fail("centres", "file", "is required: the path of the centres file")
        network = dict(reader.table("network"))
        for mode in modes:
            if mode not in network:
                raise reader.fail(
                    "network",
                    mode,
                    f"is missing: say where the {mode} network comes from "
                    "('download', or an .osm.pbf/.graphml file)",
                )
        study_table = reader.table("study")
        notes = study_table.get("notes", [])
        return cls(
            name=name,
            title=reader.string("study", "title", name) or name,
            description=reader.string("study", "description", "") or "",
            notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (str(notes),),
            output=reader.string("study", "output", None),
            synthetic=bool(study_table.get("synthetic", False)),
            scenario_specs={k: dict(v) for k, v in scenarios.items()},
            modes=tuple(modes),
            thresholds_min=tuple(float(t) for t in thresholds),
            weight=reader.choice("analysis", "weight", WEIGHTS, "children"),
            area=area,
            data=data_table,
            centres_spec=centres_table,
            network_spec=network,
            max_snap_m=reader.number("analysis", "max_snap_m", DEFAULT_MAX_SNAP_M),
            min_coverage=reader.number("analysis", "min_coverage", 0.5),
            speed_model=reader.choice("analysis", "speed_model", SPEED_MODELS, "realistic"),
            path=file.resolve(),
        )

    # -- resolving inputs -----------------------------------------------------------------------

    def _base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def _data_dir(self, data_dir: str | os.PathLike[str] | None) -> Path | None:
        if data_dir is not None:
            return Path(data_dir)
        env = os.environ.get("CENTREREACH_DATA_DIR")
        if env:
            return Path(env)
        if self.data.get("dir"):
            return (self._base_dir() / str(self.data["dir"])).resolve()
        return None

    def resolve(self, value: str, *, data_dir: Path | None, what: str) -> Path:
        """Turn a study-file value into a local file: a dataset id, ``data:PATH`` or a path.

        ``data:PATH`` is ``PATH`` inside the data folder; a dataset id (see ``centrereach data
        list``) is found in the data folder or the cache, or downloaded; anything else is a path
        relative to the study file.
        """
        if value.startswith("data:"):
            if data_dir is None:
                msg = (
                    f"the {what} is {value!r}, inside the data folder, but no data folder is "
                    "set. Pass --data-dir DIR or set CENTREREACH_DATA_DIR."
                )
                raise DataNotFoundError(msg)
            path = data_dir / value[len("data:") :]
            if not path.exists():
                msg = f"the {what} {value!r} is not in the data folder: {path} does not exist."
                raise DataNotFoundError(msg)
            return path
        path = Path(value)
        if not path.is_absolute():
            path = self._base_dir() / path
        if path.exists():
            return path
        if "/" not in value and "\\" not in value and "." not in Path(value).name:
            from centrereach import sources

            return Path(sources.fetch(value, data_dir=data_dir))
        msg = f"the {what} {value!r} was not found (looked for {path})."
        raise DataNotFoundError(msg)

    def _resolve_many(self, value: Any, *, data_dir: Path | None, what: str) -> list[Path]:
        if value is None:
            return []
        items = [value] if isinstance(value, str) else list(value)
        return [self.resolve(str(v), data_dir=data_dir, what=what) for v in items]

    def load_centres(self, *, data_dir: Path | None = None) -> Any:
        """Load the study's centres (the ``[centres]`` table)."""
        if self.centres is not None:
            return self.centres
        from centrereach.centres import load_centres

        spec = self.centres_spec
        file = self.resolve(str(spec["file"]), data_dir=data_dir, what="centres file")
        postcodes = spec.get("postcodes")
        centres = load_centres(
            file,
            location=spec.get("location"),
            postcodes=self.resolve(str(postcodes), data_dir=data_dir, what="postcode file")
            if postcodes
            else None,
        )
        include = spec.get("include")
        if include:
            from centrereach.errors import UnknownCentreError

            unknown = [c for c in include if c not in centres.index]
            if unknown:
                msg = (
                    f"[centres] include names unknown centre id(s) {unknown}; the centres file "
                    f"has {', '.join(centres.index)}."
                )
                raise UnknownCentreError(msg)
            centres = centres.loc[list(include)]
        return centres

    def load_areas(self, *, data_dir: Path | None = None) -> Any:
        """Load the study's areas (the ``[area]`` and ``[data]`` tables)."""
        if self.areas is not None:
            return self.areas
        from centrereach.areas import load_areas

        d = self.data

        def one(key: str) -> Path | None:
            value = d.get(key)
            return self.resolve(str(value), data_dir=data_dir, what=key) if value else None

        if not d.get("boundaries"):
            msg = "the study has no [data] boundaries: give an LSOA boundary dataset id or file."
            raise StudyFileError(msg)
        study_area: Any = None
        if self.area.get("polygon"):
            import geopandas as gpd

            study_area = gpd.read_file(
                self.resolve(str(self.area["polygon"]), data_dir=data_dir, what="polygon")
            )
        elif self.area.get("districts"):
            study_area = list(self.area["districts"])
        elif self.area.get("county"):
            study_area = str(self.area["county"])
        boundaries = one("boundaries")
        assert boundaries is not None
        return load_areas(
            boundaries,
            deprivation=one("deprivation"),
            population=self._resolve_many(d.get("population"), data_dir=data_dir, what="population")
            or None,
            centroids=one("centroids"),
            study_area=study_area,
            lookup=one("lookup"),
            lad_lookup=one("lad_lookup"),
            county_lookup=one("county_lookup"),
        )

    def load_network(
        self,
        mode: str,
        *,
        areas: Any,
        data_dir: Path | None,
        override: str | os.PathLike[str] | None = None,
        progress: bool = True,
    ) -> Any:
        """Load (or download) the network for ``mode``."""
        if mode in self.networks:
            return self.networks[mode]
        from centrereach._speeds import SpeedModel
        from centrereach.network import load_network

        source = str(override) if override is not None else str(self.network_spec.get(mode, ""))
        speeds = (
            SpeedModel.free_flow() if self.speed_model == "free-flow" else (SpeedModel.realistic())
        )
        if source == "download":
            polygon = areas.geometry.union_all()
            return load_network(
                "download",
                mode=mode,
                polygon=polygon,
                buffer_m=float(self.network_spec.get("buffer_m", 10_000)),
                speeds=speeds,
                progress=progress,
            )
        path = (
            Path(source)
            if override is not None
            else self.resolve(source, data_dir=data_dir, what=f"{mode} network")
        )
        # Clip a file network to the study area plus the buffer (as a download is), which keeps a
        # county walk network within memory.
        graph = load_network(
            path,
            mode=mode,
            speeds=speeds,
            polygon=areas.geometry.union_all(),
            buffer_m=float(self.network_spec.get("buffer_m", 10_000)),
            progress=progress,
        )
        graph.graph["source_path"] = str(path)
        return graph

    def scenarios(self, centres: Any) -> list[Scenario]:
        """The study's scenarios (baseline first), checked against the centres."""
        out = [Scenario(BASELINE, "All centres open", tuple(str(c) for c in centres.index))]
        for name, spec in self.scenario_specs.items():
            out.append(scenario_from_spec(name, spec, centres))
        return out

    # -- running ----------------------------------------------------------------------------

    def run(
        self,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        networks: Mapping[str, str | os.PathLike[str]] | None = None,
        progress: bool = True,
    ) -> StudyResult:
        """Load the inputs, compute the travel-time matrices and evaluate every scenario.

        Parameters
        ----------
        data_dir
            Local data folder (else ``CENTREREACH_DATA_DIR``, else ``[data] dir``, else the
            cache and downloads).
        networks
            Per mode, a network file to use instead of the study file's ``[network]`` entry.
        progress
            Show progress bars.
        """
        import geopandas as gpd

        from centrereach.traveltime import snap, travel_time_matrix

        started = dt.datetime.now(dt.UTC)
        folder = self._data_dir(data_dir)
        logger.info("loading centres and areas")
        centres = self.load_centres(data_dir=folder)
        areas = self.load_areas(data_dir=folder)
        if self.weight not in areas.columns:
            msg = (
                f"the weight '{self.weight}' is not available: the population data gave "
                f"{[c for c in WEIGHTS if c in areas.columns] or 'no population columns'}. "
                "Add a population file with it to [data] population, or change "
                "[analysis] weight."
            )
            raise DataFormatError(msg)
        scenarios = self.scenarios(centres)

        matrices: dict[str, pd.DataFrame] = {}
        graphs: dict[str, Any] = {}
        excluded: dict[str, dict[str, str]] = {}
        origin_snaps: dict[str, pd.DataFrame] = {}
        centre_snaps: dict[str, pd.DataFrame] = {}
        from centrereach.areas import origins as area_origins

        points = area_origins(areas)
        for mode in self.modes:
            logger.info("building the %s network", mode)
            graph = self.load_network(
                mode,
                areas=areas,
                data_dir=folder,
                override=(networks or {}).get(mode),
                progress=progress,
            )
            graphs[mode] = graph
            # One snap call for areas and centres: the network is turned into arrays once.
            both = gpd.GeoDataFrame(
                geometry=pd.concat(
                    [points.geometry.to_crs(4326), centres.geometry.to_crs(4326)],
                    ignore_index=True,
                ),
                crs=4326,
            )
            snapped = snap(graph, both, max_snap_m=None)
            osnap = snapped.iloc[: len(points)].set_axis(points.index)
            csnap = snapped.iloc[len(points) :].set_axis(centres.index)
            hull = _network_extent(graph)
            outside = ~_within(points, hull)
            too_far = osnap["snap_m"].to_numpy() > self.max_snap_m
            reasons: dict[str, str] = {}
            for code, out_flag, far_flag, dist in zip(
                points.index, outside, too_far, osnap["snap_m"], strict=True
            ):
                if out_flag:
                    reasons[str(code)] = f"outside the {mode} network's extent"
                elif far_flag:
                    reasons[str(code)] = f"{dist:,.0f} m from the {mode} network"
            excluded[mode] = reasons
            c_out = ~_within(centres, hull) | (csnap["snap_m"].to_numpy() > self.max_snap_m)
            if c_out.any():
                bad = ", ".join(
                    f"'{c}' ({d:,.0f} m from the network)"
                    for c, d in zip(centres.index[c_out], csnap["snap_m"][c_out], strict=True)
                )
                msg = (
                    f"centre(s) {bad} lie outside the {mode} network. Use a network that covers "
                    "them, or leave them out with [centres] include."
                )
                raise DataFormatError(msg)
            origin_snaps[mode] = osnap
            centre_snaps[mode] = csnap

        excluded_all: dict[str, str] = {}
        for mode in self.modes:
            for code, why in excluded[mode].items():
                excluded_all.setdefault(code, why)
        if excluded_all:
            share = len(excluded_all) / len(areas)
            listed = ", ".join(f"{c} ({why})" for c, why in list(excluded_all.items())[:15])
            more = f" and {len(excluded_all) - 15} more" if len(excluded_all) > 15 else ""
            if share > 1 - self.min_coverage:
                msg = (
                    f"{len(excluded_all)} of {len(areas)} areas ({share:.0%}) are not covered by "
                    f"the road network, e.g. {listed}{more}. The network does not match the "
                    "study area: use a network that covers it (e.g. a Geofabrik county extract "
                    "via --network MODE=PATH) or narrow [area]."
                )
                raise DataFormatError(msg)
            warnings.warn(
                f"{len(excluded_all)} of {len(areas)} areas are excluded because the road network "
                f"does not cover them: {listed}{more}",
                CoverageWarning,
                stacklevel=2,
            )
        covered = areas.loc[[c for c in areas.index if str(c) not in excluded_all]]
        covered_points = points.loc[covered.index]
        from centrereach.errors import SnapWarning
        from centrereach.traveltime import DEFAULT_MAX_SNAP_M as WARN_SNAP_M

        for mode in self.modes:
            far = origin_snaps[mode].loc[covered.index, "snap_m"]
            far = far[far > WARN_SNAP_M]
            if len(far):
                listed = ", ".join(f"{code} ({dist:,.0f} m)" for code, dist in far.items())
                warnings.warn(
                    f"{len(far)} area origin(s) are more than {WARN_SNAP_M:,.0f} m from the "
                    f"{mode} network; they are kept, with the straight-line access leg: {listed}",
                    SnapWarning,
                    stacklevel=2,
                )
            logger.info("computing the %s travel-time matrix", mode)
            matrices[mode] = travel_time_matrix(
                graphs[mode],
                covered_points,
                centres,
                origin_snap=origin_snaps[mode].loc[covered.index],
                destination_snap=centre_snaps[mode],
                progress=progress,
            )
        return self.evaluate(
            matrices=matrices,
            centres=centres,
            areas=covered,
            all_areas=areas,
            excluded=excluded_all,
            graphs=graphs,
            scenarios=scenarios,
            origin_snaps={m: s.loc[covered.index] for m, s in origin_snaps.items()},
            centre_snaps=centre_snaps,
            started=started,
            data_dir=folder,
        )

    def evaluate(
        self,
        *,
        matrices: Mapping[str, pd.DataFrame],
        centres: Any,
        areas: Any,
        scenarios: Sequence[Scenario] | None = None,
        all_areas: Any = None,
        excluded: Mapping[str, str] | None = None,
        graphs: Mapping[str, Any] | None = None,
        origin_snaps: Mapping[str, pd.DataFrame] | None = None,
        centre_snaps: Mapping[str, pd.DataFrame] | None = None,
        started: dt.datetime | None = None,
        data_dir: Path | None = None,
    ) -> StudyResult:
        """Evaluate the scenarios on ready matrices (cheap: array work only)."""
        scenarios = list(scenarios) if scenarios is not None else self.scenarios(centres)
        carry = [
            c
            for c in (
                "lsoa_name",
                "lad_code",
                "lad_name",
                "imd_decile",
                "imd_rank",
                "population",
                "children",
                "under5",
            )
            if c in areas.columns
        ]
        frames = [
            evaluate_scenarios(matrix, scenarios, mode=mode, areas=areas, columns=carry)
            for mode, matrix in matrices.items()
        ]
        long = pd.concat(frames, ignore_index=True)
        if "population" not in long:
            long["population"] = np.nan
        if "children" not in long:
            long["children"] = np.nan
        summary = summary_table(long, weight=self.weight, thresholds=self.thresholds_min)
        equity = equity_table(long, weight=self.weight)
        meta = self._metadata(
            graphs or {},
            centres=centres,
            areas=areas,
            data_dir=data_dir,
            started=started,
            excluded=excluded or {},
        )
        return StudyResult(
            study=self,
            areas=long,
            summary=summary,
            equity=equity,
            centres=centres,
            area_shapes=areas,
            matrices=dict(matrices),
            scenarios={s.name: s for s in scenarios},
            excluded=dict(excluded or {}),
            origin_snaps=dict(origin_snaps or {}),
            centre_snaps=dict(centre_snaps or {}),
            metadata=meta,
            all_area_count=len(all_areas) if all_areas is not None else len(areas),
        )

    def _metadata(
        self,
        graphs: Mapping[str, Any],
        *,
        centres: Any,
        areas: Any,
        data_dir: Path | None,
        started: dt.datetime | None,
        excluded: Mapping[str, str],
    ) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        versions: dict[str, str] = {"python": sys.version.split()[0]}
        for package in (
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
        ):
            try:
                versions[package] = version(package)
            except PackageNotFoundError:
                versions[package] = "not installed"
        inputs: dict[str, Any] = {}
        sources = dict(getattr(areas, "attrs", {}).get("sources", {}))
        if self.path is not None:
            sources["study"] = f"'{self.path}'"
        if self.centres_spec.get("file"):
            with contextlib.suppress(CentrereachError):
                file = self.resolve(
                    str(self.centres_spec["file"]), data_dir=data_dir, what="centres"
                )
                sources["centres"] = f"'{file}'"
        for key, value in sources.items():
            entries = []
            for item in re.findall(r"'([^']+)'", str(value)) or [str(value)]:
                path = Path(item)
                entries.append(
                    {"path": str(path), "sha256": _sha256(path) if path.is_file() else None}
                )
            inputs[key] = entries
        networks = {}
        for mode, graph in graphs.items():
            networks[mode] = {
                "source": str(graph.graph.get("source", "")),
                "nodes": graph.number_of_nodes(),
                "edges": graph.number_of_edges(),
                "speed_model": graph.graph.get("speed_model"),
            }
            source = Path(str(graph.graph.get("source_path", "")))
            if graph.graph.get("source_path") and source.is_file():
                networks[mode]["path"] = str(source)
                networks[mode]["sha256"] = _sha256(source)
        return {
            "study": self.name,
            "title": self.title,
            "synthetic": self.synthetic,
            "started_utc": (started or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
            "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "modes": list(self.modes),
            "thresholds_min": list(self.thresholds_min),
            "weight": self.weight,
            "max_snap_m": self.max_snap_m,
            "speed_model": self.speed_model,
            "inputs": inputs,
            "networks": networks,
            "areas": {
                "vintage": getattr(areas, "attrs", {}).get("vintage"),
                "imd_edition": getattr(areas, "attrs", {}).get("imd_edition"),
                "population_years": getattr(areas, "attrs", {}).get("population_years"),
                "excluded": dict(excluded),
            },
            "centres": list(map(str, centres.index)),
            "scenarios": {k: dict(v) for k, v in self.scenario_specs.items()},
            "versions": versions,
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _network_extent(graph: Any) -> Any:
    """The convex hull of the network's nodes (EPSG:4326), slightly buffered (about 200 m)."""
    from shapely.geometry import MultiPoint

    xs = [data["x"] for _, data in graph.nodes(data=True)]
    ys = [data["y"] for _, data in graph.nodes(data=True)]
    return MultiPoint(np.column_stack([xs, ys])).convex_hull.buffer(0.002)


def _within(points: Any, shape: Any) -> np.ndarray:
    import shapely

    geoms = points.geometry.to_crs(4326).to_numpy() if points.crs else points.geometry.to_numpy()
    return np.asarray(shapely.within(geoms, shape), dtype=bool)


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------


@dataclass
class StudyResult:
    """What a study run produces: tables in memory, and :meth:`write` to put them on disk.

    Attributes
    ----------
    areas
        One row per area x scenario x mode (see docs/outputs.md for the columns).
    summary
        One row per scenario x mode x IMD decile, plus ``imd_decile = "all"``.
    equity
        Concentration index and Gini coefficient per scenario x mode.
    matrices
        Per mode, the travel-time matrix (minutes; areas x centres).

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> sorted(result.matrices), result.matrices["walk"].shape
    (['drive', 'walk'], (4, 6))
    >>> result.scenario_areas("close-two", "walk")["change_min"].ge(0).all()
    np.True_
    """

    study: Study
    areas: pd.DataFrame
    summary: pd.DataFrame
    equity: pd.DataFrame
    centres: Any
    area_shapes: Any
    matrices: dict[str, pd.DataFrame]
    scenarios: dict[str, Scenario]
    excluded: dict[str, str]
    origin_snaps: dict[str, pd.DataFrame]
    centre_snaps: dict[str, pd.DataFrame]
    metadata: dict[str, Any]
    all_area_count: int
    optimise_table: pd.DataFrame | None = None

    def areas_gdf(self) -> Any:
        """The areas table with each area's boundary (GeoDataFrame, EPSG:4326)."""
        import geopandas as gpd

        shapes = self.area_shapes.geometry.reindex(self.areas["lsoa_code"].to_numpy())
        return gpd.GeoDataFrame(self.areas.copy(), geometry=shapes.to_numpy(), crs=4326)

    def scenario_areas(self, scenario: str, mode: str) -> Any:
        """One scenario and mode: a GeoDataFrame of areas (index ``lsoa_code``)."""
        if scenario not in self.scenarios:
            from centrereach.errors import UnknownCentreError

            msg = f"no scenario {scenario!r}; the study has {', '.join(self.scenarios)}"
            raise UnknownCentreError(msg)
        part = self.areas[(self.areas["scenario"] == scenario) & (self.areas["mode"] == mode)]
        import geopandas as gpd

        shapes = self.area_shapes.geometry.reindex(part["lsoa_code"].to_numpy())
        out = gpd.GeoDataFrame(part.copy(), geometry=shapes.to_numpy(), crs=4326)
        return out.set_index("lsoa_code")

    # -- the console summary -------------------------------------------------------------------

    def headline(self, scenario: str, mode: str) -> dict[str, Any]:
        """Key figures of one scenario and mode (for the console, the report, the notebook)."""
        s = self.summary
        weight = self.study.weight
        part = s[(s["scenario"] == scenario) & (s["mode"] == mode)]
        base = s[(s["scenario"] == BASELINE) & (s["mode"] == mode)]
        first = self.study.thresholds_min[0]
        label = f"{first:g}"

        def pick(frame: pd.DataFrame, decile: str, column: str) -> float:
            row = frame[frame["imd_decile"] == decile]
            return float(row[column].iloc[0]) if len(row) else float("nan")

        deciles = sorted(int(d) for d in part["imd_decile"] if d != "all")
        lowest = str(deciles[0]) if deciles else None
        rows = self.areas[(self.areas["scenario"] == scenario) & (self.areas["mode"] == mode)]
        losers = rows.sort_values("change_min", ascending=False)
        losers = losers[losers["change_min"] > 0].head(3)
        return {
            "weight": weight,
            "most_deprived_decile": int(lowest) if lowest else None,
            "deprived_before_min": pick(base, lowest, "mean_time_min") if lowest else np.nan,
            "deprived_after_min": pick(part, lowest, "mean_time_min") if lowest else np.nan,
            "decile1_before_min": pick(base, "1", "mean_time_min"),
            "decile1_after_min": pick(part, "1", "mean_time_min"),
            "all_before_min": pick(base, "all", "mean_time_min"),
            "all_after_min": pick(part, "all", "mean_time_min"),
            "newly_beyond": pick(part, "all", f"newly_beyond_{label}"),
            "newly_beyond_decile1": pick(part, "1", f"newly_beyond_{label}"),
            "threshold_min": first,
            "areas_losing": int((rows["change_min"] > 0).sum()),
            "weight_losing": float(rows.loc[rows["change_min"] > 0, weight].sum()),
            "worst": [
                (
                    str(r.lsoa_code),
                    str(getattr(r, "lsoa_name", "")),
                    float(r.change_min),
                    float(r.baseline_time_min),
                    float(r.time_min),
                )
                for r in losers.itertuples()
            ],
        }

    def console_summary(self) -> str:
        """A short summary a councillor can read (plain words, every number with its unit)."""
        weight_word = {"children": "children", "population": "people", "under5": "under-fives"}[
            self.study.weight
        ]
        lines = [self.study.title]
        if self.study.synthetic:
            lines[0] += " (SYNTHETIC DATA - not a real place)"
        covered = self.all_area_count - len(self.excluded)
        lines.append(
            f"{covered} of {self.all_area_count} areas covered"
            + (
                f" ({len(self.excluded)} excluded: outside the road network)"
                if self.excluded
                else ""
            )
            + f"; {len(self.centres)} centres."
        )
        for scenario in self.scenarios.values():
            if scenario.name == BASELINE:
                continue
            for mode in self.study.modes:
                h = self.headline(scenario.name, mode)
                if h["most_deprived_decile"] is None:
                    what = "no deprivation data"
                else:
                    decile = h["most_deprived_decile"]
                    group = (
                        "in the 10% most deprived areas"
                        if decile == 1
                        else f"in the most deprived areas here (IMD decile {decile})"
                    )
                    what = (
                        f"{weight_word} {group}, mean {h['deprived_before_min']:.1f} -> "
                        f"{h['deprived_after_min']:.1f} min"
                    )
                lines.append(
                    f"{scenario.label}, {mode}: {what}; all {weight_word} "
                    f"{h['all_before_min']:.1f} -> {h['all_after_min']:.1f} min; "
                    f"{h['newly_beyond']:,.0f} {weight_word} newly beyond "
                    f"{h['threshold_min']:g} min."
                )
                if h["worst"]:
                    worst = "; ".join(
                        f"{name or code} +{change:.1f} min ({before:.1f} -> {after:.1f})"
                        for code, name, change, before, after in h["worst"]
                    )
                    lines.append(f"  losing most: {worst}")
        return "\n".join(lines)

    # -- the best alternative ------------------------------------------------------------------

    def optimise(
        self,
        *,
        keep: int,
        objective: str = "mean-time",
        mode: str | None = None,
        threshold_min: float | None = None,
        must_open: Sequence[str] = (),
        must_close: Sequence[str] = (),
        per_district: int = 0,
    ) -> tuple[Any, StudyResult, pd.DataFrame]:
        """Find the best ``keep`` centres to keep and compare every scenario with them.

        Parameters
        ----------
        keep
            Number of centres to keep open.
        objective
            ``mean-time``, ``coverage``, ``equity`` or ``minmax-decile`` (see
            :mod:`centrereach.optimise`).
        mode
            The mode whose matrix is optimised (default: the study's first mode).
        threshold_min
            Minutes, for ``coverage`` (default: the study's first threshold).
        must_open, must_close
            Centre ids that must stay open / must close.
        per_district
            Keep at least this many centres in each district (the centres file's ``district``
            column).

        Returns
        -------
        tuple
            The :class:`~centrereach.optimise.OptimiseResult`; a new :class:`StudyResult` with the
            optimum added as scenario ``best-keep-<K>`` (so its tables, maps and report show it);
            and a comparison table (one row per scenario: value, shortfall against the optimum,
            centres that differ).
        """
        from centrereach.optimise import optimise as run_optimise

        mode = mode or self.study.modes[0]
        matrix = self.matrices[mode]
        shapes = self.area_shapes.reindex(matrix.index)
        weights = shapes[self.study.weight].fillna(0).astype(float)
        deciles = shapes.get("imd_decile")
        groups = self.centres["district"] if per_district and "district" in self.centres else None
        if objective == "coverage" and threshold_min is None:
            threshold_min = self.study.thresholds_min[0]
        best = run_optimise(
            matrix,
            weights,
            keep=keep,
            objective=objective,
            threshold_min=threshold_min if objective == "coverage" else None,
            deciles=deciles.astype(float) if deciles is not None else None,
            must_open=must_open,
            must_close=must_close,
            groups=groups,
            min_per_group=per_district,
        )
        name = f"best-keep-{keep}"
        label = f"Best {keep} to keep ({objective}, {mode})"
        scenario = Scenario(
            name,
            label,
            tuple(str(c) for c in best.open_centres),
            tuple(str(c) for c in best.closed_centres),
            description=f"The {keep} centres that optimise {objective} on the {mode} matrix.",
        )
        scenarios = [s for s in self.scenarios.values() if s.name != name] + [scenario]
        extended = self.study.evaluate(
            matrices=self.matrices,
            centres=self.centres,
            areas=self.area_shapes,
            scenarios=scenarios,
            excluded=self.excluded,
            origin_snaps=self.origin_snaps,
            centre_snaps=self.centre_snaps,
        )
        extended.metadata = {
            **self.metadata,
            "optimise": {
                "keep": keep,
                "objective": objective,
                "mode": mode,
                "threshold_min": threshold_min,
                "open_centres": list(scenario.open_centres),
                "value": best.value,
                "unit": best.unit,
                "method": best.method,
                "optimal": best.optimal,
                "runtime_s": best.runtime_s,
            },
        }
        extended.all_area_count = self.all_area_count
        rows = []
        for other in self.scenarios.values():
            cmp = best.compare(other.open_centres)
            rows.append(
                {
                    "scenario": other.name,
                    "label": other.label,
                    "open_centres": other.n_open,
                    "objective": objective,
                    "mode": mode,
                    "value": cmp.value,
                    "best_value": cmp.optimum,
                    "unit": cmp.unit,
                    "shortfall": cmp.shortfall,
                    "shortfall_pct": 100 * cmp.relative if np.isfinite(cmp.relative) else np.nan,
                    "open_here_closed_in_best": " ".join(map(str, cmp.only_given)),
                    "closed_here_open_in_best": " ".join(map(str, cmp.only_optimum)),
                    "swaps": cmp.swaps,
                }
            )
        rows.append(
            {
                "scenario": name,
                "label": label,
                "open_centres": keep,
                "objective": objective,
                "mode": mode,
                "value": best.value,
                "best_value": best.value,
                "unit": best.unit,
                "shortfall": 0.0,
                "shortfall_pct": 0.0,
                "open_here_closed_in_best": "",
                "closed_here_open_in_best": "",
                "swaps": 0,
            }
        )
        comparison = pd.DataFrame(rows)
        extended.optimise_table = comparison
        return best, extended, comparison

    # -- writing -----------------------------------------------------------------------------

    def write(
        self, folder: str | os.PathLike[str], *, maps: bool = True, offline: bool = False
    ) -> Path:
        """Write every output into ``folder`` atomically and return its path.

        The outputs are built in a temporary folder beside ``folder`` and swapped into place
        only when all are complete, so a failed or interrupted run leaves the previous outputs
        (or nothing) and never a half-written set.
        """
        target = Path(folder).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
        try:
            self._write_all(tmp, maps=maps, offline=offline)
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.old-{os.getpid()}")
                target.rename(backup)
            tmp.rename(target)
            if backup is not None:
                shutil.rmtree(backup, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    def _write_all(self, folder: Path, *, maps: bool, offline: bool = False) -> None:
        areas = self.areas
        synthetic_note = "SYNTHETIC DATA - invented for a demonstration; not a real place."
        areas_out = areas.copy()
        if self.study.synthetic:
            areas_out.insert(0, "note", synthetic_note)
        areas_out.to_csv(folder / "areas.csv", index=False, float_format="%.3f")
        gdf = self.areas_gdf()
        if self.study.synthetic:
            gdf.insert(0, "note", synthetic_note)
        gdf.to_file(folder / "areas.gpkg", layer="areas", driver="GPKG")
        summary = self.summary.copy()
        equity = self.equity.copy()
        if self.study.synthetic:
            summary.insert(0, "note", synthetic_note)
            equity.insert(0, "note", synthetic_note)
        summary.to_csv(folder / "summary.csv", index=False, float_format="%.3f")
        equity.to_csv(folder / "equity.csv", index=False, float_format="%.4f")
        for mode, matrix in self.matrices.items():
            matrix.to_csv(folder / f"matrix_{mode}.csv", float_format="%.3f")
        with pd.ExcelWriter(folder / "results.xlsx", engine="openpyxl") as writer:
            about = pd.DataFrame(
                {
                    "item": ["study", "title", "weight", "units", "data"],
                    "value": [
                        self.study.name,
                        self.study.title,
                        self.study.weight,
                        "times in minutes; within_*_pct in percent; counts in people",
                        synthetic_note if self.study.synthetic else "see study.json",
                    ],
                }
            )
            about.to_excel(writer, sheet_name="about", index=False)
            summary.to_excel(writer, sheet_name="summary", index=False)
            equity.to_excel(writer, sheet_name="equity", index=False)
            areas_out.to_excel(writer, sheet_name="areas", index=False)
        if self.optimise_table is not None:
            self.optimise_table.to_csv(folder / "optimise.csv", index=False, float_format="%.4f")
        (folder / "study.json").write_text(
            json.dumps(self.metadata, indent=2, default=str), encoding="utf-8"
        )
        if maps:
            import importlib
            import importlib.util

            if importlib.util.find_spec("centrereach.report") is not None:
                importlib.import_module("centrereach.report").write_outputs(
                    self, folder, offline=offline
                )
