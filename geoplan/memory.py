"""Giving memory a stage has freed back to the system, between the stages (and steps) of a whole city's plan."""

from __future__ import annotations

import ctypes
import logging

__all__ = ["release_memory"]

log = logging.getLogger(__name__)


def release_memory() -> None:
    """Give the memory freed by a stage back to the system (glibc only; elsewhere nothing happens).

    A stage frees many small blocks (shapely geometries, search trees, the coverage chunks' joins, the solver's
    working copies) in between the blocks it keeps, and glibc keeps those pages for the process: without this the
    next stage's peak sits on top of them. ``malloc_trim`` returns every free page, wherever it is in the heap.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        log.debug("malloc_trim unavailable: freed memory stays with the process")
