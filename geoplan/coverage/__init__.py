"""Distances along the street network: the routable graph, coverage matrices, nearest stations, service areas.

:mod:`~geoplan.coverage.network` snaps points onto streets and builds bounded sparse sites x demand distance
matrices, :mod:`~geoplan.coverage.nearby` answers "which stations are near me" and draws routes, and
:mod:`~geoplan.coverage.service_areas` draws the walking and riding isochrones of stations.
"""
