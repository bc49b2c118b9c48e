"""geoplan: site rest stations for outdoor workers (爱心驿站) on real OpenStreetMap street networks.

The data flows one way, one module per stage::

    osm -> areas -> demand + candidates -> network (coverage) -> siting -> plan -> export / cli / web
"""

__version__ = "0.1.0"
