"""One exception hierarchy for geoplan.

Every error a planner can meet derives from :class:`GeoplanError`; its message says what was wrong, where (file,
line, field) and what to do about it. An error may also carry a ``code`` and the ``params`` of its message, so that
the edges (CLI, web) render it in the user's language from :mod:`geoplan.i18n`; without a code its message is
shown as it is. The web layer maps the classes to HTTP statuses (stale 409, not found 404, infeasible 422, the
rest 400).
"""

from __future__ import annotations


class GeoplanError(Exception):
    """Base class of every error geoplan raises on purpose.

    Parameters
    ----------
    message : str
        What was wrong, where, and what to do (English; the catalog holds the Chinese text of coded errors).
    code : str, optional
        Key of the error's text in :data:`geoplan.i18n.CATALOG` (section ``error``).
    **params
        Values of that text's placeholders; ``name_zh`` gives the Chinese value of placeholder ``name`` when it
        differs (rule names, say).
    """

    def __init__(self, message: str = "", *, code: str | None = None, **params: object):
        super().__init__(message)
        self.code = code
        self.params = params


class InputError(GeoplanError):
    """A file, form field or argument is missing, unreadable or malformed."""


class NotFoundError(InputError):
    """A scenario, site or user does not exist."""


class PlacementError(InputError):
    """No candidate site lies where a planner dragged a station; the message says why."""


class AreaError(GeoplanError):
    """A study area cannot be loaded or holds nothing to plan on."""


class InfeasibleError(GeoplanError):
    """The requested plan cannot exist (quotas above the station count, a district with no site, ...)."""


class SolverError(GeoplanError):
    """The optimiser failed for a reason other than infeasibility."""


class StaleError(GeoplanError):
    """A change was made on an out-of-date copy of a scenario; nothing was saved."""
