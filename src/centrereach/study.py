"""The study file: a TOML file a planner edits, parsed and validated into a :class:`Study`.

A study names the area, the data, the centres, the road networks, the modes, the scenarios, the
thresholds and the weight. :meth:`Study.from_toml` reads and checks a study file (every error
names the key and its line); :meth:`Study.run` hands the study to the pipeline
(:mod:`centrereach.run`), which returns a :class:`~centrereach.results.StudyResult`. See
``docs/study-file.md`` for every key.

>>> from centrereach.study import STUDY_KEYS
>>> sorted(STUDY_KEYS)
['analysis', 'area', 'centres', 'data', 'network', 'scenarios', 'study']
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from centrereach import _settings, sources
from centrereach.errors import DataNotFoundError, StudyFileError
from centrereach.metrics import DEFAULT_THRESHOLDS_MIN
from centrereach.network import Mode
from centrereach.results import StudyResult
from centrereach.run import run_study
from centrereach.scenarios import BASELINE, Scenario, scenario_from_spec

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = ["STUDY_KEYS", "Study"]

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

MODES = tuple(m.value for m in Mode)
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


@dataclass(frozen=True)
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
    centres: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    networks: Mapping[str, nx.MultiDiGraph] = field(default_factory=dict)

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

    def base_dir(self) -> Path:
        """The folder relative paths in the study file start from (the study file's own)."""
        return self.path.parent if self.path is not None else Path.cwd()

    def data_folder(self, data_dir: str | os.PathLike[str] | None = None) -> Path | None:
        """The local data folder: ``data_dir``, else ``$CENTREREACH_DATA_DIR``, else ``[data] dir``.

        Returns None when none is set (datasets then come from the cache or a download).
        """
        dir_value = self.data.get("dir")
        return _settings.data_dir(
            data_dir, study_value=str(dir_value) if dir_value else None, base=self.base_dir()
        )

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
            path = self.base_dir() / path
        if path.exists():
            return path
        if "/" not in value and "\\" not in value and "." not in Path(value).name:
            return Path(sources.fetch(value, data_dir=data_dir))
        msg = f"the {what} {value!r} was not found (looked for {path})."
        raise DataNotFoundError(msg)

    def _resolve_many(self, value: Any, *, data_dir: Path | None, what: str) -> list[Path]:
        if value is None:
            return []
        items = [value] if isinstance(value, str) else list(value)
        return [self.resolve(str(v), data_dir=data_dir, what=what) for v in items]

    def scenarios(self, centres: gpd.GeoDataFrame) -> list[Scenario]:
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
        network_files: Mapping[str, str | os.PathLike[str]] | None = None,
        progress: bool = True,
        client: Any = None,
    ) -> StudyResult:
        """Load the inputs, compute the travel-time matrices and evaluate every scenario.

        Parameters
        ----------
        data_dir
            Local data folder (else ``CENTREREACH_DATA_DIR``, else ``[data] dir``, else the
            cache and downloads).
        network_files
            Per mode, a network file to use instead of the study file's ``[network]`` entry.
        progress
            Show progress bars.
        client
            A ``distributed.Client``: the matrices and scenarios are split between the workers
            of its Dask cluster (same results; see ``docs/national.md``). ``None`` (default):
            everything runs here.

        Returns
        -------
        StudyResult
            The tables and labels; :func:`centrereach.write_outputs` writes them.
        """
        return run_study(
            self, data_dir=data_dir, network_files=network_files, progress=progress, client=client
        )
