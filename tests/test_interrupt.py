"""Interrupting `peerlib reports` leaves the previous reports whole and no kernel running."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _kernels(proc: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in proc.children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT,
                                 pytest.param(signal.SIGTERM, marks=pytest.mark.slow)])
def test_interrupt_keeps_previous_reports_and_leaves_no_kernel(tmp_path, sig):
    out = tmp_path / "reports"
    (out / "sites").mkdir(parents=True)
    (out / "sites" / "S01.html").write_text("previous good report", encoding="utf-8")
    (out / "index.html").write_text("previous index", encoding="utf-8")
    before = _digest(out)
    cmd = [sys.executable, "-m", "peerlib", "reports", "--no-progress", "--out", str(out),
           "--notebooks", str(REPO / "notebooks"), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    kernels = []
    while time.monotonic() < deadline and proc.poll() is None:
        kernels = _kernels(parent)
        if kernels:
            break
        time.sleep(0.2)
    assert kernels, "no kernel started"
    tree = parent.children(recursive=True)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    assert b"interrupted" in err
    gone, alive = psutil.wait_procs(tree, timeout=15)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    assert _digest(out) == before
    assert not list(out.glob(".staging-*"))
