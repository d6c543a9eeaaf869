"""The index page of the reports folder and the run status behind it (which report came
from which data, which are stale or failed)."""
from __future__ import annotations

import html
import json
from pathlib import Path

from .._files import atomic_write_text
from .plan import FRAMEWORK_XLSX, TEMPLATES, Job, JobResult
from .publish import mark_report

__all__ = ["PURPOSES", "STATUS_FILE", "data_fingerprint", "data_provenance", "load_status", "mark_outdated",
           "record_results", "render_index", "write_index", "write_page", "write_status"]

#: The run status behind the index (in the reports folder).
STATUS_FILE = ".status.json"



#: One line per kind of report for the index: what it is for, for its readers.
PURPOSES = {
    "data_quality": "For the research team: interviews per site and role, missing answers, "
                    "the items and scales as prepared.",
    "cross_site": "For the steering group: the study as a whole, sectors and roles compared.",
    "framework": "For the research team: the coded Part 2 interviews by theme (framework "
                 "matrix), themes by site, agreement between coders.",
    "workbook": "For the analysts charting the framework matrix in Excel (Summary columns).",
    "site": "For the site's feedback workshop: this site against all other sites, its "
            "priorities, quotes; the PDF pack is the printed version.",
}

def data_fingerprint(provenance: dict) -> str:
    """SHA-256 over the inputs' hashes and the prepared data's digest: reports made from
    other data (other raw files, withdrawals, redactions, a re-import) get another value."""
    import hashlib

    text = json.dumps([provenance.get("inputs", []), provenance.get("data_digest", "")],
                      sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_provenance(data_dir: Path) -> dict:
    """What the reports of ``data_dir`` are made from: ``dataset_name``, ``synthetic``,
    ``inputs`` (raw files and their SHA-256, the QDA export too) and ``data_digest``.

    The digest covers the prepared files themselves: withdrawals, redactions and pseudonyms
    change them without changing the raw ones. It is used only to tell outdated reports,
    never shown (a hash of a withdrawal list could be guessed back).

    Raises
    ------
    ProcessedDataError
        When the prepared data's metadata (``part1_meta.json``, run ``peerlib prepare``) or
        the import's (``coded_segments_meta.json``, run ``peerlib import-codes ...``) is
        damaged: the message names the file and the command.
    FileNotFoundError
        When ``part1_meta.json`` is missing (run ``peerlib prepare``).
    """
    from ..part1.prepare import load_meta
    from ..part2.segments import load_import_meta

    data_dir = Path(data_dir)
    meta = load_meta(data_dir)
    inputs = list(meta["inputs"])
    qda_meta = load_import_meta(data_dir)  # Part 2: the QDA export imported
    if qda_meta and qda_meta.get("source"):
        inputs.append(qda_meta["source"])
    return {"dataset_name": meta["dataset"]["name"],
            "synthetic": bool(meta["dataset"]["synthetic"]), "inputs": inputs,
            "data_digest": _digest_files(data_dir / name for name in (
                "part1_long.parquet", "coded_segments.parquet", "codebook.yaml"))}


def _digest_files(paths) -> str:
    """SHA-256 over the bytes of the files that exist among ``paths`` (in order)."""
    import hashlib

    digest = hashlib.sha256()
    for path in paths:
        if Path(path).exists():
            digest.update(Path(path).name.encode("utf-8"))
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def load_status(out_dir: Path) -> dict:
    """The run status of a reports folder: ``{"batch": {...}, "reports": {rel: entry}}``.

    ``batch`` holds the provenance of the last batch (data set, run date, data fingerprint);
    each entry of ``reports`` (keyed by the report's path in the folder) holds ``status``
    (ok | failed), ``last_good`` (run date of the published file), ``data`` (fingerprint of
    the data it was made from), ``key`` (what it was built from, see
    :func:`peerlib.batch.plan.job_keys`), ``run`` (the batch that published it),
    ``reused`` and, after a failure, ``error``, ``cell`` and ``failed_run``. An unreadable
    or missing file gives an empty status (every report is then built again).
    """
    try:
        status = json.loads((out_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"batch": {}, "reports": {}}
    if not isinstance(status, dict):
        return {"batch": {}, "reports": {}}
    if "reports" not in status:  # written by an earlier peerlib: one flat mapping
        return {"batch": {}, "reports": {k: v for k, v in status.items()
                                         if isinstance(v, dict)}}
    return status


def record_results(status: dict, job_list: list[Job], results: list[JobResult], *,
                   provenance: dict, keys: dict[str, str] | None = None,
                   run_id: str = "") -> None:
    """Update ``status`` (see :func:`load_status`) in place with the results of a batch.

    A report reused from an earlier run keeps its run date and is recorded as made from
    the current data (its key, which covers everything it reads, was unchanged).
    """
    keys = keys or {}
    fingerprint = data_fingerprint(provenance)
    reports = status.setdefault("reports", {})
    status["batch"] = {k: provenance[k] for k in ("dataset_name", "synthetic", "run_date",
                                                  "version", "git_commit") if k in provenance}
    status["batch"]["data"] = fingerprint
    by_name = {r.name: r for r in results}
    for job in job_list:
        res = by_name[job.name]
        entry = reports.get(job.html, {})
        if res.ok and getattr(res, "reused", False):
            entry = dict(entry, data=fingerprint, reused=True)
        elif res.ok:
            entry = {"status": "ok", "last_good": provenance["run_date"], "data": fingerprint,
                     "key": keys.get(job.name), "run": run_id, "reused": False}
        else:
            entry = {"status": "failed", "last_good": entry.get("last_good"),
                     "data": entry.get("data"), "banner": entry.get("banner", False),
                     "run": entry.get("run"),
                     "error": res.error.splitlines()[0] if res.error else "",
                     "cell": res.cell, "failed_run": provenance["run_date"]}
        if job.template.endswith(TEMPLATES["site_short"]):  # the index says why it is short
            entry["note"] = (f"short report: fewer than "
                             f"{job.parameters.get('min_group_size')} participants")
        else:
            entry.pop("note", None)
        reports[job.html] = entry


def render_index(out_dir: Path, status: dict, *, register, provenance: dict,
                 will_exist: set[str] | None = None) -> tuple[str, dict[str, str | None]]:
    """The index page for ``status``, and the out-of-date banners to put into (message) or
    take out of (None) published reports.

    Parameters
    ----------
    out_dir : Path
        The reports folder.
    status : dict
        See :func:`load_status`; the ``banner`` flags of its entries are updated.
    register : pandas.DataFrame
        The site register (``site_id``, ``site_name``).
    provenance : dict
        ``dataset_name``, ``synthetic``, ``run_date``, ``version``, ``git_commit`` and what
        :func:`data_fingerprint` reads (the current data).
    will_exist : set of str, optional
        Reports (paths in ``out_dir``) that publishing is about to put in place.

    Returns
    -------
    (str, dict)
        The HTML page and ``{path: message or None}``.
    """
    fingerprint = data_fingerprint(provenance)
    reports = status.setdefault("reports", {})
    will_exist = will_exist or set()
    banners: dict[str, str | None] = {}
    e = html.escape
    rows = []

    def row(label: str, rel: str, purpose: str) -> str:
        entry = reports.get(rel, {})
        exists = rel in will_exist or (out_dir / rel).exists()
        link = f'<a href="{e(rel)}">{e(label)}</a>' if exists else e(label)
        if entry.get("status") == "ok" and entry.get("data") == fingerprint:
            made = e(entry.get("last_good") or "")
            state = (f"up to date (made {made}; reused: nothing it is made from changed)"
                     if entry.get("reused") else f"up to date ({made})")
            cls = "ok"
            if exists and entry.pop("banner", False):  # only a file once marked is read
                banners[rel] = None
        elif entry.get("status") == "ok" and exists:
            state = (f"OUTDATED: made on {e(entry.get('last_good') or 'an earlier run')} "
                     "from earlier data; run peerlib reports again to update it")
            cls = "stale"
            entry["banner"] = True
            banners[rel] = (f"This report is out of date: it was made on "
                            f"{entry.get('last_good') or 'an earlier run'} from earlier data.")
        elif exists:
            state = (f"STALE: the latest run failed ({e(entry.get('error') or '')}); showing "
                     f"the report of {e(entry.get('last_good') or 'an earlier run')}")
            cls = "stale"
            entry["banner"] = True
            banners[rel] = (f"This report is out of date: the run of "
                            f"{entry.get('failed_run') or 'a later date'} failed, so it still "
                            f"shows the results of {entry.get('last_good') or 'an earlier run'}.")
        elif entry:
            state = f"FAILED: {e(entry.get('error') or '')}; no report yet"
            cls = "failed"
        else:
            state, cls = "not run yet", "failed"
        if entry.get("note"):
            state += f" ({e(entry['note'])})"
        return (f'<tr class="{cls}"><td>{link}</td><td>{e(purpose)}</td>'
                f'<td>{state}</td></tr>')

    rows.append(row("Data quality report", "data_quality.html", PURPOSES["data_quality"]))
    rows.append(row("Cross-site report", "cross_site.html", PURPOSES["cross_site"]))
    if "framework_matrix.html" in reports:
        rows.append(row("Framework matrix (Part 2)", "framework_matrix.html",
                        PURPOSES["framework"]))
        if FRAMEWORK_XLSX in will_exist or (out_dir / FRAMEWORK_XLSX).exists():
            rows.append(f'<tr class="ok"><td><a href="{FRAMEWORK_XLSX}">Framework matrix '
                        'workbook (Excel, one sheet per theme)</a></td><td>'
                        f'{e(PURPOSES["workbook"])}</td><td>written with the framework '
                        'matrix report</td></tr>')
    for rec in register.itertuples(index=False):
        line = row(f"{rec.site_id}: {rec.site_name}", f"sites/{rec.site_id}.html",
                   PURPOSES["site"])
        pack = f"sites/{rec.site_id}.pdf"  # the site's printed feedback pack, when it has one
        if pack in will_exist or (out_dir / pack).exists():
            line = line.replace("</td><td>", f' &middot; <a href="{e(pack)}">feedback pack '
                                '(PDF, A4)</a></td><td>', 1)
        rows.append(line)
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
caption {{ text-align: left; font-weight: 600; padding: 4px 0; }}
footer {{ margin-top: 24px; font-size: 12px; color: #555; }}
</style></head>
<body>
<header>{banner}
<h1>Peer worker case study: reports</h1></header>
<main>
<p>Data set: <strong>{e(provenance['dataset_name'])}</strong>. Run date: {e(provenance['run_date'])}.</p>
<table><caption>Every report of this batch, what state it is in, and its date</caption>
<thead><tr><th scope="col">Report</th><th scope="col">What it is for</th><th scope="col">Status</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<p>Figures for slides (PNG and SVG) are in the <a href="figures/">figures</a> folder; executed
notebooks for analysts in <a href="notebooks/">notebooks</a>; what the disclosure control
hid, per report and table, in <a href="disclosure_audit.csv">disclosure_audit.csv</a>.</p>
</main>
<footer>peerlib {e(provenance['version'])}, git commit {e(provenance['git_commit'])}.</footer>
</body></html>
"""
    return page, banners


def write_index(out_dir: Path, job_list: list[Job], results: list[JobResult], *, register,
                provenance: dict) -> Path:
    """Record ``results`` in the run status and write ``reports/index.html``: every report
    with its status, self-contained, and out-of-date banners inside the reports.

    A report whose latest run failed but which has an earlier good HTML file is listed as
    stale (with the date of that file's run); one with no file is listed as failed; one made
    from other data than the current is listed as outdated. Status persists in
    ``reports/.status.json`` across partial runs (``--sites``).

    Returns
    -------
    pathlib.Path
        The index file.
    """
    status = load_status(out_dir)
    record_results(status, job_list, results, provenance=provenance)
    page, banners = render_index(out_dir, status, register=register, provenance=provenance)
    for rel, message in banners.items():
        mark_report(out_dir / rel, message)
    write_status(out_dir, status)
    return write_page(out_dir, page)


def write_status(out_dir: Path, status: dict) -> Path:
    """Write ``reports/.status.json`` atomically."""
    return atomic_write_text(out_dir / STATUS_FILE,
                             json.dumps(status, indent=2, sort_keys=True))


def write_page(out_dir: Path, page: str) -> Path:
    """Write ``reports/index.html`` atomically."""
    return atomic_write_text(out_dir / "index.html", page)


def mark_outdated(out_dir: str | Path, data_dir: str | Path) -> list[str]:
    """Mark the published reports made from other data than ``data_dir`` holds now as
    outdated, in the index and inside each report, at once (``peerlib prepare`` and
    ``peerlib import-codes`` call this after changing the prepared data), not only after
    the next batch. Completes an interrupted publishing first.

    Returns
    -------
    list of str
        The reports (paths in ``out_dir``) now marked outdated; empty when the folder holds
        no batch.
    """
    from ..part1.prepare import load_sites
    from .publish import recover

    out_dir, data_dir = Path(out_dir), Path(data_dir)
    if not (out_dir / STATUS_FILE).exists():
        return []
    recover(out_dir)
    status = load_status(out_dir)
    if not status.get("reports"):
        return []
    batch = status.get("batch", {})
    provenance = dict(data_provenance(data_dir),
                      run_date=batch.get("run_date", "an earlier run"),
                      version=batch.get("version", ""), git_commit=batch.get("git_commit", ""))
    page, banners = render_index(out_dir, status, register=load_sites(data_dir),
                                 provenance=provenance)
    for rel, message in banners.items():
        mark_report(out_dir / rel, message)
    write_status(out_dir, status)
    write_page(out_dir, page)
    return sorted(rel for rel, message in banners.items() if message)
