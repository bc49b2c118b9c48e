"""The audit log as a person reads it: action names and what changed, before -> after, in the user's language.

The store keeps each decision's values as JSON (:class:`geoplan.store.models.AuditEntry`); this module turns an
entry into catalog texts: the action's name (``ui.action_<code>``, an unknown code shown plainly), and one
:class:`Change` per field that changed, labelled like the review map labels it (``ui.details_*`` for a station's
details), its values by their names (planning and station statuses, hosts, services, levels), lists joined.
Values stay plain text: templates put them into pages as text, never as markup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from geoplan import i18n

__all__ = ["ACTIONS", "Change", "action_key", "action_name", "changes"]

#: Every action code the store writes into the audit log, in the order a planner meets them: scenario actions
#: (:class:`geoplan.store.Store` ``create_scenario`` ... ``delete_scenario``), the planner's data uploads
#: (``upload <kind>`` of the API's data kinds: files, and a firm's observations a layer is built from), decisions
#: on sites (the API's site actions), details, imports, re-optimisation, undo and publication.
ACTIONS: tuple[str, ...] = (
    "create", "rename", "duplicate", "delete", "upload layer", "upload sites", "upload pings", "upload orders",
    "upload depots", "accept", "reject", "propose", "city_level", "move", "edit details", "import", "reoptimise",
    "undo", "publish", "unpublish",
)  # fmt: skip

#: Uploads of a firm's observations: the scenario keeps the layer built from them and the build's counts.
_OBSERVED_UPLOADS = frozenset({"upload pings", "upload orders", "upload depots"})

#: Actions about a scenario as a whole: their ``name`` is the scenario's.
_SCENARIO_ACTIONS = frozenset({"create", "rename", "duplicate", "delete"})

#: Catalog key (section ``ui``) of the label of each site field.
_SITE_LABELS = {
    "name": "details_name", "address": "details_address", "phone": "details_phone", "manager": "details_manager",
    "host": "details_host", "hours": "details_hours", "services": "details_services", "photos": "details_photos",
    "station_status": "details_station_status", "status": "audit_field_status", "city_level": "audit_field_level",
    "district": "district", "candidate_id": "audit_field_candidate", "covered_workers": "audit_field_covered",
    "phase": "audit_field_phase", "capacity": "details_capacity",
}  # fmt: skip

#: Where a scenario came from, for the ``source`` of a ``create`` entry (other sources are shown as they are).
_SOURCES = {"plan": "from_plan", "scratch": "from_scratch"}

#: Most names listed for a list of sites (the rest counted).
_LISTED = 10

#: Characters of an unknown value shown (the raw record keeps it whole).
_SHOWN_CHARS = 200


@dataclass(frozen=True)
class Change:
    """One changed field of an audit entry, as text: its label, the value before and the value after.

    ``before`` is None for a value that was set (nothing before it), ``after`` None for one taken away.
    """

    label: str
    before: str | None
    after: str | None


def action_key(action: str) -> str:
    """Return the catalog key (section ``ui``) of an action code's name: ``edit details`` -> ``action_edit_details``."""
    return "action_" + action.replace(" ", "_")


def action_name(action: str, lang: str = "zh") -> str:
    """Return what a person reads for an action code; an unknown code is shown plainly (``其他操作：code``)."""
    key = action_key(action)
    name = i18n.text("ui", key, lang)
    return i18n.text("ui", "audit_action_other", lang, code=action) if name == key else name


def changes(entry: Mapping, lang: str = "zh") -> list[Change]:
    """Return what an audit entry changed, field by field, in ``lang`` (fields that kept their value left out).

    Parameters
    ----------
    entry : mapping
        An entry as :meth:`geoplan.store.Store.audit` gives it (``action``, ``before``, ``after``).
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    list of Change
    """
    action = str(entry.get("action") or "")
    before = entry.get("before") if isinstance(entry.get("before"), Mapping) else {}
    after = entry.get("after") if isinstance(entry.get("after"), Mapping) else {}
    found: list[Change] = []
    if action == "undo" and isinstance(after.get("undone"), Mapping):
        found.append(Change(_ui("audit_field_undone", lang), None,
                            action_name(str(after["undone"].get("action", "")), lang)))  # fmt: skip
        after = {k: v for k, v in after.items() if k != "undone"}
    if action == "create":
        return found + _created(after, lang)
    if action in ("upload layer", "upload sites"):
        return found + _uploaded(before, after, lang)
    if action in _OBSERVED_UPLOADS:
        return found + _uploaded(before, after, lang) + _observed(after, lang)
    if action == "delete":  # what was deleted, as the entry's subject
        before, after = {}, before
    if action == "duplicate":
        found.append(Change(_ui("audit_field_copy_of", lang), None, f"#{before.get('scenario', '?')}"))
        before = {}
    return found + _fields(before, after, lang, scenario=action in _SCENARIO_ACTIONS)


def _ui(key: str, lang: str, **params: object) -> str:
    return i18n.text("ui", key, lang, **params)


def _joined(items: list[str], lang: str) -> str:
    shown = items[:_LISTED]
    text = ("、" if lang == "zh" else ", ").join(shown)
    if len(items) > len(shown):
        text += " " + _ui("audit_more", lang, n=len(items) - len(shown))
    return text


def _fields(before: Mapping, after: Mapping, lang: str, *, scenario: bool) -> list[Change]:
    """Return a Change per key whose value differs (the position as one field; ids and numbers by their kind)."""
    found = []
    keys = list(dict.fromkeys([*before, *after]))
    if "lon" in keys or "lat" in keys:
        old, new = _position(before), _position(after)
        if old != new:
            found.append(Change(_ui("audit_field_position", lang), old, new))
    for key in keys:
        if key in ("lon", "lat"):
            continue
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        found.extend(_field(key, old if key in before else None, new if key in after else None, lang, scenario))
    return found


def _field(key: str, old: object, new: object, lang: str, scenario: bool) -> list[Change]:
    """Return the Changes of one key of an entry's values (most keys give one; a re-optimisation's numbers three)."""
    special = _SPECIAL.get(key)
    if special is not None and (key != "sites" or isinstance(old, list) or isinstance(new, list)):
        return special(old, new, lang)
    if key == "name" and scenario:
        label = _ui("name", lang)
    else:
        label = _ui(_SITE_LABELS[key], lang) if key in _SITE_LABELS else key
    return [Change(label, _value(key, old, lang), _value(key, new, lang))]


def _value(key: str, value: object, lang: str) -> str | None:
    """Return one field value as text, by its name where it is a code (None stays None: nothing there)."""
    if value is None or value in ("", []):
        return None if value is None else _ui("details_unset", lang)
    if key in _CODED:
        return i18n.text(_CODED[key], str(value), lang)
    if key == "services" and isinstance(value, list | str):
        return i18n.services_text(value, lang)
    if key == "city_level":
        return _ui("city_level" if value else "district_level", lang)
    if key == "covered_workers" and isinstance(value, int | float):
        return i18n.format_count(value, lang)
    return _plain(value, lang)


#: Catalog section of the names of coded site fields.
_CODED = {"status": "ui", "station_status": "station_status", "host": "host"}


def _result(old: object, new: object, lang: str) -> list[Change]:
    old_objective, new_objective = _objective(old, lang), _objective(new, lang)
    return [] if old_objective == new_objective else [Change(_ui("audit_field_objective", lang), old_objective,
                                                             new_objective)]  # fmt: skip


def _site_list(old: object, new: object, lang: str) -> list[Change]:
    label = _ui("audit_field_imported", lang) if old is None else _ui("sites", lang)
    return [Change(label, _sites(old, lang), _sites(new, lang))]


def _proposals(old: object, new: object, lang: str) -> list[Change]:
    return [Change(_ui("proposed", lang), _count(old, lang), _count(new, lang))]


def _publication(old: object, new: object, lang: str) -> list[Change]:
    return [Change(_ui("audit_field_published", lang), _published(old, lang), _published(new, lang))]


def _site_ids(label: str):
    def changes(_old: object, new: object, lang: str) -> list[Change]:
        ids = [_ui("audit_site_id", lang, id=i) for i in (new if isinstance(new, list) else [])]
        return [Change(_ui(label, lang), None, _joined(ids, lang))] if ids else []

    return changes


def _plain(value: object, lang: str) -> str:
    """Return a value of no known kind as text: lists joined, yes/no, anything else as compact JSON (cut)."""
    if isinstance(value, bool):
        return _ui("audit_yes" if value else "audit_no", lang)
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return _joined([str(v) for v in value], lang)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def _position(values: Mapping) -> str | None:
    lon, lat = values.get("lon"), values.get("lat")
    if not isinstance(lon, int | float) or not isinstance(lat, int | float):
        return None
    return f"{lon:.6f}, {lat:.6f}"


def _objective(result: object, lang: str) -> str | None:
    objective = result.get("objective") if isinstance(result, Mapping) else None
    return None if not isinstance(objective, int | float) else i18n.format_count(objective, lang)


def _count(values: object, lang: str) -> str | None:
    return None if not isinstance(values, list) else _ui("audit_count", lang, n=len(values))


def _numbers(old: object, new: object, lang: str) -> list[Change]:
    """Return a re-optimisation's site numbers: added, removed, kept (or, undone, the proposals before and after)."""
    if isinstance(new, Mapping):
        found = []
        for key, label in (("added", "added"), ("removed", "removed")):
            numbers = [f"#{n}" for n in new.get(key) or []]
            found.append(Change(_ui(label, lang), None, _joined(numbers, lang) if numbers else _ui("none", lang)))
        if isinstance(new.get("kept"), list):
            found.append(Change(_ui("audit_field_kept", lang), None, _ui("audit_count", lang, n=len(new["kept"]))))
        return found
    shown = [_joined([f"#{n}" for n in v], lang) if isinstance(v, list) else None for v in (old, new)]
    return [] if shown[0] == shown[1] else [Change(_ui("proposed", lang), shown[0], shown[1])]


def _sites(sites: object, lang: str) -> str | None:
    """Return a list of sites as text: how many, and their names (or numbers)."""
    if not isinstance(sites, list):
        return None
    names = [str(s.get("name") or (f"#{s['number']}" if s.get("number") else "") or s.get("candidate_id") or "")
             for s in sites if isinstance(s, Mapping)]  # fmt: skip
    names = [n for n in names if n]
    count = _ui("audit_count", lang, n=len(sites))
    if not names:
        return count
    return count + ("：" if lang == "zh" else ": ") + _joined(names, lang)


def _published(value: object, lang: str) -> str | None:
    if value is None:
        return None
    return _ui("details_published" if value else "details_unpublished", lang)


def _created(after: Mapping, lang: str) -> list[Change]:
    """Return what a new scenario was: its name, area, source, how many sites, the planner's own files."""
    found = [Change(_ui("name", lang), None, _plain(after["name"], lang))] if "name" in after else []
    if "area" in after:
        found.append(Change(_ui("audit_field_area", lang), None, _plain(after["area"], lang)))
    if "source" in after:
        source = str(after["source"])
        found.append(Change(_ui("audit_field_source", lang), None,
                            _ui(_SOURCES[source], lang) if source in _SOURCES else source))  # fmt: skip
    if "sites" in after:
        found.append(Change(_ui("audit_field_sites", lang), None, _ui("audit_count", lang, n=after["sites"])))
    if isinstance(after.get("user_data"), Mapping):
        found.extend(_uploaded({}, after["user_data"], lang))
    return found


def _uploaded(before: Mapping, after: Mapping, lang: str) -> list[Change]:
    """Return the planner's files before and after an upload: worker layers, candidate sites, existing stations."""
    found = []
    for key, label in (("layers", "audit_field_layers"), ("sites", "data_sites"), ("existing", "data_existing")):
        old, new = _files(before.get(key), lang), _files(after.get(key), lang)
        if old != new:
            found.append(Change(_ui(label, lang), old, new))
    return found


def _observed(after: Mapping, lang: str) -> list[Change]:
    """Return how the layer an observed upload added was built: from what, for whom, its points and the privacy cut.

    The new layer is the last of the data's layers; its ``observed`` counts are all the scenario keeps of the build
    (no worker id, time or track ever reaches the log).
    """
    layers = after.get("layers")
    last = layers[-1] if isinstance(layers, list) and layers else None
    built = last.get("observed") if isinstance(last, Mapping) else None
    if not isinstance(built, Mapping):
        return []
    share = built.get("privacy_suppressed_share")
    text = _ui(
        "audit_observed", lang, kind=_ui(f"observed_kind_{built.get('kind')}", lang),
        group=i18n.group_name(str(built.get("group", "?")), lang), points=_measure(built.get("points"), lang),
        headcount=_measure(built.get("headcount"), lang), k=_measure(built.get("privacy_k"), lang),
        cell=_measure(built.get("privacy_cell_m"), lang), cells=_measure(built.get("privacy_suppressed_cells"), lang),
        removed=_measure(built.get("privacy_suppressed_points"), lang),
        workers=_measure(built.get("privacy_suppressed_workers"), lang, 1),
        share=_measure(100 * share, lang, 1) + "%" if _is_number(share) else "?",
    )  # fmt: skip
    return [Change(_ui("audit_field_observed", lang), None, text)]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _measure(value: object, lang: str, decimals: int = 0) -> str:
    """Return a number of an entry for the locale (``?`` for anything else: the raw record shows it)."""
    return i18n.format_number(value, lang, decimals) if _is_number(value) else "?"


def _files(value: object, lang: str) -> str | None:
    """Return the files of a data summary entry (one file or a list of them) as ``name（n 个点）``, joined."""
    files = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
    shown = [_ui("audit_field_points", lang, source=f.get("source", "?"), points=f.get("points", "?"))
             for f in files if isinstance(f, Mapping)]  # fmt: skip
    return _joined(shown, lang) if shown else None


#: Keys of an entry's values that are no site field: how each is told.
_SPECIAL = {"numbers": _numbers, "result": _result, "sites": _site_list, "proposals": _proposals,
            "published": _publication, "excluded": _site_ids("audit_field_excluded"),
            "forced": _site_ids("audit_field_forced")}  # fmt: skip
