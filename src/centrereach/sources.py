"""The official datasets: where they live, how to fetch, cache and verify them, offline first.

Every dataset centrereach reads is described once, in a registry of frozen :class:`Dataset`
records: who publishes it, which vintage, where the official file is, its licence and the
attribution text outputs must carry, and the checksum of its bytes where the file is fixed.

A file is looked for, in this order, and the first hit wins (no download):

1. the data folder passed as ``data_dir`` (the CLI's ``--data-dir``);
2. the data folder named by the ``CENTREREACH_DATA_DIR`` environment variable;
3. the download cache (``CENTREREACH_CACHE_DIR``, else the platform's user cache folder).

A data folder is laid out like the project's reference data (``../shared/data``): each dataset
sits at its :attr:`Dataset.local_name`, e.g. ``ons/lsoa21_bsc_england_wales.geojson``. A
file downloaded by hand from the official site may instead be saved under its official file name
in the same sub-folder (:attr:`Dataset.official_name`). Only when the file is found nowhere does
:func:`fetch` download it, with pooch, into the cache:

* from the official :attr:`Dataset.url`, verified against :attr:`Dataset.sha256` when known, and
  kept as ``<cache>/<official_name>``;
* or, for the few ONS datasets with no known whole-file URL, from the ONS ArcGIS FeatureServer
  layer :attr:`Dataset.arcgis_service`: its ``query`` operation returns at most 2,000 records a
  request, so the records are fetched page by page (``resultOffset``), checked against the
  layer's record count and assembled into one GeoJSON or CSV file with the official field
  names, kept as ``<cache>/<official_name>``;
* or, when a mirror is given (``base_url=`` / ``--mirror`` / ``CENTREREACH_MIRROR``), from
  ``<mirror>/<local_name>``: a mirror serves a data folder over HTTP (``python -m http.server``
  run inside a copy of it is enough). It is verified against :attr:`Dataset.local_sha256` and
  kept as ``<cache>/<local_name>``, so the cache is itself a valid data folder.

Downloads go to a temporary file beside the target and are moved into place only once complete
and verified: a failure (HTTP error, timeout, truncated body, wrong checksum; for a paged
download also an ``error`` answer, malformed JSON or a record count that does not add up) leaves
nothing in the cache and raises :class:`~centrereach.errors.DownloadError`, whose message says
what to do.

Examples
--------
>>> from centrereach.sources import dataset
>>> ds = dataset("iod2019-file1")
>>> ds.vintage, ds.lsoa_vintage
('IoD2019 (published 26 September 2019)', 2011)
>>> ds.licence
'Open Government Licence v3.0'
"""

from __future__ import annotations

import functools
import logging
import os
import posixpath
import sys
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from centrereach import _settings
from centrereach.errors import DataNotFoundError, DownloadError

__all__ = [
    "CACHE_ENV",
    "DATA_DIR_ENV",
    "MIRROR_ENV",
    "Dataset",
    "cache_dir",
    "data_dir",
    "dataset",
    "datasets",
    "fetch",
    "fetch_for_study",
    "locate",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV: Final = _settings.DATA_DIR_ENV
"""Environment variable naming a local data folder laid out like ``../shared/data``."""

CACHE_ENV: Final = _settings.CACHE_DIR_ENV
"""Environment variable overriding the cache folder (see :mod:`centrereach._settings`)."""

MIRROR_ENV: Final = _settings.MIRROR_ENV
"""Environment variable naming a mirror (``http(s)://host[:port][/prefix]``) of a data folder."""

_DEFAULT_TIMEOUT_S: Final = 60.0
_DEFAULT_RETRIES: Final = 2
_RETRY_PAUSE_S = 1.0  # pause before retry n is n * _RETRY_PAUSE_S (seconds); tests set it to 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    """One official dataset: provenance, licence, where the file is and how to check it.

    Attributes
    ----------
    id : str
        Short stable identifier, e.g. ``"ons-lsoa21-bsc"``.
    title : str
        The publisher's title.
    publisher : str
        Who publishes the official file.
    vintage : str
        Which edition, in words (e.g. ``"December 2021"``, ``"latest (updated daily)"``).
    lsoa_vintage : int or None
        The LSOA geography the data is keyed on (2011 or 2021); None when not keyed on LSOAs.
    page : str
        The official landing page, for a person to download the file by hand.
    url : str or None
        Direct download URL of the official file; None when no stable direct URL is known (then
        the file must come from a data folder, a mirror or a hand download from :attr:`page`).
    filename : str
        The official file's name, used for downloads from :attr:`url`.
    format : str
        Format of the official download (``"xlsx"``, ``"csv"``, ``"geojson"``, ``"zip"``,
        ``"osm.pbf"``).
    layout : str
        What the file at :attr:`local_name` holds (columns, sheets, rows).
    licence : str
        Licence of the data.
    attribution : str
        The attribution text that every output built from the data must carry.
    sha256 : str or None
        SHA-256 of the bytes served at :attr:`url`; None for files that change ("latest") or
        whose official bytes have not been checked.
    local_name : str
        Relative POSIX path of the file inside a data folder laid out like ``../shared/data``;
        also its path on a mirror and in the cache.
    local_sha256 : str or None
        SHA-256 of the file at :attr:`local_name` (what a data folder or mirror holds).
    repackaged : bool
        True when the file at :attr:`local_name` is not byte-identical to the official download
        (converted, renamed columns, or a subset); loaders must accept both forms.
    notes : str
        Anything a user should know (uncertain URLs, known quirks).
    arcgis_service : str or None
        URL of an ArcGIS FeatureServer layer serving the same data
        (``https://.../FeatureServer/0``). Used only when :attr:`url` is None: :func:`fetch` then
        pages through the layer's ``query`` operation and assembles the file (GeoJSON when
        :attr:`format` is ``"geojson"``, CSV when it is ``"csv"``).
    arcgis_fields : tuple of str
        The layer's fields to request, with their official names, in the order of the CSV
        columns. The first one must be unique (the area code): pages are ordered by it.
    arcgis_xy_srid : int or None
        For a CSV of points: the EPSG code in which the points are requested; their
        coordinates are added as the last two columns, ``x`` and ``y`` (as in the ONS CSV
        downloads of centroids). None for tables without geometry.

    Examples
    --------
    >>> record = dataset("ons-lsoa21-bsc")
    >>> record.local_name, record.lsoa_vintage
    ('ons/lsoa21_bsc_england_wales.geojson', 2021)
    """

    id: str
    title: str
    publisher: str
    vintage: str
    lsoa_vintage: int | None
    page: str
    url: str | None
    filename: str
    format: str
    layout: str
    licence: str
    attribution: str
    sha256: str | None
    local_name: str
    local_sha256: str | None
    repackaged: bool = False
    notes: str = ""
    arcgis_service: str | None = None
    arcgis_fields: tuple[str, ...] = ()
    arcgis_xy_srid: int | None = None

    def __post_init__(self) -> None:
        if self.arcgis_service is None:
            return
        if self.format not in {"geojson", "csv"}:
            msg = (
                f"dataset {self.id!r}: an ArcGIS FeatureServer download is assembled as GeoJSON "
                f"or CSV, so format must be 'geojson' or 'csv', not {self.format!r}"
            )
            raise ValueError(msg)
        if not self.arcgis_fields:
            msg = f"dataset {self.id!r}: arcgis_fields must name the fields to request"
            raise ValueError(msg)
        if self.arcgis_xy_srid is not None and self.format != "csv":
            msg = f"dataset {self.id!r}: arcgis_xy_srid applies to CSV downloads only"
            raise ValueError(msg)

    @property
    def official_name(self) -> str:
        """Relative path of the official download inside a data folder or the cache.

        It is :attr:`filename` in the sub-folder of :attr:`local_name`.

        >>> dataset("iod2019-file1").official_name
        'iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx'
        """
        return posixpath.join(posixpath.dirname(self.local_name), self.filename)

    @property
    def candidate_names(self) -> tuple[str, ...]:
        """Relative paths under which a data folder may hold the file, in order of preference."""
        if self.official_name == self.local_name:
            return (self.local_name,)
        return (self.local_name, self.official_name)

    def mirror_url(self, base_url: str) -> str:
        """URL of this dataset on a mirror of a data folder: ``base_url + "/" + local_name``.

        >>> dataset("ons-lad24-buc").mirror_url("http://127.0.0.1:8000/data/")
        'http://127.0.0.1:8000/data/ons/lad24_buc_uk.geojson'
        """
        return base_url.rstrip("/") + "/" + urllib.parse.quote(self.local_name, safe="/")


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

_OGL: Final = "Open Government Licence v3.0"
_ODBL: Final = "Open Database Licence (ODbL) v1.0"
_MHCLG: Final = "Ministry of Housing, Communities and Local Government"
_ONS: Final = "Office for National Statistics"
_ATTR_IOD19: Final = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Ministry of Housing, Communities and Local Government, "
    "English Indices of Deprivation 2019."
)
_ATTR_IOD25: Final = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Ministry of Housing, Communities and Local Government, "
    "English Indices of Deprivation 2025."
)
_ATTR_ONS_GEO: Final = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2025."
)
_ATTR_ONS_STATS: Final = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains National Statistics data © Crown copyright and database right."
)
_ATTR_OSM: Final = "© OpenStreetMap contributors, available under the Open Database Licence (ODbL)."
_ATTR_CODEPOINT: Final = (
    "Contains OS data © Crown copyright and database right 2025. "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025. "
    "Contains National Statistics data © Crown copyright and database right 2025."
)

_GEOPORTAL: Final = "https://geoportal.statistics.gov.uk/datasets/ons::"
_GOVUK_MEDIA: Final = "https://assets.publishing.service.gov.uk/media/"
_GOVUK_ATTACHMENT: Final = (
    "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/attachment_data/"
)
_ONS_ITEM_PAGE: Final = "https://geoportal.statistics.gov.uk/datasets/"
_ONS_HUB: Final = "https://open-geography-portalx-ons.hub.arcgis.com/api/download/v1/items/"
_IOD19_PAGE: Final = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
_IOD25_PAGE: Final = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
_SAPE_PAGE: Final = (
    "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
    "populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates"
)
_SAPE_FILE: Final = (
    "https://www.ons.gov.uk/file?uri=/peoplepopulationandcommunity/populationandmigration/"
    "populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates/"
)
_GEOFABRIK_ENGLAND: Final = "https://download.geofabrik.de/europe/united-kingdom/england/"
_ONS_FEATURES: Final = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
_ONS_ARCGIS_NOTE: Final = (
    "The ONS Open Geography Portal serves whole files through ArcGIS Hub download URLs of the "
    "form https://open-geography-portalx-ons.hub.arcgis.com/api/download/v1/items/<item id>/"
    "<format>?layers=0; no item id for this edition was found in the public sources checked, "
    "so no URL is recorded. centrereach instead pages through the ONS ArcGIS FeatureServer "
    "layer (arcgis_service, up to 2,000 records a request) and assembles the file from the "
    "official fields it names; if that service has moved, use the Download button on the page."
)
_ONS_HUB_NOTE: Final = (
    "The URL is the ArcGIS Hub export of the ONS portal item (the whole layer in one file, "
    "unlike the paged FeatureServer query service); the portal regenerates it when the item "
    "changes, so no checksum of the official bytes is recorded."
)

# Checksums of the files in ../shared/data (its SHA256SUMS). They apply to the file at
# local_name, i.e. to what a data folder or a mirror holds, not to the official download
# whenever the local copy is re-packaged.
_REGISTRY_LIST: Final[tuple[Dataset, ...]] = (
    # ---------------------------------------------------------------- ONS boundaries
    Dataset(
        id="ons-lsoa21-bsc",
        title="Lower layer Super Output Areas (December 2021) Boundaries EW BSC (V4)",
        publisher=_ONS,
        vintage="December 2021",
        lsoa_vintage=2021,
        page=_GEOPORTAL
        + "lower-layer-super-output-areas-december-2021-boundaries-ew-bsc-v4-2/about",
        # Item 04c65a08ecff4858bffc16e9ca9356f4 (Feature Service of this title, ONS catalogue as
        # captured in chris-page-gov/gis-ai-go okf-plus/source/ons-geography-items.json); the
        # same id is downloaded in public code (opendata.arcgis.com/api/v3/datasets/<id>_0 and
        # downloadArcGISGeoPackage("<id>"), read as layer LSOA_2021_EW_BSC_V4).
        url=_ONS_HUB + "04c65a08ecff4858bffc16e9ca9356f4/geojson?layers=0",
        filename="Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4.geojson",
        format="geojson",
        layout="35,672 polygons, WGS84 lon/lat; columns lsoa21_code, lsoa21_name",
        licence=_OGL,
        attribution=_ATTR_ONS_GEO,
        sha256=None,
        local_name="ons/lsoa21_bsc_england_wales.geojson",
        local_sha256="662194c5f6a2c4ec78ca8ab147b183919439c5187428bf8d38eb3f39965061d6",
        repackaged=True,
        notes="Official columns LSOA21CD, LSOA21NM, LSOA21NMW, BNG_E, BNG_N, LONG, LAT. "
        + _ONS_HUB_NOTE,
    ),
    Dataset(
        id="ons-lsoa11-bsc",
        title="Lower Layer Super Output Areas (December 2011) Boundaries Super Generalised "
        "Clipped (BSC) EW V3",
        publisher=_ONS,
        vintage="December 2011",
        lsoa_vintage=2011,
        page=_GEOPORTAL + "lower-layer-super-output-areas-december-2011-boundaries-super-"
        "generalised-clipped-bsc-ew-v3/about",
        url=None,
        # FeatureServer LSOA_Dec_2011_Boundaries_Super_Generalised_Clipped_BSC_EW_V3_2022 (the
        # ONS's 2022 re-publication): queried at services1.arcgis.com/ESMARspQHYMw9BZ9 in public
        # code (FedericoBotta/railfares dashboard/app.py and railfares/data_parsing.py, which join
        # its LSOA11CD to IoD2019 scores). The pre-2022 service
        # Lower_Layer_Super_Output_Areas_DEC_2011_EW_BSC_V3 (older humaniverse/geographr
        # data-raw/query-urls.R) is not used.
        arcgis_service=_ONS_FEATURES
        + "LSOA_Dec_2011_Boundaries_Super_Generalised_Clipped_BSC_EW_V3_2022/FeatureServer/0",
        arcgis_fields=("LSOA11CD", "LSOA11NM"),
        filename="Lower_Layer_Super_Output_Areas_December_2011_Boundaries_EW_BSC_V3.geojson",
        format="geojson",
        layout="34,753 polygons, WGS84 lon/lat; columns lsoa11_code, lsoa11_name "
        "(slightly further simplified than the official file)",
        licence=_OGL,
        attribution=_ATTR_ONS_GEO,
        sha256=None,
        local_name="ons/lsoa11_bsc_england_wales.geojson",
        local_sha256="6a7ec665ab0fa8c88df77da80de7a5efba9f00f62c221b19783b2c00bf08ff71",
        repackaged=True,
        notes="Official columns LSOA11CD, LSOA11NM. The ONS republished its 2011 boundaries in "
        "2022 (service LSOA_Dec_2011_Boundaries_Super_Generalised_Clipped_BSC_EW_V3_2022); the "
        "older item id e9d10c36ebed4ff3865c4389c2c98827 seen in public code may no longer be "
        "served. " + _ONS_ARCGIS_NOTE,
    ),
    Dataset(
        id="ons-lad24-buc",
        title="Local Authority Districts (May 2024) Boundaries UK BUC",
        publisher=_ONS,
        vintage="May 2024",
        lsoa_vintage=None,
        page=_GEOPORTAL + "local-authority-districts-may-2024-boundaries-uk-buc-2/about",
        # Item fb6ab0ce776243339e45e33444f431c8 (Feature Service of this title, ONS catalogue in
        # chris-page-gov/gis-ai-go okf-plus/source/ons-geography-items.json; also linked as
        # geoportal.statistics.gov.uk/datasets/<id>_0 in public code). Service name
        # Local_Authority_Districts_May_2024_Boundaries_UK_BUC.
        url=_ONS_HUB + "fb6ab0ce776243339e45e33444f431c8/geojson?layers=0",
        filename="Local_Authority_Districts_May_2024_Boundaries_UK_BUC.geojson",
        format="geojson",
        layout="361 polygons, WGS84 lon/lat; columns ltla24_code, ltla24_name",
        licence=_OGL,
        attribution=_ATTR_ONS_GEO,
        sha256=None,
        local_name="ons/lad24_buc_uk.geojson",
        local_sha256="1727969fd36acea7d97cfd10d080c98e15b5ec1ea1140fac7a4c86b449c3fddf",
        repackaged=True,
        notes="Official columns LAD24CD, LAD24NM, LAD24NMW, BNG_E, BNG_N, LONG, LAT, "
        "GlobalID. " + _ONS_HUB_NOTE,
    ),
    Dataset(
        id="ons-utla21-buc",
        title="Counties and Unitary Authorities (December 2021) Boundaries UK BUC",
        publisher=_ONS,
        vintage="December 2021",
        lsoa_vintage=None,
        # Page slug from memory, not checked offline.
        page=_GEOPORTAL + "counties-and-unitary-authorities-december-2021-uk-buc/about",
        url=None,
        # FeatureServer Counties_and_Unitary_Authorities_December_2021_UK_BUC: queried at
        # services1.arcgis.com/ESMARspQHYMw9BZ9 (f=geojson) in the fingertipscharts R package's
        # tests/testthat/test-map.R (UKHSA/DHSC). Hub exports named
        # Counties_and_Unitary_Authorities_December_2021_UK_BUC_2022_<n>.geojson in other public
        # repositories suggest a re-published ..._UK_BUC_2022 service; no query of it was seen.
        # Field names as in the other Dec 2021 CTYUA services queried in public code.
        arcgis_service=_ONS_FEATURES
        + "Counties_and_Unitary_Authorities_December_2021_UK_BUC/FeatureServer/0",
        arcgis_fields=("CTYUA21CD", "CTYUA21NM"),
        filename="Counties_and_Unitary_Authorities_December_2021_UK_BUC.geojson",
        format="geojson",
        layout="217 polygons, WGS84 lon/lat; columns utla21_code, utla21_name "
        "(Derbyshire = E10000007)",
        licence=_OGL,
        attribution=_ATTR_ONS_GEO,
        sha256=None,
        local_name="ons/utla21_buc_uk.geojson",
        local_sha256="6bec3df5bef725c3cd09736e4e33183bea407a6d9f68d39071360a4c47df18bb",
        repackaged=True,
        notes="Official columns CTYUA21CD, CTYUA21NM. The reference copy has the layout of "
        "geographr's boundaries_utla21, which was built from the May 2021 edition (Counties and "
        "Unitary Authorities (May 2021) UK BUC); the 217 areas and codes are the same. "
        + _ONS_ARCGIS_NOTE
        + " If this service is gone, the ONS may serve the same layer as "
        "Counties_and_Unitary_Authorities_December_2021_UK_BUC_2022 (a name inferred from the "
        "portal's export file names, not seen queried).",
    ),
    Dataset(
        id="ons-lsoa21-pwc",
        title="LSOA (December 2021) Population Weighted Centroids for England and Wales (V3)",
        publisher=_ONS,
        vintage="December 2021",
        lsoa_vintage=2021,
        # Page slug as cited in public code (service
        # LLSOA_Dec_2021_PWC_for_England_and_Wales_2022).
        page=_GEOPORTAL + "lsoa-dec-2021-pwc-for-england-and-wales/about",
        url=None,
        # FeatureServer LLSOA_Dec_2021_PWC_for_England_and_Wales_2022: queried at
        # services1.arcgis.com/ESMARspQHYMw9BZ9 in several public pipelines (scripts using a
        # get_ca_data helper, "base_url_lsoa_2021_centroids = .../FeatureServer/0/query", noting
        # "this is hit by the 2000 record limit"; a dlt REST source "lsoa_2021_pwc"). Its
        # shapefile export LSOA_PopCentroids_EW_2021_V3.shp is read by LSOA21CD in public code.
        # Points are requested in EPSG:27700 to give the official CSV's x, y columns.
        arcgis_service=_ONS_FEATURES
        + "LLSOA_Dec_2021_PWC_for_England_and_Wales_2022/FeatureServer/0",
        arcgis_fields=("LSOA21CD",),
        arcgis_xy_srid=27700,
        filename="LLSOA_Dec_2021_PWC_for_England_and_Wales_2022.csv",
        format="csv",
        layout="35,672 rows: LSOA21CD, GlobalID, lon, lat, easting, northing "
        "(easting/northing in EPSG:27700, metres)",
        licence=_OGL,
        attribution=_ATTR_ONS_GEO,
        sha256=None,
        local_name="ons/lsoa21_population_weighted_centroids.csv",
        local_sha256="1283386551fb0643710166cf17454bbb80bc527555361ade4388f34ae45ccfa2",
        repackaged=True,
        notes="The official CSV has x, y in EPSG:27700; the local copy adds lon/lat. A later "
        "edition is served as LSOA_PopCentroids_EW_2021_V4. " + _ONS_ARCGIS_NOTE,
    ),
    # ---------------------------------------------------------------- ONS lookups
    Dataset(
        id="ons-lookup-lsoa11-lsoa21-lad22",
        title="LSOA (2011) to LSOA (2021) to Local Authority District (2022) Exact Fit Lookup "
        "for EW (V3)",
        publisher=_ONS,
        vintage="2022 (V3, August 2024)",
        lsoa_vintage=2021,
        page=_ONS_ITEM_PAGE + "cbfe64cc03d74af982c1afec639bafd1_0/about",
        # Item cbfe64cc03d74af982c1afec639bafd1 (service LSOA11_LSOA21_LAD22_EW_LU_v5): in the
        # ONS catalogue (chris-page-gov/gis-ai-go), and its Hub CSV is downloaded in public code
        # (the streetlamp R package's data-raw, a police.uk crime pipeline's Wales look-up).
        # V3 replaced "... Lookup for England and Wales (Version 2)" (www.arcgis.com item
        # 5fc4ff82228846c2b893e3beba0e3751 in humaniverse/geographr data-raw/query-urls.R).
        url=_ONS_HUB + "cbfe64cc03d74af982c1afec639bafd1/csv?layers=0",
        filename="LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Exact_Fit_"
        "Lookup_for_EW_(V3).csv",
        format="csv",
        layout="35,795 rows: lsoa11_name, lsoa11_code, change_code (U/S/M/X), lsoa21_name, "
        "lsoa21_code, ltla22_name, ltla22_code",
        licence=_OGL,
        attribution=_ATTR_ONS_STATS,
        sha256=None,
        local_name="ons/lookup_lsoa11_lsoa21_lad22.csv",
        local_sha256="ddc782616aab916dc373169ff6d87bf3763c1c6fcb06068902f6de9bd3a02725",
        repackaged=True,
        notes="Official columns LSOA11CD, LSOA11NM, CHGIND, LSOA21CD, LSOA21NM, LAD22CD, "
        "LAD22NM, LAD22NMW (35,796 rows). The reference copy has the layout of geographr's "
        "lookup_lsoa11_lsoa21_ltla22, built from Version 2 (whose 2011 code column is "
        "F_LSOA11CD); V3 changed the change indicator of fewer than ten LSOAs from split to "
        "complex and corrected the names of four Shepway 2011 LSOAs. " + _ONS_HUB_NOTE,
    ),
    Dataset(
        id="ons-lookup-lsoa21-ward24-lad24",
        title="LSOA (2021) to Electoral Ward (2024) to LAD (2024) Best Fit Lookup in EW",
        publisher=_ONS,
        vintage="May 2024",
        lsoa_vintage=2021,
        page=_GEOPORTAL
        + "lsoa-2021-to-electoral-ward-2024-to-lad-2024-best-fit-lookup-in-ew/about",
        # Item 686527814d73403e8f0a59c7a28b0c34 (service LSOA21_WD24_LAD24_EW_LU): in the ONS
        # catalogue (chris-page-gov/gis-ai-go) and downloaded in public code as
        # hub.arcgis.com/api/v3/datasets/<id>_0/downloads/data?format=csv.
        url=_ONS_HUB + "686527814d73403e8f0a59c7a28b0c34/csv?layers=0",
        filename="LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv",
        format="csv",
        layout="35,672 rows: lsoa21_name, lsoa21_code, ward24_name, ward24_code, "
        "ltla24_name, ltla24_code",
        licence=_OGL,
        attribution=_ATTR_ONS_STATS,
        sha256=None,
        local_name="ons/lookup_lsoa21_ward24_lad24.csv",
        local_sha256="f6e5e7faaf254e28b36747247524928dbc5023259653ace095a704203382b8ae",
        repackaged=True,
        notes="Official columns LSOA21CD, LSOA21NM, LSOA21NMW, WD24CD, WD24NM, WD24NMW, "
        "LAD24CD, LAD24NM, LAD24NMW. The ONS later corrected the ward and district of "
        "E01027305 (West Northamptonshire 048E), so the official file may differ from the "
        "reference copy there. " + _ONS_HUB_NOTE,
    ),
    Dataset(
        id="ons-lookup-lad23-utla23",
        title="Lower Tier Local Authority to Upper Tier Local Authority (April 2023) Lookup "
        "in England and Wales",
        publisher=_ONS,
        vintage="April 2023",
        lsoa_vintage=None,
        # Page slug as cited in public code (LibrariesHacked/geography-db README); the file
        # name is not checked.
        page=_GEOPORTAL + "lower-tier-local-authority-to-upper-tier-local-authority-april-2023-"
        "lookup-in-england-and-wales/about",
        url=None,
        # FeatureServer LTLA23_UTLA23_EW_LU: in humaniverse/geographr data-raw/query-urls.R (id
        # ltla23_utla23, commit c5fb617c), read by data-raw/lookup_ltla23_utla23.R, which keeps
        # LTLA23CD, LTLA23NM, UTLA23CD, UTLA23NM; the reference copy is that package's output.
        arcgis_service=_ONS_FEATURES + "LTLA23_UTLA23_EW_LU/FeatureServer/0",
        arcgis_fields=("LTLA23CD", "LTLA23NM", "UTLA23CD", "UTLA23NM"),
        filename="Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(April_2023)_"
        "Lookup_in_England_and_Wales.csv",
        format="csv",
        layout="318 rows: ltla23_code, ltla23_name, utla23_code, utla23_name",
        licence=_OGL,
        attribution=_ATTR_ONS_STATS,
        sha256=None,
        local_name="ons/lookup_lad23_utla23.csv",
        local_sha256="f982697478f3a1c90ddbadb9f4fed19bc410ac2a1f10435afba6a5b093ce99fe",
        repackaged=True,
        notes="Official columns LTLA23CD, LTLA23NM, UTLA23CD, UTLA23NM. " + _ONS_ARCGIS_NOTE,
    ),
    # ---------------------------------------------------------------- ONS population
    Dataset(
        id="ons-sape-mid2020-lsoa11",
        title="Lower layer Super Output Area population estimates (supporting information), "
        "mid-2020, single year of age (SAPE23DT2)",
        publisher=_ONS,
        vintage="mid-2020 (LSOA 2011)",
        lsoa_vintage=2011,
        page=_SAPE_PAGE,
        url=_SAPE_FILE + "mid2020sape23dt2/sape23dt2mid2020lsoasyoaestimatesunformatted.xlsx",
        filename="sape23dt2mid2020lsoasyoaestimatesunformatted.xlsx",
        format="xlsx",
        layout="34,753 rows: lsoa11_name, lsoa11_code, total_population, 0, 1, ..., 89, 90 "
        "(90 = 90 and over); under-fives are ages 0-4",
        licence=_OGL,
        attribution=_ATTR_ONS_STATS,
        sha256=None,
        local_name="population/sape_mid2020_lsoa11_single_year_of_age.csv.gz",
        local_sha256="02f41b22b9b66efae71a57bf2338d0a7a52960bd7239c15e5f304394c9e2de3e",
        repackaged=True,
        notes="The official workbook has sheets 'Mid-2020 Persons', 'Mid-2020 Males', "
        "'Mid-2020 Females'; the local copy is the persons sheet as gzipped CSV.",
    ),
    Dataset(
        id="ons-sape-mid2022-lsoa21",
        title="Lower layer Super Output Area population estimates, mid-2019 to mid-2022, "
        "single year of age, LSOA 2021",
        publisher=_ONS,
        vintage="mid-2019 to mid-2022 (LSOA 2021)",
        lsoa_vintage=2021,
        page=_SAPE_PAGE,
        url=_SAPE_FILE + "mid2019tomid2022/sapelsoasyoa20192022.xlsx",
        filename="sapelsoasyoa20192022.xlsx",
        format="xlsx",
        layout="workbook, one sheet per year ('Mid-2022 LSOA 2021', ...), single year of age",
        licence=_OGL,
        attribution=_ATTR_ONS_STATS,
        sha256=None,
        local_name="population/sapelsoasyoa20192022.xlsx",
        local_sha256=None,
        notes="Not in the reference data; ONS has revised these estimates before, so no "
        "checksum is recorded.",
    ),
    # ---------------------------------------------------------------- IoD2019 (LSOA 2011)
    Dataset(
        id="iod2019-file1",
        title="English Indices of Deprivation 2019: File 1, Index of Multiple Deprivation",
        publisher=_MHCLG,
        vintage="IoD2019 (published 26 September 2019)",
        lsoa_vintage=2011,
        page=_IOD19_PAGE,
        url=_GOVUK_MEDIA
        + "5d8b3abded915d0373d3540f/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        filename="File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        format="xlsx",
        layout="32,844 rows: LSOA code (2011), LSOA name, LAD code/name (2019), IMD rank and "
        "decile; local copy is CSV (UTF-8 BOM, ranks with thousands separators)",
        licence=_OGL,
        attribution=_ATTR_IOD19,
        sha256=None,
        local_name="iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
        local_sha256="08eaaf9e55258b7b920531931ca601eb1a54760d8878afb1e70df5e904644f74",
        repackaged=True,
    ),
    Dataset(
        id="iod2019-file2",
        title="English Indices of Deprivation 2019: File 2, domains of deprivation",
        publisher=_MHCLG,
        vintage="IoD2019 (published 26 September 2019)",
        lsoa_vintage=2011,
        page=_IOD19_PAGE,
        url=_GOVUK_MEDIA + "5d8b3ade40f0b60999a23330/File_2_-_IoD2019_Domains_of_Deprivation.xlsx",
        filename="File_2_-_IoD2019_Domains_of_Deprivation.xlsx",
        format="xlsx",
        layout="32,844 rows: ranks and deciles of the IMD and its 7 domains",
        licence=_OGL,
        attribution=_ATTR_IOD19,
        sha256=None,
        local_name="iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
        local_sha256="c6e6fa32c444bf34a8511d4a15b43046e18cb6ff3d702daaf5cf505b6388efe0",
        repackaged=True,
    ),
    Dataset(
        id="iod2019-file5",
        title="English Indices of Deprivation 2019: File 5, scores for the indices",
        publisher=_MHCLG,
        vintage="IoD2019 (published 26 September 2019)",
        lsoa_vintage=2011,
        page=_IOD19_PAGE,
        url=_GOVUK_MEDIA + "5d8b3b51ed915d036a455aa6/File_5_-_IoD2019_Scores.xlsx",
        filename="File_5_-_IoD2019_Scores.xlsx",
        format="xlsx",
        layout="32,844 rows: scores of the IMD and its 7 domains",
        licence=_OGL,
        attribution=_ATTR_IOD19,
        sha256=None,
        local_name="iod2019/File_5_-_IoD2019_Scores.xlsx",
        local_sha256=None,
        notes="Not in the reference data.",
    ),
    Dataset(
        id="iod2019-file6",
        title="English Indices of Deprivation 2019: File 6, population denominators",
        publisher=_MHCLG,
        vintage="IoD2019 (published 26 September 2019); populations mid-2015",
        lsoa_vintage=2011,
        page=_IOD19_PAGE,
        # Legacy gov.uk attachment address (attachment 833980; File 1 is 833970), as listed in
        # anetobradley/energy_flex 02-EnergyModel/.../data/imd/README.md. Its /media/ asset id
        # was not found; legacy addresses of this form are still served (see File 7 below).
        url=_GOVUK_ATTACHMENT + "file/833980/File_6_-_IoD2019_Population_Denominators.xlsx",
        filename="File_6_-_IoD2019_Population_Denominators.xlsx",
        format="xlsx",
        layout="32,844 rows: mid-2015 total population, dependent children aged 0-15, "
        "16-59, 60 and over, working age",
        licence=_OGL,
        attribution=_ATTR_IOD19,
        sha256=None,
        local_name="iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz",
        local_sha256="f4ee47fbe7a8b2ccbc0c8575f92d7972ce99582c11412b1583aebbd3a6099995",
        repackaged=True,
    ),
    Dataset(
        id="iod2019-file7",
        title="English Indices of Deprivation 2019: File 7, all ranks, deciles and scores for "
        "the indices, and population denominators",
        publisher=_MHCLG,
        vintage="IoD2019 (published 26 September 2019)",
        lsoa_vintage=2011,
        page=_IOD19_PAGE,
        # Also served at the legacy address .../attachment_data/file/845345/<same name>.
        url=_GOVUK_MEDIA + "5dc407b440f0b6379a7acc8d/"
        "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
        filename="File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
        format="csv",
        layout="32,844 rows: scores, ranks and deciles of the IMD, its domains and "
        "supplementary indices, and the population denominators",
        licence=_OGL,
        attribution=_ATTR_IOD19,
        sha256=None,
        local_name="iod2019/File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_"
        "Denominators_3.csv",
        local_sha256=None,
        notes="Not in the reference data.",
    ),
    Dataset(
        id="iod2019-lsoa11-table",
        title="English Indices of Deprivation 2019, ranks and deciles by LSOA 2011 "
        "(re-packaged table)",
        publisher=_MHCLG,
        vintage="IoD2019 (published 26 September 2019)",
        lsoa_vintage=2011,
        page=_IOD19_PAGE,
        url=_GOVUK_MEDIA + "5d8b3ade40f0b60999a23330/File_2_-_IoD2019_Domains_of_Deprivation.xlsx",
        filename="File_2_-_IoD2019_Domains_of_Deprivation.xlsx",
        format="xlsx",
        layout="lsoa11_code, IMD_decile, <domain>_decile..., IMD_rank, <domain>_rank...",
        licence=_OGL,
        attribution=_ATTR_IOD19,
        sha256=None,
        local_name="iod2019/imd2019_england_lsoa11_ranks_deciles.csv",
        local_sha256="0fbbf6d01ae59b0f5a59dd6241df510fd8155e152ded08338189e18e4b1e2a6b",
        repackaged=True,
        notes="Built from official File 2, which is what is downloaded when no data folder "
        "or mirror holds the table.",
    ),
    # ---------------------------------------------------------------- IoD2025 (LSOA 2021)
    # gov.uk asset URLs of the files as re-issued (v2) in November 2025, seen in public code;
    # the 30 October 2025 originals had other asset ids. Check the page if one 404s.
    Dataset(
        id="iod2025-file1",
        title="English Indices of Deprivation 2025: File 1, Index of Multiple Deprivation",
        publisher=_MHCLG,
        vintage="IoD2025 (published 30 October 2025)",
        lsoa_vintage=2021,
        page=_IOD25_PAGE,
        url=_GOVUK_MEDIA
        + "691dece32c6b98ecdbc500d5/File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx",
        filename="File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx",
        format="xlsx",
        layout="33,755 rows (sheet 'IMD25'): LSOA code (2021), LSOA name, LAD code/name "
        "(2024), IMD rank and decile",
        licence=_OGL,
        attribution=_ATTR_IOD25,
        sha256=None,
        local_name="iod2025/File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx",
        local_sha256=None,
        notes="Not in the reference data.",
    ),
    Dataset(
        id="iod2025-file2",
        title="English Indices of Deprivation 2025: File 2, domains of deprivation",
        publisher=_MHCLG,
        vintage="IoD2025 (published 30 October 2025)",
        lsoa_vintage=2021,
        page=_IOD25_PAGE,
        url=_GOVUK_MEDIA + "691decfae39a085bda43efcd/File_2_IoD2025_Domains_of_Deprivation.xlsx",
        filename="File_2_IoD2025_Domains_of_Deprivation.xlsx",
        format="xlsx",
        layout="33,755 rows (sheet 'IoD2025 Domains'): ranks and deciles of the IMD and its "
        "7 domains",
        licence=_OGL,
        attribution=_ATTR_IOD25,
        sha256=None,
        local_name="iod2025/File_2_IoD2025_Domains_of_Deprivation.xlsx",
        local_sha256=None,
        notes="Not in the reference data.",
    ),
    Dataset(
        id="iod2025-file5",
        title="English Indices of Deprivation 2025: File 5, scores for the indices of deprivation",
        publisher=_MHCLG,
        vintage="IoD2025 (published 30 October 2025)",
        lsoa_vintage=2021,
        page=_IOD25_PAGE,
        url=_GOVUK_MEDIA
        + "691ded34513046b952c500bd/File_5_IoD2025_Scores_for_the_Indices_of_Deprivation.xlsx",
        filename="File_5_IoD2025_Scores_for_the_Indices_of_Deprivation.xlsx",
        format="xlsx",
        layout="33,755 rows (sheet 'IoD2025 Scores'): scores of the IMD and its 7 domains",
        licence=_OGL,
        attribution=_ATTR_IOD25,
        sha256=None,
        local_name="iod2025/File_5_IoD2025_Scores_for_the_Indices_of_Deprivation.xlsx",
        local_sha256=None,
        notes="Not in the reference data.",
    ),
    Dataset(
        id="iod2025-file6",
        title="English Indices of Deprivation 2025: File 6, population denominators",
        publisher=_MHCLG,
        vintage="IoD2025 (published 30 October 2025); populations mid-2022",
        lsoa_vintage=2021,
        page=_IOD25_PAGE,
        url=_GOVUK_MEDIA + "691ded46513046b952c500be/File_6_IoD2025_Population_Denominators.xlsx",
        filename="File_6_IoD2025_Population_Denominators.xlsx",
        format="xlsx",
        layout="mid-2022 total population, dependent children aged 0-15, 16-59, 60 and over, "
        "working age 18-66; the local copy holds Derbyshire's 499 LSOAs only",
        licence=_OGL,
        attribution=_ATTR_IOD25,
        sha256=None,
        local_name="iod2025/File_6_IoD2025_Population_Denominators_DERBYSHIRE.csv",
        local_sha256="ccf8b4db23090c694ce0626ef7a023e321b285f938752c2ada4b2cb7f856dbb5",
        repackaged=True,
        notes="The local copy is a transcribed Derbyshire subset in the official column "
        "layout; the official file covers all 33,755 LSOAs of England.",
    ),
    Dataset(
        id="iod2025-file7",
        title="English Indices of Deprivation 2025: File 7, all ranks, scores, deciles and "
        "population denominators",
        publisher=_MHCLG,
        vintage="IoD2025 (published 30 October 2025)",
        lsoa_vintage=2021,
        page=_IOD25_PAGE,
        url=_GOVUK_MEDIA + "691ded56d140bbbaa59a2a7d/"
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        filename="File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        format="csv",
        layout="33,755 rows: scores, ranks and deciles of the IMD, its domains and "
        "supplementary indices, and the population denominators",
        licence=_OGL,
        attribution=_ATTR_IOD25,
        sha256=None,
        local_name="iod2025/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        local_sha256=None,
        notes="Not in the reference data.",
    ),
    Dataset(
        id="iod2025-lsoa21-table",
        title="English Indices of Deprivation 2025, scores, ranks and deciles by LSOA 2021 "
        "(re-packaged table)",
        publisher=_MHCLG,
        vintage="IoD2025 (published 30 October 2025)",
        lsoa_vintage=2021,
        page=_IOD25_PAGE,
        url=_GOVUK_MEDIA + "691ded56d140bbbaa59a2a7d/"
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        filename="File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        format="csv",
        layout="33,755 rows: lsoa21_code, IMD_decile, <domain>_decile..., IMD_rank, "
        "<domain>_rank..., IMD_score, <domain>_score...",
        licence=_OGL,
        attribution=_ATTR_IOD25,
        sha256=None,
        local_name="iod2025/imd2025_england_lsoa21_scores_ranks_deciles.csv",
        local_sha256="0285254d11e0a0bed62b265cba31a5e9ecce1146dc2e1b011455775c23432177",
        repackaged=True,
        notes="Same content as official File 7, which is what is downloaded when no data "
        "folder or mirror holds the table.",
    ),
    # ---------------------------------------------------------------- postcodes
    Dataset(
        id="os-codepoint-open",
        title="OS Code-Point Open",
        publisher="Ordnance Survey",
        vintage="latest (updated quarterly); the reference data holds May 2025",
        lsoa_vintage=None,
        page="https://osdatahub.os.uk/downloads/open/CodePointOpen",
        url="https://api.os.uk/downloads/v1/products/CodePointOpen/downloads"
        "?area=GB&format=CSV&redirect",
        filename="codepo_gb.zip",
        format="zip",
        layout="local copy: the 116,410 postcodes of the DE, S, SK, NG and ST areas: Postcode, "
        "Positional_quality_indicator, Eastings, Northings (EPSG:27700, metres), ..., "
        "longitude, latitude",
        licence=_OGL,
        attribution=_ATTR_CODEPOINT,
        sha256=None,
        local_name="postcodes/codepoint_open_2025-05_DE_S_SK_NG_ST.csv.gz",
        local_sha256="0676a583d1d9f3b9a595d6d365ad81458f2e5b1859f6e14e9c7630887999e616",
        repackaged=True,
        notes="The official download is a zip of one headerless CSV per postcode area "
        "(about 20 MB) and changes every quarter, so it has no fixed checksum.",
    ),
    # ---------------------------------------------------------------- road networks
    Dataset(
        id="geofabrik-derbyshire-latest",
        title="OpenStreetMap extract of Derbyshire (Geofabrik)",
        publisher="Geofabrik GmbH / OpenStreetMap contributors",
        vintage="latest (updated daily)",
        lsoa_vintage=None,
        page=_GEOFABRIK_ENGLAND + "derbyshire.html",
        url=_GEOFABRIK_ENGLAND + "derbyshire-latest.osm.pbf",
        filename="derbyshire-latest.osm.pbf",
        format="osm.pbf",
        layout="OSM PBF: nodes, ways, relations of the ceremonial county of Derbyshire "
        "(includes Derby city)",
        licence=_ODBL,
        attribution=_ATTR_OSM,
        sha256=None,
        local_name="osm/derbyshire-latest.osm.pbf",
        local_sha256=None,
        notes="Changes daily: no checksum (Geofabrik publishes an .md5 beside it).",
    ),
    Dataset(
        id="geofabrik-rutland-latest",
        title="OpenStreetMap extract of Rutland (Geofabrik)",
        publisher="Geofabrik GmbH / OpenStreetMap contributors",
        vintage="latest (updated daily)",
        lsoa_vintage=None,
        page=_GEOFABRIK_ENGLAND + "rutland.html",
        url=_GEOFABRIK_ENGLAND + "rutland-latest.osm.pbf",
        filename="rutland-latest.osm.pbf",
        format="osm.pbf",
        layout="OSM PBF: nodes, ways, relations of Rutland",
        licence=_ODBL,
        attribution=_ATTR_OSM,
        sha256=None,
        local_name="osm/rutland-latest.osm.pbf",
        local_sha256=None,
        notes="Changes daily: no checksum (Geofabrik publishes an .md5 beside it).",
    ),
    Dataset(
        id="osm-rutland-2018",
        title="OpenStreetMap extract of Rutland, 27 February 2018 (Geofabrik)",
        publisher="Geofabrik GmbH / OpenStreetMap contributors",
        vintage="2018-02-27",
        lsoa_vintage=None,
        page=_GEOFABRIK_ENGLAND + "rutland.html",
        # Geofabrik does not keep dated extracts this old on its public server.
        url=None,
        filename="rutland-180227.osm.pbf",
        format="osm.pbf",
        layout="OSM PBF, 1.2 MB: ~113k nodes, ~10.5k ways (~3k drivable highways); bbox lon "
        "-0.823..-0.428, lat 52.524..52.761",
        licence=_ODBL,
        attribution=_ATTR_OSM,
        sha256=None,
        local_name="osm/rutland-2018-02-27.osm.pbf",
        local_sha256="1ff975d78688c22977b3e01d527418ac01e0a87e8f4daa10bf8fd4fe55b8de03",
        notes="A whole county for end-to-end examples; only in the reference data.",
    ),
    Dataset(
        id="osm-chesterfield-2018",
        title="OpenStreetMap extract of Chesterfield, 21 May 2018",
        publisher="OpenStreetMap contributors",
        vintage="2018-05-21",
        lsoa_vintage=None,
        page="https://www.openstreetmap.org/",
        url=None,
        filename="chesterfield-2018-05-21.osm.pbf",
        format="osm.pbf",
        layout="OSM PBF, 0.9 MB: box lon -1.538..-1.379, lat 53.195..53.275; ~98k nodes, "
        "6,805 highway ways (3,924 drivable); element versions and timestamps stripped",
        licence=_ODBL,
        attribution=_ATTR_OSM,
        sha256=None,
        local_name="osm/chesterfield-2018-05-21.osm.pbf",
        local_sha256="3967df6c4c797cd6f1c522176e5073e8c165f204da1e716c172b5a14981738a6",
        notes="Cut from OpenStreetMap data for tests; only in the reference data.",
    ),
)

_REGISTRY: Final[Mapping[str, Dataset]] = {ds.id: ds for ds in _REGISTRY_LIST}

# What a study needs, by LSOA vintage: role -> dataset id (see fetch_for_study).
_STUDY_DATASETS: Final[Mapping[int, Mapping[str, str]]] = {
    2021: {
        "lsoa_boundaries": "ons-lsoa21-bsc",
        "centroids": "ons-lsoa21-pwc",
        "deprivation": "iod2025-lsoa21-table",
        "population": "iod2025-file6",
        "population_single_year": "ons-sape-mid2020-lsoa11",
        "lookup_lsoa11_lsoa21": "ons-lookup-lsoa11-lsoa21-lad22",
        "lookup_lsoa21_ward_lad": "ons-lookup-lsoa21-ward24-lad24",
        "lookup_lad_utla": "ons-lookup-lad23-utla23",
        "districts": "ons-lad24-buc",
        "counties": "ons-utla21-buc",
    },
    2011: {
        "lsoa_boundaries": "ons-lsoa11-bsc",
        "deprivation": "iod2019-lsoa11-table",
        "population": "iod2019-file6",
        "population_single_year": "ons-sape-mid2020-lsoa11",
        "lookup_lsoa11_lsoa21": "ons-lookup-lsoa11-lsoa21-lad22",
        "lookup_lad_utla": "ons-lookup-lad23-utla23",
        "districts": "ons-lad24-buc",
        "counties": "ons-utla21-buc",
    },
}

# Study areas with a known road-network extract: lower-case code or name -> dataset id.
_ROAD_EXTRACTS: Final[Mapping[str, str]] = {
    "e10000007": "geofabrik-derbyshire-latest",
    "derbyshire": "geofabrik-derbyshire-latest",
    "e06000017": "geofabrik-rutland-latest",
    "rutland": "geofabrik-rutland-latest",
}


# --------------------------------------------------------------------------------------------
# Look-ups
# --------------------------------------------------------------------------------------------


def dataset(id: str) -> Dataset:
    """Return the registry record of one official dataset.

    Parameters
    ----------
    id : str
        Dataset identifier, e.g. ``"ons-lsoa21-bsc"`` (see :func:`datasets`).

    Returns
    -------
    Dataset
        The frozen record.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        If no dataset has that id; the message lists the known ids.

    Examples
    --------
    >>> dataset("geofabrik-derbyshire-latest").url
    'https://download.geofabrik.de/europe/united-kingdom/england/derbyshire-latest.osm.pbf'
    >>> dataset("geofabrik-derbyshire-latest").sha256 is None  # "latest": changes daily
    True
    """
    try:
        return _REGISTRY[id]
    except KeyError:
        msg = f"unknown dataset id {id!r}; known ids: {', '.join(sorted(_REGISTRY))}"
        raise DataNotFoundError(msg) from None


def datasets() -> list[Dataset]:
    """Return every registered dataset, in registry order (boundaries, lookups, IoD, ...).

    Returns
    -------
    list of Dataset
        A new list; the records themselves are frozen.

    Examples
    --------
    >>> ids = [ds.id for ds in datasets()]
    >>> "ons-lsoa21-bsc" in ids and "iod2025-file7" in ids
    True
    """
    return list(_REGISTRY_LIST)


def data_dir() -> Path | None:
    """Return the data folder named by ``CENTREREACH_DATA_DIR``, or None when it is unset.

    The folder is laid out like ``../shared/data`` (see :attr:`Dataset.local_name`). It is not
    checked for existence here.

    Returns
    -------
    pathlib.Path or None
        The folder, with ``~`` expanded.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop("CENTREREACH_DATA_DIR", None)
    >>> data_dir() is None
    True
    >>> os.environ["CENTREREACH_DATA_DIR"] = "/srv/centrereach-data"
    >>> data_dir().name
    'centrereach-data'
    >>> del os.environ["CENTREREACH_DATA_DIR"]
    >>> if saved is not None:
    ...     os.environ["CENTREREACH_DATA_DIR"] = saved
    """
    return _settings.data_dir()


def cache_dir() -> Path:
    """Return the download cache folder (it is created only when something is downloaded).

    ``CENTREREACH_CACHE_DIR`` overrides the default, the platform's user cache folder for
    centrereach (e.g. ``~/.cache/centrereach`` on Linux).

    Returns
    -------
    pathlib.Path
        The cache folder.

    Examples
    --------
    >>> import pathlib
    >>> isinstance(cache_dir(), pathlib.Path)
    True
    """
    return _settings.cache_dir("datasets")


def _as_dataset(item: str | Dataset) -> Dataset:
    return item if isinstance(item, Dataset) else dataset(item)


def _search_roots(data_dir_: Path | None, cache: Path | None) -> list[Path]:
    """Folders to search, in order, without duplicates: given data dir, env data dir, cache.

    A data folder that was asked for but does not exist is an error (most likely a typo), not
    a reason to download silently.
    """
    roots: list[Path] = []
    wanted = (
        (data_dir_, "--data-dir"),
        (_settings.data_dir(), DATA_DIR_ENV),
        (cache if cache is not None else _settings.cache_dir("datasets"), None),
    )
    for root, origin in wanted:
        if root is None:
            continue
        root = Path(root).expanduser()
        if origin is not None and not root.is_dir():
            msg = f"the data folder {root} (from {origin}) does not exist or is not a folder"
            raise DataNotFoundError(msg)
        if root not in roots:
            roots.append(root)
    return roots


def locate(
    id: str | Dataset,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> Path | None:
    """Find a dataset's file locally, without downloading anything.

    Looks in ``data_dir``, then in the folder named by ``CENTREREACH_DATA_DIR``, then in the
    cache; in each folder first at :attr:`Dataset.local_name`, then at
    :attr:`Dataset.official_name` (a file downloaded by hand from the official site).

    Parameters
    ----------
    id : str or Dataset
        Dataset identifier (or record).
    data_dir : path-like, optional
        A data folder laid out like ``../shared/data``.
    cache : path-like, optional
        The cache folder; default :func:`cache_dir`.

    Returns
    -------
    pathlib.Path or None
        The file, or None when it is in none of the folders.

    Raises
    ------
    centrereach.errors.DataNotFoundError
        If ``id`` is not a known dataset, or ``data_dir`` (or ``CENTREREACH_DATA_DIR``) names a
        folder that does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> locate("ons-lad24-buc", data_dir=folder, cache=folder / "cache") is None
    True
    >>> target = folder / "ons" / "lad24_buc_uk.geojson"
    >>> target.parent.mkdir()
    >>> _ = target.write_text('{"type": "FeatureCollection", "features": []}')
    >>> locate("ons-lad24-buc", data_dir=folder) == target
    True
    """
    ds = _as_dataset(id)
    given = Path(data_dir) if data_dir is not None else None
    cache_path = Path(cache) if cache is not None else None
    for root in _search_roots(given, cache_path):
        for name in ds.candidate_names:
            path = root / name
            if path.is_file():
                logger.debug("dataset %s found at %s", ds.id, path)
                return path
    return None


# --------------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------------


def _mirror_base(base_url: str | None) -> str | None:
    value = _settings.mirror_url(base_url)
    if value is None:
        return None
    scheme = urllib.parse.urlsplit(value).scheme.lower()
    if scheme not in {"http", "https"}:
        msg = (
            f"mirror URL {value!r} must start with http:// or https:// "
            f"(from {'base_url' if base_url is not None else MIRROR_ENV})"
        )
        raise DownloadError(msg)
    return value


def _hand_download_advice(ds: Dataset) -> str:
    where = ds.url if ds.url is not None else ds.page
    also = f" (dataset page: {ds.page})" if ds.url is not None else ""
    return (
        f"Download it by hand from {where}{also}, save it as DATA_DIR/{ds.official_name}, "
        f"and pass --data-dir DATA_DIR (or set {DATA_DIR_ENV}); or point --mirror / "
        f"{MIRROR_ENV} at a server holding a copy of a data folder."
    )


def _describe_failure(exc: BaseException) -> tuple[str, bool]:
    """Say what went wrong in words, and whether trying again may help."""
    import requests

    if isinstance(exc, requests.HTTPError):
        response = exc.response
        status = response.status_code if response is not None else None
        reason = response.reason if response is not None else ""
        retry = status is None or status >= 500 or status == 429
        if status == 404:
            return "HTTP 404 Not Found: the server has no file at this address", False
        return f"HTTP {status} {reason}".strip(), retry
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return f"the server did not answer in time (timeout; {exc})", True
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in str(exc):
        return (
            f"the connection closed before the whole file arrived (truncated download; {exc})",
            True,
        )
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "NameResolutionError" in text or "Failed to resolve" in text:
            # No DNS: almost always no internet connection; trying again will not help.
            return f"could not find the server (no internet connection?) ({exc})", False
        return f"could not connect ({exc})", True
    if isinstance(exc, requests.RequestException):
        return f"request failed ({exc})", True
    return f"{type(exc).__name__}: {exc}", False


def _download(
    ds: Dataset,
    url: str,
    target: Path,
    known_hash: str | None,
    *,
    progress: bool,
    timeout_s: float,
    retries: int,
) -> Path:
    """Download ``url`` to ``target`` with pooch (temp file, verify, move), retrying."""
    import pooch

    from centrereach import __version__

    downloader = pooch.HTTPDownloader(
        progressbar=progress,
        timeout=timeout_s,
        headers={"User-Agent": f"centrereach/{__version__} (+pooch)"},
    )
    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    attempts = max(0, retries) + 1
    for attempt in range(1, attempts + 1):
        logger.info("downloading dataset %s from %s (attempt %d)", ds.id, url, attempt)
        try:
            path = pooch.retrieve(
                url,
                known_hash=f"sha256:{known_hash}" if known_hash else None,
                fname=target.name,
                path=target.parent,
                downloader=downloader,
            )
        except Exception as exc:
            _remove_leftovers(created)
            if isinstance(exc, ValueError) and "hash" in str(exc).lower():
                reason = (
                    f"the downloaded bytes do not match the registered SHA-256 {known_hash} "
                    f"({exc}); the file on the server has changed or is corrupt"
                )
                retry = False
            else:
                reason, retry = _describe_failure(exc)
            if retry and attempt < attempts:
                pause = attempt * _RETRY_PAUSE_S
                logger.warning(
                    "download of %s failed (%s); retrying in %.0f s", ds.id, reason, pause
                )
                time.sleep(pause)
                continue
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            msg = (
                f"could not download dataset {ds.id!r} ({ds.title}) from {url}{tries}: {reason}. "
                f"Nothing was saved in the cache ({target.parent}). {_hand_download_advice(ds)}"
            )
            raise DownloadError(msg) from exc
        if not known_hash:
            logger.info("dataset %s has no registered checksum; saved unverified", ds.id)
        return Path(path)
    raise AssertionError("unreachable")  # pragma: no cover


def _remove_leftovers(created: Iterable[Path]) -> None:
    """Remove the folders this download created, if they are empty.

    pooch writes to a temporary file beside the target, moves it into place only once complete
    and verified, and deletes it on failure, so no partial file is left to remove.
    """
    for folder in created:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            break


# --------------------------------------------------------------------------------------------
# ArcGIS FeatureServer downloads (paged queries assembled into one file)
# --------------------------------------------------------------------------------------------

_ARCGIS_PAGE_SIZE: Final = 2000  # the ONS layers' maxRecordCount; a server may send fewer


class _ArcGISFailure(Exception):
    """One request of a paged download failed: what was asked, why, and after how many tries."""

    def __init__(self, what: str, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.what = what
        self.reason = reason
        self.attempts = attempts


def _arcgis_error(payload: Mapping[str, object]) -> tuple[str, bool] | None:
    """The ``error`` object ArcGIS returns (with HTTP 200) in words, and whether to retry."""
    error = payload.get("error")
    if error is None:
        return None
    code: object = None
    message = str(error)
    if isinstance(error, Mapping):
        code = error.get("code")
        message = str(error.get("message") or "no message")
        details = error.get("details")
        if isinstance(details, list) and details:
            message += " (" + "; ".join(str(d) for d in details) + ")"
    retry = isinstance(code, int) and (code >= 500 or code == 429)
    return f"the service answered with an error: code {code}, {message}", retry


def _arcgis_request(
    ds: Dataset,
    session: Any,
    url: str,
    params: Mapping[str, str],
    *,
    what: str,
    timeout_s: float,
    retries: int,
) -> dict[str, Any]:
    """GET one ArcGIS REST answer as a JSON object, retrying as :func:`_download` does."""
    import json

    attempts = max(0, retries) + 1
    for attempt in range(1, attempts + 1):
        logger.debug("dataset %s: requesting %s (attempt %d)", ds.id, what, attempt)
        try:
            response = session.get(url, params=params, timeout=timeout_s)
            response.raise_for_status()
        except Exception as exc:
            reason, retry = _describe_failure(exc)
        else:
            try:
                payload = json.loads(response.content)
            except ValueError as exc:
                start = response.content[:80].decode("utf-8", "replace")
                reason, retry = f"the answer is not valid JSON ({exc}; it starts {start!r})", False
            else:
                if not isinstance(payload, dict):
                    reason = f"the answer is JSON but not an object ({type(payload).__name__})"
                    retry = False
                else:
                    failed = _arcgis_error(payload)
                    if failed is None:
                        return payload
                    reason, retry = failed
        if retry and attempt < attempts:
            pause = attempt * _RETRY_PAUSE_S
            logger.warning(
                "download of %s: %s failed (%s); retrying in %.0f s", ds.id, what, reason, pause
            )
            time.sleep(pause)
            continue
        raise _ArcGISFailure(what, reason, attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _arcgis_page_params(ds: Dataset, offset: int) -> dict[str, str]:
    params = {
        "where": "1=1",
        "outFields": ",".join(ds.arcgis_fields),
        "orderByFields": ds.arcgis_fields[0],
        "resultOffset": str(offset),
        "resultRecordCount": str(_ARCGIS_PAGE_SIZE),
    }
    if ds.format == "geojson":
        params.update(outSR="4326", f="geojson")
    elif ds.arcgis_xy_srid is not None:
        params.update(returnGeometry="true", outSR=str(ds.arcgis_xy_srid), f="json")
    else:
        params.update(returnGeometry="false", f="json")
    return params


def _exceeded_transfer_limit(payload: Mapping[str, Any]) -> bool:
    """``exceededTransferLimit`` of a page: top level (f=json) or in ``properties`` (f=geojson)."""
    if payload.get("exceededTransferLimit") is True:
        return True
    properties = payload.get("properties")
    return isinstance(properties, Mapping) and properties.get("exceededTransferLimit") is True


class _GeoJSONWriter:
    """Writes the features of the pages as one GeoJSON FeatureCollection, as they come."""

    def __init__(self, ds: Dataset, stream: Any) -> None:
        self.code = ds.arcgis_fields[0]
        self.stream = stream
        self.count = 0
        stream.write('{"type": "FeatureCollection", "features": [\n')

    def add(self, feature: object) -> str | None:
        import json

        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            return "a page holds something that is not a GeoJSON feature"
        properties = feature.get("properties")
        if not isinstance(properties, Mapping) or self.code not in properties:
            return f"a feature has no {self.code} property"
        if "geometry" not in feature:
            return f"feature {properties[self.code]} has no geometry"
        if self.count:
            self.stream.write(",\n")
        self.stream.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        self.count += 1
        return None

    def close(self) -> None:
        self.stream.write("\n]}\n")


class _CSVWriter:
    """Writes the attributes (and point coordinates) of the pages' features as one CSV."""

    def __init__(self, ds: Dataset, stream: Any) -> None:
        import csv

        self.fields = ds.arcgis_fields
        self.xy = ds.arcgis_xy_srid is not None
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow([*self.fields, *(("x", "y") if self.xy else ())])

    def add(self, feature: object) -> str | None:
        attributes = feature.get("attributes") if isinstance(feature, Mapping) else None
        if not isinstance(attributes, Mapping):
            return "a feature of a page has no attributes"
        # The service spells field names its own way; match them without regard to case.
        by_name = {str(k).casefold(): v for k, v in attributes.items()}
        row: list[object] = []
        for name in self.fields:
            if name.casefold() not in by_name:
                return f"a feature has no field {name} (it has {', '.join(map(str, attributes))})"
            value = by_name[name.casefold()]
            row.append("" if value is None else value)
        if self.xy:
            geometry = feature.get("geometry") if isinstance(feature, Mapping) else None
            if geometry is None:
                row += ["", ""]
            elif isinstance(geometry, Mapping) and {"x", "y"} <= set(geometry):
                row += [geometry["x"], geometry["y"]]
            else:
                return f"feature {row[0]} has no point geometry (x, y)"
        self.writer.writerow(row)
        return None

    def close(self) -> None:
        pass


def _download_arcgis(
    ds: Dataset, target: Path, *, progress: bool, timeout_s: float, retries: int
) -> Path:
    """Page through ``ds.arcgis_service`` and write the assembled file atomically to ``target``.

    The number of records is asked first (``returnCountOnly``); pages of up to 2,000 records,
    ordered by the first field, are then requested with ``resultOffset`` until the service says
    no more follow (``exceededTransferLimit`` false) and the count is reached. Each request is
    retried like a file download. Any failure raises :class:`DownloadError` and leaves nothing.
    """
    import requests
    from tqdm.auto import tqdm

    from centrereach import __version__
    from centrereach._io import atomic_path

    assert ds.arcgis_service is not None
    query_url = ds.arcgis_service.rstrip("/") + "/query"
    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    session = requests.Session()
    session.headers["User-Agent"] = f"centrereach/{__version__} (+requests)"
    request = functools.partial(
        _arcgis_request, ds, session, query_url, timeout_s=timeout_s, retries=retries
    )
    logger.info("downloading dataset %s from the ArcGIS service %s", ds.id, ds.arcgis_service)
    try:
        counted = request(
            {"where": "1=1", "returnCountOnly": "true", "f": "json"}, what="the record count"
        )
        count = counted.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise _ArcGISFailure("the record count", f"no record count in {counted!r:.200}", 1)
        with (
            atomic_path(target) as tmp,
            tmp.open("w", encoding="utf-8", newline="") as stream,
            tqdm(
                total=count,
                unit=" records",
                desc=ds.id,
                disable=not progress,
                file=sys.stderr,
                leave=True,
            ) as bar,
        ):
            writer: _GeoJSONWriter | _CSVWriter = (
                _GeoJSONWriter(ds, stream) if ds.format == "geojson" else _CSVWriter(ds, stream)
            )
            offset = 0
            while True:
                what = f"the page at offset {offset}"
                page = request(_arcgis_page_params(ds, offset), what=what)
                features = page.get("features")
                if not isinstance(features, list):
                    raise _ArcGISFailure(what, "the answer has no list of features", 1)
                for feature in features:
                    problem = writer.add(feature)
                    if problem is not None:
                        raise _ArcGISFailure(what, problem, 1)
                offset += len(features)
                bar.update(len(features))
                more = _exceeded_transfer_limit(page)
                # Stop when the service says no more follow and the count is reached, or at an
                # empty page, or once past the count (both then fail the check below).
                if not features or offset > count or (not more and offset == count):
                    break
            if offset != count:
                raise _ArcGISFailure(
                    "the record count check",
                    f"the service counted {count} records but sent {offset}; the layer may "
                    "have changed during the download",
                    1,
                )
            writer.close()
    except _ArcGISFailure as exc:
        _remove_leftovers(created)
        tries = f" after {exc.attempts} attempts" if exc.attempts > 1 else ""
        msg = (
            f"could not download dataset {ds.id!r} ({ds.title}) from the ArcGIS FeatureServer "
            f"{ds.arcgis_service} ({exc.what}{tries}): {exc.reason}. Nothing was saved in the "
            f"cache ({target.parent}). {_hand_download_advice(ds)}"
        )
        raise DownloadError(msg) from exc
    except BaseException:
        _remove_leftovers(created)
        raise
    finally:
        session.close()
    logger.info("dataset %s: %d records saved to %s", ds.id, count, target)
    return target


def fetch(
    id: str | Dataset,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    progress: bool = True,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    retries: int = _DEFAULT_RETRIES,
) -> Path:
    """Return a local path to a dataset's file, downloading it into the cache if needed.

    A file already in ``data_dir``, in ``CENTREREACH_DATA_DIR`` or in the cache is returned as
    is, with no network access (see :func:`locate`). Otherwise the file is downloaded with pooch
    into the cache, verified against its SHA-256 when one is registered, and moved into place
    only when complete: the next call finds it there and makes no request. A dataset with no
    :attr:`Dataset.url` but an :attr:`Dataset.arcgis_service` is assembled from the pages of
    that FeatureServer layer instead (official downloads only: a mirror always serves the file
    at :attr:`Dataset.local_name`).

    Parameters
    ----------
    id : str or Dataset
        Dataset identifier (or record, e.g. one of your own).
    data_dir : path-like, optional
        A data folder laid out like ``../shared/data`` (the CLI's ``--data-dir``).
    cache : path-like, optional
        The cache folder; default :func:`cache_dir`.
    base_url : str, optional
        A mirror of a data folder, ``http(s)://host[:port][/prefix]``; the file is fetched
        from ``base_url + "/" + local_name`` instead of the official URL and verified against
        :attr:`Dataset.local_sha256`. Default: ``CENTREREACH_MIRROR`` if set.
    progress : bool, default True
        Show a tqdm progress bar (on stderr) while downloading (records, for a paged download).
    timeout_s : float, default 60
        Seconds to wait for the connection and for each read from the server.
    retries : int, default 2
        Extra attempts after a connection error, timeout, truncated body or HTTP 5xx (not after
        a 404 or a checksum mismatch), pausing 1 s, 2 s, ... between them. A paged download
        retries each request (page) in the same way, and also after an ArcGIS ``error`` answer
        with a 5xx code.

    Returns
    -------
    pathlib.Path
        The file: in a data folder, or ``<cache>/<local_name>`` (mirror downloads), or
        ``<cache>/<official_name>`` (official and paged ArcGIS downloads).

    Raises
    ------
    centrereach.errors.DownloadError
        If the download fails (HTTP error, timeout, truncated body, wrong checksum; for a paged
        download also an ArcGIS ``error`` answer, malformed JSON or a record count mismatch);
        nothing is left in the cache, and the message names the dataset and the URL or service
        and says how to get the file by hand.
    centrereach.errors.DataNotFoundError
        If ``id`` is unknown, ``data_dir`` (or ``CENTREREACH_DATA_DIR``) names a missing folder,
        or the file is nowhere locally and neither a download URL nor an ArcGIS service is
        known.

    Examples
    --------
    With the file in a data folder, nothing is downloaded:

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> target = folder / dataset("ons-lookup-lad23-utla23").local_name
    >>> target.parent.mkdir(parents=True)
    >>> _ = target.write_text("ltla23_code,ltla23_name,utla23_code,utla23_name\\n")
    >>> fetch("ons-lookup-lad23-utla23", data_dir=folder) == target
    True
    """
    ds = _as_dataset(id)
    found = locate(ds, data_dir=data_dir, cache=cache)
    if found is not None:
        return found

    cache_root = Path(cache).expanduser() if cache is not None else cache_dir()
    mirror = _mirror_base(base_url)
    if mirror is not None:
        url = ds.mirror_url(mirror)
        target = cache_root / ds.local_name
        known_hash = ds.local_sha256
    elif ds.url is not None:
        url = ds.url
        target = cache_root / ds.official_name
        known_hash = ds.sha256
    elif ds.arcgis_service is not None:
        return _download_arcgis(
            ds,
            cache_root / ds.official_name,
            progress=progress,
            timeout_s=timeout_s,
            retries=retries,
        )
    else:
        given = Path(data_dir) if data_dir is not None else None
        searched = [str(root) for root in _search_roots(given, cache_root)]
        msg = (
            f"dataset {ds.id!r} ({ds.title}) is not in {', '.join(searched)} (looked for "
            f"{' and '.join(ds.candidate_names)}), and centrereach knows no direct download "
            f"URL for it. {_hand_download_advice(ds)}"
        )
        raise DataNotFoundError(msg)
    return _download(
        ds, url, target, known_hash, progress=progress, timeout_s=timeout_s, retries=retries
    )


def fetch_for_study(
    study_area: str,
    *,
    vintage: int = 2021,
    roads: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    progress: bool = True,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    retries: int = _DEFAULT_RETRIES,
) -> dict[str, Path]:
    """Fetch everything a study of one area needs: boundaries, IoD, population, lookups.

    The files are national, so the same set serves any study area; the area only picks the
    road-network extract when ``roads=True``. Roles and datasets, for LSOA vintage 2021
    (IoD2025) / 2011 (IoD2019):

    - ``lsoa_boundaries``: ``ons-lsoa21-bsc`` / ``ons-lsoa11-bsc``
    - ``centroids`` (2021 only): ``ons-lsoa21-pwc``
    - ``deprivation``: ``iod2025-lsoa21-table`` / ``iod2019-lsoa11-table``
    - ``population`` (IoD denominators, mid-2022 / mid-2015): ``iod2025-file6`` /
      ``iod2019-file6``
    - ``population_single_year`` (ages 0-90+, LSOA 2011): ``ons-sape-mid2020-lsoa11``
    - ``lookup_lsoa11_lsoa21``: ``ons-lookup-lsoa11-lsoa21-lad22``
    - ``lookup_lsoa21_ward_lad`` (2021 only): ``ons-lookup-lsoa21-ward24-lad24``
    - ``lookup_lad_utla``: ``ons-lookup-lad23-utla23``
    - ``districts`` and ``counties``: ``ons-lad24-buc`` and ``ons-utla21-buc``
    - ``roads`` (only with ``roads=True``): ``geofabrik-derbyshire-latest`` or
      ``geofabrik-rutland-latest``

    Parameters
    ----------
    study_area : str
        The county or unitary authority, by ONS code or name (e.g. ``"E10000007"`` or
        ``"Derbyshire"``).
    vintage : {2021, 2011}, default 2021
        LSOA vintage of the study: 2021 with IoD2025, 2011 with IoD2019.
    roads : bool, default False
        Also fetch the area's OpenStreetMap extract (known for Derbyshire and Rutland).
    data_dir, cache, base_url, progress, timeout_s, retries
        As for :func:`fetch`.

    Returns
    -------
    dict of str to pathlib.Path
        Role (as in the table) to file.

    Raises
    ------
    centrereach.errors.DownloadError
        If any download failed (the message lists every dataset that could not be had).
    centrereach.errors.DataNotFoundError
        If files are missing with no download URL, or roads are asked for an area with no
        known extract.
    ValueError
        If ``vintage`` is not 2011 or 2021.

    Examples
    --------
    A data folder holding every registered file (empty placeholders here) serves a study
    without any download:

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for ds in datasets():
    ...     path = folder / ds.local_name
    ...     path.parent.mkdir(parents=True, exist_ok=True)
    ...     _ = path.write_bytes(b"")
    >>> paths = fetch_for_study("Derbyshire", data_dir=folder, roads=True)
    >>> paths["deprivation"].name, paths["roads"].name
    ('imd2025_england_lsoa21_scores_ranks_deciles.csv', 'derbyshire-latest.osm.pbf')
    """
    if vintage not in _STUDY_DATASETS:
        msg = f"vintage must be 2011 or 2021 (the LSOA vintage of the study), not {vintage!r}"
        raise ValueError(msg)
    wanted = dict(_STUDY_DATASETS[vintage])
    if roads:
        key = study_area.strip().lower()
        if key not in _ROAD_EXTRACTS:
            msg = (
                f"no road-network extract is registered for study area {study_area!r} (known: "
                f"{', '.join(sorted(_ROAD_EXTRACTS))}); download one from "
                "https://download.geofabrik.de/europe/united-kingdom/england.html, or build it "
                "with osmnx/Overpass, and pass it to the network loader"
            )
            raise DataNotFoundError(msg)
        wanted["roads"] = _ROAD_EXTRACTS[key]

    logger.info(
        "fetching %d datasets for study area %s (LSOA %d)", len(wanted), study_area, vintage
    )
    paths: dict[str, Path] = {}
    failures: list[DownloadError | DataNotFoundError] = []
    for role, dataset_id in wanted.items():
        try:
            paths[role] = fetch(
                dataset_id,
                data_dir=data_dir,
                cache=cache,
                base_url=base_url,
                progress=progress,
                timeout_s=timeout_s,
                retries=retries,
            )
        except (DownloadError, DataNotFoundError) as exc:
            failures.append(exc)
    if failures:
        details = "\n".join(f"- {exc}" for exc in failures)
        msg = (
            f"{len(failures)} of {len(wanted)} datasets for study area {study_area!r} could not "
            f"be had:\n{details}"
        )
        if any(isinstance(exc, DownloadError) for exc in failures):
            raise DownloadError(msg)
        raise DataNotFoundError(msg)
    return paths
