"""Repository hygiene: real data and notebook outputs can never be committed."""
from __future__ import annotations

import shutil
import subprocess
import sys
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


def _notebook_with_outputs(path: Path) -> None:
    """Run-like outputs in every code cell, plus a real edit (a note cell) to commit."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("An analyst's note.", id="analyst-note"))
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output(
            "stream", name="stdout", text="REAL-PARTICIPANT-OUTPUT said something\n")]
    nbformat.write(nb, path)


@pytest.mark.slow  # a clone and a venv of its own
def test_make_install_strips_outputs_from_committed_notebooks(clone):
    """Issue 12: an analyst commits a notebook run on real data, outputs and all; git stores
    it without outputs or execution counts (cell ids kept), because `make install` made
    nbstripout the repository's filter."""
    import nbformat

    subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "install",
                    f"BIN={Path(sys.executable).parent}"], cwd=clone, check=True,
                   capture_output=True)
    assert "nbstripout" in _git("config", "--get", "filter.nbstripout.clean", cwd=clone)
    path = clone / "notebooks" / "10_site_report.ipynb"
    ids = [c.id for c in nbformat.read(path, as_version=4).cells]
    _notebook_with_outputs(path)
    assert "REAL-PARTICIPANT-OUTPUT" in path.read_text(encoding="utf-8")
    _git("add", "notebooks/10_site_report.ipynb", cwd=clone)
    _git("commit", "-q", "-m", "an executed notebook", cwd=clone)
    stored = _git("show", "HEAD:notebooks/10_site_report.ipynb", cwd=clone)
    assert "REAL-PARTICIPANT-OUTPUT" not in stored
    nb = nbformat.reads(stored, as_version=4)
    assert all(not c.outputs and c.execution_count is None
               for c in nb.cells if c.cell_type == "code")
    assert [c.id for c in nb.cells] == ids + ["analyst-note"]
    assert _git("status", "--porcelain", cwd=clone) == ""  # the working copy reads as clean


def test_every_committed_notebook_has_no_outputs_and_no_execution_counts():
    import nbformat

    if (REPO / ".git").exists():
        names = _git("ls-files", "*.ipynb", cwd=REPO).split()
    else:
        names = [str(p.relative_to(REPO)) for p in REPO.glob("notebooks/**/*.ipynb")]
    assert "notebooks/10_site_report.ipynb" in names
    for name in names:
        nb = nbformat.read(REPO / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (name, cell.id)
