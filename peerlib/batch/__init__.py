"""The batch: plan the report runs, run the notebooks (papermill), publish all or nothing,
write the index. :func:`run_reports` is what ``peerlib reports`` calls.

Modules by concern: ``plan`` (templates, jobs, checks), ``run`` (the batch's own process:
data, disclosure mask, pool, publishing, audit), ``worker`` (what a worker process runs for
each report), ``export`` (HTML), ``publish`` (all outputs and the index as one step,
out-of-date banners), ``index`` (the index page and run status), ``kernel`` (the warm kernel
of a worker), ``cluster`` (Dask).

The names below are imported on first use (:pep:`562`): a worker process imports
``peerlib.batch.worker`` without ``run``, which imports pandas and the disclosure code.
"""
from __future__ import annotations

from .._lazy import lazy_names

#: Public name -> the submodule of peerlib.batch that defines it.
_LAZY = {
    "export_html": "export",
    "data_fingerprint": "index",
    "mark_outdated": "index",
    "write_index": "index",
    "FRAMEWORK_XLSX": "plan",
    "TEMPLATES": "plan",
    "Job": "plan",
    "JobResult": "plan",
    "check_template": "plan",
    "plain_parameters": "plan",
    "plan_jobs": "plan",
    "mark_report": "publish",
    "BatchResult": "run",
    "run_reports": "run",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
