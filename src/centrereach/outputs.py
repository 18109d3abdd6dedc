"""Writing a study result to disk: tables, maps and the report, all or nothing.

:func:`write_outputs` writes into one folder (see ``docs/outputs.md`` for every column):

* ``areas.csv`` and ``areas.gpkg`` (one row per area x scenario x mode), ``summary.csv``,
  ``equity.csv``, ``matrix_<mode>.csv``, ``results.xlsx`` (the same tables as sheets) and
  ``optimise.csv`` when the result carries an optimisation;
* ``study.json``: the provenance (inputs with SHA-256, networks, settings, versions);
* the interactive maps ``maps/<scenario>_<mode>.html`` and ``report.html``
  (:func:`centrereach.report.write_report_and_maps`).

The outputs are built in a temporary folder beside the target and swapped into place only when
all are complete, so a failed or interrupted run leaves the previous outputs (or nothing) and
never a half-written set.

>>> import tempfile, pathlib
>>> from centrereach.synthetic import synthetic_study
>>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
>>> folder = write_outputs(result, pathlib.Path(tempfile.mkdtemp()) / "out", maps=False)
>>> sorted(p.name for p in folder.iterdir())  # doctest: +NORMALIZE_WHITESPACE
['areas.csv', 'areas.gpkg', 'equity.csv', 'matrix_cycle.csv', 'matrix_drive.csv',
 'matrix_transit.csv', 'matrix_walk.csv', 'results.xlsx', 'study.json', 'summary.csv']
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from centrereach._words import SYNTHETIC_NOTE
from centrereach.report import write_report_and_maps
from centrereach.results import StudyResult

__all__ = ["write_outputs", "write_tables"]


def write_outputs(
    result: StudyResult,
    folder: str | os.PathLike[str],
    *,
    maps: bool = True,
    offline: bool = False,
) -> Path:
    """Write every output of ``result`` into ``folder`` atomically and return its path.

    Parameters
    ----------
    result
        A study result (:meth:`centrereach.Study.run`).
    folder
        The output folder; a previous run's outputs there are replaced as a whole.
    maps
        Also write the interactive maps and ``report.html``.
    offline
        Build self-contained maps (Leaflet inlined, no basemap) that open with no internet.

    Returns
    -------
    pathlib.Path
        The folder written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> folder = write_outputs(result, pathlib.Path(tempfile.mkdtemp()) / "demo")
    >>> (folder / "report.html").is_file(), (folder / "maps" / "close-two_walk.html").is_file()
    (True, True)
    """
    target = Path(folder).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        write_tables(result, tmp)
        if maps:
            write_report_and_maps(result, tmp, offline=offline)
        backup = None
        if target.exists():
            backup = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(backup)
        tmp.rename(target)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def write_tables(result: StudyResult, folder: Path) -> list[Path]:
    """Write the tables and ``study.json`` of ``result`` into an existing ``folder``.

    Times are written with 3 decimals (minutes), equity measures with 4. Synthetic results carry
    a ``note`` column saying so in every table.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from centrereach.synthetic import synthetic_study
    >>> result = synthetic_study(n_side=6, cells=2).run(progress=False)
    >>> [p.name for p in write_tables(result, pathlib.Path(tempfile.mkdtemp()))][:3]
    ['areas.csv', 'areas.gpkg', 'summary.csv']
    """

    def noted(frame: pd.DataFrame) -> pd.DataFrame:
        if not result.synthetic:
            return frame
        out = frame.copy()
        out.insert(0, "note", SYNTHETIC_NOTE)
        return out

    written: list[Path] = []
    areas = noted(result.table)
    summary = noted(result.summary)
    equity = noted(result.equity)
    areas.to_csv(folder / "areas.csv", index=False, float_format="%.3f")
    noted(result.table_gdf()).to_file(folder / "areas.gpkg", layer="areas", driver="GPKG")
    summary.to_csv(folder / "summary.csv", index=False, float_format="%.3f")
    equity.to_csv(folder / "equity.csv", index=False, float_format="%.4f")
    written += [folder / n for n in ("areas.csv", "areas.gpkg", "summary.csv", "equity.csv")]
    for mode, matrix in result.matrices.items():
        matrix.to_csv(folder / f"matrix_{mode}.csv", float_format="%.3f")
        written.append(folder / f"matrix_{mode}.csv")
    about = pd.DataFrame(
        {
            "item": ["study", "title", "weight", "units", "data"],
            "value": [
                result.name,
                result.title,
                result.weight,
                "times in minutes; within_*_pct in percent; counts in people",
                SYNTHETIC_NOTE if result.synthetic else "see study.json",
            ],
        }
    )
    with pd.ExcelWriter(folder / "results.xlsx", engine="openpyxl") as writer:
        about.to_excel(writer, sheet_name="about", index=False)
        summary.to_excel(writer, sheet_name="summary", index=False)
        equity.to_excel(writer, sheet_name="equity", index=False)
        areas.to_excel(writer, sheet_name="areas", index=False)
    written.append(folder / "results.xlsx")
    if result.comparison is not None:
        result.comparison.to_csv(folder / "optimise.csv", index=False, float_format="%.4f")
        written.append(folder / "optimise.csv")
    (folder / "study.json").write_text(
        json.dumps(dict(result.provenance), indent=2, default=str), encoding="utf-8"
    )
    written.append(folder / "study.json")
    return written
