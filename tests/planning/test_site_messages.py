"""The refusals of a dragged or imported position are coded: Chinese for planners, English as the translation."""

from __future__ import annotations

import pytest

from geoplan import i18n
from geoplan.errors import InputError
from geoplan.planning.sites import to_area_xy


def _both(error) -> tuple[str, str]:
    return i18n.error_text(error, "zh"), i18n.error_text(error, "en")


def test_a_place_outside_the_area_is_refused_in_chinese(helsinki):
    with pytest.raises(InputError) as refused:
        to_area_xy(helsinki, 115.67, 28.52, "place")
    zh, en = _both(refused.value)
    assert zh.startswith("所选位置：(115.670000, 28.520000) 位于研究区域“"), zh
    assert "公里；请确认坐标为 WGS-84 经纬度" in zh
    assert en.startswith("place: (115.670000, 28.520000) lies "), en
    assert "km outside study area 'helsinki'; check that it is WGS-84" in en


def test_a_swapped_place_is_named_swapped(helsinki):
    lon, lat = 24.94, 60.17  # central Helsinki
    with pytest.raises(InputError) as refused:
        to_area_xy(helsinki, lat, lon, "place")
    zh, en = _both(refused.value)
    assert "经纬度可能写反了" in zh
    assert "look swapped" in en
    with pytest.raises(InputError) as refused:
        to_area_xy(helsinki, "east", lat, "place")
    assert i18n.error_text(refused.value, "zh") == "所选位置：经度应为有限的度数，收到的是 'east'。"
    with pytest.raises(InputError) as refused:
        to_area_xy(helsinki, 60.17, 124.94, "place")
    assert refused.value.code == "position_lonlat_swapped"
