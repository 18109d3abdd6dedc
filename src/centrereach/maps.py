"""Interactive maps of a scenario: minutes before and after, the change, and deprivation.

:func:`impact_map` returns a :class:`folium.Map` (it displays inline in Jupyter; ``.save(path)``
writes an HTML file). One map shows one scenario and one travel mode, with four layers chosen
with the radio buttons of the layer control:

* **Minutes after**: minutes to the nearest centre left open, binned at the study's thresholds
  (sequential yellow-green-blue palette, darker = further);
* **Minutes before**: the same with every centre open, in the same bins, so switching between
  the two layers shows what the closures do;
* **Change in minutes**: after minus before, a diverging red-blue palette with "no change" in
  the middle (red = longer journeys);
* **IMD decile**: the Index of Multiple Deprivation decile (1 = the 10% most deprived areas in
  England, darkest).

Centres are markers told apart by shape *and* colour: a green circle for a centre open in the
scenario, a red square with a cross for a centre the scenario closes. Each area has a tooltip
(name, code, district, decile, children, minutes and nearest centre before and after); each
centre a popup (status, children for whom it is the nearest centre before and after).

Geometry is simplified for display (Visvalingam-Whyatt on the shared boundaries in British
National Grid, :data:`SIMPLIFY_M` metres, coordinates rounded to 5 decimals, about 1 m) and
written once per map, however many layers draw it, so a map of Derbyshire's 499 areas is a few
hundred kilobytes.

Every map is self-contained by default: Leaflet's JavaScript and CSS are inlined (from its npm
tarball, verified on every use: see :mod:`centrereach._assets`), so the file opens with no
internet. ``cdn=True`` links Leaflet from a CDN instead (a smaller file that needs internet);
so does a map built where Leaflet cannot be had, with a loud :class:`MapAssetsWarning`, and
the page then says in words that it needs internet rather than staying blank. The basemap
tiles always need internet: where they do not load, the map says "No basemap: area outlines
only".

folium is imported inside the functions that need it; the palettes and tables here are also
used by :mod:`centrereach.report` for its static maps.

>>> time_bins((15, 30)).labels
('15 min or less', '15 to 30 min', 'more than 30 min')
>>> change_bins().classify([0.0, 12.0, 40.0]).tolist()
[4, 6, 8]
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from centrereach import sources
from centrereach._geo import BRITISH_NATIONAL_GRID, WGS84
from centrereach._words import (
    LOCATION_QUALITY,
    MODE_WORDS,
    SYNTHETIC_ATTRIBUTION,
    SYNTHETIC_BANNER,
    WEIGHT_LONG,
    WEIGHT_WORDS,
    decile_words,
)
from centrereach.metrics import DEFAULT_THRESHOLDS_MIN

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = [
    "ATTRIBUTION",
    "CHANGE_EDGES_MIN",
    "SIMPLIFY_M",
    "Bins",
    "MapLabels",
    "MapModel",
    "change_bins",
    "display_shapes",
    "fetch_offline_assets",
    "imd_bins",
    "impact_map",
    "layer_names",
    "leaflet_assets",
    "map_filename",
    "map_model",
    "save_map",
    "time_bins",
]

#: Display simplification tolerance (metres, in British National Grid).
SIMPLIFY_M = 25.0
#: Decimal places of longitude/latitude written to the maps (5 = about 1 m).
COORD_DECIMALS = 5
#: Class boundaries of the change layer (minutes, after - before); symmetric around 0.
CHANGE_EDGES_MIN: tuple[float, ...] = (-30.0, -15.0, -5.0, -0.5, 0.5, 5.0, 15.0, 30.0)

#: The attribution every map and report built from the official data must carry (from the
#: dataset registry, ``datasets.toml``).
ATTRIBUTION: tuple[str, ...] = sources.ATTRIBUTION


@functools.cache
def _brewer(name: str, *, reverse: bool = False) -> tuple[str, ...]:
    """A 9-class ColorBrewer palette (Cynthia Brewer, Penn State) as branca ships it."""
    from branca.utilities import color_brewer

    colours = tuple(str(c) for c in color_brewer(name, 9))
    return colours[::-1] if reverse else colours


NO_DATA_COLOUR = "#d9d9d9"
NO_ROUTE_COLOUR = "#3f3f3f"
OPEN_COLOUR = "#1b7837"
CLOSING_COLOUR = "#b2182b"

#: Marker shapes (inline SVG): open = green circle with a white centre; closing = red square
#: with a white cross. Shape and colour both differ, so they read without colour.
MARKER_SVG = {
    "open": (
        '<svg class="cr-marker cr-marker-open" width="24" height="24" viewBox="0 0 24 24" '
        'role="img" aria-label="open centre"><circle cx="12" cy="12" r="9" '
        f'fill="{OPEN_COLOUR}" stroke="#fff" stroke-width="2.5"/>'
        '<circle cx="12" cy="12" r="3.2" fill="#fff"/></svg>'
    ),
    "closing": (
        '<svg class="cr-marker cr-marker-closing" width="24" height="24" viewBox="0 0 24 24" '
        'role="img" aria-label="closing centre"><rect x="3" y="3" width="18" height="18" '
        f'fill="{CLOSING_COLOUR}" stroke="#fff" stroke-width="2.5"/>'
        '<path d="M8 8L16 16M16 8L8 16" stroke="#fff" stroke-width="2.6" '
        'stroke-linecap="round"/></svg>'
    ),
}
MARKER_WORDS = {"open": "open in this scenario", "closing": "closes in this scenario"}

_DEFAULT_TILES = "OpenStreetMap"


@dataclass(frozen=True)
class MapLabels:
    """The words and settings a map needs besides its two tables.

    Attributes
    ----------
    title
        The study's title.
    scenario_label
        The scenario's label ("2024 decision").
    mode
        ``drive`` or ``walk`` (shown as "by car", "on foot").
    weight
        The column of the areas that counts people (``children``, ``population``, ``under5``).
    thresholds_min
        Class boundaries of the minutes layers (minutes).
    baseline
        The map shows every centre open (no "after" and "change" layers).
    synthetic
        The data are invented: a banner says so.
    status_column
        The centres file's status column, named in the centre popups.
    imd_edition
        The IoD edition (2019, 2025), named in the deprivation layer.
    excluded
        How many areas are not on the map (outside the road network).

    Examples
    --------
    >>> labels = MapLabels("Chesterfield 2024", "2024 decision", "walk", imd_edition=2025)
    >>> layer_names(labels)["imd"]
    'IMD 2025 decile (1 = most deprived)'
    """

    title: str
    scenario_label: str
    mode: str
    weight: str = "children"
    thresholds_min: tuple[float, ...] = tuple(float(t) for t in DEFAULT_THRESHOLDS_MIN)
    baseline: bool = False
    synthetic: bool = False
    status_column: str | None = None
    imd_edition: int | None = None
    excluded: int = 0


# --------------------------------------------------------------------------------------------
# classes and palettes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bins:
    """Classes of a numeric value, each with a colour and a label (with its unit).

    ``edges`` are upper-inclusive class boundaries: a value ``v`` is in class ``i`` when
    ``edges[i-1] < v <= edges[i]``; there are ``len(edges) + 1`` classes.

    Examples
    --------
    >>> b = Bins(edges=(10.0,), colours=("#fff", "#000"), labels=("low", "high"), title="t")
    >>> b.classify([5, 10, 11, float("nan")]).tolist()
    [0, 0, 1, -1]
    >>> b.colour(11)
    '#000'
    """

    edges: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    missing_colour: str = NO_DATA_COLOUR
    missing_label: str = "no data"
    infinite_colour: str | None = None
    infinite_label: str = "no route found"

    def classify(self, values: npt.ArrayLike) -> np.ndarray:
        """Class index of each value (``-1`` for NaN; ``-2`` for +inf when it has a colour)."""
        v = np.asarray(values, dtype=float)
        out = np.searchsorted(np.asarray(self.edges, dtype=float), v, side="left").astype(int)
        out[np.isnan(v)] = -1
        if self.infinite_colour is not None:
            out[np.isposinf(v)] = -2
        return out

    def colour_of(self, index: int) -> str:
        """The colour of a class index from :meth:`classify`."""
        if index == -1:
            return self.missing_colour
        if index == -2:
            return self.infinite_colour or self.colours[-1]
        return self.colours[index]

    def colour(self, value: float) -> str:
        """The colour of one value."""
        return self.colour_of(int(self.classify([value])[0]))

    def legend(self) -> list[tuple[str, str]]:
        """``(colour, label)`` rows for a legend, including the no-route class when used."""
        rows = list(zip(self.colours, self.labels, strict=True))
        if self.infinite_colour is not None:
            rows.append((self.infinite_colour, self.infinite_label))
        return rows


def _ramp(anchors: Sequence[str], k: int, *, start: float = 1.0) -> tuple[str, ...]:
    """``k`` colours spread along a ColorBrewer ramp (linear RGB interpolation)."""
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in anchors], dtype=float)
    stops = np.linspace(start, len(anchors) - 1, k) if k > 1 else np.array([len(anchors) - 1.0])
    out = []
    for s in stops:
        lo = math.floor(s)
        hi = min(lo + 1, len(anchors) - 1)
        frac = s - lo
        c = rgb[lo] * (1 - frac) + rgb[hi] * frac
        out.append("#" + "".join(f"{round(x):02x}" for x in c))
    return tuple(out)


def time_bins(thresholds_min: Sequence[float]) -> Bins:
    """Classes of minutes to the nearest centre, cut at the study's thresholds.

    Sequential ColorBrewer YlGnBu: darker = further. Areas with no route are dark grey.

    >>> time_bins((15, 30, 45, 60)).labels[-1]
    'more than 60 min'
    >>> time_bins((15, 30, 45, 60)).title
    'Minutes to the nearest open centre'
    """
    edges = tuple(sorted(float(t) for t in thresholds_min))
    labels = [f"{edges[0]:g} min or less"]
    labels += [f"{a:g} to {b:g} min" for a, b in itertools.pairwise(edges)]
    labels.append(f"more than {edges[-1]:g} min")
    return Bins(
        edges=edges,
        colours=_ramp(_brewer("YlGnBu"), len(edges) + 1),
        labels=tuple(labels),
        title="Minutes to the nearest open centre",
        infinite_colour=NO_ROUTE_COLOUR,
    )


def change_bins(edges: Sequence[float] = CHANGE_EDGES_MIN) -> Bins:
    """Classes of the change in minutes (after - before), diverging around "no change".

    ColorBrewer RdBu (reversed): red = longer journeys, blue = shorter, pale grey = no change.

    >>> change_bins().labels[4]
    'no change (within 0.5 min)'
    """
    e = tuple(float(x) for x in edges)
    n = len(e) + 1
    mid = n // 2
    labels: list[str] = []
    for i in range(n):
        if i == 0:
            labels.append(f"{-e[0]:g} min or more shorter")
        elif i == n - 1:
            labels.append(f"more than {e[-1]:g} min longer")
        elif i == mid and n % 2 == 1:
            labels.append(f"no change (within {e[i]:g} min)")
        elif e[i] <= 0:
            labels.append(f"{-e[i]:g} to {-e[i - 1]:g} min shorter")
        else:
            labels.append(f"{e[i - 1]:g} to {e[i]:g} min longer")
    rdbu = _brewer("RdBu", reverse=True)  # blue = shorter, red = longer
    colours = rdbu if n == len(rdbu) else _ramp(rdbu, n, start=0.0)
    return Bins(
        edges=e,
        colours=tuple(colours),
        labels=tuple(labels),
        title="Change in minutes (after minus before)",
        infinite_colour=NO_ROUTE_COLOUR,
        infinite_label="no route after the change",
    )


def imd_bins() -> Bins:
    """The ten IMD deciles: decile 1 (most deprived 10% in England) darkest (ColorBrewer RdPu).

    >>> b = imd_bins()
    >>> b.labels[0], b.labels[-1]
    ('1 (most deprived 10%)', '10 (least deprived 10%)')
    >>> b.classify([1, 10]).tolist()
    [0, 9]
    """
    labels = ["1 (most deprived 10%)", *[str(d) for d in range(2, 10)], "10 (least deprived 10%)"]
    return Bins(
        edges=tuple(float(d) + 0.5 for d in range(1, 10)),
        colours=tuple(reversed(_ramp(_brewer("RdPu"), 10))),
        labels=tuple(labels),
        title="IMD decile (1 = most deprived 10%)",
    )


# --------------------------------------------------------------------------------------------
# geometry and tables shared with the report
# --------------------------------------------------------------------------------------------


def display_shapes(
    shapes: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    simplify_m: float = SIMPLIFY_M,
    decimals: int = COORD_DECIMALS,
) -> gpd.GeoSeries:
    """Area boundaries simplified for display, in EPSG:4326 with rounded coordinates.

    Shared boundaries are simplified once (``shapely.coverage_simplify``, Visvalingam-Whyatt)
    in British National Grid so neighbours keep meeting without gaps; if the areas are not a
    clean coverage, each is simplified on its own (Douglas-Peucker, topology preserved).

    Parameters
    ----------
    shapes
        GeoDataFrame or GeoSeries of polygons (any CRS).
    simplify_m
        Tolerance (metres); 0 keeps every vertex.
    decimals
        Decimal places of longitude and latitude (5 = about 1 m).

    Returns
    -------
    geopandas.GeoSeries
        Same index, EPSG:4326.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> s = gpd.GeoSeries([box(-1.5, 53.2, -1.49, 53.21)], crs=4326)
    >>> display_shapes(s).iloc[0].bounds
    (-1.5, 53.2, -1.49, 53.21)
    """
    import geopandas as gpd
    import shapely

    series = shapes.geometry if hasattr(shapes, "geometry") else shapes
    if series.crs is None:
        series = series.set_crs(WGS84)
    if simplify_m > 0:
        projected = series.to_crs(BRITISH_NATIONAL_GRID)
        geoms = projected.to_numpy()
        try:
            simplified = shapely.coverage_simplify(geoms, simplify_m)
            if not bool(np.all(shapely.is_valid(simplified))):
                raise ValueError("coverage simplification gave invalid shapes")
        except Exception:  # not a clean coverage: simplify each area on its own
            simplified = shapely.simplify(geoms, simplify_m, preserve_topology=True)
        series = gpd.GeoSeries(simplified, index=series.index, crs=BRITISH_NATIONAL_GRID).to_crs(
            WGS84
        )
    else:
        series = series.to_crs(WGS84)
    rounded = shapely.transform(series.to_numpy(), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=series.index, crs=WGS84)


def layer_names(labels: MapLabels) -> dict[str, str]:
    """The layer-control names of a map's area layers, by key (``after``, ``before``...).

    >>> layer_names(MapLabels("Synthshire", "Close two", "walk"))["change"]
    'Change in minutes'
    >>> list(layer_names(MapLabels("Synthshire", "All open", "walk", baseline=True)))
    ['before', 'imd']
    """
    edition = labels.imd_edition
    imd = f"IMD {edition} decile" if edition else "IMD decile"
    imd += " (1 = most deprived)"
    if labels.baseline:
        return {"before": "Minutes: all centres open", "imd": imd}
    return {
        "after": f"Minutes after: {labels.scenario_label}",
        "before": "Minutes before: all centres open",
        "change": "Change in minutes",
        "imd": imd,
    }


def map_filename(scenario: str, mode: str) -> str:
    """The file name of a scenario's map (``maps/<scenario>_<mode>.html``), one per name.

    A name made of letters, digits, ``-``, ``_`` and ``.`` is used as it is. Any other name
    is made safe for every file system, and a short hash of the name as written is added, so
    two names that become the same safe text (``close/x`` and ``close-x``) still get two files.

    >>> map_filename("close-two", "drive")
    'close-two_drive.html'
    >>> map_filename("close/x", "walk"), map_filename("close x", "walk")
    ('close-x-a8ef829e_walk.html', 'close-x-121c6155_walk.html')
    """
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", scenario):
        return f"{scenario}_{mode}.html"
    import hashlib

    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", scenario).strip("-.")[:80] or "scenario"
    tag = hashlib.sha256(scenario.encode("utf-8")).hexdigest()[:8]
    return f"{safe}-{tag}_{mode}.html"


# --------------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------------


def fmt_min(value: float) -> str:
    """Minutes for people: ``'12.3 min'``, ``'no route'`` or ``'no data'``.

    >>> fmt_min(3.14159), fmt_min(float("inf")), fmt_min(float("nan"))
    ('3.1 min', 'no route', 'no data')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    v = float(value)
    if math.isnan(v):
        return "no data"
    if math.isinf(v):
        return "no route"
    return f"{v:.1f} min"


def fmt_change(value: float) -> str:
    """A change in minutes with its sign: ``'+4.2 min'``, ``'no change'``.

    >>> fmt_change(4.25), fmt_change(0.0), fmt_change(-1.0)
    ('+4.2 min', 'no change', '-1.0 min')
    """
    v = float(value)
    if math.isnan(v):
        return "no data"
    if math.isinf(v):
        return "no route after" if v > 0 else "newly reachable"
    if abs(v) < 0.05:
        return "no change"
    return f"{v:+.1f} min"


def fmt_count(value: float) -> str:
    """A count of people rounded to a whole number, with thousands separators.

    >>> fmt_count(1234.4)
    '1,234'
    """
    v = float(value)
    return "no data" if math.isnan(v) else f"{round(v):,}"


def deciles_of(rows: pd.DataFrame) -> np.ndarray:
    """The rows' IMD deciles as floats (NaN where unknown, or without an ``imd_decile`` column).

    >>> import pandas as pd
    >>> deciles_of(pd.DataFrame({"x": [1, 2]})).tolist()
    [nan, nan]
    """
    if "imd_decile" not in rows.columns:
        return np.full(len(rows), np.nan)
    deciles: np.ndarray = pd.to_numeric(rows["imd_decile"], errors="coerce").to_numpy(dtype=float)
    return deciles


# --------------------------------------------------------------------------------------------
# the map model: what a map shows, as plain Python data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegendSection:
    """One block of a map legend: a title, the area layers it explains, and its rows.

    ``rows`` are ``(swatch, label)``: a swatch is a colour (``#rrggbb``) or a marker kind
    (``open``, ``closing``). ``layers`` are the layer keys it belongs to (empty: always shown).
    """

    title: str
    rows: tuple[tuple[str, str], ...]
    layers: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapModel:
    """Everything one impact map shows, before any HTML or JavaScript is written.

    Tests and other renderers read this; :func:`impact_map` draws it with folium.

    Attributes
    ----------
    title
        The page title.
    study_title, scenario_label, mode_words
        The study's title, the scenario's label and the mode in words ("on foot").
    intro
        How to read the map.
    features
        A GeoJSON FeatureCollection of the areas: ``properties`` hold ``code``, the tooltip
        (``tip``, HTML) and the fill colour per layer key (``fill``).
    layers, default_layer
        The area layers (key -> name in the layer control) and the one shown first.
    legend
        The legend blocks (:class:`LegendSection`).
    markers
        One dict per centre: ``id``, ``name``, ``kind`` (``open``/``closing``), ``lat``,
        ``lon``, ``popup`` (HTML).
    sources, notes
        Attribution lines and notes (HTML-safe text).
    banner
        The synthetic-data banner, or "".
    bounds
        ``[[south, west], [north, east]]`` of the areas (degrees).

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> model = map_model(r.scenario("close-two", "drive"), r.centre_table("close-two", "drive"),
    ...                   labels=r.map_labels("close-two", "drive"))
    >>> model.layers["after"], [s.title for s in model.legend][-1]
    ("Minutes after: Close the two 'closing' centres", 'Centres')
    """

    title: str
    study_title: str
    scenario_label: str
    mode_words: str
    intro: str
    features: dict[str, Any]
    layers: dict[str, str]
    default_layer: str
    legend: tuple[LegendSection, ...]
    markers: list[dict[str, Any]]
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
    banner: str = ""
    bounds: list[list[float]] = field(default_factory=list)


def _bins(labels: MapLabels) -> dict[str, Bins]:
    return {"time": time_bins(labels.thresholds_min), "change": change_bins(), "imd": imd_bins()}


def map_model(
    areas: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    *,
    labels: MapLabels,
    tiles: str | None = None,
    shapes: gpd.GeoSeries | None = None,
    simplify_m: float = SIMPLIFY_M,
) -> MapModel:
    """What the impact map of ``areas`` and ``centres`` shows (see :func:`impact_map`).

    Parameters
    ----------
    areas
        One row per area (index ``lsoa_code``) with ``time_min``, ``baseline_time_min``,
        ``change_min`` (minutes), ``centre_name``, ``baseline_centre_name``, and optionally
        ``lsoa_name``, ``lad_name``, ``imd_decile`` and the weight column; boundaries as the
        geometry.
    centres
        One row per centre (index the centre id) with ``name``, ``kind`` (``open`` or
        ``closing``), ``location_quality``, ``approximate`` (bool), ``served_before`` and
        ``served_after`` (people), optionally ``status`` and ``location_evidence``; points as
        the geometry.
    labels
        The words (:class:`MapLabels`).
    tiles
        The basemap, if any (only changes what the sources box says).
    shapes
        Ready display shapes (:func:`display_shapes`) to reuse across maps.
    simplify_m
        Display simplification (metres) when ``shapes`` is not given.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> model = map_model(r.scenario("close-two", "walk"), r.centre_table("close-two", "walk"),
    ...                   labels=r.map_labels("close-two", "walk"))
    >>> len(model.features["features"]), sorted({m["kind"] for m in model.markers})
    (4, ['closing', 'open'])
    """
    from shapely.geometry import mapping

    from centrereach._templates import render

    if shapes is None:
        shapes = display_shapes(areas.geometry, simplify_m=simplify_m)
    bins = _bins(labels)
    names = layer_names(labels)
    default = "before" if labels.baseline else "after"
    weight_long = WEIGHT_LONG.get(labels.weight, labels.weight)
    classes = {
        "after": bins["time"].classify(areas["time_min"]),
        "before": bins["time"].classify(areas["baseline_time_min"]),
        "change": bins["change"].classify(areas["change_min"]),
        "imd": bins["imd"].classify(deciles_of(areas)),
    }
    which = {"after": "time", "before": "time", "change": "change", "imd": "imd"}
    features = []
    for i, (code, row) in enumerate(areas.iterrows()):
        geom = shapes.get(code)
        if geom is None or geom.is_empty:
            continue
        tip = render(
            "maps/tooltip.html.j2",
            code=str(code),
            name=row.get("lsoa_name") or code,
            district=row.get("lad_name", "") or "not known",
            decile=decile_words(row.get("imd_decile")),
            weight=weight_long.capitalize(),
            people=fmt_count(row.get(labels.weight, float("nan"))),
            baseline=labels.baseline,
            scenario=labels.scenario_label,
            before=fmt_min(row["baseline_time_min"]),
            before_centre=row["baseline_centre_name"],
            after=fmt_min(row["time_min"]),
            after_centre=row["centre_name"],
            change=fmt_change(row["change_min"]),
        )
        features.append(
            {
                "type": "Feature",
                "id": str(code),
                "properties": {
                    "code": str(code),
                    "tip": str(tip),
                    "fill": {k: bins[which[k]].colour_of(int(classes[k][i])) for k in classes},
                },
                "geometry": mapping(geom),
            }
        )
    legend = [LegendSection(bins["time"].title, tuple(bins["time"].legend()),
                            tuple(k for k in ("after", "before") if k in names))]  # fmt: skip
    if "change" in names:
        legend.append(LegendSection(bins["change"].title, tuple(bins["change"].legend()),
                                    ("change",)))  # fmt: skip
    imd_rows = (*bins["imd"].legend(), (NO_DATA_COLOUR, "no data"))
    legend.append(LegendSection(bins["imd"].title, imd_rows, ("imd",)))
    kinds = ["open", *(["closing"] if (centres["kind"] == "closing").any() else [])]
    legend.append(LegendSection("Centres", tuple((k, f"Centre {MARKER_WORDS[k]}") for k in kinds)))
    sources = [SYNTHETIC_ATTRIBUTION + "."] if labels.synthetic else [a + "." for a in ATTRIBUTION]
    sources.append(
        "Basemap: see the credit at the bottom right."
        if tiles
        else "No basemap: area outlines only."
    )
    notes = []
    approx = centres[centres["approximate"].astype(bool)]
    if len(approx):
        kinds_q = sorted(set(approx["location_quality"].astype(str).str.lower()))
        described = "; ".join(f"{k}: {LOCATION_QUALITY.get(k, k)}" for k in kinds_q)
        notes.append(
            f"Centre locations are approximate for {len(approx)} of {len(centres)} centres "
            f"({described}). A marker shows roughly where a centre is, not its door; travel "
            "times to it carry the same uncertainty."
        )
    if labels.excluded:
        notes.append(
            f"{labels.excluded} area(s) are not on the map: outside the road network "
            "(see the report)."
        )
    present = shapes.loc[[c for c in areas.index if c in shapes.index]]
    minx, miny, maxx, maxy = (float(v) for v in present.total_bounds)
    mode_word = MODE_WORDS.get(labels.mode, labels.mode)
    return MapModel(
        title=f"{labels.title}: {labels.scenario_label}, {mode_word}",
        study_title=labels.title,
        scenario_label=labels.scenario_label,
        mode_words=mode_word,
        intro=(
            f"Minutes to the nearest open centre for {weight_long} in each area. Choose a "
            "layer at the top right; hover over an area for its figures; click a centre."
        ),
        features={"type": "FeatureCollection", "features": features},
        layers=names,
        default_layer=default,
        legend=tuple(legend),
        markers=_centre_markers(centres, labels),
        sources=tuple(sources),
        notes=tuple(notes),
        banner=SYNTHETIC_BANNER if labels.synthetic else "",
        bounds=[[miny, minx], [maxy, maxx]],
    )


def _centre_markers(centres: gpd.GeoDataFrame, labels: MapLabels) -> list[dict[str, Any]]:
    """One marker per centre: position, shape, and a popup with whom it serves."""
    from centrereach._templates import render

    weight_word = WEIGHT_WORDS.get(labels.weight, labels.weight)
    points = centres.geometry.to_crs(WGS84) if centres.crs is not None else centres.geometry
    markers = []
    for (cid, c), point in zip(centres.iterrows(), points, strict=True):
        kind = str(c["kind"])
        quality = str(c["location_quality"]).lower()
        popup = render(
            "maps/popup.html.j2",
            name=c["name"],
            status_column=labels.status_column,
            status=c.get("status", ""),
            kind_words=MARKER_WORDS[kind],
            location=LOCATION_QUALITY.get(quality, quality) if c["approximate"] else "exact",
            evidence=c.get("location_evidence", "") or "",
            baseline=labels.baseline,
            weight=weight_word,
            before=fmt_count(c["served_before"]),
            after=fmt_count(c["served_after"]),
        )
        markers.append(
            {
                "id": str(cid),
                "name": str(c["name"]),
                "kind": kind,
                "lat": round(float(point.y), COORD_DECIMALS),
                "lon": round(float(point.x), COORD_DECIMALS),
                "popup": str(popup),
            }
        )
    return markers


# --------------------------------------------------------------------------------------------
# the folium map
# --------------------------------------------------------------------------------------------


@functools.cache
def _script(name: str) -> str:
    """A map script template (``templates/maps/NAME.js.j2``): folium renders it."""
    from importlib.resources import files

    return (files("centrereach") / "templates" / "maps" / f"{name}.js.j2").read_text("utf-8")


def _macro(name: str, **attrs: Any) -> Any:
    """A branca MacroElement drawn by our script template ``name``."""
    from branca.element import MacroElement
    from folium.template import Template

    element = MacroElement()  # type: ignore[no-untyped-call]  # branca has no annotations
    element._name = attrs.pop("_name", "CentrereachElement")
    element._template = Template(_script(name))
    for key, value in attrs.items():
        setattr(element, key, value)
    return element


def _layer(name: str, script: str, *, overlay: bool, show: bool = True, **attrs: Any) -> Any:
    """A folium Layer (so the layer control lists it) drawn by our own script template."""
    from folium.map import Layer
    from folium.template import Template

    layer = Layer(name=name, overlay=overlay, control=True, show=show)
    layer._name = "AreaLayer" if not overlay else "Centres"
    layer._template = Template(_script(script))
    for key, value in attrs.items():
        setattr(layer, key, value)
    return layer


def _control(position: str, css_class: str, inner_html: str) -> Any:
    from centrereach._templates import script_json

    return _macro("control", _name="CentrereachControl", position=position,
                  css_class=css_class, html_json=script_json(inner_html))  # fmt: skip


@functools.cache
def _inline_figure_class() -> type:
    from branca.element import Figure

    from centrereach._assets import inline_assets

    class InlineFigure(Figure):
        """A figure whose scripts and stylesheets are inlined when rendered."""

        def __init__(self, assets: Mapping[str, str], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.assets = dict(assets)

        def render(self, **kwargs: Any) -> str:
            return inline_assets(super().render(**kwargs), self.assets)

    return InlineFigure


def fetch_offline_assets(
    *,
    directory: str | os.PathLike[str] | None = None,
    registry: str | None = None,
    progress: bool = False,
) -> Path:
    """Fetch what self-contained maps inline: Leaflet's npm tarball, checked, into the cache.

    The tarball of the Leaflet version folium's maps load comes from the npm registry with
    pooch and must match the registry's integrity hash; no Node.js is needed. Maps fetch it
    themselves when they need it; call this once on a machine with internet to build maps
    later with none (or copy the assets folder). The file goes to ``CENTREREACH_ASSETS_DIR`` or
    the user cache folder (``directory`` overrides).

    Parameters
    ----------
    directory
        The assets folder (default: ``web-assets`` in the cache root).
    registry
        The npm registry (default ``https://registry.npmjs.org``).
    progress
        Show a progress bar.

    Returns
    -------
    pathlib.Path
        The assets folder.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        The download failed (no internet?); the message names the file to download by hand and
        where to put it.

    Examples
    --------
    >>> import tempfile, folium
    >>> leaflet = dict(folium.Map.default_js)["leaflet"].split("/npm/")[1].split("/")[0]
    >>> leaflet  # the version folium's maps load
    'leaflet@...'
    >>> try:  # no registry here: the message says what to download and where
    ...     fetch_offline_assets(directory=tempfile.mkdtemp(), registry="http://127.0.0.1:9")
    ... except Exception as exc:
    ...     print(type(exc).__name__, "leaflet-1.9.3.tgz" in str(exc))
    DataNotFoundError True
    """
    from centrereach import _assets

    folder = Path(directory) if directory is not None else None
    return _assets.fetch_packages(
        _leaflet_specs(), directory=folder, registry=registry, progress=progress
    )


def _leaflet_specs() -> list[str]:
    from centrereach import _assets

    specs = []
    for url in _offline_urls():
        source = _assets.npm_source(url)
        if source is not None:
            specs.append(f"{source[0]}@{source[1]}")
    return list(dict.fromkeys(specs))


def leaflet_assets(
    *,
    assets_dir: str | os.PathLike[str] | None = None,
    fetch: bool = True,
    warn: bool = True,
) -> dict[str, str] | None:
    """Leaflet's JavaScript and CSS for a self-contained map, or None (with a warning).

    Read from the verified npm tarball in the assets folder, downloaded first when missing or
    damaged (``fetch``). When that is impossible (no internet and no good copy), the maps must
    link Leaflet from a CDN: this says so loudly with a :class:`MapAssetsWarning` (``warn``)
    that also says how to get the file, and returns None.

    Parameters
    ----------
    assets_dir
        The assets folder (default ``CENTREREACH_ASSETS_DIR`` or the user cache).
    fetch
        Download a missing or damaged tarball from the npm registry.
    warn
        Warn when Leaflet cannot be had.

    Returns
    -------
    dict or None
        CDN URL -> file text (``leaflet.js``, ``leaflet.css`` with its images inlined).

    Examples
    --------
    >>> import tempfile, warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     got = leaflet_assets(assets_dir=tempfile.mkdtemp(), fetch=False)
    >>> got is None, caught[0].category.__name__
    (True, 'MapAssetsWarning')
    """
    import warnings

    from centrereach import _assets
    from centrereach.errors import DataNotFoundError, MapAssetsWarning

    try:
        return _assets.load_assets(
            _offline_urls(),
            directory=Path(assets_dir) if assets_dir is not None else None,
            fetch=fetch,
        )
    except DataNotFoundError as exc:
        if warn:
            msg = (
                f"the maps cannot be made self-contained: {exc} They link Leaflet from the "
                "internet instead, and show only a message where there is none."
            )
            warnings.warn(msg, MapAssetsWarning, stacklevel=2)
        return None


#: What a map's sources box says where its basemap tiles do not load (no internet).
NO_BASEMAP_OFFLINE = "No basemap: area outlines only (the basemap needs internet)."

#: What a CDN-linked map shows, in place of a blank page, where Leaflet did not load.
NO_LEAFLET = (
    "This map needs the internet: it links its map library (Leaflet) from a content-delivery "
    "network, which did not load. Open it with internet access, or build the maps again with "
    "centrereach without --cdn on a machine that can fetch Leaflet once; they then open "
    "anywhere."
)


def _no_leaflet_notice() -> Any:
    """A script that puts :data:`NO_LEAFLET` on the page when Leaflet did not load."""
    from branca.element import Element

    from centrereach._templates import script_json

    return Element(
        "<script>if (typeof L === 'undefined') {"
        "var d = document.createElement('div'); d.className = 'cr-no-leaflet';"
        "d.setAttribute('role', 'alert');"
        "d.style.cssText = 'margin:16px;padding:12px 16px;border:2px solid #b2182b;"
        "background:#fff5f0;font:16px/1.4 sans-serif;color:#222;max-width:46em';"
        f"d.textContent = {script_json(NO_LEAFLET)};"
        "document.body.insertBefore(d, document.body.firstChild);}</script>"
    )


def _offline_urls() -> list[str]:
    import folium

    js = dict(folium.Map.default_js)["leaflet"]
    css = dict(folium.Map.default_css)["leaflet_css"]
    return [js, css]


def impact_map(
    areas: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    *,
    labels: MapLabels,
    m: folium.Map | None = None,
    cdn: bool = False,
    tiles: str | None = "auto",
    simplify_m: float = SIMPLIFY_M,
    shapes: gpd.GeoSeries | None = None,
    assets_dir: str | os.PathLike[str] | None = None,
    fetch_assets: bool = True,
) -> folium.Map:
    """An interactive map of one scenario and travel mode (see the module docstring).

    The usual way in is :meth:`centrereach.StudyResult.explore`, which passes a result's
    tables; any GeoDataFrames with the columns of :func:`map_model` work.

    Parameters
    ----------
    areas, centres, labels
        What to draw (see :func:`map_model`).
    m
        An existing :class:`folium.Map` to draw onto; the layers, legend and boxes are added
        to it, and its layer control is left to you. ``cdn`` does not apply then.
    cdn
        False (default): inline Leaflet's JavaScript and CSS, so the file opens with no
        internet (about 190 kB more). True: link them from a CDN (the page then needs
        internet). Where Leaflet cannot be had for inlining, the map links it with a
        :class:`~centrereach.errors.MapAssetsWarning`.
    tiles
        A folium tile name or URL; ``"auto"`` = ``"OpenStreetMap"``; ``None`` = none. Tiles
        need internet: where they do not load, the sources box says "No basemap: area
        outlines only". OpenStreetMap's servers may refuse tiles to a page opened from a file
        (it sends no Referer); the areas, legend and tooltips read without them.
    simplify_m
        Display simplification tolerance (metres); see :func:`display_shapes`.
    shapes
        Ready display shapes (from :func:`display_shapes`) to reuse across maps.
    assets_dir, fetch_assets
        Where Leaflet's npm tarball is (default ``CENTREREACH_ASSETS_DIR`` or the user cache),
        and whether to download it from the npm registry when missing or damaged.

    Returns
    -------
    folium.Map
        ``.save(path)`` (or :func:`save_map`) writes the HTML.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> m = impact_map(r.scenario("close-two", "drive"), r.centre_table("close-two", "drive"),
    ...                labels=r.map_labels("close-two", "drive"))
    >>> page = m.get_root().render()
    >>> "Minutes after: Close the two" in page and "SYNTHETIC DATA" in page
    True
    """
    import folium

    from centrereach._templates import environment, script_json

    assets: dict[str, str] | None = None
    if not cdn and m is None:
        assets = leaflet_assets(assets_dir=assets_dir, fetch=fetch_assets)
        cdn = assets is None
    if tiles == "auto":
        tiles = _DEFAULT_TILES
    model = map_model(areas, centres, labels=labels, tiles=tiles, shapes=shapes,
                      simplify_m=simplify_m)  # fmt: skip
    fmap = m
    if fmap is None:
        (south, west), (north, east) = model.bounds
        fmap = folium.Map(
            location=[(south + north) / 2, (west + east) / 2],
            zoom_start=11,
            tiles=None,
            control_scale=True,
            prefer_canvas=False,
            zoom_snap=0.25,
        )
        if assets is not None:
            js, css = _offline_urls()
            fmap.default_js = [("leaflet", js)]
            fmap.default_css = [("leaflet_css", css)]
            _inline_figure_class()(assets, title=model.title).add_child(fmap)
        else:
            figure = fmap.get_root()
            setattr(figure, "title", model.title)  # noqa: B010 - branca Figure's title
            figure.html.add_child(_no_leaflet_notice())  # type: ignore[attr-defined]
    fmap.add_child(_macro("style"))
    basemap = None
    if tiles:
        basemap = folium.TileLayer(
            tiles,
            name="Basemap",
            overlay=True,
            control=True,
            # OpenStreetMap's tile servers require a Referer (sent when the page is served
            # over HTTP; a page opened from a file sends none).
            referrer_policy="strict-origin-when-cross-origin",
        )
        basemap.add_to(fmap)
    data = _macro("data", _name="AreaData", data_json=script_json(model.features))
    fmap.add_child(data)
    layer_vars: dict[str, str] = {}
    for key, name in model.layers.items():
        layer = _layer(name, "area_layer", overlay=False, show=key == model.default_layer,
                       key=key, data_name=data.get_name(),
                       opacity=0.72 if tiles else 0.92)  # fmt: skip
        fmap.add_child(layer)
        layer_vars[key] = layer.get_name()
    markers = [{**mk, "icon": MARKER_SVG[mk["kind"]]} for mk in model.markers]
    centre_layer = _layer("Centres", "centres", overlay=True, centres_json=script_json(markers))
    fmap.add_child(centre_layer)
    boxes: Any = environment().get_template("maps/boxes.html.j2").module  # its macros
    for position, css_class, inner in (
        ("topleft", "cr-box cr-title", boxes.title(model)),
        ("bottomright", "cr-box cr-legend", boxes.legend(model, MARKER_SVG)),
        ("bottomleft", "cr-box cr-sources", boxes.sources(model)),
        ("bottomleft", "cr-box cr-note", boxes.notes(model)),
    ):
        if str(inner).strip():
            fmap.add_child(_control(position, css_class, str(inner).strip()))
    if model.banner:
        fmap.add_child(_macro("banner", banner=model.banner))
    if m is None:
        folium.LayerControl(position="topright", collapsed=False).add_to(fmap)
    fmap.add_child(
        _macro(
            "registry",
            _name="Registry",
            map_name=fmap.get_name(),
            layers=layer_vars,
            names_json=script_json(model.layers),
            n_areas=len(model.features["features"]),
            default=model.default_layer,
            centres_name=centre_layer.get_name(),
            bounds_json=script_json(model.bounds),
            tiles_name=basemap.get_name() if basemap is not None else "",
            no_basemap=NO_BASEMAP_OFFLINE,
        )
    )
    return fmap


def save_map(fmap: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write a map's HTML atomically (a temporary file beside ``path``, then a rename).

    An interrupted save leaves the previous file, or none, never half a page.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import pathlib, tempfile, folium
    >>> fmap = folium.Map(location=[53.235, -1.421], zoom_start=12, tiles=None)  # Chesterfield
    >>> path = save_map(fmap, pathlib.Path(tempfile.mkdtemp()) / "chesterfield.html")
    >>> path.name, path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    ('chesterfield.html', True)
    """
    from centrereach._io import write_text_atomic

    return write_text_atomic(path, fmap.get_root().render())
