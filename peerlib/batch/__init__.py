"""The batch: plan the report runs, run the notebooks (papermill), publish all or nothing,
write the index. :func:`run_reports` is what ``peerlib reports`` calls."""
from __future__ import annotations

from .run import (TEMPLATES, BatchResult, Job, JobResult, check_template, data_fingerprint,
                  export_html, mark_report, plain_parameters, plan_jobs, run_reports,
                  write_index)

__all__ = ["TEMPLATES", "BatchResult", "Job", "JobResult", "check_template",
           "data_fingerprint", "export_html", "mark_report", "plain_parameters", "plan_jobs",
           "run_reports", "write_index"]
