"""Public pages: the workers' "stations near me" map (mobile first) and the firms' bulk lookup page."""

from __future__ import annotations

from flask import Blueprint, render_template

from geoplan.vocabulary import SERVICES

blueprint = Blueprint("public_pages", __name__)


@blueprint.get("/near")
def near():
    """Show the "stations near me" page."""
    return render_template("near.html", services=SERVICES)


@blueprint.get("/bulk")
def bulk():
    """Show the bulk lookup page (upload depots or crews, get the nearest stations per row)."""
    return render_template("bulk.html")
