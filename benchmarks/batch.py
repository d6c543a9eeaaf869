"""Benchmark: the report batch against the naive loop, the previous batch and the floor.

Printed side by side from one run, alternating the contenders round by round (medians):

- **naive**: what an analyst would type: the ``papermill`` command once per notebook (data
  quality, each site, cross-site, framework matrix), then ``jupyter nbconvert --to html
  --no-input`` on each, one after the other;
- **previous**: ``peerlib reports --force`` of the batch before warm kernels (the commit
  ``PREVIOUS`` below, checked out into a temporary folder);
- **new**: ``peerlib reports --force`` of this checkout (warm kernels, one per worker);
- **rerun**: ``peerlib reports`` again with nothing changed (every report reused);
- **floor**: imports once per worker + the batch's disclosure mask once + the cells' own work
  + one export per report, divided by the workers (measured in one warm kernel: kernel CPU
  per notebook, export CPU here; every notebook reads the one mask, as in the batch). The
  imports are those of the templates' first cells and the modules the reports import inside
  their functions (scipy.special, scipy.stats, openpyxl...: learnt from a first, unmeasured
  pass over the reports), as every worker's kernel imports them once.

Wall seconds, CPU seconds of the whole process tree (``getrusage`` of waited-for children:
the batch, its workers and their kernels) and peak memory (sum of the tree's resident
memory, sampled every 0.1 s). The machine is shared, so wall times are noisy: compare the
CPU seconds and the ratios measured side by side in the same run.

The trial set (``benchmarks/trial.py``: 200 sites x 50 participants x 30 items) gets the
same table: ``prepare`` (median of 3), the new batch once, the previous batch and the naive loop
extrapolated from a sample of sites, the floor, and the site report's own work at 10 and at
200 sites.

Run: ``make benchmark`` or ``.venv/bin/python benchmarks/batch.py [--rounds N] [--no-trial]``.
A benchmark, not a test: it asserts nothing and never runs in ``make test``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: The last commit of the batch before warm kernels (the split into modules, code unchanged).
PREVIOUS = "f3ac5d3"
KEY = "benchmark-only-key-0123456789"


# --------------------------------------------------------------------------- measuring
def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(cmd: list[str], env: dict, cwd: Path | None = None) -> dict:
    """Run ``cmd``; its wall seconds, CPU seconds (process tree) and peak tree memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.1)
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_mb": peak[0] / 2**20}


def _sum(parts: list[dict]) -> dict:
    return {"wall": sum(p["wall"] for p in parts), "cpu": sum(p["cpu"] for p in parts),
            "peak_mb": max(p["peak_mb"] for p in parts)}


# --------------------------------------------------------------------------- projects
def demo_project(root: Path) -> dict[str, str]:
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    env = _env(root)
    subprocess.run([str(BIN / "peerlib"), "demo-data", "--out", str(raw)], env=env,
                   check=True, stdout=subprocess.DEVNULL)  # data/raw is never committed
    subprocess.run([str(BIN / "peerlib"), "prepare"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    if (raw / "part2_demo.qdpx").exists():
        subprocess.run([str(BIN / "peerlib"), "import-codes", str(raw / "part2_demo.qdpx")],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def _env(root: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, PEERLIB_PROJECT_DIR=str(root), MPLBACKEND="Agg",
               PEERLIB_KEY=os.environ.get("PEERLIB_KEY", KEY))
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def previous_tree(tmp: Path) -> Path | None:
    """The previous batch's code, checked out into ``tmp`` (None outside a git checkout)."""
    dest = tmp / "previous"
    archive = subprocess.run(["git", "-C", str(REPO), "archive", PREVIOUS, "peerlib",
                              "notebooks"], capture_output=True, check=False)
    if archive.returncode != 0:
        return None
    dest.mkdir()
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def site_ids(root: Path) -> list[str]:
    import csv

    with open(root / "data" / "processed" / "sites.csv", encoding="utf-8") as fh:
        return [row["site_id"] for row in csv.DictReader(fh)]


# --------------------------------------------------------------------------- contenders
def naive(root: Path, env: dict, sites: list[str]) -> dict:
    """papermill CLI then nbconvert CLI, once per notebook, in turn."""
    out = root / "naive"
    out.mkdir(exist_ok=True)
    runs = [("00_prepare_data", "data_quality", [])]
    runs += [("10_site_report", s, ["-p", "site_id", s]) for s in sites]
    runs += [("20_cross_site", "cross_site", ["-p", "figures_dir", str(out / "figures")])]
    if (root / "data" / "processed" / "coded_segments.parquet").exists():
        runs += [("30_framework_matrix", "framework",
                  ["-p", "excel_path", str(out / "framework.xlsx")])]
    parts = []
    for template, name, params in runs:
        executed = out / f"{name}.ipynb"
        parts.append(measure([str(BIN / "papermill"), str(REPO / "notebooks" /
                                                          f"{template}.ipynb"),
                              str(executed), *params, "--cwd", str(root),
                              "--no-progress-bar"], env))
        parts.append(measure([str(BIN / "jupyter"), "nbconvert", "--to", "html",
                              "--no-input", str(executed)], env))
    return _sum(parts)


def batch(root: Path, env: dict, out: Path, notebooks: Path, *, force: bool = True,
          jobs: int | None = None, sites: list[str] | None = None) -> dict:
    cmd = [sys.executable, "-m", "peerlib", "reports", "--no-progress", "--out", str(out),
           "--notebooks", str(notebooks)]
    if force:
        cmd.append("--force")
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if sites:
        cmd += ["--sites", ",".join(sites)]
    return measure(cmd, env)


def previous(root: Path, env: dict, tree: Path, out: Path, *, jobs: int | None = None,
             sites: list[str] | None = None) -> dict:
    """The previous batch (no --force there: it rebuilt everything anyway)."""
    # -P: no current folder at the head of sys.path (run from the checkout, ``-c`` would
    # import this checkout's peerlib in the batch's process, ahead of PYTHONPATH, while its
    # kernels imported the previous one)
    cmd = [sys.executable, "-P", "-c", "import sys; from peerlib.cli import main; "
           "sys.exit(main(sys.argv[1:]))", "reports", "--no-progress", "--out", str(out),
           "--notebooks", str(tree / "notebooks")]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if sites:
        cmd += ["--sites", ",".join(sites)]
    try:
        return measure(cmd, dict(env, PYTHONPATH=str(tree)))
    except SystemExit as err:
        # the previous batch's kernels talk over loopback TCP ports picked at random, and
        # one of them can fail to start ("Kernel died before replying to kernel_info", seen
        # once in this benchmark): one more try, then the row says it failed
        print(f"previous batch failed, trying once more: {str(err).splitlines()[-3:]}")
        try:
            return measure(cmd, dict(env, PYTHONPATH=str(tree)))
        except SystemExit:
            return {"wall": float("nan"), "cpu": float("nan"), "peak_mb": float("nan")}


def floor(root: Path, sites: list[str], workers: int) -> dict:
    """Imports once per worker + each notebook's own work in a warm kernel + one export
    each, divided by the workers (run in a subprocess so this process stays light)."""
    code = f"""
import json, os, resource, sys, time
import psutil
t0 = resource.getrusage(resource.RUSAGE_SELF)
from peerlib.batch.kernel import WarmKernel, worker_environment
worker_environment({str(root)!r})  # first, as a batch worker does
import nbformat, papermill
from peerlib.batch import TEMPLATES, export_html
t1 = resource.getrusage(resource.RUSAGE_SELF)
worker_imports = (t1.ru_utime + t1.ru_stime) - (t0.ru_utime + t0.ru_stime)
root = {str(root)!r}
# the batch's one disclosure mask, computed once as peerlib reports does (every notebook
# reads it; without it each notebook would compute the whole mask again)
from peerlib.disclosure import get_policy
from peerlib.disclosure.mask import write_mask
from peerlib.part1.prepare import load_prepared, load_sites, with_site_attributes
from peerlib.reporting.tables import batch_mask_table
m0 = resource.getrusage(resource.RUSAGE_SELF)
data_dir = os.path.join(root, 'data', 'processed')
register = load_sites(data_dir)
mask_file = os.path.join(root, 'floor-mask.parquet')
write_mask(batch_mask_table(data_dir, get_policy('default'), list(register['site_id'].astype(str)),
                            data=with_site_attributes(load_prepared(data_dir), register),
                            framework=os.path.exists(os.path.join(data_dir,
                                                                  'coded_segments.parquet'))),
           mask_file)
m1 = resource.getrusage(resource.RUSAGE_SELF)
mask_cpu = (m1.ru_utime + m1.ru_stime) - (m0.ru_utime + m0.ru_stime)
nbs = {{kind: nbformat.read(os.path.join({str(REPO / 'notebooks')!r}, name), as_version=4)
       for kind, name in TEMPLATES.items()}}
imports = "\\n".join(nbs[kind].cells[next(i for i, c in enumerate(nbs[kind].cells)
                     if c.cell_type == 'code')].source for kind in nbs)
jobs = [("data_quality", {{}})] + [("site", {{"site_id": s, "pack_path": os.path.join(
    root, 'floor-packs', s + '.pdf')}}) for s in {sites!r}]
jobs += [("cross_site", {{"figures_dir": os.path.join(root, 'floor-figures')}})]
if os.path.exists(os.path.join(root, 'data', 'processed', 'coded_segments.parquet')):
    jobs += [("framework", {{"excel_path": os.path.join(root, 'floor.xlsx')}})]
for _, params in jobs:
    params["disclosure_mask"] = mask_file
modules_file = os.path.join(root, 'floor-modules.json')
listing = ("import sys, json; json.dump([m for m in sys.modules if not m.startswith('_pw')], "
           "open(" + repr(modules_file) + ", 'w'))")
# A first kernel runs every report once, unmeasured, to learn which modules the reports
# import inside their functions (scipy.special, scipy.stats, openpyxl...): every worker's
# kernel imports them once, so the floor counts them with the imports, per worker.
k = WarmKernel(root)
k.start(); k.reset()
k._silent(imports); k._silent(listing)
warm = set(json.load(open(modules_file)))
for kind, params in jobs:
    k.execute(nbs[kind], params, timeout=600)
k._silent(listing)
lazy = [m for m in json.load(open(modules_file)) if m not in warm]
k.shutdown()
k = WarmKernel(root)
k.start()
kproc = psutil.Process(k.km.provisioner.pid)
def kcpu():
    c = kproc.cpu_times(); return c.user + c.system
k.reset()
k._silent(imports)
template_imports = kcpu()
k._silent("import importlib\\nfor _m in " + repr(lazy) + ":\\n    try: importlib.import_module(_m)\\n"
          "    except Exception: pass")
kernel_imports = kcpu()
lazy_imports = kernel_imports - template_imports
cells = export = 0.0
per = {{}}
for kind, params in jobs:
    before = kcpu()
    nb = k.execute(nbs[kind], params, timeout=600)
    used = kcpu() - before
    cells += used
    per.setdefault(kind, []).append(used)
    e0 = resource.getrusage(resource.RUSAGE_SELF)
    export_html(nb, provenance={{"dataset_name": "x", "synthetic": True, "run_date": "x",
                "version": "x", "git_commit": "x", "parameters": [], "inputs": []}}, title="x")
    e1 = resource.getrusage(resource.RUSAGE_SELF)
    export += (e1.ru_utime + e1.ru_stime) - (e0.ru_utime + e0.ru_stime)
k.shutdown()
print(json.dumps({{"worker_imports": worker_imports, "kernel_imports": kernel_imports,
                  "lazy_imports": lazy_imports,
                  "mask": mask_cpu, "cells": cells, "export": export, "per_kind": per}}))
"""
    env = _env(root)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    parts = json.loads(out.stdout.strip().splitlines()[-1])
    cpu = workers * (parts["worker_imports"] + parts["kernel_imports"]) + parts["mask"] + \
        parts["cells"] + parts["export"]
    return {"wall": cpu / workers, "cpu": cpu, "peak_mb": float("nan"), "parts": parts}


# --------------------------------------------------------------------------- printing
def _per_kind(parts: dict) -> str:
    """The floor's cells per kind of report: total CPU seconds and count."""
    return ", ".join(f"{kind} {sum(v):.2f}/{len(v)}" for kind, v in parts["per_kind"].items())


def table(title: str, rows: dict[str, dict], base: str = "new") -> None:
    print(f"\n{title}")
    print(f"  {'':<44}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}{'wall/new':>10}"
          f"{'CPU/new':>9}")
    ref = rows.get(base)
    for name, r in rows.items():
        ratio_w = r["wall"] / ref["wall"] if ref and ref["wall"] else float("nan")
        ratio_c = r["cpu"] / ref["cpu"] if ref and ref["cpu"] else float("nan")
        print(f"  {name:<44}{r['wall']:>9.1f}{r['cpu']:>9.1f}{r['peak_mb']:>9.0f}"
              f"{ratio_w:>10.2f}{ratio_c:>9.2f}")


def _median(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "peak_mb")}


def sizes(out: Path) -> None:
    """Every published file's size and the folder's total (``benchmarks/report_sizes.py``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from report_sizes import size_report

    _, lines = size_report(out)
    print()
    print("\n".join(lines))


# --------------------------------------------------------------------------- main
def demo(rounds: int, jobs: int, tmp: Path, tree: Path | None) -> dict:
    root = tmp / "demo"
    env = demo_project(root)
    sites = site_ids(root)
    runs: dict[str, list] = {"naive": [], "previous": [], "new": [], "rerun": []}
    for i in range(rounds):  # alternating, so that load changes hit every contender alike
        runs["naive"].append(naive(root, env, sites))
        if tree:
            runs["previous"].append(previous(root, env, tree, root / "reports-previous",
                                             jobs=jobs))
        runs["new"].append(batch(root, env, root / "reports", REPO / "notebooks", jobs=jobs))
        runs["rerun"].append(batch(root, env, root / "reports", REPO / "notebooks",
                                   force=False, jobs=jobs))
    fl = floor(root, sites, jobs)
    rows = {"naive loop (papermill + nbconvert CLI each)": _median(runs["naive"])}
    if runs["previous"]:
        rows[f"previous batch ({PREVIOUS})"] = _median(runs["previous"])
    rows["new"] = _median(runs["new"])
    rows["unchanged rerun (every report reused)"] = _median(runs["rerun"])
    rows[f"floor (imports x{jobs} + cells + export) / {jobs}"] = fl
    table(f"DEMO: {len(sites) + 3} reports, {jobs} workers, {rounds} rounds (medians)", rows)
    new = rows["new"]
    naive_row = rows["naive loop (papermill + nbconvert CLI each)"]
    print(f"  naive / new wall: {naive_row['wall'] / new['wall']:.1f}x (target >= 6x); "
          f"new CPU {new['cpu']:.1f} s (target <= 20 s); new / floor wall: "
          f"{new['wall'] / fl['wall']:.2f}x, CPU: {new['cpu'] / fl['cpu']:.2f}x (target "
          f"<= 1.3x); unchanged rerun {rows['unchanged rerun (every report reused)']['wall']:.1f}"
          f" s wall (target < 3 s)")
    p = fl["parts"]
    print(f"  floor parts (CPU s): worker imports {p['worker_imports']:.2f}, kernel start + "
          f"imports {p['kernel_imports']:.2f} (of which {p['lazy_imports']:.2f} imported "
          f"inside report functions), mask once {p['mask']:.2f}, cells "
          f"{p['cells']:.2f} ({_per_kind(p)}), export {p['export']:.2f}")
    sizes(root / "reports")
    return rows


def trial(jobs: int, tmp: Path, tree: Path | None, sample: int, n_sites: int) -> dict:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from trial import write_trial

    root = tmp / "trial"
    codebook = write_trial(root, n_sites=n_sites)
    env = _env(root)
    # prepare three times (medians): once, the first run after an install took 4.1 s and
    # later runs on the same data 2.3-2.6 s (reading the libraries from disk, probably)
    prep = _median([measure([str(BIN / "peerlib"), "prepare", "--codebook", str(codebook)],
                            env) for _ in range(3)])
    sites = site_ids(root)
    few = sites[:sample]
    rows = {"prepare, median of 3 (target <= 3 s wall)": prep}
    nv = naive(root, env, few)
    per_site = (nv["cpu"], nv["wall"])
    # naive: data quality + cross-site + sample sites measured; the other sites extrapolated
    # from the sample's mean (the all-site notebooks are inside the sample run)
    base = naive(root, env, [])
    site_cpu = (nv["cpu"] - base["cpu"]) / len(few)
    site_wall = (nv["wall"] - base["wall"]) / len(few)
    rows[f"naive loop (extrapolated from {sample} sites)"] = {
        "wall": base["wall"] + site_wall * len(sites), "cpu": base["cpu"] + site_cpu *
        len(sites), "peak_mb": nv["peak_mb"]}
    del per_site
    if tree:
        pb = previous(root, env, tree, root / "reports-previous-base", jobs=jobs,
                      sites=few[:1])
        ps = previous(root, env, tree, root / "reports-previous", jobs=jobs, sites=few)
        extra_cpu = (ps["cpu"] - pb["cpu"]) / (len(few) - 1)
        extra_wall = (ps["wall"] - pb["wall"]) / (len(few) - 1)
        rows[f"previous batch (extrapolated from {sample} sites)"] = {
            "wall": pb["wall"] + extra_wall * (len(sites) - 1),
            "cpu": pb["cpu"] + extra_cpu * (len(sites) - 1), "peak_mb": ps["peak_mb"]}
    new = batch(root, env, root / "reports", REPO / "notebooks", jobs=jobs)
    rows["new"] = new
    rows["unchanged rerun"] = batch(root, env, root / "reports", REPO / "notebooks",
                                    force=False, jobs=jobs)
    fl = floor(root, few, jobs)
    per = fl["parts"]["per_kind"]
    site_cells = statistics.median(per["site"])
    # the same sites' shape (50 people, 30 items) at 10 sites: a site report's own work
    # should not depend on the number of sites (the demo's sites have 8 items, not 30)
    small = tmp / "trial-10"
    small_codebook = write_trial(small, n_sites=10)
    subprocess.run([str(BIN / "peerlib"), "prepare", "--codebook", str(small_codebook)],
                   env=_env(small), check=True, stdout=subprocess.DEVNULL)
    site_cells_10 = statistics.median(
        floor(small, site_ids(small)[:sample], jobs)["parts"]["per_kind"]["site"])
    fl_cpu = (jobs * (fl["parts"]["worker_imports"] + fl["parts"]["kernel_imports"]) +
              fl["parts"]["mask"] +
              sum(sum(v) for k, v in per.items() if k != "site") + site_cells * len(sites) +
              fl["parts"]["export"] / (len(few) + 3) * (len(sites) + 3))
    rows[f"floor (site work from {sample} sites)"] = {"wall": fl_cpu / jobs, "cpu": fl_cpu,
                                                     "peak_mb": float("nan")}
    table(f"TRIAL: {len(sites)} sites x 50 participants x 30 items, {len(sites) + 3} "
          f"reports, {jobs} workers", rows)
    print(f"  whole batch {new['wall']:.0f} s wall (target <= 120 s), peak memory "
          f"{new['peak_mb']:.0f} MB (target <= 2048 MB); prepare {prep['wall']:.1f} s wall, "
          f"{prep['cpu']:.1f} s CPU, {prep['peak_mb']:.0f} MB")
    print(f"  cross-site notebook's own work (scoring + charts + tables, kernel CPU): "
          f"{statistics.median(per['cross_site']):.2f} s (target <= 1 s for scoring and "
          f"charts); a site report's own work (kernel CPU, median of {sample}): "
          f"{site_cells:.2f} s at {len(sites)} sites, {site_cells_10:.2f} s at 10 sites of "
          f"the same shape (ratio {site_cells / site_cells_10:.2f}; target: independent of "
          "the number of sites)")
    sizes(root / "reports")
    return rows


def machine_probe() -> str:
    """The CPU seconds of a fixed pure-Python loop in a fresh process, twice: the machine's
    speed at this moment. On a shared or throttled machine it changes (0.66-1.24 s seen on
    the 2-core development machine in one hour), and so do every contender's seconds;
    ratios measured side by side in the same run change much less."""
    code = ("import time; c = time.process_time(); sum(i * i for i in range(10**7)); "
            "print(f'{time.process_time() - c:.2f}')")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip() for _ in range(2)]
    return f"machine speed probe (CPU s of a fixed loop, lower is faster): {', '.join(runs)}"


def compile_bytecode() -> None:
    """Compile the bytecode of every installed module and of peerlib first (``make
    bytecode``), so that no contender pays Python's compiling: where PYTHONDONTWRITEBYTECODE
    is set each process would compile from source, elsewhere the first contender would."""
    purelib = sysconfig.get_paths()["purelib"]
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", purelib,
                    str(REPO / "peerlib")], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="demo rounds (medians)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="workers (default: cores)")
    parser.add_argument("--no-trial", action="store_true", help="skip the 200-site trial")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo batch")
    parser.add_argument("--trial-sites", type=int, default=200)
    parser.add_argument("--trial-sample", type=int, default=4,
                        help="sites run by the naive loop and the previous batch at trial "
                             "size (the rest extrapolated)")
    parser.add_argument("--no-previous", action="store_true",
                        help="skip the previous batch")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; CPU = user + system seconds of the whole process tree; "
          "the machine may be shared: compare CPU seconds and same-run ratios")
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="peerwork-bench-") as tmp:
        tree = None if args.no_previous else previous_tree(Path(tmp))
        if not args.no_demo:
            print(machine_probe())
            demo(args.rounds, args.jobs, Path(tmp), tree)
            print(machine_probe())
        if not args.no_trial:
            print(machine_probe())
            trial(args.jobs, Path(tmp), tree, args.trial_sample, args.trial_sites)
            print(machine_probe())


if __name__ == "__main__":
    main()
