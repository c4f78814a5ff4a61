"""Packaging: the wheel contains models/ and protocols/ under bioneuro, and the two dependency lists agree.

Oracles: `bioneuro list` run from a wheel installed into a fresh virtual environment shows the runnables that
the source tree defines; pyproject.toml and environment.yml name the same packages with the same versions.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"build": "python-build"}


def _normalise(spec: str) -> tuple[str, str]:
    spec = spec.split(";")[0].replace(" ", "")
    match = re.match(r"([A-Za-z0-9_.\-]+)(.*)", spec)
    name, version = match.group(1).lower(), match.group(2)
    version = re.sub(r"^==?(\d[\w.]*\.\*)$", r"=\1", version)  # pip "==2.9.*" is conda "=2.9.*"
    return CONDA_NAMES.get(name, name), version


def test_environment_yml_agrees_with_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_normalise(s) for s in pyproject["dependencies"] + pyproject["optional-dependencies"]["test"])
    lines = (ROOT / "environment.yml").read_text().splitlines()
    conda = {}
    in_dependencies = False
    for line in lines:
        if line.startswith("dependencies:"):
            in_dependencies = True
            continue
        match = re.match(r"^  - ([^\s:]+)$", line)
        if in_dependencies and match and match.group(1) not in ("pip",) and not match.group(1).startswith("python="):
            name, version = _normalise(match.group(1))
            conda[name] = version
    assert conda == wanted


@pytest.mark.standalone  # slow-ish (builds a wheel and a virtual environment, ~30 s)
def test_wheel_installs_and_lists_runnables(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next(dist.glob("bioneuro-*.whl"))
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    # Dependencies come from this interpreter's site-packages (no network in tests); the editable install of
    # the checkout is not visible there because .pth files of an added path are not executed.
    target = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 check=True, capture_output=True, text=True).stdout.strip())
    (target / "outer_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    listing = subprocess.run([str(environment / "bin" / "bioneuro"), "list"], check=True, capture_output=True,
                             text=True, cwd=tmp_path)
    where = subprocess.run([str(python), "-c", "import bioneuro.models, bioneuro.protocols; "
                            "print(bioneuro.models.__file__); print(bioneuro.protocols.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert str(target) in where and str(ROOT) not in where
    from bioneuro.registry import discover

    expected = list(discover())
    assert expected, "the source tree defines no runnables"
    for name in expected:
        assert re.search(rf"^\s+{re.escape(name)}\s", listing.stdout, re.MULTILINE), listing.stdout
