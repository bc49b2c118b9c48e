"""Progress bars on long steps, shown only when :data:`geoplan.settings.show_progress` is on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

from geoplan import settings

T = TypeVar("T")


def track(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate over ``items``, drawing a progress bar on stderr when progress display is enabled."""
    yield from tqdm(items, desc=desc, total=total, unit=unit, disable=not settings.show_progress, leave=False)
