"""Worker layers from a firm's observations in the review map's API (issue 15): a pings file uploaded into a scenario
becomes the group's demand layer, a preview stores nothing, bad files are refused in Chinese with their line numbers
and leave the scenario as it was, and no worker id or time is kept anywhere.

The pings are generated (seeded) riders waiting at three hotspots of Helsinki (tests/_traces.py).
"""

from __future__ import annotations

import io
import json
import tempfile

import pandas as pd
import pytest
from _traces import hotspot_points, traces
from _web_helpers import API
from geoplan_web import audit_text, validation
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

GROUP = "couriers"


@pytest.fixture(scope="module")
def pings(helsinki) -> pd.DataFrame:
    """30 riders' pings (worker_id,time,lon,lat), about 16,000 rows."""
    return traces(helsinki, hotspot_points(helsinki, 3), workers=30)


@pytest.fixture(scope="module")
def pings_csv(pings) -> str:
    return pings.to_csv(index=False)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The folder the app's temporary files go to (tempfile's default), to see that none is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _form(scenario: dict, text: str, *, kind: str = "pings", name: str = "pings.csv", **fields) -> dict:
    form = {"file": FileStorage(io.BytesIO(text.encode("utf-8")), name), "kind": kind, "group": GROUP,
            "coords": "wgs84", "version": str(scenario["version"]), **fields}  # fmt: skip
    boundary, data = encode_multipart(form)
    return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}


def _upload(client, scenario: dict, text: str, query: str = "", **fields):
    return client.change(f"{API}/scenarios/{scenario['id']}/data{query}", **_form(scenario, text, **fields))


def _preview(client, scenario: dict, text: str, query: str = "", **fields):
    return client.change(f"{API}/scenarios/{scenario['id']}/observed-preview{query}", **_form(scenario, text, **fields))


def _snapshot(store, scenario: dict) -> tuple:
    """Everything a refused or previewed upload must leave alone: the scenario, its data and the audit log."""
    return store.scenario(scenario["id"]), store.user_data(scenario["id"]), store.audit()


def _refused(response, *parts: str) -> str:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    message = response.get_json()["error"]
    for part in parts:
        assert part in message, (part, message)
    return message


def _private(text: str, pings: pd.DataFrame) -> None:
    """No worker id and no time of the pings in ``text``."""
    assert "rider-" not in text
    assert not any(stamp in text for stamp in pings["time"].iloc[::997])
    assert "10:0" not in text
    assert "2026-05-01" not in text


def test_a_pings_upload_becomes_the_groups_layer_and_only_counts_are_kept(
    planner, store, plan_scenario, pings, pings_csv, private_tmp
):
    response = _upload(planner, plan_scenario, pings_csv)
    assert response.status_code == 200, response.get_json()
    scenario = response.get_json()
    assert scenario["version"] == plan_scenario["version"] + 1
    report = scenario["observed"]["report"]
    assert (report["kind"], report["group"], report["input"]["workers"]) == ("pings", GROUP, 30)
    assert report["privacy"]["k"] == 5
    lines = scenario["observed"]["report_lines"]
    assert lines[0].startswith("pings.csv：")
    assert "30 名劳动者" in lines[0]
    assert any(line.startswith("隐私保护：") for line in lines)
    # the layer replaces the derived couriers and holds the observed headcount (less what the privacy cut took)
    assert scenario["figures"]["by_group"][GROUP]["workers"] == pytest.approx(
        report["privacy"]["kept_workers"], abs=0.5
    )
    (layer,) = scenario["user_data"]["layers"]
    assert layer["source"] == "pings.csv"
    assert layer["points"] == report["points"] > 0
    counts = layer["observed"]
    assert (counts["kind"], counts["group"], counts["workers"]) == ("pings", GROUP, 30)
    assert counts["points"] == layer["points"]
    assert counts["privacy_k"] == 5
    assert counts["privacy_suppressed_points"] == report["privacy"]["suppressed_points"]
    # stored: the aggregated points and counts, nothing of the file itself
    data = store.user_data(scenario["id"])
    assert [len(layer["rows"]) for layer in data["layers"]] == [layer["points"]]
    assert {row[3] for row in data["layers"][0]["rows"]} == {GROUP}
    _private(json.dumps(data, ensure_ascii=False), pings)
    entry = store.audit(scenario["id"])[0]
    assert entry["action"] == "upload pings"
    _private(json.dumps(entry, ensure_ascii=False), pings)
    told = {change.label: change.after for change in audit_text.changes(entry, "zh")}
    assert told["劳动者图层"] == f"pings.csv（{layer['points']} 个点）"
    assert told["观测数据生成的图层"].startswith(f"骑手定位点，{audit_text.i18n.group_name(GROUP)}：")
    assert "隐私删减（k = 5，250 米网格）" in told["观测数据生成的图层"]
    assert audit_text.action_name("upload pings", "en") == "build a worker layer from GPS pings"
    # the file was read from a private temporary folder that is gone
    assert list(private_tmp.iterdir()) == []
    # a later upload keeps the earlier build's counts beside its own layer
    sites = "lon,lat,footprint_m2\n" + "".join(f"{s['lon']},{s['lat']},15\n" for s in scenario["sites"][:1])
    later = _upload(planner, scenario, sites, kind="sites", name="sites.csv")
    assert later.status_code == 200, later.get_json()
    assert later.get_json()["user_data"]["layers"] == scenario["user_data"]["layers"]


def test_the_preview_draws_the_layer_and_stores_nothing(planner, store, plan_scenario, pings, private_tmp, pings_csv):
    before = _snapshot(store, plan_scenario)
    response = _preview(planner, plan_scenario, pings_csv, k="6")
    assert response.status_code == 200, response.get_json()
    layer = response.get_json()
    assert layer["type"] == "FeatureCollection"
    assert layer["group"] == GROUP
    assert len(layer["features"]) == layer["report"]["points"] > 0
    feature = layer["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert set(feature["properties"]) == {"weight"}
    lon, lat = feature["geometry"]["coordinates"]
    assert 24.8 < lon < 25.1
    assert 60.1 < lat < 60.3
    total = sum(f["properties"]["weight"] for f in layer["features"])
    assert total == pytest.approx(layer["report"]["privacy"]["kept_workers"], abs=0.01)
    assert layer["report"]["privacy"]["k"] == 6
    assert any("不同劳动者少于 6 人" in line for line in layer["report_lines"])
    _private(response.get_data(as_text=True), pings)
    assert _snapshot(store, plan_scenario) == before
    assert list(private_tmp.iterdir()) == []
    english = _preview(planner, plan_scenario, pings_csv, query="?lang=en").get_json()["report_lines"]
    assert english[0].startswith("pings.csv: 16")
    assert "of 30 workers" in english[0]
    assert _snapshot(store, plan_scenario) == before


def _bad_time(pings: pd.DataFrame) -> tuple[str, str]:
    frame = pings.head(4000).copy()
    frame.iloc[99, frame.columns.get_loc("time")] = "昨天下午"
    return frame.to_csv(index=False), "第 101 行：时间“昨天下午”无法识别"


def _outside(pings: pd.DataFrame) -> tuple[str, str]:
    frame = pings.head(4000).assign(lon=pings["lon"].head(4000) + 10.0)
    return frame.to_csv(index=False), "全部 4000 个点都在研究区域“helsinki”之外（例如第 2 行）"


def _few_workers(pings: pd.DataFrame) -> tuple[str, str]:
    frame = pings[pings["worker_id"].isin(["rider-0001", "rider-0002", "rider-0003"])]
    return frame.to_csv(index=False), "只有 3 名不同的劳动者；为保护个人隐私，至少需要 5 名"


def _no_time(pings: pd.DataFrame) -> tuple[str, str]:
    return pings.head(100).drop(columns="time").to_csv(index=False), "缺少列 time；第 1 行（表头）须包含"


BAD_FILES = {"missing_column": _no_time, "unparsable_time": _bad_time, "outside_area": _outside,
             "too_few_workers": _few_workers}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_in_chinese_and_leaves_the_scenario_as_it_was(
    planner, store, plan_scenario, pings, private_tmp, case
):
    text, expected = BAD_FILES[case](pings)
    before = _snapshot(store, plan_scenario)
    message = _refused(_upload(planner, plan_scenario, text), "pings.csv", expected)
    assert _refused(_preview(planner, plan_scenario, text)) == message
    assert _snapshot(store, plan_scenario) == before
    assert list(private_tmp.iterdir()) == []


def test_the_form_is_checked_before_anything_is_built(planner, store, plan_scenario, pings_csv, monkeypatch):
    before = _snapshot(store, plan_scenario)
    _refused(_upload(planner, plan_scenario, pings_csv, k="2"), "k", "5")  # stricter than the default, never weaker
    _refused(_upload(planner, plan_scenario, pings_csv, group=""), "pings.csv", "group")
    _refused(_upload(planner, plan_scenario, pings_csv, name="pings.xlsx"), ".csv")
    _refused(_preview(planner, plan_scenario, pings_csv, kind="layer"), "kind", "pings, orders, depots")
    stale = _upload(planner, {**plan_scenario, "version": plan_scenario["version"] + 1}, pings_csv)
    assert stale.status_code == 409
    monkeypatch.setattr(validation, "OBSERVED_FILE", validation.UploadLimits((".csv",), 1000, 100))
    message = _refused(_upload(planner, plan_scenario, pings_csv), "pings.csv", "geoplan layer build pings.csv",
                       "--kind pings", "最多 0.000953674 MB")  # fmt: skip
    assert message.endswith("再把生成的图层作为“劳动者分布”上传。")
    assert _snapshot(store, plan_scenario) == before


def test_viewers_may_not_preview_or_upload(viewer, store, plan_scenario, pings_csv):
    before = _snapshot(store, plan_scenario)
    assert _preview(viewer, plan_scenario, pings_csv).status_code == 403
    assert _upload(viewer, plan_scenario, pings_csv).status_code == 403
    assert _snapshot(store, plan_scenario) == before
