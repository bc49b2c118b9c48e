"""From inputs to a plan: parameters, the one preparation step, the siting model, solving, the review map's work.

:mod:`~geoplan.planning.prepare` is the single pipeline every entry point shares (``geoplan plan``, the review map,
re-optimisation, exports, the public side); :mod:`~geoplan.planning.plan` solves it once, and
:mod:`~geoplan.planning.workspace` evaluates and re-plans around a planner's decisions on the same model.
:mod:`~geoplan.planning.cache` keeps prepared models, in memory and on disk, for the web app.
"""
