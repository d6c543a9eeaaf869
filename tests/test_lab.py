"""`make lab`: JupyterLab on loopback, as root or not, on the PORT asked for, with LAB_ARGS
passed through; driven through the Jupyter server API, then stopped."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> dict:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read().decode("utf-8"))


def _lab_command(port: int, lab_args: str, user: str | None) -> list[str]:
    make = ["make", "--no-print-directory", "-C", str(REPO), "-o", ".venv/.installed", "lab",
            f"PORT={port}", f"BIN={Path(sys.executable).parent}", f"LAB_ARGS={lab_args}"]
    return (["runuser", "-u", user, "--"] + make) if user else make


USERS = ["root" if os.geteuid() == 0 else "this user", "a normal user"]


@pytest.mark.parametrize("who", USERS)
def test_make_lab_serves_the_notebooks_and_stops(who, tmp_path, request):
    user = None
    if who == "a normal user":
        if os.geteuid() != 0:
            pytest.skip("running as a normal user already (the first case)")
        if shutil.which("runuser") is None:
            pytest.skip("runuser is needed to start the server as a normal user")
        user = "nobody"
        probe = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-c", "1"],
                               capture_output=True)
        if probe.returncode != 0:  # e.g. the interpreter lives under a root-only home
            pytest.skip(f"{user} cannot run {sys.executable}")
        # pytest's own temporary folders above tmp_path are 0700 (root only): the normal
        # user's home goes straight under the system's temporary folder instead
        tmp_path = Path(tempfile.mkdtemp(prefix="peerwork-lab-"))
        tmp_path.chmod(0o777)
        request.addfinalizer(lambda: shutil.rmtree(tmp_path, ignore_errors=True))
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    env = dict(os.environ, HOME=str(home), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_CONFIG_DIR=str(home / "config"),
               IPYTHONDIR=str(home / "ipython"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}/peer/"
    proc = subprocess.Popen(
        _lab_command(port, "--ServerApp.base_url=/peer/", user), env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        first = proc.stdout.readline() + proc.stdout.readline()
        found = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]{{48}})\b", first)
        assert found, first  # a new random token each time, printed with the URL
        token = found.group(1)
        assert "Ctrl+C" in first
        listing = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                listing = _get(base + "api/contents", token)  # LAB_ARGS' base_url applies
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        assert listing is not None, proc.stdout.read() if proc.poll() is not None else ""
        names = {item["name"] for item in listing["content"]}
        assert {"10_site_report.ipynb", "20_cross_site.ipynb"} <= names
        with pytest.raises(urllib.error.HTTPError):  # the token is required
            _get(base + "api/contents", "wrong-token")
        req = urllib.request.Request(base + "api/shutdown", method="POST", data=b"",
                                     headers={"Authorization": f"token {token}"})
        urllib.request.urlopen(req, timeout=10).close()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        proc.stdout.close()
