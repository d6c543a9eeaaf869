"""The batch: plan the report runs, run the notebooks (papermill), publish all or nothing,
write the index. :func:`run_reports` is what ``peerlib reports`` calls.

Modules by concern: ``plan`` (templates, jobs, checks), ``run`` (executing notebooks in
worker processes), ``export`` (HTML), ``publish`` (all outputs and the index as one step,
out-of-date banners), ``index`` (the index page and run status), ``kernel`` (the warm kernel
of a worker), ``cluster`` (Dask).
"""
from __future__ import annotations

from .export import export_html
from .index import data_fingerprint, mark_outdated, write_index
from .plan import (FRAMEWORK_XLSX, TEMPLATES, Job, JobResult, check_template,
                   plain_parameters, plan_jobs)
from .publish import mark_report
from .run import BatchResult, run_reports

__all__ = ["TEMPLATES", "FRAMEWORK_XLSX", "BatchResult", "Job", "JobResult", "check_template",
           "data_fingerprint", "export_html", "mark_outdated", "mark_report",
           "plain_parameters", "plan_jobs", "run_reports", "write_index"]
