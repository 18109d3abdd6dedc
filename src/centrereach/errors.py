"""The centrereach exception and warning hierarchy.

Every error a user can cause (a bad file, a bad study, missing data) is raised as a subclass of
:class:`CentrereachError`. Subclasses also inherit the matching built-in exception, so code that
already catches ``KeyError`` or ``ValueError`` keeps working (the pattern r5py uses).

Messages name the file, the row (1-based, as a spreadsheet shows it, counting the header as row 1)
and the column, and say how to fix the problem.

Examples
--------
>>> from centrereach.errors import MissingColumnError, CentrereachError
>>> issubclass(MissingColumnError, KeyError) and issubclass(MissingColumnError, CentrereachError)
True
"""

from __future__ import annotations

__all__ = [
    "CentrereachError",
    "CentrereachWarning",
    "CoverageWarning",
    "DataFormatError",
    "DataNotFoundError",
    "DownloadError",
    "DuplicateIdError",
    "EmptyFileError",
    "EncodingError",
    "InvalidCoordinateError",
    "MissingColumnError",
    "NetworkError",
    "NetworkUnavailableError",
    "OutsideStudyAreaWarning",
    "SnapWarning",
    "StudyFileError",
    "UnknownCentreError",
    "UnknownPostcodeError",
    "UnreachableWarning",
    "VintageMismatchError",
]


class CentrereachError(Exception):
    """Base class of every error centrereach raises on purpose."""

    def __str__(self) -> str:
        # KeyError quotes its message; keep messages readable for every subclass.
        return str(self.args[0]) if self.args else ""


class DataFormatError(ValueError, CentrereachError):
    """A file could be read but its content is not what centrereach expects."""


class MissingColumnError(KeyError, CentrereachError):
    """A required column is absent (the message lists the columns that were found)."""

    __str__ = CentrereachError.__str__


class InvalidCoordinateError(ValueError, CentrereachError):
    """Coordinates missing, non-numeric, swapped, outside Great Britain, or in disagreement."""


class DuplicateIdError(ValueError, CentrereachError):
    """Two rows share an identifier that must be unique."""


class UnknownPostcodeError(LookupError, CentrereachError):
    """A postcode is not in the postcode file (or the online lookup) used to geocode it."""


class EmptyFileError(ValueError, CentrereachError):
    """The file exists but holds no data rows."""


class EncodingError(UnicodeError, CentrereachError):
    """The file is in none of the encodings centrereach reads (UTF-8, UTF-8 with BOM, cp1252)."""


class VintageMismatchError(ValueError, CentrereachError):
    """Area codes of one LSOA vintage (2011 or 2021) were joined with data of the other."""


class DataNotFoundError(FileNotFoundError, CentrereachError):
    """A data file is missing and could not be found locally or downloaded."""


class DownloadError(OSError, CentrereachError):
    """A download failed (HTTP error, timeout, truncated body or wrong checksum)."""


class NetworkError(ValueError, CentrereachError):
    """A road network is missing attributes, empty, or cannot be read."""


class NetworkUnavailableError(DataNotFoundError):
    """No road network is available for a mode (no local file and no internet)."""


class UnknownCentreError(KeyError, CentrereachError):
    """A scenario names centre ids that are not in the centres file."""

    __str__ = CentrereachError.__str__


class StudyFileError(ValueError, CentrereachError):
    """A study file (TOML) has a missing, unknown or invalid key."""


class CentrereachWarning(UserWarning):
    """Base class of centrereach's warnings."""


class OutsideStudyAreaWarning(CentrereachWarning):
    """Points (e.g. centres) lie outside the study area; they are kept."""


class SnapWarning(CentrereachWarning):
    """Points attach to the road network farther away than the snap threshold."""


class UnreachableWarning(CentrereachWarning):
    """Origins cannot reach any open centre (their time is ``inf``)."""


class CoverageWarning(CentrereachWarning):
    """Areas are excluded, or lack deprivation or population data."""
