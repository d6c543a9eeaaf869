"""Excel workbooks for readers: the framework matrix, one sheet per theme."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._files import write_cell
from ..disclosure import DEFAULT_MIN_GROUP_SIZE
from ..paths import project_paths
from ..part2.framework import CASE_COLUMNS, mask_roles, theme_sheets
from .sections import case_headers

__all__ = ["write_framework_workbook", "workbook_path", "export_workbook"]

def write_framework_workbook(sheets: dict[str, pd.DataFrame], path: str | Path, *,
                             title: str = "", synthetic: bool = False) -> Path:
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
             "references [document, start-end positions].",
             "Roles are shown only where at least k participants of a site share the role.",
             "Method: framework method (Gale et al. 2013, BMC Med Res Methodol 13:117)."]
    for i, line in enumerate([x for x in lines if x], start=1):
        write_cell(about, i, 1, line)
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 110
    used: set[str] = set()
    headers = case_headers()
    for theme, frame in sheets.items():
        name = "".join("_" if ch in '[]:*?/\\' else ch for ch in str(theme))[:31] or "Theme"
        base, n = name, 2
        while name.casefold() in used:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        used.add(name.casefold())
        ws = wb.create_sheet(name)
        for j, col in enumerate(frame.columns, start=1):
            write_cell(ws, 1, j, headers.get(col, str(col))).font = Font(bold=True)
            ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = (
                16 if col in CASE_COLUMNS else 60)
        for i, rec in enumerate(frame.itertuples(index=False), start=2):
            for j, value in enumerate(rec, start=1):
                write_cell(ws, i, j, None if pd.isna(value) else str(value)).alignment = \
                    Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = ws.cell(row=2, column=len(CASE_COLUMNS) + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def workbook_path(excel_path: str | Path = "") -> Path:
    """Where the framework workbook goes: ``excel_path``, or
    ``reports/framework_matrix.xlsx`` of the project (folder created)."""
    path = Path(excel_path) if excel_path else project_paths().reports / "framework_matrix.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def export_workbook(segments: pd.DataFrame, people: pd.DataFrame, path: str | Path, *,
                    k: int = DEFAULT_MIN_GROUP_SIZE, title: str = "",
                    synthetic: bool = False, codebook: pd.DataFrame | None = None) -> Path:
    """Write the publishable framework workbook: :func:`theme_sheets` with roles masked
    (:func:`mask_roles`), one sheet per theme (:func:`write_framework_workbook`), themes
    and codes in the order of ``codebook`` (:func:`~peerlib.part2.segments.load_qda_codebook`).

    Returns
    -------
    pathlib.Path
        The workbook.
    """
    sheets = {theme: mask_roles(sheet, people, k=k)
              for theme, sheet in theme_sheets(segments, people, codebook=codebook).items()}
    return write_framework_workbook(sheets, path, title=title, synthetic=synthetic)

