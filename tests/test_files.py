"""Files geoplan writes are its owner's only (or GEOPLAN_FILE_MODE), and killed exports leave nothing behind."""

from __future__ import annotations

import os
import time

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geoplan import files
from geoplan.errors import InputError


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


pytestmark = pytest.mark.usefixtures("open_umask")


def test_write_atomic_and_write_all_make_owner_only_files(tmp_path):
    one = files.write_atomic(tmp_path / "a.txt", lambda p: p.write_text("x"))
    assert _mode(one) == 0o600

    def gpkg(path):
        frame = gpd.GeoDataFrame({"name": ["驿站"]}, geometry=[shapely.Point(115.9, 28.7)], crs=4326)
        pyogrio.write_dataframe(frame, path, driver="GPKG")

    written = files.write_all(tmp_path, {"b.gpkg": gpkg, "c.csv": lambda p: p.write_text("a,b\n")})
    assert [_mode(p) for p in written] == [0o600, 0o600]


def test_file_mode_is_configurable_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPLAN_FILE_MODE", "640")
    assert _mode(files.write_atomic(tmp_path / "a.txt", lambda p: p.write_text("x"))) == 0o640
    for bad in ("abc", "999", "044", "1777"):
        monkeypatch.setenv("GEOPLAN_FILE_MODE", bad)
        with pytest.raises(InputError, match="GEOPLAN_FILE_MODE"):
            files.file_mode()


def test_private_file_creates_or_tightens(tmp_path):
    new = files.private_file(tmp_path / "db.sqlite")
    assert new.exists()
    assert _mode(new) == 0o600
    old = tmp_path / "old.sqlite"
    old.write_text("kept")
    old.chmod(0o644)
    files.private_file(old)
    assert _mode(old) == 0o600
    assert old.read_text() == "kept"


def test_a_killed_exports_staging_folder_is_removed_by_the_next_export(tmp_path):
    stale = tmp_path / f"{files.STAGING_PREFIX}killed"
    stale.mkdir()
    (stale / "half.pdf").write_bytes(b"%PDF")
    long_ago = time.time() - files.STALE_STAGING_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))
    running = tmp_path / f"{files.STAGING_PREFIX}running"
    running.mkdir()
    files.write_all(tmp_path, {"a.txt": lambda p: p.write_text("x")})
    assert not stale.exists()
    assert running.exists(), "a staging folder of an export still running is left alone"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.txt", running.name])


def test_a_failed_export_leaves_the_folder_as_it_was(tmp_path):
    (tmp_path / "keep.txt").write_text("old")

    def broken(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(InputError, match="disk full"):
        files.write_all(tmp_path, {"keep.txt": lambda p: p.write_text("new"), "b.txt": broken})
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "old"
