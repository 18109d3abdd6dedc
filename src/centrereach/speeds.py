"""The UK speed model: OpenStreetMap ``maxspeed`` parsing and default speeds by road class.

Driving speeds come from the speed limit tagged in OpenStreetMap (``maxspeed``, else the UK
limit named by ``maxspeed:type`` or ``source:maxspeed``, else a UK default for the road's
``highway`` class), multiplied by a realism factor. Walking is a flat speed (4.8 km/h, the
Department for Transport's Journey Time Statistics walking speed), and so is cycling (16 km/h,
the JTS cycling speed). See ``docs/method-network.md`` for the table of defaults and their
sources.

Examples
--------
>>> from centrereach.speeds import SpeedModel, parse_maxspeed
>>> parse_maxspeed("30 mph")
48.28032
>>> SpeedModel.realistic().drive_kph(highway="residential")
38.624256
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "CYCLE_KPH",
    "KNOT_TO_KPH",
    "MPH_TO_KPH",
    "UK_DEFAULT_SPEEDS_MPH",
    "WALK_KPH",
    "SpeedModel",
    "mph",
    "parse_maxspeed",
]

#: Kilometres per hour in one mile per hour (exact: 1 mile = 1,609.344 m).
MPH_TO_KPH = 1.609344
#: Kilometres per hour in one knot (exact: 1 nautical mile = 1,852 m).
KNOT_TO_KPH = 1.852
#: Walking speed (km/h) of the DfT Journey Time Statistics (4.8 km/h, i.e. 3 mph, rounded).
WALK_KPH = 4.8
#: Cycling speed (km/h) of the DfT Journey Time Statistics (16 km/h, about 10 mph).
CYCLE_KPH = 16.0
#: Speed (km/h) read for ``maxspeed=walk`` ("walking pace" for vehicles, e.g. on shared spaces).
WALKING_PACE_KPH = 6.0

#: UK default speed (mph) by OSM ``highway`` class, used where no limit is tagged.
#: Statutory limits (Highway Code rule 124) where the class fixes them (motorway 70 mph, trunk as
#: a single carriageway at the national limit 60 mph, residential streets in a built-up area
#: 30 mph); below the limit where the class is usually driven slower (links, rural lanes).
UK_DEFAULT_SPEEDS_MPH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 70.0,
        "motorway_link": 40.0,
        "trunk": 60.0,
        "trunk_link": 40.0,
        "primary": 50.0,
        "primary_link": 30.0,
        "secondary": 40.0,
        "secondary_link": 30.0,
        "tertiary": 40.0,
        "tertiary_link": 30.0,
        "unclassified": 30.0,
        "residential": 30.0,
        "road": 30.0,
        "busway": 30.0,
        "living_street": 10.0,
        "service": 10.0,
        "track": 10.0,
    }
)
#: Speed (mph) for a ``highway`` class missing from the model's defaults.
FALLBACK_MPH = 30.0

# Named UK limits (values of ``maxspeed``, ``maxspeed:type`` and ``source:maxspeed``), in mph.
# "national" is resolved by road type in :func:`parse_maxspeed`.
_NAMED_MPH: Mapping[str, float] = MappingProxyType(
    {
        "gb:nsl_single": 60.0,
        "uk:nsl_single": 60.0,
        "gb:nsl_dual": 70.0,
        "uk:nsl_dual": 70.0,
        "gb:motorway": 70.0,
        "uk:motorway": 70.0,
        "gb:nsl_restricted": 30.0,
        "uk:nsl_restricted": 30.0,
        "gb:urban": 30.0,
        "uk:urban": 30.0,
        "gb:restricted": 30.0,
        "uk:restricted": 30.0,
    }
)
# Values that carry no usable number: fall back to the type tag or the class default.
_NO_NUMBER = frozenset({"none", "signals", "variable", "unposted", "sign", "implicit", ""})
_NATIONAL = frozenset({"national", "gb:national", "uk:national", "gb:nsl", "uk:nsl", "nsl"})
# Road classes where "national" always means the motorway limit (70 mph), carriageways aside.
_MOTORWAY_CLASSES = frozenset({"motorway", "motorway_link"})
_NUMBER = re.compile(
    r"^\s*(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>mph|m\.p\.h\.?|km/h|kmh|kph|km/hr|knots?|kn)?\s*$",
    re.IGNORECASE,
)
_RANGE = re.compile(r"^\s*(?P<lo>\d+(?:\.\d+)?)\s*-\s*(?P<hi>\d+(?:\.\d+)?)\s*(?P<unit>.*)$")
_NSL_VARIANT = re.compile(r"^(gb|uk)[:_ ]nsl[:_ ]")
_ZONE = re.compile(r"^(?:gb|uk):zone\s*(?P<num>\d+)$", re.IGNORECASE)
_MAX_PLAUSIBLE_KPH = 250.0


def mph(value: float) -> float:
    """Convert miles per hour to kilometres per hour (exactly, × 1.609344).

    Parameters
    ----------
    value
        Speed (mph).

    Returns
    -------
    float
        Speed (km/h).

    Examples
    --------
    >>> mph(70)
    112.65408
    """
    return float(value) * MPH_TO_KPH


def _parse_one(text: str, *, highway: str | None, dual_carriageway: bool) -> float | None:
    """Parse one ``maxspeed`` value (no ``;``), or return None."""
    low = text.strip().lower()
    if low in _NO_NUMBER:
        return None
    if low == "walk":
        return WALKING_PACE_KPH
    if low in _NATIONAL:
        dual = dual_carriageway or (highway is not None and highway in _MOTORWAY_CLASSES)
        return mph(70.0 if dual else 60.0)
    low = _NSL_VARIANT.sub(r"\1:nsl_", low)  # common misspellings such as "GB_nsl:single"
    if low in _NAMED_MPH:
        return mph(_NAMED_MPH[low])
    zone = _ZONE.match(low)
    if zone:
        return mph(float(zone["num"]))
    rng = _RANGE.match(low)
    if rng:
        # A range ("20-30 mph"): the lower bound, as for lists (see parse_maxspeed).
        return _parse_one(f"{rng['lo']} {rng['unit']}", highway=highway, dual_carriageway=False)
    match = _NUMBER.match(low)
    if not match:
        return None
    number = float(match["num"].replace(",", "."))
    unit = (match["unit"] or "").lower()
    if unit.startswith("m"):
        kph = number * MPH_TO_KPH
    elif unit.startswith("kn"):
        kph = number * KNOT_TO_KPH
    else:  # km/h, or a bare number (km/h by OSM convention)
        kph = number
    if not (0.0 < kph <= _MAX_PLAUSIBLE_KPH) or not math.isfinite(kph):
        return None
    return kph


def parse_maxspeed(
    value: str | None,
    *,
    maxspeed_type: str | None = None,
    highway: str | None = None,
    dual_carriageway: bool = False,
) -> float | None:
    """Read an OpenStreetMap speed limit as kilometres per hour.

    Understands the forms used in Great Britain: ``"30 mph"``, bare numbers (km/h, the OSM
    convention: ``"30"`` is 30 km/h), ``"50 km/h"``, knots, the named UK limits
    (``GB:nsl_single`` 60 mph, ``GB:nsl_dual`` 70 mph, ``GB:motorway``/``UK:motorway`` 70 mph,
    ``GB:nsl_restricted``/``GB:urban`` 30 mph, ``GB:zone20`` 20 mph), ``"national"`` (70 mph on a
    motorway or dual carriageway, else 60 mph) and ``"walk"`` (6 km/h). A list (``"30 mph;40
    mph"``) or a range (``"20-30 mph"``) gives its **lowest** value: a longer travel time is the
    cautious side when judging how far families must travel.

    Parameters
    ----------
    value
        The ``maxspeed`` tag, or None when the way has none.
    maxspeed_type
        The ``maxspeed:type`` (or ``source:maxspeed``) tag, used when ``value`` is missing or
        has no number (e.g. ``"GB:nsl_single"``).
    highway
        The way's ``highway`` class; decides what ``"national"`` means.
    dual_carriageway
        True when the way is one carriageway of a dual carriageway (``"national"`` is then 70 mph).

    Returns
    -------
    float or None
        The limit (km/h), or None when nothing usable is tagged (``"none"``, ``"signals"``,
        garbage, a missing tag).

    Examples
    --------
    >>> parse_maxspeed("30 mph")
    48.28032
    >>> parse_maxspeed("30")
    30.0
    >>> parse_maxspeed("national", highway="motorway")
    112.65408
    >>> parse_maxspeed(None, maxspeed_type="GB:nsl_single")
    96.56064
    >>> parse_maxspeed("fast") is None
    True
    """
    found: list[float] = []
    if isinstance(value, str):
        for part in value.split(";"):
            kph = _parse_one(part, highway=highway, dual_carriageway=dual_carriageway)
            if kph is not None:
                found.append(kph)
    if found:
        return min(found)
    if isinstance(maxspeed_type, str):
        for part in maxspeed_type.split(";"):
            kph = _parse_one(part, highway=highway, dual_carriageway=dual_carriageway)
            if kph is not None:
                found.append(kph)
    return min(found) if found else None


def _default_kph() -> Mapping[str, float]:
    return MappingProxyType({k: mph(v) for k, v in UK_DEFAULT_SPEEDS_MPH.items()})


@dataclass(frozen=True)
class SpeedModel:
    """How road speeds and travel times are set (a frozen, JSON-describable settings object).

    Driving speed on an edge = (tagged limit, else ``defaults_kph[highway]``, else
    ``fallback_kph``) × ``realism_factor``; ``junction_delay_s`` seconds are added to every
    driving edge that ends at a junction (a node where three or more streets meet). Walking
    speed is ``walk_kph`` everywhere, cycling speed ``cycle_kph`` everywhere.

    Parameters
    ----------
    defaults_kph
        Speed (km/h) by ``highway`` class where no limit is tagged (default: UK values, see
        :data:`UK_DEFAULT_SPEEDS_MPH`).
    realism_factor
        Multiplier (0 < f ≤ 1.5) from speed limits to typical driving speeds; 0.8 as in OSRM's car
        profile (``speed_reduction``), 1.0 for free flow at the limit.
    junction_delay_s
        Delay (s) added per junction on driving routes (default 0).
    walk_kph
        Walking speed (km/h), 4.8 as in the DfT Journey Time Statistics.
    fallback_kph
        Speed (km/h) for a ``highway`` class not in ``defaults_kph`` (default 30 mph).
    cycle_kph
        Cycling speed (km/h), 16 as in the DfT Journey Time Statistics.

    Examples
    --------
    >>> SpeedModel.free_flow().drive_kph(maxspeed="20 mph")
    32.18688
    >>> print(SpeedModel(realism_factor=0.5).describe("drive"))
    Driving: speed limits as tagged in OpenStreetMap (UK defaults by road class where
    untagged) × 0.5
    """

    defaults_kph: Mapping[str, float] = field(default_factory=_default_kph, hash=False)
    realism_factor: float = 0.8
    junction_delay_s: float = 0.0
    walk_kph: float = WALK_KPH
    fallback_kph: float = FALLBACK_MPH * MPH_TO_KPH
    cycle_kph: float = CYCLE_KPH

    def __post_init__(self) -> None:
        if not (0.0 < self.realism_factor <= 1.5):
            msg = f"realism_factor must be in (0, 1.5], got {self.realism_factor!r}"
            raise ValueError(msg)
        if not (self.junction_delay_s >= 0.0 and math.isfinite(self.junction_delay_s)):
            msg = f"junction_delay_s must be a finite number >= 0, got {self.junction_delay_s!r}"
            raise ValueError(msg)
        for name, kph in [
            ("walk_kph", self.walk_kph),
            ("cycle_kph", self.cycle_kph),
            ("fallback_kph", self.fallback_kph),
            *((f"defaults_kph[{hw!r}]", speed) for hw, speed in dict(self.defaults_kph).items()),
        ]:
            if not (0.0 < float(kph) <= _MAX_PLAUSIBLE_KPH):
                msg = f"{name} must be a speed in (0, {_MAX_PLAUSIBLE_KPH:g}] km/h, got {kph!r}"
                raise ValueError(msg)
        # Freeze a private copy so later changes to the caller's dict cannot leak in.
        object.__setattr__(
            self,
            "defaults_kph",
            MappingProxyType({str(k): float(v) for k, v in self.defaults_kph.items()}),
        )

    @classmethod
    def realistic(cls) -> SpeedModel:
        """Return the default model: limits × 0.8 (as OSRM's car profile), no junction delay.

        Examples
        --------
        >>> SpeedModel.realistic().realism_factor
        0.8
        """
        return cls(realism_factor=0.8)

    @classmethod
    def free_flow(cls) -> SpeedModel:
        """Return a model that drives at the speed limit everywhere (× 1.0, no delays).

        Examples
        --------
        >>> SpeedModel.free_flow().realism_factor
        1.0
        """
        return cls(realism_factor=1.0)

    def limit_kph(
        self,
        *,
        highway: str | None = None,
        maxspeed: str | None = None,
        maxspeed_type: str | None = None,
        dual_carriageway: bool = False,
    ) -> float:
        """Return the speed limit (km/h) of a way: tagged, else the class default.

        Parameters
        ----------
        highway
            The OSM ``highway`` class.
        maxspeed
            The ``maxspeed`` tag.
        maxspeed_type
            The ``maxspeed:type`` or ``source:maxspeed`` tag.
        dual_carriageway
            True for one carriageway of a dual carriageway.

        Returns
        -------
        float
            Speed limit (km/h), before the realism factor.

        Examples
        --------
        >>> SpeedModel().limit_kph(highway="motorway")
        112.65408
        >>> SpeedModel().limit_kph(highway="residential", maxspeed="20 mph")
        32.18688
        """
        tagged = parse_maxspeed(
            maxspeed,
            maxspeed_type=maxspeed_type,
            highway=highway,
            dual_carriageway=dual_carriageway,
        )
        if tagged is not None:
            return tagged
        if highway is None:
            return self.fallback_kph
        return self.defaults_kph.get(highway, self.fallback_kph)

    def drive_kph(
        self,
        *,
        highway: str | None = None,
        maxspeed: str | None = None,
        maxspeed_type: str | None = None,
        dual_carriageway: bool = False,
    ) -> float:
        """Return the modelled driving speed (km/h): :meth:`limit_kph` × ``realism_factor``.

        Parameters
        ----------
        highway, maxspeed, maxspeed_type, dual_carriageway
            As for :meth:`limit_kph`.

        Returns
        -------
        float
            Driving speed (km/h).

        Examples
        --------
        >>> SpeedModel(realism_factor=0.5).drive_kph(maxspeed="40")
        20.0
        """
        limit = self.limit_kph(
            highway=highway,
            maxspeed=maxspeed,
            maxspeed_type=maxspeed_type,
            dual_carriageway=dual_carriageway,
        )
        return limit * self.realism_factor

    def describe(self, mode: str = "drive") -> str:
        """Return the sentence a report shows to say how speeds were set.

        Parameters
        ----------
        mode
            ``"drive"``, ``"walk"`` or ``"cycle"``.

        Returns
        -------
        str
            One sentence for the method note of a report.

        Examples
        --------
        >>> print(SpeedModel.realistic().describe("drive"))
        Driving: speed limits as tagged in OpenStreetMap (UK defaults by road class where
        untagged) × 0.8, as OSRM's car profile
        >>> print(SpeedModel().describe("walk"))
        Walking: 4.8 km/h on every footpath and street open to pedestrians (DfT Journey Time
        Statistics)
        >>> print(SpeedModel().describe("cycle"))
        Cycling: 16 km/h on every road and path open to bicycles (DfT Journey Time Statistics)
        """
        mode = str(getattr(mode, "value", mode))
        if mode == "walk":
            source = " (DfT Journey Time Statistics)" if self.walk_kph == WALK_KPH else ""
            return (
                f"Walking: {self.walk_kph:g} km/h on every footpath and street open to "
                f"pedestrians{source}"
            )
        if mode == "cycle":
            source = " (DfT Journey Time Statistics)" if self.cycle_kph == CYCLE_KPH else ""
            return (
                f"Cycling: {self.cycle_kph:g} km/h on every road and path open to bicycles{source}"
            )
        text = (
            "Driving: speed limits as tagged in OpenStreetMap (UK defaults by road class where "
            f"untagged) × {self.realism_factor:g}"
        )
        if self.realism_factor == 0.8:
            text += ", as OSRM's car profile"
        elif self.realism_factor == 1.0:
            text += " (free flow at the limit)"
        if self.junction_delay_s > 0:
            text += f", plus {self.junction_delay_s:g} s at each junction"
        if dict(self.defaults_kph) != dict(_default_kph()):
            text += " (custom road-class defaults)"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-able dict (stored as ``G.graph["speed_model"]``).

        Returns
        -------
        dict
            Keys ``defaults_kph``, ``realism_factor``, ``junction_delay_s``, ``walk_kph``,
            ``cycle_kph``, ``fallback_kph``.

        Examples
        --------
        >>> SpeedModel().to_dict()["realism_factor"]
        0.8
        """
        return {
            "defaults_kph": dict(sorted(self.defaults_kph.items())),
            "realism_factor": float(self.realism_factor),
            "junction_delay_s": float(self.junction_delay_s),
            "walk_kph": float(self.walk_kph),
            "cycle_kph": float(self.cycle_kph),
            "fallback_kph": float(self.fallback_kph),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpeedModel:
        """Rebuild a model from :meth:`to_dict` output (unknown keys are ignored).

        Parameters
        ----------
        data
            A dict as returned by :meth:`to_dict`.

        Returns
        -------
        SpeedModel
            The model.

        Examples
        --------
        >>> m = SpeedModel(realism_factor=0.7)
        >>> SpeedModel.from_dict(m.to_dict()) == m
        True
        """
        kwargs: dict[str, Any] = {}
        for key in ("realism_factor", "junction_delay_s", "walk_kph", "cycle_kph", "fallback_kph"):
            if key in data:
                kwargs[key] = float(data[key])
        if "defaults_kph" in data:
            kwargs["defaults_kph"] = {str(k): float(v) for k, v in data["defaults_kph"].items()}
        return cls(**kwargs)
