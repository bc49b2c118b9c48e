"""Study areas and prepared models kept for reuse: bounded in memory, on disk across restarts, safe between threads.

Loading an area and preparing a plan on it take seconds (Nanchang: about 20 s); a review map asks for the same
model on every request. A :class:`ModelCache` is an object its owner creates (``create_app`` makes one per app),
never module state. It keys every entry by what the entry is computed from — the area's files (their size and
time), the preparation parameters, the planner's own data and geoplan's code (:func:`preparation_key`) — so an entry
can only be reused where it would be recomputed identically. Entries are immutable; the memory part keeps the last
``capacity`` of each kind; the disk part (a folder of pickles, written atomically) makes the first request after a
restart fast. Two threads asking for the same missing entry build it once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geoplan import i18n
from geoplan.data.areas import AreaSpec, StudyArea, fingerprint, load_area
from geoplan.errors import InputError
from geoplan.files import ensure_folder, write_atomic
from geoplan.inputs.user_data import UserData
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.prepare import PreparedModel, code_fingerprint, freeze, preparation_key, prepare

__all__ = ["ModelCache", "area_key"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Errors that mean a cache file cannot be used (truncated, written by other code); it is then rebuilt.
_UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError, KeyError)


class ModelCache:
    """Prepared models and study areas, in memory (bounded) and optionally on disk.

    Parameters
    ----------
    folder : pathlib.Path, optional
        Where entries are kept on disk (created on first write); None keeps them in memory only.
    capacity : int
        Entries of each kind kept in memory (least recently used go first).
    """

    def __init__(self, folder: Path | None = None, capacity: int = 4):
        if capacity < 1:
            raise i18n.input_error("cache_capacity", capacity=capacity)
        self.folder = None if folder is None else Path(folder)
        self.capacity = int(capacity)
        self._lock = threading.Lock()
        self._entries: dict[str, OrderedDict[str, object]] = {
            "areas": OrderedDict(), "prepared": OrderedDict(), "derived": OrderedDict(),
        }  # fmt: skip
        self._building: dict[tuple[str, str], threading.Lock] = {}
        self.counts = {"memory": 0, "disk": 0, "built": 0}

    def __repr__(self) -> str:
        sizes = {kind: len(entries) for kind, entries in self._entries.items()}
        return f"ModelCache(folder={self.folder}, capacity={self.capacity}, entries={sizes})"

    def area(self, spec: AreaSpec) -> StudyArea:
        """Return the study area of a spec, loading it at most once (memory, then disk, then the OSM data)."""
        return self.keyed_area(spec)[1]

    def keyed_area(self, spec: AreaSpec) -> tuple[str, StudyArea]:
        """Return the key of a spec's area (:func:`area_key`: its data and the code) and the area."""
        key = area_key(spec)
        return key, self._get("areas", key, lambda: load_area(spec))

    def prepared(
        self,
        spec: AreaSpec,
        params: PlanParameters | None = None,
        user_data: UserData | None = None,
        *,
        digest: str | None = None,
        load: Callable[[], UserData] | None = None,
    ) -> PreparedModel:
        """Return the prepared model of an area, parameters and planner's data, preparing it at most once.

        Parameters
        ----------
        spec : AreaSpec
        params : PlanParameters, optional
            Only the preparation part matters.
        user_data : UserData, optional
            The planner's data; or give its ``digest`` and a ``load`` function that reads it only when the model
            has to be prepared (a scenario's data can be large: it is not read on every request).
        digest : str, optional
            :attr:`UserData.digest` of the data ``load`` returns.
        load : callable, optional
            Returns the planner's data.

        Returns
        -------
        PreparedModel
        """
        params = (params or PlanParameters()).for_preparation()
        if user_data is not None:
            digest, load = user_data.digest, lambda: user_data
        elif load is None:
            digest, load = UserData().digest, UserData
        key = preparation_key(spec, params, digest)

        def build() -> PreparedModel:
            data = load()
            if data.digest != digest:
                raise InputError("The planner's data changed while it was being read; reload and try again.",
                                 code="user_data_changed")  # fmt: skip
            return prepare(self.area(spec), params, data)

        return self._get("prepared", key, build, spec=spec)

    def derived(self, key: tuple, build: Callable[[], T]) -> T:
        """Return a value derived from cached entries (a map layer's JSON, a street index), built at most once.

        Kept in memory only, for up to eight times ``capacity`` keys; ``key`` must name everything the value is
        computed from (an entry's key, say).
        """
        return self._get("derived", repr(key), build)

    def put(self, prepared: PreparedModel) -> None:
        """Keep a model prepared elsewhere (``geoplan plan --scenario`` hands its model to the web app this way)."""
        self.put_area(prepared.area)
        self._remember("prepared", prepared.key, prepared)
        self._save("prepared", prepared.key, prepared)

    def put_area(self, area: StudyArea) -> None:
        """Keep a study area loaded elsewhere."""
        self._remember("areas", area_key(area.spec), area)
        self._save("areas", area_key(area.spec), area)

    # --- internals -------------------------------------------------------------------------------------------------

    def _get(self, kind: str, key: str, build: Callable[[], T], spec: AreaSpec | None = None) -> T:
        with self._lock:
            found = self._lookup(kind, key)
            if found is not None:
                self.counts["memory"] += 1
                return found
            building = self._building.setdefault((kind, key), threading.Lock())
        try:
            with building:  # one thread builds, the others wait for it and take its result
                with self._lock:
                    found = self._lookup(kind, key)
                if found is not None:
                    return found
                found, how = self._load(kind, key, spec), "disk"
                if found is None:
                    found, how = build(), "built"
                    self._save(kind, key, found)
                self._remember(kind, key, found)
                with self._lock:
                    self.counts[how] += 1
                return found
        finally:
            with self._lock:
                self._building.pop((kind, key), None)

    def _lookup(self, kind: str, key: str):
        entries = self._entries[kind]
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        return None

    def _remember(self, kind: str, key: str, value: object) -> None:
        with self._lock:
            entries = self._entries[kind]
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > self.capacity * (8 if kind == "derived" else 1):
                entries.popitem(last=False)

    def _path(self, kind: str, key: str) -> Path | None:
        if self.folder is None or kind == "derived":
            return None
        return self.folder / kind / f"{key}.pickle"

    def _load(self, kind: str, key: str, spec: AreaSpec | None):
        path = self._path(kind, key)
        if path is None or not path.is_file():
            return None
        try:
            with path.open("rb") as handle:
                # Trusted: only geoplan writes this folder (the user's own cache, files 0600 by files.write_atomic).
                value = pickle.load(handle)  # noqa: S301
        except (*_UNREADABLE, OSError) as error:
            log.warning("cache entry %s is unreadable (%s); rebuilding it", path, error)
            return None
        if kind == "prepared":  # stored without its area, which has an entry of its own; read-only again
            value = freeze(dataclasses.replace(value, area=self.area(spec)))
        return value

    def _save(self, kind: str, key: str, value: object) -> None:
        path = self._path(kind, key)
        if path is None:
            return
        if kind == "prepared":
            value = dataclasses.replace(value, area=None)
        try:
            ensure_folder(path.parent)
            write_atomic(path, lambda tmp: tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
        except (InputError, OSError, pickle.PicklingError) as error:
            log.warning("could not keep %s in the cache at %s: %s", kind, path, error)


def area_key(spec: AreaSpec) -> str:
    """Key of a loaded study area: the area's data and geoplan's code."""
    text = json.dumps({"area": fingerprint(spec), "code": code_fingerprint()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
