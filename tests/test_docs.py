"""The documentation holds: the README's Python example runs, and the public API is documented.

Every public function and class (the names in each public module's ``__all__``) has a docstring
with an example; the examples themselves run as doctests (plain ``pytest``, as ``make test`` runs
it, collects every one of them). Functions of the time and distance modules name their
units.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PUBLIC_MODULES = (
    "areas",
    "centres",
    "network",
    "netarrays",
    "traveltime",
    "scenarios",
    "metrics",
    "optimisation",
    "cluster",
    "study",
    "run",
    "results",
    "outputs",
    "speeds",
    "maps",
    "report",
    "sources",
    "synthetic",
    "errors",
    "gtfs",
    "transit",
)

#: Modules whose functions deal in times or distances: their docstrings must name the unit.
UNIT_MODULES = ("traveltime", "metrics", "network", "netarrays")
UNIT_WORDS = re.compile(r"\b(minutes|min|seconds|metres|km/h)\b")


def _public_objects(module_names: tuple[str, ...]) -> list[tuple[str, object]]:
    """``(qualified name, object)`` for every function or class in the modules' ``__all__``."""
    found = []
    for short in module_names:
        module = importlib.import_module(f"centrereach.{short}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.append((f"{module.__name__}.{name}", obj))
    return found


def _own_docstring(obj: object) -> str:
    """The object's own docstring, not one inherited or generated (dataclasses, enums)."""
    doc = obj.__doc__ or ""  # a class's __doc__ is its own, never its base's
    if inspect.isclass(obj) and (doc.startswith(f"{obj.__name__}(") or doc == "An enumeration."):
        return ""
    return inspect.cleandoc(doc)


# --------------------------------------------------------------------------------------------
# the README
# --------------------------------------------------------------------------------------------


def _readme_python_blocks(root: Path) -> list[str]:
    text = (root / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.shared_data
@pytest.mark.slow
# Expected: the Chesterfield extract does not cover the north of the district.
@pytest.mark.filterwarnings("ignore:.*areas are excluded because the road network:UserWarning")
# Expected: no GTFS timetable offline, so the study runs without public transport.
@pytest.mark.filterwarnings("ignore::centrereach.errors.ModeSkippedWarning")
def test_readme_python_example_runs(
    shared_data: Path,
    project_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocks = _readme_python_blocks(project_root)
    assert blocks, "README.md has no ```python block"
    # The README is run from the repository root, with the data in ../shared/data.
    monkeypatch.chdir(project_root)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for number, block in enumerate(blocks, start=1):
        code = block.replace("../shared/data", shared_data.as_posix())
        exec(compile(code, f"README.md python block {number}", "exec"), namespace)
    out = capsys.readouterr().out
    assert out.strip(), "the README example should print its results"
    assert "change_min" in out, out


def test_readme_example_stays_short(project_root: Path) -> None:
    lines = [
        line
        for block in _readme_python_blocks(project_root)
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(lines) <= 30, f"the README's Python example has {len(lines)} lines of code"


def test_readme_links_the_docs(project_root: Path) -> None:
    text = (project_root / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[^)#]+)", text))
    pages = {f"docs/{p.name}" for p in (project_root / "docs").glob("*.md")}
    assert "docs/method.md" in linked
    assert linked <= pages, f"README links missing pages: {sorted(linked - pages)}"


def test_study_files_in_the_docs_are_valid(project_root: Path, tmp_path: Path) -> None:
    """A whole study file shown in the docs (one with a [study] table) reads without error."""
    from centrereach.study import Study

    checked = 0
    for page in sorted((project_root / "docs").glob("*.md")):
        for block in re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            if not re.search(r"^\[study\]", block, re.M):
                continue
            path = tmp_path / f"{page.stem}-{checked}.toml"
            path.write_text(block, encoding="utf-8")
            study = Study.from_toml(path)  # raises StudyFileError naming the line if wrong
            assert study.scenario_specs, f"{page.name}: the example study has no scenario"
            checked += 1
    assert checked >= 1, "docs/national.md shows a national study file"


# --------------------------------------------------------------------------------------------
# the docstring audit
# --------------------------------------------------------------------------------------------


def test_public_names_have_docstrings() -> None:
    missing = [name for name, obj in _public_objects(PUBLIC_MODULES) if not _own_docstring(obj)]
    assert not missing, "public functions/classes without a docstring:\n  " + "\n  ".join(missing)


def test_public_names_have_examples() -> None:
    missing = [
        name for name, obj in _public_objects(PUBLIC_MODULES) if ">>>" not in _own_docstring(obj)
    ]
    assert not missing, (
        "public functions/classes whose docstring has no example (>>>):\n  " + "\n  ".join(missing)
    )


def test_time_and_distance_functions_name_their_units() -> None:
    missing = [
        name
        for name, obj in _public_objects(UNIT_MODULES)
        if not UNIT_WORDS.search(_own_docstring(obj))
    ]
    assert not missing, (
        "docstrings that name no unit (minutes, min, seconds, metres or km/h):\n  "
        + "\n  ".join(missing)
    )


@pytest.mark.slow
def test_examples_run_as_doctests_in_the_test_suite(project_root: Path) -> None:
    """Plain ``pytest`` in the repository (what ``make test`` runs) collects every example."""
    import centrereach

    env = dict(os.environ)
    package_parent = str(Path(centrereach.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    collected = {
        node.split("::", 1)[1]
        for node in done.stdout.splitlines()
        if node.startswith("src/centrereach/") and "::" in node
    }
    # a doctest item is named after the object's own module, e.g. centrereach.speeds.SpeedModel
    with_examples = {
        f"{obj.__module__}.{obj.__qualname__}"  # type: ignore[attr-defined]
        for _name, obj in _public_objects(PUBLIC_MODULES)
        if ">>>" in _own_docstring(obj)
    }
    assert with_examples, "no public examples found"
    missing = sorted(with_examples - collected)
    assert not missing, "examples that plain pytest does not run:\n  " + "\n  ".join(missing)
