"""The ``centrereach`` command: a thin layer over the library.

Exit codes: 0 success; 2 bad input, missing data, or an output folder that cannot be written (a
one-paragraph message, no traceback); 130 interrupted (Ctrl-C; nothing written); 1 an unexpected
error (a bug: please report it with the traceback shown by ``--debug``).

The output folder is checked, and held against other runs, before the study runs (see
:func:`centrereach.outputs.claim_output_folder`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from centrereach._cli_data import data
from centrereach._cli_errors import CommandError, user_errors
from centrereach.errors import CentrereachWarning
from centrereach.network import Mode
from centrereach.optimisation import Objective
from centrereach.outputs import claim_output_folder
from centrereach.study import Study
from centrereach.synthetic import synthetic_study

__all__ = ["main"]

logger = logging.getLogger("centrereach")


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        tqdm.write(f"  {record.getMessage()}", file=sys.stderr)


@contextmanager
def _console(debug: bool, quiet: bool) -> Iterator[list[str]]:
    """Set up what the CLI shows: step messages, progress bars, warnings as short lines."""
    handler = _Handler()
    root = logging.getLogger("centrereach")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO))
    shown: list[str] = []

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        text = str(message)
        shown.append(text)
        if issubclass(category, CentrereachWarning) or debug:
            short = text if len(text) < 400 else text[:400] + " ..."
            click.echo(click.style("note: ", fg="yellow") + short, err=True)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default", CentrereachWarning)
            warnings.showwarning = show
            yield shown
    finally:
        warnings.showwarning = previous
        root.removeHandler(handler)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="centrereach")
def main() -> None:
    """centrereach: travel times to public-service centres when some close."""


def _parse_networks(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    modes = [m.value for m in Mode if m is not Mode.TRANSIT]  # transit walks on the walk network
    for value in values:
        mode, sep, path = value.partition("=")
        if not sep or mode not in modes or not path:
            msg = f"--network {value!r}: write MODE=PATH with MODE one of {', '.join(modes)}."
            raise click.BadParameter(msg)
        out[mode] = path
    return out


_force_option = click.option(
    "--force",
    is_flag=True,
    help="Write into an output folder that holds other files too: file by file, leaving "
    "those alone (without it, such a folder is refused).",
)


def _study_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that runs a study file shares."""
    for option in reversed(
        [
            click.option("--out", "out", type=click.Path(), help="Output folder."),
            _force_option,
            click.option(
                "--data-dir",
                type=click.Path(file_okay=False),
                help="Local data folder (else CENTREREACH_DATA_DIR, else download).",
            ),
            click.option(
                "--network",
                "network",
                multiple=True,
                metavar="MODE=PATH",
                help="Use this road network file for MODE (drive, walk or cycle; transit walks on "
                "the walk network). Repeatable.",
            ),
            click.option(
                "--gtfs",
                "gtfs",
                multiple=True,
                metavar="PATH",
                help="Public transport timetables (a GTFS zip or folder, or a dataset id) for the "
                "transit mode, instead of the study's [transit] gtfs. Repeatable.",
            ),
            click.option("--no-maps", is_flag=True, help="Skip the HTML maps and report."),
            click.option(
                "--report-only",
                is_flag=True,
                help="Write report.html (its maps are pictures) but not the interactive maps: "
                "for a national study, whose maps are 25-30 MB each.",
            ),
            click.option("--debug", is_flag=True, help="Show tracebacks."),
        ]
    ):
        command = option(command)
    return command


@main.command()
@click.argument("study_file", type=click.Path(dir_okay=False))
@_study_options
@click.option(
    "--cdn", is_flag=True, help="Link Leaflet from the internet: smaller maps that need it."
)
@click.option("--quiet", is_flag=True, help="Only the summary.")
@click.option("--refresh", is_flag=True, help="Check downloaded road extracts for updates now.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Split the travel times and scenarios between the workers of this Dask cluster "
    "(e.g. tcp://10.0.0.5:8786; needs centrereach[cluster]).",
)
def run(
    study_file: str,
    out: str | None,
    force: bool,
    data_dir: str | None,
    network: tuple[str, ...],
    gtfs: tuple[str, ...],
    no_maps: bool,
    report_only: bool,
    debug: bool,
    cdn: bool,
    quiet: bool,
    refresh: bool,
    scheduler: str | None,
) -> None:
    """Run a study file: travel times, scenarios, tables, maps and the report."""
    networks = _parse_networks(network)
    html = _html_outputs(no_maps, report_only)
    started = time.perf_counter()
    with (
        user_errors(debug) as interrupts,
        _console(debug, quiet),
        _dask_client(scheduler) as client,
    ):
        study = Study.from_toml(study_file)
        folder = study.output_folder(out)
        inputs = study.input_paths(data_dir, network_files=networks)
        with claim_output_folder(folder, force=force, protect=inputs) as claimed:
            result = study.run(data_dir=data_dir, network_files=networks, progress=not quiet,
                               refresh=refresh, gtfs=gtfs or None, client=client)  # fmt: skip
            interrupts.check()
            written = claimed.write(result, cdn=cdn, **html)
    click.echo("")
    click.echo(result.console_summary())
    click.echo(f"Outputs in {written} ({time.perf_counter() - started:.0f} s).")


def _html_outputs(no_maps: bool, report_only: bool) -> dict[str, bool]:
    """``ClaimedFolder.write``'s ``maps`` and ``report`` for ``--no-maps``, ``--report-only``."""
    if no_maps and report_only:
        msg = "--no-maps leaves out the report too: give --no-maps or --report-only, not both."
        raise click.UsageError(msg)
    return {"maps": not (no_maps or report_only), "report": not no_maps}


@contextmanager
def _dask_client(address: str | None) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address`` (closed afterwards), or None."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        msg = "--scheduler needs Dask: pip install 'centrereach[cluster]'"
        raise click.UsageError(msg) from None
    try:
        client = Client(address, timeout="20s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as err:
        msg = f"cannot connect to the Dask scheduler at {address!r}: {err}"
        raise click.UsageError(msg) from err
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(),
    default="output/demo",
    show_default=True,
    help="Output folder.",
)
@_force_option
@click.option("--no-maps", is_flag=True, help="Skip the HTML maps and report.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def demo(out: str, force: bool, no_maps: bool, debug: bool) -> None:
    """Run the synthetic Synthshire demo (no internet, no data files needed)."""
    started = time.perf_counter()
    with (
        user_errors(debug) as interrupts,
        _console(debug, False),
        claim_output_folder(out, force=force) as claimed,
    ):
        result = synthetic_study().run(progress=True)
        interrupts.check()
        written = claimed.write(result, maps=not no_maps)
    click.echo("")
    click.echo(result.console_summary())
    click.echo(f"Outputs in {written} ({time.perf_counter() - started:.0f} s).")


@main.command()
@click.argument("study_file", type=click.Path(dir_okay=False))
@click.option("--keep", type=click.IntRange(min=1), required=True, help="Centres to keep open.")
@click.option(
    "--objective",
    type=click.Choice([o.value for o in Objective]),
    default=Objective.MEAN_TIME.value,
    show_default=True,
    help="What 'best' means.",
)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=None,
    help="The mode to optimise (default: the study's first mode).",
)
@click.option(
    "--threshold",
    "threshold",
    type=float,
    default=None,
    help="Minutes, for --objective coverage (default: the first threshold).",
)
@click.option("--must-open", multiple=True, help="A centre id that must stay open. Repeatable.")
@click.option("--must-close", multiple=True, help="A centre id that must close. Repeatable.")
@click.option(
    "--per-district",
    type=click.IntRange(min=0),
    default=0,
    help="Keep at least N per district.",
)
@_study_options
def optimise(
    study_file: str,
    keep: int,
    objective: str,
    mode: str | None,
    threshold: float | None,
    must_open: tuple[str, ...],
    must_close: tuple[str, ...],
    per_district: int,
    out: str | None,
    force: bool,
    data_dir: str | None,
    network: tuple[str, ...],
    gtfs: tuple[str, ...],
    no_maps: bool,
    report_only: bool,
    debug: bool,
) -> None:
    """Find the best KEEP centres to keep, and compare the study's scenarios with them."""
    networks = _parse_networks(network)
    html = _html_outputs(no_maps, report_only)
    with user_errors(debug) as interrupts, _console(debug, True):
        study = Study.from_toml(study_file)
        _check_optimise_options(study, keep, objective, mode, threshold, must_open, must_close)
        study = dataclasses.replace(study, matrix="full")  # "auto": the optimiser needs it
        folder = study.output_folder(out, kind="optimise")
        inputs = study.input_paths(data_dir, network_files=networks)
        with claim_output_folder(folder, force=force, protect=inputs) as claimed:
            result = study.run(
                data_dir=data_dir, network_files=networks, gtfs=gtfs or None, progress=False
            )
            outcome = result.optimise(
                keep=keep,
                objective=objective,
                mode=mode,
                threshold_min=threshold,
                must_open=must_open,
                must_close=must_close,
                per_district=per_district,
            )
            interrupts.check()
            written = claimed.write(outcome.result, **html)
    click.echo(outcome.summary())
    click.echo(f"Outputs in {written}.")


def _check_optimise_options(
    study: Study,
    keep: int,
    objective: str,
    mode: str | None,
    threshold: float | None,
    must_open: tuple[str, ...],
    must_close: tuple[str, ...],
) -> None:
    """Refuse options that cannot work with this study before it runs (it may take minutes)."""
    where = study.path or "the study"
    if study.matrix == "nearest":
        msg = (
            f'the study {where} says [analysis] matrix = "nearest": each area\'s nearest '
            "centres only, and the optimiser needs every area's time to every centre. Set "
            'matrix = "full" (or "auto") in its [analysis] table to optimise it.'
        )
        raise CommandError(msg)
    if mode is not None and mode not in study.modes:
        msg = (
            f"--mode {mode}: the study {where} has no {mode} travel times (its modes: "
            f"{', '.join(study.modes)}). Choose one of them, or add {mode!r} to [analysis] "
            "modes (with a [network] entry for it)."
        )
        raise CommandError(msg)
    if threshold is not None:
        if objective != Objective.COVERAGE.value:
            msg = (
                f"--threshold applies only to --objective {Objective.COVERAGE.value}, not "
                f"{objective}. Leave it out, or use --objective {Objective.COVERAGE.value}."
            )
            raise CommandError(msg)
        if not (math.isfinite(threshold) and threshold > 0):
            msg = f"--threshold must be a number of minutes greater than 0, not {threshold}."
            raise CommandError(msg)
    both = sorted(set(must_open) & set(must_close))
    if both:
        msg = f"--must-open and --must-close both name {', '.join(both)}: choose one for each."
        raise CommandError(msg)
    if keep < len(set(must_open)):
        msg = (
            f"--keep {keep} is smaller than the {len(set(must_open))} centres given with "
            "--must-open."
        )
        raise CommandError(msg)


main.add_command(data)


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=Path(sys.argv[0]).name)
