"""Tests of ``centrereach._settings``: one place for the data folder, the caches and their env vars.

The data folder's precedence is argument > ``CENTREREACH_DATA_DIR`` > the study file's ``[data]
dir``; every cache (datasets, networks, web assets) lives under one root, which
``CENTREREACH_CACHE_DIR`` moves, on every platform.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import platformdirs
import pytest

from centrereach import _assets, _settings, network, sources

ENV_NAMES = (
    _settings.DATA_DIR_ENV,
    _settings.CACHE_DIR_ENV,
    _settings.ASSETS_DIR_ENV,
    _settings.MIRROR_ENV,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def windows_like_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A platformdirs whose answer depends on ``appauthor``, as it does on Windows.

    On Windows ``user_cache_dir("centrereach")`` is ``...\\centrereach\\centrereach\\Cache`` (the
    author doubles the name) while ``appauthor=False`` gives ``...\\centrereach\\Cache``: code that
    forgets ``appauthor=False`` lands in another folder.
    """

    def user_cache_dir(appname: str, appauthor: object = None, **_: object) -> str:
        author = appname if appauthor is None else appauthor
        parts = [appname] if author is False else [str(author), appname]
        return str(tmp_path.joinpath("LocalAppData", *parts, "Cache"))

    monkeypatch.setattr(platformdirs, "user_cache_dir", user_cache_dir)
    return tmp_path / "LocalAppData" / "centrereach" / "Cache"


# --------------------------------------------------------------------------------- data folder


def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    explicit, env, base = tmp_path / "explicit", tmp_path / "env", tmp_path / "study"
    assert _settings.data_dir() is None
    assert _settings.data_dir(study_value="data", base=base) == base / "data"
    monkeypatch.setenv(_settings.DATA_DIR_ENV, str(env))
    assert _settings.data_dir(study_value="data", base=base) == env
    assert _settings.data_dir(explicit, study_value="data", base=base) == explicit
    assert _settings.data_dir(str(explicit)) == explicit


def test_data_dir_blank_values_count_as_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(_settings.DATA_DIR_ENV, "   ")
    assert _settings.data_dir() is None
    assert _settings.data_dir(study_value=" ", base=tmp_path) is None
    assert _settings.data_dir(study_value="d", base=tmp_path) == tmp_path / "d"


def test_data_dir_study_value_is_relative_to_the_study_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    study = tmp_path / "studies" / "derbyshire"
    assert _settings.data_dir(study_value="../../data", base=study) == tmp_path / "data"
    absolute = tmp_path / "elsewhere"
    assert _settings.data_dir(study_value=str(absolute), base=study) == absolute
    monkeypatch.chdir(tmp_path)
    assert _settings.data_dir(study_value="data") == tmp_path.resolve() / "data"


def test_data_dir_expands_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _settings.data_dir("~/data") == tmp_path / "data"
    monkeypatch.setenv(_settings.DATA_DIR_ENV, "~/env-data")
    assert _settings.data_dir() == tmp_path / "env-data"


def test_sources_reads_the_data_dir_through_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert sources.data_dir() is None
    monkeypatch.setenv(_settings.DATA_DIR_ENV, str(tmp_path))
    assert sources.data_dir() == _settings.data_dir() == tmp_path
    assert sources.DATA_DIR_ENV == _settings.DATA_DIR_ENV


# --------------------------------------------------------------------------------- caches


def test_cache_dir_kinds_share_one_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_settings.CACHE_DIR_ENV, str(tmp_path / "root"))
    root = _settings.cache_dir()
    assert root == tmp_path / "root"
    assert _settings.cache_dir("datasets") == root  # existing dataset caches stay valid
    for kind in ("networks", "assets"):
        folder = _settings.cache_dir(kind)
        assert folder.parent == root and folder != root
    assert len({_settings.cache_dir(kind) for kind in _settings.CACHE_KINDS}) == len(
        _settings.CACHE_KINDS
    )
    assert not root.exists()  # nothing is created by asking


def test_cache_dir_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown cache kind 'graphs'") as info:
        _settings.cache_dir("graphs")
    assert all(repr(kind) in str(info.value) for kind in _settings.CACHE_KINDS)


def test_default_cache_root_is_the_user_cache_folder_without_author(
    windows_like_cache: Path,
) -> None:
    assert _settings.cache_dir() == windows_like_cache
    assert _settings.cache_dir() == Path(
        platformdirs.user_cache_dir("centrereach", appauthor=False)
    )


def test_every_cache_honours_the_cache_env_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / "my-cache"
    monkeypatch.setenv(_settings.CACHE_DIR_ENV, str(root))
    assert sources.cache_dir() == root
    assert network._default_cache_dir() == root / "networks"
    assert _assets.assets_dir() == root / "web-assets"


def test_every_cache_shares_the_default_root_on_every_platform(windows_like_cache: Path) -> None:
    # before _settings, the networks went to ...\centrereach\centrereach\Cache on Windows
    assert sources.cache_dir() == windows_like_cache
    assert network._default_cache_dir().parent == windows_like_cache
    assert _assets.assets_dir().parent == windows_like_cache


def test_assets_env_var_moves_the_assets_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(_settings.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(_settings.ASSETS_DIR_ENV, str(tmp_path / "assets"))
    assert _assets.assets_dir() == _settings.assets_dir() == tmp_path / "assets"
    assert network._default_cache_dir() == tmp_path / "cache" / "networks"
    assert sources.cache_dir() == tmp_path / "cache"


# --------------------------------------------------------------------------------- mirror


def test_mirror_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _settings.mirror_url() is None
    monkeypatch.setenv(_settings.MIRROR_ENV, " http://env.example ")
    assert _settings.mirror_url() == "http://env.example"
    assert _settings.mirror_url("http://given.example") == "http://given.example"
    assert _settings.mirror_url("") is None  # an explicit empty value switches the mirror off


# --------------------------------------------------------------------------------- a leaf


def test_settings_is_a_leaf_module() -> None:
    """It imports only the standard library, platformdirs and centrereach.errors."""
    tree = ast.parse(Path(_settings.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module)
    allowed = {"platformdirs", "centrereach.errors"}
    foreign = {
        name
        for name in imported
        if name not in allowed and name.split(".")[0] not in sys.stdlib_module_names
    }
    assert not foreign, f"_settings imports {sorted(foreign)}"
