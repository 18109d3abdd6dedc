"""The words centrereach shows to people: one home for every label, unit and note.

The console summary, the maps and the report all say "by car", "children aged 0 to 15" or
"approximate (settlement)" from these tables, so a wording change is made once. The attribution
lines for the official data are in the dataset registry (:data:`centrereach.sources.ATTRIBUTION`).

>>> MODE_WORDS["walk"], MODE_WORDS["transit"], MODE_WORDS["cycle"], WEIGHT_WORDS["under5"]
('on foot', 'by public transport', 'by bike', 'under-fives')
>>> decile_words(1), decile_words(None)
('1 (most deprived 10%)', 'no data')
"""

from __future__ import annotations

import math
from typing import Any, Final

__all__ = [
    "EXACT_QUALITIES",
    "LOCATION_QUALITY",
    "MODE_TITLES",
    "MODE_WORDS",
    "SYNTHETIC_ATTRIBUTION",
    "SYNTHETIC_BANNER",
    "SYNTHETIC_NOTE",
    "WEIGHT_LONG",
    "WEIGHT_SINGULAR",
    "WEIGHT_WORDS",
    "decile_words",
    "mode_words",
    "weight_words",
]

#: How a travel mode reads inside a sentence ("... 12 min by car").
MODE_WORDS: Final = {
    "drive": "by car",
    "walk": "on foot",
    "transit": "by public transport",
    "cycle": "by bike",
}
#: How a travel mode reads as a heading.
MODE_TITLES: Final = {
    "drive": "By car",
    "walk": "On foot",
    "transit": "By public transport",
    "cycle": "By bike",
}
#: The study weight in plural ("1,036 children").
WEIGHT_WORDS: Final = {"children": "children", "population": "people", "under5": "under-fives"}
#: The study weight in singular ("per child").
WEIGHT_SINGULAR: Final = {"children": "child", "population": "person", "under5": "under-five"}
#: The study weight with its age range, for legends and method notes.
WEIGHT_LONG: Final = {
    "children": "children aged 0 to 15",
    "population": "people (all ages)",
    "under5": "children aged under 5",
}
#: What each ``location_quality`` of the centres file means, with its uncertainty.
LOCATION_QUALITY: Final = {
    "building": "at the building (within a few metres)",
    "address": "at its address (within a few metres)",
    "exact": "exact coordinates",
    "settlement": "centre of the village, town or estate (about ±1 km)",
    "street": "on the named street (about ±300 m)",
    "postcode": "postcode centroid (about ±100 m)",
    "synthetic": "invented",
}
#: ``location_quality`` values that place a centre at its building.
EXACT_QUALITIES: Final = frozenset({"exact", "address", "building", "uprn", "geocoded-address"})

SYNTHETIC_BANNER: Final = "SYNTHETIC DATA: invented for a demonstration, not a real place"
SYNTHETIC_ATTRIBUTION: Final = (
    "Synthetic data: areas, people, roads and centres invented by centrereach"
)
#: The note written into every table of a synthetic study.
SYNTHETIC_NOTE: Final = "SYNTHETIC DATA - invented for a demonstration; not a real place."


def mode_words(mode: str) -> str:
    """``"by car"`` for ``"drive"``; an unknown mode reads as itself.

    >>> mode_words("drive"), mode_words("hovercraft")
    ('by car', 'hovercraft')
    """
    return MODE_WORDS.get(mode, mode)


def weight_words(weight: str) -> str:
    """``"people"`` for ``"population"``; an unknown weight reads as itself.

    >>> weight_words("population")
    'people'
    """
    return WEIGHT_WORDS.get(weight, weight)


def decile_words(value: Any) -> str:
    """An IMD decile for people: ``'1 (most deprived 10%)'``, ``'4'``, ``'no data'``.

    >>> decile_words(10), decile_words(4.0), decile_words(float("nan"))
    ('10 (least deprived 10%)', '4', 'no data')
    """
    if value is None:
        return "no data"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "no data"
    if math.isnan(number):
        return "no data"
    d = int(number)
    extra = " (most deprived 10%)" if d == 1 else " (least deprived 10%)" if d == 10 else ""
    return f"{d}{extra}"
