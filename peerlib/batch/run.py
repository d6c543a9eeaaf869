"""The report batch: papermill runs the notebooks, nbconvert exports HTML, an index links them.

``run_reports`` runs ``00_prepare_data`` once, ``10_site_report`` once per site of the
register and ``20_cross_site`` once, in parallel worker processes (papermill's Python API),
and exports each executed notebook to self-contained offline HTML without code. Every output
is first written to a staging folder inside ``reports/`` and moved into place only when its
own run succeeded: a failed site keeps its last good report, marked stale in the index, its
partial executed notebook is kept under ``reports/notebooks/failed/`` for debugging, the
others finish, and the batch ends with :class:`~peerlib.errors.ReportError`.
"""
from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import html
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from .. import __version__
from ..disclosure import DEFAULT_MIN_GROUP_SIZE, check_min_group_size
from ..errors import ParameterError, ReportError
from ..paths import project_paths
from ..part1.prepare import load_meta, load_prepared, load_sites

__all__ = [
    "TEMPLATES",
    "Job",
    "JobResult",
    "BatchResult",
    "check_template",
    "plain_parameters",
    "export_html",
    "plan_jobs",
    "run_reports",
    "write_index",
    "data_fingerprint",
    "mark_report",
]

#: Report templates (in ``notebooks/``) by kind.
TEMPLATES = {
    "data_quality": "00_prepare_data.ipynb",
    "site": "10_site_report.ipynb",
    "cross_site": "20_cross_site.ipynb",
    "framework": "30_framework_matrix.ipynb",
}
_TEMPLATE_DIR = Path(__file__).parent.parent / "reporting" / "templates"
_STATUS_FILE = ".status.json"
#: Submission order by kind (slowest first): cross-site and framework notebooks take about
#: twice as long as a site report.
_EXPECTED_ORDER = {"cross_site": 0, "framework": 1, "data_quality": 2, "site": 3}
#: The framework matrix workbook, written beside its HTML report.
FRAMEWORK_XLSX = "framework_matrix.xlsx"


@dataclass(frozen=True)
class Job:
    """One notebook run: its name (``S01``, ``cross_site``...), template and outputs.

    ``html`` and ``notebook`` are paths relative to the reports folder.
    """

    name: str
    kind: str
    title: str
    template: str
    parameters: dict
    html: str
    notebook: str


@dataclass
class JobResult:
    """How one job ended: ``ok``; on failure the error and the failing cell (1-based
    execution count when papermill knows it)."""

    name: str
    ok: bool
    seconds: float
    error: str = ""
    cell: int | None = None
    outputs: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    """All job results of one batch, the reports folder and the index written."""

    out: Path
    results: list[JobResult]
    index: Path

    @property
    def failures(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]


def check_template(path: str | Path) -> None:
    """Refuse a template that has not exactly one cell tagged ``parameters``.

    Without that tag papermill injects parameters at the top and the notebook's own
    defaults then overwrite them, so every site report would show the default site.

    Raises
    ------
    ReportError
        When the notebook is missing, unreadable, or has zero or several ``parameters``
        cells; the message names the file and what to do.
    """
    path = Path(path)
    if not path.exists():
        raise ReportError(f"Report template not found: {path}")
    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {})
              .get("tags", [])]
    if len(tagged) != 1:
        raise ReportError(
            f"{path.name} has {len(tagged)} cells tagged 'parameters'; exactly one is needed "
            "(in JupyterLab: select the cell, open the property inspector and add the tag "
            "'parameters').")


def plain_parameters(params: dict) -> dict:
    """Parameters as plain JSON types (numpy scalars through papermill arrive as strings:
    ``np.bool_(False)`` would become the truthy ``"False"``).

    Raises
    ------
    ParameterError
        For a value that is not a str, int, float, bool, None or a list/dict of those.
    """
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise ParameterError(f"Parameter value {value!r} ({type(value).__name__}) is not a "
                             "plain str/int/float/bool")
    return {str(k): plain(v) for k, v in params.items()}


def _git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "not a git checkout"


def export_html(nb, *, provenance: dict, title: str) -> str:
    """Export an executed notebook to one self-contained, offline HTML page without code.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    provenance : dict
        ``dataset_name``, ``synthetic`` (bool: adds the synthetic-data banner), ``run_date``,
        ``version``, ``git_commit``, ``parameters`` (list of (name, value) pairs) and
        ``inputs`` (list of {file, sha256}).
    title : str
        The page title.

    Returns
    -------
    str
        The HTML. plotly.js is embedded once when the notebook shows a plotly chart; no
        script or stylesheet is loaded from the network.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="peerwork", extra_template_basedirs=[
        str(_TEMPLATE_DIR)], exclude_input=True, exclude_input_prompt=True,
        exclude_output_prompt=True)
    info = dict(provenance)
    text = json.dumps(nb.get("cells", []))
    if "Plotly.newPlot" in text:
        from plotly.offline import get_plotlyjs

        info["plotly_js"] = get_plotlyjs()
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    for i, cell in enumerate(nb.cells):  # papermill gives its injected cell a random id
        cell["id"] = f"cell-{i:02d}"
    body, _ = exporter.from_notebook_node(nb, resources={"peerwork": info})
    return body


def _shown_path(value: object, root: str) -> object:
    """A parameter for the report footer: a path inside the project shown relative to it
    (no analyst's home folder in a shared report)."""
    if isinstance(value, str) and os.path.isabs(value):
        try:
            return Path(value).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            return Path(value).name
    return value


def _run_job(job: Job, stage: str, root: str, timeout: int, provenance: dict) -> JobResult:
    """Worker: execute one notebook with papermill and export it (runs in a subprocess)."""
    import papermill as pm

    start = time.monotonic()
    stage_dir = Path(stage)
    nb_out = stage_dir / job.notebook
    nb_out.parent.mkdir(parents=True, exist_ok=True)
    os.environ["PEERLIB_PROJECT_DIR"] = root
    os.environ.setdefault("MPLBACKEND", "Agg")
    params = dict(job.parameters)
    if "figures_dir" in params:  # figures are staged too and published with the report
        params["figures_dir"] = str(stage_dir / "figures")
    if "excel_path" in params:  # so is the framework workbook
        params["excel_path"] = str(stage_dir / FRAMEWORK_XLSX)
    # The kernel inherits this process's stderr: keep its chatter in a log file, not on the
    # user's terminal (where the progress bar is).
    log = stage_dir / "logs" / f"{job.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    saved_fd = os.dup(2)
    with open(log, "wb") as log_fh:
        os.dup2(log_fh.fileno(), 2)
        try:
            pm.execute_notebook(job.template, str(nb_out), parameters=params,
                                kernel_name="python3", cwd=root, progress_bar=False,
                                execution_timeout=timeout, start_timeout=120, log_output=False,
                                # saved after every cell, so that a notebook stopped by a
                                # timeout is still kept, partial, for debugging
                                request_save_on_cell_execute=True)
        except pm.PapermillExecutionError as err:
            return JobResult(job.name, False, time.monotonic() - start,
                             f"{err.ename}: {err.evalue}", err.exec_count)
        except Exception as err:  # a timeout, a dead kernel...: record it, keep going
            return JobResult(job.name, False, time.monotonic() - start,
                             f"{type(err).__name__}: {err}".strip()[:2000])
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
    nb = nbformat.read(nb_out, as_version=4)
    info = dict(provenance, parameters=sorted((k, str(_shown_path(v, root)))
                                              for k, v in job.parameters.items()))
    html_out = stage_dir / job.html
    html_out.parent.mkdir(parents=True, exist_ok=True)
    html_out.write_text(export_html(nb, provenance=info, title=job.title), encoding="utf-8")
    return JobResult(job.name, True, time.monotonic() - start)


def plan_jobs(site_ids: list[str], *, data_dir: str, min_group_size: int,
              notebooks: Path, site_titles: dict[str, str] | None = None,
              include_data_quality: bool = True, include_cross_site: bool = True,
              include_framework: bool = True) -> list[Job]:
    """The jobs of a batch: data quality, one per site, cross-site, framework matrix (in
    that order; the framework matrix only when ``peerlib import-codes`` has written
    ``coded_segments.parquet`` into ``data_dir``).

    Raises
    ------
    ReportError
        When a template lacks exactly one ``parameters`` cell (checked before anything runs).
    """
    site_titles = site_titles or {}
    templates = {kind: notebooks / name for kind, name in TEMPLATES.items()}
    for path in templates.values():
        check_template(path)
    jobs = []
    if include_data_quality:
        jobs.append(Job("data_quality", "data_quality", "Data quality report",
                        str(templates["data_quality"]),
                        plain_parameters({"data_dir": data_dir,
                                          "min_group_size": min_group_size}),
                        "data_quality.html", "notebooks/00_prepare_data.ipynb"))
    for site in site_ids:
        jobs.append(Job(site, "site", f"Site report {site_titles.get(site, site)}",
                        str(templates["site"]),
                        plain_parameters({"site_id": str(site), "data_dir": data_dir,
                                          "min_group_size": min_group_size}),
                        f"sites/{site}.html", f"notebooks/sites/{site}.ipynb"))
    if include_cross_site:
        jobs.append(Job("cross_site", "cross_site", "Cross-site report",
                        str(templates["cross_site"]),
                        plain_parameters({"data_dir": data_dir, "min_group_size": min_group_size,
                                          "figures_dir": "reports/figures"}),
                        "cross_site.html", "notebooks/20_cross_site.ipynb"))
    if include_framework and (Path(data_dir) / "coded_segments.parquet").exists():
        jobs.append(Job("framework_matrix", "framework", "Framework matrix (Part 2)",
                        str(templates["framework"]),
                        plain_parameters({"data_dir": data_dir, "min_group_size": min_group_size,
                                          "excel_path": f"reports/{FRAMEWORK_XLSX}"}),
                        "framework_matrix.html", "notebooks/30_framework_matrix.ipynb"))
    return jobs


def run_reports(data: str | Path | None = None, out: str | Path | None = None, *,
                jobs: int | None = None, sites: list[str] | None = None,
                min_group_size: int = DEFAULT_MIN_GROUP_SIZE, timeout: int = 600,
                notebooks: str | Path | None = None, progress: bool = True) -> BatchResult:
    """Run every report and write ``reports/`` (see the module docstring).

    Parameters
    ----------
    data : str or Path, optional
        Prepared data folder; default ``data/processed``.
    out : str or Path, optional
        Reports folder; default ``reports``.
    jobs : int, optional
        Notebooks run at once; default the number of CPU cores.
    sites : list of str, optional
        Site ids to report on; default every site of the register.
    min_group_size : int
        Disclosure threshold ``k`` passed to every notebook.
    timeout : int
        Seconds any one cell may run before the notebook fails.
    notebooks : str or Path, optional
        Folder of the templates; default ``notebooks/`` of the project.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    BatchResult
        Job results (all ``ok``), the reports folder and the index path.

    Raises
    ------
    ParameterError
        Unknown site ids, ``jobs`` or ``min_group_size`` below 1.
    ReportError
        When any report failed (after all others finished and the index was written);
        ``failures`` lists them with the error and failing cell.
    FileNotFoundError
        When there is no prepared data.
    """
    paths = project_paths()
    data_dir = Path(data).resolve() if data else paths.processed
    out_dir = Path(out).resolve() if out else paths.reports
    nb_dir = Path(notebooks).resolve() if notebooks else paths.notebooks
    try:
        k = check_min_group_size(min_group_size)
    except ValueError as err:
        raise ParameterError(str(err)) from err
    n_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if n_jobs < 1:
        raise ParameterError(f"--jobs must be at least 1, got {n_jobs}")
    register = load_sites(data_dir)
    meta = load_meta(data_dir)
    load_prepared(data_dir)  # fail now (exit 2, "run peerlib prepare"), not in every notebook
    all_ids = list(register["site_id"].astype(str))
    site_ids = list(sites) if sites else all_ids
    unknown = [s for s in site_ids if s not in all_ids]
    if unknown:
        raise ParameterError(f"Unknown site(s) {', '.join(unknown)}; the register has "
                             f"{', '.join(all_ids)}")
    titles = dict(zip(all_ids, register["site_name"].astype(str)))
    job_list = plan_jobs(site_ids, data_dir=str(data_dir), min_group_size=k, notebooks=nb_dir,
                         site_titles=titles)

    run_date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    provenance = {"dataset_name": meta["dataset"]["name"],
                  "synthetic": bool(meta["dataset"]["synthetic"]),
                  "run_date": run_date, "version": __version__,
                  "git_commit": _git_commit(paths.root), "inputs": meta["inputs"]}
    qda_meta = data_dir / "coded_segments_meta.json"  # Part 2: the QDA export imported
    if qda_meta.exists():
        source = json.loads(qda_meta.read_text(encoding="utf-8")).get("source")
        if source:
            provenance["inputs"] = list(meta["inputs"]) + [source]

    # What the reports are made from, beyond the raw inputs: withdrawals, redactions and
    # pseudonyms change the prepared files without changing the raw ones. Used only to tell
    # outdated reports (not shown: a hash of a withdrawal list could be guessed back).
    provenance["data_digest"] = _digest_files(
        data_dir / name for name in ("part1_long.parquet", "coded_segments.parquet",
                                     "codebook.yaml"))
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_orphan_staging(out_dir)
    stage = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out_dir))
    results: list[JobResult] = []
    pool = cf.ProcessPoolExecutor(max_workers=min(n_jobs, len(job_list)),
                                  mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_worker_init, initargs=(os.getpid(),))
    restore = _terminate_as_interrupt()
    try:
        # Longest notebooks first, so that no core idles at the end waiting for them.
        longest_first = sorted(job_list, key=lambda j: _EXPECTED_ORDER.get(j.kind, 9))
        futures = {pool.submit(_run_job, job, str(stage), str(paths.root), timeout,
                               provenance): job for job in longest_first}
        bar = _progress(len(job_list), progress)
        for fut in cf.as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as err:  # the worker process itself died
                res = JobResult(job.name, False, 0.0, f"{type(err).__name__}: {err}")
            results.append(res)
            bar.set_postfix_str(f"{job.name} {'ok' if res.ok else 'FAILED'}")
            bar.update(1)
        bar.close()
        pool.shutdown(wait=True)
        _publish(job_list, results, stage, out_dir)
    except BaseException:
        # Ctrl-C, SIGTERM or a bug: stop the workers (each stops its kernel), publish nothing.
        _stop_pool(pool)
        raise
    finally:
        restore()
        shutil.rmtree(stage, ignore_errors=True)

    order = {j.name: i for i, j in enumerate(job_list)}
    results.sort(key=lambda r: order[r.name])
    index = write_index(out_dir, job_list, results, register=register, provenance=provenance)
    batch = BatchResult(out_dir, results, index)
    if batch.failures:
        lines = [f"{len(batch.failures)} of {len(results)} reports failed:"]
        for r in batch.failures:
            cell = f" (cell {r.cell})" if r.cell else ""
            lines.append(f"  - {r.name}{cell}: {r.error.splitlines()[0] if r.error else ''}")
        lines.append(f"Partial notebooks: {out_dir / 'notebooks' / 'failed'}; previous "
                     "reports of failed sites were kept and are marked stale in the index.")
        raise ReportError("\n".join(lines), failures=batch.failures)
    return batch


def _remove_orphan_staging(out_dir: Path) -> None:
    """Remove staging folders left by a batch that was killed outright (kill -9)."""
    import psutil

    for folder in out_dir.glob(".staging-*"):
        try:
            pid = int(folder.name.split("-")[1])
        except (IndexError, ValueError):
            pid = -1
        if pid > 0 and psutil.pid_exists(pid):
            continue  # a batch still running in this folder
        shutil.rmtree(folder, ignore_errors=True)


def _kill_children() -> None:
    """Kill this process's children (the notebook kernels it started)."""
    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=5)


def _on_worker_term(signum, frame):  # pragma: no cover - runs in a worker process
    _kill_children()
    os._exit(128 + signum)


def _watch_parent(parent_pid: int) -> None:  # pragma: no cover - runs in a worker process
    import signal

    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:  # the batch process is gone (even killed with -9)
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _worker_init(parent_pid: int) -> None:
    """Worker set-up: Ctrl-C is the parent's to handle; SIGTERM, or the parent's death,
    kills the worker's kernel before the worker exits, so no kernel is left running."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_worker_term)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Terminate the pool's workers (SIGTERM: each kills its kernel) and wait for them."""
    procs = list(getattr(pool, "_processes", {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _terminate_as_interrupt():
    """In the main thread, make SIGTERM behave like Ctrl-C; return a function restoring it."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="reports", unit="report", disable=not enabled)


def _publish(job_list: list[Job], results: list[JobResult], stage: Path, out_dir: Path) -> None:
    """Move each successful job's outputs into place; keep failed partial notebooks."""
    by_name = {r.name: r for r in results}
    for job in job_list:
        res = by_name.get(job.name)
        if res is None:
            continue
        if res.ok:
            for rel in (job.html, job.notebook):
                src, dst = stage / rel, out_dir / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                res.outputs.append(rel)
            if job.kind == "framework" and (stage / FRAMEWORK_XLSX).exists():
                os.replace(stage / FRAMEWORK_XLSX, out_dir / FRAMEWORK_XLSX)
                res.outputs.append(FRAMEWORK_XLSX)
            if job.kind == "cross_site" and (stage / "figures").is_dir():
                for fig in sorted((stage / "figures").iterdir()):
                    (out_dir / "figures").mkdir(exist_ok=True)
                    os.replace(fig, out_dir / "figures" / fig.name)
            stale = out_dir / "notebooks" / "failed" / Path(job.notebook).name
            stale.unlink(missing_ok=True)
        else:
            src = stage / job.notebook
            if src.exists():
                dst = out_dir / "notebooks" / "failed" / Path(job.notebook).name
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                res.outputs.append(str(dst.relative_to(out_dir)))


_MARK_START, _MARK_END = "<!-- peerwork-stale -->", "<!-- /peerwork-stale -->"


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


def mark_report(path: Path, message: str | None) -> None:
    """Put (or, with None, take away) an "out of date" banner inside a published report,
    for readers who open the file from an email or a shared drive without the index."""
    import re

    text = path.read_text(encoding="utf-8")
    clean = re.sub(re.escape(_MARK_START) + ".*?" + re.escape(_MARK_END), "", text, flags=re.S)
    if message is not None:
        banner = (f'{_MARK_START}<div class="peerwork-banner stale" role="alert" style="'
                  'background:#f8d7da;border:2px solid #a61b29;color:#4a0d13;padding:10px 16px;'
                  f'font:600 15px Arial,sans-serif">{html.escape(message)}</div>{_MARK_END}')
        clean = clean.replace("<main>", "<main>" + banner, 1)
    if clean != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(clean, encoding="utf-8")
        os.replace(tmp, path)


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
