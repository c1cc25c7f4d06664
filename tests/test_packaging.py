"""The project's files agree with each other: dependencies, notebooks, commands."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}
NOT_PACKAGES = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()


def _environment_packages() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        match = re.match(r"^\s+-\s+(.+?)\s*$", line)
        if not match or match.group(1).endswith(":") or match.group(1).startswith("-e"):
            continue
        name = _name(match.group(1))
        if name not in NOT_PACKAGES:
            names.add(CONDA_TO_PIP.get(name, name))
    return names


def test_environment_yml_and_pyproject_name_the_same_packages():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    assert _environment_packages() == declared


def test_environment_yml_installs_the_package_itself():
    assert re.search(r"^\s+-\s+-e \.\s*$", (ROOT / "environment.yml").read_text(), re.M)


def _lesson_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", _lesson_notebooks(), ids=lambda p: p.name)
def test_committed_lessons_carry_full_profile_outputs(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("ganlab", {}).get("profile") == "full", (
        f"{path.name} was not executed with the full profile: run `make notebooks`"
    )
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name} was not executed in order"
    for i, cell in enumerate(code):
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{path.name}: code cell {i} has an error"
    assert any(c["outputs"] for c in code), f"{path.name} has no outputs"


@pytest.mark.parametrize("path", _lesson_notebooks(), ids=lambda p: p.name)
def test_every_lesson_checks_at_least_one_output_under_nbval(path):
    nb = json.loads(path.read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert any(s.splitlines()[0].strip() == "# NBVAL_CHECK_OUTPUT" for s in sources if s)


def test_lessons_link_to_their_exercises():
    for path in _lesson_notebooks():
        text = path.read_text()
        assert "../exercises/" in text, f"{path.name} does not link to its exercises"


def test_ganlab_info_reports_profile_and_device(tmp_path):
    # a bare environment; HOME is a temporary folder so that no cache lands in the project
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", "info"],
        capture_output=True,
        text=True,
        check=True,
        env={"GANLAB_PROFILE": "quick", "PATH": "", "HOME": str(tmp_path)},
    )
    assert re.search(r"^profile\s+quick$", result.stdout, re.M)
    assert re.search(r"^device\s+\w+", result.stdout, re.M)
    assert re.search(r"^torch\s+\d", result.stdout, re.M)


def test_ci_script_calls_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\s*$", script, re.M)


def test_package_data_ships_the_offline_digits_and_the_benchmark_results():
    """``pip install`` must carry the t10k files and lesson 09's results: every file the
    package reads at run time is matched by a package-data pattern."""
    tomllib = pytest.importorskip("tomllib")
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    needed = {
        "ganlab.data": [
            f"mnist_t10k/t10k-{kind}-idx{n}-ubyte.gz" for kind, n in (("images", 3), ("labels", 1))
        ],  # fmt: skip
        "ganlab.bench": [
            f"results/{name}" for name in ("ssl_results.json", "ssl_results.npz", "ssl_long.json")
        ],  # fmt: skip
    }
    for package, files in needed.items():
        folder = ROOT / package.replace(".", "/")
        for name in files:
            assert (folder / name).is_file(), name
            assert any(Path(name).match(p) for p in patterns[package]), (package, name)
