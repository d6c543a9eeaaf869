"""Publishing a batch as one step (peerlib.batch.publish): a batch killed with SIGKILL at
any moment never leaves a reports folder whose index calls a mix of runs up to date; the
next command completes or discards it; staging folders go; reports from earlier data are
marked outdated as soon as the prepared data changes.

The batches here use the small templates of batch_helpers (a second each); the runs differ
in ``min_group_size`` (5, then 6), which every page shows, so each file tells which run
made it.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from batch_helpers import tiny_templates
from peerlib.batch import run_reports
from peerlib.batch.publish import JOURNAL, recover
from peerlib.paths import project_paths

HERE = Path(__file__).resolve().parent
REPORTS = ["data_quality.html", "cross_site.html", "framework_matrix.html", "sites/S01.html"]


@pytest.fixture(scope="module")
def first_batch(tmp_path_factory):
    """Reports of run 1 (k = 5) for S01 and the all-site reports, and the templates."""
    root = tmp_path_factory.mktemp("publish")
    templates = tiny_templates(root / "templates")
    out = root / "reports"
    run_reports(out=out, sites=["S01"], jobs=1, notebooks=templates, progress=False)
    return out, templates


def _made_by(out: Path) -> dict[str, str]:
    """Which run made each report: 'k=5' or 'k=6'."""
    found = {}
    for rel in REPORTS:
        page = (out / rel).read_text(encoding="utf-8")
        found[rel] = "k=6" if "k=6" in page else "k=5" if "k=5" in page else "?"
    return found


def _killed_batch(out: Path, templates: Path, moment: str, after: int = 0) -> int:
    """Run batch 2 (k = 6: another policy than batch 1's, said to be accepted, so that each
    report shows which run made it) in a subprocess that kills itself with SIGKILL at
    ``moment``."""
    script = textwrap.dedent(f"""
        import os, signal
        import peerlib.batch.publish as publish
        import peerlib.batch.run as run
        calls = []

        def kill(original):
            def wrapper(*args, **kwargs):
                calls.append(1)
                if len(calls) > {after}:
                    os.kill(os.getpid(), signal.SIGKILL)
                return original(*args, **kwargs)
            return wrapper

        if {moment!r} == "before_journal":
            run.plan_moves = kill(run.plan_moves)
        elif {moment!r} == "after_journal":
            publish._apply = kill(publish._apply)
        elif {moment!r} == "moving":
            publish._move = kill(publish._move)
        elif {moment!r} == "before_index":
            publish._finish = kill(publish._finish)
        run.run_reports(out={str(out)!r}, sites=["S01"], jobs=1, notebooks={str(templates)!r},
                        min_group_size=6, progress=False, accept_policy_change=True)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ))
    return proc.returncode


@pytest.mark.parametrize("moment,after,published", [
    pytest.param("before_journal", 0, False, marks=pytest.mark.slow),
    pytest.param("after_journal", 0, True, marks=pytest.mark.slow),
    pytest.param("moving", 3, True, marks=pytest.mark.slow),
    ("before_index", 0, True),
])
def test_sigkill_at_any_moment_never_leaves_a_mix_called_up_to_date(
        first_batch, tmp_path, moment, after, published):
    source, templates = first_batch
    out = tmp_path / "reports"
    shutil.copytree(source, out)
    assert set(_made_by(out).values()) == {"k=5"}

    assert _killed_batch(out, templates, moment, after) == -signal.SIGKILL

    # Right after the kill: either nothing of run 2 is in place, or the index says the
    # reports are being updated (never "up to date" over a mix of runs).
    index = (out / "index.html").read_text(encoding="utf-8")
    if "k=6" in _made_by(out).values():
        assert "being updated" in index and "interrupted" in index
    assert (out / JOURNAL).exists() == published

    # The next command completes the publishing (or discards the half-made batch).
    recover(out)
    made = _made_by(out)
    assert set(made.values()) == ({"k=6"} if published else {"k=5"}), made
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "being updated" not in index
    assert not (out / JOURNAL).exists()
    assert not list(out.glob(".staging-*"))
    status = json.loads((out / ".status.json").read_text(encoding="utf-8"))
    runs = {status["reports"][rel]["run"] for rel in REPORTS}
    assert len(runs) == 1  # one run made every listed report
    assert all(status["reports"][rel]["status"] == "ok" for rel in REPORTS)
    # S02's report (not in either batch) is untouched and still listed.
    assert (out / "sites" / "S02.html").exists() == (source / "sites" / "S02.html").exists()


def test_next_batch_after_a_kill_cleans_staging_and_publishes(first_batch, tmp_path):
    source, templates = first_batch
    out = tmp_path / "reports"
    shutil.copytree(source, out)
    assert _killed_batch(out, templates, "before_journal") == -signal.SIGKILL
    assert list(out.glob(".staging-*"))  # left by the killed batch
    run_reports(out=out, sites=["S01"], jobs=1, notebooks=templates, min_group_size=6,
                progress=False, accept_policy_change=True)
    assert set(_made_by(out).values()) == {"k=6"}
    assert not list(out.glob(".staging-*"))


def test_failed_notebook_is_written_whole_and_moved_into_place(first_batch, tmp_path):
    """A failing notebook is kept under notebooks/failed, complete (valid JSON), with the
    failing cell marked; no temporary file is left beside it."""
    import nbformat

    from peerlib.errors import ReportError

    source, templates = first_batch
    broken = tmp_path / "templates"
    shutil.copytree(templates, broken)
    nb = nbformat.read(broken / "10_site_report.ipynb", as_version=4)
    nb.cells[-1].source = ("print('UNAUDITED' + '-OUTPUT')\n"
                           "raise RuntimeError('planted failure')")
    nbformat.write(nb, broken / "10_site_report.ipynb")
    out = tmp_path / "reports"
    shutil.copytree(source, out)
    with pytest.raises(ReportError, match="planted failure"):
        run_reports(out=out, sites=["S01"], jobs=1, notebooks=broken, progress=False)
    failed = out / "notebooks" / "failed"
    saved = nbformat.read(failed / "S01.ipynb", as_version=4)
    assert "planted failure" in nbformat.writes(saved)
    # reports/ is what readers get: outputs that did not pass the audit are not kept
    assert "UNAUDITED-OUTPUT" not in nbformat.writes(saved)
    assert {o.output_type for c in saved.cells if c.cell_type == "code"
            for o in c.outputs} == {"error"}
    assert sorted(p.name for p in failed.iterdir()) == ["S01.ipynb"]


def test_preparing_new_data_marks_earlier_reports_outdated_at_once(tmp_path, monkeypatch):
    """After `peerlib prepare` changes the prepared data (here: a participant withdrawn),
    the index and each published report say they are out of date before any new batch."""
    from peerlib.cli import main

    raw = tmp_path / "data" / "raw"
    shutil.copytree(project_paths().raw, raw)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    assert main(["prepare"]) == 0
    templates = tiny_templates(tmp_path / "templates")
    run_reports(sites=["S01"], jobs=1, notebooks=templates, progress=False)
    out = tmp_path / "reports"
    assert "OUTDATED" not in (out / "index.html").read_text(encoding="utf-8")

    import pandas as pd

    responses = pd.read_csv(raw / "part1_responses.csv", dtype=str, keep_default_na=False)
    (raw / "withdrawn.txt").write_text(responses["participant_id"].iloc[0] + "\n",
                                       encoding="utf-8")
    assert main(["prepare"]) == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    row = next(line for line in index.splitlines() if 'href="sites/S01.html"' in line)
    assert "OUTDATED" in row
    assert "out of date" in (out / "sites" / "S01.html").read_text(encoding="utf-8")
    assert "out of date" in (out / "cross_site.html").read_text(encoding="utf-8")
