"""One benchmark case in its own process: run ``geoplan plan`` and report time, peak memory and results as JSON."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    registry, out, *plan_args = argv
    if registry != "-":
        import os

        os.environ["GEOPLAN_AREAS"] = registry
    started = time.perf_counter()
    from geoplan import cli  # imported here so that import time counts

    code = cli.main(["plan", "--quiet", "--out", out, *plan_args])
    wall = time.perf_counter() - started
    report = {"exit": code, "wall_s": round(wall, 2)}
    if code == 0:
        report |= plan_figures(Path(out))
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False))


def plan_figures(out: Path) -> dict:
    """What a plan's ``coverage.json`` in ``out`` says about the result: stations, coverage, gap, stage seconds."""
    summary = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    return {
        "stations": summary["parameters"]["stations"],
        "candidates": sum(summary["candidates"]["kept"].values()),
        "covered_share": summary["workers"]["share"],
        "objective": summary["optimality"]["objective"],
        "bound": summary["optimality"]["bound"],
        "gap": summary["optimality"]["gap"],
        "method": summary["optimality"]["method"],
        "stages_s": summary["timings_s"],
    }


if __name__ == "__main__":
    main(sys.argv[1:])
