"""The coordinate reference systems centrereach uses, named once.

A leaf module: it imports nothing from centrereach, so every other module can import it.
:mod:`centrereach.traveltime` re-exports :data:`BRITISH_NATIONAL_GRID` as public API.

Examples
--------
>>> from pyproj import CRS
>>> CRS(BRITISH_NATIONAL_GRID).to_epsg(), CRS(WGS84).to_epsg()
(27700, 4326)
"""

from __future__ import annotations

from typing import Final

__all__ = ["BRITISH_NATIONAL_GRID", "WGS84"]

BRITISH_NATIONAL_GRID: Final = "EPSG:27700"
"""British National Grid (OSGB36): eastings and northings in metres.

Snap distances, representative points and every other measurement in metres are made in it.
"""

WGS84: Final = "EPSG:4326"
"""WGS84 longitude/latitude (degrees): the CRS of every GeoDataFrame centrereach returns."""
