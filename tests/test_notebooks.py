"""The notebook walkthrough runs top to bottom, offline, in a fresh folder, and leaves the files it promises.

The notebook is executed with nbclient in a kernel of this interpreter (the ``python3`` kernel spec that ipykernel
installs into the virtual environment names plain ``python``, which jupyter_client replaces with
``sys.executable``); a first cell injected here refuses any connection off this machine, as ``_no_internet`` does
for the tests themselves, and a last one reports the kernel's interpreter. Jupyter's folders (runtime, IPython
profile) are kept in the test's temporary folder, so nothing is written to the user's home.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"

#: Seconds the whole walkthrough may take (it takes well under a minute on a laptop).
TIMEOUT_S = 300

_OFFLINE = """
import ipaddress as _ipaddress
import socket as _socket

_connect = _socket.socket.connect


def _guarded(sock, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            local = _ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            sock.close()
            raise RuntimeError(f"the notebook tried to reach {address}: it must run offline")
    return _connect(sock, address)


_socket.socket.connect = _guarded
"""

_INTERPRETER = "import sys as _sys\nprint(_sys.executable)"

EXPECTED_FILES = (
    "walkthrough-out/geoplan.sqlite",
    "walkthrough-out/geojson/stations.geojson",
    "walkthrough-out/geojson/service_areas.geojson",
    "walkthrough-out/geojson/districts.geojson",
    "walkthrough-out/geojson/demand.geojson",
    "walkthrough-out/stations.csv",
    "walkthrough-out/coverage.png",
)


@pytest.fixture
def jupyter_env(tmp_path, monkeypatch) -> Path:
    """Keep Jupyter's and IPython's folders under the test's own; return the notebook's working folder."""
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own switch; silences its migration warning
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    work = tmp_path / "work"
    work.mkdir()
    return work


def test_notebook_is_saved_without_outputs():
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the walkthrough has no code"
    for cell in code:
        assert cell.outputs == [], f"cell {cell.get('id')} was saved with outputs; clear them before committing"
        assert cell.execution_count is None, f"cell {cell.get('id')} was saved with an execution count"
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.slow
def test_walkthrough_runs_offline_top_to_bottom(jupyter_env):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = len(notebook.cells)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_OFFLINE, id="test-offline"))
    notebook.cells.append(nbformat.v4.new_code_cell(_INTERPRETER, id="test-interpreter"))
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(jupyter_env)}},
    )
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    assert len(notebook.cells) == cells + 2

    errors = [
        (cell.get("id"), output.get("ename"), output.get("evalue"))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    interpreter = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.output_type == "stream")
    assert Path(interpreter.strip()).resolve() == Path(sys.executable).resolve(), "the kernel ran another Python"

    for name in EXPECTED_FILES:
        path = jupyter_env / name
        assert path.is_file(), f"the walkthrough did not write {name}"
        assert path.stat().st_size > 0, f"{name} is empty"
    assert (jupyter_env / "walkthrough-out/coverage.png").read_bytes().startswith(b"\x89PNG")
    shown = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert shown, "the walkthrough displays no PNG map"
    tables = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "text/html" in output.get("data", {}) and "dataframe" in output["data"]["text/html"]
    ]
    assert len(tables) >= 5, "the walkthrough should show its summary tables as DataFrames"
    print(f"walkthrough executed in {seconds:.1f} s")
