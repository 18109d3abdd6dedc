"""centrereach: how far families must travel to a public service when centres close.

The public API is listed in ``__all__``. Nothing happens at import time: no logging set-up, no
downloads, no global state.
"""

from __future__ import annotations

from centrereach import errors
from centrereach._settings import package_version
from centrereach.areas import (
    load_areas,
    origins,
    read_deprivation,
    read_population,
    to_british_national_grid,
)
from centrereach.centres import load_centres
from centrereach.maps import impact_map
from centrereach.network import Mode, SpeedModel, load_network, save_network
from centrereach.optimisation import Objective, optimise
from centrereach.outputs import write_outputs
from centrereach.results import Headline, OptimiseOutcome, StudyResult
from centrereach.scenarios import Scenario, evaluate_scenarios
from centrereach.study import Study
from centrereach.traveltime import Router, nearest_centre, snap, travel_time_matrix

__version__ = package_version()

__all__ = [
    "Headline",
    "Mode",
    "Objective",
    "OptimiseOutcome",
    "Router",
    "Scenario",
    "SpeedModel",
    "Study",
    "StudyResult",
    "__version__",
    "errors",
    "evaluate_scenarios",
    "impact_map",
    "load_areas",
    "load_centres",
    "load_network",
    "nearest_centre",
    "optimise",
    "origins",
    "read_deprivation",
    "read_population",
    "save_network",
    "snap",
    "to_british_national_grid",
    "travel_time_matrix",
    "write_outputs",
]
