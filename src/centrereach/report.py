"""The scrutiny-meeting report: one self-contained HTML file, and the maps beside it.

:func:`build_report` returns the report as a string: the headline numbers in plain words, a
before/after table by IMD decile, charts and static maps drawn as inline SVG (no JavaScript, no
internet), the areas and districts that lose most, the centres and whom they serve, method notes
and data sources with their licences. It prints to A4 PDF from a browser (File > Print).

:func:`write_outputs` writes ``report.html`` and the interactive maps
``maps/<scenario>_<mode>.html`` (one per scenario other than the baseline and mode, plus
``maps/baseline_<mode>.html``); it is what ``centrereach run`` calls. The report links to the
maps, which must then stay in the ``maps`` folder beside it.

>>> from centrereach.synthetic import synthetic_study
>>> page = build_report(synthetic_study(n_side=6, cells=2).run(progress=False))
>>> "SYNTHETIC DATA" in page and "<svg" in page and "<script" not in page
True
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from centrereach import sources as registry
from centrereach._io import write_text_atomic
from centrereach._words import (
    LOCATION_QUALITY,
    MODE_TITLES,
    MODE_WORDS,
    SYNTHETIC_ATTRIBUTION,
    SYNTHETIC_BANNER,
    WEIGHT_LONG,
    WEIGHT_SINGULAR,
    WEIGHT_WORDS,
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
from centrereach.traveltime import ACCESS_SPEED_KPH

__all__ = ["build_report", "write_report", "write_report_and_maps"]

_BEFORE_COLOUR = "#9ecae1"
_AFTER_COLOUR = "#08519c"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------------------------
# small SVG builders
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


def bar_chart(
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
) -> str:
    """A grouped bar chart as inline SVG, each bar labelled with its value and unit.

    Parameters
    ----------
    categories
        Labels along the x axis.
    series
        ``(name, values, colour)`` per bar in a group (NaN and inf draw no bar).
    title, y_label, unit
        Chart title, y-axis label, and the unit written after each value (e.g. ``"min"``).
    y_max
        Top of the y axis (default: the largest finite value, rounded up).

    Examples
    --------
    >>> svg = bar_chart(["1", "2"], [("before", [5.0, 7.5], "#ccc")], title="t",
    ...                 y_label="minutes", unit="min")
    >>> svg.count("<rect class=\\"bar\\""), "7.5 min" in svg
    (2, True)
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
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(title)}</title>",
    ]
    ticks = round(top / step)
    for i in range(ticks + 1):
        value = i * step
        y = top_pad + plot_h - plot_h * value / top
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{value:g}</text>'
        )
    out.append(
        f'<text transform="translate(13 {top_pad + plot_h / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle" class="axis">{_e(y_label)}</text>'
    )
    for gi, category in enumerate(categories):
        x0 = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, (name, values, colour) in enumerate(series):
            v = values[gi]
            x = x0 + si * bar_w
            if not math.isfinite(v):
                out.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{top_pad + plot_h - 4:.1f}" '
                    'text-anchor="middle" class="val">n/a</text>'
                )
                continue
            h = plot_h * min(v, top) / top
            y = top_pad + plot_h - h
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{_e(name)}, {_e(category)}: '
                f"{v:.1f} {_e(unit)}</title></rect>"
            )
            label = f"{v:.0f}" if unit == "%" else f"{v:.1f}"
            out.append(
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'class="val">{label}</text>'
            )
        out.append(
            f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{top_pad + plot_h + 15:.1f}" '
            f'text-anchor="middle" class="cat">{_e(category)}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top_pad + plot_h}" '
        f'y2="{top_pad + plot_h}" stroke="#333"/>'
    )
    if x_label:
        out.append(
            f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle" '
            f'class="axis">{_e(x_label)}</text>'
        )
    lx = left
    for name, _, colour in series:
        out.append(
            f'<rect x="{lx}" y="8" width="14" height="12" fill="{colour}" stroke="#555"/>'
            f'<text x="{lx + 19}" y="18" class="legend">{_e(name)}</text>'
        )
        lx += 28 + 7 * len(name)
    out.append(
        f'<text x="{width - right}" y="18" text-anchor="end" class="legend">'
        f"values in {_e(unit)}</text>"
    )
    out.append("</svg>")
    return "".join(out)


class _StaticMaps:
    """Area outlines projected once (British National Grid) and drawn by many SVG maps.

    The outlines are written once, in an invisible ``<svg>`` of ``<path>`` definitions; each
    map ``<use>``s them with its own fill colours, so six maps cost little more than one.
    """

    def __init__(self, result: StudyResult, *, width: int = 640, max_height: int = 520) -> None:
        import geopandas as gpd
        import shapely

        shapes = result.areas.geometry
        if shapes.crs is None:
            shapes = shapes.set_crs(4326)
        projected = shapes.to_crs(27700)
        minx, miny, maxx, maxy = projected.total_bounds
        span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        scale = min((width - 20) / span_x, (max_height - 20) / span_y)
        self.scale = scale
        self.width = width
        self.height = math.ceil(span_y * scale + 20)
        self.origin = (minx, maxy)
        pixel_m = 1.0 / scale
        geoms = projected.to_numpy()
        try:
            simple = shapely.coverage_simplify(geoms, 0.6 * pixel_m)
            if not bool(np.all(shapely.is_valid(simple))):
                raise ValueError("invalid")
        except Exception:
            simple = shapely.simplify(geoms, 0.6 * pixel_m, preserve_topology=True)
        self.shapes = gpd.GeoSeries(simple, index=projected.index, crs=27700)
        self.ids = {str(code): f"a{i}" for i, code in enumerate(self.shapes.index)}
        self.centre_points: dict[str, tuple[float, float]] = {}
        centres = result.centres
        points = centres.geometry.to_crs(27700) if centres.crs is not None else centres.geometry
        for cid, p in zip(centres.index, points, strict=True):
            self.centre_points[str(cid)] = self._xy(p.x, p.y)

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return (10 + (x - self.origin[0]) * self.scale, 10 + (self.origin[1] - y) * self.scale)

    def _path(self, geom: Any) -> str:
        polys = list(getattr(geom, "geoms", [geom]))
        parts = []
        for poly in polys:
            for ring in [poly.exterior, *poly.interiors]:
                coords = np.asarray(ring.coords)[:-1]
                if len(coords) < 3:
                    continue
                pts = [self._xy(x, y) for x, y in coords[:, :2]]
                parts.append("M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in pts) + "Z")
        return "".join(parts)

    def defs(self) -> str:
        """The invisible SVG holding every area outline once."""
        paths = "".join(
            f'<path id="{self.ids[str(code)]}" d="{self._path(geom)}"/>'
            for code, geom in self.shapes.items()
            if geom is not None and not geom.is_empty
        )
        return (
            '<svg width="0" height="0" style="position:absolute" aria-hidden="true">'
            f"<defs>{paths}</defs></svg>"
        )

    def draw(
        self,
        fills: dict[str, str],
        titles: dict[str, str],
        *,
        label: str,
        centres: pd.DataFrame | None = None,
    ) -> str:
        """One map: each area filled, with a hover title, and the centres' markers."""
        out = [
            f'<svg class="static-map" viewBox="0 0 {self.width} {self.height}" '
            f'width="{self.width}" height="{self.height}" role="img" aria-label="{_e(label)}" '
            'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">',
            f"<title>{_e(label)}</title>",
            '<g stroke="#555" stroke-width="0.5" stroke-linejoin="round">',
        ]
        for code, fill in fills.items():
            ref = self.ids.get(code)
            if ref is None:
                continue
            out.append(
                f'<use href="#{ref}" xlink:href="#{ref}" fill="{fill}">'
                f"<title>{_e(titles.get(code, code))}</title></use>"
            )
        out.append("</g>")
        if centres is not None:
            for cid, c in centres.iterrows():
                x, y = self.centre_points[str(cid)]
                if c["kind"] == "closing":
                    out.append(
                        f'<g class="centre closing"><rect x="{x - 7:.1f}" y="{y - 7:.1f}" '
                        f'width="14" height="14" fill="{CLOSING_COLOUR}" stroke="#fff" '
                        f'stroke-width="2"/><path d="M{x - 3.5:.1f} {y - 3.5:.1f}l7 7m0 -7l-7 7" '
                        'stroke="#fff" stroke-width="2"/>'
                    )
                else:
                    out.append(
                        f'<g class="centre open"><circle cx="{x:.1f}" cy="{y:.1f}" r="7" '
                        f'fill="{OPEN_COLOUR}" stroke="#fff" stroke-width="2"/>'
                        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#fff"/>'
                    )
                out.append(
                    f'<text x="{x + 10:.1f}" y="{y + 4:.1f}" class="label">{_e(c["name"])}</text>'
                    "</g>"
                )
        out.append("</svg>")
        return "".join(out)


def _swatches(rows: Sequence[tuple[str, str]]) -> str:
    return "".join(
        f'<span class="key"><svg width="16" height="11" aria-hidden="true"><rect width="16" '
        f'height="11" fill="{c}" stroke="#666"/></svg> {_e(label)}</span>'
        for c, label in rows
    )


def _used_legend(bins: Bins, classes: np.ndarray) -> list[tuple[str, str]]:
    """Legend rows for the classes a map uses, plus "no change" for the change palette."""
    used = set(int(c) for c in classes)
    rows = []
    for i, (colour, label) in enumerate(zip(bins.colours, bins.labels, strict=True)):
        if i in used or label.startswith("no change"):
            rows.append((colour, label))
    if -2 in used:
        rows.append((bins.infinite_colour or bins.colours[-1], bins.infinite_label))
    if -1 in used:
        rows.append((bins.missing_colour, bins.missing_label))
    return rows


def _marker_key(closing: bool) -> str:
    out = (
        '<span class="key"><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" '
        f'r="6" fill="{OPEN_COLOUR}" stroke="#fff"/><circle cx="7" cy="7" r="2" fill="#fff"/>'
        "</svg> centre open</span>"
    )
    if closing:
        out += (
            '<span class="key"><svg width="14" height="14" aria-hidden="true"><rect x="1" '
            f'y="1" width="12" height="12" fill="{CLOSING_COLOUR}"/><path d="M4 4l6 6m0 -6l-6 6"'
            ' stroke="#fff" stroke-width="1.8"/></svg> centre closing</span>'
        )
    return out


# --------------------------------------------------------------------------------------------
# tables and words
# --------------------------------------------------------------------------------------------


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, cls: str = "", align: str = ""
) -> str:
    """An HTML table; ``align`` gives each column ``l`` (text) or ``r`` (numbers), default l."""

    def a(i: int) -> str:
        return "r" if i < len(align) and align[i] == "r" else "l"

    head = "".join(f"<th scope='col' class='{a(i)}'>{_e(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td class='{a(i)}'>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _pct(value: float) -> str:
    return "n/a " if not math.isfinite(value) else f"{value:.0f}%"


def _rises(before: float, after: float) -> str:
    if not (math.isfinite(before) and math.isfinite(after)):
        return f"changes from {fmt_min(before)} to {fmt_min(after)}"
    if after - before > 0.05:
        return f"rises from {before:.1f} to {after:.1f} minutes"
    if before - after > 0.05:
        return f"falls from {before:.1f} to {after:.1f} minutes"
    return f"stays at {after:.1f} minutes"


def _headline_items(result: StudyResult, scenario: str, mode: str) -> list[str]:
    h = result.headline(scenario, mode)
    weight = result.weight
    word = WEIGHT_WORDS.get(weight, weight)
    mode_word = MODE_WORDS.get(mode, mode)
    rows = result.scenario(scenario, mode)
    total = float(rows[weight].fillna(0).sum())
    items = [
        f"For the {fmt_count(total)} {_e(WEIGHT_LONG.get(weight, weight))} in the study area, "
        f"the average journey {mode_word} to the nearest open centre "
        f"{_rises(h.all_before_min, h.all_after_min)}.",
        (
            f"<b>{fmt_count(h.newly_beyond)} {word}</b> who live within "
            f"{h.threshold_min:g} minutes of a centre today would live more than "
            f"{h.threshold_min:g} minutes away."
            if h.newly_beyond > 0
            else f"No {WEIGHT_SINGULAR.get(weight, 'person')} who lives within "
            f"{h.threshold_min:g} minutes of a centre today would be pushed beyond "
            f"{h.threshold_min:g} minutes."
        ),
    ]
    decile = h.most_deprived_decile
    if decile == 1:
        items.append(
            f"For {word} in the 10% most deprived areas of England (IMD decile 1), the average "
            f"{_rises(h.deprived_before_min, h.deprived_after_min)}; "
            f"{fmt_count(h.newly_beyond_decile1)} of them would newly be more than "
            f"{h.threshold_min:g} minutes away."
        )
    elif decile is not None:
        items.append(
            f"No area here is in England's 10% most deprived. In the most deprived areas of the "
            f"study area (IMD decile {decile}), the average "
            f"{_rises(h.deprived_before_min, h.deprived_after_min)}."
        )
    items.append(
        f"{h.areas_losing} of {len(rows)} areas, home to {fmt_count(h.weight_losing)} "
        f"{word}, would have a longer journey."
    )
    if h.worst:
        worst = "; ".join(
            f"{_e(name or code)} ({fmt_change(change)}, from {fmt_min(before)} to {fmt_min(after)})"
            for code, name, change, before, after in h.worst
        )
        items.append(f"The largest increases: {worst}.")
    return items


def _decile_table(result: StudyResult, scenario: str, mode: str) -> str:
    thresholds = result.thresholds_min
    weight = result.weight
    word = WEIGHT_WORDS.get(weight, weight)
    deciles: list[int | None] = [*result.deciles(scenario, mode), None]
    headers = [
        "IMD decile",
        "Areas",
        f"{word.capitalize()}",
        "Mean before (min)",
        "Mean after (min)",
        "Change (min)",
        *[f"Within {t:g} min (% before → after)" for t in thresholds],
    ]
    rows = []
    for d in deciles:
        after = result.summary_row(scenario, mode, d)
        before = result.summary_row(BASELINE, mode, d)
        if after is None or before is None:
            continue
        label = "All areas" if d is None else (f"{d} (most deprived)" if d == 1 else str(d))
        cells = [
            f"<b>{_e(label)}</b>" if d is None else _e(label),
            f"{int(after['areas'])}",
            fmt_count(after[weight] if weight in after.index else after["children"]),
            f"{before['mean_time_min']:.1f}",
            f"{after['mean_time_min']:.1f}",
            fmt_change(after["mean_time_min"] - before["mean_time_min"]).replace(" min", ""),
        ]
        for t in thresholds:
            col = f"within_{t:g}_pct"
            cells.append(f"{_pct(before[col])[:-1]} → {_pct(after[col])[:-1]}")
        rows.append(cells)
    return _table(headers, rows, cls="deciles", align="lrrrrrrrrrrrr")


def _losers_table(result: StudyResult, scenario: str, mode: str, *, top: int = 10) -> str:
    weight = result.weight
    rows = result.scenario(scenario, mode)
    losers = rows[rows["change_min"] > 0].sort_values("change_min", ascending=False).head(top)
    if losers.empty:
        return "<p>No area has a longer journey.</p>"
    out = []
    for code, r in losers.iterrows():
        decile = r.get("imd_decile")
        out.append(
            [
                f"{_e(r.get('lsoa_name') or code)}<br><span class='code'>{_e(code)}</span>",
                _e(r.get("lad_name", "") or ""),
                "" if decile is None or pd.isna(decile) else str(int(decile)),
                fmt_count(r.get(weight, float("nan"))),
                f"{fmt_min(r['baseline_time_min'])} ({_e(r['baseline_centre_name'])})",
                f"{fmt_min(r['time_min'])} ({_e(r['centre_name'])})",
                f"<b>{fmt_change(r['change_min'])}</b>",
            ]
        )
    headers = [
        "Area",
        "District",
        "IMD decile",
        f"{WEIGHT_WORDS.get(weight, weight).capitalize()} (people)",
        "Before (nearest centre)",
        "After (nearest open centre)",
        "Change",
    ]
    return _table(headers, out, cls="areas", align="llrrllr")


def _district_table(result: StudyResult, scenario: str, mode: str) -> str:
    weight = result.weight
    word = WEIGHT_WORDS.get(weight, weight)
    rows = result.scenario(scenario, mode)
    if "lad_name" not in rows.columns or rows["lad_name"].isna().all():
        return ""
    first = result.thresholds_min[0]
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
    out = []
    for district, r in g.iterrows():
        out.append(
            [
                _e(district),
                fmt_count(r["w"]),
                f"{int(r['areas_longer'])}",
                fmt_count(r["w_longer"]),
                fmt_count(r["w_newly"]),
                fmt_change(r["mean_change"]) if math.isfinite(r["mean_change"]) else "no data",
            ]
        )
    headers = [
        "District",
        f"{word.capitalize()} (people)",
        "Areas with a longer journey",
        f"{word.capitalize()} with a longer journey (people)",
        f"{word.capitalize()} newly beyond {first:g} min (people)",
        f"Average change per {WEIGHT_SINGULAR.get(weight, 'person')} (min)",
    ]
    return _table(headers, out, cls="districts", align="lrrrrr")


def _centres_table(result: StudyResult, scenario: str) -> str:
    weight = result.weight
    word = WEIGHT_WORDS.get(weight, weight)
    modes = list(result.modes)
    modes = [m for m in modes if m in set(result.modes)]
    tables = {m: result.centre_table(scenario, m) for m in modes}
    first = tables[modes[0]]
    headers = ["Centre", "In this scenario", "Location"]
    headers += [
        f"Nearest centre for ({word}, {MODE_WORDS.get(m, m)}): before → after" for m in modes
    ]
    rows = []
    for cid, c in first.iterrows():
        marker = "■ closes" if c["kind"] == "closing" else "● stays open"
        quality = str(c["location_quality"])
        cells = [
            _e(c["name"]),
            f"<span class='{c['kind']}'>{marker}</span>",
            _e("approximate (" + quality + ")" if c["approximate"] else "exact"),
        ]
        for m in modes:
            t = tables[m].loc[cid]
            cells.append(f"{fmt_count(t['served_before'])} → {fmt_count(t['served_after'])}")
        rows.append(cells)
    return _table(headers, rows, cls="centres", align="lll" + "r" * len(modes))


def _equity_table(result: StudyResult) -> str:
    e = result.equity
    rows = []
    for r in e.itertuples():
        label = result.scenarios[str(r.scenario)].label if r.scenario in result.scenarios else ""
        rows.append(
            [
                _e(label),
                _e(MODE_WORDS.get(str(r.mode), str(r.mode))),
                f"{r.mean_time_min:.1f} min",
                fmt_min(float(r.most_deprived_mean_time_min)),
                fmt_min(float(r.least_deprived_mean_time_min)),
                "no data"
                if not math.isfinite(float(r.concentration_index))
                else f"{float(r.concentration_index):+.3f}",
                f"{float(r.gini):.3f}",
            ]
        )
    headers = [
        "Scenario",
        "Mode",
        "Mean time",
        "Mean, IMD deciles 1-2",
        "Mean, IMD deciles 9-10",
        "Concentration index (−1 to 1)",
        "Gini (0 to 1)",
    ]
    return _table(headers, rows, cls="equity", align="llrrrrr")


def _optimise_section(result: StudyResult) -> str:
    """Which centres to keep: the optimum against each scenario keeping as many centres."""
    info = result.optimisation
    table = result.comparison
    if not info or table is None:
        return ""
    names = result.centres["name"] if "name" in result.centres.columns else None

    def name_of(centre: str) -> str:
        return str(names[centre]) if names is not None and centre in names.index else centre

    keep = int(info["keep"])
    unit = "%" if info["unit"] == "percent" else " min"
    objective_words = {
        "mean-time": "the lowest average travel time",
        "coverage": f"the most {WEIGHT_WORDS.get(result.weight, 'people')} within "
        f"{info.get('threshold_min') or result.thresholds_min[0]:g} minutes",
        "equity": "the lowest average travel time, counting deprived areas more",
        "minmax-decile": "the lowest average travel time in the worst-off IMD decile",
    }
    best_closed = [c for c in map(str, result.centres.index) if c not in info["open_centres"]]
    proof = "proven optimal" if info["optimal"] else "best found, not proven optimal"
    parts = [
        "<section><h2>Which centres to keep</h2>",
        f"<p>Keeping {keep} of {len(result.centres)} centres, the set with "
        f"{_e(objective_words.get(str(info['objective']), str(info['objective'])))} "
        f"({_e(MODE_WORDS.get(str(info['mode']), str(info['mode'])))}) scores "
        f"<b>{float(info['value']):.2f}{unit}</b> ({_e(proof)}, {_e(info['method'])} search). "
        f"It closes: {_e(', '.join(name_of(c) for c in best_closed))}. It is shown above as "
        f"the scenario &ldquo;{_e(result.scenarios[f'best-keep-{keep}'].label)}&rdquo;.</p>",
    ]
    rows = []
    for r in table.itertuples():
        if int(r.open_centres) != keep or str(r.scenario).startswith("best-keep"):
            continue
        kept_here = ", ".join(name_of(c) for c in str(r.open_here_closed_in_best).split())
        kept_best = ", ".join(name_of(c) for c in str(r.closed_here_open_in_best).split())
        differs = (
            f"keeps {kept_here}; the best keeps {kept_best}" if int(r.swaps) else "the same centres"
        )
        rows.append(
            [
                _e(r.label),
                f"{float(r.value):.2f}{unit}",
                f"{float(r.shortfall):+.2f}{unit}",
                f"{int(r.swaps)}",
                _e(differs),
            ]
        )
    if rows:
        parts.append(
            _table(
                ["Scenario", "Score", "Against the best", "Choices that differ", "Which"],
                rows,
                cls="optimise",
                align="lrrrl",
            )
        )
    else:
        parts.append(f"<p>No scenario of the study keeps exactly {keep} centres.</p>")
    parts.append(
        "<p>The search looks at travel time only. Footfall, buildings, staff, leases and the "
        "services each centre offers are not in it.</p></section>"
    )
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# method notes and sources
# --------------------------------------------------------------------------------------------


def _method_notes(result: StudyResult) -> str:
    study = result
    meta = result.provenance
    attrs = result.provenance.get("areas", {})
    items: list[str] = []
    weight_long = WEIGHT_LONG.get(study.weight, study.weight)
    items.append(
        "<b>What is measured.</b> For each small area (Lower layer Super Output Area, LSOA), the "
        "door-to-door travel time in minutes from where its people live to the nearest open "
        "centre, along the road or footpath network. Averages are weighted by the number of "
        f"{_e(weight_long)} in each area, so they describe the typical family, not the typical "
        "area. Thresholds: " + ", ".join(f"{t:g} minutes" for t in study.thresholds_min) + "."
    )
    origin = attrs.get("origin_source")
    if "origin_source" in getattr(result.areas, "columns", []):
        counts = result.areas["origin_source"].value_counts()
        origin = ", ".join(f"{n} area(s): {str(k).replace('_', ' ')}" for k, n in counts.items())
    if origin:
        items.append(f"<b>Where journeys start.</b> {_e(origin)}.")
    for mode in study.modes:
        net = meta.get("networks", {}).get(mode, {})
        speed = net.get("speed_model") or {}
        description = speed.get("description") if isinstance(speed, dict) else None
        source = net.get("source")
        text = f"<b>{_e(MODE_TITLES.get(mode, mode))}.</b> "
        text += _e(description) + ". " if description else "Speed model: not recorded. "
        if source:
            text += f"Network: {_e(source)}"
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
        items.append(text)
    items.append(
        f"<b>Exclusions.</b> Areas farther than {study.max_snap_m:,.0f} m from the network, or "
        "outside it, are left out. "
        + (
            f"{len(result.excluded)} area(s) were left out: "
            + "; ".join(
                f"{_e(code)} ({_e(why)})" for code, why in list(result.excluded.items())[:40]
            )
            + ("; ..." if len(result.excluded) > 40 else "")
            + "."
            if result.excluded
            else "No area was left out."
        )
    )
    centres = result.centres
    if "location_quality" in getattr(centres, "columns", []):
        counts = centres["location_quality"].astype(str).value_counts()
        parts = [
            f"{n} {_e(k)} ({_e(LOCATION_QUALITY.get(k.lower(), 'as given'))})"
            for k, n in counts.items()
        ]
        items.append(
            "<b>Centre locations.</b> " + "; ".join(parts) + ". Approximate locations make each "
            "travel time uncertain by about the time it takes to cover that distance."
        )
    vintage = attrs.get("vintage")
    edition = attrs.get("imd_edition")
    years = attrs.get("population_years") or {}
    bits = []
    if vintage:
        bits.append(f"LSOA boundaries of {_e(vintage)}")
    if edition:
        bits.append(f"English Indices of Deprivation {_e(edition)} (IMD deciles)")
    if isinstance(years, dict) and years:
        bits.append("population " + ", ".join(f"{_e(k)}: {_e(v)}" for k, v in years.items()))
    if bits:
        items.append("<b>Data vintages.</b> " + "; ".join(bits) + ".")
    items.append(
        "<b>Equity measures.</b> The concentration index of travel time over deprivation rank "
        "is negative when more deprived areas travel further (range −1 to 1); the Gini "
        "coefficient measures how unequal travel times are across people (0 = all equal)."
    )
    for note in study.notes:
        items.append(_e(note))
    return "<ul class='notes'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _sources(result: StudyResult) -> str:
    if result.synthetic:
        return (
            f"<p><b>{_e(SYNTHETIC_ATTRIBUTION)}.</b> No official data were used; the numbers "
            "show how the report reads, not any real place.</p>"
        )
    files: list[str] = []
    for entries in result.provenance.get("inputs", {}).values():
        files += [str(e.get("path", "")) for e in entries]
    for net in result.provenance.get("networks", {}).values():
        files.append(str(net.get("source", "")).split(" ")[0])
    rows = []
    seen = set()
    for ds in registry.datasets():
        base = Path(ds.local_name).name
        if any(f.endswith(ds.local_name) or Path(f).name == base for f in files if f):
            if ds.id in seen:
                continue
            seen.add(ds.id)
            rows.append(
                [
                    _e(ds.title),
                    _e(ds.publisher),
                    _e(ds.vintage),
                    _e(ds.licence),
                    _e(ds.attribution),
                ]
            )
    out = ""
    if rows:
        out += _table(
            ["Dataset", "Publisher", "Edition", "Licence", "Attribution"], rows, cls="sources"
        )
    centre_files = [
        Path(e["path"]).name for e in result.provenance.get("inputs", {}).get("centres", [])
    ]
    if centre_files:
        out += f"<p>Centres: {_e(', '.join(centre_files))} (compiled for the study).</p>"
    out += "<ul class='attribution'>" + "".join(f"<li>{_e(a)}.</li>" for a in ATTRIBUTION) + "</ul>"
    return out


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------

_CSS = """
:root{--ink:#1a1a1a;--muted:#555;--line:#c8c8c8}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);
 max-width:62rem;margin:0 auto;padding:1.2rem 1.4rem 3rem;
 -webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:1.6rem;line-height:1.25;margin:.4rem 0 .3rem}
h2{font-size:1.25rem;margin:1.8rem 0 .4rem;border-bottom:2px solid #333;padding-bottom:.15rem}
h3{font-size:1.05rem;margin:1.3rem 0 .3rem}
h4{font-size:.95rem;margin:1rem 0 .25rem}
h2,h3,h4{break-after:avoid;page-break-after:avoid}
p,li{max-width:52rem}
.lead{font-size:1.02rem;color:#333}
.meta{color:var(--muted);font-size:.85rem}
.banner{background:#b00020;color:#fff;font-weight:700;padding:.5rem .8rem;border-radius:4px;
 letter-spacing:.03em;margin:.4rem 0}
.headline{background:#f3f6fa;border-left:5px solid #08519c;padding:.5rem .9rem .5rem 1.8rem;
 margin:.5rem 0}
.headline li{margin:.15rem 0}
table{border-collapse:collapse;width:100%;font-size:.8rem;margin:.4rem 0 .8rem;
 table-layout:auto}
th,td{border-bottom:1px solid var(--line);padding:.2rem .35rem;vertical-align:top;
 overflow-wrap:break-word;hyphens:auto}
th{background:#eef0f3;text-align:left;font-weight:600}
td.r,th.r{text-align:right}
td.l,th.l{text-align:left}
tr{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
.code{color:var(--muted);font-size:.72rem}
.closing{color:#8b0000;font-weight:600}
.open{color:#1b5e20}
figure{margin:.6rem 0 1rem;break-inside:avoid;page-break-inside:avoid}
figcaption{font-size:.82rem;color:var(--muted);margin-top:.2rem}
svg.chart,svg.static-map{max-width:100%;height:auto;display:block}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .tick,svg .cat{font-size:11px;fill:#333}
svg .axis{font-size:11px;fill:#333}
svg .val{font-size:10px;fill:#222}
svg .legend{font-size:11.5px;fill:#222}
svg .label{font-size:11px;fill:#111;paint-order:stroke;stroke:#fff;stroke-width:3px}
.key{display:inline-flex;align-items:center;gap:.25rem;margin:0 .8rem .1rem 0;font-size:.8rem}
.keys{margin:.2rem 0}
.maps a{font-weight:600}
.notes li{margin:.3rem 0}
.attribution{font-size:.85rem}
footer{margin-top:2rem;font-size:.8rem;color:var(--muted);border-top:1px solid var(--line)}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{
 body{font-size:10pt;max-width:none;padding:0}
 h1{font-size:17pt} h2{font-size:13pt} h3{font-size:11pt}
 table{font-size:7.8pt}
 a{color:inherit;text-decoration:none}
 section.scenario{break-before:page;page-break-before:always}
 svg.static-map{max-height:130mm;width:auto}
 .screen-only{display:none}
}
"""


def _scenario_section(
    result: StudyResult,
    scenario: str,
    static: _StaticMaps,
    *,
    map_links: bool,
    offline: bool,
) -> str:
    study = result
    sc = result.scenarios[scenario]
    names = {str(k): str(v) for k, v in result.centre_names().items()}
    closed = ", ".join(_e(names.get(c, c)) for c in sc.closed_centres) or "none"
    kept = ", ".join(_e(names.get(c, c)) for c in sc.open_centres)
    out = [f'<section class="scenario" id="scenario-{_e(scenario)}"><h2>{_e(sc.label)}</h2>']
    if sc.description:
        out.append(f"<p>{_e(sc.description)}</p>")
    out.append(
        f"<p><b>Closes ({len(sc.closed_centres)}):</b> {closed}.<br><b>Stays open "
        f"({len(sc.open_centres)}):</b> {kept}.</p>"
    )
    out.append("<h3>Centres and whom they serve</h3>")
    out.append(_centres_table(result, scenario))
    cb = change_bins()
    word = WEIGHT_WORDS.get(study.weight, study.weight)
    for mode in study.modes:
        if mode not in set(result.modes):
            continue
        title = MODE_TITLES.get(mode, mode)
        out.append(f"<h3>{_e(title)}</h3>")
        out.append(
            "<ul class='headline'>"
            + "".join(f"<li>{i}</li>" for i in _headline_items(result, scenario, mode))
            + "</ul>"
        )
        rows = result.scenario(scenario, mode)
        classes = cb.classify(rows["change_min"])
        fills = {
            str(code): cb.colour_of(int(c)) for code, c in zip(rows.index, classes, strict=True)
        }
        titles = {
            str(code): f"{r.get('lsoa_name') or code}: {fmt_change(r['change_min'])} "
            f"({fmt_min(r['baseline_time_min'])} → {fmt_min(r['time_min'])})"
            for code, r in rows.iterrows()
        }
        centres = result.centre_table(scenario, mode)
        mode_word = MODE_WORDS.get(mode, mode)
        label = f"Change in minutes to the nearest open centre, {mode_word}: {sc.label}"
        out.append(
            "<figure>"
            + static.draw(fills, titles, label=label, centres=centres)
            + f"<figcaption><b>{_e(label)}</b> (after minus before, minutes). "
            + "<span class='keys'>"
            + _swatches(_used_legend(cb, classes))
            + _marker_key(bool((centres["kind"] == "closing").any()))
            + "</span></figcaption></figure>"
        )
        if map_links:
            link = f"maps/{map_filename(scenario, mode)}"
            extra = (
                "opens with no internet"
                if offline
                else "needs internet for Leaflet and the basemap"
            )
            out.append(
                f"<p class='maps'>Interactive map: <a href='{_e(link)}'>{_e(link)}</a> "
                f"(minutes before and after, change and deprivation layers; {extra}).</p>"
            )
        deciles = result.deciles(scenario, mode)
        before_vals = []
        after_vals = []
        for d in deciles:
            b = result.summary_row(BASELINE, mode, d)
            a = result.summary_row(scenario, mode, d)
            before_vals.append(float(b["mean_time_min"]) if b is not None else float("nan"))
            after_vals.append(float(a["mean_time_min"]) if a is not None else float("nan"))
        if deciles:
            out.append(
                "<figure>"
                + bar_chart(
                    [("1 (most deprived)" if d == 1 else str(d)) for d in deciles],
                    [
                        ("All centres open", before_vals, _BEFORE_COLOUR),
                        (sc.label, after_vals, _AFTER_COLOUR),
                    ],
                    title=f"Average minutes to the nearest open centre by IMD decile, {mode_word}",
                    y_label=f"minutes ({word}-weighted mean)",
                    unit="min",
                    x_label="IMD decile (1 = most deprived 10% in England)",
                )
                + f"<figcaption>Average minutes to the nearest open centre by IMD decile "
                f"(1 = most deprived 10% in England), {_e(MODE_WORDS.get(mode, mode))}, weighted "
                f"by {_e(word)}.</figcaption></figure>"
            )
        b_all = result.summary_row(BASELINE, mode)
        a_all = result.summary_row(scenario, mode)
        if b_all is not None and a_all is not None:
            thresholds = study.thresholds_min
            out.append(
                "<figure>"
                + bar_chart(
                    [f"within {t:g} min" for t in thresholds],
                    [
                        (
                            "All centres open",
                            [float(b_all[f"within_{t:g}_pct"]) for t in thresholds],
                            _BEFORE_COLOUR,
                        ),
                        (
                            sc.label,
                            [float(a_all[f"within_{t:g}_pct"]) for t in thresholds],
                            _AFTER_COLOUR,
                        ),
                    ],
                    title=f"Share of {word} within each travel time, {MODE_WORDS.get(mode, mode)}",
                    y_label=f"% of {word}",
                    unit="%",
                    y_max=100.0,
                )
                + f"<figcaption>Share of {_e(word)} (%) who live within each travel time of an "
                f"open centre, {_e(MODE_WORDS.get(mode, mode))}.</figcaption></figure>"
            )
        out.append("<h4>By deprivation (IMD decile)</h4>")
        out.append(_decile_table(result, scenario, mode))
        out.append("<h4>Areas whose journey grows most</h4>")
        out.append(_losers_table(result, scenario, mode))
        districts = _district_table(result, scenario, mode)
        if districts:
            out.append("<h4>Districts</h4>")
            out.append(districts)
    out.append("</section>")
    return "".join(out)


def _glance(result: StudyResult) -> str:
    study = result
    word = WEIGHT_WORDS.get(study.weight, study.weight)
    first = study.thresholds_min[0]
    rows = []
    for name, sc in result.scenarios.items():
        if name == BASELINE:
            continue
        for mode in study.modes:
            if mode not in set(result.modes):
                continue
            h = result.headline(name, mode)
            rows.append(
                [
                    f"<a href='#scenario-{_e(name)}'>{_e(sc.label)}</a>",
                    _e(MODE_WORDS.get(mode, mode)),
                    f"{fmt_min(h.all_before_min)} → {fmt_min(h.all_after_min)}",
                    fmt_min(h.deprived_before_min) + " → " + fmt_min(h.deprived_after_min)
                    if h.most_deprived_decile is not None
                    else "no data",
                    fmt_count(h.newly_beyond),
                    f"{h.areas_losing}",
                    fmt_count(h.weight_losing),
                ]
            )
    headers = [
        "Scenario",
        "Mode",
        "Average minutes, before → after",
        "Average minutes in the most deprived areas, before → after",
        f"{word.capitalize()} newly beyond {first:g} min (people)",
        "Areas with a longer journey",
        f"{word.capitalize()} with a longer journey (people)",
    ]
    return _table(headers, rows, cls="glance", align="llrrrrr")


def build_report(result: StudyResult, *, offline: bool = False, map_links: bool = False) -> str:
    """The scrutiny report of a study result as one self-contained HTML page.

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.study.Study.run`).
    offline
        Whether the linked interactive maps are offline builds (only changes what the report
        says about them; the report itself never needs the internet).
    map_links
        Link each scenario and mode to ``maps/<scenario>_<mode>.html`` (as
        :func:`write_outputs` writes them beside the report).

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
    study = result
    static = _StaticMaps(result)
    word = WEIGHT_WORDS.get(study.weight, study.weight)
    parts: list[str] = []
    if study.synthetic:
        parts.append(f"<div class='banner' role='alert'>{_e(SYNTHETIC_BANNER)}</div>")
    parts.append(f"<h1>{_e(study.title)}</h1>")
    if study.description:
        parts.append(f"<p class='lead'>{_e(study.description)}</p>")
    if study.area_description:
        parts.append(f"<p>Study area: {_e(study.area_description)}.</p>")
    finished = result.provenance.get("finished_utc") or dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"
    )
    covered = result.all_area_count - len(result.excluded)
    parts.append(
        f"<p class='meta'>{covered} of {result.all_area_count} areas, {len(result.centres)} "
        f"centres, {len(result.scenarios) - 1} scenario(s), modes: "
        f"{_e(', '.join(MODE_WORDS.get(m, m) for m in study.modes))}. Averages weighted by "
        f"{_e(WEIGHT_LONG.get(study.weight, study.weight))}. Run {_e(finished)} with "
        f"centrereach {_e(result.provenance.get('versions', {}).get('centrereach', ''))}.</p>"
    )
    parts.append("<h2>At a glance</h2>")
    parts.append(_glance(result))
    for name, sc in result.scenarios.items():
        if name == BASELINE:
            continue
        for mode in study.modes:
            if mode not in set(result.modes):
                continue
            parts.append(f"<h3>{_e(sc.label)}, {_e(MODE_WORDS.get(mode, mode))}</h3>")
            parts.append(
                "<ul class='headline'>"
                + "".join(f"<li>{i}</li>" for i in _headline_items(result, name, mode)[:3])
                + "</ul>"
            )
    # deprivation map (once)
    ib = imd_bins()
    first_mode = study.modes[0]
    base_rows = result.scenario(BASELINE, first_mode)
    iclasses = ib.classify(deciles_of(base_rows))
    fills = {str(c): ib.colour_of(int(k)) for c, k in zip(base_rows.index, iclasses, strict=True)}
    titles = {
        str(code): f"{r.get('lsoa_name') or code}: IMD decile "
        + ("no data" if pd.isna(r.get("imd_decile")) else str(int(r["imd_decile"])))
        for code, r in base_rows.iterrows()
    }
    centres_all = result.centre_table(BASELINE, first_mode)
    parts.append("<h2>Where the deprived areas are</h2>")
    parts.append(
        "<figure>"
        + static.draw(fills, titles, label="IMD decile of each area", centres=centres_all)
        + "<figcaption><b>IMD decile (1 = most deprived 10% in England)</b>, with every centre. "
        + "<span class='keys'>"
        + _swatches(_used_legend(ib, iclasses))
        + _marker_key(False)
        + "</span></figcaption></figure>"
    )
    if map_links:
        links = ", ".join(
            f"<a href='maps/{_e(map_filename(BASELINE, m))}'>{_e(MODE_WORDS.get(m, m))}</a>"
            for m in study.modes
        )
        parts.append(f"<p class='maps'>Interactive maps with every centre open: {links}.</p>")
    for name in result.scenarios:
        if name == BASELINE:
            continue
        parts.append(_scenario_section(result, name, static, map_links=map_links, offline=offline))
    parts.append(_optimise_section(result))
    parts.append("<section><h2>Fairness measures</h2>")
    parts.append(_equity_table(result))
    parts.append(
        f"<p>Times are {_e(word)}-weighted means in minutes. A concentration index below 0 "
        "means the more deprived areas travel further.</p></section>"
    )
    parts.append("<section><h2>Method notes</h2>" + _method_notes(result) + "</section>")
    parts.append("<section><h2>Data sources and licences</h2>" + _sources(result) + "</section>")
    parts.append(
        "<footer><p>Made with centrereach. Times in minutes; shares in % of "
        f"{_e(word)}; counts in people.</p></footer>"
    )
    title = study.title + (" (SYNTHETIC DATA)" if study.synthetic else "")
    css = _CSS
    if study.synthetic:
        css += (
            "@page{@top-center{content:'SYNTHETIC DATA: not a real place';color:#b00020;"
            "font:bold 9pt sans-serif}}"
        )
    return (
        "<!DOCTYPE html>\n<html lang='en-GB'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        + static.defs()
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


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
