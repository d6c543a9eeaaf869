"""File mechanics shared by every writer: atomic replacement, formula-safe cells, hashes.

One place for each mechanism, so that every CSV, XLSX, HTML and JSON file the workbench
writes is replaced whole or not at all, and no cell taken from data can run as a
spreadsheet formula:

- :func:`atomic_outputs` stages a set of files beside their folder and moves them in only
  when all were written; :func:`atomic_write_bytes` does the same for one file.
- :func:`neutralise_formula` (one value), :func:`formula_safe` (a table for CSV) and
  :func:`write_cell` (an openpyxl cell) apply the OWASP guidance on CSV injection.
- :func:`sha256_file` is the digest used in provenance footers and metadata.

References
----------
OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "looks_like_formula", "neutralise_formula", "formula_safe",
           "write_cell", "atomic_outputs", "atomic_write_bytes", "atomic_write_text",
           "sha256_file"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    """True when a spreadsheet would read ``value`` as a formula.

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    bool
        True for a str starting with one of :data:`FORMULA_PREFIXES`.
    """
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise_formula(value: object) -> object:
    """Prefix ``'`` to text a spreadsheet would run as a formula; leave anything else as is.

    Parameters
    ----------
    value : object
        A cell value about to be written to a CSV or XLSX file.

    Returns
    -------
    object
        ``"'" + value`` when ``value`` is a str starting with one of
        :data:`FORMULA_PREFIXES` (``=`` ``+`` ``-`` ``@`` tab, carriage return), else
        ``value`` unchanged.

    References
    ----------
    OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x")'), neutralise_formula("Yes")
    ('\\'=HYPERLINK("http://x")', 'Yes')
    """
    return "'" + value if looks_like_formula(value) else value


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` for CSV export: text columns as ``string`` (IDs stay text), every
    cell a spreadsheet would run as a formula prefixed with ``'``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table.

    Returns
    -------
    pandas.DataFrame
        Same shape and index; categorical, object and string columns become ``string``
        with :func:`neutralise_formula` applied; other columns unchanged.
    """
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype) or out[col].dtype == object \
                or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype("string").map(neutralise_formula, na_action="ignore")
    return out


def write_cell(ws, row: int, col: int, value: object):
    """Write ``value`` into an openpyxl worksheet cell so that it can never be a formula.

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        The sheet.
    row, col : int
        1-based cell position.
    value : object
        None or NA leave the cell empty; text is stored as text (``data_type`` "s") and
        text that looks like a formula gets Excel's quote prefix, so it stays text when
        the cell is edited; numbers are stored as numbers.

    Returns
    -------
    openpyxl.cell.Cell
        The cell, for styling.
    """
    cell = ws.cell(row=row, column=col)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        cell.value = None
        return cell
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if looks_like_formula(value):
            cell.quotePrefix = True
    return cell


@contextmanager
def atomic_outputs(out: str | Path):
    """Stage files in a temporary folder beside ``out``; move them in only on success.

    Parameters
    ----------
    out : str or Path
        The folder the files belong in (created when missing).

    Yields
    ------
    pathlib.Path
        The staging folder. When the block finishes, every file in it replaces its
        namesake in ``out`` (``os.replace``, atomic per file on one file system). When the
        block raises (or is interrupted), the staging folder is removed and ``out`` is
        untouched.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield stage
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(stage.iterdir()):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Replace ``path`` with ``data`` whole: written to a temporary file beside it, flushed,
    then moved over it (``os.replace``).

    Parameters
    ----------
    path : str or Path
        The file (its folder is created when missing).
    data : bytes
        The new content.

    Returns
    -------
    pathlib.Path
        ``path``. On any error the old file is untouched and no temporary file is left.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """:func:`atomic_write_bytes` for text (``encoding`` default UTF-8)."""
    return atomic_write_bytes(path, text.encode(encoding))


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (read in 1 MiB blocks).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        64 lowercase hex characters.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
