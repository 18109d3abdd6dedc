"""The scrutiny-meeting report: one self-contained HTML file, and the maps beside it.

:func:`build_report` returns the report as a string: the headline numbers in plain words, a
before/after table by IMD decile, charts and static maps drawn as inline SVG (no JavaScript, no
internet), the areas and districts that lose most, the centres and whom they serve, method notes
and data sources with their licences. It prints to A4 PDF from a browser (File > Print).

This module works out what the report says (:func:`report_content`: rows and figures, numbers
already formatted with their units, and where each bar and outline goes); the templates in
``centrereach/templates/report/`` write the HTML, escaping every value (autoescape).

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
from centrereach._geo import BRITISH_NATIONAL_GRID, WGS84
from centrereach._io import write_text_atomic
from centrereach._templates import render
from centrereach._words import (
    EXACT_QUALITIES,
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
    leaflet_assets,
    map_filename,
    save_map,
)
from centrereach.results import StudyResult
from centrereach.scenarios import BASELINE
from centrereach.traveltime import ACCESS_SPEED_KPH

__all__ = [
    "build_report",
    "report_content",
    "write_report",
    "write_report_and_maps",
]

_BEFORE_COLOUR = "#9ecae1"
_AFTER_COLOUR = "#08519c"
#: Colours of the centre markers on the static maps (as on the interactive maps).
_MARKER_COLOURS = {"open": OPEN_COLOUR, "closing": CLOSING_COLOUR}

#: A table row: every cell a formatted string.
_Row = tuple[str, ...]


# --------------------------------------------------------------------------------------------
# where things go in the inline SVG (the templates in report/svg.html.j2 draw them)
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
    """One bar (pixels) and its value label; ``height`` is None for no value ("n/a")."""

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
class _BarChart:
    """A grouped bar chart laid out in pixels.

    ``ticks`` are ``(y of the grid line, y of its label, label)``; ``groups`` are ``(label, x,
    y, bars)`` per category; ``legend`` is ``(x, colour, name)`` per series.
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
    groups: tuple[tuple[str, float, float, tuple[_Bar, ...]], ...]
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
    """Lay out a grouped bar chart: ``series`` is ``(name, values, colour)`` per bar in a group.

    NaN and inf draw no bar; ``unit`` follows each value in the hover titles (``"min"``); the
    y axis runs to ``y_max`` (default: the largest finite value), rounded up to a tick.

    >>> chart = _bar_chart(["1", "2"], [("before", [5.0, 7.5], "#ccc")], title="t",
    ...                    y_label="minutes", unit="min")
    >>> [bar.label for *_, bars in chart.groups for bar in bars], chart.ticks[-1]
    (['5.0', '7.5'], (38.0, 42.0, '8'))
    """
    finite = [v for _, vals, _ in series for v in vals if math.isfinite(v)]
    top = y_max if y_max is not None else (max(finite) if finite else 1.0)
    step = _nice_step(top)
    top = step * math.ceil(top / step) if top > 0 else step
    left, right, top_pad, bottom = 52, 12, 38, 46 if x_label else 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    group_w = plot_w / max(1, len(categories))
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
            v, x = values[gi], x0 + si * bar_w
            if not math.isfinite(v):
                na_y = round(top_pad + plot_h - 4, 1)
                bars.append(_Bar(x, 0, 0, None, colour, "", "n/a", round(x + bar_w / 2, 1), na_y))
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
        centre = round(left + gi * group_w + group_w / 2, 1)
        groups.append((category, centre, round(top_pad + plot_h + 15, 1), tuple(bars)))
    legend, lx = [], left
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
    """One static map: areas ``(outline id, fill, hover title)``, centres ``(x, y, kind,
    name)`` in pixels, the legend ``(colour, label)`` and whether a centre closes on it."""

    width: int
    height: int
    label: str
    areas: tuple[tuple[str, str, str], ...]
    centres: tuple[tuple[float, float, str, str], ...]
    legend: tuple[tuple[str, str], ...]
    closing: bool


class _Canvas:
    """Area outlines projected once (British National Grid) and drawn by many static maps.

    The outlines are written once (:attr:`outlines`: id and SVG path data) and each map
    ``<use>``s them with its own fills, so six maps cost little more than one. They are
    simplified to about half a pixel by :func:`centrereach.maps.display_shapes`.
    """

    def __init__(self, result: StudyResult, *, width: int = 640, max_height: int = 520) -> None:
        shapes = result.areas.geometry
        if shapes.crs is None:
            shapes = shapes.set_crs(WGS84)
        minx, miny, maxx, maxy = shapes.to_crs(BRITISH_NATIONAL_GRID).total_bounds
        span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        self.scale = min((width - 20) / span_x, (max_height - 20) / span_y)
        self.width, self.height = width, math.ceil(span_y * self.scale + 20)
        self.origin = (minx, maxy)
        # display_shapes rounds to about 1 m in EPSG:4326; 9 decimals keep the outlines exact
        simple = display_shapes(shapes, simplify_m=0.6 / self.scale, decimals=9)
        projected = simple.to_crs(BRITISH_NATIONAL_GRID)
        self.ids = {str(code): f"a{i}" for i, code in enumerate(projected.index)}
        self.outlines = tuple(
            (self.ids[str(code)], self._path(geom))
            for code, geom in projected.items()
            if geom is not None and not geom.is_empty
        )
        points = result.centres.geometry
        points = points.to_crs(BRITISH_NATIONAL_GRID) if points.crs is not None else points
        self.points = {str(cid): self._xy(p.x, p.y) for cid, p in points.items()}

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return (10 + (x - self.origin[0]) * self.scale, 10 + (self.origin[1] - y) * self.scale)

    def _path(self, geom: Any) -> str:
        parts = []
        for poly in getattr(geom, "geoms", [geom]):
            for ring in [poly.exterior, *poly.interiors]:
                coords = np.asarray(ring.coords)[:-1]
                if len(coords) >= 3:
                    pts = (self._xy(x, y) for x, y in coords[:, :2])
                    parts.append("M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in pts) + "Z")
        return "".join(parts)

    def draw(
        self,
        rows: pd.DataFrame,
        bins: Bins,
        values: Any,
        *,
        titles: Mapping[str, str],
        label: str,
        centres: pd.DataFrame,
    ) -> _StaticMap:
        """One map: each area filled by its class of ``values`` in ``bins``, and the centres."""
        classes = bins.classify(values)
        fills = {str(c): bins.colour_of(int(k)) for c, k in zip(rows.index, classes, strict=True)}
        return _StaticMap(
            width=self.width,
            height=self.height,
            label=label,
            areas=tuple(
                (self.ids[c], f, titles.get(c, c)) for c, f in fills.items() if c in self.ids
            ),
            centres=tuple(
                (*self.points[str(cid)], str(c["kind"]), str(c["name"]))
                for cid, c in centres.iterrows()
            ),
            legend=_used_legend(bins, classes),
            closing=bool((centres["kind"] == "closing").any()),
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


def _share(value: float) -> str:
    """A share without its % sign (the column header has it): ``'45'`` or ``'n/a'``."""
    return f"{value:.0f}" if math.isfinite(value) else "n/a"


@dataclass(frozen=True)
class _Headline:
    """A scenario and mode's headline figures, formatted for the glance table and sentences.

    ``sentences`` says which sentences to write, in order: ``average``; ``newly`` or
    ``none_newly``; with deprivation data ``decile1`` or ``deprived``; ``losing``; ``worst``
    (``(area, change, before, after)`` of the areas losing most) when an area loses.
    """

    scenario: str
    label: str
    mode: str
    people: str
    average: str
    average_min: str
    deprived: str
    deprived_min: str
    decile: str
    newly: str
    newly_decile1: str
    areas_losing: str
    areas: str
    people_losing: str
    worst: tuple[_Row, ...]
    sentences: tuple[str, ...]


def _headline(result: StudyResult, scenario: str, mode: str) -> _Headline:
    h = result.headline(scenario, mode)
    sentences = ["average", "newly" if h.newly_beyond > 0 else "none_newly"]
    if h.most_deprived_decile is not None:
        sentences.append("decile1" if h.most_deprived_decile == 1 else "deprived")
    sentences += ["losing", "worst"] if h.worst else ["losing"]
    before, after = fmt_min(h.deprived_before_min), fmt_min(h.deprived_after_min)
    return _Headline(
        scenario=scenario,
        label=h.label,
        mode=mode_words(mode),
        people=fmt_count(h.weight_total),
        average=_rises(h.all_before_min, h.all_after_min),
        average_min=f"{fmt_min(h.all_before_min)} → {fmt_min(h.all_after_min)}",
        deprived=_rises(h.deprived_before_min, h.deprived_after_min),
        deprived_min=f"{before} → {after}" if h.most_deprived_decile is not None else "no data",
        decile=str(h.most_deprived_decile),
        newly=fmt_count(h.newly_beyond),
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


def _decile_rows(
    result: StudyResult, scenario: str, mode: str
) -> list[tuple[str, str, str, str, str, str, _Row]]:
    """Per IMD decile, then all areas (last): label, areas, people, mean minutes before and
    after, the change, and per threshold the % within it before -> after."""
    weight = result.weight
    rows = []
    for d in [*result.deciles(scenario, mode), None]:
        after = result.summary_row(scenario, mode, d)
        before = result.summary_row(BASELINE, mode, d)
        if after is None or before is None:
            continue
        change = fmt_change(after["mean_time_min"] - before["mean_time_min"])
        rows.append(
            (
                "All areas" if d is None else (f"{d} (most deprived)" if d == 1 else str(d)),
                str(int(after["areas"])),
                fmt_count(after[weight] if weight in after.index else after["children"]),
                f"{before['mean_time_min']:.1f}",
                f"{after['mean_time_min']:.1f}",
                change.removesuffix(" min"),
                tuple(
                    f"{_share(before[f'within_{t:g}_pct'])} → {_share(after[f'within_{t:g}_pct'])}"
                    for t in result.thresholds_min
                ),
            )
        )
    return rows


def _loser_rows(rows: pd.DataFrame, weight: str, *, top: int = 10) -> list[_Row]:
    """The areas losing most: name, code, district, decile, people, before, after, change."""
    losers = rows[rows["change_min"] > 0].sort_values("change_min", ascending=False).head(top)
    return [
        (
            str(r.get("lsoa_name") or code),
            str(code),
            str(r.get("lad_name", "") or ""),
            "" if pd.isna(r.get("imd_decile")) else str(int(r["imd_decile"])),
            fmt_count(r.get(weight, float("nan"))),
            f"{fmt_min(r['baseline_time_min'])} ({r['baseline_centre_name']})",
            f"{fmt_min(r['time_min'])} ({r['centre_name']})",
            fmt_change(r["change_min"]),
        )
        for code, r in losers.iterrows()
    ]


def _district_rows(rows: pd.DataFrame, weight: str, first: float) -> list[_Row]:
    """Per district (largest mean change first): people, areas and people with a longer
    journey, people newly beyond ``first`` minutes, mean change; none without districts."""
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


def _centre_rows(result: StudyResult, scenario: str) -> list[tuple[str, str, str, str, _Row]]:
    """Per centre: name, kind (open/closing), location, its evidence, and per mode the people
    it is the nearest centre for, before -> after."""
    tables = [result.centre_table(scenario, m) for m in result.modes]

    def served(table: pd.DataFrame, cid: object) -> str:
        before, after = table.at[cid, "served_before"], table.at[cid, "served_after"]
        return f"{fmt_count(before)} → {fmt_count(after)}"

    return [
        (
            str(c["name"]),
            str(c["kind"]),
            f"approximate ({c['location_quality']})" if c["approximate"] else "exact",
            str(c.get("location_evidence", "")),
            tuple(served(table, cid) for table in tables),
        )
        for cid, c in tables[0].iterrows()
    ]


def _charts(
    result: StudyResult, scenario: str, mode: str
) -> tuple[_BarChart | None, _BarChart | None]:
    """The bar charts of mean minutes by IMD decile and of the share within each threshold."""
    label = result.scenarios[scenario].label
    word, words = weight_words(result.weight), mode_words(mode)
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
            title=f"Average minutes to the nearest open centre by IMD decile, {words}",
            y_label=f"minutes ({word}-weighted mean)",
            unit="min",
            x_label="IMD decile (1 = most deprived 10% in England)",
        )
    before, after = result.summary_row(BASELINE, mode), result.summary_row(scenario, mode)
    if before is None or after is None:
        return by_decile, None
    columns = [f"within_{t:g}_pct" for t in result.thresholds_min]
    within = _bar_chart(
        [f"within {t:g} min" for t in result.thresholds_min],
        [
            ("All centres open", [float(before[c]) for c in columns], _BEFORE_COLOUR),
            (label, [float(after[c]) for c in columns], _AFTER_COLOUR),
        ],
        title=f"Share of {word} within each travel time, {words}",
        y_label=f"% of {word}",
        unit="%",
        y_max=100.0,
    )
    return by_decile, within


@dataclass(frozen=True)
class _ModePart:
    """What a scenario's section shows for one travel mode."""

    title: str
    mode: str
    headline: _Headline
    map: _StaticMap
    map_link: str
    decile_chart: _BarChart | None
    threshold_chart: _BarChart | None
    deciles: list[tuple[str, str, str, str, str, str, _Row]]
    losers: list[_Row]
    districts: list[_Row]


@dataclass(frozen=True)
class _ScenarioPart:
    """One scenario's section: what closes and stays open, the centres, a part per mode."""

    name: str
    label: str
    description: str
    closes: tuple[str, ...]
    keeps: tuple[str, ...]
    centres: list[tuple[str, str, str, str, _Row]]
    evidence: bool
    modes: list[_ModePart]


def _mode_part(
    result: StudyResult, canvas: _Canvas, headline: _Headline, mode: str, *, map_links: bool
) -> _ModePart:
    scenario = headline.scenario
    rows = result.scenario(scenario, mode)
    titles = {
        str(code): f"{r.get('lsoa_name') or code}: {fmt_change(r['change_min'])} "
        f"({fmt_min(r['baseline_time_min'])} → {fmt_min(r['time_min'])})"
        for code, r in rows.iterrows()
    }
    label = f"Change in minutes to the nearest open centre, {headline.mode}: {headline.label}"
    centres = result.centre_table(scenario, mode)
    by_decile, within = _charts(result, scenario, mode)
    return _ModePart(
        title=MODE_TITLES.get(mode, mode),
        mode=headline.mode,
        headline=headline,
        map=canvas.draw(
            rows, change_bins(), rows["change_min"], titles=titles, label=label, centres=centres
        ),
        map_link=f"maps/{map_filename(scenario, mode)}" if map_links else "",
        decile_chart=by_decile,
        threshold_chart=within,
        deciles=_decile_rows(result, scenario, mode),
        losers=_loser_rows(rows, result.weight),
        districts=_district_rows(rows, result.weight, result.thresholds_min[0]),
    )


def _deprivation_map(result: StudyResult, canvas: _Canvas) -> _StaticMap:
    """The IMD decile of each area, with every centre (on the first mode's rows)."""
    rows = result.scenario(BASELINE, result.modes[0])
    titles = {
        str(code): f"{r.get('lsoa_name') or code}: IMD decile "
        + ("no data" if pd.isna(r.get("imd_decile")) else str(int(r["imd_decile"])))
        for code, r in rows.iterrows()
    }
    return canvas.draw(
        rows,
        imd_bins(),
        deciles_of(rows),
        titles=titles,
        label="IMD decile of each area",
        centres=result.centre_table(BASELINE, result.modes[0]),
    )


def _equity_rows(result: StudyResult) -> list[_Row]:
    """Per scenario and mode: mean minutes (all, deciles 1-2, 9-10), concentration, Gini."""
    rows: list[_Row] = []
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


def _optimise(result: StudyResult) -> dict[str, Any] | None:
    """The best ``keep`` centres, and per scenario keeping as many: label, score, shortfall,
    choices that differ, which."""
    info, table = result.optimisation, result.comparison
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
    rows = [
        (
            str(r.label),
            f"{float(r.value):.2f}{unit}",
            f"{float(r.shortfall):+.2f}{unit}",
            str(int(r.swaps)),
            f"keeps {named(r.open_here_closed_in_best)}; the best keeps "
            f"{named(r.closed_here_open_in_best)}"
            if int(r.swaps)
            else "the same centres",
        )
        for r in table.itertuples()
        if int(r.open_centres) == keep and not str(r.scenario).startswith("best-keep")
    ]
    closed = [c for c in map(str, result.centres.index) if c not in info["open_centres"]]
    return {
        "keep": keep,
        "centres": len(result.centres),
        "objective": objective_words.get(str(info["objective"]), str(info["objective"])),
        "mode": mode_words(str(info["mode"])),
        "value": f"{float(info['value']):.2f}{unit}",
        "proven": bool(info["optimal"]),
        "method": str(info["method"]),
        "closes": ", ".join(names.get(c, c) for c in closed),
        "label": result.scenarios[f"best-keep-{keep}"].label,
        "rows": rows,
    }


def _networks(result: StudyResult) -> list[tuple[str, str, str, str, str, _Row, str]]:
    """Per mode: title, speed model, network source and size, access-leg speed (km/h), the
    areas' median and longest access legs, the centres' longest (metres)."""
    out: list[tuple[str, str, str, str, str, _Row, str]] = []
    for mode in result.modes:
        net = result.provenance.get("networks", {}).get(mode, {})
        speed = net.get("speed_model")
        origins = result.origin_snaps.get(mode, pd.DataFrame())
        centres = result.centre_snaps.get(mode, pd.DataFrame())
        origin_m = origins["snap_m"] if "snap_m" in origins and len(origins) else None
        centre_m = centres["snap_m"] if "snap_m" in centres and len(centres) else None
        out.append(
            (
                MODE_TITLES.get(mode, mode),
                str(speed.get("description") or "") if isinstance(speed, dict) else "",
                str(net.get("source") or ""),
                f"{net['nodes']:,} junctions, {net['edges']:,} links" if net.get("nodes") else "",
                f"{ACCESS_SPEED_KPH[mode]:g}" if ACCESS_SPEED_KPH.get(mode) else "",
                ()
                if origin_m is None
                else (f"{float(origin_m.median()):,.0f}", f"{float(origin_m.max()):,.0f}"),
                "" if centre_m is None else f"{float(centre_m.max()):,.0f}",
            )
        )
    return out


def _notes(result: StudyResult) -> dict[str, Any]:
    """What the method notes need: origins, networks, exclusions, locations, vintages."""
    attrs = result.provenance.get("areas", {})
    origins = str(attrs.get("origin_source") or "")
    if "origin_source" in result.areas.columns:
        counts = result.areas["origin_source"].value_counts()
        origins = ", ".join(f"{n} area(s): {str(k).replace('_', ' ')}" for k, n in counts.items())
    centres = result.centres
    locations = []
    approximate = 0
    if "location_quality" in centres.columns:
        quality = centres["location_quality"].astype(str)
        counts = quality.value_counts()
        locations = [
            (str(n), str(k), LOCATION_QUALITY.get(str(k).lower(), "as given"))
            for k, n in counts.items()
        ]
        approximate = int((~quality.str.lower().isin(EXACT_QUALITIES)).sum())
    vintages = []
    if attrs.get("vintage"):
        vintages.append(f"LSOA boundaries of {attrs['vintage']}")
    if attrs.get("imd_edition"):
        vintages.append(f"English Indices of Deprivation {attrs['imd_edition']} (IMD deciles)")
    years = attrs.get("population_years") or {}
    if isinstance(years, dict) and years:
        vintages.append("population " + ", ".join(f"{k}: {v}" for k, v in years.items()))
    excluded = [(str(code), str(why)) for code, why in result.excluded.items()]
    evidence = centres.get("location_evidence")
    return {
        "origins": origins,
        "networks": _networks(result),
        "skipped": [
            (MODE_TITLES.get(str(mode), str(mode)), str(why))
            for mode, why in (result.provenance.get("modes_skipped") or {}).items()
        ],
        "routing": _routing(result),
        "max_snap": f"{result.max_snap_m:,.0f}",
        "excluded": excluded,
        "locations": locations,
        "approximate": approximate,
        "centres": len(centres),
        "evidence": evidence is not None and bool(evidence.fillna("").astype(str).ne("").any()),
        "vintages": vintages,
        "study_notes": result.notes,
    }


def _routing(result: StudyResult) -> str:
    """A sentence on a study routed without the full matrix (nothing for the usual one)."""
    record = result.provenance.get("matrix") or {}
    if record.get("method") != "nearest":
        return ""
    return (
        f"With {record.get('pairs', 0):,} area-centre pairs, the road times were not computed "
        f"for every pair: each area's {record.get('k')} nearest centres were found in one "
        "search from every centre at once, and each scenario's nearest open centre taken from "
        "them; an area whose nearest centres a scenario closes (all but one) was searched "
        "again. The times are the same as those of the full matrix."
    )


def _sources(result: StudyResult) -> dict[str, Any]:
    """The datasets used (title, publisher, edition, licence, attribution), the centres files
    and the attribution lines; for synthetic data only its own attribution line."""
    if result.synthetic:
        return {
            "synthetic": SYNTHETIC_ATTRIBUTION,
            "datasets": [],
            "centre_files": "",
            "attribution": (),
        }
    inputs = result.provenance.get("inputs", {})
    files = [str(e.get("path", "")) for entries in inputs.values() for e in entries]
    files += [
        str(n.get("source", "")).split(" ")[0]
        for n in result.provenance.get("networks", {}).values()
    ]
    rows: dict[str, _Row] = {}
    for ds in registry.datasets():
        base = Path(ds.local_name).name
        if any(f.endswith(ds.local_name) or Path(f).name == base for f in files if f):
            rows.setdefault(ds.id, (ds.title, ds.publisher, ds.vintage, ds.licence, ds.attribution))
    centre_files = ", ".join(Path(e["path"]).name for e in inputs.get("centres", []))
    return {
        "synthetic": "",
        "datasets": list(rows.values()),
        "centre_files": centre_files,
        "attribution": ATTRIBUTION,
    }


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------


def report_content(
    result: StudyResult, *, cdn: bool = False, map_links: bool = False
) -> dict[str, Any]:
    """What the scrutiny report of ``result`` says: the context of its template.

    Numbers are strings with their units; names from the data files are plain text (the
    template ``report/report.html.j2`` escapes them); a table's rows are tuples of strings in
    the order of its columns.

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.Study.run`).
    cdn, map_links
        As for :func:`build_report`.

    Returns
    -------
    dict
        ``study`` (title, weight words, thresholds, what was run), ``headlines`` (per
        scenario x mode compared with the baseline), ``deprivation`` (a static map),
        ``baseline_links``, ``scenarios`` (a section each: centres, and per mode the
        headline, map, charts and tables), ``optimise`` (or None), ``equity``, ``notes``,
        ``sources``, ``outlines`` (the area outlines every static map uses) and ``marker``
        (the centre markers' colours).

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> content = report_content(synthetic_study(n_side=6, cells=2).run(progress=False))
    >>> [(h.label, h.mode) for h in content["headlines"]][1]
    ("Close the two 'closing' centres", 'on foot')
    >>> part = content["scenarios"][0]
    >>> part.closes, part.modes[0].deciles[-1][:2]
    (('Ashby Green Family Centre', 'Dunmore Family Centre'), ('All areas', '4'))
    """
    canvas = _Canvas(result)
    names = result.centre_names()
    pairs = list(result.comparisons())
    headlines = [_headline(result, s.name, mode) for s, mode in pairs]
    scenarios = []
    for scenario, group in itertools.groupby(zip(pairs, headlines, strict=True), lambda p: p[0][0]):
        modes = [_mode_part(result, canvas, h, m, map_links=map_links) for (_, m), h in group]
        centres = _centre_rows(result, scenario.name)
        scenarios.append(
            _ScenarioPart(
                name=scenario.name,
                label=scenario.label,
                description=scenario.description,
                closes=tuple(names.get(c, c) for c in scenario.closed_centres),
                keeps=tuple(names.get(c, c) for c in scenario.open_centres),
                centres=centres,
                evidence=any(c[3] for c in centres),
                modes=modes,
            )
        )
    finished = result.provenance.get("finished_utc") or dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"
    )
    study = {
        "title": result.title,
        "synthetic": result.synthetic,
        "banner": SYNTHETIC_BANNER if result.synthetic else "",
        "description": result.description,
        "area_description": result.area_description,
        "covered": f"{result.all_area_count - len(result.excluded):,}",
        "areas": f"{result.all_area_count:,}",
        "centres": f"{len(result.centres):,}",
        "scenarios": len(result.scenarios) - 1,
        "finished": str(finished),
        "version": str(result.provenance.get("versions", {}).get("centrereach", "")),
        "weight_long": WEIGHT_LONG.get(result.weight, result.weight),
        "word": weight_words(result.weight),
        "singular": WEIGHT_SINGULAR.get(result.weight, "person"),
        "thresholds": tuple(f"{t:g}" for t in result.thresholds_min),
        "modes": tuple(mode_words(m) for m in result.modes),
        "cdn": cdn,
    }
    links = [(f"maps/{map_filename(BASELINE, m)}", mode_words(m)) for m in result.modes]
    return {
        "study": study,
        "headlines": headlines,
        "deprivation": _deprivation_map(result, canvas),
        "baseline_links": links if map_links else [],
        "scenarios": scenarios,
        "optimise": _optimise(result),
        "equity": _equity_rows(result),
        "notes": _notes(result),
        "sources": _sources(result),
        "outlines": canvas.outlines,
        "marker": _MARKER_COLOURS,
    }


def build_report(result: StudyResult, *, cdn: bool = False, map_links: bool = False) -> str:
    """The scrutiny report of a study result as one self-contained HTML page.

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.Study.run`).
    cdn
        Whether the linked interactive maps link Leaflet from a CDN (only changes what the
        report says about them; the report itself never needs the internet).
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
    return str(
        render("report/report.html.j2", **report_content(result, cdn=cdn, map_links=map_links))
    )


def write_report(
    result: StudyResult,
    path: str | os.PathLike[str],
    *,
    cdn: bool = False,
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
    return write_text_atomic(path, build_report(result, cdn=cdn, map_links=map_links))


def write_report_and_maps(
    result: StudyResult, folder: str | os.PathLike[str], *, cdn: bool = False
) -> list[Path]:
    """Write the maps (``maps/<scenario>_<mode>.html``) and ``report.html`` into ``folder``.

    Parameters
    ----------
    result
        A study result.
    folder
        The output folder (created if needed).
    cdn
        Link Leaflet from a CDN (smaller maps that need internet) instead of inlining it. By
        default every map is self-contained: it opens with no internet (the basemap tiles
        still need it). Where Leaflet cannot be had for inlining, the maps link it and a
        :class:`~centrereach.errors.MapAssetsWarning` says so once.

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
    ['close-two_transit.html', 'close-two_cycle.html', 'report.html']
    """
    out = Path(folder)
    if not cdn and leaflet_assets() is None:  # warned once; every map links Leaflet instead
        cdn = True
    shapes = display_shapes(result.areas)
    written = []
    for name in result.scenarios:
        for mode in result.modes:
            fmap = impact_map(
                result.scenario(name, mode),
                result.centre_table(name, mode),
                labels=result.map_labels(name, mode),
                cdn=cdn,
                shapes=shapes,
            )
            written.append(save_map(fmap, out / "maps" / map_filename(name, mode)))
    written.append(write_report(result, out / "report.html", cdn=cdn, map_links=True))
    return written
