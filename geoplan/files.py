"""Writing files so that a failure never leaves a half-written file: one file, or a set of files at once.

Every writer writes into a temporary file (or a hidden staging folder) beside its target, and the result is moved
into place with :func:`os.replace` only when all of it was written; a failed write leaves the folder exactly as it
was. Paths that cannot be written are refused before any slow work (:func:`check_target`, :func:`check_folder`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from geoplan import i18n

__all__ = ["STAGING_PREFIX", "check_folder", "check_target", "ensure_folder", "file_mode", "private_file", "write_all",
           "write_atomic"]

#: Permissions of the files geoplan writes (exports, the SQLite database): owner only, unless ``GEOPLAN_FILE_MODE``
#: (octal, e.g. ``640``) says otherwise. Exports and the database hold workers' positions and password hashes.
DEFAULT_FILE_MODE = 0o600

#: Name prefix of the hidden staging folders of :func:`write_all`.
STAGING_PREFIX = ".geoplan-"

#: A staging folder this old (seconds) was left by a killed export and is removed by the next export there.
STALE_STAGING_SECONDS = 3600


def file_mode() -> int:
    """Return the permission bits of files geoplan writes: ``GEOPLAN_FILE_MODE`` (octal) or 0600.

    Raises
    ------
    InputError
        ``GEOPLAN_FILE_MODE`` is not an octal mode such as ``600`` or ``640``.
    """
    text = os.environ.get("GEOPLAN_FILE_MODE", "").strip()
    if not text:
        return DEFAULT_FILE_MODE
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777 or not mode & 0o600 == 0o600:
        raise i18n.input_error("file_mode_invalid", text=text)
    return mode


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty with :func:`file_mode` permissions if missing, else take away what that mode denies.

    Used for the SQLite database before SQLite opens it (its -wal and -shm files take the database's mode).

    Parameters
    ----------
    path : pathlib.Path or str

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    mode = file_mode()
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, mode))
        current = path.stat().st_mode & 0o777
        if current & ~mode:
            path.chmod(current & mode)
    except OSError as exc:
        raise i18n.input_error("cannot_create_file", path=str(path), reason=exc.strerror) from exc
    return path


def check_target(out: Path | str) -> Path:
    """Refuse, before any work, a file that cannot be written: its folder is missing or it is a folder.

    Parameters
    ----------
    out : pathlib.Path or str
        The file to be written.

    Returns
    -------
    pathlib.Path
        ``out`` as a Path.

    Raises
    ------
    InputError
        ``out``'s folder does not exist or ``out`` is a folder.
    """
    out = Path(out)
    if not out.parent.is_dir():
        raise i18n.input_error("target_folder_missing", out=str(out), folder=str(out.parent))
    if out.is_dir():
        raise i18n.input_error("target_is_folder", out=str(out))
    return out


def check_folder(folder: Path | str) -> Path:
    """Refuse a folder that cannot be created or written to (before any work is done).

    Parameters
    ----------
    folder : pathlib.Path or str
        A folder that exists or is to be created.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        The nearest existing ancestor is a file, or is not writable.
    """
    folder = Path(folder)
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise i18n.input_error("folder_probe_is_file", folder=str(folder), probe=str(probe))
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise i18n.input_error("folder_probe_not_writable", folder=str(folder), probe=str(probe))
    return folder


def ensure_folder(folder: Path | str) -> Path:
    """Create a writable folder (and its parents) or raise InputError saying why it cannot be."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise i18n.input_error("cannot_create_folder", folder=str(folder), reason=str(exc.strerror or exc)) from exc
    if not os.access(folder, os.W_OK):
        raise i18n.input_error("folder_not_writable", folder=str(folder))
    return folder


def write_atomic(out: Path | str, write: Callable[[Path], object], suffix: str | None = None) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``out``, then move it to ``out`` (removing it on failure).

    Parameters
    ----------
    out : pathlib.Path or str
        Target file.
    write : callable
        Takes the temporary file's path and writes it.
    suffix : str, optional
        Suffix of the temporary file (default: ``out``'s).

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    InputError
        The folder does not exist or cannot be written, or ``out`` is a folder.
    """
    out = check_target(out)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix or out.suffix, dir=out.parent)
    except OSError as exc:
        raise i18n.input_error("cannot_write_into", folder=str(out.parent), reason=exc.strerror) from exc
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(file_mode())
        os.replace(tmp, out)
    except OSError as exc:
        raise i18n.input_error("cannot_write_file", out=str(out), reason=str(exc)) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out


def write_all(folder: Path | str, writers: Mapping[str, Callable[[Path], object]]) -> list[Path]:
    """Write every file into a hidden staging folder, then move them all into ``folder``.

    Parameters
    ----------
    folder : pathlib.Path or str
        An existing, writable folder.
    writers : mapping of str to callable
        File name -> function writing that file's content to a given (temporary) path.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``writers``.

    Raises
    ------
    InputError
        The folder cannot be written, or a folder stands where a file is to go. If any writer fails, the staging
        folder is removed and ``folder`` keeps exactly what it held before.
    """
    folder = Path(folder)
    mode = file_mode()
    _remove_stale_staging(folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    except OSError as exc:
        raise i18n.input_error("folder_not_writable_reason", folder=str(folder), reason=exc.strerror) from exc
    try:
        for name, write in writers.items():
            write(staging / name)
            (staging / name).chmod(mode)
        for name in writers:
            if (folder / name).is_dir():
                raise i18n.input_error("target_is_folder", out=str(folder / name))
        for name in writers:
            os.replace(staging / name, folder / name)
    except OSError as exc:
        raise i18n.input_error("cannot_write_into", folder=str(folder), reason=str(exc)) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / name for name in writers]


def _remove_stale_staging(folder: Path) -> None:
    """Remove staging folders that killed exports left in ``folder`` (older than STALE_STAGING_SECONDS)."""
    cutoff = time.time() - STALE_STAGING_SECONDS
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            with contextlib.suppress(OSError):
                if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True)
