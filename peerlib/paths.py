"""Every path the project uses, derived from the project directory.

The project directory is ``PEERLIB_PROJECT_DIR`` when set, otherwise the first of the current
directory and its parents that holds a ``data/raw`` folder, otherwise the current directory.
It is never where the package is installed, so a non-editable install, a notebook run from
``notebooks/`` and a test's temporary directory all find the same files.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import UnsafePathError

__all__ = ["ProjectPaths", "project_dir", "project_paths", "RESPONSE_FILE_STEMS",
           "IDENTIFIER_MAX_LENGTH", "IDENTIFIER_RULE", "identifier_problem",
           "check_identifier", "output_path", "UnsafePathError"]

#: Longest identifier (site id...) that may become part of a file name.
IDENTIFIER_MAX_LENGTH = 64
#: The rule every identifier used in a file name follows, in words (for messages).
IDENTIFIER_RULE = (f"1-{IDENTIFIER_MAX_LENGTH} characters: letters A-Z/a-z, digits 0-9, '-' "
                   "and '_' only; not a Windows device name (CON, PRN, AUX, NUL, COM1-9, "
                   "LPT1-9)")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]+")
#: Names Windows reserves for devices, in any case and with any extension.
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
                      | {f"{dev}{n}" for dev in ("COM", "LPT")
                         for n in (*"123456789", "\u00b9", "\u00b2", "\u00b3")})
#: Unicode bidirectional controls (a right-to-left override can make "exe.txt" show as
#: "txt.exe").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                  "\u2066\u2067\u2068\u2069")

#: File names (without extension) that ``prepare`` looks for in ``data/raw``.
RESPONSE_FILE_STEMS = ("part1_responses",)
_RESPONSE_EXTENSIONS = (".csv", ".xlsx", ".sav", ".tsv", ".txt")


def _why_unsafe(text: str) -> str | None:
    """Why ``text`` cannot be one part of a file name (None when it can)."""
    if not text:
        return "is blank"
    if any(ch in _BIDI for ch in text):
        return "holds a bidirectional-text control character (e.g. a right-to-left override)"
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        return "holds a control or invisible character (e.g. a line break or tab)"
    if text in (".", "..") or text.startswith(".."):
        return "refers to a parent folder (..)"
    if "/" in text or "\\" in text:
        return "holds a path separator (/ or \\)"
    if text.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        return "is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM1-9, LPT1-9)"
    if len(text.encode("utf-8")) > 255:
        return "is longer than a file name may be (255 bytes)"
    return None


def identifier_problem(value: object) -> str | None:
    """Why ``value`` is not a safe identifier (site id...), or None when it is one.

    The rule (:data:`IDENTIFIER_RULE`): 1 to :data:`IDENTIFIER_MAX_LENGTH` characters,
    ASCII letters, digits, ``-`` and ``_`` only, and not a device name Windows reserves
    (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``-``COM9``, ``LPT1``-``LPT9``, in any case).
    Such an identifier can be a file name on Windows, macOS and Linux, cannot climb out of
    its folder and shows the same in every report.

    Parameters
    ----------
    value : object
        The identifier as read (str; anything else is taken as its ``str``).

    Returns
    -------
    str or None
        A phrase completing "site_id 'X' ..." (e.g. "holds a path separator (/ or \\)"),
        or None.

    Examples
    --------
    >>> identifier_problem("S01") is None
    True
    >>> identifier_problem("../../X")
    'refers to a parent folder (..)'
    >>> identifier_problem("con")
    'is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM1-9, LPT1-9)'
    """
    text = "" if value is None else str(value)
    if len(text) > IDENTIFIER_MAX_LENGTH:
        return f"is {len(text)} characters long (at most {IDENTIFIER_MAX_LENGTH})"
    why = _why_unsafe(text)
    if why is not None:
        return why
    if not _IDENTIFIER.fullmatch(text):
        bad = sorted({ch for ch in text if not _IDENTIFIER.fullmatch(ch)})
        return ("holds characters other than letters, digits, '-' and '_' ("
                + " ".join(repr(ch) for ch in bad[:10]) + ")")
    return None


def check_identifier(value: object, what: str = "site_id") -> str:
    """Return ``value`` as str when it is a safe identifier; raise otherwise.

    Parameters
    ----------
    value : object
        The identifier.
    what : str
        Its name in the message (``"site_id"``).

    Returns
    -------
    str
        ``str(value)``.

    Raises
    ------
    UnsafePathError
        When :func:`identifier_problem` finds a problem; the message names the value (as
        ``repr``, so that control characters show), the problem and the rule.
    """
    why = identifier_problem(value)
    if why is not None:
        raise UnsafePathError(f"{what} {str(value)[:80]!r} {why}; an identifier used in file "
                              f"names must have {IDENTIFIER_RULE}")
    return str(value)


def output_path(folder: str | os.PathLike, *parts: object, identifier: object = None,
                suffix: str = "") -> Path:
    """The one way an output file's path is built: ``folder/parts.../identifier+suffix``,
    checked to stay inside ``folder``.

    Parameters
    ----------
    folder : path-like
        The folder the file belongs in (``reports``, ``data/processed``...).
    *parts : str
        Fixed sub-folders and/or a fixed file name (``"sites"``, ``"index.html"``); each one
        name, never a path with separators, never ``..``.
    identifier : object, optional
        A value from data (a site id) naming the file: checked against the identifier rule
        (:func:`check_identifier`), then followed by ``suffix``.
    suffix : str
        Appended to ``identifier`` (``".html"``); ignored without one.

    Returns
    -------
    pathlib.Path
        ``folder`` joined with the parts (not resolved: as absolute or relative as
        ``folder``). Nothing is created.

    Raises
    ------
    UnsafePathError
        When a part or the identifier is not a safe name, or the result (symbolic links
        resolved) would not be inside ``folder``.

    Examples
    --------
    >>> output_path("reports", "sites", identifier="S01", suffix=".html").as_posix()
    'reports/sites/S01.html'
    """
    names = [str(p) for p in parts]
    for name in names:
        why = _why_unsafe(name)
        if why is not None:
            raise UnsafePathError(f"output file name part {name[:80]!r} {why}")
    if identifier is not None:
        names.append(check_identifier(identifier) + suffix)
        why = _why_unsafe(names[-1])
        if why is not None:
            raise UnsafePathError(f"output file name {names[-1][:80]!r} {why}")
    base = Path(folder)
    path = base.joinpath(*names)
    root = base.resolve()
    if not path.resolve().is_relative_to(root) or path.resolve() == root and names:
        raise UnsafePathError(f"{path} would not be inside {base}; refusing to write it")
    return path


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
    def releases(self) -> Path:
        """The record of every release of reports made from this project's data
        (:mod:`peerlib.disclosure.releases`: pseudonyms with site and role, the groups
        shown, the disclosure policy), for the differencing checks of later batches. Never
        published, never committed, and kept by ``make clean``: a history that could be
        emptied by tidying up would stop protecting anyone."""
        return self.root / "data" / "releases"

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
        """The one raw Part 1 responses file in ``data/raw`` (``part1_responses`` with one
        of the extensions .csv, .xlsx, .sav, .tsv, .txt).

        Raises
        ------
        AnswerDataError
            When more than one such file exists (e.g. the demo CSV beside a filled-in
            data-entry workbook): every one is named, and none is read rather than the wrong
            one.
        FileNotFoundError
            When no ``part1_responses.*`` file exists; the message lists what was looked for.
        """
        tried, found = [], []
        for stem in RESPONSE_FILE_STEMS:
            for ext in _RESPONSE_EXTENSIONS:
                candidate = self.raw / f"{stem}{ext}"
                tried.append(candidate.name)
                if candidate.exists():
                    found.append(candidate)
        if len(found) > 1:
            import pandas as pd

            from .errors import PROBLEM_COLUMNS, AnswerDataError

            names = ", ".join(p.name for p in found)
            raise AnswerDataError(pd.DataFrame(
                [[p.name, pd.NA, pd.NA, pd.NA,
                  f"is one of {len(found)} responses files in {self.raw} ({names}); "
                  "prepare reads exactly one and will not guess which",
                  "one part1_responses.* file in data/raw (move the others away), or name "
                  "it with --responses"] for p in found], columns=PROBLEM_COLUMNS))
        if found:
            return found[0]
        raise FileNotFoundError(
            f"No raw Part 1 responses in {self.raw} (looked for {', '.join(tried)}). "
            "Run `peerlib demo-data` for the synthetic demo, or put your file there."
        )


def project_paths(root: str | os.PathLike | None = None) -> ProjectPaths:
    """Return the :class:`ProjectPaths` of ``root`` (default: :func:`project_dir`)."""
    return ProjectPaths(Path(root).resolve() if root else project_dir())
