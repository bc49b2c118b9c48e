"""What a plan is made of besides the streets: where workers are (demand) and where a station could stand (candidates).

:mod:`~geoplan.inputs.demand` derives one worker-density layer per group from OSM (or takes the planner's own),
:mod:`~geoplan.inputs.candidates` generates street-side and host sites with room for the minimum floor area, and
:mod:`~geoplan.inputs.user_data` keeps the planner's own files as values a scenario can store.
"""
