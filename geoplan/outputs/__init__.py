"""What planners hand on: a plan run's files, a scenario's exports, the review map's layers and the offline basemap.

:mod:`~geoplan.outputs.plan_files` writes ``geoplan plan``'s folder; :mod:`~geoplan.outputs.export_data` gathers a
scenario once and :mod:`~geoplan.outputs.exporters` writes it as GeoJSON, GeoPackage or CSV
(:mod:`~geoplan.outputs.tables`), KML (:mod:`~geoplan.outputs.kml`), an HTML map (:mod:`~geoplan.outputs.webmap`), a
PNG map (:mod:`~geoplan.outputs.png`) or a PDF report (:mod:`~geoplan.outputs.pdf`); :mod:`~geoplan.outputs.layers`
and :mod:`~geoplan.outputs.basemap` feed the web map; :mod:`~geoplan.outputs.utilisation` is how the HTML and PNG
maps ring a capacitated scenario's stations.
"""
