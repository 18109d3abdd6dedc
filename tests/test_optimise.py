"""Tests of centrereach.optimisation: exactness against a plain brute force, MILP against
exhaustive, constraints, ties, inf handling and invalid inputs."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrereach import optimisation as opt
from centrereach.errors import (
    CentrereachError,
    CentrereachWarning,
    DataFormatError,
    DuplicateIdError,
    UnknownCentreError,
    UnreachableWarning,
)
from centrereach.optimisation import (
    DEFAULT_DECILE_WEIGHTS,
    Objective,
    count_subsets,
    evaluate,
    optimise,
)

OBJECTIVES = ["mean-time", "coverage", "equity", "minmax-decile"]
THRESHOLD = 12.0


# ---------------------------------------------------------------------------------------------
# Problem generator and a brute force written plainly
# ---------------------------------------------------------------------------------------------


def make_problem(
    seed: int, n_areas: int = 30, n_centres: int = 8, inf_share: float = 0.0
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Road-like random times: points on a plane, minutes = 2 + distance-based drive."""
    rng = np.random.default_rng(seed)
    areas = rng.uniform(0, 20, (n_areas, 2))
    centres = rng.uniform(0, 20, (n_centres, 2))
    dist = np.sqrt(((areas[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    times = 2 + dist * rng.uniform(1.2, 1.6, dist.shape)
    if inf_share:
        times[rng.random(times.shape) < inf_share] = np.inf
    matrix = pd.DataFrame(
        times,
        index=[f"E0{i:04d}" for i in range(n_areas)],
        columns=[f"C{j:02d}" for j in range(n_centres)],
    )
    weights = pd.Series(rng.integers(0, 60, n_areas).astype(float), index=matrix.index)
    deciles = pd.Series(rng.integers(1, 11, n_areas), index=matrix.index)
    return matrix, weights, deciles


def kwargs_for(objective: str, deciles: pd.Series) -> dict[str, object]:
    if objective == "coverage":
        return {"threshold_min": THRESHOLD}
    if objective in ("equity", "minmax-decile"):
        return {"deciles": deciles}
    return {}


def brute_key(times, weights, deciles, objective, combo):
    """(ranking key, value) of one set, by plain Python loops."""
    n_areas = len(times)
    nearest = []
    for i in range(n_areas):
        best = math.inf
        for j in combo:
            best = min(best, times[i][j])
        nearest.append(best)
    if objective == "coverage":
        total = sum(weights)
        covered = sum(w for w, d in zip(weights, nearest, strict=True) if d <= THRESHOLD)
        return ((total - covered) / total,), 100 * covered / total
    if objective == "equity":
        weights = [w * DEFAULT_DECILE_WEIGHTS[d] for w, d in zip(weights, deciles, strict=True)]
    rows = [i for i in range(n_areas) if weights[i] > 0]
    total = sum(weights[i] for i in rows)
    unreachable = sum(weights[i] for i in rows if nearest[i] == math.inf) / total
    finite_sum = sum(weights[i] * nearest[i] for i in rows if nearest[i] < math.inf)
    if objective in ("mean-time", "equity"):
        value = math.inf if unreachable > 0 else finite_sum / total
        return (unreachable, finite_sum / total), value
    # minmax-decile
    worst = 0.0
    for dec in sorted({deciles[i] for i in rows}):
        members = [i for i in rows if deciles[i] == dec]
        dec_total = sum(weights[i] for i in members)
        dec_sum = sum(weights[i] * nearest[i] for i in members if nearest[i] < math.inf)
        worst = max(worst, dec_sum / dec_total)
    value = math.inf if unreachable > 0 else worst
    return (unreachable, worst, finite_sum / total), value


def brute_better(a, b):
    for x, y in zip(a, b, strict=True):
        tol = 1e-10 * max(1.0, abs(y))
        if x < y - tol:
            return True
        if x > y + tol:
            return False
    return False


def brute_force(
    matrix,
    weights,
    deciles,
    objective,
    keep,
    must_open=(),
    must_close=(),
    groups=None,
    min_per_group=0,
):
    """The lexicographically first best set (combinations yield sets in that order)."""
    ids = list(matrix.columns)
    times = matrix.to_numpy().tolist()
    w = weights.tolist()
    dec = deciles.tolist()
    best = None
    for combo in itertools.combinations(range(len(ids)), keep):
        names = {ids[j] for j in combo}
        if not set(must_open) <= names or names & set(must_close):
            continue
        if groups is not None:
            counts: dict[object, int] = {}
            for c in names:
                if c in groups:
                    counts[groups[c]] = counts.get(groups[c], 0) + 1
            if any(counts.get(g, 0) < min_per_group for g in set(groups.values())):
                continue
        key, value = brute_key(times, w, dec, objective, combo)
        if best is None or brute_better(key, best[0]):
            best = (key, value, tuple(ids[j] for j in combo))
    assert best is not None
    return best[2], best[1]


def same_value(a: float, b: float, tol: float = 1e-9) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(b))


# ---------------------------------------------------------------------------------------------
# Exactness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_exhaustive_equals_brute_force(objective: str) -> None:
    for seed in range(12):
        inf_share = 0.25 if seed % 3 == 2 else 0.0
        matrix, weights, deciles = make_problem(seed, inf_share=inf_share)
        keep = 3 + seed % 3
        kw = kwargs_for(objective, deciles)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreachableWarning)
            result = optimise(
                matrix, weights, keep=keep, objective=objective, method="exhaustive", **kw
            )
        expected_set, expected_value = brute_force(matrix, weights, deciles, objective, keep)
        assert result.open_centres == expected_set, (objective, seed)
        assert same_value(result.value, expected_value), (objective, seed)
        assert result.n_evaluated == math.comb(8, keep)
        assert result.optimal and result.method == "exhaustive"


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_exhaustive_split_and_blocks_equal_brute_force(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny memory budgets force the meet-in-the-middle split and many small blocks.
    matrix, weights, deciles = make_problem(101, n_areas=25, n_centres=10, inf_share=0.1)
    kw = kwargs_for(objective, deciles)
    expected = brute_force(matrix, weights, deciles, objective, 4)
    for half_bytes, block in [(8 * 25 * 20, 7), (8 * 25 * 3, 1), (8 * 25 * 200, 50)]:
        monkeypatch.setattr(opt, "_HALF_BUDGET_BYTES", half_bytes)
        monkeypatch.setattr(opt, "_BLOCK_ELEMENTS", block * 25)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreachableWarning)
            result = optimise(
                matrix, weights, keep=4, objective=objective, method="exhaustive", **kw
            )
        assert (result.open_centres, result.n_evaluated) == (expected[0], math.comb(10, 4))
        assert same_value(result.value, expected[1])


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_exhaustive_with_constraints_equals_brute_force(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(opt, "_HALF_BUDGET_BYTES", 8 * 30 * 30)  # exercise the split too
    matrix, weights, deciles = make_problem(7, n_centres=10)
    groups = {f"C{j:02d}": "north" if j < 4 else "south" for j in range(9)}  # C09 in none
    kw = kwargs_for(objective, deciles)
    cases = [
        {"must_open": ["C03"], "must_close": ["C00", "C05"]},
        {"groups": groups, "min_per_group": 2},
        {"must_open": ["C09"], "groups": groups, "min_per_group": 1, "must_close": ["C01"]},
    ]
    for case in cases:
        result = optimise(
            matrix, weights, keep=4, objective=objective, method="exhaustive", **kw, **case
        )
        expected = brute_force(matrix, weights, deciles, objective, 4, **case)
        assert result.open_centres == expected[0], case
        assert same_value(result.value, expected[1])


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_many_exact_ties_with_a_small_pool(objective: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whole-minute times give many tied sets; a pool of 2 must still return the first of them.
    monkeypatch.setattr(opt, "_POOL_CAP", 2)
    monkeypatch.setattr(opt, "_BLOCK_ELEMENTS", 30 * 5)
    for seed in range(4):
        matrix, weights, deciles = make_problem(300 + seed, n_centres=9)
        matrix = (matrix / 4).round(0)
        kw = kwargs_for(objective, deciles)
        result = optimise(matrix, weights, keep=4, objective=objective, **kw)
        assert result.open_centres == brute_force(matrix, weights, deciles, objective, 4)[0]


@given(
    seed=st.integers(0, 10_000),
    n_centres=st.integers(2, 7),
    objective=st.sampled_from(OBJECTIVES),
    data=st.data(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_exhaustive_equals_brute_force_hypothesis(
    seed: int, n_centres: int, objective: str, data: st.DataObject
) -> None:
    keep = data.draw(st.integers(1, n_centres))
    matrix, weights, deciles = make_problem(seed, n_areas=12, n_centres=n_centres, inf_share=0.2)
    matrix = matrix.round(0)  # integer minutes: many exact ties
    kw = kwargs_for(objective, deciles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachableWarning)
        result = optimise(matrix, weights, keep=keep, objective=objective, **kw)
    expected = brute_force(matrix, weights, deciles, objective, keep)
    assert result.open_centres == expected[0]
    assert same_value(result.value, expected[1])


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_milp_equals_exhaustive(objective: str) -> None:
    for seed in range(5):
        matrix, weights, deciles = make_problem(200 + seed, inf_share=0.2 if seed == 4 else 0.0)
        kw = kwargs_for(objective, deciles)
        if seed == 3:
            kw |= {
                "must_open": ["C01"],
                "must_close": ["C02"],
                "groups": {"C00": "a", "C03": "a", "C04": "b", "C05": "b", "C06": "b"},
                "min_per_group": 1,
            }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreachableWarning)
            exact = optimise(
                matrix, weights, keep=4, objective=objective, method="exhaustive", **kw
            )
            milp = optimise(matrix, weights, keep=4, objective=objective, method="milp", **kw)
        assert milp.method == "milp" and milp.optimal and milp.n_evaluated is None
        assert same_value(milp.value, exact.value, tol=1e-6), (objective, seed)
        assert len(milp.open_centres) == 4


def test_milp_recovers_least_unreachable_set() -> None:
    # Only two centres are kept and no pair reaches everybody: the best leaves least weight out.
    inf = np.inf
    matrix = pd.DataFrame(
        [[1.0, inf, inf], [inf, 2.0, inf], [inf, inf, 3.0], [4.0, 4.0, inf]],
        index=list("abcd"),
        columns=["x", "y", "z"],
    )
    weights = pd.Series([5.0, 1.0, 2.0, 1.0], index=matrix.index)
    for method in ("exhaustive", "milp"):
        with pytest.warns(UnreachableWarning):
            result = optimise(matrix, weights, keep=2, method=method)
        assert result.open_centres == ("x", "z")
        assert result.value == np.inf


# ---------------------------------------------------------------------------------------------
# Behaviour on small hand-checked cases
# ---------------------------------------------------------------------------------------------


def test_evaluate_by_hand() -> None:
    m = pd.DataFrame(
        [[5.0, 9.0], [12.0, 3.0], [np.inf, 1.0]], index=["a", "b", "c"], columns=["x", "y"]
    )
    w = pd.Series([3.0, 1.0, 0.0], index=m.index)  # c has weight 0: its inf is ignored
    assert evaluate(m, w, ["x"]) == pytest.approx((3 * 5 + 12) / 4)
    assert evaluate(m, w, ["x", "y"]) == pytest.approx((3 * 5 + 3) / 4)
    assert evaluate(m, w, ["x"], objective="coverage", threshold_min=5.0) == 75.0  # inclusive
    assert evaluate(m, w, ["x"], objective="coverage", threshold_min=4.99) == 0.0
    dec = pd.Series([1, 10, 5], index=m.index)
    expected = (3 * (10 / 5.5) * 5 + 1 * (1 / 5.5) * 12) / (3 * 10 / 5.5 + 1 / 5.5)
    assert evaluate(m, w, ["x"], objective="equity", deciles=dec) == pytest.approx(expected)
    assert evaluate(m, w, ["x"], objective="equity", deciles=dec, decile_weights={1: 1, 10: 1}) == (
        pytest.approx((3 * 5 + 12) / 4)
    )
    assert evaluate(m, w, ["x"], objective=Objective.MINMAX_DECILE, deciles=dec) == 12.0
    w2 = pd.Series([3.0, 1.0, 1.0], index=m.index)
    assert evaluate(m, w2, ["x"]) == np.inf
    assert evaluate(m, w2, ["x"], objective="coverage", threshold_min=60) == 80.0


def test_result_helpers_score_the_council_decision() -> None:
    matrix, weights, _ = make_problem(3)
    best = optimise(matrix, weights, keep=4)
    council = ["C00", "C01", "C02", "C03"]
    comparison = best.compare(council)
    assert comparison.value == pytest.approx(evaluate(matrix, weights, council))
    assert comparison.value == best.evaluate(council)
    assert comparison.shortfall >= 0 and comparison.unit == "minutes"
    assert set(comparison.in_both) | set(comparison.only_given) == set(council)
    assert set(comparison.in_both) | set(comparison.only_optimum) == set(best.open_centres)
    assert comparison.swaps == len(comparison.only_given)
    assert best.compare(best.open_centres).shortfall == 0.0
    series = best.as_series()
    assert (
        series.name == "open" and series.sum() == 4 and list(series.index) == list(matrix.columns)
    )
    assert best.keep == 4 and set(best.closed_centres) == set(matrix.columns) - set(
        best.open_centres
    )
    cov = optimise(matrix, weights, keep=2, objective="coverage", threshold_min=THRESHOLD)
    assert cov.unit == "percent" and 0 <= cov.value <= 100
    assert cov.compare(["C00", "C01"]).shortfall >= 0


def test_open_centres_in_column_order_and_value_matches_evaluate() -> None:
    matrix, weights, deciles = make_problem(11)
    for objective in OBJECTIVES:
        kw = kwargs_for(objective, deciles)
        r = optimise(matrix, weights, keep=3, objective=objective, **kw)
        positions = [list(matrix.columns).index(c) for c in r.open_centres]
        assert positions == sorted(positions)
        assert r.value == evaluate(matrix, weights, r.open_centres, objective=objective, **kw)
        assert r.objective is Objective(objective) and r.runtime_s >= 0


def test_constraints_honoured_by_both_methods() -> None:
    matrix, weights, _ = make_problem(5, n_centres=10)
    groups = pd.Series({f"C{j:02d}": f"district {j % 3}" for j in range(10)})
    for method in ("exhaustive", "milp"):
        r = optimise(
            matrix,
            weights,
            keep=5,
            must_open=["C07", "C08"],
            must_close=["C00", "C03"],
            groups=groups,
            min_per_group=1,
            method=method,
        )
        assert {"C07", "C08"} <= set(r.open_centres)
        assert not {"C00", "C03"} & set(r.open_centres)
        assert set(groups[list(r.open_centres)]) == {"district 0", "district 1", "district 2"}


def test_keep_equal_to_must_open_and_to_all_centres() -> None:
    matrix, weights, _ = make_problem(8, n_centres=5)
    r = optimise(matrix, weights, keep=2, must_open=["C04", "C01"])
    assert r.open_centres == ("C01", "C04") and r.n_evaluated == 1
    r = optimise(matrix, weights, keep=5)
    assert r.closed_centres == ()
    assert count_subsets(22, 12) == 646_646
    assert count_subsets(22, 12, n_must_open=2, n_must_close=1) == math.comb(19, 10)
    assert count_subsets(5, 6) == 0


def test_ties_are_broken_by_column_order_deterministically() -> None:
    matrix, weights, deciles = make_problem(9, n_centres=5)
    matrix["C05"] = matrix["C01"]  # an identical twin of C01, later in column order
    matrix = matrix[["C05", "C00", "C01", "C02", "C03", "C04"]]
    for objective in OBJECTIVES:
        kw = kwargs_for(objective, deciles)
        results = {
            optimise(matrix, weights, keep=3, objective=objective, **kw).open_centres
            for _ in range(3)
        }
        assert len(results) == 1
        (chosen,) = results
        assert "C01" not in chosen or "C05" in chosen  # the first twin in column order wins
    # Every set ties: the first columns are kept.
    flat = pd.DataFrame(7.0, index=matrix.index, columns=matrix.columns)
    assert optimise(flat, weights, keep=2).open_centres == ("C05", "C00")


def test_minmax_ties_broken_by_overall_mean() -> None:
    # Decile 1 (area a) is served equally by x or y; y also serves area b (decile 9) better.
    matrix = pd.DataFrame(
        [[10.0, 10.0, 30.0], [20.0, 5.0, 30.0]], index=["a", "b"], columns=["x", "y", "z"]
    )
    weights = pd.Series([1.0, 1.0], index=matrix.index)
    deciles = pd.Series([1, 9], index=matrix.index)
    for method in ("exhaustive", "milp"):
        r = optimise(
            matrix, weights, keep=1, objective="minmax-decile", deciles=deciles, method=method
        )
        assert r.open_centres == ("y",) and r.value == 10.0


def test_weights_in_another_order_are_aligned() -> None:
    matrix, weights, deciles = make_problem(4)
    a = optimise(matrix, weights, keep=3, objective="equity", deciles=deciles)
    b = optimise(
        matrix,
        weights.iloc[::-1],
        keep=3,
        objective="equity",
        deciles=deciles.sample(frac=1, random_state=1),
    )
    assert a.open_centres == b.open_centres and a.value == pytest.approx(b.value)


def test_auto_method_switches_to_milp_above_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix, weights, _ = make_problem(12)
    assert optimise(matrix, weights, keep=4).method == "exhaustive"
    monkeypatch.setattr(opt, "EXHAUSTIVE_LIMIT", 10)
    r = optimise(matrix, weights, keep=4)
    assert r.method == "milp" and r.n_evaluated is None


def test_milp_time_limit_is_accepted() -> None:
    matrix, weights, _ = make_problem(13)
    r = optimise(matrix, weights, keep=3, method="milp", time_limit_s=60)
    assert r.optimal


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    matrix, weights, _ = make_problem(14)
    optimise(matrix, weights, keep=3, progress=True)
    assert "sets" in capsys.readouterr().err


def test_unreachable_everywhere_warns_and_scores_inf() -> None:
    matrix, weights, _ = make_problem(15)
    matrix.loc["E00000", :] = np.inf
    weights.loc["E00000"] = 5.0
    with pytest.warns(UnreachableWarning, match="unable to reach"):
        r = optimise(matrix, weights, keep=3)
    assert r.value == np.inf
    # ... and the chosen set is still the best for everybody else.
    others = matrix.drop(index="E00000")
    assert r.open_centres == optimise(others, weights.drop("E00000"), keep=3).open_centres


# ---------------------------------------------------------------------------------------------
# Invalid inputs
# ---------------------------------------------------------------------------------------------


@pytest.fixture()
def small() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    return make_problem(21, n_areas=6, n_centres=4)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"keep": 5}, DataFormatError, "keep=5 is impossible"),
        ({"keep": 0}, DataFormatError, "between 1 and 4"),
        ({"keep": 2.5}, DataFormatError, "whole number"),
        ({"keep": 3, "must_close": ["C00", "C01"]}, DataFormatError, "between 1 and 2"),
        ({"keep": 1, "must_open": ["C00", "C01"]}, DataFormatError, "smaller than the 2"),
        ({"must_open": ["C99"]}, UnknownCentreError, "C99"),
        ({"must_close": ["nope"]}, UnknownCentreError, "must_close"),
        ({"must_open": ["C00"], "must_close": ["C00"]}, DataFormatError, "both"),
        ({"groups": {"C77": "x"}, "min_per_group": 1}, UnknownCentreError, "groups"),
        ({"min_per_group": 1}, DataFormatError, "needs groups"),
        (
            {"groups": {"C00": "a", "C01": "b"}, "min_per_group": 2},
            DataFormatError,
            "cannot be met",
        ),
        (
            {"groups": {"C00": "a", "C01": "b", "C02": "c"}, "min_per_group": 1},
            DataFormatError,
            "more than keep=2",
        ),
        ({"objective": "fastest"}, DataFormatError, "unknown objective"),
        ({"method": "greedy"}, DataFormatError, "unknown method"),
        ({"objective": "coverage"}, DataFormatError, "threshold_min"),
        ({"threshold_min": 10}, DataFormatError, "only to objective 'coverage'"),
        ({"objective": "equity"}, DataFormatError, "needs deciles"),
        ({"decile_weights": {1: 2.0}}, DataFormatError, "only to objective 'equity'"),
    ],
)
def test_invalid_options(small, change, error, match) -> None:
    matrix, weights, _ = small
    kwargs = {"keep": 2} | change
    with pytest.raises(error, match=match):
        optimise(matrix, weights, **kwargs)


@pytest.mark.parametrize("what", ["weights", "deciles"])
def test_weights_and_deciles_are_aligned_and_checked_alike(small, what: str) -> None:
    matrix, weights, deciles = small

    def run(series: Any) -> opt.OptimiseResult:
        if what == "weights":
            return optimise(matrix, series, keep=2)
        return optimise(matrix, weights, keep=2, objective="minmax-decile", deciles=series)

    given = weights if what == "weights" else deciles
    best = run(given)
    shuffled = run(given.iloc[::-1])  # any order: aligned on the matrix's index
    assert (shuffled.open_centres, shuffled.value) == (best.open_centres, best.value)
    with pytest.raises(DataFormatError, match=f"{what} is not aligned.*1 areas of the matrix"):
        run(given.iloc[:-1])
    with pytest.raises(DuplicateIdError, match=f"{what} has duplicated areas.*E00000"):
        run(pd.concat([given, given.iloc[:1]]))
    with pytest.raises(DataFormatError, match=f"{what} must be a pandas Series"):
        run(given.to_numpy())
    words = given.astype(object)
    words.iloc[3] = "many"
    with pytest.raises(DataFormatError, match=f"{what} must be numbers"):
        run(words)


def test_invalid_data(small) -> None:
    matrix, weights, deciles = small
    with pytest.raises(DataFormatError, match="not aligned"):
        optimise(matrix, weights.iloc[:-1], keep=2)
    with pytest.raises(DataFormatError, match="not aligned"):
        optimise(matrix, weights.rename(index={"E00000": "W99"}), keep=2)
    with pytest.raises(DataFormatError, match="pandas Series"):
        optimise(matrix, weights.to_numpy(), keep=2)
    for bad in (-1.0, np.nan, np.inf):
        w = weights.copy()
        w.iloc[2] = bad
        with pytest.raises(DataFormatError, match=r"finite and non-negative.*E00002"):
            optimise(matrix, w, keep=2)
    with pytest.raises(DataFormatError, match="sum to 0"):
        optimise(matrix, weights * 0, keep=2)
    for bad in (np.nan, -3.0):
        m = matrix.copy()
        m.iloc[1, 2] = bad
        with pytest.raises(DataFormatError, match=r"E00001.*C02"):
            optimise(m, weights, keep=2)
    with pytest.raises(DataFormatError, match="numbers"):
        optimise(matrix.astype(object).assign(C00="far"), weights, keep=2)
    with pytest.raises(DataFormatError, match="DataFrame"):
        optimise(matrix.to_numpy(), weights, keep=2)
    with pytest.raises(DataFormatError, match="empty"):
        optimise(matrix.iloc[:, :0], weights, keep=1)
    with pytest.raises(DuplicateIdError, match="C00"):
        optimise(matrix.rename(columns={"C01": "C00"}), weights, keep=2)
    d = deciles.copy()
    d.iloc[0] = 11
    with pytest.raises(DataFormatError, match="deciles must be integers"):
        optimise(matrix, weights, keep=2, objective="minmax-decile", deciles=d)
    with pytest.raises(DataFormatError, match="deciles must be integers"):
        optimise(matrix, weights, keep=2, objective="equity", deciles=d.astype(float).where(d < 5))
    with pytest.raises(DataFormatError, match="decile_weights"):
        optimise(
            matrix, weights, keep=2, objective="equity", deciles=deciles, decile_weights={1: 1.0}
        )
    with pytest.raises(UnknownCentreError):
        evaluate(matrix, weights, ["C00", "Z"])
    # Every error is a CentrereachError and the matching built-in.
    with pytest.raises(CentrereachError):
        optimise(matrix, weights, keep=9)
    with pytest.raises(ValueError):
        optimise(matrix, weights, keep=9)
    with pytest.raises(KeyError):
        optimise(matrix, weights, keep=2, must_open=["Z"])


def test_milp_stopped_early_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import scipy.optimize

    real_milp = scipy.optimize.milp

    def stopped(*args, **kwargs):
        res = real_milp(*args, **kwargs)
        res.status, res.message = 1, "Time limit reached. (HiGHS Status 13)"
        return res

    matrix, weights, _ = make_problem(16)
    monkeypatch.setattr(scipy.optimize, "milp", stopped)
    with pytest.warns(CentrereachWarning, match="before proving optimality"):
        r = optimise(matrix, weights, keep=3, method="milp", time_limit_s=5)
    assert not r.optimal and r.keep == 3

    def nothing(*args, **kwargs):
        res = real_milp(*args, **kwargs)
        res.x, res.status, res.message = None, 1, "Time limit reached. (HiGHS Status 13)"
        return res

    monkeypatch.setattr(scipy.optimize, "milp", nothing)
    with pytest.raises(opt.SolverError, match="no solution"):
        optimise(matrix, weights, keep=3, method="milp", time_limit_s=5)
