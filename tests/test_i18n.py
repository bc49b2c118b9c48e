"""The one catalog of what people read: complete in both languages, covering every code and every coded error."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from geoplan import i18n, vocabulary
from geoplan.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_entry_has_both_languages_with_the_same_placeholders():
    for section, entries in i18n.CATALOG.items():
        for key, entry in entries.items():
            assert set(entry) == {"zh", "en"}, (section, key)
            assert entry["zh"].strip(), (section, key)
            assert entry["en"].strip(), (section, key)
            assert _fields(entry["zh"]) == _fields(entry["en"]), (section, key)


def test_every_code_has_its_names():
    for section, codes in (("group", vocabulary.WORKER_GROUP_KEYS), ("service", vocabulary.SERVICES),
                           ("host", vocabulary.HOSTS), ("station_status", vocabulary.STATION_STATUSES)):  # fmt: skip
        assert set(codes) <= set(i18n.CATALOG[section]), section
    for status in vocabulary.ACTIVE_STATUSES:
        assert f"status_{status}" in i18n.CATALOG["label"]
    for level in vocabulary.LEVELS:
        assert f"level_{level}" in i18n.CATALOG["label"]


def test_every_coded_error_is_in_the_catalog():
    sources = [*(ROOT / "geoplan").rglob("*.py"), *(ROOT / "web").rglob("*.py")]
    codes = {code for path in sources for code in re.findall(r'\bcode="([a-z_0-9]+)"', path.read_text("utf-8"))}
    assert codes, "no coded errors found: the scan is broken"
    assert codes <= set(i18n.CATALOG["error"])


def test_every_text_a_template_asks_for_exists():
    from geoplan_web.i18n import _TABLES

    for template in (ROOT / "web" / "templates").glob("*.html"):
        for key in re.findall(r"\bt\('([a-z_0-9]+)'\)", template.read_text("utf-8")):
            assert key in _TABLES["zh"], (template.name, key)


def test_coded_errors_are_rendered_in_the_asked_language():
    error = InputError("Unknown language 'fr'; use one of zh, en.", code="unknown_language", lang="fr",
                       languages="zh, en")  # fmt: skip
    assert i18n.error_text(error, "zh") == "语言 'fr' 无法识别；请使用 zh, en。"
    assert i18n.error_text(error, "en") == str(error)
    assert i18n.error_text(InputError("plain"), "zh") == "plain"
    with pytest.raises(InputError, match="Unknown language"):
        i18n.check_lang("fr")
    assert i18n.group_name("couriers", "zh") == "快递员与外卖骑手"
    assert i18n.group_name("night_riders", "zh") == "night_riders"
    assert i18n.services_text("toilet;drinking_water", "zh") == "如厕、饮水"
