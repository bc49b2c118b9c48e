"""geoplan installs like a library: a wheel (not an editable install) in a fresh virtual environment plans the
default area from an empty folder, and writes its caches and data to the user's folders, never into the package.

The wheel is built from this checkout without network (``--no-build-isolation``, setuptools from the test extra);
the fresh environment gets geoplan's dependencies by seeing this environment's site-packages through a ``.pth``
file, so no package is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of this checkout's files (committed or not, as git lists them), built in a copy of the tree."""
    source = tmp_path_factory.mktemp("source")
    listed = _run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).stdout.splitlines()
    for name in listed:
        path = ROOT / name
        if path.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes(path.read_bytes())
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
          str(source)])  # fmt: skip
    (built,) = dist.glob("geoplan-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (no editable install, no source checkout on its path)."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(_run([str(venv / "bin" / "python"), "-c", where]).stdout.strip())
    # geoplan's dependencies come from this environment; its own editable finder is not processed from a .pth path.
    (purelib / "_geoplan_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "-q",
          str(wheel)])  # fmt: skip
    return venv


def _environment(home: Path) -> dict[str, str]:
    """A user's environment: their own home, none of geoplan's folder variables, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOPLAN_") and k not in {"PYTHONPATH",
                                                                                           "DATABASE_URL"}}  # fmt: skip
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local" / "share"))
    return env


def test_the_wheel_holds_the_package_data_and_no_package_called_web(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "geoplan/data/areas.toml" in names
    assert "geoplan/locale/zh_CN/LC_MESSAGES/geoplan.po" in names
    assert "geoplan/locale/en/LC_MESSAGES/geoplan.po" in names
    assert "geoplan/store/migrations/versions/0003_scenario_data.py" in names
    assert "geoplan_web/templates/scenario.html" in names
    assert "geoplan_web/static/vendor/leaflet/leaflet.js" in names
    assert not any(name.startswith("web/") for name in names)


def test_geoplan_plan_runs_from_an_empty_folder(installed, tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    python = installed / "bin" / "python"
    where = _run([str(python), "-c", "import geoplan, geoplan_web; print(geoplan.__file__); "
                  "print(geoplan_web.__file__)"], cwd=work).stdout.split()  # fmt: skip
    package = Path(where[0]).parent
    assert package.is_relative_to(installed), "geoplan must come from the wheel, not from the checkout"
    assert Path(where[1]).is_relative_to(installed)
    before = sorted(p.relative_to(installed).as_posix() for p in installed.rglob("*") if "__pycache__" not in p.parts)
    env = _environment(home)
    done = _run([str(installed / "bin" / "geoplan"), "plan", "--quiet", "--time-limit", "3", "--scenario", "wheel"],
                cwd=work, env=env)  # fmt: skip
    assert "已保存方案 #1" in done.stdout
    # No shared data beside an installed package: the registry's default (Shanghai) is not here, Helsinki is planned.
    assert "默认研究区域 shanghai 的数据不在本机" in done.stderr, done.stderr
    assert (work / "out" / "helsinki" / "coverage.json").is_file()
    after = sorted(p.relative_to(installed).as_posix() for p in installed.rglob("*") if "__pycache__" not in p.parts)
    assert after == before, "nothing may be written into the installed package"
    assert (home / ".local" / "share" / "geoplan" / "instance" / "geoplan.sqlite").is_file()
    assert any((home / ".cache" / "geoplan" / "models").rglob("*.pickle"))
    listing = _run([str(installed / "bin" / "geoplan"), "areas"], cwd=work, env=env).stdout
    assert "helsinki（默认）" in listing
    assert "数据缺失" in listing
