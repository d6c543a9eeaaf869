"""Reading raw files as people produce them.

CSV in UTF-8, UTF-8 with a byte-order mark, UTF-16 ("Unicode Text" from Excel) or
Windows-1252, separated by commas, semicolons or tabs; XLSX (the first sheet, or a named one).
Every cell is read as text (blank = ``""``) so that IDs keep their leading zeros and
validation sees exactly what was typed; converting is the job of :mod:`peerlib.codebook`.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from .errors import AnswerDataError, PROBLEM_COLUMNS

__all__ = ["read_table", "detect_encoding", "FIRST_DATA_ROW"]

#: Spreadsheet row number of the first data row (the header is row 1).
FIRST_DATA_ROW = 2

_DELIMITERS = ",;\t|"


def _problem(path: Path, problem: str, *, column: str = "", value=None, allowed: str = ""):
    frame = pd.DataFrame([[path.name, pd.NA, column, value, problem, allowed]],
                         columns=PROBLEM_COLUMNS)
    return AnswerDataError(frame)


def detect_encoding(data: bytes) -> str:
    """Decide the text encoding of a CSV file's bytes.

    A byte-order mark decides first (UTF-8, UTF-16 LE/BE); otherwise strict UTF-8 is tried,
    then Windows-1252 (what Excel on Windows writes for "CSV"). Latin-1 is never assumed,
    because it silently turns Windows-1252's curly apostrophe (0x92) into a control character.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    str
        A Python codec name: ``"utf-8-sig"``, ``"utf-16"``, ``"utf-8"`` or ``"cp1252"``.

    Raises
    ------
    UnicodeDecodeError
        When the bytes are neither UTF-8 nor Windows-1252 (e.g. bytes 0x81, 0x8D, 0x8F,
        0x90 or 0x9D, which Windows-1252 does not define).

    Examples
    --------
    >>> detect_encoding("Don’t know".encode("cp1252"))
    'cp1252'
    >>> detect_encoding("Don’t know".encode("utf-8"))
    'utf-8'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        data.decode("cp1252")  # raises if not Windows-1252 either
        return "cp1252"


def _sniff_delimiter(text: str) -> str:
    header = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(text[:20000], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _clean_headers(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    names = [str(c).replace("\ufeff", "").strip().lower() for c in frame.columns]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    dupes = sorted(n for n, count in seen.items() if count > 1 and n)
    if dupes:
        raise _problem(path, "column names appear more than once in the header row: "
                       + ", ".join(dupes), allowed="each column once")
    frame.columns = names
    # Columns with an empty header and no data are Excel's trailing separators.
    empty = [c for c in frame.columns if (c == "" or c.startswith("unnamed:"))
             and frame[c].fillna("").astype(str).str.strip().eq("").all()]
    return frame.drop(columns=empty)


def read_table(path: str | Path, *, sheet: str | None = None, delimiter: str | None = None,
               encoding: str | None = None) -> pd.DataFrame:
    """Read a raw CSV or XLSX file with every cell as text.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv``/``.txt`` file or an ``.xlsx`` workbook.
    sheet : str, optional
        Worksheet name of a workbook; default the first sheet.
    delimiter : str, optional
        Field separator of a CSV; default detected among ``,`` ``;`` tab ``|``.
    encoding : str, optional
        Text encoding of a CSV; default detected (:func:`detect_encoding`).

    Returns
    -------
    pandas.DataFrame
        One row per data row of the file, in file order; the index is the spreadsheet row
        minus :data:`FIRST_DATA_ROW` (so problems quote the row the user sees), and wholly
        empty rows (blank lines, rows of separators only) are left out. Column names stripped and lower-cased; values are
        ``str`` (object dtype), blank cells ``""``. ``attrs["source"]`` holds the file name,
        ``attrs["encoding"]`` and ``attrs["delimiter"]`` what was used.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    AnswerDataError
        When the file cannot be decoded, the sheet does not exist, the header repeats a column
        name, or the format is not supported; the message names the file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Input file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path, sheet)
        frame.attrs.update(encoding="xlsx", delimiter="")
    elif suffix in (".csv", ".tsv", ".txt"):
        data = path.read_bytes()
        try:
            enc = encoding or detect_encoding(data)
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as err:
            raise _problem(path, f"cannot be read as text ({err})",
                           allowed="CSV saved as UTF-8, UTF-16 or Windows-1252") from err
        if "\x00" in text:  # decodes, but is a binary file (or UTF-16 without a BOM)
            raise _problem(path, "is not a text file (it holds NUL bytes)",
                           allowed="CSV saved as UTF-8, UTF-16 or Windows-1252; for UTF-16 "
                                   "without a byte-order mark give the encoding utf-16")
        text = text.lstrip("\ufeff")
        sep = delimiter or _sniff_delimiter(text)
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                na_values=[], skip_blank_lines=False, engine="python")
        except (pd.errors.ParserError, ValueError) as err:
            raise _problem(path, f"is not a readable delimited text file ({err})",
                           allowed=f"fields separated by {sep!r}") from err
        frame = frame.astype(object).fillna("")  # a blank line reads as NaN
        frame.attrs.update(encoding=enc, delimiter=sep)
    else:
        raise _problem(path, f"has an unsupported file type {suffix!r}",
                       allowed=".csv, .tsv, .txt, .xlsx")
    frame.attrs["source"] = path.name
    frame = _clean_headers(frame, path)
    # Drop wholly empty rows but keep the index, so that index + FIRST_DATA_ROW stays the
    # spreadsheet row number of every row after them.
    blank = frame.apply(lambda col: col.astype(str).str.strip().eq("")).all(axis=1)
    if len(frame.columns) and blank.any():
        attrs = dict(frame.attrs)
        frame = frame.loc[~blank]
        frame.attrs.update(attrs)
    return frame


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # openpyxl raises several types for a broken workbook
        raise _problem(path, f"is not a readable Excel workbook ({err})",
                       allowed=".xlsx saved by Excel or LibreOffice") from err
    with book:
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise _problem(path, "is not a sheet of this workbook",
                           value=sheet, allowed="sheets found: " + ", ".join(names))
        frame = pd.read_excel(book, sheet_name=sheet if sheet is not None else names[0],
                              dtype=object, header=0, keep_default_na=False, na_values=[])
    # Excel numbers arrive as int/float: show whole numbers without ".0" and keep text as is.
    def as_text(value):
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    frame = frame.map(as_text) if hasattr(frame, "map") else frame.applymap(as_text)
    return frame.astype(object)
