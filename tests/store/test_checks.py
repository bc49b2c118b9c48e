"""The checks of station details a planner writes: phone numbers, links, texts and the names of codes."""

from __future__ import annotations

import pytest

from geoplan import i18n
from geoplan.errors import InputError
from geoplan.store.checks import check_details, check_phone, check_url


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("0791-86281234", "0791-86281234"),
        ("(0791) 8628 1234", "(0791) 8628 1234"),
        ("138 0000 0000", "138 0000 0000"),
        ("+86 138-0000-0000", "+86 138-0000-0000"),
        ("12345", "12345"),
        ("400-800-1234", "400-800-1234"),
        ("０７９１－８６２８１２３４", "0791-86281234"),  # full-width, as a Chinese input method writes it
        ("0791-86281234转123", "0791-86281234转123"),
        ("0791-86281234 ext. 12", "0791-86281234 ext. 12"),
        ("13800000000，0791-86281234", "13800000000、0791-86281234"),
        ("(0791)86281234 或 12345", "(0791)86281234、12345"),
    ],
)
def test_phone_numbers_as_planners_write_them_are_kept(written, kept):
    assert check_phone(written) == kept


@pytest.mark.parametrize(
    "written", ["12", "abc", "=1+1", "+", "1+2", "javascript:alert(1)", "138-0000-0000-0000-0000-0000", "、", "0791 转"]
)
def test_what_is_no_phone_number_is_refused_in_chinese(written):
    with pytest.raises(InputError) as caught:
        check_phone(written)
    assert caught.value.code == "phone_invalid"
    assert "不是电话号码" in i18n.error_text(caught.value, "zh")


@pytest.mark.parametrize(
    "link", ["https://example.org/a.jpg", "http://x.cn/p?q=1&r=2#top", "HTTPS://EXAMPLE.ORG/A.JPG", "https://[::1]:8443/x"]
)
def test_http_and_https_links_are_kept(link):
    assert check_url(f"  {link} ") == link


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:image/png;base64,AAAA",
        "file:///etc/passwd",
        "//evil.example/x.jpg",
        "/static/x.png",
        "https:///x",
        "https://user:secret@example.org/",
        "http://exa mple.org/",
        "http://[::1",
        "https://\u202eexample.org/",  # a right-to-left override hides where the link goes
        "https://example.org/\\..\\x",
        "https://example.org/" + "a" * 500,
    ],
)
def test_links_a_worker_should_not_open_are_refused(link):
    with pytest.raises(InputError) as caught:
        check_url(link, "photos")
    assert caught.value.code == "url_invalid"
    assert "http://" in i18n.error_text(caught.value, "zh")


@pytest.mark.parametrize(
    ("details", "code"),
    [
        ({"name": {"a": 1}}, "field_not_text"),
        ({"name": 5}, "field_not_text"),
        ({"manager": True}, "field_not_text"),
        ({"photos": [{"url": "https://example.org/x.jpg"}]}, "field_not_text_list"),
        ({"photos": ["https://example.org/x.jpg"] * 21}, "field_list_too_long"),
        ({"photos": ["javascript:alert(1)"]}, "url_invalid"),
        ({"host": "castle"}, "field_not_choice"),
        ({"services": ["massage"]}, "field_not_choice"),
        ({"colour": "red"}, "field_unknown"),
        ({}, "details_empty"),
    ],
)
def test_bad_details_are_refused_with_a_coded_message(details, code):
    with pytest.raises(InputError) as caught:
        check_details(details)
    assert caught.value.code == code
    assert i18n.error_text(caught.value, "zh") != i18n.error_text(caught.value, "en")


def test_chinese_names_of_hosts_services_and_statuses_are_read_as_their_codes():
    details = {"host": "银行网点", "services": ["饮水", "toilet", "drinking water"], "station_status": "开放"}
    values = check_details(details)
    assert values == {"host": "bank", "services": ["drinking_water", "toilet"], "station_status": "open"}


def test_a_refused_choice_lists_the_chinese_names():
    with pytest.raises(InputError) as caught:
        check_details({"host": "castle"})
    assert "银行网点" in i18n.error_text(caught.value, "zh")


def test_texts_lose_their_blank_runs_and_empty_texts_clear_the_field():
    values = check_details({"name": "  八一广场\n 爱心驿站 ", "address": "   ", "phone": None})
    assert values == {"name": "八一广场 爱心驿站", "address": None, "phone": None}
