"""Report sizes: every published report file of a reports folder and the folder's total.

How sizes are measured: the size on disk (``os.stat``) of each ``.html``, ``.pdf``,
``.xlsx`` and ``.csv`` file under the folder, i.e. the bytes a reader downloads or receives
as an email attachment (before any compression by the mail system), and the sum over every
file under the folder (executed notebooks, figures and the status file included). Targets
(issue 8): each self-contained HTML report at most 2 MiB (2,097,152 bytes).

Call :func:`size_report` from another benchmark (``benchmarks/batch.py`` does, on the folder
its batch wrote), or run ``.venv/bin/python benchmarks/report_sizes.py [reports]`` on a folder
``peerlib reports`` has written. This is a measurement, not a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from peerlib.reporting.html import report_sizes  # noqa: E402

#: The size limit of one self-contained HTML report (issue 8), in bytes.
HTML_LIMIT = 2 * 2**20
#: Above this many files of one kind in one folder (e.g. 200 sites' pages), one line
#: gives their count and their smallest, median and largest size.
MANY = 12


def size_report(folder: str | Path) -> tuple[dict, list[str]]:
    """Sizes of a reports folder as a JSON-ready dict and as lines to print.

    Returns
    -------
    (dict, list of str)
        ``{"files_bytes": {path: bytes}, "folder_total_bytes": n, "largest_html_bytes": n,
        "html_over_limit": [paths]}`` and lines in MiB: one per file (one per kind of file
        in a folder that holds more than :data:`MANY` of them) and the total.
    """
    rows = report_sizes(folder)
    files = dict(rows[:-1])
    html = {k: v for k, v in files.items() if k.endswith(".html")}
    result = {"files_bytes": files, "folder_total_bytes": rows[-1][1],
              "largest_html_bytes": max(html.values(), default=0),
              "html_over_limit": sorted(k for k, v in html.items() if v > HTML_LIMIT)}
    lines = ["report sizes (os.stat bytes; target: each HTML report <= 2 MiB):"]
    groups: dict[str, list[tuple[str, int]]] = {}
    for name, size in rows[:-1]:  # a folder's files of one kind, e.g. sites/*.html
        folder, _, base = name.rpartition("/")
        groups.setdefault(f"{folder}/*{Path(base).suffix}" if folder else name,
                          []).append((name, size))
    for pattern, members in groups.items():
        if len(members) <= MANY:
            lines += [f"  {name}: {size / 2**20:.2f} MiB ({size:,} bytes)"
                      + (" OVER 2 MiB" if name in result["html_over_limit"] else "")
                      for name, size in members]
            continue
        sizes = sorted(size for _, size in members)
        over = sum(name in result["html_over_limit"] for name, _ in members)
        lines.append(f"  {pattern}: {len(sizes)} files, smallest {sizes[0] / 2**20:.2f}, "
                     f"median {statistics.median(sizes) / 2**20:.2f}, largest "
                     f"{sizes[-1] / 2**20:.2f} MiB ({sizes[-1]:,} bytes)"
                     + (f", {over} OVER 2 MiB" if over else ""))
    name, size = rows[-1]
    lines.append(f"  {name}: {size / 2**20:.2f} MiB ({size:,} bytes)")
    return result, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(REPO / "reports"))
    parser.add_argument("--json", help="also write the sizes to this JSON file")
    args = parser.parse_args()
    result, lines = size_report(args.folder)
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
