"""The one catalog of what people read: complete in both languages, covering every code and every coded error."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from geoplan import errors, i18n, vocabulary
from geoplan.errors import GeoplanError, InputError

ROOT = Path(__file__).resolve().parents[1]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_entry_has_both_languages_with_the_same_placeholders():
    for section, entries in i18n.catalog().items():
        for key, entry in entries.items():
            assert set(entry) == {"zh", "en"}, (section, key)
            assert entry["zh"].strip(), (section, key)
            assert entry["en"].strip(), (section, key)
            assert _fields(entry["zh"]) == _fields(entry["en"]), (section, key)


def test_every_code_has_its_names():
    for section, codes in (("group", vocabulary.WORKER_GROUP_KEYS), ("service", vocabulary.SERVICES),
                           ("host", vocabulary.HOSTS), ("station_status", vocabulary.STATION_STATUSES),
                           ("site_source", vocabulary.SITE_SOURCES)):  # fmt: skip
        assert set(codes) <= set(i18n.entries(section)), section
    for status in vocabulary.ACTIVE_STATUSES:
        assert f"status_{status}" in i18n.entries("label")
    for level in vocabulary.LEVELS:
        assert f"level_{level}" in i18n.entries("label")


def test_every_coded_error_is_in_the_catalog():
    sources = [*(ROOT / "geoplan").rglob("*.py"), *(ROOT / "web").rglob("*.py")]
    codes = {code for path in sources for code in re.findall(r'\bcode="([a-z_0-9]+)"', path.read_text("utf-8"))}
    assert codes, "no coded errors found: the scan is broken"
    assert codes <= set(i18n.entries("error"))


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


# --- gettext catalogs -------------------------------------------------------------------------------------------------


def _po(lang: str):
    from babel.messages.pofile import read_po

    with i18n.po_path(lang).open("rb") as handle:
        return read_po(handle, locale=i18n.LOCALES[lang], domain=i18n.DOMAIN)


def test_the_catalogs_are_complete_in_both_languages_with_the_same_placeholders():
    po = {lang: {(m.context, m.id): m.string for m in _po(lang) if m.id} for lang in vocabulary.LANGUAGES}
    assert po["zh"], "the Chinese catalog is empty"
    assert set(po["zh"]) == set(po["en"]), "every key in zh_CN has an English text and vice versa"
    for key, zh in po["zh"].items():
        en = po["en"][key]
        assert zh.strip(), key
        assert en.strip(), key
        assert _fields(zh) == _fields(en), key
    for section, entries in i18n.catalog().items():  # the .po catalogs and the not-yet-moved dict together
        for key, entry in entries.items():
            assert set(entry) == {"zh", "en"}, (section, key)


def test_the_python_fallback_dict_is_empty_after_migration():
    """scripts/catalog_to_po.py moves every entry of CATALOG into the .po files (the integrator runs it before CI)."""
    left = {f"{section}.{key}" for section, entries in i18n.CATALOG.items() for key in entries}
    assert not left, f"run scripts/catalog_to_po.py: {sorted(left)[:10]}"


def test_every_key_a_template_or_script_uses_exists():
    from geoplan_web.i18n import _TABLES

    uses = [(path, r"\bt\(\s*['\"]([A-Za-z_0-9]+)['\"]\s*\)") for path in (ROOT / "web" / "templates").glob("*.html")]
    uses += [(path, r"\bT\(\s*['\"]([A-Za-z_0-9]+)['\"]\s*[,)]") for path in (ROOT / "web" / "static").glob("*.js")]
    found = 0
    for path, pattern in uses:
        for key in re.findall(pattern, path.read_text("utf-8")):
            found += 1
            assert key in _TABLES["zh"], (path.name, key)
            assert key in _TABLES["en"], (path.name, key)
    assert found > 50, "the scan found almost no keys: it is broken"


def test_texts_come_from_the_po_files(tmp_path, monkeypatch):
    """A text edited in a .po file is what text() gives (the catalogs are read, not a copy of them)."""
    from babel.messages.pofile import write_po

    for lang in vocabulary.LANGUAGES:
        catalog = _po(lang)
        catalog.add("probe", {"zh": "探针", "en": "Probe"}[lang], context="ui")
        target = tmp_path / i18n.LOCALES[lang] / "LC_MESSAGES" / "geoplan.po"
        target.parent.mkdir(parents=True)
        with target.open("wb") as handle:
            write_po(handle, catalog)
    monkeypatch.setattr(i18n, "LOCALE_FOLDER", tmp_path)
    i18n._po.cache_clear()
    try:
        assert i18n.text("ui", "probe", "zh") == "探针"
        assert i18n.text("ui", "probe", "en") == "Probe"
        assert i18n.entries("ui", "zh")["probe"] == "探针"
    finally:
        monkeypatch.undo()
        i18n._po.cache_clear()


def test_the_migration_script_moves_every_entry_and_is_idempotent(tmp_path):
    import subprocess
    import sys

    (tmp_path / "geoplan").mkdir()
    source = ROOT / "geoplan" / "i18n.py"
    module = tmp_path / "geoplan" / "i18n.py"
    text = source.read_text("utf-8")
    probes = ('    "ui": {\n        "migration_probe": {"zh": "迁移", "en": "Migrated {n}", "x": "?"},\n'
              '        "migration_probe_ok": {"zh": "迁移 {n}", "en": "Migrated {n}"},')
    text = text.replace('    "ui": {', probes, 1)
    module.write_text(text, "utf-8")
    script = ROOT / "scripts" / "catalog_to_po.py"
    first = subprocess.run([sys.executable, str(script), "--root", str(tmp_path)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert first.returncode == 1, first.stderr  # the malformed probe stays behind
    assert "migration_probe: needs exactly the languages zh and en" in first.stderr
    po = {lang: (tmp_path / "geoplan" / "locale" / i18n.LOCALES[lang] / "LC_MESSAGES" / "geoplan.po").read_text()
          for lang in ("zh", "en")}  # fmt: skip
    assert 'msgctxt "ui"\nmsgid "migration_probe_ok"\nmsgstr "迁移 {n}"' in po["zh"]
    assert 'msgid "migration_probe_ok"\nmsgstr "Migrated {n}"' in po["en"]
    rewritten = module.read_text("utf-8")
    assert "migration_probe_ok" not in rewritten
    assert "'migration_probe'" in rewritten
    compile(rewritten, str(module), "exec")
    again = subprocess.run([sys.executable, str(script), "--root", str(tmp_path)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert "moved 0 text(s)" in again.stdout
    assert module.read_text("utf-8") == rewritten
    for lang, before in po.items():
        path = tmp_path / "geoplan" / "locale" / i18n.LOCALES[lang] / "LC_MESSAGES" / "geoplan.po"
        assert path.read_text() == before
    # A text already in the catalogs is replaced by the dict's newer one (Babel's Catalog.add would keep the old).
    corrected = '    "ui": {\n        "migration_probe_ok": {"zh": "已迁移 {n}", "en": "Moved {n}"},'
    module.write_text(rewritten.replace('    "ui": {', corrected, 1), "utf-8")
    third = subprocess.run([sys.executable, str(script), "--root", str(tmp_path)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert "(1 replaced an older text)" in third.stdout, third.stdout
    zh = (tmp_path / "geoplan" / "locale" / "zh_CN" / "LC_MESSAGES" / "geoplan.po").read_text()
    assert 'msgctxt "ui"\nmsgid "migration_probe_ok"\nmsgstr "已迁移 {n}"' in zh
    assert "迁移 {n}\"" not in zh.replace("已迁移 {n}", "")
    assert zh.count('msgid "migration_probe_ok"') == 1
    assert "#. en: Moved {n}" in zh


# --- times and numbers ------------------------------------------------------------------------------------------------


def test_times_are_shown_on_the_areas_clocks_with_the_zone():
    import datetime as dt

    moment = dt.datetime(2026, 12, 2, 10, 5, tzinfo=dt.UTC)
    assert i18n.format_time(moment, "zh", "Asia/Shanghai") == "2026-12-02 18:05（北京时间）"
    assert i18n.format_time(moment, "en", "Asia/Shanghai") == "2026-12-02 18:05 (Asia/Shanghai)"
    assert i18n.format_time(moment.replace(tzinfo=None), "en", "Asia/Shanghai").startswith("2026-12-02 18:05")
    helsinki = i18n.format_time("2026-12-02T10:05:00+00:00", "en", "Europe/Helsinki")
    assert helsinki == "2026-12-02 12:05 (Europe/Helsinki)"
    assert i18n.format_time(moment, "zh", "Europe/Helsinki") == "2026-12-02 12:05（芬兰时间 Europe/Helsinki）"


def test_counts_are_whole_and_grouped():
    assert i18n.format_count(2091.16, "zh") == "2,091"
    assert i18n.format_count(2091.6, "en") == "2,092"
    assert i18n.format_count(float("nan"), "zh") == "—"
    assert i18n.format_count(None, "en") == "—"
    assert i18n.format_number(11.46, "zh") == "11.5"


@pytest.mark.parametrize(("environ", "lang"), [
    ({}, "zh"), ({"LANG": "C"}, "zh"), ({"LANG": "POSIX"}, "zh"), ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"), ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_TW.UTF-8"}, "zh"),
])  # fmt: skip
def test_the_command_lines_language_follows_the_locale(environ, lang):
    assert i18n.environment_lang(environ) == lang


# --- messages a Chinese planner meets ---------------------------------------------------------------------------------


def _both(error) -> tuple[str, str]:
    return i18n.error_text(error, "zh"), i18n.error_text(error, "en")


def test_hours_refusals_are_coded():
    from geoplan.siting.hours import parse_hours

    with pytest.raises(InputError) as refused:
        parse_hours("8点到5点")
    zh, en = _both(refused.value)
    assert zh.startswith("开放时间 '8点到5点'：请写成 HH:MM-HH:MM"), zh
    assert en.startswith("Hours '8点到5点': write HH:MM-HH:MM"), en
    with pytest.raises(InputError) as refused:
        parse_hours("25:00-26:00")
    assert "不是有效的时刻" in i18n.error_text(refused.value, "zh")
    assert "is not a time of day" in str(refused.value)
    with pytest.raises(InputError) as refused:
        parse_hours("08:00-08:00")
    assert "时长为零" in i18n.error_text(refused.value, "zh")


def test_site_checks_are_coded_and_say_when_lon_and_lat_look_swapped():
    from geoplan.store.checks import as_version, check_site, clean_name

    with pytest.raises(InputError) as refused:
        check_site({"status": "proposed", "lon": 28.68, "lat": 115.89}, 0)
    zh, en = _both(refused.value)
    assert "经纬度可能写反了" in zh
    assert "look swapped" in en
    with pytest.raises(InputError) as refused:
        check_site({"status": "maybe", "lon": 115.89, "lat": 28.68}, 2)
    zh, en = _both(refused.value)
    assert zh.startswith("第 3 个站点：状态 'maybe' 无法识别")
    assert "已采纳（accepted）" in zh
    assert en == "site 3: status 'maybe' is unknown; use one of proposed, accepted, rejected, existing."
    with pytest.raises(InputError) as refused:
        check_site({"status": "proposed", "lon": "east", "lat": 28.68}, 0)
    assert i18n.error_text(refused.value, "zh") == "第 1 个站点：经度 lon应为度数。"
    with pytest.raises(InputError) as refused:
        check_site({"status": "proposed", "lon": 115.0, "lat": 28.0, "phase": 3}, 0)
    assert "期数应为 1 或 2" in i18n.error_text(refused.value, "zh")
    with pytest.raises(InputError) as refused:
        clean_name("   ")
    assert _both(refused.value) == ("方案名称：请填写 1 到 200 个字符。", "Scenario name: give 1 to 200 characters.")
    with pytest.raises(InputError) as refused:
        as_version("v2")
    assert "整数" in i18n.error_text(refused.value, "zh")


def test_csv_row_problems_are_coded_and_name_swapped_coordinates(tmp_path):
    from geoplan.data.readers import scan_points_csv

    path = tmp_path / "places.csv"
    path.write_text("name,lon,lat\nA,abc,28.6\nB,28.68,115.89\nC,115.89,28.68\n", "utf-8")
    frame, problems = scan_points_csv(path, weight=None)
    assert len(frame) == 1
    texts = {p.line: (i18n.error_text(p.error(), "zh"), i18n.error_text(p.error(), "en")) for p in problems}
    assert texts[2] == ("第 2 行：lon 'abc' 不是数字。", "line 2: lon 'abc' is not a number")
    assert "经纬度可能写反了" in texts[3][0]
    assert "look swapped" in texts[3][1]
    assert problems[0].message == "line 2: lon 'abc' is not a number"  # the English message stays as it was


def test_the_stale_edit_refusal_names_who_and_when_on_the_areas_clocks(tmp_path):
    from geoplan.errors import StaleError
    from geoplan.store import Store

    store = Store(f"sqlite:///{tmp_path / 'stale.sqlite'}")
    store.upgrade()
    scenario = store.create_scenario("东湖区 试点", "helsinki", "alice", sites=[], source="test")
    store.rename_scenario(scenario["id"], "东湖区 一期", scenario["version"], "bob")
    with pytest.raises(StaleError) as refused:
        store.rename_scenario(scenario["id"], "东湖区 二期", scenario["version"], "carol")
    zh, en = _both(refused.value)
    assert zh.startswith("方案“东湖区 一期”在您打开之后已被bob 于 "), zh
    assert "（芬兰时间 Europe/Helsinki）" in zh  # helsinki's clocks, not UTC
    assert "您的更改未保存" in zh
    assert re.search(r" by bob at \d{4}-\d\d-\d\d \d\d:\d\d \(Europe/Helsinki\) after you loaded it", en), en
    with pytest.raises(InputError) as missing:
        store.scenario(99999)
    assert _both(missing.value) == ("方案 99999 不存在。", "Scenario 99999 does not exist.")


# --- every error raised is coded --------------------------------------------------------------------------------------

#: The classes of geoplan.errors (GeoplanError and its subclasses): raising one needs ``code=``.
_ERROR_CLASSES = frozenset(
    name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, GeoplanError)
)

#: Functions that build a coded error, and the position of the code among their arguments.
_CODED_FACTORIES = {"input_error": 0, "coded_error": 1}


def _called(func: ast.expr) -> str | None:
    """The name a call goes through: ``InputError(...)``, ``errors.InputError(...)``, ``i18n.input_error(...)``."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _parsed_sources() -> list[tuple[str, ast.Module]]:
    paths = sorted([*(ROOT / "geoplan").rglob("*.py"), *(ROOT / "web").rglob("*.py")])
    return [(path.relative_to(ROOT).as_posix(), ast.parse(path.read_text("utf-8"), str(path))) for path in paths]


def _literal_code(call: ast.Call) -> str | None:
    """The error code a call passes as a string literal (``code="..."``, or the code argument of a factory)."""
    name = _called(call.func)
    for keyword in call.keywords:
        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            return keyword.value.value
    position = _CODED_FACTORIES.get(name or "")
    if position is not None and len(call.args) > position:
        argument = call.args[position]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            return argument.value
    return None


def test_every_raised_error_carries_a_code():
    """A planner reads every error in Chinese or English: no ``raise InputError(f"...")`` without ``code=``."""
    assert {"GeoplanError", "InputError", "NotFoundError", "PlacementError", "AreaError", "InfeasibleError",
            "SolverError", "StaleError"} <= _ERROR_CLASSES  # fmt: skip
    uncoded, checked = [], 0
    for path, tree in _parsed_sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            name = _called(node.exc.func)
            if name in _CODED_FACTORIES:
                checked += 1
            elif name in _ERROR_CLASSES:
                checked += 1
                if not any(keyword.arg == "code" for keyword in node.exc.keywords):
                    uncoded.append(f"{path}:{node.lineno}: {name}")
    assert checked > 200, f"the scan found only {checked} raises: it is broken"
    assert not uncoded, "errors raised without code= (use i18n.input_error or i18n.coded_error):\n" + "\n".join(uncoded)


def test_every_literal_code_is_in_both_catalogs_with_its_placeholders_supplied():
    """Each ``code="..."`` (or code argument of input_error/coded_error) names an error text in zh and en, and the call
    passes every placeholder of that text (calls that spread ``**params`` are not checked for placeholders)."""
    problems, checked = [], 0
    for path, tree in _parsed_sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            code = _literal_code(node)
            if code is None:
                continue
            checked += 1
            where = f"{path}:{node.lineno}: {code}"
            templates = {lang: i18n._template("error", code, lang) for lang in vocabulary.LANGUAGES}
            missing = [lang for lang, template in templates.items() if template is None]
            if missing:
                problems.append(f"{where}: not in the {'/'.join(missing)} catalog")
                continue
            if any(keyword.arg is None for keyword in node.keywords):
                continue  # **params: what they hold is not visible here
            given = {keyword.arg for keyword in node.keywords} - {"code"}
            needed = set().union(*(_fields(template) for template in templates.values()))
            if needed - given:
                problems.append(f"{where}: placeholders {sorted(needed - given)} not passed")
    assert checked > 200, f"the scan found only {checked} coded calls: it is broken"
    assert not problems, "\n".join(problems)


# --- candidate refusals --------------------------------------------------------------------------------------------


def test_refusal_reasons_are_coded_and_read_in_both_languages():
    from geoplan.inputs.candidates import refusal_text

    assert refusal_text("overlaps_building") == "与建筑物重叠"
    assert refusal_text("overlaps_building", "en") == "overlaps a building"
    both = "overlaps_building/overlaps_carriageway"
    assert refusal_text(both, "en") == "overlaps a building / overlaps the carriageway"
    assert refusal_text(both, "zh") == "与建筑物重叠 / 与车行道重叠"
    assert refusal_text("host_not_street_side", "zh", max_m="30") == "依托场所不临街（距街道超过 30 米）"
    assert refusal_text("host_not_street_side", "en", max_m="30") == "host not street-side (> 30 m)"
    small = refusal_text("floor_area_too_small", "en", area="6", min_area="9")
    assert small == "floor area 6 m² below the 9 m² minimum"
    for source in vocabulary.SITE_SOURCES:
        assert i18n.text("site_source", source, "zh") != source
