"""The ``centrereach data`` commands: list the official datasets and fetch them (internal).

``cli.py`` adds the group to the main command::

    from centrereach._cli_data import data
    main.add_command(data)

Errors a user can cause end the command with exit code 2 and the message, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click

from centrereach import sources
from centrereach._cli_errors import CommandError
from centrereach.errors import CentrereachError

__all__ = ["data"]


_DATA_DIR_HELP = (
    "Data folder laid out like the project's reference data (e.g. ons/, iod2019/); files found "
    f"there are used as they are. Default: ${sources.DATA_DIR_ENV}."
)
_CACHE_HELP = f"Download cache folder. Default: ${sources.CACHE_ENV}, else the user cache folder."


_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=_DATA_DIR_HELP,
)
_cache_option = click.option(
    "--cache", type=click.Path(file_okay=False, path_type=Path), default=None, help=_CACHE_HELP
)


@click.group(name="data")
def data() -> None:
    """The official datasets: list them, or fetch them for offline use."""


@data.command(name="list")
@_data_dir_option
@_cache_option
def list_command(data_dir: Path | None, cache: Path | None) -> None:
    """Print each dataset: id, title, vintage, licence, and where it is found locally.

    Columns are separated by tabs; the last column is the local file, or '-' when the file
    must still be fetched.
    """
    click.echo("id\ttitle\tvintage\tlicence\tlocal file")
    for ds in sources.datasets():
        found = sources.locate(ds, data_dir=data_dir, cache=cache)
        click.echo(
            "\t".join([ds.id, ds.title, ds.vintage, ds.licence, str(found) if found else "-"])
        )


@data.command(name="fetch")
@click.argument("dataset_ids", nargs=-1, metavar="[DATASET_IDS]...")
@click.option(
    "--study-area",
    default=None,
    metavar="AREA",
    help="County or unitary authority (ONS code or name, e.g. E10000007 or Derbyshire): "
    "fetch everything a study needs.",
)
@click.option(
    "--vintage",
    type=click.Choice(["2021", "2011"]),
    default="2021",
    show_default=True,
    help="LSOA vintage of the study (2021 with IoD2025, 2011 with IoD2019).",
)
@click.option(
    "--roads", is_flag=True, help="With --study-area, also fetch the area's OpenStreetMap extract."
)
@_data_dir_option
@_cache_option
@click.option(
    "--mirror",
    "base_url",
    default=None,
    metavar="URL",
    help="Fetch from a server holding a copy of a data folder (URL + '/' + the file's path in "
    f"the folder) instead of the official sites. Default: ${sources.MIRROR_ENV}.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    default=sources.FetchOptions().timeout_s,
    show_default=True,
    help="Seconds to wait for the server (connection and each read).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=sources.FetchOptions().retries,
    show_default=True,
    help="Extra attempts after a timeout, dropped connection or server error.",
)
@click.option(
    "--progress/--no-progress", default=True, show_default=True, help="Show progress bars."
)
def fetch_command(
    dataset_ids: tuple[str, ...],
    study_area: str | None,
    vintage: str,
    roads: bool,
    data_dir: Path | None,
    cache: Path | None,
    base_url: str | None,
    timeout_s: float,
    retries: int,
    progress: bool,
) -> None:
    """Make datasets available offline: find them locally, or download them into the cache.

    Prints one line per file: the dataset id (or the study role) and the local path.
    """
    if not dataset_ids and study_area is None:
        msg = "name at least one dataset id (see 'centrereach data list') or pass --study-area"
        raise click.UsageError(msg)
    if roads and study_area is None:
        raise click.UsageError("--roads needs --study-area")
    options = sources.FetchOptions(
        data_dir=data_dir,
        cache=cache,
        base_url=base_url,
        progress=progress,
        timeout_s=timeout_s,
        retries=retries,
    )
    results: list[tuple[str, Path]] = []
    try:
        wanted = [sources.dataset(dataset_id) for dataset_id in dataset_ids]  # fail fast on typos
        if study_area is not None:
            paths = sources.fetch_for_study(
                study_area, vintage=int(vintage), roads=roads, options=options
            )
            results.extend(paths.items())
        results += [(ds.id, sources.fetch(ds, options)) for ds in wanted]
    except CentrereachError as exc:
        raise CommandError(str(exc)) from exc
    for name, path in results:
        click.echo(f"{name}\t{path}")
