"""Reading raw files as people produce them.

CSV in UTF-8, UTF-8 with a byte-order mark, UTF-16 ("Unicode Text" from Excel) or
Windows-1252, separated by commas, semicolons or tabs; XLSX (the first sheet, or a named one);
SPSS ``.sav`` (read with pyreadstat, user-missing codes kept, every labelled code replaced by
its value label). Every cell is read as text (blank = ``""``) so that IDs keep their leading
zeros and validation sees exactly what was typed; converting is the job of
:mod:`peerlib.codebook`. Also reads the column-map file of ``prepare --column-map``.
"""
from __future__ import annotations

import csv
import io
import math
import warnings
from pathlib import Path

import pandas as pd
import yaml

from ..errors import AnswerDataError, PROBLEM_COLUMNS
from ..limits import check_file_size, check_zip, load_yaml, read_bytes

__all__ = ["read_table", "detect_encoding", "read_column_map", "first_data_row",
           "FIRST_DATA_ROW", "SAV_FIRST_CASE"]

#: Spreadsheet row number of the first data row (the header is row 1).
FIRST_DATA_ROW = 2
#: SPSS case number of the first case of a ``.sav`` file (cases are numbered from 1).
SAV_FIRST_CASE = 1

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


def _header_name(name: object) -> str:
    """A column name as peerlib compares it: byte-order mark removed, stripped, lower case."""
    return str(name).replace("\ufeff", "").strip().lower()


def first_data_row(frame: pd.DataFrame) -> int:
    """The row number a user sees for index 0 of a frame read by :func:`read_table`.

    Parameters
    ----------
    frame : pandas.DataFrame
        As returned by :func:`read_table`.

    Returns
    -------
    int
        :data:`FIRST_DATA_ROW` (2: spreadsheet rows, header in row 1) for CSV and XLSX,
        :data:`SAV_FIRST_CASE` (1: SPSS case numbers) for ``.sav``; the frame's index plus this
        number is the row or case number to quote in messages.
    """
    return int(frame.attrs.get("first_data_row", FIRST_DATA_ROW))


def _check_title_line(text: str, sep: str, path: Path) -> None:
    """A CSV whose first line is a title (one or two cells) above wider rows has its header
    further down: say where, instead of letting the parser mis-read every row."""
    lines = text.splitlines()[:30]
    try:
        rows = list(csv.reader(lines, delimiter=sep))
    except csv.Error:
        return
    filled = [sum(1 for cell in row if cell.strip()) for row in rows]
    if not rows or filled[0] > 2:
        return
    for number, (row, count) in enumerate(zip(rows, filled), start=1):
        if number > 1 and count >= 3 and len(row) > len(rows[0]):
            raise _problem(path, f"the header row seems to be row {number}; put it in row 1 or "
                           "delete the rows above it (a title, notes, blank rows)",
                           allowed="column names in row 1, one record per row below")


def _read_ragged(text: str, sep: str, path: Path) -> pd.DataFrame:
    """A CSV whose rows do not all have the header's number of fields, read record by
    record: a short row is padded with blanks; empty fields beyond the header's last column
    are trailing separators (Excel writes them) and are left out; a value there would be
    lost, so every such row is a problem (its row number, the values, what is allowed), all
    at once. Index: record number minus :data:`FIRST_DATA_ROW` (blank lines included)."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records, problems = [], []
    try:
        header = next(rows, [])
        width = len(header)
        for number, row in enumerate(rows, start=FIRST_DATA_ROW):
            if any(cell.strip() for cell in row[width:]):
                problems.append([path.name, number, "", sep.join(row[width:]),
                                 f"is beyond the {width} columns of the header row (the row "
                                 f"has {len(row)} fields)", "one value per column named in "
                                 "the header row (a column name for every field, or the "
                                 "extra values removed)"])
            records.append(row[:width] + [""] * (width - len(row)))
    except csv.Error as err:
        raise _problem(path, f"is not a readable delimited text file ({err})",
                       allowed=f"fields separated by {sep!r}") from err
    if problems:
        raise AnswerDataError(pd.DataFrame(problems, columns=PROBLEM_COLUMNS))
    return pd.DataFrame(records, columns=header, dtype=object)


def _clean_headers(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    names = [_header_name(c) for c in frame.columns]
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
    """Read a raw CSV, XLSX or SPSS file with every cell as text.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv``/``.txt`` file, an ``.xlsx`` workbook or an SPSS ``.sav`` file.
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
        empty rows (blank lines, rows of separators only) are left out. Column names
        stripped and lower-cased; values are ``str`` (object dtype), blank cells ``""``. ``attrs["source"]`` holds the file name,
        ``attrs["encoding"]`` and ``attrs["delimiter"]`` what was used,
        ``attrs["first_data_row"]`` the row number of index 0 (:func:`first_data_row`).

        For a ``.sav`` file the index is the SPSS case number minus 1; a numeric code with a
        value label becomes the label's text (user-missing codes included: they are read as
        the codes they are, never as blanks), system-missing becomes ``""``, and whole numbers
        lose their ``.0``. ``attrs["value_labels"]`` maps column -> {code as text: label};
        ``attrs["unlabelled_codes"]`` maps column -> {index: (code as text, declared
        user-missing?)} for every numeric value that has no value label (validation reports
        those in answer, role and site columns, see
        :func:`peerlib.validate.normalise_responses`). A text value of a string variable
        follows the same rule as a numeric code: its value label, if it has one, decides;
        a value the file declares user-missing without a label is no answer (``""``; listed
        in ``attrs["declared_missing"]``, column -> {index: value}); any other text is kept
        as typed.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    AnswerDataError
        When the file cannot be decoded, the sheet does not exist, the header repeats a column
        name, or the format is not supported; the message names the file.
    LimitError
        When the file is larger than the ``raw_file`` limit, or a workbook unpacks to more
        than the ``archive`` limit (:mod:`peerlib.limits`).

    Notes
    -----
    ``.sav`` files are read with ``pyreadstat.read_sav(path, user_missing=True)``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Input file not found: {path}")
    check_file_size(path, "raw_file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        check_zip(path)
        frame = _read_xlsx(path, sheet)
        frame.attrs.update(encoding="xlsx", delimiter="")
    elif suffix in (".csv", ".tsv", ".txt"):
        data = read_bytes(path, "raw_file")
        if not data.strip():
            raise _problem(path, "is empty: it has no header row and no data",
                           allowed="a header row (participant_id, site_id, role, ...) and one "
                                   "row per interview")
        try:
            enc = encoding or detect_encoding(data)
            text = data.decode(enc)
        except LookupError as err:
            raise _problem(path, f"names an unknown text encoding ({encoding!r})",
                           allowed="utf-8, utf-8-sig, utf-16, cp1252 (Windows)") from err
        except UnicodeDecodeError as err:
            raise _problem(path, "cannot be read as text: it is not UTF-8, UTF-16 or Windows-"
                           "1252 (is it a workbook or another binary file saved with a .csv "
                           f"name? byte {err.start + 1} is 0x{data[err.start]:02x})",
                           allowed="CSV saved as UTF-8, UTF-16 or Windows-1252, or .xlsx"
                           ) from err
        if "\x00" in text:  # decodes, but is a binary file (or UTF-16 without a BOM)
            raise _problem(path, "is not a text file (it holds NUL bytes)",
                           allowed="CSV saved as UTF-8, UTF-16 or Windows-1252; for UTF-16 "
                                   "without a byte-order mark give the encoding utf-16")
        text = text.lstrip("\ufeff")
        sep = delimiter or _sniff_delimiter(text)
        _check_title_line(text, sep, path)
        try:
            # index_col=False: a data row with more fields than the header (Excel's trailing
            # separators) must not turn the first column into the index and shift every
            # column left; pandas then drops the extra fields and warns, or stops at a row
            # longer than the rows before it: such a file is read by _read_ragged
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str,
                                    keep_default_na=False, na_values=[],
                                    skip_blank_lines=False, index_col=False)
            if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
                frame = _read_ragged(text, sep, path)
        except (pd.errors.ParserError, ValueError) as err:
            if "Expected" in str(err) and "fields" in str(err):
                frame = _read_ragged(text, sep, path)
            else:
                raise _problem(path, f"is not a readable delimited text file ({err}); if a "
                               "title or notes are above the header row, put the header in "
                               "row 1", allowed=f"fields separated by {sep!r}") from err
        frame = frame.astype(object).fillna("")  # a blank line reads as NaN
        frame.attrs.update(encoding=enc, delimiter=sep)
    elif suffix == ".sav":
        frame = _read_sav(path)
    else:
        raise _problem(path, f"has an unsupported file type {suffix!r}",
                       allowed=".csv, .tsv, .txt, .xlsx, .sav")
    frame.attrs["source"] = path.name
    frame.attrs.setdefault("first_data_row", FIRST_DATA_ROW)
    attrs = dict(frame.attrs)
    frame = _clean_headers(frame, path)
    frame.attrs.update(attrs)
    # Drop wholly empty rows but keep the index, so that index + FIRST_DATA_ROW stays the
    # spreadsheet row number of every row after them.
    blank = _blank_rows(frame)
    if len(frame.columns) and blank.any():
        attrs = dict(frame.attrs)
        frame = frame.loc[~blank]
        frame.attrs.update(attrs)
    return frame


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """True for each row whose every cell is blank or white space. Each column is looked at
    only in the rows still blank after the columns before it (after an ID column, in
    hardly any)."""
    rows = frame.index
    for column in range(frame.shape[1]):
        if not len(rows):
            break
        cells = frame.iloc[:, column].loc[rows]
        rows = rows[cells.astype(str).str.strip().eq("").to_numpy()]
    return pd.Series(frame.index.isin(rows), index=frame.index)


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
    _check_formulas(path, sheet if sheet is not None else names[0])
    # Excel numbers arrive as int/float: show whole numbers without ".0" and keep text as is.
    def as_text(value):
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    frame = frame.map(as_text) if hasattr(frame, "map") else frame.applymap(as_text)
    frame = frame.astype(object)
    frame.attrs["sheet"] = sheet if sheet is not None else names[0]
    frame.attrs["other_sheets"] = [n for n in names if n != frame.attrs["sheet"]]
    return frame


def _check_formulas(path: Path, sheet: str) -> None:
    """Refuse formula cells of ``sheet`` that hold no saved result.

    A workbook keeps each formula's last result beside it when Excel or LibreOffice saves
    it, and that result is what is read. A workbook written by a script (or by a tool that
    does not calculate) has formulas without results: read as they are, ``="Yes"`` would
    become a blank answer and ``=A1`` a missing importance, silently (helper-29). Every such
    cell is named at once.

    Raises
    ------
    AnswerDataError
        One row per formula cell without a saved result: the sheet row, the column's
        header, the formula.
    """
    import zipfile

    def has_formula(xml: bytes) -> bool:
        return b"<f>" in xml or b"<f " in xml

    try:  # most workbooks hold no formula at all: a look at the sheets' XML decides
        with zipfile.ZipFile(path) as archive:
            if not any(has_formula(archive.read(name)) for name in archive.namelist()
                       if name.startswith("xl/worksheets/") and name.endswith(".xml")):
                return
    except (OSError, zipfile.BadZipFile, KeyError):
        return  # read above; nothing more to learn here
    from openpyxl import load_workbook

    books = [load_workbook(path, read_only=True, data_only=only) for only in (False, True)]
    try:
        rows = _unsaved_formulas(path, books[0][sheet], books[1][sheet])
    finally:
        for book in books:
            book.close()
    if rows:
        raise AnswerDataError(pd.DataFrame(rows, columns=PROBLEM_COLUMNS))


def _unsaved_formulas(path: Path, formulas, values) -> list[list]:
    header: list[str] = []
    rows = []
    for number, (with_f, saved) in enumerate(zip(formulas.iter_rows(), values.iter_rows()),
                                             start=1):
        if number == 1:
            header = ["" if c.value is None else str(c.value) for c in saved]
        for cell, result in zip(with_f, saved):
            if getattr(cell, "data_type", "") == "f" and result.value is None:
                column = header[cell.column - 1] if cell.column - 1 < len(header) else ""
                rows.append([path.name, cell.row, column or cell.column_letter,
                             str(cell.value)[:80],
                             "is a formula with no saved result (the workbook was not "
                             "saved by a spreadsheet program), so its answer cannot be read",
                             "the answer typed as a value; or open the workbook in Excel or "
                             "LibreOffice and save it, which stores each formula's result"])
    return rows


def _code_text(value: object) -> str:
    """A numeric SPSS code as text: ``8.0`` -> ``"8"``, ``2.5`` -> ``"2.5"``."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _read_sav(path: Path) -> pd.DataFrame:
    import pyreadstat  # imported here: only .sav input needs it

    try:
        data, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as err:
        raise _problem(path, f"is not a readable SPSS .sav file ({err})",
                       allowed="a .sav file saved by SPSS, PSPP or pyreadstat") from err
    value_labels: dict[str, dict[str, str]] = {}
    unlabelled: dict[str, dict[int, tuple[str, bool]]] = {}
    declared_missing: dict[str, dict[int, str]] = {}
    columns: dict[str, list[str]] = {}
    for name in data.columns:
        key = _header_name(name)
        labels = {(_code_text(code) if _is_number(code) else str(code).strip()): str(label)
                  for code, label in (meta.variable_value_labels.get(name) or {}).items()}
        ranges = [(r["lo"], r["hi"]) for r in (meta.missing_ranges.get(name) or [])
                  if _is_number(r.get("lo")) and _is_number(r.get("hi"))]
        # String variables: the values the file declares missing (discrete, lo == hi).
        missing_text = {str(r["lo"]).strip() for r in (meta.missing_ranges.get(name) or [])
                        if isinstance(r.get("lo"), str)}
        missing_text |= {str(v).strip() for v in
                         ((getattr(meta, "missing_user_values", None) or {}).get(name) or [])
                         if isinstance(v, str)}
        cells, flagged, declared = [], {}, {}
        for idx, value in enumerate(data[name].tolist()):
            if value is None or (isinstance(value, float) and math.isnan(value)) \
                    or value is pd.NaT:
                cells.append("")                         # system-missing: no answer
            elif _is_number(value):
                code = _code_text(value)
                if code in labels:
                    cells.append(labels[code])
                else:
                    cells.append(code)
                    flagged[idx] = (code, any(lo <= value <= hi for lo, hi in ranges))
            elif hasattr(value, "isoformat"):              # SPSS date and time formats
                cells.append(value.isoformat())
            else:
                text = str(value)
                if text.strip() in labels:   # a label decides, declared missing or not
                    cells.append(labels[text.strip()])
                elif text.strip() in missing_text:
                    cells.append("")         # declared missing, no label: no answer
                    declared[idx] = text.strip()
                else:
                    cells.append(text)
        columns[key] = cells
        if labels:
            value_labels[key] = labels
        if flagged:
            unlabelled[key] = flagged
        if declared:
            declared_missing[key] = declared
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(data)), dtype=object)
    if len(columns) != len(data.columns):
        raise _problem(path, "has variable names that differ only in case",
                       allowed="each variable name once")
    frame.attrs.update(encoding=str(meta.file_encoding or ""), delimiter="",
                       first_data_row=SAV_FIRST_CASE, value_labels=value_labels,
                       unlabelled_codes=unlabelled, declared_missing=declared_missing)
    return frame


#: Accepted header names of a CSV/XLSX column map: the export's column, then peerlib's.
_MAP_HEADER = ("from", "to")


def read_column_map(path: str | Path) -> pd.DataFrame:
    """Read a column-map file: the export's column names -> peerlib's raw column names.

    Parameters
    ----------
    path : str or Path
        A YAML file (``.yaml``/``.yml``) holding one mapping ``export name: peerlib name``
        (e.g. ``Q2.1a: q2_1_happening``), or a table (``.csv``, ``.tsv``, ``.txt``,
        ``.xlsx``, read like :func:`read_table`) with the header ``from,to`` and one row per
        mapped column.

    Returns
    -------
    pandas.DataFrame
        One row per entry in file order: ``from`` (the export's column name, stripped),
        ``to`` (the raw column name peerlib reads, stripped and lower-cased) and ``row``
        (Int64: the map file's spreadsheet row for a table, NA for YAML).
        ``attrs["source"]`` holds the file name. Conflicts between entries (a column mapped
        twice, two columns mapped to one name) are left for
        :func:`peerlib.validate.normalise_responses` to report with the data's problems.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    AnswerDataError
        Listing every problem of the map file itself: not YAML or not a mapping, a table
        without the ``from`` and ``to`` columns, a blank name, a name YAML read as a number
        or true/false (quote it: ``"2.10"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "map.yaml").write_text("ID: participant_id\\nQ2.1a: q2_1_happening\\n")
    >>> read_column_map(folder / "map.yaml")[["from", "to"]].values.tolist()
    [['ID', 'participant_id'], ['Q2.1a', 'q2_1_happening']]
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Column map not found: {path}")
    problems: list[list] = []

    def problem(row, column, value, text, allowed):
        problems.append([path.name, row, column, value, text, allowed])

    entries: list[tuple[str, str, object]] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            spec = load_yaml(path)
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise _problem(path, f"is not valid YAML ({err})",
                           allowed="one mapping, e.g. Q2.1a: q2_1_happening") from err
        if not isinstance(spec, dict) or not spec:
            raise _problem(path, "must hold one mapping from the export's column names to "
                           "peerlib's", value=str(spec)[:80],
                           allowed="e.g. Q2.1a: q2_1_happening (one per line)")
        for source, target in spec.items():
            bad = [v for v in (source, target) if not isinstance(v, str) or not v.strip()]
            if bad:
                problem(pd.NA, "", f"{source}: {target}",
                        "has a name that is blank, a number or true/false to YAML",
                        'quote names like "2.10" or "yes"; no blank names')
                continue
            entries.append((source.strip(), _header_name(target), pd.NA))
    else:
        table = read_table(path)
        missing = [c for c in _MAP_HEADER if c not in table.columns]
        if missing:
            raise _problem(path, "needs the columns " + " and ".join(_MAP_HEADER)
                           + " in its header row", value=", ".join(table.columns),
                           allowed="header row: from,to (the export's name, then peerlib's)")
        first = first_data_row(table)
        for idx, source, target in zip(table.index, table["from"], table["to"]):
            blank = [c for c, v in zip(_MAP_HEADER, (source, target)) if not str(v).strip()]
            for column in blank:
                problem(idx + first, column, "", "is blank",
                        "a column name in both from and to")
            if not blank:
                entries.append((str(source).strip(), _header_name(target), idx + first))
    if problems:
        raise AnswerDataError(pd.DataFrame(problems, columns=PROBLEM_COLUMNS))
    out = pd.DataFrame(entries, columns=["from", "to", "row"])
    out["row"] = out["row"].astype("Int64")
    out.attrs["source"] = path.name
    return out
