"""Benchmark: the report batch against the naive way an analyst would run it.

The naive way is a shell loop that calls the ``papermill`` command once per notebook (data
quality, each site, cross-site) and then ``jupyter nbconvert --to html --no-input`` on each
executed notebook, one after the other. The batch is ``peerlib reports`` on the same prepared
data. Both run in a temporary copy of the project with the demo data. The script prints both
wall times, their ratio (target: the batch at least 3x faster on a 2-core machine) and the
size of every report (target: each site report under 6 MB).

Run: ``make benchmark`` or ``.venv/bin/python benchmarks/batch.py [--repeat N]``.
This is a benchmark, not a test: it asserts nothing and is never run by ``make test``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _project(root: Path) -> dict[str, str]:
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    for name in ("dataset.yaml", "sites.csv", "part1_responses.csv"):
        shutil.copy2(REPO / "data" / "raw" / name, raw / name)
    env = dict(os.environ, PEERLIB_PROJECT_DIR=str(root), MPLBACKEND="Agg",
               PEERLIB_KEY=os.environ.get("PEERLIB_KEY", "benchmark-only-key"))
    subprocess.run([str(BIN / "peerlib"), "prepare"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return env


def _site_ids(root: Path) -> list[str]:
    import csv

    with open(root / "data" / "processed" / "sites.csv", encoding="utf-8") as fh:
        return [row["site_id"] for row in csv.DictReader(fh)]


def naive(root: Path, env: dict[str, str]) -> float:
    """The shell loop: papermill CLI then nbconvert CLI, once per notebook, in turn."""
    out = root / "naive"
    out.mkdir(exist_ok=True)
    runs = [("00_prepare_data", "data_quality", [])]
    runs += [("10_site_report", site, ["-p", "site_id", site]) for site in _site_ids(root)]
    runs += [("20_cross_site", "cross_site", ["-p", "figures_dir", str(out / "figures")])]
    start = time.perf_counter()
    for template, name, params in runs:
        executed = out / f"{name}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(REPO / "notebooks" / f"{template}.ipynb"),
                        str(executed), *params, "--cwd", str(root), "--no-progress-bar"],
                       env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(executed)], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def batch(root: Path, env: dict[str, str], jobs: int | None) -> float:
    """``peerlib reports`` (parallel papermill, in-process HTML export)."""
    cmd = [str(BIN / "peerlib"), "reports", "--no-progress", "--out", str(root / "reports"),
           "--notebooks", str(REPO / "notebooks")]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (median taken)")
    parser.add_argument("--jobs", type=int, help="--jobs for the batch (default: cores)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="peerwork-bench-") as tmp:
        root = Path(tmp)
        env = _project(root)
        naive_times, batch_times = [], []
        for _ in range(args.repeat):
            naive_times.append(naive(root, env))
            batch_times.append(batch(root, env, args.jobs))
        sizes = {str(p.relative_to(root / "reports")): p.stat().st_size
                 for p in sorted((root / "reports").rglob("*.html"))}
        naive_s, batch_s = statistics.median(naive_times), statistics.median(batch_times)
        result = {
            "cores": os.cpu_count(),
            "notebooks": 2 + len(_site_ids(root)),
            "naive_seconds": round(naive_s, 2),
            "batch_seconds": round(batch_s, 2),
            "ratio": round(naive_s / batch_s, 2),
            "largest_site_report_mb": round(max(v for k, v in sizes.items()
                                                if k.startswith("sites/")) / 2**20, 2),
            "report_sizes_bytes": sizes,
        }
    print(f"cores: {result['cores']}, notebooks: {result['notebooks']}, runs: {args.repeat}")
    print(f"naive loop (papermill CLI + nbconvert CLI per notebook): {naive_s:.1f} s")
    print(f"peerlib reports:                                        {batch_s:.1f} s")
    print(f"ratio naive / batch: {result['ratio']:.2f}x (target >= 3x)")
    print(f"largest site report: {result['largest_site_report_mb']:.2f} MB (target < 6 MB)")
    for name, size in sizes.items():
        print(f"  {name}: {size / 2**20:.2f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
