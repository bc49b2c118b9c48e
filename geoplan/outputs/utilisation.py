"""How full a capacitated scenario's stations are, as the maps show it: a ring coloured by utilisation band.

A station's utilisation is its load in its busiest window over its capacity (:mod:`geoplan.planning.station_loads`).
The maps sort it into three bands — below :data:`UTILISATION_HIGH`, from it, and full — and ring the station in its
band's colour, with a legend entry per band. The standalone HTML map (:mod:`~geoplan.outputs.webmap`) and the PNG
map (:mod:`~geoplan.outputs.png`, which the PDF report's map is too) take bands, colours and labels from here.
"""

from __future__ import annotations

import math

from geoplan import i18n
from geoplan.planning.station_loads import is_full

__all__ = ["UTILISATION_COLOURS", "UTILISATION_HIGH", "band_label", "utilisation_band"]

#: Ring colour of a station by its utilisation band: below :data:`UTILISATION_HIGH`, from it, and full (at capacity,
#: :func:`geoplan.planning.station_loads.is_full`); lowest band first.
UTILISATION_COLOURS = {"low": "#27ae60", "high": "#e67e22", "full": "#c0392b"}

#: Utilisation from which a station's ring turns from green to orange.
UTILISATION_HIGH = 0.7


def utilisation_band(utilisation: float | None) -> str | None:
    """Return the band of a station's utilisation in its busiest window: a key of :data:`UTILISATION_COLOURS`.

    Parameters
    ----------
    utilisation : float or None
        Peak load / capacity (0..1); None or NaN for a station with no capacity figures.

    Returns
    -------
    str or None
        ``"low"``, ``"high"`` or ``"full"``; None when there is no utilisation.
    """
    if utilisation is None or math.isnan(utilisation):
        return None
    return "full" if is_full(utilisation) else "high" if utilisation >= UTILISATION_HIGH else "low"


def band_label(band: str, lang: str) -> str:
    """Return the legend label of a utilisation band in ``lang`` (``站点满员（达到容量）``)."""
    return i18n.text("webmap", f"util_{band}", lang)
