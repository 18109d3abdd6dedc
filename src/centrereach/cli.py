"""The ``centrereach`` command: a thin layer over the library.

Exit codes: 0 success; 2 bad input or missing data (a one-paragraph message, no traceback);
1 an unexpected error (a bug: please report it with the traceback shown by ``--debug``).
"""

from __future__ import annotations

import logging
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from centrereach.errors import CentrereachError, CentrereachWarning

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


def _fail(exc: BaseException) -> None:
    message = textwrap.fill(str(exc), width=100, break_long_words=False, break_on_hyphens=False)
    click.echo(click.style("error: ", fg="red", bold=True) + message, err=True)
    sys.exit(2)


def _guard(debug: bool, action: Callable[[], None]) -> None:
    try:
        action()
    except CentrereachError as exc:
        if debug:
            raise
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("interrupted: no output was written.", err=True)
        sys.exit(130)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="centrereach")
def main() -> None:
    """centrereach: travel times to public-service centres when some close."""


def _parse_networks(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        mode, sep, path = value.partition("=")
        if not sep or mode not in ("drive", "walk") or not path:
            msg = f"--network {value!r}: write MODE=PATH with MODE drive or walk."
            raise click.BadParameter(msg)
        out[mode] = path
    return out


@main.command()
@click.argument("study_file", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), help="Output folder.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Local data folder (else CENTREREACH_DATA_DIR, else download).",
)
@click.option(
    "--network",
    "network",
    multiple=True,
    metavar="MODE=PATH",
    help="Use this road network file for MODE (drive or walk). Repeatable.",
)
@click.option("--no-maps", is_flag=True, help="Skip the HTML maps and report.")
@click.option(
    "--offline", is_flag=True, help="Inline Leaflet into every map so it opens with no internet."
)
@click.option("--quiet", is_flag=True, help="Only the summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def run(
    study_file: str,
    out: str | None,
    data_dir: str | None,
    network: tuple[str, ...],
    no_maps: bool,
    offline: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Run a study file: travel times, scenarios, tables, maps and the report."""
    networks = _parse_networks(network)

    def action() -> None:
        from centrereach.study import Study

        started = time.perf_counter()
        with _console(debug, quiet):
            study = Study.from_toml(study_file)
            result = study.run(data_dir=data_dir, networks=networks, progress=not quiet)
            folder = Path(out or study.output or Path("output") / study.name)
            written = result.write(folder, maps=not no_maps, offline=offline)
        click.echo("")
        click.echo(result.console_summary())
        click.echo(f"Outputs in {written} ({time.perf_counter() - started:.0f} s).")

    _guard(debug, action)


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="output/demo",
    show_default=True,
    help="Output folder.",
)
@click.option("--no-maps", is_flag=True, help="Skip the HTML maps and report.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def demo(out: str, no_maps: bool, debug: bool) -> None:
    """Run the synthetic Synthshire demo (no internet, no data files needed)."""

    def action() -> None:
        from centrereach.synthetic import synthetic_study

        started = time.perf_counter()
        with _console(debug, False):
            result = synthetic_study().run(progress=True)
            written = result.write(out, maps=not no_maps)
        click.echo("")
        click.echo(result.console_summary())
        click.echo(f"Outputs in {written} ({time.perf_counter() - started:.0f} s).")

    _guard(debug, action)


@main.command()
@click.argument("study_file", type=click.Path(dir_okay=False))
@click.option("--keep", type=click.IntRange(min=1), required=True, help="Centres to keep open.")
@click.option(
    "--objective",
    type=click.Choice(["mean-time", "coverage", "equity", "minmax-decile"]),
    default="mean-time",
    show_default=True,
    help="What 'best' means.",
)
@click.option(
    "--mode",
    type=click.Choice(["drive", "walk"]),
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
@click.option("--per-district", type=int, default=0, help="Keep at least N per district.")
@click.option("--out", "out", type=click.Path(file_okay=False), help="Output folder.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Local data folder.")
@click.option(
    "--network",
    "network",
    multiple=True,
    metavar="MODE=PATH",
    help="Use this road network file for MODE. Repeatable.",
)
@click.option("--no-maps", is_flag=True, help="Skip the HTML maps and report.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
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
    data_dir: str | None,
    network: tuple[str, ...],
    no_maps: bool,
    debug: bool,
) -> None:
    """Find the best KEEP centres to keep, and compare the study's scenarios with them."""
    networks = _parse_networks(network)

    def action() -> None:
        from centrereach.study import Study

        with _console(debug, True):
            study = Study.from_toml(study_file)
            result = study.run(data_dir=data_dir, networks=networks, progress=False)
            best, extended, table = result.optimise(
                keep=keep,
                objective=objective,
                mode=mode,
                threshold_min=threshold,
                must_open=must_open,
                must_close=must_close,
                per_district=per_district,
            )
            folder = Path(
                out
                or Path(study.output or Path("output") / study.name).with_name(
                    f"{study.name}-optimise"
                )
            )
            written = extended.write(folder, maps=not no_maps)
        unit = "%" if best.unit == "percent" else " min"
        names = extended.centres.get("name")
        click.echo(
            f"Best {keep} of {len(extended.centres)} centres to keep ({objective}, "
            f"{table['mode'].iloc[0]}): {best.value:.2f}{unit}"
            + (" (proven optimal)" if best.optimal else " (not proven optimal)")
            + f", found by {best.method} search in {best.runtime_s:.1f} s."
        )

        def _names(ids: object) -> str:
            return ", ".join(
                str(names[c]) if names is not None and c in names.index else c
                for c in str(ids).split()
            )

        closed = ", ".join(
            str(names[c]) if names is not None else str(c) for c in best.closed_centres
        )
        click.echo(f"  it closes: {closed}")
        best_name = f"best-keep-{keep}"
        mode_used = str(table["mode"].iloc[0])
        best_h = extended.headline(best_name, mode_used)
        for row in table.itertuples():
            if row.scenario == best_name or row.open_centres != keep:
                continue
            h = extended.headline(str(row.scenario), mode_used)
            if h["most_deprived_decile"] is not None:
                click.echo(
                    f"{row.label}: children in the most deprived areas (IMD decile "
                    f"{h['most_deprived_decile']}), mean {h['deprived_after_min']:.1f} min; "
                    f"best possible keeping {keep}: {best_h['deprived_after_min']:.1f} min."
                )
            click.echo(
                f"{row.label}: {row.value:.2f}{unit} against the best {row.best_value:.2f}"
                f"{unit} ({row.shortfall:+.2f}{unit}); "
                + (
                    f"{row.swaps} choice(s) differ: it keeps "
                    f"{_names(row.open_here_closed_in_best)}, the best keeps "
                    f"{_names(row.closed_here_open_in_best)} instead"
                    if row.swaps
                    else "it keeps the same centres"
                )
            )
        others = int((table["open_centres"] != keep).sum())
        if others:
            click.echo(
                f"({others} scenario(s) keep a different number of centres: see optimise.csv.)"
            )
        click.echo(f"Outputs in {written}.")

    _guard(debug, action)


def _register_optional() -> None:
    try:
        from centrereach._cli_data import data
    except ImportError:  # pragma: no cover - the data commands ship with sources.py
        return
    main.add_command(data)


_register_optional()


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=Path(sys.argv[0]).name)
