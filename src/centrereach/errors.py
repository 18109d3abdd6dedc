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
    "GTFSError",
    "InvalidCoordinateError",
    "MapAssetsWarning",
    "MissingColumnError",
    "ModeSkippedWarning",
    "NetworkError",
    "NetworkUnavailableError",
    "NoServiceWarning",
    "OutputError",
    "OutsideStudyAreaWarning",
    "SnapWarning",
    "SolverError",
    "StopsOutsideNetworkWarning",
    "StudyFileError",
    "UnknownCentreError",
    "UnknownPostcodeError",
    "UnknownScenarioError",
    "UnreachableWarning",
    "VintageMismatchError",
]


class CentrereachError(Exception):
    """Base class of every error centrereach raises on purpose.

    Examples
    --------
    Catch it to handle every problem a user can fix, whatever built-in it also is:

    >>> from centrereach import load_centres
    >>> try:
    ...     load_centres("no-such-file.csv")
    ... except CentrereachError as err:
    ...     print(type(err).__name__, "-", err)
    DataNotFoundError - 'no-such-file.csv': no such file (the centres file).
    """

    def __str__(self) -> str:
        # KeyError quotes its message; keep messages readable for every subclass.
        return str(self.args[0]) if self.args else ""


class DataFormatError(ValueError, CentrereachError):
    """A file could be read but its content is not what centrereach expects.

    Examples
    --------
    >>> import pandas as pd
    >>> from centrereach import nearest_centre
    >>> nearest_centre(pd.DataFrame([[float("nan")]], index=["E01019558"], columns=["birdholme"]))
    Traceback (most recent call last):
    ...
    centrereach.errors.DataFormatError: the matrix has missing travel times (NaN); use inf ...
    """


class MissingColumnError(KeyError, CentrereachError):
    """A required column is absent (the message lists the columns that were found).

    Examples
    --------
    >>> import pandas as pd
    >>> from centrereach import load_centres
    >>> load_centres(pd.DataFrame({"centre_id": ["birdholme"], "name": ["Birdholme"]}))
    Traceback (most recent call last):
    ...
    centrereach.errors.MissingColumnError: the centres table: no location columns. Give 'lat' ...
    """

    __str__ = CentrereachError.__str__


class InvalidCoordinateError(ValueError, CentrereachError):
    """Coordinates missing, non-numeric, swapped, outside Great Britain, or in disagreement.

    Examples
    --------
    >>> import pandas as pd
    >>> from centrereach import load_centres
    >>> load_centres(pd.DataFrame({"centre_id": ["birdholme"], "lat": [-1.425], "lon": [53.217]}))
    Traceback (most recent call last):
    ...
    centrereach.errors.InvalidCoordinateError: the centres table, row 2, ... look swapped ...
    """


class DuplicateIdError(ValueError, CentrereachError):
    """Two rows share an identifier that must be unique.

    Examples
    --------
    >>> import pandas as pd
    >>> from centrereach import load_centres
    >>> table = pd.DataFrame({"centre_id": ["a", "a"], "lat": [53.2, 53.3], "lon": [-1.4, -1.4]})
    >>> load_centres(table)
    Traceback (most recent call last):
    ...
    centrereach.errors.DuplicateIdError: the centres table, row 3, column 'centre_id': ...
    """


class UnknownPostcodeError(LookupError, CentrereachError):
    """A postcode is not in the postcode file (or the online lookup) used to geocode it.

    Examples
    --------
    >>> from centrereach.centres import geocode_postcodes
    >>> geocode_postcodes(["S41 7SL"])  # no postcode file, and online look-ups not allowed
    Traceback (most recent call last):
    ...
    centrereach.errors.UnknownPostcodeError: ... postcodes need a look-up. Pass postcodes=PATH ...
    """


class EmptyFileError(ValueError, CentrereachError):
    """The file exists but holds no data rows.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from centrereach import load_centres
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "centres.csv"
    >>> _ = path.write_text("centre_id,lat,lon\\n")
    >>> load_centres(path)
    Traceback (most recent call last):
    ...
    centrereach.errors.EmptyFileError: '...centres.csv': the centres file has no data rows ...
    """


class EncodingError(UnicodeError, CentrereachError):
    """The file is in none of the encodings centrereach reads (UTF-8, UTF-8 with BOM, cp1252).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from centrereach import load_centres
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "centres.csv"
    >>> # byte 0x81 is neither UTF-8 nor Windows-1252 (cp1252) text
    >>> _ = path.write_bytes(b"centre_id,lat,lon\\n\\x81,53.2,-1.4\\n")
    >>> load_centres(path)
    Traceback (most recent call last):
    ...
    centrereach.errors.EncodingError: '...centres.csv', row 2: cannot read the file as UTF-8 ...
    """


class VintageMismatchError(ValueError, CentrereachError):
    """Area codes of one LSOA vintage (2011 or 2021) were joined with data of the other.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> from centrereach import load_areas
    >>> cell = box(-1.4, 53.2, -1.39, 53.21)
    >>> lsoa21 = gpd.GeoDataFrame({"LSOA21CD": ["E01019400"]}, geometry=[cell], crs=4326)
    >>> imd2019 = pd.DataFrame({"LSOA11CD": ["E01019400"], "IMD rank": [1000], "IMD decile": [1]})
    >>> load_areas(lsoa21, deprivation=imd2019)
    Traceback (most recent call last):
    ...
    centrereach.errors.VintageMismatchError: the deprivation table uses LSOA 2011 codes but ...
    """


class GTFSError(DataFormatError):
    """A public transport timetable (GTFS feed) is not readable or not valid.

    The message names the feed, the file and the row (1-based, header = row 1) and says how to
    fix it. It is also a ``ValueError`` (via :class:`DataFormatError`).

    Examples
    --------
    >>> import datetime as dt
    >>> from centrereach.gtfs import example_feed
    >>> example_feed().check_date(dt.date(2023, 10, 10))
    Traceback (most recent call last):
    ...
    centrereach.errors.GTFSError: GTFS feed 'example', calendar.txt and calendar_dates.txt: ...
    """


class DataNotFoundError(FileNotFoundError, CentrereachError):
    """A data file is missing and could not be found locally or downloaded.

    Examples
    --------
    It is also a ``FileNotFoundError``:

    >>> from centrereach import load_centres
    >>> try:
    ...     load_centres("no-such-file.csv")
    ... except FileNotFoundError as err:
    ...     print(err)
    'no-such-file.csv': no such file (the centres file).
    """


class DownloadError(OSError, CentrereachError):
    """A download failed (HTTP error, timeout, truncated body or wrong checksum).

    Examples
    --------
    Its message names the dataset and the URL and says how to get the file by hand. It is also
    an ``OSError``, so code that already handles I/O failures catches it:

    >>> issubclass(DownloadError, OSError) and issubclass(DownloadError, CentrereachError)
    True
    """


class NetworkError(ValueError, CentrereachError):
    """A road network is missing attributes, empty, or cannot be read.

    Examples
    --------
    >>> import networkx as nx
    >>> from centrereach.traveltime import csr_from_graph
    >>> csr_from_graph(nx.MultiDiGraph())
    Traceback (most recent call last):
    ...
    centrereach.errors.NetworkError: the network is empty (it has no nodes); check the area ...
    """


class NetworkUnavailableError(DataNotFoundError):
    """No road network is available for a mode (no local file and no internet).

    Examples
    --------
    >>> from centrereach import load_network
    >>> load_network("no-such-file.osm.pbf", mode="drive")
    Traceback (most recent call last):
    ...
    centrereach.errors.NetworkUnavailableError: the drive network file ... does not exist. ...
    """


class OutputError(OSError, CentrereachError):
    """The outputs cannot be written where asked, and nothing was written there.

    The output folder is a file, the current folder, a folder holding the study's inputs, or a
    folder holding files centrereach did not write; or it is read-only, full, or in use by
    another run. The message names the folder and says what to do. It is also an ``OSError``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from centrereach import write_outputs
    >>> from centrereach.synthetic import synthetic_study
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("my notes")
    >>> write_outputs(synthetic_study(n_side=6, cells=2).run(progress=False), folder)
    Traceback (most recent call last):
    ...
    centrereach.errors.OutputError: the output folder '...' holds files centrereach did not ...
    >>> (folder / "notes.txt").read_text()
    'my notes'
    """


class UnknownCentreError(KeyError, CentrereachError):
    """A scenario names centre ids that are not in the centres file.

    Examples
    --------
    >>> import pandas as pd
    >>> from centrereach import nearest_centre
    >>> matrix = pd.DataFrame({"birdholme": [5.0], "brimington": [9.0]}, index=["E01019558"])
    >>> nearest_centre(matrix, ["holme-hall"])
    Traceback (most recent call last):
    ...
    centrereach.errors.UnknownCentreError: unknown centre ids: holme-hall; the matrix has ...
    """

    __str__ = CentrereachError.__str__


class UnknownScenarioError(KeyError, CentrereachError):
    """A scenario or travel mode asked of a study result is not in it.

    The message lists the scenarios (or modes) the result has.

    Examples
    --------
    >>> from centrereach.synthetic import synthetic_study
    >>> synthetic_study(n_side=6, cells=2).run(progress=False).scenario("close-three", "walk")
    Traceback (most recent call last):
    ...
    centrereach.errors.UnknownScenarioError: no scenario 'close-three' in this result; it has ...
    """

    __str__ = CentrereachError.__str__


class StudyFileError(ValueError, CentrereachError):
    """A study file (TOML) has a missing, unknown or invalid key.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from centrereach import Study
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "study.toml"
    >>> _ = path.write_text("[study]\\nname = 'x'\\ncolour = 'red'\\n")
    >>> Study.from_toml(path)
    Traceback (most recent call last):
    ...
    centrereach.errors.StudyFileError: ...study.toml, line 3, key 'study.colour': unknown key. ...
    """


class SolverError(RuntimeError, CentrereachError):
    """The MILP solver stopped without any feasible solution (time limit or solver failure).

    When the solver stops at ``time_limit_s`` *with* a feasible set,
    :func:`centrereach.optimise` returns it with ``optimal=False`` instead; this error
    means there is no answer at all. It is also a ``RuntimeError``.

    Examples
    --------
    >>> issubclass(SolverError, RuntimeError) and issubclass(SolverError, CentrereachError)
    True
    """


class CentrereachWarning(UserWarning):
    """Base class of centrereach's warnings.

    Filter them all at once with the standard :mod:`warnings` machinery, e.g.
    ``warnings.simplefilter("error", CentrereachWarning)`` to make them errors in a test suite,
    or ``"ignore"`` to silence them.

    Examples
    --------
    >>> sorted(cls.__name__ for cls in CentrereachWarning.__subclasses__())
    ['CoverageWarning', 'MapAssetsWarning', 'ModeSkippedWarning', 'NoServiceWarning',
     'OutsideStudyAreaWarning', 'SnapWarning', 'StopsOutsideNetworkWarning', 'UnreachableWarning']
    """


class OutsideStudyAreaWarning(CentrereachWarning):
    """Points (e.g. centres) lie outside the study area; they are kept.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from shapely.geometry import box
    >>> from centrereach import load_centres
    >>> table = pd.DataFrame({"centre_id": ["in", "out"], "lat": [53.2, 53.5], "lon": [-1.4, -1.4]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     centres = load_centres(table, study_area=box(-1.5, 53.1, -1.3, 53.3))
    >>> len(centres), caught[0].category.__name__
    (2, 'OutsideStudyAreaWarning')
    """


class SnapWarning(CentrereachWarning):
    """Points attach to the road network farther away than the snap threshold.

    Examples
    --------
    >>> import warnings
    >>> import geopandas as gpd, networkx as nx
    >>> from shapely.geometry import Point
    >>> from centrereach import snap
    >>> G = nx.MultiDiGraph(crs="epsg:4326", mode="walk")
    >>> G.add_node(1, x=-1.42, y=53.23); G.add_node(2, x=-1.43, y=53.23)
    >>> _ = G.add_edge(1, 2, travel_time=500.0); _ = G.add_edge(2, 1, travel_time=500.0)
    >>> home = gpd.GeoDataFrame(geometry=[Point(-1.42, 53.25)], crs=4326)  # about 2.2 km north
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     snapped = snap(G, home)
    >>> round(float(snapped["snap_m"].iloc[0]), -2), caught[0].category.__name__
    (2200.0, 'SnapWarning')
    """


class UnreachableWarning(CentrereachWarning):
    """Origins cannot reach any open centre (their time is ``inf``).

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from centrereach import nearest_centre
    >>> matrix = pd.DataFrame([[float("inf")]], index=["E01019558"], columns=["birdholme"])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     nearest = nearest_centre(matrix)
    >>> nearest["time_min"].tolist(), str(caught[0].message)
    ([inf], '1 of 1 origins reach no open centre (time inf): E01019558')
    """


class MapAssetsWarning(CentrereachWarning):
    """Maps could not be made self-contained: they link Leaflet from the internet instead.

    Raised when Leaflet's npm tarball is neither in the cache (intact) nor downloadable. The
    message says which file to download and where to put it.

    Examples
    --------
    >>> import tempfile, warnings
    >>> from centrereach.maps import leaflet_assets
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = leaflet_assets(assets_dir=tempfile.mkdtemp(), fetch=False)
    >>> "registry.npmjs.org/leaflet/-/leaflet-1.9.3.tgz" in str(caught[0].message)
    True
    """


class CoverageWarning(CentrereachWarning):
    """Areas are excluded, or lack deprivation or population data.

    Examples
    --------
    >>> import warnings
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> from centrereach import load_areas
    >>> cells = [box(-1.4, 53.2, -1.39, 53.21), box(-1.39, 53.2, -1.38, 53.21)]
    >>> lsoas = gpd.GeoDataFrame({"LSOA21CD": ["E01019400", "E01019401"]}, geometry=cells, crs=4326)
    >>> imd = pd.DataFrame({"LSOA21CD": ["E01019400"], "imd_rank": [1000], "imd_decile": [1]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     areas = load_areas(lsoas, deprivation=imd)
    >>> areas["imd_decile"].tolist()
    [1, <NA>]
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    1 area(s) have no deprivation data in the deprivation table; they are kept with empty
    values: E01019401
    """


class NoServiceWarning(CentrereachWarning):
    """No public transport runs on the study's date and window: transit times are walk times.

    A date with no service (a Sunday for a weekday-only feed, a bank holiday removed in
    ``calendar_dates.txt``) is not an error: a transit time is never worse than walking all the
    way, so every area gets its walking time, and this warning says so.

    Examples
    --------
    >>> issubclass(NoServiceWarning, CentrereachWarning) and issubclass(NoServiceWarning, Warning)
    True
    """


class StopsOutsideNetworkWarning(CentrereachWarning):
    """Stops of a GTFS feed lie outside the walk network; they are left out.

    A regional feed covers far more than a study's (clipped) walk network, so stops outside it
    are expected; the warning counts them and names the first ones (feed, ``stops.txt`` row).

    Examples
    --------
    >>> issubclass(StopsOutsideNetworkWarning, CentrereachWarning)
    True
    """


class ModeSkippedWarning(CentrereachWarning):
    """A travel mode the study asks for was not computed (e.g. transit without a GTFS feed).

    Examples
    --------
    >>> issubclass(ModeSkippedWarning, CentrereachWarning)
    True
    """
