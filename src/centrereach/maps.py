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

``offline=True`` inlines Leaflet (from its npm package, see :mod:`centrereach._assets`) and
drops the basemap tiles, so the file opens with no internet.

folium is imported inside the functions that need it; the palettes and tables here are also
used by :mod:`centrereach.report` for its static maps.

>>> time_bins((15, 30)).labels
('15 min or less', '15 to 30 min', 'more than 30 min')
>>> change_bins().classify([0.0, 12.0, 40.0]).tolist()
[4, 6, 8]
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from centrereach.errors import DataFormatError, UnknownCentreError

if TYPE_CHECKING:
    import folium

    from centrereach.study import StudyResult

__all__ = [
    "ATTRIBUTION",
    "CHANGE_EDGES_MIN",
    "SIMPLIFY_M",
    "Bins",
    "area_table",
    "centre_table",
    "change_bins",
    "display_shapes",
    "fetch_offline_assets",
    "imd_bins",
    "impact_map",
    "layer_names",
    "map_filename",
    "save_map",
    "time_bins",
]

#: Display simplification tolerance (metres, in British National Grid).
SIMPLIFY_M = 25.0
#: Decimal places of longitude/latitude written to the maps (5 = about 1 m).
COORD_DECIMALS = 5
#: Class boundaries of the change layer (minutes, after - before); symmetric around 0.
CHANGE_EDGES_MIN: tuple[float, ...] = (-30.0, -15.0, -5.0, -0.5, 0.5, 5.0, 15.0, 30.0)

#: The attribution every map and report built from the official data must carry.
ATTRIBUTION: tuple[str, ...] = (
    "Road network © OpenStreetMap contributors, available under the Open Database Licence (ODbL)",
    "Contains OS data © Crown copyright and database right 2025",
    "Contains National Statistics data © Crown copyright and database right",
    "Contains public sector information licensed under the Open Government Licence v3.0",
)
SYNTHETIC_BANNER = "SYNTHETIC DATA: invented for a demonstration, not a real place"
SYNTHETIC_ATTRIBUTION = "Synthetic data: areas, people, roads and centres invented by centrereach"

# ColorBrewer palettes (Cynthia Brewer, Penn State; Apache-2.0 licensed colour specifications).
_YLGNBU = (
    "#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4",
    "#1d91c0", "#225ea8", "#253494", "#081d58",
)  # fmt: skip
_RDBU_9 = (
    "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
    "#fddbc7", "#f4a582", "#d6604d", "#b2182b",
)  # fmt: skip
_RDPU = (
    "#fff7f3", "#fde0dd", "#fcc5c0", "#fa9fb5", "#f768a1",
    "#dd3497", "#ae017e", "#7a0177", "#49006a",
)  # fmt: skip
NO_DATA_COLOUR = "#d9d9d9"
NO_ROUTE_COLOUR = "#3f3f3f"
OPEN_COLOUR = "#1b7837"
CLOSING_COLOUR = "#b2182b"

MODE_WORDS = {"drive": "by car", "walk": "on foot"}
WEIGHT_WORDS = {"children": "children", "population": "people", "under5": "under-fives"}
WEIGHT_LONG = {
    "children": "children aged 0 to 15",
    "population": "people (all ages)",
    "under5": "children aged under 5",
}
LOCATION_QUALITY = {
    "settlement": "centre of the village, town or estate (about ±1 km)",
    "street": "on the named street (about ±300 m)",
    "postcode": "postcode centroid (about ±100 m)",
    "synthetic": "invented",
}
EXACT_QUALITIES = frozenset({"exact", "address", "building", "uprn", "geocoded-address"})

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

    def classify(self, values: Any) -> np.ndarray:
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
        colours=_ramp(_YLGNBU, len(edges) + 1),
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
    colours = _RDBU_9 if n == len(_RDBU_9) else _ramp(_RDBU_9, n, start=0.0)
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
        colours=tuple(reversed(_ramp(_RDPU, 10))),
        labels=tuple(labels),
        title="IMD decile (1 = most deprived 10%)",
    )


# --------------------------------------------------------------------------------------------
# geometry and tables shared with the report
# --------------------------------------------------------------------------------------------


def display_shapes(
    shapes: Any, *, simplify_m: float = SIMPLIFY_M, decimals: int = COORD_DECIMALS
) -> Any:
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
        series = series.set_crs(4326)
    if simplify_m > 0:
        projected = series.to_crs(27700)
        geoms = projected.to_numpy()
        try:
            simplified = shapely.coverage_simplify(geoms, simplify_m)
            if not bool(np.all(shapely.is_valid(simplified))):
                raise ValueError("coverage simplification gave invalid shapes")
        except Exception:  # not a clean coverage: simplify each area on its own
            simplified = shapely.simplify(geoms, simplify_m, preserve_topology=True)
        series = gpd.GeoSeries(simplified, index=series.index, crs=27700).to_crs(4326)
    else:
        series = series.to_crs(4326)
    rounded = shapely.transform(series.to_numpy(), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=series.index, crs=4326)


def _check(result: StudyResult, scenario: str, mode: str) -> None:
    if scenario not in result.scenarios:
        msg = f"no scenario {scenario!r}; the study has {', '.join(result.scenarios)}"
        raise UnknownCentreError(msg)
    modes = list(dict.fromkeys(result.areas["mode"]))
    if mode not in modes:
        msg = f"no mode {mode!r} in the results; the study has {', '.join(modes)}"
        raise DataFormatError(msg)


def _centre_names(result: StudyResult) -> dict[str, str]:
    centres = result.centres
    if "name" in getattr(centres, "columns", []):
        return {str(k): str(v) for k, v in centres["name"].items()}
    return {str(k): str(k) for k in centres.index}


def status_column(result: StudyResult) -> str | None:
    """The centres' status column (``[centres] status_column``, else one named ``status*``)."""
    spec = result.study.centres_spec.get("status_column") if result.study.centres_spec else None
    columns = [str(c) for c in getattr(result.centres, "columns", [])]
    if spec and spec in columns:
        return str(spec)
    for column in columns:
        if column.lower().startswith("status"):
            return column
    return None


def area_table(result: StudyResult, *, scenario: str, mode: str) -> pd.DataFrame:
    """One row per area for one scenario and mode, with centre names (index ``lsoa_code``).

    Adds ``centre_name`` and ``baseline_centre_name`` to the rows of ``result.areas``.

    >>> from centrereach.synthetic import synthetic_study
    >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> t = area_table(r, scenario="close-two", mode="walk")
    >>> bool(t["centre_name"].str.endswith("Family Centre").all())
    True
    """
    _check(result, scenario, mode)
    a = result.areas
    rows = a[(a["scenario"] == scenario) & (a["mode"] == mode)].set_index("lsoa_code")
    names = _centre_names(result)
    rows = rows.copy()
    rows["centre_name"] = [names.get(str(c), str(c)) for c in rows["centre_id"]]
    rows["baseline_centre_name"] = [names.get(str(c), str(c)) for c in rows["baseline_centre_id"]]
    return rows


def centre_table(result: StudyResult, *, scenario: str, mode: str) -> pd.DataFrame:
    """The centres in one scenario and mode: open or closing, and who they serve.

    Returns
    -------
    pandas.DataFrame
        Index ``centre_id``; columns ``name``, ``kind`` (``open`` or ``closing``), ``status``
        (the centres file's status column, or ""), ``location_quality``, ``approximate``
        (bool), ``lon``, ``lat``, ``served_before`` and ``served_after`` (the study weight,
        e.g. children, whose nearest centre it is with every centre open and in the
        scenario; people).

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> t = centre_table(r, scenario="close-two", mode="drive")
    >>> sorted(set(t["kind"]))
    ['closing', 'open']
    >>> bool((t["served_before"].sum() == t["served_after"].sum()))
    True
    """
    _check(result, scenario, mode)
    rows = area_table(result, scenario=scenario, mode=mode)
    weight = rows[result.study.weight].fillna(0).astype(float)
    before = weight.groupby(rows["baseline_centre_id"].astype(str)).sum()
    after = weight.groupby(rows["centre_id"].astype(str)).sum()
    centres = result.centres
    points = centres.geometry.to_crs(4326) if centres.crs is not None else centres.geometry
    closed = set(result.scenarios[scenario].closed_centres)
    status = status_column(result)
    quality = (
        centres["location_quality"].astype(str)
        if "location_quality" in centres.columns
        else pd.Series("unknown", index=centres.index)
    )
    names = _centre_names(result)
    ids = [str(c) for c in centres.index]
    out = pd.DataFrame(
        {
            "name": [names[c] for c in ids],
            "kind": ["closing" if c in closed else "open" for c in ids],
            "status": centres[status].astype(str).to_numpy() if status else "",
            "location_quality": quality.to_numpy(),
            "approximate": [q.lower() not in EXACT_QUALITIES for q in quality],
            "lon": points.x.to_numpy(),
            "lat": points.y.to_numpy(),
            "served_before": [float(before.get(c, 0.0)) for c in ids],
            "served_after": [float(after.get(c, 0.0)) for c in ids],
        },
        index=pd.Index(ids, name="centre_id"),
    )
    return out


def layer_names(result: StudyResult, *, scenario: str) -> dict[str, str]:
    """The layer-control names of a map's area layers, by key (``after``, ``before``...).

    >>> from centrereach.synthetic import synthetic_study
    >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> layer_names(r, scenario="close-two")["change"]
    'Change in minutes'
    """
    label = result.scenarios[scenario].label
    edition = getattr(result.area_shapes, "attrs", {}).get("imd_edition")
    imd = f"IMD {edition} decile" if isinstance(edition, int) else "IMD decile"
    imd += " (1 = most deprived)"
    from centrereach.scenarios import BASELINE

    if scenario == BASELINE:
        return {"before": "Minutes: all centres open", "imd": imd}
    return {
        "after": f"Minutes after: {label}",
        "before": "Minutes before: all centres open",
        "change": "Change in minutes",
        "imd": imd,
    }


def map_filename(scenario: str, mode: str) -> str:
    """The file name of a scenario's map (``maps/<scenario>_<mode>.html``).

    >>> map_filename("close two", "drive")
    'close-two_drive.html'
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", scenario).strip("-") or "scenario"
    return f"{safe}_{mode}.html"


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
    return pd.to_numeric(rows["imd_decile"], errors="coerce").to_numpy(dtype=float)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _js(value: Any) -> str:
    """JSON for a ``<script>`` element (compact; ``<``, ``>`` and ``&`` escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _decile_text(value: Any) -> str:
    if value is None or pd.isna(value):
        return "no data"
    d = int(value)
    extra = " (most deprived 10%)" if d == 1 else " (least deprived 10%)" if d == 10 else ""
    return f"{d}{extra}"


# --------------------------------------------------------------------------------------------
# the map
# --------------------------------------------------------------------------------------------


def _features(
    rows: pd.DataFrame,
    shapes: Any,
    *,
    weight: str,
    bins: Mapping[str, Bins],
    baseline: bool,
    scenario_label: str,
) -> dict[str, Any]:
    from shapely.geometry import mapping

    weight_word = WEIGHT_LONG.get(weight, weight)
    classes = {
        "after": bins["time"].classify(rows["time_min"]),
        "before": bins["time"].classify(rows["baseline_time_min"]),
        "change": bins["change"].classify(rows["change_min"]),
        "imd": bins["imd"].classify(deciles_of(rows)),
    }
    which = {"after": "time", "before": "time", "change": "change", "imd": "imd"}
    features = []
    for i, (code, row) in enumerate(rows.iterrows()):
        geom = shapes.get(code)
        if geom is None or geom.is_empty:
            continue
        name = row.get("lsoa_name") or code
        lines = [
            f"<b>{_e(name)}</b> <span class='cr-code'>{_e(code)}</span>",
            f"District: {_e(row.get('lad_name', '') or 'not known')}",
            f"IMD decile: {_e(_decile_text(row.get('imd_decile')))}",
            f"{_e(weight_word.capitalize())}: {_e(fmt_count(row.get(weight, float('nan'))))}",
        ]
        if baseline:
            lines.append(
                f"Minutes: <b>{_e(fmt_min(row['baseline_time_min']))}</b> to "
                f"{_e(row['baseline_centre_name'])}"
            )
        else:
            lines += [
                f"Before (all centres open): <b>{_e(fmt_min(row['baseline_time_min']))}</b> "
                f"to {_e(row['baseline_centre_name'])}",
                f"After ({_e(scenario_label)}): <b>{_e(fmt_min(row['time_min']))}</b> "
                f"to {_e(row['centre_name'])}",
                f"Change: <b>{_e(fmt_change(row['change_min']))}</b>",
            ]
        fills = {k: bins[which[k]].colour_of(int(classes[k][i])) for k in classes}
        features.append(
            {
                "type": "Feature",
                "id": str(code),
                "properties": {"code": str(code), "tip": "<br>".join(lines), "fill": fills},
                "geometry": mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


_CSS = """
.cr-box{background:rgba(255,255,255,.94);padding:6px 9px;border-radius:5px;
 box-shadow:0 1px 5px rgba(0,0,0,.35);font:12px/1.35 system-ui,-apple-system,"Segoe UI",
 Roboto,Arial,sans-serif;color:#1a1a1a;max-width:330px}
.cr-title h1{font-size:15px;margin:0 0 3px;line-height:1.25}
.cr-title p{margin:0}
.cr-legend h2{font-size:12px;margin:4px 0 3px}
.cr-row{display:flex;align-items:center;gap:6px;margin:1px 0}
.cr-swatch{width:20px;height:12px;border:1px solid #666;flex:none}
.cr-legend svg{flex:none;width:18px;height:18px}
.cr-sources{font-size:10.5px;max-width:390px;color:#333}
.cr-sources p{margin:1px 0}
.cr-note{border-left:5px solid #e08214;max-width:360px}
.cr-banner{position:absolute;top:8px;left:50%;transform:translateX(-50%);z-index:1001;
 background:#b00020;color:#fff;font:bold 15px/1.3 system-ui,Arial,sans-serif;
 padding:6px 16px;border-radius:4px;letter-spacing:.04em;pointer-events:none;
 box-shadow:0 1px 6px rgba(0,0,0,.4);white-space:nowrap}
.cr-code{color:#555;font-size:11px}
.cr-centre-icon{background:none;border:none}
.leaflet-tooltip{font:12px/1.35 system-ui,Arial,sans-serif}
.leaflet-control-layers-base label,.leaflet-control-layers-overlays label{font-size:12px}
.leaflet-container{background:#f4f4f2}
@media (max-width:700px){.cr-sources,.cr-note{display:none}}
"""


def _macro(template: str, **attrs: Any) -> Any:
    """A branca MacroElement with an instance template and attributes."""
    from branca.element import MacroElement
    from folium.template import Template

    element = MacroElement()
    element._name = attrs.pop("_name", "CentrereachElement")
    element._template = Template(template)
    for key, value in attrs.items():
        setattr(element, key, value)
    return element


_CONTROL_JS = """
{% macro script(this, kwargs) %}
(function () {
  var control = L.control({position: {{ this.position|tojson }}});
  control.onAdd = function () {
    var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
    div.innerHTML = {{ this.html_json }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  control.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
"""


def _control(position: str, css_class: str, inner_html: str) -> Any:
    return _macro(
        _CONTROL_JS,
        _name="CentrereachControl",
        position=position,
        css_class=css_class,
        html_json=_js(inner_html),
    )


def _legend_html(
    bins: Mapping[str, Bins], keys: Sequence[str], *, closing: bool, show_change: bool
) -> str:
    parts = []

    def block(layers: str, b: Bins, *, extra: Sequence[tuple[str, str]] = ()) -> None:
        rows = "".join(
            f'<div class="cr-row"><span class="cr-swatch" style="background:{c}"></span>'
            f"<span>{_e(label)}</span></div>"
            for c, label in [*b.legend(), *extra]
        )
        parts.append(f'<section data-cr-layers="{layers}"><h2>{_e(b.title)}</h2>{rows}</section>')

    time_layers = " ".join(k for k in ("after", "before") if k in keys)
    block(time_layers, bins["time"])
    if show_change:
        block("change", bins["change"])
    block("imd", bins["imd"], extra=[(NO_DATA_COLOUR, "no data")])
    markers = [("open", MARKER_WORDS["open"])]
    if closing:
        markers.append(("closing", MARKER_WORDS["closing"]))
    rows = "".join(
        f'<div class="cr-row">{MARKER_SVG[k]}<span>Centre {_e(w)}</span></div>' for k, w in markers
    )
    parts.append(f"<section><h2>Centres</h2>{rows}</section>")
    return "".join(parts)


def _sources_html(result: StudyResult, *, tiles: str | None) -> str:
    lines = []
    if result.study.synthetic:
        lines.append(SYNTHETIC_ATTRIBUTION + ".")
    else:
        lines += [_e(a) + "." for a in ATTRIBUTION]
    if tiles:
        lines.append("Basemap: see the credit at the bottom right.")
    else:
        lines.append("No basemap: area outlines only.")
    return "<b>Sources</b>" + "".join(f"<p>{line}</p>" for line in lines)


def _notes_html(result: StudyResult, centres: pd.DataFrame) -> str:
    notes = []
    approx = centres[centres["approximate"]]
    if len(approx):
        kinds = sorted(set(approx["location_quality"].str.lower()))
        described = "; ".join(f"{k}: {LOCATION_QUALITY.get(k, k)}" for k in kinds)
        notes.append(
            f"<b>Centre locations are approximate</b> for {len(approx)} of {len(centres)} "
            f"centres ({_e(described)}). A marker shows roughly where a centre is, not its "
            "door; travel times to it carry the same uncertainty."
        )
    if result.excluded:
        notes.append(
            f"{len(result.excluded)} area(s) are not on the map: outside the road network "
            "(see the report)."
        )
    return "".join(f"<p style='margin:2px 0'>{n}</p>" for n in notes)


_DATA_JS = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = {{ this.data_json }};
{% endmacro %}
"""

_AREA_LAYER_JS = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJson({{ this.data_name }}, {
  crKey: {{ this.key|tojson }},
  style: function (f) {
    return {fillColor: f.properties.fill[{{ this.key|tojson }}], fillOpacity: {{ this.opacity }},
            color: "#4d4d4d", weight: 0.6, opacity: 0.9};
  },
  onEachFeature: function (f, layer) {
    layer.bindTooltip(f.properties.tip, {sticky: true, direction: "top", opacity: 0.95});
    layer.on("mouseover", function () {
      layer.setStyle({weight: 2.5, color: "#000"});
      layer.bringToFront();
    });
    layer.on("mouseout", function () { {{ this.get_name() }}.resetStyle(layer); });
  }
});
{% endmacro %}
"""

_CENTRES_JS = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.featureGroup();
{{ this.centres_json }}.forEach(function (c) {
  L.marker([c.lat, c.lon], {
    icon: L.divIcon({html: c.icon, className: "cr-centre-icon cr-centre-" + c.kind,
                     iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -10]}),
    title: c.name, alt: c.name, keyboard: true,
    zIndexOffset: c.kind === "closing" ? 1000 : 0
  }).bindPopup(c.popup, {maxWidth: 320}).addTo({{ this.get_name() }});
});
{% endmacro %}
"""

_REGISTRY_JS = """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this.map_name }};
  // no animation, so the areas are drawn for the final view at once
  map.fitBounds({{ this.bounds_json }}, {animate: false, padding: [10, 10]});
  var layers = { {%- for key, name in this.layers.items() %}{{ key|tojson }}: {{ name }},{% endfor %} };
  function showLegend(key) {
    map.getContainer().querySelectorAll("[data-cr-layers]").forEach(function (el) {
      el.style.display = el.getAttribute("data-cr-layers").split(" ").indexOf(key) >= 0 ? "" : "none";
    });
  }
  map.on("baselayerchange", function (e) { showLegend(e.layer.options.crKey); });
  showLegend({{ this.default|tojson }});
  window.centrereach = window.centrereach || {maps: []};
  window.centrereach.maps.push({map: map, layers: layers, names: {{ this.names_json }},
                                areas: {{ this.n_areas }}, centres: {{ this.centres_name }}});
})();
{% endmacro %}
"""  # noqa: E501


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


def fetch_offline_assets(*, directory: str | os.PathLike[str] | None = None) -> Path:
    """Fetch what offline maps inline (Leaflet, from the npm registry with ``npm pack``).

    Run once on a machine with internet; offline maps then build with none. The files go to
    ``CENTREREACH_ASSETS_DIR`` or the user cache folder (``directory`` overrides).

    Returns
    -------
    pathlib.Path
        The assets folder.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        ``npm`` is missing or fails (no internet); the message gives the commands to run by hand.

    Examples
    --------
    Packages already in the folder are kept, so a second call (or a folder copied from a
    machine that fetched them) needs no internet:

    >>> import pathlib, tempfile, folium
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> leaflet = dict(folium.Map.default_js)["leaflet"].split("/npm/")[1].split("/")[0]
    >>> leaflet  # the version folium's maps load
    'leaflet@...'
    >>> (folder / leaflet / "package").mkdir(parents=True)  # as `npm pack` unpacked it
    >>> _ = (folder / leaflet / "package" / "package.json").write_text("{}")
    >>> fetch_offline_assets(directory=folder) == folder
    True
    """
    from centrereach import _assets

    folder = Path(directory) if directory is not None else None
    specs = []
    for url in _offline_urls():
        source = _assets.npm_source(url)
        if source is not None:
            specs.append(f"{source[0]}@{source[1]}")
    return _assets.fetch_packages(specs, directory=folder)


def _offline_urls() -> list[str]:
    import folium

    js = dict(folium.Map.default_js)["leaflet"]
    css = dict(folium.Map.default_css)["leaflet_css"]
    return [js, css]


def impact_map(
    result: StudyResult,
    *,
    scenario: str,
    mode: str,
    offline: bool = False,
    tiles: str | None = "auto",
    simplify_m: float = SIMPLIFY_M,
    shapes: Any = None,
    assets_dir: str | os.PathLike[str] | None = None,
    fetch_assets: bool = True,
) -> folium.Map:
    """An interactive map of one scenario and travel mode (see the module docstring).

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.study.Study.run`).
    scenario
        Scenario name; ``"baseline"`` draws the minutes with every centre open and deprivation.
    mode
        ``"drive"`` or ``"walk"``.
    offline
        Inline Leaflet's JavaScript and CSS so the file opens with no internet; the basemap is
        then left out (unless ``tiles`` names one) and areas are drawn with their outlines.
    tiles
        A folium tile name or URL; ``"auto"`` = ``"OpenStreetMap"`` online and none offline;
        ``None`` = none. OpenStreetMap's servers may refuse tiles to a page opened from a file
        (it sends no Referer); the areas, legend and tooltips read without them.
    simplify_m
        Display simplification tolerance (metres); see :func:`display_shapes`.
    shapes
        Ready display shapes (from :func:`display_shapes`) to reuse across maps.
    assets_dir, fetch_assets
        Where offline assets are (default ``CENTREREACH_ASSETS_DIR`` or the user cache), and
        whether to fetch missing ones with ``npm pack``.

    Returns
    -------
    folium.Map
        ``.save(path)`` (or :func:`save_map`) writes the HTML.

    Raises
    ------
    centrereach.errors.UnknownCentreError
        An unknown scenario.
    centrereach.errors.DataNotFoundError
        ``offline=True`` and Leaflet's files are neither cached nor fetchable (the message
        gives the commands that get them).

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> m = impact_map(r, scenario="close-two", mode="drive")
    >>> page = m.get_root().render()
    >>> "Minutes after: Close the two" in page and "SYNTHETIC DATA" in page
    True
    """
    import folium

    from centrereach.scenarios import BASELINE

    _check(result, scenario, mode)
    assets: dict[str, str] = {}
    if offline:
        from centrereach import _assets

        assets = _assets.load_assets(
            _offline_urls(),
            directory=Path(assets_dir) if assets_dir is not None else None,
            fetch=fetch_assets,
        )
    if tiles == "auto":
        tiles = None if offline else _DEFAULT_TILES
    baseline = scenario == BASELINE
    study = result.study
    label = result.scenarios[scenario].label
    rows = area_table(result, scenario=scenario, mode=mode)
    if shapes is None:
        shapes = display_shapes(result.area_shapes, simplify_m=simplify_m)
    bins = {"time": time_bins(study.thresholds_min), "change": change_bins(), "imd": imd_bins()}
    collection = _features(
        rows, shapes, weight=study.weight, bins=bins, baseline=baseline, scenario_label=label
    )
    centres = centre_table(result, scenario=scenario, mode=mode)

    minx, miny, maxx, maxy = shapes.loc[[c for c in rows.index if c in shapes.index]].total_bounds
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        zoom_snap=0.25,
    )
    title = f"{study.title}: {label}, {MODE_WORDS.get(mode, mode)}"
    if offline:
        js, css = _offline_urls()
        fmap.default_js = [("leaflet", js)]
        fmap.default_css = [("leaflet_css", css)]
        _inline_figure_class()(assets, title=title).add_child(fmap)
    else:
        setattr(fmap.get_root(), "title", title)  # noqa: B010 - branca's Figure has a title
    fmap.add_child(
        _macro("{% macro header(this, kwargs) %}<style>" + _CSS + "</style>{% endmacro %}")
    )
    if tiles:
        folium.TileLayer(
            tiles,
            name="Basemap",
            overlay=True,
            control=True,
            # OpenStreetMap's tile servers require a Referer (sent when the page is served
            # over HTTP; a page opened from a file sends none).
            referrer_policy="strict-origin-when-cross-origin",
        ).add_to(fmap)

    names = layer_names(result, scenario=scenario)
    default = "before" if baseline else "after"
    data = _macro(_DATA_JS, _name="AreaData", data_json=_js(collection))
    fmap.add_child(data)
    layer_vars: dict[str, str] = {}
    for key, name in names.items():
        layer = _layer(
            name,
            _AREA_LAYER_JS,
            overlay=False,
            show=key == default,
            key=key,
            data_name=data.get_name(),
            opacity=0.72 if tiles else 0.92,
        )
        fmap.add_child(layer)
        layer_vars[key] = layer.get_name()
    markers = _centre_markers(result, centres, baseline=baseline)
    centre_layer = _layer("Centres", _CENTRES_JS, overlay=True, centres_json=_js(markers))
    fmap.add_child(centre_layer)

    weight_long = WEIGHT_LONG.get(study.weight, study.weight)
    title_html = (
        f"<h1>{_e(study.title)}</h1><p><b>{_e(label)}</b>, {_e(MODE_WORDS.get(mode, mode))}.</p>"
        f"<p>Minutes to the nearest open centre for {_e(weight_long)} in each area. Choose a "
        "layer at the top right; hover over an area for its figures; click a centre.</p>"
    )
    closing = bool((centres["kind"] == "closing").any())
    legend = _legend_html(bins, list(names), closing=closing, show_change="change" in names)
    fmap.add_child(_control("topleft", "cr-box cr-title", title_html))
    fmap.add_child(_control("bottomright", "cr-box cr-legend", legend))
    fmap.add_child(_control("bottomleft", "cr-box cr-sources", _sources_html(result, tiles=tiles)))
    notes = _notes_html(result, centres)
    if notes:
        fmap.add_child(_control("bottomleft", "cr-box cr-note", notes))
    if study.synthetic:
        banner = f"<div class='cr-banner' role='alert'>{_e(SYNTHETIC_BANNER)}</div>"
        fmap.add_child(_macro("{% macro html(this, kwargs) %}" + banner + "{% endmacro %}"))
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)
    fmap.add_child(
        _macro(
            _REGISTRY_JS,
            _name="Registry",
            map_name=fmap.get_name(),
            layers=layer_vars,
            names_json=_js(names),
            n_areas=len(collection["features"]),
            default=default,
            centres_name=centre_layer.get_name(),
            bounds_json=_js([[miny, minx], [maxy, maxx]]),
        )
    )
    return fmap


def _layer(name: str, template: str, *, overlay: bool, show: bool = True, **attrs: Any) -> Any:
    """A folium Layer (so the layer control lists it) drawn by our own template."""
    from folium.map import Layer
    from folium.template import Template

    layer = Layer(name=name, overlay=overlay, control=True, show=show)
    layer._name = "AreaLayer" if not overlay else "Centres"
    layer._template = Template(template)
    for key, value in attrs.items():
        setattr(layer, key, value)
    return layer


def _centre_markers(
    result: StudyResult, centres: pd.DataFrame, *, baseline: bool
) -> list[dict[str, Any]]:
    """One marker per centre: position, shape, and a popup with whom it serves."""
    weight_word = WEIGHT_WORDS.get(result.study.weight, result.study.weight)
    status = status_column(result)
    markers = []
    for cid, c in centres.iterrows():
        kind = str(c["kind"])
        popup = [f"<b>{_e(c['name'])}</b>", f"In this map: <b>{_e(MARKER_WORDS[kind])}</b>"]
        if status and c["status"]:
            popup.append(f"Status in the centres file ({_e(status)}): {_e(c['status'])}")
        quality = str(c["location_quality"]).lower()
        where = LOCATION_QUALITY.get(quality, quality) if c["approximate"] else "exact"
        popup.append(f"Location: {_e(where)}")
        before, after = fmt_count(c["served_before"]), fmt_count(c["served_after"])
        if baseline:
            popup.append(f"Nearest centre for {before} {_e(weight_word)}")
        else:
            popup.append(f"Nearest centre for {_e(weight_word)}: {before} before, {after} after")
        markers.append(
            {
                "id": str(cid),
                "name": str(c["name"]),
                "kind": kind,
                "lat": round(float(c["lat"]), COORD_DECIMALS),
                "lon": round(float(c["lon"]), COORD_DECIMALS),
                "icon": MARKER_SVG[kind],
                "popup": "<br>".join(popup),
            }
        )
    return markers


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
