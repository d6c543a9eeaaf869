"""Shared fixtures of the peerlib test suite.

Matplotlib's Agg backend is set before anything imports pyplot, so tests and executed
notebooks never need a display.
"""
from __future__ import annotations

import os

os.environ["MPLBACKEND"] = "Agg"

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from peerlib.codebook import load_codebook  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The Part 1 demo files (inputs of the demo_project fixture), written by `peerlib demo-data`.
DEMO_FILES = ("dataset.yaml", "sites.csv", "part1_responses.csv")


# ============================================================================================
# Data-layer fixtures (codebook, io, validate, prepare, demo, scoring tests)
# ============================================================================================

#: The hand-made long table behind ``long_df``: one tuple per participant, with
#: (participant_id, site_id, role, {item_id: (happening, importance)}).
#:
#: - two sites: S01 (NHS trust, NHS, 4 participants) and S02 (Voluntary sector, Voluntary,
#:   ONE participant: the one-case site);
#: - three items 2.1-2.3 (the real ids);
#: - "Not relevant" is chosen by nobody (a zero-answer level), and no participant has the
#:   role "Senior/strategic manager or commissioner" (a zero row of the sample table);
#: - "Don't know" appears (P01 at 2.3, P05 at 2.2) and one "Missing" (P03 at 2.2);
#: - item 2.3 has no importance answer at all at S01 (the whole NHS sector).
TINY_PEOPLE = [
    ("P01", "S01", "Peer worker",
     {"2.1": ("Yes", 4), "2.2": ("Partly", 3), "2.3": ("Don't know", None)}),
    ("P02", "S01", "Peer worker",
     {"2.1": ("Yes", 3), "2.2": ("No", 2), "2.3": ("Yes", None)}),
    ("P03", "S01", "Line manager",
     {"2.1": ("Partly", 4), "2.2": ("Missing", None), "2.3": ("No", None)}),
    ("P04", "S01", "Service user",
     {"2.1": ("No", 2), "2.2": ("Yes", 4), "2.3": ("Yes", None)}),
    ("P05", "S02", "Non-peer staff",
     {"2.1": ("Yes", 1), "2.2": ("Don't know", 3), "2.3": ("Partly", 4)}),
]
TINY_SITES = {
    "S01": ("Ashwell Moor NHS Foundation Trust", "NHS trust", "NHS", False),
    "S02": ("Lantern Collective", "Voluntary sector", "Voluntary", True),
}
TINY_ITEMS = ["2.1", "2.2", "2.3"]


@pytest.fixture(scope="session")
def codebook():
    """The codebook shipped with peerlib (``peerlib/schedules/part1.yaml``)."""
    return load_codebook()


@pytest.fixture
def long_df(codebook):
    """A hand-made long table (5 participants x 3 items = 15 rows) with the real dtypes.

    See :data:`TINY_PEOPLE` for its content. ``happening`` and ``role`` are ordered
    categoricals with the codebook's levels, ``importance`` is nullable Int64, ``item_id`` an
    ordered categorical of the three items, IDs and site columns ``string``.
    """
    rows = []
    for pid, site, role, answers in TINY_PEOPLE:
        name, org, sector, bme = TINY_SITES[site]
        for item in TINY_ITEMS:
            happening, importance = answers[item]
            rows.append({"participant_id": pid, "site_id": site, "site_name": name,
                         "organisation_type": org, "sector": sector, "bme_focus": bme,
                         "role": role, "section": "2", "item_id": item,
                         "happening": happening, "importance": importance})
    df = pd.DataFrame(rows)
    for col in ("participant_id", "site_id", "site_name", "organisation_type", "sector",
                "section"):
        df[col] = df[col].astype("string")
    df["bme_focus"] = df["bme_focus"].astype("boolean")
    df["role"] = pd.Categorical(df["role"], dtype=codebook.role_dtype())
    df["item_id"] = pd.Categorical(df["item_id"], categories=TINY_ITEMS, ordered=True)
    df["happening"] = pd.Categorical(df["happening"], dtype=codebook.happening_dtype())
    df["importance"] = pd.array(df["importance"].tolist(), dtype="Int64")
    assert df["happening"].notna().all()  # a typo above would turn into NA silently
    assert df["role"].notna().all()
    return df


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory):
    """A folder holding every synthetic demo file (Part 1 and Part 2), generated once per
    session as ``peerlib demo-data`` writes them (the repository commits none). Copy from it;
    never write into it."""
    from peerlib.part1.demo import write_demo_data
    from peerlib.part2.demo import write_qda_demo

    folder = tmp_path_factory.mktemp("demo_raw")
    write_demo_data(folder)
    write_qda_demo(folder)
    return folder


@pytest.fixture
def demo_project(tmp_path, monkeypatch, demo_raw):
    """A project directory in ``tmp_path`` holding a copy of the Part 1 demo raw files.

    ``PEERLIB_PROJECT_DIR`` points at it for the duration of the test, so every default path
    of peerlib (``data/raw``, ``data/processed``) resolves inside ``tmp_path``.
    """
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    for name in DEMO_FILES:
        shutil.copy2(demo_raw / name, raw / name)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    return tmp_path


# ============================================================================================
# Report batch (shared by test_batch.py and test_privacy.py): one run per test session
# ============================================================================================

@pytest.fixture(scope="session")
def batch(tmp_path_factory, worker_id):
    """One batch run (data quality, S01, S02, cross-site) of the session project's prepared
    data into a temporary reports folder; tests inspect its outputs, never re-run it.

    Under pytest-xdist the first worker to ask builds it and the others wait for it and
    read the same folder (every worker's project holds the same deterministic demo data,
    prepared with the same key): the suite pays for one batch, not one per worker. The
    folder lives beside the workers' own temporary folders, as pytest-xdist's
    documentation suggests for session fixtures run once."""
    import fcntl
    import pickle

    from peerlib.batch import run_reports

    def build(out):
        return run_reports(out=out, sites=["S01", "S02"], jobs=2,
                           notebooks=REPO_ROOT / "notebooks", progress=False)

    if worker_id == "master":
        return build(tmp_path_factory.mktemp("reports"))
    shared = tmp_path_factory.getbasetemp().parent / "shared-batch"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = shared / "result.pickle"
        if done.exists():
            return pickle.loads(done.read_bytes())
        result = build(shared / "reports")
        done.write_bytes(pickle.dumps(result))
        return result


# ============================================================================================
# Output folders that cannot be written the usual way (issue 10: faults are clear messages)
# ============================================================================================

def _inside(path, folder: Path) -> bool:
    if path is None:
        return False
    path = Path(os.fsdecode(path)).absolute()
    folder = Path(folder).absolute()
    return path == folder or folder in path.parents


@pytest.fixture
def own_file_system(monkeypatch):
    """Make folders behave as mount points of their own file system (a network share, a USB
    disk): a rename between a path inside such a folder and one outside it fails with
    ``EXDEV`` ("Invalid cross-device link"), as the kernel does across devices. Returns
    ``mount(folder)``, which makes ``folder`` one."""
    import errno

    mounts: list[Path] = []

    def crosses(src, dst) -> bool:
        return any(_inside(src, m) != _inside(dst, m) for m in mounts)

    def guarded(real):
        def move(src, dst, *args, **kwargs):
            if crosses(src, dst):
                raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), os.fsdecode(src), None,
                              os.fsdecode(dst))
            return real(src, dst, *args, **kwargs)
        return move

    def mount(folder):
        if not mounts:  # patched at the first mount, over any other patch (the kernel
            monkeypatch.setattr(os, "replace", guarded(os.replace))  # checks EXDEV first)
            monkeypatch.setattr(os, "rename", guarded(os.rename))
        mounts.append(Path(folder))

    return mount


@pytest.fixture
def read_only(monkeypatch, request):
    """Returns ``make(folder)``: ``folder`` becomes read-only (mode 0555, restored after the
    test). Root ignores permissions, so where the mode does not stop this process, creating,
    renaming or opening for writing anything inside ``folder`` is refused with ``EACCES``
    by patching ``os.mkdir``, ``os.open``, ``os.replace`` and ``os.rename``."""
    import errno

    folders: list[Path] = []

    def refuse(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))

    def patch():
        real_mkdir, real_open = os.mkdir, os.open
        real_replace, real_rename = os.replace, os.rename

        def mkdir(path, *args, **kwargs):
            if any(_inside(path, f) and Path(path).absolute() != f for f in folders):
                refuse(path)
            return real_mkdir(path, *args, **kwargs)

        def open_(path, flags, *args, **kwargs):
            writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            if writing and any(_inside(path, f) for f in folders):
                refuse(path)
            return real_open(path, flags, *args, **kwargs)

        def guarded(real):
            def move(src, dst, *args, **kwargs):
                if any(_inside(src, f) or _inside(dst, f) for f in folders):
                    refuse(dst)
                return real(src, dst, *args, **kwargs)
            return move

        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(os, "open", open_)
        monkeypatch.setattr(os, "replace", guarded(real_replace))
        monkeypatch.setattr(os, "rename", guarded(real_rename))

    def make(folder):
        folder = Path(folder).absolute()
        folder.chmod(0o555)
        request.addfinalizer(lambda: folder.chmod(0o755))
        probe = folder / ".probe"
        try:
            probe.mkdir()
        except PermissionError:
            return folder  # the mode is enough
        probe.rmdir()  # root: permissions are not checked
        if not folders:
            patch()
        folders.append(folder)
        return folder

    return make
