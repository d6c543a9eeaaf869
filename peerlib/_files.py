"""File mechanics shared by every writer: atomic replacement, formula-safe cells, hashes.

One place for each mechanism, so that every CSV, XLSX, HTML and JSON file the workbench
writes is replaced whole or not at all, and no cell taken from data can run as a
spreadsheet formula:

- :func:`atomic_outputs` stages a set of files in a hidden folder inside their folder and
  moves them in only when all were written; :func:`atomic_write_bytes` does the same for one file.
- :func:`neutralise_formula` (one value), :func:`formula_safe` (a table for CSV) and
  :func:`write_cell` (an openpyxl cell) apply the OWASP guidance on CSV injection;
  :func:`write_csv` is the one CSV writer of every output (RFC 4180 records, so a field
  holding a line break is always quoted, and no line inside a field starts a formula).
- :func:`sha256_file` is the digest used in provenance footers and metadata.

References
----------
OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
"""
from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import OutputFolderError

if TYPE_CHECKING:
    import pandas as pd

# numpy, pandas and pyarrow are imported by the functions that use them: a batch worker,
# which writes its executed notebooks and pages with the atomic writers below, never
# imports them (see peerlib/__init__.py).

__all__ = ["FORMULA_PREFIXES", "looks_like_formula", "neutralise_formula", "formula_safe",
           "write_cell", "write_csv", "csv_bytes", "atomic_outputs", "STAGING_PREFIX",
           "WRITE_ERRNOS", "is_inside", "atomic_write_bytes", "atomic_write_text",
           "sha256_file"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A line break inside a field followed by a formula character: a reader that splits records
#: at every line break (some spreadsheet imports do, quotes or not) would start a record there.
_LINE_FORMULA = re.compile(r"([\r\n])(?=[=+\-@\t])")


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
        For a str: ``"'" + value`` when it starts with one of :data:`FORMULA_PREFIXES`
        (``=`` ``+`` ``-`` ``@`` tab, carriage return), and ``'`` inserted after every
        carriage return or line feed inside it that is followed by one of them (so that no
        line of the field can start a formula). Anything else unchanged.

    References
    ----------
    OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x")'), neutralise_formula("Yes")
    ('\\'=HYPERLINK("http://x")', 'Yes')
    >>> neutralise_formula("Lantern\\r=SUM(1+1)")
    "Lantern\\r'=SUM(1+1)"
    """
    if not isinstance(value, str):
        return value
    if "\r" in value or "\n" in value:
        value = _LINE_FORMULA.sub(r"\1'", value)
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
    import numpy as np
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype) or out[col].dtype == object \
                or pd.api.types.is_string_dtype(out[col].dtype):
            text = out[col].astype("string")
            # each distinct text once (a column repeats a few values many times): only
            # the cells holding one that neutralise_formula changes are replaced
            codes, distinct = pd.factorize(text)
            changed = [i for i, value in enumerate(distinct)
                       if neutralise_formula(value) != value]
            if changed:
                risky = np.isin(codes, changed)
                text = text.mask(risky, text[risky].map(neutralise_formula))
            out[col] = text
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
    import pandas as pd

    cell = ws.cell(row=row, column=col)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        cell.value = None
        return cell
    if isinstance(value, str):
        if "\r" in value or "\n" in value:  # as in CSV: no line of the text a formula
            value = _LINE_FORMULA.sub(r"\1'", value)
        cell.value = value
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if looks_like_formula(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def csv_bytes(frame: pd.DataFrame, *, bom: bool = False) -> bytes:
    """A table as the bytes of a safe CSV file (see :func:`write_csv`)."""
    return _csv_text(frame).encode("utf-8-sig" if bom else "utf-8")


def _text_categories(dtype) -> bool:
    """A categorical dtype whose categories are all text."""
    import pandas as pd

    return isinstance(dtype, pd.CategoricalDtype) and all(
        isinstance(c, str) for c in dtype.categories)


def _csv_text(frame: pd.DataFrame) -> str:
    """``formula_safe(frame).to_csv(index=False)`` with CR LF records and minimal quoting,
    as text.

    A table of two or more text (string, or categorical of text), integer and boolean
    columns is written by neutralising and rendering each distinct value of a column once,
    through the csv module as pandas does, and joining the rendered cells row by row: the
    same text as pandas writes, without a csv call per cell (a prepared long table has
    300,000 rows of a few values repeated). Any other table goes through
    :func:`formula_safe` and pandas.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = list(frame.columns)
    simple = len(columns) >= 2 and all(isinstance(c, str) for c in columns) and all(
        isinstance(dtype, pd.StringDtype) or _text_categories(dtype)
        or pd.api.types.is_integer_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype) for dtype in frame.dtypes)
    if not simple:
        buffer = io.StringIO()
        formula_safe(frame).to_csv(buffer, index=False, lineterminator="\r\n",
                                   quoting=csv.QUOTE_MINIMAL)
        return buffer.getvalue()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def rendered(values: list) -> list[str]:
        """Each value as its CSV field: written in a row of two fields (a row of one
        empty field would be quoted), the second one and the record's end cut off."""
        fields = []
        for value in values:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([value, ""])
            fields.append(buffer.getvalue()[:-3])
        return fields

    header = rendered([str(c) for c in columns])
    cells = []
    for _, values in frame.items():
        if isinstance(values.dtype, pd.CategoricalDtype):  # NA: code -1, as below
            codes, distinct = values.cat.codes.to_numpy(), list(values.cat.categories)
        else:
            codes, distinct = pd.factorize(values)  # NA: code -1, the last field below ("")
        if pd.api.types.is_bool_dtype(values.dtype):
            distinct = [str(bool(v)) for v in distinct]
        elif pd.api.types.is_integer_dtype(values.dtype):
            distinct = [str(int(v)) for v in distinct]
        else:
            distinct = [neutralise_formula(v) for v in distinct]
        fields = pa.array(rendered(list(distinct)) + [""], type=pa.string())
        cells.append(fields.take(pa.array(np.where(codes < 0, len(distinct), codes))))
    records = pc.binary_join_element_wise(*cells, ",") if cells else []
    return "\r\n".join([",".join(header), *records.to_pylist()]) + "\r\n"


def write_csv(frame: pd.DataFrame, path: str | Path, *, bom: bool = False) -> Path:
    """The one CSV writer of every output file: formula-safe cells, RFC 4180 records.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.
    path : str or Path
        The file (written whole: a temporary file beside it, then moved over it).
    bom : bool
        Start with a UTF-8 byte-order mark (Excel then opens non-ASCII text correctly).

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Text cells go through :func:`formula_safe` (IDs stay text; a cell starting with
    ``=`` ``+`` ``-`` ``@`` tab or carriage return gets a ``'``, and so does every line
    inside a cell that would start with one). Records end with CR LF (RFC 4180), so the csv
    module quotes every field holding a carriage return or a line feed: a line break inside
    a field never ends a record.

    References
    ----------
    Shafranovich, Y. (2005). Common Format and MIME Type for Comma-Separated Values (CSV)
    Files. RFC 4180. OWASP Foundation. CSV Injection.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_bytes(pd.DataFrame({"site_name": ["Lantern\\r=SUM(1+1)"]}))
    b'site_name\\r\\n"Lantern\\r\\'=SUM(1+1)"\\r\\n'
    """
    return atomic_write_bytes(path, csv_bytes(frame, bom=bom))


#: Prefix of the hidden staging folder :func:`atomic_outputs` makes inside an output folder
#: (followed by the writing process's id, so that one left by a killed run can be told from
#: one still in use).
STAGING_PREFIX = ".peerlib-staging-"

#: errno values that mean "this folder cannot be written" rather than a bug.
WRITE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT})


def is_inside(name: object, folder: str | Path) -> bool:
    """Whether the path ``name`` is ``folder`` or inside it (compared as absolute paths,
    without resolving links).

    Parameters
    ----------
    name : str, bytes, Path or None
        A path, e.g. the ``filename`` of an ``OSError``; None is inside nothing.
    folder : str or Path
        The folder.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_inside("/data/out/.stage/a.csv", "/data/out"), is_inside("/data/b", "/data/out")
    (True, False)
    """
    folder = Path(folder)
    if name is None:
        return False
    try:
        path = Path(os.fsdecode(name)).absolute()
    except (TypeError, ValueError):
        return False
    folder = folder.absolute()
    return path == folder or folder in path.parents


def _remove_orphan_stages(out: Path) -> None:
    """Remove staging folders in ``out`` left by a run that was killed outright."""
    import psutil

    for folder in out.glob(STAGING_PREFIX + "*"):
        try:
            pid = int(folder.name[len(STAGING_PREFIX):].split("-")[0])
        except ValueError:
            pid = -1
        if pid > 0 and pid != os.getpid() and psutil.pid_exists(pid):
            continue  # another run still writing here
        if pid != os.getpid():
            shutil.rmtree(folder, ignore_errors=True)


def _fsync(path: Path, *, directory: bool = False) -> None:
    """Flush a file (or a folder's entries) to disk; silently skipped where the platform
    cannot (folders on Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_outputs(out: str | Path):
    """Stage files in a hidden folder inside ``out``; move them in only on success.

    Parameters
    ----------
    out : str or Path
        The folder the files belong in (created when missing).

    Yields
    ------
    pathlib.Path
        The staging folder (``out/.peerlib-staging-<pid>-<random>``). When the block
        finishes, every file in it is flushed to disk and then replaces its namesake in
        ``out`` (``os.replace``). When the block raises (or is interrupted), the staging
        folder is removed and ``out`` is untouched.

    Raises
    ------
    OutputFolderError
        When ``out`` cannot be created or written (read-only, full, forbidden, or a file
        where the folder or one of its parents should be), also when that shows while the
        block writes into the staging folder; nothing in ``out`` was replaced.

    Notes
    -----
    The staging folder is inside ``out`` so that every rename stays on one file system:
    ``out`` may be a mount point of its own (a network share, a USB disk, a tmpfs), and a
    rename across file systems fails (``EXDEV``). Staging folders left by a run that was
    killed outright are removed the next time ``out`` is written.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _remove_orphan_stages(out)
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out))
    except OSError as err:
        raise OutputFolderError(out, err) from err
    try:
        try:
            yield stage
        except OSError as err:  # the staging folder filled up or became unwritable
            if err.errno in WRITE_ERRNOS and (err.filename is None
                                              or is_inside(err.filename, out)):
                raise OutputFolderError(out, err) from err
            raise
        items = sorted(stage.iterdir())
        try:
            for item in items:
                if item.is_file():
                    _fsync(item)
        except OSError as err:
            raise OutputFolderError(out, err) from err
        for item in items:
            os.replace(item, out / item.name)  # one folder tree: one file system
        _fsync(out, directory=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int = 0o666) -> Path:
    """Replace ``path`` with ``data`` whole: written to a temporary file beside it, flushed,
    then moved over it (``os.replace``).

    Parameters
    ----------
    path : str or Path
        The file (its folder is created when missing).
    data : bytes
        The new content.
    mode : int
        Permissions of the new file before the process's umask applies, as for any file
        the process creates: the default 0o666 gives the usual ``-rw-r--r--`` (umask 022),
        so that reports on a shared drive are readable by their readers; 0o600 for a file
        only its owner may read.

    Returns
    -------
    pathlib.Path
        ``path``. On any error the old file is untouched and no temporary file is left.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.tmp-{secrets.token_hex(6)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         mode)
            break
        except FileExistsError:  # pragma: no cover - a 48-bit name already taken
            continue
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


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8", *,
                      mode: int = 0o666) -> Path:
    """:func:`atomic_write_bytes` for text (``encoding`` default UTF-8)."""
    return atomic_write_bytes(path, text.encode(encoding), mode=mode)


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
