"""Shared fixtures, the ``shared_data`` marker and the ``--artifacts`` option.

Tests that read the real reference data in ``../shared/data`` use the ``shared_data`` fixture: it
fails under ``CI=true`` when the folder is missing (CI must never skip them silently) and skips with
a reason elsewhere. The same rule, for anything else a test needs from the machine (Chromium, npm),
is the ``unavailable`` fixture.

Tests of download code use the ``serve`` fixture: it runs a server of ``tests/_helpers.py`` on
127.0.0.1 for one test and stops it afterwards, pass or fail; ``isolated_env`` keeps such tests off
the user's settings (no data folder, mirror, Geofabrik address or proxy; a temporary cache).

Every test that uses ``shared_data``, directly or through another fixture (``rutland_run``,
``rutland_result``, ...), is marked ``shared_data`` at collection, so ``-m "not shared_data"``
(``make test-fast``) leaves out all of them.

The expensive results are built once per session, here, and shared: ``real_network`` (the real
road networks), ``synthetic_result``, ``rutland_result``, ``chesterfield_result`` (in memory) and
``rutland_run``, ``chesterfield_run`` (the ``centrereach run`` command, written to disk). Treat
them as read-only: each of the in-memory ones checks at the end of the session that no test
changed it.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import pytest

from _helpers import Serve, Server, running

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CENTREREACH_SHARED_DATA", ROOT.parent / "shared" / "data"))
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(why: str) -> NoReturn:
    """Skip the test with ``why``; under ``CI=true`` fail it instead (CI must not skip)."""
    if CI:
        pytest.fail(f"{why} (CI=true: this test must run, not be skipped)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def unavailable() -> Callable[[str], NoReturn]:
    """The skip-or-fail rule, for a test that finds something it needs missing.

    ``unavailable("headless Chromium is not installed")`` skips with that reason, and fails the
    test instead under ``CI=true``: the rule the ``shared_data`` fixture follows.
    """
    return _unavailable


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (fails under CI when missing, skips elsewhere)."""
    if not (SHARED_DATA / "README.md").is_file():
        _unavailable(f"the shared reference data is missing: expected it at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


# ------------------------------------------------------------ downloads, on loopback only


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start servers on 127.0.0.1 for this test: ``serve(FileServer(...))`` returns it running.

    Every server started is stopped, and its port released, when the test ends, even when it
    fails (a test may also ``stop()`` one earlier, to play a machine that went offline).
    """
    with contextlib.ExitStack() as stack:

        def start(server: Server) -> Server:
            return stack.enter_context(running(server))

        yield start


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment of a fresh machine that reaches 127.0.0.1 directly; the cache root.

    No user data folder, mirror or Geofabrik address; no proxy (and none for 127.0.0.1 if one
    is set later); the user cache (``CENTREREACH_CACHE_DIR``) is ``tmp_path/user-cache``,
    returned; no pause between retries of a failed page.
    """
    from centrereach import _download, _settings

    for name in (_settings.DATA_DIR_ENV, _settings.MIRROR_ENV, _settings.GEOFABRIK_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    cache = tmp_path / "user-cache"
    monkeypatch.setenv(_settings.CACHE_DIR_ENV, str(cache))
    monkeypatch.setattr(_download, "_RETRY_PAUSE_S", 0.0)  # the pager's pause; pooch's is fixed
    return cache


# ------------------------------------------------------------ the shared_data marker


def _fixture_closure(name: str, item: pytest.Item, seen: set[str]) -> set[str]:
    """``name`` and every fixture it requests, transitively, as visible from ``item``."""
    if name in seen:
        return seen
    seen.add(name)
    manager = item.session._fixturemanager
    for fixturedef in manager.getfixturedefs(name, item) or ():
        for arg in fixturedef.argnames:
            _fixture_closure(arg, item, seen)
    return seen


def _uses_shared_data(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    # A parametrized fixture whose parameter names another fixture, which it fetches with
    # request.getfixturevalue (tests/test_study.py: run_output -> "rutland" -> rutland_run): that
    # dependency is invisible in item.fixturenames, so follow the parameters that name fixtures.
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        for value in callspec.params.values():
            if isinstance(value, str) and value.isidentifier():
                names |= _fixture_closure(value, item, set())
    return "shared_data" in names


# ------------------------------------------------------------ the session's own cache


def pytest_configure(config: pytest.Config) -> None:
    """Run the session on a cache of its own, removed at the end.

    Network arrays are cached by the extract's content, so a cache left by an earlier run (of
    another clone, another data folder, older code) would be served instead of what this code
    builds: results must not depend on what the machine ran before, and the tests must not fill
    the user's cache. Fetched web assets (npm tarballs for self-contained maps) stay where the
    user keeps them, so that the suite does not fetch them again each time.
    """
    import tempfile

    from centrereach import _settings

    names = (_settings.ASSETS_DIR_ENV, _settings.CACHE_DIR_ENV)
    before = {name: os.environ.get(name) for name in names}
    folder = tempfile.mkdtemp(prefix="centrereach-test-cache-")
    config.stash[_SESSION_CACHE] = (folder, before)
    os.environ[_settings.ASSETS_DIR_ENV] = str(_settings.assets_dir())
    os.environ[_settings.CACHE_DIR_ENV] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    if _SESSION_CACHE not in config.stash:
        return
    folder, before = config.stash[_SESSION_CACHE]
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    shutil.rmtree(folder, ignore_errors=True)


_SESSION_CACHE = pytest.StashKey[tuple[str, dict[str, "str | None"]]]()


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``shared_data`` every test that uses the ``shared_data`` fixture, however indirectly."""
    for item in items:
        if _uses_shared_data(item) and item.get_closest_marker("shared_data") is None:
            item.add_marker(pytest.mark.shared_data)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Fail a test that reached ``shared_data`` without carrying the marker.

    A fixture fetched by a name computed at run time is invisible to the collection hook above;
    such a test would run (or be skipped) in the fast tier instead of being deselected. Mark it
    ``@pytest.mark.shared_data``, or request the fixture by name. (``_fixture_defs`` is pytest's
    record of the fixtures set up for this test, including those fetched at run time.)
    """
    used = getattr(getattr(item, "_request", None), "_fixture_defs", {})
    if "shared_data" in used and item.get_closest_marker("shared_data") is None:
        pytest.fail(
            f"{item.nodeid} uses the shared_data fixture but is not marked shared_data: "
            "add @pytest.mark.shared_data (it requests the fixture at run time)"
        )


# ------------------------------------------------------------ --artifacts


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--artifacts",
        metavar="DIR",
        default=None,
        help="keep the browser test's screenshots in DIR (default: a temporary folder)",
    )


@pytest.fixture(scope="session")
def artifacts_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder for screenshots and other things worth looking at after a run.

    ``--artifacts DIR`` when given (created if needed), else a session temporary folder: never the
    source tree.
    """
    option = request.config.getoption("artifacts")
    if option is None:
        return tmp_path_factory.mktemp("artifacts")
    folder = Path(option).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ------------------------------------------------------------ results built once per session


def _fingerprint(result: Any) -> dict[str, int]:
    """A hash of each table of a study result, to notice a test that changed a shared result."""
    tables = {"table": result.table, "summary": result.summary, "equity": result.equity}
    tables |= {"areas": pd.DataFrame(result.areas), "centres": pd.DataFrame(result.centres)}
    tables |= {f"matrix_{mode}": matrix for mode, matrix in result.matrices.items()}
    return {
        name: int(pd.util.hash_pandas_object(frame.astype(str), index=True).sum())
        for name, frame in tables.items()
    }


def _shared(result: Any, name: str) -> Iterator[Any]:
    before = _fingerprint(result)
    yield result
    changed = sorted(k for k, v in _fingerprint(result).items() if before.get(k) != v)
    assert not changed, f"a test changed the session-wide {name}: {changed} (copy it first)"


REAL_EXTRACTS = {
    "chesterfield": "chesterfield-2018-05-21.osm.pbf",
    "rutland": "rutland-2018-02-27.osm.pbf",
}


def _graph_fingerprint(G: Any) -> tuple[Any, ...]:
    """Counts, graph attributes and total travel time: enough to notice a test that changed it."""
    total_s = sum(data["travel_time"] for _, _, data in G.edges(data=True))
    return G.number_of_nodes(), G.number_of_edges(), sorted(G.graph), total_s


@pytest.fixture(scope="session")
def real_network(shared_data: Path) -> Iterator[Callable[[str, str], Any]]:
    """``real_network(place, mode)``: the real road network, built when first asked, then shared.

    ``load_network(shared_data / "osm" / REAL_EXTRACTS[place], mode=mode, progress=False)``:
    the whole Chesterfield (2018-05-21) or Rutland (2018-02-27) extract, unclipped, with the
    default speeds, for ``mode`` ``drive``, ``walk`` or ``cycle``. Read-only: the session checks
    at its end that no test changed a network it was given.
    """
    from centrereach.network import load_network

    built: dict[tuple[str, str], tuple[Any, tuple[Any, ...]]] = {}

    def network(place: str, mode: str) -> Any:
        if (place, mode) not in built:
            G = load_network(shared_data / "osm" / REAL_EXTRACTS[place], mode=mode, progress=False)
            built[place, mode] = (G, _graph_fingerprint(G))
        return built[place, mode][0]

    yield network
    changed = sorted(key for key, (G, before) in built.items() if _graph_fingerprint(G) != before)
    assert not changed, f"a test changed the session-wide real_network {changed} (copy it first)"


@pytest.fixture(scope="session")
def synthetic_result() -> Iterator[Any]:
    """``synthetic_study(n_side=16).run()``: Synthshire, invented, no files or network needed.

    A ``StudyResult`` of 25 areas and six centres (labelled SYNTHETIC), all four modes
    (``drive``, ``walk``, ``transit`` on invented buses, ``cycle``), the ``baseline`` and one
    closure scenario (``close-two``). The size the map, report
    and browser tests share; read-only.
    """
    from centrereach.synthetic import synthetic_study

    yield from _shared(synthetic_study(n_side=16).run(progress=False), "synthetic_result")


def _study_result(toml: str, shared: Path) -> Any:
    from centrereach.errors import CoverageWarning, ModeSkippedWarning, SnapWarning
    from centrereach.study import Study

    with warnings.catch_warnings():
        # Expected, and tested where they matter (test_study.py): the Chesterfield extract does
        # not cover the north of the district; one Rutland centroid is ~870 m from a road; no
        # GTFS timetable is available offline, so transit is left out.
        warnings.simplefilter("ignore", CoverageWarning)
        warnings.simplefilter("ignore", ModeSkippedWarning)
        warnings.filterwarnings("ignore", r".*E01013787 \(8\d\d m\)", SnapWarning)
        return Study.from_toml(ROOT / "studies" / toml).run(data_dir=shared, progress=False)


@pytest.fixture(scope="session")
def rutland_result(shared_data: Path) -> Iterator[Any]:
    """``Study.from_toml("studies/rutland-example.toml").run(data_dir=shared_data)``, in memory.

    A ``StudyResult`` on the real Rutland road network and LSOAs: 26 areas, four example
    centres, ``drive`` and ``walk``, the ``baseline`` and two closure scenarios (``close-two``,
    ``close-uppingham``). About 5 s; read-only.
    """
    yield from _shared(_study_result("rutland-example.toml", shared_data), "rutland_result")


@pytest.fixture(scope="session")
def chesterfield_result(shared_data: Path) -> Iterator[Any]:
    """``Study.from_toml("studies/chesterfield-2024.toml").run(data_dir=shared_data)``, in memory.

    A ``StudyResult`` of the 2024 decision on the real Chesterfield network: the 57 Chesterfield
    LSOAs the extract covers (12 excluded; their ``CoverageWarning`` is ignored here), four
    centres, ``drive`` and ``walk``, the ``baseline``, ``decision-2024`` and the two single
    closures. About 5 s; read-only.
    """
    yield from _shared(_study_result("chesterfield-2024.toml", shared_data), "chesterfield_result")


# ------------------------------------------------------------ the two real studies, run once


def _cli_run(study: str, out: Path, shared: Path) -> tuple[Path, str]:
    from click.testing import CliRunner

    from centrereach.cli import main
    from centrereach.errors import CoverageWarning

    args = ["run", str(ROOT / "studies" / study), "--out", str(out), "--data-dir", str(shared)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)
        result = CliRunner().invoke(main, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="session")
def chesterfield_run(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """``centrereach run studies/chesterfield-2024.toml``: (output folder, console output)."""
    return _cli_run("chesterfield-2024.toml", tmp_path_factory.mktemp("chesterfield") / "out",
                    shared_data)  # fmt: skip


@pytest.fixture(scope="session")
def rutland_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``centrereach run studies/rutland-example.toml``: (output folder, console output)."""
    return _cli_run("rutland-example.toml", tmp_path_factory.mktemp("rutland") / "out", shared_data)
