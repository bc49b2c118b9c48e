"""geoplan: site rest stations for outdoor workers (爱心驿站) on real OpenStreetMap street networks.

The data flows one way, one sub-package per stage, each importing only from the stages below it::

    data (OSM, areas, readers) -> inputs (demand, candidates, the planner's data) -> coverage (street network)
        -> siting (the solver, on matrices) -> planning (prepare, solve, review) -> outputs | store -> cli | web

The core modules (``errors``, ``settings``, ``vocabulary``, ``i18n``, ``crs``, ``coords``, ``files``) sit below them
all. The web app is the ``geoplan_web`` package.
"""

__version__ = "0.1.0"
