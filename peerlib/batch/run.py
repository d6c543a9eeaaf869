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
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import __version__
from ..disclosure import DEFAULT_MIN_GROUP_SIZE, check_min_group_size
from ..errors import ParameterError, ReportError
from ..paths import project_paths
from ..part1.prepare import load_meta, load_prepared, load_sites
from ..part2.segments import load_coded_segments
from ..privacy import check_processed_key
from .export import export_html
from .index import _digest_files, write_index
from .plan import _EXPECTED_ORDER, FRAMEWORK_XLSX, Job, JobResult, plan_jobs
from .publish import _publish, _remove_orphan_staging

__all__ = ["BatchResult", "run_reports"]


@dataclass
class BatchResult:
    """All job results of one batch, the reports folder and the index written."""

    out: Path
    results: list[JobResult]
    index: Path

    @property
    def failures(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]


def _git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "not a git checkout"


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
    if "pack_path" in params:  # and a site's PDF feedback pack, beside its HTML report
        params["pack_path"] = str((stage_dir / job.html).with_suffix(".pdf"))
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
    check_processed_key(data_dir, paths.key_file)  # one key for Part 1 and Part 2
    if (data_dir / "coded_segments.parquet").exists():  # damaged: say so once, not per report
        load_coded_segments(data_dir)
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
