"""Execute the planner notebooks in ``notebooks/`` and check what they print.

Each notebook runs in a fresh kernel with ``notebooks/`` as its working folder; outputs go to a
temporary folder through ``CENTREREACH_OUTPUT``. The kernel imports the same ``centrereach`` as
the tests (checked), so the notebooks run against the code under test, not an installed copy.
Notebooks 02 and 03 read the real reference data (the ``shared_data`` fixture, passed through
``CENTREREACH_DATA_DIR``): missing, they are skipped, or fail under ``CI=true``; so are all three
when nbclient/nbformat are not installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

import centrereach

try:
    import nbclient
    import nbformat
except ImportError as exc:  # reported by the fixture below: a skip, or a failure under CI
    nbclient = nbformat = None
    MISSING = f"nbclient/nbformat are not installed ({exc}): pip install -e '.[test]'"
else:
    MISSING = ""

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_S = 300
#: The centrereach package the tests import; its parent folder goes first on the kernel's path.
PACKAGE_INIT = Path(centrereach.__file__).resolve()
PACKAGE_PARENT = PACKAGE_INIT.parents[1]


@pytest.fixture(autouse=True)
def _notebook_tools(unavailable) -> None:
    if MISSING:
        unavailable(MISSING)


def _text(nb: Any) -> str:
    """All text the notebook's cells printed or displayed."""
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(str(out["text"]))
            for kind in ("text/plain", "text/html"):
                if kind in out.get("data", {}):
                    parts.append(str(out["data"][kind]))
    return "\n".join(parts)


def _run(name: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # The kernel must import the package under test: a relative PYTHONPATH (PYTHONPATH=src) would
    # not survive the kernel's working folder, and it would silently import an installed copy.
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")])),
    )
    # 02 would run the whole county study with a local extract: keep the suite fast.
    monkeypatch.delenv("DERBYSHIRE_PBF", raising=False)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    # Check the kernel runs this interpreter (jupyter_client maps "python" to sys.executable) and
    # imports this centrereach.
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import sys, pathlib, centrereach\n"
            "print('KERNEL', sys.executable)\n"
            "print('PACKAGE', pathlib.Path(centrereach.__file__).resolve())"
        )
    )
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError on any error
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{name}: {out.get('ename')}"
    text = _text(nb)
    assert f"KERNEL {sys.executable}" in text or f"KERNEL {os.path.realpath(sys.executable)}" in (
        text
    ), f"{name}: the kernel did not run {sys.executable}"
    assert f"PACKAGE {PACKAGE_INIT}" in text, (
        f"{name}: the kernel imported another centrereach than {PACKAGE_INIT}"
    )
    return text


@pytest.mark.slow
def test_quickstart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _run("01-quickstart.ipynb", {"CENTREREACH_OUTPUT": str(tmp_path)}, monkeypatch)
    assert "SYNTHETIC" in text
    assert "close-two" in text
    # the map was drawn (the notebook falls back to a message when centrereach.maps is missing)
    assert "The maps need the centrereach.maps module" not in text
    assert "leaflet" in text.lower()
    demo = tmp_path / "notebook-demo"
    assert (demo / "summary.csv").is_file()
    assert (demo / "areas.csv").is_file()


@pytest.mark.slow
@pytest.mark.shared_data
def test_derbyshire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path) -> None:
    env = {"CENTREREACH_OUTPUT": str(tmp_path), "CENTREREACH_DATA_DIR": str(shared_data)}
    text = _run("02-derbyshire-2024.ipynb", env, monkeypatch)
    assert "22 centres" in text
    assert "499 LSOAs" in text
    if "NO ROAD NETWORK" in text:
        # Offline without the extract: the notebook must stop and compute nothing.
        assert "Skipped: no road network" in text
        assert "derbyshire-latest.osm.pbf" in text
        assert not any(tmp_path.iterdir())
    else:
        assert "2024 decision" in text


@pytest.mark.slow
@pytest.mark.shared_data
def test_your_own_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    env = {"CENTREREACH_OUTPUT": str(tmp_path), "CENTREREACH_DATA_DIR": str(shared_data)}
    text = _run("03-your-own-scenarios.ipynb", env, monkeypatch)
    assert "Best 2 to keep" in text
    assert "keep-oakham-uppingham" in text
    folder = tmp_path / "rutland-committee"
    assert (folder / "summary.csv").is_file()
    assert (folder / "committee_table.csv").is_file()
    assert (folder / "committee_table.xlsx").is_file()
