"""Flask-Babel in the web app: the locale is the planner's language, the time zone the area's of the page."""

from __future__ import annotations

import datetime as dt

import flask_babel
from flask import render_template_string


def test_the_locale_follows_the_chosen_language(app):
    with app.test_request_context("/"):
        assert str(flask_babel.get_locale()) == "zh_Hans_CN"  # Babel's full name of zh_CN
        assert flask_babel.format_decimal(2091.16) == "2,091.16"
    with app.test_request_context("/?lang=en"):
        assert str(flask_babel.get_locale()) == "en"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert str(flask_babel.get_locale()) == "en"


def test_the_time_zone_is_the_areas_of_the_scenario_shown(app, store):
    scenario = store.create_scenario("东湖区 试点", "helsinki", "plan", sites=[], source="test")
    moment = dt.datetime(2026, 12, 2, 10, 5, tzinfo=dt.UTC)
    with app.test_request_context(f"/scenarios/{scenario['id']}"):
        app.preprocess_request()
        from flask import request

        request.view_args = {"scenario_id": scenario["id"]}
        assert str(flask_babel.get_timezone()) == "Europe/Helsinki"
        page = render_template_string("{{ format_time(when) }} {{ format_count(2091.16) }}", when=moment)
        assert page == "2026-12-02 12:05（芬兰时间 Europe/Helsinki） 2,091"
    with app.test_request_context("/basemap/shanghai/bounds.json"):
        from flask import request

        request.view_args = {"area": "shanghai"}
        assert str(flask_babel.get_timezone()) == "Asia/Shanghai"
        assert render_template_string("{{ format_time(when) }}", when=moment) == "2026-12-02 18:05（北京时间）"
    with app.test_request_context("/?lang=en"):
        from flask import request

        request.view_args = {"area": "shanghai"}
        assert flask_babel.format_datetime(moment, "yyyy-MM-dd HH:mm") == "2026-12-02 18:05"
        assert render_template_string("{{ format_time(when) }}", when=moment) == "2026-12-02 18:05 (Asia/Shanghai)"
