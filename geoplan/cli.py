"""Command line: ``geoplan plan``, ``geoplan areas``, ``geoplan candidates``.

The CLI is where geoplan talks to people: it prints what it chose and found, shows progress on long steps, and
turns every :class:`~geoplan.errors.GeoplanError` into a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from geoplan import __version__, i18n, settings
from geoplan.errors import GeoplanError, InputError
from geoplan.vocabulary import LANGUAGES

log = logging.getLogger("geoplan")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geoplan`` command; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    args.lang = getattr(args, "lang", None) or i18n.environment_lang()
    _configure_output(args)
    try:
        return args.run(args)
    except GeoplanError as exc:
        print(_message(exc, args.lang), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(i18n.text("cli", "interrupted", args.lang), file=sys.stderr)
        return 130


def _message(error: GeoplanError, lang: str = "zh") -> str:
    """Say an error as the command line does: a coded error in ``lang``, else its message as it is."""
    return i18n.text("cli", "error", lang, message=i18n.error_text(error, lang))


def _lang_arguments(parser: argparse.ArgumentParser) -> None:
    """Give every command ``--lang zh|en`` (default: the locale, zh unless LC_ALL/LC_MESSAGES/LANG is en_*)."""
    for action in parser._actions:  # argparse has no public walk of sub-commands
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                _lang_arguments(command)
            return
    if not any("--lang" in action.option_strings for action in parser._actions):
        parser.add_argument("--lang", choices=LANGUAGES, default=None,
                            help="language of what is printed: zh or en (default: from LANG, else zh)")  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geoplan",
        description="Plan rest stations for outdoor workers (爱心驿站) on real OpenStreetMap street networks.",
    )
    parser.add_argument("--version", action="version", version=f"geoplan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="propose station sites for an area and write proposals, coverage and a map")
    _area_arguments(plan)
    plan.add_argument("--stations", type=_positive_int, help="total stations (default: scaled to the area, max 35)")
    plan.add_argument("--out", type=Path, help="output folder (default: out/AREA)")
    plan.add_argument("--district-min", type=_non_negative_int, default=1, help="minimum stations per district (1)")
    plan.add_argument("--city-level", type=_non_negative_int, default=3, help="city-level stations to designate (3)")
    plan.add_argument("--spacing", type=float, default=300.0, help="minimum distance between stations, m (300)")
    plan.add_argument(
        "--cutoff", action="append", default=[], metavar="GROUP=M",
        help="service cutoff along the network for a worker group, m (default 1000 walking, couriers 2000 riding)",
    )  # fmt: skip
    plan.add_argument("--headcount", action="append", default=[], metavar="GROUP=N", help="workers in a group")
    plan.add_argument("--layer", action="append", default=[], metavar="FILE[:GROUP]", help="user demand layer")
    plan.add_argument("--layer-crs", default="wgs84", help="coordinates of --layer files: wgs84|gcj02|bd09")
    plan.add_argument(
        "--calibrated-from", action="append", default=[], type=Path, metavar="MODEL.json",
        help="a group's calibrated rule (geoplan layer calibrate): its layer spreads the group's headcount by it",
    )  # fmt: skip
    plan.add_argument("--sites", type=Path,
                      help="CSV of extra candidate sites: lon,lat,footprint_m2[,capacity][,name]")  # fmt: skip
    plan.add_argument(
        "--existing", type=Path,
        help="CSV of existing stations (kept): lon,lat[,footprint_m2][,capacity][,name]; capacity = people the "
        "station seats at once (a positive whole number); with --capacitated it is the station's capacity "
        "(x 60 person-minutes per hour), and a station without one seats floor(footprint_m2 x --people-per-m2)",
    )  # fmt: skip
    plan.add_argument("--sites-crs", default="wgs84", help="coordinates of --sites/--existing: wgs84|gcj02|bd09")
    plan.add_argument("--exclude", action="append", default=[], metavar="ID", help="candidate id never to choose")
    plan.add_argument(
        "--backup-weight", type=float, default=0.0,
        help="cross coverage (交叉覆盖): value of a second station within reach, as a share of the first (0)",
    )  # fmt: skip
    plan.add_argument("--max-gap", type=float, help="maximum-gap rule: every worker within this many metres")
    plan.add_argument(
        "--hours", help="opening-hours options per site, comma separated, e.g. 08:30-17:00,24h (time of day)"
    )
    plan.add_argument("--max-24h", type=_non_negative_int, help="at most this many 24-hour stations")
    plan.add_argument("--min-overlap", type=_positive_int, default=60, help="minutes open during a shift (60)")
    plan.add_argument(
        "--shifts-from", action="append", default=[], type=Path, metavar="LAYER.json",
        help="a group's shift shares from the report of an orders layer with times (geoplan layer build), with --hours",
    )  # fmt: skip
    plan.add_argument("--phases", action="store_true", help="phase 1: quota stations; phase 2: the rest")
    plan.add_argument(
        "--target-coverage", type=float, metavar="SHARE", help="fewest stations (up to --stations) covering SHARE"
    )
    plan.add_argument(
        "--capacitated", action="store_true",
        help="plan for station capacity: count a worker's visits only up to what the stations within reach seat in "
        "each time window of the day",
    )  # fmt: skip
    plan.add_argument("--people-per-m2", type=float, default=None, metavar="X",
                      help="people a station seats at once per m² of floor area, with --capacitated (0.5)")  # fmt: skip
    plan.add_argument("--visit-minutes", action="append", default=[], metavar="GROUP=M",
                      help="minutes per station visit of a worker group, with --capacitated")  # fmt: skip
    plan.add_argument("--time-limit", type=float, default=10.0, help="optimiser time limit, s (10)")
    plan.add_argument(
        "--gap", type=float, default=0.0,
        help="stop early at this optimality gap (0.005 = 0.5%%; default 0: only at a proven optimum or the time limit)",
    )  # fmt: skip
    plan.add_argument("--scenario", metavar="NAME", help="also save the plan as a review scenario in the database")
    spread = plan.add_mutually_exclusive_group()
    spread.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="compute the network coverage (a whole city's largest step) on a running Dask cluster, tcp://HOST:PORT",
    )  # fmt: skip
    spread.add_argument("--workers", type=_positive_int,
                        help="compute the network coverage in this many local Dask worker processes")  # fmt: skip
    _database_argument(plan)
    plan.set_defaults(run=_run_plan)

    areas = sub.add_parser("areas", help="list the registered study areas")
    areas.set_defaults(run=_run_areas)

    cands = sub.add_parser("candidates", help="generate candidate sites and list the refused ones by reason")
    _area_arguments(cands)
    cands.add_argument("--refusals", action="store_true", help="list every refused site, not only the counts")
    cands.set_defaults(run=_run_candidates)
    _batch_command(sub)
    _layer_commands(sub)
    _web_commands(sub)
    _export_command(sub)
    _lang_arguments(parser)
    return parser


def _batch_command(sub) -> None:
    batch = sub.add_parser(
        "batch",
        help="plan many areas in one run on Dask (a province's counties, a city's districts, registered areas): "
        "one scenario per area and one summary (CSV, GeoPackage, PNG map, PDF)",
    )  # fmt: skip
    which = batch.add_mutually_exclusive_group()
    which.add_argument("--areas", metavar="NAME,NAME...", help="registered areas (see 'geoplan areas')")
    which.add_argument("--areas-file", type=Path, metavar="FILE", help="file of registered area names, one per line")
    which.add_argument(
        "--area", metavar="OSMFILE|NAME",
        help="one OSM extract (.osm.pbf, .osm, .graphml, or a registered area's) split into areas by --split "
        "(default: the default area, split by its district file)",
    )  # fmt: skip
    batch.add_argument("--split", type=Path, metavar="BOUNDARIES",
                       help="polygons (GeoJSON, GeoPackage...): one area each")  # fmt: skip
    batch.add_argument("--split-crs", default="wgs84", help="coordinates of --split: wgs84|gcj02|bd09 (wgs84)")
    batch.add_argument("--split-name-field", default="name", help="property naming each polygon (name)")
    batch.add_argument("--network-type", choices=("walk", "drive", "bike", "all"),
                       help="streets of a split extract (default: the registered area's, else walk)")  # fmt: skip
    quota = batch.add_mutually_exclusive_group()
    quota.add_argument("--stations-per-area", type=_positive_int, metavar="N", help="stations in every area")
    quota.add_argument(
        "--stations-table", type=Path, metavar="CSV",
        help="per-area parameters: area,stations[,district_min][,city_level] (other areas: scaled to the area)",
    )  # fmt: skip
    quota.add_argument(
        "--add", type=_non_negative_int, metavar="N",
        help="audit (needs --existing): each area keeps its existing stations and gets N new ones (0: only measure "
        "the existing stations' coverage)",
    )  # fmt: skip
    batch.add_argument("--district-min", type=_non_negative_int,
                       help="minimum stations per district (1; 0 with --add)")  # fmt: skip
    batch.add_argument(
        "--city-level", type=_non_negative_int, default=0,
        help="city-level stations per area (0: counties and districts have none; 3 for cities)",
    )  # fmt: skip
    batch.add_argument("--spacing", type=float, default=300.0, help="minimum distance between stations, m (300)")
    batch.add_argument(
        "--existing", type=Path, help="CSV of existing stations of every area: lon,lat[,footprint_m2][,capacity][,name]"
    )  # fmt: skip
    batch.add_argument("--sites-crs", default="wgs84", help="coordinates of --existing: wgs84|gcj02|bd09")
    batch.add_argument("--min-area", type=float, default=9.0, help="minimum station floor area, m² (9)")
    batch.add_argument("--footprint", default="3x3", help="roadside footprint WIDTHxDEPTH in metres (3x3)")
    batch.add_argument("--candidate-spacing", type=float, default=50.0, help="roadside sample spacing, m (50)")
    batch.add_argument("--time-limit", type=float, default=10.0, help="optimiser time limit per area, s (10)")
    batch.add_argument("--gap", type=float, default=0.0, help="stop each area early at this optimality gap (0)")
    batch.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster here)",
    )  # fmt: skip
    batch.add_argument("--workers", type=_positive_int, help="LocalCluster worker processes (default: one per core)")
    batch.add_argument("--out", type=Path, default=Path("out") / "batch", help="output folder (out/batch)")
    batch.add_argument("--rerun", action="store_true", help="plan every area again (default: skip areas done with "
                       "the same inputs and code in --out)")  # fmt: skip
    batch.add_argument("--scenario-prefix", help="start of the scenarios' names (default: batch and the date)")
    batch.add_argument("--no-scenarios", action="store_true", help="do not save the areas as scenarios")
    batch.add_argument("--quiet", action="store_true", help="no progress output")
    _database_argument(batch)
    batch.set_defaults(run=_run_batch)


def _export_command(sub) -> None:
    export = sub.add_parser(
        "export",
        help="export a saved scenario: stations, service areas and coverage as GeoJSON, GeoPackage, KML, CSV, an "
        "HTML map, a PNG map or a PDF report",
    )
    export.add_argument("scenario", metavar="SCENARIO", help="scenario id or exact name")
    export.add_argument(
        "--format", dest="formats", action="append", required=True, metavar="FMT",
        help="geojson, gpkg, kml, csv, html, png or pdf; repeat for several",
    )  # fmt: skip
    export.add_argument(
        "--out", type=Path, required=True,
        help="output file, or a folder (existing, or a path without a suffix); with several formats and a file "
        "path, each format gets that path with its own suffix",
    )  # fmt: skip
    export.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of labels and of what is printed (default: from LANG, else zh)")  # fmt: skip
    export.add_argument("--minutes", type=float, default=15.0, help="travel time of the service areas, min (15)")
    _database_argument(export)
    export.set_defaults(run=_run_export)


def _layer_commands(sub) -> None:
    layer = sub.add_parser(
        "layer",
        help="worker layers from what firms observe: build them (GPS pings, orders, depots), calibrate, compare",
    )
    layer_sub = layer.add_subparsers(dest="layer_command", required=True)
    _layer_build_command(layer_sub)
    _layer_calibrate_command(layer_sub)
    _layer_compare_command(layer_sub)


def _layer_build_command(layer_sub) -> None:
    build = layer_sub.add_parser(
        "build",
        help="turn a firm's observations into a demand layer (lon,lat,weight) that `geoplan plan --layer` reads: "
        "riders' GPS pings, order pick-ups or depots with their crews; only the aggregated layer is written",
    )  # fmt: skip
    build.add_argument("file", type=Path, help="CSV: pings worker_id,time,lon,lat | orders time,lon,lat[,weight] | "
                       "depots lon,lat,headcount[,beat_m]")  # fmt: skip
    _area_arguments(build)
    build.add_argument("--group", required=True, help="worker group of the layer (e.g. couriers)")
    build.add_argument("--kind", required=True, choices=("pings", "orders", "depots"), help="what the file holds")
    build.add_argument("--out", type=Path, required=True, help="layer CSV to write (a LAYER.json report beside it)")
    build.add_argument("--crs", default="wgs84", help="coordinates of the file: wgs84|gcj02|bd09")
    build.add_argument("--headcount", type=float, help="scale the layer to this many workers "
                       "(default: pings, the most distinct workers seen within a quarter hour; orders, the group's "
                       "usual headcount for the area; depots, the crews' headcounts added up)")  # fmt: skip
    build.add_argument(
        "--k", type=_positive_int, default=5,
        help="privacy: drop map cells with fewer than K distinct workers (orders: K orders) (5)",
    )  # fmt: skip
    build.add_argument("--cell", type=float, default=250.0, help="side of the privacy cells, m (250)")
    build.add_argument("--stay-radius", type=float, default=100.0, help="pings: a stay stays within R m (100)")
    build.add_argument("--stay-minutes", type=float, default=5.0, help="pings: a stay lasts at least T min (5)")
    build.add_argument("--beat", type=float, default=1500.0, help="depots: crews' beat along the streets, m (1500)")
    build.set_defaults(run=_run_layer_build)


def _web_commands(sub) -> None:
    serve = sub.add_parser("serve", help="run the planners' review map (web app): waitress, or gunicorn workers")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_positive_int, default=8000, help="port (8000)")
    serve.add_argument("--threads", type=_positive_int, default=8, help="threads per worker process (8)")
    serve.add_argument(
        "--workers", type=_positive_int, default=1,
        help="worker processes (1: one waitress process; more: gunicorn, e.g. one per core in production)",
    )  # fmt: skip
    serve.add_argument(
        "--proxies", type=_non_negative_int, default=0,
        help="trusted reverse proxies in front whose X-Forwarded-* headers count (0; 1 behind nginx)",
    )  # fmt: skip
    _database_argument(serve)
    serve.set_defaults(run=_run_serve)

    user = sub.add_parser("user", help="manage the people who can log in to the web app")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add a user (password from $GEOPLAN_PASSWORD, stdin or a prompt)")
    add.add_argument("username")
    add.add_argument("--role", choices=("planner", "viewer"), default="planner", help="planner edits, viewer reads")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _database_argument(add)
    add.set_defaults(run=_run_user_add)
    password = user_sub.add_parser(
        "password", help="give a user a new password ($GEOPLAN_PASSWORD, stdin or a prompt) and end their sessions"
    )
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _database_argument(password)
    password.set_defaults(run=_run_user_password)
    remove = user_sub.add_parser("remove", help="remove a user (their decisions stay in the audit log)")
    remove.add_argument("username")
    _database_argument(remove)
    remove.set_defaults(run=_run_user_remove)
    listing = user_sub.add_parser("list", help="list users and roles")
    _database_argument(listing)
    listing.set_defaults(run=_run_user_list)


def _database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database", metavar="URL",
        help="database URL (default: $DATABASE_URL, else SQLite in the instance folder, $GEOPLAN_INSTANCE); "
        "e.g. postgresql+psycopg://...",
    )  # fmt: skip


def _store(args: argparse.Namespace):
    import os

    from geoplan.store import Store, default_url

    url = args.database or os.environ.get("DATABASE_URL") or default_url(_instance())
    store = Store(url)
    store.upgrade()
    return store


def _instance() -> Path:
    return settings.INSTANCE_FOLDER


def _area_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--area",
        default=None,
        help="registered area name (see 'geoplan areas'), OSM file path, or place name",
    )
    parser.add_argument("--districts", type=Path, help="file of county-level units (GeoJSON, GeoPackage...)")
    parser.add_argument("--districts-crs", default="wgs84", help="coordinates of --districts: wgs84|gcj02|bd09")
    parser.add_argument("--districts-name-field", default="name", help="property naming each district (name)")
    parser.add_argument("--min-area", type=float, default=9.0, help="minimum station floor area, m² (9)")
    parser.add_argument("--footprint", default="3x3", help="roadside footprint WIDTHxDEPTH in metres (3x3)")
    parser.add_argument("--candidate-spacing", type=float, default=50.0, help="roadside sample spacing, m (50)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _configure_output(args: argparse.Namespace) -> None:
    quiet = getattr(args, "quiet", False)
    settings.show_progress = not quiet and sys.stderr.isatty()
    if not any(getattr(h, "_geoplan_cli", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._geoplan_cli = True
        log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.INFO)


def _candidate_rules(args: argparse.Namespace):
    from geoplan.inputs.candidates import CandidateRules

    try:
        width, depth = (float(x) for x in args.footprint.lower().split("x"))
    except ValueError:
        raise i18n.input_error("footprint_option", footprint=args.footprint) from None
    return CandidateRules(
        min_area_m2=args.min_area,
        footprint_width_m=width,
        footprint_depth_m=depth,
        spacing_m=args.candidate_spacing,
    )


def _load(args: argparse.Namespace):
    from geoplan.data.areas import load_area, resolve, unavailable_default
    from geoplan.outputs.descriptions import district_source_text

    spec = resolve(args.area)
    fallback = unavailable_default() if args.area is None else None
    if fallback is not None:
        area, missing = fallback
        print(i18n.text("cli", "default_area_missing", args.lang, area=area, path=missing, used=spec.name),
              file=sys.stderr)  # fmt: skip
    if args.districts is not None:
        spec = dataclasses.replace(
            spec,
            districts=args.districts,
            districts_crs=args.districts_crs,
            districts_name_field=args.districts_name_field,
        )
    started = time.perf_counter()
    log.info(i18n.text("cli", "loading_area", args.lang, name=spec.name, title=spec.title_in(args.lang),
                       source=spec.source))  # fmt: skip
    area = load_area(spec)
    log.info(i18n.text(
        "cli", "area_loaded", args.lang, nodes=i18n.format_count(len(area.nodes), args.lang),
        edges=i18n.format_count(len(area.edges), args.lang), km2=f"{area.area_km2:.2f}", crs=area.crs.to_string(),
        districts=len(area.districts), source=district_source_text(area.district_source, args.lang),
        seconds=f"{time.perf_counter() - started:.1f}",
    ))  # fmt: skip
    return area


def _run_plan(args: argparse.Namespace) -> int:
    from geoplan.inputs.candidates import read_sites
    from geoplan.inputs.demand import read_layer
    from geoplan.inputs.user_data import UserData
    from geoplan.outputs.plan_files import write_plan
    from geoplan.planning.parameters import PlanParameters, default_stations
    from geoplan.planning.plan import plan_prepared
    from geoplan.planning.sites import check_stations_in_area

    params = PlanParameters(
        stations=args.stations,
        district_min=args.district_min,
        city_level_min=args.city_level,
        min_spacing_m=args.spacing,
        cutoff_m=_pairs(args.cutoff, "--cutoff"),
        headcounts=_pairs(args.headcount, "--headcount"),
        candidate_rules=_candidate_rules(args),
        excluded_ids=tuple(args.exclude),
        time_limit_s=args.time_limit,
        target_gap=args.gap,
        backup_weight=args.backup_weight,
        max_gap_m=args.max_gap,
        hours_options=_hours_options(args.hours),
        max_24h=args.max_24h,
        min_overlap_min=args.min_overlap,
        shift_shares=_shift_shares(args.shifts_from, args.lang),
        phases=args.phases,
        target_coverage=args.target_coverage,
        **_capacity_options(args),
    )
    if args.scenario:
        _check_scenario_area(args)  # before the slow part
    layers = []
    for item in args.layer:
        path, group = _layer_argument(item)
        layers.append(read_layer(path, crs=args.layer_crs, group=group))
    user_sites = read_sites(args.sites, crs=args.sites_crs) if args.sites else None
    existing = (
        read_sites(args.existing, crs=args.sites_crs, default_footprint_m2=args.min_area) if args.existing else None
    )
    models = _calibrated_models(args.calibrated_from, layers)
    area = _load(args)
    layers += _calibrated_layers(area, models, params.headcounts)
    user_data = UserData.from_frames(layers, user_sites, existing)
    if existing is not None:
        check_stations_in_area(area, existing, str(args.existing))  # the review map's import refuses them alike
    if args.stations is None:
        registry = area.spec.default_stations
        rule = (i18n.text("cli", "stations_rule_registry", args.lang, n=registry) if registry
                else i18n.text("cli", "stations_rule_area", args.lang))  # fmt: skip
        log.info(i18n.text("cli", "stations_scaled", args.lang, count=default_stations(area, params),
                           km2=f"{area.area_km2:.2f}", rule=rule, city=params.city_level_min,
                           per=params.district_min))  # fmt: skip
    started = time.perf_counter()
    prepared = _prepare(area, params, user_data, args)
    log.info(i18n.text(
        "cli", "prepared", args.lang, sites=i18n.format_count(len(prepared.candidates.sites), args.lang),
        locations=i18n.format_count(len(prepared.points), args.lang), seconds=f"{time.perf_counter() - started:.1f}",
        stations=prepared.default_stations(params),
    ))  # fmt: skip
    plan = plan_prepared(prepared, params)
    out = args.out or Path("out") / area.spec.name
    files = write_plan(plan, out, args.lang)
    _print_summary(plan, files, args.lang)
    if args.scenario:
        _save_scenario(args, plan)
    return 0


def _run_batch(args: argparse.Namespace) -> int:
    import datetime as dt

    from geoplan.batch import NO_STREETS, AreaTask, BatchProgress, run_batch
    from geoplan.batch.inputs import read_stations_table
    from geoplan.inputs.candidates import read_sites
    from geoplan.planning.parameters import PlanParameters

    if args.add is not None and args.existing is None:
        raise i18n.input_error("batch_add_needs_existing")
    if args.district_min is None:  # an audit measures what exists: no district minimum unless asked
        args.district_min = 0 if args.add is not None else 1
    specs, registry_note = _batch_areas(args)
    quotas = read_stations_table(args.stations_table, [s.name for s in specs]) if args.stations_table else {}
    existing = (
        read_sites(args.existing, crs=args.sites_crs, default_footprint_m2=args.min_area) if args.existing else None
    )
    base = PlanParameters(
        stations=args.stations_per_area, district_min=args.district_min, city_level_min=args.city_level,
        min_spacing_m=args.spacing, candidate_rules=_candidate_rules(args), time_limit_s=args.time_limit,
        target_gap=args.gap,
    )  # fmt: skip
    tasks = []
    for spec in specs:
        quota = quotas.get(spec.name)
        params = base
        if quota is not None:
            params = dataclasses.replace(
                base, stations=quota.stations,
                district_min=base.district_min if quota.district_min is None else quota.district_min,
                city_level_min=base.city_level_min if quota.city_level is None else quota.city_level,
            )  # fmt: skip
        tasks.append(AreaTask(spec=spec, params=params, existing=existing, lang=args.lang, add=args.add))
    store = None if args.no_scenarios else _store(args)
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    prefix = args.scenario_prefix if args.scenario_prefix is not None else i18n.text("cli", "batch_prefix", args.lang,
                                                                                     date=now)  # fmt: skip
    where = (i18n.text("cli", "batch_on_cluster", args.lang, address=args.scheduler) if args.scheduler
             else i18n.text("cli", "batch_on_local", args.lang))  # fmt: skip
    log.info(i18n.text("cli", "batch_start", args.lang, n=len(tasks), where=where, out=args.out))
    if registry_note:
        log.info(i18n.text("cli", "batch_registry", args.lang, path=registry_note))

    def report(event: BatchProgress) -> None:
        r = event.result
        head = f"[{event.done}/{event.total}] {r.title_in(args.lang)}"
        if event.workers_lost:
            log.warning(i18n.text("cli", "batch_workers_lost", args.lang, n=event.workers_lost))
        if not r.planned:
            key = "batch_area_failed" if r.failed else "batch_area_skipped"
            log.warning(i18n.text("cli", key, args.lang, head=head, error=r.error_in(args.lang)))
            return
        key = "batch_area_resumed" if event.resumed else "batch_area_done"
        log.info(i18n.text("cli", key, args.lang, head=head, stations=r.stations, share=f"{r.share:.1%}",
                           gap="—" if r.gap is None else f"{r.gap:.2%}", seconds=f"{r.seconds:.1f}"))  # fmt: skip

    try:
        outcome = run_batch(
            tasks, args.out, scheduler=args.scheduler, workers=args.workers, store=store, scenario_prefix=prefix,
            resume=not args.rerun, progress=report, notes=_batch_notes(existing, args),
        )  # fmt: skip
    finally:
        if store is not None:
            store.engine.dispose()
    done = [r for r in outcome.results if r.planned]
    workers = sum(r.workers for r in done)
    covered = sum(r.covered_workers for r in done)
    print(i18n.text(
        "cli", "batch_finished", args.lang, areas=len(outcome.results), failed=len(outcome.failed),
        skipped=sum(r.status == NO_STREETS for r in outcome.results),
        resumed=len(outcome.resumed), stations=sum(r.stations for r in done),
        share=f"{covered / workers:.1%}" if workers else "—", seconds=f"{outcome.seconds:.1f}",
        workers=outcome.workers,
    ))  # fmt: skip
    print(i18n.text("cli", "files_heading", args.lang))
    for path in outcome.files:
        print(f"  {path}")
    if outcome.failed:
        print(i18n.text("cli", "batch_some_failed", args.lang, n=len(outcome.failed),
                        areas="、".join(r.title_in(args.lang) for r in outcome.failed)), file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _batch_areas(args: argparse.Namespace):
    """Return the batch's areas, and the registry file written for split areas (None for registered ones)."""
    from geoplan.batch.inputs import read_area_list
    from geoplan.data.areas import load_registry, resolve
    from geoplan.data.split import split_areas, write_registry
    from geoplan.files import ensure_folder

    if args.areas or args.areas_file:
        if args.split is not None:
            raise i18n.input_error("batch_split_needs_area")
        names = read_area_list(args.areas_file) if args.areas_file else [
            n.strip() for n in args.areas.replace("，", ",").split(",") if n.strip()]  # fmt: skip
        specs, _ = load_registry()
        unknown = [name for name in names if name not in specs]
        if unknown or not names:
            raise i18n.input_error("batch_unknown_areas", names="、".join(unknown) or "—", known=", ".join(specs))
        return [specs[name] for name in dict.fromkeys(names)], None
    spec = resolve(args.area)
    boundaries, crs, field = args.split, args.split_crs, args.split_name_field
    if boundaries is None and spec.districts is None:  # districts the area computes (OSM boundaries, Voronoi)
        from geoplan.data.areas import load_area
        from geoplan.data.split import write_districts

        boundaries = write_districts(load_area(spec), ensure_folder(args.out) / "districts.geojson")
        crs, field = "wgs84", "name"
    elif boundaries is None:
        boundaries, crs, field = spec.districts, spec.districts_crs, spec.districts_name_field
    network = args.network_type or spec.network_type
    specs = split_areas(spec.source, boundaries, crs, field, network)
    if args.split is None:  # the registered area's own districts: keep its notes and time zone
        specs = [dataclasses.replace(s, timezone=spec.timezone, ignore_edge_tags=spec.ignore_edge_tags,
                                     unsupported_checks=spec.unsupported_checks,
                                     unsupported_checks_zh=spec.unsupported_checks_zh, points=spec.points)
                 for s in specs]  # fmt: skip
    registry = write_registry(specs, ensure_folder(args.out) / "areas.toml")
    return specs, registry


def _batch_notes(existing, args: argparse.Namespace) -> list[dict]:
    if existing is None:
        return []
    return [{lang: i18n.text("cli", "batch_existing_note", lang, n=len(existing), file=args.existing.name)
             for lang in ("zh", "en")}]  # fmt: skip


def _prepare(area, params, user_data, args: argparse.Namespace):
    """Prepare the plan; with ``--scheduler`` or ``--workers`` its coverage chunks run on Dask workers."""
    from geoplan.planning.prepare import prepare

    if not args.scheduler and (args.workers or 1) == 1:
        return prepare(area, params, user_data)
    from geoplan.batch.runner import dask_client

    with dask_client(args.scheduler, args.workers) as client:
        return prepare(area, params, user_data, executor=client.get_executor())


def _check_scenario_area(args: argparse.Namespace) -> None:
    """Refuse areas the registry cannot give back: a saved scenario is reopened by its area's registry name."""
    from geoplan.data.areas import load_registry

    specs, default = load_registry()
    name = args.area or default
    if name not in specs:
        raise InputError(
            f"--scenario needs a registered area (see 'geoplan areas'); {name!r} is not one. Add it to the area "
            "registry (GEOPLAN_AREAS), then plan it by name.",
            code="scenario_needs_registered_area",
            area=name,
        )
    if args.districts is not None:
        raise InputError(
            "--scenario cannot be combined with --districts: the review map reopens the area with its registered "
            "districts. Register the area with these districts instead.",
            code="scenario_with_districts",
        )


def _save_scenario(args: argparse.Namespace, plan) -> None:
    import getpass

    from geoplan.planning.cache import ModelCache
    from geoplan.planning.scenarios import encode_multipliers, plan_sites

    sites = plan_sites(plan)
    result = {k: v for k, v in plan.summary()["optimality"].items() if k != "solve_seconds"}
    user_data = plan.prepared.user_data
    scenario = _store(args).create_scenario(
        args.scenario, plan.area.spec.name, getpass.getuser(), params=plan.params.to_json(), stations=plan.stations,
        sites=sites, result=result, source="geoplan plan", user_data=user_data.to_json(),
        data_summary=user_data.summary(), warm_start=encode_multipliers(plan.result.multipliers),
    )  # fmt: skip
    # The review map opens this scenario from the model just prepared, not by preparing it again.
    ModelCache(settings.MODEL_CACHE_FOLDER).put(plan.prepared)
    print(i18n.text("cli", "scenario_saved", args.lang, id=scenario["id"], name=scenario["name"], sites=len(sites)))


def _run_serve(args: argparse.Namespace) -> int:
    from geoplan_web import create_app, server

    config = {"DATABASE_URL": args.database} if args.database else {}
    app = create_app(config)  # migrates and makes the secret key once, before any worker process starts
    kind = "waitress" if args.workers == 1 else i18n.text("cli", "server_workers", args.lang, n=args.workers)
    log.info(i18n.text("cli", "serving", args.lang, host=args.host, port=args.port,
                       database=app.config["DATABASE_URL"].split("@")[-1], server=kind))  # fmt: skip
    if not app.extensions["geoplan_store"].users():
        log.warning(i18n.text("cli", "no_users", args.lang))
    server.serve(app, config, args.host, args.port, args.threads, workers=args.workers, proxies=args.proxies)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """Return the password of ``user add`` or ``user password``: from stdin, ``$GEOPLAN_PASSWORD`` or a prompt."""
    import getpass
    import os

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("GEOPLAN_PASSWORD"):
        return os.environ["GEOPLAN_PASSWORD"]
    password = getpass.getpass(i18n.text("cli", "password_prompt", args.lang, user=args.username))
    if getpass.getpass(i18n.text("cli", "password_again", args.lang)) != password:
        raise i18n.input_error("passwords_differ")
    return password


def _run_user_add(args: argparse.Namespace) -> int:
    user = _store(args).add_user(args.username, _read_password(args), args.role)
    role = i18n.text("cli", f"role_{user['role']}", args.lang)
    print(i18n.text("cli", "user_added", args.lang, user=user["username"], role=role))
    return 0


def _run_user_password(args: argparse.Namespace) -> int:
    user = _store(args).set_password(args.username, _read_password(args))
    print(i18n.text("cli", "user_password_changed", args.lang, user=user["username"]))
    return 0


def _run_user_remove(args: argparse.Namespace) -> int:
    _store(args).remove_user(args.username)
    print(i18n.text("cli", "user_removed", args.lang, user=args.username))
    return 0


def _run_user_list(args: argparse.Namespace) -> int:
    for user in _store(args).users():
        print(f"{user['username']}\t{user['role']}")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from geoplan.outputs import exporters
    from geoplan.outputs.export_data import build_export_data
    from geoplan.planning.cache import ModelCache
    from geoplan.planning.scenarios import scenario_workspace

    formats = list(dict.fromkeys(exporters.check_format(fmt) for fmt in args.formats))
    store = _store(args)
    try:
        scenario = _find_scenario(store, args.scenario)
        user_data = store.user_data(scenario["id"])
    finally:
        store.engine.dispose()
    outs = {fmt: _export_path(args.out, fmt, len(formats)) for fmt in formats}
    for fmt, out in outs.items():
        exporters.planned_files(scenario, fmt, out)  # refuse a bad path before the slow part
    workspace = scenario_workspace(ModelCache(settings.MODEL_CACHE_FOLDER), scenario, lambda: user_data)
    data = build_export_data(scenario, workspace, minutes=args.minutes)
    written = [path for fmt, out in outs.items() for path in exporters.write_export(data, fmt, out, lang=args.lang)]
    print(i18n.text("cli", "scenario_exported", args.lang, id=scenario["id"], name=scenario["name"],
                    stations=len(data.stations)))  # fmt: skip
    print(i18n.text("cli", "files_heading", args.lang))
    for path in written:
        print(f"  {path}")
    return 0


def _export_path(out: Path, fmt: str, count: int) -> Path:
    """Each format's output: the folder, the file itself, or (several formats) the file with the format's suffix."""
    if count == 1 or out.is_dir() or not out.suffix:
        return out
    return out.with_suffix(f".{fmt}")


def _find_scenario(store, key: str) -> dict:
    """Return the scenario whose id or exact name is ``key``; unknown or ambiguous keys raise InputError."""
    from geoplan.errors import NotFoundError

    key = key.strip()
    listing = store.scenarios()
    matches = [s for s in listing if (key.isdigit() and s["id"] == int(key)) or s["name"] == key]
    if not matches:
        known = ", ".join(f"#{s['id']} {s['name']!r}" for s in listing[:10])
        raise i18n.coded_error(NotFoundError, "cli_no_scenario", scenario=key, known=known or "none saved yet",
                               known_zh=known or "尚未保存任何方案")  # fmt: skip
    if len(matches) > 1:
        which = ", ".join(f"#{s['id']} {s['name']!r} ({s['updated_at']})" for s in matches)
        raise i18n.input_error("cli_ambiguous_scenario", n=len(matches), scenario=key, which=which)
    return store.scenario(matches[0]["id"])


def _print_summary(plan, files, lang: str = "zh") -> None:
    """Print what the plan chose and found, in ``lang``: counts whole, groups and statuses by their names."""
    from geoplan.outputs.descriptions import method_text

    s = plan.summary()
    workers, opt = s["workers"], s["optimality"]

    def say(key: str, **params) -> None:
        print(i18n.text("cli", key, lang, **params))

    def count(value) -> str:
        return i18n.format_count(value, lang)

    print(f"\n{plan.area.spec.title_in(lang)}")
    say("stations", n=plan.stations, city=int((plan.proposals["level"] == "city").sum()),
        candidates=count(len(plan.candidates.sites)), refused=count(len(plan.candidates.refused)))  # fmt: skip
    say("covered_capacitated" if plan.params.capacitated else "covered", covered=count(workers["covered"]),
        total=count(workers["total"]), share=f"{workers['share']:.1%}",
        objective=i18n.format_number(opt["objective"], lang), bound=i18n.format_number(opt["bound"], lang),
        gap=f"{opt['gap']:.3%}", method=method_text(opt["method"], lang),
        seconds=i18n.format_number(opt["solve_seconds"], lang))  # fmt: skip
    label, note = i18n.status_text(opt["status"], lang, opt["gap"])
    say("status", label=label, note=note) if note else print(label)
    details = plan.result.details
    if plan.params.backup_weight and "covered_twice" in details:
        say("covered_twice", n=count(details["covered_twice"]), weight=f"{plan.params.backup_weight:g}",
            objective=i18n.format_number(opt["objective"], lang),
            bound=i18n.format_number(opt["bound"], lang))  # fmt: skip
    if "hours" in plan.proposals.columns:
        counts = plan.proposals["hours"].value_counts()
        say("hours", list=", ".join(f"{label} x{number}" for label, number in counts.items()))
    if "phase" in plan.proposals.columns:
        counts = plan.proposals["phase"].value_counts().sort_index()
        phases = [i18n.text("cli", "phase", lang, phase=phase, n=number) for phase, number in counts.items()]
        say("phases", list=("，" if lang == "zh" else ", ").join(phases))
    if plan.params.target_coverage is not None:
        say("target", target=f"{plan.params.target_coverage:.0%}", n=plan.stations)
    say("by_district")
    for name, row in s["by_district"].items():
        say("district_row", name=name, stations=row["stations"], covered=count(row["covered"]),
            workers=count(row["workers"]))  # fmt: skip
    say("by_group")
    for name, row in s["by_group"].items():
        say("group_row", name=i18n.group_name(name, lang), covered=count(row["covered"]),
            workers=count(row["workers"]), share=f"{row['share']:.0%}")  # fmt: skip
    _print_capacity(s, lang)
    notes = plan.area.notes_in(lang)
    if notes:
        say("notes")
        for text in notes:
            print(f"  - {text}")
    say("files")
    for path in files.values():
        print(f"  {path}")


def _run_areas(args: argparse.Namespace) -> int:
    from geoplan.data.areas import load_registry

    areas, default = load_registry()
    for name, spec in areas.items():
        marker = i18n.text("cli", "area_default", args.lang) if name == default else ""
        print(f"{name}{marker}: {spec.title_in(args.lang)}")
        print(i18n.text("cli", "area_source", args.lang, source=spec.source))
        for path in spec.missing_files():
            print(i18n.text("cli", "area_missing_files", args.lang, path=path))
    return 0


def _run_candidates(args: argparse.Namespace) -> int:
    from geoplan.inputs.candidates import build_candidates, refusal_reasons
    from geoplan.planning.plan import refusals_table

    area = _load(args)
    candidates = build_candidates(area, _candidate_rules(args))
    def source(code: object) -> str:
        return i18n.text("site_source", str(code), args.lang)

    print(i18n.text("cli", "candidates_kept", args.lang, n=len(candidates.sites)))
    for code, count in candidates.sites["source"].value_counts().items():
        print(f"  {source(code)}: {count}")
    print(i18n.text("cli", "candidates_refused", args.lang, n=len(candidates.refused)))
    for row in refusals_table(candidates, args.lang).itertuples():
        print(f"  {row.count:6d}  {source(row.source)}: {row.reason}")
    if args.refusals:
        refused = candidates.refused.to_crs(settings.WGS84)
        reasons = refusal_reasons(refused, args.lang)
        for row, reason in zip(refused.itertuples(), reasons, strict=True):
            print(f"{source(row.source)}\t{reason}\t{row.geometry.x:.6f}\t{row.geometry.y:.6f}")
    return 0


def _run_layer_build(args: argparse.Namespace) -> int:
    from geoplan.planning.observed_layers import ObservedOptions, build_layer, write_layer

    area = _load(args)
    options = ObservedOptions(
        k=args.k, cell_m=args.cell, stay_radius_m=args.stay_radius, stay_minutes=args.stay_minutes,
        beat_m=args.beat, headcount=args.headcount,
    )  # fmt: skip
    layer = build_layer(args.file, area, args.group, args.kind, crs=args.crs, options=options)
    files = write_layer(layer, args.out)
    for line in layer.report_lines(args.lang):
        print(line)
    print(i18n.text("cli", "layer_written", args.lang, layer=files["layer"], report=files["report"]))
    return 0


def _layer_compare_command(layer_sub) -> None:
    compare = layer_sub.add_parser(
        "compare",
        help="what the rule of thumb costs: plan on the derived layers and on an observed layer with the same "
        "options, score both plans on the observed workers; a table and a map",
    )  # fmt: skip
    _area_arguments(compare)
    compare.add_argument("--observed", required=True, metavar="LAYER.csv:GROUP",
                         help="observed layer (lon,lat,weight) and its group, e.g. riders.csv:couriers")  # fmt: skip
    compare.add_argument("--layer-crs", default="wgs84", help="coordinates of --observed: wgs84|gcj02|bd09")
    compare.add_argument("--stations", type=_positive_int, help="stations of each plan (default: scaled to the area)")
    compare.add_argument("--district-min", type=_non_negative_int, default=1, help="minimum stations per district (1)")
    compare.add_argument("--city-level", type=_non_negative_int, default=3, help="city-level stations to designate (3)")
    compare.add_argument("--spacing", type=float, default=300.0, help="minimum distance between stations, m (300)")
    compare.add_argument(
        "--cutoff", action="append", default=[], metavar="GROUP=M",
        help="service cutoff along the network for a worker group, m (default 1000 walking, couriers 2000 riding)",
    )  # fmt: skip
    compare.add_argument("--headcount", action="append", default=[], metavar="GROUP=N",
                         help="workers in a derived group (both plans)")  # fmt: skip
    compare.add_argument("--time-limit", type=float, default=10.0, help="optimiser time limit per plan, s (10)")
    compare.add_argument("--out", type=Path, required=True, help="output folder")
    compare.set_defaults(run=_run_layer_compare)


def _run_layer_compare(args: argparse.Namespace) -> int:
    from geoplan.files import check_folder, ensure_folder
    from geoplan.inputs.demand import WORKER_GROUPS, read_layer
    from geoplan.outputs.layer_compare import write_comparison
    from geoplan.planning.layer_compare import compare_layers
    from geoplan.planning.parameters import PlanParameters

    path, group = _layer_argument(args.observed)
    if not group:
        raise i18n.input_error("compare_observed_needs_group", groups=", ".join(WORKER_GROUPS))
    params = PlanParameters(
        stations=args.stations, district_min=args.district_min, city_level_min=args.city_level,
        min_spacing_m=args.spacing, cutoff_m=_pairs(args.cutoff, "--cutoff"),
        headcounts=_pairs(args.headcount, "--headcount"), candidate_rules=_candidate_rules(args),
        time_limit_s=args.time_limit,
    )  # fmt: skip
    observed = read_layer(path, crs=args.layer_crs, group=group)
    check_folder(args.out)  # before the slow part
    area = _load(args)
    stages = {
        "observed": i18n.text("cli", "compare_observed_stage", args.lang, file=path.name,
                              group=i18n.group_name(group, args.lang)),
        "rule": i18n.text("cli", "compare_rule_stage", args.lang),
        "score": i18n.text("cli", "compare_score_stage", args.lang),
    }  # fmt: skip
    comparison = compare_layers(area, observed, group, params, progress=lambda stage: log.info(stages[stage]))
    files = write_comparison(comparison, ensure_folder(args.out))
    _print_comparison(comparison, files, args.lang)
    return 0


def _print_comparison(comparison, files, lang: str) -> None:
    """Print both plans' scores on the observed workers and what the rule of thumb costs, in ``lang``."""
    figures = comparison.figures
    layer = figures["layer"]

    def count(value) -> str:
        return i18n.format_count(value, lang)

    print(f"\n{comparison.area.spec.title_in(lang)}")
    for kind in ("rule", "observed"):
        entry = figures[kind]
        print(i18n.text(
            "cli", "compare_plan_row", lang, plan=i18n.text("cli", f"compare_{kind}_plan", lang),
            stations=entry["stations"], covered=count(entry["covered"]), workers=count(layer["workers"]),
            share=f"{entry['share']:.1%}", objective=i18n.format_number(entry["objective"], lang),
        ))  # fmt: skip
    cost, points = figures["rule_cost_workers"], figures["rule_cost_points"]
    group = i18n.group_name(comparison.group, lang)
    if cost > 0:
        print(i18n.text("cli", "compare_costs", lang, workers=count(cost), group=group, points=f"{-points:.1f}"))
    elif cost < 0:
        print(i18n.text("cli", "compare_gains", lang, workers=count(-cost), group=group, points=f"{-points:.1f}"))
    else:
        print(i18n.text("cli", "compare_same", lang, group=group))
    outside = layer["points_read"] - layer["points"]
    if outside:
        print(i18n.text("cli", "compare_outside", lang, n=count(outside),
                        workers=count(layer["workers_read"] - layer["workers"])))  # fmt: skip
    print(i18n.text("cli", "files_heading", lang))
    for path in files:
        print(f"  {path}")


def _layer_calibrate_command(layer_sub) -> None:
    """Add ``layer calibrate`` and ``layer check-visits`` (the calibration of issue 15's worker layers)."""
    calibrate = layer_sub.add_parser(
        "calibrate",
        help="fit a group's OSM rule to an observed layer (Poisson regression on street features), report the "
        "cross-validated fit against the rule of thumb, and write the fitted rule for `geoplan plan --calibrated-from`",
    )  # fmt: skip
    _area_arguments(calibrate)
    calibrate.add_argument("--layer", required=True, metavar="OBSERVED.csv[:GROUP]",
                           help="observed layer (lon,lat,weight[,group]) and its group, e.g. riders.csv:couriers")
    calibrate.add_argument("--layer-crs", default="wgs84", help="coordinates of --layer: wgs84|gcj02|bd09")
    calibrate.add_argument("--out", type=Path, required=True, metavar="MODEL.json", help="model file to write")
    calibrate.set_defaults(run=_run_layer_calibrate)
    visits = layer_sub.add_parser(
        "check-visits",
        help="compare the unions' visit ledgers (station_id,date,visits) with the demand predicted around each "
        "existing station; flag where the model over- or under-estimates",
    )  # fmt: skip
    _area_arguments(visits)
    visits.add_argument("--existing", type=Path, required=True,
                        help="CSV of existing stations, as `geoplan plan --existing` reads it: "
                        "lon,lat[,footprint_m2][,capacity][,name]")  # fmt: skip
    visits.add_argument("--sites-crs", default="wgs84", help="coordinates of --existing: wgs84|gcj02|bd09")
    visits.add_argument(
        "--visits", type=Path, required=True, metavar="LEDGER.csv",
        help="visit ledger: station_id (a station's name, else its row number),date,visits",
    )  # fmt: skip
    visits.add_argument(
        "--model", action="append", default=[], type=Path, metavar="MODEL.json",
        help="calibrated rule of a group (from `geoplan layer calibrate`) instead of its rule of thumb",
    )  # fmt: skip
    visits.add_argument("--headcount", action="append", default=[], metavar="GROUP=N", help="workers in a group")
    visits.add_argument(
        "--cutoff", action="append", default=[], metavar="GROUP=M",
        help="distance around a station per group, m, as the crow flies (default: the group's cutoff)",
    )  # fmt: skip
    visits.add_argument("--out", type=Path, metavar="REPORT.csv", help="write the per-station table as CSV")
    visits.set_defaults(run=_run_layer_check_visits)


def _run_layer_calibrate(args: argparse.Namespace) -> int:
    from geoplan.files import check_target
    from geoplan.inputs.calibration import calibrate, write_model
    from geoplan.inputs.demand import read_layer

    path, group = _layer_argument(args.layer)
    observed = read_layer(path, crs=args.layer_crs, group=group)
    check_target(args.out)  # before the slow part
    area = _load(args)
    result = calibrate(area, observed, group)
    written = write_model(dataclasses.replace(result.model, source=args.out.name), args.out)
    _print_calibration(result, path.name, args.lang)
    print(i18n.text("cli", "calibrate_written", args.lang, path=written))
    return 0


def _print_calibration(result, layer: str, lang: str) -> None:
    """Print what a calibration found: the observed workers, the cross-validated fit and the coefficients."""
    from geoplan.inputs.calibration import SNAP_MAX_M

    model, observed, cv = result.model, result.observed, result.model.cv

    def say(key: str, **params) -> None:
        print(i18n.text("cli", key, lang, **params))

    def d2(value) -> str:
        return "—" if value is None else f"{value:.3f}"

    say("calibrate_observed", layer=layer, group=i18n.group_name(model.group, lang),
        workers=i18n.format_count(observed.observed_workers, lang),
        samples=i18n.format_count(model.trained_on["samples"], lang))  # fmt: skip
    if observed.dropped_points:
        say("calibrate_dropped", points=observed.dropped_points, metres=f"{SNAP_MAX_M:g}",
            workers=i18n.format_count(observed.dropped_workers, lang))  # fmt: skip
    say("calibrate_rule", rule=result.rule)
    say("calibrate_cv", folds=cv["folds"], blocks=cv["blocks"], side=f"{cv['block_m']:g}", alpha=f"{model.alpha:g}")
    for number, (fitted, rule) in enumerate(zip(cv["d2"], cv["rule_d2"], strict=True), start=1):
        say("calibrate_fold", fold=number, d2=d2(fitted), rule=d2(rule))
    better = cv["d2_mean"] is not None and (cv["rule_d2_mean"] is None or cv["d2_mean"] > cv["rule_d2_mean"])
    say("calibrate_mean", d2=d2(cv["d2_mean"]), rule=d2(cv["rule_d2_mean"]),
        verdict=i18n.text("cli", "calibrate_better" if better else "calibrate_not_better", lang))  # fmt: skip
    say("calibrate_coefficients", intercept=f"{model.intercept:.3f}")
    for name, coef in zip(model.features, model.coef, strict=True):
        say("calibrate_coefficient", feature=i18n.text("cli", f"feature_{name}", lang), coef=f"{coef:+.3f}",
            ratio=f"{math.exp(coef):.2f}")  # fmt: skip
    if cv["constant_features"]:
        names = [i18n.text("cli", f"feature_{name}", lang) for name in cv["constant_features"]]
        say("calibrate_constant", names=("、" if lang == "zh" else ", ").join(names))


def _calibrated_models(paths: Sequence[Path], layers) -> list:
    """Read ``--calibrated-from``/``--model`` files; refuse two for one group, or one for a group a layer replaces."""
    from geoplan.inputs.calibration import read_model

    models, seen = [], {group: layer.attrs.get("source", "") for layer in layers for group in layer["group"].unique()}
    for path in paths:
        model = read_model(path)
        if model.group in seen:
            raise i18n.input_error("calibrated_group_twice", group=model.group, first=seen[model.group],
                                   second=path.name, group_zh=i18n.group_name(model.group, "zh"))  # fmt: skip
        seen[model.group] = path.name
        models.append(model)
    return models


def _calibrated_layers(area, models, headcounts) -> list:
    """Each model's group spread over the area by its calibrated rule, to its headcount (given, else the default)."""
    from geoplan.inputs.calibration import calibrated_layer
    from geoplan.inputs.demand import default_headcounts

    defaults = default_headcounts(area)
    return [calibrated_layer(area, model, headcounts.get(model.group, defaults[model.group])) for model in models]


def _run_layer_check_visits(args: argparse.Namespace) -> int:
    from geoplan.csvfile import write_frame
    from geoplan.files import check_target, write_atomic
    from geoplan.inputs.candidates import read_sites
    from geoplan.inputs.demand import build_demand
    from geoplan.inputs.visits import check_visits, demand_around, read_ledger
    from geoplan.planning.parameters import PlanParameters
    from geoplan.planning.sites import check_stations_in_area

    params = PlanParameters(cutoff_m=_pairs(args.cutoff, "--cutoff"), headcounts=_pairs(args.headcount, "--headcount"))
    stations = read_sites(args.existing, crs=args.sites_crs, default_footprint_m2=args.min_area)
    ledger = read_ledger(args.visits, stations)
    models = _calibrated_models(args.model, [])
    if args.out is not None:
        check_target(args.out)  # before the slow part
    area = _load(args)
    check_stations_in_area(area, stations, str(args.existing))
    demand, rules = build_demand(area, params.headcounts, _calibrated_layers(area, models, params.headcounts))
    cutoffs = {group: params.cutoff_for(group) for group in rules}
    result = check_visits(stations, ledger, demand_around(demand, stations, cutoffs))
    _print_visits(result, args.lang)
    if args.out is not None:
        table = result.table.round({"observed_per_day": 2, "predicted_workers": 2, "expected_per_day": 2, "ratio": 3,
                                    "pearson_residual": 2})  # fmt: skip
        write_atomic(args.out, lambda tmp: write_frame(table, tmp))
        print(i18n.text("cli", "visits_written", args.lang, path=args.out))
    return 0


def _print_visits(result, lang: str) -> None:
    """Print the fitted scale and every station's observed and expected visits, flags in words."""
    from geoplan.inputs.visits import FLAG_RATIO, FLAG_RESIDUAL

    table = result.table
    in_ledger = table["flag"] != "no_ledger"

    def number(value, decimals: int = 1) -> str:
        return i18n.format_number(value, lang, decimals)

    print(i18n.text("cli", "visits_scale", lang, scale=number(result.scale, 3), stations=int(in_ledger.sum()),
                    days=int(table["days"].sum())))  # fmt: skip
    for row in table.itertuples():
        flag = i18n.text("cli", f"visits_flag_{row.flag}", lang) if row.flag else ""
        if row.flag == "no_ledger":
            print(i18n.text("cli", "visits_row_missing", lang, station=row.station_id, flag=flag))
            continue
        print(i18n.text("cli", "visits_row", lang, station=row.station_id, observed=number(row.observed_per_day),
                        expected=number(row.expected_per_day), ratio=number(row.ratio, 2),
                        residual=number(row.pearson_residual, 1), flag=f" — {flag}" if flag else ""))  # fmt: skip
    print(i18n.text("cli", "visits_summary", lang, under=int((table["flag"] == "under").sum()),
                    over=int((table["flag"] == "over").sum()), ratio=f"{FLAG_RATIO:g}",
                    residual=f"{FLAG_RESIDUAL:g}"))  # fmt: skip


def _shift_shares(reports: list[Path], lang: str) -> dict[str, dict[str, float]]:
    """Read each group's shift shares from layer reports (``geoplan layer build`` of orders with times)."""
    import json

    from geoplan.planning.observed_layers import LAYER_FORMAT

    shares = {}
    for path in reports:
        try:
            report = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            report = None
        ours = isinstance(report, dict) and report.get("format") == LAYER_FORMAT
        found = report.get("shift_shares") if ours else None
        if not isinstance(found, dict) or not found or not isinstance(report.get("group"), str):
            raise i18n.input_error("shifts_report_unusable", file=str(path))
        shares[report["group"]] = found
        shown = ", ".join(f"{window} {100 * share:.0f}%" for window, share in found.items())
        log.info(i18n.text("cli", "shifts_from", lang, group=i18n.group_name(report["group"], lang), file=path,
                           shares=shown))  # fmt: skip
    return shares


def _print_capacity(summary: dict, lang: str) -> None:
    """Print a capacitated plan's served versus covered workers, by group and district (nothing for other plans)."""
    if "capacity" not in summary:
        return
    capacity, workers = summary["capacity"], summary["capacity"]["workers"]

    def count(value) -> str:
        return i18n.format_count(value, lang)

    served_share = workers["served"] / workers["covered"] if workers["covered"] else 0.0
    stations = capacity["stations"]
    print(i18n.text("cli", "served", lang, served=count(workers["served"]), covered=count(workers["covered"]),
                    share=f"{served_share:.1%}", peak=f"{stations['max_utilisation']:.0%}",
                    mean=f"{stations['mean_utilisation']:.0%}"))  # fmt: skip
    if stations["enlarged"]:
        ids = ("、" if lang == "zh" else ", ").join(stations["enlarged"])
        print(i18n.text("cli", "enlarged", lang, n=len(stations["enlarged"]), ids=ids))
    for key, heading in (("by_group", "served_by_group"), ("by_district", "served_by_district")):
        print(i18n.text("cli", heading, lang))
        for name, row in summary[key].items():
            shown = i18n.group_name(name, lang) if key == "by_group" else name
            print(i18n.text("cli", "served_row", lang, name=shown, served=count(row["served"]),
                            covered=count(row["covered"])))  # fmt: skip


def _pairs(items: list[str], option: str) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise i18n.input_error("pair_option", option=option, item=item)
    return out


def _capacity_options(args: argparse.Namespace) -> dict:
    """Return the capacity fields of the plan parameters (``--people-per-m2``, ``--visit-minutes`` need the flag)."""
    given = [name for name, on in (("--people-per-m2", args.people_per_m2 is not None),
                                   ("--visit-minutes", bool(args.visit_minutes))) if on]  # fmt: skip
    if given and not args.capacitated:
        raise i18n.input_error("capacity_option_needs_capacitated", option=given[0])
    options: dict = {"capacitated": args.capacitated, "visit_minutes": _pairs(args.visit_minutes, "--visit-minutes")}
    if args.people_per_m2 is not None:
        options["people_per_m2"] = args.people_per_m2
    return options


def _layer_argument(item: str) -> tuple[Path, str | None]:
    path, sep, group = item.rpartition(":")
    if sep and path and not Path(item).exists():
        return Path(path), group
    return Path(item), None


def _hours_options(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip() for part in text.replace("，", ",").split(",") if part.strip())


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
