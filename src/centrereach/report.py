"""The scrutiny-meeting report: one self-contained HTML file, and the maps beside it.

:func:`build_report` returns the report as a string: the headline numbers in plain words, a
before/after table by IMD decile, charts and static maps drawn as inline SVG (no JavaScript, no
internet), the areas and districts that lose most, the centres and whom they serve, method notes
and data sources with their licences. It prints to A4 PDF from a browser (File > Print).

This module computes what the report says (:func:`report_content`: rows and figures, numbers
already formatted with their units); the markup is in the Jinja2 templates
``centrereach/templates/report/`` (autoescaped, so every name from a data file is escaped).

:func:`write_report_and_maps` writes ``report.html`` and the interactive maps
``maps/<scenario>_<mode>.html`` (one per scenario and mode, the baseline included); it is what
``centrereach run`` calls. The report links to the maps, which must then stay in the ``maps``
folder beside it.

>>> from centrereach.synthetic import synthetic_study
>>> page = build_report(synthetic_study(n_side=6, cells=2).run(progress=False))
>>> "SYNTHETIC DATA" in page and "<svg" in page and "<script" not in page
True
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from centrereach import sources as registry
from centrereach._io import write_text_atomic
from centrereach._templates import render
from centrereach._words import (
    LOCATION_QUALITY,
    MODE_TITLES,
    SYNTHETIC_ATTRIBUTION,
    SYNTHETIC_BANNER,
    WEIGHT_LONG,
    WEIGHT_SINGULAR,
    mode_words,
    weight_words,
)
from centrereach.maps import (
    ATTRIBUTION,
    CLOSING_COLOUR,
    OPEN_COLOUR,
    Bins,
    change_bins,
    deciles_of,
    display_shapes,
    fmt_change,
    fmt_count,
    fmt_min,
    imd_bins,
    impact_map,
    map_filename,
    save_map,
)
from centrereach.results import StudyResult
from centrereach.scenarios import BASELINE
from centrereach.traveltime import ACCESS_SPEED_KPH, BRITISH_NATIONAL_GRID

__all__ = [
    "ReportContent",
    "build_report",
    "report_content",
    "write_report",
    "write_report_and_maps",
]

_BEFORE_COLOUR = "#9ecae1"
_AFTER_COLOUR = "#08519c"
#: The colours of the centre markers on the static maps (as on the interactive maps).
_MARKER_COLOURS = {"open": OPEN_COLOUR, "closing": CLOSING_COLOUR}


# --------------------------------------------------------------------------------------------
# geometry of the inline SVG (the templates draw it)
# --------------------------------------------------------------------------------------------


def _nice_step(top: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 x 10^k) giving about ``ticks`` ticks up to ``top``.

    >>> _nice_step(37.0), _nice_step(100.0), _nice_step(0.0)
    (10.0, 20.0, 1.0)
    """
    if not math.isfinite(top) or top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return float(m * power)
    return float(10 * power)


@dataclass(frozen=True)
class _Bar:
    """One bar (pixels): ``height`` is None for a missing value (drawn as "n/a")."""

    x: float
    y: float
    width: float
    height: float | None
    colour: str
    title: str
    label: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class _Group:
    """The bars of one category, and where its label goes (pixels)."""

    label: str
    x: float
    y: float
    bars: tuple[_Bar, ...]


@dataclass(frozen=True)
class _BarChart:
    """Where everything of a grouped bar chart goes (pixels; the template draws it).

    ``ticks`` are ``(y of the grid line, y of its label, label)``; ``legend`` is
    ``(x, colour, name)`` per series.
    """

    width: int
    height: int
    title: str
    unit: str
    left: int
    right: int
    baseline: int
    ticks: tuple[tuple[float, float, str], ...]
    y_label: str
    y_label_y: int
    groups: tuple[_Group, ...]
    x_label: str
    x_label_x: int
    legend: tuple[tuple[int, str, str], ...]


def _bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    *,
    title: str,
    y_label: str,
    unit: str,
    y_max: float | None = None,
    x_label: str = "",
    width: int = 660,
    height: int = 250,
) -> _BarChart:
    """Lay out a grouped bar chart, each bar labelled with its value.

    ``series`` holds ``(name, values, colour)`` per bar in a group (NaN and inf draw no bar);
    ``unit`` is written after each value in the hover titles (e.g. ``"min"``); the y axis runs to
    ``y_max`` (default: the largest finite value, rounded up to a tick).

    >>> chart = _bar_chart(["1", "2"], [("before", [5.0, 7.5], "#ccc")], title="t",
    ...                    y_label="minutes", unit="min")
    >>> [bar.label for group in chart.groups for bar in group.bars], chart.ticks[-1]
    (['5.0', '7.5'], (38.0, 42.0, '8'))
    """
    finite = [v for _, vals, _ in series for v in vals if math.isfinite(v)]
    top = y_max if y_max is not None else (max(finite) if finite else 1.0)
    step = _nice_step(top)
    top = step * math.ceil(top / step) if top > 0 else step
    left, right, top_pad, bottom = 52, 12, 38, 46 if x_label else 30
    plot_w = width - left - right
    plot_h = height - top_pad - bottom
    n = max(1, len(categories))
    group_w = plot_w / n
    bar_w = min(28.0, group_w * 0.8 / max(1, len(series)))
    ticks = []
    for i in range(round(top / step) + 1):
        y = top_pad + plot_h - plot_h * i * step / top
        ticks.append((round(y, 1), round(y + 4, 1), f"{i * step:g}"))
    groups = []
    for gi, category in enumerate(categories):
        x0 = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        bars = []
        for si, (name, values, colour) in enumerate(series):
            v = values[gi]
            x = x0 + si * bar_w
            if not math.isfinite(v):
                bars.append(
                    _Bar(x, 0.0, 0.0, None, colour, "", "n/a",
                         round(x + bar_w / 2, 1), round(top_pad + plot_h - 4, 1))
                )  # fmt: skip
                continue
            h = plot_h * min(v, top) / top
            y = top_pad + plot_h - h
            bars.append(
                _Bar(
                    x=round(x, 1),
                    y=round(y, 1),
                    width=round(bar_w - 2, 1),
                    height=round(h, 1),
                    colour=colour,
                    title=f"{name}, {category}: {v:.1f} {unit}",
                    label=f"{v:.0f}" if unit == "%" else f"{v:.1f}",
                    label_x=round(x + (bar_w - 2) / 2, 1),
                    label_y=round(y - 3, 1),
                )
            )
        groups.append(
            _Group(
                label=category,
                x=round(left + gi * group_w + group_w / 2, 1),
                y=round(top_pad + plot_h + 15, 1),
                bars=tuple(bars),
            )
        )
    legend = []
    lx = left
    for name, _, colour in series:
        legend.append((lx, colour, name))
        lx += 28 + 7 * len(name)
    return _BarChart(
        width=width,
        height=height,
        title=title,
        unit=unit,
        left=left,
        right=right,
        baseline=top_pad + plot_h,
        ticks=tuple(ticks),
        y_label=y_label,
        y_label_y=round(top_pad + plot_h / 2),
        groups=tuple(groups),
        x_label=x_label,
        x_label_x=round(left + plot_w / 2),
        legend=tuple(legend),
    )


@dataclass(frozen=True)
class _StaticMap:
    """One static map: the areas (outline id, fill, hover title) and the centres (pixels)."""

    width: int
    height: int
    label: str
    areas: tuple[tuple[str, str, str], ...]
    centres: tuple[tuple[float, float, str, str], ...]


class _Canvas:
    """Area outlines projected once (British National Grid) and drawn by many static maps.

    The outlines are written once, as ``<path>`` definitions (:attr:`outlines`: id and SVG
    path data); each map ``<use>``s them with its own fill colours, so six maps cost little
    more than one. Outlines are simplified to about half a pixel with
    :func:`centrereach.maps.display_shapes`.
    """

    def __init__(self, result: StudyResult, *, width: int = 640, max_height: int = 520) -> None:
        shapes = result.areas.geometry
        if shapes.crs is None:
            shapes = shapes.set_crs(4326)
        minx, miny, maxx, maxy = shapes.to_crs(BRITISH_NATIONAL_GRID).total_bounds
        span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        self.scale = min((width - 20) / span_x, (max_height - 20) / span_y)
        self.width = width
        self.height = math.ceil(span_y * self.scale + 20)
        self.origin = (minx, maxy)
        # display_shapes rounds to ~1 m in EPSG:4326; 9 decimals keep the pixels exact
        simple = display_shapes(shapes, simplify_m=0.6 / self.scale, decimals=9)
        projected = simple.to_crs(BRITISH_NATIONAL_GRID)
        self.ids = {str(code): f"a{i}" for i, code in enumerate(projected.index)}
        self.outlines = tuple(
            (self.ids[str(code)], self._path(geom))
            for code, geom in projected.items()
            if geom is not None and not geom.is_empty
        )
        centres = result.centres
        points = (
            centres.geometry.to_crs(BRITISH_NATIONAL_GRID)
            if centres.crs is not None
            else centres.geometry
        )
        self.centre_points = {
            str(cid): self._xy(p.x, p.y) for cid, p in zip(centres.index, points, strict=True)
        }

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return (10 + (x - self.origin[0]) * self.scale, 10 + (self.origin[1] - y) * self.scale)

    def _path(self, geom: Any) -> str:
        parts = []
        for poly in getattr(geom, "geoms", [geom]):
            for ring in [poly.exterior, *poly.interiors]:
                coords = np.asarray(ring.coords)[:-1]
                if len(coords) < 3:
                    continue
                pts = [self._xy(x, y) for x, y in coords[:, :2]]
                parts.append("M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in pts) + "Z")
        return "".join(parts)

    def draw(
        self,
        fills: Mapping[str, str],
        titles: Mapping[str, str],
        *,
        label: str,
        centres: pd.DataFrame | None = None,
    ) -> _StaticMap:
        """One map: each area filled, with a hover title, and the centres' markers."""
        marks = () if centres is None else tuple(
            (*self.centre_points[str(cid)], str(c["kind"]), str(c["name"]))
            for cid, c in centres.iterrows()
        )  # fmt: skip
        return _StaticMap(
            width=self.width,
            height=self.height,
            label=label,
            areas=tuple(
                (self.ids[code], fill, titles.get(code, code))
                for code, fill in fills.items()
                if code in self.ids
            ),
            centres=marks,
        )


def _used_legend(bins: Bins, classes: np.ndarray) -> tuple[tuple[str, str], ...]:
    """Legend rows for the classes a map uses, plus "no change" for the change palette."""
    used = {int(c) for c in classes}
    rows = [
        (colour, label)
        for i, (colour, label) in enumerate(zip(bins.colours, bins.labels, strict=True))
        if i in used or label.startswith("no change")
    ]
    if -2 in used:
        rows.append((bins.infinite_colour or bins.colours[-1], bins.infinite_label))
    if -1 in used:
        rows.append((bins.missing_colour, bins.missing_label))
    return tuple(rows)


@dataclass(frozen=True)
class _MapFigure:
    """A static map with its legend rows (colour, label) and whether a centre closes on it."""

    map: _StaticMap
    legend: tuple[tuple[str, str], ...]
    closing: bool


# --------------------------------------------------------------------------------------------
# what the report says: rows and figures, numbers formatted with their units
# --------------------------------------------------------------------------------------------


def _rises(before: float, after: float) -> str:
    if not (math.isfinite(before) and math.isfinite(after)):
        return f"changes from {fmt_min(before)} to {fmt_min(after)}"
    if after - before > 0.05:
        return f"rises from {before:.1f} to {after:.1f} minutes"
    if before - after > 0.05:
        return f"falls from {before:.1f} to {after:.1f} minutes"
    return f"stays at {after:.1f} minutes"


def _pct(value: float) -> str:
    """A percentage without its sign (the column header says %): ``'45'`` or ``'n/a'``."""
    return f"{value:.0f}" if math.isfinite(value) else "n/a"


@dataclass(frozen=True)
class _Headline:
    """One scenario and mode's headline, formatted for the report's sentences.

    ``sentences`` lists which sentences the template writes, in order: ``average``,
    ``newly`` or ``none_newly``, ``decile1`` or ``deprived`` (with deprivation data),
    ``losing``, and ``worst`` (when some area loses).
    """

    people: str
    weight_long: str
    word: str
    singular: str
    mode: str
    average: str
    newly: str
    threshold: str
    decile: str
    deprived: str
    newly_decile1: str
    areas_losing: str
    areas: str
    people_losing: str
    worst: tuple[tuple[str, str, str, str], ...]
    sentences: tuple[str, ...]


def _headline(result: StudyResult, scenario: str, mode: str) -> _Headline:
    h = result.headline(scenario, mode)
    sentences = ["average", "newly" if h.newly_beyond > 0 else "none_newly"]
    if h.most_deprived_decile is not None:
        sentences.append("decile1" if h.most_deprived_decile == 1 else "deprived")
    sentences.append("losing")
    if h.worst:
        sentences.append("worst")
    return _Headline(
        people=fmt_count(h.weight_total),
        weight_long=WEIGHT_LONG.get(h.weight, h.weight),
        word=weight_words(h.weight),
        singular=WEIGHT_SINGULAR.get(h.weight, "person"),
        mode=mode_words(mode),
        average=_rises(h.all_before_min, h.all_after_min),
        newly=fmt_count(h.newly_beyond),
        threshold=f"{h.threshold_min:g}",
        decile=str(h.most_deprived_decile),
        deprived=_rises(h.deprived_before_min, h.deprived_after_min),
        newly_decile1=fmt_count(h.newly_beyond_decile1),
        areas_losing=str(h.areas_losing),
        areas=str(h.areas),
        people_losing=fmt_count(h.weight_losing),
        worst=tuple(
            (name or code, fmt_change(change), fmt_min(before), fmt_min(after))
            for code, name, change, before, after in h.worst
        ),
        sentences=tuple(sentences),
    )


@dataclass(frozen=True)
class _GlanceRow:
    scenario: str
    label: str
    mode: str
    average: str
    deprived: str
    newly: str
    areas_losing: str
    people_losing: str
    headline: _Headline


def _glance(
    result: StudyResult, headlines: Mapping[tuple[str, str], _Headline]
) -> list[_GlanceRow]:
    rows = []
    for scenario, mode in result.comparisons():
        h = result.headline(scenario.name, mode)
        rows.append(
            _GlanceRow(
                scenario=scenario.name,
                label=scenario.label,
                mode=mode_words(mode),
                average=f"{fmt_min(h.all_before_min)} → {fmt_min(h.all_after_min)}",
                deprived=(
                    f"{fmt_min(h.deprived_before_min)} → {fmt_min(h.deprived_after_min)}"
                    if h.most_deprived_decile is not None
                    else "no data"
                ),
                newly=fmt_count(h.newly_beyond),
                areas_losing=str(h.areas_losing),
                people_losing=fmt_count(h.weight_losing),
                headline=headlines[scenario.name, mode],
            )
        )
    return rows


@dataclass(frozen=True)
class _DecileRow:
    label: str
    total: bool
    areas: str
    people: str
    before: str
    after: str
    change: str
    within: tuple[str, ...]


def _decile_rows(result: StudyResult, scenario: str, mode: str) -> list[_DecileRow]:
    weight = result.weight
    rows = []
    for d in [*result.deciles(scenario, mode), None]:
        after = result.summary_row(scenario, mode, d)
        before = result.summary_row(BASELINE, mode, d)
        if after is None or before is None:
            continue
        rows.append(
            _DecileRow(
                label="All areas" if d is None else (f"{d} (most deprived)" if d == 1 else str(d)),
                total=d is None,
                areas=str(int(after["areas"])),
                people=fmt_count(after[weight] if weight in after.index else after["children"]),
                before=f"{before['mean_time_min']:.1f}",
                after=f"{after['mean_time_min']:.1f}",
                change=fmt_change(after["mean_time_min"] - before["mean_time_min"]).removesuffix(
                    " min"
                ),
                within=tuple(
                    f"{_pct(before[f'within_{t:g}_pct'])} → {_pct(after[f'within_{t:g}_pct'])}"
                    for t in result.thresholds_min
                ),
            )
        )
    return rows


@dataclass(frozen=True)
class _LoserRow:
    name: str
    code: str
    district: str
    decile: str
    people: str
    before: str
    after: str
    change: str


def _loser_rows(rows: pd.DataFrame, weight: str, *, top: int = 10) -> list[_LoserRow]:
    losers = rows[rows["change_min"] > 0].sort_values("change_min", ascending=False).head(top)
    out = []
    for code, r in losers.iterrows():
        decile = r.get("imd_decile")
        out.append(
            _LoserRow(
                name=str(r.get("lsoa_name") or code),
                code=str(code),
                district=str(r.get("lad_name", "") or ""),
                decile="" if decile is None or pd.isna(decile) else str(int(decile)),
                people=fmt_count(r.get(weight, float("nan"))),
                before=f"{fmt_min(r['baseline_time_min'])} ({r['baseline_centre_name']})",
                after=f"{fmt_min(r['time_min'])} ({r['centre_name']})",
                change=fmt_change(r["change_min"]),
            )
        )
    return out


def _district_rows(rows: pd.DataFrame, weight: str, first: float) -> list[tuple[str, ...]]:
    """Per district: people, areas and people with a longer journey, newly beyond, mean change.

    Empty when the areas have no district names.
    """
    if "lad_name" not in rows.columns or rows["lad_name"].isna().all():
        return []
    w = rows[weight].fillna(0).astype(float)
    longer = rows["change_min"] > 0
    newly = (rows["baseline_time_min"] <= first) & (rows["time_min"] > first)
    change = rows["change_min"].replace([np.inf, -np.inf], np.nan)
    frame = pd.DataFrame(
        {
            "district": rows["lad_name"].fillna("not known").astype(str),
            "w": w,
            "w_longer": w.where(longer, 0.0),
            "w_newly": w.where(newly, 0.0),
            "wc": (w * change).fillna(0.0),
            "areas_longer": longer.astype(int),
        }
    )
    g = frame.groupby("district").sum()
    g["mean_change"] = g["wc"] / g["w"].where(g["w"] > 0)
    g = g.sort_values(["mean_change", "w_longer"], ascending=False)
    return [
        (
            str(district),
            fmt_count(r["w"]),
            str(int(r["areas_longer"])),
            fmt_count(r["w_longer"]),
            fmt_count(r["w_newly"]),
            fmt_change(r["mean_change"]) if math.isfinite(r["mean_change"]) else "no data",
        )
        for district, r in g.iterrows()
    ]


@dataclass(frozen=True)
class _CentreRow:
    name: str
    kind: str
    location: str
    evidence: str
    served: tuple[str, ...]


def _centre_rows(result: StudyResult, scenario: str) -> list[_CentreRow]:
    tables = {m: result.centre_table(scenario, m) for m in result.modes}
    first = tables[result.modes[0]]
    rows = []
    for cid, c in first.iterrows():
        rows.append(
            _CentreRow(
                name=str(c["name"]),
                kind=str(c["kind"]),
                location=(
                    f"approximate ({c['location_quality']})" if c["approximate"] else "exact"
                ),
                evidence=str(c.get("location_evidence", "")),
                served=tuple(
                    f"{fmt_count(t.loc[cid, 'served_before'])} → "
                    f"{fmt_count(t.loc[cid, 'served_after'])}"
                    for t in tables.values()
                ),
            )
        )
    return rows


@dataclass(frozen=True)
class _ModePart:
    """What a scenario section shows for one travel mode."""

    title: str
    mode: str
    headline: _Headline
    change_map: _MapFigure
    map_link: str
    decile_chart: _BarChart | None
    threshold_chart: _BarChart | None
    deciles: list[_DecileRow]
    losers: list[_LoserRow]
    districts: list[tuple[str, ...]]


@dataclass(frozen=True)
class _ScenarioPart:
    """One scenario's section: what closes, the centres table, and a part per mode."""

    name: str
    label: str
    description: str
    closes: tuple[str, ...]
    keeps: tuple[str, ...]
    centres: list[_CentreRow]
    evidence: bool
    modes: tuple[_ModePart, ...]


def _change_map(
    result: StudyResult, canvas: _Canvas, rows: pd.DataFrame, scenario: str, mode: str
) -> _MapFigure:
    cb = change_bins()
    classes = cb.classify(rows["change_min"])
    fills = {str(code): cb.colour_of(int(c)) for code, c in zip(rows.index, classes, strict=True)}
    titles = {
        str(code): f"{r.get('lsoa_name') or code}: {fmt_change(r['change_min'])} "
        f"({fmt_min(r['baseline_time_min'])} → {fmt_min(r['time_min'])})"
        for code, r in rows.iterrows()
    }
    centres = result.centre_table(scenario, mode)
    label = (
        f"Change in minutes to the nearest open centre, {mode_words(mode)}: "
        f"{result.scenarios[scenario].label}"
    )
    return _MapFigure(
        map=canvas.draw(fills, titles, label=label, centres=centres),
        legend=_used_legend(cb, classes),
        closing=bool((centres["kind"] == "closing").any()),
    )


def _charts(
    result: StudyResult, scenario: str, mode: str
) -> tuple[_BarChart | None, _BarChart | None]:
    """The bar charts of minutes by IMD decile and of the share within each threshold."""
    label = result.scenarios[scenario].label
    word = weight_words(result.weight)
    deciles = result.deciles(scenario, mode)

    def mean(name: str, decile: int) -> float:
        row = result.summary_row(name, mode, decile)
        return float(row["mean_time_min"]) if row is not None else math.nan

    by_decile = None
    if deciles:
        by_decile = _bar_chart(
            [("1 (most deprived)" if d == 1 else str(d)) for d in deciles],
            [
                ("All centres open", [mean(BASELINE, d) for d in deciles], _BEFORE_COLOUR),
                (label, [mean(scenario, d) for d in deciles], _AFTER_COLOUR),
            ],
            title=f"Average minutes to the nearest open centre by IMD decile, {mode_words(mode)}",
            y_label=f"minutes ({word}-weighted mean)",
            unit="min",
            x_label="IMD decile (1 = most deprived 10% in England)",
        )
    before, after = result.summary_row(BASELINE, mode), result.summary_row(scenario, mode)
    within = None
    if before is not None and after is not None:
        thresholds = result.thresholds_min
        within = _bar_chart(
            [f"within {t:g} min" for t in thresholds],
            [
                (
                    "All centres open",
                    [float(before[f"within_{t:g}_pct"]) for t in thresholds],
                    _BEFORE_COLOUR,
                ),
                (label, [float(after[f"within_{t:g}_pct"]) for t in thresholds], _AFTER_COLOUR),
            ],
            title=f"Share of {word} within each travel time, {mode_words(mode)}",
            y_label=f"% of {word}",
            unit="%",
            y_max=100.0,
        )
    return by_decile, within


def _scenario_parts(
    result: StudyResult,
    canvas: _Canvas,
    headlines: Mapping[tuple[str, str], _Headline],
    *,
    map_links: bool,
) -> list[_ScenarioPart]:
    names = result.centre_names()
    first = result.thresholds_min[0]
    parts = []
    for scenario, pairs in itertools.groupby(result.comparisons(), key=lambda pair: pair[0]):
        modes = []
        for _, mode in pairs:
            rows = result.scenario(scenario.name, mode)
            by_decile, within = _charts(result, scenario.name, mode)
            modes.append(
                _ModePart(
                    title=MODE_TITLES.get(mode, mode),
                    mode=mode_words(mode),
                    headline=headlines[scenario.name, mode],
                    change_map=_change_map(result, canvas, rows, scenario.name, mode),
                    map_link=f"maps/{map_filename(scenario.name, mode)}" if map_links else "",
                    decile_chart=by_decile,
                    threshold_chart=within,
                    deciles=_decile_rows(result, scenario.name, mode),
                    losers=_loser_rows(rows, result.weight),
                    districts=_district_rows(rows, result.weight, first),
                )
            )
        centres = _centre_rows(result, scenario.name)
        parts.append(
            _ScenarioPart(
                name=scenario.name,
                label=scenario.label,
                description=scenario.description,
                closes=tuple(names.get(c, c) for c in scenario.closed_centres),
                keeps=tuple(names.get(c, c) for c in scenario.open_centres),
                centres=centres,
                evidence=any(c.evidence for c in centres),
                modes=tuple(modes),
            )
        )
    return parts


def _deprivation_map(result: StudyResult, canvas: _Canvas) -> _MapFigure:
    """The IMD decile of each area, with every centre (drawn once, on the first mode)."""
    bins = imd_bins()
    mode = result.modes[0]
    rows = result.scenario(BASELINE, mode)
    classes = bins.classify(deciles_of(rows))
    fills = {str(c): bins.colour_of(int(k)) for c, k in zip(rows.index, classes, strict=True)}
    titles = {
        str(code): f"{r.get('lsoa_name') or code}: IMD decile "
        + ("no data" if pd.isna(r.get("imd_decile")) else str(int(r["imd_decile"])))
        for code, r in rows.iterrows()
    }
    centres = result.centre_table(BASELINE, mode)
    return _MapFigure(
        map=canvas.draw(fills, titles, label="IMD decile of each area", centres=centres),
        legend=_used_legend(bins, classes),
        closing=False,
    )


def _equity_rows(result: StudyResult) -> list[tuple[str, ...]]:
    rows = []
    for r in result.equity.itertuples():
        scenario = result.scenarios.get(str(r.scenario))
        index = float(r.concentration_index)
        rows.append(
            (
                scenario.label if scenario is not None else "",
                mode_words(str(r.mode)),
                f"{r.mean_time_min:.1f} min",
                fmt_min(float(r.most_deprived_mean_time_min)),
                fmt_min(float(r.least_deprived_mean_time_min)),
                f"{index:+.3f}" if math.isfinite(index) else "no data",
                f"{float(r.gini):.3f}",
            )
        )
    return rows


@dataclass(frozen=True)
class _Optimise:
    """The best set of centres to keep, against each scenario keeping as many."""

    keep: int
    centres: int
    objective: str
    mode: str
    value: str
    proof: str
    method: str
    closes: str
    label: str
    rows: list[tuple[str, ...]]


def _optimise(result: StudyResult) -> _Optimise | None:
    info = result.optimisation
    table = result.comparison
    if not info or table is None:
        return None
    names = result.centre_names()

    def named(ids: object) -> str:
        return ", ".join(names.get(c, c) for c in str(ids).split())

    keep = int(info["keep"])
    unit = "%" if info["unit"] == "percent" else " min"
    objective_words = {
        "mean-time": "the lowest average travel time",
        "coverage": f"the most {weight_words(result.weight)} within "
        f"{info.get('threshold_min') or result.thresholds_min[0]:g} minutes",
        "equity": "the lowest average travel time, counting deprived areas more",
        "minmax-decile": "the lowest average travel time in the worst-off IMD decile",
    }
    rows = []
    for r in table.itertuples():
        if int(r.open_centres) != keep or str(r.scenario).startswith("best-keep"):
            continue
        differs = (
            f"keeps {named(r.open_here_closed_in_best)}; the best keeps "
            f"{named(r.closed_here_open_in_best)}"
            if int(r.swaps)
            else "the same centres"
        )
        rows.append(
            (
                str(r.label),
                f"{float(r.value):.2f}{unit}",
                f"{float(r.shortfall):+.2f}{unit}",
                str(int(r.swaps)),
                differs,
            )
        )
    return _Optimise(
        keep=keep,
        centres=len(result.centres),
        objective=objective_words.get(str(info["objective"]), str(info["objective"])),
        mode=mode_words(str(info["mode"])),
        value=f"{float(info['value']):.2f}{unit}",
        proof="proven optimal" if info["optimal"] else "best found, not proven optimal",
        method=str(info["method"]),
        closes=", ".join(
            names.get(c, c) for c in map(str, result.centres.index) if c not in info["open_centres"]
        ),
        label=result.scenarios[f"best-keep-{keep}"].label,
        rows=rows,
    )


def _method_notes(result: StudyResult) -> list[tuple[str, str]]:
    """The method notes: ``(lead-in, text)`` each; the study's own notes have no lead-in."""
    meta = result.provenance
    attrs = meta.get("areas", {})
    notes: list[tuple[str, str]] = [
        (
            "What is measured.",
            "For each small area (Lower layer Super Output Area, LSOA), the door-to-door travel "
            "time in minutes from where its people live to the nearest open centre, along the "
            "road or footpath network. Averages are weighted by the number of "
            f"{WEIGHT_LONG.get(result.weight, result.weight)} in each area, so they describe the "
            "typical family, not the typical area. Thresholds: "
            + ", ".join(f"{t:g} minutes" for t in result.thresholds_min)
            + ".",
        )
    ]
    origin = attrs.get("origin_source")
    if "origin_source" in result.areas.columns:
        counts = result.areas["origin_source"].value_counts()
        origin = ", ".join(f"{n} area(s): {str(k).replace('_', ' ')}" for k, n in counts.items())
    if origin:
        notes.append(("Where journeys start.", f"{origin}."))
    for mode in result.modes:
        net = meta.get("networks", {}).get(mode, {})
        speed = net.get("speed_model") or {}
        description = speed.get("description") if isinstance(speed, dict) else None
        text = f"{description}. " if description else "Speed model: not recorded. "
        if net.get("source"):
            text += f"Network: {net['source']}"
            if net.get("nodes"):
                text += f" ({net['nodes']:,} junctions, {net['edges']:,} links)"
            text += ". "
        access = ACCESS_SPEED_KPH.get(mode)
        if access:
            text += (
                "Each home area and centre is joined to the nearest junction of the network's "
                "largest connected part; that straight-line access leg is timed at "
                f"{access:g} km/h."
            )
        snaps = result.origin_snaps.get(mode)
        if snaps is not None and "snap_m" in snaps and len(snaps):
            text += (
                f" Access legs of the areas: median {float(snaps['snap_m'].median()):,.0f} m, "
                f"longest {float(snaps['snap_m'].max()):,.0f} m."
            )
        csnaps = result.centre_snaps.get(mode)
        if csnaps is not None and "snap_m" in csnaps and len(csnaps):
            text += f" Centres: longest {float(csnaps['snap_m'].max()):,.0f} m."
        notes.append((f"{MODE_TITLES.get(mode, mode)}.", text))
    excluded = list(result.excluded.items())
    notes.append(
        (
            "Exclusions.",
            f"Areas farther than {result.max_snap_m:,.0f} m from the network, or outside it, "
            "are left out. "
            + (
                f"{len(excluded)} area(s) were left out: "
                + "; ".join(f"{code} ({why})" for code, why in excluded[:40])
                + ("; ..." if len(excluded) > 40 else "")
                + "."
                if excluded
                else "No area was left out."
            ),
        )
    )
    centres = result.centres
    if "location_quality" in centres.columns:
        counts = centres["location_quality"].astype(str).value_counts()
        text = "; ".join(
            f"{n} {k} ({LOCATION_QUALITY.get(k.lower(), 'as given')})" for k, n in counts.items()
        )
        text += (
            ". Approximate locations make each travel time uncertain by about the time it "
            "takes to cover that distance."
        )
        if "location_evidence" in centres.columns:
            text += " The table of centres gives the evidence for each location."
        notes.append(("Centre locations.", text))
    bits = []
    if attrs.get("vintage"):
        bits.append(f"LSOA boundaries of {attrs['vintage']}")
    if attrs.get("imd_edition"):
        bits.append(f"English Indices of Deprivation {attrs['imd_edition']} (IMD deciles)")
    years = attrs.get("population_years") or {}
    if isinstance(years, dict) and years:
        bits.append("population " + ", ".join(f"{k}: {v}" for k, v in years.items()))
    if bits:
        notes.append(("Data vintages.", "; ".join(bits) + "."))
    notes.append(
        (
            "Equity measures.",
            "The concentration index of travel time over deprivation rank is negative when more "
            "deprived areas travel further (range −1 to 1); the Gini coefficient measures how "
            "unequal travel times are across people (0 = all equal).",
        )
    )
    notes += [("", note) for note in result.notes]
    return notes


@dataclass(frozen=True)
class _Sources:
    """The datasets used (title, publisher, edition, licence, attribution), the centres files."""

    synthetic: str
    datasets: list[tuple[str, ...]]
    centre_files: str
    attribution: tuple[str, ...]


def _sources(result: StudyResult) -> _Sources:
    if result.synthetic:
        return _Sources(SYNTHETIC_ATTRIBUTION, [], "", ())
    inputs = result.provenance.get("inputs", {})
    files = [str(e.get("path", "")) for entries in inputs.values() for e in entries]
    files += [
        str(net.get("source", "")).split(" ")[0]
        for net in result.provenance.get("networks", {}).values()
    ]
    rows = []
    seen = set()
    for ds in registry.datasets():
        base = Path(ds.local_name).name
        if ds.id in seen or not any(
            f.endswith(ds.local_name) or Path(f).name == base for f in files if f
        ):
            continue
        seen.add(ds.id)
        rows.append((ds.title, ds.publisher, ds.vintage, ds.licence, ds.attribution))
    centre_files = ", ".join(Path(e["path"]).name for e in inputs.get("centres", []))
    return _Sources("", rows, centre_files, ATTRIBUTION)


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportContent:
    """Everything the scrutiny report says, formatted, before any HTML is written.

    :func:`build_report` renders it with the template ``report/report.html.j2``. Numbers are
    strings with their units; names from the data files are plain text (the template escapes
    them).

    Attributes
    ----------
    title, heading, banner, description, area_description, meta
        The page title, the study title, the synthetic-data banner (or ""), the study's
        description, its area and the line saying what was run.
    word, singular, threshold, thresholds, modes
        The study weight in words ("children", "child"), the first threshold ("15"), every
        threshold (minutes) and the modes in words ("by car").
    glance
        One row per scenario x mode compared with the baseline, with its headline.
    deprivation
        The static map of IMD deciles, with every centre.
    baseline_links
        ``(link, mode words)`` of the interactive maps with every centre open (or none).
    scenarios
        One section per scenario other than the baseline: the centres and a part per mode.
    optimise
        The best centres to keep (after :meth:`StudyResult.optimise`), or None.
    equity, notes, sources
        The fairness table rows, the method notes ``(lead-in, text)`` and the sources.
    outlines
        The area outlines ``(id, SVG path data)``, written once and used by every static map.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> content = report_content(synthetic_study(n_side=6, cells=2).run(progress=False))
    >>> [(row.label, row.mode) for row in content.glance]
    [("Close the two 'closing' centres", 'by car'), ("Close the two 'closing' centres", 'on foot')]
    """

    title: str
    heading: str
    synthetic: bool
    banner: str
    description: str
    area_description: str
    meta: str
    word: str
    singular: str
    threshold: str
    thresholds: tuple[str, ...]
    modes: tuple[str, ...]
    glance: list[_GlanceRow]
    deprivation: _MapFigure
    baseline_links: list[tuple[str, str]]
    scenarios: list[_ScenarioPart]
    offline: bool
    optimise: _Optimise | None
    equity: list[tuple[str, ...]]
    notes: list[tuple[str, str]]
    sources: _Sources
    outlines: tuple[tuple[str, str], ...]


def report_content(
    result: StudyResult, *, offline: bool = False, map_links: bool = False
) -> ReportContent:
    """What the scrutiny report of ``result`` says (see :func:`build_report`).

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.Study.run`).
    offline, map_links
        As for :func:`build_report`.

    Returns
    -------
    ReportContent
        Rows and figures, numbers formatted with their units (minutes, people, %).

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> content = report_content(synthetic_study(n_side=6, cells=2).run(progress=False))
    >>> part = content.scenarios[0]
    >>> part.closes, part.modes[0].deciles[-1].label
    (('Brook End Family Centre', 'Fenbridge Family Centre'), 'All areas')
    """
    canvas = _Canvas(result)
    headlines = {(s.name, m): _headline(result, s.name, m) for s, m in result.comparisons()}
    finished = result.provenance.get("finished_utc") or dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"
    )
    version = result.provenance.get("versions", {}).get("centrereach", "")
    covered = result.all_area_count - len(result.excluded)
    meta = (
        f"{covered} of {result.all_area_count} areas, {len(result.centres)} centres, "
        f"{len(result.scenarios) - 1} scenario(s), modes: "
        f"{', '.join(mode_words(m) for m in result.modes)}. Averages weighted by "
        f"{WEIGHT_LONG.get(result.weight, result.weight)}. Run {finished} with centrereach "
        f"{version}."
    )
    return ReportContent(
        title=result.title + (" (SYNTHETIC DATA)" if result.synthetic else ""),
        heading=result.title,
        synthetic=result.synthetic,
        banner=SYNTHETIC_BANNER if result.synthetic else "",
        description=result.description,
        area_description=result.area_description,
        meta=meta,
        word=weight_words(result.weight),
        singular=WEIGHT_SINGULAR.get(result.weight, "person"),
        threshold=f"{result.thresholds_min[0]:g}",
        thresholds=tuple(f"{t:g}" for t in result.thresholds_min),
        modes=tuple(mode_words(m) for m in result.modes),
        glance=_glance(result, headlines),
        deprivation=_deprivation_map(result, canvas),
        baseline_links=[
            (f"maps/{map_filename(BASELINE, m)}", mode_words(m)) for m in result.modes
        ]
        if map_links
        else [],
        scenarios=_scenario_parts(result, canvas, headlines, map_links=map_links),
        offline=offline,
        optimise=_optimise(result),
        equity=_equity_rows(result),
        notes=_method_notes(result),
        sources=_sources(result),
        outlines=canvas.outlines,
    )


def build_report(result: StudyResult, *, offline: bool = False, map_links: bool = False) -> str:
    """The scrutiny report of a study result as one self-contained HTML page.

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.Study.run`).
    offline
        Whether the linked interactive maps are offline builds (only changes what the report
        says about them; the report itself never needs the internet).
    map_links
        Link each scenario and mode to ``maps/<scenario>_<mode>.html`` (as
        :func:`write_report_and_maps` writes them beside the report).

    Returns
    -------
    str
        The HTML page: inline CSS and SVG, no scripts, no external resources.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> page = build_report(synthetic_study(n_side=6, cells=2).run(progress=False))
    >>> page.startswith("<!DOCTYPE html>"), "@page" in page
    (True, True)
    """
    content = report_content(result, offline=offline, map_links=map_links)
    return str(render("report/report.html.j2", report=content, marker=_MARKER_COLOURS))


def write_report(
    result: StudyResult,
    path: str | os.PathLike[str],
    *,
    offline: bool = False,
    map_links: bool = False,
) -> Path:
    """Write :func:`build_report` to ``path`` atomically (a temporary file, then a rename).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> path = write_report(result, pathlib.Path(tempfile.mkdtemp()) / "report.html")
    >>> "SYNTHETIC" in path.read_text(encoding="utf-8")
    True
    """
    return write_text_atomic(path, build_report(result, offline=offline, map_links=map_links))


def write_report_and_maps(
    result: StudyResult, folder: str | os.PathLike[str], *, offline: bool = False
) -> list[Path]:
    """Write the maps (``maps/<scenario>_<mode>.html``) and ``report.html`` into ``folder``.

    Parameters
    ----------
    result
        A study result.
    folder
        The output folder (created if needed).
    offline
        Build self-contained maps (Leaflet inlined, no basemap) that open with no internet.

    Returns
    -------
    list of pathlib.Path
        The files written, maps first.

    Examples
    --------
    >>> import tempfile
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> [p.name for p in write_report_and_maps(result, tempfile.mkdtemp())][-3:]
    ['close-two_drive.html', 'close-two_walk.html', 'report.html']
    """
    out = Path(folder)
    shapes = display_shapes(result.areas)
    written = []
    for name in result.scenarios:
        for mode in result.modes:
            fmap = impact_map(
                result.scenario(name, mode),
                result.centre_table(name, mode),
                labels=result.map_labels(name, mode),
                offline=offline,
                shapes=shapes,
            )
            written.append(save_map(fmap, out / "maps" / map_filename(name, mode)))
    written.append(write_report(result, out / "report.html", offline=offline, map_links=True))
    return written
