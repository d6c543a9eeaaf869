"""Helpers of the batch tests: small report templates that run in a fraction of a second.

They have the same parameters as the real templates and show them (with the run's
``min_group_size``), so tests of planning, reuse and publishing can tell which run made a
file without paying for the real notebooks (those are tested in test_batch.py and
test_kernel.py).
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from peerlib.batch import TEMPLATES

_PARAMETERS = {
    "data_quality": 'data_dir: str = ""\nmin_group_size: int = 5',
    "site": 'site_id: str = "S01"\ndata_dir: str = ""\nmin_group_size: int = 5',
    "site_short": 'site_id: str = "S01"\ndata_dir: str = ""\nmin_group_size: int = 5',
    "cross_site": 'data_dir: str = ""\nmin_group_size: int = 5\nfigures_dir: str = ""',
    "framework": 'data_dir: str = ""\nmin_group_size: int = 5\nexcel_path: str = ""',
}
_SHOW = {
    "data_quality": 'print("data quality", "k=" + str(min_group_size))',
    "site": 'print("site", site_id, "k=" + str(min_group_size))',
    "site_short": 'print("short site report", site_id, "k=" + str(min_group_size))',
    "cross_site": ('import pathlib\npathlib.Path(figures_dir).mkdir(parents=True, exist_ok=True)'
                   '\npathlib.Path(figures_dir, "tiny.svg").write_text("<svg/>")\n'
                   'print("cross-site", "k=" + str(min_group_size))'),
    "framework": ('import pathlib\npathlib.Path(excel_path).write_bytes(b"xlsx")\n'
                  'print("framework", "k=" + str(min_group_size))'),
}


def tiny_templates(folder: Path) -> Path:
    """Write the four small templates into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, name in TEMPLATES.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                     "display_name": "Python 3"}
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {kind}"),
                    nbformat.v4.new_code_cell(_PARAMETERS[kind],
                                              metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell(_SHOW[kind])]
        nbformat.write(nb, folder / name)
    return folder
