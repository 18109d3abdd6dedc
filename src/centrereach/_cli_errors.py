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

import re
import signal
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import IO, Any, NoReturn

import click

from centrereach.errors import CentrereachError

__all__ = ["CommandError", "Interrupts", "cli_words", "user_errors"]

INTERRUPTED = "interrupted: no output was written."

#: Library messages name Python arguments; on the command line the same thing is a study-file
#: key or an option. (pattern, words for the command line), applied in order.
_CLI_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[Pp]ass postcodes=PATH\b"), 'set [centres] postcodes = "PATH"'),
    (re.compile(r",? or online=True to use postcodes\.io"), ""),
    (re.compile(r"\blocation=('\w+') was asked for"), r"[centres] location = \1 asks for"),
    (re.compile(r"\bchoose one with location="), "choose one with [centres] location = "),
    (re.compile(r"\(offline=False\)"), "(run without --offline)"),
    (re.compile(r"\bmust_open and must_close\b"), "--must-open and --must-close"),
    (re.compile(r"\bmust_open\b"), "--must-open"),
    (re.compile(r"\bmust_close\b"), "--must-close"),
    (re.compile(r"\bthat are not columns of the matrix\b"), "that are not among the centres"),
    (re.compile(r"\(the matrix has e\.g\."), "(the centres are e.g."),
    (re.compile(r"\bimpossible: the matrix has\b"), "impossible: there are"),
    (re.compile(r"\bkeep=(\d+)"), r"--keep \1"),
    (re.compile(r"\bso keep must\b"), "so --keep must"),
    (re.compile(r"\bthreshold_min\b"), "--threshold"),
    (re.compile(r"\bmin_per_group=(\d+)"), r"--per-district \1"),
)


def cli_words(message: str) -> str:
    """Say a library message the command-line way: study-file keys and options, not arguments.

    >>> cli_words("Pass postcodes=PATH to an ONSPD file, or online=True to use postcodes.io.")
    'set [centres] postcodes = "PATH" to an ONSPD file.'
    >>> cli_words("keep=1 is smaller than the 2 centres in must_open")
    '--keep 1 is smaller than the 2 centres in --must-open'
    """
    for pattern, words in _CLI_WORDS:
        message = pattern.sub(words, message)
    return message


class CommandError(click.ClickException):
    """A command failed for a reason the user can fix: exit code 2, one paragraph, no traceback."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        message = textwrap.fill(
            self.message, width=100, break_long_words=False, break_on_hyphens=False
        )
        click.echo(click.style("error: ", fg="red", bold=True) + message, err=True, file=file)


class Interrupts:
    """Whether Ctrl-C (SIGINT) was pressed while a command ran.

    Some libraries catch the ``KeyboardInterrupt`` that Ctrl-C raises and report something else
    instead (pandas' CSV reader calls it a malformed file): the flag tells the command that the
    user interrupted it, whatever error came out.
    """

    def __init__(self) -> None:
        self.pressed = False

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed (call it before writing anything)."""
        if self.pressed:
            raise KeyboardInterrupt


def _interrupted() -> NoReturn:
    click.echo(INTERRUPTED, err=True)
    sys.exit(130)


@contextmanager
def user_errors(debug: bool = False) -> Iterator[Interrupts]:
    """Turn the library's errors into :class:`CommandError` (``--debug`` shows the traceback).

    Ctrl-C ends the command with exit code 130 and says that nothing was written, also when a
    library turned the interrupt into another error on the way.
    """
    interrupts = Interrupts()
    previous: Any = None
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread and signal.getsignal(signal.SIGINT) is signal.default_int_handler:

        def on_sigint(signum: int, frame: FrameType | None) -> None:
            interrupts.pressed = True
            signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield interrupts
    except KeyboardInterrupt:
        _interrupted()
    except CentrereachError as exc:
        if interrupts.pressed:
            _interrupted()
        if debug:
            raise
        raise CommandError(cli_words(str(exc))) from exc
    except Exception:
        if interrupts.pressed:
            _interrupted()
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
