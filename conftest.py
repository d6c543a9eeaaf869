"""Session set-up shared by the unit tests, the doctests and the notebooks under nbval.

Before anything runs, the synthetic demo data is generated (``peerlib demo-data``: nothing
under ``data/raw/`` is committed) into a temporary project folder, prepared there, and ``PEERLIB_PROJECT_DIR`` points at it. Notebooks executed by nbval (their
kernels inherit the environment) and doctests therefore read prepared demo data and write
figures into that temporary project, never into this checkout's ``data/`` or ``reports/``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ["MPLBACKEND"] = "Agg"

REPO_ROOT = Path(__file__).resolve().parent
collect_ignore = ["peerlib/__main__.py", "benchmarks", "build"]
_TEST_PROJECT: Path | None = None


def pytest_configure(config):
    global _TEST_PROJECT
    if os.environ.get("PEERLIB_TEST_PROJECT_KEEP_ENV"):
        return
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # pytest-xdist's controller runs no test: each worker makes its own project
    _TEST_PROJECT = Path(tempfile.mkdtemp(prefix="peerwork-test-project-"))
    raw = _TEST_PROJECT / "data" / "raw"
    raw.mkdir(parents=True)
    from peerlib.part1.demo import write_demo_data
    from peerlib.part2.demo import write_qda_demo

    write_demo_data(raw)
    write_qda_demo(raw)
    _plant_identifiers(raw / "part1_responses.csv")
    os.environ["PEERLIB_PROJECT_DIR"] = str(_TEST_PROJECT)
    os.environ["PEERLIB_KEY"] = "peerwork-test-suite-key"  # fixed pseudonyms in tests

    from peerlib.part1.prepare import prepare
    from peerlib.part2 import write_coded_segments

    prepare()
    write_coded_segments(raw / "part2_demo.qdpx")  # Part 2: the framework matrix report


#: Distinct made-up identifiers planted in every identifying column of the session project's
#: raw responses; tests/test_privacy.py checks that none reaches data/processed or reports.
PLANTED = {
    "name": "Zebedee Quixote-Planted",
    "email": "zq.planted@example.invalid",
    "phone": "07700 900417",
    "date_of_birth": "1911-11-11",
    "address": "17 Plantedwell Lane",
    "comments": "PLANTED-FREE-TEXT-Q9",
}


def _plant_identifiers(path: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column, value in PLANTED.items():
        frame[column] = [f"{value} {i}" for i in range(len(frame))]
    frame.to_csv(path, index=False)


def pytest_unconfigure(config):
    if _TEST_PROJECT is not None:
        shutil.rmtree(_TEST_PROJECT, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_release_history_between_tests():
    """The session project is shared by every test of a worker, whose batches use other
    disclosure policies on purpose (nhs, k = 6...): one test's release history
    (``data/releases``) must not refuse the next test's batch as a policy change. Cleared
    after each test; tests/test_releases.py checks the history in projects of its own."""
    yield
    if _TEST_PROJECT is not None:
        shutil.rmtree(_TEST_PROJECT / "data" / "releases", ignore_errors=True)
