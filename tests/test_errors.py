"""Tests of the exception hierarchy in :mod:`centrereach.errors`.

Each error is a :class:`~centrereach.errors.CentrereachError` *and* the matching built-in, so code
that already catches ``KeyError`` or ``ValueError`` keeps working.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import pandas as pd
import pytest

from centrereach import errors
from centrereach.areas import read_deprivation
from centrereach.centres import load_centres
from centrereach.errors import CentrereachError, CentrereachWarning

DATA = Path(__file__).parent / "data"

BUILTIN = {
    "DataFormatError": ValueError,
    "MissingColumnError": KeyError,
    "InvalidCoordinateError": ValueError,
    "DuplicateIdError": ValueError,
    "UnknownPostcodeError": LookupError,
    "EmptyFileError": ValueError,
    "EncodingError": UnicodeError,
    "VintageMismatchError": ValueError,
    "DataNotFoundError": FileNotFoundError,
    "DownloadError": OSError,
    "NetworkError": ValueError,
    "NetworkUnavailableError": FileNotFoundError,
    "UnknownCentreError": KeyError,
    "StudyFileError": ValueError,
}
WARNINGS = {
    "OutsideStudyAreaWarning",
    "SnapWarning",
    "UnreachableWarning",
    "CoverageWarning",
}
MESSAGE = "'centres.csv', row 3, column 'lat': 'abc' is not a number. Write a decimal number."


def test_all_names_are_exported_classes() -> None:
    exported = set(errors.__all__)
    assert exported == set(BUILTIN) | WARNINGS | {"CentrereachError", "CentrereachWarning"}
    for name in exported:
        assert isinstance(getattr(errors, name), type), name


@pytest.mark.parametrize("name, builtin", sorted(BUILTIN.items(), key=lambda kv: kv[0]))
def test_error_is_package_error_and_builtin(name: str, builtin: type[Exception]) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, CentrereachError)
    assert issubclass(cls, builtin)
    error = cls(MESSAGE)
    with pytest.raises(builtin):
        raise error
    with pytest.raises(CentrereachError):
        raise error
    # Errors survive pickling (multiprocessing workers send them back to the parent).
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and copy.args == (MESSAGE,)


def test_network_unavailable_is_a_data_not_found() -> None:
    assert issubclass(errors.NetworkUnavailableError, errors.DataNotFoundError)


@pytest.mark.parametrize(
    "name",
    sorted(n for n, b in BUILTIN.items() if not issubclass(b, KeyError)),
)
def test_message_is_shown_as_written(name: str) -> None:
    assert str(getattr(errors, name)(MESSAGE)) == MESSAGE


@pytest.mark.parametrize("name", ["MissingColumnError", "UnknownCentreError"])
def test_key_error_message_is_shown_as_written(name: str) -> None:
    assert str(getattr(errors, name)(MESSAGE)) == MESSAGE


def test_base_error_without_arguments() -> None:
    assert str(CentrereachError()) == ""


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_warnings_are_user_warnings(name: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, CentrereachWarning)
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
