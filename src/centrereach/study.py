"""The study file: a TOML file a planner edits, parsed and validated into a :class:`Study`.

A study names the area, the data, the centres, the road networks, the modes (``drive``,
``walk``, ``transit``, ``cycle``), the public transport timetables and window (``[transit]``),
the scenarios, the thresholds and the weight. :meth:`Study.from_toml` reads and checks a study
file (every error names the key and its line); :meth:`Study.run` hands the study to the pipeline
(:mod:`centrereach.run`), which returns a :class:`~centrereach.results.StudyResult`. See
``docs/study-file.md`` for every key.

>>> from centrereach.study import STUDY_KEYS
>>> sorted(STUDY_KEYS)
['analysis', 'area', 'centres', 'data', 'network', 'scenarios', 'study', 'transit']
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from centrereach import _settings, sources
from centrereach.areas import COUNTRIES
from centrereach.errors import (
    CentrereachError,
    DataNotFoundError,
    EncodingError,
    StudyFileError,
)
from centrereach.gtfs import Feed
from centrereach.metrics import DEFAULT_THRESHOLDS_MIN
from centrereach.network import Mode
from centrereach.results import StudyResult
from centrereach.run import run_study
from centrereach.scenarios import BASELINE, Scenario, scenario_from_spec
from centrereach.transit import DepartureWindow

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from centrereach.netarrays import NetworkArrays

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
        "country": "England or Wales (every LSOA in it: a national study)",
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
        "walk": "'download', or an .osm.pbf / .osm / .graphml file (transit walks on it too)",
        "cycle": "'download', or an .osm.pbf / .osm / .graphml file",
        "buffer_m": "metres added around the study area when downloading (default 10000)",
        "source": "where 'download' gets roads: geofabrik or overpass (default: Geofabrik's "
        "county extracts where its index covers the area, else the Overpass API)",
    },
    "analysis": {
        "modes": "list of modes: drive, walk, transit, cycle",
        "thresholds_min": "list of minutes (default [15, 30, 45, 60])",
        "weight": "children, population or under5",
        "max_snap_m": "areas whose origin is farther than this from the network are excluded",
        "speed_model": "realistic (default) or free-flow",
        "min_coverage": "fraction of areas that must be covered (default 0.5)",
        "matrix": "auto (default), full or nearest: every area to every centre, or each "
        "area's k nearest centres (auto: nearest above 10 million area-centre pairs)",
        "nearest_k": "centres kept per area when the matrix is not full (default 12, >= 2)",
    },
    "transit": {
        "gtfs": "GTFS feed(s): a dataset id (bods-gtfs-east-midlands), a .zip or a folder; list",
        "date": "the service day, YYYY-MM-DD (JTS: a Tuesday in October)",
        "window": "departure window HH:MM-HH:MM, end excluded (default 07:00-10:00)",
        "step_min": "minutes between departures (default 1)",
        "statistic": "median (default), mean, or a percentile such as p75",
        "max_access_walk_min": "longest walk to the first / from the last stop (default 30)",
        "max_transfer_walk_min": "longest walk between stops to change (default 15)",
    },
    "scenarios": {},
}

MODES = tuple(m.value for m in Mode)
WEIGHTS = ("children", "population", "under5")
SPEED_MODELS = ("realistic", "free-flow")
MATRIX_METHODS = ("auto", "full", "nearest")
#: Above this many area-centre pairs, ``matrix = "auto"`` keeps each area's k nearest centres
#: instead of the full matrix (80 MB of minutes, and one network search per centre).
FULL_MATRIX_LIMIT = 10_000_000
NETWORK_SOURCES = ("geofabrik", "overpass")
LOCATIONS = ("latlon", "en", "postcode", "geometry")
DEFAULT_MAX_SNAP_M = 1_000.0


#: Allowed range of each number in a study file: (lowest, highest, lowest allowed itself, words).
NUMBER_RANGES: dict[str, tuple[float, float, bool, str]] = {
    "max_snap_m": (0.0, 100_000.0, False, "a distance in metres, more than 0 and at most 100000"),
    "min_coverage": (0.0, 1.0, True, "a fraction of the areas, from 0 to 1 (e.g. 0.5)"),
    "buffer_m": (0.0, 100_000.0, True, "a distance in metres, from 0 to 100000"),
    "thresholds_min": (0.0, 1_440.0, False, "minutes, more than 0 and at most 1440 (a day)"),
    "max_access_walk_min": (0.0, 120.0, False, "minutes, more than 0 and at most 120"),
    "max_transfer_walk_min": (0.0, 60.0, True, "minutes, from 0 to 60"),
    "nearest_k": (2.0, 1_000.0, True, "a whole number of centres, from 2 to 1000"),
}


def _number_problem(key: str, value: Any) -> str | None:
    """Why ``value`` is not allowed for ``key`` (see :data:`NUMBER_RANGES`), or None."""
    low, high, low_ok, words = NUMBER_RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be {words}, not {value!r}"
    if not math.isfinite(value):
        return f"must be {words}, not {value!r} (a finite number)"
    if key == "nearest_k" and value != int(value):
        return f"must be {words}, not {value!r}"
    if value < low or (value == low and not low_ok) or value > high:
        return f"must be {words}, not {value!r}"
    return None


def _decode(raw: bytes, file: Path) -> str:
    """The text of a study file: UTF-8, or UTF-8/UTF-16/UTF-32 marked by a byte-order mark."""
    marks = (
        (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
        (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
        (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    )
    for mark, codec, name in marks:
        if raw.startswith(mark):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                msg = (
                    f"{file}: the study file starts with a {name} byte-order mark but is not "
                    f"valid {name} text ({exc.reason} at byte {exc.start}). Save it as UTF-8."
                )
                raise EncodingError(msg) from exc
    save = (
        "Save it as UTF-8 (in Notepad: File > Save as, Encoding: UTF-8; in other editors, "
        "choose the UTF-8 encoding)."
    )
    if b"\x00" in raw:
        msg = (
            f"{file}: the study file must be UTF-8 text, and this one holds zero bytes: it looks "
            f"like UTF-16 without a byte-order mark. {save}"
        )
        raise EncodingError(msg)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        try:
            raw.decode("cp1252")
            looks = "it looks like Windows-1252 ('ANSI') text"
        except UnicodeDecodeError:
            looks = "an encoding centrereach does not guess"
        msg = (
            f"{file}, line {line}, column {column}: the study file must be UTF-8 text, but byte "
            f"0x{raw[exc.start]:02X} is not UTF-8 ({looks}). {save}"
        )
        raise EncodingError(msg) from exc


def _as_list(value: Any) -> list[Any]:
    """A study-file value that may be one item or a list of them, as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


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
        """A number within its allowed range (:data:`NUMBER_RANGES`)."""
        value = self.table(table).get(key, default)
        problem = _number_problem(key, value)
        if problem:
            raise self.fail(table, key, problem)
        return float(value)

    def flag(self, table: str, key: str, default: bool) -> bool:
        value = self.table(table).get(key, default)
        if not isinstance(value, bool):
            raise self.fail(table, key, f"must be true or false (no quotes), not {value!r}")
        return value


def _thresholds(reader: _Reader) -> tuple[float, ...]:
    value = reader.table("analysis").get("thresholds_min", list(DEFAULT_THRESHOLDS_MIN))
    if not isinstance(value, list) or not value:
        raise reader.fail(
            "analysis", "thresholds_min", "must be a list of minutes, e.g. [15, 30, 45, 60]"
        )
    for item in value:
        problem = _number_problem("thresholds_min", item)
        if problem:
            raise reader.fail("analysis", "thresholds_min", f"each value {problem}")
    if len(set(value)) != len(value):
        raise reader.fail(
            "analysis", "thresholds_min", f"has a value twice ({value!r}); give each once"
        )
    return tuple(float(t) for t in value)


def _ids(reader: _Reader, table: str, key: str, value: Any) -> list[str]:
    """Centre ids: a list of quoted strings, or one quoted string (one id)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise reader.fail(
            table, key, f'must be a list of quoted centre ids, e.g. ["ketton"]; got {value!r}'
        )
    return list(value)


def _scenario_tables(reader: _Reader) -> dict[str, dict[str, Any]]:
    scenarios = reader.table("scenarios")
    out: dict[str, dict[str, Any]] = {}
    file_names: dict[str, str] = {}
    for scen_name, spec in scenarios.items():
        table = f"scenarios.{scen_name}"
        if not isinstance(spec, Mapping):
            raise reader.fail("scenarios", scen_name, "must be a table [scenarios.NAME]")
        if scen_name == BASELINE:
            raise reader.fail(
                table,
                None,
                "'baseline' (every centre open) is always included; give your scenario another "
                "name",
            )
        if not scen_name.strip() or any(ord(c) < 32 for c in scen_name):
            raise reader.fail(table, None, "a scenario needs a name of visible characters")
        # Maps are files named after the scenario: two names that differ only in punctuation or
        # case would be easy to confuse, and on Windows and macOS one file.
        base = re.sub(r"[^A-Za-z0-9_.]+", "-", scen_name).strip("-.").casefold()
        if base in file_names:
            raise reader.fail(
                table,
                None,
                f"the scenarios {file_names[base]!r} and {scen_name!r} differ only in "
                f"punctuation or upper and lower case (both are {base!r} in file names). Rename "
                "one of them.",
            )
        file_names[base] = scen_name
        allowed = {"label", "description", "close", "keep", "where"}
        for key in spec:
            if key not in allowed:
                raise reader.fail(
                    table, key, f"unknown key. Allowed keys: {', '.join(sorted(allowed))}."
                )
        given = [k for k in ("close", "keep", "where") if k in spec]
        if len(given) != 1:
            raise reader.fail(table, None, "give exactly one of 'close', 'keep' or 'where'")
        clean = dict(spec)
        for key in ("label", "description", "where"):
            if key in spec and not isinstance(spec[key], str):
                raise reader.fail(table, key, f"must be a quoted string, not {spec[key]!r}")
        for key in ("close", "keep"):
            if key in spec:
                clean[key] = _ids(reader, table, key, spec[key])
        out[scen_name] = clean
    return out


def _area_table(reader: _Reader) -> dict[str, Any]:
    area = dict(reader.table("area"))
    if "districts" in area:
        area["districts"] = reader.strings("area", "districts")
    for key in ("county", "polygon", "description"):
        reader.string("area", key)
    country = reader.string("area", "country")
    if country is not None and country.strip().casefold() not in COUNTRIES:
        raise reader.fail(
            "area", "country", f"{country!r} is not a country of the LSOAs. Allowed values: "
            "England, Wales (or their ONS codes E92000001, W92000004).",
        )  # fmt: skip
    given = [k for k in ("polygon", "districts", "county", "country") if k in area]
    if len(given) > 1:
        raise reader.fail(
            "area", given[1], f"the study area is given twice ({' and '.join(given)}): keep one "
            "of them.",
        )  # fmt: skip
    return area


def _data_table(reader: _Reader) -> dict[str, Any]:
    data = dict(reader.table("data"))
    for key in data:
        if key == "population":
            data[key] = reader.strings("data", key)
        else:
            reader.string("data", key)
    return data


def _centres_table(reader: _Reader) -> dict[str, Any]:
    centres = dict(reader.table("centres"))
    if "file" not in centres:
        raise reader.fail("centres", "file", "is required: the path of the centres file")
    for key in ("file", "postcodes", "status_column"):
        reader.string("centres", key)
    if "location" in centres:
        reader.choice("centres", "location", LOCATIONS, "latlon")
    if "include" in centres:
        centres["include"] = _ids(reader, "centres", "include", centres["include"])
    return centres


def _network_table(reader: _Reader, modes: Sequence[str]) -> dict[str, Any]:
    network = dict(reader.table("network"))
    for mode in MODES:
        reader.string("network", mode)
    for mode in modes:
        needed = "walk" if mode == "transit" else mode
        if needed not in network:
            why = " (public transport walks on it to and from stops)" * (mode == "transit")
            raise reader.fail(
                "network",
                needed,
                f"is missing: say where the {needed} network comes from "
                f"('download', or an .osm.pbf/.graphml file){why}",
            )
    if "buffer_m" in network:
        network["buffer_m"] = reader.number("network", "buffer_m", 10_000.0)
    if "source" in network:
        reader.choice("network", "source", NETWORK_SOURCES, "geofabrik")
    return network


# --------------------------------------------------------------------------------------------
# the study
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Study:
    """A study: inputs, scenarios and settings. Build with :meth:`from_toml` or directly.

    When built directly (in a notebook, or by the synthetic demo), ``centres``, ``areas``,
    ``networks`` and ``feeds`` may be given as ready GeoDataFrames, networks (networkx graphs,
    or :class:`~centrereach.netarrays.NetworkArrays`) and GTFS feeds; :meth:`run` then skips
    loading. ``transit_spec`` holds the ``[transit]`` table (``date``,
    ``window``, ``step_min``, ``statistic``, ``gtfs``, the walking limits). ``matrix``
    (``"auto"``, ``"full"`` or ``"nearest"``) and ``nearest_k`` say whether the road times are
    the full matrix or each area's ``nearest_k`` nearest centres (:meth:`matrix_method`).

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
    matrix: str = "auto"
    nearest_k: int = 12
    path: Path | None = None
    centres: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    networks: Mapping[str, nx.MultiDiGraph | NetworkArrays] = field(default_factory=dict)
    transit_spec: Mapping[str, Any] = field(default_factory=dict)
    feeds: tuple[Feed, ...] = ()

    # -- construction -------------------------------------------------------------------------

    def __post_init__(self) -> None:
        """Check the settings of a study built directly (``from_toml`` checks them first)."""
        bad = [m for m in self.modes if m not in MODES]
        if not self.modes or bad:
            msg = f"modes must be some of {', '.join(MODES)}; got {list(self.modes)!r}"
            raise StudyFileError(msg)
        checks: tuple[tuple[str, list[Any]], ...] = (
            ("max_snap_m", [self.max_snap_m]),
            ("min_coverage", [self.min_coverage]),
            ("thresholds_min", list(self.thresholds_min) or [None]),
            ("nearest_k", [self.nearest_k]),
        )
        if self.matrix not in MATRIX_METHODS:
            msg = f"matrix must be one of {', '.join(MATRIX_METHODS)}; got {self.matrix!r}"
            raise StudyFileError(msg)
        for key, values in checks:
            for value in values:
                problem = _number_problem(key, value)
                if problem:
                    msg = f"{key} {problem}"
                    raise StudyFileError(msg)
        if len(set(self.thresholds_min)) != len(self.thresholds_min):
            msg = f"thresholds_min has a value twice: {list(self.thresholds_min)!r}"
            raise StudyFileError(msg)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Study:
        """Read a study file.

        The file is UTF-8 text (a byte-order mark for UTF-8, UTF-16 or UTF-32 is understood).
        Raises :class:`~centrereach.errors.StudyFileError` naming the key and its line, with the
        allowed values, for any invalid entry, and :class:`~centrereach.errors.EncodingError`
        for a file in another encoding.
        """
        file = Path(path)
        if not file.is_file():
            what = "a folder, not a study file" if file.is_dir() else "no such study file"
            msg = f"{file}: {what}."
            raise DataNotFoundError(msg)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            msg = f"{file}: cannot read the study file ({exc.strerror or exc})."
            raise DataNotFoundError(msg) from exc
        text = _decode(raw, file)
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
        thresholds = _thresholds(reader)
        scenarios = _scenario_tables(reader)
        area = _area_table(reader)
        data_table = _data_table(reader)
        centres_table = _centres_table(reader)
        network = _network_table(reader, modes)
        output = reader.string("study", "output", None)
        if output is not None and Path(output.strip()).name in ("", ".", ".."):
            raise reader.fail(
                "study",
                "output",
                f"{output!r} does not name a folder of its own; centrereach replaces its output "
                'folder on every run. Give one, e.g. output = "output/NAME".',
            )
        notes = reader.strings("study", "notes") or []
        transit = _transit_table(reader, needs_date="transit" in modes)
        return cls(
            name=name,
            title=reader.string("study", "title", name) or name,
            description=reader.string("study", "description", "") or "",
            notes=tuple(notes),
            output=output,
            synthetic=reader.flag("study", "synthetic", False),
            scenario_specs=scenarios,
            modes=tuple(modes),
            thresholds_min=thresholds,
            weight=reader.choice("analysis", "weight", WEIGHTS, "children"),
            area=area,
            data=data_table,
            centres_spec=centres_table,
            network_spec=network,
            max_snap_m=reader.number("analysis", "max_snap_m", DEFAULT_MAX_SNAP_M),
            min_coverage=reader.number("analysis", "min_coverage", 0.5),
            speed_model=reader.choice("analysis", "speed_model", SPEED_MODELS, "realistic"),
            matrix=reader.choice("analysis", "matrix", MATRIX_METHODS, "auto"),
            nearest_k=int(reader.number("analysis", "nearest_k", 12)),
            path=file.resolve(),
            transit_spec=transit,
        )

    def matrix_method(self, n_areas: int, n_centres: int) -> str:
        """``"full"`` or ``"nearest"``: how a run with this many areas and centres routes.

        ``[analysis] matrix`` decides; ``"auto"`` keeps the full matrix (every area to every
        centre: the optimiser and ``matrix_<mode>.csv`` need it) up to
        :data:`FULL_MATRIX_LIMIT` area-centre pairs, and each area's ``nearest_k`` nearest
        centres above (the answer to every closure scenario is the same, see
        :class:`~centrereach.traveltime.NearestCentres`). With no more centres than
        ``nearest_k`` the lists would hold every centre: the matrix is full.

        >>> study = Study(name="t", title="T")
        >>> study.matrix_method(600, 22), study.matrix_method(33_755, 3_000)
        ('full', 'nearest')
        >>> Study(name="t", title="T", matrix="nearest").matrix_method(600, 12)
        'full'
        """
        if n_centres <= self.nearest_k:
            return "full"
        if self.matrix == "auto":
            return "nearest" if n_areas * n_centres > FULL_MATRIX_LIMIT else "full"
        return self.matrix

    def output_folder(
        self, out: str | os.PathLike[str] | None = None, *, kind: str = "run"
    ) -> Path:
        """The output folder: ``out`` if given, else ``[study] output``, else ``output/<name>``.

        For ``kind="optimise"`` the default is a sibling folder ``<name>-optimise``.

        >>> Study(name="t", title="T").output_folder(kind="optimise").as_posix()
        'output/t-optimise'
        """
        if out is not None:
            return Path(out)
        default = Path(self.output) if self.output else Path("output") / self.name
        return default.with_name(f"{self.name}-optimise") if kind == "optimise" else default

    def input_paths(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        network_files: Mapping[str, str | os.PathLike[str]] | None = None,
    ) -> tuple[Path, ...]:
        """The files and folders a run reads, as far as known before it runs.

        The study file, the data folder, the download cache and every value that names a file
        (dataset ids are found in the data folder or the cache). An output folder must be none
        of these, nor hold any (see :func:`centrereach.outputs.claim_output_folder`).

        >>> study = Study(name="t", title="T", centres_spec={"file": "/srv/centres.csv"})
        >>> Path("/srv/centres.csv") in study.input_paths()
        True
        """
        found: list[Path] = []
        if self.path is not None:
            found.append(self.path)
        folder = self.data_folder(data_dir)
        if folder is not None:
            found.append(folder)
        found.append(_settings.cache_dir())
        values = [v for k, v in self.data.items() if k != "dir"]
        values += [self.centres_spec.get("file"), self.centres_spec.get("postcodes")]
        values += [self.area.get("polygon")] + [self.network_spec.get(m) for m in MODES]
        cache = found[-1]
        for value in values:
            for item in _as_list(value):
                path = self._path_of(str(item), folder)
                if path is not None:
                    found.append(path)
                    continue
                try:  # a dataset id: where its file sits in the data folder or the cache
                    names = sources.dataset(str(item)).candidate_names
                except CentrereachError:
                    continue  # not a known id ('download', or a typo the run will name)
                found += [root / n for root in (folder, cache) if root is not None for n in names]
        found += [Path(v) for v in (network_files or {}).values()]
        return tuple(found)

    def _path_of(self, value: str, data_dir: Path | None) -> Path | None:
        """The path a study-file value names, or None for a dataset id or ``download``."""
        if value.startswith("data:"):
            return data_dir / value[len("data:") :] if data_dir is not None else None
        if value == "download" or (
            "/" not in value and "\\" not in value and "." not in Path(value).name
        ):
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir() / path

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

    def transit_window(self) -> DepartureWindow:
        """The public transport departures and statistic of ``[transit]`` (a DepartureWindow).

        Raises
        ------
        centrereach.errors.StudyFileError
            When ``[transit]`` has no ``date`` or an invalid entry.

        Examples
        --------
        >>> Study("s", "S", transit_spec={"date": "2024-10-08"}).transit_window()
        DepartureWindow(2024-10-08 (Tuesday), 07:00-10:00 every 1 min, median)
        """
        spec = self.transit_spec
        if not spec.get("date"):
            msg = (
                f"study '{self.name}': public transport needs a date: add date = \"YYYY-MM-DD\" "
                "(a weekday the timetables run, e.g. a Tuesday in term time) to [transit]"
            )
            raise StudyFileError(msg)
        try:
            return DepartureWindow.parse(
                spec["date"],
                window=str(spec.get("window", "07:00-10:00")),
                step_min=spec.get("step_min", 1),
                statistic=str(spec.get("statistic", "median")),
            )
        except ValueError as err:
            msg = f"study '{self.name}', [transit]: {err}"
            raise StudyFileError(msg) from err

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
        gtfs: Sequence[str | os.PathLike[str]] | None = None,
        progress: bool = True,
        refresh: bool = False,
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
        gtfs
            GTFS feeds (zip files, folders or dataset ids) to use instead of ``[transit] gtfs``.
        progress
            Show progress bars.
        refresh
            Ask the server now whether downloaded road extracts changed (see
            :func:`centrereach.load_network`), however young the cached copies are.
        client
            A ``distributed.Client``: the matrices and scenarios are split between the workers
            of its Dask cluster (same results; see ``docs/national.md``). ``None`` (default):
            everything runs here.

        Returns
        -------
        StudyResult
            The tables and labels; :func:`centrereach.write_outputs` writes them.
        """
        return run_study(self, data_dir=data_dir, network_files=network_files, gtfs=gtfs,
                         progress=progress, refresh=refresh,
                         client=client)  # fmt: skip


def _transit_table(reader: _Reader, *, needs_date: bool) -> dict[str, Any]:
    """The ``[transit]`` table, checked key by key (errors name the key and its line)."""
    table = dict(reader.table("transit"))
    if not table:
        if needs_date:
            raise reader.fail(
                "analysis",
                "modes",
                "lists 'transit', which needs a [transit] table with at least "
                'date = "YYYY-MM-DD" (and gtfs = the timetables)',
            )
        return table
    gtfs = reader.strings("transit", "gtfs")
    if gtfs is not None:
        table["gtfs"] = gtfs
    date = table.get("date")
    if date is None:
        if needs_date:
            raise reader.fail(
                "transit", None, 'needs date = "YYYY-MM-DD": the day whose timetables are used'
            )
    else:
        if isinstance(date, dt.date) and not isinstance(date, dt.datetime):
            date = table["date"] = date.isoformat()  # a bare TOML date
        if not isinstance(date, str):
            raise reader.fail("transit", "date", f'must be a date "YYYY-MM-DD", not {date!r}')
        try:
            DepartureWindow.parse(date)
        except ValueError as err:
            raise reader.fail("transit", "date", str(err)) from None
    window = table.get("window", "07:00-10:00")
    if not isinstance(window, str):
        raise reader.fail("transit", "window", f'must be "HH:MM-HH:MM", not {window!r}')
    step = table.get("step_min", 1)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise reader.fail(
            "transit", "step_min", f"must be a whole number of minutes >= 1, not {step!r}"
        )
    statistic = table.get("statistic", "median")
    if not isinstance(statistic, str):
        raise reader.fail("transit", "statistic", f"must be a quoted string, not {statistic!r}")
    day = dt.date(2024, 10, 8)
    try:
        DepartureWindow.parse(day, window=window)
    except ValueError as err:
        raise reader.fail("transit", "window", str(err)) from None
    try:
        DepartureWindow.parse(day, statistic=statistic)
    except ValueError as err:
        raise reader.fail("transit", "statistic", str(err)) from None
    for key in ("max_access_walk_min", "max_transfer_walk_min"):
        if key in table:
            table[key] = reader.number("transit", key, 0.0)
    return table
