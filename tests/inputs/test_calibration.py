"""Calibrated demand rules (geoplan.inputs.calibration) and the visit-ledger check (geoplan.inputs.visits).

The calibration tests draw workers on Helsinki's street samples from a Poisson model with known coefficients
(seeded) and check that the fit finds them again; the model-file tests walk every way a file can be wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan import settings
from geoplan.errors import InputError
from geoplan.inputs import calibration
from geoplan.inputs.calibration import (
    FEATURES,
    NO_STATION_M,
    DemandModel,
    StreetFeatures,
    calibrate,
    calibrated_layer,
    fit_counts,
    model_from_json,
    read_model,
    street_features,
    write_model,
)
from geoplan.inputs.demand import build_demand
from geoplan.inputs.visits import check_visits, demand_around, read_ledger

#: The model the synthetic workers are drawn from: coefficients on the standardised features.
TRUE_COEF = {
    "road_major": 0.6, "road_tertiary": 0.3, "road_minor": 0.0, "road_service": -0.4, "road_footway": -0.5,
    "eateries_300m": 0.5, "shops_300m": 0.2, "bus_stops_300m": 0.3, "taxi_ranks_300m": 0.0, "markets_300m": 0.0,
    "station_distance_log_m": -0.3, "signals_200m": 0.25,
}  # fmt: skip

#: Workers per 100 m of street at the mean features.
TRUE_RATE = 20.0


@pytest.fixture(scope="module")
def features(helsinki) -> StreetFeatures:
    return street_features(helsinki)


@pytest.fixture(scope="module")
def drawn(features) -> np.ndarray:
    """Workers per street sample drawn from TRUE_COEF (seeded)."""
    x = features.values
    scale = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    rate = TRUE_RATE * np.exp(z @ np.array([TRUE_COEF[name] for name in FEATURES]))
    return np.random.default_rng(15).poisson(features.exposure * rate).astype(float)


def layer_of(features: StreetFeatures, counts: np.ndarray, group: str = "couriers") -> gpd.GeoDataFrame:
    """An observed layer: one point per street sample with workers, in WGS-84."""
    keep = counts > 0
    layer = gpd.GeoDataFrame(
        {"group": group, "weight": counts[keep]}, geometry=features.samples.geometry.to_numpy()[keep],
        crs=features.samples.crs,
    ).to_crs(settings.WGS84)  # fmt: skip
    layer.attrs["source"] = "observed.csv"
    return layer


@pytest.fixture(scope="module")
def fitted(helsinki, features, drawn):
    """The calibration of the drawn workers, plus one point 3 km east of the area (to be dropped)."""
    layer = layer_of(features, drawn)
    east = shapely.Point(helsinki.boundary.bounds[2] + 3000, helsinki.boundary.centroid.y)
    far = gpd.GeoDataFrame({"group": ["couriers"], "weight": [7.0]}, geometry=[east], crs=helsinki.crs)
    layer = pd.concat([layer, far.to_crs(settings.WGS84)], ignore_index=True)
    layer.attrs["source"] = "observed.csv"
    return calibrate(helsinki, layer)


# --- features ------------------------------------------------------------------------------------------------------


def test_features_are_one_row_per_street_sample(helsinki, features):
    assert features.values.shape == (len(helsinki.street_samples), len(FEATURES))
    assert np.isfinite(features.values).all()
    assert features.exposure == pytest.approx(helsinki.street_samples["length_m"].to_numpy() / 100.0)
    roads = features.columns([name for name in FEATURES if name.startswith("road_")])
    assert set(np.unique(roads)) == {0.0, 1.0}
    assert (roads.sum(axis=1) <= 1).all()  # one class per sample at most; others are the base
    highway = helsinki.street_samples["highway"].to_numpy()
    assert (features.columns(["road_footway"])[:, 0] == np.isin(highway, ["footway", "steps", "pedestrian", "path",
                                                                          "cycleway"])).all()  # fmt: skip
    assert features.columns(["road_major"])[highway == "primary"].min() == 1.0
    assert features.columns(["road_minor"])[highway == "trail"].max() == 0.0  # an unlisted class: the base
    assert not features.no_stations


def test_neighbourhood_counts_match_a_brute_force_count(helsinki, features):
    """The STRtree counts equal plain distance checks on a sample of street points."""
    pois = helsinki.pois
    eateries = pois[pois["amenity"].isin(["restaurant", "fast_food", "cafe", "food_court"])].geometry.to_numpy()
    signals = pois[pois["highway"] == "traffic_signals"].geometry.to_numpy()
    rows = np.random.default_rng(3).choice(len(features.values), 60, replace=False)
    points = features.samples.geometry.to_numpy()[rows]
    for name, targets, radius in (("eateries_300m", eateries, 300.0), ("signals_200m", signals, 200.0)):
        brute = (shapely.distance(points[:, None], targets[None, :]) <= radius).sum(axis=1)
        assert np.expm1(features.columns([name])[rows, 0]) == pytest.approx(brute)
        assert brute.max() > 0
    stations = pois[pois["railway"].isin(["station", "halt"]) | (pois["public_transport"] == "station")]
    nearest = shapely.distance(points[:, None], stations.geometry.to_numpy()[None, :]).min(axis=1)
    assert np.exp(features.columns(["station_distance_log_m"])[rows, 0]) - 100.0 == pytest.approx(nearest)


def test_an_area_without_stations_gets_the_constant_and_a_flag(helsinki, drawn):
    pois = helsinki.pois
    no_rail = pois[~(pois["railway"].isin(["station", "halt"]) | (pois["public_transport"] == "station"))]
    area = dataclasses.replace(helsinki, pois=no_rail)
    features = street_features(area)
    assert features.no_stations
    assert np.unique(features.columns(["station_distance_log_m"])) == pytest.approx([math.log(100.0 + NO_STATION_M)])
    model = fit_counts(features, drawn, "couriers", area_name="helsinki")
    assert model.cv["constant_features"] == ["station_distance_log_m"]
    assert model.coef[FEATURES.index("station_distance_log_m")] == 0.0


# --- fitting -------------------------------------------------------------------------------------------------------


def test_calibration_recovers_known_weights(fitted, drawn):
    model = fitted.model
    found = dict(zip(model.features, model.coef, strict=True))
    for name, true in TRUE_COEF.items():
        assert found[name] == pytest.approx(true, abs=0.15), name
    assert math.exp(model.intercept) == pytest.approx(TRUE_RATE, rel=0.1)
    # the cross-validated fit is high, and far above the couriers' rule of thumb on the same folds
    cv = model.cv
    assert cv["folds"] >= 3
    assert len(cv["d2"]) == len(cv["rule_d2"]) == cv["folds"]
    assert cv["d2_mean"] > 0.8
    assert min(d for d in cv["d2"] if d is not None) > 0.6
    assert cv["rule_d2_mean"] < cv["d2_mean"] - 0.3
    assert cv["rule"].startswith("eateries (weight 3)")
    assert model.alpha in cv["alphas"]
    # every observed worker near a street counted; the far point dropped and counted
    assert fitted.observed.observed_workers == pytest.approx(drawn.sum())
    assert (fitted.observed.dropped_points, fitted.observed.dropped_workers) == (1, 7.0)
    assert model.trained_on == {"area": "helsinki", "samples": len(drawn), "observed_workers": drawn.sum(),
                                "dropped_points": 1}  # fmt: skip


def test_a_fit_to_the_rule_of_thumb_itself_does_not_beat_it_by_much(helsinki, features):
    """Workers drawn from the sanitation rule: the rule's own D² is the better one or close to it."""
    expected, _ = calibration.rule_counts(helsinki, "sanitation")
    counts = np.random.default_rng(7).poisson(expected * 20000.0).astype(float)
    model = fit_counts(features, counts, "sanitation", baseline=expected, rule="sanitation rule")
    assert model.cv["rule_d2_mean"] > 0.5
    assert model.cv["d2_mean"] <= model.cv["rule_d2_mean"] + 0.05


def test_too_small_an_area_is_refused(features, drawn):
    xy = shapely.get_coordinates(features.samples.geometry.to_numpy())
    cells = np.floor(xy / calibration.MIN_BLOCK_M).astype(int)
    _, which, sizes = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    corner = which.reshape(-1) == np.argmax(sizes)  # the samples of one smallest block
    small = StreetFeatures(features.samples[corner], features.values[corner], features.exposure[corner], False)
    with pytest.raises(InputError, match=r"too small to cross-validate over space") as info:
        fit_counts(small, drawn[corner], "couriers", area_name="corner")
    assert info.value.code == "calibration_too_small"


def test_observed_points_far_from_every_street_are_refused(helsinki):
    far = gpd.GeoDataFrame({"group": ["couriers"] * 2, "weight": [3.0, 4.0]}, crs=helsinki.crs,
                           geometry=shapely.points([[390000, 6672000], [391000, 6672000]]))  # fmt: skip
    far.attrs["source"] = "riders.csv"
    with pytest.raises(InputError, match=r"riders\.csv: none of its 2 observed points lies within 150 m") as info:
        calibrate(helsinki, far)
    assert info.value.code == "calibration_no_workers"


def test_a_layer_of_several_groups_needs_a_group_and_a_known_one(helsinki, features, drawn):
    layer = layer_of(features, drawn)
    layer.loc[layer.index[:10], "group"] = "sanitation"
    with pytest.raises(InputError, match=r"several worker groups \(couriers, sanitation\)"):
        calibrate(helsinki, layer)
    with pytest.raises(InputError, match=r"Group 'pilots' has no rule of thumb") as info:
        calibrate(helsinki, layer, "pilots")
    assert info.value.code == "calibration_unknown_group"


# --- the model file ------------------------------------------------------------------------------------------------


def test_model_file_round_trip(fitted, features, tmp_path):
    path = write_model(fitted.model, tmp_path / "couriers.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "geoplan-demand-model"
    assert data["version"] == 1
    assert data["features"] == list(FEATURES)
    assert set(data) == {"format", "version", "group", "features", "mean", "scale", "coef", "intercept", "alpha", "cv",
                         "trained_on", "geoplan_version"}  # fmt: skip
    model = read_model(path)
    assert model.source == "couriers.json"
    assert model.group == "couriers"
    for name in ("mean", "scale", "coef"):
        assert getattr(model, name) == pytest.approx(getattr(fitted.model, name), rel=0, abs=0)
    assert (model.intercept, model.alpha) == (fitted.model.intercept, fitted.model.alpha)
    assert model.cv == fitted.model.cv
    assert model.expected(features) == pytest.approx(fitted.model.expected(features), rel=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["couriers.json"]  # no temporary file left


def good_model() -> dict:
    return {
        "format": "geoplan-demand-model", "version": 1, "group": "couriers", "features": ["road_major", "shops_300m"],
        "mean": [0.1, 3.0], "scale": [0.3, 1.2], "coef": [0.5, -0.2], "intercept": 1.0, "alpha": 0.01,
        "cv": {"d2_mean": 0.5}, "trained_on": {"area": "x", "samples": 10, "observed_workers": 20.0},
        "geoplan_version": "0.1.0",
    }  # fmt: skip


def changed(**fields) -> dict:
    data = good_model()
    for name, value in fields.items():
        if value is ...:
            del data[name]
        else:
            data[name] = value
    return data


@pytest.mark.parametrize(
    ("data", "code", "pattern"),
    [
        ([1, 2], "model_wrong_format", r"m\.json is not a geoplan demand model \(format should be geoplan-demand-"
         r"model, got a list\)"),
        (changed(format="other"), "model_wrong_format", r"got the text 'other'"),
        (changed(format=...), "model_wrong_format", r"got nothing"),
        (changed(version=2), "model_wrong_version", r"m\.json is a model of version 2; this geoplan reads version 1"),
        (changed(coef=...), "model_field_missing", r"m\.json has no field 'coef'\.$"),
        (changed(group=3), "model_field_invalid", r"field 'group' should be a text"),
        (changed(group="pilots"), "calibration_unknown_group", r"Group 'pilots' has no rule of thumb"),
        (changed(features=[]), "model_field_invalid", r"field 'features' should be a non-empty list"),
        (changed(features=["road_major", "wind_speed"], mean=[0, 0], scale=[1, 1], coef=[0, 0]),
         "model_unknown_features", r"names unknown features: wind_speed; known features are road_major, "),
        (changed(features=["road_major", "road_major"]), "model_field_invalid", r"each feature once"),
        (changed(coef=[0.5]), "model_lengths", r"field 'coef' holds 1 numbers for 2 features"),
        (changed(mean=[0.1, "3"]), "model_field_invalid", r"field 'mean' should be a list of numbers"),
        (changed(mean=[0.1, True]), "model_field_invalid", r"field 'mean' should be a list of numbers"),
        (changed(scale=[0.3, 0.0]), "model_field_invalid", r"field 'scale' should be positive numbers"),
        (changed(intercept="1"), "model_field_invalid", r"field 'intercept' should be a number"),
        (changed(intercept=1e999), "model_not_finite", r"field 'intercept' holds a number that is not finite"),
        (changed(coef=[0.5, 1e999]), "model_not_finite", r"field 'coef' holds a number that is not finite"),
        (changed(alpha=-1), "model_field_invalid", r"field 'alpha' should be a number of at least 0"),
        (changed(cv=[]), "model_field_invalid", r"field 'cv' should be an object"),
    ],
)
def test_malformed_model_json(data, code, pattern):
    with pytest.raises(InputError, match=pattern) as info:
        model_from_json(data, "m.json")
    assert info.value.code == code


def test_the_good_model_of_the_malformed_tests_reads():
    model = model_from_json(good_model(), "m.json")
    assert model.features == ("road_major", "shops_300m")
    assert model.coef == pytest.approx([0.5, -0.2])


@pytest.mark.parametrize(
    ("text", "code", "pattern"),
    [
        ("{not json", "model_not_json", r"m\.json is not a readable JSON model file: Expecting property name"),
        ('{"format": NaN}', "model_not_json", r"NaN is not a number JSON allows"),
        ('{"format": "geoplan-demand-model", "version": 1, "intercept": Infinity}', "model_not_json", r"Infinity"),
        ("", "model_not_json", r"Expecting value"),
        (json.dumps(good_model()).replace('"intercept": 1.0', '"intercept": 1e999'), "model_not_finite",
         r"field 'intercept'"),
    ],
)
def test_malformed_model_files(tmp_path, text, code, pattern):
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=pattern) as info:
        read_model(path)
    assert info.value.code == code


def test_model_file_not_text_or_missing(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b"\x80\x81\xfe pickle?")
    with pytest.raises(InputError, match=r"not a readable JSON model file") as info:
        read_model(path)
    assert info.value.code == "model_not_json"
    with pytest.raises(InputError, match=r"File not found") as info:
        read_model(tmp_path / "missing.json")
    assert info.value.code == "file_not_found"


# --- prediction ----------------------------------------------------------------------------------------------------


def test_calibrated_layer_spreads_the_headcount_by_the_model(helsinki, fitted, features):
    model = dataclasses.replace(fitted.model, source="couriers.json")
    layer = calibrated_layer(helsinki, model, 840.0)
    assert layer.crs == settings.WGS84
    assert list(layer.columns) == ["group", "weight", "geometry"]
    assert set(layer["group"]) == {"couriers"}
    assert layer.attrs["source"] == "couriers.json (calibrated)"
    assert layer["weight"].sum() == pytest.approx(840.0)
    expected = model.expected(features)
    assert layer["weight"].to_numpy() == pytest.approx(expected * 840.0 / expected.sum())
    back = layer.to_crs(helsinki.crs).geometry
    assert shapely.distance(back.to_numpy(), features.samples.geometry.to_numpy()).max() < 1e-3
    # more workers on a major road next to eateries than on a footway far from them: the fitted signs
    major = (features.columns(["road_major"])[:, 0] == 1) & (features.columns(["eateries_300m"])[:, 0] > 3)
    footway = (features.columns(["road_footway"])[:, 0] == 1) & (features.columns(["eateries_300m"])[:, 0] < 2)
    per_metre = layer["weight"].to_numpy() / features.exposure
    assert per_metre[major].mean() > 2 * per_metre[footway].mean()


@pytest.mark.parametrize("headcount", [0.0, -5.0, math.nan])
def test_calibrated_layer_needs_a_positive_headcount(helsinki, fitted, headcount):
    with pytest.raises(InputError, match=r"headcount of couriers must be a positive number") as info:
        calibrated_layer(helsinki, fitted.model, headcount)
    assert info.value.code == "calibrated_headcount"


def test_a_model_of_a_few_features_predicts(helsinki, features):
    model = DemandModel("sanitation", ("road_major",), np.array([0.0]), np.array([1.0]), np.array([math.log(3.0)]),
                        0.0, 0.0)  # fmt: skip
    layer = calibrated_layer(helsinki, model, 100.0)
    major = features.columns(["road_major"])[:, 0] == 1
    per_metre = layer["weight"].to_numpy() / features.exposure
    assert per_metre[major] == pytest.approx(np.full(major.sum(), per_metre[~major][0] * 3.0))


# --- visit ledgers -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stations(helsinki) -> gpd.GeoDataFrame:
    """Eight existing stations on street samples spread over the area (WGS-84, as read_sites returns them)."""
    samples = helsinki.street_samples
    rows = np.linspace(0, len(samples) - 1, 8).astype(int)
    frame = gpd.GeoDataFrame({"name": [f"S{i}" for i in range(1, 9)], "footprint_m2": 9.0},
                             geometry=samples.geometry.to_numpy()[rows], crs=helsinki.crs)  # fmt: skip
    frame = frame.to_crs(settings.WGS84)
    frame.loc[1, "name"] = None  # a station without a name: its row number (2) is its id
    return frame


@pytest.fixture(scope="module")
def predicted(helsinki, stations) -> np.ndarray:
    demand, rules = build_demand(helsinki)
    cutoffs = dict.fromkeys(rules, 1000.0) | {"couriers": 2000.0}
    return demand_around(demand, stations, cutoffs)


def ledger_of(visits_per_day: np.ndarray, days: int = 30) -> pd.DataFrame:
    start = dt.date(2026, 3, 1)
    rows = [(station, start + dt.timedelta(days=day), float(visits), 0)
            for station, visits in enumerate(visits_per_day) for day in range(days)]  # fmt: skip
    return pd.DataFrame(rows, columns=["station", "date", "visits", "line"])


def test_demand_around_counts_workers_within_each_groups_cutoff(helsinki, stations, predicted):
    demand, _ = build_demand(helsinki)
    point = stations.to_crs(helsinki.crs).geometry.iloc[3]
    distance = demand.distance(point)
    cutoff = np.where(demand["group"] == "couriers", 2000.0, 1000.0)
    assert predicted[3] == pytest.approx(demand["weight"][distance.to_numpy() <= cutoff].sum())
    assert (predicted > 0).all()


def test_check_visits_flags_a_station_three_times_busier_than_predicted(stations, predicted):
    per_day = np.round(predicted * 0.05)
    busiest = int(np.argmin(predicted))
    per_day[busiest] *= 3
    result = check_visits(stations, ledger_of(per_day), predicted)
    table = result.table
    assert list(table["flag"]) == ["under" if i == busiest else "" for i in range(8)]
    assert table.loc[busiest, "ratio"] > 2.0
    assert table.loc[busiest, "pearson_residual"] > 2.0
    assert list(table["station_id"]) == ["S1", "2", "S3", "S4", "S5", "S6", "S7", "S8"]
    assert (table["days"] == 30).all()
    # Poisson maximum likelihood: total visits = scale x sum(predicted x days)
    assert result.scale == pytest.approx(per_day.sum() / predicted.sum())
    assert table["expected_per_day"].to_numpy() == pytest.approx(result.scale * predicted)
    assert table["observed_per_day"].to_numpy() == pytest.approx(per_day)


def test_check_visits_flags_overestimates_and_stations_missing_from_the_ledger(stations, predicted):
    per_day = np.round(predicted * 0.05)
    per_day[2] = np.round(per_day[2] / 4)
    ledger = ledger_of(per_day)
    ledger = ledger[ledger["station"] != 6]
    table = check_visits(stations, ledger, predicted).table
    assert table.loc[2, "flag"] == "over"
    assert table.loc[6, "flag"] == "no_ledger"
    assert math.isnan(table.loc[6, "visits"])
    assert (table.drop(index=[2, 6])["flag"] == "").all()


def test_read_ledger_by_name_and_row_number(tmp_path, stations):
    path = tmp_path / "ledger.csv"
    path.write_text("station_id,date,visits\nS1,2026-03-01,12\n2,2026/3/2,4\n 8 ,2026-03-01,0\n,,\n"
                    "S1,2026-03-01,3\n", encoding="utf-8")  # fmt: skip
    ledger = read_ledger(path, stations)
    assert list(ledger["station"]) == [0, 1, 7, 0]
    assert list(ledger["date"]) == [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 1),
                                    dt.date(2026, 3, 1)]  # fmt: skip
    assert list(ledger["line"]) == [2, 3, 4, 6]
    table = check_visits(stations, ledger, np.ones(8)).table
    assert table.loc[0, ["days", "visits"]].tolist() == [1, 15.0]  # two rows of one day add up


def test_bad_ledger_rows_are_refused_with_their_line_numbers(tmp_path, stations):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "Station_ID,date,visits\n"
        "S1,2026-03-01,12\n"
        "S1,,3\n"
        "S3,2026-13-01,3\n"
        "S4,2026-03-01,-4\n"
        "S2,2026-03-01,2\n"
        "S5,2026-03-01,many\n"
        "S6,2026-03-01,2,extra\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_ledger(path, stations)
    assert info.value.code == "malformed_rows"
    assert str(info.value) == (
        f"{path}: 6 malformed row(s): line 3: date is empty; line 4: date '2026-13-01' is not a date (write "
        "2026-03-01 or 2026/3/1); line 5: visits -4.0 is negative; line 6: station_id 'S2' is neither a name nor a "
        "row number of the stations file; line 7: visits 'many' is not a number; line 8: more fields than the header."
    )


def test_a_ledger_without_its_columns_or_rows_is_refused(tmp_path, stations):
    path = tmp_path / "ledger.csv"
    path.write_text("station,date,visits\nS1,2026-03-01,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"missing column\(s\) station_id") as info:
        read_ledger(path, stations)
    assert info.value.code == "missing_columns"
    path.write_text("station_id,date,visits\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"the file has a header but no rows") as info:
        read_ledger(path, stations)
    assert info.value.code == "file_no_rows"
