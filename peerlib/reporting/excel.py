"""Excel workbooks for readers: the framework matrix, one sheet per theme."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._files import write_cell
from ..disclosure import DEFAULT_MIN_GROUP_SIZE
from ..paths import project_paths
from ..part2.framework import CASE_COLUMNS, ROWS_NOT_SHOWN, publish_matrix, theme_sheets
from ..part2.summaries import (FINGERPRINT_HEADER, INDEX_SHEET, SUMMARY_HEADER,
                               charting_sheets)
from .sections import case_headers

__all__ = ["write_framework_workbook", "print_setup", "workbook_path", "export_workbook",
           "CHARTING_XLSX", "charting_path"]

#: The analysts' charting workbook (every participant, every role), written beside the
#: prepared data, never into ``reports/``.
CHARTING_XLSX = "framework_charting.xlsx"

def write_framework_workbook(sheets: dict[str, pd.DataFrame], path: str | Path, *,
                             title: str = "", synthetic: bool = False,
                             notes: tuple[str, ...] = ()) -> Path:
    """Write the framework matrix as an Excel workbook, one sheet per theme.

    Parameters
    ----------
    sheets : dict of str to pandas.DataFrame
        From :func:`theme_sheets` (normally after :func:`mask_roles`).
    path : str or Path
        The ``.xlsx`` to write (replaced atomically).
    title : str
        Written in a first "About" sheet with how to read the workbook.
    synthetic : bool
        Say in the About sheet that the data are synthetic.
    notes : tuple of str
        More lines for the About sheet (rows left out, who the workbook is for).

    Returns
    -------
    pathlib.Path
        The workbook written.

    Notes
    -----
    The case columns are headed in readers' words (:func:`case_headers`: "Site",
    "Participant", "Sector", "Organisation type", "Participant's role"); the frames keep
    their column names. Every text cell is stored as text, never as a formula, and text
    that a spreadsheet would run (starting with ``=``, ``+``, ``-``, ``@``) gets Excel's
    quote prefix (OWASP guidance on CSV/formula injection). Sheet names are cut to Excel's
    31 characters, with characters Excel forbids (``[]:*?/\\``) replaced, and made unique.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    path = Path(path)
    wb = Workbook()
    about = wb.active
    about.title = "About"
    lines = [title or "Framework matrix",
             "SYNTHETIC DEMO DATA: every excerpt is invented." if synthetic else "",
             "One sheet per theme: a row per participant (grouped by site), a column per "
             "code of the theme; each cell holds the participant's coded excerpts with "
             "references [document label, start-end positions] (a document is labelled with its "
             "participant's pseudonym, never its name in the QDA software).",
             *notes,
             "Charting: write a summary of each participant's excerpts in the Summary column "
             "(and of each site in its '(site summary)' row) of a copy of the analysts' "
             f"workbook data/processed/{CHARTING_XLSX} (every participant; the next batch "
             "rewrites it, so copy it first, e.g. to data/raw/framework_summaries.xlsx), keep "
             "the theme sheets' names, and run: peerlib import-summaries "
             "data/raw/framework_summaries.xlsx. The framework report then shows them, and "
             "every later workbook keeps them.",
             "Method: framework method (Gale et al. 2013, BMC Med Res Methodol 13:117)."]
    for i, line in enumerate([x for x in lines if x], start=1):
        write_cell(about, i, 1, line)
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 110
    bold = Font(bold=True)  # one style object for every cell that has it (openpyxl
    wrapped = Alignment(wrap_text=True, vertical="top")  # stores each distinct style once)
    used: set[str] = set()
    headers = {**case_headers(), "summary": SUMMARY_HEADER, "fingerprint": FINGERPRINT_HEADER}
    names: list[tuple[str, str]] = []
    for theme, frame in sheets.items():
        name = "".join("_" if ch in '[]:*?/\\' else ch for ch in str(theme))[:31] or "Theme"
        base, n = name, 2
        while name.casefold() in used:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        used.add(name.casefold())
        ws = wb.create_sheet(name)
        names.append((name, str(theme)))
        for j, col in enumerate(frame.columns, start=1):
            write_cell(ws, 1, j, headers.get(col, str(col))).font = bold
            letter = ws.cell(row=1, column=j).column_letter
            ws.column_dimensions[letter].width = 16 if col in CASE_COLUMNS else 60
            if col == "fingerprint":  # for import-summaries; not for readers
                ws.column_dimensions[letter].hidden = True
        for i, rec in enumerate(frame.itertuples(index=False), start=2):
            for j, value in enumerate(rec, start=1):
                write_cell(ws, i, j, None if pd.isna(value) else str(value)).alignment = \
                    wrapped
        ws.freeze_panes = ws.cell(row=2, column=len(CASE_COLUMNS) + 1)
        print_setup(ws)
    print_setup(about)
    index = wb.create_sheet(INDEX_SHEET)  # last, hidden: which theme each sheet charts
    index.sheet_state = "hidden"
    for i, (name, theme) in enumerate([("sheet", "theme"), *names], start=1):
        write_cell(index, i, 1, name)
        write_cell(index, i, 2, theme)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


#: Points per line of wrapped 11 pt text, and Excel's largest row height.
_LINE_HEIGHT, _MAX_ROW_HEIGHT = 15.0, 409.0


def print_setup(ws, *, header_rows: int = 1) -> None:
    """Make a worksheet print readably on A4: landscape, fitted to the page width, the
    header row repeated on every page, wrapped cells given the row height they need.

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        A filled sheet (column widths already set).
    header_rows : int
        Rows repeated at the top of every printed page (0 for none).

    Notes
    -----
    openpyxl cannot measure text, so a row's height is estimated: each cell's text is
    broken into lines of the column's width in characters (a paragraph at least one
    line), and the row gets 15 points per line of its fullest cell, up to Excel's maximum
    of 409 points (longer cells still print, cut at that height; Excel shows the rest on
    screen). Pages are numbered in the footer.
    """
    import math

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.gridLines = True
    if header_rows:
        ws.print_title_rows = f"1:{header_rows}"
    ws.oddFooter.center.text = "&A - page &P of &N"
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if cell.value is None:
                continue
            width = ws.column_dimensions[cell.column_letter].width or 10
            chars = max(int(width * 1.1), 1)
            lines = max(lines, sum(max(1, math.ceil(len(part) / chars))
                                   for part in str(cell.value).split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(_LINE_HEIGHT * lines,
                                                       _MAX_ROW_HEIGHT)


def workbook_path(excel_path: str | Path = "") -> Path:
    """Where the framework workbook goes: ``excel_path``, or
    ``reports/framework_matrix.xlsx`` of the project (folder created)."""
    path = Path(excel_path) if excel_path else project_paths().reports / "framework_matrix.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def charting_path(data_dir: str | Path | None = "") -> Path:
    """The analysts' charting workbook: :data:`CHARTING_XLSX` in the prepared data folder
    (``data_dir``, "" = ``data/processed`` of the project), inside the project and never
    in ``reports/``."""
    folder = Path(data_dir) if data_dir else project_paths().processed
    return folder / CHARTING_XLSX


def export_workbook(segments: pd.DataFrame, people: pd.DataFrame, path: str | Path, *,
                    k: int = DEFAULT_MIN_GROUP_SIZE, title: str = "",
                    synthetic: bool = False, codebook: pd.DataFrame | None = None,
                    summaries: pd.DataFrame | None = None, mask=None,
                    analysts: bool = False) -> Path:
    """Write the framework workbook: :func:`theme_sheets`, one sheet per theme
    (:func:`write_framework_workbook`), themes and codes in the order of ``codebook``
    (:func:`~peerlib.part2.segments.load_qda_codebook`), with a Summary column per
    participant and a site summary row per site for charting
    (:func:`~peerlib.part2.summaries.charting_sheets`), filled with ``summaries``
    (:func:`~peerlib.part2.summaries.load_summaries`) so that a re-export keeps them.

    Parameters
    ----------
    segments, people, codebook, summaries
        As above.
    path : str or Path
        The ``.xlsx`` to write.
    k : int
        Minimum group size (used without a ``mask``).
    title : str
        The About sheet's title.
    synthetic : bool
        Say that the data are synthetic.
    mask : DisclosureMask, optional
        The batch's mask.
    analysts : bool
        False (default): the publishable workbook, every sheet through
        :func:`~peerlib.part2.framework.publish_matrix` (the same rows and role labels as
        the HTML matrix; the About sheet says how many participants' rows are left out).
        True: the analysts' copy with every participant and role, for charting inside
        the project (:func:`charting_path`; never publish it).

    Returns
    -------
    pathlib.Path
        The workbook.
    """
    sheets = theme_sheets(segments, people, codebook=codebook)
    if analysts:
        notes = ("FOR THE ANALYSTS ONLY, inside the project: every participant with their "
                 "site and role. Do not publish or share this workbook; the publishable copy "
                 "is reports/framework_matrix.xlsx.",)
    else:
        sheets = {theme: publish_matrix(sheet, people, k=k, mask=mask)
                  for theme, sheet in sheets.items()}
        left = max([int(s.attrs.get(ROWS_NOT_SHOWN, 0)) for s in sheets.values()] or [0])
        notes = ("Roles are shown only where enough participants of a site share the role.",)
        if left:
            notes += (f"{left} participants' rows are not shown: their sites have too few "
                      "people with a coded transcript, or are hidden so that such a site "
                      "cannot be worked out from totals shown elsewhere.",)
    sheets = charting_sheets(sheets, segments, summaries)
    return write_framework_workbook(sheets, path, title=title, synthetic=synthetic,
                                    notes=notes)
