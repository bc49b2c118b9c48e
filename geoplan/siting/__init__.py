"""Choose station sites from matrices alone: maximal covering and p-median with a certified optimality gap.

The solvers take a scipy.sparse candidates x demand matrix and demand weights, never geodata, so every model can be
checked on textbook instances; :mod:`geoplan.planning` builds the matrices from a study area. This package face only
re-exports: :mod:`~geoplan.siting.covering` (:func:`solve_mclp`), :mod:`~geoplan.siting.median`
(:func:`solve_pmedian`), :mod:`~geoplan.siting.model` (constraints and results), :mod:`~geoplan.siting.hours`,
:mod:`~geoplan.siting.phases`, :mod:`~geoplan.siting.capacitated` (:func:`solve_capacitated`).
"""

from __future__ import annotations

from geoplan.siting.capacitated import CapacitatedResult, solve_capacitated
from geoplan.siting.covering import MILP_MAX_SITES, solve_mclp
from geoplan.siting.median import solve_pmedian
from geoplan.siting.model import Constraints, Quota, SitingResult, minimum_stations, spacing_conflicts

__all__ = [
    "MILP_MAX_SITES",
    "CapacitatedResult",
    "Constraints",
    "Quota",
    "SitingResult",
    "minimum_stations",
    "solve_capacitated",
    "solve_mclp",
    "solve_pmedian",
    "spacing_conflicts",
]
