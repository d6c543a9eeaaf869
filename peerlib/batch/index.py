"""The index page of the reports folder and the run status behind it (which report came
from which data, which are stale or failed)."""
from __future__ import annotations

import html
import json
import os
from pathlib import Path

from .plan import FRAMEWORK_XLSX, Job, JobResult
from .publish import mark_report

__all__ = ["data_fingerprint", "write_index"]

_STATUS_FILE = ".status.json"


def data_fingerprint(provenance: dict) -> str:
    """SHA-256 over the inputs' hashes and the prepared data's digest: reports made from
    other data (other raw files, withdrawals, redactions, a re-import) get another value."""
    import hashlib

    text = json.dumps([provenance.get("inputs", []), provenance.get("data_digest", "")],
                      sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest_files(paths) -> str:
    """SHA-256 over the bytes of the files that exist among ``paths`` (in order)."""
    import hashlib

    digest = hashlib.sha256()
    for path in paths:
        if Path(path).exists():
            digest.update(Path(path).name.encode("utf-8"))
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def write_index(out_dir: Path, job_list: list[Job], results: list[JobResult], *, register,
                provenance: dict) -> Path:
    """Write ``reports/index.html``: every report with its status, self-contained.

    A report whose latest run failed but which has an earlier good HTML file is listed as
    stale (with the date of that file's run); one with no file is listed as failed. Status
    persists in ``reports/.status.json`` across partial runs (``--sites``).

    Returns
    -------
    pathlib.Path
        The index file.
    """
    fingerprint = data_fingerprint(provenance)
    status_path = out_dir / _STATUS_FILE
    try:
        status = json.loads(status_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    by_name = {r.name: r for r in results}
    for job in job_list:
        res = by_name[job.name]
        entry = status.get(job.html, {})
        if res.ok:
            entry = {"status": "ok", "last_good": provenance["run_date"], "data": fingerprint}
        else:
            entry = {"status": "failed", "last_good": entry.get("last_good"),
                     "data": entry.get("data"), "banner": entry.get("banner", False),
                     "error": res.error.splitlines()[0] if res.error else "",
                     "cell": res.cell, "failed_run": provenance["run_date"]}
        status[job.html] = entry

    e = html.escape
    rows = []

    def row(label: str, rel: str) -> str:
        entry = status.get(rel, {})
        exists = (out_dir / rel).exists()
        link = f'<a href="{e(rel)}">{e(label)}</a>' if exists else e(label)
        if entry.get("status") == "ok" and entry.get("data") == fingerprint:
            state = f"up to date ({e(entry.get('last_good') or '')})"
            cls = "ok"
            if exists and entry.pop("banner", False):  # only a file once marked is read
                mark_report(out_dir / rel, None)
        elif entry.get("status") == "ok" and exists:
            state = (f"OUTDATED: made on {e(entry.get('last_good') or 'an earlier run')} "
                     "from earlier data; run peerlib reports again to update it")
            cls = "stale"
            entry["banner"] = True
            mark_report(out_dir / rel, f"This report is out of date: it was made on "
                        f"{entry.get('last_good') or 'an earlier run'} from earlier data.")
        elif exists:
            state = (f"STALE: the latest run failed ({e(entry.get('error') or '')}); showing "
                     f"the report of {e(entry.get('last_good') or 'an earlier run')}")
            cls = "stale"
            entry["banner"] = True
            mark_report(out_dir / rel, f"This report is out of date: the run of "
                        f"{entry.get('failed_run') or 'a later date'} failed, so it still "
                        f"shows the results of {entry.get('last_good') or 'an earlier run'}.")
        elif entry:
            state = f"FAILED: {e(entry.get('error') or '')}; no report yet"
            cls = "failed"
        else:
            state, cls = "not run yet", "failed"
        return f'<tr class="{cls}"><td>{link}</td><td>{state}</td></tr>'

    rows.append(row("Data quality report", "data_quality.html"))
    rows.append(row("Cross-site report", "cross_site.html"))
    if "framework_matrix.html" in status:
        rows.append(row("Framework matrix (Part 2)", "framework_matrix.html"))
        if (out_dir / FRAMEWORK_XLSX).exists():
            rows.append(f'<tr class="ok"><td><a href="{FRAMEWORK_XLSX}">Framework matrix '
                        'workbook (Excel, one sheet per theme)</a></td><td>written with the '
                        'framework matrix report</td></tr>')
    for rec in register.itertuples(index=False):
        rows.append(row(f"{rec.site_id}: {rec.site_name}", f"sites/{rec.site_id}.html"))
    tmp = status_path.with_suffix(".tmp")  # after the rows: they record the banners
    tmp.write_text(json.dumps(status, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, status_path)
    banner = ('<div class="banner">SYNTHETIC DEMO DATA: every answer in these reports is '
              'invented; these are not study results and the site names are fictional.</div>'
              if provenance["synthetic"] else "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>peerwork reports: {e(provenance['dataset_name'])}</title>
<style>
body {{ font: 15px/1.5 Arial, Helvetica, sans-serif; margin: 24px auto; max-width: 60em;
  padding: 0 16px; color: #222; }}
.banner {{ background: #fff3cd; border: 2px solid #b58100; padding: 10px 16px;
  font-weight: 600; margin-bottom: 16px; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; }}
tr.stale td {{ background: #f8d7da; }} tr.failed td {{ background: #f1f1f1; color: #666; }}
footer {{ margin-top: 24px; font-size: 12px; color: #555; }}
</style></head>
<body>
{banner}
<h1>Peer worker case study: reports</h1>
<p>Data set: <strong>{e(provenance['dataset_name'])}</strong>. Run date: {e(provenance['run_date'])}.</p>
<table><thead><tr><th>Report</th><th>Status</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<p>Figures for slides (PNG and SVG) are in the <a href="figures/">figures</a> folder; executed
notebooks for analysts in <a href="notebooks/">notebooks</a>.</p>
<footer>peerlib {e(provenance['version'])}, git commit {e(provenance['git_commit'])}.</footer>
</body></html>
"""
    index = out_dir / "index.html"
    tmp = index.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, index)
    return index
