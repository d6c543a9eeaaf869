"""The exception hierarchy of peerlib.

Every error a user can act on derives from :class:`PeerlibError` and carries structured
fields, so that a command-line run, a notebook and a test can all show or check exactly what
was wrong. Exit codes of the ``peerlib`` command follow the class (see :data:`EXIT_CODES`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a problem table is formatted, not here
    import pandas as pd

__all__ = [
    "PeerlibError",
    "CodebookError",
    "AnswerDataError",
    "ParameterError",
    "ReportError",
    "UnsafePathError",
    "KeyMismatchError",
    "LimitError",
    "ProcessedDataError",
    "OutputFolderError",
    "DataWarning",
    "QDAError",
    "QDAWarning",
    "DisclosureWarning",
    "PROBLEM_COLUMNS",
    "row_word",
    "EXIT_OK",
    "EXIT_INVALID_DATA",
    "EXIT_USAGE",
    "EXIT_INTERNAL",
]

EXIT_OK = 0
EXIT_INVALID_DATA = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: Columns of the problem table attached to :class:`AnswerDataError`.
PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem", "allowed"]


def row_word(file: object) -> str:
    """How a row of ``file`` is named in messages: ``"case"`` for an SPSS ``.sav`` file (rows
    are the case numbers SPSS shows, from 1), otherwise ``"row"`` (spreadsheet rows, header =
    row 1).

    Examples
    --------
    >>> row_word("part1_responses.sav"), row_word("part1_responses.csv")
    ('case', 'row')
    """
    return "case" if str(file).lower().endswith(".sav") else "row"


class PeerlibError(Exception):
    """Base class of every error peerlib raises on purpose."""

    exit_code = EXIT_INTERNAL


class CodebookError(PeerlibError, ValueError):
    """The codebook (instrument YAML) is malformed: names the file and the entry."""

    exit_code = EXIT_INVALID_DATA


class ParameterError(PeerlibError, ValueError):
    """A parameter (site id, option value, notebook parameter) is not allowed."""

    exit_code = EXIT_USAGE


class ProcessedDataError(ParameterError):
    """A file in ``data/processed`` is damaged (cannot be read, or no longer holds what the
    command that wrote it writes). The message names the file and the command that rebuilds
    it. Exit code 1; a :class:`ParameterError` too, for callers that caught that before.

    Parameters
    ----------
    path : str or Path
        The damaged file.
    detail : object
        What went wrong (an exception or a phrase), shortened to 200 characters.
    command : str
        The command that rebuilds the file (``peerlib prepare``).
    """

    exit_code = EXIT_INVALID_DATA

    def __init__(self, path, detail: object, command: str = "peerlib prepare"):
        self.path = Path(str(path))
        self.command = command
        if isinstance(detail, BaseException):
            detail = f"{type(detail).__name__}: {detail}"
        text = " ".join(str(detail).split())[:200]
        super().__init__(f"The processed file {self.path} is damaged and cannot be read "
                         f"({text}). It is rebuilt by `{command}`: run that again (it does not "
                         "change data/raw).")


class OutputFolderError(ParameterError):
    """An output folder cannot be written: read-only, full, forbidden, or not a folder at all
    (a file stands where it, or one of its parents, should be). The message names the folder
    and what to do; nothing in it was replaced. Exit code 2 (a choice of folder the user can
    change, not a bug).

    Parameters
    ----------
    folder : str or Path
        The output folder (``--out``), never a staging folder inside it.
    err : OSError, optional
        What the operating system said (its ``errno`` decides the reason given).
    why : str, optional
        The reason in words, instead of the one derived from ``err``.

    Attributes
    ----------
    folder : pathlib.Path
        As given.
    errno : int or None
        ``err.errno``.
    """

    def __init__(self, folder, err: OSError | None = None, why: str | None = None):
        import errno as _errno

        self.folder = Path(str(folder))
        self.errno = getattr(err, "errno", None)
        if why is None:
            why = {_errno.ENOSPC: "the disk is full", _errno.EDQUOT: "the disk quota is used up",
                   _errno.EROFS: "it is on a read-only file system",
                   _errno.ENOTDIR: "a file stands where a folder of its path should be",
                   _errno.EEXIST: "a file of that name is there, not a folder",
                   _errno.ENAMETOOLONG: "its path is too long"}.get(
                self.errno, "permission denied" if self.errno in (_errno.EACCES, _errno.EPERM)
                else "the operating system refused")
        detail = f": {err.strerror}" if getattr(err, "strerror", None) else ""
        super().__init__(
            f"cannot write to {self.folder} ({why}{detail}). Nothing was replaced: earlier "
            "outputs were left as they were. Free some space, fix the folder's permissions, "
            "or choose another folder with --out.")


class LimitError(PeerlibError, ValueError):
    """An input is larger than its size limit (:mod:`peerlib.limits`); the message names the
    file, its size, the limit and how to raise it."""

    exit_code = EXIT_INVALID_DATA


class KeyMismatchError(ParameterError):
    """The pseudonym key differs from (or is missing for) the one the prepared data was
    made with (:func:`peerlib.privacy.checked_key`)."""


class UnsafePathError(PeerlibError, ValueError):
    """A value used in a file name (a site id...) breaks the identifier rule, or an output
    path would leave its folder (:func:`peerlib.paths.output_path`)."""

    exit_code = EXIT_INVALID_DATA


class ReportError(PeerlibError, RuntimeError):
    """One or more reports of a batch failed; ``failures`` lists them."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, failures: list | None = None):
        super().__init__(message)
        self.failures = failures or []


class AnswerDataError(PeerlibError, ValueError):
    """Raw data failed validation; every problem found is listed at once.

    Parameters
    ----------
    problems : pandas.DataFrame
        One row per problem with the columns of :data:`PROBLEM_COLUMNS`: ``file`` (file name),
        ``row`` (spreadsheet row number as the user sees it, header = row 1, or the SPSS case
        number of a ``.sav`` file; NA for a problem of the whole file or column), ``column``,
        ``value`` (the value as typed), ``problem`` (what is wrong) and ``allowed`` (what
        would be accepted).
    """

    exit_code = EXIT_INVALID_DATA

    def __init__(self, problems: pd.DataFrame, *, max_lines: int = 200):
        self.problems = problems.reset_index(drop=True)
        super().__init__(self._format(max_lines))

    def _format(self, max_lines: int) -> str:
        import pandas as pd

        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} found in the input data:"]
        for rec in self.problems.head(max_lines).itertuples(index=False):
            where = [str(rec.file)]
            if isinstance(rec.column, str) and rec.column:
                where.append(f"column {rec.column}")
            if not pd.isna(rec.row):
                where.append(f"{row_word(rec.file)} {int(rec.row)}")
            value = "" if pd.isna(rec.value) else f" {str(rec.value)!r}"
            allowed = "" if not rec.allowed else f" (allowed: {rec.allowed})"
            lines.append(f"  - {', '.join(where)}:{value} {rec.problem}{allowed}")
        if n > max_lines:
            lines.append(f"  ... and {n - max_lines} more (see the full list in the problem table)")
        if self._about_answers():
            lines.append("Correct the file (for a spelling of an answer, role or site that is "
                         "right but unknown, you can instead add it as an alias to the "
                         "codebook or the site register) and run again.")
        else:
            lines.append("Correct the file and run again.")
        return "\n".join(lines)

    def _about_answers(self) -> bool:
        """True when a problem concerns an answer, role or site column (where an alias in
        the codebook or the site register is a way out); not for a file that cannot be
        read at all, nor for another file such as a QDA export."""
        columns = self.problems["column"].dropna().astype(str)
        return bool(columns.isin(["role", "site_id"]).any()
                    or columns.str.endswith(("_happening", "_importance")).any())


class QDAError(PeerlibError, ValueError):
    """A QDA export (or a file that goes with it) cannot be imported.

    Attributes
    ----------
    file : str
        The file name.
    element : str
        Where in it ("PlainTextSelection guid=..."; a zip entry; a column), or "".
    problems : list of str
        Every problem found (for position mismatches there may be many).
    """

    exit_code = EXIT_INVALID_DATA

    def __init__(self, file: str | Path, element: str, problem: str | list[str],
                 hint: str = ""):
        self.file = Path(str(file)).name
        self.element = element
        self.problems = [problem] if isinstance(problem, str) else list(problem)
        where = self.file + (f", {element}" if element else "")
        if len(self.problems) == 1:
            text = f"{where}: {self.problems[0]}"
        else:
            shown = self.problems[:50]
            text = f"{where}: {len(self.problems)} problems:\n" + "\n".join(
                f"  - {p}" for p in shown)
            if len(self.problems) > 50:
                text += f"\n  ... and {len(self.problems) - 50} more"
        super().__init__(text + (f"\n{hint}" if hint else ""))


class DataWarning(UserWarning):
    """A reading of the input that is a judgement a data manager should see (IDs that look
    like dates Excel made, missing-value words of other software); data are still prepared."""


class QDAWarning(UserWarning):
    """Something in a QDA import a data manager should look at (unmapped documents...)."""


class DisclosureWarning(UserWarning):
    """A disclosure risk the batch cannot remove by itself and the analyst must act on
    (e.g. two releases that differ by fewer than k people,
    :mod:`peerlib.disclosure.releases`)."""

