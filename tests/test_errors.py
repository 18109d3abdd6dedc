"""Tests of the exception hierarchy in :mod:`centrereach.errors`.

Each error is a :class:`~centrereach.errors.CentrereachError` *and* the matching built-in, so code
that already catches ``KeyError`` or ``ValueError`` keeps working. The classes are discovered by
introspection (no list here restates the class statements), and no other module of the package
may define its own error or warning class.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import warnings
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

import centrereach
from centrereach import errors
from centrereach.areas import read_deprivation
from centrereach.centres import load_centres
from centrereach.errors import CentrereachError, CentrereachWarning

DATA = Path(__file__).parent / "data"

MESSAGE = "'centres.csv', row 3, column 'lat': 'abc' is not a number. Write a decimal number."


def _defined_in(module: ModuleType) -> list[type]:
    """The exception and warning classes a module defines (not those it imports)."""
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, BaseException) and obj.__module__ == module.__name__
    ]


ERRORS = sorted(
    (
        c
        for c in _defined_in(errors)
        if issubclass(c, CentrereachError) and c is not CentrereachError
    ),
    key=lambda c: c.__name__,
)
WARNINGS = sorted(
    (
        c
        for c in _defined_in(errors)
        if issubclass(c, CentrereachWarning) and c is not CentrereachWarning
    ),
    key=lambda c: c.__name__,
)


def _builtins_of(cls: type) -> list[type]:
    """The built-in exception classes ``cls`` also is, beyond ``Exception`` itself."""
    return [
        base
        for base in cls.__mro__
        if base.__module__ == "builtins" and base not in (Exception, BaseException, object)
    ]


def test_the_hierarchy_is_found() -> None:
    # A guard against the discovery itself going blind (e.g. a renamed module).
    assert len(ERRORS) >= 10 and len(WARNINGS) >= 4
    assert errors.SolverError in ERRORS and errors.SnapWarning in WARNINGS


def test_every_class_is_exported_and_every_export_is_a_class() -> None:
    defined = {c.__name__ for c in _defined_in(errors)}
    assert set(errors.__all__) == defined
    assert defined == {c.__name__ for c in ERRORS + WARNINGS} | {
        "CentrereachError",
        "CentrereachWarning",
    }, "every class in centrereach.errors is a CentrereachError or a CentrereachWarning"


def test_no_error_or_warning_class_lives_outside_errors() -> None:
    """Errors and warnings are defined in centrereach.errors only (modules may re-export them)."""
    strays = []
    for info in pkgutil.iter_modules(centrereach.__path__, prefix="centrereach."):
        if info.name == errors.__name__:
            continue
        module = importlib.import_module(info.name)
        strays += [
            f"{info.name}.{cls.__name__}"
            for cls in _defined_in(module)
            if issubclass(cls, CentrereachError | CentrereachWarning)
        ]
    assert not strays, f"move these classes to centrereach.errors: {strays}"


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_error_is_package_error_and_builtin(cls: type[CentrereachError]) -> None:
    builtins = _builtins_of(cls)
    assert builtins, f"{cls.__name__} should also inherit the matching built-in exception"
    error = cls(MESSAGE)
    for builtin in builtins:
        with pytest.raises(builtin):
            raise error
    with pytest.raises(CentrereachError):
        raise error
    # Errors survive pickling (multiprocessing workers send them back to the parent).
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and copy.args == (MESSAGE,)
    # The message is shown as written (KeyError would quote it).
    assert str(error) == MESSAGE


def test_network_unavailable_is_a_data_not_found() -> None:
    assert issubclass(errors.NetworkUnavailableError, errors.DataNotFoundError)


def test_solver_error_is_reexported_by_optimisation() -> None:
    from centrereach import optimisation

    assert optimisation.SolverError is errors.SolverError
    assert issubclass(errors.SolverError, RuntimeError)


def test_base_error_without_arguments() -> None:
    assert str(CentrereachError()) == ""


@pytest.mark.parametrize("cls", WARNINGS, ids=lambda c: c.__name__)
def test_warnings_are_user_warnings(cls: type[CentrereachWarning]) -> None:
    assert issubclass(cls, UserWarning)
    with pytest.warns(UserWarning, match="listed"):
        warnings.warn("3 areas listed", cls, stacklevel=1)


# --- real raises are caught by the built-in a caller would use --------------------------------


def test_missing_columns_caught_as_key_error() -> None:
    with pytest.raises(KeyError):
        load_centres(DATA / "centres_no_location.csv")


def test_bad_coordinates_caught_as_value_error() -> None:
    for name in ("centres_swapped.csv", "centres_outside_gb.csv", "centres_non_numeric.csv"):
        with pytest.raises(ValueError, match="row"):
            load_centres(DATA / name)


def test_unreadable_encoding_caught_as_unicode_error() -> None:
    with pytest.raises(UnicodeError):
        load_centres(DATA / "centres_utf16.csv")


def test_missing_file_caught_as_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        load_centres(DATA / "does-not-exist.csv")


def test_empty_file_caught_as_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        load_centres(DATA / "centres_empty.csv")


def test_scores_only_caught_as_key_error() -> None:
    with pytest.raises(KeyError):
        read_deprivation(DATA / "imd_scores_only.csv")


def test_empty_data_frame_is_an_empty_file_error() -> None:
    with pytest.raises(errors.EmptyFileError, match="no rows"):
        load_centres(pd.DataFrame({"name": [], "lat": [], "lon": []}))
