"""The batch's worker side: what runs in a worker process (local pool or Dask) for each
report, and the worker's set-up.

A worker keeps one warm kernel (:mod:`peerlib.batch.kernel`), runs each report's notebook
in it through papermill and exports the page; it never computes anything from the data
itself. This module therefore imports no pandas or pandera (nor does anything it
imports at the top: see ``peerlib/__init__.py``); those live in the kernel. A spawned worker
imports only this module to run its first task. Measured, four alternating runs of a
worker's imports and its export set-up in fresh processes: 1.64-2.18 s of CPU with
:mod:`peerlib.batch.run`, 1.12-1.41 s with this module (0.4-0.8 s less per worker).
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing.util
import os
import threading
import time
from pathlib import Path

from .export import export_html
from .plan import FRAMEWORK_XLSX, Job, JobResult

#: The batch's disclosure mask, written once into the staging folder for the notebooks.
MASK_FILE = "disclosure_mask.parquet"

__all__ = ["MASK_FILE"]


def _shown_path(value: object, root: str) -> object:
    """A parameter for the report footer: a path inside the project shown relative to it
    (no analyst's home folder in a shared report)."""
    if isinstance(value, str) and os.path.isabs(value):
        try:
            return Path(value).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            return Path(value).name
    return value


def _shown_parameters(nb, params: dict, root: str, *, stage: Path | None = None,
                      template: str | None = None):
    """The executed notebook as published: its parameters as a reader of
    ``reports/notebooks`` can use them, in the cell of injected parameters and in
    papermill's metadata (``metadata.papermill``: parameters, input and output paths).

    A path in the staging folder (``stage``) is shown where it is published (the reports
    folder), then as :func:`_shown_path` shows it: relative to the project, never an
    analyst's home folder. The batch's disclosure mask, a staging file that is gone once
    the batch has published, is shown as "" (the notebook run again by hand computes the
    mask itself; helper-29 found the dead path). The input path is the template's
    (``template``), not the template notebook itself, which papermill would otherwise copy
    whole into every executed notebook. Changes ``nb`` in place; returns it.
    """
    def shown(name, value):
        if name == "disclosure_mask":
            return ""
        if stage is not None and isinstance(value, str) and os.path.isabs(value):
            try:
                value = str(stage.parent / Path(value).relative_to(stage))
            except ValueError:
                pass
        return _shown_path(value, root)

    values = {name: shown(name, value) for name, value in params.items()}
    for cell in nb.cells:
        if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        for name, value in params.items():
            if isinstance(value, str) and values[name] != value:
                cell.source = cell.source.replace(json.dumps(value), json.dumps(values[name]))
                cell.source = cell.source.replace(repr(value), repr(values[name]))
    meta = nb.get("metadata", {}).get("papermill")
    if meta is not None:
        meta["parameters"] = values
        meta["input_path"] = None if template is None else _shown_path(template, root)
        meta["output_path"] = None
    return nb


#: The worker's warm kernel and parsed templates (per worker thread: a Dask worker may run
#: several threads, each with its own kernel).
_LOCAL = threading.local()


def _worker_state() -> dict:
    if not hasattr(_LOCAL, "state"):
        _LOCAL.state = {}
    return _LOCAL.state


def _worker_kernel(root: str, log: Path):
    """This worker's kernel (see :mod:`peerlib.batch.kernel`), created on first use."""
    from .kernel import WarmKernel, worker_environment

    state = _worker_state()
    kernel = state.get("kernel")
    if state.get("batch") != str(log.parent):  # a new batch (a Dask worker serves many):
        state["batch"] = str(log.parent)       # a new kernel, so that it imports the code
        state.pop("templates", None)           # of now
        if kernel is not None:
            kernel.shutdown()
            kernel = None
    if kernel is None or kernel.cwd != root:
        if kernel is not None:
            kernel.shutdown()
        worker_environment(root)
        log.parent.mkdir(parents=True, exist_ok=True)
        kernel = state["kernel"] = WarmKernel(root, log=str(log))
        # pool workers leave through os._exit: atexit would not run, this does
        multiprocessing.util.Finalize(kernel, kernel.shutdown, exitpriority=10)
    return kernel


def _template(path: str):
    """A template notebook, parsed once per worker (re-read when the file changes)."""
    stamp = os.stat(path).st_mtime_ns
    templates = _worker_state().setdefault("templates", {})
    cached = templates.get(path)
    if cached is None or cached[0] != stamp:
        import nbformat  # workers only: the batch's own process need not pay its import

        cached = templates[path] = (stamp, nbformat.read(path, as_version=4))
    return cached[1]


def _stage_kernel(stage: Path, root: str):
    """Worker: this worker's kernel for a batch staged in ``stage``, and the log file its
    chatter goes to (papermill's warnings and the kernel's output, not the user's terminal,
    where the progress bar is)."""
    from .kernel import worker_environment

    # first: importing nbformat imports jsonschema, which would import rfc3987_syntax
    # (about 0.9 s of CPU per worker) unless the worker's environment keeps it out
    worker_environment(root)
    # the kernels this worker starts give freed Arrow memory back (the system allocator):
    # Arrow's default, mimalloc, keeps it, about 45 MB a kernel at 200 sites
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    log = stage / "logs" / f"worker-{os.getpid()}.log"
    return _worker_kernel(root, log), log


@contextlib.contextmanager
def _stderr_to(log: Path):
    """Send this process's stderr (file descriptor 2, which a kernel started meanwhile
    inherits) to ``log`` for the duration."""
    saved_fd = os.dup(2)
    with open(log, "ab") as log_fh:
        os.dup2(log_fh.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


def _warm_worker(stage: str, root: str) -> None:
    """Worker: start this worker's kernel and pay its first costs (imports in the worker and
    the kernel, the HTML exporter, plotly.js packed for the pages) while the batch's own
    process still reads the data and computes the disclosure mask (a ``--force`` run,
    where every report will run). A failure here is left to the first report to meet."""
    kernel, log = _stage_kernel(Path(stage), root)
    with _stderr_to(log):
        try:
            kernel.reset()
        except Exception:  # noqa: BLE001 - the report's own run starts a kernel again
            kernel.shutdown()
            return
    import nbformat  # noqa: F401 - imported now, not by the first report
    import papermill  # noqa: F401

    from ..reporting.html import prepare_export

    prepare_export()


def _run_job(job: Job, stage: str, root: str, timeout: int, provenance: dict) -> JobResult:
    """Worker: execute one notebook in the worker's warm kernel (papermill) and export it.

    Runs in a worker process (local pool or Dask). Writes the executed notebook and the HTML
    page into ``stage`` (a failed run: only the partial notebook, failing cell marked),
    each file atomically.
    """
    stage_dir = Path(stage)
    kernel, log = _stage_kernel(stage_dir, root)
    import nbformat
    import papermill as pm

    from .._files import atomic_write_text

    start = time.monotonic()
    nb_out = stage_dir / job.notebook
    nb_out.parent.mkdir(parents=True, exist_ok=True)
    params = dict(job.parameters)
    if "figures_dir" in params:  # figures are staged too and published with the report
        params["figures_dir"] = str(stage_dir / "figures")
    if "excel_path" in params:  # so is the framework workbook
        params["excel_path"] = str(stage_dir / FRAMEWORK_XLSX)
    if "disclosure_mask" in params:  # the batch's one disclosure mask (never published)
        params["disclosure_mask"] = str(stage_dir / MASK_FILE)
    if "pack_path" in params:  # and a site's PDF feedback pack, beside its HTML report
        params["pack_path"] = str((stage_dir / job.html).with_suffix(".pdf"))
    failure = None
    with _stderr_to(log):
        try:
            nb = kernel.execute(_template(job.template), params, timeout=timeout)
        except pm.PapermillExecutionError as err:
            failure = JobResult(job.name, False, 0.0, f"{err.ename}: {err.evalue}",
                                err.exec_count)
        except Exception as err:  # a timeout, a dead kernel...: record it, keep going
            failure = JobResult(job.name, False, 0.0,
                                f"{type(err).__name__}: {err}".strip()[:2000])
    if failure is not None:
        partial = kernel.notebook
        if partial is not None:  # kept for debugging, failing cell marked
            atomic_write_text(nb_out, nbformat.writes(_shown_parameters(
                partial, params, root, stage=stage_dir, template=job.template)))
        failure.seconds = time.monotonic() - start
        return failure
    atomic_write_text(nb_out, nbformat.writes(_shown_parameters(
        nb, params, root, stage=stage_dir, template=job.template)))
    info = dict(provenance, parameters=sorted((k, str(_shown_path(v, root)))
                                              for k, v in job.parameters.items()))
    html_out = stage_dir / job.html
    html_out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(html_out, export_html(nb, provenance=info, title=job.title))
    return JobResult(job.name, True, time.monotonic() - start)


def _run_jobs(jobs: list[Job], stage: str, root: str, timeout: int,
              provenance: dict) -> list[JobResult]:
    """Worker: :func:`_run_job` for each job, in turn, in this worker's kernel (a group of
    :func:`peerlib.batch.plan.run_groups`)."""
    return [_run_job(job, stage, root, timeout, provenance) for job in jobs]


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
    kernel = getattr(_LOCAL, "state", {}).get("kernel")
    if kernel is not None:  # its connection file and socket files
        kernel.remove_connection_folder()
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
