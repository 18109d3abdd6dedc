"""Scenarios: which centres are open, and each area's nearest open centre under each.

A scenario is a named set of open centres. ``baseline`` (every centre open) is always there;
others are written as centres to close, centres to keep, or a condition on a column of the
centres file (``where = 'status_2024 == "retained"'`` keeps the centres whose
``status_2024`` is ``retained``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from centrereach.errors import StudyFileError, UnknownCentreError
from centrereach.network import Mode
from centrereach.traveltime import NearestCentres, nearest_centre

__all__ = ["BASELINE", "Scenario", "evaluate_scenarios", "scenario_from_spec"]

BASELINE = "baseline"
_WHERE = re.compile(
    r"""^\s*(?P<column>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>==|!=|in|not\s+in)\s*(?P<value>.+?)\s*$"""
)


@dataclass(frozen=True)
class Scenario:
    """A named set of open centres.

    Attributes
    ----------
    name
        Short id used in output tables (e.g. ``decision-2024``).
    label
        Words for people (e.g. ``"2024 decision"``).
    open_centres, closed_centres
        Centre ids, in the centres file's order.

    Examples
    --------
    >>> s = Scenario("keep-two", "Keep two", open_centres=("a", "b"), closed_centres=("c",))
    >>> s.n_open
    2
    """

    name: str
    label: str
    open_centres: tuple[str, ...]
    closed_centres: tuple[str, ...] = ()
    description: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def n_open(self) -> int:
        """Number of open centres."""
        return len(self.open_centres)


def _check_known(ids: Iterable[str], known: Sequence[str], *, where: str) -> list[str]:
    wanted = [str(i) for i in ids]
    unknown = [i for i in wanted if i not in set(known)]
    if unknown:
        msg = (
            f"{where}: unknown centre id(s) {', '.join(repr(u) for u in unknown)}. "
            f"Known ids: {', '.join(known)}."
        )
        raise UnknownCentreError(msg)
    return wanted


def _parse_where(expr: str, centres: pd.DataFrame, *, where: str) -> list[str]:
    match = _WHERE.match(expr)
    if not match:
        msg = (
            f"{where}: cannot read the condition {expr!r}. Write e.g. "
            "'status_2024 == \"retained\"', 'district != \"Erewash\"' or "
            '\'district in ["Chesterfield", "Bolsover"]\'.'
        )
        raise StudyFileError(msg)
    column, op, raw = match.group("column"), match.group("op"), match.group("value")
    if column not in centres.columns:
        source = centres.attrs.get("source")
        named = f"the centres file {source}" if source else "the centres file"
        msg = (
            f"{where}: {named} has no column {column!r}; it has "
            f"{', '.join(repr(str(c)) for c in centres.columns if c != 'geometry')}."
        )
        raise StudyFileError(msg)
    import ast

    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError) as exc:
        msg = f"{where}: {raw!r} is not a quoted value or a list of quoted values."
        raise StudyFileError(msg) from exc
    present = centres[column]
    occurring = [_cell_text(v) for v in present if not _is_blank(v)]
    values = list(dict.fromkeys(occurring))  # in the file's order, once each
    shown = ", ".join(repr(v) for v in values) if values else "none (the column is empty)"
    op = " ".join(op.split())
    if op in ("in", "not in"):
        if not isinstance(value, list | tuple | set):
            msg = f'{where}: \'{op}\' needs a list, e.g. ["a", "b"].'
            raise StudyFileError(msg)
        wanted = [_cell_text(v) for v in value]
    else:
        if isinstance(value, list | tuple | set | dict):
            msg = f"{where}: '{op}' compares with one quoted value; for a list write 'in [...]'."
            raise StudyFileError(msg)
        wanted = [_cell_text(value)]
    absent = [w for w in wanted if w not in values]
    source = centres.attrs.get("source")
    file = f"the centres file {source}" if source else "the centres file"
    if absent:
        near = _near_values(absent, values)
        msg = (
            f"{where}: {', '.join(repr(a) for a in absent)} never occurs in column {column!r} "
            f"of {file}, so the condition {expr!r} would select by a value no centre "
            f"has.{near} The values in the column are: {shown}."
        )
        raise StudyFileError(msg)
    cells = pd.Series([_cell_text(v) for v in present], index=centres.index)
    mask = cells.isin(wanted)
    if op in ("!=", "not in"):
        mask = ~mask
    kept = [str(i) for i in centres.index[mask.to_numpy()]]
    if not kept:
        msg = (
            f"{where}: the condition {expr!r} keeps no centre open (it selects the centres to "
            f"keep). The values in column {column!r} of {file} are: {shown}."
        )
        raise StudyFileError(msg)
    return kept


def _is_blank(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _cell_text(value: object) -> str:
    """A cell or a condition's value as the text compared (``1.0`` from a workbook -> ``1``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _near_values(absent: Sequence[str], values: Sequence[str]) -> str:
    """' Did you mean ...?' for values that differ only in case or by a typing slip."""
    import difflib

    hints = []
    for item in absent:
        same_case = [v for v in values if v.casefold() == item.casefold()]
        close = same_case or difflib.get_close_matches(item, list(values), n=1, cutoff=0.75)
        if close:
            hints.append(f"{close[0]!r} for {item!r}")
    return f" Did you mean {' and '.join(hints)}?" if hints else ""


def scenario_from_spec(name: str, spec: Mapping[str, Any], centres: pd.DataFrame) -> Scenario:
    """Build a :class:`Scenario` from its study-file table.

    ``spec`` holds one of ``close`` (ids), ``keep`` (ids) or ``where`` (a condition on a column
    of the centres table, selecting the centres to keep), plus optional ``label`` and
    ``description``.

    >>> import pandas as pd
    >>> centres = pd.DataFrame({"status": ["closing", "retained", "retained"]},
    ...                        index=pd.Index(["a", "b", "c"], name="centre_id"))
    >>> scenario_from_spec("d", {"where": 'status == "retained"'}, centres).open_centres
    ('b', 'c')
    >>> scenario_from_spec("d", {"close": ["a"]}, centres).open_centres
    ('b', 'c')
    >>> scenario_from_spec("d", {"keep": "a"}, centres).open_centres  # one id, as a string
    ('a',)
    """
    where = f"scenario '{name}'"
    known = [str(i) for i in centres.index]
    given = [k for k in ("close", "keep", "where") if k in spec]
    if len(given) != 1:
        msg = (
            f"{where}: give exactly one of 'close' (centres to close), 'keep' (centres to keep) "
            f"or 'where' (a condition selecting the centres to keep); found {given or 'none'}."
        )
        raise StudyFileError(msg)
    kind = given[0]
    if kind in ("close", "keep"):
        ids = spec[kind]
        if isinstance(ids, str):
            ids = [ids]  # one id, not a list of its characters
        elif not isinstance(ids, list | tuple) or not all(isinstance(i, str) for i in ids):
            msg = f'{where}, key {kind!r}: give a list of centre ids, e.g. ["ketton"]; got {ids!r}'
            raise StudyFileError(msg)
        chosen = set(_check_known(ids, known, where=f"{where}, key {kind!r}"))
        open_ids = [c for c in known if (c in chosen) == (kind == "keep")]
    else:
        open_ids = _parse_where(str(spec["where"]), centres, where=f"{where}, key 'where'")
    if not open_ids:
        msg = f"{where}: no centre stays open; a scenario needs at least one open centre."
        raise StudyFileError(msg)
    closed_ids = [c for c in known if c not in set(open_ids)]
    return Scenario(
        name=name,
        label=str(spec.get("label", name)),
        open_centres=tuple(open_ids),
        closed_centres=tuple(closed_ids),
        description=str(spec.get("description", "")),
        spec=dict(spec),
    )


def evaluate_scenarios(
    matrix: pd.DataFrame | NearestCentres,
    scenarios: Sequence[Scenario],
    *,
    mode: Mode | str,
    areas: pd.DataFrame | None = None,
    columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Nearest open centre per area for each scenario, with the change against baseline.

    Parameters
    ----------
    matrix
        Travel times (minutes), index = areas, columns = centre ids; or the areas' ``k``
        nearest centres (:meth:`Router.nearest_k <centrereach.traveltime.Router.nearest_k>`),
        which give the same table without the full matrix.
    scenarios
        The scenarios; the baseline (every centre in ``matrix`` open) is added first.
    mode
        ``"drive"`` or ``"walk"`` (see :class:`~centrereach.network.Mode`), written in the
        ``mode`` column.
    areas, columns
        Area attributes to carry into the result (e.g. ``imd_decile``, ``children``).

    Returns
    -------
    pandas.DataFrame
        One row per area x scenario: ``lsoa_code``, the carried columns, ``scenario``, ``mode``,
        ``time_min``, ``centre_id``, ``baseline_time_min``, ``baseline_centre_id``,
        ``change_min`` (minutes; 0 when the nearest centre is unchanged).

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"a": [5.0, 20.0], "b": [12.0, 8.0]}, index=["x", "y"])
    >>> s = Scenario("close-b", "Close b", open_centres=("a",), closed_centres=("b",))
    >>> out = evaluate_scenarios(m, [s], mode="drive")
    >>> out[["lsoa_code", "scenario", "time_min", "change_min"]]
      lsoa_code  scenario  time_min  change_min
    0         x  baseline       5.0         0.0
    1         y  baseline       8.0         0.0
    2         x   close-b       5.0         0.0
    3         y   close-b      20.0        12.0
    """
    if isinstance(matrix, NearestCentres):
        rows, centres, nearest = matrix.origins, matrix.centres, matrix.scenario
    else:
        rows, centres = matrix.index, matrix.columns
        nearest = partial(nearest_centre, matrix)
    base = nearest(None)
    everyone = Scenario(BASELINE, "All centres open", tuple(str(c) for c in centres))
    frames = []
    for scenario in [everyone, *[s for s in scenarios if s.name != BASELINE]]:
        best = base if scenario.name == BASELINE else nearest(scenario.open_centres)
        frame = pd.DataFrame(
            {
                "lsoa_code": rows.astype(str),
                "scenario": scenario.name,
                "mode": str(mode),
                "time_min": best["time_min"].to_numpy(dtype=float),
                "centre_id": best["centre_id"].to_numpy(dtype=object),
                "baseline_time_min": base["time_min"].to_numpy(dtype=float),
                "baseline_centre_id": base["centre_id"].to_numpy(dtype=object),
            }
        )
        with np.errstate(invalid="ignore"):
            change = frame["time_min"].to_numpy() - frame["baseline_time_min"].to_numpy()
        frame["change_min"] = np.where(
            frame["centre_id"].to_numpy() == frame["baseline_centre_id"].to_numpy(), 0.0, change
        )
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    if areas is not None and columns:
        carried = areas[list(columns)].reindex(out["lsoa_code"].to_numpy())
        for col in reversed(list(columns)):
            out.insert(1, col, carried[col].to_numpy())
    return out
