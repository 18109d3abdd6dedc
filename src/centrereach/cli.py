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
@click.option("--quiet", is_flag=True, help="Only the summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def run(
    study_file: str,
    out: str | None,
    data_dir: str | None,
    network: tuple[str, ...],
    no_maps: bool,
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
            written = result.write(folder, maps=not no_maps)
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


def _register_optional() -> None:
    try:
        from centrereach._cli_data import data
    except ImportError:  # pragma: no cover - the data commands ship with sources.py
        return
    main.add_command(data)


_register_optional()


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=Path(sys.argv[0]).name)
