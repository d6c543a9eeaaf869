"""Publish a batch: move staged outputs into the reports folder, mark reports that are out
of date, clean staging folders left by a killed batch."""
from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path

from ..paths import output_path
from .plan import FRAMEWORK_XLSX, Job, JobResult

__all__ = ["JOURNAL", "mark_report", "plan_moves", "publish", "recover",
           "strip_unpublished_outputs"]


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


#: The publishing journal (in the reports folder): written, complete, before the first file
#: is moved; removed after the index. A batch killed in between is completed from it.
JOURNAL = ".publish.json"

_NOTICE = ('<div class="banner" role="alert">These reports are being updated (run of {date}). '
           'If this notice stays, the update was interrupted: run <code>peerlib reports</code> '
           'again, which completes it.</div>')


def plan_moves(job_list: list[Job], results: list[JobResult], stage: Path,
               out_dir: Path) -> tuple[list[list[str]], list[str]]:
    """What publishing a batch changes: ``moves`` ([path in stage, path in out_dir]) of each
    successful job's outputs and each failed job's partial notebook (to
    ``notebooks/failed/``), and ``removals`` (failed notebooks of jobs that now succeeded).
    Reused jobs change nothing."""
    by_name = {r.name: r for r in results}
    moves: list[list[str]] = []
    removals: list[str] = []
    for job in job_list:
        res = by_name.get(job.name)
        if res is None or res.reused:
            continue
        failed = f"notebooks/failed/{Path(job.notebook).name}"
        if res.ok:
            rels = [job.html, job.notebook]
            if job.kind == "framework" and (stage / FRAMEWORK_XLSX).exists():
                rels.append(FRAMEWORK_XLSX)
            if job.kind == "site":  # the PDF pack, made only for a site of k or more
                pdf = Path(job.html).with_suffix(".pdf").as_posix()
                if (stage / pdf).exists():
                    rels.append(pdf)
                else:
                    removals.append(pdf)
            if job.kind == "cross_site" and (stage / "figures").is_dir():
                rels += [f"figures/{fig.name}" for fig in sorted((stage / "figures").iterdir())]
            moves += [[rel, rel] for rel in rels]
            res.outputs.extend(rels)
            removals.append(failed)
        elif (stage / job.notebook).exists():
            strip_unpublished_outputs(stage / job.notebook)
            moves.append([job.notebook, failed])
            res.outputs.append(failed)
    return moves, removals


def strip_unpublished_outputs(path: Path) -> Path:
    """Keep only the error outputs of a notebook that is not published as a report.

    A notebook that failed, or whose report the disclosure audit refused, goes to
    ``notebooks/failed/`` for the analyst to see where and why it stopped. Its other
    outputs (tables, charts, notes) have not passed the audit, and ``reports/`` is what
    readers receive, so they are removed; the failing cell's traceback is kept.

    Parameters
    ----------
    path : Path
        The staged executed notebook (rewritten whole).

    Returns
    -------
    Path
        ``path``.
    """
    import nbformat

    from .._files import atomic_write_text

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if o.get("output_type") == "error"]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        "This report was not published: its outputs were removed (only an error, if any, is "
        "kept). Run the notebook in JupyterLab on the project's data to see them."))
    return atomic_write_text(path, nbformat.writes(nb))


def publish(out_dir: Path, stage: Path, *, moves: list[list[str]], removals: list[str],
            banners: dict[str, str | None], status: dict, page: str, run_id: str,
            run_date: str) -> None:
    """Publish a batch as one step: write the journal, then apply it (see
    :func:`recover`). Until the index is written, the index says the reports are being
    updated; a batch killed at any moment is completed by the next ``peerlib reports``
    (or ``peerlib prepare``), so the folder never holds a mix that the index calls up to
    date.

    Parameters
    ----------
    out_dir, stage : Path
        The reports folder and the batch's staging folder inside it.
    moves, removals : list
        From :func:`plan_moves`.
    banners : dict
        ``{path: message or None}``: out-of-date banners to set or take away.
    status : dict
        The new run status (written to ``.status.json``).
    page : str
        The new index page.
    run_id, run_date : str
        The batch's id and date (shown while publishing).
    """
    from .._files import atomic_write_text

    journal = {"run": run_id, "run_date": run_date, "stage": stage.name, "moves": moves,
               "removals": removals, "banners": banners, "status": status, "index": page}
    atomic_write_text(out_dir / JOURNAL, json.dumps(journal))
    _apply(out_dir, journal)


def recover(out_dir: Path) -> bool:
    """Complete the publishing of a batch that was killed while publishing (its journal is
    still there); then remove staging folders of batches no longer running.

    Returns
    -------
    bool
        True when an interrupted publishing was completed.
    """
    path = Path(out_dir) / JOURNAL
    done = False
    if path.exists():
        try:
            journal = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # not written completely: nothing was moved yet
            path.unlink(missing_ok=True)
        else:
            _apply(Path(out_dir), journal)
            done = True
    if Path(out_dir).is_dir():
        _remove_orphan_staging(Path(out_dir))
    return done


def _move(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _apply(out_dir: Path, journal: dict) -> None:
    """Carry out a journal; every step can be repeated (a killed run is completed by
    running it again)."""
    from .._files import atomic_write_text

    stage = out_dir / journal["stage"]
    index = out_dir / "index.html"
    notice = _NOTICE.format(date=html.escape(journal.get("run_date", "")))
    page = journal["index"]
    atomic_write_text(index, page.replace("<body>", "<body>\n" + notice, 1))
    for src, dst in journal["moves"]:
        if (stage / src).exists():
            _move(stage / src, output_path(out_dir, *Path(dst).parts))
    for rel in journal["removals"]:
        (out_dir / rel).unlink(missing_ok=True)
    for rel, message in journal["banners"].items():
        if (out_dir / rel).exists():
            mark_report(out_dir / rel, message)
    _finish(out_dir, journal["status"], page)
    (out_dir / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(stage, ignore_errors=True)


def _finish(out_dir: Path, status: dict, page: str) -> None:
    """The last step of publishing: the run status, then the index."""
    from .._files import atomic_write_text
    from .index import STATUS_FILE

    atomic_write_text(out_dir / STATUS_FILE, json.dumps(status, indent=2, sort_keys=True))
    atomic_write_text(out_dir / "index.html", page)


_MARK_START, _MARK_END = "<!-- peerwork-stale -->", "<!-- /peerwork-stale -->"


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
        from .._files import atomic_write_text

        atomic_write_text(path, clean)
