"""Repository hygiene: real data and notebook outputs can never be committed."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def clone(tmp_path):
    """A fresh clone of this repository's committed state."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout")
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(target)],
                   check=True, capture_output=True)
    _git("config", "user.email", "test@example.invalid", cwd=target)
    _git("config", "user.name", "peerwork test", cwd=target)
    return target


def test_data_raw_tracks_only_its_readme():
    """Nothing under data/raw/ is committed but its README (the demo is generated)."""
    if not (REPO / ".git").exists():
        pytest.skip("needs a git checkout")
    tracked = _git("ls-files", "data/raw", cwd=REPO).split()
    assert tracked == ["data/raw/README.md"]


def test_real_looking_files_in_data_raw_leave_git_status_clean(clone):
    """Issue 7, "Done when": a fresh clone with the study's files in data/raw/ (under the
    names the README gives) shows nothing to commit, and `git add -A` stages none of it."""
    raw = clone / "data" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == ["README.md"]
    files = {
        "part1_responses.csv": "participant_id,site_id,role,name\nX01,S01,Peer worker,Jo Real\n",
        "part1_responses.xlsx": "not really a workbook",
        "sites.csv": "site_id,site_name\nS01,Real Trust\n",
        "dataset.yaml": "name: The study\nsynthetic: false\n",
        "withdrawn.txt": "X01\n",
        "project.qdpx": "zip",
        "qda_documents.csv": "document,participant_id\nT1,X01\n",
        "redaction_list.csv": "term,category\nJo,name\n",
    }
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    (raw / "sub").mkdir()
    (raw / "sub" / "more.csv").write_text("x\n", encoding="utf-8")
    assert _git("status", "--porcelain", cwd=clone) == ""
    ignored = _git("status", "--porcelain", "--ignored", cwd=clone)
    for name in files:
        assert f"!! data/raw/{name}" in ignored, name
    _git("add", "-A", cwd=clone)
    assert _git("diff", "--cached", "--name-only", cwd=clone) == ""
