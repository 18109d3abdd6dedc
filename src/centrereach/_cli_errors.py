"""How every ``centrereach`` command ends on a user's mistake: exit code 2 and one paragraph.

One exception class and one context manager, shared by ``cli.py`` and ``_cli_data.py``.

>>> import click
>>> from click.testing import CliRunner
>>> from centrereach.errors import DataFormatError
>>> @click.command()
... def broken():
...     with user_errors(debug=False):
...         raise DataFormatError("centres.csv, row 3, column 'lat': not a number.")
>>> result = CliRunner().invoke(broken)
>>> result.exit_code, result.output.strip()
(2, "error: centres.csv, row 3, column 'lat': not a number.")
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from centrereach.errors import CentrereachError

__all__ = ["CommandError", "user_errors"]


class CommandError(click.ClickException):
    """A command failed for a reason the user can fix: exit code 2, one paragraph, no traceback."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        message = textwrap.fill(
            self.message, width=100, break_long_words=False, break_on_hyphens=False
        )
        click.echo(click.style("error: ", fg="red", bold=True) + message, err=True, file=file)


@contextmanager
def user_errors(debug: bool = False) -> Iterator[None]:
    """Turn the library's errors into :class:`CommandError` (``--debug`` shows the traceback).

    Ctrl-C ends the command with exit code 130 and says that nothing was written.
    """
    try:
        yield
    except CentrereachError as exc:
        if debug:
            raise
        raise CommandError(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo("interrupted: no output was written.", err=True)
        sys.exit(130)
