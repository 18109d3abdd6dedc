"""Road and footpath networks: read PBF/XML/GraphML, download with a cache, UK speeds.

:func:`load_network` returns an osmnx-compatible, **unprojected** ``networkx.MultiDiGraph``
(node ``x`` = longitude, ``y`` = latitude, ``G.graph["crs"] == "epsg:4326"``; node ids are
OpenStreetMap ids) whose every edge has ``length`` (m), ``speed_kph`` (km/h), ``travel_time``
(s) and ``highway``. Graphs are built the way osmnx builds them from the same data: osmnx's
``"drive"``, ``"walk"`` or ``"bike"`` (our ``"cycle"``) way filter, osmnx's one-way rules,
great-circle edge lengths and the largest weakly connected component. Every node of every
way is kept (osmnx's ``simplify=False``), so points snap to the road beside them rather than
to the nearest junction; ``simplify=True`` runs :func:`osmnx.simplify_graph` instead. See
``docs/method-network.md``.

Examples
--------
>>> from centrereach.network import Mode
>>> Mode("walk") is Mode.WALK
True
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import groupby, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from centrereach._io import atomic_path
from centrereach.errors import NetworkError, NetworkUnavailableError
from centrereach.speeds import SpeedModel, parse_maxspeed

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "Mode",
    "SpeedModel",
    "add_travel_times",
    "load_network",
    "network_cache_key",
    "parse_maxspeed",
    "save_network",
]

logger = logging.getLogger(__name__)

#: Version of the on-disk cache layout; part of every cache key.
CACHE_FORMAT = 1

#: Way tags kept on edges in addition to osmnx's ``settings.useful_tags_way`` (UK limit types).
EXTRA_WAY_TAGS: tuple[str, ...] = ("maxspeed:type", "source:maxspeed")

#: Where to get a network when there is no internet (used in error messages).
GEOFABRIK_DERBYSHIRE = (
    "https://download.geofabrik.de/europe/united-kingdom/england/derbyshire-latest.osm.pbf"
)

# osmnx 2.1's Overpass way filters with its default access filter ``["access"!~"private"]``,
# copied verbatim (tests check they still match osmnx's ``_overpass._get_network_filter``;
# osmnx calls the cycle network "bike").
_OVERPASS_FILTERS: Mapping[str, str] = {
    "drive": (
        '["highway"]["area"!~"yes"]["access"!~"private"]'
        '["highway"!~"abandoned|bridleway|bus_guideway|construction|corridor|'
        "cycleway|elevator|escalator|footway|no|path|pedestrian|planned|platform|"
        'proposed|raceway|razed|rest_area|service|services|steps|track"]'
        '["motor_vehicle"!~"no"]["motorcar"!~"no"]'
        '["service"!~"alley|driveway|emergency_access|parking|parking_aisle|private"]'
    ),
    "walk": (
        '["highway"]["area"!~"yes"]["access"!~"private"]'
        '["highway"!~"abandoned|bus_guideway|construction|cycleway|motor|no|planned|'
        'platform|proposed|raceway|razed|rest_area|services"]'
        '["foot"!~"no"]["service"!~"private"]'
        '["sidewalk"!~"separate"]["sidewalk:both"!~"separate"]'
        '["sidewalk:left"!~"separate"]["sidewalk:right"!~"separate"]'
    ),
    "cycle": (
        '["highway"]["area"!~"yes"]["access"!~"private"]'
        '["highway"!~"abandoned|bus_guideway|construction|corridor|elevator|escalator|footway|'
        'motor|no|planned|platform|proposed|raceway|razed|rest_area|services|steps"]'
        '["bicycle"!~"no"]["service"!~"private"]'
    ),
}
#: osmnx's ``network_type`` for each mode that has a network of its own.
OSMNX_NETWORK_TYPES: Mapping[str, str] = {"drive": "drive", "walk": "walk", "cycle": "bike"}

# osmnx's one-way values (graph._add_paths): "oneway" values meaning one-way, and reversed.
_ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
# Classes whose one-way, non-roundabout carriageways are taken as one side of a dual
# carriageway ("national" = 70 mph there).
_DUAL_IF_ONEWAY_CLASSES = frozenset({"motorway", "trunk", "primary", "secondary"})

_PBF_SUFFIXES = (".osm.pbf", ".pbf")
_XML_SUFFIXES = {".osm": "osm", ".xml": "osm", ".osm.bz2": "osm.bz2", ".osm.gz": "osm.gz"}
_GRAPHML_SUFFIXES = (".graphml",)


class Mode(StrEnum):
    """Travel mode of a network.

    ``DRIVE``: public roads at modelled driving speeds (speed limits × 0.8 by default, km/h);
    ``WALK``: the footpath network at 4.8 km/h; ``CYCLE``: osmnx's bike network at 16 km/h
    (see :class:`SpeedModel`); ``TRANSIT``: public transport from GTFS timetables, walking on the
    ``WALK`` network to, between and from stops (it has no network of its own:
    :func:`load_network` refuses it; see :mod:`centrereach.transit`).

    Examples
    --------
    >>> Mode.DRIVE.value
    'drive'
    >>> Mode("walk")
    <Mode.WALK: 'walk'>

    The enum is the one list of modes (a ``str`` subclass: members compare equal to their value):

    >>> [m.value for m in Mode]
    ['drive', 'walk', 'transit', 'cycle']
    >>> Mode.WALK == "walk"
    True
    """

    DRIVE = "drive"
    WALK = "walk"
    TRANSIT = "transit"
    CYCLE = "cycle"


# ---------------------------------------------------------------------------------------------
# The way filter (osmnx/Overpass semantics)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Condition:
    key: str
    op: str  # "has", "!~" or "~"
    regex: re.Pattern[str] | None

    def __call__(self, tags: Mapping[str, str]) -> bool:
        value = tags.get(self.key)
        if self.regex is None:
            return value is not None
        found = value is not None and self.regex.search(value) is not None
        return not found if self.op == "!~" else found


def _parse_overpass_filter(text: str) -> tuple[_Condition, ...]:
    """Parse an Overpass tag filter such as ``["highway"]["area"!~"yes"]`` into conditions.

    Overpass's ``[k!~re]`` holds when the key is absent or its value does not match the
    (unanchored, case-sensitive) regular expression; ``[k]`` holds when the key is present.
    """
    conditions = []
    for match in re.finditer(r'\["([^"]+)"(?:(!~|~)"([^"]*)")?\]', text):
        key, op, pattern = match.group(1), match.group(2), match.group(3)
        regex = re.compile(pattern) if op else None
        conditions.append(_Condition(key, op or "has", regex))
    return tuple(conditions)


def _way_filter(mode: Mode) -> Callable[[Mapping[str, str]], bool]:
    """Return a predicate on way tags equal to osmnx's Overpass filter for ``mode``."""
    conditions = _parse_overpass_filter(_OVERPASS_FILTERS[mode.value])

    def keep(tags: Mapping[str, str]) -> bool:
        return all(cond(tags) for cond in conditions)

    return keep


# ---------------------------------------------------------------------------------------------
# Reading OSM files (pyosmium)
# ---------------------------------------------------------------------------------------------


@dataclass
class _OsmData:
    """The filtered ways of an OSM file and the nodes they use."""

    coords: dict[int, tuple[float, float]] = field(default_factory=dict)  # id -> (lon, lat)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    trimmed_ways: int = 0
    timestamp: str | None = None


def _useful_tags() -> tuple[list[str], list[str]]:
    import osmnx as ox

    node_keys = list(ox.settings.useful_tags_node)
    way_keys = list(dict.fromkeys([*ox.settings.useful_tags_way, *EXTRA_WAY_TAGS]))
    return node_keys, way_keys


def _read_osm(path: Path, file_format: str, mode: Mode) -> _OsmData:
    """Read the ways of ``mode`` (osmnx's filter) and their nodes from a PBF or XML file.

    Ways cut by the edge of an extract (nodes missing from the file) keep their longest run of
    present nodes.
    """
    import osmium

    node_keys, way_keys = _useful_tags()
    keep = _way_filter(mode)
    data = _OsmData()
    try:
        processor = (
            osmium.FileProcessor(
                osmium.io.File(str(path), file_format), osmium.osm.NODE | osmium.osm.WAY
            )
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway", *node_keys))
        )
        data.timestamp = processor.header.get("osmosis_replication_timestamp") or None
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                tags = {key: obj.tags[key] for key in node_keys if key in obj.tags}
                if tags:
                    data.node_tags[obj.id] = tags
                continue
            if not isinstance(obj, osmium.osm.Way) or "highway" not in obj.tags:
                continue
            all_tags = {tag.k: tag.v for tag in obj.tags}
            if not keep(all_tags):
                continue
            best: list[tuple[int, float, float]] = []
            run: list[tuple[int, float, float]] = []
            missing = False
            for ref in obj.nodes:
                loc = ref.location
                if loc.valid():
                    run.append((ref.ref, loc.lon, loc.lat))
                else:
                    missing = True
                    if len(run) > len(best):
                        best = run
                    run = []
            if len(run) > len(best):
                best = run
            nodes = [key for key, _ in groupby(item[0] for item in best)]
            if missing:
                data.trimmed_ways += 1
            if len(nodes) < 2:
                continue
            for node_id, lon, lat in best:
                data.coords[node_id] = (lon, lat)
            way_tags = {key: all_tags[key] for key in way_keys if key in all_tags}
            data.ways.append((obj.id, nodes, way_tags))
    except RuntimeError as err:  # libosmium's parse errors
        msg = f"cannot read the OpenStreetMap file '{path}': {err}"
        raise NetworkError(msg) from err
    if data.trimmed_ways:
        logger.info(
            "%d ways in %s reference nodes missing from the file (cut at the extract's edge); "
            "kept their longest run of present nodes",
            data.trimmed_ways,
            path.name,
        )
    return data


def _clip(data: _OsmData, area: BaseGeometry) -> None:
    """Drop the ways with no node inside ``area`` (lon/lat), and their nodes, in place."""
    import numpy as np
    import shapely

    if not data.coords:
        return
    ids = np.fromiter(data.coords.keys(), dtype=np.int64, count=len(data.coords))
    lonlat = np.array(list(data.coords.values()), dtype=float)
    shapely.prepare(area)
    inside = set(ids[shapely.intersects_xy(area, lonlat[:, 0], lonlat[:, 1])].tolist())
    data.ways = [way for way in data.ways if not inside.isdisjoint(way[1])]
    used: set[int] = set()
    for _, nodes, _ in data.ways:
        used.update(nodes)
    data.coords = {node: xy for node, xy in data.coords.items() if node in used}


def _truncate(G: nx.MultiDiGraph, area: BaseGeometry) -> None:
    """Remove nodes outside ``area`` whose neighbours are all outside too, in place.

    The semantics of :func:`osmnx.truncate.truncate_graph_polygon` with
    ``truncate_by_edge=True`` (as the download uses), without copying the graph.
    """
    import numpy as np
    import shapely

    nodes = list(G.nodes)
    x = np.fromiter((G.nodes[n]["x"] for n in nodes), dtype=float, count=len(nodes))
    y = np.fromiter((G.nodes[n]["y"] for n in nodes), dtype=float, count=len(nodes))
    shapely.prepare(area)
    mask = shapely.intersects_xy(area, x, y)
    outside = {node for node, ok in zip(nodes, mask.tolist(), strict=True) if not ok}
    remove = [
        node
        for node in outside
        if all(nb in outside for nb in G.successors(node))
        and all(nb in outside for nb in G.predecessors(node))
    ]
    G.remove_nodes_from(remove)


def _package_version() -> str:
    """centrereach's version, as ``centrereach.__version__`` gives it (without importing it:
    the package imports this module)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("centrereach")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


def _graph_from_osm_data(data: _OsmData, mode: Mode) -> nx.MultiDiGraph:
    """Build the unsimplified graph the way osmnx's ``graph._create_graph`` does."""
    import osmnx as ox

    G = nx.MultiDiGraph(
        created_date=ox.utils.ts(),
        created_with=f"centrereach {_package_version()} (osmnx {ox.__version__})",
        crs=ox.settings.default_crs,
    )
    G.add_nodes_from(
        (node_id, {"y": lat, "x": lon, **data.node_tags.get(node_id, {})})
        for node_id, (lon, lat) in data.coords.items()
    )
    _add_paths(G, data.ways, bidirectional=mode is Mode.WALK)
    if G.number_of_edges() > 0:
        G = ox.distance.add_edge_lengths(G)
    return G


def _add_paths(
    G: nx.MultiDiGraph,
    ways: Iterable[tuple[int, list[int], dict[str, str]]],
    *,
    bidirectional: bool,
) -> None:
    """Add ways as edges with osmnx's one-way rules (``oneway``, ``-1``, roundabouts)."""
    for way_id, way_nodes, tags in ways:
        attrs: dict[str, Any] = {"osmid": way_id, **tags}
        nodes = list(way_nodes)
        if bidirectional:
            one_way = False
        else:
            one_way = tags.get("oneway") in _ONEWAY_VALUES or tags.get("junction") == "roundabout"
        if one_way and tags.get("oneway") in _REVERSED_VALUES:
            nodes.reverse()
        attrs["oneway"] = one_way
        edges = list(pairwise(nodes))
        attrs["reversed"] = False
        G.add_edges_from(edges, **attrs)
        if not one_way:
            attrs["reversed"] = True
            G.add_edges_from([(v, u) for u, v in edges], **attrs)


@contextlib.contextmanager
def _osmnx_way_tags() -> Iterator[None]:
    """Temporarily make osmnx keep the UK speed-limit tags (restored afterwards)."""
    import osmnx as ox

    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved, *EXTRA_WAY_TAGS]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


# ---------------------------------------------------------------------------------------------
# Speeds and travel times
# ---------------------------------------------------------------------------------------------


def _as_strings(value: object) -> list[str]:
    """An edge attribute as a list of strings (simplified edges hold lists; NaN/None is [])."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _edge_limit_kph(data: Mapping[str, Any], speeds: SpeedModel, memo: dict[Any, float]) -> float:
    """Speed limit (km/h) of one edge: tagged, else the class default.

    An edge merged from several ways by simplification (list-valued ``maxspeed`` or
    ``highway``) gets the mean of its parts' values, as :func:`osmnx.add_edge_speeds` does.
    """
    highways = _as_strings(data.get("highway"))
    maxspeeds = _as_strings(data.get("maxspeed"))
    types = _as_strings(data.get("maxspeed:type")) or _as_strings(data.get("source:maxspeed"))
    junctions = _as_strings(data.get("junction"))
    oneway = data.get("oneway") in (True, "True", "yes")
    key = (tuple(highways), tuple(maxspeeds), tuple(types), tuple(junctions), oneway)
    if key in memo:
        return memo[key]
    highway = highways[0] if highways else None
    dual = (
        oneway
        and highway in _DUAL_IF_ONEWAY_CLASSES
        and not {"roundabout", "circular"} & set(junctions)
    )
    candidates: list[str | None] = [*maxspeeds] or [None]
    tagged = [
        parse_maxspeed(
            value,
            maxspeed_type=types[0] if types else None,
            highway=highway,
            dual_carriageway=dual,
        )
        for value in candidates
    ]
    values = [kph for kph in tagged if kph is not None]
    if not values:
        classes: list[str | None] = [*highways] or [None]
        values = [speeds.limit_kph(highway=hw) for hw in classes]
    limit = sum(values) / len(values)
    memo[key] = limit
    return limit


def add_travel_times(
    G: nx.MultiDiGraph,
    *,
    mode: Mode | str,
    speeds: SpeedModel | None = None,
) -> nx.MultiDiGraph:
    """Set ``speed_kph`` (km/h) and ``travel_time`` (s) on every edge of an osmnx graph, in place.

    Driving: ``speed_limit_kph`` is the tagged limit (see :func:`parse_maxspeed`), else the
    model's default for the ``highway`` class; an edge that already has ``speed_limit_kph``
    (a graph made by centrereach) keeps it. ``speed_kph = speed_limit_kph × realism_factor``.
    Walking: ``speed_kph = speeds.walk_kph``; cycling: ``speeds.cycle_kph``. Then
    ``travel_time = length / (speed_kph / 3.6)``, plus ``junction_delay_s`` on driving edges
    that end at a junction (``street_count >= 3``).
    Edges merged by simplification whose ``highway``/``maxspeed`` are lists get the mean of their
    parts' limits.

    Parameters
    ----------
    G
        An osmnx graph whose edges have ``length`` (m).
    mode
        ``"drive"``, ``"walk"`` or ``"cycle"``.
    speeds
        The speed model (default :meth:`SpeedModel.realistic`).

    Returns
    -------
    networkx.MultiDiGraph
        ``G`` itself, with ``G.graph["mode"]`` and ``G.graph["speed_model"]`` set.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(crs="epsg:4326")
    >>> _ = G.add_edge(1, 2, length=1000.0, highway="residential", maxspeed="20 mph")
    >>> G = add_travel_times(G, mode="drive", speeds=SpeedModel.free_flow())
    >>> round(G.edges[1, 2, 0]["travel_time"], 1)
    111.8
    """
    mode = _as_mode(mode)
    speeds = SpeedModel.realistic() if speeds is None else speeds
    memo: dict[Any, float] = {}
    delay = speeds.junction_delay_s if mode is Mode.DRIVE else 0.0
    streets: Mapping[Any, int] = {}
    if delay:
        import osmnx as ox

        streets = dict(G.nodes(data="street_count", default=None))
        if any(count is None for count in streets.values()):
            streets = ox.stats.count_streets_per_node(G)
    for _, v, data in G.edges(data=True):
        length = data.get("length")
        if not isinstance(length, int | float) or not math.isfinite(length) or length < 0:
            msg = f"an edge ending at node {v} has no valid 'length' (m): {length!r}"
            raise NetworkError(msg)
        length = data["length"] = float(length)  # plain floats (osmnx gives numpy floats)
        if mode is Mode.WALK:
            speed = float(speeds.walk_kph)
        elif mode is Mode.CYCLE:
            speed = float(speeds.cycle_kph)
        else:
            limit = data.get("speed_limit_kph")
            if not isinstance(limit, int | float) or not limit > 0:
                limit = _edge_limit_kph(data, speeds, memo)
                data["speed_limit_kph"] = float(limit)
            speed = float(limit) * speeds.realism_factor
        data["speed_kph"] = speed
        data["travel_time"] = length / (speed / 3.6)
        if delay and streets[v] >= 3:
            data["travel_time"] += delay
    G.graph["mode"] = mode.value
    G.graph["speed_model"] = _speed_model_record(speeds, mode)
    return G


def _speed_model_record(speeds: SpeedModel, mode: Mode) -> dict[str, Any]:
    return {"mode": mode.value, "description": speeds.describe(mode.value), **speeds.to_dict()}


def _simplify_keeping_times(G: nx.MultiDiGraph, mode: Mode) -> nx.MultiDiGraph:
    """Run :func:`osmnx.simplify_graph`, summing travel times so merged edges stay exact."""
    import osmnx as ox

    if mode is Mode.DRIVE:
        for _, _, data in G.edges(data=True):
            data["_limit_time"] = data["length"] / (data["speed_limit_kph"] / 3.6)
    aggs: dict[str, Any] = {"length": sum, "travel_time": sum, "_limit_time": sum}
    G = ox.simplify_graph(G, edge_attr_aggs=aggs)
    for _, _, data in G.edges(data=True):
        limit_time = data.pop("_limit_time", None)
        length = data["length"]
        if isinstance(data["speed_kph"], list):  # parts at different speeds: time-weighted
            if data["travel_time"] > 0:
                data["speed_kph"] = 3.6 * length / data["travel_time"]
            else:
                data["speed_kph"] = min(data["speed_kph"])
        if isinstance(data.get("speed_limit_kph"), list):
            if limit_time:
                data["speed_limit_kph"] = 3.6 * length / limit_time
            else:
                data["speed_limit_kph"] = min(data["speed_limit_kph"])
        data["travel_time"] = length / (data["speed_kph"] / 3.6)
    return G


def _keep_largest_component(G: nx.MultiDiGraph) -> None:
    """Keep only the largest weakly connected component, in place (osmnx's ``retain_all=False``).

    Same result as :func:`osmnx.truncate.largest_component` without copying the graph.
    """
    if G.number_of_nodes() == 0:
        return
    largest = max(nx.weakly_connected_components(G), key=len)
    if len(largest) < G.number_of_nodes():
        G.remove_nodes_from([node for node in G if node not in largest])


def _finish(
    G: nx.MultiDiGraph,
    *,
    mode: Mode,
    speeds: SpeedModel,
    source: str,
    what: str,
    simplify: bool,
) -> nx.MultiDiGraph:
    """Speeds on raw edges, largest weakly connected component, simplification, metadata."""
    import osmnx as ox

    if G.number_of_edges() == 0:
        msg = (
            f"{what} holds no {mode.value} network: no OpenStreetMap way passes osmnx's "
            f"{mode.value!r} filter. Check that the file covers the study area and contains "
            "highway ways."
        )
        raise NetworkError(msg)
    if any("length" not in data for _, _, data in G.edges(data=True)):
        G = ox.distance.add_edge_lengths(G)
    delay_model = speeds
    if speeds.junction_delay_s:
        # junction delays need the simplified graph's street counts: add them at the end
        delay_model = SpeedModel.from_dict({**speeds.to_dict(), "junction_delay_s": 0.0})
    G = add_travel_times(G, mode=mode, speeds=delay_model)
    _keep_largest_component(G)
    if simplify and not G.graph.get("simplified"):
        G = _simplify_keeping_times(G, mode)
    if any("street_count" not in data for _, data in G.nodes(data=True)):
        # as osmnx's graph_from_polygon: streets meeting at each node (for osmnx's stats)
        nx.set_node_attributes(G, ox.stats.count_streets_per_node(G), name="street_count")
    if speeds.junction_delay_s:
        add_travel_times(G, mode=mode, speeds=speeds)
    G.graph["crs"] = "epsg:4326"
    G.graph["mode"] = mode.value
    G.graph["speed_model"] = _speed_model_record(speeds, mode)
    G.graph["source"] = source
    return G


# ---------------------------------------------------------------------------------------------
# Cache key and download
# ---------------------------------------------------------------------------------------------


def network_cache_key(
    polygon: BaseGeometry,
    *,
    mode: Mode | str,
    buffer_m: float = 10_000,
    speeds: SpeedModel | None = None,
    simplify: bool = False,
) -> str:
    """Return the cache key of a downloaded network (a sha256 hex digest).

    The key hashes the polygon's WKB with coordinates rounded to 6 decimal places (~0.1 m),
    the mode, the buffer (m), the speed model, the osmnx version and the cache format, so a
    change to any of them downloads afresh.

    Parameters
    ----------
    polygon
        Study area (shapely Polygon or MultiPolygon, EPSG:4326).
    mode
        ``"drive"``, ``"walk"`` or ``"cycle"``.
    buffer_m
        Buffer around the polygon (metres).
    speeds
        The speed model (default :meth:`SpeedModel.realistic`).
    simplify
        Whether the network is simplified (see :func:`load_network`).

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> key = network_cache_key(box(-1.5, 53.2, -1.4, 53.3), mode="drive")
    >>> len(key), key == network_cache_key(box(-1.5, 53.2, -1.4, 53.3000000001), mode="drive")
    (64, True)
    """
    import numpy as np
    import osmnx as ox
    import shapely

    mode = _as_mode(mode)
    speeds = SpeedModel.realistic() if speeds is None else speeds
    rounded = shapely.transform(polygon, lambda xy: np.round(xy, 6))
    record = {
        "format": CACHE_FORMAT,
        "polygon_wkb": shapely.to_wkb(rounded, hex=True),
        "mode": mode.value,
        "buffer_m": float(buffer_m),
        "speeds": speeds.to_dict(),
        "osmnx": ox.__version__,
        "simplify": bool(simplify),
    }
    blob = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def _default_cache_dir() -> Path:
    # Imported here to keep this edit local while network.py is being reworked elsewhere.
    from centrereach._settings import cache_dir

    return cache_dir("networks")


def _buffer_polygon(polygon: BaseGeometry, buffer_m: float) -> BaseGeometry:
    """Buffer a lon/lat polygon by ``buffer_m`` metres (in its local UTM zone)."""
    import osmnx as ox

    if buffer_m == 0:
        return polygon
    projected, crs = ox.projection.project_geometry(polygon)
    buffered, _ = ox.projection.project_geometry(
        projected.buffer(buffer_m), crs=crs, to_latlong=True
    )
    return buffered


def _check_polygon(polygon: object) -> None:
    from shapely.geometry import MultiPolygon, Polygon

    if not isinstance(polygon, Polygon | MultiPolygon):
        msg = (
            "polygon= must be a shapely Polygon or MultiPolygon of the study area in EPSG:4326 "
            f"(lon/lat; source='download' needs one); got {type(polygon).__name__}"
        )
        raise NetworkError(msg)
    if polygon.is_empty or not polygon.is_valid:
        msg = "the study-area polygon is empty or invalid (self-intersecting?)"
        raise NetworkError(msg)
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        msg = (
            f"the study-area polygon's bounds {polygon.bounds} are not longitude/latitude: "
            "reproject it to EPSG:4326 first (e.g. gdf.to_crs(4326))"
        )
        raise NetworkError(msg)


def _check_buffer(buffer_m: float) -> None:
    if not (buffer_m >= 0 and math.isfinite(buffer_m)):
        msg = f"buffer_m must be a finite distance >= 0 (m), got {buffer_m!r}"
        raise NetworkError(msg)


def _unavailable_message(mode: Mode, reason: str) -> str:
    return (
        f"cannot download the {mode.value} network from OpenStreetMap (Overpass API): {reason}. "
        f"To work offline, provide a network file: download Geofabrik's Derbyshire extract "
        f"({GEOFABRIK_DERBYSHIRE}) and pass it with `--network {mode.value}=PATH` (in Python: "
        f'load_network("derbyshire-latest.osm.pbf", mode="{mode.value}")); or run again with '
        "internet access."
    )


def _check_overpass_reachable(timeout_s: float = 10.0) -> None:
    """Raise OSError fast when the Overpass server is unreachable (osmnx would wait 60 s first)."""
    import socket
    from urllib.parse import urlsplit

    import osmnx as ox

    parts = urlsplit(str(ox.settings.overpass_url))
    host = parts.hostname or "overpass-api.de"
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as err:
        msg = f"cannot connect to {host}:{port} ({err})"
        raise OSError(msg) from err


def _download(
    polygon: BaseGeometry | None,
    *,
    mode: Mode,
    speeds: SpeedModel,
    buffer_m: float,
    cache_dir: str | Path | None,
    simplify: bool,
    stages: _Stages,
) -> nx.MultiDiGraph:
    import osmnx as ox

    _check_polygon(polygon)
    _check_buffer(buffer_m)
    key = network_cache_key(polygon, mode=mode, buffer_m=buffer_m, speeds=speeds, simplify=simplify)
    folder = _default_cache_dir() if cache_dir is None else Path(cache_dir)
    cached = folder / f"{mode.value}-{key}.graphml"
    stages.step("checking the cache")
    if cached.is_file():
        try:
            G = _load_graphml(cached, mode=mode, speeds=None)
        except Exception as err:  # a damaged cache file: download again
            logger.warning("ignoring the unreadable cached network %s (%s)", cached, err)
        else:
            logger.info("%s network served from the cache %s", mode.value, cached)
            return G
    try:
        _check_overpass_reachable()
    except OSError as err:
        raise NetworkUnavailableError(_unavailable_message(mode, str(err))) from err
    area = _buffer_polygon(polygon, buffer_m)
    stages.step("downloading from the Overpass API")
    logger.info("downloading the %s network from Overpass (buffer %g m)", mode.value, buffer_m)
    try:
        with _osmnx_way_tags():
            G = ox.graph_from_polygon(
                area,
                network_type=OSMNX_NETWORK_TYPES[mode.value],
                simplify=False,
                retain_all=True,
                truncate_by_edge=True,
            )
    except OSError as err:  # requests' ConnectionError/Timeout are OSErrors
        raise NetworkUnavailableError(
            _unavailable_message(mode, str(err) or type(err).__name__)
        ) from err
    except ox._errors.InsufficientResponseError as err:  # osmnx has no public errors module
        msg = f"OpenStreetMap returned no {mode.value} network inside the study area: {err}"
        raise NetworkError(msg) from err
    except ox._errors.ResponseStatusCodeError as err:
        raise NetworkUnavailableError(_unavailable_message(mode, str(err))) from err
    stages.step("speeds and travel times")
    stamp = ox.utils.ts(style="date")
    source = f"OpenStreetMap via the Overpass API (osmnx {ox.__version__}), downloaded {stamp}"
    G = _finish(
        G, mode=mode, speeds=speeds, source=source, what="the downloaded area", simplify=simplify
    )
    stages.step("saving to the cache")
    try:
        save_network(G, cached)
    except OSError as err:
        logger.warning("could not cache the network at %s: %s", cached, err)
    return G


#: ``load_network`` sources that download: Geofabrik where its index covers the area, else
#: Overpass ("download"); or one of the two.
_DOWNLOAD_SOURCES = ("download", "geofabrik", "overpass")


def _from_geofabrik(
    polygon: BaseGeometry | None,
    *,
    mode: Mode,
    speeds: SpeedModel,
    buffer_m: float,
    cache_dir: str | Path | None,
    simplify: bool,
    progress: bool,
    refresh: bool,
    required: bool,
) -> nx.MultiDiGraph | None:
    """The network of the buffered polygon from Geofabrik's extracts; None outside its index."""
    from centrereach import geofabrik

    _check_polygon(polygon)
    _check_buffer(buffer_m)
    area = _buffer_polygon(polygon, buffer_m)
    label = f"the study area plus {buffer_m:,.0f} m"
    found = geofabrik.network_file(
        area,
        folder=None if cache_dir is None else Path(cache_dir) / "geofabrik",
        refresh=refresh,
        progress=progress,
        area_label=label,
    )
    if found is None:
        if required:
            msg = (
                f"Geofabrik's index has no extract covering {label}: use source='overpass' "
                "(the Overpass API), or give a network file."
            )
            raise NetworkError(msg)
        logger.info("no Geofabrik extract covers %s: using the Overpass API", label)
        return None
    G = load_network(
        found.path, mode=mode, speeds=speeds, polygon=polygon, buffer_m=buffer_m,
        simplify=simplify, progress=progress,
    )  # fmt: skip
    G.graph["source"] = found.source_text()
    G.graph["extracts"] = [extract.record() for extract in found.extracts]
    return G


# ---------------------------------------------------------------------------------------------
# GraphML
# ---------------------------------------------------------------------------------------------


def _parse_record(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        with contextlib.suppress(ValueError, SyntaxError):
            return ast.literal_eval(value)
    return value


def _load_graphml(path: Path, *, mode: Mode, speeds: SpeedModel | None) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        G = ox.load_graphml(path, edge_dtypes={"speed_limit_kph": float})
    except Exception as err:  # networkx/lxml parse errors, bad dtypes
        msg = f"cannot read the GraphML network '{path}': {err}"
        raise NetworkError(msg) from err
    if G.number_of_edges() == 0:
        msg = f"the GraphML network '{path}' has no edges"
        raise NetworkError(msg)
    stored_mode = G.graph.get("mode")
    if stored_mode is not None and stored_mode != mode.value:
        msg = (
            f"the GraphML network '{path}' is a {stored_mode} network, not {mode.value}: "
            f"pass it as `--network {stored_mode}=PATH`"
        )
        raise NetworkError(msg)
    if stored_mode is None:
        _check_plain_graphml(G, path, mode)
    crs = str(G.graph.get("crs", "epsg:4326"))
    if ox.projection.is_projected(crs):
        G = ox.project_graph(G, to_latlong=True)
        G.graph["crs"] = "epsg:4326"
    if "speed_model" in G.graph:
        G.graph["speed_model"] = _parse_record(G.graph["speed_model"])
    missing = [
        name for name in ("length",) if any(name not in data for _, _, data in G.edges(data=True))
    ]
    if missing:
        msg = f"edges of the GraphML network '{path}' lack {', '.join(missing)} (m)"
        raise NetworkError(msg)
    has_times = all(
        "speed_kph" in data and "travel_time" in data for _, _, data in G.edges(data=True)
    )
    if speeds is not None or not has_times:
        add_travel_times(G, mode=mode, speeds=speeds)
    elif not isinstance(G.graph.get("speed_model"), dict):
        G.graph["speed_model"] = {"mode": mode.value, "description": "as stored in the file"}
    G.graph["mode"] = mode.value
    G.graph.setdefault("source", f"{path.name} (GraphML)")
    return G


#: Ways only people on foot (or bike) may use; osmnx's drive filter leaves them out.
_FOOT_ONLY_HIGHWAYS = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "corridor"}
)


def _check_plain_graphml(G: nx.MultiDiGraph, path: Path, mode: Mode) -> None:
    """Refuse a GraphML without centrereach's ``mode`` whose edges show it is of the other mode.

    A plain osmnx drive network (``osmnx.save_graphml`` of ``network_type="drive"``) keeps
    one-way streets in one direction only; walked on, it would send pedestrians round the block.
    A walk network (two-way throughout, with footpaths no car may use) is refused for driving.
    """
    if mode is Mode.WALK:
        one_way = [
            (u, v)
            for u, v, data in G.edges(data=True)
            if data.get("oneway") in (True, "True", "yes") and not G.has_edge(v, u)
        ]
        if one_way:
            u, v = one_way[0]
            msg = (
                f"the GraphML network '{path}' has {len(one_way):,} one-way street edge(s) "
                f"(e.g. from node {u} to node {v}) and no centrereach mode: it is a drive "
                "network (osmnx network_type='drive'). Walking on it would follow one-way "
                "streets and miss footpaths. Pass a walk network (osmnx network_type='walk', "
                "or an OpenStreetMap extract: `--network walk=EXTRACT.osm.pbf`)."
            )
            raise NetworkError(msg)
    else:
        foot = [
            (u, v, hw)
            for u, v, data in G.edges(data=True)
            for hw in _as_strings(data.get("highway"))
            if hw in _FOOT_ONLY_HIGHWAYS
        ]
        # osmnx's walk networks are two-way throughout (every edge has oneway=False); a graph
        # of all ways (osmnx.graph_from_xml) keeps one-way streets and is left as it is.
        two_way = not any(
            data.get("oneway") in (True, "True", "yes") for *_, data in G.edges(data=True)
        )
        if foot and two_way:
            u, v, hw = foot[0]
            msg = (
                f"the GraphML network '{path}' has {len(foot):,} footpath edge(s) (e.g. "
                f"highway={hw} from node {u} to node {v}) and no centrereach mode: it is a walk "
                "network, not a drive network. Pass a drive network (osmnx "
                "network_type='drive', or an OpenStreetMap extract: "
                "`--network drive=EXTRACT.osm.pbf`)."
            )
            raise NetworkError(msg)


def save_network(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Save a network as GraphML (osmnx's format), atomically.

    The file is written beside ``path`` under a temporary name, then moved into place, so an
    interrupted save never leaves a half-written network. ``G.graph["speed_model"]`` is stored
    as JSON; edge ``length`` (metres), ``speed_kph`` (km/h) and ``travel_time`` (seconds) are
    kept as they are. Read it back with :func:`load_network` (or :func:`osmnx.load_graphml`).

    Parameters
    ----------
    G
        A network from :func:`load_network`.
    path
        Target file (``.graphml``); parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib, networkx as nx
    >>> G = nx.MultiDiGraph(crs="epsg:4326")
    >>> G.add_node(1, x=-1.42, y=53.23); G.add_node(2, x=-1.43, y=53.23)
    >>> _ = G.add_edge(1, 2, length=667.0, highway="residential")
    >>> out = save_network(G, pathlib.Path(tempfile.mkdtemp()) / "g.graphml")
    >>> load_network(out, mode="drive", progress=False).edges[1, 2, 0]["speed_kph"]
    38.624256
    """
    import osmnx as ox

    target = Path(path)
    graph_attrs = dict(G.graph)
    try:
        if isinstance(G.graph.get("speed_model"), dict):
            G.graph["speed_model"] = json.dumps(G.graph["speed_model"], sort_keys=True)
        with atomic_path(target) as tmp:
            ox.save_graphml(G, tmp)
    finally:
        G.graph.clear()
        G.graph.update(graph_attrs)
    return target


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------


def _as_mode(mode: Mode | str) -> Mode:
    """The mode of a network: any :class:`Mode` but ``transit``, which has no network."""
    choices = " or ".join(repr(m) for m in OSMNX_NETWORK_TYPES)
    try:
        found = Mode(mode)
    except ValueError:
        msg = f"unknown travel mode {mode!r}: use {choices}"
        raise ValueError(msg) from None
    if found is Mode.TRANSIT:
        msg = (
            "the transit mode has no network of its own: it walks on the walk network (load "
            "mode='walk') and rides the GTFS timetables (centrereach.transit); a network mode "
            f"is {choices}"
        )
        raise ValueError(msg)
    return found


def _file_kind(path: Path) -> tuple[str, str]:
    name = path.name.lower()
    if name.endswith(_PBF_SUFFIXES):
        return "pbf", "pbf"
    for suffix, fmt in _XML_SUFFIXES.items():
        if name.endswith(suffix):
            return "xml", fmt
    if name.endswith(_GRAPHML_SUFFIXES):
        return "graphml", "graphml"
    msg = (
        f"cannot tell the format of the network file '{path}' from its name: use an "
        "OpenStreetMap extract (.osm.pbf, e.g. Geofabrik's derbyshire-latest.osm.pbf), OSM XML "
        "(.osm, .xml, .osm.bz2) or an osmnx GraphML file (.graphml)"
    )
    raise NetworkError(msg)


def load_network(
    source: str | Path,
    *,
    mode: Mode | str,
    speeds: SpeedModel | None = None,
    polygon: BaseGeometry | None = None,
    buffer_m: float = 10_000,
    cache_dir: str | Path | None = None,
    simplify: bool = False,
    progress: bool = True,
    refresh: bool = False,
) -> nx.MultiDiGraph:
    """Load a road (``mode="drive"``), footpath (``mode="walk"``) or cycle (``"cycle"``) network.

    Parameters
    ----------
    source
        A path to an OpenStreetMap extract (``.osm.pbf``) or OSM XML (``.osm``/``.xml``/
        ``.osm.bz2``/``.osm.gz``), both read with pyosmium and built into a graph the way
        :func:`osmnx.graph_from_xml` builds one; or an osmnx GraphML file (``.graphml``; speeds
        and travel times are added if missing); or ``"download"``: the network of
        ``polygon`` plus ``buffer_m`` from Geofabrik's OpenStreetMap extracts (the county
        extracts whose boundaries meet the area, downloaded, checked against their MD5,
        cached, merged and clipped: :mod:`centrereach.geofabrik`), or from the Overpass API
        where Geofabrik's index covers no part of the area; ``"geofabrik"`` or ``"overpass"``
        to ask for one of the two (Overpass through :func:`osmnx.graph_from_polygon`, cached
        on disk).
    mode
        ``"drive"``: osmnx's drive filter (public drivable roads, no service roads), one-way
        streets respected. ``"walk"``: osmnx's walk filter, every way in both directions.
        ``"cycle"``: osmnx's bike filter (roads and paths open to bicycles, no footways or
        steps), one-way streets respected as osmnx does, 16 km/h.
    speeds
        Speed model (default :meth:`SpeedModel.realistic`: speed limits × 0.8). For a GraphML
        file that already has ``travel_time``, passing ``speeds`` recomputes the times.
    polygon
        Study area (shapely Polygon/MultiPolygon, EPSG:4326). Required for ``"download"``;
        optional for a file, whose network is then clipped to the buffered study area as
        osmnx clips a download (nodes outside are dropped unless a neighbour is inside),
        which saves memory on a large extract.
    buffer_m
        Distance (m) the study area is enlarged by before downloading or clipping, so routes
        through neighbouring areas count (default 10 km).
    cache_dir
        Folder of downloaded networks (default: ``networks`` in the cache root, i.e. in
        ``CENTREREACH_CACHE_DIR`` or the user cache folder, e.g.
        ``~/.cache/centrereach/networks``). A second call with the same polygon, mode, buffer
        and speed model reads the cache instead of downloading.
    simplify
        False (default): keep every node of every way, so points snap to the road beside
        them. True: :func:`osmnx.simplify_graph` (junctions and dead ends only; travel times
        of merged edges are summed, so routes take the same time).
    progress
        Show a progress bar (stderr).
    refresh
        For a Geofabrik download: ask the server now whether the index and the extracts
        changed (a changed extract is downloaded again), however young the cached copies are.

    Returns
    -------
    networkx.MultiDiGraph
        Unprojected (``crs`` ``"epsg:4326"``, node ``x`` = lon, ``y`` = lat, ids = OSM node
        ids). With ``simplify=False`` (the default) every node of every way is kept; with
        ``simplify=True`` the graph is simplified with :func:`osmnx.simplify_graph`. Only the
        largest weakly connected component is kept. Every edge has ``length`` (m),
        ``speed_kph`` (km/h), ``travel_time`` (s) and ``highway``; driving edges also
        ``speed_limit_kph``. ``G.graph`` has ``mode``, ``speed_model`` (JSON-able dict whose
        ``"description"`` is the sentence for a report) and ``source``; from Geofabrik also
        ``extracts`` (per extract: name, id, URL, data timestamp, MD5, size, path).

    Raises
    ------
    centrereach.errors.NetworkUnavailableError
        The file does not exist, or downloading failed (no internet).
    centrereach.errors.NetworkError
        Unknown file type, unreadable file, or no way of the mode in the data.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> xml = '''<osm version="0.6">
    ...  <node id="1" lat="53.2300" lon="-1.4200"/><node id="2" lat="53.2300" lon="-1.4100"/>
    ...  <node id="3" lat="53.2400" lon="-1.4100"/>
    ...  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    ...   <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
    ... </osm>'''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.osm"
    >>> _ = path.write_text(xml)
    >>> G = load_network(path, mode="drive", progress=False)
    >>> list(G.edges(keys=False)), round(G.edges[1, 2, 0]["length"])
    ([(1, 2), (2, 3)], 666)
    >>> edge = G.edges[2, 3, 0]
    >>> round(edge["length"]), edge["speed_kph"], round(edge["travel_time"], 1)
    (1112, 38.624256, 103.6)
    >>> sorted(load_network(path, mode="walk", progress=False).edges(keys=False))
    [(1, 2), (2, 1), (2, 3), (3, 2)]
    """
    mode = _as_mode(mode)
    explicit_speeds = speeds is not None
    speeds = SpeedModel.realistic() if speeds is None else speeds
    if not isinstance(speeds, SpeedModel):
        msg = f"speeds must be a centrereach SpeedModel, got {type(speeds).__name__}"
        raise TypeError(msg)
    if isinstance(source, str) and source in _DOWNLOAD_SOURCES:
        if source != "overpass":
            G = _from_geofabrik(
                polygon, mode=mode, speeds=speeds, buffer_m=buffer_m, cache_dir=cache_dir,
                simplify=simplify, progress=progress, refresh=refresh,
                required=source == "geofabrik",
            )  # fmt: skip
            if G is not None:
                return G
        with _Stages(progress, f"{mode.value} network", 4) as stages:
            return _download(
                polygon,
                mode=mode,
                speeds=speeds,
                buffer_m=buffer_m,
                cache_dir=cache_dir,
                simplify=simplify,
                stages=stages,
            )
    path = Path(source)
    kind, fmt = _file_kind(path)
    if not path.is_file():
        msg = (
            f"the {mode.value} network file '{path}' does not exist. Download an OpenStreetMap "
            f"extract such as Geofabrik's {GEOFABRIK_DERBYSHIRE} and pass its path with "
            f"`--network {mode.value}=PATH`, or use source='download' with internet access."
        )
        raise NetworkUnavailableError(msg)
    if kind == "graphml":
        with _Stages(progress, f"{mode.value} network", 1) as stages:
            stages.step(f"reading {path.name}")
            return _load_graphml(path, mode=mode, speeds=speeds if explicit_speeds else None)
    area = None
    if polygon is not None:
        _check_polygon(polygon)
        _check_buffer(buffer_m)
        area = _buffer_polygon(polygon, buffer_m)
    with _Stages(progress, f"{mode.value} network", 3) as stages:
        stages.step(f"reading {path.name}")
        data = _read_osm(path, fmt, mode)
        stages.step("building the graph")
        source_text = f"{path.name} (OpenStreetMap"
        if data.timestamp:
            source_text += f", data of {data.timestamp}"
        if area is not None:
            _clip(data, area)
            source_text += f", clipped to the study area + {buffer_m:g} m"
        source_text += ")"
        G = _graph_from_osm_data(data, mode)
        del data
        if area is not None:
            _truncate(G, area)
        stages.step("speeds and travel times")
        return _finish(
            G, mode=mode, speeds=speeds, source=source_text, what=f"'{path}'", simplify=simplify
        )


class _Stages:
    """A progress bar (tqdm, stderr) that advances one step per stage of a load."""

    def __init__(self, enabled: bool, label: str, total: int) -> None:
        self._enabled = enabled
        self._label = label
        self._total = total
        self._bar: Any = None
        self._started = False

    def __enter__(self) -> _Stages:
        if self._enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self._total, desc=self._label, unit="step", leave=False)
        return self

    def step(self, name: str) -> None:
        """Start the stage ``name`` (the previous one is counted as done)."""
        logger.debug("%s: %s", self._label, name)
        if self._bar is not None:
            if self._started:
                self._bar.update(1)
            self._started = True
            self._bar.set_postfix_str(name)

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self._bar is not None:
            if exc_type is None:
                self._bar.update(self._total - self._bar.n)
            self._bar.close()
