"""Reading the world: OpenStreetMap data, the registry of study areas, and the files people upload.

:mod:`~geoplan.data.osm` reads OSM extracts and osmnx's cache, :mod:`~geoplan.data.areas` turns a registry entry into
a :class:`~geoplan.data.areas.StudyArea` in its UTM zone, :mod:`~geoplan.data.readers` is the one reader of point
files (CSV, GeoJSON, GeoPackage) in WGS-84, GCJ-02 or BD-09, and :mod:`~geoplan.data.geometry` holds the vectorised
line helpers the later stages share.
"""
