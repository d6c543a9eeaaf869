"""Every path the project uses, derived from the project directory.

The project directory is ``PEERLIB_PROJECT_DIR`` when set, otherwise the first of the current
directory and its parents that holds a ``data/raw`` folder, otherwise the current directory.
It is never where the package is installed, so a non-editable install, a notebook run from
``notebooks/`` and a test's temporary directory all find the same files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProjectPaths", "project_dir", "project_paths", "RESPONSE_FILE_STEMS"]

#: File names (without extension) that ``prepare`` looks for in ``data/raw``.
RESPONSE_FILE_STEMS = ("part1_responses",)
_RESPONSE_EXTENSIONS = (".csv", ".xlsx", ".sav", ".tsv", ".txt")


def project_dir(start: str | os.PathLike | None = None) -> Path:
    """Return the project directory (see the module docstring for the rule).

    Parameters
    ----------
    start : path-like, optional
        Where to start looking; default the current directory. ``PEERLIB_PROJECT_DIR`` wins
        over it when set.

    Returns
    -------
    pathlib.Path
        Absolute path of the project directory.
    """
    env = os.environ.get("PEERLIB_PROJECT_DIR")
    if env:
        return Path(env).expanduser().resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "raw").is_dir():
            return folder
    return here


@dataclass(frozen=True)
class ProjectPaths:
    """The folders and files of one project, all absolute.

    Attributes follow DESIGN.md: ``raw`` (input, never written by analysis code),
    ``processed`` (derived, rebuildable), ``reports`` (HTML for the steering group),
    ``notebooks`` (the report templates).
    """

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def validation(self) -> Path:
        """Where ``prepare`` writes its validation report: with the data managers, not in
        ``reports/`` (a report of problems quotes raw values, which may identify someone)."""
        return self.root / "data" / "validation"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def dataset_yaml(self) -> Path:
        return self.raw / "dataset.yaml"

    @property
    def sites_csv(self) -> Path:
        return self.raw / "sites.csv"

    @property
    def part1_long(self) -> Path:
        return self.processed / "part1_long.parquet"

    @property
    def key_file(self) -> Path:
        return self.root / ".peerlib_key"

    def responses(self) -> Path:
        """The raw Part 1 responses file in ``data/raw`` (first of .csv, .xlsx, .sav, ...).

        Raises
        ------
        FileNotFoundError
            When no ``part1_responses.*`` file exists; the message lists what was looked for.
        """
        tried = []
        for stem in RESPONSE_FILE_STEMS:
            for ext in _RESPONSE_EXTENSIONS:
                candidate = self.raw / f"{stem}{ext}"
                tried.append(candidate.name)
                if candidate.exists():
                    return candidate
        raise FileNotFoundError(
            f"No raw Part 1 responses in {self.raw} (looked for {', '.join(tried)}). "
            "Run `peerlib demo-data` for the synthetic demo, or put your file there."
        )


def project_paths(root: str | os.PathLike | None = None) -> ProjectPaths:
    """Return the :class:`ProjectPaths` of ``root`` (default: :func:`project_dir`)."""
    return ProjectPaths(Path(root).resolve() if root else project_dir())
