"""Which centres to keep: exact optimisation over a travel-time matrix.

The pure optimisation core (spopt-style: a cost matrix in, an answer out). It knows nothing of
files, networks or maps. Given a travel-time matrix (minutes; rows are areas such as LSOAs,
columns are centre ids), a weight per area (e.g. children aged 0-15) and, for the deprivation-aware
objectives, an IMD decile per area, :func:`optimise` finds the ``keep`` centres that serve families
best under one :class:`Objective`, and :func:`evaluate` scores any given set of open centres (for
example a council's decision) on the same scale.

Two exact methods:

* ``"exhaustive"``: every allowed subset is scored, vectorised with numpy (a meet-in-the-middle
  split of the centres; each subset costs one ``np.minimum`` of an area vector and one dot
  product). Used by ``method="auto"`` when there are at most :data:`EXHAUSTIVE_LIMIT` subsets.
* ``"milp"``: a mixed-integer linear programme solved by HiGHS through
  :func:`scipy.optimize.milp` (p-median, maximal-covering and min-max formulations).

See ``docs/method-optimise.md`` for the formulas.

Examples
--------
>>> import pandas as pd
>>> matrix = pd.DataFrame(
...     [[5.0, 20.0, 30.0], [20.0, 5.0, 30.0], [30.0, 20.0, 5.0]],
...     index=["a1", "a2", "a3"], columns=["c1", "c2", "c3"])
>>> weights = pd.Series([10.0, 10.0, 1.0], index=matrix.index)
>>> result = optimise(matrix, weights, keep=2)
>>> result.open_centres, round(result.value, 3)
(('c1', 'c2'), 5.714)
>>> round(evaluate(matrix, weights, ["c1", "c3"]), 3)
12.143
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from centrereach.errors import (
    CentrereachWarning,
    DataFormatError,
    DuplicateIdError,
    SolverError,
    UnknownCentreError,
    UnreachableWarning,
)

__all__ = [
    "DEFAULT_DECILE_WEIGHTS",
    "EXHAUSTIVE_LIMIT",
    "Comparison",
    "Objective",
    "OptimiseResult",
    "SolverError",
    "count_subsets",
    "evaluate",
    "optimise",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: ``method="auto"`` searches exhaustively when the number of allowed subsets is at most this.
#: On a 2-core machine the exhaustive search scores roughly 1-4 million subsets per second on
#: 500 areas (throughput falls in proportion to the number of areas), so the limit is a few
#: seconds of work; see ``benchmarks/bench_optimise.py``.
EXHAUSTIVE_LIMIT = 5_000_000

#: Default extra weight per IMD decile for :attr:`Objective.EQUITY`: ``(11 - decile) / 5.5``.
#: Decile 1 (most deprived 10% in England) counts 1.82 times, decile 10 counts 0.18 times, and
#: the ten weights average exactly 1, so a population spread evenly over the deciles keeps its
#: total weight.
DEFAULT_DECILE_WEIGHTS: Mapping[int, float] = MappingProxyType(
    {decile: (11 - decile) / 5.5 for decile in range(1, 11)}
)

# Two values closer than this (relative, with a floor of 1 in the value's unit) count as a tie.
_TIE_RTOL = 1e-10
# Memory for the precomputed half of the exhaustive search (bytes) and for one block of scores.
_HALF_BUDGET_BYTES = 64 * 2**20
_BLOCK_ELEMENTS = 2**17
# Tied candidates kept (lexicographically first); more only matter for sub-tolerance spreads.
_POOL_CAP = 256
# HiGHS relative optimality gap; the default (1e-4) is too loose to call a solution optimal.
_MIP_REL_GAP = 1e-9


class Objective(StrEnum):
    """What "hurt families least" means.

    Attributes
    ----------
    MEAN_TIME
        p-median: minimise the weighted mean travel time (minutes) to the nearest open centre.
    COVERAGE
        Maximal covering: maximise the share of weight (percent) whose nearest open centre is
        within ``threshold_min`` minutes.
    EQUITY
        Minimise the weighted mean travel time (minutes) with each area's weight multiplied by a
        weight for its IMD decile (default :data:`DEFAULT_DECILE_WEIGHTS`).
    MINMAX_DECILE
        Minimise the worst IMD decile's weighted mean travel time (minutes).

    Examples
    --------
    >>> Objective("coverage") is Objective.COVERAGE
    True
    >>> Objective.EQUITY.unit
    'minutes'
    >>> [o.value for o in Objective]  # the allowed values, e.g. for a command-line choice
    ['mean-time', 'coverage', 'equity', 'minmax-decile']
    """

    MEAN_TIME = "mean-time"
    COVERAGE = "coverage"
    EQUITY = "equity"
    MINMAX_DECILE = "minmax-decile"

    @property
    def unit(self) -> str:
        """The unit of the objective's value: ``"percent"`` for coverage, else ``"minutes"``."""
        return "percent" if self is Objective.COVERAGE else "minutes"

    @property
    def maximise(self) -> bool:
        """Whether a larger value is better (only for coverage)."""
        return self is Objective.COVERAGE


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """How a given set of open centres compares with the optimum.

    Attributes
    ----------
    value : float
        The given set's objective value (unit ``unit``).
    optimum : float
        The optimum's value (unit ``unit``).
    shortfall : float
        How much worse the given set is, in ``unit``: ``value - optimum`` for the time
        objectives, ``optimum - value`` (percentage points) for coverage; 0 when it is as good.
    relative : float
        ``shortfall / |optimum|`` (a fraction; ``nan`` when the optimum is 0 or not finite).
    unit : str
        ``"minutes"`` or ``"percent"``.
    in_both : tuple
        Centres open in both sets (matrix column order).
    only_given : tuple
        Centres open in the given set but closed in the optimum.
    only_optimum : tuple
        Centres open in the optimum but closed in the given set.

    Examples
    --------
    Made by :meth:`OptimiseResult.compare`: here the council keeps ``c2`` and ``c3``, which
    costs families 3 minutes on average against the best pair.

    >>> m = pd.DataFrame([[2.0, 8.0, 9.0], [9.0, 8.0, 2.0]], index=["a1", "a2"],
    ...                  columns=["c1", "c2", "c3"])
    >>> gap = optimise(m, pd.Series([1.0, 1.0], index=m.index), keep=2).compare(["c2", "c3"])
    >>> gap.value, gap.optimum, gap.shortfall, gap.unit, gap.in_both, gap.only_given, gap.swaps
    (5.0, 2.0, 3.0, 'minutes', ('c3',), ('c2',), 1)
    >>> round(gap.relative, 2)  # 150 % worse than the optimum
    1.5
    """

    value: float
    optimum: float
    shortfall: float
    relative: float
    unit: str
    in_both: tuple[Hashable, ...]
    only_given: tuple[Hashable, ...]
    only_optimum: tuple[Hashable, ...]

    @property
    def swaps(self) -> int:
        """Number of centre swaps (close one, open another) between the two sets."""
        return max(len(self.only_given), len(self.only_optimum))


@dataclass(frozen=True)
class OptimiseResult:
    """The best set of centres to keep open, as found by :func:`optimise`.

    Attributes
    ----------
    open_centres : tuple
        Centre ids kept open, in matrix column order.
    closed_centres : tuple
        Centre ids closed, in matrix column order.
    objective : Objective
        The objective optimised.
    value : float
        The objective value of ``open_centres``, recomputed exactly: minutes (weighted mean, or
        worst decile's weighted mean) for the time objectives, percent of the total weight within
        the threshold for coverage. ``inf`` for a time objective when some area with positive
        weight can reach no open centre.
    unit : str
        ``"minutes"`` or ``"percent"``.
    method : str
        ``"exhaustive"`` or ``"milp"``.
    n_evaluated : int or None
        Number of subsets scored by the exhaustive search (``None`` for the MILP).
    optimal : bool
        True when the answer is proven optimal: always for the exhaustive search; for the MILP,
        when HiGHS reported an optimal status (within a relative gap of 1e-9) in every phase.
    runtime_s : float
        Wall-clock time of the search (seconds), validation included.

    Examples
    --------
    Two areas of 10 and 30 children; keeping one of three centres, the one nearest the larger
    area wins:

    >>> m = pd.DataFrame([[5.0, 15.0, 20.0], [25.0, 10.0, 5.0]], index=["a1", "a2"],
    ...                  columns=["c1", "c2", "c3"])
    >>> best = optimise(m, pd.Series([10.0, 30.0], index=m.index), keep=1)
    >>> best.open_centres, best.closed_centres, best.value, best.unit  # weighted mean, minutes
    (('c3',), ('c1', 'c2'), 8.75, 'minutes')
    >>> best.method, best.optimal, best.n_evaluated, best.keep
    ('exhaustive', True, 3, 1)
    """

    open_centres: tuple[Hashable, ...]
    closed_centres: tuple[Hashable, ...]
    objective: Objective
    value: float
    unit: str
    method: str
    n_evaluated: int | None
    optimal: bool
    runtime_s: float
    _problem: _Problem = field(repr=False, compare=False)

    @property
    def keep(self) -> int:
        """Number of centres kept open."""
        return len(self.open_centres)

    def as_series(self) -> pd.Series:
        """Whether each centre is open: a boolean Series indexed by centre id, named ``"open"``.

        Examples
        --------
        >>> m = pd.DataFrame([[1.0, 2.0]], index=["a"], columns=["x", "y"])
        >>> optimise(m, pd.Series([1.0], index=["a"]), keep=1).as_series().to_dict()
        {'x': True, 'y': False}
        """
        ids = self._problem.centre_ids
        is_open = set(self.open_centres)
        return pd.Series([c in is_open for c in ids], index=pd.Index(ids), name="open", dtype=bool)

    def evaluate(self, open_centres: Iterable[Hashable]) -> float:
        """Score another set of open centres on the same data and objective as this result.

        Parameters
        ----------
        open_centres : iterable of centre ids
            The centres open in the other set (e.g. the council's decision).

        Returns
        -------
        float
            The objective value, in :attr:`unit` (minutes, or percent for coverage).

        Examples
        --------
        >>> m = pd.DataFrame([[1.0, 4.0]], index=["a"], columns=["x", "y"])
        >>> optimise(m, pd.Series([1.0], index=["a"]), keep=1).evaluate(["y"])
        4.0
        """
        positions = _positions(self._problem.centre_ids, open_centres, what="open_centres")
        return _value(self._problem, positions)

    def compare(self, open_centres: Iterable[Hashable]) -> Comparison:
        """Compare another set of open centres (e.g. the council's) with this optimum.

        Parameters
        ----------
        open_centres : iterable of centre ids
            The centres open in the other set.

        Returns
        -------
        Comparison
            Its value, the shortfall against the optimum (in :attr:`unit`) and the centres the
            two sets disagree on.

        Examples
        --------
        >>> m = pd.DataFrame([[1.0, 4.0, 9.0]], index=["a"], columns=["x", "y", "z"])
        >>> c = optimise(m, pd.Series([1.0], index=["a"]), keep=2).compare(["y", "z"])
        >>> c.shortfall, c.only_given, c.only_optimum, c.swaps
        (3.0, ('z',), ('x',), 1)
        """
        ids = self._problem.centre_ids
        positions = _positions(ids, open_centres, what="open_centres")
        value = _value(self._problem, positions)
        if self.objective.maximise:
            shortfall = self.value - value
        else:
            shortfall = value - self.value
        if np.isinf(value) and np.isinf(self.value):
            shortfall = 0.0
        relative = (
            shortfall / abs(self.value)
            if np.isfinite(self.value) and self.value != 0 and np.isfinite(shortfall)
            else float("nan")
        )
        given = {ids[p] for p in positions}
        best = set(self.open_centres)
        return Comparison(
            value=value,
            optimum=self.value,
            shortfall=float(shortfall),
            relative=float(relative),
            unit=self.unit,
            in_both=tuple(c for c in ids if c in given and c in best),
            only_given=tuple(c for c in ids if c in given and c not in best),
            only_optimum=tuple(c for c in ids if c in best and c not in given),
        )


# --------------------------------------------------------------------------------------------
# Validation and the prepared problem
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """Validated arrays for one objective (rows: areas with positive effective weight)."""

    objective: Objective
    centre_ids: tuple[Hashable, ...]
    times: FloatArray  # (m, n) minutes, may hold inf
    weights: FloatArray  # (m,) effective weights (> 0): children, x decile weight for equity
    decile_rows: IntArray | None  # (m,) index into decile_labels (minmax-decile only)
    decile_labels: tuple[int, ...]
    threshold_min: float | None


def _as_objective(objective: Objective | str) -> Objective:
    try:
        return Objective(objective)
    except ValueError:
        choices = ", ".join(repr(o.value) for o in Objective)
        msg = f"unknown objective {objective!r}: choose one of {choices}"
        raise DataFormatError(msg) from None


def _check_matrix(matrix: pd.DataFrame) -> FloatArray:
    if not isinstance(matrix, pd.DataFrame):
        msg = (
            "the travel-time matrix must be a pandas DataFrame (index: areas, columns: centre "
            f"ids, values: minutes), got {type(matrix).__name__}"
        )
        raise DataFormatError(msg)
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        msg = (
            f"the travel-time matrix is empty ({matrix.shape[0]} areas x {matrix.shape[1]} centres)"
        )
        raise DataFormatError(msg)
    for axis, labels in (("centre id (column)", matrix.columns), ("area (index)", matrix.index)):
        dup = labels[labels.duplicated()]
        if len(dup):
            msg = f"the travel-time matrix has a duplicated {axis}: {list(dup.unique()[:5])}"
            raise DuplicateIdError(msg)
    try:
        values: FloatArray = matrix.to_numpy(dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        msg = f"the travel-time matrix must hold numbers (minutes): {exc}"
        raise DataFormatError(msg) from None
    bad = np.isnan(values) | (values < 0)
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        msg = (
            f"the travel-time matrix holds {int(bad.sum())} missing or negative times, e.g. area "
            f"{matrix.index[r]!r}, centre {matrix.columns[c]!r}: {values[r, c]}; use inf (not "
            "NaN) for an area that cannot reach a centre"
        )
        raise DataFormatError(msg)
    return values


def _aligned_array(series: pd.Series, index: pd.Index, what: str) -> FloatArray:
    """A per-area Series (weights, deciles) as float64 values in the order of ``index``.

    The Series may come in any order; it must hold every area of ``index`` once and nothing
    else. Missing values become NaN, for the caller's range check to report.
    """
    if not isinstance(series, pd.Series):
        msg = f"{what} must be a pandas Series indexed like the matrix, got {type(series).__name__}"
        raise DataFormatError(msg)
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()]
        msg = f"{what} has duplicated areas in its index: {list(dup.unique()[:5])}"
        raise DuplicateIdError(msg)
    if not series.index.equals(index):
        missing = index.difference(series.index)
        extra = series.index.difference(index)
        if len(missing) or len(extra):
            msg = (
                f"{what} is not aligned with the matrix index: {len(missing)} areas of the matrix "
                f"are missing (e.g. {list(missing[:3])}) and {len(extra)} are not in the matrix "
                f"(e.g. {list(extra[:3])})"
            )
            raise DataFormatError(msg)
        series = series.reindex(index)
    try:
        values: FloatArray = series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        msg = f"{what} must be numbers, one per area: {exc}"
        raise DataFormatError(msg) from None
    return values


def _first_bad(values: FloatArray, bad: BoolArray, index: pd.Index, what: str) -> None:
    """Raise naming how many of ``values`` are ``bad`` and the first such area, if any."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{what}: {int(bad.sum())} are not, e.g. area {index[i]!r}: {values[i]}"
        raise DataFormatError(msg)


def _check_weights(weights: pd.Series, index: pd.Index) -> FloatArray:
    values = _aligned_array(weights, index, "weights")
    bad = ~np.isfinite(values) | (values < 0)
    _first_bad(values, bad, index, "weights must be finite and non-negative")
    if values.sum() <= 0:
        msg = "the weights sum to 0: there is nobody to serve"
        raise DataFormatError(msg)
    return values


def _check_deciles(deciles: pd.Series | None, index: pd.Index, objective: Objective) -> IntArray:
    if deciles is None:
        msg = f"objective {objective.value!r} needs deciles: the IMD decile (1-10) of every area"
        raise DataFormatError(msg)
    values = _aligned_array(deciles, index, "deciles")
    bad = ~np.isin(values, np.arange(1, 11))
    _first_bad(values, bad, index, "deciles must be integers 1 (most deprived) to 10")
    return values.astype(np.intp)


def _validated_problem(
    matrix: pd.DataFrame,
    weights: pd.Series,
    objective: Objective | str,
    threshold_min: float | None,
    deciles: pd.Series | None,
    decile_weights: Mapping[int, float] | None,
) -> _Problem:
    """Check the matrix, weights, deciles and options; return the arrays the searches use."""
    obj = _as_objective(objective)
    times = _check_matrix(matrix)
    w = _check_weights(weights, matrix.index)
    if obj is Objective.COVERAGE:
        if threshold_min is None or not np.isfinite(threshold_min) or threshold_min < 0:
            msg = (
                "objective 'coverage' needs a finite threshold_min >= 0 (minutes), "
                f"got {threshold_min!r}"
            )
            raise DataFormatError(msg)
    elif threshold_min is not None:
        msg = f"threshold_min applies only to objective 'coverage', not {obj.value!r}"
        raise DataFormatError(msg)
    if decile_weights is not None and obj is not Objective.EQUITY:
        msg = f"decile_weights applies only to objective 'equity', not {obj.value!r}"
        raise DataFormatError(msg)
    decile_rows: IntArray | None = None
    labels: tuple[int, ...] = ()
    if obj in (Objective.EQUITY, Objective.MINMAX_DECILE):
        dec = _check_deciles(deciles, matrix.index, obj)
        if obj is Objective.EQUITY:
            table = dict(DEFAULT_DECILE_WEIGHTS if decile_weights is None else decile_weights)
            missing = sorted(set(dec[w > 0].tolist()) - set(table))
            bad = [k for k, v in table.items() if not (np.isfinite(v) and v >= 0)]
            if missing or bad:
                msg = (
                    "decile_weights must give a finite weight >= 0 to every decile present; "
                    f"missing: {missing}, invalid: {bad}"
                )
                raise DataFormatError(msg)
            w = w * np.array([table.get(int(d), 0.0) for d in dec], dtype=np.float64)
            if w.sum() <= 0:
                msg = "the weights times the decile weights sum to 0: there is nobody to serve"
                raise DataFormatError(msg)
        else:
            keep_rows = w > 0
            labels = tuple(sorted(set(dec[keep_rows].tolist())))
            lookup = {d: k for k, d in enumerate(labels)}
            decile_rows = np.array([lookup.get(int(d), -1) for d in dec], dtype=np.intp)
    rows = w > 0  # areas nobody lives in cannot change the answer (and 0 x inf is undefined)
    return _Problem(
        objective=obj,
        centre_ids=tuple(matrix.columns),
        times=np.ascontiguousarray(times[rows]),
        weights=w[rows],
        decile_rows=None if decile_rows is None else decile_rows[rows],
        decile_labels=labels,
        threshold_min=None if threshold_min is None else float(threshold_min),
    )


def _positions(ids: tuple[Hashable, ...], chosen: Iterable[Hashable], *, what: str) -> IntArray:
    if isinstance(chosen, str):
        chosen = [chosen]
    lookup = {c: j for j, c in enumerate(ids)}
    chosen = list(chosen)
    unknown = [c for c in chosen if c not in lookup]
    if unknown:
        msg = (
            f"{what} names {len(unknown)} centre ids that are not columns of the matrix: "
            f"{unknown[:5]} (the matrix has e.g. {list(ids[:5])})"
        )
        raise UnknownCentreError(msg)
    return np.array(sorted({lookup[c] for c in chosen}), dtype=np.intp)


# --------------------------------------------------------------------------------------------
# Exact values
# --------------------------------------------------------------------------------------------


def _nearest(problem: _Problem, open_pos: IntArray) -> FloatArray:
    if len(open_pos) == 0:
        return np.full(len(problem.weights), np.inf)
    return np.asarray(problem.times[:, open_pos].min(axis=1), dtype=np.float64)


def _decile_means(problem: _Problem, d: FloatArray) -> FloatArray:
    assert problem.decile_rows is not None
    k = len(problem.decile_labels)
    sums = np.bincount(problem.decile_rows, weights=problem.weights * d, minlength=k)
    totals = np.bincount(problem.decile_rows, weights=problem.weights, minlength=k)
    return np.asarray(sums / totals, dtype=np.float64)


def _value(problem: _Problem, open_pos: IntArray) -> float:
    """The objective value of one set of open centres (minutes, or percent for coverage)."""
    d = _nearest(problem, open_pos)
    w = problem.weights
    if problem.objective is Objective.COVERAGE:
        assert problem.threshold_min is not None
        return float(100.0 * w[d <= problem.threshold_min].sum() / w.sum())
    if np.isinf(d).any():
        return float("inf")
    if problem.objective is Objective.MINMAX_DECILE:
        return float(_decile_means(problem, d).max())
    return float(w @ d / w.sum())


def _keys(problem: _Problem, open_pos: IntArray) -> tuple[float, ...]:
    """Lexicographic ranking key of one set (smaller is better), as the searches use it."""
    d = _nearest(problem, open_pos)
    w = problem.weights
    if problem.objective is Objective.COVERAGE:
        assert problem.threshold_min is not None
        return (float(w[d > problem.threshold_min].sum() / w.sum()),)
    unreachable = np.isinf(d)
    d = np.where(unreachable, 0.0, d)
    keys: list[float] = [float(w[unreachable].sum() / w.sum())]
    if problem.objective is Objective.MINMAX_DECILE:
        keys += [float(_decile_means(problem, d).max()), float(w @ d / w.sum())]
    else:
        keys.append(float(w @ d / w.sum()))
    return tuple(keys)


def _better(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether key ``a`` beats key ``b`` by more than the tie tolerance."""
    for x, y in zip(a, b, strict=True):
        tol = _TIE_RTOL * max(1.0, abs(y))
        if x < y - tol:
            return True
        if x > y + tol:
            return False
    return False


def evaluate(
    matrix: pd.DataFrame,
    weights: pd.Series,
    open_centres: Iterable[Hashable],
    *,
    objective: Objective | str = Objective.MEAN_TIME,
    threshold_min: float | None = None,
    deciles: pd.Series | None = None,
    decile_weights: Mapping[int, float] | None = None,
) -> float:
    """Score one set of open centres under an objective.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Travel times (minutes): index = areas, columns = centre ids; ``inf`` = unreachable.
    weights : pandas.Series
        Weight per area (e.g. children aged 0-15), indexed like ``matrix``; finite, >= 0.
    open_centres : iterable of centre ids
        The centres open (every other column is closed).
    objective : Objective or str, default "mean-time"
        See :class:`Objective`.
    threshold_min : float, optional
        Coverage threshold (minutes); required for, and only for, ``"coverage"``.
    deciles : pandas.Series, optional
        IMD decile (1 = most deprived .. 10) per area, indexed like ``matrix``; required for
        ``"equity"`` and ``"minmax-decile"``, ignored otherwise.
    decile_weights : mapping of int to float, optional
        Extra weight per decile for ``"equity"`` (default :data:`DEFAULT_DECILE_WEIGHTS`).

    Returns
    -------
    float
        ``"mean-time"``: weighted mean minutes to the nearest open centre. ``"equity"``: the same
        with each weight multiplied by its decile weight (minutes). ``"minmax-decile"``: the
        largest weighted mean minutes over the deciles present. ``"coverage"``: percent of the
        total weight whose nearest open centre is within ``threshold_min`` minutes (inclusive).
        A time objective is ``inf`` when an area with positive weight reaches no open centre.

    Raises
    ------
    UnknownCentreError
        ``open_centres`` names an id that is not a matrix column.
    DataFormatError
        Invalid matrix, weights, deciles or options.

    Examples
    --------
    >>> m = pd.DataFrame([[5.0, 9.0], [12.0, 3.0]], index=["a1", "a2"], columns=["c1", "c2"])
    >>> w = pd.Series([3.0, 1.0], index=m.index)
    >>> evaluate(m, w, ["c1"])
    6.75
    >>> evaluate(m, w, ["c1"], objective="coverage", threshold_min=10)
    75.0
    >>> evaluate(m, w, ["c1"], objective="minmax-decile", deciles=pd.Series([9, 1], index=m.index))
    12.0
    """
    problem = _validated_problem(matrix, weights, objective, threshold_min, deciles, decile_weights)
    return _value(problem, _positions(problem.centre_ids, open_centres, what="open_centres"))


def count_subsets(n_centres: int, keep: int, *, n_must_open: int = 0, n_must_close: int = 0) -> int:
    """Number of sets of open centres an exhaustive search must consider.

    Parameters
    ----------
    n_centres : int
        Number of centres (matrix columns).
    keep : int
        Number to keep open.
    n_must_open, n_must_close : int, default 0
        Centres forced open or closed.

    Returns
    -------
    int
        ``C(n_centres - n_must_open - n_must_close, keep - n_must_open)`` (before any per-district
        constraint removes some).

    Examples
    --------
    >>> count_subsets(22, 12)
    646646
    """
    free = n_centres - n_must_open - n_must_close
    k = keep - n_must_open
    if free < 0 or k < 0 or k > free:
        return 0
    return math.comb(free, k)


# --------------------------------------------------------------------------------------------
# Exhaustive search
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scorer:
    """Turns a block of nearest-time vectors (subsets x areas) into lexicographic keys.

    For min-max, areas are sorted by decile so that each decile's weighted mean is one
    matrix-vector product over a contiguous slice (much faster than a thin matrix product).
    """

    g: FloatArray  # (m,): weight / total weight, or weight / its decile's total (min-max)
    slices: tuple[slice, ...] | None  # min-max: the areas of each decile (after sorting)
    share: FloatArray | None  # min-max: decile total / total weight (tertiary key)
    w_frac: FloatArray  # (m,): weight / total weight
    with_inf: bool

    @property
    def n_keys(self) -> int:
        return (1 if self.slices is None else 2) + int(self.with_inf)

    def __call__(self, d: FloatArray) -> FloatArray:
        cols: list[FloatArray] = []
        if self.with_inf:
            unreachable = np.isinf(d)
            cols.append(unreachable.astype(np.float64) @ self.w_frac)
            d[unreachable] = 0.0
        if self.slices is None:
            cols.append(d @ self.g)
        else:
            assert self.share is not None
            means = np.column_stack([d[:, sl] @ self.g[sl] for sl in self.slices])
            cols.append(means.max(axis=1))
            cols.append(means @ self.share)
        return np.column_stack(cols) if len(cols) > 1 else cols[0][:, None]


def _scorer(problem: _Problem, cost: FloatArray, usable: IntArray) -> tuple[_Scorer, IntArray]:
    """The scorer and the row order it expects the cost matrix in."""
    w = problem.weights
    total = w.sum()
    with_inf = bool(np.isinf(cost[:, usable]).any())
    if problem.objective is Objective.MINMAX_DECILE:
        assert problem.decile_rows is not None
        order = np.argsort(problem.decile_rows, kind="stable")
        dec = problem.decile_rows[order]
        ws = w[order]
        k = len(problem.decile_labels)
        group_totals = np.bincount(dec, weights=ws, minlength=k)
        bounds = np.searchsorted(dec, np.arange(k + 1))
        scorer = _Scorer(
            g=ws / group_totals[dec],
            slices=tuple(slice(int(bounds[i]), int(bounds[i + 1])) for i in range(k)),
            share=group_totals / total,
            w_frac=ws / total,
            with_inf=with_inf,
        )
        return scorer, order
    order = np.arange(len(w))
    return _Scorer(g=w / total, slices=None, share=None, w_frac=w / total, with_inf=with_inf), order


@dataclass
class _Levels:
    combos: IntArray  # (s_count, s) positions into the half's columns
    mins: FloatArray  # (s_count, m) nearest cost over the subset (and the start vector)
    counts: npt.NDArray[np.int64] | None  # (s_count, n_groups) open centres per group


def _subset_levels(
    cost: FloatArray,
    start: FloatArray,
    onehot: npt.NDArray[np.int64] | None,
    sizes: Collection[int],
) -> dict[int, _Levels]:
    """All subsets of ``cost``'s columns of the given sizes, with their running minimum."""
    n = cost.shape[1]
    out: dict[int, _Levels] = {}
    combos = np.zeros((1, 0), dtype=np.intp)
    mins = start[None, :].copy()
    top = max(sizes, default=0)
    for s in range(top + 1):
        if s in sizes:
            counts = None if onehot is None else onehot[combos].sum(axis=1)
            out[s] = _Levels(combos, mins, counts)
        if s == top:
            break
        last = combos[:, -1] if s else np.full(len(combos), -1)
        new_combos, new_mins = [], []
        for c in range(n):
            sel = np.flatnonzero(last < c)
            if len(sel) == 0:
                continue
            new_combos.append(np.column_stack([combos[sel], np.full(len(sel), c)]))
            new_mins.append(np.minimum(mins[sel], cost[:, c]))
        if not new_combos:  # pragma: no cover - sizes never exceed the column count
            break
        combos = np.concatenate(new_combos).astype(np.intp)
        mins = np.concatenate(new_mins)
    return out


class _Pool:
    """The best subsets seen so far (all those tied within the tolerance)."""

    def __init__(self, k_free: int, n_keys: int) -> None:
        self.subsets = np.zeros((0, k_free), dtype=np.intp)
        self.keys = np.zeros((0, n_keys))
        self.best0 = np.inf

    def threshold(self) -> float:
        return (
            self.best0 + _TIE_RTOL * max(1.0, abs(self.best0))
            if np.isfinite(self.best0)
            else np.inf
        )

    def add(self, subsets: IntArray, keys: FloatArray) -> None:
        allk = np.concatenate([self.keys, keys])
        alls = np.concatenate([self.subsets, subsets])
        mask = np.ones(len(allk), dtype=bool)
        for c in range(allk.shape[1]):
            col = allk[:, c]
            best = col[mask].min()
            mask &= col <= best + _TIE_RTOL * max(1.0, abs(best))
        self.keys, self.subsets = allk[mask], alls[mask]
        self.best0 = float(self.keys[:, 0].min())
        if len(self.keys) > _POOL_CAP:  # many exact ties (e.g. coverage): keep the first ones
            first = self._lex_order()[:_POOL_CAP]
            self.keys, self.subsets = self.keys[first], self.subsets[first]

    def _lex_order(self) -> IntArray:
        if self.subsets.shape[1] == 0:
            return np.arange(len(self.subsets))
        return np.asarray(np.lexsort(self.subsets.T[::-1]), dtype=np.intp)

    def first(self) -> IntArray:
        return np.asarray(self.subsets[self._lex_order()[0]], dtype=np.intp)


def _exhaustive(
    problem: _Problem,
    free: IntArray,
    must_open: IntArray,
    k_free: int,
    group_of: IntArray | None,
    need: npt.NDArray[np.int64] | None,
    progress: bool,
) -> tuple[IntArray, int]:
    """Score every allowed subset; return the best (sorted column positions) and the count."""
    if problem.objective is Objective.COVERAGE:
        assert problem.threshold_min is not None
        cost = (problem.times > problem.threshold_min).astype(np.float64)
    else:
        cost = problem.times
    m = cost.shape[0]
    usable = np.concatenate([free, must_open])
    score, order = _scorer(problem, cost, usable)
    cost = cost[order]
    base = cost[:, must_open].min(axis=1) if len(must_open) else np.full(m, np.inf)

    # Meet in the middle: the first h free centres form subsets looped over in Python; the rest
    # form all subsets precomputed (within a memory budget) and scored as one block per loop step.
    n_free = len(free)
    budget_rows = max(1, _HALF_BUDGET_BYTES // (8 * m))
    h = 0
    for h in range(n_free + 1):
        n_right = n_free - h
        top = min(k_free, n_right)
        if sum(math.comb(n_right, s) for s in range(top + 1)) <= budget_rows:
            break
    left, right = free[:h], free[h:]
    a_sizes = range(max(0, k_free - len(right)), min(len(left), k_free) + 1)
    onehot_l = onehot_r = None
    if group_of is not None:
        assert need is not None
        eye = np.eye(len(need), dtype=np.int64)
        onehot_l, onehot_r = eye[group_of[left]], eye[group_of[right]]
    lefts = _subset_levels(cost[:, left], base, onehot_l, set(a_sizes))
    rights = _subset_levels(
        cost[:, right], np.full(m, np.inf), onehot_r, {k_free - a for a in a_sizes}
    )
    logger.debug(
        "exhaustive: %d free centres, keep %d, split %d + %d, %d loop steps",
        n_free,
        k_free,
        len(left),
        len(right),
        sum(len(lefts[a].combos) for a in a_sizes),
    )

    block_rows = max(1, _BLOCK_ELEMENTS // m)
    buffer = np.empty((block_rows, m))
    pool = _Pool(k_free, score.n_keys)
    n_evaluated = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=count_subsets(n_free, k_free), unit="sets", desc="exhaustive search")
    try:
        for a in a_sizes:
            lv, rv = lefts[a], rights[k_free - a]
            for r in range(len(lv.combos)):
                if lv.counts is not None and rv.counts is not None and need is not None:
                    rows = np.flatnonzero(((rv.counts + lv.counts[r]) >= need).all(axis=1))
                    block_source = rv.mins[rows]
                else:
                    rows = np.arange(len(rv.mins))
                    block_source = rv.mins
                for start in range(0, len(rows), block_rows):
                    chunk = block_source[start : start + block_rows]
                    d = np.minimum(lv.mins[r], chunk, out=buffer[: len(chunk)])
                    keys = score(d)
                    n_evaluated += len(chunk)
                    hit = np.flatnonzero(keys[:, 0] <= pool.threshold())
                    if len(hit):
                        idx = rows[start + hit]
                        subsets = np.concatenate(
                            [
                                np.broadcast_to(left[lv.combos[r]], (len(idx), a)),
                                right[rv.combos[idx]],
                            ],
                            axis=1,
                        )
                        pool.add(subsets, keys[hit])
                if bar is not None:
                    bar.update(len(rv.combos))
    finally:
        if bar is not None:
            bar.close()
    return np.sort(np.concatenate([pool.first(), must_open])), n_evaluated


# --------------------------------------------------------------------------------------------
# MILP (HiGHS via scipy.optimize.milp)
# --------------------------------------------------------------------------------------------


@dataclass
class _MilpRun:
    optimal: bool = True
    deadline: float | None = None
    progress: bool = False
    phases: list[str] = field(default_factory=list)

    def solve(
        self,
        c: FloatArray,
        integrality: FloatArray,
        lb: FloatArray,
        ub: FloatArray,
        cons: list[Any],
        phase: str,
    ) -> FloatArray:
        from scipy.optimize import Bounds, milp

        options: dict[str, Any] = {"disp": self.progress, "mip_rel_gap": _MIP_REL_GAP}
        if self.deadline is not None:
            options["time_limit"] = max(1.0, self.deadline - time.perf_counter())
        res = milp(
            c, integrality=integrality, bounds=Bounds(lb, ub), constraints=cons, options=options
        )
        logger.debug(
            "milp %s: status %s (%s), objective %s", phase, res.status, res.message, res.fun
        )
        self.phases.append(phase)
        if res.x is None:
            msg = f"the MILP solver found no solution ({phase}): {res.message}"
            raise SolverError(msg)
        if res.status != 0:
            self.optimal = False
            warnings.warn(
                f"the MILP solver stopped before proving optimality ({phase}): {res.message}; "
                "the answer is the best set found",
                CentrereachWarning,
                stacklevel=4,
            )
        return np.asarray(res.x, dtype=np.float64)


def _milp(
    problem: _Problem,
    allowed: IntArray,
    must_open: IntArray,
    keep: int,
    group_of: IntArray | None,
    need: npt.NDArray[np.int64] | None,
    min_per_group: int,
    time_limit_s: float | None,
    progress: bool,
) -> tuple[IntArray, bool]:
    from scipy import sparse
    from scipy.optimize import LinearConstraint

    run = _MilpRun(
        deadline=None if time_limit_s is None else time.perf_counter() + time_limit_s,
        progress=progress,
    )
    n_j = len(allowed)
    w = problem.weights
    total = w.sum()
    times = problem.times[:, allowed]
    y_lb = np.isin(allowed, must_open).astype(np.float64)
    rows_y: list[Any] = [sparse.csr_array(np.ones((1, n_j)))]
    lo_y, hi_y = [float(keep)], [float(keep)]
    if group_of is not None:
        assert need is not None
        n_groups = len(need) - 1  # the last group holds the centres in no district
        gid = group_of[allowed]
        members = np.flatnonzero(gid < n_groups)
        gm = sparse.csr_array(
            (np.ones(len(members)), (gid[members], members)), shape=(n_groups, n_j)
        )
        rows_y.append(gm)
        lo_y += [float(min_per_group)] * gm.shape[0]
        hi_y += [np.inf] * gm.shape[0]
    a_y = sparse.vstack(rows_y).tocsr()

    def to_open(x: FloatArray) -> IntArray:
        return np.sort(allowed[x[:n_j] > 0.5])

    if problem.objective is Objective.COVERAGE:
        assert problem.threshold_min is not None
        cover = times <= problem.threshold_min
        rows = np.flatnonzero(cover.any(axis=1))
        ii, jj = np.nonzero(cover[rows])
        n_z = len(rows)
        link = sparse.csr_array(
            (
                np.concatenate([np.ones(n_z), -np.ones(len(ii))]),
                (np.concatenate([np.arange(n_z), ii]), np.concatenate([n_j + np.arange(n_z), jj])),
            ),
            shape=(n_z, n_j + n_z),
        )
        a_keep = sparse.hstack([a_y, sparse.csr_array((a_y.shape[0], n_z))])
        cover_cons = [
            LinearConstraint(a_keep, np.array(lo_y), np.array(hi_y)),
            LinearConstraint(link, -np.inf, 0.0),
        ]
        c = np.concatenate([np.zeros(n_j), -w[rows] / total])
        integrality = np.concatenate([np.ones(n_j), np.zeros(n_z)])
        lb = np.concatenate([y_lb, np.zeros(n_z)])
        ub = np.ones(n_j + n_z)
        x = run.solve(c, integrality, lb, ub, cover_cons, "coverage")
        return to_open(x), run.optimal

    # Assignment model: y_j (open), x_ij (area i served by j; only finite pairs), optional u_i
    # (area i unreachable; only for areas that may be), optional t (worst decile mean).
    finite = np.isfinite(times)
    live = np.flatnonzero(finite.any(axis=1))  # areas no allowed centre reaches are always inf
    finite = finite[live]
    ii, jj = np.nonzero(finite)
    tij = times[live][ii, jj]
    wi = w[live]
    n_x, n_a = len(ii), len(live)
    safe = (
        finite[:, np.isin(allowed, must_open)].any(axis=1)
        if len(must_open)
        else np.zeros(n_a, bool)
    )
    risky = np.flatnonzero(~finite.all(axis=1) & ~safe)
    n_u = len(risky)
    minmax = problem.objective is Objective.MINMAX_DECILE
    n_t = 1 if minmax else 0
    ox, ou, ot = n_j, n_j + n_x, n_j + n_x + n_u
    n_var = ot + n_t

    blocks: list[Any] = []
    lo: list[FloatArray] = []
    hi: list[FloatArray] = []
    # keep / district rows
    blocks.append(sparse.hstack([a_y, sparse.csr_array((a_y.shape[0], n_var - n_j))]))
    lo.append(np.array(lo_y))
    hi.append(np.array(hi_y))
    # each area fully assigned (or unreachable)
    assign = sparse.csr_array(
        (
            np.ones(n_x + n_u),
            (
                np.concatenate([ii, risky]),
                np.concatenate([ox + np.arange(n_x), ou + np.arange(n_u)]),
            ),
        ),
        shape=(n_a, n_var),
    )
    blocks.append(assign)
    lo.append(np.ones(n_a))
    hi.append(np.ones(n_a))
    # x_ij <= y_j
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(n_x), -np.ones(n_x)]),
            (np.concatenate([np.arange(n_x)] * 2), np.concatenate([ox + np.arange(n_x), jj])),
        ),
        shape=(n_x, n_var),
    )
    blocks.append(link)
    lo.append(np.full(n_x, -np.inf))
    hi.append(np.zeros(n_x))
    cap_row = None
    if n_u:
        cap_row = sum(a.shape[0] for a in blocks)
        blocks.append(
            sparse.csr_array(
                (wi[risky] / total, (np.zeros(n_u, dtype=np.intp), ou + np.arange(n_u))),
                shape=(1, n_var),
            )
        )
        lo.append(np.array([-np.inf]))
        hi.append(np.array([np.inf]))
    if minmax:
        assert problem.decile_rows is not None
        dec = problem.decile_rows[live]
        k = len(problem.decile_labels)
        group_total = np.bincount(problem.decile_rows, weights=w, minlength=k)
        blocks.append(
            sparse.csr_array(
                (
                    np.concatenate([wi[ii] * tij / group_total[dec[ii]], -np.ones(k)]),
                    (
                        np.concatenate([dec[ii], np.arange(k)]),
                        np.concatenate([ox + np.arange(n_x), np.full(k, ot)]),
                    ),
                ),
                shape=(k, n_var),
            )
        )
        lo.append(np.full(k, -np.inf))
        hi.append(np.zeros(k))
    a_all = sparse.vstack(blocks).tocsr()
    lo_all, hi_all = np.concatenate(lo), np.concatenate(hi)
    integrality = np.concatenate([np.ones(n_j), np.zeros(n_var - n_j)])
    lb = np.concatenate([y_lb, np.zeros(n_var - n_j)])
    ub = np.concatenate([np.ones(n_j + n_x + n_u), np.full(n_t, np.inf)])
    mean_cost = np.zeros(n_var)
    mean_cost[ox : ox + n_x] = wi[ii] * tij / total

    def cons() -> list[Any]:
        return [LinearConstraint(a_all, lo_all, hi_all)]

    best: IntArray | None = None
    if n_u:
        assert cap_row is not None
        c = np.zeros(n_var)
        c[ou:ot] = wi[risky] / total
        x = run.solve(c, integrality, lb, ub, cons(), "fewest unreachable")
        best = to_open(x)
        # The exact weight this set leaves unreachable (not the solver's, which has tolerances).
        reached = finite[risky][:, np.isin(allowed, best)].any(axis=1)
        unreachable = float(wi[risky][~reached].sum() / total)
        hi_all[cap_row] = unreachable * (1 + 1e-9) + 1e-12
    if minmax:
        c = np.zeros(n_var)
        c[ot] = 1.0
        x = run.solve(c, integrality, lb, ub, cons(), "worst decile")
        best = _keep_better(problem, best, to_open(x))
        ub[ot] = x[ot] + 1e-7 * max(1.0, abs(x[ot]))
        x = run.solve(mean_cost, integrality, lb, ub, cons(), "mean among worst-decile optima")
    else:
        x = run.solve(mean_cost, integrality, lb, ub, cons(), "mean time")
    best = _keep_better(problem, best, to_open(x))
    return best, run.optimal


def _keep_better(problem: _Problem, incumbent: IntArray | None, candidate: IntArray) -> IntArray:
    """The better of two sets by the exact lexicographic key (guards solver tolerances)."""
    if incumbent is None or _better(_keys(problem, candidate), _keys(problem, incumbent)):
        return candidate
    return incumbent


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


def optimise(
    matrix: pd.DataFrame,
    weights: pd.Series,
    *,
    keep: int,
    objective: Objective | str = Objective.MEAN_TIME,
    threshold_min: float | None = None,
    deciles: pd.Series | None = None,
    decile_weights: Mapping[int, float] | None = None,
    must_open: Iterable[Hashable] = (),
    must_close: Iterable[Hashable] = (),
    groups: Mapping[Hashable, Hashable] | pd.Series | None = None,
    min_per_group: int = 0,
    method: Literal["auto", "exhaustive", "milp"] = "auto",
    time_limit_s: float | None = None,
    progress: bool = False,
) -> OptimiseResult:
    """Choose which ``keep`` centres to keep open so that families are served best.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Travel times (minutes): index = areas (e.g. LSOAs), columns = centre ids. ``inf`` means
        the area cannot reach that centre; NaN and negative times are errors.
    weights : pandas.Series
        Weight per area (e.g. children aged 0-15), indexed like ``matrix`` (any order); finite and
        >= 0. Areas of weight 0 do not affect the answer.
    keep : int
        Number of centres to keep open (1 <= keep <= number of columns).
    objective : Objective or str, default "mean-time"
        ``"mean-time"``, ``"coverage"``, ``"equity"`` or ``"minmax-decile"``; see
        :class:`Objective`.
    threshold_min : float, optional
        Coverage threshold (minutes, inclusive); required for, and only for, ``"coverage"``.
    deciles : pandas.Series, optional
        IMD decile per area (1 = most deprived 10% in England .. 10), indexed like ``matrix``;
        required for ``"equity"`` and ``"minmax-decile"``, ignored otherwise.
    decile_weights : mapping of int to float, optional
        Extra weight per decile for ``"equity"``; default :data:`DEFAULT_DECILE_WEIGHTS`,
        ``(11 - decile) / 5.5``.
    must_open, must_close : iterable of centre ids, default ()
        Centres that must stay open / must close.
    groups : mapping or pandas.Series, optional
        Centre id -> district (any hashable label). Centres not listed belong to no district.
    min_per_group : int, default 0
        At least this many centres stay open in every district named in ``groups``.
    method : {"auto", "exhaustive", "milp"}, default "auto"
        ``"auto"`` searches exhaustively when :func:`count_subsets` is at most
        :data:`EXHAUSTIVE_LIMIT`, else solves the MILP.
    time_limit_s : float, optional
        Wall-clock limit (seconds) for the MILP over all its phases (HiGHS ``time_limit``); when
        it is reached the best set found is returned with ``optimal=False`` and a
        ``CentrereachWarning`` (each solver phase gets at least 1 s). Ignored by the exhaustive
        search. Default: no limit.
    progress : bool, default False
        Show a tqdm progress bar (exhaustive) or the HiGHS log (MILP).

    Returns
    -------
    OptimiseResult
        The open and closed centres (matrix column order), the objective value (minutes, or
        percent for coverage), the method and whether the answer is proven optimal.

    Raises
    ------
    DataFormatError
        Invalid matrix, weights, deciles, ``keep``, options, or constraints that no set satisfies.
    DuplicateIdError
        Duplicated centre ids or areas.
    UnknownCentreError
        ``must_open``, ``must_close`` or ``groups`` names an id that is not a matrix column.
    SolverError
        The MILP stopped (e.g. at ``time_limit_s``) without any feasible set.

    Warns
    -----
    UnreachableWarning
        When even the best set leaves some weighted area unable to reach any open centre (the
        time objectives' value is then ``inf``; the set returned leaves the least weight
        unreachable).

    Notes
    -----
    Ties: among sets whose ranking keys agree to a relative 1e-10, the exhaustive search returns
    the lexicographically first in matrix column order (the one holding the earliest column where
    the sets differ). For ``"minmax-decile"`` ties on the worst decile are first broken by the
    overall weighted mean. The MILP returns an optimal set, not necessarily the same one among
    ties. See ``docs/method-optimise.md``.

    Examples
    --------
    >>> m = pd.DataFrame(
    ...     [[5.0, 20.0, 30.0], [20.0, 5.0, 30.0], [30.0, 20.0, 5.0]],
    ...     index=["a1", "a2", "a3"], columns=["c1", "c2", "c3"])
    >>> w = pd.Series([10.0, 10.0, 1.0], index=m.index)
    >>> r = optimise(m, w, keep=2, must_open=["c3"])
    >>> r.open_centres, r.closed_centres, round(r.value, 3), r.method, r.optimal
    (('c1', 'c3'), ('c2',), 12.143, 'exhaustive', True)
    >>> r = optimise(m, w, keep=1, objective="coverage", threshold_min=20, method="milp")
    >>> r.open_centres, round(r.value, 2), r.unit
    (('c2',), 100.0, 'percent')
    """
    started = time.perf_counter()
    problem = _validated_problem(matrix, weights, objective, threshold_min, deciles, decile_weights)
    ids = problem.centre_ids
    n = len(ids)
    if method not in ("auto", "exhaustive", "milp"):
        msg = f"unknown method {method!r}: choose 'auto', 'exhaustive' or 'milp'"
        raise DataFormatError(msg)
    if isinstance(keep, bool) or not isinstance(keep, int | np.integer):
        msg = f"keep must be a whole number of centres, got {keep!r}"
        raise DataFormatError(msg)
    keep = int(keep)
    opened = _positions(ids, must_open, what="must_open")
    closed = _positions(ids, must_close, what="must_close")
    both = np.intersect1d(opened, closed)
    if len(both):
        msg = f"centres are both in must_open and must_close: {[ids[j] for j in both]}"
        raise DataFormatError(msg)
    n_allowed = n - len(closed)
    if not 1 <= keep <= n_allowed:
        msg = (
            f"keep={keep} is impossible: the matrix has {n} centres and {len(closed)} must close, "
            f"so keep must be between 1 and {n_allowed}"
        )
        raise DataFormatError(msg)
    if keep < len(opened):
        msg = f"keep={keep} is smaller than the {len(opened)} centres in must_open"
        raise DataFormatError(msg)
    group_of, need = _groups(ids, groups, min_per_group, opened, closed, keep)
    allowed = np.setdiff1d(np.arange(n), closed)
    free = np.setdiff1d(allowed, opened)
    k_free = keep - len(opened)
    n_subsets = math.comb(len(free), k_free)
    chosen_method = method
    if method == "auto":
        chosen_method = "exhaustive" if n_subsets <= EXHAUSTIVE_LIMIT else "milp"
    logger.info(
        "optimise %s: keep %d of %d centres (%d sets), method %s",
        problem.objective.value,
        keep,
        n,
        n_subsets,
        chosen_method,
    )
    n_evaluated: int | None = None
    if chosen_method == "exhaustive":
        best, n_evaluated = _exhaustive(problem, free, opened, k_free, group_of, need, progress)
        optimal = True
    else:
        best, optimal = _milp(
            problem, allowed, opened, keep, group_of, need, min_per_group, time_limit_s, progress
        )
    value = _value(problem, best)
    if problem.objective is not Objective.COVERAGE and not np.isfinite(value):
        n_out = int(np.isinf(_nearest(problem, best)).sum())
        warnings.warn(
            f"the best set leaves {n_out} areas with positive weight unable to reach any open "
            "centre; its value is inf (it leaves the least weight unreachable)",
            UnreachableWarning,
            stacklevel=2,
        )
    is_open = set(best.tolist())
    return OptimiseResult(
        open_centres=tuple(ids[j] for j in range(n) if j in is_open),
        closed_centres=tuple(ids[j] for j in range(n) if j not in is_open),
        objective=problem.objective,
        value=value,
        unit=problem.objective.unit,
        method=str(chosen_method),
        n_evaluated=n_evaluated,
        optimal=optimal,
        runtime_s=time.perf_counter() - started,
        _problem=problem,
    )


def _groups(
    ids: tuple[Hashable, ...],
    groups: Mapping[Hashable, Hashable] | pd.Series | None,
    min_per_group: int,
    opened: IntArray,
    closed: IntArray,
    keep: int,
) -> tuple[IntArray | None, npt.NDArray[np.int64] | None]:
    """Validate the district constraint; return each column's district index and the need."""
    if (
        isinstance(min_per_group, bool)
        or not isinstance(min_per_group, int | np.integer)
        or min_per_group < 0
    ):
        msg = f"min_per_group must be a whole number >= 0, got {min_per_group!r}"
        raise DataFormatError(msg)
    if groups is None:
        if min_per_group > 0:
            msg = "min_per_group > 0 needs groups: a mapping of centre id to district"
            raise DataFormatError(msg)
        return None, None
    mapping = dict(groups.items()) if isinstance(groups, pd.Series) else dict(groups)
    _positions(ids, mapping, what="groups")
    if min_per_group == 0:
        return None, None
    labels = list(dict.fromkeys(mapping.values()))
    lookup = {g: k for k, g in enumerate(labels)}
    group_of = np.array([lookup[mapping[c]] if c in mapping else -1 for c in ids], dtype=np.intp)
    n_groups = len(labels)
    available = np.bincount(
        group_of[np.setdiff1d(np.flatnonzero(group_of >= 0), closed)], minlength=n_groups
    )
    short = [labels[k] for k in range(n_groups) if available[k] < min_per_group]
    if short:
        msg = (
            f"min_per_group={min_per_group} cannot be met: districts {short[:5]} have fewer "
            "centres that are not in must_close"
        )
        raise DataFormatError(msg)
    forced = np.bincount(group_of[opened][group_of[opened] >= 0], minlength=n_groups)
    need = np.maximum(0, min_per_group - forced).astype(np.int64)
    if need.sum() > keep - len(opened):
        msg = (
            f"min_per_group={min_per_group} in {n_groups} districts needs "
            f"{int(need.sum()) + len(opened)} open centres (counting must_open), more than "
            f"keep={keep}"
        )
        raise DataFormatError(msg)
    # Centres outside every district go to a dummy group whose need is 0.
    group_of = np.where(group_of >= 0, group_of, n_groups)
    return group_of, np.append(need, 0)
