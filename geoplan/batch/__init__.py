"""Many areas at once: a province's counties, a city's districts, or a list of registered areas, on Dask.

:mod:`geoplan.batch.tasks` is what one worker does for one area; :mod:`geoplan.batch.runner` runs them on a Dask
cluster and writes the batch's files. ``geoplan batch`` is the command line of it.
"""

from geoplan.batch.runner import BatchOutcome, BatchProgress, area_folder, run_batch
from geoplan.batch.tasks import FAILED, NO_STREETS, AreaResult, AreaTask, run_area

__all__ = [
    "FAILED",
    "NO_STREETS",
    "AreaResult",
    "AreaTask",
    "BatchOutcome",
    "BatchProgress",
    "area_folder",
    "run_area",
    "run_batch",
]
