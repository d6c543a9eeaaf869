"""Publish a batch: move staged outputs into the reports folder, mark reports that are out
of date, clean staging folders left by a killed batch."""
from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

from ..paths import output_path
from .plan import FRAMEWORK_XLSX, Job, JobResult

__all__ = ["mark_report"]


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


def _publish(job_list: list[Job], results: list[JobResult], stage: Path, out_dir: Path) -> None:
    """Move each successful job's outputs into place; keep failed partial notebooks."""
    by_name = {r.name: r for r in results}
    for job in job_list:
        res = by_name.get(job.name)
        if res is None:
            continue
        if res.ok:
            for rel in (job.html, job.notebook):
                src, dst = stage / rel, output_path(out_dir, *Path(rel).parts)
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                res.outputs.append(rel)
            if job.kind == "framework" and (stage / FRAMEWORK_XLSX).exists():
                os.replace(stage / FRAMEWORK_XLSX, out_dir / FRAMEWORK_XLSX)
                res.outputs.append(FRAMEWORK_XLSX)
            if job.kind == "site":  # the PDF pack, made only for a site of k or more
                pdf = Path(job.html).with_suffix(".pdf")
                if (stage / pdf).exists():
                    os.replace(stage / pdf, out_dir / pdf)
                    res.outputs.append(pdf.as_posix())
                else:
                    (out_dir / pdf).unlink(missing_ok=True)
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
