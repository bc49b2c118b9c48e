"""One exception hierarchy for geoplan.

Every error a planner can meet derives from :class:`GeoplanError`; its message says what was wrong, where (file,
line, field) and what to do about it. The CLI prints the message; the web layer turns it into a 4xx answer.
"""

from __future__ import annotations


class GeoplanError(Exception):
    """Base class of every error geoplan raises on purpose."""


class InputError(GeoplanError):
    """A file, form field or argument is missing, unreadable or malformed."""


class AreaError(GeoplanError):
    """A study area cannot be loaded or holds nothing to plan on."""


class InfeasibleError(GeoplanError):
    """The requested plan cannot exist (quotas above the station count, a district with no site, ...)."""


class SolverError(GeoplanError):
    """The optimiser failed for a reason other than infeasibility."""
