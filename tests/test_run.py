"""Only what changed (peerlib.batch.run with peerlib.batch.plan.job_keys): an unchanged
rerun reuses every report; a change to one site's coded transcripts rebuilds that site's
report and the reports on all sites; a change to the Part 1 answers rebuilds every report
(each site report compares its site with all other sites); ``force`` rebuilds all; the index
says which reports were reused.

The batches use the small templates of batch_helpers, so they cost a second or two each.
"""
from __future__ import annotations

import shutil

import nbformat
import pandas as pd
import pytest

from batch_helpers import tiny_templates
from peerlib.batch import run_reports
from peerlib.paths import project_paths

SITES = ["S01", "S03"]


@pytest.fixture
def project(tmp_path):
    data = tmp_path / "processed"
    shutil.copytree(project_paths().processed, data)
    return data, tiny_templates(tmp_path / "templates"), tmp_path / "reports"


def _run(project, **kwargs):
    data, templates, out = project
    batch = run_reports(data, out, sites=SITES, jobs=1, notebooks=templates, progress=False,
                        **kwargs)
    return {r.name: r.reused for r in batch.results}


def test_unchanged_rerun_reuses_every_report_and_the_index_says_so(project):
    out = project[2]
    assert not any(_run(project).values())
    pages = {p: p.read_bytes() for p in out.rglob("*.html") if p.name != "index.html"}
    audit = (out / "disclosure_audit.csv").read_bytes()
    reused = _run(project)
    assert all(reused.values()) and len(reused) == 5
    assert {p: p.read_bytes() for p in pages} == pages  # not rewritten
    # nothing rebuilt: the published set's audit stands, published again as it was
    assert (out / "disclosure_audit.csv").read_bytes() == audit
    assert audit.count(b"passed") >= 4
    index = (out / "index.html").read_text(encoding="utf-8")
    row = next(line for line in index.splitlines() if 'href="sites/S01.html"' in line)
    assert "up to date" in row and "reused" in row
    assert not any(_run(project, force=True).values())
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "reused" not in next(line for line in index.splitlines()
                                if 'href="sites/S01.html"' in line)


def test_one_sites_transcripts_changed_rebuilds_that_site_and_all_site_reports(project):
    data = project[0]
    _run(project)
    segments = pd.read_parquet(data / "coded_segments.parquet")
    s03 = segments.index[segments["site_id"].astype(str) == "S03"]
    assert len(s03) > 1
    segments.drop(index=s03[:1]).to_parquet(data / "coded_segments.parquet", index=False)
    reused = _run(project)
    assert reused == {"data_quality": False, "S01": True, "S03": False, "cross_site": False,
                      "framework_matrix": False}


@pytest.mark.slow  # a batch of its own; the one-site change test covers the rule in make test
def test_part1_answers_changed_rebuilds_every_report(project):
    data = project[0]
    _run(project)
    long = pd.read_parquet(data / "part1_long.parquet")
    long = long[long["site_id"].astype(str) != "S03"].iloc[:-8]  # someone at S01 gone
    long.to_parquet(data / "part1_long.parquet", index=False)
    assert not any(_run(project).values())


def test_template_changed_rebuilds_its_reports_only(project):
    templates = project[1]
    _run(project)
    nb = nbformat.read(templates / "10_site_report.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new paragraph."))
    nbformat.write(nb, templates / "10_site_report.ipynb")
    reused = _run(project)
    assert reused == {"data_quality": True, "S01": False, "S03": False, "cross_site": True,
                      "framework_matrix": True}


@pytest.mark.slow
def test_a_deleted_report_is_built_again(project):
    out = project[2]
    _run(project)
    (out / "sites" / "S03.html").unlink()
    reused = _run(project)
    assert reused["S03"] is False and reused["S01"] is True


def test_a_forced_run_failing_while_its_workers_warm_up_leaves_nothing_running(project,
                                                                               monkeypatch):
    """A --force run starts its workers' kernels while it computes the mask; when that
    fails, the error reaches the caller, the workers and their kernels are stopped and no
    staging folder is left behind."""
    import time

    import psutil

    from peerlib.reporting import tables

    def failing_mask(*args, **kwargs):
        time.sleep(4)  # the workers are starting their kernels meanwhile
        raise RuntimeError("planted mask failure")

    monkeypatch.setattr(tables, "batch_mask_table", failing_mask)
    data, templates, out = project
    with pytest.raises(RuntimeError, match="planted mask failure"):
        run_reports(data, out, sites=SITES, jobs=2, notebooks=templates, progress=False,
                    force=True)
    assert not list(out.glob(".staging-*"))
    left = [" ".join(c.cmdline()) for c in psutil.Process().children(recursive=True)]
    # (multiprocessing's resource tracker lives as long as this process: not a worker)
    assert not [c for c in left if "spawn_main" in c or "ipykernel" in c], left
