"""Old name of :mod:`centrereach.speeds`, kept while ``centrereach.study`` imports from it.

The speed model is public API, so its module is public now: import from
:mod:`centrereach.speeds` (or :mod:`centrereach.network`). Delete this alias once nothing in the
package imports ``centrereach._speeds``.

Examples
--------
>>> from centrereach import _speeds, speeds
>>> _speeds.SpeedModel is speeds.SpeedModel
True
"""

from __future__ import annotations

from centrereach.speeds import (
    KNOT_TO_KPH,
    MPH_TO_KPH,
    UK_DEFAULT_SPEEDS_MPH,
    WALK_KPH,
    SpeedModel,
    mph,
    parse_maxspeed,
)

__all__ = [
    "KNOT_TO_KPH",
    "MPH_TO_KPH",
    "UK_DEFAULT_SPEEDS_MPH",
    "WALK_KPH",
    "SpeedModel",
    "mph",
    "parse_maxspeed",
]
