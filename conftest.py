"""Session set-up shared by the unit tests, the doctests and the notebooks under nbval.

Before anything runs, the committed demo data is copied into a temporary project folder,
prepared there, and ``PEERLIB_PROJECT_DIR`` points at it. Notebooks executed by nbval (their
kernels inherit the environment) and doctests therefore read prepared demo data and write
figures into that temporary project, never into this checkout's ``data/`` or ``reports/``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"

REPO_ROOT = Path(__file__).resolve().parent
collect_ignore = ["peerlib/__main__.py", "benchmarks", "build"]
_TEST_PROJECT: Path | None = None


def pytest_configure(config):
    global _TEST_PROJECT
    if os.environ.get("PEERLIB_TEST_PROJECT_KEEP_ENV"):
        return
    _TEST_PROJECT = Path(tempfile.mkdtemp(prefix="peerwork-test-project-"))
    raw = _TEST_PROJECT / "data" / "raw"
    raw.mkdir(parents=True)
    for name in ("dataset.yaml", "sites.csv", "part1_responses.csv"):
        shutil.copy2(REPO_ROOT / "data" / "raw" / name, raw / name)
    os.environ["PEERLIB_PROJECT_DIR"] = str(_TEST_PROJECT)

    from peerlib.prepare import prepare

    prepare()


def pytest_unconfigure(config):
    if _TEST_PROJECT is not None:
        shutil.rmtree(_TEST_PROJECT, ignore_errors=True)
