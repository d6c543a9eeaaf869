"""environment.yml names the same dependencies as pyproject.toml; requirements.lock pins
every one of them, within its range, with hashes."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _norm(spec: str) -> str:
    name, rest = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower().replace("_", "-") + rest.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_norm(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_norm(d) for d in extra}
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {_norm(d) for d in env["dependencies"] if isinstance(d, str)
             and not d.startswith(("python", "pip"))}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    # packages that only PyPI has (typst's Python binding) are installed by pip
    pip_only = {_norm(d) for d in pip if d != "-e ."}
    assert not conda & pip_only
    assert conda | pip_only == wanted


def test_console_command_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["peerlib"] == "peerlib.cli:main"


def test_lock_pins_every_dependency_within_its_range_with_hashes():
    """`make lock` writes requirements.lock from pyproject.toml; a dependency added to
    pyproject.toml without refreshing the lock (or a lock out of range) fails here."""
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    pins = {m.group(1).lower().replace("_", "-"): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}
    for spec in wanted:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
