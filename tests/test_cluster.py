"""Reports on a Dask cluster (peerlib.batch.cluster): a LocalCluster of two worker
processes on loopback builds the same reports as the local pool (the session batch)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from peerlib.batch import run_reports
from peerlib.errors import ParameterError

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def test_dask_cluster_builds_the_same_reports_as_a_local_run(batch, tmp_path):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        result = run_reports(out=tmp_path, sites=["S01", "S02"], notebooks=REPO / "notebooks",
                             scheduler=cluster.scheduler_address, progress=False)
    assert all(r.ok and not r.reused for r in result.results)
    for rel in ("sites/S01.html", "sites/S02.html", "cross_site.html", "data_quality.html"):
        local = DATE.sub("DATE", (batch.out / rel).read_text(encoding="utf-8"))
        dask = DATE.sub("DATE", (tmp_path / rel).read_text(encoding="utf-8"))
        assert dask == local, rel
    assert not list(tmp_path.glob(".staging-*"))


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    from peerlib.batch import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)  # the same error, sooner
    with pytest.raises(ParameterError, match="No Dask scheduler answers"):
        run_reports(out=tmp_path, sites=["S01"], notebooks=REPO / "notebooks",
                    scheduler="tcp://127.0.0.1:9", progress=False, force=True)
