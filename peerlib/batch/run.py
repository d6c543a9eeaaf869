"""The report batch: papermill runs the notebooks, nbconvert exports HTML, an index links them.

``run_reports`` runs ``00_prepare_data`` once, ``10_site_report`` once per site of the
register and ``20_cross_site`` once, in parallel worker processes (papermill's Python API),
and exports each executed notebook to self-contained offline HTML without code. Every output
is first written to a staging folder inside ``reports/`` and moved into place only when its
own run succeeded: a failed site keeps its last good report, marked stale in the index, its
partial executed notebook is kept under ``reports/notebooks/failed/`` for debugging, the
others finish, and the batch ends with :class:`~peerlib.errors.ReportError`.

A ``--force`` run, where every report will run, starts its worker processes and their
kernels (:func:`peerlib.batch.worker._warm_worker`) while this process still computes the
disclosure mask; any other run starts them once it knows which reports changed. What a
worker runs is in :mod:`peerlib.batch.worker`, which imports no pandas.
"""
from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path


from .. import __version__
from ..disclosure import get_policy, write_mask
from ..disclosure.audit import write_audit
from ..disclosure.releases import write_release
from ..errors import ParameterError, ReportError
from ..paths import project_paths
from ..part1.prepare import load_meta, load_prepared, load_sites, with_site_attributes
from ..part2.linkage import load_theme_items
from ..part2.segments import load_coded_segments
from ..privacy import check_processed_key
from .index import data_provenance, load_status, record_results, render_index
from .plan import FRAMEWORK_XLSX, Job, JobResult, job_keys, plan_jobs, run_groups
from .publish import plan_moves, publish, recover
from .worker import MASK_FILE, _run_jobs, _warm_worker, _worker_init

#: Per report and table, what the disclosure control hid and by which rule.
AUDIT_FILE = "disclosure_audit.csv"

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


def _one_blas_thread():
    """Numpy's BLAS (OpenBLAS) on one thread in this process while the block runs
    (``threadpoolctl``). The batch runs a report per core: the mask's and the audit's
    eigen-decompositions and products run beside busy workers, where OpenBLAS's threads
    wait for each other: a 408 x 408 ``numpy.linalg.eigh`` took 0.03 s on one thread and
    0.06 to 2.9 s on two on a busy 2-core machine (measured)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def run_reports(data: str | Path | None = None, out: str | Path | None = None, *,
                jobs: int | None = None, sites: list[str] | None = None,
                min_group_size: int | None = None, timeout: int = 600,
                notebooks: str | Path | None = None, progress: bool = True,
                force: bool = False, scheduler: str | None = None,
                disclosure: str | None = None,
                accept_policy_change: bool = False) -> BatchResult:
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
    min_group_size : int, optional
        Disclosure threshold ``k``; overrides the policy's (5 for ``default``, 8 for
        ``nhs``).
    disclosure : str, optional
        Disclosure policy (``default`` or ``nhs``; :mod:`peerlib.disclosure.policy`);
        default ``disclosure:`` of ``data/raw/dataset.yaml``, else ``default``. One mask
        for every report of the batch is computed before any report runs, and every
        report reads it; before anything is published the audit
        (:func:`peerlib.disclosure.audit.audit_reports`) checks all reports together, a
        report that fails it is not published, and ``reports/disclosure_audit.csv``
        records per report and table how many cells were hidden and by which rule.
    timeout : int
        Seconds any one cell may run before the notebook fails.
    notebooks : str or Path, optional
        Folder of the templates; default ``notebooks/`` of the project.
    progress : bool
        Show a progress bar on stderr.
    force : bool
        Build every report, also those whose inputs, template and code are unchanged
        (by default those are reused: see :func:`peerlib.batch.plan.job_keys`).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``) to send the report
        runs to instead of local worker processes; the project folder must be reachable
        at the same path from every Dask worker.
    accept_policy_change : bool
        Publish although reports of the same participants were published under another
        disclosure policy (:func:`peerlib.disclosure.releases.policy_conflicts`): the
        analyst says those reports have been withdrawn, and they are recorded as retired.
        Without it such a batch is refused before anything is built.

    Returns
    -------
    BatchResult
        Job results (all ``ok``), the reports folder and the index path.

    Raises
    ------
    ParameterError
        Unknown site ids, ``jobs`` or ``min_group_size`` below 1, no folder of report
        templates (or a template missing from it); a disclosure policy other than that of
        an earlier release of the same participants, without ``accept_policy_change``.
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
        policy = get_policy(disclosure or "default", k=min_group_size)
    except ValueError as err:
        raise ParameterError(str(err)) from err
    n_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if n_jobs < 1:
        raise ParameterError(f"--jobs must be at least 1, got {n_jobs}")
    register = load_sites(data_dir)
    check_processed_key(data_dir, paths.key_file)  # one key for Part 1 and Part 2
    if (data_dir / "coded_segments.parquet").exists():  # damaged: say so once, not per report
        load_coded_segments(data_dir)
        load_theme_items(data_dir)
    all_ids = list(register["site_id"].astype(str))
    site_ids = list(sites) if sites else all_ids
    unknown = [s for s in site_ids if s not in all_ids]
    if unknown:
        raise ParameterError(f"Unknown site(s) {', '.join(unknown)}; the register has "
                             f"{', '.join(all_ids)}")
    if not nb_dir.is_dir():  # a usage error, found before any work
        raise ParameterError(
            f"There is no folder of report templates at {nb_dir}. Run peerlib in the project "
            "folder (the one holding notebooks/), or give it with --project-dir, or name the "
            "folder of the templates with --notebooks.")
    titles = dict(zip(all_ids, register["site_name"].astype(str)))
    if disclosure is None:  # the data set's own policy, when dataset.yaml names one
        named = (load_meta(data_dir).get("dataset") or {}).get("disclosure")
        if named:
            try:
                policy = get_policy(named, k=min_group_size)
            except ValueError as err:
                raise ParameterError(f"dataset.yaml: {err}") from err
    # the mask, once for every report
    from ..reporting.tables import batch_mask_table, keep_no_leak_questions, short_sites

    # read once for the mask, the release check and the audit (with the register's site
    # attributes, so that both protect the cross-case groups of every one); fails now
    # (exit 2, "run peerlib prepare"), not in every notebook, and before anything is written
    prepared = with_site_attributes(load_prepared(data_dir), register)
    from ..disclosure.releases import release_people

    people = release_people(prepared)  # who this release is of: both checks use it
    history, retires = _check_policy(paths, data_dir, people, policy, accept_policy_change)
    out_dir.mkdir(parents=True, exist_ok=True)
    recover(out_dir)  # a batch killed while publishing is completed first; old stages go
    stage = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out_dir))
    restore = _terminate_as_interrupt()
    pool = closer = None
    try:
        if force and not scheduler:
            # every report will run: the workers start their kernels while this process
            # computes the mask and plans the jobs
            workers = min(n_jobs, len(site_ids) + 1)
            pool = _pool(workers, None)
            for _ in range(workers):
                pool.submit(_warm_worker, str(stage), str(paths.root))
        with _one_blas_thread():  # beside the workers: BLAS threads would only contend
            mask = batch_mask_table(data_dir, policy, all_ids, data=prepared,
                                    framework=(data_dir / "coded_segments.parquet").exists())
        short = short_sites(mask, policy)  # too few people: a short report that says so
        job_list = plan_jobs(site_ids, data_dir=str(data_dir), policy=policy,
                             notebooks=nb_dir, site_titles=titles, short_sites=short)

        now = dt.datetime.now(dt.timezone.utc)
        run_date = now.strftime("%Y-%m-%d %H:%M UTC")
        run_id = now.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        provenance = dict(data_provenance(data_dir), run_date=run_date, version=__version__,
                          git_commit=_git_commit(paths.root))
        status = load_status(out_dir)
        keys = job_keys(job_list, data_dir, shared=_mask_digest(mask))
        results: list[JobResult] = []
        to_run = []
        for job in job_list:
            if not force and _reusable(job, status, keys[job.name], out_dir):
                results.append(JobResult(job.name, True, 0.0, reused=True))
            else:
                to_run.append(job)
        write_mask(mask, stage / MASK_FILE)  # inside: a full disk leaves no staging folder
        if to_run:
            pool = pool or _pool(min(n_jobs, len(to_run)), scheduler)
            # Longest notebooks first, so that no core idles at the end waiting for them;
            # the framework and cross-site reports in turn on one worker (run_groups)
            futures = {pool.submit(_run_jobs, group, str(stage), str(paths.root), timeout,
                                   provenance): group for group in run_groups(to_run)}
            bar = _progress(len(job_list), progress)
            bar.update(len(job_list) - len(to_run))
            for fut in cf.as_completed(futures):
                group = futures[fut]
                try:
                    done = fut.result()
                except Exception as err:  # the worker process itself died
                    done = [JobResult(job.name, False, 0.0, f"{type(err).__name__}: {err}")
                            for job in group]
                for res in done:
                    results.append(res)
                    bar.set_postfix_str(f"{res.name} {'ok' if res.ok else 'FAILED'}")
                    bar.update(1)
            bar.close()
            # the workers stop their kernels and exit (about 0.8 s) while the audit runs;
            # joined before this function returns
            closer = threading.Thread(target=pool.shutdown, name="peerlib-pool-shutdown",
                                      daemon=True)
            closer.start()
        order = {j.name: i for i, j in enumerate(job_list)}
        results.sort(key=lambda r: order[r.name])
        if not to_run and (out_dir / AUDIT_FILE).is_file():
            # every report reused: made from the same data, mask, code and templates as
            # the published set that passed, so that set's audit stands (copied as it is)
            shutil.copyfile(out_dir / AUDIT_FILE, stage / AUDIT_FILE)
        else:
            write_audit(_audit_disclosure(job_list, results, stage, out_dir, data_dir, mask,
                                          policy, prepared), stage / AUDIT_FILE)
            keep_no_leak_questions()  # the next audit of the same data solves none again
        release = _check_release(people, history, data_dir, mask, policy)
        moves, removals = plan_moves(job_list, results, stage, out_dir)
        moves.append([AUDIT_FILE, AUDIT_FILE])  # published with the reports it describes
        record_results(status, job_list, results, provenance=provenance, keys=keys,
                       run_id=run_id)
        page, banners = render_index(out_dir, status, register=register,
                                     provenance=provenance,
                                     will_exist={dst for _, dst in moves})
        publish(out_dir, stage, moves=moves, removals=removals, banners=banners,
                status=status, page=page, run_id=run_id, run_date=run_date)
        people, shown = release
        write_release(_release_folders(paths, data_dir)[0], people, shown, run_id=run_id,
                      run_date=run_date,
                      policy=policy, reports_dir=_shown_folder(out_dir, paths.root),
                      retires=retires, key=_key_of(data_dir), history=history)
    except BaseException:
        # Ctrl-C, SIGTERM or a bug: stop the workers (each stops its kernel), publish nothing.
        if pool is not None and closer is None:
            _stop_pool(pool)
        raise
    finally:
        if closer is not None:
            closer.join()  # every worker and its kernel has exited
        restore()
        shutil.rmtree(stage, ignore_errors=True)

    batch = BatchResult(out_dir, results, out_dir / "index.html")
    if batch.failures:
        lines = [f"{len(batch.failures)} of {len(results)} reports failed:"]
        for r in batch.failures:
            cell = f" (cell {r.cell})" if r.cell else ""
            lines.append(f"  - {r.name}{cell}: {r.error.splitlines()[0] if r.error else ''}")
        lines.append(f"Partial notebooks: {out_dir / 'notebooks' / 'failed'}; previous "
                     "reports of failed sites were kept and are marked stale in the index.")
        raise ReportError("\n".join(lines), failures=batch.failures)
    return batch


def _shown_folder(folder: Path, root: Path) -> str:
    """A folder as the analyst knows it: relative to the project where it is inside."""
    try:
        return Path(folder).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(folder)


def _check_policy(paths, data_dir: Path, people, policy, accept: bool):
    """The project's release history (:func:`peerlib.disclosure.releases.read_releases`,
    with an earlier version's record in ``data_dir`` as its oldest), checked before any
    work: a batch under another disclosure policy than an earlier release of the same
    participants is refused (:class:`ParameterError`, exit 2) unless ``accept``, when it
    warns and returns those releases' run ids to retire. Returns (history, retires)."""
    import warnings

    from ..disclosure.releases import (policy_conflicts, policy_message, read_releases,
                                       release_path)
    from ..errors import DisclosureWarning

    folders = _release_folders(paths, data_dir)
    history = sorted((rel for i, folder in enumerate(folders) for rel in read_releases(
        folder, legacy=release_path(data_dir) if i == 0 else None)),
        key=lambda rel: (rel.run_id != "last", rel.run_id))  # an old "last.json" first
    conflicts = policy_conflicts(history, people, policy,
                                 key=_key_of(data_dir))
    if not conflicts:
        return history, []
    if not accept:
        raise ParameterError(policy_message(conflicts, policy))
    warnings.warn(policy_message(conflicts, policy, accepted=True), DisclosureWarning,
                  stacklevel=3)
    return history, [rel.run_id for rel in conflicts]


def _release_folders(paths, data_dir: Path) -> list[Path]:
    """Where the release history is kept: beside the prepared data (``data/releases`` for
    ``data/processed``), so that a batch run from another project folder over the same data
    reads it (helper-30: ``--project-dir`` elsewhere with ``--data`` of this project skipped
    both checks); then the running project's own, when it is another folder (read only)."""
    own = Path(data_dir).resolve().parent / "releases"
    project = paths.releases.resolve()
    return [own] if project == own else [own, project]


def _key_of(data_dir: Path) -> str:
    """The fingerprint of the pseudonym key the prepared data were made with ("" if not
    recorded)."""
    return str(load_meta(data_dir).get("key_fingerprint") or "")


def _check_release(people, history, data_dir: Path, mask, policy):
    """Compare this batch with every earlier release of the project (into any folder)
    (:func:`peerlib.disclosure.releases.release_risks`): warn
    (:class:`DisclosureWarning`) about groups shown in both that changed by fewer than k
    people, once per earlier release. Returns (people, shown) to record once published."""
    import warnings

    from ..disclosure.releases import key_change_message, release_risks, risk_message
    from ..errors import DisclosureWarning

    shown = set(mask.loc[~mask["hidden"].astype(bool)
                         & (mask["statistic"] != "themes"), "union"].astype(str))
    for before, risks in release_risks(history, people, shown, k=policy.k,
                                       key=_key_of(data_dir)):
        message = key_change_message(before) if risks.empty else risk_message(
            risks, k=policy.k, reports_dir=before.reports_dir or "an earlier folder",
            run_date=before.run_date)
        warnings.warn(message, DisclosureWarning, stacklevel=3)
    return people, shown


def _mask_digest(mask) -> str:
    """SHA-256 of the batch's mask table: a change in what any report must hide rebuilds
    every report (they are protected together)."""
    import hashlib

    import pandas as pd

    rows = pd.util.hash_pandas_object(mask.reset_index(drop=True), index=False)
    return hashlib.sha256(rows.to_numpy().tobytes()).hexdigest()


def _audit_disclosure(job_list, results, stage: Path, out_dir: Path, data_dir: Path,
                      mask, policy, prepared):
    """The publish-time disclosure audit of the batch's reports together.

    Every report that will be published (built in ``stage`` or reused from ``out_dir``)
    is read by :func:`peerlib.disclosure.audit.audit_reports`; a built report that fails
    is marked failed (so it is not published and the run exits non-zero naming it).

    Returns
    -------
    pandas.DataFrame
        The rows of ``disclosure_audit.csv`` (:func:`peerlib.disclosure.audit.audit_summary`:
        per report and table, cells shown and hidden, by rule, and the verdict; never a
        hidden value), for :func:`peerlib.disclosure.audit.write_audit`.
    """
    from ..disclosure.audit import audit_reports, audit_summary
    from ..reporting.tables import coded_participants

    names = {"site": "site:{}", "framework": "framework"}
    by_name = {r.name: r for r in results if r.ok}
    staged = {}
    for job in job_list:
        res = by_name.get(job.name)
        if res is None:
            continue
        path = (out_dir if res.reused else stage) / job.html
        if path.exists():
            staged[names.get(job.kind, job.kind).format(job.name)] = (job, path)
    with _one_blas_thread():  # the workers may still be stopping their kernels
        audit = audit_reports({name: path for name, (_, path) in staged.items()},
                              prepared, policy, mask=mask,
                              coded=coded_participants(data_dir),
                              # every table and chart of every report carries metadata:
                              # one without it cannot be checked, so its report is refused
                              require_metadata=True,
                              themes=_theme_groups(data_dir, prepared))
    for name, problems in audit.failures.items():
        job = staged[name][0] if name in staged else None
        for res in results:
            if job is not None and res.name == job.name:
                res.ok, res.reused = False, False
                res.error = "disclosure audit refused it: " + "; ".join(problems)
    return audit_summary(mask, audit)


def _theme_groups(data_dir: Path, prepared):
    """Theme -> the coded participants who spoke to it (for the audit's check of the
    Part 1 x Part 2 comparison), or None without coded transcripts."""
    from ..part2.linkage import theme_groups

    if not (Path(data_dir) / "coded_segments.parquet").exists():
        return None
    return theme_groups(load_coded_segments(data_dir),
                        prepared.drop_duplicates("participant_id"))


def _reusable(job: Job, status: dict, key: str, out_dir: Path) -> bool:
    """Whether the published report of ``job`` was made from exactly what it would be made
    from now (same key) and all its files are still there."""
    entry = status.get("reports", {}).get(job.html, {})
    if entry.get("status") != "ok" or entry.get("key") != key:
        return False
    needed = [job.html, job.notebook] + ([FRAMEWORK_XLSX] if job.kind == "framework" else [])
    return all((out_dir / rel).exists() for rel in needed)


def _pool(workers: int, scheduler: str | None):
    """A local pool of spawned worker processes, or a Dask cluster's executor."""
    if scheduler:
        from .cluster import dask_executor

        return dask_executor(scheduler)
    return cf.ProcessPoolExecutor(max_workers=workers,
                                  mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_worker_init, initargs=(os.getpid(),))


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
