"""The result of a study: frozen tables and labels, small accessors, and a rich display.

A :class:`StudyResult` is what :meth:`centrereach.Study.run` returns. It holds every table a
study produces and every label a renderer needs (title, weight, thresholds, modes, scenario
labels, excluded areas, provenance) as plain fields, and knows nothing of study files, networks
or output folders. Everything after the travel-time matrices is cheap array work, so
:meth:`StudyResult.with_scenarios` and :meth:`StudyResult.optimise` return new results in a
fraction of a second.

In Jupyter a result shows itself as a table of headline figures; ``result.explore(scenario,
mode)`` draws the impact map (a :class:`folium.Map`); :func:`centrereach.write_outputs` puts the
tables, maps and report on disk.

>>> from centrereach.synthetic import synthetic_study
>>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
>>> result  # doctest: +NORMALIZE_WHITESPACE
<StudyResult 'synthshire-demo': 4 areas, 6 centres, scenarios baseline, close-two;
 modes drive, walk, transit, cycle>
>>> [(s.name, mode) for s, mode in result.comparisons()]  # doctest: +NORMALIZE_WHITESPACE
[('close-two', 'drive'), ('close-two', 'walk'), ('close-two', 'transit'),
 ('close-two', 'cycle')]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from centrereach import maps
from centrereach._geo import WGS84
from centrereach._words import (
    EXACT_QUALITIES,
    MODE_TITLES,
    SYNTHETIC_BANNER,
    WEIGHT_LONG,
    mode_words,
    weight_words,
)
from centrereach.errors import StudyFileError, UnknownScenarioError
from centrereach.metrics import DEFAULT_THRESHOLDS_MIN, equity_table, summary_table
from centrereach.optimisation import Objective, OptimiseResult
from centrereach.optimisation import optimise as find_best
from centrereach.scenarios import BASELINE, Scenario, evaluate_scenarios, scenario_from_spec
from centrereach.traveltime import NearestCentres

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = ["Headline", "OptimiseOutcome", "StudyResult"]

#: Area columns carried from the areas into the long table (when present).
AREA_COLUMNS: tuple[str, ...] = (
    "lsoa_name",
    "lad_code",
    "lad_name",
    "imd_decile",
    "imd_rank",
    "population",
    "children",
    "under5",
)


@dataclass(frozen=True)
class Headline:
    """Key figures of one scenario and mode, against every centre open.

    Times are minutes (the study weight's mean); counts are people of the study weight.

    Attributes
    ----------
    scenario, mode, label
        The scenario's name, the travel mode and the scenario's label.
    weight
        The study weight (``children``, ``population`` or ``under5``).
    most_deprived_decile
        The lowest IMD decile among the study's areas (1 = England's most deprived 10%), or
        None without deprivation data.
    deprived_before_min, deprived_after_min
        Mean minutes in that decile, before and after.
    decile1_before_min, decile1_after_min
        Mean minutes in IMD decile 1 (NaN when no area is in it).
    all_before_min, all_after_min
        Mean minutes over all areas.
    threshold_min
        The study's first threshold (minutes).
    newly_beyond, newly_beyond_decile1
        People within ``threshold_min`` before but not after (all areas; decile 1).
    areas, areas_losing, weight_total, weight_losing
        Areas, areas with a longer journey, and the people in them.
    worst
        Up to three areas losing most: ``(code, name, change, before, after)`` in minutes.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> h = synthetic_study(n_side=6, cells=2).run(progress=False).headline("close-two", "walk")
    >>> h.label, h.most_deprived_decile, f"{h.all_before_min:.1f} -> {h.all_after_min:.1f} min"
    ("Close the two 'closing' centres", 1, '5.2 -> 9.9 min')
    """

    scenario: str
    mode: str
    label: str
    weight: str
    most_deprived_decile: int | None
    deprived_before_min: float
    deprived_after_min: float
    decile1_before_min: float
    decile1_after_min: float
    all_before_min: float
    all_after_min: float
    threshold_min: float
    newly_beyond: float
    newly_beyond_decile1: float
    areas: int
    areas_losing: int
    weight_total: float
    weight_losing: float
    worst: tuple[tuple[str, str, float, float, float], ...] = ()

    def to_text(self) -> str:
        """The headline as the console prints it: plain words, every number with its unit.

        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> print(r.headline("close-two", "walk").to_text())  # doctest: +ELLIPSIS
        Close the two 'closing' centres, walk: children in the 10% most deprived areas, mean ...
        """
        word = weight_words(self.weight)
        if self.most_deprived_decile is None:
            what = "no deprivation data"
        else:
            decile = self.most_deprived_decile
            group = (
                "in the 10% most deprived areas"
                if decile == 1
                else f"in the most deprived areas here (IMD decile {decile})"
            )
            what = (
                f"{word} {group}, mean {self.deprived_before_min:.1f} -> "
                f"{self.deprived_after_min:.1f} min"
            )
        lines = [
            f"{self.label}, {self.mode}: {what}; all {word} "
            f"{self.all_before_min:.1f} -> {self.all_after_min:.1f} min; "
            f"{self.newly_beyond:,.0f} {word} newly beyond {self.threshold_min:g} min."
        ]
        if self.worst:
            worst = "; ".join(
                f"{name or code} +{change:.1f} min ({before:.1f} -> {after:.1f})"
                for code, name, change, before, after in self.worst
            )
            lines.append(f"  losing most: {worst}")
        return "\n".join(lines)


@dataclass(frozen=True)
class OptimiseOutcome:
    """What :meth:`StudyResult.optimise` found.

    Attributes
    ----------
    best
        The optimum (:class:`~centrereach.optimisation.OptimiseResult`: open centres, value, unit,
        method, whether proven optimal).
    result
        A new :class:`StudyResult` with the optimum added as scenario ``best-keep-<K>`` (so its
        tables, maps and report show it).
    comparison
        One row per scenario: its value, the optimum's, the shortfall and the centres that
        differ (``optimise.csv``).
    objective, mode, keep
        What was optimised, on which mode's matrix, keeping how many centres.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> outcome = synthetic_study(n_side=6, cells=2).run(progress=False).optimise(keep=4)
    >>> outcome.scenario_name, len(outcome.best.open_centres), outcome.best.unit
    ('best-keep-4', 4, 'minutes')
    """

    best: OptimiseResult
    result: StudyResult
    comparison: pd.DataFrame
    objective: str
    mode: str
    keep: int
    threshold_min: float | None = None

    @property
    def scenario_name(self) -> str:
        """The name of the optimum's scenario in :attr:`result` (``best-keep-<K>``)."""
        return f"best-keep-{self.keep}"

    def summary(self) -> str:
        """A short summary a councillor can read, in the study's own weight words.

        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> print(r.optimise(keep=4).summary())  # doctest: +ELLIPSIS
        Best 4 of 6 centres to keep (mean-time, drive): ... min (proven optimal), found by ...
        """
        best, result = self.best, self.result
        unit = "%" if best.unit == "percent" else " min"
        names = result.centre_names()
        lines = [
            f"Best {self.keep} of {len(result.centres)} centres to keep ({self.objective}, "
            f"{self.mode}): {best.value:.2f}{unit}"
            + (" (proven optimal)" if best.optimal else " (not proven optimal)")
            + f", found by {best.method} search in {best.runtime_s:.1f} s.",
            "  it closes: " + ", ".join(names.get(str(c), str(c)) for c in best.closed_centres),
        ]

        def named(ids: object) -> str:
            return ", ".join(names.get(c, c) for c in str(ids).split())

        word = weight_words(result.weight)
        best_h = result.headline(self.scenario_name, self.mode)
        for row in self.comparison.itertuples():
            if row.scenario == self.scenario_name or row.open_centres != self.keep:
                continue
            h = result.headline(str(row.scenario), self.mode)
            if h.most_deprived_decile is not None:
                lines.append(
                    f"{row.label}: {word} in the most deprived areas (IMD decile "
                    f"{h.most_deprived_decile}), mean {h.deprived_after_min:.1f} min; "
                    f"best possible keeping {self.keep}: {best_h.deprived_after_min:.1f} min."
                )
            lines.append(
                f"{row.label}: {row.value:.2f}{unit} against the best {row.best_value:.2f}"
                f"{unit} ({row.shortfall:+.2f}{unit}); "
                + (
                    f"{row.swaps} choice(s) differ: it keeps "
                    f"{named(row.open_here_closed_in_best)}, the best keeps "
                    f"{named(row.closed_here_open_in_best)} instead"
                    if row.swaps
                    else "it keeps the same centres"
                )
            )
        others = int((self.comparison["open_centres"] != self.keep).sum())
        if others:
            lines.append(
                f"({others} scenario(s) keep a different number of centres: see optimise.csv.)"
            )
        return "\n".join(lines)


@dataclass(frozen=True, repr=False, eq=False)
class StudyResult:
    """What a study run produces: tables and labels, frozen.

    Build one with :meth:`centrereach.Study.run`, or from ready matrices with
    :meth:`from_matrices`. Nothing in it changes after it is made; :meth:`with_scenarios` and
    :meth:`optimise` return new results.

    Attributes
    ----------
    table
        One row per area x scenario x mode: minutes to the nearest open centre, that centre,
        the same with every centre open, and the change (see docs/outputs.md).
    summary
        One row per scenario x mode x IMD decile (``group = "decile"``) and one per scenario x
        mode over all areas (``group = "all"``).
    equity
        Concentration index and Gini coefficient per scenario x mode.
    areas
        The areas studied (GeoDataFrame, index ``lsoa_code``): boundaries, deprivation,
        population, origin.
    centres
        The centres (GeoDataFrame, index the centre id).
    matrices
        Per mode, the travel-time matrix (minutes; areas x centres), or, for a study too large
        for one (``[analysis] matrix``), each area's ``k`` nearest centres
        (:class:`~centrereach.traveltime.NearestCentres`): the tables are the same.
    scenarios
        Per name, the :class:`~centrereach.scenarios.Scenario` (baseline first).
    excluded
        Areas left out (not covered by a network), with the reason.
    provenance
        Inputs with checksums, networks, settings and versions (written as ``study.json``).

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> sorted(result.matrices), result.matrices["walk"].shape
    (['cycle', 'drive', 'transit', 'walk'], (4, 6))
    >>> result.scenario("close-two", "walk")["change_min"].ge(0).all()
    np.True_
    """

    name: str
    title: str
    table: pd.DataFrame
    summary: pd.DataFrame
    equity: pd.DataFrame
    areas: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    matrices: Mapping[str, pd.DataFrame | NearestCentres]
    scenarios: Mapping[str, Scenario]
    weight: str = "children"
    thresholds_min: tuple[float, ...] = tuple(float(t) for t in DEFAULT_THRESHOLDS_MIN)
    description: str = ""
    area_description: str = ""
    notes: tuple[str, ...] = ()
    synthetic: bool = False
    status_column: str | None = None
    max_snap_m: float = 1_000.0
    excluded: Mapping[str, str] = field(default_factory=dict)
    all_area_count: int = 0
    origin_snaps: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    centre_snaps: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    optimisation: Mapping[str, Any] | None = None
    comparison: pd.DataFrame | None = None

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_matrices(
        cls,
        matrices: Mapping[str, pd.DataFrame | NearestCentres],
        *,
        centres: gpd.GeoDataFrame,
        areas: gpd.GeoDataFrame,
        scenarios: Sequence[Scenario] | None = None,
        name: str = "study",
        title: str = "",
        weight: str = "children",
        thresholds_min: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
        evaluate: Callable[..., pd.DataFrame] | None = None,
        **labels: Any,
    ) -> StudyResult:
        """Evaluate scenarios on ready travel-time matrices (array work only: fast).

        Parameters
        ----------
        matrices
            Per mode, minutes from each area (rows, ``lsoa_code``) to each centre (columns), or
            each area's ``k`` nearest centres (:meth:`~centrereach.traveltime.Router.nearest_k`).
        centres, areas
            The centres and the areas (index ``lsoa_code``; the weight column, and
            ``imd_decile`` for the deprivation tables).
        scenarios
            The scenarios (default: the baseline alone, every centre open).
        name, title, weight, thresholds_min
            The study's id, title, weight column and thresholds (minutes).
        evaluate
            The function that evaluates the scenarios on one matrix (default
            :func:`~centrereach.scenarios.evaluate_scenarios`; :mod:`centrereach.cluster`
            gives one that shares the areas between the workers of a Dask cluster).
        **labels
            Any other field of :class:`StudyResult` (``description``, ``synthetic``,
            ``excluded``, ``provenance`` ...).

        Examples
        --------
        >>> import geopandas as gpd, pandas as pd
        >>> from shapely.geometry import Point, box
        >>> areas = gpd.GeoDataFrame({"imd_decile": [1, 9], "children": [300, 100]},
        ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700,
        ...     index=pd.Index(["E01000001", "E01000002"], name="lsoa_code"))
        >>> centres = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(2, 0)], crs=27700,
        ...     index=pd.Index(["east", "west"], name="centre_id"))
        >>> matrix = pd.DataFrame({"east": [5.0, 20.0], "west": [25.0, 4.0]}, index=areas.index)
        >>> closing = Scenario("close-west", "Close west", ("east",), ("west",))
        >>> r = StudyResult.from_matrices({"walk": matrix}, centres=centres, areas=areas,
        ...     scenarios=[Scenario(BASELINE, "All open", ("east", "west")), closing])
        >>> r.headline("close-west", "walk").all_after_min
        8.75
        """
        if scenarios is None:
            scenarios = [Scenario(BASELINE, "All centres open", tuple(map(str, centres.index)))]
        thresholds = tuple(float(t) for t in thresholds_min)
        table, summary, equity = _evaluate(
            matrices, scenarios, areas, weight=weight, thresholds_min=thresholds,
            evaluate=evaluate or evaluate_scenarios,
        )  # fmt: skip
        labels.setdefault("all_area_count", len(areas))
        return cls(
            name=name,
            title=title or name,
            table=table,
            summary=summary,
            equity=equity,
            areas=areas,
            centres=centres,
            matrices=dict(matrices),
            scenarios={s.name: s for s in scenarios},
            weight=weight,
            thresholds_min=thresholds,
            **labels,
        )

    def with_scenarios(self, **specs: Mapping[str, Any]) -> StudyResult:
        """A new result with more scenarios, from the matrices already computed (fast).

        Each keyword is a scenario name; its value is a study-file scenario table: exactly one
        of ``close`` (centre ids), ``keep`` (centre ids) or ``where`` (a condition on a column
        of the centres file), and optionally ``label`` and ``description``. A scenario of the
        same name is replaced.

        Examples
        --------
        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> mine = r.with_scenarios(close_dunmore={"close": ["dunmore"], "label": "Close Dunmore"})
        >>> list(mine.scenarios)
        ['baseline', 'close-two', 'close_dunmore']
        >>> h = mine.headline("close_dunmore", "drive")
        >>> h.all_after_min >= h.all_before_min
        True
        """
        added = [scenario_from_spec(name, spec, self.centres) for name, spec in specs.items()]
        return self._with([*self.scenarios.values(), *added])

    def _with(self, scenarios: Sequence[Scenario], **changes: Any) -> StudyResult:
        unique = list({s.name: s for s in scenarios}.values())
        table, summary, equity = _evaluate(
            self.matrices,
            unique,
            self.areas,
            weight=self.weight,
            thresholds_min=self.thresholds_min,
        )
        return dataclasses.replace(
            self,
            table=table,
            summary=summary,
            equity=equity,
            scenarios={s.name: s for s in unique},
            **changes,
        )

    # -- accessors -----------------------------------------------------------------------------

    @property
    def modes(self) -> tuple[str, ...]:
        """The travel modes computed (``drive``, ``walk``, ``transit``, ``cycle``), in order."""
        return tuple(self.matrices)

    @property
    def imd_edition(self) -> int | None:
        """The edition of the English Indices of Deprivation used (2019 or 2025), if known."""
        edition = self.provenance.get("areas", {}).get("imd_edition")
        return int(edition) if isinstance(edition, int) else None

    def _check(self, scenario: str, mode: str | None = None) -> None:
        if scenario not in self.scenarios:
            msg = (
                f"no scenario {scenario!r} in this result; it has {', '.join(self.scenarios)}. "
                "Add one with result.with_scenarios(NAME={'close': [...]})."
            )
            raise UnknownScenarioError(msg)
        if mode is not None and mode not in self.matrices:
            msg = f"no mode {mode!r} in this result; it has {', '.join(self.matrices)}."
            raise UnknownScenarioError(msg)

    def comparisons(self) -> Iterator[tuple[Scenario, str]]:
        """Every (scenario, mode) pair compared with the baseline, in study order.

        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> [(s.label, m) for s, m in r.comparisons()][0]
        ("Close the two 'closing' centres", 'drive')
        """
        for scenario in self.scenarios.values():
            if scenario.name == BASELINE:
                continue
            for mode in self.modes:
                yield scenario, mode

    def centre_names(self) -> dict[str, str]:
        """Centre id -> name (the id where the centres file has no ``name``)."""
        if "name" in self.centres.columns:
            return {str(k): str(v) for k, v in self.centres["name"].items()}
        return {str(k): str(k) for k in self.centres.index}

    def scenario(self, name: str, mode: str) -> gpd.GeoDataFrame:
        """One scenario and mode: a GeoDataFrame of the areas (index ``lsoa_code``).

        Columns: those of :attr:`table` for the scenario and mode, plus ``centre_name`` and
        ``baseline_centre_name``; the geometry is each area's boundary (EPSG:4326).

        Raises
        ------
        centrereach.errors.UnknownScenarioError
            The result has no such scenario or mode (the message lists those it has).

        Examples
        --------
        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> t = r.scenario("close-two", "walk")
        >>> bool(t["centre_name"].str.endswith("Family Centre").all()), t.crs.to_epsg()
        (True, 4326)
        """
        import geopandas as gpd

        self._check(name, mode)
        t = self.table
        rows = t[(t["scenario"] == name) & (t["mode"] == mode)].set_index("lsoa_code")
        names = self.centre_names()
        rows = rows.assign(
            centre_name=[names.get(str(c), str(c)) for c in rows["centre_id"]],
            baseline_centre_name=[names.get(str(c), str(c)) for c in rows["baseline_centre_id"]],
        )
        shapes = self.areas.geometry.to_crs(WGS84).reindex(rows.index)
        return gpd.GeoDataFrame(rows, geometry=shapes.to_numpy(), crs=WGS84)

    def table_gdf(self) -> gpd.GeoDataFrame:
        """:attr:`table` with each area's boundary (GeoDataFrame, EPSG:4326)."""
        import geopandas as gpd

        shapes = self.areas.geometry.to_crs(WGS84).reindex(self.table["lsoa_code"].to_numpy())
        return gpd.GeoDataFrame(self.table.copy(), geometry=shapes.to_numpy(), crs=WGS84)

    def summary_row(self, scenario: str, mode: str, decile: int | None = None) -> pd.Series | None:
        """The summary row of a scenario, mode and IMD decile (``None``: all areas)."""
        s = self.summary
        part = s[(s["scenario"] == scenario) & (s["mode"] == mode)]
        part = (
            part[part["group"] == "all"] if decile is None else part[part["imd_decile"] == decile]
        )
        return part.iloc[0] if len(part) else None

    def deciles(self, scenario: str, mode: str) -> list[int]:
        """The IMD deciles present among the areas of a scenario and mode, ascending."""
        s = self.summary
        part = s[(s["scenario"] == scenario) & (s["mode"] == mode) & (s["group"] == "decile")]
        return sorted(int(d) for d in part["imd_decile"].dropna())

    def centre_table(self, scenario: str, mode: str) -> gpd.GeoDataFrame:
        """The centres in one scenario and mode: open or closing, and whom they serve.

        Returns
        -------
        geopandas.GeoDataFrame
            Index ``centre_id``; columns ``name``, ``kind`` (``open`` or ``closing``),
            ``status`` (the centres file's status column, or ""), ``location_quality``,
            ``location_evidence`` (where the file has it), ``approximate`` (bool),
            ``served_before`` and ``served_after`` (people of the study weight whose nearest
            centre it is with every centre open and in the scenario); point geometry
            (EPSG:4326).

        Examples
        --------
        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> t = r.centre_table("close-two", "drive")
        >>> sorted(set(t["kind"])), bool(t["served_before"].sum() == t["served_after"].sum())
        (['closing', 'open'], True)
        """
        import geopandas as gpd

        rows = self.scenario(scenario, mode)
        weight = rows[self.weight].fillna(0).astype(float)
        before = weight.groupby(rows["baseline_centre_id"].astype(str)).sum()
        after = weight.groupby(rows["centre_id"].astype(str)).sum()
        centres = self.centres
        closed = set(self.scenarios[scenario].closed_centres)
        quality = (
            centres["location_quality"].astype(str)
            if "location_quality" in centres.columns
            else pd.Series("unknown", index=centres.index)
        )
        names = self.centre_names()
        ids = [str(c) for c in centres.index]
        status = self.status_column
        columns: dict[str, Any] = {
            "name": [names[c] for c in ids],
            "kind": ["closing" if c in closed else "open" for c in ids],
            "status": centres[status].astype(str).to_numpy() if status else "",
            "location_quality": quality.to_numpy(),
            "approximate": [q.lower() not in EXACT_QUALITIES for q in quality],
            "served_before": [float(before.get(c, 0.0)) for c in ids],
            "served_after": [float(after.get(c, 0.0)) for c in ids],
        }
        if "location_evidence" in centres.columns:
            columns["location_evidence"] = centres["location_evidence"].fillna("").astype(str)
            columns["location_evidence"] = columns["location_evidence"].to_numpy()
        points = centres.geometry.to_crs(WGS84) if centres.crs is not None else centres.geometry
        return gpd.GeoDataFrame(
            columns,
            geometry=points.to_numpy(),
            crs=WGS84,
            index=pd.Index(ids, name="centre_id"),
        )

    # -- headlines -----------------------------------------------------------------------------

    def headline(self, scenario: str, mode: str) -> Headline:
        """Key figures of one scenario and mode (for the console, the report, a notebook).

        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> h = r.headline("close-two", "walk")
        >>> h.all_after_min >= h.all_before_min, h.threshold_min
        (True, 15.0)
        """
        self._check(scenario, mode)
        deciles = self.deciles(scenario, mode)
        lowest = deciles[0] if deciles else None

        def mean(name: str, decile: int | None) -> float:
            row = self.summary_row(name, mode, decile)
            return float(row["mean_time_min"]) if row is not None else math.nan

        first = self.thresholds_min[0]
        column = f"newly_beyond_{first:g}"
        every = self.summary_row(scenario, mode)
        one = self.summary_row(scenario, mode, 1)
        t = self.table
        rows = t[(t["scenario"] == scenario) & (t["mode"] == mode)]
        losing = rows["change_min"] > 0
        losers = rows[losing].sort_values("change_min", ascending=False).head(3)
        return Headline(
            scenario=scenario,
            mode=mode,
            label=self.scenarios[scenario].label,
            weight=self.weight,
            most_deprived_decile=lowest,
            deprived_before_min=mean(BASELINE, lowest) if lowest else math.nan,
            deprived_after_min=mean(scenario, lowest) if lowest else math.nan,
            decile1_before_min=mean(BASELINE, 1),
            decile1_after_min=mean(scenario, 1),
            all_before_min=mean(BASELINE, None),
            all_after_min=mean(scenario, None),
            threshold_min=first,
            newly_beyond=float(every[column]) if every is not None else math.nan,
            newly_beyond_decile1=float(one[column]) if one is not None else math.nan,
            areas=len(rows),
            areas_losing=int(losing.sum()),
            weight_total=float(rows[self.weight].fillna(0).sum()),
            weight_losing=float(rows.loc[losing, self.weight].sum()),
            worst=tuple(
                (
                    str(r.lsoa_code),
                    str(getattr(r, "lsoa_name", "")),
                    float(r.change_min),
                    float(r.baseline_time_min),
                    float(r.time_min),
                )
                for r in losers.itertuples()
            ),
        )

    def headlines(self) -> list[Headline]:
        """The headline of every scenario and mode compared with the baseline."""
        return [self.headline(s.name, mode) for s, mode in self.comparisons()]

    def console_summary(self) -> str:
        """A short summary a councillor can read (plain words, every number with its unit)."""
        first = self.title + (" (SYNTHETIC DATA - not a real place)" if self.synthetic else "")
        covered = self.all_area_count - len(self.excluded)
        excluded = (
            f" ({len(self.excluded):,} excluded: outside the road network)" if self.excluded else ""
        )
        lines = [
            first,
            f"{covered:,} of {self.all_area_count:,} areas covered{excluded}; "
            f"{len(self.centres):,} centres.",
        ]
        for mode, why in (self.provenance.get("modes_skipped") or {}).items():
            lines.append(f"Not computed {mode_words(str(mode))} ({mode}): {why}.")
        lines += [h.to_text() for h in self.headlines()]
        return "\n".join(lines)

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"<StudyResult {self.name!r}: {len(self.areas)} areas, {len(self.centres)} centres, "
            f"scenarios {', '.join(self.scenarios)}; modes {', '.join(self.modes)}>"
        )

    def _repr_html_(self) -> str:
        """Jupyter's view: title, coverage, a headline per scenario x mode, the decile table."""
        from centrereach._templates import render

        return render("result.html.j2", view=_ResultView(self))

    # -- maps ----------------------------------------------------------------------------------

    def map_labels(self, scenario: str, mode: str) -> maps.MapLabels:
        """The words a map of one scenario and mode needs (see :func:`maps.impact_map`)."""
        self._check(scenario, mode)
        return maps.MapLabels(
            title=self.title,
            scenario_label=self.scenarios[scenario].label,
            mode=mode,
            weight=self.weight,
            thresholds_min=self.thresholds_min,
            baseline=scenario == BASELINE,
            synthetic=self.synthetic,
            status_column=self.status_column,
            imd_edition=self.imd_edition,
            excluded=len(self.excluded),
        )

    def explore(
        self,
        scenario: str | None = None,
        mode: str | None = None,
        *,
        m: folium.Map | None = None,
        **kwargs: Any,
    ) -> folium.Map:
        """The interactive impact map of one scenario and mode (the geopandas ``explore`` way).

        Parameters
        ----------
        scenario
            Scenario name (default: the first after the baseline, else the baseline).
        mode
            Travel mode (default: the study's first).
        m
            An existing :class:`folium.Map` to draw onto (its layer control is left to you).
        **kwargs
            Passed to :func:`centrereach.maps.impact_map` (``cdn``, ``tiles``,
            ``simplify_m`` ...).

        Examples
        --------
        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> fmap = r.explore("close-two", "walk")
        >>> "Minutes after: Close the two" in fmap.get_root().render()
        True
        """
        if scenario is None:
            scenario = next((s for s in self.scenarios if s != BASELINE), BASELINE)
        mode = mode or self.modes[0]
        labels = self.map_labels(scenario, mode)
        return maps.impact_map(
            self.scenario(scenario, mode),
            self.centre_table(scenario, mode),
            labels=labels,
            m=m,
            **kwargs,
        )

    # -- the best alternative ------------------------------------------------------------------

    def optimise(
        self,
        *,
        keep: int,
        objective: str | Objective = Objective.MEAN_TIME,
        mode: str | None = None,
        threshold_min: float | None = None,
        must_open: Sequence[str] = (),
        must_close: Sequence[str] = (),
        per_district: int = 0,
    ) -> OptimiseOutcome:
        """Find the best ``keep`` centres to keep and compare every scenario with them.

        Parameters
        ----------
        keep
            Number of centres to keep open.
        objective
            ``mean-time``, ``coverage``, ``equity`` or ``minmax-decile`` (see
            :class:`~centrereach.optimisation.Objective`).
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
        OptimiseOutcome
            The optimum, a new result with it added as scenario ``best-keep-<K>``, and the
            comparison table; ``.summary()`` says it in plain words.

        Examples
        --------
        >>> from centrereach.synthetic import synthetic_study
        >>> r = synthetic_study(n_side=6, cells=2).run(progress=False)
        >>> outcome = r.optimise(keep=4)
        >>> outcome.best.optimal, "best-keep-4" in outcome.result.scenarios
        (True, True)
        """
        objective = Objective(objective).value
        mode = mode or self.modes[0]
        self._check(BASELINE, mode)
        matrix = self.matrices[mode]
        if isinstance(matrix, NearestCentres):
            msg = (
                f"the optimiser needs every area's time to every centre, and this result holds "
                f"each area's {matrix.k} nearest {mode} centres only (the study routed "
                f"{len(matrix.origins):,} areas x {len(matrix.centres):,} centres without the "
                'full matrix). Run the study with [analysis] matrix = "full" in the study file '
                '(Study(..., matrix="full") in Python).'
            )
            raise StudyFileError(msg)
        shapes = self.areas.reindex(matrix.index)
        weights = shapes[self.weight].fillna(0).astype(float)
        deciles = shapes.get("imd_decile")
        groups = self.centres["district"] if per_district and "district" in self.centres else None
        if objective == Objective.COVERAGE and threshold_min is None:
            threshold_min = self.thresholds_min[0]
        best = find_best(
            matrix,
            weights,
            keep=keep,
            objective=objective,
            threshold_min=threshold_min if objective == Objective.COVERAGE else None,
            deciles=deciles.astype(float) if deciles is not None else None,
            must_open=must_open,
            must_close=must_close,
            groups=groups,
            min_per_group=per_district,
        )
        name = f"best-keep-{keep}"
        scenario = Scenario(
            name,
            f"Best {keep} to keep ({objective}, {mode})",
            tuple(str(c) for c in best.open_centres),
            tuple(str(c) for c in best.closed_centres),
            description=f"The {keep} centres that optimise {objective} on the {mode} matrix.",
        )
        comparison = _comparison(self.scenarios.values(), best, scenario, objective, mode)
        info = {
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
        }
        others = [s for s in self.scenarios.values() if s.name != name]
        extended = self._with(
            [*others, scenario],
            optimisation=info,
            comparison=comparison,
            provenance={**self.provenance, "optimise": info},
        )
        return OptimiseOutcome(
            best=best,
            result=extended,
            comparison=comparison,
            objective=objective,
            mode=mode,
            keep=keep,
            threshold_min=threshold_min,
        )


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _evaluate(
    matrices: Mapping[str, pd.DataFrame | NearestCentres],
    scenarios: Sequence[Scenario],
    areas: pd.DataFrame,
    *,
    weight: str,
    thresholds_min: Sequence[float],
    evaluate: Callable[..., pd.DataFrame] = evaluate_scenarios,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The long table, the summary and the equity table of scenarios over matrices."""
    carry = [c for c in AREA_COLUMNS if c in areas.columns]
    frames = [
        evaluate(matrix, list(scenarios), mode=mode, areas=areas, columns=carry)
        for mode, matrix in matrices.items()
    ]
    table = pd.concat(frames, ignore_index=True)
    for column in ("population", "children"):
        if column not in table:
            table[column] = np.nan
    summary = summary_table(table, weight=weight, thresholds=thresholds_min)
    equity = equity_table(table, weight=weight)
    return table, summary, equity


def _comparison(
    scenarios: Iterator[Scenario] | Any,
    best: OptimiseResult,
    scenario: Scenario,
    objective: str,
    mode: str,
) -> pd.DataFrame:
    """One row per scenario against the optimum (the ``optimise.csv`` table)."""
    rows = []
    for other in scenarios:
        if other.name == scenario.name:
            continue
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
            "scenario": scenario.name,
            "label": scenario.label,
            "open_centres": scenario.n_open,
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
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class _ResultView:
    """What the notebook view of a result shows, as formatted strings (for the template)."""

    result: StudyResult

    @property
    def title(self) -> str:
        return self.result.title

    @property
    def banner(self) -> str:
        return SYNTHETIC_BANNER if self.result.synthetic else ""

    @property
    def coverage(self) -> str:
        r = self.result
        covered = r.all_area_count - len(r.excluded)
        text = f"{covered:,} of {r.all_area_count:,} areas covered"
        if r.excluded:
            text += f" ({len(r.excluded):,} outside the road network)"
        return (
            f"{text}; {len(r.centres):,} centres; averages weighted by "
            f"{WEIGHT_LONG.get(r.weight, r.weight)}."
        )

    @property
    def headlines(self) -> list[dict[str, str]]:
        word = weight_words(self.result.weight)
        out = []
        for h in self.result.headlines():
            out.append(
                {
                    "scenario": h.label,
                    "mode": mode_words(h.mode),
                    "all": f"{h.all_before_min:.1f} → {h.all_after_min:.1f} min",
                    "deprived": (
                        f"decile {h.most_deprived_decile}: {h.deprived_before_min:.1f} → "
                        f"{h.deprived_after_min:.1f} min"
                        if h.most_deprived_decile is not None
                        else "no data"
                    ),
                    "newly": f"{h.newly_beyond:,.0f} {word} beyond {h.threshold_min:g} min",
                    "losing": (
                        f"{h.areas_losing} of {h.areas} areas ({h.weight_losing:,.0f} {word})"
                    ),
                }
            )
        return out

    @property
    def deciles(self) -> list[dict[str, Any]]:
        """Mean minutes by IMD decile, one table per mode: baseline and each scenario."""
        r = self.result
        tables = []
        for mode in r.modes:
            deciles = r.deciles(BASELINE, mode)
            names = list(r.scenarios)
            header = ["IMD decile", *[r.scenarios[n].label for n in names]]
            rows = []
            for d in [*deciles, None]:
                cells = ["all areas" if d is None else str(d)]
                for n in names:
                    row = r.summary_row(n, mode, d)
                    cells.append("" if row is None else f"{row['mean_time_min']:.1f}")
                rows.append(cells)
            tables.append({"mode": MODE_TITLES.get(mode, mode), "header": header, "rows": rows})
        return tables
